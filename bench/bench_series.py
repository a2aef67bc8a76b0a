"""Benchmark of the Agencia's results by series (SIMCE and IDPS, `metrics.engine.series`).

Builds (once, cached under bench/out/) a store from the Agencia's real files beside the project
(``../shared/data/agencia``: SIMCE 4° básico 2023 and 2024, IDPS 4° básico 2023 and 2024, about
57.000 school × series rows a year with the directory's territories when it is there) and
measures, as medians:

- **one school**: ``compute_series(store, Scope.all(), rbds=[20181])`` — what Impacto and Inicio
  ask for one school chosen among all (its series and its territories');
- **all schools**: ``compute_series(store, Scope.all(), alcance="establecimiento")``;
- the **reference**, in the same run: ``compute_indicators(store, Scope.all(), rbds=[20181],
  mensual=False)``, the catalogue's rows for the same school, which a page computes anyway.

Prints a Markdown table with each median and its ratio to the reference. Options:
``--repeticiones N``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from metrics.engine.indicators import compute_indicators, prepare_facts
from metrics.engine.series import compute_series
from metrics.formatting import format_number
from metrics.imports import import_file
from metrics.scope import Scope
from metrics.store import Store, open_store

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
DATA = HERE.parent.parent / "shared" / "data"
FILES = (
    "mineduc/directorio_oficial_ee_publico_2025.csv",
    "agencia/simce4b2023_rbd_final.xlsx",
    "agencia/simce4b2024_rbd_final.xlsx",
    "agencia/idps4b2023_rbd_final.xlsx",
    "agencia/idps4b2024_rbd_final.xlsx",
)
SCHOOL = 20181


def real_store() -> Path:
    """The store of the Agencia's files, built once."""
    path = OUT / "agencia_series.duckdb"
    if path.exists():
        return path
    missing = [f for f in FILES if not (DATA / f).exists()]
    if missing:
        sys.exit(f"bench_series: faltan los archivos reales: {', '.join(missing)}")
    OUT.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial.duckdb")
    partial.unlink(missing_ok=True)
    with open_store(partial) as store:
        for name in FILES:
            import_file(store, DATA / name, actor="bench")
        prepare_facts(store)
    partial.rename(path)
    for extra in (".key", ".audit"):
        side = partial.with_name(partial.name + extra)
        if side.exists():
            side.rename(path.with_name(path.name + extra))
    return path


def median_ms(run: Callable[[], object], repetitions: int) -> float:
    times = []
    for _ in range(repetitions):
        start = time.perf_counter()
        run()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def measure(store: Store, repetitions: int) -> list[tuple[str, float]]:
    everyone = Scope.all()
    reference = median_ms(
        lambda: compute_indicators(store, everyone, rbds=[SCHOOL], mensual=False), repetitions
    )
    one = median_ms(lambda: compute_series(store, everyone, rbds=[SCHOOL]), repetitions)
    every = median_ms(
        lambda: compute_series(store, everyone, alcance="establecimiento"), repetitions
    )
    return [
        ("referencia: compute_indicators, un establecimiento", reference),
        ("compute_series, un establecimiento (y sus territorios)", one),
        ("compute_series, todos los establecimientos", every),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeticiones", type=int, default=7)
    args = parser.parse_args(argv)
    with open_store(real_store()) as store:
        compute_series(store, Scope.all(), rbds=[SCHOOL])  # warm: first reads of the file
        rows = measure(store, args.repeticiones)
    reference = rows[0][1]
    print(f"| medición (mediana de {args.repeticiones}) | ms | × referencia |")
    print("|---|---|---|")
    for label, ms in rows:
        print(f"| {label} | {format_number(ms, 1)} | {format_number(ms / reference, 2)} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
