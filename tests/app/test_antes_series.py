"""Antes: each SIMCE series against its own baseline year, as bullets (as Impacto shows the
series), computed here by hand on a small store and read off the demo's rows."""

from __future__ import annotations

from pathlib import Path

import pytest

from tablero_demo.demo import CASE_SCHOOL_RBD
from tests.app.conftest import run_app, run_app_as_admin

PAGE = "pages/antes.py"


def test_the_demo_school_has_a_bullet_per_series(
    demo_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from metrics.engine.series import compute_series
    from metrics.presentation.agency import series_bullet_frame, series_bullets_headline
    from metrics.scope import Scope
    from metrics.store import open_store

    at = run_app(demo_db, monkeypatch)
    at.sidebar.selectbox(key="f_school").select(CASE_SCHOOL_RBD).run()
    at.sidebar.selectbox(key="f_year").select(2025).run()
    at.switch_page(PAGE).run()
    assert not at.exception
    with open_store(demo_db) as store:
        rows = compute_series(store, Scope.all(), alcance_id=str(CASE_SCHOOL_RBD))
    frame = series_bullet_frame(rows, 2025)
    assert len(frame) == 4  # score and % Adecuado of 4b lectura and 4b matemática
    assert f"**{series_bullets_headline(frame)}**" in [m.value for m in at.markdown]


def test_bullets_of_a_small_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """RBD 101 of the small Agencia file: lectura 250 → 262, matemática 240 → 236 (2023 is
    the provisional baseline: no community, no baseline year)."""
    from metrics.engine.series import compute_series
    from metrics.imports import import_file
    from metrics.presentation.agency import series_bullet_frame
    from metrics.scope import Scope
    from metrics.store import open_store
    from tests.unit.test_agency_series import SIMCE_2023, SIMCE_2024

    db = tmp_path / "agencia.duckdb"
    with open_store(db) as store:
        import_file(store, SIMCE_2023.encode(), "simce4b2023.csv", actor="test")
        import_file(store, SIMCE_2024.encode(), "simce4b2024.csv", actor="test")
        rows = compute_series(store, Scope.all(), alcance_id="101")
    frame = series_bullet_frame(rows, 2024)
    got = {r["nombre"]: (r["valor"], r["linea_base"], r["mejor"]) for r in frame.to_dict("records")}
    assert got == {
        "Puntaje SIMCE 4° básico lectura (2024)": (262.0, 250.0, True),
        "Puntaje SIMCE 4° básico matemática (2024)": (236.0, 240.0, False),
        "% Adecuado 4° básico lectura (2024)": (30.0, 25.0, True),
        "% Adecuado 4° básico matemática (2024)": (20.0, 20.0, None),
    }
    at = run_app_as_admin(db, monkeypatch)
    at.sidebar.selectbox(key="f_school").select(101).run()
    at.switch_page(PAGE).run()
    assert not at.exception
    assert (
        "**SIMCE frente a la línea base provisional 2023 de cada serie: el puntaje sube en 1 de "
        "2 series y baja en 1.**"
    ) in [m.value for m in at.markdown]
