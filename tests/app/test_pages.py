"""Every page on the demo store, for known selections: what it shows equals the engine."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from metrics.engine.catalog import INDICATORS
from metrics.engine.indicators import compute_indicators
from metrics.formatting import format_number
from metrics.presentation.views import format_indicator_value
from metrics.scope import Scope
from metrics.store import open_store
from tablero_demo.demo import CASE_SCHOOL_RBD, SMALL_COMMUNITY_ID, TINY_SCHOOL_RBD
from tests.app.conftest import run_app

PAGES = [
    "pages/antes.py",
    "pages/durante.py",
    "pages/resultados.py",
    "pages/impacto.py",
    "pages/comunidades.py",
    "pages/revision.py",
    "pages/seguimiento.py",
]


def _select(at: AppTest, **choices: object) -> AppTest:
    for key, value in choices.items():
        at.sidebar.selectbox(key=key).select(value).run()
    return at


def _engine(demo_db: Path, rbd: int, year: int) -> dict[str, object]:
    with open_store(demo_db) as store:
        df = compute_indicators(store, Scope.all(), corte=date.today())
    rows = df[
        (df["alcance"] == "establecimiento")
        & (df["alcance_id"] == str(rbd))
        & (df["periodo"] == str(year))
    ]
    return dict(zip(rows["indicador"], rows["valor"], strict=True))


@pytest.mark.parametrize("page", PAGES)
def test_every_page_runs_for_all_and_for_a_school(
    demo_db: Path, monkeypatch: pytest.MonkeyPatch, page: str
) -> None:
    at = run_app(demo_db, monkeypatch)
    at.switch_page(page).run()
    assert not at.exception
    assert not at.error
    _select(at, f_school=CASE_SCHOOL_RBD)
    assert not at.exception
    assert "Escuela Los Aromos" in at.title[0].value


def test_home_scorecard_equals_the_engine(demo_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = _select(run_app(demo_db, monkeypatch), f_school=CASE_SCHOOL_RBD, f_year=2024)
    assert not at.exception
    table = at.dataframe[0].value
    shown = dict(zip(table["Indicador"], table["Valor"], strict=True))
    engine = _engine(demo_db, CASE_SCHOOL_RBD, 2024)
    assert len(shown) == len(engine) == len(INDICATORS)
    for code, value in engine.items():
        ind = INDICATORS[code]
        assert shown[ind.name] == format_indicator_value(ind, value), code
    assert shown["Tasa de reprobación"] == "2,0 %"
    status = dict(zip(table["Indicador"], table["Estado"], strict=True))
    assert status["Tasa de reprobación"] == "✓ Logrado"


def test_home_readiness_checklist(demo_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = _select(run_app(demo_db, monkeypatch), f_school=CASE_SCHOOL_RBD, f_year=2024)
    text = " ".join(m.value for m in at.markdown)
    assert "**Durante: encuestas de percepción**" in text
    assert "línea base, intermedia, final" in text
    assert "resultados de estudiantes de 2024 cargados" in text


def test_durante_shows_schedule_compliance(demo_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = run_app(demo_db, monkeypatch)
    at.switch_page("pages/durante.py").run()
    _select(at, f_school=CASE_SCHOOL_RBD, f_year=2024)
    metrics = {m.label: m.value for m in at.metric}
    engine = _engine(demo_db, CASE_SCHOOL_RBD, 2024)
    assert metrics["Cronograma"] == format_indicator_value(
        INDICATORS["cumplimiento_cronograma"], engine["cumplimiento_cronograma"]
    )
    headlines = " ".join(m.value for m in at.markdown)
    # In 2024 Los Aromos' three communities kept the same share of their schedule: said once.
    assert "el cumplimiento del cronograma es 89,7 % en las 3 comunidades" in headlines
    assert "actividades de 2024 y se realizaron" in headlines
    assert "la dimensión con más respuestas favorables es" in headlines
    assert "; la que tiene menos, " in headlines


def test_resultados_compares_communities(demo_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = run_app(demo_db, monkeypatch)
    at.switch_page("pages/resultados.py").run()
    _select(at, f_school=CASE_SCHOOL_RBD, f_year=2024)
    metrics = {m.label: m.value for m in at.metric}
    engine = _engine(demo_db, CASE_SCHOOL_RBD, 2024)
    assert metrics["Participación"] == format_indicator_value(
        INDICATORS["participacion_activa"], engine["participacion_activa"]
    )
    # A unit in words goes to the label, so the value fits its card at 1366 px.
    ind = INDICATORS["frecuencia_reuniones"]
    assert metrics["Reuniones al mes"] == format_number(
        engine["frecuencia_reuniones"], ind.decimals
    )
    assert "Estrategias por sesión" in metrics
    headlines = " ".join(m.value for m in at.markdown)
    assert "La participación en las sesiones fue" in headlines
    # Meetings: all three communities have a target (2,0 a month) and meet it; strategies
    # per session: none has a target, which is said, not «0 de 3 lograron su meta».
    assert "; las 3 comunidades lograron su meta." in headlines
    assert "ninguna de las 3 comunidades tiene meta." in headlines


def test_antes_target_form_needs_a_reason_and_records_the_target(
    demo_db: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    db = tmp_path / "copia.duckdb"
    db.write_bytes(demo_db.read_bytes())
    at = run_app(db, monkeypatch)
    at.switch_page("pages/antes.py").run()
    _select(at, f_school=CASE_SCHOOL_RBD, f_year=2024)
    form_select = next(s for s in at.main.selectbox if s.label == "Indicador")
    form_select.select("tasa_retiro")
    target = next(t for t in at.main.text_input if t.label == "Meta")
    next(n for n in at.main.number_input if n.label == "Año límite").set_value(2026)
    save = next(i for i, b in enumerate(at.main.button) if b.label == "Guardar meta")
    target.input("1.2.")  # not a number: said in Spanish, nothing saved
    at.main.button[save].click().run()
    assert "coma decimal, por ejemplo 3,5 (se escribió «1.2.»)" in at.error[0].value
    next(t for t in at.main.text_input if t.label == "Meta").input("1,2")  # decimal comma
    at.main.button[save].click().run()
    assert "Escriba el motivo" in at.error[0].value
    next(t for t in at.main.text_area).input("Acuerdo del consejo escolar")
    at.main.button[save].click().run()
    assert not at.exception
    assert "Meta guardada: Tasa de retiro = 1,2 % para 2026." in at.success[0].value
    with open_store(db) as store:
        target = store.query_df(
            "SELECT target_value, reason FROM target WHERE indicator = 'tasa_retiro' "
            "AND scope_id = ? AND deadline_year = 2026",
            [str(CASE_SCHOOL_RBD)],
        )
    assert target.to_dict("records") == [
        {"target_value": 1.2, "reason": "Acuerdo del consejo escolar"}
    ]


def test_comunidades_small_community_shows_no_student_number(
    demo_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = run_app(demo_db, monkeypatch)
    at.switch_page("pages/comunidades.py").run()
    _select(at, f_school=TINY_SCHOOL_RBD, f_community=SMALL_COMMUNITY_ID, f_year=2024)
    assert not at.exception
    table = at.dataframe[-1].value if at.dataframe else None
    assert table is not None
    values = dict(zip(table["Indicador"], table["Valor"], strict=True))
    for code, ind in INDICATORS.items():
        if ind.student_based and ind.name in values:
            assert values[ind.name] in ("n < 10", "–"), code
    assert values["Tasa de reprobación"] == "n < 10"


def test_comunidades_small_multiples_for_a_school(
    demo_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = run_app(demo_db, monkeypatch)
    at.switch_page("pages/comunidades.py").run()
    _select(at, f_school=CASE_SCHOOL_RBD)
    headlines = " ".join(m.value for m in at.markdown)
    assert "en las 3 comunidades de Escuela Los Aromos" in headlines


def test_no_territory_note_when_one_territory_holds_every_school(
    demo_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In the demo one SLEP holds all twelve schools: «Todos» is exactly what is shown."""
    at = run_app(demo_db, monkeypatch)
    assert not at.exception
    assert not any("el territorio con más establecimientos" in c.value for c in at.caption)
