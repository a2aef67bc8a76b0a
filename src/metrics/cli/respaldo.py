"""`tablero respaldo crear | verificar | restaurar`: backups of the store (see
:mod:`metrics.store.backup`), consistent while the dashboard runs, the pseudonym key never in
the clear."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from pathlib import Path

from metrics.cli.common import say_waiting
from metrics.errors import StoreError, StoreLockedError, TableroError
from metrics.scope import Scope
from metrics.store import Store, open_store

NAME = "respaldo"
HELP = (
    "crea, verifica o restaura un respaldo de la base (la clave de seudonimización nunca va "
    "sin cifrar)"
)
PERMISSION = "can_manage_users"
ENV_PASSPHRASE = "TABLERO_FRASE_RESPALDO"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="accion", metavar="ACCIÓN", title="acciones")
    sub.required = True
    create = sub.add_parser(
        "crear", help="copia la base (mientras el tablero sigue abierto)", add_help=False
    )
    create.add_argument(
        "--destino", required=True, metavar="CARPETA", help="dónde crear la carpeta del respaldo"
    )
    create.add_argument(
        "--incluir-clave",
        action="store_true",
        help=f"incluye la clave de seudonimización cifrada con una frase de paso (se pide, o "
        f"${ENV_PASSPHRASE}); sin esta opción la clave no va en el respaldo",
    )
    check = sub.add_parser(
        "verificar", help="comprueba que un respaldo está íntegro", add_help=False
    )
    check.add_argument("carpeta", metavar="CARPETA", help="la carpeta del respaldo")
    restore = sub.add_parser(
        "restaurar",
        help="reemplaza la base por la del respaldo (espera a que nadie la esté usando)",
        add_help=False,
    )
    restore.add_argument("carpeta", metavar="CARPETA", help="la carpeta del respaldo")


def open_for_command(path: Path, args: argparse.Namespace) -> Store:
    """Creating a backup holds the store's shared turn (readers and the dashboard keep
    reading, nobody writes); verifying and restoring open no store here."""
    if args.accion == "crear":
        return open_store(path, read_only=True, on_wait=say_waiting)
    return open_store(":memory:")


def _passphrase(confirm: bool) -> str:
    env = os.environ.get(ENV_PASSPHRASE)
    if env:
        return env
    if not sys.stdin.isatty():
        raise TableroError(
            f"Falta la frase de paso: defina {ENV_PASSPHRASE} o ejecute el comando en una "
            "terminal.",
            "Frase de paso requerida",
        )
    first = getpass.getpass("Frase de paso para la clave: ")
    if confirm:
        if len(first) < 12:
            raise TableroError("Use una frase de paso de 12 caracteres o más.", "Frase muy corta")
        if getpass.getpass("Repítala: ") != first:
            raise TableroError("Las dos frases no coinciden.", "Frase de paso")
    return first


def run(args: argparse.Namespace, store: Store, scope: Scope) -> int:
    from metrics.pseudonym import key_path_for, load_key
    from metrics.store import backup

    del scope
    if args.accion == "crear":
        key = load_key(store.path).key
        passphrase = _passphrase(confirm=True) if args.incluir_clave else None
        folder = backup.create_backup(store, key, Path(args.destino), passphrase)
        check = backup.verify_backup(folder)
        if not check.ok:
            raise StoreError(
                "El respaldo recién creado no se verificó: " + " ".join(check.problems)
            )
        total = sum(check.manifest["filas"].values())
        print(
            f"Respaldo creado en {folder} ({len(check.manifest['filas'])} tablas, {total} filas)."
        )
        if passphrase:
            print("La clave de seudonimización va cifrada con su frase de paso: guárdela aparte.")
        else:
            where = key_path_for(store.path) if not os.environ.get("TABLERO_KEY") else None
            print(
                "Atención: la clave de seudonimización NO va en el respaldo. Guárdela aparte, en "
                f"un lugar seguro ({where or 'variable TABLERO_KEY'}): sin ella, las cargas "
                "nuevas de una base restaurada no enlazan con las personas que ya tenía.",
                file=sys.stderr,
            )
        return 0
    folder = Path(args.carpeta)
    if args.accion == "verificar":
        check = backup.verify_backup(folder)
        if check.ok:
            total = sum(check.manifest["filas"].values())
            print(
                f"Respaldo íntegro: {len(check.manifest['archivos'])} archivos, "
                f"{len(check.manifest['filas'])} tablas, {total} filas "
                f"(creado {check.manifest['creado']})."
            )
            return 0
        for problem in check.problems:
            print(f"- {problem}", file=sys.stderr)
        return 2
    # restaurar
    from metrics.config import resolve_db_path
    from metrics.store import locking

    db = resolve_db_path(args.db).resolve()
    key_file = key_path_for(db)
    current = None
    if os.environ.get("TABLERO_KEY") or (key_file is not None and key_file.exists()):
        current = load_key(db).key
    manifest = backup.read_manifest(folder)
    sealed = current is None and manifest.get("clave_incluida")
    passphrase = _passphrase(confirm=False) if sealed else None
    turn = locking.lock_for(str(db))
    try:
        turn.acquire(exclusive=True, on_wait=say_waiting)
    except locking.LockTimeoutError:
        raise StoreLockedError(f"La base {db} siguió ocupada; no se restauró nada.") from None
    try:
        backup.restore_backup(folder, db, current, key_file, passphrase)
    finally:
        turn.release()
    print(f"Base restaurada en {db} desde {folder} ({manifest['creado']}).")
    return 0
