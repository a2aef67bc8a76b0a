"""Over many schools (more than selection.MANY_SCHOOLS), the "all schools" view leaves
communities out until a school is chosen; then that school's communities are there, as
computed for it."""

from __future__ import annotations

from pathlib import Path

import pytest

from metrics.scope import Scope
from metrics.selection import MANY_SCHOOLS
from metrics.store import open_store
from tests.app.conftest import run_app

NOTICE = f"más de {MANY_SCHOOLS} establecimientos"


@pytest.fixture(scope="module")
def wide_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A national-layout store of 220 schools (2 % of the country)."""
    from tablero_demo.national import build_national

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


def test_all_schools_shows_the_widest_territory_as_over_the_whole_scope(
    wide_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only the standing territory's schools are computed; its scorecard is the one the whole
    scope gives."""
    from metrics.engine.catalog import INDICATORS
    from metrics.engine.indicators import compute_indicators
    from metrics.presentation.views import format_indicator_value, plain
    from metrics.ui import default_territory

    at = run_app(wide_db, monkeypatch)
    assert not at.exception
    year = int(at.sidebar.selectbox(key="f_year").value)
    with open_store(wide_db) as store:
        territory = default_territory(store, Scope.all())
        whole = plain(compute_indicators(store, Scope.all(), comunidades=False, mensual=False))
    assert territory is not None
    rows = whole[
        (whole["alcance"] == "territorio")
        & (whole["alcance_id"] == territory)
        & (whole["periodo"] == str(year))
    ]
    assert len(rows) > 10
    with open_store(wide_db) as store:
        info = store.territories(Scope.all()).set_index("id").loc[territory]
    captions = " ".join(c.value for c in at.caption)
    assert f"son los de {info['kind'].upper()} {info['name']}" in captions
    assert f"({info['schools']} de 220 establecimientos)" in captions
    table = at.dataframe[0].value
    shown = dict(zip(table["Indicador"], table["Valor"], strict=True))
    for code, value in zip(rows["indicador"], rows["valor"], strict=True):
        ind = INDICATORS[code]
        assert shown[ind.name] == format_indicator_value(ind, value), code


def test_durante_for_one_school_of_many(wide_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The breakdowns of a chosen school: perceptions by respondent kind, as the whole scope."""
    from metrics.engine.indicators import compute_breakdowns

    at = run_app(wide_db, monkeypatch)
    at.switch_page("pages/durante.py").run()
    assert not at.exception
    with open_store(wide_db) as store:
        whole = compute_breakdowns(store, Scope.all(), mensual=False)
    kinds = whole[
        (whole["alcance"] == "establecimiento")
        & (whole["desglose"] == "tipo_encuestado")
        & ~whole["suprimido"]
    ]
    rbd = int(kinds["alcance_id"].iloc[0])
    at.sidebar.selectbox(key="f_school").select(rbd).run()
    assert not at.exception
    assert not at.error
    assert "Percepciones" in [s.value for s in at.subheader]
