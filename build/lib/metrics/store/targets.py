"""Targets (metas) and baseline years: their reads and writes.

Targets are rows of ``target`` (one per indicator, scope and deadline year), written by
``tablero metas importar`` in one transaction as one import batch (kind ``metas``). A school's
baseline year is ``school.baseline_year``; NULL means the default, the year before its first
community started. Every read and write goes through :func:`scope_clause`.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from metrics.errors import AccessError, StoreError
from metrics.scope import Scope
from metrics.store import audit
from metrics.store.core import Store, batch_schools, scope_clause
from metrics.store.imports import REPLACED_PREFIX

TARGET_BATCH_KIND = "metas"
_SAME_KEY = (
    "t.indicator = k.indicator AND t.scope_kind = k.scope_kind AND t.scope_id = k.scope_id "
    "AND t.deadline_year = k.deadline_year"
)
"""A target (``t``) with the same natural key as a row of the file (``k``)."""


def read_targets(store: Store, scope: Scope) -> pd.DataFrame:
    """Targets visible in ``scope``: indicator, scope_kind, scope_id, target_value,
    deadline_year, reason."""
    cond, params = scope_clause(scope, "target", "t")
    return store.query_df(
        "SELECT t.indicator, t.scope_kind, t.scope_id, t.target_value, t.deadline_year, t.reason "
        f"FROM target t WHERE {cond} ORDER BY t.indicator, t.scope_kind, t.scope_id, "
        "t.deadline_year",
        params,
    )


def visible_scope_ids(store: Store, scope: Scope) -> dict[str, set[str]]:
    """Ids a target may name: communities and RBDs visible in ``scope``, and territories all
    of whose schools are."""
    cc, cp = scope_clause(scope, "community", "t")
    sc, sp = scope_clause(scope, "school", "t")
    tc, tp = scope_clause(scope, "territory", "t")
    df = store.query_df(
        f"SELECT 'comunidad' AS kind, t.id AS id FROM community t WHERE {cc} "
        f"UNION ALL SELECT 'establecimiento', CAST(t.rbd AS VARCHAR) FROM school t WHERE {sc} "
        f"UNION ALL SELECT 'territorio', t.id FROM territory t WHERE {tc}",
        cp + sp + tp,
    )
    out: dict[str, set[str]] = {"comunidad": set(), "establecimiento": set(), "territorio": set()}
    for kind, ident in zip(df["kind"], df["id"], strict=True):
        out[str(kind)].add(str(ident))
    if not scope.is_all:
        # A territory's target speaks for all its schools: only someone who sees them all
        # (a supervisor of that territory) may name it.
        from metrics.store.notes import territory_fully_visible

        out["territorio"] = {
            t for t in out["territorio"] if territory_fully_visible(store, scope, t)
        }
    return out


def write_targets(
    store: Store,
    frame: pd.DataFrame,
    *,
    file_name: str,
    file_hash: str,
    actor: str,
) -> tuple[int, int, int]:
    """Replace the targets with the keys of ``frame``'s rows, in one transaction and batch.

    ``frame`` has indicator, scope_kind, scope_id, target_value, deadline_year, reason; a row
    whose target_value is missing deletes that target. Returns (batch id, rows written, rows
    deleted).
    """
    keys = frame.loc[:, ["indicator", "scope_kind", "scope_id", "deadline_year"]].astype(
        {"deadline_year": "int64"}
    )
    keys["remove"] = frame["target_value"].isna().to_numpy()
    new = frame[frame["target_value"].notna()].astype({"deadline_year": "int64"})
    new = new.assign(target_value=new["target_value"].astype(float))
    try:
        with store.write_lock, store.transaction() as cur:
            batch = store.new_batch(
                cur,
                kind=TARGET_BATCH_KIND,
                file_name=file_name,
                file_hash=file_hash,
                actor=actor,
            )
            cur.register("_target_keys", keys)
            try:
                old = {
                    (str(i), str(k), str(s), int(y)): v
                    for i, k, s, y, v in cur.execute(
                        "SELECT t.indicator, t.scope_kind, t.scope_id, t.deadline_year, "
                        f"t.target_value FROM target t JOIN _target_keys k ON {_SAME_KEY}"
                    ).fetchall()
                }
                # The targets replaced or removed go to the shadow table, tagged with this
                # batch, so that undoing it brings them back (as for every other import).
                cur.execute(
                    f"INSERT INTO {REPLACED_PREFIX}target SELECT t.*, ? FROM target t "
                    f"WHERE EXISTS (SELECT 1 FROM _target_keys k WHERE {_SAME_KEY})",
                    [batch],
                )
                deleted = 0
                for removing in (True, False):
                    res = cur.execute(
                        "DELETE FROM target t USING _target_keys k "
                        f"WHERE {_SAME_KEY} AND k.remove = {'true' if removing else 'false'} "
                        "RETURNING t.deadline_year"
                    ).fetchall()
                    if removing:
                        deleted = len(res)
            finally:
                cur.unregister("_target_keys")
            written = store.insert_frame(cur, "target", new, batch) if len(new) else 0
            _audit_targets(cur, frame, old, batch, actor)
    except duckdb.Error as exc:
        raise StoreError(f"No se pudieron guardar las metas: {exc}") from exc
    return batch, written, deleted


def _audit_targets(
    cur: duckdb.DuckDBPyConnection,
    frame: pd.DataFrame,
    old: dict[tuple[str, str, str, int], float],
    batch: int,
    actor: str,
) -> None:
    """One audit row per target written or removed: old and new value, and the reason."""
    schools = batch_schools(cur, batch)
    for r in frame.to_dict("records"):
        key = (
            str(r["indicator"]),
            str(r["scope_kind"]),
            str(r["scope_id"]),
            int(r["deadline_year"]),
        )
        new_value = None if pd.isna(r["target_value"]) else float(r["target_value"])
        reason = r.get("reason")
        audit.append(
            cur,
            actor,
            "meta",
            {
                "carga": batch,
                "indicador": key[0],
                "alcance": key[1],
                "alcance_id": key[2],
                "anio_limite": key[3],
                "anterior": old.get(key),
                "nueva": new_value,
                "motivo": None if reason is None or pd.isna(reason) else str(reason),
                "rbds": schools,
            },
        )


def read_baseline_years(store: Store, scope: Scope) -> pd.DataFrame:
    """Each visible school's baseline year.

    Columns: ``rbd``, ``nombre``, ``anio_base`` (the one in use), ``anio_base_definido`` (set by
    hand, or null), ``anio_base_por_omision`` (the year before its first community started).
    """
    sc, sp = scope_clause(scope, "school", "s")
    cc, cp = scope_clause(scope, "community", "c")
    mc, mp = scope_clause(scope, "community_member", "m")
    return store.query_df(
        f"""
        WITH first_year AS (
            SELECT c.rbd, min(coalesce(year(c.start_date), fm.y)) AS y
            FROM community c
            LEFT JOIN (SELECT m.community_id, min(m.year) AS y FROM community_member m
                       WHERE {mc} GROUP BY 1) fm ON fm.community_id = c.id
            WHERE {cc}
            GROUP BY c.rbd
        )
        SELECT s.rbd, s.name AS nombre,
               CAST(coalesce(s.baseline_year, f.y - 1) AS INTEGER) AS anio_base,
               s.baseline_year AS anio_base_definido,
               CAST(f.y - 1 AS INTEGER) AS anio_base_por_omision
        FROM school s LEFT JOIN first_year f ON f.rbd = s.rbd
        WHERE {sc}
        ORDER BY s.rbd
        """,
        mp + cp + sp,
    )


def set_baseline_year(
    store: Store, scope: Scope, rbd: int, year: int | None, actor: str = "tablero"
) -> None:
    """Set a school's baseline year (``None``: back to the default)."""
    if not scope.allows(rbd):
        raise AccessError(f"No tiene acceso al establecimiento RBD {rbd}.")
    cond, params = scope_clause(scope, "school", "t")
    try:
        with store.write_lock, store.transaction() as cur:
            before = cur.execute(
                f"SELECT t.baseline_year FROM school t WHERE t.rbd = ? AND {cond}", [rbd, *params]
            ).fetchone()
            found = cur.execute(
                f"UPDATE school t SET baseline_year = ? WHERE t.rbd = ? AND {cond} RETURNING t.rbd",
                [year, rbd, *params],
            ).fetchall()
            if found:
                audit.append(
                    cur,
                    actor,
                    "linea_base",
                    {
                        "rbd": rbd,
                        "anterior": before[0] if before else None,
                        "nuevo": year,
                        "rbds": [rbd],
                    },
                )
    except duckdb.Error as exc:
        raise StoreError(f"No se pudo guardar el año de línea base: {exc}") from exc
    if not found:
        raise StoreError(f"No existe el establecimiento RBD {rbd} en la base de datos.")
