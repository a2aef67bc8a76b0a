"""Historial de cargas: undo names its load and dependants, refreshes at once, never twice."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from metrics.imports import import_file
from metrics.scope import Scope
from metrics.store import open_store
from tests.app.conftest import run_app_as_admin

SCHOOL_A = b"rbd;nombre\n101;Escuela Uno\n"
SCHOOL_B = b"rbd;nombre\n202;Liceo Dos\n"
COMMUNITY = b"id_comunidad;rbd;nombre;tipo\nCP-1;101;Lectura;cdp\n"


def _store(path: Path, *files: tuple[str, bytes]) -> None:
    with open_store(path) as store:
        for name, data in files:
            import_file(store, data, name, actor="test")


def _active(path: Path) -> list[int]:
    with open_store(path) as store:
        batches = store.batches(Scope.all(), limit=50)
    return sorted(int(b) for b in batches[batches["undone_at"].isna()]["id"])


def _history(path: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    at = run_app_as_admin(path, monkeypatch)
    at.switch_page("pages/historial.py").run()
    assert not at.exception
    return at


def _text(at: AppTest) -> str:
    return " ".join(m.value for m in at.markdown)


def test_undo_names_the_load_refreshes_and_a_second_click_undoes_nothing(
    store_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _store(store_path, ("a.csv", SCHOOL_A), ("b.csv", SCHOOL_B))
    at = _history(store_path, monkeypatch)
    # The newest load is offered first, and the confirmation names it.
    assert at.selectbox(key="deshacer_carga").value == 2
    assert "carga 2 (Establecimientos, b.csv," in _text(at)
    assert not at.warning  # nothing depends on it
    at.checkbox(key="deshacer_confirmar_2").check()
    at.button(key="deshacer_2").click().run()
    assert not at.exception
    assert at.success[0].value.startswith("Carga 2 deshecha")
    assert _active(store_path) == [1]
    # At once: the table says it is undone, the box offers only the other load, unticked.
    states = dict(zip(at.dataframe[0].value["Carga"], at.dataframe[0].value["Estado"], strict=True))
    assert states[2].startswith("deshecha") and states[1] == "vigente"
    (offered,) = at.selectbox(key="deshacer_carga").options
    assert offered.startswith("1 — a.csv (")
    assert at.checkbox(key="deshacer_confirmar_1").value is False
    # A second click without ticking the new confirmation undoes nothing.
    at.button(key="deshacer_1").click().run()
    assert not at.exception
    assert "Marque la casilla de confirmación para deshacer la carga 1" in at.error[0].value
    assert _active(store_path) == [1]


def test_a_stale_click_cannot_undo_a_load_already_undone(
    store_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _store(store_path, ("a.csv", SCHOOL_A), ("b.csv", SCHOOL_B))
    at = _history(store_path, monkeypatch)
    at.checkbox(key="deshacer_confirmar_2").check().run()
    # Meanwhile, load 2 is undone elsewhere (another tab, the command line).
    with open_store(store_path) as store:
        from metrics.imports import undo_batch

        undo_batch(store, 2, "otra")
    at.button(key="deshacer_2").click().run()
    assert not at.exception
    assert "ya fue deshecha" in at.error[0].value
    assert _active(store_path) == [1]


def test_undo_lists_the_loads_that_depend_on_it_and_undoes_them_together(
    store_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _store(store_path, ("a.csv", SCHOOL_A), ("b.csv", SCHOOL_B), ("c.csv", COMMUNITY))
    at = _history(store_path, monkeypatch)
    at.selectbox(key="deshacer_carga").set_value(1).run()
    assert "carga 1 (Establecimientos, a.csv," in _text(at)
    (warning,) = at.warning
    assert "carga 3 (Comunidades de práctica, c.csv," in warning.value
    at.checkbox(key="deshacer_confirmar_3-1").check()
    at.button(key="deshacer_3-1").click().run()
    assert not at.exception
    assert at.success[0].value.startswith("Carga 1 deshecha junto con las cargas 3")
    assert _active(store_path) == [2]
    with open_store(store_path) as store:
        assert store.query_df("SELECT count(*) AS n FROM community")["n"][0] == 0
