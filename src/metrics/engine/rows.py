"""The rows of one computation, assembled from its facts in memory.

:mod:`metrics.engine.facts` reads a request's facts (the cached ones of its communities and
schools, its territories' sums, and what is computed per request) as flat arrays; this module
turns them into the engine's rows, in output order, with everything each row needs from the
others: its baseline row, its target and the families it can be suppressed in.

Every join here is between rows of one request (a few thousand for a school, under a million
for the country) on small integer keys, so it is done in memory with a hash table of the keys
(:class:`_Finder`) rather than with SQL statements: for a school's request, the statements'
fixed costs were most of its time.

Scope ids are numbered by their place in the sorted list of every id involved (``sids``), so
that row order by number is row order by id, as in the output.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

SCHOOL, COMMUNITY, TERRITORY, COMPARISON, PEERS = 1, 0, 2, 3, 4
"""Scope kinds as numbered in the facts (``KIND_CODE``). Two are never output rows:
``COMPARISON``, a community's comparison group (keyed by the community's id), and ``PEERS``,
a territory's visible schools without communities (keyed by the territory's id), the schools
a school or territory is compared with."""
_YEAR_ORIGIN = 1799
"""Years are keyed as ``year - _YEAR_ORIGIN`` (0: no year, the baseline wave's rows)."""
_YEARS = 4096
_MONTHS = 128
_DENSE_LIMIT = 50_000_000
"""The most slots of a dense table (territories × indicator-periods) a request builds; wider,
territories are added up by sorting and their rows found by hashing."""
_KINDS = 8
_INDS = 256
TERRITORY_SCHOOLS, SCHOOL_COMMUNITIES, YEAR_MONTHS = 0, 1, 2
"""The kinds of family a total heads (:func:`families`)."""


@dataclass(frozen=True)
class Facts:
    """A request's facts as arrays (one element per fact): ``ind`` numbers an indicator
    (``+variant``: its fallback's facts), ``sc`` the scope by its place in ``sids`` (every
    scope id of the request, sorted), ``year`` is NaN on the baseline wave's rows."""

    ind: IntArray
    kind: IntArray
    sc: IntArray
    year: FloatArray
    month: IntArray
    base: BoolArray
    mon: BoolArray
    stats: dict[str, FloatArray]
    sids: npt.NDArray[np.object_]
    index: pd.Index[Any] | None = None
    """``sids`` as an index, when the caller has one (its hash table is built once)."""

    @classmethod
    def from_columns(
        cls,
        parts: Sequence[Mapping[str, Any]],
        stats: Sequence[str],
        sids: Sequence[str],
        index: pd.Index[Any] | None = None,
    ) -> Facts:
        """From ``fetchnumpy()`` results of the facts (NULL years become NaN)."""

        def col(name: str, dtype: Any) -> Any:
            arrays = [as_floats(p[name]) if dtype is float else np.asarray(p[name]) for p in parts]
            return np.concatenate(arrays).astype(dtype) if arrays else np.array([], dtype=dtype)

        return cls(
            ind=col("ind", np.int64),
            kind=col("kind", np.int64),
            sc=col("sc", np.int64),
            year=col("year", float),
            month=col("month", np.int64),
            base=col("base", bool),
            mon=col("mon", bool),
            stats={s: col(s, float) for s in stats},
            sids=np.asarray(list(sids), dtype=object),
            index=index,
        )


@dataclass(frozen=True)
class ScopeNumbers:
    """The request's schools, communities and territory links numbered once, as :class:`Facts`
    numbers their ids (−1: not one of the request's), aligned with the frames they come from:
    ``schools`` (rbd), ``communities`` (id, rbd) and ``links`` (rbd, territory_id). Numbering
    text ids is a hash lookup per id; done once, every join after it is on integers."""

    school: IntArray
    community: IntArray
    community_school: IntArray
    link_school: IntArray
    link_territory: IntArray


@dataclass(frozen=True)
class Assembled:
    """The rows in output order (see :class:`metrics.engine.facts.IndicatorRows`)."""

    ind: IntArray
    kind: IntArray
    sid: IntArray
    sids: npt.NDArray[np.object_]
    year: FloatArray
    month: IntArray
    base: BoolArray
    mon: BoolArray
    stats: dict[str, FloatArray]
    base_year: FloatArray
    """The scope's baseline year (NaN: none set and no community to tell it)."""
    scope_codes: IntArray
    """For each of ``sids``, its number in the request's facts (:class:`Facts`)."""
    facts_index: pd.Index[Any] | None = None
    """The request's facts' ids (:class:`Facts`) as an index."""
    numbered: ScopeNumbers | None = None
    """The request's scopes as :class:`Facts` numbers them (:meth:`renumber` gives the rows')."""

    def renumber(self, codes: IntArray) -> IntArray:
        """Numbers of :class:`Facts` (−1: none) as the rows number them (−1: not one of the
        rows' scopes)."""
        size = len(self.facts_index) if self.facts_index is not None else 0
        size = max(size, int(self.scope_codes.max(initial=-1)) + 1)
        compact = np.full(size + 1, -1, dtype=np.int64)
        compact[self.scope_codes] = np.arange(self.scope_codes.size)
        return compact[np.asarray(codes, dtype=np.int64)]  # −1 picks the last slot: −1

    def __len__(self) -> int:
        return int(self.ind.size)


def as_floats(arr: Any) -> FloatArray:
    """A ``fetchnumpy()`` column as floats, NULL (masked) as NaN."""
    if isinstance(arr, np.ma.MaskedArray):
        return np.asarray(np.ma.filled(arr.astype(np.float64), np.nan), dtype=np.float64)
    return np.asarray(arr, dtype=np.float64)


def _year_code(year: FloatArray) -> IntArray:
    code = np.subtract(year, float(_YEAR_ORIGIN))  # NaN (no year): 0, in place
    np.copyto(code, 0.0, where=np.isnan(code))
    return code.astype(np.int64)


def _key(*parts: tuple[Any, int]) -> IntArray:
    """One int64 per row from small non-negative integer columns and their ranges."""
    out: IntArray | None = None
    for arr, size in parts:
        a = np.asarray(arr, dtype=np.int64)
        out = a if out is None else out * size + a
    assert out is not None
    return out


def _through(positions: IntArray, at: IntArray) -> IntArray:
    """``positions[at]``, −1 where ``at`` is −1."""
    out = np.full(at.size, -1, dtype=np.int64)
    ok = at >= 0
    out[ok] = positions[at[ok]]
    return out


def _pairs(left: IntArray, right: IntArray) -> tuple[IntArray, IntArray]:
    """Every pair of positions (i, j) with ``left[i] == right[j]`` (an inner join), ordered by
    ``i`` then ``j``."""
    order = np.argsort(right, kind="stable")
    if left.size and right.size and min(left.min(), right.min()) >= 0:
        # Small non-negative keys (scope numbers): each key's run in ``order`` from a table
        # of counts, not from two binary searches of every left key (a million for a
        # country's facts).
        top = int(max(left.max(), right.max())) + 1
        if top <= 4 * (left.size + right.size) + 1024:
            per_key = np.bincount(right, minlength=top)
            counts = per_key[left]
            lo = (np.cumsum(per_key) - per_key)[left]
        else:
            lo, counts = _runs(right[order], left)
    else:
        lo, counts = _runs(right[order], left)
    li = np.repeat(np.arange(left.size, dtype=np.int64), counts)
    starts = np.repeat(lo - (np.cumsum(counts) - counts), counts)
    starts += np.arange(li.size, dtype=np.int64)
    return li, order[starts].astype(np.int64, copy=False)


def _runs(ordered: IntArray, left: IntArray) -> tuple[IntArray, IntArray]:
    """Where each of ``left`` starts in ``ordered`` (sorted), and how many times it is there."""
    lo = np.searchsorted(ordered, left, "left")
    return lo, np.searchsorted(ordered, left, "right") - lo


def _ids(values: Any) -> npt.NDArray[np.object_]:
    """Scope ids (RBDs or texts) as an object array of str: what ``sids`` holds."""
    arr = np.asarray(values)
    if arr.dtype.kind in "iu":
        return arr.astype(str).astype(object)
    return np.asarray([str(v) for v in arr], dtype=object)


class _Finder:
    """Finds keys among ``keys`` by hashing (pandas' hash table, built once): for a million
    rows, several times faster than sorting them and searching the sorted keys."""

    def __init__(self, keys: IntArray) -> None:
        index: pd.Index[Any] = pd.Index(np.asarray(keys, dtype=np.int64))
        self._first: IntArray | None = None
        if not index.is_unique:  # keep each key's first position
            self._first = np.flatnonzero(~index.duplicated(keep="first")).astype(np.int64)
            index = pd.Index(np.asarray(keys, dtype=np.int64)[self._first])
        self._index = index

    def find(self, wanted: IntArray) -> IntArray:
        """For each of ``wanted``: the position in ``keys`` holding it (the first, when
        several do), or −1."""
        if not self._index.size or not wanted.size:
            return np.full(wanted.size, -1, dtype=np.int64)
        found = self._index.get_indexer(pd.Index(np.asarray(wanted, dtype=np.int64)))
        at = np.asarray(found, dtype=np.int64)
        if self._first is None:
            return at
        return np.where(at >= 0, self._first[np.maximum(at, 0)], -1).astype(np.int64)


def _lookup(keys: IntArray, wanted: IntArray) -> IntArray:
    """For each of ``wanted``: the position in ``keys`` holding it (the first, when several
    do), or −1."""
    if not keys.size or not wanted.size:
        return np.full(wanted.size, -1, dtype=np.int64)
    return _Finder(keys).find(wanted)


def assemble(
    facts: Facts,
    *,
    inds: Sequence[int],
    kinds: frozenset[int],
    variant: int,
    fallback: Sequence[int],
    schools: pd.DataFrame,
    numbered: ScopeNumbers,
    comparable: Sequence[int] = (),
) -> Assembled:
    """The rows of a request, in order (indicator, scope kind, scope id, year with the
    baseline wave first, month).

    - An indicator with a fallback (attendance: the results file, else the monthly file), per
      scope and year: its own facts where they have students, else the fallback's (marked
      ``mon``).
    - A yearly row for every wanted indicator, asked-for scope kind and year in which its
      school has data (a community's and a territory's years are its schools'), with or
      without facts; the facts' monthly and baseline-wave rows as they are.

    ``schools``: rbd, base_year; ``numbered``: the request's schools (in ``schools``' order),
    communities and territory links as ``facts`` numbers them.
    With ``COMPARISON`` in ``kinds``, each community also gets the yearly rows of its
    comparison group for the ``comparable`` indicators (its baseline year is the community's);
    with ``PEERS``, each territory the rows of its schools without communities.
    """
    f = _resolve_fallback(facts, variant, fallback)
    sids = f.index if f.index is not None else pd.Index(f.sids, dtype=object)
    size = max(int(sids.size), 1)

    school_sc, com_sc, com_school = numbered.school, numbered.community, numbered.community_school
    link_school, link_terr = numbered.link_school, numbered.link_territory

    # A school's years: those with any yearly data for it (DuckDB's NaN counts as > 0).
    n = f.stats["n"]
    has = (f.kind == SCHOOL) & (f.month == 0) & ~f.base & (np.isnan(n) | (n > 0))
    has &= ~np.isnan(f.year)
    sy = np.sort(pd.unique(f.sc[has] * _YEARS + _year_code(f.year[has])))  # hashed, then few
    sy_sc, sy_year = sy // _YEARS, (sy % _YEARS + _YEAR_ORIGIN).astype(float)

    scope_sc: list[IntArray] = []
    scope_kind: list[IntArray] = []
    scope_year: list[FloatArray] = []
    if SCHOOL in kinds:
        scope_sc.append(sy_sc)
        scope_kind.append(np.full(sy_sc.size, SCHOOL, dtype=np.int64))
        scope_year.append(sy_year)
    for k, owner, scope in (
        (COMMUNITY, com_school, com_sc),
        (TERRITORY, link_school, link_terr),
        (COMPARISON, com_school, com_sc),
        (PEERS, link_school, link_terr),
    ):
        if k not in kinds or (k in (COMPARISON, PEERS) and not len(comparable)):
            continue
        ok = (owner >= 0) & (scope >= 0)
        li, ri = _pairs(owner[ok], sy_sc)  # each scope with its schools' years
        years = np.unique(scope[ok][li] * _YEARS + sy[ri] % _YEARS)
        scope_sc.append(years // _YEARS)
        scope_kind.append(np.full(years.size, k, dtype=np.int64))
        scope_year.append((years % _YEARS + _YEAR_ORIGIN).astype(float))
    g_sc = np.concatenate(scope_sc) if scope_sc else np.array([], dtype=np.int64)
    g_kind = np.concatenate(scope_kind) if scope_kind else np.array([], dtype=np.int64)
    g_year = np.concatenate(scope_year) if scope_year else np.array([], dtype=float)

    # The grid of yearly rows, with the facts' yearly values where there are some; comparison
    # groups only for the indicators that have one.
    wanted = np.asarray(sorted(inds), dtype=np.int64)
    cmp_scope = (g_kind == COMPARISON) | (g_kind == PEERS)
    usual = np.flatnonzero(~cmp_scope)
    of_cmp = np.flatnonzero(cmp_scope)
    cmp_inds = np.asarray(sorted(set(comparable) & set(wanted.tolist())), dtype=np.int64)
    # Each fact's place in the grid: the grid repeats one list of scope-years per indicator
    # (``usual``; then ``of_cmp`` per comparable indicator), so a fact's place is its
    # indicator's rank times the list's length plus its scope-year's place in the list.
    yearly = (f.month == 0) & ~f.base
    fy = np.flatnonzero(yearly)
    fkey = _key((f.kind[fy], _KINDS), (f.sc[fy], size), (_year_code(f.year[fy]), _YEARS))
    src = np.full(wanted.size * usual.size + cmp_inds.size * of_cmp.size, -1, dtype=np.int64)
    offset = 0
    for part, part_inds in ((usual, wanted), (of_cmp, cmp_inds)):
        if part.size and part_inds.size:
            pkey = _key((g_kind[part], _KINDS), (g_sc[part], size),
                        (_year_code(g_year[part]), _YEARS))  # fmt: skip
            rank = np.full(_INDS, -1, dtype=np.int64)
            rank[part_inds] = np.arange(part_inds.size)
            place = _Finder(pkey).find(fkey)
            r_ind = rank[f.ind[fy]]
            hits = np.flatnonzero((place >= 0) & (r_ind >= 0))[::-1]  # the first fact wins
            src[offset + r_ind[hits] * part.size + place[hits]] = fy[hits]
        offset += part_inds.size * part.size
    g_ind = np.concatenate([np.repeat(wanted, usual.size), np.repeat(cmp_inds, of_cmp.size)])
    g_kind, g_sc, g_year = (
        np.concatenate([np.tile(a[usual], wanted.size), np.tile(a[of_cmp], cmp_inds.size)])
        for a in (g_kind, g_sc, g_year)
    )
    other = np.flatnonzero(~yearly & np.isin(f.ind, wanted) & (f.kind < COMPARISON))
    source = np.concatenate([src, other])  # each row's fact (−1: none)

    ind = np.concatenate([g_ind, f.ind[other]])
    kind = np.concatenate([g_kind, f.kind[other]])
    sc = np.concatenate([g_sc, f.sc[other]])
    year = np.concatenate([g_year, f.year[other]])
    month = np.concatenate([np.zeros(g_ind.size, dtype=np.int64), f.month[other]])
    base = np.concatenate([np.zeros(g_ind.size, dtype=bool), f.base[other]])

    # Each scope's baseline year: its school's (a territory: the earliest of its schools').
    by_school = np.full(size + 1, np.nan)  # [size]: a school the request does not hold
    by_school[np.where(school_sc >= 0, school_sc, size)] = schools["base_year"].to_numpy(
        dtype=float, na_value=np.nan
    )
    by_school[size] = np.nan
    com_base = np.full(size, np.nan)
    com_base[com_sc[com_sc >= 0]] = by_school[np.where(com_school >= 0, com_school, size)][
        com_sc >= 0
    ]
    terr_base = np.full(size, np.nan)
    ok = (link_terr >= 0) & (link_school >= 0)
    if ok.any():
        t = pd.Series(by_school[link_school[ok]]).groupby(link_terr[ok]).min()
        terr_base[t.index.to_numpy(dtype=np.int64)] = t.to_numpy(dtype=float)
    base_year = np.select(
        [kind == SCHOOL, (kind == COMMUNITY) | (kind == COMPARISON)],
        [by_school[sc], com_base[sc]],
        terr_base[sc],
    )

    # One stable sort of one key: the rows come in a few long sorted runs (the grid by
    # indicator and kind), which a stable sort merges in linear time.
    key = _key((ind, _INDS), (kind, _KINDS), (sc, size), (_year_code(year), _YEARS),
               (month, _MONTHS))  # fmt: skip
    order = np.argsort(key, kind="stable")
    present = np.zeros(size, dtype=bool)
    present[sc] = True  # every row's scope is one of the request's (numbered ≥ 0)
    used = np.flatnonzero(present)
    compact = (np.cumsum(present) - 1)[sc[order]]
    at = source[order]  # −1 picks the appended missing value

    def pick(arr: np.ndarray, missing: Any) -> np.ndarray:
        if missing is np.nan and np.isnan(arr).all():  # a statistic no fact has
            return np.full(at.size, np.nan)
        return np.concatenate([arr, np.asarray([missing], dtype=arr.dtype)])[at]

    return Assembled(
        ind=ind[order],
        kind=kind[order],
        sid=compact.astype(np.int64).reshape(-1),
        sids=f.sids[used],
        year=year[order],
        month=month[order],
        base=base[order],
        mon=pick(np.asarray(f.mon, dtype=bool), False),
        stats={s: pick(np.asarray(v, dtype=float), np.nan) for s, v in f.stats.items()},
        base_year=base_year[order],
        scope_codes=used.astype(np.int64),
        facts_index=sids,
        numbered=numbered,
    )


def _resolve_fallback(facts: Facts, variant: int, fallback: Sequence[int]) -> Facts:
    """Per indicator, scope and year: the indicator's own facts when any of them has students,
    else its fallback's (numbered ``+variant`` in ``facts``, renumbered and marked ``mon``)."""
    f = facts
    is_variant = f.ind >= variant
    if not is_variant.any():
        return f
    own = np.where(is_variant, f.ind - variant, f.ind)
    dated = ~np.isnan(f.year)
    size = max(int(f.sids.size), 1)
    key = _key((own, _INDS), (f.kind, _KINDS), (f.sc, size), (_year_code(f.year), _YEARS))
    n = f.stats["n"]
    with_students = key[~is_variant & dated & (np.isnan(n) | (n > 0))]
    keep = ~(is_variant & dated & np.isin(key, with_students))
    replaced = key[is_variant & keep & dated]
    keep &= ~(np.isin(f.ind, np.asarray(fallback, dtype=np.int64)) & (n == 0) & dated
              & np.isin(key, replaced))  # fmt: skip
    return Facts(
        ind=own[keep],
        kind=f.kind[keep],
        sc=f.sc[keep],
        year=f.year[keep],
        month=f.month[keep],
        base=f.base[keep],
        mon=(f.mon | is_variant)[keep],
        stats={s: v[keep] for s, v in f.stats.items()},
        sids=f.sids,
        index=f.index,
    )


def _scope_groups(rows: Assembled) -> tuple[IntArray, IntArray]:
    """Each row's (indicator, scope kind, scope) numbered 0… in order of first appearance, and
    each group's key. Rows in output order hold each group in one run: found by comparing
    neighbours, without hashing."""
    size = max(int(rows.sids.size), 1)
    scope = _key((rows.ind, _INDS), (rows.kind, _KINDS), (rows.sid, size))
    if not scope.size:
        return np.array([], dtype=np.int64), np.array([], dtype=np.int64)
    if (scope[1:] >= scope[:-1]).all():
        new = np.ones(scope.size, dtype=bool)
        new[1:] = scope[1:] != scope[:-1]
        return (np.cumsum(new) - 1).astype(np.int64), scope[new]
    gid, keys = pd.factorize(scope)
    return np.asarray(gid, dtype=np.int64), np.asarray(keys, dtype=np.int64)


def _first_of_group(gid: IntArray, groups: int, rows_in: IntArray) -> IntArray:
    """For each group: the first of ``rows_in`` (in their order) that belongs to it, or −1."""
    out = np.full(groups, -1, dtype=np.int64)
    out[gid[rows_in[::-1]]] = rows_in[::-1]  # the last write wins: the first row
    return out


def baselines(rows: Assembled) -> tuple[IntArray, BoolArray, FloatArray]:
    """The row holding each row's baseline: the perception's baseline wave when there is one
    (with respondents), else the scope's baseline year; and, for a scope without a baseline
    year (a school with no community yet and no year set by hand), the **provisional**
    baseline: the indicator's first year with a value in that scope.

    A row's baseline year is its scope's (the same in every row of an indicator and scope), so
    each is found once per indicator and scope, in one pass over the rows.

    Returns the baseline row (−1: none), whether it is provisional, and the provisional year
    (NaN where it is not)."""
    gid, keys = _scope_groups(rows)
    groups = int(keys.size)
    n, rx = rows.stats["n"], rows.stats["rx"]
    wave_rows = np.flatnonzero(rows.base & (np.isnan(n) | (n > 0)))
    wave = _first_of_group(gid, groups, wave_rows)[gid]

    yearly = ~rows.base & (rows.month == 0) & ~np.isnan(rows.year)
    has_base = ~np.isnan(rows.base_year)
    at_base = np.flatnonzero(
        yearly & has_base & (_year_code(rows.year) == _year_code(rows.base_year))
    )
    of_year = np.where(has_base, _first_of_group(gid, groups, at_base)[gid], -1)

    valued = yearly & ((~np.isnan(n) & (n > 0)) | (~np.isnan(rx) & (rx > 0)))
    vr = np.flatnonzero(valued)
    first = np.full(len(rows), -1, dtype=np.int64)
    first_year = np.full(len(rows), np.nan)
    if vr.size:
        # The earliest valued year of each group: sort by group then year, take the first.
        # Rows are in output order (scope, then year): a stable sort finds them sorted.
        order = np.argsort(gid[vr] * _YEARS + _year_code(rows.year[vr]), kind="stable")
        heads = _first_of_group(gid, groups, vr[order])[gid]
        found = ~has_base & (heads >= 0)
        first = np.where(found, heads, -1)
        first_year = np.where(found, rows.year[first], np.nan)
    brid = np.where(wave >= 0, wave, np.where(of_year >= 0, of_year, first))
    provisional = (wave < 0) & (first >= 0)
    year = np.where(provisional, first_year, np.nan)
    return brid.astype(np.int64), provisional, year


def targets(rows: Assembled, table: Mapping[str, Any]) -> tuple[FloatArray, FloatArray]:
    """The target that applies to each row (not the baseline wave's): of its indicator and
    scope, the nearest deadline not before the row's year, else the latest one.

    ``table``: ind, kind, sc (the scope numbered as in :class:`Facts`), target_value,
    deadline_year."""
    meta = np.full(len(rows), np.nan)
    year = np.full(len(rows), np.nan)
    sc = np.asarray(table.get("sc", []), dtype=np.int64)
    if not sc.size or not len(rows):
        return meta, year
    # The request's scope numbers, as the rows number them (those with rows).
    at = np.minimum(np.searchsorted(rows.scope_codes, sc), rows.scope_codes.size - 1)
    known = rows.scope_codes[at] == sc
    size = max(int(rows.sids.size), 1)
    value = np.asarray(table["target_value"], dtype=float)[known]
    deadline = np.asarray(table["deadline_year"], dtype=float)[known]
    tkey = _key((np.asarray(table["ind"])[known], _INDS), (np.asarray(table["kind"])[known],
                _KINDS), (at[known], size))  # fmt: skip
    # Targets sorted by scope then deadline: a row's target is the first of its scope's
    # whose deadline is not before its year, else its scope's last.
    code = tkey * _YEARS + np.clip(deadline - _YEAR_ORIGIN, 1, _YEARS - 1).astype(np.int64)
    order = np.argsort(code, kind="stable")
    code = code[order]
    # Each indicator and scope's targets, found once per group of rows, not once per row.
    gid, keys = _scope_groups(rows)
    g_first = np.searchsorted(code, keys * _YEARS)
    g_end = np.searchsorted(code, (keys + 1) * _YEARS)
    r = np.flatnonzero(~rows.base & (g_end > g_first)[gid])
    first, end = g_first[gid[r]], g_end[gid[r]]
    pos = first.copy()
    several = np.flatnonzero(end - first > 1)  # only these need the row's year
    if several.size:
        ry = rows.year[r[several]]
        wanted = np.where(
            np.isnan(ry), _YEARS, np.clip(np.nan_to_num(ry) - _YEAR_ORIGIN, 0, _YEARS)
        ).astype(np.int64)
        pos[several] = np.searchsorted(code, keys[gid[r[several]]] * _YEARS + wanted)
    chosen = order[np.where(pos < end, pos, end - 1)]
    meta[r] = value[chosen]
    year[r] = deadline[chosen]
    return meta, year


def families(rows: Assembled, suppressible: Sequence[int]) -> tuple[IntArray, IntArray, IntArray]:
    """(total, part, family) row pairs where parts can add up to a total: a territory and its
    schools (family :data:`TERRITORY_SCHOOLS`), a school and its communities
    (:data:`SCHOOL_COMMUNITIES`), a year and its months (:data:`YEAR_MONTHS`), for the same
    indicator and period. A total heads one family of each kind, checked apart
    (:func:`metrics.engine.compute.suppress`)."""
    empty = np.array([], dtype=np.int64)
    chosen = np.isin(rows.ind, np.asarray(list(suppressible), dtype=np.int64))
    numbered = rows.numbered
    if not chosen.any() or numbered is None:
        return empty, empty, empty
    size = max(int(rows.sids.size), 1)
    yc = _year_code(rows.year)

    def key(ind: Any, kind: Any, sc: Any, year: Any, month: Any, base: Any) -> IntArray:
        return _key((ind, _INDS), (kind, _KINDS), (sc, size), (year, _YEARS), (month, _MONTHS),
                    (base, 2))  # fmt: skip

    r = np.flatnonzero(chosen)
    table: list[_Finder] = []  # hashed when first needed (a country's schools never need it)

    def parents_of(
        children: IntArray, kind: Any, sc: IntArray, month: Any = None, base: Any = None
    ) -> IntArray:
        """The row of each child's total (same indicator and year), or −1."""
        month = rows.month[children] if month is None else month
        base = rows.base[children] if base is None else base
        if not table:
            table.append(
                _Finder(
                    key(rows.ind[r], rows.kind[r], rows.sid[r], yc[r], rows.month[r], rows.base[r])
                )
            )
        at = table[0].find(key(rows.ind[children], kind, sc, yc[children], month, base))
        return _through(r, at)

    pairs: list[tuple[IntArray, IntArray, int]] = []
    # A territory and its schools: each school row once per territory of its school, its
    # total found in a dense table of territory × indicator-period (a country's schools have
    # a few million such pairs: hashing each was a tenth of the request).
    schools = r[rows.kind[r] == SCHOOL]
    if schools.size and numbered.link_school.size:
        tsc = rows.renumber(numbered.link_territory)
        ssc = rows.renumber(numbered.link_school)
        ok = (tsc >= 0) & (ssc >= 0)
        li, ri = _pairs(rows.sid[schools], ssc[ok])
        c = schools[li]
        parents = _territory_parents(rows, r, yc, c, tsc[ok][ri], parents_of)
        pairs.append((parents, c, TERRITORY_SCHOOLS))
    # A school and its communities (a community's comparison group is suppressed beside
    # them: :func:`metrics.engine.compute.suppress_beside`).
    coms = r[rows.kind[r] == COMMUNITY]
    if coms.size and numbered.community.size:
        school_of = np.full(size, -1, dtype=np.int64)
        csc = rows.renumber(numbered.community)
        ssc = rows.renumber(numbered.community_school)
        ok = (csc >= 0) & (ssc >= 0)
        school_of[csc[ok]] = ssc[ok]
        c = coms[school_of[rows.sid[coms]] >= 0]
        p = parents_of(c, SCHOOL, school_of[rows.sid[c]])
        pairs.append((p, c, SCHOOL_COMMUNITIES))
    # A year and its months.
    months = r[(rows.month[r] > 0) & ~rows.base[r] & ~np.isnan(rows.year[r])]
    if months.size:
        p = parents_of(months, rows.kind[months], rows.sid[months], month=0, base=False)
        pairs.append((p, months, YEAR_MONTHS))
    if not pairs:
        return empty, empty, empty
    parent = np.concatenate([p for p, _, _ in pairs])
    child_rows = np.concatenate([c for _, c, _ in pairs])
    family = np.concatenate([np.full(c.size, k, dtype=np.int64) for _, c, k in pairs])
    found = parent >= 0
    return parent[found], child_rows[found], family[found]


def _territory_parents(
    rows: Assembled,
    r: IntArray,
    yc: IntArray,
    children: IntArray,
    territory: IntArray,
    parents_of: Any,
) -> IntArray:
    """For each school row in ``children``: the row of ``territory`` (its scope number) with
    the same indicator and period among ``r``, or −1 (see :func:`families`)."""
    period = _key((rows.ind[r], _INDS), (yc[r], _YEARS), (rows.month[r], _MONTHS),
                  (rows.base[r], 2))  # fmt: skip
    combo, _ = pd.factorize(period)
    combos = int(combo.max()) + 1 if combo.size else 1
    of_row = np.full(len(rows), -1, dtype=np.int64)
    of_row[r] = combo
    owners = r[rows.kind[r] == TERRITORY]
    terrs = np.unique(rows.sid[owners])
    if not terrs.size:
        return np.full(children.size, -1, dtype=np.int64)
    if combos * terrs.size > _DENSE_LIMIT:  # too wide for a dense table: hash
        return np.asarray(parents_of(children, TERRITORY, territory), dtype=np.int64)
    # Each territory's place among ``terrs`` by a table over the scope numbers (the children
    # are millions; a binary search of each was a tenth of a country's families).
    place = np.full(int(max(terrs[-1], territory.max(initial=-1))) + 2, -1, dtype=np.int64)
    place[terrs] = np.arange(terrs.size)
    table = np.full(combos * terrs.size + 1, -1, dtype=np.int64)  # [-1]: an unknown territory
    table[place[rows.sid[owners]] * combos + of_row[owners]] = owners
    at = place[territory]  # in place below: the children are millions
    unknown = at < 0
    at *= combos
    at += of_row[children]
    at[unknown] = -1
    return table[at]


def territory_sums(
    facts: Mapping[str, Any],
    stats: Sequence[str],
    link_school: IntArray,
    link_territory: IntArray,
    size: int,
    summed: Collection[str] | None = None,
) -> dict[str, Any]:
    """The facts of each territory as the sums of its schools' (``y0``: their minimum), a
    statistic missing (NaN) in every school staying missing: what SQL's ``sum`` of NULLs gives.
    Only the statistics in ``summed`` (all when None) are added up; the others are left
    missing (a request whose territories only bound suppression needs their counts alone).

    ``facts``: the schools' facts (ind, sc, year, month, base, mon and ``stats``, one
    element per fact); ``link_school``/``link_territory``: each link of a school to a
    territory, both as scope numbers below ``size``.

    Each (territory, indicator, period) is a slot of a dense table (territories × the facts'
    distinct indicator-periods) added up by counting: for a country, a third of what a
    grouping statement in DuckDB took. Wider than :data:`_DENSE_LIMIT`, the slots are
    found by sorting."""
    row, link = _pairs(np.asarray(facts["sc"], dtype=np.int64), link_school)
    terr = np.asarray(link_territory, dtype=np.int64)[link]
    ind = np.asarray(facts["ind"], dtype=np.int64)
    year = as_floats(facts["year"])
    month = np.asarray(facts["month"], dtype=np.int64)
    base = np.asarray(facts["base"], dtype=bool)
    # Each fact's indicator and period, numbered densely (``combo``), and each pair's territory
    # among the territories linked: a pair's slot in the dense table.
    period = _key((ind, _INDS * 2), (_year_code(year), _YEARS), (month, _MONTHS), (base, 2))
    combo, _ = pd.factorize(period)
    combos = int(combo.max()) + 1 if combo.size else 0
    territories, terr_code = np.unique(link_territory, return_inverse=True)
    if combos * territories.size <= _DENSE_LIMIT:
        slot = terr_code.reshape(-1)[link] * combos + combo[row]
        present = np.bincount(slot, minlength=combos * territories.size) > 0
        group = (np.cumsum(present) - 1)[slot]
        groups = int(present.sum())
    else:  # too wide for a dense table: sort the pairs' keys
        _, inverse = np.unique(terr * max(combos, 1) + combo[row], return_inverse=True)
        group = inverse.reshape(-1)
        groups = int(group.max()) + 1 if group.size else 0
    lead = np.full(groups, -1, dtype=np.int64)  # each group's first pair
    lead[group[::-1]] = np.arange(group.size - 1, -1, -1, dtype=np.int64)
    fact = row[lead]
    out: dict[str, Any] = {
        "ind": ind[fact],
        "kind": np.full(groups, TERRITORY, dtype=np.int64),
        "sc": terr[lead],
        "year": year[fact],
        "month": month[fact],
        "base": base[fact],
        "mon": np.zeros(groups, dtype=bool),
    }
    for s in stats:
        if summed is not None and s not in summed:
            out[s] = np.full(groups, np.nan)
            continue
        of_fact = as_floats(facts[s])
        missing = np.isnan(of_fact)
        if missing.all():  # a statistic no source of the request has
            out[s] = np.full(groups, np.nan)
            continue
        v = of_fact[row]
        if s != "y0" and not missing.any():  # every pair counts, every group has one
            out[s] = np.bincount(group, weights=v, minlength=groups)
            continue
        known = np.flatnonzero(~np.isnan(v))  # many statistics are missing in most facts
        at = group[known]
        if s == "y0":
            low = np.full(groups, np.nan)
            np.fmin.at(low, at, v[known])
            out[s] = low
            continue
        total = np.bincount(at, weights=v[known], minlength=groups)
        seen = np.bincount(at, minlength=groups)
        out[s] = np.where(seen > 0, total, np.nan)
    return out


def school_of_communities(rows: Any) -> IntArray:
    """For each scope number of ``rows``: its community's school's scope number (−1: not a
    community, or its school not among the rows' scopes)."""
    sids = pd.Index(rows.sids, dtype=object)
    out = np.full(max(int(sids.size), 1), -1, dtype=np.int64)
    if not len(rows.communities):
        return out
    csc = np.asarray(sids.get_indexer(pd.Index(_ids(rows.communities["id"]), dtype=object)))
    ssc = np.asarray(sids.get_indexer(pd.Index(_ids(rows.communities["rbd"]), dtype=object)))
    ok = (csc >= 0) & (ssc >= 0)
    out[csc[ok]] = ssc[ok]
    return out


class RowIndex:
    """Finds rows by indicator, scope kind, scope id and period: another kind's row of the
    same scope and period (a community's comparison group, a school's total). Built once per
    evaluation (one hash table of the rows' keys, on the first lookup)."""

    def __init__(self, rows: Any) -> None:
        self._rows = rows
        self._size = max(int(rows.sids.size), 1)
        self._finder: _Finder | None = None

    def _built(self) -> _Finder:
        """Hash the keys on the first lookup: most requests (no community, no school without
        communities) look nothing up."""
        if self._finder is None:
            r = self._rows
            self._finder = _Finder(self._key(r.ind, r.kind, r.sid, r.year, r.month, r.base))
        return self._finder

    def _key(self, ind: Any, kind: Any, sid: Any, year: Any, month: Any, base: Any) -> IntArray:
        return _key((ind, _INDS), (kind, _KINDS), (sid, self._size), (_year_code(year), _YEARS),
                    (month, _MONTHS), (base, 2))  # fmt: skip

    def find(
        self,
        at: IntArray,
        *,
        kind: int | None = None,
        sid: IntArray | None = None,
    ) -> IntArray:
        """For each row in ``at``: the row of the same indicator and period, of ``kind`` and
        scope ``sid`` (default its own); −1 when none."""
        finder = self._built()
        r = self._rows
        kinds = r.kind[at] if kind is None else np.full(at.size, kind, dtype=np.int64)
        sids = r.sid[at] if sid is None else sid
        ok = sids >= 0
        want = self._key(r.ind[at], kinds, np.maximum(sids, 0), r.year[at],
                         r.month[at], r.base[at])  # fmt: skip
        return np.where(ok, finder.find(want), -1).astype(np.int64)


def without_communities(schools: pd.DataFrame, communities: pd.DataFrame) -> npt.NDArray[np.bool_]:
    """For each of ``schools`` (rbd): whether it has no community."""
    rbd = schools["rbd"].to_numpy(dtype=np.int64)
    having = communities["rbd"].to_numpy(dtype=np.int64) if len(communities) else rbd[:0]
    return ~np.isin(rbd, having)


def peer_territory(rows: Any) -> IntArray:
    """For each scope number of ``rows``: the territory (its scope number) whose schools
    without communities a school or a territory is compared with; −1: none.

    A school with communities is compared with the smallest of its territories (fewest visible
    schools; then by id) that holds a school without communities; a territory, with its own
    schools without communities, when it holds schools of both kinds."""
    sids = pd.Index(rows.sids, dtype=object)
    out = np.full(max(int(sids.size), 1), -1, dtype=np.int64)
    links = rows.links
    if not len(links):
        return out
    rbd = links["rbd"].to_numpy(dtype=np.int64)
    has = ~without_communities(pd.DataFrame({"rbd": rbd}), rows.communities)
    if has.all():  # every visible school has communities: no territory is mixed
        return out
    frame = pd.DataFrame({"rbd": rbd, "t": links["territory_id"].astype(str).to_numpy(),
                          "has": has})  # fmt: skip
    per = frame.groupby("t")["has"].agg(["size", "sum"])
    mixed = per[(per["sum"] > 0) & (per["sum"] < per["size"])]
    tsc = np.asarray(sids.get_indexer(pd.Index(mixed.index.to_numpy(), dtype=object)))
    out[tsc[tsc >= 0]] = tsc[tsc >= 0]
    chosen = frame[frame["has"] & frame["t"].isin(mixed.index)].copy()
    if chosen.empty:
        return out
    chosen["size"] = chosen["t"].map(per["size"])
    chosen = chosen.sort_values(["rbd", "size", "t"]).drop_duplicates("rbd")
    ssc = np.asarray(sids.get_indexer(pd.Index(_ids(chosen["rbd"]), dtype=object)))
    csc = np.asarray(sids.get_indexer(pd.Index(chosen["t"].to_numpy(), dtype=object)))
    ok = (ssc >= 0) & (csc >= 0)
    out[ssc[ok]] = csc[ok]
    return out


def previous_years(rows: Any) -> IntArray:
    """For each row: the same indicator's and scope's yearly row of the year before (−1: none
    or not a yearly row). The rows are in output order (indicator, kind, scope, year, month),
    so that row is the yearly row just before, when its year is one less: no sort."""
    out = np.full(rows.ind.size, -1, dtype=np.int64)
    yi = np.flatnonzero((rows.month == 0) & ~rows.base & ~np.isnan(rows.year))
    if yi.size < 2:
        return out
    a, b = yi[:-1], yi[1:]
    follows = (
        (rows.ind[a] == rows.ind[b])
        & (rows.kind[a] == rows.kind[b])
        & (rows.sid[a] == rows.sid[b])
        & (rows.year[a] + 1 == rows.year[b])
    )
    out[b[follows]] = a[follows]
    return out
