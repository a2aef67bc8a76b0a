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
