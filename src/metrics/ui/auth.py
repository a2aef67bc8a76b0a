"""Sign-in for the app: demo mode, OpenID Connect (``st.login``) and local accounts.

Who the person is lives in ``st.session_state[SESSION_USER]`` (their e-mail), set only by a
successful sign-in here; what they may see and do is read from the store
(:func:`metrics.access.access_for`) again whenever anything was written to the store since the
last run of the session (:meth:`metrics.store.Store.change_stamp`: an account deactivated,
deleted or given another role or schools, from the app or the command line), so a deactivated
account stops at its next click; while nothing changed, a run reads no account. Tests
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
from collections.abc import Callable, Mapping
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

Navigation = dict[str, list[Any]] | Callable[[], dict[str, list[Any]]]
"""The app's pages for ``st.navigation``, or the function that lists them."""

_ACCESS = "tablero_acceso"
_CHECKED = "tablero_acceso_leido"
"""Session key: what the access in ``_ACCESS`` was read under (:func:`_check_key`)."""
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


def require_access(store: Store, *, navigation: Navigation | None = None) -> Access:
    """The signed-in person's access, or the sign-in screen (and the run stops).

    Call it at the top of every run (``app.py``) and from every page's setup (a page can be
    run alone by a test). ``navigation`` (only from ``app.py``): the app's pages, all hidden,
    or the function that lists them (called only when the sign-in screen is drawn); they are
    registered so that the address asked for resolves to its page (no «Page not found»), but
    the sign-in screen is drawn instead of it, and signing in reruns that page.
    """
    checked = _check_key(store)
    if checked is not None and st.session_state.get(_CHECKED) == checked:
        kept = st.session_state.get(_ACCESS)
        if isinstance(kept, Access):
            return kept  # nothing was written to the store since it was read: still true
    st.session_state.pop(_CHECKED, None)
    mode = auth_mode(store)
    if mode == "demo":
        access = Access.full(str(st.session_state.get("actor", "tablero")))
        st.session_state[_ACCESS] = access
        st.session_state[_CHECKED] = checked
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
        st.session_state[_CHECKED] = checked
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


def _check_key(store: Store) -> tuple[Any, ...] | None:
    """What a run's access depends on besides the person: the store's accounts and data (its
    :meth:`~metrics.store.Store.change_stamp`, taken before they are read, so that a write
    during the reading shows on the next run), demo mode, the identity providers, and who is
    signed in. None (read them every run) for an in-memory store."""
    stamp = store.change_stamp()
    if stamp is None:
        return None
    return (
        store.path,
        stamp,
        demo_mode(),
        tuple(oidc_providers()),
        st.session_state.get(SESSION_USER),
        st.session_state.get("actor"),
    )


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
    for key in (SESSION_USER, _ACCESS, _CHECKED):
        st.session_state.pop(key, None)


def _screen(render: Any, navigation: Navigation | None) -> NoReturn:
    """Show one screen instead of the app's page, then stop the run."""
    if navigation is not None:
        pages = navigation() if callable(navigation) else navigation
        st.navigation(pages, position="hidden")  # resolves the address; not run
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
