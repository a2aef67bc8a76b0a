"""Projector mode in real Chromium: the arrows move the slides right after switching it on
(no click on the page first), and at 1920×1080 every slide fits the screen."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import open_from_menu, screenshot, wait_for_app

pytestmark = pytest.mark.browser

SLIDE = re.compile(r"· (\d+) de (\d+)", re.IGNORECASE)


def _slide(page: object) -> tuple[int, int]:
    text = page.locator(".tablero-kicker").inner_text()  # type: ignore[attr-defined]
    hit = SLIDE.search(text)
    assert hit, text
    return int(hit.group(1)), int(hit.group(2))


def test_arrows_work_right_after_projector_mode_and_slides_fit_1080(
    browser: object, server: str
) -> None:
    page = browser.new_page(viewport={"width": 1920, "height": 1080})  # type: ignore[attr-defined]
    try:
        page.goto(server)
        wait_for_app(page)
        page.get_by_test_id("stSidebar").get_by_role("combobox", name="Establecimiento").click()
        page.keyboard.type("Los Aromos")
        page.get_by_role("option", name="Escuela Los Aromos (RBD 90001)").click()
        wait_for_app(page)
        open_from_menu(page, "Presentar al consejo")
        wait_for_app(page)
        page.get_by_text("Modo proyector").click()
        wait_for_app(page)
        expect(page.get_by_test_id("stSidebar")).to_be_hidden()
        assert _slide(page)[0] == 1
        page.keyboard.press("ArrowRight")  # no click on the page first
        wait_for_app(page)
        expect(page.locator(".tablero-kicker")).to_contain_text(
            re.compile(r"· 2 de \d+", re.IGNORECASE)
        )
        number, total = _slide(page)
        assert number == 2
        page.keyboard.press("ArrowLeft")
        wait_for_app(page)
        assert _slide(page)[0] == 1
        main = page.get_by_test_id("stMain")
        for index in range(1, total + 1):
            page.wait_for_timeout(300)  # charts drawn
            height = main.evaluate("el => el.scrollHeight")
            kind = page.locator(".tablero-kicker").inner_text()
            assert height <= 1080, f"slide {index} ({kind}) is {height} px tall"
            if "ANTES" in kind.upper() or "IMPACTO" in kind.upper():
                screenshot(page, f"proyector_{index:02d}_1920x1080")
            if index < total:
                page.keyboard.press("ArrowRight")
                wait_for_app(page)
                assert _slide(page)[0] == index + 1
        assert page.locator("[data-testid='stException']").count() == 0
    finally:
        page.close()
