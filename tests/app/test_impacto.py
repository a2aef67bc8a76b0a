"""Impacto: the guide's case reads right, small groups show no number."""

from __future__ import annotations

from pathlib import Path

import pytest

from tablero_demo.demo import CASE_SCHOOL_RBD, SMALL_COMMUNITY_ID, TINY_SCHOOL_RBD
from tests.app.conftest import run_app

PAGE = "pages/impacto.py"


def _open(demo_db: Path, monkeypatch: pytest.MonkeyPatch, **choices: object):  # type: ignore[no-untyped-def]
    at = run_app(demo_db, monkeypatch)
    for key, value in choices.items():
        at.sidebar.selectbox(key=key).select(value).run()
    at.switch_page(PAGE).run()
    assert not at.exception
    return at


def test_case_school_repeats_the_guide(demo_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = _open(demo_db, monkeypatch, f_school=CASE_SCHOOL_RBD, f_year=2024)
    assert at.title[0].value == "Impacto — Escuela Los Aromos, 2024"
    metrics = {m.label: (m.value, m.delta) for m in at.metric}
    assert metrics["Reprobación"] == ("2,0 %", "-4,0 pp")
    headlines = [m.value for m in at.markdown]
    assert (
        "**La tasa de reprobación bajó de 6,0 % en 2023 a 2,0 % en 2024 (−66,7 %) y superó la "
        "meta de 3,0 %.**"
    ) in headlines


def test_small_community_shows_no_number(demo_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = _open(
        demo_db, monkeypatch, f_school=TINY_SCHOOL_RBD, f_community=SMALL_COMMUNITY_ID, f_year=2024
    )
    values = {m.label: m.value for m in at.metric}
    assert values["Reprobación"] == "n < 10"
    assert all(v == "n < 10" for v in values.values())
    text = " ".join(m.value for m in at.markdown)
    assert "no se muestra: el grupo tiene menos de 10 estudiantes" in text


def test_simce_by_series_with_the_agencias_verdict(
    demo_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each SIMCE series has its card (score with the Agencia's verdict, standards as 100 %
    bars), and the IDPS its own; no card mixes two series."""
    from metrics.engine.series import compute_series
    from metrics.presentation.agency import series_headline
    from metrics.scope import Scope
    from metrics.store import open_store

    at = _open(demo_db, monkeypatch, f_school=CASE_SCHOOL_RBD, f_year=2024)
    headlines = [m.value for m in at.markdown]
    with open_store(demo_db) as store:
        rows = compute_series(store, Scope.all(), alcance_id=str(CASE_SCHOOL_RBD))
    for serie in ("4b lectura", "4b matemática"):
        score = rows[(rows["indicador"] == "simce_puntaje") & (rows["serie"] == serie)]
        expected = series_headline(score, 2024)
        assert expected.startswith(f"4° básico {serie[3:]} 2024: ")
        assert "según la Agencia" in expected
        assert f"**{expected}**" in headlines
    assert any(h.startswith("**4° básico lectura: en 2024, ") for h in headlines)
    assert any(h.startswith("**IDPS 4° básico 2024 (0 a 100): ") for h in headlines)


def test_a_store_with_only_agencia_files_shows_its_series(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No student records: the catalogue's rows are empty, and Impacto still shows SIMCE."""
    from metrics.imports import import_file
    from metrics.store import open_store
    from tests.app.conftest import run_app_as_admin
    from tests.unit.test_agency_series import SIMCE_2023, SIMCE_2024

    db = tmp_path / "agencia.duckdb"
    with open_store(db) as store:
        import_file(store, SIMCE_2023.encode(), "simce4b2023.csv", actor="test")
        import_file(store, SIMCE_2024.encode(), "simce4b2024.csv", actor="test")
    at = run_app_as_admin(db, monkeypatch)
    at.sidebar.selectbox(key="f_school").select(101).run()
    at.switch_page(PAGE).run()
    assert not at.exception
    text = [m.value for m in at.markdown]
    assert (
        "**4° básico lectura 2024: 262 puntos, 12 puntos más que en 2023; según la Agencia, "
        "el alza de 12 puntos es significativa. 3 puntos sobre establecimientos del mismo "
        "grupo socioeconómico (similar, según la Agencia).**"
    ) in text
    assert ("**4° básico matemática 2024: 236 puntos, 4 puntos menos que en 2023.**") in text
