"""*Historial de cargas* (``pages/historial.py``): every load, what it brought, and undo (with
the loads that depend on it, after a confirmation).
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from metrics import imports
from metrics.errors import TableroError
from metrics.formatting import format_datetime, format_number
from metrics.scope import Scope
from metrics.store import Store
from metrics.ui import current_access, data_changed, empty_state, show_batches, show_error

_UNDO_REQUEST = "deshacer_pedido"
"""Session key of a click on «Deshacer»: (load, its dependants, confirmed), as shown then."""
_UNDO_DONE = "deshacer_hecho"
_UNDO_KEYS = ("deshacer_carga", "deshacer_confirmar_")
"""Widget keys (and key prefixes) of the undo box, forgotten after an undo."""


def history_section(store: Store, scope: Scope, actor: str) -> None:
    """The batch history, and undo of one batch after an explicit confirmation that names it
    and the loads that depend on it (undone together)."""
    _run_undo_request(store, scope, actor)
    done = st.session_state.pop(_UNDO_DONE, None)
    if done:
        st.success(done, icon=":material/undo:")
    batches = store.batches(scope, limit=500)
    if batches.empty:
        empty_state("todavía no hay cargas.")
        return
    show_batches(batches)
    active = batches[batches["undone_at"].isna()]
    access = current_access()
    own = _own_communities()
    if own is not None:
        # A coordinator undoes only what it saved itself, about its own communities.
        active = active[active["id"].isin(imports.own_record_loads(store, actor, own))]
    elif not access.can_upload:
        return
    if active.empty:
        if own is not None:
            st.caption(
                ":material/undo: Aquí podrá deshacer los registros que guarde en *Registros* "
                "sobre sus comunidades; todavía no tiene ninguno vigente."
            )
        return
    with st.container(border=True):
        st.markdown(
            "**Deshacer una carga**: sus filas se quitan y vuelven las que reemplazó; "
            "la base queda exactamente como antes de esa carga."
            + (
                " Su perfil de coordinación deshace solo los registros que guardó usted sobre "
                "sus comunidades."
                if own is not None
                else ""
            )
        )
        labels = {
            int(str(b)): f"{b} — {name} ({format_datetime_short(when)})"
            for b, name, when in zip(
                active["id"], active["file_name"], active["created_at"], strict=True
            )
        }
        batch_id = st.selectbox(
            "Carga", list(labels), format_func=lambda b: labels[b], key="deshacer_carga"
        )
        try:
            plan = imports.undo_plan(store, int(batch_id), scope)
        except TableroError as exc:
            show_error(exc)
            return
        st.markdown(f"Se deshará la **{plan.batch.label()}**.")
        if plan.dependants:
            st.warning(
                f"{len(plan.dependants)} carga(s) dependen de ella (nombran lo que trajo o "
                "reemplazaron filas suyas) y se desharán también, antes que ella:\n"
                + "\n".join(f"- {b.label()}" for b in plan.dependants),
                icon=":material/account_tree:",
            )
        tag = "-".join(str(b) for b in plan.ids)
        what = (
            f"la carga {plan.batch.id}"
            if not plan.dependants
            else f"la carga {plan.batch.id} y de las {len(plan.dependants)} que dependen de ella"
        )
        confirm = f"deshacer_confirmar_{tag}"
        st.checkbox(f"Entiendo que se quitarán los datos de {what}", key=confirm)
        st.button(
            f"Deshacer la carga {plan.batch.id}"
            + (f" y sus {len(plan.dependants)} dependiente(s)" if plan.dependants else ""),
            key=f"deshacer_{tag}",
            icon=":material/undo:",
            on_click=_request_undo,
            args=(plan.batch.id, tuple(b.id for b in plan.dependants), confirm),
        )


def _own_communities() -> frozenset[str] | None:
    """A coordinator's communities: it undoes only its own saves about them (None: whoever
    may load data undoes any load of its schools)."""
    access = current_access()
    if access.can_upload or not access.can_record:
        return None
    return access.communities


def _request_undo(batch_id: int, dependants: tuple[int, ...], confirm: str) -> None:
    """The click, bound to the load and dependants shown when it was drawn (not to whatever
    the widgets hold at the next run)."""
    st.session_state[_UNDO_REQUEST] = (batch_id, dependants, bool(st.session_state.get(confirm)))


def _run_undo_request(store: Store, scope: Scope, actor: str) -> None:
    """Carry out a pending click once: undo, forget the caches and the confirmation, rerun."""
    request = st.session_state.pop(_UNDO_REQUEST, None)
    if request is None:
        return
    batch_id, dependants, sure = request
    if not sure:
        st.error(
            f"Marque la casilla de confirmación para deshacer la carga {batch_id}.",
            icon=":material/error:",
        )
        return
    try:
        counts = imports.undo_batch(
            store,
            batch_id,
            actor=actor,
            scope=scope,
            with_dependants=dependants,
            own_communities=_own_communities(),
        )
    except TableroError as exc:
        show_error(exc)
        return
    data_changed(store)
    for key in list(st.session_state):
        if str(key).startswith(_UNDO_KEYS):
            del st.session_state[key]
    together = f" junto con las cargas {', '.join(map(str, dependants))}" if dependants else ""
    st.session_state[_UNDO_DONE] = (
        f"Carga {batch_id} deshecha{together}: {format_number(sum(counts.values()))} filas "
        "quitadas o restauradas."
    )
    st.rerun()


def format_datetime_short(value: Any) -> str:

    return format_datetime(None if pd.isna(value) else value)
