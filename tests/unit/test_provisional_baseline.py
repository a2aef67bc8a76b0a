"""The provisional baseline: a school with results but no community (and no baseline year set)
is compared with each indicator's first year with data in it, and says so.

The store, by hand (minimum group 1, so nothing is suppressed):

- ``comuna:1`` holds schools 1 and 2; ``comuna:3`` holds school 3.
- School 1: no community, no baseline year. SIMCE 4b lectura 250 (2022), 260, 270 (2024);
  matemática 240, 250, 262 (a series of its own, never mixed with lectura). Final results:
  2023 2 of 20 failed (10 %); 2024 1 of 20 (5 %).
- School 2: a community from March 2024, so its baseline year is 2023. Final results: 2023 1 of
  10 failed (10 %); 2024 none of 10 (0 %).
- School 3: baseline year 2022 set by hand, SIMCE only from 2023: no baseline value at all.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from metrics.engine.indicators import compute_indicators, set_baseline_year
from metrics.engine.series import compute_series
from metrics.scope import Scope
from metrics.store import Store, open_store

CUTOFF = date(2024, 12, 31)


def _tests(rbd: int, rows: list[tuple[int, str, float, int]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "year": [r[0] for r in rows],
            "rbd": rbd,
            "test": "SIMCE",
            "grade_level": "4b",
            "subject": [r[1] for r in rows],
            "mean_score": [r[2] for r in rows],
            "students_assessed": [r[3] for r in rows],
        }
    )


def _results(rbd: int, year: int, students: int, failed: int) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "year": year,
            "rbd": rbd,
            "cod_ense": 110,
            "grade": 4,
            "letter": "A",
            "student_id": [f"s{rbd}-{year}-{i}" for i in range(students)],
            "final_average": [3.5 if i < failed else 5.5 for i in range(students)],
            "final_situation": ["R" if i < failed else "P" for i in range(students)],
            "attendance_pct": 95.0,
        }
    )


def build(store: Store) -> None:
    tables = {
        "territory": pd.DataFrame(
            {"id": ["comuna:1", "comuna:3"], "name": ["Uno", "Tres"], "kind": "comuna"}
        ),
        "school": pd.DataFrame(
            {
                "rbd": [1, 2, 3],
                "name": ["Escuela Uno", "Escuela Dos", "Escuela Tres"],
                "baseline_year": [None, None, 2022],
            }
        ),
        "school_territory": pd.DataFrame(
            {"rbd": [1, 2, 3], "territory_id": ["comuna:1", "comuna:1", "comuna:3"]}
        ),
        "community": pd.DataFrame(
            {
                "id": ["c2"],
                "rbd": [2],
                "name": ["Comunidad Dos"],
                "kind": ["comunidad de práctica"],
                "start_date": [date(2024, 3, 1)],
            }
        ),
        "standardized_test": pd.concat(
            [
                _tests(
                    1,
                    [
                        (2022, "lectura", 250, 20),
                        (2022, "matemática", 240, 20),
                        (2023, "lectura", 260, 20),
                        (2023, "matemática", 250, 30),
                        (2024, "lectura", 270, 25),
                        (2024, "matemática", 262, 25),
                    ],
                ),
                _tests(3, [(2023, "lectura", 230, 15), (2024, "lectura", 240, 15)]),
            ]
        ),
        "student_result": pd.concat(
            [
                _results(1, 2023, 20, 2),
                _results(1, 2024, 20, 1),
                _results(2, 2023, 10, 1),
                _results(2, 2024, 10, 0),
            ]
        ),
    }
    with store.transaction() as cur:
        batch = store.new_batch(cur, kind="prueba", file_name="a", file_hash="a", actor="t")
        for table, frame in tables.items():
            store.insert_frame(cur, table, frame, batch)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = open_store(tmp_path / "provisional.duckdb")
    build(s)
    yield s
    s.close()


def row(store: Store, code: str, kind: str, sid: str, period: str, **kw: object) -> pd.Series:
    df = compute_indicators(store, Scope.all(), corte=CUTOFF, min_group=1, mensual=False, **kw)
    hit = df[
        (df["indicador"] == code)
        & (df["alcance"] == kind)
        & (df["alcance_id"] == sid)
        & (df["periodo"] == period)
    ]
    assert len(hit) == 1, (code, kind, sid, period)
    return hit.iloc[0]


def series_row(store: Store, sid: str, serie: str, period: str) -> pd.Series:
    """A row of the Agencia's series (SIMCE by grade and subject): same baseline rules."""
    df = compute_series(store, Scope.all(), indicadores=["simce_puntaje"])
    hit = df[(df["alcance_id"] == sid) & (df["serie"] == serie) & (df["periodo"] == period)]
    assert len(hit) == 1, (sid, serie, period)
    return hit.iloc[0]


def test_a_school_without_community_gets_the_first_year_of_each_indicator(store: Store) -> None:
    # SIMCE by series: 4b lectura 250 (2022) → 260 → 270; never mixed with matemática.
    simce = series_row(store, "1", "4b lectura", "2024")
    assert simce["valor"] == pytest.approx(270.0)
    assert simce["linea_base"] == pytest.approx(250.0)
    assert simce["periodo_base"] == "2022" and bool(simce["linea_base_provisional"])
    assert simce["cambio"] == pytest.approx(20.0)
    # The baseline year's own row: no change to measure.
    first = series_row(store, "1", "4b lectura", "2022")
    assert first["cambio"] == pytest.approx(0.0)
    # Each indicator its own first year: final results start in 2023 (10 % → 5 %).
    fail = row(store, "tasa_reprobacion", "establecimiento", "1", "2024")
    assert fail["linea_base"] == pytest.approx(10.0) and fail["periodo_base"] == "2023"
    assert bool(fail["linea_base_provisional"])
    assert fail["cambio"] == pytest.approx(-5.0)
    # Without a value, no baseline at all (not a provisional one).
    none = row(store, "participacion_activa", "establecimiento", "1", "2024")
    assert pd.isna(none["linea_base"]) and not bool(none["linea_base_provisional"])


def test_a_baseline_year_is_never_provisional(store: Store) -> None:
    # School 2: the year before its community (2023): 1 of 10 failed.
    two = row(store, "tasa_reprobacion", "establecimiento", "2", "2024")
    assert two["linea_base"] == pytest.approx(10.0) and two["periodo_base"] == "2023"
    assert not bool(two["linea_base_provisional"])
    # comuna:1 takes its oldest school's year (2023): (2 + 1) / 30 → (1 + 0) / 30.
    terr = row(store, "tasa_reprobacion", "territorio", "comuna:1", "2024")
    assert terr["linea_base"] == pytest.approx(10.0) and terr["valor"] == pytest.approx(100 / 30)
    assert not bool(terr["linea_base_provisional"])
    # School 3 set 2022 by hand and has no data then: no baseline, and none is made up.
    three = series_row(store, "3", "4b lectura", "2024")
    assert pd.isna(three["linea_base"]) and three["periodo_base"] == "2022"
    assert not bool(three["linea_base_provisional"])
    assert three["estado"] == "sin_meta"  # a value, no target (and no baseline either)


def test_setting_the_year_replaces_the_provisional_baseline(store: Store) -> None:
    set_baseline_year(store, Scope.all(), 1, 2023, actor="test")
    simce = series_row(store, "1", "4b lectura", "2024")
    assert simce["linea_base"] == pytest.approx(260.0) and simce["periodo_base"] == "2023"
    assert not bool(simce["linea_base_provisional"])
    assert simce["cambio"] == pytest.approx(10.0)
    set_baseline_year(store, Scope.all(), 1, None, actor="test")  # back to the default
    simce = series_row(store, "1", "4b lectura", "2024")
    assert simce["linea_base"] == pytest.approx(250.0)
    assert bool(simce["linea_base_provisional"])


def test_one_school_without_communities_among_others(store: Store) -> None:
    """The request for one school of a wider scope (the page's, the pack's) merged an empty
    community frame with the schools' and failed on real files («dtype of categories must be
    the same»). It gives the whole scope's rows of that school."""
    whole = compute_indicators(store, Scope.all(), corte=CUTOFF, mensual=False)
    one = compute_indicators(store, Scope.all(), corte=CUTOFF, mensual=False, rbds=[1])
    mine = whole[(whole["alcance"] == "establecimiento") & (whole["alcance_id"] == "1")]
    got = one[(one["alcance"] == "establecimiento") & (one["alcance_id"] == "1")]
    assert len(got) == len(mine) > 0
    cols = ["indicador", "periodo", "valor", "linea_base", "linea_base_provisional", "estado"]
    pd.testing.assert_frame_equal(
        got[cols].astype(object).reset_index(drop=True),
        mine[cols].astype(object).reset_index(drop=True),
    )


def test_the_cli_lists_the_provisional_baseline(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from metrics.cli import main

    path = tmp_path / "cli.duckdb"
    with open_store(path) as s:
        build(s)
    assert main(["metas", "linea-base", "--db", str(path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[1].split() == [
        "1", "Escuela", "Uno", "–", "provisional:", "primer", "año", "con", "datos", "de",
        "cada", "indicador",
    ]  # fmt: skip
    assert lines[2].split() == [
        "2", "Escuela", "Dos", "2023", "año", "anterior", "a", "la", "primera", "comunidad",
    ]  # fmt: skip
