"""Uploading a file in real Chromium: detected, validated, imported, then visible in the history."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import (
    ADMIN,
    PASSWORD,
    admin_copy,
    open_from_menu,
    screenshot,
    start_server,
    wait_for_app,
)

pytestmark = pytest.mark.browser

SCHOOLS = "rbd;nombre;comuna\n91001;Escuela Nueva Esperanza;Puerto Aromo\n"


@pytest.fixture(scope="module")
def own_server(demo_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    db = admin_copy(demo_db, tmp_path_factory.mktemp("subida"))
    proc, url = start_server(db, demo=False)
    yield url
    proc.terminate()
    proc.wait(timeout=20)


def test_upload_a_schools_file(browser: object, own_server: str, tmp_path: Path) -> None:
    upload = tmp_path / "establecimientos_nuevos.csv"
    upload.write_text(SCHOOLS, encoding="utf-8")
    page = browser.new_page(viewport={"width": 1366, "height": 1000})  # type: ignore[attr-defined]
    try:
        page.goto(own_server)
        expect(page.get_by_label("Correo electrónico")).to_be_visible(timeout=60_000)
        page.get_by_label("Correo electrónico").fill(ADMIN)
        page.get_by_label("Contraseña").fill(PASSWORD)
        page.get_by_role("button", name="Ingresar").click()
        expect(page.get_by_role("heading", level=1).first).to_be_visible(timeout=60_000)
        wait_for_app(page)
        open_from_menu(page, "Cargar datos")
        wait_for_app(page)
        page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(upload))
        expect(page.get_by_text("Tipo detectado:")).to_be_visible(timeout=30_000)
        button = page.get_by_role("button", name="Cargar 1 archivo")
        expect(button).to_be_visible()
        screenshot(page, "cargar_datos_validado")
        button.click()
        expect(page.get_by_text("Carga número", exact=False)).to_be_visible(timeout=30_000)
        assert page.locator("[data-testid='stException']").count() == 0
        screenshot(page, "cargar_datos_cargado")
        open_from_menu(page, "Historial de cargas")
        wait_for_app(page)
        expect(page.get_by_text("Historial de cargas").first).to_be_visible()
        screenshot(page, "historial_de_cargas")
    finally:
        page.close()
