"""The error hierarchy: every failure a user can see, with a Spanish title and message.

Code raises these; the edges (CLI, pages) show ``title`` and ``message`` and never a traceback.
"""

from __future__ import annotations


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
