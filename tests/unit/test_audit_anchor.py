"""The audit log shows its own tail: each attack that verified as «íntegra» on a plain SHA-256
chain (delete the last rows, truncate, empty, rewrite with recomputed hashes, a gap in the ids,
the anchor deleted) is reported; old stores migrate (old rows by the old rule, then keyed)."""

from __future__ import annotations

import hashlib
import json
import os
import stat
from pathlib import Path

import duckdb
import pytest

from metrics.cli import main
from metrics.errors import StoreError
from metrics.store import Store, audit, open_store
from metrics.store.core import _migrate

ACTORS = ["ana@x.cl", "beto@x.cl", "carla@x.cl", "dani@x.cl", "eva@x.cl"]


def _fill(store: Store, n: int = 5) -> None:
    for i in range(n):
        audit.record(store, ACTORS[i % len(ACTORS)], "exportacion", {"archivo": f"{i}.csv"})


def _sql(store: Store, sql: str, params: list[object] | None = None) -> None:
    """What an attacker with the database file does: SQL straight on the table."""
    cur = store.cursor()
    try:
        cur.execute(sql, params or [])
    finally:
        cur.close()


def _plain(prev: str, row_id: int, logged_at: object, actor: str, action: str, detail: str) -> str:
    text = "\x1f".join([prev, str(row_id), logged_at.isoformat(), actor, action, detail])  # type: ignore[attr-defined]
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _rechain_plain(store: Store) -> None:
    """Recompute every row's hash by the public (unkeyed) rule, as an attacker can."""
    cur = store.cursor()
    rows = cur.execute(
        "SELECT id, logged_at, actor, action, detail FROM audit_log ORDER BY id"
    ).fetchall()
    prev = audit.GENESIS
    for row_id, logged_at, actor, action, detail in rows:
        h = _plain(prev, row_id, logged_at, actor, action, detail)
        cur.execute(
            "UPDATE audit_log SET prev_hash = ?, row_hash = ? WHERE id = ?", [prev, h, row_id]
        )
        prev = h
    cur.close()


@pytest.fixture
def log(store_path: Path) -> Store:
    store = open_store(store_path)
    _fill(store)
    assert audit.verify_chain(store).ok
    yield store  # type: ignore[misc]
    store.close()


def test_intact_log_verifies_and_names_its_anchor(log: Store, store_path: Path) -> None:
    check = audit.verify_chain(log)
    assert (check.ok, check.rows, check.keyed_rows) == (True, 5, 5)
    assert "íntegra" in check.message() and "tablero.duckdb.audit" in check.message()
    assert str(store_path.parent) not in check.message()  # no server path on screen
    anchor = store_path.with_name("tablero.duckdb.audit")
    assert stat.S_IMODE(os.stat(anchor).st_mode) == 0o600
    data = json.loads(anchor.read_text(encoding="utf-8"))
    assert (data["desde"], data["filas"], data["ultimo_id"]) == (1, 5, 5)
    assert data["ultimo_hash"] == check.last_hash


def test_deleting_the_last_row_is_detected(log: Store) -> None:
    _sql(log, "DELETE FROM audit_log WHERE id = 5")
    check = audit.verify_chain(log)
    assert not check.ok and check.problem == "final"
    assert "faltan registros al final" in check.message()
    assert "5 registros hasta el N° 5; la base tiene 4" in check.message()


def test_truncating_the_log_is_detected(log: Store) -> None:
    _sql(log, "DELETE FROM audit_log WHERE id >= 3")
    check = audit.verify_chain(log)
    assert not check.ok and check.problem == "final"


def test_emptying_the_log_is_detected(log: Store) -> None:
    _sql(log, "DELETE FROM audit_log")
    check = audit.verify_chain(log)
    assert not check.ok and check.problem == "final" and check.rows == 0


def test_rows_rewritten_with_recomputed_plain_hashes_are_detected(log: Store) -> None:
    _sql(log, "UPDATE audit_log SET actor = 'nadie@x.cl' WHERE id = 2")
    _rechain_plain(log)
    check = audit.verify_chain(log)
    assert not check.ok and check.problem == "fila" and check.first_bad_id == 1


def test_a_gap_in_the_ids_is_detected_even_with_valid_hashes(log: Store) -> None:
    """Someone holding the key deletes row 3 and re-signs the rest: the sequence says so."""
    key = audit._key_for_path(log.path)
    _sql(log, "DELETE FROM audit_log WHERE id = 3")
    cur = log.cursor()
    rows = cur.execute(
        "SELECT id, logged_at, actor, action, detail FROM audit_log ORDER BY id"
    ).fetchall()
    prev = audit.GENESIS
    for row_id, logged_at, actor, action, detail in rows:
        mac = audit._row_mac(key, prev, row_id, logged_at, actor, action, detail)
        cur.execute(
            "UPDATE audit_log SET prev_hash = ?, row_hash = ? WHERE id = ?", [prev, mac, row_id]
        )
        prev = mac
    cur.close()
    check = audit.verify_chain(log)
    assert not check.ok and check.problem == "secuencia" and check.first_bad_id == 4
    assert "falta el registro 3" in check.message()


def test_a_deleted_anchor_is_reported_and_reanchoring_is_recorded(
    log: Store, store_path: Path
) -> None:
    store_path.with_name("tablero.duckdb.audit").unlink()
    check = audit.verify_chain(log)
    assert not check.ok and check.problem == "sin_ancla"
    assert "--reanclar" in check.message()
    _fill(log, 1)  # a write does not quietly re-create it
    assert audit.verify_chain(log).problem == "sin_ancla"
    after = audit.reanchor(log, "cli:admin")
    assert after.ok and after.rows == 7
    (row,) = audit.read(log, audit_scope(), action="ancla_restablecida").to_dict("records")
    assert json.loads(row["detail"]) == {"anterior": "ninguna", "filas": 6, "ultimo_id": 6}


def test_an_edited_anchor_is_reported(log: Store, store_path: Path) -> None:
    anchor = store_path.with_name("tablero.duckdb.audit")
    data = json.loads(anchor.read_text(encoding="utf-8"))
    data["filas"], data["ultimo_id"] = 4, 4
    anchor.write_text(json.dumps(data), encoding="utf-8")
    _sql(log, "DELETE FROM audit_log WHERE id = 5")
    check = audit.verify_chain(log)
    assert not check.ok and check.problem == "ancla"


def test_reanchoring_refuses_an_altered_log(log: Store) -> None:
    _sql(log, "UPDATE audit_log SET actor = 'nadie@x.cl' WHERE id = 2")
    with pytest.raises(StoreError, match="registro 2"):
        audit.reanchor(log, "cli:admin")


def test_a_rolled_back_append_leaves_no_gap(log: Store) -> None:
    with pytest.raises(RuntimeError), log.write_lock, log.transaction() as cur:
        audit.append(cur, "ana@x.cl", "carga", {"archivo": "simulada.csv"})
        raise RuntimeError("dry run")
    _fill(log, 1)
    ids = log.query_df("SELECT id FROM audit_log ORDER BY id")["id"].tolist()
    assert ids == [1, 2, 3, 4, 5, 6]
    assert audit.verify_chain(log).ok


def test_an_anchor_left_behind_by_a_crash_still_verifies(
    log: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Killed between a commit and the anchor's update: the anchor is behind, never ahead, and
    the rows after it carry keyed hashes, which only the key holder can make."""
    monkeypatch.setattr(audit, "seal", lambda store: None)
    _fill(log, 2)
    assert audit.verify_chain(log).ok
    monkeypatch.undo()
    _fill(log, 1)  # the next write moves the anchor to the end again
    _sql(log, "DELETE FROM audit_log WHERE id = 8")
    assert audit.verify_chain(log).problem == "final"


def test_an_older_store_keeps_its_rows_and_continues_keyed(store_path: Path) -> None:
    """A store from before the keyed chain: its plain rows verify by the old rule, the anchor
    written on upgrade pins their end, and new rows are keyed."""
    con = duckdb.connect(str(store_path))
    _migrate(con, str(store_path), target=6)
    prev = audit.GENESIS
    for row_id, actor in ((1, "ana@x.cl"), (2, "beto@x.cl"), (4, "carla@x.cl")):  # 3: a dry run
        logged_at = __import__("datetime").datetime(2025, 3, row_id, 9, 0)
        h = _plain(prev, row_id, logged_at, actor, "salida", "{}")
        con.execute(
            "INSERT INTO audit_log VALUES (?, ?, ?, 'salida', '{}', ?, ?)",
            [row_id, logged_at, actor, prev, h],
        )
        prev = h
    con.close()
    with open_store(store_path) as store:
        check = audit.verify_chain(store)
        assert (check.ok, check.rows, check.keyed_rows) == (True, 3, 0)
        _fill(store, 2)
        check = audit.verify_chain(store)
        assert (check.ok, check.rows, check.keyed_rows) == (True, 5, 2)
        assert "3 anteriores a la firma verificados con la regla antigua" in check.message()
        assert "2 firmados" in check.message()
        assert store.query_df("SELECT id FROM audit_log ORDER BY id")["id"].tolist() == [
            1,
            2,
            4,
            5,
            6,
        ]
        _sql(store, "DELETE FROM audit_log WHERE id >= 5")  # the keyed rows
        assert audit.verify_chain(store).problem == "final"


def test_the_old_tail_is_pinned_on_upgrade(store_path: Path) -> None:
    con = duckdb.connect(str(store_path))
    _migrate(con, str(store_path), target=6)
    prev = audit.GENESIS
    for row_id in (1, 2):
        logged_at = __import__("datetime").datetime(2025, 3, row_id, 9, 0)
        h = _plain(prev, row_id, logged_at, "ana@x.cl", "salida", "{}")
        con.execute(
            "INSERT INTO audit_log VALUES (?, ?, 'ana@x.cl', 'salida', '{}', ?, ?)",
            [row_id, logged_at, prev, h],
        )
        prev = h
    con.close()
    with open_store(store_path):
        pass  # upgraded: anchored
    con = duckdb.connect(str(store_path))
    con.execute("DELETE FROM audit_log WHERE id = 2")
    con.close()
    with open_store(store_path) as store:
        assert audit.verify_chain(store).problem == "final"


def test_cli_verificar_reports_the_truncation(
    store_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with open_store(store_path) as store:
        _fill(store)
        _sql(store, "DELETE FROM audit_log WHERE id = 5")
    assert main(["auditoria", "--verificar", "--db", str(store_path)]) == 2
    out = capsys.readouterr().out
    assert "faltan registros al final" in out and "íntegra" not in out
    assert main(["auditoria", "--reanclar", "--db", str(store_path)]) == 0
    assert "íntegra" in capsys.readouterr().out
    assert main(["auditoria", "--verificar", "--db", str(store_path)]) == 0


def audit_scope():  # type: ignore[no-untyped-def]
    from metrics.scope import Scope

    return Scope.all()
