"""Demo mode (TABLERO_DEMO) opens only demo data: a store with real loads or accounts asks for a
sign-in, and says why in Spanish."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from metrics.access import hash_password
from metrics.imports import import_file
from metrics.store import open_store
from metrics.store.users import save_user
from tests.app.conftest import run_app

SCHOOLS = b"rbd;nombre;comuna\n101;Escuela Uno;Arica\n"
PASSWORD = "una-clave-bien-larga"


def _copy(demo_db: Path, tmp_path: Path) -> Path:
    db = tmp_path / "demo.duckdb"
    shutil.copy(demo_db, db)
    return db


def _texts(at) -> str:  # type: ignore[no-untyped-def]
    parts = [e.value for e in at.error] + [w.value for w in at.warning]
    parts += [m.value for m in at.markdown] + [str(s.options) for s in at.selectbox]
    return "\n".join(parts)


def test_demo_mode_opens_the_demo_store(
    demo_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = run_app(_copy(demo_db, tmp_path), monkeypatch)
    assert not at.exception and not at.error
    assert at.sidebar.selectbox(key="f_school").options


def test_demo_mode_refuses_a_store_with_real_loads(
    store_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with open_store(store_path) as store:
        import_file(store, SCHOOLS, "establecimientos.csv", actor="cli:ana")
    at = run_app(store_path, monkeypatch)  # TABLERO_DEMO=1, no accounts
    assert not at.exception
    assert not at.sidebar.selectbox  # nothing of the app
    text = _texts(at)
    assert "1 carga que no hizo el generador de demostración" in text
    assert "Escuela Uno" not in text


def test_demo_mode_asks_for_sign_in_on_a_demo_store_with_accounts(
    demo_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = _copy(demo_db, tmp_path)
    with open_store(db) as store:
        save_user(
            store,
            email="dir@aromos.cl",
            name="Dir",
            role="directivo",
            password_hash=hash_password(PASSWORD),
            schools=[90001],
        )
    at = run_app(db, monkeypatch)
    assert not at.exception
    assert not at.sidebar.selectbox
    assert any("1 cuenta de usuario" in w.value for w in at.warning)
    at.text_input(key="ingreso_correo").input("dir@aromos.cl")
    at.text_input(key="ingreso_clave").input(PASSWORD)
    at.button[0].click().run()
    assert not at.exception
    assert at.sidebar.selectbox(key="f_school").options  # in, as the directivo
    assert any("dir" in c.value.lower() for c in at.sidebar.caption)


def test_a_real_upload_in_demo_mode_ends_demo_mode(
    store_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = run_app(store_path, monkeypatch)  # an empty store: nothing to protect yet
    assert not at.error
    at.switch_page("pages/cargar.py").run()
    at.file_uploader[0].set_value([("establecimientos.csv", SCHOOLS, "text/csv")]).run()
    next(b for b in at.button if b.label.startswith("Cargar 1 archivo")).click().run()
    assert any("establecimientos.csv" in s.value for s in at.success)
    again = run_app(store_path, monkeypatch)
    assert not again.sidebar.selectbox
    assert "1 carga que no hizo el generador de demostración" in _texts(again)
