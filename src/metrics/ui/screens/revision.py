"""*Revisión cualitativa* (``pages/revision.py``): the dated log of the qualitative review (by the
guide's dimensions), the síntesis cualitativa per moment that the council pack carries, and the
open answers of the surveys (their authors never named; small groups hidden).

Every save is a load (:mod:`metrics.store.records`): it shows in *Historial de cargas*, where it
can be undone. Only people who may load data write here; the others read. An entry of the log
is changed or deleted by the account that wrote it, or by the school's leadership team or an
administrator (:attr:`metrics.access.Access.edits_others_records`); a deletion is a load too.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from metrics.engine.indicators import resolve_min_group
from metrics.errors import TableroError
from metrics.filters import Filters
from metrics.formatting import escape_markdown, format_date
from metrics.presentation.records import open_answers_shown
from metrics.scope import Scope
from metrics.store import Store, records
from metrics.ui import (
    community_names,
    current_access,
    current_actor,
    data_changed,
    empty_state,
    fitted_columns,
    reuse,
    show_error,
    table_height,
)

SAVED_KEY = "registro_guardado"
"""Session key of the last save's message (shown once, after the rerun)."""
WHOLE_SCHOOL = "__establecimiento__"
SCROLL_AFTER = 6
"""Entries of the log shown before its box scrolls."""
LOG_SHOWN = 50
"""Entries of the log listed in full (the table beside holds them all)."""

NOTE_COLUMNS = {
    "note_date": "Fecha",
    "dimension": "Dimensión",
    "community": "Comunidad",
    "body": "Registro",
    "author": "Autor",
}


def saved_message() -> None:
    """The confirmation of the last save (it survives the rerun that shows the new row)."""
    message = st.session_state.pop(SAVED_KEY, None)
    if message:
        st.success(message, icon=":material/check:")


def after_save(store: Store, saved: records.Saved, what: str) -> None:
    data_changed(store)
    st.session_state[SAVED_KEY] = (
        f"{what} como la carga {saved.batch_id}"
        + (" (reemplaza la versión anterior)" if saved.replaced else "")
        + ". Puede deshacerla en Historial de cargas."
    )
    st.rerun()


def can_write() -> bool:
    """Whether the signed-in person writes records (the same permission as loading data)."""
    return bool(current_access().can_upload)


def note_form(store: Store, scope: Scope, filters: Filters) -> None:
    """A new entry of the log for the chosen school (optionally about one of its
    communities)."""
    assert filters.rbd is not None
    names = community_names(store, scope, filters.rbd)
    options = [WHOLE_SCHOOL, *names]
    default = options.index(filters.community_id) if filters.community_id in names else 0
    with (
        st.expander("Escribir un registro nuevo", icon=":material/edit:"),
        st.form("bitacora", clear_on_submit=True, border=False),
    ):
        c1, c2, c3 = st.columns([1, 1, 2])
        when = c1.date_input("Fecha", value=date.today(), format="DD-MM-YYYY", key="bitacora_fecha")
        dimension = c2.selectbox("Dimensión", records.NOTE_DIMENSIONS, key="bitacora_dimension")
        community = c3.selectbox(
            "Comunidad",
            options,
            index=default,
            key="bitacora_comunidad",
            format_func=lambda c: "Todo el establecimiento" if c == WHOLE_SCHOOL else names[c],
        )
        body = st.text_area(
            "Registro",
            height=110,
            key="bitacora_registro",
            placeholder="Qué se observó o conversó: por ejemplo, cómo se adaptó el plan a los "
            "horarios de los cursos.",
        )
        author = st.text_input(
            "Autor", placeholder="Nombre o cargo de quien escribe", key="bitacora_autor"
        )
        sent = st.form_submit_button(
            "Guardar registro", type="primary", icon=":material/save:", key="bitacora_guardar"
        )
    if not sent:
        return
    try:
        saved = records.save_note(
            store,
            scope,
            rbd=filters.rbd,
            community_id=None if community == WHOLE_SCHOOL else str(community),
            note_date=when if isinstance(when, date) else None,
            dimension=str(dimension),
            body=body,
            author=author,
            actor=current_actor(),
        )
    except TableroError as exc:
        show_error(exc)
        return
    after_save(store, saved, "Registro de la bitácora guardado")


def notes_section(store: Store, scope: Scope, filters: Filters) -> None:
    """The log of the chosen school (and community), newest first, by dimension."""
    # A log across the years, newest first (an entry of March is read in December too).
    notes = records.read_notes(store, scope, rbd=filters.rbd, community_id=filters.community_id)
    when = ""
    if notes.empty:
        st.info(
            f"Aún no hay registros en la bitácora{when}. La guía pide revisar la "
            "planificación, los recursos utilizados, la formación recibida y la adaptación a "
            "las necesidades del establecimiento, y entrevistar a los actores.",
            icon=":material/edit_note:",
        )
        return
    counts = notes["dimension"].value_counts()
    st.markdown(
        f"**{len(notes)} registro(s){when}**: "
        + ", ".join(f"{d} {int(counts.get(d, 0))}" for d in records.NOTE_DIMENSIONS)
        + "."
    )
    shown = notes.assign(
        note_date=[format_date(d.date()) for d in pd.to_datetime(notes["note_date"])],
        community=notes["community"].fillna("Todo el establecimiento"),
    )[list(NOTE_COLUMNS)].rename(columns=NOTE_COLUMNS)
    # Free text reads whole as a list; the table (to sort, filter, download) stays below.
    # A long log scrolls inside its box; a short one takes only its own height.
    with st.container(border=True, height=420 if len(shown) > SCROLL_AFTER else "content"):
        for r in shown.head(LOG_SHOWN).to_dict("records"):
            st.markdown(
                f"**{r['Fecha']} · {escape_markdown(r['Dimensión'])} · "
                f"{escape_markdown(r['Comunidad'])}** — {escape_markdown(r['Registro'])} "
                f"*({escape_markdown(r['Autor'])})*"
            )
    with st.expander("Tabla de la bitácora"):
        st.dataframe(
            shown,
            hide_index=True,
            width="stretch",
            height=table_height(len(shown)),
            column_config=fitted_columns(shown),
            key="bitacora_tabla",
        )


def edit_section(store: Store, scope: Scope, filters: Filters) -> None:
    """Change or delete an entry of the log: its author (the account that wrote it), or the
    school's leadership team or an administrator. Each change is a load, undone in Historial."""
    access = current_access()
    notes = records.read_notes(store, scope, rbd=filters.rbd, community_id=filters.community_id)
    if not access.edits_others_records:
        notes = notes[notes["written_by"] == access.actor]
    if notes.empty:
        return
    rows = {str(r["id"]): r for r in notes.to_dict("records")}
    with st.expander("Editar o borrar un registro", icon=":material/edit_note:"):
        if not access.edits_others_records:
            st.caption("Puede editar o borrar los registros que escribió usted.")
        note_id = str(
            st.selectbox(
                "Registro",
                list(rows),
                format_func=lambda i: _note_label(rows[i]),
                key="bitacora_editar_id",
            )
        )
        _edit_form(store, scope, filters, rows[note_id], access.edits_others_records)
        _delete_form(store, scope, rows[note_id], access.edits_others_records)


def _note_label(row: dict) -> str:
    body = str(row["body"])
    short = body if len(body) <= 60 else body[:59] + "…"
    return f"{format_date(pd.Timestamp(row['note_date']).date())} · {row['dimension']} · {short}"


def _edit_form(store: Store, scope: Scope, filters: Filters, row: dict, edits_others: bool) -> None:
    assert filters.rbd is not None
    note_id = str(row["id"])
    names = community_names(store, scope, filters.rbd)
    options = [WHOLE_SCHOOL, *names]
    current = row["community_id"] if isinstance(row["community_id"], str) else WHOLE_SCHOOL
    with st.form(f"bitacora_editar_{note_id}", border=False):
        c1, c2, c3 = st.columns([1, 1, 2])
        when = c1.date_input(
            "Fecha",
            value=pd.Timestamp(row["note_date"]).date(),
            format="DD-MM-YYYY",
            key=f"bitacora_editar_fecha_{note_id}",
        )
        dimension = c2.selectbox(
            "Dimensión",
            records.NOTE_DIMENSIONS,
            index=records.NOTE_DIMENSIONS.index(str(row["dimension"])),
            key=f"bitacora_editar_dimension_{note_id}",
        )
        community = c3.selectbox(
            "Comunidad",
            options,
            index=options.index(current) if current in options else 0,
            key=f"bitacora_editar_comunidad_{note_id}",
            format_func=lambda c: "Todo el establecimiento" if c == WHOLE_SCHOOL else names[c],
        )
        body = st.text_area(
            "Registro",
            value=str(row["body"]),
            height=110,
            key=f"bitacora_editar_registro_{note_id}",
        )
        author = st.text_input(
            "Autor", value=str(row["author"]), key=f"bitacora_editar_autor_{note_id}"
        )
        sent = st.form_submit_button(
            "Guardar cambios", icon=":material/save:", key="bitacora_editar_guardar"
        )
    if not sent:
        return
    try:
        saved = records.save_note(
            store,
            scope,
            rbd=filters.rbd,
            community_id=None if community == WHOLE_SCHOOL else str(community),
            note_date=when if isinstance(when, date) else None,
            dimension=str(dimension),
            body=body,
            author=author,
            actor=current_actor(),
            note_id=note_id,
            only_author=None if edits_others else current_actor(),
        )
    except TableroError as exc:
        show_error(exc)
        return
    after_save(store, saved, "Registro de la bitácora actualizado")


def _delete_form(store: Store, scope: Scope, row: dict, edits_others: bool) -> None:
    note_id = str(row["id"])
    with st.form(f"bitacora_borrar_{note_id}", border=False):
        sure = st.checkbox(
            "Entiendo que este registro se borrará (se puede deshacer en Historial de cargas)",
            key=f"bitacora_borrar_confirmar_{note_id}",
        )
        sent = st.form_submit_button(
            "Borrar registro", icon=":material/delete:", key="bitacora_borrar"
        )
    if not sent:
        return
    if not sure:
        st.error(
            "Marque la casilla de confirmación para borrar el registro.", icon=":material/error:"
        )
        return
    try:
        saved = records.delete_note(
            store,
            scope,
            note_id,
            actor=current_actor(),
            only_author=None if edits_others else current_actor(),
        )
    except TableroError as exc:
        show_error(exc)
        return
    data_changed(store)
    st.session_state[SAVED_KEY] = (
        f"Registro de la bitácora borrado como la carga {saved.batch_id}. Puede deshacerla en "
        "Historial de cargas."
    )
    st.rerun()


def synthesis_section(store: Store, scope: Scope, filters: Filters) -> None:
    """The síntesis cualitativa of each moment for the chosen school and year: read, and
    written (one form per moment) by whoever may write."""
    assert filters.rbd is not None
    year = filters.year or date.today().year
    written = records.read_synthesis(store, scope, filters.rbd, year)
    by_moment = {
        str(m): r for m, r in zip(written["moment"], written.to_dict("records"), strict=True)
    }
    st.caption(
        f"{len(by_moment)} de {len(records.MOMENTS)} momentos con síntesis en {year}. La "
        "presentación al consejo la lleva en su diapositiva «Revisión cualitativa»."
    )
    tabs = st.tabs([records.MOMENTS[m] for m in records.MOMENTS])
    for tab, moment in zip(tabs, records.MOMENTS, strict=True):
        with tab:
            row = by_moment.get(moment)
            if can_write():
                _synthesis_form(store, scope, filters.rbd, year, moment, row)
            elif row is not None:
                st.markdown(escape_markdown(str(row["body"])))
                st.caption(f"Escrita por {escape_markdown(str(row['author']))}.")
            else:
                st.caption("Sin síntesis de este momento.")


def _synthesis_form(
    store: Store, scope: Scope, rbd: int, year: int, moment: str, row: dict | None
) -> None:
    with st.form(f"sintesis_{moment}"):
        body = st.text_area(
            f"Síntesis de {records.MOMENTS[moment].split(' (')[0].lower()} {year}",
            value="" if row is None else str(row["body"]),
            height=120,
            key=f"sintesis_texto_{moment}",
        )
        author = st.text_input(
            "Autor",
            value="" if row is None else str(row["author"]),
            key=f"sintesis_autor_{moment}",
        )
        sent = st.form_submit_button(
            "Guardar síntesis", icon=":material/save:", key=f"sintesis_guardar_{moment}"
        )
    if not sent:
        return
    try:
        saved = records.save_synthesis(
            store,
            scope,
            rbd=rbd,
            year=year,
            moment=moment,
            body=body,
            author=author,
            actor=current_actor(),
        )
    except TableroError as exc:
        show_error(exc)
        return
    after_save(store, saved, "Síntesis guardada")


def open_answers_section(
    store: Store, scope: Scope, filters: Filters, *, beside_perceptions: bool = False
) -> None:
    """The open answers of the surveys of the selection, by question, groups smaller than the
    minimum size held back. Who answered is never shown (it is not even stored).

    ``beside_perceptions``: under the perception charts of *Durante*, a titled block only when
    there are answers (that page already says when surveys are missing).

    What is shown is read once per selection and reused (:func:`reuse`), until anything is
    written to the store (its change stamp is part of the key: the minimum group size is a
    setting)."""

    def make() -> tuple[pd.DataFrame, int, int] | None:
        answers = records.read_open_answers(
            store, scope, rbd=filters.rbd, community_id=filters.community_id, year=filters.year
        )
        if answers.empty:
            return None
        minimum = resolve_min_group(store)
        return (*open_answers_shown(answers, minimum), minimum)

    found = reuse(
        "respuestas abiertas",
        make,
        filters.rbd,
        filters.community_id,
        filters.year,
        store.change_stamp(),
    )
    if beside_perceptions:
        if found is None:
            return
        st.markdown("**Respuestas abiertas**: lo que escribieron los encuestados, sin su nombre.")
    if found is None:
        empty_state(
            "no hay respuestas abiertas de encuestas para esta selección (se guardan al cargar "
            "una exportación de Google Forms o Microsoft Forms con preguntas de texto libre)."
        )
        return
    shown, hidden, minimum = found
    if hidden:
        st.caption(
            f":material/lock: {hidden} respuesta(s) de grupos con menos de {minimum} "
            "respuestas no se muestran, para proteger a quienes respondieron."
        )
    if shown.empty:
        return
    for (question, kind), group in shown.groupby(["question", "respondent_kind"], sort=False):
        with st.expander(f"{question} — {kind}s ({len(group)} respuestas)"):
            st.dataframe(
                group[["wave", "answer"]].rename(columns={"wave": "Ola", "answer": "Respuesta"}),
                hide_index=True,
                width="stretch",
                height=table_height(len(group)),
            )
