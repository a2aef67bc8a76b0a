"""A request's rows: the cached facts of the scopes a user may see, read and joined.

:func:`load_indicator_rows` reads the cached facts (:mod:`metrics.engine.cache`) of the visible
communities and schools, adds up each visible territory from its schools in memory, takes the
facts of the sources that depend on the cut-off date (schedule compliance) from the whole
store's, computed once per cut-off and state of the file (:func:`_all_per_request`), and hands
the rows to :mod:`metrics.engine.rows`, which joins years, baselines, targets and families in
NumPy.
Nothing leaves here but numbers in arrays: values, statuses and suppression are computed by
:mod:`metrics.engine.indicators` with :mod:`metrics.engine.compute`.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

import duckdb
import numpy as np
import numpy.typing as npt
import pandas as pd

from metrics.engine import rows as rows_
from metrics.engine.cache import engine_digest, ensure_facts
from metrics.engine.catalog import CATALOG, INDICATORS, SCOPE_KINDS
from metrics.engine.sources import (
    COMPARABLE,
    COMPARISON_KIND,
    FALLBACK,
    IND_CODE,
    KIND_CODE,
    MAX_LISTED,
    MONTHLY_VARIANT,
    NAN,
    PER_REQUEST,
    SOURCES,
    STATS,
    Request,
    facts_table,
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
    family: IntArray
    """The kind of family of each (parent, child) pair (:func:`metrics.engine.rows.families`)."""
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
    """A SELECT's columns as NumPy arrays (through a relation: a DB-API result copies the rows
    once more, a third of the time of fetching a country's facts)."""
    return cur.sql(sql, params=params or None).fetchnumpy()


def _read_facts(
    cur: duckdb.DuckDBPyConnection,
    scope: Scope,
    kinds: frozenset[int],
    wanted: set[str],
    monthly: bool,
    numbers: _Numbers,
    summed: frozenset[str] | None = None,
) -> list[dict[str, Any]]:
    """The cached facts of the visible communities and schools asked for, and of each visible
    territory as the sum of its visible schools (only the statistics in ``summed``, all when
    None), their scopes numbered as in ``_sid``.

    For up to :data:`MAX_LISTED` schools (a school's or a small territory's request) the rows
    are read with one plain statement and numbered and added up in memory: a statement's fixed
    cost (joins, a grouping) was most of such a request's time. Larger scopes are numbered in
    DuckDB (:func:`_read_all`); territories are added up in memory either way
    (:func:`metrics.engine.rows.territory_sums`)."""
    if not wanted:
        return []
    school_kind, territory_kind = KIND_CODE["establecimiento"], KIND_CODE["territorio"]
    if scope.is_all or len(scope.rbds or ()) > MAX_LISTED:
        # Territories add up their schools' facts: read those even when not shown.
        read = (kinds - {territory_kind}) | ({school_kind} if territory_kind in kinds else set())
        by_kind = _read_all(cur, scope, frozenset(read), wanted, monthly)
        parts = [part for kind, part in by_kind.items() if kind in kinds]
        if territory_kind in kinds and school_kind in by_kind:
            parts.append(
                rows_.territory_sums(
                    by_kind[school_kind],
                    STATS,
                    numbers.link_school,
                    numbers.link_territory,
                    numbers.size,
                    summed,
                )
            )
        return parts
    rbds = sorted(int(r) for r in scope.rbds or ())
    if not rbds:
        return []
    month = "" if monthly else " AND month = 0"
    kind = "" if KIND_CODE["comunidad"] in kinds else f" AND kind = {KIND_CODE['establecimiento']}"
    got = _fetch(
        cur,
        f"SELECT indicator, monthly_source, kind, sid, rbd, year, month, base, "
        f"{', '.join(STATS)} FROM indicator_fact "
        f"WHERE rbd IN ({', '.join(map(str, rbds))}){month}{kind}",
    )
    codes = list(IND_CODE)
    number = np.asarray(pd.Categorical(got["indicator"], categories=codes).codes, dtype=np.int64)
    keep = np.isin(number, [IND_CODE[c] for c in wanted])
    ind = number + np.where(np.asarray(got["monthly_source"], dtype=bool), MONTHLY_VARIANT, 0)
    fkind = np.asarray(got["kind"], dtype=np.int64)
    sc = np.full(fkind.size, -1, dtype=np.int64)
    school = fkind == KIND_CODE["establecimiento"]
    sc[school] = numbers.of_schools(np.asarray(got["rbd"], dtype=np.int64)[school])
    sc[~school] = numbers.of_ids(got["sid"][~school])
    keep &= sc >= 0
    rows: dict[str, Any] = {
        "ind": ind,
        "kind": fkind,
        "sc": sc,
        "year": rows_.as_floats(got["year"]),
        "month": np.asarray(got["month"], dtype=np.int64),
        "base": np.asarray(got["base"], dtype=bool),
        "mon": np.zeros(fkind.size, dtype=bool),
        **{s: rows_.as_floats(got[s]) for s in STATS},
    }
    out = []
    wanted_kinds = np.isin(fkind, sorted(kinds))
    out.append({k: np.asarray(v)[keep & wanted_kinds] for k, v in rows.items()})
    if KIND_CODE["territorio"] in kinds:
        schools = {k: np.asarray(v)[keep & school] for k, v in rows.items()}
        out.append(
            rows_.territory_sums(
                schools, STATS, numbers.link_school, numbers.link_territory, numbers.size, summed
            )
        )
    return out


def _read_all(
    cur: duckdb.DuckDBPyConnection,
    scope: Scope,
    kinds: frozenset[int],
    wanted: set[str],
    monthly: bool,
) -> dict[int, dict[str, Any]]:
    """The cached facts of many schools' communities, schools and comparison groups (those of
    ``kinds``), by kind, their scopes numbered by ``_sid``."""
    if not wanted:
        return {}
    where = [f"f.indicator IN ({', '.join(repr(c) for c in sorted(wanted))})"]
    if not monthly:
        where.append("f.month = 0")
    params: list[Any] = []
    if not scope.is_all:
        rbds = sorted(int(r) for r in scope.rbds or ())
        if not rbds:
            return {}
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
    out = {}
    nan = ", ".join(f"coalesce(f.{x}, {NAN}) AS {x}" for x in STATS)
    # A school's facts find their scope number by RBD (an integer join, twice as fast as one
    # on the id's text); a community's by its id (a visible community is one of a visible
    # school: the RBD condition keeps them).
    for kind, join in (
        (KIND_CODE["establecimiento"], "JOIN _sid d ON d.rbd = f.rbd"),
        (KIND_CODE["comunidad"], "JOIN _sid d ON d.sid = f.sid"),
        (COMPARISON_KIND, "JOIN _sid d ON d.sid = f.sid"),
    ):
        if kind in kinds:
            out[kind] = _fetch(
                cur,
                f"""
                SELECT {number} AS ind, f.kind, d.sc, f.year, f.month, f.base,
                       false AS mon, {nan}
                FROM indicator_fact f {catalogue} {join}
                WHERE {cond} AND f.kind = {kind}
                """,
                params,
            )
    return out


def _unmasked(column: Any) -> Any:
    """A ``fetchnumpy()`` column with its NULLs as NaN (numbers) or None (text): a masked
    array's hidden cells hold arbitrary values."""
    if not isinstance(column, np.ma.MaskedArray):
        return np.asarray(column)
    if column.dtype.kind in "biuf":
        return rows_.as_floats(column)
    return np.ma.filled(column.astype(object), None)


def _scope_frames(
    cur: duckdb.DuckDBPyConnection, scope: Scope
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The visible communities (id, rbd), territories' schools (rbd, territory_id, the
    territory's name) and schools with their baseline year as the facts cache has it (rbd,
    base_year), read in one statement (three statements' fixed costs were a fifth of a
    school's request)."""
    parts: list[str] = []
    params: list[Any] = []
    for table, alias, cols, join in (
        ("community", "c", "c.id, c.rbd, NULL, NULL, NULL", ""),
        (
            "school_territory",
            "t",
            "NULL, t.rbd, t.territory_id, n.name, NULL",
            "LEFT JOIN territory n ON n.id = t.territory_id",
        ),
        ("indicator_fact_school", "s", "NULL, s.rbd, NULL, NULL, s.base_year", ""),
    ):
        cond, more = scope_clause(scope, "school" if table.endswith("school") else table, alias)
        parts.append(f"SELECT {len(parts)}, {cols} FROM {table} {alias} {join} WHERE {cond}")
        params += more
    found = _fetch(
        cur,
        "SELECT * FROM ("
        + " UNION ALL ".join(parts)
        + ") AS f(part, id, rbd, territory_id, name, base_year)",
        params,
    )
    part = np.asarray(found.pop("part"))
    columns = {k: _unmasked(v) for k, v in found.items()}
    out = []
    for i, names in enumerate(
        (("id", "rbd"), ("rbd", "territory_id", "name"), ("rbd", "base_year"))
    ):
        mine = part == i
        out.append(pd.DataFrame({k: np.asarray(columns[k])[mine] for k in names}))
    return out[0], out[1], out[2]


@dataclass(frozen=True)
class _Numbers:
    """The request's scope ids numbered in sorted order (``sids``), and how to number a
    school's RBD, any id, and the territories' links."""

    sids: list[str]
    index: pd.Index
    school_rbd: IntArray
    """The visible schools' RBDs, sorted."""
    school_sc: IntArray
    link_school: IntArray
    link_territory: IntArray
    """Each link of a visible school to a visible territory (both numbered)."""

    @property
    def size(self) -> int:
        return len(self.sids)

    def of_schools(self, rbds: IntArray) -> IntArray:
        """The number of each RBD (−1: not a visible school)."""
        if not self.school_rbd.size:
            return np.full(rbds.size, -1, dtype=np.int64)
        at = np.minimum(np.searchsorted(self.school_rbd, rbds), self.school_rbd.size - 1)
        return np.where(self.school_rbd[at] == rbds, self.school_sc[at], -1)

    def of_ids(self, ids: Any) -> IntArray:
        """The number of each id (−1: not one of the request's)."""
        return np.asarray(self.index.get_indexer(pd.Index(ids, dtype=object)), dtype=np.int64)


def _number_scopes(
    cur: duckdb.DuckDBPyConnection,
    communities: pd.DataFrame,
    links: pd.DataFrame,
    schools: pd.DataFrame,
) -> tuple[_Numbers, rows_.ScopeNumbers]:
    """``_sid`` (a DataFrame the cursor reads as a view): every scope id of the request
    (schools, communities and territories) numbered in sorted order, with a school's RBD; and
    the request's frames of schools, communities and links numbered so (each row, −1 where
    it is not one of the request's)."""
    rbds = schools["rbd"].to_numpy(dtype=np.int64)
    school_ids = rbds.astype(str).astype(object)
    every = np.concatenate(
        [
            school_ids,
            communities["id"].to_numpy(dtype=object),
            links["territory_id"].to_numpy(dtype=object),
        ]
    )
    # Hashed to the distinct ids first, then those sorted (sorting every link's territory id
    # was half of the numbering, for a country).
    index = pd.Index(pd.unique(every), dtype=object).sort_values()
    ids = index.to_numpy(dtype=object)
    school_sc = np.asarray(index.get_indexer(school_ids), dtype=np.int64)
    rbd = np.full(ids.size, -1, dtype=np.int64)  # −1: not a school (no fact has that RBD)
    rbd[school_sc] = rbds
    cur.register(
        "_sid",
        pd.DataFrame({"sid": ids, "sc": np.arange(ids.size, dtype=np.int32), "rbd": rbd}),
    )
    order = np.argsort(rbds)
    link_rbd = links["rbd"].to_numpy(dtype=np.int64)
    numbers = _Numbers(
        sids=[str(s) for s in ids],
        index=index,
        school_rbd=rbds[order],
        school_sc=school_sc[order],
        link_school=np.array([], dtype=np.int64),
        link_territory=np.array([], dtype=np.int64),
    )
    link_school = numbers.of_schools(link_rbd)
    link_territory = numbers.of_ids(links["territory_id"].to_numpy(dtype=object))
    ok = (link_school >= 0) & (link_territory >= 0)
    frames = rows_.ScopeNumbers(
        school=school_sc,
        community=numbers.of_ids(communities["id"].to_numpy(dtype=object)),
        community_school=numbers.of_schools(communities["rbd"].to_numpy(dtype=np.int64)),
        link_school=link_school,
        link_territory=link_territory,
    )
    return replace(numbers, link_school=link_school[ok], link_territory=link_territory[ok]), frames


_COUNTS = frozenset({"n", "n_priv"})
"""What suppression reads of a total (:func:`metrics.engine.compute.suppress`)."""

_COMPUTED: weakref.WeakKeyDictionary[Store, tuple[tuple[Any, ...], dict[str, Any]]] = (
    weakref.WeakKeyDictionary()
)
"""Per store: the facts of the sources computed per request (schedule compliance), for every
community and school and every month, at one cut-off date, with the stamp they were computed at
(the file's, the engine's and the cut-off). While the file has not changed, every request with
that cut-off (all of a day's, in the app) takes its rows from here instead of querying the
activities: the statement was a fifth of a school's request."""


def forget_per_request(store: Store) -> None:
    """Drop ``store``'s computed per-request facts (:data:`_COMPUTED`): the next request
    computes them again, as the first one after a change does (for the benchmark)."""
    _COMPUTED.pop(store, None)


def _all_per_request(store: Store, cur: duckdb.DuckDBPyConnection, cutoff: date) -> dict[str, Any]:
    """The per-request sources' facts of the whole store at ``cutoff`` (:data:`_COMPUTED`):
    ind, kind (community or school), sid_code (a place in ``sids``), rbd (sorted), year,
    month, base, mon, and the statistics some row has (the others are all missing).
    Registers ``_com`` (every community) for the sources' queries: the caller registers its
    own after. No territory is asked for, so ``_st`` is not read."""
    stamp = store.file_stamp()
    key = None if stamp is None else (*stamp, engine_digest(), cutoff)
    held = _COMPUTED.get(store)
    if key is not None and held is not None and held[0] == key:
        return held[1]
    found = _fetch(cur, "SELECT id, rbd FROM community")
    cur.register("_com", pd.DataFrame({k: _unmasked(v) for k, v in found.items()}))
    facts_table(cur)
    kinds = frozenset({KIND_CODE["comunidad"], KIND_CODE["establecimiento"]})
    request = Request(cur, Scope.all(), kinds, set(PER_REQUEST), True, cutoff)
    for source in SOURCES.values():
        if not source.cached:
            source.build(request)
    # Scope ids numbered in DuckDB (``_fid``): texts cross into Python once per id, not per row.
    cur.execute(
        "CREATE OR REPLACE TEMP TABLE _fid AS SELECT sid, "
        "CAST(row_number() OVER () - 1 AS INTEGER) AS code FROM (SELECT DISTINCT sid FROM _f)"
    )
    got = _fetch(
        cur,
        f"""
        SELECT f.ind, f.kind, i.code AS sid_code,
               coalesce(c.rbd, TRY_CAST(f.sid AS INTEGER)) AS rbd,
               f.year, f.month, f.base, f.mon, {", ".join("f." + s for s in STATS)}
        FROM _f f JOIN _fid i ON i.sid = f.sid
        LEFT JOIN _com c ON f.kind = {KIND_CODE["comunidad"]} AND c.id = f.sid
        ORDER BY 4
        """,
    )
    ids = _fetch(cur, "SELECT sid, code FROM _fid ORDER BY code")
    rbd = rows_.as_floats(got["rbd"])
    known = ~np.isnan(rbd)
    out: dict[str, Any] = {
        "ind": np.asarray(got["ind"], dtype=np.int16)[known],
        "kind": np.asarray(got["kind"], dtype=np.int8)[known],
        "sid_code": np.asarray(got["sid_code"], dtype=np.int32)[known],
        "sids": np.asarray(ids["sid"], dtype=object),
        "rbd": rbd[known].astype(np.int64),
        "year": rows_.as_floats(got["year"])[known],
        "month": np.asarray(got["month"], dtype=np.int8)[known],
        "base": np.asarray(got["base"], dtype=bool)[known],
        "mon": np.asarray(got["mon"], dtype=bool)[known],
    }
    for s in STATS:
        values = rows_.as_floats(got[s])[known]
        if not np.isnan(values).all():
            out[s] = values
    if key is not None:
        _COMPUTED[store] = (key, out)
    return out


def _per_request(
    computed: dict[str, Any],
    scope: Scope,
    kinds: frozenset[int],
    wanted: set[str],
    monthly: bool,
    numbers: _Numbers,
    summed: frozenset[str] | None = None,
) -> dict[str, Any]:
    """The facts of the sources computed per request (schedule compliance: it depends on the
    cut-off date) of the request's scopes, numbered as in ``numbers``: its visible schools'
    and communities' rows taken from the whole store's (``computed``,
    :func:`_all_per_request`), and each visible territory's as the sum of its visible
    schools'."""
    columns = ("ind", "kind", "sc", "year", "month", "base", "mon", *STATS)
    codes = np.asarray(sorted(IND_CODE[c] for c in wanted & PER_REQUEST), dtype=np.int64)
    empty = {c: np.array([], dtype=float) for c in columns}
    if not codes.size or not computed["rbd"].size:
        return empty
    if scope.is_all:
        at = np.arange(computed["rbd"].size, dtype=np.int64)
    else:
        rbds = np.asarray(sorted(scope.rbds or ()), dtype=np.int64)
        lo = np.searchsorted(computed["rbd"], rbds, "left")
        counts = np.searchsorted(computed["rbd"], rbds, "right") - lo
        starts = np.repeat(lo - (np.cumsum(counts) - counts), counts)
        at = starts + np.arange(int(counts.sum()), dtype=np.int64)
    ind = computed["ind"][at].astype(np.int64)
    keep = np.isin(np.where(ind >= MONTHLY_VARIANT, ind - MONTHLY_VARIANT, ind), codes)
    if not monthly:
        keep &= computed["month"][at] == 0
    at, ind = at[keep], ind[keep]
    code = computed["sid_code"][at]
    present = np.zeros(computed["sids"].size, dtype=bool)
    present[code] = True
    used = np.flatnonzero(present)  # the ids these rows name, each looked up once
    number = np.full(present.size, -1, dtype=np.int64)
    number[used] = numbers.of_ids(computed["sids"][used])
    sc = number[code]
    rows: dict[str, Any] = {
        "ind": ind,
        "kind": computed["kind"][at].astype(np.int64),
        "sc": sc,
        "year": computed["year"][at],
        "month": computed["month"][at].astype(np.int64),
        "base": computed["base"][at],
        "mon": computed["mon"][at],
    }
    for s in STATS:
        rows[s] = computed[s][at] if s in computed else np.full(at.size, np.nan)
    visible = sc >= 0
    out = []
    shown = visible & np.isin(rows["kind"], sorted(kinds))
    out.append({k: v[shown] for k, v in rows.items()})
    if KIND_CODE["territorio"] in kinds:
        school = visible & (rows["kind"] == KIND_CODE["establecimiento"])
        sums = rows_.territory_sums(
            {k: v[school] for k, v in rows.items()},
            STATS,
            numbers.link_school,
            numbers.link_territory,
            numbers.size,
            summed,
        )
        out.append(sums)
    return {c: np.concatenate([np.asarray(o[c]) for o in out]) for c in columns}


def _peer_sums(
    parts: list[dict[str, Any]],
    comparable: list[int],
    schools: pd.DataFrame,
    communities: pd.DataFrame,
    numbers: _Numbers,
) -> dict[str, Any]:
    """The facts of each territory's visible schools without communities (``PEERS``), the
    sums of their yearly facts of the ``comparable`` indicators (and their fallbacks')."""
    columns = ("ind", "kind", "sc", "year", "month", "base", "mon", *STATS)
    empty = {k: np.array([], dtype=float) for k in columns}
    alone = schools["rbd"].to_numpy(dtype=np.int64)[rows_.without_communities(schools, communities)]
    mine = np.isin(numbers.link_school, numbers.of_schools(np.sort(alone)))
    if not mine.any():  # every school has communities: nothing to add up
        return empty
    inds = np.asarray([*comparable, *(i + MONTHLY_VARIANT for i in comparable)])
    picked: dict[str, list[Any]] = {}
    for part in parts:
        kind = np.asarray(part["kind"], dtype=np.int64)
        if not kind.size:
            continue
        keep = (kind == KIND_CODE["establecimiento"]) & np.isin(np.asarray(part["ind"]), inds)
        keep &= (np.asarray(part["month"]) == 0) & ~np.asarray(part["base"], dtype=bool)
        for key in ("ind", "sc", "year", "month", "base", *STATS):
            values = rows_.as_floats(part[key]) if key in STATS or key == "year" else part[key]
            picked.setdefault(key, []).append(np.asarray(values)[keep])
    if not picked:
        return empty
    facts = {k: np.concatenate(v) for k, v in picked.items()}
    out = rows_.territory_sums(
        facts, STATS, numbers.link_school[mine], numbers.link_territory[mine], numbers.size
    )
    out["kind"] = np.full(np.asarray(out["ind"]).size, rows_.PEERS, dtype=np.int64)
    return out


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
    territory_counts_only: bool = False,
) -> IndicatorRows:
    """Read and join everything the engine needs for ``indicators`` in ``kinds`` and ``scope``.

    ``territory_counts_only``: the caller shows no territory row, so territories only bound
    the suppression of their schools (:func:`metrics.engine.compute.suppress`) and only the
    counts it reads (``n``, ``n_priv``) are added up for them; their other statistics are
    missing.

    Example:
        >>> from metrics.store import open_store
        >>> store = open_store(":memory:")
        >>> len(load_indicator_rows(store, Scope.all(), cutoff=date(2024, 12, 31)))
        0
    """
    kind_set = frozenset(KIND_CODE[k] for k in kinds)
    # A community's rows come with its comparison group's (never shown as rows of their own).
    if KIND_CODE["comunidad"] in kind_set:
        kind_set |= {COMPARISON_KIND}
    wanted = set(indicators) if indicators is not None else set(CATALOG.codes)
    ensure_facts(store)  # schedule compliance alone still reads the cached baseline years
    cur = store.cursor()
    try:
        computed = _all_per_request(store, cur, cutoff) if wanted & PER_REQUEST else None
        communities, links, schools = _scope_frames(cur, scope)
        # The queries below read the frames as views (no temporary table to write).
        cur.register("_com", communities)
        cur.register("_st", links)
        numbers, numbered = _number_scopes(cur, communities, links, schools)
        summed = _COUNTS if territory_counts_only else None
        parts = _read_facts(cur, scope, kind_set, wanted - PER_REQUEST, monthly, numbers, summed)
        if computed is not None:
            parts.append(_per_request(computed, scope, kind_set, wanted, monthly, numbers, summed))
        comparable = [IND_CODE[c] for c in COMPARABLE & wanted]
        if comparable and KIND_CODE["establecimiento"] in kind_set:
            peers = _peer_sums(parts, comparable, schools, communities, numbers)
            if np.asarray(peers["ind"]).size:  # rows of their own only when there are some
                parts.append(peers)
                kind_set |= {rows_.PEERS}
        inds = sorted(IND_CODE[c] for c in wanted)
        found = rows_.Facts.from_columns(parts, STATS, numbers.sids, numbers.index)
        rows = rows_.assemble(
            found,
            inds=inds,
            kinds=kind_set,
            variant=MONTHLY_VARIANT,
            fallback=FALLBACK,
            comparable=comparable,
            schools=schools,
            numbered=numbered,
        )
        targets = _read_targets(cur, numbers) if len(rows) else {}
    except duckdb.Error as exc:
        raise StoreError(f"No se pudieron calcular los indicadores: {exc}") from exc
    finally:
        cur.close()
    brid, provisional, provisional_year = rows_.baselines(rows)
    meta, meta_year = rows_.targets(rows, targets)
    suppressible = [IND_CODE[c] for c in wanted if _is_suppressible(c)]
    parent, child, family = rows_.families(rows, suppressible)
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
        family=family,
        communities=communities,
        links=links,
    )


def _read_targets(cur: duckdb.DuckDBPyConnection, numbers: _Numbers) -> dict[str, Any]:
    """The targets of the request's scopes (``_sid``), their indicator and kind numbered as
    in the rows (targets of indicators the catalogue no longer holds are left out).

    For a few scopes, their ids are listed in the query and the rest is numbered in memory
    (the joins' fixed cost was most of the statement's)."""
    if numbers.size > MAX_LISTED:
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
    got = _fetch(
        cur,
        "SELECT indicator, scope_kind, scope_id, target_value, deadline_year FROM target "
        f"WHERE scope_id IN ({', '.join('?' * numbers.size) or 'NULL'})",
        list(numbers.sids),
    )
    ind = np.asarray(pd.Categorical(got["indicator"], categories=list(IND_CODE)).codes)
    kind = np.asarray(pd.Categorical(got["scope_kind"], categories=list(KIND_CODE)).codes)
    keep = (ind >= 0) & (kind >= 0)
    return {
        "ind": ind[keep],
        "kind": kind[keep],
        "sc": numbers.of_ids(got["scope_id"])[keep],
        "target_value": rows_.as_floats(got["target_value"])[keep],
        "deadline_year": rows_.as_floats(got["deadline_year"])[keep],
    }


def _is_suppressible(code: str) -> bool:
    return INDICATORS[code].suppressible
