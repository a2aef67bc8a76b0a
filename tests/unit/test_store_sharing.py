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
