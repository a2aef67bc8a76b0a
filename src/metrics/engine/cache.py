"""The facts cache: the facts of communities and schools, computed once over the whole store.

Facts of communities and schools do not depend on who asks: a student counts at the school of
their final record whoever looks, so every cached source of :data:`~metrics.engine.sources.SOURCES`
is computed once and kept in ``indicator_fact``, keyed by the indicator's code. The cache is
rebuilt when the data, the catalogue or the engine's SQL change (:func:`facts_signature`,
:func:`engine_digest`); after new import batches and undos only the schools they touch are
recomputed (:func:`ensure_facts`), with the same result as a full rebuild.
"""

from __future__ import annotations

import hashlib
import json
import sys
import time
import weakref
from collections.abc import Iterable, Sequence, Set
from contextlib import suppress
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

import duckdb

from metrics.engine import sources
from metrics.engine.catalog import CATALOG
from metrics.engine.sources import (
    IND_CODE,
    KIND_CODE,
    MIN_GROUP_SETTING,
    MONTHLY_VARIANT,
    PER_REQUEST,
    SOURCE_CODES,
    SOURCES,
    STATS,
    Request,
    prepare,
)
from metrics.errors import StoreError
from metrics.formatting import format_number
from metrics.scope import Scope
from metrics.store.core import DATASET_LABELS, Store, batch_schools
from metrics.store.references import ENTITIES, REPLACED_PREFIX, orphans
from metrics.store.schema import DATA_TABLES, NO_FACT_BATCH_KINDS

SCHEDULE = "cumplimiento_cronograma"
"""The one indicator not kept in the facts cache (its value depends on the cut-off date)."""

_CACHED_KINDS = frozenset({KIND_CODE["comunidad"], KIND_CODE["establecimiento"]})
_SMALL_TABLE = 20_000
"""Source tables up to this many rows enter the signature with their content, larger ones with
their row count (they change only through import batches, which the signature also covers)."""
_SIGNATURE_TABLES = tuple(t for t in DATA_TABLES if t not in {"teacher", "activity", "target"})
"""The tables the cached facts are computed from (schedule compliance, from ``activity``, is
computed per request; names and targets do not enter the facts)."""


def facts_signature(cur: duckdb.DuckDBPyConnection) -> str:
    """A digest of what the cached facts are computed from.

    Every import and undo is a batch (its id, and whether it is undone, change the digest),
    except the targets' (targets are read per request, not cached); besides, every source
    table's row count, and the content of the small ones (schools and their baseline years,
    communities, territories at any scale; everything in a small store), so that changes made
    outside a batch are seen too.
    """
    parts = _signature_parts(cur)
    content = list(parts["content"].values())
    text = f"v1;{engine_digest()};{parts['sizes']};{parts['batches']};{content or ''}"
    return hashlib.sha256(text.encode()).hexdigest()


def _signature_parts(cur: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """What :func:`facts_signature` digests: every source table's row count (``sizes``), the
    batches (count, highest id, undone) and the content of the small tables."""
    counts = ", ".join(f"(SELECT count(*) FROM {t})" for t in _SIGNATURE_TABLES)
    row = cur.execute(
        f"SELECT [{counts}], (SELECT [count(*), coalesce(max(id), 0), count(undone_at)] "
        "FROM import_batch WHERE NOT list_contains(?::VARCHAR[], kind))",
        [list(NO_FACT_BATCH_KINDS)],
    ).fetchone()
    assert row is not None
    sizes = dict(zip(_SIGNATURE_TABLES, row[0], strict=True))
    small = [t for t, n in sizes.items() if n <= _SMALL_TABLE]
    hashes = ", ".join(
        f"(SELECT coalesce(sum(hash(x)::HUGEINT), 0) FROM {t} x)::VARCHAR" for t in small
    )
    content = cur.execute(f"SELECT [{hashes}]").fetchone() if small else None
    return {
        "sizes": sizes,
        "batches": list(row[1]),
        "content": dict(zip(small, content[0] if content else [], strict=True)),
    }


ENGINE_VERSION = 2
"""Raise to rebuild every store's facts when the engine's meaning changes outside
:data:`ENGINE_MODULES`."""
ENGINE_MODULES: tuple[ModuleType, ...] = (sources, sys.modules[__name__])
"""The modules whose source decides the cached facts: the sources' queries and this module
(how facts are written). A change to either rebuilds the facts of an existing store."""


@cache
def engine_digest() -> str:
    """A digest of what the facts are computed *with*: the catalogue's entries (in code order:
    the facts are keyed by code, so reordering the catalogue changes nothing) and the engine's
    source (the modules whose code decides the cached facts: :data:`ENGINE_MODULES`). A new or
    changed indicator, or a changed query, rebuilds the facts of an existing store."""
    entries = sorted((i.model_dump(mode="json") for i in CATALOG), key=lambda e: str(e["code"]))
    digest = hashlib.sha256(json.dumps(entries, sort_keys=True, ensure_ascii=False).encode())
    digest.update(f";engine {ENGINE_VERSION};".encode())
    for module in ENGINE_MODULES:
        with suppress(OSError):  # a frozen build without sources: the version number alone
            digest.update(Path(module.__file__ or "").read_bytes())
    return digest.hexdigest()


def _code_of(ind: str) -> str:
    """SQL: the code of the facts' indicator number ``ind`` (``+100``: monthly variant)."""
    whens = " ".join(f"WHEN {i} THEN '{c}'" for c, i in IND_CODE.items())
    return f"CASE {ind} % {MONTHLY_VARIANT} {whens} END"


def _build_facts(
    cur: duckdb.DuckDBPyConnection,
    schools: Sequence[int] | None = None,
    sources: Set[str] | None = None,
) -> list[str]:
    """Compute the facts of every community and school into ``_f``: one query per cached
    source of :data:`SOURCES`; with ``schools``, only those of these schools (and their
    communities), as :func:`_touched_schools` found them (with the student rows it left);
    with ``sources``, only those sources' (:func:`_sources_written`).

    A source that fails leaves no facts of its own and is reported (Spanish, in the returned
    list): the other sources' indicators are still computed.
    """
    scope = Scope.all() if schools is None else Scope.schools(schools)
    incremental = schools is not None
    request = Request(
        cur, scope, _CACHED_KINDS, set(CATALOG.codes) - PER_REQUEST, True, incremental=incremental
    )
    prepare(cur, scope, courses=True)
    problems = []
    for source in SOURCES.values():
        if not source.cached or not SOURCE_CODES[source.name]:
            continue
        if sources is not None and source.name not in sources:
            continue
        row = cur.execute("SELECT count(*) FROM _f").fetchone()
        before = int(row[0]) if row else 0
        try:
            source.build(request)
        except duckdb.Error as exc:
            # _f only grows while it is built: its rows from this source are those after
            # ``before`` (rowid is the insertion order).
            cur.execute("DELETE FROM _f WHERE rowid >= ?", [before])
            problems.append(
                f"No se pudieron calcular los indicadores de {source.label} ({exc}); los demás "
                "indicadores se muestran."
            )
    return problems


def _orphan_problems(
    cur: duckdb.DuckDBPyConnection, batches: Sequence[int] | None = None
) -> list[str]:
    """Rows of the store that name what it does not hold, in Spanish (see
    :func:`metrics.store.references.orphans`); with ``batches``, only among their rows.

    Rows of earlier batches are looked at too when ``batches`` replaced rows of an entity's
    table (they may have taken away what earlier rows named)."""
    if batches:
        ids = ", ".join(map(str, batches))
        replaced = " UNION ALL ".join(
            f"SELECT 1 FROM {REPLACED_PREFIX}{t} WHERE replaced_by IN ({ids})"
            for t in sorted({e.table for e in ENTITIES.values()})
        )
        if cur.execute(f"SELECT EXISTS ({replaced})").fetchone() != (False,):
            batches = None
    out = []
    for o in orphans(cur, batches):
        entity = ENTITIES[o.entity]
        article, noun = entity.noun.split(" ", 1)
        some = {"el": "un", "la": "una"}.get(article, article)
        out.append(
            f"{format_number(o.rows)} fila(s) de {DATASET_LABELS.get(o.table, o.table)} "
            f"(columna {o.column}) nombran {some} {noun} que no está en la base de datos. "
            f"Cargue primero {entity.load_first}, o deshaga la carga que trajo esas filas."
        )
    return out


def read_problems(store: Store) -> list[str]:
    """What the last build of the facts could not compute or had to skip, in Spanish."""
    cur = store.cursor()
    try:
        row = cur.execute("SELECT problems FROM indicator_fact_state").fetchone()
    except duckdb.Error as exc:
        raise StoreError(f"No se pudieron leer los datos de los indicadores: {exc}") from exc
    finally:
        cur.close()
    return [str(p) for p in json.loads(row[0])] if row and row[0] else []


def _as_null(stat: str) -> str:
    return f"CASE WHEN isnan({stat}) THEN NULL ELSE {stat} END AS {stat}"


def _stored_signature(cur: duckdb.DuckDBPyConnection) -> str | None:
    row = cur.execute("SELECT signature FROM indicator_fact_state").fetchone()
    return str(row[0]) if row else None


_CHECKED: weakref.WeakKeyDictionary[Store, tuple[Any, ...]] = weakref.WeakKeyDictionary()
"""Per store, its file's stamp (:meth:`Store.file_stamp`) read just before a check found the
facts current: while the file has not changed since, they still are. The signature's queries
(a digest of the small tables) cost more than the rest of a small request."""


def _known_current(store: Store) -> tuple[bool, tuple[Any, ...] | None]:
    """Whether the facts were found current with the file as it is now, and the stamp read."""
    stamp = store.file_stamp()
    if stamp is None:
        return False, None
    stamp = (*stamp, engine_digest())  # the catalogue the check was made with
    return _CHECKED.get(store) == stamp, stamp


def _found_current(store: Store, stamp: tuple[Any, ...] | None) -> None:
    if stamp is not None:
        _CHECKED[store] = stamp


def facts_are_current(store: Store) -> bool:
    """Whether the facts cache matches the store's data (no rebuild is due)."""
    known, stamp = _known_current(store)
    if known:
        return True
    cur = store.cursor()
    try:
        current = _stored_signature(cur) == facts_signature(cur)
        if current:
            _found_current(store, stamp)
        return current
    except duckdb.Error as exc:
        raise StoreError(f"No se pudieron leer los datos de los indicadores: {exc}") from exc
    finally:
        cur.close()


def _batch_state(cur: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """The import batches the facts are built with (targets' batches aside), and the engine."""
    row = cur.execute(
        "SELECT count(*), coalesce(max(id), 0), count(undone_at), "
        "coalesce(list(id ORDER BY id) FILTER (WHERE undone_at IS NOT NULL), []) "
        "FROM import_batch WHERE NOT list_contains(?::VARCHAR[], kind)",
        [list(NO_FACT_BATCH_KINDS)],
    ).fetchone()
    assert row is not None
    return {
        "engine": engine_digest(),
        "count": row[0],
        "max": row[1],
        "undone": row[2],
        "undone_ids": [int(i) for i in row[3]],
        "parts": _signature_parts(cur),
    }


@dataclass(frozen=True)
class _Changes:
    """What happened since the facts were built: new batches, and batches undone."""

    new: list[int]
    undone: list[int]


def _new_batches(cur: duckdb.DuckDBPyConnection) -> _Changes | None:
    """The batches imported and those undone since the facts were built, when nothing else
    happened since (no failed source, the same engine, every undone batch's reach recorded;
    without batches, no change but to rows of schools, see :func:`_edited_schools`); None: the
    facts need a full rebuild."""
    row = cur.execute("SELECT batches, problems FROM indicator_fact_state").fetchone()
    if not row or not row[0] or row[1]:
        return None
    old = json.loads(row[0])
    now = _batch_state(cur)
    if old.get("engine") != now["engine"] or "undone_ids" not in old:
        return None
    later = cur.execute(
        "SELECT id, undone_at IS NULL FROM import_batch "
        "WHERE id > ? AND NOT list_contains(?::VARCHAR[], kind) ORDER BY id",
        [int(old.get("max", 0)), list(NO_FACT_BATCH_KINDS)],
    ).fetchall()
    if len(later) != now["count"] - int(old.get("count", -1)):
        return None
    new = [int(i) for i, live in later if live]
    undone = sorted(set(now["undone_ids"]) - set(old["undone_ids"]))
    if set(old["undone_ids"]) - set(now["undone_ids"]):
        return None  # an undo undone by hand: nothing recorded it
    if undone:
        recorded = cur.execute(
            "SELECT count(DISTINCT undone_batch) FROM undone_batch_reach "
            "WHERE undone_batch IN (SELECT UNNEST(?::INTEGER[]))",
            [undone],
        ).fetchone()
        if not recorded or recorded[0] != len(undone):
            return None  # undone by an earlier version, which kept no reach
    if not new and not undone:
        # Saved in the app, not imported (a school's baseline year): only the school table.
        before, after = old.get("parts"), now["parts"]
        if not before or before["sizes"] != after["sizes"]:
            return None
        for table in set(before["content"]) | set(after["content"]):
            if table != "school" and before["content"].get(table) != after["content"].get(table):
                return None
    return _Changes(new=new, undone=undone)


def _edited_schools(cur: duckdb.DuckDBPyConnection) -> set[int]:
    """Schools whose row changed since the facts were built (``indicator_fact_school`` keeps
    a hash of each), or that came or went."""
    rows = cur.execute(
        "SELECT coalesce(s.rbd, f.rbd) FROM (SELECT rbd, hash(x) AS h FROM school x) s "
        "FULL JOIN indicator_fact_school f ON f.rbd = s.rbd "
        "WHERE f.row_hash IS DISTINCT FROM s.h"
    ).fetchall()
    return {int(r[0]) for r in rows}


def _student_rows(cur: duckdb.DuckDBPyConnection, schools: Sequence[int]) -> None:
    """``_isr``/``_isa``: every result and month of attendance of the students with one at
    ``schools`` or in ``_ich`` (the students of new batches), wherever it is."""
    listed = ", ".join(map(str, schools)) or "NULL"
    for name, table in (("_isr", "student_result"), ("_isa", "student_attendance")):
        # The students first (a small table), then one pass over the large one.
        cur.execute(
            f"CREATE OR REPLACE TEMP TABLE _ih AS SELECT DISTINCT hash(student_id) AS h "
            f"FROM {table} WHERE rbd IN ({listed}) UNION SELECT h FROM _ich"
        )
        # Their schools with a pass over two columns, then their rows from those schools'
        # row groups only (a constant list: DuckDB skips the others): reading every column of
        # the whole table for a few thousand rows cost twice as much.
        found = cur.execute(
            f"SELECT DISTINCT rbd FROM {table} WHERE hash(student_id) IN (SELECT h FROM _ih)"
        ).fetchall()
        rbds = ", ".join(str(int(r[0])) for r in found) or "NULL"
        cur.execute(
            f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM {table} "
            f"WHERE rbd IN ({rbds}) AND hash(student_id) IN (SELECT h FROM _ih)"
        )
    cur.execute("DROP TABLE _ih")


_STUDENT_SOURCES = frozenset(
    s.name for s in SOURCES.values() if {"student_result", "student_attendance"} & set(s.tables)
)
"""Sources of students' records: a student counts at the school of their final record, so a
load of them can change other schools' facts (:func:`_touched_schools`)."""
_SHARED_TABLES = frozenset(
    {"territory", "school", "school_territory", "community", "community_member"}
)
"""Tables every source reads (through :func:`prepare`: schools and their baseline years,
territories, communities and the teachers they stand for): a load that writes one of them
refreshes every source."""


def _sources_written(cur: duckdb.DuckDBPyConnection, batches: Sequence[int]) -> set[str] | None:
    """The cached sources whose facts ``batches`` can change: those that read a table the
    batches wrote rows to (or replaced rows of), with the sources they run after; None when
    they wrote a table every source reads (all of them, then). A schedule or a session saved
    in the app recomputes only its own source's facts."""
    ids = ", ".join(map(str, batches)) or "NULL"
    found = cur.execute(
        "SELECT list(name) FROM ("
        + " UNION ALL ".join(
            f"SELECT '{t}' AS name WHERE EXISTS (SELECT 1 FROM {t} WHERE batch_id IN ({ids})) "
            f"OR EXISTS (SELECT 1 FROM {REPLACED_PREFIX}{t} WHERE replaced_by IN ({ids}))"
            for t in DATA_TABLES
        )
        + ")"
    ).fetchone()
    written = set(found[0] or []) if found else set()
    if written & _SHARED_TABLES:
        return None
    chosen = {s.name for s in SOURCES.values() if s.cached and written & set(s.tables)}
    grown = True
    while grown:  # a source that runs after another reads what that one leaves
        more = {a for name in chosen for a in SOURCES[name].after} - chosen
        grown = bool(more)
        chosen |= more
    return chosen


def _source_rows(sources: Set[str]) -> str:
    """SQL condition on ``indicator_fact`` rows: those ``sources`` write (an indicator's own
    facts, ``monthly_source`` false, or its fallback's, true)."""
    own = sorted(i.code for i in CATALOG if i.facts.source in sources)
    fallback = sorted(i.code for i in CATALOG if i.fallback and i.fallback.source in sources)
    cond = [
        f"(indicator IN ({', '.join(repr(c) for c in codes)}) AND {'' if monthly else 'NOT '}"
        "monthly_source)"
        for codes, monthly in ((own, False), (fallback, True))
        if codes
    ]
    return "(" + (" OR ".join(cond) or "false") + ")"


def _touched_schools(
    cur: duckdb.DuckDBPyConnection,
    batches: list[int],
    edited: Iterable[int] = (),
    undone: Sequence[int] = (),
) -> list[int]:
    """The schools whose facts ``batches`` may change: the schools of their rows (and of the
    rows they replaced); every school where a student of their student rows has a record
    (a student's final record and latest month are chosen among all of theirs); and every
    school where a student with monthly attendance at one of those has attendance (whether a
    school-year has annual attendance decides which months count).

    ``edited``: schools whose row changed outside a batch, recomputed too; ``undone``:
    batches undone since, whose schools and students were recorded when they were undone.

    Leaves ``_isr``/``_isa`` (:func:`_student_rows`) for those schools: the student rows an
    incremental :func:`_build_facts` reads."""
    found = {r for b in batches for r in batch_schools(cur, b)} | {int(r) for r in edited}
    gone = ", ".join(map(str, undone)) or "NULL"
    found |= {
        int(r[0])
        for r in cur.execute(
            f"SELECT DISTINCT rbd FROM undone_batch_reach WHERE undone_batch IN ({gone}) "
            "AND rbd IS NOT NULL"
        ).fetchall()
    }
    ids = ", ".join(map(str, batches)) or "NULL"
    students = " UNION ALL ".join(
        f"SELECT hash(student_id) AS h FROM {t} WHERE batch_id IN ({ids}) UNION ALL "
        f"SELECT hash(student_id) FROM replaced_{t} WHERE replaced_by IN ({ids})"
        for t in ("student_result", "student_attendance")
    )
    cur.execute(
        "CREATE OR REPLACE TEMP TABLE _ich AS SELECT DISTINCT h FROM ("
        f"{students} UNION ALL SELECT student_hash FROM undone_batch_reach "
        f"WHERE undone_batch IN ({gone}) AND student_hash IS NOT NULL)"
    )

    # Each step reads the schools it adds from the student rows of the schools found so far,
    # and reads those rows again only when it added some (usually it adds none).
    _student_rows(cur, sorted(found))
    rows = cur.execute(
        "SELECT DISTINCT rbd FROM (SELECT rbd, student_id FROM _isr UNION ALL "
        "SELECT rbd, student_id FROM _isa) WHERE hash(student_id) IN (SELECT h FROM _ich)"
    ).fetchall()
    grown = found | {int(r[0]) for r in rows}
    if grown != found:
        found = grown
        _student_rows(cur, sorted(found))
    listed = ", ".join(map(str, sorted(found))) or "NULL"
    rows = cur.execute(
        "SELECT DISTINCT rbd FROM _isa WHERE hash(student_id) IN ("
        f"SELECT hash(student_id) FROM _isa WHERE rbd IN ({listed}))"
    ).fetchall()
    grown = found | {int(r[0]) for r in rows}
    if grown != found:
        found = grown
        _student_rows(cur, sorted(found))
    return sorted(found)


def ensure_facts(store: Store, *, force: bool = False) -> float | None:
    """Bring the facts cache up to date if the source tables changed since it was built (or
    rebuild it with ``force``).

    After new import batches and undos (the same engine; an undo records the schools and
    students it reached), only the facts of the schools they touch are recomputed
    (:func:`_touched_schools`): the same facts a full rebuild gives.
    Anything else rebuilds every school's.

    Returns the seconds it took, or None when the cache was current. One rebuild at a time
    per store (``store.write_lock``); readers keep seeing the previous facts until the new
    ones are committed.
    """
    known, stamp = _known_current(store)
    if known and not force:
        return None
    if not force:
        cur = store.cursor()
        try:
            if _stored_signature(cur) == facts_signature(cur):
                _found_current(store, stamp)
                return None
        except duckdb.Error as exc:
            raise StoreError(f"No se pudieron leer los datos de los indicadores: {exc}") from exc
        finally:
            cur.close()
    # The cursor that writes is opened inside the exclusive turn: on a Store opened read-only,
    # only then is the file open for writing.
    with store.write_lock:
        return _rebuild(store, force)


def _rebuild(store: Store, force: bool) -> float | None:
    """:func:`ensure_facts` inside the exclusive turn."""
    cur = store.cursor()
    try:
        signature = facts_signature(cur)
        if not force and _stored_signature(cur) == signature:
            return None  # another thread rebuilt it while this one waited
        start = time.perf_counter()
        cur.execute("SET SESSION preserve_insertion_order = false")
        changes = None if force else _new_batches(cur)
        batches = None if changes is None else changes.new
        edited = set() if changes is None else _edited_schools(cur)
        # New loads alone (no undo, no school edited outside a load): only the sources they
        # reach, and the students' other schools only when a student source is among them.
        sources = (
            _sources_written(cur, changes.new)
            if changes is not None and changes.new and not changes.undone and not edited
            else None
        )
        schools: list[int] | None
        if changes is None:
            schools = None
        elif sources is not None and not sources & _STUDENT_SOURCES:
            schools = sorted({r for b in changes.new for r in batch_schools(cur, b)})
        else:
            schools = _touched_schools(cur, changes.new, edited, changes.undone)
        problems = _build_facts(cur, schools, sources)
        if schools is not None and problems:
            schools, sources = None, None  # a source failed on a few schools: rebuild all
            problems = _build_facts(cur)
        # An undo can leave rows naming what it took away: look at all of them then.
        every = schools is None or (changes is not None and bool(changes.undone))
        problems += _orphan_problems(cur, None if every else batches)
        stats = ", ".join(_as_null(x) for x in STATS)
        state = json.dumps(_batch_state(cur))
        cur.execute("BEGIN TRANSACTION")
        try:
            if schools is None:
                cur.execute("DELETE FROM indicator_fact")
                cur.execute("DELETE FROM indicator_fact_school")
            else:
                only = "" if sources is None else f" AND {_source_rows(sources)}"
                cur.execute(f"DELETE FROM indicator_fact WHERE rbd IN (SELECT rbd FROM _sch){only}")
                cur.execute("DELETE FROM indicator_fact_school WHERE rbd IN (SELECT rbd FROM _sch)")
            # Sorted by school: a request for a few schools reads a few row groups.
            cur.execute(
                f"""
                INSERT INTO indicator_fact
                SELECT {_code_of("f.ind")}, f.ind >= {MONTHLY_VARIANT}, f.kind, f.sid,
                       CASE WHEN f.kind = 1 THEN CAST(f.sid AS INTEGER) ELSE c.rbd END AS rbd,
                       f.year, f.month, f.base, {stats}
                FROM _f f LEFT JOIN _com c ON f.kind IN (0, 3) AND c.id = f.sid
                -- rows naming a community or school the store does not hold are skipped
                -- (kind 3: a community's comparison group)
                WHERE (f.kind IN (0, 3) AND c.rbd IS NOT NULL)
                   OR (f.kind = 1 AND TRY_CAST(f.sid AS INTEGER) IN (SELECT rbd FROM _sch))
                ORDER BY rbd, f.kind, f.sid, f.ind
                """
            )
            rows = cur.execute("SELECT count(*) FROM indicator_fact").fetchone()
            seconds = time.perf_counter() - start
            cur.execute(
                "INSERT INTO indicator_fact_school SELECT s.rbd, s.base_year, hash(x) "
                "FROM _sch s JOIN school x ON x.rbd = s.rbd"
            )
            cur.execute("DELETE FROM indicator_fact_state")
            cur.execute(
                "INSERT INTO indicator_fact_state "
                "(signature, seconds, row_count, problems, batches) VALUES (?, ?, ?, ?, ?)",
                [
                    signature,
                    seconds,
                    rows[0] if rows else 0,
                    json.dumps(problems, ensure_ascii=False) if problems else None,
                    state,
                ],
            )
            cur.execute("COMMIT")
        except BaseException:
            cur.execute("ROLLBACK")
            raise
        return seconds
    except duckdb.Error as exc:
        raise StoreError(f"No se pudieron preparar los datos de los indicadores: {exc}") from exc
    finally:
        cur.close()


_MIN_GROUP: weakref.WeakKeyDictionary[Store, tuple[tuple[Any, ...], int | None]] = (
    weakref.WeakKeyDictionary()
)


def read_min_group_size(store: Store) -> int | None:
    """The deployment's minimum group size (``setting`` row), or None when not set (read once
    per state of the file)."""
    stamp = store.file_stamp()
    memo = _MIN_GROUP.get(store)
    if stamp is not None and memo is not None and memo[0] == stamp:
        return memo[1]
    cur = store.cursor()
    try:
        row = cur.execute("SELECT value FROM setting WHERE key = ?", [MIN_GROUP_SETTING]).fetchone()
    except duckdb.Error as exc:
        raise StoreError(f"No se pudo leer la configuración: {exc}") from exc
    finally:
        cur.close()
    value: int | None = None
    if row is not None:
        with suppress(ValueError):
            value = int(str(row[0]).strip())
        if value is not None and value < 1:
            value = None
    if stamp is not None:
        _MIN_GROUP[store] = (stamp, value)
    return value
