"""What a person reads in real Chromium is the app's Spanish, and it fits.

Every page opened by its own address as the first request to a fresh server (where Streamlit's
navigation of the ``pages/`` folder used to answer «Page not found» in English); and every page
at a school laptop's size (1366×768) and a projector's (1920×1080) with no error box, none of
Streamlit's English words, and no text wider than its box: headings, key figures, the menu,
the filters and every table (a table that scrolls sideways hides columns). Screenshots of each
are saved under tests/artifacts/ to look at.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import (
    ADMIN,
    PASSWORD,
    admin_copy,
    open_from_menu,
    screenshot,
    start_server,
    wait_for_app,
)

pytestmark = pytest.mark.browser

TITLES = {
    "": "Tablero DPD — ",
    "antes": "Antes — línea base y metas — ",
    "durante": "Durante — implementación — ",
    "resultados": "Resultados — comunidades de práctica — ",
    "impacto": "Impacto — ",
    "comunidades": "Comunidades — ",
    "presentar": "Presentar al consejo — ",
    "cargar": "Cargar datos",
    "registros": "Registros",
    "historial": "Historial de cargas",
    "auditoria": "Registro de auditoría",
    "revision": "Revisión cualitativa — ",
    "seguimiento": "Seguimiento — ",
    "ajustes": "Ajustes",
}
"""Every page's address and the start of its title."""

ENGLISH = (
    "Page not found",
    "does not seem to exist",
    "Upload",
    "Browse files",
    "Drag and drop",
    "per file",
    "Running",
    "Deploy",
    "Rerun",
    "Something went wrong",
    "This app has encountered an error",
    "Choose an option",
    "No results",
    "Press Enter",
    "Press Ctrl",
    "View more",
    "View less",
    "Made with Streamlit",
)
"""Streamlit's own English words that a page could show (the Spanish word «Error» is not
among them: an error box is checked on its own)."""

_ENGLISH = re.compile(r"\b(" + "|".join(re.escape(w) for w in ENGLISH) + r")\b")

OVERFLOW_JS = """
() => {
  const boxes = [
    'h1', 'h2', 'h3', 'h4',
    '[data-testid=stMetricLabel]', '[data-testid=stMetricValue]',
    '[data-testid=stMetricDelta]', '[data-testid=stTopNav] a', '[data-testid=stTopNavSection]',
    '[data-testid=stSidebar] [data-testid=stWidgetLabel]',
    '[data-testid=stExpander] summary', '[data-testid=stCaptionContainer]',
    '[data-testid=stDataFrame] .dvn-scroller',
  ];
  const out = [];
  for (const sel of boxes) {
    for (const el of document.querySelectorAll(sel)) {
      if (!el.offsetParent) continue;  // not shown (a closed expander, another page)
      if (el.scrollWidth > el.clientWidth + 1) {
        out.push(sel + ': «' + (el.innerText || '').slice(0, 60) + '» '
                 + el.scrollWidth + ' > ' + el.clientWidth);
      }
    }
  }
  return out;
}
"""


def english_words(page: Any) -> list[str]:
    """Streamlit's English words in what the page shows (hidden text is not read)."""
    text = page.locator("[data-testid='stApp']").inner_text()
    return sorted(set(_ENGLISH.findall(text)))


def problems(page: Any) -> list[str]:
    """What a person should not see: an error box, English, text wider than its box."""
    found = []
    if page.locator("[data-testid='stException']").count():
        found.append("excepción: " + page.locator("[data-testid='stException']").first.inner_text())
    for box in page.locator("[data-testid='stAlertContentError']").all():
        found.append("error: " + box.inner_text()[:200])
    found += [f"inglés: {w}" for w in english_words(page)]
    found += [f"desborde: {o}" for o in page.evaluate(OVERFLOW_JS)]
    return found


def open_expanders(page: Any) -> None:
    """Open every collapsed section, so that its tables are measured too."""
    page.evaluate(
        "() => document.querySelectorAll("
        "'[data-testid=stExpander] details:not([open]) > summary').forEach(s => s.click())"
    )
    page.wait_for_timeout(1500)


# -- first request to a fresh server -----------------------------------------------------------


@pytest.fixture(scope="module")
def store_copy(demo_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("primera_visita") / "demo.duckdb"
    shutil.copy(demo_db, db)
    return db


@pytest.mark.parametrize("path", list(TITLES))
def test_a_page_address_is_the_first_request_to_a_fresh_server(
    browser: Any, store_copy: Path, path: str
) -> None:
    proc, url = start_server(store_copy)
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    try:
        page.goto(f"{url}/{path}")
        wait_for_app(page)
        expect(page.get_by_role("heading", level=1).first).to_contain_text(TITLES[path])
        assert page.url == f"{url}/{path}"
        assert english_words(page) == []
        assert page.get_by_role("dialog").count() == 0
        # The app's own menu and filters, not a list of file names.
        expect(page.get_by_test_id("stTopNav")).to_contain_text("Evaluación")
        expect(page.get_by_test_id("stSidebar")).to_contain_text("Fecha de corte")
    finally:
        page.close()
        proc.terminate()
        proc.wait(timeout=20)


def test_a_page_address_goes_through_sign_in_to_the_page(
    browser: Any, demo_db: Path, tmp_path: Path
) -> None:
    proc, url = start_server(admin_copy(demo_db, tmp_path), demo=False)
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    try:
        page.goto(f"{url}/impacto")
        expect(page.get_by_label("Correo electrónico")).to_be_visible(timeout=60_000)
        assert english_words(page) == [] and page.get_by_role("dialog").count() == 0
        page.get_by_label("Correo electrónico").fill(ADMIN)
        page.get_by_label("Contraseña").fill(PASSWORD)
        page.get_by_role("button", name="Ingresar").click()
        expect(page.get_by_role("heading", level=1).first).to_contain_text(
            "Impacto — ", timeout=60_000
        )
        wait_for_app(page)
        assert page.url == f"{url}/impacto"
        assert english_words(page) == [] and page.get_by_role("dialog").count() == 0
    finally:
        page.close()
        proc.terminate()
        proc.wait(timeout=20)


# -- every page at both sizes --------------------------------------------------------------------


@pytest.fixture(scope="module")
def looked_at(
    browser: Any, demo_db: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[tuple[str, int], list[str]]]:
    """Every page at 1366×768 then 1920×1080 in one browser tab of one server: what is wrong
    on each (and a screenshot of each)."""
    db = tmp_path_factory.mktemp("pantallas") / "demo.duckdb"
    shutil.copy(demo_db, db)
    proc, url = start_server(db)
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    found: dict[tuple[str, int], list[str]] = {}
    try:
        page.goto(url)
        wait_for_app(page)
        for path in TITLES:
            page.set_viewport_size({"width": 1366, "height": 768})
            page.goto(f"{url}/{path}")
            wait_for_app(page)
            screenshot(page, f"pagina_{path or 'inicio'}_1366x768")
            open_expanders(page)
            found[(path, 1366)] = problems(page)
            page.set_viewport_size({"width": 1920, "height": 1080})
            page.wait_for_timeout(800)
            found[(path, 1920)] = problems(page)
            screenshot(page, f"pagina_{path or 'inicio'}_1920x1080")
        # The same pages with a school chosen (its communities' tables and charts), reached
        # through the menu so that the choice is kept.
        page.set_viewport_size({"width": 1366, "height": 768})
        page.get_by_test_id("stSidebar").get_by_role("combobox", name="Establecimiento").click()
        page.get_by_role("option", name=SCHOOL).click()
        wait_for_app(page)
        for title in WITH_A_SCHOOL:
            page.set_viewport_size({"width": 1366, "height": 768})
            open_from_menu(page, title)
            wait_for_app(page)
            expect(page.get_by_role("heading", level=1).first).to_contain_text("Los Aromos")
            open_expanders(page)
            found[(title, 1366)] = problems(page)
            page.set_viewport_size({"width": 1920, "height": 1080})
            page.wait_for_timeout(800)
            found[(title, 1920)] = problems(page)
            screenshot(page, f"pagina_{title.split(' ')[0].lower()}_90001_1920x1080")
        yield found
    finally:
        page.close()
        proc.terminate()
        proc.wait(timeout=20)


SCHOOL = "Escuela Los Aromos (RBD 90001)"
WITH_A_SCHOOL = (
    "Inicio",
    "Antes — línea base y metas",
    "Durante — implementación",
    "Resultados — comunidades",
    "Impacto — estudiantes",
    "Comunidades",
    "Revisión cualitativa",
    "Seguimiento",
)
"""The pages looked at again with one school chosen (by their titles in the menu)."""


@pytest.mark.parametrize("width", [1366, 1920])
@pytest.mark.parametrize("path", [*TITLES, *WITH_A_SCHOOL])
def test_page_has_no_error_english_or_overflow(
    looked_at: dict[tuple[str, int], list[str]], path: str, width: int
) -> None:
    assert looked_at[(path, width)] == []


def test_the_filters_show_above_the_fold_at_1366(browser: Any, server: str) -> None:
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    try:
        page.goto(f"{server}/impacto")
        wait_for_app(page)
        sidebar = page.get_by_test_id("stSidebar")
        for label in ("Territorio", "Establecimiento", "Comunidad de práctica", "Año"):
            box = sidebar.get_by_role("combobox", name=label).bounding_box()
            assert box is not None and box["y"] + box["height"] <= 768, label
        cutoff = sidebar.get_by_role("group", name="Fecha de corte").bounding_box()
        assert cutoff is not None and cutoff["y"] + cutoff["height"] <= 768
        title = page.get_by_role("heading", level=1).first.bounding_box()
        assert title is not None and title["y"] < 110  # not 120 px of blank space above it
    finally:
        page.close()


def test_the_uploader_speaks_spanish(browser: Any, demo_db: Path, tmp_path: Path) -> None:
    """The limit and the file's size in Spanish, the button «Elegir archivos»; «316 B», not
    Streamlit's «316.0B»."""
    proc, url = start_server(admin_copy(demo_db, tmp_path), demo=False)
    upload = tmp_path / "establecimientos.csv"
    upload.write_bytes(b"rbd;nombre;comuna\n" + b"91001;Escuela Nueva;Puerto Aromo\n" * 9)
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    try:
        page.goto(f"{url}/cargar")
        page.get_by_label("Correo electrónico").fill(ADMIN)
        page.get_by_label("Contraseña").fill(PASSWORD)
        page.get_by_role("button", name="Ingresar").click()
        expect(page.get_by_role("heading", level=1).first).to_have_text(
            "Cargar datos", timeout=60_000
        )
        wait_for_app(page)
        expect(page.get_by_test_id("stMain")).to_contain_text(
            "Hasta 2,0 GB por archivo; archivos CSV, TXT o Excel (XLSX)."
        )
        button = page.get_by_test_id("stFileUploaderDropzone").get_by_test_id(
            "stBaseButton-secondary"
        )
        label = button.evaluate("b => getComputedStyle(b.querySelector('p'), '::after').content")
        assert label == '"Elegir archivos"'
        assert english_words(page) == []
        page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(upload))
        expect(page.get_by_text("Tipo detectado:")).to_be_visible(timeout=30_000)
        size = upload.stat().st_size
        assert size == 18 + 9 * 33  # 315 bytes: under 1.024, shown whole
        expect(page.get_by_test_id("stMain")).to_contain_text(f"establecimientos.csv · {size} B")
        assert english_words(page) == []
        assert not re.search(r"\d\.\dB\b", page.get_by_test_id("stApp").inner_text())
        screenshot(page, "cargar_en_espanol")
    finally:
        page.close()
        proc.terminate()
        proc.wait(timeout=20)


def test_typing_in_a_form_says_nothing_in_english(browser: Any, server: str) -> None:
    """Streamlit's «Press Ctrl+Enter to submit form» under a field being typed in is hidden;
    the target is typed with a decimal comma."""
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    try:
        page.goto(f"{server}/antes")
        wait_for_app(page)
        form = page.get_by_test_id("stForm").filter(has_text="Fijar o cambiar una meta")
        form.scroll_into_view_if_needed()
        target = form.get_by_test_id("stTextInputField")
        expect(target).to_have_attribute("placeholder", "Por ejemplo: 3,5")
        target.fill("2,5")
        form.locator("textarea").click()
        page.keyboard.type("Acuerdo del consejo")
        expect(page.get_by_test_id("InputInstructions").first).to_be_attached()
        assert english_words(page) == []
        assert "Press" not in page.get_by_test_id("stApp").inner_text()
    finally:
        page.close()
