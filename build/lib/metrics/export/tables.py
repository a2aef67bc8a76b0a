"""Chart images and data tables as files.

- PNG: rendered by vl-convert from the chart's Vega-Lite spec (no browser needed); a chart
  sized to its container gets a fixed width, since a file has no container.
- CSV: what Chilean Excel opens correctly by double click: ``;`` separator, decimal comma,
  UTF-8 with BOM; text that a spreadsheet would run as a formula gets a leading ``'``
  (:func:`neutralise_formulas`, also used by every CSV the ``tablero`` command writes).
- XLSX: openpyxl, a bold header and frozen first row; any text that a spreadsheet would take as
  a formula (starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return) is written as
  text, never as a formula.
"""

from __future__ import annotations

import io
from typing import Any

import pandas as pd

PNG_WIDTH = 1000
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _fixed_width(spec: Any, width: int) -> Any:
    if isinstance(spec, dict):
        return {
            k: (width if k == "width" and v == "container" else _fixed_width(v, width))
            for k, v in spec.items()
        }
    if isinstance(spec, list):
        return [_fixed_width(v, width) for v in spec]
    return spec


def chart_png(chart: Any, *, width: int = PNG_WIDTH, scale: float = 2.0) -> bytes:
    """The chart as a PNG image (``width`` CSS pixels wide where it fills its container)."""
    import vl_convert as vlc

    spec = _fixed_width(chart.to_dict(), width)
    return bytes(vlc.vegalite_to_png(spec, scale=scale))


def frame_csv(frame: pd.DataFrame) -> bytes:
    """A table as CSV for Excel in Chile: ``;``, decimal comma, UTF-8 with BOM.

    Text that a spreadsheet would run as a formula gets a leading ``'`` (CSV has no way to say
    "this cell is text"), so a name like ``=HYPERLINK(...)`` opens as the text it is.

    >>> frame_csv(pd.DataFrame({"c": ["=1+1", "Lectura"]})).decode("utf-8-sig").split()
    ['c', "'=1+1", 'Lectura']
    """
    text = neutralise_formulas(frame).to_csv(
        index=False, sep=";", decimal=",", date_format="%d-%m-%Y"
    )
    return ("\ufeff" + text).encode("utf-8")


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` for a CSV: every text cell a spreadsheet would run as a formula (see
    :func:`looks_like_formula`) gets a leading ``'``. Numbers stay numbers: only text is
    touched, so a negative value is written ``-4,0`` and Excel reads it as the number it is.

    >>> safe = neutralise_formulas(pd.DataFrame({"c": ["+cmd|' /C calc'!A0", "L"], "v": [-4.0, 1]}))
    >>> safe["c"].tolist(), safe["v"].tolist()
    (["'+cmd|' /C calc'!A0", 'L'], [-4.0, 1.0])
    """
    text_cols = [c for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c])]
    if not text_cols:
        return frame
    frame = frame.copy()
    for c in text_cols:
        frame[c] = frame[c].map(lambda v: f"'{v}" if looks_like_formula(v) else v)
    return frame


def looks_like_formula(value: Any) -> bool:
    """Whether a spreadsheet would read this text as a formula.

    >>> looks_like_formula('=HYPERLINK("http://x","y")'), looks_like_formula("Lectura")
    (True, False)
    """
    return isinstance(value, str) and value.startswith(_FORMULA_START)


def write_text_safely(cell: Any, value: Any) -> None:
    """Put ``value`` in an openpyxl cell; formula-like text stays literal text."""
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"  # openpyxl would otherwise store "=..." as a formula
        if looks_like_formula(value):
            cell.quotePrefix = True  # and Excel keeps it text when the cell is edited


def frame_xlsx(frame: pd.DataFrame, sheet: str = "Datos") -> bytes:
    """A table as an XLSX workbook, formula-safe, with a styled header."""
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill

    wb = Workbook()
    ws = wb.active
    ws.title = sheet[:31]
    ws.append([str(c) for c in frame.columns])
    for cell in ws[1]:
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = PatternFill("solid", fgColor="0B5C8C")
    for r, row in enumerate(frame.itertuples(index=False), start=2):
        for c, v in enumerate(row, start=1):
            missing = v is None or v is pd.NA or (isinstance(v, float) and pd.isna(v))
            value = None if missing else (v.item() if hasattr(v, "item") else v)
            write_text_safely(ws.cell(row=r, column=c), value)
    ws.freeze_panes = "A2"
    for column in ws.columns:
        length = max(len(str(c.value or "")) for c in column)
        ws.column_dimensions[column[0].column_letter].width = min(60, max(10, length + 2))
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
