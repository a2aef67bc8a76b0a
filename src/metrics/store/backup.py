"""Backups of a store: a consistent copy of its file, a manifest to verify it, and the
pseudonym key kept apart (or sealed with a passphrase).

A backup is a folder (mode 0700) holding ``tablero.duckdb`` (and its ``.wal`` when the store
had one), the audit log's anchor (``tablero.duckdb.audit``) and ``manifiesto.json``: each
file's SHA-256, every table's row count, the schema version and a fingerprint of the
pseudonym key (a hash of it that reveals nothing of it). The copy is taken while holding the
store's shared turn (:mod:`metrics.store.locking`): no process writes meanwhile, readers and the
dashboard keep reading.

The key is the secret that turns pseudonyms back into RUTs by trying them all: it never goes
into a backup in the clear. By default it stays out (the operator keeps ``<db>.key`` apart);
with a passphrase it goes in as ``clave.cifrada`` (scrypt, then AES-256-GCM).
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import shutil
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb

from metrics.errors import StoreError
from metrics.ingest.readers import hash_file
from metrics.store.audit import ANCHOR_SUFFIX
from metrics.store.core import Store, harden

DB_NAME = "tablero.duckdb"
MANIFEST = "manifiesto.json"
SEALED_KEY = "clave.cifrada"
FORMAT = 1


@dataclass(frozen=True)
class Check:
    """What :func:`verify_backup` found: problems in Spanish (none: the backup is whole)."""

    problems: list[str]
    manifest: dict[str, Any]

    @property
    def ok(self) -> bool:
        return not self.problems


def key_fingerprint(key: bytes) -> str:
    """A short hash of the pseudonym key: equal keys, equal fingerprints; the key stays
    secret (it is a hash of a 32-byte random secret)."""
    return hashlib.sha256(b"tablero-dpd:backup-fingerprint:" + key).hexdigest()[:16]


def table_counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Rows of every table of the main schema."""
    names = [
        str(r[0])
        for r in con.execute(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = 'main' AND table_type = 'BASE TABLE' ORDER BY 1"
        ).fetchall()
    ]
    out = {}
    for name in names:
        row = con.execute(f'SELECT count(*) FROM "{name}"').fetchone()
        out[name] = int(row[0]) if row else 0
    return out


def _seal_key(key: bytes, passphrase: str) -> bytes:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

    salt, nonce = secrets.token_bytes(16), secrets.token_bytes(12)
    kek = Scrypt(salt=salt, length=32, n=2**15, r=8, p=1).derive(passphrase.encode())
    return b"TDPD1" + salt + nonce + AESGCM(kek).encrypt(nonce, key, b"tablero-dpd-key")


def _open_key(blob: bytes, passphrase: str) -> bytes:
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

    if not blob.startswith(b"TDPD1"):
        raise StoreError("La clave cifrada del respaldo no tiene el formato esperado.")
    salt, nonce, sealed = blob[5:21], blob[21:33], blob[33:]
    kek = Scrypt(salt=salt, length=32, n=2**15, r=8, p=1).derive(passphrase.encode())
    try:
        return AESGCM(kek).decrypt(nonce, sealed, b"tablero-dpd-key")
    except InvalidTag:
        raise StoreError(
            "La frase de paso no abre la clave del respaldo (o el archivo fue alterado)."
        ) from None


def create_backup(store: Store, key: bytes, target: Path, passphrase: str | None = None) -> Path:
    """Copy ``store`` into a new folder under ``target`` and return the folder.

    Hold the store's turn (a Store opened ``read_only`` holds the shared one) while calling.
    """
    source = Path(store.path)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    folder = target / f"tablero-respaldo-{stamp}"
    n = 1
    while folder.exists():
        n += 1
        folder = target / f"tablero-respaldo-{stamp}-{n}"
    old = os.umask(0o077)
    try:
        folder.mkdir(parents=True, mode=0o700)
        files: dict[str, str] = {}
        for suffix in ("", ".wal", ANCHOR_SUFFIX):
            original = Path(str(source) + suffix)
            if original.is_file():
                copy = folder / (DB_NAME + suffix)
                shutil.copyfile(original, copy)
                os.chmod(copy, 0o600)
                files[copy.name] = hash_file(copy)
        cur = store.cursor()
        try:
            counts = table_counts(cur)
        finally:
            cur.close()
        if passphrase:
            (folder / SEALED_KEY).write_bytes(_seal_key(key, passphrase))
            os.chmod(folder / SEALED_KEY, 0o600)
            files[SEALED_KEY] = hash_file(folder / SEALED_KEY)
        manifest = {
            "formato": FORMAT,
            "creado": datetime.now().isoformat(timespec="seconds"),
            "origen": str(source),
            "esquema": store.schema_version(),
            "archivos": files,
            "filas": counts,
            "huella_clave": key_fingerprint(key),
            "clave_incluida": bool(passphrase),
        }
        (folder / MANIFEST).write_text(
            json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
        )
    finally:
        os.umask(old)
    return folder


def read_manifest(folder: Path) -> dict[str, Any]:
    path = folder / MANIFEST
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise StoreError(
            f"{folder} no es un respaldo de Tablero DPD (falta o no se puede leer {MANIFEST})."
        ) from exc
    if not isinstance(data, dict) or data.get("formato") != FORMAT:
        raise StoreError(f"El manifiesto de {folder} no tiene el formato esperado.")
    return data


def verify_backup(folder: Path) -> Check:
    """Check every file's hash and every table's rows against the manifest (the copy is opened
    read-only, in a scratch folder, so the backup itself is not touched)."""
    manifest = read_manifest(folder)
    problems: list[str] = []
    for name, digest in manifest["archivos"].items():
        path = folder / name
        if not path.is_file():
            problems.append(f"Falta el archivo {name}.")
        elif hash_file(path) != digest:
            problems.append(f"El archivo {name} cambió desde que se creó el respaldo.")
    if problems:
        return Check(problems, manifest)
    import tempfile

    with tempfile.TemporaryDirectory() as scratch:
        copy = Path(scratch) / DB_NAME
        shutil.copyfile(folder / DB_NAME, copy)
        if (folder / (DB_NAME + ".wal")).is_file():
            shutil.copyfile(folder / (DB_NAME + ".wal"), Path(str(copy) + ".wal"))
        try:
            con = duckdb.connect(str(copy), read_only=True)
        except duckdb.Error as exc:
            return Check([f"La base del respaldo no se puede abrir: {exc}"], manifest)
        try:
            harden(con)
            counts = table_counts(con)
        finally:
            con.close()
    for table, rows in manifest["filas"].items():
        if counts.get(table) != rows:
            problems.append(
                f"La tabla {table} tiene {counts.get(table, 0)} filas; el manifiesto dice {rows}."
            )
    return Check(problems, manifest)


def restore_backup(
    folder: Path,
    db_path: Path,
    current_key: bytes | None,
    key_path: Path | None,
    passphrase: str | None = None,
) -> None:
    """Put the backup's files in place of the store at ``db_path`` (the caller holds the
    exclusive turn). The key: the backup's sealed one when there is no key at ``key_path``;
    else the current key, which must be the one the backup was made with."""
    check = verify_backup(folder)
    if not check.ok:
        raise StoreError("El respaldo no está íntegro: " + " ".join(check.problems))
    manifest = check.manifest
    new_key: bytes | None = None
    if current_key is not None:
        if key_fingerprint(current_key) != manifest["huella_clave"]:
            raise StoreError(
                "La clave de seudonimización actual no es la del respaldo: restaurarlo así "
                "mezclaría seudónimos de dos claves. Restaure también la clave con la que se "
                "creó (archivo .key guardado aparte, o el respaldo con --incluir-clave y su "
                "frase) y vuelva a intentarlo; no se modificó nada."
            )
    elif manifest.get("clave_incluida"):
        if not passphrase:
            raise StoreError(
                "El respaldo trae la clave cifrada: indique su frase de paso "
                "(TABLERO_FRASE_RESPALDO) para restaurarla."
            )
        new_key = _open_key((folder / SEALED_KEY).read_bytes(), passphrase)
        if key_fingerprint(new_key) != manifest["huella_clave"]:
            raise StoreError("La clave descifrada no corresponde al respaldo.")
    else:
        raise StoreError(
            "No hay clave de seudonimización junto a la base y el respaldo no la trae: copie "
            f"el archivo .key guardado aparte a {key_path} (o defina TABLERO_KEY) y vuelva a "
            "intentarlo; no se modificó nada."
        )
    old = os.umask(0o077)
    try:
        db_path.parent.mkdir(parents=True, exist_ok=True)
        # The WAL first: a WAL of the replaced database must never be replayed on the new one.
        for suffix in (".wal", "", ANCHOR_SUFFIX):
            source = folder / (DB_NAME + suffix)
            target = Path(str(db_path) + suffix)
            if source.is_file():
                part = target.with_name(target.name + ".restaurando")
                shutil.copyfile(source, part)
                os.chmod(part, 0o600)
                os.replace(part, target)  # atomic: the old file or the new one, never half
            elif target.exists():
                target.unlink()  # the replaced database's WAL or audit anchor
        if new_key is not None and key_path is not None:
            fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w", encoding="ascii") as fh:
                fh.write(new_key.hex() + "\n")
    finally:
        os.umask(old)
