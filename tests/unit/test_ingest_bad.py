"""tests/data/bad: every malformed file is refused, names file, row and column, changes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from metrics.errors import UploadError
from metrics.imports import RefusedFileError, import_file
from metrics.store import Store

BAD = Path(__file__).resolve().parents[1] / "data" / "bad"

# file -> (row, text naming the column) of the first problem reported
EXPECTED: dict[str, tuple[int, str]] = {
    "vacio.csv": (1, "A"),
    "solo_encabezado.csv": (2, "anio"),
    "binario.csv": (1, "A"),
    # `|` is read since the Agencia ships older years so; this file still lacks columns.
    "separador_barra.csv": (1, "id_docente"),
    "falta_columna.csv": (1, "situacion"),
    "nota_fuera_de_rango.csv": (3, "promedio"),
    "asistencia_fuera_de_rango.csv": (2, "asistencia"),
    "situacion_desconocida.csv": (2, "situacion"),
    "fila_irregular.csv": (3, "J"),
    "fila_truncada.csv": (3, "grado"),
    "encabezado_duplicado.csv": (1, "rbd"),
    "columnas_ajenas.csv": (1, "A"),
    "extension_falsa.xlsx": (1, "A"),
    "xlsx_como_csv.csv": (1, "A"),
    "xlsx_corrupto.xlsx": (1, "A"),
    "excel_antiguo.xlsx": (1, "A"),
    "bomba_zip.xlsx": (1, "A"),
    "hoja_vacia.xlsx": (1, "A"),
    "fecha_imposible.csv": (2, "fecha_planificada"),
    "fecha_dudosa.xlsx": (2, "fecha_sesion"),
    "rut_invalido.csv": (2, "estudiante"),
    "dias_asistidos_mayor.csv": (2, "dias_asistidos"),
    "mes_fuera_de_rango.csv": (2, "mes"),
    "likert_desconocida.csv": (2, "respuesta"),
    "puntaje_mbe_fuera.csv": (2, "puntaje"),
    "rbd_texto.csv": (2, "rbd"),
    "filas_repetidas.csv": (3, "estudiante"),
    "tipo_comunidad_desconocido.csv": (2, "tipo"),
    "comillas_abiertas.csv": (2, "nombre"),
    "obligatorio_vacio.csv": (2, "nombre"),
    "mineduc_rendimiento_malo.csv": (2, "PROM_GRAL"),
    "simce_sin_agno.csv": (1, "agno"),
    "formulario_sin_mapeo.csv": (1, "Colaboro"),
    "numero_con_texto.csv": (2, "puntaje_promedio"),
    "fecha_anio_dos_digitos.csv": (2, "fecha_planificada"),
    "fecha_fuera_de_rango.csv": (3, "fecha_planificada"),
    "nota_con_mas_decimales.csv": (2, "promedio"),
    "nulo_en_fila_5.csv": (5, "nombre"),
    "fin_de_linea_mezclado.csv": (3, "nombre"),
    "comillas_sueltas.csv": (3, "nombre"),
    "encabezado_comillas_abiertas.csv": (1, "B"),
    "formulas_sin_valor.xlsx": (2, "promedio"),
    # Rows that name what the store does not hold (tests/unit/test_references.py says what).
    "huerfano_sesion_comunidad.csv": (3, "id_comunidad"),
    "huerfano_sesion_docente.csv": (2, "id_docente"),
    "huerfano_comunidad_escuela.csv": (2, "rbd"),
    "huerfano_docente_comunidad.csv": (2, "comunidades"),
    "huerfano_cronograma_comunidad.csv": (2, "id_comunidad"),
    "huerfano_meta_alcance.csv": (3, "alcance_id"),
    "huerfano_asignacion_escuela.csv": (2, "rbd"),
    "huerfano_encuesta_comunidad.csv": (2, "id_comunidad"),
    "huerfano_evaluacion_docente.csv": (2, "id_docente"),
    "huerfano_resultados_escuela.csv": (2, "rbd"),
    "huerfano_pruebas_escuela.csv": (2, "rbd"),
    "huerfano_dia_escuela.csv": (2, "rbd"),
    "dia_niveles_no_suman.csv": (3, "pct_satisfactorio"),
    "dia_periodo_desconocido.csv": (4, "periodo"),
    "dia_porcentaje_fuera.csv": (2, "pct_insatisfactorio"),
    "huerfano_asistencia_mensual_escuela.csv": (2, "rbd"),
}


def test_every_bad_file_is_listed() -> None:
    on_disk = {p.name for p in BAD.iterdir() if p.is_file()}
    assert on_disk == set(EXPECTED)
    assert len(on_disk) >= 25


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_bad_file_is_refused_and_changes_nothing(two_schools: Store, name: str) -> None:
    before = two_schools.fingerprint()
    row, column = EXPECTED[name]
    with pytest.raises(UploadError) as info:
        import_file(two_schools, BAD / name, actor="test")
    message = info.value.message
    assert name in message
    assert f"fila {row}," in message
    assert f"columna {column}" in message or f"columna ¿{column}" in message
    assert "tablero-import" not in message and "Error:" not in message  # no DuckDB text
    if isinstance(info.value, RefusedFileError):
        first = info.value.report.errors[0]
        assert (first.file, first.row) == (name, row)
        assert info.value.report.to_xlsx()[:2] == b"PK"
        if name.endswith(".csv"):  # every value shown is the cell as written in the file
            text = (BAD / name).read_bytes().decode("utf-8", errors="replace")
            for issue in info.value.report.issues:
                assert issue.value in text, (issue.row, issue.column, issue.value)
    assert two_schools.fingerprint() == before


def test_mineduc_file_reports_every_bad_cell_at_once(empty_store: Store) -> None:
    with pytest.raises(RefusedFileError) as info:
        import_file(empty_store, BAD / "mineduc_rendimiento_malo.csv", actor="test")
    cells = {(i.row, i.column.split(" ")[0]) for i in info.value.report.errors}
    assert (2, "PROM_GRAL") in cells
    assert any(row == 3 and "SIT_FIN" in col for row, col in cells)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (
            "fecha_anio_dos_digitos.csv",
            [(2, "1/2/24", "el año está escrito con dos dígitos")],
        ),
        (
            "fecha_fuera_de_rango.csv",
            [
                (3, "01-01-9999", "fuera del rango posible para datos escolares (de 2000 a"),
                (4, "01-01-0001", "fuera del rango posible para datos escolares (de 2000 a"),
            ],
        ),
        (
            "formulas_sin_valor.xlsx",
            [
                (n, f"=ROUND(AVERAGE(G{n}:H{n}),1)", "fórmula sin su valor calculado")
                for n in (2, 3, 4)
            ],
        ),
        (
            "nota_con_mas_decimales.csv",
            [(2, "6,5499999", "tiene más decimales de los que se guardan (1)")],
        ),
    ],
)
def test_values_that_are_not_values_are_refused_as_written(
    two_schools: Store, name: str, expected: list[tuple[int, str, str]]
) -> None:
    """Each file names what the store holds (school 101, community c-a): only its values fail."""
    with pytest.raises(RefusedFileError) as info:
        import_file(two_schools, BAD / name, actor="test")
    found = [(i.row, i.value, i.message) for i in info.value.report.errors]
    assert [(r, v) for r, v, _ in found] == [(r, v) for r, v, _ in expected]
    for (_, _, message), (_, _, wanted) in zip(found, expected, strict=True):
        assert wanted in message


def test_dates_run_from_2000_to_the_end_of_next_year() -> None:
    from datetime import date

    from metrics.imports import validate

    last = date.today().year + 1
    rows = [
        f"A{n};C1;reunión;{d};planificada"
        for n, d in enumerate(
            ["01-01-2000", f"31-12-{last}", "31-12-1999", f"01-01-{last + 1}"], start=1
        )
    ]
    data = ("id_actividad;id_comunidad;tipo;fecha_planificada;estado\n" + "\n".join(rows)).encode()
    report = validate(data, "cronograma.csv")
    assert [(i.row, i.value) for i in report.errors] == [
        (4, "31-12-1999"),
        (5, f"01-01-{last + 1}"),
    ]
