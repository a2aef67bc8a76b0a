"""Numbers and dates as people in Chile read them: decimal comma, thousands point, dd-mm-aaaa.

Pure functions, used by pages, charts, exports and the CLI alike.
"""

from __future__ import annotations

import functools
import html
import math
import re
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from numbers import Integral

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


def round_half_away(value: float | int, decimals: int = 0) -> float:
    """``value`` rounded as people read it: halves away from zero, on the exact binary value.

    This is what charts print (Vega's ``format`` rounds with JavaScript's ``toFixed``), so a
    headline and its chart read the same number: 274,5 is 275 in both (Python's ``round`` and
    ``f"{274.5:.0f}"`` give 274). 2,675 is stored as 2,67499999…, so it reads 2,67 everywhere.

    >>> round_half_away(274.5), round_half_away(-0.25, 1), round_half_away(2.675, 2)
    (275.0, -0.3, 2.67)
    """
    number = Decimal(int(value)) if isinstance(value, Integral) else Decimal(float(value))
    return float(number.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP))


def format_number(value: float | int | None, decimals: int = 0, missing: str = "–") -> str:
    """Format with a thousands point and a decimal comma, rounding halves away from zero
    (:func:`round_half_away`).

    >>> format_number(3540980)
    '3.540.980'
    >>> format_number(-4.04, 1)
    '−4,0'
    >>> format_number(274.5)
    '275'
    """
    if _is_missing(value):
        return missing
    assert value is not None
    shown = round_half_away(value, decimals) if math.isfinite(value) else float(value)
    text = f"{abs(shown):,.{decimals}f}".replace(",", "_").replace(".", ",").replace("_", ".")
    return ("−" if shown < 0 else "") + text


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
    sign = "+" if round_half_away(value, decimals) > 0 else ""
    return f"{sign}{format_number(value, decimals)} pp"


def format_size(n_bytes: int | float) -> str:
    """A file size in bytes, KB, MB or GB (units of 1.024), as a person in Chile reads it.

    >>> format_size(316)
    '316 B'
    >>> format_size(1_258_291)
    '1,2 MB'
    """
    size = float(n_bytes)
    for unit in ("B", "KB", "MB"):
        if abs(size) < 1024:
            return f"{format_number(size, 0 if unit == 'B' else 1)} {unit}"
        size /= 1024
    return f"{format_number(size, 1)} GB"


_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(\.\d{3})+$")


def parse_decimal(text: str) -> float | None:
    """A number typed the Chilean way (decimal comma, optional thousands point); None if the
    text is not one. A lone point is read as decimal («3.5») unless it groups thousands
    («1.500»).

    >>> parse_decimal("3,5")
    3.5
    >>> parse_decimal("1.234,5")
    1234.5
    >>> parse_decimal("1.500")
    1500.0
    """
    value = text.strip().replace("\u2212", "-").replace(" ", "").removesuffix("%")
    if "," in value:
        value = value.replace(".", "").replace(",", ".")
    elif _THOUSANDS.match(value):
        value = value.replace(".", "")
    if not re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)", value):
        return None
    return float(value)


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


# -- user text on a screen or a terminal ------------------------------------------------------
#
# Names, notes, file names and cell values come from people. Shown on a page they must read as
# the text they are, never act as Markdown or HTML; printed on a terminal they must never act as
# control characters. The page and the CLI use these two helpers wherever they show such text.

_WORD_JOINER = "\u2060"
"""Invisible and zero-width: it breaks the patterns Streamlit finds in text after Markdown is
parsed, which escapes cannot reach: ``:tada:`` emoji, ``:streamlit:``, ``->`` arrows and
GFM's links from bare ``http://``, ``www.`` and e-mail addresses (checked in Chromium)."""

_MD_ALWAYS = frozenset("\\`*_~[]$|&@")
_MD_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_MD_JOIN = re.compile(r"(?<=[<>=~-])(?=[<>=~-])|(?<=[:@])(?=\S)|(?<=[Ww][Ww][Ww])(?=\.)")
_MD_LINE_START = re.compile(r"(?:[-+]|#{1,6}|\d{1,9}[.)])(?=\s|$)|>")


def escape_markdown(value: object) -> str:
    r"""User text as Streamlit Markdown that shows exactly that text, on one line.

    Backslash-escapes what Markdown would act on — emphasis, code, links and images, HTML,
    entities, LaTeX (``$``), Streamlit's ``:red[...]`` directives, autolinks, a list or heading
    marker at the start — and puts a word joiner (U+2060, invisible) where Streamlit rewrites
    text (emoji and icon shortcodes, ``->`` arrows, bare URLs and e-mails). Line breaks and
    other control characters become spaces; leading and trailing spaces go. Escape each piece
    of user text once, where it is put into the Markdown of an element (titles, markdown,
    captions, alerts, labels, metric values, tab and expander labels, ``st.segmented_control``
    and ``st.radio`` options).
    ``st.selectbox``/``st.multiselect`` options and ``st.dataframe`` cells are plain text.

    >>> escape_markdown("**x** [l](u) <img src=x> :red[y]").replace("\u2060", "·")
    '\\*\\*x\\*\\* \\[l\\](u) \\<img src=x> \\:·red\\[y\\]'
    >>> escape_markdown("Comunidad Lenguaje 1°B, 87,5 %")
    'Comunidad Lenguaje 1°B, 87,5 %'
    """
    return _escape_markdown(str(value))


@functools.lru_cache(maxsize=4096)
def _escape_markdown(value: str) -> str:
    # Kept per text: a page escapes the same headlines and captions on every view, and this
    # loop costs about a millisecond for a caption of a few lines.
    text = _MD_CONTROLS.sub(" ", value).strip()
    text = _MD_JOIN.sub(_WORD_JOINER, text)
    out = []
    for i, ch in enumerate(text):
        nxt = text[i + 1] if i + 1 < len(text) else ""
        if (
            ch in _MD_ALWAYS
            or (ch == "<" and (nxt.isascii() and (nxt.isalpha() or nxt in "/!?")))
            or (ch == ":" and nxt not in ("", " "))
        ):
            out.append("\\")
        out.append(ch)
    escaped = "".join(out)
    start = _MD_LINE_START.match(escaped)
    if start:  # «- x», «# x», «1. x» would start a list or a heading at the start of a line
        escaped = escaped[: start.end() - 1] + "\\" + escaped[start.end() - 1 :]
    return escaped


_HTML_CONTROLS = {"\n": "\n", "\u2028": "\n", "\u2029": "\n", "\t": " "}


def escape_html(value: object) -> str:
    """User text for an HTML fragment shown with ``unsafe_allow_html``: ``<``, ``>``, ``&`` and
    quotes escaped, line breaks as ``<br>`` (a blank line would end the HTML block and let
    Markdown act on the rest) and other control characters gone.

    >>> escape_html('<b>x</b>\\n\\n![i](http://e.com/a.png)')
    '&lt;b&gt;x&lt;/b&gt;<br><br>![i](http://e.com/a.png)'
    """
    text = str(value).replace("\r\n", "\n").replace("\r", "\n")
    text = _MD_CONTROLS.sub(lambda m: _HTML_CONTROLS.get(m.group(), ""), text)
    return html.escape(text).replace("\n", "<br>")


_TERMINAL = {
    **{c: f"\\x{c:02x}" for c in (*range(0x20), 0x7F, *range(0x80, 0xA0))},
    **{ord("\t"): "\\t", ord("\n"): "\\n", ord("\r"): "\\r"},
    # Bidirectional overrides and isolates reorder what a terminal shows ("Trojan Source").
    **{c: f"\\u{c:04x}" for c in (0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F))},
    **{c: f"\\u{c:04x}" for c in range(0x2066, 0x206A)},
}


def terminal_text(value: object) -> str:
    r"""User text safe to print on a terminal: control characters shown as escapes.

    C0 and C1 controls (so every ANSI escape sequence, which starts with ESC or CSI), DEL and
    bidirectional overrides are written as ``\xNN``/``\uNNNN`` (``\n``, ``\r``, ``\t`` by name),
    so a file name can neither clear the screen, rewrite a line nor start a new one.

    >>> terminal_text("a\x1b[2J\rb\nc.csv")
    'a\\x1b[2J\\rb\\nc.csv'
    """
    return str(value).translate(_TERMINAL)


def terminal_lines(value: object) -> str:
    r"""Like :func:`terminal_text`, keeping line breaks: for messages written on several lines.

    >>> terminal_lines("Fila 2:\n  \x1b[31mrojo")
    'Fila 2:\n  \\x1b[31mrojo'
    """
    return "\n".join(terminal_text(line) for line in str(value).split("\n"))
