"""Accounts: their rows in ``app_user`` and ``user_scope``, and the schools a territory holds.

Rules (who may do what, how passwords are checked) live in :mod:`metrics.access`; this module
only reads and writes rows. E-mails are stored in lower case.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import duckdb

from metrics.errors import StoreError
from metrics.store.core import Store
from metrics.store.schema import NO_FACT_BATCH_KINDS


@dataclass(frozen=True)
class UserRow:
    """One ``app_user`` row with its scope."""

    email: str
    name: str
    role: str
    password_hash: str | None
    active: bool
    failed_attempts: int
    locked_until: datetime | None
    schools: tuple[int, ...] = field(default_factory=tuple)
    territories: tuple[str, ...] = field(default_factory=tuple)
    communities: tuple[str, ...] = field(default_factory=tuple)
    """A coordinator's own communities (ids)."""


_COLUMNS = "email, name, role, password_hash, active, failed_attempts, locked_until"


def _scopes(
    cur: duckdb.DuckDBPyConnection, email: str
) -> tuple[tuple[int, ...], tuple[str, ...], tuple[str, ...]]:
    rows = cur.execute(
        "SELECT scope_kind, scope_id FROM user_scope WHERE email = ? ORDER BY scope_kind, scope_id",
        [email],
    ).fetchall()
    schools = tuple(sorted(int(i) for k, i in rows if k == "establecimiento"))
    territories = tuple(str(i) for k, i in rows if k == "territorio")
    communities = tuple(str(i) for k, i in rows if k == "comunidad")
    return schools, territories, communities


def get_user(store: Store, email: str) -> UserRow | None:
    """The account with this e-mail (any case), or None."""
    cur = store.cursor()
    try:
        row = cur.execute(
            f"SELECT {_COLUMNS} FROM app_user WHERE email = ?", [email.strip().lower()]
        ).fetchone()
        if row is None:
            return None
        schools, territories, communities = _scopes(cur, str(row[0]))
    finally:
        cur.close()
    return UserRow(
        str(row[0]),
        str(row[1]),
        str(row[2]),
        row[3],
        bool(row[4]),
        int(row[5]),
        row[6],
        schools,
        territories,
        communities,
    )


def list_users(store: Store) -> list[UserRow]:
    """Every account, by e-mail."""
    cur = store.cursor()
    try:
        emails = [r[0] for r in cur.execute("SELECT email FROM app_user ORDER BY email").fetchall()]
    finally:
        cur.close()
    return [u for u in (get_user(store, e) for e in emails) if u is not None]


def count_local_accounts(store: Store) -> int:
    """Active accounts that have a password (local sign-in is possible)."""
    df = store.query_df(
        "SELECT count(*) AS n FROM app_user WHERE active AND password_hash IS NOT NULL"
    )
    return int(df["n"].iloc[0])


def save_user(
    store: Store,
    *,
    email: str,
    name: str,
    role: str,
    password_hash: str | None,
    schools: Iterable[int] = (),
    territories: Iterable[str] = (),
    communities: Iterable[str] = (),
) -> bool:
    """Create or replace an account and its scope (active, no failures). True if it was new."""
    email = email.strip().lower()
    try:
        with store.transaction() as cur:
            existed = cur.execute("SELECT 1 FROM app_user WHERE email = ?", [email]).fetchone()
            cur.execute("DELETE FROM user_scope WHERE email = ?", [email])
            cur.execute("DELETE FROM app_user WHERE email = ?", [email])
            cur.execute(
                "INSERT INTO app_user (email, name, role, password_hash) VALUES (?, ?, ?, ?)",
                [email, name, role, password_hash],
            )
            for rbd in schools:
                cur.execute(
                    "INSERT INTO user_scope VALUES (?, 'establecimiento', ?)", [email, str(rbd)]
                )
            for territory in territories:
                cur.execute(
                    "INSERT INTO user_scope VALUES (?, 'territorio', ?)", [email, territory]
                )
            for community in communities:
                cur.execute("INSERT INTO user_scope VALUES (?, 'comunidad', ?)", [email, community])
    except duckdb.Error as exc:
        raise StoreError(f"No se pudo guardar el usuario {email}: {exc}") from exc
    return existed is None


def set_user_communities(store: Store, email: str, communities: Iterable[str]) -> None:
    """Replace the communities (``user_scope`` rows of kind ``comunidad``) of an account."""
    email = email.strip().lower()
    try:
        with store.transaction() as cur:
            cur.execute(
                "DELETE FROM user_scope WHERE email = ? AND scope_kind = 'comunidad'", [email]
            )
            for community in communities:
                cur.execute("INSERT INTO user_scope VALUES (?, 'comunidad', ?)", [email, community])
            cur.execute(
                "UPDATE app_user SET updated_at = current_timestamp WHERE email = ?", [email]
            )
    except duckdb.Error as exc:
        raise StoreError(f"No se pudieron guardar las comunidades de {email}: {exc}") from exc


def update_user(
    store: Store,
    email: str,
    *,
    active: bool | None = None,
    password_hash: str | None = None,
    failed_attempts: int | None = None,
    locked_until: datetime | None = None,
    clear_lock: bool = False,
) -> None:
    """Change some fields of an account (``None`` leaves a field as it is)."""
    sets: list[str] = ["updated_at = current_timestamp"]
    params: list[Any] = []
    if active is not None:
        sets.append("active = ?")
        params.append(active)
    if password_hash is not None:
        sets.append("password_hash = ?")
        params.append(password_hash)
    if failed_attempts is not None:
        sets.append("failed_attempts = ?")
        params.append(failed_attempts)
    if locked_until is not None:
        sets.append("locked_until = ?")
        params.append(locked_until)
    elif clear_lock:
        sets.append("locked_until = NULL")
    try:
        with store.transaction() as cur:
            cur.execute(
                f"UPDATE app_user SET {', '.join(sets)} WHERE email = ?",
                [*params, email.strip().lower()],
            )
    except duckdb.Error as exc:
        raise StoreError(f"No se pudo actualizar el usuario {email}: {exc}") from exc


_SIGN_IN_LOCKS: dict[str, threading.Lock] = {}
_SIGN_IN_LOCKS_GUARD = threading.Lock()


def _sign_in_lock(store: Store) -> threading.Lock:
    """One lock per database file in this process: the app's sessions are threads of one
    process, and DuckDB lets no other process open the file while this one holds it, so this
    lock makes every change to the failure count a turn of its own (two sessions updating the
    same row at once fail with DuckDB's «Conflict on update», and the attempt went uncounted)."""
    key = store.path if store.path == ":memory:" else str(Path(store.path).resolve())
    if key == ":memory:":
        key = f":memory:{id(store)}"
    with _SIGN_IN_LOCKS_GUARD:
        return _SIGN_IN_LOCKS.setdefault(key, threading.Lock())


Claim = Literal["unknown", "locked", "check"]


@dataclass(frozen=True)
class SignInClaim:
    """What :func:`claim_sign_in` found: whether the password may be checked, and with what."""

    outcome: Claim
    password_hash: str | None = None
    attempt: int = 0


def claim_sign_in(store: Store, email: str, *, now: datetime, max_failures: int) -> SignInClaim:
    """Count one sign-in attempt before its password is checked, in one atomic update.

    ``unknown``: no active account with a password. ``locked``: locked now, or
    ``max_failures`` attempts already counted and not yet cleared (attempts still being
    checked count too), so this one is refused unchecked. ``check``: the password may be
    checked; ``attempt`` is this attempt's number since the last success (an expired lock
    starts again from 1). The count is never read and written in two steps, so parallel
    attempts cannot overwrite each other's.
    """
    email = email.strip().lower()
    try:
        with _sign_in_lock(store), store.write_lock:  # read_only Stores: the exclusive turn
            cur = store.cursor()
            try:
                row = cur.execute(
                    """
                    UPDATE app_user SET
                        failed_attempts = CASE
                            WHEN locked_until IS NOT NULL AND locked_until <= ? THEN 1
                            WHEN locked_until IS NOT NULL THEN failed_attempts
                            ELSE failed_attempts + 1 END,
                        locked_until = CASE
                            WHEN locked_until IS NOT NULL AND locked_until <= ? THEN NULL
                            ELSE locked_until END
                    WHERE email = ? AND active AND password_hash IS NOT NULL
                    RETURNING failed_attempts, locked_until, password_hash
                    """,
                    [now, now, email],
                ).fetchone()
            finally:
                cur.close()
    except duckdb.Error as exc:
        raise StoreError(f"No se pudo registrar el intento de ingreso: {exc}") from exc
    if row is None:
        return SignInClaim("unknown")
    attempts, locked_until, password_hash = int(row[0]), row[1], str(row[2])
    if locked_until is not None or attempts > max_failures:
        return SignInClaim("locked", attempt=attempts)
    return SignInClaim("check", password_hash, attempts)


def settle_sign_in(
    store: Store,
    email: str,
    *,
    success: bool,
    now: datetime,
    max_failures: int,
    lockout: timedelta,
) -> bool:
    """After a checked password: clear the count (success), or lock the account when the
    failures counted reached ``max_failures``. Returns True if the account is locked now."""
    email = email.strip().lower()
    try:
        with _sign_in_lock(store), store.write_lock:  # read_only Stores: the exclusive turn
            cur = store.cursor()
            try:
                if success:
                    cur.execute(
                        "UPDATE app_user SET failed_attempts = 0, locked_until = NULL, "
                        "updated_at = current_timestamp WHERE email = ?",
                        [email],
                    )
                    return False
                row = cur.execute(
                    "UPDATE app_user SET locked_until = coalesce(locked_until, ?) "
                    "WHERE email = ? AND failed_attempts >= ? RETURNING locked_until",
                    [now + lockout, email, max_failures],
                ).fetchone()
                return row is not None
            finally:
                cur.close()
    except duckdb.Error as exc:
        raise StoreError(f"No se pudo registrar el intento de ingreso: {exc}") from exc


DEMO_KIND = "demo"
"""``import_batch.kind`` (with ``actor`` ``demo``) of the batches the demo generators write
(:func:`tablero_demo.demo.build_demo`, :func:`tablero_demo.national.build_national`)."""


def demo_blockers(store: Store) -> tuple[int, int]:
    """What makes a store more than demo data: (its loads in force that the demo generators did
    not write, its user accounts).

    Targets set by hand (kind ``metas``) and records written in the app (the qualitative log,
    síntesis and follow-up reviews; communities, schedules and sessions saved in Registros,
    origin ``tablero``) are not counted: writing them is part of trying the demo, and the demo
    has no real people to name. Undone loads hold no rows and are not counted.
    """

    cur = store.cursor()
    try:
        row = cur.execute(
            "SELECT (SELECT count(*) FROM import_batch WHERE undone_at IS NULL "
            "AND NOT (kind = ? AND actor = ?) AND NOT list_contains(?::VARCHAR[], kind) "
            "AND coalesce(json_extract_string(options, '$.origen'), '') <> 'tablero'), "
            "(SELECT count(*) FROM app_user)",
            [DEMO_KIND, DEMO_KIND, list(NO_FACT_BATCH_KINDS)],
        ).fetchone()
    finally:
        cur.close()
    assert row is not None
    return int(row[0]), int(row[1])


def territory_schools(store: Store, territory_ids: Iterable[str]) -> list[int]:
    """RBDs of the schools of these territories (through ``school_territory``)."""
    ids = sorted(set(territory_ids))
    if not ids:
        return []
    df = store.query_df(
        "SELECT DISTINCT rbd FROM school_territory "
        "WHERE territory_id IN (SELECT UNNEST(?::VARCHAR[])) ORDER BY rbd",
        [ids],
    )
    return [int(r) for r in df["rbd"]]


def community_schools(store: Store, community_ids: Iterable[str]) -> dict[str, int]:
    """The RBD of each of these communities that the store holds."""
    ids = list(community_ids)
    if not ids:
        return {}
    cur = store.cursor()
    try:
        rows = cur.execute(
            "SELECT id, rbd FROM community WHERE id IN (SELECT UNNEST(?::VARCHAR[]))", [ids]
        ).fetchall()
    finally:
        cur.close()
    return {str(i): int(r) for i, r in rows}


def territory_names(store: Store) -> dict[str, str]:
    """Every territory id and its name (for the CLI's checks and listings)."""
    df = store.query_df("SELECT id, name FROM territory ORDER BY id")
    return {str(i): str(n) for i, n in zip(df["id"], df["name"], strict=True)}


def school_names(store: Store, rbds: Iterable[int]) -> dict[int, str]:
    """Names of these schools (those that exist)."""
    wanted = sorted({int(r) for r in rbds})
    if not wanted:
        return {}
    df = store.query_df(
        "SELECT rbd, name FROM school WHERE rbd IN (SELECT UNNEST(?::INTEGER[]))", [wanted]
    )
    return {int(r): str(n) for r, n in zip(df["rbd"], df["name"], strict=True)}
