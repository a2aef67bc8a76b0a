"""The fact sources: one DuckDB query per source, each yielding the sufficient statistics
of the indicators that name it in the catalogue.

Per (indicator, scope kind, scope id, year, month) a source inserts into the temporary table
``_f`` the statistics a value and its interval come from — ``n`` trials or observations, ``k``
successes, ``s1`` Σx, ``s2`` Σx², ``rx`` Σ of a ratio's denominator, ``sxx``/``sxy`` for a ratio's
variance, ``n_priv`` the students a value rests on, ``y0`` the first year of a survey's baseline
wave. :data:`SOURCES` is the registry: each :class:`FactSource` names the tables it reads, the
measures it offers the catalogue, the keys indicators choose rows by, its breakdowns and the
sources it runs after. An indicator from an existing source is one catalogue entry
(:mod:`metrics.engine.catalog`); a new source is one function here and its registry entry.

Every table is read through :func:`scope_clause`; temporary tables live on one cursor, and
DuckDB keeps them per connection, so concurrent calls do not see each other's.

Students are matched across records and years by ``hash(student_id)`` (64 bits): grouping
integers is several times faster than grouping 16-character strings, and the chance of two of
the country's ~4.5 million pseudonyms colliding is about 1 in a million.

The method of every indicator is described in ``docs/indicadores.md``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import duckdb
import numpy as np
import numpy.typing as npt

from metrics.engine.catalog import CATALOG, MEASURE_FACTS, SCOPE_KINDS
from metrics.errors import StoreError
from metrics.scope import Scope
from metrics.store.core import scope_clause

IND_CODE: dict[str, int] = {code: i for i, code in enumerate(CATALOG.codes)}
"""Indicator code → its number in the facts (catalogue order)."""
KIND_CODE: dict[str, int] = {k: i for i, k in enumerate(SCOPE_KINDS)}
"""Scope kind → its number: 0 comunidad, 1 establecimiento, 2 territorio."""
COMPARISON_KIND = 3
"""The facts of a community's comparison group: the students of its school in the same grades,
in courses none of whose teachers is in a community that year. Keyed by the community's id;
never a row of the output (its values are carried by the community's rows)."""
MONTHLY_VARIANT = 100
"""Attendance facts from the monthly file are numbered indicator + 100 until resolved."""

PERCEPTION_DIMENSIONS: tuple[str, ...] = tuple(
    i.facts.where["dim"] for i in CATALOG if i.facts.source == "surveys"
)
"""The survey dimensions the catalogue reads (``colaboracion``, ``apoyo``…)."""
MIN_GROUP_SETTING = "min_group_size"
"""Key of the ``setting`` row that overrides the minimum group size."""

STATS = ("n", "k", "s1", "s2", "rx", "sxx", "sxy", "n_priv", "y0")
NAN = "CAST('NaN' AS DOUBLE)"


FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


# -- SQL builders --------------------------------------------------------------------------------
def _sums(stats: Sequence[str], agg: dict[str, str] | None = None, prefix: str = "") -> str:
    agg = agg or {}
    return ", ".join(f"{agg.get(s, 'sum')}({prefix}{s}) AS {s}" for s in stats)


def scoped(
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
                f"coalesce(CAST({exprs[s]} AS DOUBLE), {NAN}) AS {s}" if s in exprs else NAN
                for s in STATS
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
MAX_LISTED = 256
"""Up to this many visible communities are listed in a query's text (``IN (?, ?, …)``)."""


def _where(
    cur: duckdb.DuckDBPyConnection, scope: Scope, table: str, alias: str = "t"
) -> tuple[str, list[Any]]:
    """:func:`scope_clause`, but a table of community rows is filtered by the visible
    communities (``_com``, made by :func:`prepare`) listed in the query when they are few: the
    same rows, without a correlated lookup per row, and DuckDB can skip row groups."""
    if scope.is_all or table not in _BY_COMMUNITY:
        return scope_clause(scope, table, alias)
    row = cur.execute("SELECT list(id ORDER BY id) FROM _com").fetchone()
    ids: list[str] = list(row[0] or []) if row else []
    if not ids:
        return "false", []
    if len(ids) > MAX_LISTED:
        return f"{alias}.community_id IN (SELECT id FROM _com)", []
    return f"{alias}.community_id IN ({', '.join('?' * len(ids))})", ids


# -- the shared pieces ---------------------------------------------------------------------------
def prepare(cur: duckdb.DuckDBPyConnection, scope: Scope, *, courses: bool) -> None:
    """Schools with their baseline year, communities, territories' schools, the teachers a
    community stands for each year and (with ``courses``) the courses they teach; and the empty
    facts table ``_f``."""
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
    facts_table(cur)


def facts_table(cur: duckdb.DuckDBPyConnection) -> None:
    """``_f``, the empty facts table every source inserts into."""
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
    """``_cc``: the courses (school, cod_ense, grade, letter) each community's members teach;
    ``_cmp``: each community's comparison group, the courses of its school in the same
    (cod_ense, grade) that year none of whose teachers is in any community."""
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
    # A community stands for its first members in its school's baseline year (``_mem``), so
    # a course they taught then is the community's, never the comparison's, in every year.
    cur.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE _cmp AS
        WITH taught AS (
            SELECT DISTINCT CAST(ta.year AS INTEGER) AS year, ta.rbd, ta.cod_ense, ta.grade,
                   ascii(ta.letter) & 255 AS lc
            FROM teaching_assignment ta
            WHERE {tac} AND ta.rbd IN (SELECT DISTINCT rbd FROM _cc)
        ),
        grades AS (SELECT DISTINCT community_id, year, rbd, cod_ense, grade FROM _cc)
        SELECT g.community_id, t.year, t.rbd, t.cod_ense, t.grade, t.lc
        FROM grades g JOIN taught t
            ON t.year = g.year AND t.rbd = g.rbd AND t.cod_ense = g.cod_ense
           AND t.grade = g.grade
        ANTI JOIN _cc i
            ON i.year = t.year AND i.rbd = t.rbd AND i.cod_ense = t.cod_ense
           AND i.grade = t.grade AND i.lc = t.lc
        """,
        tap,
    )


def _comparison(stats: Sequence[str], by_course: Callable[[str], str]) -> str:
    """The wide SELECT (``kind 3``) of the comparison groups: ``by_course(table)`` is a
    source's community query reading its courses from ``table``."""
    return (
        f"SELECT {COMPARISON_KIND} AS kind, community_id AS sid, year, month, base, "
        f"{', '.join(stats)} FROM ({by_course('_cmp')}) "
        "WHERE community_id IN (SELECT id FROM _com)"
    )


def _has_comparison(cur: duckdb.DuckDBPyConnection) -> bool:
    """Whether ``_cmp`` (made with ``_cc`` by :func:`_courses`) holds a course."""
    row = cur.execute("SELECT EXISTS (SELECT 1 FROM _cmp)").fetchone()
    return bool(row and row[0])


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

    def community(courses: str) -> str:
        return (
            f"SELECT cc.community_id, x.year, NULL::INTEGER AS month, false AS base, {agg} "
            f"FROM ({records}) x JOIN {courses} cc ON cc.year = x.year AND cc.rbd = x.rbd "
            "AND cc.cod_ense = x.e AND cc.grade = x.g AND cc.lc = x.l GROUP BY ALL"
        )

    stats = (
        "n_pr", "k_p", "k_r", "n_pry", "k_y", "n_avg", "s_avg", "ss_avg",
        "n_att", "s_att", "ss_att", "k_chr", "n_rep", "k_rep",
    )  # fmt: skip
    wide = scoped(stats, kinds, school="SELECT * FROM _srs", community=community("_cc"))
    sql = _insert_facts(wide, "student_results", wanted)
    if sql:
        cur.execute(sql)
    if KIND_CODE["comunidad"] in kinds and _has_comparison(cur):
        sql = _insert_facts(_comparison(stats, community), "student_results", wanted)
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

    def community(courses: str) -> str:
        return (
            f"SELECT cc.community_id, _att.year, NULL::INTEGER AS month, false AS base, {agg} "
            f"FROM _att JOIN {courses} cc ON cc.year = _att.year AND cc.rbd = _att.c.rbd "
            "AND cc.cod_ense = _att.c.e AND cc.grade = _att.c.g AND cc.lc = _att.c.l "
            "GROUP BY ALL"
        )

    stats = ("n", "k", "sy", "sx", "syy", "sxx", "sxy")
    wide = scoped(stats, kinds, school=school, community=community("_cc"))
    sql = _insert_facts(wide, "monthly_attendance", wanted)
    if sql:
        cur.execute(sql)
    if KIND_CODE["comunidad"] in kinds and _has_comparison(cur):
        sql = _insert_facts(_comparison(stats, community), "monthly_attendance", wanted)
        if sql:
            cur.execute(sql)
    cur.execute("DROP TABLE _att")


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
    wide = scoped(("n", "k"), kinds, school=school, community=community)
    sql = _insert_facts(wide, "teacher_roster", wanted)
    if sql:
        cur.execute(sql)
    cur.execute("DROP TABLE _ty")


def schedule_sql(
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
    wide = scoped(
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
    wide, params = schedule_sql(cur, scope, kinds, cutoff, monthly)
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
    wide = scoped(stats, kinds, school=None, community=community, community_to_school=True)
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
    wide = scoped(
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


def survey_cells(
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


def survey_sql(kinds: frozenset[int], monthly: bool, by: str | None = None) -> str:
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
    return scoped(
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
    if not SOURCE_CODES["surveys"] & wanted:
        return
    # Without communities, grouping answers by community is wasted work (a third of it).
    survey_cells(cur, scope, communities=0 in kinds)
    wide = survey_sql(kinds, monthly)
    sql = _insert_facts(wide, "surveys", wanted)
    if sql:
        cur.execute(sql)
    cur.execute("DROP TABLE _sv")


# -- the source registry ---------------------------------------------------------------------
@dataclass(frozen=True)
class Request:
    """What a source's query is asked for: the temporary tables of :func:`prepare` are on
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
    build: Callable[[Request], None]
    keys: tuple[str, ...] = ()
    """Key columns an indicator can choose rows by (``where``)."""
    after: tuple[str, ...] = ()
    """Sources whose query must run first (they leave a table this one reads)."""
    cached: bool = True
    """False: computed per request (its value depends on the request's cut-off date)."""
    breakdowns: tuple[str, ...] = ()
    """The breakdowns its indicators can declare (:func:`load_breakdown_facts` computes them)."""
    comparison: bool = False
    """Whether it also yields each community's comparison group (:data:`COMPARISON_KIND`):
    the sources of students reached through the courses their teachers teach."""


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
            comparison=True,
        ),
        FactSource(
            name="monthly_attendance",
            label="asistencia mensual",
            tables=("student_attendance", "student_result", "teaching_assignment", *_MEMBERS),
            measures=("n", "k", "sy", "sx", "syy", "sxx", "sxy"),
            build=lambda r: _attendance(r.cur, r.scope, r.kinds, r.wanted, r.incremental),
            after=("student_results",),
            comparison=True,
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
SOURCE_CODES = _source_codes()
COMPARABLE: frozenset[str] = frozenset(
    i.code for i in CATALOG if SOURCES[i.facts.source].comparison
)
"""Indicators whose community rows carry a comparison group (students reached by course)."""
PER_REQUEST: frozenset[str] = frozenset(
    code for name, codes in SOURCE_CODES.items() if not SOURCES[name].cached for code in codes
)
"""Indicators computed per request, never cached (schedule compliance: it depends on the
cut-off date)."""
FALLBACK = [IND_CODE[i.code] for i in CATALOG if i.fallback is not None]
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
