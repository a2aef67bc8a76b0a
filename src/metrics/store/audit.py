"""The audit log: who did what and when, append-only, keyed, chained and anchored.

Three locks on it, so that a row edited, inserted, deleted, or cut off the end outside the app
is found by :func:`verify_chain`:

1. **A keyed chain.** Every row carries the hash of the previous row (``prev_hash``) and its own
   (``row_hash``): an HMAC-SHA256 over the previous hash, its id and its fields, keyed with a key
   derived from the store's secret key (``TABLERO_KEY``, else the ``<db>.key`` file; see
   :mod:`metrics.pseudonym`). Without the key, rows cannot be rewritten with recomputed hashes.
2. **A sequence.** Keyed rows take ids without gaps (the previous id plus one, under the write
   lock), so a missing id is a missing row.
3. **An anchor outside the store**: ``<db>.audit`` beside the database (mode 0600; in memory for
   an in-memory store) holds the log's length, its last id and last hash, and the id from which
   rows are keyed, signed with the same key. It is written after every transaction that appended
   rows has committed (:func:`seal`, called by the store's write lock), so deleting the last
   rows, truncating or emptying the log leaves the database shorter than its anchor. A crash
   between a commit and the anchor's update leaves the anchor behind the log, never ahead: rows
   after it are accepted only when they carry valid keyed hashes, which needs the key.

Stores from before schema :data:`~metrics.store.schema.AUDIT_KEYED_VERSION` keep their rows:
those are verified by the old rule (a plain SHA-256 chain, ids with gaps allowed), the anchor
written on upgrade pins their end, and the chain continues keyed from the next id. What the
anchor cannot see: someone who can also replace the anchor and knows the key (the ``<db>.key``
file beside the store) can rewrite anything; keep ``TABLERO_KEY`` outside the server's disk and
note the last hash (``tablero auditoria --verificar`` prints it) for that case.

Nothing in Tablero DPD updates or deletes audit rows; this module only appends and reads.

Actions (``action``), in Spanish as users read them: ``ingreso``, ``ingreso_fallido``,
``ingreso_rechazado``, ``salida``, ``carga``, ``carga_rechazada``, ``deshacer``, ``meta``,
``linea_base``, ``exportacion``, ``usuario_agregado``, ``usuario_desactivado``,
``usuario_comunidades``, ``usuario_restablecido``, ``ancla_restablecida``.

Appends are serialised by the store's ``write_lock``: two appends at once would both chain to
the same previous row. A caller that appends inside its own transaction (:func:`append`) holds
that lock until it commits.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import weakref
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from metrics.errors import StoreError, TableroError
from metrics.pseudonym import load_key
from metrics.scope import Scope

if TYPE_CHECKING:
    import pandas as pd

    from metrics.store.core import Store

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
    "usuario_comunidades": "Comunidades de un coordinador",
    "usuario_restablecido": "Contraseña restablecida",
    "ancla_restablecida": "Ancla de auditoría restablecida",
    "registro_cualitativo": "Registro de la bitácora",
    "registro_cualitativo_borrado": "Registro de la bitácora borrado",
    "sintesis_cualitativa": "Síntesis cualitativa",
    "seguimiento": "Revisión de seguimiento",
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
    """The old rule (before the keyed chain): a plain SHA-256 anyone can recompute."""
    text = "\x1f".join([prev_hash, str(row_id), logged_at.isoformat(), actor, action, detail])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _row_mac(
    key: bytes,
    prev_hash: str,
    row_id: int,
    logged_at: datetime,
    actor: str,
    action: str,
    detail: str,
) -> str:
    """The keyed rule: HMAC-SHA256 with the store's audit key."""
    text = "\x1f".join(
        ["fila", prev_hash, str(row_id), logged_at.isoformat(), actor, action, detail]
    )
    return hmac.new(key, text.encode("utf-8"), hashlib.sha256).hexdigest()


def _key_for_path(path: str) -> bytes:
    """The audit key: derived from the store's secret key, never the key itself."""

    secret = load_key(path).key
    return hashlib.sha256(b"tablero-dpd:audit-log:" + secret).digest()


def append(
    cur: duckdb.DuckDBPyConnection, actor: str, action: str, detail: Mapping[str, Any]
) -> int:
    """Append one row inside the caller's transaction (the caller holds ``store.write_lock``).

    The row takes the next id after the last row's (no gaps: a rolled-back append leaves none)
    and a keyed hash. Returns the new row's id.
    """
    text = _detail_json(detail)
    # One query for the last row and the database's path (the key lives beside it).
    last = cur.execute(
        "SELECT max(id), arg_max(row_hash, id), (SELECT path FROM duckdb_databases() "
        "WHERE database_name = current_database()) FROM audit_log"
    ).fetchone()
    assert last is not None
    key = _key_for_path(str(last[2]) if last[2] else ":memory:")
    prev = str(last[1]) if last[0] is not None else GENESIS
    row_id = int(last[0]) + 1 if last[0] is not None else 1
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
            _row_mac(key, prev, row_id, logged_at, actor, action, text),
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


# -- the anchor -------------------------------------------------------------------------------

ANCHOR_SUFFIX = ".audit"


@dataclass(frozen=True)
class Anchor:
    """The log's end as last sealed: rows, last id and hash, and the first keyed id."""

    keyed_from: int
    rows: int
    last_id: int
    last_hash: str

    def mac(self, key: bytes) -> str:
        text = "\x1f".join(
            ["ancla", str(self.keyed_from), str(self.rows), str(self.last_id), self.last_hash]
        )
        return hmac.new(key, text.encode("utf-8"), hashlib.sha256).hexdigest()


class _BadAnchorError(Exception):
    """The anchor file cannot be read or its signature does not match."""


_MEMORY_ANCHORS: weakref.WeakKeyDictionary[Store, Anchor] = weakref.WeakKeyDictionary()


def anchor_path(store: Store) -> Path | None:
    """Where the anchor of ``store`` lives (None: in memory, for an in-memory store)."""
    if store.path == ":memory:":
        return None
    return Path(store.path).with_name(Path(store.path).name + ANCHOR_SUFFIX)


def _anchor_name(store: Store) -> str:
    path = anchor_path(store)
    return "en memoria" if path is None else path.name  # never a server path on screen


def _read_anchor(store: Store, key: bytes) -> Anchor | None:
    """The anchor, None if there is none; :class:`_BadAnchorError` if it is not ours."""
    path = anchor_path(store)
    if path is None:
        return _MEMORY_ANCHORS.get(store)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise _BadAnchorError(str(exc)) from exc
    try:
        anchor = Anchor(
            int(data["desde"]), int(data["filas"]), int(data["ultimo_id"]), str(data["ultimo_hash"])
        )
        signed = str(data["firma"])
    except (KeyError, TypeError, ValueError) as exc:
        raise _BadAnchorError(str(exc)) from exc
    if not hmac.compare_digest(anchor.mac(key), signed):
        raise _BadAnchorError("firma")
    return anchor


def _write_anchor(store: Store, anchor: Anchor, key: bytes) -> None:
    path = anchor_path(store)
    if path is None:
        _MEMORY_ANCHORS[store] = anchor
        return
    text = json.dumps(
        {
            "registro_de_auditoria": "ancla",
            "desde": anchor.keyed_from,
            "filas": anchor.rows,
            "ultimo_id": anchor.last_id,
            "ultimo_hash": anchor.last_hash,
            "firma": anchor.mac(key),
        },
        ensure_ascii=False,
    )
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


def _head(cur: duckdb.DuckDBPyConnection) -> tuple[int, int, str]:
    """Rows, last id and last hash of the log as committed."""
    row = cur.execute(
        "SELECT count(*), coalesce(max(id), 0), coalesce(arg_max(row_hash, id), ?) FROM audit_log",
        [GENESIS],
    ).fetchone()
    assert row is not None
    return int(row[0]), int(row[1]), str(row[2])


def start_anchor(store: Store, *, new: bool) -> None:
    """Anchor the log as it is: when the store is created or upgraded to the keyed chain
    (``new``), or when it has no anchor and nothing to protect yet (an empty log: a copy of
    the demo store, say). Never over an existing non-empty log without an anchor: that is
    what a deleted anchor looks like, and :func:`verify_chain` must say so."""
    try:
        cur = store.cursor()
        try:
            rows, last_id, last_hash = _head(cur)
        finally:
            cur.close()
        key = _key_for_path(store.path)
        if not new:
            try:
                if _read_anchor(store, key) is not None or rows:
                    return
            except _BadAnchorError:
                return
        _write_anchor(store, Anchor(last_id + 1, rows, last_id, last_hash), key)
    except (OSError, TableroError):
        # A folder this user cannot write, or a malformed TABLERO_KEY: the store still opens
        # for reading; verify_chain reports the missing anchor, and appends the key.
        return


def seal(store: Store) -> None:
    """Move the anchor to the log's committed end, if every row after the anchored end is
    there, keyed, chained and without gaps; otherwise leave it where it is as evidence.

    Called by the store's write lock when its outermost holder leaves (the transaction is
    over). Never raises: a store whose anchor cannot be moved is reported by
    :func:`verify_chain`, not by the write that happened to come next.
    """
    try:
        key = _key_for_path(store.path)
        anchor = _read_anchor(store, key)
        if anchor is None:
            return
        cur = store.cursor()
        try:
            head = _head(cur)
            if head == (anchor.rows, anchor.last_id, anchor.last_hash):
                return
            if not _anchor_holds(cur, anchor):
                return
            newer = cur.execute(
                "SELECT id, logged_at, actor, action, detail, prev_hash, row_hash "
                "FROM audit_log WHERE id > ? ORDER BY id",
                [anchor.last_id],
            ).fetchall()
        finally:
            cur.close()
        prev, expected = anchor.last_hash, max(anchor.last_id + 1, anchor.keyed_from)
        for row_id, logged_at, actor, action, detail, prev_hash, row_hash in newer:
            mac = _row_mac(key, prev, int(row_id), logged_at, actor, action, detail)
            if int(row_id) != expected or prev_hash != prev or row_hash != mac:
                return
            prev, expected = row_hash, expected + 1
        if anchor.rows + len(newer) != head[0]:
            return
        _write_anchor(store, Anchor(anchor.keyed_from, *head), key)
    except (OSError, duckdb.Error, TableroError, _BadAnchorError):
        return


def _anchor_holds(cur: duckdb.DuckDBPyConnection, anchor: Anchor) -> bool:
    """The anchored end is still in the log: as many rows up to it, and its last hash."""
    row = cur.execute(
        "SELECT count(*), coalesce(arg_max(row_hash, id), ?) FROM audit_log WHERE id <= ?",
        [GENESIS, anchor.last_id],
    ).fetchone()
    assert row is not None
    return int(row[0]) == anchor.rows and str(row[1]) == anchor.last_hash


# -- verification ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChainCheck:
    """The result of :func:`verify_chain`: ``ok``, and if not, what broke (``problem``)."""

    ok: bool
    rows: int
    first_bad_id: int | None = None
    last_hash: str = GENESIS
    problem: str = ""
    """``""`` when ok; else ``fila`` (a row altered, inserted or deleted in the middle),
    ``secuencia`` (a gap in the keyed ids), ``final`` (rows missing at the end: fewer than the
    anchor), ``sin_ancla`` (a non-empty log without its anchor) or ``ancla`` (an anchor not
    signed with this store's key)."""
    detail: str = ""
    keyed_rows: int = 0
    anchor_name: str = ""

    def message(self) -> str:
        """One Spanish sentence (or two) for the CLI and the page."""
        if self.ok:
            older = self.rows - self.keyed_rows
            old = (
                f", {older} anteriores a la firma verificados con la regla antigua" if older else ""
            )
            return (
                f"La cadena del registro de auditoría está íntegra: {self.rows} registros "
                f"({self.keyed_rows} firmados con la clave de la base{old}), sin saltos, y su "
                f"largo y último hash coinciden con el ancla ({self.anchor_name}). Último hash "
                f"{self.last_hash[:16]}…"
            )
        altered = "El registro de auditoría fue alterado fuera del tablero: "
        if self.problem == "fila":
            return (
                f"{altered}la cadena se rompe en el registro {self.first_bad_id} (una fila "
                "cambiada, agregada o borrada; o la clave de la base cambió)."
            )
        if self.problem == "secuencia":
            return f"{altered}{self.detail}."
        if self.problem == "final":
            return f"{altered}faltan registros al final ({self.detail})."
        if self.problem == "sin_ancla":
            return (
                "No se puede verificar el final del registro de auditoría: falta su ancla "
                f"({self.anchor_name}, junto a la base). Si alguien la borró, pudo borrar también "
                "los últimos registros. Si copió o restauró la base sin ese archivo, revise la "
                "copia y vuelva a anclar con «tablero auditoria --reanclar»."
            )
        return (
            f"El ancla del registro de auditoría ({self.anchor_name}) no es válida: fue editada "
            "o reemplazada, o la clave de la base (TABLERO_KEY o el archivo .key) cambió."
        )


def _walk(
    rows: list[tuple[Any, ...]], key: bytes, keyed_from: int | None
) -> tuple[str, int | None, str, int, str]:
    """Check every row in order: (problem, bad id, last hash, keyed rows, detail).

    Rows from ``keyed_from`` on must carry a keyed hash and consecutive ids; earlier rows the
    plain hash. With ``keyed_from`` None (no anchor), the first row that is not a valid plain
    row must be a keyed one, and every later row too.
    """
    prev, keyed, expected = GENESIS, 0, None
    for row_id, logged_at, actor, action, detail, prev_hash, row_hash in rows:
        rid = int(row_id)
        mac = _row_mac(key, prev, rid, logged_at, actor, action, detail)
        plain = _row_hash(prev, rid, logged_at, actor, action, detail)
        # Without an anchor, the first row that is not a valid plain row starts the keyed part.
        is_keyed = rid >= keyed_from if keyed_from is not None else (keyed > 0 or row_hash != plain)
        if prev_hash != prev or row_hash != (mac if is_keyed else plain):
            return "fila", rid, prev, keyed, ""
        if is_keyed:
            if expected is None:
                expected = keyed_from if keyed_from is not None else rid
            if rid != expected:
                return (
                    "secuencia",
                    rid,
                    prev,
                    keyed,
                    f"falta el registro {expected} (los registros firmados van seguidos y el "
                    f"siguiente es el {rid})",
                )
            keyed, expected = keyed + 1, expected + 1
        prev = row_hash
    return "", None, prev, keyed, ""


def _all_rows(store: Store) -> list[tuple[Any, ...]]:
    cur = store.cursor()
    try:
        return cur.execute(
            "SELECT id, logged_at, actor, action, detail, prev_hash, row_hash FROM audit_log "
            "ORDER BY id"
        ).fetchall()
    finally:
        cur.close()


def verify_chain(store: Store) -> ChainCheck:
    """Check the whole log: every row's hash in order (keyed rows by the keyed rule, older ones
    by the old one), the keyed ids without gaps, and the log's end against the anchor.

    Example:
        >>> from metrics.store import open_store
        >>> s = open_store(":memory:")
        >>> _ = record(s, "ana@escuela.cl", "salida", {})
        >>> check = verify_chain(s)
        >>> check.ok, check.rows, check.keyed_rows
        (True, 1, 1)
    """
    key = _key_for_path(store.path)
    name = _anchor_name(store)
    rows = _all_rows(store)
    n = len(rows)
    try:
        anchor = _read_anchor(store, key)
    except _BadAnchorError:
        return ChainCheck(False, n, None, GENESIS, "ancla", anchor_name=name)
    problem, bad, last, keyed, detail = _walk(rows, key, anchor.keyed_from if anchor else None)
    if problem:
        return ChainCheck(False, n, bad, last, problem, detail, keyed, name)
    if anchor is None:
        if n:
            return ChainCheck(False, n, None, last, "sin_ancla", "", keyed, name)
        return ChainCheck(True, 0, None, last, "", "", 0, name)
    upto = [r for r in rows if int(r[0]) <= anchor.last_id]
    upto_hash = str(upto[-1][6]) if upto else GENESIS
    if len(upto) != anchor.rows or upto_hash != anchor.last_hash:
        return ChainCheck(
            False,
            n,
            None,
            last,
            "final",
            f"el ancla registra {anchor.rows} registros hasta el N° {anchor.last_id}; la base "
            f"tiene {n}" + (f", hasta el N° {int(rows[-1][0])}" if rows else ""),
            keyed,
            name,
        )
    return ChainCheck(True, n, None, last, "", "", keyed, name)


def reanchor(store: Store, actor: str) -> ChainCheck:
    """Anchor the log as it is now, when its rows verify but its anchor is missing or not
    valid (a store copied or restored without its ``.audit`` file, or a new key). Recorded in
    the log itself (``ancla_restablecida``). Raises :class:`StoreError` (Spanish) when the rows
    themselves do not verify: an anchor must never bless an altered log."""
    key = _key_for_path(store.path)
    with store.write_lock:
        rows = _all_rows(store)
        try:
            before = _read_anchor(store, key)
            previous = (
                "ninguna"
                if before is None
                else f"{before.rows} registros hasta el N° {before.last_id}"
            )
        except _BadAnchorError:
            before, previous = None, "no válida"
        problem, bad, last, keyed, _ = _walk(rows, key, before.keyed_from if before else None)
        if problem:
            raise StoreError(
                f"El registro de auditoría no se puede volver a anclar: la cadena se rompe en el "
                f"registro {bad}. Conserve la base como evidencia.",
                "Registro de auditoría alterado",
            )
        first_keyed = next(
            (int(r[0]) for r in rows[len(rows) - keyed :]), int(rows[-1][0]) + 1 if rows else 1
        )
        last_id = int(rows[-1][0]) if rows else 0
        _write_anchor(store, Anchor(first_keyed, len(rows), last_id, last), key)
        record(
            store,
            actor,
            "ancla_restablecida",
            {"anterior": previous, "filas": len(rows), "ultimo_id": last_id},
        )
    return verify_chain(store)
