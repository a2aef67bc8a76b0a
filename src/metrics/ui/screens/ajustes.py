"""*Ajustes* (``pages/ajustes.py``): the settings that belong in the app — each school's baseline
year (whoever may set targets) and, for an administrator, the accounts and what each one sees
(what ``tablero usuarios`` does, with the same checks and the same audit rows).
"""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import streamlit as st

from metrics.access import (
    ROLE_LABELS,
    Role,
    deactivate_account,
    save_account,
    set_coordinator_communities,
)
from metrics.errors import TableroError
from metrics.formatting import escape_markdown, format_datetime
from metrics.scope import Scope
from metrics.store import Store
from metrics.store import users as user_store
from metrics.store.targets import read_baseline_years, set_baseline_year
from metrics.ui import current_access, current_actor, data_changed, show_error, table_height

DONE_KEY = "ajustes_hecho"
_DEFAULT = "Por omisión"
BASELINE_COLUMNS = {
    "rbd": "RBD",
    "nombre": "Establecimiento",
    "anio_base": "Año de línea base",
    "origen": "Origen",
}


def done_message() -> None:
    message = st.session_state.pop(DONE_KEY, None)
    if message:
        st.success(message, icon=":material/check:")


def baseline_section(store: Store, scope: Scope, years: list[int]) -> None:
    """Every visible school's baseline year, and a form to fix or clear one."""
    table = read_baseline_years(store, scope)
    if table.empty:
        st.info("No hay establecimientos registrados todavía.", icon=":material/info:")
        return
    shown = table.assign(
        anio_base=["–" if pd.isna(y) else str(int(y)) for y in table["anio_base"]],
        origen=[
            "fijado por el equipo"
            if pd.notna(d)
            else ("año anterior a la primera comunidad" if pd.notna(o) else "provisional")
            for d, o in zip(
                table["anio_base_definido"], table["anio_base_por_omision"], strict=True
            )
        ],
    )[list(BASELINE_COLUMNS)].rename(columns=BASELINE_COLUMNS)
    st.dataframe(shown, hide_index=True, width="stretch", height=table_height(len(shown)))
    if not current_access().can_set_targets:
        st.caption("Su perfil no permite cambiar el año de línea base.")
        return
    names = dict(zip(table["rbd"].astype(int), table["nombre"].astype(str), strict=True))
    with st.form("ajustes_linea_base"):
        c1, c2 = st.columns([2, 1])
        rbd = c1.selectbox(
            "Establecimiento",
            list(names),
            format_func=lambda r: f"{names[r]} (RBD {r})",
            key="ajustes_rbd",
        )
        year = c2.selectbox(
            "Año de línea base", [_DEFAULT, *sorted(years, reverse=True)], key="ajustes_anio"
        )
        sent = st.form_submit_button(
            "Guardar año de línea base", icon=":material/save:", key="ajustes_guardar_base"
        )
    if not sent:
        return
    try:
        set_baseline_year(
            store, scope, int(rbd), None if year == _DEFAULT else int(str(year)), current_actor()
        )
    except TableroError as exc:
        show_error(exc)
        return
    data_changed(store)
    st.session_state[DONE_KEY] = f"Año de línea base de {names[int(rbd)]}: " + (
        "por omisión." if year == _DEFAULT else f"{year}."
    )
    st.rerun()


def _reach(user: user_store.UserRow, schools: dict[int, str], communities: dict[str, str]) -> str:
    parts = [schools.get(r, f"RBD {r}") for r in user.schools] + list(user.territories)
    if user.communities:
        parts.append("comunidades: " + ", ".join(communities.get(c, c) for c in user.communities))
    return ", ".join(parts) or "todos"


def _community_labels(
    store: Store, schools: dict[int, str]
) -> tuple[dict[str, str], dict[str, str]]:
    """Every community id → «name (school)» for an administrator's forms, and → its name (the
    accounts table names the school already)."""
    comms = store.communities(Scope.all())
    rows = list(zip(comms["id"].astype(str), comms["name"].astype(str), comms["rbd"], strict=True))
    labels = {i: f"{n} ({schools.get(int(r), f'RBD {r}')})" for i, n, r in rows}
    return labels, {i: n for i, n, _ in rows}


def accounts_section(store: Store) -> None:
    """The accounts, and forms to create or replace one and to deactivate one."""
    accounts = user_store.list_users(store)
    every = store.schools(Scope.all())  # an administrator's page: every school
    schools = {int(r): str(n) for r, n in zip(every["rbd"], every["name"], strict=True)}
    territories = user_store.territory_names(store)
    communities, community_names = _community_labels(store, schools)
    if accounts:
        now = datetime.now()
        table = pd.DataFrame(
            {
                "Correo": [u.email for u in accounts],
                "Nombre": [u.name for u in accounts],
                "Perfil": [ROLE_LABELS[Role(u.role)] for u in accounts],
                "Ve": [_reach(u, schools, community_names) for u in accounts],
                "Ingreso": [
                    "contraseña" if u.password_hash else "Google/Microsoft" for u in accounts
                ],
                "Estado": [
                    ("activa" if u.active else "desactivada")
                    + (
                        f", bloqueada hasta {format_datetime(u.locked_until)}"
                        if u.locked_until is not None and u.locked_until > now
                        else ""
                    )
                    for u in accounts
                ],
            }
        )
        st.dataframe(table, hide_index=True, width="stretch", height=table_height(len(table)))
    else:
        st.info(
            "No hay cuentas: mientras no haya ninguna, el tablero funciona sin ingreso (modo "
            "demostración). Cree la primera, de un administrador.",
            icon=":material/info:",
        )
    with st.form("ajustes_cuenta", clear_on_submit=True):
        st.markdown("**Crear o reemplazar una cuenta**")
        c1, c2, c3 = st.columns(3)
        email = c1.text_input("Correo", key="cuenta_correo")
        name = c2.text_input("Nombre", key="cuenta_nombre")
        role = c3.selectbox(
            "Perfil", list(Role), format_func=lambda r: ROLE_LABELS[r], key="cuenta_perfil"
        )
        chosen_schools = st.multiselect(
            "Establecimiento (directivo o lector: uno; coordinación: el de sus comunidades)",
            list(schools),
            format_func=lambda r: f"{schools[r]} (RBD {r})",
            key="cuenta_establecimientos",
            placeholder="Elija un establecimiento",
        )
        chosen_territories = st.multiselect(
            "Territorios (supervisor)",
            list(territories),
            format_func=lambda t: territories[t],
            key="cuenta_territorios",
            placeholder="Elija uno o más territorios",
        )
        chosen_communities = st.multiselect(
            "Comunidades (coordinación: las que registra, de un mismo establecimiento)",
            list(communities),
            format_func=lambda c: communities[c],
            key="cuenta_comunidades",
            placeholder="Elija una o más comunidades",
        )
        password = st.text_input(
            "Contraseña (en blanco: solo ingreso con Google o Microsoft)",
            type="password",
            key="cuenta_contrasena",
        )
        sent = st.form_submit_button(
            "Guardar cuenta", type="primary", icon=":material/save:", key="cuenta_guardar"
        )
    if sent:
        if Role(str(role)) is Role.COORDINADOR and not chosen_schools:
            # A coordinator's school is that of its communities: no need to pick it twice.
            chosen_schools = sorted(
                set(user_store.community_schools(store, chosen_communities).values())
            )
        try:
            new = save_account(
                store,
                current_actor(),
                email=email,
                name=name,
                role=Role(str(role)),
                schools=chosen_schools,
                territories=chosen_territories,
                password=password or None,
                communities=chosen_communities,
            )
        except TableroError as exc:
            show_error(exc)
        else:
            st.session_state[DONE_KEY] = (
                f"Cuenta {escape_markdown(email.strip().lower())} "
                f"{'creada' if new else 'reemplazada'}: {ROLE_LABELS[Role(str(role))]}."
            )
            st.rerun()
    coordinators = [u for u in accounts if u.active and u.role == Role.COORDINADOR.value]
    if coordinators:
        coordinator_form(store, coordinators, communities)
    active = [u.email for u in accounts if u.active and u.email != current_actor()]
    if not active:
        return
    with st.form("ajustes_desactivar"):
        st.markdown("**Desactivar una cuenta** (su historial se conserva)")
        who = st.selectbox("Cuenta", active)
        off = st.form_submit_button("Desactivar", icon=":material/person_off:")
    if off:
        try:
            deactivate_account(store, current_actor(), str(who))
        except TableroError as exc:
            show_error(exc)
        else:
            st.session_state[DONE_KEY] = f"Cuenta {escape_markdown(str(who))} desactivada."
            st.rerun()


def coordinator_form(
    store: Store, coordinators: list[user_store.UserRow], communities: dict[str, str]
) -> None:
    """Change which communities of its school a coordinator account keeps (its password and
    sign-in stay as they were)."""
    with st.container(border=True):
        st.markdown("**Comunidades de una cuenta de coordinación**")
        by_email = {u.email: u for u in coordinators}
        email = st.selectbox(
            "Cuenta de coordinación",
            list(by_email),
            format_func=lambda e: f"{by_email[e].name or e} ({e})",
            key="coordinacion_cuenta",
        )
        user = by_email[str(email)]
        own = user_store.community_schools(store, list(communities))
        options = [c for c in communities if own.get(c) in user.schools]
        with st.form(f"coordinacion_comunidades_{user.email}", border=False):
            chosen = st.multiselect(
                "Comunidades que registra",
                options,
                default=[c for c in user.communities if c in options],
                format_func=lambda c: communities[c],
                key=f"coordinacion_comunidades_{user.email}",
                placeholder="Elija una o más comunidades de su establecimiento",
            )
            sent = st.form_submit_button(
                "Guardar comunidades", icon=":material/save:", key="coordinacion_guardar"
            )
    if not sent:
        return
    try:
        set_coordinator_communities(store, current_actor(), user.email, chosen)
    except TableroError as exc:
        show_error(exc)
        return
    names = ", ".join(communities[c] for c in sorted(chosen))
    st.session_state[DONE_KEY] = (
        f"Comunidades de {escape_markdown(user.email)}: {escape_markdown(names)}."
    )
    st.rerun()
