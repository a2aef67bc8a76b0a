"""Moving between pages in real Chromium keeps the sidebar's filters. (Every page at both
sizes, with its screenshots: test_chrome_browser.py.)"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import open_from_menu, screenshot, wait_for_app

pytestmark = pytest.mark.browser


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
