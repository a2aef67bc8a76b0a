"""A request for a few schools is computed over the schools tied to them through territories
(``linked_schools``), and gives exactly what the whole scope gives for them."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from metrics.engine.facts import linked_schools
from metrics.engine.indicators import compute_breakdowns, compute_indicators, restrict_to_schools
from metrics.presentation.views import plain
from metrics.scope import Scope
from metrics.store import Store, open_store
from tablero_demo.national import build_national

CUT = date(2025, 12, 31)


@pytest.fixture(scope="module")
def national() -> Store:
    """110 synthetic schools in several regions (territories never cross a region)."""
    store = open_store(":memory:")
    build_national(store, 3, scale=0.01)
    return store


def _territories(store: Store) -> pd.DataFrame:
    return store.cursor().execute("SELECT rbd, territory_id FROM school_territory").df()


def test_linked_schools_follow_shared_territories_only() -> None:
    """Hand-made: 1 and 2 share SLEP A, 2 and 3 share comuna B, 4 is alone in comuna C."""
    store = open_store(":memory:")
    cur = store.cursor()
    cur.execute(
        "INSERT INTO territory (id, name, kind, batch_id) VALUES ('slep:A', 'A', 'slep', 1), "
        "('comuna:B', 'B', 'comuna', 1), ('comuna:C', 'C', 'comuna', 1)"
    )
    for rbd in (1, 2, 3, 4):
        cur.execute(f"INSERT INTO school (rbd, name, batch_id) VALUES ({rbd}, 'E{rbd}', 1)")
    cur.execute(
        "INSERT INTO school_territory VALUES (1, 'slep:A', 1), (2, 'slep:A', 1), "
        "(2, 'comuna:B', 1), (3, 'comuna:B', 1), (4, 'comuna:C', 1)"
    )
    assert linked_schools(store, Scope.all(), [1]) == [1, 2, 3]
    assert linked_schools(store, Scope.all(), [3]) == [1, 2, 3]
    assert linked_schools(store, Scope.all(), [4]) == [4]
    assert linked_schools(store, Scope.all(), [1, 4]) == [1, 2, 3, 4]
    # Only visible schools tie: without 2, nothing links 1 to 3.
    assert linked_schools(store, Scope.schools([1, 3, 4]), [1]) == [1]
    # A school outside the scope links nothing; one without territories is its own set.
    assert linked_schools(store, Scope.schools([1, 2]), [3]) == []
    assert linked_schools(store, Scope.all(), [99]) == [99]


def test_the_linked_set_is_closed_and_smaller_than_the_country(national: Store) -> None:
    links = _territories(national)
    regions = national.cursor().execute("SELECT count(DISTINCT region_code) FROM school").fetchone()
    assert regions is not None and regions[0] > 1
    rbd = int(links["rbd"].iloc[0])
    linked = set(linked_schools(national, Scope.all(), [rbd]))
    assert rbd in linked
    assert len(linked) < links["rbd"].nunique()
    # Closed: every territory of a linked school has all its schools linked.
    touched = set(links.loc[links["rbd"].isin(linked), "territory_id"])
    assert set(links.loc[links["territory_id"].isin(touched), "rbd"]) == linked


def _same(got: pd.DataFrame, expected: pd.DataFrame) -> None:
    """Equal, up to the last bits of sums added in another order."""
    got = got.reset_index(drop=True)
    expected = expected.reset_index(drop=True)
    pd.testing.assert_frame_equal(got, expected, check_exact=False, rtol=1e-9)


@pytest.mark.parametrize("min_group", [10, 35])
def test_one_school_of_the_country_as_in_the_whole_country(national: Store, min_group: int) -> None:
    every = plain(compute_indicators(national, Scope.all(), corte=CUT, min_group=min_group))
    assert every["estado"].eq("suprimido").any()
    rbds = sorted(_territories(national)["rbd"].unique())
    for rbd in (int(rbds[0]), int(rbds[len(rbds) // 2])):
        one = plain(
            compute_indicators(national, Scope.all(), corte=CUT, rbds=[rbd], min_group=min_group)
        )
        assert {"comunidad", "establecimiento", "territorio"} <= set(one["alcance"])
        _same(one, restrict_to_schools(national, Scope.all(), every, [rbd]))


@pytest.mark.parametrize("min_group", [35, 120])
def test_breakdowns_of_one_school_as_in_the_whole_country(national: Store, min_group: int) -> None:
    every = compute_breakdowns(national, Scope.all(), corte=CUT, min_group=min_group)
    assert every["suprimido"].any()
    rbd = int(sorted(_territories(national)["rbd"].unique())[0])
    one = compute_breakdowns(national, Scope.all(), corte=CUT, rbds=[rbd], min_group=min_group)
    comms = set(national.communities(Scope.schools([rbd]))["id"].astype(str))
    terrs = set(_territories(national).query("rbd == @rbd")["territory_id"])
    kind, ident = every["alcance"], every["alcance_id"].astype(str)
    mine = (
        ((kind == "establecimiento") & (ident == str(rbd)))
        | ((kind == "comunidad") & ident.isin(comms))
        | ((kind == "territorio") & ident.isin(terrs))
    )
    assert set(one["alcance"]) == {"comunidad", "establecimiento", "territorio"}
    assert np.count_nonzero(mine) == len(one)
    _same(one, every[mine.to_numpy()])
