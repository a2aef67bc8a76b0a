"""Benchmark: build the national-scale store (``tablero demo --escala nacional``).

Builds the country-sized store of :mod:`tablero_demo.national` in a temporary directory, as a
separate process: through the real CLI (``tablero demo --escala nacional --db PATH``) when the
installed ``tablero`` offers it, else through ``build_national`` called in a child Python.
Prints the wall time, the child's peak RSS (``resource.getrusage(RUSAGE_CHILDREN)``), the size
of the ``.duckdb`` file and the rows per table, as plain text and a Markdown table. Only
measured numbers.

    .venv/bin/python bench/bench_demo.py [--escala 1.0] [--semilla 20231] [--conservar]

``--escala`` below 1 (a fraction of the country) always goes through the function: the CLI
builds the whole country only.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

_FUNCTION = (
    "import sys\n"
    "from metrics.store import open_store\n"
    "from tablero_demo.national import build_national\n"
    "store = open_store(sys.argv[1])\n"
    "build_national(store, int(sys.argv[2]), progress=lambda m: print(m, flush=True),\n"
    "               scale=float(sys.argv[3]))\n"
    "store.close()\n"
)


def _cli() -> Path | None:
    """The ``tablero`` script beside this Python, if its ``demo`` takes ``--escala nacional``."""
    exe = Path(sys.executable).parent / "tablero"
    if not exe.exists():
        return None
    probe = subprocess.run(
        [str(exe), "demo", "--ayuda"], capture_output=True, text=True, check=False
    )
    return exe if probe.returncode == 0 and "nacional" in probe.stdout else None


def _rows(db: Path) -> dict[str, int]:
    from metrics.store import DATA_TABLES, open_store

    with open_store(db) as store:
        return {
            table: int(store.query_df(f"SELECT count(*) FROM {table}").iloc[0, 0])
            for table in DATA_TABLES
        }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--escala", type=float, default=1.0, help="fracción del país (1.0)")
    parser.add_argument("--semilla", type=int, default=None, help="semilla (DEMO_SEED)")
    parser.add_argument(
        "--conservar", action="store_true", help="no borrar la base de datos al terminar"
    )
    args = parser.parse_args()
    if args.semilla is None:
        from metrics.config import DEMO_SEED

        args.semilla = DEMO_SEED
    work = Path(tempfile.mkdtemp(prefix="bench-demo-"))
    db = work / "nacional.duckdb"
    cli = _cli() if args.escala == 1.0 else None
    if cli is not None:
        cmd = [
            str(cli),
            "demo",
            "--escala",
            "nacional",
            "--db",
            str(db),
            "--semilla",
            str(args.semilla),
        ]
        how = "tablero demo --escala nacional"
    else:
        cmd = [sys.executable, "-c", _FUNCTION, str(db), str(args.semilla), str(args.escala)]
        how = "build_national (función)"
    print(f"Construyendo la base nacional (escala {args.escala}) con {how} en {db}…", flush=True)
    try:
        start = time.perf_counter()
        result = subprocess.run(cmd, check=False)
        elapsed = time.perf_counter() - start
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        if result.returncode:
            print(f"Falló ({result.returncode}): {' '.join(cmd[:4])}", file=sys.stderr)
            return 1
        size_mb = sum(p.stat().st_size for p in work.glob("nacional.duckdb*")) / 1_048_576
        rows = _rows(db)
    finally:
        if not args.conservar:
            shutil.rmtree(work, ignore_errors=True)
    total = sum(rows.values())
    print()
    print(f"Tiempo total: {elapsed:.1f} s")
    print(f"RSS máximo del proceso hijo: {peak_mb:.0f} MB")
    print(f"Tamaño del archivo .duckdb: {size_mb:.0f} MB")
    print(f"Filas en total: {total:,}".replace(",", "."))
    print()
    print("| medida | valor |")
    print("|---|---:|")
    print(f"| vía | {how} |")
    print(f"| escala | {args.escala} |")
    print(f"| tiempo (s) | {elapsed:.1f} |")
    print(f"| RSS máx. (MB) | {peak_mb:.0f} |")
    print(f"| archivo .duckdb (MB) | {size_mb:.0f} |")
    print(f"| CPU | {os.cpu_count()} |")
    print()
    print("| tabla | filas |")
    print("|---|---:|")
    for table, n in rows.items():
        print(f"| {table} | {n:,} |")
    print(f"| **total** | **{total:,}** |")
    if args.conservar:
        print(f"\nBase de datos conservada en {db}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
