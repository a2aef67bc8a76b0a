"""What the team records in the app: the qualitative review and the follow-up plan.

Three kinds of record (schema 13, README «Registros de la evaluación»):

- **Bitácora** (``qualitative_note``): a dated entry per school, optionally about one of its
  communities, tagged by one of the guide's dimensions, with its author.
- **Síntesis cualitativa** (``qualitative_synthesis``): what the team concludes per school, year
  and evaluation moment (antes, durante, resultados, impacto); the council pack carries it.
- **Revisiones del plan de seguimiento** (``followup_review``): when a periodic review was
  planned and held, what was reviewed, the decisions and adjustments, who is responsible, by
  when, and the status of both.

Every save is a load (``import_batch``, kinds :data:`RECORD_BATCH_KINDS`) seen in the history,
undone like any other (the row it replaced waits in ``replaced_<table>``) and recorded in the
audit log. Every read and write checks the scope; bad input raises :class:`RecordError`, a
Spanish message naming the field, before anything is written. This module holds no Streamlit.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import duckdb
import pandas as pd

from metrics.errors import AccessError, StoreError, TableroError
from metrics.scope import Scope
from metrics.store import audit
from metrics.store.core import Store, batch_schools, scope_clause
from metrics.store.references import REPLACED_PREFIX
from metrics.store.schema import RECORD_BATCH_KINDS

NOTE_DIMENSIONS: tuple[str, ...] = (
    "planificación",
    "recursos utilizados",
    "formación recibida",
    "adaptación",
    "entrevistas",
)
"""The guide's dimensions of a qualitative review of the implementation."""

MOMENTS: dict[str, str] = {
    "antes": "Antes (diagnóstico)",
    "durante": "Durante (implementación)",
    "resultados": "Resultados",
    "impacto": "Impacto",
}
"""Evaluation moments of a síntesis cualitativa, and how they are named on screen."""

REVIEW_STATUSES: tuple[str, ...] = ("planificada", "realizada", "reprogramada", "cancelada")
DECISION_STATUSES: tuple[str, ...] = ("sin decisiones", "pendiente", "en curso", "cumplida")
OPEN_DECISIONS: tuple[str, ...] = ("pendiente", "en curso")
"""Decision statuses that still wait for someone."""

NOTE_KIND, SYNTHESIS_KIND, REVIEW_KIND = RECORD_BATCH_KINDS
AUDIT_ACTIONS = {
    NOTE_KIND: "registro_cualitativo",
    SYNTHESIS_KIND: "sintesis_cualitativa",
    REVIEW_KIND: "seguimiento",
}
"""The audit log's action of each kind of save (:data:`metrics.store.audit.ACTION_LABELS`)."""

MAX_TEXT = 4000
"""Longest text accepted in a field (a slide of the council pack holds about this much)."""
MAX_NAME = 120
FIRST_YEAR = 2000


class RecordError(TableroError):
    """A record that cannot be saved as written (nothing was saved)."""

    title = "No se guardó el registro"


@dataclass(frozen=True)
class Saved:
    """One save: its load (batch) and whether it replaced an earlier version."""

    batch_id: int
    replaced: bool


# -- checks ----------------------------------------------------------------------------------


def _text(value: str | None, field: str, *, required: bool = True, limit: int = MAX_TEXT) -> str:
    text = (value or "").strip()
    if required and not text:
        raise RecordError(f"Falta «{field}»: escríbalo antes de guardar.")
    if len(text) > limit:
        raise RecordError(
            f"«{field}» tiene {len(text)} caracteres; el máximo es {limit}. Acórtelo."
        )
    return text


def _date(value: date | None, field: str, *, required: bool = True) -> date | None:
    if value is None:
        if required:
            raise RecordError(f"Falta la fecha «{field}».")
        return None
    if not FIRST_YEAR <= value.year <= date.today().year + 5:
        raise RecordError(
            f"La fecha «{field}» ({value:%d-%m-%Y}) está fuera de rango: debe estar entre "
            f"{FIRST_YEAR} y {date.today().year + 5}."
        )
    return value


def _one_of(value: str, choices: tuple[str, ...] | list[str], field: str) -> str:
    if value not in choices:
        raise RecordError(
            f"«{value}» no es un valor válido de «{field}». Use uno de: {', '.join(choices)}."
        )
    return value


def _check_place(cur: Any, scope: Scope, rbd: int, community_id: str | None) -> None:
    """The school is visible to ``scope`` and exists; the community, if any, is one of its."""
    if not scope.allows(int(rbd)):
        raise AccessError(f"No tiene acceso al establecimiento RBD {rbd}.")
    if cur.execute("SELECT 1 FROM school WHERE rbd = ?", [int(rbd)]).fetchone() is None:
        raise RecordError(f"No existe el establecimiento RBD {rbd} en la base de datos.")
    if community_id is not None:
        row = cur.execute("SELECT rbd FROM community WHERE id = ?", [community_id]).fetchone()
        if row is None or int(row[0]) != int(rbd):
            raise RecordError(f"La comunidad «{community_id}» no es del establecimiento RBD {rbd}.")


# -- the one write path ----------------------------------------------------------------------


def _save(
    store: Store,
    scope: Scope,
    *,
    table: str,
    kind: str,
    key: Mapping[str, Any],
    row: Mapping[str, Any],
    label: str,
    actor: str,
    detail: Mapping[str, Any],
    editing: bool = False,
    only_author: str | None = None,
) -> Saved:
    """Write ``row`` as one load: the row with the same ``key`` goes to the shadow table
    (undo brings it back), the new one is inserted, the load and the audit row recorded.

    ``editing``: the record must exist already (:class:`RecordError` if it does not);
    ``only_author``: it must have been written by that account (:func:`_check_author`)."""
    cond = " AND ".join(f"t.{c} IS NOT DISTINCT FROM ?" for c in key)
    params = list(key.values())
    payload = json.dumps({**row}, default=str, ensure_ascii=False, sort_keys=True)
    try:
        with store.write_lock, store.transaction() as cur:
            _check_place(cur, scope, int(row["rbd"]), row.get("community_id"))
            old = cur.execute(f"SELECT t.rbd FROM {table} t WHERE {cond}", params).fetchall()
            if any(not scope.allows(int(r[0])) for r in old):
                raise AccessError("Ese registro es de un establecimiento fuera de su alcance.")
            if editing and not old:
                raise RecordError(
                    "Ese registro ya no existe (quizá otra persona lo borró). No se guardó nada."
                )
            if editing and only_author is not None:
                _check_author(cur, table, str(key["id"]), only_author)
            batch = store.new_batch(
                cur,
                kind=kind,
                file_name=label,
                file_hash=hashlib.sha256(payload.encode()).hexdigest(),
                actor=actor,
            )
            if old:
                cur.execute(
                    f"INSERT INTO {REPLACED_PREFIX}{table} SELECT t.*, ? FROM {table} t "
                    f"WHERE {cond}",
                    [batch, *params],
                )
                cur.execute(f"DELETE FROM {table} t WHERE {cond}", params)
            store.insert_frame(cur, table, pd.DataFrame([dict(row)]), batch)
            year = _row_year(row)
            cur.execute(
                "UPDATE import_batch SET rows_new = ?, rows_replaced = ?, period = ?, "
                "schools = 1, source_format = 'app' WHERE id = ?",
                [0 if old else 1, len(old), None if year is None else str(year), batch],
            )
            audit.append(
                cur,
                actor,
                AUDIT_ACTIONS[kind],
                {
                    "carga": batch,
                    **detail,
                    "reemplaza": bool(old),
                    "rbds": batch_schools(cur, batch),
                },
            )
    except duckdb.Error as exc:
        raise StoreError(f"No se pudo guardar el registro: {exc}") from exc
    return Saved(batch, bool(old))


def _creator(cur: Any, table: str, record_id: str) -> str | None:
    """The account that first wrote record ``record_id``: the actor of the oldest load among
    its current row and the versions later edits or a deletion replaced."""
    row = cur.execute(
        "SELECT actor FROM import_batch WHERE id = (SELECT min(b) FROM ("
        f"SELECT batch_id AS b FROM {table} WHERE id = $1 UNION ALL "
        f"SELECT origin_batch FROM {REPLACED_PREFIX}{table} WHERE id = $1))",
        [record_id],
    ).fetchone()
    return None if row is None else str(row[0])


def _check_author(cur: Any, table: str, record_id: str, author: str) -> None:
    """Refuse (Spanish) a change by anyone but the account that wrote the record."""
    if _creator(cur, table, record_id) != author:
        raise AccessError(
            "Solo quien escribió este registro, o el equipo directivo del establecimiento, "
            "puede cambiarlo o borrarlo. No se guardó nada.",
            "No se guardó el registro",
        )


def _row_year(row: Mapping[str, Any]) -> int | None:
    for field in ("year", "note_date", "planned_date"):
        value = row.get(field)
        if isinstance(value, date):
            return value.year
        if isinstance(value, int):
            return value
    return None


def new_record_id(prefix: str) -> str:
    """A fresh id for a record (``nota-…``, ``revision-…``)."""
    return f"{prefix}-{secrets.token_hex(6)}"


# -- bitácora --------------------------------------------------------------------------------


def save_note(
    store: Store,
    scope: Scope,
    *,
    rbd: int,
    community_id: str | None,
    note_date: date | None,
    dimension: str,
    body: str,
    author: str,
    actor: str,
    note_id: str | None = None,
    only_author: str | None = None,
) -> Saved:
    """Save an entry of the qualitative log (a new one, or ``note_id`` edited: it must exist,
    and with ``only_author`` it must have been written by that account).

    Example:
        >>> save_note(store, scope, rbd=10001, community_id=None, note_date=date(2025, 5, 3),
        ...           dimension="planificación", body="…", author="UTP", actor="a@b.cl")
        ...  # doctest: +SKIP
    """
    row = {
        "id": note_id or new_record_id("nota"),
        "rbd": int(rbd),
        "community_id": community_id or None,
        "note_date": _date(note_date, "Fecha"),
        "dimension": _one_of(dimension, NOTE_DIMENSIONS, "Dimensión"),
        "body": _text(body, "Registro"),
        "author": _text(author, "Autor", limit=MAX_NAME),
    }
    return _save(
        store,
        scope,
        table="qualitative_note",
        kind=NOTE_KIND,
        key={"id": row["id"]},
        row=row,
        label=f"Bitácora: {row['dimension']}, {row['note_date']:%d-%m-%Y}",
        actor=actor,
        detail={"registro": row["id"], "dimension": row["dimension"], "fecha": row["note_date"]},
        editing=note_id is not None,
        only_author=only_author,
    )


def delete_note(
    store: Store, scope: Scope, note_id: str, *, actor: str, only_author: str | None = None
) -> Saved:
    """Delete an entry of the qualitative log as one load: the entry waits in the shadow table
    and undoing the load brings it back. With ``only_author``, only the account that wrote it
    may; audited (``registro_cualitativo_borrado``).

    Raises:
        RecordError: the entry does not exist (Spanish).
        AccessError: its school is outside ``scope``, or another account wrote it.
    """
    try:
        with store.write_lock, store.transaction() as cur:
            found = cur.execute(
                "SELECT rbd, dimension, note_date FROM qualitative_note WHERE id = ?", [note_id]
            ).fetchone()
            if found is None:
                raise RecordError(
                    "Ese registro de la bitácora ya no existe (quizá otra persona lo borró). "
                    "No se borró nada."
                )
            rbd, dimension, day = int(found[0]), str(found[1]), found[2]
            if not scope.allows(rbd):
                raise AccessError("Ese registro es de un establecimiento fuera de su alcance.")
            if only_author is not None:
                _check_author(cur, "qualitative_note", note_id, only_author)
            batch = store.new_batch(
                cur,
                kind=NOTE_KIND,
                file_name=f"Bitácora: borrado de {dimension}, {day:%d-%m-%Y}",
                file_hash=hashlib.sha256(
                    f"borrar {note_id} {secrets.token_hex(4)}".encode()
                ).hexdigest(),
                actor=actor,
            )
            cur.execute(
                f"INSERT INTO {REPLACED_PREFIX}qualitative_note SELECT t.*, ? "
                "FROM qualitative_note t WHERE t.id = ?",
                [batch, note_id],
            )
            cur.execute("DELETE FROM qualitative_note WHERE id = ?", [note_id])
            cur.execute(
                "UPDATE import_batch SET rows_new = 0, rows_replaced = 1, period = ?, "
                "schools = 1, source_format = 'app' WHERE id = ?",
                [str(day.year), batch],
            )
            audit.append(
                cur,
                actor,
                "registro_cualitativo_borrado",
                {
                    "carga": batch,
                    "registro": note_id,
                    "dimension": dimension,
                    "fecha": day,
                    "rbds": batch_schools(cur, batch),
                },
            )
    except duckdb.Error as exc:
        raise StoreError(f"No se pudo borrar el registro: {exc}") from exc
    return Saved(batch, True)


def read_notes(
    store: Store,
    scope: Scope,
    *,
    rbd: int | None = None,
    community_id: str | None = None,
    year: int | None = None,
) -> pd.DataFrame:
    """The log's entries visible in ``scope``, newest first: id, rbd, community_id,
    community (its name), note_date, dimension, body, author (the name written) and
    written_by (the account that first wrote it)."""
    cond, params = scope_clause(scope, "qualitative_note", "t")
    where = [cond]
    if rbd is not None:
        where.append("t.rbd = ?")
        params.append(int(rbd))
    if community_id is not None:
        where.append("t.community_id = ?")
        params.append(community_id)
    if year is not None:
        where.append("year(t.note_date) = ?")
        params.append(int(year))
    # written_by: the account that first wrote the entry (who, besides the school's team, may
    # change or delete it).
    return store.query_df(
        "SELECT t.id, t.rbd, t.community_id, c.name AS community, t.note_date, t.dimension, "
        "t.body, t.author, (SELECT b.actor FROM import_batch b WHERE b.id = least(t.batch_id, "
        f"(SELECT min(r.origin_batch) FROM {REPLACED_PREFIX}qualitative_note r "
        "WHERE r.id = t.id))) AS written_by "
        "FROM qualitative_note t LEFT JOIN community c ON c.id = t.community_id "
        f"WHERE {' AND '.join(where)} ORDER BY t.note_date DESC, t.id",
        params,
    )


# -- síntesis cualitativa -------------------------------------------------------------------


def save_synthesis(
    store: Store,
    scope: Scope,
    *,
    rbd: int,
    year: int,
    moment: str,
    body: str,
    author: str,
    actor: str,
) -> Saved:
    """Save (or replace) the síntesis cualitativa of a school, year and moment."""
    if not FIRST_YEAR <= int(year) <= date.today().year + 5:
        raise RecordError(f"El año {year} está fuera de rango.")
    row = {
        "rbd": int(rbd),
        "year": int(year),
        "moment": _one_of(moment, list(MOMENTS), "Momento"),
        "body": _text(body, "Síntesis"),
        "author": _text(author, "Autor", limit=MAX_NAME),
    }
    return _save(
        store,
        scope,
        table="qualitative_synthesis",
        kind=SYNTHESIS_KIND,
        key={"rbd": row["rbd"], "year": row["year"], "moment": row["moment"]},
        row=row,
        label=f"Síntesis cualitativa: {row['moment']} {row['year']}",
        actor=actor,
        detail={"anio": row["year"], "momento": row["moment"]},
    )


def read_synthesis(store: Store, scope: Scope, rbd: int, year: int) -> pd.DataFrame:
    """The síntesis of one school and year, one row per moment written: moment, body, author,
    saved_at (when its load was saved)."""
    if not scope.allows(int(rbd)):
        raise AccessError(f"No tiene acceso al establecimiento RBD {rbd}.")
    return store.query_df(
        "SELECT t.moment, t.body, t.author, b.created_at AS saved_at "
        "FROM qualitative_synthesis t JOIN import_batch b ON b.id = t.batch_id "
        "WHERE t.rbd = ? AND t.year = ? "
        "ORDER BY list_position(['antes', 'durante', 'resultados', 'impacto'], t.moment)",
        [int(rbd), int(year)],
    )


# -- plan de seguimiento ---------------------------------------------------------------------


def save_review(
    store: Store,
    scope: Scope,
    *,
    rbd: int,
    community_id: str | None,
    planned_date: date | None,
    held_date: date | None,
    status: str,
    reviewed: str,
    decisions: str,
    responsible: str,
    due_date: date | None,
    decision_status: str,
    actor: str,
    review_id: str | None = None,
) -> Saved:
    """Save a periodic review of the follow-up plan (a new one, or ``review_id`` edited).

    A held review (``realizada``) needs the date it was held and what was reviewed; a review
    with decisions needs someone responsible and a due date; ``sin decisiones`` needs none.
    """
    status = _one_of(status, REVIEW_STATUSES, "Estado de la revisión")
    decision_status = _one_of(decision_status, DECISION_STATUSES, "Estado de las decisiones")
    planned = _date(planned_date, "Fecha planificada")
    held = _date(held_date, "Fecha de realización", required=status == "realizada")
    if held is not None and status != "realizada":
        raise RecordError(
            "Una revisión con «Fecha de realización» debe tener el estado «realizada»."
        )
    text_reviewed = _text(reviewed, "Qué se revisó", required=status == "realizada")
    text_decisions = _text(decisions, "Decisiones y ajustes", required=False)
    has_decisions = decision_status != "sin decisiones"
    if has_decisions and not text_decisions:
        raise RecordError(
            f"Las decisiones están «{decision_status}» pero «Decisiones y ajustes» está vacío: "
            "escríbalas o elija «sin decisiones»."
        )
    if text_decisions and not has_decisions:
        raise RecordError(
            "Hay decisiones escritas: elija su estado (pendiente, en curso o cumplida)."
        )
    who = _text(responsible, "Responsable", required=has_decisions, limit=MAX_NAME)
    due = _date(due_date, "Plazo", required=has_decisions)
    if due is not None and planned is not None and due < (held or planned):
        raise RecordError(
            f"El plazo ({due:%d-%m-%Y}) es anterior a la revisión ({(held or planned):%d-%m-%Y})."
        )
    assert planned is not None
    row = {
        "id": review_id or new_record_id("revision"),
        "rbd": int(rbd),
        "community_id": community_id or None,
        "planned_date": planned,
        "held_date": held,
        "status": status,
        "reviewed": text_reviewed,
        "decisions": text_decisions,
        "responsible": who or None,
        "due_date": due,
        "decision_status": decision_status,
    }
    return _save(
        store,
        scope,
        table="followup_review",
        kind=REVIEW_KIND,
        key={"id": row["id"]},
        row=row,
        label=f"Revisión de seguimiento: {planned:%d-%m-%Y} ({status})",
        actor=actor,
        detail={"registro": row["id"], "estado": status, "decisiones": decision_status},
    )


def read_reviews(
    store: Store, scope: Scope, *, rbd: int | None = None, community_id: str | None = None
) -> pd.DataFrame:
    """Every review of the follow-up plan visible in ``scope``, by planned date: id, rbd,
    school, community_id, community, planned_date, held_date, status, reviewed, decisions,
    responsible, due_date, decision_status."""
    cond, params = scope_clause(scope, "followup_review", "t")
    where = [cond]
    if rbd is not None:
        where.append("t.rbd = ?")
        params.append(int(rbd))
    if community_id is not None:
        where.append("t.community_id = ?")
        params.append(community_id)
    return store.query_df(
        "SELECT t.id, t.rbd, s.name AS school, t.community_id, c.name AS community, "
        "t.planned_date, t.held_date, t.status, t.reviewed, t.decisions, t.responsible, "
        "t.due_date, t.decision_status FROM followup_review t "
        "LEFT JOIN school s ON s.rbd = t.rbd LEFT JOIN community c ON c.id = t.community_id "
        f"WHERE {' AND '.join(where)} ORDER BY t.planned_date, t.id",
        params,
    )


# -- respuestas abiertas ---------------------------------------------------------------------


def read_open_answers(
    store: Store,
    scope: Scope,
    *,
    rbd: int | None = None,
    community_id: str | None = None,
    year: int | None = None,
) -> pd.DataFrame:
    """Open survey answers visible in ``scope``: instrument, wave, respondent_kind, question,
    answer (nothing that names who wrote them), in a stable order that is not the file's."""
    cond, params = scope_clause(scope, "survey_open_answer", "t")
    where = [cond]
    if rbd is not None:
        where.append("t.rbd = ?")
        params.append(int(rbd))
    if community_id is not None:
        where.append("t.community_id = ?")
        params.append(community_id)
    if year is not None:
        where.append("(year(t.response_date) = ? OR t.response_date IS NULL)")
        params.append(int(year))
    return store.query_df(
        "SELECT t.instrument, t.wave, t.respondent_kind, t.question, t.answer "
        f"FROM survey_open_answer t WHERE {' AND '.join(where)} "
        "ORDER BY t.instrument, t.wave, t.question, t.respondent_kind, t.answer",
        params,
    )
