"""Registros: a school's communities, members, schedule and sessions, kept in the app."""

import streamlit as st

from metrics import ui
from metrics.formatting import escape_markdown
from metrics.ui.screens import registros as screen

store, filters, scope = ui.page_setup()
ui.require("can_record")
access = ui.current_access()
title = st.empty()  # named after the school, once it is chosen below
st.markdown(
    "Lo que la comunidad hace se registra aquí. Cada registro guardado es una carga: aparece "
    "en el **Historial de cargas**, se puede deshacer y queda en el registro de auditoría."
)
screen.done_message()
school = screen.choose_school(store, access, filters)
if school is None:
    title.title("Registros")
    ui.empty_state("no hay establecimientos. Cargue primero el directorio de establecimientos.")
    st.stop()
rbd, school_name = school
year = filters.year or screen.current_year()
title.title(f"Registros — {escape_markdown(school_name)}, {year}")
comms, community = screen.choose_community(store, access, rbd, filters)
if community is None:
    st.info(
        f"{escape_markdown(school_name)} no tiene comunidades que usted registre.",
        icon=":material/info:",
    )
    screen.community_form(store, access, rbd, comms, None)
    st.stop()
session, schedule, members, about = st.tabs(["Sesión", "Cronograma", "Integrantes", "Comunidad"])
with session:
    screen.session_form(store, access, community, year)
    st.subheader(f"Sesiones registradas en {year}")
    screen.sessions_table(store, access, community, year)
with schedule:
    screen.schedule_editor(store, access, community, year)
with members:
    screen.members_form(store, access, rbd, community, year)
with about:
    screen.community_form(store, access, rbd, comms, community)
