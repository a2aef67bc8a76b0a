"""*Resultados — comunidades* (``pages/resultados.py``): the communities compared on how often
they meet, how many take part and how many strategies they share, and the participation
heatmap.
"""

from __future__ import annotations

import pandas as pd

from metrics.engine.catalog import INDICATORS
from metrics.filters import Filters
from metrics.formatting import format_month, format_number, format_percent
from metrics.presentation import charts
from metrics.presentation.status import target_reach_phrase
from metrics.presentation.views import first_present, format_indicator_value, is_better
from metrics.scope import Scope
from metrics.store import Store
from metrics.ui import (
    chart_card,
    communities_need_a_school,
    community_names,
    empty_state,
    file_stem,
    load_view,
)


def community_comparison(
    store: Store,
    scope: Scope,
    results: pd.DataFrame,
    filters: Filters,
    codes: list[str],
    year: int | None,
) -> pd.DataFrame:
    """One row per community of the selection with its values of ``codes`` in ``year``."""
    names = community_names(store, scope, filters.rbd)
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
    top, bottom = shown.iloc[-1], shown.iloc[0]
    high = format_indicator_value(ind, top["valor"])
    low = format_indicator_value(ind, bottom["valor"])
    if len(shown) == 1:
        spread = f"{high} en {top['etiqueta']}"
    elif high == low:  # every community reads the same: say so, not «de X a X»
        spread = f"{high} en las {len(shown)} comunidades"
    else:
        spread = f"{high} en {top['etiqueta']} y {low} en {bottom['etiqueta']}"
    reach = target_reach_phrase(part, len(part), ("comunidad", "comunidades", "ninguna"))
    headline = f"{title}: {spread}; {reach}."
    chart_card(
        headline,
        lambda: charts.build_bar_chart(
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
        file_stem=file_stem(code, "comunidades", filters.rbd),
    )


def participation_heatmap(store: Store, scope: Scope, filters: Filters, year: int | None) -> None:
    """Community × month participation in sessions. Over more than ``MANY_SCHOOLS`` schools
    with none chosen it waits for a school, as the page's other comparisons of communities do
    (the page says so): thousands of rows say nothing, and Altair refuses them."""
    if communities_need_a_school(store, scope, filters.rbd):
        return
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
        lambda: charts.build_heatmap(frame),
        caption="Fuente: asistencia a sesiones. Porcentaje de integrantes presentes por mes; "
        f"{format_number(int(part['records'].sum()))} registros.",
        data=frame.drop(columns="mes").rename(
            columns={"fila": "Comunidad", "mes_txt": "Mes", "valor": "Participación (%)"}
        ),
        file_stem=file_stem("participacion", filters.rbd, year),
        png_chart=lambda: charts.build_heatmap(frame, width=900),
    )
