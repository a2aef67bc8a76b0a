"""A community's comparison group in real Chromium: Impacto says and draws the rest of the
school beside the community (the demo's «Comunidad lectora Los Aromos», whose comparison group
is 1° to 4° B)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import open_from_menu, screenshot, wait_for_app

pytestmark = pytest.mark.browser


def test_impacto_shows_the_rest_of_the_school_beside_a_community(
    browser: object, server: str
) -> None:
    page = browser.new_page(viewport={"width": 1366, "height": 900})  # type: ignore[attr-defined]
    try:
        page.goto(server)
        wait_for_app(page)
        side = page.get_by_test_id("stSidebar")
        side.get_by_role("combobox", name="Establecimiento").click()
        page.get_by_role("option", name="Escuela Los Aromos (RBD 90001)").click()
        wait_for_app(page)
        side.get_by_role("combobox", name="Comunidad de práctica").click()
        page.get_by_role("option", name="Comunidad lectora Los Aromos").click()
        wait_for_app(page)
        open_from_menu(page, "Impacto — estudiantes")
        wait_for_app(page)
        expect(page.get_by_role("heading", level=1).first).to_have_text(
            "Impacto — Comunidad lectora Los Aromos, 2025"
        )
        card = page.get_by_text("en el resto del establecimiento (mismos niveles)").first
        expect(card).to_be_visible()
        expect(card).to_contain_text("la tasa de reprobación bajó")
        expect(card).to_contain_text("IC 95 %")
        # The grey line is named on the chart (Vega draws it into the canvas/SVG).
        expect(
            page.get_by_text("Línea gris punteada: el resto del establecimiento").first
        ).to_be_visible()
        assert page.locator("[data-testid='stException']").count() == 0
        screenshot(page, "impacto_comunidad_comparacion")
    finally:
        page.close()
