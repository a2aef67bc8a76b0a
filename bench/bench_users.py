"""How many people one server holds: N Chromium sessions at once move through the pages of a
real `streamlit run` server on the demo store while `tablero importar` loads a file into the
same store (README, "Rendimiento").

For each N: p50 and p95 of a page view (navigation until the script stops running), the
server's CPU seconds per page view (from /proc), errors (exceptions drawn on a page, timeouts:
none allowed) and the server's memory (RSS) after the wave.

Run: ``python bench/bench_users.py [--sesiones 5,10] [--paginas 4]`` (Linux: it reads /proc;
needs /usr/bin/chromium).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PATHS = ["", "antes", "impacto", "resultados", "durante"]
CHROMIUM = os.environ.get("TABLERO_CHROMIUM", "/usr/bin/chromium")
SCHOOLS = "rbd;nombre;comuna\n" + "".join(
    f"{91000 + i};Escuela de medición {i};Puerto Aromo\n" for i in range(1, 41)
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def _session(browser, url: str, pages: int, times: list[float], errors: list[str]) -> None:  # type: ignore[no-untyped-def]
    context = await browser.new_context(viewport={"width": 1366, "height": 900})
    page = await context.new_page()
    try:
        for i in range(pages):
            path = PATHS[i % len(PATHS)]
            start = time.perf_counter()
            try:
                await page.goto(f"{url}/{path}", timeout=120_000)
                await page.wait_for_selector("h1", timeout=120_000)
                await page.wait_for_selector(
                    "[data-testid='stApp'][data-test-script-state='notRunning']", timeout=120_000
                )
            except Exception as exc:  # a timeout is an error of the server under load
                errors.append(f"{path}: {type(exc).__name__}")
                continue
            times.append(time.perf_counter() - start)
            if await page.locator("[data-testid='stException']").count():
                errors.append(f"{path}: excepción en la página")
    finally:
        await context.close()


async def _wave(url: str, n: int, pages: int) -> tuple[list[float], list[str]]:
    from playwright.async_api import async_playwright

    times: list[float] = []
    errors: list[str] = []
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            await asyncio.gather(*(_session(browser, url, pages, times, errors) for _ in range(n)))
        finally:
            await browser.close()
    return times, errors


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sesiones", default="5,10")
    parser.add_argument("--paginas", type=int, default=4)
    args = parser.parse_args()
    if not Path(CHROMIUM).exists() or not Path("/proc/self/stat").exists():
        print(f"Se omite: hace falta Linux (/proc) y Chromium en {CHROMIUM}.")
        return 0
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "demo.duckdb"
        subprocess.run(
            [sys.executable, "-m", "metrics.cli", "demo", "--db", str(db)],
            check=True,
            stdout=subprocess.DEVNULL,
            env=env,
        )
        port = _free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"),
             "--server.port", str(port), "--server.address", "127.0.0.1",
             "--server.headless", "true"],
            cwd=ROOT,
            env={**env, "TABLERO_DB": str(db), "TABLERO_DEMO": "1"},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        url = f"http://127.0.0.1:{port}"
        try:
            for _ in range(120):
                try:
                    urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).close()
                    break
                except OSError:
                    time.sleep(0.5)
            asyncio.run(_wave(url, 1, len(PATHS)))  # warm the caches once
            print("| sesiones | vistas | p50 (s) | p95 (s) | CPU del servidor por vista (s) "
                  "| errores | memoria del servidor (MB) | carga en paralelo |")  # fmt: skip
            print("|---:|---:|---:|---:|---:|---:|---:|---|")
            for n in [int(x) for x in args.sesiones.split(",")]:
                upload = Path(tmp) / f"establecimientos_{n}.csv"
                upload.write_text(SCHOOLS.replace("Escuela", f"Escuela {n}"), encoding="utf-8")
                cpu0 = _cpu_seconds(server.pid)
                importer = subprocess.Popen(
                    [sys.executable, "-m", "metrics.cli", "importar", str(upload), "--db", str(db)],
                    env=env,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.PIPE,
                    text=True,
                )
                times, errors = asyncio.run(_wave(url, n, args.paginas))
                _, import_err = importer.communicate(timeout=600)
                cpu = _cpu_seconds(server.pid) - cpu0
                rss = _rss_mb(server.pid)
                views = len(times)
                p95 = statistics.quantiles(times, n=20)[-1] if len(times) > 1 else float("nan")
                imported = "bien" if importer.returncode == 0 else f"falló: {import_err[-80:]}"
                print(
                    f"| {n} | {views} | {statistics.median(times):.1f} | {p95:.1f} | "
                    f"{cpu / max(views, 1):.2f} | {len(errors)} | {rss:.0f} | {imported} |"
                )
                if errors:
                    print("  errores: " + "; ".join(errors[:5]))
        finally:
            server.terminate()
            server.wait(timeout=30)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
