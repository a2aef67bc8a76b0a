"""Resultados — comunidades de práctica: do the communities meet, take part and share?"""

import streamlit as st

from metrics import ui
from metrics.engine.catalog import page_indicators
from metrics.ui.screens import antes
from metrics.ui.screens import resultados as screen

KEY = list(page_indicators("resultados"))

page = ui.moment_page(
    "Resultados — comunidades de práctica",
    KEY,
    "no hay sesiones ni asistencia de comunidades para esta selección y año.",
)
st.markdown(
    "La guía evalúa la efectividad de las comunidades por la **frecuencia de sus reuniones**, "
    "la **participación activa** y el **intercambio de estrategias**."
)
ui.indicator_metrics(page.rows, KEY)
comparison = screen.community_comparison(
    page.store, page.scope, page.results, page.filters, KEY, page.filters.year
)
if ui.communities_need_a_school(page.store, page.scope, page.filters.rbd):
    ui.choose_a_school_notice()
if not comparison.empty:
    screen.ranking_card(comparison, "frecuencia_reuniones", "Reuniones al mes", page.filters)
screen.participation_heatmap(page.store, page.scope, page.filters, page.filters.year)
if not comparison.empty:
    screen.ranking_card(
        comparison, "intercambio_estrategias", "Estrategias por sesión", page.filters
    )
ui.trend_card(page.results, "desempeno_docente", *page.chosen, page.filters.year)
antes.instruments_section(page.store, page.scope, page.filters.rbd, page.filters.community_id)
