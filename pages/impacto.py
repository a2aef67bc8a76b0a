"""Impacto — estudiantes: students' results per year against the baseline and the target."""

import streamlit as st

from metrics import ui
from metrics.presentation import rows_for

IMPACT = [
    "tasa_reprobacion",
    "tasa_aprobacion",
    "promedio_notas",
    "asistencia_promedio",
    "inasistencia_cronica",
    "tasa_retiro",
    "tasa_repitencia",
    "puntaje_estandarizado",
]

store, filters, scope = ui.page_setup()
ui.page_title("Impacto", filters)
results = ui.load_indicators(store, store.path, scope, filters.cutoff)
chosen = ui.selection(store, filters, scope)
rows = rows_for(results, *chosen, periodo=str(filters.year), codes=IMPACT) if chosen else None
if rows is None or rows.empty:
    ui.empty_state(
        "no hay resultados de estudiantes (Rendimiento por estudiante) para esta selección y año."
    )
    st.stop()
st.markdown(
    "¿Cómo cambian los resultados de los estudiantes respecto de la línea base? Los cambios "
    "**coinciden** con el trabajo de las comunidades de práctica; no prueban por sí solos "
    "que el modelo los haya causado."
)
ui.indicator_metrics(rows, IMPACT[:5])
for code in IMPACT:
    ui.trend_card(results, code, *chosen, filters.year)
with st.expander("Tabla de indicadores"):
    ui.scorecard_table(rows)
ui.suppressed_notice()
