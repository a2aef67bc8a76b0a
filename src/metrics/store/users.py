"""Accounts: their rows in ``app_user`` and ``user_scope``, and the schools a territory holds.

Rules (who may do what, how passwords are checked) live in :mod:`metrics.access`; this module
only reads and writes rows. E-mails are stored in lower case.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import duckdb

from metrics.errors import StoreError
from metrics.store.core import Store


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


_COLUMNS = "email, name, role, password_hash, active, failed_attempts, locked_until"


def _scopes(cur: duckdb.DuckDBPyConnection, email: str) -> tuple[tuple[int, ...], tuple[str, ...]]:
    rows = cur.execute(
        "SELECT scope_kind, scope_id FROM user_scope WHERE email = ? ORDER BY scope_kind, scope_id",
        [email],
    ).fetchall()
    schools = tuple(sorted(int(i) for k, i in rows if k == "establecimiento"))
    territories = tuple(str(i) for k, i in rows if k == "territorio")
    return schools, territories


def get_user(store: Store, email: str) -> UserRow | None:
    """The account with this e-mail (any case), or None."""
    cur = store.cursor()
    try:
        row = cur.execute(
            f"SELECT {_COLUMNS} FROM app_user WHERE email = ?", [email.strip().lower()]
        ).fetchone()
        if row is None:
            return None
        schools, territories = _scopes(cur, str(row[0]))
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
    except duckdb.Error as exc:
        raise StoreError(f"No se pudo guardar el usuario {email}: {exc}") from exc
    return existed is None


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
