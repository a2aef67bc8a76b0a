"""Templates: a CSV and an XLSX per dataset, with example rows and a sheet of valid codes.

Generated from the declarations in :mod:`metrics.ingest.datasets`, so a template can never
disagree with what the importer accepts (tests import every template back).
"""

from __future__ import annotations

import csv
import io

from metrics.errors import UploadError
from metrics.ingest.datasets import DATASETS, Dataset


def _dataset(kind: str) -> Dataset:
    if kind not in DATASETS:
        raise UploadError(f"No hay plantilla para «{kind}». Tipos válidos: {', '.join(DATASETS)}.")
    return DATASETS[kind]


def codes_table(kind: str) -> list[tuple[str, str, str]]:
    """(column, accepted value, meaning) for every coded column of ``kind``."""
    ds = _dataset(kind)
    rows: list[tuple[str, str, str]] = []
    for col in ds.columns:
        if col.type in ("code", "likert"):
            by_value: dict[str, list[str]] = {}
            for label, value in col.codes.items():
                by_value.setdefault(value, []).append(label)
            for value, labels in by_value.items():
                rows.append((col.name, value, " / ".join(labels)))
    return rows


def template_csv(kind: str) -> bytes:
    """The CSV template: ``;`` separator, UTF-8 with BOM (Excel opens it with accents right)."""
    ds = _dataset(kind)
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([c.name for c in ds.columns])
    for i in range(2):
        writer.writerow([c.examples[i] for c in ds.columns])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def template_xlsx(kind: str) -> bytes:
    """The XLSX template: sheets 'datos' (headers + 2 examples), 'columnas' and 'codigos'."""
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill

    ds = _dataset(kind)
    wb = Workbook()
    data = wb.active
    assert data is not None
    data.title = "datos"
    data.append([c.name for c in ds.columns])
    for cell in data[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
    for i in range(2):
        data.append([c.examples[i] for c in ds.columns])
    for n, col in enumerate(ds.columns, start=1):
        data.column_dimensions[data.cell(row=1, column=n).column_letter].width = max(
            12, len(col.name) + 4
        )
    data.freeze_panes = "A2"
    info = wb.create_sheet("columnas")
    info.append(["columna", "obligatoria", "tipo", "descripción"])
    types = {
        "int": "número entero",
        "decimal": "número (coma decimal)",
        "text": "texto",
        "code": "código (ver hoja codigos)",
        "date": "fecha dd-mm-aaaa",
        "rbd": "RBD",
        "run": "RUT/RUN (se seudonimiza)",
        "mrun": "MRUN (se seudonimiza)",
        "person": "identificador (un RUT se seudonimiza)",
        "likert": "1 a 5 o texto de la escala",
    }
    for col in ds.columns:
        rango = ""
        if col.min is not None and col.max is not None and col.type in ("int", "decimal"):
            rango = f" ({col.min:g} a {col.max:g})".replace(".", ",")
        info.append(
            [col.name, "sí" if col.required else "no", types[col.type] + rango, col.description]
        )
    for cell in info[1]:
        cell.font = Font(bold=True)
    info.column_dimensions["A"].width = 26
    info.column_dimensions["C"].width = 34
    info.column_dimensions["D"].width = 70
    codes = wb.create_sheet("codigos")
    codes.append(["columna", "valor", "también se acepta"])
    for cell in codes[1]:
        cell.font = Font(bold=True)
    for row in codes_table(kind):
        codes.append(list(row))
    codes.column_dimensions["A"].width = 22
    codes.column_dimensions["B"].width = 34
    codes.column_dimensions["C"].width = 80
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
