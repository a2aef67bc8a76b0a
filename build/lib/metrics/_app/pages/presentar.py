"""Presentar: the evaluation as slides for the end-of-year council, and as PowerPoint, PDF and
Excel files (the same slides)."""

import streamlit as st

from metrics import ui
from metrics.errors import TableroError
from metrics.formatting import escape_markdown
from metrics.ui import presenting

store, filters, scope = ui.page_setup()
can_export, actor = presenting.permissions()
projector = bool(st.session_state.get(presenting.PROJECTOR_KEY, False))
rbd, territory_id = presenting.pack_target(store, scope, filters)
if rbd is None and territory_id is None:
    st.title("Presentar")
    ui.empty_state("no hay establecimientos ni territorios cargados.")
    st.stop()

communities = ui.load_communities(store, store.path, scope, rbd)
if territory_id is not None:
    communities = communities.iloc[0:0]  # a territory pack compares its schools
chosen: tuple[str, ...] | None = None
title = st.empty()
if not projector:
    st.markdown(
        "La evaluación de la selección como diapositivas para el consejo escolar o de "
        "profesores: una idea por diapositiva, con su gráfico y sus cifras. Elija el "
        "establecimiento (o el territorio) y el año en la barra lateral; avance con los "
        "botones o con las flechas **←** y **→** del teclado."
    )
    if len(communities):
        names = dict(
            zip(communities["id"].astype(str), communities["name"].astype(str), strict=True)
        )
        picked = st.multiselect(
            "Comunidades que se incluyen",
            list(names),
            default=list(names),
            format_func=lambda c: names[c],
            key="presentar_comunidades",
            help="Las diapositivas de resultados comparan solo estas comunidades.",
        )
        chosen = tuple(picked) if len(picked) < len(names) else None
        if not picked:
            st.warning("Elija al menos una comunidad para preparar la presentación.")
            st.stop()

try:
    pack = presenting.load_pack(
        store, store.path, scope, rbd, territory_id, filters.year, chosen, filters.cutoff
    )
except TableroError as exc:
    presenting.no_pack(exc)
    st.stop()

if not projector:
    title.title(f"Presentar al consejo — {escape_markdown(pack.name)}, {pack.year}")
st.toggle(
    "Modo proyector (pantalla completa: oculta la barra lateral; F11 en el navegador)",
    key=presenting.PROJECTOR_KEY,
)
if projector:
    st.markdown(presenting.PROJECTOR_CSS, unsafe_allow_html=True)
index = presenting.slide_navigation(pack)
with st.container(border=not projector):
    presenting.show_slide(pack, pack.slides[index], index + 1, projector=projector)
if not projector:
    st.subheader("Conclusiones y próximos pasos")
    presenting.note_form(store, scope, pack, can_edit=can_export, actor=actor)
    st.subheader("Descargar la presentación")
    if can_export:
        presenting.pack_downloads(pack)
        ui.suppressed_notice()
    else:
        st.caption("Su perfil no permite exportar archivos.")
