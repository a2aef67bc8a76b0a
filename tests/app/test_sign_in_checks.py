"""The sign-in check of every run (metrics.ui.auth.require_access) reads the person's account
from the store only when something was written to the store since the session's last run: a
run with nothing changed opens no cursor for it, and a deactivated account, or one given
another role, takes effect on its next run, whether the change came from the app's own process
(counted exactly) or from `tablero usuarios` in another process (the file's stamp)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from metrics.ui.auth import _ACCESS, SESSION_USER
from tests.app.conftest import ADMIN, run_app_as_admin, tablero_elsewhere

TERRITORY = "comuna:9101"
"""A comuna of the demo store: 3 of its 12 schools (90001, 90003, 90004)."""


@pytest.fixture
def db(demo_db: Path, tmp_path: Path) -> Path:
    """A copy of the demo store with another administrator than :data:`ADMIN`: when ADMIN
    is closed, local sign-in stays open (the sign-in screen says why ADMIN was refused)."""
    from metrics.access import hash_password
    from metrics.store import open_store
    from metrics.store.users import save_user

    path = tmp_path / "tablero.duckdb"
    path.write_bytes(demo_db.read_bytes())
    for suffix in (".key", ".audit"):
        if Path(str(demo_db) + suffix).exists():
            Path(str(path) + suffix).write_bytes(Path(str(demo_db) + suffix).read_bytes())
    with open_store(path) as store:
        save_user(
            store,
            email="otra@tablero.test",
            name="Otra",
            role="administrador",
            password_hash=hash_password("una-clave-bien-larga"),
        )
    return path


class CheckQueries:
    """Counts the store cursors opened while the sign-in check runs."""

    def __init__(self) -> None:
        self.count = 0
        self.inside = threading.local()

    def reset(self) -> None:
        self.count = 0


@pytest.fixture
def check_queries(monkeypatch: pytest.MonkeyPatch) -> Iterator[CheckQueries]:
    from metrics.store.core import Store
    from metrics.ui import auth

    counter = CheckQueries()
    real_cursor: Callable[..., Any] = Store.cursor
    real_require: Callable[..., Any] = auth.require_access

    def cursor(self: Store) -> Any:
        if getattr(counter.inside, "on", False):
            counter.count += 1
        return real_cursor(self)

    def require_access(*args: Any, **kwargs: Any) -> Any:
        counter.inside.on = True
        try:
            return real_require(*args, **kwargs)
        finally:
            counter.inside.on = False

    monkeypatch.setattr(Store, "cursor", cursor)
    # Both app.py and every page's setup import it from metrics.ui.auth at call time.
    monkeypatch.setattr(auth, "require_access", require_access)
    yield counter


def _warm(db: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    at = run_app_as_admin(db, monkeypatch)
    assert not at.exception, at.exception
    at.run()  # a first run may bring the engine's facts up to date (a write): now settled
    assert not at.exception, at.exception
    return at


def _app_store(db: Path) -> Any:
    from metrics import ui

    return ui._open_cached_store(str(db))  # the app's own store (a process-wide resource)


def test_a_run_with_nothing_changed_reads_no_account(
    db: Path, monkeypatch: pytest.MonkeyPatch, check_queries: CheckQueries
) -> None:
    from metrics.ui import auth

    at = _warm(db, monkeypatch)
    store = _app_store(db)
    # The counter sees the check's queries when there are some: forget this session's check.
    at.session_state[auth._CHECKED] = None
    check_queries.reset()
    at.run()
    assert not at.exception, at.exception
    assert check_queries.count >= 2  # the local accounts' count and the account itself

    before = store.change_stamp()
    check_queries.reset()
    at.run()
    at.run()
    assert not at.exception, at.exception
    assert store.change_stamp() == before  # nothing was written meanwhile
    assert check_queries.count == 0
    assert at.title[0].value.startswith("Tablero DPD")  # Inicio, signed in


def test_an_account_deactivated_in_the_app_is_refused_on_its_next_run(
    db: Path, monkeypatch: pytest.MonkeyPatch, check_queries: CheckQueries
) -> None:
    from metrics.store import core
    from metrics.store.users import update_user

    at = _warm(db, monkeypatch)
    store = _app_store(db)
    # Only this process's own count of writes tells: the file's stamp is made to stay put.
    frozen = core._file_stamp(store.path)
    monkeypatch.setattr(core, "_file_stamp", lambda path: frozen)
    at.run()
    check_queries.reset()
    at.run()
    assert check_queries.count == 0

    update_user(store, ADMIN, active=False)  # as the Ajustes page does, in another session
    at.run()
    assert not at.exception, at.exception
    assert check_queries.count > 0
    assert any("está desactivada" in w.value for w in at.warning), [w.value for w in at.warning]
    assert [t.value for t in at.title] == ["Tablero DPD"]  # the sign-in screen, no page
    assert SESSION_USER not in at.session_state


def test_a_role_changed_in_the_app_narrows_the_next_run(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from metrics.store.users import save_user

    at = _warm(db, monkeypatch)
    assert at.session_state[_ACCESS].scope.is_all
    store = _app_store(db)
    save_user(  # the administrator becomes the supervisor of one comuna
        store,
        email=ADMIN,
        name="Admin",
        role="supervisor",
        password_hash=None,
        territories=[TERRITORY],
    )
    at.run()
    assert not at.exception, at.exception
    access = at.session_state[_ACCESS]
    assert str(access.role) == "supervisor"
    assert sorted(access.scope.rbds) == [90001, 90003, 90004]


def test_an_account_deactivated_from_the_command_line_is_refused_on_its_next_run(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = _warm(db, monkeypatch)
    tablero_elsewhere("usuarios", "desactivar", ADMIN, "--db", str(db))
    at.run()
    assert not at.exception, at.exception
    assert any("está desactivada" in w.value for w in at.warning), [w.value for w in at.warning]
    assert SESSION_USER not in at.session_state
