"""Historial de cargas: every batch, what it brought, and undo."""

import streamlit as st

from metrics import ui
from metrics.ui.screens import historial as screen

store, filters, scope = ui.page_setup()
st.title("Historial de cargas")
st.markdown(
    "Cada archivo cargado es una carga. Deshacer una carga devuelve la base de datos "
    "exactamente al estado anterior a ella."
)
screen.history_section(store, scope, actor=ui.current_actor())
