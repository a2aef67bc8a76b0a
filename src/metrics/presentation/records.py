"""The follow-up plan and the qualitative review as people read them: per-year counts of reviews
held against planned and of decisions pending, their headline, and the open survey answers a
page may show (small groups hidden). Pure functions over the frames :mod:`metrics.store.records`
returns; no Streamlit, no SQL.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from metrics.formatting import count_label, format_date, format_number, format_percent
from metrics.store.records import OPEN_DECISIONS

FOLLOWUP_COLUMNS = (
    "anio",
    "planificadas",
    "realizadas",
    "cumplimiento",
    "decisiones",
    "pendientes",
    "vencidas",
)


def followup_summary(reviews: pd.DataFrame, today: date) -> pd.DataFrame:
    """Per year of the planned date, of the reviews planned up to ``today`` (a year with none
    is left out): reviews planned (``planificadas``; a
    cancelled or rescheduled one counts as not held, as in the schedule), those held
    (``realizadas``), held ÷ planned ×100 (``cumplimiento``, None without any planned),
    reviews with decisions (``decisiones``), decisions still open (``pendientes``: pending or
    under way) and open ones past their due date (``vencidas``).

    Example:
        >>> r = pd.DataFrame({"planned_date": pd.to_datetime(["2025-03-01", "2025-06-01"]),
        ...     "status": ["realizada", "planificada"], "decision_status": ["pendiente",
        ...     "sin decisiones"], "due_date": pd.to_datetime(["2025-04-01", None])})
        >>> list(followup_summary(r, date(2025, 7, 1)).to_dict("records")[0].values())
        [2025, 2, 1, 50.0, 1, 1, 1]
    """
    if reviews.empty:
        return pd.DataFrame(columns=list(FOLLOWUP_COLUMNS))
    planned = pd.to_datetime(reviews["planned_date"]).dt.date
    due = pd.to_datetime(reviews["due_date"]).dt.date
    frame = pd.DataFrame(
        {
            "anio": [d.year for d in planned],
            "to_date": [d <= today for d in planned],
            "held": (reviews["status"] == "realizada").to_numpy(),
            "with_decisions": (reviews["decision_status"] != "sin decisiones").to_numpy(),
            "open": reviews["decision_status"].isin(OPEN_DECISIONS).to_numpy(),
            "late": [
                bool(o) and d is not None and not pd.isna(d) and d < today
                for o, d in zip(reviews["decision_status"].isin(OPEN_DECISIONS), due, strict=True)
            ],
        }
    )
    rows = []
    for year, g in frame.groupby("anio", sort=True):
        # As of ``today``: a review planned later has been held and decided nothing yet, and
        # a year with none planned up to then is not in the table.
        g = g[g["to_date"]]
        if g.empty:
            continue
        planned_n = len(g)
        held_n = int(g["held"].sum())
        rows.append(
            {
                "anio": int(str(year)),
                "planificadas": planned_n,
                "realizadas": held_n,
                "cumplimiento": 100.0 * held_n / planned_n if planned_n else None,
                "decisiones": int(g["with_decisions"].sum()),
                "pendientes": int(g["open"].sum()),
                "vencidas": int(g["late"].sum()),
            }
        )
    return pd.DataFrame(rows, columns=list(FOLLOWUP_COLUMNS))


def pending_decisions(reviews: pd.DataFrame, cut: date) -> pd.DataFrame:
    """The decisions still open as of ``cut``: of the reviews planned up to it (those the
    headline and the key figures count; a review planned later has taken no decision yet).

    Example:
        >>> r = pd.DataFrame({"planned_date": pd.to_datetime(["2025-07-01", "2026-07-01"]),
        ...     "decision_status": ["pendiente", "pendiente"]})
        >>> len(pending_decisions(r, date(2025, 12, 31)))
        1
    """
    if reviews.empty:
        return reviews
    planned = pd.to_datetime(reviews["planned_date"]).dt.date
    to_date = np.asarray([d is not None and not pd.isna(d) and d <= cut for d in planned])
    return reviews[reviews["decision_status"].isin(OPEN_DECISIONS).to_numpy() & to_date]


def followup_headline(summary: pd.DataFrame, year: int | None, today: date) -> str:
    """One sentence on the follow-up plan of ``year`` (default: the latest with reviews).

    Example:
        >>> s = pd.DataFrame([{"anio": 2025, "planificadas": 4, "realizadas": 3,
        ...     "cumplimiento": 75.0, "decisiones": 3, "pendientes": 2, "vencidas": 1}])
        >>> print(followup_headline(s, 2025, date(2025, 9, 1)))  # doctest: +NORMALIZE_WHITESPACE
        Al 01-09-2025 se realizaron 3 de 4 revisiones planificadas (75,0 %);
        quedan 2 decisiones pendientes, 1 con el plazo vencido.
    """
    if summary.empty:
        return "Aún no hay revisiones del plan de seguimiento registradas."
    if year is None or year not in set(summary["anio"]):
        if year is not None:
            return f"No hay revisiones del plan de seguimiento planificadas en {year}."
        year = int(summary["anio"].max())
    row = summary[summary["anio"] == year].iloc[0]
    cut = today if today.year == year else date(year, 12, 31)
    planned, held = int(row["planificadas"]), int(row["realizadas"])
    if planned == 0:
        head = f"Al {format_date(cut)} no había revisiones planificadas de {year}"
    else:
        head = (
            f"Al {format_date(cut)} se {'realizó' if held == 1 else 'realizaron'} {held} de "
            f"{count_label(planned, 'revisión planificada', 'revisiones planificadas')} "
            f"({format_percent(row['cumplimiento'])})"
        )
    pending, late = int(row["pendientes"]), int(row["vencidas"])
    if pending == 0:
        tail = "no quedan decisiones pendientes."
    else:
        tail = (
            f"{'queda' if pending == 1 else 'quedan'} "
            f"{count_label(pending, 'decisión pendiente', 'decisiones pendientes')}"
            + (f", {late} con el plazo vencido." if late else ".")
        )
    return f"{head}; {tail}"


def open_answers_shown(answers: pd.DataFrame, min_group: int) -> tuple[pd.DataFrame, int]:
    """The open answers a page may show: those of groups (instrument, wave, respondent kind,
    question) with at least ``min_group`` answers, without any column that names who wrote
    them; and how many answers were held back in smaller groups.

    Example:
        >>> a = pd.DataFrame({"instrument": ["e"] * 3, "wave": ["final"] * 3,
        ...     "respondent_kind": ["docente", "docente", "estudiante"],
        ...     "question": ["¿Qué?"] * 3, "answer": ["x", "y", "z"]})
        >>> shown, hidden = open_answers_shown(a, 2)
        >>> len(shown), hidden
        (2, 1)
    """
    keys = ["instrument", "wave", "respondent_kind", "question"]
    if answers.empty:
        return answers.reindex(columns=[*keys, "answer"]), 0
    size = answers.groupby(keys, dropna=False)["answer"].transform("size")
    keep = size >= min_group
    shown = answers.loc[keep, [*keys, "answer"]].reset_index(drop=True)
    return shown, int((~keep).sum())


INSTRUMENT_NAMES = {
    "observación de aula": "la observación de aula",
    "autoevaluación": "la autoevaluación",
    "retroalimentación de pares": "la retroalimentación de pares",
    "evaluación docente": "la Evaluación Docente",
}


def evaluations_headline(evals: pd.DataFrame) -> str:
    """One sentence on the latest year's teacher evaluations by instrument, and how the
    self-assessment compares with what class observation found.

    Example:
        >>> e = pd.DataFrame({"year": [2024, 2024], "instrument": ["observación de aula",
        ...     "autoevaluación"], "mean_score": [2.75, 3.25]})
        >>> print(evaluations_headline(e))  # doctest: +NORMALIZE_WHITESPACE
        En 2024, la observación de aula promedia 2,75 de 4 y la autoevaluación, 3,25; los
        docentes se autoevalúan 0,50 puntos por encima de lo observado en aula.
    """
    if evals.empty:
        return "No hay evaluaciones docentes para esta selección."
    year = int(evals["year"].max())
    last = evals[evals["year"] == year]
    means = dict(zip(last["instrument"], last["mean_score"], strict=True))
    parts = [
        f"{INSTRUMENT_NAMES.get(str(i), str(i))}"
        + (" promedia " if n == 0 else ", ")
        + format_number(float(v), 2)
        + (" de 4" if n == 0 else "")
        for n, (i, v) in enumerate(means.items())
    ]
    listed = parts[0] if len(parts) == 1 else f"{', '.join(parts[:-1])} y {parts[-1]}"
    text = f"En {year}, {listed}"
    obs, own = means.get("observación de aula"), means.get("autoevaluación")
    if obs is not None and own is not None:
        gap = float(own) - float(obs)
        if abs(gap) < 0.005:
            text += "; la autoevaluación coincide con lo observado en aula"
        else:
            where = "por encima" if gap > 0 else "por debajo"
            text += (
                f"; los docentes se autoevalúan {format_number(abs(gap), 2)} puntos {where} de "
                "lo observado en aula"
            )
    return text + "."
