"""After an import that touches a few schools, only their facts are recomputed, and the facts
cache equals a full rebuild."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from metrics.engine import cache as fcache
from metrics.engine.indicators import prepare_facts
from metrics.store import Store, open_store
from tests import golden


def snapshot(store: Store) -> tuple[pd.DataFrame, pd.DataFrame]:
    facts = store.query_df("SELECT * FROM indicator_fact ORDER BY ALL").reset_index(drop=True)
    schools = store.query_df("SELECT * FROM indicator_fact_school ORDER BY ALL")
    return facts, schools.reset_index(drop=True)


def import_rows(store: Store, table: str, frame: pd.DataFrame) -> int:
    with store.transaction() as cur:
        batch = store.new_batch(cur, kind="prueba", file_name="x.csv", file_hash="x", actor="t")
        store.insert_frame(cur, table, frame, batch)
    return batch


def touched(store: Store, batch: int) -> list[int]:
    cur = store.cursor()
    try:
        return fcache._touched_schools(cur, [batch])
    finally:
        cur.close()


def results_of_the_largest(store: Store, limit: int) -> tuple[int, int, pd.DataFrame]:
    """The school with the most results, the one with the fewest, and ``limit`` of the first's
    result rows (without their batch)."""
    counts = store.query_df(
        "SELECT rbd, count(*) AS n FROM student_result GROUP BY rbd ORDER BY n DESC, rbd"
    )
    school, other = int(counts["rbd"].iloc[0]), int(counts["rbd"].iloc[-1])
    rows = store.query_df(
        "SELECT * EXCLUDE (batch_id) FROM student_result WHERE rbd = ? ORDER BY student_id "
        f"LIMIT {int(limit)}",
        [school],
    )
    return school, other, rows


def refreshed_and_rebuilt(
    store: Store,
) -> tuple[tuple[pd.DataFrame, pd.DataFrame], tuple[pd.DataFrame, pd.DataFrame]]:
    """The facts brought up to date (a refresh is due, and then none), and the same facts
    rebuilt in full."""
    assert prepare_facts(store) is not None
    assert prepare_facts(store) is None
    refreshed = snapshot(store)
    prepare_facts(store, force=True)
    return refreshed, snapshot(store)


@pytest.fixture(scope="module", params=golden.STORES)
def built(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("inc") / f"{request.param}.duckdb"
    return golden.build_store(request.param, path)


def test_one_school_import_refreshes_only_its_schools_like_a_full_rebuild(
    built: Path, tmp_path: Path
) -> None:
    path = tmp_path / "store.duckdb"
    path.write_bytes(built.read_bytes())
    with open_store(path) as store:
        prepare_facts(store)
        assert prepare_facts(store) is None
        school, other, rows = results_of_the_largest(store, 3)
        # One student fails, one is promoted at another school the same year (a transfer: the
        # final record may move), one new student withdraws.
        changed = rows.copy()
        changed.loc[0, "final_situation"] = "R"
        changed.loc[1, "rbd"] = other
        changed.loc[1, "final_situation"] = "P"
        changed.loc[2, "student_id"] = "nuevo-incremental"
        changed.loc[2, "final_situation"] = "Y"
        batch = import_rows(store, "student_result", changed)
        schools = touched(store, batch)
        cur = store.cursor()
        try:
            changes = fcache._new_batches(cur)  # the refresh below is incremental
            assert changes is not None and changes.new == [batch] and changes.undone == []
        finally:
            cur.close()
        assert school in schools and other in schools
        total = int(store.query_df("SELECT count(*) AS n FROM school")["n"].iloc[0])
        assert len(schools) < total  # only some schools are recomputed
        incremental, full = refreshed_and_rebuilt(store)
    pd.testing.assert_frame_equal(incremental[0], full[0])
    pd.testing.assert_frame_equal(incremental[1], full[1])


def test_an_undo_refreshes_only_the_schools_it_reached_like_a_full_rebuild(
    built: Path, tmp_path: Path
) -> None:
    """Undoing a batch that replaced a school's results (and moved a student's final record
    to another school) recomputes those schools only, and gives the full rebuild's facts."""
    from metrics.imports.pipeline import undo_batch

    path = tmp_path / "store.duckdb"
    path.write_bytes(built.read_bytes())
    with open_store(path) as store:
        prepare_facts(store)
        school, other, rows = results_of_the_largest(store, 2)
        rows.loc[0, "final_situation"] = "R"
        rows.loc[1, "rbd"] = other
        batch = import_rows(store, "student_result", rows)
        prepare_facts(store)
        undo_batch(store, batch, actor="t")
        cur = store.cursor()
        try:
            changes = fcache._new_batches(cur)
            assert changes is not None and changes.undone == [batch] and changes.new == []
            schools = fcache._touched_schools(cur, [], (), [batch])
        finally:
            cur.close()
        assert school in schools and other in schools
        total = int(store.query_df("SELECT count(*) AS n FROM school")["n"].iloc[0])
        assert len(schools) < total  # only some schools are recomputed
        incremental, full = refreshed_and_rebuilt(store)
    pd.testing.assert_frame_equal(incremental[0], full[0])
    pd.testing.assert_frame_equal(incremental[1], full[1])


def test_an_undo_recorded_by_no_one_rebuilds_every_school(built: Path, tmp_path: Path) -> None:
    """An undo whose reach was not kept (made by an earlier version) rebuilds everything."""
    from metrics.imports.pipeline import undo_batch

    path = tmp_path / "store.duckdb"
    path.write_bytes(built.read_bytes())
    with open_store(path) as store:
        prepare_facts(store)
        rows = store.query_df("SELECT * EXCLUDE (batch_id) FROM student_result LIMIT 2")
        rows["final_situation"] = "R"
        batch = import_rows(store, "student_result", rows)
        prepare_facts(store)
        undo_batch(store, batch, actor="t")
        with store.transaction() as cur:
            cur.execute("DELETE FROM undone_batch_reach")
        cur = store.cursor()
        try:
            assert fcache._new_batches(cur) is None
        finally:
            cur.close()
        prepare_facts(store)
        after = snapshot(store)
        prepare_facts(store, force=True)
        full = snapshot(store)
    pd.testing.assert_frame_equal(after[0], full[0])


def test_a_baseline_year_saved_in_the_app_refreshes_only_its_school(
    built: Path, tmp_path: Path
) -> None:
    from metrics.engine.indicators import set_baseline_year
    from metrics.scope import Scope

    path = tmp_path / "store.duckdb"
    path.write_bytes(built.read_bytes())
    with open_store(path) as store:
        prepare_facts(store)
        rbd = int(store.query_df("SELECT min(rbd) AS r FROM community")["r"].iloc[0])
        set_baseline_year(store, Scope.all(), rbd, 2021, actor="t")
        cur = store.cursor()
        try:
            changes = fcache._new_batches(cur)  # no batch, yet no full rebuild
            assert changes is not None and changes.new == [] and changes.undone == []
            assert fcache._edited_schools(cur) == {rbd}
        finally:
            cur.close()
        assert prepare_facts(store) is not None
        incremental = snapshot(store)
        assert 2021 in set(incremental[1].loc[incremental[1]["rbd"] == rbd, "base_year"])
        prepare_facts(store, force=True)
        full = snapshot(store)
    pd.testing.assert_frame_equal(incremental[0], full[0])
    pd.testing.assert_frame_equal(incremental[1], full[1])


def test_a_session_load_recomputes_only_the_sessions_source_like_a_full_rebuild(
    built: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A load of session attendance (what a session saved in the app is) reaches the sessions
    source alone: only its facts of that school are recomputed, no student's other schools are
    looked for, and the facts equal a full rebuild (with the session counted)."""
    path = tmp_path / "store.duckdb"
    path.write_bytes(built.read_bytes())
    with open_store(path) as store:
        prepare_facts(store)
        rows = store.query_df(
            "SELECT * EXCLUDE (batch_id) FROM session_attendance "
            "ORDER BY session_date DESC, community_id, teacher_id LIMIT 1"
        )
        community = str(rows["community_id"].iloc[0])
        rows["session_date"] = pd.Timestamp("2025-12-30")
        before = int(
            store.query_df(
                "SELECT count(*) AS n FROM session_attendance WHERE community_id = ?", [community]
            )["n"].iloc[0]
        )
        batch = import_rows(store, "session_attendance", rows)
        cur = store.cursor()
        try:
            assert fcache._sources_written(cur, [batch]) == {"sessions"}
        finally:
            cur.close()
        ran: list[str] = []
        real = fcache._build_facts

        def spied(cur, schools=None, sources=None):  # type: ignore[no-untyped-def]
            ran.append(f"{schools}:{sorted(sources) if sources is not None else 'todas'}")
            return real(cur, schools, sources)

        monkeypatch.setattr(fcache, "_build_facts", spied)
        monkeypatch.setattr(
            fcache, "_touched_schools", lambda *a, **k: pytest.fail("no student was loaded")
        )
        refreshed, rebuilt = refreshed_and_rebuilt(store)
        rbd = int(
            store.query_df("SELECT rbd FROM community WHERE id = ?", [community])["rbd"].iloc[0]
        )
        assert ran[0] == f"[{rbd}]:['sessions']"
        assert ran[-1] == "None:todas"  # the full rebuild the test compares with
        after = int(
            store.query_df(
                "SELECT count(*) AS n FROM session_attendance WHERE community_id = ?", [community]
            )["n"].iloc[0]
        )
        assert after == before + 1
    pd.testing.assert_frame_equal(refreshed[0], rebuilt[0])
    pd.testing.assert_frame_equal(refreshed[1], rebuilt[1])


def test_a_schedule_load_recomputes_no_cached_source(built: Path, tmp_path: Path) -> None:
    """Schedule compliance is computed per request: an activity load leaves every cached fact
    as it was (and as a full rebuild gives)."""
    path = tmp_path / "store.duckdb"
    path.write_bytes(built.read_bytes())
    with open_store(path) as store:
        prepare_facts(store)
        rows = store.query_df("SELECT * EXCLUDE (batch_id) FROM activity ORDER BY id LIMIT 1")
        rows["id"] = rows["id"] + "-nueva"
        batch = import_rows(store, "activity", rows)
        cur = store.cursor()
        try:
            assert fcache._sources_written(cur, [batch]) == set()
        finally:
            cur.close()
        refreshed, rebuilt = refreshed_and_rebuilt(store)
    pd.testing.assert_frame_equal(refreshed[0], rebuilt[0])
    pd.testing.assert_frame_equal(refreshed[1], rebuilt[1])
