"""What sharing the store with the command line costs (README, "La línea de comandos y el
tablero comparten la base").

- A warm page view (AppTest rerun of a page whose results are cached) with the app's store as
  it runs now (it lets go of the file when idle, a counted cursor per query) against a store
  that holds the file for good (as before): medians and their ratio.
- A page view right after the app let go of the file (idle): the cost of opening it again.
- 16 `tablero info` and 16 `tablero indicadores` at once on the same file: wall time and
  failures (none allowed).

Run: ``python bench/bench_shared_store.py [--repeticiones N]``.
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
PAGE = "pages/impacto.py"


def _app(db: Path, release_when_idle: bool):  # type: ignore[no-untyped-def]
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    import metrics.ui as ui
    from metrics.store import open_store

    st.cache_data.clear()
    st.cache_resource.clear()
    ui.clear_caches()
    ui.open_store = lambda path, **kw: open_store(path, release_when_idle=release_when_idle)  # type: ignore[assignment]
    os.environ["TABLERO_DB"] = str(db)
    os.environ["TABLERO_DEMO"] = "1"
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600)
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    return at


def _warm_views(db: Path, release_when_idle: bool, n: int) -> list[float]:
    at = _app(db, release_when_idle)
    times = []
    for _ in range(n):
        start = time.perf_counter()
        at.run()
        times.append(time.perf_counter() - start)
        assert not at.exception, at.exception
    return times


def _views_after_idle(db: Path, n: int) -> list[float]:
    from metrics.store.core import IDLE_SECONDS

    at = _app(db, True)
    times = []
    for _ in range(n):
        time.sleep(IDLE_SECONDS + 0.5)  # the app closes the file
        start = time.perf_counter()
        at.run()
        times.append(time.perf_counter() - start)
    return times


def _parallel(db: Path, command: list[str], n: int = 16) -> tuple[float, int]:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    start = time.perf_counter()
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "metrics.cli", *command, "--db", str(db)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
        )
        for _ in range(n)
    ]
    failed = sum(p.wait() != 0 for p in procs)
    return time.perf_counter() - start, failed


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeticiones", type=int, default=15)
    args = parser.parse_args()
    n = args.repeticiones
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "demo.duckdb"
        subprocess.run(
            [sys.executable, "-m", "metrics.cli", "demo", "--db", str(db)],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        # Alternate the two, so that the machine's other load falls on both alike.
        held: list[float] = []
        idle: list[float] = []
        for _ in range(3):
            held += _warm_views(db, False, n)
            idle += _warm_views(db, True, n)
        h, i = statistics.median(held), statistics.median(idle)
        print(f"Impacto, vista con cachés calientes ({len(held)} de cada una, mediana):")
        print(f"  base retenida (antes):          {h * 1000:.0f} ms")
        print(f"  base soltada al quedar ociosa:  {i * 1000:.0f} ms  (razón {i / h:.2f})")
        reopen = statistics.median(_views_after_idle(db, 5))
        print(f"  tras soltar la base (la reabre): {reopen * 1000:.0f} ms")
        for command in (["info"], ["indicadores", "--formato", "csv"]):
            wall, failed = _parallel(db, command)
            print(f"16 × tablero {' '.join(command)} a la vez: {wall:.1f} s, {failed} fallidos")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
