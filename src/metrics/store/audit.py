"""The audit log: who did what and when, append-only and hash-chained.

Every row carries the SHA-256 of the previous row (``prev_hash``) and its own (``row_hash``,
over the previous hash and its own fields), so a row edited, inserted or deleted outside the
app breaks the chain and :func:`verify_chain` finds it. Nothing in Tablero DPD updates or
deletes audit rows; this module only appends and reads.

Actions (``action``), in Spanish as users read them: ``ingreso``, ``ingreso_fallido``,
``ingreso_rechazado``, ``salida``, ``carga``, ``carga_rechazada``, ``deshacer``, ``meta``,
``linea_base``, ``exportacion``, ``usuario_agregado``, ``usuario_desactivado``,
``usuario_restablecido``.

Appends are serialised by the store's ``write_lock``: two appends at once would both chain to
the same previous row. A caller that appends inside its own transaction (:func:`append`) holds
that lock until it commits.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import duckdb

from metrics.errors import StoreError
from metrics.scope import Scope
from metrics.store.core import Store

if TYPE_CHECKING:
    import pandas as pd

GENESIS = "0" * 64
"""``prev_hash`` of the first row."""

ACTION_LABELS: dict[str, str] = {
    "ingreso": "Ingreso",
    "ingreso_fallido": "Ingreso fallido",
    "ingreso_rechazado": "Ingreso rechazado",
    "salida": "Salida",
    "carga": "Carga de archivo",
    "carga_rechazada": "Carga rechazada",
    "deshacer": "Carga deshecha",
    "meta": "Cambio de meta",
    "linea_base": "Cambio de año de línea base",
    "exportacion": "Exportación",
    "usuario_agregado": "Usuario agregado",
    "usuario_desactivado": "Usuario desactivado",
    "usuario_restablecido": "Contraseña restablecida",
}
"""Spanish names of the actions (the page and the CLI show these)."""


def _default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, set | frozenset | tuple):
        return sorted(value) if isinstance(value, set | frozenset) else list(value)
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return str(value)


def _detail_json(detail: Mapping[str, Any]) -> str:
    return json.dumps(dict(detail), ensure_ascii=False, sort_keys=True, default=_default)


def _row_hash(
    prev_hash: str, row_id: int, logged_at: datetime, actor: str, action: str, detail: str
) -> str:
    text = "\x1f".join([prev_hash, str(row_id), logged_at.isoformat(), actor, action, detail])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def append(
    cur: duckdb.DuckDBPyConnection, actor: str, action: str, detail: Mapping[str, Any]
) -> int:
    """Append one row inside the caller's transaction (the caller holds ``store.write_lock``).

    Returns the new row's id.
    """
    text = _detail_json(detail)
    last = cur.execute("SELECT row_hash FROM audit_log ORDER BY id DESC LIMIT 1").fetchone()
    prev = str(last[0]) if last else GENESIS
    seq = cur.execute("SELECT nextval('audit_log_seq')").fetchone()
    assert seq is not None
    row_id = int(seq[0])
    # Microseconds are kept by TIMESTAMP; the hash sees the same value verify_chain reads back.
    logged_at = datetime.now().replace(tzinfo=None)
    cur.execute(
        "INSERT INTO audit_log (id, logged_at, actor, action, detail, prev_hash, row_hash) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        [
            row_id,
            logged_at,
            actor,
            action,
            text,
            prev,
            _row_hash(prev, row_id, logged_at, actor, action, text),
        ],
    )
    return row_id


def record(store: Store, actor: str, action: str, detail: Mapping[str, Any]) -> int:
    """Append one row to the audit log in its own transaction and return its id.

    ``detail`` is any JSON-serialisable mapping (dates, sets and numpy numbers are converted);
    put ``rbds`` (a list of school RBDs) in it when the action concerns schools, so that a
    supervisor sees it in their territory's log.

    Example:
        >>> from metrics.store import open_store
        >>> s = open_store(":memory:")
        >>> record(s, "ana@escuela.cl", "exportacion", {"formato": "xlsx", "rbds": [90001]})
        1
        >>> verify_chain(s).ok
        True
    """
    with store.write_lock:
        try:
            with store.transaction() as cur:
                return append(cur, actor, action, detail)
        except duckdb.Error as exc:
            raise StoreError(f"No se pudo escribir el registro de auditoría: {exc}") from exc


def read(
    store: Store,
    scope: Scope,
    *,
    since: date | None = None,
    until: date | None = None,
    actor: str | None = None,
    action: str | None = None,
    limit: int | None = None,
    include_own: str | None = None,
) -> pd.DataFrame:
    """Audit rows, newest first, filtered by date (inclusive), actor and action.

    With a narrow ``scope``, only rows whose detail names a visible school (``rbds``) are
    returned, plus the rows whose actor is ``include_own`` (the reader's own actions).
    Columns: ``id``, ``logged_at``, ``actor``, ``action``, ``detail`` (JSON text).
    """
    where: list[str] = ["TRUE"]
    params: list[Any] = []
    if since is not None:
        where.append("logged_at >= ?")
        params.append(datetime.combine(since, datetime.min.time()))
    if until is not None:
        where.append("logged_at < ? + INTERVAL 1 DAY")
        params.append(datetime.combine(until, datetime.min.time()))
    if actor:
        where.append("lower(actor) LIKE ?")
        params.append(f"%{actor.strip().lower()}%")
    if action:
        where.append("action = ?")
        params.append(action)
    if not scope.is_all:
        where.append(
            "(list_has_any(coalesce(TRY_CAST(json_extract(detail, '$.rbds') AS INTEGER[]), "
            "[]::INTEGER[]), ?::INTEGER[]) OR actor = ?)"
        )
        params += [sorted(scope.rbds or ()), include_own or ""]
    sql = (
        "SELECT id, logged_at, actor, action, detail FROM audit_log "
        f"WHERE {' AND '.join(where)} ORDER BY id DESC"
    )
    if limit is not None:
        sql += " LIMIT ?"
        params.append(int(limit))
    return store.query_df(sql, params)


def actions(store: Store) -> list[str]:
    """Actions present in the log, in alphabetical order."""
    df = store.query_df("SELECT DISTINCT action FROM audit_log ORDER BY 1")
    return [str(a) for a in df["action"]]


@dataclass(frozen=True)
class ChainCheck:
    """The result of :func:`verify_chain`."""

    ok: bool
    rows: int
    first_bad_id: int | None = None
    last_hash: str = GENESIS

    def message(self) -> str:
        """One Spanish sentence for the CLI and the page."""
        if self.ok:
            return (
                f"La cadena del registro de auditoría está íntegra ({self.rows} registros; "
                f"último hash {self.last_hash[:16]}…)."
            )
        return (
            f"El registro de auditoría fue alterado fuera del tablero: la cadena se rompe en el "
            f"registro {self.first_bad_id}."
        )


def verify_chain(store: Store) -> ChainCheck:
    """Recompute every row's hash in order; the first row that does not match breaks the chain.

    A deleted row breaks the chain at the row after it; a deleted *last* row can only be found
    by comparing ``last_hash`` with one noted earlier (``tablero auditoria --verificar``
    prints it).
    """
    cur = store.cursor()
    try:
        rows = cur.execute(
            "SELECT id, logged_at, actor, action, detail, prev_hash, row_hash FROM audit_log "
            "ORDER BY id"
        ).fetchall()
    finally:
        cur.close()
    prev = GENESIS
    for row_id, logged_at, actor, action, detail, prev_hash, row_hash in rows:
        expected = _row_hash(prev, int(row_id), logged_at, actor, action, detail)
        if prev_hash != prev or row_hash != expected:
            return ChainCheck(False, len(rows), int(row_id), prev)
        prev = row_hash
    return ChainCheck(True, len(rows), None, prev)
