"""Cargar datos and Historial: a good file lands and shows, a bad one is refused whole, undo."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from metrics.indicators import facts_are_current
from metrics.scope import Scope
from metrics.store import open_store
from tests.app.conftest import run_app, run_app_as_admin

SCHOOLS = b"rbd;nombre;comuna\n101;Escuela Uno;Arica\n202;Liceo Dos;Arica\n"
BAD = b"rbd;nombre;comuna\n101;Escuela Uno;Arica\nabc;;Arica\n"


def _upload(at: AppTest, name: str, data: bytes) -> AppTest:
    at.switch_page("pages/cargar.py").run()
    at.file_uploader[0].set_value([(name, data, "text/csv")]).run()
    return at


def test_good_file_lands_and_shows(store_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = _upload(run_app(store_path, monkeypatch), "establecimientos.csv", SCHOOLS)
    assert not at.exception
    assert "Establecimientos" in " ".join(m.value for m in at.markdown)
    button = next(b for b in at.button if b.label.startswith("Cargar 1 archivo"))
    button.click().run()
    assert not at.exception
    assert any("establecimientos.csv" in s.value for s in at.success)
    with open_store(store_path) as store:
        assert store.query_df("SELECT rbd FROM school ORDER BY rbd")["rbd"].tolist() == [101, 202]
        # The indicators' facts were prepared right after the upload, not by the next page.
        assert facts_are_current(store)
    # The import cleared the cached figures; a store with a real load asks for a sign-in.
    home = run_app_as_admin(store_path, monkeypatch)
    assert {m.label: m.value for m in home.metric}["Establecimientos"] == "2"


def test_ignored_columns_are_listed_once(store_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = b"rbd;nombre;comuna;telefono;director\n101;Escuela Uno;Arica;5551;Ana\n"
    at = _upload(run_app(store_path, monkeypatch), "establecimientos.csv", data)
    assert not at.exception
    notes = [c.value for c in at.caption if "telefono" in c.value]
    assert notes == ["2 columna(s) del archivo no se usan y se ignoran: telefono, director"]


def test_bad_file_is_refused_whole(store_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with open_store(store_path) as store:
        before = store.fingerprint()
    at = _upload(run_app(store_path, monkeypatch), "malo.csv", BAD)
    assert not at.exception
    assert at.error, "the report must be shown"
    report = at.dataframe[-1].value
    assert (report["fila"] == 3).any()
    assert any(str(c).startswith("rbd") for c in report["columna"])
    assert not any(b.label.startswith("Cargar") for b in at.button)
    with open_store(store_path) as store:
        assert store.fingerprint() == before


def test_undo_restores_the_store(store_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = _upload(run_app_as_admin(store_path, monkeypatch), "establecimientos.csv", SCHOOLS)
    next(b for b in at.button if b.label.startswith("Cargar")).click().run()
    at.switch_page("pages/historial.py").run()
    assert at.dataframe[0].value["Archivo"].tolist() == ["establecimientos.csv"]
    at.checkbox[0].check()
    at.button[0].click().run()
    assert not at.exception
    assert "Carga 1 deshecha" in at.success[0].value
    with open_store(store_path) as store:
        assert facts_are_current(store)
    with open_store(store_path) as store:
        assert store.query_df("SELECT count(*) AS n FROM school")["n"][0] == 0
        # Data back as before; the batch stays in the history, marked undone.
        assert store.batches(Scope.all())["undone_at"].notna().all()
        assert sum(store.info(Scope.all()).rows.values()) == 0
