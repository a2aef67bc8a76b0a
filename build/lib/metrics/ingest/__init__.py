"""Importing data that supervisors trust: CSV and XLSX, official formats, clear errors.

The public API, for the CLI (``tablero importar``, ``tablero plantilla``, ``tablero cargas``)
and the pages "Cargar datos" and "Historial de cargas"::

    from metrics import ingest

    d = ingest.detect(data, "rendimiento_2024.csv")        # kind, format, sheets, preview
    d.kind, d.format_label, d.unknown_columns, d.preview    # preview: first rows, mapped
    d.needs_mapping, d.proposed_mapping                      # Forms: confirm, then pass it on

    report = ingest.validate(data, "rendimiento_2024.csv")  # nothing written
    report.ok, report.lines(), report.to_xlsx()              # every bad cell; XLSX bytes

    result = ingest.import_file(store, data, "rendimiento_2024.csv", actor="ana",
                                progress=lambda f, msg: bar.progress(f, msg))
    result.batch_id, result.rows_new, result.rows_replaced, result.duplicate_of
    result.summary()                                         # one Spanish sentence

    ingest.list_batches(store)                               # DataFrame, newest first
    ingest.undo_batch(store, batch_id, actor="ana")          # exact state before it
    ingest.undo_plan(store, batch_id).dependants             # loads that point at it
    ingest.template_csv("resultados"), ingest.template_xlsx("resultados")

``source`` is a path or the uploaded bytes (then pass ``name``). A bad file raises
:class:`RefusedFileError` (an :class:`~metrics.errors.UploadError`) whose ``report`` holds every
problem (file, Excel row, column, value, Spanish fix); nothing is written. Kinds are the keys of
:data:`DATASETS`; the official formats (Mineduc directory, results, monthly attendance; Agencia
SIMCE; Google and Microsoft Forms) are detected from their headers.

This package never imports duckdb (SQL lives in :mod:`metrics.store.imports`) nor streamlit.
"""

from metrics.ingest.datasets import DATASETS, DEFAULT_DIMENSIONS, KIND_LABELS, Column, Dataset
from metrics.ingest.formats import FORMAT_LABELS, MappingRow, propose_mapping, read_mapping
from metrics.ingest.pipeline import (
    BatchInfo,
    DependantsError,
    Detection,
    ImportResult,
    RefusedFileError,
    UndoPlan,
    detect,
    import_file,
    list_batches,
    saved_mappings,
    undo_batch,
    undo_plan,
    upload_order,
    validate,
)
from metrics.ingest.report import Issue, Report
from metrics.ingest.templates import codes_table, template_csv, template_xlsx
from metrics.store.references import Pending

__all__ = [
    "DATASETS",
    "DEFAULT_DIMENSIONS",
    "FORMAT_LABELS",
    "KIND_LABELS",
    "BatchInfo",
    "Column",
    "Dataset",
    "DependantsError",
    "Detection",
    "ImportResult",
    "Issue",
    "MappingRow",
    "Pending",
    "RefusedFileError",
    "Report",
    "UndoPlan",
    "codes_table",
    "detect",
    "import_file",
    "list_batches",
    "propose_mapping",
    "read_mapping",
    "saved_mappings",
    "template_csv",
    "template_xlsx",
    "undo_batch",
    "undo_plan",
    "upload_order",
    "validate",
]
