"""Local sign-in under attack: parallel guesses from threads and from separate processes are all
counted and the lock engages after MAX_FAILED_ATTEMPTS; every failure reads the same; trivial
passwords are refused wherever a password is set."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from metrics.access import (
    MAX_FAILED_ATTEMPTS,
    WRONG_CREDENTIALS,
    check_password,
    hash_password,
    password_problem,
    sign_in_local,
)
from metrics.cli import main
from metrics.errors import AccessError
from metrics.scope import Scope
from metrics.store import Store, audit, open_store
from metrics.store.users import get_user, save_user

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "una-clave-bien-larga"
EMAIL = "dir@x.cl"


def _account(store: Store, email: str = EMAIL, active: bool = True) -> None:
    save_user(
        store,
        email=email,
        name="Dir",
        role="administrador",
        password_hash=hash_password(PASSWORD),
    )
    if not active:
        from metrics.store.users import update_user

        update_user(store, email, active=False)


def _failures(store: Store) -> list[dict[str, object]]:
    rows = audit.read(store, Scope.all(), action="ingreso_fallido")
    return [json.loads(d) for d in rows["detail"]]


def _attempt(store: Store, password: str, out: list[str], start: threading.Barrier) -> None:
    start.wait()
    try:
        sign_in_local(store, EMAIL, password)
        out.append("ingresó")
    except AccessError as exc:
        out.append(exc.message)
    except Exception as exc:  # what old code did: «Conflict on update», uncounted
        out.append(f"error: {exc}")


def test_parallel_wrong_guesses_are_all_counted_and_lock(store_path: Path) -> None:
    """Fourteen wrong guesses at once, then the right password: refused, the account locked,
    exactly MAX_FAILED_ATTEMPTS passwords checked and every guess in the audit log."""
    with open_store(store_path) as store:
        _account(store)
        guesses = 14
        out: list[str] = []
        start = threading.Barrier(guesses)
        threads = [
            threading.Thread(target=_attempt, args=(store, f"equivocada-{i:03d}!", out, start))
            for i in range(guesses)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert out == [WRONG_CREDENTIALS] * guesses
        user = get_user(store, EMAIL)
        assert user is not None and user.locked_until is not None
        # The right password, last: refused like the others.
        with pytest.raises(AccessError) as err:
            sign_in_local(store, EMAIL, PASSWORD)
        assert err.value.message == WRONG_CREDENTIALS
        details = _failures(store)
        assert len(details) == guesses + 1  # no attempt escaped the log
        checked = [d for d in details if "intentos" in d]
        assert sorted(int(str(d["intentos"])) for d in checked) == list(
            range(1, MAX_FAILED_ATTEMPTS + 1)
        )
        assert sum(d.get("motivo") == "bloqueada" for d in details) == guesses + 1 - len(checked)
        assert audit.verify_chain(store).ok  # parallel appends kept the chain whole


def test_many_parallel_guesses_check_at_most_the_limit(store_path: Path) -> None:
    """60 guesses from 12 threads: none fails on a write conflict, at most MAX are checked."""
    with open_store(store_path) as store:
        _account(store)
        out: list[str] = []
        start = threading.Barrier(12)

        def worker(k: int) -> None:
            start.wait()
            for i in range(5):
                try:
                    sign_in_local(store, EMAIL, f"adivinanza-{k}-{i}-x")
                    out.append("ingresó")
                except AccessError as exc:
                    out.append(exc.message)
                except Exception as exc:
                    out.append(f"error: {exc}")

        threads = [threading.Thread(target=worker, args=(k,)) for k in range(12)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert out == [WRONG_CREDENTIALS] * 60
        details = _failures(store)
        assert len(details) == 60
        assert sum("intentos" in d for d in details) == MAX_FAILED_ATTEMPTS


_WORKER = """
import sys, time
from metrics.access import sign_in_local
from metrics.errors import AccessError, StoreLockedError
from metrics.store import open_store

path, attempts = sys.argv[1], int(sys.argv[2])
for i in range(attempts):
    for _ in range(4000):  # DuckDB lets one process hold the file: take turns
        try:
            store = open_store(path)
            break
        except StoreLockedError:
            time.sleep(0.01)
    else:
        sys.exit("no se pudo abrir la base")
    try:
        sign_in_local(store, "dir@x.cl", f"desde-otro-proceso-{i}")
        print("ingresó")
    except AccessError as exc:
        print(exc.message)
    finally:
        store.close()
"""


def test_guesses_from_separate_processes_are_all_counted(store_path: Path) -> None:
    with open_store(store_path) as store:
        _account(store)
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _WORKER, str(store_path), "3"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    outputs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], [e for _, e in outputs]
    lines = [line for out, _ in outputs for line in out.splitlines()]
    assert lines == [WRONG_CREDENTIALS] * 9
    with open_store(store_path) as store:
        user = get_user(store, EMAIL)
        assert user is not None and user.locked_until is not None
        details = _failures(store)
        assert len(details) == 9
        assert sum("intentos" in d for d in details) == MAX_FAILED_ATTEMPTS
        with pytest.raises(AccessError):
            sign_in_local(store, EMAIL, PASSWORD)
        assert audit.verify_chain(store).ok  # each process left the anchor at the end


@pytest.mark.parametrize("case", ["unknown", "wrong", "locked", "inactive"])
def test_every_failure_reads_the_same(empty_store: Store, case: str) -> None:
    _account(empty_store)
    _account(empty_store, "off@x.cl", active=False)
    email, password = {
        "unknown": ("nadie@x.cl", PASSWORD),
        "wrong": (EMAIL, "otra-clave-larga"),
        "locked": (EMAIL, PASSWORD),
        "inactive": ("off@x.cl", PASSWORD),
    }[case]
    if case == "locked":
        for _ in range(MAX_FAILED_ATTEMPTS):
            with pytest.raises(AccessError):
                sign_in_local(empty_store, EMAIL, "otra-clave-larga")
    with pytest.raises(AccessError) as err:
        sign_in_local(empty_store, email, password)
    assert (err.value.title, err.value.message) == ("No se pudo ingresar", WRONG_CREDENTIALS)
    assert "bloquead" not in err.value.title.lower()


@pytest.mark.parametrize(
    "password",
    [
        " " * 12,
        "aaaaaaaaaaaa",
        "abababababab",
        "abcabcabcabc",
        "123456789012",
        "qwerty123456",
        "abcdefghijkl",
        "Password2024!",
        "contraseña2024",
        "Contrasena1234",
        "tablerodpd2025",
        "jefa.utp2024!",
        "corta",
    ],
)
def test_trivial_passwords_are_refused(password: str) -> None:
    assert password_problem(password, "jefa.utp@slep.cl") is not None
    with pytest.raises(AccessError):
        check_password(password, "jefa.utp@slep.cl")


@pytest.mark.parametrize(
    "password",
    ["una-clave-bien-larga", "tres perros comen pan", "x7#kLm29pQ!z", "Caleta 2024 ñandú"],
)
def test_reasonable_passwords_are_accepted(password: str) -> None:
    assert password_problem(password, "jefa.utp@slep.cl") is None


@pytest.mark.parametrize("action", ["agregar", "restablecer"])
def test_cli_refuses_trivial_passwords(
    store_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    action: str,
) -> None:
    with open_store(store_path) as store:
        _account(store, "jefa@x.cl")
        before = get_user(store, "jefa@x.cl")
    args = ["usuarios", action, "jefa@x.cl", "--contrasena-stdin", "--db", str(store_path)]
    if action == "agregar":
        args += ["--rol", "administrador"]
    monkeypatch.setattr("sys.stdin", io.StringIO(" " * 12 + "\n"))
    assert main(args) == 2
    assert "solo espacios" in capsys.readouterr().err
    with open_store(store_path) as store:
        assert get_user(store, "jefa@x.cl") == before  # nothing changed
