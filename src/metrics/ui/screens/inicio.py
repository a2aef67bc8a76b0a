"""*Inicio* (the home page, ``home`` in ``app.py``): whether the evaluation is ready, moment by
moment, with where to fix each gap.
"""

from __future__ import annotations

import streamlit as st

from metrics.ui import LOAD_PAGE, load_data_link


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
