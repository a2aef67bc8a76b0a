"""A request's rows: the cached facts of the scopes a user may see, read and joined.

:func:`load_indicator_rows` reads the cached facts (:mod:`metrics.engine.cache`) of the visible
communities and schools, adds up each visible territory from its schools, runs the sources
computed per request (schedule compliance depends on the cut-off date), and hands the rows to
:mod:`metrics.engine.rows`, which joins years, baselines, targets and families in NumPy.
Nothing leaves here but numbers in arrays: values, statuses and suppression are computed by
:mod:`metrics.engine.indicators` with :mod:`metrics.engine.compute`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

import duckdb
import numpy as np
import numpy.typing as npt
import pandas as pd

from metrics.engine import rows as rows_
from metrics.engine.cache import ensure_facts
from metrics.engine.catalog import CATALOG, INDICATORS, SCOPE_KINDS
from metrics.engine.sources import (
    FALLBACK,
    IND_CODE,
    KIND_CODE,
    MAX_LISTED,
    MONTHLY_VARIANT,
    NAN,
    PER_REQUEST,
    SOURCE_CODES,
    SOURCES,
    STATS,
    Request,
    prepare,
)
from metrics.errors import StoreError
from metrics.scope import Scope
from metrics.store.core import Store, scope_clause

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class IndicatorRows:
    """The rows of one computation, as arrays aligned by row number (output order).

    ``year`` is NaN on baseline-wave rows, ``month`` 0 on yearly rows; ``brid`` is the row
    holding each row's baseline (−1: none); ``parent``/``child`` are the families.
    """

    ind: IntArray
    kind: IntArray
    sid: IntArray
    """Scope id as a number: its position in ``sids``."""
    sids: npt.NDArray[np.object_]
    """Every scope id, sorted."""
    year: FloatArray
    month: IntArray
    base: npt.NDArray[np.bool_]
    monthly_source: npt.NDArray[np.bool_]
    stats: dict[str, FloatArray]
    base_year: FloatArray
    """The scope's baseline year; for a provisional baseline, the indicator's first year."""
    brid: IntArray
    provisional: npt.NDArray[np.bool_]
    """Whether the row's baseline is provisional (see :func:`_baselines`)."""
    meta: FloatArray
    meta_year: FloatArray
    parent: IntArray
    child: IntArray
    communities: pd.DataFrame
    """id, rbd of the visible communities."""
    links: pd.DataFrame
    """rbd, territory_id: the visible schools of each territory."""

    def __len__(self) -> int:
        return int(self.ind.size)


# -- rows, baselines, targets, families ----------------------------------------------------------
def _fetch(
    cur: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None
) -> dict[str, Any]:
    return cur.execute(sql, params or []).fetchnumpy()


def _read_facts(
    cur: duckdb.DuckDBPyConnection,
    scope: Scope,
    kinds: frozenset[int],
    wanted: set[str],
    monthly: bool,
) -> list[dict[str, Any]]:
    """The cached facts of the visible communities and schools asked for, and of each visible
    territory as the sum of its visible schools, their scopes numbered by ``_sid``."""
    if not wanted:
        return []
    where = [f"f.indicator IN ({', '.join(repr(c) for c in sorted(wanted))})"]
    if not monthly:
        where.append("f.month = 0")
    params: list[Any] = []
    if not scope.is_all:
        rbds = sorted(int(r) for r in scope.rbds or ())
        if not rbds:
            return []
        if len(rbds) <= MAX_LISTED:
            # Constants in the query's text: DuckDB skips the row groups of other schools.
            where.append(f"f.rbd IN ({', '.join(map(str, rbds))})")
        else:
            where.append("f.rbd IN (SELECT UNNEST(?::INTEGER[]))")
            params.append(rbds)
    cond = " AND ".join(where)
    codes = ", ".join(f"('{c}', {i})" for c, i in IND_CODE.items())
    variant = f"CASE WHEN f.monthly_source THEN {MONTHLY_VARIANT} ELSE 0 END"
    number = f"CAST(m.ind + {variant} AS SMALLINT)"
    catalogue = f"JOIN (VALUES {codes}) m(code, ind) ON m.code = f.indicator"
    out = []
    nan = ", ".join(f"coalesce(f.{x}, {NAN}) AS {x}" for x in STATS)
    # A school's facts find their scope number by RBD (an integer join, twice as fast as one
    # on the id's text); a community's by its id.
    for kind, join in (
        (KIND_CODE["establecimiento"], "JOIN _sid d ON d.rbd = f.rbd"),
        (KIND_CODE["comunidad"], "JOIN _com c ON c.id = f.sid JOIN _sid d ON d.sid = f.sid"),
    ):
        if kind in kinds:
            out.append(
                _fetch(
                    cur,
                    f"""
                    SELECT {number} AS ind, f.kind, d.sc, f.year, f.month, f.base,
                           false AS mon, {nan}
                    FROM indicator_fact f {catalogue} {join}
                    WHERE {cond} AND f.kind = {kind}
                    """,
                    params,
                )
            )
    if KIND_CODE["territorio"] in kinds:
        sums = ", ".join(
            f"coalesce({'min' if x == 'y0' else 'sum'}(f.{x}), {NAN}) AS {x}" for x in STATS
        )
        out.append(
            _fetch(
                cur,
                f"""
                SELECT g.* EXCLUDE (territory_id) REPLACE (d.sc AS sc)
                FROM (
                    SELECT {number} AS ind, CAST(2 AS TINYINT) AS kind, 0 AS sc,
                           st.territory_id, f.year, f.month, f.base, false AS mon, {sums}
                    FROM indicator_fact f {catalogue}
                    JOIN _st st ON st.rbd = f.rbd
                    WHERE {cond} AND f.kind = 1
                    GROUP BY ALL
                ) g JOIN _sid d ON d.sid = g.territory_id
                """,
                params,
            )
        )
    return out


def _number_scopes(cur: duckdb.DuckDBPyConnection) -> list[str]:
    """``_sid``: every scope id of the request (schools, communities, territories and those of
    the facts computed per request), numbered in sorted order; returns them in that order."""
    cur.execute(
        """
        CREATE OR REPLACE TEMP TABLE _sid AS
        SELECT sid, CAST(row_number() OVER (ORDER BY sid) - 1 AS INTEGER) AS sc, rbd FROM (
            SELECT sid, max(rbd) AS rbd FROM (
                SELECT CAST(rbd AS VARCHAR) AS sid, rbd FROM _sch
                UNION ALL SELECT id, NULL FROM _com
                UNION ALL SELECT territory_id, NULL FROM _st
                UNION ALL SELECT sid, NULL FROM _f
            ) WHERE sid IS NOT NULL GROUP BY sid
        )
        """
    )
    row = cur.execute("SELECT list(sid ORDER BY sc) FROM _sid").fetchone()
    return list(row[0] or []) if row else []


def linked_schools(store: Store, scope: Scope, rbds: Iterable[int]) -> list[int]:
    """The schools of ``scope`` tied to ``rbds`` through territories: ``rbds``, the schools
    sharing a territory with them, those sharing one with these, and so on.

    Every family a value can be suppressed in (a territory and its schools, a school and its
    communities, a year and its months) stays inside such a set, and a territory's value
    comes from its schools only. So the indicators of ``rbds`` computed over these schools are
    those of the whole scope: in Chile a region at most (territories do not cross regions),
    a fraction of the country.

    Example:
        >>> from metrics.store import open_store
        >>> linked_schools(open_store(":memory:"), Scope.all(), [101])
        [101]
    """
    cond, params = scope_clause(scope, "school_territory", "t")
    cur = store.cursor()
    try:
        links = cur.execute(
            f"SELECT rbd, territory_id FROM school_territory t WHERE {cond}", params
        ).fetchnumpy()
    except duckdb.Error as exc:
        raise StoreError(f"No se pudieron leer los territorios: {exc}") from exc
    finally:
        cur.close()
    school = np.asarray(links["rbd"], dtype=np.int64)
    territory = np.asarray(links["territory_id"], dtype=object)
    found = np.unique(np.asarray([int(r) for r in rbds if scope.allows(int(r))], dtype=np.int64))
    while True:
        reached = np.unique(territory[np.isin(school, found)])
        grown = np.union1d(found, school[np.isin(territory, reached)])
        if grown.size == found.size:
            return [int(r) for r in found]
        found = grown


def load_indicator_rows(
    store: Store,
    scope: Scope,
    *,
    cutoff: date,
    kinds: Iterable[str] = SCOPE_KINDS,
    monthly: bool = True,
    indicators: Iterable[str] | None = None,
) -> IndicatorRows:
    """Read and join everything the engine needs for ``indicators`` in ``kinds`` and ``scope``.

    Example:
        >>> from metrics.store import open_store
        >>> store = open_store(":memory:")
        >>> len(load_indicator_rows(store, Scope.all(), cutoff=date(2024, 12, 31)))
        0
    """
    kind_set = frozenset(KIND_CODE[k] for k in kinds)
    wanted = set(indicators) if indicators is not None else set(CATALOG.codes)
    ensure_facts(store)  # schedule compliance alone still reads the cached baseline years
    cur = store.cursor()
    try:
        cur.execute("SET SESSION preserve_insertion_order = false")
        prepare(cur, scope, courses=False, cached=True)
        request = Request(cur, scope, kind_set, wanted, monthly, cutoff)
        for source in SOURCES.values():
            if not source.cached and SOURCE_CODES[source.name] & wanted:
                source.build(request)
        sids = _number_scopes(cur)
        parts = _read_facts(cur, scope, kind_set, wanted - PER_REQUEST, monthly)
        stats = ", ".join(f"f.{x}" for x in STATS)
        parts.append(
            _fetch(
                cur,
                "SELECT f.ind, f.kind, d.sc, f.year, f.month, f.base, f.mon, "
                f"{stats} FROM _f f JOIN _sid d ON d.sid = f.sid",
            )
        )
        inds = sorted(IND_CODE[c] for c in wanted)
        found = rows_.Facts.from_columns(parts, STATS, sids)
        communities = cur.execute("SELECT id, rbd FROM _com").df()
        links = cur.execute("SELECT rbd, territory_id FROM _st").df()
        schools = cur.execute("SELECT rbd, base_year FROM _sch").df()
        rows = rows_.assemble(
            found,
            inds=inds,
            kinds=kind_set,
            variant=MONTHLY_VARIANT,
            fallback=FALLBACK,
            schools=schools,
            communities=communities,
            links=links,
        )
        targets = _read_targets(cur) if len(rows) else {}
    except duckdb.Error as exc:
        raise StoreError(f"No se pudieron calcular los indicadores: {exc}") from exc
    finally:
        cur.close()
    brid, provisional, provisional_year = rows_.baselines(rows)
    meta, meta_year = rows_.targets(rows, targets)
    suppressible = [IND_CODE[c] for c in wanted if _is_suppressible(c)]
    parent, child = rows_.families(rows, suppressible, communities, links)
    return IndicatorRows(
        ind=rows.ind,
        kind=rows.kind,
        sid=rows.sid,
        sids=rows.sids,
        year=rows.year,
        month=rows.month,
        base=rows.base,
        monthly_source=rows.mon,
        stats=rows.stats,
        base_year=np.where(provisional, provisional_year, rows.base_year),
        brid=brid,
        provisional=provisional,
        meta=meta,
        meta_year=meta_year,
        parent=parent,
        child=child,
        communities=communities,
        links=links,
    )


def _read_targets(cur: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """The targets of the request's scopes (``_sid``), their indicator and kind numbered as
    in the rows (targets of indicators the catalogue no longer holds are left out)."""
    inds = ", ".join(f"('{c}', {i})" for c, i in IND_CODE.items())
    kinds = ", ".join(f"('{k}', {i})" for k, i in KIND_CODE.items())
    return _fetch(
        cur,
        f"""
        SELECT m.ind, k.kind, d.sc, t.target_value, t.deadline_year
        FROM target t
        JOIN (VALUES {inds}) m(code, ind) ON m.code = t.indicator
        JOIN (VALUES {kinds}) k(name, kind) ON k.name = t.scope_kind
        JOIN _sid d ON d.sid = t.scope_id
        """,
    )


def _is_suppressible(code: str) -> bool:
    return INDICATORS[code].suppressible
