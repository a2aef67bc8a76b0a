"""Revisión cualitativa: the dated log of the implementation, the síntesis per moment that the
council pack carries, and the open answers of the surveys."""

import streamlit as st

from metrics import ui
from metrics.ui.screens import revision as screen

store, filters, scope = ui.page_setup()
ui.page_title("Revisión cualitativa", filters)
st.markdown(
    "La guía pide revisar la implementación también **cualitativamente**: la planificación, los "
    "recursos utilizados, la formación recibida, la adaptación a las necesidades del "
    "establecimiento y lo que dicen los actores en entrevistas y encuestas."
)
screen.saved_message()
if filters.rbd is None:
    st.info(
        "Elija un establecimiento en la barra lateral para ver y escribir su bitácora y su "
        "síntesis cualitativa.",
        icon=":material/arrow_back:",
    )
else:
    st.subheader("Bitácora de la implementación")
    screen.notes_section(store, scope, filters)
    if screen.can_write():
        screen.note_form(store, scope, filters)
        screen.edit_section(store, scope, filters)
    st.subheader("Síntesis cualitativa por momento")
    screen.synthesis_section(store, scope, filters)
st.subheader("Respuestas abiertas de las encuestas")
screen.open_answers_section(store, scope, filters)
