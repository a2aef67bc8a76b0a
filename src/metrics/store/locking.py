"""Taking turns on one DuckDB file between processes: an OS lock beside the database.

DuckDB lets one process open a file for writing, and while it does no other process can open
the file at all, not even read-only; several processes may read it together. So every process
of Tablero DPD (the dashboard, each `tablero` command) takes an OS lock on ``<db>.lock``
before it opens the file: *shared* to read, *exclusive* to write, and waits for its turn
instead of failing. A second file, ``<db>.queue``, is a turnstile: whoever waits holds it, so
that new readers queue behind a waiting writer (a nightly import is not starved by a stream of
readers) and a holder that only keeps the file open out of convenience (the dashboard) sees
that someone waits and lets go (:meth:`ProcessLock.someone_waits`).

Within one process, every Store of the same file shares one :class:`ProcessLock` (DuckDB
shares its database within a process too), so a process never waits for itself.

POSIX systems use ``flock``; Windows uses ``msvcrt.locking``, which has no shared mode: there,
readers take turns as writers do (slower, still correct). The OS call sits behind one seam,
:data:`OS_LOCKS`, so that the Windows branch's logic is tested here with a fake ``msvcrt``;
it has not run on Windows itself.

This module knows nothing of DuckDB; :mod:`metrics.store.core` uses it.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any


class WindowsLocks:
    """The Windows branch: ``msvcrt.locking`` on the first byte of a lock file, exclusive
    whatever is asked (Windows has no shared mode there).

    ``msvcrt`` is the module, passed in so that this logic runs under a test's fake on any
    system (``tests/unit/test_locking_windows.py``); on Windows it is the real one.
    ``msvcrt.locking`` locks ``nbytes`` from the file's current position, so both calls seek
    to 0 first: the lock and the unlock must name the same byte.
    """

    def __init__(self, msvcrt: Any) -> None:
        self._msvcrt = msvcrt

    def try_lock(self, fd: int, exclusive: bool) -> bool:
        del exclusive  # no shared locks on Windows
        try:
            os.lseek(fd, 0, os.SEEK_SET)
            self._msvcrt.locking(fd, self._msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    def unlock(self, fd: int) -> None:
        try:
            os.lseek(fd, 0, os.SEEK_SET)
            self._msvcrt.locking(fd, self._msvcrt.LK_UNLCK, 1)
        except OSError:
            pass


class PosixLocks:
    """POSIX systems: ``flock`` on the whole lock file, shared or exclusive."""

    def __init__(self, fcntl: Any) -> None:
        self._fcntl = fcntl

    def try_lock(self, fd: int, exclusive: bool) -> bool:
        mode = self._fcntl.LOCK_EX if exclusive else self._fcntl.LOCK_SH
        try:
            self._fcntl.flock(fd, mode | self._fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def unlock(self, fd: int) -> None:
        self._fcntl.flock(fd, self._fcntl.LOCK_UN)


def _system_locks() -> WindowsLocks | PosixLocks:
    """This system's OS locks: the only place that imports ``msvcrt`` or ``fcntl``."""
    if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
        import msvcrt

        return WindowsLocks(msvcrt)
    import fcntl

    return PosixLocks(fcntl)


OS_LOCKS: WindowsLocks | PosixLocks = _system_locks()
"""The seam between :class:`ProcessLock` and the operating system (a test may replace it)."""


def _try_lock(fd: int, exclusive: bool) -> bool:
    return OS_LOCKS.try_lock(fd, exclusive)


def _unlock(fd: int) -> None:
    OS_LOCKS.unlock(fd)


DEFAULT_WAIT_SECONDS = 900.0
"""How long a process waits for its turn before giving up (``TABLERO_ESPERA`` changes it)."""

SAY_AFTER_SECONDS = 0.5
"""A wait shorter than this is not worth telling anyone about."""


def wait_seconds() -> float:
    """The longest wait for the database: ``TABLERO_ESPERA`` seconds, or 15 minutes."""
    raw = os.environ.get("TABLERO_ESPERA", "").strip()
    try:
        return max(0.0, float(raw.replace(",", "."))) if raw else DEFAULT_WAIT_SECONDS
    except ValueError:
        return DEFAULT_WAIT_SECONDS


class LockTimeoutError(Exception):
    """The turn did not come within the wait (the caller says it in Spanish)."""


def _open_lock_file(path: Path) -> int:
    flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0)
    return os.open(path, flags, 0o600)


class ProcessLock:
    """This process's turn on one database file (see the module's docstring).

    ``acquire``/``release`` count holders; the OS lock is taken by the first holder and given
    back by the last. A holder that needs to write while the process only reads upgrades it.
    """

    def __init__(self, db_path: str) -> None:
        self.db_path = db_path
        self._guard = threading.Lock()
        self._holders = 0
        self._exclusive = False
        self._fd: int | None = None
        self._queue_fd: int | None = None
        self._probe_fd: int | None = None

    @property
    def held(self) -> bool:
        return self._holders > 0

    @property
    def exclusive(self) -> bool:
        """Whether this process holds the exclusive turn now."""
        return self._holders > 0 and self._exclusive

    def _files(self) -> tuple[int, int]:
        if self._fd is None or self._queue_fd is None:
            Path(self.db_path).parent.mkdir(parents=True, exist_ok=True)
            self._fd = _open_lock_file(Path(self.db_path + ".lock"))
            self._queue_fd = _open_lock_file(Path(self.db_path + ".queue"))
        return self._fd, self._queue_fd

    def acquire(
        self,
        *,
        exclusive: bool,
        timeout: float | None = None,
        on_wait: Callable[[], None] | None = None,
    ) -> None:
        """Wait for the turn (``timeout`` seconds at most, else :class:`LockTimeoutError`);
        ``on_wait`` is called once if the wait lasts more than half a second."""
        with self._guard:
            if self._holders and (self._exclusive or not exclusive):
                self._holders += 1
                return
            fd, queue = self._files()
            if self._holders:  # shared → exclusive: flock converts, not atomically
                _unlock(fd)
            limit = wait_seconds() if timeout is None else timeout
            try:
                self._wait_turn(fd, queue, exclusive, limit, on_wait)
            except BaseException:
                if self._holders:  # give the shared turn back as it was
                    self._wait_turn(fd, queue, False, wait_seconds(), None)
                raise
            self._holders += 1
            self._exclusive = exclusive

    @staticmethod
    def _wait_turn(
        fd: int,
        queue: int,
        exclusive: bool,
        limit: float,
        on_wait: Callable[[], None] | None,
    ) -> None:
        start = time.monotonic()
        said = False
        pause = 0.005
        in_queue = False
        try:
            while True:
                if not in_queue:
                    in_queue = _try_lock(queue, True)
                if in_queue and _try_lock(fd, exclusive):
                    return
                waited = time.monotonic() - start
                if waited >= limit:
                    raise LockTimeoutError(f"{waited:.0f} s")
                if not said and on_wait is not None and waited >= SAY_AFTER_SECONDS:
                    said = True
                    on_wait()
                time.sleep(pause)
                pause = min(pause * 2, 0.1)
        finally:
            if in_queue:
                _unlock(queue)

    def release(self) -> None:
        """One holder leaves; the last gives the OS lock back."""
        with self._guard:
            if self._holders == 0:
                return
            self._holders -= 1
            if self._holders == 0 and self._fd is not None:
                _unlock(self._fd)
                self._exclusive = False

    def someone_waits(self) -> bool:
        """Whether another process (or another Store of this file) queues for the file now."""
        if self._probe_fd is None:  # its own descriptor: flock on ours would convert our lock
            self._probe_fd = _open_lock_file(Path(self.db_path + ".queue"))
        if _try_lock(self._probe_fd, False):
            _unlock(self._probe_fd)
            return False
        return True


_LOCKS: dict[str, ProcessLock] = {}
_LOCKS_GUARD = threading.Lock()


def lock_for(db_path: str) -> ProcessLock:
    """The process-wide lock of the database at ``db_path`` (one per file)."""
    key = os.path.realpath(db_path)
    with _LOCKS_GUARD:
        lock = _LOCKS.get(key)
        if lock is None:
            lock = _LOCKS[key] = ProcessLock(key)
        return lock
