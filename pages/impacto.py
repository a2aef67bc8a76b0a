"""Impacto — estudiantes: students' results per year against the baseline and the target."""

import streamlit as st

from metrics import ui
from metrics.presentation.views import IMPACT_ORDER
from metrics.ui.screens.impacto import agency_section

IMPACT = list(IMPACT_ORDER)

page = ui.moment_page(
    "Impacto",
    IMPACT,
    "no hay resultados de estudiantes (Rendimiento por estudiante) para esta selección y año.",
    go_on=True,
)
st.markdown(
    "¿Cómo cambian los resultados de los estudiantes respecto de la línea base? Los cambios "
    "**coinciden** con el trabajo de las comunidades de práctica; no prueban por sí solos "
    "que el modelo los haya causado."
)
if not page.rows.empty:
    ui.indicator_metrics(page.rows, IMPACT)
    ui.trend_cards(page.results, IMPACT, *page.chosen, page.filters.year)
    with st.expander("Tabla de indicadores"):
        ui.scorecard_table(page.rows, reuse_as="impacto")
    ui.suppressed_notice()
agency_section(page.store, page.scope, page.chosen, page.filters)
