"""«Registrar una sesión» in real Chromium: from the top menu to a saved session, its load in
Historial, at a school laptop's size and a projector's (screenshots in tests/artifacts/)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from metrics.scope import Scope
from metrics.store import community_records as reads
from metrics.store import open_store
from tests.browser.conftest import open_from_menu, screenshot, start_server, wait_for_app

pytestmark = pytest.mark.browser

SCHOOL = "Escuela Los Aromos (RBD 90001)"


@pytest.fixture(scope="module")
def records_server(
    demo_db: Path, browser: object, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, Path]]:
    """A server of its own over a copy of the demo store: this flow writes to it."""
    db = tmp_path_factory.mktemp("registros") / "demo.duckdb"
    db.write_bytes(demo_db.read_bytes())
    proc, url = start_server(db)
    yield url, db
    proc.terminate()
    proc.wait(timeout=20)


def choose(page: object, label: str, option: str) -> None:
    """Pick ``option`` in the Streamlit selectbox labelled ``label``."""
    main = page.get_by_test_id("stMainBlockContainer")  # type: ignore[attr-defined]
    box = main.get_by_test_id("stSelectbox").filter(has_text=label)
    box.first.click()
    page.get_by_role("option", name=option).first.click()  # type: ignore[attr-defined]
    wait_for_app(page)


def test_registrar_una_sesion(records_server: tuple[str, Path], browser: object) -> None:
    url, db = records_server
    page = browser.new_page(viewport={"width": 1366, "height": 768})  # type: ignore[attr-defined]
    try:
        page.goto(url)
        wait_for_app(page)
        open_from_menu(page, "Registros")
        wait_for_app(page)
        assert page.locator("h1").first.inner_text().startswith("Registros")
        choose(page, "Establecimiento", SCHOOL)
        date_box = page.get_by_test_id("stDateInput").filter(has_text="Fecha de la sesión")
        date_box.locator("input").fill("2025-11-20", force=True)
        wait_for_app(page)
        page.get_by_label("Tema").fill("Lectura en voz alta")
        page.get_by_label("Tema").press("Tab")
        wait_for_app(page)
        boxes = (
            page.get_by_test_id("stMainBlockContainer")
            .get_by_test_id("stCheckbox")
            .filter(has_not_text="La comunidad está cerrada")  # the Comunidad tab's
        )
        absent = boxes.nth(boxes.count() - 1).inner_text().strip()
        boxes.nth(boxes.count() - 1).locator("label").click()
        wait_for_app(page)
        count = page.get_by_label("Estrategias compartidas")
        count.fill("2")
        count.press("Tab")
        wait_for_app(page)
        page.get_by_label("Estrategia 1", exact=True).fill("Preguntas antes de leer")
        page.get_by_label("Estrategia 2", exact=True).fill("Lectura en parejas")
        page.get_by_label("Acuerdos").fill("Probar la lectura en parejas en 3° básico")
        page.get_by_label("Acuerdos").press("Tab")
        wait_for_app(page)
        screenshot(page, "registros_sesion_1366")
        start = time.perf_counter()
        page.get_by_role("button", name="Guardar sesión").click()
        success = page.get_by_test_id("stAlertContentSuccess")
        success.wait_for(timeout=60_000)
        elapsed = time.perf_counter() - start
        wait_for_app(page)
        text = success.inner_text()
        assert "Sesión del 20-11-2025 guardada como la carga" in text, text
        assert "participación activa" in text and "intercambio de estrategias" in text
        print(f"guardar y ver los indicadores: {elapsed:.2f} s")
        assert page.get_by_label("Tema").input_value() == ""  # an empty form for the next one
        screenshot(page, "registros_guardada_1366")
        page.get_by_test_id("stDataFrame").first.scroll_into_view_if_needed()
        screenshot(page, "registros_sesiones_1366")
        page.get_by_role("tab", name="Cronograma").click()
        wait_for_app(page)
        screenshot(page, "registros_cronograma_1366")
        page.set_viewport_size({"width": 1920, "height": 1080})
        page.wait_for_timeout(500)
        screenshot(page, "registros_cronograma_1920")
        page.get_by_role("tab", name="Sesión").click()
        page.wait_for_timeout(500)
        screenshot(page, "registros_guardada_1920")
        page.get_by_role("tab", name="Integrantes").click()
        page.wait_for_timeout(500)
        screenshot(page, "registros_integrantes_1920")
        page.get_by_role("tab", name="Comunidad").click()
        page.wait_for_timeout(500)
        screenshot(page, "registros_comunidad_1920")
    finally:
        page.close()
    with open_store(db) as store:
        found = reads.read_sessions(store, Scope.all(), "com-90001-1")
        names = reads.read_members(store, Scope.all(), "com-90001-1", 2025)
    saved = found[found["topic"] == "Lectura en voz alta"]
    assert len(saved) == 1
    row = saved.iloc[0]
    assert (row["attended"], row["invited"], row["strategies"]) == (len(names) - 1, len(names), 2)
    assert row["strategy_notes"] == "Preguntas antes de leer|Lectura en parejas"
    assert absent in set(names["name"])
