"""The pages' status words and years on the demo store, as a person reads them.

The demo's SLEP in 2025 (numbers from the engine, checked by hand in tests/unit/test_status.py):
schedule compliance 79,4 % against a target of 85,0 % with no schedule in the baseline year
2023; two teacher indicators with a value and no target; Los Aromos' three communities all at
93,3 % of their 2025 schedule, and none with a target for strategies per session.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from metrics.formatting import format_date, format_month
from tablero_demo.demo import CASE_SCHOOL_RBD
from tests.app.conftest import run_app

TODAY = date.today()
PAST = pytest.mark.skipif(
    TODAY.year <= 2025, reason="the demo's last year (2025) must be a past year"
)


def _select(at: AppTest, **choices: object) -> AppTest:
    for key, value in choices.items():
        at.sidebar.selectbox(key=key).select(value).run()
    return at


def _texts(at: AppTest) -> str:
    parts = [e.value for kind in ("title", "markdown", "info", "caption") for e in
             getattr(at, kind)]  # fmt: skip
    return "\n".join(str(p) for p in parts)


def _scorecard(at: AppTest) -> dict[str, dict[str, str]]:
    table = at.dataframe[0].value
    return {rec["Indicador"]: rec for rec in table.to_dict("records")}


def test_home_never_says_sin_datos_beside_a_value(
    demo_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = _select(run_app(demo_db, monkeypatch), f_year=2025)
    assert not at.exception
    rows = _scorecard(at)
    for name, rec in rows.items():
        if rec["Valor"] not in ("–", "n < 10"):
            assert "Sin datos" not in rec["Estado"], name
    schedule = rows["Cumplimiento del cronograma"]
    assert schedule["Valor"] == "79,4 %"
    # 85,0 − 79,4 = 5,6 points to the target; the baseline year 2023 had no schedule.
    assert schedule["Estado"] == "○ Sin línea base · a 5,6 pp de la meta"
    assert schedule["Línea base"] == "sin datos en 2023"
    assert rows["Autoevaluación docente"]["Estado"] == "○ Sin meta · mejora (concluyente)"
    assert rows["Autoevaluación docente"]["Meta"] == "sin meta"
    summary = _texts(at)
    # Participation in sessions (84,5 % against 85,0 %, no sessions in 2023) is the fourth
    # without a baseline.
    assert "; 2 sin meta y 4 sin línea base." in summary
    assert "Se consolidan: desempeño docente observado" in summary
    assert "sin datos." not in summary


def test_home_counts_add_up_to_the_indicators(
    demo_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = _select(run_app(demo_db, monkeypatch), f_year=2025)
    rows = _scorecard(at)
    lacking = sum(1 for r in rows.values() if r["Estado"].startswith("○"))
    assert lacking == 6  # 2 without a target, 4 without a baseline
    assert f"De {len(rows)} indicadores:" in _texts(at)


@PAST
def test_cutoff_follows_the_chosen_year(demo_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = _select(run_app(demo_db, monkeypatch), f_year=2024)
    assert at.sidebar.date_input(key="f_cutoff").value == date(2024, 12, 31)
    _select(at, f_year=2025)
    assert at.sidebar.date_input(key="f_cutoff").value == date(2025, 12, 31)


@PAST
def test_durante_stays_in_the_chosen_year(demo_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = run_app(demo_db, monkeypatch)
    at.switch_page("pages/durante.py").run()
    _select(at, f_school=CASE_SCHOOL_RBD, f_year=2025)
    assert not at.exception
    # No schedule in the baseline year: the card says so in words, not with a dash.
    cards = {m.label: m for m in at.metric}
    assert cards["Cronograma"].value == "93,3 %"
    assert cards["Cronograma"].delta == "sin línea base"
    text = _texts(at)
    # All three communities of Los Aromos kept 93,3 % of their 2025 schedule (14 of 15).
    assert "Al 31-12-2025, el cumplimiento del cronograma es 93,3 % en las 3 comunidades." in text
    assert f"Hasta {format_month(2025, 12)} se planificaron" in text
    assert " de 2025 y se realizaron " in text
    assert str(TODAY.year) not in text.replace(format_date(TODAY), "")
    # The perception table stops at the chosen year: no later year's column of dashes.
    tables = [d.value for d in at.dataframe]
    periods = {p for t in tables if "Período" in t for p in t["Período"]}
    assert periods and all(int(p) <= 2025 for p in periods)


@PAST
def test_comunidades_compare_in_the_chosen_year(
    demo_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = run_app(demo_db, monkeypatch)
    at.switch_page("pages/comunidades.py").run()
    _select(at, f_school=CASE_SCHOOL_RBD, f_year=2025)
    text = _texts(at)
    assert "en las 3 comunidades de Escuela Los Aromos, 2025:" in text
    assert f"en {TODAY.year}" not in text
    # No schedule in 2023: nothing to compare with, and all three read 93,3 % (14 of 15).
    assert (
        "Cumplimiento del cronograma en las 3 comunidades de Escuela Los Aromos, 2025: ninguna "
        "de las 3 comunidades tiene línea base; es 93,3 % en las 3 comunidades." in text
    )


def test_a_community_card_counts_values_without_target(
    demo_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Reported: «6 logrados … 12 sin datos» on a card with 18 values. Comunidad lectora Los
    # Aromos in 2025: 19 values (the catalogue's 19 indicators), 6 reach their target, the
    # other 13 have no target.
    at = run_app(demo_db, monkeypatch)
    at.switch_page("pages/comunidades.py").run()
    _select(at, f_school=CASE_SCHOOL_RBD, f_community="com-90001-1", f_year=2025)
    assert not at.exception
    text = _texts(at)
    assert "De 19 indicadores: 6 logrados, 0 en camino y 0 en riesgo; 13 sin meta." in text
    table = at.dataframe[-1].value
    assert not table[table["Valor"] != "–"]["Estado"].str.contains("Sin datos").any()


def test_resultados_says_when_no_community_has_the_target(
    demo_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = run_app(demo_db, monkeypatch)
    at.switch_page("pages/resultados.py").run()
    _select(at, f_school=CASE_SCHOOL_RBD, f_year=2025)
    text = _texts(at)
    # Strategies per session: no community of Los Aromos has a target for it.
    assert "; ninguna de las 3 comunidades tiene meta." in text
    # Meetings per month: all three have a target of 2,0 and meet it (2,9 each).
    assert "2 de las 3" not in text
    assert "; las 3 comunidades lograron su meta." in text
    assert "0 de 3 comunidades lograron su meta" not in text


@PAST
def test_presentar_cutoff_is_the_years_end(demo_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = run_app(demo_db, monkeypatch)
    at.switch_page("pages/presentar.py").run()
    _select(at, f_school=CASE_SCHOOL_RBD, f_year=2024)
    assert not at.exception
    text = _texts(at)
    assert "fecha de corte del cronograma: 31-12-2024" in text
    assert f"fecha de corte del cronograma: {format_date(TODAY)}" not in text
