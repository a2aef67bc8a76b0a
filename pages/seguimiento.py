"""Seguimiento: the follow-up plan — reviews held against planned, year after year, and the
decisions still pending."""

from datetime import date

import streamlit as st

from metrics import ui
from metrics.store import records
from metrics.ui.screens import revision
from metrics.ui.screens import seguimiento as screen

store, filters, scope = ui.page_setup()
ui.page_title("Seguimiento", filters)
st.markdown(
    "El plan de seguimiento de largo plazo: **revisiones periódicas** del modelo, las "
    "**decisiones y ajustes** que acuerdan, quién responde por ellos y en qué plazo."
)
revision.saved_message()
reviews = records.read_reviews(store, scope, rbd=filters.rbd, community_id=filters.community_id)
screen.overview(reviews, filters, date.today())
if not reviews.empty:
    screen.pending_section(reviews, filters, date.today())
    screen.all_reviews(reviews)
if filters.rbd is None and revision.can_write():
    st.info(
        "Elija un establecimiento en la barra lateral para registrar una revisión.",
        icon=":material/arrow_back:",
    )
screen.review_form(store, scope, filters, reviews)
