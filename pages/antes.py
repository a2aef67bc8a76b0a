"""Antes — línea base y metas: where each indicator started and where it should get to."""

import streamlit as st

from metrics import ui
from metrics.engine.catalog import INDICATORS
from metrics.ui.screens import antes as screen

page = ui.moment_page(
    "Antes — línea base y metas",
    None,
    "no hay indicadores calculados para esta selección y año.",
    go_on=True,
)
st.markdown(
    "La **línea base** es el valor de cada indicador antes de empezar el modelo; la **meta**, "
    "adonde el equipo directivo acordó llegar. Todo lo demás se compara con ellas."
)
for moment, title in (("durante", "Durante"), ("resultados", "Resultados"), ("impacto", "Impacto")):
    part = page.rows[[INDICATORS[c].moment == moment for c in page.rows["indicador"]]]
    if not part.empty:
        screen.bullet_section(part, title)
screen.series_section(page.store, page.scope, page.chosen, page.filters)
if not page.rows.empty:
    with st.expander("Tabla de indicadores: valor, línea base y meta"):
        ui.scorecard_table(page.rows, reuse_as="antes")
screen.baseline_year_form(page.store, page.scope, page.filters)
screen.target_form(page.store, page.scope, *page.chosen, page.filters.label(), page.filters.year)
st.subheader("Diagnóstico")
screen.observations_section(page.store, page.scope, page.filters.rbd, page.filters.community_id)
screen.instruments_section(page.store, page.scope, page.filters.rbd, page.filters.community_id)
screen.tests_section(page.store, page.scope, page.filters.rbd)
