"""What one session builds for a selection is reused by the next (metrics.ui.reuse), and never
outlives the data: an import from another process (the store's data version) or from the app
(its caches cleared) makes the next page build it again from the new data."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from tests.app.conftest import import_two_schools_elsewhere

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
    import_two_schools_elsewhere(db)
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


# -- Inicio's scorecard -----------------------------------------------------------------------

ADMINS = ("admin1@tablero.test", "admin2@tablero.test")
SUPERVISOR = "sup@tablero.test"
TERRITORY = "comuna:9101"
"""The supervisor's territory: 3 of the demo's 12 schools (90001, 90003, 90004)."""


@pytest.fixture
def accounts(db: Path) -> Path:
    """The demo copy with two administrators and a supervisor of one comuna."""
    from metrics.access import hash_password
    from metrics.store import open_store
    from metrics.store.users import save_user

    hashed = hash_password("una-clave-bien-larga")
    with open_store(db) as store:
        for email in ADMINS:
            save_user(store, email=email, name="Admin", role="administrador", password_hash=hashed)
        save_user(
            store,
            email=SUPERVISOR,
            name="Supervisora",
            role="supervisor",
            password_hash=hashed,
            territories=[TERRITORY],
        )
    return db


def _home(db: Path, monkeypatch: pytest.MonkeyPatch, user: str) -> tuple[pd.DataFrame, str]:
    """Inicio for ``user``: its scorecard table and its opening sentence."""
    from tests.app.conftest import run_app

    at = run_app(db, monkeypatch, user=user)
    assert not at.exception, at.exception
    tables = [d.value for d in at.dataframe if "Indicador" in d.value.columns]
    assert len(tables) == 1
    return tables[0].reset_index(drop=True), str(at.markdown[0].value)


def _count_builds(monkeypatch: pytest.MonkeyPatch) -> tuple[list[str], list[int]]:
    """Record each build of Inicio's figures (the scope id they are of) and of a scorecard
    table (its number of lines)."""
    from metrics import ui
    from metrics.ui.screens import inicio

    figures: list[str] = []
    tables: list[int] = []
    real_rows_for, real_scorecard = inicio.rows_for, ui.scorecard

    def rows_for(results: pd.DataFrame, alcance: str, alcance_id: str, **kw: object) -> object:
        figures.append(alcance_id)
        return real_rows_for(results, alcance, alcance_id, **kw)  # type: ignore[arg-type]

    def scorecard(rows: pd.DataFrame) -> pd.DataFrame:
        tables.append(len(rows))
        return real_scorecard(rows)

    monkeypatch.setattr(inicio, "rows_for", rows_for)
    monkeypatch.setattr(ui, "scorecard", scorecard)
    return figures, tables


def test_inicio_scorecard_is_built_once_per_selection_and_scope(
    accounts: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import streamlit as st

    figures, tables = _count_builds(monkeypatch)
    # What the supervisor sees when nobody else has opened Inicio (caches empty): with the
    # same sidebar as an administrator's («todos»), the SLEP's figures over her schools alone.
    alone, alone_text = _home(accounts, monkeypatch, SUPERVISOR)
    assert len(figures) == 1 and len(tables) == 1
    slep = figures[0]
    assert alone_text.startswith("3 establecimientos,")
    st.cache_data.clear()
    figures.clear()
    tables.clear()

    first, first_text = _home(accounts, monkeypatch, ADMINS[0])
    second, second_text = _home(accounts, monkeypatch, ADMINS[1])  # another person, same scope
    assert len(figures) == 1 and len(tables) == 1  # built once, reused by the second session
    assert figures == [slep]  # the same territory stands for «todos»: the same sidebar
    pd.testing.assert_frame_equal(first, second)
    assert first_text == second_text
    assert first_text.startswith("12 establecimientos,")
    assert tables == [len(first)]

    # Same sidebar, narrower scope: another key, so her own figures, never the whole SLEP's.
    team, team_text = _home(accounts, monkeypatch, SUPERVISOR)
    assert figures == [slep, slep]
    assert len(tables) == 2
    pd.testing.assert_frame_equal(team, alone)
    assert team_text == alone_text
    assert not team.equals(first)


# -- the sidebar's options (a resource, not a copy per read) ----------------------------------


def test_the_sidebar_options_follow_an_import_elsewhere_and_in_the_app(
    db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from metrics import ui
    from metrics.imports import import_file
    from tests.app.conftest import run_app_as_admin

    def schools(at: AppTest) -> list[str]:
        assert not at.exception, at.exception
        return [o for o in at.sidebar.selectbox(key="f_school").options if "(RBD" in o]

    at = run_app_as_admin(db, monkeypatch)
    assert len(schools(at)) == 12
    at.run()
    assert len(schools(at)) == 12

    import_two_schools_elsewhere(db)
    at.run()
    assert len(schools(at)) == 14
    assert "Escuela Nueva (RBD 91001)" in schools(at)

    one_more = tmp_path / "otro.csv"
    one_more.write_text("rbd;nombre;comuna\n91003;Colegio Otro;Aromo\n", encoding="utf-8")
    import_file(ui._open_cached_store(str(db)), one_more, actor="prueba@tablero.test")
    ui.clear_caches()  # what ui.data_changed does after every import
    at.run()
    assert len(schools(at)) == 15
    assert "Colegio Otro (RBD 91003)" in schools(at)


# -- a warm view reads nothing from the store -------------------------------------------------


@pytest.mark.parametrize("school", [None, 90001])
@pytest.mark.parametrize(
    "page",
    [
        None,
        "pages/antes.py",
        "pages/durante.py",
        "pages/resultados.py",
        "pages/impacto.py",
        "pages/comunidades.py",
    ],
)
def test_a_warm_view_opens_no_cursor(
    db: Path, monkeypatch: pytest.MonkeyPatch, page: str | None, school: int | None
) -> None:
    from metrics.store.core import Store
    from tests.app.conftest import run_app_as_admin

    opened: list[int] = []
    real_cursor = Store.cursor

    def cursor(self: Store) -> object:
        opened.append(1)
        return real_cursor(self)

    at = run_app_as_admin(db, monkeypatch)
    if school is not None:
        at.sidebar.selectbox(key="f_school").select(school).run()
    if page is not None:
        at.switch_page(page)
    at.run()
    at.run()  # the caches are warm, the engine's facts settled
    assert not at.exception, at.exception
    assert at.session_state["filters"].rbd == school
    monkeypatch.setattr(Store, "cursor", cursor)
    at.run()
    assert not at.exception, at.exception
    assert at.title[0].value  # the page drew
    assert opened == []


# -- what the caches hash for a scope ---------------------------------------------------------


def test_the_scope_cache_key_tells_scopes_apart_and_ignores_order() -> None:
    from metrics.scope import Scope
    from metrics.ui import scope_cache_key

    key = scope_cache_key
    assert key(Scope.schools([90001, 90002])) == key(Scope.schools([90002, 90001]))
    assert key(Scope.schools([90001, 90002])) != key(Scope.schools([90001]))
    assert key(Scope.schools([1, 23])) != key(Scope.schools([12, 3]))  # no joined digits
    assert key(Scope.all()) != key(Scope.nobody())
    assert key(Scope.nobody()) != key(Scope.schools([0]))
    # Equal scopes (territories are not compared) still differ in what a cache may return.
    sup = Scope(frozenset([90001]), territories=frozenset(["comuna:9101"]))
    assert sup == Scope.schools([90001])
    assert key(sup) != key(Scope.schools([90001]))


def test_a_cache_with_the_scope_hash_keeps_one_entry_per_scope() -> None:
    import streamlit as st

    from metrics.scope import Scope
    from metrics.ui import HASH_FUNCS

    calls: list[frozenset[int] | None] = []

    @st.cache_data(hash_funcs=HASH_FUNCS)
    def seen(scope: Scope) -> int:
        calls.append(scope.rbds)
        return 0 if scope.rbds is None else len(scope.rbds)

    wide = Scope.schools(range(90000, 91100))
    assert seen(wide) == 1100
    assert seen(Scope.schools(range(90000, 91100))) == 1100  # equal, built again: reused
    assert seen(Scope.schools(range(90000, 91099))) == 1099  # one school less: computed
    assert seen(Scope.all()) == 0
    assert len(calls) == 3


def test_a_cache_with_the_hash_funcs_tells_selections_apart() -> None:
    from datetime import date

    import streamlit as st

    from metrics.filters import Filters
    from metrics.selection import Plan
    from metrics.ui import HASH_FUNCS

    calls: list[tuple[Filters, Plan]] = []

    @st.cache_data(hash_funcs=HASH_FUNCS)
    def seen(filters: Filters, plan: Plan) -> int:
        calls.append((filters, plan))
        return len(calls)

    base = Filters(rbd=90001, school_name="Escuela", year=2025, cutoff=date(2025, 12, 31))
    plan = Plan(whole=False, rbd=90001)
    assert seen(base, plan) == 1
    assert seen(Filters(**vars(base)), Plan(whole=False, rbd=90001)) == 1  # equal: reused
    assert seen(Filters(**{**vars(base), "cutoff": date(2025, 6, 30)}), plan) == 2
    assert seen(Filters(**{**vars(base), "school_name": "Escuela "}), plan) == 3
    assert seen(Filters(**{**vars(base), "year": None}), plan) == 4
    assert seen(base, Plan(whole=False, rbd=90001, communities=False)) == 5
    assert seen(base, Plan(whole=True, rbd=90001)) == 6
