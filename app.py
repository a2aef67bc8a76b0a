"""Tablero DPD: the entry point. Declares the pages, draws the shared sidebar, runs the page.

The home page ("Inicio") lives here: what the store holds for the selection, and where to go
next (its own parts: :mod:`metrics.ui.screens.inicio`). Pages only compose helpers from
``metrics.ui`` and ``metrics.ui.screens``, and functions from ``metrics``.
"""

from __future__ import annotations

import streamlit as st

from metrics import ui
from metrics.errors import TableroError
from metrics.formatting import count_label, format_number
from metrics.presentation.views import readiness_checks
from metrics.ui.screens import inicio
from metrics.ui.screens.impacto import agency_summary

st.set_page_config(
    page_title="Tablero DPD",
    page_icon=":material/groups:",
    layout="wide",
    initial_sidebar_state="expanded",
)


def home() -> None:
    """Inicio: the evaluation at a glance for the chosen filters, and what the store holds."""
    store = ui.get_store()
    filters = ui.current_filters()
    scope = ui.current_scope()
    selected = ui.filtered_scope(store, filters)
    info = ui.load_info(store, store.path, selected)
    batches = ui.load_batches(store, store.path, selected)

    ui.page_title("Tablero DPD", filters)
    ui.demo_badge(batches)
    ui.standing_territory_note(store, scope, filters)
    if info.batches == 0:
        ui.empty_store_notice()
        return

    counts = ui.load_counts(store, store.path, selected, filters.year)
    figures = inicio.home_figures(store, scope, filters)
    chosen, rows = figures.chosen, figures.rows
    period = f"en {filters.year}" if filters.year else "en todos los años"
    st.markdown(
        f"{count_label(counts['schools'], 'establecimiento', 'establecimientos')}, "
        f"{count_label(counts['communities'], 'comunidad de práctica', 'comunidades de práctica')}"
        f", {count_label(counts['teachers'], 'docente', 'docentes')} y "
        f"{count_label(counts['students'], 'estudiante', 'estudiantes')} {period}. "
        + figures.summary
    )
    cols = st.columns(5)
    for col, (label, key, hint) in zip(cols, HEADLINE_COUNTS, strict=True):
        col.metric(label, format_number(counts[key]), border=True, help=hint)

    with st.container(border=True):
        st.subheader("¿Está lista la evaluación?")
        waves = ui.load_view(
            store,
            store.path,
            scope,
            "survey_waves",
            rbd=filters.rbd,
            community_id=filters.community_id,
        )
        inicio.readiness_checklist(
            readiness_checks(
                rows,
                year=filters.year,
                years_with_results=info.years_by_dataset.get("student_result", []),
                waves=waves,
                activities=info.rows["activity"],
            )
        )
    with st.container(border=True):
        st.subheader("Indicadores frente a la línea base y la meta")
        if len(rows):
            ui.scorecard_table(rows, reuse_as="inicio")
            ui.suppressed_notice()
        else:
            ui.empty_state("no hay indicadores calculados para esta selección y año.")
    if chosen:
        agency_summary(store, scope, chosen, filters)

    with st.expander("¿Qué datos hay?"):
        table = ui.datasets_table(info)
        st.dataframe(table, hide_index=True, width="stretch", height=ui.table_height(len(table)))
        st.caption(f"Años con datos: {', '.join(map(str, info.years)) or 'ninguno'}.")
    with st.expander(f"Últimas cargas ({format_number(info.batches)} vigentes)"):
        ui.show_batches(batches)


HEADLINE_COUNTS = (
    ("Establecimientos", "schools", None),
    (
        "Comunidades",
        "communities",
        "Comunidades de práctica y otras modalidades de trabajo colaborativo.",
    ),
    ("Docentes", "teachers", None),
    ("Principiantes", "novices", "Docentes con menos de 3 años de experiencia."),
    ("Estudiantes", "students", None),
)

# Every page keeps the address Streamlit derives from its file name (``pages/impacto.py`` →
# ``/impacto``): on a fresh server the first run goes through Streamlit's navigation of the
# ``pages/`` folder, which knows only those addresses (see :func:`metrics.ui.page_setup`).
PAGES = {
    "": [(home, "Inicio", ":material/home:")],
    "Evaluación": [
        ("pages/antes.py", "Antes — línea base y metas", ":material/flag:"),
        ("pages/durante.py", "Durante — implementación", ":material/event_available:"),
        ("pages/resultados.py", "Resultados — comunidades", ":material/groups:"),
        ("pages/impacto.py", "Impacto — estudiantes", ":material/school:"),
        ("pages/comunidades.py", "Comunidades", ":material/diversity_3:"),
        ("pages/revision.py", "Revisión cualitativa", ":material/edit_note:"),
        ("pages/seguimiento.py", "Seguimiento", ":material/fact_check:"),
        ("pages/presentar.py", "Presentar al consejo", ":material/co_present:"),
    ],
    "Datos": [
        ("pages/cargar.py", "Cargar datos", ":material/upload:"),
        ("pages/registros.py", "Registros", ":material/edit_note:"),
        ("pages/historial.py", "Historial de cargas", ":material/history:"),
        ("pages/auditoria.py", "Registro de auditoría", ":material/policy:"),
        ("pages/ajustes.py", "Ajustes", ":material/settings:"),
    ],
}
ui.app_style()
store = ui.get_store()
# Sign-in first: without an access the sign-in screen stands in for whichever page the address
# names (every page is registered, hidden), and the run stops; signing in then opens that page.
access = ui.require_access(store, navigation=lambda: ui.navigation_pages(PAGES, None))
page = st.navigation(ui.navigation_pages(PAGES, access), position="top")
try:
    ui.account_box(store, access)
    ui.remember_filters(ui.sidebar_filters(store, access.scope))
    page.run()
except TableroError as exc:  # a Spanish message, never a traceback
    ui.show_error(exc)
