"""A store the size of the country, generated in SQL, for benchmarks.

This module owns :func:`build_national`: ~11,000 schools, ~3.5 million student results a year
(2023, 2024, 2025), and every other table at the demo's proportions per school (teachers and
their yearly roster, teaching assignments, ~2.5 communities per school with members, schedule,
session attendance, surveys, class observations, SIMCE, targets). It is not a story: values are
plausible, not meaningful. Pages and indicators are measured on it.

How it is generated:

* Entirely inside DuckDB with ``range()`` and hash-based pseudo-random values such as
  ``(hash(key, 'tag', seed) % 1000000) / 1e6``, so the result depends on the seed and the scale
  only, never on the number of threads or the order rows are produced in.
* Students are keyed by (school, level, letter, cohort, seat, entry year): their 16-hex-character
  id is stable across years; promoted students move up a grade, *reprobados* repeat it,
  withdrawn students and some others leave, new first graders and a few arrivals enter, so
  ``tasa_repitencia`` is computable. There are no transfers (``T``).
* **Monthly attendance is generated for one year only, 2025** (~35 million rows at full scale;
  the three years would be ~100 million). Its monthly values follow each student's annual
  attendance but do not add up to it exactly.
* One import batch per table (kind ``demo``, ``file_name`` ``nacional:<table>``; student results
  get one batch per year, as the Ministry publishes them), every row carries its ``batch_id``.
  Everything is written in one transaction: the store gets all of it or nothing.
* While it runs it sets ``preserve_insertion_order = false`` and a memory limit
  (:data:`MEMORY_LIMIT`; DuckDB spills to disk beyond it), and resets both at the end.

It must not be used on a store with data: it refuses, like the demo. It draws names, community
kinds, topics, subjects and survey items (their short wording) from :mod:`tablero_demo.words`.
Unlike the product's modules it writes SQL against DuckDB directly: it is not part of the
product, and the import-linter contract that keeps DuckDB in ``metrics.store`` covers
``metrics`` only.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import duckdb

from metrics.errors import StoreError
from metrics.store.core import Store
from metrics.store.schema import DATA_TABLES
from metrics.store.users import DEMO_KIND
from tablero_demo.words import (
    COMMUNITY_KINDS,
    DAYS_WORKED,
    FIRST_NAMES,
    STUDENT_INSTRUMENT,
    STUDENT_ITEMS,
    SUBJECTS_BASIC,
    SURNAMES,
    TEACHER_INSTRUMENT,
    TEACHER_ITEMS,
    TOPICS,
)

SCHOOLS = 11_000
"""Schools at scale 1.0 (the country has ~11,000 schools with students in básica or media)."""
YEARS: tuple[int, ...] = (2023, 2024, 2025)
ATTENDANCE_YEAR = 2025
"""The only year with monthly student attendance."""
REFERENCE_DATE = "2026-11-15"
"""Activities planned after this date are 'planificada' (fixed, never today)."""
MEMORY_LIMIT = "2GB"
"""DuckDB's memory limit while generating (it spills to disk beyond it)."""

_INDICATORS = (
    ("cumplimiento_cronograma", 85.0),
    ("percepcion_colaboracion", 75.0),
    ("percepcion_apoyo", 70.0),
    ("percepcion_satisfaccion", 70.0),
    ("percepcion_aprendizaje", 70.0),
    ("frecuencia_reuniones", 2.0),
    ("participacion_activa", 85.0),
    ("intercambio_estrategias", 1.0),
    ("desempeno_docente", 3.0),
    ("promedio_notas", 5.6),
    ("tasa_aprobacion", 96.0),
    ("tasa_reprobacion", 3.0),
    ("tasa_retiro", 1.0),
    ("tasa_repitencia", 3.0),
    ("asistencia_promedio", 92.0),
    ("inasistencia_cronica", 25.0),
    ("permanencia_docente", 90.0),
)
_SUBJECTS = SUBJECTS_BASIC[:3]
"""Lenguaje, matemática and ciencias: the subjects of the national store's assignments."""
_ITEMS = tuple(
    (kind, item.dimension, item.national_text, item.reverse_coded)
    for kind, items in (("docente", TEACHER_ITEMS), ("estudiante", STUDENT_ITEMS))
    for item in items
)
"""(respondent kind, dimension, item, reverse-coded) of both surveys."""
_WAVES = (("línea base", "2024-04-10"), ("intermedia", "2024-11-12"), ("final", "2025-11-11"))
_POSTS = "ceil({n} * 1.2)::INTEGER + 1"
"""Teaching posts of a school with ``n`` courses (SQL)."""
_TEMP_TABLES = (
    "nat_school",
    "nat_course",
    "nat_position",
    "nat_holder",
    "nat_community",
    "nat_item",
    "nat_student",
)


def build_national(
    store: Store,
    seed: int,
    progress: Callable[[str], None] | None = None,
    scale: float = 1.0,
) -> dict[str, int]:
    """Fill an empty store with a country-sized data set; return the rows written per table.

    Args:
        store: an empty store.
        seed: the same seed (and scale) gives the same store.
        progress: called with a Spanish line before each step ("Generando resultados 2024…").
        scale: fraction of the country (``0.001`` gives 11 schools, for tests).

    Example:
        >>> from metrics.store import open_store
        >>> build_national(open_store(":memory:"), 1, scale=0.001)["school"]
        11
    """
    if not 0 < scale <= 4:
        raise StoreError(f"La escala debe estar entre 0 y 4 (se recibió {scale}).")
    if _has_data(store):
        raise StoreError(
            "La base de datos ya contiene datos: la demostración nacional solo se crea en una "
            "base de datos vacía.",
            title="La base de datos no está vacía",
        )
    say = progress or (lambda _msg: None)
    gen = _Generator(int(seed), max(1, round(SCHOOLS * scale)))
    _apply_settings(store, True)
    try:
        with store.transaction() as cur:
            counts = gen.run(cur, say)
            # Scratch tables live in this transaction: a failure rolls them back with the rest.
            for name in _TEMP_TABLES:
                cur.execute(f"DROP TABLE IF EXISTS {name}")
    except duckdb.Error as exc:
        raise StoreError(f"No se pudo generar la base de datos nacional: {exc}") from exc
    finally:
        _apply_settings(store, False)
    say("Listo.")
    return {table: counts.get(table, 0) for table in DATA_TABLES}


def _has_data(store: Store) -> bool:
    cur = store.cursor()
    try:
        for table in DATA_TABLES:
            row = cur.execute(f"SELECT EXISTS (SELECT 1 FROM {table})").fetchone()
            if row and row[0]:
                return True
        return False
    finally:
        cur.close()


_SETTINGS = {"preserve_insertion_order": "false", "memory_limit": MEMORY_LIMIT}
"""DuckDB settings while generating; the Store never sets them, so RESET restores them."""


def _apply_settings(store: Store, apply: bool) -> None:
    """SET (or RESET) :data:`_SETTINGS` on the store's database."""
    cur = store.cursor()
    try:
        for name, value in _SETTINGS.items():  # names and values are this module's constants
            cur.execute(f"SET {name} = '{value}'" if apply else f"RESET {name}")
    finally:
        cur.close()


def _sql_list(values: tuple[str, ...]) -> str:
    return "[" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + "]"


class _Generator:
    """The SQL of the national store for one seed and number of schools."""

    def __init__(self, seed: int, schools: int) -> None:
        self.seed = seed
        self.schools = schools
        self.counts: dict[str, int] = {}

    # -- random values --------------------------------------------------------------------
    def u(self, *parts: str) -> str:
        """A uniform value in [0, 1) from a hash of ``parts`` and the seed."""
        return f"((hash({', '.join(parts)}, {self.seed}) % 1000000)::DOUBLE / 1000000.0)"

    def normal(self, *parts: str) -> str:
        """An approximately standard normal value (Irwin–Hall of four uniforms)."""
        terms = " + ".join(self.u(*parts, f"'n{i}'") for i in range(4))
        return f"(({terms}) - 2.0) * 1.7320508"

    def pick(self, values: tuple[str, ...], *parts: str) -> str:
        return (
            f"list_element({_sql_list(values)}, (hash({', '.join(parts)}, {self.seed}) % "
            f"{len(values)})::INTEGER + 1)"
        )

    def hexid(self, *parts: str) -> str:
        return f"lower(lpad(to_hex(hash({', '.join(parts)}, {self.seed})), 16, '0'))"

    # -- plumbing -------------------------------------------------------------------------
    def insert(
        self, cur: duckdb.DuckDBPyConnection, table: str, select: str, label: str = ""
    ) -> None:
        """Run ``INSERT INTO table BY NAME <select>`` under a new batch of its own."""
        name = f"nacional:{table}" + (f":{label}" if label else "")
        batch_id = Store.new_batch(
            cur,
            kind=DEMO_KIND,
            file_name=name,
            file_hash=hashlib.sha256(f"{self.seed}:{self.schools}:{name}".encode()).hexdigest(),
            actor=DEMO_KIND,
        )
        row = cur.execute(
            f"INSERT INTO {table} BY NAME SELECT *, {batch_id} AS batch_id FROM ({select})"
        ).fetchone()
        n = int(row[0]) if row else 0
        cur.execute("UPDATE import_batch SET row_count = ? WHERE id = ?", [n, batch_id])
        self.counts[table] = self.counts.get(table, 0) + n

    def run(self, cur: duckdb.DuckDBPyConnection, say: Callable[[str], None]) -> dict[str, int]:
        say(f"Generando {self.schools:,} establecimientos y sus territorios…".replace(",", "."))
        self.territories_and_schools(cur)
        say("Generando docentes y dotación anual…")
        self.teachers(cur)
        say("Generando comunidades e integrantes…")
        self.communities(cur)
        self.students_view(cur)
        for year in YEARS:
            say(f"Generando resultados {year}…")
            self.student_results(cur, year)
        say(f"Generando asistencia mensual {ATTENDANCE_YEAR}…")
        self.monthly_attendance(cur)
        say("Generando cronograma y asistencia a sesiones…")
        self.schedule(cur)
        say("Generando encuestas…")
        self.surveys(cur)
        say("Generando observaciones de aula, SIMCE, metas y DIA…")
        self.evaluations_simce_targets(cur)
        return self.counts

    # -- territories, schools, courses ----------------------------------------------------
    def territories_and_schools(self, cur: duckdb.DuckDBPyConnection) -> None:
        u = self.u
        cur.execute(f"""
            CREATE TEMP TABLE nat_school AS
            SELECT i, i + 1 AS rbd,
                   (i % 346) AS comuna_idx,
                   CASE WHEN {u("i", "'lvl'")} < 0.65 THEN 0
                        WHEN {u("i", "'lvl'")} < 0.85 THEN 1 ELSE 2 END AS levels,
                   1 + least(2, floor({u("i", "'let'")} * 1.8))::INTEGER AS letters,
                   16 + floor({u("i", "'size'")} * 25)::INTEGER AS size,
                   ({u("i", "'eff'")} - 0.5) * 0.6 AS effect,
                   ({u("i", "'trend'")} - 0.3) * 0.25 AS trend
            FROM range({self.schools}) r(i)""")
        # Region r (1-16), comuna code r*1000 + idx, 42 DEPROV and 70 SLEP.
        self.insert(
            cur,
            "territory",
            """
            SELECT DISTINCT 'comuna:' || ((comuna_idx % 16 + 1) * 1000 + comuna_idx) AS id,
                   'Comuna ' || (comuna_idx + 1) AS name, 'comuna' AS kind FROM nat_school
            UNION ALL SELECT DISTINCT 'deprov:' || (comuna_idx % 42 + 1),
                   'Deprov ' || (comuna_idx % 42 + 1), 'deprov' FROM nat_school
            UNION ALL SELECT DISTINCT 'slep:' || (comuna_idx % 70 + 1),
                   'SLEP ' || (comuna_idx % 70 + 1), 'slep' FROM nat_school""",
        )
        digit = (
            "(rbd % 10) * 2 + (rbd // 10 % 10) * 3 + (rbd // 100 % 10) * 4"
            " + (rbd // 1000 % 10) * 5 + (rbd // 10000 % 10) * 6 + (rbd // 100000 % 10) * 7"
        )
        self.insert(
            cur,
            "school",
            f"""
            SELECT rbd,
                   CASE 11 - ({digit}) % 11 WHEN 11 THEN '0' WHEN 10 THEN 'K'
                        ELSE (11 - ({digit}) % 11)::VARCHAR END AS check_digit,
                   CASE levels WHEN 1 THEN 'Liceo ' ELSE 'Escuela ' END
                       || {self.pick(SURNAMES, "rbd", "'name'")} || ' ' || rbd AS name,
                   (comuna_idx % 16 + 1) * 1000 + comuna_idx AS comuna_code,
                   'Comuna ' || (comuna_idx + 1) AS comuna,
                   comuna_idx % 16 + 1 AS region_code,
                   'Región ' || (comuna_idx % 16 + 1) AS region,
                   NULL::INTEGER AS baseline_year
            FROM nat_school""",
        )
        # school_territory travels in the schools' batch, as the Mineduc directory brings both.
        batch = cur.execute("SELECT max(id) FROM import_batch").fetchone()
        assert batch is not None
        row = cur.execute(f"""
            INSERT INTO school_territory BY NAME
            SELECT rbd, unnest([
                'comuna:' || ((comuna_idx % 16 + 1) * 1000 + comuna_idx),
                'deprov:' || (comuna_idx % 42 + 1),
                'slep:' || (comuna_idx % 70 + 1)]) AS territory_id, {int(batch[0])} AS batch_id
            FROM nat_school""").fetchone()
        n = int(row[0]) if row else 0
        cur.execute(
            "UPDATE import_batch SET row_count = row_count + ? WHERE id = ?", [n, int(batch[0])]
        )
        self.counts["school_territory"] = n
        cur.execute("""
            CREATE TEMP TABLE nat_course AS
            WITH lv AS (
                SELECT s.*, 110 AS cod_ense, 8 AS max_grade FROM nat_school s WHERE levels IN (0, 2)
                UNION ALL
                SELECT s.*, 310, 4 FROM nat_school s WHERE levels IN (1, 2)
            ), g AS (
                SELECT *, unnest(range(1, max_grade + 1)) AS grade FROM lv
            ), l AS (
                SELECT *, unnest(range(letters)) AS li FROM g
            )
            SELECT rbd, effect, trend, cod_ense, max_grade, grade, chr(65 + li::INTEGER) AS letter,
                   size,
                   row_number() OVER (PARTITION BY rbd ORDER BY cod_ense, grade, li) - 1 AS k,
                   count(*) OVER (PARTITION BY rbd) AS n_courses
            FROM l""")

    # -- teachers -------------------------------------------------------------------------
    def teachers(self, cur: duckdb.DuckDBPyConnection) -> None:
        u = self.u
        # Posts: ~1.2 per course; the holder changes with turnover (12 % a year).
        cur.execute(f"""
            CREATE TEMP TABLE nat_position AS
            SELECT rbd, n_courses, unnest(range({_POSTS.format(n="n_courses")})) AS pos
            FROM (SELECT DISTINCT rbd, n_courses FROM nat_course)""")
        cur.execute(f"""
            CREATE TEMP TABLE nat_holder AS
            WITH t AS (
                SELECT rbd, pos, n_courses,
                       {u("rbd", "pos", "'turn'", "2024")} < 0.12 AS t24,
                       {u("rbd", "pos", "'turn'", "2025")} < 0.12 AS t25
                FROM nat_position
            ), y AS (
                SELECT rbd, pos, n_courses, 2023 AS year, 2023 AS start FROM t
                UNION ALL SELECT rbd, pos, n_courses, 2024, CASE WHEN t24 THEN 2024 ELSE 2023 END
                FROM t
                UNION ALL SELECT rbd, pos, n_courses, 2025,
                       CASE WHEN t25 THEN 2025 WHEN t24 THEN 2024 ELSE 2023 END FROM t
            )
            SELECT *, {self.hexid("'teacher'", "rbd", "pos", "start")} AS teacher_id,
                   CASE WHEN start = 2023 AND {u("rbd", "pos", "start", "'nov'")} >= 0.13
                          OR start > 2023 AND {u("rbd", "pos", "start", "'nov'")} >= 0.55
                        THEN 3 + floor(30 * {u("rbd", "pos", "start", "'exp'")} ** 2)::INTEGER
                        ELSE floor(3 * {u("rbd", "pos", "start", "'exp'")})::INTEGER
                   END + (year - start) AS years_experience
            FROM y""")
        self.insert(
            cur,
            "teacher",
            f"""
            SELECT DISTINCT teacher_id AS id,
                   {self.pick(FIRST_NAMES, "teacher_id", "'f'")} || ' '
                   || {self.pick(SURNAMES, "teacher_id", "'l1'")} || ' '
                   || {self.pick(SURNAMES, "teacher_id", "'l2'")} AS name
            FROM nat_holder""",
        )
        self.insert(
            cur,
            "teacher_year",
            f"""
            SELECT year, teacher_id, rbd, years_experience,
                   CASE WHEN years_experience < 4 THEN 'inicial'
                        WHEN years_experience < 8 THEN 'temprano'
                        WHEN years_experience < 15 THEN 'avanzado'
                        WHEN years_experience < 25 AND {u("teacher_id", "'tr'")} < 0.6
                            THEN 'experto I'
                        WHEN years_experience < 25 THEN 'avanzado'
                        ELSE 'experto II' END AS tramo
            FROM nat_holder""",
        )
        subjects = _sql_list(_SUBJECTS)
        self.insert(
            cur,
            "teaching_assignment",
            f"""
            WITH c AS (
                SELECT *, unnest(range(3)) AS j FROM nat_course
            )
            SELECT h.year, h.teacher_id, c.rbd, c.cod_ense, c.grade, c.letter,
                   list_element({subjects}, (c.j + 1)::INTEGER) AS subject
            FROM c JOIN nat_holder h
              ON h.rbd = c.rbd
             AND h.pos = (c.k + c.j * c.n_courses) % ({_POSTS.format(n="c.n_courses")})""",
        )

    # -- communities ----------------------------------------------------------------------
    def communities(self, cur: duckdb.DuckDBPyConnection) -> None:
        u = self.u
        cur.execute(f"""
            CREATE TEMP TABLE nat_community AS
            SELECT rbd, j, 'com-' || rbd || '-' || (j + 1) AS id,
                   {u("rbd", "j", "'prof'")} AS quality, n_com
            FROM (SELECT rbd, 1 + floor({u("rbd", "'ncom'")} * 4)::INTEGER AS n_com
                  FROM nat_school),
                 LATERAL (SELECT unnest(range(n_com)) AS j)""")
        self.insert(
            cur,
            "community",
            f"""
            SELECT id, rbd,
                   'Comunidad ' || (j + 1) || ' del establecimiento ' || rbd AS name,
                   {self.pick(COMMUNITY_KINDS, "rbd", "j", "'kind'")} AS kind,
                   {self.pick(TOPICS, "rbd", "j", "'focus'")} AS focus,
                   DATE '2024-03-04' + floor(21 * {u("rbd", "j", "'start'")})::INTEGER
                       AS start_date
            FROM nat_community""",
        )
        # Members: posts p with p % n_com = j, at most seven a community; some leave in 2025.
        self.insert(
            cur,
            "community_member",
            f"""
            SELECT h.year, c.id AS community_id, h.teacher_id
            FROM nat_community c JOIN nat_holder h
              ON h.rbd = c.rbd AND h.pos % c.n_com = c.j AND h.pos < c.n_com * 7
            WHERE h.year IN (2024, 2025)
              AND (h.year = 2024
                   OR {u("c.id", "h.teacher_id", "'stay'")} < 0.7 + 0.3 * c.quality)""",
        )

    # -- students -------------------------------------------------------------------------
    def students_view(self, cur: duckdb.DuckDBPyConnection) -> None:
        """The universe of students, with their flags for every year (a temp table)."""
        u = self.u
        flags = []
        for y in YEARS:
            flags += [
                f"{u('uid', repr(f'r{y}'))} < 0.03 + 0.05 * (0.5 - effect) AS r{y}",
                f"{u('uid', repr(f'w{y}'))} < CASE cod_ense WHEN 310 THEN 0.03 ELSE 0.012 END"
                f" AS w{y}",
                f"{u('uid', repr(f'l{y}'))} < 0.03 AS l{y}",
            ]
        cur.execute(f"""
            CREATE TEMP TABLE nat_student AS
            WITH seats AS (
                SELECT rbd, effect, trend, cod_ense, max_grade, letter,
                       2023 - grade AS cohort, unnest(range(size)) AS seat, 2023 AS entry
                FROM nat_course
                UNION ALL
                SELECT rbd, effect, trend, cod_ense, max_grade, letter, y - 1,
                       unnest(range(size)), y
                FROM nat_course, (VALUES (2024), (2025)) v(y) WHERE grade = 1
                UNION ALL
                SELECT rbd, effect, trend, cod_ense, max_grade, letter, y - grade,
                       1000 + unnest(range(size // 16)), y
                FROM nat_course, (VALUES (2024), (2025)) v(y) WHERE grade > 1
            ), keyed AS (
                SELECT *, hash(rbd, cod_ense, letter, cohort, seat, entry, {self.seed}) AS uid
                FROM seats
            )
            SELECT rbd, effect, trend, cod_ense, max_grade, letter, cohort, entry,
                   {self.hexid("'student'", "uid")} AS student_id,
                   {self.normal("uid", "'ability'")} AS ability,
                   {self.normal("uid", "'att'")} AS att_z,
                   -ln(1 - {u("uid", "'tail'")}) AS att_tail,
                   {", ".join(flags)}
            FROM keyed""")

    def _grade_present(self, year: int) -> tuple[str, str]:
        """SQL for the student's grade in ``year`` and whether they are enrolled that year."""
        grade, present = "2023 - cohort", "entry = 2023"
        for y in YEARS[1 : year - YEARS[0] + 1]:
            p = y - 1
            nxt = f"({grade}) + 1 - r{p}::INTEGER"
            present = (
                f"(entry = {y} OR (entry < {y} AND ({present}) AND NOT w{p} AND NOT l{p}"
                f" AND {nxt} <= max_grade))"
            )
            grade = f"CASE WHEN entry = {y} THEN {y} - cohort ELSE {nxt} END"
        return grade, present

    def _attendance(self, year: int) -> str:
        """The student's attendance propensity in ``year`` (a fraction)."""
        return (
            f"least(0.995, greatest(0.35, 0.975 - CASE cod_ense WHEN 310 THEN 0.015 ELSE 0 "
            f"END + 0.01 * trend * ({year} - 2023) + 0.035 * att_z - 0.05 * att_tail + "
            f"0.015 * {self.normal('student_id', repr(f'y{year}'))}))"
        )

    def student_results(self, cur: duckdb.DuckDBPyConnection, year: int) -> None:
        grade, present = self._grade_present(year)
        avg = (
            f"least(7.0, greatest(4.0, 5.45 + effect + trend * ({year} - 2023) "
            f"+ 0.55 * ability + 0.2 * {self.normal('student_id', repr(f'g{year}'))}))"
        )
        self.insert(
            cur,
            "student_result",
            f"""
            SELECT {year} AS year, rbd, cod_ense, ({grade}) AS grade, letter, student_id,
                   round(CASE WHEN w{year} THEN 0.0
                              WHEN r{year} THEN 2.8 + 1.1 * {self.u("student_id", "'rg'")}
                              ELSE {avg} END, 1)::DECIMAL(2, 1) AS final_average,
                   CASE WHEN w{year} THEN 'Y' WHEN r{year} THEN 'R' ELSE 'P' END
                       AS final_situation,
                   round(100 * {self._attendance(year)}
                         * CASE WHEN w{year} THEN 0.8 ELSE 1 END, 1)::DECIMAL(4, 1)
                       AS attendance_pct
            FROM nat_student WHERE {present}""",
            label=str(year),
        )

    def monthly_attendance(self, cur: duckdb.DuckDBPyConnection) -> None:
        year = ATTENDANCE_YEAR
        grade, present = self._grade_present(year)
        worked = (
            "CASE month " + " ".join(f"WHEN {m} THEN {d}" for m, d in DAYS_WORKED.items()) + " END"
        )
        self.insert(
            cur,
            "student_attendance",
            f"""
            WITH s AS (
                SELECT rbd, cod_ense, ({grade}) AS grade, letter, student_id,
                       {self._attendance(year)} AS p,
                       unnest(range(3, 13)) AS month
                FROM nat_student WHERE {present}
            ), w AS (
                SELECT *, ({worked}) - (hash(rbd, month, {self.seed}) % 2)::INTEGER AS worked
                FROM s
            )
            SELECT {year} AS year, month, rbd, cod_ense, grade, letter, student_id,
                   least(worked, round(worked * least(1.0, greatest(0.0, p - 0.05
                         + 0.1 * {self.u("student_id", "month")}))))::TINYINT AS days_attended,
                   worked::TINYINT AS days_worked
            FROM w""",
            label=str(year),
        )

    # -- schedule and sessions ------------------------------------------------------------
    def schedule(self, cur: duckdb.DuckDBPyConnection) -> None:
        u = self.u
        kinds = _sql_list(
            (
                "reunión",
                "reunión",
                "observación de aula",
                "reunión",
                "retroalimentación",
                "reunión",
                "taller",
                "reunión",
                "curso",
                "otro",
            )
        )
        # Every 14 days from the start (January and February skipped) until December 2026.
        self.insert(
            cur,
            "activity",
            f"""
            WITH a AS (
                SELECT c.id AS community_id, c.quality, k,
                       c.rbd, (DATE '2024-03-04' + (14 * k + c.j)::INTEGER) AS planned_date
                FROM nat_community c, LATERAL (SELECT unnest(range(72)) AS k)
            ), b AS (
                SELECT *, {u("community_id", "k", "'done'")} AS ud,
                       {u("community_id", "k", "'how'")} AS uh
                FROM a WHERE month(planned_date) > 2 AND planned_date <= DATE '2026-12-18'
            )
            SELECT 'act-' || community_id || '-' || k AS id, community_id,
                   list_element({kinds}, (k % 10 + 1)::INTEGER) AS kind,
                   {self.pick(FIRST_NAMES, "community_id", "k % 2", "'rf'")} || ' '
                   || {self.pick(SURNAMES, "community_id", "k % 2", "'rl'")} AS responsible,
                   planned_date,
                   CASE WHEN planned_date <= DATE '{REFERENCE_DATE}'
                         AND ud < 0.5 + 0.45 * quality
                        THEN least(DATE '{REFERENCE_DATE}',
                                   planned_date + CASE WHEN uh < 0.7 THEN 0
                                                  ELSE floor(uh * 7)::INTEGER END)
                   END AS done_date,
                   CASE WHEN planned_date > DATE '{REFERENCE_DATE}' THEN 'planificada'
                        WHEN ud < 0.5 + 0.45 * quality THEN 'realizada'
                        WHEN uh < 0.55 THEN 'reprogramada'
                        WHEN uh < 0.85 THEN 'cancelada'
                        ELSE 'planificada' END AS status
            -- As a school's schedule file is loaded: its communities' rows together.
            FROM b ORDER BY rbd, community_id, planned_date""",
        )
        self.insert(
            cur,
            "session_attendance",
            f"""
            WITH s AS (
                SELECT a.community_id, a.done_date, c.quality FROM activity a
                JOIN nat_community c ON c.id = a.community_id
                WHERE a.status = 'realizada'
                  AND a.kind IN ('reunión', 'taller', 'observación de aula', 'retroalimentación')
            ), r AS (
                SELECT s.community_id, s.done_date AS session_date, m.teacher_id,
                       {u("s.community_id", "s.done_date", "m.teacher_id", "'att'")}
                           < 0.65 + 0.3 * s.quality AS attended,
                       {u("s.community_id", "s.done_date", "m.teacher_id", "'str'")} AS us
                FROM s JOIN community_member m
                  ON m.community_id = s.community_id
                 AND m.year = least(year(s.done_date), 2025)
            )
            SELECT community_id, session_date, teacher_id, attended,
                   CASE WHEN attended THEN floor(us * us * 4)::INTEGER ELSE 0 END
                       AS strategies_shared
            FROM r""",
        )

    # -- surveys --------------------------------------------------------------------------
    def surveys(self, cur: duckdb.DuckDBPyConnection) -> None:
        u = self.u
        values = ", ".join(
            f"('{kind}', '{dim}', '{text}', {str(rev).lower()})" for kind, dim, text, rev in _ITEMS
        )
        cur.execute(f"""
            CREATE TEMP TABLE nat_item AS
            SELECT * FROM (VALUES {values}) v(respondent_kind, dimension, item, reverse_coded)""")
        waves = ", ".join(f"({i}, '{w}', DATE '{d}')" for i, (w, d) in enumerate(_WAVES))
        self.insert(
            cur,
            "survey_response",
            f"""
            WITH waves AS (SELECT * FROM (VALUES {waves}) v(wi, wave, wave_date)),
            teachers AS (
                SELECT w.wi, w.wave, w.wave_date, 'docente' AS respondent_kind,
                       {self.hexid("'rd'", "h.teacher_id")} AS respondent_id, h.rbd,
                       m.community_id, 0.5 + 0.1 * w.wi * coalesce(c.quality - 0.3, 0) AS level
                FROM waves w JOIN nat_holder h ON h.year = year(w.wave_date)
                LEFT JOIN community_member m
                  ON m.teacher_id = h.teacher_id AND m.year = h.year
                LEFT JOIN nat_community c ON c.id = m.community_id
                WHERE {u("h.teacher_id", "w.wi", "'resp'")} < 0.85
            ), students AS (
                SELECT w.wi, w.wave, w.wave_date, 'estudiante',
                       {self.hexid("'re'", "s.rbd", "w.wi", "k")}, s.rbd, NULL,
                       0.45 + 0.05 * w.wi * (s.trend * 4)
                FROM waves w, nat_school s, LATERAL (SELECT unnest(range(30)) AS k)
            ), people AS (SELECT * FROM teachers UNION ALL SELECT * FROM students)
            SELECT CASE p.respondent_kind WHEN 'docente'
                        THEN '{TEACHER_INSTRUMENT}' ELSE '{STUDENT_INSTRUMENT}' END AS instrument,
                   p.wave, p.wave_date + (hash(p.respondent_id, {self.seed}) % 15)::INTEGER
                       AS response_date,
                   p.respondent_kind, p.respondent_id, p.rbd, p.community_id,
                   i.item, i.dimension, i.reverse_coded,
                   (CASE WHEN i.reverse_coded THEN 6 - a ELSE a END)::TINYINT AS answer
            FROM people p JOIN nat_item i USING (respondent_kind),
                 LATERAL (SELECT CASE
                    WHEN {u("p.respondent_id", "i.item", "'fav'")} < p.level
                        THEN 4 + ({u("p.respondent_id", "i.item", "'hi'")} < 0.45)::INTEGER
                    ELSE 1 + floor(3 * {u("p.respondent_id", "i.item", "'lo'")} ** 0.7)::INTEGER
                 END AS a)""",
        )

    # -- evaluations, SIMCE, targets ------------------------------------------------------
    def evaluations_simce_targets(self, cur: duckdb.DuckDBPyConnection) -> None:
        u = self.u
        self.insert(
            cur,
            "teacher_evaluation",
            f"""
            SELECT t.teacher_id, t.rbd,
                   make_date(t.year, 6 + (hash(t.teacher_id, t.year, {self.seed}) % 5)::INTEGER,
                             1 + (hash(t.teacher_id, t.year, 'd', {self.seed}) % 28)::INTEGER)
                       AS eval_date,
                   'observación de aula' AS instrument, d.domain,
                   least(4, greatest(1, round(2.6 + 0.1 * (t.year - 2023)
                       + 0.6 * {self.normal("t.teacher_id", "t.year", "d.domain")})))::TINYINT
                       AS score
            FROM teacher_year t, (VALUES ('A'), ('B'), ('C'), ('D')) d(domain)""",
        )
        self.insert(
            cur,
            "standardized_test",
            f"""
            WITH g AS (
                SELECT r.year, r.rbd, r.cod_ense, count(*) AS n
                FROM student_result r
                WHERE r.final_situation IN ('P', 'R')
                  AND ((r.cod_ense = 110 AND r.grade = 4) OR (r.cod_ense = 310 AND r.grade = 2))
                GROUP BY ALL
            )
            SELECT g.year, g.rbd, 'SIMCE' AS test,
                   CASE g.cod_ense WHEN 110 THEN '4b' ELSE '2m' END AS grade_level,
                   subj.subject,
                   CASE WHEN round(0.9 * g.n) >= 10 THEN round(255 + 40 * s.effect
                        + 20 * s.trend * (g.year - 2023)
                        + 8 * {self.normal("g.rbd", "g.year", "subj.subject")}) END AS mean_score,
                   round(0.9 * g.n)::INTEGER AS students_assessed,
                   CASE WHEN round(0.9 * g.n) < 10 THEN '1' END AS withheld_mark
            FROM g JOIN nat_school s USING (rbd),
                 (VALUES ('lectura'), ('matemática')) subj(subject)""",
        )
        codes = ", ".join(f"('{c}', {v})" for c, v in _INDICATORS)
        self.insert(
            cur,
            "target",
            f"""
            WITH codes AS (SELECT * FROM (VALUES {codes}) v(indicator, base)),
            scopes AS (
                SELECT 'establecimiento' AS scope_kind, rbd::VARCHAR AS scope_id FROM nat_school
                UNION ALL SELECT 'territorio', id FROM territory
                UNION ALL SELECT 'comunidad', id FROM nat_community WHERE quality > 0.7
            )
            SELECT indicator, scope_kind, scope_id,
                   round(base * (0.95 + 0.1 * {u("scope_id", "indicator", "'t'")}), 1)
                       AS target_value,
                   2025 AS deadline_year,
                   'Meta del plan local de desarrollo profesional.' AS reason
            FROM codes, scopes
            WHERE scope_kind <> 'comunidad' OR indicator IN
                  ('cumplimiento_cronograma', 'participacion_activa', 'promedio_notas')""",
        )
        # The DIA as schools read it off the platform: 4° básico, lectura and matemática, three
        # periods a year; Nivel III satisfactorio rises within the year more where the school's
        # trend is better; the three levels add to 100.
        self.insert(
            cur,
            "dia_result",
            f"""
            WITH g AS (
                SELECT r.year, r.rbd, count(*) AS n FROM student_result r
                WHERE r.final_situation IN ('P', 'R') AND r.cod_ense = 110 AND r.grade = 4
                GROUP BY ALL
            ), p AS (
                SELECT * FROM (VALUES (0, 'diagnóstico'), (1, 'monitoreo intermedio'),
                                      (2, 'cierre')) v(k, period)
            ), lv AS (
                SELECT g.year, g.rbd, p.period, a.area, g.n,
                       least(85, greatest(3, round(30 + 15 * s.effect + p.k * (2 + 10 * s.trend)
                           + 3 * {self.normal("g.rbd", "g.year", "a.area")}, 1))) AS sat,
                       least(60, greatest(2, round(38 - 10 * s.effect - p.k * 2
                           + 3 * {self.normal("g.rbd", "g.year", "a.area", "'ins'")}, 1)))
                           AS ins
                FROM g JOIN nat_school s USING (rbd), p,
                     (VALUES ('lectura'), ('matemática')) a(area)
            )
            SELECT year, rbd, period, '4b' AS grade_level, area,
                   ins AS pct_insatisfactorio, round(100 - sat - ins, 1) AS pct_intermedio,
                   sat AS pct_satisfactorio, round(25 + 0.6 * sat, 1) AS pct_logro,
                   round(0.95 * n)::INTEGER AS students_assessed
            FROM lv""",
        )
