"""The keyed pseudonyms: key handling, and SQL pseudonyms equal to Python's in both schemes."""

from __future__ import annotations

import hashlib
import hmac
import stat
from pathlib import Path

import pytest

from metrics.pseudonym import (
    AMAC,
    ENV_KEY,
    HMAC,
    PseudonymKey,
    PseudonymKeyError,
    canonical_run,
    check_digit,
    key_path_for,
    load_key,
)
from metrics.store import loads as imports


def test_key_file_created_once_with_owner_only_permissions(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv(ENV_KEY, raising=False)
    db = tmp_path / "t.duckdb"
    first = load_key(db)
    path = key_path_for(db)
    assert path is not None and path.exists()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_key(db).key == first.key
    assert first.key.hex() not in db.read_bytes().hex() if db.exists() else True


def test_env_key_wins_and_is_validated(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv(ENV_KEY, "ab" * 32)
    assert load_key(tmp_path / "x.duckdb").key == bytes.fromhex("ab" * 32)
    assert not (tmp_path / "x.duckdb.key").exists()
    monkeypatch.setenv(ENV_KEY, "no-hex")
    with pytest.raises(PseudonymKeyError):
        load_key(tmp_path / "x.duckdb")


@pytest.mark.parametrize("key", [bytes(32), b"k" * 16, b"z" * 100])
def test_sql_pseudonyms_equal_python_ones_in_both_schemes(key: bytes) -> None:
    cur = imports.scratch_cursor()
    prefix = hashlib.sha256(b"tablero-dpd:amac-sha256:" + key).digest()
    for scheme in (AMAC, HMAC):
        k = PseudonymKey(key, scheme)
        q = imports._Q()
        expr = imports.pseudonym_sql(q, k, "?::VARCHAR")
        for message in ("run:12345678", "mrun:5001", "email:ana@example.org", "ñandú"):
            (got,) = cur.execute(f"SELECT {expr}", [*q.params, message]).fetchone()
            if scheme == HMAC:
                mac = hmac.new(key, message.encode(), hashlib.sha256).hexdigest()
            else:
                mac = hashlib.sha256(prefix + message.encode()).hexdigest()
            assert got == "p" + mac[:20]
            if ":" in message:
                assert got == k.pseudonym(*message.split(":", 1))


def test_the_schemes_give_different_pseudonyms_and_an_unknown_one_is_refused() -> None:
    key = bytes.fromhex("ab" * 32)
    amac, hmac_ = (PseudonymKey(key, s).pseudonym("mrun", "5001") for s in (AMAC, HMAC))
    assert amac != hmac_ and len(amac) == len(hmac_) == 21
    with pytest.raises(PseudonymKeyError, match="desconocido"):
        PseudonymKey(key, "md5").pseudonym("mrun", "5001")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12.345.678-5", ("12345678", "5")),
        ("12345678-5", ("12345678", "5")),
        ("123456785", ("12345678", "5")),
        ("9.876.543-k", ("9876543", "K")),
        ("abc", None),
        ("", None),
    ],
)
def test_canonical_run(text: str, expected: tuple[str, str] | None) -> None:
    assert canonical_run(text) == expected


@pytest.mark.parametrize(
    ("body", "dv"), [("12345678", "5"), ("1", "9"), ("2", "7"), ("11111111", "1"), ("9876543", "3")]
)
def test_check_digit(body: str, dv: str) -> None:
    assert check_digit(body) == dv


def test_sql_check_digit_matches_python() -> None:
    cur = imports.scratch_cursor()
    bodies = [str(n) for n in (1, 2, 3, 7, 13208, 12345678, 9876543, 20000000, 5, 6)]
    sql = imports._dv_sql("b")
    rows = cur.execute(f"SELECT b, {sql} FROM (SELECT UNNEST(?::VARCHAR[]) AS b)", [bodies])
    for body, dv in rows.fetchall():
        assert dv == check_digit(body)
