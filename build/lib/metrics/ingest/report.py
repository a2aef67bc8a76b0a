"""The validation report: every problem of a file, with file, Excel row, column and a fix.

A :class:`Report` is what users read when a file is refused (or accepted with warnings). It
renders as text lines for the CLI and as an annotated XLSX for download. Nothing here touches
the store.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from metrics.formatting import count_label, format_number

if TYPE_CHECKING:
    import pandas as pd

Severity = Literal["error", "aviso"]

DISPLAY_LIMIT = 200
"""Issues printed by the CLI / shown on the page; the XLSX has all that were collected."""

COLLECT_LIMIT = 100_000
"""Issues kept in memory per file; the totals still count every one."""

PREVIEW_DATA_LIMIT = 5_000
"""Files up to this many rows get a 'Datos' sheet with the bad cells highlighted."""


@dataclass(frozen=True)
class Issue:
    """One bad cell (or a whole-file problem, then row 1 and the header's column)."""

    file: str
    row: int
    column: str
    value: str
    message: str
    severity: Severity = "error"

    def __str__(self) -> str:
        kind = "Error" if self.severity == "error" else "Aviso"
        value = f" (valor: «{_clip(self.value)}»)" if self.value not in ("", None) else ""
        return (
            f"{kind} en {self.file}, fila {self.row}, columna {self.column}: {self.message}{value}"
        )


def _clip(text: str, size: int = 60) -> str:
    text = str(text).replace("\n", " ")
    return text if len(text) <= size else text[: size - 1] + "…"


@dataclass
class Report:
    """All issues of one file; ``ok`` when there are no errors (warnings do not block)."""

    file: str
    issues: list[Issue] = field(default_factory=list)
    error_count: int = 0
    warning_count: int = 0
    rows: int = 0
    notes: list[str] = field(default_factory=list)
    """Plain-language facts about the file: detected format, encoding, ignored columns."""
    data_header: list[str] = field(default_factory=list)
    data_rows: list[tuple[int, list[str]]] = field(default_factory=list)
    """For small files, the rows as read (Excel row number, values) for the annotated XLSX."""

    @property
    def ok(self) -> bool:
        return self.error_count == 0

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "error"]

    @property
    def warnings(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "aviso"]

    def add(self, issue: Issue) -> None:
        if issue.severity == "error":
            self.error_count += 1
        else:
            self.warning_count += 1
        if len(self.issues) < COLLECT_LIMIT:
            self.issues.append(issue)

    def extend(
        self, issues: list[Issue], errors: int | None = None, warnings: int | None = None
    ) -> None:
        """Add collected issues; ``errors``/``warnings`` are the true totals when capped."""
        for issue in issues:
            self.add(issue)
        shown_errors = sum(1 for i in issues if i.severity == "error")
        shown_warnings = len(issues) - shown_errors
        if errors is not None:
            self.error_count += max(0, errors - shown_errors)
        if warnings is not None:
            self.warning_count += max(0, warnings - shown_warnings)

    def summary(self) -> str:
        """One Spanish sentence: how many errors and warnings."""
        if self.ok and not self.warning_count:
            return f"{self.file}: sin problemas ({count_label(self.rows, 'fila', 'filas')})."
        parts = []
        if self.error_count:
            parts.append(f"{format_number(self.error_count)} error(es)")
        if self.warning_count:
            parts.append(f"{format_number(self.warning_count)} aviso(s)")
        verdict = "no se cargó" if not self.ok else "se puede cargar"
        return f"{self.file}: {' y '.join(parts)}; {verdict}."

    def lines(self, limit: int = DISPLAY_LIMIT) -> list[str]:
        """The issues as text, errors first, capped at ``limit`` with a closing note."""
        ordered = sorted(self.issues, key=lambda i: (i.severity != "error", i.row))
        out = [str(i) for i in ordered[:limit]]
        hidden = self.error_count + self.warning_count - len(out)
        if hidden > 0:
            out.append(
                f"… y {format_number(hidden)} problema(s) más. Descargue el informe completo "
                "en Excel para verlos todos."
            )
        return out

    def to_frame(self, limit: int | None = None) -> pd.DataFrame:
        """The issues as a table with Spanish headers (errors first), for the page."""
        import pandas as pd

        ordered = sorted(self.issues, key=lambda i: (i.severity != "error", i.row))
        if limit is not None:
            ordered = ordered[:limit]
        return pd.DataFrame(
            [(i.severity, i.row, i.column, i.value, i.message) for i in ordered],
            columns=["tipo", "fila", "columna", "valor", "qué hacer"],
        )

    def to_xlsx(self) -> bytes:
        """The report as an XLSX: a 'Problemas' sheet and, for small files, the data annotated."""
        from openpyxl import Workbook
        from openpyxl.comments import Comment
        from openpyxl.styles import Font, PatternFill

        wb = Workbook()
        ws = wb.active
        assert ws is not None
        ws.title = "Problemas"
        ws.append(["Archivo", "Fila", "Columna", "Valor", "Tipo", "Qué hacer"])
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for i in sorted(self.issues, key=lambda i: (i.severity != "error", i.row)):
            ws.append([i.file, i.row, i.column, _clip(i.value, 200), i.severity, i.message])
        for col, width in zip("ABCDEF", (28, 8, 22, 24, 8, 90), strict=True):
            ws.column_dimensions[col].width = width
        ws.freeze_panes = "A2"
        if self.data_header and self.data_rows:
            red = PatternFill("solid", fgColor="F8CBAD")
            yellow = PatternFill("solid", fgColor="FFF2CC")
            data = wb.create_sheet("Datos")
            data.append(["Fila", *self.data_header])
            for cell in data[1]:
                cell.font = Font(bold=True)
            by_cell: dict[tuple[int, str], list[Issue]] = {}
            for i in self.issues:
                by_cell.setdefault((i.row, i.column), []).append(i)
            positions = {name: n + 2 for n, name in enumerate(self.data_header)}
            for excel_row, values in self.data_rows:
                data.append([excel_row, *values])
                out_row = data.max_row
                for (row, column), found in by_cell.items():
                    if row != excel_row or column not in positions:
                        continue
                    cell = data.cell(row=out_row, column=positions[column])
                    worst = "error" if any(x.severity == "error" for x in found) else "aviso"
                    cell.fill = red if worst == "error" else yellow
                    cell.comment = Comment("\n".join(x.message for x in found), "Tablero DPD")
        buffer = io.BytesIO()
        wb.save(buffer)
        return buffer.getvalue()
