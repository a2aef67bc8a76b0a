"""What one session builds for a selection is reused by the next (metrics.ui.reuse), and never
outlives the data: an import from another process (the store's data version) or from the app
(its caches cleared) makes the next page build it again from the new data."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.app.conftest import ROOT

BUILT: list[int] = []
"""The schools count each time the reused part was built (the script appends to it)."""


def _script() -> None:
    import streamlit as st

    from metrics import ui
    from metrics.scope import Scope
    from tests.app.test_reuse import BUILT

    store = ui.get_store()

    def build() -> int:
        n = store.info(Scope.all()).schools
        BUILT.append(n)
        return n

    st.markdown(f"Establecimientos: {ui.reuse('prueba', build)}")


def _shown(at: AppTest) -> str:
    assert not at.exception, at.exception
    return str(at.markdown[0].value)


def _session(db: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv("TABLERO_DB", str(db))
    at = AppTest.from_function(_script, default_timeout=60)
    at.run()
    return at


@pytest.fixture
def db(demo_db: Path, tmp_path: Path) -> Path:
    path = tmp_path / "tablero.duckdb"
    path.write_bytes(demo_db.read_bytes())
    for suffix in (".key", ".audit"):
        if Path(str(demo_db) + suffix).exists():
            Path(str(path) + suffix).write_bytes(Path(str(demo_db) + suffix).read_bytes())
    return path


def test_a_second_session_reuses_and_an_import_elsewhere_invalidates(
    db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    BUILT.clear()
    first = _session(db, monkeypatch)
    assert _shown(first) == "Establecimientos: 12"
    second = _session(db, monkeypatch)  # another person, same selection
    assert _shown(second) == "Establecimientos: 12"
    assert BUILT == [12]  # built once, reused by the second session

    # `tablero importar` in another process while the app is open: two schools more.
    upload = tmp_path / "nuevos.csv"
    upload.write_text(
        "rbd;nombre;comuna\n91001;Escuela Nueva;Aromo\n91002;Liceo Nuevo;Aromo\n",
        encoding="utf-8",
    )
    done = subprocess.run(
        [sys.executable, "-m", "metrics.cli", "importar", str(upload), "--db", str(db)],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    second.run()
    assert _shown(second) == "Establecimientos: 14"
    first.run()
    assert _shown(first) == "Establecimientos: 14"
    assert BUILT == [12, 14]  # built again once, from the new data


def test_an_import_in_the_app_invalidates(db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from metrics import ui
    from metrics.imports import import_file
    from metrics.scope import Scope
    from metrics.store import open_store

    BUILT.clear()
    at = _session(db, monkeypatch)
    assert _shown(at) == "Establecimientos: 12"
    store = ui._open_cached_store(str(db))  # the app's own store, as Cargar datos uses it
    upload = db.parent / "nuevos.csv"
    upload.write_text("rbd;nombre;comuna\n91001;Escuela Nueva;Aromo\n", encoding="utf-8")
    import_file(store, upload, actor="prueba@tablero.test")
    ui.clear_caches()  # what ui.data_changed does after every import
    at.run()
    assert _shown(at) == "Establecimientos: 13"
    assert BUILT == [12, 13]
    with open_store(db, read_only=True) as reader:
        assert reader.info(Scope.all()).schools == 13
