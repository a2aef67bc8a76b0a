"""Text is text in real Chromium: a school and communities named with Markdown, a Streamlit
directive, an external image, HTML, a link and LaTeX are shown as those characters; the browser
fetches nothing, links nowhere and colours nothing."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect

from metrics.store import open_store
from tablero_demo.demo import CASE_SCHOOL_RBD
from tests.browser.conftest import screenshot, start_server, wait_for_app

pytestmark = pytest.mark.browser

EVIL = "**x** :red[y] ![i](http://example.com/a.png) <img src=x> [l](http://evil.example) $k$"


@pytest.fixture(scope="module")
def evil_server(demo_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    db = tmp_path_factory.mktemp("evil_browser") / "evil.duckdb"
    shutil.copy(demo_db, db)
    with open_store(db) as store, store.transaction() as cur:
        cur.execute("UPDATE school SET name = ? WHERE rbd = ?", [EVIL, CASE_SCHOOL_RBD])
        cur.execute("UPDATE community SET name = ? || ' ' || id", [EVIL])
    proc, url = start_server(db)
    yield url
    proc.terminate()
    proc.wait(timeout=20)


def test_names_are_shown_as_text(browser: object, evil_server: str) -> None:
    page = browser.new_page(viewport={"width": 1366, "height": 900})  # type: ignore[attr-defined]
    requested: list[str] = []
    page.on("request", lambda r: requested.append(r.url))
    try:
        page.goto(evil_server)  # a fresh server's first request runs the entry point
        wait_for_app(page)
        page.goto(f"{evil_server}/resultados")
        wait_for_app(page)
        page.get_by_test_id("stSidebar").get_by_role("combobox", name="Establecimiento").click()
        page.keyboard.type(f"RBD {CASE_SCHOOL_RBD}")
        page.keyboard.press("Enter")
        wait_for_app(page)
        screenshot(page, "texto_es_texto")
        main = page.get_by_test_id("stMain")
        title = page.get_by_role("heading", level=1).first
        expect(title).to_be_visible()
        shown = main.inner_text().replace("\u2060", "")
        assert f"Resultados — comunidades de práctica — {EVIL}, " in title.inner_text().replace(
            "\u2060", ""
        )
        assert f"{EVIL} com-{CASE_SCHOOL_RBD}-" in shown  # a headline names a community
        assert main.locator("img[src*='example.com'], img[src='x']").count() == 0
        # (a heading's own «#…» anchor may spell the name; a link elsewhere may not)
        assert main.locator("a:not([href^='#'])[href*='evil']").count() == 0
        assert main.locator("a:not([href^='#'])[href*='example.com']").count() == 0
        assert main.locator("strong:text-is('x'), .katex").count() == 0
        assert main.locator(".stMarkdownColoredText, .stMarkdownColoredBackground").count() == 0
        assert not [u for u in requested if "example.com" in u or u[-2:] == "/x"]
    finally:
        page.close()
