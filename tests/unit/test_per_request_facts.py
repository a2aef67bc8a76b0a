"""Schedule compliance depends on the cut-off date, so it is not in the facts cache: the whole
store's is computed once per cut-off and file state (:func:`metrics.engine.facts._all_per_request`)
and each request takes its schools' rows from it.

Figures by hand on the two-school fixture (tests/conftest.py): community c-a of school 101 has
one activity, planned and done on 02-04-2024; c-b of school 202 the same on its own; each school
is the only one of its comuna.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd
import pytest

from metrics.engine import facts, sources
from metrics.engine.indicators import compute_indicators
from metrics.scope import Scope
from metrics.store import Store, open_store
from tests.conftest import SCHOOL_A, SCHOOL_B

CODE = "cumplimiento_cronograma"
END_2024 = date(2024, 12, 31)


@pytest.fixture
def queries(monkeypatch: pytest.MonkeyPatch) -> list[date]:
    """The cut-off of each schedule statement run."""
    runs: list[date] = []
    real = sources._schedule

    def counted(cur: Any, scope: Any, kinds: Any, wanted: Any, cutoff: date, monthly: Any) -> None:
        runs.append(cutoff)
        real(cur, scope, kinds, wanted, cutoff, monthly)

    monkeypatch.setattr(sources, "_schedule", counted)
    return runs


def compliance(store: Store, scope: Scope, cutoff: date) -> pd.DataFrame:
    df = compute_indicators(store, scope, corte=cutoff, indicadores=[CODE], mensual=False)
    return df[df["periodo"] == "2024"].set_index("alcance_id")


def add_activity(store: Store, planned: date, status: str) -> None:
    frame = pd.DataFrame(
        {
            "id": ["a-nueva"],
            "community_id": ["c-a"],
            "kind": ["reunión"],
            "responsible": ["UTP"],
            "planned_date": [planned],
            "done_date": [None],
            "status": [status],
        }
    )
    with store.transaction() as cur:
        batch = store.new_batch(cur, kind="prueba", file_name="a.csv", file_hash="a", actor="t")
        store.insert_frame(cur, "activity", frame, batch)


def test_one_statement_per_cutoff_serves_every_scope(two_schools: Store, queries: list[date]):
    one = compliance(two_schools, Scope.schools([SCHOOL_A]), END_2024)
    assert float(one.loc["c-a", "valor"]) == 100.0
    # The school's request holds its community, school and comuna, never the other school's.
    assert sorted(one.index) == ["101", "c-a", f"comuna:{SCHOOL_A}"]
    other = compliance(two_schools, Scope.schools([SCHOOL_B]), END_2024)
    assert sorted(other.index) == ["202", "c-b", f"comuna:{SCHOOL_B}"]
    both = compliance(two_schools, Scope.all(), END_2024)
    assert {"c-a", "c-b", "101", "202"} <= set(both.index)
    assert queries == [END_2024]  # three requests, one statement
    # Before the activity was due (31-03-2024), 2024 has nothing due: no value.
    march = compliance(two_schools, Scope.schools([SCHOOL_A]), date(2024, 3, 31))
    assert march["valor"].isna().all()
    assert queries == [END_2024, date(2024, 3, 31)]


def test_a_territory_adds_up_only_the_visible_schools(two_schools: Store):
    """A comuna holding both schools: its compliance for someone who sees one school is that
    school's (1 of 1 due), and for someone who sees both, the sum (2 of 2, then 2 of 3)."""
    with two_schools.transaction() as cur:
        cur.execute("UPDATE school_territory SET territory_id = 'comuna:101'")
    add_activity(two_schools, date(2024, 6, 3), "planificada")  # c-a: 1 done of 2 due
    one = compliance(two_schools, Scope.schools([SCHOOL_B]), END_2024)
    assert float(one.loc["comuna:101", "valor"]) == 100.0  # only c-b: 1 of 1
    assert int(one.loc["comuna:101", "n"]) == 1
    both = compliance(two_schools, Scope.all(), END_2024)
    assert float(both.loc["comuna:101", "valor"]) == pytest.approx(200.0 / 3)  # 2 of 3
    assert int(both.loc["comuna:101", "n"]) == 3
    assert float(both.loc["101", "valor"]) == 50.0


def test_a_schedule_change_is_seen_by_the_next_request(two_schools: Store, queries: list[date]):
    scope = Scope.schools([SCHOOL_A])
    assert float(compliance(two_schools, scope, END_2024).loc["c-a", "valor"]) == 100.0
    add_activity(two_schools, date(2024, 6, 3), "planificada")
    after = compliance(two_schools, scope, END_2024)
    assert float(after.loc["c-a", "valor"]) == 50.0  # 1 done of 2 due
    assert float(after.loc["101", "valor"]) == 50.0
    assert queries == [END_2024, END_2024]  # the file changed: computed again


def test_a_change_through_another_store_is_seen_too(two_schools: Store, queries: list[date]):
    """An import from the command line writes the file through another Store: the first one's
    computed schedule is keyed by the file's state, so it is computed again."""
    scope = Scope.schools([SCHOOL_A])
    assert float(compliance(two_schools, scope, END_2024).loc["c-a", "valor"]) == 100.0
    with open_store(two_schools.path) as other:
        add_activity(other, date(2024, 6, 3), "cancelada")
    assert float(compliance(two_schools, scope, END_2024).loc["c-a", "valor"]) == 50.0
    assert queries == [END_2024, END_2024]


def test_an_in_memory_store_keeps_nothing(queries: list[date]):
    store = open_store(":memory:")
    compute_indicators(store, Scope.all(), corte=END_2024, indicadores=[CODE])
    compute_indicators(store, Scope.all(), corte=END_2024, indicadores=[CODE])
    assert store not in facts._COMPUTED
    assert queries == [END_2024, END_2024]
