"""Benchmark of `tablero exportar-datos --formato parquet` (`make bench`).

On three stores — the demo, one built from the real public files in ``../shared/data`` (the
Mineduc directory and SLEP list, every SIMCE file of the Agencia, read as they are) and a
national-scale one (:func:`tablero_demo.national.build_national`, cached under bench/out/) — it
measures, in the same run and as medians of ``--repeticiones`` runs:

- **export**: :func:`metrics.store.parquet.export_parquet` of every table, in process, with the
  store opened read-only (the shared turn), to a new folder each time;
- **command**: the whole ``tablero exportar-datos`` process (Python start included);
- **reference**: DuckDB's own ``COPY <biggest table> TO '…' (FORMAT parquet)`` on a plain
  read-only connection, unpartitioned: the floor an export of that table alone could reach.

The three are interleaved, so the noise of a shared machine falls on all alike, and each is
given in wall seconds and in CPU seconds (DuckDB's threads and child processes included: less
sensitive to other load). Prints a Markdown table with the ratio export ÷ reference. Options:
``--escala 0.1``, ``--repeticiones 3``, ``--semilla 7``.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

from metrics.formatting import format_number
from metrics.scope import Scope
from metrics.store import open_store
from metrics.store.parquet import TABLES, export_parquet

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OUT = HERE / "out"
DATA = ROOT.parent / "shared" / "data"


def _tablero(*args: str) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    subprocess.run(
        [sys.executable, "-m", "metrics.cli", *args], check=True, env=env, capture_output=True
    )


def demo_store(work: Path) -> Path:
    path = work / "demo.duckdb"
    _tablero("demo", "--db", str(path))
    return path


def real_files_store(work: Path) -> Path:
    path = work / "oficial.duckdb"
    files = [DATA / "mineduc" / "directorio_oficial_ee_publico_2025.csv"]
    files += [DATA / "mineduc" / "listado_slep_2026.xlsx"]
    files += sorted((DATA / "agencia").glob("simce*_rbd_*.xlsx"))
    _tablero("importar", "--db", str(path), *map(str, files))
    return path


def _biggest(db: Path) -> tuple[str, int]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        counts = {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}  # type: ignore[index]
    finally:
        con.close()
    table = max(counts, key=lambda t: counts[t])
    return table, int(counts[table])


def _cpu() -> float:
    """CPU seconds of this process (DuckDB's threads included) and of its finished children."""
    me, kids = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def _timed(fn: object) -> tuple[float, float]:
    """Wall and CPU seconds of one call."""
    wall, cpu = time.perf_counter(), _cpu()
    fn()  # type: ignore[operator]
    return time.perf_counter() - wall, _cpu() - cpu


def measure(name: str, db: Path, work: Path, repeat: int) -> dict[str, object]:
    _tablero("indicadores", "--db", str(db), "--indicador", "tasa_reprobacion", "--formato", "csv")
    table, rows = _biggest(db)
    n = {"i": 0}

    def target() -> Path:
        n["i"] += 1
        return work / f"{name}-{n['i']}"

    def export() -> None:
        with open_store(db, read_only=True) as store:
            export_parquet(store, target(), Scope.all())

    def command() -> None:
        _tablero("exportar-datos", "--formato", "parquet", "--destino", str(target()), "--db",
                 str(db))  # fmt: skip

    def reference() -> None:
        con = duckdb.connect(str(db), read_only=True)
        try:
            out = str(target()) + ".parquet"
            con.execute(f"COPY {table} TO '{out}' (FORMAT parquet)")
        finally:
            con.close()

    # Interleaved, so that the machine's noise falls on all three alike.
    runs: dict[str, list[float]] = {}
    for _ in range(repeat):
        for key, fn in (("export", export), ("command", command), ("reference", reference)):
            wall, cpu = _timed(fn)
            runs.setdefault(key, []).append(wall)
            runs.setdefault(f"{key}_cpu", []).append(cpu)
    with open_store(db, read_only=True) as store:
        total = sum(store.info(Scope.all()).rows.values())
    last = work / f"{name}-{n['i'] - 1}"  # the last command's export
    size = sum(f.stat().st_size for f in last.rglob("*.parquet"))
    return {
        "store": name,
        "rows": total,
        "size": size,
        "biggest": f"{table} ({format_number(rows)})",
        **{k: statistics.median(v) for k, v in runs.items()},
    }


def _pair(r: dict[str, object], key: str) -> str:
    return f"{format_number(r[key], 2)} ({format_number(r[key + '_cpu'], 2)})"  # type: ignore[arg-type]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--escala", type=float, default=0.1)
    parser.add_argument("--repeticiones", type=int, default=3)
    parser.add_argument("--semilla", type=int, default=7)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-export-"))
    try:
        stores = [("demostración", demo_store(work)), ("archivos reales", real_files_store(work))]
        if args.escala > 0:
            sys.path.insert(0, str(HERE))
            from bench_indicators import national_store

            stores.append((f"nacional {args.escala:g}", national_store(args.escala, args.semilla)))
        print(
            "| base | filas de datos | tabla más grande | exportar: pared (CPU), s | comando "
            "completo: pared (CPU), s | COPY de DuckDB de la tabla más grande: pared (CPU), s | "
            "razón pared (CPU) | Parquet |"
        )
        print("|---|---:|---|---:|---:|---:|---:|---:|")
        for name, db in stores:
            r = measure(name.split()[0], db, work, args.repeticiones)
            ratio = float(r["export"]) / float(r["reference"])  # type: ignore[arg-type]
            ratio_cpu = float(r["export_cpu"]) / float(r["reference_cpu"])  # type: ignore[arg-type]
            print(
                f"| {name} | {format_number(r['rows'])} | {r['biggest']} | {_pair(r, 'export')} | "
                f"{_pair(r, 'command')} | {_pair(r, 'reference')} | {format_number(ratio, 1)}× "
                f"({format_number(ratio_cpu, 1)}×) | "
                f"{format_number(int(r['size']) / 1_048_576, 1)} MB |",
                flush=True,
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
