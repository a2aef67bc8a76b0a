"""Records kept in the app: communities, members, schedule and sessions.

Every save is an import of the dataset's own template, made from the form's values: the same
validation and Spanish messages (file, row, column) as a CSV typed elsewhere, one load in the
history (Historial de cargas), undone like any other, and one ``carga`` row in the audit log.
The load's file name says what was saved («Registro en el tablero — sesión CP-LECT
05-03-2024»); its options carry ``origen: tablero``.

Who may save what is :meth:`metrics.access.Access.require_record`: a coordinator keeps only
its own communities' records; the import's scope check keeps everyone inside their schools.

Example:
    >>> from metrics.access import Access
    >>> from metrics.store import open_store
    >>> from metrics.imports import import_file
    >>> s = open_store(":memory:")
    >>> _ = import_file(s, b"rbd;nombre\\n12;Escuela\\n", "e.csv", actor="ana")
    >>> r = save_community(s, Access.full("ana"), community_id="CP-1", rbd=12,
    ...                    name="Lectura", kind="comunidad de práctica", new=True)
    >>> (r.kind, r.rows_new)
    ('comunidades', 1)
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

import pandas as pd

from metrics.access import Access
from metrics.errors import UploadError
from metrics.formatting import format_date
from metrics.imports.pipeline import RECORD_ORIGIN, ImportResult, import_file
from metrics.ingest.datasets import DATASETS
from metrics.store import Store
from metrics.store import community_records as reads

ORIGIN = RECORD_ORIGIN
"""The ``origen`` of a load saved from a form (in the batch's options, with its ``comunidad``:
a coordinator may undo its own saves of its own communities)."""

FILE_PREFIX = "Registro en el tablero — "
"""How the history names a load saved from a form."""

NO_COMMUNITY = "|"
"""``comunidades`` of a roster row that leaves a teacher in no community that year (a blank
cell would leave the teacher's communities as they were)."""


class RecordError(UploadError):
    """A form's values that cannot be saved, before any import: nothing was written."""

    title = "No se guardó el registro"


@dataclass(frozen=True)
class StrategyLine:
    """One strategy shared in a session: who shared it and a line that says what it was."""

    teacher_id: str
    text: str


def _csv(kind: str, rows: Iterable[dict[str, object]]) -> bytes:
    """The rows as a ``;`` CSV with the template's column names (in its order)."""
    names = [c.name for c in DATASETS[kind].columns]
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\n")
    writer.writerow(names)
    for row in rows:
        writer.writerow(["" if row.get(n) is None else _cell(row[n]) for n in names])
    return out.getvalue().encode("utf-8")


def _cell(value: object) -> str:
    if isinstance(value, date):
        return format_date(value)
    if isinstance(value, bool):
        return "sí" if value else "no"
    return str(value).strip()


def _save(
    store: Store,
    access: Access,
    kind: str,
    rows: list[dict[str, object]],
    what: str,
    community_id: str,
) -> ImportResult:
    return import_file(
        store,
        _csv(kind, rows),
        f"{FILE_PREFIX}{what}.csv",
        kind=kind,
        actor=access.actor,
        scope=access.scope,
        origin=ORIGIN,
        community=community_id,
    )


def _school_of(store: Store, access: Access, community_id: str) -> int:
    """The community's RBD; :class:`RecordError` if the store does not hold it, or the person
    may not keep its records."""
    access.require_record(community_id)
    rbd = reads.community_school(store, community_id)
    if rbd is None or not access.scope.allows(rbd):
        raise RecordError(
            f"No existe la comunidad {community_id} en su alcance. No se guardó nada."
        )
    return rbd


def save_community(
    store: Store,
    access: Access,
    *,
    community_id: str,
    rbd: int,
    name: str,
    kind: str,
    focus: str | None = None,
    start_date: date | None = None,
    end_date: date | None = None,
    new: bool,
) -> ImportResult:
    """Create (``new``) or edit a community; an ``end_date`` closes it."""
    community_id = community_id.strip()
    if new:
        access.require_record(None)
        if community_id and reads.community_school(store, community_id) is not None:
            raise RecordError(
                f"Ya existe una comunidad con el identificador {community_id}: elija otro, o "
                "edítela. No se guardó nada."
            )
    elif _school_of(store, access, community_id) != rbd:
        raise RecordError(
            f"La comunidad {community_id} es de otro establecimiento: no se puede mover. "
            "No se guardó nada."
        )
    if start_date and end_date and end_date < start_date:
        raise RecordError(
            f"La fecha de cierre ({format_date(end_date)}) es anterior a la de inicio "
            f"({format_date(start_date)}). No se guardó nada."
        )
    row: dict[str, object] = {
        "id_comunidad": community_id,
        "rbd": rbd,
        "nombre": name,
        "tipo": kind,
        "foco": focus,
        "fecha_inicio": start_date,
        "fecha_cierre": end_date,
    }
    verb = "nueva comunidad" if new else ("cierre de" if end_date else "comunidad")
    return _save(store, access, "comunidades", [row], f"{verb} {community_id}", community_id)


def save_members(
    store: Store, access: Access, community_id: str, year: int, teacher_ids: Iterable[str]
) -> ImportResult | None:
    """Make ``teacher_ids`` (from the school's roster of ``year``) the community's members that
    year; the other communities of each teacher stay as they were. None when nothing changes."""
    rbd = _school_of(store, access, community_id)
    roster = reads.read_roster(store, access.scope, rbd, year)
    chosen = set(teacher_ids)
    unknown = chosen - set(roster["teacher_id"])
    if unknown:
        raise RecordError(
            f"{len(unknown)} docente(s) elegidos no están en la dotación {year} del "
            f"establecimiento RBD {rbd}. Cargue o corrija la dotación. No se guardó nada."
        )
    rows: list[dict[str, object]] = []
    for r in roster.itertuples(index=False):
        had = set(str(r.communities).split("|")) if isinstance(r.communities, str) else set()
        has = (had | {community_id}) if r.teacher_id in chosen else (had - {community_id})
        if has == had:
            continue
        rows.append(
            {
                "anio": year,
                "id_docente": r.teacher_id,
                "nombre": r.name if isinstance(r.name, str) else None,
                "rbd": rbd,
                "anios_experiencia": None
                if _blank(r.years_experience)
                else int(str(r.years_experience).split(".")[0]),
                "tramo": r.tramo if isinstance(r.tramo, str) else None,
                "comunidades": "|".join(sorted(has)) or NO_COMMUNITY,
            }
        )
    if not rows:
        return None
    return _save(
        store, access, "docentes", rows, f"integrantes {year} de {community_id}", community_id
    )


ACTIVITY_COLUMNS = ("id", "kind", "responsible", "planned_date", "done_date", "status")
"""The columns of a schedule as :func:`save_activities` takes it (as read by
:func:`metrics.store.community_records.read_activities`)."""


def save_activities(
    store: Store, access: Access, community_id: str, table: pd.DataFrame
) -> ImportResult | None:
    """Save a community's edited schedule: the rows that are new or differ from the store.

    ``table`` has :data:`ACTIVITY_COLUMNS`; a row without ``id`` is a new activity and gets
    the next free one (``<community>-A<n>``). None when nothing changed.
    """
    _school_of(store, access, community_id)
    stored = reads.read_activities(store, access.scope, community_id)
    before = {str(r["id"]): _activity_key(r) for r in _records(stored)}
    taken = set(before) | _all_activity_ids(store, community_id)
    rows: list[dict[str, object]] = []
    n = len(taken)
    for r in _records(table):
        ident = "" if _blank(r.get("id")) else str(r["id"]).strip()
        if all(_blank(r.get(c)) for c in ACTIVITY_COLUMNS[1:]) and not ident:
            continue  # an empty row the editor added and nobody filled
        if ident and ident not in before:
            raise RecordError(
                f"La actividad {ident} no es del cronograma de {community_id}. No se guardó nada."
            )
        if ident and before.get(ident) == _activity_key(r):
            continue
        if not ident:
            n += 1
            while f"{community_id}-A{n}" in taken:
                n += 1
            ident = f"{community_id}-A{n}"
            taken.add(ident)
        rows.append(
            {
                "id_actividad": ident,
                "id_comunidad": community_id,
                "tipo": r.get("kind"),
                "responsable": r.get("responsible"),
                "fecha_planificada": _date_or_none(r.get("planned_date")),
                "fecha_realizada": _date_or_none(r.get("done_date")),
                "estado": r.get("status"),
            }
        )
    if not rows:
        return None
    return _save(store, access, "cronograma", rows, f"cronograma de {community_id}", community_id)


def _all_activity_ids(store: Store, community_id: str) -> set[str]:
    """Activity ids of this community's prefix anywhere in the store (ids are global)."""
    df = store.query_df("SELECT id FROM activity WHERE starts_with(id, ?)", [f"{community_id}-A"])
    return set(df["id"].astype(str))


def _records(frame: pd.DataFrame) -> list[dict[str, object]]:
    return [{str(k): v for k, v in r.items()} for r in frame.to_dict("records")]


def _blank(v: object) -> bool:
    if v is None:
        return True
    if isinstance(v, str):
        return not v.strip()
    try:
        return bool(pd.isna(v))  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return False


def _date_or_none(v: object) -> date | None:
    if _blank(v):
        return None
    if isinstance(v, pd.Timestamp):
        return v.date()
    if isinstance(v, date):
        return v
    raise RecordError(f"«{v}» no es una fecha. No se guardó nada.")


def _activity_key(r: dict[str, object]) -> tuple[object, ...]:
    return tuple(
        None
        if _blank(r.get(c))
        else (_date_or_none(r.get(c)) if c.endswith("_date") else str(r.get(c)).strip())
        for c in ACTIVITY_COLUMNS[1:]
    )


def save_session(
    store: Store,
    access: Access,
    community_id: str,
    session_date: date,
    *,
    topic: str,
    attended: Iterable[str],
    strategies: Sequence[StrategyLine] = (),
    agreements: str = "",
) -> ImportResult:
    """Record one session: who of the members came, the strategies each one shared (a line
    each), its topic and agreements. Saving the same community and date again replaces it.

    The members are those of the session's year or, until they are recorded, of the latest
    earlier year (:func:`metrics.store.community_records.members_year`)."""
    _school_of(store, access, community_id)
    if not topic.strip():
        raise RecordError("Falta el tema de la sesión. No se guardó nada.")
    listed = reads.members_year(store, access.scope, community_id, session_date.year)
    if listed is None:
        raise RecordError(
            f"La comunidad {community_id} no tiene integrantes en {session_date.year}: "
            "regístrelos primero (Integrantes). No se guardó nada."
        )
    members = reads.read_members(store, access.scope, community_id, listed)
    came = set(attended)
    names = dict(zip(members["teacher_id"], members["name"], strict=True))
    lines: dict[str, list[str]] = {}
    for s in strategies:
        if not s.text.strip():
            raise RecordError(
                "Una estrategia compartida no tiene descripción: escriba una línea para cada "
                "una. No se guardó nada."
            )
        if s.teacher_id not in came:
            who = names.get(s.teacher_id, s.teacher_id)
            raise RecordError(
                f"{who} no está marcado como asistente, pero compartió una estrategia. "
                "No se guardó nada."
            )
        lines.setdefault(s.teacher_id, []).append(s.text.strip().replace("|", "/"))
    rows = [
        {
            "id_comunidad": community_id,
            "fecha_sesion": session_date,
            "id_docente": t,
            "asistio": t in came,
            "estrategias_compartidas": len(lines.get(t, [])),
            "tema": topic.strip(),
            "estrategias_detalle": "|".join(lines.get(t, [])) or None,
            "acuerdos": agreements.strip() or None,
        }
        for t in members["teacher_id"]
    ]
    return _save(
        store,
        access,
        "asistencia_sesiones",
        rows,
        f"sesión {community_id} {format_date(session_date)}",
        community_id,
    )
