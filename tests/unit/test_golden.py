"""`tablero indicadores --formato json` gives the captured output on the demo and a small
national store (see :mod:`tests.golden`): the engine's redesign keeps its behaviour."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import golden


@pytest.mark.parametrize("kind", golden.STORES)
def test_indicator_output_matches_golden(kind: str, tmp_path: Path) -> None:
    db = golden.build_store(kind, tmp_path / f"{kind}.duckdb")
    actual = golden.to_columns(golden.capture(db, tmp_path / "out.json"))
    assert golden.differences(kind, actual) == []


def test_golden_comparison_sees_a_changed_value() -> None:
    want = golden.expected("demo")
    changed = {c: list(v) for c, v in want.items()}
    i = next(i for i, v in enumerate(changed["valor"]) if isinstance(v, float))
    changed["valor"][i] += 0.01
    found = golden.differences("demo", changed)
    assert len(found) == 1 and "valor" in found[0]
    changed["valor"][i] -= 0.01 - 1e-5  # within the JSON's rounding
    assert golden.differences("demo", changed) == []


@pytest.mark.parametrize("kind", golden.STORES)
def test_a_listed_scope_reads_what_the_whole_store_reads(
    kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Up to MAX_LISTED schools, facts are read with one plain statement and numbered in
    memory; the whole store numbers them in DuckDB (both add up territories in memory).
    Naming every school of these stores must give exactly the whole store's output, and so
    must the whole store with the dense tables of territories turned off (their sorted and
    hashed fallbacks)."""
    from datetime import date

    import pandas as pd

    from metrics.engine import rows
    from metrics.engine.indicators import compute_indicators
    from metrics.engine.sources import MAX_LISTED
    from metrics.scope import Scope
    from metrics.store import open_store

    db = golden.build_store(kind, tmp_path / f"{kind}.duckdb")
    cutoff = date.fromisoformat(golden.CUTOFF)
    with open_store(db) as store:
        rbds = store.query_df("SELECT rbd FROM school")["rbd"].astype(int).tolist()
        assert 1 < len(rbds) <= MAX_LISTED
        whole = compute_indicators(store, Scope.all(), corte=cutoff)
        listed = compute_indicators(store, Scope.schools(rbds), corte=cutoff)
        monkeypatch.setattr(rows, "_DENSE_LIMIT", 0)
        sorted_ = compute_indicators(store, Scope.all(), corte=cutoff)
    assert len(whole) > 1000 and set(whole["alcance"]) == {
        "comunidad",
        "establecimiento",
        "territorio",
    }
    pd.testing.assert_frame_equal(whole, listed)
    pd.testing.assert_frame_equal(whole, sorted_)


@pytest.mark.parametrize("kind", golden.STORES)
def test_one_scope_kind_is_the_whole_outputs_rows_of_that_kind(kind: str, tmp_path: Path) -> None:
    """Asking for one scope kind (``alcance``) gives exactly the whole output's rows of that
    kind: values, baselines and suppression are decided the same way, although the rows of
    the kinds not asked for are only computed as far as suppression needs them."""
    from datetime import date

    import pandas as pd

    from metrics.engine.indicators import compute_indicators
    from metrics.scope import Scope
    from metrics.store import open_store

    db = golden.build_store(kind, tmp_path / f"{kind}.duckdb")
    cutoff = date.fromisoformat(golden.CUTOFF)
    with open_store(db) as store:
        whole = compute_indicators(store, Scope.all(), corte=cutoff)
        for alcance in ("comunidad", "establecimiento", "territorio"):
            for mensual in (True, False):
                alone = compute_indicators(
                    store, Scope.all(), alcance=alcance, mensual=mensual, corte=cutoff
                )
                wanted = whole["alcance"] == alcance
                if not mensual:
                    wanted &= ~whole["periodo"].astype(str).str.contains("-")
                expected = whole[wanted].reset_index(drop=True)
                assert len(alone) == len(expected) > 0, (alcance, mensual)
                pd.testing.assert_frame_equal(alone, expected, check_categorical=False)
