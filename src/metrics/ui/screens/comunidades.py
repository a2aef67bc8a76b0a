"""*Comunidades* (``pages/comunidades.py``): one community's profile, and the communities of a
school side by side on the same scale (small multiples).
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from metrics.engine.catalog import INDICATORS
from metrics.formatting import format_number
from metrics.presentation import charts
from metrics.presentation.status import improvement_phrase, range_phrase
from metrics.presentation.views import format_indicator_value
from metrics.scope import Scope
from metrics.store import Store
from metrics.ui import (
    chart_card,
    community_names,
    current_access,
    empty_state,
    file_stem,
    load_view,
)


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
    if community_names(store, scope, rbd):
        return True
    empty_state(
        f"{place} aún no tiene comunidades de práctica cargadas. Cargue la plantilla de "
        "comunidades y la de docentes (integrantes); después, el cronograma, la asistencia a "
        "sesiones y las encuestas."
    )
    return False


def small_multiples_card(
    store: Store,
    scope: Scope,
    results: pd.DataFrame,
    rbd: int,
    code: str,
    place: str,
    year: int | None = None,
) -> None:
    """One indicator for every community of a school, on a shared scale, up to ``year``."""
    ind = INDICATORS[code]
    names = community_names(store, scope, rbd)
    rows = results[
        (results["alcance"] == "comunidad")
        & results["alcance_id"].isin(list(names))
        & (results["indicador"] == code)
        & ~results["periodo"].astype(str).str.contains("-")
    ]
    if year is not None:
        rows = rows[rows["periodo"].astype(int) <= year]
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
    shown_year = str(year) if year is not None else str(rows["periodo"].max())
    last = rows[rows["periodo"].astype(str) == shown_year]
    values = last[last["valor"].notna() & (last["estado"] != "suprimido")].sort_values("valor")
    spread = (
        "; "
        + range_phrase(
            [
                (format_indicator_value(ind, v), str(names.get(c, c)))
                for v, c in zip(values["valor"], values["alcance_id"], strict=True)
            ]
        )
        if len(values) > 1 and last["cambio"].isna().all()  # nothing to compare: the values
        else ""
    )
    headline = (
        f"{ind.name} en las {len(names)} comunidades de {place}, {shown_year}: "
        + improvement_phrase(ind, last, "comunidades")
        + spread
        + "."
        if len(last)
        else f"{ind.name} en las {len(names)} comunidades de {place}: sin datos de {shown_year}."
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
        file_stem=file_stem(code, "comunidades", rbd),
    )
