"""Every page and command on stores that hold only part of the datasets.

Four stores, each built once for this module:

- **official**: a first day with the public files only — the Mineduc directory (16.768 schools)
  and SIMCE 4° básico 2022–2024, imported with ``tablero importar`` from ``../shared/data`` as
  they are. No communities, so the SIMCE baseline is provisional (the first year with data);
  SIMCE comes by series (``metrics.engine.series``), not among the catalogue's rows.
- **communities**: communities, members, schedule, sessions and class observations of the
  indicator fixture (``tests/data/good/indicators``), no student results, tests or surveys.
- **surveys**: the fixture's schools and their survey answers only.
- **empty**: nothing at all.

On each, every page runs with a school chosen (no exception, no error), says what is missing
with a link to *Cargar datos* (never a terminal command), and shows the values that are there,
computed by hand below; ``tablero exportar`` (pdf, pptx, xlsx) and ``tablero indicadores`` work.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook
from pptx import Presentation
from pypdf import PdfReader
from streamlit.testing.v1 import AppTest

from metrics.cli import main
from metrics.engine.catalog import CATALOG
from metrics.store import Store, open_store
from tests.app.conftest import ROOT, run_app, run_app_as_admin

DATA = ROOT.parent / "shared" / "data"
DIRECTORY = DATA / "mineduc" / "directorio_oficial_ee_publico_2025.csv"
SIMCE = [DATA / "agencia" / f"simce4b{y}_rbd_final.xlsx" for y in (2022, 2023, 2024)]
FIXTURE = ROOT / "tests" / "data" / "good" / "indicators"

VILLA_LOURDES = 10171
"""ESCUELA PARTICULAR VILLA LOURDES. Its SIMCE 4° básico in the Agencia's files (students,
mean): lectura 58 × 277 (2022), 62 × 266 (2023), 56 × 286 (2024); matemática 60 × 273, 62 × 257,
56 × 282. Each series against its provisional baseline 2022: lectura +9, matemática +9; against
2023, lectura +20 and matemática +25 — the Agencia's own dif, both significant."""
SCHOOL_A = 1
"""*Escuela A* of the indicator fixture: communities c1 and c2 (from 2024, so its baseline year
is 2023)."""

PAGES = [
    "app.py",
    "pages/antes.py",
    "pages/durante.py",
    "pages/resultados.py",
    "pages/impacto.py",
    "pages/comunidades.py",
    "pages/presentar.py",
    "pages/cargar.py",
    "pages/historial.py",
    "pages/auditoria.py",
    "pages/revision.py",
    "pages/seguimiento.py",
    "pages/ajustes.py",
    "pages/registros.py",
]
COMMUNITY_TABLES = (
    "territory",
    "school",
    "school_territory",
    "community",
    "teacher",
    "teacher_year",
    "community_member",
    "activity",
    "session_attendance",
    "teacher_evaluation",
)
SURVEY_TABLES = ("territory", "school", "school_territory", "survey_response")


def load_tables(store: Store, tables: tuple[str, ...]) -> None:
    """Insert these tables of the indicator fixture (one batch); the surveys without their
    communities (the store has none)."""
    with store.transaction() as cur:
        batch = store.new_batch(
            cur, kind="prueba", file_name="parcial", file_hash="parcial", actor="test"
        )
        for table in tables:
            frame = pd.read_csv(FIXTURE / f"{table}.csv", sep=";", dtype=str, keep_default_na=False)
            frame = frame.astype(object).where(frame != "", None)
            if table == "survey_response" and "community" not in tables:
                frame["community_id"] = None
            store.insert_frame(cur, table, frame, batch)


@pytest.fixture(scope="module")
def stores(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Path]]:
    base = tmp_path_factory.mktemp("any_store")
    official = base / "official.duckdb"
    code = main(["importar", "--db", str(official), str(DIRECTORY), *map(str, SIMCE)])
    assert code == 0
    paths = {"official": official}
    for name, tables in (
        ("communities", COMMUNITY_TABLES),
        ("surveys", SURVEY_TABLES),
        ("empty", ()),
    ):
        paths[name] = base / f"{name}.duckdb"
        with open_store(paths[name]) as store:
            if tables:
                load_tables(store, tables)
    yield paths


CHOSEN = {"official": VILLA_LOURDES, "communities": SCHOOL_A, "surveys": SCHOOL_A, "empty": None}


def open_page(db: Path, monkeypatch: pytest.MonkeyPatch, page: str, rbd: int | None) -> AppTest:
    at = run_app_as_admin(db, monkeypatch)
    if rbd is not None:  # chosen on Inicio: the sidebar keeps it on every page
        at.sidebar.selectbox(key="f_school").select(rbd).run()
    if page != "app.py":
        at.switch_page(page).run()
    return at


def texts(at: AppTest) -> str:
    """Everything a person reads on the page (but charts), as one string."""
    parts = [e.value for kind in ("title", "markdown", "info", "caption", "warning") for e in
             getattr(at, kind)]  # fmt: skip
    parts += [e.label for e in at.expander]
    return "\n".join(str(p) for p in parts)


def links(at: AppTest) -> list[str]:
    return [p.proto.label for p in at.get("page_link")]


IN_MOMENT = {m: sum(i.moment == m for i in CATALOG) for m in ("durante", "resultados", "impacto")}
"""Indicators reported under each moment: the counts the checklists read out."""

EXPECTED: dict[tuple[str, str], list[str]] = {
    # A first day on official files: SIMCE and a provisional baseline; everything else missing.
    ("official", "app.py"): ["Años con datos: 2022, 2023, 2024."],
    ("official", "pages/antes.py"): [
        "Puntajes promedio de 2 series de pruebas estandarizadas, ponderados por estudiantes "
        "evaluados.",
        "Año de línea base de ESCUELA PARTICULAR VILLA LOURDES: provisional",
    ],
    ("official", "pages/durante.py"): ["no hay cronograma ni encuestas de percepción"],
    ("official", "pages/resultados.py"): ["no hay sesiones ni asistencia de comunidades"],
    ("official", "pages/impacto.py"): [
        "4° básico lectura 2024: 286 puntos, 20 puntos más que en 2023; según la Agencia, el "
        "alza de 20 puntos es significativa.",
        "4° básico matemática 2024: 282 puntos, 25 puntos más que en 2023; según la Agencia, el "
        "alza de 25 puntos es significativa.",
        "no hay resultados de estudiantes (Rendimiento por estudiante)",
    ],
    ("official", "pages/comunidades.py"): [
        "ESCUELA PARTICULAR VILLA LOURDES aún no tiene comunidades de práctica cargadas"
    ],
    ("official", "pages/registros.py"): [
        "ESCUELA PARTICULAR VILLA LOURDES no tiene comunidades que usted registre.",
    ],
    ("official", "pages/presentar.py"): [
        "Presentar al consejo — ESCUELA PARTICULAR VILLA LOURDES, 2024"
    ],
    # Communities without students' results, tests or surveys.
    # Its baseline year is 2023 (the year before its communities): only the class observations
    # have a value then; the sessions started in 2024.
    ("communities", "pages/antes.py"): [
        f"Resultados: 1 de {IN_MOMENT['resultados']} indicadores tienen línea base",
        "Año de línea base de Escuela A: 2023 (el año anterior a la primera comunidad)",
    ],
    ("communities", "pages/durante.py"): ["no hay respuestas de encuestas de percepción"],
    ("communities", "pages/resultados.py"): ["La participación en las sesiones fue 50,0 %"],
    ("communities", "pages/impacto.py"): [
        "no hay datos de tasa de reprobación",
        "no hay resultados SIMCE ni IDPS para esta selección",
        "Agencia de Calidad",
    ],
    ("communities", "pages/comunidades.py"): ["Participación activa en las 2 comunidades"],
    ("communities", "pages/registros.py"): ["**¿Quiénes vinieron?**"],
    # Surveys only.
    ("surveys", "pages/durante.py"): ["no hay actividades en el cronograma"],
    ("surveys", "pages/resultados.py"): ["no hay registros de asistencia a sesiones"],
    ("surveys", "pages/impacto.py"): ["no hay datos de tasa de reprobación"],
    ("surveys", "pages/comunidades.py"): ["Escuela A aún no tiene comunidades de práctica"],
    # Nothing at all.
    ("empty", "app.py"): ["La base de datos todavía no tiene datos."],
    ("empty", "pages/antes.py"): ["no hay indicadores calculados para esta selección y año."],
    ("empty", "pages/impacto.py"): ["no hay resultados de estudiantes"],
    ("empty", "pages/presentar.py"): ["no hay establecimientos ni territorios cargados."],
    ("empty", "pages/registros.py"): ["no hay establecimientos. Cargue primero el directorio"],
}

METRICS: dict[tuple[str, str], dict[str, str]] = {
    # School A, 2024, cut-off today: 3 of 7 planned activities done (a1, a2, a5) = 42,9 %.
    ("communities", "pages/durante.py"): {"Cronograma": "42,9 %"},
    # c1's sessions: 3 of 6 records attended; 2 sessions held in 1 month; 3 strategies in 2;
    # observations 2024: 3 and 4 → 3,50 against 2,00 in 2023 (its baseline year).
    ("communities", "pages/resultados.py"): {
        "Participación": "50,0 %",
        "Reuniones al mes": "2,0",
        "Estrategias por sesión": "1,5",
        "Desempeño": "3,50",
    },
    # Colaboración: final wave 5 of 5 favourable against 2 of 4 in the baseline wave (the
    # baseline wave counts even without communities). Apoyo: 3 students answered: hidden.
    ("surveys", "pages/durante.py"): {"Colaboración": "100,0 %", "Apoyo": "n < 10"},
}

MISSING_SOMETHING = {
    ("official", p)
    for p in ("pages/antes.py", "pages/durante.py", "pages/resultados.py", "pages/impacto.py")
} | {
    ("official", "pages/comunidades.py"),
    ("communities", "pages/durante.py"),
    ("communities", "pages/impacto.py"),
    ("surveys", "pages/durante.py"),
    ("surveys", "pages/resultados.py"),
    ("surveys", "pages/impacto.py"),
    ("surveys", "pages/comunidades.py"),
    ("empty", "app.py"),
    ("empty", "pages/antes.py"),
    ("empty", "pages/impacto.py"),
    ("empty", "pages/presentar.py"),
    ("empty", "pages/registros.py"),
}


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("kind", ["official", "communities", "surveys", "empty"])
def test_every_page_on_a_partial_store(
    stores: dict[str, Path], monkeypatch: pytest.MonkeyPatch, kind: str, page: str
) -> None:
    at = open_page(stores[kind], monkeypatch, page, CHOSEN[kind])
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    shown = texts(at)
    for text in EXPECTED.get((kind, page), []):
        assert text in shown, text
    values = {m.label: m.value for m in at.metric}
    for label, value in METRICS.get((kind, page), {}).items():
        assert values.get(label) == value, (label, values)
    if (kind, page) in MISSING_SOMETHING:
        assert "Faltan datos" in shown or "todavía no tiene datos" in shown
        assert "Cargar datos" in links(at)
    # Empty states point at the page, never at a terminal command.
    assert "tablero importar" not in shown and "tablero demo" not in shown


def test_impact_shows_only_indicators_with_data(
    stores: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    at = open_page(stores["official"], monkeypatch, "pages/impacto.py", VILLA_LOURDES)
    # No student records: no key figure, one empty state for them, and the SIMCE series.
    assert [m.label for m in at.metric] == []
    missing = [i.value for i in at.info if "Faltan datos" in i.value]
    assert len(missing) == 1
    assert "Rendimiento por estudiante" in missing[0]
    assert "4° básico lectura: en 2024, 53,6 % de los estudiantes en nivel Adecuado" in texts(at)


def test_antes_table_labels_the_provisional_baseline(
    stores: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without communities the SIMCE series' baseline is their first year (2022), provisional;
    the page says so (its catalogue table is empty: no student records)."""
    from metrics.engine.series import compute_series
    from metrics.scope import Scope

    at = open_page(stores["official"], monkeypatch, "pages/antes.py", VILLA_LOURDES)
    assert "provisional: el primer año con datos de cada indicador" in texts(at)
    with open_store(stores["official"]) as store:
        df = compute_series(store, Scope.all(), alcance_id=str(VILLA_LOURDES), anio=2024)
    lect = df[(df["indicador"] == "simce_puntaje") & (df["serie"] == "4b lectura")].iloc[0]
    assert (lect["valor"], lect["linea_base"], lect["periodo_base"]) == (286, 277, "2022")
    assert bool(lect["linea_base_provisional"]) and lect["cambio"] == 9


def test_lector_is_told_whom_to_ask(
    stores: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A reader may not load data: no link to a page outside their menu, a sentence instead."""
    from metrics.access import hash_password
    from metrics.store.users import save_user

    db = stores["surveys"].with_name("surveys_lector.duckdb")
    db.write_bytes(stores["surveys"].read_bytes())
    with open_store(db) as store:
        save_user(
            store,
            email="lec@a.cl",
            name="Lectora",
            role="lector",
            password_hash=hash_password("una-clave-bien-larga"),
            schools=[SCHOOL_A],
            territories=[],
        )
    at = run_app(db, monkeypatch, user="lec@a.cl")
    at.switch_page("pages/impacto.py").run()
    assert not at.exception
    assert "no hay datos de tasa de reprobación" in texts(at)
    assert links(at) == []
    assert "Quien carga los datos de su establecimiento" in texts(at)


# -- the CLI --------------------------------------------------------------------------------------
@pytest.mark.parametrize("fmt", ["pdf", "pptx", "xlsx"])
@pytest.mark.parametrize("kind", ["official", "communities", "surveys"])
def test_exportar_on_a_partial_store(
    stores: dict[str, Path], tmp_path: Path, kind: str, fmt: str
) -> None:
    out = tmp_path / f"consejo.{fmt}"
    rbd = CHOSEN[kind]
    code = main(
        ["exportar", "--db", str(stores[kind]), "--formato", fmt, "--rbd", str(rbd),
         "--anio", "2024", "--salida", str(out)]
    )  # fmt: skip
    assert code == 0
    data = out.read_bytes()
    if fmt == "pptx":
        deck = Presentation(io.BytesIO(data))
        text = " ".join(s.shapes.title.text for s in deck.slides if s.shapes.title is not None)
    elif fmt == "pdf":
        text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)
        text = " ".join(text.replace("\u00a0", " ").split())
    else:
        ws = load_workbook(io.BytesIO(data))["Indicadores"]
        cells = list(ws.iter_rows(values_only=True))
        text = " ".join(str(c) for row in cells for c in row)
        header = next(r for r in cells if "linea_base_provisional" in r)
        records = [dict(zip(header, r, strict=True)) for r in cells[cells.index(header) + 1 :]]
    if kind == "official":
        # The pack has no SIMCE slide by series yet; it says what it lacks.
        if fmt == "xlsx":
            assert not [r for r in records if r["indicador"] == "puntaje_estandarizado"]
        else:
            assert "aún no tiene comunidades de práctica registradas en 2024" in text
    elif kind == "communities" and fmt != "xlsx":
        assert "2 comunidades de práctica" in text
    # No slide states a value it does not have.
    assert " es – en 2024" not in text


def test_exportar_on_an_empty_store_says_what_is_missing(
    stores: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        ["exportar", "--db", str(stores["empty"]), "--formato", "pdf", "--rbd", "1",
         "--salida", str(tmp_path / "x.pdf")]
    )  # fmt: skip
    assert code == 2
    err = capsys.readouterr().err
    assert "No hay un establecimiento con RBD 1 en la base de datos" in err
    assert "Directorio oficial de establecimientos" in err
    assert not (tmp_path / "x.pdf").exists()


@pytest.mark.parametrize("kind", ["official", "communities", "surveys", "empty"])
def test_indicadores_on_a_partial_store(
    stores: dict[str, Path], kind: str, capsys: pytest.CaptureFixture[str]
) -> None:
    rbd = CHOSEN[kind]
    code = main(
        ["indicadores", "--db", str(stores[kind]), "--alcance", "establecimiento",
         "--anio", "2024", "--solo-anual", "--formato", "json"]
    )  # fmt: skip
    assert code == 0
    records = json.loads(capsys.readouterr().out)
    mine = {r["indicador"]: r for r in records if r["alcance_id"] == str(rbd)}
    if kind == "official":
        assert {r["periodo"] for r in records} == {"2024"}
        series = {
            r["serie"]: r
            for r in records
            if r["indicador"] == "simce_puntaje" and r["alcance_id"] == str(VILLA_LOURDES)
        }
        lect, mate = series["4b lectura"], series["4b matemática"]
        assert (lect["valor"], lect["n"], lect["linea_base"]) == (286, 56, 277)
        assert lect["periodo_base"] == "2022" and lect["linea_base_provisional"] is True
        assert (lect["cambio_anterior"], lect["dif_agencia"], lect["sig_agencia"]) == (20, 20, 1)
        assert (mate["valor"], mate["cambio"], mate["cambio_anterior"]) == (282, 9, 25)
    elif kind == "communities":
        assert mine["participacion_activa"]["valor"] == 50.0
        assert mine["participacion_activa"]["linea_base_provisional"] is False
    elif kind == "surveys":
        colab = mine["percepcion_colaboracion"]
        assert colab["valor"] == 100.0 and colab["linea_base"] == 50.0
        assert colab["linea_base_provisional"] is False
    else:
        assert records == []
    for fmt in ("csv", "tabla"):
        assert main(["indicadores", "--db", str(stores[kind]), "--formato", fmt]) == 0
    capsys.readouterr()


def test_a_community_without_data_says_so_once(
    stores: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """c2 has a member but no session and its school no results: one empty state names the
    three indicators of its card and their files."""
    at = run_app_as_admin(stores["communities"], monkeypatch)
    at.sidebar.selectbox(key="f_school").select(SCHOOL_A).run()
    at.sidebar.selectbox(key="f_community").select("c2").run()
    at.switch_page("pages/comunidades.py").run()
    assert not at.exception
    missing = [i.value for i in at.info if "Faltan datos" in i.value]
    assert missing == [
        "**Faltan datos:** no hay datos de participación activa, tasa de aprobación y promedio "
        "de notas para esta selección. Se calculan con: asistencia a sesiones; Rendimiento por "
        "estudiante (Mineduc)."
    ]
    assert "Cargar datos" in links(at)


def test_home_checklist_sends_missing_data_to_cargar(
    stores: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A first day: no baseline and no targets (set in Antes); the schedule, the surveys and
    the students' results are missing (loaded in Cargar datos), and so is every indicator of
    the catalogue; the SIMCE series are in Impacto."""
    at = open_page(stores["official"], monkeypatch, "app.py", VILLA_LOURDES)
    assert [(p.proto.label, p.proto.page) for p in at.get("page_link")] == [
        ("Completar", "antes"),
        ("Completar", "antes"),
        ("Cargar datos", "cargar"),
        ("Cargar datos", "cargar"),
        ("Cargar datos", "cargar"),
        ("Cargar datos", "cargar"),
        ("Ver los puntajes, los estándares y el IDPS en Impacto", "impacto"),
    ]


@pytest.mark.parametrize("rbd", [VILLA_LOURDES, None])
def test_home_never_says_sin_datos_beside_a_value_on_official_files(
    stores: dict[str, Path], monkeypatch: pytest.MonkeyPatch, rbd: int | None
) -> None:
    """The public files only: no indicator of the catalogue has a value (SIMCE is by series,
    never averaged into one), so Inicio says so once, and gives each SIMCE series' sentence
    with the Agencia's verdict instead."""
    at = open_page(stores["official"], monkeypatch, "app.py", rbd)
    assert not at.exception
    text = texts(at)
    assert "no hay indicadores calculados para esta selección y año." in text
    assert "Sin datos" not in text
    series = [m.value for m in at.markdown if m.value.startswith("- 4° básico ")]
    assert len(series) == 2
    if rbd == VILLA_LOURDES:
        assert series[0].startswith(
            "- 4° básico lectura 2024: 286 puntos, 20 puntos más que en 2023; según la Agencia, "
            "el alza de 20 puntos es significativa."
        )
