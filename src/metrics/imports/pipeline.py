"""The import pipeline: one file → detect → stage → validate → one batch in one transaction.

Guarantees: a file lands whole or not at all; a refused file changes no table; the
same file again (same kind and SHA-256) changes nothing; a corrected file replaces the earlier
rows with the same natural key (moved to a shadow table so that undo restores them); personal
ids are pseudonymised before they reach a table.

This module orchestrates; SQL lives in :mod:`metrics.store.loads`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Collection
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from metrics.access import outside_message, territory_change_message
from metrics.errors import AccessError, UploadError
from metrics.formatting import count_label, format_datetime, format_number
from metrics.ingest.datasets import DATASETS
from metrics.ingest.formats import (
    NOT_IMPORTED,
    Binding,
    Col,
    Const,
    FirstOf,
    MappingRow,
    Plan,
    RowId,
    build_plan,
    detect_format,
)
from metrics.ingest.readers import SEPARATOR_NAMES, Table, head_rows, open_table
from metrics.ingest.report import PREVIEW_DATA_LIMIT, Issue, Report
from metrics.ingest.text import normalize_label
from metrics.pseudonym import load_key
from metrics.scope import Scope
from metrics.store import Store, audit
from metrics.store import loads as sql
from metrics.store.core import batch_schools
from metrics.store.references import Pending, dependants, file_references, upload_rank

if TYPE_CHECKING:
    import pandas as pd

Progress = Callable[[float, str], None]
Source = str | os.PathLike[str] | bytes


class RefusedFileError(UploadError):
    """A file with errors: nothing was written. ``report`` has every problem."""

    title = "El archivo tiene errores y no se cargó"

    def __init__(self, report: Report) -> None:
        lines = report.lines(limit=20)
        super().__init__(report.summary() + "\n" + "\n".join(lines))
        self.report = report


@dataclass
class Detection:
    """What a file looks like before importing it (for the page's preview)."""

    file: str
    kind: str | None
    kind_label: str
    format: str
    format_label: str
    encoding: str
    delimiter: str
    sheet: str | None
    sheets: list[str]
    headers: list[str]
    unknown_columns: list[str]
    preview: pd.DataFrame
    """First rows mapped to the canonical columns (Spanish template names)."""
    needs_mapping: bool = False
    proposed_mapping: list[MappingRow] = field(default_factory=list)
    instrument: str | None = None
    issues: list[Issue] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass
class ImportResult:
    """The outcome of importing one file."""

    file: str
    kind: str
    format: str
    batch_id: int | None
    rows: int
    rows_new: int
    rows_replaced: int
    rows_skipped: int
    schools_registered: int
    period: str
    report: Report
    duplicate_of: int | None = None
    dry_run: bool = False

    def summary(self) -> str:
        """One Spanish paragraph for the CLI and the page."""
        label = DATASETS[self.kind].label if self.kind in DATASETS else self.kind
        if self.duplicate_of is not None:
            return (
                f"{self.file}: este mismo archivo ya se cargó (carga {self.duplicate_of}); "
                "no se cambió nada."
            )
        verb = "se cargaría" if self.dry_run else "cargado"
        text = (
            f"{self.file}: {label} {verb} — {count_label(self.rows, 'fila', 'filas')} "
            f"({count_label(self.rows_new, 'nueva', 'nuevas')}, "
            f"{count_label(self.rows_replaced, 'reemplazada', 'reemplazadas')})"
        )
        if self.period:
            text += f", período {self.period}"
        if self.schools_registered:
            text += (
                f"; {format_number(self.schools_registered)} establecimientos nuevos registrados"
            )
        if self.rows_skipped:
            text += f"; {format_number(self.rows_skipped)} fila(s) omitida(s) (ver avisos)"
        if self.batch_id is not None and not self.dry_run:
            text += f". Carga número {self.batch_id}."
        elif self.dry_run:
            text += ". Simulación: no se guardó nada."
        return text


def _notify(progress: Progress | None, fraction: float, message: str) -> None:
    if progress is not None:
        progress(fraction, message)


def _saved_mapping(store: Store, headers: list[str]) -> tuple[str, list[MappingRow]] | None:
    """The saved instrument whose questions match this file's headers best."""
    cur = store.cursor()
    try:
        saved = sql.load_mappings(cur)
    finally:
        cur.close()
    wanted = {normalize_label(h) for h in headers}
    best: tuple[int, str] | None = None
    for instrument, rows in saved.items():
        hits = sum(1 for q, _, _ in rows if normalize_label(q) in wanted)
        if hits and (best is None or hits > best[0]):
            best = (hits, instrument)
    if best is None:
        return None
    rows = saved[best[1]]
    return best[1], [MappingRow(question=q, dimension=d, reverse=r) for q, d, r in rows]


def _plan(
    table: Table,
    store: Store | None,
    kind: str | None,
    mapping: list[MappingRow] | None,
    rbd: int | None,
    wave: str | None,
    instrument: str | None,
    respondent_kind: str | None = None,
) -> Plan:
    if kind is not None and kind not in DATASETS:
        raise UploadError(
            f"{table.name}, fila 1, columna A: tipo de datos «{kind}» desconocido. Tipos "
            f"válidos: {', '.join(DATASETS)}."
        )
    fmt = detect_format(table.headers)
    if mapping is None and store is not None and fmt in ("google_forms", "microsoft_forms"):
        found = _saved_mapping(store, table.headers)
        if found is not None:
            instrument = instrument or found[0]
            mapping = found[1]
    return build_plan(
        table.name,
        table.headers,
        kind=kind,
        rbd=rbd,
        wave=wave,
        mapping=mapping,
        instrument=instrument,
        respondent_kind=respondent_kind,
    )


def _format_note(table: Table, plan: Plan) -> str:
    where = f", hoja «{table.sheet}»" if table.sheet else ""
    sep = (
        f", separador {SEPARATOR_NAMES.get(table.delimiter, table.delimiter)}"
        if table.container == "csv"
        else ""
    )
    target = "no se importa en esta versión" if plan.format in NOT_IMPORTED else plan.dataset.label
    return f"Formato: {plan.format_label} → {target}; codificación {table.encoding}{sep}{where}."


def _start_report(table: Table, plan: Plan) -> Report:
    report = Report(table.name)
    report.notes.append(_format_note(table, plan))
    report.notes += plan.notes
    for row, column, value, message in table.issues:
        report.add(Issue(table.name, row, column, value, message))
    for issue in plan.issues:
        report.add(issue)
    return report


def _attach_data(report: Report, table: Table) -> None:
    """Keep small files' rows so the XLSX report can highlight the bad cells."""
    rows = head_rows(table, PREVIEW_DATA_LIMIT + 1)
    if len(rows) > PREVIEW_DATA_LIMIT:
        return
    report.data_header = [table.column_label(i) for i in range(len(table.headers))]
    # Rows are numbered as the user sees them: XLSX keeps its own numbers (skipping blanks).
    if table.row_column:
        numbered = []
        with table.path.open(encoding="utf-8", newline="") as fh:
            import csv

            reader = csv.reader(fh)
            next(reader, None)
            for r in reader:
                numbered.append((int(r[0]), r[1:]))
        report.data_rows = numbered
    else:
        report.data_rows = [(n, r) for n, r in enumerate(rows, start=2)]


def _stage(cur: Any, table: Table, plan: Plan, key: Any) -> tuple[sql.Stage, Table]:
    """Stage the file; a text file that is not UTF-8 past its first 64 KiB is read again."""
    stage = sql.stage_file(cur, table, plan, key)
    utf8 = table.container == "csv" and table.encoding.startswith("UTF-8")
    if utf8 and sql.has_invalid_encoding(stage):
        stage.drop()
        table = table.as_cp1252()
        stage = sql.stage_file(cur, table, plan, key)
    return stage, table


_SKIPPED_MESSAGES = {
    "final_situation": "{n} fila(s) sin situación final (en blanco) se omiten: no cuentan en "
    "los indicadores.",
    "answer": "{n} respuesta(s) en blanco (preguntas sin responder) se omiten.",
}


def _check_staged(
    stage: sql.Stage, report: Report, table: Table, pending: Pending | None = None
) -> None:
    for line, column, text, message in sql.rejected_rows(stage):
        report.add(Issue(table.name, line, column, text, message))
    if stage.rows == 0 and not report.error_count:
        report.add(
            Issue(
                table.name,
                2,
                table.column_label(0),
                "",
                "el archivo solo tiene encabezados, sin filas de datos. Agregue los datos "
                "debajo de la fila de encabezados.",
            )
        )
        return
    found = sql.validate(stage, pending)
    issues = [Issue(table.name, r, c, v, m, s) for r, c, v, m, s in found.rows]  # type: ignore[arg-type]
    report.extend(issues, errors=found.errors, warnings=found.warnings)
    if found.skipped:
        report.add(
            Issue(
                table.name,
                found.first_skipped or 2,
                stage.plan.parts[0].labels.get(stage.plan.skip_blank or "", ""),
                "",
                _SKIPPED_MESSAGES.get(stage.plan.skip_blank or "", "{n} fila(s) se omiten.").format(
                    n=format_number(found.skipped)
                ),
                "aviso",
            )
        )
    report.rows = stage.rows - found.skipped


def validate(
    source: Source,
    name: str | None = None,
    *,
    kind: str | None = None,
    mapping: list[MappingRow] | None = None,
    rbd: int | None = None,
    wave: str | None = None,
    sheet: str | None = None,
    store: Store | None = None,
    upload: Pending | None = None,
) -> Report:
    """Every problem of a file, without writing anything (a scratch in-memory DuckDB).

    With a ``store``, the file is staged on it (still writing nothing) and every school,
    community, teacher or territory a row names must be in the store or, with ``upload``,
    brought by an earlier file of the same upload; a file without errors then adds the ids it
    brings to ``upload``.

    Example:
        >>> r = validate(b"rbd;nombre\\n12;Escuela\\n", "e.csv")
        >>> r.ok, r.rows
        (True, 1)
    """
    with open_table(source, name, sheet=sheet) as table:
        plan = _plan(table, store, kind, mapping, rbd, wave, None)
        report = _start_report(table, plan)
        if report.error_count:
            return report
        cur = sql.scratch_cursor() if store is None else store.cursor()
        try:
            key = _reference_key(store, cur, plan)
            stage, table = _stage(cur, table, plan, key)
            report.notes[0] = _format_note(table, plan)
            pending = None if store is None else (upload if upload is not None else Pending())
            try:
                _check_staged(stage, report, table, pending)
                if not report.ok:
                    _attach_data(report, table)
                elif upload is not None:
                    upload.add(sql.provided_ids(stage))
            finally:
                stage.drop()
        finally:
            cur.close()
    return report


def _reference_key(store: Store | None, cur: Any, plan: Plan) -> Any:
    """The pseudonym key, when validating against a store a file that names teachers (their
    ids are stored pseudonymised); None otherwise (cheaper)."""
    if store is None:
        return None
    kind = plan.dataset.kind
    if kind != "docentes" and all(r.entity != "teacher" for r in file_references(kind)):
        return None
    return replace(load_key(store.path), scheme=sql.pseudonym_scheme(cur))


def upload_order(kinds: list[str | None]) -> list[int]:
    """The positions of an upload's files (by kind) in the order to import them: schools,
    then communities, then teachers, then everything that points at them; stable otherwise.

    Example:
        >>> upload_order(["asistencia_sesiones", "comunidades", None, "establecimientos"])
        [3, 1, 0, 2]
    """
    return sorted(range(len(kinds)), key=lambda i: upload_rank(kinds[i]))


def _preview(table: Table, plan: Plan, limit: int = 10) -> pd.DataFrame:
    import pandas as pd

    rows = head_rows(table, limit)
    part = plan.parts[0] if plan.parts else None
    columns = [c.name for c in plan.dataset.columns]
    data: list[list[Any]] = []
    for n, row in enumerate(rows, start=2):
        values = []
        for col in plan.dataset.columns:
            b: Binding | None = part.bindings.get(col.target) if part else None
            values.append(_preview_value(b, row, n))
        data.append(values)
    return pd.DataFrame(data, columns=columns)


def _preview_value(b: Binding | None, row: list[str], n: int) -> str | None:
    if isinstance(b, Col):
        return row[b.index].strip() if b.index < len(row) else None
    if isinstance(b, FirstOf):
        return next((row[i].strip() for i in b.indexes if i < len(row) and row[i].strip()), None)
    if isinstance(b, Const):
        return b.value
    if isinstance(b, RowId):
        return f"{b.prefix}{n}"
    return None


def detect(
    source: Source,
    name: str | None = None,
    *,
    sheet: str | None = None,
    kind: str | None = None,
    mapping: list[MappingRow] | None = None,
    rbd: int | None = None,
    wave: str | None = None,
    store: Store | None = None,
) -> Detection:
    """Recognise a file: its kind, format, sheets, unknown columns, and a mapped preview.

    For a Forms export without a mapping (none given, none saved in ``store``),
    ``needs_mapping`` is True and ``proposed_mapping`` is a first guess to confirm.

    Example:
        >>> d = detect(b"AGNO;RBD;MRUN;PROM_GRAL;SIT_FIN\\n2024;1;5;6,1;P\\n", "r.csv")
        >>> d.kind, d.format
        ('resultados', 'mineduc_rendimiento')
    """
    with open_table(source, name, sheet=sheet) as table:
        plan = _plan(table, store, kind, mapping, rbd, wave, None)
        preview = _preview(table, plan)
        recognised = plan.format not in NOT_IMPORTED and not any(
            i.message.startswith("no se reconoce") for i in plan.issues
        )
        return Detection(
            file=table.name,
            kind=plan.dataset.kind if recognised else None,
            kind_label=plan.dataset.label if recognised else "desconocido",
            format=plan.format,
            format_label=plan.format_label,
            encoding=table.encoding,
            delimiter=table.delimiter,
            sheet=table.sheet,
            sheets=table.sheets,
            headers=table.headers,
            unknown_columns=plan.unknown,
            preview=preview,
            needs_mapping=plan.needs_mapping,
            proposed_mapping=plan.proposed_mapping,
            instrument=plan.instrument,
            issues=plan.issues,
            notes=plan.notes,
        )


class _DryRun(Exception):
    """Raised inside the transaction to roll a simulation back."""


class _OutsideScopeError(Exception):
    """Raised inside the transaction to roll back a file with schools outside the scope."""

    def __init__(self, rbds: list[int]) -> None:
        super().__init__(rbds)
        self.rbds = rbds


class _TerritoryChangeError(Exception):
    """Raised inside the transaction to roll back a file that would move schools in or out of
    territories the user does not administer."""

    def __init__(self, changes: list[tuple[int, str, bool]]) -> None:
        super().__init__(changes)
        self.changes = changes


def import_file(
    store: Store, source: Source, name: str | None = None, **options: Any
) -> ImportResult:
    """Import one file as one batch (see :func:`_import_file`, which does it).

    A Store opened ``read_only`` (the dashboard's) takes the write lock, and with it the file's
    exclusive turn, before staging: the staged rows are temporary tables of the cursor that
    then writes them, and the file cannot be reopened for writing under it.
    """
    if store.read_only:
        with store.write_lock:
            return _import_file(store, source, name, **options)
    return _import_file(store, source, name, **options)


def _import_file(
    store: Store,
    source: Source,
    name: str | None = None,
    *,
    kind: str | None = None,
    mapping: list[MappingRow] | None = None,
    rbd: int | None = None,
    actor: str,
    wave: str | None = None,
    sheet: str | None = None,
    instrument: str | None = None,
    respondent_kind: str | None = None,
    dry_run: bool = False,
    progress: Progress | None = None,
    scope: Scope | None = None,
    upload: Pending | None = None,
    origin: str | None = None,
    community: str | None = None,
) -> ImportResult:
    """Import one file as one batch; raise :class:`RefusedFileError` (nothing written) if bad.

    ``origin`` names where a file made by the app comes from (``"tablero"``: a record saved in
    a form, :mod:`metrics.imports.community_records`); it is kept in the batch's options, and such a
    file is never taken for a duplicate: saving the same record again after changing it is a
    new load. ``community`` names the community such a record is about (kept in the options as
    ``comunidad``: a coordinator may undo its own saves of its own communities).

    Every school, community, teacher or territory a row names must be in the store or, with
    ``upload``, brought by an earlier file of the same upload (a dry run writes nothing, so
    its files say what they would bring there); an imported file adds what it brings.

    With a ``scope``, a file with rows of any school outside it is refused whole
    (:class:`~metrics.errors.AccessError` naming the RBDs) and nothing is written. Every import
    and every refusal for scope is recorded in the audit log.

    Example:
        >>> from metrics.store import open_store
        >>> s = open_store(":memory:")
        >>> r = import_file(s, b"rbd;nombre\\n12;Escuela\\n", "e.csv", actor="doc")
        >>> (r.kind, r.rows_new, r.batch_id)
        ('establecimientos', 1, 1)
        >>> import_file(s, b"rbd;nombre\\n12;Escuela\\n", "e.csv", actor="doc").duplicate_of
        1
    """
    _notify(progress, 0.02, "Leyendo el archivo…")
    with open_table(source, name, sheet=sheet) as table:
        plan = _plan(table, store, kind, mapping, rbd, wave, instrument, respondent_kind)
        report = _start_report(table, plan)
        if report.error_count:
            raise RefusedFileError(report)
        if plan.dataset.kind == "slep" and scope is not None and not scope.is_all:
            raise AccessError(
                "Solo un administrador carga el listado de SLEP: define a qué SLEP pertenecen "
                "los establecimientos de muchas comunas. No se cargó nada.",
                "Carga rechazada",
            )
        cur = store.cursor()
        try:
            duplicate = (
                None
                if origin is not None
                else sql.find_duplicate(cur, plan.dataset.kind, table.file_hash)
            )
        finally:
            cur.close()
        if duplicate is not None:
            report.notes.append(f"Este archivo ya se cargó en la carga {duplicate}.")
            return ImportResult(
                table.name,
                plan.dataset.kind,
                plan.format,
                None,
                0,
                0,
                0,
                0,
                0,
                "",
                report,
                duplicate_of=duplicate,
                dry_run=dry_run,
            )
        result: ImportResult | None = None
        # Staging and validation happen before the write transaction (temporary tables only);
        # the transaction holds nothing but the writes.
        cur = store.cursor()
        stage: sql.Stage | None = None
        try:
            key = replace(load_key(store.path), scheme=sql.pseudonym_scheme(cur))
            _notify(progress, 0.1, "Cargando las filas en el área de trabajo…")
            stage, table = _stage(cur, table, plan, key)
            report.notes[0] = _format_note(table, plan)
            _notify(progress, 0.5, "Validando cada celda…")
            _check_staged(stage, report, table, upload if upload is not None else Pending())
            if not report.ok:
                _attach_data(report, table)
                raise RefusedFileError(report)
            brought = sql.provided_ids(stage) if upload is not None else {}
            _notify(progress, 0.7, "Guardando…")
            try:
                with store.write_lock, sql.transaction(cur):
                    batch = store.new_batch(
                        cur,
                        kind=plan.dataset.kind,
                        file_name=table.name,
                        file_hash=table.file_hash,
                        actor=actor,
                    )
                    written = sql.write(stage, key, batch)
                    written.skipped = stage.skipped
                    open_answers = sql.write_open_answers(stage, batch)
                    if open_answers:
                        report.notes.append(
                            f"{format_number(open_answers)} respuesta(s) abierta(s) guardadas "
                            "sin quién las escribió (página Revisión cualitativa)."
                        )
                    _territory_note(report, written.territory_changes)
                    options = {
                        k: v
                        for k, v in {
                            "rbd": rbd,
                            "ola": wave,
                            "hoja": table.sheet,
                            "instrumento": plan.instrument,
                            "origen": origin,
                            "comunidad": community,
                        }.items()
                        if v is not None
                    }
                    sql.finish_batch(cur, batch, written, plan.format, options)
                    schools = batch_schools(cur, batch)
                    if scope is not None:
                        outside = [r for r in schools if not scope.allows(r)]
                        if outside:
                            raise _OutsideScopeError(outside)
                        # Writes are scoped like reads: which territories a school belongs to
                        # changes only by whoever administers those territories.
                        foreign = [
                            c for c in written.territory_changes if not scope.administers(c[1])
                        ]
                        if foreign:
                            raise _TerritoryChangeError(foreign)
                    audit.append(
                        cur,
                        actor,
                        "carga",
                        {
                            "carga": batch,
                            "archivo": table.name,
                            "sha256": table.file_hash,
                            "tipo": plan.dataset.kind,
                            "formato": plan.format,
                            "filas": written.rows,
                            "nuevas": written.new,
                            "reemplazadas": written.replaced,
                            "periodo": written.period,
                            "rbds": schools,
                        },
                    )
                    if mapping is not None:
                        _save_mapping(cur, plan, mapping, actor)
                    result = ImportResult(
                        table.name,
                        plan.dataset.kind,
                        plan.format,
                        batch,
                        written.rows,
                        written.new,
                        written.replaced,
                        written.skipped,
                        written.schools_registered,
                        written.period,
                        report,
                        dry_run=dry_run,
                    )
                    if dry_run:
                        raise _DryRun
            except _DryRun:
                pass
            except _OutsideScopeError as exc:
                audit.record(
                    store,
                    actor,
                    "carga_rechazada",
                    {
                        "archivo": table.name,
                        "sha256": table.file_hash,
                        "tipo": plan.dataset.kind,
                        "motivo": "establecimientos fuera del alcance",
                        "fuera_de_alcance": exc.rbds,
                        "rbds": sorted(scope.rbds or ()) if scope is not None else [],
                    },
                )
                raise AccessError(outside_message(exc.rbds), "Carga rechazada") from None
            except _TerritoryChangeError as exc:
                audit.record(
                    store,
                    actor,
                    "carga_rechazada",
                    {
                        "archivo": table.name,
                        "sha256": table.file_hash,
                        "tipo": plan.dataset.kind,
                        "motivo": "cambia territorios que no administra",
                        "cambios": [
                            {"rbd": r, "territorio": t, "entra": j} for r, t, j in exc.changes
                        ],
                    },
                )
                raise AccessError(
                    territory_change_message(exc.changes), "Carga rechazada"
                ) from None
        finally:
            if stage is not None:
                stage.drop()
            cur.close()
    _notify(progress, 1.0, "Listo.")
    assert result is not None
    if upload is not None:
        upload.add(brought)
    if dry_run:
        result.batch_id = None
    return result


def _territory_note(report: Report, changes: list[tuple[int, str, bool]]) -> None:
    """Say how many schools joined or left a territory (a SLEP list gives a SLEP its schools)."""
    joined = len({rbd for rbd, _, j in changes if j})
    left = len({rbd for rbd, _, j in changes if not j})
    if not joined and not left:
        return
    text = f"Territorios: {format_number(joined)} establecimiento(s) entraron a un territorio"
    if left:
        text += f" y {format_number(left)} salieron de uno (deshacer la carga los devuelve)"
    report.notes.append(text + ".")


def _save_mapping(cur: Any, plan: Plan, mapping: list[MappingRow] | None, actor: str) -> None:
    if mapping is None or plan.instrument is None:
        return
    sql.save_mapping(
        cur, plan.instrument, [(m.question, m.dimension, m.reverse) for m in mapping], actor
    )


@dataclass(frozen=True)
class BatchInfo:
    """One load as a person recognises it: number, kind, file and date."""

    id: int
    kind: str
    file_name: str
    created_at: datetime
    undone_at: datetime | None = None
    outside: bool = False
    """It has rows of schools outside the scope of the person who asks: only its number shows."""

    def label(self) -> str:
        """«carga 5 (Asistencia a sesiones, sesiones.csv, 03-12-2026 10:15)»."""
        if self.outside:
            return f"carga {self.id} (con establecimientos fuera de su alcance)"
        kind = DATASETS[self.kind].label if self.kind in DATASETS else self.kind
        if self.kind == "demo":
            kind = "Demostración"
        return f"carga {self.id} ({kind}, {self.file_name}, {format_datetime(self.created_at)})"


@dataclass(frozen=True)
class UndoPlan:
    """What undoing a load means: the load, and every active load that depends on it (points
    at what it brought, or replaced rows of it), newest first: the order they are undone in."""

    batch: BatchInfo
    dependants: tuple[BatchInfo, ...]

    @property
    def ids(self) -> list[int]:
        """Every load undone together, in order (the dependants, then the load)."""
        return [b.id for b in self.dependants] + [self.batch.id]


class DependantsError(UploadError):
    """A load others depend on cannot be undone alone (nothing was undone)."""

    title = "Hay cargas que dependen de esta"

    def __init__(self, plan: UndoPlan) -> None:
        listed = "; ".join(b.label() for b in plan.dependants)
        super().__init__(
            f"No se puede deshacer la {plan.batch.label()} sola: "
            f"{count_label(len(plan.dependants), 'carga depende', 'cargas dependen')} de ella "
            f"(nombran lo que trajo o reemplazaron filas suyas): {listed}. Deshaga primero esas "
            "cargas (de la más reciente a la más antigua), o deshágalas todas juntas "
            "confirmando esta lista."
        )
        self.plan = plan


def _batch_info(cur: Any, batch_id: int) -> BatchInfo:
    row = sql.batch_row(cur, batch_id)
    if row is None:
        raise UploadError(
            f"No existe la carga número {batch_id}. Vea la lista con «tablero cargas»."
        )
    return BatchInfo(int(row[0]), str(row[1]), str(row[2]), row[3], row[4])


def _undo_plan(cur: Any, batch_id: int, scope: Scope | None = None) -> UndoPlan:
    batch = _batch_info(cur, batch_id)
    if batch.undone_at is not None:
        raise UploadError(
            f"La carga {batch_id} ya fue deshecha el {batch.undone_at:%d-%m-%Y %H:%M}."
        )
    others = []
    for other in dependants(cur, batch_id):
        info = _batch_info(cur, other)
        if scope is not None and any(not scope.allows(r) for r in batch_schools(cur, other)):
            info = replace(info, outside=True)
        others.append(info)
    return UndoPlan(batch, tuple(others))


def undo_plan(store: Store, batch_id: int, scope: Scope | None = None) -> UndoPlan:
    """The load ``batch_id`` and the active loads that depend on it (see :class:`UndoPlan`).
    With a ``scope``, a dependant with rows of other schools is named by its number only.

    Raises :class:`~metrics.errors.UploadError` when there is no such load or it was undone.
    """
    cur = store.cursor()
    try:
        return _undo_plan(cur, int(batch_id), scope)
    finally:
        cur.close()


def undo_batch(
    store: Store,
    batch_id: int,
    actor: str,
    scope: Scope | None = None,
    *,
    with_dependants: Collection[int] | None = None,
    own_communities: Collection[str] | None = None,
) -> dict[str, int]:
    """Undo a batch: its rows go, the rows it replaced come back. Returns rows per table.

    ``own_communities`` (a coordinator's): only loads ``actor`` saved in the app's forms about
    one of these communities may go, the load and every dependant alike; any other is refused
    (:class:`~metrics.errors.AccessError`, Spanish) and nothing is undone.

    A batch other active batches depend on (:func:`undo_plan`) is refused with
    :class:`DependantsError`, which lists them, unless ``with_dependants`` is exactly that
    list as the person confirmed it: then they are undone with it, newest first, in one
    transaction (a list that changed since it was shown is refused again). With a ``scope``,
    a batch that touches any school outside it is refused
    (:class:`~metrics.errors.AccessError`). Every undo is recorded in the audit log.
    """
    with store.write_lock, store.transaction() as cur:
        plan = _undo_plan(cur, int(batch_id), scope)
        if plan.dependants and (
            with_dependants is None
            or set(map(int, with_dependants)) != {b.id for b in plan.dependants}
        ):
            raise DependantsError(plan)
        if own_communities is not None:
            for batch in plan.ids:
                _check_own_record(cur, batch, plan.batch.id, actor, own_communities)
        counts: dict[str, int] = {}
        for batch in plan.ids:
            schools = batch_schools(cur, batch)
            if scope is not None and any(not scope.allows(r) for r in schools):
                raise AccessError(
                    f"La carga {batch} tiene filas de establecimientos fuera de su alcance; "
                    "no puede deshacerla."
                )
            if scope is not None:
                foreign = [
                    c for c in sql.undo_territory_changes(cur, batch) if not scope.administers(c[1])
                ]
                if foreign:
                    raise AccessError(
                        territory_change_message(foreign, undo=batch), "No se puede deshacer"
                    )
            undone = sql.undo(cur, batch, actor)
            detail: dict[str, Any] = {
                "carga": batch,
                "filas_quitadas": sum(v for k, v in undone.items() if ":" not in k),
                "filas_restauradas": sum(v for k, v in undone.items() if ":" in k),
                "rbds": schools,
            }
            if batch != plan.batch.id:
                detail["junto_con"] = plan.batch.id
            audit.append(cur, actor, "deshacer", detail)
            for table, rows in undone.items():
                counts[table] = counts.get(table, 0) + rows
        return counts


RECORD_ORIGIN = "tablero"
"""The ``origen`` of a load saved from the app's record forms (see :func:`import_file`)."""


def _check_own_record(
    cur: Any, batch: int, asked: int, actor: str, communities: Collection[str]
) -> None:
    """Refuse (Spanish) undoing ``batch`` unless ``actor`` saved it in a form about one of
    ``communities``; ``asked`` is the load the person chose (``batch`` may depend on it)."""
    who, options = sql.batch_owner(cur, batch)
    subject = f"La carga {batch}" + (
        f", que depende de la carga {asked}," if batch != asked else ""
    )
    if who != actor:
        raise AccessError(
            f"{subject} la hizo otra persona: su perfil de coordinación deshace solo los "
            "registros que guardó usted. No se deshizo nada; pídalo al equipo directivo.",
            "No se puede deshacer",
        )
    if options.get("origen") != RECORD_ORIGIN or options.get("comunidad") not in communities:
        raise AccessError(
            f"{subject} no es un registro de sus comunidades guardado en el tablero: su perfil "
            "de coordinación deshace solo esos. No se deshizo nada.",
            "No se puede deshacer",
        )


def own_record_loads(store: Store, actor: str, communities: Collection[str]) -> list[int]:
    """The active loads ``actor`` saved in the app's forms about one of ``communities``,
    newest first: what a coordinator may undo (:func:`undo_batch` ``own_communities``)."""
    cur = store.cursor()
    try:
        return sql.own_record_batches(cur, actor, RECORD_ORIGIN, communities)
    finally:
        cur.close()


def list_batches(store: Store, limit: int = 100) -> pd.DataFrame:
    """The batch history, newest first (ids, kind, file, period, counts, who, when, undone)."""
    cur = store.cursor()
    try:
        return sql.batch_history(cur, limit)
    finally:
        cur.close()


def saved_mappings(store: Store) -> dict[str, list[MappingRow]]:
    """Saved Forms mappings by instrument."""
    cur = store.cursor()
    try:
        return {
            k: [MappingRow(question=q, dimension=d, reverse=r) for q, d, r in rows]
            for k, rows in sql.load_mappings(cur).items()
        }
    finally:
        cur.close()


def file_label(source: Source, name: str | None) -> str:
    return name or (Path(source).name if not isinstance(source, bytes) else "archivo")
