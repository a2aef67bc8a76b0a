"""Headlines: the sentence says exactly what the numbers say."""

from __future__ import annotations

from typing import Any

import pytest

from metrics.presentation.narrative import headline, with_article

BASE: dict[str, Any] = dict(
    name="Tasa de reprobación",
    unit="%",
    direction="lower_is_better",
    valor=2.0,
    periodo="2024",
    linea_base=6.0,
    periodo_base="2023",
    meta=3.0,
    estado="logrado",
)


def test_guide_case() -> None:
    assert headline(**BASE) == (
        "La tasa de reprobación bajó de 6,0 % en 2023 a 2,0 % en 2024 (−66,7 %) "
        "y superó la meta de 3,0 %."
    )


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (
            {"valor": 4.5, "estado": "en_camino"},
            "La tasa de reprobación bajó de 6,0 % en 2023 a 4,5 % en 2024 (−25,0 %); "
            "la meta es 3,0 %.",
        ),
        (
            {"valor": 3.0},
            "La tasa de reprobación bajó de 6,0 % en 2023 a 3,0 % en 2024 "
            "(−50,0 %) y alcanzó la meta de 3,0 %.",
        ),
        (
            {"valor": 6.0, "estado": "en_riesgo"},
            "La tasa de reprobación se mantuvo en 6,0 % entre 2023 y 2024; la meta es 3,0 %.",
        ),
        (
            {"valor": 7.5, "meta": None},
            "La tasa de reprobación subió de 6,0 % en 2023 a 7,5 % en 2024 (+25,0 %). Aún no "
            "tiene meta.",
        ),
        (
            {"linea_base": None, "periodo_base": None},
            "La tasa de reprobación es 2,0 % en 2024 y superó la meta de 3,0 %. "
            "Falta la línea base para comparar.",
        ),
        (
            {"valor": None, "estado": "sin_datos"},
            "Aún no hay datos de la tasa de reprobación para 2024.",
        ),
        (
            {"valor": None, "estado": "suprimido"},
            "La tasa de reprobación de 2024 no se muestra: el grupo tiene menos de 10 estudiantes "
            "y se protege su privacidad.",
        ),
        (
            {
                "name": "Promedio de notas",
                "unit": "nota",
                "direction": "higher_is_better",
                "valor": 5.6,
                "linea_base": 5.4,
                "meta": 5.8,
                "estado": "en_camino",
            },
            "El promedio de notas subió de 5,4 en 2023 a 5,6 en 2024 (+3,7 %); la meta es 5,8.",
        ),
        (
            # Reported: «bajó a 18,8 %; la meta es 18,8 %» beside «En camino». 18,83 reads
            # 18,8: the target is reached as both read, in the headline and in the status.
            {
                "name": "Inasistencia crónica",
                "valor": 18.83,
                "linea_base": 34.09,
                "meta": 18.8,
                "estado": "logrado",
            },
            "La inasistencia crónica bajó de 34,1 % en 2023 a 18,8 % en 2024 (−44,8 %) "
            "y alcanzó la meta de 18,8 %.",
        ),
        (
            # Reported: a headline 274 beside a chart point 275. 274,5 reads 275 in both
            # (Vega rounds halves away from zero; Python's format would print 274).
            {
                "name": "Puntaje en pruebas estandarizadas",
                "unit": "puntaje",
                "direction": "higher_is_better",
                "valor": 274.5,
                "linea_base": 260.0,
                "meta": None,
                "estado": "sin_meta",
                "decimals": 0,
            },
            "El puntaje en pruebas estandarizadas subió de 260 en 2023 a 275 en 2024 (+5,6 %). "
            "Aún no tiene meta.",
        ),
    ],
)
def test_variants(changes: dict[str, Any], expected: str) -> None:
    assert headline(**{**BASE, **changes}) == expected


def test_suppressed_never_shows_a_number() -> None:
    text = headline(**{**BASE, "valor": 2.0, "estado": "suprimido"})
    assert "2,0" not in text and "6,0" not in text


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Cumplimiento del cronograma", "El cumplimiento del cronograma"),
        ("Participación activa", "La participación activa"),
        ("Desempeño docente", "El desempeño docente"),
    ],
)
def test_articles(name: str, expected: str) -> None:
    assert with_article(name) == expected
