"""Cargar datos and Historial: a good file lands and shows, a bad one is refused whole, undo."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from metrics.engine.indicators import facts_are_current
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


COMMUNITIES = (
    "id_comunidad;rbd;nombre;tipo;foco;fecha_inicio\n"
    "CP-1;101;Lectura;comunidad de práctica;lectura;04-03-2024\n"
).encode()


def _schedule(states: list[str]) -> bytes:
    """Four activities of CP-1 planned in March 2024, with these states (done the same day)."""
    rows = [
        f"A-{i};CP-1;reuni\u00f3n;Ana;0{i}-03-2024;"
        + (f"0{i}-03-2024;" if state == "realizada" else ";")
        + state
        for i, state in enumerate(states, start=1)
    ]
    head = "id_actividad;id_comunidad;tipo;responsable;fecha_planificada;fecha_realizada;estado"
    return "\n".join([head, *rows, ""]).encode()


def _schedule_metric(at: AppTest) -> str:
    at.switch_page("pages/durante.py").run()
    assert not at.exception
    return next(m.value for m in at.metric if "cronograma" in m.label.lower())


def test_an_import_shows_new_figures_in_the_same_session(
    store_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The page's figures were cached; after a corrected schedule is loaded, the same session
    shows the new ones: 2 of 4 activities done (50 %), then 4 of 4 (100 %)."""
    at = run_app_as_admin(store_path, monkeypatch)
    at.switch_page("pages/cargar.py").run()
    first = _schedule(["realizada", "realizada", "planificada", "cancelada"])
    at.file_uploader[0].set_value(
        [
            ("establecimientos.csv", SCHOOLS, "text/csv"),
            ("comunidades.csv", COMMUNITIES, "text/csv"),
            ("cronograma.csv", first, "text/csv"),
        ]
    ).run()
    next(b for b in at.button if b.label.startswith("Cargar 3 archivos")).click().run()
    assert not at.exception and not at.error
    at.run()  # the sidebar of the run that imported was drawn before the import
    at.sidebar.selectbox(key="f_school").select(101).run()
    assert at.sidebar.selectbox(key="f_year").value == 2024
    assert _schedule_metric(at) == "50,0 %"
    assert _schedule_metric(at) == "50,0 %"  # a rerun reads the cache

    at.switch_page("pages/cargar.py").run()
    fixed = _schedule(["realizada"] * 4)
    at.file_uploader[0].set_value([("cronograma_corregido.csv", fixed, "text/csv")]).run()
    next(b for b in at.button if b.label.startswith("Cargar 1 archivo")).click().run()
    assert not at.exception and not at.error
    assert _schedule_metric(at) == "100,0 %"
