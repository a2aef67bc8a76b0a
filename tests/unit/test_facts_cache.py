"""The engine's facts cache (``indicator_fact``): kept current with the data, the same for every
user, and rebuilt once when several requests find it stale at the same time."""

from __future__ import annotations

import threading
from pathlib import Path

import pandas as pd
import pytest

from metrics.engine.indicators import (
    compute_indicators,
    facts_are_current,
    import_targets,
    prepare_facts,
    set_baseline_year,
)
from metrics.imports.pipeline import undo_batch
from metrics.scope import Scope
from metrics.store import Store, open_store
from tests.unit.test_indicators import CUTOFF, close, load_fixture, row


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = open_store(tmp_path / "cache.duckdb")
    load_fixture(s)
    return s


def add_results(store: Store, rows: list[dict[str, object]]) -> int:
    """New student results in one batch; returns the batch id."""
    frame = pd.DataFrame(rows)
    with store.transaction() as cur:
        batch = store.new_batch(cur, kind="prueba", file_name="x.csv", file_hash="x", actor="t")
        store.insert_frame(cur, "student_result", frame, batch)
    return batch


def result(student: str, rbd: int, situation: str, average: float) -> dict[str, object]:
    return {
        "year": 2024,
        "rbd": rbd,
        "cod_ense": 110,
        "grade": 1,
        "letter": "A",
        "student_id": student,
        "final_average": average,
        "final_situation": situation,
        "attendance_pct": 95.0,
    }


def approval(store: Store, scope: Scope, rbd: str) -> pd.Series:
    df = compute_indicators(store, scope, corte=CUTOFF, min_group=1, mensual=False)
    return row(df, "tasa_aprobacion", "establecimiento", rbd, "2024")


def test_cache_is_current_after_a_request(store: Store) -> None:
    compute_indicators(store, Scope.all(), corte=CUTOFF)
    assert prepare_facts(store) is None  # nothing changed since the request built it
    seconds = prepare_facts(store, force=True)
    assert seconds is not None and seconds >= 0
    n = store.query_df("SELECT row_count, signature FROM indicator_fact_state")
    assert len(n) == 1 and n["row_count"].iloc[0] > 0


def test_new_rows_and_their_undo_change_the_figures(store: Store) -> None:
    before = approval(store, Scope.all(), "2")
    assert before["n"] == 2 and close(before["valor"], 100.0)
    batch = add_results(store, [result("nuevo-1", 2, "R", 3.5), result("nuevo-2", 2, "R", 3.2)])
    after = approval(store, Scope.all(), "2")
    assert after["n"] == 4 and close(after["valor"], 50.0)
    undo_batch(store, batch, actor="t")
    again = approval(store, Scope.all(), "2")
    assert again["n"] == 2 and close(again["valor"], 100.0)


def test_a_new_baseline_year_is_used_at_once(store: Store) -> None:
    def reprobation() -> pd.Series:
        df = compute_indicators(store, Scope.all(), corte=CUTOFF, mensual=False)
        return row(df, "tasa_reprobacion", "establecimiento", "9", "2024")

    assert close(reprobation()["linea_base"], 6.0)  # baseline 2023: the guide's example
    set_baseline_year(store, Scope.all(), 9, 2024, actor="t")
    r = reprobation()
    assert close(r["linea_base"], 2.0) and r["periodo_base"] == "2024"


def test_a_student_counts_where_the_final_record_is_whoever_looks(store: Store) -> None:
    # Withdrawn from school 1 and promoted at school 2 the same year: the final record is at
    # school 2, so school 1 does not lose a student to withdrawal, for a user of school 1 too.
    add_results(store, [result("mov-1", 1, "Y", 0.0), result("mov-1", 2, "P", 6.0)])
    for scope in (Scope.all(), Scope.schools([1])):
        df = compute_indicators(store, scope, corte=CUTOFF, min_group=1, mensual=False)
        retiro = row(df, "tasa_retiro", "establecimiento", "1", "2024")
        assert close(retiro["valor"], 0.0) and retiro["n"] == 6
    assert approval(store, Scope.schools([2]), "2")["n"] == 3


def test_stale_cache_is_rebuilt_once_for_concurrent_requests(store: Store) -> None:
    compute_indicators(store, Scope.all(), corte=CUTOFF)
    add_results(store, [result("otro", 2, "P", 5.0)])
    rebuilt: list[float | None] = []
    threads = [threading.Thread(target=lambda: rebuilt.append(prepare_facts(store))) for _ in "abc"]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(r is not None for r in rebuilt) == 1
    assert approval(store, Scope.all(), "2")["n"] == 3


def test_a_school_hidden_in_its_territory_keeps_its_communities_from_rebuilding_it(
    store: Store,
) -> None:
    """Asking for one school of a wide scope decides its communities under the school's
    whole-scope decision. Minimum group 3, approval 2024: school 2 has 2 students (hidden), so
    school 1 (8) is hidden too, or the territory (10) would give school 2 away; c1 (5) and c2
    (3) cover school 1 exactly, so one of them must go as well, or they would rebuild it."""
    add_results(
        store,
        [
            {**result("extra-1", 1, "P", 6.0), "grade": 3},
            {**result("extra-2", 1, "P", 6.0), "grade": 3},
        ],
    )

    def approval_rows(rbds: list[int] | None) -> pd.DataFrame:
        df = compute_indicators(store, Scope.all(), corte=CUTOFF, min_group=3, rbds=rbds)
        return df[(df["indicador"] == "tasa_aprobacion") & (df["periodo"] == "2024")]

    for rbds in (None, [1]):
        df = approval_rows(rbds).set_index("alcance_id")
        assert df.loc["comuna:1", "n"] == 10
        assert df.loc["1", "estado"] == "suprimido"
        assert df.loc["c1", "n"] == 5 and df.loc["c1", "estado"] != "suprimido"
        assert df.loc["c2", "estado"] == "suprimido" and pd.isna(df.loc["c2", "valor"])


def test_schedule_alone_has_the_baseline_of_the_whole_catalogue(store: Store) -> None:
    """Schedule compliance is not cached, but its baseline year is: asking for it alone on a
    store whose cache was never built gives the same rows as asking for everything."""
    cols = ["alcance", "alcance_id", "periodo", "linea_base", "periodo_base", "estado"]
    alone = compute_indicators(
        store, Scope.all(), corte=CUTOFF, min_group=1, indicadores=["cumplimiento_cronograma"]
    )
    every = compute_indicators(store, Scope.all(), corte=CUTOFF, min_group=1)
    every = every[every["indicador"] == "cumplimiento_cronograma"]
    assert alone["periodo_base"].notna().any()
    merged = alone[cols].astype(str).merge(every[cols].astype(str), how="left", indicator=True)
    assert (merged["_merge"] == "both").all()


NEW_REPROBATION_TARGET = {
    "indicador": "tasa_reprobacion",
    "alcance": "establecimiento",
    "alcance_id": "9",
    "meta": "1,5",
    "anio_limite": "2024",
    "motivo": "acuerdo del consejo",
}
"""Replaces the guide's 3,0 % target of school 9 (same indicator, scope and deadline)."""


def test_a_new_target_is_shown_without_rebuilding_the_facts(store: Store) -> None:
    """Targets are read per request: saving one (a batch of its own) leaves the cache current,
    and its undo too; the figures show it at once."""
    compute_indicators(store, Scope.all(), corte=CUTOFF)
    done = import_targets(
        store,
        Scope.all(),
        [NEW_REPROBATION_TARGET],
        file_name="metas.csv",
        file_hash="m1",
        actor="t",
    )
    assert facts_are_current(store)
    df = compute_indicators(store, Scope.all(), corte=CUTOFF, mensual=False)
    assert close(row(df, "tasa_reprobacion", "establecimiento", "9", "2024")["meta"], 1.5)
    undo_batch(store, done.batch_id, actor="t")
    assert facts_are_current(store)
    df = compute_indicators(store, Scope.all(), corte=CUTOFF, mensual=False)
    assert close(row(df, "tasa_reprobacion", "establecimiento", "9", "2024")["meta"], 3.0)
    # New results are a data batch: they do make the cache stale.
    add_results(store, [result("nuevo-1", 2, "R", 3.5)])
    assert not facts_are_current(store)


def test_undoing_targets_brings_back_the_ones_they_replaced_or_removed(store: Store) -> None:
    def targets() -> list[tuple[object, ...]]:
        rows = store.query_df("SELECT * EXCLUDE (batch_id) FROM target ORDER BY ALL")
        return [tuple(r) for r in rows.astype(str).itertuples(index=False)]

    before = targets()
    changes = [
        NEW_REPROBATION_TARGET,
        {  # an empty target removes it
            "indicador": "tasa_aprobacion",
            "alcance": "establecimiento",
            "alcance_id": "1",
            "meta": "",
            "anio_limite": "2024",
            "motivo": "ya no aplica",
        },
    ]
    done = import_targets(
        store, Scope.all(), changes, file_name="metas.csv", file_hash="m2", actor="t"
    )
    assert (done.written, done.deleted) == (1, 1)
    assert targets() != before
    undo_batch(store, done.batch_id, actor="t")
    assert targets() == before


_REORDERED = """
import json, sys
from metrics.engine import catalog
codes = list(catalog.CATALOG.codes)
# tasa_retiro moved ahead of tasa_aprobacion, and the whole catalogue reversed besides
reordered = [catalog.INDICATORS[c] for c in reversed(codes)]
catalog.CATALOG = catalog.Catalog(indicators=tuple(reordered))
from metrics.engine.indicators import compute_indicators, prepare_facts
from metrics.scope import Scope
from metrics.store import open_store
with open_store(sys.argv[1]) as store:
    rebuilt = prepare_facts(store)
    df = compute_indicators(store, Scope.all(), alcance="establecimiento", mensual=False,
                            corte=__import__("datetime").date.fromisoformat(sys.argv[2]))
    out = {f"{r.indicador}|{r.alcance_id}|{r.periodo}": r.valor for r in df.itertuples()
           if r.valor == r.valor and r.valor is not None}
    print(json.dumps({"rebuilt": rebuilt is not None, "values": out}))
"""


def test_a_reordered_catalogue_keeps_cached_values_right(store: Store, tmp_path: Path) -> None:
    """Issue 15: the facts name indicators by code, so a store whose facts were built with one
    catalogue order gives the same values (and needs no rebuild) under another order."""
    import json
    import os
    import subprocess
    import sys

    prepare_facts(store)
    before = compute_indicators(
        store, Scope.all(), alcance="establecimiento", mensual=False, corte=CUTOFF
    )
    want = {
        f"{r.indicador}|{r.alcance_id}|{r.periodo}": r.valor
        for r in before.itertuples()
        if r.valor == r.valor and r.valor is not None
    }
    path = store.path
    store.close()
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    done = subprocess.run(
        [sys.executable, "-c", _REORDERED, str(path), CUTOFF.isoformat()],
        capture_output=True, text=True, env=env, check=True,
    )  # fmt: skip
    got = json.loads(done.stdout.strip().splitlines()[-1])
    assert got["rebuilt"] is False  # the catalogue's order does not enter the facts
    assert {"tasa_aprobacion", "tasa_retiro"} <= {k.split("|")[0] for k in want}
    assert got["values"].keys() == want.keys()
    for key, value in want.items():
        assert got["values"][key] == pytest.approx(value), key


def test_a_changed_catalogue_entry_rebuilds_the_facts(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    from metrics.engine import cache as fcache
    from metrics.engine import catalog

    prepare_facts(store)
    assert facts_are_current(store)
    changed = catalog.INDICATORS["tasa_retiro"].model_copy(update={"decimals": 2})
    entries = tuple(changed if i.code == "tasa_retiro" else i for i in catalog.CATALOG)
    monkeypatch.setattr(fcache, "CATALOG", catalog.Catalog(indicators=entries))
    fcache.engine_digest.cache_clear()
    try:
        assert not facts_are_current(store)
        assert prepare_facts(store) is not None
        assert facts_are_current(store)
    finally:
        fcache.engine_digest.cache_clear()


def test_the_engine_digest_covers_every_module_that_writes_facts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The digest reads the sources' queries and the cache's own code: an edit to either (here a
    stand-in module whose file changes) gives another digest, so an old store's facts rebuild."""
    import types

    from metrics.engine import cache as fcache
    from metrics.engine import sources

    assert {m.__name__ for m in fcache.ENGINE_MODULES} == {sources.__name__, fcache.__name__}
    fake = types.ModuleType("fake_source")
    fake.__file__ = str(tmp_path / "fake_source.py")
    Path(fake.__file__).write_text("QUERY = 'SELECT 1'\n")
    monkeypatch.setattr(fcache, "ENGINE_MODULES", (*fcache.ENGINE_MODULES, fake))
    fcache.engine_digest.cache_clear()
    try:
        first = fcache.engine_digest()
        Path(fake.__file__).write_text("QUERY = 'SELECT 2'\n")
        fcache.engine_digest.cache_clear()
        assert fcache.engine_digest() != first
    finally:
        fcache.engine_digest.cache_clear()


def test_a_current_check_is_trusted_until_the_file_changes(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Once the facts were found current, requests skip the signature's queries while the
    file stays as it was; any committed write (here a new batch of results) makes the next
    request check again, and see the new figures."""
    from metrics.engine import cache as fcache

    assert approval(store, Scope.all(), "2")["n"] == 2
    assert facts_are_current(store)
    calls: list[int] = []
    real = fcache.facts_signature

    def counted(cur: object) -> str:
        calls.append(1)
        return real(cur)  # type: ignore[arg-type]

    monkeypatch.setattr(fcache, "facts_signature", counted)
    assert facts_are_current(store)
    assert approval(store, Scope.all(), "2")["n"] == 2
    assert calls == []
    add_results(store, [result("nuevo-1", 2, "R", 3.5)])
    after = approval(store, Scope.all(), "2")
    assert calls, "a write must make the next request check the facts again"
    assert after["n"] == 3 and close(after["valor"], 100.0 * 2 / 3)
