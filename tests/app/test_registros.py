"""Registros: each form saves one load (shown at once, undoable), refuses bad entries in Spanish
with nothing saved, and a coordinator sees and keeps only its own community."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from metrics.scope import Scope
from metrics.store import community_records as reads
from metrics.store import open_store
from metrics.store.users import save_user
from tests.app.conftest import run_app

RBD = 90001
COMMUNITY = "com-90001-1"
DAY = date(2025, 11, 20)
SESSION = f"registros_sesion_{COMMUNITY}_v0_"
"""The session form's widget keys (a save bumps v0 to v1: an empty form)."""


@pytest.fixture
def demo_copy(demo_db: Path, tmp_path: Path) -> Path:
    path = tmp_path / "demo.duckdb"
    for suffix in ("", ".key", ".audit"):
        if Path(f"{demo_db}{suffix}").exists():
            shutil.copy(f"{demo_db}{suffix}", f"{path}{suffix}")
    return path


def open_registros(db: Path, monkeypatch: pytest.MonkeyPatch, user: str | None = None) -> AppTest:
    at = run_app(db, monkeypatch, user=user)
    at.switch_page("pages/registros.py").run()
    assert not at.exception, at.exception
    if user is None:
        at.selectbox(key="registros_rbd").select(RBD).run()
    return at


def batch_count(db: Path) -> int:
    with open_store(db) as store:
        return int(store.query_df("SELECT count(*) AS n FROM import_batch")["n"].iloc[0])


def sessions(db: Path, community: str = COMMUNITY):
    with open_store(db) as store:
        return reads.read_sessions(store, Scope.all(), community)


def members(db: Path, year: int = 2025) -> list[str]:
    with open_store(db) as store:
        return reads.read_members(store, Scope.all(), COMMUNITY, year)["teacher_id"].tolist()


def fill_session(at: AppTest, topic: str) -> AppTest:
    at.date_input(key=SESSION + "fecha").set_value(DAY).run()
    at.text_input(key=SESSION + "tema").input(topic)
    at.number_input(key=SESSION + "n").set_value(1).run()
    at.text_input(key=SESSION + "estrategia_0").input("Preguntas antes de leer")
    at.text_area(key=SESSION + "acuerdos").input("Probar en 3° básico")
    return at


def test_a_session_is_saved_shown_in_the_indicators_and_undone(
    demo_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = open_registros(demo_copy, monkeypatch)
    invited = len(members(demo_copy))
    # Everyone is ticked; the coordinator unticks one.
    boxes = [c for c in at.checkbox if str(c.key).startswith(SESSION + "vino_")]
    assert len(boxes) == invited
    fill_session(at, "Lectura en voz alta")
    at.checkbox(key=boxes[-1].key).uncheck()
    at.button(key=SESSION + "guardar").click().run()
    assert not at.exception
    (done,) = at.success
    assert done.value.startswith("Sesión del 20-11-2025 guardada como la carga")
    assert "participación activa" in done.value and "intercambio de estrategias" in done.value
    saved = on_day(demo_copy)
    assert saved is not None
    assert (saved["topic"], saved["attended"], saved["invited"]) == (
        "Lectura en voz alta",
        invited - 1,
        invited,
    )
    assert (saved["strategies"], saved["strategy_notes"]) == (1, "Preguntas antes de leer")
    # The form is empty again, and the table lists the session.
    assert at.text_input(key=SESSION.replace("v0", "v1") + "tema").value == ""
    shown = at.dataframe[0].value
    assert shown[shown["Fecha"] == "20-11-2025"]["Tema"].tolist() == ["Lectura en voz alta"]
    # Undo it in Historial: the session is gone.
    batch = int(done.value.split("la carga ")[1].split(" ")[0])
    at.switch_page("pages/historial.py").run()
    at.selectbox(key="deshacer_carga").select(batch).run()
    at.checkbox(key=f"deshacer_confirmar_{batch}").check()
    at.button(key=f"deshacer_{batch}").click().run()
    assert not at.exception
    assert at.success[0].value.startswith(f"Carga {batch} deshecha")
    assert on_day(demo_copy) is None


def on_day(db: Path):
    """The session of :data:`DAY`, or None."""
    found = sessions(db)
    found = found[[pd_date(d) == DAY for d in found["session_date"]]]
    return None if found.empty else found.iloc[0]


def pd_date(value: object) -> date:
    import pandas as pd

    return pd.Timestamp(value).date()  # type: ignore[arg-type]


def test_a_session_without_topic_says_so_and_saves_nothing(
    demo_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = batch_count(demo_copy)
    at = fill_session(open_registros(demo_copy, monkeypatch), "")
    at.button(key=SESSION + "guardar").click().run()
    assert not at.exception and not at.success
    assert "Falta el tema de la sesión. No se guardó nada." in at.error[0].value
    assert batch_count(demo_copy) == before


def test_schedule_edit_saves_and_a_bad_row_is_refused(
    demo_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = f"registros_cronograma_{COMMUNITY}_v0_"
    at = open_registros(demo_copy, monkeypatch)
    with open_store(demo_copy) as store:
        table = reads.read_activities(store, Scope.all(), COMMUNITY)
    # The editor holds the chosen year's activities: in 2025, 28 of 30 done (one rescheduled,
    # one cancelled), 93,3 %.
    table = table[[d.year == 2025 for d in table["planned_date"]]].reset_index(drop=True)
    assert table["status"].value_counts().to_dict() == {
        "realizada": 28,
        "reprogramada": 1,
        "cancelada": 1,
    }
    assert any("cumplimiento del cronograma 93,3 %" in m.value for m in at.markdown)
    row = int(table.index[table["status"] == "reprogramada"][0])
    ident = table.loc[row, "id"]
    # Mark the rescheduled one done: 29 of 30, 96,7 %.
    at.session_state[key + "tabla"] = {
        "edited_rows": {row: {"status": "realizada", "done_date": "2025-11-20"}},
        "added_rows": [],
        "deleted_rows": [],
    }
    at.run()
    at.button(key=key + "guardar").click().run()
    assert not at.exception
    assert at.success[0].value.startswith("Cronograma guardado como la carga")
    assert "cumplimiento del cronograma 96,7 %" in at.success[0].value
    with open_store(demo_copy) as store:
        after = reads.read_activities(store, Scope.all(), COMMUNITY).set_index("id")
    assert after.loc[ident, "status"] == "realizada"
    # A new activity without its planned date: refused, in Spanish, naming row and column.
    before = batch_count(demo_copy)
    key = key.replace("v0", "v1")
    at.session_state[key + "tabla"] = {
        "edited_rows": {},
        "added_rows": [{"kind": "taller", "status": "planificada"}],
        "deleted_rows": [],
    }
    at.run()
    at.button(key=key + "guardar").click().run()
    assert not at.exception and not at.success
    text = at.error[0].value
    assert "cronograma de com-90001-1" in text and "fila 2" in text
    assert "fila 2, columna fecha\\_planificada" in text
    assert batch_count(demo_copy) == before


def test_members_and_community_forms(demo_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    key = f"registros_integrantes_{COMMUNITY}_2025_v0_"
    at = open_registros(demo_copy, monkeypatch)
    chosen = at.multiselect(key=key + "elegidos")
    first = members(demo_copy)
    assert sorted(chosen.value) == sorted(first)
    chosen.unselect(first[0]).run()
    at.button(key=key + "guardar").click().run()
    assert not at.exception
    assert at.success[0].value.startswith("Integrantes guardados como la carga")
    assert sorted(members(demo_copy)) == sorted(first[1:])
    # Close the community.
    form = f"registros_comunidad_form_{RBD}_{COMMUNITY}_v1_"
    at.date_input(key=form + "cierre").set_value(date(2025, 12, 1))
    at.checkbox(key=form + "cerrada").check()
    at.button(key=f"FormSubmitter:{form}form-Guardar comunidad").click().run()
    assert not at.exception
    assert at.success[0].value.startswith(f"Comunidad {COMMUNITY} guardada como la carga")
    with open_store(demo_copy) as store:
        closed = reads.read_communities(store, Scope.all(), RBD).set_index("id")
    assert pd_date(closed.loc[COMMUNITY, "end_date"]) == date(2025, 12, 1)
    # A new community with a taken id: refused, nothing saved.
    before = batch_count(demo_copy)
    at.radio(key=f"registros_modo_{RBD}").set_value("nueva").run()
    new = f"registros_comunidad_form_{RBD}_nueva_v2_"
    at.text_input(key=new + "id").input(COMMUNITY)
    at.text_input(key=new + "nombre").input("Otra")
    at.button(key=f"FormSubmitter:{new}form-Crear comunidad").click().run()
    assert "Ya existe una comunidad con el identificador" in at.error[0].value
    assert batch_count(demo_copy) == before


def test_a_coordinator_sees_and_keeps_only_its_community(
    demo_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from metrics.access import hash_password

    with open_store(demo_copy) as store:
        save_user(
            store,
            email="coord@aromos.cl",
            name="Coordinadora",
            role="coordinador",
            password_hash=hash_password("una-clave-bien-larga"),
            schools=[RBD],
            communities=[COMMUNITY],
        )
    at = open_registros(demo_copy, monkeypatch, user="coord@aromos.cl")
    with open_store(demo_copy) as store:
        own = store.query_df("SELECT name FROM community WHERE id = ?", [COMMUNITY])["name"]
    assert at.selectbox(key=f"registros_comunidad_{RBD}").options == [own.iloc[0]]
    assert at.radio(key=f"registros_modo_{RBD}").options == ["Editar o cerrar la comunidad elegida"]
    # Cargar datos is not in its menu; a direct visit says why.
    at.switch_page("pages/cargar.py").run()
    assert "no permite cargar" in at.error[0].value
