"""The store: the only package that imports duckdb and holds SQL.

Everything that reads or writes data goes through :class:`Store`; every read takes a
:class:`~metrics.scope.Scope`.
"""

from metrics.store.core import (
    DATASET_LABELS,
    SCOPED_READS,
    Store,
    StoreInfo,
    open_store,
    scope_clause,
)
from metrics.store.schema import DATA_TABLES, LATEST_VERSION

__all__ = [
    "DATASET_LABELS",
    "DATA_TABLES",
    "LATEST_VERSION",
    "SCOPED_READS",
    "Store",
    "StoreInfo",
    "open_store",
    "scope_clause",
]
