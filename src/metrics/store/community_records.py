"""Reads behind the forms that keep a school's records in the app.

Communities, the yearly roster and each community's members, the schedule and the sessions,
as the page «Registros» shows and edits them. Writes never happen here: a save is an import of
the dataset's template (:mod:`metrics.imports.community_records`). Every read goes through
:func:`~metrics.store.core.scope_clause`.
"""

from __future__ import annotations

import pandas as pd

from metrics.scope import Scope
from metrics.store.core import Store, scope_clause


def read_communities(store: Store, scope: Scope, rbd: int | None = None) -> pd.DataFrame:
    """Visible communities (of ``rbd`` if given): id, rbd, name, kind, focus, start_date,
    end_date; open ones first, then by name."""
    cond, params = scope_clause(scope, "community", "c")
    where = cond + (" AND c.rbd = ?" if rbd is not None else "")
    return store.query_df(
        "SELECT c.id, c.rbd, c.name, c.kind, c.focus, c.start_date, c.end_date "
        f"FROM community c WHERE {where} ORDER BY c.end_date IS NOT NULL, c.name, c.id",
        params + ([rbd] if rbd is not None else []),
    )


def read_roster(store: Store, scope: Scope, rbd: int, year: int) -> pd.DataFrame:
    """The school's teachers in ``year``: teacher_id, name, years_experience, tramo and
    communities (their community ids that year, joined by ``|``, or null)."""
    cond, params = scope_clause(scope, "teacher_year", "y")
    return store.query_df(
        f"""
        SELECT y.teacher_id, t.name, y.years_experience, y.tramo,
               (SELECT string_agg(m.community_id, '|' ORDER BY m.community_id)
                FROM community_member m
                WHERE m.year = y.year AND m.teacher_id = y.teacher_id) AS communities
        FROM teacher_year y LEFT JOIN teacher t ON t.id = y.teacher_id
        WHERE {cond} AND y.rbd = ? AND y.year = ?
        ORDER BY coalesce(t.name, y.teacher_id), y.teacher_id
        """,
        [*params, rbd, year],
    )


def read_members(store: Store, scope: Scope, community_id: str, year: int) -> pd.DataFrame:
    """The members of a community in ``year``: teacher_id and name, by name."""
    cond, params = scope_clause(scope, "community_member", "m")
    return store.query_df(
        "SELECT m.teacher_id, coalesce(t.name, m.teacher_id) AS name FROM community_member m "
        "LEFT JOIN teacher t ON t.id = m.teacher_id "
        f"WHERE {cond} AND m.community_id = ? AND m.year = ? ORDER BY 2, 1",
        [*params, community_id, year],
    )


def members_year(store: Store, scope: Scope, community_id: str, year: int) -> int | None:
    """The year whose members a session of ``year`` lists: ``year`` itself or, before that
    year's members are recorded, the latest earlier year with members (None: no members)."""
    cond, params = scope_clause(scope, "community_member", "m")
    df = store.query_df(
        f"SELECT max(m.year) AS y FROM community_member m WHERE {cond} AND m.community_id = ? "
        "AND m.year <= ?",
        [*params, community_id, year],
    )
    y = df["y"].iloc[0]
    return None if pd.isna(y) else int(y)


def read_activities(store: Store, scope: Scope, community_id: str) -> pd.DataFrame:
    """A community's schedule: id, kind, responsible, planned_date, done_date, status, by
    planned date."""
    cond, params = scope_clause(scope, "activity", "a")
    return store.query_df(
        "SELECT a.id, a.kind, a.responsible, a.planned_date, a.done_date, a.status "
        f"FROM activity a WHERE {cond} AND a.community_id = ? ORDER BY a.planned_date, a.id",
        [*params, community_id],
    )


def read_sessions(store: Store, scope: Scope, community_id: str) -> pd.DataFrame:
    """A community's sessions, newest first: session_date, topic, attended, invited,
    strategies (their count), strategy_notes (every line, joined by ``|``), agreements."""
    cond, params = scope_clause(scope, "session_attendance", "s")
    return store.query_df(
        f"""
        SELECT s.session_date, any_value(s.topic) AS topic,
               CAST(count(*) FILTER (WHERE s.attended) AS INTEGER) AS attended,
               CAST(count(*) AS INTEGER) AS invited,
               CAST(sum(s.strategies_shared) AS INTEGER) AS strategies,
               string_agg(s.strategy_notes, '|') AS strategy_notes,
               any_value(s.agreements) AS agreements
        FROM session_attendance s
        WHERE {cond} AND s.community_id = ?
        GROUP BY s.session_date ORDER BY s.session_date DESC
        """,
        [*params, community_id],
    )


def community_school(store: Store, community_id: str) -> int | None:
    """The RBD of a community, or None if the store does not hold it (any scope: the caller
    checks the person's access to that school)."""
    df = store.query_df("SELECT rbd FROM community WHERE id = ?", [community_id])
    return None if df.empty else int(df["rbd"].iloc[0])
