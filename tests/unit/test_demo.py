"""The demo store (tablero_demo.demo) and the national benchmark store (tablero_demo.national).

The story checks recompute every figure from the stored rows with plain SQL, independently of
the indicator engine.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pandas as pd
import pytest

from metrics.config import DEMO_SEED, MIN_GROUP_SIZE
from metrics.errors import StoreError
from metrics.scope import Scope
from metrics.store import DATA_TABLES, Store, open_store
from tablero_demo import demo, words
from tablero_demo.national import build_national

CATALOGUE = {
    "cumplimiento_cronograma",
    "percepcion_colaboracion",
    "percepcion_apoyo",
    "percepcion_satisfaccion",
    "percepcion_aprendizaje",
    "frecuencia_reuniones",
    "participacion_activa",
    "intercambio_estrategias",
    "desempeno_docente",
    "promedio_notas",
    "tasa_aprobacion",
    "tasa_reprobacion",
    "tasa_retiro",
    "tasa_repitencia",
    "asistencia_promedio",
    "inasistencia_cronica",
    "permanencia_docente",
}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Store, dict[str, int]]:
    store = open_store(tmp_path_factory.mktemp("demo") / "demo.duckdb")
    counts = demo.build_demo(store)
    yield store, counts
    store.close()


@pytest.fixture(scope="module")
def store(built: tuple[Store, dict[str, int]]) -> Store:
    return built[0]


def scalar(store: Store, sql: str, params: list[object] | None = None) -> object:
    return store.query_df(sql, params).iloc[0, 0]


# -- determinism ----------------------------------------------------------------------------
def test_same_seed_gives_the_same_fingerprint(store: Store) -> None:
    with open_store(":memory:") as again:
        demo.build_demo(again, DEMO_SEED)
        assert again.fingerprint() == store.fingerprint()


def test_another_seed_gives_another_store(store: Store) -> None:
    with open_store(":memory:") as other:
        demo.build_demo(other, DEMO_SEED + 1)
        assert other.fingerprint() != store.fingerprint()


def test_refuses_a_store_with_data(store: Store) -> None:
    before = store.fingerprint()
    with pytest.raises(StoreError, match="ya contiene datos"):
        demo.build_demo(store)
    assert store.fingerprint() == before


def test_demo_module_does_not_import_duckdb_or_streamlit() -> None:
    tree = ast.parse(Path(demo.__file__).read_text(encoding="utf-8"))
    names = {
        alias.name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    }
    names |= {
        (node.module or "").split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
    }
    assert not names & {"duckdb", "streamlit"}


# -- sizes ----------------------------------------------------------------------------------
def test_counts_returned_match_the_tables(built: tuple[Store, dict[str, int]]) -> None:
    store, counts = built
    assert list(counts) == list(DATA_TABLES)
    for table in DATA_TABLES:
        assert counts[table] == scalar(store, f"SELECT count(*) FROM {table}"), table
        assert counts[table] > 0, table


def test_sizes_are_those_of_a_small_slep(store: Store) -> None:
    assert scalar(store, "SELECT count(*) FROM school") == 12
    assert 25 <= scalar(store, "SELECT count(*) FROM community") <= 35
    kinds = set(store.query_df("SELECT DISTINCT kind FROM community")["kind"])
    assert len(kinds) == 6
    assert 250 <= scalar(store, "SELECT count(*) FROM teacher") <= 350
    per_year = store.query_df(
        "SELECT year, count(DISTINCT student_id) AS n FROM student_result GROUP BY year"
    )
    assert sorted(per_year["year"]) == [2023, 2024, 2025]
    assert per_year["n"].between(5000, 7000).all()
    territories = store.query_df("SELECT kind, count(*) AS n FROM territory GROUP BY kind")
    assert set(territories["kind"]) == {"slep", "deprov", "comuna"}
    assert scalar(store, "SELECT count(*) FROM school WHERE baseline_year IS NOT NULL") == 0
    assert (
        scalar(store, "SELECT count(DISTINCT year(start_date)) FROM community") == 1
    )  # every community started in 2024


def test_students_and_teachers_look_real(store: Store) -> None:
    ids = store.query_df("SELECT DISTINCT student_id FROM student_result")["student_id"]
    assert ids.str.fullmatch(r"[0-9a-f]{16}").all()
    novices = scalar(
        store, "SELECT avg((years_experience < 3)::INT) FROM teacher_year WHERE year = 2023"
    )
    assert 0.08 <= novices <= 0.25
    chronic = store.query_df(
        "SELECT year, avg((attendance_pct < 90)::INT) AS c FROM student_result "
        "WHERE final_situation IN ('P', 'R') GROUP BY year"
    )
    assert chronic["c"].between(0.25, 0.38).all()
    # Withdrawn students carry 0.0; promoted ones at least 4.0.
    assert (
        scalar(
            store,
            "SELECT count(*) FROM student_result WHERE final_situation = 'Y' "
            "AND final_average <> 0",
        )
        == 0
    )
    assert (
        scalar(store, "SELECT min(final_average) FROM student_result WHERE final_situation = 'P'")
        >= 4.0
    )
    # Transferred students finish the year at another school.
    moved = store.query_df(
        "SELECT t.student_id FROM student_result t JOIN student_result f "
        "ON f.student_id = t.student_id AND f.year = t.year AND f.rbd <> t.rbd "
        "AND f.final_situation IN ('P', 'R') WHERE t.final_situation = 'T'"
    )
    assert (
        len(moved)
        == scalar(store, "SELECT count(*) FROM student_result WHERE final_situation = 'T'")
        > 0
    )
    # Repeaters: same grade the next year.
    assert (
        scalar(
            store,
            "SELECT count(*) FROM student_result a JOIN student_result b "
            "ON b.student_id = a.student_id AND b.year = a.year + 1 AND b.grade = a.grade "
            "AND b.cod_ense = a.cod_ense",
        )
        > 100
    )


def test_monthly_attendance_adds_up_to_the_annual_percentage(store: Store) -> None:
    diff = store.query_df(
        "SELECT year, rbd, student_id, any_value(r.attendance_pct) AS attendance_pct, "
        "(2000 * sum(m.days_attended) + sum(m.days_worked)) // (2 * sum(m.days_worked)) "
        "AS monthly "
        "FROM student_result r JOIN student_attendance m "
        "USING (year, rbd, cod_ense, grade, letter, student_id) GROUP BY ALL"
    )
    assert len(diff) == scalar(store, "SELECT count(*) FROM student_result")
    # Tenths of a percent, rounded half up: exact integers on both sides.
    tenths = (diff["attendance_pct"].astype(float) * 10).round().astype(int)
    assert (tenths == diff["monthly"].astype(int)).all()
    assert (
        scalar(store, "SELECT count(*) FROM student_attendance WHERE days_attended > days_worked")
        == 0
    )
    assert scalar(store, "SELECT count(*) FROM student_attendance WHERE days_worked = 0") > 0
    assert scalar(store, "SELECT max(days_worked) FROM student_attendance") <= 22


def test_schedule_statuses_follow_the_reference_date(store: Store) -> None:
    after = store.query_df(
        "SELECT DISTINCT status FROM activity WHERE planned_date > ?", [demo.REFERENCE_DATE]
    )
    assert list(after["status"]) == ["planificada"]
    span = store.query_df("SELECT min(planned_date) AS a, max(planned_date) AS b FROM activity")
    assert str(span["a"][0])[:7] == "2024-03" and str(span["b"][0])[:7] == "2026-12"
    assert (
        scalar(
            store,
            "SELECT count(*) FROM activity WHERE status = 'realizada' "
            "AND (done_date IS NULL OR done_date > ?)",
            [demo.REFERENCE_DATE],
        )
        == 0
    )
    # One session a day per community, one row per member.
    assert (
        scalar(
            store,
            "SELECT count(*) FROM (SELECT community_id, session_date, teacher_id "
            "FROM session_attendance GROUP BY ALL HAVING count(*) > 1)",
        )
        == 0
    )


def test_surveys_have_three_waves_two_kinds_and_a_reverse_item(store: Store) -> None:
    df = store.query_df(
        "SELECT DISTINCT wave, respondent_kind, dimension, reverse_coded FROM survey_response"
    )
    assert set(df["wave"]) == {"línea base", "intermedia", "final"}
    assert set(df["respondent_kind"]) == {"docente", "estudiante"}
    assert set(df["dimension"]) == {"colaboracion", "apoyo", "satisfaccion", "aprendizaje"}
    assert df["reverse_coded"].any()


# -- the story ------------------------------------------------------------------------------
def test_case_school_repeats_the_guides_case(store: Store) -> None:
    rates = store.query_df(
        "SELECT year, count(*) FILTER (WHERE final_situation = 'R') AS r, count(*) AS n "
        "FROM student_result WHERE rbd = ? AND final_situation IN ('P', 'R') "
        "GROUP BY year ORDER BY year",
        [demo.CASE_SCHOOL_RBD],
    ).set_index("year")
    rate = 100 * rates["r"] / rates["n"]
    assert rate[2023] == 6.0
    assert rate[2024] == 2.0
    assert round(100 * (rate[2024] - rate[2023]) / rate[2023], 1) == -66.7
    assert rate[2025] < 3.0
    target = scalar(
        store,
        "SELECT target_value FROM target WHERE indicator = 'tasa_reprobacion' "
        "AND scope_kind = 'establecimiento' AND scope_id = ? AND deadline_year = 2025",
        [str(demo.CASE_SCHOOL_RBD)],
    )
    assert target == 3.0


_COMMUNITY_STUDENTS = """
    SELECT DISTINCT c.id, y.year, r.student_id, r.final_average, r.final_situation,
           r.attendance_pct
    FROM community c
    CROSS JOIN (VALUES (2023), (2025)) y(year)
    JOIN community_member m ON m.community_id = c.id AND m.year = greatest(y.year, 2024)
    JOIN teaching_assignment a ON a.teacher_id = m.teacher_id AND a.year = y.year
         AND a.rbd = c.rbd
    JOIN student_result r ON r.year = a.year AND r.rbd = a.rbd AND r.cod_ense = a.cod_ense
         AND r.grade = a.grade AND r.letter = a.letter
"""


def community_story(store: Store) -> pd.DataFrame:
    """One row per community: student, survey, schedule and participation figures."""
    students = store.query_df(
        f"""SELECT id, year,
               avg(final_average) FILTER (WHERE final_situation IN ('P', 'R')) AS grade,
               avg(attendance_pct) FILTER (WHERE final_situation IN ('P', 'R')) AS att,
               100 * avg((final_situation = 'P')::INT)
                   FILTER (WHERE final_situation IN ('P', 'R')) AS approval,
               count(DISTINCT student_id) AS n
            FROM ({_COMMUNITY_STUDENTS}) GROUP BY ALL"""
    ).pivot(index="id", columns="year")
    students.columns = [f"{name}_{year}" for name, year in students.columns]
    survey = store.query_df(
        """SELECT community_id AS id, wave,
               100 * avg(((CASE WHEN reverse_coded THEN 6 - answer ELSE answer END) >= 4)::INT)
                   AS fav
           FROM survey_response WHERE respondent_kind = 'docente' AND community_id IS NOT NULL
           GROUP BY ALL"""
    ).pivot(index="id", columns="wave", values="fav")
    schedule = store.query_df(
        "SELECT community_id AS id, 100 * avg((status = 'realizada')::INT) AS compliance "
        "FROM activity WHERE planned_date <= ? GROUP BY ALL",
        [demo.REFERENCE_DATE],
    ).set_index("id")
    part = store.query_df(
        "SELECT community_id AS id, year(session_date) AS year, "
        "100 * avg(attended::INT) AS part FROM session_attendance GROUP BY ALL"
    ).pivot(index="id", columns="year", values="part")
    part.columns = [f"part_{y}" for y in part.columns]
    return students.join(survey).join(schedule).join(part)


@pytest.fixture(scope="module")
def story(store: Store) -> pd.DataFrame:
    return community_story(store)


@pytest.mark.parametrize("cid", demo.IMPROVING_COMMUNITY_IDS)
def test_improving_communities_improve(story: pd.DataFrame, cid: str) -> None:
    row = story.loc[cid]
    assert row["grade_2025"] - row["grade_2023"] >= 0.3
    assert row["att_2025"] - row["att_2023"] >= 1.0
    assert row["approval_2025"] > row["approval_2023"]
    assert row["final"] - row["línea base"] >= 15
    assert row["compliance"] >= 85
    assert row["part_2025"] >= row["part_2024"]
    assert row["n_2023"] >= MIN_GROUP_SIZE and row["n_2025"] >= MIN_GROUP_SIZE


@pytest.mark.parametrize("cid", demo.STALLED_COMMUNITY_IDS)
def test_stalled_communities_stall(story: pd.DataFrame, cid: str) -> None:
    row = story.loc[cid]
    assert abs(row["grade_2025"] - row["grade_2023"]) < 0.15
    assert row["att_2025"] - row["att_2023"] < 1.0
    assert row["approval_2025"] - row["approval_2023"] < 2.0  # flat or slipping
    assert abs(row["final"] - row["línea base"]) < 15
    assert 45 <= row["compliance"] <= 65
    assert row["part_2025"] < row["part_2024"] - 5


def test_teacher_retention_is_lower_where_communities_stall(store: Store) -> None:
    retention = store.query_df(
        "SELECT a.rbd, 100 * avg((b.teacher_id IS NOT NULL)::INT) AS kept "
        "FROM teacher_year a LEFT JOIN teacher_year b ON b.teacher_id = a.teacher_id "
        "AND b.rbd = a.rbd AND b.year = a.year + 1 WHERE a.year IN (2023, 2024) GROUP BY ALL"
    ).set_index("rbd")["kept"]
    stalled = retention[list(demo.STALLED_SCHOOL_RBDS)].mean()
    improving = retention[list(demo.IMPROVING_SCHOOL_RBDS)].mean()
    assert 50 < stalled < improving < 100


def test_small_groups_exist(store: Store) -> None:
    sizes = store.query_df(
        "SELECT year, grade, letter, count(DISTINCT student_id) AS n FROM student_result "
        "WHERE rbd = ? GROUP BY ALL",
        [demo.TINY_SCHOOL_RBD],
    )
    assert (sizes["n"] < MIN_GROUP_SIZE).all()
    small = store.query_df(
        f"SELECT year, count(DISTINCT student_id) AS n FROM ({_COMMUNITY_STUDENTS}) "
        "WHERE id = ? GROUP BY year",
        [demo.SMALL_COMMUNITY_ID],
    )
    assert len(small) == 2 and (small["n"] < MIN_GROUP_SIZE).all() and (small["n"] > 0).all()
    simce = store.query_df(
        "SELECT mean_score, students_assessed, withheld_mark FROM standardized_test "
        "WHERE rbd = ? AND test = 'SIMCE'",
        [demo.TINY_SCHOOL_RBD],
    )
    assert simce["mean_score"].isna().all() and (simce["students_assessed"] < 10).all()
    assert (simce["withheld_mark"] == "1").all()


def test_the_demo_has_simce_by_series_and_idps(store: Store) -> None:
    """SIMCE per series with the Agencia's figures, and the four IDPS, for every school."""
    from metrics.engine.series import compute_series

    df = compute_series(store, Scope.all(), alcance="establecimiento")
    school = str(demo.IMPROVING_SCHOOL_RBDS[0])
    mine = df[df["alcance_id"] == school]
    assert {"4b lectura", "4b matemática"} <= set(mine["serie"])
    assert {
        "simce_puntaje", "simce_adecuado", "simce_insuficiente", "idps_autoestima",
        "idps_convivencia", "idps_participacion", "idps_habitos", "dia_satisfactorio",
        "dia_insatisfactorio",
    } == set(mine["indicador"])  # fmt: skip
    score = mine[(mine["indicador"] == "simce_puntaje") & (mine["periodo"] != "2023")]
    # The demo writes the Agencia's dif as the change of the same series: they agree.
    assert (score["dif_agencia"] == score["cambio_anterior"]).all()
    assert score["sig_agencia"].notna().all() and score["dif_gse"].notna().all()
    standards = store.query_df(
        "SELECT pct_insufficient + pct_elementary + pct_adequate AS total "
        "FROM standardized_test WHERE test = 'SIMCE' AND mean_score IS NOT NULL"
    )
    assert standards["total"].round(1).eq(100.0).all()


def test_the_demos_dia_moves_more_within_the_year_where_communities_improve(
    store: Store,
) -> None:
    """From 2024 (the model's first year) the improving schools' Nivel III satisfactorio
    gains more from diagnóstico to cierre than the stalled ones'; the levels add to 100."""
    from metrics.engine.series import compute_series

    df = compute_series(
        store, Scope.all(), alcance="establecimiento", indicadores=["dia_satisfactorio"]
    )
    closing = df[(df["etapa"] == "cierre") & df["valor"].notna()]
    gain = closing.groupby(["alcance_id", "periodo"])["cambio"].mean()
    improving = str(demo.IMPROVING_SCHOOL_RBDS[0])
    for year in ("2024", "2025"):
        assert gain[(improving, year)] > gain[("90004", year)] + 5
    # A course of fewer than 10 students (the rural school) is suppressed.
    tiny = df[df["alcance_id"] == "90006"]
    assert len(tiny) and (tiny["estado"] == "suprimido").all()
    totals = store.query_df(
        "SELECT pct_insatisfactorio + pct_intermedio + pct_satisfactorio AS t FROM dia_result"
    )
    assert totals["t"].round(1).eq(100.0).all()


def test_every_indicator_has_targets(store: Store) -> None:
    assert set(demo.INDICATOR_CODES) >= CATALOGUE  # the guide's eighteen; later ones may have none
    targets = store.query_df("SELECT * FROM target")
    schools = targets[targets["scope_kind"] == "establecimiento"]
    for code in CATALOGUE:
        assert schools[schools["indicator"] == code]["scope_id"].nunique() == 12, code
        assert (
            (targets["indicator"] == code)
            & (targets["scope_kind"] == "territorio")
            & (targets["scope_id"] == demo.SLEP_ID)
        ).any(), code
    assert (schools["deadline_year"] == 2025).all()
    assert targets["reason"].notna().all()
    communities = set(targets.loc[targets["scope_kind"] == "comunidad", "scope_id"])
    assert {demo.IMPROVING_COMMUNITY_ID, demo.STALLED_COMMUNITY_ID} <= communities


def test_every_row_belongs_to_an_existing_batch(store: Store) -> None:
    batches = store.query_df("SELECT * FROM import_batch")
    assert set(batches["kind"]) == {"demo"}
    assert batches["file_hash"].str.fullmatch(r"[0-9a-f]{64}").all()
    for table in DATA_TABLES:
        orphans = scalar(
            store,
            f"SELECT count(*) FROM {table} t "
            "WHERE NOT EXISTS (SELECT 1 FROM import_batch b WHERE b.id = t.batch_id)",
        )
        assert orphans == 0, table
    counted = store.query_df("SELECT file_name, row_count FROM import_batch").set_index(
        "file_name"
    )["row_count"]
    assert counted["demo:student_result"] == scalar(store, "SELECT count(*) FROM student_result")


# -- national -------------------------------------------------------------------------------
def national_counts(scale: float) -> tuple[dict[str, int], str]:
    with open_store(":memory:") as store:
        lines: list[str] = []
        counts = build_national(store, 7, progress=lines.append, scale=scale)
        assert any(line.startswith("Generando resultados 2024") for line in lines)
        orphans = sum(
            int(
                scalar(
                    store,
                    f"SELECT count(*) FROM {t} x WHERE NOT EXISTS "
                    "(SELECT 1 FROM import_batch b WHERE b.id = x.batch_id)",
                )
            )
            for t in DATA_TABLES
        )
        assert orphans == 0
        # Monthly attendance: one year only, ten months for every student of that year.
        assert list(scalar(store, "SELECT list(DISTINCT year) FROM student_attendance")) == [2025]
        assert counts["student_attendance"] == 10 * scalar(
            store, "SELECT count(*) FROM student_result WHERE year = 2025"
        )
        return counts, store.fingerprint()


def test_national_fills_every_table_in_proportion() -> None:
    small, print_a = national_counts(0.001)
    double, _ = national_counts(0.002)
    assert small["school"] == 11 and double["school"] == 22
    for table in DATA_TABLES:
        assert small[table] > 0, table
    per_school_year = small["student_result"] / 3 / small["school"]
    assert 150 <= per_school_year <= 500  # 11 schools: a noisy sample of the country
    for table in (
        "student_result",
        "teacher_year",
        "teaching_assignment",
        "survey_response",
        "community",
        "activity",
        "student_attendance",
    ):
        assert 1.5 <= double[table] / small[table] <= 2.6, table
    again, print_b = national_counts(0.001)
    assert again == small and print_a == print_b


def test_national_refuses_a_store_with_data(store: Store) -> None:
    with pytest.raises(StoreError, match="ya contiene datos"):
        build_national(store, 1, scale=0.001)


# -- the shared word lists ------------------------------------------------------------------
def _split_name(name: str) -> tuple[str, str, str]:
    """«María José Soto Díaz» → («María José», «Soto», «Díaz»): surnames are one word each."""
    *first, last1, last2 = name.split(" ")
    return " ".join(first), last1, last2


def test_both_generators_draw_from_the_shared_word_lists(store: Store) -> None:
    """Names, community kinds, instruments and survey items of both stores come from
    tablero_demo.words; the national store uses each item's short wording."""
    items = {
        (kind, item)
        for kind, group in (("docente", words.TEACHER_ITEMS), ("estudiante", words.STUDENT_ITEMS))
        for item in group
    }
    with open_store(":memory:") as national:
        build_national(national, 7, scale=0.001)
        for generated, wording in ((store, "text"), (national, "national_text")):
            found = set(
                generated.query_df(
                    "SELECT DISTINCT instrument, respondent_kind, dimension, item, reverse_coded "
                    "FROM survey_response"
                ).itertuples(index=False, name=None)
            )
            instrument = {
                "docente": words.TEACHER_INSTRUMENT,
                "estudiante": words.STUDENT_INSTRUMENT,
            }
            assert found == {
                (instrument[kind], kind, i.dimension, getattr(i, wording), i.reverse_coded)
                for kind, i in items
            }
            for name in generated.query_df("SELECT name FROM teacher")["name"]:
                first, last1, last2 = _split_name(name)
                assert first in words.FIRST_NAMES and {last1, last2} <= set(words.SURNAMES), name
            kinds = set(generated.query_df("SELECT DISTINCT kind FROM community")["kind"])
            assert kinds == set(words.COMMUNITY_KINDS)  # all six, in both stores
        subjects = set(
            national.query_df("SELECT DISTINCT subject FROM teaching_assignment")["subject"]
        )
        assert subjects == {"Lenguaje y Comunicación", "Matemática", "Ciencias Naturales"}
    # Eight of the 25 items have a shorter national wording; the others read the same.
    assert sum(i.short is not None for _, i in items) == 8
    assert words.COMMUNITY_KINDS[0] == "comunidad de práctica" and len(words.COMMUNITY_KINDS) == 6


def test_an_indicator_without_a_demo_target_gets_none(monkeypatch: pytest.MonkeyPatch) -> None:
    """Adding an indicator to the catalogue does not break the demo: the demo sets
    targets only where it has a value and a reason for them."""
    monkeypatch.setattr(demo, "INDICATOR_CODES", (*demo.INDICATOR_CODES, "indicador_nuevo"))
    targets = demo._targets(demo.generate_demo_frames())
    assert "indicador_nuevo" not in set(targets["indicator"])
    assert set(targets["indicator"]) >= CATALOGUE
