"""Pure functions of metrics.engine.compute: change, progress, status, intervals, suppression."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from metrics.engine import compute


def test_worked_example_of_the_guide() -> None:
    # tasa_reprobacion: baseline 6,0 %, value 2,0 %, target 3,0 % (lower is better).
    cambio, pct = compute.compute_change(2.0, 6.0)
    assert cambio == pytest.approx(-4.0)
    assert round(pct, 1) == -66.7
    assert round(compute.compute_progress(2.0, 6.0, 3.0)) == 133
    assert compute.compute_status(2.0, 6.0, 3.0, -1, 0.5) == "logrado"


@pytest.mark.parametrize(
    ("valor", "base", "meta", "sign", "elapsed", "expected"),
    [
        (2.0, 6.0, 3.0, -1, 1.0, "logrado"),  # lower is better, below the target
        (3.0, 6.0, 3.0, -1, 1.0, "logrado"),  # exactly at the target
        (5.0, 6.0, 3.0, -1, 0.5, "en_riesgo"),  # progress 33 % < 50 − 15
        (4.5, 6.0, 3.0, -1, 0.5, "en_camino"),  # progress 50 % ≥ 35
        (4.5, 6.0, 3.0, -1, 1.0, "en_riesgo"),  # deadline reached, 50 % < 85
        (7.0, 6.0, 3.0, -1, 0.0, "en_riesgo"),  # worse than baseline: −33 % < −15
        (82.0, 80.0, 90.0, 1, 0.0, "en_camino"),  # nothing elapsed yet
        (95.0, 80.0, 90.0, 1, 0.2, "logrado"),
        (80.0, 80.0, 80.0, 1, 0.5, "logrado"),  # target equal to baseline, met
        (79.0, 80.0, 80.0, 1, 0.5, "en_riesgo"),  # target equal to baseline, not met
        # Inicio's schedule compliance: 79,4 % against a target of 85 %, no baseline (no
        # schedule in the baseline year): the value is there, what lacks is the baseline.
        (79.438202, math.nan, 85.0, 1, 0.5, "sin_linea_base"),
        (81.0, math.nan, 80.0, 1, 0.5, "logrado"),  # met needs no baseline
        (79.0, 70.0, math.nan, 1, 0.5, "sin_meta"),  # a value with a baseline, no target
        (79.0, math.nan, math.nan, 1, 0.5, "sin_meta"),  # neither: the target is named first
        (math.nan, 70.0, 80.0, 1, 0.5, "sin_datos"),  # no value: the only «sin datos»
        (math.nan, math.nan, math.nan, 1, 0.5, "sin_datos"),
    ],
)
def test_status(
    valor: float, base: float, meta: float, sign: int, elapsed: float, expected: str
) -> None:
    assert compute.compute_status(valor, base, meta, sign, elapsed) == expected


@pytest.mark.parametrize(
    ("valor", "base", "meta", "sign", "decimals", "expected"),
    [
        # inasistencia crónica «bajó a 18,8 %; la meta es 18,8 %»: 18,83 reads 18,8, the
        # target reads 18,8, lower is better → reached as shown (exactly: 18,83 > 18,8).
        (18.83, 34.09, 18.8, -1, 1, "logrado"),
        (18.83, 34.09, 18.8, -1, None, "en_camino"),  # progress 99,8 % ≥ 50 − 15
        (18.86, 34.09, 18.8, -1, 1, "en_camino"),  # reads 18,9: not reached
        (84.95, 80.0, 85.0, 1, 1, "logrado"),  # 84,95 reads 85,0 (half away from zero)
        (84.94, 80.0, 85.0, 1, 1, "en_camino"),  # reads 84,9
        (274.5, 250.0, 275.0, 1, 0, "logrado"),  # reads 275 on the chart and in the headline
    ],
)
def test_status_at_displayed_precision(
    valor: float, base: float, meta: float, sign: int, decimals: int | None, expected: str
) -> None:
    assert compute.compute_status(valor, base, meta, sign, 0.5, decimals=decimals) == expected


def test_round_half_away_matches_what_people_read() -> None:
    assert compute.round_half_away(274.5, 0) == 275.0
    assert compute.round_half_away(-274.5, 0) == -275.0
    assert compute.round_half_away(18.85, 1) == 18.9  # 18,850000000000001421… in binary
    assert compute.round_half_away(2.675, 2) == 2.67  # 2,67499999… in binary
    out = compute.round_half_away(np.array([0.05, 1.25, np.nan]), np.array([1, 1, 1]))
    assert out[:2].tolist() == [0.1, 1.3] and math.isnan(out[2])


def test_suppressed_status_wins() -> None:
    assert compute.compute_status(2.0, 6.0, 3.0, -1, 1.0, suppressed=True) == "suprimido"


def test_change_and_progress_edge_cases() -> None:
    cambio, pct = compute.compute_change(5.0, 0.0)
    assert cambio == 5.0 and math.isnan(pct)  # no relative change from 0
    assert math.isnan(compute.compute_progress(5.0, 4.0, 4.0))  # target = baseline
    assert compute.compute_progress(4.0, 4.0, 8.0) == 0.0
    out = compute.compute_progress(np.array([5.0, 6.0]), np.array([4.0, 4.0]), np.array([6.0, 6.0]))
    assert out.tolist() == [50.0, 100.0]


def test_elapsed_share() -> None:
    assert compute.elapsed_share(compute.period_end(2024), 2023, 2025) == 0.5
    assert compute.elapsed_share(compute.period_end(2023), 2023, 2025) == 0.0
    assert compute.elapsed_share(compute.period_end(2026), 2023, 2025) == 1.0
    # May 2024: 5 of 24 months from the end of 2023 to the end of 2025.
    assert compute.elapsed_share(compute.period_end(2024, 5), 2023, 2025) == pytest.approx(5 / 24)
    assert compute.elapsed_share(compute.period_end(2024), 2024, 2024) == 1.0


def test_wilson_known_values() -> None:
    lo, hi = compute.wilson(0, 10)
    assert lo == pytest.approx(0.0, abs=1e-12) and hi == pytest.approx(0.2775, abs=1e-4)
    lo, hi = compute.wilson(10, 10)
    assert lo == pytest.approx(0.7225, abs=1e-4) and hi == pytest.approx(1.0)
    assert all(math.isnan(x) for x in compute.wilson(0, 0))  # zero denominator


def test_newcombe_matches_newcombe_1998() -> None:
    # Newcombe (1998), Statistics in Medicine 17:873, table II, method 10.
    for (k1, n1, k0, n0), (lo, hi) in {
        (56, 70, 48, 80): (0.0524, 0.3339),
        (9, 10, 3, 10): (0.1705, 0.8090),
        (6, 7, 2, 7): (0.0582, 0.8062),
        (5, 56, 0, 29): (-0.0381, 0.1926),
    }.items():
        got = compute.newcombe(k1, n1, k0, n0)
        assert got[0] == pytest.approx(lo, abs=1e-4) and got[1] == pytest.approx(hi, abs=1e-4)
    assert all(math.isnan(x) for x in compute.newcombe(1, 0, 1, 5))


@pytest.mark.parametrize(
    ("df", "t"),
    [(1, 12.7062), (2, 4.3027), (3, 3.1824), (5, 2.5706), (10, 2.2281), (30, 2.0423), (1e6, 1.96)],
)
def test_t_quantile(df: float, t: float) -> None:
    assert compute.t_quantile_975(df) == pytest.approx(t, abs=1e-3)


def test_welch() -> None:
    # Equal variances and sizes: df = 18, t = 2.1009; se = sqrt(0.2).
    lo, hi = compute.welch(5.0, 1.0, 10, 4.0, 1.0, 10)
    half = 2.100922 * math.sqrt(0.2)
    assert lo == pytest.approx(1 - half, abs=1e-5) and hi == pytest.approx(1 + half, abs=1e-5)
    # Unequal: Welch–Satterthwaite df from a = 4/5, b = 1/20.
    a, b = 4 / 5, 1 / 20
    df = (a + b) ** 2 / (a * a / 4 + b * b / 19)
    lo, hi = compute.welch(3.0, 4.0, 5, 2.0, 1.0, 20)
    assert hi - 1.0 == pytest.approx(compute.t_quantile_975(df) * math.sqrt(a + b))
    assert all(math.isnan(x) for x in compute.welch(3.0, 1.0, 1, 2.0, 1.0, 20))  # n < 2
    assert compute.welch(3.0, 0.0, 5, 2.0, 0.0, 5) == (1.0, 1.0)  # no spread at all


def test_hedges_g_and_conclusive() -> None:
    # d = 0.5 with pooled sd 1; J = 1 − 3 / (4·40 − 9).
    assert compute.hedges_g(4.0, 1.0, 20, 3.5, 1.0, 20) == pytest.approx(0.5 * (1 - 3 / 151))
    assert math.isnan(compute.hedges_g(4.0, 0.0, 20, 3.5, 0.0, 20))
    assert compute.is_conclusive(0.1, 2.0) is True
    assert compute.is_conclusive(-0.1, 2.0) is False
    assert compute.is_conclusive(math.nan, 2.0) is None


def test_sufficient_statistics() -> None:
    xs = [2.0, 4.0, 4.0, 5.0]
    assert compute.sample_variance(4, sum(xs), sum(x * x for x in xs)) == pytest.approx(
        np.var(xs, ddof=1)
    )
    assert math.isnan(compute.sample_variance(1, 2.0, 4.0))
    # Ratio of sums with y = 2x exactly: no variance.
    assert compute.ratio_unit_variance(3, 12.0, 6.0, 56.0, 14.0, 28.0) == pytest.approx(0.0)


# -- suppression --------------------------------------------------------------------------------
def test_primary_suppression() -> None:
    hidden = compute.suppress([9, 10, 0, 3], [True, True, True, False], [], [], 10)
    assert hidden.tolist() == [True, False, False, False]


def test_complementary_suppression_hides_the_next_smallest_part() -> None:
    # Territory 74 = 40 + 30 + 4: hiding the 4 alone would leave 74 − 40 − 30 = 4.
    hidden = compute.suppress([74, 40, 30, 4], [True] * 4, [0, 0, 0], [1, 2, 3], 10)
    assert hidden.tolist() == [False, False, True, True]


def test_overlapping_parts_need_no_complement() -> None:
    # A school of 300 whose communities overlap (200 + 150 > 300) and a community of 5.
    hidden = compute.suppress([300, 200, 150, 5], [True] * 4, [0, 0, 0], [1, 2, 3], 10)
    assert hidden.tolist() == [False, False, False, True]


def test_hidden_total_is_not_rebuilt_from_its_parts() -> None:
    # T (20) = A (12) + B (8, hidden) → A hidden too; A = c1 (11) + c2 (1, hidden): c1 would
    # give A away up to one student (and so B), so c1 is hidden as well.
    n = [20, 12, 8, 11, 1]
    parent = [0, 0, 1, 1]
    child = [1, 2, 3, 4]
    assert compute.suppress(n, [True] * 5, parent, child, 10).tolist() == [False] + [True] * 4


def test_each_family_of_a_total_is_checked_on_its_own() -> None:
    # A school of 30 respondents: communities of 22 and 8 (the 8 hidden), and its only month,
    # also 30. Counted together, the month "covers" the school (30 − 22 − 30 < 0) and the 22
    # stays shown, so 30 − 22 gives the 8 away; as two families, the 22 is hidden too.
    n = [30, 22, 8, 30]
    parent, child = [0, 0, 0], [1, 2, 3]
    merged = compute.suppress(n, [True] * 4, parent, child, 10)
    assert merged.tolist() == [False, False, True, False]  # one family: the leak
    apart = compute.suppress(n, [True] * 4, parent, child, 10, family=[0, 0, 1])
    assert apart.tolist() == [False, True, True, False]


@st.composite
def two_partitions(draw: st.DrawFn) -> tuple[list[int], list[int], list[int], list[int]]:
    """A total split two ways at once (its communities and a remainder; its months), each
    part a family of its own kind under the same total."""
    first = draw(st.lists(st.integers(0, 30), min_size=1, max_size=4))
    second = draw(st.lists(st.integers(0, 30), min_size=1, max_size=4))
    total = sum(first) + draw(st.integers(0, 15))
    second[-1] += max(0, total - sum(second))
    n = [max(total, sum(second)), *first, *second]
    parent = [0] * (len(first) + len(second))
    child = list(range(1, len(n)))
    family = [0] * len(first) + [1] * len(second)
    return n, parent, child, family


@settings(max_examples=300, deadline=None)
@given(two_partitions(), st.integers(2, 12))
def test_no_family_of_a_shown_total_gives_a_small_group_away(
    tree: tuple[list[int], list[int], list[int], list[int]], min_group: int
) -> None:
    n, parent, child, family = tree
    hidden = compute.suppress(n, [True] * len(n), parent, child, min_group, family=family)
    if hidden[0]:
        return
    for kind in (0, 1):
        shown = sum(n[c] for c, f in zip(child, family, strict=True) if f == kind and not hidden[c])
        rest = n[0] - shown
        assert rest <= 0 or rest >= min_group, (n, family, hidden.tolist(), kind)


@st.composite
def trees(draw: st.DrawFn) -> tuple[list[int], list[int], list[int]]:
    """A territory whose schools partition it, each school partitioned into communities and a
    remainder of students in no community."""
    n: list[int] = [0]
    parent: list[int] = []
    child: list[int] = []
    total = 0
    for _ in range(draw(st.integers(1, 5))):
        school = len(n)
        n.append(0)
        parent.append(0)
        child.append(school)
        size = 0
        for _ in range(draw(st.integers(0, 4))):
            c = draw(st.integers(0, 30))
            parent.append(school)
            child.append(len(n))
            n.append(c)
            size += c
        size += draw(st.integers(0, 15))  # students in no community
        n[school] = size
        total += size
    n[0] = total
    return n, parent, child


@settings(max_examples=300, deadline=None)
@given(trees(), st.integers(2, 12))
def test_suppression_never_reveals_a_small_group_by_subtraction(
    tree: tuple[list[int], list[int], list[int]], min_group: int
) -> None:
    n, parent, child = tree
    hidden = compute.suppress(n, [True] * len(n), parent, child, min_group)
    kids: dict[int, list[int]] = {}
    for p, c in zip(parent, child, strict=True):
        kids.setdefault(p, []).append(c)

    def visible_mass(node: int) -> int:
        """Students of ``node`` that shown values below it account for."""
        total = 0
        for c in kids.get(node, []):
            total += n[c] if not hidden[c] else visible_mass(c)
        return total

    for i, size in enumerate(n):
        if 0 < size < min_group:
            assert hidden[i], "a small group is shown"
        if not hidden[i]:
            # What subtraction reveals under a shown total: nothing, or at least min_group.
            rest = size - visible_mass(i)
            assert rest == 0 or rest >= min_group, (n, hidden.tolist(), i)


@settings(max_examples=200, deadline=None)
@given(
    st.floats(-1e6, 1e6, allow_nan=False),
    st.floats(-1e6, 1e6, allow_nan=False),
)
def test_progress_is_100_when_value_equals_target(base: float, target: float) -> None:
    progress = compute.compute_progress(target, base, target)
    if abs(target - base) <= 1e-9:  # no way to go: progress is undefined
        assert math.isnan(progress)
    else:
        assert progress == 100.0
