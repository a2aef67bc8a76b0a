"""A community's comparison group, the difference in differences and consolidation, against
values computed by hand on small schools built here (one story per school).

Every course has a teacher; a course's students are P (promoted, average 5,5) or R (failed,
average 3,5). Baselines are the schools' 2023. Repetition here is ``tasa_reprobacion``.

- 100 «improves more than the rest»: 4°A (t1, in community ca from 2024) and 4°B (t2, in no
  community), 50 students each. Failed: 4°A 10 → 2 → 1, 4°B 8 → 6 → 5 (2023, 2024, 2025).
- 200 «improves exactly as the rest»: 4°A (t5, community cb) and 4°B (t6), 20 students each,
  4 failed in 2023 and 2 in 2024 in both.
- 300 «a comparison group under the minimum size»: 4°A (t7, community cc) 30 students, 4°B
  (t8) 5 students, 5°A (t9) 20 students. 2023: 6 / 1 / 2 failed; 2024: 3 / 1 / 2.
- 400 «a teacher who moves into a community»: community cd has t10 (4°A) from 2024 and t11
  (4°B) joins in 2025; t12 teaches 4°C. 20 students per course; failed in 4°A, 4°B, 4°C:
  2023 4 / 4 / 4, 2024 2 / 3 / 4, 2025 1 / 2 / 4.
- 500 «complementary suppression»: 4°A (t13, community ce) 30 students, 4°B (t14) 20
  students, 6°A (t15, in no community) 5 students; 2023 3 / 2 / 1 failed, 2024 3 / 2 / 1.
  The school (55) less the community (30) and its comparison group (20) would give away the
  5 students of 6°A: the comparison group is hidden, never the community.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import date

import pandas as pd
import pytest

from metrics.engine.compute import Z95
from metrics.engine.indicators import COMPARISON_GROUP, OUTPUT_COLUMNS, compute_indicators
from metrics.scope import Scope
from metrics.store import Store, open_store

CUTOFF = date(2025, 12, 31)

# (rbd, community, start year, {year: [teacher ids]})
COMMUNITIES = [
    (100, "ca", 2024, {2024: ["t1"], 2025: ["t1"]}),
    (200, "cb", 2024, {2024: ["t5"]}),
    (300, "cc", 2024, {2024: ["t7"]}),
    (400, "cd", 2024, {2024: ["t10"], 2025: ["t10", "t11"]}),
    (500, "ce", 2024, {2024: ["t13"]}),
]
# (rbd, grade, letter, teacher, {year: (students, failed)})
COURSES = [
    (100, 4, "A", "t1", {2023: (50, 10), 2024: (50, 2), 2025: (50, 1)}),
    (100, 4, "B", "t2", {2023: (50, 8), 2024: (50, 6), 2025: (50, 5)}),
    (200, 4, "A", "t5", {2023: (20, 4), 2024: (20, 2)}),
    (200, 4, "B", "t6", {2023: (20, 4), 2024: (20, 2)}),
    (300, 4, "A", "t7", {2023: (30, 6), 2024: (30, 3)}),
    (300, 4, "B", "t8", {2023: (5, 1), 2024: (5, 1)}),
    (300, 5, "A", "t9", {2023: (20, 2), 2024: (20, 2)}),
    (400, 4, "A", "t10", {2023: (20, 4), 2024: (20, 2), 2025: (20, 1)}),
    (400, 4, "B", "t11", {2023: (20, 4), 2024: (20, 3), 2025: (20, 2)}),
    (400, 4, "C", "t12", {2023: (20, 4), 2024: (20, 4), 2025: (20, 4)}),
    (500, 4, "A", "t13", {2023: (30, 3), 2024: (30, 3)}),
    (500, 4, "B", "t14", {2023: (20, 2), 2024: (20, 2)}),
    (500, 6, "A", "t15", {2023: (5, 1), 2024: (5, 1)}),
]


def _tables() -> dict[str, pd.DataFrame]:
    schools = sorted({c[0] for c in COURSES})
    results, assignments = [], []
    for rbd, grade, letter, teacher, years in COURSES:
        for year, (students, failed) in years.items():
            assignments.append((year, teacher, rbd, 110, grade, letter, "lenguaje"))
            for i in range(students):
                fails = i < failed
                results.append(
                    (
                        year,
                        rbd,
                        110,
                        grade,
                        letter,
                        f"{rbd}{grade}{letter}-{year}-{i}",
                        3.5 if fails else 5.5,
                        "R" if fails else "P",
                        80.0 if fails else 95.0,
                    )
                )
    members = [
        (year, cid, t)
        for _, cid, _, by_year in COMMUNITIES
        for year, ts in by_year.items()
        for t in ts
    ]
    teachers = sorted({c[3] for c in COURSES})
    return {
        "school": pd.DataFrame(
            {
                "rbd": schools,
                "name": [f"Escuela {r}" for r in schools],
                "comuna": "Uno",
                "baseline_year": 2023,
            }
        ),
        "community": pd.DataFrame(
            [
                (
                    cid,
                    rbd,
                    f"Comunidad {cid}",
                    "comunidad de práctica",
                    "Lectura",
                    date(start, 3, 1),
                )
                for rbd, cid, start, _ in COMMUNITIES
            ],
            columns=["id", "rbd", "name", "kind", "focus", "start_date"],
        ),
        "teacher": pd.DataFrame({"id": teachers, "name": teachers}),
        "community_member": pd.DataFrame(members, columns=["year", "community_id", "teacher_id"]),
        "teaching_assignment": pd.DataFrame(
            assignments,
            columns=["year", "teacher_id", "rbd", "cod_ense", "grade", "letter", "subject"],
        ),
        "student_result": pd.DataFrame(
            results,
            columns=[
                "year",
                "rbd",
                "cod_ense",
                "grade",
                "letter",
                "student_id",
                "final_average",
                "final_situation",
                "attendance_pct",
            ],
        ),
    }


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    s = open_store(tmp_path_factory.mktemp("cmp") / "cmp.duckdb")
    with s.transaction() as cur:
        batch = s.new_batch(cur, kind="prueba", file_name="cmp", file_hash="cmp", actor="test")
        for table, frame in _tables().items():
            s.insert_frame(cur, table, frame, batch)
    yield s
    s.close()


@pytest.fixture(scope="module")
def out(store: Store) -> pd.DataFrame:
    return compute_indicators(
        store,
        Scope.all(),
        corte=CUTOFF,
        min_group=10,
        mensual=False,
        indicadores=["tasa_reprobacion", "promedio_notas", "permanencia_docente"],
    )


def one(df: pd.DataFrame, code: str, sid: str, year: str, kind: str = "comunidad") -> pd.Series:
    hit = df[
        (df["indicador"] == code)
        & (df["alcance"] == kind)
        & (df["alcance_id"] == sid)
        & (df["periodo"] == year)
    ]
    assert len(hit) == 1, f"{code} {sid} {year}: {len(hit)} rows"
    return hit.iloc[0]


def close(value: object, expected: float, tol: float = 1e-9) -> bool:
    return (
        value is not None
        and not pd.isna(value)
        and math.isclose(
            float(value),
            expected,
            abs_tol=tol,  # type: ignore[arg-type]
        )
    )


def unit_var(k: int, n: int) -> float:
    """A proportion's variance per unit as the engine takes it: from (k + 1) / (n + 2)."""
    p = 100.0 * (k + 1) / (n + 2)
    return p * (100.0 - p)


def test_the_fields_are_in_the_output(out: pd.DataFrame) -> None:
    assert list(out.columns) == list(OUTPUT_COLUMNS)
    # The comparison groups are never rows of their own.
    assert set(out["alcance"].astype(str)) == {"comunidad", "establecimiento"}
    r = one(out, "tasa_reprobacion", "ca", "2024")
    assert r["grupo_comparacion"] == COMPARISON_GROUP
    # Schools and indicators without a comparison group carry none.
    s = one(out, "tasa_reprobacion", "100", "2024", kind="establecimiento")
    assert pd.isna(s["grupo_comparacion"]) and pd.isna(s["valor_comparacion"])
    p = one(out, "permanencia_docente", "ca", "2024")
    assert pd.isna(p["grupo_comparacion"]) and pd.isna(p["dif_en_dif"])


def test_a_community_that_improves_more_than_the_rest(out: pd.DataFrame) -> None:
    r = one(out, "tasa_reprobacion", "ca", "2024")
    assert close(r["valor"], 4.0) and close(r["cambio"], -16.0)  # 2/50 against 10/50
    assert close(r["valor_comparacion"], 12.0)  # 4°B: 6/50
    assert r["n_comparacion"] == 50
    assert close(r["cambio_comparacion"], -4.0)  # 12 − 16 (8/50)
    assert close(r["dif_en_dif"], -12.0)
    se = math.sqrt(
        unit_var(2, 50) / 50 + unit_var(10, 50) / 50 + unit_var(6, 50) / 50 + unit_var(8, 50) / 50
    )
    assert close(r["dd_ic_inferior"], -12.0 - Z95 * se)
    assert close(r["dd_ic_superior"], -12.0 + Z95 * se)
    # ≈ (−31,2; 7,2): the difference is not conclusive with 50 students a course.
    assert r["dd_concluyente"] is False or r["dd_concluyente"] == False  # noqa: E712
    # A mean: (48 × 5,5 + 2 × 3,5) / 50 − (40 × 5,5 + 10 × 3,5) / 50 = 5,42 − 5,10 in the
    # community; 5,26 − 5,18 in 4°B.
    m = one(out, "promedio_notas", "ca", "2024")
    assert close(m["cambio"], 0.32) and close(m["cambio_comparacion"], 0.08)
    assert close(m["dif_en_dif"], 0.24)


def test_the_baseline_year_has_a_comparison_and_no_interval(out: pd.DataFrame) -> None:
    r = one(out, "tasa_reprobacion", "ca", "2023")
    assert close(r["valor"], 20.0) and close(r["valor_comparacion"], 16.0)
    assert close(r["cambio_comparacion"], 0.0) and close(r["dif_en_dif"], 0.0)
    assert pd.isna(r["dd_ic_inferior"]) and pd.isna(r["dd_concluyente"])


def test_a_community_that_improves_exactly_as_the_rest(out: pd.DataFrame) -> None:
    r = one(out, "tasa_reprobacion", "cb", "2024")
    assert close(r["cambio"], -10.0) and close(r["cambio_comparacion"], -10.0)
    assert close(r["dif_en_dif"], 0.0)
    assert r["dd_ic_inferior"] < 0 < r["dd_ic_superior"]
    assert r["dd_concluyente"] == False  # noqa: E712


def test_a_comparison_group_under_the_minimum_is_suppressed(out: pd.DataFrame) -> None:
    r = one(out, "tasa_reprobacion", "cc", "2024")
    assert close(r["valor"], 10.0)  # the community (30 students) still shows
    assert pd.isna(r["valor_comparacion"]) and pd.isna(r["n_comparacion"])
    assert pd.isna(r["cambio_comparacion"]) and pd.isna(r["dif_en_dif"])
    assert pd.isna(r["dd_ic_inferior"]) and pd.isna(r["dd_concluyente"])
    assert r["grupo_comparacion"] == COMPARISON_GROUP


def test_a_teacher_who_moves_into_a_community(out: pd.DataFrame) -> None:
    # 2024: the community is 4°A (t10); the comparison 4°B and 4°C (t11 not yet a member).
    r24 = one(out, "tasa_reprobacion", "cd", "2024")
    assert close(r24["valor"], 10.0)  # 2/20
    assert close(r24["valor_comparacion"], 17.5)  # (3 + 4) / 40
    assert r24["n_comparacion"] == 40
    # 2025: t11 joined, 4°B is the community's; the comparison is 4°C alone.
    r25 = one(out, "tasa_reprobacion", "cd", "2025")
    assert close(r25["valor"], 7.5)  # (1 + 2) / 40
    assert close(r25["valor_comparacion"], 20.0)  # 4/20
    assert r25["n_comparacion"] == 20
    # Against the same baseline year (2023 stands for the first members: 4°A 4/20 = 20 %;
    # the comparison then: 4°B and 4°C, 8/40 = 20 %).
    assert close(r25["cambio"], -12.5) and close(r25["cambio_comparacion"], 0.0)
    assert close(r25["dif_en_dif"], -12.5)


def test_the_comparison_group_is_hidden_before_the_community(out: pd.DataFrame) -> None:
    r = one(out, "tasa_reprobacion", "ce", "2024")
    assert close(r["valor"], 10.0)  # 3/30, shown
    assert pd.isna(r["valor_comparacion"])  # 20 students, but 55 − 30 − 20 = 5
    school = one(out, "tasa_reprobacion", "500", "2024", kind="establecimiento")
    assert close(school["valor"], 600 / 55)


def test_consolidation(out: pd.DataFrame) -> None:
    # 100: −16 in 2024 and −18 in 2025, both conclusive: consolidated in 2025; 2024 is the
    # first year after the baseline (unknown).
    assert pd.isna(one(out, "tasa_reprobacion", "ca", "2024")["consolidado"])
    r = one(out, "tasa_reprobacion", "ca", "2025")
    assert r["concluyente"] == True and r["cambio"] < 0  # noqa: E712
    assert r["consolidado"] == True  # noqa: E712
    # 400: −10 (2/20 against 4/20) in 2024 is not conclusive with 20 students: not
    # consolidated in 2025, though that year's change may be.
    assert one(out, "tasa_reprobacion", "cd", "2024")["concluyente"] == False  # noqa: E712
    assert one(out, "tasa_reprobacion", "cd", "2025")["consolidado"] == False  # noqa: E712
    # The school 100 (both courses, 100 students): 18 % → 8 % → 6 %, conclusive in 2024 and
    # 2025: consolidation is every scope's, not only communities'.
    s = one(out, "tasa_reprobacion", "100", "2025", kind="establecimiento")
    assert s["concluyente"] == True and s["consolidado"] == True  # noqa: E712


def test_consolidation_ignores_a_filter_on_the_year(store: Store) -> None:
    df = compute_indicators(
        store,
        Scope.all(),
        corte=CUTOFF,
        min_group=10,
        mensual=False,
        anio=2025,
        indicadores=["tasa_reprobacion"],
    )
    assert set(df["periodo"].astype(str)) == {"2025"}
    assert one(df, "tasa_reprobacion", "ca", "2025")["consolidado"] == True  # noqa: E712


def test_a_store_without_teaching_assignments_has_no_comparison(tmp_path: object) -> None:
    tables = _tables()
    with open_store(":memory:") as s:
        with s.transaction() as cur:
            batch = s.new_batch(cur, kind="prueba", file_name="x", file_hash="x", actor="t")
            for table, frame in tables.items():
                if table != "teaching_assignment":
                    s.insert_frame(cur, table, frame, batch)
        df = compute_indicators(
            s,
            Scope.all(),
            corte=CUTOFF,
            min_group=10,
            mensual=False,
            indicadores=["tasa_reprobacion"],
        )
    assert df.loc[df["alcance"] == "comunidad", "valor_comparacion"].isna().all()
    assert df["dif_en_dif"].isna().all()


def test_two_comparison_groups_of_a_school_that_differ_by_a_few_are_not_both_shown() -> None:
    from metrics.engine.compute import suppress_beside

    # School 200 students; communities of 40 and 35 (rows 1, 2); their comparison groups of
    # 30 and 26 (rows 3, 4) may hold one another: 4 students would show as the difference.
    hidden = suppress_beside([200, 40, 35, 30, 26], [False] * 5, [0, 0], [1, 2], [3, 4], 10)
    assert hidden.tolist() == [False, False, False, False, True]
    # 30 and 30: the same courses, nothing to give away; 30 and 15: 15 apart, enough.
    same = suppress_beside([200, 40, 35, 30, 30], [False] * 5, [0, 0], [1, 2], [3, 4], 10)
    apart = suppress_beside([200, 40, 35, 30, 15], [False] * 5, [0, 0], [1, 2], [3, 4], 10)
    assert not same.any() and not apart.any()
    # A hidden school hides its comparison groups.
    assert suppress_beside([200, 40, 30], [True, False, False], [0], [1], [2], 10)[2]


def test_the_demo_tells_the_comparison_story(tmp_path: object) -> None:
    """Escuela Los Aromos: the rest of the school (1° to 4° B) improves a little too, so the
    difference in differences of the headline community is smaller than its raw change."""
    from pathlib import Path

    from metrics import cli

    db = Path(str(tmp_path)) / "demo.duckdb"
    assert cli.main(["demo", "--db", str(db)]) == 0
    with open_store(db) as s:
        df = compute_indicators(
            s,
            Scope.all(),
            corte=CUTOFF,
            mensual=False,
            alcance_id="com-90001-1",
            indicadores=["tasa_reprobacion"],
        )
    r = one(df, "tasa_reprobacion", "com-90001-1", "2024")
    assert r["cambio"] < r["cambio_comparacion"] < 0  # both fall, the community's more
    assert r["cambio"] < r["dif_en_dif"] < 0  # smaller than the raw change
    assert r["n_comparacion"] >= 100


# -- between schools ----------------------------------------------------------------------------
# Comuna c1: 600 (a community), 601 and 602 (none); comuna c2: 603 (a community) alone; SLEP
# s1: all four. Students (tasa_reprobacion, failed 2023 → 2024): 600 40 (8 → 2), 601 30
# (6 → 5), 602 20 (4 → 3), 603 30 (6 → 3). 600 is compared with c1's schools without
# communities (601 + 602: 10/50 → 8/50, 20 % → 16 %); 603's comuna has none, so with s1's
# (the same two); s1 with its own.
PEER_SCHOOLS = {600: (40, 8, 2), 601: (30, 6, 5), 602: (20, 4, 3), 603: (30, 6, 3)}


def _peer_tables() -> dict[str, pd.DataFrame]:
    results, assignments = [], []
    for rbd, (n, f23, f24) in PEER_SCHOOLS.items():
        for year, failed in ((2023, f23), (2024, f24)):
            assignments.append((year, f"p{rbd}", rbd, 110, 4, "A", "lenguaje"))
            results += [
                (
                    year,
                    rbd,
                    110,
                    4,
                    "A",
                    f"{rbd}-{year}-{i}",
                    3.5 if i < failed else 5.5,
                    "R" if i < failed else "P",
                    90.0,
                )
                for i in range(n)
            ]
    schools = sorted(PEER_SCHOOLS)
    return {
        "territory": pd.DataFrame(
            [
                ("comuna:c1", "Comuna Uno", "comuna"),
                ("comuna:c2", "Comuna Dos", "comuna"),
                ("slep:s1", "SLEP Uno", "slep"),
            ],
            columns=["id", "name", "kind"],
        ),
        "school": pd.DataFrame(
            {
                "rbd": schools,
                "name": [f"Escuela {r}" for r in schools],
                "comuna": "x",
                "baseline_year": 2023,
            }
        ),
        "school_territory": pd.DataFrame(
            [(600, "comuna:c1"), (601, "comuna:c1"), (602, "comuna:c1"), (603, "comuna:c2")]
            + [(r, "slep:s1") for r in schools],
            columns=["rbd", "territory_id"],
        ),
        "community": pd.DataFrame(
            [
                ("k600", 600, "K600", "comunidad de práctica", "x", date(2024, 3, 1)),
                ("k603", 603, "K603", "comunidad de práctica", "x", date(2024, 3, 1)),
            ],
            columns=["id", "rbd", "name", "kind", "focus", "start_date"],
        ),
        "teacher": pd.DataFrame({"id": ["p600", "p603"], "name": ["A", "B"]}),
        "community_member": pd.DataFrame(
            [(2024, "k600", "p600"), (2024, "k603", "p603")],
            columns=["year", "community_id", "teacher_id"],
        ),
        "teaching_assignment": pd.DataFrame(
            assignments,
            columns=["year", "teacher_id", "rbd", "cod_ense", "grade", "letter", "subject"],
        ),
        "student_result": pd.DataFrame(
            results,
            columns=[
                "year",
                "rbd",
                "cod_ense",
                "grade",
                "letter",
                "student_id",
                "final_average",
                "final_situation",
                "attendance_pct",
            ],
        ),
    }


@pytest.fixture(scope="module")
def peers() -> Iterator[pd.DataFrame]:
    with open_store(":memory:") as s:
        with s.transaction() as cur:
            batch = s.new_batch(cur, kind="prueba", file_name="p", file_hash="p", actor="t")
            for table, frame in _peer_tables().items():
                s.insert_frame(cur, table, frame, batch)
        yield compute_indicators(
            s,
            Scope.all(),
            corte=CUTOFF,
            min_group=10,
            mensual=False,
            indicadores=["tasa_reprobacion"],
        )


def test_a_school_is_compared_with_the_schools_without_communities_of_its_comuna(
    peers: pd.DataFrame,
) -> None:
    r = one(peers, "tasa_reprobacion", "600", "2024", kind="establecimiento")
    assert r["grupo_comparacion"] == "establecimientos sin comunidades de Comuna Uno"
    assert close(r["valor"], 5.0) and close(r["cambio"], -15.0)
    assert close(r["valor_comparacion"], 16.0) and r["n_comparacion"] == 50
    assert close(r["cambio_comparacion"], -4.0) and close(r["dif_en_dif"], -11.0)
    se = math.sqrt(
        unit_var(2, 40) / 40 + unit_var(8, 40) / 40 + unit_var(8, 50) / 50 + unit_var(10, 50) / 50
    )
    assert close(r["dd_ic_inferior"], -11.0 - Z95 * se)


def test_a_school_whose_comuna_has_none_is_compared_within_its_slep(peers: pd.DataFrame) -> None:
    r = one(peers, "tasa_reprobacion", "603", "2024", kind="establecimiento")
    assert r["grupo_comparacion"] == "establecimientos sin comunidades de SLEP Uno"
    assert close(r["cambio"], -10.0) and close(r["cambio_comparacion"], -4.0)
    assert close(r["dif_en_dif"], -6.0)


def test_a_territory_is_compared_with_its_own_schools_without_communities(
    peers: pd.DataFrame,
) -> None:
    s1 = one(peers, "tasa_reprobacion", "slep:s1", "2024", kind="territorio")
    assert close(s1["valor"], 100 * 13 / 120) and close(s1["valor_comparacion"], 16.0)
    assert close(s1["dif_en_dif"], (100 * 13 / 120 - 20.0) - (-4.0))
    # Comuna Dos has no school without communities: nothing to compare with.
    c2 = one(peers, "tasa_reprobacion", "comuna:c2", "2024", kind="territorio")
    assert pd.isna(c2["grupo_comparacion"]) and pd.isna(c2["valor_comparacion"])


def test_a_school_without_communities_has_no_comparison(peers: pd.DataFrame) -> None:
    r = one(peers, "tasa_reprobacion", "601", "2024", kind="establecimiento")
    assert pd.isna(r["grupo_comparacion"]) and pd.isna(r["dif_en_dif"])
    # Nor are a territory's schools without communities.
    assert set(peers["alcance"].astype(str)) == {"comunidad", "establecimiento", "territorio"}
    assert len(peers) == len(peers.drop_duplicates(["alcance", "alcance_id", "periodo"]))


def test_the_trend_says_and_draws_the_comparison(out: pd.DataFrame, peers: pd.DataFrame) -> None:
    from metrics.presentation.views import trend_view

    view = trend_view(out, "tasa_reprobacion", "comunidad", "ca", 2025)
    assert view is not None
    # 2025: 2 % against 20 % in the community; 10 % against 16 % in 4°B; both years conclusive.
    assert view.full_headline.endswith(
        "Desde 2023, la tasa de reprobación bajó 18,0 puntos en los cursos de la comunidad y "
        "6,0 en el resto del establecimiento (mismos niveles): 12,0 puntos más de baja "
        "(IC 95 %: −30,6 a 6,6; diferencia no concluyente). ✓ Se consolida: el cambio es "
        "concluyente este año y el anterior."
    )
    spec = view.chart().to_dict()
    group = spec["datasets"]["comparacion"]
    assert [(g["periodo"], g["valor"]) for g in group] == [
        ("2023", 16.0),
        ("2024", 12.0),
        ("2025", 10.0),
    ]
    assert group[-1]["etiqueta"] == "Resto del establecimiento"
    school = trend_view(peers, "tasa_reprobacion", "establecimiento", "600", 2024)
    assert school is not None and "en los establecimientos sin comunidades de Comuna Uno" in (
        school.full_headline
    )
    spec = school.chart().to_dict()
    assert spec["datasets"]["comparacion"][-1]["etiqueta"] == "Sin comunidades"
    # A school without communities: no comparison, no grey line.
    alone = trend_view(peers, "tasa_reprobacion", "establecimiento", "601", 2024)
    assert alone is not None and "sin comunidades" not in alone.full_headline
    assert alone.chart().to_dict()["datasets"]["comparacion"] == []


def test_a_trend_stops_at_the_chosen_year(out: pd.DataFrame) -> None:
    from metrics.presentation.views import trend_view

    view = trend_view(out, "tasa_reprobacion", "comunidad", "ca", 2024)
    assert view is not None
    assert list(view.frame["periodo"]) == ["2023", "2024"]  # not 2025, a later year
    spec = view.chart().to_dict()
    assert [g["periodo"] for g in spec["datasets"]["comparacion"]] == ["2023", "2024"]
