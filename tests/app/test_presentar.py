"""Presentar: the council pack on the demo store, slide by slide, and its conclusions."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from metrics.presentation.packs import build_pack
from metrics.scope import Scope
from metrics.store import open_store
from tablero_demo.demo import CASE_SCHOOL_RBD
from tests.app.conftest import run_app

PAGE = "pages/presentar.py"


def _open(demo_db: Path, monkeypatch: pytest.MonkeyPatch, **choices: object) -> AppTest:
    at = run_app(demo_db, monkeypatch)
    for key, value in choices.items():
        at.sidebar.selectbox(key=key).select(value).run()
    at.switch_page(PAGE).run()
    assert not at.exception
    return at


def _shown(at: AppTest) -> str:
    return "\n".join(m.value for m in at.markdown)


def test_slides_are_the_packs_in_order(demo_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = _open(demo_db, monkeypatch, f_school=CASE_SCHOOL_RBD, f_year=2025)
    with open_store(demo_db) as store:
        pack = build_pack(store, Scope.all(), rbd=CASE_SCHOOL_RBD, year=2025, cutoff=date.today())
    assert at.title[0].value == "Presentar al consejo — Escuela Los Aromos, 2025"
    assert pack.slides[0].title in _shown(at)
    # Forward with the "Siguiente" button (also the → key) to the first impact slide.
    first_impact = next(i for i, s in enumerate(pack.slides) if s.kind == "impacto")
    for _ in range(first_impact):
        at.button(key="presentar_siguiente").click().run()
    assert not at.exception
    text = _shown(at)
    assert pack.slides[first_impact].title.replace("%", "") in text.replace("%", "")
    assert "La tasa de reprobación bajó de 6,0 % en 2023" in text
    assert at.button(key="presentar_anterior").disabled is False
    at.button(key="presentar_anterior").click().run()
    assert pack.slides[first_impact - 1].title in _shown(at)


def test_last_slide_shows_the_saved_conclusions(
    demo_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "notas.duckdb"  # a copy: the session's demo store stays without notes
    shutil.copy(demo_db, db)
    at = _open(db, monkeypatch, f_school=CASE_SCHOOL_RBD, f_year=2025)
    at.text_area[0].input("La reprobación bajó en los cursos de las comunidades.")
    at.text_area[1].input("Extender la observación entre pares al segundo ciclo.")
    at.get("form_submit_button")[0].click().run()
    assert not at.exception
    text = _shown(at)
    assert "Conclusiones: La reprobación bajó en los cursos de las comunidades." in text
    assert "Próximos pasos: Extender la observación entre pares al segundo ciclo." in text
    with open_store(db) as store:
        from metrics.store.notes import read_note

        note = read_note(store, Scope.all(), "establecimiento", str(CASE_SCHOOL_RBD), 2025)
    assert note.next_steps == "Extender la observación entre pares al segundo ciclo."


def test_fewer_communities_fewer_bars(demo_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = _open(demo_db, monkeypatch, f_school=CASE_SCHOOL_RBD, f_year=2025)
    options = at.multiselect(key="presentar_comunidades").value
    assert len(options) == 3
    at.multiselect(key="presentar_comunidades").set_value(options[:1]).run()
    assert not at.exception
    at.selectbox(key="presentar_diapositiva").select(1).run()
    assert "1 comunidad de práctica con" in _shown(at)


def test_slides_on_screen_have_large_axis_text_and_a_wrapping_legend(demo_db: Path) -> None:
    import altair as alt

    from metrics.ui.screens.presentar import SLIDE_FONT_SIZE, _slide_spec

    with open_store(demo_db) as store:
        pack = build_pack(store, Scope.all(), rbd=CASE_SCHOOL_RBD, year=2024)
    specs = [_slide_spec(s) for s in pack.slides if s.chart is not None]
    assert len(specs) > 5
    for spec in specs:
        assert spec["config"]["axis"]["labelFontSize"] == SLIDE_FONT_SIZE >= 18
        assert spec["config"]["legend"]["columns"] == 2
        alt.vegalite.v6.schema.core.TopLevelSpec.validate(spec)  # still valid Vega-Lite
