"""Sign-in in real Chromium, with demo mode off: a local account of one school signs in, sees
its school only, and a wrong password is refused in Spanish; an administrator reads the audit
log, where both attempts are."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect

from metrics.access import hash_password
from metrics.store import open_store
from metrics.store.users import save_user
from tests.browser.conftest import menu_entries, open_from_menu, screenshot, start_server

pytestmark = pytest.mark.browser

PASSWORD = "una-clave-bien-larga"


@pytest.fixture(scope="module")
def secured(demo_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    db = tmp_path_factory.mktemp("ingreso") / "demo.duckdb"
    shutil.copy(demo_db, db)
    with open_store(db) as store:
        hashed = hash_password(PASSWORD)
        save_user(
            store,
            email="dir@aromos.cl",
            name="Directora",
            role="directivo",
            password_hash=hashed,
            schools=[90001],
            territories=[],
        )
        save_user(
            store,
            email="admin@slep.cl",
            name="Admin",
            role="administrador",
            password_hash=hashed,
            schools=[],
            territories=[],
        )
    proc, url = start_server(db, demo=False)
    yield url
    proc.terminate()
    proc.wait(timeout=20)


def _sign_in(page: object, email: str, password: str) -> None:
    page.get_by_label("Correo electrónico").fill(email)  # type: ignore[attr-defined]
    page.get_by_label("Contraseña").fill(password)  # type: ignore[attr-defined]
    page.get_by_role("button", name="Ingresar").click()  # type: ignore[attr-defined]


def _settled(page: object) -> None:
    page.wait_for_selector(  # type: ignore[attr-defined]
        "[data-testid='stApp'][data-test-script-state='notRunning']", timeout=60_000
    )
    page.wait_for_timeout(500)  # type: ignore[attr-defined]


def test_sign_in_sees_own_school_and_audit(browser: object, secured: str) -> None:
    page = browser.new_page(viewport={"width": 1366, "height": 768})  # type: ignore[attr-defined]
    try:
        page.goto(secured)
        expect(page.get_by_label("Correo electrónico")).to_be_visible(timeout=60_000)
        screenshot(page, "ingreso")
        _sign_in(page, "dir@aromos.cl", "clave-equivocada")
        _settled(page)
        expect(page.get_by_test_id("stAlert").first).to_contain_text("incorrect")
        _sign_in(page, "dir@aromos.cl", PASSWORD)
        expect(page.get_by_role("heading", level=1).first).to_contain_text(
            "Escuela Los Aromos", timeout=60_000
        )
        _settled(page)
        assert page.get_by_text("Escuela Gabriela Mistral").count() == 0
        assert "Registro de auditoría" not in menu_entries(page)
        screenshot(page, "inicio_directivo")
    finally:
        page.close()
    admin = browser.new_page(viewport={"width": 1366, "height": 900})  # type: ignore[attr-defined]
    try:
        admin.goto(secured)
        expect(admin.get_by_label("Correo electrónico")).to_be_visible(timeout=60_000)
        _sign_in(admin, "admin@slep.cl", PASSWORD)
        expect(admin.get_by_role("heading", level=1).first).to_be_visible(timeout=60_000)
        _settled(admin)
        open_from_menu(admin, "Registro de auditoría")
        _settled(admin)
        expect(admin.get_by_role("heading", level=1).first).to_contain_text("auditoría")
        assert admin.locator("[data-testid='stException']").count() == 0
        screenshot(admin, "auditoria")
    finally:
        admin.close()
