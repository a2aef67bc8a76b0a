"""Read-only views that pages draw besides the indicators: distributions and series.

Each function takes the store and the user's :class:`~metrics.scope.Scope` first and returns a
DataFrame with English column names that :mod:`metrics.views` reshapes for charts. Indicator
values themselves come from :mod:`metrics.engine.facts`; nothing here is a number pages
present as an indicator.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd

from metrics.scope import Scope
from metrics.store.core import Store, scope_clause


def _optional(column: str, value: Any) -> tuple[str, list[Any]]:
    """``AND column = ?`` when a filter is set."""
    if value is None:
        return "", []
    return f" AND {column} = ?", [value]


def likert_counts(
    store: Store,
    scope: Scope,
    *,
    rbd: int | None = None,
    community_id: str | None = None,
) -> pd.DataFrame:
    """Answers per wave, respondent kind, dimension, item and answer (1–5, reverse-coded items
    already turned around), with the number of distinct respondents of each group.

    Columns: ``wave``, ``wave_date`` (first answer date), ``respondent_kind``, ``dimension``,
    ``item``, ``answer``, ``n``, ``respondents``.
    """
    cond, params = scope_clause(scope, "survey_response")
    f1, p1 = _optional("t.rbd", rbd)
    f2, p2 = _optional("t.community_id", community_id)
    return store.query_df(
        "SELECT wave, min(response_date) OVER (PARTITION BY wave) AS wave_date,"
        " respondent_kind, dimension, item, answer, n, respondents FROM ("
        "  SELECT t.wave, min(t.response_date) AS response_date, t.respondent_kind,"
        "   t.dimension, t.item,"
        "   CASE WHEN t.reverse_coded THEN 6 - t.answer ELSE t.answer END AS answer,"
        "   count(*) AS n,"
        "   count(DISTINCT coalesce(t.respondent_id, t.batch_id::VARCHAR || '-' || t.item))"
        "     AS respondents"
        f"  FROM survey_response t WHERE {cond}{f1}{f2} AND t.answer IS NOT NULL"
        "  GROUP BY ALL)"
        " ORDER BY wave_date, respondent_kind, dimension, item, answer",
        params + p1 + p2,
    )


def survey_waves(
    store: Store, scope: Scope, *, rbd: int | None = None, community_id: str | None = None
) -> list[str]:
    """The survey waves with any answer in the selection, oldest first."""
    cond, params = scope_clause(scope, "survey_response")
    f1, p1 = _optional("t.rbd", rbd)
    f2, p2 = _optional("t.community_id", community_id)
    df = store.query_df(
        f"SELECT wave FROM survey_response t WHERE {cond}{f1}{f2}"
        " GROUP BY wave ORDER BY min(response_date), wave",
        params + p1 + p2,
    )
    return [str(w) for w in df["wave"]]


def schedule_by_month(
    store: Store,
    scope: Scope,
    *,
    rbd: int | None = None,
    community_id: str | None = None,
    cutoff: date | None = None,
    year: int | None = None,
) -> pd.DataFrame:
    """Activities planned and done per month, cumulated, up to the end of the schedule (of
    ``year``'s schedule only, cumulated from its first month, when ``year`` is given).

    Columns: ``month`` (first day), ``planned``, ``done``, ``planned_cum``, ``done_cum``,
    ``after_cutoff`` (the month starts after the cut-off date).
    """
    cond, params = scope_clause(scope, "activity")
    f1, p1 = ("", [])
    if rbd is not None:
        f1, p1 = " AND t.community_id IN (SELECT id FROM community WHERE rbd = ?)", [rbd]
    f2, p2 = _optional("t.community_id", community_id)
    f3, p3 = _optional("year(t.planned_date)", year)
    f2, p2 = f2 + f3, p2 + p3
    cut = cutoff or date.today()
    return store.query_df(
        "WITH m AS ("
        " SELECT date_trunc('month', t.planned_date)::DATE AS month, count(*) AS planned,"
        "  count(*) FILTER (WHERE t.status = 'realizada') AS done"
        f" FROM activity t WHERE {cond}{f1}{f2} GROUP BY 1)"
        " SELECT month, planned, done,"
        "  sum(planned) OVER (ORDER BY month) AS planned_cum,"
        "  sum(done) OVER (ORDER BY month) AS done_cum,"
        "  month > ?::DATE AS after_cutoff"
        " FROM m ORDER BY month",
        params + p1 + p2 + [cut],
    )


def participation_by_month(
    store: Store, scope: Scope, *, rbd: int | None = None, year: int | None = None
) -> pd.DataFrame:
    """Session attendance per community and month.

    Columns: ``community_id``, ``community``, ``month`` (first day), ``records``,
    ``attended``, ``sessions``, ``strategies``.
    """
    cond, params = scope_clause(scope, "session_attendance")
    f1, p1 = _optional("c.rbd", rbd)
    f2, p2 = _optional("year(t.session_date)", year)
    return store.query_df(
        "SELECT t.community_id, c.name AS community,"
        " date_trunc('month', t.session_date)::DATE AS month, count(*) AS records,"
        " count(*) FILTER (WHERE t.attended) AS attended,"
        " count(DISTINCT t.session_date) AS sessions, sum(t.strategies_shared) AS strategies"
        f" FROM session_attendance t JOIN community c ON c.id = t.community_id"
        f" WHERE {cond}{f1}{f2} GROUP BY ALL ORDER BY community, month",
        params + p1 + p2,
    )


def observations_by_domain(
    store: Store,
    scope: Scope,
    *,
    rbd: int | None = None,
    community_id: str | None = None,
) -> pd.DataFrame:
    """Class observations (*observación de aula*) by year and MBE domain.

    Columns: ``year``, ``domain``, ``mean_score``, ``n``.
    """
    cond, params = scope_clause(scope, "teacher_evaluation")
    f1, p1 = _optional("t.rbd", rbd)
    f2, p2 = ("", [])
    if community_id is not None:
        f2 = " AND t.teacher_id IN (SELECT teacher_id FROM community_member WHERE community_id = ?)"
        p2 = [community_id]
    return store.query_df(
        "SELECT year(t.eval_date) AS year, t.domain, avg(t.score) AS mean_score,"
        " count(*) AS n FROM teacher_evaluation t"
        f" WHERE {cond}{f1}{f2} AND t.instrument = 'observación de aula'"
        " GROUP BY ALL ORDER BY year, domain",
        params + p1 + p2,
    )


EVALUATION_INSTRUMENTS: tuple[str, ...] = (
    "observación de aula",
    "autoevaluación",
    "retroalimentación de pares",
    "evaluación docente",
)
"""The teacher evaluation instruments, in the order pages show them."""


def evaluations_by_instrument(
    store: Store,
    scope: Scope,
    *,
    rbd: int | None = None,
    community_id: str | None = None,
) -> pd.DataFrame:
    """Teacher evaluations by year and instrument (class observation, self-assessment, peer
    feedback, Evaluación Docente), every MBE domain together.

    Columns: ``year``, ``instrument``, ``mean_score`` (1–4), ``n`` (scores), ``teachers``.
    """
    cond, params = scope_clause(scope, "teacher_evaluation")
    f1, p1 = _optional("t.rbd", rbd)
    f2, p2 = ("", [])
    if community_id is not None:
        f2 = " AND t.teacher_id IN (SELECT teacher_id FROM community_member WHERE community_id = ?)"
        p2 = [community_id]
    df = store.query_df(
        "SELECT year(t.eval_date) AS year, t.instrument, avg(t.score) AS mean_score,"
        " count(*) AS n, count(DISTINCT t.teacher_id) AS teachers FROM teacher_evaluation t"
        f" WHERE {cond}{f1}{f2} GROUP BY ALL",
        params + p1 + p2,
    )
    order = df["instrument"].map({i: n for n, i in enumerate(EVALUATION_INSTRUMENTS)})
    return df.assign(_o=order).sort_values(["year", "_o"]).drop(columns="_o").reset_index(drop=True)


def standardized_scores(store: Store, scope: Scope, *, rbd: int | None = None) -> pd.DataFrame:
    """Standardized tests per year, test, grade level and subject, weighted by students.

    Columns: ``year``, ``test``, ``grade_level``, ``subject``, ``mean_score`` (NULL where
    every school's score is hidden by the test's own mark), ``students``, ``schools``.
    """
    cond, params = scope_clause(scope, "standardized_test")
    f1, p1 = _optional("t.rbd", rbd)
    return store.query_df(
        "SELECT t.year, t.test, t.grade_level, t.subject,"
        " sum(t.mean_score * t.students_assessed) FILTER (WHERE t.mean_score IS NOT NULL)"
        "  / nullif(sum(t.students_assessed) FILTER (WHERE t.mean_score IS NOT NULL), 0)"
        "  AS mean_score,"
        " sum(t.students_assessed) AS students, count(DISTINCT t.rbd) AS schools"
        f" FROM standardized_test t WHERE {cond}{f1} GROUP BY ALL"
        " ORDER BY t.test, t.grade_level, t.subject, t.year",
        params + p1,
    )


def community_roster(store: Store, scope: Scope, *, community_id: str) -> pd.DataFrame:
    """Members of one community per year, with experience and career step.

    Columns: ``year``, ``teacher_id``, ``name``, ``years_experience``, ``tramo``,
    ``novice``.
    """
    cond, params = scope_clause(scope, "community_member")
    return store.query_df(
        "SELECT t.year, t.teacher_id, te.name, ty.years_experience, ty.tramo,"
        " ty.years_experience < 3 AS novice"
        " FROM community_member t"
        " JOIN community c ON c.id = t.community_id"
        " LEFT JOIN teacher te ON te.id = t.teacher_id"
        " LEFT JOIN teacher_year ty ON ty.teacher_id = t.teacher_id AND ty.year = t.year"
        "  AND ty.rbd = c.rbd"
        f" WHERE {cond} AND t.community_id = ? ORDER BY t.year, te.name",
        [*params, community_id],
    )


def community_sizes(
    store: Store, scope: Scope, *, rbds: list[int] | None = None, year: int | None = None
) -> pd.DataFrame:
    """Members and novices (under 3 years of experience) of each community in ``year``.

    Columns: ``community_id``, ``rbd``, ``name``, ``kind``, ``members``, ``novices``; every
    visible community of ``rbds`` (all when None) is listed, with 0 members when it has none
    that year.
    """
    cond, params = scope_clause(scope, "community", "c")
    schools = ""
    extra: list[Any] = []
    if rbds is not None:
        schools = " AND c.rbd IN (SELECT UNNEST(?::INTEGER[]))"
        extra.append([int(r) for r in rbds])
    return store.query_df(
        "SELECT c.id AS community_id, c.rbd, c.name, c.kind,"
        " count(DISTINCT m.teacher_id) AS members,"
        " count(DISTINCT CASE WHEN ty.years_experience < 3 THEN m.teacher_id END) AS novices"
        " FROM community c"
        " LEFT JOIN community_member m ON m.community_id = c.id AND m.year = ?"
        " LEFT JOIN teacher_year ty ON ty.teacher_id = m.teacher_id AND ty.year = m.year"
        "  AND ty.rbd = c.rbd"
        f" WHERE {cond}{schools} GROUP BY ALL ORDER BY c.rbd, c.name",
        [year, *params, *extra],
    )


VIEW_READS = (
    likert_counts,
    survey_waves,
    schedule_by_month,
    participation_by_month,
    observations_by_domain,
    evaluations_by_instrument,
    standardized_scores,
    community_sizes,
)
"""Views that need no arguments beyond the scope (tests walk them with empty scopes)."""
