"""Comunidades: one community on one screen, and the communities of a school side by side."""

import streamlit as st

from metrics import ui
from metrics.presentation.views import rows_for, status_summary
from metrics.ui.screens import comunidades as screen

store, filters, scope = ui.page_setup()
ui.page_title("Comunidades", filters)
results = ui.indicators_for(store, scope, filters)
if filters.community_id:
    rows = rows_for(results, "comunidad", filters.community_id, periodo=str(filters.year))
    screen.community_profile(store, scope, filters.community_id, filters.year)
    if rows.empty:
        ui.empty_state("no hay indicadores de esta comunidad para el año elegido.")
    else:
        st.markdown(status_summary(rows))
        ui.scorecard_table(rows, reuse_as="comunidad")
        ui.trend_cards(
            results,
            ["participacion_activa", "tasa_aprobacion", "promedio_notas"],
            "comunidad",
            filters.community_id,
            filters.year,
        )
        ui.suppressed_notice()
elif filters.rbd and screen.school_has_communities(
    store, scope, filters.rbd, filters.school_name or "El establecimiento"
):
    st.markdown(
        "Las comunidades de práctica del establecimiento, lado a lado y en la misma "
        "escala. Elija una comunidad en la barra lateral para ver su ficha."
    )
    for code in ("participacion_activa", "cumplimiento_cronograma", "tasa_aprobacion"):
        screen.small_multiples_card(
            store,
            scope,
            results,
            filters.rbd,
            code,
            filters.school_name or "el establecimiento",
            filters.year,
        )
    ui.suppressed_notice()
elif not filters.rbd:
    screen.territory_view(store, scope, results, filters.territory_id, filters.year)
    ui.suppressed_notice()
