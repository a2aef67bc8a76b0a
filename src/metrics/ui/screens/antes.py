"""*Antes — línea base y metas* (``pages/antes.py``): each moment's indicators against their
baseline and target, the baseline year and target forms, and the diagnosis (classroom
observations by domain of the *Marco para la Buena Enseñanza*, official test results).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime

import pandas as pd
import streamlit as st

from metrics.engine.catalog import INDICATORS
from metrics.engine.indicators import (
    TargetFileError,
    baseline_years,
    import_targets,
    set_baseline_year,
)
from metrics.errors import TableroError
from metrics.filters import Filters
from metrics.formatting import escape_markdown, format_number, parse_decimal
from metrics.presentation import agency, charts
from metrics.presentation.records import INSTRUMENT_NAMES, evaluations_headline
from metrics.presentation.views import PROVISIONAL_NOTE, bullet_frame, format_indicator_value
from metrics.scope import Scope
from metrics.store import Store
from metrics.store.views import EVALUATION_INSTRUMENTS
from metrics.ui import (
    HASH_FUNCS,
    chart_card,
    clear_caches,
    current_access,
    current_actor,
    data_changed,
    data_years,
    empty_state,
    file_stem,
    load_view,
    missing_sources,
    reuse,
    show_error,
)
from metrics.ui.screens.impacto import load_series, series_scope

MBE_DOMAINS = {
    "A": "A. Preparación de la enseñanza",
    "B": "B. Ambiente propicio para el aprendizaje",
    "C": "C. Enseñanza para el aprendizaje",
    "D": "D. Responsabilidades profesionales",
}


@dataclass(frozen=True)
class _Card:
    """What a chart card of this page shows, built once per selection (:func:`reuse`)."""

    headline: str
    frame: pd.DataFrame
    """What the chart draws."""
    caption: str
    download: pd.DataFrame
    """The downloads' table."""


def bullet_section(rows: pd.DataFrame, title: str) -> None:
    """Every indicator of ``rows`` with a value, a baseline or a target as a bullet: value as a
    bar, baseline and target as ticks; those with none of them are named, with their files.

    ``rows`` follow from the selection alone (one moment's part of the page's rows), so what
    the card shows is built once per selection and reused by every session (:func:`reuse`)."""
    card = reuse("balas", lambda: _bullet_card(rows, title), title)
    if isinstance(card, str):
        with st.container(border=True):
            st.markdown(f"**{title}**")
            empty_state(card)
        return
    frame = card.frame
    chart_card(
        card.headline,
        lambda: charts.build_bullet_chart(frame),
        caption=card.caption,
        data=card.download,
        file_stem=file_stem("linea_base_metas", title),
        png_chart=lambda: charts.build_bullet_chart(frame, width=800),
    )


def _bullet_card(rows: pd.DataFrame, title: str) -> _Card | str:
    """:func:`bullet_section`'s card, or what its empty state says."""
    full = bullet_frame(rows)
    shown = (
        full["valor"].notna()
        | full["linea_base"].notna()
        | full["meta"].notna()
        | full["suprimido"]
    ).to_numpy()
    codes = list(rows["indicador"])
    if not shown.any():
        return (
            f"ningún indicador de {title.lower()} tiene datos ni meta para esta selección "
            f"y año. Se calculan con: {missing_sources(codes)}."
        )
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
    caption = (
        "Barra: valor del año elegido (azul verdoso si mejoró respecto de la línea "
        "base, naranjo si empeoró, gris si no hay cambio o línea base). Trazo gris "
        "discontinuo: línea base. Trazo negro grueso: meta." + notes
    )
    return _Card(headline, frame, caption, download)


def target_form(
    store: Store, scope: Scope, alcance: str, alcance_id: str, place: str, year: int | None
) -> None:
    """Set or change a target: validated, with a required reason, recorded as a batch."""

    if not current_access().can_set_targets:
        return
    with st.form("meta", border=True):
        st.markdown(f"**Fijar o cambiar una meta — {escape_markdown(place)}**")
        codes = list(INDICATORS)
        c1, c2, c3 = st.columns([3, 1, 1])
        code = c1.selectbox("Indicador", codes, format_func=lambda c: INDICATORS[c].name)
        typed = c2.text_input(
            "Meta",
            placeholder="Por ejemplo: 3,5",
            help="En la unidad del indicador, con coma decimal (para una tasa, 3,5 es 3,5 %).",
        )
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
    value = parse_decimal(typed)
    if value is None:
        st.error(
            f"Escriba la meta como un número con coma decimal, por ejemplo 3,5 (se escribió "
            f"«{escape_markdown(typed.strip())}»)."
            if typed.strip()
            else "Escriba la meta: un número con coma decimal, por ejemplo 3,5."
        )
        return
    if value < 0:
        st.error("La meta no puede ser negativa.")
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


@st.cache_data(show_spinner=False, ttl=600, hash_funcs=HASH_FUNCS)
def _load_baseline_years(_store: Store, store_path: str, scope: Scope) -> pd.DataFrame:
    """:func:`baseline_years` of ``scope``, cached (cleared with the others: the form below
    calls :func:`data_changed`)."""
    return baseline_years(_store, scope)


def baseline_year_status(store: Store, scope: Scope, rbd: int) -> tuple[int | None, str, bool]:
    """A school's baseline year in use, how it was chosen (in words), and whether it was set
    by hand."""

    df = _load_baseline_years(store, store.path, scope.narrow([rbd]))
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
    """Class observations by MBE domain and year, each domain against its first year (built
    once per selection, :func:`reuse`)."""

    def make() -> _Card | None:
        obs = load_view(
            store, store.path, scope, "observations_by_domain", rbd=rbd, community_id=community_id
        )
        return None if obs.empty else _observations_card(obs)

    card = reuse("observaciones", make, rbd, community_id)
    if card is None:
        empty_state("no hay observaciones de aula (evaluaciones docentes) para esta selección.")
        return
    frame = card.frame
    chart_card(
        card.headline,
        lambda: charts.build_small_multiples(
            frame, unit="puntos", decimals=2, columns=2, width=300
        ),
        caption=card.caption,
        data=card.download,
        file_stem=file_stem("observaciones_mbe", rbd, community_id),
    )


def _observations_card(obs: pd.DataFrame) -> _Card:
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
    caption = (
        f"Fuente: observaciones de aula, escala 1 (insatisfactorio) a 4 (destacado); "
        f"{format_number(int(obs['n'].sum()))} observaciones. Línea discontinua: "
        f"{first_year}."
    )
    download = frame.rename(
        columns={
            "grupo": "Dominio MBE",
            "periodo": "Año",
            "valor": "Puntaje medio",
            "linea_base": f"Puntaje {first_year}",
        }
    )
    return _Card(headline, frame, caption, download)


def _instrument_title(instrument: str) -> str:
    """«Evaluación Docente» (a name), «Observación de aula»: how a chart titles an instrument."""
    name = INSTRUMENT_NAMES.get(instrument, instrument).removeprefix("la ")
    return name[0].upper() + name[1:]


def instruments_section(
    store: Store, scope: Scope, rbd: int | None, community_id: str | None
) -> None:
    """Teacher evaluations by instrument beside class observation (Antes and Resultados):
    self-assessment, peer feedback and the Evaluación Docente, each against its first year
    (built once per selection, :func:`reuse`)."""

    def make() -> _Card | None:
        evals = load_view(
            store,
            store.path,
            scope,
            "evaluations_by_instrument",
            rbd=rbd,
            community_id=community_id,
        )
        return None if evals.empty else _instruments_card(evals)

    card = reuse("instrumentos", make, rbd, community_id)
    if card is None:
        empty_state("no hay evaluaciones docentes (ningún instrumento) para esta selección.")
        return
    frame = card.frame
    chart_card(
        card.headline,
        # Two a row, like the domains above: four in one row overflow a 1366-px screen.
        lambda: charts.build_small_multiples(
            frame, unit="puntos", decimals=2, columns=min(2, frame["grupo"].nunique()), width=300
        ),
        caption=card.caption,
        data=card.download,
        file_stem=file_stem("evaluaciones_por_instrumento", rbd, community_id),
    )


def _instruments_card(evals: pd.DataFrame) -> _Card:
    first = evals.groupby("instrument")["year"].transform("min")
    base = evals[evals["year"] == first].set_index("instrument")["mean_score"]
    frame = pd.DataFrame(
        {
            "grupo": [_instrument_title(str(i)) for i in evals["instrument"]],
            "periodo": evals["year"].astype(str),
            "valor": evals["mean_score"].to_numpy(),
            "suprimido": False,
            "linea_base": [base.get(i) for i in evals["instrument"]],
        }
    )
    missing = [
        INSTRUMENT_NAMES[i].removeprefix("la ")
        for i in EVALUATION_INSTRUMENTS
        if i not in set(evals["instrument"])
    ]
    caption = (
        "Fuente: evaluaciones docentes, puntaje medio de los dominios del Marco para la Buena "
        f"Enseñanza, escala 1 (insatisfactorio) a 4 (destacado); "
        f"{format_number(int(evals['n'].sum()))} puntajes. Línea discontinua: el primer año "
        "de cada instrumento."
    )
    if missing:
        caption += f" Sin datos de: {', '.join(missing)}."
    download = evals.rename(
        columns={
            "year": "Año",
            "instrument": "Instrumento",
            "mean_score": "Puntaje medio",
            "n": "Puntajes",
            "teachers": "Docentes",
        }
    )
    return _Card(evaluations_headline(evals), frame, caption, download)


def tests_section(store: Store, scope: Scope, rbd: int | None) -> None:
    """Standardized test scores per series (test, grade, subject) over the years (built once
    per selection, :func:`reuse`)."""

    def make() -> _Card | None:
        scores = load_view(store, store.path, scope, "standardized_scores", rbd=rbd)
        return None if scores.empty else _tests_card(scores)

    card = reuse("pruebas", make, rbd)
    if card is None:
        empty_state("no hay resultados SIMCE u otras pruebas estandarizadas para esta selección.")
        return
    frame = card.frame
    chart_card(
        card.headline,
        lambda: charts.build_small_multiples(
            frame, unit="puntaje", decimals=0, columns=2, width=300
        ),
        caption=card.caption,
        data=card.download,
        file_stem=file_stem("pruebas_estandarizadas", rbd),
    )


def _tests_card(scores: pd.DataFrame) -> _Card:
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
    caption = (
        "Fuente: SIMCE por establecimiento (Agencia de Calidad de la Educación). "
        "Línea discontinua: primer año con resultados."
    )
    download = frame.rename(
        columns={
            "grupo": "Serie",
            "periodo": "Año",
            "valor": "Puntaje",
            "linea_base": "Primer año",
        }
    )
    return _Card(headline, frame, caption, download)


def series_section(store: Store, scope: Scope, chosen: tuple[str, str], filters: Filters) -> None:
    """Each SIMCE series' score and % Adecuado against its baseline year, as bullets (as
    Impacto shows the series): never a value across series. Built once per selection
    (:func:`reuse`): ``chosen`` follows from it."""
    where = series_scope(chosen, filters)
    if where is None:
        return

    def make() -> _Card | None:
        rows = load_series(store, scope, where)
        if rows.empty or not (rows["indicador"] == "simce_puntaje").any():
            return None
        year = filters.year if filters.year is not None else 9999
        frame = agency.series_bullet_frame(rows, year)
        return None if frame.empty else _series_card(frame)

    card = reuse("series", make, *where)
    if card is None:
        return
    drawn = card.frame
    chart_card(
        card.headline,
        lambda: charts.build_bullet_chart(drawn),
        caption=card.caption,
        data=card.download,
        file_stem=file_stem("simce_linea_base", where[1]),
        png_chart=lambda: charts.build_bullet_chart(drawn, width=800),
    )


def _series_card(frame: pd.DataFrame) -> _Card:
    provisional = bool(frame["provisional"].any())
    caption = (
        "Fuente: SIMCE por establecimiento (Agencia de Calidad). Barra: valor del último "
        "año con puntaje (azul verdoso si mejoró respecto de la línea base, naranjo si empeoró). "
        "Trazo gris discontinuo: línea base de la misma serie"
        + (" (provisional: el primer año con puntaje)." if provisional else ".")
        + " El SIMCE no tiene metas todavía."
    )
    download = frame.rename(
        columns={
            "nombre": "Serie",
            "valor": "Valor",
            "linea_base": "Línea base",
            "periodo_base": "Año de línea base",
        }
    ).drop(
        columns=[
            "meta",
            "suprimido",
            "mejor",
            "decimales",
            "sufijo",
            "provisional",
            "indicador",
        ]
    )
    return _Card(
        agency.series_bullets_headline(frame),
        frame.drop(columns=["periodo_base", "provisional", "indicador"]),
        caption,
        download,
    )
