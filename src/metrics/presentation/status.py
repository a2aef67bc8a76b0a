"""The status vocabulary: how an indicator's ``estado`` reads, everywhere a person reads it.

One place for the words of Inicio, Comunidades, Durante, Resultados, Impacto, the headlines,
the council pack and the workbook. The rule behind them is the engine's
(:func:`metrics.engine.compute.compute_status`):

- ``sin_datos`` only when there is no value;
- a value without a target is ``sin_meta`` and a value short of its target without a baseline
  is ``sin_linea_base``: they say what they lack, and still say whether the value is better or
  worse than its baseline (and whether that is conclusive) or how far it is from the target;
- a target is reached as the value and the target read, both rounded to the indicator's
  decimals (18,83 % reads 18,8 % and reaches a target of 18,8 %).

Pure functions of the engine's rows; no Streamlit, no SQL.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from metrics.engine.catalog import INDICATORS, Indicator
from metrics.formatting import format_number, round_half_away

STATUS_LABELS: dict[str, str] = {
    "logrado": "✓ Logrado",
    "en_camino": "→ En camino",
    "en_riesgo": "! En riesgo",
    "sin_meta": "○ Sin meta",
    "sin_linea_base": "○ Sin línea base",
    "sin_datos": "– Sin datos",
    "suprimido": "n < 10",
}
"""Status as people read it: always a word with its symbol, never a colour alone."""

STATUS_COLOURS: dict[str, str] = {
    "logrado": "#D6EEF0",
    "en_camino": "#E8F1F8",
    "en_riesgo": "#FBE3D2",
    "sin_meta": "#F3F4F6",
    "sin_linea_base": "#F3F4F6",
}
"""Light backgrounds by status (the word and symbol carry the meaning)."""

_COUNT_WORDS: dict[str, tuple[str, str]] = {
    "logrado": ("logrado", "logrados"),
    "en_camino": ("en camino", "en camino"),
    "en_riesgo": ("en riesgo", "en riesgo"),
    "sin_meta": ("sin meta", "sin meta"),
    "sin_linea_base": ("sin línea base", "sin línea base"),
    "sin_datos": ("sin datos", "sin datos"),
    "suprimido": ("con grupo pequeño (n < 10)", "con grupo pequeño (n < 10)"),
}

PROGRESS_STATUSES = ("logrado", "en_camino", "en_riesgo")
"""The statuses of values measured against a target."""

LACKING_STATUSES = ("sin_meta", "sin_linea_base", "sin_datos", "suprimido")
"""What a value lacks to be measured against its target, in the order sentences name it."""


def _missing(value: Any) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def _listing(items: list[str]) -> str:
    """«a», «a y b», «a, b y c»."""
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} y {items[-1]}"


def status_label(estado: Any) -> str:
    """The status word with its symbol.

    >>> status_label("sin_linea_base")
    '○ Sin línea base'
    """
    return STATUS_LABELS.get(str(estado), str(estado))


def count_status(count: int, estado: str) -> str:
    """«1 logrado», «3 logrados», «2 sin meta».

    >>> count_status(1, "logrado"), count_status(3, "logrado"), count_status(2, "sin_meta")
    ('1 logrado', '3 logrados', '2 sin meta')
    """
    one, many = _COUNT_WORDS[estado]
    return f"{format_number(count)} {one if count == 1 else many}"


def trend_words(indicator: Indicator, row: Any) -> str:
    """Whether a value is better or worse than its baseline, and whether that is conclusive
    (the 95 % interval of the change excludes 0).

    >>> from metrics.engine.catalog import INDICATORS
    >>> ind = INDICATORS["autoevaluacion_docente"]
    >>> trend_words(ind, {"cambio": 0.22, "concluyente": True, "periodo": "2025",
    ...                   "periodo_base": "2023"})
    'mejora (concluyente)'
    >>> trend_words(ind, {"cambio": -0.2, "concluyente": False, "periodo": "2025",
    ...                   "periodo_base": "2023"})
    'empeora (no concluyente)'
    """
    change = row.get("cambio")
    if _missing(change):
        if str(row.get("periodo")) == str(row.get("periodo_base")):
            return "año de línea base"
        return "sin línea base"
    if round_half_away(float(change), indicator.decimals) == 0:
        return "sin cambio"
    better = (float(change) > 0) == (indicator.direction == "higher_is_better")
    word = "mejora" if better else "empeora"
    conclusive = row.get("concluyente")
    if _missing(conclusive):
        return word
    return f"{word} ({'concluyente' if bool(conclusive) else 'no concluyente'})"


def gap_words(indicator: Indicator, row: Any) -> str:
    """How far a value is from a target it has not reached, in the indicator's unit.

    >>> from metrics.engine.catalog import INDICATORS
    >>> gap_words(INDICATORS["cumplimiento_cronograma"], {"valor": 79.438, "meta": 85.0})
    'a 5,6 pp de la meta'
    """
    value, target = row.get("valor"), row.get("meta")
    if _missing(value) or _missing(target):
        return "sin meta"
    gap = abs(float(target) - float(value))
    unit = " pp" if indicator.unit == "%" else ""
    return f"a {format_number(gap, indicator.decimals)}{unit} de la meta"


def status_text(indicator: Indicator, row: Any) -> str:
    """The status of one row as a table cell or a fact reads it: the word, and for a value
    that lacks a target or a baseline, what it still says.

    >>> from metrics.engine.catalog import INDICATORS
    >>> status_text(INDICATORS["cumplimiento_cronograma"],
    ...             {"estado": "sin_linea_base", "valor": 79.438, "meta": 85.0})
    '○ Sin línea base · a 5,6 pp de la meta'
    >>> status_text(INDICATORS["autoevaluacion_docente"],
    ...             {"estado": "sin_meta", "cambio": 0.22, "concluyente": True})
    '○ Sin meta · mejora (concluyente)'
    """
    estado = str(row.get("estado"))
    if estado == "sin_meta":
        trend = trend_words(indicator, row)
        if trend == "sin línea base":
            return "○ Sin meta ni línea base"
        return f"{STATUS_LABELS[estado]} · {trend}"
    if estado == "sin_linea_base":
        return f"{STATUS_LABELS[estado]} · {gap_words(indicator, row)}"
    return status_label(estado)


def status_key(text: str) -> str | None:
    """The status code a :func:`status_text` starts with (``None`` for any other text)."""
    for code in ("sin_linea_base", *STATUS_LABELS):
        if text.startswith(STATUS_LABELS[code]):
            return code
    return None


def status_colour(text: Any) -> str | None:
    """The light background of a status cell, from its text."""
    code = status_key(str(text))
    return None if code is None else STATUS_COLOURS.get(code)


def status_phrase(rows: pd.DataFrame) -> str:
    """How many rows are met, on track and at risk.

    >>> status_phrase(pd.DataFrame({"estado": ["logrado", "logrado", "en_riesgo"]}))
    '2 logrados, 0 en camino y 1 en riesgo'
    """
    counts = rows["estado"].astype(str).value_counts()
    return _listing([count_status(int(counts.get(s, 0)), s) for s in PROGRESS_STATUSES])


def lacking_phrase(rows: pd.DataFrame) -> str:
    """How many rows lack a target, a baseline, a value, or are hidden (only those present).

    >>> lacking_phrase(pd.DataFrame({"estado": ["sin_meta", "sin_meta", "sin_datos"]}))
    '2 sin meta y 1 sin datos'
    """
    counts = rows["estado"].astype(str).value_counts()
    parts = [count_status(int(counts[s]), s) for s in LACKING_STATUSES if counts.get(s, 0)]
    return _listing(parts) if parts else ""


def status_counts(rows: pd.DataFrame) -> str:
    """Every row counted once: met, on track, at risk, then what the others lack. When no row
    can be judged against a target, only what they lack (three zeros tell a council nothing).

    >>> status_counts(pd.DataFrame({"estado": ["logrado", "en_riesgo", "sin_linea_base"]}))
    '1 logrado, 0 en camino y 1 en riesgo; 1 sin línea base'
    >>> status_counts(pd.DataFrame({"estado": ["sin_meta", "sin_datos", "sin_datos"]}))
    '1 sin meta y 2 sin datos'
    """
    rest = lacking_phrase(rows)
    counts = rows["estado"].astype(str).value_counts()
    if rest and not any(counts.get(s, 0) for s in PROGRESS_STATUSES):
        return rest
    return status_phrase(rows) + (f"; {rest}" if rest else "")


def status_summary(rows: pd.DataFrame) -> str:
    """One sentence: how many indicators are met, on track, at risk, and what the others lack.

    >>> status_summary(pd.DataFrame({"estado": ["logrado", "sin_linea_base", "sin_meta"]}))
    'De 3 indicadores: 1 logrado, 0 en camino y 0 en riesgo; 1 sin meta y 1 sin línea base.'

    With ``consolidado``, the changes that consolidate are named («se consolida»: conclusive
    and good this year and the year before):

    >>> text = status_summary(pd.DataFrame({"estado": ["logrado", "sin_meta"],
    ...     "indicador": ["tasa_reprobacion", "promedio_notas"], "consolidado": [True, None]}))
    >>> text.split(". ")[1]
    'Se consolida: tasa de reprobación.'
    """
    text = f"De {len(rows)} indicadores: {status_counts(rows)}."
    if "consolidado" in rows and "indicador" in rows:
        done = rows.loc[rows["consolidado"].fillna(False).astype(bool), "indicador"]
        names = [INDICATORS[str(c)].name.lower() for c in done if str(c) in INDICATORS]
        if names:
            listed = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} y {names[-1]}"
            text += f" Se consolida{'n' if len(names) > 1 else ''}: {listed}."
    return text


def target_reach_phrase(rows: pd.DataFrame, total: int, noun: tuple[str, str, str]) -> str:
    """How many of ``total`` groups (communities, schools) reached their target, counting only
    those that have one.

    ``noun``: (singular, plural, the feminine or masculine «ninguna»/«ninguno»).

    >>> n = ("comunidad", "comunidades", "ninguna")
    >>> target_reach_phrase(pd.DataFrame({"estado": ["sin_meta"] * 30, "meta": [None] * 30}),
    ...                     30, n)
    'ninguna de las 30 comunidades tiene meta'
    >>> target_reach_phrase(pd.DataFrame({"estado": ["logrado", "en_riesgo", "sin_meta"],
    ...                                   "meta": [80.0, 80.0, None]}), 3, n)
    '1 de las 2 comunidades con meta la logró'
    >>> target_reach_phrase(pd.DataFrame({"estado": ["logrado"] * 3, "meta": [2.0] * 3}), 3, n)
    'las 3 comunidades lograron su meta'
    """
    singular, plural, none = noun
    with_target = rows[rows["meta"].notna()]
    if with_target.empty:
        article = "las" if none == "ninguna" else "los"
        return f"{none} de {article} {format_number(total)} {plural} tiene meta"
    met = int((with_target["estado"].astype(str) == "logrado").sum())
    article = "las" if none == "ninguna" else "los"
    if met == len(with_target) == total and total > 1:
        return f"{article} {format_number(total)} {plural} lograron su meta"
    if len(with_target) == 1:
        return f"la única {singular} con meta " + ("la logró" if met else "aún no la logra")
    word = "la logró" if met == 1 else "la lograron"
    return f"{met} de {article} {format_number(len(with_target))} {plural} con meta {word}"


def improvement_phrase(indicator: Indicator, rows: pd.DataFrame, groups: str) -> str:
    """How many groups are better than their baseline, out of those that have one, and how
    many of those improvements are conclusive.

    >>> from metrics.engine.catalog import INDICATORS
    >>> rows = pd.DataFrame({"cambio": [2.0, -1.0, None], "concluyente": [True, False, None]})
    >>> improvement_phrase(INDICATORS["participacion_activa"], rows, "comunidades")
    '1 de 2 comunidades con línea base mejora (1 de forma concluyente); 1 sin línea base'
    >>> improvement_phrase(INDICATORS["participacion_activa"], rows.iloc[1:], "comunidades")
    '0 de 1 comunidades con línea base mejoran; 1 sin línea base'
    >>> improvement_phrase(INDICATORS["participacion_activa"], rows.iloc[2:], "comunidades")
    'sin línea base con qué comparar'
    """
    has = rows[rows["cambio"].notna()]
    lacking = len(rows) - len(has)
    if has.empty:
        if len(rows) == 1:
            return "sin línea base con qué comparar"
        return f"ninguna de las {format_number(len(rows))} {groups} tiene línea base"
    better = [
        (float(c) > 0) == (indicator.direction == "higher_is_better")
        and round_half_away(float(c), indicator.decimals) != 0
        for c in has["cambio"]
    ]
    up = sum(better)
    sure = sum(
        1 for b, k in zip(better, has["concluyente"], strict=True) if b and not _missing(k) and k
    )
    verb = "mejora" if up == 1 else "mejoran"
    text = f"{up} de {len(has)} {groups} con línea base {verb}"
    if up:
        text += f" ({sure} de forma concluyente)"
    return text + (f"; {lacking} sin línea base" if lacking else "")


def range_phrase(values: list[tuple[str, str]], groups: str = "las comunidades") -> str:
    """«va de A (x) a B (y)», or «es A en las N comunidades» when every group reads the same
    (compared as they read, so two values that print alike are alike).

    ``values``: (formatted value, group label) from one end to the other; ``groups``: what
    the groups are, with their article.

    >>> range_phrase([("93,3 %", "Com. A"), ("93,3 %", "Com. B")])
    'es 93,3 % en las 2 comunidades'
    >>> range_phrase([("80,0 %", "Com. A"), ("93,3 %", "Com. B")])
    'va de 80,0 % (Com. A) a 93,3 % (Com. B)'
    """
    first, last = values[0], values[-1]
    if all(v == first[0] for v, _ in values):
        article, _, noun = groups.partition(" ")
        return f"es {first[0]} en {article} {len(values)} {noun}"
    return f"va de {first[0]} ({first[1]}) a {last[0]} ({last[1]})"


__all__ = [
    "LACKING_STATUSES",
    "PROGRESS_STATUSES",
    "STATUS_COLOURS",
    "STATUS_LABELS",
    "count_status",
    "gap_words",
    "improvement_phrase",
    "lacking_phrase",
    "range_phrase",
    "status_colour",
    "status_counts",
    "status_key",
    "status_label",
    "status_phrase",
    "status_summary",
    "status_text",
    "target_reach_phrase",
    "trend_words",
]
