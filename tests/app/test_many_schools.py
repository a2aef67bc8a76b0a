"""Over many schools (more than ui.MANY_SCHOOLS), the "all schools" view leaves communities out
until a school is chosen; then that school's communities are there, as computed for it."""

from __future__ import annotations

from pathlib import Path

import pytest

from metrics.scope import Scope
from metrics.store import open_store
from metrics.ui import MANY_SCHOOLS
from tests.app.conftest import run_app

NOTICE = f"más de {MANY_SCHOOLS} establecimientos"


@pytest.fixture(scope="module")
def wide_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A national-layout store of 220 schools (2 % of the country)."""
    from metrics.store.national import build_national

    path = tmp_path_factory.mktemp("wide") / "wide.duckdb"
    with open_store(path) as store:
        build_national(store, 3, scale=0.02)
        assert len(store.schools(Scope.all())) > MANY_SCHOOLS
    return path


def texts(at) -> str:  # type: ignore[no-untyped-def]
    parts = [m.value for m in at.markdown] + [i.value for i in at.info]
    return "\n".join(str(p) for p in parts)


def test_communities_wait_for_a_school_then_show(
    wide_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = run_app(wide_db, monkeypatch)
    at.switch_page("pages/resultados.py").run()
    assert not at.exception
    assert NOTICE in texts(at)
    with open_store(wide_db) as store:
        rbd = int(store.query_df("SELECT min(rbd) AS r FROM community")["r"].iloc[0])
        names = set(store.query_df("SELECT name FROM community WHERE rbd = ?", [rbd])["name"])
    at.sidebar.selectbox(key="f_school").select(rbd).run()
    assert not at.exception
    shown = texts(at)
    assert NOTICE not in shown
    assert any(name in shown for name in names), "no community of the school is named"
