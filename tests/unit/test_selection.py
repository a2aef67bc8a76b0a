"""What to compute for a person (metrics.selection): hand-made cases of each rule, and the
store-reading helpers on a small store built here."""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd
import pytest

from metrics.errors import AccessError, TableroError
from metrics.filters import Filters
from metrics.scope import Scope
from metrics.selection import (
    MANY_SCHOOLS,
    Plan,
    communities_need_a_school,
    default_territory,
    default_year,
    default_year_of,
    pack_target,
    plan_for,
    plan_rows,
    schools_for,
    selection_scope,
    standing_territory,
    standing_territory_shown,
    territory_label,
    territory_schools,
    widest_territory,
)
from metrics.store import Store, open_store

TERRITORIES = pd.DataFrame(
    {
        "id": ["slep:1", "deprov:2", "comuna:3"],
        "name": ["Centro", "Oriente", "Lampa"],
        "kind": ["slep", "deprov", "comuna"],
        "schools": [3, 5, 5],
    }
)
"""Two territories tie at five schools: the first in the store's order stands."""


def test_widest_territory_takes_the_most_schools_and_the_first_of_a_tie() -> None:
    assert widest_territory(TERRITORIES) == "deprov:2"
    assert widest_territory(TERRITORIES.iloc[[0]]) == "slep:1"
    assert widest_territory(TERRITORIES.iloc[0:0]) is None


@pytest.mark.parametrize(
    ("count", "rbd", "expected"),
    [
        (MANY_SCHOOLS, None, False),  # exactly the limit is still "a few"
        (MANY_SCHOOLS + 1, None, True),
        (MANY_SCHOOLS + 1, 90001, False),  # a chosen school shows its communities
        (0, None, False),
    ],
)
def test_communities_need_a_school_above_the_limit(
    count: int, rbd: int | None, expected: bool
) -> None:
    assert communities_need_a_school(count, rbd) is expected


@pytest.mark.parametrize(
    ("filters", "count", "expected"),
    [
        (Filters(), 201, "deprov:2"),
        (Filters(territory_id="slep:1"), 201, "slep:1"),
        (Filters(rbd=90001), 201, None),
        (Filters(), 200, None),
        (Filters(territory_id="slep:1"), 20, None),
    ],
)
def test_standing_territory(filters: Filters, count: int, expected: str | None) -> None:
    assert standing_territory(filters, count, "deprov:2") == expected


@pytest.mark.parametrize(
    ("filters", "count", "expected"),
    [
        # A few schools: the whole scope, computed once; a school is taken from it.
        (Filters(), 20, Plan(whole=True)),
        (Filters(rbd=7), 20, Plan(whole=True, rbd=7)),
        (Filters(territory_id="slep:1"), 20, Plan(whole=False, territory="slep:1")),
        # A school and a territory chosen: the school decides.
        (Filters(rbd=7, territory_id="slep:1"), 20, Plan(whole=True, rbd=7)),
        # Many schools: a school alone, or a territory without communities.
        (Filters(rbd=7), 201, Plan(whole=False, rbd=7)),
        (
            Filters(territory_id="slep:1"),
            201,
            Plan(whole=False, territory="slep:1", communities=False),
        ),
        (Filters(), 201, Plan(whole=False, territory="deprov:2", communities=False)),
    ],
)
def test_plan_rows(filters: Filters, count: int, expected: Plan) -> None:
    assert plan_rows(filters, count, "deprov:2") == expected


def test_plan_rows_over_many_schools_and_no_territory_asks_for_every_school_alone() -> None:
    assert plan_rows(Filters(), 500, None) == Plan(whole=False, communities=False)


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (Filters(community_id="c1", rbd=7, territory_id="slep:1"), ("comunidad", "c1")),
        (Filters(rbd=7, territory_id="slep:1"), ("establecimiento", "7")),
        (Filters(territory_id="slep:1"), ("territorio", "slep:1")),
        (Filters(), ("territorio", "deprov:2")),
    ],
)
def test_selection_scope(filters: Filters, expected: tuple[str, str]) -> None:
    assert selection_scope(filters, "deprov:2") == expected


def test_selection_scope_without_territories_is_none() -> None:
    assert selection_scope(Filters(), None) is None


def test_standing_territory_shown_only_when_it_holds_part_of_the_schools() -> None:
    shown = standing_territory_shown(Filters(), TERRITORIES, 8)
    assert shown is not None
    assert (shown.territory_id, shown.label, shown.schools, shown.total) == (
        "deprov:2",
        "DEPROV Oriente",
        5,
        8,
    )
    assert standing_territory_shown(Filters(), TERRITORIES, 5) is None  # it holds them all
    assert standing_territory_shown(Filters(rbd=7), TERRITORIES, 8) is None
    assert standing_territory_shown(Filters(territory_id="slep:1"), TERRITORIES, 8) is None
    assert standing_territory_shown(Filters(), TERRITORIES.iloc[0:0], 8) is None


def test_territory_label_of_an_unknown_kind_keeps_the_kind() -> None:
    assert territory_label("slep", "Centro") == "SLEP Centro"
    assert territory_label("region", "Maule") == "region Maule"


@pytest.mark.parametrize(
    ("years", "results", "expected"),
    [
        ([2023, 2024, 2025], 2024, 2024),  # 2025 holds only a schedule
        ([2023, 2025], None, 2025),
        ([], None, None),
    ],
)
def test_default_year_of(years: list[int], results: int | None, expected: int | None) -> None:
    assert default_year_of(years, results) == expected


# -- read from a store ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def store() -> Iterator[Store]:
    """Four schools: 101 and 102 in SLEP Norte, 103 in SLEP Sur, 104 in both Sur and the comuna
    of Lampa; no data yet."""
    s = open_store(":memory:")
    cur = s.cursor()
    for rbd, name in ((101, "A"), (102, "B"), (103, "C"), (104, "D")):
        cur.execute(f"INSERT INTO school (rbd, name, batch_id) VALUES ({rbd}, 'Escuela {name}', 1)")
    cur.execute(
        "INSERT INTO territory (id, name, kind, batch_id) VALUES ('slep:1', 'Norte', 'slep', 1), "
        "('slep:2', 'Sur', 'slep', 1), ('comuna:9', 'Lampa', 'comuna', 1)"
    )
    cur.execute(
        "INSERT INTO school_territory VALUES (101, 'slep:1', 1), (102, 'slep:1', 1), "
        "(103, 'slep:2', 1), (104, 'slep:2', 1), (104, 'comuna:9', 1)"
    )
    yield s
    s.close()


def test_default_territory_of_a_store_ties_go_to_the_store_order(store: Store) -> None:
    # Norte and Sur hold two schools each; Norte comes first by name.
    assert default_territory(store, Scope.all()) == "slep:1"
    assert default_territory(store, Scope.schools([103, 104])) == "slep:2"


def test_territory_schools_sees_only_the_scope(store: Store) -> None:
    assert sorted(territory_schools(store, Scope.all(), "slep:2")) == [103, 104]
    assert territory_schools(store, Scope.schools([104]), "slep:2") == [104]


def test_plan_for_a_few_schools(store: Store) -> None:
    assert plan_for(store, Scope.all(), Filters()) == Plan(whole=True)


def test_schools_for_a_command(store: Store) -> None:
    assert schools_for(store, Scope.all()) is None
    assert schools_for(store, Scope.all(), rbd=102) == [102]
    assert sorted(schools_for(store, Scope.all(), territory_id="slep:1") or []) == [101, 102]
    with pytest.raises(AccessError, match="No tiene acceso al establecimiento 101"):
        schools_for(store, Scope.schools([103]), rbd=101)
    with pytest.raises(TableroError, match="RBD 999"):
        schools_for(store, Scope.all(), rbd=999)
    with pytest.raises(TableroError, match="«slep:1» entre los que puede ver"):
        schools_for(store, Scope.schools([103]), territory_id="slep:1")


@pytest.mark.parametrize(
    ("scope", "filters", "expected"),
    [
        (Scope.all(), Filters(rbd=103), (103, None)),
        (Scope.all(), Filters(territory_id="slep:2"), (None, "slep:2")),
        (Scope.schools([104]), Filters(), (104, None)),  # a school's team: its school
        (Scope.all(), Filters(), (None, "slep:1")),  # an administrator: the widest territory
        # A supervisor who sees 103 and 104 sees SLEP Sur whole (not the comuna, smaller).
        (Scope.schools([103, 104]), Filters(), (None, "slep:2")),
        # One who sees 101 and 103 sees no territory whole: their first school by name.
        (Scope.schools([101, 103]), Filters(), (101, None)),
        (Scope.nobody(), Filters(), (None, None)),
    ],
)
def test_pack_target(
    store: Store, scope: Scope, filters: Filters, expected: tuple[int | None, str | None]
) -> None:
    assert pack_target(store, scope, filters) == expected


def test_default_year_is_the_latest_with_results() -> None:
    s = open_store(":memory:")
    assert default_year(s, Scope.all()) is None
    s.cursor().execute(
        "INSERT INTO school (rbd, name, batch_id) VALUES (101, 'A', 1);"
        "INSERT INTO student_result VALUES (2023, 101, 110, 1, 'A', 'x', 6.0, 'P', 90, 1),"
        " (2022, 101, 110, 1, 'A', 'y', 5.0, 'P', 90, 1)"
    )
    assert default_year(s, Scope.all()) == 2023
    assert default_year(s, Scope.schools([102])) is None
    s.close()
