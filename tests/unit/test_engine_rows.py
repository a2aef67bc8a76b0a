"""The in-memory joins of a request's rows (``metrics.engine.rows``), on rows made by hand."""

from __future__ import annotations

import numpy as np
import pytest

from metrics.engine import rows as R


def made(
    year: list[float],
    *,
    sid: list[int] | None = None,
    base: list[bool] | None = None,
    n: list[float] | None = None,
    base_year: list[float] | None = None,
) -> R.Assembled:
    size = len(year)
    sid = sid or [0] * size
    return R.Assembled(
        ind=np.zeros(size, dtype=np.int64),
        kind=np.ones(size, dtype=np.int64),
        sid=np.asarray(sid, dtype=np.int64),
        sids=np.asarray(["101", "102"], dtype=object),
        year=np.asarray(year, dtype=float),
        month=np.zeros(size, dtype=np.int64),
        base=np.asarray(base or [False] * size),
        mon=np.zeros(size, dtype=bool),
        stats={
            "n": np.asarray(n or [10.0] * size, dtype=float),
            "rx": np.full(size, np.nan),
        },
        base_year=np.asarray(base_year or [np.nan] * size, dtype=float),
        scope_codes=np.asarray([4, 7], dtype=np.int64),
    )


def test_the_nearest_deadline_not_before_the_year_else_the_latest() -> None:
    rows = made([2023, 2025, 2026, 2029, np.nan, 2025], sid=[0, 0, 0, 0, 0, 1],
                base=[False, False, False, False, True, False])  # fmt: skip
    table = {  # scope numbered 4 in the facts is the rows' scope 0 ("101")
        "ind": [0, 0, 0, 0],
        "kind": [1, 1, 1, 2],
        "sc": [4, 4, 4, 7],
        "target_value": [10.0, 20.0, 30.0, 99.0],
        "deadline_year": [2026, 2024, 2028, 2026],
    }
    meta, deadline = R.targets(rows, table)
    assert deadline[:4].tolist() == [2024, 2026, 2026, 2028]
    assert meta[:4].tolist() == [20.0, 10.0, 10.0, 30.0]
    # The baseline wave has no target; nor does a scope whose targets are of another kind.
    assert np.isnan(meta[4]) and np.isnan(meta[5])


def test_a_baseline_wave_wins_then_the_baseline_year_then_a_provisional_first_year() -> None:
    # Scope 0: a baseline wave (row 0) and a baseline year 2023 (row 1).
    # Scope 1: no baseline year: its first year with students (2024, row 4) is provisional;
    # its 2023 row has no students.
    rows = made(
        [np.nan, 2023, 2024, 2023, 2024, 2025],
        sid=[0, 0, 0, 1, 1, 1],
        base=[True, False, False, False, False, False],
        n=[5.0, 10.0, 12.0, 0.0, 8.0, 9.0],
        base_year=[2023, 2023, 2023, np.nan, np.nan, np.nan],
    )
    brid, provisional, year = R.baselines(rows)
    assert brid.tolist() == [0, 0, 0, 4, 4, 4]
    assert provisional.tolist() == [False, False, False, True, True, True]
    assert year[3:].tolist() == [2024, 2024, 2024] and np.isnan(year[:3]).all()


def test_the_baseline_year_without_a_wave() -> None:
    rows = made([2022, 2023, 2024], base_year=[2023, 2023, 2023])
    brid, provisional, _ = R.baselines(rows)
    assert brid.tolist() == [1, 1, 1] and not provisional.any()


def test_lookup_finds_the_first_holder_or_none() -> None:
    keys = np.asarray([5, 3, 9, 3], dtype=np.int64)
    assert R._lookup(keys, np.asarray([3, 9, 4, 10, 0], dtype=np.int64)).tolist() == [
        1, 2, -1, -1, -1,
    ]  # fmt: skip
    assert R._lookup(keys[:0], np.asarray([1], dtype=np.int64)).tolist() == [-1]


@pytest.mark.parametrize(
    ("left", "right"),
    [
        ([2, 0, 2, 5, 1], [2, 2, 0, 7, 5, 2]),  # small scope numbers: a table of counts
        ([2, -1, 2], [-1, 2, 3]),  # −1 (not numbered) on both sides: binary searches
        ([10**9, 3], [3, 10**9, 10**9]),  # keys too far apart for a table
        ([], [1, 2]),
        ([1, 2], []),
    ],
    ids=["counts", "negative", "wide", "no-left", "no-right"],
)
def test_pairs_is_the_inner_join_in_left_then_right_order(
    left: list[int], right: list[int]
) -> None:
    li, ri = R._pairs(np.asarray(left, dtype=np.int64), np.asarray(right, dtype=np.int64))
    expected = [(i, j) for i, a in enumerate(left) for j, b in enumerate(right) if a == b]
    assert list(zip(li.tolist(), ri.tolist(), strict=True)) == expected


def test_baselines_and_targets_with_scopes_out_of_order() -> None:
    # Rows of two scopes interleaved (not in output order): each row still finds its own
    # scope's baseline year, first valued year and target.
    rows = made(
        [2023, 2023, 2024, 2024, 2025],
        sid=[0, 1, 0, 1, 1],
        n=[10.0, 0.0, 12.0, 8.0, 9.0],
        base_year=[2024, np.nan, 2024, np.nan, np.nan],
    )
    brid, provisional, year = R.baselines(rows)
    assert brid.tolist() == [2, 3, 2, 3, 3]
    assert provisional.tolist() == [False, True, False, True, True]
    assert year.tolist()[1::2] == [2024, 2024] and np.isnan(year[[0, 2]]).all()
    table = {
        "ind": [0, 0, 0],
        "kind": [1, 1, 1],
        "sc": [7, 4, 7],
        "target_value": [50.0, 60.0, 70.0],
        "deadline_year": [2024, 2026, 2026],
    }
    meta, deadline = R.targets(rows, table)
    assert meta.tolist() == [60.0, 50.0, 60.0, 50.0, 70.0]
    assert deadline.tolist() == [2026, 2024, 2026, 2024, 2026]


@pytest.mark.parametrize("dense_limit", [R._DENSE_LIMIT, 0], ids=["dense", "sorted"])
def test_territory_sums_add_up_each_territorys_schools(
    dense_limit: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Schools 0 and 1 in territory 5, school 1 also in territory 6: a territory's sums are
    its schools' (NaN where every school's is missing; y0 their minimum), per indicator,
    year, month and wave; the same with a dense table and, past its limit, by sorting."""
    monkeypatch.setattr(R, "_DENSE_LIMIT", dense_limit)
    nan = np.nan
    facts = {
        "ind": np.array([3, 3, 3, 4]),
        "sc": np.array([0, 1, 1, 0]),
        "year": np.array([2024.0, 2024.0, 2025.0, nan]),
        "month": np.array([0, 0, 0, 0]),
        "base": np.array([False, False, False, True]),
        "mon": np.zeros(4, dtype=bool),
        "n": np.array([10.0, 30.0, 7.0, 4.0]),
        "k": np.array([nan, 6.0, nan, nan]),
        "y0": np.array([nan, 2023.0, nan, 2022.0]),
    }
    got = R.territory_sums(
        facts, ("n", "k", "y0"), np.array([0, 1, 1]), np.array([5, 5, 6]), size=7
    )
    table = sorted(
        zip(
            got["sc"].tolist(),
            got["ind"].tolist(),
            np.nan_to_num(got["year"], nan=0).tolist(),
            got["base"].tolist(),
            got["n"].tolist(),
            np.nan_to_num(got["k"], nan=-1).tolist(),
            np.nan_to_num(got["y0"], nan=-1).tolist(),
            strict=True,
        )
    )
    assert table == [
        (5, 3, 2024.0, False, 40.0, 6.0, 2023.0),
        (5, 3, 2025.0, False, 7.0, -1.0, -1.0),
        (5, 4, 0.0, True, 4.0, -1.0, 2022.0),
        (6, 3, 2024.0, False, 30.0, 6.0, 2023.0),
        (6, 3, 2025.0, False, 7.0, -1.0, -1.0),
    ]
    assert set(got["kind"].tolist()) == {R.TERRITORY}
