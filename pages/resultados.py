"""Resultados — comunidades de práctica: do the communities meet, take part and share?"""

import streamlit as st

from metrics import ui
from metrics.presentation import rows_for
from metrics.ui import sections

KEY = [
    "frecuencia_reuniones",
    "participacion_activa",
    "intercambio_estrategias",
    "desempeno_docente",
]

store, filters, scope = ui.page_setup()
ui.page_title("Resultados — comunidades de práctica", filters)
results = ui.load_indicators(store, store.path, scope, filters.cutoff)
chosen = ui.selection(store, filters, scope)
rows = rows_for(results, *chosen, periodo=str(filters.year), codes=KEY) if chosen else None
if rows is None or rows.empty:
    ui.empty_state("no hay sesiones ni asistencia de comunidades para esta selección y año.")
    st.stop()
st.markdown(
    "La guía evalúa la efectividad de las comunidades por la **frecuencia de sus reuniones**, "
    "la **participación activa** y el **intercambio de estrategias**."
)
ui.indicator_metrics(rows, KEY)
comparison = sections.community_comparison(store, scope, results, filters, KEY, filters.year)
if not comparison.empty:
    sections.ranking_card(comparison, "frecuencia_reuniones", "Reuniones al mes", filters)
sections.participation_heatmap(store, scope, filters, filters.year)
if not comparison.empty:
    sections.ranking_card(comparison, "intercambio_estrategias", "Estrategias por sesión", filters)
ui.trend_card(results, "desempeno_docente", *chosen, filters.year)
