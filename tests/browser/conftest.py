"""Real Chromium against a real `streamlit run` server on a store built for the session.

Playwright cannot download a browser here: it drives Debian's /usr/bin/chromium. Outside CI a
machine without it skips these tests; in CI (``CI=true``) a missing browser is a failure.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from metrics.access import hash_password
from metrics.store import open_store
from metrics.store.users import save_user

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM = os.environ.get("TABLERO_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def chromium_path() -> str:
    if not (Path(CHROMIUM).exists() or shutil.which("chromium")):
        if os.environ.get("CI"):
            pytest.fail("CI sin Chromium: .ci/run debe instalar el paquete 'chromium'.")
        pytest.skip("Chromium no está instalado (apt-get install chromium)")
    return CHROMIUM if Path(CHROMIUM).exists() else str(shutil.which("chromium"))


ADMIN, PASSWORD = "admin@slep.cl", "una-clave-bien-larga"
"""The administrator of the stores that :func:`admin_copy` makes."""


def admin_copy(demo_db: Path, folder: Path) -> Path:
    """A copy of the demo store in ``folder`` with an administrator account: signed in, not in
    demo mode (once a real file is loaded, demo mode no longer opens the store)."""
    db = folder / "tablero.duckdb"
    db.write_bytes(demo_db.read_bytes())
    with open_store(db) as store:
        save_user(
            store,
            email=ADMIN,
            name="Admin",
            role="administrador",
            password_hash=hash_password(PASSWORD),
        )
    return db


def start_server(db: Path, demo: bool = True) -> tuple[subprocess.Popen[bytes], str]:
    """Start `streamlit run app.py` on a free port over ``db``; wait until it answers.

    ``demo``: demo mode (no sign-in); without it the app asks who you are.
    """
    port = _free_port()
    env = {**os.environ, "TABLERO_DB": str(db), "TABLERO_DEMO": "1"}
    if not demo:
        env.pop("TABLERO_DEMO")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            str(ROOT / "app.py"),
            "--server.port",
            str(port),
            "--server.address",
            "127.0.0.1",
            "--server.headless",
            "true",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as resp:
                if resp.status == 200:
                    return proc, url
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise RuntimeError("El servidor de Streamlit no respondió en 60 s")


@pytest.fixture(scope="session")
def browser(chromium_path: str) -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


def wait_for_app(page: object) -> None:
    """Wait until Streamlit has finished running the script."""
    # Before the first run starts the state is already "notRunning": wait for a title too.
    page.wait_for_selector("h1", timeout=60_000)  # type: ignore[attr-defined]
    page.wait_for_selector(  # type: ignore[attr-defined]
        "[data-testid='stApp'][data-test-script-state='notRunning']", timeout=60_000
    )
    page.wait_for_timeout(500)  # type: ignore[attr-defined]


MENU_SECTIONS = ("Evaluación", "Datos")
"""The sections of the app's top menu (``st.navigation(..., position="top")``)."""


def menu_entries(page: object) -> list[str]:
    """Every page the top menu offers, its sections opened one at a time."""
    nav = page.get_by_test_id("stTopNav")  # type: ignore[attr-defined]
    titles = [t.strip() for t in nav.get_by_test_id("stTopNavLink").all_inner_texts()]
    for section in MENU_SECTIONS:
        button = nav.get_by_test_id("stTopNavSection").filter(has_text=section)
        if button.count() == 0:
            continue
        button.click()
        links = page.get_by_test_id("stTopNavPopover").get_by_test_id("stTopNavDropdownLink")  # type: ignore[attr-defined]
        links.first.wait_for()
        titles += [t.strip() for t in links.all_inner_texts()]
        page.keyboard.press("Escape")  # type: ignore[attr-defined]
    return titles


def open_from_menu(page: object, title: str) -> None:
    """Go to the page ``title`` through the app's top menu, as a person would."""
    nav = page.get_by_test_id("stTopNav")  # type: ignore[attr-defined]
    direct = nav.get_by_test_id("stTopNavLink").filter(has_text=title)
    if direct.count():
        direct.first.click()
        return
    for section in MENU_SECTIONS:
        nav.get_by_test_id("stTopNavSection").filter(has_text=section).click()
        link = page.get_by_test_id("stTopNavPopover").get_by_test_id("stTopNavDropdownLink")  # type: ignore[attr-defined]
        link.first.wait_for()
        wanted = link.filter(has_text=title)
        if wanted.count():
            wanted.first.click()
            return
        page.keyboard.press("Escape")  # type: ignore[attr-defined]
    raise AssertionError(f"«{title}» no está en el menú")


def screenshot(page: object, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)  # type: ignore[attr-defined]
    return path


@pytest.fixture(scope="session")
def server(
    demo_db: Path, browser: object, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A `streamlit run` server over a copy of the demo store, warmed up by one visit.

    A copy, because DuckDB lets one process hold a file: AppTests in this pytest process keep
    the session's demo store open.
    """
    db = tmp_path_factory.mktemp("servidor") / "demo.duckdb"
    db.write_bytes(demo_db.read_bytes())
    proc, url = start_server(db)
    page = browser.new_page()  # type: ignore[attr-defined]
    page.goto(url)
    wait_for_app(page)
    page.close()
    yield url
    proc.terminate()
    proc.wait(timeout=20)
