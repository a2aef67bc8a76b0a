"""*Durante — implementación* (``pages/durante.py``): the schedule kept to the cut-off date
(by person responsible and by community) and the perception surveys (by dimension and by kind
of respondent), and the DIA of the year (diagnóstico → cierre, series by series).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd
import streamlit as st

from metrics.engine.catalog import INDICATORS
from metrics.engine.series import compute_series
from metrics.filters import Filters
from metrics.formatting import (
    escape_markdown,
    format_date,
    format_month,
    format_number,
    format_percent,
)
from metrics.presentation import agency, charts
from metrics.presentation.status import range_phrase
from metrics.presentation.views import (
    SHORT_NAMES,
    baseline_text,
    first_present,
    format_indicator_change,
    format_indicator_value,
)
from metrics.scope import Scope
from metrics.selection import cutoff_for
from metrics.store import Store
from metrics.ui import (
    HASH_FUNCS,
    chart_card,
    choose_a_school_notice,
    communities_need_a_school,
    community_names,
    current_access,
    empty_state,
    file_stem,
    load_view,
    reuse,
    show_chart,
    table_height,
)
from metrics.ui.screens.impacto import series_scope

ANSWER_WORDS = {
    1: "Muy en desacuerdo",
    2: "En desacuerdo",
    3: "Ni de acuerdo ni en desacuerdo",
    4: "De acuerdo",
    5: "Muy de acuerdo",
}
DIMENSION_NAMES = {
    "colaboracion": "Colaboración",
    "apoyo": "Apoyo recibido",
    "satisfaccion": "Satisfacción con el desarrollo profesional",
    "aprendizaje": "Efectos en el aprendizaje",
}
RESPONDENT_NAMES = {
    "docente": "Docentes",
    "estudiante": "Estudiantes",
    "apoderado": "Apoderados",
    "directivo": "Directivos",
}


@dataclass(frozen=True)
class _Schedule:
    """What the schedule section shows for one selection, built once (:func:`reuse`)."""

    communities: tuple[pd.DataFrame, str, float | None] | None
    """Compliance per community: the bars, their headline and the target (None: no rows)."""
    people: pd.DataFrame | None
    """Compliance per person responsible (None: no rows); shown only to who sees teachers."""
    monthly: tuple[pd.DataFrame, str] | None
    """Planned and done by month, cumulative, and its headline (None: no activities)."""


def schedule_section(
    store: Store,
    scope: Scope,
    results: pd.DataFrame,
    breakdowns: pd.DataFrame,
    filters: Filters,
    year: int | None,
) -> None:
    """Schedule compliance per community and per person responsible, and planned vs done.

    ``results`` and ``breakdowns`` are the selection's (:func:`metrics.ui.indicators_for`): what
    the section shows is built once per selection and reused by every session
    (:func:`reuse`)."""
    cutoff = cutoff_for(year, date.today(), filters.cutoff)
    if communities_need_a_school(store, scope, filters.rbd):
        choose_a_school_notice()
    period = str(year) if year else None
    parts = reuse(
        "cronograma",
        lambda: _schedule_parts(store, scope, results, breakdowns, filters, year, cutoff),
        year,
        cutoff,
    )
    if parts.communities is not None:
        frame, headline, target = parts.communities
        chart_card(
            headline,
            lambda: charts.build_bar_chart(
                frame,
                value_title="Actividades realizadas (%)",
                unit="%",
                target=target,
                target_label=None if target is None else f"Meta {format_percent(target, 0)}",
            ),
            caption=f"Fuente: cronograma. Actividades realizadas ÷ actividades planificadas "
            f"hasta la fecha de corte ({format_date(cutoff)}), {period or 'todos los años'}; "
            "las canceladas cuentan como no realizadas.",
            data=frame.rename(
                columns={
                    "etiqueta": "Comunidad",
                    "valor": "Cumplimiento (%)",
                    "suprimido": "Suprimido",
                }
            ),
            file_stem=file_stem("cronograma_comunidades", filters.rbd, period),
        )
    if parts.people is not None and current_access().sees_teachers:
        people = parts.people
        with st.expander("Cumplimiento por responsable"):
            show_chart(
                lambda: charts.build_bar_chart(people, value_title="Realizadas (%)", unit="%"),
                key=("responsables", period),
            )
    if parts.monthly is None:
        empty_state("no hay actividades en el cronograma para esta selección.")
        return
    monthly, headline = parts.monthly
    chart_card(
        headline,
        lambda: charts.build_planned_done_chart(
            monthly,
            cutoff_label=f"Fecha de corte {format_date(cutoff)}",
            cutoff_month=cutoff.isoformat(),
        ),
        caption="Fuente: cronograma de actividades. Curvas acumuladas por mes de la fecha "
        "planificada; las actividades después de la fecha de corte aún pueden realizarse.",
        data=monthly.drop(columns="mes").rename(
            columns={
                "mes_txt": "Mes",
                "planificadas": "Planificadas (acum.)",
                "realizadas": "Realizadas (acum.)",
            }
        ),
        file_stem=file_stem("planificadas_realizadas", filters.rbd, filters.community_id),
    )


def _schedule_parts(
    store: Store,
    scope: Scope,
    results: pd.DataFrame,
    breakdowns: pd.DataFrame,
    filters: Filters,
    year: int | None,
    cutoff: date,
) -> _Schedule:
    """:func:`schedule_section`'s figures and headlines (no Streamlit)."""
    names = community_names(store, scope, filters.rbd)
    period = str(year) if year else None
    comm = results[
        (results["alcance"] == "comunidad")
        & (results["indicador"] == "cumplimiento_cronograma")
        & results["alcance_id"].isin(list(names))
    ]
    if period:
        comm = comm[comm["periodo"] == period]
    communities = None
    if not comm.empty:
        frame = pd.DataFrame(
            {
                "etiqueta": [names[c] for c in comm["alcance_id"]],
                "valor": pd.to_numeric(comm["valor"], errors="coerce").to_numpy(),
                "n": comm["n"].to_numpy(),
                "suprimido": (comm["estado"] == "suprimido").to_numpy(),
            }
        )
        target = first_present(comm["meta"])
        shown = frame[frame["valor"].notna()].sort_values("valor")
        headline = (
            f"Al {format_date(cutoff)}, el cumplimiento del cronograma "
            + range_phrase(
                [
                    (format_percent(v), str(label))
                    for v, label in zip(shown["valor"], shown["etiqueta"], strict=True)
                ]
            )
            + "."
            if len(shown)
            else f"Al {format_date(cutoff)}, no hay actividades planificadas en las comunidades."
        )
        communities = (frame, headline, None if target is None else float(target))
    people = breakdowns[
        (breakdowns["indicador"] == "cumplimiento_cronograma")
        & (breakdowns["desglose"] == "responsable")
    ]
    if filters.community_id:
        people = people[
            (people["alcance"] == "comunidad") & (people["alcance_id"] == filters.community_id)
        ]
    elif filters.rbd:
        people = people[
            (people["alcance"] == "establecimiento") & (people["alcance_id"] == str(filters.rbd))
        ]
    if period:
        people = people[people["periodo"] == period]
    by_person = (
        None
        if people.empty
        else pd.DataFrame(
            {
                "etiqueta": people["categoria"].astype(str).to_numpy(),
                "valor": pd.to_numeric(people["valor"], errors="coerce").to_numpy(),
                "n": people["n"].to_numpy(),
                "suprimido": people["suprimido"].astype(bool).to_numpy(),
            }
        ).head(25)
    )
    monthly = load_view(
        store,
        store.path,
        scope,
        "schedule_by_month",
        rbd=filters.rbd,
        community_id=filters.community_id,
        cutoff=cutoff,
        year=year,
    )
    if monthly.empty:
        return _Schedule(communities, by_person, None)
    frame = pd.DataFrame(
        {
            "mes": pd.to_datetime(monthly["month"]),
            "mes_txt": [format_month(m.year, m.month) for m in pd.to_datetime(monthly["month"])],
            "planificadas": monthly["planned_cum"].astype(int).to_numpy(),
            "realizadas": monthly["done_cum"].astype(int).to_numpy(),
        }
    )
    upto = monthly[~monthly["after_cutoff"]]
    planned = int(upto["planned_cum"].iloc[-1]) if len(upto) else 0
    done = int(upto["done_cum"].iloc[-1]) if len(upto) else 0
    headline = (
        f"Hasta {format_month(cutoff.year, cutoff.month)} se planificaron "
        f"{format_number(planned)} actividades"
        + ("" if year is None else f" de {year}")
        + f" y se realizaron {format_number(done)}"
        + (f" ({format_percent(100 * done / planned)})." if planned else ".")
    )
    return _Schedule(communities, by_person, (frame, headline))


def _dimensions_card(now: pd.DataFrame, wave: str, kind: str) -> tuple[pd.DataFrame, str]:
    """The Likert frame by dimension of one wave and kind of respondent, and its headline."""
    frame = _likert_frame(now, "dimension")
    fav = (
        frame[frame["respuesta"] >= 4].groupby("etiqueta")["n"].sum()
        / frame.groupby("etiqueta")["n"].sum()
        * 100
    )
    top, bottom = str(fav.idxmax()), str(fav.idxmin())
    who = f"Ola «{wave}», {RESPONDENT_NAMES.get(kind, kind).lower()}: "
    if top == bottom:
        return frame, f"{who}{format_percent(fav[top])} de respuestas favorables en {top.lower()}."
    return frame, (
        f"{who}la dimensión con más respuestas favorables es {top.lower()} "
        f"({format_percent(fav[top])}); la que tiene menos, {bottom.lower()} "
        f"({format_percent(fav[bottom])})."
    )


def _likert_frame(counts: pd.DataFrame, label: str) -> pd.DataFrame:
    grouped = counts.groupby([label, "answer"], as_index=False)["n"].sum()
    return pd.DataFrame(
        {
            "etiqueta": grouped[label].map(lambda v: DIMENSION_NAMES.get(v, v)).to_numpy(),
            "respuesta": grouped["answer"].astype(int).to_numpy(),
            "respuesta_txt": grouped["answer"].astype(int).map(ANSWER_WORDS).to_numpy(),
            "n": grouped["n"].to_numpy(),
        }
    )


def perception_section(
    store: Store,
    scope: Scope,
    results: pd.DataFrame,
    breakdowns: pd.DataFrame,
    chosen: tuple[str, str],
    filters: Filters,
    min_group: int = 10,
) -> None:
    """Perception surveys: Likert by dimension and item, by respondent kind, change in waves."""
    counts = load_view(
        store,
        store.path,
        scope,
        "likert_counts",
        rbd=filters.rbd,
        community_id=filters.community_id,
    )
    if counts.empty:
        empty_state("no hay respuestas de encuestas de percepción para esta selección.")
        return
    waves = counts.drop_duplicates("wave").sort_values("wave_date")["wave"].tolist()
    wave = st.segmented_control(
        "Ola de la encuesta", waves, default=waves[-1], key="ola", format_func=escape_markdown
    )
    wave = wave or waves[-1]
    kinds = sorted(counts["respondent_kind"].unique())
    kind = (
        st.segmented_control(
            "Encuestados",
            kinds,
            default=kinds[0],
            key="encuestados",
            format_func=lambda k: RESPONDENT_NAMES.get(k) or escape_markdown(k),
        )
        or kinds[0]
    )
    now = counts[(counts["wave"] == wave) & (counts["respondent_kind"] == kind)]
    respondents = int(now.groupby("item")["respondents"].sum().max()) if len(now) else 0
    if kind == "estudiante" and 0 < respondents < min_group:
        st.info("Grupo pequeño (n < 10): no se muestra para proteger la privacidad.")
        return
    frame, headline = reuse(
        "percepcion_dimensiones", lambda: _dimensions_card(now, wave, kind), wave, kind, min_group
    )
    chart_card(
        headline,
        lambda: charts.build_likert_chart(frame),
        caption=f"Fuente: encuestas de percepción, {format_number(int(frame['n'].sum()))} "
        "respuestas. Barras centradas en la respuesta neutra; a la derecha, las respuestas "
        "favorables (4 y 5). Los ítems invertidos ya están dados vuelta.",
        data=frame.rename(
            columns={
                "etiqueta": "Dimensión",
                "respuesta": "Respuesta",
                "respuesta_txt": "Texto",
                "n": "Respuestas",
            }
        ),
        file_stem=file_stem("percepcion", wave, kind, filters.rbd, filters.community_id),
        png_chart=lambda: charts.build_likert_chart(frame, width=800),
    )
    with st.expander("Detalle por pregunta"):
        show_chart(
            lambda: charts.build_likert_chart(_likert_frame(now, "item")),
            key=("preguntas", wave, kind, min_group),
        )
    table, by_kind = reuse(
        "percepcion_cambio", lambda: _perception_tables(results, breakdowns, chosen, filters.year)
    )
    if table is not None:
        with st.container(border=True):
            st.markdown("**Cambio entre la ola de línea base y la última ola, por dimensión**")
            st.dataframe(table, hide_index=True, width="stretch", height=table_height(len(table)))
            st.caption(
                "g de Hedges: 0,2 efecto pequeño, 0,5 mediano, 0,8 grande. «No "
                "concluyente»: el intervalo de confianza del 95 % del cambio incluye 0."
            )
    if by_kind is not None:
        bars = by_kind
        with st.expander("% favorable por tipo de encuestado"):
            show_chart(
                lambda: charts.build_bar_chart(bars, value_title="% favorable", unit="%"),
                key=("favorable_por_tipo",),
            )


def _perception_tables(
    results: pd.DataFrame, breakdowns: pd.DataFrame, chosen: tuple[str, str], year: int | None
) -> tuple[pd.DataFrame | None, pd.DataFrame | None]:
    """The change by dimension between the baseline wave and the last (a table) and the %
    favourable by kind of respondent (bars) of one selection; None where there are no rows."""
    codes = [c for c in INDICATORS if c.startswith("percepcion_")]
    kinds_rows = breakdowns[
        breakdowns["indicador"].isin(codes)
        & (breakdowns["desglose"] == "tipo_encuestado")
        & (breakdowns["alcance"] == chosen[0])
        & (breakdowns["alcance_id"] == chosen[1])
    ]
    rows = results[
        results["indicador"].isin(codes)
        & (results["alcance"] == chosen[0])
        & (results["alcance_id"] == chosen[1])
        & ~results["periodo"].astype(str).str.contains("-")
    ]
    if year is not None:  # the chosen year's view: no later year's column of dashes
        rows = rows[rows["periodo"].astype(int) <= year]
        kinds_rows = kinds_rows[
            (kinds_rows["periodo"] == "línea base")
            | (pd.to_numeric(kinds_rows["periodo"], errors="coerce") <= year)
        ]
    table = None
    if not rows.empty:
        latest = rows.sort_values("periodo").groupby("indicador").tail(1)
        table = pd.DataFrame(
            {
                "Dimensión": [INDICATORS[c].name for c in latest["indicador"]],
                "Período": latest["periodo"].astype(str).to_numpy(),
                "% favorable": [
                    format_indicator_value(INDICATORS[c], v)
                    for c, v in zip(latest["indicador"], latest["valor"], strict=True)
                ],
                "Línea base": [
                    baseline_text(INDICATORS[rec["indicador"]], rec)
                    for rec in latest.to_dict("records")
                ],
                "Cambio": [
                    format_indicator_change(INDICATORS[c], v) or "–"
                    for c, v in zip(latest["indicador"], latest["cambio"], strict=True)
                ],
                "Tamaño del efecto (g de Hedges)": [
                    "–" if pd.isna(g) else format_number(float(g), 2) for g in latest["efecto_g"]
                ],
                "¿Concluyente?": [
                    "–" if pd.isna(c) else ("sí" if c else "no") for c in latest["concluyente"]
                ],
            }
        )
    if kinds_rows.empty:
        return table, None
    last = kinds_rows[kinds_rows["periodo"] != "línea base"]
    last = last[last["periodo"] == last["periodo"].max()]
    by_kind = pd.DataFrame(
        {
            "etiqueta": [
                f"{SHORT_NAMES.get(c, c)} — {RESPONDENT_NAMES.get(k, k)}"
                for c, k in zip(last["indicador"], last["categoria"], strict=True)
            ],
            "valor": pd.to_numeric(last["valor"], errors="coerce").to_numpy(),
            "n": last["n"].to_numpy(),
            "suprimido": last["suprimido"].astype(bool).to_numpy(),
        }
    )
    return table, by_kind


DIA_CODES = ["dia_satisfactorio", "dia_insatisfactorio"]


@st.cache_data(show_spinner="Leyendo el DIA…", ttl=600, hash_funcs=HASH_FUNCS)
def _load_dia(_store: Store, store_path: str, scope: Scope, alcance: str, ident: str) -> object:
    return compute_series(
        _store,
        scope,
        alcance=alcance,  # type: ignore[arg-type]
        alcance_id=ident,
        indicadores=DIA_CODES,
    )


def dia_section(store: Store, scope: Scope, chosen: tuple[str, str], filters: Filters) -> None:
    """The DIA of the year, series by series: the three levels from diagnóstico to cierre as
    100 % bars and a sentence with the movement of Nivel III satisfactorio."""
    st.subheader("DIA: del diagnóstico al cierre")
    where = series_scope(chosen, filters)
    rows = _load_dia(store, store.path, scope, *where) if where is not None else pd.DataFrame()
    assert isinstance(rows, pd.DataFrame)
    if rows.empty:
        empty_state(
            "no hay resultados del DIA para esta selección. Se cargan con la plantilla «DIA» "
            "(lo que el establecimiento lee en la plataforma DIA de la Agencia de Calidad)."
        )
        return
    years = sorted(rows["periodo"].astype(int).unique())
    wanted = filters.year if filters.year is not None else years[-1]
    year = max((y for y in years if y <= wanted), default=years[0])
    if year != wanted:
        st.caption(f"No hay DIA de {wanted}: se muestra el de {year}, el último anterior.")
    if chosen[0] == "comunidad":
        st.caption("El DIA se registra por establecimiento: estos son los cursos de su escuela.")

    def make() -> list[tuple[str, str, str, pd.DataFrame, list[str], pd.DataFrame]]:
        """Each series' headline, caption, levels and data: built once per selection."""
        of_year = rows[rows["periodo"] == str(year)]
        sat = of_year[of_year["indicador"] == "dia_satisfactorio"]
        ins = of_year[of_year["indicador"] == "dia_insatisfactorio"]
        stages = [agency.stage_label(e) for e in agency.DIA_STAGES]
        out = []
        for serie in sorted(sat["serie"].unique()):
            mine = sat[sat["serie"] == serie]
            levels = agency.dia_levels_frame(mine, ins[ins["serie"] == serie])
            n = mine["n"].dropna()
            n_txt = (
                f"{format_number(int(n.iloc[-1]))} estudiantes evaluados en el último período"
                if len(n)
                else "sin el número de evaluados"
            )
            caption = (
                f"Fuente: DIA (plataforma de la Agencia de Calidad), {n_txt}. % de los "
                "estudiantes evaluados en cada nivel de logro."
            )
            order = [s for s in stages if s in set(levels["periodo"])]
            out.append(
                (
                    str(serie),
                    agency.dia_headline(mine),
                    caption,
                    levels,
                    order,
                    mine.drop(columns=["momento"]),
                )
            )
        return out

    cards = reuse("dia", make, *(where or chosen), year)
    cols = st.columns(2)
    for i, (serie, headline, caption, levels, order, data) in enumerate(cards):
        with cols[i % 2]:
            if levels.empty:  # every period suppressed or without its levels
                with st.container(border=True):
                    st.markdown(f"**{escape_markdown(headline)}**")
                    st.caption(escape_markdown(caption))
                continue
            chart_card(
                headline,
                lambda levels=levels, order=order: charts.build_levels_chart(
                    levels,
                    charts.DIA_LEVEL_COLOURS,
                    rows=order,
                    row_title="Período",
                    level_title="Nivel de logro",
                ),
                caption=caption,
                data=data,
                file_stem=file_stem("dia", where[1] if where else "", serie.replace(" ", "_")),
            )
