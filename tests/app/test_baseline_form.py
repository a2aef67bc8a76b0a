"""Antes: a school's team sets its baseline year in the app, as ``tablero metas linea-base``
does from the command line — the same permission, the same store function, audited.

The store is the hand-computed one of ``tests/unit/test_provisional_baseline.py``: school 1 has
SIMCE from 2022 (by series: not in the catalogue's table) and failure rates 10 % (2023) and 5 %
(2024), and no community, so its baseline starts provisional.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from metrics.access import hash_password
from metrics.store import open_store
from metrics.store.users import save_user
from tests.app.conftest import run_app
from tests.unit.test_provisional_baseline import build

USERS = {
    "dir@uno.cl": ("directivo", [1], []),
    "admin@uno.cl": ("administrador", [], []),
    "lec@uno.cl": ("lector", [1], []),
    "sup@uno.cl": ("supervisor", [], ["comuna:1"]),
}
SAVE = "Guardar año de línea base"


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "linea_base.duckdb"
    with open_store(path) as store:
        build(store)
        for email, (role, schools, territories) in USERS.items():
            save_user(
                store,
                email=email,
                name=email.split("@")[0],
                role=role,
                password_hash=hash_password("una-clave-bien-larga"),
                schools=schools,
                territories=territories,
            )
    return path


def antes(db: Path, monkeypatch: pytest.MonkeyPatch, user: str) -> AppTest:
    at = run_app(db, monkeypatch, user=user)
    if user == "admin@uno.cl":
        at.sidebar.selectbox(key="f_school").select(1).run()
    at.switch_page("pages/antes.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def table_row(at: AppTest, name: str) -> dict[str, str]:
    table = at.dataframe[0].value
    return dict(table[table["Indicador"] == name].iloc[0])


def test_the_team_sets_the_year_and_the_values_follow(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = antes(db, monkeypatch, "dir@uno.cl")
    assert [e.label for e in at.expander if e.label.startswith("Año de línea base")] == [
        "Año de línea base de Escuela Uno: provisional: el primer año con datos de cada indicador"
    ]
    assert table_row(at, "Tasa de reprobación")["Línea base"] == "10,0 % (provisional 2023)"

    form_year = next(s for s in at.main.selectbox if s.label == "Año de línea base")
    assert form_year.options == ["Por omisión (sin año fijado)", "2024", "2023", "2022"]
    form_year.select(2023)
    next(b for b in at.main.button if b.label == SAVE).click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.success[0].value == "Línea base de Escuela Uno: 2023."
    assert table_row(at, "Tasa de reprobación")["Línea base"] == "10,0 % (2023)"
    assert any(e.label == "Año de línea base de Escuela Uno: 2023 (fijado por el equipo)"
               for e in at.expander)  # fmt: skip

    with open_store(db) as store:
        year = store.query_df("SELECT baseline_year FROM school WHERE rbd = 1")
        log = store.query_df(
            "SELECT actor, detail FROM audit_log WHERE action = 'linea_base' ORDER BY id"
        )
    assert int(year["baseline_year"].iloc[0]) == 2023
    assert list(log["actor"]) == ["dir@uno.cl"]
    assert json.loads(log["detail"].iloc[0]) == {
        "rbd": 1,
        "anterior": None,
        "nuevo": 2023,
        "rbds": [1],
    }

    # Back to the default: provisional again.
    form_year = next(s for s in at.main.selectbox if s.label == "Año de línea base")
    form_year.select(0)
    next(b for b in at.main.button if b.label == SAVE).click().run()
    assert at.success[0].value == "Línea base de Escuela Uno: por omisión."
    assert table_row(at, "Tasa de reprobación")["Línea base"] == "10,0 % (provisional 2023)"


def test_an_administrator_may_set_it_too(db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = antes(db, monkeypatch, "admin@uno.cl")
    assert any(b.label == SAVE for b in at.main.button)


@pytest.mark.parametrize("user", ["lec@uno.cl", "sup@uno.cl"])
def test_roles_without_permission_do_not_see_the_form(
    db: Path, monkeypatch: pytest.MonkeyPatch, user: str
) -> None:
    """``tablero metas linea-base`` needs ``can_set_targets``: a reader and a supervisor have it
    not, and the page offers them neither the form nor its button."""
    if user == "sup@uno.cl":
        at = run_app(db, monkeypatch, user=user)
        at.sidebar.selectbox(key="f_school").select(1).run()
        at.switch_page("pages/antes.py").run()
    else:
        at = antes(db, monkeypatch, user)
    assert not at.exception
    assert not any(b.label == SAVE for b in at.main.button)
    assert not any(e.label.startswith("Año de línea base") for e in at.expander)
    assert not any(s.label == "Año de línea base" for s in at.main.selectbox)
    # They still read the provisional baseline.
    assert table_row(at, "Tasa de reprobación")["Línea base"] == "10,0 % (provisional 2023)"
