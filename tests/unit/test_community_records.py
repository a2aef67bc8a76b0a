"""In-app records: each save is a one-load import of its template — validated,
listed, undone and audited like a file — and a coordinator keeps only its own communities.

Figures are computed by hand on the two-school fixture (tests/conftest.py): community c-a of
school 101 has teacher t-a as its only 2024 member, one activity (a-a, 02-04-2024, realizada)
and one session (02-04-2024, t-a came and shared 1 strategy).
"""

from __future__ import annotations

import json
from datetime import date

import pandas as pd
import pytest

from metrics import imports
from metrics.access import Access, Role, access_for, check_account_scope
from metrics.engine.indicators import compute_indicators, prepare_facts
from metrics.errors import AccessError
from metrics.imports import community_records as rec
from metrics.scope import Scope
from metrics.store import Store, audit, open_store
from metrics.store import community_records as reads
from metrics.store.users import demo_blockers, save_user
from tests.conftest import SCHOOL_A, SCHOOL_B

ADMIN = Access.full("ana")


def value(store: Store, code: str, sid: str, year: str = "2024", cutoff: date | None = None):
    df = compute_indicators(store, Scope.all(), alcance_id=sid, corte=cutoff, mensual=False)
    row = df[(df["indicador"] == code) & (df["periodo"] == year)]
    return float(row["valor"].iloc[0])


def batches(store: Store) -> int:
    return int(store.query_df("SELECT count(*) AS n FROM import_batch")["n"].iloc[0])


def add_teacher(store: Store, teacher: str, rbd: int = SCHOOL_A, year: int = 2024) -> None:
    with store.transaction() as cur:
        batch = store.new_batch(cur, kind="prueba", file_name="t", file_hash=teacher, actor="t")
        store.insert_frame(cur, "teacher", pd.DataFrame({"id": [teacher], "name": ["Otra"]}), batch)
        store.insert_frame(
            cur,
            "teacher_year",
            pd.DataFrame({"year": [year], "teacher_id": [teacher], "rbd": [rbd]}),
            batch,
        )


def test_a_session_is_one_load_shown_at_once_listed_audited_and_undone(two_schools: Store):
    s = two_schools
    assert value(s, "intercambio_estrategias", "c-a") == 1.0  # 1 strategy / 1 session
    prepare_facts(s)
    r = rec.save_session(
        s,
        ADMIN,
        "c-a",
        date(2024, 5, 7),
        topic="Lectura en parejas",
        attended=["t-a"],
        strategies=[
            rec.StrategyLine("t-a", "Preguntas antes de leer"),
            rec.StrategyLine("t-a", "Turnos"),
        ],
        agreements="Probar en 2° básico",
    )
    assert (r.kind, r.rows_new, r.rows_replaced) == ("asistencia_sesiones", 1, 0)
    # Two sessions, 1 + 2 strategies: 1,5 per session; the incremental refresh shows it.
    assert value(s, "intercambio_estrategias", "c-a") == 1.5
    sessions = reads.read_sessions(s, Scope.all(), "c-a")
    first = sessions.iloc[0]
    assert (first["topic"], first["attended"], first["strategies"]) == ("Lectura en parejas", 1, 2)
    assert first["strategy_notes"] == "Preguntas antes de leer|Turnos"
    assert first["agreements"] == "Probar en 2° básico"
    listed = imports.list_batches(s)
    assert listed["file_name"].iloc[0] == "Registro en el tablero — sesión c-a 07-05-2024.csv"
    options = s.query_df("SELECT options FROM import_batch WHERE id = ?", [r.batch_id])
    assert json.loads(options["options"].iloc[0])["origen"] == "tablero"
    logged = audit.read(s, Scope.all(), action="carga", limit=1)
    assert json.loads(logged["detail"].iloc[0])["carga"] == r.batch_id
    assert logged["actor"].iloc[0] == "ana"
    imports.undo_batch(s, r.batch_id, actor="ana")
    assert value(s, "intercambio_estrategias", "c-a") == 1.0
    assert len(reads.read_sessions(s, Scope.all(), "c-a")) == 1


def test_saving_the_same_values_again_after_a_change_is_a_new_load(two_schools: Store):
    """A file seen before is a duplicate; a form saved again is not (the state changed)."""
    s = two_schools
    table = reads.read_activities(s, Scope.all(), "c-a")
    done = rec.save_activities(s, ADMIN, "c-a", table.assign(status="cancelada"))
    again = rec.save_activities(s, ADMIN, "c-a", table)
    assert done is not None and again is not None and again.batch_id != done.batch_id
    assert reads.read_activities(s, Scope.all(), "c-a")["status"].tolist() == ["realizada"]


def test_schedule_edits_change_compliance_at_once(two_schools: Store):
    s = two_schools
    cutoff = date(2024, 12, 31)
    assert value(s, "cumplimiento_cronograma", "c-a", cutoff=cutoff) == 100.0
    table = reads.read_activities(s, Scope.all(), "c-a")
    new = pd.DataFrame(
        [
            {
                "id": None,
                "kind": "taller",
                "responsible": "UTP",
                "planned_date": date(2024, 6, 4),
                "done_date": None,
                "status": "planificada",
            }
        ]
    )
    r = rec.save_activities(s, ADMIN, "c-a", pd.concat([table, new], ignore_index=True))
    assert r is not None and r.rows_new == 1  # the unchanged row is not saved again
    assert value(s, "cumplimiento_cronograma", "c-a", cutoff=cutoff) == 50.0  # 1 of 2
    table = reads.read_activities(s, Scope.all(), "c-a")
    assert table["id"].tolist() == ["a-a", "c-a-A2"]
    table.loc[1, "status"] = "realizada"
    table.loc[1, "done_date"] = pd.Timestamp(2024, 6, 5)
    rec.save_activities(s, ADMIN, "c-a", table)
    assert value(s, "cumplimiento_cronograma", "c-a", cutoff=cutoff) == 100.0
    assert rec.save_activities(s, ADMIN, "c-a", table) is None  # nothing changed


def test_a_schedule_cannot_take_another_community_s_activity(two_schools: Store):
    theirs = reads.read_activities(two_schools, Scope.all(), "c-b")
    with pytest.raises(rec.RecordError, match="La actividad a-b no es del cronograma de c-a"):
        rec.save_activities(two_schools, ADMIN, "c-a", theirs)
    assert reads.read_activities(two_schools, Scope.all(), "c-b")["id"].tolist() == ["a-b"]


def test_a_bad_schedule_row_is_refused_in_spanish_and_nothing_is_saved(two_schools: Store):
    s = two_schools
    before = batches(s)
    bad = pd.DataFrame(
        [
            {
                "id": None,
                "kind": "taller",
                "responsible": None,
                "planned_date": None,
                "done_date": None,
                "status": "planificada",
            }
        ]
    )
    with pytest.raises(imports.RefusedFileError) as err:
        rec.save_activities(s, ADMIN, "c-a", bad)
    text = err.value.message
    assert "Registro en el tablero — cronograma de c-a.csv" in text
    assert "fila 2" in text and "fecha_planificada" in text
    assert batches(s) == before
    assert len(reads.read_activities(s, Scope.all(), "c-a")) == 1


def test_session_form_errors_save_nothing(two_schools: Store):
    s = two_schools
    before = batches(s)
    day = date(2024, 5, 7)
    with pytest.raises(rec.RecordError, match="Falta el tema"):
        rec.save_session(s, ADMIN, "c-a", day, topic=" ", attended=["t-a"])
    with pytest.raises(rec.RecordError, match="no está marcado como asistente"):
        rec.save_session(
            s, ADMIN, "c-a", day, topic="T", attended=[], strategies=[rec.StrategyLine("t-a", "x")]
        )
    with pytest.raises(rec.RecordError, match="no tiene integrantes en 2023"):
        rec.save_session(s, ADMIN, "c-a", date(2023, 5, 7), topic="T", attended=[])
    assert batches(s) == before


def test_a_session_before_the_year_s_members_lists_last_year_s(two_schools: Store):
    r = rec.save_session(two_schools, ADMIN, "c-a", date(2025, 3, 7), topic="T", attended=["t-a"])
    assert r.rows_new == 1 and r.period == "2025"


def test_communities_are_created_edited_and_closed(two_schools: Store):
    s = two_schools
    r = rec.save_community(
        s,
        ADMIN,
        community_id="c-a2",
        rbd=SCHOOL_A,
        name="Matemática",
        kind="observación entre pares",
        start_date=date(2024, 3, 4),
        new=True,
    )
    assert r.rows_new == 1
    with pytest.raises(rec.RecordError, match="Ya existe una comunidad"):
        rec.save_community(
            s,
            ADMIN,
            community_id="c-a2",
            rbd=SCHOOL_A,
            name="X",
            kind="comunidad de práctica",
            new=True,
        )
    with pytest.raises(rec.RecordError, match="anterior a la de inicio"):
        rec.save_community(
            s,
            ADMIN,
            community_id="c-a2",
            rbd=SCHOOL_A,
            name="Matemática",
            kind="observación entre pares",
            start_date=date(2024, 3, 4),
            end_date=date(2024, 3, 1),
            new=False,
        )
    with pytest.raises(imports.RefusedFileError, match="tipo"):
        rec.save_community(
            s,
            ADMIN,
            community_id="c-a2",
            rbd=SCHOOL_A,
            name="Matemática",
            kind="fiesta",
            new=False,
        )
    rec.save_community(
        s,
        ADMIN,
        community_id="c-a2",
        rbd=SCHOOL_A,
        name="Matemática 2° ciclo",
        kind="observación entre pares",
        start_date=date(2024, 3, 4),
        end_date=date(2024, 12, 20),
        new=False,
    )
    got = reads.read_communities(s, Scope.all(), SCHOOL_A).set_index("id").loc["c-a2"]
    assert got["name"] == "Matemática 2° ciclo"
    assert pd.Timestamp(got["end_date"]).date() == date(2024, 12, 20)
    # Open communities first.
    assert reads.read_communities(s, Scope.all(), SCHOOL_A)["id"].tolist() == ["c-a", "c-a2"]


def test_members_come_from_the_roster_and_keep_other_communities(two_schools: Store):
    s = two_schools
    add_teacher(s, "t-a2")
    rec.save_community(
        s,
        ADMIN,
        community_id="c-a2",
        rbd=SCHOOL_A,
        name="M",
        kind="comunidad de práctica",
        new=True,
    )
    rec.save_members(s, ADMIN, "c-a2", 2024, ["t-a", "t-a2"])
    assert set(reads.read_members(s, Scope.all(), "c-a2", 2024)["teacher_id"]) == {"t-a", "t-a2"}
    assert reads.read_members(s, Scope.all(), "c-a", 2024)["teacher_id"].tolist() == ["t-a"]
    # Taking t-a2 out leaves it in no community; its roster row keeps its data.
    r = rec.save_members(s, ADMIN, "c-a2", 2024, ["t-a"])
    assert r is not None and r.rows == 1
    assert set(reads.read_members(s, Scope.all(), "c-a2", 2024)["teacher_id"]) == {"t-a"}
    roster = reads.read_roster(s, Scope.all(), SCHOOL_A, 2024).set_index("teacher_id")
    assert roster.loc["t-a", "communities"] == "c-a|c-a2"
    assert pd.isna(roster.loc["t-a2", "communities"])
    assert roster.loc["t-a", "tramo"] == "inicial" and roster.loc["t-a", "years_experience"] == 2
    assert rec.save_members(s, ADMIN, "c-a2", 2024, ["t-a"]) is None
    with pytest.raises(rec.RecordError, match="no están en la dotación 2024"):
        rec.save_members(s, ADMIN, "c-a2", 2024, ["t-b"])


@pytest.fixture
def coordinator(two_schools: Store) -> Access:
    rec.save_community(
        two_schools,
        ADMIN,
        community_id="c-a2",
        rbd=SCHOOL_A,
        name="Otra",
        kind="comunidad de práctica",
        new=True,
    )
    save_user(
        two_schools,
        email="coord@x.cl",
        name="Coord",
        role="coordinador",
        password_hash=None,
        schools=[SCHOOL_A],
        communities=["c-a"],
    )
    return access_for(two_schools, "coord@x.cl")


def test_a_coordinator_records_only_its_own_community(two_schools: Store, coordinator: Access):
    s = two_schools
    assert coordinator.role is Role.COORDINADOR
    assert coordinator.communities == frozenset({"c-a"})
    assert not coordinator.can_upload and coordinator.can_record
    r = rec.save_session(s, coordinator, "c-a", date(2024, 5, 7), topic="T", attended=["t-a"])
    assert r.rows_new == 1
    before = batches(s)
    day = date(2024, 5, 8)
    for community in ("c-a2", "c-b"):  # another community of its school, one of another school
        with pytest.raises(AccessError, match=f"la comunidad {community} no es una de ellas"):
            rec.save_session(s, coordinator, community, day, topic="T", attended=[])
        with pytest.raises(AccessError):
            rec.save_activities(
                s, coordinator, community, pd.DataFrame(columns=rec.ACTIVITY_COLUMNS)
            )
        with pytest.raises(AccessError):
            rec.save_members(s, coordinator, community, 2024, [])
    with pytest.raises(AccessError, match="no puede crear una comunidad"):
        rec.save_community(
            s,
            coordinator,
            community_id="c-new",
            rbd=SCHOOL_A,
            name="N",
            kind="comunidad de práctica",
            new=True,
        )
    assert batches(s) == before


def test_a_director_cannot_record_in_another_school(two_schools: Store):
    save_user(
        two_schools,
        email="dir@x.cl",
        name="D",
        role="directivo",
        password_hash=None,
        schools=[SCHOOL_A],
    )
    director = access_for(two_schools, "dir@x.cl")
    with pytest.raises(rec.RecordError, match="No existe la comunidad c-b en su alcance"):
        rec.save_session(two_schools, director, "c-b", date(2024, 5, 7), topic="T", attended=[])
    lector = Access("l", Scope.schools([SCHOOL_A]), Role.LECTOR, can_record=False)
    with pytest.raises(AccessError, match="no permite registrar"):
        rec.save_session(two_schools, lector, "c-a", date(2024, 5, 7), topic="T", attended=[])


def test_coordinator_accounts_need_one_school_and_their_communities():
    check_account_scope(Role.COORDINADOR, [SCHOOL_A], [], ["c-a"])
    with pytest.raises(AccessError, match="coordinador necesita"):
        check_account_scope(Role.COORDINADOR, [SCHOOL_A], [], [])
    with pytest.raises(AccessError, match="Solo un perfil coordinador"):
        check_account_scope(Role.DIRECTIVO, [SCHOOL_B], [], ["c-b"])


def test_records_do_not_turn_a_demo_store_into_a_real_one(two_schools: Store):
    before = demo_blockers(two_schools)[0]
    rec.save_session(two_schools, ADMIN, "c-a", date(2024, 5, 7), topic="T", attended=["t-a"])
    assert demo_blockers(two_schools)[0] == before


def test_the_records_step_keeps_accounts_of_an_older_store(tmp_path):
    """A store at the schema before the records step keeps its accounts and scopes."""
    import duckdb

    from metrics.store import core
    from metrics.store.schema import MIGRATIONS

    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))
    core._migrate(con, str(path), target=MIGRATIONS.index(rec_step()))
    con.execute("INSERT INTO app_user (email, name, role) VALUES ('d@x.cl', 'D', 'directivo')")
    con.execute("INSERT INTO user_scope VALUES ('d@x.cl', 'establecimiento', '101')")
    con.close()
    with open_store(path) as store:
        user = access_for(store, "d@x.cl")
        assert user.role is Role.DIRECTIVO and user.scope == Scope.schools([101])
        save_user(
            store,
            email="c@x.cl",
            name="C",
            role="coordinador",
            password_hash=None,
            schools=[101],
            communities=["c-1"],
        )
        assert access_for(store, "c@x.cl").communities == frozenset({"c-1"})


def rec_step() -> str:
    from metrics.store import schema

    return schema._V16_RECORDS


def test_the_cli_creates_a_coordinator_of_communities_of_its_school(
    two_schools: Store, capsys: pytest.CaptureFixture[str]
):
    from metrics.cli import main

    path = two_schools.path
    two_schools.close()
    base = ["usuarios", "agregar", "c@x.cl", "--rol", "coordinador", "--sin-contrasena"]
    db = ["--db", path]
    assert main([*base, "--establecimiento", str(SCHOOL_A), *db]) == 2
    assert "una o más de sus comunidades (--comunidad ID)" in capsys.readouterr().err
    assert main([*base, "--establecimiento", str(SCHOOL_A), "--comunidad", "c-b", *db]) == 2
    assert "No existe la comunidad c-b en el establecimiento RBD 101" in capsys.readouterr().err
    assert main([*base, "--establecimiento", str(SCHOOL_A), "--comunidad", "c-a", *db]) == 0
    with open_store(path) as store:
        got = access_for(store, "c@x.cl")
    assert (got.role, got.scope, got.communities) == (
        Role.COORDINADOR,
        Scope.schools([SCHOOL_A]),
        frozenset({"c-a"}),
    )
