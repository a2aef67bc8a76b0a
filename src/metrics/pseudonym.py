"""Keyed pseudonyms for personal ids (RUT, RUN, MRUN, teacher ids, e-mail addresses).

A pseudonym is ``HMAC-SHA256(key, namespace + ":" + canonical id)``, truncated to
:data:`PSEUDONYM_HEX` hex characters and prefixed with ``p``. The same person gets the same
pseudonym across files and years as long as the key is the same; without the key a pseudonym
cannot be reversed by trying every RUT.

The key lives **outside** the database file: ``TABLERO_KEY`` (64 hex characters) when set, else
a file ``<db>.key`` next to the database, created with mode 0600 on first use. An in-memory store
without ``TABLERO_KEY`` gets a key that lives as long as the process.

This module owns the key and the Python reference implementation; the importer computes the
same HMAC vectorised inside DuckDB (:func:`metrics.store.imports.hmac_sql`), and the tests check
both agree. It must not import duckdb.
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
PSEUDONYM_HEX = 20
"""Hex characters kept from the HMAC: 80 bits, no collision among tens of millions of ids."""

_BLOCK = 64  # SHA-256 block size in bytes
_PROCESS_KEY = secrets.token_bytes(32)


class PseudonymKeyError(TableroError):
    """The pseudonymisation key is missing or malformed."""

    title = "Clave de seudonimización no válida"


@dataclass(frozen=True)
class PseudonymKey:
    """A secret key and the two padded blocks HMAC needs (precomputed for SQL)."""

    key: bytes

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
        """
        mac = hmac.new(self.key, f"{namespace}:{value}".encode(), hashlib.sha256).hexdigest()
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
