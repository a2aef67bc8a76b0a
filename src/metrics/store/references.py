"""What points at what: the references between datasets, declared once as data.

A file's row may name a school (RBD), a community, a teacher or a territory that another load
brings. This module declares every such reference twice over the same four *entities*:

- :data:`FILE_REFERENCES`: the columns of an import kind (``metrics.ingest.datasets``) that name
  an entity. The validation query (:mod:`metrics.store.loads`) refuses a row whose entity is
  neither in the store nor brought by the same file or an earlier file of the same upload.
- :data:`STORE_REFERENCES`: the columns of the store's tables that name an entity. They decide
  which loads depend on which (:func:`dependants`: undoing a load that others point at is
  refused, or done together with them), and which rows of a store point nowhere
  (:func:`orphans`, so the indicator engine skips them and says so).

Values are bound parameters; identifiers come from this module's constants only.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import duckdb

from metrics.store.schema import UNDOABLE_TABLES

REPLACED_PREFIX = "replaced_"


@dataclass(frozen=True)
class Entity:
    """Something rows point at: its table and key, and how a message names it."""

    table: str
    key: str
    noun: str
    """Spanish, with its article: «el establecimiento»."""
    load_first: str
    """What to load to bring it, as a sentence fragment after «Cargue primero»."""
    kinds: tuple[str, ...]
    """Import kinds that bring it (official files with school columns also bring schools)."""


ENTITIES: dict[str, Entity] = {
    "school": Entity(
        "school",
        "rbd",
        "el establecimiento",
        "el establecimiento (plantilla establecimientos o el Directorio oficial de Mineduc)",
        ("establecimientos",),
    ),
    "community": Entity(
        "community",
        "id",
        "la comunidad",
        "la comunidad (plantilla comunidades)",
        ("comunidades",),
    ),
    "teacher": Entity(
        "teacher",
        "id",
        "el docente",
        "el docente (plantilla docentes)",
        ("docentes",),
    ),
    "territory": Entity(
        "territory",
        "id",
        "el territorio",
        "los establecimientos con su comuna, DEPROV y SLEP (plantilla establecimientos o el "
        "Directorio oficial de Mineduc)",
        ("establecimientos",),
    ),
}
"""Every entity rows may point at, by name."""


@dataclass(frozen=True)
class FileReference:
    """A column of an import kind that names an entity."""

    kind: str
    column: str
    """The dataset column's target (``community_id``)."""
    entity: str
    many: bool = False
    """The cell holds several ids separated by ``|``, ``,`` or ``;`` (a teacher's communities)."""
    when: str | None = None
    """Only rows whose ``scope_kind`` is this (a target's scope)."""


FILE_REFERENCES: tuple[FileReference, ...] = (
    FileReference("comunidades", "rbd", "school"),
    FileReference("docentes", "rbd", "school"),
    FileReference("docentes", "communities", "community", many=True),
    FileReference("cronograma", "community_id", "community"),
    FileReference("asistencia_sesiones", "community_id", "community"),
    FileReference("asistencia_sesiones", "teacher_id", "teacher"),
    FileReference("encuestas", "rbd", "school"),
    FileReference("encuestas", "community_id", "community"),
    FileReference("evaluaciones", "teacher_id", "teacher"),
    FileReference("evaluaciones", "rbd", "school"),
    FileReference("resultados", "rbd", "school"),
    FileReference("asistencia_mensual", "rbd", "school"),
    FileReference("pruebas", "rbd", "school"),
    FileReference("dia", "rbd", "school"),
    FileReference("asignaciones", "teacher_id", "teacher"),
    FileReference("asignaciones", "rbd", "school"),
    FileReference("metas", "scope_id", "school", when="establecimiento"),
    FileReference("metas", "scope_id", "community", when="comunidad"),
    FileReference("metas", "scope_id", "territory", when="territorio"),
)
"""Every reference a file's row makes (the kinds of :data:`metrics.ingest.datasets.DATASETS`)."""


@dataclass(frozen=True)
class StoreReference:
    """A column of a store table that names an entity."""

    table: str
    column: str
    entity: str
    when: str | None = None
    """Only rows whose ``scope_kind`` is this (a target's scope)."""


STORE_REFERENCES: tuple[StoreReference, ...] = (
    StoreReference("school_territory", "rbd", "school"),
    StoreReference("school_territory", "territory_id", "territory"),
    StoreReference("community", "rbd", "school"),
    StoreReference("teacher_year", "rbd", "school"),
    StoreReference("teacher_year", "teacher_id", "teacher"),
    StoreReference("community_member", "community_id", "community"),
    StoreReference("community_member", "teacher_id", "teacher"),
    StoreReference("activity", "community_id", "community"),
    StoreReference("session_attendance", "community_id", "community"),
    StoreReference("session_attendance", "teacher_id", "teacher"),
    StoreReference("survey_response", "rbd", "school"),
    StoreReference("survey_response", "community_id", "community"),
    StoreReference("teacher_evaluation", "teacher_id", "teacher"),
    StoreReference("teacher_evaluation", "rbd", "school"),
    StoreReference("student_result", "rbd", "school"),
    StoreReference("student_attendance", "rbd", "school"),
    StoreReference("standardized_test", "rbd", "school"),
    StoreReference("dia_result", "rbd", "school"),
    StoreReference("teaching_assignment", "teacher_id", "teacher"),
    StoreReference("teaching_assignment", "rbd", "school"),
    StoreReference("target", "scope_id", "school", when="establecimiento"),
    StoreReference("target", "scope_id", "community", when="comunidad"),
    StoreReference("target", "scope_id", "territory", when="territorio"),
)
"""Every reference a stored row makes (the tables of :data:`DATA_TABLES`)."""


def file_references(kind: str) -> tuple[FileReference, ...]:
    """The references of one import kind."""
    return tuple(r for r in FILE_REFERENCES if r.kind == kind)


def kind_needs() -> dict[str, tuple[str, ...]]:
    """Import kind → the import kinds it needs loaded first (for the README's table)."""
    out: dict[str, list[str]] = {}
    for ref in FILE_REFERENCES:
        needed = out.setdefault(ref.kind, [])
        for kind in ENTITIES[ref.entity].kinds:
            if kind not in needed:
                needed.append(kind)
    return {k: tuple(v) for k, v in out.items()}


UPLOAD_ORDER: tuple[str, ...] = ("establecimientos", "comunidades", "docentes")
"""Kinds that others point at, in the order an upload imports them (the rest come after)."""


def upload_rank(kind: str | None) -> int:
    """Where a file of ``kind`` goes in an upload: what others point at first."""
    return UPLOAD_ORDER.index(kind) if kind in UPLOAD_ORDER else len(UPLOAD_ORDER)


@dataclass
class Pending:
    """The ids the accepted files of one upload bring, by entity (for the files after them).

    Ids are text as the store keeps them: an RBD as digits, a teacher's id pseudonymised.
    """

    ids: dict[str, set[str]] = field(default_factory=dict)

    def add(self, found: Mapping[str, Iterable[str]]) -> None:
        for entity, ids in found.items():
            self.ids.setdefault(entity, set()).update(ids)

    def of(self, entity: str) -> list[str]:
        return sorted(self.ids.get(entity, ()))


def _key_text(entity: Entity, alias: str) -> str:
    return f"CAST({alias}.{entity.key} AS VARCHAR)"


def _ref_text(ref: StoreReference, alias: str) -> str:
    return f"CAST({alias}.{ref.column} AS VARCHAR)"


def _when(ref: StoreReference, alias: str) -> str:
    return f" AND {alias}.scope_kind = '{ref.when}'" if ref.when else ""


def direct_dependants(cur: duckdb.DuckDBPyConnection, batch_id: int) -> set[int]:
    """Active loads that would lose something if ``batch_id`` were undone alone: those whose
    rows (or rows a later load replaced, which undoing that load brings back) point at an
    entity row it brought and that undoing it would not bring back from what it replaced;
    and those that replaced rows of it."""
    found: set[int] = set()
    parts: list[str] = []
    params: list[object] = []
    for ref in STORE_REFERENCES:
        entity = ENTITIES[ref.entity]
        # Rows a later load replaced count too: undoing that load brings them back.
        for source, batch in (
            (ref.table, "batch_id"),
            (REPLACED_PREFIX + ref.table, "origin_batch"),
        ):
            parts.append(
                f"SELECT DISTINCT t.{batch} FROM {source} t JOIN {entity.table} e "
                f"ON {_key_text(entity, 'e')} = {_ref_text(ref, 't')} "
                f"WHERE e.batch_id = ? AND t.{batch} <> ?{_when(ref, 't')} "
                f"AND NOT EXISTS (SELECT 1 FROM {REPLACED_PREFIX}{entity.table} r "
                f"WHERE r.replaced_by = ? AND {_key_text(entity, 'r')} = {_ref_text(ref, 't')})"
            )
            params += [batch_id, batch_id, batch_id]
    for table in UNDOABLE_TABLES:
        parts.append(
            f"SELECT DISTINCT r.replaced_by FROM {REPLACED_PREFIX}{table} r "
            "WHERE r.origin_batch = ?"
        )
        params.append(batch_id)
    rows = cur.execute(
        f"SELECT DISTINCT d.b FROM ({' UNION '.join(parts)}) d(b) "
        "JOIN import_batch i ON i.id = d.b WHERE i.undone_at IS NULL",
        params,
    ).fetchall()
    found.update(int(r[0]) for r in rows if r[0] is not None)
    found.discard(batch_id)
    return found


def dependants(cur: duckdb.DuckDBPyConnection, batch_id: int) -> list[int]:
    """Every active load that depends on ``batch_id``, directly or through another, newest
    first: the order in which they (and then ``batch_id``) can be undone."""
    seen: set[int] = set()
    todo = [batch_id]
    while todo:
        current = todo.pop()
        for other in direct_dependants(cur, current):
            if other not in seen and other != batch_id:
                seen.add(other)
                todo.append(other)
    return sorted(seen, reverse=True)


@dataclass(frozen=True)
class Orphans:
    """Rows of a table whose reference points at nothing the store holds."""

    table: str
    column: str
    entity: str
    rows: int


def orphans(cur: duckdb.DuckDBPyConnection, batches: Sequence[int] | None = None) -> list[Orphans]:
    """Every store reference with rows that point nowhere, and how many (one query); with
    ``batches``, only among the rows those batches brought."""
    only = f" AND t.batch_id IN ({', '.join(str(int(b)) for b in batches)})" if batches else ""
    if batches is not None and not batches:
        return []
    parts = []
    for n, ref in enumerate(STORE_REFERENCES):
        entity = ENTITIES[ref.entity]
        parts.append(
            f"SELECT {n} AS ref, count(*) AS n FROM {ref.table} t "
            f"WHERE t.{ref.column} IS NOT NULL{_when(ref, 't')}{only} AND NOT EXISTS ("
            f"SELECT 1 FROM {entity.table} e WHERE {_key_text(entity, 'e')} = "
            f"{_ref_text(ref, 't')})"
        )
    rows = cur.execute(" UNION ALL ".join(parts)).fetchall()
    out = []
    for n, count in rows:
        if count:
            ref = STORE_REFERENCES[int(n)]
            out.append(Orphans(ref.table, ref.column, ref.entity, int(count)))
    return out
