"""Numbers and dates as people in Chile read them: decimal comma, thousands point, dd-mm-aaaa.

Pure functions, used by pages, charts, exports and the CLI alike.
"""

from __future__ import annotations

import math
from datetime import date, datetime

MONTHS_ES = (
    "enero",
    "febrero",
    "marzo",
    "abril",
    "mayo",
    "junio",
    "julio",
    "agosto",
    "septiembre",
    "octubre",
    "noviembre",
    "diciembre",
)


def _is_missing(value: float | int | None) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def format_number(value: float | int | None, decimals: int = 0, missing: str = "–") -> str:
    """Format with a thousands point and a decimal comma.

    >>> format_number(3540980)
    '3.540.980'
    >>> format_number(-4.04, 1)
    '−4,0'
    """
    if _is_missing(value):
        return missing
    assert value is not None
    text = f"{abs(value):,.{decimals}f}".replace(",", "_").replace(".", ",").replace("_", ".")
    negative = round(value, decimals) < 0
    return ("−" if negative else "") + text


def format_percent(value: float | None, decimals: int = 1, missing: str = "–") -> str:
    """A 0–100 value as a percentage.

    >>> format_percent(87.5)
    '87,5 %'
    """
    if _is_missing(value):
        return missing
    return f"{format_number(value, decimals)} %"


def format_points(value: float | None, decimals: int = 1, missing: str = "–") -> str:
    """A difference of percentages, in percentage points, with its sign.

    >>> format_points(-4)
    '−4,0 pp'
    """
    if _is_missing(value):
        return missing
    assert value is not None
    sign = "+" if round(value, decimals) > 0 else ""
    return f"{sign}{format_number(value, decimals)} pp"


def format_date(value: date | datetime | None, missing: str = "–") -> str:
    """dd-mm-aaaa.

    >>> format_date(date(2025, 5, 3))
    '03-05-2025'
    """
    if value is None:
        return missing
    return value.strftime("%d-%m-%Y")


def format_datetime(value: datetime | None, missing: str = "–") -> str:
    """dd-mm-aaaa hh:mm."""
    if value is None:
        return missing
    return value.strftime("%d-%m-%Y %H:%M")


def format_month(year: int, month: int) -> str:
    """A month by name.

    >>> format_month(2025, 5)
    'mayo 2025'
    """
    return f"{MONTHS_ES[month - 1]} {year}"


def count_label(n: int, singular: str, plural: str) -> str:
    """A count with its noun in the right number.

    >>> count_label(1, "fila", "filas"), count_label(3540980, "fila", "filas")
    ('1 fila', '3.540.980 filas')
    """
    return f"{format_number(n)} {singular if n == 1 else plural}"
