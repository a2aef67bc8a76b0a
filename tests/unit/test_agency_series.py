"""The Agencia's results by series (SIMCE score and standards, IDPS): values computed by hand
on a small file, and, on the Agencia's real files, every school's change against the file's own
``dif``, ``dif_gse``, standards and withheld scores."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from metrics.cli import main
from metrics.engine.series import SERIES_OUTPUT_COLUMNS, compute_series
from metrics.imports import import_file
from metrics.scope import Scope
from metrics.store import Store, open_store

ROOT = Path(__file__).resolve().parents[2]
AGENCIA = ROOT.parent / "shared" / "data" / "agencia"

HEADER = (
    "rbd;nom_rbd;cod_com_rbd;nom_com_rbd;nalu_lect4b_rbd;prom_lect4b_rbd;dif_lect4b_rbd;"
    "sigdif_lect4b_rbd;difgru_lect4b_rbd;siggru_lect4b_rbd;marca_lect4b_rbd;"
    "palu_eda_ins_lect4b_rbd;palu_eda_ele_lect4b_rbd;palu_eda_ade_lect4b_rbd;nalu_mate4b_rbd;"
    "prom_mate4b_rbd;marca_mate4b_rbd;palu_eda_ins_mate4b_rbd;palu_eda_ele_mate4b_rbd;"
    "palu_eda_ade_mate4b_rbd;agno\n"
)
SIMCE_2023 = HEADER + (
    "101;ESCUELA UNO;9101;TEMUCO;20;250;;;-5;0;;40,0;35,0;25,0;20;240;;50,0;30,0;20,0;2023\n"
    "102;ESCUELA DOS;9101;TEMUCO;30;270;;;10;1;;20,0;30,0;50,0;1;;1;0,0;0,0;0,0;2023\n"
)
SIMCE_2024 = HEADER + (
    "101;ESCUELA UNO;9101;TEMUCO;25;262;12;1;3;0;;30,0;40,0;30,0;25;236;;52,0;28,0;20,0;2024\n"
    "102;ESCUELA DOS;9101;TEMUCO;15;264;-6;0;2;0;2;20,0;40,0;40,0;12;255;;25,0;50,0;25,0;2024\n"
)


@pytest.fixture
def small() -> Iterator[Store]:
    with open_store(":memory:") as store:
        import_file(store, SIMCE_2023.encode(), "simce4b2023.csv", actor="test")
        import_file(store, SIMCE_2024.encode(), "simce4b2024.csv", actor="test")
        yield store


def _row(df: pd.DataFrame, code: str, sid: str, serie: str, year: str) -> dict[str, object]:
    hit = df[
        (df["indicador"] == code)
        & (df["alcance_id"] == sid)
        & (df["serie"] == serie)
        & (df["periodo"] == year)
    ]
    assert len(hit) == 1, (code, sid, serie, year)
    return dict(hit.iloc[0])


def test_a_school_row_is_one_series_with_the_agencias_figures(small: Store) -> None:
    df = compute_series(small, Scope.all())
    assert list(df.columns) == list(SERIES_OUTPUT_COLUMNS)
    r = _row(df, "simce_puntaje", "101", "4b lectura", "2024")
    assert (r["valor"], r["n"], r["linea_base"], r["periodo_base"]) == (262, 25, 250, "2023")
    assert (r["cambio"], r["periodo_anterior"], r["cambio_anterior"]) == (12, "2023", 12)
    assert (r["dif_agencia"], r["sig_agencia"], r["dif_gse"], r["sig_gse"]) == (12, 1, 3, 0)
    assert pd.isna(r["marca"]) and r["estado"] == "sin_meta"
    # The other subject is its own series: its change is its own (240 → 236).
    m = _row(df, "simce_puntaje", "101", "4b matemática", "2024")
    assert (m["valor"], m["cambio_anterior"]) == (236, -4)
    # Standards are the file's; the Agencia's dif belongs to the score only.
    a = _row(df, "simce_adecuado", "101", "4b lectura", "2024")
    assert (a["valor"], a["cambio_anterior"]) == (30.0, 5.0)
    assert pd.isna(a["dif_agencia"])
    i = _row(df, "simce_insuficiente", "101", "4b matemática", "2024")
    assert (i["valor"], i["cambio_anterior"]) == (52.0, 2.0)


def test_a_withheld_score_has_no_number_and_says_why(small: Store) -> None:
    df = compute_series(small, Scope.all(), alcance="establecimiento")
    w = _row(df, "simce_puntaje", "102", "4b matemática", "2023")
    assert pd.isna(w["valor"]) and w["estado"] == "sin_datos"
    assert w["marca"] == "La Agencia no publica el puntaje: muy pocos estudiantes evaluados."
    # Its standards (0,0 % in the file beside the mark) are withheld with it.
    assert pd.isna(_row(df, "simce_adecuado", "102", "4b matemática", "2023")["valor"])
    # The next year has no change against a withheld score; its baseline is provisional.
    nxt = _row(df, "simce_puntaje", "102", "4b matemática", "2024")
    assert pd.isna(nxt["cambio_anterior"])
    assert (nxt["linea_base"], nxt["periodo_base"], nxt["linea_base_provisional"]) == (
        255,
        "2024",
        True,
    )
    # A published score with a warning keeps its number and says so.
    q = _row(df, "simce_puntaje", "102", "4b lectura", "2024")
    assert q["valor"] == 264 and "marca 2" in str(q["marca"])


def test_a_territory_weights_its_schools_by_students_per_series(small: Store) -> None:
    df = compute_series(small, Scope.all(), alcance="territorio")
    lect23 = _row(df, "simce_puntaje", "comuna:9101", "4b lectura", "2023")
    assert lect23["valor"] == pytest.approx((250 * 20 + 270 * 30) / 50)  # 262
    assert lect23["n"] == 50
    lect24 = _row(df, "simce_puntaje", "comuna:9101", "4b lectura", "2024")
    assert lect24["valor"] == pytest.approx((262 * 25 + 264 * 15) / 40)  # 262,75
    assert lect24["cambio_anterior"] == pytest.approx(262.75 - 262)
    # The withheld school does not count in 2023 matemática: only 101's 240 (20 students).
    mat23 = _row(df, "simce_puntaje", "comuna:9101", "4b matemática", "2023")
    assert (mat23["valor"], mat23["n"]) == (240, 20)
    mat24 = _row(df, "simce_puntaje", "comuna:9101", "4b matemática", "2024")
    assert mat24["valor"] == pytest.approx((236 * 25 + 255 * 12) / 37)
    ade24 = _row(df, "simce_adecuado", "comuna:9101", "4b lectura", "2024")
    assert ade24["valor"] == pytest.approx((30 * 25 + 40 * 15) / 40)  # 33,75 %
    assert pd.isna(lect24["dif_agencia"]) and pd.isna(lect24["marca"])


def test_no_value_mixes_two_series(small: Store) -> None:
    df = compute_series(small, Scope.all())
    simce = df[df["indicador"] == "simce_puntaje"]
    assert set(simce["serie"]) == {"4b lectura", "4b matemática"}
    assert not set(df["valor"].dropna()) & {(250 + 240) / 2, (262 * 25 + 236 * 25) / 50}


def test_filters_and_empty_stores(small: Store) -> None:
    one = compute_series(small, Scope.all(), rbds=[101], anio=2024)
    assert set(one["alcance_id"]) == {"101", "comuna:9101"} and set(one["periodo"]) == {"2024"}
    # The territory row is the same computed for one school or for all.
    every = compute_series(small, Scope.all(), anio=2024)
    t1 = _row(one, "simce_puntaje", "comuna:9101", "4b lectura", "2024")["valor"]
    assert t1 == _row(every, "simce_puntaje", "comuna:9101", "4b lectura", "2024")["valor"]
    assert compute_series(small, Scope.schools([999]), alcance="establecimiento").empty
    assert compute_series(small, Scope.all(), alcance="comunidad").empty
    with open_store(":memory:") as empty:
        assert compute_series(empty, Scope.all()).empty


def test_the_cli_lists_the_series_in_json(small: Store, tmp_path: Path) -> None:
    import json

    db = tmp_path / "s.duckdb"
    with open_store(db) as store:
        import_file(store, SIMCE_2023.encode(), "simce4b2023.csv", actor="test")
        import_file(store, SIMCE_2024.encode(), "simce4b2024.csv", actor="test")
    out = tmp_path / "out.json"
    args = ["indicadores", "--db", str(db), "--rbd", "101", "--indicador", "simce_puntaje"]
    assert main([*args, "--salida", str(out)]) == 0
    records = json.loads(out.read_text(encoding="utf-8"))
    lect = [
        r
        for r in records
        if r["serie"] == "4b lectura" and r["periodo"] == "2024" and r["alcance_id"] == "101"
    ]
    assert lect[0]["cambio_anterior"] == 12 and lect[0]["dif_agencia"] == 12


# -- the Agencia's real files --------------------------------------------------------------------


@functools.cache
def _sheet(name: str) -> pd.DataFrame:
    """The file as openpyxl reads it (cached: each test reads, never writes it)."""
    wb = openpyxl.load_workbook(AGENCIA / name, read_only=True)
    rows = list(wb.worksheets[0].iter_rows(values_only=True))
    wb.close()
    return pd.DataFrame(rows[1:], columns=[str(h) for h in rows[0]])


def _number(value: object) -> float | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, float) and value != value:  # a blank cell in a numeric column
        return None
    return float(str(value).replace(",", "."))


@pytest.fixture(scope="module")
def real(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    path = tmp_path_factory.mktemp("agencia") / "real.duckdb"
    with open_store(path) as store:
        for name in (
            "simce4b2023_rbd_final.xlsx",
            "simce4b2024_rbd_final.xlsx",
            "idps4b2023_rbd_final.xlsx",
            "idps4b2024_rbd_final.xlsx",
        ):
            import_file(store, AGENCIA / name, actor="test")
        yield store


@pytest.fixture(scope="module")
def real_series(real: Store) -> pd.DataFrame:
    df = compute_series(real, Scope.all(), alcance="establecimiento")
    return df.set_index(["indicador", "alcance_id", "serie", "periodo"]).sort_index()


SUBJECTS = {"lect": "lectura", "mate": "matemática"}


@pytest.mark.parametrize("subject", ["lect", "mate"])
def test_simce_4b_every_school_matches_the_agencias_file(
    real_series: pd.DataFrame, subject: str
) -> None:
    """Each 2024 school: the change 2023→2024 is the Agencia's dif, and dif_gse, the standards
    and the withheld scores are the file's."""
    f23 = _sheet("simce4b2023_rbd_final.xlsx").set_index("rbd")
    f24 = _sheet("simce4b2024_rbd_final.xlsx")
    serie = f"4b {SUBJECTS[subject]}"
    compared = withheld = 0
    for rec in f24.to_dict("records"):
        rbd = str(rec["rbd"])
        score = real_series.loc[("simce_puntaje", rbd, serie, "2024")]
        prom = _number(rec[f"prom_{subject}4b_rbd"])
        if prom is None:
            assert pd.isna(score["valor"]), rbd
            withheld += 1
            if _number(rec[f"marca_{subject}4b_rbd"]) == 1:
                assert "no publica" in str(score["marca"]), rbd
            continue
        assert score["valor"] == prom, rbd
        for ours, theirs in (
            ("dif_agencia", "dif"),
            ("sig_agencia", "sigdif"),
            ("dif_gse", "difgru"),
            ("sig_gse", "siggru"),
        ):
            expected = _number(rec[f"{theirs}_{subject}4b_rbd"])
            got = score[ours]
            assert (pd.isna(got) and expected is None) or got == expected, (rbd, ours)
        for code, level in (("simce_adecuado", "ade"), ("simce_insuficiente", "ins")):
            got = real_series.loc[(code, rbd, serie, "2024")]["valor"]
            assert got == pytest.approx(_number(rec[f"palu_eda_{level}_{subject}4b_rbd"])), rbd
        dif = _number(rec[f"dif_{subject}4b_rbd"])
        before = f23.loc[int(rbd)] if int(rbd) in f23.index else None
        if dif is not None:
            assert before is not None, rbd
            assert score["cambio_anterior"] == dif, rbd
            assert score["cambio_anterior"] == prom - _number(before[f"prom_{subject}4b_rbd"])
            compared += 1
    assert compared > 5000 and withheld > 500


@pytest.mark.parametrize(
    ("code", "ind"),
    [
        ("idps_autoestima", "AM"),
        ("idps_convivencia", "CC"),
        ("idps_participacion", "PF"),
        ("idps_habitos", "HV"),
    ],
)
def test_idps_4b_every_school_matches_the_agencias_file(
    real_series: pd.DataFrame, code: str, ind: str
) -> None:
    """Both layouts are read (2023: grado 4, no dif; 2024: 4b, dif and difgru)."""
    f23 = _sheet("idps4b2023_rbd_final.xlsx")
    f24 = _sheet("idps4b2024_rbd_final.xlsx")
    before = f23[f23["ind"] == ind]
    prev = {str(r): _number(p) for r, p in zip(before["rbd"], before["prom"], strict=True)}
    compared = 0
    for rec in f24[f24["ind"] == ind].to_dict("records"):
        rbd = str(rec["rbd"])
        row = real_series.loc[(code, rbd, "4b", "2024")]
        prom = _number(rec["prom"])
        if prom is None:
            assert pd.isna(row["valor"]) and row["marca"], rbd
            continue
        assert row["valor"] == prom, rbd
        for ours, theirs in (("dif_gse", "difgru"), ("sig_gse", "sigdifgru")):
            expected = _number(rec[theirs])
            assert (pd.isna(row[ours]) and expected is None) or row[ours] == expected, rbd
        dif = _number(rec["dif"])
        if dif is not None:
            assert row["dif_agencia"] == dif and row["cambio_anterior"] == dif, rbd
            assert row["cambio_anterior"] == prom - (prev[rbd] or 0), rbd
            compared += 1
    assert compared > 4000
    # 2023 rows are there, under the same series as 2024 (the 2023 file writes grado 4).
    assert (code, "5", "4b", "2023") in real_series.index


def test_an_old_store_opens_with_its_mixed_score_targets_retired(tmp_path: Path) -> None:
    """A store from before the series (schema 12) with a target on puntaje_estandarizado, one
    of which an import had replaced: it opens, its SIMCE rows gain the Agencia's columns
    (empty), and those targets leave `target` (and its undo shadow) for `retired_target`."""
    import duckdb

    from metrics.store.core import _migrate
    from metrics.store.schema import MIGRATIONS

    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))
    before = MIGRATIONS.index(next(m for m in MIGRATIONS if "agency_change" in m))
    _migrate(con, str(path), target=before)
    con.execute(
        "INSERT INTO import_batch (id, kind, file_name, file_hash, actor) "
        "VALUES (1, 'metas', 'm.csv', 'h', 'yo'), (2, 'pruebas', 's.csv', 'h2', 'yo')"
    )
    con.execute(
        "INSERT INTO target VALUES ('puntaje_estandarizado', 'establecimiento', '101', 265, "
        "2025, 'SIMCE', 1), ('tasa_reprobacion', 'establecimiento', '101', 3, 2025, NULL, 1)"
    )
    con.execute(
        "INSERT INTO replaced_target VALUES ('puntaje_estandarizado', 'establecimiento', '101', "
        "260, 2024, NULL, 1, 1)"
    )
    con.execute(
        "INSERT INTO standardized_test VALUES (2023, 101, 'SIMCE', '4b', 'lectura', 250, 20, 2)"
    )
    con.close()
    with open_store(path) as store:
        kept = store.query_df("SELECT indicator FROM target")["indicator"].tolist()
        assert kept == ["tasa_reprobacion"]
        assert store.query_df("SELECT count(*) AS n FROM replaced_target")["n"].iloc[0] == 0
        retired = store.query_df(
            "SELECT target_value, deadline_year, origin_batch, replaced_by FROM retired_target "
            "ORDER BY deadline_year"
        )
        assert retired.astype(object).where(retired.notna(), None).values.tolist() == [
            [260.0, 2024, 1, 1],
            [265.0, 2025, 1, None],
        ]
        df = compute_series(store, Scope.all(), alcance="establecimiento")
        row = _row(df, "simce_puntaje", "101", "4b lectura", "2023")
        assert row["valor"] == 250 and pd.isna(row["dif_agencia"])


def test_standards_become_three_segments_that_fill_each_year() -> None:
    """Adecuado 30 % and Insuficiente 52 % leave 18 % Elemental; the chart draws each segment
    from where the previous one ends (Insuficiente first), and says each share in words."""
    from metrics.presentation import agency, charts

    ade = pd.DataFrame({"periodo": ["2023", "2024"], "valor": [20.0, 30.0]})
    ins = pd.DataFrame({"periodo": ["2023", "2024"], "valor": [50.0, 52.0]})
    frame = agency.standards_frame(ade, ins)
    y24 = frame[frame["periodo"] == "2024"].set_index("nivel")["porcentaje"]
    assert y24.to_dict() == {"Insuficiente": 52.0, "Elemental": 18.0, "Adecuado": 30.0}
    spec = charts.build_standards_chart(frame).to_dict()
    rows = next(iter(spec["datasets"].values()))
    seg = {(r["periodo"], r["nivel"]): (r["inicio"], r["fin"], r["texto"]) for r in rows}
    assert seg[("2024", "Insuficiente")] == (0.0, 52.0, "52 %")
    assert seg[("2024", "Elemental")] == (52.0, 70.0, "18 %")
    assert seg[("2024", "Adecuado")] == (70.0, 100.0, "30 %")
    assert agency.change_verdict(11, 0) == (
        "según la Agencia, el alza de 11 puntos no es significativa"
    )
