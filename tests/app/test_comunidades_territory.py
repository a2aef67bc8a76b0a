"""Comunidades with «Todos los establecimientos»: every community of every school the person
sees, grouped by school, on one axis — the view a SLEP's supervisor comes for."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pyarrow as pa
import pytest
from streamlit.testing.v1 import AppTest

from metrics.access import hash_password
from metrics.engine.indicators import compute_indicators
from metrics.presentation.views import plain
from metrics.scope import Scope
from metrics.store import open_store
from metrics.store.users import save_user
from tests.app.conftest import run_app

PAGE = "pages/comunidades.py"
SUPERVISOR = "sup@comuna.cl"
COMUNA = "comuna:9101"  # 90001, 90003 and 90004 in the demo


def _open(db: Path, monkeypatch: pytest.MonkeyPatch, user: str | None = None) -> AppTest:
    at = run_app(db, monkeypatch, user)
    at.sidebar.selectbox(key="f_year").select(2025).run()
    at.switch_page(PAGE).run()
    assert not at.exception
    return at


def _charts(at: AppTest) -> list[tuple[dict, list[dict]]]:  # type: ignore[type-arg]
    """The Vega-Lite specs the page draws, each with the rows of its datasets."""
    out = []

    def walk(node: object) -> None:
        children = getattr(node, "children", None)
        if isinstance(children, dict):
            for child in children.values():
                walk(child)
        proto = getattr(node, "proto", None)
        if getattr(node, "type", "") == "vega_lite_chart" and proto is not None:
            rows: list[dict] = []  # type: ignore[type-arg]
            for d in proto.datasets:
                frame = pa.ipc.open_stream(d.data.data).read_pandas()
                rows.extend(frame.astype(object).where(frame.notna(), None).to_dict("records"))
            out.append((json.loads(proto.spec), rows))

    walk(at._tree)
    return out


def _expected(db: Path, scope: Scope, code: str) -> list[dict]:  # type: ignore[type-arg]
    """Community rows of ``code`` in 2025 with a value or suppressed, computed by the engine
    over the same scope, with their school."""
    with open_store(db) as store:
        rows = plain(compute_indicators(store, scope, mensual=False))
        comms = store.communities(scope)
        schools = store.schools(scope)
    names = dict(zip(schools["rbd"].astype(int), schools["name"], strict=True))
    of = {
        str(i): (n, names[int(r)])
        for i, n, r in zip(comms["id"], comms["name"], comms["rbd"], strict=True)
    }
    hit = rows[
        (rows["alcance"] == "comunidad")
        & (rows["indicador"] == code)
        & (rows["periodo"] == "2025")
        & (rows["valor"].notna() | (rows["estado"] == "suprimido"))
    ]
    return [
        {"grupo": of[i][0], "padre": of[i][1], "estado": e, "valor": v, "cambio": c}
        for i, e, v, c in zip(
            hit["alcance_id"], hit["estado"], hit["valor"], hit["cambio"], strict=True
        )
    ]


def test_all_schools_shows_every_community_grouped_by_school(
    demo_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = _open(demo_db, monkeypatch)
    text = "\n".join(m.value for m in at.markdown)
    assert "Las 30 comunidades de práctica de 12 establecimientos" in text
    expected = _expected(demo_db, Scope.all(), "participacion_activa")
    assert len(expected) >= 20
    # Communities started in 2024: participation has no baseline year to compare with.
    assert all(r["cambio"] != r["cambio"] or r["cambio"] is None for r in expected)
    assert (
        f"Participación activa en 2025: {len(expected)} comunidades de "
        f"{len({r['padre'] for r in expected})} establecimientos; ninguna tiene línea base con "
        "que compararse."
    ) in text
    approval = _expected(demo_db, Scope.all(), "tasa_aprobacion")
    compared = [r for r in approval if r["cambio"] == r["cambio"] and r["cambio"] is not None]
    better = sum(1 for r in compared if r["cambio"] > 0)  # higher is better
    assert 0 < better < len(compared)
    assert (
        f"Tasa de aprobación en 2025: {len(approval)} comunidades de "
        f"{len({r['padre'] for r in approval})} establecimientos; {better} de {len(compared)} "
        "con línea base están mejor que ella."
    ) in text
    charts = _charts(at)
    assert len(charts) == 3
    spec, drawn = charts[0]
    assert {(r["grupo"], r["padre"]) for r in drawn} == {(r["grupo"], r["padre"]) for r in expected}
    # Suppressed communities (El Maitén's small classes) are there, without a value.
    hidden = [r for r in charts[2][1] if r["suprimido"]]
    assert {r["grupo"] for r in hidden} == {
        r["grupo"] for r in approval if r["estado"] == "suprimido"
    }
    assert hidden and all(r["valor"] is None for r in hidden)
    # One axis for all, from zero; one block per school.
    assert spec["facet"]["row"]["field"] == "padre"
    x = spec["spec"]["layer"][0]["encoding"]["x"]
    assert x["scale"]["domain"][0] == 0


def test_a_supervisor_sees_the_communities_of_their_schools_only(
    demo_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "sup.duckdb"
    shutil.copy(demo_db, db)
    with open_store(db) as store:
        save_user(
            store,
            email=SUPERVISOR,
            name="sup",
            role="supervisor",
            password_hash=hash_password("una-clave-bien-larga"),
            schools=[],
            territories=[COMUNA],
        )
        seen = {int(r) for r in store.schools(Scope.all(), COMUNA)["rbd"]}
        comms = store.communities(Scope.all())
    mine = set(comms[comms["rbd"].astype(int).isin(seen)]["name"])
    others = set(comms[~comms["rbd"].astype(int).isin(seen)]["name"]) - mine
    at = _open(db, monkeypatch, SUPERVISOR)
    text = "\n".join(m.value for m in at.markdown)
    assert f"Las {len(mine)} comunidades de práctica de {len(seen)} establecimientos" in text
    drawn = {r["grupo"] for _, rows in _charts(at) for r in rows}
    assert drawn and drawn <= mine
    assert not drawn & others


def test_over_many_schools_the_communities_wait_for_a_school(
    demo_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import metrics.selection as selection

    monkeypatch.setattr(selection, "MANY_SCHOOLS", 5)  # the demo's 12 schools are "many"
    at = _open(demo_db, monkeypatch)
    infos = "\n".join(i.value for i in at.info)
    assert "elija uno en la barra lateral para ver y comparar sus comunidades" in infos
    assert not _charts(at)
