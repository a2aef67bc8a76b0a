"""Page render times (AppTest, in-process, medians), on the demo store and the national one.

- Demo store: every page's first render (fresh caches) and a filter change (choose a school)
  on a warm page. Targets: first render ≤ 1.5 s, filter change ≤ 0.5 s.
- National store (``tablero demo --escala nacional``, built once into bench/out/ and reused):
  the first render of a page for one school. Target ≤ 3 s.

Run: ``python bench/bench_pages.py [--sin-nacional] [--repeticiones N]``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
PAGES = [
    "app.py",
    "pages/antes.py",
    "pages/durante.py",
    "pages/resultados.py",
    "pages/impacto.py",
    "pages/comunidades.py",
]


def _fresh_app(db: Path):  # type: ignore[no-untyped-def]
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    st.cache_data.clear()
    st.cache_resource.clear()
    os.environ["TABLERO_DB"] = str(db)
    os.environ["TABLERO_DEMO"] = "1"  # no sign-in: the demo mode `make run` uses
    return AppTest.from_file(str(ROOT / "app.py"), default_timeout=600)


def _first_render(db: Path, page: str, school: int | None) -> float:
    at = _fresh_app(db)
    start = time.perf_counter()
    at.run()
    if school is not None:
        at.sidebar.selectbox(key="f_school").select(school).run()
    if page != "app.py":
        at.switch_page(page).run()
    elapsed = time.perf_counter() - start
    assert not at.exception, f"{page}: {at.exception}"
    return elapsed


def _filter_change(db: Path, page: str, school: int) -> float:
    at = _fresh_app(db)
    at.run()
    if page != "app.py":
        at.switch_page(page).run()
    # Warm: the whole-scope indicators are cached after the first render.
    start = time.perf_counter()
    at.sidebar.selectbox(key="f_school").select(school).run()
    elapsed = time.perf_counter() - start
    assert not at.exception, f"{page}: {at.exception}"
    return elapsed


def _median(samples: list[float]) -> str:
    return f"{statistics.median(samples):.2f}"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sin-nacional", action="store_true")
    parser.add_argument("--repeticiones", type=int, default=3)
    args = parser.parse_args()
    n = args.repeticiones

    with tempfile.TemporaryDirectory() as tmp:
        demo = Path(tmp) / "demo.duckdb"
        subprocess.run(
            [sys.executable, "-m", "metrics.cli", "demo", "--db", str(demo)],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        print(f"Demo store: {demo.stat().st_size / 1e6:.1f} MB; {n} runs per cell (median).\n")
        print("| página | primer render (s) | cambio de filtro (s) |")
        print("|---|---:|---:|")
        for page in PAGES:
            first = [_first_render(demo, page, None) for _ in range(n)]
            change = [_filter_change(demo, page, 90001) for _ in range(n)]
            print(f"| {page} | {_median(first)} | {_median(change)} |", flush=True)

    if args.sin_nacional:
        return 0
    national = OUT / "nacional.duckdb"
    if not national.exists():
        OUT.mkdir(parents=True, exist_ok=True)
        print("\nBuilding the national store (once; reused from bench/out/)…", flush=True)
        subprocess.run(
            [
                sys.executable,
                "-m",
                "metrics.cli",
                "demo",
                "--escala",
                "nacional",
                "--db",
                str(national),
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    print(
        f"\nNational store: {national.stat().st_size / 1e6:.0f} MB; page of one school "
        f"(RBD 1), first render with fresh caches, {n} runs (median).\n"
    )
    print("| página | primer render (s) |")
    print("|---|---:|")
    for page in PAGES:
        first = [_first_render(national, page, 1) for _ in range(n)]
        print(f"| {page} | {_median(first)} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
