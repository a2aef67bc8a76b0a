"""Shared fixtures: fresh stores on disk and a tiny two-school store filled by hand."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from metrics.store import Store, open_store

SCHOOL_A = 101
SCHOOL_B = 202


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    return tmp_path / "tablero.duckdb"


@pytest.fixture
def empty_store(store_path: Path) -> Iterator[Store]:
    store = open_store(store_path)
    yield store
    store.close()


def _rows_for(rbd: int, tag: str) -> dict[str, pd.DataFrame]:
    """One or two rows of every dataset for one school; ids carry ``tag``."""
    community = f"c-{tag}"
    teacher = f"t-{tag}"
    return {
        "territory": pd.DataFrame(
            {"id": [f"comuna:{rbd}"], "name": [f"Comuna {tag}"], "kind": ["comuna"]}
        ),
        "school": pd.DataFrame(
            {"rbd": [rbd], "check_digit": ["1"], "name": [f"Escuela {tag}"], "comuna": [tag]}
        ),
        "school_territory": pd.DataFrame({"rbd": [rbd], "territory_id": [f"comuna:{rbd}"]}),
        "community": pd.DataFrame(
            {
                "id": [community],
                "rbd": [rbd],
                "name": [f"Comunidad {tag}"],
                "kind": ["comunidad de práctica"],
                "start_date": [date(2024, 3, 1)],
            }
        ),
        "teacher": pd.DataFrame({"id": [teacher], "name": [f"Docente {tag}"]}),
        "teacher_year": pd.DataFrame(
            {
                "year": [2024],
                "teacher_id": [teacher],
                "rbd": [rbd],
                "years_experience": [2],
                "tramo": ["inicial"],
            }
        ),
        "community_member": pd.DataFrame(
            {"year": [2024], "community_id": [community], "teacher_id": [teacher]}
        ),
        "activity": pd.DataFrame(
            {
                "id": [f"a-{tag}"],
                "community_id": [community],
                "kind": ["reunión"],
                "planned_date": [date(2024, 4, 2)],
                "status": ["realizada"],
            }
        ),
        "session_attendance": pd.DataFrame(
            {
                "community_id": [community],
                "session_date": [date(2024, 4, 2)],
                "teacher_id": [teacher],
                "attended": [True],
                "strategies_shared": [1],
            }
        ),
        "survey_response": pd.DataFrame(
            {
                "instrument": ["enc"],
                "wave": ["línea base"],
                "response_date": [date(2024, 4, 1)],
                "respondent_kind": ["docente"],
                "rbd": [rbd],
                "item": ["i1"],
                "dimension": ["colaboracion"],
                "answer": [4],
            }
        ),
        "teacher_evaluation": pd.DataFrame(
            {
                "teacher_id": [teacher],
                "rbd": [rbd],
                "eval_date": [date(2024, 5, 1)],
                "instrument": ["observación de aula"],
                "domain": ["A"],
                "score": [3],
            }
        ),
        "student_result": pd.DataFrame(
            {
                "year": [2024, 2024],
                "rbd": [rbd, rbd],
                "cod_ense": [110, 110],
                "grade": [1, 1],
                "letter": ["A", "A"],
                "student_id": [f"s1-{tag}", f"s2-{tag}"],
                "final_average": [5.5, 3.9],
                "final_situation": ["P", "R"],
                "attendance_pct": [91.0, 80.0],
            }
        ),
        "student_attendance": pd.DataFrame(
            {
                "year": [2024],
                "month": [3],
                "rbd": [rbd],
                "cod_ense": [110],
                "grade": [1],
                "letter": ["A"],
                "student_id": [f"s1-{tag}"],
                "days_attended": [18],
                "days_worked": [20],
            }
        ),
        "standardized_test": pd.DataFrame(
            {
                "year": [2024],
                "rbd": [rbd],
                "test": ["SIMCE"],
                "grade_level": ["4b"],
                "subject": ["lectura"],
                "mean_score": [250.0],
                "students_assessed": [30],
            }
        ),
        "dia_result": pd.DataFrame(
            {
                "year": [2024],
                "rbd": [rbd],
                "period": ["diagnóstico"],
                "grade_level": ["4b"],
                "area": ["lectura"],
                "pct_insatisfactorio": [40.0],
                "pct_intermedio": [35.0],
                "pct_satisfactorio": [25.0],
                "pct_logro": [48.5],
                "students_assessed": [30],
            }
        ),
        "teaching_assignment": pd.DataFrame(
            {
                "year": [2024],
                "teacher_id": [teacher],
                "rbd": [rbd],
                "cod_ense": [110],
                "grade": [1],
                "letter": ["A"],
                "subject": ["lenguaje"],
            }
        ),
        "target": pd.DataFrame(
            {
                "indicator": ["tasa_reprobacion", "participacion_activa"],
                "scope_kind": ["establecimiento", "comunidad"],
                "scope_id": [str(rbd), community],
                "target_value": [3.0, 90.0],
                "deadline_year": [2025, 2025],
            }
        ),
    }


def fill_school(store: Store, rbd: int, tag: str) -> int:
    """Insert one batch with a row of every dataset for school ``rbd``; return the batch id."""
    with store.transaction() as cur:
        batch = store.new_batch(
            cur, kind="prueba", file_name=f"{tag}.csv", file_hash=f"h-{tag}", actor="test"
        )
        for table, frame in _rows_for(rbd, tag).items():
            store.insert_frame(cur, table, frame, batch)
    return batch


@pytest.fixture
def two_schools(empty_store: Store) -> Store:
    """A store with every dataset filled for school A (101) and school B (202)."""
    fill_school(empty_store, SCHOOL_A, "a")
    fill_school(empty_store, SCHOOL_B, "b")
    return empty_store


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled demo store, built once per test session (closed: open it yourself)."""
    from tablero_demo.demo import build_demo

    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    with open_store(path) as store:
        build_demo(store)
    return path
