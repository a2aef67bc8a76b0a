"""*Seguimiento* (``pages/seguimiento.py``): the long-term follow-up plan the guide asks for —
periodic reviews held against planned, year after year, the decisions and adjustments still
pending (who answers for them, by when), and the form that records a review.

Every save is a load (:mod:`metrics.store.records`), undone in *Historial de cargas*.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd
import streamlit as st

from metrics.errors import TableroError
from metrics.filters import Filters
from metrics.formatting import escape_markdown, format_date, format_number, format_percent
from metrics.presentation.records import followup_headline, followup_summary, pending_decisions
from metrics.scope import Scope
from metrics.store import Store, records
from metrics.ui import (
    community_names,
    current_actor,
    fitted_columns,
    show_error,
    table_height,
)
from metrics.ui.screens.revision import WHOLE_SCHOOL, after_save, can_write

NEW_REVIEW = "__nueva__"

SUMMARY_COLUMNS = {
    "anio": "Año",
    "planificadas": "Planificadas a la fecha",
    "realizadas": "Realizadas",
    "cumplimiento": "Cumplimiento",
    "decisiones": "Con decisiones",
    "pendientes": "Decisiones pendientes",
    "vencidas": "Con plazo vencido",
}
REVIEW_COLUMNS = {
    "planned_date": "Planificada",
    "held_date": "Realizada el",
    "status": "Estado",
    "place": "Alcance",
    "reviewed": "Qué se revisó",
    "decisions": "Decisiones y ajustes",
    "responsible": "Responsable",
    "due_date": "Plazo",
    "decision_status": "Estado de las decisiones",
}

PENDING_COLUMNS = (
    "Plazo",
    "Decisiones y ajustes",
    "Responsable",
    "Estado de las decisiones",
    "Realizada el",
    "Alcance",
)
"""What a pending decision shows first: by when, what, who."""


def _day(value: Any) -> date | None:
    return None if value is None or pd.isna(value) else pd.Timestamp(value).date()


def cutoff(filters: Filters, today: date) -> date:
    """The date «to date» means: the sidebar's cut-off, else today (or the end of a past
    year)."""
    if filters.cutoff is not None:
        return filters.cutoff
    if filters.year is not None and filters.year < today.year:
        return date(filters.year, 12, 31)
    return today


def overview(reviews: pd.DataFrame, filters: Filters, today: date) -> None:
    """The headline, the year's key figures and the table year after year."""
    cut = cutoff(filters, today)
    summary = followup_summary(reviews, cut)
    headline = followup_headline(summary, filters.year, cut)
    if summary.empty and not reviews.empty:  # every review registered is planned after the cut
        headline = (
            f"Al {format_date(cut)} no había revisiones planificadas: las registradas son "
            "posteriores a la fecha de corte."
        )
    st.markdown(f"**{escape_markdown(headline)}**")
    if summary.empty:
        return
    year = filters.year if filters.year in set(summary["anio"]) else int(summary["anio"].max())
    row = summary[summary["anio"] == year].iloc[0]
    cols = st.columns(4)
    cols[0].metric(
        f"Revisiones realizadas {year}",
        f"{int(row['realizadas'])} de {int(row['planificadas'])}",
        border=True,
        help="Revisiones realizadas de las planificadas hasta la fecha de corte.",
    )
    cols[1].metric(
        "Cumplimiento",
        format_percent(row["cumplimiento"]) if pd.notna(row["cumplimiento"]) else "–",
        border=True,
    )
    cols[2].metric("Decisiones pendientes", format_number(int(row["pendientes"])), border=True)
    cols[3].metric(
        "Con plazo vencido",
        format_number(int(row["vencidas"])),
        border=True,
        help=f"Decisiones pendientes o en curso con plazo anterior al {format_date(cut)}.",
    )
    with st.container(border=True):
        st.markdown("**Año tras año**")
        table = summary.assign(
            cumplimiento=[
                format_percent(v) if pd.notna(v) else "–" for v in summary["cumplimiento"]
            ],
            anio=summary["anio"].astype(str),
        ).rename(columns=SUMMARY_COLUMNS)
        st.dataframe(
            table,
            hide_index=True,
            width="stretch",
            height=table_height(len(table)),
            column_config=fitted_columns(table),
        )
        st.caption(
            f"Fuente: revisiones del plan de seguimiento registradas en el tablero; corte al "
            f"{format_date(cut)}. Una revisión reprogramada o cancelada cuenta como no realizada."
        )


def _shown(reviews: pd.DataFrame) -> pd.DataFrame:
    place = [
        str(c) if isinstance(c, str) else str(s)
        for c, s in zip(reviews["community"], reviews["school"], strict=True)
    ]
    out = reviews.assign(
        place=place,
        planned_date=[format_date(_day(d)) for d in reviews["planned_date"]],
        held_date=[format_date(_day(d)) for d in reviews["held_date"]],
        due_date=[format_date(_day(d)) for d in reviews["due_date"]],
        responsible=reviews["responsible"].fillna("–"),
    )
    return out[list(REVIEW_COLUMNS)].rename(columns=REVIEW_COLUMNS)


def pending_section(reviews: pd.DataFrame, filters: Filters, today: date) -> None:
    """Decisions still waiting, the oldest due date first."""
    cut = cutoff(filters, today)
    pending = pending_decisions(reviews, cut)
    with st.container(border=True):
        st.markdown("**Decisiones y ajustes pendientes**")
        if pending.empty:
            st.caption("No hay decisiones pendientes ni en curso.")
            return
        pending = pending.assign(_due=[_day(d) or date.max for d in pending["due_date"]])
        pending = pending.sort_values("_due")
        late = sum(d < cut for d in pending["_due"])
        st.caption(
            f"{len(pending)} decisión(es) pendiente(s) o en curso de las revisiones planificadas "
            f"hasta el {format_date(cut)}, de todos los años; {late} con el plazo vencido a esa "
            "fecha."
        )
        table = _shown(pending)[list(PENDING_COLUMNS)]
        st.dataframe(
            table,
            hide_index=True,
            width="stretch",
            height=table_height(len(table)),
            column_config=fitted_columns(table),
        )


def all_reviews(reviews: pd.DataFrame) -> None:
    with st.expander(f"Todas las revisiones ({len(reviews)})"):
        table = _shown(reviews)
        st.dataframe(
            table,
            hide_index=True,
            width="stretch",
            height=table_height(len(table)),
            column_config=fitted_columns(table),
        )


def review_form(store: Store, scope: Scope, filters: Filters, reviews: pd.DataFrame) -> None:
    """Record a new review of the chosen school, or update one (held, decisions carried
    out...)."""
    if filters.rbd is None or not can_write():
        return
    mine = reviews[reviews["rbd"] == filters.rbd]
    labels = {NEW_REVIEW: "Nueva revisión"} | {
        str(i): f"{format_date(_day(d))} — {s}: {str(r)[:50] or 'sin detalle'}"
        for i, d, s, r in zip(
            mine["id"], mine["planned_date"], mine["status"], mine["reviewed"], strict=True
        )
    }
    with st.container(border=True):
        st.markdown("**Registrar o actualizar una revisión**")
        chosen = st.selectbox(
            "Revisión", list(labels), format_func=lambda k: labels[k], key="seguimiento_cual"
        )
        old = None if chosen == NEW_REVIEW else mine[mine["id"] == chosen].iloc[0]
        names = community_names(store, scope, filters.rbd)
        options = [WHOLE_SCHOOL, *names]
        with st.form(f"seguimiento_{chosen}"):
            c1, c2, c3, c4 = st.columns(4)
            planned = c1.date_input(
                "Fecha planificada",
                key=f"seg_planificada_{chosen}",
                value=date.today() if old is None else _day(old["planned_date"]),
                format="DD-MM-YYYY",
            )
            held = c2.date_input(
                "Fecha de realización",
                key=f"seg_realizada_{chosen}",
                value=None if old is None else _day(old["held_date"]),
                format="DD-MM-YYYY",
            )
            status = c3.selectbox(
                "Estado de la revisión",
                records.REVIEW_STATUSES,
                key=f"seg_estado_{chosen}",
                index=0 if old is None else records.REVIEW_STATUSES.index(str(old["status"])),
            )
            community = c4.selectbox(
                "Alcance",
                options,
                key=f"seg_alcance_{chosen}",
                index=0
                if old is None or not isinstance(old["community_id"], str)
                else options.index(str(old["community_id"])),
                format_func=lambda c: "Todo el establecimiento" if c == WHOLE_SCHOOL else names[c],
            )
            reviewed = st.text_area(
                "Qué se revisó",
                key=f"seg_revisado_{chosen}",
                value="" if old is None else str(old["reviewed"]),
                height=80,
                placeholder="Por ejemplo: cumplimiento del cronograma y asistencia del semestre.",
            )
            decisions = st.text_area(
                "Decisiones y ajustes",
                key=f"seg_decisiones_{chosen}",
                value="" if old is None else str(old["decisions"]),
                height=80,
            )
            d1, d2, d3 = st.columns(3)
            responsible = d1.text_input(
                "Responsable",
                key=f"seg_responsable_{chosen}",
                value=""
                if old is None or not isinstance(old["responsible"], str)
                else str(old["responsible"]),
            )
            due = d2.date_input(
                "Plazo",
                value=None if old is None else _day(old["due_date"]),
                format="DD-MM-YYYY",
                key=f"seg_plazo_{chosen}",
            )
            decision_status = d3.selectbox(
                "Estado de las decisiones",
                records.DECISION_STATUSES,
                key=f"seg_estado_decisiones_{chosen}",
                index=0
                if old is None
                else records.DECISION_STATUSES.index(str(old["decision_status"])),
            )
            sent = st.form_submit_button(
                "Guardar revisión", type="primary", icon=":material/save:", key="seg_guardar"
            )
    if not sent:
        return
    try:
        saved = records.save_review(
            store,
            scope,
            rbd=filters.rbd,
            community_id=None if community == WHOLE_SCHOOL else str(community),
            planned_date=planned if isinstance(planned, date) else None,
            held_date=held if isinstance(held, date) else None,
            status=str(status),
            reviewed=reviewed,
            decisions=decisions,
            responsible=responsible,
            due_date=due if isinstance(due, date) else None,
            decision_status=str(decision_status),
            actor=current_actor(),
            review_id=None if chosen == NEW_REVIEW else str(chosen),
        )
    except TableroError as exc:
        show_error(exc)
        return
    st.session_state.pop("seguimiento_cual", None)
    after_save(store, saved, "Revisión guardada")
