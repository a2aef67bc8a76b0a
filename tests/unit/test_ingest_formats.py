"""Official formats as they come: real public files and synthetic fixtures of each variant."""

from __future__ import annotations

from pathlib import Path

import pytest

from metrics.imports import MappingRow, detect, import_file, read_mapping, saved_mappings
from metrics.ingest.formats import detect_format, propose_mapping
from metrics.scope import Scope
from metrics.store import Store

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared" / "data"
GOOD = ROOT / "tests" / "data" / "good"
DIRECTORY = SHARED / "mineduc" / "directorio_oficial_ee_publico_2025.csv"


def test_real_directory_registers_schools_and_territories(empty_store: Store) -> None:
    result = import_file(empty_store, DIRECTORY, actor="test")
    assert (result.kind, result.format) == ("establecimientos", "mineduc_directorio")
    assert result.rows == result.rows_new == 16768
    df = empty_store.query_df("SELECT * FROM school WHERE rbd = 1")
    assert df.loc[0, "name"] == "LICEO POLITECNICO ARICA"
    assert df.loc[0, "comuna_code"] == 15101
    kinds = empty_store.query_df("SELECT kind, count(*) AS n FROM territory GROUP BY kind")
    assert set(kinds["kind"]) == {"comuna", "deprov"}
    links = empty_store.query_df("SELECT territory_id FROM school_territory WHERE rbd = 1")
    assert set(links["territory_id"]) == {"comuna:15101", "deprov:151"}
    # 50 schools of the real file carry a check digit that does not match: the file is the
    # authority on its own RBDs, so one summary line says so, no warning per school.
    (dv,) = result.report.warnings
    assert dv.value.startswith("50 RBD: 13208, 13218,") and "módulo 11" in dv.message
    again = import_file(empty_store, DIRECTORY, actor="test")
    assert again.duplicate_of == result.batch_id


@pytest.mark.parametrize(
    ("name", "grade", "year"),
    [
        ("simce4b2023_rbd_final.xlsx", "4b", 2023),
        ("simce4b2024_rbd_final.xlsx", "4b", 2024),
        ("simce2m2024_rbd_final.xlsx", "2m", 2024),
    ],
)
def test_real_simce_files(empty_store: Store, name: str, grade: str, year: int) -> None:
    result = import_file(empty_store, SHARED / "agencia" / name, actor="test")
    assert (result.kind, result.format) == ("pruebas", "agencia_simce")
    df = empty_store.query_df(
        "SELECT grade_level, year, subject, count(*) AS n, count(mean_score) AS scored "
        "FROM standardized_test GROUP BY ALL ORDER BY subject"
    )
    assert set(df["grade_level"]) == {grade}
    assert set(df["year"]) == {year}
    assert list(df["subject"]) == ["lectura", "matemática"]
    assert (df["scored"] < df["n"]).all()  # blank prom_* under a marca: NULL mean
    schools = empty_store.info(Scope.all()).schools
    assert schools == df["n"].iloc[0]


def test_simce_blank_score_under_marca_is_null(empty_store: Store) -> None:
    import_file(empty_store, GOOD / "agencia_simce8b2024_rbd.csv", actor="test")
    df = empty_store.query_df(
        "SELECT rbd, subject, mean_score, students_assessed FROM standardized_test ORDER BY ALL"
    )
    marked = df[df["rbd"] == 90002]
    assert marked["mean_score"].isna().all()
    assert list(df[df["rbd"] == 90001]["mean_score"]) == [251.0, 243.0]


@pytest.mark.parametrize(
    ("name", "encoding", "year"),
    [
        ("mineduc_rendimiento_2024_utf8.csv", "UTF-8", 2024),
        ("mineduc_rendimiento_2024_bom.csv", "UTF-8 con BOM", 2024),
        ("mineduc_rendimiento_2023_cp1252.csv", "Windows-1252 (Latin-1)", 2023),
    ],
)
def test_rendimiento_variants(empty_store: Store, name: str, encoding: str, year: int) -> None:
    d = detect(GOOD / name)
    assert (d.kind, d.format, d.encoding) == ("resultados", "mineduc_rendimiento", encoding)
    result = import_file(empty_store, GOOD / name, actor="test")
    assert result.rows == 11 and result.rows_skipped == 1  # blank SIT_FIN is skipped
    assert result.schools_registered == 2
    df = empty_store.query_df("SELECT * FROM student_result ORDER BY rbd, grade, letter")
    assert set(df["year"]) == {year}
    withdrawn = df[df["final_situation"] == "Y"]
    assert (withdrawn["final_average"] == 0).all()
    names = set(empty_store.query_df("SELECT name FROM school")["name"])
    assert "ESCUELA SINTÉTICA ÑUÑOA – ORIENTE" in names
    if "2024" in name:
        # SIT_FIN_R tells the transfer apart; the student then appears at the new school.
        moved = df[df["final_situation"] == "T"]
        assert len(moved) == 1
        same = df[df["student_id"] == moved["student_id"].iloc[0]]
        assert set(same["rbd"]) == {90001, 90002}
    # No raw MRUN anywhere.
    assert not df["student_id"].str.fullmatch(r"\d+").any()


def test_same_student_same_pseudonym_across_years_and_encodings(empty_store: Store) -> None:
    import_file(empty_store, GOOD / "mineduc_rendimiento_2024_utf8.csv", actor="test")
    import_file(empty_store, GOOD / "mineduc_rendimiento_2023_cp1252.csv", actor="test")
    df = empty_store.query_df("SELECT year, student_id FROM student_result")
    ids = df.groupby("year")["student_id"].apply(set)
    assert ids[2023] == ids[2024]


def test_monthly_attendance_with_zero_days_worked(empty_store: Store) -> None:
    result = import_file(empty_store, GOOD / "mineduc_asistencia_mensual_2024.csv", actor="test")
    assert result.format == "mineduc_asistencia" and result.rows == 9
    df = empty_store.query_df("SELECT * FROM student_attendance WHERE month = 7")
    assert (df["days_worked"] == 0).all() and len(df) == 3
    slep = empty_store.query_df("SELECT * FROM territory WHERE kind = 'slep'")
    assert list(slep["name"]) == ["SLEP SINTÉTICO ORIENTE"]


@pytest.fixture
def forms_schools(empty_store: Store) -> Store:
    """An empty store but for the schools the Forms files below name (5 and 90001)."""
    import_file(empty_store, b"rbd;nombre\n5;Escuela 5\n90001;Escuela 90001\n", "e.csv", actor="t")
    return empty_store


def test_google_forms_with_mapping_is_saved_and_reused(forms_schools: Store) -> None:
    empty_store = forms_schools
    mapping = read_mapping(GOOD / "google_forms_docentes_mapeo.csv")
    result = import_file(
        empty_store,
        GOOD / "google_forms_docentes.csv",
        mapping=mapping,
        wave="línea base",
        actor="test",
    )
    assert result.format == "google_forms" and result.rows == 12
    df = empty_store.query_df(
        "SELECT item, dimension, reverse_coded, answer, rbd, respondent_id, response_date "
        "FROM survey_response ORDER BY item, response_date"
    )
    assert set(df["rbd"]) == {90001}
    assert not df["respondent_id"].str.contains("@").any()
    burnout = df[df["dimension"] == "satisfaccion"]
    assert burnout["reverse_coded"].all()
    answers = dict(
        zip(
            df["response_date"].astype(str) + df["item"],
            df["answer"],
            strict=True,
        )
    )
    # "5 - Totalmente de acuerdo", "2. En desacuerdo", "MUY EN DESACUERDO", "Casi siempre"
    assert answers["2024-04-13¿Recibo apoyo del equipo directivo?"] == 5
    assert answers["2024-04-09¿Recibo apoyo del equipo directivo?"] == 2
    assert answers["2024-04-09Me siento agotado/a por el trabajo"] == 1
    assert answers["2024-04-09Trabajo en equipo con mis colegas [Observamos clases]"] == 4
    saved = saved_mappings(empty_store)
    assert "google_forms_docentes" in saved
    d = detect(GOOD / "google_forms_docentes.csv", store=empty_store)
    assert not d.needs_mapping and d.instrument == "google_forms_docentes"
    assert {m.dimension for m in d.proposed_mapping} >= {"colaboracion", "apoyo"}
    # Next upload (a later wave) needs no --mapeo: the saved mapping is found by its questions.
    data = (GOOD / "google_forms_docentes.csv").read_bytes() + b'"11/04/2024 9:00:00","x@y.cl",'
    data += b'"90001","Muy de acuerdo","4","4","4",""\n'
    again = import_file(empty_store, data, "encuesta_final.csv", wave="final", actor="test")
    assert again.rows == 16 and again.rows_new == 16


def test_microsoft_forms_xlsx_columns_out_of_order(forms_schools: Store) -> None:
    empty_store = forms_schools
    d = detect(GOOD / "microsoft_forms_estudiantes.xlsx")
    assert d.format == "microsoft_forms" and d.needs_mapping
    dims = {m.question: m.dimension for m in d.proposed_mapping}
    assert dims["Mis estudiantes aprenden más desde que trabajamos en comunidad"] == "aprendizaje"
    result = import_file(
        empty_store,
        GOOD / "microsoft_forms_estudiantes.xlsx",
        mapping=read_mapping(GOOD / "microsoft_forms_mapeo.csv"),
        wave="final",
        rbd=90001,
        respondent_kind="estudiante",
        actor="test",
    )
    assert result.rows == 4
    df = empty_store.query_df("SELECT * FROM survey_response ORDER BY item, respondent_id")
    assert set(df["respondent_kind"]) == {"estudiante"}
    assert list(df["answer"]) == [5, 3, 5, 3]


def test_forms_without_wave_are_refused_with_a_hint(empty_store: Store) -> None:
    from metrics.imports import RefusedFileError

    with pytest.raises(RefusedFileError, match="--ola"):
        import_file(
            empty_store,
            GOOD / "google_forms_docentes.csv",
            mapping=read_mapping(GOOD / "google_forms_docentes_mapeo.csv"),
            actor="test",
        )


def test_detect_formats() -> None:
    assert detect_format(["AGNO", "MES_ESCOLAR", "RBD", "MRUN", "DIAS_ASISTIDOS"]) == (
        "mineduc_asistencia"
    )
    assert detect_format(["ID", "Hora de inicio", "Hora de finalización"]) == "microsoft_forms"
    assert detect_format(["rbd", "nombre"]) is None


def test_propose_mapping_roles() -> None:
    rows = propose_mapping(["Nombre del establecimiento", "Comunidad", "¿Me siento satisfecho?"])
    assert [r.dimension for r in rows] == ["establecimiento", "comunidad", "satisfaccion"]
    assert MappingRow(question="x", dimension="Colaboración").dimension == "colaboracion"


def test_anonymous_google_form_numbers_respondents_by_row(forms_schools: Store) -> None:
    empty_store = forms_schools
    data = (
        b'"Marca temporal","Colaboro con colegas"\n'
        b'"2024/04/13 10:26:52 p. m. GMT-3","Siempre"\n"14/04/2024 9:00:00","1"\n'
        b'"15/04/2024 9:00:00",""\n'
    )
    result = import_file(
        empty_store,
        data,
        "anonima.csv",
        mapping=[MappingRow(question="Colaboro con colegas", dimension="colaboracion")],
        wave="final",
        rbd=5,
        actor="test",
    )
    assert result.rows == 2
    df = empty_store.query_df(
        "SELECT respondent_id, response_date::VARCHAR AS d, answer FROM survey_response ORDER BY 1"
    )
    assert df.values.tolist() == [["fila-2", "2024-04-13", 5], ["fila-3", "2024-04-14", 1]]
    assert result.rows_skipped == 1
    assert "respuesta(s) en blanco" in result.report.warnings[0].message


def test_rendimiento_schools_are_checked_and_registered_once_each(
    empty_store: Store, tmp_path: Path
) -> None:
    """School fields repeated on every row: the check digit is checked once per school (at
    its first row), names are trimmed, and a school whose rows are all skipped is not
    registered."""
    lines = (GOOD / "mineduc_rendimiento_2024_utf8.csv").read_text(encoding="utf-8").splitlines()
    header, rows = lines[0], lines[1:]
    fixed = []
    for line in rows:
        cells = line.split(";")
        if cells[1] == "90002":
            cells[2] = "3"  # 90002's check digit is 8
            cells[3] = f"  {cells[3]}  "
        fixed.append(";".join(cells))
    # 90017 has one row, with no final situation: skipped, so not registered.
    ghost = fixed[-1].split(";")
    ghost[1], ghost[2], ghost[3], ghost[22] = "90017", "6", "ESCUELA FANTASMA", "9999"
    fixed.append(";".join(ghost))
    path = tmp_path / "rendimiento_2024.csv"
    path.write_text("\n".join([header, *fixed]) + "\n", encoding="utf-8")

    result = import_file(empty_store, path, actor="test")
    assert result.rows_skipped == 2 and result.schools_registered == 2
    warnings = [i for i in result.report.issues if "dígito verificador" in i.message]
    assert [(w.row, w.column, w.value, w.severity) for w in warnings] == [
        (8, "RBD (B)", "1 RBD: 90002", "aviso")
    ]
    schools = empty_store.query_df("SELECT rbd, name, comuna FROM school ORDER BY rbd")
    assert list(schools["rbd"]) == [90001, 90002]
    assert schools["name"].iloc[1] == "LICEO SINTÉTICO PEÑALOLÉN"
    links = empty_store.query_df("SELECT territory_id FROM school_territory WHERE rbd = 90002")
    assert set(links["territory_id"]) == {"comuna:13122", "deprov:132"}


def test_codes_are_read_as_written_or_in_any_spelling() -> None:
    """Official codes pass as they are; any other spelling is normalised to the same code."""
    import duckdb

    from metrics.ingest.datasets import DATASETS
    from metrics.store.loads import _Q, typed_sql

    col = DATASETS["resultados"].column("final_situation")
    q = _Q()
    expr = typed_sql(q, col, "code", "x", None)
    written = ["P", "R", "Y", "T", "p", " Promovido ", "REPROBADO", "retirado", "Z", "PP"]
    con = duckdb.connect()
    got = [
        con.execute(f"SELECT {expr} FROM (SELECT ? AS x)", [*q.params, w]).fetchone()[0]  # type: ignore[index]
        for w in written
    ]
    assert got == ["P", "R", "Y", "T", "P", "P", "R", "Y", None, None]
