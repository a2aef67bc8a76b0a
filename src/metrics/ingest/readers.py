"""Readers: turn an uploaded CSV or XLSX into a UTF-8 CSV on disk that DuckDB can stream.

What a reader decides, from the bytes and never from the extension alone:

* the container: text (CSV) or an XLSX workbook; a file whose content does not match its
  extension is refused, and so are old ``.xls``, binary files and empty ones;
* the encoding: UTF-8 (with or without BOM) is read in place; Windows-1252 / Latin-1 and
  UTF-16 (with or without BOM) are transcoded, streaming, to a temporary UTF-8 file (DuckDB
  has no Windows-1252 reader without an extension, and ``latin-1`` maps 0x80-0x9F
  differently);
* what DuckDB would read wrongly or report in English: a NUL byte, a line over 2 MB, a header
  that opens a quote and never closes it (refused here with row and column), line ends of two
  kinds (explained by :meth:`Table.diagnose` when DuckDB gives up);
* the separator (``;`` ``,`` tab or ``|``, as the Agencia's older ``.txt`` files), counted
  outside quotes on the header line;
* for XLSX: the uncompressed size first (zip bombs), then the sheet, read with openpyxl in
  read-only mode (defusedxml installed) and written row by row to a temporary CSV whose first
  column is the Excel row number; formula cells without a cached value are refused by cell.

Every upload is read in a private work folder (:func:`work_folder`: 0700, files 0600) that is
removed on the way out, and by the next import or command when a kill left it behind.

A reader never holds a whole file in memory, and never parses rows: DuckDB does
(:mod:`metrics.store.loads`). Everything a user sees is a Spanish :class:`FormatError`
naming the file, the row and the column.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import os
import re
import shutil
import tempfile
import time as clock
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any, Literal

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

from metrics.config import staging_root
from metrics.errors import FormatError, UploadError
from metrics.formatting import format_number
from metrics.ingest.text import column_letter

ENV_MAX_UPLOAD_MB = "TABLERO_MAX_UPLOAD_MB"
ENV_MAX_XLSX_MB = "TABLERO_MAX_XLSX_MB"
DEFAULT_MAX_UPLOAD_MB = 2048
"""The national Rendimiento file is ~700 MB; anything much larger is a mistake."""
DEFAULT_MAX_XLSX_MB = 400
"""Uncompressed size limit of an XLSX (the SIMCE files are ~8 MB uncompressed)."""
MAX_ZIP_RATIO = 150
"""An XLSX part that compresses better than this is treated as a zip bomb."""

TEXT_EXTENSIONS = {".csv", ".txt", ".tsv"}
XLSX_EXTENSIONS = {".xlsx", ".xlsm"}
SEPARATORS = (";", ",", "\t", "|")
SEPARATOR_NAMES = {";": "punto y coma", ",": "coma", "\t": "tabulación", "|": "barra vertical"}
_CHUNK = 1 << 20


def max_upload_bytes() -> int:
    return int(float(os.environ.get(ENV_MAX_UPLOAD_MB, DEFAULT_MAX_UPLOAD_MB)) * 1_048_576)


def max_xlsx_bytes() -> int:
    return int(float(os.environ.get(ENV_MAX_XLSX_MB, DEFAULT_MAX_XLSX_MB)) * 1_048_576)


@dataclass
class Table:
    """A file ready for DuckDB: a UTF-8 CSV on disk with known separator and headers."""

    name: str
    """The file's name as the user knows it (used in every message)."""
    path: Path
    """UTF-8 CSV that DuckDB reads (the upload itself when it already was one)."""
    delimiter: str
    headers: list[str]
    container: Literal["csv", "xlsx"]
    encoding: str
    """Encoding of the original file, in words for the report."""
    file_hash: str
    size: int
    row_column: bool = False
    """True when the CSV's first column is the Excel row number (converted XLSX)."""
    sheet: str | None = None
    sheets: list[str] = field(default_factory=list)
    header_row: int = 1
    issues: list[tuple[int, str, str, str]] = field(default_factory=list)
    """Problems found while converting (row, column, value, message)."""
    original: Path | None = None
    workdir: Path | None = None

    def as_cp1252(self) -> Table:
        """The same text file read again as Windows-1252 (invalid UTF-8 found past the sample)."""
        if self.container != "csv" or self.original is None or self.workdir is None:
            raise refuse(self.name, "el archivo tiene caracteres no válidos.")
        return _open_text(self.original, self.name, self.workdir, self.size, "cp1252")

    def diagnose(self) -> tuple[int, str, str]:
        """(row, column, Spanish message) of why this CSV could not be read as rows: called
        when DuckDB gave up on it (its message is English and names the work folder)."""
        found = _mixed_line_end(self.path) if self.container == "csv" else None
        if found is not None:
            offset, expected, got = found
            row, column = locate(self.path, offset, self.delimiter)
            return (
                row,
                self.column_label(column),
                f"esta fila termina con un salto de línea {got} y la de encabezados con "
                f"{expected}: el archivo mezcla dos formatos de fin de línea (por ejemplo, "
                "partes copiadas de archivos distintos). Ábralo en su planilla y guárdelo de "
                "nuevo como «CSV UTF-8».",
            )
        return (
            1,
            self.column_label(0),
            "no se pudo leer como CSV: sus filas no tienen una estructura regular (revise "
            "comillas y saltos de línea). Ábralo en su planilla y guárdelo de nuevo como "
            "«CSV UTF-8».",
        )

    def column_label(self, index: int) -> str:
        """How a user finds column ``index``: its header and its letter."""
        header = self.headers[index] if index < len(self.headers) else ""
        if len(header) > 60:  # a header that is really a damaged line's text
            header = header[:59] + "…"
        letter = column_letter(index)
        return f"{header} ({letter})" if header else letter


def refuse(name: str, message: str, row: int = 1, column: str = "A") -> FormatError:
    """A FormatError whose message names file, row and column."""
    return FormatError(f"{name}, fila {row}, columna {column}: {message}")


@contextmanager
def open_table(
    source: str | os.PathLike[str] | bytes,
    name: str | None = None,
    *,
    sheet: str | None = None,
) -> Iterator[Table]:
    """Open an upload (a path or its bytes) as a :class:`Table`; temporary files are removed.

    Example:
        >>> with open_table(b"rbd;nombre\\r\\n1;Escuela\\r\\n", "e.csv") as t:
        ...     (t.delimiter, t.headers, t.encoding)
        (';', ['rbd', 'nombre'], 'UTF-8')
    """
    # DuckDB may read files only under the staging root (see metrics.store.core._harden), so
    # every upload is read from a copy (or a hard link) there.
    with work_folder() as workdir:
        if isinstance(source, bytes | bytearray):
            if name is None:
                raise UploadError("Falta el nombre del archivo cargado.")
            path = workdir / ("upload" + Path(name).suffix.lower())
            with _create_private(path) as fh:
                fh.write(source)
        else:
            original = Path(source)
            name = name or original.name
            if not original.is_file():
                raise UploadError(f"{name}: no existe el archivo o no es un archivo.")
            path = workdir / ("upload" + original.suffix.lower())
            try:
                # The user's own file under a second name (no copy of its bytes): it keeps
                # the original's permissions, and only this user can reach the work folder.
                os.link(original, path)
            except OSError:  # another file system, or links not allowed
                with original.open("rb") as src, _create_private(path) as dst:
                    shutil.copyfileobj(src, dst, _CHUNK)
        assert name is not None
        yield _open(path, name, workdir, sheet)


# -- work folders ---------------------------------------------------------------------------

WORK_PREFIX = "carga-"
_OWNER_LOCK = ".dueno.lock"
"""Inside each work folder: locked by the importing process for as long as it runs."""
_UNLOCKED_AGE = 3600
"""Seconds after which a work folder without an owner lock counts as abandoned."""
_ROOT_LOCK = ".carpetas.lock"
"""In the staging root: shared while a folder is being created, exclusive while sweeping."""


def _create_private(path: Path) -> io.BufferedWriter:
    """A new file only its owner may read (0600), never one that existed or a link."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    return os.fdopen(os.open(path, flags, 0o600), "wb")


def _lock_file(path: Path) -> int:
    return os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o600)


@contextmanager
def work_folder() -> Iterator[Path]:
    """A private folder (0700) under the staging root, removed on every way out.

    The folder holds a lock file that this process keeps locked (``flock``) while it works;
    the kernel releases it when the process ends, however it ends, so a folder whose lock can
    be taken belongs to nobody: :func:`sweep_work_folders` removes it (what a killed import
    leaves), and never a folder of an import still running, in this or another process.
    """
    root = staging_root()
    with suppress(OSError):  # a folder that cannot be removed must not stop this import
        sweep_work_folders(root)
    root_fd = _lock_file(root / _ROOT_LOCK)
    owner_fd = -1
    try:
        _flock(root_fd, "shared")
        workdir = Path(tempfile.mkdtemp(prefix=WORK_PREFIX, dir=root))  # mode 0700
        owner_fd = _lock_file(workdir / _OWNER_LOCK)
        _flock(owner_fd, "exclusive")
        os.write(owner_fd, f"{os.getpid()}\n".encode())  # for a person looking at the folder
    finally:
        os.close(root_fd)  # releases the shared lock: the folder is complete and owned
    try:
        yield workdir
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
        os.close(owner_fd)


def sweep_work_folders(root: Path | None = None) -> int:
    """Remove the work folders whose importing process is gone; return how many.

    Called before every import (and by the CLI at start): a killed import's raw copy of its
    file does not outlive the next command. A folder whose owner lock is held is left alone.
    """
    if fcntl is None:  # pragma: no cover - no flock (Windows): folders go at the import's end
        return 0
    root = root or staging_root()
    removed = 0
    root_fd = _lock_file(root / _ROOT_LOCK)
    try:
        _flock(root_fd, "exclusive")  # no folder is half created while we look
        for entry in os.scandir(root):
            if not entry.name.startswith(WORK_PREFIX) or not entry.is_dir(follow_symlinks=False):
                continue
            folder = Path(entry.path)
            try:
                fd = os.open(folder / _OWNER_LOCK, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
            except FileNotFoundError:
                # Killed before locking, or made by a version without locks that may still
                # be running (an app not yet restarted): removed once surely abandoned.
                if clock.time() - entry.stat(follow_symlinks=False).st_mtime < _UNLOCKED_AGE:
                    continue
                fd = -1
            except OSError:
                continue
            try:
                if fd >= 0 and not _flock(fd, "exclusive", wait=False):
                    continue  # a live import
                shutil.rmtree(folder, ignore_errors=True)
                removed += 1
            finally:
                if fd >= 0:
                    os.close(fd)
    finally:
        os.close(root_fd)
    return removed


def _flock(fd: int, mode: Literal["shared", "exclusive"], wait: bool = True) -> bool:
    """Take an flock on ``fd``; False when ``wait`` is off and another holder has it."""
    if fcntl is None:  # pragma: no cover - Windows
        return True
    op = fcntl.LOCK_SH if mode == "shared" else fcntl.LOCK_EX
    try:
        fcntl.flock(fd, op if wait else op | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _open(path: Path, name: str, workdir: Path, sheet: str | None) -> Table:
    size = path.stat().st_size
    limit = max_upload_bytes()
    if size > limit:
        raise refuse(
            name,
            f"el archivo pesa {format_number(size / 1_048_576)} MB y el límite es "
            f"{format_number(limit / 1_048_576)} MB. Divídalo (por ejemplo, por región) o pida "
            f"que se aumente el límite ({ENV_MAX_UPLOAD_MB}).",
        )
    if size == 0:
        raise refuse(name, "el archivo está vacío. Exporte de nuevo los datos con encabezados.")
    with path.open("rb") as fh:
        head = fh.read(8)
    ext = Path(name).suffix.lower()
    is_zip = head.startswith(b"PK\x03\x04")
    is_ole = head.startswith(bytes.fromhex("D0CF11E0A1B11AE1"))
    if ext not in TEXT_EXTENSIONS | XLSX_EXTENSIONS:
        raise refuse(
            name,
            f"la extensión «{ext or '(ninguna)'}» no se admite. Suba un archivo .csv o .xlsx.",
        )
    if is_ole:
        raise refuse(
            name,
            "es un libro de Excel antiguo (.xls) u otro documento de Office. Ábralo en Excel y "
            "guárdelo como «Libro de Excel (.xlsx)» o como CSV.",
        )
    if ext in XLSX_EXTENSIONS:
        if not is_zip:
            raise refuse(
                name,
                f"tiene extensión {ext} pero no es un libro de Excel (su contenido parece "
                "texto u otro formato). Si es un CSV, cambie la extensión a .csv.",
            )
        return _open_xlsx(path, name, workdir, sheet, size)
    if is_zip:
        raise refuse(
            name,
            f"tiene extensión {ext} pero es un archivo comprimido (probablemente un libro de "
            "Excel). Cambie la extensión a .xlsx o expórtelo como CSV.",
        )
    return _open_text(path, name, workdir, size)


# -- text ---------------------------------------------------------------------------------


def _looks_binary(sample: bytes) -> bool:
    # A few NUL bytes in text are a damaged cell (refused with its row, see _scan_text);
    # many are a binary file.
    if sample.count(0) > 16:
        return True
    controls = sum(1 for b in sample if b < 32 and b not in (0, 9, 10, 13, 12))
    return controls > max(8, len(sample) // 50)


def _utf16_without_bom(sample: bytes) -> str | None:
    """``utf-16-le``/``-be`` when the sample is UTF-16 text without a BOM (None otherwise).

    Text in Spanish is almost all below U+0100, so one byte of every pair is zero: on the odd
    bytes (little-endian) or the even ones (big-endian), and almost never on the others.
    """
    n = len(sample) // 2 * 2
    if n < 4:
        return None
    half = n // 2
    zeros_even, zeros_odd = sample[0:n:2].count(0), sample[1:n:2].count(0)
    if zeros_odd >= 0.9 * half and zeros_even <= 0.1 * half:
        codec = "utf-16-le"
    elif zeros_even >= 0.9 * half and zeros_odd <= 0.1 * half:
        codec = "utf-16-be"
    else:
        return None
    try:
        text = codecs.getincrementaldecoder(codec)().decode(sample[:n], final=False)
    except UnicodeDecodeError:
        return None
    return None if _looks_binary(text.encode("utf-8")) else codec


def _cp1252_fallback(err: UnicodeError) -> tuple[str, int]:
    # The five bytes Windows-1252 leaves undefined decode as Latin-1 (their C1 control).
    assert isinstance(err, UnicodeDecodeError)
    return err.object[err.start : err.end].decode("latin-1"), err.end


codecs.register_error("tablero-cp1252", _cp1252_fallback)


def _sample_is_utf8(sample: bytes, complete: bool) -> bool:
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=complete)
    except UnicodeDecodeError:
        return False
    return True


def _open_text(
    path: Path, name: str, workdir: Path, size: int, force_codec: str | None = None
) -> Table:
    with path.open("rb") as fh:
        sample = fh.read(65536)
    encoding = "UTF-8"
    source_codec: str | None = force_codec
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding, source_codec = "UTF-16", "utf-16"
    elif force_codec is None and (utf16 := _utf16_without_bom(sample)) is not None:
        encoding, source_codec = "UTF-16 (sin BOM)", utf16
    elif _looks_binary(sample):
        raise refuse(
            name,
            "no es un archivo de texto (contiene datos binarios). Suba el CSV exportado desde "
            "su planilla, o el .xlsx con la extensión correcta.",
        )
    elif sample.startswith(codecs.BOM_UTF8):
        encoding = "UTF-8 con BOM"
    # The first 64 KiB decide the encoding; a file that turns out not to be UTF-8 further on
    # is caught by DuckDB (INVALID ENCODING) and read again transcoded (see Table.as_cp1252).
    if source_codec is None and not _sample_is_utf8(sample, complete=len(sample) < 65536):
        source_codec = "cp1252"
    if source_codec == "cp1252":
        encoding = "Windows-1252 (Latin-1)"
    csv_path = path
    digest = hashlib.sha256()
    if source_codec is None:  # one pass hashes the file and looks for what DuckDB cannot read
        scan = _scan_text(path, digest)
    else:
        with path.open("rb") as fh:
            digest = hashlib.file_digest(fh, "sha256")
        csv_path = workdir / "transcoded.csv"
        _transcode(path, csv_path, source_codec)
        scan = _scan_text(csv_path)
    header_line = _first_line(csv_path)
    if not header_line.strip():
        raise refuse(name, "la primera fila está vacía: debe tener los nombres de las columnas.")
    delimiter = sniff_delimiter(header_line)
    if (opened := _unclosed_quote(header_line)) is not None:
        column = sum(p.count(delimiter) for p in header_line[:opened].split('"')[0::2])
        raise refuse(
            name,
            "la fila de encabezados abre comillas en esta columna y no las cierra, así que "
            "el archivo no se puede separar en columnas. Quite esas comillas o ciérrelas.",
            1,
            column_letter(column),
        )
    try:
        headers = next(csv.reader([header_line], delimiter=delimiter, quotechar='"'), [])
    except csv.Error:  # a header cell longer than the csv module's field limit
        headers = header_line.split(delimiter)
    headers = [h.strip().lstrip("\ufeff") for h in headers]
    table = Table(
        name=name,
        path=csv_path,
        delimiter=delimiter,
        headers=headers,
        container="csv",
        encoding=encoding,
        file_hash=digest.hexdigest(),
        size=size,
        original=path,
        workdir=workdir,
    )
    problems = [
        (offset, message)
        for offset, message in (
            (scan.nul, _NUL_MESSAGE),
            (None if scan.long_line is None else scan.long_line + MAX_LINE_BYTES, _LONG_MESSAGE),
        )
        if offset is not None
    ]
    if problems:
        offset, message = min(problems)
        row, column = locate(csv_path, offset, delimiter)
        raise refuse(name, message, row, table.column_label(column))
    return table


def _unclosed_quote(line: str) -> int | None:
    """Index of the quote that opens a cell never closed on ``line`` (None: all closed)."""
    opened: int | None = None
    for i, ch in enumerate(line):
        if ch == '"':
            opened = i if opened is None else None
    return opened


MAX_LINE_BYTES = 2_000_000
"""The longest line DuckDB reads (its default ``max_line_size``); a longer one is refused
before reading, with the row and the column where it passes the limit."""
_NUL_MESSAGE = (
    "la celda tiene un carácter nulo (el byte 0), que no es texto: el archivo está dañado o no "
    "se exportó como texto. Borre ese carácter o exporte de nuevo el archivo como CSV."
)
_LONG_MESSAGE = (
    "la fila mide más de 2 MB (el máximo por fila) y pasa ese límite en esta columna: una "
    "celda con un texto enorme o filas sin salto de línea entre ellas. Corrija la celda o "
    "exporte de nuevo el archivo."
)


_LINE_ENDS = {b"\r\n": "CRLF (Windows)", b"\n": "LF", b"\r": "CR (Mac antiguo)"}
_OTHER_ENDS = {
    b"\r\n": re.compile(rb"\r(?!\n)|(?<!\r)\n"),
    b"\n": re.compile(rb"\r\n?"),
    b"\r": re.compile(rb"\r?\n"),
}


def _mixed_line_end(path: Path) -> tuple[int, str, str] | None:
    """(offset, expected, found) of the first line break, outside quotes, that is not of the
    header's kind (CRLF, LF or CR); None when every break is."""
    with path.open("rb") as fh:
        head = fh.read(1 << 20)
        first = _first_break(head)
        if first < 0:
            return None
        expected = b"\r\n" if head[first : first + 2] == b"\r\n" else head[first : first + 1]
        fh.seek(0)
        pattern, quoted, position = _OTHER_ENDS[expected], False, 0
        while chunk := fh.read(_CHUNK):
            if chunk.endswith(b"\r"):  # keep a CRLF in one chunk
                chunk += fh.read(1)
            part_at = position
            for n, part in enumerate(chunk.split(b'"')):
                if n:
                    quoted = not quoted
                    part_at += 1
                if not quoted and (m := pattern.search(part)) is not None:
                    return part_at + m.start(), _LINE_ENDS[expected], _LINE_ENDS[m.group()]
                part_at += len(part)
            position += len(chunk)
    return None


@dataclass
class _Scan:
    nul: int | None = None
    """Byte offset of the first NUL."""
    long_line: int | None = None
    """Byte offset where the first line longer than :data:`MAX_LINE_BYTES` starts."""


def _first_break(chunk: bytes) -> int:
    found = [i for i in (chunk.find(b"\n"), chunk.find(b"\r")) if i >= 0]
    return min(found) if found else -1


def _scan_text(path: Path, digest: Any = None) -> _Scan:
    """Find NUL bytes and over-long lines in one streaming pass (C-speed searches per MiB)."""
    scan = _Scan()
    offset = line_start = 0
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            if digest is not None:
                digest.update(chunk)
            if scan.nul is None and (i := chunk.find(b"\0")) >= 0:
                scan.nul = offset + i
            if scan.long_line is None:
                first = _first_break(chunk)
                end = offset + (len(chunk) if first < 0 else first)
                if end - line_start > MAX_LINE_BYTES:
                    scan.long_line = line_start
                elif first >= 0:
                    # Lines wholly inside a chunk are shorter than the chunk (1 MiB).
                    line_start = offset + max(chunk.rfind(b"\n"), chunk.rfind(b"\r")) + 1
            elif scan.nul is not None and digest is None:
                break
            offset += len(chunk)
    return scan


def locate(path: Path, offset: int, delimiter: str) -> tuple[int, int]:
    """(row as in Excel, column index) of byte ``offset`` of a CSV, minding quotes.

    Streams the file; between quotes a line break or a separator belongs to the cell. The
    quote state is the parity of the quotes seen (an escaped ``""`` toggles twice), so each
    MiB is split on quotes and only the parts outside them are searched, at C speed.
    """
    sep = delimiter.encode()
    row, quoted, position = 1, False, 0
    record_start = 0
    last_was_cr = False
    with path.open("rb") as fh:
        while position < offset:
            chunk = fh.read(min(_CHUNK, offset - position))
            if not chunk:
                break
            part_at = position
            for n, part in enumerate(chunk.split(b'"')):
                if n:
                    quoted, last_was_cr = not quoted, False
                    part_at += 1
                if not quoted and part:
                    breaks = part.count(b"\n") + part.count(b"\r") - part.count(b"\r\n")
                    if last_was_cr and part.startswith(b"\n"):
                        breaks -= 1  # a CRLF split between two chunks
                    if breaks:
                        row += breaks
                        record_start = part_at + max(part.rfind(b"\n"), part.rfind(b"\r")) + 1
                    last_was_cr = part.endswith(b"\r")
                part_at += len(part)
            position += len(chunk)
        fh.seek(record_start)
        record = fh.read(max(0, min(offset - record_start, MAX_LINE_BYTES + _CHUNK)))
    column = sum(p.count(sep) for p in record.split(b'"')[0::2])
    return row, column


def _transcode(source: Path, target: Path, codec: str) -> None:
    decoder = codecs.getincrementaldecoder(codec)(
        errors="tablero-cp1252" if codec == "cp1252" else "replace"
    )
    target.unlink(missing_ok=True)
    with (
        source.open("rb") as src,
        io.TextIOWrapper(_create_private(target), encoding="utf-8", newline="") as dst,
    ):
        while chunk := src.read(_CHUNK):
            dst.write(decoder.decode(chunk))
        dst.write(decoder.decode(b"", final=True))


def _first_line(path: Path) -> str:
    with path.open("r", encoding="utf-8", errors="replace", newline="") as fh:
        line = fh.readline(1 << 20)
    return line.lstrip("\ufeff").rstrip("\r\n")


def sniff_delimiter(line: str) -> str:
    """The separator used most on a header line, counting only outside quotes.

    >>> sniff_delimiter('"Marca temporal","¿Colaboro, a menudo?","Nota; final"')
    ','
    >>> sniff_delimiter("AGNO;RBD;NOM_RBD")
    ';'
    >>> sniff_delimiter("agno|rbd|nom_rbd|prom_lect4b_rbd")
    '|'
    """
    counts = dict.fromkeys(SEPARATORS, 0)
    quoted = False
    for ch in line:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in counts:
            counts[ch] += 1
    best = max(SEPARATORS, key=lambda s: counts[s])
    return best if counts[best] else ";"


# -- xlsx ---------------------------------------------------------------------------------


def hash_file(path: Path) -> str:
    """The SHA-256 of a file, read in chunks (imports record it; backups check their copies)."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def check_xlsx_container(path: Path, name: str) -> None:
    """Refuse a corrupt workbook or a zip bomb before openpyxl touches it."""
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise refuse(
            name,
            "el libro de Excel está dañado o incompleto (no se puede abrir). Ábralo en Excel, "
            "guárdelo de nuevo como .xlsx y vuelva a subirlo.",
        ) from exc
    names = {i.filename for i in infos}
    if "xl/workbook.xml" not in names:
        raise refuse(
            name,
            "el archivo comprimido no es un libro de Excel (.xlsx). Si es una planilla de "
            "LibreOffice u otro programa, guárdela como «Libro de Excel (.xlsx)».",
        )
    total = sum(i.file_size for i in infos)
    limit = max_xlsx_bytes()
    if total > limit:
        raise refuse(
            name,
            f"el libro ocupa {format_number(total / 1_048_576)} MB al descomprimirlo y el límite "
            f"es {format_number(limit / 1_048_576)} MB. Expórtelo como CSV (no tiene ese límite).",
        )
    for info in infos:
        if info.file_size > 10_000_000 and info.file_size > MAX_ZIP_RATIO * max(
            info.compress_size, 1
        ):
            raise refuse(
                name,
                "el libro tiene una parte que se descomprime de forma anómala (posible «bomba "
                "zip»); no se abrió. Expórtelo de nuevo desde Excel o como CSV.",
            )


def list_sheets(path: Path, name: str) -> list[str]:
    """Sheet names of a workbook (after the container checks)."""
    check_xlsx_container(path, name)
    wb = _load_workbook(path, name)
    try:
        return list(wb.sheetnames)
    finally:
        wb.close()


def _load_workbook(path: Path, name: str) -> Any:
    import openpyxl

    try:
        # A file object: openpyxl would otherwise judge the file by its extension.
        return openpyxl.load_workbook(
            io.BytesIO(path.read_bytes()) if path.suffix.lower() not in XLSX_EXTENSIONS else path,
            read_only=True,
            data_only=True,
        )
    except Exception as exc:  # openpyxl raises many kinds on a damaged workbook
        raise refuse(
            name,
            "no se pudo leer el libro de Excel (está dañado o no es un .xlsx válido: "
            f"{type(exc).__name__}). Ábralo en Excel, guárdelo de nuevo y vuelva a subirlo.",
        ) from exc


def cell_text(value: object) -> str:
    """A cell value as the text a user would have typed (dates ISO, integers without .0).

    >>> cell_text(5.0), cell_text(6.25), cell_text(datetime(2024, 3, 5)), cell_text(None)
    ('5', '6.25', '2024-03-05', '')
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "sí" if value else "no"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if isinstance(value, datetime):
        if value.time() == time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _default_sheet(wb: Any, sheets: list[str]) -> str | None:
    """'datos' if present, else the first sheet that looks like a table (≥ 2 headers)."""
    lowered = {s.lower(): s for s in sheets}
    if "datos" in lowered:
        return lowered["datos"]
    for name in sheets:
        for n, values in enumerate(wb[name].iter_rows(values_only=True)):
            filled = sum(1 for v in values if v not in (None, ""))
            if filled >= 2:
                return name
            if filled or n >= 10:
                break
    return sheets[0] if sheets else None


def _open_xlsx(path: Path, name: str, workdir: Path, sheet: str | None, size: int) -> Table:
    check_xlsx_container(path, name)
    wb = _load_workbook(path, name)
    try:
        sheets = list(wb.sheetnames)
        if sheet is None:
            sheet = _default_sheet(wb, sheets)
        if sheet not in sheets:
            raise refuse(
                name,
                f"no existe la hoja «{sheet}». Hojas del libro: {', '.join(sheets)}.",
            )
        assert sheet is not None
        ws = wb[sheet]
        out_path = workdir / "sheet.csv"
        headers: list[str] = []
        header_row = 0
        issues: list[tuple[int, str, str, str]] = []
        try:
            with io.TextIOWrapper(_create_private(out_path), encoding="utf-8", newline="") as out:
                writer = csv.writer(out, delimiter=",", quotechar='"', lineterminator="\n")
                for excel_row, values in enumerate(ws.iter_rows(values_only=True), start=1):
                    texts = [cell_text(v).strip() for v in values]
                    if not any(texts):
                        continue
                    if not headers:
                        while texts and not texts[-1]:
                            texts.pop()
                        headers, header_row = texts, excel_row
                        writer.writerow(["__fila", *(f"c{i}" for i in range(len(headers)))])
                        continue
                    extra = [(i, t) for i, t in enumerate(texts[len(headers) :], len(headers)) if t]
                    for i, t in extra[:3]:
                        if len(issues) < 1000:
                            issues.append(
                                (
                                    excel_row,
                                    column_letter(i),
                                    t,
                                    "hay un valor en una columna sin encabezado. Agregue el "
                                    "nombre de la columna en la fila de encabezados o borre "
                                    "el valor.",
                                )
                            )
                    texts = (texts + [""] * len(headers))[: len(headers)]
                    writer.writerow([excel_row, *texts])
        except FormatError:
            raise
        except Exception as exc:  # a damaged sheet part surfaces while iterating
            raise refuse(
                name,
                f"la hoja «{sheet}» está dañada y no se pudo leer completa "
                f"({type(exc).__name__}). Guárdela de nuevo desde Excel.",
            ) from exc
        part = getattr(ws, "_worksheet_path", None)  # openpyxl's name of the sheet's XML part
    finally:
        wb.close()
    if not headers:
        raise refuse(name, f"la hoja «{sheet}» está vacía: no tiene encabezados ni datos.")
    for excel_row, index, formula in _uncalculated_formulas(path, part):
        if len(issues) >= 1000:
            break
        header = headers[index] if index < len(headers) else ""
        letter = column_letter(index)
        issues.append(
            (
                excel_row,
                f"{header} ({letter})" if header else letter,
                formula,
                "la celda tiene una fórmula sin su valor calculado (el libro se guardó sin "
                "calcular, por ejemplo desde un programa) y se leería vacía. Ábralo en Excel o "
                "LibreOffice, deje que calcule y guárdelo de nuevo, o pegue la hoja como "
                "valores.",
            )
        )
    return Table(
        name=name,
        path=out_path,
        delimiter=",",
        headers=headers,
        container="xlsx",
        encoding="XLSX",
        file_hash=hash_file(path),
        size=size,
        row_column=True,
        sheet=sheet,
        sheets=sheets,
        header_row=header_row,
        issues=issues,
    )


_FORMULA_TAG = re.compile(rb"<(?:\w+:)?f[\s>/]")


def _uncalculated_formulas(
    path: Path, part: str | None, limit: int = 1000
) -> list[tuple[int, int, str]]:
    """(Excel row, column index, formula) of the sheet's formula cells that have no cached
    value: openpyxl reads those as empty, so a workbook saved without calculating would load
    blank cells silently. A sheet part without any ``<f>`` is only streamed through once."""
    if part is None:
        return []
    from defusedxml.ElementTree import iterparse
    from openpyxl.utils.cell import column_index_from_string, coordinate_from_string

    with zipfile.ZipFile(path) as zf:
        with zf.open(part.lstrip("/")) as fh:
            tail = b""
            while chunk := fh.read(_CHUNK):
                window = tail + chunk  # a substring search first (C speed); the regex is exact
                if (b"<f" in window or b":f" in window) and _FORMULA_TAG.search(window):
                    break
                tail = chunk[-16:]
            else:
                return []
        found: list[tuple[int, int, str]] = []
        with zf.open(part.lstrip("/")) as fh:
            for _, elem in iterparse(fh, events=("end",)):
                tag = elem.tag.rsplit("}", 1)[-1]
                if tag == "row":
                    elem.clear()
                if tag != "c":
                    continue
                children = {child.tag.rsplit("}", 1)[-1]: child for child in elem}
                formula, value = children.get("f"), children.get("v")
                cached = value is not None and (value.text or elem.get("t") == "str")
                if formula is not None and not cached and elem.get("r"):
                    letters, row = coordinate_from_string(elem.get("r"))
                    found.append(
                        (row, column_index_from_string(letters) - 1, f"={formula.text or '?'}")
                    )
                    if len(found) >= limit:
                        break
    return found


def head_rows(table: Table, limit: int = 20) -> list[list[str]]:
    """The first ``limit`` data rows as text (for previews), read with the csv module."""
    rows: list[list[str]] = []
    with table.path.open("r", encoding="utf-8", errors="replace", newline="") as fh:
        reader = csv.reader(fh, delimiter=table.delimiter, quotechar='"')
        try:
            next(reader, None)
            for row in reader:
                if table.row_column:
                    row = row[1:]
                rows.append(row)
                if len(rows) >= limit:
                    break
        except csv.Error:  # a cell longer than the csv module reads: the report names it
            pass
    return rows
