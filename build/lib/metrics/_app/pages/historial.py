"""Historial de cargas: every batch, what it brought, and undo."""

import streamlit as st

from metrics import ui
from metrics.ui import sections

store, filters, scope = ui.page_setup()
st.title("Historial de cargas")
st.markdown(
    "Cada archivo cargado es una carga. Deshacer una carga devuelve la base de datos "
    "exactamente al estado anterior a ella."
)
sections.history_section(store, scope, actor=ui.current_actor())
