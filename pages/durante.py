"""Durante — implementación: is the schedule kept, and how do teachers and students see it?"""

import streamlit as st

from metrics import ui
from metrics.presentation import rows_for
from metrics.ui import sections

KEY = [
    "cumplimiento_cronograma",
    "percepcion_colaboracion",
    "percepcion_apoyo",
    "percepcion_satisfaccion",
    "percepcion_aprendizaje",
]

store, filters, scope = ui.page_setup()
ui.page_title("Durante — implementación", filters)
results = ui.load_indicators(store, store.path, scope, filters.cutoff)
breakdowns = ui.load_breakdowns(store, store.path, scope, filters.cutoff)
chosen = ui.selection(store, filters, scope)
rows = rows_for(results, *chosen, periodo=str(filters.year), codes=KEY) if chosen else None
if rows is None or rows.empty:
    ui.empty_state("no hay cronograma ni encuestas de percepción para esta selección y año.")
    st.stop()
st.markdown(
    "¿Se cumple lo planificado a la fecha de corte y cómo perciben docentes y estudiantes la "
    "colaboración, el apoyo, la satisfacción y los efectos en el aprendizaje?"
)
ui.indicator_metrics(rows, KEY)
st.subheader("Cronograma")
sections.schedule_section(store, scope, results, breakdowns, filters, filters.year)
st.subheader("Percepciones")
sections.perception_section(store, scope, results, breakdowns, chosen, filters)
