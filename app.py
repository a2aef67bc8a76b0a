"""Tablero DPD: the entry point. Declares the pages, draws the shared sidebar, runs the page.

The home page ("Inicio") lives here: what the store holds for the selection, and where to go
next. Pages only compose helpers from ``metrics.ui`` and functions from ``metrics``.
"""

from __future__ import annotations

import streamlit as st

from metrics import ui
from metrics.errors import TableroError
from metrics.formatting import format_number

st.set_page_config(
    page_title="Tablero DPD",
    page_icon=":material/groups:",
    layout="wide",
    initial_sidebar_state="expanded",
)


def home() -> None:
    """Inicio: what the store holds for the chosen filters."""
    store = ui.get_store()
    filters = ui.current_filters()
    scope = ui.filtered_scope(store, filters)
    info = ui.load_info(store, store.path, scope)
    batches = ui.load_batches(store, store.path, scope)

    st.title(f"Tablero DPD — {filters.label()}")
    ui.demo_badge(batches)
    if info.batches == 0:
        ui.empty_store_notice()
        return

    counts = ui.load_counts(store, store.path, scope, filters.year)
    period = f"en {filters.year}" if filters.year else "en todos los años"
    st.markdown(
        f"La base de datos reúne **{format_number(counts['schools'])} establecimientos**, "
        f"**{format_number(counts['communities'])} comunidades de práctica** y "
        f"**{format_number(counts['students'])} estudiantes** {period}."
    )
    cols = st.columns(5)
    cols[0].metric("Establecimientos", format_number(counts["schools"]), border=True)
    cols[1].metric(
        "Comunidades",
        format_number(counts["communities"]),
        border=True,
        help="Comunidades de práctica y otras modalidades de trabajo colaborativo.",
    )
    cols[2].metric("Docentes", format_number(counts["teachers"]), border=True)
    cols[3].metric(
        "Principiantes",
        format_number(counts["novices"]),
        border=True,
        help="Docentes con menos de 3 años de experiencia.",
    )
    cols[4].metric("Estudiantes", format_number(counts["students"]), border=True)

    with st.container(border=True):
        st.subheader("¿Qué datos hay?")
        table = ui.datasets_table(info)
        st.dataframe(table, hide_index=True, width="stretch", height=ui.table_height(len(table)))
        st.caption(f"Años con datos: {', '.join(map(str, info.years)) or 'ninguno'}.")
    with st.expander(f"Últimas cargas ({format_number(info.batches)} vigentes)"):
        st.dataframe(ui.batches_table(batches), hide_index=True, width="stretch")


pages = {
    "": [st.Page(home, title="Inicio", icon=":material/home:", default=True)],
    "Evaluación": [
        st.Page(
            "pages/impacto.py",
            title="Impacto — estudiantes",
            icon=":material/school:",
            url_path="impacto-estudiantes",
        ),
    ],
}
page = st.navigation(pages)
try:
    store = ui.get_store()
    ui.remember_filters(ui.sidebar_filters(store, ui.current_scope()))
    page.run()
except TableroError as exc:  # a Spanish message, never a traceback
    ui.show_error(exc)
