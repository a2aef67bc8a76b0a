"""Every page in real Chromium at a school laptop's and a projector's size: no error, and a
screenshot of each saved under tests/artifacts/ to look at."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import open_from_menu, screenshot, wait_for_app

pytestmark = pytest.mark.browser

PAGES = {
    "antes": "Antes — línea base y metas",
    "durante": "Durante — implementación",
    "resultados": "Resultados — comunidades de práctica",
    "impacto": "Impacto",
    "comunidades": "Comunidades",
}


@pytest.mark.parametrize(("width", "height"), [(1366, 768), (1920, 1080)])
@pytest.mark.parametrize("path", list(PAGES))
def test_page_renders_without_errors(
    browser: object, server: str, path: str, width: int, height: int
) -> None:
    page = browser.new_page(viewport={"width": width, "height": height})  # type: ignore[attr-defined]
    try:
        page.goto(f"{server}/{path}")
        wait_for_app(page)
        expect(page.get_by_role("heading", level=1).first).to_contain_text(PAGES[path])
        assert page.locator("[data-testid='stException']").count() == 0
        assert page.get_by_text("Page not found").count() == 0
        screenshot(page, f"{path}_{width}x{height}")
    finally:
        page.close()


def test_filters_are_kept_between_pages(browser: object, server: str) -> None:
    page = browser.new_page(viewport={"width": 1366, "height": 900})  # type: ignore[attr-defined]
    try:
        page.goto(server)
        wait_for_app(page)
        page.get_by_test_id("stSidebar").get_by_role("combobox", name="Establecimiento").click()
        page.get_by_role("option", name="Escuela Los Aromos (RBD 90001)").click()
        wait_for_app(page)
        expect(page.get_by_role("heading", level=1).first).to_contain_text("Escuela Los Aromos")
        open_from_menu(page, "Impacto — estudiantes")
        wait_for_app(page)
        expect(page.get_by_role("heading", level=1).first).to_have_text(
            "Impacto — Escuela Los Aromos, 2025"
        )
        expect(page.get_by_test_id("stMetricValue").first).to_be_visible()
        screenshot(page, "impacto_escuela_los_aromos")
    finally:
        page.close()
