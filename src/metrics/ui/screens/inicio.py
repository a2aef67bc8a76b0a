"""*Inicio* (the home page, ``home`` in ``app.py``): the selection's indicators at a glance and
whether the evaluation is ready, moment by moment, with where to fix each gap.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import streamlit as st

from metrics.filters import Filters
from metrics.presentation.views import rows_for, status_summary
from metrics.scope import Scope
from metrics.store import Store
from metrics.ui import LOAD_PAGE, indicators_for, load_data_link, reuse, selection


@dataclass(frozen=True)
class HomeFigures:
    """Inicio's figures for one selection: what the scorecard and its sentence show."""

    chosen: tuple[str, str] | None
    """(alcance, alcance_id) the figures are of; None: nothing to show for the selection."""
    rows: pd.DataFrame
    """The engine's rows of ``chosen`` in the chosen year (the scorecard's lines)."""
    summary: str
    """How many indicators are met, on track, at risk… (empty without rows)."""


def home_figures(store: Store, scope: Scope, filters: Filters) -> HomeFigures:
    """The selection's :class:`HomeFigures`, built once and reused by every session with the
    same store version, scope and selection (:func:`metrics.ui.reuse`): a second person on
    the same selection neither reads the cached results nor summarises them again; another
    scope (a school team beside an administrator) builds its own.

    ``scope`` and ``filters`` must be this run's (:func:`metrics.ui.current_scope`,
    :func:`metrics.ui.current_filters`): they are the reuse key's."""

    def make() -> HomeFigures:
        results = indicators_for(store, scope, filters)
        chosen = selection(store, filters, scope)
        rows = rows_for(results, *chosen, periodo=str(filters.year)) if chosen else results[:0]
        return HomeFigures(chosen, rows, status_summary(rows) if len(rows) else "")

    return reuse("inicio", make)


def readiness_checklist(checks: list[tuple[str, bool, str, str | None]]) -> None:
    """What each moment needs, ticked or not, with where to fix each gap."""
    cols = st.columns(len(checks))
    for col, (label, ok, detail, page) in zip(cols, checks, strict=True):
        icon = ":material/check_circle:" if ok else ":material/error:"
        col.markdown(f"{icon} **{label}**  \n{detail}")
        if ok or not page:
            continue
        if page == LOAD_PAGE:
            with col:
                load_data_link()
        else:
            col.page_link(page, label="Completar", icon=":material/arrow_forward:")
