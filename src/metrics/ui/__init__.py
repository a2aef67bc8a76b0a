"""Shared Streamlit pieces: the cached store and results, the sidebar filters, guards, cards,
empty states.

The only package under ``src/`` that imports Streamlit. Each screen's own parts live in one
module of :mod:`metrics.ui.screens` (``pages/antes.py`` → ``metrics.ui.screens.antes``); what is
here serves several screens. What to compute for a selection is decided in
:mod:`metrics.selection` (shared with the command line and the council packs); this package
only caches it: every result is an ``st.cache_data`` entry, cleared by :func:`clear_caches`
after every import and undo. Pages call these helpers and ``metrics.*`` functions; they hold no
SQL and no business rules.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from types import MappingProxyType
from typing import Any, TypeVar, cast

import pandas as pd
import streamlit as st

from metrics.access import PERMISSION_REFUSALS, Access
from metrics.config import resolve_db_path
from metrics.engine.catalog import INDICATORS
from metrics.engine.indicators import (
    compute_breakdowns,
    compute_indicators,
    engine_problems,
    facts_are_current,
    prepare_facts,
    restrict_to_schools,
)
from metrics.errors import AccessError, TableroError, redact_paths
from metrics.filters import Filters
from metrics.formatting import escape_markdown, format_datetime, format_number
from metrics.imports import KIND_LABELS
from metrics.presentation.export import chart_png, frame_csv, frame_xlsx
from metrics.presentation.status import status_colour, trend_words
from metrics.presentation.views import (
    LOAD_PAGE,
    SOURCE_LABELS,
    SUPPRESSED_TEXT,
    baseline_name,
    metric_delta,
    metric_label_and_value,
    plain,
    rows_for,
    scorecard,
    trend_view,
)
from metrics.scope import Scope
from metrics.selection import (
    MANY_SCHOOLS,
    Plan,
    cutoff_for,
    default_cutoff,
    default_year_of,
    plan_rows,
    selection_scope,
    standing_territory_shown,
    territory_label,
    territory_schools,
    widest_territory,
)
from metrics.selection import communities_need_a_school as need
from metrics.store import Store, StoreInfo, audit, open_store, views

T = TypeVar("T")

ALL = "__todos__"
"""Sentinel option of a select box meaning "no filter"."""

_FILTER_KEYS = ("f_territory", "f_school", "f_community", "f_year", "f_cutoff")


def scope_cache_key(scope: Scope) -> str:
    """What Streamlit's caches hash for a :class:`Scope` argument (``hash_funcs``): a digest of
    its schools and territories. Streamlit's own hashing of a dataclass copies it and hashes
    each school of a frozenset one by one: 7 ms for a scope of 1.100 schools, and a page makes
    60 to 90 cache lookups, most of them with the person's scope in the key (bench_cache_keys)."""
    return _scope_digest(scope.rbds, scope.territories)


@functools.lru_cache(maxsize=1024)
def _scope_digest(rbds: frozenset[int] | None, territories: frozenset[str] | None) -> str:
    schools = "*" if rbds is None else ",".join(map(str, sorted(rbds)))
    places = "*" if territories is None else ",".join(sorted(territories))
    return hashlib.sha256(f"{schools}|{places}".encode()).hexdigest()


HASH_FUNCS: dict[Any, Callable[[Any], Any]] = {Scope: scope_cache_key, Filters: repr, Plan: repr}
"""``hash_funcs`` of every cache of the app that takes a scope (its key includes one): the
scope's digest, and the sidebar's selection and the engine's plan by their ``repr`` (frozen
dataclasses of strings, numbers and dates, every field shown: two differ exactly when their
``repr`` does), which Streamlit would otherwise copy field by field on every lookup (0,35 ms of
the 0,48 ms of a reused card's key)."""


@st.cache_resource(show_spinner="Abriendo la base de datos…")
def _open_cached_store(path: str) -> Store:
    # The app holds the file only while it works, so that `tablero` commands on the same
    # file take their turn (see metrics.store.locking), and only to read: several app
    # processes (and `tablero` readers) read it at once; a write (an import, a sign-in's
    # audit record) takes the exclusive turn for its transaction alone.
    return open_store(path, read_only=True, release_when_idle=True, on_wait=_say_waiting)


def _say_waiting() -> None:
    """Called by the store in the page's thread when another process holds the file."""
    from contextlib import suppress

    with suppress(Exception):  # outside a page run there is nobody to tell
        st.toast(
            "Esperando la base de datos… (una carga u otro comando la está usando; la página "
            "sigue sola)",
            icon=":material/hourglass_top:",
        )


_SEEN_VERSION: dict[str, int] = {}
"""The store's :meth:`~metrics.store.Store.data_version` the caches of this process were built
on."""


def get_store() -> Store:
    """The store of this deployment, opened once per server process; stops the page on error.

    When another process changed the file since (a `tablero importar` at night), the cached
    results are forgotten first, so that the page shows the new data.
    """
    path = str(resolve_db_path())
    try:
        store = _open_cached_store(path)
    except TableroError as exc:
        show_error(exc)
        st.stop()
        raise  # unreachable: st.stop() raises
    version = store.data_version()
    if _SEEN_VERSION.setdefault(path, version) != version:
        _SEEN_VERSION[path] = version
        clear_caches()
    return store


def current_scope() -> Scope:
    """The schools the signed-in person may see (nobody before :func:`require_access` ran)."""
    return current_access().scope


def current_access() -> Access:
    """The signed-in person's access for this run: scope, permissions and actor.

    ``app.py`` and :func:`page_setup` compute it (:func:`metrics.ui.auth.require_access`);
    before that it is :meth:`Access.nobody` (the store denies by default).
    """
    from metrics.ui.auth import current_access as _current

    return _current()


def require_access(
    store: Store,
    *,
    navigation: dict[str, list[Any]] | Callable[[], dict[str, list[Any]]] | None = None,
) -> Access:
    """Sign-in guard (see :mod:`metrics.ui.auth`): the access, or the sign-in screen and stop."""
    from metrics.ui.auth import require_access as _require

    return _require(store, navigation=navigation)


def require(permission: str) -> None:
    """Stop the page with a Spanish message unless the person has ``permission``."""
    access = current_access()
    if not access.allows(permission):
        show_error(AccessError(PERMISSION_REFUSALS[permission]))
        st.stop()


PAGE_PERMISSIONS = {
    "pages/cargar.py": "can_upload",
    "pages/registros.py": "can_record",
    "pages/auditoria.py": "sees_audit",
    "pages/ajustes.py": "can_set_targets",
}
"""Pages (by file) shown in the menu only to people with a permission."""

PageEntry = tuple[Any, str, str]
"""A page of the app: its file (or function), title and icon."""


def navigation_pages(
    pages: dict[str, list[PageEntry]], access: Access | None
) -> dict[str, list[Any]]:
    """The app's pages for ``st.navigation``, by section; the first one is the home page.

    Every page is registered, so that every address opens its page: the ones ``access`` may
    not open (and, with no access yet, all of them) are hidden from the menu, and their own
    guard (:func:`require`) says why in Spanish — not Streamlit's English «Page not found».
    """
    out: dict[str, list[Any]] = {}
    first = True
    for section, entries in pages.items():
        out[section] = []
        for source, title, icon in entries:
            needs = PAGE_PERMISSIONS.get(str(source))
            shown = access is not None and (needs is None or access.allows(needs))
            out[section].append(
                st.Page(
                    source,
                    title=title,
                    icon=icon,
                    default=first,
                    visibility="visible" if shown else "hidden",
                )
            )
            first = False
    return out


APP_CSS = """
<style>
/* A school laptop (1366×768): the title starts near the top, on one line where it fits. */
[data-testid="stMainBlockContainer"] {
  padding: 3.5rem 1.25rem 3rem 1.25rem;  /* tables of eight columns fit beside the filters */
}
[data-testid="stMainBlockContainer"] h1 { font-size: 2.1rem; line-height: 1.2; }
[data-testid="stSidebarHeader"] { height: 2.5rem; margin-bottom: 0; }
[data-testid="stSidebarUserContent"] { padding-top: 0.5rem; }
/* The uploader's own words are English and cannot be set: its limit, types and file sizes
   are said in Spanish by the page instead (see metrics.ui.screens.cargar). */
[data-testid="stFileUploaderDropzoneInstructions"] { display: none; }
/* «Press Enter to submit form» under a field being typed in: the forms' buttons say it. */
[data-testid="InputInstructions"] { display: none; }
[data-testid="stFileChipName"] + div { display: none; }
[data-testid="stFileUploaderDropzone"] button[data-testid="stBaseButton-secondary"] p {
  font-size: 0; visibility: hidden;
}
[data-testid="stFileUploaderDropzone"] button[data-testid="stBaseButton-secondary"] p::after {
  content: "Elegir archivos"; font-size: 1rem; visibility: visible;
}
</style>
"""
"""The app's few style rules: less blank space above the title, and the uploader's English
words hidden or replaced (``app.py`` applies them on every page)."""


def app_style() -> None:
    """Apply :data:`APP_CSS` (takes no room on the page)."""
    st.html(APP_CSS)


def show_error(exc: TableroError) -> None:
    """A Spanish error box with the error's title and message, never a traceback.

    The message is shown as text (file names and cell values in it never act as Markdown),
    line by line, and without paths on the server (:meth:`TableroError.public_message`).
    """
    lines = exc.public_message([resolve_db_path()]).split("\n")
    text = "  \n".join(escape_markdown(line) for line in lines)
    st.error(f"**{escape_markdown(exc.title)}.** {text}", icon=":material/error:")


def report_table(report: Any, limit: int = 200) -> pd.DataFrame:
    """A validation report's problems for the page (the first ``limit``), with no path on the
    server in what they say to do (:func:`metrics.errors.redact_paths`)."""

    table: pd.DataFrame = report.to_frame(limit=limit)
    column = "qué hacer"
    if column in table:
        paths = [resolve_db_path()]
        table[column] = [redact_paths(str(m), paths) for m in table[column]]
    return table


@st.cache_data(show_spinner=False, ttl=600, hash_funcs=HASH_FUNCS)
def load_info(_store: Store, store_path: str, scope: Scope) -> StoreInfo:
    """What the store holds in ``scope`` (cached; cleared after every import)."""
    return _store.info(scope)


@st.cache_data(show_spinner=False, ttl=600, hash_funcs=HASH_FUNCS)
def load_counts(_store: Store, store_path: str, scope: Scope, year: int | None) -> dict[str, int]:
    return _store.headline_counts(scope, year)


@st.cache_resource(show_spinner=False, ttl=600, hash_funcs=HASH_FUNCS)
def _load_options(_store: Store, store_path: str, scope: Scope) -> Mapping[str, Any]:
    """The sidebar's options in ``scope``: territories, schools, communities (frames and their
    labels), years. Several helpers read it on every run, and a national store has 23.000
    communities: kept as a resource (no copy per read, unlike ``st.cache_data``), read-only,
    and cleared with the other caches (:func:`clear_caches`)."""
    territories = _store.territories(scope)
    schools = _store.schools(scope)
    communities = _store.communities(scope)
    years = _store.years(scope)
    return MappingProxyType(
        {
            "territories": territories,
            "schools": schools,
            "communities": communities,
            "territory_names": MappingProxyType(_territory_names(territories)),
            "school_names": MappingProxyType(_school_names(schools)),
            "community_names": MappingProxyType(_community_names(communities)),
            "widest_territory": widest_territory(territories),
            "years": tuple(years),
            "default_year": default_year_of(years, _store.latest_results_year(scope)),
        }
    )


def _territory_names(territories: pd.DataFrame) -> dict[str, str]:
    return {
        str(tid): territory_label(str(kind), str(name))
        for tid, name, kind in zip(
            territories["id"], territories["name"], territories["kind"], strict=True
        )
    }


def _school_names(schools: pd.DataFrame) -> dict[int, str]:
    return {
        int(r): f"{name} (RBD {r})" for r, name in zip(schools["rbd"], schools["name"], strict=True)
    }


def _community_names(communities: pd.DataFrame) -> dict[str, str]:
    return {
        str(c): str(name) for c, name in zip(communities["id"], communities["name"], strict=True)
    }


@st.cache_data(show_spinner=False, ttl=600, hash_funcs=HASH_FUNCS)
def _territory_rbds(_store: Store, store_path: str, scope: Scope, territory_id: str) -> list[int]:
    return territory_schools(_store, scope, territory_id)


def clear_caches() -> None:
    """Forget cached query results (after an import or an undo).

    Every result this app keeps is an ``st.cache_data`` entry but the sidebar's options (an
    ``st.cache_resource``, cleared here too; the store itself is one as well), so this is all
    it takes; their ``ttl`` bounds how long a page shows figures from before a change made
    outside the app (``tablero importar``).
    """
    st.cache_data.clear()
    _load_options.clear()


PREPARING = (
    "Preparando los indicadores con los datos nuevos (solo la primera vez después de una "
    "carga; en una base nacional, unos segundos)…"
)


def data_changed(store: Store, bar: Any = None) -> None:
    """After an import or an undo: forget cached results and bring the engine's facts up to
    date now, saying so, so that the next page does not wait for it. ``bar``: an
    ``st.progress`` to say it on (else a spinner)."""

    clear_caches()
    if bar is not None:
        bar.progress(1.0, text=PREPARING)
        prepare_facts(store)
        bar.progress(1.0, text="Listo.")
    else:
        with st.spinner(PREPARING):
            prepare_facts(store)
    _facts_made_current(store, store.path)  # the next page need not check again


@st.cache_data(show_spinner=PREPARING, ttl=600)
def _facts_made_current(_store: Store, store_path: str) -> bool:
    """Bring the engine's facts up to date if the data changed outside this app (e.g. with
    ``tablero importar``), saying why the page waits (the spinner shows only after half a
    second, so not for the check alone). Checked once per cache lifetime: the check reads
    every small table (70 ms on the demonstration store). True when the facts were rebuilt."""

    if facts_are_current(_store):
        return False
    prepare_facts(_store)
    return True


def data_years(store: Store, scope: Scope) -> list[int]:
    """The years with any data in ``scope`` (the sidebar's years; cached)."""
    return list(_load_options(store, store.path, scope)["years"])


def _school_count(store: Store, store_path: str, scope: Scope) -> int:
    return len(_load_options(store, store_path, scope)["schools"])


def communities_need_a_school(store: Store, scope: Scope, rbd: int | None) -> bool:
    """Whether the communities' rows wait for a school to be chosen (many schools, none
    chosen): :func:`metrics.selection.communities_need_a_school` over the cached schools."""

    return need(_school_count(store, store.path, scope), rbd)


def plan(store: Store, scope: Scope, filters: Filters) -> Plan:
    """What the engine computes for the sidebar's selection (:func:`metrics.selection.plan_rows`
    over the cached schools and territories)."""
    return plan_rows(
        filters, _school_count(store, store.path, scope), default_territory(store, scope)
    )


def _compute(
    kind: str,
    store: Store,
    scope: Scope,
    corte: date | None,
    rbds: list[int] | None,
    communities: bool,
) -> pd.DataFrame:
    """Indicators (``kind`` "indicadores") or breakdowns ("desgloses"), yearly, of ``rbds``
    (None: every school of ``scope``). The engine decides suppression over the whole scope in
    every case and computes only the part of it that the chosen schools depend on."""

    _facts_made_current(store, store.path)
    # Pages draw yearly values; monthly series come from store views. Months are most of the
    # engine's work at national scale, so they are not asked for here.
    if kind == "indicadores":
        rows = compute_indicators(
            store, scope, corte=corte, rbds=rbds, mensual=False, comunidades=communities
        )
    else:
        rows = compute_breakdowns(store, scope, corte=corte, rbds=rbds, mensual=False)
    return plain(rows)


@st.cache_data(show_spinner=False, ttl=600, max_entries=8, hash_funcs=HASH_FUNCS)
def _load_whole(
    _store: Store, store_path: str, kind: str, scope: Scope, corte: date | None
) -> pd.DataFrame:
    """Every school of a scope of a few schools, communities included: kept so that choosing
    one school then takes its rows from these instead of computing them again."""
    return _compute(kind, _store, scope, corte, None, True)


def _engine_rows(
    kind: str,
    store: Store,
    store_path: str,
    scope: Scope,
    corte: date | None,
    chosen: Plan,
) -> pd.DataFrame:
    """The engine's rows of ``kind`` for the :class:`~metrics.selection.Plan` ``chosen``."""

    if chosen.whole:
        whole = _load_whole(store, store_path, kind, scope, corte)
        if chosen.rbd is None:
            return whole
        return restrict_to_schools(store, scope, whole, [chosen.rbd])
    rbds: list[int] | None = None
    if chosen.rbd is not None:
        rbds = [chosen.rbd]
    elif chosen.territory is not None:
        rbds = _territory_rbds(store, store_path, scope, chosen.territory)
    return _compute(kind, store, scope, corte, rbds, chosen.communities)


def indicators_for(store: Store, scope: Scope, filters: Filters) -> pd.DataFrame:
    """The engine's indicators for the sidebar's selection (cached): what pages draw."""
    return load_indicators(store, store.path, scope, filters.cutoff, plan(store, scope, filters))


def breakdowns_for(store: Store, scope: Scope, filters: Filters) -> pd.DataFrame:
    """The engine's breakdowns for the sidebar's selection (cached)."""
    return load_breakdowns(store, store.path, scope, filters.cutoff, plan(store, scope, filters))


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
    schools: pd.DataFrame = opts["schools"]
    communities: pd.DataFrame = opts["communities"]
    years: tuple[int, ...] = opts["years"]

    with st.sidebar:
        st.subheader("Filtros")
        t_names: Mapping[str, str] = opts["territory_names"]
        t_options = [ALL, *t_names]
        _keep_valid("f_territory", t_options)
        territory = st.selectbox(
            "Territorio",
            t_options,
            key="f_territory",
            format_func=lambda v: "Todos los territorios" if v == ALL else t_names[v],
        )
        territory_id = None if territory == ALL else str(territory)
        s_names: Mapping[int, str] = opts["school_names"]
        if territory_id is not None:
            rbds = set(_territory_rbds(store, store.path, scope, territory_id))
            s_names = _school_names(schools[schools["rbd"].isin(rbds)])
        # A school's team sees one school: it is the selection, not "all schools".
        s_options = list(s_names) if len(s_names) == 1 and not scope.is_all else [ALL, *s_names]
        _keep_valid("f_school", s_options)
        school = st.selectbox(
            "Establecimiento",
            s_options,
            key="f_school",
            format_func=lambda v: "Todos los establecimientos" if v == ALL else s_names[v],
        )
        rbd = None if school == ALL else int(str(school))
        c_names: Mapping[str, str] = opts["community_names"]
        if rbd is not None:
            c_names = _community_names(communities[communities["rbd"] == rbd])
        elif territory_id is not None:
            c_names = _community_names(communities[communities["rbd"].isin(list(s_names))])
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
        year_value = None if year == ALL else int(str(year))
        today = date.today()
        if st.session_state.get("f_cutoff_year", "") != year_value:
            # The cut-off follows the year: its 31-12 for a past year, today for this one.
            st.session_state["f_cutoff"] = default_cutoff(year_value, today)
            st.session_state["f_cutoff_year"] = year_value
        cutoff = st.date_input(
            "Fecha de corte",
            key="f_cutoff",
            format="DD-MM-YYYY",
            help="El cumplimiento del cronograma cuenta las actividades planificadas hasta "
            "esta fecha. Al elegir un año pasado es el 31-12 de ese año; en el año en curso, "
            "hoy. Una fecha de otro año no se aplica al año elegido.",
        )

    return Filters(
        territory_id=territory_id,
        territory_name=None if territory_id is None else t_names[territory_id],
        rbd=rbd,
        school_name=None if rbd is None else s_names[rbd].rsplit(" (RBD", 1)[0],
        community_id=community_id,
        community_name=None if community_id is None else c_names[community_id],
        year=year_value,
        cutoff=cutoff_for(year_value, today, cutoff if isinstance(cutoff, date) else None),
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
    return 44 + 38 * rows


TABLE_WIDTH = 930
"""Pixels a table's columns may take in all: a school laptop's page (1366 px wide, beside the
filters) shows it without scrolling sideways."""


def fitted_columns(table: pd.DataFrame, total: int = TABLE_WIDTH) -> dict[str, Any]:
    """Column widths for ``st.dataframe`` so that ``table`` fits ``total`` pixels: each column
    as wide as its header and longest value (about 7,5 px a character), and, when they do not
    fit, the widest columns (free text: decisions, notes) narrowed to share what is left. A cut
    text shows whole when the cell is opened.

    >>> t = pd.DataFrame({"Fecha": ["01-03-2025"], "Qué": ["x" * 300], "Decisión": ["y" * 90]})
    >>> widths = {k: v["width"] for k, v in fitted_columns(t).items()}
    >>> widths["Fecha"], widths["Qué"], widths["Decisión"], sum(widths.values()) <= TABLE_WIDTH
    (99, 415, 415, True)
    """
    wanted: dict[str, int] = {}
    for column in table.columns:
        longest = max([len(str(column)), *(len(str(v)) for v in table[column].tolist())])
        wanted[str(column)] = min(int(longest * 7.5) + 24, 600)
    if sum(wanted.values()) > total:
        # Narrow the widest first, down to a common width that makes the sum fit.
        order = sorted(wanted.values())
        fixed = 0
        for i, width in enumerate(order):
            cap = (total - fixed) / (len(order) - i)
            if width > cap:
                wanted = {k: min(v, int(cap)) for k, v in wanted.items()}
                break
            fixed += width
    return {c: st.column_config.Column(width=w) for c, w in wanted.items()}


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
    """The batch history, for display: what the load is and whether it still counts first."""

    return pd.DataFrame(
        {
            "Carga": batches["id"],
            "Estado": [
                f"deshecha el {format_datetime(u)}" if pd.notna(u) else "vigente"
                for u in batches["undone_at"]
            ],
            "Fecha": [format_datetime(d) for d in batches["created_at"]],
            "Tipo": [
                KIND_LABELS.get(k, "Demostración" if k == "demo" else k) for k in batches["kind"]
            ],
            "Archivo": batches["file_name"],
            "Período": batches["period"].fillna("–"),
            "Filas": [format_number(n) for n in batches["row_count"]],
            "Nuevas": [format_number(n) for n in batches["rows_new"]],
            "Reemplazadas": [format_number(n) for n in batches["rows_replaced"]],
            "Por": batches["actor"],
        }
    )


BATCH_WIDTHS = {
    "Carga": st.column_config.NumberColumn(width=58),
    "Estado": st.column_config.TextColumn(width=104),
    "Fecha": st.column_config.TextColumn(width=100),
    "Tipo": st.column_config.TextColumn(width=122),
    "Archivo": st.column_config.TextColumn(width=140),
    "Período": st.column_config.TextColumn(width=68),
    "Filas": st.column_config.TextColumn(width=76),
    "Nuevas": st.column_config.TextColumn(width=66),
    "Reemplazadas": st.column_config.TextColumn(width=104),
    "Por": st.column_config.TextColumn(width=108),
}
"""Ten columns in 946 px: every column on a school laptop's screen (1366 px, beside the
filters), long words wrapped on two lines (:func:`show_batches`)."""


def show_batches(batches: pd.DataFrame) -> None:
    """The batch history as a table whose rows hold two lines, so that dates, types and file
    names wrap instead of pushing columns out of sight."""
    table = batches_table(batches)
    st.dataframe(
        table,
        hide_index=True,
        width="stretch",
        column_config=BATCH_WIDTHS,
        row_height=72,  # above 4rem Streamlit wraps text
        height=min(40 + 72 * len(table), 600),
    )


def remember_filters(filters: Filters) -> None:
    """Keep the sidebar selection for the page that runs after the entry point."""
    st.session_state["filters"] = filters


def current_filters() -> Filters:
    """The sidebar selection of this run (all schools, no year, before the sidebar runs)."""
    value = st.session_state.get("filters")
    return value if isinstance(value, Filters) else Filters()


@st.cache_data(show_spinner=False, ttl=600, hash_funcs=HASH_FUNCS)
def load_batches(_store: Store, store_path: str, scope: Scope, limit: int = 10) -> pd.DataFrame:
    return _store.batches(scope, limit=limit)


def empty_store_notice() -> None:
    """What to do when the store holds no data yet."""
    st.info(
        "**La base de datos todavía no tiene datos.** Cárguelos en *Cargar datos*, empezando "
        "por los archivos oficiales que ya tiene: el Directorio oficial de establecimientos "
        "(Mineduc) registra los establecimientos y sus territorios; los resultados SIMCE "
        "(Agencia de Calidad) dan la primera línea base. Después, las comunidades, el "
        "cronograma y las encuestas, con las plantillas que se descargan en esa misma página.",
        icon=":material/database:",
    )
    load_data_link()


def demo_badge(batches: pd.DataFrame) -> None:
    """Say plainly when the figures are fictional."""
    if len(batches) and (batches["kind"] == "demo").any():
        st.caption(
            ":material/science: Datos de demostración: establecimientos, docentes y "
            "estudiantes ficticios."
        )


# -- pages ------------------------------------------------------------------------------------


@st.cache_data(show_spinner="Calculando indicadores…", ttl=600, hash_funcs=HASH_FUNCS)
def load_indicators(
    _store: Store, store_path: str, scope: Scope, corte: date | None, chosen: Plan
) -> pd.DataFrame:
    """The indicators of the user's scope for the selection's :class:`~metrics.selection.Plan`,
    cached: every school, one school (its communities and territories too) or one
    territory's schools. Suppression is decided over the whole scope either way.
    """
    return _engine_rows("indicadores", _store, store_path, scope, corte, chosen)


def default_territory(store: Store, scope: Scope) -> str | None:
    """The territory that stands for "all schools" (:func:`metrics.selection.widest_territory`
    of the cached territories)."""
    widest: str | None = _load_options(store, store.path, scope)["widest_territory"]
    return widest


def standing_territory_note(store: Store, scope: Scope, filters: Filters) -> None:
    """With no territory or school chosen, the figures are those of the territory with the
    most visible schools; say so when it does not hold them all."""
    opts = _load_options(store, store.path, scope)
    shown = standing_territory_shown(filters, opts["territories"], len(opts["schools"]))
    if shown is None:
        return
    st.caption(
        f":material/info: Los indicadores de «Todos los establecimientos» son los de "
        f"{escape_markdown(shown.label)} ({format_number(shown.schools)} de "
        f"{format_number(shown.total)} establecimientos), el territorio con más "
        "establecimientos. Elija otro territorio o un establecimiento en la barra lateral."
    )


def page_title(moment: str, filters: Filters) -> None:
    """ "Impacto — Escuela Los Aromos, 2024"."""
    st.title(f"{moment} — {escape_markdown(filters.label())}")


def indicator_metrics(rows: pd.DataFrame, codes: list[str], limit: int = 5) -> None:
    """A row of bordered key figures: value, change against the baseline as the delta.

    Only indicators with a value (or a suppressed one) get a card, the first ``limit`` of
    ``codes``; the sections below say what is missing for the others.
    """

    present = rows[rows["valor"].notna() | (rows["estado"] == "suprimido")]
    chosen = [c for c in codes if c in set(present["indicador"])][:limit]
    if not chosen:
        return
    cols = st.columns(len(chosen))
    by_code = rows.set_index("indicador")
    for col, code in zip(cols, chosen, strict=True):
        ind = INDICATORS[code]
        rec = by_code.loc[code]
        label, value = metric_label_and_value(ind, rec["valor"])
        if rec["estado"] == "suprimido":
            col.metric(label, "n < 10", border=True, help="Grupo pequeño: no se muestra.")
            continue
        base = rec["linea_base"]
        delta = metric_delta(ind, rec["cambio"])
        col.metric(
            label,
            value,
            # No change to show: say why in words (never an empty space or a dash).
            delta=delta or trend_words(ind, {**rec, "indicador": code}),
            delta_color=(
                "off"
                if delta is None
                else "inverse"
                if ind.direction == "lower_is_better"
                else "normal"
            ),
            delta_arrow="auto" if delta else "off",
            border=True,
            help=f"**{ind.name}.** {ind.definition} Cambio respecto de la línea base"
            + (
                f" {baseline_name(rec['periodo_base'], rec.get('linea_base_provisional'))}."
                if pd.notna(base)
                else " (sin línea base)."
            ),
        )


_MIME = {
    "png": ("image/png", ":material/image:"),
    "csv": ("text/csv", ":material/table:"),
    "xlsx": (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ":material/grid_on:",
    ),
    "pptx": (
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        ":material/slideshow:",
    ),
    "pdf": ("application/pdf", ":material/picture_as_pdf:"),
}


def download(
    where: Any,
    label: str,
    data: Callable[[], bytes],
    file_name: str,
    help: str | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """A download button whose file is made only when clicked; type and icon from the name.

    Shown only to people who may export (not to a ``lector``); each file made is recorded in
    the audit log as an ``exportacion`` (with ``detail`` added to the record).
    """
    access = current_access()
    if not access.can_export:
        return
    mime, icon = _MIME[file_name.rsplit(".", 1)[-1]]
    path = str(resolve_db_path())

    def audited() -> bytes:
        # The store is taken when the file is asked for, not on every view (a page draws
        # dozens of these buttons): the one the app has open for this deployment.
        store = _open_cached_store(path)
        content = data()
        record: dict[str, Any] = {"archivo": file_name, "formato": file_name.rsplit(".", 1)[-1]}
        if not access.scope.is_all:
            record["rbds"] = sorted(access.scope.rbds or ())
        record.update(detail or {})
        audit.record(store, access.actor or "tablero", "exportacion", record)
        return content

    where.download_button(
        label,
        data=audited,
        file_name=file_name,
        mime=mime,
        on_click="ignore",
        key=f"descarga_{file_name}",
        icon=icon,
        help=help,
    )


def show_chart(chart: Any, where: Any = None, key: tuple[Hashable, ...] | None = None) -> None:
    """Draw an Altair chart (or a spec from :func:`vega_spec`) as wide as its container.

    ``chart`` may be the function that builds it: then its spec is built once per selection
    and ``key`` (what tells this chart from the page's others) and reused (:func:`reuse`).

    The chart's spec goes to Streamlit without Altair's JSON-schema validation, which costs
    more than everything else on a page (about 0,1 s a chart). The builders in
    :mod:`metrics.presentation.charts` are validated by the test suite instead.
    """
    if callable(chart):
        build = chart
        chart = reuse("grafico", lambda: vega_spec(build()), *(key or ()))
    spec = chart if isinstance(chart, dict) else chart.to_dict(validate=False)
    (where or st).vega_lite_chart(spec=spec, width="stretch")


def vega_spec(chart: Any) -> dict[str, Any]:
    """A chart as the spec Streamlit sends to the browser: Altair's dict with its datasets
    already in Arrow (what ``st.vega_lite_chart`` would convert them to on every run), so that
    a spec kept by :func:`reuse` costs the next session neither Altair nor the conversion."""
    from streamlit import dataframe_util

    spec: dict[str, Any] = chart.to_dict(validate=False)
    datasets = spec.get("datasets")
    if isinstance(datasets, dict):
        spec["datasets"] = {
            name: dataframe_util.convert_anything_to_arrow_bytes(rows)
            for name, rows in datasets.items()
        }
    return spec


def selection_key() -> tuple[Any, ...]:
    """What every figure of this run follows: the store and its data version, the person's
    scope and the sidebar's selection. What :func:`reuse` keeps under it is shared by every
    session (and every person) with the same selection, and never outlives the data: another
    process's import changes the version, and the app's own imports clear the caches."""
    store = get_store()
    return (store.path, store.data_version(), current_scope(), current_filters())


@st.cache_data(show_spinner=False, ttl=600, max_entries=4096, hash_funcs=HASH_FUNCS)
def _reused(key: tuple[Any, ...], _make: Callable[[], Any]) -> Any:
    return _make()


def reuse(what: str, make: Callable[[], T], *args: Hashable) -> T:
    """``make()``, or what it returned for the same ``what``, ``args`` and selection
    (:func:`selection_key`) in any session: for the parts of a page that cost the server
    most and depend only on those (chart specs, headlines, captions). ``make`` must read
    nothing else: not the person's permissions, not widgets."""
    return cast("T", _reused((what, *args, *selection_key()), make))


def _png(chart: Any) -> bytes:

    return chart_png(chart)


def chart_card(
    headline: str,
    chart: Any,
    *,
    caption: str,
    data: pd.DataFrame | Callable[[], pd.DataFrame],
    file_stem: str,
    png_chart: Callable[[], Any] | None = None,
) -> None:
    """A bordered card: headline, chart, source and n, and its downloads (PNG, CSV, XLSX).

    ``chart``: an Altair chart, a spec from :func:`vega_spec`, or the function that builds the
    chart: then its spec is built once per selection, file name and headline, and reused by
    every session with the same selection (:func:`reuse`). ``png_chart`` builds the chart as
    the image should look (fixed width; by default ``chart``), and ``data`` (or the function
    that makes it) is the downloads' table; they are made only when someone asks for a file.
    """
    table = data if callable(data) else (lambda: data)
    if callable(chart):
        build = chart
        png_chart = png_chart or build
        chart = reuse("grafico", lambda: vega_spec(build()), file_stem, headline, caption)

    with st.container(border=True):
        st.markdown(f"**{escape_markdown(headline)}**")
        show_chart(chart)
        st.caption(escape_markdown(caption))
        c1, c2, c3, _ = st.columns([1, 1, 1, 2])
        download(
            c1,
            "PNG",
            lambda: _png(png_chart() if png_chart else chart),
            f"{file_stem}.png",
            "El gráfico como imagen, para presentaciones.",
        )
        download(
            c2,
            "CSV",
            lambda: frame_csv(table()),
            f"{file_stem}.csv",
            "Los datos del gráfico (separados por punto y coma, para Excel).",
        )
        download(
            c3,
            "Excel",
            lambda: frame_xlsx(table()),
            f"{file_stem}.xlsx",
            "Los datos del gráfico como planilla Excel.",
        )


def empty_state(missing: str) -> None:
    """Say which data is missing and where to load it — never a blank chart."""
    st.info(f"**Faltan datos:** {escape_markdown(missing)}", icon=":material/info:")
    load_data_link()


def load_data_link() -> None:
    """A link to *Cargar datos* for whoever may load data; for the others, whom to ask (the
    page is not in their menu, so there is nothing to link to)."""
    if current_access().can_upload:
        st.page_link(LOAD_PAGE, label="Cargar datos", icon=":material/upload:")
    else:
        st.caption(
            ":material/upload: Quien carga los datos de su establecimiento o territorio puede "
            "subirlos en *Cargar datos*."
        )


def missing_sources(codes: list[str]) -> str:
    """The files the indicators ``codes`` are computed from, as a sentence names them."""

    sources = dict.fromkeys(
        SOURCE_LABELS.get(src, src) for c in codes for src in INDICATORS[c].sources
    )
    return "; ".join(sources)


def choose_a_school_notice() -> None:
    """Said where a page would compare communities but waits for a school to be chosen."""
    st.info(
        f"La selección tiene más de {MANY_SCHOOLS} establecimientos: elija uno en la barra "
        "lateral para ver y comparar sus comunidades de práctica.",
        icon=":material/arrow_back:",
    )


def suppressed_notice() -> None:

    st.caption(f":material/lock: {SUPPRESSED_TEXT}.")


def leave_pages_folder_navigation() -> None:
    """Run ``app.py`` first when Streamlit ran a page without it.

    Until some run of a server process calls ``st.navigation``, Streamlit treats a folder
    named ``pages/`` beside the entry point as its old file-name navigation: the first request
    to a fresh server at ``/impacto`` runs ``pages/impacto.py`` alone (no ``app.py``, a menu of
    file names; AppTest does the same on every run). ``st.navigation`` switches that off for
    the process; doing the same here and running ``app.py`` in this run draws the app, whose
    navigation runs this page again (a page's identity is its address). Nothing of the first
    pass is drawn: the page calls this before anything else, and the run stops after.
    """
    from streamlit.runtime.pages_manager import PagesManager
    from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

    ctx = get_script_run_ctx()
    if ctx is None or not getattr(PagesManager, "uses_pages_directory", None):
        return
    PagesManager.uses_pages_directory = False
    entry = Path(ctx.pages_manager.main_script_path)
    code = compile(entry.read_text(encoding="utf-8"), str(entry), "exec")
    exec(code, {"__name__": "__main__", "__file__": str(entry)})
    st.stop()


def page_setup() -> tuple[Store, Filters, Scope]:
    """What every page starts with: the store, the sidebar selection and the user's scope.

    A page run alone (an AppTest of its file) still gets the shared sidebar; one that Streamlit
    ran without ``app.py`` goes to it first (:func:`leave_pages_folder_navigation`).
    """
    leave_pages_folder_navigation()
    store = get_store()
    scope = require_access(store).scope
    if not isinstance(st.session_state.get("filters"), Filters):
        remember_filters(sidebar_filters(store, scope))
    return store, current_filters(), scope


def selection(store: Store, filters: Filters, scope: Scope) -> tuple[str, str] | None:
    """(alcance, alcance_id) of the sidebar's selection; "all" means the widest territory."""
    return selection_scope(filters, default_territory(store, scope))


def trend_card(
    results: pd.DataFrame, code: str, alcance: str, alcance_id: str, year: int | None
) -> None:
    """One indicator's yearly series against its baseline and target, in a chart card."""

    if _trend_card_parts(results, code, alcance, alcance_id, year) is None:
        name = INDICATORS[code].name
        with st.container(border=True):
            st.markdown(f"**{name}**")
            empty_state(
                f"no hay datos de {name.lower()} para esta selección. Se calcula con: "
                f"{missing_sources([code])}."
            )
        return
    _trend_chart_card(results, code, alcance, alcance_id, year)


def _trend_card_parts(
    results: pd.DataFrame, code: str, alcance: str, alcance_id: str, year: int | None
) -> tuple[str, dict[str, Any], str] | None:
    """A trend card's headline, chart spec and caption (None: no data); what it costs the
    server is done once per selection (:func:`reuse`)."""

    def make() -> tuple[str, dict[str, Any], str] | None:
        view = trend_view(results, code, alcance, alcance_id, year)
        if view is None:
            return None
        return view.full_headline, vega_spec(view.chart()), view.caption

    return reuse("tendencia", make, code, alcance, alcance_id, year)


def _trend_chart_card(
    results: pd.DataFrame,
    code: str,
    alcance: str,
    alcance_id: str,
    year: int | None,
    parts: tuple[str, dict[str, Any], str] | None = None,
) -> None:
    parts = parts or _trend_card_parts(results, code, alcance, alcance_id, year)
    if parts is None:
        return
    headline, spec, caption = parts

    def view() -> Any:
        return trend_view(results, code, alcance, alcance_id, year)

    chart_card(
        headline,
        spec,
        caption=caption,
        data=lambda: view().download(),
        file_stem=f"{code}_{alcance_id}".replace(":", "-"),
        png_chart=lambda: view().chart(width=900),
    )


def trend_cards(
    results: pd.DataFrame, codes: list[str], alcance: str, alcance_id: str, year: int | None
) -> None:
    """A trend card for each of ``codes`` with data, then one empty state naming the others
    and the files they are computed from (not one empty card per indicator).

    ``results``: the selection's indicators (:func:`indicators_for`); the cards' headlines and
    charts are reused from any session with the same selection (:func:`reuse`)."""

    missing = []
    for code in codes:
        parts = _trend_card_parts(results, code, alcance, alcance_id, year)
        if parts is None:
            missing.append(code)
        else:
            _trend_chart_card(results, code, alcance, alcance_id, year, parts)
    if missing:
        names = [INDICATORS[c].name.lower() for c in missing]
        listed = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} y {names[-1]}"
        empty_state(
            f"no hay datos de {listed} para esta selección. Se calculan con: "
            f"{missing_sources(missing)}."
        )


def scorecard_table(rows: pd.DataFrame, *, reuse_as: str | None = None) -> None:
    """The indicators of ``rows`` as a table (value, baseline, target, change, status).

    ``reuse_as``: a name that tells this table from the page's others when ``rows`` follow
    from the selection alone; then the table is built once per selection and reused by every
    session with the same selection and scope (:func:`reuse`)."""

    table = (
        reuse("tabla de indicadores", lambda: scorecard(rows), reuse_as)
        if reuse_as is not None
        else scorecard(rows)
    )
    st.dataframe(
        style_status(table),
        hide_index=True,
        width="stretch",
        # Rows of two lines: at 1366 px a status with its trend («○ Sin línea base · a 0,9 pp
        # de la meta») or a baseline «sin datos en 2023» wraps instead of being cut.
        row_height=SCORECARD_ROW,
        height=40 + SCORECARD_ROW * len(table),
        column_config=SCORECARD_WIDTHS,
    )


SCORECARD_ROW = 72
"""Row height of the scorecard, in pixels: above 4rem Streamlit wraps a cell's text."""

SCORECARD_WIDTHS = {
    "Momento": st.column_config.TextColumn(width=92),
    "Indicador": st.column_config.TextColumn(width=224),
    "Estado": st.column_config.TextColumn(width=188),
    "Valor": st.column_config.TextColumn(width=112),
    "Línea base": st.column_config.TextColumn(width=112),
    "Meta": st.column_config.TextColumn(width=116),
    "Cambio": st.column_config.TextColumn(width=68),
    "n": st.column_config.TextColumn(width=52, help="Estudiantes, docentes o respuestas."),
}
"""Column widths that hold the longest words of each column (964 px in all; the status, with
what a value lacks and its trend, «○ Sin meta · mejora (concluyente)»), so that every
column fits a school laptop's screen — 1366 px wide, beside the filters — without scrolling
sideways; wider screens stretch them."""


def style_status(table: pd.DataFrame) -> Any:
    """The scorecard with its status column on a light background by status."""

    def colour(text: Any) -> str:
        background = status_colour(text)
        return f"background-color: {background}" if background else ""

    return table.style.map(colour, subset=["Estado"])


@st.cache_data(show_spinner="Calculando desgloses…", ttl=600, hash_funcs=HASH_FUNCS)
def load_breakdowns(
    _store: Store, store_path: str, scope: Scope, corte: date | None, chosen: Plan
) -> pd.DataFrame:
    """The engine's breakdowns (by person responsible, respondent kind, test series), cached;
    ``chosen`` as in :func:`load_indicators`."""
    return _engine_rows("desgloses", _store, store_path, scope, corte, chosen)


@st.cache_data(show_spinner=False, ttl=600, hash_funcs=HASH_FUNCS)
def load_view(_store: Store, store_path: str, scope: Scope, view: str, **kwargs: Any) -> Any:
    """One of :mod:`metrics.store.views`, cached by its arguments."""

    return getattr(views, view)(_store, scope, **kwargs)


@st.cache_data(show_spinner=False, ttl=600, hash_funcs=HASH_FUNCS)
def load_communities(_store: Store, store_path: str, scope: Scope, rbd: int | None) -> pd.DataFrame:
    return _store.communities(scope, rbd)


@st.cache_data(show_spinner=False, ttl=600, hash_funcs=HASH_FUNCS)
def load_schools(
    _store: Store, store_path: str, scope: Scope, territory_id: str | None
) -> pd.DataFrame:
    """The schools of ``scope`` (of one territory when given), cached."""
    return _store.schools(scope, territory_id)


def community_names(store: Store, scope: Scope, rbd: int | None) -> dict[str, str]:
    """Community id → name, of one school (or of every school of ``scope``), cached."""
    comms = load_communities(store, store.path, scope, rbd)
    return {str(i): str(n) for i, n in zip(comms["id"], comms["name"], strict=True)}


def file_stem(*parts: object) -> str:
    """A download's file name from its parts («participacion_activa_comunidades_90001»)."""
    return "_".join(str(p) for p in parts if p is not None).replace(":", "-").replace(" ", "-")


def current_actor() -> str:
    """Who is acting, for batches and the audit log: the signed-in e-mail (demo: the app)."""
    return current_access().actor or "tablero"


@dataclass(frozen=True)
class MomentPage:
    """What a moment's page works with: the store, the selection and the engine's results."""

    store: Store
    filters: Filters
    scope: Scope
    results: pd.DataFrame
    chosen: tuple[str, str]
    rows: pd.DataFrame


def moment_page(
    title: str, codes: list[str] | None, missing: str, *, go_on: bool = False
) -> MomentPage:
    """Open a page: title, results for the selection and year; an empty state stops it.

    ``codes`` limits the selection's rows (None: every indicator); ``missing`` says which data
    the empty state asks for. With ``go_on``, rows without values say so and the page goes on
    (Impacto still has the Agencia's results to show); only no selection at all stops it.
    """

    store, filters, scope = page_setup()
    page_title(title, filters)
    standing_territory_note(store, scope, filters)
    results = indicators_for(store, scope, filters)
    engine_problems_notice(store)
    chosen = selection(store, filters, scope)
    rows = (
        rows_for(results, *chosen, periodo=str(filters.year), codes=codes)
        if chosen
        else results[:0]
    )
    if chosen is None or (rows.empty and not go_on):
        empty_state(missing)
        st.stop()
    if rows.empty:
        empty_state(missing)
    assert chosen is not None
    return MomentPage(store, filters, scope, results, chosen, rows)


@st.cache_data(show_spinner=False, ttl=600)
def _load_engine_problems(_store: Store, store_path: str) -> list[str]:
    """What the facts could not use (cached like the indicators: reading it checks the facts'
    signature, which reads every small table; cleared after every import and undo)."""

    return engine_problems(_store)


def engine_problems_notice(store: Store) -> None:
    """Say what the indicators could not use (the rest is shown), once, collapsed."""
    problems = _load_engine_problems(store, store.path)
    if problems:
        with st.expander(
            f"Algunos datos no se pudieron usar en los indicadores ({len(problems)})",
            icon=":material/warning:",
        ):
            for problem in problems:
                st.text(problem)  # not markdown: it may quote data


def account_box(store: Store, access: Access) -> None:
    """The sidebar's signed-in person and «Salir» (nothing in demo mode)."""
    from metrics.ui.auth import account_box as _box

    _box(store, access)
