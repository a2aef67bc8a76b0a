"""Presentar in real Chromium: the council pack slide by slide, with the keyboard's arrows, and
in projector mode at a school laptop's and a projector's size."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import open_from_menu, screenshot, wait_for_app

pytestmark = pytest.mark.browser


@pytest.mark.parametrize(("width", "height"), [(1366, 768), (1920, 1080)])
def test_present_with_the_keyboard(browser: object, server: str, width: int, height: int) -> None:
    page = browser.new_page(viewport={"width": width, "height": height})  # type: ignore[attr-defined]
    try:
        page.goto(server)
        wait_for_app(page)
        page.get_by_test_id("stSidebar").get_by_role("combobox", name="Establecimiento").click()
        page.keyboard.type("Los Aromos")
        page.get_by_role("option", name="Escuela Los Aromos (RBD 90001)").click()
        wait_for_app(page)
        open_from_menu(page, "Presentar al consejo")
        wait_for_app(page)
        expect(page.get_by_role("heading", level=1).first).to_have_text(
            "Presentar al consejo — Escuela Los Aromos, 2025"
        )
        kicker = page.locator(".tablero-kicker")
        expect(kicker).to_contain_text(re.compile(r"· 1 de \d+"))
        screenshot(page, f"presentar_{width}x{height}")
        kicker.click()  # focus the page, not a widget, so the arrows reach the app
        page.keyboard.press("ArrowRight")
        wait_for_app(page)
        expect(kicker).to_contain_text(re.compile(r"· 2 de \d+"))
        expect(page.locator(".tablero-slide-title")).to_contain_text("comunidad")
        page.keyboard.press("ArrowLeft")
        wait_for_app(page)
        expect(kicker).to_contain_text(re.compile(r"· 1 de \d+"))
        page.get_by_text("Modo proyector").click()
        wait_for_app(page)
        expect(page.get_by_test_id("stSidebar")).to_be_hidden()
        kicker.click()
        for _ in range(8):  # to the first impact slide
            page.keyboard.press("ArrowRight")
            wait_for_app(page)
        expect(kicker).to_contain_text("Impacto")
        expect(page.locator(".tablero-facts")).to_contain_text("estudiantes en 2025")
        wait_for_app(page)
        assert page.locator("[data-testid='stException']").count() == 0
        screenshot(page, f"presentar_proyector_{width}x{height}")
    finally:
        page.close()
