"""Numbers and dates in es-CL."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from metrics.formatting import (
    format_date,
    format_datetime,
    format_month,
    format_number,
    format_percent,
    format_points,
)


@pytest.mark.parametrize(
    ("value", "decimals", "expected"),
    [
        (3540980, 0, "3.540.980"),
        (5.8, 1, "5,8"),
        (1234.5, 2, "1.234,50"),
        (-4.0, 1, "−4,0"),
        (-0.04, 1, "0,0"),
        (0, 0, "0"),
        (None, 1, "–"),
        (float("nan"), 1, "–"),
    ],
)
def test_format_number(value: float | None, decimals: int, expected: str) -> None:
    assert format_number(value, decimals) == expected


def test_percent_points_dates() -> None:
    assert format_percent(87.5) == "87,5 %"
    assert format_percent(6) == "6,0 %"
    assert format_points(-4) == "−4,0 pp"
    assert format_points(2.26) == "+2,3 pp"
    assert format_points(0) == "0,0 pp"
    assert format_date(date(2025, 3, 9)) == "09-03-2025"
    assert format_datetime(datetime(2025, 3, 9, 14, 5)) == "09-03-2025 14:05"
    assert format_month(2025, 5) == "mayo 2025"
    assert format_date(None) == "–"


@given(st.integers(min_value=-(10**12), max_value=10**12))
def test_integers_round_trip(n: int) -> None:
    text = format_number(n)
    assert int(text.replace(".", "").replace("−", "-")) == n


@given(st.floats(min_value=-1e9, max_value=1e9, allow_nan=False))
def test_one_decimal_round_trips(x: float) -> None:
    text = format_number(x, 1)
    back = float(text.replace(".", "").replace(",", ".").replace("−", "-"))
    assert abs(back - x) <= 0.05 + 1e-6 * abs(x)
