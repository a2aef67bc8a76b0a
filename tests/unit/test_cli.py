"""The `tablero` command: Spanish help and errors, --db, info, demo refusals."""

from __future__ import annotations

from pathlib import Path

import pytest

from metrics.cli import main
from metrics.config import resolve_db_path
from metrics.store import Store, open_store
from tests.conftest import SCHOOL_A, fill_school


def test_help_is_spanish(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--ayuda"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("uso: tablero")
    assert "comandos" in out and "muestra esta ayuda" in out
    assert "usage" not in out and "show this help" not in out


def test_unknown_command_fails_in_spanish(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["nada"]) == 2
    err = capsys.readouterr().err
    assert "opción no válida: 'nada'" in err


def test_info_counts_rows(store_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with open_store(store_path) as store:
        fill_school(store, SCHOOL_A, "a")
    assert main(["info", "--db", str(store_path)]) == 0
    out = capsys.readouterr().out
    assert "Establecimientos: 1" in out
    assert "Años con datos: 2024" in out
    assert "Cargas: 1" in out
    line = next(x for x in out.splitlines() if x.startswith("Resultados finales de estudiantes"))
    assert line.split()[-1] == "2"


def test_db_option_overrides_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TABLERO_DB", str(tmp_path / "env.duckdb"))
    assert resolve_db_path(None) == tmp_path / "env.duckdb"
    assert resolve_db_path(str(tmp_path / "cli.duckdb")) == tmp_path / "cli.duckdb"
    monkeypatch.delenv("TABLERO_DB")
    assert resolve_db_path(None) == Path("data/tablero.duckdb")
    assert main(["info", "--db", str(tmp_path / "cli.duckdb")]) == 0
    assert (tmp_path / "cli.duckdb").exists()
    assert not (tmp_path / "env.duckdb").exists()


def test_demo_refuses_a_store_with_data(
    store_path: Path, capsys: pytest.CaptureFixture[str], two_schools: Store
) -> None:
    before = two_schools.fingerprint()
    two_schools.close()
    assert main(["demo", "--db", str(store_path)]) == 2
    err = capsys.readouterr().err
    assert "ya contiene datos" in err and "--reemplazar" in err
    with open_store(store_path) as store:
        assert store.fingerprint() == before


def test_a_broken_database_is_a_message_not_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bogus = tmp_path / "x.duckdb"
    bogus.write_text("no soy una base de datos")
    assert main(["info", "--db", str(bogus)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("Error: Error en la base de datos.")
    assert "Traceback" not in err


def test_the_cli_starts_without_pandas_or_the_engine() -> None:
    """`tablero importar` of a CSV never needs pandas: the command modules import it (and the
    indicator engine, the packs) when a command runs, not when the CLI starts."""
    import subprocess
    import sys

    code = (
        "import sys, metrics.cli as c; c._load_commands(); "
        "heavy = ('pandas', 'metrics.engine.indicators', 'metrics.presentation.packs'); "
        "print(sorted(m for m in heavy "
        "if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_export_formats_are_the_packs_formats() -> None:
    from metrics.cli.exportar import FORMATS
    from metrics.presentation.export.slides import PACK_FORMATS

    assert tuple(PACK_FORMATS) == FORMATS


def test_a_reader_that_stops_early_gets_no_error_message(demo_db: Path, tmp_path: Path) -> None:
    """`tablero indicadores | head`: the pipe closes long before the output ends (the demo's
    JSON is megabytes); the command stops quietly, not with «Error inesperado (BrokenPipeError)».
    """
    import shutil
    import subprocess
    import sys

    db = tmp_path / "demo.duckdb"
    shutil.copy(demo_db, db)
    for suffix in (".key", ".audit"):
        if Path(f"{demo_db}{suffix}").exists():
            shutil.copy(f"{demo_db}{suffix}", f"{db}{suffix}")
    cmd = [sys.executable, "-c", "from metrics.cli import run; run()"]
    proc = subprocess.Popen(
        [*cmd, "indicadores", "--db", str(db), "--formato", "json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    assert proc.stdout.read(100)
    proc.stdout.close()
    err = proc.stderr.read().decode()
    proc.wait(timeout=120)
    assert "Error inesperado" not in err and "BrokenPipe" not in err
    assert proc.returncode == 2


def test_demo_is_an_extra_command_from_the_entry_point_group(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The product does not list `demo` (it may not import tablero_demo); the installed metadata
    registers it in `tablero.comandos`, and the CLI offers it like its own commands."""
    from importlib.metadata import entry_points

    from metrics.cli.common import COMMAND_MODULES, ENTRY_POINT_GROUP

    assert "demo" not in COMMAND_MODULES
    (ep,) = [e for e in entry_points(group=ENTRY_POINT_GROUP) if e.name == "demo"]
    assert ep.value == "tablero_demo.command"
    assert main(["demo", "--ayuda"]) == 0
    assert "--escala {slep,nacional}" in capsys.readouterr().out


def test_a_broken_extra_command_is_left_out_with_a_note(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """An extra command that cannot be imported does not stop `tablero`; one that takes the name
    of a built-in command does not replace it."""
    import importlib.metadata as md

    from metrics.cli.common import ENTRY_POINT_GROUP

    fake = [
        md.EntryPoint("roto", "tablero_no_existe.comando", ENTRY_POINT_GROUP),
        md.EntryPoint("info", "tablero_demo.command", ENTRY_POINT_GROUP),
    ]
    monkeypatch.setattr(
        md, "entry_points", lambda group: fake if group == ENTRY_POINT_GROUP else []
    )
    assert main(["--ayuda"]) == 0
    out, err = capsys.readouterr()
    assert "Aviso: no se pudo cargar el comando «roto» (tablero_no_existe.comando)" in err
    assert "roto" not in out
    assert "muestra qué contiene la base de datos" in out  # info is still the built-in one
    assert main(["nada"]) == 2
