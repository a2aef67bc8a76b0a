"""The error hierarchy: every failure a user can see, with a Spanish title and message.

Code raises these; the edges (CLI, pages) show ``title`` and ``message`` and never a traceback.
``message`` may name files on the server (the CLI's operator needs them); a page shows
:meth:`TableroError.public_message` instead, which names none.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import Path

_ABSOLUTE_PATH = re.compile(
    r"""(?<![\w.:/\\~])/(?:[^\s/«»"'`()\[\]<>,;|]+/)+[^\s/«»"'`()\[\]<>,;|]*"""
    r"""|(?<![\w])[A-Za-z]:\\[^\s«»"'`<>|]*"""
    r"""|(?<![\w/])~/[^\s«»"'`<>|]*"""
)
"""A POSIX path with at least two parts (``/srv/x``), a Windows path or a home-relative one;
not a URL (``http://x/y``), a date (``1/2/24``) or a unit (``sesiones/mes``)."""


def redact_paths(text: str, paths: Iterable[str | os.PathLike[str]] = ()) -> str:
    """``text`` without server paths: each of ``paths`` (as given or absolute) goes with the
    space before it, so «La base de datos /srv/t.duckdb está abierta» reads «La base de datos
    está abierta»; any other absolute path becomes «…».

    >>> redact_paths("La base de datos /srv/t.duckdb está abierta.", ["/srv/t.duckdb"])
    'La base de datos está abierta.'
    >>> redact_paths('No se pudo leer "/tmp/x/upload.csv" (1/2/24, sesiones/mes).')
    'No se pudo leer "…" (1/2/24, sesiones/mes).'
    """
    known: set[str] = set()
    for p in paths:
        if str(p) in ("", ":memory:"):
            continue
        known.update({str(p), str(Path(p).resolve()), str(Path(p).expanduser().absolute())})
    for p in sorted(known, key=len, reverse=True):
        text = text.replace(" " + p, "").replace(p, "…")
    return _ABSOLUTE_PATH.sub("…", text)


class TableroError(Exception):
    """Base error: ``message`` says what happened and how to fix it, in Spanish."""

    title = "Error"

    def __init__(self, message: str, title: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if title is not None:
            self.title = title

    def __str__(self) -> str:
        return self.message

    def public_message(self, paths: Iterable[str | os.PathLike[str]] = ()) -> str:
        """The message for a web user: no path on the server (``paths``: those it may name,
        such as the store's, removed with the space before them; any other absolute path
        becomes «…»)."""
        return redact_paths(self.message, paths)


class StoreError(TableroError):
    """The database could not be opened, read or written."""

    title = "Error en la base de datos"


class SchemaVersionError(StoreError):
    """The database file was written by a newer version of Tablero DPD."""

    title = "Versión de la base de datos no compatible"


class StoreLockedError(StoreError):
    """Another process holds the database file."""

    title = "Base de datos en uso"


class UploadError(TableroError):
    """A file could not be imported."""

    title = "No se pudo cargar el archivo"


class FormatError(UploadError):
    """A file is not in a format Tablero DPD can read."""

    title = "Formato de archivo no reconocido"


class AccessError(TableroError):
    """The current user may not see or change what was asked for."""

    title = "Acceso denegado"
