"""Readers and format declarations: what a CSV or XLSX file holds, never where it goes.

Datasets (the store's tables as users know them), the official formats (Mineduc directory,
results, monthly attendance; Agencia SIMCE; Google and Microsoft Forms) detected from their
headers, the readers (encodings, separators, XLSX) and the validation report. The import
service above it is :mod:`metrics.imports`; this package imports neither the store nor duckdb
nor streamlit.
"""

from metrics.ingest.datasets import DATASETS, DEFAULT_DIMENSIONS, KIND_LABELS, Column, Dataset
from metrics.ingest.formats import FORMAT_LABELS, MappingRow, propose_mapping, read_mapping
from metrics.ingest.report import Issue, Report
from metrics.ingest.templates import codes_table, template_csv, template_xlsx

__all__ = [
    "DATASETS",
    "DEFAULT_DIMENSIONS",
    "FORMAT_LABELS",
    "KIND_LABELS",
    "Column",
    "Dataset",
    "Issue",
    "MappingRow",
    "Report",
    "codes_table",
    "propose_mapping",
    "read_mapping",
    "template_csv",
    "template_xlsx",
]
