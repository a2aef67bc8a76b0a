"""Durante — implementación: is the schedule kept, and how do teachers and students see it?"""

import streamlit as st

from metrics import ui
from metrics.engine.catalog import page_indicators
from metrics.ui.screens import durante as screen
from metrics.ui.screens import revision

KEY = list(page_indicators("durante"))

page = ui.moment_page(
    "Durante — implementación",
    KEY,
    "no hay cronograma ni encuestas de percepción para esta selección y año.",
    go_on=True,
)
st.markdown(
    "¿Se cumple lo planificado a la fecha de corte y cómo perciben docentes y estudiantes la "
    "colaboración, el apoyo, la satisfacción y los efectos en el aprendizaje?"
)
if not page.rows.empty:
    ui.indicator_metrics(page.rows, KEY)
    breakdowns = ui.breakdowns_for(page.store, page.scope, page.filters)
    st.subheader("Cronograma")
    screen.schedule_section(
        page.store, page.scope, page.results, breakdowns, page.filters, page.filters.year
    )
    st.subheader("Percepciones")
    screen.perception_section(
        page.store, page.scope, page.results, breakdowns, page.chosen, page.filters
    )
    revision.open_answers_section(page.store, page.scope, page.filters, beside_perceptions=True)
screen.dia_section(page.store, page.scope, page.chosen, page.filters)
