"""The store: schema, migrations, reopening, batches, scope, locking, fingerprint."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from metrics.errors import SchemaVersionError, StoreError, StoreLockedError
from metrics.scope import Scope
from metrics.store import DATA_TABLES, LATEST_VERSION, SCOPED_READS, Store, open_store
from metrics.store.core import _migrate
from metrics.store.schema import UNDOABLE_TABLES
from tests.conftest import SCHOOL_A, SCHOOL_B, fill_school


def test_new_store_has_every_table_at_latest_version(empty_store: Store) -> None:
    assert empty_store.schema_version() == LATEST_VERSION
    tables = set(
        empty_store.query_df("SELECT table_name FROM information_schema.tables")["table_name"]
    )
    assert set(DATA_TABLES) | {"import_batch", "schema_version", "setting"} <= tables


def test_every_data_table_requires_a_batch_id(empty_store: Store) -> None:
    cols = empty_store.query_df(
        "SELECT table_name, is_nullable FROM information_schema.columns "
        "WHERE column_name = 'batch_id'"
    )
    # The data tables, and the records written in the app (each save a load too).
    assert set(cols["table_name"]) == set(UNDOABLE_TABLES)
    assert (cols["is_nullable"] == "NO").all()


def _older_store(store_path: Path, version: int, kind: str) -> None:
    """A database file at schema ``version`` holding one batch of ``kind``."""
    con = duckdb.connect(str(store_path))
    _migrate(con, str(store_path), target=version)
    con.execute(
        "INSERT INTO import_batch (kind, file_name, file_hash, actor) "
        "VALUES (?, 'x.csv', 'h', 'yo')",
        [kind],
    )
    con.close()


def test_older_file_is_upgraded_on_open(store_path: Path) -> None:
    _older_store(store_path, 1, "prueba")

    with open_store(store_path) as store:
        assert store.schema_version() == LATEST_VERSION
        # It held an import, so it keeps its pseudonym scheme (see the tests below).
        assert store.query_df("SELECT * FROM setting").values.tolist() == [
            ["pseudonym_scheme", "hmac-sha256"]
        ]
        assert store.query_df("SELECT file_name FROM import_batch")["file_name"].tolist() == [
            "x.csv"
        ]


def _scheme(store: Store) -> str:
    df = store.query_df("SELECT value FROM setting WHERE key = 'pseudonym_scheme'")
    return str(df["value"].iloc[0])


def test_a_new_store_uses_the_one_block_pseudonyms(empty_store: Store) -> None:
    assert _scheme(empty_store) == "amac-sha256"


@pytest.mark.parametrize(
    ("kind", "scheme"), [("demo", "amac-sha256"), ("resultados", "hmac-sha256")]
)
def test_an_upgraded_store_keeps_hmac_pseudonyms_when_it_held_imports(
    store_path: Path, kind: str, scheme: str
) -> None:
    _older_store(store_path, 5, kind)
    with open_store(store_path) as store:
        assert _scheme(store) == scheme


def test_an_upgraded_hmac_store_gives_a_student_the_pseudonym_they_had(
    store_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A store that held imports before the upgrade still pseudonymises with HMAC after it,
    so a student imported again gets the pseudonym HMAC gave them before."""
    from metrics.imports import import_file
    from metrics.pseudonym import AMAC, HMAC, PseudonymKey

    monkeypatch.setenv("TABLERO_KEY", "cd" * 32)
    key = bytes.fromhex("cd" * 32)
    _older_store(store_path, 5, "resultados")
    data = (
        b"anio;rbd;cod_ense;grado;letra;estudiante;promedio;situacion;asistencia\n"
        b"2025;101;110;2;A;12.345.678-5;5,5;P;90\n"
    )
    with open_store(store_path) as store:
        import_file(store, b"rbd;nombre\n101;Escuela\n", "e.csv", actor="t")  # what r.csv names
        import_file(store, data, "r.csv", actor="t")
        got = store.query_df("SELECT student_id FROM student_result")["student_id"].tolist()
    assert got == [PseudonymKey(key, HMAC).pseudonym("run", "12345678")]
    assert got != [PseudonymKey(key, AMAC).pseudonym("run", "12345678")]


def test_newer_file_is_refused_in_spanish_and_left_untouched(store_path: Path) -> None:
    open_store(store_path).close()
    con = duckdb.connect(str(store_path))
    con.execute("UPDATE schema_version SET version = ?", [LATEST_VERSION + 1])
    con.close()
    before = store_path.read_bytes()

    with pytest.raises(SchemaVersionError) as err:
        open_store(store_path)
    assert "versión más nueva de Tablero DPD" in err.value.message
    assert store_path.read_bytes() == before


def test_reopening_keeps_every_row(store_path: Path) -> None:
    with open_store(store_path) as store:
        fill_school(store, SCHOOL_A, "a")
        before = store.fingerprint()
        rows = store.info(Scope.all()).rows
    with open_store(store_path) as store:
        assert store.fingerprint() == before
        assert store.info(Scope.all()).rows == rows
        assert rows["student_result"] == 2


def test_new_store_file_is_private(store_path: Path) -> None:
    open_store(store_path).close()
    assert store_path.stat().st_mode & 0o077 == 0


def test_batches_get_increasing_ids_and_count_their_rows(empty_store: Store) -> None:
    first = fill_school(empty_store, SCHOOL_A, "a")
    second = fill_school(empty_store, SCHOOL_B, "b")
    assert second == first + 1
    batches = empty_store.batches(Scope.all())
    assert batches.set_index("id").loc[first, "row_count"] == 19  # conftest._rows_for
    for table in DATA_TABLES:
        ids = set(empty_store.query_df(f"SELECT DISTINCT batch_id FROM {table}")["batch_id"])
        assert ids == {first, second}, table


def test_failed_transaction_leaves_store_as_it_was(two_schools: Store) -> None:
    before = two_schools.fingerprint()
    bad = pd.DataFrame(
        {
            "year": [2024],
            "rbd": [SCHOOL_A],
            "cod_ense": [110],
            "grade": [1],
            "letter": ["A"],
            "student_id": ["x"],
            "final_situation": ["Z"],
        }
    )
    with pytest.raises(duckdb.ConstraintException), two_schools.transaction() as cur:
        batch = two_schools.new_batch(cur, kind="x", file_name="x", file_hash="x", actor="x")
        two_schools.insert_frame(cur, "student_result", bad, batch)
    assert two_schools.fingerprint() == before


def test_insert_into_unknown_table_is_refused(empty_store: Store) -> None:
    with pytest.raises(StoreError), empty_store.transaction() as cur:
        empty_store.insert_frame(cur, "import_batch", pd.DataFrame({"x": [1]}), 1)


def test_fingerprint_changes_with_data(empty_store: Store) -> None:
    empty = empty_store.fingerprint()
    fill_school(empty_store, SCHOOL_A, "a")
    assert empty_store.fingerprint() != empty


def _call_read(store: Store, name: str, scope: Scope) -> object:
    method = getattr(store, name)
    if name == "headline_counts":
        return method(scope, None)
    return method(scope)


def _size(result: object) -> int:
    if result is None:
        return 0
    if isinstance(result, int):
        return 1
    if isinstance(result, pd.DataFrame | list):
        return len(result)
    if isinstance(result, dict):
        return sum(result.values())
    return sum(result.rows.values()) + result.batches  # type: ignore[attr-defined]


@pytest.mark.parametrize("name", SCOPED_READS)
def test_every_read_denies_an_empty_scope(two_schools: Store, name: str) -> None:
    assert _size(_call_read(two_schools, name, Scope.nobody())) == 0


@pytest.mark.parametrize("name", SCOPED_READS)
def test_every_read_sees_all_with_full_scope(two_schools: Store, name: str) -> None:
    assert _size(_call_read(two_schools, name, Scope.all())) > 0


def test_school_scope_shows_only_that_school(two_schools: Store) -> None:
    scope = Scope.schools([SCHOOL_A])
    info = two_schools.info(scope)
    full = two_schools.info(Scope.all())
    for table, rows in info.rows.items():
        assert rows * 2 == full.rows[table], table
    assert two_schools.schools(scope)["rbd"].tolist() == [SCHOOL_A]
    assert two_schools.communities(scope)["id"].tolist() == ["c-a"]
    assert two_schools.territories(scope)["id"].tolist() == [f"comuna:{SCHOOL_A}"]
    assert two_schools.headline_counts(scope, 2024) == {
        "schools": 1,
        "communities": 1,
        "teachers": 1,
        "novices": 1,
        "students": 2,
    }
    assert two_schools.batches(scope)["file_name"].tolist() == ["a.csv"]
    assert two_schools.years(scope) == [2024]


def test_scope_values_are_bound_not_spliced(two_schools: Store) -> None:
    # An RBD set can never inject SQL: it is an integer list bound as a parameter.
    with pytest.raises(ValueError):
        Scope.schools(["101; DROP TABLE school"])


def test_locked_file_gives_a_spanish_error(store_path: Path) -> None:
    open_store(store_path).close()
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('ok', flush=True);"
            " time.sleep(30)",
            str(store_path),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ok"
        with pytest.raises(StoreLockedError) as err:
            open_store(store_path)
        assert "abierta por otro proceso" in err.value.message
    finally:
        holder.kill()
        holder.wait()
    time.sleep(0.1)
    open_store(store_path).close()


def test_a_folder_is_not_a_database(tmp_path: Path) -> None:
    with pytest.raises(StoreError):
        open_store(tmp_path)


def test_a_file_that_is_not_duckdb_is_refused(tmp_path: Path) -> None:
    bogus = tmp_path / "x.duckdb"
    bogus.write_text("AGNO;RBD\n2024;1\n")
    with pytest.raises(StoreError) as err:
        open_store(bogus)
    assert "no es una base de datos" in err.value.message
