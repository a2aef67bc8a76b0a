"""*Registros* (``pages/registros.py``): a school's own records kept in the app — a session of a
community, its schedule, its members, and the community itself.

Every save is a load (:mod:`metrics.imports.community_records`): in the history, undoable,
audited. After a save the engine's facts are brought up to date at once
(:func:`metrics.ui.data_changed`), and the page says the community's indicators as they now
stand.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from metrics.access import Access
from metrics.engine.catalog import INDICATORS
from metrics.engine.indicators import compute_indicators
from metrics.errors import TableroError
from metrics.filters import Filters
from metrics.formatting import count_label, escape_markdown, format_date
from metrics.imports import community_records as rec
from metrics.imports.pipeline import ImportResult
from metrics.ingest.datasets import ACTIVITY_KINDS, ACTIVITY_STATUS, COMMUNITY_KINDS
from metrics.presentation.views import format_indicator_value
from metrics.selection import cutoff_for
from metrics.store import Store
from metrics.store import community_records as reads
from metrics.ui import data_changed, empty_state, fitted_columns, show_error, table_height

_DONE = "registros_hecho"
"""Session key of the last save's message, shown after the rerun that clears the form."""
_VERSION = "registros_version"
"""Session key of a number in every form's widget keys: a save bumps it, so the next run draws
empty forms (deleting a widget's key does not clear what the browser shows)."""


def form_key(base: str) -> str:
    """The widget key prefix of a form: ``base`` and the forms' current version."""
    return f"{base}v{st.session_state.get(_VERSION, 0)}_"


SESSION_CODES = ("participacion_activa", "intercambio_estrategias", "frecuencia_reuniones")
SCHEDULE_CODES = ("cumplimiento_cronograma",)


def current_year() -> int:
    """The year recorded when the sidebar has none chosen: this one."""
    return date.today().year


def choose_school(store: Store, access: Access, filters: Filters) -> tuple[int, str] | None:
    """The school to record in: the sidebar's, or one chosen here (a person who sees one
    school gets it); None when the store has none."""
    schools = store.schools(access.scope)
    if schools.empty:
        return None
    names = {int(r): str(n) for r, n in zip(schools["rbd"], schools["name"], strict=True)}
    if filters.rbd is not None and filters.rbd in names:
        return filters.rbd, names[filters.rbd]
    if len(names) == 1:
        rbd = next(iter(names))
        return rbd, names[rbd]
    rbd = st.selectbox(
        "Establecimiento",
        list(names),
        format_func=lambda r: f"{names[r]} (RBD {r})",
        key="registros_rbd",
        help="También puede elegirlo en la barra lateral.",
    )
    return int(rbd), names[int(rbd)]


def choose_community(
    store: Store, access: Access, rbd: int, filters: Filters
) -> tuple[pd.DataFrame, str | None]:
    """The school's communities this person keeps, and the one chosen (the sidebar's if it is
    one of them)."""
    comms = reads.read_communities(store, access.scope, rbd)
    if access.communities is not None:
        comms = comms[comms["id"].isin(access.communities)]
    if comms.empty:
        return comms, None
    labels = {
        str(i): str(n) + (" (cerrada)" if not pd.isna(e) else "")
        for i, n, e in zip(comms["id"], comms["name"], comms["end_date"], strict=True)
    }
    options = list(labels)
    index = options.index(filters.community_id) if filters.community_id in labels else 0
    chosen = st.selectbox(
        "Comunidad de práctica",
        options,
        index=index,
        format_func=lambda c: labels[c],
        key=f"registros_comunidad_{rbd}",
    )
    return comms, str(chosen)


def done_message() -> None:
    """The message of the save just made (kept across the rerun that cleared the form)."""
    message = st.session_state.pop(_DONE, None)
    if message:
        st.success(message, icon=":material/check_circle:")


def _saved(
    store: Store,
    access: Access,
    result: ImportResult | None,
    what: str,
    community_id: str | None,
    year: int,
    codes: tuple[str, ...],
) -> None:
    """After a save: refresh the facts, say what was saved and the indicators now, clear the
    forms (:func:`form_key`) and rerun."""
    if result is None:
        st.info("No hay cambios que guardar.", icon=":material/info:")
        return
    data_changed(store)
    message = (
        f"{escape_markdown(what)} como la carga {result.batch_id} (se puede deshacer en Historial)."
    )
    if community_id is not None:
        now = indicator_sentence(store, access, community_id, year, codes)
        if now:
            message += " " + now
    st.session_state[_DONE] = message
    st.session_state[_VERSION] = int(st.session_state.get(_VERSION, 0)) + 1
    st.rerun()


def indicator_sentence(
    store: Store, access: Access, community_id: str, year: int, codes: tuple[str, ...]
) -> str:
    """«Ahora, en 2025: participación activa 85,7 %, …» for the community."""
    rows = compute_indicators(
        store,
        access.scope,
        alcance="comunidad",
        alcance_id=community_id,
        anio=year,
        corte=cutoff_for(year, date.today()),
        indicadores=list(codes),
        mensual=False,
    )
    rows = rows[rows["periodo"] == str(year)]
    parts = [
        f"{INDICATORS[c].name.lower()} {format_indicator_value(INDICATORS[c], float(v))}"
        for c, v in zip(rows["indicador"], rows["valor"], strict=True)
        if not pd.isna(v)
    ]
    return f"Ahora, en {year}: " + "; ".join(parts) + "." if parts else ""


def session_form(store: Store, access: Access, community_id: str, year: int) -> None:
    """Record a session: date, topic, who came, strategies shared (a line each), agreements."""
    key = form_key(f"registros_sesion_{community_id}_")
    day = st.date_input(
        "Fecha de la sesión",
        value=min(date.today(), date(year, 12, 31)),
        format="DD-MM-YYYY",
        key=key + "fecha",
    )
    members = reads.read_members(store, access.scope, community_id, day.year)
    if members.empty:
        st.warning(
            f"La comunidad no tiene integrantes en {day.year}: regístrelos primero en la "
            "pestaña «Integrantes».",
            icon=":material/group_off:",
        )
        return
    topic = st.text_input("Tema", key=key + "tema", placeholder="Por ejemplo: lectura en voz alta")
    st.markdown(
        f"**¿Quiénes vinieron?** ({count_label(len(members), 'integrante', 'integrantes')})"
    )
    cols = st.columns(3)
    came = [
        t
        for i, (t, name) in enumerate(zip(members["teacher_id"], members["name"], strict=True))
        if cols[i % 3].checkbox(escape_markdown(name), value=True, key=f"{key}vino_{t}")
    ]
    names = dict(zip(members["teacher_id"], members["name"], strict=True))
    count = st.number_input(
        "Estrategias compartidas", min_value=0, max_value=20, step=1, key=key + "n"
    )
    lines = []
    for i in range(int(count)):
        c1, c2 = st.columns([3, 2])
        text = c1.text_input(f"Estrategia {i + 1}", key=f"{key}estrategia_{i}")
        who = c2.selectbox(
            f"Compartida por (estrategia {i + 1})",
            came or list(names),
            format_func=lambda t: str(names[t]),
            key=f"{key}quien_{i}",
        )
        lines.append(rec.StrategyLine(str(who), text))
    agreements = st.text_area("Acuerdos", key=key + "acuerdos", height=80)
    if st.button("Guardar sesión", type="primary", icon=":material/save:", key=key + "guardar"):
        try:
            result = rec.save_session(
                store,
                access,
                community_id,
                day,
                topic=topic,
                attended=came,
                strategies=lines,
                agreements=agreements,
            )
        except TableroError as exc:
            show_error(exc)
            return
        _saved(
            store,
            access,
            result,
            f"Sesión del {format_date(day)} guardada",
            community_id,
            day.year,
            SESSION_CODES,
        )


def sessions_table(store: Store, access: Access, community_id: str, year: int) -> None:
    """The community's sessions of ``year``, newest first."""
    sessions = reads.read_sessions(store, access.scope, community_id)
    sessions = sessions[[pd.Timestamp(d).year == year for d in sessions["session_date"]]]
    if sessions.empty:
        st.caption(f"Todavía no hay sesiones registradas en {year}.")
        return
    table = pd.DataFrame(
        {
            "Fecha": [format_date(pd.Timestamp(d).date()) for d in sessions["session_date"]],
            "Tema": sessions["topic"].fillna("–"),
            "Asistencia": [
                f"{a} de {n}"
                for a, n in zip(sessions["attended"], sessions["invited"], strict=True)
            ],
            "Estrategias": sessions["strategies"],
            "Detalle": sessions["strategy_notes"].fillna("").str.replace("|", " · "),
            "Acuerdos": sessions["agreements"].fillna(""),
        }
    )
    st.dataframe(
        table,
        hide_index=True,
        width="stretch",
        height=table_height(min(len(table), 12)),
        column_config=fitted_columns(table),
    )


_SCHEDULE_LABELS = {
    "id": "Actividad",
    "kind": "Tipo",
    "responsible": "Responsable",
    "planned_date": "Fecha planificada",
    "done_date": "Fecha realizada",
    "status": "Estado",
}


def schedule_editor(store: Store, access: Access, community_id: str, year: int) -> None:
    """The community's schedule in an editable table: add activities, mark them done,
    rescheduled or cancelled with their dates; compliance is said above it."""
    key = form_key(f"registros_cronograma_{community_id}_")
    sentence = indicator_sentence(store, access, community_id, year, SCHEDULE_CODES)
    cutoff = cutoff_for(year, date.today())
    st.markdown(
        (sentence or f"Sin actividades planificadas hasta el {format_date(cutoff)} en {year}.")
        + f" Fecha de corte: {format_date(cutoff)}."
    )
    table = reads.read_activities(store, access.scope, community_id)
    for c in ("planned_date", "done_date"):
        table[c] = pd.to_datetime(table[c]).dt.date
    # The chosen year's activities (the others are left as they are when saving).
    table = table[[d.year == year for d in table["planned_date"]]].reset_index(drop=True)
    edited = st.data_editor(
        table,
        key=key + "tabla",
        num_rows="add",
        hide_index=True,
        width="stretch",
        column_order=list(_SCHEDULE_LABELS),
        column_config={
            "id": st.column_config.TextColumn(
                _SCHEDULE_LABELS["id"], disabled=True, help="Se asigna al guardar."
            ),
            "kind": st.column_config.SelectboxColumn(
                "Tipo", options=sorted(set(ACTIVITY_KINDS.values())), required=True
            ),
            "responsible": st.column_config.TextColumn("Responsable"),
            "planned_date": st.column_config.DateColumn(
                "Fecha planificada", format="DD-MM-YYYY", required=True
            ),
            "done_date": st.column_config.DateColumn("Fecha realizada", format="DD-MM-YYYY"),
            "status": st.column_config.SelectboxColumn("Estado", options=_STATUSES, required=True),
        },
    )
    st.caption(
        "Agregue una fila por actividad. Para quitar una actividad, márquela «cancelada»: "
        "cuenta como no realizada. Una reprogramada lleva su nueva fecha planificada."
    )
    if st.button("Guardar cronograma", type="primary", icon=":material/save:", key=key + "guardar"):
        try:
            result = rec.save_activities(store, access, community_id, edited)
        except TableroError as exc:
            show_error(exc)
            return
        _saved(store, access, result, "Cronograma guardado", community_id, year, SCHEDULE_CODES)


_STATUSES = ["planificada", "realizada", "reprogramada", "cancelada"]
assert set(_STATUSES) == set(ACTIVITY_STATUS.values())


def members_form(store: Store, access: Access, rbd: int, community_id: str, year: int) -> None:
    """The community's members of ``year``, chosen from the school's roster."""
    key = form_key(f"registros_integrantes_{community_id}_{year}_")
    roster = reads.read_roster(store, access.scope, rbd, year)
    if roster.empty:
        empty_state(
            f"no hay dotación docente {year} de este establecimiento. Se carga con la plantilla "
            "Docentes e integrantes."
        )
        return
    names = {
        str(t): str(n) if isinstance(n, str) else str(t)
        for t, n in zip(roster["teacher_id"], roster["name"], strict=True)
    }
    current = reads.read_members(store, access.scope, community_id, year)
    chosen = st.multiselect(
        f"Integrantes en {year} (de la dotación del establecimiento)",
        list(names),
        default=[t for t in current["teacher_id"] if t in names],
        format_func=lambda t: names[t],
        key=key + "elegidos",
    )
    st.caption(f"{count_label(len(chosen), 'integrante elegido', 'integrantes elegidos')}.")
    if st.button(
        "Guardar integrantes", type="primary", icon=":material/save:", key=key + "guardar"
    ):
        try:
            result = rec.save_members(store, access, community_id, year, chosen)
        except TableroError as exc:
            show_error(exc)
            return
        _saved(store, access, result, "Integrantes guardados", community_id, year, ())


def community_form(
    store: Store, access: Access, rbd: int, comms: pd.DataFrame, community_id: str | None
) -> None:
    """Create a community, or edit or close the chosen one."""
    can_create = access.may_record(None)
    modes = (["editar"] if community_id else []) + (["nueva"] if can_create else [])
    if not modes:
        return
    mode = st.radio(
        "¿Qué desea hacer?",
        modes,
        format_func=lambda m: (
            "Editar o cerrar la comunidad elegida" if m == "editar" else "Crear una comunidad nueva"
        ),
        horizontal=True,
        key=f"registros_modo_{rbd}",
    )
    new = mode == "nueva"
    row = None if new or community_id is None else comms.set_index("id").loc[community_id].to_dict()
    key = form_key(f"registros_comunidad_form_{rbd}_{'nueva' if new else community_id}_")
    kinds = sorted(set(COMMUNITY_KINDS.values()))
    with st.form(key + "form", border=True):
        c1, c2 = st.columns([1, 2])
        ident = c1.text_input(
            "Identificador",
            value="" if row is None else str(community_id),
            disabled=not new,
            key=key + "id",
            help="Corto y único, por ejemplo CP-LECT. No se puede cambiar después.",
        )
        name = c2.text_input(
            "Nombre", value="" if row is None else str(row["name"]), key=key + "nombre"
        )
        kind = c1.selectbox(
            "Modalidad",
            kinds,
            index=kinds.index(str(row["kind"])) if row is not None else 0,
            key=key + "tipo",
        )
        focus = c2.text_input(
            "Foco (desafío común)",
            value="" if row is None or not isinstance(row["focus"], str) else row["focus"],
            key=key + "foco",
        )
        start = c1.date_input(
            "Fecha de inicio",
            value=_as_date(None if row is None else row["start_date"]),
            format="DD-MM-YYYY",
            key=key + "inicio",
        )
        closed_on = _as_date(None if row is None else row["end_date"])
        # Empty until the community is closed: a date here means nothing unless «cerrada»
        # is ticked, and a prefilled one would read as if it were.
        end = c2.date_input(
            "Fecha de cierre",
            value=closed_on,
            format="DD-MM-YYYY",
            key=key + "cierre",
        )
        closed = c2.checkbox(
            "La comunidad está cerrada (desde la fecha de cierre)",
            value=closed_on is not None,
            key=key + "cerrada",
        )
        sent = st.form_submit_button(
            "Crear comunidad" if new else "Guardar comunidad",
            type="primary",
            icon=":material/save:",
        )
    if sent:
        if closed and not isinstance(end, date):
            show_error(
                rec.RecordError(
                    "Para cerrar la comunidad, indique su fecha de cierre. No se guardó nada."
                )
            )
            return
        try:
            result = rec.save_community(
                store,
                access,
                community_id=ident if new else str(community_id),
                rbd=rbd,
                name=name,
                kind=kind,
                focus=focus or None,
                start_date=start,
                end_date=end if closed and isinstance(end, date) else None,
                new=new,
            )
        except TableroError as exc:
            show_error(exc)
            return
        what = f"Comunidad {ident if new else community_id} guardada"
        _saved(store, access, result, what, None, date.today().year, ())


def _as_date(value: object) -> date | None:
    if value is None or value is pd.NaT or (not isinstance(value, date) and pd.isna(value)):  # type: ignore[call-overload]
        return None
    return pd.Timestamp(value).date()  # type: ignore[arg-type]
