"""Sections that pages are made of: each draws one card or form from ``metrics`` data.

Sections take the engine's results (already suppressed) or a store view, and draw them with
:mod:`metrics.charts` inside the cards of :mod:`metrics.ui`. No SQL and no business rules here:
numbers come from :mod:`metrics.indicators` and :mod:`metrics.store.views`.
"""

from __future__ import annotations

import hashlib
from datetime import date, datetime
from typing import Any

import pandas as pd
import streamlit as st

from metrics import charts
from metrics.catalog import INDICATORS
from metrics.errors import TableroError
from metrics.filters import Filters
from metrics.formatting import (
    escape_markdown,
    format_date,
    format_month,
    format_number,
    format_percent,
)
from metrics.presentation import (
    PROVISIONAL_NOTE,
    SHORT_NAMES,
    bullet_frame,
    first_present,
    format_indicator_change,
    format_indicator_value,
    is_better,
)
from metrics.scope import Scope
from metrics.store import Store
from metrics.ui import (
    LOAD_PAGE,
    chart_card,
    choose_a_school_notice,
    clear_caches,
    communities_need_a_school,
    current_access,
    current_actor,
    data_changed,
    data_years,
    download,
    empty_state,
    load_communities,
    load_data_link,
    load_view,
    missing_sources,
    report_table,
    show_chart,
    show_error,
    table_height,
)

MBE_DOMAINS = {
    "A": "A. Preparación de la enseñanza",
    "B": "B. Ambiente propicio para el aprendizaje",
    "C": "C. Enseñanza para el aprendizaje",
    "D": "D. Responsabilidades profesionales",
}
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


def _community_names(store: Store, scope: Scope, rbd: int | None) -> dict[str, str]:
    comms = load_communities(store, store.path, scope, rbd)
    return {str(i): str(n) for i, n in zip(comms["id"], comms["name"], strict=True)}


def _file_stem(*parts: object) -> str:
    return "_".join(str(p) for p in parts if p is not None).replace(":", "-").replace(" ", "-")


# -- Antes ------------------------------------------------------------------------------------


def bullet_section(rows: pd.DataFrame, title: str) -> None:
    """Every indicator of ``rows`` with a value, a baseline or a target as a bullet: value as a
    bar, baseline and target as ticks; those with none of them are named, with their files."""
    full = bullet_frame(rows)
    shown = (
        full["valor"].notna()
        | full["linea_base"].notna()
        | full["meta"].notna()
        | full["suprimido"]
    ).to_numpy()
    codes = list(rows["indicador"])
    if not shown.any():
        with st.container(border=True):
            st.markdown(f"**{title}**")
            empty_state(
                f"ningún indicador de {title.lower()} tiene datos ni meta para esta selección "
                f"y año. Se calculan con: {missing_sources(codes)}."
            )
        return
    frame = full[shown].reset_index(drop=True)
    with_target = int(full["meta"].notna().sum())
    with_base = int(full["linea_base"].notna().sum())
    headline = (
        f"{title}: {with_base} de {len(full)} indicadores tienen línea base y {with_target} "
        "tienen meta."
    )
    absent = [INDICATORS[c].name for c, ok in zip(codes, shown, strict=True) if not ok]
    provisional = rows["linea_base_provisional"].fillna(False).astype(bool).to_numpy()
    notes = (f" Sin datos en {len(absent)}: {', '.join(absent)}." if absent else "") + (
        f" {PROVISIONAL_NOTE}" if provisional.any() else ""
    )
    download = (
        frame.drop(columns=["decimales", "sufijo"])
        .rename(
            columns={
                "nombre": "Indicador",
                "unidad": "Unidad",
                "valor": "Valor",
                "linea_base": "Línea base",
                "meta": "Meta",
                "suprimido": "Suprimido",
            }
        )
        .drop(columns="mejor")
    )
    download.loc[download["Suprimido"], ["Valor", "Línea base"]] = None
    chart_card(
        headline,
        charts.build_bullet_chart(frame),
        caption="Barra: valor del año elegido (azul verdoso si mejoró respecto de la línea "
        "base, naranjo si empeoró, gris si no hay cambio o línea base). Trazo gris "
        "discontinuo: línea base. Trazo negro grueso: meta." + notes,
        data=download,
        file_stem=_file_stem("linea_base_metas", title),
        png_chart=lambda: charts.build_bullet_chart(frame, width=800),
    )


def target_form(
    store: Store, scope: Scope, alcance: str, alcance_id: str, place: str, year: int | None
) -> None:
    """Set or change a target: validated, with a required reason, recorded as a batch."""
    from metrics.indicators import TargetFileError, import_targets

    if not current_access().can_set_targets:
        return
    with st.form("meta", border=True):
        st.markdown(f"**Fijar o cambiar una meta — {escape_markdown(place)}**")
        codes = list(INDICATORS)
        c1, c2, c3 = st.columns([3, 1, 1])
        code = c1.selectbox("Indicador", codes, format_func=lambda c: INDICATORS[c].name)
        value = c2.number_input("Meta", min_value=0.0, step=0.1, format="%.1f")
        deadline = c3.number_input(
            "Año límite",
            min_value=2000,
            max_value=2100,
            step=1,
            value=(year or date.today().year) + 1,
        )
        reason = st.text_area(
            "Motivo del cambio (obligatorio)",
            placeholder="Por ejemplo: acuerdo del consejo escolar del 12-03-2025.",
        )
        sent = st.form_submit_button("Guardar meta", type="primary")
    if not sent:
        return
    if not reason.strip():
        st.error("Escriba el motivo de la meta: queda registrado junto al cambio.")
        return
    row = {
        "indicador": code,
        "alcance": alcance,
        "alcance_id": alcance_id,
        "meta": str(value).replace(".", ","),
        "anio_limite": str(int(deadline)),
        "motivo": reason.strip(),
    }
    stamp = datetime.now().isoformat()
    digest = hashlib.sha256(f"{row}{stamp}".encode()).hexdigest()
    try:
        result = import_targets(
            store,
            scope,
            [row],
            file_name="formulario de metas",
            file_hash=digest,
            actor=current_actor(),
        )
    except TargetFileError as exc:
        for issue in exc.issues:
            st.error(escape_markdown(issue))
        return
    except TableroError as exc:
        show_error(exc)
        return
    clear_caches()
    for warning in getattr(result, "warnings", []) or []:
        st.warning(escape_markdown(warning))
    st.success(
        f"Meta guardada: {INDICATORS[code].name} = "
        f"{format_indicator_value(INDICATORS[code], value)} para {int(deadline)}."
    )


_BASELINE_SAVED = "linea_base_guardada"
_DEFAULT_YEAR = 0
"""The baseline-year form's option that clears the year set by hand (back to the default)."""


def baseline_year_status(store: Store, scope: Scope, rbd: int) -> tuple[int | None, str, bool]:
    """A school's baseline year in use, how it was chosen (in words), and whether it was set
    by hand."""
    from metrics.indicators import baseline_years

    df = baseline_years(store, scope.narrow([rbd]))
    row = df[df["rbd"] == rbd]
    if row.empty:
        return None, "sin establecimiento", False
    rec = row.iloc[0]
    if pd.notna(rec["anio_base_definido"]):
        return int(rec["anio_base_definido"]), "fijado por el equipo", True
    if pd.notna(rec["anio_base_por_omision"]):
        return int(rec["anio_base_por_omision"]), "el año anterior a la primera comunidad", False
    return None, "provisional: el primer año con datos de cada indicador", False


def baseline_year_form(store: Store, scope: Scope, filters: Filters) -> None:
    """Set or clear the chosen school's baseline year, as ``tablero metas linea-base`` does:
    the same permission (``can_set_targets``), the same store function, audited."""
    from metrics.indicators import set_baseline_year

    rbd = filters.rbd
    if rbd is None or not current_access().can_set_targets:
        return
    years = data_years(store, scope.narrow([rbd]))
    saved = st.session_state.pop(_BASELINE_SAVED, None)
    if saved:
        st.success(escape_markdown(saved), icon=":material/check:")
    year, how, fixed = baseline_year_status(store, scope, rbd)
    place = filters.school_name or f"RBD {rbd}"
    now = f"{year} ({how})" if year is not None else how
    with st.expander(f"Año de línea base de {escape_markdown(place)}: {now}"):
        st.markdown(
            "Todos los indicadores del establecimiento y de sus comunidades se comparan con su "
            "valor en este año. Sin año fijado, es el año anterior a la primera comunidad; sin "
            "comunidades, una línea base **provisional**: el primer año con datos de cada "
            "indicador."
        )
        options = [_DEFAULT_YEAR, *sorted(set(years) | ({year} if year else set()), reverse=True)]
        with st.form("linea_base", border=False):
            chosen = st.selectbox(
                "Año de línea base",
                options,
                index=options.index(year) if fixed and year in options else 0,
                format_func=lambda y: (
                    "Por omisión (sin año fijado)" if y == _DEFAULT_YEAR else str(y)
                ),
            )
            sent = st.form_submit_button("Guardar año de línea base", type="primary")
    if not sent:
        return
    value = None if chosen == _DEFAULT_YEAR else int(chosen)
    try:
        set_baseline_year(store, scope, rbd, value, actor=current_actor())
    except TableroError as exc:
        show_error(exc)
        return
    data_changed(store)
    st.session_state[_BASELINE_SAVED] = (
        f"Línea base de {place}: {value}."
        if value is not None
        else f"Línea base de {place}: por omisión."
    )
    st.rerun()


def observations_section(
    store: Store, scope: Scope, rbd: int | None, community_id: str | None
) -> None:
    """Class observations by MBE domain and year, each domain against its first year."""
    obs = load_view(
        store, store.path, scope, "observations_by_domain", rbd=rbd, community_id=community_id
    )
    if obs.empty:
        empty_state("no hay observaciones de aula (evaluaciones docentes) para esta selección.")
        return
    first_year = int(obs["year"].min())
    base = obs[obs["year"] == first_year].set_index("domain")["mean_score"]
    frame = pd.DataFrame(
        {
            "grupo": [MBE_DOMAINS.get(d, d) for d in obs["domain"]],
            "periodo": obs["year"].astype(str),
            "valor": obs["mean_score"].to_numpy(),
            "suprimido": False,
            "linea_base": [base.get(d) for d in obs["domain"]],
        }
    )
    last = obs[obs["year"] == obs["year"].max()]
    best = last.sort_values("mean_score").iloc[-1]
    worst = last.sort_values("mean_score").iloc[0]
    headline = (
        f"En {int(best['year'])}, el dominio mejor evaluado es "
        f"{MBE_DOMAINS.get(best['domain'], best['domain'])} "
        f"({format_number(best['mean_score'], 2)} de 4) y el más débil, "
        f"{MBE_DOMAINS.get(worst['domain'], worst['domain'])} "
        f"({format_number(worst['mean_score'], 2)})."
    )
    chart_card(
        headline,
        charts.build_small_multiples(frame, unit="puntos", decimals=2, columns=2, width=300),
        caption=f"Fuente: observaciones de aula, escala 1 (insatisfactorio) a 4 (destacado); "
        f"{format_number(int(obs['n'].sum()))} observaciones. Línea discontinua: "
        f"{first_year}.",
        data=frame.rename(
            columns={
                "grupo": "Dominio MBE",
                "periodo": "Año",
                "valor": "Puntaje medio",
                "linea_base": f"Puntaje {first_year}",
            }
        ),
        file_stem=_file_stem("observaciones_mbe", rbd, community_id),
    )


def tests_section(store: Store, scope: Scope, rbd: int | None) -> None:
    """Standardized test scores per series (test, grade, subject) over the years."""
    scores = load_view(store, store.path, scope, "standardized_scores", rbd=rbd)
    if scores.empty:
        empty_state("no hay resultados SIMCE u otras pruebas estandarizadas para esta selección.")
        return
    scores = scores.assign(
        grupo=scores["test"]
        + " "
        + scores["grade_level"].str.replace("b", "° básico").str.replace("m", "° medio")
        + " — "
        + scores["subject"]
    )
    first = scores.sort_values("year").groupby("grupo")["mean_score"].first()
    frame = pd.DataFrame(
        {
            "grupo": scores["grupo"],
            "periodo": scores["year"].astype(str),
            "valor": scores["mean_score"].to_numpy(),
            "suprimido": scores["mean_score"].isna(),
            "linea_base": scores["grupo"].map(first).to_numpy(),
        }
    )
    hidden = int(frame["suprimido"].sum())
    headline = (
        f"Puntajes promedio de {frame['grupo'].nunique()} series de pruebas estandarizadas, "
        f"ponderados por estudiantes evaluados"
        + (
            f"; {hidden} resultados ocultos por la propia Agencia (pocos estudiantes)."
            if hidden
            else "."
        )
    )
    chart_card(
        headline,
        charts.build_small_multiples(frame, unit="puntaje", decimals=0, columns=2, width=300),
        caption="Fuente: SIMCE por establecimiento (Agencia de Calidad de la Educación). "
        "Línea discontinua: primer año con resultados.",
        data=frame.rename(
            columns={
                "grupo": "Serie",
                "periodo": "Año",
                "valor": "Puntaje",
                "linea_base": "Primer año",
            }
        ),
        file_stem=_file_stem("pruebas_estandarizadas", rbd),
    )


# -- Durante ----------------------------------------------------------------------------------


def schedule_section(
    store: Store,
    scope: Scope,
    results: pd.DataFrame,
    breakdowns: pd.DataFrame,
    filters: Filters,
    year: int | None,
) -> None:
    """Schedule compliance per community and per person responsible, and planned vs done."""
    cutoff = filters.cutoff or date.today()
    if communities_need_a_school(store, scope, filters.rbd):
        choose_a_school_notice()
    names = _community_names(store, scope, filters.rbd)
    period = str(year) if year else None
    comm = results[
        (results["alcance"] == "comunidad")
        & (results["indicador"] == "cumplimiento_cronograma")
        & results["alcance_id"].isin(list(names))
    ]
    if period:
        comm = comm[comm["periodo"] == period]
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
        low = frame.sort_values("valor").iloc[0]
        high = frame.sort_values("valor").iloc[-1]
        headline = (
            f"Al {format_date(cutoff)}, el cumplimiento del cronograma va de "
            f"{format_percent(low['valor'])} ({low['etiqueta']}) a "
            f"{format_percent(high['valor'])} ({high['etiqueta']})."
        )
        chart_card(
            headline,
            charts.build_bar_chart(
                frame,
                value_title="Actividades realizadas (%)",
                unit="%",
                target=None if target is None else float(target),
                target_label=None if target is None else f"Meta {format_percent(float(target), 0)}",
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
            file_stem=_file_stem("cronograma_comunidades", filters.rbd, period),
        )
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
    if not people.empty and current_access().sees_teachers:
        frame = pd.DataFrame(
            {
                "etiqueta": people["categoria"].astype(str).to_numpy(),
                "valor": pd.to_numeric(people["valor"], errors="coerce").to_numpy(),
                "n": people["n"].to_numpy(),
                "suprimido": people["suprimido"].astype(bool).to_numpy(),
            }
        ).head(25)
        with st.expander("Cumplimiento por responsable"):
            show_chart(charts.build_bar_chart(frame, value_title="Realizadas (%)", unit="%"))
    monthly = load_view(
        store,
        store.path,
        scope,
        "schedule_by_month",
        rbd=filters.rbd,
        community_id=filters.community_id,
        cutoff=cutoff,
    )
    if monthly.empty:
        empty_state("no hay actividades en el cronograma para esta selección.")
        return
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
        f"{format_number(planned)} actividades y se realizaron {format_number(done)}"
        + (f" ({format_percent(100 * done / planned)})." if planned else ".")
    )
    chart_card(
        headline,
        charts.build_planned_done_chart(
            frame,
            cutoff_label=f"Fecha de corte {format_date(cutoff)}",
            cutoff_month=cutoff.isoformat(),
        ),
        caption="Fuente: cronograma de actividades. Curvas acumuladas por mes de la fecha "
        "planificada; las actividades después de la fecha de corte aún pueden realizarse.",
        data=frame.drop(columns="mes").rename(
            columns={
                "mes_txt": "Mes",
                "planificadas": "Planificadas (acum.)",
                "realizadas": "Realizadas (acum.)",
            }
        ),
        file_stem=_file_stem("planificadas_realizadas", filters.rbd, filters.community_id),
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
    frame = _likert_frame(now, "dimension")
    fav = (
        frame[frame["respuesta"] >= 4].groupby("etiqueta")["n"].sum()
        / frame.groupby("etiqueta")["n"].sum()
        * 100
    )
    top, bottom = str(fav.idxmax()), str(fav.idxmin())
    who = f"Ola «{wave}», {RESPONDENT_NAMES.get(kind, kind).lower()}: "
    if top == bottom:
        headline = f"{who}{format_percent(fav[top])} de respuestas favorables en {top.lower()}."
    else:
        headline = (
            f"{who}la dimensión con más respuestas favorables es {top.lower()} "
            f"({format_percent(fav[top])}); la que tiene menos, {bottom.lower()} "
            f"({format_percent(fav[bottom])})."
        )
    chart_card(
        headline,
        charts.build_likert_chart(frame),
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
        file_stem=_file_stem("percepcion", wave, kind, filters.rbd, filters.community_id),
        png_chart=lambda: charts.build_likert_chart(frame, width=800),
    )
    with st.expander("Detalle por pregunta"):
        items = _likert_frame(now, "item")
        show_chart(charts.build_likert_chart(items))
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
                    format_indicator_value(INDICATORS[c], v)
                    for c, v in zip(latest["indicador"], latest["linea_base"], strict=True)
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
        with st.container(border=True):
            st.markdown("**Cambio entre la ola de línea base y la última ola, por dimensión**")
            st.dataframe(table, hide_index=True, width="stretch", height=table_height(len(table)))
            st.caption(
                "g de Hedges: 0,2 efecto pequeño, 0,5 mediano, 0,8 grande. «No "
                "concluyente»: el intervalo de confianza del 95 % del cambio incluye 0."
            )
    if not kinds_rows.empty:
        last = kinds_rows[kinds_rows["periodo"] != "línea base"]
        last = last[last["periodo"] == last["periodo"].max()]
        frame = pd.DataFrame(
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
        with st.expander("% favorable por tipo de encuestado"):
            show_chart(charts.build_bar_chart(frame, value_title="% favorable", unit="%"))


# -- Resultados -------------------------------------------------------------------------------


def community_comparison(
    store: Store,
    scope: Scope,
    results: pd.DataFrame,
    filters: Filters,
    codes: list[str],
    year: int | None,
) -> pd.DataFrame:
    """One row per community of the selection with its values of ``codes`` in ``year``."""
    names = _community_names(store, scope, filters.rbd)
    period = str(year) if year else None
    rows = results[
        (results["alcance"] == "comunidad")
        & results["alcance_id"].isin(list(names))
        & results["indicador"].isin(codes)
    ]
    if period:
        rows = rows[rows["periodo"] == period]
    if rows.empty:
        return pd.DataFrame()
    rows = rows.assign(comunidad=rows["alcance_id"].map(names))
    return rows


def ranking_card(rows: pd.DataFrame, code: str, title: str, filters: Filters) -> None:
    """Communities ranked by one indicator, against its target."""
    ind = INDICATORS[code]
    part = rows[rows["indicador"] == code]
    if part.empty:
        return
    frame = pd.DataFrame(
        {
            "etiqueta": part["comunidad"].to_numpy(),
            "valor": pd.to_numeric(part["valor"], errors="coerce").to_numpy(),
            "n": part["n"].to_numpy(),
            "suprimido": (part["estado"] == "suprimido").to_numpy(),
            "mejor": [is_better(ind, c) for c in part["cambio"]],
        }
    )
    shown = frame[~frame["suprimido"] & frame["valor"].notna()].sort_values("valor")
    if shown.empty:
        return
    target = first_present(part["meta"])
    met = int((part["estado"] == "logrado").sum())
    headline = (
        f"{title}: {format_indicator_value(ind, shown['valor'].iloc[-1])} en "
        f"{shown['etiqueta'].iloc[-1]} y {format_indicator_value(ind, shown['valor'].iloc[0])} "
        f"en {shown['etiqueta'].iloc[0]}; {met} de {len(part)} comunidades lograron su meta."
    )
    chart_card(
        headline,
        charts.build_bar_chart(
            frame,
            value_title=ind.name,
            unit=ind.unit,
            decimals=ind.decimals,
            target=None if target is None else float(target),
            target_label=None if target is None else "Meta",
        ),
        caption=f"{ind.definition} Color: azul verdoso si mejoró respecto de la línea base, "
        "naranjo si empeoró, gris sin línea base.",
        data=frame.drop(columns="mejor").rename(
            columns={"etiqueta": "Comunidad", "valor": ind.name, "suprimido": "Suprimido"}
        ),
        file_stem=_file_stem(code, "comunidades", filters.rbd),
    )


def participation_heatmap(store: Store, scope: Scope, filters: Filters, year: int | None) -> None:
    """Community × month participation in sessions."""
    part = load_view(store, store.path, scope, "participation_by_month", rbd=filters.rbd, year=year)
    if filters.community_id:
        part = part[part["community_id"] == filters.community_id]
    if part.empty:
        empty_state("no hay registros de asistencia a sesiones para esta selección y año.")
        return
    months = pd.to_datetime(part["month"])
    frame = pd.DataFrame(
        {
            "fila": part["community"].to_numpy(),
            "mes": months.dt.strftime("%Y-%m").to_numpy(),
            "mes_txt": [format_month(m.year, m.month) for m in months],
            "valor": (100 * part["attended"] / part["records"]).to_numpy(),
        }
    )
    overall = 100 * part["attended"].sum() / part["records"].sum()
    by_comm = part.groupby("community")[["attended", "records"]].sum()
    rate = 100 * by_comm["attended"] / by_comm["records"]
    headline = (
        f"La participación en las sesiones fue {format_percent(overall)} en "
        f"{year or 'todos los años'}; la más alta, {rate.idxmax()} "
        f"({format_percent(rate.max())}), y la más baja, {rate.idxmin()} "
        f"({format_percent(rate.min())})."
    )
    chart_card(
        headline,
        charts.build_heatmap(frame),
        caption="Fuente: asistencia a sesiones. Porcentaje de integrantes presentes por mes; "
        f"{format_number(int(part['records'].sum()))} registros.",
        data=frame.drop(columns="mes").rename(
            columns={"fila": "Comunidad", "mes_txt": "Mes", "valor": "Participación (%)"}
        ),
        file_stem=_file_stem("participacion", filters.rbd, year),
        png_chart=lambda: charts.build_heatmap(frame, width=900),
    )


# -- Comunidades ------------------------------------------------------------------------------


def community_profile(store: Store, scope: Scope, community_id: str, year: int | None) -> None:
    """Who the community is: members, novices, career steps."""
    roster = load_view(store, store.path, scope, "community_roster", community_id=community_id)
    if roster.empty:
        empty_state("la comunidad no tiene integrantes registrados.")
        return
    years = sorted(roster["year"].unique())
    chosen = int(year) if year is not None and year in years else int(years[-1])
    now = roster[roster["year"] == chosen]
    cols = st.columns(3)
    cols[0].metric(f"Integrantes {chosen}", format_number(len(now)), border=True)
    cols[1].metric(
        "Principiantes",
        format_number(int(now["novice"].fillna(False).sum())),
        border=True,
        help="Menos de 3 años de experiencia.",
    )
    prev = roster[roster["year"] == chosen - 1]
    if not prev.empty:
        stayed = len(set(prev["teacher_id"]) & set(now["teacher_id"]))
        cols[2].metric(f"Siguen desde {chosen - 1}", f"{stayed} de {len(prev)}", border=True)
    if not current_access().sees_teachers:
        return
    with st.expander("Integrantes"):
        table = pd.DataFrame(
            {
                "Docente": now["name"].fillna("(sin nombre)").to_numpy(),
                "Años de experiencia": now["years_experience"].to_numpy(),
                "Tramo": now["tramo"].fillna("–").to_numpy(),
            }
        )
        st.dataframe(table, hide_index=True, width="stretch")


def school_has_communities(store: Store, scope: Scope, rbd: int, place: str) -> bool:
    """Whether the school has communities; if not, say so once (with what to load)."""
    if _community_names(store, scope, rbd):
        return True
    empty_state(
        f"{place} aún no tiene comunidades de práctica cargadas. Cargue la plantilla de "
        "comunidades y la de docentes (integrantes); después, el cronograma, la asistencia a "
        "sesiones y las encuestas."
    )
    return False


def small_multiples_card(
    store: Store, scope: Scope, results: pd.DataFrame, rbd: int, code: str, place: str
) -> None:
    """One indicator for every community of a school, on a shared scale."""
    ind = INDICATORS[code]
    names = _community_names(store, scope, rbd)
    rows = results[
        (results["alcance"] == "comunidad")
        & results["alcance_id"].isin(list(names))
        & (results["indicador"] == code)
        & ~results["periodo"].astype(str).str.contains("-")
    ]
    if rows.empty:
        empty_state(f"no hay datos de {ind.name.lower()} por comunidad en {place}.")
        return
    frame = pd.DataFrame(
        {
            "grupo": rows["alcance_id"].map(names).to_numpy(),
            "periodo": rows["periodo"].astype(str).to_numpy(),
            "valor": pd.to_numeric(rows["valor"], errors="coerce").to_numpy(),
            "suprimido": (rows["estado"] == "suprimido").to_numpy(),
            "linea_base": pd.to_numeric(rows["linea_base"], errors="coerce").to_numpy(),
        }
    )
    last = rows[rows["periodo"] == rows["periodo"].max()]
    up = sum(1 for c in last["cambio"] if is_better(ind, c))
    headline = (
        f"{ind.name} en las {len(names)} comunidades de {place}: {up} de {len(last)} "
        f"mejoran respecto de su línea base en {last['periodo'].max()}."
    )
    chart_card(
        headline,
        charts.build_small_multiples(frame, unit=ind.unit, decimals=ind.decimals),
        caption=f"{ind.definition} Misma escala en todas; línea discontinua: línea base de "
        "cada comunidad. «n < 10»: grupo pequeño, no se muestra.",
        data=frame.rename(
            columns={
                "grupo": "Comunidad",
                "periodo": "Año",
                "valor": ind.name,
                "suprimido": "Suprimido",
                "linea_base": "Línea base",
            }
        ),
        file_stem=_file_stem(code, "comunidades", rbd),
    )


# -- Inicio -----------------------------------------------------------------------------------


def moment_scorecards(rows: pd.DataFrame) -> None:
    """The scorecard of every indicator, in the guide's order of moments."""
    from metrics.ui import scorecard_table

    scorecard_table(rows)


def readiness_checklist(checks: list[tuple[str, bool, str, str | None]]) -> None:
    """What each moment needs, ticked or not, with where to fix each gap."""
    cols = st.columns(len(checks))
    for col, (label, ok, detail, page) in zip(cols, checks, strict=True):
        icon = ":material/check_circle:" if ok else ":material/error:"
        col.markdown(f"{icon} **{label}**  \n{detail}")
        if ok or not page:
            continue
        if page == LOAD_PAGE:
            with col:
                load_data_link()
        else:
            col.page_link(page, label="Completar", icon=":material/arrow_forward:")


# -- Cargar datos -----------------------------------------------------------------------------


def templates_section() -> None:
    """Download a canonical template (CSV or Excel, with example rows and valid codes)."""
    from metrics.ingest import KIND_LABELS, template_csv, template_xlsx

    with st.expander("Plantillas para cargar datos propios"):
        kind = st.selectbox(
            "Conjunto de datos",
            list(KIND_LABELS),
            format_func=lambda k: KIND_LABELS[k],
            key="plantilla",
        )
        c1, c2, _ = st.columns([1, 1, 3])
        download(c1, "Plantilla CSV", lambda: template_csv(kind), f"plantilla_{kind}.csv")
        download(c2, "Plantilla Excel", lambda: template_xlsx(kind), f"plantilla_{kind}.xlsx")
        st.caption("La planilla Excel trae filas de ejemplo y una hoja con los códigos válidos.")


def _mapping_editor(detection: Any, key: str) -> list[Any] | None:
    """Let the user confirm a Forms question → dimension mapping; None until confirmed."""
    from metrics.ingest import MappingRow

    st.warning(
        "Este archivo es una exportación de formulario: confirme a qué dimensión "
        "corresponde cada pregunta (y cuáles están invertidas). Se guardará para las "
        "próximas cargas del mismo instrumento.",
        icon=":material/rule:",
    )
    proposal = pd.DataFrame(
        [
            {"pregunta": m.question, "dimension": m.dimension, "invertida": m.reverse}
            for m in detection.proposed_mapping
        ]
    )
    edited = st.data_editor(
        proposal,
        key=f"mapeo_{key}",
        hide_index=True,
        width="stretch",
        column_config={
            "pregunta": st.column_config.TextColumn("Pregunta", disabled=True, width="large"),
            "dimension": st.column_config.TextColumn(
                "Dimensión o rol",
                help="colaboracion, apoyo, satisfaccion, aprendizaje, otra dimensión propia, "
                "o un rol: establecimiento, comunidad, tipo_encuestado, ignorar.",
            ),
            "invertida": st.column_config.CheckboxColumn("Invertida"),
        },
    )
    if not st.checkbox("Confirmo este mapeo", key=f"ok_mapeo_{key}"):
        return None
    return [
        MappingRow(question=str(r.pregunta), dimension=str(r.dimension), reverse=bool(r.invertida))
        for r in edited.itertuples()
    ]


def upload_section(store: Store, actor: str, scope: Scope | None = None) -> None:
    """Several files at once: detect, preview, validate all, then import on confirmation.

    With a ``scope``, a file with rows of schools outside it is refused whole at import.
    """
    from metrics import ingest
    from metrics.ui import data_changed

    files = st.file_uploader(
        "Archivos CSV o Excel (puede elegir varios)",
        type=["csv", "txt", "xlsx"],
        accept_multiple_files=True,
        key="archivos",
    )
    if not files:
        st.info(
            "Suba los archivos oficiales tal como los descarga (Directorio, Rendimiento, "
            "Asistencia mensual, SIMCE, Google Forms, Microsoft Forms) o una plantilla.",
            icon=":material/upload_file:",
        )
        return
    done: set[str] = st.session_state.setdefault("cargados", set())
    ready: list[tuple[Any, bytes, dict[str, Any]]] = []
    # What others point at goes first (schools, communities, teachers), and a file may name
    # what an earlier file of this upload brings.
    detections: dict[str, Any] = {}
    for up in files:
        try:
            detections[up.file_id] = ingest.detect(up.getvalue(), up.name, store=store)
        except TableroError as exc:
            detections[up.file_id] = exc
    kinds = [getattr(detections[up.file_id], "kind", None) for up in files]
    pending = ingest.Pending()
    for up in [files[i] for i in ingest.upload_order(kinds)]:
        data = up.getvalue()
        with st.container(border=True):
            st.markdown(f"**{escape_markdown(up.name)}**")
            if up.file_id in done:
                st.success("Ya se cargó en esta sesión.", icon=":material/check:")
                continue
            detection = detections[up.file_id]
            if isinstance(detection, TableroError):
                show_error(detection)
                continue
            options: dict[str, Any] = {}
            c1, c2 = st.columns([2, 1])
            c1.markdown(
                f"Tipo detectado: **{escape_markdown(detection.kind_label)}** · formato: "
                f"{escape_markdown(detection.format_label)} · codificación "
                f"{escape_markdown(detection.encoding)}"
            )
            if len(detection.sheets) > 1:
                options["sheet"] = c2.selectbox("Hoja", detection.sheets, key=f"hoja_{up.file_id}")
            for note in detection.notes:  # the ignored columns among them
                st.caption(escape_markdown(note))
            if detection.needs_mapping:
                mapping = _mapping_editor(detection, up.file_id)
                if mapping is None:
                    continue
                options["mapping"] = mapping
            if len(detection.preview):
                with st.expander("Vista previa (primeras filas, columnas del tablero)"):
                    st.dataframe(detection.preview, hide_index=True, width="stretch")
            report = ingest.validate(data, up.name, store=store, upload=pending, **options)
            if report.ok:
                st.success(escape_markdown(report.summary()), icon=":material/check_circle:")
                if report.warnings:
                    with st.expander(f"Advertencias ({len(report.warnings)})"):
                        st.dataframe(report_table(report), hide_index=True, width="stretch")
                ready.append((up, data, options))
            else:
                st.error(escape_markdown(report.summary()), icon=":material/error:")
                st.dataframe(report_table(report), hide_index=True, width="stretch")
                st.download_button(
                    "Descargar el informe con cada error (Excel)",
                    data=report.to_xlsx(),
                    file_name=f"errores_{up.name}.xlsx",
                    key=f"informe_{up.file_id}",
                    mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    icon=":material/download:",
                    on_click="ignore",
                )
    if not ready:
        return
    label = f"Cargar {len(ready)} archivo" + ("s" if len(ready) > 1 else "")
    if not st.button(label, type="primary", icon=":material/cloud_upload:"):
        return
    bar = st.progress(0.0, text="Cargando…")
    imported = 0
    brought = ingest.Pending()
    for i, (up, data, options) in enumerate(ready):

        def step(fraction: float, message: str, i: int = i, name: str = up.name) -> None:
            text = escape_markdown(f"{name}: {message}")
            bar.progress(min(1.0, (i + fraction) / len(ready)), text=text)

        try:
            result = ingest.import_file(
                store,
                data,
                up.name,
                actor=actor,
                progress=step,
                scope=scope,
                upload=brought,
                **options,
            )
        except TableroError as exc:
            show_error(exc)
            continue
        done.add(up.file_id)
        imported += result.batch_id is not None
        st.success(escape_markdown(result.summary()), icon=":material/check_circle:")
    if imported:
        data_changed(store, bar)
    else:
        bar.progress(1.0, text="Listo.")


_UNDO_REQUEST = "deshacer_pedido"
"""Session key of a click on «Deshacer»: (load, its dependants, confirmed), as shown then."""
_UNDO_DONE = "deshacer_hecho"
_UNDO_KEYS = ("deshacer_carga", "deshacer_confirmar_")
"""Widget keys (and key prefixes) of the undo box, forgotten after an undo."""


def history_section(store: Store, scope: Scope, actor: str) -> None:
    """The batch history, and undo of one batch after an explicit confirmation that names it
    and the loads that depend on it (undone together)."""
    from metrics import ingest
    from metrics.ui import batches_table

    _run_undo_request(store, scope, actor)
    done = st.session_state.pop(_UNDO_DONE, None)
    if done:
        st.success(done, icon=":material/undo:")
    batches = store.batches(scope, limit=500)
    if batches.empty:
        empty_state("todavía no hay cargas.")
        return
    st.dataframe(batches_table(batches), hide_index=True, width="stretch")
    active = batches[batches["undone_at"].isna()]
    if active.empty or not current_access().can_upload:
        return
    with st.container(border=True):
        st.markdown(
            "**Deshacer una carga**: sus filas se quitan y vuelven las que reemplazó; "
            "la base queda exactamente como antes de esa carga."
        )
        labels = {
            int(str(b)): f"{b} — {name} ({format_datetime_short(when)})"
            for b, name, when in zip(
                active["id"], active["file_name"], active["created_at"], strict=True
            )
        }
        batch_id = st.selectbox(
            "Carga", list(labels), format_func=lambda b: labels[b], key="deshacer_carga"
        )
        try:
            plan = ingest.undo_plan(store, int(batch_id), scope)
        except TableroError as exc:
            show_error(exc)
            return
        st.markdown(f"Se deshará la **{plan.batch.label()}**.")
        if plan.dependants:
            st.warning(
                f"{len(plan.dependants)} carga(s) dependen de ella (nombran lo que trajo o "
                "reemplazaron filas suyas) y se desharán también, antes que ella:\n"
                + "\n".join(f"- {b.label()}" for b in plan.dependants),
                icon=":material/account_tree:",
            )
        tag = "-".join(str(b) for b in plan.ids)
        what = (
            f"la carga {plan.batch.id}"
            if not plan.dependants
            else f"la carga {plan.batch.id} y de las {len(plan.dependants)} que dependen de ella"
        )
        confirm = f"deshacer_confirmar_{tag}"
        st.checkbox(f"Entiendo que se quitarán los datos de {what}", key=confirm)
        st.button(
            f"Deshacer la carga {plan.batch.id}"
            + (f" y sus {len(plan.dependants)} dependiente(s)" if plan.dependants else ""),
            key=f"deshacer_{tag}",
            icon=":material/undo:",
            on_click=_request_undo,
            args=(plan.batch.id, tuple(b.id for b in plan.dependants), confirm),
        )


def _request_undo(batch_id: int, dependants: tuple[int, ...], confirm: str) -> None:
    """The click, bound to the load and dependants shown when it was drawn (not to whatever
    the widgets hold at the next run)."""
    st.session_state[_UNDO_REQUEST] = (batch_id, dependants, bool(st.session_state.get(confirm)))


def _run_undo_request(store: Store, scope: Scope, actor: str) -> None:
    """Carry out a pending click once: undo, forget the caches and the confirmation, rerun."""
    from metrics import ingest
    from metrics.ui import data_changed

    request = st.session_state.pop(_UNDO_REQUEST, None)
    if request is None:
        return
    batch_id, dependants, sure = request
    if not sure:
        st.error(
            f"Marque la casilla de confirmación para deshacer la carga {batch_id}.",
            icon=":material/error:",
        )
        return
    try:
        counts = ingest.undo_batch(
            store, batch_id, actor=actor, scope=scope, with_dependants=dependants
        )
    except TableroError as exc:
        show_error(exc)
        return
    data_changed(store)
    for key in list(st.session_state):
        if str(key).startswith(_UNDO_KEYS):
            del st.session_state[key]
    together = f" junto con las cargas {', '.join(map(str, dependants))}" if dependants else ""
    st.session_state[_UNDO_DONE] = (
        f"Carga {batch_id} deshecha{together}: {format_number(sum(counts.values()))} filas "
        "quitadas o restauradas."
    )
    st.rerun()


def format_datetime_short(value: Any) -> str:
    from metrics.formatting import format_datetime

    return format_datetime(None if pd.isna(value) else value)
