"""The status vocabulary: one set of words, computed by hand for each reported case."""

from __future__ import annotations

import math
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from metrics.engine import compute
from metrics.engine.catalog import INDICATORS
from metrics.formatting import format_number
from metrics.presentation import status
from metrics.presentation.packs import _range_headline, build_pack
from metrics.presentation.views import baseline_text, scorecard
from metrics.scope import Scope
from metrics.selection import cutoff_for, default_cutoff
from metrics.store import open_store
from tablero_demo.demo import CASE_SCHOOL_RBD

ROOT = Path(__file__).resolve().parents[2]
NAN = math.nan


def row(code: str, **fields: Any) -> dict[str, Any]:
    """An engine row of ``code`` with the fields a scorecard reads (missing ones empty)."""
    base: dict[str, Any] = {
        "indicador": code,
        "valor": NAN,
        "n": 100,
        "linea_base": NAN,
        "periodo": "2025",
        "periodo_base": "2023",
        "linea_base_provisional": False,
        "meta": NAN,
        "anio_meta": 2025,
        "cambio": NAN,
        "concluyente": pd.NA,
        "estado": "sin_datos",
    }
    return {**base, **fields}


def engine_status(code: str, valor: float, base: float, meta: float) -> str:
    """The engine's status of one value (elapsed half of the time to the deadline)."""
    ind = INDICATORS[code]
    return str(compute.compute_status(valor, base, meta, ind.sign, 0.5, decimals=ind.decimals))


# -- each reported case, by hand -------------------------------------------------------------


def test_schedule_compliance_with_no_baseline_says_so_and_how_far() -> None:
    # Inicio: «Cumplimiento del cronograma 79,4 %» beside «Sin datos». Target 85,0 %, no
    # baseline (no schedule in 2023): the value is there, the baseline is missing.
    estado = engine_status("cumplimiento_cronograma", 79.438202, NAN, 85.0)
    assert estado == "sin_linea_base"
    rec = row("cumplimiento_cronograma", valor=79.438202, meta=85.0, estado=estado)
    # 85,0 − 79,4 = 5,6 points still to go.
    assert status.status_text(INDICATORS["cumplimiento_cronograma"], rec) == (
        "○ Sin línea base · a 5,6 pp de la meta"
    )
    table = scorecard(pd.DataFrame([rec]))
    assert table.loc[0, "Línea base"] == "sin datos en 2023"  # words, not «–»
    assert table.loc[0, "Valor"] == "79,4 %"


def test_a_value_without_target_says_better_or_worse_and_conclusive() -> None:
    ind = INDICATORS["autoevaluacion_docente"]
    assert engine_status(ind.code, 3.11, 2.89, NAN) == "sin_meta"
    better = row(ind.code, valor=3.11, linea_base=2.89, cambio=0.22, concluyente=True,
                 estado="sin_meta")  # fmt: skip
    assert status.status_text(ind, better) == "○ Sin meta · mejora (concluyente)"
    worse = {**better, "valor": 2.80, "cambio": -0.09, "concluyente": False}
    assert status.status_text(ind, worse) == "○ Sin meta · empeora (no concluyente)"
    # Lower is better: a fall in failures is an improvement.
    fails = INDICATORS["tasa_reprobacion"]
    down = row(fails.code, valor=2.6, linea_base=5.3, cambio=-2.7, concluyente=False,
               estado="sin_meta")  # fmt: skip
    assert status.status_text(fails, down) == "○ Sin meta · mejora (no concluyente)"
    neither = row("tasa_repitencia", valor=1.7, estado="sin_meta")
    assert status.status_text(INDICATORS["tasa_repitencia"], neither) == "○ Sin meta ni línea base"
    base_year = row(ind.code, valor=2.89, linea_base=2.89, periodo="2023", estado="sin_meta")
    assert status.status_text(ind, base_year) == "○ Sin meta · año de línea base"


def test_sin_datos_only_without_a_value() -> None:
    assert engine_status("tasa_reprobacion", NAN, 6.0, 3.0) == "sin_datos"
    assert engine_status("tasa_reprobacion", 4.0, NAN, NAN) == "sin_meta"
    assert engine_status("tasa_reprobacion", 4.0, NAN, 3.0) == "sin_linea_base"


def test_community_card_counts_what_each_value_lacks() -> None:
    # Reported: «6 logrados … 12 sin datos» on a community card with 18 values. By hand:
    # 6 reached, 12 with a value and no target, 2 without a value.
    rows = pd.DataFrame({"estado": ["logrado"] * 6 + ["sin_meta"] * 12 + ["sin_datos"] * 2})
    assert status.status_summary(rows) == (
        "De 20 indicadores: 6 logrados, 0 en camino y 0 en riesgo; 12 sin meta y 2 sin datos."
    )


def test_home_summary_on_the_demo_names_what_is_missing() -> None:
    # Reported on Inicio: «3 logrados, 2 en camino y 10 en riesgo; 5 sin datos» where the 5
    # have values: 2 have no target, 3 no baseline.
    rows = pd.DataFrame(
        {"estado": ["logrado"] * 4 + ["en_camino"] + ["en_riesgo"] * 10 + ["sin_meta"] * 2
         + ["sin_linea_base"] * 3}
    )  # fmt: skip
    assert status.status_summary(rows) == (
        "De 20 indicadores: 4 logrados, 1 en camino y 10 en riesgo; 2 sin meta y 3 sin línea base."
    )
    one = pd.DataFrame({"estado": ["logrado", "suprimido"]})
    assert status.status_summary(one) == (
        "De 2 indicadores: 1 logrado, 0 en camino y 0 en riesgo; 1 con grupo pequeño (n < 10)."
    )


def test_no_community_with_that_target_is_not_zero_reached() -> None:
    # Reported: «0 de 30 comunidades lograron su meta» where none has that target.
    none = pd.DataFrame({"estado": ["sin_meta"] * 30, "meta": [NAN] * 30})
    words = ("comunidad", "comunidades", "ninguna")
    assert status.target_reach_phrase(none, 30, words) == "ninguna de las 30 comunidades tiene meta"
    some = pd.DataFrame(
        {"estado": ["logrado", "logrado", "en_riesgo", "sin_meta"], "meta": [85, 85, 85, NAN]}
    )
    assert status.target_reach_phrase(some, 4, words) == (
        "2 de las 3 comunidades con meta la lograron"
    )


def test_a_target_reached_as_it_reads_is_logrado() -> None:
    # Reported: inasistencia crónica «bajó a 18,8 %; la meta es 18,8 %» shown «En camino».
    # 18,83 and 18,8 both read 18,8 (one decimal): reached, lower being better.
    assert engine_status("inasistencia_cronica", 18.83, 34.09, 18.8) == "logrado"
    assert engine_status("inasistencia_cronica", 18.86, 34.09, 18.8) == "en_camino"  # 18,9
    # promedio_notas has two decimals: 5,599 reads 5,60 and reaches 5,60.
    assert engine_status("promedio_notas", 5.599345, 5.417577, 5.6) == "logrado"


def test_target_met_rounds_only_the_values_just_short_and_agrees_with_rounding_all() -> None:
    # The engine rounds only the values within two units of the last place short of their
    # target; every other one is decided by order. The same answers as rounding each value
    # and target as it reads (formatting.round_half_away) and comparing, on values around
    # their targets, halves, both signs, and 0 to 2 decimals.
    from metrics.formatting import round_half_away

    rng = np.random.default_rng(11)
    size = 20_000
    decimals = rng.integers(0, 3, size)
    meta = np.round(rng.uniform(-50, 300, size), 3)
    step = 10.0 ** -decimals.astype(float)
    value = meta + rng.choice([-3, -2, -1.5, -1, -0.5, -0.49, 0, 0.5, 1, 3], size) * step
    value = np.where(rng.random(size) < 0.1, meta + rng.normal(0, 50, size), value)
    value[::997] = np.nan
    sign = rng.choice([-1.0, 1.0], size)
    got = compute.target_met(value, meta, sign, decimals)
    expected = [
        not (math.isnan(v) or math.isnan(m))
        and s * (round_half_away(v, int(d)) - round_half_away(m, int(d)))
        >= -1e-9 * max(1.0, abs(round_half_away(m, int(d))))
        for v, m, s, d in zip(value, meta, sign, decimals, strict=True)
    ]
    assert got.tolist() == expected
    assert 0.2 < got.mean() < 0.8  # both answers are well represented
    assert compute.target_met(18.83, 18.8, -1, 1) and not compute.target_met(18.86, 18.8, -1, 1)


def test_headline_and_chart_round_the_same_value_alike() -> None:
    # Reported: a slide headline 274 where its chart point says 275. Vega's format rounds
    # 274,5 with JavaScript's toFixed: 275; so does every number in text now.
    assert format_number(274.5) == "275"
    assert format_number(-274.5) == "−275"
    assert format_number(0.125, 2) == "0,13"  # exactly representable: half away from zero
    assert format_number(2.675, 2) == "2,67"  # 2,67499999… in binary: toFixed says 2.67 too


def test_every_community_equal_is_said_once() -> None:
    # Reported: «va de 93,3 % … a 93,3 %» when every community is equal.
    ind = INDICATORS["cumplimiento_cronograma"]
    frame = pd.DataFrame(
        {
            "etiqueta": ["Lectura", "Matemática", "Ciencias"],
            "valor": [93.3333, 93.3333, 93.3333],
            "suprimido": [False] * 3,
        }
    )
    assert _range_headline(ind, frame, 2025, "comunidad") == (
        "En 2025, el cumplimiento del cronograma es 93,3 % en las 3 comunidades."
    )
    frame.loc[0, "valor"] = 80.0
    frame.loc[2, "valor"] = 90.0
    assert _range_headline(ind, frame, 2025, "comunidad") == (
        "En 2025, el cumplimiento del cronograma va de 80,0 % (Lectura) a 93,3 % (Matemática)."
    )


def test_missing_baseline_is_words_not_a_dash() -> None:
    ind = INDICATORS["cumplimiento_cronograma"]
    assert baseline_text(ind, {"linea_base": NAN, "periodo_base": "2023"}) == "sin datos en 2023"
    assert baseline_text(ind, {"linea_base": NAN, "periodo_base": None}) == "sin línea base"


# -- the vocabulary is one, and documented ---------------------------------------------------


def test_every_engine_status_has_its_words() -> None:
    assert set(status.STATUS_LABELS) == set(compute.STATUSES)
    for code in compute.STATUSES:
        assert status.status_key(status.STATUS_LABELS[code]) == code


def test_the_docs_name_every_status() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    design = (ROOT / "docs" / "diseno.md").read_text(encoding="utf-8")
    # The output fields' table (the series have a table of their own, without targets).
    fields = readme.split("<!-- campos -->", 1)[1].split("<!-- /campos -->", 1)[0]
    field = next(line for line in fields.splitlines() if line.startswith("| `estado` |"))
    for code in compute.STATUSES:
        assert f"`{code}`" in field, code
        assert f"| `{code}` |" in design, code


# -- the cut-off follows the year --------------------------------------------------------------

TODAY = date(2026, 12, 7)


@pytest.mark.parametrize(
    ("year", "chosen", "expected"),
    [
        (2025, None, date(2025, 12, 31)),  # a past year: its 31-12
        (2024, None, date(2024, 12, 31)),  # Presentar for 2024 said 07-12-2026
        (2026, None, TODAY),  # the current year: today
        (None, None, TODAY),  # no year: today
        (2027, None, TODAY),  # a year not begun: today
        (2025, date(2025, 6, 30), date(2025, 6, 30)),  # a date in the year applies
        (2025, TODAY, date(2025, 12, 31)),  # a date of another year does not
        (2026, date(2025, 12, 31), TODAY),
    ],
)
def test_cutoff_follows_the_year(year: int | None, chosen: date | None, expected: date) -> None:
    assert cutoff_for(year, TODAY, chosen) == expected


def test_default_cutoff_is_the_rule_without_a_choice() -> None:
    assert default_cutoff(2025, TODAY) == cutoff_for(2025, TODAY)


def test_a_pack_of_a_past_year_is_cut_at_its_end(demo_db: Path) -> None:
    """Presentar showed «fecha de corte del cronograma: 07-12-2026» for 2024. A cut-off of
    another year never applies: the pack of 2024 is cut on 31-12-2024, and its schedule fact
    counts 2024's activities only — Los Aromos' three communities, 29 each, 26 of them done:
    78 of 87 (89,7 %), the engine's compliance of that year."""
    with open_store(demo_db) as store:
        pack = build_pack(
            store, Scope.all(), rbd=CASE_SCHOOL_RBD, year=2024, cutoff=TODAY, today=TODAY
        )
    assert pack.cutoff == date(2024, 12, 31)
    cover = pack.slides[0]
    assert "Año evaluado: 2024; fecha de corte del cronograma: 31-12-2024" in cover.facts
    schedule = next(s for s in pack.slides if s.title.startswith("En 2024, el cumplimiento"))
    assert (
        schedule.title == "En 2024, el cumplimiento del cronograma es 89,7 % en las 3 comunidades."
    )
    assert schedule.facts[0] == "Al 31-12-2024: 78 de 87 actividades planificadas realizadas."
    assert schedule.facts[1] == (
        "Establecimiento: 89,7 % (línea base: sin datos en 2023; meta: 85,0 %)"
    )
