"""Council packs: the slides' content, and the PowerPoint, PDF and Excel files made from them."""

from __future__ import annotations

import io
import json
import shutil
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook
from pptx import Presentation
from pptx.enum.shapes import MSO_SHAPE_TYPE
from pypdf import PdfReader

from metrics.cli import main
from metrics.engine.catalog import INDICATORS, SERIES_INDICATORS
from metrics.engine.indicators import OUTPUT_COLUMNS, compute_indicators
from metrics.errors import AccessError
from metrics.presentation.export.slides import keep_units, pack_pdf, pack_pptx
from metrics.presentation.export.workbook import pack_xlsx, sheet_title
from metrics.presentation.packs import PackError, build_pack
from metrics.presentation.views import format_indicator_change, format_indicator_value, plain
from metrics.scope import Scope
from metrics.store import Store, open_store
from metrics.store.notes import read_note, write_note
from tablero_demo.demo import CASE_SCHOOL_RBD, SMALL_COMMUNITY_ID, TINY_SCHOOL_RBD

CUTOFF = date(2025, 12, 31)
TODAY = date(2026, 11, 24)


@pytest.fixture(scope="module")
def store(demo_db: Path) -> Store:
    with open_store(demo_db) as s:
        yield s


@pytest.fixture(scope="module")
def pack(store: Store):
    return build_pack(
        store, Scope.all(), rbd=CASE_SCHOOL_RBD, year=2025, cutoff=CUTOFF, today=TODAY
    )


@pytest.fixture(scope="module")
def pptx_bytes(pack) -> bytes:
    return pack_pptx(pack)


@pytest.fixture(scope="module")
def pdf_bytes(pack) -> bytes:
    return pack_pdf(pack)


# -- the pack ---------------------------------------------------------------------------------


def test_pack_follows_the_four_moments(pack) -> None:
    kinds = [s.kind for s in pack.slides]
    assert kinds[0] == "portada" and kinds[-1] == "conclusiones"
    order = [
        "portada",
        "modelo",
        "antes",
        "durante",
        "resultados",
        "impacto",
        "cualitativo",
        "seguimiento",
        "conclusiones",
    ]
    assert [order.index(k) for k in kinds] == sorted(order.index(k) for k in kinds)
    # The demo's follow-up plan is carried; it wrote no síntesis cualitativa.
    assert {"modelo", "antes", "durante", "resultados", "impacto", "seguimiento"} <= set(kinds)
    assert "cualitativo" not in kinds
    for slide in pack.slides[1:-1]:
        if slide.kind == "seguimiento":
            continue  # words, not a chart (tests/unit/test_records.py)
        assert slide.chart is not None, slide.title
        assert 1 <= len(slide.facts) <= 3, slide.title


def test_headlines_are_computed_from_the_numbers(pack) -> None:
    titles = [s.title for s in pack.slides]
    # The guide's story for the case school: reprobación 6,0 % (2023) → about 2 %, meta 3,0 %.
    impact = next(s for s in pack.slides if s.indicators == ("tasa_reprobacion",))
    assert impact.title.startswith("La tasa de reprobación bajó de 6,0 % en 2023 a 2,")
    # 6,0 → 2,0 % (2024) and → 2,2 % (2025), 500 students: conclusive both years.
    assert impact.title.endswith("y superó la meta de 3,0 %. ✓ Se consolida.")
    assert impact.title in titles
    assert titles[1].startswith("3 comunidades de práctica con ")
    row = pack.results[
        (pack.results["indicador"] == "tasa_reprobacion")
        & (pack.results["alcance"] == "establecimiento")
        & (pack.results["periodo"] == "2025")
    ].iloc[0]
    assert f"{int(row['n'])} estudiantes en 2025." in impact.facts
    change = format_indicator_change(INDICATORS["tasa_reprobacion"], row["cambio"])
    assert any(f.startswith(f"Cambio {change} (IC 95 %:") for f in impact.facts)
    assert INDICATORS["tasa_reprobacion"].sheet.formula in impact.notes


def test_the_agencias_results_have_their_slides_series_by_series(store: Store, pack) -> None:
    """As Impacto shows them: per SIMCE series its score with the Agencia's verdict (the
    same-GSE difference as a fact) and its standards; per grade the IDPS."""
    from metrics.engine.series import compute_series
    from metrics.formatting import format_number
    from metrics.presentation.agency import gse_words, series_headline

    rows = compute_series(store, Scope.all(), alcance_id=str(CASE_SCHOOL_RBD))
    rows = rows[rows["periodo"].astype(int) <= 2025]
    slides = {s.title: s for s in pack.slides}
    for serie in ("4b lectura", "4b matemática"):
        score = rows[(rows["indicador"] == "simce_puntaje") & (rows["serie"] == serie)]
        title = series_headline(score, 2025, gse=False)
        assert title.startswith(f"4° básico {serie[3:]} 2025: ") and "según la Agencia" in title
        slide = slides[title]
        assert slide.kind == "impacto" and slide.indicators == ("simce_puntaje",)
        last = score.iloc[-1]
        same = gse_words(last["dif_gse"], last["sig_gse"])
        assert same is not None and f"{same[0].upper()}{same[1:]}." in slide.facts
        assert f"{int(last['n'])} estudiantes evaluados en 2025." in slide.facts
        # The standards slide follows its score's.
        after = pack.slides[pack.slides.index(slide) + 1]
        assert after.indicators == ("simce_adecuado", "simce_insuficiente")
        assert after.title.startswith(f"4° básico {serie[3:]}: en 2025, ")
        ade = rows[(rows["indicador"] == "simce_adecuado") & (rows["serie"] == serie)]
        assert f"{format_number(float(ade['valor'].iloc[-1]), 1)} % de los estudiantes" in (
            after.title
        )
    idps = [s for s in pack.slides if s.title.startswith("IDPS 4° básico 2025 (0 a 100): ")]
    assert len(idps) == 1 and len(idps[0].indicators) == 4
    # No slide mixes two series: each SIMCE slide names one.
    for slide in pack.slides:
        if slide.indicators and slide.indicators[0].startswith("simce_"):
            assert sum(s in slide.title for s in ("lectura", "matemática")) == 1


def test_a_store_with_only_simce_has_a_pack_of_its_series(tmp_path: Path) -> None:
    from metrics.imports import import_file
    from tests.unit.test_agency_series import SIMCE_2023, SIMCE_2024

    with open_store(tmp_path / "agencia.duckdb") as only:
        import_file(only, SIMCE_2023.encode(), "simce4b2023.csv", actor="test")
        import_file(only, SIMCE_2024.encode(), "simce4b2024.csv", actor="test")
        made = build_pack(only, Scope.all(), rbd=101, year=2024, cutoff=CUTOFF, today=TODAY)
    titles = [s.title for s in made.slides]
    assert (
        "4° básico lectura 2024: 262 puntos, 12 puntos más que en 2023; según la Agencia, el "
        "alza de 12 puntos es significativa."
    ) in titles
    assert (
        "4° básico lectura: en 2024, 30,0 % de los estudiantes en nivel Adecuado y 30,0 % en "
        "Insuficiente."
    ) in titles
    # Impacto has slides, so the closing slide does not list it among the missing data.
    assert "impacto (" not in " ".join(made.slides[-1].facts)


def test_fewer_communities_change_the_comparisons(store: Store) -> None:
    comms = store.communities(Scope.all(), CASE_SCHOOL_RBD)
    one = str(comms["id"].iloc[0])
    pack = build_pack(
        store, Scope.all(), rbd=CASE_SCHOOL_RBD, year=2025, community_ids=[one], cutoff=CUTOFF
    )
    assert pack.slides[1].title.startswith("1 comunidad de práctica con")
    assert set(pack.results.loc[pack.results["alcance"] == "comunidad", "alcance_id"]) == {one}


def test_territory_pack_compares_its_schools(store: Store) -> None:
    territory = store.territories(Scope.all()).sort_values("schools").iloc[-1]
    pack = build_pack(store, Scope.all(), territory_id=str(territory["id"]), year=2025)
    assert pack.scope_kind == "territorio" and pack.name == territory["name"]
    assert len(pack.school_names) == int(territory["schools"])
    schools = pack.results[pack.results["alcance"] == "establecimiento"]
    assert set(schools["alcance_id"]) <= set(pack.school_names)


def test_pack_refuses_what_the_user_cannot_see(store: Store) -> None:
    with pytest.raises(AccessError):
        build_pack(store, Scope.schools([90002]), rbd=CASE_SCHOOL_RBD, year=2025)
    with pytest.raises(PackError, match="no son de"):
        build_pack(store, Scope.all(), rbd=CASE_SCHOOL_RBD, community_ids=["com-90002-1"])
    with pytest.raises(PackError, match="RBD 12345"):
        build_pack(store, Scope.all(), rbd=12345)


def test_conclusions_are_saved_and_shown_last(demo_db: Path, tmp_path: Path) -> None:
    db = tmp_path / "notas.duckdb"
    shutil.copy(demo_db, db)
    with open_store(db) as s:
        write_note(
            s,
            Scope.all(),
            "establecimiento",
            str(CASE_SCHOOL_RBD),
            2025,
            conclusions="Bajó la reprobación.",
            next_steps="Seguir con la observación.",
            actor="prueba",
        )
        pack = build_pack(s, Scope.all(), rbd=CASE_SCHOOL_RBD, year=2025)
        assert pack.slides[-1].facts == (
            "Conclusiones: Bajó la reprobación.",
            "Próximos pasos: Seguir con la observación.",
        )
        with pytest.raises(AccessError):
            read_note(s, Scope.schools([90002]), "establecimiento", str(CASE_SCHOOL_RBD), 2025)


# -- PowerPoint -------------------------------------------------------------------------------


def test_pptx_has_one_slide_per_pack_slide_with_headline_titles(pack, pptx_bytes: bytes) -> None:
    prs = Presentation(io.BytesIO(pptx_bytes))
    assert len(prs.slides) == len(pack.slides)
    for spec, slide in zip(pack.slides, prs.slides, strict=True):
        assert slide.shapes.title.text_frame.text == keep_units(spec.title)
        pictures = [s for s in slide.shapes if s.shape_type == MSO_SHAPE_TYPE.PICTURE]
        assert len(pictures) == (1 if spec.chart is not None else 0), spec.title
        notes = slide.notes_slide.notes_text_frame.text
        assert notes.strip()
        for code in spec.indicators:
            ind = INDICATORS.get(code) or SERIES_INDICATORS[code]
            assert ind.sheet.numerator in notes


# -- PDF --------------------------------------------------------------------------------------


def test_pdf_has_one_page_per_slide_with_its_text(pack, pdf_bytes: bytes) -> None:
    reader = PdfReader(io.BytesIO(pdf_bytes))
    assert len(reader.pages) == len(pack.slides)
    first = reader.pages[0].extract_text()
    assert "Escuela Los Aromos" in first
    text = " ".join(p.extract_text() for p in reader.pages).replace("\u00a0", " ")
    flat = " ".join(text.split())
    impact = next(s for s in pack.slides if s.indicators == ("tasa_reprobacion",))
    assert impact.title in flat


# -- Excel ------------------------------------------------------------------------------------


def _sheet_records(ws, header_row: int = 1) -> list[dict[str, object]]:
    rows = list(ws.iter_rows(min_row=header_row, values_only=True))
    header = rows[0]
    return [dict(zip(header, r, strict=True)) for r in rows[1:]]


def test_xlsx_indicators_equal_the_cli(
    pack, demo_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    wb = load_workbook(io.BytesIO(pack_xlsx(pack)))
    assert wb.sheetnames[:2] == ["Resumen", "Indicadores"]
    assert wb.sheetnames[-1] == "Ficha técnica"
    sheet_rows = {r["indicador"]: r for r in _sheet_records(wb["Ficha técnica"])}
    assert str(sheet_rows["tasa_reprobacion"]["Grupo de comparación"]).startswith(
        "Grupo de comparación: en una comunidad, los estudiantes del establecimiento"
    )
    assert not sheet_rows["cumplimiento_cronograma"]["Grupo de comparación"]
    assert len(wb.sheetnames) == 3 + len(pack.communities)
    sheet = _sheet_records(wb["Indicadores"])
    assert main(["indicadores", "--db", str(demo_db), "--corte", CUTOFF.isoformat()]) == 0
    cli = json.loads(capsys.readouterr().out)
    wanted = {(r["alcance"], r["alcance_id"]) for r in sheet}
    expected = [
        r
        for r in cli
        if (r["alcance"], r["alcance_id"]) in wanted
        and "serie" not in r  # the Agencia's series: not in the pack's sheet yet
        and "-" not in r["periodo"]
        and int(r["periodo"]) <= 2025
    ]
    assert len(sheet) == len(expected) > 0
    key = lambda r: (r["indicador"], r["alcance"], r["alcance_id"], r["periodo"])  # noqa: E731
    by_key = {key(r): r for r in expected}
    for row in sheet:
        ref = by_key[key(row)]
        for field in OUTPUT_COLUMNS:
            got, want = row[field], ref[field]
            if isinstance(want, float) and got is not None:
                assert got == pytest.approx(want, abs=1e-4), (key(row), field)
            else:
                assert got == want, (key(row), field)


def test_xlsx_is_formatted_with_units_and_status_colours(pack) -> None:
    wb = load_workbook(io.BytesIO(pack_xlsx(pack)))
    ws = wb["Indicadores"]
    header = [c.value for c in ws[1]]
    valor, estado = header.index("valor") + 1, header.index("estado") + 1
    row = next(
        r
        for r in range(2, ws.max_row + 1)
        if ws.cell(r, 3).value == "tasa_reprobacion" and ws.cell(r, estado).value == "logrado"
    )
    assert ws.cell(row, valor).number_format == '0.0" %"'
    assert ws.cell(row, estado).fill.fgColor.rgb.endswith("D6EEF0")
    assert ws.cell(1, 1).font.bold


def test_xlsx_keeps_formula_like_names_as_text(demo_db: Path, tmp_path: Path) -> None:
    db = tmp_path / "formula.duckdb"
    shutil.copy(demo_db, db)
    evil = '=HYPERLINK("http://x","y")'
    with open_store(db) as s:
        comms = s.communities(Scope.all(), CASE_SCHOOL_RBD)
        cid = str(comms["id"].iloc[0])
        with s.transaction() as cur:
            cur.execute("UPDATE community SET name = ? WHERE id = ?", [evil, cid])
        pack = build_pack(s, Scope.all(), rbd=CASE_SCHOOL_RBD, year=2025, cutoff=CUTOFF)
    wb = load_workbook(io.BytesIO(pack_xlsx(pack)))
    cells = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value == evil]
    assert cells, "the community's name is in the workbook"
    for cell in cells:
        assert cell.data_type == "s"
    assert not any(
        c.data_type == "f" for ws in wb.worksheets for row in ws.iter_rows() for c in row
    )


def test_sheet_titles_are_valid_and_unique() -> None:
    taken: set[str] = set()
    assert sheet_title("A/B", taken) == "A-B"
    assert sheet_title("a/b", taken) == "a-b (2)"
    assert len(sheet_title("x" * 40, taken)) == 31


# -- privacy ----------------------------------------------------------------------------------


def test_a_suppressed_group_appears_in_no_file(store: Store) -> None:
    pack = build_pack(store, Scope.all(), rbd=TINY_SCHOOL_RBD, year=2025, cutoff=CUTOFF)
    res = pack.results
    hidden = res[(res["alcance_id"] == SMALL_COMMUNITY_ID) & (res["estado"] == "suprimido")]
    assert len(hidden) > 0
    raw = plain(
        compute_indicators(
            store, Scope.all(), rbds=[TINY_SCHOOL_RBD], corte=CUTOFF, mensual=False, min_group=1
        )
    )
    secret = hidden.merge(
        raw, on=["indicador", "alcance", "alcance_id", "periodo"], suffixes=("", "_raw")
    )
    assert (secret["n_raw"] < 10).all()
    shown = res[res["estado"] != "suprimido"]
    public = {
        format_indicator_value(INDICATORS[c], v)
        for c, v in zip(shown["indicador"], shown["valor"], strict=True)
    }
    texts = (
        {
            format_indicator_value(INDICATORS[c], v)
            for c, v in zip(secret["indicador"], secret["valor_raw"], strict=True)
        }
        - public
        - {"0,0 %", "100,0 %"}
    )
    assert texts, "some suppressed values would be recognisable"
    prs = Presentation(io.BytesIO(pack_pptx(pack)))
    deck = " ".join(
        sh.text_frame.text for sl in prs.slides for sh in sl.shapes if sh.has_text_frame
    ).replace("\u00a0", " ")
    pdf = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pack_pdf(pack))).pages)
    pdf = pdf.replace("\u00a0", " ")
    for text in texts:
        assert text not in deck and text not in pdf, text
    wb = load_workbook(io.BytesIO(pack_xlsx(pack)))
    # No number in the small community's student-based rows (its sheet, its lines of
    # Indicadores); its teachers' survey answers are not student data and stay.
    small = pack.communities.set_index("community_id").loc[SMALL_COMMUNITY_ID, "name"]
    own = [ws for ws in wb.worksheets if ws["A1"].value == "Comunidad" and ws["B1"].value == small]
    assert len(own) == 1
    numbers = [
        c.value
        for ws in [*own, wb["Indicadores"]]
        for row in ws.iter_rows()
        if row[5].value == SMALL_COMMUNITY_ID
        and row[2].value in INDICATORS
        and INDICATORS[str(row[2].value)].student_based
        for c in row
        if isinstance(c.value, float)
    ]
    for value in secret["valor_raw"]:
        if value not in (0.0, 100.0):
            assert not any(abs(v - value) < 1e-9 for v in numbers), value
    records = _sheet_records(wb["Indicadores"])
    for r in records:
        if r["alcance_id"] == SMALL_COMMUNITY_ID and r["estado"] == "suprimido":
            assert r["valor"] is None and r["n"] is None and r["ic_inferior"] is None


# -- CLI --------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["pptx", "pdf", "xlsx"])
def test_cli_exportar_writes_the_file(
    demo_db: Path, tmp_path: Path, fmt: str, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "cli.duckdb"
    shutil.copy(demo_db, db)
    out = tmp_path / f"consejo.{fmt}"
    code = main(
        [
            "exportar",
            "--db",
            str(db),
            "--formato",
            fmt,
            "--rbd",
            str(CASE_SCHOOL_RBD),
            "--anio",
            "2025",
            "--salida",
            str(out),
        ]
    )
    assert code == 0
    assert out.stat().st_size > 10_000
    assert "Escuela Los Aromos (2025) guardado en" in capsys.readouterr().out
    with open_store(db) as s:
        log = s.query_df("SELECT action, detail FROM audit_log ORDER BY id")
    last = json.loads(log["detail"].iloc[-1])
    assert log["action"].iloc[-1] == "exportacion" and last["formato"] == fmt


def test_cli_exportar_without_a_place_exports_what_presentar_opens(
    demo_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """No --rbd nor --territorio: for an administrator, the territory with the most schools
    (the pack the Presentar page opens with nothing chosen in the sidebar)."""
    db = tmp_path / "cli.duckdb"
    shutil.copy(demo_db, db)
    with open_store(db) as s:
        territories = s.territories(Scope.all()).sort_values("schools", kind="stable")
        widest = territories.iloc[-1]
        assert int(widest["schools"]) > int(territories.iloc[-2]["schools"])  # no tie
    out = tmp_path / "consejo.xlsx"
    args = ["exportar", "--db", str(db), "--formato", "xlsx", "--anio", "2025"]
    assert main([*args, "--salida", str(out)]) == 0
    assert f"de {widest['name']} (2025) guardado en" in capsys.readouterr().out
    with open_store(db) as s:
        last = json.loads(s.query_df("SELECT detail FROM audit_log ORDER BY id")["detail"].iloc[-1])
    assert (last["alcance"], last["alcance_id"]) == ("territorio", widest["id"])


def test_cli_exportar_explains_a_bad_selection(
    demo_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        [
            "exportar",
            "--db",
            str(demo_db),
            "--formato",
            "pdf",
            "--territorio",
            "nada",
            "--salida",
            str(tmp_path / "x.pdf"),
        ]
    )
    assert code == 2
    assert "No hay un territorio «nada»" in capsys.readouterr().err
    assert not (tmp_path / "x.pdf").exists()


def test_a_school_user_exports_nothing_of_another_school(store: Store) -> None:
    """One school's scope: its pack names no other school or community; another school's
    pack and a territory pack (which would speak for schools it cannot see) are refused."""
    territory = store.territories(Scope.all()).sort_values("schools").iloc[-1]
    schools = store.schools(Scope.all(), str(territory["id"]))
    other = schools[schools["rbd"] != CASE_SCHOOL_RBD]
    mine = Scope.schools([CASE_SCHOOL_RBD])
    pack = build_pack(store, mine, rbd=CASE_SCHOOL_RBD, year=2025, cutoff=CUTOFF)
    comms = store.communities(Scope.all())
    foreign = [*other["name"], *comms.loc[comms["rbd"] != CASE_SCHOOL_RBD, "name"]]
    prs = Presentation(io.BytesIO(pack_pptx(pack)))
    deck = " ".join(
        sh.text_frame.text for sl in prs.slides for sh in sl.shapes if sh.has_text_frame
    )
    pdf = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pack_pdf(pack))).pages)
    wb = load_workbook(io.BytesIO(pack_xlsx(pack)))
    cells = " ".join(
        str(c.value) for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value
    )
    for name in foreign:
        assert name not in deck and name not in pdf and name not in cells, name
    assert set(pack.results["alcance_id"]) <= {str(CASE_SCHOOL_RBD), *comms["id"]}
    assert not set(pack.results["alcance_id"]) & {str(r) for r in other["rbd"]}
    with pytest.raises(AccessError):
        build_pack(store, mine, rbd=int(other["rbd"].iloc[0]), year=2025)
    with pytest.raises(AccessError, match="solo parte"):
        build_pack(store, mine, territory_id=str(territory["id"]), year=2025)


def test_a_school_user_sets_no_target_for_its_whole_territory(store: Store) -> None:
    """A territory's target speaks for every school in it: one school's scope may not set it,
    the territory's full scope may (the import is only validated here: TargetFileError or not)."""
    from metrics.engine.indicators import TargetFileError, import_targets

    territory = store.territories(Scope.all()).sort_values("schools").iloc[-1]
    row = {
        "indicador": "tasa_reprobacion",
        "alcance": "territorio",
        "alcance_id": str(territory["id"]),
        "meta": "",  # empty: a deletion, so nothing would change even if accepted
        "anio_limite": "2026",
        "motivo": "prueba",
    }
    with pytest.raises(TargetFileError) as refused:
        import_targets(
            store, Scope.schools([CASE_SCHOOL_RBD]), [row], file_name="m", file_hash="x", actor="a"
        )
    assert any("alcance_id" in str(i) or "territorio" in str(i) for i in refused.value.issues)


def test_every_slide_chart_is_valid_vega_lite(pack) -> None:
    """Pages and packs skip Altair's schema check for speed; the check runs here instead."""
    from altair.utils import schemapi

    with schemapi.debug_mode(True):
        for slide in pack.slides:
            if slide.chart is not None:
                spec = slide.chart.to_dict(validate=True)
                assert spec["$schema"].startswith("https://vega.github.io/schema/vega-lite/")
