"""`tablero respaldo`: a backup taken beside another process, verified, restored table by table,
and the pseudonym key never in the clear."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from metrics.cli import main
from metrics.store.backup import MANIFEST, SEALED_KEY

ROOT = Path(__file__).resolve().parents[2]
PHRASE = "una frase de paso bien larga"


def _every_table(db: Path) -> dict[str, list[tuple[object, ...]]]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        names = [
            r[0]
            for r in con.execute(
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_schema = 'main' AND table_type = 'BASE TABLE'"
            ).fetchall()
        ]
        return {n: con.execute(f'SELECT * FROM "{n}" ORDER BY ALL').fetchall() for n in names}
    finally:
        con.close()


@pytest.fixture
def db(demo_db: Path, tmp_path: Path) -> Path:
    path = tmp_path / "sitio" / "tablero.duckdb"
    path.parent.mkdir()
    path.write_bytes(demo_db.read_bytes())
    for suffix in (".key", ".audit"):
        if Path(str(demo_db) + suffix).exists():
            Path(str(path) + suffix).write_bytes(Path(str(demo_db) + suffix).read_bytes())
    return path


def _folder(out: str) -> Path:
    line = next(x for x in out.splitlines() if x.startswith("Respaldo creado en "))
    return Path(line.removeprefix("Respaldo creado en ").split(" (")[0])


def test_a_restore_brings_back_every_table(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = _every_table(db)
    assert (
        main(["respaldo", "crear", "--destino", str(tmp_path / "respaldos"), "--db", str(db)]) == 0
    )
    out, err = capsys.readouterr()
    folder = _folder(out)
    assert "NO va en el respaldo" in err
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert all(stat.S_IMODE(f.stat().st_mode) == 0o600 for f in folder.iterdir())
    key_hex = Path(str(db) + ".key").read_text().strip()
    for f in folder.iterdir():  # the key is in no file of the backup
        assert (
            key_hex.encode() not in f.read_bytes() and bytes.fromhex(key_hex) not in f.read_bytes()
        )

    # The store changes: two new schools and an account.
    schools = tmp_path / "nuevos.csv"
    schools.write_text("rbd;nombre;comuna\n91001;Escuela Nueva;Aromo\n91002;Liceo B;Aromo\n")
    assert main(["importar", str(schools), "--db", str(db)]) == 0
    changed = _every_table(db)
    assert len(changed["school"]) == len(before["school"]) + 2
    assert changed != before

    assert main(["respaldo", "verificar", str(folder), "--db", str(db)]) == 0
    assert main(["respaldo", "restaurar", str(folder), "--db", str(db)]) == 0
    after = _every_table(db)
    assert after.keys() == before.keys()
    for table in before:
        assert after[table] == before[table], table
    # The restored store opens and its audit log still verifies against its anchor.
    assert main(["auditoria", "--verificar", "--db", str(db)]) == 0


def test_a_changed_backup_is_refused(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["respaldo", "crear", "--destino", str(tmp_path), "--db", str(db)])
    folder = _folder(capsys.readouterr().out)
    copy = folder / "tablero.duckdb"
    data = bytearray(copy.read_bytes())
    data[len(data) // 2] ^= 0xFF
    copy.write_bytes(bytes(data))
    original = db.read_bytes()
    assert main(["respaldo", "verificar", str(folder), "--db", str(db)]) == 2
    assert "cambió" in capsys.readouterr().err
    assert main(["respaldo", "restaurar", str(folder), "--db", str(db)]) == 2
    assert "no está íntegro" in capsys.readouterr().err
    assert db.read_bytes() == original


def test_the_key_travels_only_sealed(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    key_hex = Path(str(db) + ".key").read_text().strip()
    monkeypatch.setenv("TABLERO_FRASE_RESPALDO", PHRASE)
    args = ["respaldo", "crear", "--destino", str(tmp_path), "--incluir-clave", "--db", str(db)]
    assert main(args) == 0
    folder = _folder(capsys.readouterr().out)
    sealed = (folder / SEALED_KEY).read_bytes()
    assert bytes.fromhex(key_hex) not in sealed and key_hex.encode() not in sealed
    assert b'"clave_incluida": true' in (folder / MANIFEST).read_bytes()

    # On a new server: no key there; a wrong phrase writes nothing, the right one restores it.
    elsewhere = tmp_path / "nuevo" / "tablero.duckdb"
    monkeypatch.setenv("TABLERO_FRASE_RESPALDO", "otra frase cualquiera")
    assert main(["respaldo", "restaurar", str(folder), "--db", str(elsewhere)]) == 2
    assert "no abre la clave" in capsys.readouterr().err
    assert not elsewhere.exists() and not Path(str(elsewhere) + ".key").exists()
    monkeypatch.setenv("TABLERO_FRASE_RESPALDO", PHRASE)
    assert main(["respaldo", "restaurar", str(folder), "--db", str(elsewhere)]) == 0
    restored_key = Path(str(elsewhere) + ".key")
    assert restored_key.read_text().strip() == key_hex
    assert stat.S_IMODE(restored_key.stat().st_mode) == 0o600
    assert _every_table(elsewhere) == _every_table(db)


def test_without_the_key_nothing_is_restored(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["respaldo", "crear", "--destino", str(tmp_path), "--db", str(db)])
    folder = _folder(capsys.readouterr().out)
    elsewhere = tmp_path / "nuevo" / "tablero.duckdb"
    assert main(["respaldo", "restaurar", str(folder), "--db", str(elsewhere)]) == 2
    assert "archivo .key guardado aparte" in capsys.readouterr().err
    assert not elsewhere.exists()
    # Another store's key: restoring would mix pseudonyms of two keys.
    elsewhere.parent.mkdir(exist_ok=True)
    Path(str(elsewhere) + ".key").write_text("ab" * 32 + "\n")
    assert main(["respaldo", "restaurar", str(folder), "--db", str(elsewhere)]) == 2
    assert "no es la del respaldo" in capsys.readouterr().err
    assert not elsewhere.exists()


def test_a_backup_waits_for_a_writer_and_succeeds(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from metrics.store import open_store; s = open_store(sys.argv[1]);"
            " print('ok', flush=True); time.sleep(2); s.close()",
            str(db),
        ],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ok"
        start = time.monotonic()
        assert main(["respaldo", "crear", "--destino", str(tmp_path), "--db", str(db)]) == 0
        assert time.monotonic() - start >= 1.0  # it waited for the writer
        out, err = capsys.readouterr()
        assert "Esperando la base de datos" in err
        assert main(["respaldo", "verificar", str(_folder(out)), "--db", str(db)]) == 0
    finally:
        holder.wait(timeout=30)
