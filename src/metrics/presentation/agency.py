"""The Agencia de Calidad's results as schools read them in its reports: each SIMCE series with
the Agencia's own verdict on its change, the learning standards, and the IDPS; and the DIA's
movement within a year (diagnóstico → cierre), as the school reads it off the DIA platform.

Words and frames only (the numbers come from :func:`metrics.engine.series.compute_series`);
charts are :mod:`metrics.presentation.charts`'. Never *causó*: the verdict is the Agencia's
(significant or not), not ours.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from metrics.engine.catalog import SERIES_INDICATORS
from metrics.formatting import format_number, format_percent, format_points

GRADES = {
    "1b": "1° básico",
    "2b": "2° básico",
    "3b": "3° básico",
    "4b": "4° básico",
    "5b": "5° básico",
    "6b": "6° básico",
    "7b": "7° básico",
    "8b": "8° básico",
    "1m": "I medio",
    "2m": "II medio",
    "3m": "III medio",
}


def serie_label(serie: str) -> str:
    """A series as the Agencia's reports name it.

    >>> serie_label("4b lectura"), serie_label("2m matemática"), serie_label("4b")
    ('4° básico lectura', 'II medio matemática', '4° básico')
    """
    grade, _, subject = str(serie).partition(" ")
    shown = GRADES.get(grade, grade)
    return f"{shown} {subject}".strip()


def _missing(value: Any) -> bool:
    return value is None or bool(pd.isna(value))


def _points(value: float) -> str:
    n = abs(round(float(value)))
    return f"{format_number(n, 0)} punto{'s' if n != 1 else ''}"


def change_verdict(dif: Any, sig: Any) -> str | None:
    """The Agencia's verdict on a change against the previous evaluation, in words.

    >>> change_verdict(11, 0)
    'según la Agencia, el alza de 11 puntos no es significativa'
    >>> change_verdict(-9, -1)
    'según la Agencia, la baja de 9 puntos es significativa'
    >>> change_verdict(0, 0)
    'según la Agencia, el puntaje se mantiene (sin cambio significativo)'
    """
    if _missing(dif):
        return None
    d = round(float(dif))
    significant = not _missing(sig) and int(sig) != 0
    if d == 0:
        return "según la Agencia, el puntaje se mantiene (sin cambio significativo)"
    what = f"el alza de {_points(d)}" if d > 0 else f"la baja de {_points(d)}"
    return f"según la Agencia, {what} {'es' if significant else 'no es'} significativa"


def gse_words(dif: Any, sig: Any) -> str | None:
    """The difference with schools of the same socioeconomic group, in the Agencia's words.

    >>> gse_words(34, 1)
    '34 puntos sobre establecimientos del mismo grupo socioeconómico (diferencia significativa)'
    >>> gse_words(-3, 0)
    '3 puntos bajo establecimientos del mismo grupo socioeconómico (similar, según la Agencia)'
    """
    if _missing(dif):
        return None
    d = round(float(dif))
    where = "sobre" if d > 0 else "bajo" if d < 0 else "igual que"
    amount = f"{_points(d)} " if d else ""
    significant = not _missing(sig) and int(sig) != 0
    verdict = "diferencia significativa" if significant else "similar, según la Agencia"
    return f"{amount}{where} establecimientos del mismo grupo socioeconómico ({verdict})"


def series_headline(rows: pd.DataFrame, year: int, *, gse: bool = True) -> str:
    """One sentence for a SIMCE series in ``year`` (or its latest year before): the score, its
    change against the previous evaluation with the Agencia's verdict, and the same-GSE
    difference; or why there is no score.

    ``rows``: the ``simce_puntaje`` rows of one scope and series (:func:`compute_series`).
    """
    shown = rows[rows["periodo"].astype(int) <= int(year)].sort_values("periodo")
    if shown.empty:
        shown = rows.sort_values("periodo")
    rec = shown.iloc[-1]
    name = serie_label(str(rec["serie"]))
    if _missing(rec["valor"]):
        why = "" if _missing(rec["marca"]) else f" {rec['marca']}"
        return f"{name} {rec['periodo']}: sin puntaje publicado.{why}".strip()
    text = f"{name} {rec['periodo']}: {format_number(float(rec['valor']), 0)} puntos"
    if not _missing(rec["cambio_anterior"]):
        change = float(rec["cambio_anterior"])
        moved = (
            f"{_points(change)} más que en {rec['periodo_anterior']}"
            if round(change) > 0
            else f"{_points(change)} menos que en {rec['periodo_anterior']}"
            if round(change) < 0
            else f"igual que en {rec['periodo_anterior']}"
        )
        text += f", {moved}"
    verdict = change_verdict(rec["dif_agencia"], rec["sig_agencia"])
    text += f"; {verdict}." if verdict else "."
    same_group = gse_words(rec["dif_gse"], rec["sig_gse"]) if gse else None
    if same_group:
        text += f" {same_group[0].upper()}{same_group[1:]}."
    return text


def score_frame(rows: pd.DataFrame) -> pd.DataFrame:
    """Small-multiples frame (:func:`charts.build_small_multiples`) of series rows: one panel
    per series (or per IDPS indicator, named by ``names``), its baseline dashed."""
    return pd.DataFrame(
        {
            "grupo": rows["grupo"].to_numpy(),
            "periodo": rows["periodo"].astype(str).to_numpy(),
            "valor": rows["valor"].astype(float).to_numpy(),
            "suprimido": rows["valor"].isna().to_numpy(),
            "linea_base": rows["linea_base"].astype(float).to_numpy(),
        }
    )


STANDARDS = ("Insuficiente", "Elemental", "Adecuado")


def standards_frame(adequate: pd.DataFrame, insufficient: pd.DataFrame) -> pd.DataFrame:
    """The three learning standards of a series per year (long: ``periodo``, ``nivel``,
    ``porcentaje``); Elemental is what the other two leave (the Agencia's three add to 100)."""
    both = adequate[["periodo", "valor"]].merge(
        insufficient[["periodo", "valor"]], on="periodo", suffixes=("_ade", "_ins")
    )
    both = both.dropna()
    rows = []
    for rec in both.to_dict("records"):
        ade, ins = float(rec["valor_ade"]), float(rec["valor_ins"])
        for level, pct in zip(STANDARDS, (ins, max(0.0, 100.0 - ade - ins), ade), strict=True):
            rows.append({"periodo": str(rec["periodo"]), "nivel": level, "porcentaje": pct})
    return pd.DataFrame(rows, columns=["periodo", "nivel", "porcentaje"])


DIA_LEVELS = ("Insatisfactorio", "Intermedio", "Satisfactorio")
DIA_STAGES = ("diagnóstico", "monitoreo intermedio", "cierre")


def dia_headline(rows: pd.DataFrame) -> str:
    """One sentence for a DIA series in one year: how Nivel III satisfactorio moved from the
    diagnóstico to the latest period with a value; or what is missing.

    ``rows``: the ``dia_satisfactorio`` rows of one scope, series and year
    (:func:`metrics.engine.series.compute_series`), one per period.

    >>> rows = pd.DataFrame({"serie": ["4b lectura"] * 2, "periodo": ["2024"] * 2,
    ...     "etapa": ["diagnóstico", "cierre"], "valor": [23.6, 35.6], "marca": [None, None]})
    >>> dia_headline(rows)
    '4° básico lectura 2024: el nivel satisfactorio subió de 23,6 % en el diagnóstico a 35,6 % en el cierre (+12,0 pp).'
    """  # noqa: E501
    rank = {e: i for i, e in enumerate(DIA_STAGES)}
    rows = rows.assign(_e=rows["etapa"].map(rank)).sort_values("_e")
    first = rows.iloc[0]
    name = f"{serie_label(str(first['serie']))} {first['periodo']}"
    shown = rows[rows["valor"].notna()]
    if shown.empty:
        why = next((str(m) for m in rows["marca"] if not _missing(m)), "")
        return f"{name}: sin resultados que mostrar. {why}".strip()
    start = shown[shown["etapa"] == DIA_STAGES[0]]
    last = shown.iloc[-1]
    missing = [e for e in DIA_STAGES if e not in set(rows["etapa"])]
    pending = (
        f"; aún no hay {' ni '.join(missing)}" if missing and missing[-1] == DIA_STAGES[-1] else ""
    )
    if start.empty or last["etapa"] == DIA_STAGES[0]:
        where = last["etapa"]
        text = (
            f"{name}: {format_percent(float(last['valor']))} en nivel satisfactorio en el {where}"
        )
        if start.empty:
            return text + ", sin diagnóstico con que compararlo."
        return text + pending + "."
    a, b = float(start["valor"].iloc[0]), float(last["valor"])
    change = round(b - a, 1)
    verb = "subió" if change > 0 else "bajó" if change < 0 else "se mantuvo"
    moved = (
        f"se mantuvo en {format_percent(b)} del diagnóstico al {last['etapa']}"
        if change == 0
        else f"{verb} de {format_percent(a)} en el diagnóstico a {format_percent(b)} en el "
        f"{last['etapa']} ({format_points(change)})"
    )
    return f"{name}: el nivel satisfactorio {moved}{pending}."


def dia_levels_frame(satisfactory: pd.DataFrame, unsatisfactory: pd.DataFrame) -> pd.DataFrame:
    """The three DIA levels of one series and year per period (long: ``periodo`` = the period,
    ``nivel``, ``porcentaje``); Intermedio is what the other two leave (they add to 100)."""
    both = satisfactory[["etapa", "valor"]].merge(
        unsatisfactory[["etapa", "valor"]], on="etapa", suffixes=("_sat", "_ins")
    )
    rows = []
    for rec in both.dropna().to_dict("records"):
        sat, ins = float(rec["valor_sat"]), float(rec["valor_ins"])
        for level, pct in zip(DIA_LEVELS, (ins, max(0.0, 100.0 - sat - ins), sat), strict=True):
            rows.append({"periodo": stage_label(rec["etapa"]), "nivel": level, "porcentaje": pct})
    return pd.DataFrame(rows, columns=["periodo", "nivel", "porcentaje"])


def stage_label(stage: object) -> str:
    """A DIA period as a label (sentence case).

    >>> stage_label("monitoreo intermedio")
    'Monitoreo intermedio'
    """
    text = str(stage)
    return text[:1].upper() + text[1:]


def idps_headline(rows: pd.DataFrame, year: int, names: dict[str, str]) -> str:
    """One sentence for the IDPS of one scope and grade in ``year`` (or its latest year
    before): which indicators the Agencia says rose or fell significantly.

    ``rows``: the ``idps_*`` rows of one scope and series; ``names``: each code's name.

    >>> rows = pd.DataFrame({"indicador": ["idps_autoestima", "idps_habitos"],
    ...     "serie": ["4b", "4b"], "periodo": ["2024", "2024"], "sig_agencia": [1, 0]})
    >>> idps_headline(rows, 2024, {"idps_autoestima": "Autoestima", "idps_habitos": "Hábitos"})
    'IDPS 4° básico 2024 (0 a 100): según la Agencia, sube significativamente: autoestima.'
    """
    latest = rows[rows["periodo"].astype(int) <= int(year)]
    if latest.empty:
        latest = rows
    last = latest[latest["periodo"] == latest["periodo"].max()]
    up = last[(last["sig_agencia"] == 1)]["indicador"].map(names).tolist()
    down = last[(last["sig_agencia"] == -1)]["indicador"].map(names).tolist()
    if len(up) == len(names) > 1:
        said = "según la Agencia, todos sus indicadores suben significativamente"
    else:
        said = f"según la Agencia, sube significativamente: {', '.join(up).lower()}" if up else ""
    if down:
        said += ("; " if said else "según la Agencia, ") + (
            f"baja significativamente: {', '.join(down).lower()}"
        )
    period = last["periodo"].iloc[0]
    return f"IDPS {serie_label(str(last['serie'].iloc[0]))} {period} (0 a 100): " + (
        said + "." if said else "sin cambios significativos que publique la Agencia."
    )


def standards_headline(standards: pd.DataFrame, serie: str) -> str:
    """The learning standards of a series in the last year of ``standards``
    (:func:`standards_frame`), in one sentence."""
    last = standards[standards["periodo"] == standards["periodo"].max()]
    ade = float(last.loc[last["nivel"] == "Adecuado", "porcentaje"].iloc[0])
    ins = float(last.loc[last["nivel"] == "Insuficiente", "porcentaje"].iloc[0])
    return (
        f"{serie_label(serie)}: en {last['periodo'].iloc[0]}, {format_number(ade, 1)} % de los "
        f"estudiantes en nivel Adecuado y {format_number(ins, 1)} % en Insuficiente."
    )


BULLET_CODES = {"simce_puntaje": "Puntaje SIMCE", "simce_adecuado": "% Adecuado"}
"""What Antes shows of each SIMCE series as a bullet, and the bullet's name."""


def series_bullet_frame(rows: pd.DataFrame, year: int) -> pd.DataFrame:
    """Each SIMCE series' score and % Adecuado in ``year`` (or the series' latest year
    before) against its baseline year, as :func:`metrics.presentation.charts.build_bullet_chart`
    draws them: one bullet per series and indicator, never two series in one.

    ``rows``: :func:`metrics.engine.series.compute_series` rows of one scope.
    """
    out = []
    for code, name in BULLET_CODES.items():
        ind = SERIES_INDICATORS[code]
        mine = rows[(rows["indicador"] == code) & (rows["periodo"].astype(int) <= int(year))]
        for serie in sorted(mine["serie"].unique()):
            of_serie = mine[(mine["serie"] == serie) & mine["valor"].notna()]
            if of_serie.empty:
                continue
            rec = of_serie.sort_values("periodo").iloc[-1]
            change = rec["cambio"]
            better = (
                None
                if _missing(change) or round(float(change), ind.decimals) == 0
                else (float(change) > 0) == (ind.direction == "higher_is_better")
            )
            out.append(
                {
                    "nombre": f"{name} {serie_label(str(serie))} ({rec['periodo']})",
                    "unidad": ind.unit,
                    "valor": float(rec["valor"]),
                    "linea_base": float(rec["linea_base"])
                    if not _missing(rec["linea_base"])
                    else None,
                    "meta": None,
                    "suprimido": False,
                    "mejor": better,
                    "decimales": ind.decimals,
                    "sufijo": " %" if ind.unit == "%" else " puntos",
                    "periodo_base": rec["periodo_base"],
                    "provisional": bool(rec["linea_base_provisional"]),
                    "indicador": code,
                }
            )
    return pd.DataFrame(
        out,
        columns=[
            "nombre", "unidad", "valor", "linea_base", "meta", "suprimido", "mejor",
            "decimales", "sufijo", "periodo_base", "provisional", "indicador",
        ],
    )  # fmt: skip


def series_bullets_headline(frame: pd.DataFrame) -> str:
    """What the SIMCE bullets of :func:`series_bullet_frame` say, in one sentence.

    >>> frame = pd.DataFrame({"indicador": ["simce_puntaje"] * 3, "mejor": [True, None, False],
    ...     "periodo_base": ["2023"] * 3})
    >>> series_bullets_headline(frame)
    'SIMCE frente a la línea base 2023 de cada serie: el puntaje sube en 1 de 3 series, baja en 1 y se mantiene en 1.'
    """  # noqa: E501
    scores = frame[frame["indicador"] == "simce_puntaje"]
    bases = sorted({str(b) for b in scores["periodo_base"].dropna()})
    up = int((scores["mejor"] == True).sum())  # noqa: E712 (object column of True/False/None)
    down = int((scores["mejor"] == False).sum())  # noqa: E712
    same = len(scores) - up - down
    parts = [f"el puntaje sube en {up} de {len(scores)} series"]
    if down:
        parts.append(f"baja en {down}")
    if same:
        parts.append(f"se mantiene en {same}")
    said = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " y " + parts[-1]
    provisional = "provisional " if "provisional" in scores and scores["provisional"].any() else ""
    base = f"la línea base {provisional}{', '.join(bases)}" if bases else "su línea base"
    return f"SIMCE frente a {base} de cada serie: {said}."
