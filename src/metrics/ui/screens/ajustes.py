"""*Ajustes* (``pages/ajustes.py``): the settings that belong in the app — each school's baseline
year (whoever may set targets) and, for an administrator, the accounts and what each one sees
(what ``tablero usuarios`` does, with the same checks and the same audit rows).
"""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import streamlit as st

from metrics.access import ROLE_LABELS, Role, deactivate_account, save_account
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


def _reach(user: user_store.UserRow, schools: dict[int, str]) -> str:
    parts = [schools.get(r, f"RBD {r}") for r in user.schools] + list(user.territories)
    return ", ".join(parts) or "todos"


def accounts_section(store: Store) -> None:
    """The accounts, and forms to create or replace one and to deactivate one."""
    accounts = user_store.list_users(store)
    every = store.schools(Scope.all())  # an administrator's page: every school
    schools = {int(r): str(n) for r, n in zip(every["rbd"], every["name"], strict=True)}
    territories = user_store.territory_names(store)
    if accounts:
        now = datetime.now()
        table = pd.DataFrame(
            {
                "Correo": [u.email for u in accounts],
                "Nombre": [u.name for u in accounts],
                "Perfil": [ROLE_LABELS[Role(u.role)] for u in accounts],
                "Ve": [_reach(u, schools) for u in accounts],
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
            "Establecimiento (directivo o lector: uno)",
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
        password = st.text_input(
            "Contraseña (en blanco: solo ingreso con Google o Microsoft)",
            type="password",
            key="cuenta_contrasena",
        )
        sent = st.form_submit_button(
            "Guardar cuenta", type="primary", icon=":material/save:", key="cuenta_guardar"
        )
    if sent:
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
            )
        except TableroError as exc:
            show_error(exc)
        else:
            st.session_state[DONE_KEY] = (
                f"Cuenta {escape_markdown(email.strip().lower())} "
                f"{'creada' if new else 'reemplazada'}: {ROLE_LABELS[Role(str(role))]}."
            )
            st.rerun()
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
