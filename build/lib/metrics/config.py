"""Settings declared once: where the store lives and the knobs every module shares.

Resolution of the database path: ``--db`` on the CLI, else ``TABLERO_DB``, else
``data/tablero.duckdb`` under the current directory.
"""

from __future__ import annotations

import os
import stat
import tempfile
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


def staging_root() -> Path:
    """The folder the importer copies uploads into, readable by their owner only.

    It is the only folder the store's DuckDB may read files from (external access is off
    everywhere else), so it must be a real folder of this user, not a link planted by another.
    """
    uid = os.getuid() if hasattr(os, "getuid") else 0
    root = Path(tempfile.gettempdir()) / f"tablero-import-{uid}"
    root.mkdir(mode=0o700, exist_ok=True)
    info = root.lstat()
    if stat.S_ISLNK(info.st_mode) or not stat.S_ISDIR(info.st_mode) or info.st_uid != uid:
        from metrics.errors import StoreError

        raise StoreError(
            f"La carpeta de trabajo {root} no es una carpeta propia de este usuario. Bórrela "
            "e intente de nuevo."
        )
    if stat.S_IMODE(info.st_mode) != 0o700:
        os.chmod(root, 0o700)
    return root
