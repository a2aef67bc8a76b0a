"""The bundled demo store: a fictional SLEP whose data tell one story, the same on every run.

This module owns the generator of the demo data set. It writes through :class:`Store`
(``transaction``, ``new_batch``, ``insert_frame``) and must not import duckdb or streamlit.
Everything comes from ``numpy.random.default_rng(seed)`` and a fixed reference date
(:data:`REFERENCE_DATE`, never today's date), so the same seed gives the same
``store.fingerprint()``. Names, subjects, instruments and survey items come from
:mod:`tablero_demo.words`, shared with the national store; the story (schools, communities,
profiles, targets) is this module's own.

The territory
-------------
*SLEP Costa Central* (``slep:90``), fictional, with two DEPROV (``deprov:901`` Costa Norte,
``deprov:902`` Costa Sur) and four comunas (``comuna:9101`` Puerto Aromo, ``comuna:9102``
Caleta Esperanza, ``comuna:9201`` Valle del Maitén, ``comuna:9202`` Punta Lobos). Twelve
schools, RBD 90001–90012: basic schools (``cod_ense`` 110, grades 1–8), secondary schools (310,
grades 1–4), one with both, and one small rural school. About 5,900 students a year
(2023–2025), ~300 teachers, 30 communities of practice of the six kinds, all started in March
2024, so every school's baseline year is 2023 (``school.baseline_year`` is left NULL).

The story the dashboard must reveal
-----------------------------------
* **The guide's case** — *Escuela Los Aromos* (RBD 90001, :data:`CASE_SCHOOL_RBD`):
  ``tasa_reprobacion`` is exactly 6.0 % in 2023 (30 reprobados of 500 promovidos + reprobados)
  and exactly 2.0 % in 2024 (10 of 500): −4.0 points, −66.7 %, against its target of 3.0 %
  for 2025 (progress 133 %, *logrado*). 2025 stays low (11 reprobados, ~2.2 %).
* **Communities that improve** (:data:`IMPROVING_COMMUNITY_IDS`) — the three communities of
  each of Escuela Los Aromos (90001), Escuela Villa Esperanza (90002) and Liceo Bicentenario
  Puerto Aromo (90003) (:data:`IMPROVING_SCHOOL_RBDS`). From 2023 to 2025 their students'
  grades rise (~+0.5 points), attendance rises (~+2 points), reprobación falls by half and
  chronic absence falls; teachers' *% favourable* rises from ~47 % (línea base, April 2024)
  to ~80 % (final, November 2025), students' too, less; schedule compliance is ~92 %,
  participation in sessions grows from ~86 % (2024) to ~92 % (2025), strategies shared per
  session grow, class-observation scores rise (~+0.5), SIMCE rises (~+10 points a year).
  The headline one is :data:`IMPROVING_COMMUNITY_ID` ("Comunidad lectora Los Aromos").
* **Communities that stall** (:data:`STALLED_COMMUNITY_IDS`) — the three communities of each
  of Escuela Gabriela Mistral (90004) and Liceo Caleta Sur (90009)
  (:data:`STALLED_SCHOOL_RBDS`): students' grades and attendance are flat and reprobación
  creeps up, surveys are flat (~50 % favourable), schedule compliance is ~60 %,
  participation falls from ~80 % (2024) to ~62 % (2025) and below, members drop out in 2025,
  teacher turnover is high (``permanencia_docente`` ~75 % against ~95 % in the improving
  schools), SIMCE is flat. The headline one is :data:`STALLED_COMMUNITY_ID`.
* **Small groups** — *Escuela Rural El Maitén* (RBD 90006, :data:`TINY_SCHOOL_RBD`) is a
  multigrade school with 1° to 6° básico, one course per grade, every course with fewer than
  10 students (the school as a whole has ~45); its SIMCE ``mean_score`` is NULL (too few
  students assessed). Its only community, :data:`SMALL_COMMUNITY_ID`, has two members who
  teach only 1° A, a course of 6–8 students: every student indicator of that community must
  be suppressed.
* The other schools (90005, 90007, 90008, 90010, 90011, 90012) move slowly upwards.

So that the story does not hang on a coin toss, some counts are decided per group and then
drawn: how many students of a school fail each year, how many past activities of a community
were done, how many attendance records say *attended*, how many of a respondent's answers are
favourable. Any seed tells the same story; :data:`~metrics.config.DEMO_SEED` is the one tests
check.

Other facts worth knowing: students are 16-hex-character pseudonyms stable across years;
promoted students move up a grade, *reprobados* repeat the same grade (``tasa_repitencia``),
withdrawn students (``Y``) carry ``final_average`` 0.0, and a few students per year transfer
(``T`` at the school they left, with their final record at another demo school the same year).
Monthly attendance (months 3–12) adds up exactly to the annual ``attendance_pct``; Escuela
Rural El Maitén worked 0 days in June 2024 (a storm closed it). The schedule (cronograma) runs
from March 2024 to December 2026; statuses are decided against :data:`REFERENCE_DATE`
(activities after it are *planificada*). Sessions held in 2026 are attended by the 2025
members (``community_member`` has rows for 2024 and 2025 only). Targets exist for every
indicator of the catalogue for each school (deadline 2025), for ``slep:90``, and for a few
indicators of the improving, stalled and small communities.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd

from metrics.config import DEMO_SEED
from metrics.engine.catalog import INDICATORS
from metrics.errors import StoreError
from metrics.scope import Scope
from metrics.store import DATA_TABLES, Store
from metrics.store.users import DEMO_KIND
from tablero_demo import journal
from tablero_demo.words import (
    DAYS_WORKED,
    FIRST_NAMES,
    PIE_SUBJECT,
    STUDENT_INSTRUMENT,
    STUDENT_ITEMS,
    SUBJECTS_BASIC,
    SUBJECTS_MEDIA,
    SURNAMES,
    TEACHER_INSTRUMENT,
    TEACHER_ITEMS,
    TRAMOS,
)

# -- the story's constants ------------------------------------------------------------------
REFERENCE_DATE = date(2026, 11, 15)
"""Activities planned after this date are 'planificada'; fixed so the store is deterministic."""

YEARS: tuple[int, ...] = (2023, 2024, 2025)
"""School years with students, rosters and assignments; 2023 is the baseline."""

BASELINE_YEAR = 2023
TARGET_YEAR = 2025

SLEP_ID = "slep:90"
CASE_SCHOOL_RBD = 90001
"""Escuela Los Aromos: tasa_reprobacion 6.0 % (2023) → 2.0 % (2024), target 3.0 %."""
CASE_REPROBADOS: dict[int, tuple[int, int]] = {2023: (30, 500), 2024: (10, 500)}
"""The case school's exact (reprobados, promovidos + reprobados) per year."""
CASE_TARGET = 3.0

TINY_SCHOOL_RBD = 90006
"""Escuela Rural El Maitén: every course has fewer than 10 students."""

IMPROVING_SCHOOL_RBDS: tuple[int, ...] = (90001, 90002, 90003)
STALLED_SCHOOL_RBDS: tuple[int, ...] = (90004, 90009)

IMPROVING_COMMUNITY_IDS: tuple[str, ...] = tuple(
    f"com-{rbd}-{i}" for rbd in IMPROVING_SCHOOL_RBDS for i in (1, 2, 3)
)
STALLED_COMMUNITY_IDS: tuple[str, ...] = tuple(
    f"com-{rbd}-{i}" for rbd in STALLED_SCHOOL_RBDS for i in (1, 2, 3)
)
IMPROVING_COMMUNITY_ID = "com-90001-1"
"""Comunidad lectora Los Aromos, the headline improving community."""
STALLED_COMMUNITY_ID = "com-90004-1"
"""Comunidad de práctica Gabriela Mistral, the headline stalled community."""
SMALL_COMMUNITY_ID = "com-90006-1"
"""Its two members teach only 1° A of Escuela Rural El Maitén (fewer than 10 students)."""

INDICATOR_CODES: tuple[str, ...] = tuple(INDICATORS)
"""Every indicator code of the catalogue: the demo has targets for all of them."""

SESSION_KINDS: tuple[str, ...] = ("reunión", "taller", "observación de aula", "retroalimentación")
"""Activity kinds that are sessions: a held one produces session_attendance rows."""

# -- the territory and its schools ----------------------------------------------------------
_REGION_CODE = 90
_REGION = "Región Costa Central"
_TERRITORIES: tuple[tuple[str, str, str], ...] = (
    ("slep:90", "SLEP Costa Central", "slep"),
    ("deprov:901", "Deprov Costa Norte", "deprov"),
    ("deprov:902", "Deprov Costa Sur", "deprov"),
    ("comuna:9101", "Puerto Aromo", "comuna"),
    ("comuna:9102", "Caleta Esperanza", "comuna"),
    ("comuna:9201", "Valle del Maitén", "comuna"),
    ("comuna:9202", "Punta Lobos", "comuna"),
)
_COMUNAS: dict[int, str] = {
    9101: "Puerto Aromo",
    9102: "Caleta Esperanza",
    9201: "Valle del Maitén",
    9202: "Punta Lobos",
}


@dataclass(frozen=True)
class _Level:
    cod_ense: int
    grades: tuple[int, ...]
    letters: str


@dataclass(frozen=True)
class _School:
    rbd: int
    name: str
    comuna_code: int
    levels: tuple[_Level, ...]
    class_size: int
    profile: str  # 'improving', 'stalled', 'steady', 'tiny'
    grade_effect: float  # school's level of final averages
    utp: str  # head of the technical-pedagogical unit (responsible for workshops)


_BASIC = (1, 2, 3, 4, 5, 6, 7, 8)
_MEDIA = (1, 2, 3, 4)
_SCHOOLS: tuple[_School, ...] = (
    _School(
        90001,
        "Escuela Los Aromos",
        9101,
        (_Level(110, _BASIC, "AB"),),
        32,
        "improving",
        -0.10,
        "Carolina Fuentes Araya",
    ),
    _School(
        90002,
        "Escuela Villa Esperanza",
        9102,
        (_Level(110, _BASIC, "AB"),),
        33,
        "improving",
        -0.05,
        "Marcelo Tapia Rivera",
    ),
    _School(
        90003,
        "Liceo Bicentenario Puerto Aromo",
        9101,
        (_Level(310, _MEDIA, "ABC"),),
        38,
        "improving",
        0.05,
        "Andrea Sepúlveda Castro",
    ),
    _School(
        90004,
        "Escuela Gabriela Mistral",
        9101,
        (_Level(110, _BASIC, "AB"),),
        34,
        "stalled",
        -0.05,
        "Jorge Vergara Núñez",
    ),
    _School(
        90005,
        "Liceo Pablo Neruda",
        9102,
        (_Level(110, _BASIC, "A"), _Level(310, _MEDIA, "AB")),
        34,
        "steady",
        0.0,
        "Patricia Molina Vega",
    ),
    _School(
        90006,
        "Escuela Rural El Maitén",
        9201,
        (_Level(110, (1, 2, 3, 4, 5, 6), "A"),),
        7,
        "tiny",
        0.10,
        "Luis Orellana Campos",
    ),
    _School(
        90007,
        "Escuela Arturo Prat",
        9201,
        (_Level(110, _BASIC, "ABC"),),
        33,
        "steady",
        0.0,
        "Verónica Riquelme Bravo",
    ),
    _School(
        90008,
        "Colegio Los Navegantes",
        9202,
        (_Level(110, _BASIC, "AB"),),
        30,
        "steady",
        0.15,
        "Cristián Herrera Jara",
    ),
    _School(
        90009,
        "Liceo Caleta Sur",
        9202,
        (_Level(310, _MEDIA, "ABC"),),
        36,
        "stalled",
        -0.15,
        "Ximena Pizarro Soto",
    ),
    _School(
        90010,
        "Escuela Almirante Latorre",
        9102,
        (_Level(110, _BASIC, "AB"),),
        32,
        "steady",
        0.05,
        "Rodrigo Castillo Reyes",
    ),
    _School(
        90011,
        "Escuela Los Copihues",
        9201,
        (_Level(110, _BASIC, "AB"),),
        32,
        "steady",
        -0.05,
        "Claudia Espinoza Gómez",
    ),
    _School(
        90012,
        "Escuela Bernardo O'Higgins",
        9202,
        (_Level(110, _BASIC, "AB"),),
        31,
        "steady",
        0.0,
        "Felipe Sandoval Miranda",
    ),
)
_SCHOOL_BY_RBD = {s.rbd: s for s in _SCHOOLS}
_DEPROV_OF_COMUNA = {9101: "deprov:901", 9102: "deprov:901", 9201: "deprov:902", 9202: "deprov:902"}
_TINY_FIRST_GRADE = {2023: 7, 2024: 6, 2025: 8}
"""Entrants to 1° A of the rural school each year: always fewer than 10."""
_TINY_2023_SIZES = (7, 6, 8, 7, 9, 8)

# (kind, name, focus) of each community, by school; community ids are com-<rbd>-<n>.
_COMMUNITIES: dict[int, tuple[tuple[str, str, str], ...]] = {
    90001: (
        ("comunidad de práctica", "Comunidad lectora Los Aromos", "Mejorar la comprensión lectora"),
        (
            "observación entre pares",
            "Observación entre pares de primer ciclo",
            "Fortalecer la gestión del aula en primer ciclo",
        ),
        (
            "grupo de estudio de casos",
            "Estudio de casos de estudiantes en riesgo",
            "Disminuir la reprobación con acompañamiento oportuno",
        ),
    ),
    90002: (
        (
            "comunidad profesional de aprendizaje",
            "Comunidad de matemática Villa Esperanza",
            "Mejorar la resolución de problemas en matemática",
        ),
        (
            "acompañamiento entre pares",
            "Acompañamiento a docentes principiantes",
            "Acompañar a los docentes principiantes en su inserción",
        ),
        (
            "coaching entre pares",
            "Coaching de lectura inicial",
            "Mejorar la lectura inicial en 1° y 2° básico",
        ),
    ),
    90003: (
        (
            "comunidad profesional de aprendizaje",
            "Comunidad Bicentenario",
            "Aumentar la asistencia y la retención en enseñanza media",
        ),
        (
            "observación entre pares",
            "Observación de aula en ciencias",
            "Fortalecer la indagación científica en el aula",
        ),
        (
            "grupo de estudio de casos",
            "Estudio de casos de evaluación formativa",
            "Usar la evaluación formativa para retroalimentar a los estudiantes",
        ),
    ),
    90004: (
        (
            "comunidad de práctica",
            "Comunidad de práctica Gabriela Mistral",
            "Mejorar la comprensión lectora",
        ),
        (
            "grupo de estudio de casos",
            "Estudio de casos de convivencia",
            "Mejorar el clima de aula",
        ),
        (
            "observación entre pares",
            "Observación entre pares de segundo ciclo",
            "Fortalecer la gestión del aula en segundo ciclo",
        ),
    ),
    90005: (
        (
            "comunidad de práctica",
            "Comunidad de lenguaje Pablo Neruda",
            "Mejorar la escritura de textos argumentativos",
        ),
        ("coaching entre pares", "Coaching en matemática", "Mejorar los resultados en matemática"),
        (
            "acompañamiento entre pares",
            "Mentoría para docentes nuevos",
            "Acompañar a los docentes principiantes en su inserción",
        ),
    ),
    90006: (
        (
            "comunidad de práctica",
            "Comunidad rural multigrado",
            "Mejorar la lectura inicial en el aula multigrado",
        ),
    ),
    90007: (
        (
            "comunidad profesional de aprendizaje",
            "Comunidad Arturo Prat",
            "Mejorar la comprensión lectora",
        ),
        (
            "observación entre pares",
            "Observación entre pares Arturo Prat",
            "Fortalecer la retroalimentación en clases",
        ),
        (
            "coaching entre pares",
            "Coaching en ciencias",
            "Fortalecer la indagación científica en el aula",
        ),
    ),
    90008: (
        (
            "comunidad de práctica",
            "Comunidad Los Navegantes",
            "Mejorar la resolución de problemas en matemática",
        ),
        (
            "grupo de estudio de casos",
            "Estudio de casos de inclusión",
            "Atender la diversidad en el aula",
        ),
    ),
    90009: (
        (
            "comunidad profesional de aprendizaje",
            "Comunidad Caleta Sur",
            "Disminuir la inasistencia crónica",
        ),
        (
            "acompañamiento entre pares",
            "Acompañamiento entre pares Caleta Sur",
            "Acompañar a los docentes principiantes en su inserción",
        ),
        (
            "coaching entre pares",
            "Coaching de evaluación",
            "Usar la evaluación formativa para retroalimentar a los estudiantes",
        ),
    ),
    90010: (
        ("comunidad de práctica", "Comunidad Almirante Latorre", "Mejorar la comprensión lectora"),
        (
            "acompañamiento entre pares",
            "Acompañamiento entre pares Latorre",
            "Mejorar el clima de aula",
        ),
    ),
    90011: (
        (
            "observación entre pares",
            "Observación entre pares Los Copihues",
            "Fortalecer la gestión del aula",
        ),
        (
            "comunidad profesional de aprendizaje",
            "Comunidad Los Copihues",
            "Mejorar la resolución de problemas en matemática",
        ),
    ),
    90012: (
        (
            "grupo de estudio de casos",
            "Estudio de casos O'Higgins",
            "Disminuir la reprobación con acompañamiento oportuno",
        ),
        ("comunidad de práctica", "Comunidad O'Higgins", "Mejorar la comprensión lectora"),
    ),
}

# -- how each profile behaves ---------------------------------------------------------------
# grade: final-average change per year; att: attendance change per year (fraction)
# turnover: share of teachers leaving each year; done: share of past activities done
# survey: % favourable of teachers at the three waves; part: session attendance 2024/25/26
# strat: strategies shared per attended session 2024/25/26; eval: observation change per year
_PROFILES: dict[str, dict[str, Any]] = {
    "improving": dict(
        grade=0.21,
        att=0.016,
        turnover=0.06,
        done=(0.9, 0.92, 0.93),
        survey=(0.48, 0.64, 0.80),
        part=(0.86, 0.92, 0.94),
        strat=(0.9, 1.4, 1.6),
        eval=0.30,
        simce=11.0,
    ),
    "stalled": dict(
        grade=0.0,
        att=-0.002,
        turnover=0.22,
        done=(0.64, 0.58, 0.56),
        survey=(0.50, 0.49, 0.48),
        part=(0.80, 0.62, 0.56),
        strat=(0.5, 0.35, 0.3),
        eval=0.0,
        simce=-1.5,
    ),
    "steady": dict(
        grade=0.05,
        att=0.004,
        turnover=0.12,
        done=(0.78, 0.8, 0.8),
        survey=(0.52, 0.56, 0.61),
        part=(0.82, 0.84, 0.84),
        strat=(0.8, 0.9, 0.9),
        eval=0.08,
        simce=3.0,
    ),
    "tiny": dict(
        grade=0.05,
        att=0.004,
        turnover=0.0,
        done=(0.85, 0.85, 0.85),
        survey=(0.60, 0.64, 0.68),
        part=(0.95, 0.95, 0.95),
        strat=(1.0, 1.0, 1.0),
        eval=0.1,
        simce=2.0,
    ),
}

_DIMENSION_OFFSET = {
    "colaboracion": 0.03,
    "apoyo": -0.05,
    "satisfaccion": 0.0,
    "aprendizaje": -0.02,
}
_WAVES: tuple[tuple[str, int, int], ...] = (
    ("línea base", 2024, 4),
    ("intermedia", 2024, 11),
    ("final", 2025, 11),
)

_MONTHS = tuple(range(3, 13))


# -- public API -----------------------------------------------------------------------------
def build_demo(store: Store, seed: int = DEMO_SEED) -> dict[str, int]:
    """Fill an empty store with the demo SLEP and return the rows written per table.

    One import batch per dataset (kind ``demo``), everything in one transaction.

    Raises:
        StoreError: the store already holds data.

    Example:
        >>> from metrics.store import open_store
        >>> store = open_store(":memory:")
        >>> build_demo(store)["school"]
        12
    """
    rows = store.info(Scope.all()).rows
    if any(rows.values()):
        raise StoreError(
            "La base de datos ya contiene datos: la demostración solo se crea en una base de "
            "datos vacía. Elija otro archivo o bórrela antes de crear la demostración.",
            title="La base de datos no está vacía",
        )
    frames = generate_demo_frames(seed)
    counts: dict[str, int] = {}
    with store.transaction() as cur:
        for table in DATA_TABLES:
            if table == "school_territory":
                continue  # travels in the schools' batch, as the Mineduc directory brings both
            batch_id = Store.new_batch(
                cur,
                kind=DEMO_KIND,
                file_name=f"demo:{table}",
                file_hash=hashlib.sha256(f"{seed}:{table}".encode()).hexdigest(),
                actor=DEMO_KIND,
            )
            counts[table] = Store.insert_frame(cur, table, frames[table], batch_id)
            if table == "school":
                counts["school_territory"] = Store.insert_frame(
                    cur, "school_territory", frames["school_territory"], batch_id
                )
        for table, frame in generate_demo_records().items():
            batch_id = Store.new_batch(
                cur,
                kind=DEMO_KIND,
                file_name=f"demo:{table}",
                file_hash=hashlib.sha256(f"{seed}:{table}".encode()).hexdigest(),
                actor=DEMO_KIND,
            )
            Store.insert_frame(cur, table, frame, batch_id)
    return {table: counts[table] for table in DATA_TABLES}


RECORD_YEARS = (2024, 2025, 2026)
"""Years of the demo's qualitative log and follow-up plan (the years its communities work)."""


def generate_demo_records() -> dict[str, pd.DataFrame]:
    """What the demo's teams wrote in the app (:mod:`tablero_demo.journal`): the qualitative
    log and the follow-up plan of every school, up to :data:`REFERENCE_DATE`."""
    schools = [(s.rbd, s.profile, s.utp) for s in _SCHOOLS]
    first = {s.rbd: f"com-{s.rbd}-1" for s in _SCHOOLS}
    return {
        "qualitative_note": journal.qualitative_notes(schools, first, RECORD_YEARS, REFERENCE_DATE),
        "followup_review": journal.followup_reviews(schools, RECORD_YEARS, REFERENCE_DATE),
    }


def generate_demo_frames(seed: int = DEMO_SEED) -> dict[str, pd.DataFrame]:
    """The demo's rows, one DataFrame per data table (without ``batch_id``)."""
    root = np.random.default_rng(seed)
    # A ninth stream for the DIA: spawning one more child leaves the first eight as they were.
    (
        r_teachers,
        r_students,
        r_communities,
        r_activities,
        r_surveys,
        r_evals,
        r_simce,
        r_ids,
        r_dia,
    ) = root.spawn(9)
    ids = _IdMaker(r_ids)
    frames: dict[str, pd.DataFrame] = {}
    frames["territory"] = pd.DataFrame(_TERRITORIES, columns=["id", "name", "kind"])
    frames["school"], frames["school_territory"] = _schools_frames()

    positions = _positions()
    roster, teachers = _simulate_teachers(r_teachers, positions, ids)
    frames["teacher"] = teachers
    frames["teacher_year"] = roster[
        ["year", "teacher_id", "rbd", "years_experience", "tramo"]
    ].reset_index(drop=True)
    frames["teaching_assignment"] = _assignments(positions, roster)

    results, attendance = _simulate_students(r_students, ids)
    results, attendance = _case_contrast(results, attendance)
    frames["student_result"] = results
    frames["student_attendance"] = attendance

    communities, members = _communities(r_communities, positions, roster)
    members = _case_members(members, positions, roster)
    frames["community"] = communities
    frames["community_member"] = members
    names = dict(zip(teachers["id"], teachers["name"], strict=True))
    frames["activity"], sessions = _schedule(r_activities, communities, members, names)
    frames["session_attendance"] = journal.session_texts(sessions)
    frames["survey_response"] = _surveys(
        r_surveys, roster, members, results, frames["teaching_assignment"]
    )
    frames["teacher_evaluation"] = _evaluations(r_evals, roster, members)
    frames["standardized_test"] = _simce(r_simce, results)
    frames["dia_result"] = _dia(r_dia, results)
    frames["target"] = _targets(frames)
    return {table: frames[table] for table in DATA_TABLES}


# -- helpers --------------------------------------------------------------------------------
class _IdMaker:
    """Unique 16-hex-character pseudonyms, drawn from their own random stream."""

    def __init__(self, rng: np.random.Generator) -> None:
        self._rng = rng
        self._seen: set[str] = set()

    def take(self, n: int) -> list[str]:
        out: list[str] = []
        while len(out) < n:
            for v in self._rng.integers(0, 2**63, size=n - len(out), dtype=np.int64):
                text = f"{int(v):016x}"
                if text not in self._seen:
                    self._seen.add(text)
                    out.append(text)
        return out


def rbd_check_digit(rbd: int) -> str:
    """The RBD's check digit (módulo 11, as for a RUT).

    >>> rbd_check_digit(1)
    '9'
    """
    total, factor = 0, 2
    for digit in reversed(str(rbd)):
        total += int(digit) * factor
        factor = 2 if factor == 7 else factor + 1
    rest = 11 - total % 11
    return {11: "0", 10: "K"}.get(rest, str(rest))


def _schools_frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    schools = pd.DataFrame(
        {
            "rbd": [s.rbd for s in _SCHOOLS],
            "check_digit": [rbd_check_digit(s.rbd) for s in _SCHOOLS],
            "name": [s.name for s in _SCHOOLS],
            "comuna_code": [s.comuna_code for s in _SCHOOLS],
            "comuna": [_COMUNAS[s.comuna_code] for s in _SCHOOLS],
            "region_code": _REGION_CODE,
            "region": _REGION,
            "baseline_year": pd.array([None] * len(_SCHOOLS), dtype="Int64"),
        }
    )
    links = [
        (s.rbd, territory)
        for s in _SCHOOLS
        for territory in (SLEP_ID, _DEPROV_OF_COMUNA[s.comuna_code], f"comuna:{s.comuna_code}")
    ]
    return schools, pd.DataFrame(links, columns=["rbd", "territory_id"])


def _cursos(school: _School) -> list[tuple[int, int, str]]:
    return [
        (level.cod_ense, grade, letter)
        for level in school.levels
        for grade in level.grades
        for letter in level.letters
    ]


def _chunks(items: list[Any], size: int) -> list[list[Any]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


@dataclass(frozen=True)
class _Position:
    """A teaching post of a school: who holds it changes with turnover, its courses do not."""

    key: str
    rbd: int
    teaches: tuple[tuple[int, int, str, str], ...]  # (cod_ense, grade, letter, subject)


def _positions() -> list[_Position]:
    out: list[_Position] = []
    for school in _SCHOOLS:
        n = 0

        def add(teaches: Iterable[tuple[int, int, str, str]], rbd: int = school.rbd) -> None:
            nonlocal n
            n += 1
            out.append(_Position(f"{rbd}-{n:02d}", rbd, tuple(teaches)))

        if school.rbd == TINY_SCHOOL_RBD:
            # Multigrade: the first two posts (the small community) teach only 1° A.
            add((110, 1, "A", s) for s in SUBJECTS_BASIC)
            add([(110, 1, "A", PIE_SUBJECT)])
            add((110, g, "A", s) for g in (2, 3) for s in SUBJECTS_BASIC)
            add((110, 4, "A", s) for s in SUBJECTS_BASIC)
            add((110, g, "A", s) for g in (5, 6) for s in SUBJECTS_BASIC)
            continue
        cursos = _cursos(school)
        for level in school.levels:
            mine = [c for c in cursos if c[0] == level.cod_ense]
            if level.cod_ense == 110:
                for c in (c for c in mine if c[1] <= 4):  # generalists teach their own course
                    add((*c, s) for s in SUBJECTS_BASIC[:3])
                upper = [c for c in mine if c[1] >= 5]
                for subject in SUBJECTS_BASIC:
                    for chunk in _chunks(upper, 4):
                        add((*c, subject) for c in chunk)
                for chunk in _chunks(upper, 8):
                    add((*c, "Inglés") for c in chunk)
            else:
                for subject in SUBJECTS_MEDIA:
                    for chunk in _chunks(mine, 4):
                        add((*c, subject) for c in chunk)
        for chunk in _chunks(cursos, 8):
            add((*c, "Educación Física y Salud") for c in chunk)
        for chunk in _chunks([c for c in cursos if c[1] <= 4], 6):
            add((*c, PIE_SUBJECT) for c in chunk[:4])
        add([])  # a teacher with hours of coordination and no course this year
    return out


def _tramo_index(experience: int, u: float) -> int:
    if experience < 4:
        return 0 if u < 0.8 else 1
    if experience < 8:
        return 1 if u < 0.6 else (0 if u < 0.8 else 2)
    if experience < 15:
        return 2 if u < 0.5 else (1 if u < 0.75 else 3)
    if experience < 25:
        return 3 if u < 0.45 else (2 if u < 0.75 else 4)
    return 4 if u < 0.45 else 3


def _person_names(rng: np.random.Generator, n: int, taken: set[str]) -> list[str]:
    out: list[str] = []
    while len(out) < n:
        first = FIRST_NAMES[int(rng.integers(len(FIRST_NAMES)))]
        last1 = SURNAMES[int(rng.integers(len(SURNAMES)))]
        last2 = SURNAMES[int(rng.integers(len(SURNAMES)))]
        name = f"{first} {last1} {last2}"
        if last1 != last2 and name not in taken:
            taken.add(name)
            out.append(name)
    return out


def _simulate_teachers(
    rng: np.random.Generator, positions: list[_Position], ids: _IdMaker
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Who holds each post each year: turnover by profile, some moves within the SLEP."""
    taken = {s.utp for s in _SCHOOLS}
    teacher_rows: list[tuple[str, str]] = []
    state: dict[str, dict[str, Any]] = {}  # teacher id -> experience, tramo, skill

    def hire(novice_share: float) -> str:
        tid = ids.take(1)[0]
        teacher_rows.append((tid, _person_names(rng, 1, taken)[0]))
        if rng.random() < novice_share:
            exp = int(rng.integers(0, 3))
        else:
            exp = 3 + int(min(35, rng.gamma(2.0, 6.0)))
        tramo = min(_tramo_index(exp, float(rng.random())), _tramo_cap(exp))
        state[tid] = dict(exp=exp, tramo=tramo, skill=float(rng.normal(0, 1)))
        return tid

    holder: dict[str, str] = {p.key: hire(0.13) for p in positions}
    rows: list[tuple[int, str, int, str, int, str, float]] = []
    for year in YEARS:
        if year > YEARS[0]:
            for st in state.values():
                st["exp"] += 1
                if st["tramo"] < _tramo_cap(st["exp"]) and rng.random() < 0.12:
                    st["tramo"] += 1
            leavers = [
                p
                for p in positions
                if rng.random() < _PROFILES[_SCHOOL_BY_RBD[p.rbd].profile]["turnover"]
            ]
            # A quarter of those who leave take a vacancy at another school of the SLEP.
            movers = [(holder[p.key], p.rbd) for p in leavers if rng.random() < 0.25]
            for p in leavers:
                mover = next((m for m in movers if m[1] != p.rbd), None)
                if mover is not None:
                    movers.remove(mover)
                    holder[p.key] = mover[0]
                else:
                    holder[p.key] = hire(0.55)
        for p in positions:
            st = state[holder[p.key]]
            rows.append(
                (
                    year,
                    holder[p.key],
                    p.rbd,
                    p.key,
                    int(st["exp"]),
                    TRAMOS[int(st["tramo"])],
                    float(st["skill"]),
                )
            )
    roster = pd.DataFrame(
        rows,
        columns=["year", "teacher_id", "rbd", "position", "years_experience", "tramo", "skill"],
    )
    if roster.duplicated(["year", "teacher_id"]).any():
        raise AssertionError("demo: a teacher holds two posts in one year")
    teachers = pd.DataFrame(teacher_rows, columns=["id", "name"])
    teachers = teachers[teachers["id"].isin(set(roster["teacher_id"]))].reset_index(drop=True)
    return roster, teachers


def _tramo_cap(experience: int) -> int:
    """The highest tramo a teacher can hold with these years of experience."""
    for cap, below in enumerate((2, 4, 8, 12)):
        if experience < below:
            return cap
    return 4


def _assignments(positions: list[_Position], roster: pd.DataFrame) -> pd.DataFrame:
    by_key = {p.key: p for p in positions}
    rows = [
        (year, tid, rbd, c, g, letter, subject)
        for year, tid, rbd, key in roster[["year", "teacher_id", "rbd", "position"]].itertuples(
            index=False
        )
        for c, g, letter, subject in by_key[key].teaches
    ]
    return pd.DataFrame(
        rows, columns=["year", "teacher_id", "rbd", "cod_ense", "grade", "letter", "subject"]
    )


# -- students -------------------------------------------------------------------------------
def _simulate_students(
    rng: np.random.Generator, ids: _IdMaker
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Yearly results and monthly attendance of every student, 2023–2025."""
    ability: dict[str, float] = {}
    att_z: dict[str, float] = {}
    att_tail: dict[str, float] = {}

    def new_students(n: int) -> list[str]:
        sids = ids.take(n)
        for sid, a, z, e in zip(
            sids,
            rng.normal(0, 1, n),
            rng.normal(0, 1, n),
            rng.exponential(1.0, n),
            strict=True,
        ):
            ability[sid], att_z[sid], att_tail[sid] = float(a), float(z), float(e)
        return sids

    result_frames: list[pd.DataFrame] = []
    month_frames: list[pd.DataFrame] = []
    carry: list[tuple[str, int, int, int, str]] = []  # (sid, rbd, cod_ense, grade, letter)
    for year in YEARS:
        roster = _fill_roster(rng, year, carry, new_students)
        results, months = _school_year(rng, year, roster, ability, att_z, att_tail)
        result_frames.append(results)
        month_frames.append(months)
        carry = _carry_over(rng, results)
    results = pd.concat(result_frames, ignore_index=True)
    months = pd.concat(month_frames, ignore_index=True)
    return results, months


def _fill_roster(
    rng: np.random.Generator,
    year: int,
    carry: list[tuple[str, int, int, int, str]],
    new_students: Any,
) -> list[tuple[str, int, int, int, str]]:
    roster = list(carry)
    count: dict[tuple[int, int, int, str], int] = {}
    for _, rbd, c, g, letter in roster:
        count[(rbd, c, g, letter)] = count.get((rbd, c, g, letter), 0) + 1
    for school in _SCHOOLS:
        for idx, (c, g, letter) in enumerate(_cursos(school)):
            have = count.get((school.rbd, c, g, letter), 0)
            if school.rbd == TINY_SCHOOL_RBD:
                if g == 1:
                    want = _TINY_FIRST_GRADE[year]
                else:
                    want = _TINY_2023_SIZES[idx] if year == YEARS[0] else have
            elif school.rbd == CASE_SCHOOL_RBD:
                want = school.class_size
            elif year == YEARS[0] or g == 1:
                want = school.class_size + int(rng.integers(-2, 3))
            else:
                want = school.class_size - int(rng.integers(0, 4))
            for sid in new_students(max(0, want - have)):
                roster.append((sid, school.rbd, c, g, letter))
    return roster


def _school_year(
    rng: np.random.Generator,
    year: int,
    roster: list[tuple[str, int, int, int, str]],
    ability: dict[str, float],
    att_z: dict[str, float],
    att_tail: dict[str, float],
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One school year: withdrawals, transfers, monthly attendance, averages, situations."""
    k = year - YEARS[0]
    df = pd.DataFrame(roster, columns=["student_id", "rbd", "cod_ense", "grade", "letter"])
    n = len(df)
    profile = df["rbd"].map(lambda r: _SCHOOL_BY_RBD[r].profile)
    att_trend = profile.map(lambda p: _PROFILES[p]["att"]).to_numpy()
    grade_trend = profile.map(lambda p: _PROFILES[p]["grade"]).to_numpy()
    media = (df["cod_ense"] == 310).to_numpy()
    stalled = (profile == "stalled").to_numpy()

    # Withdrawals (Y) and transfers (T), with the month they happen.
    u = rng.random(n)
    p_withdraw = np.where(media, 0.03, 0.012) + np.where(stalled, 0.01, 0.0)
    situation = np.where(u < p_withdraw, "Y", "")
    special = df["rbd"].isin([CASE_SCHOOL_RBD, TINY_SCHOOL_RBD]).to_numpy()
    situation = np.where(special, "", situation)
    if year in CASE_REPROBADOS:
        case_idx = np.flatnonzero((df["rbd"] == CASE_SCHOOL_RBD).to_numpy())
        n_withdraw = len(case_idx) - CASE_REPROBADOS[year][1]
        if not 0 <= n_withdraw <= 40:
            raise AssertionError(f"demo: case school roster {len(case_idx)} in {year}")
        situation[rng.choice(case_idx, size=n_withdraw, replace=False)] = "Y"
    else:
        case = (df["rbd"] == CASE_SCHOOL_RBD).to_numpy()
        situation = np.where(case & (u < 0.012), "Y", situation)
    transfer = (situation == "") & ~special & (rng.random(n) < 0.01)
    situation = np.where(transfer, "T", situation)
    end_month = np.full(n, 12)
    end_month[situation == "Y"] = rng.integers(4, 11, size=int((situation == "Y").sum()))
    end_month[transfer] = rng.integers(5, 10, size=int(transfer.sum()))

    # Where transferred students finish the year: another demo school with that course.
    offers: dict[tuple[int, int], list[tuple[int, str]]] = {}
    for school in _SCHOOLS:
        if school.rbd in (CASE_SCHOOL_RBD, TINY_SCHOOL_RBD):
            continue
        for c, g, letter in _cursos(school):
            offers.setdefault((c, g), []).append((school.rbd, letter))
    extra: list[tuple[str, int, int, int, str, int]] = []  # (sid, rbd, c, g, letter, start)
    for i in np.flatnonzero(transfer):
        row = df.iloc[i]
        choices = [o for o in offers[(int(row.cod_ense), int(row.grade))] if o[0] != row.rbd]
        rbd, letter = choices[int(rng.integers(len(choices)))]
        extra.append(
            (row.student_id, rbd, int(row.cod_ense), int(row.grade), letter, int(end_month[i]) + 1)
        )
    df["situation"] = situation
    df["start_month"] = 3
    df["end_month"] = end_month
    if extra:
        dest = pd.DataFrame(
            extra, columns=["student_id", "rbd", "cod_ense", "grade", "letter", "start_month"]
        )
        dest["situation"] = ""
        dest["end_month"] = 12
        df = pd.concat([df, dest], ignore_index=True)
        profile = df["rbd"].map(lambda r: _SCHOOL_BY_RBD[r].profile)
        att_trend = profile.map(lambda p: _PROFILES[p]["att"]).to_numpy()
        grade_trend = profile.map(lambda p: _PROFILES[p]["grade"]).to_numpy()
        media = (df["cod_ense"] == 310).to_numpy()
    n = len(df)

    # Each student's attendance propensity this year.
    z = df["student_id"].map(att_z).to_numpy()
    tail = df["student_id"].map(att_tail).to_numpy()
    p_att = (
        0.975
        + att_trend * k
        - np.where(media, 0.015, 0.0)
        + 0.035 * z
        - 0.05 * tail
        + rng.normal(0, 0.015, n)
    )
    p_att = np.clip(p_att, 0.35, 0.995)

    # Monthly attendance: one row per student and month enrolled at that school.
    school_dip = {(s.rbd, m): int(rng.integers(0, 2)) for s in _SCHOOLS for m in _MONTHS}
    span = (df["end_month"] - df["start_month"] + 1).to_numpy()
    rep = np.repeat(np.arange(n), span)
    month = np.concatenate(
        [np.arange(a, b + 1) for a, b in zip(df["start_month"], df["end_month"], strict=True)]
    )
    rbd_rep = df["rbd"].to_numpy()[rep]
    worked = np.array(
        [DAYS_WORKED[m] - school_dip[(r, m)] for r, m in zip(rbd_rep, month, strict=True)]
    )
    if year == 2024:
        worked[(rbd_rep == TINY_SCHOOL_RBD) & (month == 6)] = 0  # a storm closed the school
    winter = np.isin(month, (6, 7))
    p_month = np.clip(
        p_att[rep] - np.where(winter, 0.03, 0.0) + rng.normal(0, 0.03, len(rep)), 0.0, 1.0
    )
    attended = rng.binomial(worked, p_month)
    months = pd.DataFrame(
        {
            "year": year,
            "month": month,
            "rbd": rbd_rep,
            "cod_ense": df["cod_ense"].to_numpy()[rep],
            "grade": df["grade"].to_numpy()[rep],
            "letter": df["letter"].to_numpy()[rep],
            "student_id": df["student_id"].to_numpy()[rep],
            "days_attended": attended,
            "days_worked": worked,
        }
    )
    sums = months.groupby(rep).agg(a=("days_attended", "sum"), w=("days_worked", "sum"))
    # Tenths of a percent, rounded half up in integers (as a spreadsheet would).
    a, w = sums["a"].to_numpy(), np.maximum(sums["w"].to_numpy(), 1)
    pct = ((2000 * a + w) // (2 * w)) / 10.0

    # Final averages and situations.
    abil = df["student_id"].map(ability).to_numpy()
    school_effect = df["rbd"].map(lambda r: _SCHOOL_BY_RBD[r].grade_effect).to_numpy()
    avg = (
        5.45
        + school_effect
        + grade_trend * k
        + 0.55 * abil
        + 2.0 * (pct / 100 - 0.9)
        - np.where(media, 0.2, 0.0)
        + rng.normal(0, 0.2, n)
    )
    avg = np.round(np.clip(avg, 1.5, 7.0), 1)
    final = df["situation"].to_numpy() == ""
    # How many fail is decided per school and year (so that the story does not hang on a
    # coin toss): those with the lowest averages, weighed by attendance, fail.
    sit = df["situation"].to_numpy().copy()
    rbds = df["rbd"].to_numpy()
    for school in _SCHOOLS:
        idx = np.flatnonzero(final & (rbds == school.rbd))
        if not len(idx):
            continue
        if school.rbd == CASE_SCHOOL_RBD:
            n_fail = CASE_REPROBADOS.get(year, (round(0.022 * len(idx)), 0))[0]
        else:
            n_fail = round(_fail_rate(school, k) * len(idx))
        risk = avg[idx] + 0.03 * (pct[idx] - 85) + rng.normal(0, 0.1, len(idx))
        order = idx[np.argsort(risk, kind="stable")]
        sit[order[:n_fail]] = "R"
        sit[order[n_fail:]] = "P"
        avg[order[n_fail:]] = np.maximum(avg[order[n_fail:]], 4.0)
        if school.rbd == CASE_SCHOOL_RBD:
            avg[order[:n_fail]] = np.minimum(avg[order[:n_fail]], 3.9)
    avg = np.where(final, avg, 0.0)
    results = pd.DataFrame(
        {
            "year": year,
            "rbd": df["rbd"].to_numpy(),
            "cod_ense": df["cod_ense"].to_numpy(),
            "grade": df["grade"].to_numpy(),
            "letter": df["letter"].to_numpy(),
            "student_id": df["student_id"].to_numpy(),
            "final_average": avg,
            "final_situation": sit,
            "attendance_pct": pct,
        }
    )
    return results, months


_FAIL_TREND = {
    "improving": (1.0, 0.62, 0.48),
    "stalled": (1.0, 1.12, 1.25),
    "steady": (1.0, 0.95, 0.9),
    "tiny": (1.0, 1.0, 1.0),
}


def _fail_rate(school: _School, k: int) -> float:
    """Share of a school's students who fail in year ``YEARS[k]``."""
    base = (
        0.045 - 0.05 * school.grade_effect + (0.015 if school.levels[-1].cod_ense == 310 else 0.0)
    )
    return base * _FAIL_TREND[school.profile][k]


def _carry_over(
    rng: np.random.Generator, results: pd.DataFrame
) -> list[tuple[str, int, int, int, str]]:
    """Next year's continuing students: promoted move up, reprobados repeat, some leave."""
    out: list[tuple[str, int, int, int, str]] = []
    final = results[results["final_situation"].isin(["P", "R"])]
    leave = rng.random(len(final)) < 0.03
    for (sid, rbd, c, g, letter, sit), gone in zip(
        final[["student_id", "rbd", "cod_ense", "grade", "letter", "final_situation"]].itertuples(
            index=False
        ),
        leave,
        strict=True,
    ):
        school = _SCHOOL_BY_RBD[int(rbd)]
        level = next(lv for lv in school.levels if lv.cod_ense == c)
        grade = int(g) + (1 if sit == "P" else 0)
        if (gone and rbd not in (TINY_SCHOOL_RBD,)) or grade not in level.grades:
            continue
        out.append((sid, int(rbd), int(c), grade, letter))
    return out


# -- the case school's comparison group ----------------------------------------------------
CASE_LOWER_GRADES = (1, 2, 3, 4)
"""In Escuela Los Aromos, the headline community is the generalists of 1° to 4° A; the B
courses of those grades are taught by no community member: its comparison group."""
CASE_MOVED_FAILURES: dict[int, int] = {2023: 2, 2024: 1, 2025: 2}
"""Failures moved from the case school's lower A courses to their B twins, per year."""


def _teaches_lower(position: _Position, letter: str | None = None) -> bool:
    return any(
        c == 110 and g in CASE_LOWER_GRADES and (letter is None or x == letter)
        for c, g, x, _ in position.teaches
    )


def _case_members(
    members: pd.DataFrame, positions: list[_Position], roster: pd.DataFrame
) -> pd.DataFrame:
    """Escuela Los Aromos' communities set so that the headline one has a comparison group:
    it is the generalists of 1° to 4° A (each teaches only its own course); no member of
    another community teaches a course of 1° to 4° (those are the other two communities'
    subject teachers of 5° to 8°). No random draw: the other schools are untouched."""
    mine = {p.key: p for p in positions if p.rbd == CASE_SCHOOL_RBD}
    lower = {k for k, p in mine.items() if _teaches_lower(p)}
    generalists_a = [
        k for k, p in mine.items()
        if p.teaches and all(c == 110 and g in CASE_LOWER_GRADES and x == "A"
                             for c, g, x, _ in p.teaches)
    ]  # fmt: skip
    holder = {
        (int(y), p): t
        for y, p, t in roster[["year", "position", "teacher_id"]].itertuples(index=False)
        if p in mine
    }
    post_of = {(y, t): p for (y, p), t in holder.items()}
    keep = []
    for y, cid, t in members.itertuples(index=False):
        other_school = not cid.startswith(f"com-{CASE_SCHOOL_RBD}-")
        upper_only = cid != IMPROVING_COMMUNITY_ID and post_of.get((int(y), t)) not in lower
        if other_school or upper_only:
            keep.append((y, cid, t))
    upper = sorted(k for k, p in mine.items() if p.teaches and k not in lower)
    for year in sorted({int(y) for y in members["year"]}):
        keep += [(year, IMPROVING_COMMUNITY_ID, holder[(year, k)]) for k in generalists_a]
        # A community keeps at least three members: from the posts of 5° to 8° in none.
        taken = {t for y, _, t in keep if int(y) == year}
        spare = [holder[(year, k)] for k in upper if holder[(year, k)] not in taken]
        for cid in sorted({c for _, c, _ in keep if c.startswith(f"com-{CASE_SCHOOL_RBD}-")}):
            have = sum(1 for y, c, _ in keep if int(y) == year and c == cid)
            while have < 3 and spare:
                keep.append((year, cid, spare.pop(0)))
                have += 1
    out = pd.DataFrame(keep, columns=list(members.columns))
    return out.drop_duplicates().reset_index(drop=True)


def _case_contrast(
    results: pd.DataFrame, attendance: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Escuela Los Aromos' failures of 1° to 4° básico moved between the A courses (the
    headline community's) and the B courses (its comparison group), by swapping a failing A
    student's course with a passing B classmate's of the same grade
    (:data:`CASE_MOVED_FAILURES`): the school's counts and every student's record stay, so
    the guide's case (6,0 % → 2,0 %) holds; the B courses also improve a little, less than
    the A courses (a difference in differences smaller than the raw change)."""
    results = results.copy()
    attendance = attendance.copy()
    for year, moves in CASE_MOVED_FAILURES.items():
        done = 0
        for grade in CASE_LOWER_GRADES:
            at = (
                (results["year"] == year) & (results["rbd"] == CASE_SCHOOL_RBD)
                & (results["cod_ense"] == 110) & (results["grade"] == grade)
            )  # fmt: skip
            failing = results.index[at & (results["letter"] == "A")
                                    & (results["final_situation"] == "R")]  # fmt: skip
            passing = results.index[at & (results["letter"] == "B")
                                    & (results["final_situation"] == "P")]  # fmt: skip
            for a, b in zip(sorted(failing), sorted(passing), strict=False):
                if done == moves:
                    break
                sa, sb = results.at[a, "student_id"], results.at[b, "student_id"]
                results.loc[[a, b], "letter"] = ["B", "A"]
                for sid, letter in ((sa, "B"), (sb, "A")):
                    rows = (
                        (attendance["year"] == year) & (attendance["rbd"] == CASE_SCHOOL_RBD)
                        & (attendance["student_id"] == sid)
                    )  # fmt: skip
                    attendance.loc[rows, "letter"] = letter
                done += 1
        if done != moves:
            raise AssertionError(f"demo: only {done} of {moves} failures moved in {year}")
    return results, attendance


# -- communities, schedule, sessions --------------------------------------------------------
def _communities(
    rng: np.random.Generator, positions: list[_Position], roster: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    holder = {
        (int(y), p): t
        for y, p, t in roster[["year", "position", "teacher_id"]].itertuples(index=False)
    }
    com_rows: list[tuple[str, int, str, str, str, date]] = []
    member_rows: list[tuple[int, str, str]] = []
    for school in _SCHOOLS:
        mine = [p for p in positions if p.rbd == school.rbd]
        free = [p.key for p in mine]
        profile = school.profile
        for n, (kind, name, focus) in enumerate(_COMMUNITIES[school.rbd], start=1):
            cid = f"com-{school.rbd}-{n}"
            com_rows.append(
                (
                    cid,
                    school.rbd,
                    name,
                    kind,
                    focus,
                    date(2024, 3, 4) + timedelta(days=int(rng.integers(0, 21))),
                )
            )
            if school.rbd == TINY_SCHOOL_RBD:
                keys = free[:2]
            else:
                size = min(
                    int(rng.integers(4, 8)), len(free) - 4 * (len(_COMMUNITIES[school.rbd]) - n)
                )
                keys = [free[i] for i in sorted(rng.choice(len(free), size=size, replace=False))]
            free = [k for k in free if k not in keys]
            first = [holder[(2024, k)] for k in keys]
            member_rows += [(2024, cid, t) for t in first]
            later: list[str] = []
            for k, t in zip(keys, first, strict=True):
                now = holder[(2025, k)]
                if profile == "stalled":
                    if now == t and rng.random() < 0.75:
                        later.append(now)
                elif now == t or rng.random() < 0.7:
                    later.append(now)
            for t in (holder[(2025, k)] for k in keys):
                if len(later) >= min(3, len(keys)):
                    break
                if t not in later:
                    later.append(t)  # a community keeps at least three members
            member_rows += [(2025, cid, t) for t in later]
    communities = pd.DataFrame(
        com_rows, columns=["id", "rbd", "name", "kind", "focus", "start_date"]
    )
    members = pd.DataFrame(member_rows, columns=["year", "community_id", "teacher_id"])
    return communities, members.drop_duplicates().reset_index(drop=True)


def _nth_weekday(year: int, month: int, weekday: int, nth: int) -> date:
    """The ``nth`` (1-based) given weekday (Monday = 0) of a month."""
    d = date(year, month, 1)
    d += timedelta(days=(weekday - d.weekday()) % 7)
    return d + timedelta(weeks=nth - 1)


def _free_weekday(d: date, used: set[date], step: int = 1) -> date:
    """The first weekday from ``d`` (forwards or backwards) that is not in ``used``."""
    while d.weekday() >= 5 or d in used:
        d += timedelta(days=step)
    return d


# (kind, months, weekday, nth) of the planned activities of every community
_PLAN: tuple[tuple[str, tuple[int, ...], int, int], ...] = (
    ("reunión", _MONTHS, 2, 1),
    ("reunión", _MONTHS, 2, 3),
    ("observación de aula", (5, 8, 10), 1, 2),
    ("retroalimentación", (5, 8, 10), 3, 2),
    ("taller", (4, 9), 0, 4),
    ("curso", (6,), 4, 4),
    ("otro", (12,), 4, 2),
)


def _schedule(
    rng: np.random.Generator,
    communities: pd.DataFrame,
    members: pd.DataFrame,
    names: dict[str, str],
) -> tuple[pd.DataFrame, pd.DataFrame]:
    act_rows: list[tuple[str, str, str, str, date, date | None, str]] = []
    att_rows: list[tuple[str, date, str, bool, int]] = []
    by_year: dict[tuple[str, int], list[str]] = {}
    for y, cid, tid in members[["year", "community_id", "teacher_id"]].itertuples(index=False):
        by_year.setdefault((str(cid), int(y)), []).append(str(tid))
    for cid, rbd, start in communities[["id", "rbd", "start_date"]].itertuples(index=False):
        school = _SCHOOL_BY_RBD[int(rbd)]
        prof = _PROFILES[school.profile]
        small = cid == SMALL_COMMUNITY_ID
        coordinator = names[by_year[(cid, 2024)][0]]
        peer = names[by_year[(cid, 2024)][-1]]
        planned: list[tuple[str, date, str]] = []
        for year in (2024, 2025, 2026):
            for kind, months, weekday, nth in _PLAN:
                if small and kind == "reunión" and nth == 3:
                    continue  # the rural community meets once a month
                for m in months:
                    d = _nth_weekday(year, m, weekday, nth)
                    if d < start:
                        continue
                    who = (
                        school.utp
                        if kind in ("taller", "curso", "otro")
                        else peer
                        if kind in ("observación de aula", "retroalimentación")
                        else coordinator
                    )
                    planned.append((kind, d, who))
        planned.sort(key=lambda x: (x[1], x[0]))
        # How many past activities were done is decided per year (so that compliance is what
        # the profile says, not a coin toss); workshops, which depend on the leadership
        # team's agenda, are the likelier to fall through.
        done_set: set[int] = set()
        for year in (2024, 2025, 2026):
            past = [
                i for i, (_, d, _) in enumerate(planned) if d.year == year and d <= REFERENCE_DATE
            ]
            if not past:
                continue
            weight = np.array([0.6 if planned[i][2] == school.utp else 1.0 for i in past])
            n_done = round(prof["done"][year - 2024] * len(past))
            done_set.update(
                int(i)
                for i in rng.choice(past, size=n_done, replace=False, p=weight / weight.sum())
            )
        used: set[date] = set()  # session dates already taken: one session a day
        held: dict[int, list[tuple[date, str]]] = {}  # year -> (session date, teacher)
        for n, (kind, d, who) in enumerate(planned, start=1):
            aid = f"act-{cid[4:]}-{n:03d}"
            done: date | None = None
            if d > REFERENCE_DATE:
                status = "planificada"
            elif n - 1 in done_set:
                status = "realizada"
                delay = 0 if rng.random() < 0.7 else int(rng.integers(1, 8))
                done = _free_weekday(d + timedelta(days=delay), used)
                if done > REFERENCE_DATE:
                    done = _free_weekday(d, used, step=-1)
                used.add(done)
            else:
                v = rng.random()
                status = "reprogramada" if v < 0.55 else "cancelada" if v < 0.85 else "planificada"
            act_rows.append((aid, cid, kind, who, d, done, status))
            if done is not None and kind in SESSION_KINDS:
                roster_year = min(done.year, 2025)  # 2026 sessions: the 2025 members
                held.setdefault(done.year, []).extend(
                    (done, tid) for tid in by_year.get((cid, roster_year), [])
                )
        # Participation, too, is decided per year: that share of the records say "attended".
        for year, records in sorted(held.items()):
            n_came = round(prof["part"][year - 2024] * len(records))
            came = np.zeros(len(records), dtype=bool)
            came[rng.choice(len(records), size=n_came, replace=False)] = True
            shared = rng.poisson(prof["strat"][year - 2024], size=len(records))
            for (day, tid), c, sh in zip(records, came, shared, strict=True):
                att_rows.append((cid, day, tid, bool(c), int(min(sh, 6)) if c else 0))
    activities = pd.DataFrame(
        act_rows,
        columns=[
            "id",
            "community_id",
            "kind",
            "responsible",
            "planned_date",
            "done_date",
            "status",
        ],
    )
    sessions = pd.DataFrame(
        att_rows,
        columns=["community_id", "session_date", "teacher_id", "attended", "strategies_shared"],
    )
    return activities, sessions


# -- surveys, evaluations, SIMCE ------------------------------------------------------------
def _answers(
    rng: np.random.Generator, level: np.ndarray, offset: np.ndarray, reverse: np.ndarray
) -> np.ndarray:
    """Answers 1–5 as answered, one row per person and one column per item.

    Each person gives ``round(level × items)`` favourable answers (4–5 after reversal), so a
    group's % favourable follows its level closely; which items they are leans on the
    dimension's ``offset``.
    """
    n_people, n_items = len(level), len(offset)
    count = np.round(np.clip(level, 0.0, 1.0) * n_items).astype(int)
    score = rng.random((n_people, n_items)) - 3 * offset
    rank = np.argsort(np.argsort(score, axis=1), axis=1)
    fav = rank < count[:, None]
    high = np.where(rng.random((n_people, n_items)) < 0.45, 5, 4)
    low = rng.choice(np.array([1, 2, 3]), size=(n_people, n_items), p=[0.15, 0.35, 0.5])
    value = np.where(fav, high, low)
    return np.where(reverse, 6 - value, value)


def _pseudonym(*parts: object) -> str:
    return hashlib.sha256(":".join(map(str, parts)).encode()).hexdigest()[:16]


def _surveys(
    rng: np.random.Generator,
    roster: pd.DataFrame,
    members: pd.DataFrame,
    results: pd.DataFrame,
    assignments: pd.DataFrame,
) -> pd.DataFrame:
    community_of = {(int(y), t): c for y, c, t in members.itertuples(index=False)}
    # The community (if any) of a member who teaches each course that year.
    course_community: dict[tuple[int, int, int, int, str], str] = {}
    for y, t, rbd, c, g, letter in assignments[
        ["year", "teacher_id", "rbd", "cod_ense", "grade", "letter"]
    ].itertuples(index=False):
        cid = community_of.get((int(y), t))
        key = (int(y), int(rbd), int(c), int(g), letter)
        if cid is not None and (key not in course_community or cid < course_community[key]):
            course_community[key] = cid
    frames: list[pd.DataFrame] = []
    for w, (wave, year, month) in enumerate(_WAVES):
        # Teachers: members answer in a session of their community; 80 % of the others answer.
        staff = roster[roster["year"] == year]
        is_member = np.array([(year, t) in community_of for t in staff["teacher_id"]])
        staff = staff[is_member | (rng.random(len(staff)) < 0.8)]
        people: list[tuple[str, str, int, str | None, str, float]] = []
        for tid, rbd in staff[["teacher_id", "rbd"]].itertuples(index=False):
            cid = community_of.get((year, tid))
            prof = _PROFILES[_SCHOOL_BY_RBD[int(rbd)].profile]
            level = prof["survey"][w] - (0.0 if cid else 0.04)
            people.append(
                ("docente", _pseudonym("docente", tid), int(rbd), cid, TEACHER_INSTRUMENT, level)
            )
        # Students: 30 a school (all from 4° básico up in the rural school).
        final = results[(results["year"] == year) & results["final_situation"].isin(["P", "R"])]
        final = final[
            (final["cod_ense"] == 310)
            | (final["grade"] >= 5)
            | ((final["rbd"] == TINY_SCHOOL_RBD) & (final["grade"] >= 4))
        ]
        for rbd in sorted(final["rbd"].unique()):
            group = final[final["rbd"] == rbd]
            take = group.iloc[
                np.sort(rng.choice(len(group), size=min(30, len(group)), replace=False))
            ]
            prof = _PROFILES[_SCHOOL_BY_RBD[int(rbd)].profile]
            base = prof["survey"]
            level = base[0] - 0.05 + 0.8 * (base[w] - base[0])
            for sid, c, g, letter in take[["student_id", "cod_ense", "grade", "letter"]].itertuples(
                index=False
            ):
                cid = course_community.get((year, int(rbd), int(c), int(g), letter))
                people.append(
                    (
                        "estudiante",
                        _pseudonym("estudiante", sid),
                        int(rbd),
                        cid,
                        STUDENT_INSTRUMENT,
                        level,
                    )
                )
        day_lo, day_hi = (8, 27) if month == 4 else (4, 23)
        for kind, items in (("docente", TEACHER_ITEMS), ("estudiante", STUDENT_ITEMS)):
            who = [p for p in people if p[0] == kind]
            n_people, n_items = len(who), len(items)
            level = np.array([p[5] for p in who]) + rng.normal(0, 0.04, n_people)
            offset = np.array([_DIMENSION_OFFSET[i.dimension] for i in items])
            reverse_items = np.array([i.reverse_coded for i in items])
            answers = _answers(rng, level, offset, reverse_items).ravel()
            reverse = np.tile(reverse_items, n_people)
            days = rng.integers(day_lo, day_hi, size=n_people)
            frames.append(
                pd.DataFrame(
                    {
                        "instrument": np.repeat([p[4] for p in who], n_items),
                        "wave": wave,
                        "response_date": np.repeat(
                            [date(year, month, int(d)) for d in days], n_items
                        ),
                        "respondent_kind": kind,
                        "respondent_id": np.repeat([p[1] for p in who], n_items),
                        "rbd": np.repeat([p[2] for p in who], n_items),
                        "community_id": np.repeat(
                            np.array([p[3] for p in who], dtype=object), n_items
                        ),
                        "item": np.tile([i.text for i in items], n_people),
                        "dimension": np.tile([i.dimension for i in items], n_people),
                        "reverse_coded": reverse,
                        "answer": answers.astype("int8"),
                    }
                )
            )
    return pd.concat(frames, ignore_index=True)


def _evaluations(
    rng: np.random.Generator, roster: pd.DataFrame, members: pd.DataFrame
) -> pd.DataFrame:
    """One class observation a year per teacher, scored 1–4 in each MBE domain; besides, a
    self-evaluation (a little kinder) and a peer feedback (a little closer to the observation),
    and for a quarter of the teachers each year the Evaluación Docente."""
    member = {(int(y), t) for y, _, t in members.itertuples(index=False)}
    rows: list[tuple[str, int, date, str, str, int]] = []
    levels: list[tuple[str, int, int, float]] = []
    offsets = {"A": 0.1, "B": 0.15, "C": -0.1, "D": 0.0}
    for year, tid, rbd, exp, skill in roster[
        ["year", "teacher_id", "rbd", "years_experience", "skill"]
    ].itertuples(index=False):
        prof = _PROFILES[_SCHOOL_BY_RBD[int(rbd)].profile]
        k = int(year) - YEARS[0]
        in_community = (2024, tid) in member or (2025, tid) in member
        trend = prof["eval"] * k * (1.0 if in_community else 0.4)
        base = 2.55 + 0.25 * skill + trend - (0.3 if exp < 3 else 0.0)
        when = date(int(year), int(rng.integers(6, 11)), int(rng.integers(1, 29)))
        for domain, off in offsets.items():
            score = int(np.clip(np.round(base + off + rng.normal(0, 0.45)), 1, 4))
            rows.append((tid, int(rbd), when, "observación de aula", domain, score))
        levels.append((tid, int(rbd), int(year), base))
    # Drawn after the observations, so that these keep the scores of earlier versions.
    for instrument, bias, noise in (
        ("autoevaluación", 0.35, 0.5),
        ("retroalimentación de pares", 0.1, 0.4),
    ):
        for tid, rbd, year, base in levels:
            when = date(year, int(rng.integers(4, 12)), int(rng.integers(1, 29)))
            for domain, off in offsets.items():
                score = int(np.clip(np.round(base + bias + off + rng.normal(0, noise)), 1, 4))
                rows.append((tid, rbd, when, instrument, domain, score))
    # The Evaluación Docente, last (so that the rows above keep their scores): every teacher
    # is evaluated once in four years, in September, a little kinder than the observation.
    for tid, rbd, year, base in levels:
        if int(hashlib.sha256(tid.encode()).hexdigest(), 16) % 4 != year % 4:
            continue
        when = date(year, 9, int(rng.integers(1, 29)))
        for domain, off in offsets.items():
            score = int(np.clip(np.round(base + 0.2 + off + rng.normal(0, 0.35)), 1, 4))
            rows.append((tid, rbd, when, "evaluación docente", domain, score))
    return pd.DataFrame(
        rows, columns=["teacher_id", "rbd", "eval_date", "instrument", "domain", "score"]
    )


_SIMCE_COLUMNS = [
    "year",
    "rbd",
    "test",
    "grade_level",
    "subject",
    "mean_score",
    "students_assessed",
    "agency_change",
    "agency_change_sig",
    "gse_difference",
    "gse_difference_sig",
    "pct_insufficient",
    "pct_elementary",
    "pct_adequate",
    "withheld_mark",
]
_GSE_MEAN = {"lectura": 262.0, "matemática": 251.0}
"""The demo's stand-in for the mean of schools of the same socioeconomic group (per subject)."""
_IDPS = {"AM": 74.0, "CC": 72.0, "PF": 77.0, "HV": 68.0}
"""IDPS codes and the demo's 2023 level of each (the Agencia's scale: 0 to 100)."""


def _significance(diff: float, threshold: float) -> int:
    """The demo's rule for the Agencia's significance: a difference of ``threshold`` or more."""
    return 1 if diff >= threshold else -1 if diff <= -threshold else 0


def _standards(score: float) -> tuple[float, float, float]:
    """% Insuficiente, Elemental, Adecuado consistent with a mean score (they add to 100)."""
    adequate = float(np.clip(round(0.9 * (score - 225.0), 1), 2.0, 90.0))
    insufficient = float(np.clip(round(0.9 * (285.0 - score), 1), 2.0, 90.0))
    return insufficient, round(100.0 - adequate - insufficient, 1), adequate


_DIA_GAIN = {"improving": (4.0, 12.0, 15.0), "stalled": (3.0, 2.0, 1.0)}
"""Points of Nivel III satisfactorio a course gains from diagnóstico to cierre, per year; the
other profiles gain 5 every year. The model starts in March 2024: the improving schools' DIA
moves more within the year from then on."""
_DIA_PERIODS = ("diagnóstico", "monitoreo intermedio", "cierre")
_DIA_COLUMNS = [
    "year",
    "rbd",
    "period",
    "grade_level",
    "area",
    "pct_insatisfactorio",
    "pct_intermedio",
    "pct_satisfactorio",
    "pct_logro",
    "students_assessed",
]


def _dia(rng: np.random.Generator, results: pd.DataFrame) -> pd.DataFrame:
    """The DIA as each school reads it off the platform: 2° and 4° básico (II medio in a
    liceo), lectura and matemática, three periods a year; % at each level adding to 100."""
    rows: list[tuple[object, ...]] = []
    enrolled = results[results["final_situation"].isin(["P", "R"])]
    for school in _SCHOOLS:
        gains = _DIA_GAIN.get(school.profile, (5.0, 5.0, 5.0))
        grades = [
            (cod_ense, grade, name)
            for cod_ense, grade, name in ((110, 2, "2b"), (110, 4, "4b"), (310, 2, "2m"))
            if any(lv.cod_ense == cod_ense and grade in lv.grades for lv in school.levels)
        ]
        for cod_ense, grade, name in grades:
            for y, year in enumerate(YEARS):
                n = int(
                    (
                        (enrolled["year"] == year)
                        & (enrolled["rbd"] == school.rbd)
                        & (enrolled["cod_ense"] == cod_ense)
                        & (enrolled["grade"] == grade)
                    ).sum()
                )
                for area, start in (("lectura", 34.0), ("matemática", 28.0)):
                    base = start + 30.0 * school.grade_effect + rng.normal(0, 3)
                    insufficient = float(np.clip(48.0 - 0.6 * base + rng.normal(0, 2), 5, 80))
                    for p, period in enumerate(_DIA_PERIODS):
                        sat = float(round(np.clip(base + gains[y] * p / 2, 3, 90), 1))
                        ins = float(round(np.clip(insufficient - gains[y] * p / 3, 2, 90), 1))
                        ins = min(ins, round(100.0 - sat, 1))
                        logro = float(round(30.0 + 0.6 * sat + rng.normal(0, 1.5), 1))
                        assessed = max(0, n - int(rng.integers(0, 3)))
                        inter = round(100.0 - sat - ins, 1)
                        rows.append(
                            (year, school.rbd, period, name, area, ins, inter, sat, logro, assessed)
                        )
    return pd.DataFrame(rows, columns=_DIA_COLUMNS)


def _simce(rng: np.random.Generator, results: pd.DataFrame) -> pd.DataFrame:
    """SIMCE per school, year and series as the Agencia publishes it (score, standards, its
    difference with the previous year and with the same socioeconomic group, each with a
    significance; a mark where too few students were assessed), then IDPS (4 indicators)."""
    rows: list[tuple[object, ...]] = []
    enrolled = results[results["final_situation"].isin(["P", "R"])]
    for school in _SCHOOLS:
        prof = _PROFILES[school.profile]
        for cod_ense, grade, level_name in ((110, 4, "4b"), (310, 2, "2m")):
            if not any(lv.cod_ense == cod_ense for lv in school.levels):
                continue
            previous: dict[str, float | None] = {}
            for year in YEARS:
                n = int(
                    (
                        (enrolled["year"] == year)
                        & (enrolled["rbd"] == school.rbd)
                        & (enrolled["cod_ense"] == cod_ense)
                        & (enrolled["grade"] == grade)
                    ).sum()
                )
                assessed = round(n * 0.9)
                for subject, b in _GSE_MEAN.items():
                    score = (
                        b
                        + 40 * school.grade_effect
                        + prof["simce"] * (year - YEARS[0])
                        - (12 if cod_ense == 310 else 0)
                        + rng.normal(0, 3)
                    )
                    mean = float(round(score)) if assessed >= 10 else None
                    before = previous.get(subject)
                    previous[subject] = mean
                    if mean is None:
                        rows.append(
                            (year, school.rbd, "SIMCE", level_name, subject, None, assessed)
                            + (None,) * 7
                            + ("1",)
                        )
                        continue
                    dif = None if before is None else mean - before
                    gse = mean - _GSE_MEAN[subject]
                    rows.append(
                        (
                            year,
                            school.rbd,
                            "SIMCE",
                            level_name,
                            subject,
                            mean,
                            assessed,
                            dif,
                            None if dif is None else _significance(dif, 8.0),
                            gse,
                            _significance(gse, 10.0),
                            *_standards(mean),
                            None,
                        )
                    )
    for school in _SCHOOLS:
        prof = _PROFILES[school.profile]
        for cod_ense, level_name in ((110, "4b"), (310, "2m")):
            if not any(lv.cod_ense == cod_ense for lv in school.levels):
                continue
            for code, level in _IDPS.items():
                before = None
                for year in YEARS:
                    value = float(
                        round(level + prof["simce"] * 0.3 * (year - YEARS[0]) + rng.normal(0, 1))
                    )
                    dif = None if before is None or year == YEARS[0] else value - before
                    before = value
                    gse = value - level
                    sig: int | None = None if dif is None else _significance(dif, 3.0)
                    agency = (dif, sig, gse, _significance(gse, 3.0))
                    rows.append(
                        (year, school.rbd, "IDPS", level_name, code, value, None, *agency)
                        + (None,) * 4
                    )
    return pd.DataFrame(rows, columns=_SIMCE_COLUMNS)


# -- targets --------------------------------------------------------------------------------
_PROCESS_TARGETS: dict[str, float] = {
    "cumplimiento_cronograma": 85.0,
    "percepcion_colaboracion": 75.0,
    "percepcion_apoyo": 70.0,
    "percepcion_satisfaccion": 70.0,
    "percepcion_aprendizaje": 70.0,
    "frecuencia_reuniones": 2.0,
    "participacion_activa": 85.0,
    "intercambio_estrategias": 1.0,
    "permanencia_docente": 90.0,
}
_REASONS: dict[str, str] = {
    "cumplimiento_cronograma": "Realizar al menos el 85 % de las actividades del cronograma.",
    "percepcion_colaboracion": "Que la mayoría de los docentes valore el trabajo colaborativo.",
    "percepcion_apoyo": "Que docentes y estudiantes se sientan apoyados.",
    "percepcion_satisfaccion": "Aumentar la satisfacción con el desarrollo profesional.",
    "percepcion_aprendizaje": "Que se perciban efectos del trabajo en el aprendizaje.",
    "frecuencia_reuniones": "Sesionar dos veces al mes, como acordó el equipo directivo.",
    "participacion_activa": "Asegurar la asistencia de los integrantes a las sesiones.",
    "intercambio_estrategias": "Compartir al menos una estrategia por sesión.",
    "desempeno_docente": "Mejorar el desempeño observado en aula respecto de la línea base.",
    "promedio_notas": "Subir dos décimas el promedio de notas respecto de la línea base.",
    "tasa_aprobacion": "Aumentar la aprobación en dos puntos respecto de la línea base.",
    "tasa_reprobacion": "Reducir a la mitad la reprobación de la línea base.",
    "tasa_retiro": "Reducir el retiro escolar en un 30 %.",
    "tasa_repitencia": "Reducir la repitencia en un 30 %.",
    "asistencia_promedio": "Subir dos puntos la asistencia promedio.",
    "inasistencia_cronica": "Reducir en un tercio la inasistencia crónica.",
    "permanencia_docente": "Retener al 90 % de los docentes de un año a otro.",
}


_DEFAULT_REASON = "Meta acordada con el equipo directivo."
"""The reason of a target for an indicator without its own sentence above."""


def _student_baselines(results: pd.DataFrame, rbds: list[int]) -> dict[str, float]:
    """Baseline values of the student indicators over the given schools (plain pandas)."""
    base = results[(results["year"] == BASELINE_YEAR) & results["rbd"].isin(rbds)]
    final = base[base["final_situation"].isin(["P", "R"])]
    n_pr = len(final)
    n_r = int((final["final_situation"] == "R").sum())
    n_y = int((base["final_situation"] == "Y").sum())
    y1 = results[(results["year"] == 2024) & results["rbd"].isin(rbds)]
    y0 = results[(results["year"] == 2023)][["student_id", "cod_ense", "grade"]]
    both = y1.drop_duplicates("student_id").merge(
        y0.drop_duplicates("student_id"), on="student_id", suffixes=("", "_prev")
    )
    repeated = (
        (both["grade"] == both["grade_prev"]) & (both["cod_ense"] == both["cod_ense_prev"])
    ).sum()
    return {
        "promedio_notas": float(final["final_average"].mean()),
        "tasa_aprobacion": 100.0 * (n_pr - n_r) / n_pr,
        "tasa_reprobacion": 100.0 * n_r / n_pr,
        "tasa_retiro": 100.0 * n_y / (n_pr + n_y),
        "tasa_repitencia": 100.0 * float(repeated) / max(len(both), 1),
        "asistencia_promedio": float(final["attendance_pct"].mean()),
        "inasistencia_cronica": 100.0 * float((final["attendance_pct"] < 90).mean()),
    }


def _target_values(frames: dict[str, pd.DataFrame], rbds: list[int]) -> dict[str, float]:
    b = _student_baselines(frames["student_result"], rbds)
    ev = frames["teacher_evaluation"]
    ev = ev[
        (ev["rbd"].isin(rbds))
        & (pd.to_datetime(ev["eval_date"]).dt.year == BASELINE_YEAR)
        & (ev["instrument"] == "observación de aula")
    ]
    values = dict(_PROCESS_TARGETS)
    values.update(
        {
            "desempeno_docente": round(min(4.0, float(ev["score"].mean()) + 0.3), 1),
            "promedio_notas": round(min(7.0, b["promedio_notas"] + 0.2), 1),
            "tasa_aprobacion": round(min(99.5, b["tasa_aprobacion"] + 2.0), 1),
            "tasa_reprobacion": round(max(0.5, b["tasa_reprobacion"] / 2), 1),
            "tasa_retiro": round(max(0.3, b["tasa_retiro"] * 0.7), 1),
            "tasa_repitencia": round(max(0.5, b["tasa_repitencia"] * 0.7), 1),
            "asistencia_promedio": round(min(97.0, b["asistencia_promedio"] + 2.0), 1),
            "inasistencia_cronica": round(max(5.0, b["inasistencia_cronica"] * 2 / 3), 1),
        }
    )
    return values


def _targets(frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    rows: list[tuple[str, str, str, float, int, str]] = []
    for school in _SCHOOLS:
        values = _target_values(frames, [school.rbd])
        if school.rbd == CASE_SCHOOL_RBD:
            values["tasa_reprobacion"] = CASE_TARGET
        for code in INDICATOR_CODES:
            if code not in values:  # an indicator the demo sets no target for
                continue
            reason = _REASONS.get(code, _DEFAULT_REASON)
            if school.rbd == CASE_SCHOOL_RBD and code == "tasa_reprobacion":
                reason = "Bajar la reprobación del 6 % de 2023 a 3 % en 2025 (caso de la guía)."
            rows.append(
                (code, "establecimiento", str(school.rbd), values[code], TARGET_YEAR, reason)
            )
    values = _target_values(frames, [s.rbd for s in _SCHOOLS])
    rows += [
        (
            code,
            "territorio",
            SLEP_ID,
            values[code],
            TARGET_YEAR,
            "Meta del plan local de desarrollo profesional del SLEP.",
        )
        for code in INDICATOR_CODES
        if code in values
    ]
    community_codes = (
        "cumplimiento_cronograma",
        "participacion_activa",
        "frecuencia_reuniones",
        "percepcion_colaboracion",
        "desempeno_docente",
        "promedio_notas",
    )
    communities = frames["community"]
    for cid in (*IMPROVING_COMMUNITY_IDS, *STALLED_COMMUNITY_IDS, SMALL_COMMUNITY_ID):
        rbd = int(communities.loc[communities["id"] == cid, "rbd"].iloc[0])
        values = _target_values(frames, [rbd])
        values["frecuencia_reuniones"] = 1.0 if cid == SMALL_COMMUNITY_ID else 2.0
        values["cumplimiento_cronograma"] = 90.0
        rows += [
            (
                code,
                "comunidad",
                cid,
                values[code],
                TARGET_YEAR,
                "Meta acordada por la comunidad al iniciar su trabajo.",
            )
            for code in community_codes
            if code in values
        ]
    return pd.DataFrame(
        rows,
        columns=["indicator", "scope_kind", "scope_id", "target_value", "deadline_year", "reason"],
    )
