"""Indicator SQL: every aggregation and join of the indicator engine, in DuckDB, scoped.

What this module computes, for the indicators, scope kinds and periods asked for:

1. **Facts** (temporary table ``_f``): per (indicator, scope kind, scope id, year, month) the
   sufficient statistics a value and its interval come from — ``n`` trials or observations,
   ``k`` successes, ``s1`` Σx, ``s2`` Σx², ``rx`` Σ of a ratio's denominator, ``sxx``/``sxy``
   for a ratio's variance, ``n_priv`` the students a value rests on, ``y0`` the first year of a
   survey's baseline wave. Those of communities and schools are computed once over the whole
   store (one pass per source table) and kept in the **facts cache** (``indicator_fact``,
   rebuilt by :func:`ensure_facts` when the data changed); a request reads the rows of the
   schools it may see, and adds up each territory from its visible schools. Schedule
   compliance depends on the cut-off date and is computed per request.
2. **Rows** (``_r``): every yearly (indicator, scope, year) a user can ask about — with data or
   not — plus the monthly rows and the perception baseline-wave rows, numbered in output order.
3. For each row, the row holding its **baseline**, the **target** that applies, and the
   **families** (total, part) in which a hidden value could be recovered by subtraction.

Nothing leaves here but numbers in NumPy arrays: values, statuses and suppression are computed
by :mod:`metrics.engine.indicators` with :mod:`metrics.engine.compute`. Every table is read through
:func:`scope_clause`; temporary tables live on one cursor, and DuckDB keeps them per
connection, so concurrent calls do not see each other's.

Students are matched across records and years by ``hash(student_id)`` (64 bits): grouping
integers is several times faster than grouping 16-character strings, and the chance of two of
the country's ~4.5 million pseudonyms colliding is about 1 in a million.
"""

from __future__ import annotations

import hashlib
import json
import time
import weakref
from collections.abc import Callable, Iterable, Sequence
from contextlib import suppress
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import numpy.typing as npt
import pandas as pd

from metrics.engine import rows as rows_
from metrics.engine.catalog import CATALOG, INDICATORS, MEASURE_FACTS, SCOPE_KINDS
from metrics.errors import StoreError
from metrics.formatting import format_number
from metrics.scope import Scope
from metrics.store.core import DATASET_LABELS, Store, batch_schools, scope_clause
from metrics.store.loads import scratch_cursor
from metrics.store.references import ENTITIES, REPLACED_PREFIX, orphans
from metrics.store.schema import DATA_TABLES, NO_FACT_BATCH_KINDS

IND_CODE: dict[str, int] = {code: i for i, code in enumerate(CATALOG.codes)}
"""Indicator code → its number in the facts (catalogue order)."""
KIND_CODE: dict[str, int] = {k: i for i, k in enumerate(SCOPE_KINDS)}
"""Scope kind → its number: 0 comunidad, 1 establecimiento, 2 territorio."""
MONTHLY_VARIANT = 100
"""Attendance facts from the monthly file are numbered indicator + 100 until resolved."""

PERCEPTION_DIMENSIONS: tuple[str, ...] = tuple(
    i.facts.where["dim"] for i in CATALOG if i.facts.source == "surveys"
)
"""The survey dimensions the catalogue reads (``colaboracion``, ``apoyo``…)."""
MIN_GROUP_SETTING = "min_group_size"
"""Key of the ``setting`` row that overrides the minimum group size."""

_STATS = ("n", "k", "s1", "s2", "rx", "sxx", "sxy", "n_priv", "y0")
_NAN = "CAST('NaN' AS DOUBLE)"


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


# -- SQL builders --------------------------------------------------------------------------------
def _sums(stats: Sequence[str], agg: dict[str, str] | None = None, prefix: str = "") -> str:
    agg = agg or {}
    return ", ".join(f"{agg.get(s, 'sum')}({prefix}{s}) AS {s}" for s in stats)


def _scoped(
    stats: Sequence[str],
    kinds: frozenset[int],
    *,
    school: str | None,
    community: str | None,
    community_to_school: bool = False,
    agg: dict[str, str] | None = None,
    keys: Sequence[str] = ("year", "month", "base"),
) -> str:
    """A wide SELECT of ``kind, sid, <keys>, <stats>`` for the scope kinds in ``kinds``.

    ``school`` yields ``rbd, <keys>, <stats>``; ``community`` yields ``community_id, <keys>,
    <stats>``. Territories add up their visible schools; with ``community_to_school`` schools
    add up their communities (``school`` is then unused).
    """
    k = ", ".join(keys)
    parts: list[str] = []
    use_comm = community is not None and (0 in kinds or community_to_school)
    if use_comm:
        parts.append(f"_c AS MATERIALIZED ({community})")
    if community_to_school:
        school = (
            f"SELECT c2.rbd, {', '.join('_c.' + x for x in keys)}, {_sums(stats, agg, '_c.')} "
            "FROM _c JOIN _com c2 ON c2.id = _c.community_id GROUP BY ALL"
        )
    assert school is not None
    parts.append(f"_s AS MATERIALIZED ({school})")
    cols = ", ".join(stats)
    selects = []
    if 0 in kinds and use_comm:
        # Rows naming a community the store does not hold (``_com`` has the known ones) are
        # skipped, and reported by :func:`_orphan_problems`.
        selects.append(
            f"SELECT 0 AS kind, community_id AS sid, {k}, {cols} FROM _c "
            "WHERE community_id IN (SELECT id FROM _com)"
        )
    if 1 in kinds:
        selects.append(f"SELECT 1 AS kind, CAST(rbd AS VARCHAR) AS sid, {k}, {cols} FROM _s")
    if 2 in kinds:
        selects.append(
            f"SELECT 2 AS kind, st.territory_id AS sid, {', '.join('_s.' + x for x in keys)}, "
            f"{_sums(stats, agg, '_s.')} FROM _s JOIN _st st ON st.rbd = _s.rbd GROUP BY ALL"
        )
    if not selects:
        selects.append(f"SELECT 1 AS kind, '' AS sid, {k}, {cols} FROM _s WHERE false")
    return "WITH " + ", ".join(parts) + "\n" + "\nUNION ALL ".join(selects)


def _sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _insert_facts(wide: str, source: str, wanted: set[str]) -> str:
    """INSERT the long facts of a source's wide SELECT: one UNION ALL branch per wanted
    indicator that names ``source`` in the catalogue (its ``facts``, or its ``fallback``,
    numbered +100 until :func:`_assemble` resolves it), its measures put in the facts'
    columns (missing: NaN) and its rows chosen by its ``where``."""
    branches = []
    for ind in CATALOG:
        if ind.code not in wanted:
            continue
        for facts, variant in ((ind.facts, 0), (ind.fallback, MONTHLY_VARIANT)):
            if facts is None or facts.source != source:
                continue
            exprs = {MEASURE_FACTS[role]: col for role, col in facts.measures.named().items()}
            cols = ", ".join(
                f"coalesce(CAST({exprs[s]} AS DOUBLE), {_NAN}) AS {s}" if s in exprs else _NAN
                for s in _STATS
            )
            where = " AND ".join(f"{k} = {_sql_text(v)}" for k, v in facts.where.items())
            branches.append(
                f"SELECT {IND_CODE[ind.code] + variant} AS ind, kind, sid, "
                f"CAST(year AS SMALLINT), CAST(coalesce(month, 0) AS TINYINT), base, false, "
                f"{cols} FROM w{' WHERE ' + where if where else ''}"
            )
    if not branches:
        return ""
    return f"INSERT INTO _f WITH w AS MATERIALIZED ({wide})\n" + "\nUNION ALL ".join(branches)


def _group(keys: str, monthly: bool, year: str = "year", month: str = "month") -> str:
    """GROUP BY for yearly (and monthly) rows; ``month`` is NULL on yearly rows."""
    if monthly:
        return f"GROUP BY GROUPING SETS (({keys}, {year}, base), ({keys}, {year}, {month}, base))"
    return f"GROUP BY {keys}, {year}, base"


def _month(monthly: bool, expr: str) -> str:
    return expr if monthly else "NULL::INTEGER"


# Tables that reach their school through their community.
_BY_COMMUNITY = frozenset({"community_member", "activity", "session_attendance"})
_MAX_LISTED = 256
"""Up to this many visible communities are listed in a query's text (``IN (?, ?, …)``)."""


def _where(
    cur: duckdb.DuckDBPyConnection, scope: Scope, table: str, alias: str = "t"
) -> tuple[str, list[Any]]:
    """:func:`scope_clause`, but a table of community rows is filtered by the visible
    communities (``_com``, made by :func:`_prepare`) listed in the query when they are few: the
    same rows, without a correlated lookup per row, and DuckDB can skip row groups."""
    if scope.is_all or table not in _BY_COMMUNITY:
        return scope_clause(scope, table, alias)
    row = cur.execute("SELECT list(id ORDER BY id) FROM _com").fetchone()
    ids: list[str] = list(row[0] or []) if row else []
    if not ids:
        return "false", []
    if len(ids) > _MAX_LISTED:
        return f"{alias}.community_id IN (SELECT id FROM _com)", []
    return f"{alias}.community_id IN ({', '.join('?' * len(ids))})", ids


# -- the shared pieces ---------------------------------------------------------------------------
def _prepare(
    cur: duckdb.DuckDBPyConnection, scope: Scope, *, courses: bool, cached: bool = False
) -> None:
    """Schools with their baseline year, communities, territories' schools, the teachers a
    community stands for each year and (with ``courses``) the courses they teach; and the empty
    facts table ``_f``. With ``cached``, only what reading the facts cache needs: the baseline
    years come from the cache, and members are not read."""
    sc, sp = scope_clause(scope, "school", "s")
    cc, cp = scope_clause(scope, "community", "c")
    stc, stp = scope_clause(scope, "school_territory", "t")
    cur.execute(
        f"CREATE OR REPLACE TEMP TABLE _com AS SELECT c.id, c.rbd FROM community c WHERE {cc}",
        cp,
    )
    cur.execute(
        "CREATE OR REPLACE TEMP TABLE _st AS SELECT t.rbd, t.territory_id "
        f"FROM school_territory t WHERE {stc}",
        stp,
    )
    if cached:
        cur.execute(
            "CREATE OR REPLACE TEMP TABLE _sch AS SELECT s.rbd, s.base_year "
            f"FROM indicator_fact_school s WHERE {sc}",
            sp,
        )
    else:
        mc, mp = _where(cur, scope, "community_member", "m")
        cur.execute(
            f"""
            CREATE OR REPLACE TEMP TABLE _mreal AS
            SELECT m.community_id, c.rbd, CAST(m.year AS INTEGER) AS year, m.teacher_id
            FROM community_member m JOIN _com c ON c.id = m.community_id
            WHERE {mc}
            """,
            mp,
        )
        cur.execute(
            f"""
            CREATE OR REPLACE TEMP TABLE _sch AS
            WITH first_year AS (
                SELECT c.rbd, min(coalesce(year(c.start_date), f.y)) AS y
                FROM community c
                LEFT JOIN (SELECT community_id, min(year) AS y FROM _mreal GROUP BY 1) f
                    ON f.community_id = c.id
                WHERE {cc}
                GROUP BY c.rbd
            )
            SELECT s.rbd, CAST(coalesce(s.baseline_year, f.y - 1) AS INTEGER) AS base_year
            FROM school s LEFT JOIN first_year f ON f.rbd = s.rbd
            WHERE {sc}
            """,
            cp + sp,
        )
        _members(cur)
        if courses:
            _courses(cur, scope)
    cur.execute(
        """
        CREATE OR REPLACE TEMP TABLE _f (
            ind SMALLINT, kind TINYINT, sid VARCHAR, year SMALLINT, month TINYINT,
            base BOOLEAN, mon BOOLEAN, n DOUBLE, k DOUBLE, s1 DOUBLE, s2 DOUBLE, rx DOUBLE,
            sxx DOUBLE, sxy DOUBLE, n_priv DOUBLE, y0 DOUBLE)
        """
    )


def _members(cur: duckdb.DuckDBPyConnection) -> None:
    """``_mem``: the teachers a community stands for each year. In its school's baseline year,
    before it existed, it stands for its first year's members: "the same teachers, before the
    model"."""
    cur.execute(
        """
        CREATE OR REPLACE TEMP TABLE _mem AS
        WITH first AS (SELECT community_id, min(year) AS y FROM _mreal GROUP BY 1)
        SELECT community_id, rbd, year, teacher_id FROM _mreal
        UNION ALL
        SELECT r.community_id, r.rbd, s.base_year, r.teacher_id
        FROM _mreal r
        JOIN first f ON f.community_id = r.community_id AND r.year = f.y
        JOIN _sch s ON s.rbd = r.rbd
        WHERE s.base_year < f.y
        """
    )


def _courses(cur: duckdb.DuckDBPyConnection, scope: Scope) -> None:
    """``_cc``: the courses (school, cod_ense, grade, letter) each community's members teach."""
    tac, tap = scope_clause(scope, "teaching_assignment", "ta")
    cur.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE _cc AS
        SELECT DISTINCT m.community_id, m.year, ta.rbd, ta.cod_ense, ta.grade,
               ascii(ta.letter) & 255 AS lc
        FROM _mem m JOIN teaching_assignment ta
            ON ta.teacher_id = m.teacher_id AND ta.year = m.year AND ta.rbd = m.rbd
        WHERE {tac}
        """,
        tap,
    )


# -- one query per source --------------------------------------------------------------------
# A student's final record of a year, packed into one BIGINT so that the per-student grouping
# is a plain integer min() (several times faster than min_by over structs). From the high
# bits: withdrawn (so that a completed year wins), RBD, cod_ense, grade, first letter of the
# course, situation, final average × 10 + 1 and attendance × 10 + 1 (0 = missing).
_PACK = """(
    ((t.final_situation = 'Y')::BIGINT << 62) + (t.rbd::BIGINT << 41)
    + (t.cod_ense::BIGINT << 31) + ((t.grade::BIGINT & 15) << 27)
    + ((ascii(t.letter)::BIGINT & 255) << 19)
    + ((CASE t.final_situation WHEN 'P' THEN 1 WHEN 'R' THEN 2 ELSE 3 END)::BIGINT << 17)
    + (coalesce(CAST(round(t.final_average * 10) AS BIGINT) + 1, 0) << 10)
    + coalesce(CAST(round(t.attendance_pct * 10) AS BIGINT) + 1, 0)
)"""


def _unpack(r: str, prev: str) -> str:
    """Columns of a packed record ``r``, and whether the student has a record the year before
    (``prev``) in the same cod_ense and grade (repetition)."""
    return f"""
        ({r} >> 41) & 2097151 AS rbd, ({r} >> 31) & 1023 AS e, ({r} >> 27) & 15 AS g,
        ({r} >> 19) & 255 AS l, ({r} >> 17) & 3 AS s,
        CASE WHEN ({r} >> 10) & 127 = 0 THEN NULL ELSE (({r} >> 10) & 127) - 1 END / 10.0 AS a,
        CASE WHEN {r} & 1023 = 0 THEN NULL ELSE ({r} & 1023) - 1 END / 10.0 AS p,
        {prev} IS NOT NULL AS hp,
        coalesce(({prev} >> 27) & 16383 = ({r} >> 27) & 16383, false) AS rep
    """


def _results(
    cur: duckdb.DuckDBPyConnection,
    scope: Scope,
    kinds: frozenset[int],
    wanted: set[str],
    incremental: bool = False,
) -> None:
    """Student results: each student's final record per year, and the year before's.

    One pass over the table grouped by student: for each year the final record (a transfer
    'T' never counts; of several others a completed year (P/R) wins over a withdrawal, then
    the lowest school and course). Leaves ``_cov``, the school-years with annual attendance.

    ``incremental`` (see :func:`_build_facts`): every record of the students with a record at a
    school of ``_sch`` (``_isr``), and only the schools of ``_sch`` kept; the other schools'
    annual attendance comes from the facts cache.
    """
    table = "_isr" if incremental else "student_result"
    params: list[Any] = []
    if incremental:
        cond = "true"
    else:
        cond, params = scope_clause(scope, "student_result", "t")
    cur.execute("CREATE OR REPLACE TEMP TABLE _cov (year INTEGER, rbd INTEGER)")
    info = cur.execute(
        "SELECT list(DISTINCT CAST(t.year AS INTEGER) ORDER BY CAST(t.year AS INTEGER)), "
        "max(t.rbd), min(t.rbd), max(t.cod_ense), min(t.cod_ense) "
        f"FROM {table} t WHERE {cond}",
        params,
    ).fetchone()
    years: list[int] = list(info[0] or []) if info else []
    if not years:
        return
    assert info is not None
    if info[1] >= 2**21 or info[2] < 0 or info[3] >= 1024 or info[4] < 0:
        raise StoreError(
            "Hay resultados de estudiantes con un RBD o un código de enseñanza fuera de rango "
            "(RBD hasta 2.097.151, código de enseñanza hasta 1023); revise el archivo cargado."
        )
    per_year = ", ".join(f"min({_PACK}) FILTER (WHERE t.year = {y}) AS r{y}" for y in years)
    cur.execute(
        f"CREATE OR REPLACE TEMP TABLE _stu AS SELECT {per_year} FROM {table} t "
        f"WHERE {cond} AND t.final_situation <> 'T' GROUP BY hash(t.student_id)",
        params,
    )
    records = "\nUNION ALL ".join(
        f"SELECT {y} AS year, {_unpack(f'r{y}', f'r{y - 1}' if y - 1 in years else 'NULL::BIGINT')}"
        f" FROM _stu WHERE r{y} IS NOT NULL"
        for y in years
    )
    agg = """
        count(*) FILTER (WHERE s <= 2) AS n_pr,
        count(*) FILTER (WHERE s = 1) AS k_p,
        count(*) FILTER (WHERE s = 2) AS k_r,
        count(*) AS n_pry,
        count(*) FILTER (WHERE s = 3) AS k_y,
        count(*) FILTER (WHERE s <= 2 AND a > 0) AS n_avg,
        sum(a) FILTER (WHERE s <= 2 AND a > 0) AS s_avg,
        sum(a * a) FILTER (WHERE s <= 2 AND a > 0) AS ss_avg,
        count(p) FILTER (WHERE s <= 2) AS n_att,
        sum(p) FILTER (WHERE s <= 2) AS s_att,
        sum(p * p) FILTER (WHERE s <= 2) AS ss_att,
        count(*) FILTER (WHERE s <= 2 AND p < 90) AS k_chr,
        count(*) FILTER (WHERE hp) AS n_rep,
        count(*) FILTER (WHERE rep) AS k_rep
    """
    only = " WHERE rbd IN (SELECT rbd FROM _sch)" if incremental else ""
    cur.execute(
        "CREATE OR REPLACE TEMP TABLE _srs AS SELECT * FROM (SELECT rbd, year, "
        f"NULL::INTEGER AS month, false AS base, {agg} FROM ({records}) GROUP BY ALL){only}"
    )
    cur.execute("DROP TABLE IF EXISTS _cov")
    cur.execute("CREATE TEMP TABLE _cov AS SELECT year, rbd FROM _srs WHERE n_att > 0")
    if incremental:
        cur.execute(
            "INSERT INTO _cov SELECT DISTINCT CAST(f.year AS INTEGER), f.rbd "
            "FROM indicator_fact f WHERE f.indicator = ? AND f.kind = 1 AND f.month = 0 "
            "AND NOT f.base AND NOT f.monthly_source AND f.n > 0 "
            "AND f.rbd NOT IN (SELECT rbd FROM _sch)",
            [_COVERAGE],
        )
    community = (
        f"SELECT cc.community_id, x.year, NULL::INTEGER AS month, false AS base, {agg} "
        f"FROM ({records}) x JOIN _cc cc ON cc.year = x.year AND cc.rbd = x.rbd "
        "AND cc.cod_ense = x.e AND cc.grade = x.g AND cc.lc = x.l GROUP BY ALL"
    )
    stats = (
        "n_pr", "k_p", "k_r", "n_pry", "k_y", "n_avg", "s_avg", "ss_avg",
        "n_att", "s_att", "ss_att", "k_chr", "n_rep", "k_rep",
    )  # fmt: skip
    wide = _scoped(stats, kinds, school="SELECT * FROM _srs", community=community)
    sql = _insert_facts(wide, "student_results", wanted)
    if sql:
        cur.execute(sql)
    cur.execute("DROP TABLE _stu")
    cur.execute("DROP TABLE _srs")


def _attendance(
    cur: duckdb.DuckDBPyConnection,
    scope: Scope,
    kinds: frozenset[int],
    wanted: set[str],
    incremental: bool = False,
) -> None:
    """Monthly attendance, only for the school-years without annual attendance in results.

    ``incremental``: every month of the students with one at a school of ``_sch`` (``_isa``),
    only the schools of ``_sch`` kept (as :func:`_results`)."""
    table = "_isa" if incremental else "student_attendance"
    params: list[Any] = []
    if incremental:
        cond = "true"
    else:
        cond, params = scope_clause(scope, "student_attendance", "t")
    # School-years with monthly attendance but no annual attendance in the results file: the
    # only ones that need the (large) monthly file.
    cur.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE _need AS
        SELECT DISTINCT CAST(t.year AS INTEGER) AS year, t.rbd FROM {table} t
        WHERE {cond}
        EXCEPT SELECT year, rbd FROM _cov
        """,
        params,
    )
    need = cur.execute("SELECT count(*) FROM _need").fetchone()
    if not need or not need[0]:
        return
    # Each student counts once, at the school and course of their latest month.
    per_student = f"""
        SELECT CAST(t.year AS INTEGER) AS year,
               sum(t.days_attended)::DOUBLE AS a, sum(t.days_worked)::DOUBLE AS w,
               max_by(struct_pack(rbd := t.rbd, e := t.cod_ense, g := t.grade,
                                  l := ascii(t.letter) & 255),
                      struct_pack(m := t.month, r := -t.rbd)) AS c
        FROM {table} t SEMI JOIN _need n ON n.year = t.year AND n.rbd = t.rbd
        WHERE {cond}
        GROUP BY t.year, hash(t.student_id)
        HAVING sum(t.days_worked) > 0
    """
    cur.execute(f"CREATE OR REPLACE TEMP TABLE _att AS {per_student}", params)
    agg = """
        count(*) AS n, count(*) FILTER (WHERE a < 0.9 * w) AS k,
        sum(a) AS sy, sum(w) AS sx, sum(a * a) AS syy, sum(w * w) AS sxx, sum(a * w) AS sxy
    """
    only = " WHERE c.rbd IN (SELECT rbd FROM _sch)" if incremental else ""
    school = (
        f"SELECT c.rbd AS rbd, year, NULL::INTEGER AS month, false AS base, {agg} "
        f"FROM _att{only} GROUP BY ALL"
    )
    community = (
        f"SELECT cc.community_id, _att.year, NULL::INTEGER AS month, false AS base, {agg} "
        "FROM _att JOIN _cc cc ON cc.year = _att.year AND cc.rbd = _att.c.rbd "
        "AND cc.cod_ense = _att.c.e AND cc.grade = _att.c.g AND cc.lc = _att.c.l GROUP BY ALL"
    )
    wide = _scoped(
        ("n", "k", "sy", "sx", "syy", "sxx", "sxy"), kinds, school=school, community=community
    )
    sql = _insert_facts(wide, "monthly_attendance", wanted)  # fmt: skip
    if sql:
        cur.execute(sql)
    cur.execute("DROP TABLE _att")


_LEVELS = """
    SELECT DISTINCT community_id, year, rbd,
           CAST(grade AS VARCHAR) || CASE WHEN cod_ense < 300 THEN 'b' ELSE 'm' END AS gl
    FROM _cc WHERE cod_ense >= 100
"""
"""The grade levels (``4b``, ``2m``) each community's members teach each year."""


def _tests(
    cur: duckdb.DuckDBPyConnection, scope: Scope, kinds: frozenset[int], wanted: set[str]
) -> None:
    cond, params = scope_clause(scope, "standardized_test", "t")
    # One row per test and grade; n_priv ≈ its students (the most assessed in any subject).
    cur.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE _tst AS
        SELECT CAST(t.year AS INTEGER) AS year, t.rbd, t.test, lower(t.grade_level) AS gl,
               sum(t.students_assessed)::DOUBLE AS n, sum(t.mean_score * t.students_assessed) AS s1,
               max(t.students_assessed)::DOUBLE AS n_priv
        FROM standardized_test t
        WHERE {cond} AND t.mean_score IS NOT NULL AND t.students_assessed > 0
        GROUP BY ALL
        """,
        params,
    )
    agg = "sum(n) AS n, sum(s1) AS s1, sum(n_priv) AS n_priv"
    school = (
        f"SELECT rbd, year, NULL::INTEGER AS month, false AS base, {agg} FROM _tst GROUP BY ALL"
    )
    # A community sees its school's tests of the grade levels its members teach that year.
    community = (
        f"SELECT l.community_id, g.year, NULL::INTEGER AS month, false AS base, {agg} "
        f"FROM _tst g JOIN ({_LEVELS}) l ON l.rbd = g.rbd AND l.year = g.year AND l.gl = g.gl "
        "GROUP BY ALL"
    )
    wide = _scoped(("n", "s1", "n_priv"), kinds, school=school, community=community)
    sql = _insert_facts(wide, "standardized_tests", wanted)
    if sql:
        cur.execute(sql)
    cur.execute("DROP TABLE _tst")


def _roster(
    cur: duckdb.DuckDBPyConnection, scope: Scope, kinds: frozenset[int], wanted: set[str]
) -> None:
    cond, params = scope_clause(scope, "teacher_year", "t")
    cur.execute(
        "CREATE OR REPLACE TEMP TABLE _ty AS SELECT DISTINCT CAST(t.year AS INTEGER) AS year, "
        f"t.teacher_id, t.rbd FROM teacher_year t WHERE {cond}",
        params,
    )
    # Only years whose roster is loaded: otherwise everyone would seem to have left.
    school = """
        SELECT p.rbd, p.year + 1 AS year, NULL::INTEGER AS month, false AS base,
               count(*) AS n, count(c.teacher_id) AS k
        FROM _ty p
        JOIN (SELECT DISTINCT year, rbd FROM _ty) r ON r.rbd = p.rbd AND r.year = p.year + 1
        LEFT JOIN _ty c ON c.teacher_id = p.teacher_id AND c.rbd = p.rbd AND c.year = p.year + 1
        GROUP BY ALL
    """
    community = """
        SELECT m.community_id, m.year + 1 AS year, NULL::INTEGER AS month, false AS base,
               count(*) AS n, count(c.teacher_id) AS k
        FROM _mreal m
        JOIN (SELECT DISTINCT year, rbd FROM _ty) r ON r.rbd = m.rbd AND r.year = m.year + 1
        LEFT JOIN _ty c ON c.teacher_id = m.teacher_id AND c.rbd = m.rbd AND c.year = m.year + 1
        GROUP BY ALL
    """
    wide = _scoped(("n", "k"), kinds, school=school, community=community)
    sql = _insert_facts(wide, "teacher_roster", wanted)
    if sql:
        cur.execute(sql)
    cur.execute("DROP TABLE _ty")


def _schedule_sql(
    cur: duckdb.DuckDBPyConnection,
    scope: Scope,
    kinds: frozenset[int],
    cutoff: date,
    monthly: bool,
    by: str | None = None,
) -> tuple[str, list[Any]]:
    cond, params = _where(cur, scope, "activity", "t")
    extra = f", {by}" if by else ""
    community = f"""
        SELECT community_id{extra}, year, {_month(monthly, "month")} AS month, false AS base,
               count(*) AS n, count(*) FILTER (WHERE done) AS k
        FROM (
            SELECT t.community_id, coalesce(t.responsible, 'Sin responsable') AS responsable,
                   year(t.planned_date) AS year, month(t.planned_date) AS month,
                   t.status = 'realizada' AND (t.done_date IS NULL OR t.done_date <= ?) AS done
            FROM activity t WHERE {cond} AND t.planned_date <= ?
        )
        {_group("community_id" + extra, monthly)}
    """
    keys = ("year", "month", "base", by) if by else ("year", "month", "base")
    wide = _scoped(
        ("n", "k"), kinds, school=None, community=community, community_to_school=True, keys=keys
    )
    return wide, [cutoff, *params, cutoff]


def _schedule(
    cur: duckdb.DuckDBPyConnection,
    scope: Scope,
    kinds: frozenset[int],
    wanted: set[str],
    cutoff: date,
    monthly: bool,
) -> None:
    wide, params = _schedule_sql(cur, scope, kinds, cutoff, monthly)
    sql = _insert_facts(wide, "schedule", wanted)
    if sql:
        cur.execute(sql, params)


def _sessions(
    cur: duckdb.DuckDBPyConnection,
    scope: Scope,
    kinds: frozenset[int],
    wanted: set[str],
    monthly: bool,
) -> None:
    cond, params = _where(cur, scope, "session_attendance", "t")
    # First one row per session (community and date), then per community and period.
    community = f"""
        WITH s AS (
            SELECT t.community_id, t.session_date AS d, count(*) AS recs,
                   count(*) FILTER (WHERE t.attended) AS att,
                   sum(t.strategies_shared)::DOUBLE AS strat
            FROM session_attendance t WHERE {cond}
            GROUP BY ALL
        )
        SELECT community_id, year, {_month(monthly, "month")} AS month, false AS base,
               sum(recs) AS n_rec, sum(att) AS k_att,
               count(*) FILTER (WHERE att > 0) AS held,
               CASE WHEN count(*) FILTER (WHERE att > 0) = 0 THEN 1
                    ELSE greatest(1, date_diff('month', min(d) FILTER (WHERE att > 0),
                                                        max(d) FILTER (WHERE att > 0)))
               END AS months,
               sum(strat) FILTER (WHERE att > 0) AS strat,
               sum(strat * strat) FILTER (WHERE att > 0) AS strat_sq
        FROM (SELECT *, year(d) AS year, month(d) AS month FROM s)
        {_group("community_id", monthly)}
    """
    stats = ("n_rec", "k_att", "held", "months", "strat", "strat_sq")
    wide = _scoped(stats, kinds, school=None, community=community, community_to_school=True)
    sql = _insert_facts(wide, "sessions", wanted)
    if sql:
        cur.execute(sql, params)


def _observations(
    cur: duckdb.DuckDBPyConnection,
    scope: Scope,
    kinds: frozenset[int],
    wanted: set[str],
    monthly: bool,
) -> None:
    """Teacher evaluations: count, Σ and Σ² of the scores (1–4) per instrument; only the
    instruments some wanted indicator reads."""
    chosen = sorted(
        {
            facts.where["instrument"]
            for ind in CATALOG
            if ind.code in wanted
            for facts in (ind.facts, ind.fallback)
            if facts is not None and facts.source == "teacher_evaluations"
        }
    )
    if not chosen:
        return
    instruments = ", ".join(_sql_text(i) for i in chosen)
    cond, params = scope_clause(scope, "teacher_evaluation", "t")
    cur.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE _obs AS
        SELECT t.teacher_id, t.rbd, t.instrument, year(t.eval_date) AS year,
               month(t.eval_date) AS month, t.score::DOUBLE AS score
        FROM teacher_evaluation t WHERE {cond} AND t.instrument IN ({instruments})
        """,
        params,
    )
    agg = "count(*) AS n, sum(score) AS s1, sum(score * score) AS s2"
    school = (
        f"SELECT rbd, instrument, year, {_month(monthly, 'month')} AS month, false AS base, "
        f"{agg} FROM _obs {_group('rbd, instrument', monthly)}"
    )
    community = f"""
        SELECT m.community_id, o.instrument, o.year, {_month(monthly, "o.month")} AS month,
               false AS base, {agg}
        FROM _obs o JOIN _mem m
            ON m.teacher_id = o.teacher_id AND m.year = o.year AND m.rbd = o.rbd
        {_group("m.community_id, o.instrument", monthly, "o.year", "o.month")}
    """
    wide = _scoped(
        ("n", "s1", "s2"),
        kinds,
        school=school,
        community=community,
        keys=("instrument", "year", "month", "base"),
    )
    sql = _insert_facts(wide, "teacher_evaluations", wanted)
    if sql:
        cur.execute(sql)
    cur.execute("DROP TABLE _obs")


_ANSWER = "CAST(CASE WHEN t.reverse_coded THEN 6 - t.answer ELSE t.answer END AS DOUBLE)"
"""An answer from 1 to 5, higher is better (reverse-coded items turned around)."""


_WAVE_BASE = "lower(strip_accents(trim({w}))) IN ('linea base', 'linea de base')"
"""Whether a wave is the baseline wave."""


def _cell_columns(community: str, extra: str) -> str:
    """Keys and sums of a survey cell (school, community, item, wave and month of answer)."""
    return f"""
        t.rbd, {community} AS community_id, hash(t.dimension, t.item, t.wave) AS item {extra},
        year(t.response_date) AS ry, month(t.response_date) AS rm, count(*) AS n,
        count(*) FILTER (WHERE {_ANSWER} >= 4) AS k, sum({_ANSWER}) AS s1,
        sum({_ANSWER} * {_ANSWER}) AS s2,
        count(*) FILTER (WHERE t.respondent_kind = 'estudiante') AS st
    """


def _survey_cells(
    cur: duckdb.DuckDBPyConnection,
    scope: Scope,
    by: str | None = None,
    communities: bool = True,
) -> None:
    """``_sv``: answers summed per school, community, dimension, item, wave and month.

    The students behind a value are counted as the most student answers to any one item in
    any one wave (each student answers an item once per wave): exact when they answer the same
    items, an undercount otherwise — which only hides more.
    """
    cond, params = scope_clause(scope, "survey_response", "t")
    dims = ", ".join(f"'{d}'" for d in PERCEPTION_DIMENSIONS)
    extra = f", t.respondent_kind AS {by}" if by else ""
    # Group the raw columns first (17 million rows at national scale), by integers only: an
    # item is hash(dimension, item, wave), 64 bits (the few hundred items and waves of a store
    # colliding is about as likely as 1 in 10^14), and each cell keeps one of its rows. The
    # dimension and wave of each item are then read from those rows alone, and a wave's meaning
    # (baseline or a date) is worked out once per item, not once per answer.
    community = "t.community_id" if communities else "NULL::VARCHAR"
    if not scope.is_all:
        # A few schools' answers: carrying each item's dimension and wave along costs little,
        # and one statement is quicker than three.
        cur.execute(
            f"""
            CREATE OR REPLACE TEMP TABLE _sv AS
            WITH c AS (
                SELECT {_cell_columns(community, extra)},
                       any_value(t.dimension) AS dim, any_value(t.wave) AS wave
                FROM survey_response t
                WHERE {cond} AND t.answer BETWEEN 1 AND 5 AND t.dimension IN ({dims})
                GROUP BY ALL
            ),
            items AS (
                SELECT item, any_value(dim) AS dim,
                       {_WAVE_BASE.format(w="any_value(wave)")} AS base,
                       TRY_CAST(any_value(wave) AS DATE) AS d
                FROM c GROUP BY item
            )
            SELECT c.* EXCLUDE (ry, rm, dim, wave), i.dim, i.base,
                   coalesce(c.ry, year(i.d)) AS year, coalesce(c.rm, month(i.d)) AS month
            FROM c JOIN items i ON i.item = c.item
            """,
            params,
        )
        return
    # One transaction: row ids are only meaningful within one snapshot of the table.
    cur.execute("BEGIN TRANSACTION")
    try:
        _survey_cell_tables(cur, cond, params, community, dims, extra)
    except BaseException:
        cur.execute("ROLLBACK")
        raise
    cur.execute("COMMIT")


def _survey_cell_tables(
    cur: duckdb.DuckDBPyConnection,
    cond: str,
    params: list[Any],
    community: str,
    dims: str,
    extra: str,
) -> None:
    cur.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE _svc AS
        SELECT {_cell_columns(community, extra)}, min(t.rowid) AS row_id
        FROM survey_response t
        WHERE {cond} AND t.answer BETWEEN 1 AND 5 AND t.dimension IN ({dims})
        GROUP BY ALL
        """,
        params,
    )
    row = cur.execute(
        "SELECT list(r ORDER BY r) FROM (SELECT min(row_id) AS r FROM _svc GROUP BY item)"
    ).fetchone()
    rows = ", ".join(str(int(r)) for r in ((row[0] if row else None) or [])) or "NULL"
    cur.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE _sv AS
        WITH items AS (
            SELECT DISTINCT hash(t.dimension, t.item, t.wave) AS item, t.dimension AS dim,
                   {_WAVE_BASE.format(w="t.wave")} AS base,
                   TRY_CAST(t.wave AS DATE) AS d
            FROM survey_response t WHERE t.rowid IN ({rows})
        )
        SELECT c.* EXCLUDE (ry, rm, row_id), i.dim, i.base,
               coalesce(c.ry, year(i.d)) AS year, coalesce(c.rm, month(i.d)) AS month
        FROM _svc c JOIN items i ON i.item = c.item
        """
    )
    cur.execute("DROP TABLE _svc")


def _survey_sql(kinds: frozenset[int], monthly: bool, by: str | None = None) -> str:
    """Perception facts from ``_sv``: the baseline wave as its own row (no period), the other
    answers by year (and month) of answer."""
    extra = f", {by}" if by else ""
    # Per item and wave first (yearly and, if asked, monthly), so that the students of a wave
    # answered over several months count once in the year.
    agg = "sum(n) AS n, sum(k) AS k, sum(s1) AS s1, sum(s2) AS s2, max(st) AS n_priv, min(y0) AS y0"

    def cells(owner: str) -> str:
        keys = f"{owner}, dim{extra}, item, base, yy"  # an item is of one dimension and wave
        month = "mm" if monthly else "NULL::INTEGER"
        only_communities = "AND community_id IS NOT NULL" if owner != "rbd" else ""
        sets = f"({keys}), ({keys}, mm)" if monthly else f"({keys})"
        return f"""
            SELECT {owner}, dim{extra}, base, yy AS year, {month} AS month,
                   sum(n) AS n, sum(k) AS k, sum(s1) AS s1, sum(s2) AS s2, sum(st) AS st,
                   min(year) AS y0
            FROM (SELECT *, CASE WHEN base THEN NULL ELSE year END AS yy,
                            CASE WHEN base THEN NULL ELSE month END AS mm
                  FROM _sv WHERE (base OR year IS NOT NULL) {only_communities})
            GROUP BY GROUPING SETS ({sets})
            {"HAVING NOT (base AND GROUPING(mm) = 0)" if monthly else ""}
        """

    school = f"SELECT rbd, dim{extra}, year, month, base, {agg} FROM ({cells('rbd')}) GROUP BY ALL"
    community = f"""
        SELECT p.community_id, dim{extra}, year, month, base, {agg}
        FROM ({cells("rbd, community_id")}) p JOIN _com c ON c.id = p.community_id AND c.rbd = p.rbd
        GROUP BY ALL
    """
    keys: tuple[str, ...] = ("dim", "year", "month", "base") + ((by,) if by else ())
    # A territory's or school's students: the sum over its parts of each part's count.
    return _scoped(
        ("n", "k", "s1", "s2", "n_priv", "y0"),
        kinds,
        school=school,
        community=community,
        agg={"y0": "min"},
        keys=keys,
    )


def _surveys(
    cur: duckdb.DuckDBPyConnection,
    scope: Scope,
    kinds: frozenset[int],
    wanted: set[str],
    monthly: bool,
) -> None:
    if not _SOURCE_CODES["surveys"] & wanted:
        return
    # Without communities, grouping answers by community is wasted work (a third of it).
    _survey_cells(cur, scope, communities=0 in kinds)
    wide = _survey_sql(kinds, monthly)
    sql = _insert_facts(wide, "surveys", wanted)
    if sql:
        cur.execute(sql)
    cur.execute("DROP TABLE _sv")


# -- the source registry ---------------------------------------------------------------------
@dataclass(frozen=True)
class _Request:
    """What a source's query is asked for: the temporary tables of :func:`_prepare` are on
    ``cur``."""

    cur: duckdb.DuckDBPyConnection
    scope: Scope
    kinds: frozenset[int]
    wanted: set[str]
    monthly: bool
    cutoff: date | None = None
    incremental: bool = False
    """Recomputing the facts of a few schools (see :func:`_build_facts`)."""


@dataclass(frozen=True)
class FactSource:
    """One query of the engine: the measures it yields per (scope, year, month) and the tables
    it reads. Indicators name it and its measures in the catalogue
    (:class:`~metrics.engine.catalog.Facts`)."""

    name: str
    label: str
    """Spanish, for the notice shown when it fails: «No se pudieron calcular los indicadores de
    <label>…»."""
    tables: tuple[str, ...]
    """The store tables it reads (besides schools, communities and territories)."""
    measures: tuple[str, ...]
    """The columns of its wide SELECT that indicators can take as measures."""
    build: Callable[[_Request], None]
    keys: tuple[str, ...] = ()
    """Key columns an indicator can choose rows by (``where``)."""
    after: tuple[str, ...] = ()
    """Sources whose query must run first (they leave a table this one reads)."""
    cached: bool = True
    """False: computed per request (its value depends on the request's cut-off date)."""
    breakdowns: tuple[str, ...] = ()
    """The breakdowns its indicators can declare (:func:`load_breakdown_facts` computes them)."""


_MEMBERS = ("community_member",)
"""Communities stand for their members: every source that reaches communities reads these."""

SOURCES: dict[str, FactSource] = {
    s.name: s
    for s in (
        FactSource(
            name="student_results",
            label="resultados finales",
            tables=("student_result", "teaching_assignment", *_MEMBERS),
            measures=(
                "n_pr",
                "k_p",
                "k_r",
                "n_pry",
                "k_y",
                "n_avg",
                "s_avg",
                "ss_avg",
                "n_att",
                "s_att",
                "ss_att",
                "k_chr",
                "n_rep",
                "k_rep",
            ),
            build=lambda r: _results(r.cur, r.scope, r.kinds, r.wanted, r.incremental),
        ),
        FactSource(
            name="monthly_attendance",
            label="asistencia mensual",
            tables=("student_attendance", "student_result", "teaching_assignment", *_MEMBERS),
            measures=("n", "k", "sy", "sx", "syy", "sxx", "sxy"),
            build=lambda r: _attendance(r.cur, r.scope, r.kinds, r.wanted, r.incremental),
            after=("student_results",),
        ),
        FactSource(
            name="standardized_tests",
            label="pruebas estandarizadas",
            tables=("standardized_test", "teaching_assignment", *_MEMBERS),
            measures=("n", "s1", "n_priv"),
            breakdowns=("serie",),
            build=lambda r: _tests(r.cur, r.scope, r.kinds, r.wanted),
        ),
        FactSource(
            name="teacher_roster",
            label="dotación docente",
            tables=("teacher_year", *_MEMBERS),
            measures=("n", "k"),
            build=lambda r: _roster(r.cur, r.scope, r.kinds, r.wanted),
        ),
        FactSource(
            name="sessions",
            label="asistencia a sesiones",
            tables=("session_attendance",),
            measures=("n_rec", "k_att", "held", "months", "strat", "strat_sq"),
            build=lambda r: _sessions(r.cur, r.scope, r.kinds, r.wanted, r.monthly),
        ),
        FactSource(
            name="teacher_evaluations",
            label="evaluaciones docentes",
            tables=("teacher_evaluation", *_MEMBERS),
            measures=("n", "s1", "s2"),
            keys=("instrument",),
            build=lambda r: _observations(r.cur, r.scope, r.kinds, r.wanted, r.monthly),
        ),
        FactSource(
            name="surveys",
            label="encuestas",
            tables=("survey_response",),
            measures=("n", "k", "s1", "s2", "n_priv", "y0"),
            keys=("dim",),
            breakdowns=("tipo_encuestado",),
            build=lambda r: _surveys(r.cur, r.scope, r.kinds, r.wanted, r.monthly),
        ),
        FactSource(
            name="schedule",
            label="cronograma",
            tables=("activity",),
            measures=("n", "k"),
            cached=False,
            breakdowns=("responsable",),
            build=lambda r: _schedule(
                r.cur, r.scope, r.kinds, r.wanted, _required(r.cutoff), r.monthly
            ),
        ),
    )
}
"""Every fact source, in an order that runs each after those it depends on."""


def _required(cutoff: date | None) -> date:
    assert cutoff is not None, "the schedule needs a cut-off date"
    return cutoff


def _source_codes() -> dict[str, set[str]]:
    out: dict[str, set[str]] = {name: set() for name in SOURCES}
    for ind in CATALOG:
        for facts in (ind.facts, ind.fallback):
            if facts is not None:
                out.setdefault(facts.source, set()).add(ind.code)
    return out


def check_catalogue() -> list[str]:
    """What in the catalogue the registry cannot compute: unknown sources, measures or keys,
    and sources out of dependency order (English, for developers; empty when all is well)."""
    problems = []
    seen: set[str] = set()
    for name, each in SOURCES.items():
        problems += [f"{name} runs before {a}" for a in each.after if a not in seen]
        seen.add(name)
    for ind in CATALOG:
        for facts in (ind.facts, ind.fallback):
            if facts is None:
                continue
            src = SOURCES.get(facts.source)
            if src is None:
                problems.append(f"{ind.code}: unknown source {facts.source}")
                continue
            for role, col in facts.measures.named().items():
                if col not in src.measures:
                    problems.append(f"{ind.code}: {facts.source} has no measure {col} ({role})")
            for key in facts.where:
                if key not in src.keys:
                    problems.append(f"{ind.code}: {facts.source} has no key {key}")
            if facts.source == "teacher_evaluations" and "instrument" not in facts.where:
                problems.append(f"{ind.code}: an evaluation indicator names its instrument")
        src = SOURCES.get(ind.facts.source)
        if ind.breakdown and src is not None and ind.breakdown not in src.breakdowns:
            problems.append(f"{ind.code}: {ind.facts.source} has no breakdown {ind.breakdown}")
    return problems


_PROBLEMS = check_catalogue()
if _PROBLEMS:  # pragma: no cover - a developer's mistake, caught by the first import
    raise RuntimeError("catálogo de indicadores inválido: " + "; ".join(_PROBLEMS))
_SOURCE_CODES = _source_codes()
PER_REQUEST: frozenset[str] = frozenset(
    code for name, codes in _SOURCE_CODES.items() if not SOURCES[name].cached for code in codes
)
"""Indicators computed per request, never cached (schedule compliance: it depends on the
cut-off date)."""
_FALLBACK = [IND_CODE[i.code] for i in CATALOG if i.fallback is not None]
_COVERAGE = next(
    (
        i.code
        for i in CATALOG
        if i.facts.source == "student_results"
        and i.facts.measures.named().get("count") == "n_att"
        and i.fallback is not None
        and i.fallback.source == "monthly_attendance"
    ),
    "",
)
"""The indicator whose cached school facts tell the school-years with annual attendance (its
``n`` is the results' ``n_att``): what :func:`_attendance` needs of the schools it does not
recompute."""


# -- rows, baselines, targets, families ----------------------------------------------------------
def _fetch(
    cur: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None
) -> dict[str, Any]:
    return cur.execute(sql, params or []).fetchnumpy()


# -- the facts cache -----------------------------------------------------------------------------
# Facts of communities and schools do not depend on who asks: a student counts at the school of
# their final record whoever looks, so they are computed once over the whole store,
# kept in ``indicator_fact`` (schema v5) and read per request. Territories are added up from
# the schools a user sees, and schedule compliance (it depends on the cut-off date) is computed
# per request; both are cheap. The cache is rebuilt when the source tables change.
SCHEDULE = "cumplimiento_cronograma"
"""The one indicator not kept in the facts cache (its value depends on the cut-off date)."""

_CACHED_KINDS = frozenset({KIND_CODE["comunidad"], KIND_CODE["establecimiento"]})
_SMALL_TABLE = 20_000
"""Source tables up to this many rows enter the signature with their content, larger ones with
their row count (they change only through import batches, which the signature also covers)."""
_SIGNATURE_TABLES = tuple(t for t in DATA_TABLES if t not in {"teacher", "activity", "target"})
"""The tables the cached facts are computed from (schedule compliance, from ``activity``, is
computed per request; names and targets do not enter the facts)."""


def facts_signature(cur: duckdb.DuckDBPyConnection) -> str:
    """A digest of what the cached facts are computed from.

    Every import and undo is a batch (its id, and whether it is undone, change the digest),
    except the targets' (targets are read per request, not cached); besides, every source
    table's row count, and the content of the small ones (schools and their baseline years,
    communities, territories at any scale; everything in a small store), so that changes made
    outside a batch are seen too.
    """
    parts = _signature_parts(cur)
    content = list(parts["content"].values())
    text = f"v1;{engine_digest()};{parts['sizes']};{parts['batches']};{content or ''}"
    return hashlib.sha256(text.encode()).hexdigest()


def _signature_parts(cur: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """What :func:`facts_signature` digests: every source table's row count (``sizes``), the
    batches (count, highest id, undone) and the content of the small tables."""
    counts = ", ".join(f"(SELECT count(*) FROM {t})" for t in _SIGNATURE_TABLES)
    row = cur.execute(
        f"SELECT [{counts}], (SELECT [count(*), coalesce(max(id), 0), count(undone_at)] "
        "FROM import_batch WHERE NOT list_contains(?::VARCHAR[], kind))",
        [list(NO_FACT_BATCH_KINDS)],
    ).fetchone()
    assert row is not None
    sizes = dict(zip(_SIGNATURE_TABLES, row[0], strict=True))
    small = [t for t, n in sizes.items() if n <= _SMALL_TABLE]
    hashes = ", ".join(
        f"(SELECT coalesce(sum(hash(x)::HUGEINT), 0) FROM {t} x)::VARCHAR" for t in small
    )
    content = cur.execute(f"SELECT [{hashes}]").fetchone() if small else None
    return {
        "sizes": sizes,
        "batches": list(row[1]),
        "content": dict(zip(small, content[0] if content else [], strict=True)),
    }


ENGINE_VERSION = 2
"""Raise to rebuild every store's facts when the engine's meaning changes outside this file."""


@cache
def engine_digest() -> str:
    """A digest of what the facts are computed *with*: the catalogue's entries (in code order:
    the facts are keyed by code, so reordering the catalogue changes nothing) and the engine's
    source (this module's SQL). A new or changed indicator, or a changed query, rebuilds the
    facts of an existing store."""
    entries = sorted((i.model_dump(mode="json") for i in CATALOG), key=lambda e: str(e["code"]))
    digest = hashlib.sha256(json.dumps(entries, sort_keys=True, ensure_ascii=False).encode())
    digest.update(f";engine {ENGINE_VERSION};".encode())
    with suppress(OSError):  # a frozen build without sources: the version number alone
        digest.update(Path(__file__).read_bytes())
    return digest.hexdigest()


def _code_of(ind: str) -> str:
    """SQL: the code of the facts' indicator number ``ind`` (``+100``: monthly variant)."""
    whens = " ".join(f"WHEN {i} THEN '{c}'" for c, i in IND_CODE.items())
    return f"CASE {ind} % {MONTHLY_VARIANT} {whens} END"


def _build_facts(cur: duckdb.DuckDBPyConnection, schools: Sequence[int] | None = None) -> list[str]:
    """Compute the facts of every community and school into ``_f``: one query per cached
    source of :data:`SOURCES`; with ``schools``, only those of these schools (and their
    communities), as :func:`_touched_schools` found them (with the student rows it left).

    A source that fails leaves no facts of its own and is reported (Spanish, in the returned
    list): the other sources' indicators are still computed.
    """
    scope = Scope.all() if schools is None else Scope.schools(schools)
    incremental = schools is not None
    request = _Request(
        cur, scope, _CACHED_KINDS, set(CATALOG.codes) - PER_REQUEST, True, incremental=incremental
    )
    _prepare(cur, scope, courses=True)
    problems = []
    for source in SOURCES.values():
        if not source.cached or not _SOURCE_CODES[source.name]:
            continue
        row = cur.execute("SELECT count(*) FROM _f").fetchone()
        before = int(row[0]) if row else 0
        try:
            source.build(request)
        except duckdb.Error as exc:
            # _f only grows while it is built: its rows from this source are those after
            # ``before`` (rowid is the insertion order).
            cur.execute("DELETE FROM _f WHERE rowid >= ?", [before])
            problems.append(
                f"No se pudieron calcular los indicadores de {source.label} ({exc}); los demás "
                "indicadores se muestran."
            )
    return problems


def _orphan_problems(
    cur: duckdb.DuckDBPyConnection, batches: Sequence[int] | None = None
) -> list[str]:
    """Rows of the store that name what it does not hold, in Spanish (see
    :func:`metrics.store.references.orphans`); with ``batches``, only among their rows.

    Rows of earlier batches are looked at too when ``batches`` replaced rows of an entity's
    table (they may have taken away what earlier rows named)."""
    if batches:
        ids = ", ".join(map(str, batches))
        replaced = " UNION ALL ".join(
            f"SELECT 1 FROM {REPLACED_PREFIX}{t} WHERE replaced_by IN ({ids})"
            for t in sorted({e.table for e in ENTITIES.values()})
        )
        if cur.execute(f"SELECT EXISTS ({replaced})").fetchone() != (False,):
            batches = None
    out = []
    for o in orphans(cur, batches):
        entity = ENTITIES[o.entity]
        article, noun = entity.noun.split(" ", 1)
        some = {"el": "un", "la": "una"}.get(article, article)
        out.append(
            f"{format_number(o.rows)} fila(s) de {DATASET_LABELS.get(o.table, o.table)} "
            f"(columna {o.column}) nombran {some} {noun} que no está en la base de datos. "
            f"Cargue primero {entity.load_first}, o deshaga la carga que trajo esas filas."
        )
    return out


def read_problems(store: Store) -> list[str]:
    """What the last build of the facts could not compute or had to skip, in Spanish."""
    cur = store.cursor()
    try:
        row = cur.execute("SELECT problems FROM indicator_fact_state").fetchone()
    except duckdb.Error as exc:
        raise StoreError(f"No se pudieron leer los datos de los indicadores: {exc}") from exc
    finally:
        cur.close()
    return [str(p) for p in json.loads(row[0])] if row and row[0] else []


def _as_null(stat: str) -> str:
    return f"CASE WHEN isnan({stat}) THEN NULL ELSE {stat} END AS {stat}"


def _stored_signature(cur: duckdb.DuckDBPyConnection) -> str | None:
    row = cur.execute("SELECT signature FROM indicator_fact_state").fetchone()
    return str(row[0]) if row else None


_CHECKED: weakref.WeakKeyDictionary[Store, tuple[Any, ...]] = weakref.WeakKeyDictionary()
"""Per store, its file's stamp (:meth:`Store.file_stamp`) read just before a check found the
facts current: while the file has not changed since, they still are. The signature's queries
(a digest of the small tables) cost more than the rest of a small request."""


def _known_current(store: Store) -> tuple[bool, tuple[Any, ...] | None]:
    """Whether the facts were found current with the file as it is now, and the stamp read."""
    stamp = store.file_stamp()
    if stamp is None:
        return False, None
    stamp = (*stamp, engine_digest())  # the catalogue the check was made with
    return _CHECKED.get(store) == stamp, stamp


def _found_current(store: Store, stamp: tuple[Any, ...] | None) -> None:
    if stamp is not None:
        _CHECKED[store] = stamp


def facts_are_current(store: Store) -> bool:
    """Whether the facts cache matches the store's data (no rebuild is due)."""
    known, stamp = _known_current(store)
    if known:
        return True
    cur = store.cursor()
    try:
        current = _stored_signature(cur) == facts_signature(cur)
        if current:
            _found_current(store, stamp)
        return current
    except duckdb.Error as exc:
        raise StoreError(f"No se pudieron leer los datos de los indicadores: {exc}") from exc
    finally:
        cur.close()


def _batch_state(cur: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """The import batches the facts are built with (targets' batches aside), and the engine."""
    row = cur.execute(
        "SELECT count(*), coalesce(max(id), 0), count(undone_at), "
        "coalesce(list(id ORDER BY id) FILTER (WHERE undone_at IS NOT NULL), []) "
        "FROM import_batch WHERE NOT list_contains(?::VARCHAR[], kind)",
        [list(NO_FACT_BATCH_KINDS)],
    ).fetchone()
    assert row is not None
    return {
        "engine": engine_digest(),
        "count": row[0],
        "max": row[1],
        "undone": row[2],
        "undone_ids": [int(i) for i in row[3]],
        "parts": _signature_parts(cur),
    }


@dataclass(frozen=True)
class _Changes:
    """What happened since the facts were built: new batches, and batches undone."""

    new: list[int]
    undone: list[int]


def _new_batches(cur: duckdb.DuckDBPyConnection) -> _Changes | None:
    """The batches imported and those undone since the facts were built, when nothing else
    happened since (no failed source, the same engine, every undone batch's reach recorded;
    without batches, no change but to rows of schools, see :func:`_edited_schools`); None: the
    facts need a full rebuild."""
    row = cur.execute("SELECT batches, problems FROM indicator_fact_state").fetchone()
    if not row or not row[0] or row[1]:
        return None
    old = json.loads(row[0])
    now = _batch_state(cur)
    if old.get("engine") != now["engine"] or "undone_ids" not in old:
        return None
    later = cur.execute(
        "SELECT id, undone_at IS NULL FROM import_batch "
        "WHERE id > ? AND NOT list_contains(?::VARCHAR[], kind) ORDER BY id",
        [int(old.get("max", 0)), list(NO_FACT_BATCH_KINDS)],
    ).fetchall()
    if len(later) != now["count"] - int(old.get("count", -1)):
        return None
    new = [int(i) for i, live in later if live]
    undone = sorted(set(now["undone_ids"]) - set(old["undone_ids"]))
    if set(old["undone_ids"]) - set(now["undone_ids"]):
        return None  # an undo undone by hand: nothing recorded it
    if undone:
        recorded = cur.execute(
            "SELECT count(DISTINCT undone_batch) FROM undone_batch_reach "
            "WHERE undone_batch IN (SELECT UNNEST(?::INTEGER[]))",
            [undone],
        ).fetchone()
        if not recorded or recorded[0] != len(undone):
            return None  # undone by an earlier version, which kept no reach
    if not new and not undone:
        # Saved in the app, not imported (a school's baseline year): only the school table.
        before, after = old.get("parts"), now["parts"]
        if not before or before["sizes"] != after["sizes"]:
            return None
        for table in set(before["content"]) | set(after["content"]):
            if table != "school" and before["content"].get(table) != after["content"].get(table):
                return None
    return _Changes(new=new, undone=undone)


def _edited_schools(cur: duckdb.DuckDBPyConnection) -> set[int]:
    """Schools whose row changed since the facts were built (``indicator_fact_school`` keeps
    a hash of each), or that came or went."""
    rows = cur.execute(
        "SELECT coalesce(s.rbd, f.rbd) FROM (SELECT rbd, hash(x) AS h FROM school x) s "
        "FULL JOIN indicator_fact_school f ON f.rbd = s.rbd "
        "WHERE f.row_hash IS DISTINCT FROM s.h"
    ).fetchall()
    return {int(r[0]) for r in rows}


def _student_rows(cur: duckdb.DuckDBPyConnection, schools: Sequence[int]) -> None:
    """``_isr``/``_isa``: every result and month of attendance of the students with one at
    ``schools`` or in ``_ich`` (the students of new batches), wherever it is."""
    listed = ", ".join(map(str, schools)) or "NULL"
    for name, table in (("_isr", "student_result"), ("_isa", "student_attendance")):
        # The students first (a small table), then one pass over the large one.
        cur.execute(
            f"CREATE OR REPLACE TEMP TABLE _ih AS SELECT DISTINCT hash(student_id) AS h "
            f"FROM {table} WHERE rbd IN ({listed}) UNION SELECT h FROM _ich"
        )
        cur.execute(
            f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM {table} "
            "WHERE hash(student_id) IN (SELECT h FROM _ih)"
        )
    cur.execute("DROP TABLE _ih")


def _touched_schools(
    cur: duckdb.DuckDBPyConnection,
    batches: list[int],
    edited: Iterable[int] = (),
    undone: Sequence[int] = (),
) -> list[int]:
    """The schools whose facts ``batches`` may change: the schools of their rows (and of the
    rows they replaced); every school where a student of their student rows has a record
    (a student's final record and latest month are chosen among all of theirs); and every
    school where a student with monthly attendance at one of those has attendance (whether a
    school-year has annual attendance decides which months count).

    ``edited``: schools whose row changed outside a batch, recomputed too; ``undone``:
    batches undone since, whose schools and students were recorded when they were undone.

    Leaves ``_isr``/``_isa`` (:func:`_student_rows`) for those schools: the student rows an
    incremental :func:`_build_facts` reads."""
    found = {r for b in batches for r in batch_schools(cur, b)} | {int(r) for r in edited}
    gone = ", ".join(map(str, undone)) or "NULL"
    found |= {
        int(r[0])
        for r in cur.execute(
            f"SELECT DISTINCT rbd FROM undone_batch_reach WHERE undone_batch IN ({gone}) "
            "AND rbd IS NOT NULL"
        ).fetchall()
    }
    ids = ", ".join(map(str, batches)) or "NULL"
    students = " UNION ALL ".join(
        f"SELECT hash(student_id) AS h FROM {t} WHERE batch_id IN ({ids}) UNION ALL "
        f"SELECT hash(student_id) FROM replaced_{t} WHERE replaced_by IN ({ids})"
        for t in ("student_result", "student_attendance")
    )
    cur.execute(
        "CREATE OR REPLACE TEMP TABLE _ich AS SELECT DISTINCT h FROM ("
        f"{students} UNION ALL SELECT student_hash FROM undone_batch_reach "
        f"WHERE undone_batch IN ({gone}) AND student_hash IS NOT NULL)"
    )

    # Each step reads the schools it adds from the student rows of the schools found so far,
    # and reads those rows again only when it added some (usually it adds none).
    _student_rows(cur, sorted(found))
    rows = cur.execute(
        "SELECT DISTINCT rbd FROM (SELECT rbd, student_id FROM _isr UNION ALL "
        "SELECT rbd, student_id FROM _isa) WHERE hash(student_id) IN (SELECT h FROM _ich)"
    ).fetchall()
    grown = found | {int(r[0]) for r in rows}
    if grown != found:
        found = grown
        _student_rows(cur, sorted(found))
    listed = ", ".join(map(str, sorted(found))) or "NULL"
    rows = cur.execute(
        "SELECT DISTINCT rbd FROM _isa WHERE hash(student_id) IN ("
        f"SELECT hash(student_id) FROM _isa WHERE rbd IN ({listed}))"
    ).fetchall()
    grown = found | {int(r[0]) for r in rows}
    if grown != found:
        found = grown
        _student_rows(cur, sorted(found))
    return sorted(found)


def ensure_facts(store: Store, *, force: bool = False) -> float | None:
    """Bring the facts cache up to date if the source tables changed since it was built (or
    rebuild it with ``force``).

    After new import batches and undos (the same engine; an undo records the schools and
    students it reached), only the facts of the schools they touch are recomputed
    (:func:`_touched_schools`): the same facts a full rebuild gives.
    Anything else rebuilds every school's.

    Returns the seconds it took, or None when the cache was current. One rebuild at a time
    per store (``store.write_lock``); readers keep seeing the previous facts until the new
    ones are committed.
    """
    known, stamp = _known_current(store)
    if known and not force:
        return None
    cur = store.cursor()
    try:
        if not force and _stored_signature(cur) == facts_signature(cur):
            _found_current(store, stamp)
            return None
        with store.write_lock:
            signature = facts_signature(cur)
            if not force and _stored_signature(cur) == signature:
                return None  # another thread rebuilt it while this one waited
            start = time.perf_counter()
            cur.execute("SET SESSION preserve_insertion_order = false")
            changes = None if force else _new_batches(cur)
            batches = None if changes is None else changes.new
            schools = (
                None
                if changes is None
                else _touched_schools(cur, changes.new, _edited_schools(cur), changes.undone)
            )
            problems = _build_facts(cur, schools)
            if schools is not None and problems:
                schools = None  # a source failed on a few schools: rebuild them all
                problems = _build_facts(cur)
            # An undo can leave rows naming what it took away: look at all of them then.
            every = schools is None or (changes is not None and bool(changes.undone))
            problems += _orphan_problems(cur, None if every else batches)
            stats = ", ".join(_as_null(x) for x in _STATS)
            state = json.dumps(_batch_state(cur))
            cur.execute("BEGIN TRANSACTION")
            try:
                if schools is None:
                    cur.execute("DELETE FROM indicator_fact")
                    cur.execute("DELETE FROM indicator_fact_school")
                else:
                    for table in ("indicator_fact", "indicator_fact_school"):
                        cur.execute(f"DELETE FROM {table} WHERE rbd IN (SELECT rbd FROM _sch)")
                # Sorted by school: a request for a few schools reads a few row groups.
                cur.execute(
                    f"""
                    INSERT INTO indicator_fact
                    SELECT {_code_of("f.ind")}, f.ind >= {MONTHLY_VARIANT}, f.kind, f.sid,
                           CASE WHEN f.kind = 1 THEN CAST(f.sid AS INTEGER) ELSE c.rbd END AS rbd,
                           f.year, f.month, f.base, {stats}
                    FROM _f f LEFT JOIN _com c ON f.kind = 0 AND c.id = f.sid
                    -- rows naming a community or school the store does not hold are skipped
                    WHERE (f.kind = 0 AND c.rbd IS NOT NULL)
                       OR (f.kind = 1 AND TRY_CAST(f.sid AS INTEGER) IN (SELECT rbd FROM _sch))
                    ORDER BY rbd, f.kind, f.sid, f.ind
                    """
                )
                rows = cur.execute("SELECT count(*) FROM indicator_fact").fetchone()
                seconds = time.perf_counter() - start
                cur.execute(
                    "INSERT INTO indicator_fact_school SELECT s.rbd, s.base_year, hash(x) "
                    "FROM _sch s JOIN school x ON x.rbd = s.rbd"
                )
                cur.execute("DELETE FROM indicator_fact_state")
                cur.execute(
                    "INSERT INTO indicator_fact_state "
                    "(signature, seconds, row_count, problems, batches) VALUES (?, ?, ?, ?, ?)",
                    [
                        signature,
                        seconds,
                        rows[0] if rows else 0,
                        json.dumps(problems, ensure_ascii=False) if problems else None,
                        state,
                    ],
                )
                cur.execute("COMMIT")
            except BaseException:
                cur.execute("ROLLBACK")
                raise
            return seconds
    except duckdb.Error as exc:
        raise StoreError(f"No se pudieron preparar los datos de los indicadores: {exc}") from exc
    finally:
        cur.close()


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
        if len(rbds) <= _MAX_LISTED:
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
    nan = ", ".join(f"coalesce(f.{x}, {_NAN}) AS {x}" for x in _STATS)
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
            f"coalesce({'min' if x == 'y0' else 'sum'}(f.{x}), {_NAN}) AS {x}" for x in _STATS
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
        _prepare(cur, scope, courses=False, cached=True)
        request = _Request(cur, scope, kind_set, wanted, monthly, cutoff)
        for source in SOURCES.values():
            if not source.cached and _SOURCE_CODES[source.name] & wanted:
                source.build(request)
        sids = _number_scopes(cur)
        parts = _read_facts(cur, scope, kind_set, wanted - PER_REQUEST, monthly)
        stats = ", ".join(f"f.{x}" for x in _STATS)
        parts.append(
            _fetch(
                cur,
                "SELECT f.ind, f.kind, d.sc, f.year, f.month, f.base, f.mon, "
                f"{stats} FROM _f f JOIN _sid d ON d.sid = f.sid",
            )
        )
        inds = sorted(IND_CODE[c] for c in wanted)
        found = rows_.Facts.from_columns(parts, _STATS, sids)
        communities = cur.execute("SELECT id, rbd FROM _com").df()
        links = cur.execute("SELECT rbd, territory_id FROM _st").df()
        schools = cur.execute("SELECT rbd, base_year FROM _sch").df()
        rows = rows_.assemble(
            found,
            inds=inds,
            kinds=kind_set,
            variant=MONTHLY_VARIANT,
            fallback=_FALLBACK,
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


# -- breakdowns ------------------------------------------------------------------------------------
def _declared(breakdown: str, source: str) -> list[Any]:
    """The catalogue's indicators of ``source`` that declare ``breakdown``."""
    return [i for i in CATALOG if i.breakdown == breakdown and i.facts.source == source]


def _test_series(
    cur: duckdb.DuckDBPyConnection, scope: Scope, kinds: frozenset[int], codes: list[str]
) -> pd.DataFrame:
    """Test scores by series (test, grade level and subject) for the indicators ``codes``."""
    cond, tparams = scope_clause(scope, "standardized_test", "t")
    cur.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE _tst AS
        SELECT CAST(t.year AS INTEGER) AS year, t.rbd, lower(t.grade_level) AS gl,
               t.test || ' ' || t.grade_level || ' ' || t.subject AS serie,
               t.students_assessed::DOUBLE AS n, t.mean_score * t.students_assessed AS s1,
               t.students_assessed::DOUBLE AS n_priv
        FROM standardized_test t
        WHERE {cond} AND t.mean_score IS NOT NULL AND t.students_assessed > 0
        """,
        tparams,
    )
    agg = "sum(n) AS n, sum(s1) AS s1, sum(n_priv) AS n_priv"
    school = (
        f"SELECT rbd, year, NULL::INTEGER AS month, false AS base, serie, {agg} "
        "FROM _tst GROUP BY ALL"
    )
    community = (
        f"SELECT l.community_id, s.year, NULL::INTEGER AS month, false AS base, s.serie, "
        f"{agg} FROM _tst s JOIN ({_LEVELS}) l ON l.rbd = s.rbd AND l.year = s.year "
        "AND l.gl = s.gl GROUP BY ALL"
    )
    wide = _scoped(
        ("n", "s1", "n_priv"),
        kinds,
        school=school,
        community=community,
        keys=("year", "month", "base", "serie"),
    )
    return cur.execute(
        "SELECT c.code AS indicator, 'serie' AS breakdown, "
        "serie AS category, kind, sid, year, month, base, n, NULL AS k, s1, NULL AS s2, "
        f"n AS rx, n_priv FROM ({wide}) CROSS JOIN (SELECT UNNEST(?::VARCHAR[]) AS code) c",
        [codes],
    ).df()


def load_breakdown_facts(
    store: Store, scope: Scope, *, cutoff: date, monthly: bool = True
) -> pd.DataFrame:
    """Facts of the breakdowns the catalogue's indicators declare (``BREAKDOWN_COLUMNS``),
    every scope kind:

    - ``responsable``: schedule compliance by who is responsible;
    - ``tipo_encuestado``: a perception by respondent type (docente, estudiante, apoderado,
      directivo);
    - ``serie``: test scores by series (test, grade level and subject).
    """
    kinds = frozenset(KIND_CODE.values())
    names = {v: k for k, v in KIND_CODE.items()}
    acts = survey = tests = pd.DataFrame()
    cur = store.cursor()
    try:
        cur.execute("SET SESSION preserve_insertion_order = false")
        _prepare(cur, scope, courses=True)
        if code := _declared("responsable", "schedule"):
            wide, params = _schedule_sql(cur, scope, kinds, cutoff, monthly, by="responsable")
            acts = cur.execute(
                f"SELECT c.code AS indicator, 'responsable' AS breakdown, "
                "responsable AS category, kind, sid, year, month, base, n, k, "
                "NULL AS s1, NULL AS s2, NULL AS rx, 0 AS n_priv "
                f"FROM ({wide}) CROSS JOIN (SELECT UNNEST(?::VARCHAR[]) AS code) c",
                [*params, [i.code for i in code]],
            ).df()
        if code := _declared("tipo_encuestado", "surveys"):
            dims = ", ".join(f"('{i.facts.where['dim']}', '{i.code}')" for i in code)
            _survey_cells(cur, scope, by="tipo")
            survey = cur.execute(
                "SELECT c.code AS indicator, 'tipo_encuestado' AS breakdown, "
                "tipo AS category, kind, sid, year, month, base, n, k, s1, s2, NULL AS rx, "
                f"n_priv FROM ({_survey_sql(kinds, monthly, by='tipo')}) w "
                f"JOIN (VALUES {dims}) c(dim, code) ON c.dim = w.dim",
            ).df()
        if code := _declared("serie", "standardized_tests"):
            tests = _test_series(cur, scope, kinds, [i.code for i in code])
    except duckdb.Error as exc:
        raise StoreError(f"No se pudieron calcular los desgloses: {exc}") from exc
    finally:
        cur.close()
    frames = [f for f in (acts, survey, tests) if len(f)]
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
) -> tuple[IntArray, IntArray]:
    """(total, part) row-number pairs of the breakdowns' families, joined in DuckDB.

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
            SELECT m.rid AS p, c.rid AS c FROM main_rows m JOIN part_rows c
                ON c.indicator = m.indicator AND c.scope_kind = m.scope_kind
                AND c.scope_id = m.scope_id AND c.yk = m.yk AND c.month = m.month
                AND c.base = m.base
            UNION ALL
            -- Schools' parts with their territories (school_parts) first: joining the
            -- territories' parts to the links first leaves a join on few distinct keys, and
            -- is twenty times slower.
            SELECT p.rid, c.rid FROM part_rows p JOIN school_parts c
                ON p.scope_kind = 'territorio' AND c.territory_id = p.scope_id AND {same}
            UNION ALL
            SELECT p.rid, c.rid FROM part_rows p
                JOIN comm_rows cm ON p.scope_kind = 'establecimiento'
                    AND CAST(cm.rbd AS VARCHAR) = p.scope_id
                JOIN part_rows c ON c.scope_kind = 'comunidad' AND c.scope_id = cm.id AND {same}
            UNION ALL
            SELECT p.rid, c.rid FROM part_rows p JOIN part_rows c
                ON p.month = 0 AND c.month > 0 AND c.indicator = p.indicator
                AND c.category IS NOT DISTINCT FROM p.category AND c.scope_kind = p.scope_kind
                AND c.scope_id = p.scope_id AND c.yk = p.yk AND c.base = p.base
            """
        ).fetchnumpy()
    finally:
        con.close()
    return np.asarray(res["p"], dtype=np.int64), np.asarray(res["c"], dtype=np.int64)


_MIN_GROUP: weakref.WeakKeyDictionary[Store, tuple[tuple[Any, ...], int | None]] = (
    weakref.WeakKeyDictionary()
)


def read_min_group_size(store: Store) -> int | None:
    """The deployment's minimum group size (``setting`` row), or None when not set (read once
    per state of the file)."""
    stamp = store.file_stamp()
    memo = _MIN_GROUP.get(store)
    if stamp is not None and memo is not None and memo[0] == stamp:
        return memo[1]
    cur = store.cursor()
    try:
        row = cur.execute("SELECT value FROM setting WHERE key = ?", [MIN_GROUP_SETTING]).fetchone()
    except duckdb.Error as exc:
        raise StoreError(f"No se pudo leer la configuración: {exc}") from exc
    finally:
        cur.close()
    value: int | None = None
    if row is not None:
        with suppress(ValueError):
            value = int(str(row[0]).strip())
        if value is not None and value < 1:
            value = None
    if stamp is not None:
        _MIN_GROUP[store] = (stamp, value)
    return value
