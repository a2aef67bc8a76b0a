"""Page render times (AppTest, in-process, medians), on the demo store and the national one.

- Demo store: every page's first render (fresh caches) and a filter change (choose a school)
  on a warm page. Targets: first render ≤ 1.5 s, filter change ≤ 0.5 s.
- National store (``tablero demo --escala nacional``, built once into bench/out/ and reused):
  the first render of a page for one school (target ≤ 3 s), by its leadership team (an account
  that sees that school only) and by a national supervisor who opens Inicio over every school,
  chooses the school there, then opens the page (each step timed apart).

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


def _fresh_app(db: Path, user: str | None = None):  # type: ignore[no-untyped-def]
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from metrics.ui import clear_caches

    st.cache_data.clear()
    st.cache_resource.clear()
    clear_caches()
    os.environ["TABLERO_DB"] = str(db)
    if user is None:
        os.environ["TABLERO_DEMO"] = "1"  # no sign-in, every school: the demo mode of `make run`
    else:
        os.environ.pop("TABLERO_DEMO", None)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600)
    if user is not None:
        from metrics.ui.auth import sign_in_for_tests

        for key, value in sign_in_for_tests(user).items():
            at.session_state[key] = value
    return at


def _school_user(db: Path, rbd: int) -> str:
    """An account of the leadership team of school ``rbd`` in the store at ``db``."""
    from metrics.access import hash_password
    from metrics.store import open_store
    from metrics.store.users import save_user

    email = f"equipo{rbd}@bench.cl"
    with open_store(db) as store:
        save_user(
            store,
            email=email,
            name=f"Equipo directivo {rbd}",
            role="directivo",
            password_hash=hash_password("clave-de-medicion-123"),
            schools=[rbd],
        )
    return email


def _first_render(db: Path, page: str, user: str | None = None) -> float:
    at = _fresh_app(db, user)
    start = time.perf_counter()
    at.run()
    if page != "app.py":
        at.switch_page(page).run()
    elapsed = time.perf_counter() - start
    assert not at.exception, f"{page}: {at.exception}"
    return elapsed


def _supervisor(db: Path, page: str, school: int) -> tuple[float, float, float]:
    """A national supervisor's path, fresh caches: Inicio over every school, then a school
    chosen (Inicio again, for that school), then the page opened. The three times."""
    at = _fresh_app(db)
    times = []
    start = time.perf_counter()
    at.run()
    times.append(time.perf_counter() - start)
    start = time.perf_counter()
    at.sidebar.selectbox(key="f_school").select(school).run()
    times.append(time.perf_counter() - start)
    start = time.perf_counter()
    if page != "app.py":
        at.switch_page(page).run()
    times.append(time.perf_counter() - start)
    assert not at.exception, f"{page}: {at.exception}"
    return times[0], times[1], times[2]


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
            first = [_first_render(demo, page) for _ in range(n)]
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
    user = _school_user(national, 1)
    from metrics.engine.indicators import prepare_facts
    from metrics.store import open_store

    with open_store(national) as store:
        rebuilt = prepare_facts(store)  # `tablero demo` leaves it prepared; an older store not
    if rebuilt is not None:
        print(f"(hechos de los indicadores preparados en {rebuilt:.1f} s)")
    print(
        f"\nNational store: {national.stat().st_size / 1e6:.0f} MB; first render of each page "
        f"with fresh caches, {n} runs (median). Leadership team: an account that sees school "
        "1 only. National supervisor: sees every school; opens Inicio for all of them, chooses "
        "school 1 there (Inicio for that school), then opens the page; each step timed apart.\n"
    )
    print(
        "| página | equipo directivo de un establecimiento (s) "
        "| supervisor nacional: abre la página del establecimiento elegido (s) |"
    )
    print("|---|---:|---:|")
    every: list[float] = []
    chosen: list[float] = []
    for page in PAGES:
        team = [_first_render(national, page, user) for _ in range(n)]
        paths = [_supervisor(national, page, 1) for _ in range(n)]
        every += [p[0] for p in paths]
        chosen += [p[1] for p in paths]
        opened = [p[1] if page == "app.py" else p[2] for p in paths]
        print(f"| {page} | {_median(team)} | {_median(opened)} |", flush=True)
    print(
        f"\nSupervisor nacional, medianas de {len(every)}: Inicio con todos los "
        f"establecimientos {_median(every)} s; elegir el establecimiento en Inicio "
        f"{_median(chosen)} s (la fila app.py)."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
