"""Charts: rendered to SVG with vl-convert, checked for what a reader sees."""

from __future__ import annotations

import html
import re

import pandas as pd
import pytest
import vl_convert as vlc

from metrics.presentation import charts


def _svg(chart: object) -> str:
    return vlc.vegalite_to_svg(chart.to_dict())  # type: ignore[attr-defined]


def _texts(svg: str) -> list[str]:
    return [html.unescape(t).strip() for t in re.findall(r"<text[^>]*>([^<]*)</text>", svg)]


def _trend(**kw: object) -> str:
    df = pd.DataFrame(
        {
            "periodo": ["2023", "2024", "2025"],
            "valor": [6.0, 2.0, float("nan")],
            "n": [500, 1500, 8],
            "suprimido": [False, False, True],
        }
    )
    args = dict(
        title="Reprobación (%)",
        unit="%",
        baseline=6.0,
        baseline_label="Línea base 2023",
        target=3.0,
        target_label="Meta 2025",
        width=600,
    )
    args.update(kw)
    return _svg(charts.build_trend_chart(df, **args))  # type: ignore[arg-type]


def test_trend_labels_in_spanish_with_baseline_target_and_suppressed_slot() -> None:
    texts = _texts(_trend())
    assert "6,0 %" in texts and "2,0 %" in texts
    assert "Línea base 2023" in texts and "Meta 2025" in texts
    assert "n < 10" in texts
    assert "6.0 %" not in texts and "2.0 %" not in texts


def test_trend_never_plots_a_suppressed_value() -> None:
    df = pd.DataFrame(
        {
            "periodo": ["2024", "2025"],
            "valor": [50.0, 77.7],
            "n": [20, 8],
            "suprimido": [False, True],
        }
    )
    svg = _svg(
        charts.build_trend_chart(
            df,
            title="x",
            unit="%",
            baseline=None,
            baseline_label=None,
            target=None,
            target_label=None,
            width=400,
        )
    )
    assert "77,7" not in svg and "77.7" not in svg
    assert "50,0 %" in _texts(svg)


def test_bullet_says_in_words_what_a_value_lacks() -> None:
    df = pd.DataFrame(
        {
            "nombre": ["Cumplimiento del cronograma", "Tasa de retiro"],
            "unidad": ["%", "%"],
            "valor": [79.438, 1.7],
            "linea_base": [None, 2.5],
            "meta": [85.0, None],
            "suprimido": [False, False],
            "mejor": [None, True],
        }
    )
    texts = _texts(_svg(charts.build_bullet_chart(df, width=500)))
    assert "Cumplimiento del cronograma: 79,4 % · sin línea base · meta 85,0 %" in texts
    assert "Tasa de retiro: 1,7 % · línea base 2,5 % · sin meta" in texts
    assert not any("–" in t for t in texts)


def test_baseline_is_dashed() -> None:
    svg = _trend()
    assert 'stroke-dasharray="6,4"' in svg


def test_bullet_shows_value_and_hides_suppressed() -> None:
    df = pd.DataFrame(
        {
            "nombre": ["Tasa de aprobación", "Tasa de repitencia"],
            "unidad": ["%", "%"],
            "valor": [93.4, 4.4],
            "linea_base": [90.0, 3.0],
            "meta": [95.0, 2.0],
            "suprimido": [False, True],
            "mejor": [True, None],
        }
    )
    texts = _texts(_svg(charts.build_bullet_chart(df, width=500)))
    assert "Tasa de aprobación: 93,4 % · línea base 90,0 % · meta 95,0 %" in texts
    assert "Tasa de repitencia: n < 10, grupo pequeño (no se muestra)" in texts
    assert not any("4,4" in t or "3,0 %" in t for t in texts)


def test_likert_neutral_straddles_the_centre() -> None:
    rows = [
        {"etiqueta": "Colaboración", "respuesta": i, "respuesta_txt": str(i), "n": n}
        for i, n in zip(range(1, 6), [10, 10, 20, 40, 20], strict=True)
    ]
    chart = charts.build_likert_chart(pd.DataFrame(rows), width=500)
    spec = chart.to_dict()
    values = next(iter(spec["datasets"].values()))
    neutral = next(v for v in values if v["respuesta"] == 3)
    assert neutral["x0"] == -neutral["x1"] == -10.0
    agree = next(v for v in values if v["respuesta"] == 5)
    assert agree["x1"] == 70.0


def test_thousands_and_decimals_in_es_cl() -> None:
    df = pd.DataFrame(
        {"periodo": ["2024"], "valor": [1234.5], "n": [3540980], "suprimido": [False]}
    )
    texts = _texts(
        _svg(
            charts.build_trend_chart(
                df,
                title="x",
                unit="puntos",
                baseline=None,
                baseline_label=None,
                target=None,
                target_label=None,
                width=300,
            )
        )
    )
    assert "1.234,5" in texts


def _axis_labels(svg: str) -> list[list[str]]:
    """The tick labels of each axis of a rendered chart, axis by axis."""
    groups = re.findall(r'<g class="mark-text role-axis-label"[^>]*>(.*?)</g>', svg, re.S)
    return [[t for t in _texts(g) if t] for g in groups]


def _series(values: list[float]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "periodo": [str(2022 + i) for i in range(len(values))],
            "valor": values,
            "n": [400] * len(values),
            "suprimido": [False] * len(values),
        }
    )


def _no_label_repeats(svg: str) -> list[list[str]]:
    axes = _axis_labels(svg)
    assert axes, "the chart has no axis labels"
    for labels in axes:
        assert len(labels) == len(set(labels)), labels
    return axes


def test_axis_ticks_never_repeat_a_rounded_label() -> None:
    # Retiro drifting from 4,6 % to 3,4 %: whole-point labels on half-point ticks read
    # «5 5 4 4 3 3»; an observation score of 2,9–3,3 on a 0-decimal axis read «3 3 3 3 3 2».
    retiro = charts.build_trend_chart(
        _series([4.6, 3.9, 3.4]),
        title="Retiro (%)",
        unit="%",
        baseline=4.6,
        baseline_label="Línea base 2022",
        target=None,
        target_label=None,
        width=500,
    )
    years, values = _no_label_repeats(_svg(retiro))
    assert years == ["2022", "2023", "2024"]
    assert values == ["3,0 %", "3,5 %", "4,0 %", "4,5 %", "5,0 %"]  # scaled to the data
    score = charts.build_trend_chart(
        _series([3.3, 3.1, 2.9]),
        title="Puntaje MBE",
        unit="puntos",
        decimals=0,
        baseline=None,
        baseline_label=None,
        target=None,
        target_label=None,
        width=500,
    )
    _no_label_repeats(_svg(score))


def test_bar_and_small_multiple_axes_never_repeat_a_label() -> None:
    bars = pd.DataFrame(
        {
            "etiqueta": ["A", "B", "C"],
            "valor": [0.4, 0.8, 1.2],
            "n": [12, 12, 12],
            "suprimido": [False] * 3,
        }
    )
    _no_label_repeats(
        _svg(
            charts.build_bar_chart(
                bars, value_title="Sesiones por mes", unit="sesiones", decimals=0, width=500
            )
        )
    )
    groups = pd.concat(
        [_series([92.0, 93.0, 94.0]).assign(grupo=g, linea_base=92.0) for g in ("A", "B")]
    )
    _no_label_repeats(_svg(charts.build_small_multiples(groups, unit="%", decimals=1)))


# -- the axis policy ----------------------------------------------------------------------------

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


def _tick_texts(scale: charts.ValueScale) -> list[str]:
    return [charts._fmt(t, scale.decimals, "") for t in scale.ticks]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.floats(0, 100, allow_nan=False), min_size=1, max_size=6),
    st.sampled_from(["%", "puntos", "sesiones"]),
    st.integers(0, 2),
)
def test_ticks_are_round_steps_whose_labels_never_repeat(
    values: list[float], unit: str, decimals: int
) -> None:
    for scale in (charts.line_scale(values, unit, decimals), charts.bar_scale(values, unit)):
        labels = _tick_texts(scale)
        assert len(labels) == len(set(labels)) >= 2, labels
        assert scale.low <= min(values) and max(values) <= scale.high
        assert scale.low >= 0 and (unit != "%" or scale.high <= 100)
    assert charts.bar_scale(values, unit).low == 0  # a bar's length is its value


def test_a_line_is_scaled_to_its_data_and_says_so() -> None:
    """92 → 94 % on a 0–100 axis looks flat: the axis runs 91,5–94,5 and the subtitle says
    the scale does not start at 0."""
    spec = charts.build_trend_chart(
        _series([92.0, 93.0, 94.0]),
        title="Asistencia promedio (%)",
        unit="%",
        baseline=92.0,
        baseline_label="Línea base 2022",
        target=None,
        target_label=None,
        width=500,
    ).to_dict()
    y = next(lay["encoding"]["y"] for lay in spec["layer"] if "y" in lay.get("encoding", {}))
    assert y["scale"]["domain"] == [91.5, 94.5]
    assert spec["title"]["subtitle"] == charts.SCALED_NOTE
    svg = _svg(charts.build_trend_chart(_series([92.0, 93.0, 94.0]), **_no_rules()))
    (_, values) = _no_repeats_axes(svg)
    assert values == ["91,5 %", "92,0 %", "92,5 %", "93,0 %", "93,5 %", "94,0 %", "94,5 %"]
    assert "Escala ajustada a los datos: el eje vertical no parte de 0." in _texts(svg)
    # A long name heads the chart instead of being cut along its axis.
    assert "Puntaje en pruebas estandarizadas (SIMCE, promedio de series)" in _texts(
        _svg(
            charts.build_trend_chart(
                _series([252.0, 262.0, 274.0]),
                **{
                    **_no_rules(),
                    "unit": "puntos",
                    "decimals": 0,
                    "title": "Puntaje en pruebas estandarizadas (SIMCE, promedio de series)",
                },
            )
        )
    )


def _no_rules() -> dict[str, object]:
    return dict(
        title="x",
        unit="%",
        baseline=None,
        baseline_label=None,
        target=None,
        target_label=None,
        width=500,
    )


def _no_repeats_axes(svg: str) -> list[list[str]]:
    return _no_label_repeats(svg)


def test_a_small_rate_is_seen_on_its_bullet() -> None:
    """A 1,7 % value against baseline 3,0 % and target 2,0 %: its bar is drawn from zero on a
    0–3,5 axis (not 0–100), so it is about half the bullet's width."""
    df = pd.DataFrame(
        {
            "nombre": ["Tasa de retiro"],
            "unidad": ["%"],
            "valor": [1.7],
            "linea_base": [3.0],
            "meta": [2.0],
            "suprimido": [False],
            "mejor": [True],
        }
    )
    spec = charts.build_bullet_chart(df, width=500).to_dict()
    bar = spec["vconcat"][0]["layer"][0]["encoding"]["x"]
    assert bar["scale"]["domain"] == [0.0, 4.0]
    svg = _svg(charts.build_bullet_chart(df, width=500))
    width = float(
        re.search(r'<path[^>]*aria-roledescription="bar"[^>]*d="M0,[\d.]+h([\d.]+)', svg)[1]
    )  # type: ignore[index]
    assert width == pytest.approx(500 * 1.7 / 4.0, abs=2)


def _placed(svg: str, text: str) -> tuple[float, float]:
    """(x, y) where ``text`` is drawn in the SVG (its translate)."""
    for match in re.finditer(
        r'<text[^>]*transform="translate\(([-\d.]+),([-\d.]+)\)"[^>]*>([^<]*)<', svg
    ):
        if html.unescape(match[3]).strip() == text:
            return float(match[1]), float(match[2])
    raise AssertionError(f"{text!r} not drawn")


def test_baseline_and_target_labels_sit_outside_the_plot_and_apart() -> None:
    """«Línea base 2023» at 6,0 % and «Meta 2025» at 5,8 % were drawn over each other, and
    over the point labelled «4,2 %» (Impacto's reprobación at 1366 px): now both sit right of
    the plot, at least a line apart."""
    df = pd.DataFrame(
        {
            "periodo": ["2023", "2024", "2025"],
            "valor": [6.0, 4.2, 5.9],
            "n": [500, 520, 510],
            "suprimido": [False] * 3,
        }
    )
    svg = _svg(
        charts.build_trend_chart(
            df,
            title="Tasa de reprobación (%)",
            unit="%",
            baseline=6.0,
            baseline_label="Línea base 2023",
            target=5.8,
            target_label="Meta 2025",
            width=600,
        )
    )
    base_x, base_y = _placed(svg, "Línea base 2023")
    meta_x, meta_y = _placed(svg, "Meta 2025")
    assert abs(base_y - meta_y) >= charts.FONT_SIZE * 1.3 - 0.5
    assert base_y < meta_y  # the higher value's label above
    grid = re.findall(r"role-axis-grid.*?</g>", svg, re.S)[0]
    plot_right = max(float(x) for x in re.findall(r'x2="([\d.]+)"', grid))
    # Point labels live inside the plot; rule labels start past its right edge.
    for label in ("6,0 %", "4,2 %", "5,9 %"):
        x, _ = _placed(svg, label)
        assert x < plot_right
    assert base_x > plot_right and meta_x > plot_right


def test_spread_labels_moves_close_labels_apart_and_leaves_others() -> None:
    assert charts.spread_labels([100.0, 101.0], 20.0) == [90.5, 110.5]
    assert charts.spread_labels([50.0, 300.0], 20.0) == [50.0, 300.0]
    assert charts.spread_labels([5.0, 6.0], 20.0, low=0.0) == [0.0, 20.0]


def test_heatmap_months_are_short_and_never_cut() -> None:
    frame = pd.DataFrame(
        {
            "fila": ["Comunidad lectora Los Aromos"] * 2,
            "mes": ["2025-09", "2025-10"],
            "mes_txt": ["septiembre 2025", "octubre 2025"],
            "valor": [80.0, 90.0],
        }
    )
    frame = pd.concat(
        [frame, frame.assign(mes=["2025-12", "2026-01"], mes_txt=["diciembre 2025", "enero 2026"])]
    )
    svg = _svg(charts.build_heatmap(frame, width=300))
    group = re.findall(r'<g class="mark-text role-axis-label".*?</g>', svg, re.S)[0]
    words = [html.unescape(t) for t in re.findall(r">([^<>]+)</t(?:span|ext)>", group)]
    # Each month by its short name; its year under the first month and under January.
    assert words == ["sep", "2025", "oct", "dic", "ene", "2026"]
    assert not any("…" in t for t in _texts(svg))


def test_likert_legend_keeps_whole_answers() -> None:
    words = [
        "Muy en desacuerdo",
        "En desacuerdo",
        "Ni de acuerdo ni en desacuerdo",
        "De acuerdo",
        "Muy de acuerdo",
    ]
    rows = [
        {"etiqueta": "Colaboración", "respuesta": i + 1, "respuesta_txt": w, "n": 10}
        for i, w in enumerate(words)
    ]
    chart = charts.build_likert_chart(pd.DataFrame(rows), width=420)
    texts = _texts(_svg(chart))
    assert set(words) <= set(texts)
    assert not any("…" in t for t in texts)
    # Fitted to a card (Streamlit's «fit»), a one-row legend ran past the chart and was cut
    # to «De acue…»: two columns keep it inside 420 px.
    spec = chart.to_dict()
    legend = spec["layer"][0]["encoding"]["color"]["legend"]
    assert legend["columns"] == 2 and legend["labelLimit"] == 0


def test_three_small_multiples_fit_a_card_at_1366() -> None:
    """Three small charts in a row fit the ~850 px of a card at 1366 px (the third was past
    its card), and their shared axis is scaled to the data."""
    groups = pd.concat(
        [
            _series([92.0, 93.0, 94.0]).assign(grupo=g, linea_base=92.0)
            for g in ("Comunidad lectora Los Aromos", "Observación entre pares", "Estudio de casos")
        ]
    )
    svg = _svg(charts.build_small_multiples(groups, unit="%", decimals=1))
    width = float(re.search(r'<svg[^>]*width="([\d.]+)"', svg)[1])  # type: ignore[index]
    assert width <= 820
    assert charts.SCALED_NOTE in _texts(svg)


def test_planned_and_done_are_named_above_the_plot() -> None:
    """The two curves are told apart by a legend above the plot: on the right, a chart
    fitted to the page's width pushed it out of sight."""
    df = pd.DataFrame(
        {
            "mes": ["2025-03-01", "2025-04-01"],
            "mes_txt": ["03-2025", "04-2025"],
            "planificadas": [10, 25],
            "realizadas": [8, 20],
        }
    )
    chart = charts.build_planned_done_chart(
        df, cutoff_label="Fecha de corte 30-04-2025", cutoff_month="2025-04-30", width=600
    )
    spec = chart.to_dict()
    legends = [
        layer["encoding"]["color"]["legend"]
        for layer in spec["layer"]
        if "color" in layer.get("encoding", {})
    ]
    assert legends and all(legend["orient"] == "top" for legend in legends)
    texts = _texts(_svg(chart))
    assert "Planificadas (acumulado)" in texts and "Realizadas (acumulado)" in texts
