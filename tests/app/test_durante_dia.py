"""Durante: the DIA of the year, series by series, its headline read off its own rows; a store
with only schools and the DIA still shows it; a small course shows no number."""

from __future__ import annotations

from pathlib import Path

import pytest

from tablero_demo.demo import CASE_SCHOOL_RBD, TINY_SCHOOL_RBD
from tests.app.conftest import run_app, run_app_as_admin

PAGE = "pages/durante.py"


def test_the_demo_school_has_a_dia_card_per_series(
    demo_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from metrics.engine.series import compute_series
    from metrics.presentation.agency import dia_headline
    from metrics.scope import Scope
    from metrics.store import open_store

    at = run_app(demo_db, monkeypatch)
    at.sidebar.selectbox(key="f_school").select(CASE_SCHOOL_RBD).run()
    at.sidebar.selectbox(key="f_year").select(2024).run()
    at.switch_page(PAGE).run()
    assert not at.exception
    assert "DIA: del diagnóstico al cierre" in [h.value for h in at.subheader]
    text = [m.value for m in at.markdown]
    with open_store(demo_db) as store:
        rows = compute_series(
            store, Scope.all(), alcance_id=str(CASE_SCHOOL_RBD), indicadores=["dia_satisfactorio"]
        )
    of_year = rows[rows["periodo"] == "2024"]
    assert set(of_year["serie"]) == {"2b lectura", "2b matemática", "4b lectura", "4b matemática"}
    for serie in sorted(of_year["serie"].unique()):
        headline = dia_headline(of_year[of_year["serie"] == serie])
        assert " 2024: el nivel satisfactorio subió de " in headline
        assert f"**{headline}**" in text


def test_a_small_course_has_no_number(demo_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = run_app(demo_db, monkeypatch)
    at.sidebar.selectbox(key="f_school").select(TINY_SCHOOL_RBD).run()
    at.switch_page(PAGE).run()
    assert not at.exception
    text = " ".join(m.value for m in at.markdown)
    assert "sin resultados que mostrar. Grupo pequeño (n < 10)" in text
    assert "subió de" not in text and "bajó de" not in text


def test_a_store_with_only_the_dia_shows_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No schedule and no surveys: one note says so, and the DIA is shown below it."""
    from metrics.imports import import_file
    from metrics.store import open_store
    from tests.unit.test_dia import DIA, SCHOOLS

    db = tmp_path / "dia.duckdb"
    with open_store(db) as store:
        import_file(store, SCHOOLS.encode(), "establecimientos.csv", actor="test")
        import_file(store, DIA.encode(), "dia_2024.csv", actor="test")
    at = run_app_as_admin(db, monkeypatch)
    at.sidebar.selectbox(key="f_school").select(101).run()
    at.switch_page(PAGE).run()
    assert not at.exception
    text = [m.value for m in at.markdown]
    assert (
        "**4° básico lectura 2024: el nivel satisfactorio subió de 25,0 % en el diagnóstico a "
        "45,0 % en el cierre (+20,0 pp).**"
    ) in text
    assert (
        "**4° básico matemática 2024: sin resultados que mostrar. Grupo pequeño (n < 10): no se "
        "muestra para proteger la privacidad.**"
    ) in text


def test_an_empty_store_says_what_to_load(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Nothing selected on an empty store: one note, as before the DIA (no section after it)."""
    from metrics.store import open_store

    db = tmp_path / "vacia.duckdb"
    open_store(db).close()
    at = run_app_as_admin(db, monkeypatch)
    at.switch_page(PAGE).run()
    assert not at.exception
    assert [i.value for i in at.info] == [
        "**Faltan datos:** no hay cronograma ni encuestas de percepción para esta selección y año."
    ]
    assert "DIA: del diagnóstico al cierre" not in [h.value for h in at.subheader]


def test_a_store_without_the_dia_says_how_to_load_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from metrics.imports import import_file
    from metrics.store import open_store
    from tests.unit.test_dia import SCHOOLS

    db = tmp_path / "escuelas.duckdb"
    with open_store(db) as store:
        import_file(store, SCHOOLS.encode(), "establecimientos.csv", actor="test")
    at = run_app_as_admin(db, monkeypatch)
    at.sidebar.selectbox(key="f_school").select(101).run()
    at.switch_page(PAGE).run()
    assert not at.exception
    notes = " ".join(i.value for i in at.info)
    assert "no hay resultados del DIA para esta selección" in notes
    assert "plantilla «DIA»" in notes
