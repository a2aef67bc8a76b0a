"""Cargar datos: official files and templates, validated whole before anything is written."""

import streamlit as st

from metrics import ui
from metrics.ui import sections

store, filters, scope = ui.page_setup()
ui.require("can_upload")
st.title("Cargar datos")
st.markdown(
    "Suba uno o varios archivos. Cada archivo se revisa completo antes de guardar: si tiene "
    "errores, se muestran todos (fila y columna como en Excel) y **no se guarda nada**. Un "
    "archivo ya cargado no se duplica; uno corregido reemplaza las filas anteriores del mismo "
    "establecimiento y período. Los RUT y MRUN se seudonimizan al cargar."
)
sections.templates_section()
sections.upload_section(store, actor=ui.current_actor(), scope=scope)
st.page_link("pages/historial.py", label="Ver el historial de cargas", icon=":material/history:")
