"""`tablero servir` from the built wheel, installed into a fresh virtual environment outside the
checkout from requirements.lock (``--require-hashes``, as the README says): every package
installed is one the lock names, at its version; the dashboard answers and shows its home page
in Chromium. Slow (minutes: it installs every dependency); it says how long each step took."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ROOT, _free_port, screenshot, wait_for_app

pytestmark = [pytest.mark.browser, pytest.mark.install]


def _run(args: list[str], **kw: object) -> float:
    start = time.monotonic()
    subprocess.run(args, check=True, timeout=1800, **kw)  # type: ignore[call-overload]
    return time.monotonic() - start


def _pins(text: str) -> set[str]:
    """``name==version`` of each line of a freeze or a lock (names normalised, no markers)."""
    pins = set()
    for line in text.splitlines():
        if "==" in line and not line.startswith((" ", "#")):
            name, version = line.split(";")[0].rstrip(" \\").split("==")
            pins.add(f"{name.strip().lower().replace('_', '-')}=={version.strip()}")
    return pins


def test_servir_from_the_installed_wheel(
    browser: object, tmp_path_factory: pytest.TempPathFactory
) -> None:
    work = tmp_path_factory.mktemp("instalacion")
    assert ROOT not in work.parents
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    dist, venv, home = work / "dist", work / "venv", work / "sitio"
    home.mkdir()
    # Built from a clean copy of the sources: a build/ folder left in the checkout would ship
    # modules deleted since.
    source = work / "fuente"
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info", "*.pyc")
    for name in ("src", "pages", ".streamlit"):
        shutil.copytree(ROOT / name, source / name, ignore=ignore)
    for name in ("app.py", "setup.py", "pyproject.toml", "MANIFEST.in", "README.md"):
        shutil.copy2(ROOT / name, source / name)
    times = {
        "wheel": _run(
            [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(source)],
            env=env,
        )
    }
    wheel = next(dist.glob("tablero_dpd-*.whl"))
    base = getattr(sys, "_base_executable", sys.executable)
    times["venv"] = _run([base, "-m", "venv", str(venv)], env=env)
    bindir = venv / ("Scripts" if os.name == "nt" else "bin")
    pip = [str(bindir / "python"), "-m", "pip", "install", "-q"]
    # As the README says: every dependency from the lock, each file checked against its hash,
    # then the wheel alone (it has no hash in the lock: it was just built).
    times["pip install"] = _run(
        [*pip, "--require-hashes", "-r", str(ROOT / "requirements.lock")], env=env
    ) + _run([*pip, "--no-deps", str(wheel)], env=env)
    frozen = subprocess.run(
        [str(bindir / "python"), "-m", "pip", "freeze", "--exclude-editable"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    installed = {pin for pin in _pins(frozen) if not pin.startswith("tablero-dpd==")}
    assert installed <= _pins((ROOT / "requirements.lock").read_text())
    where = subprocess.run(
        [str(bindir / "python"), "-c", "import metrics; print(metrics.__file__)"],
        cwd=home,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert Path(where).is_relative_to(venv)  # the installed package, not the checkout
    assert (Path(where).parent / "_app" / "pages" / "impacto.py").is_file()

    port = _free_port()
    db = home / "tablero.duckdb"
    start = time.monotonic()
    server = subprocess.Popen(
        [
            str(bindir / "tablero"),
            "servir",
            "--demo",
            "--db",
            str(db),
            "--puerto",
            str(port),
            "--direccion",
            "127.0.0.1",
        ],
        cwd=home,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 300
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as resp:
                    if resp.status == 200:
                        break
            except OSError:
                assert server.poll() is None, server.stderr.read() if server.stderr else ""
                assert time.monotonic() < deadline, "tablero servir no respondió en 300 s"
                time.sleep(0.5)
        times["servir (demo incluida)"] = time.monotonic() - start
        page = browser.new_page(viewport={"width": 1366, "height": 900})  # type: ignore[attr-defined]
        try:
            page.goto(url)
            wait_for_app(page)
            expect(page.get_by_test_id("stMetric").first).to_be_visible(timeout=60_000)
            expect(page.get_by_role("heading", level=1).first).to_be_visible()
            screenshot(page, "servir_desde_la_rueda")
        finally:
            page.close()
        assert db.is_file()
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(venv, ignore_errors=True)
    print("Tiempos: " + ", ".join(f"{k} {v:.0f} s" for k, v in times.items()))
