"""The Windows branch of the store's OS lock (metrics.store.locking.WindowsLocks), run here with
a fake ``msvcrt`` that behaves as Windows' byte-range locks do: a lock covers ``nbytes`` from the
descriptor's current position, conflicts with any overlapping lock on the same file (whatever
the descriptor, the same one included), and an unlock must name exactly a range that this
descriptor locked. It has never run on Windows itself (README, «La línea de comandos y el
tablero comparten la base»)."""

from __future__ import annotations

import errno
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from metrics.store import locking

LK_UNLCK, LK_LOCK, LK_NBLCK = 0, 1, 2
"""msvcrt's values of the modes (the branch must use the module's names, not numbers)."""


class FakeMsvcrt:
    """``msvcrt.locking`` over real descriptors, keeping the locked ranges per file."""

    LK_UNLCK = LK_UNLCK
    LK_LOCK = LK_LOCK
    LK_NBLCK = LK_NBLCK

    def __init__(self) -> None:
        self.ranges: dict[tuple[int, int], list[tuple[int, int, int]]] = {}
        """(device, inode) → (start, end, fd) of each lock held."""
        self.failed_unlocks: list[tuple[int, int, int]] = []

    def locking(self, fd: int, mode: int, nbytes: int) -> None:
        st = os.fstat(fd)
        held = self.ranges.setdefault((st.st_dev, st.st_ino), [])
        start = os.lseek(fd, 0, os.SEEK_CUR)
        end = start + nbytes
        if mode == LK_NBLCK:
            if any(s < end and start < e for s, e, _ in held):
                raise OSError(errno.EACCES, "Permission denied")
            held.append((start, end, fd))
        elif mode == LK_UNLCK:
            if (start, end, fd) not in held:
                self.failed_unlocks.append((start, end, fd))
                raise OSError(errno.EACCES, "Permission denied")
            held.remove((start, end, fd))
        else:  # the branch never blocks inside the OS: it polls with LK_NBLCK
            raise AssertionError(f"unexpected mode {mode}")

    def held(self, path: Path) -> list[tuple[int, int]]:
        """The ranges locked on ``path`` now, whoever holds them."""
        st = path.stat()
        return sorted((s, e) for s, e, _ in self.ranges.get((st.st_dev, st.st_ino), []))


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> FakeMsvcrt:
    """The Windows branch in place of this system's locks, over a fake msvcrt."""
    msvcrt = FakeMsvcrt()
    monkeypatch.setattr(locking, "OS_LOCKS", locking.WindowsLocks(msvcrt))
    return msvcrt


@pytest.fixture
def lock_file(tmp_path: Path) -> Iterator[tuple[Path, int, int]]:
    """A lock file and two descriptors on it (two processes, as Windows sees them)."""
    path = tmp_path / "tablero.duckdb.lock"
    first = locking._open_lock_file(path)
    second = locking._open_lock_file(path)
    yield path, first, second
    os.close(first)
    os.close(second)


def test_locks_and_unlocks_the_first_byte_wherever_the_file_position_is(
    fake: FakeMsvcrt, lock_file: tuple[Path, int, int]
) -> None:
    path, fd, _ = lock_file
    os.write(fd, b"algo")  # the position is now 4: the lock must still be on byte 0
    assert locking._try_lock(fd, True)
    assert fake.held(path) == [(0, 1)]
    os.lseek(fd, 3, os.SEEK_SET)
    locking._unlock(fd)
    assert fake.held(path) == []
    assert fake.failed_unlocks == []


def test_shared_is_exclusive_on_windows(fake: FakeMsvcrt, lock_file: tuple[Path, int, int]) -> None:
    path, first, second = lock_file
    assert locking._try_lock(first, False)
    assert not locking._try_lock(second, False)  # a second reader waits its turn
    locking._unlock(first)
    assert locking._try_lock(second, False)
    assert fake.held(path) == [(0, 1)]
    locking._unlock(second)
    assert fake.held(path) == []


def test_a_refused_lock_is_false_and_an_unlock_of_nothing_is_quiet(
    fake: FakeMsvcrt, lock_file: tuple[Path, int, int]
) -> None:
    path, first, second = lock_file
    assert locking._try_lock(first, True)
    assert not locking._try_lock(second, True)
    locking._unlock(second)  # never locked: Windows refuses, the branch says nothing
    assert fake.held(path) == [(0, 1)]  # and the other's lock stays
    locking._unlock(first)
    assert fake.held(path) == []


def _locks(tmp_path: Path) -> tuple[locking.ProcessLock, locking.ProcessLock, Path, Path]:
    """Two processes' locks on one database (two ProcessLocks: each opens its own files)."""
    db = str(tmp_path / "tablero.duckdb")
    return (
        locking.ProcessLock(db),
        locking.ProcessLock(db),
        Path(db + ".lock"),
        Path(db + ".queue"),
    )


def test_process_lock_readers_take_turns_and_give_everything_back(
    fake: FakeMsvcrt, tmp_path: Path
) -> None:
    app, command, lock, queue = _locks(tmp_path)
    app.acquire(exclusive=False, timeout=1)
    assert fake.held(lock) == [(0, 1)]
    assert fake.held(queue) == []  # the turnstile is let go once the turn is taken
    with pytest.raises(locking.LockTimeoutError):
        command.acquire(exclusive=False, timeout=0.2)  # no shared mode: it waits
    assert fake.held(queue) == []  # a waiter that gave up leaves the turnstile free
    app.release()
    assert fake.held(lock) == []
    command.acquire(exclusive=False, timeout=1)
    command.release()
    assert fake.held(lock) == [] and fake.held(queue) == []
    assert fake.failed_unlocks == []


def test_process_lock_upgrade_to_write_in_the_same_process(
    fake: FakeMsvcrt, tmp_path: Path
) -> None:
    app, _, lock, _ = _locks(tmp_path)
    app.acquire(exclusive=False, timeout=1)
    # Windows refuses a second lock on a byte the same descriptor holds: the upgrade must
    # unlock first, as the POSIX path does to convert flock.
    app.acquire(exclusive=True, timeout=1)
    assert app.exclusive
    assert fake.held(lock) == [(0, 1)]
    app.release()
    app.release()
    assert fake.held(lock) == []
    assert fake.failed_unlocks == []


def test_a_waiting_writer_is_seen_and_gets_the_turn(fake: FakeMsvcrt, tmp_path: Path) -> None:
    app, command, lock, queue = _locks(tmp_path)
    app.acquire(exclusive=False, timeout=1)
    assert not app.someone_waits()
    got: list[float] = []
    waiter = threading.Thread(
        target=lambda: (command.acquire(exclusive=True, timeout=10), got.append(1.0))
    )
    waiter.start()
    deadline = time.monotonic() + 5
    while not app.someone_waits():  # the import queues: the dashboard sees it and lets go
        assert time.monotonic() < deadline, "the waiting writer never showed in the queue"
        time.sleep(0.01)
    assert got == []
    app.release()
    waiter.join(timeout=10)
    assert got == [1.0] and command.exclusive
    assert not app.someone_waits()  # the writer has the turn and left the turnstile
    command.release()
    assert fake.held(lock) == [] and fake.held(queue) == []
    assert fake.failed_unlocks == []
