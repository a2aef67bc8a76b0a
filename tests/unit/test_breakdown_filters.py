"""Breakdowns narrowed by school, scope kind or year equal the same rows of the full set."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from metrics.engine.indicators import compute_breakdowns
from metrics.scope import Scope
from metrics.store import open_store
from tablero_demo.demo import CASE_SCHOOL_RBD

CUTOFF = date(2026, 11, 15)
KEYS = ["indicador", "desglose", "categoria", "alcance", "alcance_id", "periodo"]


@pytest.fixture(scope="module")
def full(demo_db: Path) -> pd.DataFrame:
    with open_store(demo_db) as store:
        return compute_breakdowns(store, Scope.all(), corte=CUTOFF).astype(object)


def _sorted(df: pd.DataFrame) -> pd.DataFrame:
    return df.astype(object).sort_values(KEYS).reset_index(drop=True)


def test_one_school(demo_db: Path, full: pd.DataFrame) -> None:
    with open_store(demo_db) as store:
        one = compute_breakdowns(store, Scope.all(), corte=CUTOFF, rbds=[CASE_SCHOOL_RBD])
        comms = set(store.communities(Scope.all(), CASE_SCHOOL_RBD)["id"])
    one = one.astype(object)
    school = one[one["alcance"] == "establecimiento"]
    assert set(school["alcance_id"]) == {str(CASE_SCHOOL_RBD)}
    assert set(one.loc[one["alcance"] == "comunidad", "alcance_id"]) <= comms
    expected = full[
        ((full["alcance"] == "establecimiento") & (full["alcance_id"] == str(CASE_SCHOOL_RBD)))
        | ((full["alcance"] == "comunidad") & full["alcance_id"].isin(comms))
    ]
    mine = one[one["alcance"] != "territorio"]
    pd.testing.assert_frame_equal(_sorted(mine), _sorted(expected))


def test_scope_kind_and_year(demo_db: Path, full: pd.DataFrame) -> None:
    with open_store(demo_db) as store:
        part = compute_breakdowns(
            store, Scope.all(), corte=CUTOFF, alcance="establecimiento", anio=2024
        )
    assert set(part["alcance"].astype(str)) == {"establecimiento"}
    assert len(part) > 0
    expected = full[
        (full["alcance"] == "establecimiento") & full["periodo"].astype(str).str.startswith("2024")
    ]
    assert len(part) == len(expected)
