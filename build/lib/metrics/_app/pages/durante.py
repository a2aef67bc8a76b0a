"""Durante — implementación: is the schedule kept, and how do teachers and students see it?"""

import streamlit as st

from metrics import ui
from metrics.ui import sections

KEY = [
    "cumplimiento_cronograma",
    "percepcion_colaboracion",
    "percepcion_apoyo",
    "percepcion_satisfaccion",
    "percepcion_aprendizaje",
]

page = ui.moment_page(
    "Durante — implementación",
    KEY,
    "no hay cronograma ni encuestas de percepción para esta selección y año.",
)
st.markdown(
    "¿Se cumple lo planificado a la fecha de corte y cómo perciben docentes y estudiantes la "
    "colaboración, el apoyo, la satisfacción y los efectos en el aprendizaje?"
)
ui.indicator_metrics(page.rows, KEY)
breakdowns = ui.breakdowns_for(page.store, page.scope, page.filters)
st.subheader("Cronograma")
sections.schedule_section(
    page.store, page.scope, page.results, breakdowns, page.filters, page.filters.year
)
st.subheader("Percepciones")
sections.perception_section(
    page.store, page.scope, page.results, breakdowns, page.chosen, page.filters
)
