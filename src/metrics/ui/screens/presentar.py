"""The *Presentar* page's parts: the pack for the selection, one slide at a time, the team's
conclusions, and the pack's downloads (PowerPoint, PDF, Excel).

The slides are :mod:`metrics.presentation.packs`' — the same the files hold — so what the council
sees on the
projector and what it takes home say the same thing.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import streamlit as st

from metrics.errors import TableroError
from metrics.formatting import escape_html as escape
from metrics.presentation.export.slides import PACK_FORMATS, render_pack
from metrics.presentation.packs import (
    SLIDE_FONT,
    NothingToPresent,
    Pack,
    Slide,
    build_pack,
)
from metrics.scope import Scope
from metrics.store import Store
from metrics.store.notes import write_note
from metrics.ui import HASH_FUNCS, current_access, current_actor, download, empty_state, show_error

SLIDE_KEY = "presentar_diapositiva"
GO_TO_KEY = "presentar_ir_a"  # a slide to show on the next run (set after the widget exists)
PROJECTOR_KEY = "presentar_proyector"

PROJECTOR_CSS = """
<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"],
header[data-testid="stHeader"], [data-testid="stToolbar"] { display: none !important; }
.block-container, [data-testid="stMainBlockContainer"] {
  padding-top: 1.2rem !important; padding-bottom: 1rem !important; max-width: 100% !important;
}
</style>
"""

SLIDE_KEYS_SCRIPT = """
<script>
(() => {
  if (window.__tableroSlideKeys) return;
  window.__tableroSlideKeys = true;
  document.addEventListener("keydown", (event) => {
    if (event.key !== "ArrowRight" && event.key !== "ArrowLeft") return;
    if (event.ctrlKey || event.metaKey || event.altKey || event.shiftKey) return;
    const focused = document.activeElement;
    // Streamlit's shortcuts (the buttons' → and ←) skip keys pressed in an input, and the
    // projector switch just clicked is one (a checkbox): there the arrows go to the slides.
    if (!focused || focused.tagName !== "INPUT" || focused.type !== "checkbox") return;
    const key = event.key === "ArrowRight" ? "presentar_siguiente" : "presentar_anterior";
    const button = document.querySelector(`.st-key-${key} button`);
    if (!button) return;
    event.preventDefault();
    event.stopPropagation();
    focused.blur();
    if (!button.disabled) button.click();
  }, true);
})();
</script>
"""
"""The arrows move the slides even while the projector switch holds the focus (right after
switching it on), not only once the page has been clicked."""

_SLIDE_CSS = """
<style>
.tablero-kicker { color: #0B5C8C; font-weight: 700; letter-spacing: .04em;
  text-transform: uppercase; font-size: 1.05rem; margin-bottom: .2rem; }
.tablero-slide-title { font-size: clamp(1.6rem, 2.6vw, 2.8rem) !important; font-weight: 700;
  line-height: 1.2 !important; color: #111827; margin: 0 0 1rem 0; padding: 0 !important; }
.tablero-facts, .tablero-facts li { font-size: clamp(1.15rem, 1.45vw, 1.75rem) !important;
  line-height: 1.45 !important; color: #111827; }
.tablero-facts li { margin-bottom: .8rem; }
.tablero-caption { color: #4B5563; font-size: .95rem; }
</style>
"""


@st.cache_data(
    show_spinner="Preparando la presentación…", ttl=600, max_entries=16, hash_funcs=HASH_FUNCS
)
def load_pack(
    _store: Store,
    store_path: str,
    scope: Scope,
    rbd: int | None,
    territory_id: str | None,
    year: int | None,
    communities: tuple[str, ...] | None,
    cutoff: date | None,
) -> Pack:
    """The pack, cached by its selection (saving the team's note clears this cache)."""
    return build_pack(
        _store,
        scope,
        rbd=rbd,
        territory_id=territory_id,
        year=year,
        community_ids=None if communities is None else list(communities),
        cutoff=cutoff,
    )


SLIDE_FONT_SIZE = SLIDE_FONT
"""Chart text on a slide on screen: the files' size (22 px), for the back of the room."""


def _slide_spec(slide: Slide) -> dict[str, Any]:
    """The slide's chart for the screen: the files' chart (sized for a 1920×1080 slide, its
    text at :data:`SLIDE_FONT_SIZE`), as wide as its column, with a legend that wraps instead
    of being cut. A stack of bullets stays a stack (:func:`_spec_rows` draws it row by row,
    each as wide as its column: Vega-Lite sizes only single views to their container)."""
    assert slide.chart is not None
    spec: dict[str, Any] = slide.chart.to_dict(validate=False)
    if not any(k in spec for k in ("vconcat", "hconcat", "concat")):
        spec["width"] = "container"
    config = spec.setdefault("config", {})
    config.setdefault("axis", {}).update(
        labelFontSize=SLIDE_FONT_SIZE, titleFontSize=SLIDE_FONT_SIZE
    )
    config.setdefault("legend", {}).update(
        labelFontSize=SLIDE_FONT_SIZE - 1,
        titleFontSize=SLIDE_FONT_SIZE - 1,
        columns=2,
        labelLimit=0,
    )
    return spec


def _spec_rows(spec: dict[str, Any]) -> list[dict[str, Any]]:
    """A stacked spec as one spec per row, each as wide as its container; a single view as
    itself."""
    if "vconcat" not in spec:
        return [spec]
    shared = {k: v for k, v in spec.items() if k not in ("vconcat", "spacing")}
    # Fitted to its column (Streamlit's default for a single view), a row's height holds its
    # title and axis too: six rows and the headline fit a 1080 px screen.
    return [
        {**shared, **row, "width": "container", "height": row["height"] + 3 * SLIDE_FONT - 8}
        for row in spec["vconcat"]
    ]


def show_slide(pack: Pack, slide: Slide, number: int, *, projector: bool = False) -> None:
    """One slide, filling the page: kicker, headline, chart and facts side by side.

    In projector mode the headline is the page's main heading (the page title is hidden).
    """
    tag = "h1" if projector else "h2"
    st.markdown(_SLIDE_CSS, unsafe_allow_html=True)
    st.markdown(
        f'<div class="tablero-kicker">{escape(slide.section)} · {number} de '
        f'{len(pack.slides)}</div><{tag} class="tablero-slide-title">'
        f"{escape(slide.title)}</{tag}>",
        unsafe_allow_html=True,
    )
    facts = "".join(f"<li>{escape(f)}</li>" for f in slide.facts)
    if slide.chart is not None:
        left, right = st.columns([3, 2], gap="large")
        with left:
            for part in _spec_rows(_slide_spec(slide)):
                st.vega_lite_chart(spec=part, width="stretch")
            if slide.caption:
                st.markdown(
                    f'<div class="tablero-caption">{escape(slide.caption)}</div>',
                    unsafe_allow_html=True,
                )
        with right, st.container(border=True):
            st.markdown(f'<ul class="tablero-facts">{facts}</ul>', unsafe_allow_html=True)
    else:
        st.markdown(f'<ul class="tablero-facts">{facts}</ul>', unsafe_allow_html=True)


def _go(delta: int, total: int) -> None:
    current = int(st.session_state.get(SLIDE_KEY, 0))
    st.session_state[SLIDE_KEY] = max(0, min(total - 1, current + delta))


def slide_navigation(pack: Pack) -> int:
    """Previous / next buttons (also ← and → on the keyboard) and a jump list; the index."""
    total = len(pack.slides)
    if GO_TO_KEY in st.session_state:
        st.session_state[SLIDE_KEY] = int(st.session_state.pop(GO_TO_KEY))
    index = min(int(st.session_state.get(SLIDE_KEY, 0)), total - 1)
    st.session_state[SLIDE_KEY] = index
    prev, pick, nxt = st.columns([1, 4, 1], vertical_alignment="center")
    prev.button(
        "Anterior",
        icon=":material/arrow_back:",
        on_click=_go,
        args=(-1, total),
        disabled=index == 0,
        shortcut="Left",
        key="presentar_anterior",
        width="stretch",
        help="Diapositiva anterior (tecla ←)",
    )
    nxt.button(
        "Siguiente",
        icon=":material/arrow_forward:",
        icon_position="right",
        on_click=_go,
        args=(1, total),
        disabled=index == total - 1,
        shortcut="Right",
        key="presentar_siguiente",
        width="stretch",
        help="Diapositiva siguiente (tecla →)",
    )
    st.html(SLIDE_KEYS_SCRIPT, unsafe_allow_javascript=True)
    titles = [f"{i + 1}. {s.section}: {s.title}" for i, s in enumerate(pack.slides)]
    pick.selectbox(
        "Ir a la diapositiva",
        range(total),
        format_func=lambda i: titles[i],
        key=SLIDE_KEY,
        label_visibility="collapsed",
    )
    return int(st.session_state[SLIDE_KEY])


def note_form(store: Store, scope: Scope, pack: Pack, *, can_edit: bool, actor: str) -> None:
    """The team's conclusions and next steps for the last slide, saved with the school and
    year."""

    if not can_edit:
        st.caption("Su perfil no permite escribir las conclusiones.")
        return
    with st.form("presentar_notas"):
        conclusions = st.text_area(
            "Conclusiones",
            value=pack.note.conclusions,
            height=120,
            placeholder="Por ejemplo: la reprobación bajó en los cursos de las comunidades…",
        )
        next_steps = st.text_area(
            "Próximos pasos acordados",
            value=pack.note.next_steps,
            height=120,
            placeholder="Por ejemplo: extender la observación entre pares al segundo ciclo…",
        )
        if st.form_submit_button("Guardar", icon=":material/save:"):
            try:
                write_note(
                    store,
                    scope,
                    pack.scope_kind,
                    pack.scope_id,
                    pack.year,
                    conclusions=conclusions.strip(),
                    next_steps=next_steps.strip(),
                    actor=actor,
                )
            except TableroError as exc:
                show_error(exc)
            else:
                load_pack.clear()
                st.session_state[GO_TO_KEY] = len(pack.slides) - 1
                st.success("Conclusiones guardadas: aparecen en la última diapositiva.")
                st.rerun()


def pack_downloads(pack: Pack) -> None:
    """PowerPoint, PDF and Excel of the pack; each file is made when clicked (a few seconds)
    and recorded in the audit log with the pack's scope and year."""

    detail = {
        "alcance": pack.scope_kind,
        "alcance_id": pack.scope_id,
        "anio": pack.year,
        "origen": "página Presentar",
        "rbds": sorted(int(r) for r in pack.school_names),
    }
    cols = st.columns(len(PACK_FORMATS))
    for col, (fmt, (label, _mime)) in zip(cols, PACK_FORMATS.items(), strict=True):
        download(
            col,
            label,
            lambda fmt=fmt: render_pack(pack, fmt),  # type: ignore[misc]
            f"{pack.file_stem}.{fmt}",
            help="Se prepara al hacer clic; tarda unos segundos.",
            detail=detail,
        )


def permissions() -> tuple[bool, str]:
    """(may export and write the conclusions, who acts) for the signed-in person."""
    access = current_access()
    return bool(access.can_export), current_actor()


def no_pack(exc: TableroError) -> None:
    """Why there is no pack: missing data as an empty state, anything else as an error."""
    if isinstance(exc, NothingToPresent):
        empty_state(exc.message[0].lower() + exc.message[1:])
    else:
        show_error(exc)


__all__ = [
    "PROJECTOR_CSS",
    "PROJECTOR_KEY",
    "SLIDE_KEY",
    "load_pack",
    "no_pack",
    "note_form",
    "pack_downloads",
    "permissions",
    "show_slide",
    "slide_navigation",
]
