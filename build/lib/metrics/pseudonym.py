"""Keyed pseudonyms for personal ids (RUT, RUN, MRUN, teacher ids, e-mail addresses).

A pseudonym is a keyed hash of ``namespace + ":" + canonical id``, truncated to
:data:`PSEUDONYM_HEX` hex characters and prefixed with ``p``. The same person gets the same
pseudonym across files and years as long as the key and the store's scheme are the same;
without the key a pseudonym cannot be reversed by trying every RUT.

Two schemes; a store records its own in its ``setting`` table (schema v6) and never changes it:

* :data:`AMAC` (stores created from schema v6 on): ``SHA-256(k || message)`` truncated, where
  ``k`` is a 32-byte key derived from the secret key. Truncated secret-prefix hashing is the
  AMAC construction, a proven PRF (Bellare, Bernstein and Tessaro, "Hash-function based PRFs:
  AMAC and its multi-user security", EUROCRYPT 2016); truncation hides 176 of the 256 bits of
  state, so the length extension that makes plain ``SHA-256(k || m)`` a bad MAC is not
  possible. An id fits one SHA-256 block with the key, so it costs one compression instead of
  HMAC's four: ``import_file`` of a 1,000,000-student Rendimiento took 2.44-2.58 s instead of
  2.96-3.18 s (three runs each).
* :data:`HMAC`: ``HMAC-SHA256(key, message)`` truncated, kept for stores that already held
  imported rows when they were upgraded, so that their students keep their pseudonyms.

The key lives **outside** the database file: ``TABLERO_KEY`` (64 hex characters) when set, else
a file ``<db>.key`` next to the database, created with mode 0600 on first use. An in-memory store
without ``TABLERO_KEY`` gets a key that lives as long as the process.

This module owns the key and the Python reference implementation; the importer computes the
same hash vectorised inside DuckDB (:func:`metrics.store.imports.pseudonym_sql`), and the tests
check both agree for both schemes. It must not import duckdb.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from metrics.errors import TableroError

ENV_KEY = "TABLERO_KEY"
AMAC = "amac-sha256"
HMAC = "hmac-sha256"
SCHEMES = (AMAC, HMAC)
PSEUDONYM_HEX = 20
"""Hex characters kept from the hash: 80 bits, no collision among tens of millions of ids."""

_BLOCK = 64  # SHA-256 block size in bytes
_PROCESS_KEY = secrets.token_bytes(32)


class PseudonymKeyError(TableroError):
    """The pseudonymisation key is missing or malformed."""

    title = "Clave de seudonimización no válida"


@dataclass(frozen=True)
class PseudonymKey:
    """A secret key and the scheme it is used with (and what SQL needs of it)."""

    key: bytes
    scheme: str = AMAC

    @property
    def prefix(self) -> bytes:
        """The AMAC key: 32 bytes derived from ``key``, so that the same secret never keys two
        different constructions."""
        return hashlib.sha256(b"tablero-dpd:" + AMAC.encode() + b":" + self.key).digest()

    @property
    def inner_pad(self) -> bytes:
        return bytes(b ^ 0x36 for b in self._block())

    @property
    def outer_pad(self) -> bytes:
        return bytes(b ^ 0x5C for b in self._block())

    def _block(self) -> bytes:
        key = hashlib.sha256(self.key).digest() if len(self.key) > _BLOCK else self.key
        return key.ljust(_BLOCK, b"\0")

    def pseudonym(self, namespace: str, value: str) -> str:
        """The pseudonym of an already canonical ``value``.

        Example:
            >>> k = PseudonymKey(bytes(32))
            >>> k.pseudonym("run", "12345678") == k.pseudonym("run", "12345678")
            True
            >>> len(k.pseudonym("run", "12345678"))
            21
            >>> k.pseudonym("run", "1") != PseudonymKey(bytes(32), HMAC).pseudonym("run", "1")
            True
        """
        message = f"{namespace}:{value}".encode()
        if self.scheme == HMAC:
            mac = hmac.new(self.key, message, hashlib.sha256).hexdigest()
        elif self.scheme == AMAC:
            mac = hashlib.sha256(self.prefix + message).hexdigest()
        else:
            raise PseudonymKeyError(f"Esquema de seudonimización desconocido: {self.scheme}.")
        return "p" + mac[:PSEUDONYM_HEX]


def key_path_for(db_path: str | os.PathLike[str]) -> Path | None:
    """Where the key of the database at ``db_path`` lives (None for an in-memory store)."""
    text = str(db_path)
    if text == ":memory:":
        return None
    return Path(text).with_name(Path(text).name + ".key")


def _parse_hex(text: str, origin: str) -> bytes:
    text = text.strip()
    try:
        key = bytes.fromhex(text)
    except ValueError as exc:
        raise PseudonymKeyError(
            f"La clave de seudonimización en {origin} no es hexadecimal. Debe tener 64 "
            "caracteres 0-9 y a-f."
        ) from exc
    if len(key) < 16:
        raise PseudonymKeyError(
            f"La clave de seudonimización en {origin} es demasiado corta (mínimo 32 caracteres "
            "hexadecimales; se recomiendan 64)."
        )
    return key


def load_key(db_path: str | os.PathLike[str]) -> PseudonymKey:
    """The key for the store at ``db_path``: ``TABLERO_KEY``, else ``<db>.key`` (created)."""
    env = os.environ.get(ENV_KEY)
    if env:
        return PseudonymKey(_parse_hex(env, ENV_KEY))
    path = key_path_for(db_path)
    if path is None:
        return PseudonymKey(_PROCESS_KEY)
    if path.exists():
        return PseudonymKey(_parse_hex(path.read_text(encoding="ascii"), str(path)))
    key = secrets.token_bytes(32)
    path.parent.mkdir(parents=True, exist_ok=True)
    # O_EXCL: two processes racing to create the key must not end up with two keys.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return PseudonymKey(_parse_hex(path.read_text(encoding="ascii"), str(path)))
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(key.hex() + "\n")
    return PseudonymKey(key)


def canonical_run(value: str) -> tuple[str, str] | None:
    """Split a RUT/RUN written any way into (body, check digit); None if it is not one.

    Example:
        >>> canonical_run("12.345.678-5")
        ('12345678', '5')
        >>> canonical_run("9876543k")
        ('9876543', 'K')
    """
    text = "".join(ch for ch in value.strip().upper() if ch not in ". -")
    if len(text) < 2 or not text[:-1].isdigit() or not (text[-1].isdigit() or text[-1] == "K"):
        return None
    body = text[:-1].lstrip("0") or "0"
    return body, text[-1]


def check_digit(body: str) -> str:
    """The módulo 11 check digit of a RUT/RUN or RBD body.

    Example:
        >>> check_digit("12345678")
        '5'
    """
    total = sum(int(d) * (2 + i % 6) for i, d in enumerate(reversed(body)))
    rest = 11 - total % 11
    return {11: "0", 10: "K"}.get(rest, str(rest))
