"""Revisión cualitativa, Seguimiento and Ajustes: every form saves a valid entry as a load,
refuses a bad one with a Spanish message and nothing saved, and the save is undone in Historial.

The store: two schools filled by hand (tests/conftest.py: 101 «Escuela a» with community
«Comunidad a», 202 «Escuela b»), a directivo of 101, a lector of 101 and an administrator.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from metrics.access import hash_password
from metrics.scope import Scope
from metrics.store import open_store, records
from metrics.store.users import get_user, save_user
from tests.app.conftest import run_app
from tests.conftest import SCHOOL_A, SCHOOL_B, fill_school

USERS = {
    "dir@a.cl": ("directivo", [SCHOOL_A]),
    "lec@a.cl": ("lector", [SCHOOL_A]),
    "admin@a.cl": ("administrador", []),
}


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "registros.duckdb"
    with open_store(path) as store:
        fill_school(store, SCHOOL_A, "a")
        fill_school(store, SCHOOL_B, "b")
        for email, (role, schools) in USERS.items():
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


def counts(db: Path) -> tuple[int, int, int, int]:
    """(log entries, síntesis, reviews, loads) in the store."""
    with open_store(db) as store:
        row = store.query_df(
            "SELECT (SELECT count(*) FROM qualitative_note), "
            "(SELECT count(*) FROM qualitative_synthesis), (SELECT count(*) FROM followup_review), "
            "(SELECT count(*) FROM import_batch WHERE undone_at IS NULL)"
        ).iloc[0]
    return tuple(int(v) for v in row)  # type: ignore[return-value]


def undo_last(db: Path, monkeypatch: pytest.MonkeyPatch, user: str, batch: int) -> AppTest:
    at = page(db, monkeypatch, user, "pages/historial.py")
    assert at.selectbox(key="deshacer_carga").value == batch
    at.checkbox(key=f"deshacer_confirmar_{batch}").check()
    at.button(key=f"deshacer_{batch}").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.success[0].value.startswith(f"Carga {batch} deshecha")
    return at


def test_a_log_entry_is_saved_refused_when_empty_and_undone(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = page(db, monkeypatch, "dir@a.cl", "pages/revision.py")
    assert at.title[0].value.startswith("Revisión cualitativa — Escuela a")
    assert "Aún no hay registros en la bitácora" in at.info[0].value
    before = counts(db)
    # Invalid: no text.
    at.text_input(key="bitacora_autor").input("Jefa UTP")
    at.button(key="bitacora_guardar").click().run()
    assert not at.exception
    assert at.error[0].value.endswith("Falta «Registro»: escríbalo antes de guardar.")
    assert counts(db) == before
    # Valid.
    at.date_input(key="bitacora_fecha").set_value(date(2024, 5, 3))
    at.selectbox(key="bitacora_dimension").select("formación recibida")
    at.selectbox(key="bitacora_comunidad").select("c-a")
    at.text_area(key="bitacora_registro").input("Taller de retroalimentación con la UTP.")
    at.text_input(key="bitacora_autor").input("Jefa UTP")
    at.button(key="bitacora_guardar").click().run()
    assert not at.exception, [e.value for e in at.exception]
    batch = before[3] + 1  # after the two schools' loads (1 and 2)
    assert batch == 3
    assert at.success[0].value == (
        f"Registro de la bitácora guardado como la carga {batch}. Puede deshacerla en "
        "Historial de cargas."
    )
    table = at.dataframe[0].value
    assert table[["Fecha", "Dimensión", "Comunidad", "Autor"]].iloc[0].tolist() == [
        "03-05-2024",
        "formación recibida",
        "Comunidad a",
        "Jefa UTP",
    ]
    assert counts(db)[0] == before[0] + 1
    undo_last(db, monkeypatch, "dir@a.cl", batch)
    assert counts(db) == before


def test_the_synthesis_of_a_moment_is_saved_and_refused_without_author(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = page(db, monkeypatch, "dir@a.cl", "pages/revision.py")
    at.text_area(key="sintesis_texto_durante").input("Las comunidades se reunieron cada mes.")
    at.button(key="sintesis_guardar_durante").click().run()
    assert at.error[0].value.endswith("Falta «Autor»: escríbalo antes de guardar.")
    assert counts(db)[1] == 0
    at.text_area(key="sintesis_texto_durante").input("Las comunidades se reunieron cada mes.")
    at.text_input(key="sintesis_autor_durante").input("Equipo directivo")
    at.button(key="sintesis_guardar_durante").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.success[0].value.startswith("Síntesis guardada como la carga 3.")
    # Saved: the form now holds it, and the load is the síntesis of 2024.
    assert at.text_area(key="sintesis_texto_durante").value == (
        "Las comunidades se reunieron cada mes."
    )
    with open_store(db) as store:
        got = store.query_df("SELECT rbd, year, moment, author FROM qualitative_synthesis")
    # The year is the sidebar's: the latest with data (2024).
    assert got.to_numpy().tolist() == [[SCHOOL_A, 2024, "durante", "Equipo directivo"]]
    undo_last(db, monkeypatch, "dir@a.cl", 3)
    assert counts(db)[1] == 0


def test_a_reader_reads_and_writes_nothing(db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with open_store(db) as store:
        records.save_note(
            store,
            Scope.all(),
            rbd=SCHOOL_A,
            community_id=None,
            note_date=date(2024, 4, 1),
            dimension="entrevistas",
            body="Entrevista a dos docentes principiantes.",
            author="Director",
            actor="t",
        )
    at = page(db, monkeypatch, "lec@a.cl", "pages/revision.py")
    assert at.dataframe[0].value["Registro"].tolist() == [
        "Entrevista a dos docentes principiantes."
    ]
    assert not [b for b in at.button if b.key and b.key.endswith("guardar")]
    at = page(db, monkeypatch, "lec@a.cl", "pages/seguimiento.py")
    assert not [b for b in at.button if b.key == "seg_guardar"]


def test_a_review_is_saved_refused_and_undone(db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = page(db, monkeypatch, "dir@a.cl", "pages/seguimiento.py")
    assert "Aún no hay revisiones del plan de seguimiento registradas." in at.markdown[1].value
    new = "__nueva__"
    # Invalid: held, but without the date it was held.
    at.date_input(key=f"seg_planificada_{new}").set_value(date(2024, 4, 1))
    at.selectbox(key=f"seg_estado_{new}").select("realizada")
    at.text_area(key=f"seg_revisado_{new}").input("Asistencia del primer semestre")
    at.button(key="seg_guardar").click().run()
    assert not at.exception
    assert at.error[0].value.endswith("Falta la fecha «Fecha de realización».")
    assert counts(db)[2] == 0
    at.date_input(key=f"seg_planificada_{new}").set_value(date(2024, 4, 1))
    at.date_input(key=f"seg_realizada_{new}").set_value(date(2024, 4, 2))
    at.selectbox(key=f"seg_estado_{new}").select("realizada")
    at.text_area(key=f"seg_revisado_{new}").input("Asistencia del primer semestre")
    at.text_area(key=f"seg_decisiones_{new}").input("Cambiar las reuniones al jueves")
    at.text_input(key=f"seg_responsable_{new}").input("Jefa UTP")
    at.date_input(key=f"seg_plazo_{new}").set_value(date(2024, 5, 1))
    at.selectbox(key=f"seg_estado_decisiones_{new}").select("pendiente")
    at.button(key="seg_guardar").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.success[0].value.startswith("Revisión guardada como la carga 3.")
    # One review of 2024, held, with its decision pending and past due (today is later).
    text = " ".join(m.value for m in at.markdown)
    assert (
        "se realizó 1 de 1 revisión planificada (100,0 %); queda 1 decisión pendiente, 1 con "
        "el plazo vencido." in text
    )
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Revisiones realizadas 2024"] == "1 de 1"
    assert metrics["Decisiones pendientes"] == "1"
    pending = at.dataframe[1].value
    assert pending[["Decisiones y ajustes", "Responsable", "Plazo"]].iloc[0].tolist() == [
        "Cambiar las reuniones al jueves",
        "Jefa UTP",
        "01-05-2024",
    ]
    undo_last(db, monkeypatch, "dir@a.cl", 3)
    assert counts(db)[2] == 0


def test_the_administrator_creates_an_account_and_a_bad_one_is_refused(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = page(db, monkeypatch, "admin@a.cl", "pages/ajustes.py")
    assert at.title[0].value == "Ajustes"
    # Invalid: a directivo needs exactly one school.
    at.text_input(key="cuenta_correo").input("nueva@a.cl")
    at.selectbox(key="cuenta_perfil").select("directivo")
    at.button(key="cuenta_guardar").click().run()
    assert not at.exception
    assert "necesita exactamente un establecimiento" in at.error[0].value
    with open_store(db) as store:
        assert get_user(store, "nueva@a.cl") is None
    at.text_input(key="cuenta_correo").input("Nueva@A.cl")
    at.text_input(key="cuenta_nombre").input("Nueva Directora")
    at.selectbox(key="cuenta_perfil").select("directivo")
    at.multiselect(key="cuenta_establecimientos").select(SCHOOL_B)
    at.button(key="cuenta_guardar").click().run()
    assert not at.exception, [e.value for e in at.exception]
    # The address is escaped for Markdown (no mail link): «nueva\@⁠a.cl».
    assert at.success[0].value.startswith("Cuenta nueva")
    assert at.success[0].value.endswith("a.cl creada: Equipo directivo.")
    with open_store(db) as store:
        user = get_user(store, "nueva@a.cl")
        log = store.query_df("SELECT actor FROM audit_log WHERE action = 'usuario_agregado'")
    assert user is not None and user.schools == (SCHOOL_B,) and user.password_hash is None
    assert log["actor"].tolist() == ["admin@a.cl"]
    accounts = at.dataframe[1].value
    assert "nueva@a.cl" in set(accounts["Correo"])


def test_a_directivo_sets_the_baseline_year_but_sees_no_accounts(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = page(db, monkeypatch, "dir@a.cl", "pages/ajustes.py")
    assert not [s for s in at.subheader if s.value == "Cuentas y alcance"]
    assert at.dataframe[0].value["RBD"].tolist() == [SCHOOL_A]
    at.selectbox(key="ajustes_anio").select(2024)
    at.button(key="ajustes_guardar_base").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.success[0].value == "Año de línea base de Escuela a: 2024."
    row = at.dataframe[0].value.iloc[0]
    assert (row["Año de línea base"], row["Origen"]) == ("2024", "fijado por el equipo")


def test_a_reader_cannot_open_the_settings(db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = run_app(db, monkeypatch, user="lec@a.cl")
    at.switch_page("pages/ajustes.py").run()
    assert "no permite fijar metas" in at.error[0].value
    assert not at.dataframe


def _forms(rows: int, comment: str) -> bytes:
    lines = [
        "Marca temporal,RBD del establecimiento,¿Recibo apoyo del equipo directivo?,Comentarios"
    ]
    lines += [
        f"2024/05/{i + 1:02d} 10:00:00 a. m. GMT-3,{SCHOOL_A},{1 + i % 5},"
        + (f"{comment} {i}" if i else "")
        for i in range(rows)
    ]
    return ("\n".join(lines) + "\n").encode()


def test_open_answers_show_beside_the_perceptions_small_groups_hidden(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from metrics.imports import import_file
    from metrics.ingest.formats import MappingRow

    mapping = [
        MappingRow(question="RBD del establecimiento", dimension="establecimiento"),
        MappingRow(question="¿Recibo apoyo del equipo directivo?", dimension="apoyo"),
        MappingRow(question="Comentarios", dimension="abierta"),
    ]
    with open_store(db) as store:
        # 12 teachers (the first leaves the comment blank: 11 answers), 3 students.
        for name, rows, kind in (("docentes.csv", 12, "docente"), ("est.csv", 3, "estudiante")):
            import_file(
                store,
                _forms(rows, f"Comentario de {kind}"),
                name,
                mapping=mapping,
                wave="final",
                respondent_kind=kind,
                actor="t",
            )
    at = page(db, monkeypatch, "dir@a.cl", "pages/revision.py")
    assert [e.label for e in at.expander if "respuestas" in e.label] == [
        "Comentarios — docentes (11 respuestas)"
    ]
    shown = " ".join(str(v) for df in at.dataframe for v in df.value.to_numpy().ravel())
    assert "Comentario de docente 11" in shown and "Comentario de estudiante" not in shown
    assert any(
        "2 respuesta(s) de grupos con menos de 10 respuestas no se muestran" in c.value
        for c in at.caption
    )
    at = page(db, monkeypatch, "dir@a.cl", "pages/durante.py")
    assert any("Respuestas abiertas" in m.value for m in at.markdown)
    assert [e.label for e in at.expander if "respuestas)" in e.label] == [
        "Comentarios — docentes (11 respuestas)"
    ]


def _note_by(db: Path, actor: str, body: str) -> str:
    with open_store(db) as store:
        records.save_note(
            store,
            Scope.all(),
            rbd=SCHOOL_A,
            community_id="c-a",
            note_date=date(2024, 4, 1),
            dimension="entrevistas",
            body=body,
            author="Director",
            actor=actor,
        )
        notes = records.read_notes(store, Scope.all(), rbd=SCHOOL_A)
        # The note just written (two notes of one day have no order between them).
        return str(notes.loc[notes["body"] == body, "id"].iloc[0])


def test_the_leadership_team_edits_and_deletes_an_entry_and_undo_restores_it(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    note_id = _note_by(db, "otra@a.cl", "Entrevista a dos docentes.")
    at = page(db, monkeypatch, "dir@a.cl", "pages/revision.py")
    # Edit: invalid (no text) says why and changes nothing; valid replaces the entry.
    at.text_area(key=f"bitacora_editar_registro_{note_id}").input("  ")
    at.button(key="bitacora_editar_guardar").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.error[0].value.endswith("Falta «Registro»: escríbalo antes de guardar.")
    assert counts(db)[3] == 3
    at.text_area(key=f"bitacora_editar_registro_{note_id}").input(
        "Entrevista a dos docentes principiantes."
    )
    at.selectbox(key=f"bitacora_editar_dimension_{note_id}").select("adaptación")
    at.button(key="bitacora_editar_guardar").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.success[0].value == (
        "Registro de la bitácora actualizado como la carga 4 (reemplaza la versión anterior). "
        "Puede deshacerla en Historial de cargas."
    )
    table = at.dataframe[0].value
    assert table[["Dimensión", "Registro"]].values.tolist() == [
        ["adaptación", "Entrevista a dos docentes principiantes."]
    ]
    # Delete: without the confirmation nothing goes; with it, the entry goes as load 5.
    at.button(key="bitacora_borrar").click().run()
    assert at.error[0].value == "Marque la casilla de confirmación para borrar el registro."
    assert counts(db)[0] == 1
    at.checkbox(key=f"bitacora_borrar_confirmar_{note_id}").check()
    at.button(key="bitacora_borrar").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.success[0].value.startswith("Registro de la bitácora borrado como la carga 5.")
    assert "Aún no hay registros en la bitácora" in at.info[0].value
    assert counts(db)[0] == 0
    with open_store(db) as store:
        log = store.query_df(
            "SELECT actor FROM audit_log WHERE action = 'registro_cualitativo_borrado'"
        )
    assert log["actor"].tolist() == ["dir@a.cl"]
    # The deletion is in the school's history and undone there: the edited entry is back.
    undo_last(db, monkeypatch, "dir@a.cl", 5)
    with open_store(db) as store:
        back = records.read_notes(store, Scope.all())
    assert back[["id", "dimension", "written_by"]].values.tolist() == [
        [note_id, "adaptación", "otra@a.cl"]
    ]


def test_a_supervisor_edits_only_the_entries_it_wrote(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with open_store(db) as store:
        save_user(
            store,
            email="sup@a.cl",
            name="Supervisora",
            role="supervisor",
            password_hash=hash_password("una-clave-bien-larga"),
            territories=[f"comuna:{SCHOOL_A}"],
        )
    _note_by(db, "dir@a.cl", "Del equipo directivo.")
    at = page(db, monkeypatch, "sup@a.cl", "pages/revision.py")
    assert not [s for s in at.selectbox if s.key == "bitacora_editar_id"]
    mine = _note_by(db, "sup@a.cl", "De la supervisora.")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    (choice,) = [s for s in at.selectbox if s.key == "bitacora_editar_id"]
    assert choice.options == [choice.options[0]] and "De la supervisora." in choice.options[0]
    assert choice.value == mine
