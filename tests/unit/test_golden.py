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
