"""How indicator results read on screen: values with units, changes, statuses, selections.

Pure functions over the engine's output (:data:`metrics.engine.indicators.OUTPUT_COLUMNS`), shared
by
pages and exports. No Streamlit, no SQL.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from metrics.engine.catalog import CATALOG, INDICATORS, Indicator, page_indicators
from metrics.engine.compute import wilson
from metrics.formatting import format_number, format_percent, round_half_away
from metrics.presentation import charts
from metrics.presentation.narrative import headline, with_article
from metrics.presentation.status import STATUS_LABELS as STATUS_LABELS
from metrics.presentation.status import status_summary as status_summary
from metrics.presentation.status import status_text

SHORT_NAMES: dict[str, str] = {i.code: i.display.short_name for i in CATALOG}
"""Labels for key figures, short enough for five in a row on a school laptop (declared in the
catalogue: ``display.short_name``)."""

IMPACT_ORDER: tuple[str, ...] = page_indicators("impacto")
"""Students' indicators in the order pages and packs show them (the guide's case first;
declared in the catalogue: ``display.order``)."""

MOMENT_NAMES = {
    "antes": "Antes",
    "durante": "Durante",
    "resultados": "Resultados",
    "impacto": "Impacto",
}

SUPPRESSED_TEXT = "Grupo pequeño (n < 10): no se muestra para proteger la privacidad"

_UNIT_SUFFIX = {
    "%": "",
    "nota": "",
    "puntos": "",
    "puntaje": " puntos",
    "sesiones/mes": " sesiones/mes",
    "estrategias/sesión": " por sesión",
}


def _missing(value: Any) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def unit_text(indicator: Indicator) -> str:
    """What follows a value of ``indicator`` in text (" %", " sesiones/mes", "")."""
    if indicator.unit == "%":
        return " %"
    return _UNIT_SUFFIX.get(indicator.unit, f" {indicator.unit}")


def plain(frame: pd.DataFrame) -> pd.DataFrame:
    """The engine's frame with categorical columns as plain values, for display code."""
    out = frame.copy()
    for column in out.columns:
        if isinstance(out[column].dtype, pd.CategoricalDtype):
            out[column] = out[column].astype(object)
    return out


def format_indicator_value(indicator: Indicator, value: Any) -> str:
    """A value of ``indicator`` with its unit, es-CL.

    >>> format_indicator_value(INDICATORS["tasa_reprobacion"], 6.0)
    '6,0 %'
    >>> format_indicator_value(INDICATORS["frecuencia_reuniones"], 2.74)
    '2,7 sesiones/mes'
    """
    if _missing(value):
        return "–"
    if indicator.unit == "%":
        return format_percent(float(value), indicator.decimals)
    suffix = _UNIT_SUFFIX.get(indicator.unit, f" {indicator.unit}")
    return format_number(float(value), indicator.decimals) + suffix


_CARD_UNIT = {
    "sesiones/mes": "al mes",
    "estrategias/sesión": "por sesión",
    "puntaje": "(puntos)",
}
"""Units written in words: on a key-figure card they go to the label, so the value fits."""


def metric_label_and_value(indicator: Indicator, value: Any) -> tuple[str, str]:
    """The label and value of a key-figure card: a unit in words moves to the label.

    >>> metric_label_and_value(INDICATORS["frecuencia_reuniones"], 2.54)
    ('Reuniones al mes', '2,5')
    >>> metric_label_and_value(INDICATORS["tasa_reprobacion"], 6.0)
    ('Reprobación', '6,0 %')
    """
    label = SHORT_NAMES.get(indicator.code, indicator.name)
    unit = _CARD_UNIT.get(indicator.unit)
    if unit is None or _missing(value):
        return label, format_indicator_value(indicator, value)
    return f"{label} {unit}", format_number(float(value), indicator.decimals)


def format_indicator_change(indicator: Indicator, change: Any) -> str | None:
    """A change against the baseline with its sign: percentage points for rates.

    >>> format_indicator_change(INDICATORS["tasa_reprobacion"], -4.0)
    '−4,0 pp'
    >>> format_indicator_change(INDICATORS["promedio_notas"], 0.227)
    '+0,23'
    """
    if _missing(change):
        return None
    change = float(change)
    sign = "+" if round_half_away(change, indicator.decimals) > 0 else ""
    text = sign + format_number(change, indicator.decimals)
    return text + (" pp" if indicator.unit == "%" else "")


def _amount(indicator: Indicator, value: float) -> str:
    """An unsigned amount of change in words: points for rates and scores."""
    text = format_number(abs(value), indicator.decimals)
    if indicator.unit in ("%", "puntaje"):
        return text + (" punto" if text == "1" else " puntos")
    return text


def _moved(indicator: Indicator, change: float) -> str:
    if round_half_away(change, indicator.decimals) == 0:
        return "se mantuvo"
    return ("subió " if change > 0 else "bajó ") + _amount(indicator, change)


def comparison_sentence(indicator: Indicator, rec: Any) -> str | None:
    """The community's change beside its comparison group's, in words a council reads, never
    causal; None when the row has no comparison to tell.

    >>> import textwrap
    >>> print(textwrap.fill(comparison_sentence(INDICATORS["tasa_reprobacion"], {
    ...     "cambio": -10.0, "cambio_comparacion": -3.0, "dif_en_dif": -7.0,
    ...     "dd_ic_inferior": -12.1, "dd_ic_superior": -1.9, "dd_concluyente": True,
    ...     "periodo_base": "2023"}), 90))
    Desde 2023, la tasa de reprobación bajó 10,0 puntos en los cursos de la comunidad y 3,0 en
    el resto del establecimiento (mismos niveles): 7,0 puntos más de baja (IC 95 %: −12,1 a
    −1,9; diferencia concluyente).
    >>> print(textwrap.fill(comparison_sentence(INDICATORS["tasa_reprobacion"], {
    ...     "cambio": -15.0, "cambio_comparacion": -4.0, "dif_en_dif": -11.0,
    ...     "alcance": "establecimiento", "periodo_base": "2023",
    ...     "grupo_comparacion": "establecimientos sin comunidades de Comuna Uno"}), 90))
    Desde 2023, la tasa de reprobación bajó 15,0 puntos en el establecimiento y 4,0 en los
    establecimientos sin comunidades de Comuna Uno: 11,0 puntos más de baja.
    >>> print(textwrap.fill(comparison_sentence(INDICATORS["promedio_notas"], {
    ...     "cambio": 0.41, "cambio_comparacion": 0.52, "dif_en_dif": -0.11,
    ...     "periodo_base": "2023"}), 90))
    Desde 2023, el promedio de notas subió 0,41 en los cursos de la comunidad y 0,52 en el
    resto del establecimiento (mismos niveles): 0,11 menos de alza.
    """
    get = rec.get  # a dict or a row (Series)
    own, other, dd = get("cambio"), get("cambio_comparacion"), get("dif_en_dif")
    if _missing(own) or _missing(other) or _missing(dd):
        return None
    own, other, dd = float(own), float(other), float(dd)
    name = with_article(indicator.name)
    name = name[0].lower() + name[1:]
    # «bajó 10,0 puntos en los cursos de la comunidad y 3,0 en el resto»: the second amount
    # without its unit, and without its verb when it moved the same way.
    number = format_number(abs(other), indicator.decimals)
    if round_half_away(other, indicator.decimals) == 0:
        other_text = "se mantuvo"
    elif (other > 0) == (own > 0) and round_half_away(own, indicator.decimals) != 0:
        other_text = number
    else:
        other_text = ("subió " if other > 0 else "bajó ") + number
    # The gap as the community's own movement reads: «7,0 puntos más de baja», «0,11 menos
    # de alza».
    digits = indicator.decimals
    if round_half_away(dd, digits) == 0:
        gap = "el mismo cambio"
    elif round_half_away(own, digits) == 0:
        gap = f"una diferencia de {format_number(dd, digits)}"
    else:
        more = "más" if (dd > 0) == (own > 0) else "menos"
        gap = f"{_amount(indicator, dd)} {more} de {'alza' if own > 0 else 'baja'}"
    lo, hi, concl = get("dd_ic_inferior"), get("dd_ic_superior"), get("dd_concluyente")
    interval = ""
    if not _missing(lo) and not _missing(hi):
        verdict = "diferencia concluyente" if _flag(concl) else "diferencia no concluyente"
        interval = (
            f" (IC 95 %: {format_number(float(lo), indicator.decimals)} a "
            f"{format_number(float(hi), indicator.decimals)}; {verdict})"
        )
    since = get("periodo_base")
    start = f"Desde {since}, " if not _missing(since) else ""
    kind, group = get("alcance"), get("grupo_comparacion")
    if kind in ("establecimiento", "territorio") and not _missing(group):
        here = "en el establecimiento" if kind == "establecimiento" else "en el territorio"
        there = f"en los {group}"
    else:
        here, there = "en los cursos de la comunidad", "en el resto del establecimiento"
        there += " (mismos niveles)"
    sentence = (
        f"{start}{name} {_moved(indicator, own)} {here} y {other_text} {there}: {gap}{interval}."
    )
    return sentence[0].upper() + sentence[1:]


COMPARISON_METHOD = (
    "Grupo de comparación: en una comunidad, los estudiantes del establecimiento en los mismos "
    "niveles, de cursos sin docentes de comunidades; en un establecimiento con comunidades, los "
    "establecimientos sin comunidades de su territorio más pequeño que tenga alguno. Diferencia "
    "en diferencias = cambio del grupo − cambio de la comparación desde el mismo año de línea "
    "base, con intervalo de 95 %. Supone que ambos se habrían movido igual sin el modelo; es "
    "débil con pocos cursos fuera de las comunidades o con docentes que cambian de grupo. Se "
    "consolida: el cambio es concluyente y en la buena dirección este año y el anterior."
)
"""The comparison's method in a sentence, for the *ficha técnica* of an indicator that has one."""

CONSOLIDATED_BADGE = "✓ Se consolida"
"""Shown beside a value whose change is conclusive and good this year and the year before."""


def consolidated(rec: Any) -> bool:
    """Whether a row's change consolidates (``consolidado`` true)."""
    return _flag(rec.get("consolidado"))


def metric_delta(indicator: Indicator, change: Any) -> str | None:
    """The change as ``st.metric`` needs it: an ASCII minus, so the arrow points right.

    >>> metric_delta(INDICATORS["tasa_reprobacion"], -4.0)
    '-4,0 pp'
    """
    text = format_indicator_change(indicator, change)
    return None if text is None else text.replace("−", "-")


def is_better(indicator: Indicator, change: Any) -> bool | None:
    """Whether a change goes in the indicator's good direction (None: no change or unknown)."""
    if _missing(change) or float(change) == 0:
        return None
    return (float(change) > 0) == (indicator.direction == "higher_is_better")


def baseline_name(period: Any, provisional: Any = False) -> str:
    """A baseline's period as labels say it: ``2023``, or ``provisional 2022`` for the first
    year with data of a school that has no baseline year yet (no community, none set by hand).

    >>> baseline_name("2022", True)
    'provisional 2022'
    """
    text = "" if _missing(period) else str(period)
    return f"provisional {text}".strip() if _flag(provisional) else text


def is_provisional(rows: pd.DataFrame) -> bool:
    """Whether the baseline of these rows (one indicator in one scope) is provisional."""
    if "linea_base_provisional" not in rows or rows.empty:
        return False
    return bool(rows["linea_base_provisional"].fillna(False).astype(bool).any())


def _flag(value: Any) -> bool:
    return not _missing(value) and bool(value)


PROVISIONAL_NOTE = (
    "La línea base provisional es el primer año con datos de cada indicador, mientras el "
    "establecimiento no tenga comunidades ni un año de línea base fijado (se fija en Antes)."
)
"""What a provisional baseline is, said wherever one is shown."""


def rows_for(
    results: pd.DataFrame,
    alcance: str,
    alcance_id: str,
    *,
    periodo: str | None = None,
    codes: list[str] | None = None,
) -> pd.DataFrame:
    """The engine's rows of one scope (and one period), in catalogue order."""
    mask = (results["alcance"] == alcance) & (results["alcance_id"] == alcance_id)
    if periodo is not None:
        mask &= results["periodo"] == periodo
    if codes is not None:
        mask &= results["indicador"].isin(codes)
    return results[mask]


def series_for(results: pd.DataFrame, code: str, alcance: str, alcance_id: str) -> pd.DataFrame:
    """Yearly rows of one indicator in one scope, oldest first (months left out)."""
    rows = rows_for(results, alcance, alcance_id, codes=[code])
    rows = rows[~rows["periodo"].astype(str).str.contains("-")]
    return rows.sort_values("periodo")


def baseline_text(indicator: Indicator, rec: Any) -> str:
    """A row's baseline with its year, or what is missing in words (never a bare dash).

    >>> baseline_text(INDICATORS["cumplimiento_cronograma"], {"linea_base": None,
    ...               "periodo_base": "2023"})
    'sin datos en 2023'
    >>> baseline_text(INDICATORS["tasa_reprobacion"], {"linea_base": 6.0, "periodo_base": "2023"})
    '6,0 % (2023)'
    """
    if _missing(rec.get("linea_base")):
        period = rec.get("periodo_base")
        return "sin línea base" if _missing(period) else f"sin datos en {period}"
    name = baseline_name(rec.get("periodo_base"), rec.get("linea_base_provisional"))
    return format_indicator_value(indicator, rec["linea_base"]) + (f" ({name})" if name else "")


def scorecard(rows: pd.DataFrame) -> pd.DataFrame:
    """One line per indicator for display: name, value, baseline, target, change, status."""
    out = []
    for rec in rows.to_dict("records"):
        ind = INDICATORS[rec["indicador"]]
        suppressed = rec["estado"] == "suprimido"
        out.append(
            {
                "Momento": MOMENT_NAMES[ind.moment],
                "Indicador": ind.name,
                "Estado": status_text(ind, rec),
                "Valor": "n < 10" if suppressed else format_indicator_value(ind, rec["valor"]),
                "Línea base": baseline_text(ind, rec),
                "Meta": "sin meta"
                if _missing(rec["meta"])
                else f"{format_indicator_value(ind, rec['meta'])} ({int(rec['anio_meta'])})",
                "Cambio": format_indicator_change(ind, rec["cambio"]) or "–",
                "n": "–" if suppressed or _missing(rec["n"]) else format_number(rec["n"]),
            }
        )
    return pd.DataFrame(out)


TONES = (
    "Mejora concluyente",
    "Empeora (concluyente)",
    "Cambio no concluyente",
    "Sin cambio medido",
)
"""How a point of a trend reads against the baseline (its colour on the chart)."""


def change_tone(indicator: Indicator, change: Any, conclusive: Any) -> str:
    """The tone of one period's change: better, worse, or not conclusive.

    >>> change_tone(INDICATORS["tasa_reprobacion"], -4.0, True)
    'Mejora concluyente'
    >>> change_tone(INDICATORS["tasa_reprobacion"], 0.9, False)
    'Cambio no concluyente'
    """
    if _missing(change) or _missing(conclusive):
        return TONES[3]
    if not bool(conclusive):
        return TONES[2]
    return TONES[0] if is_better(indicator, change) else TONES[1]


def trend_frame(series: pd.DataFrame, indicator: Indicator) -> pd.DataFrame:
    """Engine rows of one indicator → the frame
    :func:`metrics.presentation.charts.build_trend_chart` takes.

    Each point carries the 95 % interval of the *value* where it can be known from the value
    and its n (rates: Wilson), and its tone: whether its change against the baseline is a
    conclusive improvement, a conclusive worsening, or not conclusive (the engine's interval of
    the change includes 0).
    """

    valor = pd.to_numeric(series["valor"], errors="coerce").to_numpy(dtype=float)
    n = pd.to_numeric(series["n"], errors="coerce").to_numpy(dtype=float)
    df = pd.DataFrame(
        {
            "periodo": series["periodo"].astype(str).to_numpy(),
            "valor": valor,
            "n": n,
            "suprimido": (series["estado"] == "suprimido").to_numpy(),
            "tono": [
                change_tone(indicator, c, k)
                for c, k in zip(series["cambio"], series["concluyente"], strict=True)
            ],
        }
    )
    if indicator.unit == "%":
        lo, hi = wilson(valor / 100 * n, n)
        df["ic_inferior"] = lo * 100
        df["ic_superior"] = hi * 100
    else:
        df["ic_inferior"] = float("nan")
        df["ic_superior"] = float("nan")
    return df


def first_present(series: pd.Series) -> Any:
    """The first non-missing value of a column (None when every value is missing)."""
    present = series.dropna()
    return None if present.empty else present.iloc[0]


LOAD_PAGE = "pages/cargar.py"
"""*Cargar datos*: where a check that misses data sends people."""


def readiness_checks(
    rows: pd.DataFrame,
    *,
    year: int | None,
    years_with_results: list[int],
    waves: list[str],
    activities: int,
) -> list[tuple[str, bool, str, str | None]]:
    """What the evaluation needs at each moment, for one selection.

    Returns (label, done, detail, page to fix it) tuples, in the guide's order: missing data
    is fixed in *Cargar datos*, a missing baseline year or target in *Antes*.
    """
    base = rows["linea_base"].notna().sum() if len(rows) else 0
    targets = rows["meta"].notna().sum() if len(rows) else 0
    total = len(rows)
    provisional = bool(len(rows)) and is_provisional(rows[rows["linea_base"].notna()])
    expected_waves = ["línea base", "intermedia", "final"]
    have = [w for w in expected_waves if w in waves]
    missing = [w for w in expected_waves if w not in waves]
    return [
        (
            "Antes: línea base",
            total > 0 and base > 0 and not provisional,
            f"{base} de {total} indicadores tienen línea base"
            + (" provisional (fije el año de línea base en Antes)." if provisional else "."),
            "pages/antes.py",
        ),
        (
            "Antes: metas",
            total > 0 and targets == total,
            f"{targets} de {total} indicadores tienen meta.",
            "pages/antes.py",
        ),
        (
            "Durante: cronograma",
            activities > 0,
            f"{format_number(activities)} actividades registradas.",
            LOAD_PAGE,
        ),
        (
            "Durante: encuestas de percepción",
            not missing,
            ("olas cargadas: " + ", ".join(have) if have else "ninguna ola cargada")
            + (f"; faltan: {', '.join(missing)}." if missing else "."),
            LOAD_PAGE,
        ),
        (
            "Impacto: resultados del año",
            year is not None and year in years_with_results,
            f"resultados de estudiantes de {year} cargados."
            if year in years_with_results
            else f"faltan los resultados de estudiantes de {year}.",
            LOAD_PAGE,
        ),
    ]


SOURCE_LABELS = {
    "student_result": "Rendimiento por estudiante (Mineduc)",
    "student_attendance": "Asistencia declarada mensual (Mineduc)",
    "standardized_test": "SIMCE por establecimiento (Agencia de Calidad)",
    "teacher_year": "dotación docente anual",
    "teaching_assignment": "asignación docente a cursos",
    "community_member": "integrantes de comunidades",
    "activity": "cronograma de actividades",
    "session_attendance": "asistencia a sesiones",
    "survey_response": "encuestas de percepción",
    "teacher_evaluation": "observaciones de aula",
}
"""Where each dataset comes from, as a caption names it."""

N_WORDS = {
    "student_result": "estudiantes",
    "student_attendance": "estudiantes",
    "standardized_test": "estudiantes evaluados",
    "teacher_year": "docentes",
    "activity": "actividades",
    "session_attendance": "registros de asistencia",
    "survey_response": "respuestas",
    "teacher_evaluation": "observaciones",
}
"""What the ``n`` of an indicator counts, by its first source."""


def bullet_frame(rows: pd.DataFrame) -> pd.DataFrame:
    """Engine rows of one scope and period → the frame of
    :func:`metrics.presentation.charts.build_bullet_chart` (suppressed values stay out)."""
    return pd.DataFrame(
        {
            "nombre": [INDICATORS[c].name for c in rows["indicador"]],
            "unidad": [INDICATORS[c].unit for c in rows["indicador"]],
            "valor": pd.to_numeric(rows["valor"], errors="coerce").to_numpy(),
            "linea_base": pd.to_numeric(rows["linea_base"], errors="coerce").to_numpy(),
            "meta": pd.to_numeric(rows["meta"], errors="coerce").to_numpy(),
            "suprimido": (rows["estado"] == "suprimido").to_numpy(),
            "mejor": [
                is_better(INDICATORS[c], ch)
                for c, ch in zip(rows["indicador"], rows["cambio"], strict=True)
            ],
            "decimales": [INDICATORS[c].decimals for c in rows["indicador"]],
            "sufijo": [unit_text(INDICATORS[c]) for c in rows["indicador"]],
        }
    )


class TrendView:
    """One indicator's yearly series in one scope, ready to draw: its headline, the chart's
    frame and options, the caption, and the row of the year shown.

    Built by :func:`trend_view`; pages draw it in a card, packs put it on a slide.
    """

    def __init__(
        self,
        indicator: Indicator,
        series: pd.DataFrame,
        current: pd.Series,
        headline: str,
        frame: pd.DataFrame,
        options: dict[str, Any],
        caption: str,
    ) -> None:
        self.indicator = indicator
        self.series = series
        self.current = current
        self.headline = headline
        self.frame = frame
        self.options = options
        self.caption = caption

    @property
    def comparison(self) -> str | None:
        """The change beside the comparison group's (a community's row), in words."""
        return comparison_sentence(self.indicator, self.current)

    @property
    def consolidated(self) -> bool:
        """Whether the shown year's change consolidates (:data:`CONSOLIDATED_BADGE`)."""
        return consolidated(self.current)

    @property
    def full_headline(self) -> str:
        """The headline, then the comparison group's sentence and, when the change
        consolidates, the badge: what a card and a slide say above the chart."""
        parts = [self.headline, self.comparison or ""]
        if self.consolidated:
            parts.append(f"{CONSOLIDATED_BADGE}: el cambio es concluyente este año y el anterior.")
        return " ".join(p for p in parts if p)

    def comparison_frame(self) -> pd.DataFrame | None:
        """The comparison group's values per period (None: the series has none)."""
        if "valor_comparacion" not in self.series:
            return None
        values = pd.to_numeric(self.series["valor_comparacion"], errors="coerce")
        if values.isna().all():
            return None
        shown = self.series["periodo"].astype(str).isin(set(self.frame["periodo"]))
        out = pd.DataFrame(
            {"periodo": self.series["periodo"].astype(str)[shown], "valor": values[shown]}
        )
        if self.indicator.unit == "%":  # its interval, as the series' own (Wilson)
            n = pd.to_numeric(self.series["n_comparacion"], errors="coerce")[shown]
            v = out["valor"].to_numpy(dtype=float)
            lo, hi = wilson(v / 100 * n.to_numpy(dtype=float), n.to_numpy(dtype=float))
            out["ic_inferior"] = lo * 100
            out["ic_superior"] = hi * 100
        return out

    def chart(self, width: int | str = "container", **size: Any) -> Any:
        """The trend chart; ``size``: ``height`` and ``font`` (slides draw it larger)."""
        return charts.build_trend_chart(
            self.frame,
            **self.options,
            width=width,
            comparison=self.comparison_frame(),
            comparison_label=self.comparison_label,
            **size,
        )

    @property
    def comparison_label(self) -> str:
        """The comparison group's name on the chart."""
        if str(self.current.get("alcance")) == "comunidad":
            return charts.COMPARISON_LABEL
        return "Sin comunidades"

    def download(self) -> pd.DataFrame:
        """The chart's data as a file holds it (suppressed values blank)."""
        out = self.frame.rename(
            columns={
                "periodo": "Período",
                "valor": "Valor",
                "n": "n",
                "suprimido": "Suprimido",
                "tono": "Respecto de la línea base",
                "ic_inferior": "IC 95 % inferior",
                "ic_superior": "IC 95 % superior",
            }
        )
        out.loc[out["Suprimido"], ["Valor", "n", "IC 95 % inferior", "IC 95 % superior"]] = None
        return out


def trend_view(
    results: pd.DataFrame, code: str, alcance: str, alcance_id: str, year: int | None
) -> TrendView | None:
    """The yearly series of ``code`` in one scope up to ``year``; None when it has no data."""

    ind = INDICATORS[code]
    series = series_for(results, code, alcance, alcance_id)
    if series.empty or (series["valor"].isna().all() and (series["estado"] != "suprimido").all()):
        return None
    shown = series if year is None else series[series["periodo"].astype(int) <= year]
    current = (shown if not shown.empty else series).iloc[-1]
    base_period = first_present(series["periodo_base"])
    provisional = is_provisional(series)
    meta_year = first_present(series["anio_meta"])
    text = headline(
        name=ind.name,
        unit=ind.unit,
        direction=ind.direction,
        valor=None if pd.isna(current["valor"]) else float(current["valor"]),
        periodo=str(current["periodo"]),
        linea_base=None if pd.isna(current["linea_base"]) else float(current["linea_base"]),
        periodo_base=None if base_period is None else str(base_period),
        meta=None if pd.isna(current["meta"]) else float(current["meta"]),
        estado=str(current["estado"]),
        decimals=ind.decimals,
        provisional=provisional,
    )
    baseline = first_present(series["linea_base"])
    target = first_present(series["meta"])
    options: dict[str, Any] = dict(
        title=ind.name + (" (%)" if ind.unit == "%" else ""),
        unit=ind.unit,
        decimals=ind.decimals,
        baseline=None if baseline is None else float(baseline),
        baseline_label=(
            f"Línea base {baseline_name(base_period, provisional)}" if base_period else None
        ),
        target=None if target is None else float(target),
        target_label=f"Meta {int(meta_year)}" if meta_year else None,
    )
    source = ind.sources[0]
    n_now = current["n"]
    n_text = (
        f", {format_number(n_now)} {N_WORDS.get(source, 'registros')} en {current['periodo']}"
        if pd.notna(n_now) and current["estado"] != "suprimido"
        else ""
    )
    interval = (
        " La barra vertical es el intervalo de confianza del 95 % de cada valor."
        if ind.unit == "%"
        else ""
    )
    caption = (
        f"Fuente: {SOURCE_LABELS.get(source, source)}{n_text}.{interval} Color del punto: "
        "mejora o empeora de forma concluyente respecto de la línea base (el intervalo de "
        "confianza del cambio no incluye 0), o cambio no concluyente (gris)."
        + (f" {PROVISIONAL_NOTE}" if provisional else "")
    )
    if "valor_comparacion" in series and series["valor_comparacion"].notna().any():
        group = first_present(series["grupo_comparacion"])
        caption += (
            " Línea gris punteada: el resto del establecimiento, estudiantes de los mismos "
            "niveles en cursos sin docentes de comunidades (grupo de comparación)."
            if alcance == "comunidad"
            else f" Línea gris punteada: los {group} (grupo de comparación)."
        ) + (" La barra gris es su intervalo de 95 %." if ind.unit == "%" else "")
    # The chart stops at the chosen year, as its headline does.
    drawn = shown if not shown.empty else series
    return TrendView(ind, series, current, text, trend_frame(drawn, ind), options, caption)
