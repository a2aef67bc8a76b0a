"""Shared Streamlit pieces: the cached store, the sidebar filters, guards and empty states.

The only module under ``src/`` that imports Streamlit. Pages call these helpers and
``metrics.*`` functions; they hold no SQL and no business rules.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd
import streamlit as st

from metrics.config import resolve_db_path
from metrics.errors import TableroError
from metrics.filters import Filters
from metrics.formatting import format_datetime, format_number
from metrics.scope import Scope
from metrics.store import Store, StoreInfo, open_store

ALL = "__todos__"
"""Sentinel option of a select box meaning "no filter"."""

_FILTER_KEYS = ("f_territory", "f_school", "f_community", "f_year", "f_cutoff")


@st.cache_resource(show_spinner="Abriendo la base de datos…")
def _open_cached_store(path: str) -> Store:
    return open_store(path)


def get_store() -> Store:
    """The store of this deployment, opened once per server process; stops the page on error."""
    path = str(resolve_db_path())
    try:
        return _open_cached_store(path)
    except TableroError as exc:
        show_error(exc)
        st.stop()
        raise  # unreachable: st.stop() raises


def current_scope() -> Scope:
    """The schools the current user may see.

    Until sign-in exists every session sees every school; access control replaces this.
    """
    return Scope.all()


def show_error(exc: TableroError) -> None:
    """A Spanish error box with the error's title and message, never a traceback."""
    st.error(f"**{exc.title}.** {exc.message}", icon=":material/error:")


@st.cache_data(show_spinner=False, ttl=600)
def load_info(_store: Store, store_path: str, scope: Scope) -> StoreInfo:
    """What the store holds in ``scope`` (cached; cleared after every import)."""
    return _store.info(scope)


@st.cache_data(show_spinner=False, ttl=600)
def load_counts(_store: Store, store_path: str, scope: Scope, year: int | None) -> dict[str, int]:
    return _store.headline_counts(scope, year)


@st.cache_data(show_spinner=False, ttl=600)
def _load_options(_store: Store, store_path: str, scope: Scope) -> dict[str, Any]:
    return {
        "territories": _store.territories(scope),
        "schools": _store.schools(scope),
        "communities": _store.communities(scope),
        "years": _store.years(scope),
        "default_year": _store.latest_results_year(scope),
    }


@st.cache_data(show_spinner=False, ttl=600)
def _territory_rbds(_store: Store, store_path: str, scope: Scope, territory_id: str) -> list[int]:
    return [int(r) for r in _store.schools(scope, territory_id)["rbd"]]


def clear_caches() -> None:
    """Forget cached query results (after an import or an undo)."""
    st.cache_data.clear()


def _keep_valid(key: str, options: list[Any]) -> None:
    """Drop a remembered choice that the current options no longer offer."""
    if key in st.session_state and st.session_state[key] not in options:
        st.session_state[key] = options[0]


def sidebar_filters(store: Store, scope: Scope) -> Filters:
    """Draw the shared filters in the sidebar and return the selection.

    Widgets live in the entry point (``app.py``), so their values are kept while moving between
    pages.
    """
    opts = _load_options(store, store.path, scope)
    territories: pd.DataFrame = opts["territories"]
    schools: pd.DataFrame = opts["schools"]
    communities: pd.DataFrame = opts["communities"]
    years: list[int] = opts["years"]
    kind_label = {"slep": "SLEP", "deprov": "DEPROV", "comuna": "Comuna"}

    with st.sidebar:
        st.subheader("Filtros")
        t_names = {
            str(tid): f"{kind_label.get(str(kind), str(kind))} {name}"
            for tid, name, kind in zip(
                territories["id"], territories["name"], territories["kind"], strict=True
            )
        }
        t_options = [ALL, *t_names]
        _keep_valid("f_territory", t_options)
        territory = st.selectbox(
            "Territorio",
            t_options,
            key="f_territory",
            format_func=lambda v: "Todos los territorios" if v == ALL else t_names[v],
        )
        territory_id = None if territory == ALL else str(territory)
        if territory_id is not None:
            rbds = set(_territory_rbds(store, store.path, scope, territory_id))
            schools = schools[schools["rbd"].isin(rbds)]
        s_names = {
            int(r): f"{name} (RBD {r})"
            for r, name in zip(schools["rbd"], schools["name"], strict=True)
        }
        s_options = [ALL, *s_names]
        _keep_valid("f_school", s_options)
        school = st.selectbox(
            "Establecimiento",
            s_options,
            key="f_school",
            format_func=lambda v: "Todos los establecimientos" if v == ALL else s_names[v],
        )
        rbd = None if school == ALL else int(str(school))
        comms = communities if rbd is None else communities[communities["rbd"] == rbd]
        if rbd is None and territory_id is not None:
            comms = comms[comms["rbd"].isin(list(s_names))]
        c_names = {str(c): str(name) for c, name in zip(comms["id"], comms["name"], strict=True)}
        c_options = [ALL, *c_names]
        _keep_valid("f_community", c_options)
        community = st.selectbox(
            "Comunidad de práctica",
            c_options,
            key="f_community",
            format_func=lambda v: "Todas las comunidades" if v == ALL else c_names[v],
        )
        community_id = None if community == ALL else str(community)
        y_options: list[Any] = sorted(years, reverse=True) or [ALL]
        _keep_valid("f_year", y_options)
        if "f_year" not in st.session_state and opts["default_year"] in y_options:
            # The latest year with students' final results, not a year with only a schedule.
            st.session_state["f_year"] = opts["default_year"]
        year = st.selectbox(
            "Año",
            y_options,
            key="f_year",
            format_func=lambda v: "Sin datos" if v == ALL else str(v),
        )
        cutoff = st.date_input(
            "Fecha de corte",
            value=date.today(),
            key="f_cutoff",
            format="DD-MM-YYYY",
            help="El cumplimiento del cronograma cuenta las actividades planificadas hasta "
            "esta fecha.",
        )

    return Filters(
        territory_id=territory_id,
        territory_name=None if territory_id is None else t_names[territory_id],
        rbd=rbd,
        school_name=None if rbd is None else s_names[rbd].rsplit(" (RBD", 1)[0],
        community_id=community_id,
        community_name=None if community_id is None else c_names[community_id],
        year=None if year == ALL else int(str(year)),
        cutoff=cutoff if isinstance(cutoff, date) else None,
    )


def filtered_scope(store: Store, filters: Filters) -> Scope:
    """The user's scope narrowed to the sidebar's school or territory."""
    base = current_scope()
    territory_rbds = (
        _territory_rbds(store, store.path, base, filters.territory_id)
        if filters.territory_id
        else None
    )
    return filters.scope(base, territory_rbds)


def table_height(rows: int) -> int:
    """Pixel height that shows ``rows`` rows of an ``st.dataframe`` without scrolling."""
    return 38 + 35 * rows


def datasets_table(info: StoreInfo) -> pd.DataFrame:
    """Rows and years per dataset, for display."""

    def years_label(years: list[int]) -> str:
        if not years:
            return "–"
        return str(years[0]) if len(years) == 1 else f"{years[0]}–{years[-1]}"

    return pd.DataFrame(
        {
            "Conjunto de datos": [info.labels[t] for t in info.rows],
            "Filas": [format_number(n) for n in info.rows.values()],
            "Años": [years_label(info.years_by_dataset.get(t, [])) for t in info.rows],
        }
    )


def batches_table(batches: pd.DataFrame) -> pd.DataFrame:
    """The batch history, for display."""
    return pd.DataFrame(
        {
            "Carga": batches["id"],
            "Tipo": batches["kind"],
            "Archivo": batches["file_name"],
            "Filas": [format_number(n) for n in batches["row_count"]],
            "Por": batches["actor"],
            "Fecha": [format_datetime(d) for d in batches["created_at"]],
            "Estado": ["deshecha" if pd.notna(u) else "vigente" for u in batches["undone_at"]],
        }
    )


def remember_filters(filters: Filters) -> None:
    """Keep the sidebar selection for the page that runs after the entry point."""
    st.session_state["filters"] = filters


def current_filters() -> Filters:
    """The sidebar selection of this run (all schools, no year, before the sidebar runs)."""
    value = st.session_state.get("filters")
    return value if isinstance(value, Filters) else Filters()


@st.cache_data(show_spinner=False, ttl=600)
def load_batches(_store: Store, store_path: str, scope: Scope, limit: int = 10) -> pd.DataFrame:
    return _store.batches(scope, limit=limit)


def empty_store_notice() -> None:
    """What to do when the store holds no data yet."""
    st.info(
        "**La base de datos todavía no tiene datos.** Para explorar el tablero con datos "
        "ficticios, ejecute `tablero demo` (o `make run`, que la crea si no existe) y vuelva "
        "a cargar esta página.",
        icon=":material/database:",
    )


def demo_badge(batches: pd.DataFrame) -> None:
    """Say plainly when the figures are fictional."""
    if len(batches) and (batches["kind"] == "demo").any():
        st.caption(
            ":material/science: Datos de demostración: establecimientos, docentes y "
            "estudiantes ficticios."
        )
