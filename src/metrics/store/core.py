"""The Store: one DuckDB file, its schema version, batches, and the scoped reads.

This package is the only place that imports duckdb or holds SQL. Every read takes a
:class:`~metrics.scope.Scope`; values are always bound parameters; table and column names come
from this package's constants, never from user input.
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar, cast

import duckdb

from metrics.config import staging_root
from metrics.errors import SchemaVersionError, StoreError, StoreLockedError
from metrics.scope import Scope
from metrics.store import audit, locking
from metrics.store.schema import (
    AUDIT_KEYED_VERSION,
    DATA_TABLES,
    LATEST_VERSION,
    MIGRATIONS,
    UNDOABLE_TABLES,
)

if TYPE_CHECKING:  # pandas is imported by DuckDB when a DataFrame is asked for: a CLI import
    import pandas as pd  # that never asks for one starts half a second sooner

F = TypeVar("F", bound=Callable[..., Any])

SCOPED_READS: list[str] = []
"""Names of the Store methods that read data; each takes a Scope (tests walk this list)."""


def scoped_read(fn: F) -> F:
    """Mark a Store method as a data read that must honour its ``scope`` argument."""
    SCOPED_READS.append(fn.__name__)
    return fn


DATASET_LABELS: dict[str, str] = {
    "territory": "Territorios",
    "school": "Establecimientos",
    "school_territory": "Establecimientos por territorio",
    "community": "Comunidades de práctica",
    "teacher": "Docentes",
    "teacher_year": "Dotación docente anual",
    "community_member": "Integrantes de comunidades",
    "activity": "Cronograma (actividades)",
    "session_attendance": "Asistencia a sesiones",
    "survey_response": "Respuestas de encuestas",
    "teacher_evaluation": "Evaluaciones docentes",
    "student_result": "Resultados finales de estudiantes",
    "student_attendance": "Asistencia mensual de estudiantes",
    "standardized_test": "Pruebas estandarizadas (SIMCE)",
    "dia_result": "DIA (Diagnóstico Integral de Aprendizajes)",
    "teaching_assignment": "Asignación docente a cursos",
    "target": "Metas",
    "qualitative_note": "Revisión cualitativa (bitácora)",
    "qualitative_synthesis": "Síntesis cualitativa por momento",
    "followup_review": "Plan de seguimiento (revisiones)",
    "survey_open_answer": "Respuestas abiertas de encuestas",
}
"""Spanish names of the datasets, as users read them."""

# The school year of each dataset's rows (the calendar year, March to December).
_YEAR_EXPR: dict[str, str] = {
    "teacher_year": "t.year",
    "community_member": "t.year",
    "activity": "year(t.planned_date)",
    "session_attendance": "year(t.session_date)",
    "survey_response": "year(t.response_date)",
    "teacher_evaluation": "year(t.eval_date)",
    "student_result": "t.year",
    "student_attendance": "t.year",
    "standardized_test": "t.year",
    "dia_result": "t.year",
    "teaching_assignment": "t.year",
    "target": "t.deadline_year",
    "qualitative_note": "year(t.note_date)",
    "qualitative_synthesis": "t.year",
    "followup_review": "year(t.planned_date)",
    "survey_open_answer": "year(t.response_date)",
}

# How each table's rows reach a school (RBD), so that every read can be scoped. A table either
# has the school in a column of its own, or reaches schools through a link table (a teacher
# through the yearly roster, a territory through school_territory): then a row is visible when
# any of its schools is.
_DIRECT_RBD: dict[str, str] = {
    "school": "rbd",
    "school_territory": "rbd",
    "community": "rbd",
    "teacher_year": "rbd",
    "survey_response": "rbd",
    "teacher_evaluation": "rbd",
    "student_result": "rbd",
    "student_attendance": "rbd",
    "standardized_test": "rbd",
    "dia_result": "rbd",
    "teaching_assignment": "rbd",
    "qualitative_note": "rbd",
    "qualitative_synthesis": "rbd",
    "followup_review": "rbd",
    "survey_open_answer": "rbd",
}
_DELETABLE_RECORDS = ("qualitative_note",)
"""Record tables whose rows a person may delete in the app (a load of its own, undoable)."""
# table -> (link table and alias, join condition with {a} for the row's alias, school column)
_LINKED_RBD: dict[str, tuple[str, str, str]] = {
    "territory": ("school_territory l", "l.territory_id = {a}.id", "l.rbd"),
    "teacher": ("teacher_year l", "l.teacher_id = {a}.id", "l.rbd"),
    "community_member": ("community l", "l.id = {a}.community_id", "l.rbd"),
    "activity": ("community l", "l.id = {a}.community_id", "l.rbd"),
    "session_attendance": ("community l", "l.id = {a}.community_id", "l.rbd"),
}
# Targets name their scope: a school, a community (of one school) or a territory (visible only
# to a user who sees all of it is a later decision; for now, when any of its schools is).
_TARGET_RBD = (
    "(CASE {a}.scope_kind WHEN 'establecimiento' THEN TRY_CAST({a}.scope_id AS INTEGER) "
    "WHEN 'comunidad' THEN (SELECT c.rbd FROM community c WHERE c.id = {a}.scope_id) END)"
)
_TARGET_TERRITORY = (
    "({a}.scope_kind = 'territorio' AND EXISTS (SELECT 1 FROM school_territory l "
    "WHERE l.territory_id = {a}.scope_id AND l.rbd IN (SELECT UNNEST(?::INTEGER[]))))"
)


def scope_clause(scope: Scope, table: str, alias: str = "t") -> tuple[str, list[Any]]:
    """SQL condition (and its parameters) keeping only the rows of ``table`` in ``scope``.

    Example:
        >>> scope_clause(Scope.schools([5]), "student_result")
        ('t.rbd IN (SELECT UNNEST(?::INTEGER[]))', [[5]])
    """
    if scope.is_all:
        return "TRUE", []
    rbds = sorted(scope.rbds or ())
    visible = "IN (SELECT UNNEST(?::INTEGER[]))"
    if table in _DIRECT_RBD:
        return f"{alias}.{_DIRECT_RBD[table]} {visible}", [rbds]
    if table in _LINKED_RBD:
        link, on, col = _LINKED_RBD[table]
        return (
            f"EXISTS (SELECT 1 FROM {link} WHERE {on.format(a=alias)} AND {col} {visible})",
            [rbds],
        )
    if table == "target":
        return (
            f"({_TARGET_RBD.format(a=alias)} {visible} OR {_TARGET_TERRITORY.format(a=alias)})",
            [rbds, rbds],
        )
    raise StoreError(f"Tabla sin alcance definido: {table}")


def batch_schools(cur: duckdb.DuckDBPyConnection, batch_id: int) -> list[int]:
    """RBDs of every school a batch touches: its rows and the rows it replaced.

    Run it inside the batch's transaction, before commit, to refuse a batch that reaches
    schools outside a user's scope. A territory target reaches every school of its territory.
    Territories and teachers are left out: they are shared, and the school rows and yearly
    roster of the same file already name the schools.
    """
    parts: list[str] = []
    params: list[Any] = []
    for table in DATASET_LABELS:
        if table in ("territory", "teacher"):
            continue
        for source, cond in ((table, "t.batch_id = ?"), (f"replaced_{table}", "t.replaced_by = ?")):
            if table in _DIRECT_RBD:
                parts.append(f"SELECT t.{_DIRECT_RBD[table]} AS rbd FROM {source} t WHERE {cond}")
            elif table in _LINKED_RBD:
                link, on, col = _LINKED_RBD[table]
                parts.append(
                    f"SELECT {col} AS rbd FROM {source} t JOIN {link} ON {on.format(a='t')} "
                    f"WHERE {cond}"
                )
            else:  # target
                parts.append(
                    f"SELECT {_TARGET_RBD.format(a='t')} AS rbd FROM {source} t WHERE {cond}"
                )
                parts.append(
                    f"SELECT l.rbd FROM {source} t JOIN school_territory l "
                    f"ON t.scope_kind = 'territorio' AND l.territory_id = t.scope_id WHERE {cond}"
                )
                params.append(int(batch_id))
            params.append(int(batch_id))
    rows = cur.execute(
        f"SELECT DISTINCT rbd FROM ({' UNION ALL '.join(parts)}) WHERE rbd IS NOT NULL ORDER BY 1",
        params,
    ).fetchall()
    return [int(r[0]) for r in rows]


@dataclass(frozen=True)
class StoreInfo:
    """What the store holds inside one scope."""

    rows: dict[str, int]
    schools: int
    years: list[int]
    batches: int
    last_import: datetime | None
    schema_version: int = LATEST_VERSION
    years_by_dataset: dict[str, list[int]] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=lambda: dict(DATASET_LABELS))


class WriteLock:
    """The store's writer lock (re-entrant). Its outermost holder calls ``before`` on
    entering (a Store opened ``read_only`` takes the exclusive turn there) and ``after`` then
    ``done`` on leaving: by then the transaction it guarded has committed or rolled back, the
    audit log anchors its new head outside the store (:func:`metrics.store.audit.seal`), and
    ``done`` gives the exclusive turn back."""

    def __init__(
        self,
        after: Callable[[], None],
        before: Callable[[], None] | None = None,
        done: Callable[[], None] | None = None,
    ) -> None:
        self._lock = threading.RLock()
        self._depth = 0
        self._after = after
        self._before = before
        self._done = done

    def __enter__(self) -> WriteLock:
        self._lock.acquire()
        if self._depth == 0 and self._before is not None:
            try:
                self._before()
            except BaseException:
                self._lock.release()
                raise
        self._depth += 1
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            if self._depth == 1:
                try:
                    self._after()
                finally:
                    if self._done is not None:
                        self._done()
        finally:
            self._depth -= 1
            self._lock.release()


IDLE_SECONDS = 60.0
"""A Store that lets go of its file when idle (the dashboard's) closes it after this long
without a query, or at once when another process waits for it."""

STUCK_SECONDS = 300.0
"""A cursor silent this long while another process waits is taken as forgotten."""


class _TrackedCursor:
    """A cursor of a Store that lets go of its file when idle: it counts as in use until it is
    closed or dropped, so that the Store never closes the file under a query."""

    __slots__ = ("__weakref__", "_cur", "_live", "_store", "_thread")

    def __init__(self, cur: duckdb.DuckDBPyConnection, store: Store) -> None:
        self._cur = cur
        self._store = store
        self._live = True
        self._thread = threading.get_ident()

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._cur, name)
        if not callable(attr):
            return attr
        cur, store = self._cur, self._store

        def call(*args: Any, **kwargs: Any) -> Any:
            store._last_activity = time.monotonic()
            out = attr(*args, **kwargs)
            return self if out is cur else out

        return call

    def close(self) -> None:
        if self._live:
            self._live = False
            try:
                self._cur.close()
            finally:
                self._store._cursor_done(self._thread)

    def __enter__(self) -> _TrackedCursor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        with suppress(Exception):
            self.close()


class Store:
    """One DuckDB file. Open it with :func:`open_store`.

    One connection per Store; each call takes its own cursor, so the app's threads can share a
    cached Store (DuckDB connections are not thread-safe, cursors are independent).

    Processes take turns on the file (:mod:`metrics.store.locking`): a Store waits for its
    turn when it opens the file, shared when ``read_only``, exclusive otherwise. A Store made
    with ``release_when_idle`` (the dashboard's) opens the file when a query needs it and
    closes it when idle (:data:`IDLE_SECONDS`) or as soon as another process waits, and
    :meth:`data_version` says when another process changed the file in between.

    Example:
        >>> store = open_store(":memory:")
        >>> store.info(Scope.all()).schools
        0
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        read_only: bool = False,
        release_when_idle: bool = False,
        on_wait: Callable[[], None] | None = None,
        timeout: float | None = None,
    ) -> None:
        self.path = str(path)
        self.read_only = read_only
        self._lock = threading.Lock()
        """Guards the connection and the count of cursors in use."""
        self._cond = threading.Condition(self._lock)
        """Signalled when a cursor is done (a writer waits for the readers of this process)."""
        self.write_lock = WriteLock(self._after_write, self._begin_write, self._end_write)
        """Held while writing: appending to the audit log (its hash chain needs one writer at
        a time), an import, the indicators' facts. With ``read_only``, its holder has the
        file's exclusive turn (:meth:`_begin_write`)."""
        self._upgrading: int | None = None  # the thread taking the exclusive turn, if any
        self._upgraded = False  # the exclusive turn was taken for the write lock
        self._downgrade = False  # let go of the file once the cursors of the write are done
        memory = self.path == ":memory:"
        self._turn = None if memory else locking.lock_for(self.path)
        self._idle_release = release_when_idle and not memory
        self._on_wait, self._timeout = on_wait, timeout
        self._con: duckdb.DuckDBPyConnection | None = None
        self._writing = False
        self._in_use = 0
        self._in_use_by: dict[int, int] = {}  # cursors in use by thread
        self._last_activity = time.monotonic()
        self._stamp: tuple[Any, ...] | None = None
        self._generation = 0
        self._writes = 0  # writes this process committed through the write lock
        self._watcher: threading.Thread | None = None
        self._ready = False  # no watcher may close the file while it is being upgraded
        fresh = memory or not Path(self.path).exists()
        try:
            self._open(write=not read_only or fresh)
            if _read_version(self._con_now()) < LATEST_VERSION and not self._writing:
                self._release()
                self._open(write=True)
            if self._writing:
                before = _read_version(self._con_now())
                _migrate(self._con_now(), self.path)

                audit.start_anchor(self, new=fresh or before < AUDIT_KEYED_VERSION)
            if read_only and self._writing:
                self._release()
                self._open(write=False)
        except BaseException:
            self._release()
            raise
        self._ready = True
        self._watch()
        if self._turn is not None:
            with _STORES_GUARD:
                _STORES.setdefault(self._turn.db_path, weakref.WeakSet()).add(self)

    # -- the file's turn ------------------------------------------------------------------
    def _con_now(self) -> duckdb.DuckDBPyConnection:
        if self._con is None:
            self._open(write=not self.read_only)
        assert self._con is not None
        return self._con

    def _open(self, *, write: bool) -> None:
        """Wait for this process's turn on the file and connect (the caller holds no cursor)."""
        if self._turn is not None and Path(self.path).is_dir():
            raise StoreError(f"La ruta {self.path} es una carpeta, no un archivo de base de datos.")
        if self._turn is not None and not write and self._turn.exclusive:
            # Another Store of this process writes the file: DuckDB shares one database per
            # process and refuses a second configuration (read-only) of it; read through it.
            write = True
        if self._turn is not None:
            try:
                self._turn.acquire(exclusive=write, timeout=self._timeout, on_wait=self._on_wait)
            except locking.LockTimeoutError as exc:
                raise StoreLockedError(
                    f"La base de datos {self.path} siguió ocupada por otro proceso (una carga "
                    f"u otro comando) durante {exc}. Intente de nuevo cuando termine, o espere "
                    "más con la variable TABLERO_ESPERA (segundos)."
                ) from None
        if write and self._turn is not None:
            _close_other_readers(self)
        try:
            self._con = _connect(self.path, read_only=not write)
        except BaseException:
            if self._turn is not None:
                self._turn.release()
            raise
        self._writing = write
        self._last_activity = time.monotonic()
        stamp = _file_stamp(self.path)
        if self._stamp is not None and stamp != self._stamp:
            self._generation += 1
        self._stamp = stamp
        self._watch()

    def _watch(self) -> None:
        """Start the thread that lets go of the file when idle (a Store made for it, once
        it is open and upgraded)."""
        if not (self._idle_release and self._ready and self._con is not None):
            return
        if self._watcher is None or not self._watcher.is_alive():
            self._watcher = threading.Thread(
                target=_watch_idle, args=(weakref.ref(self),), name="tablero-store", daemon=True
            )
            self._watcher.start()

    def _release(self) -> None:
        """Close the file and give the turn back (the caller holds ``_lock`` or is alone)."""
        if self._con is None:
            return
        try:
            self._con.close()
        finally:
            self._con = None
            self._stamp = _file_stamp(self.path)
            if self._turn is not None:
                self._turn.release()

    def _cursor_done(self, thread: int) -> None:
        with self._lock:
            self._in_use -= 1
            left = self._in_use_by.get(thread, 0) - 1
            if left > 0:
                self._in_use_by[thread] = left
            else:
                self._in_use_by.pop(thread, None)
            self._cond.notify_all()
            if self._in_use == 0:
                self._last_activity = time.monotonic()
                if self._downgrade or (self._turn is not None and self._turn.someone_waits()):
                    self._downgrade = False
                    self._release()

    def _begin_write(self) -> None:
        """The write lock's first step on a Store opened ``read_only``: wait until this
        process's other queries are done (new ones wait), then reopen the file for writing
        with the exclusive turn (other processes' readers let go of it, see
        :mod:`metrics.store.locking`). Nothing to do on a Store that writes already."""
        if not self.read_only or self._turn is None:
            return
        me = threading.get_ident()
        with self._cond:
            if self._writing and self._con is not None:
                self._downgrade = False
                return
            if self._in_use_by.get(me):
                # Reopening the file would close this thread's own open cursors under it.
                raise StoreError(
                    "La base de datos cambió mientras esta página la leía (otro proceso cargó "
                    "datos). Recargue la página."
                )
            self._upgrading = me
            try:
                # Another thread's query in flight finishes first; one left open for good
                # (a bug) is not waited for longer than a forgotten cursor is.
                self._cond.wait_for(lambda: self._in_use == 0, timeout=STUCK_SECONDS)
                self._release()
                self._open(write=True)
                self._upgraded = True
            finally:
                self._upgrading = None
                self._cond.notify_all()

    def _end_write(self) -> None:
        """The write lock's last step: give the exclusive turn back. The dashboard's Store
        closes the file once the queries started meanwhile are done (its next query opens it
        for reading); any other goes back to reading at once."""
        if not self._upgraded:
            return
        with self._cond:
            self._upgraded = False
            if not self._idle_release:
                self._release()
                self._open(write=False)
            elif self._in_use == 0:
                self._release()
            else:
                self._downgrade = True

    def _let_go_for_writer(self) -> None:
        """Another Store of this process is about to open the file for writing: DuckDB
        refuses a second configuration of a database in one process, so close a read-only
        connection (once its queries are done)."""
        with self._cond:
            self._cond.wait_for(lambda: self._in_use == 0, timeout=STUCK_SECONDS)
            if self._con is not None and not self._writing:
                self._release()

    def _release_if_idle(self) -> bool:
        """The watcher's step: close the file if idle; False once it is closed."""
        if not self._lock.acquire(blocking=False):
            return True
        try:
            if self._con is None:
                return False
            idle = time.monotonic() - self._last_activity
            waits = self._turn is not None and self._turn.someone_waits()
            if (self._in_use == 0 and (waits or idle > IDLE_SECONDS or self._downgrade)) or (
                waits and idle > STUCK_SECONDS
            ):
                self._release()
                return False
            return True
        finally:
            self._lock.release()

    def data_version(self) -> int:
        """A number that changes when another process changed the file since this Store last
        had it open (an import from the command line): caches built on it are stale."""
        with self._lock:
            if self._con is None and self._stamp is not None:
                stamp = _file_stamp(self.path)
                if stamp != self._stamp:
                    self._generation += 1
                    self._stamp = stamp
            return self._generation

    def change_stamp(self) -> tuple[Any, ...] | None:
        """What changes whenever a write is committed to the file, by this process (counted
        exactly) or by another (its :meth:`file_stamp`), without a query: a cache of what the
        store held (a person's account and role) is current while it stays the same. None for
        an in-memory store (nothing to compare: read it again)."""
        if self._turn is None:
            return None
        with self._lock:
            writes = self._writes
        return (writes, _file_stamp(self.path))

    def file_stamp(self) -> tuple[Any, ...] | None:
        """What changes whenever any process commits a write to the file (its and its WAL's
        identity, size and time), or None for an in-memory store. A cache that recorded it
        before checking the data may trust that check while it stays the same."""
        return None if self._turn is None else _file_stamp(self.path)

    @contextmanager
    def writing(self) -> Iterator[None]:
        """Write with a Store opened ``read_only``: wait for the exclusive turn, then go back
        to reading (other readers wait meanwhile). Without ``read_only``, nothing to do."""
        if not self.read_only:
            yield
            return
        with self._lock:
            self._release()
            self._open(write=True)
        try:
            yield
        finally:
            with self._lock:
                self._release()
                self._open(write=False)

    def _after_write(self) -> None:
        with self._lock:
            self._writes += 1
        audit.seal(self)

    # -- plumbing -------------------------------------------------------------------------
    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A new cursor on the shared connection (one per call, one per thread); opens the
        file first if this Store let go of it."""
        with self._lock:
            me = threading.get_ident()
            while self._upgrading is not None and self._upgrading != me:
                self._cond.wait()  # a writer of this process is reopening the file
            con = self._con_now()
            if not self._idle_release:
                return con.cursor()
            self._in_use += 1
            self._in_use_by[me] = self._in_use_by.get(me, 0) + 1
            try:
                raw = con.cursor()
            except BaseException:
                self._in_use -= 1
                self._in_use_by[me] -= 1
                raise
        return cast("duckdb.DuckDBPyConnection", _TrackedCursor(raw, self))

    def close(self) -> None:
        with self._lock:
            self._release()

    def _writing_now(self) -> bool:
        with self._lock:
            return self._writing and self._con is not None

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A cursor inside one transaction: everything it writes lands, or nothing does.

        On a Store opened ``read_only`` it holds the write lock (the exclusive turn)."""
        if self.read_only and not self._writing_now():
            with self.write_lock, self.transaction() as cur:
                yield cur
            return
        cur = self.cursor()
        cur.begin()
        try:
            yield cur
        except BaseException:
            cur.rollback()
            raise
        else:
            try:
                cur.commit()
            except duckdb.Error as exc:  # pragma: no cover - disk full, conflicts
                raise StoreError(f"No se pudo guardar en la base de datos: {exc}") from exc
        finally:
            cur.close()

    def query_df(self, sql: str, params: list[Any] | None = None) -> pd.DataFrame:
        """Run one SELECT of this package and return a DataFrame."""
        cur = self.cursor()
        try:
            return cur.execute(sql, params or []).df()
        except duckdb.Error as exc:
            raise StoreError(f"No se pudo leer la base de datos: {exc}") from exc
        finally:
            cur.close()

    # -- batches --------------------------------------------------------------------------
    @staticmethod
    def new_batch(
        cur: duckdb.DuckDBPyConnection,
        *,
        kind: str,
        file_name: str,
        file_hash: str,
        actor: str,
    ) -> int:
        """Register an import batch inside the caller's transaction and return its id."""
        row = cur.execute(
            "INSERT INTO import_batch (kind, file_name, file_hash, actor) VALUES (?, ?, ?, ?) "
            "RETURNING id",
            [kind, file_name, file_hash, actor],
        ).fetchone()
        assert row is not None
        return int(row[0])

    @staticmethod
    def insert_frame(
        cur: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame, batch_id: int
    ) -> int:
        """Append ``frame``'s rows to ``table`` (columns matched by name) under ``batch_id``."""
        if table not in UNDOABLE_TABLES:
            raise StoreError(f"Tabla desconocida: {table}")
        cur.register("_incoming", frame)
        try:
            cur.execute(
                f"INSERT INTO {table} BY NAME SELECT *, ?::INTEGER AS batch_id FROM _incoming",
                [batch_id],
            )
        finally:
            with suppress(duckdb.Error):  # the transaction may be aborted already
                cur.unregister("_incoming")
        cur.execute(
            "UPDATE import_batch SET row_count = row_count + ? WHERE id = ?",
            [len(frame), batch_id],
        )
        return len(frame)

    # -- whole-store facts (not user data) -------------------------------------------------
    def schema_version(self) -> int:
        cur = self.cursor()
        try:
            return _read_version(cur)
        finally:
            cur.close()

    def fingerprint(self) -> str:
        """A digest of every data row and batch: equal fingerprints, equal stores.

        Independent of row order and of batch timestamps, so a store rebuilt from the same
        seed has the same fingerprint.
        """
        digest = hashlib.sha256()
        cur = self.cursor()
        try:
            for table in (*DATA_TABLES, "import_batch", "setting"):
                cols = "* EXCLUDE (created_at, undone_at), undone_at IS NULL AS active"
                source = f"(SELECT {cols} FROM {table})" if table == "import_batch" else table
                row = cur.execute(
                    f"SELECT count(*), coalesce(sum(hash(x)::HUGEINT), 0) FROM {source} x"
                ).fetchone()
                digest.update(f"{table}:{row}\n".encode())
        finally:
            cur.close()
        return digest.hexdigest()

    # -- scoped reads ---------------------------------------------------------------------
    @scoped_read
    def info(self, scope: Scope) -> StoreInfo:
        """Rows per dataset, schools, years and batches visible in ``scope``."""
        cur = self.cursor()
        try:
            rows: dict[str, int] = {}
            years_by_dataset: dict[str, list[int]] = {}
            for table in DATASET_LABELS:
                cond, params = scope_clause(scope, table)
                year = _YEAR_EXPR.get(table)
                years_sql = (
                    f"list(DISTINCT {year} ORDER BY {year}) FILTER (WHERE {year} IS NOT NULL)"
                    if year
                    else "[]"
                )
                res = cur.execute(
                    f"SELECT count(*), {years_sql} FROM {table} t WHERE {cond}", params
                ).fetchone()
                assert res is not None
                rows[table] = int(res[0])
                years_by_dataset[table] = [int(y) for y in (res[1] or [])]
            # Years with data; a target's deadline year is not data of that year.
            years = sorted({y for t, ys in years_by_dataset.items() if t != "target" for y in ys})
            batch_ids = self._batch_ids_in_scope(cur, scope)
            if batch_ids is None:
                brow = cur.execute(
                    "SELECT count(*), max(created_at) FROM import_batch WHERE undone_at IS NULL"
                ).fetchone()
            else:
                brow = cur.execute(
                    "SELECT count(*), max(created_at) FROM import_batch "
                    "WHERE undone_at IS NULL AND id IN (SELECT UNNEST(?::INTEGER[]))",
                    [batch_ids],
                ).fetchone()
            assert brow is not None
            return StoreInfo(
                rows=rows,
                schools=rows["school"],
                years=years,
                batches=int(brow[0]),
                last_import=brow[1],
                schema_version=_read_version(cur),
                years_by_dataset=years_by_dataset,
            )
        finally:
            cur.close()

    def _batch_ids_in_scope(self, cur: duckdb.DuckDBPyConnection, scope: Scope) -> list[int] | None:
        """Ids of the batches that brought any row visible in ``scope`` (None: all)."""
        if scope.is_all:
            return None
        parts, params = [], []
        for table in DATASET_LABELS:
            cond, p = scope_clause(scope, table)
            parts.append(f"SELECT DISTINCT batch_id FROM {table} t WHERE {cond}")
            params += p
        # A record deleted in the app is a load that brought no row, only took one away: it
        # shows (and is undone) where the row it took away would.
        for table in _DELETABLE_RECORDS:
            cond, p = scope_clause(scope, table)
            parts.append(f"SELECT DISTINCT replaced_by FROM replaced_{table} t WHERE {cond}")
            params += p
        return [int(r[0]) for r in cur.execute(" UNION ".join(parts), params).fetchall()]

    @scoped_read
    def batches(self, scope: Scope, limit: int = 20) -> pd.DataFrame:
        """The latest import batches that brought rows visible in ``scope``.

        With a narrow scope, a batch that also brought other schools' rows shows only what
        the scope sees: ``row_count`` counts its visible rows, and the counts that would reveal
        other schools (``schools``, new, replaced and skipped rows) are null.
        """
        cur = self.cursor()
        try:
            ids = self._batch_ids_in_scope(cur, scope)
            columns = (
                "id, kind, source_format, file_name, period, schools, row_count, rows_new, "
                "rows_replaced, rows_skipped, actor, created_at, undone_at, undone_by"
            )
            if ids is None:
                return cur.execute(
                    f"SELECT {columns} FROM import_batch ORDER BY id DESC LIMIT ?", [limit]
                ).df()
            parts, params = [], []
            for table in DATASET_LABELS:
                c, p = scope_clause(scope, table)
                parts.append(f"SELECT batch_id FROM {table} t WHERE {c}")
                params += p
            hidden = "NULL::DOUBLE"  # NaN in pandas: shown as «–»
            return cur.execute(
                "WITH visible AS (SELECT batch_id, count(*) AS n FROM "
                f"({' UNION ALL '.join(parts)}) GROUP BY batch_id) "
                "SELECT b.id, b.kind, b.source_format, b.file_name, b.period, "
                f"{hidden} AS schools, coalesce(v.n, 0) AS row_count, {hidden} AS rows_new, "
                f"{hidden} AS rows_replaced, {hidden} AS rows_skipped, b.actor, b.created_at, "
                "b.undone_at, b.undone_by FROM import_batch b "
                "LEFT JOIN visible v ON v.batch_id = b.id "
                "WHERE b.id IN (SELECT UNNEST(?::INTEGER[])) ORDER BY b.id DESC LIMIT ?",
                [*params, ids, limit],
            ).df()
        finally:
            cur.close()

    @scoped_read
    def territories(self, scope: Scope) -> pd.DataFrame:
        """Territories with at least one visible school: id, name, kind, schools (visible)."""
        cond, params = scope_clause(scope, "territory")
        c_st, p_st = scope_clause(scope, "school_territory", alias="st")
        return self.query_df(
            "SELECT t.id, t.name, t.kind, count(st.rbd) AS schools FROM territory t"
            f" JOIN school_territory st ON st.territory_id = t.id AND {c_st}"
            f" WHERE {cond} GROUP BY t.id, t.name, t.kind"
            " ORDER BY CASE t.kind WHEN 'slep' THEN 0 WHEN 'deprov' THEN 1 ELSE 2 END, t.name",
            p_st + params,
        )

    @scoped_read
    def schools(self, scope: Scope, territory_id: str | None = None) -> pd.DataFrame:
        """Visible schools (optionally of one territory): rbd, name, comuna, region."""
        cond, params = scope_clause(scope, "school")
        sql = f"SELECT t.rbd, t.name, t.comuna, t.region FROM school t WHERE {cond}"
        if territory_id is not None:
            sql += " AND t.rbd IN (SELECT rbd FROM school_territory WHERE territory_id = ?)"
            params.append(territory_id)
        return self.query_df(sql + " ORDER BY t.name", params)

    @scoped_read
    def communities(self, scope: Scope, rbd: int | None = None) -> pd.DataFrame:
        """Visible communities of practice (optionally of one school)."""
        cond, params = scope_clause(scope, "community")
        sql = (
            "SELECT t.id, t.rbd, t.name, t.kind, t.focus, t.start_date FROM community t "
            f"WHERE {cond}"
        )
        if rbd is not None:
            sql += " AND t.rbd = ?"
            params.append(int(rbd))
        return self.query_df(sql + " ORDER BY t.name", params)

    @scoped_read
    def headline_counts(self, scope: Scope, year: int | None) -> dict[str, int]:
        """Schools, communities, teachers, novices and students visible in ``scope``.

        Teachers, novices and students are those of ``year`` (all years when None); a student
        with several records in the year counts once.
        """
        c_school, p_school = scope_clause(scope, "school")
        c_comm, p_comm = scope_clause(scope, "community")
        c_ty, p_ty = scope_clause(scope, "teacher_year")
        c_sr, p_sr = scope_clause(scope, "student_result")
        year_ty = "AND t.year = ?" if year is not None else ""
        year_params = [year] if year is not None else []
        row = (
            self.cursor()
            .execute(
                f"SELECT (SELECT count(*) FROM school t WHERE {c_school}),"
                f" (SELECT count(*) FROM community t WHERE {c_comm}),"
                f" (SELECT count(DISTINCT teacher_id) FROM teacher_year t WHERE {c_ty} {year_ty}),"
                f" (SELECT count(DISTINCT teacher_id) FROM teacher_year t WHERE {c_ty} {year_ty}"
                "   AND t.years_experience < 3),"
                " (SELECT count(DISTINCT student_id) FROM student_result t"
                f"  WHERE {c_sr} {year_ty})",
                p_school + p_comm + p_ty + year_params + p_ty + year_params + p_sr + year_params,
            )
            .fetchone()
        )
        assert row is not None
        keys = ("schools", "communities", "teachers", "novices", "students")
        return {k: int(v) for k, v in zip(keys, row, strict=True)}

    @scoped_read
    def latest_results_year(self, scope: Scope) -> int | None:
        """The latest year with students' final results in ``scope`` (None: no results)."""
        cond, params = scope_clause(scope, "student_result")
        df = self.query_df(f"SELECT max(year) AS y FROM student_result t WHERE {cond}", params)
        import pandas as pd  # loaded already: query_df made a DataFrame

        value = df["y"].iloc[0]
        return None if pd.isna(value) else int(value)

    @scoped_read
    def years(self, scope: Scope) -> list[int]:
        """School years with any data in ``scope``: students' results or attendance, tests,
        rosters, schedule, sessions, surveys or evaluations (a store holding only official
        test results, or only surveys, has years too)."""
        sources = (
            ("student_result", "year"),
            ("student_attendance", "year"),
            ("standardized_test", "year"),
            ("dia_result", "year"),
            ("teacher_year", "year"),
            ("activity", "year(planned_date)"),
            ("session_attendance", "year(session_date)"),
            ("survey_response", "year(response_date)"),
            ("teacher_evaluation", "year(eval_date)"),
        )
        parts, params = [], []
        for table, year in sources:
            cond, p = scope_clause(scope, table)
            parts.append(f"SELECT DISTINCT {year} AS year FROM {table} t WHERE {cond}")
            params += p
        df = self.query_df(
            f"SELECT year FROM ({' UNION '.join(parts)}) WHERE year IS NOT NULL ORDER BY 1",
            params,
        )
        return [int(y) for y in df.iloc[:, 0]] if len(df) else []


def open_store(
    path: str | os.PathLike[str],
    *,
    read_only: bool = False,
    release_when_idle: bool = False,
    on_wait: Callable[[], None] | None = None,
    timeout: float | None = None,
) -> Store:
    """Open (creating or upgrading) the store at ``path``; ``":memory:"`` for a scratch one.

    Waits for the file's turn (see :class:`Store`): ``timeout`` seconds at most (by default
    ``TABLERO_ESPERA`` or 15 minutes), calling ``on_wait`` once if it has to wait.
    """
    return Store(
        path,
        read_only=read_only,
        release_when_idle=release_when_idle,
        on_wait=on_wait,
        timeout=timeout,
    )


_STORES: dict[str, weakref.WeakSet[Store]] = {}
"""The Stores of this process by database file (real path)."""
_STORES_GUARD = threading.Lock()


def _close_other_readers(store: Store) -> None:
    """Before ``store`` opens its file for writing: the other Stores of this process on the
    same file close their read-only connections (see :meth:`Store._let_go_for_writer`)."""
    assert store._turn is not None
    with _STORES_GUARD:
        others = [s for s in _STORES.get(store._turn.db_path, ()) if s is not store]
    for other in others:
        other._let_go_for_writer()


def _watch_idle(ref: weakref.ref[Store]) -> None:
    """The thread of a Store that lets go of its file when idle; ends when it closed it."""
    while True:
        time.sleep(0.1)
        store = ref()
        if store is None or not store._release_if_idle():
            return
        del store


def _file_stamp(path: str) -> tuple[Any, ...]:
    """What changes when a process writes the database: its file's and its WAL's identity,
    size and time."""
    out: list[Any] = []
    for name in (path, path + ".wal"):
        try:
            st = os.stat(name)
        except OSError:
            out.append(None)
        else:
            out.append((st.st_ino, st.st_size, st.st_mtime_ns))
    return tuple(out)


FOREIGN_HOLDER_SECONDS = 2.0
"""How long to retry when the file's turn is ours but DuckDB still finds it held: a process
that does not take turns (an older Tablero, the duckdb shell) or one that is just closing."""


def _connect(path: str, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    if path != ":memory:":
        p = Path(path)
        if p.exists() and p.is_dir():
            raise StoreError(f"La ruta {path} es una carpeta, no un archivo de base de datos.")
        created = not p.exists()
        p.parent.mkdir(parents=True, exist_ok=True)
        # Students' data: every file this process creates from now on (the database, its WAL
        # and temporary files, exports) is readable by its owner only, with no window in
        # which the new database file is readable by others.
        os.umask(os.umask(0o077) | 0o077)
    deadline = time.monotonic() + FOREIGN_HOLDER_SECONDS
    while True:
        try:
            con = duckdb.connect(path, read_only=read_only and path != ":memory:")
            break
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower() or time.monotonic() > deadline:
                return _refuse(path, exc)
            time.sleep(0.05)
        except duckdb.Error as exc:
            raise StoreError(
                f"El archivo {path} no es una base de datos de Tablero DPD o está dañado ({exc})."
            ) from exc
    if path != ":memory:" and created:
        # Students' data: the file is readable by its owner only.
        os.chmod(path, 0o600)
    harden(con)
    return con


def _refuse(path: str, exc: duckdb.IOException) -> NoReturn:
    text = str(exc)
    if "not a valid DuckDB database" in text:
        raise StoreError(
            f"El archivo {path} no es una base de datos de Tablero DPD (ni de DuckDB). "
            "Revise la ruta indicada en --db o TABLERO_DB."
        ) from exc
    if "lock" in text.lower():
        raise StoreLockedError(
            f"La base de datos {path} está abierta por otro proceso que no espera su turno "
            "(por ejemplo, una versión anterior del tablero o la consola de DuckDB). Ciérrelo "
            "e intente de nuevo."
        ) from exc
    raise StoreError(f"No se pudo abrir la base de datos {path}: {text}") from exc


def harden(con: duckdb.DuckDBPyConnection) -> None:
    """Switch DuckDB's access to files off, except the importer's staging folder.

    After this, ``read_csv('/etc/passwd')``, ``COPY ... TO``, ``ATTACH`` and friends fail on
    this connection and all its cursors, and DuckDB refuses to switch access back on (it is a
    one-way setting while the database runs). The importer copies every upload into
    :func:`~metrics.config.staging_root` before reading it; spilling to DuckDB's own temporary
    folder keeps working.
    """

    state = con.execute("SELECT current_setting('enable_external_access')").fetchone()
    if state is not None and not state[0]:
        return  # the same file opened again in this process: its database is hardened already
    row = con.execute("SELECT current_setting('temp_directory')").fetchone()
    allowed = [str(staging_root()) + os.sep]
    if row and row[0]:
        allowed.append(str(Path(str(row[0])).resolve()) + os.sep)
    listed = ", ".join("'" + a.replace("'", "''") + "'" for a in allowed)
    con.execute(f"SET allowed_directories = [{listed}]")
    con.execute("SET enable_external_access = false")


def _read_version(con: duckdb.DuckDBPyConnection) -> int:
    has_table = con.execute(
        "SELECT count(*) FROM information_schema.tables "
        "WHERE table_name = 'schema_version' AND table_schema = 'main'"
    ).fetchone()
    if not has_table or not has_table[0]:
        return 0
    row = con.execute("SELECT max(version) FROM schema_version").fetchone()
    return int(row[0]) if row and row[0] is not None else 0


def _migrate(con: duckdb.DuckDBPyConnection, path: str, target: int = LATEST_VERSION) -> None:
    """Upgrade the database to ``target``, one migration per transaction."""
    version = _read_version(con)
    if version > LATEST_VERSION:
        raise SchemaVersionError(
            f"La base de datos {path} fue creada por una versión más nueva de Tablero DPD "
            f"(esquema {version}; esta versión conoce hasta el {LATEST_VERSION}). Actualice "
            "Tablero DPD para abrirla; no se modificó el archivo."
        )
    while version < target:
        con.begin()
        try:
            con.execute(MIGRATIONS[version])
            if version == 0:
                con.execute("INSERT INTO schema_version VALUES (1)")
            else:
                con.execute("UPDATE schema_version SET version = ?", [version + 1])
            con.commit()
        except duckdb.Error as exc:
            con.rollback()
            raise StoreError(
                f"No se pudo actualizar la base de datos {path} al esquema {version + 1}: {exc}"
            ) from exc
        version += 1
