"""The indicator engine against values computed by hand on the fixture in
tests/data/good/indicators (see its README for the story of each row)."""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from metrics.engine import compute
from metrics.engine.catalog import CATALOG
from metrics.engine.indicators import (
    OUTPUT_COLUMNS,
    IndicatorRequestError,
    compute_breakdowns,
    compute_indicators,
)
from metrics.scope import Scope
from metrics.store import DATA_TABLES, Store, open_store

FIXTURE = Path(__file__).resolve().parents[1] / "data" / "good" / "indicators"
CUTOFF = date(2024, 6, 30)


def load_fixture(store: Store) -> None:
    """Insert every CSV of the fixture (one batch); empty cells are NULL."""
    with store.transaction() as cur:
        batch = store.new_batch(
            cur, kind="prueba", file_name="indicadores", file_hash="fixture", actor="test"
        )
        for table in DATA_TABLES:
            path = FIXTURE / f"{table}.csv"
            if not path.exists():
                continue
            frame = pd.read_csv(path, sep=";", dtype=str, keep_default_na=False)
            frame = frame.astype(object).where(frame != "", None)
            store.insert_frame(cur, table, frame, batch)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    s = open_store(tmp_path_factory.mktemp("ind") / "fixture.duckdb")
    load_fixture(s)
    yield s
    s.close()


@pytest.fixture(scope="module")
def raw(store: Store) -> pd.DataFrame:
    """Every result with no suppression (minimum group 1), cut-off 2024-06-30."""
    return compute_indicators(store, Scope.all(), corte=CUTOFF, min_group=1)


def row(df: pd.DataFrame, code: str, kind: str, sid: str, period: str) -> pd.Series:
    hit = df[
        (df["indicador"] == code)
        & (df["alcance"] == kind)
        & (df["alcance_id"] == sid)
        & (df["periodo"] == period)
    ]
    assert len(hit) == 1, f"{code} {kind} {sid} {period}: {len(hit)} rows"
    return hit.iloc[0]


def close(value: object, expected: float, tol: float = 1e-6) -> bool:
    return (
        value is not None
        and not pd.isna(value)
        and math.isclose(float(value), expected, abs_tol=tol)
    )  # type: ignore[arg-type]


# -- shape ---------------------------------------------------------------------------------------
def test_output_has_exactly_the_documented_fields(raw: pd.DataFrame) -> None:
    assert list(raw.columns) == list(OUTPUT_COLUMNS)
    assert set(raw["indicador"].astype(str)) == set(CATALOG.codes)
    assert set(raw["alcance"].astype(str)) == {"comunidad", "establecimiento", "territorio"}
    assert set(raw["estado"].astype(str)) <= set(compute.STATUSES)


def test_every_scope_year_has_every_indicator(raw: pd.DataFrame) -> None:
    yearly = raw[raw["periodo"].astype(str).str.len() == 4]
    counts = yearly.groupby(["alcance", "alcance_id", "periodo"], observed=True).size()
    assert (counts == len(CATALOG)).all()
    # School 1 has data in 2023 and 2024; its communities and territory share its years.
    assert set(yearly.loc[yearly["alcance_id"] == "c1", "periodo"]) == {"2023", "2024"}
    assert set(yearly.loc[yearly["alcance_id"] == "comuna:1", "periodo"]) == {"2023", "2024"}


def test_monthly_rows_only_for_durante_and_resultados(raw: pd.DataFrame) -> None:
    monthly = raw[raw["periodo"].astype(str).str.len() == 7]
    assert set(monthly["momento"].astype(str)) <= {"durante", "resultados"}
    assert "2024-03" in set(monthly["periodo"])


def test_empty_store_gives_no_rows() -> None:
    with open_store(":memory:") as empty:
        df = compute_indicators(empty, Scope.all(), corte=CUTOFF)
    assert df.empty and list(df.columns) == list(OUTPUT_COLUMNS)


# -- student results -----------------------------------------------------------------------------
def test_results_of_school_a(raw: pd.DataFrame) -> None:
    # 2023 at school 1: P s1 s2 s5 s6, R s3, Y s4.
    assert close(row(raw, "tasa_aprobacion", "establecimiento", "1", "2023")["valor"], 80.0)
    assert row(raw, "tasa_aprobacion", "establecimiento", "1", "2023")["n"] == 5
    assert close(row(raw, "tasa_reprobacion", "establecimiento", "1", "2023")["valor"], 20.0)
    assert close(row(raw, "tasa_retiro", "establecimiento", "1", "2023")["valor"], 100 / 6)
    assert row(raw, "tasa_retiro", "establecimiento", "1", "2023")["n"] == 6
    # Withdrawn s4 (0,0) left out: (6 + 5 + 3.5 + 6.5 + 4.5) / 5.
    assert close(row(raw, "promedio_notas", "establecimiento", "1", "2023")["valor"], 5.1)
    # (95 + 85 + 80 + 100 + 92) / 5; below 90: s2, s3.
    assert close(row(raw, "asistencia_promedio", "establecimiento", "1", "2023")["valor"], 90.4)
    assert close(row(raw, "inasistencia_cronica", "establecimiento", "1", "2023")["valor"], 40.0)


def test_transfers_and_duplicates_count_once_where_the_final_record_is(
    raw: pd.DataFrame,
) -> None:
    # 2024 at school 1: s1 s2 s3 s5 s8 promoted, s7 failed; s6's 'T' record does not count
    # and s8's duplicated record counts once.
    r = row(raw, "tasa_aprobacion", "establecimiento", "1", "2024")
    assert r["n"] == 6
    assert close(r["valor"], 500 / 6)
    assert close(row(raw, "tasa_retiro", "establecimiento", "1", "2024")["valor"], 0.0)
    # (6.2 + 5.5 + 4.5 + 6.8 + 3.0 + 5.0) / 6 and (96 + 91 + 88 + 99 + 70 + 95) / 6.
    assert close(row(raw, "promedio_notas", "establecimiento", "1", "2024")["valor"], 31 / 6)
    assert close(row(raw, "asistencia_promedio", "establecimiento", "1", "2024")["valor"], 539 / 6)
    assert close(row(raw, "inasistencia_cronica", "establecimiento", "1", "2024")["valor"], 100 / 3)
    # s6 counts at school 2, with b1.
    b = row(raw, "tasa_aprobacion", "establecimiento", "2", "2024")
    assert b["n"] == 2 and close(b["valor"], 100.0)


def test_repetition_needs_two_consecutive_years(raw: pd.DataFrame) -> None:
    # 2024 students of school 1 with a 2023 record: s1 s2 s3 s5; s3 is again in 110-1.
    r = row(raw, "tasa_repitencia", "establecimiento", "1", "2024")
    assert r["n"] == 4 and close(r["valor"], 25.0)
    # No 2022 records: no value for 2023.
    first = row(raw, "tasa_repitencia", "establecimiento", "1", "2023")
    assert pd.isna(first["valor"]) and first["n"] == 0 and first["estado"] == "sin_datos"
    # At school 2: s6 (110-2 at school 1 → 110-3) and b1 (110-2 → 110-3) moved up.
    b = row(raw, "tasa_repitencia", "establecimiento", "2", "2024")
    assert b["n"] == 2 and close(b["valor"], 0.0)


def test_monthly_attendance_where_there_is_no_annual_attendance(raw: pd.DataFrame) -> None:
    # School 2, 2024: s6 5 months × 18/20 at school 2, b1 9 months × 20/20 and a month 0/0;
    # b2 has only 0 days worked and is left out. (90 + 180) / (100 + 180).
    r = row(raw, "asistencia_promedio", "establecimiento", "2", "2024")
    assert r["n"] == 2 and close(r["valor"], 270 / 280 * 100)
    assert close(row(raw, "inasistencia_cronica", "establecimiento", "2", "2024")["valor"], 0.0)
    # The territory has annual attendance (school 1): it uses only that.
    t = row(raw, "asistencia_promedio", "territorio", "comuna:1", "2024")
    assert t["n"] == 6 and close(t["valor"], 539 / 6)


def test_territory_adds_up_its_schools(raw: pd.DataFrame) -> None:
    # 2024: 5 of 6 at school 1, 2 of 2 at school 2; 2023: 4 of 5 and 1 of 1.
    r = row(raw, "tasa_aprobacion", "territorio", "comuna:1", "2024")
    assert r["n"] == 8 and close(r["valor"], 87.5)
    assert close(row(raw, "tasa_aprobacion", "territorio", "comuna:1", "2023")["valor"], 500 / 6)
    assert row(raw, "tasa_aprobacion", "territorio", "comuna:1", "2024")["periodo_base"] == "2023"


def test_community_covers_the_courses_its_members_teach(raw: pd.DataFrame) -> None:
    # c1 in 2024: t1 teaches 110-1-A (s3, s7, s8) and t3 110-2-A (s1, s2): 4 of 5 promoted.
    r = row(raw, "tasa_aprobacion", "comunidad", "c1", "2024")
    assert r["n"] == 5 and close(r["valor"], 80.0)
    # Its baseline (2023): the same teachers before the model, t1 in 110-1-A (s1, s2 P; s3 R;
    # s4 withdrew): 2 of 3.
    assert close(r["linea_base"], 200 / 3) and r["periodo_base"] == "2023"
    assert close(row(raw, "tasa_retiro", "comunidad", "c1", "2023")["valor"], 25.0)
    # Repetition in c1: s1 s2 s3 had a 2023 record, s3 repeated.
    assert close(row(raw, "tasa_repitencia", "comunidad", "c1", "2024")["valor"], 100 / 3)
    # c2: t2 teaches 110-3-A, where only s5 has a final record (s6's is a transfer).
    assert row(raw, "tasa_aprobacion", "comunidad", "c2", "2024")["n"] == 1


def test_standardized_scores_are_per_series_never_mixed(store: Store) -> None:
    from metrics.engine.series import compute_series

    assert "puntaje_estandarizado" not in set(
        compute_indicators(store, Scope.all(), corte=CUTOFF, min_group=1)["indicador"]
    )
    df = compute_series(store, Scope.all(), indicadores=["simce_puntaje"])

    def value(sid: str, serie: str, year: str) -> pd.Series:
        hit = df[(df["alcance_id"] == sid) & (df["serie"] == serie) & (df["periodo"] == year)]
        assert len(hit) == 1
        return hit.iloc[0]

    # School 1: lectura 250 → 260 and matemática 240 → 250, each its own series (the old
    # mixed value, (260·30 + 250·10) / 40 = 257,5 against 245, is no longer anywhere).
    lect = value("1", "4b lectura", "2024")
    assert (lect["valor"], lect["n"], lect["cambio_anterior"]) == (260, 30, 10)
    assert value("1", "4b matemática", "2024")["cambio_anterior"] == 10
    # comuna:1 weights its schools by students; school 2's hidden score does not count.
    terr = value("comuna:1", "4b lectura", "2024")
    assert (terr["valor"], terr["n"]) == (260, 30)
    # School 2's only score is hidden by the test's own mark (no mean): no value.
    assert pd.isna(value("2", "4b lectura", "2024")["valor"])


def test_teacher_retention(raw: pd.DataFrame) -> None:
    # 2023 roster t1 t2 t3 t4; in 2024 t1, t2 and t3 are still at school 1: 3 of 4.
    r = row(raw, "permanencia_docente", "establecimiento", "1", "2024")
    assert r["n"] == 4 and close(r["valor"], 75.0)
    # No 2022 roster, and school 2 has no 2023 roster: no value.
    assert pd.isna(row(raw, "permanencia_docente", "establecimiento", "1", "2023")["valor"])
    assert pd.isna(row(raw, "permanencia_docente", "establecimiento", "2", "2024")["valor"])


# -- durante and resultados ----------------------------------------------------------------------
def test_schedule_compliance_at_the_cutoff(raw: pd.DataFrame) -> None:
    # Planned up to 2024-06-30: a1..a5. Done by then: a1, a5 (a2 was done 2024-07-01; a3
    # cancelled, a4 rescheduled count as not done).
    r = row(raw, "cumplimiento_cronograma", "comunidad", "c1", "2024")
    assert r["n"] == 5 and close(r["valor"], 40.0)
    assert close(row(raw, "cumplimiento_cronograma", "comunidad", "c1", "2024-04")["valor"], 0.0)
    assert close(row(raw, "cumplimiento_cronograma", "comunidad", "c1", "2024-06")["valor"], 100.0)
    # c2's only activity is planned after the cut-off: zero denominator, no value.
    z = row(raw, "cumplimiento_cronograma", "comunidad", "c2", "2024")
    assert z["n"] == 0 and pd.isna(z["valor"]) and z["estado"] == "sin_datos"
    # School 1 adds up its communities.
    assert close(row(raw, "cumplimiento_cronograma", "establecimiento", "1", "2024")["valor"], 40.0)


def test_schedule_cutoff_later_counts_later_work(store: Store) -> None:
    df = compute_indicators(
        store,
        Scope.all(),
        corte=date(2024, 12, 31),
        min_group=1,
        indicadores=["cumplimiento_cronograma"],
    )
    # a1..a6 planned by year end; done: a1, a2, a5.
    r = row(df, "cumplimiento_cronograma", "comunidad", "c1", "2024")
    assert r["n"] == 6 and close(r["valor"], 50.0)


def test_sessions(raw: pd.DataFrame) -> None:
    # c1: 2024-03-10 (2 attend, 3 strategies), 2024-04-15 (1 of 2), 2024-06-20 (nobody: not
    # held). 3 of 6 records attended; 2 sessions held over 1 month; 3 strategies in 2.
    assert close(row(raw, "participacion_activa", "comunidad", "c1", "2024")["valor"], 50.0)
    assert close(row(raw, "frecuencia_reuniones", "comunidad", "c1", "2024")["valor"], 2.0)
    assert close(row(raw, "intercambio_estrategias", "comunidad", "c1", "2024")["valor"], 1.5)
    assert close(row(raw, "intercambio_estrategias", "comunidad", "c1", "2024-03")["valor"], 3.0)
    assert close(row(raw, "frecuencia_reuniones", "establecimiento", "1", "2024")["valor"], 2.0)


def test_class_observations(raw: pd.DataFrame) -> None:
    # Observations only (the self-evaluation is left out): 2023 t1 2; 2024 t1 3, t3 4.
    r = row(raw, "desempeno_docente", "establecimiento", "1", "2024")
    assert close(r["valor"], 3.5) and r["n"] == 2
    assert close(r["linea_base"], 2.0) and close(r["cambio"], 1.5)
    # One observation at baseline: no Welch interval.
    assert pd.isna(r["ic_inferior"])
    # c1 stands for t1 and t3 in its baseline year.
    assert close(row(raw, "desempeno_docente", "comunidad", "c1", "2023")["valor"], 2.0)


def test_perception_against_its_baseline_wave(raw: pd.DataFrame) -> None:
    # Baseline wave: 3 4 2 5 → 2 of 4 favourable, mean 3.5. Final wave: 4 5 5 4 and a
    # reverse-coded 1 (= 5) → 5 of 5, mean 4.6.
    r = row(raw, "percepcion_colaboracion", "establecimiento", "1", "2024")
    assert close(r["valor"], 100.0) and r["n"] == 5 and close(r["media"], 4.6)
    assert close(r["linea_base"], 50.0) and r["periodo_base"] == "2024"
    lo, hi = compute.newcombe(5, 5, 2, 4)
    assert close(r["ic_inferior"], lo * 100) and close(r["ic_superior"], hi * 100)
    # Hedges' g: sd² 0.3 (n 5) and 5/3 (n 4), pooled over 7 df, J = 1 − 3/27.
    pooled = math.sqrt((4 * 0.3 + 3 * 5 / 3) / 7)
    assert close(r["efecto_g"], (4.6 - 3.5) / pooled * (1 - 3 / 27))
    # Target 90 for 2025: reached.
    assert r["estado"] == "logrado"
    assert close(row(raw, "percepcion_colaboracion", "comunidad", "c1", "2024")["valor"], 100.0)


# -- baseline, target, status --------------------------------------------------------------------
def test_worked_example_of_the_guide(raw: pd.DataFrame) -> None:
    # School 9: 3 of 50 failed in 2023 (6 %), 1 of 50 in 2024 (2 %); target 3 % for 2024.
    r = row(raw, "tasa_reprobacion", "establecimiento", "9", "2024")
    assert close(r["valor"], 2.0) and close(r["linea_base"], 6.0) and close(r["meta"], 3.0)
    assert close(r["cambio"], -4.0)
    assert round(r["cambio_pct"], 1) == -66.7
    assert round(r["progreso"]) == 133
    assert r["estado"] == "logrado"
    lo, hi = compute.newcombe(1, 50, 3, 50)
    assert close(r["ic_inferior"], lo * 100) and close(r["ic_superior"], hi * 100)
    assert bool(r["concluyente"]) is False  # 50 students a year: the interval includes 0


def test_lower_is_better_target_with_progress_behind_time(raw: pd.DataFrame) -> None:
    # Reprobación at school 1: baseline 20 % (2023), 2024 16,7 %, target 10 % for 2025.
    r = row(raw, "tasa_reprobacion", "establecimiento", "1", "2024")
    assert close(r["cambio"], 100 / 6 - 20)
    assert close(r["cambio_pct"], (100 / 6 - 20) / 20 * 100)
    assert close(r["progreso"], (100 / 6 - 20) / (10 - 20) * 100)
    # Half the time elapsed (2023 → 2025): on track from 50 − 15 = 35; 33,3 is not.
    assert r["estado"] == "en_riesgo"
    assert r["anio_meta"] == 2025


def test_target_equal_to_baseline(raw: pd.DataFrame) -> None:
    # promedio_notas: baseline 5,1 = target; 2024 5,17 reaches it.
    met = row(raw, "promedio_notas", "establecimiento", "1", "2024")
    assert pd.isna(met["progreso"]) and met["estado"] == "logrado"
    # asistencia: baseline 90,4 = target; 2024 89,8 does not.
    missed = row(raw, "asistencia_promedio", "establecimiento", "1", "2024")
    assert pd.isna(missed["progreso"]) and missed["estado"] == "en_riesgo"


def test_no_baseline_or_no_target_says_what_is_missing(raw: pd.DataFrame) -> None:
    # c1's schedule has a target (80 % for 2024) but no activities in its baseline year: a
    # value short of its target, with no baseline to measure progress from.
    r = row(raw, "cumplimiento_cronograma", "comunidad", "c1", "2024")
    assert pd.isna(r["linea_base"]) and close(r["meta"], 80.0) and pd.notna(r["valor"])
    assert r["valor"] < 80.0 and r["estado"] == "sin_linea_base"
    # A value with no target: «sin meta», not «sin datos» (that is only a missing value).
    r = row(raw, "tasa_retiro", "establecimiento", "1", "2024")
    assert pd.notna(r["valor"]) and pd.isna(r["meta"]) and r["estado"] == "sin_meta"


def test_baseline_row_itself_has_no_interval(raw: pd.DataFrame) -> None:
    r = row(raw, "tasa_aprobacion", "establecimiento", "1", "2023")
    assert close(r["cambio"], 0.0) and pd.isna(r["ic_inferior"]) and pd.isna(r["concluyente"])


def test_target_of_an_earlier_deadline_applies_after_it(raw: pd.DataFrame) -> None:
    # tasa_aprobacion of school 1: one target, 85 for 2024: both years use it.
    assert close(row(raw, "tasa_aprobacion", "establecimiento", "1", "2023")["meta"], 85.0)
    r = row(raw, "tasa_aprobacion", "establecimiento", "1", "2024")
    assert close(r["progreso"], (500 / 6 - 80) / 5 * 100) and r["estado"] == "en_riesgo"


# -- small groups --------------------------------------------------------------------------------
def test_default_minimum_group_hides_small_groups(store: Store) -> None:
    df = compute_indicators(store, Scope.all(), corte=CUTOFF)
    small = row(df, "tasa_aprobacion", "comunidad", "c2", "2024")  # 1 student
    assert small["estado"] == "suprimido"
    for field in ("valor", "n", "cambio", "cambio_pct", "progreso", "ic_inferior", "efecto_g"):
        assert pd.isna(small[field]), field
    # 50 students: shown.
    assert close(row(df, "tasa_reprobacion", "establecimiento", "9", "2024")["valor"], 2.0)
    # Teacher indicators are never suppressed.
    assert close(row(df, "participacion_activa", "comunidad", "c1", "2024")["valor"], 50.0)


def test_complementary_suppression(store: Store) -> None:
    # Minimum 3. 2024 aprobación: territory 8 = school 1 (6) + school 2 (2, hidden). Showing
    # school 1 would give school 2 away (8 − 6), so school 1 is hidden too. School 1 (hidden)
    # = c1 (5) + c2 (1, hidden): c1 would rebuild it up to one student, so c1 is hidden too.
    df = compute_indicators(store, Scope.all(), corte=CUTOFF, min_group=3)
    status = {
        sid: row(df, "tasa_aprobacion", kind, sid, "2024")["estado"]
        for kind, sid in (
            ("territorio", "comuna:1"),
            ("establecimiento", "1"),
            ("establecimiento", "2"),
            ("comunidad", "c1"),
            ("comunidad", "c2"),
        )
    }
    assert status["comuna:1"] != "suprimido"
    assert {status[s] for s in ("1", "2", "c1", "c2")} == {"suprimido"}
    # The same in any filter of the same user's scope.
    only = compute_indicators(
        store, Scope.all(), corte=CUTOFF, min_group=3, alcance="establecimiento", rbds=[1]
    )
    assert row(only, "tasa_aprobacion", "establecimiento", "1", "2024")["estado"] == "suprimido"


def test_hidden_baseline_hides_the_comparison(store: Store) -> None:
    # Minimum 7: the territory's 2024 aprobación rests on 8 students (shown), its 2023
    # baseline on 6 (hidden): no baseline, change or interval.
    df = compute_indicators(store, Scope.all(), corte=CUTOFF, min_group=7)
    t = row(df, "tasa_aprobacion", "territorio", "comuna:1", "2024")
    assert t["estado"] != "suprimido" and close(t["valor"], 87.5)
    assert pd.isna(t["linea_base"]) and pd.isna(t["cambio"]) and pd.isna(t["ic_inferior"])
    assert row(df, "tasa_aprobacion", "territorio", "comuna:1", "2023")["estado"] == "suprimido"


def test_perception_with_few_students_is_hidden(store: Store) -> None:
    # percepcion_apoyo at school 1: 2 teachers and 3 students answered.
    shown = compute_indicators(store, Scope.all(), corte=CUTOFF, min_group=3)
    assert close(row(shown, "percepcion_apoyo", "establecimiento", "1", "2024")["valor"], 60.0)
    hidden = compute_indicators(store, Scope.all(), corte=CUTOFF)
    assert row(hidden, "percepcion_apoyo", "establecimiento", "1", "2024")["estado"] == "suprimido"
    # Teachers' own perception (colaboración, no students) is shown.
    assert close(
        row(hidden, "percepcion_colaboracion", "establecimiento", "1", "2024")["valor"], 100.0
    )


def test_minimum_group_from_the_store_setting(tmp_path: Path) -> None:
    s = open_store(tmp_path / "s.duckdb")
    load_fixture(s)
    with s.transaction() as cur:
        cur.execute("INSERT INTO setting VALUES ('min_group_size', '1')")
    df = compute_indicators(s, Scope.all(), corte=CUTOFF, indicadores=["tasa_aprobacion"])
    assert row(df, "tasa_aprobacion", "comunidad", "c2", "2024")["n"] == 1
    s.close()


# -- scope and filters -----------------------------------------------------------------------------
def test_scope_of_one_school_returns_nothing_of_another(store: Store) -> None:
    df = compute_indicators(store, Scope.schools([1]), corte=CUTOFF, min_group=1)
    assert set(df["alcance_id"].astype(str)) == {"1", "c1", "c2", "comuna:1"}
    # The territory holds only what the user can see: school 1.
    t = row(df, "tasa_aprobacion", "territorio", "comuna:1", "2024")
    assert t["n"] == 6 and close(t["valor"], 500 / 6)
    # Nobody sees nothing.
    assert compute_indicators(store, Scope.nobody(), corte=CUTOFF).empty


def test_filters(store: Store, raw: pd.DataFrame) -> None:
    raw_all = raw
    df = compute_indicators(
        store,
        Scope.all(),
        corte=CUTOFF,
        min_group=1,
        alcance="comunidad",
        anio=2024,
        indicadores=["participacion_activa"],
        mensual=False,
    )
    assert set(df["alcance"].astype(str)) == {"comunidad"}
    assert set(df["periodo"].astype(str)) == {"2024"}
    assert set(df["indicador"].astype(str)) == {"participacion_activa"}
    for kind in ("comunidad", "establecimiento", "territorio"):
        only = compute_indicators(store, Scope.all(), corte=CUTOFF, alcance=kind, min_group=1)
        assert set(only["alcance"].astype(str)) == {kind}
        # The same numbers as when every scope kind is computed.
        full = raw_all[raw_all["alcance"] == kind].reset_index(drop=True)
        pd.testing.assert_frame_equal(only.reset_index(drop=True).astype(str), full.astype(str))
    one = compute_indicators(store, Scope.all(), corte=CUTOFF, alcance_id="c1", min_group=1)
    assert set(one["alcance_id"].astype(str)) == {"c1"}
    with pytest.raises(IndicatorRequestError, match="Alcance desconocido"):
        compute_indicators(store, Scope.all(), alcance="escuela")  # type: ignore[arg-type]
    with pytest.raises(IndicatorRequestError, match="desconocido"):
        compute_indicators(store, Scope.all(), indicadores=["nada"])


def test_results_are_sorted_by_catalogue_scope_and_period(raw: pd.DataFrame) -> None:
    order = raw["indicador"].astype(str).map({c: i for i, c in enumerate(CATALOG.codes)})
    assert order.is_monotonic_increasing
    assert np.all(np.diff(order.to_numpy()) >= 0)


# -- breakdowns ---------------------------------------------------------------------------------
def test_breakdowns(store: Store) -> None:
    df = compute_breakdowns(store, Scope.all(), corte=CUTOFF, min_group=1)
    resp = df[(df["indicador"] == "cumplimiento_cronograma") & (df["alcance_id"] == "c1")]
    by = resp[resp["periodo"] == "2024"].set_index("categoria")["valor"]
    assert close(by["Ana"], 50.0) and close(by["Beto"], 100 / 3)  # a1 of a1 a2; a5 of a3 a4 a5
    assert set(df["desglose"]) == {"responsable", "tipo_encuestado"}
    kinds = df[(df["indicador"] == "percepcion_apoyo") & (df["alcance_id"] == "1")]
    assert set(kinds["categoria"]) == {"docente", "estudiante"}


def test_breakdowns_hide_small_groups_of_students(store: Store) -> None:
    df = compute_breakdowns(store, Scope.all(), corte=CUTOFF)
    kinds = df[
        (df["indicador"] == "percepcion_apoyo")
        & (df["alcance_id"] == "1")
        & (df["periodo"] == "2024")
    ].set_index("categoria")
    assert bool(kinds.loc["estudiante", "suprimido"]) and pd.isna(kinds.loc["estudiante", "valor"])
    # The teachers' part shows (5 and 2: one of two favourable); the total is hidden, so the
    # students' part cannot be recovered from it.
    assert close(kinds.loc["docente", "valor"], 50.0)


@pytest.mark.parametrize("rbd", [90001, 90006])
def test_one_school_filtered_from_every_school_equals_computing_it(demo_db: Path, rbd: int) -> None:
    """Pages filter the "all schools" rows when one school is chosen: same rows, same values."""
    from metrics.engine.indicators import compute_breakdowns, restrict_to_schools
    from metrics.presentation.views import plain

    cut = date(2025, 12, 31)
    with open_store(demo_db) as store:
        for scope in (Scope.all(), Scope.schools([90001, 90002, 90006])):
            for compute in (compute_indicators, compute_breakdowns):
                every = plain(compute(store, scope, corte=cut, mensual=False))
                one = plain(compute(store, scope, corte=cut, rbds=[rbd], mensual=False))
                got = restrict_to_schools(store, scope, every, [rbd])
                assert len(got) > 0
                pd.testing.assert_frame_equal(got, one.reset_index(drop=True))


@pytest.mark.parametrize("min_group", [10, 35])
def test_a_few_schools_of_a_wide_scope_are_suppressed_as_in_the_whole_scope(
    demo_db: Path, min_group: int
) -> None:
    """Asking for one school computes its communities apart (schools and territories are
    decided over the whole scope): the same rows, values and suppression as the whole scope,
    monthly rows included, with groups large enough that suppression spreads to families."""
    from metrics.engine.indicators import restrict_to_schools
    from metrics.presentation.views import plain

    cut = date(2025, 12, 31)
    with open_store(demo_db) as store:
        every = plain(compute_indicators(store, Scope.all(), corte=cut, min_group=min_group))
        assert every["estado"].eq("suprimido").any()
        for rbd in (90001, 90004):
            one = plain(
                compute_indicators(store, Scope.all(), corte=cut, rbds=[rbd], min_group=min_group)
            )
            assert (one["alcance"] == "comunidad").any()
            got = restrict_to_schools(store, Scope.all(), every, [rbd])
            pd.testing.assert_frame_equal(got, one.reset_index(drop=True))


def test_without_communities(store: Store, raw: pd.DataFrame) -> None:
    df = compute_indicators(store, Scope.all(), corte=CUTOFF, min_group=1, comunidades=False)
    assert set(df["alcance"].astype(str)) == {"establecimiento", "territorio"}
    expected = raw[raw["alcance"] != "comunidad"].reset_index(drop=True)
    pd.testing.assert_frame_equal(
        df.astype(str).reset_index(drop=True), expected.astype(str), check_dtype=False
    )
    assert compute_indicators(
        store, Scope.all(), alcance="comunidad", corte=CUTOFF, comunidades=False
    ).empty
