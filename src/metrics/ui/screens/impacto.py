"""Impacto's parts of its own: the Agencia's results as schools know them from its reports —
each SIMCE series with its score and the Agencia's verdict, the learning standards as 100 %
stacked bars over the years, and the IDPS trends."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

import pandas as pd
import streamlit as st

from metrics.engine.catalog import SERIES_INDICATORS
from metrics.engine.series import compute_series
from metrics.filters import Filters
from metrics.formatting import format_number
from metrics.presentation import agency, charts
from metrics.scope import Scope
from metrics.store import Store
from metrics.ui import HASH_FUNCS, chart_card, empty_state, file_stem, reuse

IDPS = ("idps_autoestima", "idps_convivencia", "idps_participacion", "idps_habitos")


@st.cache_data(show_spinner="Leyendo los resultados de la Agencia…", ttl=600, hash_funcs=HASH_FUNCS)
def _load_series(_store: Store, store_path: str, scope: Scope, alcance: str, ident: str) -> object:
    return compute_series(_store, scope, alcance=alcance, alcance_id=ident)  # type: ignore[arg-type]


def load_series(store: Store, scope: Scope, where: tuple[str, str]) -> pd.DataFrame:
    """The Agencia's series of one scope (cached per selection)."""
    rows = _load_series(store, store.path, scope, *where)
    assert isinstance(rows, pd.DataFrame)
    return rows


def series_scope(chosen: tuple[str, str], filters: Filters) -> tuple[str, str] | None:
    """The scope whose series describe the selection: a community's school (the Agencia
    publishes per school), else the school or territory chosen."""
    kind, ident = chosen
    if kind == "comunidad":
        return ("establecimiento", str(filters.rbd)) if filters.rbd is not None else None
    return kind, ident


def agency_section(store: Store, scope: Scope, chosen: tuple[str, str], filters: Filters) -> None:
    """SIMCE per series and IDPS of the selection, or what to load to see them."""
    st.subheader("Evaluaciones externas: SIMCE e IDPS (Agencia de Calidad)")
    where = series_scope(chosen, filters)
    rows = _load_series(store, store.path, scope, *where) if where is not None else pd.DataFrame()
    assert isinstance(rows, pd.DataFrame)
    if rows.empty:
        empty_state(
            "no hay resultados SIMCE ni IDPS para esta selección. Se cargan los archivos de la "
            "Agencia de Calidad tal como se descargan (simce4b2024_rbd_final.xlsx, "
            "idps4b2024_rbd_final.xlsx)."
        )
        return
    if chosen[0] == "comunidad":
        st.caption("La Agencia publica por establecimiento: estas son las series de su escuela.")
    year = filters.year if filters.year is not None else 9999  # none chosen: the latest
    place = where or chosen

    def make() -> list[_Card]:
        """Every card's headline, chart data and caption: built once per selection."""
        scores = rows[rows["indicador"] == "simce_puntaje"]
        cards: list[_Card] = []
        for serie in sorted(scores["serie"].unique()):
            cards += _simce_cards(rows, str(serie), year, place)
        idps = rows[rows["indicador"].isin(IDPS)]
        if not idps.empty:
            cards += _idps_cards(idps, year, place)
        return cards

    for card in reuse("agencia", make, *place, year):
        frame = card.frame
        if card.kind == "puntaje":
            chart: Callable[[], Any] = partial(
                charts.build_small_multiples, frame, unit="puntos", decimals=0, width="container"
            )
            png: Callable[[], Any] | None = partial(
                charts.build_small_multiples, frame, unit="puntos", decimals=0, width=900
            )
        elif card.kind == "estandares":
            chart = partial(charts.build_standards_chart, frame)
            png = partial(charts.build_standards_chart, frame, width=900)
        else:
            chart = partial(
                charts.build_small_multiples, frame, unit="puntos", decimals=0, columns=2, width=300
            )
            png = None
        chart_card(
            card.headline,
            chart,
            caption=card.caption,
            data=card.data,
            file_stem=card.file_stem,
            png_chart=png,
        )


@dataclass(frozen=True)
class _Card:
    """What a card of the Agencia's results shows (kept across sessions, so data only: the
    chart is built from ``kind`` and ``frame`` when drawn, and its spec reused too)."""

    kind: str
    """``puntaje`` (a series' score), ``estandares`` (its standards) or ``idps``."""
    headline: str
    frame: pd.DataFrame
    caption: str
    data: pd.DataFrame
    file_stem: str


def _simce_cards(rows: pd.DataFrame, serie: str, year: int, where: tuple[str, str]) -> list[_Card]:
    of_serie = rows[rows["serie"] == serie]
    score = of_serie[of_serie["indicador"] == "simce_puntaje"]
    label = agency.serie_label(serie)
    frame = agency.score_frame(score.assign(grupo=f"Puntaje SIMCE {label}"))
    standards = agency.standards_frame(
        of_serie[of_serie["indicador"] == "simce_adecuado"],
        of_serie[of_serie["indicador"] == "simce_insuficiente"],
    )
    upto = score["periodo"].astype(int) <= int(year)
    students = score[upto if upto.any() else ~upto].dropna(subset=["valor"])
    n_txt = (
        f"{format_number(int(students['n'].iloc[-1]))} estudiantes evaluados en "
        f"{students['periodo'].iloc[-1]}"
        if len(students) and pd.notna(students["n"].iloc[-1])
        else "sin estudiantes evaluados publicados"
    )
    cards = [
        _Card(
            "puntaje",
            agency.series_headline(score, year),
            frame,
            f"Fuente: SIMCE por establecimiento (Agencia de Calidad), {n_txt}. Línea "
            "discontinua: línea base. La diferencia y su significación son las que publica la "
            "Agencia.",
            score.drop(columns=["momento"]),
            file_stem("simce", where[1], serie.replace(" ", "_")),
        )
    ]
    shown = standards[standards["periodo"].astype(int) <= int(year)]
    if not shown.empty:
        cards.append(
            _Card(
                "estandares",
                agency.standards_headline(shown, serie),
                standards,
                "Fuente: SIMCE por establecimiento (Agencia de Calidad): % de los estudiantes "
                "evaluados en cada estándar de aprendizaje.",
                standards,
                file_stem("estandares", where[1], serie.replace(" ", "_")),
            )
        )
    return cards


def _idps_cards(idps: pd.DataFrame, year: int, where: tuple[str, str]) -> list[_Card]:
    names = {c: SERIES_INDICATORS[c].name for c in IDPS}
    cards = []
    for serie in sorted(idps["serie"].unique()):
        rows = idps[idps["serie"] == serie]
        cards.append(
            _Card(
                "idps",
                agency.idps_headline(rows, year, names),
                agency.score_frame(rows.assign(grupo=rows["indicador"].map(names))),
                "Fuente: IDPS por establecimiento (Agencia de Calidad). Línea discontinua: "
                "línea base.",
                rows.drop(columns=["momento"]),
                file_stem("idps", where[1], str(serie)),
            )
        )
    return cards


def agency_summary(store: Store, scope: Scope, chosen: tuple[str, str], filters: Filters) -> None:
    """Inicio's lines on the Agencia's results: each SIMCE series' sentence of the year, and
    where to see them (nothing when the store has none for the selection)."""
    where = series_scope(chosen, filters)
    if where is None:
        return
    rows = _load_series(store, store.path, scope, *where)
    assert isinstance(rows, pd.DataFrame)
    scores = rows[rows["indicador"] == "simce_puntaje"] if len(rows) else rows
    if scores.empty:
        return
    year = filters.year if filters.year is not None else 9999
    with st.container(border=True):
        st.subheader("SIMCE por serie (Agencia de Calidad)")
        for serie in sorted(scores["serie"].unique()):
            st.markdown(f"- {agency.series_headline(scores[scores['serie'] == serie], year)}")
        st.page_link(
            "pages/impacto.py",
            label="Ver los puntajes, los estándares y el IDPS en Impacto",
            icon=":material/school:",
        )
