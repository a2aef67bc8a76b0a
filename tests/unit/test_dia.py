"""The DIA as a school reads it off the platform: the template imports with full validation,
and ``dia_satisfactorio`` / ``dia_insatisfactorio`` are series rows (grade + area) per year and
period, computed here by hand on a small file."""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd
import pytest

from metrics.engine.series import SERIES_OUTPUT_COLUMNS, compute_series
from metrics.imports import RefusedFileError, import_file, template_csv
from metrics.scope import Scope
from metrics.store import Store, open_store

SCHOOLS = "rbd;nombre;cod_comuna;comuna\n101;Escuela Uno;9101;Temuco\n102;Escuela Dos;9101;Temuco\n"
HEADER = (
    "anio;rbd;periodo;curso;area;pct_insatisfactorio;pct_intermedio;pct_satisfactorio;"
    "pct_logro;estudiantes_evaluados\n"
)
DIA = HEADER + (
    # 101, 4° básico lectura: 25 → 30 → 45 % satisfactorio (20 students each time).
    "2024;101;diagnóstico;4° básico;Lectura;40,0;35,0;25,0;48,5;20\n"
    "2024;101;Monitoreo intermedio;4b;lectura;30;40;30;52;20\n"
    "2024;101;cierre;4B;lectura;20;35;45;61,2;20\n"
    # 102, same series: 20 → 30 % (30 students); no intermediate period.
    "2024;102;diagnostico;4b;lectura;50;30;20;40;30\n"
    "2024;102;Evaluación de cierre;4b;lenguaje;30;40;30;47;30\n"
    # 101, 4° básico matemática: 8 students, fewer than 10: suppressed.
    "2024;101;diagnóstico;4b;matemática;60;25;15;33;8\n"
    # 102, 4° básico matemática: no count of students; levels add to 99,9 (platform rounding).
    "2024;102;diagnóstico;4b;Matemáticas;55;27,1;17,8;35;\n"
)


@pytest.fixture
def dia() -> Iterator[Store]:
    with open_store(":memory:") as store:
        import_file(store, SCHOOLS.encode(), "establecimientos.csv", actor="test")
        import_file(store, DIA.encode(), "dia_2024.csv", actor="test")
        yield store


def _row(df: pd.DataFrame, code: str, sid: str, serie: str, etapa: str) -> dict[str, object]:
    hit = df[
        (df["indicador"] == code)
        & (df["alcance_id"] == sid)
        & (df["serie"] == serie)
        & (df["etapa"] == etapa)
    ]
    assert len(hit) == 1, (code, sid, serie, etapa)
    return dict(hit.iloc[0])


def test_the_template_imports_with_its_spellings(dia: Store) -> None:
    rows = dia.query_df(
        "SELECT rbd, period, grade_level, area, pct_satisfactorio, pct_logro, students_assessed "
        "FROM dia_result ORDER BY rbd, area, period"
    )
    assert set(rows["period"]) == {"diagnóstico", "monitoreo intermedio", "cierre"}
    assert set(rows["grade_level"]) == {"4b"} and set(rows["area"]) == {"lectura", "matemática"}
    cierre = rows[(rows["rbd"] == 101) & (rows["period"] == "cierre")].iloc[0]
    assert (cierre["pct_satisfactorio"], cierre["pct_logro"]) == (45.0, 61.2)  # decimal comma
    assert pd.isna(rows[rows["students_assessed"].isna()].iloc[0]["pct_logro"]) is False


def test_a_school_row_is_one_series_and_period(dia: Store) -> None:
    df = compute_series(dia, Scope.all(), alcance="establecimiento")
    assert list(df.columns) == list(SERIES_OUTPUT_COLUMNS)
    d = _row(df, "dia_satisfactorio", "101", "4b lectura", "diagnóstico")
    m = _row(df, "dia_satisfactorio", "101", "4b lectura", "monitoreo intermedio")
    c = _row(df, "dia_satisfactorio", "101", "4b lectura", "cierre")
    assert (d["valor"], m["valor"], c["valor"]) == (25.0, 30.0, 45.0)
    assert (d["periodo"], c["n"], c["linea_base"], c["periodo_base"]) == ("2024", 20, 25.0, "2024")
    # The movement within the year: from the diagnóstico.
    assert (d["cambio"], m["cambio"], c["cambio"]) == (0.0, 5.0, 20.0)
    assert c["estado"] == "sin_meta" and pd.isna(c["dif_agencia"])
    ins = _row(df, "dia_insatisfactorio", "101", "4b lectura", "cierre")
    assert (ins["valor"], ins["cambio"]) == (20.0, -20.0)
    # Periods are in the order of the school year, not of the alphabet.
    school = df[(df["indicador"] == "dia_satisfactorio") & (df["alcance_id"] == "101")]
    lect = school[school["serie"] == "4b lectura"]
    assert list(lect["etapa"]) == ["diagnóstico", "monitoreo intermedio", "cierre"]


def test_a_small_course_is_suppressed(dia: Store) -> None:
    df = compute_series(dia, Scope.all(), alcance="establecimiento")
    s = _row(df, "dia_satisfactorio", "101", "4b matemática", "diagnóstico")
    assert pd.isna(s["valor"]) and s["estado"] == "suprimido" and s["n"] == 8
    assert s["marca"] == "Grupo pequeño (n < 10): no se muestra para proteger la privacidad."


def test_a_territory_weights_by_students_per_series_and_period(dia: Store) -> None:
    df = compute_series(dia, Scope.all(), alcance="territorio")
    d = _row(df, "dia_satisfactorio", "comuna:9101", "4b lectura", "diagnóstico")
    c = _row(df, "dia_satisfactorio", "comuna:9101", "4b lectura", "cierre")
    assert d["valor"] == pytest.approx((25 * 20 + 20 * 30) / 50)  # 22
    assert c["valor"] == pytest.approx((45 * 20 + 30 * 30) / 50)  # 36
    assert (d["n"], c["cambio"]) == (50, pytest.approx(14.0))
    # Only 101 had an intermediate period.
    m = _row(df, "dia_satisfactorio", "comuna:9101", "4b lectura", "monitoreo intermedio")
    assert (m["valor"], m["n"]) == (30.0, 20)
    # Matemática: the small course is left out of the territory (it would reveal it), and the
    # other school gave no count: its plain value, without n.
    mat = _row(df, "dia_satisfactorio", "comuna:9101", "4b matemática", "diagnóstico")
    assert mat["valor"] == 17.8 and pd.isna(mat["n"])


def test_no_value_mixes_two_series(dia: Store) -> None:
    df = compute_series(dia, Scope.all(), indicadores=["dia_satisfactorio"])
    assert set(df["serie"]) == {"4b lectura", "4b matemática"}
    assert set(df["indicador"]) == {"dia_satisfactorio"}
    values = set(df["valor"].dropna())
    mixed = ((25 * 20 + 15 * 8) / 28, (20 + 17.8) / 2, (22 * 50 + 17.8 * 30) / 80)
    assert not any(v == pytest.approx(m) for v in values for m in mixed)
    # SIMCE and IDPS rows have no DIA period.
    assert compute_series(dia, Scope.all(), anio=2023).empty


def test_a_corrected_file_replaces_its_rows(dia: Store) -> None:
    fixed = HEADER + "2024;101;cierre;4b;lectura;15;35;50;64;20\n"
    import_file(dia, fixed.encode(), "dia_2024_corregido.csv", actor="test")
    df = compute_series(dia, Scope.all(), alcance_id="101", indicadores=["dia_satisfactorio"])
    assert _row(df, "dia_satisfactorio", "101", "4b lectura", "cierre")["valor"] == 50.0
    assert len(df[df["serie"] == "4b lectura"]) == 3


@pytest.mark.parametrize(
    ("line", "column", "words"),
    [
        ("2024;101;cierre;4b;lectura;40;40;30;52;20", "pct_satisfactorio", "no suman 100"),
        ("2024;101;mitad;4b;lectura;40;35;25;52;20", "periodo", "diagnóstico, monitoreo"),
        ("2024;101;cierre;4b;lectura;-5;35;70;52;20", "pct_insatisfactorio", "fuera de rango"),
        ("2024;101;cierre;9b;lectura;40;35;25;52;20", "curso", "valor no válido"),
        ("2024;101;cierre;4b;música;40;35;25;52;20", "area", "valor no válido"),
        ("2024;101;cierre;4b;lectura;40;35;25,55;52;20", "pct_satisfactorio", "decimales"),
        ("2024;101;cierre;4b;lectura;40;35;veinte;52;20", "pct_satisfactorio", "coma decimal"),
    ],
)
def test_bad_rows_are_refused_and_the_store_is_untouched(
    dia: Store, line: str, column: str, words: str
) -> None:
    before = dia.fingerprint()
    bad = HEADER + "2024;102;cierre;4b;lectura;30;40;30;47;30\n" + line + "\n"
    with pytest.raises(RefusedFileError) as info:
        import_file(dia, bad.encode(), "dia_malo.csv", actor="test")
    issue = info.value.report.errors[0]
    assert (issue.file, issue.row, issue.column.split(" ")[0]) == ("dia_malo.csv", 3, column)
    assert words in issue.message
    assert dia.fingerprint() == before


def test_the_template_has_the_platforms_columns() -> None:
    header = template_csv("dia").decode("utf-8-sig").splitlines()[0]
    for name in ("periodo", "curso", "area", "pct_satisfactorio", "pct_logro"):
        assert name in header
    with open_store(":memory:") as store:
        import_file(store, SCHOOLS.replace("\n101;", "\n10234;").encode(), "e.csv", actor="test")
        assert import_file(store, template_csv("dia"), "plantilla_dia.csv", actor="test")
