"""Registro de auditoría: who did what and when. Administrators and supervisors; read only."""

import streamlit as st

from metrics import ui
from metrics.ui.auditing import audit_section

store, filters, scope = ui.page_setup()
ui.require("sees_audit")
st.title("Registro de auditoría")
st.markdown(
    "Cada ingreso, carga, carga deshecha, cambio de meta y exportación queda registrado aquí, "
    "con quién lo hizo y cuándo. El registro no se puede editar: cada fila lleva el hash de la "
    "anterior, y una fila alterada fuera del tablero rompe la cadena."
)
audit_section(store, ui.current_access())
