"""Processes take turns on one store (metrics.store.locking): readers together, a writer alone,
commands that wait instead of answering «en uso», and the dashboard's store that lets go of the
file and notices when another process changed it."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from metrics.cli import main
from metrics.errors import StoreLockedError
from metrics.scope import Scope
from metrics.store import open_store

ROOT = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "PYTHONPATH": str(ROOT / "src")}


@pytest.fixture
def db(demo_db: Path, tmp_path: Path) -> Path:
    path = tmp_path / "tablero.duckdb"
    path.write_bytes(demo_db.read_bytes())
    for suffix in (".key", ".audit"):
        if Path(str(demo_db) + suffix).exists():
            Path(str(path) + suffix).write_bytes(Path(str(demo_db) + suffix).read_bytes())
    return path


def _holder(db: Path, seconds: float) -> subprocess.Popen[str]:
    """Another process that writes: it holds the store for ``seconds``."""
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from metrics.store import open_store; s = open_store(sys.argv[1]);"
            f" print('ok', flush=True); time.sleep({seconds}); s.close()",
            str(db),
        ],
        stdout=subprocess.PIPE,
        text=True,
        env=ENV,
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "ok"
    return proc


def test_sixteen_readers_at_once_all_succeed(db: Path) -> None:
    command = [
        sys.executable, "-m", "metrics.cli", "indicadores", "--indicador", "tasa_reprobacion",
        "--formato", "csv", "--db", str(db),
    ]  # fmt: skip
    readers = [
        subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV
        )
        for _ in range(16)
    ]
    outputs = [r.communicate(timeout=900) for r in readers]
    assert [r.returncode for r in readers] == [0] * 16, [e for _, e in outputs]
    first = outputs[0][0]
    assert first.count("\n") > 1 and "tasa_reprobacion" in first
    assert all(out == first for out, _ in outputs)  # the same answer for all
    assert not any("en uso" in err for _, err in outputs)


def test_a_command_waits_for_a_writer_then_succeeds(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    holder = _holder(db, 2)
    try:
        start = time.monotonic()
        assert main(["info", "--db", str(db)]) == 0
        assert time.monotonic() - start >= 1.0
        out, err = capsys.readouterr()
        assert "Esperando la base de datos" in err
        assert "Establecimientos: 12" in out
    finally:
        holder.wait(timeout=30)


def test_a_wait_has_a_limit(
    db: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TABLERO_ESPERA", "1")
    holder = _holder(db, 6)
    try:
        with pytest.raises(StoreLockedError) as raised:
            open_store(db)
        assert "siguió ocupada" in raised.value.message
        assert main(["info", "--db", str(db)]) == 2
        assert "Base de datos en uso" in capsys.readouterr().err
    finally:
        holder.wait(timeout=30)


def test_the_dashboards_store_lets_go_and_sees_new_data(db: Path, tmp_path: Path) -> None:
    app = open_store(db, release_when_idle=True)  # as metrics.ui opens it
    try:
        assert app.info(Scope.all()).schools == 12  # it holds the file now
        version = app.data_version()
        start = time.monotonic()
        reader = subprocess.run(
            [sys.executable, "-m", "metrics.cli", "info", "--db", str(db)],
            capture_output=True,
            text=True,
            env=ENV,
            timeout=300,
        )
        assert reader.returncode == 0, reader.stderr
        # The app let go as soon as someone waited, not after its idle time.
        assert time.monotonic() - start < 30
        assert app.data_version() == version  # a reader changes nothing
        schools = tmp_path / "nuevos.csv"
        schools.write_text("rbd;nombre;comuna\n91001;Escuela Nueva;Aromo\n", encoding="utf-8")
        writer = subprocess.run(
            [sys.executable, "-m", "metrics.cli", "importar", str(schools), "--db", str(db)],
            capture_output=True,
            text=True,
            env=ENV,
            timeout=300,
        )
        assert writer.returncode == 0, writer.stderr
        assert app.data_version() != version  # the app's caches must go
        assert app.info(Scope.all()).schools == 13  # read again, no restart
    finally:
        app.close()


def _app_reader(db: Path) -> subprocess.Popen[str]:
    """Another dashboard process: it reads the store as metrics.ui opens it and keeps the file
    open (a query every 0,2 s) until its input closes; it prints the schools it sees each time
    the count changes."""
    code = (
        "import sys, time, threading\n"
        "from metrics.scope import Scope\n"
        "from metrics.store import open_store\n"
        "s = open_store(sys.argv[1], read_only=True, release_when_idle=True)\n"
        "stop = threading.Event()\n"
        "threading.Thread(target=lambda: (sys.stdin.read(), stop.set()), daemon=True).start()\n"
        "last = None\n"
        "while not stop.is_set():\n"
        "    n = s.info(Scope.all()).schools\n"
        "    if n != last:\n"
        "        print(n, flush=True)\n"
        "        last = n\n"
        "    time.sleep(0.2)\n"
        "s.close()\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code, str(db)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=ENV,
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "12"
    return proc


def test_dashboard_processes_read_together_and_one_of_them_writes(db: Path, tmp_path: Path) -> None:
    """Two dashboard processes read one store at once (neither waits for the other); when one
    writes (an audit record: what a sign-in does), it takes the exclusive turn for that write
    alone, the other lets go meanwhile, and both read the new data afterwards."""
    from metrics.store import audit

    other = _app_reader(db)
    app = open_store(db, read_only=True, release_when_idle=True)  # as metrics.ui opens it
    try:
        start = time.monotonic()
        for _ in range(10):  # the other process keeps the file open meanwhile
            assert app.info(Scope.all()).schools == 12
        assert time.monotonic() - start < 5  # shared: no turn-taking between readers
        assert app.read_only and not app._writing_now()
        version = app.data_version()

        audit.record(app, "prueba@tablero.test", "ingreso", {"metodo": "prueba"})
        deadline = time.monotonic() + 2  # given back once the write's cursors are done
        while app._writing_now() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not app._writing_now()
        assert app.data_version() == version  # its own write does not empty its caches

        schools = tmp_path / "nuevos.csv"
        schools.write_text("rbd;nombre;comuna\n91001;Escuela Nueva;Aromo\n", encoding="utf-8")
        writer = subprocess.run(
            [sys.executable, "-m", "metrics.cli", "importar", str(schools), "--db", str(db)],
            capture_output=True,
            text=True,
            env=ENV,
            timeout=300,
        )
        assert writer.returncode == 0, writer.stderr
        assert app.info(Scope.all()).schools == 13
        assert app.data_version() != version  # another process's import: caches must go
        assert other.stdout is not None and other.stdout.readline().strip() == "13"
        actions = app.query_df("SELECT action FROM audit_log ORDER BY id")["action"].tolist()
        assert "ingreso" in actions
    finally:
        app.close()
        other.communicate(input="", timeout=60)
    assert other.returncode == 0
