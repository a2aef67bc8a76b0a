"""Autoevaluación and retroalimentación de pares (the guide's Antes sources), computed by hand on
a small store: one school (baseline year 2023) and one community (members ta and tb in 2024; in
2023, before it existed, it stands for them too).

Scores (one per MBE domain):

==========  ====  ===========================  =========================
teacher     year  autoevaluación               retroalimentación de pares
==========  ====  ===========================  =========================
ta          2023  2, 3                         –
tb          2023  –                            2
ta          2024  3, 4                         3
tb          2024  3                            4
tc          2024  1                            2
==========  ====  ===========================  =========================

plus an *observación de aula* of ta in 2024 (1), which belongs to ``desempeno_docente`` only.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import date

import pandas as pd
import pytest

from metrics.engine import compute
from metrics.engine.indicators import compute_indicators
from metrics.scope import Scope
from metrics.store import Store, open_store

SELF = "autoevaluacion_docente"
PEER = "retroalimentacion_pares"


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> Iterator[pd.DataFrame]:
    store: Store = open_store(tmp_path_factory.mktemp("eval") / "eval.duckdb")
    ev = [
        ("ta", "2023-05-10", "autoevaluación", "A", 2),
        ("ta", "2023-05-10", "autoevaluación", "B", 3),
        ("tb", "2023-06-02", "retroalimentación de pares", "C", 2),
        ("ta", "2024-05-10", "autoevaluación", "A", 3),
        ("ta", "2024-05-10", "autoevaluación", "B", 4),
        ("tb", "2024-05-20", "autoevaluación", "A", 3),
        ("tc", "2024-06-03", "autoevaluación", "A", 1),
        ("ta", "2024-06-12", "retroalimentación de pares", "C", 3),
        ("tb", "2024-06-12", "retroalimentación de pares", "D", 4),
        ("tc", "2024-06-14", "retroalimentación de pares", "D", 2),
        ("ta", "2024-07-01", "observación de aula", "B", 1),
    ]
    frames = {
        "school": pd.DataFrame(
            {"rbd": [10], "name": ["Escuela E"], "comuna": ["Diez"], "baseline_year": [2023]}
        ),
        "community": pd.DataFrame(
            {
                "id": ["k1"],
                "rbd": [10],
                "name": ["Comunidad E"],
                "kind": ["comunidad de práctica"],
                "start_date": [date(2024, 3, 1)],
            }
        ),
        "teacher": pd.DataFrame({"id": ["ta", "tb", "tc"], "name": ["A", "B", "C"]}),
        "community_member": pd.DataFrame(
            {"year": [2024, 2024], "community_id": ["k1", "k1"], "teacher_id": ["ta", "tb"]}
        ),
        "teacher_evaluation": pd.DataFrame(
            [(t, 10, date.fromisoformat(d), i, dom, s) for t, d, i, dom, s in ev],
            columns=["teacher_id", "rbd", "eval_date", "instrument", "domain", "score"],
        ),
    }
    with store.transaction() as cur:
        batch = store.new_batch(cur, kind="prueba", file_name="e", file_hash="e", actor="t")
        for table, frame in frames.items():
            store.insert_frame(cur, table, frame, batch)
    yield compute_indicators(store, Scope.all(), corte=date(2024, 12, 31))
    store.close()


def one(df: pd.DataFrame, code: str, kind: str, sid: str, period: str) -> pd.Series:
    hit = df[
        (df["indicador"] == code)
        & (df["alcance"] == kind)
        & (df["alcance_id"] == sid)
        & (df["periodo"] == period)
    ]
    assert len(hit) == 1, (code, kind, sid, period, len(hit))
    return hit.iloc[0]


def test_self_evaluation_of_the_school_against_its_baseline(results: pd.DataFrame) -> None:
    r = one(results, SELF, "establecimiento", "10", "2024")
    # 3 + 4 + 3 + 1 = 11 over 4 scores; baseline 2023: (2 + 3) / 2.
    assert r["valor"] == pytest.approx(2.75) and r["n"] == 4
    assert r["linea_base"] == pytest.approx(2.5) and r["periodo_base"] == "2023"
    assert r["cambio"] == pytest.approx(0.25)
    assert r["momento"] == "resultados"
    # Welch: sample variances 4.75 / 3 (n 4) and 0.5 (n 2).
    lo, hi = compute.welch(2.75, 4.75 / 3, 4, 2.5, 0.5, 2)
    assert r["ic_inferior"] == pytest.approx(lo) and r["ic_superior"] == pytest.approx(hi)


def test_self_evaluation_of_the_community_is_its_members(results: pd.DataFrame) -> None:
    # ta (3, 4) and tb (3) in 2024; in 2023 the community stands for them: ta (2, 3).
    r = one(results, SELF, "comunidad", "k1", "2024")
    assert r["valor"] == pytest.approx(10 / 3) and r["n"] == 3
    assert r["linea_base"] == pytest.approx(2.5)


def test_peer_feedback(results: pd.DataFrame) -> None:
    school = one(results, PEER, "establecimiento", "10", "2024")
    assert school["valor"] == pytest.approx(3.0) and school["n"] == 3  # (3 + 4 + 2) / 3
    assert school["linea_base"] == pytest.approx(2.0) and school["cambio"] == pytest.approx(1.0)
    community = one(results, PEER, "comunidad", "k1", "2024")
    assert community["valor"] == pytest.approx(3.5) and community["n"] == 2  # ta 3, tb 4
    assert community["linea_base"] == pytest.approx(2.0)  # tb's 2 of 2023
    # Monthly rows too (a Resultados indicator): June 2024 holds all three.
    june = one(results, PEER, "establecimiento", "10", "2024-06")
    assert june["valor"] == pytest.approx(3.0) and june["n"] == 3


def test_other_instruments_stay_out(results: pd.DataFrame) -> None:
    obs = one(results, "desempeno_docente", "establecimiento", "10", "2024")
    assert obs["valor"] == pytest.approx(1.0) and obs["n"] == 1
    assert not math.isnan(one(results, SELF, "establecimiento", "10", "2024-05")["valor"])
    assert one(results, SELF, "establecimiento", "10", "2024-05")["n"] == 3  # ta 3, 4; tb 3
    # July holds only the observation: no self-evaluation month there.
    months = results[(results["indicador"] == SELF) & (results["alcance"] == "establecimiento")]
    assert sorted(p for p in months["periodo"] if "-" in p) == ["2023-05", "2024-05", "2024-06"]
