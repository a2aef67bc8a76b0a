"""SLEP territories from Mineduc's official list, format detection on real Agencia files, and
writes scoped like reads: who may change which territories a school belongs to."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from metrics.access import Role, access_for, scope_of
from metrics.cli import main
from metrics.errors import AccessError
from metrics.imports import RefusedFileError, detect, import_file, undo_batch
from metrics.ingest.formats import detect_format
from metrics.scope import Scope
from metrics.store import DATA_TABLES, Store, open_store
from metrics.store.users import save_user

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared" / "data"
DIRECTORY = SHARED / "mineduc" / "directorio_oficial_ee_publico_2025.csv"
SLEP_LIST = SHARED / "mineduc" / "listado_slep_2026.xlsx"
IDPS_2024 = SHARED / "agencia" / "idps4b2024_rbd_final.xlsx"
IDPS_2023 = SHARED / "agencia" / "idps4b2023_rbd_final.xlsx"
SIMCE_2025 = SHARED / "agencia" / "simce4b2025_rbd_preliminar.xlsx"
PASSWORD = "una-clave-bien-larga"


# -- what the official files say, read independently (openpyxl and pandas) -----------------------


def _slep_list() -> pd.DataFrame:
    wb = openpyxl.load_workbook(SLEP_LIST, read_only=True)
    rows = list(wb.worksheets[0].iter_rows(values_only=True))
    wb.close()
    return pd.DataFrame(rows[1:], columns=rows[0])


def _expected_schools(cod_slep: int) -> set[int]:
    """RBDs of the directory's SLEP schools (COD_DEPE2 = 5) in the comunas the list gives."""
    listed = _slep_list()
    comunas = {int(c) for c in listed.loc[listed["COD_SLEP"] == cod_slep, "COD_COM_RBD"]}
    directory = pd.read_csv(DIRECTORY, sep=";", dtype=str)
    slep = directory[
        (directory["COD_DEPE2"].str.strip() == "5")
        & directory["COD_COM_RBD"].astype(int).isin(comunas)
    ]
    return {int(r) for r in slep["RBD"]}


def _slep_links(store: Store) -> pd.DataFrame:
    return store.query_df(
        "SELECT rbd, territory_id FROM school_territory WHERE territory_id LIKE 'slep:%' "
        "ORDER BY rbd, territory_id"
    )


@pytest.fixture(scope="module", params=["lista primero", "directorio primero"])
def real_store(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Store]:
    """The SLEP list and the real directory, loaded in either order (one store per order)."""
    store = open_store(tmp_path_factory.mktemp("slep") / "real.duckdb")
    files = [SLEP_LIST, DIRECTORY] if request.param == "lista primero" else [DIRECTORY, SLEP_LIST]
    for path in files:
        import_file(store, path, actor="test")
    yield store
    store.close()


def test_slep_list_is_recognised_as_an_official_format() -> None:
    found = detect(SLEP_LIST)
    assert (found.kind, found.format) == ("slep", "mineduc_slep")


def test_every_slep_of_the_list_is_a_territory(real_store: Store) -> None:
    listed = _slep_list()
    sleps = real_store.query_df("SELECT id, name, comunas FROM territory WHERE kind = 'slep'")
    assert len(sleps) == listed["COD_SLEP"].nunique() == 70
    barrancas = sleps.set_index("id").loc["slep:1303"]
    assert barrancas["name"] == "SLEP Barrancas"
    assert sorted(barrancas["comunas"]) == [13103, 13117, 13124]


@pytest.mark.parametrize("cod_slep", [1303, 503, 1003])
def test_a_slep_gets_the_directorys_slep_schools_of_its_comunas(
    real_store: Store, cod_slep: int
) -> None:
    links = _slep_links(real_store)
    got = {int(r) for r in links.loc[links["territory_id"] == f"slep:{cod_slep}", "rbd"]}
    assert got == _expected_schools(cod_slep)
    assert got  # Barrancas, Costa Central and Chiloé all have SLEP schools in 2025


def test_every_slep_school_has_exactly_one_slep(real_store: Store) -> None:
    links = _slep_links(real_store)
    directory = pd.read_csv(DIRECTORY, sep=";", dtype=str)
    slep_schools = {int(r) for r in directory.loc[directory["COD_DEPE2"] == "5", "RBD"]}
    assert set(links["rbd"]) == slep_schools  # 2.161: every comuna of theirs has a SLEP
    assert links["rbd"].is_unique


def test_a_supervisor_scoped_to_a_slep_sees_its_schools(
    real_store: Store, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    args = ["usuarios", "agregar", "sup@barrancas.cl", "--rol", "supervisor"]
    assert (
        main([*args, "--territorio", "slep:1303", "--contrasena-stdin", "--db", real_store.path])
        == 0
    )
    access = access_for(real_store, "sup@barrancas.cl")
    assert access.scope == Scope.schools(_expected_schools(1303))
    assert access.scope.administers("slep:1303") and not access.scope.administers("slep:503")


def _data(store: Store) -> dict[str, list[tuple[str, ...]]]:
    """Every data table's rows, sorted."""
    out = {}
    for table in DATA_TABLES:
        df = store.query_df(f"SELECT * FROM {table}")
        out[table] = sorted(tuple(str(v) for v in row) for row in df.itertuples(index=False))
    return out


def test_undoing_the_slep_list_takes_its_territories_back(
    tmp_path: Path,
) -> None:
    with open_store(tmp_path / "s.duckdb") as store:
        import_file(store, DIRECTORY, actor="test")
        before = _data(store)
        loaded = import_file(store, SLEP_LIST, actor="test")
        assert loaded.rows == loaded.rows_new == 346
        assert len(_slep_links(store)) == 2161
        assert loaded.batch_id is not None
        undo_batch(store, loaded.batch_id, "test")
        assert _data(store) == before


# -- format detection that knows what it doesn't know -----------------------------------------


def _header(path: Path) -> list[str]:
    wb = openpyxl.load_workbook(path, read_only=True)
    first = next(wb.worksheets[0].iter_rows(max_row=1, values_only=True))
    wb.close()
    return [str(h) for h in first]


@pytest.mark.parametrize("path", [IDPS_2023, IDPS_2024])
def test_both_idps_layouts_are_recognised(path: Path) -> None:
    """2023 puts grado second and has no dif* columns; both are IDPS, not a school directory."""
    assert detect_format(_header(path)) == "agencia_idps"


def test_an_idps_file_imports_as_standardized_tests() -> None:
    """IDPS files used to be refused; now one row per school and indicator, test IDPS."""
    data = b"rbd;grado;agno;ind;prom;nom_rbd;cod_com_rbd\n5;4;2023;AM;76;ESCUELA;15101\n"
    data += b"5;4;2023;CC;74;ESCUELA;15101\n"
    with open_store(":memory:") as store:
        import_file(store, data, "idps4b2023.csv", actor="test")
        got = store.query_df(
            "SELECT year, rbd, test, grade_level, subject, mean_score FROM standardized_test "
            "ORDER BY subject"
        )
    assert got.values.tolist() == [
        [2023, 5, "IDPS", "4b", "AM", 76.0],
        [2023, 5, "IDPS", "4b", "CC", 74.0],
    ]


def test_an_idps_file_is_detected_as_such() -> None:
    data = b"agno;rbd;ind;prom;nom_rbd;cod_com_rbd;grado\n2024;5;AM;75;ESCUELA;15101;4b\n"
    found = detect(data, "idps.csv")
    assert (found.kind, found.format) == ("pruebas", "agencia_idps")
    assert not [i for i in found.issues if i.severity == "error"]
    # Without a grade, in the file or its name, the series cannot be named.
    data = data.replace(b";grado", b"").replace(b";4b", b"")
    (issue,) = detect(data, "idps.csv").issues
    assert (issue.row, issue.column) == (1, "grado") and "nivel" in issue.message


def test_idps_2024_on_the_cli_imports_every_row(
    store_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Before, the 2024 file was taken for the school directory: 21.555 «fila repetida»."""
    assert main(["importar", str(IDPS_2024), "--db", str(store_path)]) == 0
    out = capsys.readouterr().out
    assert "IDPS" in out and "fila repetida" not in out
    expected = pd.read_excel(IDPS_2024)
    with open_store(store_path) as store:
        n = store.query_df("SELECT count(*) AS n FROM standardized_test WHERE test = 'IDPS'")
    assert n["n"].iloc[0] == len(expected)


def test_simce_2025_check_digits_give_one_summary_line(empty_store: Store) -> None:
    df = pd.read_excel(SIMCE_2025, dtype=str)
    wrong = []
    for rbd, dv in zip(df["rbd"], df["dvrbd"], strict=True):
        total = sum(int(d) * (2 + i % 6) for i, d in enumerate(reversed(rbd)))
        expected = {11: "0", 10: "K"}.get(11 - total % 11, str(11 - total % 11))
        if dv.upper() != expected:
            wrong.append(int(rbd))
    assert len(wrong) == 9  # as the Agencia publishes them
    result = import_file(empty_store, SIMCE_2025, actor="test")
    about_dv = [i for i in result.report.issues if "verificador" in i.message]
    assert len(about_dv) == 1
    first = ", ".join(str(r) for r in sorted(wrong)[:5])
    assert about_dv[0].value == f"9 RBD: {first}, …"
    assert about_dv[0].severity == "aviso"
    # Those schools are loaded as the file names them.
    got = empty_store.query_df("SELECT DISTINCT rbd FROM standardized_test")
    assert set(wrong) <= set(got["rbd"])


def test_a_template_with_a_bad_check_digit_still_warns_per_school(empty_store: Store) -> None:
    result = import_file(empty_store, b"rbd;dv_rbd;nombre\n1;0;A\n2;7;B\n", "e.csv", actor="t")
    assert [(i.row, i.severity) for i in result.report.issues] == [(2, "aviso")]


def test_official_formats_need_their_distinctive_columns() -> None:
    idps = ["agno", "rbd", "ind", "prom", "nom_rbd", "cod_com_rbd", "cod_depe2"]
    assert detect_format(idps) == "agencia_idps"
    assert detect_format(["rbd", "nom_rbd", "cod_com_rbd", "otra"]) is None
    directory = ["AGNO", "RBD", "DGV_RBD", "NOM_RBD", "COD_COM_RBD", "COD_DEPE2"]
    assert detect_format(directory) == "mineduc_directorio"
    assert detect_format(["COD_SLEP", "NOMBRE_SLEP", "COD_COM_RBD"]) == "mineduc_slep"


def test_unrecognised_file_names_the_nearest_formats() -> None:
    from metrics.ingest.formats import nearest_formats

    headers = ["rbd", "nom_rbd", "cod_com_rbd", "puntaje_x", "grupo", "zona", "nivel_x"]
    near = dict(nearest_formats(headers))
    assert near["Directorio oficial de establecimientos (Mineduc)"] == [
        "DGV_RBD",
        "COD_DEPE o COD_DEPE2 o ESTADO_ESTAB o MATRICULA",
    ]
    with open_store(":memory:") as store:
        data = (";".join(headers) + "\n" + ";".join(["1"] * 7) + "\n").encode()
        with pytest.raises(RefusedFileError) as err:
            import_file(store, data, "raro.csv", actor="test")
    (issue,) = err.value.report.issues
    assert issue.message.startswith("no se reconoce el tipo de datos (formato no reconocido)")
    assert "Lo más parecido" in issue.message and "DGV_RBD" in issue.message


# -- writes are scoped like reads (README «Acceso») ------------------------------------------------

SCHOOLS_TEMPLATE = "rbd;nombre;cod_comuna;comuna;cod_deprov;deprov;slep\n"
DIRECTORY_HEADER = (
    "AGNO;RBD;DGV_RBD;NOM_RBD;COD_COM_RBD;NOM_COM_RBD;COD_DEPROV_RBD;NOM_DEPROV_RBD;COD_DEPE2;"
    "ESTADO_ESTAB\n"
)
RESULTS_HEADER = (
    "AGNO;RBD;DGV_RBD;NOM_RBD;COD_COM_RBD;NOM_COM_RBD;COD_DEPROV_RBD;NOM_DEPROV_RBD;COD_ENSE;"
    "COD_GRADO;LET_CUR;MRUN;PROM_GRAL;ASISTENCIA;SIT_FIN\n"
)

# The same school, Escuela Los Aromos (90001: comuna 9101, DEPROV 901, SLEP 90), moved to the
# other DEPROV by every kind of file that names a school's territories.
MOVES = {
    "plantilla": (
        SCHOOLS_TEMPLATE + "90001;Escuela Los Aromos;9101;Puerto Aromo;902;Deprov Costa Sur;"
        "SLEP Costa Central\n"
    ),
    "directorio": DIRECTORY_HEADER
    + "2025;90001;5;ESCUELA LOS AROMOS;9101;PUERTO AROMO;902;COSTA SUR;5;1\n",
}


def _territories(store: Store, rbd: int = 90001) -> set[str]:
    df = store.query_df("SELECT territory_id FROM school_territory WHERE rbd = ?", [rbd])
    return set(df["territory_id"])


@pytest.fixture
def demo_store(demo_db: Path, tmp_path: Path) -> Iterator[Store]:
    path = tmp_path / "demo.duckdb"
    shutil.copy(demo_db, path)
    with open_store(path) as store:
        for email, role, schools, territories in (
            ("admin@x.cl", "administrador", [], []),
            ("dir@aromos.cl", "directivo", [90001], []),
            ("sup@slep.cl", "supervisor", [], ["slep:90"]),
            ("sup@deprovs.cl", "supervisor", [], ["deprov:901", "deprov:902"]),
        ):
            save_user(
                store,
                email=email,
                name=email,
                role=role,
                password_hash=None,  # no sign-in here: access_for reads the account
                schools=schools,
                territories=territories,
            )
        yield store


def _scope(store: Store, email: str) -> Scope:
    return access_for(store, email).scope


@pytest.mark.parametrize("kind", sorted(MOVES))
@pytest.mark.parametrize(
    ("email", "allowed"),
    [
        ("dir@aromos.cl", False),  # a school team administers no territory
        ("sup@slep.cl", False),  # the SLEP's supervisor does not administer the DEPROVs
        ("sup@deprovs.cl", True),  # administers both DEPROVs
        ("admin@x.cl", True),
    ],
)
def test_only_who_administers_both_territories_moves_a_school(
    demo_store: Store, kind: str, email: str, allowed: bool
) -> None:
    assert _territories(demo_store) == {"slep:90", "deprov:901", "comuna:9101"}
    before = demo_store.fingerprint()
    data = MOVES[kind].encode()
    scope = _scope(demo_store, email)
    if not allowed:
        with pytest.raises(AccessError, match="RBD 90001 saldría de deprov:901") as err:
            import_file(demo_store, data, f"{kind}.csv", actor=email, scope=scope)
        assert "RBD 90001 entraría a deprov:902" in err.value.message
        assert demo_store.fingerprint() == before
        return
    import_file(demo_store, data, f"{kind}.csv", actor=email, scope=scope)
    assert _territories(demo_store) == {"slep:90", "deprov:902", "comuna:9101"}
    # The SLEP's supervisor keeps the school.
    assert _scope(demo_store, "sup@slep.cl").allows(90001)


@pytest.mark.parametrize(
    ("slep", "email"),
    [
        ("SLEP Costa Central", "dir@aromos.cl"),
        ("slep costa central", "sup@slep.cl"),
        ("Costa Central", "admin@x.cl"),
        ("SERVICIO LOCAL DE EDUCACIÓN PÚBLICA COSTA CENTRAL", "dir@aromos.cl"),
        ("90", "sup@slep.cl"),
        ("slep:90", "admin@x.cl"),
    ],
)
def test_naming_an_existing_slep_reuses_it(demo_store: Store, slep: str, email: str) -> None:
    """Re-importing a school with its own territories, the SLEP by name or code, changes no
    territory and creates no twin, for every role that may upload."""
    territories = demo_store.query_df("SELECT * FROM territory ORDER BY id")
    data = (
        SCHOOLS_TEMPLATE
        + f"90001;Escuela Los Aromos;9101;Puerto Aromo;901;Deprov Costa Norte;{slep}\n"
    )
    result = import_file(
        demo_store, data.encode(), "e.csv", actor=email, scope=_scope(demo_store, email)
    )
    assert result.rows_replaced == 1
    assert _territories(demo_store) == {"slep:90", "deprov:901", "comuna:9101"}
    pd.testing.assert_frame_equal(
        demo_store.query_df("SELECT * FROM territory ORDER BY id"), territories
    )


def test_a_blank_territory_cell_keeps_the_school_where_it_is(demo_store: Store) -> None:
    data = b"rbd;nombre;cod_deprov;slep\n90001;Escuela Los Aromos;;\n"
    import_file(demo_store, data, "e.csv", actor="dir", scope=_scope(demo_store, "dir@aromos.cl"))
    assert _territories(demo_store) == {"slep:90", "deprov:901", "comuna:9101"}


def test_an_official_data_file_never_moves_a_known_school(demo_store: Store) -> None:
    row = "2025;90001;5;ESCUELA LOS AROMOS;9999;OTRA;902;COSTA SUR;110;1;Z;123;5,5;90;P\n"
    for email in ("dir@aromos.cl", "admin@x.cl"):
        import_file(
            demo_store,
            (RESULTS_HEADER + row).encode(),
            f"rend_{email}.csv",
            actor=email,
            scope=_scope(demo_store, email),
        )
        assert _territories(demo_store) == {"slep:90", "deprov:901", "comuna:9101"}


@pytest.mark.parametrize("email", ["dir@aromos.cl", "sup@slep.cl"])
def test_only_an_administrator_loads_the_slep_list(demo_store: Store, email: str) -> None:
    data = b"cod_slep;nombre_slep;cod_comuna\n90;Costa Central;9101\n"
    before = demo_store.fingerprint()
    with pytest.raises(AccessError):
        import_file(demo_store, data, "s.csv", actor=email, scope=_scope(demo_store, email))
    assert demo_store.fingerprint() == before


def test_a_supervisor_scope_administers_its_territories_only(demo_store: Store) -> None:
    sup = scope_of(demo_store, Role.SUPERVISOR, [], ["slep:90"])
    assert sup.administers("slep:90") and not sup.administers("deprov:901")
    assert not scope_of(demo_store, Role.DIRECTIVO, [90001], []).administers("slep:90")
    assert scope_of(demo_store, Role.ADMINISTRADOR, [], []).administers("deprov:901")


NEW_SCHOOL = {
    # Monthly attendance names the SLEP in words; SIMCE gives the dependency (5: SLEP).
    "asistencia": (
        "AGNO;MES_ESCOLAR;RBD;NOM_RBD;COD_COM_RBD;NOM_COM_RBD;COD_DEPROV_RBD;NOM_DEPROV_RBD;"
        "COD_ENSE;COD_GRADO;LET_CUR;MRUN;DIAS_ASISTIDOS;DIAS_TRABAJADOS;NOMBRE_SLEP\n"
        "2024;3;99999;ESCUELA NUEVA;9101;PUERTO AROMO;901;COSTA NORTE;110;4;A;5001;19;20;"
        "SLEP COSTA CENTRAL\n"
    ),
    "simce": (
        "rbd;nom_rbd;cod_com_rbd;nom_com_rbd;cod_deprov_rbd;nom_deprov_rbd;cod_depe2;"
        "nalu_lect4b_rbd;prom_lect4b_rbd;agno\n"
        "99999;ESCUELA NUEVA;9101;PUERTO AROMO;901;COSTA NORTE;5;30;251;2024\n"
    ),
}


@pytest.mark.parametrize("kind", sorted(NEW_SCHOOL))
@pytest.mark.parametrize(
    ("email", "allowed"),
    [("dir@aromos.cl", False), ("sup@slep.cl", False), ("admin@x.cl", True)],
)
def test_official_data_files_register_new_schools_in_existing_territories(
    demo_store: Store, kind: str, email: str, allowed: bool
) -> None:
    # The SLEP list says slep:90 serves Puerto Aromo: a SLEP school there is the SLEP's.
    sleps = b"cod_slep;nombre_slep;cod_comuna\n90;Costa Central;9101\n"
    import_file(demo_store, sleps, "sleps.csv", actor="admin@x.cl", scope=Scope.all())
    territories = demo_store.query_df("SELECT id FROM territory ORDER BY id")
    before = demo_store.fingerprint()
    data = NEW_SCHOOL[kind].encode()
    scope = _scope(demo_store, email)
    if not allowed:
        with pytest.raises(AccessError, match="RBD 99999"):
            import_file(demo_store, data, f"{kind}.csv", actor=email, scope=scope)
        assert demo_store.fingerprint() == before
        return
    result = import_file(demo_store, data, f"{kind}.csv", actor=email, scope=scope)
    assert result.schools_registered == 1
    assert _territories(demo_store, 99999) == {"slep:90", "deprov:901", "comuna:9101"}
    pd.testing.assert_frame_equal(
        demo_store.query_df("SELECT id FROM territory ORDER BY id"), territories
    )


def test_undoing_a_move_is_a_move_too(demo_store: Store) -> None:
    """A school team may not undo an administrator's move of its school (that moves it back)."""
    moved = import_file(
        demo_store, MOVES["plantilla"].encode(), "m.csv", actor="admin@x.cl", scope=Scope.all()
    )
    assert moved.batch_id is not None
    before = demo_store.fingerprint()
    with pytest.raises(AccessError, match=r"Deshacer la carga .* RBD 90001 saldría de deprov:902"):
        undo_batch(demo_store, moved.batch_id, "dir", scope=_scope(demo_store, "dir@aromos.cl"))
    assert demo_store.fingerprint() == before
    undo_batch(demo_store, moved.batch_id, "sup", scope=_scope(demo_store, "sup@deprovs.cl"))
    assert _territories(demo_store) == {"slep:90", "deprov:901", "comuna:9101"}


def test_cli_directivo_moving_its_school_exits_2(
    demo_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The attack as reported: before, exit 0 and «1 reemplazada»."""
    db = tmp_path / "demo.duckdb"
    shutil.copy(demo_db, db)
    with open_store(db) as store:
        save_user(
            store,
            email="dir@aromos.cl",
            name="",
            role="directivo",
            password_hash=None,
            schools=[90001],
        )
    csv = tmp_path / "establecimientos.csv"
    csv.write_text(MOVES["plantilla"], encoding="utf-8")
    assert main(["importar", str(csv), "--db", str(db), "--usuario", "dir@aromos.cl"]) == 2
    err = capsys.readouterr().err
    assert "RBD 90001 saldría de deprov:901" in err and "No se cargó nada" in err
    with open_store(db) as store:
        assert _territories(store) == {"slep:90", "deprov:901", "comuna:9101"}
