"""`tablero exportar-datos --formato parquet`: every data table read back with DuckDB's
``read_parquet(..., hive_partitioning = true)`` equals the store's, partitioned as documented
(README «Más allá de un servidor»), without the tables that must never leave the server, on the
demo store, on a store built from the real public files (and the official Rendimiento format),
on one with communities and no results, and on an empty one; a second export to the same folder
is refused in Spanish, a failed one leaves nothing behind, and an export waits for a writer."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from metrics.cli import main
from metrics.config import staging_root
from metrics.store import open_store
from metrics.store import parquet as parquet_export
from metrics.store.parquet import MANIFEST, NULL_PARTITION, PLAN, TABLES
from metrics.store.users import save_user

ROOT = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
DATA = ROOT.parent / "shared" / "data"
DIRECTORY = DATA / "mineduc" / "directorio_oficial_ee_publico_2025.csv"
SIMCE = [DATA / "agencia" / f"simce4b{y}_rbd_final.xlsx" for y in (2022, 2023, 2024)]
RENDIMIENTO = ROOT / "tests" / "data" / "good" / "mineduc_rendimiento_2024_utf8.csv"
FIXTURE = ROOT / "tests" / "data" / "good" / "indicators"
COMMUNITY_TABLES = (
    "territory",
    "school",
    "school_territory",
    "community",
    "teacher",
    "teacher_year",
    "community_member",
    "activity",
    "session_attendance",
    "teacher_evaluation",
)

VILLA_LOURDES = 10171
"""ESCUELA PARTICULAR VILLA LOURDES: COD_REG_RBD 13 in the directory (Región Metropolitana).
SIMCE 4° básico 2022 in the Agencia's file: reading 58 students × 277, maths 60 × 273."""

LAYOUT = {
    "territory": (),
    "school": ("region",),
    "school_territory": ("region",),
    "community": ("region",),
    "teacher": (),
    "teacher_year": ("anio", "region"),
    "community_member": ("anio", "region"),
    "activity": ("anio", "region"),
    "session_attendance": ("anio", "region"),
    "survey_response": ("anio", "region"),
    "teacher_evaluation": ("anio", "region"),
    "student_result": ("anio", "region"),
    "student_attendance": ("anio", "region"),
    "standardized_test": ("anio", "region"),
    "dia_result": ("anio", "region"),
    "teaching_assignment": ("anio", "region"),
    "target": (),
    "indicator_fact": ("anio", "region"),
}
"""The partition folders each table gets, as the README documents them."""

NEVER_EXPORTED = (
    "app_user",
    "user_scope",
    "audit_log",
    "setting",
    "survey_mapping",
    "council_note",
    "import_batch",
    "schema_version",
    "indicator_fact_school",
    "indicator_fact_state",
)


def _copy_store(source: Path, target: Path) -> Path:
    target.write_bytes(source.read_bytes())
    for suffix in (".key", ".audit"):
        if Path(str(source) + suffix).exists():
            Path(str(target) + suffix).write_bytes(Path(str(source) + suffix).read_bytes())
    return target


def _load_fixture(db: Path, tables: tuple[str, ...]) -> None:
    """These tables of the indicator fixture, in one batch."""
    with open_store(db) as store, store.transaction() as cur:
        batch = store.new_batch(cur, kind="prueba", file_name="parcial", file_hash="x", actor="t")
        for table in tables:
            frame = pd.read_csv(FIXTURE / f"{table}.csv", sep=";", dtype=str, keep_default_na=False)
            store.insert_frame(cur, table, frame.astype(object).where(frame != "", None), batch)


@pytest.fixture(scope="module")
def stores(demo_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Path]]:
    base = tmp_path_factory.mktemp("exportar_datos")
    demo = _copy_store(demo_db, base / "demo.duckdb")
    with open_store(demo) as store:  # an account: its password hash must not leave
        save_user(
            store, email="ana@slep.cl", name="Ana", role="administrador", password_hash="$argon2$x"
        )
        save_user(
            store,
            email="dir@escuela.cl",
            name="Directora",
            role="directivo",
            password_hash=None,
            schools=[90001],
        )
    official = base / "official.duckdb"
    args = ["importar", "--db", str(official), str(DIRECTORY), *map(str, SIMCE)]
    assert main([*args, str(RENDIMIENTO)]) == 0
    communities = base / "communities.duckdb"
    _load_fixture(communities, COMMUNITY_TABLES)
    empty = base / "empty.duckdb"
    open_store(empty).close()
    yield {"demo": demo, "official": official, "communities": communities, "empty": empty}


def _export(db: Path, out: Path, *extra: str) -> int:
    return main(["exportar-datos", "--formato", "parquet", "--destino", str(out), "--db", str(db),
                 *extra])  # fmt: skip


def _back(out: Path, table: str) -> str:
    glob = str(out / table / "**" / "*.parquet").replace("'", "''")
    return f"read_parquet('{glob}', hive_partitioning = true)"


def _columns(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    rows = con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = ? "
        "AND table_schema = 'main' ORDER BY ordinal_position",
        [table],
    ).fetchall()
    return [r[0] for r in rows]


def _compare(db: Path, out: Path) -> dict[str, int]:
    """Every exported table's rows equal the store's (as multisets); the rows of each."""
    con = duckdb.connect(str(db), read_only=True)
    counts = {}
    try:
        for plan in PLAN:
            cols = [c for c in _columns(con, plan.table) if c not in plan.drop]
            mine = ", ".join(f'"{c}"' for c in cols)
            theirs = ", ".join(f'"{plan.rename.get(c, c)}"' for c in cols)
            store_rows = f"SELECT {mine} FROM {plan.table}"
            back_rows = f"SELECT {theirs} FROM {_back(out, plan.table)}"
            n_store = con.execute(f"SELECT count(*) FROM {plan.table}").fetchone()
            n_back = con.execute(f"SELECT count(*) FROM ({back_rows})").fetchone()
            assert n_store == n_back, plan.table
            for a, b in ((store_rows, back_rows), (back_rows, store_rows)):
                row = con.execute(f"SELECT count(*) FROM ({a} EXCEPT ALL {b})").fetchone()
                assert row == (0,), plan.table
            counts[plan.table] = int(n_store[0]) if n_store else 0
    finally:
        con.close()
    return counts


def _folders(out: Path, table: str) -> set[tuple[str, ...]]:
    """The partition folders holding a table's files, as tuples of ``key=value``."""
    return {f.parent.relative_to(out / table).parts for f in (out / table).rglob("*.parquet")}


def _check_export(db: Path, out: Path) -> dict[str, int]:
    counts = _compare(db, out)
    manifest = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    assert {p.name for p in out.iterdir()} == {*TABLES, MANIFEST}
    assert {t: m["filas"] for t, m in manifest["tablas"].items()} == counts
    with open_store(db, read_only=True) as store:
        assert manifest["esquema"] == store.schema_version()
    for table, keys in LAYOUT.items():
        assert manifest["tablas"][table]["particiones"] == list(keys)
        folders = _folders(out, table)
        assert manifest["tablas"][table]["archivos"] == len(list((out / table).rglob("*.parquet")))
        if counts[table] == 0 or not keys:  # one file with every column
            assert folders == {()}, table
            names = [r[0] for r in _read(f"DESCRIBE SELECT * FROM {_back(out, table)}")]
            assert set(keys) <= set(names), table
            continue
        assert all(tuple(p.split("=")[0] for p in f) == keys for f in folders), table
    for name in NEVER_EXPORTED:
        assert not (out / name).exists()
        assert name not in manifest["tablas"]
    return counts


def _read(sql: str) -> list[tuple[object, ...]]:
    con = duckdb.connect()
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_the_demo_export_reads_back_equal_and_partitioned(
    stores: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "exportacion"
    assert _export(stores["demo"], out) == 0
    stdout = capsys.readouterr().out
    counts = _check_export(stores["demo"], out)
    assert counts["student_attendance"] > 100_000 and counts["indicator_fact"] > 0
    # A progress line per table and a summary with the totals.
    for table, n in counts.items():
        assert f"  {table}: {n:,}".replace(",", ".") + " fila" in stdout
    total = f"{sum(counts.values()):,}".replace(",", ".")
    assert f"18 tablas, {total} filas" in stdout
    # Every demo school is in region 90: its years are the folders.
    con = duckdb.connect(str(stores["demo"]), read_only=True)
    years = {r[0] for r in con.execute("SELECT DISTINCT year FROM student_result").fetchall()}
    sessions = {
        r[0]
        for r in con.execute(
            "SELECT DISTINCT year(session_date) FROM session_attendance"
        ).fetchall()
    }
    con.close()
    assert _folders(out, "student_result") == {(f"anio={y}", "region=90") for y in years}
    assert _folders(out, "session_attendance") == {(f"anio={y}", "region=90") for y in sessions}
    assert _folders(out, "school") == {("region=90",)}
    # The keys read back are the row's year and its school's region.
    back = _back(out, "session_attendance")
    assert _read(f"SELECT count(*) FROM {back} WHERE anio <> year(session_date)") == [(0,)]
    assert _read(f"SELECT DISTINCT region FROM {_back(out, 'student_result')}") == [(90,)]
    # The teacher's name stays; the school's region name is renamed beside the key.
    teacher = _read(f"DESCRIBE SELECT * FROM {_back(out, 'teacher')}")
    assert [r[0] for r in teacher] == ["id", "batch_id"]
    school = [r[0] for r in _read(f"DESCRIBE SELECT * FROM {_back(out, 'school')}")]
    assert "nombre_region" in school and "region_code" in school and school[-1] == "region"
    # No file holds an account's password hash or e-mail.
    blob = b"".join(f.read_bytes() for f in out.rglob("*") if f.is_file())
    assert b"$argon2$x" not in blob and b"ana@slep.cl" not in blob
    # Owner only, as the store.
    assert (out.stat().st_mode & 0o077) == 0


def test_a_store_of_official_files_only(stores: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "oficial"
    assert _export(stores["official"], out) == 0
    counts = _check_export(stores["official"], out)
    assert counts["school"] > 16_000 and counts["community"] == 0
    # The directory's 16 regions are the school folders.
    assert _folders(out, "school") == {(f"region={r}",) for r in range(1, 17)}
    # Villa Lourdes's SIMCE 2022, from the Agencia's file, where the README says it is.
    part = out / "standardized_test" / "anio=2022" / "region=13"
    rows = _read(
        f"SELECT students_assessed, mean_score FROM read_parquet('{part}/*.parquet') "
        f"WHERE rbd = {VILLA_LOURDES} ORDER BY subject"
    )
    assert rows == [(58, 277.0), (60, 273.0)]
    # Students are pseudonyms: 'p' and 20 hex characters, never the MRUN of the file.
    ids = _read(f"SELECT student_id FROM {_back(out, 'student_result')}")
    assert len(ids) == counts["student_result"] == 11
    assert all(str(i[0]).startswith("p") and len(str(i[0])) == 21 for i in ids)
    assert all(int(str(i[0])[1:], 16) >= 0 for i in ids)
    mruns = pd.read_csv(RENDIMIENTO, sep=";", dtype=str)["MRUN"]
    assert not set(mruns) & {str(i[0]) for i in ids}
    # Communities: none, so one empty file with every column and both keys.
    assert _read(f"SELECT count(*) FROM {_back(out, 'community_member')}") == [(0,)]


def test_a_store_with_communities_and_no_results(stores: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "comunidades"
    assert _export(stores["communities"], out) == 0
    counts = _check_export(stores["communities"], out)
    assert counts["community"] > 0 and counts["session_attendance"] > 0
    assert counts["student_result"] == 0 and counts["standardized_test"] == 0
    con = duckdb.connect(str(stores["communities"]), read_only=True)
    expected = {
        (f"anio={y}", f"region={r}" if r is not None else f"region={NULL_PARTITION}")
        for y, r in con.execute(
            "SELECT DISTINCT year(a.session_date), s.region_code FROM session_attendance a "
            "JOIN community c ON c.id = a.community_id LEFT JOIN school s ON s.rbd = c.rbd"
        ).fetchall()
    }
    con.close()
    assert _folders(out, "session_attendance") == expected


def test_an_empty_store_exports_every_table_empty(stores: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "vacia"
    assert _export(stores["empty"], out) == 0
    assert set(_check_export(stores["empty"], out).values()) == {0}


def test_a_second_export_to_the_same_folder_is_refused(
    stores: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "exportacion"
    assert _export(stores["demo"], out, "--tablas", "school,target") == 0
    before = (out / MANIFEST).read_bytes()
    capsys.readouterr()
    assert _export(stores["demo"], out) == 2
    err = capsys.readouterr().err
    assert f"La carpeta {out} ya existe y no está vacía" in err and "--reemplazar" in err
    assert (out / MANIFEST).read_bytes() == before
    # --reemplazar replaces a previous export, whole.
    assert _export(stores["demo"], out, "--reemplazar", "--tablas", "teacher") == 0
    assert {p.name for p in out.iterdir()} == {"teacher", MANIFEST}
    assert list(json.loads((out / MANIFEST).read_text())["tablas"]) == ["teacher"]
    # ... and never a folder that is not one.
    other = tmp_path / "documentos"
    other.mkdir()
    (other / "informe.docx").write_bytes(b"x")
    capsys.readouterr()
    assert _export(stores["demo"], other, "--reemplazar") == 2
    assert "no contiene una exportación anterior" in capsys.readouterr().err
    assert [p.name for p in other.iterdir()] == ["informe.docx"]
    # An empty folder is fine.
    (tmp_path / "vacia").mkdir()
    assert _export(stores["demo"], tmp_path / "vacia", "--tablas", "school") == 0
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_unknown_format_and_table_are_refused_in_spanish(
    stores: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["exportar-datos", "--destino", str(tmp_path / "x"), "--db", str(stores["demo"])]
    assert main([*args, "--formato", "csv"]) == 2
    assert "formato «csv» no disponible: exportar-datos escribe solo parquet" in (
        capsys.readouterr().err
    )
    assert main([*args, "--formato", "parquet", "--tablas", "app_user"]) == 2
    assert "tabla desconocida: app_user" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


def test_a_failed_export_leaves_nothing_behind(
    stores: dict[str, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / "exportacion"
    assert _export(stores["demo"], out, "--tablas", "school") == 0
    before = (out / MANIFEST).read_bytes()
    real = parquet_export._write_table

    def failing(cur, plan, scope, folder):  # type: ignore[no-untyped-def]
        if plan.table == "student_result":
            raise OSError(28, "No queda espacio en el dispositivo")
        return real(cur, plan, scope, folder)

    monkeypatch.setattr(parquet_export, "_write_table", failing)
    work_before = set(staging_root().iterdir())
    for target, extra in ((tmp_path / "nueva", ()), (out, ("--reemplazar",))):
        assert _export(stores["demo"], target, *extra) == 2
        assert "No queda espacio en el dispositivo" in capsys.readouterr().err
    assert not (tmp_path / "nueva").exists()
    assert (out / MANIFEST).read_bytes() == before and {p.name for p in out.iterdir()} == {
        "school",
        MANIFEST,
    }
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]
    assert set(staging_root().iterdir()) <= work_before  # its work folder is gone too


def test_a_users_export_holds_only_their_schools(stores: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "directora"
    assert _export(stores["demo"], out, "--usuario", "dir@escuela.cl") == 0
    for table in ("school", "student_result", "survey_response", "indicator_fact"):
        assert _read(f"SELECT DISTINCT rbd FROM {_back(out, table)}") == [(90001,)], table
    con = duckdb.connect(str(stores["demo"]), read_only=True)
    mine = con.execute("SELECT count(*) FROM student_result WHERE rbd = 90001").fetchone()
    con.close()
    assert _read(f"SELECT count(*) FROM {_back(out, 'student_result')}") == [mine]
    manifest = json.loads((out / MANIFEST).read_text())
    assert manifest["alcance"] == "1 establecimientos visibles para quien exportó"


def test_an_export_waits_for_a_writer_and_sees_all_it_wrote(
    stores: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = _copy_store(stores["demo"], tmp_path / "tablero.duckdb")
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from metrics.store import open_store; s = open_store(sys.argv[1]);"
            'c = s.cursor(); c.execute("INSERT INTO school (rbd, name, region_code, batch_id) '
            "VALUES (99999, 'Escuela nueva', 7, 1)\"); c.close(); print('ok', flush=True); "
            "time.sleep(2); s.close()",
            str(db),
        ],
        stdout=subprocess.PIPE,
        text=True,
        env=ENV,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ok"
        start = time.monotonic()
        assert _export(db, tmp_path / "exportacion", "--tablas", "school") == 0
        assert time.monotonic() - start >= 1.0
        assert "Esperando la base de datos" in capsys.readouterr().err
    finally:
        holder.wait(timeout=60)
    part = tmp_path / "exportacion" / "school" / "region=7"
    assert _read(f"SELECT rbd, name FROM read_parquet('{part}/*.parquet')") == [
        (99999, "Escuela nueva")
    ]


def test_an_export_crosses_file_systems_whole(
    stores: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The staging area on another file system (a tmpfs): the export is copied beside the
    destination, then renamed into place."""
    shm = Path("/dev/shm")
    if not shm.is_dir() or shm.stat().st_dev == tmp_path.stat().st_dev:
        pytest.skip("no second file system here")
    scratch = Path(tempfile.mkdtemp(dir=shm))
    try:
        monkeypatch.setattr(tempfile, "tempdir", str(scratch))
        db = _copy_store(stores["demo"], tmp_path / "tablero.duckdb")
        assert staging_root().stat().st_dev != tmp_path.stat().st_dev
        assert _export(db, tmp_path / "exportacion", "--tablas", "school,student_result") == 0
        assert {p.name for p in (tmp_path / "exportacion").iterdir()} == {
            "school",
            "student_result",
            MANIFEST,
        }
        assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]
        con = duckdb.connect(str(db), read_only=True)
        expected = con.execute("SELECT count(*) FROM student_result").fetchone()
        con.close()
        back = _back(tmp_path / "exportacion", "student_result")
        assert _read(f"SELECT count(*) FROM {back}") == [expected]
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def test_arrow_reads_the_export_as_hive_partitioned_tables(
    stores: dict[str, Path], tmp_path: Path
) -> None:
    """A second reader, Apache Arrow (the Parquet and Hive conventions Spark and Trino follow):
    every table has the store's rows, and the keys are the folders' values."""
    import pyarrow.dataset as ds

    out = tmp_path / "exportacion"
    assert _export(stores["official"], out) == 0
    con = duckdb.connect(str(stores["official"]), read_only=True)
    counts = {t: con.execute(f"SELECT count(*) FROM {t}").fetchone() for t in TABLES}
    con.close()
    for table, keys in LAYOUT.items():
        data = ds.dataset(out / table, format="parquet", partitioning="hive").to_table()
        assert (data.num_rows,) == counts[table], table
        assert set(keys) <= set(data.column_names), table
    school = ds.dataset(out / "school", format="parquet", partitioning="hive").to_table()
    regions = {r.as_py() for r in school.column("region").unique()}
    assert regions == set(range(1, 17))
    simce = ds.dataset(out / "standardized_test", format="parquet", partitioning="hive")
    villa = simce.to_table(filter=(ds.field("rbd") == VILLA_LOURDES) & (ds.field("anio") == 2022))
    assert sorted(villa.column("students_assessed").to_pylist()) == [58, 60]
    assert set(villa.column("region").to_pylist()) == {13}


def test_what_a_killed_export_left_is_swept_by_the_next(
    stores: dict[str, Path], tmp_path: Path
) -> None:
    """A process killed while moving its export (``kill -9``) leaves hidden folders beside the
    destination: the next export removes them, and puts back a previous export it had set
    aside; a live process's folders stay."""
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    pid = int(dead.stdout)
    out = tmp_path / "exportacion"
    half = tmp_path / f".exportacion.{pid}-ab12.exportando"
    (half / "school").mkdir(parents=True)
    aside = tmp_path / f".exportacion.{pid}-ab12.anterior"
    assert _export(stores["demo"], aside, "--tablas", "target") == 0
    live = tmp_path / f".exportacion.{os.getpid()}-cd34.exportando"
    live.mkdir()
    # The destination is missing: the previous export comes back, then the new one is refused
    # over it (it is not empty) — nothing is lost.
    assert _export(stores["demo"], out, "--tablas", "school") == 2
    assert not half.exists() and not aside.exists() and live.exists()
    assert list(json.loads((out / MANIFEST).read_text())["tablas"]) == ["target"]
    assert _export(stores["demo"], out, "--tablas", "school", "--reemplazar") == 0
    assert live.exists()
