"""The Agencia de Calidad's results by series: SIMCE (score and learning standards) and IDPS.

One row per (indicator, scope, series, year), where a series is a grade and subject as the
Agencia names them (``4b lectura``, ``2m matemática``; for IDPS the grade, ``4b``). The series
is a **key of the rows**, not a breakdown of a total: the Agencia publishes each school's
figures per series already computed, and no sum over series means anything (a 4° básico
lectura score and a II medio matemática score are on different scales and different students).
So these indicators never enter the facts cache (:mod:`metrics.engine.sources`), whose rows are
keyed by scope and period only, and no value here can mix two series.

Besides the value, every school row carries what the Agencia itself publishes for it — its own
change against the previous evaluation and its significance (``dif_agencia``,
``sig_agencia``: −1, 0, 1), the difference with schools of the same socioeconomic group
(``dif_gse``, ``sig_gse``) — and, when the Agencia withholds or qualifies a score, the reason
in words (``marca``). A territory's value is the mean of its schools weighted by students
assessed (SIMCE), or their plain mean (IDPS: the Agencia publishes no count), series by series.

Published figures are public data about whole schools: they are shown as the Agencia shows
them, without the small-group rule of the indicators computed from student records (a score
the Agencia withholds for too few students stays withheld).

This module must not import Streamlit; its SQL runs through :meth:`Store.query_df`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from metrics.engine.catalog import SERIES_CATALOG, SERIES_INDICATORS, ScopeKind
from metrics.engine.indicators import resolve_min_group
from metrics.errors import TableroError
from metrics.scope import Scope
from metrics.store import Store
from metrics.store.core import scope_clause

SERIES_OUTPUT_COLUMNS: tuple[str, ...] = (
    "indicador",
    "momento",
    "alcance",
    "alcance_id",
    "serie",
    "periodo",
    "etapa",
    "valor",
    "n",
    "linea_base",
    "periodo_base",
    "linea_base_provisional",
    "cambio",
    "periodo_anterior",
    "cambio_anterior",
    "dif_agencia",
    "sig_agencia",
    "dif_gse",
    "sig_gse",
    "marca",
    "estado",
)
"""The fields of every series record (the CLI's JSON keys; documented in the README)."""

SERIES_CODES: tuple[str, ...] = tuple(i.code for i in SERIES_CATALOG)

WITHHELD_WORDS = {
    "1": "La Agencia no publica el puntaje: muy pocos estudiantes evaluados.",
}
"""The Agencia's marks (``marca_*``) that withhold a score, in words. Other marks qualify a
published score: :func:`mark_words`."""


class SeriesRequestError(TableroError):
    """A request for series indicators that cannot be answered."""

    title = "Consulta de indicadores no válida"


def mark_words(mark: str | None, has_value: bool, test: str) -> str | None:
    """Why a series has no value, or what the Agencia says about the one it has, in words.

    >>> mark_words("1", False, "SIMCE")
    'La Agencia no publica el puntaje: muy pocos estudiantes evaluados.'
    >>> mark_words(None, True, "SIMCE") is None
    True
    """
    if mark is not None and mark in WITHHELD_WORDS:
        return WITHHELD_WORDS[mark]
    if mark is not None:
        return (
            f"La Agencia publica el puntaje con una advertencia (marca {mark}): léalo con cautela."
            if has_value
            else f"La Agencia no publica el puntaje (marca {mark})."
        )
    if has_value:
        return None
    if test == "IDPS":
        return "La Agencia no publica este indicador para el establecimiento en este nivel."
    return "La Agencia no publica un puntaje de esta serie para el establecimiento."


def _values_sql() -> str:
    """One SELECT per indicator over ``_agency``: its value per school, year and series."""
    parts = []
    for ind in SERIES_CATALOG:
        if ind.test == "DIA":
            continue  # read from dia_result: _load_dia
        if ind.test == "IDPS":
            codes = ", ".join(f"'{c}'" for c in (ind.subject, *ind.aliases))
            keep = f"test = 'IDPS' AND upper(subject) IN ({codes})"
            serie = "gl"
        else:
            keep = "test = 'SIMCE'"
            serie = "gl || ' ' || lower(subject)"
        figures = (
            "agency_change, agency_change_sig, gse_difference, gse_difference_sig"
            if ind.measure == "mean_score"
            else "NULL::DOUBLE, NULL::TINYINT, NULL::DOUBLE, NULL::TINYINT"
        )
        # A withheld score withholds its standards too (the file writes 0,0 % beside it).
        value = f"CASE WHEN mean_score IS NOT NULL THEN {ind.measure} END"
        parts.append(
            f"SELECT '{ind.code}' AS code, test, rbd, year, {serie} AS serie, {value} AS v, "
            f"n, {figures}, withheld_mark FROM _agency WHERE {keep}"
        )
    return " UNION ALL ".join(parts)


def _load(store: Store, scope: Scope, codes: Sequence[str]) -> pd.DataFrame:
    """School rows and territory rows (``kind``, ``sid``) of the indicators ``codes``."""
    cond, params = scope_clause(scope, "standardized_test", "t")
    sc, sp = scope_clause(scope, "school", "s")
    stc, stp = scope_clause(scope, "school_territory", "st")
    sql = f"""
        WITH _agency AS (
            SELECT CAST(t.year AS INTEGER) AS year, t.rbd, t.test, lower(t.grade_level) AS gl,
                   t.subject, t.mean_score, t.students_assessed::DOUBLE AS n,
                   t.pct_adequate, t.pct_insufficient, t.agency_change, t.agency_change_sig,
                   t.gse_difference, t.gse_difference_sig, t.withheld_mark
            FROM standardized_test t WHERE {cond} AND t.test IN ('SIMCE', 'IDPS')
        ),
        v AS (
            SELECT * FROM ({_values_sql()}) WHERE code IN (SELECT UNNEST(?::VARCHAR[]))
        ),
        first_year AS (
            SELECT c.rbd, min(year(c.start_date)) AS y FROM community c GROUP BY c.rbd
        ),
        base AS (
            SELECT s.rbd, CAST(coalesce(s.baseline_year, f.y - 1) AS INTEGER) AS base_year
            FROM school s LEFT JOIN first_year f ON f.rbd = s.rbd WHERE {sc}
        )
        SELECT 'establecimiento' AS kind, CAST(v.rbd AS VARCHAR) AS sid, v.code, v.test,
               v.serie, v.year, v.v AS valor, v.n, v.agency_change AS dif_agencia,
               v.agency_change_sig AS sig_agencia, v.gse_difference AS dif_gse,
               v.gse_difference_sig AS sig_gse, v.withheld_mark AS mark, b.base_year
        FROM v LEFT JOIN base b ON b.rbd = v.rbd
        UNION ALL
        SELECT 'territorio', st.territory_id, v.code, v.test, v.serie, v.year,
               CASE WHEN v.test = 'IDPS' THEN avg(v.v)
                    ELSE sum(v.v * v.n) FILTER (WHERE v.n > 0)
                         / sum(v.n) FILTER (WHERE v.v IS NOT NULL AND v.n > 0) END,
               CASE WHEN v.test = 'IDPS' THEN count(v.v)::DOUBLE
                    ELSE sum(v.n) FILTER (WHERE v.v IS NOT NULL AND v.n > 0) END,
               NULL, NULL, NULL, NULL, NULL, NULL
        FROM v JOIN school_territory st ON st.rbd = v.rbd
        WHERE {stc}
        GROUP BY st.territory_id, v.code, v.test, v.serie, v.year
    """
    return store.query_df(sql, [*params, list(codes), *sp, *stp])


def _territory_schools(store: Store, scope: Scope, rbds: list[int]) -> list[int]:
    """``rbds`` and every school sharing a territory with one of them: all a territory row of
    theirs is computed from."""
    cond, params = scope_clause(scope, "school_territory", "t")
    found = store.query_df(
        "SELECT DISTINCT t.rbd FROM school_territory t WHERE t.territory_id IN ("
        "SELECT territory_id FROM school_territory WHERE rbd IN (SELECT UNNEST(?::INTEGER[])))"
        f" AND {cond}",
        [rbds, *params],
    )
    return sorted({*rbds, *(int(r) for r in found["rbd"])})


def compute_series(
    store: Store,
    scope: Scope,
    *,
    alcance: ScopeKind | None = None,
    alcance_id: str | None = None,
    rbds: Iterable[int] | None = None,
    anio: int | None = None,
    indicadores: Sequence[str] | None = None,
) -> pd.DataFrame:
    """The Agencia's results per school and territory, year and series.

    Args:
        store: the store.
        scope: the schools the user may see.
        alcance: only ``establecimiento`` or ``territorio`` rows (``comunidad``: none; the
            Agencia publishes per school).
        alcance_id: only the rows of this RBD or territory id.
        rbds: only these schools and the territories holding them.
        anio: only this year.
        indicadores: only these codes (codes of other indicators are ignored).

    Returns:
        A DataFrame with exactly :data:`SERIES_OUTPUT_COLUMNS`, ordered by indicator, scope
        kind, scope id, series and year. ``cambio`` is against the scope's baseline year (the
        school's, else the series' first year with a value: ``linea_base_provisional``);
        ``cambio_anterior`` against the series' previous evaluation (``periodo_anterior``),
        which for a school is the Agencia's ``dif``.

    Example:
        >>> from metrics.store import open_store
        >>> df = compute_series(open_store(":memory:"), Scope.all())
        >>> list(df.columns) == list(SERIES_OUTPUT_COLUMNS), len(df)
        (True, 0)
    """
    if alcance is not None and alcance not in ("comunidad", "establecimiento", "territorio"):
        raise SeriesRequestError(f"Tipo de alcance desconocido: {alcance}.")
    codes = [c for c in (indicadores or SERIES_CODES) if c in SERIES_INDICATORS]
    if not codes or alcance == "comunidad":
        return _empty()
    if rbds is not None:
        rbds = sorted({int(r) for r in rbds})
        scope = scope.narrow(_territory_schools(store, scope, rbds))
    agency = [c for c in codes if SERIES_INDICATORS[c].test != "DIA"]
    dia = [c for c in codes if SERIES_INDICATORS[c].test == "DIA"]
    parts = []
    if agency:
        df = _keep(store, scope, _load(store, scope, agency), alcance, alcance_id, rbds)
        if len(df):
            parts.append(_present(df, anio))
    if dia and _has_dia(store, scope):
        minimum = resolve_min_group(store)
        loaded = _load_dia(store, scope, dia, minimum)
        df = _keep(store, scope, loaded, alcance, alcance_id, rbds)
        if len(df):
            parts.append(_present_dia(df, anio, minimum))
    parts = [p for p in parts if len(p)]
    if not parts:
        return _empty()
    return pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]


def _has_dia(store: Store, scope: Scope) -> bool:
    """Whether the scope has any DIA row (most stores hold none: skip their query)."""
    cond, params = scope_clause(scope, "dia_result", "t")
    found = store.query_df(f"SELECT EXISTS (SELECT 1 FROM dia_result t WHERE {cond}) AS x", params)
    return bool(found["x"].iloc[0])


def _keep(
    store: Store,
    scope: Scope,
    df: pd.DataFrame,
    alcance: str | None,
    alcance_id: str | None,
    rbds: list[int] | None,
) -> pd.DataFrame:
    """The loaded rows of the scope kind, id and schools asked for."""
    if not len(df):
        return df
    keep = np.ones(len(df), dtype=bool)
    if alcance is not None:
        keep &= (df["kind"] == alcance).to_numpy()
    if rbds is not None:
        wanted = {str(int(r)) for r in rbds}
        terrs = set(
            store.territories(scope.narrow([int(r) for r in wanted]))["id"].astype(str)
            if wanted
            else ()
        )
        keep &= (
            ((df["kind"] == "establecimiento") & df["sid"].isin(wanted))
            | ((df["kind"] == "territorio") & df["sid"].isin(terrs))
        ).to_numpy()
    if alcance_id is not None:
        keep &= (df["sid"] == str(alcance_id)).to_numpy()
    return df.loc[keep]


DIA_PERIODS: tuple[str, ...] = ("diagnóstico", "monitoreo intermedio", "cierre")
"""The DIA's periods in the order of the school year (``etapa`` of its rows)."""

SMALL_GROUP_WORDS = "Grupo pequeño (n < {n}): no se muestra para proteger la privacidad."


def _load_dia(store: Store, scope: Scope, codes: Sequence[str], minimum: int) -> pd.DataFrame:
    """School and territory rows of the DIA indicators ``codes``, per series, year and period.
    A territory weights its schools by students assessed when every one of them says how many
    were; else it takes their plain mean (and has no ``n``). A course with fewer than
    ``minimum`` students assessed stays out of its territories: shown beside its school's
    neighbours, the territory's value would give it away."""
    cond, params = scope_clause(scope, "dia_result", "t")
    stc, stp = scope_clause(scope, "school_territory", "st")
    measures = " UNION ALL ".join(
        f"SELECT '{ind.code}' AS code, year, rbd, serie, etapa, {ind.measure} AS v, n FROM d"
        for ind in SERIES_CATALOG
        if ind.test == "DIA"
    )
    sql = f"""
        WITH d AS (
            SELECT CAST(t.year AS INTEGER) AS year, t.rbd,
                   t.grade_level || ' ' || t.area AS serie, t.period AS etapa,
                   t.pct_satisfactorio, t.pct_insatisfactorio, t.students_assessed::DOUBLE AS n
            FROM dia_result t WHERE {cond}
        ),
        v AS (SELECT * FROM ({measures}) WHERE code IN (SELECT UNNEST(?::VARCHAR[])))
        SELECT 'establecimiento' AS kind, CAST(v.rbd AS VARCHAR) AS sid, v.code, v.serie,
               v.year, v.etapa, v.v AS valor, v.n
        FROM v
        UNION ALL
        SELECT 'territorio', st.territory_id, v.code, v.serie, v.year, v.etapa,
               CASE WHEN count(*) = count(*) FILTER (WHERE v.n > 0)
                    THEN sum(v.v * v.n) / sum(v.n) ELSE avg(v.v) END,
               CASE WHEN count(*) = count(*) FILTER (WHERE v.n > 0) THEN sum(v.n) END
        FROM v JOIN school_territory st ON st.rbd = v.rbd
        WHERE {stc} AND coalesce(v.n >= ?, true)
        GROUP BY st.territory_id, v.code, v.serie, v.year, v.etapa
    """
    return store.query_df(sql, [*params, list(codes), *stp, minimum])


def _present_dia(df: pd.DataFrame, anio: int | None, minimum: int) -> pd.DataFrame:
    """DIA rows: a course with fewer students assessed than ``minimum`` is suppressed; the
    baseline of a row is the diagnóstico of the same year and series (the DIA's own starting
    point), so ``cambio`` is the movement within the year."""
    order = {c: i for i, c in enumerate(SERIES_CODES)}
    kinds = {"establecimiento": 0, "territorio": 1}
    stages = {e: i for i, e in enumerate(DIA_PERIODS)}
    df = df.assign(_i=df["code"].map(order), _k=df["kind"].map(kinds), _e=df["etapa"].map(stages))
    df = df.sort_values(["_i", "_k", "sid", "serie", "year", "_e"], kind="stable")
    df = df.reset_index(drop=True)
    n = df["n"].astype(float)
    small = (n < minimum).to_numpy()
    valor = df["valor"].astype(float).mask(small)
    group = [df["code"], df["kind"], df["sid"], df["serie"], df["year"]]
    base = valor.where(df["etapa"] == DIA_PERIODS[0]).groupby(group).transform("first")
    has_value = valor.notna().to_numpy()
    words = SMALL_GROUP_WORDS.format(n=minimum)
    out = pd.DataFrame(
        {
            "indicador": df["code"],
            "momento": df["code"].map(lambda c: SERIES_INDICATORS[c].moment),
            "alcance": df["kind"],
            "alcance_id": df["sid"],
            "serie": df["serie"],
            "periodo": df["year"].astype(int).astype(str),
            "etapa": df["etapa"],
            "valor": valor,
            "n": n.round().astype("Int64"),
            "linea_base": base,
            "periodo_base": [
                str(int(y)) if b else None for y, b in zip(df["year"], base.notna(), strict=True)
            ],
            "linea_base_provisional": False,
            "cambio": valor - base,
            "periodo_anterior": None,
            "cambio_anterior": np.nan,
            "dif_agencia": np.nan,
            "sig_agencia": pd.array([pd.NA] * len(df), dtype="Int64"),
            "dif_gse": np.nan,
            "sig_gse": pd.array([pd.NA] * len(df), dtype="Int64"),
            "marca": [words if x else None for x in small],
            "estado": np.where(has_value, "sin_meta", np.where(small, "suprimido", "sin_datos")),
        }
    )
    if anio is not None:
        out = out[out["periodo"] == str(int(anio))]
    return out.reset_index(drop=True).loc[:, list(SERIES_OUTPUT_COLUMNS)]


def _present(df: pd.DataFrame, anio: int | None) -> pd.DataFrame:
    """Baselines, changes, words and order; then the year filter (after: a change needs the
    year before)."""
    order = {c: i for i, c in enumerate(SERIES_CODES)}
    kinds = {"establecimiento": 0, "territorio": 1}
    df = df.assign(_i=df["code"].map(order), _k=df["kind"].map(kinds))
    df = df.sort_values(["_i", "_k", "sid", "serie", "year"], kind="stable").reset_index(drop=True)
    group = [df["code"], df["kind"], df["sid"], df["serie"]]
    valor = df["valor"].astype(float)
    # The series' previous evaluation: the year before in the store (SIMCE skips 2019–2021).
    same = (
        (df["code"] == df["code"].shift())
        & (df["kind"] == df["kind"].shift())
        & (df["sid"] == df["sid"].shift())
        & (df["serie"] == df["serie"].shift())
    )
    prev_year = df["year"].shift().where(same)
    prev_value = valor.shift().where(same)
    # Baseline: the school's baseline year; else the series' first year with a value.
    base_year = df["base_year"].astype(float)
    first = df["year"].where(valor.notna()).groupby(group).transform("min")
    provisional = base_year.isna() & first.notna()
    base_year = base_year.fillna(first)
    at_base = df["year"] == base_year
    base_value = valor.where(at_base).groupby(group).transform("first")
    has_value = valor.notna().to_numpy()
    marks = [
        mark_words(None if pd.isna(m) else str(m), bool(h), str(t))
        if k == "establecimiento"
        else None
        for m, h, t, k in zip(df["mark"], has_value, df["test"], df["kind"], strict=True)
    ]
    # No targets are set on a series yet: a value is «sin meta», as in the catalogue's rows.
    estado = np.where(has_value, "sin_meta", "sin_datos")
    moment = df["code"].map(lambda c: SERIES_INDICATORS[c].moment)
    out = pd.DataFrame(
        {
            "indicador": df["code"],
            "momento": moment,
            "alcance": df["kind"],
            "alcance_id": df["sid"],
            "serie": df["serie"],
            "periodo": df["year"].astype(int).astype(str),
            "etapa": None,
            "valor": valor,
            "n": df["n"].astype(float).round().astype("Int64"),
            "linea_base": base_value,
            "periodo_base": [None if np.isnan(y) else str(int(y)) for y in base_year],
            "linea_base_provisional": provisional & base_value.notna(),
            "cambio": valor - base_value,
            "periodo_anterior": [None if np.isnan(y) else str(int(y)) for y in prev_year],
            "cambio_anterior": valor - prev_value,
            "dif_agencia": df["dif_agencia"].astype(float),
            "sig_agencia": df["sig_agencia"].astype("Int64"),
            "dif_gse": df["dif_gse"].astype(float),
            "sig_gse": df["sig_gse"].astype("Int64"),
            "marca": marks,
            "estado": estado,
        }
    )
    if anio is not None:
        out = out[out["periodo"] == str(int(anio))]
    return out.reset_index(drop=True).loc[:, list(SERIES_OUTPUT_COLUMNS)]


def _empty() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series([], dtype=object) for c in SERIES_OUTPUT_COLUMNS})


def series_records(df: pd.DataFrame) -> list[dict[str, Any]]:
    """The rows as plain records (missing values None), for writers."""
    return [
        {str(k): (None if _missing(v) else v) for k, v in rec.items()}
        for rec in df.astype(object).to_dict("records")
    ]


def _missing(value: object) -> bool:
    if value is None or value is pd.NA:
        return True
    return isinstance(value, float) and value != value
