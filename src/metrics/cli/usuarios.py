"""`tablero usuarios`: local accounts and the roles of OpenID Connect users.

``agregar`` creates (or replaces) an account with its role and scope; ``comunidades`` changes a
coordinator's communities (its password untouched); ``listar`` shows them;
``desactivar`` closes one (its history stays); ``restablecer`` sets a new password, clears a
lockout and reactivates the account. Passwords are read without echo (or, for scripts, one
line from standard input with ``--contrasena-stdin``), must pass the password policy
(:func:`metrics.access.check_password`: length, no repetitions or keyboard runs, no common
words) and are stored as argon2id hashes. Every change is recorded in the audit log.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from datetime import datetime

from metrics.access import (
    ROLE_LABELS,
    Role,
    check_account,
    hash_password,
    normalize_email,
    save_account,
    set_coordinator_communities,
)
from metrics.cli.common import access_of
from metrics.errors import AccessError, TableroError
from metrics.formatting import format_datetime
from metrics.scope import Scope
from metrics.store import Store, audit
from metrics.store import users as user_store

NAME = "usuarios"
HELP = (
    "gestiona las cuentas: agregar, comunidades (de un coordinador), listar, desactivar, "
    "restablecer (contraseña y bloqueo)"
)
PERMISSION = "can_manage_users"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="accion", metavar="ACCIÓN", title="acciones")
    sub.required = True
    add = sub.add_parser(
        "agregar",
        help="crea o reemplaza una cuenta",
        description="Crea una cuenta (o reemplaza la que tenga el mismo correo).",
        add_help=False,
    )
    _help(add)
    add.add_argument("correo", metavar="CORREO")
    add.add_argument("--rol", required=True, choices=[r.value for r in Role], help="perfil")
    add.add_argument("--nombre", default="", help="nombre para mostrar")
    add.add_argument(
        "--establecimiento",
        type=int,
        action="append",
        default=[],
        metavar="RBD",
        help="el establecimiento de un directivo o lector",
    )
    add.add_argument(
        "--territorio",
        action="append",
        default=[],
        metavar="ID",
        help="territorio de un supervisor (p. ej. slep:1); puede repetirse",
    )
    add.add_argument(
        "--comunidad",
        action="append",
        default=[],
        metavar="ID",
        help="comunidad que un coordinador registra (id_comunidad); puede repetirse",
    )
    password = add.add_mutually_exclusive_group()
    password.add_argument(
        "--sin-contrasena",
        action="store_true",
        help="cuenta solo para ingreso con Google o Microsoft (OpenID Connect)",
    )
    password.add_argument(
        "--contrasena-stdin",
        action="store_true",
        help="lee la contraseña de la entrada estándar (una línea) en vez de preguntarla",
    )
    comms = sub.add_parser(
        "comunidades",
        help="cambia las comunidades de una cuenta de coordinación",
        description="Reemplaza las comunidades que registra una cuenta de coordinación (su "
        "contraseña y su ingreso no cambian).",
        add_help=False,
    )
    _help(comms)
    comms.add_argument("correo", metavar="CORREO")
    comms.add_argument(
        "--comunidad",
        action="append",
        required=True,
        metavar="ID",
        help="comunidad de su establecimiento (id_comunidad); puede repetirse",
    )
    sub_list = sub.add_parser("listar", help="muestra las cuentas", add_help=False)
    _help(sub_list)
    off = sub.add_parser("desactivar", help="desactiva una cuenta", add_help=False)
    _help(off)
    off.add_argument("correo", metavar="CORREO")
    reset = sub.add_parser(
        "restablecer",
        help="nueva contraseña; quita el bloqueo y reactiva la cuenta",
        add_help=False,
    )
    _help(reset)
    reset.add_argument("correo", metavar="CORREO")
    reset.add_argument(
        "--contrasena-stdin",
        action="store_true",
        help="lee la contraseña de la entrada estándar (una línea)",
    )


def _help(parser: argparse.ArgumentParser) -> None:
    """Spanish help flag, unless the parser class (``metrics.cli``'s) already added it."""
    if "--ayuda" in parser._option_string_actions:
        return
    parser.add_argument(
        "-h", "--ayuda", action="help", default=argparse.SUPPRESS, help="muestra esta ayuda"
    )


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Contraseña: ")
    second = getpass.getpass("Repita la contraseña: ")
    if first != second:
        raise AccessError("Las contraseñas no coinciden; no se guardó nada.")
    return first


def run(args: argparse.Namespace, store: Store, scope: Scope) -> int:
    del scope  # accounts are not school data; only administrators get here
    actor = access_of(args).actor
    if args.accion == "listar":
        return _list(store)
    email = normalize_email(args.correo)
    if args.accion == "agregar":
        return _add(store, args, email, actor)
    if args.accion == "comunidades":
        before = set_coordinator_communities(store, actor, email, args.comunidad)
        now = sorted(set(args.comunidad))
        print(
            f"Cuenta {email}: registra {', '.join(now)}"
            + (f" (antes: {', '.join(before)})." if list(before) != now else " (sin cambios).")
        )
        return 0
    user = user_store.get_user(store, email)
    if user is None:
        raise TableroError(f"No existe la cuenta {email}.", "Cuenta desconocida")
    if args.accion == "desactivar":
        user_store.update_user(store, email, active=False)
        audit.record(store, actor, "usuario_desactivado", {"correo": email})
        print(f"Cuenta {email} desactivada.")
        return 0
    hashed = hash_password(_read_password(args.contrasena_stdin), email)
    user_store.update_user(
        store, email, active=True, password_hash=hashed, failed_attempts=0, clear_lock=True
    )
    audit.record(store, actor, "usuario_restablecido", {"correo": email})
    print(f"Cuenta {email}: contraseña nueva, sin bloqueo y activa.")
    return 0


def _add(store: Store, args: argparse.Namespace, email: str, actor: str) -> int:
    role = Role(args.rol)
    schools, territories = sorted(set(args.establecimiento)), sorted(set(args.territorio))
    communities = sorted(set(args.comunidad))
    # Everything is checked before a password is asked for.
    check_account(store, email, role, schools, territories, communities)
    new = save_account(
        store,
        actor,
        email=email,
        name=args.nombre,
        role=role,
        schools=schools,
        territories=territories,
        communities=communities,
        password=None if args.sin_contrasena else _read_password(args.contrasena_stdin),
    )
    verb = "creada" if new else "reemplazada"
    print(f"Cuenta {email} {verb}: {ROLE_LABELS[role]}.")
    return 0


def _list(store: Store) -> int:
    accounts = user_store.list_users(store)
    if not accounts:
        print("No hay cuentas. Cree la primera con: tablero usuarios agregar CORREO --rol ...")
        return 0
    print(f"{'correo':32}  {'perfil':24}  {'alcance':24}  {'ingreso':10}  estado")
    for u in accounts:
        reach = (
            ", ".join([f"RBD {r}" for r in u.schools] + list(u.territories) + list(u.communities))
            or "todos"
        )
        method = "contraseña" if u.password_hash else "Google/MS"
        state = "activa" if u.active else "desactivada"
        if u.locked_until is not None and u.locked_until > datetime.now():
            state += f", bloqueada hasta {format_datetime(u.locked_until)}"
        print(
            f"{u.email[:32]:32}  {ROLE_LABELS[Role(u.role)][:24]:24}  {reach[:24]:24}  "
            f"{method:10}  {state}"
        )
    return 0
