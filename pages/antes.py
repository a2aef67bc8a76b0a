"""Antes — línea base y metas: where each indicator started and where it should get to."""

import streamlit as st

from metrics import ui
from metrics.catalog import INDICATORS
from metrics.presentation import rows_for
from metrics.ui import sections

store, filters, scope = ui.page_setup()
ui.page_title("Antes — línea base y metas", filters)
results = ui.load_indicators(store, store.path, scope, filters.cutoff)
chosen = ui.selection(store, filters, scope)
rows = rows_for(results, *chosen, periodo=str(filters.year)) if chosen else None
if rows is None or rows.empty:
    ui.empty_state("no hay indicadores calculados para esta selección y año.")
    st.stop()
st.markdown(
    "La **línea base** es el valor de cada indicador antes de empezar el modelo; la **meta**, "
    "adonde el equipo directivo acordó llegar. Todo lo demás se compara con ellas."
)
for moment, title in (("durante", "Durante"), ("resultados", "Resultados"), ("impacto", "Impacto")):
    part = rows[[INDICATORS[c].moment == moment for c in rows["indicador"]]]
    if not part.empty:
        sections.bullet_section(part, title)
sections.target_form(store, scope, *chosen, filters.label(), filters.year)
st.subheader("Diagnóstico")
sections.observations_section(store, scope, filters.rbd, filters.community_id)
sections.tests_section(store, scope, filters.rbd)
