"""Altair builders with one visual language: data in, ``alt.Chart`` out.

Conventions (../shared/DESIGN.md): baseline as a dashed grey rule labelled "Línea base AAAA";
target as a light band labelled "Meta AAAA"; colour by the good/bad direction of a change
(blue-teal better, orange worse, grey not conclusive — never red/green alone); suppressed
groups are never drawn as a mark but as the text "n < 10"; numbers in es-CL (decimal comma,
thousands point) through Vega expressions, so the same spec reads right in the browser and in
PNGs rendered by vl-convert; text at least 14 px for projectors; rate axes start at 0.

No Streamlit and no SQL here: builders take DataFrames shaped by ``metrics`` and return charts.
"""

from __future__ import annotations

import copy
import functools
import json
from typing import Any, Literal

import altair as alt
import pandas as pd
from altair.utils import schemapi

# Altair checks every object against the Vega-Lite JSON schema as it is built; on a page of eight
# charts that costs more than the data. The builders here are validated once, in the tests
# (tests/unit/test_charts.py turns the check back on), not on every page view.
schemapi.disable_debug_mode()

Direction = Literal["higher_is_better", "lower_is_better"]

BETTER = "#0F7C8C"  # blue-teal
WORSE = "#D55E00"  # orange (Okabe–Ito vermillion)
NEUTRAL = "#8A8F98"  # grey: no conclusive change
SERIES = "#0B5C8C"
BASELINE = "#5B616B"
TARGET_FILL = "#9AD1D4"
FONT_SIZE = 15
TITLE_SIZE = 20

TONE_COLOURS = {
    "Mejora concluyente": BETTER,
    "Empeora (concluyente)": WORSE,
    "Cambio no concluyente": NEUTRAL,
    "Sin comparación": "#111827",
}
"""Point colours of a trend: the change against the baseline, never red/green alone."""

LIKERT_COLOURS = ["#B35806", "#F1A340", "#D9D9D9", "#67A9CF", "#2166AC"]
"""Diverging palette for answers 1–5 (orange for disagreement, blue for agreement)."""


def es_number(expr: str, decimals: int = 1, suffix: str = "") -> str:
    """A Vega expression that formats ``expr`` with a decimal comma and thousands point.

    Vega formats ``1234.5`` as ``1,234.5``; the three replacements swap the separators, so
    the chart shows ``1.234,5``.
    """
    fmt = f"',.{decimals}f'"
    base = f"replace(replace(replace(format({expr}, {fmt}), /,/g, '_'), /\\./g, ','), /_/g, '.')"
    return base + (f" + '{suffix}'" if suffix else "")


THEME_CONFIG: dict[str, Any] = {
    "config": {
        "axis": {
            "labelFontSize": FONT_SIZE,
            "titleFontSize": FONT_SIZE,
            "labelColor": "#111827",
            "titleColor": "#111827",
            "gridColor": "#E5E7EB",
        },
        "legend": {
            "labelFontSize": FONT_SIZE,
            "titleFontSize": FONT_SIZE,
            "orient": "bottom",
            "labelLimit": 360,
        },
        "title": {"fontSize": TITLE_SIZE, "anchor": "start"},
        "view": {"strokeWidth": 0},
    }
}
"""The visual language's configuration, applied to every chart when it is serialised."""


@alt.theme.register("tablero", enable=True)
def _tablero_theme() -> alt.theme.ThemeConfig:
    # A registered theme is merged when the chart becomes a spec, for the browser and for
    # vl-convert alike; configuring each chart instead would deep-copy it (and its data).
    theme: alt.theme.ThemeConfig = THEME_CONFIG  # type: ignore[assignment]
    return theme


def _theme(chart: Any) -> AltairChart:
    """The chart as it is: its configuration comes from the registered theme."""
    result: AltairChart = chart
    return result


def unit_suffix(unit: str) -> str:
    """The text that follows a number of ``unit`` on a chart ("%" → " %")."""
    return " %" if unit == "%" else ""


class Spec:
    """A finished Vega-Lite spec that behaves like the Altair charts the other builders return
    (``to_dict``, ``properties``), for charts drawn from a cached template."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self._spec = spec

    def to_dict(self, validate: bool = True, **_: Any) -> dict[str, Any]:
        spec = copy.deepcopy(self._spec)
        if validate:
            from altair.vegalite.v6.schema.core import load_schema

            schema = load_schema()
            schemapi.validate_jsonschema(spec, schema, rootschema=schema)
        return spec

    def properties(self, **kwargs: Any) -> Spec:
        spec = copy.deepcopy(self._spec)
        spec.update(kwargs)
        return Spec(spec)


AltairChart = alt.Chart | alt.LayerChart | alt.VConcatChart | alt.FacetChart | Spec
"""What the builders return: anything ``st.altair_chart`` and vl-convert take."""


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as JSON values (NaN as null), as a spec's dataset holds them."""
    out: list[dict[str, Any]] = json.loads(frame.to_json(orient="records", force_ascii=False))
    return out


@functools.lru_cache(maxsize=256)
def _trend_template(
    title: str,
    unit: str,
    decimals: int,
    zero_based: bool,
    width: int | str,
    has_target: bool,
    has_baseline: bool,
    has_interval: bool,
    has_tone: bool,
    has_hidden: bool,
) -> dict[str, Any]:
    """The trend chart's spec without its data (named datasets ``serie``, ``meta``,
    ``base`` and ``ocultos``), built by Altair once per shape: building it is most of a page's
    time, and a page draws the same shapes for every school."""
    suffix = unit_suffix(unit)
    x = alt.X("periodo:O", title="Año", axis=alt.Axis(labelAngle=0))
    y = alt.Y(
        "valor:Q",
        title=title,
        scale=alt.Scale(zero=zero_based, nice=True),
        axis=alt.Axis(labelExpr=es_number("datum.value", 0 if unit == "%" else decimals)),
    )
    tooltip = [
        alt.Tooltip("periodo:N", title="Período"),
        alt.Tooltip("valor_txt:N", title="Valor"),
        alt.Tooltip("n_txt:N", title="n"),
    ]
    base = alt.Chart()
    layers: list[alt.Chart] = []
    if has_target:
        band = alt.NamedData(name="meta")
        layers.append(
            alt.Chart(band)
            .mark_rule(color=TARGET_FILL, strokeWidth=14, opacity=0.8)
            .encode(y=alt.Y("y:Q"))
        )
        layers.append(
            alt.Chart(band)
            .mark_text(align="right", dx=-4, dy=-12, fontSize=FONT_SIZE, color="#0F5257", x="width")
            .encode(y=alt.Y("y:Q"), text=alt.Text("label:N"))
        )
    if has_baseline:
        rule = alt.NamedData(name="base")
        layers.append(
            alt.Chart(rule)
            .mark_rule(color=BASELINE, strokeDash=[6, 4], strokeWidth=2)
            .encode(y=alt.Y("y:Q"))
        )
        layers.append(
            alt.Chart(rule)
            .mark_text(align="right", dx=-4, dy=14, fontSize=FONT_SIZE, color=BASELINE, x="width")
            .encode(y=alt.Y("y:Q"), text=alt.Text("label:N"))
        )
    if has_interval:
        layers.append(
            base.mark_rule(color=SERIES, strokeWidth=2, opacity=0.5).encode(
                x=x, y=alt.Y("ic_inferior:Q"), y2=alt.Y2("ic_superior:Q")
            )
        )
    layers.append(base.mark_line(color=SERIES, strokeWidth=3).encode(x=x, y=y))
    if has_tone:
        tone = alt.Color(
            "tono:N",
            title=None,
            scale=alt.Scale(domain=list(TONE_COLOURS), range=list(TONE_COLOURS.values())),
        )
        layers.append(
            base.mark_point(filled=True, size=180, opacity=1).encode(
                x=x,
                y=y,
                color=tone,
                tooltip=[*tooltip, alt.Tooltip("tono:N", title="Respecto de la línea base")],
            )
        )
    else:
        layers.append(
            base.mark_point(color=SERIES, filled=True, size=140).encode(x=x, y=y, tooltip=tooltip)
        )
    layers.append(
        base.mark_text(
            align="left", dx=12, dy=-12, fontSize=FONT_SIZE, fontWeight="bold", color="#111827"
        ).encode(x=x, y=y, text=alt.Text("valor_txt:N"))
    )
    if has_hidden:
        layers.append(
            alt.Chart(alt.NamedData(name="ocultos"))
            .mark_text(fontSize=FONT_SIZE, color=NEUTRAL, fontStyle="italic", y="height", dy=-12)
            .encode(x=x, text=alt.Text("etiqueta:N"))
        )
    chart = (
        alt.layer(*layers, data=alt.NamedData(name="serie"))
        .transform_calculate(
            valor_txt=es_number("datum.valor", decimals, suffix),
            n_txt=es_number("datum.n", 0),
        )
        .properties(height=320, width=width)
    )
    spec: dict[str, Any] = chart.to_dict(validate=False)
    return spec


def build_trend_chart(
    data: pd.DataFrame,
    *,
    title: str,
    unit: str,
    baseline: float | None,
    baseline_label: str | None,
    target: float | None,
    target_label: str | None,
    decimals: int = 1,
    zero_based: bool = True,
    width: int | str = "container",
) -> Spec:
    """Yearly series against its baseline (dashed rule) and target (band).

    ``data`` columns: ``periodo`` (str), ``valor`` (NaN when suppressed or missing), ``n``,
    ``suprimido`` (bool), optional ``ic_inferior``/``ic_superior`` (bounds of the value) and
    ``tono`` (the point's colour: one of :data:`TONE_COLOURS`).
    """
    df = data.copy()
    df["periodo"] = df["periodo"].astype(str)
    shown = df[~df["suprimido"] & df["valor"].notna()]
    hidden = df[df["suprimido"]]
    has_interval = bool(
        {"ic_inferior", "ic_superior"} <= set(shown.columns) and shown["ic_inferior"].notna().any()
    )
    spec = copy.deepcopy(
        _trend_template(
            title,
            unit,
            int(decimals),
            bool(zero_based),
            width,
            target is not None,
            baseline is not None,
            has_interval,
            "tono" in shown.columns,
            bool(len(hidden)),
        )
    )
    spec["datasets"] = {
        "serie": _records(shown.drop(columns=["suprimido"])),
        "meta": [{"y": float(target), "label": target_label or "Meta"}]
        if target is not None
        else [],
        "base": [{"y": float(baseline), "label": baseline_label or "Línea base"}]
        if baseline is not None
        else [],
        "ocultos": [{"periodo": p, "etiqueta": "n < 10"} for p in hidden["periodo"]],
    }
    return Spec(spec)


def _fmt(value: Any, decimals: int, suffix: str) -> str:
    """es-CL text of a number for a chart title ("–" when missing)."""
    if value is None or pd.isna(value):
        return "–"
    text = f"{float(value):,.{decimals}f}".replace(",", "_").replace(".", ",").replace("_", ".")
    return text.replace("-", "−") + suffix


def build_bullet_chart(
    data: pd.DataFrame, *, decimals: int = 1, width: int | str = "container"
) -> Spec:
    """One bullet per indicator: the value as a bar, the baseline as a dashed tick, the target
    as a thick tick; each indicator on its own scale, its numbers in its title.

    ``data`` columns: ``nombre``, ``unidad``, ``valor``, ``linea_base``, ``meta``,
    ``suprimido`` (bool), ``mejor`` (bool or None: whether the change is in the good direction);
    optional ``decimales`` and ``sufijo`` (the unit as the title writes it).

    Written as a Vega-Lite spec directly: a page draws dozens of bullets, and Altair's objects
    (a layered chart per bullet, copied on every step) cost most of the page's time.
    """
    rows = []
    for rec in data.to_dict("records"):
        suffix = unit_suffix(str(rec["unidad"]))
        text_suffix = str(rec.get("sufijo", suffix))
        digits = int(rec.get("decimales", decimals))
        colour = NEUTRAL if rec.get("mejor") is None else (BETTER if rec["mejor"] else WORSE)
        suppressed = bool(rec["suprimido"])
        present = {
            k: float(rec[k])
            for k in ("valor", "linea_base", "meta")
            if not suppressed and rec[k] is not None and not pd.isna(rec[k])
        }
        top = 100.0 if suffix else (max(present.values()) * 1.15 if present else 1.0) or 1.0
        if suppressed:
            title = f"{rec['nombre']}: n < 10, grupo pequeño (no se muestra)"
        else:
            title = (
                f"{rec['nombre']}: {_fmt(rec['valor'], digits, text_suffix)} · línea base "
                f"{_fmt(rec['linea_base'], digits, text_suffix)} · meta "
                f"{_fmt(rec['meta'], digits, text_suffix)}"
            )

        def x(field: str, top: float = top) -> dict[str, Any]:
            return {
                "field": field,
                "type": "quantitative",
                "scale": {"domain": [0, top], "nice": False},
                "axis": {
                    "labelExpr": es_number("datum.value", 0),
                    "title": None,
                    "tickCount": 5,
                    "tickMinStep": 1,
                },
            }

        marks = {
            "valor": {"type": "bar", "color": colour, "height": 18},
            "linea_base": {
                "type": "tick",
                "color": BASELINE,
                "thickness": 3,
                "size": 34,
                "strokeDash": [4, 3],
            },
            "meta": {"type": "tick", "color": "#111827", "thickness": 5, "size": 34},
        }
        layers: list[dict[str, Any]] = [
            {"mark": marks[k], "encoding": {"x": x(k)}} for k in marks if k in present
        ]
        if not layers:
            layers.append(
                {
                    "mark": {
                        "type": "text",
                        "fontSize": FONT_SIZE,
                        "color": NEUTRAL,
                        "align": "left",
                        "x": 5,
                    },
                    "encoding": {"text": {"value": ""}},
                }
            )
        rows.append(
            {
                "layer": layers,
                "data": {"values": [present]},
                "height": 40,
                "width": width,
                "title": {"text": title, "fontSize": FONT_SIZE, "fontWeight": "normal"},
            }
        )
    spec: dict[str, Any] = {
        "$schema": alt.SCHEMA_URL,
        **copy.deepcopy(THEME_CONFIG),
        "vconcat": rows,
        "spacing": 18,
    }
    return Spec(spec)


def build_likert_chart(
    data: pd.DataFrame, *, label_title: str = "", width: int | str = "container"
) -> AltairChart:
    """Diverging stacked bars centred on the neutral answer, sorted by % favourable.

    ``data`` columns: ``etiqueta`` (dimension or item), ``respuesta`` (1–5),
    ``respuesta_txt`` (the answer's words), ``n`` (answers). The neutral answer (3) is split
    across the centre.
    """
    df = data.copy()
    totals = df.groupby("etiqueta")["n"].transform("sum")
    df["pct"] = 100 * df["n"] / totals
    fav = df[df["respuesta"] >= 4].groupby("etiqueta")["pct"].sum().rename("favorable")
    order = fav.sort_values(ascending=False).index.tolist()
    parts = []
    for label, grp in df.groupby("etiqueta", sort=False):
        g = grp.set_index("respuesta")["pct"].reindex([1, 2, 3, 4, 5], fill_value=0.0)
        left = -(g[1] + g[2] + g[3] / 2)
        for answer in (1, 2, 3, 4, 5):
            start = left
            left += g[answer]
            parts.append(
                {"etiqueta": label, "respuesta": answer, "x0": start, "x1": left, "pct": g[answer]}
            )
    seg = pd.DataFrame(parts).merge(
        df[["respuesta", "respuesta_txt"]].drop_duplicates("respuesta"),
        on="respuesta",
        how="left",
    )
    colour = alt.Color(
        "respuesta_txt:N",
        title=None,
        scale=alt.Scale(
            domain=[
                t
                for _, t in sorted(
                    seg[["respuesta", "respuesta_txt"]].drop_duplicates().itertuples(index=False)
                )
            ],
            range=LIKERT_COLOURS,
        ),
        sort=alt.SortField("respuesta"),
    )
    bars = (
        alt.Chart(seg)
        .transform_calculate(pct_txt=es_number("datum.pct", 1, " %"))
        .mark_bar()
        .encode(
            y=alt.Y(
                "etiqueta:N", sort=order, title=label_title or None, axis=alt.Axis(labelLimit=420)
            ),
            x=alt.X(
                "x0:Q",
                title="% de respuestas (izquierda: en desacuerdo; derecha: de acuerdo)",
                scale=alt.Scale(domain=[-100, 100]),
                axis=alt.Axis(labelExpr=es_number("abs(datum.value)", 0, " %")),
            ),
            x2=alt.X2("x1:Q"),
            color=colour,
            tooltip=[
                alt.Tooltip("etiqueta:N", title="Pregunta"),
                alt.Tooltip("respuesta_txt:N", title="Respuesta"),
                alt.Tooltip("pct_txt:N", title="Porcentaje"),
            ],
        )
    )
    centre = alt.Chart(pd.DataFrame({"x": [0]})).mark_rule(color="#111827").encode(x=alt.X("x:Q"))
    chart = alt.layer(bars, centre).properties(height=alt.Step(34), width=width)
    return _theme(chart)


def build_heatmap(
    data: pd.DataFrame, *, value_title: str = "Participación", width: int | str = "container"
) -> AltairChart:
    """Community × month heatmap of a 0–100 value; suppressed or empty cells stay blank.

    ``data`` columns: ``fila`` (community name), ``mes`` (``AAAA-MM``), ``mes_txt`` (month name),
    ``valor``.
    """
    df = data.copy()
    base = alt.Chart(df).transform_calculate(valor_txt=es_number("datum.valor", 0, " %"))
    x = alt.X("mes_txt:O", title=None, sort=alt.SortField("mes"), axis=alt.Axis(labelAngle=-45))
    y = alt.Y("fila:N", title=None, axis=alt.Axis(labelLimit=320))
    rect = base.mark_rect(stroke="white", strokeWidth=1).encode(
        x=x,
        y=y,
        color=alt.Color(
            "valor:Q", title=value_title + " (%)", scale=alt.Scale(scheme="blues", domain=[0, 100])
        ),
        tooltip=[
            alt.Tooltip("fila:N", title="Comunidad"),
            alt.Tooltip("mes_txt:N", title="Mes"),
            alt.Tooltip("valor_txt:N", title=value_title),
        ],
    )
    text = base.mark_text(fontSize=13).encode(
        x=x,
        y=y,
        text=alt.Text("valor_txt:N"),
        color=alt.condition("datum.valor > 60", alt.value("white"), alt.value("#111827")),
    )
    return _theme(alt.layer(rect, text).properties(height=alt.Step(34), width=width))


@functools.lru_cache(maxsize=128)
def _bar_template(
    value_title: str,
    unit: str,
    decimals: int,
    width: int | str,
    step: int,
    has_hidden: bool,
    has_target: bool,
) -> dict[str, Any]:
    """The bar chart's spec without its data (datasets ``barras``, ``ocultos``, ``meta``), its
    order and its scale's top, built by Altair once per shape; :func:`build_bar_chart` fills
    them in."""
    suffix = unit_suffix(unit)
    y = alt.Y("etiqueta:N", sort=[], title=None, axis=alt.Axis(labelLimit=360))
    x = alt.X(
        "valor:Q",
        title=value_title,
        scale=alt.Scale(domain=[0, 1]),
        axis=alt.Axis(labelExpr=es_number("datum.value", 0)),
    )
    base = alt.Chart()
    layers = [
        base.mark_bar(height=round(step * 0.65)).encode(
            x=x,
            y=y,
            color=alt.Color("color:N", scale=None, legend=None),
            tooltip=[
                alt.Tooltip("etiqueta:N", title="Grupo"),
                alt.Tooltip("valor_txt:N", title="Valor"),
                alt.Tooltip("n_txt:N", title="n"),
            ],
        ),
        base.mark_text(align="left", dx=6, fontSize=FONT_SIZE, color="#111827").encode(
            x=x, y=y, text=alt.Text("valor_txt:N")
        ),
    ]
    if has_hidden:
        layers.append(
            alt.Chart(alt.NamedData(name="ocultos"))
            .mark_text(align="left", x=6, fontSize=FONT_SIZE, color=NEUTRAL, fontStyle="italic")
            .encode(y=y, text=alt.Text("etiqueta_n:N"))
        )
    if has_target:
        rule = alt.NamedData(name="meta")
        layers.append(
            alt.Chart(rule).mark_rule(color="#111827", strokeWidth=3).encode(x=alt.X("x:Q"))
        )
        layers.append(
            alt.Chart(rule)
            .mark_text(align="left", dx=4, y=-8, fontSize=FONT_SIZE, color="#111827")
            .encode(x=alt.X("x:Q"), text=alt.Text("label:N"))
        )
    chart = (
        alt.layer(*layers, data=alt.NamedData(name="barras"))
        .transform_calculate(
            valor_txt=es_number("datum.valor", decimals, suffix), n_txt=es_number("datum.n", 0)
        )
        .properties(height=alt.Step(step), width=width)
    )
    spec: dict[str, Any] = chart.to_dict(validate=False)
    return spec


def build_bar_chart(
    data: pd.DataFrame,
    *,
    value_title: str,
    unit: str,
    decimals: int = 1,
    target: float | None = None,
    target_label: str | None = None,
    width: int | str = "container",
    step: int = 34,
) -> Spec:
    """Horizontal bars to compare groups (communities, people), sorted by value.

    ``step`` is the room of one bar in pixels (slides use more, to fill their space).

    ``data`` columns: ``etiqueta``, ``valor``, ``n``, ``suprimido`` (bool), optional ``mejor``
    (bool or None: colour by direction of the change). Suppressed groups get no bar, only the
    text "n < 10".
    """
    df = data.copy()
    df["color"] = [
        NEUTRAL if m is None or pd.isna(m) else (BETTER if m else WORSE)
        for m in (df["mejor"] if "mejor" in df else [None] * len(df))
    ]
    if "mejor" not in df:
        df["color"] = SERIES
    order = [str(e) for e in df.sort_values("valor", ascending=False)["etiqueta"]]
    top = float(df["valor"].max()) if df["valor"].notna().any() else 1.0
    domain_top = 100.0 if unit == "%" else max(top, target or 0) * 1.15 or 1.0
    shown = df[~df["suprimido"] & df["valor"].notna()]
    hidden = df[df["suprimido"]]
    spec = copy.deepcopy(
        _bar_template(
            value_title,
            unit,
            int(decimals),
            width,
            int(step),
            bool(len(hidden)),
            target is not None,
        )
    )
    for layer in spec["layer"]:
        enc = layer.get("encoding", {})
        if enc.get("y", {}).get("field") == "etiqueta":
            enc["y"]["sort"] = order
        if enc.get("x", {}).get("field") == "valor":
            enc["x"]["scale"]["domain"] = [0, domain_top]
    columns = [c for c in ("etiqueta", "valor", "n", "color") if c in shown.columns]
    spec["datasets"] = {
        "barras": _records(shown[columns]),
        "ocultos": [{"etiqueta": str(e), "etiqueta_n": "n < 10"} for e in hidden["etiqueta"]],
        "meta": [{"x": float(target), "label": target_label or "Meta"}]
        if target is not None
        else [],
    }
    return Spec(spec)


def build_planned_done_chart(
    data: pd.DataFrame,
    *,
    cutoff_label: str,
    cutoff_month: str | None,
    width: int | str = "container",
) -> AltairChart:
    """Cumulative activities planned and done per month, with the cut-off date marked.

    ``data`` columns: ``mes`` (``AAAA-MM-01`` date), ``mes_txt``, ``planificadas``,
    ``realizadas`` (cumulative counts).
    """
    long = data.melt(
        id_vars=["mes", "mes_txt"],
        value_vars=["planificadas", "realizadas"],
        var_name="serie",
        value_name="actividades",
    )
    long["serie"] = long["serie"].map(
        {"planificadas": "Planificadas (acumulado)", "realizadas": "Realizadas (acumulado)"}
    )
    colour = alt.Color(
        "serie:N",
        title=None,
        scale=alt.Scale(
            domain=["Planificadas (acumulado)", "Realizadas (acumulado)"], range=[NEUTRAL, SERIES]
        ),
    )
    x = alt.X(
        "mes:T",
        title=None,
        axis=alt.Axis(
            format="%m-%Y", labelAngle=0, tickCount=alt.TimeIntervalStep(interval="month", step=3)
        ),
    )
    y = alt.Y(
        "actividades:Q", title="Actividades", axis=alt.Axis(labelExpr=es_number("datum.value", 0))
    )
    lines = (
        alt.Chart(long)
        .mark_line(strokeWidth=3, point=True)
        .encode(
            x=x,
            y=y,
            color=colour,
            strokeDash=alt.StrokeDash(
                "serie:N", legend=None, scale=alt.Scale(range=[[6, 4], [1, 0]])
            ),
            tooltip=[
                alt.Tooltip("mes_txt:N", title="Mes"),
                alt.Tooltip("serie:N", title="Serie"),
                alt.Tooltip("actividades:Q", title="Actividades", format=",d"),
            ],
        )
    )
    layers: list[Any] = [lines]
    if cutoff_month is not None:
        cut = pd.DataFrame({"mes": [cutoff_month], "label": [cutoff_label]})
        layers.append(
            alt.Chart(cut).mark_rule(color="#111827", strokeDash=[2, 2]).encode(x=alt.X("mes:T"))
        )
        layers.append(
            alt.Chart(cut)
            .mark_text(align="left", dx=4, y=8, fontSize=FONT_SIZE, color="#111827")
            .encode(x=alt.X("mes:T"), text=alt.Text("label:N"))
        )
    return _theme(alt.layer(*layers).properties(height=320, width=width))


def build_small_multiples(
    data: pd.DataFrame,
    *,
    unit: str,
    decimals: int = 1,
    columns: int = 3,
    width: int = 260,
) -> AltairChart:
    """One small yearly chart per group, on a shared scale, with each group's baseline dashed.

    ``data`` columns: ``grupo``, ``periodo``, ``valor``, ``suprimido`` (bool), ``linea_base``.
    """
    df = data.copy()
    df["periodo"] = df["periodo"].astype(str)
    df["etiqueta_n"] = "n < 10"
    suffix = unit_suffix(unit)
    y_scale = alt.Scale(domain=[0, 100]) if unit == "%" else alt.Scale(zero=False, nice=True)
    base = alt.Chart().transform_calculate(valor_txt=es_number("datum.valor", decimals, suffix))
    visible = base.transform_filter("!datum.suprimido && isValid(datum.valor)")
    x = alt.X("periodo:O", title=None, axis=alt.Axis(labelAngle=0))
    y = alt.Y(
        "valor:Q",
        title=None,
        scale=y_scale,
        axis=alt.Axis(labelExpr=es_number("datum.value", 0), tickCount=4),
    )
    layers = [
        visible.mark_rule(color=BASELINE, strokeDash=[6, 4]).encode(y=alt.Y("mean(linea_base):Q")),
        visible.mark_line(color=SERIES, strokeWidth=3, point=alt.OverlayMarkDef(size=80)).encode(
            x=x,
            y=y,
            tooltip=[
                alt.Tooltip("periodo:N", title="Año"),
                alt.Tooltip("valor_txt:N", title="Valor"),
            ],
        ),
        visible.mark_text(dy=-12, fontSize=13, color="#111827").encode(
            x=x, y=y, text=alt.Text("valor_txt:N")
        ),
        base.transform_filter("datum.suprimido")
        .mark_text(fontSize=13, color=NEUTRAL, fontStyle="italic", y=120)
        .encode(x=x, text=alt.Text("etiqueta_n:N")),
    ]
    chart = (
        alt.layer(*layers, data=df)
        .properties(width=width, height=150)
        .facet(
            facet=alt.Facet(
                "grupo:N", title=None, header=alt.Header(labelFontSize=FONT_SIZE, labelLimit=width)
            ),
            columns=columns,
        )
        .resolve_scale(y="shared")
    )
    return _theme(chart)
