"""The import service: a file in, a load (batch) out — above :mod:`metrics.ingest` and the store.

CSV and XLSX, official formats, clear errors.

The public API, for the CLI (``tablero importar``, ``tablero plantilla``, ``tablero cargas``)
and the pages "Cargar datos" and "Historial de cargas"::

    from metrics import imports

    d = imports.detect(data, "rendimiento_2024.csv")        # kind, format, sheets, preview
    d.kind, d.format_label, d.unknown_columns, d.preview    # preview: first rows, mapped
    d.needs_mapping, d.proposed_mapping                      # Forms: confirm, then pass it on

    report = imports.validate(data, "rendimiento_2024.csv")  # nothing written
    report.ok, report.lines(), report.to_xlsx()              # every bad cell; XLSX bytes

    result = imports.import_file(store, data, "rendimiento_2024.csv", actor="ana",
                                progress=lambda f, msg: bar.progress(f, msg))
    result.batch_id, result.rows_new, result.rows_replaced, result.duplicate_of
    result.summary()                                         # one Spanish sentence

    imports.list_batches(store)                               # DataFrame, newest first
    imports.undo_batch(store, batch_id, actor="ana")          # exact state before it
    imports.undo_plan(store, batch_id).dependants             # loads that point at it
    imports.own_record_loads(store, actor, communities)       # what a coordinator may undo
    imports.template_csv("resultados"), imports.template_xlsx("resultados")

``source`` is a path or the uploaded bytes (then pass ``name``). A bad file raises
:class:`RefusedFileError` (an :class:`~metrics.errors.UploadError`) whose ``report`` holds every
problem (file, Excel row, column, value, Spanish fix); nothing is written. Kinds are the keys of
:data:`DATASETS`; the official formats (Mineduc directory, results, monthly attendance; Agencia
SIMCE; Google and Microsoft Forms) are detected from their headers.

It never imports duckdb (the SQL lives in :mod:`metrics.store.loads`) nor streamlit; what a file
holds is decided by :mod:`metrics.ingest` (readers and format declarations).
"""

from metrics.imports.pipeline import (
    BatchInfo,
    DependantsError,
    Detection,
    ImportResult,
    RefusedFileError,
    UndoPlan,
    detect,
    import_file,
    list_batches,
    own_record_loads,
    saved_mappings,
    undo_batch,
    undo_plan,
    upload_order,
    validate,
)
from metrics.ingest.datasets import DATASETS, DEFAULT_DIMENSIONS, KIND_LABELS, Column, Dataset
from metrics.ingest.formats import FORMAT_LABELS, MappingRow, propose_mapping, read_mapping
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
    "own_record_loads",
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
