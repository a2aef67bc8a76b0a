"""One-sentence Spanish headlines computed from the numbers they sit above.

Wording claims contribution, never causation: numbers "subieron", "bajaron", "se mantuvieron"
and "alcanzaron la meta"; pages add "se asocia con" where they relate them to the model.
"""

from __future__ import annotations

import math
from typing import Literal

from metrics.engine.compute import target_met
from metrics.formatting import format_number, format_percent, round_half_away

Direction = Literal["higher_is_better", "lower_is_better"]

_MASCULINE_HEADS = ("promedio", "cumplimiento", "intercambio", "desempeño", "puntaje")


def with_article(name: str) -> str:
    """The indicator's name as the subject of a sentence.

    >>> with_article("Tasa de reprobación")
    'La tasa de reprobación'
    >>> with_article("Promedio de notas")
    'El promedio de notas'
    """
    head = name.split()[0].lower()
    article = "El" if head in _MASCULINE_HEADS else "La"
    return f"{article} {name[0].lower()}{name[1:]}"


def format_value(value: float, unit: str, decimals: int = 1) -> str:
    """A value with its unit, as a sentence shows it."""
    if unit == "%":
        return format_percent(value, decimals)
    return format_number(value, decimals)


def _missing(x: float | None) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def headline(
    *,
    name: str,
    unit: str,
    direction: Direction,
    valor: float | None,
    periodo: str,
    linea_base: float | None,
    periodo_base: str | None,
    meta: float | None,
    estado: str,
    decimals: int = 1,
    min_group: int = 10,
    provisional: bool = False,
) -> str:
    """The sentence that says what happened to one indicator.

    >>> text = headline(name="Tasa de reprobación", unit="%", direction="lower_is_better",
    ...                 valor=2.0, periodo="2024", linea_base=6.0, periodo_base="2023",
    ...                 meta=3.0, estado="logrado")
    >>> text.endswith("bajó de 6,0 % en 2023 a 2,0 % en 2024 (−66,7 %) y superó la meta de 3,0 %.")
    True

    A provisional baseline (the first year with data, while the school has no baseline year)
    is named as such:

    >>> headline(name="Puntaje en pruebas estandarizadas", unit="puntaje",
    ...          direction="higher_is_better", valor=284.0, periodo="2024", linea_base=275.0,
    ...          periodo_base="2022", meta=None, estado="sin_datos", decimals=0,
    ...          provisional=True).endswith(
    ...     "subió de 275 en 2022 (línea base provisional) a 284 en 2024 (+3,3 %). Aún no tiene "
    ...     "meta.")
    True
    """
    subject = with_article(name)
    if estado == "suprimido":
        return (
            f"{subject} de {periodo} no se muestra: el grupo tiene menos de {min_group} "
            "estudiantes y se protege su privacidad."
        )
    if _missing(valor):
        return f"Aún no hay datos de {subject[0].lower()}{subject[1:]} para {periodo}."
    assert valor is not None
    now = format_value(valor, unit, decimals)
    note = ""
    if _missing(linea_base):
        sentence = f"{subject} es {now} en {periodo}"
        note = " Falta la línea base para comparar."
    else:
        assert linea_base is not None
        before = format_value(linea_base, unit, decimals)
        # The change as the two values read (a headline and its chart round alike).
        change = round_half_away(valor, decimals) - round_half_away(linea_base, decimals)
        since = f"{periodo_base} (línea base provisional)" if provisional else periodo_base
        if periodo == periodo_base:
            sentence = f"{subject} es {now} en {periodo}, el año de su línea base" + (
                " provisional" if provisional else ""
            )
        elif change == 0:
            sentence = f"{subject} se mantuvo en {now} entre {since} y {periodo}"
        else:
            verb = "subió" if change > 0 else "bajó"
            pct = ""
            if linea_base != 0:
                pct_value = 100 * (valor - linea_base) / abs(linea_base)
                sign = "+" if pct_value > 0 else ""
                pct = f" ({sign}{format_number(pct_value, 1)} %)"
            sentence = f"{subject} {verb} de {before} en {since} a {now} en {periodo}{pct}"
    if _missing(meta):
        return sentence + "." + note + " Aún no tiene meta."
    assert meta is not None
    target = format_value(meta, unit, decimals)
    # Reached as the value and the target read: the engine's rule for «logrado».
    good = 1 if direction == "higher_is_better" else -1
    met = bool(target_met(valor, meta, good, decimals))
    if met and now == target:
        return sentence + f" y alcanzó la meta de {target}." + note
    if met:
        return sentence + f" y superó la meta de {target}." + note
    return sentence + f"; la meta es {target}." + note
