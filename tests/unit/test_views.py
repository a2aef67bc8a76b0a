"""Store views for pages: scoped, and exact on hand-made rows."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from metrics.scope import Scope
from metrics.store import Store, views
from tests.conftest import SCHOOL_A, SCHOOL_B


@pytest.mark.parametrize("view", views.VIEW_READS, ids=lambda f: f.__name__)
def test_views_honour_the_scope(two_schools: Store, view) -> None:  # type: ignore[no-untyped-def]
    assert len(view(two_schools, Scope.nobody())) == 0
    every = view(two_schools, Scope.all())
    only_a = view(two_schools, Scope.schools([SCHOOL_A]))
    assert len(every) > 0
    assert 0 < len(only_a) <= len(every)


def test_community_roster_is_scoped(two_schools: Store) -> None:
    assert (
        len(views.community_roster(two_schools, Scope.schools([SCHOOL_B]), community_id="c-a")) == 0
    )
    roster = views.community_roster(two_schools, Scope.all(), community_id="c-a")
    assert roster[["year", "name", "novice"]].to_dict("records") == [
        {"year": 2024, "name": "Docente a", "novice": True}
    ]


def test_likert_turns_reverse_coded_items_around(empty_store: Store) -> None:
    answers = pd.DataFrame(
        {
            "instrument": ["enc"] * 4,
            "wave": ["final"] * 4,
            "response_date": [date(2025, 11, 3)] * 4,
            "respondent_kind": ["docente"] * 4,
            "respondent_id": ["p1", "p2", "p1", "p2"],
            "rbd": [SCHOOL_A] * 4,
            "item": ["Me siento solo", "Me siento solo", "Colaboro", "Colaboro"],
            "dimension": ["colaboracion"] * 4,
            "reverse_coded": [True, True, False, False],
            "answer": [1, 2, 5, 4],
        }
    )
    with empty_store.transaction() as cur:
        batch = empty_store.new_batch(cur, kind="x", file_name="x", file_hash="x", actor="t")
        empty_store.insert_frame(cur, "survey_response", answers, batch)
    df = views.likert_counts(empty_store, Scope.all())
    got = {(r.item, r.answer): r.n for r in df.itertuples()}
    assert got == {
        ("Me siento solo", 5): 1,
        ("Me siento solo", 4): 1,
        ("Colaboro", 5): 1,
        ("Colaboro", 4): 1,
    }


def test_schedule_by_month_cumulates_and_marks_the_cutoff(empty_store: Store) -> None:
    acts = pd.DataFrame(
        {
            "id": ["1", "2", "3", "4"],
            "community_id": ["c"] * 4,
            "kind": ["reunión"] * 4,
            "planned_date": [
                date(2024, 3, 5),
                date(2024, 3, 20),
                date(2024, 4, 2),
                date(2024, 5, 7),
            ],
            "status": ["realizada", "cancelada", "realizada", "planificada"],
        }
    )
    with empty_store.transaction() as cur:
        batch = empty_store.new_batch(cur, kind="x", file_name="x", file_hash="x", actor="t")
        empty_store.insert_frame(cur, "activity", acts, batch)
    df = views.schedule_by_month(empty_store, Scope.all(), cutoff=date(2024, 4, 30))
    assert df["planned_cum"].tolist() == [2, 3, 4]
    assert df["done_cum"].tolist() == [1, 2, 2]
    assert df["after_cutoff"].tolist() == [False, False, True]


def test_standardized_scores_weight_by_students(empty_store: Store) -> None:
    tests = pd.DataFrame(
        {
            "year": [2024, 2024, 2024],
            "rbd": [1, 2, 3],
            "test": ["SIMCE"] * 3,
            "grade_level": ["4b"] * 3,
            "subject": ["lectura"] * 3,
            "mean_score": [250.0, 280.0, None],
            "students_assessed": [30, 10, 4],
        }
    )
    with empty_store.transaction() as cur:
        batch = empty_store.new_batch(cur, kind="x", file_name="x", file_hash="x", actor="t")
        empty_store.insert_frame(cur, "standardized_test", tests, batch)
    idps = tests.head(1).assign(test="IDPS", subject="AM", mean_score=75.0, students_assessed=None)
    with empty_store.transaction() as cur:
        batch = empty_store.new_batch(cur, kind="y", file_name="y", file_hash="y", actor="t")
        empty_store.insert_frame(cur, "standardized_test", idps, batch)
    df = views.standardized_scores(empty_store, Scope.all())
    assert df["mean_score"].item() == pytest.approx((250 * 30 + 280 * 10) / 40)
    assert df["students"].item() == 44  # the IDPS row (0–100, no count) is not a test score
