"""AppTest fixtures: a clean Streamlit cache per test and a store chosen through TABLERO_DB."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "app.py")


def tablero_elsewhere(*args: str) -> None:
    """Run ``tablero <args>`` in another process (a command line beside the open app) and
    check it ended well."""
    done = subprocess.run(
        [sys.executable, "-m", "metrics.cli", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
        timeout=300,
    )
    assert done.returncode == 0, done.stderr


def import_two_schools_elsewhere(db: Path) -> None:
    """Two new schools (RBD 91001 and 91002) imported into ``db`` from another process."""
    upload = db.parent / "nuevos.csv"
    upload.write_text(
        "rbd;nombre;comuna\n91001;Escuela Nueva;Aromo\n91002;Liceo Nuevo;Aromo\n",
        encoding="utf-8",
    )
    tablero_elsewhere("importar", str(upload), "--db", str(db))


@pytest.fixture(autouse=True)
def _clear_streamlit_caches() -> Iterator[None]:
    from metrics.ui import clear_caches

    st.cache_data.clear()
    st.cache_resource.clear()
    clear_caches()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()
    clear_caches()


ADMIN = "admin@tablero.test"
"""The administrator :func:`run_app_as_admin` signs in."""


def run_app(db: Path, monkeypatch: pytest.MonkeyPatch, user: str | None = None) -> AppTest:
    """Run the app's entry point against the store at ``db``.

    Without ``user``, in demo mode (no sign-in, full access: only while the store holds demo
    data alone, or nothing); with ``user`` (an e-mail with an account in the store), demo mode
    off and that person signed in.
    """
    from metrics.ui.auth import sign_in_for_tests

    monkeypatch.setenv("TABLERO_DB", str(db))
    at = AppTest.from_file(APP, default_timeout=60)
    if user is None:
        monkeypatch.setenv("TABLERO_DEMO", "1")
    else:
        monkeypatch.delenv("TABLERO_DEMO", raising=False)
        for key, value in sign_in_for_tests(user).items():
            at.session_state[key] = value
    at.run()
    return at


def run_app_as_admin(db: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    """Run the app signed in as an administrator (an account :data:`ADMIN` is added to the
    store if missing): for stores with loads of their own, which demo mode does not open."""
    from metrics.access import hash_password
    from metrics.store import open_store
    from metrics.store.users import get_user, save_user

    with open_store(db) as store:
        if get_user(store, ADMIN) is None:  # a local account: the app then asks for sign-in
            hashed = hash_password("una-clave-bien-larga")
            save_user(store, email=ADMIN, name="Admin", role="administrador", password_hash=hashed)
    return run_app(db, monkeypatch, user=ADMIN)
