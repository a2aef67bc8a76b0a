"""Breakdowns: an indicator's facts split by a category the catalogue declares
(``Indicator.breakdown``): schedule compliance by who is responsible, a perception by respondent
type. Computed per request, with the families in which a hidden part could
be recovered by subtraction (:func:`breakdown_families`).
"""

from __future__ import annotations

from datetime import date
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from metrics.engine.catalog import CATALOG
from metrics.engine.sources import (
    KIND_CODE,
    IntArray,
    prepare,
    schedule_sql,
    survey_cells,
    survey_sql,
)
from metrics.errors import StoreError
from metrics.scope import Scope
from metrics.store.core import Store
from metrics.store.loads import scratch_cursor

BREAKDOWN_COLUMNS: tuple[str, ...] = (
    "indicator",
    "breakdown",
    "category",
    "scope_kind",
    "scope_id",
    "year",
    "month",
    "base",
    "n",
    "k",
    "s1",
    "s2",
    "rx",
    "n_priv",
)


def _declared(breakdown: str, source: str) -> list[Any]:
    """The catalogue's indicators of ``source`` that declare ``breakdown``."""
    return [i for i in CATALOG if i.breakdown == breakdown and i.facts.source == source]


def load_breakdown_facts(
    store: Store, scope: Scope, *, cutoff: date, monthly: bool = True
) -> pd.DataFrame:
    """Facts of the breakdowns the catalogue's indicators declare (``BREAKDOWN_COLUMNS``),
    every scope kind:

    - ``responsable``: schedule compliance by who is responsible;
    - ``tipo_encuestado``: a perception by respondent type (docente, estudiante, apoderado,
      directivo).
    """
    kinds = frozenset(KIND_CODE.values())
    names = {v: k for k, v in KIND_CODE.items()}
    acts = survey = pd.DataFrame()
    cur = store.cursor()
    try:
        cur.execute("SET SESSION preserve_insertion_order = false")
        prepare(cur, scope, courses=True)
        if code := _declared("responsable", "schedule"):
            wide, params = schedule_sql(cur, scope, kinds, cutoff, monthly, by="responsable")
            acts = cur.execute(
                f"SELECT c.code AS indicator, 'responsable' AS breakdown, "
                "responsable AS category, kind, sid, year, month, base, n, k, "
                "NULL AS s1, NULL AS s2, NULL AS rx, 0 AS n_priv "
                f"FROM ({wide}) CROSS JOIN (SELECT UNNEST(?::VARCHAR[]) AS code) c",
                [*params, [i.code for i in code]],
            ).df()
        if code := _declared("tipo_encuestado", "surveys"):
            dims = ", ".join(f"('{i.facts.where['dim']}', '{i.code}')" for i in code)
            survey_cells(cur, scope, by="tipo")
            survey = cur.execute(
                "SELECT c.code AS indicator, 'tipo_encuestado' AS breakdown, "
                "tipo AS category, kind, sid, year, month, base, n, k, s1, s2, NULL AS rx, "
                f"n_priv FROM ({survey_sql(kinds, monthly, by='tipo')}) w "
                f"JOIN (VALUES {dims}) c(dim, code) ON c.dim = w.dim",
            ).df()
    except duckdb.Error as exc:
        raise StoreError(f"No se pudieron calcular los desgloses: {exc}") from exc
    finally:
        cur.close()
    frames = [f for f in (acts, survey) if len(f)]
    if not frames:
        return pd.DataFrame({c: [] for c in BREAKDOWN_COLUMNS})
    out = pd.concat(frames, ignore_index=True)
    out["scope_kind"] = out["kind"].map(names)
    out = out.rename(columns={"sid": "scope_id"})
    for c in ("n", "k", "s1", "s2", "rx", "n_priv"):
        out[c] = pd.to_numeric(out[c], errors="coerce").astype(float)
    out["year"] = pd.to_numeric(out["year"], errors="coerce").astype(float)
    out["month"] = pd.to_numeric(out["month"], errors="coerce").fillna(0).astype(int)
    out["base"] = out["base"].astype(bool)
    return out.loc[:, list(BREAKDOWN_COLUMNS)]


def breakdown_families(
    main: pd.DataFrame, parts: pd.DataFrame, links: pd.DataFrame, communities: pd.DataFrame
) -> tuple[IntArray, IntArray, IntArray]:
    """(total, part, family) row-number pairs of the breakdowns' families, joined in DuckDB;
    ``family`` numbers the kind of family (an indicator row and its parts 0; then as
    :func:`metrics.engine.rows.families`, plus one), so that a total's families of different
    kinds are checked apart.

    ``main`` has one row per indicator row (indicator, scope_kind, scope_id, yk, month, base,
    rid), ``parts`` one per breakdown part (the same keys plus category, and its rid). A part
    belongs to its indicator row; a territory's part to its schools' parts of the same
    category, a school's to its communities'; a year's to its months'.
    """
    con = scratch_cursor()
    try:
        # Materialised once: the joins below read each table several times.
        for name, frame in (
            ("main_rows", main),
            ("part_rows", parts),
            ("link_rows", links),
            ("comm_rows", communities),
        ):
            con.register("_frame", frame)
            con.execute(f"CREATE TABLE {name} AS SELECT * FROM _frame")
            con.unregister("_frame")
        same = "c.indicator = p.indicator AND c.category IS NOT DISTINCT FROM p.category " + (
            "AND c.yk = p.yk AND c.month = p.month AND c.base = p.base"
        )
        con.execute(
            "CREATE TABLE school_parts AS SELECT c.*, l.territory_id FROM part_rows c "
            "JOIN link_rows l ON c.scope_kind = 'establecimiento' "
            "AND c.scope_id = CAST(l.rbd AS VARCHAR)"
        )
        res = con.execute(
            f"""
            SELECT m.rid AS p, c.rid AS c, 0 AS f FROM main_rows m JOIN part_rows c
                ON c.indicator = m.indicator AND c.scope_kind = m.scope_kind
                AND c.scope_id = m.scope_id AND c.yk = m.yk AND c.month = m.month
                AND c.base = m.base
            UNION ALL
            -- Schools' parts with their territories (school_parts) first: joining the
            -- territories' parts to the links first leaves a join on few distinct keys, and
            -- is twenty times slower.
            SELECT p.rid, c.rid, 1 FROM part_rows p JOIN school_parts c
                ON p.scope_kind = 'territorio' AND c.territory_id = p.scope_id AND {same}
            UNION ALL
            SELECT p.rid, c.rid, 2 FROM part_rows p
                JOIN comm_rows cm ON p.scope_kind = 'establecimiento'
                    AND CAST(cm.rbd AS VARCHAR) = p.scope_id
                JOIN part_rows c ON c.scope_kind = 'comunidad' AND c.scope_id = cm.id AND {same}
            UNION ALL
            SELECT p.rid, c.rid, 3 FROM part_rows p JOIN part_rows c
                ON p.month = 0 AND c.month > 0 AND c.indicator = p.indicator
                AND c.category IS NOT DISTINCT FROM p.category AND c.scope_kind = p.scope_kind
                AND c.scope_id = p.scope_id AND c.yk = p.yk AND c.base = p.base
            """
        ).fetchnumpy()
    finally:
        con.close()
    return (
        np.asarray(res["p"], dtype=np.int64),
        np.asarray(res["c"], dtype=np.int64),
        np.asarray(res["f"], dtype=np.int64),
    )
