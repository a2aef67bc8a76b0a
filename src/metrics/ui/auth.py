"""Sign-in for the app: demo mode, OpenID Connect (``st.login``) and local accounts.

Who the person is lives in ``st.session_state[SESSION_USER]`` (their e-mail), set only by a
successful sign-in here; what they may see and do is recomputed from the store on every run
(:func:`metrics.access.access_for`), so a deactivated account stops at its next click. Tests
sign a user in by setting ``at.session_state[SESSION_USER] = "ana@escuela.cl"`` before
``at.run()`` (with ``TABLERO_DEMO`` unset); :func:`sign_in_for_tests` says so.

Modes, decided by :func:`auth_mode`:

- ``demo``: ``TABLERO_DEMO=1`` (set by ``make run``): no sign-in, full access, and only on a
  store that holds demo data alone (:func:`metrics.access.demo_refusal`); on any other store
  the variable is ignored with a Spanish notice, and sign-in is required.
- ``cuentas``: OpenID Connect when ``.streamlit/secrets.toml`` has an ``[auth]`` section,
  and/or local accounts (``tablero usuarios agregar``) when the store has any.
- none of them: the app refuses to start, with a Spanish message.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any, Literal, NoReturn

import streamlit as st

from metrics.access import Access, access_for, demo_refusal, sign_in_local, sign_in_oidc
from metrics.config import ENV_DEMO_MODE
from metrics.errors import AccessError
from metrics.formatting import escape_markdown
from metrics.store import Store, audit
from metrics.store.users import count_local_accounts
from metrics.ui import show_error

SESSION_USER = "tablero_usuario"
"""Session key holding the signed-in person's e-mail (never a widget key)."""

_ACCESS = "tablero_acceso"
_DEMO_VALUES = {"1", "true", "si", "sí", "yes", "on"}

PROVIDER_LABELS = {"google": "Google", "microsoft": "Microsoft", "": "su institución"}

NO_AUTH_MESSAGE = (
    "Este tablero no tiene configurado un modo de ingreso y no abrirá datos reales sin uno. "
    "Pida a quien administra el tablero en su institución que cree su cuenta; después, "
    "vuelva a abrir esta dirección."
)
"""What a person in the browser reads when nobody can sign in yet: what they can do."""

NO_AUTH_OPERATOR = (
    "En el servidor: configure el ingreso con Google Workspace o Microsoft Entra ID (sección "
    "`[auth]` de `.streamlit/secrets.toml`) o cree una cuenta local con `tablero usuarios "
    "agregar CORREO --rol administrador`. Para mirar los datos de demostración sin ingreso, "
    "abra el tablero con `tablero servir --demo`. Vea la sección «Despliegue» del README."
)
"""What the operator of the server does about it (shown apart, under its own heading)."""


def demo_mode() -> bool:
    """True when ``TABLERO_DEMO`` is explicitly on."""
    return os.environ.get(ENV_DEMO_MODE, "").strip().lower() in _DEMO_VALUES


def oidc_providers() -> list[str]:
    """Providers named in ``[auth]`` of the secrets (``""`` for a single unnamed one)."""
    try:
        section = st.secrets.get("auth")
    except Exception:  # no secrets file at all
        return []
    if not isinstance(section, Mapping):
        return []
    named = [str(k) for k, v in section.items() if isinstance(v, Mapping)]
    if "client_id" in section:
        named.insert(0, "")
    return named


def auth_mode(store: Store) -> Literal["demo", "cuentas"] | None:
    """How people get in (see the module docstring); None: the app must not start."""
    if demo_mode() and demo_refusal(store) is None:
        return "demo"
    if oidc_providers() or count_local_accounts(store) > 0:
        return "cuentas"
    return None


def sign_in_for_tests(email: str) -> dict[str, Any]:
    """The session state that signs ``email`` in, for AppTest.

    Example:
        ``at.session_state[SESSION_USER] = "dir@escuela.cl"`` is the same as
        ``for k, v in sign_in_for_tests("dir@escuela.cl").items(): at.session_state[k] = v``.
    """
    return {SESSION_USER: email}


def require_access(store: Store, *, navigation: dict[str, list[Any]] | None = None) -> Access:
    """The signed-in person's access, or the sign-in screen (and the run stops).

    Call it at the top of every run (``app.py``) and from every page's setup (a page can be
    run alone by a test). ``navigation`` (only from ``app.py``): the app's pages, all hidden;
    they are registered so that the address asked for resolves to its page (no «Page not
    found»), but the sign-in screen is drawn instead of it, and signing in reruns that page.
    """
    mode = auth_mode(store)
    if mode == "demo":
        access = Access.full(str(st.session_state.get("actor", "tablero")))
        st.session_state[_ACCESS] = access
        return access
    refused = demo_refusal(store) if demo_mode() else None
    if mode is None:
        st.session_state.pop(_ACCESS, None)
        _screen(lambda: _no_auth(refused), navigation)
    email = st.session_state.get(SESSION_USER)
    if email:
        try:
            access = access_for(store, str(email))
        except AccessError as exc:
            _forget()
            message = exc.message
            _screen(lambda: _sign_in_form(store, message, refused), navigation)
        st.session_state[_ACCESS] = access
        return access
    providers = oidc_providers()
    if providers and _oidc_logged_in():
        try:
            access = _oidc_access(store, providers)
        except AccessError as exc:
            message = exc.message
            _screen(lambda: _oidc_refusal(message), navigation)
        st.session_state[SESSION_USER] = access.actor
        st.session_state[_ACCESS] = access
        return access
    st.session_state.pop(_ACCESS, None)
    _screen(lambda: _sign_in_form(store, None, refused), navigation)


def current_access() -> Access:
    """The access computed at the start of this run (nobody, if none was)."""
    value = st.session_state.get(_ACCESS)
    return value if isinstance(value, Access) else Access.nobody()


def _oidc_logged_in() -> bool:
    try:
        return bool(st.user.is_logged_in)
    except Exception:  # auth not configured in this Streamlit
        return False


def _oidc_access(store: Store, providers: list[str]) -> Access:
    email = str(st.user.get("email") or "")
    if st.user.get("email_verified") is False:
        raise AccessError(f"El proveedor no confirmó el correo {email}; no se puede ingresar.")
    return sign_in_oidc(store, email, provider=",".join(p or "oidc" for p in providers))


def _forget() -> None:
    for key in (SESSION_USER, _ACCESS):
        st.session_state.pop(key, None)


def _screen(render: Any, navigation: dict[str, list[Any]] | None) -> NoReturn:
    """Show one screen instead of the app's page, then stop the run."""
    if navigation is not None:
        st.navigation(navigation, position="hidden")  # resolves the address; not run
    st.title("Tablero DPD")
    render()
    st.stop()
    raise AssertionError("unreachable")  # st.stop() raises


def _no_auth(demo_refused: str | None) -> None:
    if demo_refused:
        st.error(demo_refused, icon=":material/lock:")
    st.error(NO_AUTH_MESSAGE, icon=":material/lock:")
    with st.expander("Para quien administra el servidor"):
        st.markdown(NO_AUTH_OPERATOR)


def _sign_in_form(store: Store, notice: str | None, demo_refused: str | None = None) -> None:
    if demo_refused:
        st.warning(demo_refused, icon=":material/science:")
    if notice:
        st.warning(escape_markdown(notice), icon=":material/lock:")
    providers = oidc_providers()
    for provider in providers:
        label = PROVIDER_LABELS.get(provider, provider.capitalize())
        if st.button(f"Ingresar con {label}", icon=":material/login:", key=f"oidc_{provider}"):
            st.login(provider or None)
    if count_local_accounts(store) == 0:
        return
    if providers:
        st.caption("O con una cuenta local del tablero:")
    with st.form("ingreso", border=True):
        st.markdown("**Ingresar**")
        email = st.text_input("Correo electrónico", key="ingreso_correo")
        password = st.text_input("Contraseña", type="password", key="ingreso_clave")
        sent = st.form_submit_button("Ingresar", type="primary")
    if not sent:
        return
    try:
        access = sign_in_local(store, email, password)
    except AccessError as exc:
        show_error(exc)
        return
    st.session_state[SESSION_USER] = access.actor
    st.session_state[_ACCESS] = access
    st.rerun()


def _oidc_refusal(message: str) -> None:
    st.error(escape_markdown(message), icon=":material/block:")
    if st.button("Salir", icon=":material/logout:"):
        st.logout()


def account_box(store: Store, access: Access) -> None:
    """The sidebar's «who am I» line and the sign-out button (nothing in demo mode)."""
    if access.role is None:
        return
    with st.sidebar:
        st.caption(f":material/person: {escape_markdown(access.label)}")
        if st.button("Salir", icon=":material/logout:", key="salir"):
            audit.record(store, access.actor, "salida", {})
            _forget()
            if _oidc_logged_in():
                st.logout()
            st.rerun()
