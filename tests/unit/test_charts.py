"""Charts: rendered to SVG with vl-convert, checked for what a reader sees."""

from __future__ import annotations

import html
import re

import pandas as pd
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
