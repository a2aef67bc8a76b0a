"""Who sees what: roles, the scope and permissions of a user, and local sign-in.

The one place that turns a person into an :class:`Access` — the schools they may see (a
:class:`~metrics.scope.Scope`) and what they may do. Pages, downloads, exports and the CLI ask
an ``Access``; none of them decides by role on its own. This module does not import Streamlit.

Roles:

=============== ============================== ======= ====== ===== ======== ======== ===== ======
role            sees                           upload  targets export teachers users    audit record
=============== ============================== ======= ====== ===== ======== ======== ===== ======
administrador   every school                   yes     yes    yes   yes      yes      yes   all
supervisor      the schools of its territories yes     no     yes   yes      no       yes   all
directivo       one school                     yes     yes    yes   yes      no       no    all
coordinador     one school                     no      no     no    yes      no       no    own
lector          one school                     no      no     no    no       no       no    no
=============== ============================== ======= ====== ===== ======== ======== ===== ======

*record* is keeping the school's records in the app (communities, members, schedule, sessions:
:mod:`metrics.imports.community_records`): a coordinator keeps only those of its own communities
(:attr:`Access.communities`), and may not create one.

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
from collections.abc import Iterable, Sequence
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
    COORDINADOR = "coordinador"
    LECTOR = "lector"


ROLE_LABELS = {
    Role.ADMINISTRADOR: "Administrador",
    Role.SUPERVISOR: "Supervisor territorial",
    Role.DIRECTIVO: "Equipo directivo",
    Role.COORDINADOR: "Coordinación de comunidad",
    Role.LECTOR: "Lector",
}

PERMISSIONS: tuple[str, ...] = (
    "can_upload",
    "can_set_targets",
    "can_export",
    "sees_teachers",
    "can_manage_users",
    "sees_audit",
    "can_record",
)
"""Names of the permission flags of :class:`Access`."""

_ROLE_PERMISSIONS: dict[Role, frozenset[str]] = {
    Role.ADMINISTRADOR: frozenset(PERMISSIONS),
    Role.SUPERVISOR: frozenset(
        {"can_upload", "can_export", "sees_teachers", "sees_audit", "can_record"}
    ),
    Role.DIRECTIVO: frozenset(
        {"can_upload", "can_set_targets", "can_export", "sees_teachers", "can_record"}
    ),
    Role.COORDINADOR: frozenset({"sees_teachers", "can_record"}),
    Role.LECTOR: frozenset(),
}

PERMISSION_REFUSALS = {
    "can_upload": "Su perfil no permite cargar ni deshacer archivos.",
    "can_set_targets": "Su perfil no permite fijar metas ni el año de línea base.",
    "can_export": "Su perfil no permite exportar datos.",
    "sees_teachers": "Su perfil no permite ver datos de docentes individuales.",
    "can_manage_users": "Solo un administrador puede gestionar usuarios.",
    "sees_audit": "Solo administradores y supervisores ven el registro de auditoría.",
    "can_record": "Su perfil no permite registrar comunidades, cronogramas ni sesiones.",
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
    can_record: bool = True
    communities: frozenset[str] | None = None
    """The communities whose records this person keeps (a coordinator's own); ``None``: every
    community of the schools in ``scope``."""

    @classmethod
    def full(cls, actor: str) -> Access:
        return cls(actor=actor, scope=Scope.all())

    @classmethod
    def nobody(cls) -> Access:
        """No school and no permission: the default where nobody signed in."""
        return cls(
            "",
            Scope.nobody(),
            None,
            "",
            can_upload=False,
            can_set_targets=False,
            can_export=False,
            sees_teachers=False,
            can_manage_users=False,
            sees_audit=False,
            can_record=False,
        )

    def allows(self, permission: str) -> bool:
        if permission not in PERMISSIONS:
            raise ValueError(f"unknown permission: {permission}")
        return bool(getattr(self, permission))

    def require(self, permission: str) -> None:
        """Raise :class:`AccessError` (Spanish) unless this access has ``permission``."""
        if not self.allows(permission):
            raise AccessError(PERMISSION_REFUSALS[permission])

    def may_record(self, community_id: str | None) -> bool:
        """Whether this person may keep the records of ``community_id`` (``None``: create a
        new community, which a coordinator may not)."""
        if not self.can_record:
            return False
        if self.communities is None:
            return True
        return community_id is not None and community_id in self.communities

    def require_record(self, community_id: str | None) -> None:
        """Raise :class:`AccessError` (Spanish) unless :meth:`may_record` allows it."""
        if not self.can_record:
            raise AccessError(PERMISSION_REFUSALS["can_record"])
        if not self.may_record(community_id):
            if community_id is None:
                raise AccessError(
                    "Su perfil de coordinación registra solo sus comunidades: no puede crear "
                    "una comunidad nueva. Pídalo al equipo directivo."
                )
            raise AccessError(
                f"Su perfil de coordinación registra solo sus comunidades; la comunidad "
                f"{community_id} no es una de ellas. No se guardó nada."
            )

    @property
    def edits_others_records(self) -> bool:
        """Whether this person may change or delete records others wrote in the app (the
        qualitative log): an administrator, a school's leadership team, or full access without
        an account; anyone else only their own."""
        return self.role in (None, Role.ADMINISTRADOR, Role.DIRECTIVO)

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
        communities=frozenset(user.communities) if role is Role.COORDINADOR else None,
    )


def check_account_scope(
    role: Role, schools: list[int], territories: list[str], communities: Sequence[str] = ()
) -> None:
    """The shape each role's scope must have; :class:`AccessError` (Spanish) if it does not."""
    if role is Role.COORDINADOR:
        if len(schools) != 1 or territories or not communities:
            raise AccessError(
                "Un perfil coordinador necesita exactamente un establecimiento (--establecimiento "
                "RBD), una o más de sus comunidades (--comunidad ID) y ningún territorio."
            )
        return
    if communities:
        raise AccessError("Solo un perfil coordinador lleva comunidades (--comunidad).")
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


def save_account(
    store: Store,
    actor: str,
    *,
    email: str,
    name: str,
    role: Role,
    schools: Iterable[int] = (),
    territories: Iterable[str] = (),
    password: str | None = None,
    communities: Iterable[str] = (),
) -> bool:
    """Create or replace an account after every check (e-mail, the role's scope shape, schools
    and territories that exist, the password policy), audited; True if it was new. ``password``
    None: an account for OpenID Connect sign-in only. Used by ``tablero usuarios agregar`` and
    the *Ajustes* page alike; :class:`AccessError` (Spanish) on bad input, nothing saved."""
    email = normalize_email(email)
    schools, territories = sorted(set(map(int, schools))), sorted(set(territories))
    communities = sorted(set(communities))
    check_account(store, email, role, schools, territories, communities)
    hashed = None if password is None else hash_password(password, email)
    return _save_checked(
        store,
        actor,
        email=email,
        name=name,
        role=role,
        schools=schools,
        territories=territories,
        hashed=hashed,
        communities=communities,
    )


def check_account(
    store: Store,
    email: str,
    role: Role,
    schools: list[int],
    territories: list[str],
    communities: Sequence[str] = (),
) -> None:
    """Every check of an account but its password: an e-mail, the role's scope shape, and
    schools, territories and (a coordinator's) communities of its school that exist
    (:class:`AccessError`, Spanish)."""
    if "@" not in email or email.startswith("@") or email.endswith("@"):
        raise AccessError(f"«{email}» no es un correo electrónico.")
    check_account_scope(role, schools, territories, communities)
    known_schools = user_store.school_names(store, schools)
    missing = [r for r in schools if r not in known_schools]
    if missing:
        raise AccessError(
            f"No existe el establecimiento RBD {missing[0]} en la base de datos. Cargue primero "
            "el directorio de establecimientos."
        )
    known_territories = user_store.territory_names(store)
    unknown = [t for t in territories if t not in known_territories]
    if unknown:
        raise AccessError(
            f"No existe el territorio {unknown[0]}. Territorios: "
            + ", ".join(list(known_territories)[:10])
            + ("…" if len(known_territories) > 10 else "")
        )
    where = user_store.community_schools(store, communities)
    for community in communities:
        if where.get(community) not in schools:
            raise AccessError(
                f"No existe la comunidad {community} en el establecimiento RBD "
                f"{schools[0] if schools else '–'}. Un coordinador registra comunidades de su "
                "establecimiento."
            )


def _save_checked(
    store: Store,
    actor: str,
    *,
    email: str,
    name: str,
    role: Role,
    schools: list[int],
    territories: list[str],
    hashed: str | None,
    communities: Sequence[str] = (),
) -> bool:
    new = user_store.save_user(
        store,
        email=email,
        name=name.strip(),
        role=role.value,
        password_hash=hashed,
        schools=schools,
        territories=territories,
        communities=communities,
    )
    audit.record(
        store,
        actor,
        "usuario_agregado",
        {
            "correo": email,
            "rol": role.value,
            "establecimientos": schools,
            "territorios": territories,
            "comunidades": list(communities),
            "contrasena": hashed is not None,
            "reemplaza": not new,
            "rbds": schools,
        },
    )
    return new


def set_coordinator_communities(
    store: Store, actor: str, email: str, communities: Iterable[str]
) -> tuple[str, ...]:
    """Give a coordinator account these communities of its school (its name, password and
    sign-in stay as they were), audited; returns the communities it had. :class:`AccessError`
    (Spanish) when the account does not exist, is not a coordinator's, or a community is not
    of its school; nothing is saved then."""
    email = normalize_email(email)
    user = user_store.get_user(store, email)
    if user is None:
        raise AccessError(f"No existe la cuenta {email}.")
    if user.role != Role.COORDINADOR.value:
        raise AccessError(
            f"La cuenta {email} es de {ROLE_LABELS[Role(user.role)].lower()}: solo una cuenta de "
            "coordinación lleva comunidades."
        )
    chosen = sorted(set(communities))
    if not chosen:
        raise AccessError(
            f"La cuenta {email} quedaría sin comunidades: una cuenta de coordinación registra al "
            "menos una. Para quitarle el acceso, desactívela."
        )
    check_account(store, email, Role.COORDINADOR, list(user.schools), [], chosen)
    user_store.set_user_communities(store, email, chosen)
    audit.record(
        store,
        actor,
        "usuario_comunidades",
        {
            "correo": email,
            "comunidades": chosen,
            "antes": list(user.communities),
            "rbds": list(user.schools),
        },
    )
    return user.communities


def deactivate_account(store: Store, actor: str, email: str) -> None:
    """Close an account (its history stays), audited; :class:`AccessError` if there is none."""
    email = normalize_email(email)
    if user_store.get_user(store, email) is None:
        raise AccessError(f"No existe la cuenta {email}.")
    user_store.update_user(store, email, active=False)
    audit.record(store, actor, "usuario_desactivado", {"correo": email})


# -- passwords and local sign-in -------------------------------------------------------------

MAX_PASSWORD_LENGTH = 256
"""Longer passwords are refused (hashing megabytes would be a cheap way to tire the server)."""

_SEQUENCES = (
    "abcdefghijklmnopqrstuvwxyz",
    "01234567890123456789",
    "qwertyuiopasdfghjklñzxcvbnm",
    "qwertyuiopasdfghjklzxcvbnm",
    "1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0p",
    "qazwsxedcrfvtgbyhnujmikolp",
    "1q2w3e4r5t6y7u8i9o0p",
)
"""Alphabet, digits and keyboard rows: a password made of a few runs of these is trivial."""

COMMON_PASSWORDS = frozenset(
    [
        "password",
        "passw0rd",
        "contrasena",
        "contraseña",
        "clave",
        "miclave",
        "secreto",
        "admin",
        "administrador",
        "administradora",
        "root",
        "usuario",
        "user",
        "login",
        "welcome",
        "bienvenido",
        "bienvenida",
        "hola",
        "holamundo",
        "qwerty",
        "asdf",
        "zxcv",
        "abc",
        "iloveyou",
        "teamo",
        "tequiero",
        "amor",
        "princesa",
        "dragon",
        "monkey",
        "football",
        "futbol",
        "colocolo",
        "universidad",
        "chile",
        "santiago",
        "valparaiso",
        "concepcion",
        "temuco",
        "escuela",
        "colegio",
        "liceo",
        "profesor",
        "profesora",
        "docente",
        "director",
        "directora",
        "utp",
        "slep",
        "mineduc",
        "tablero",
        "tablerodpd",
        "dpd",
        "comunidad",
        "practica",
        "google",
        "microsoft",
        "sunshine",
        "shadow",
        "superman",
        "batman",
        "pokemon",
        "letmein",
        "trustno1",
        "master",
        "starwars",
        "matrix",
    ]
)
"""Words that make a password common once the digits and symbols around them are dropped
(«Password1234!», «contraseña2024»): the most used passwords in Spanish and English and this
service's own words."""


def password_problem(password: str, email: str = "") -> str | None:
    """Why ``password`` is too weak to set (Spanish), or None if it may be used.

    At least :data:`MIN_PASSWORD_LENGTH` characters, at most :data:`MAX_PASSWORD_LENGTH`; not
    only spaces; not one or two characters repeated; not a few runs of the alphabet, the digits
    or a keyboard row («123456789012», «qwerty123456»); not a common word or the account's own
    e-mail with digits and symbols around it («Password2024!»).

    >>> password_problem("aaaaaaaaaaaa")
    'La contraseña repite uno o dos caracteres; elija una frase con palabras distintas.'
    >>> password_problem("tres perros comen pan") is None
    True
    """
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"La contraseña debe tener al menos {MIN_PASSWORD_LENGTH} caracteres."
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"La contraseña puede tener hasta {MAX_PASSWORD_LENGTH} caracteres."
    if not password.strip():
        return "La contraseña no puede ser solo espacios."
    text = password.lower()
    if len(set(text)) <= 2:
        return "La contraseña repite uno o dos caracteres; elija una frase con palabras distintas."
    if _runs_needed(text) <= 3:
        return (
            "La contraseña es una secuencia o repetición fácil de adivinar (como «123456789012», "
            "«abcabcabcabc» o «qwerty123456»); elija una frase con palabras distintas."
        )
    core = _strip_accents(text).strip("0123456789 !¡?¿.,;:-_*#$%&/()=+@'\"")
    user = _strip_accents(normalize_email(email).split("@")[0]) if email else ""
    if core in _COMMON_CORES or (user and core in {user, _strip_accents(normalize_email(email))}):
        return (
            "La contraseña es demasiado común o se basa en el correo de la cuenta; elija una "
            "frase con palabras distintas."
        )
    return None


def _strip_accents(text: str) -> str:
    import unicodedata

    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


_COMMON_CORES = frozenset(_strip_accents(w) for w in COMMON_PASSWORDS) | {""}


def _simple_run(piece: str) -> bool:
    """A piece of three or more characters that is one character repeated, or a run of a
    sequence (either way), or a repetition of a shorter piece («abcabc»)."""
    if len(piece) < 3:
        return False
    if len(set(piece)) == 1 or piece in (piece + piece)[1:-1]:
        return True
    return any(piece in seq or piece in seq[::-1] for seq in _SEQUENCES)


def _runs_needed(text: str) -> int:
    """The fewest simple runs (:func:`_simple_run`) that make up ``text`` (a large number when
    it cannot be made of them)."""
    n = len(text)
    best = [0] + [n + 10] * n
    for end in range(1, n + 1):
        for start in range(max(0, end - 40), end - 2):
            if best[start] + 1 < best[end] and _simple_run(text[start:end]):
                best[end] = best[start] + 1
    return best[n]


def check_password(password: str, email: str = "") -> None:
    """Raise :class:`AccessError` (Spanish) when ``password`` may not be set."""
    problem = password_problem(password, email)
    if problem is not None:
        raise AccessError(problem, "Contraseña no aceptada")


def hash_password(password: str, email: str = "") -> str:
    """An argon2id hash of ``password``, once :func:`check_password` accepts it."""
    check_password(password, email)
    return str(_hasher().hash(password))


def _hasher() -> Any:
    from argon2 import PasswordHasher

    return PasswordHasher()


def _verify(password_hash: str, password: str) -> bool:
    from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

    try:
        return bool(_hasher().verify(password_hash, password))
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


_DUMMY_HASH: list[str] = []


def _verify_nothing(password: str) -> None:
    """Spend the time of a real check, so that a refusal without one (unknown account, locked)
    takes as long as a wrong password and cannot tell which it was."""
    if not _DUMMY_HASH:
        _DUMMY_HASH.append(str(_hasher().hash("tablero-dpd: no es una cuenta")))
    _verify(_DUMMY_HASH[0], password)


SIGN_IN_TITLE = "No se pudo ingresar"
WRONG_CREDENTIALS = (
    "Correo o contraseña incorrectos, o la cuenta está bloqueada por "
    f"{MAX_FAILED_ATTEMPTS} intentos fallidos seguidos (se desbloquea sola en "
    f"{int(LOCKOUT.total_seconds() // 60)} minutos, o un administrador la restablece)."
)
"""The one answer to every failed local sign-in: unknown account, wrong password, locked
account, deactivated account. Telling them apart would let anyone find out which e-mails have
an account."""


def sign_in_local(
    store: Store, email: str, password: str, *, now: datetime | None = None
) -> Access:
    """Check a local account's password, with lockout; every attempt is audited.

    Each attempt is counted (atomically, before its password is checked) so that parallel
    attempts cannot slip past the count: after :data:`MAX_FAILED_ATTEMPTS` failures in a row
    the account is locked for :data:`LOCKOUT`, and a locked account refuses even the right
    password. Every failure gets the same message (:data:`WRONG_CREDENTIALS`), and the same
    time; the audit log keeps the reason.

    Raises:
        AccessError: in Spanish, for any refusal.
    """
    now = now or datetime.now()
    email = normalize_email(email)
    claim = user_store.claim_sign_in(store, email, now=now, max_failures=MAX_FAILED_ATTEMPTS)
    if claim.outcome != "check" or claim.password_hash is None:
        _verify_nothing(password)
        reason = (
            "cuenta inexistente, sin contraseña o desactivada"
            if claim.outcome == "unknown"
            else "bloqueada"
        )
        audit.record(
            store, email or "(vacío)", "ingreso_fallido", {"metodo": "local", "motivo": reason}
        )
        raise AccessError(WRONG_CREDENTIALS, SIGN_IN_TITLE)
    success = _verify(claim.password_hash, password)
    locked = user_store.settle_sign_in(
        store,
        email,
        success=success,
        now=now,
        max_failures=MAX_FAILED_ATTEMPTS,
        lockout=LOCKOUT,
    )
    if not success:
        audit.record(
            store,
            email,
            "ingreso_fallido",
            {"metodo": "local", "intentos": claim.attempt, "bloqueada": locked},
        )
        raise AccessError(WRONG_CREDENTIALS, SIGN_IN_TITLE)
    access = access_for(store, email)
    audit.record(store, email, "ingreso", {"metodo": "local", **_scope_detail(access)})
    return access


def demo_refusal(store: Store) -> str | None:
    """Why demo mode (``TABLERO_DEMO``) may not open this store without sign-in, in Spanish;
    None when it holds only demo data (or nothing) and no accounts.

    Demo mode gives everyone full access without signing in: only for the data the demo
    generators wrote (``tablero demo``). A load of any other kind (a real file, even one
    uploaded while in demo mode) or any user account makes the store a real one.
    """
    loads, accounts = user_store.demo_blockers(store)
    if not loads and not accounts:
        return None
    parts = []
    if loads:
        parts.append(
            f"{loads} carga{'s' if loads != 1 else ''} que no hizo el generador de demostración"
        )
    if accounts:
        parts.append(f"{accounts} cuenta{'s' if accounts != 1 else ''} de usuario")
    return (
        "El modo demostración (TABLERO_DEMO) abre sin ingreso solo una base con datos de "
        f"demostración, y esta tiene {' y '.join(parts)}: puede tener datos reales, así que "
        "el tablero pide ingresar. Para ver esta base, ingrese con su cuenta (y quite "
        "TABLERO_DEMO); para mirar la demostración, use una base creada con «tablero demo» "
        "(por ejemplo, TABLERO_DB=data/demo.duckdb)."
    )


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
