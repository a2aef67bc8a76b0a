"""The pipeline's promises: templates round-trip, replace by key, idempotency, exact undo."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from metrics.errors import UploadError
from metrics.imports import (
    DATASETS,
    RefusedFileError,
    codes_table,
    import_file,
    list_batches,
    template_csv,
    template_xlsx,
    undo_batch,
    validate,
)
from metrics.store import DATA_TABLES, Store
from metrics.store.references import UPLOAD_ORDER, upload_rank


def _snapshot(store: Store) -> dict[str, list[tuple]]:
    """Every data table's rows, sorted (batch ids included): 'the state'."""
    out = {}
    for table in DATA_TABLES:
        df = store.query_df(f"SELECT * FROM {table}")
        out[table] = sorted(tuple(str(v) for v in row) for row in df.itertuples(index=False))
    return out


@pytest.fixture
def school_101(empty_store: Store) -> Store:
    """An empty store but for school 101 (the files below name it)."""
    import_file(empty_store, b"rbd;nombre\n101;Escuela 101\n", "e101.csv", actor="x")
    return empty_store


@pytest.mark.parametrize("kind", sorted(DATASETS))
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_every_template_imports_back(empty_store: Store, kind: str, fmt: str) -> None:
    # The templates' examples point at each other: what a kind names is loaded first.
    for first in UPLOAD_ORDER[: upload_rank(kind)]:
        import_file(empty_store, template_csv(first), f"plantilla_{first}.csv", actor="test")
    data = template_csv(kind) if fmt == "csv" else template_xlsx(kind)
    result = import_file(empty_store, data, f"plantilla_{kind}.{fmt}", actor="test", wave="final")
    assert result.kind == kind
    assert result.rows == 2, result.report.lines()
    assert result.report.ok


def test_xlsx_template_has_codes_sheet() -> None:
    wb = load_workbook(io.BytesIO(template_xlsx("resultados")), read_only=True)
    assert wb.sheetnames == ["datos", "columnas", "codigos"]
    codes = [r for r in codes_table("resultados") if r[0] == "situacion"]
    assert [r[1] for r in codes] == ["P", "R", "Y", "T"]


def test_unknown_template_kind() -> None:
    with pytest.raises(UploadError, match="Tipos válidos"):
        template_csv("nada")


RESULTS = "anio;rbd;cod_ense;grado;letra;estudiante;promedio;situacion;asistencia\n"


def _results(*rows: str) -> bytes:
    return (RESULTS + "\n".join(rows) + "\n").encode()


def test_corrected_file_replaces_by_key_and_undo_restores_exactly(two_schools: Store) -> None:
    before_first = _snapshot(two_schools)
    first = import_file(
        two_schools,
        _results(
            "2024;101;110;1;A;12.345.678-5;5,5;P;90",
            "2024;101;110;1;A;11.111.111-1;3,5;R;80",
        ),
        "notas.csv",
        actor="ana",
    )
    assert (first.rows_new, first.rows_replaced) == (2, 0)
    after_first = _snapshot(two_schools)
    corrected = import_file(
        two_schools,
        _results(
            "2024;101;110;1;A;12.345.678-5;6,0;P;95",  # corrected
            "2024;101;110;1;A;9.876.543-3;4,5;P;88",  # new
        ),
        "notas_corregidas.csv",
        actor="ana",
    )
    assert (corrected.rows, corrected.rows_new, corrected.rows_replaced) == (2, 1, 1)
    averages = two_schools.query_df(
        "SELECT final_average FROM student_result WHERE rbd = 101 AND batch_id > 2 ORDER BY 1"
    )["final_average"].tolist()
    assert averages == [3.5, 4.5, 6.0]
    with pytest.raises(UploadError, match="Deshaga primero"):
        undo_batch(two_schools, first.batch_id, "ana")
    undo_batch(two_schools, corrected.batch_id, "ana")
    assert _snapshot(two_schools) == after_first
    undo_batch(two_schools, first.batch_id, "ana")
    assert _snapshot(two_schools) == before_first
    history = list_batches(two_schools)
    assert history["undone_at"].notna().sum() == 2
    with pytest.raises(UploadError, match="ya fue deshecha"):
        undo_batch(two_schools, first.batch_id, "ana")


def test_same_file_twice_changes_nothing(school_101: Store) -> None:
    data = _results("2024;101;110;1;A;12.345.678-5;5,5;P;90")
    first = import_file(school_101, data, "a.csv", actor="x")
    fingerprint = school_101.fingerprint()
    again = import_file(school_101, data, "copia.csv", actor="x")
    assert again.duplicate_of == first.batch_id and again.batch_id is None
    assert "no se cambió nada" in again.summary()
    assert school_101.fingerprint() == fingerprint
    undo_batch(school_101, first.batch_id, "x")
    assert import_file(school_101, data, "a.csv", actor="x").batch_id is not None


def test_dry_run_writes_nothing_but_counts(two_schools: Store) -> None:
    before = two_schools.fingerprint()
    result = import_file(
        two_schools,
        _results("2024;101;110;1;A;12.345.678-5;5,5;P;90"),
        "a.csv",
        actor="x",
        dry_run=True,
    )
    assert result.dry_run and result.rows_new == 1 and result.batch_id is None
    assert "Simulación" in result.summary()
    assert two_schools.fingerprint() == before


def test_raw_ruts_are_never_stored(school_101: Store) -> None:
    import_file(
        school_101,
        _results("2024;101;110;1;A;12.345.678-5;5,5;P;90", "2024;101;110;1;A;1234567-0;5,5;P;90"),
        "a.csv",
        actor="x",
    )
    ids = school_101.query_df("SELECT student_id FROM student_result")["student_id"]
    assert all(i.startswith("p") and len(i) == 21 for i in ids)
    raw = school_101.query_df("SELECT * FROM student_result").to_string()
    assert "12345678" not in raw and "12.345.678" not in raw


def test_provisional_id_is_a_warning(school_101: Store) -> None:
    result = import_file(
        school_101, _results("2024;101;110;1;A;12.345.678-0;5,5;P;90"), "a.csv", actor="x"
    )
    assert result.rows == 1
    assert [w.column for w in result.report.warnings] == ["estudiante (F)"]


def test_refused_report_lists_all_problems_and_annotated_xlsx(school_101: Store) -> None:
    data = _results(
        "2024;101;110;1;A;12.345.678-5;9,5;P;90",
        "2024;101;110;1;A;11.111.111-1;5,0;Q;190",
    )
    with pytest.raises(RefusedFileError) as info:
        import_file(school_101, data, "malo.csv", actor="x")
    report = info.value.report
    assert {(i.row, i.column.split(" ")[0]) for i in report.errors} == {
        (2, "promedio"),
        (3, "situacion"),
        (3, "asistencia"),
    }
    frame = report.to_frame()
    assert list(frame.columns) == ["tipo", "fila", "columna", "valor", "qué hacer"]
    assert len(frame) == 3
    wb = load_workbook(io.BytesIO(report.to_xlsx()))
    assert wb.sheetnames == ["Problemas", "Datos"]
    problems = list(wb["Problemas"].iter_rows(values_only=True))
    assert problems[0] == ("Archivo", "Fila", "Columna", "Valor", "Tipo", "Qué hacer")
    assert len(problems) == 4
    data_sheet = wb["Datos"]
    # Column A of 'Datos' is the Excel row, so the file's column G (promedio) is H there.
    assert data_sheet["H2"].comment is not None
    assert data_sheet["H3"].comment is None
    assert data_sheet["I3"].comment is not None and data_sheet["J3"].comment is not None


def test_validate_without_store() -> None:
    report = validate(_results("2024;101;110;1;A;12.345.678-5;5,5;P;90"), "a.csv")
    assert report.ok and report.rows == 1


def test_teachers_and_memberships(school_101: Store) -> None:
    empty_store = school_101
    import_file(
        empty_store,
        b"id_comunidad;rbd;nombre;tipo\nC1;101;Uno;cdp\nC2;101;Dos;cdp\n",
        "c.csv",
        actor="x",
    )
    data = (
        b"anio;id_docente;nombre;rbd;anios_experiencia;tramo;comunidades\n"
        b"2024;12.345.678-5;Ana;101;2;inicial;C1|C2\n"
        b"2024;D-02;Juan;101;15;avanzado;C1\n"
    )
    result = import_file(empty_store, data, "docentes.csv", actor="x")
    assert result.rows == 2
    members = empty_store.query_df("SELECT * FROM community_member ORDER BY ALL")
    assert len(members) == 3
    ids = set(empty_store.query_df("SELECT id FROM teacher")["id"])
    assert "D-02" in ids and not any("12" in i and "." in i for i in ids)
    fixed = data.replace(b"C1|C2", b"C2")
    again = import_file(empty_store, fixed, "docentes2.csv", actor="x")
    assert again.rows_replaced == 2
    assert len(empty_store.query_df("SELECT * FROM community_member")) == 2


def test_progress_is_reported(school_101: Store) -> None:
    seen: list[float] = []
    import_file(
        school_101,
        _results("2024;101;110;1;A;12.345.678-5;5,5;P;90"),
        "a.csv",
        actor="x",
        progress=lambda f, m: seen.append(f),
    )
    assert seen[0] < seen[-1] == 1.0


def test_separator_only_rows_are_ignored_and_rows_keep_excel_numbers(school_101: Store) -> None:
    data = _results(
        "2024;101;110;1;A;12.345.678-5;5,5;P;90",
        ";;;;;;;;",
        "2024;101;110;1;A;11.111.111-1;9,5;P;90",
        ";;;;;;;;",
    )
    with pytest.raises(RefusedFileError) as info:
        import_file(school_101, data, "a.csv", actor="x")
    assert [(i.row, i.column) for i in info.value.report.errors] == [(4, "promedio (G)")]
    fixed = data.replace(b"9,5", b"6,5")
    assert import_file(school_101, fixed, "a.csv", actor="x").rows == 2


def test_messages_show_each_value_as_written() -> None:
    """A staged file keeps the text of a typed cell only where a message may need it: what
    each message shows is still the cell as the user wrote it (or, for a value read well that
    another rule flags, the value with a decimal comma)."""
    report = validate(
        _results(
            "2024;101;110;1;A;12.345.678-5;08,50;P;90",  # out of range, written with a 0
            "2024;101;110;1;A;11.111.111-1;0;P;90",  # 0 for a promoted student: a warning
            "2024;101;110;1;A;22.222.222-2;cinco;P;90",  # unreadable
            "02024;101;110;1;A;12.345.678-5;5,5;P;90",  # the key of row 2, written otherwise
            "2024;101;;1;A;44.444.444-4;5,5;P;90",  # a required cell left blank
            "2024;101;110;1;A;33.333.333-3;5,5;P;",  # a blank cell that may be blank
            "2024;101;110;1;A;33.333.333-3;5,5;p;abc",  # the key of row 7; unreadable
        ),
        "valores.csv",
    )
    shown = sorted((i.row, i.column.split(" ")[0], i.value, i.severity) for i in report.issues)
    assert shown == [
        (2, "promedio", "08,50", "error"),
        (3, "promedio", "0", "aviso"),
        (4, "promedio", "cinco", "error"),
        (5, "estudiante", "", "error"),
        (6, "cod_ense", "", "error"),
        (8, "asistencia", "abc", "error"),
        (8, "estudiante", "", "error"),
    ]
    repeated = {i.row: i.message for i in report.issues if "fila repetida" in i.message}
    assert repeated[5].endswith("ya aparece en la fila 2. Deje una sola de las dos filas.")
    assert "ya aparece en la fila 7." in repeated[8]


def test_days_attended_over_days_worked_shows_the_days() -> None:
    data = (
        b"anio;mes;rbd;cod_ense;grado;letra;estudiante;dias_asistidos;dias_trabajados\n"
        b"2024;3;101;110;1;A;12.345.678-5;21;20\n"
        b"2024;3;101;110;1;A;11.111.111-1;19;20\n"
    )
    report = validate(data, "asistencia.csv", kind="asistencia_mensual")
    assert [(i.row, i.column.split(" ")[0], i.value) for i in report.issues] == [
        (2, "dias_asistidos", "21")
    ]
