"""A coordinator's account from Ajustes, and a coordinator undoing its own saves in Historial.

The store: two schools filled by hand (tests/conftest.py: 101 «Escuela a» with community
«c-a», 202 «Escuela b» with «c-b»), a second community «c-a2» of 101, an administrator and a
directivo of 101.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from metrics import imports
from metrics.access import Access, access_for, hash_password
from metrics.errors import AccessError
from metrics.imports import community_records as saves
from metrics.store import open_store
from metrics.store.users import get_user, save_user
from tests.app.conftest import run_app
from tests.conftest import SCHOOL_A, SCHOOL_B, fill_school

COORD = "coord@a.cl"


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "coordinacion.duckdb"
    with open_store(path) as store:
        fill_school(store, SCHOOL_A, "a")
        fill_school(store, SCHOOL_B, "b")
        saves.save_community(
            store,
            Access.full("test"),
            community_id="c-a2",
            rbd=SCHOOL_A,
            name="Comunidad a dos",
            kind="comunidad de práctica",
            new=True,
        )
        for email, role, schools in (
            ("admin@a.cl", "administrador", []),
            ("dir@a.cl", "directivo", [SCHOOL_A]),
        ):
            save_user(
                store,
                email=email,
                name=email.split("@")[0],
                role=role,
                password_hash=hash_password("una-clave-bien-larga"),
                schools=schools,
            )
    return path


def page(db: Path, monkeypatch: pytest.MonkeyPatch, user: str, file: str) -> AppTest:
    at = run_app(db, monkeypatch, user=user)
    at.switch_page(file).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def audit_rows(db: Path, action: str) -> pd.DataFrame:
    with open_store(db) as store:
        return store.query_df(
            "SELECT actor, detail FROM audit_log WHERE action = ? ORDER BY id", [action]
        )


def add_coordinator(db: Path, communities: list[str]) -> None:
    with open_store(db) as store:
        save_user(
            store,
            email=COORD,
            name="Coordinadora",
            role="coordinador",
            password_hash=hash_password("una-clave-bien-larga"),
            schools=[SCHOOL_A],
            communities=communities,
        )


def test_the_administrator_creates_a_coordinator_with_its_communities(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = page(db, monkeypatch, "admin@a.cl", "pages/ajustes.py")
    # Invalid: communities of two schools.
    at.text_input(key="cuenta_correo").input(COORD)
    at.selectbox(key="cuenta_perfil").select("coordinador")
    at.multiselect(key="cuenta_comunidades").select("c-a").select("c-b")
    at.button(key="cuenta_guardar").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert "necesita exactamente un establecimiento" in at.error[0].value
    with open_store(db) as store:
        assert get_user(store, COORD) is None
    # Valid: its school is that of its community (not chosen twice).
    at.text_input(key="cuenta_correo").input(COORD)
    at.text_input(key="cuenta_nombre").input("Coordinadora")
    at.selectbox(key="cuenta_perfil").select("coordinador")
    at.multiselect(key="cuenta_comunidades").set_value(["c-a"])
    at.button(key="cuenta_guardar").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.success[0].value.endswith("creada: Coordinación de comunidad.")
    with open_store(db) as store:
        user = get_user(store, COORD)
    assert user is not None
    assert (user.schools, user.communities) == ((SCHOOL_A,), ("c-a",))
    accounts = at.dataframe[1].value.set_index("Correo")
    assert accounts.loc[COORD, "Ve"] == "Escuela a, comunidades: Comunidad a"
    assert audit_rows(db, "usuario_agregado")["actor"].tolist() == ["admin@a.cl"]


def test_the_administrator_changes_a_coordinators_communities(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_coordinator(db, ["c-a"])
    with open_store(db) as store:
        hashed = get_user(store, COORD).password_hash  # type: ignore[union-attr]
    at = page(db, monkeypatch, "admin@a.cl", "pages/ajustes.py")
    key = f"coordinacion_comunidades_{COORD}"
    # Only the communities of its school are offered, its own ticked.
    assert at.multiselect(key=key).options == [
        "Comunidad a (Escuela a)",
        "Comunidad a dos (Escuela a)",
    ]
    assert at.multiselect(key=key).value == ["c-a"]
    # Invalid: none left.
    at.multiselect(key=key).unselect("c-a")
    at.button(key="coordinacion_guardar").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert "quedaría sin comunidades" in at.error[0].value
    with open_store(db) as store:
        assert get_user(store, COORD).communities == ("c-a",)  # type: ignore[union-attr]
    assert audit_rows(db, "usuario_comunidades").empty
    # Valid: a second community; the password stays.
    at.multiselect(key=key).set_value(["c-a", "c-a2"])
    at.button(key="coordinacion_guardar").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.success[0].value.endswith("Comunidad a (Escuela a), Comunidad a dos (Escuela a).")
    with open_store(db) as store:
        user = get_user(store, COORD)
        assert access_for(store, COORD).communities == frozenset({"c-a", "c-a2"})
    assert user is not None and user.password_hash == hashed
    log = audit_rows(db, "usuario_comunidades")
    assert log["actor"].tolist() == ["admin@a.cl"]
    assert '"antes": ["c-a"]' in log["detail"].iloc[0]
    assert '"comunidades": ["c-a", "c-a2"]' in log["detail"].iloc[0]


def test_only_a_coordinator_account_takes_communities(db: Path) -> None:
    from metrics.access import set_coordinator_communities

    with open_store(db) as store, pytest.raises(AccessError, match="solo una cuenta de"):
        set_coordinator_communities(store, "admin@a.cl", "dir@a.cl", ["c-a"])
    add_coordinator(db, ["c-a"])
    with open_store(db) as store, pytest.raises(AccessError, match="No existe la comunidad c-b"):
        set_coordinator_communities(store, "admin@a.cl", COORD, ["c-b"])


def _activity(day: date) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "id": None,
                "kind": "reunión",
                "responsible": "UTP",
                "planned_date": day,
                "done_date": None,
                "status": "planificada",
            }
        ]
    )


def activities(db: Path, community: str) -> int:
    with open_store(db) as store:
        return int(
            store.query_df(
                "SELECT count(*) AS n FROM activity WHERE community_id = ?", [community]
            )["n"].iloc[0]
        )


def test_a_coordinator_undoes_its_own_saves_and_not_anothers(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_coordinator(db, ["c-a"])
    before = activities(db, "c-a")
    with open_store(db) as store:
        mine = saves.save_activities(
            store, access_for(store, COORD), "c-a", _activity(date(2024, 6, 3))
        )
        theirs = saves.save_activities(
            store, access_for(store, "dir@a.cl"), "c-a", _activity(date(2024, 7, 1))
        )
        by_directivo = saves.save_activities(
            store, access_for(store, "dir@a.cl"), "c-a2", _activity(date(2024, 7, 2))
        )
    assert mine and theirs and by_directivo
    assert activities(db, "c-a") == before + 2
    at = page(db, monkeypatch, COORD, "pages/historial.py")
    # Only its own save is offered.
    (offered,) = at.selectbox(key="deshacer_carga").options
    assert offered.startswith(f"{mine.batch_id} — Registro en el tablero — cronograma de c-a")
    at.checkbox(key=f"deshacer_confirmar_{mine.batch_id}").check()
    at.button(key=f"deshacer_{mine.batch_id}").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.success[0].value.startswith(f"Carga {mine.batch_id} deshecha")
    assert activities(db, "c-a") == before + 1
    log = audit_rows(db, "deshacer")
    assert log["actor"].tolist() == [COORD]
    # Nothing else of its own left to undo: the page says where its saves will be.
    assert not [s for s in at.selectbox if s.key == "deshacer_carga"]
    assert any("deshacer los registros que guarde" in c.value for c in at.caption)
    # Another person's load, even of its own community, is refused with nothing undone.
    with open_store(db) as store:
        access = access_for(store, COORD)
        for batch in (theirs.batch_id, by_directivo.batch_id):
            with pytest.raises(AccessError, match=f"La carga {batch} la hizo otra persona"):
                imports.undo_batch(
                    store,
                    batch,
                    actor=COORD,
                    scope=access.scope,
                    own_communities=access.communities,
                )
    assert activities(db, "c-a") == before + 1
    assert activities(db, "c-a2") == 1


def test_a_coordinator_cannot_undo_its_save_of_a_community_no_longer_its_own(
    db: Path,
) -> None:
    add_coordinator(db, ["c-a", "c-a2"])
    with open_store(db) as store:
        saved = saves.save_activities(
            store, access_for(store, COORD), "c-a2", _activity(date(2024, 6, 3))
        )
        assert saved is not None
        assert imports.own_record_loads(store, COORD, {"c-a", "c-a2"}) == [saved.batch_id]
        save_user(
            store,
            email=COORD,
            name="Coordinadora",
            role="coordinador",
            password_hash=None,
            schools=[SCHOOL_A],
            communities=["c-a"],
        )
        access = access_for(store, COORD)
        assert imports.own_record_loads(store, COORD, access.communities or ()) == []
        with pytest.raises(AccessError, match="no es un registro de sus comunidades"):
            imports.undo_batch(
                store,
                saved.batch_id,
                actor=COORD,
                scope=access.scope,
                own_communities=access.communities,
            )
    assert activities(db, "c-a2") == 1


def test_a_new_community_has_no_closing_date_until_it_is_closed(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = page(db, monkeypatch, "dir@a.cl", "pages/registros.py")
    at.radio(key=f"registros_modo_{SCHOOL_A}").set_value("nueva").run()
    form = f"registros_comunidad_form_{SCHOOL_A}_nueva_v0_"
    assert at.date_input(key=form + "cierre").value is None
    assert at.checkbox(key=form + "cerrada").value is False
    at.text_input(key=form + "id").input("c-a3")
    at.text_input(key=form + "nombre").input("Comunidad a tres")
    at.date_input(key=form + "inicio").set_value(date(2024, 3, 11))
    # «Cerrada» without a date: says so, nothing saved.
    at.checkbox(key=form + "cerrada").check()
    at.button(key=f"FormSubmitter:{form}form-Crear comunidad").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.error[0].value.endswith(
        "Para cerrar la comunidad, indique su fecha de cierre. No se guardó nada."
    )
    with open_store(db) as store:
        assert store.query_df("SELECT id FROM community WHERE id = 'c-a3'").empty
    at.checkbox(key=form + "cerrada").uncheck()
    at.button(key=f"FormSubmitter:{form}form-Crear comunidad").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.success[0].value.startswith("Comunidad c-a3 guardada como la carga")
    with open_store(db) as store:
        saved = store.query_df("SELECT start_date, end_date FROM community WHERE id = 'c-a3'")
    assert saved["start_date"].iloc[0].date() == date(2024, 3, 11)
    assert saved["end_date"].isna().all()


def test_the_cli_changes_a_coordinators_communities(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from metrics.cli import main

    add_coordinator(db, ["c-a"])
    args = ["usuarios", "comunidades", COORD, "--db", str(db)]
    assert main([*args, "--comunidad", "c-b"]) == 2
    assert "No existe la comunidad c-b en el establecimiento RBD 101" in capsys.readouterr().err
    assert main([*args, "--comunidad", "c-a", "--comunidad", "c-a2", "--usuario", "dir@a.cl"]) == 2
    assert "Solo un administrador puede gestionar usuarios" in capsys.readouterr().err
    assert main([*args, "--comunidad", "c-a2", "--comunidad", "c-a"]) == 0
    assert capsys.readouterr().out.strip() == (f"Cuenta {COORD}: registra c-a, c-a2 (antes: c-a).")
    with open_store(db) as store:
        assert get_user(store, COORD).communities == ("c-a", "c-a2")  # type: ignore[union-attr]
    assert audit_rows(db, "usuario_comunidades")["actor"].str.startswith("cli:").all()
