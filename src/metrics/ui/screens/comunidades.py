"""*Comunidades* (``pages/comunidades.py``): one community's profile, the communities of a
school side by side on the same scale (small multiples), and, with no school chosen, every
community of every school the person sees, grouped by school.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from metrics.engine.catalog import INDICATORS
from metrics.formatting import count_label, format_number
from metrics.presentation import charts
from metrics.presentation.status import improvement_phrase, range_phrase
from metrics.presentation.views import format_indicator_value, is_better
from metrics.scope import Scope
from metrics.store import Store
from metrics.ui import (
    chart_card,
    choose_a_school_notice,
    communities_need_a_school,
    community_names,
    current_access,
    empty_state,
    file_stem,
    load_communities,
    load_schools,
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
        lambda: charts.build_small_multiples(frame, unit=ind.unit, decimals=ind.decimals),
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


TERRITORY_CODES = ("participacion_activa", "cumplimiento_cronograma", "tasa_aprobacion")
"""What a supervisor compares across the communities of every school they see."""


def territory_communities(
    store: Store, scope: Scope, territory_id: str | None
) -> tuple[pd.DataFrame, dict[int, str]]:
    """The communities of every school the person sees (of ``territory_id`` when one is
    chosen), and those schools' names by RBD."""
    comms = load_communities(store, store.path, scope, None)
    schools = load_schools(store, store.path, scope, territory_id)
    names = {int(r): str(n) for r, n in zip(schools["rbd"], schools["name"], strict=True)}
    comms = comms[comms["rbd"].astype(int).isin(list(names))]
    return comms.reset_index(drop=True), names


def territory_frame(
    results: pd.DataFrame,
    comms: pd.DataFrame,
    schools: dict[int, str],
    code: str,
    year: int | None,
) -> pd.DataFrame:
    """One indicator of ``year`` for every community of ``comms``: the frame of
    :func:`metrics.presentation.charts.build_grouped_bars` (a community without a value that
    year is left out; a suppressed one stays, as «n < 10»)."""
    ind = INDICATORS[code]
    by_id = {
        str(i): (str(n), int(r))
        for i, n, r in zip(comms["id"], comms["name"], comms["rbd"], strict=True)
    }
    rows = results[
        (results["alcance"] == "comunidad")
        & results["alcance_id"].astype(str).isin(list(by_id))
        & (results["indicador"] == code)
        & (results["periodo"].astype(str) == str(year))
    ]
    rows = rows[rows["valor"].notna() | (rows["estado"] == "suprimido")]
    return pd.DataFrame(
        {
            "padre": [schools[by_id[str(i)][1]] for i in rows["alcance_id"]],
            "grupo": [by_id[str(i)][0] for i in rows["alcance_id"]],
            "valor": pd.to_numeric(rows["valor"], errors="coerce").to_numpy(),
            "linea_base": pd.to_numeric(rows["linea_base"], errors="coerce").to_numpy(),
            "suprimido": (rows["estado"] == "suprimido").to_numpy(),
            "mejor": [is_better(ind, c) for c in rows["cambio"]],
        }
    )


def territory_headline(ind_code: str, frame: pd.DataFrame, year: int | None) -> str:
    """«Participación activa en 2025: 30 comunidades de 12 establecimientos; 18 de 24 con
    línea base están mejor que ella.»"""
    ind = INDICATORS[ind_code]
    compared = [m for m in frame["mejor"] if m is not None and not pd.isna(m)]
    better = sum(1 for m in compared if m)
    where = (
        f"{count_label(len(frame), 'comunidad', 'comunidades')} de "
        f"{count_label(frame['padre'].nunique(), 'establecimiento', 'establecimientos')}"
    )
    if compared:
        against = f"{better} de {len(compared)} con línea base están mejor que ella."
    else:
        against = "ninguna tiene línea base con que compararse."
    return f"{ind.name} en {year}: {where}; {against}"


def territory_card(
    results: pd.DataFrame,
    comms: pd.DataFrame,
    schools: dict[int, str],
    code: str,
    year: int | None,
) -> pd.DataFrame:
    """One indicator for every community of every school, grouped by school, on one axis;
    returns its frame (empty when no community has a value)."""
    ind = INDICATORS[code]
    frame = territory_frame(results, comms, schools, code, year)
    if frame.empty:
        return frame
    chart_card(
        territory_headline(code, frame, year),
        lambda: charts.build_grouped_bars(
            frame,
            value_title=ind.name + (" (%)" if ind.unit == "%" else ""),
            unit=ind.unit,
            decimals=ind.decimals,
        ),
        caption=f"{ind.definition} Todas las comunidades en la misma escala, desde 0; trazo "
        "discontinuo: línea base de cada comunidad. Color: azul verdoso si está mejor que su "
        "línea base, naranjo si está peor, gris sin línea base. «n < 10»: grupo pequeño, no "
        "se muestra.",
        data=frame.drop(columns="mejor").rename(
            columns={
                "padre": "Establecimiento",
                "grupo": "Comunidad",
                "valor": ind.name,
                "linea_base": "Línea base",
                "suprimido": "Suprimido",
            }
        ),
        file_stem=file_stem(code, "comunidades", year),
    )
    return frame


def territory_view(
    store: Store, scope: Scope, results: pd.DataFrame, territory_id: str | None, year: int | None
) -> None:
    """Every community of every school the person sees, side by side: what a SLEP's or
    DEPROV's supervisor comes to compare. Over more than ``MANY_SCHOOLS`` schools the
    communities wait for a school (the many-schools rule): say so instead."""
    if communities_need_a_school(store, scope, None):
        choose_a_school_notice()
        return
    comms, schools = territory_communities(store, scope, territory_id)
    if comms.empty:
        empty_state(
            "ningún establecimiento de la selección tiene comunidades de práctica cargadas. "
            "Cargue la plantilla de comunidades y la de docentes (integrantes)."
        )
        return
    st.markdown(
        f"Las {count_label(len(comms), 'comunidad', 'comunidades')} de práctica de "
        f"{count_label(comms['rbd'].nunique(), 'establecimiento', 'establecimientos')}, "
        "agrupadas por establecimiento y en la misma escala. Elija un establecimiento en la "
        "barra lateral para ver sus comunidades a lo largo de los años, o una comunidad para "
        "ver su ficha."
    )
    shown = [territory_card(results, comms, schools, code, year) for code in TERRITORY_CODES]
    missing = [
        INDICATORS[c].name.lower() for c, f in zip(TERRITORY_CODES, shown, strict=True) if f.empty
    ]
    if missing:
        empty_state(
            f"no hay datos de {', '.join(missing)} por comunidad en {year}. Se calculan con "
            "el cronograma, la asistencia a sesiones y el Rendimiento por estudiante."
        )
