"""`tablero importar`, `tablero plantilla`, `tablero cargas` through metrics.cli.main."""

from __future__ import annotations

from pathlib import Path

import pytest

from metrics import cli
from metrics.store import open_store

ROOT = Path(__file__).resolve().parents[2]
GOOD = ROOT / "tests" / "data" / "good"
BAD = ROOT / "tests" / "data" / "bad"
DIRECTORY = ROOT.parent / "shared" / "data" / "mineduc" / "directorio_oficial_ee_publico_2025.csv"


@pytest.fixture(autouse=True)
def _commands(monkeypatch: pytest.MonkeyPatch) -> None:
    modules = tuple(dict.fromkeys((*cli.COMMAND_MODULES, "importar", "plantilla", "cargas")))
    monkeypatch.setattr(cli, "COMMAND_MODULES", modules)
    monkeypatch.setenv("TABLERO_KEY", "cd" * 32)


def test_importar_good_files_exit_0(store_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = cli.main(
        [
            "importar",
            str(GOOD / "mineduc_rendimiento_2024_utf8.csv"),
            str(GOOD / "agencia_simce8b2024_rbd.csv"),
            "--db",
            str(store_path),
            "--actor",
            "ana",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0, out
    assert "11 filas (11 nuevas, 0 reemplazadas)" in out
    assert "Carga número 1" in out and "Carga número 2" in out
    code = cli.main(["cargas", "--db", str(store_path)])
    out = capsys.readouterr().out
    assert code == 0 and "mineduc_rendimiento_2024_utf8.csv" in out and "ana" in out


def test_importar_refused_file_exit_2_names_file_row_column(
    store_path: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    with open_store(store_path) as store:
        before = store.fingerprint()
    code = cli.main(
        [
            "importar",
            str(BAD / "nota_fuera_de_rango.csv"),
            str(GOOD / "agencia_simce8b2024_rbd.csv"),
            "--db",
            str(store_path),
            "--informe",
            str(tmp_path / "informes"),
        ]
    )
    captured = capsys.readouterr()
    assert code == 2
    assert "nota_fuera_de_rango.csv, fila 3, columna promedio (G)" in captured.err
    assert "1 de 2 archivo(s) rechazado(s)" in captured.err
    assert (tmp_path / "informes" / "nota_fuera_de_rango_errores.xlsx").exists()
    with open_store(store_path) as store:
        # The good file went in; the bad one changed nothing.
        assert store.query_df("SELECT count(*) AS n FROM student_result")["n"][0] == 0
        assert store.fingerprint() != before


def test_importar_format_error_exit_2(store_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = cli.main(["importar", str(BAD / "binario.csv"), "--db", str(store_path)])
    assert code == 2
    assert "binario.csv, fila 1, columna A" in capsys.readouterr().err


def test_simular_and_forms_mapping(
    store_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The answers name school 90001: the school file of the same command goes in first (even
    # simulated, it is what the survey may point at).
    school = tmp_path / "escuela.csv"
    school.write_text("rbd;nombre\n90001;Escuela\n", encoding="utf-8")
    args = [
        "importar",
        str(GOOD / "google_forms_docentes.csv"),
        str(school),
        "--mapeo",
        str(GOOD / "google_forms_docentes_mapeo.csv"),
        "--ola",
        "línea base",
        "--db",
        str(store_path),
    ]
    assert cli.main([*args, "--simular"]) == 0
    assert "Simulación: no se guardó nada" in capsys.readouterr().out
    with open_store(store_path) as store:
        assert store.query_df("SELECT count(*) AS n FROM survey_response")["n"][0] == 0
    assert cli.main(args) == 0
    assert "12 filas (12 nuevas" in capsys.readouterr().out


def test_cargas_deshacer(store_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["importar", str(DIRECTORY), "--db", str(store_path)]) == 0
    capsys.readouterr()
    assert cli.main(["cargas", "--deshacer", "1", "--db", str(store_path)]) == 0
    out = capsys.readouterr().out
    assert "Carga 1 deshecha" in out and "16.768 filas quitadas" in out
    assert cli.main(["cargas", "--deshacer", "1", "--db", str(store_path)]) == 2
    assert "ya fue deshecha" in capsys.readouterr().err
    with open_store(store_path) as store:
        assert store.query_df("SELECT count(*) AS n FROM school")["n"][0] == 0


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_plantilla(tmp_path: Path, fmt: str, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / f"t.{fmt}"
    db = tmp_path / "no_se_crea.duckdb"
    code = cli.main(
        ["plantilla", "cronograma", "--formato", fmt, "--salida", str(target), "--db", str(db)]
    )
    assert code == 0 and target.exists() and not db.exists()
    assert "Cronograma" in capsys.readouterr().out
    if fmt == "csv":
        assert target.read_bytes().startswith(b"\xef\xbb\xbfid_actividad;id_comunidad;tipo")
