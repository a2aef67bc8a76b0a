"""In-app records (schema 13): the qualitative log, the síntesis per moment, the follow-up
reviews and the open answers of Forms exports — each save a load, undoable, audited, scoped;
bad input refused with a Spanish message and nothing written; the council pack carries them."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from metrics.errors import AccessError
from metrics.imports import DependantsError, import_file, read_mapping, undo_batch
from metrics.ingest.formats import MappingRow, propose_mapping
from metrics.presentation.packs import build_pack
from metrics.presentation.records import followup_headline, followup_summary, open_answers_shown
from metrics.scope import Scope
from metrics.store import Store, audit, records
from tests.conftest import SCHOOL_A, SCHOOL_B

GOOD = Path(__file__).resolve().parents[1] / "data" / "good"
ALL = Scope.all()
ONLY_A = Scope.all().narrow([SCHOOL_A])


def table_state(store: Store) -> dict[str, list[tuple[object, ...]]]:
    """Every record table's rows (sorted), to compare before and after."""
    out = {}
    for table in ("qualitative_note", "qualitative_synthesis", "followup_review"):
        df = store.query_df(f"SELECT * FROM {table}")
        out[table] = sorted(map(tuple, df.astype(str).to_numpy().tolist()))
    return out


def note(store: Store, scope: Scope = ALL, **kw: object) -> records.Saved:
    args: dict[str, object] = {
        "rbd": SCHOOL_A,
        "community_id": "c-a",
        "note_date": date(2024, 5, 3),
        "dimension": "planificación",
        "body": "El plan se ajustó a los horarios de los cursos.",
        "author": "Jefa UTP",
        "actor": "ana@example.org",
    }
    args.update(kw)
    return records.save_note(store, scope, **args)  # type: ignore[arg-type]


def test_a_note_is_a_load_in_the_history_and_audited(two_schools: Store) -> None:
    saved = note(two_schools)
    rows = records.read_notes(two_schools, ALL, rbd=SCHOOL_A)
    assert rows[["dimension", "community", "author"]].iloc[0].tolist() == [
        "planificación",
        "Comunidad a",
        "Jefa UTP",
    ]
    batch = two_schools.query_df(
        "SELECT kind, file_name, row_count, actor FROM import_batch WHERE id = ?",
        [saved.batch_id],
    ).iloc[0]
    assert batch.tolist() == [
        "registro cualitativo",
        "Bitácora: planificación, 03-05-2024",
        1,
        "ana@example.org",
    ]
    logged = audit.read(two_schools, Scope.all())
    last = logged[logged["action"] == "registro_cualitativo"]
    assert len(last) == 1 and f'"carga": {saved.batch_id}' in last["detail"].iloc[0]
    # A scoped person sees the load in the history of their school.
    assert saved.batch_id in set(two_schools.batches(ONLY_A, limit=50)["id"])


def test_an_edit_replaces_and_undo_brings_the_first_version_back(two_schools: Store) -> None:
    first = note(two_schools)
    note_id = records.read_notes(two_schools, ALL)["id"].iloc[0]
    before = table_state(two_schools)
    edit = note(two_schools, body="Versión corregida.", dimension="adaptación", note_id=note_id)
    assert edit.replaced
    now = records.read_notes(two_schools, ALL)
    assert now[["body", "dimension"]].iloc[0].tolist() == ["Versión corregida.", "adaptación"]
    undo_batch(two_schools, edit.batch_id, actor="t", scope=ONLY_A)
    assert table_state(two_schools) == before
    undo_batch(two_schools, first.batch_id, actor="t", scope=ONLY_A)
    assert records.read_notes(two_schools, ALL).empty


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"body": "   "}, "Falta «Registro»"),
        ({"author": ""}, "Falta «Autor»"),
        ({"dimension": "otra"}, "«otra» no es un valor válido de «Dimensión»"),
        ({"note_date": date(1990, 1, 1)}, "fuera de rango"),
        ({"note_date": None}, "Falta la fecha «Fecha»"),
        ({"community_id": "c-b"}, "La comunidad «c-b» no es del establecimiento RBD 101"),
        ({"body": "x" * 4001}, "tiene 4001 caracteres; el máximo es 4000"),
    ],
)
def test_bad_notes_say_why_in_spanish_and_save_nothing(
    two_schools: Store, change: dict[str, object], message: str
) -> None:
    before = table_state(two_schools)
    batches = len(two_schools.query_df("SELECT id FROM import_batch"))
    with pytest.raises(records.RecordError, match=message):
        note(two_schools, **change)
    assert table_state(two_schools) == before
    assert len(two_schools.query_df("SELECT id FROM import_batch")) == batches


def test_a_person_cannot_write_or_edit_another_schools_records(two_schools: Store) -> None:
    with pytest.raises(AccessError):
        note(two_schools, scope=ONLY_A, rbd=SCHOOL_B, community_id=None)
    note(two_schools, rbd=SCHOOL_B, community_id="c-b")
    other = records.read_notes(two_schools, ALL, rbd=SCHOOL_B)["id"].iloc[0]
    # Reusing B's note id from school A would move B's note: refused.
    with pytest.raises(AccessError):
        note(two_schools, scope=ONLY_A, note_id=other)
    assert records.read_notes(two_schools, ONLY_A).empty


def test_synthesis_is_one_per_moment_and_replaced(two_schools: Store) -> None:
    records.save_synthesis(
        two_schools, ALL, rbd=SCHOOL_A, year=2024, moment="antes", body="A1", author="E", actor="t"
    )
    second = records.save_synthesis(
        two_schools, ALL, rbd=SCHOOL_A, year=2024, moment="antes", body="A2", author="E", actor="t"
    )
    records.save_synthesis(
        two_schools, ALL, rbd=SCHOOL_A, year=2024, moment="impacto", body="I", author="F", actor="t"
    )
    got = records.read_synthesis(two_schools, ALL, SCHOOL_A, 2024)
    assert got[["moment", "body"]].to_numpy().tolist() == [["antes", "A2"], ["impacto", "I"]]
    undo_batch(two_schools, second.batch_id, actor="t")
    got = records.read_synthesis(two_schools, ALL, SCHOOL_A, 2024)
    assert got["body"].tolist() == ["A1", "I"]
    with pytest.raises(records.RecordError, match="«medio» no es un valor válido"):
        records.save_synthesis(
            two_schools, ALL, rbd=SCHOOL_A, year=2024, moment="medio", body="x", author="E",
            actor="t",
        )  # fmt: skip


def review(store: Store, **kw: object) -> records.Saved:
    args: dict[str, object] = {
        "rbd": SCHOOL_A,
        "community_id": None,
        "planned_date": date(2024, 4, 1),
        "held_date": date(2024, 4, 2),
        "status": "realizada",
        "reviewed": "Cumplimiento del cronograma",
        "decisions": "Mover los talleres a los miércoles",
        "responsible": "Jefa UTP",
        "due_date": date(2024, 5, 1),
        "decision_status": "pendiente",
        "actor": "t",
    }
    args.update(kw)
    return records.save_review(store, ALL, **args)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"held_date": None}, "Falta la fecha «Fecha de realización»"),
        ({"reviewed": ""}, "Falta «Qué se revisó»"),
        ({"decisions": ""}, "«Decisiones y ajustes» está vacío"),
        ({"decision_status": "sin decisiones"}, "Hay decisiones escritas"),
        ({"responsible": ""}, "Falta «Responsable»"),
        ({"due_date": date(2024, 3, 1)}, "El plazo \\(01-03-2024\\) es anterior a la revisión"),
        ({"status": "planificada"}, "debe tener el estado «realizada»"),
    ],
)
def test_bad_reviews_are_refused(
    two_schools: Store, change: dict[str, object], message: str
) -> None:
    before = table_state(two_schools)
    with pytest.raises(records.RecordError, match=message):
        review(two_schools, **change)
    assert table_state(two_schools) == before


def test_followup_summary_counts_by_hand(two_schools: Store) -> None:
    # 2024: three planned by 30-06 (one held with a pending decision past its due date, one
    # rescheduled, one cancelled) and one planned for later; 2025: one held, decision done.
    review(two_schools)
    review(
        two_schools,
        planned_date=date(2024, 5, 1),
        held_date=None,
        status="reprogramada",
        reviewed="",
        decisions="",
        responsible="",
        due_date=None,
        decision_status="sin decisiones",
    )
    review(
        two_schools,
        planned_date=date(2024, 6, 1),
        held_date=None,
        status="cancelada",
        reviewed="",
        decisions="",
        responsible="",
        due_date=None,
        decision_status="sin decisiones",
    )
    review(
        two_schools,
        planned_date=date(2024, 9, 1),
        held_date=None,
        status="planificada",
        reviewed="",
        decisions="Revisar la asistencia",
        responsible="Director",
        due_date=date(2024, 12, 1),
        decision_status="en curso",
    )
    review(
        two_schools,
        planned_date=date(2025, 4, 1),
        held_date=date(2025, 4, 1),
        due_date=date(2025, 5, 1),
        decision_status="cumplida",
    )
    reviews = records.read_reviews(two_schools, ALL, rbd=SCHOOL_A)
    summary = followup_summary(reviews, date(2024, 6, 30))
    rows = summary.to_dict("records")
    # As of 30-06-2024: the September review (and its decision «en curso») and 2025's are
    # later, so they count nowhere, and 2025 has no row.
    assert rows == [
        {
            "anio": 2024,
            "planificadas": 3,
            "realizadas": 1,
            "cumplimiento": pytest.approx(100 / 3),
            "decisiones": 1,
            "pendientes": 1,
            "vencidas": 1,
        },
    ]
    later = followup_summary(reviews, date(2025, 12, 31)).to_dict("records")
    assert [(r["anio"], r["planificadas"], r["decisiones"], r["pendientes"]) for r in later] == [
        (2024, 4, 2, 2),
        (2025, 1, 1, 0),
    ]
    assert followup_headline(summary, 2024, date(2024, 6, 30)) == (
        "Al 30-06-2024 se realizó 1 de 3 revisiones planificadas (33,3 %); queda 1 "
        "decisión pendiente, 1 con el plazo vencido."
    )
    assert records.read_reviews(two_schools, ONLY_A.narrow([SCHOOL_B])).empty


def test_the_council_pack_carries_the_synthesis_and_the_followup(two_schools: Store) -> None:
    records.save_synthesis(
        two_schools,
        ALL,
        rbd=SCHOOL_A,
        year=2024,
        moment="durante",
        body="Las comunidades se reunieron según lo planificado.",
        author="Equipo directivo",
        actor="t",
    )
    review(two_schools)
    pack = build_pack(two_schools, ONLY_A, rbd=SCHOOL_A, year=2024, today=date(2024, 6, 30))
    kinds = [s.kind for s in pack.slides]
    assert kinds.index("cualitativo") < kinds.index("seguimiento") < kinds.index("conclusiones")
    quali = next(s for s in pack.slides if s.kind == "cualitativo")
    assert quali.facts == (
        "Durante (implementación): Las comunidades se reunieron según lo planificado.",
    )
    assert "Sin síntesis: antes, resultados y impacto." in quali.notes
    follow = next(s for s in pack.slides if s.kind == "seguimiento")
    assert follow.title == (
        "Al 30-06-2024 se realizó 1 de 1 revisión planificada (100,0 %); queda 1 decisión "
        "pendiente, 1 con el plazo vencido."
    )
    assert follow.facts == (
        "2024: 1 de 1 revisiones realizadas; 1 decisión pendiente.",
        "Pendiente: Mover los talleres a los miércoles — Jefa UTP, plazo 01-05-2024.",
    )


def test_a_pack_without_records_has_no_such_slides(two_schools: Store) -> None:
    pack = build_pack(two_schools, ALL, rbd=SCHOOL_B, year=2024)
    assert not {"cualitativo", "seguimiento"} & {s.kind for s in pack.slides}


# -- open answers of Forms exports ----------------------------------------------------------
def test_open_questions_are_proposed_as_open() -> None:
    assert [m.dimension for m in propose_mapping(["Comentarios", "¿Por qué?"])] == [
        "abierta",
        "abierta",
    ]


def test_open_answers_are_kept_without_their_authors_and_undone(empty_store: Store) -> None:
    import_file(empty_store, b"rbd;nombre\n90001;Escuela 90001\n", "e.csv", actor="t")
    mapping = [
        *read_mapping(GOOD / "google_forms_docentes_mapeo.csv"),
        MappingRow(question="Comentarios", dimension="abierta"),
    ]
    result = import_file(
        empty_store,
        GOOD / "google_forms_docentes.csv",
        mapping=mapping,
        wave="final",
        actor="t",
    )
    assert any("2 respuesta(s) abierta(s)" in n for n in result.report.notes)
    got = empty_store.query_df("SELECT * FROM survey_open_answer ORDER BY answer")
    # The file's three rows: «Bien», blank (not kept), «Sin comentarios».
    assert got["answer"].tolist() == ["Bien", "Sin comentarios"]
    assert set(got["rbd"]) == {90001} and set(got["wave"]) == {"final"}
    assert got["response_date"].astype(str).tolist() == ["2024-04-13", "2024-04-10"]
    assert "respondent_id" not in got.columns
    assert not got.astype(str).apply(lambda c: c.str.contains("@")).any().any()
    shown = records.read_open_answers(empty_store, ALL, rbd=90001)
    assert list(shown.columns) == ["instrument", "wave", "respondent_kind", "question", "answer"]
    undo_batch(empty_store, result.batch_id, actor="t")
    assert empty_store.query_df("SELECT count(*) AS n FROM survey_open_answer")["n"][0] == 0


def test_small_groups_of_open_answers_are_held_back() -> None:
    answers = pd.DataFrame(
        {
            "instrument": ["e"] * 5,
            "wave": ["final"] * 5,
            "respondent_kind": ["docente"] * 3 + ["estudiante"] * 2,
            "question": ["¿Qué mejoraría?"] * 5,
            "answer": list("abcde"),
        }
    )
    shown, hidden = open_answers_shown(answers, 3)
    assert shown["answer"].tolist() == ["a", "b", "c"] and hidden == 2
    shown, hidden = open_answers_shown(answers, 10)
    assert shown.empty and hidden == 5


# -- teacher evaluations by instrument (item 6) ---------------------------------------------
def test_evaluations_by_instrument_by_hand(two_schools: Store) -> None:
    from metrics.presentation.records import evaluations_headline
    from metrics.store.views import evaluations_by_instrument

    extra = pd.DataFrame(
        {
            "teacher_id": ["t-a", "t-a", "t-a"],
            "rbd": [SCHOOL_A] * 3,
            "eval_date": [date(2024, 6, 1), date(2024, 6, 1), date(2024, 11, 1)],
            "instrument": ["autoevaluación", "autoevaluación", "evaluación docente"],
            "domain": ["A", "B", "A"],
            "score": [4, 3, 2],
        }
    )
    with two_schools.transaction() as cur:
        batch = two_schools.new_batch(cur, kind="prueba", file_name="e", file_hash="e", actor="t")
        two_schools.insert_frame(cur, "teacher_evaluation", extra, batch)
    got = evaluations_by_instrument(two_schools, ONLY_A, rbd=SCHOOL_A)
    # School A: one observation (3) from the fixture; self-assessment (4 + 3) / 2 = 3,5.
    assert got[["year", "instrument", "mean_score", "n", "teachers"]].to_numpy().tolist() == [
        [2024, "observación de aula", 3.0, 1, 1],
        [2024, "autoevaluación", 3.5, 2, 1],
        [2024, "evaluación docente", 2.0, 1, 1],
    ]
    assert evaluations_headline(got) == (
        "En 2024, la observación de aula promedia 3,00 de 4, la autoevaluación, 3,50 y la "
        "Evaluación Docente, 2,00; los docentes se autoevalúan 0,50 puntos por encima de lo "
        "observado en aula."
    )
    assert evaluations_by_instrument(two_schools, ONLY_A, rbd=SCHOOL_B).empty


def test_the_pack_files_carry_the_new_slides(two_schools: Store) -> None:
    import io

    from pptx import Presentation

    from metrics.presentation.export.slides import render_pack

    records.save_synthesis(
        two_schools, ALL, rbd=SCHOOL_A, year=2024, moment="antes", body="Diagnóstico: poca "
        "observación entre pares.", author="Equipo", actor="t",
    )  # fmt: skip
    review(two_schools)
    pack = build_pack(two_schools, ALL, rbd=SCHOOL_A, year=2024, today=date(2024, 6, 30))
    deck = Presentation(io.BytesIO(render_pack(pack, "pptx")))
    text = [
        " ".join(s.text_frame.text for s in slide.shapes if s.has_text_frame)
        for slide in deck.slides
    ]
    assert any("Antes (diagnóstico): Diagnóstico: poca observación entre pares." in t for t in text)
    assert any("Pendiente: Mover los talleres a los miércoles — Jefa UTP" in t for t in text)
    assert render_pack(pack, "pdf").startswith(b"%PDF")
    from openpyxl import load_workbook

    summary = load_workbook(io.BytesIO(render_pack(pack, "xlsx")))["Resumen"]
    cells = [c for row in summary.iter_rows(values_only=True) for c in row if c]
    assert "Antes (diagnóstico): Diagnóstico: poca observación entre pares." in cells
    assert "Pendiente: Mover los talleres a los miércoles — Jefa UTP, plazo 01-05-2024." in cells


def test_only_the_author_edits_or_deletes_an_entry_unless_unrestricted(
    two_schools: Store,
) -> None:
    note(two_schools, actor="ana@example.org")
    note_id = records.read_notes(two_schools, ALL)["id"].iloc[0]
    assert records.read_notes(two_schools, ALL)["written_by"].tolist() == ["ana@example.org"]
    before = table_state(two_schools)
    batches = len(two_schools.query_df("SELECT id FROM import_batch"))
    with pytest.raises(AccessError, match="Solo quien escribió este registro"):
        note(two_schools, body="Otra cosa.", note_id=note_id, actor="eva", only_author="eva")
    with pytest.raises(AccessError, match="Solo quien escribió este registro"):
        records.delete_note(two_schools, ALL, note_id, actor="eva", only_author="eva")
    assert table_state(two_schools) == before
    assert len(two_schools.query_df("SELECT id FROM import_batch")) == batches
    # Its author may; after someone else's edit it is still its author's entry.
    note(two_schools, body="Corregido.", note_id=note_id, only_author="ana@example.org")
    note(two_schools, body="Corregido por la UTP.", note_id=note_id, actor="utp@example.org")
    now = records.read_notes(two_schools, ALL)
    assert now[["body", "written_by"]].iloc[0].tolist() == [
        "Corregido por la UTP.",
        "ana@example.org",
    ]
    with pytest.raises(AccessError):
        note(two_schools, body="x", note_id=note_id, actor="utp", only_author="utp@example.org")


def test_editing_an_entry_that_no_longer_exists_saves_nothing(two_schools: Store) -> None:
    with pytest.raises(records.RecordError, match="Ese registro ya no existe"):
        note(two_schools, note_id="nota-inexistente")
    with pytest.raises(records.RecordError, match="ya no existe"):
        records.delete_note(two_schools, ALL, "nota-inexistente", actor="t")
    assert records.read_notes(two_schools, ALL).empty
    assert two_schools.query_df(
        "SELECT id FROM import_batch WHERE kind = ?", [records.NOTE_KIND]
    ).empty


def test_a_deleted_entry_is_a_load_undone_like_any_other(two_schools: Store) -> None:
    first = note(two_schools)
    note(two_schools, body="Otra entrada.", dimension="entrevistas")
    note_id = records.read_notes(two_schools, ALL, year=2024)
    note_id = note_id[note_id["dimension"] == "planificación"]["id"].iloc[0]
    before = table_state(two_schools)
    gone = records.delete_note(two_schools, ONLY_A, note_id, actor="dir@example.org")
    left = records.read_notes(two_schools, ALL)
    assert left["body"].tolist() == ["Otra entrada."]
    batch = two_schools.query_df(
        "SELECT kind, file_name, rows_new, rows_replaced, actor FROM import_batch WHERE id = ?",
        [gone.batch_id],
    ).iloc[0]
    assert batch.tolist() == [
        "registro cualitativo",
        "Bitácora: borrado de planificación, 03-05-2024",
        0,
        1,
        "dir@example.org",
    ]
    logged = audit.read(two_schools, Scope.all())
    deleted = logged[logged["action"] == "registro_cualitativo_borrado"]
    assert len(deleted) == 1 and f'"registro": "{note_id}"' in deleted["detail"].iloc[0]
    # The school's history shows the deletion (it brought no row), so it can be undone there.
    assert gone.batch_id in set(two_schools.batches(ONLY_A, limit=50)["id"])
    assert gone.batch_id not in set(
        two_schools.batches(Scope.all().narrow([SCHOOL_B]), limit=50)["id"]
    )
    # The entry's first load cannot go while its deletion stands.
    with pytest.raises(DependantsError, match="1 carga depende de ella"):
        undo_batch(two_schools, first.batch_id, actor="t", scope=ONLY_A)
    undo_batch(two_schools, gone.batch_id, actor="t", scope=ONLY_A)
    assert table_state(two_schools) == before
