"""Benchmark: `tablero importar` of a national-layout Rendimiento file vs DuckDB's own read_csv.

Generates synthetic *Rendimiento por estudiante* files (37 columns, `;`, decimal comma, CRLF,
UTF-8) of 100,000 and 1,000,000 rows, then times, as whole processes and on a fresh database
file each time (median of 3):

* ``tablero importar FILE`` (detection, staging, validation, pseudonymisation, write);
* a Python process that runs ``CREATE TABLE t AS SELECT * FROM read_csv(FILE, ...)``.

Prints a Markdown table with the medians, the ratio (target ≤ 1.5× at 1,000,000 rows) and the
peak RSS of each process (``os.wait4`` rusage of that child). Only measured numbers.

    .venv/bin/python bench/bench_import.py [--rows 100000 1000000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HEADER = (
    "AGNO;RBD;DGV_RBD;NOM_RBD;COD_REG_RBD;NOM_REG_RBD_A;COD_PRO_RBD;COD_COM_RBD;NOM_COM_RBD;"
    "COD_DEPROV_RBD;NOM_DEPROV_RBD;COD_DEPE;COD_DEPE2;RURAL_RBD;ESTADO_ESTAB;COD_ENSE;"
    "COD_ENSE2;COD_GRADO;LET_CUR;COD_JOR;COD_TIP_CUR;COD_DES_CUR;MRUN;GEN_ALU;FEC_NAC_ALU;"
    "EDAD_ALU;COD_REG_ALU;COD_COM_ALU;NOM_COM_ALU;COD_RAMA;COD_SEC;COD_ESPE;PROM_GRAL;"
    "ASISTENCIA;SIT_FIN;SIT_FIN_R;COD_MEN"
)


def _dv(body: int) -> str:
    total = sum(int(d) * (2 + i % 6) for i, d in enumerate(reversed(str(body))))
    rest = 11 - total % 11
    return {11: "0", 10: "K"}.get(rest, str(rest))


def generate(path: Path, rows: int, seed: int = 7) -> None:
    """A synthetic national-layout file: ~40 students per course, ~12 courses per school."""
    rng = random.Random(seed)
    communes = [(13101 + i, f"COMUNA {i}", 131 + i % 6, 13) for i in range(40)]
    with path.open("w", encoding="utf-8", newline="") as fh:
        fh.write(HEADER + "\r\n")
        written = 0
        rbd = 1000
        mrun = 1_000_000
        while written < rows:
            rbd += 1
            com, nom_com, deprov, reg = communes[rbd % len(communes)]
            school = (
                f"2024;{rbd};{_dv(rbd)};ESCUELA SINTETICA {rbd};{reg};RM;131;{com};{nom_com};"
                f"{deprov};DEPROV {deprov};2;1;0;1;"
            )
            for grade in range(1, 9):
                for letter in "AB":
                    head = f"{school}110;2;{grade};{letter};1;0;0;"
                    lines = []
                    for _ in range(40):
                        mrun += 1
                        r = rng.random()
                        if r < 0.03:
                            sit, sitr, prom = "Y", "Y", "0"
                        elif r < 0.05:
                            sit, sitr, prom = "Y", "T", "0"
                        elif r < 0.09:
                            sit, sitr, prom = "R", "R", f"{rng.randint(20, 39) / 10:.1f}"
                        else:
                            sit, sitr, prom = "P", "P", f"{rng.randint(40, 70) / 10:.1f}"
                        asis = rng.randint(600, 1000) / 10
                        lines.append(
                            f"{head}{mrun};{1 + mrun % 2};2015-0{1 + grade % 9}-01;{6 + grade};"
                            f"{reg};{com};{nom_com};0;0;0;{prom.replace('.', ',')};"
                            f"{str(asis).replace('.', ',')};{sit};{sitr};0\r\n"
                        )
                        written += 1
                        if written >= rows:
                            break
                    fh.write("".join(lines))
                    if written >= rows:
                        return


def _run(cmd: list[str], env: dict[str, str]) -> tuple[float, int, int]:
    """(seconds, peak RSS in KiB, exit code) of one child process."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        err = proc.stderr.read().decode() if proc.stderr else ""
        raise SystemExit(f"falló {' '.join(cmd[:3])}…: {err[-2000:]}")
    return elapsed, int(usage.ru_maxrss), proc.returncode


_IMPORT = (
    "import sys\n"
    "import metrics.cli.common as c\n"
    "if 'importar' not in c.COMMAND_MODULES:\n"
    "    c.COMMAND_MODULES = (*c.COMMAND_MODULES, 'importar')\n"
    "from metrics.cli import main\n"
    "sys.exit(main(sys.argv[1:]))\n"
)
_DUCKDB = (
    "import sys, duckdb\n"
    "con = duckdb.connect(sys.argv[2])\n"
    'con.execute("SET enable_progress_bar = false")\n'
    "con.execute(\"CREATE TABLE t AS SELECT * FROM read_csv(?, delim=';', header=true, "
    "decimal_separator=',')\", [sys.argv[1]])\n"
    "con.close()\n"
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-import-"))
    env = dict(os.environ, TABLERO_KEY="ab" * 32)
    py = sys.executable
    results = []
    try:
        for rows in args.rows:
            csv_path = work / f"rendimiento_{rows}.csv"
            t0 = time.perf_counter()
            generate(csv_path, rows)
            gen = time.perf_counter() - t0
            size_mb = csv_path.stat().st_size / 1_048_576
            print(f"Generado {csv_path.name}: {size_mb:.0f} MB en {gen:.1f} s", flush=True)
            ours, theirs = [], []
            for i in range(args.repeat):
                db = work / f"imp_{rows}_{i}.duckdb"
                ours.append(
                    _run(
                        [
                            py,
                            "-c",
                            _IMPORT,
                            "importar",
                            str(csv_path),
                            "--db",
                            str(db),
                            "--actor",
                            "bench",
                        ],
                        env,
                    )
                )
                db2 = work / f"raw_{rows}_{i}.duckdb"
                theirs.append(_run([py, "-c", _DUCKDB, str(csv_path), str(db2)], env))
                for p in work.glob("*.duckdb*"):
                    p.unlink()
            print(
                "  ejecuciones (importar / read_csv, s): "
                + ", ".join(f"{a[0]:.2f} / {b[0]:.2f}" for a, b in zip(ours, theirs, strict=True)),
                flush=True,
            )
            t_ours = statistics.median(r[0] for r in ours)
            t_theirs = statistics.median(r[0] for r in theirs)
            results.append(
                (
                    rows,
                    size_mb,
                    t_ours,
                    t_theirs,
                    t_ours / t_theirs,
                    max(r[1] for r in ours) / 1024,
                    max(r[1] for r in theirs) / 1024,
                )
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print()
    print(
        "| filas | MB | tablero importar (s) | DuckDB read_csv (s) | razón | "
        "RSS máx. importar (MB) | RSS máx. read_csv (MB) |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for rows, mb, a, b, ratio, ra, rb in results:
        print(f"| {rows:,} | {mb:.0f} | {a:.2f} | {b:.2f} | {ratio:.2f}× | {ra:.0f} | {rb:.0f} |")
    print(
        f"\nMediana de {args.repeat} ejecuciones por celda; procesos completos; "
        f"CPU: {os.cpu_count()}."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
