"""The indicator catalogue: the guide's codes (docs/indicadores.md), valid models, documented in
the README."""

from __future__ import annotations

import re
from pathlib import Path

import pydantic
import pytest

from metrics.engine.catalog import (
    CATALOG,
    INDICATORS,
    Catalog,
    get_indicator,
    indicators_for_moment,
)
from metrics.engine.indicators import OUTPUT_COLUMNS

ROOT = Path(__file__).resolve().parents[2]
MARKER = "<!-- indicadores -->"

DOMAIN_CODES = {
    "cumplimiento_cronograma": "durante",
    "percepcion_colaboracion": "durante",
    "percepcion_apoyo": "durante",
    "percepcion_satisfaccion": "durante",
    "percepcion_aprendizaje": "durante",
    "frecuencia_reuniones": "resultados",
    "participacion_activa": "resultados",
    "intercambio_estrategias": "resultados",
    "desempeno_docente": "resultados",
    "promedio_notas": "impacto",
    "tasa_aprobacion": "impacto",
    "tasa_reprobacion": "impacto",
    "tasa_retiro": "impacto",
    "tasa_repitencia": "impacto",
    "asistencia_promedio": "impacto",
    "inasistencia_cronica": "impacto",
    "puntaje_estandarizado": "impacto",
    "permanencia_docente": "impacto",
}
LOWER_IS_BETTER = {"tasa_reprobacion", "tasa_retiro", "tasa_repitencia", "inasistencia_cronica"}


def docs_text() -> tuple[Path, str]:
    """The README when it carries the indicator table, else docs/indicadores.md."""
    readme = ROOT / "README.md"
    if readme.exists() and MARKER in readme.read_text(encoding="utf-8"):
        return readme, readme.read_text(encoding="utf-8")
    doc = ROOT / "docs" / "indicadores.md"
    return doc, doc.read_text(encoding="utf-8")


def table_rows(text: str, marker: str) -> dict[str, list[str]]:
    """Rows of the Markdown table after ``marker``, keyed by their first (backticked) cell."""
    start = text.index(marker) + len(marker)
    end = text.index(marker.replace("<!-- ", "<!-- /"), start)
    rows: dict[str, list[str]] = {}
    for line in text[start:end].splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        m = re.fullmatch(r"`([a-z_]+)`", cells[0]) if cells and cells[0] else None
        if m:
            rows[m.group(1)] = cells[1:]
    return rows


def test_catalogue_has_the_domain_codes() -> None:
    """The default catalogue (docs/indicadores.md); the guide's other indicators may follow."""
    assert set(DOMAIN_CODES) <= set(CATALOG.codes)
    assert len(DOMAIN_CODES) == 18


def test_moments_directions_and_student_indicators() -> None:
    for code, moment in DOMAIN_CODES.items():
        assert get_indicator(code).moment == moment
    assert get_indicator("desempeno_docente").moments == ("antes", "resultados")
    assert "desempeno_docente" in {i.code for i in indicators_for_moment("antes")}
    domain = [INDICATORS[c] for c in DOMAIN_CODES]
    assert {i.code for i in domain if i.direction == "lower_is_better"} == LOWER_IS_BETTER
    students = {i.code for i in domain if i.student_based}
    assert students == {
        "promedio_notas", "tasa_aprobacion", "tasa_reprobacion", "tasa_retiro",
        "tasa_repitencia", "asistencia_promedio", "inasistencia_cronica",
        "puntaje_estandarizado",
    }  # fmt: skip
    assert {i.code for i in domain if i.monthly} == {
        c for c, m in DOMAIN_CODES.items() if m in ("durante", "resultados")
    }
    assert all(i.unit == "%" for i in CATALOG if i.statistic == "proporcion")


def test_every_indicator_has_a_technical_sheet_in_spanish() -> None:
    for ind in CATALOG:
        assert ind.sheet.formula and ind.sheet.numerator and ind.sheet.denominator
        assert ind.sheet.source and ind.definition
        assert ind.name[0].isupper()


def test_catalogue_is_validated_and_frozen() -> None:
    one = INDICATORS["tasa_aprobacion"]
    with pytest.raises(pydantic.ValidationError, match="repetidos"):
        Catalog(indicators=(one, one))
    with pytest.raises(pydantic.ValidationError):
        one.code = "otra"  # type: ignore[misc]
    with pytest.raises(pydantic.ValidationError):
        type(one).model_validate({**one.model_dump(), "direction": "sideways"})
    with pytest.raises(KeyError, match="desconocido"):
        get_indicator("nada")


def test_every_code_is_in_the_readme_indicator_table() -> None:
    path, text = docs_text()
    assert MARKER in text, f"{path} has no {MARKER} table"
    rows = table_rows(text, MARKER)
    missing = set(CATALOG.codes) - set(rows)
    assert not missing, f"{path.name} lacks {sorted(missing)}"
    assert not set(rows) - set(CATALOG.codes), "the table documents unknown codes"
    for code, cells in rows.items():
        assert cells[0] == INDICATORS[code].name, code


def test_every_result_field_is_documented() -> None:
    path, text = docs_text()
    rows = table_rows(text, "<!-- campos -->")
    assert list(rows) == list(OUTPUT_COLUMNS), path.name


def test_the_readme_table_agrees_with_each_entry() -> None:
    """Moment(s), unit, direction and small-group rule of the README table are the entry's."""
    _, text = docs_text()
    rows = table_rows(text, MARKER)
    for code, cells in rows.items():
        ind = INDICATORS[code]
        assert cells[1] == " · ".join(ind.moments), code
        assert cells[2] == ind.unit, code
        assert cells[3] == ("más alto" if ind.direction == "higher_is_better" else "más bajo"), code
        groups = (
            "sí" if ind.student_based
            else "sí, si responden estudiantes" if ind.student_respondents
            else "no aplica"
        )  # fmt: skip
        assert cells[5] == groups, code


def test_every_entry_names_a_registered_source_and_its_measures() -> None:
    from metrics.engine import sources

    assert sources.check_catalogue() == []
    for ind in CATALOG:
        tables = {
            t for f in (ind.facts, ind.fallback) if f for t in sources.SOURCES[f.source].tables
        }
        assert set(ind.sources) - {"community_member"} <= tables, ind.code


def test_breakdowns_are_declared_by_the_indicators_and_offered_by_their_source(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The breakdowns come from the catalogue: the guide's three, and a declaration its
    source cannot compute is a catalogue problem."""
    from metrics.engine import catalog, sources

    declared = {i.code: i.breakdown for i in CATALOG if i.breakdown}
    assert declared["cumplimiento_cronograma"] == "responsable"
    assert declared["puntaje_estandarizado"] == "serie"
    assert {c for c, b in declared.items() if b == "tipo_encuestado"} == {
        i.code for i in CATALOG if i.facts.source == "surveys"
    }
    wrong = INDICATORS["tasa_reprobacion"].model_copy(update={"breakdown": "responsable"})
    entries = tuple(wrong if i.code == wrong.code else i for i in CATALOG)
    monkeypatch.setattr(sources, "CATALOG", catalog.Catalog(indicators=entries))
    assert sources.check_catalogue() == [
        "tasa_reprobacion: student_results has no breakdown responsable"
    ]


def test_a_statistic_without_its_measures_is_refused() -> None:
    from metrics.engine.catalog import Facts, Measures

    with pytest.raises(pydantic.ValidationError, match="successes"):
        Facts(source="sessions", statistic="proporcion", measures=Measures(count="n_rec"))
    with pytest.raises(pydantic.ValidationError, match="denominator"):
        Facts(source="sessions", statistic="razon", measures=Measures(total="held"))


def test_display_hints_feed_pages_and_packs() -> None:
    from metrics.engine.catalog import page_indicators, slide_indicators
    from metrics.presentation.views import IMPACT_ORDER, SHORT_NAMES

    assert SHORT_NAMES["inasistencia_cronica"] == "Inasist. crónica"
    assert set(SHORT_NAMES) == set(CATALOG.codes)
    assert IMPACT_ORDER[:2] == ("tasa_reprobacion", "tasa_aprobacion")  # the guide's case first
    assert page_indicators("resultados") == (
        "frecuencia_reuniones", "participacion_activa", "intercambio_estrategias",
        "desempeno_docente",
    )  # fmt: skip
    assert slide_indicators("resultados") == (
        "participacion_activa", "frecuencia_reuniones", "intercambio_estrategias",
    )  # fmt: skip
    assert slide_indicators("percepcion") == page_indicators("durante")[1:]
