"""Antes — línea base y metas: where each indicator started and where it should get to."""

import streamlit as st

from metrics import ui
from metrics.catalog import INDICATORS
from metrics.ui import sections

page = ui.moment_page(
    "Antes — línea base y metas",
    None,
    "no hay indicadores calculados para esta selección y año.",
)
st.markdown(
    "La **línea base** es el valor de cada indicador antes de empezar el modelo; la **meta**, "
    "adonde el equipo directivo acordó llegar. Todo lo demás se compara con ellas."
)
for moment, title in (("durante", "Durante"), ("resultados", "Resultados"), ("impacto", "Impacto")):
    part = page.rows[[INDICATORS[c].moment == moment for c in page.rows["indicador"]]]
    if not part.empty:
        sections.bullet_section(part, title)
with st.expander("Tabla de indicadores: valor, línea base y meta"):
    ui.scorecard_table(page.rows)
sections.baseline_year_form(page.store, page.scope, page.filters)
sections.target_form(page.store, page.scope, *page.chosen, page.filters.label(), page.filters.year)
st.subheader("Diagnóstico")
sections.observations_section(page.store, page.scope, page.filters.rbd, page.filters.community_id)
sections.tests_section(page.store, page.scope, page.filters.rbd)
