"""A council pack as an Excel workbook (openpyxl).

Sheets: *Resumen* (the selection, the slides' headlines, the team's conclusions), *Indicadores*
(every indicator of every scope in the pack, every year up to the pack's: the same fields and
values as ``tablero indicadores``), one sheet per community, and *Ficha técnica*. Numbers are
numbers with a number format (Excel in Chile shows them with a decimal comma), statuses are
coloured and always written as words, and every text from user data is written as text, never
as a formula (see :func:`metrics.presentation.export.tables.write_text_safely`).
"""

from __future__ import annotations

import io
import re
from typing import Any

import pandas as pd

from metrics.engine.catalog import INDICATORS
from metrics.engine.indicators import OUTPUT_COLUMNS
from metrics.engine.sources import COMPARABLE
from metrics.formatting import format_date
from metrics.presentation.export.tables import write_text_safely
from metrics.presentation.packs import Pack
from metrics.presentation.views import COMPARISON_METHOD, MOMENT_NAMES, STATUS_LABELS

HEADER_FILL = "0B5C8C"
STATUS_FILLS = {
    "logrado": "D6EEF0",
    "en_camino": "E8F1F8",
    "en_riesgo": "FBE3D2",
    "sin_meta": "F3F4F6",
    "sin_linea_base": "F3F4F6",
    "sin_datos": "F3F4F6",
    "suprimido": "F3F4F6",
}
SCOPE_WORDS = {
    "comunidad": "Comunidad",
    "establecimiento": "Establecimiento",
    "territorio": "Territorio",
}

# Columns of the indicator sheets: a readable name first, then exactly the CLI's fields.
LEADING = ("nombre_indicador", "nombre_alcance")
VALUE_COLUMNS = ("valor", "media", "linea_base", "meta", "cambio", "ic_inferior", "ic_superior")
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")


def number_format(code: str, column: str) -> str:
    """Excel number format of one value column of one indicator.

    >>> number_format("tasa_reprobacion", "valor")
    '0.0" %"'
    >>> number_format("tasa_reprobacion", "cambio")
    '+0.0" pp";-0.0" pp";0.0" pp"'
    >>> number_format("promedio_notas", "valor")
    '0.00'
    """
    ind = INDICATORS[code]
    digits = "0" + ("." + "0" * ind.decimals if ind.decimals else "")
    if column in ("cambio", "ic_inferior", "ic_superior"):
        unit = '" pp"' if ind.unit == "%" else ""
        return f"+{digits}{unit};-{digits}{unit};{digits}{unit}"
    return f'{digits}" %"' if ind.unit == "%" else digits


def sheet_title(name: str, taken: set[str]) -> str:
    """A valid, unique sheet title (31 characters, none of ``[]:*?/\\``).

    >>> sheet_title("Ciencias 7°/8° [2025]", set())
    'Ciencias 7°-8° -2025-'
    """
    base = _BAD_SHEET_CHARS.sub("-", name).strip("'") or "Comunidad"
    title = base[:31]
    n = 2
    while title.lower() in taken:
        suffix = f" ({n})"
        title = base[: 31 - len(suffix)] + suffix
        n += 1
    taken.add(title.lower())
    return title


def _scope_names(pack: Pack) -> dict[tuple[str, str], str]:
    names = {("establecimiento", rbd): name for rbd, name in pack.school_names.items()}
    names[(pack.scope_kind, pack.scope_id)] = pack.name
    for cid, name in zip(pack.communities["community_id"], pack.communities["name"], strict=True):
        names[("comunidad", str(cid))] = str(name)
    return names


def _value(v: Any) -> Any:
    if v is None or v is pd.NA or (isinstance(v, float) and pd.isna(v)):
        return None
    return v.item() if hasattr(v, "item") else v


def _style_header(ws: Any, row: int, ncols: int) -> None:
    from openpyxl.styles import Alignment, Font, PatternFill

    for c in range(1, ncols + 1):
        cell = ws.cell(row=row, column=c)
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = PatternFill("solid", fgColor=HEADER_FILL)
        cell.alignment = Alignment(vertical="center", wrap_text=True)


def _widths(ws: Any, widths: dict[int, float]) -> None:
    from openpyxl.utils import get_column_letter

    for col, width in widths.items():
        ws.column_dimensions[get_column_letter(col)].width = width


def _indicator_rows(
    ws: Any, rows: pd.DataFrame, names: dict[tuple[str, str], str], start: int
) -> None:
    """The engine's rows from row ``start``: header, then one line per record."""
    from openpyxl.styles import PatternFill

    columns = [*LEADING, *OUTPUT_COLUMNS]
    for c, name in enumerate(columns, start=1):
        ws.cell(row=start, column=c, value=name)
    _style_header(ws, start, len(columns))
    status_col = columns.index("estado") + 1
    for r, rec in enumerate(rows.to_dict("records"), start=start + 1):
        code = str(rec["indicador"])
        write_text_safely(ws.cell(row=r, column=1), INDICATORS[code].name)
        scope_name = names.get(
            (str(rec["alcance"]), str(rec["alcance_id"])), str(rec["alcance_id"])
        )
        write_text_safely(ws.cell(row=r, column=2), scope_name)
        for c, field in enumerate(OUTPUT_COLUMNS, start=len(LEADING) + 1):
            cell = ws.cell(row=r, column=c)
            value = _value(rec[field])
            if isinstance(value, str):
                write_text_safely(cell, value)
            else:
                cell.value = value
            if field in VALUE_COLUMNS and value is not None:
                cell.number_format = number_format(code, field)
            elif field in ("cambio_pct", "progreso") and value is not None:
                cell.number_format = '0.0" %"'
            elif field == "efecto_g" and value is not None:
                cell.number_format = "0.00"
        status = str(rec["estado"])
        cell = ws.cell(row=r, column=status_col)
        if status in STATUS_FILLS:
            cell.fill = PatternFill("solid", fgColor=STATUS_FILLS[status])
    ws.freeze_panes = ws.cell(row=start + 1, column=3)
    ws.auto_filter.ref = (
        f"A{start}:{ws.cell(row=start, column=len(columns)).column_letter}{start + len(rows)}"
    )
    _widths(ws, {1: 34, 2: 30, 3: 24, 4: 11, 5: 15, 6: 14, 7: 9})


def _summary(ws: Any, pack: Pack) -> None:
    from openpyxl.styles import Alignment, Font

    ws["A1"] = pack.title
    ws["A1"].font = Font(bold=True, size=16, color=HEADER_FILL)
    facts = [
        ("Alcance", "Establecimiento" if pack.scope_kind == "establecimiento" else "Territorio"),
        ("Nombre", pack.name),
        ("Identificador", pack.scope_id),
        ("Año", pack.year),
        ("Fecha de corte del cronograma", format_date(pack.cutoff)),
        ("Comunidades incluidas", len(pack.communities)),
    ]
    for r, (label, value) in enumerate(facts, start=3):
        ws.cell(row=r, column=1, value=label).font = Font(bold=True)
        write_text_safely(ws.cell(row=r, column=2), value)
    r = len(facts) + 4
    ws.cell(row=r, column=1, value="Mensajes principales").font = Font(bold=True, size=13)
    for slide in pack.slides[1:]:
        r += 1
        write_text_safely(ws.cell(row=r, column=1), slide.section)
        write_text_safely(ws.cell(row=r, column=2), slide.title)
        ws.cell(row=r, column=2).alignment = Alignment(wrap_text=True, vertical="top")
    r += 2
    for label, text in (
        ("Conclusiones", pack.note.conclusions),
        ("Próximos pasos", pack.note.next_steps),
    ):
        ws.cell(row=r, column=1, value=label).font = Font(bold=True)
        write_text_safely(ws.cell(row=r, column=2), text or "(sin escribir)")
        ws.cell(row=r, column=2).alignment = Alignment(wrap_text=True, vertical="top")
        r += 1
    # What the team wrote for the year (síntesis by moment, the follow-up plan), as the slides
    # say it.
    for slide in (s for s in pack.slides if s.kind in ("cualitativo", "seguimiento")):
        r += 1
        ws.cell(row=r, column=1, value=slide.section).font = Font(bold=True)
        for fact in slide.facts:
            write_text_safely(ws.cell(row=r, column=2), fact)
            ws.cell(row=r, column=2).alignment = Alignment(wrap_text=True, vertical="top")
            r += 1
    r += 1
    ws.cell(row=r, column=1, value="Estados").font = Font(bold=True)
    for code, label in STATUS_LABELS.items():
        r += 1
        write_text_safely(ws.cell(row=r, column=1), label)
        write_text_safely(ws.cell(row=r, column=2), code)
    _widths(ws, {1: 34, 2: 110})


def _community_sheet(
    ws: Any, pack: Pack, rec: dict[Any, Any], names: dict[tuple[str, str], str]
) -> None:
    from openpyxl.styles import Font

    cid = str(rec["community_id"])
    header = [
        ("Comunidad", rec["name"]),
        ("Modalidad", rec["kind"]),
        ("Desafío", rec.get("focus")),
        (f"Integrantes en {pack.year}", int(rec["members"])),
        (f"Principiantes en {pack.year}", int(rec["novices"])),
    ]
    for r, (label, value) in enumerate(header, start=1):
        ws.cell(row=r, column=1, value=label).font = Font(bold=True)
        write_text_safely(ws.cell(row=r, column=2), _value(value))
    rows = pack.results[
        (pack.results["alcance"] == "comunidad") & (pack.results["alcance_id"] == cid)
    ]
    _indicator_rows(ws, rows, names, start=len(header) + 2)


def _technical_sheet(ws: Any) -> None:
    from openpyxl.styles import Alignment

    columns = [
        "indicador",
        "Nombre",
        "Momento",
        "Unidad",
        "Sentido",
        "Definición",
        "Fórmula",
        "Numerador",
        "Denominador",
        "Fuente",
        "Notas",
        "Grupo de comparación",
    ]
    ws.append(columns)
    _style_header(ws, 1, len(columns))
    for r, ind in enumerate(INDICATORS.values(), start=2):
        values = [
            ind.code,
            ind.name,
            MOMENT_NAMES[ind.moment],
            ind.unit,
            "más alto es mejor" if ind.sign > 0 else "más bajo es mejor",
            ind.definition,
            ind.sheet.formula,
            ind.sheet.numerator,
            ind.sheet.denominator,
            ind.sheet.source,
            ind.sheet.notes,
            COMPARISON_METHOD if ind.code in COMPARABLE else "",
        ]
        for c, value in enumerate(values, start=1):
            cell = ws.cell(row=r, column=c)
            write_text_safely(cell, value)
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    ws.freeze_panes = "C2"
    _widths(
        ws,
        {1: 24, 2: 30, 3: 11, 4: 10, 5: 16, 6: 50, 7: 50, 8: 40, 9: 40, 10: 36, 11: 50, 12: 60},
    )


def pack_xlsx(pack: Pack) -> bytes:
    """The pack's workbook (see the module doc)."""
    from openpyxl import Workbook

    wb = Workbook()
    wb.properties.title = pack.title
    wb.properties.creator = "Tablero DPD"
    names = _scope_names(pack)
    _summary(wb.active, pack)
    wb.active.title = "Resumen"
    taken = {"resumen", "indicadores", "ficha técnica"}
    _indicator_rows(wb.create_sheet("Indicadores"), pack.table(), names, start=1)
    for rec in pack.communities.to_dict("records"):
        _community_sheet(wb.create_sheet(sheet_title(str(rec["name"]), taken)), pack, rec, names)
    _technical_sheet(wb.create_sheet("Ficha técnica"))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
