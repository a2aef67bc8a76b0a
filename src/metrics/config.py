"""Settings declared once: where the store lives and the knobs every module shares.

Resolution of the database path: ``--db`` on the CLI, else ``TABLERO_DB``, else
``data/tablero.duckdb`` under the current directory.
"""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_DB = Path("data") / "tablero.duckdb"
ENV_DB = "TABLERO_DB"
ENV_DEMO_MODE = "TABLERO_DEMO"

MIN_GROUP_SIZE = 10
"""Student-based values from fewer students than this are suppressed (DOMAIN.md)."""

DEMO_SEED = 20231
"""Seed of the bundled demo store; the same seed gives the same store."""


def resolve_db_path(cli_value: str | os.PathLike[str] | None = None) -> Path:
    """Return the database path: CLI value, then ``TABLERO_DB``, then the default.

    >>> resolve_db_path("/tmp/x.duckdb")
    PosixPath('/tmp/x.duckdb')
    """
    if cli_value:
        return Path(cli_value)
    env = os.environ.get(ENV_DB)
    if env:
        return Path(env)
    return DEFAULT_DB
