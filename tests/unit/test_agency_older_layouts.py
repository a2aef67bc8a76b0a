"""Older layouts of the Agencia's SIMCE files keep importing: a
`|`-separated `.txt` in Windows-1252 (as older years ship) and a 2014-style file that writes
the significance codes as words. Fixtures: tests/data/good (synthetic; see its README)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from metrics.engine.series import compute_series
from metrics.imports import RefusedFileError, import_file
from metrics.scope import Scope
from metrics.store import Store, open_store

GOOD = Path(__file__).resolve().parents[1] / "data" / "good"


@pytest.fixture
def older() -> Iterator[Store]:
    with open_store(":memory:") as store:
        import_file(store, GOOD / "agencia_simce4b2013_rbd.txt", actor="test")
        import_file(store, GOOD / "agencia_simce4b2014_rbd.csv", actor="test")
        yield store


def _row(df: pd.DataFrame, rbd: str, serie: str, year: str) -> dict[str, object]:
    hit = df[
        (df["indicador"] == "simce_puntaje")
        & (df["alcance_id"] == rbd)
        & (df["serie"] == serie)
        & (df["periodo"] == year)
    ]
    assert len(hit) == 1
    return dict(hit.iloc[0])


def test_a_bar_separated_windows_1252_txt_imports_as_it_comes(older: Store) -> None:
    schools = older.schools(Scope.all()).set_index("rbd")
    assert schools.loc[90002, "name"] == "LICEO SINTÉTICO"  # Windows-1252 read right
    df = compute_series(older, Scope.all(), alcance="establecimiento")
    first = _row(df, "90001", "4b lectura", "2013")
    assert (first["valor"], first["n"]) == (248, 30)
    withheld = _row(df, "90002", "4b lectura", "2013")
    assert pd.isna(withheld["valor"])
    assert withheld["marca"] == "La Agencia no publica el puntaje: muy pocos estudiantes evaluados."


def test_significance_written_as_words_reads_as_the_agencias_codes(older: Store) -> None:
    df = compute_series(older, Scope.all(), alcance="establecimiento")
    lect = _row(df, "90001", "4b lectura", "2014")
    # 248 → 262: the change of the same series, and the Agencia's own figures from words.
    assert (lect["valor"], lect["cambio_anterior"], lect["periodo_anterior"]) == (262, 14, "2013")
    assert (lect["dif_agencia"], lect["sig_agencia"]) == (14, 1)  # «Positiva y significativa»
    assert (lect["dif_gse"], lect["sig_gse"]) == (9, 0)  # «Similar»
    mate = _row(df, "90001", "4b matemática", "2014")
    assert (mate["valor"], mate["cambio_anterior"], mate["sig_agencia"]) == (236, -3, 0)
    assert (mate["dif_gse"], mate["sig_gse"]) == (-12, -1)  # «Más bajo»
    # The school withheld in 2013 has no change; its GSE verdict is «Significativamente más alto».
    other = _row(df, "90002", "4b matemática", "2014")
    assert pd.isna(other["cambio_anterior"]) and other["sig_gse"] == 1
    assert other["linea_base_provisional"] and other["periodo_base"] == "2014"


def test_an_unknown_word_is_refused_naming_row_and_column(older: Store) -> None:
    text = (GOOD / "agencia_simce4b2014_rbd.csv").read_text(encoding="utf-8")
    bad = text.replace("No significativa", "Quizás", 1)
    before = older.fingerprint()
    with pytest.raises(RefusedFileError) as info:
        import_file(older, bad.encode(), "simce4b2014_malo.csv", actor="test")
    issue = info.value.report.errors[0]
    assert (issue.row, issue.column.split(" ")[0], issue.value) == (
        2,
        "sigdif_mate4b_rbd",
        "Quizás",
    )
    assert "o su equivalente en palabras («positiva y significativa»" in issue.message
    assert older.fingerprint() == before
