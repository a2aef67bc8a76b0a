"""Every page and command on stores that hold only part of the datasets.

Four stores, each built once for this module:

- **official**: a first day with the public files only — the Mineduc directory (16.768 schools)
  and SIMCE 4° básico 2022–2024, imported with ``tablero importar`` from ``../shared/data`` as
  they are. No communities, so the SIMCE baseline is provisional (the first year with data).
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
"""ESCUELA PARTICULAR VILLA LOURDES. Its SIMCE 4° básico in the Agencia's files (reading, maths;
students, mean): 2022 58 × 277 and 60 × 273 → 32.446 / 118 = 274,97; 2023 62 × 266 and
62 × 257 → 261,5; 2024 56 × 286 and 56 × 282 → 284. Against the provisional baseline 2022:
284 − 274,97 = +9,03 (+3,3 %)."""
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
    ("official", "app.py"): [
        f"1 de {len(CATALOG)} indicadores tienen línea base provisional (fije el año de línea "
        "base en Antes)."
    ],
    ("official", "pages/antes.py"): [
        "Faltan datos:** ningún indicador de durante tiene datos ni meta",
        f"Impacto: 1 de {IN_MOMENT['impacto']} indicadores tienen línea base y 0 tienen meta.",
        "Año de línea base de ESCUELA PARTICULAR VILLA LOURDES: provisional",
    ],
    ("official", "pages/durante.py"): [
        "no hay actividades en el cronograma",
        "no hay respuestas de encuestas de percepción",
    ],
    ("official", "pages/resultados.py"): ["no hay registros de asistencia a sesiones"],
    ("official", "pages/impacto.py"): [
        "El puntaje en pruebas estandarizadas subió de 275 en 2022 (línea base provisional) a "
        "284 en 2024 (+3,3 %).",
        "no hay datos de tasa de reprobación, tasa de aprobación, promedio de notas",
        "Rendimiento por estudiante (Mineduc)",
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
        "puntaje en pruebas estandarizadas para esta selección",
        "SIMCE por establecimiento (Agencia de Calidad)",
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
    ("official", "pages/impacto.py"): {"SIMCE (puntos)": "284"},
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
    assert [(m.label, m.value, m.delta) for m in at.metric] == [("SIMCE (puntos)", "284", "+9")]
    # One empty state for the seven indicators of students' results, not seven.
    missing = [i.value for i in at.info if "Faltan datos" in i.value]
    assert len(missing) == 1
    assert "tasa de retiro y tasa de repitencia" in missing[0]


def test_antes_table_labels_the_provisional_baseline(
    stores: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    at = open_page(stores["official"], monkeypatch, "pages/antes.py", VILLA_LOURDES)
    table = at.dataframe[0].value
    row = table[table["Indicador"] == "Puntaje en pruebas estandarizadas"].iloc[0]
    assert row["Valor"] == "284 puntos"
    assert row["Línea base"] == "275 puntos (provisional 2022)"
    assert row["Cambio"] == "+9"


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
        if fmt == "xlsx":
            simce = next(
                r
                for r in records
                if r["indicador"] == "puntaje_estandarizado"
                and r["alcance_id"] == str(VILLA_LOURDES)
                and r["periodo"] == "2024"
            )
            assert simce["valor"] == 284 and simce["periodo_base"] == "2022"
            assert simce["linea_base_provisional"] is True
        else:
            assert "aún no tiene comunidades de práctica registradas en 2024" in text
            assert "(línea base provisional) a 284 en 2024" in text
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
        simce = mine["puntaje_estandarizado"]
        assert simce["valor"] == 284.0 and simce["n"] == 112
        assert round(simce["linea_base"], 2) == 274.97  # 32.446 / 118
        assert simce["periodo_base"] == "2022" and simce["linea_base_provisional"] is True
        assert round(simce["cambio"], 2) == 9.03
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
    """A first day: the baseline is provisional and there are no targets (set in Antes); the
    schedule, the surveys and the students' results are missing (loaded in Cargar datos)."""
    at = open_page(stores["official"], monkeypatch, "app.py", VILLA_LOURDES)
    assert [(p.proto.label, p.proto.page) for p in at.get("page_link")] == [
        ("Completar", "antes"),
        ("Completar", "antes"),
        ("Cargar datos", "cargar"),
        ("Cargar datos", "cargar"),
        ("Cargar datos", "cargar"),
    ]


@pytest.mark.parametrize("rbd", [VILLA_LOURDES, None])
def test_home_never_says_sin_datos_beside_a_value_on_official_files(
    stores: dict[str, Path], monkeypatch: pytest.MonkeyPatch, rbd: int | None
) -> None:
    """The public files only: every value on Inicio reads with what it lacks (a target, a
    baseline), never «Sin datos»; the summary counts it the same way."""
    at = open_page(stores["official"], monkeypatch, "app.py", rbd)
    assert not at.exception
    table = at.dataframe[0].value
    shown = table[~table["Valor"].isin(["–", "n < 10"])]
    assert len(shown), "the official files give at least the SIMCE score"
    for rec in shown.to_dict("records"):
        assert "Sin datos" not in rec["Estado"], rec
    text = texts(at)
    if rbd == VILLA_LOURDES:
        row = shown[shown["Indicador"] == "Puntaje en pruebas estandarizadas"].iloc[0]
        # 284 against the provisional 2022 baseline 274,97 (+9,03), no target, no interval
        # (the Agencia publishes no deviation): better, said without a conclusiveness claim.
        assert row["Valor"] == "284 puntos"
        assert row["Estado"] == "○ Sin meta · mejora"
        # One value (without a target); the other indicators have no value at all.
        assert len(shown) == 1
        assert (
            f"De {len(table)} indicadores: 0 logrados, 0 en camino y 0 en riesgo; 1 sin meta y "
            f"{len(table) - 1} sin datos." in text
        )
