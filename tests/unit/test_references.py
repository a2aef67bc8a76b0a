"""Nothing points at what isn't there: references checked at import, undo with dependants, and
an engine that skips (and reports) the rows that point nowhere instead of failing."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from metrics import cli
from metrics.engine.indicators import compute_indicators, engine_problems
from metrics.errors import UploadError
from metrics.imports import (
    DATASETS,
    DependantsError,
    Pending,
    RefusedFileError,
    import_file,
    undo_batch,
    undo_plan,
    validate,
)
from metrics.scope import Scope
from metrics.store import DATA_TABLES, Store, open_store
from metrics.store.references import (
    ENTITIES,
    FILE_REFERENCES,
    STORE_REFERENCES,
    kind_needs,
)

BAD = Path(__file__).resolve().parents[1] / "data" / "bad"

SCHOOLS = b"rbd;nombre\n101;Escuela Uno\n202;Liceo Dos\n"
COMMUNITIES = b"id_comunidad;rbd;nombre;tipo\nCP-1;101;Lectura;cdp\nCP-2;202;Mate;cdp\n"
TEACHERS = b"anio;id_docente;rbd;comunidades\n2024;12.345.678-5;101;CP-1\n2024;D-2;202;CP-2\n"
SESSIONS = (
    b"id_comunidad;fecha_sesion;id_docente;asistio\n"
    b"CP-1;05-03-2024;12.345.678-5;s\xc3\xad\nCP-2;05-03-2024;D-2;no\n"
)
TARGETS = (
    b"indicador;alcance;alcance_id;meta;anio_limite\n"
    b"tasa_reprobacion;establecimiento;101;3,0;2025\n"
    b"participacion_activa;comunidad;CP-2;90;2025\n"
)


def _data(store: Store) -> dict[str, list[tuple[str, ...]]]:
    """Every data table's rows, sorted: the state undo must give back."""
    out = {}
    for table in DATA_TABLES:
        df = store.query_df(f"SELECT * FROM {table}")
        out[table] = sorted(tuple(str(v) for v in r) for r in df.itertuples(index=False))
    return out


# -- the declarations ----------------------------------------------------------------------------


def test_every_declared_reference_is_a_column() -> None:
    for ref in FILE_REFERENCES:
        assert ref.column in {c.target for c in DATASETS[ref.kind].columns}, ref
    with open_store(":memory:") as store:
        for ref in STORE_REFERENCES:
            columns = set(store.query_df(f"SELECT * FROM {ref.table} LIMIT 0").columns)
            assert ref.column in columns, ref
            assert ENTITIES[ref.entity].key in set(
                store.query_df(f"SELECT * FROM {ENTITIES[ref.entity].table} LIMIT 0").columns
            )


def test_which_kinds_need_which() -> None:
    needs = kind_needs()
    assert needs["asistencia_sesiones"] == ("comunidades", "docentes")
    assert needs["docentes"] == ("establecimientos", "comunidades")
    assert needs["metas"] == ("establecimientos", "comunidades")
    assert "establecimientos" not in needs


# -- refused at import ----------------------------------------------------------------------------

# file -> (errors, what the first message names, what it asks to load first)
ORPHANS: dict[str, tuple[int, str, str]] = {
    "huerfano_sesion_comunidad.csv": (1, "la comunidad «CP-NO-EXISTE»", "plantilla comunidades"),
    "huerfano_sesion_docente.csv": (1, "el docente «D-99»", "plantilla docentes"),
    "huerfano_comunidad_escuela.csv": (1, "el establecimiento «999»", "Directorio oficial"),
    "huerfano_docente_comunidad.csv": (1, "la comunidad «CP-NO»", "plantilla comunidades"),
    "huerfano_cronograma_comunidad.csv": (1, "la comunidad «CP-NO»", "plantilla comunidades"),
    "huerfano_meta_alcance.csv": (2, "la comunidad «CP-NO»", "plantilla comunidades"),
    "huerfano_asignacion_escuela.csv": (1, "el establecimiento «999»", "establecimientos"),
    "huerfano_encuesta_comunidad.csv": (1, "la comunidad «CP-NO»", "plantilla comunidades"),
    "huerfano_evaluacion_docente.csv": (1, "el docente «D-99»", "plantilla docentes"),
    "huerfano_resultados_escuela.csv": (1, "el establecimiento «999»", "establecimientos"),
    "huerfano_pruebas_escuela.csv": (1, "el establecimiento «999»", "establecimientos"),
    "huerfano_asistencia_mensual_escuela.csv": (1, "el establecimiento «999»", "Directorio"),
}


@pytest.mark.parametrize("name", sorted(ORPHANS))
def test_a_row_that_points_nowhere_refuses_the_file(two_schools: Store, name: str) -> None:
    before = two_schools.fingerprint()
    errors, names, load_first = ORPHANS[name]
    with pytest.raises(RefusedFileError) as info:
        import_file(two_schools, BAD / name, actor="test")
    report = info.value.report
    assert len(report.errors) == errors, report.lines()
    first = report.errors[0].message
    assert first.startswith(f"{names} no existe en la base de datos"), first
    assert "Cargue primero" in first and load_first in first
    assert two_schools.fingerprint() == before


def test_the_territory_of_a_target_must_exist(two_schools: Store) -> None:
    with pytest.raises(RefusedFileError) as info:
        import_file(two_schools, BAD / "huerfano_meta_alcance.csv", actor="test")
    last = info.value.report.errors[-1]
    assert (last.row, last.value) == (4, "slep:ninguno")
    assert last.message.startswith("el territorio «slep:ninguno» no existe")


def test_the_same_file_fixed_loads(two_schools: Store) -> None:
    fixed = (BAD / "huerfano_sesion_comunidad.csv").read_bytes().replace(b"CP-NO-EXISTE", b"c-b")
    assert import_file(two_schools, fixed, "sesiones.csv", actor="test").rows == 2


def test_an_official_file_brings_its_own_schools(empty_store: Store) -> None:
    good = Path(__file__).resolve().parents[1] / "data" / "good"
    result = import_file(empty_store, good / "agencia_simce8b2024_rbd.csv", actor="test")
    assert result.schools_registered > 0 and result.report.ok


def test_a_file_may_name_what_an_earlier_file_of_the_same_upload_brings(
    empty_store: Store,
) -> None:
    before = empty_store.fingerprint()
    # Validated (the Cargar datos page) and simulated (--simular): nothing written, yet each
    # file may name what the ones before it would bring.
    for check in ("validate", "dry_run"):
        upload = Pending()
        for name, data in (
            ("e.csv", SCHOOLS),
            ("c.csv", COMMUNITIES),
            ("d.csv", TEACHERS),
            ("s.csv", SESSIONS),
            ("m.csv", TARGETS),
        ):
            if check == "validate":
                report = validate(data, name, store=empty_store, upload=upload)
                assert report.ok, report.lines()
            else:
                import_file(empty_store, data, name, actor="t", dry_run=True, upload=upload)
        assert upload.of("community") == ["CP-1", "CP-2"]
        assert len(upload.of("teacher")) == 2 and "12.345.678-5" not in upload.of("teacher")
        assert empty_store.fingerprint() == before
    # Alone, the sessions name what is not there.
    report = validate(SESSIONS, "s.csv", store=empty_store)
    assert [(i.row, i.column.split(" ")[0]) for i in report.errors] == [
        (2, "id_comunidad"),
        (2, "id_docente"),
        (3, "id_comunidad"),
        (3, "id_docente"),
    ]


def test_importar_takes_the_files_of_one_command_in_dependency_order(
    store_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    files = []
    for name, data in (("1_sesiones.csv", SESSIONS), ("2_comunidades.csv", COMMUNITIES)):
        files.append(tmp_path / name)
        files[-1].write_bytes(data)
    files += [tmp_path / "3_docentes.csv", tmp_path / "4_escuelas.csv"]
    files[2].write_bytes(TEACHERS)
    files[3].write_bytes(SCHOOLS)
    assert cli.main(["importar", *map(str, files), "--db", str(store_path)]) == 0, capsys
    out = capsys.readouterr().out
    order = [out.index(f.name) for f in (files[3], files[1], files[2], files[0])]
    assert order == sorted(order)


# -- undo with dependants -------------------------------------------------------------------------


def _chain(store: Store) -> list[int]:
    """Schools, communities, teachers, sessions, targets: each load points at earlier ones."""
    ids = []
    for name, data in (
        ("e.csv", SCHOOLS),
        ("c.csv", COMMUNITIES),
        ("d.csv", TEACHERS),
        ("s.csv", SESSIONS),
        ("m.csv", TARGETS),
    ):
        result = import_file(store, data, name, actor="t")
        assert result.batch_id is not None
        ids.append(result.batch_id)
    return ids


def test_undo_of_a_load_others_depend_on_is_refused_naming_them(empty_store: Store) -> None:
    _, communities, teachers, sessions, targets = _chain(empty_store)
    assert [b.id for b in undo_plan(empty_store, communities).dependants] == [
        targets,
        sessions,
        teachers,
    ]
    before = empty_store.fingerprint()
    with pytest.raises(DependantsError) as info:
        undo_batch(empty_store, communities, "t")
    message = info.value.message
    assert f"carga {communities} (Comunidades de práctica, c.csv," in message
    assert "3 cargas dependen de ella" in message
    for batch, file in ((sessions, "s.csv"), (teachers, "d.csv"), (targets, "m.csv")):
        assert f"carga {batch} (" in message and file in message
    # A confirmation of another list (one that changed since it was shown) is refused too.
    with pytest.raises(DependantsError):
        undo_batch(empty_store, communities, "t", with_dependants=[sessions, teachers])
    assert empty_store.fingerprint() == before
    # The newest load has nothing depending on it.
    assert undo_plan(empty_store, targets).dependants == ()


def test_confirmed_undo_takes_the_dependants_with_it(empty_store: Store) -> None:
    empty = _data(empty_store)
    schools, communities, teachers, sessions, targets = _chain(empty_store)
    deps = [b.id for b in undo_plan(empty_store, schools).dependants]
    assert deps == [targets, sessions, teachers, communities]
    undo_batch(empty_store, schools, "t", with_dependants=deps)
    assert _data(empty_store) == empty  # as before the first load
    batches = empty_store.batches(Scope.all(), limit=10)
    assert batches["undone_at"].notna().all()
    with pytest.raises(UploadError, match="ya fue deshecha"):
        undo_batch(empty_store, schools, "t", with_dependants=deps)


def test_a_corrected_file_replaced_rows_so_undo_waits_for_it(empty_store: Store) -> None:
    first = import_file(empty_store, SCHOOLS, "e.csv", actor="t").batch_id
    fixed = SCHOOLS.replace(b"Escuela Uno", b"Escuela N.1")
    second = import_file(empty_store, fixed, "e2.csv", actor="t").batch_id
    assert first is not None and second is not None
    with pytest.raises(DependantsError, match="Deshaga primero"):
        undo_batch(empty_store, first, "t")
    undo_batch(empty_store, first, "t", with_dependants=[second])
    assert empty_store.query_df("SELECT count(*) AS n FROM school")["n"][0] == 0


def test_cargas_deshacer_lists_then_undoes_with_con_dependientes(
    store_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with open_store(store_path) as store:
        _chain(store)
    db = ["--db", str(store_path)]
    assert cli.main(["cargas", "--deshacer", "2", *db]) == 2
    err = capsys.readouterr().err
    assert "No se deshizo nada: la carga 2 (Comunidades de práctica, c.csv," in err
    assert "carga 5 (Metas, m.csv," in err and "carga 4 (" in err and "carga 3 (" in err
    assert "tablero cargas --deshacer 2 --con-dependientes" in err
    with open_store(store_path) as store:
        assert store.query_df("SELECT count(*) AS n FROM community")["n"][0] == 2
    assert cli.main(["cargas", "--deshacer", "2", "--con-dependientes", *db]) == 0
    out = capsys.readouterr().out
    assert "Deshecha también la carga 5 (Metas" in out and "Carga 2 deshecha." in out
    with open_store(store_path) as store:
        data = _data(store)
    # Only the schools' load is left.
    assert len(data["school"]) == 2
    assert not [t for t, rows in data.items() if rows and t != "school"]


# -- the engine: one bad row never blanks every page ----------------------------------------------


def _orphans(store: Store) -> None:
    """Rows naming a community and a school the store does not hold, written directly (as an
    old version, or an undo outside this app, could have left them)."""
    rows = {
        "session_attendance": pd.DataFrame(
            {
                "community_id": ["c-zz"],
                "session_date": [date(2024, 4, 2)],
                "teacher_id": ["t-a"],
                "attended": [True],
                "strategies_shared": [1],
            }
        ),
        "community_member": pd.DataFrame(
            {"year": [2024], "community_id": ["c-zz"], "teacher_id": ["t-a"]}
        ),
        "activity": pd.DataFrame(  # the schedule is computed per request, not cached
            {
                "id": ["a-zz"],
                "community_id": ["c-zz"],
                "kind": ["reunión"],
                "planned_date": [date(2024, 4, 2)],
                "status": ["realizada"],
            }
        ),
        "student_result": pd.DataFrame(
            {
                "year": [2024],
                "rbd": [999],
                "cod_ense": [110],
                "grade": [1],
                "letter": ["A"],
                "student_id": ["s-zz"],
                "final_average": [4.0],
                "final_situation": ["R"],
                "attendance_pct": [80.0],
            }
        ),
    }
    with store.transaction() as cur:
        batch = store.new_batch(cur, kind="prueba", file_name="z", file_hash="z", actor="t")
        for table, frame in rows.items():
            store.insert_frame(cur, table, frame, batch)


def test_rows_that_point_nowhere_are_skipped_and_reported(two_schools: Store) -> None:
    cutoff = date(2024, 12, 31)
    before = compute_indicators(two_schools, Scope.all(), corte=cutoff, min_group=1)
    assert engine_problems(two_schools) == []
    _orphans(two_schools)
    after = compute_indicators(two_schools, Scope.all(), corte=cutoff, min_group=1)
    assert not after["alcance_id"].astype(str).isin(["c-zz", "999"]).any()
    pd.testing.assert_frame_equal(after, before)
    problems = engine_problems(two_schools)
    assert len(problems) == 4
    assert any(
        p.startswith(
            "1 fila(s) de Asistencia a sesiones (columna community_id) nombran una "
            "comunidad que no está en la base de datos."
        )
        for p in problems
    )
    assert any(
        "Resultados finales de estudiantes" in p and "un establecimiento" in p for p in problems
    )


def test_indicadores_command_works_and_warns(
    store_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.conftest import SCHOOL_A, fill_school

    with open_store(store_path) as store:
        fill_school(store, SCHOOL_A, "a")
        _orphans(store)
    code = cli.main(["indicadores", "--formato", "json", "--db", str(store_path)])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "Aviso: 1 fila(s) de Asistencia a sesiones" in captured.err
    assert '"alcance_id":"101"' in captured.out.replace(" ", "")


def test_a_dependant_with_other_schools_is_named_by_its_number_only(empty_store: Store) -> None:
    import_file(empty_store, SCHOOLS, "e.csv", actor="t")
    import_file(empty_store, COMMUNITIES.replace(b"CP-2;202", b"CP-2;101"), "c1.csv", actor="t")
    import_file(empty_store, b"id_comunidad;rbd;nombre;tipo\nCP-3;202;B;cdp\n", "c2.csv", actor="t")
    labels = [b.label() for b in undo_plan(empty_store, 1, Scope.schools([101])).dependants]
    assert labels[0] == "carga 3 (con establecimientos fuera de su alcance)"
    assert labels[1].startswith("carga 2 (Comunidades de práctica, c1.csv,")
