"""Altair builders with one visual language: data in, ``alt.Chart`` out.

Conventions (docs/diseno.md): baseline as a dashed grey rule labelled "Línea base AAAA";
target as a light band labelled "Meta AAAA"; colour by the good/bad direction of a change
(blue-teal better, orange worse, grey not conclusive — never red/green alone); suppressed
groups are never drawn as a mark but as the text "n < 10"; numbers in es-CL (decimal comma,
thousands point) through Vega expressions, so the same spec reads right in the browser and in
PNGs rendered by vl-convert; text at least 14 px for projectors (slides: 22 px). One axis
policy (docs/diseno.md, «Ejes»): bars from zero, lines scaled to their data with a subtitle
saying so, ticks at round steps whose labels never repeat; baseline and target labelled outside
the plot's right edge, moved apart when close.

No Streamlit and no SQL here: builders take DataFrames shaped by ``metrics`` and return charts.
"""

from __future__ import annotations

import copy
import functools
import json
import math
import textwrap
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import altair as alt
import pandas as pd
from altair.utils import schemapi

from metrics.formatting import MONTHS_ES, format_number

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
    "Sin cambio medido": "#111827",
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


def value_axis(decimals: int, **kwargs: Any) -> alt.Axis:
    """A quantitative axis whose labels carry ``decimals`` decimals (decimal comma) and whose
    ticks are never closer than one unit of the last decimal, so no two labels read the same
    (``3 3 3 2`` where the ticks were 3,4 · 3,2 · 3,0 · 2,8)."""
    return alt.Axis(labelExpr=tick_label(decimals), tickMinStep=10.0**-decimals, **kwargs)


def tick_label(decimals: int, expr: str = "datum.value", suffix: str = "") -> str:
    """A tick label with ``decimals`` decimals, blank on a tick that is not a multiple of the
    last decimal: Vega takes ``tickMinStep`` as a wish, and a narrow domain still gets ticks at
    3,5 · 4,0 · 4,5 that whole-number labels would read «4 4 5»."""
    scale = 10**decimals
    exact = f"abs({expr} * {scale} - round({expr} * {scale})) < 1e-6"
    return f"({exact}) ? {es_number(expr, decimals, suffix)} : ''"


def axis_decimals(unit: str, decimals: int) -> int:
    """How many decimals a chart's axis labels carry: whole points for a percentage (its
    values keep their own decimals in labels and tooltips), the indicator's own otherwise."""
    return 0 if unit == "%" else decimals


# -- the axis policy ------------------------------------------------------------------------
#
# One rule for every chart (docs/diseno.md, «Ejes»): a bar (and a bullet's bar) starts at zero,
# since its length is the value, and ends a little past the largest value (a 1,7 % bar is not
# drawn on a 0–100 axis); a line is scaled to its data (92 → 94 % is visible) and its chart
# says so in a subtitle; the ticks are chosen here, at round steps whose labels carry exactly
# the decimals of the step, so that no two labels read the same on a page, a slide or a PDF.

SCALED_NOTE = "Escala ajustada a los datos: el eje vertical no parte de 0."
"""The subtitle of a line whose axis does not start at zero."""


def nice_step(span: float, ticks: int = 5) -> float:
    """A round step (1, 2, 2,5 or 5 × 10ᵏ) that cuts ``span`` into about ``ticks`` parts.

    >>> nice_step(4.0), nice_step(100.0), nice_step(0.6)
    (1.0, 20.0, 0.2)
    """
    if not span > 0:
        return 1.0
    raw = span / ticks
    power = 10.0 ** math.floor(math.log10(raw))
    for mult in (1.0, 2.0, 2.5, 5.0, 10.0):
        if raw <= mult * power * 1.0000001:
            return float(f"{mult * power:.10g}")
    return 10.0 * power  # pragma: no cover - the loop always returns


def step_decimals(step: float) -> int:
    """The decimals a tick at multiples of ``step`` needs (2,5 → 1; 0,25 → 2; 20 → 0).

    >>> step_decimals(2.5), step_decimals(0.25), step_decimals(20.0)
    (1, 2, 0)
    """
    for digits in range(0, 6):
        if abs(step * 10**digits - round(step * 10**digits)) < 1e-9:
            return digits
    return 6


@dataclass(frozen=True)
class ValueScale:
    """A value axis: its domain and its ticks (with the decimals their labels carry)."""

    low: float
    high: float
    step: float
    decimals: int

    @property
    def ticks(self) -> list[float]:
        count = round((self.high - self.low) / self.step)
        return [round(self.low + i * self.step, 10) for i in range(count + 1)]

    @property
    def from_zero(self) -> bool:
        return self.low == 0

    def axis(self, suffix: str = "", **kwargs: Any) -> dict[str, Any]:
        """The Vega-Lite axis: these ticks, labelled in es-CL with their decimals."""
        return {
            "values": self.ticks,
            "labelExpr": es_number("datum.value", self.decimals, suffix),
            **kwargs,
        }

    def scale(self) -> dict[str, Any]:
        return {"domain": [self.low, self.high], "nice": False, "zero": False}

    def to_pixels(self, value: float, height: float) -> float:
        """Distance from the top of a plot ``height`` pixels tall to ``value``."""
        return height * (self.high - value) / (self.high - self.low)

    def to_value(self, pixels: float, height: float) -> float:
        return self.high - pixels * (self.high - self.low) / height


def _present(values: Iterable[Any]) -> list[float]:
    out = []
    for v in values:
        if v is None:
            continue
        try:
            f = float(v)
        except (TypeError, ValueError):
            continue
        if math.isfinite(f):
            out.append(f)
    return out


def bar_scale(values: Iterable[Any], unit: str, ticks: int = 5) -> ValueScale:
    """The axis of a bar: from zero to a round step past the largest value (a percentage never
    past 100).

    >>> s = bar_scale([1.7, 3.0, 2.0], "%"); (s.low, s.high, s.step, s.decimals)
    (0.0, 4.0, 1.0, 0)
    >>> bar_scale([93.0, 40.0], "%").high
    100.0
    """
    present = [abs(v) for v in _present(values)]
    # Below a hundredth a bar is nothing to compare: the axis still spans a readable range.
    top = max([*present, 0.01]) if present and max(present) > 0 else 1.0
    step = nice_step(top * 1.05, ticks)
    high = math.ceil(top * 1.05 / step - 1e-9) * step
    if unit == "%" and high > 100:
        high, step = 100.0, nice_step(100.0, ticks)
    return ValueScale(0.0, float(f"{high:.10g}"), step, step_decimals(step))


def line_scale(values: Iterable[Any], unit: str, decimals: int = 1, ticks: int = 5) -> ValueScale:
    """The axis of a line: the data (value, baseline, target, interval) with some room,
    rounded out to round steps; never under 0 nor, for a percentage, over 100.

    >>> s = line_scale([92.0, 93.1, 94.0], "%"); (s.low, s.high, s.step, s.decimals)
    (91.5, 94.5, 0.5, 1)
    >>> s = line_scale([2.9, 3.3], "puntos", 2); (s.low, s.high, s.decimals)
    (2.8, 3.4, 1)
    """
    present = _present(values)
    if not present:
        return ValueScale(0.0, 100.0 if unit == "%" else 1.0, 20.0 if unit == "%" else 0.2, 0)
    lo, hi = min(present), max(present)
    least = max(10.0 ** -min(decimals, 2) * 4, abs(hi) * 0.02)  # a flat series keeps a span
    span = max(hi - lo, least)
    pad = span * 0.12
    lo, hi = lo - pad, hi + pad
    if hi - lo < least:
        mid = (lo + hi) / 2
        lo, hi = mid - least / 2, mid + least / 2
    step = nice_step(hi - lo, ticks)
    low = math.floor(lo / step + 1e-9) * step
    high = math.ceil(hi / step - 1e-9) * step
    low = max(low, 0.0)
    if unit == "%":
        high = min(high, 100.0)
    return ValueScale(float(f"{low:.10g}"), float(f"{high:.10g}"), step, step_decimals(step))


def spread_labels(
    positions: list[float], gap: float, low: float = -math.inf, high: float = math.inf
) -> list[float]:
    """Pixel positions of labels moved apart until each is at least ``gap`` from the next,
    in their order, as little as possible (the middle of a cluster stays where it was).

    >>> spread_labels([100.0, 104.0], 20.0)
    [92.0, 112.0]
    >>> spread_labels([10.0, 200.0], 20.0)
    [10.0, 200.0]
    """
    order = sorted(range(len(positions)), key=lambda i: positions[i])
    placed = [positions[i] for i in order]
    for _ in range(len(placed) * 4):
        moved = False
        for i in range(len(placed) - 1):
            overlap = gap - (placed[i + 1] - placed[i])
            if overlap > 1e-9:
                placed[i] -= overlap / 2
                placed[i + 1] += overlap / 2
                moved = True
        if placed and placed[0] < low:
            shift = low - placed[0]
            placed = [p + shift for p in placed]
        if placed and placed[-1] > high and placed[0] - (placed[-1] - high) >= low:
            shift = placed[-1] - high
            placed = [p - shift for p in placed]
        if not moved:
            break
    out = [0.0] * len(positions)
    for rank, i in enumerate(order):
        out[i] = placed[rank]
    return out


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


FIT_WIDTH = {"type": "fit-x", "contains": "padding"}
"""A chart as wide as it is given (its container's width on a page), axes and labels
included, and as tall as its plot's ``height`` plus its titles, axes and legend: the plot keeps
the height the builder laid its labels out for (Streamlit fits the whole chart in ``height``
otherwise, and a legend squeezes the plot)."""

TREND_HEIGHT = 320
"""Height (px) of a trend's plot on a page."""


@functools.lru_cache(maxsize=256)
def _trend_template(
    unit: str,
    decimals: int,
    width: int | str,
    height: int,
    font: int,
    has_target: bool,
    has_baseline: bool,
    has_interval: bool,
    has_tone: bool,
    has_hidden: bool,
    has_comparison: bool = False,
) -> dict[str, Any]:
    """The trend chart's spec without its data (named datasets ``serie``, ``meta``,
    ``base`` and ``ocultos``), its title and its value axis, built by Altair once per shape:
    building it is most of a page's time, and a page draws the same shapes for every school.

    The baseline's and the target's labels sit outside the plot, at its right edge, each at
    the height the builder gives it (``label_y``): they never cover a point's label, and
    the builder moves them apart when their values are close."""
    suffix = unit_suffix(unit)
    x = alt.X("periodo:O", title="Año", axis=alt.Axis(labelAngle=0))
    y = alt.Y("valor:Q", title=None)
    tooltip = [
        alt.Tooltip("periodo:N", title="Período"),
        alt.Tooltip("valor_txt:N", title="Valor"),
        alt.Tooltip("n_txt:N", title="n"),
    ]
    base = alt.Chart()
    layers: list[alt.Chart] = []
    rule_label = dict(align="left", baseline="middle", dx=10, fontSize=font, x="width")
    if has_target:
        band = alt.NamedData(name="meta")
        layers.append(
            alt.Chart(band)
            .mark_rule(color=TARGET_FILL, strokeWidth=14, opacity=0.8)
            .encode(y=alt.Y("y:Q"))
        )
        layers.append(
            alt.Chart(band)
            .mark_text(color="#0F5257", fontWeight="bold", **rule_label)  # type: ignore[arg-type]
            .encode(y=alt.Y("label_y:Q"), text=alt.Text("label:N"))
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
            .mark_text(color=BASELINE, **rule_label)  # type: ignore[arg-type]
            .encode(y=alt.Y("label_y:Q"), text=alt.Text("label:N"))
        )
    if has_interval:
        layers.append(
            base.mark_rule(color=SERIES, strokeWidth=2, opacity=0.5).encode(
                x=x, y=alt.Y("ic_inferior:Q"), y2=alt.Y2("ic_superior:Q")
            )
        )
    if has_comparison:
        # The comparison group: grey, dashed, hollow points, named at its last point.
        group = alt.Chart(alt.NamedData(name="comparacion"))
        if has_interval:  # its interval, like the series' (offset so the two bars show)
            layers.append(
                group.mark_rule(color=NEUTRAL, strokeWidth=2, opacity=0.45, xOffset=6).encode(
                    x=x, y=alt.Y("ic_inferior:Q"), y2=alt.Y2("ic_superior:Q")
                )
            )
        layers.append(
            group.mark_line(color=NEUTRAL, strokeWidth=2, strokeDash=[5, 4]).encode(x=x, y=y)
        )
        layers.append(
            group.mark_point(color=NEUTRAL, filled=False, size=90, strokeWidth=2).encode(
                x=x,
                y=y,
                tooltip=[
                    alt.Tooltip("periodo:N", title="Período"),
                    alt.Tooltip("valor_txt:N", title="Resto del establecimiento"),
                ],
            )
        )
        # Its name left of its last point, on the side away from the series (``label_y``).
        layers.append(
            group.mark_text(
                align="right", baseline="middle", dx=-12, fontSize=font, color="#4B5563"
            ).encode(x=x, y=alt.Y("label_y:Q"), text=alt.Text("etiqueta:N"))
        )
    layers.append(base.mark_line(color=SERIES, strokeWidth=3).encode(x=x, y=y))
    if has_tone:
        tone = alt.Color(
            "tono:N",
            title=None,
            scale=alt.Scale(domain=list(TONE_COLOURS), range=list(TONE_COLOURS.values())),
            legend=alt.Legend(columns=2, labelLimit=0),
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
            align="left", dx=12, dy=-14, fontSize=font, fontWeight="bold", color="#111827"
        ).encode(x=x, y=y, text=alt.Text("valor_txt:N"))
    )
    if has_hidden:
        layers.append(
            alt.Chart(alt.NamedData(name="ocultos"))
            .mark_text(fontSize=font, color=NEUTRAL, fontStyle="italic", y="height", dy=-12)
            .encode(x=x, text=alt.Text("etiqueta:N"))
        )
    chart = (
        alt.layer(*layers, data=alt.NamedData(name="serie"))
        .transform_calculate(
            valor_txt=es_number("datum.valor", decimals, suffix),
            n_txt=es_number("datum.n", 0),
        )
        .properties(height=height, width=width)
    )
    spec: dict[str, Any] = chart.to_dict(validate=False)
    if font != FONT_SIZE:
        spec["config"] = sized_config(font)
    return spec


def sized_config(font: int) -> dict[str, Any]:
    """The theme's configuration with every text at ``font`` px (slides: 22 px)."""
    config: dict[str, Any] = copy.deepcopy(THEME_CONFIG["config"])
    config["axis"].update(labelFontSize=font, titleFontSize=font)
    config["legend"].update(labelFontSize=font, titleFontSize=font, labelLimit=0)
    config["title"].update(fontSize=font + 4, subtitleFontSize=font)
    config["header"] = {"labelFontSize": font, "titleFontSize": font}
    return config


def _set_value_axis(
    spec: dict[str, Any], channel: str, scale: ValueScale, suffix: str, title: str | None = None
) -> None:
    """Give every ``channel`` encoding of a (layered) spec the scale's domain and ticks: a
    layer's encodings share one scale and one axis, so they all say the same."""
    for layer in spec.get("layer", [spec]):
        enc = layer.get("encoding", {}).get(channel)
        if enc is None:
            continue
        enc["scale"] = scale.scale()
        enc["axis"] = scale.axis(suffix, title=title)


COMPARISON_LABEL = "Resto del establecimiento"
"""The comparison group's name at the end of its line (a community's trend chart)."""


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
    width: int | str = "container",
    height: int = TREND_HEIGHT,
    font: int = FONT_SIZE,
    comparison: pd.DataFrame | None = None,
    comparison_label: str = COMPARISON_LABEL,
) -> Spec:
    """Yearly series against its baseline (dashed rule) and target (band).

    A line: its axis is scaled to the data (:func:`line_scale`); when it does not start at
    zero, the chart's subtitle says so. ``title`` heads the chart (the axis carries only its
    ticks, so a long name is never cut). ``height`` is the plot's, ``font`` every text's.

    ``data`` columns: ``periodo`` (str), ``valor`` (NaN when suppressed or missing), ``n``,
    ``suprimido`` (bool), optional ``ic_inferior``/``ic_superior`` (bounds of the value) and
    ``tono`` (the point's colour: one of :data:`TONE_COLOURS`).
    ``comparison``: the comparison group's ``periodo`` and ``valor`` (a community's rest of
    the school), drawn grey and dashed beside the series, named ``comparison_label`` at its
    last point.
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
            unit,
            int(decimals),
            width,
            int(height),
            int(font),
            target is not None,
            baseline is not None,
            has_interval,
            "tono" in shown.columns,
            bool(len(hidden)),
            comparison is not None and bool(comparison["valor"].notna().any()),
        )
    )
    values = [*shown["valor"], baseline, target]
    group: list[dict[str, Any]] = []
    if comparison is not None:
        present = comparison[comparison["valor"].notna()]
        values += list(present["valor"])
        if has_interval and {"ic_inferior", "ic_superior"} <= set(present.columns):
            values += [*present["ic_inferior"].dropna(), *present["ic_superior"].dropna()]
        no_bound = pd.Series(float("nan"), index=present.index)
        lows, highs = (present.get(c, no_bound) for c in ("ic_inferior", "ic_superior"))
        group = [
            {
                "periodo": str(p),
                "valor": float(v),
                "etiqueta": "",
                "ic_inferior": None if pd.isna(lo) else float(lo),
                "ic_superior": None if pd.isna(hi) else float(hi),
            }
            for p, v, lo, hi in zip(present["periodo"], present["valor"], lows, highs, strict=True)
        ]
        if group:
            group[-1]["etiqueta"] = comparison_label
    if has_interval:
        values += [*shown["ic_inferior"], *shown["ic_superior"]]
    scale = line_scale(values, unit, int(decimals))
    _set_value_axis(spec, "y", scale, unit_suffix(unit))
    for point in group:
        point["label_y"] = point["valor"]
    if group:
        # The comparison's name a line away from its last point, on the side away from the
        # series' value of that period (whose own label sits above it).
        last = group[-1]
        mine = shown.loc[shown["periodo"] == last["periodo"], "valor"]
        above = mine.empty or last["valor"] >= float(mine.iloc[0])
        step = scale.to_value(0, height) - scale.to_value(font * 1.3, height)
        last["label_y"] = last["valor"] + (step if above else -step)
    rules = [
        (name, float(v), label)
        for name, v, label in (
            ("meta", target, target_label or "Meta"),
            ("base", baseline, baseline_label or "Línea base"),
        )
        if v is not None
    ]
    pixels = spread_labels(
        [scale.to_pixels(v, height) for _, v, _ in rules], gap=font * 1.3, low=font / 2
    )
    datasets: dict[str, list[dict[str, Any]]] = {"meta": [], "base": []}
    for (name, v, label), px in zip(rules, pixels, strict=True):
        datasets[name] = [{"y": v, "label": label, "label_y": scale.to_value(px, height)}]
    spec["datasets"] = {
        "serie": _records(shown.drop(columns=["suprimido"])),
        **datasets,
        "ocultos": [{"periodo": p, "etiqueta": "n < 10"} for p in hidden["periodo"]],
        "comparacion": group,
    }
    spec["autosize"] = FIT_WIDTH
    spec["title"] = {
        "text": title,
        "subtitle": "" if scale.from_zero else SCALED_NOTE,
        "anchor": "start",
        "fontSize": font,
        "subtitleFontSize": max(font - 1, 14),
        "subtitleColor": "#4B5563",
        "limit": 0,
    }
    return Spec(spec)


def _fmt(value: Any, decimals: int, suffix: str) -> str:
    """es-CL text of a number for a chart title ("–" when missing)."""
    if value is None or pd.isna(value):
        return "–"
    text = f"{float(value):,.{decimals}f}".replace(",", "_").replace(".", ",").replace("_", ".")
    return text.replace("-", "−") + suffix


def build_bullet_chart(
    data: pd.DataFrame,
    *,
    decimals: int = 1,
    width: int | str = "container",
    height: int = 40,
    font: int = FONT_SIZE,
) -> Spec:
    """One bullet per indicator: the value as a bar, the baseline as a dashed tick, the target
    as a thick tick; each indicator on its own scale, its numbers in its title.

    A bar: each scale starts at zero and ends a round step past the largest of the value,
    baseline and target (:func:`bar_scale`), so a 1,7 % bar is seen. ``height`` is one
    bullet's, ``font`` every text's.

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
        scale = bar_scale(present.values(), str(rec["unidad"]), ticks=4)
        if suppressed:
            title = f"{rec['nombre']}: n < 10, grupo pequeño (no se muestra)"
        else:
            # What is missing said in words, never a dash («línea base –»).
            base = present.get("linea_base")
            target = present.get("meta")
            title = (
                f"{rec['nombre']}: "
                + (_fmt(rec["valor"], digits, text_suffix) if "valor" in present else "sin datos")
                + (
                    " · sin línea base"
                    if base is None
                    else f" · línea base {_fmt(base, digits, text_suffix)}"
                )
                + (
                    " · sin meta"
                    if target is None
                    else f" · meta {_fmt(target, digits, text_suffix)}"
                )
            )

        def x(field: str, scale: ValueScale = scale) -> dict[str, Any]:
            return {
                "field": field,
                "type": "quantitative",
                "scale": scale.scale(),
                "axis": scale.axis(title=None),
            }

        marks = {
            "valor": {"type": "bar", "color": colour, "height": round(height * 0.45)},
            "linea_base": {
                "type": "tick",
                "color": BASELINE,
                "thickness": 3,
                "size": round(height * 0.85),
                "strokeDash": [4, 3],
            },
            "meta": {
                "type": "tick",
                "color": "#111827",
                "thickness": 5,
                "size": round(height * 0.85),
            },
        }
        layers: list[dict[str, Any]] = [
            {"mark": marks[k], "encoding": {"x": x(k)}} for k in marks if k in present
        ]
        if not layers:
            layers.append(
                {
                    "mark": {
                        "type": "text",
                        "fontSize": font,
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
                "height": height,
                "width": width,
                "title": {"text": title, "fontSize": font, "fontWeight": "normal", "limit": 0},
            }
        )
    spec: dict[str, Any] = {
        "$schema": alt.SCHEMA_URL,
        "config": sized_config(font),
        "vconcat": rows,
        "spacing": max(12, round(height * 0.4)),
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
        # Whole answers, over rows: «Ni de acuerdo ni en desacuerdo» is never cut.
        legend=alt.Legend(columns=2, labelLimit=0, symbolLimit=0),
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
                axis=alt.Axis(labelExpr=tick_label(0, "abs(datum.value)", " %"), tickMinStep=1),
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


def short_month(month: str) -> str:
    """«sep 2025» for ``2025-09`` (or ``2025-09-01``): a month as an axis label.

    >>> short_month("2025-09"), short_month("2024-03-01")
    ('sep 2025', 'mar 2024')
    """
    year, number = month.split("-")[:2]
    return f"{MONTHS_ES[int(number) - 1][:3]} {year}"


def build_heatmap(
    data: pd.DataFrame, *, value_title: str = "Participación", width: int | str = "container"
) -> AltairChart:
    """Community × month heatmap of a 0–100 value; suppressed or empty cells stay blank.

    ``data`` columns: ``fila`` (community name), ``mes`` (``AAAA-MM``), ``mes_txt`` (month name),
    ``valor``.
    """
    df = data.copy()
    df["mes_corto"] = [short_month(str(m)) for m in df["mes"]]
    base = alt.Chart(df).transform_calculate(valor_txt=es_number("datum.valor", 0, " %"))
    # Months abbreviated (es-CL «sep 2025») so that a label is never cut nor skipped; the
    # tooltip keeps the month's whole name.
    x = alt.X(
        "mes_corto:O",
        title=None,
        sort=alt.SortField("mes"),
        # Upright and short, every month keeps its label: «mar» over «2025» where a year starts
        # (the first month, and January), the month alone elsewhere.
        axis=alt.Axis(
            labelAngle=0,
            labelLimit=0,
            labelExpr="datum.index == 0 || indexof(datum.label, 'ene') == 0 "
            "? split(datum.label, ' ') : split(datum.label, ' ')[0]",
        ),
    )
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
    text = base.mark_text(fontSize=FONT_SIZE - 1).encode(
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
    font: int,
    has_hidden: bool,
    has_target: bool,
) -> dict[str, Any]:
    """The bar chart's spec without its data (datasets ``barras``, ``ocultos``, ``meta``), its
    order and its value axis, built by Altair once per shape; :func:`build_bar_chart` fills
    them in."""
    suffix = unit_suffix(unit)
    y = alt.Y("etiqueta:N", sort=[], title=None, axis=alt.Axis(labelLimit=round(24 * font)))
    x = alt.X("valor:Q", title=value_title)
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
        base.mark_text(align="left", dx=6, fontSize=font, color="#111827").encode(
            x=x, y=y, text=alt.Text("valor_txt:N")
        ),
    ]
    if has_hidden:
        layers.append(
            alt.Chart(alt.NamedData(name="ocultos"))
            .mark_text(align="left", x=6, fontSize=font, color=NEUTRAL, fontStyle="italic")
            .encode(y=y, text=alt.Text("etiqueta_n:N"))
        )
    if has_target:
        rule = alt.NamedData(name="meta")
        layers.append(
            alt.Chart(rule).mark_rule(color="#111827", strokeWidth=3).encode(x=alt.X("x:Q"))
        )
        layers.append(
            alt.Chart(rule)
            .mark_text(align="left", dx=4, y=-10, fontSize=font, color="#111827")
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
    spec["autosize"] = FIT_WIDTH
    # Room on the right for the label of the longest bar («92,3 %» past the plot's end).
    spec["padding"] = {"left": 5, "top": 5, "bottom": 5, "right": round(font * 4)}
    if font != FONT_SIZE:
        spec["config"] = sized_config(font)
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
    font: int = FONT_SIZE,
) -> Spec:
    """Horizontal bars to compare groups (communities, people), sorted by value.

    A bar starts at zero and its axis ends a round step past the largest value or target
    (:func:`bar_scale`). ``step`` is the room of one bar in pixels (slides use more, to fill
    their space); ``font`` the size of every text.

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
    shown = df[~df["suprimido"] & df["valor"].notna()]
    hidden = df[df["suprimido"]]
    spec = copy.deepcopy(
        _bar_template(
            value_title,
            unit,
            int(decimals),
            width,
            int(step),
            int(font),
            bool(len(hidden)),
            target is not None,
        )
    )
    scale = bar_scale([*shown["valor"], target], unit)
    _set_value_axis(spec, "x", scale, unit_suffix(unit), title=value_title)
    for layer in spec["layer"]:
        enc = layer.get("encoding", {})
        if enc.get("y", {}).get("field") == "etiqueta":
            enc["y"]["sort"] = order
        near_end = target is not None and target > scale.low + 0.6 * (scale.high - scale.low)
        if enc.get("text", {}).get("field") == "label" and near_end:
            # A target near the axis' end is labelled to its left, inside the plot.
            layer["mark"].update(align="right", dx=-6)
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
        # Above the plot: on the right a width-fitted chart pushed it out of sight.
        legend=alt.Legend(orient="top", direction="horizontal", labelLimit=0),
    )
    x = alt.X(
        "mes:T",
        title=None,
        axis=alt.Axis(
            format="%m-%Y", labelAngle=0, tickCount=alt.TimeIntervalStep(interval="month", step=3)
        ),
    )
    y = alt.Y("actividades:Q", title="Actividades", axis=value_axis(0))
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
    width: int | str = 210,
    height: int = 150,
    font: int = FONT_SIZE,
) -> AltairChart:
    """One small yearly chart per group, on a shared scale, with each group's baseline dashed.

    Lines: the shared axis is scaled to the data (:func:`line_scale`) and the chart's subtitle
    says so. ``width`` is one small chart's: three of 210 px fit a card at 1366 px. A single
    group is one chart, its name as the title, and may be ``"container"`` wide (a facet
    cannot): it then fills its card at any screen width.

    ``data`` columns: ``grupo``, ``periodo``, ``valor``, ``suprimido`` (bool), ``linea_base``.
    """
    df = data.copy()
    df["periodo"] = df["periodo"].astype(str)
    df["etiqueta_n"] = "n < 10"
    single = df["grupo"].nunique() == 1
    if not single:
        # A long name wraps over lines above its chart instead of being cut at its width.
        per_line = max(12, int(int(width) / (FONT_SIZE * 0.5)))
        df["grupo"] = ["\n".join(textwrap.wrap(str(g), per_line)) or str(g) for g in df["grupo"]]
    suffix = unit_suffix(unit)
    visible_rows = df[~df["suprimido"].astype(bool)]
    scale = line_scale([*visible_rows["valor"], *visible_rows["linea_base"]], unit, decimals, 4)
    base = alt.Chart().transform_calculate(valor_txt=es_number("datum.valor", decimals, suffix))
    visible = base.transform_filter("!datum.suprimido && isValid(datum.valor)")
    x = alt.X("periodo:O", title=None, axis=alt.Axis(labelAngle=0))
    y = alt.Y(
        "valor:Q",
        title=None,
        scale=alt.Scale(**scale.scale()),
        axis=alt.Axis(**scale.axis(suffix if unit == "%" else "")),
    )
    text_size = font - 1
    layers = [
        visible.mark_rule(color=BASELINE, strokeDash=[6, 4]).encode(
            y=alt.Y("mean(linea_base):Q", scale=alt.Scale(**scale.scale()))
        ),
        visible.mark_line(color=SERIES, strokeWidth=3, point=alt.OverlayMarkDef(size=80)).encode(
            x=x,
            y=y,
            tooltip=[
                alt.Tooltip("periodo:N", title="Año"),
                alt.Tooltip("valor_txt:N", title="Valor"),
            ],
        ),
        visible.mark_text(dy=-14, fontSize=text_size, color="#111827").encode(
            x=x, y=y, text=alt.Text("valor_txt:N")
        ),
        base.transform_filter("datum.suprimido")
        .mark_text(fontSize=text_size, color=NEUTRAL, fontStyle="italic", y=height * 0.8)
        .encode(x=x, text=alt.Text("etiqueta_n:N")),
    ]
    if single:
        note = None if scale.from_zero else SCALED_NOTE
        one = alt.layer(*layers, data=df).properties(
            width=width,
            height=height,
            autosize=FIT_WIDTH,
            title=alt.TitleParams(
                text=str(df["grupo"].iloc[0]),
                subtitle=note or "",
                fontSize=font,
                subtitleFontSize=font - 1,
                subtitleColor="#4B5563",
                anchor="start",
            ),
        )
        return _theme(one)
    chart = (
        alt.layer(*layers, data=df)
        .properties(width=width, height=height)
        .facet(
            facet=alt.Facet(
                "grupo:N",
                title=None,
                header=alt.Header(
                    labelFontSize=font,
                    labelLimit=0,
                    labelAnchor="start",
                    labelExpr="split(datum.label, '\\n')",
                ),
            ),
            columns=columns,
            spacing={"row": 24, "column": 16},
        )
        .resolve_scale(y="shared")
    )
    if not scale.from_zero:
        chart = chart.properties(
            title=alt.TitleParams(
                text=SCALED_NOTE,
                fontSize=font - 1,
                fontWeight="normal",
                color="#4B5563",
                anchor="start",
            )
        )
    return _theme(chart)


def build_group_lines(
    data: pd.DataFrame,
    *,
    unit: str,
    decimals: int = 0,
    width: int | str = "container",
    height: int = 300,
) -> AltairChart:
    """Several yearly series in one chart, one line per group (a legend names them), on an
    axis scaled to the data: the IDPS of a grade on a slide. Never a line across groups.

    ``data`` columns: ``grupo``, ``periodo``, ``valor`` (missing values draw no point).
    """  # fmt: skip
    df = data.dropna(subset=["valor"]).copy()
    df["periodo"] = df["periodo"].astype(str)
    suffix = unit_suffix(unit)
    scale = line_scale(list(df["valor"]), unit, decimals, 4)
    base = alt.Chart(df).transform_calculate(valor_txt=es_number("datum.valor", decimals, suffix))
    x = alt.X("periodo:O", title=None, axis=alt.Axis(labelAngle=0))
    y = alt.Y(
        "valor:Q",
        title=None,
        scale=alt.Scale(**scale.scale()),
        axis=alt.Axis(**scale.axis(suffix if unit == "%" else "")),
    )
    colour = alt.Color(
        "grupo:N",
        title=None,
        legend=alt.Legend(orient="bottom", columns=2, labelLimit=0),
        # Not the better/worse colours: a line here is an indicator, not a judgement.
        scale=alt.Scale(range=[SERIES, "#6A3D9A", "#8C6D0B", BASELINE]),
    )
    lines = base.mark_line(strokeWidth=3, point=alt.OverlayMarkDef(size=80)).encode(
        x=x,
        y=y,
        color=colour,
        tooltip=[
            alt.Tooltip("grupo:N", title="Indicador"),
            alt.Tooltip("periodo:N", title="Año"),
            alt.Tooltip("valor_txt:N", title="Valor"),
        ],
    )
    chart = lines.properties(width=width, height=height)
    if not scale.from_zero:
        chart = chart.properties(
            title=alt.TitleParams(text=SCALED_NOTE, fontWeight="normal", anchor="start")
        )
    return _theme(chart)


def build_grouped_bars(
    data: pd.DataFrame,
    *,
    value_title: str,
    unit: str,
    decimals: int = 1,
    width: int = 420,
    step: int = 30,
) -> AltairChart:
    """Bars of many groups (communities) gathered under their parent (their school), one
    block per parent, all on one shared axis from zero, so that a territory's communities
    compare at a glance; each group's baseline is a dashed tick.

    ``data`` columns: ``grupo`` (community), ``padre`` (school), ``valor``, ``linea_base``,
    ``suprimido`` (bool), ``mejor`` (bool or None: colour by the change's direction). A
    suppressed group gets the text "n < 10" and no bar.
    """
    df = data.copy()
    df["color"] = [
        NEUTRAL if m is None or pd.isna(m) else (BETTER if m else WORSE) for m in df["mejor"]
    ]
    df["etiqueta_n"] = "n < 10"
    df["suprimido"] = df["suprimido"].astype(bool)
    visible = df[~df["suprimido"]]
    scale = bar_scale([*visible["valor"], *visible["linea_base"]], unit)
    suffix = unit_suffix(unit)
    x = alt.X(
        "valor:Q",
        title=value_title,
        scale=alt.Scale(**scale.scale()),
        axis=alt.Axis(**scale.axis(suffix)),
    )
    y = alt.Y(
        "grupo:N",
        title=None,
        sort=alt.EncodingSortField("valor", op="max", order="descending"),
        axis=alt.Axis(labelLimit=300),
    )
    base = alt.Chart().transform_calculate(
        valor_txt=es_number("datum.valor", decimals, suffix),
        base_txt=es_number("datum.linea_base", decimals, suffix),
        # The value's label starts past the bar and past its baseline tick, never on it.
        label_x="isValid(datum.linea_base) ? max(datum.valor, datum.linea_base) : datum.valor",
    )
    shown = base.transform_filter("!datum.suprimido && isValid(datum.valor)")
    layers = [
        shown.mark_bar(height=round(step * 0.65)).encode(
            x=x,
            y=y,
            color=alt.Color("color:N", scale=None, legend=None),
            tooltip=[
                alt.Tooltip("padre:N", title="Establecimiento"),
                alt.Tooltip("grupo:N", title="Comunidad"),
                alt.Tooltip("valor_txt:N", title="Valor"),
                alt.Tooltip("base_txt:N", title="Línea base"),
            ],
        ),
        shown.transform_filter("isValid(datum.linea_base)")
        .mark_tick(color=BASELINE, thickness=3, size=round(step * 0.9), strokeDash=[4, 3])
        .encode(x=alt.X("linea_base:Q"), y=y),
        shown.mark_text(align="left", dx=8, fontSize=FONT_SIZE - 1, color="#111827").encode(
            x=alt.X("label_x:Q"), y=y, text=alt.Text("valor_txt:N")
        ),
        base.transform_filter("datum.suprimido")
        .mark_text(align="left", x=6, fontSize=FONT_SIZE - 1, color=NEUTRAL, fontStyle="italic")
        .encode(y=y, text=alt.Text("etiqueta_n:N")),
    ]
    chart = (
        alt.layer(*layers, data=df)
        .properties(width=width, height=alt.Step(step))
        .facet(
            row=alt.Row(
                "padre:N",
                title=None,
                header=alt.Header(
                    labelAngle=0,
                    labelOrient="top",
                    labelAnchor="start",
                    labelAlign="left",
                    labelFontSize=FONT_SIZE,
                    labelFontWeight="bold",
                    labelLimit=0,
                ),
            ),
            spacing=10,
        )
        .resolve_scale(y="independent")
        .properties(padding={"left": 5, "top": 5, "bottom": 5, "right": FONT_SIZE * 4})
    )
    return _theme(chart)


STANDARD_COLOURS = {"Insuficiente": WORSE, "Elemental": "#C9CDD3", "Adecuado": BETTER}
"""The learning standards: orange for Insuficiente, grey for Elemental, blue-teal for Adecuado
(never red and green alone)."""


def build_standards_chart(
    data: pd.DataFrame, *, width: int | str = "container", step: int = 44, font: int = FONT_SIZE
) -> AltairChart:
    """The learning standards of a SIMCE series as 100 % stacked bars, one per year.

    ``data`` columns: ``periodo``, ``nivel`` (Insuficiente, Elemental, Adecuado),
    ``porcentaje``. Bars start at zero and end at 100 %: their length is the share. Each
    segment's start and end are computed here (Insuficiente first, on the left), so that its
    label sits in its middle.
    """
    return build_levels_chart(
        data,
        STANDARD_COLOURS,
        rows=None,
        row_title="Año",
        level_title="Estándar",
        width=width,
        step=step,
        font=font,
    )


DIA_LEVEL_COLOURS = {
    "Insatisfactorio": WORSE,
    "Intermedio": STANDARD_COLOURS["Elemental"],
    "Satisfactorio": BETTER,
}
"""The DIA's levels of achievement (Nivel I, II, III), in the standards' colours."""


def build_levels_chart(
    data: pd.DataFrame,
    colours: Mapping[str, str],
    *,
    rows: Sequence[str] | None,
    row_title: str,
    level_title: str,
    width: int | str = "container",
    step: int = 44,
    font: int = FONT_SIZE,
) -> AltairChart:
    """Shares of students at ordered levels as 100 % stacked bars, one bar per ``periodo``.

    ``colours``: each level (``nivel``) and its colour, worst first (drawn on the left; the
    middle level, light, carries dark labels). ``rows``: the bars' order from the top (None:
    latest ``periodo`` first).
    """
    order = list(colours)
    light = order[len(order) // 2]
    df = data.copy()
    df["orden"] = df["nivel"].map({n: i for i, n in enumerate(order)})
    df = df.sort_values(["periodo", "orden"]).reset_index(drop=True)
    df["fin"] = df.groupby("periodo")["porcentaje"].cumsum()
    df["inicio"] = df["fin"] - df["porcentaje"]
    df["medio"] = (df["inicio"] + df["fin"]) / 2
    df["texto"] = [f"{format_number(float(p), 0)} %" if p >= 8 else "" for p in df["porcentaje"]]
    df["periodo"] = df["periodo"].astype(str)
    scale = alt.Scale(domain=[0, 100])
    axis = alt.Axis(values=[0, 25, 50, 75, 100], labelExpr="datum.value + ' %'")
    y = alt.Y(
        "periodo:O",
        title=None,
        sort=list(rows) if rows is not None else "descending",
        scale=alt.Scale(paddingInner=0.35),
        # A label of two words on two lines («Monitoreo / intermedio»): room for the legend.
        axis=alt.Axis(labelLimit=0, labelExpr="split(datum.label, ' ')"),
    )
    colour = alt.Color(
        "nivel:N",
        title=None,
        scale=alt.Scale(domain=order, range=[colours[n] for n in order]),
        sort=order,
        legend=alt.Legend(orient="top", direction="horizontal", labelLimit=0),
    )
    bars = (
        alt.Chart(df)
        .mark_bar()
        .encode(
            x=alt.X("inicio:Q", title=None, scale=scale, axis=axis),
            x2="fin:Q",
            y=y,
            color=colour,
            tooltip=[
                alt.Tooltip("periodo:N", title=row_title),
                alt.Tooltip("nivel:N", title=level_title),
                alt.Tooltip("texto:N", title="Estudiantes"),
            ],
        )
    )
    labels = (
        alt.Chart(df)
        .mark_text(fontSize=font - 1, fontWeight="bold")
        .encode(
            x=alt.X("medio:Q", scale=scale),
            y=y,
            text="texto:N",
            # White on the orange and teal segments, dark on the light grey: readable on each.
            color=alt.condition(
                f"datum.nivel == '{light}'", alt.value("#111827"), alt.value("#FFFFFF")
            ),
        )
    )
    chart = alt.layer(bars, labels).properties(width=width, height={"step": step})
    return _theme(chart)
