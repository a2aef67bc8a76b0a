"""Who sees what: roles, the scope and permissions of a user, and local sign-in.

The one place that turns a person into an :class:`Access` — the schools they may see (a
:class:`~metrics.scope.Scope`) and what they may do. Pages, downloads, exports and the CLI ask
an ``Access``; none of them decides by role on its own. This module does not import Streamlit.

Roles:

=============== ============================== ======= ====== ===== ======== ======== =========
role            sees                           upload  targets export teachers users    audit
=============== ============================== ======= ====== ===== ======== ======== =========
administrador   every school                   yes     yes    yes   yes      yes      yes
supervisor      the schools of its territories yes     no     yes   yes      no       yes
directivo       one school                     yes     yes    yes   yes      no       no
lector          one school                     no      no     no    no       no       no
=============== ============================== ======= ====== ===== ======== ======== =========

Which territories a school belongs to changes only by whoever administers them: an
administrator (every territory) or a supervisor (the territories of its account), see
:meth:`~metrics.scope.Scope.administers`; a school team administers none.

Example:
    >>> a = Access.full("cli:ana")
    >>> a.scope.is_all, a.can_upload, a.role
    (True, True, None)
"""

from __future__ import annotations

import getpass
import os
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from metrics.errors import AccessError
from metrics.scope import Scope
from metrics.store import Store, audit
from metrics.store import users as user_store

MAX_FAILED_ATTEMPTS = 5
"""Failed local sign-ins in a row that lock an account."""

LOCKOUT = timedelta(minutes=15)
"""How long a locked account stays locked."""

MIN_PASSWORD_LENGTH = 12


class Role(StrEnum):
    ADMINISTRADOR = "administrador"
    SUPERVISOR = "supervisor"
    DIRECTIVO = "directivo"
    LECTOR = "lector"


ROLE_LABELS = {
    Role.ADMINISTRADOR: "Administrador",
    Role.SUPERVISOR: "Supervisor territorial",
    Role.DIRECTIVO: "Equipo directivo",
    Role.LECTOR: "Lector",
}

PERMISSIONS: tuple[str, ...] = (
    "can_upload",
    "can_set_targets",
    "can_export",
    "sees_teachers",
    "can_manage_users",
    "sees_audit",
)
"""Names of the permission flags of :class:`Access`."""

_ROLE_PERMISSIONS: dict[Role, frozenset[str]] = {
    Role.ADMINISTRADOR: frozenset(PERMISSIONS),
    Role.SUPERVISOR: frozenset({"can_upload", "can_export", "sees_teachers", "sees_audit"}),
    Role.DIRECTIVO: frozenset({"can_upload", "can_set_targets", "can_export", "sees_teachers"}),
    Role.LECTOR: frozenset(),
}

PERMISSION_REFUSALS = {
    "can_upload": "Su perfil no permite cargar ni deshacer archivos.",
    "can_set_targets": "Su perfil no permite fijar metas ni el año de línea base.",
    "can_export": "Su perfil no permite exportar datos.",
    "sees_teachers": "Su perfil no permite ver datos de docentes individuales.",
    "can_manage_users": "Solo un administrador puede gestionar usuarios.",
    "sees_audit": "Solo administradores y supervisores ven el registro de auditoría.",
}


@dataclass(frozen=True)
class Access:
    """What one person may see and do. Build it with :func:`access_for` or :meth:`full`.

    ``role`` is None for full access without an account (the demo, and the CLI without
    ``--usuario``: whoever runs it holds the database file anyway).
    """

    actor: str
    scope: Scope
    role: Role | None = None
    name: str = ""
    can_upload: bool = True
    can_set_targets: bool = True
    can_export: bool = True
    sees_teachers: bool = True
    can_manage_users: bool = True
    sees_audit: bool = True

    @classmethod
    def full(cls, actor: str) -> Access:
        return cls(actor=actor, scope=Scope.all())

    @classmethod
    def nobody(cls) -> Access:
        """No school and no permission: the default where nobody signed in."""
        return cls("", Scope.nobody(), None, "", *(False for _ in PERMISSIONS))

    def allows(self, permission: str) -> bool:
        if permission not in PERMISSIONS:
            raise ValueError(f"unknown permission: {permission}")
        return bool(getattr(self, permission))

    def require(self, permission: str) -> None:
        """Raise :class:`AccessError` (Spanish) unless this access has ``permission``."""
        if not self.allows(permission):
            raise AccessError(PERMISSION_REFUSALS[permission])

    @property
    def label(self) -> str:
        """How the sidebar names the person: name (or e-mail) and role."""
        who = self.name or self.actor
        return f"{who} · {ROLE_LABELS[self.role]}" if self.role else who


def cli_actor() -> str:
    """``cli:<os user>``: who acts when the CLI runs without ``--usuario``."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no passwd entry in some containers
        user = os.environ.get("USER", "desconocido")
    return f"cli:{user}"


def normalize_email(email: str) -> str:
    return email.strip().lower()


def scope_of(store: Store, role: Role, schools: Iterable[int], territories: Iterable[str]) -> Scope:
    """The schools a role with these schools and territories sees (territories → schools)."""
    if role is Role.ADMINISTRADOR:
        return Scope.all()
    rbds = {int(r) for r in schools}
    territories = list(territories)
    rbds.update(user_store.territory_schools(store, territories))
    # A supervisor administers its own territories: only it (or an administrator) may move
    # schools in or out of them. A school team administers none.
    administered = territories if role is Role.SUPERVISOR else []
    return Scope(frozenset(rbds), frozenset(administered))


def access_for(store: Store, email: str) -> Access:
    """The access of an active account; :class:`AccessError` (Spanish) if there is none."""
    user = user_store.get_user(store, email)
    if user is None:
        raise AccessError(
            f"El correo {normalize_email(email)} no tiene una cuenta en este tablero. Pida a un "
            "administrador que la cree (tablero usuarios agregar)."
        )
    if not user.active:
        raise AccessError(f"La cuenta {user.email} está desactivada.")
    role = Role(user.role)
    allowed = _ROLE_PERMISSIONS[role]
    return Access(
        actor=user.email,
        scope=scope_of(store, role, user.schools, user.territories),
        role=role,
        name=user.name,
        **{p: p in allowed for p in PERMISSIONS},
    )


def check_account_scope(role: Role, schools: list[int], territories: list[str]) -> None:
    """The shape each role's scope must have; :class:`AccessError` (Spanish) if it does not."""
    if role is Role.ADMINISTRADOR and (schools or territories):
        raise AccessError("Un administrador ve todos los establecimientos: no indique alcance.")
    if role is Role.SUPERVISOR and (not territories or schools):
        raise AccessError(
            "Un supervisor necesita uno o más territorios (--territorio ID) y ningún "
            "establecimiento."
        )
    if role in (Role.DIRECTIVO, Role.LECTOR) and (len(schools) != 1 or territories):
        raise AccessError(
            f"Un perfil {role.value} necesita exactamente un establecimiento (--establecimiento "
            "RBD) y ningún territorio."
        )


# -- passwords and local sign-in -------------------------------------------------------------


def _hasher() -> Any:
    from argon2 import PasswordHasher

    return PasswordHasher()


def hash_password(password: str) -> str:
    """An argon2id hash of ``password`` (Spanish :class:`AccessError` if it is too short)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccessError(f"La contraseña debe tener al menos {MIN_PASSWORD_LENGTH} caracteres.")
    return str(_hasher().hash(password))


def _verify(password_hash: str, password: str) -> bool:
    from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

    try:
        return bool(_hasher().verify(password_hash, password))
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


WRONG_CREDENTIALS = "Correo o contraseña incorrectos."


def sign_in_local(
    store: Store, email: str, password: str, *, now: datetime | None = None
) -> Access:
    """Check a local account's password, with lockout; every attempt is audited.

    After :data:`MAX_FAILED_ATTEMPTS` failures in a row the account is locked for
    :data:`LOCKOUT`; a locked account refuses even the right password. A wrong e-mail and a
    wrong password get the same message.

    Raises:
        AccessError: in Spanish, for any refusal.
    """
    now = now or datetime.now()
    email = normalize_email(email)
    user = user_store.get_user(store, email)
    if user is None or user.password_hash is None or not user.active:
        audit.record(
            store,
            email or "(vacío)",
            "ingreso_fallido",
            {"metodo": "local", "motivo": "cuenta inexistente, sin contraseña o desactivada"},
        )
        raise AccessError(WRONG_CREDENTIALS, "No se pudo ingresar")
    if user.locked_until is not None and user.locked_until > now:
        audit.record(store, email, "ingreso_fallido", {"metodo": "local", "motivo": "bloqueada"})
        minutes = max(1, int((user.locked_until - now).total_seconds() // 60) + 1)
        raise AccessError(
            f"La cuenta está bloqueada por {MAX_FAILED_ATTEMPTS} intentos fallidos. Intente de "
            f"nuevo en {minutes} minutos o pida a un administrador que la restablezca.",
            "Cuenta bloqueada",
        )
    if not _verify(user.password_hash, password):
        failures = (0 if user.locked_until is not None else user.failed_attempts) + 1
        locked = now + LOCKOUT if failures >= MAX_FAILED_ATTEMPTS else None
        user_store.update_user(
            store,
            email,
            failed_attempts=failures,
            locked_until=locked,
            clear_lock=locked is None,
        )
        audit.record(
            store,
            email,
            "ingreso_fallido",
            {"metodo": "local", "intentos": failures, "bloqueada": locked is not None},
        )
        if locked is not None:
            raise AccessError(
                f"La cuenta quedó bloqueada por {int(LOCKOUT.total_seconds() // 60)} minutos "
                f"tras {MAX_FAILED_ATTEMPTS} intentos fallidos.",
                "Cuenta bloqueada",
            )
        raise AccessError(WRONG_CREDENTIALS, "No se pudo ingresar")
    user_store.update_user(store, email, failed_attempts=0, clear_lock=True)
    access = access_for(store, email)
    audit.record(store, email, "ingreso", {"metodo": "local", **_scope_detail(access)})
    return access


def sign_in_oidc(store: Store, email: str, provider: str = "") -> Access:
    """The access of a person the identity provider vouched for; unknown e-mails are refused.

    Both outcomes are audited. Raises :class:`AccessError` (Spanish) when the e-mail has no
    active account.
    """
    email = normalize_email(email)
    try:
        access = access_for(store, email)
    except AccessError:
        audit.record(
            store,
            email or "(sin correo)",
            "ingreso_rechazado",
            {"metodo": "oidc", "proveedor": provider},
        )
        raise
    audit.record(
        store, email, "ingreso", {"metodo": "oidc", "proveedor": provider, **_scope_detail(access)}
    )
    return access


def _scope_detail(access: Access) -> dict[str, Any]:
    detail: dict[str, Any] = {"rol": access.role.value if access.role else None}
    if not access.scope.is_all:
        detail["rbds"] = sorted(access.scope.rbds or ())
    return detail


def territory_change_message(
    changes: Iterable[tuple[int, str, bool]], *, undo: int | None = None
) -> str:
    """The refusal of an upload (or of undoing load ``undo``) that would move schools in or out
    of territories the user does not administer (see :meth:`~metrics.scope.Scope.administers`).

    >>> territory_change_message([(90001, "deprov:901", False), (90001, "deprov:902", True)])[:60]
    'El archivo cambiaría los territorios de establecimientos: RB'
    """
    shown = sorted(set(changes))
    parts = [
        f"RBD {rbd} {'entraría a' if joined else 'saldría de'} {territory}"
        for rbd, territory, joined in shown[:10]
    ]
    more = f" y {len(shown) - 10} cambio(s) más" if len(shown) > 10 else ""
    subject = "El archivo" if undo is None else f"Deshacer la carga {undo}"
    ending = (
        "No se cargó nada; deje esas celdas como están en la base (o vacías) o pida el cambio a "
        "un administrador."
        if undo is None
        else "No se deshizo nada; pida a un administrador que la deshaga."
    )
    return (
        f"{subject} cambiaría los territorios de establecimientos: "
        + "; ".join(parts)
        + f"{more}. Solo un administrador, o el supervisor de esos territorios, puede cambiar a "
        f"qué territorio pertenece un establecimiento. {ending}"
    )


def outside_message(outside: Iterable[int]) -> str:
    """The refusal of an upload with rows of schools outside the user's scope.

    Only RBDs (they are in the user's own file), never the names of schools the user may not
    see.

    >>> outside_message([90002])[:70]
    'El archivo tiene filas de establecimientos fuera de su alcance: RBD 90'
    """
    listed = ", ".join(f"RBD {r}" for r in sorted(set(outside)))
    return (
        f"El archivo tiene filas de establecimientos fuera de su alcance: {listed}. No se cargó "
        "nada; quite esas filas o pida la carga a quien tenga acceso a esos establecimientos."
    )
