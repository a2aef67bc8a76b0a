"""The home page in real Chromium, on the demo store: it runs, shows figures, no errors."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot, wait_for_app

pytestmark = pytest.mark.browser


@pytest.mark.parametrize(("width", "height"), [(1366, 768), (1920, 1080)])
def test_home_page_renders(browser: object, server: str, width: int, height: int) -> None:
    page = browser.new_page(viewport={"width": width, "height": height})  # type: ignore[attr-defined]
    try:
        page.goto(server)
        wait_for_app(page)
        expect(page.get_by_role("heading", level=1).first).to_have_text(
            "Tablero DPD — Todos los establecimientos, 2025"
        )
        metric_values = page.get_by_test_id("stMetricValue")
        expect(metric_values).to_have_count(5)
        expect(metric_values.first).to_have_text("12")  # the demo's schools
        expect(metric_values.last).to_have_text(re.compile(r"^\d\.\d{3}$"))  # ~5.800 students
        assert page.locator("[data-testid='stException']").count() == 0
        assert page.get_by_text("Datos de demostración").count() == 1
        shot = screenshot(page, f"inicio_{width}x{height}")
        assert shot.stat().st_size > 10_000
    finally:
        page.close()
