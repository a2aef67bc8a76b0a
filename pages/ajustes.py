"""Ajustes: each school's baseline year and, for an administrator, the accounts."""

import streamlit as st

from metrics import ui
from metrics.ui.screens import ajustes as screen

store, filters, scope = ui.page_setup()
ui.require("can_set_targets")
st.title("Ajustes")
screen.done_message()
st.subheader("Año de línea base de cada establecimiento")
st.markdown(
    "Todos los indicadores de un establecimiento y de sus comunidades se comparan con su valor "
    "en este año. Sin año fijado, es el año anterior a su primera comunidad."
)
screen.baseline_section(store, scope, ui.data_years(store, scope))
if ui.current_access().can_manage_users:
    st.subheader("Cuentas y alcance")
    screen.accounts_section(store)
