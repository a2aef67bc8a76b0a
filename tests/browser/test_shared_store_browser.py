"""The dashboard and the command line share one store: a real `streamlit run` server holds the
file, `tablero importar` waits for its turn and succeeds, and the open page shows the new data
without a restart; 16 readers at once all succeed beside it."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
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


def _tablero(*args: str, db: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "TABLERO_ESPERA": "120"}
    return subprocess.run(
        [sys.executable, "-m", "metrics.cli", *args, "--db", str(db)],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )


@pytest.fixture(scope="module")
def shared(demo_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    db = admin_copy(demo_db, tmp_path_factory.mktemp("compartida"))
    proc, url = start_server(db, demo=False)
    yield url, db
    proc.terminate()
    proc.wait(timeout=20)


def _schools_shown(page: object) -> str:
    card = page.get_by_test_id("stMetric").filter(has_text="Establecimientos")  # type: ignore[attr-defined]
    return str(card.first.get_by_test_id("stMetricValue").inner_text()).strip()


def test_an_import_from_the_command_line_beside_the_open_dashboard(
    browser: object, shared: tuple[str, Path], tmp_path: Path
) -> None:
    url, db = shared
    page = browser.new_page(viewport={"width": 1366, "height": 1000})  # type: ignore[attr-defined]
    try:
        page.goto(url)
        expect(page.get_by_label("Correo electrónico")).to_be_visible(timeout=60_000)
        page.get_by_label("Correo electrónico").fill(ADMIN)
        page.get_by_label("Contraseña").fill(PASSWORD)
        page.get_by_role("button", name="Ingresar").click()
        wait_for_app(page)
        before = _schools_shown(page)
        assert before == "12"  # the demo store's twelve schools

        upload = tmp_path / "establecimientos_nuevos.csv"
        upload.write_text(NEW_SCHOOLS, encoding="utf-8")
        started = time.monotonic()
        done = _tablero("importar", str(upload), db=db)
        took = time.monotonic() - started
        assert done.returncode == 0, done.stderr
        assert "en uso" not in done.stderr
        assert took < 60  # the app let go of the file when it was idle

        # The same browser session, without restarting anything: the next run sees 14.
        open_from_menu(page, "Inicio")
        wait_for_app(page)
        expect(
            page.get_by_test_id("stMetric").filter(has_text="Establecimientos").first
        ).to_contain_text("14", timeout=30_000)
        screenshot(page, "compartida_tras_importar")

        # Sixteen readers at once beside the open app: all succeed with the same answer.
        env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "TABLERO_ESPERA": "300"}
        readers = [
            subprocess.Popen(
                [sys.executable, "-m", "metrics.cli", "info", "--db", str(db)],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env=env,
            )
            for _ in range(16)
        ]
        page.reload()  # the app works while they read
        wait_for_app(page)
        outputs = [r.communicate(timeout=600) for r in readers]
        assert [r.returncode for r in readers] == [0] * 16, [e for _, e in outputs]
        assert all("Establecimientos: 14" in out for out, _ in outputs)
    finally:
        page.close()
