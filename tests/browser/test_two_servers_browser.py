"""Several dashboard processes share one store (as behind Caddy with ``lb_policy cookie``): two
real `streamlit run` servers on the same file each draw a page while `tablero importar` loads
into it; the import succeeds, no page shows an error, and both servers show the new data
afterwards without a restart."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import (
    ADMIN,
    PASSWORD,
    ROOT,
    admin_copy,
    open_from_menu,
    screenshot,
    start_server,
    wait_for_app,
)

pytestmark = pytest.mark.browser

NEW_SCHOOLS = (
    "rbd;nombre;comuna\n"
    "91001;Escuela Nueva Esperanza;Puerto Aromo\n"
    "91002;Liceo Los Aromos;Puerto Aromo\n"
)


def _schools_card(page: object) -> object:
    return page.get_by_test_id("stMetric").filter(has_text="Establecimientos").first  # type: ignore[attr-defined]


def _no_error(page: object) -> None:
    assert page.get_by_test_id("stException").count() == 0  # type: ignore[attr-defined]
    assert page.get_by_test_id("stAlertContentError").count() == 0  # type: ignore[attr-defined]


def test_two_servers_on_one_store_while_an_import_runs(
    browser: object, demo_db: Path, tmp_path: Path
) -> None:
    db = admin_copy(demo_db, tmp_path)
    servers = [start_server(db, demo=False) for _ in range(2)]
    pages = []
    try:
        for _, url in servers:
            page = browser.new_page(viewport={"width": 1366, "height": 1000})  # type: ignore[attr-defined]
            pages.append(page)
            page.goto(url)
            expect(page.get_by_label("Correo electrónico")).to_be_visible(timeout=60_000)
            page.get_by_label("Correo electrónico").fill(ADMIN)
            page.get_by_label("Contraseña").fill(PASSWORD)
            page.get_by_role("button", name="Ingresar").click()
            wait_for_app(page)
            expect(_schools_card(page)).to_contain_text("12", timeout=30_000)  # type: ignore[arg-type]
            _no_error(page)

        upload = tmp_path / "establecimientos_nuevos.csv"
        upload.write_text(NEW_SCHOOLS, encoding="utf-8")
        importer = subprocess.Popen(
            [sys.executable, "-m", "metrics.cli", "importar", str(upload), "--db", str(db)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONPATH": str(ROOT / "src"), "TABLERO_ESPERA": "300"},
        )
        # Meanwhile each server draws a page that reads the store.
        for page in pages:
            open_from_menu(page, "Impacto")
            wait_for_app(page)
            expect(page.locator("h1")).to_contain_text("Impacto")
            _no_error(page)
        _, err = importer.communicate(timeout=600)
        assert importer.returncode == 0, err
        assert "en uso" not in err

        for i, page in enumerate(pages):
            open_from_menu(page, "Inicio")
            wait_for_app(page)
            expect(_schools_card(page)).to_contain_text("14", timeout=30_000)  # type: ignore[arg-type]
            _no_error(page)
            screenshot(page, f"dos_servidores_{i + 1}")
    finally:
        for page in pages:
            page.close()
        for proc, _ in servers:
            proc.terminate()
            proc.wait(timeout=30)
