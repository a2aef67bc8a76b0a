"""Downloads: PNG from vl-convert, CSV for Chilean Excel, XLSX that never holds a formula."""

from __future__ import annotations

import io

import altair as alt
import pandas as pd
from openpyxl import load_workbook

from metrics.presentation.export import chart_png, frame_csv, frame_xlsx


def test_png_of_a_container_sized_chart() -> None:
    chart = alt.Chart(pd.DataFrame({"x": [1, 2]})).mark_bar().encode(x="x:Q")
    png = chart_png(chart.properties(width="container"))
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width = int.from_bytes(png[16:20], "big")
    assert width >= 1000  # container width replaced by 1000 px, at scale 2


def test_csv_uses_semicolon_decimal_comma_and_bom() -> None:
    data = frame_csv(pd.DataFrame({"Indicador": ["Reprobación"], "Valor": [2.5]}))
    assert data.startswith("\ufeff".encode())
    assert data.decode("utf-8-sig").splitlines() == ["Indicador;Valor", "Reprobación;2,5"]


def test_xlsx_keeps_formula_like_text_as_text() -> None:
    evil = '=HYPERLINK("http://x","y")'
    data = frame_xlsx(
        pd.DataFrame({"Comunidad": [evil, "+1", "@SUM(A1)", "normal"], "n": [1, 2, 3, None]})
    )
    ws = load_workbook(io.BytesIO(data)).active
    values = [c.value for c in ws["A"][1:]]
    assert values == [evil, "+1", "@SUM(A1)", "normal"]
    assert all(c.data_type == "s" for c in ws["A"][1:])
    assert [c.quotePrefix for c in ws["A"][1:]] == [True, True, True, False]
    assert [c.value for c in ws["B"][1:]] == [1, 2, 3, None]
