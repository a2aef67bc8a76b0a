"""`tablero indicadores` and `tablero metas`: formats, Spanish errors, targets import/export."""

from __future__ import annotations

import argparse
import io
import json
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pandas as pd
import pytest

from metrics.cli import indicadores, main, metas
from metrics.cli.common import COMMAND_MODULES
from metrics.engine.indicators import OUTPUT_COLUMNS, TargetFileError
from metrics.errors import TableroError
from metrics.scope import Scope
from metrics.store import Store, open_store
from tests.unit.test_indicators import load_fixture

WIRED = {"indicadores", "metas"} <= set(COMMAND_MODULES)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "t.duckdb"
    with open_store(path) as store:
        load_fixture(store)
    return path


@pytest.fixture
def store(db: Path) -> Iterator[Store]:
    s = open_store(db)
    yield s
    s.close()


def call(module: ModuleType, store: Store, argv: list[str], scope: Scope | None = None) -> int:
    """Parse ``argv`` as `tablero <module>` does and run the command."""
    parser = argparse.ArgumentParser(prog=f"tablero {module.NAME}")
    module.add_arguments(parser)
    return int(module.run(parser.parse_args(argv), store, scope or Scope.all()))


def test_json_is_a_list_of_records(store: Store, capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        call(indicadores, store, ["--corte", "2024-06-30", "--indicador", "tasa_reprobacion"]) == 0
    )
    records = json.loads(capsys.readouterr().out)
    assert records and all(list(r) == list(OUTPUT_COLUMNS) for r in records)
    guide = next(r for r in records if r["alcance_id"] == "9" and r["periodo"] == "2024")
    assert guide["valor"] == 2.0 and guide["linea_base"] == 6.0 and guide["meta"] == 3.0
    assert guide["cambio"] == -4.0 and guide["cambio_pct"] == -66.6667
    assert guide["progreso"] == 133.3333 and guide["estado"] == "logrado"
    assert guide["n"] == 50 and guide["concluyente"] is False
    small = next(r for r in records if r["alcance_id"] == "c2" and r["periodo"] == "2024")
    assert small["estado"] == "suprimido" and small["valor"] is None and small["n"] is None


def test_filters_and_months(store: Store, capsys: pytest.CaptureFixture[str]) -> None:
    call(
        indicadores,
        store,
        ["--alcance", "comunidad", "--anio", "2024", "--corte", "2024-06-30"],
    )
    records = json.loads(capsys.readouterr().out)
    assert {r["alcance"] for r in records} == {"comunidad"}
    assert {r["periodo"][:4] for r in records} == {"2024"}
    assert "2024-04" in {r["periodo"] for r in records}
    call(indicadores, store, ["--alcance", "comunidad", "--solo-anual", "--corte", "2024-06-30"])
    assert all(len(r["periodo"]) == 4 for r in json.loads(capsys.readouterr().out))


def test_csv_for_excel_in_chile(store: Store, capsys: pytest.CaptureFixture[str]) -> None:
    call(
        indicadores,
        store,
        ["--formato", "csv", "--indicador", "tasa_reprobacion", "--corte", "2024-06-30"],
    )
    out = capsys.readouterr().out
    assert out.startswith("\ufeffindicador;momento;alcance;alcance_id;periodo;valor;")
    assert "tasa_reprobacion;impacto;establecimiento;9;2024;2,0;50;" in out
    df = pd.read_csv(io.StringIO(out.lstrip("\ufeff")), sep=";", decimal=",")
    guide = df[(df["alcance_id"].astype(str) == "9") & (df["periodo"].astype(str) == "2024")].iloc[
        0
    ]
    assert guide["cambio_pct"] == -66.6667 and guide["concluyente"] == "no"


def test_table_reads_as_spanish(store: Store, capsys: pytest.CaptureFixture[str]) -> None:
    call(
        indicadores,
        store,
        ["--formato", "tabla", "--indicador", "tasa_reprobacion", "--alcance", "establecimiento",
         "--anio", "2024", "--corte", "2024-06-30"],
    )  # fmt: skip
    out = capsys.readouterr().out
    assert out.splitlines()[0].split()[:2] == ["Indicador", "Alcance"]
    line = next(x for x in out.splitlines() if " 9 " in x)
    assert "2,0 %" in line and "6,0 % (2023)" in line and "3,0 % (2024)" in line
    assert "−4,0 pp" in line and "133 %" in line and "logrado" in line
    assert "suprimido" in next(x for x in out.splitlines() if " 2 " in x)


def test_output_to_a_file(store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "ind.csv"
    call(indicadores, store, ["--formato", "csv", "--salida", str(target), "--corte", "2024-06-30"])
    assert target.read_bytes().startswith(b"\xef\xbb\xbfindicador;")
    assert "filas en" in capsys.readouterr().out


def test_bad_date_is_refused_in_spanish(store: Store, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        call(indicadores, store, ["--corte", "30-06-2024"])
    assert "AAAA-MM-DD" in capsys.readouterr().err


# -- metas -----------------------------------------------------------------------------------------
def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_text(text, encoding=encoding)
    return path


def test_export_then_import_round_trip(store: Store, tmp_path: Path) -> None:
    out = tmp_path / "metas.csv"
    assert call(metas, store, ["exportar", "--salida", str(out)]) == 0
    text = out.read_text(encoding="utf-8-sig")
    assert text.splitlines()[0] == "indicador;alcance;alcance_id;meta;anio_limite;motivo"
    assert "tasa_reprobacion;establecimiento;9;3,0;2024;caso de la guía" in text
    before = store.query_df("SELECT * EXCLUDE (batch_id) FROM target ORDER BY ALL")
    assert call(metas, store, ["importar", str(out)]) == 0
    after = store.query_df("SELECT * EXCLUDE (batch_id) FROM target ORDER BY ALL")
    pd.testing.assert_frame_equal(before, after)


def test_import_writes_one_batch_and_replaces_or_deletes(
    store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    f = write(
        tmp_path / "m.csv",
        "indicador,alcance,alcance_id,meta,anio_limite,motivo\n"
        "tasa_reprobacion,establecimiento,9,2.5,2024,más exigente\n"  # replaces 3,0
        "participacion_activa,comunidad,c1,90,2025,\n"  # new
        "tasa_aprobacion,establecimiento,1,,2024,\n",  # deletes
    )
    assert call(metas, store, ["importar", str(f)]) == 0
    out = capsys.readouterr().out
    assert "2 guardadas, 1 eliminadas" in out
    batch = store.query_df(
        "SELECT id, kind, file_name, row_count FROM import_batch ORDER BY id DESC LIMIT 1"
    )
    assert batch["kind"][0] == "metas" and batch["file_name"][0] == "m.csv"
    rows = store.query_df("SELECT * FROM target WHERE batch_id = ?", [int(batch["id"][0])])
    assert len(rows) == 2
    assert (
        store.query_df("SELECT count(*) AS n FROM target WHERE indicator = 'tasa_aprobacion'")["n"][
            0
        ]
        == 0
    )
    guide = store.query_df("SELECT target_value FROM target WHERE scope_id = '9'")
    assert guide["target_value"].tolist() == [2.5]


def test_import_reports_every_error_with_row_and_column_and_writes_nothing(
    store: Store, tmp_path: Path
) -> None:
    before = store.query_df("SELECT count(*) AS n FROM target")["n"][0]
    f = write(
        tmp_path / "m.csv",
        "indicador;alcance;alcance_id;meta;anio_limite;motivo\n"
        "tasa_reprobacion;establecimiento;1;4,0;2025;bien\n"
        "tasa_magica;establecimiento;1;4,0;2025;\n"
        "tasa_reprobacion;escuela;1;4,0;2025;\n"
        "tasa_reprobacion;establecimiento;777;4,0;2025;\n"
        "tasa_reprobacion;comunidad;c1;cuatro;2025;\n"
        "tasa_reprobacion;comunidad;c1;140;25;\n",
        encoding="cp1252",
    )
    with pytest.raises(TargetFileError) as info:
        call(metas, store, ["importar", str(f)])
    issues = {(i.row, i.column) for i in info.value.issues}
    assert issues == {
        (3, "indicador"),
        (4, "alcance"),
        (5, "alcance_id"),
        (6, "meta"),
        (7, "meta"),
        (7, "anio_limite"),
    }
    assert "fila 3, columna «indicador»" in info.value.message
    assert store.query_df("SELECT count(*) AS n FROM target")["n"][0] == before


def test_target_on_the_wrong_side_of_the_baseline_is_kept_with_a_warning(
    store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # School 9's reprobación baseline is 6,0 % and lower is better: 8 % is the wrong side.
    f = write(
        tmp_path / "m.csv",
        "indicador;alcance;alcance_id;meta;anio_limite\n"
        "tasa_reprobacion;establecimiento;9;8;2026\n"
        "tasa_reprobacion;establecimiento;9;6;2027\n",
    )
    assert call(metas, store, ["importar", str(f)]) == 0
    out = capsys.readouterr().out
    assert "Advertencia: fila 2, columna «meta»" in out and "lado contrario" in out
    assert "Advertencia: fila 3" in out and "igual a la línea base" in out
    assert store.query_df("SELECT count(*) AS n FROM target WHERE scope_id = '9'")["n"][0] == 3


def test_import_refuses_scopes_the_user_cannot_see(store: Store, tmp_path: Path) -> None:
    f = write(
        tmp_path / "m.csv",
        "indicador;alcance;alcance_id;meta;anio_limite\ntasa_reprobacion;establecimiento;2;5;2025\n",
    )
    with pytest.raises(TargetFileError) as info:
        call(metas, store, ["importar", str(f)], scope=Scope.schools([1]))
    assert [(i.row, i.column) for i in info.value.issues] == [(2, "alcance_id")]


def test_import_errors_for_missing_file_and_columns(store: Store, tmp_path: Path) -> None:
    with pytest.raises(TableroError, match="No se encontró"):
        call(metas, store, ["importar", str(tmp_path / "no.csv")])
    f = write(tmp_path / "m.csv", "indicador;valor\nx;1\n")
    with pytest.raises(TableroError, match="Columnas desconocidas"):
        call(metas, store, ["importar", str(f)])


def test_baseline_years(store: Store, capsys: pytest.CaptureFixture[str]) -> None:
    assert call(metas, store, ["linea-base"]) == 0
    out = capsys.readouterr().out
    assert "Escuela A" in out and "año anterior a la primera comunidad" in out
    assert call(metas, store, ["linea-base", "--rbd", "1", "--anio", "2022"]) == 0
    assert "RBD 1: 2022" in capsys.readouterr().out
    assert (
        store.query_df("SELECT baseline_year FROM school WHERE rbd = 1")["baseline_year"][0] == 2022
    )
    call(metas, store, ["linea-base", "--rbd", "1", "--por-omision"])
    assert "RBD 1: 2023" in capsys.readouterr().out
    with pytest.raises(TableroError):
        call(metas, store, ["linea-base", "--rbd", "1", "--anio", "2022"], scope=Scope.schools([2]))


@pytest.mark.skipif(not WIRED, reason="metrics.cli does not list indicadores and metas yet")
def test_through_the_tablero_command(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(["indicadores", "--db", str(db), "--indicador", "tasa_reprobacion", "--anio", "2024"])
        == 0
    )
    assert json.loads(capsys.readouterr().out)
    assert main(["indicadores", "--db", str(db), "--alcance", "escuela"]) == 2
    assert main(["metas", "--db", str(db), "importar", str(db.parent / "nada.csv")]) == 2
    assert "No se encontró" in capsys.readouterr().err


def test_says_when_it_prepares_the_facts_after_an_import(
    store: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    """The first run after new data rebuilds the engine's facts and says so on stderr (stdout
    stays valid JSON); the next run has nothing to say."""
    from metrics.engine.indicators import facts_are_current

    assert not facts_are_current(store)
    assert call(indicadores, store, ["--anio", "2024"]) == 0
    first = capsys.readouterr()
    assert "Preparando los indicadores" in first.err
    assert json.loads(first.out)
    assert facts_are_current(store)
    assert call(indicadores, store, ["--anio", "2024"]) == 0
    assert "Preparando" not in capsys.readouterr().err


def test_one_school_or_territory_gives_the_same_rows_as_the_whole(
    store: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    """`--rbd 1`: Escuela A, its communities c1 and c2, and Comuna Uno (which holds it), each
    row equal to the whole run's; `--territorio comuna:9`: Escuela Guía and its comuna."""
    base = ["--corte", "2024-06-30", "--indicador", "tasa_reprobacion", "--solo-anual"]
    assert call(indicadores, store, base) == 0
    whole = {(r["alcance_id"], r["periodo"]): r for r in json.loads(capsys.readouterr().out)}
    assert call(indicadores, store, [*base, "--rbd", "1"]) == 0
    school = json.loads(capsys.readouterr().out)
    assert {r["alcance_id"] for r in school} == {"1", "c1", "c2", "comuna:1"}
    assert all(r == whole[(r["alcance_id"], r["periodo"])] for r in school)
    assert call(indicadores, store, [*base, "--territorio", "comuna:9"]) == 0
    territory = json.loads(capsys.readouterr().out)
    assert {r["alcance_id"] for r in territory} == {"9", "comuna:9"}
    assert all(r == whole[(r["alcance_id"], r["periodo"])] for r in territory)


def test_a_school_outside_the_scope_or_unknown_is_refused(store: Store) -> None:
    with pytest.raises(TableroError, match="No tiene acceso al establecimiento 2"):
        call(indicadores, store, ["--rbd", "2"], scope=Scope.schools([1]))
    with pytest.raises(TableroError, match="RBD 77"):
        call(indicadores, store, ["--rbd", "77"])
    with pytest.raises(TableroError, match="«slep:9»"):
        call(indicadores, store, ["--territorio", "slep:9"])
