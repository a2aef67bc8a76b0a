"""Benchmark of the indicator engine on national-scale stores (`make bench`).

Builds (once, cached under bench/out/) stores with :func:`tablero_demo.national.build_national`
at three scales and measures:

- **facts**: rebuilding the engine's facts cache from the source tables, what the first request
  after an import or an undo waits for (``prepare_facts(store, force=True)``);
- **all schools**: the whole catalogue for every school and year
  (``compute_indicators(store, Scope.all(), alcance="establecimiento", mensual=False)``), a new
  computation each run from the facts cache (no result is kept between runs), the median of
  the requests after the first one that follows the rebuild (that one is timed apart: see the
  last item);
- **one school**: everything a school's user sees (its school, communities and territories,
  yearly and monthly rows: ``compute_indicators(store, Scope.schools([rbd]))``), over several
  schools;
- **one school chosen among all**: what a supervisor who sees every school gets for one
  (``compute_indicators(store, Scope.all(), rbds=[rbd], mensual=False)``, and the same for
  ``compute_breakdowns``), over the same schools;
- **everything**: every scope kind and the monthly rows (once per scale, for information);
- **after a one-school import**: bringing the facts up to date after an import of a few
  student results of one school (``prepare_facts(store)``, incremental), on a copy of the
  store, against the same copy's full rebuild;
- **one school, first request after a change**: schedule compliance depends on the cut-off
  date, so the first request after a change (or on a new day) computes the whole store's
  schedule once (:func:`metrics.engine.facts.forget_per_request` before each); the requests
  above find it computed. The same for all schools: the first request after the rebuild.

Prints a Markdown table with medians. Targets at scale 1.0: all schools ≤ 1,5 s, one school
≤ 50 ms, facts current ≤ 1 s after a one-school import; time growing linearly with rows.
Options: ``--escalas 0.1,0.3,1.0``, ``--repeticiones N``, ``--semilla S``, ``--rapido`` (one
rebuild of the facts, and not the whole store with every scope and month).
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import statistics
import sys
import time
from datetime import date
from functools import partial
from pathlib import Path

from metrics.engine.facts import forget_per_request
from metrics.engine.indicators import compute_breakdowns, compute_indicators, prepare_facts
from metrics.formatting import format_number
from metrics.scope import Scope
from metrics.store import open_store

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
CUTOFF = date(2025, 12, 31)
TARGET_ALL_S = 1.5
TARGET_ONE_MS = 50.0
TARGET_REFRESH_S = 1.0


def national_store(scale: float, seed: int) -> Path:
    """Path of a national store at ``scale``, built once per version of the generator."""
    try:
        from tablero_demo import national, words
    except ImportError:
        sys.exit("bench_indicators: tablero_demo.national no está disponible.")
    # The generator's output follows its SQL and the word lists it draws from.
    source = b"".join(Path(m.__file__).read_bytes() for m in (national, words))
    tag = hashlib.sha256(source).hexdigest()[:10]
    path = OUT / f"nacional_{scale:g}_{seed}_{tag}.duckdb"
    if not path.exists():
        OUT.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".tmp")
        partial.unlink(missing_ok=True)
        start = time.perf_counter()
        with open_store(partial) as store:
            national.build_national(store, seed, scale=scale)
        partial.rename(path)
        print(
            f"(base nacional escala {scale:g} creada en {time.perf_counter() - start:.0f} s)",
            flush=True,
        )
    return path


def bare_scans(store: object, rbd: int) -> dict[str, float]:
    """Seconds of plain DuckDB reads of what each measured call reads, in the same run: the
    yearly school facts (all schools), one school's facts (one school), and every column of
    the source tables of the cached facts (a rebuild)."""
    from metrics.engine import sources

    cur = store.cursor()  # type: ignore[attr-defined]
    stats = ", ".join(("indicator", "kind", "sid", "rbd", "year", "month", "base", *sources.STATS))
    tables = sorted({t for s in sources.SOURCES.values() if s.cached for t in s.tables})
    queries: dict[str, str | list[str]] = {
        "all": f"SELECT {stats} FROM indicator_fact WHERE month = 0 AND kind = 1",
        "one": f"SELECT {stats} FROM indicator_fact WHERE rbd = {int(rbd)}",
        "facts": [f"SELECT max(COLUMNS(*)) FROM {t}" for t in tables],
    }
    out = {}
    try:
        for name, query in queries.items():
            runs = []
            for _ in range(5):
                start = time.perf_counter()
                for one in [query] if isinstance(query, str) else query:
                    cur.execute(one).fetchnumpy()
                runs.append(time.perf_counter() - start)
            out[name] = statistics.median(runs)
    finally:
        cur.close()
    return out


def one_school_import(path: Path, rbd: int) -> float:
    """Seconds to bring the facts up to date after importing five results of school ``rbd``
    (two failed, three promoted: rows of the store's own students), on a copy of ``path``."""
    copy = OUT / "incremental.duckdb"
    for suffix in ("", ".key", ".audit"):
        src = Path(f"{path}{suffix}")
        if src.exists():
            shutil.copyfile(src, f"{copy}{suffix}")
    try:
        with open_store(copy) as store:
            prepare_facts(store)
            rows = store.query_df(
                "SELECT * EXCLUDE (batch_id) FROM student_result WHERE rbd = ? "
                "ORDER BY year DESC, student_id LIMIT 5",
                [rbd],
            )
            rows["final_situation"] = ["R", "R", "P", "P", "P"][: len(rows)]
            with store.transaction() as cur:
                batch = store.new_batch(
                    cur, kind="prueba", file_name="bench.csv", file_hash="bench", actor="bench"
                )
                store.insert_frame(cur, "student_result", rows, batch)
            return float(prepare_facts(store) or 0.0)
    finally:
        for suffix in ("", ".key", ".audit", ".wal"):
            Path(f"{copy}{suffix}").unlink(missing_ok=True)


CPU: dict[str, list[float]] = {}
"""The process's CPU seconds of each measured call, by measure: on a shared machine they
depend less on the load than wall time (DuckDB's threads are counted)."""


def timed(fn: object, *args: object, cpu: str = "", **kwargs: object) -> tuple[float, int]:
    start, used = time.perf_counter(), time.process_time()
    df = fn(*args, **kwargs)  # type: ignore[operator]
    elapsed = time.perf_counter() - start
    if cpu:
        CPU.setdefault(cpu, []).append(time.process_time() - used)
    return elapsed, len(df)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--escalas", default="0.1,0.3,1.0")
    parser.add_argument("--repeticiones", type=int, default=5)
    parser.add_argument("--semilla", type=int, default=7)
    parser.add_argument(
        "--rapido",
        action="store_true",
        help="una sola reconstrucción de los hechos y sin la medición de todo (alcances y meses)",
    )
    args = parser.parse_args(argv)
    scales = [float(s) for s in args.escalas.split(",")]

    rows = []
    for scale in scales:
        path = national_store(scale, args.semilla)
        with open_store(path) as store:
            counts = store.query_df(
                "SELECT (SELECT count(*) FROM school) AS schools, "
                "(SELECT count(*) FROM student_result) AS results, "
                "(SELECT count(*) FROM student_attendance) AS attendance, "
                "(SELECT count(*) FROM survey_response) AS answers"
            ).iloc[0]
            source_rows = int(counts["results"] + counts["attendance"] + counts["answers"])
            # Warm the file cache once; then rebuild the facts cache a few times.
            compute_indicators(
                store, Scope.all(), alcance="territorio", mensual=False, corte=CUTOFF
            )
            facts_runs = [
                float(prepare_facts(store, force=True) or 0.0)
                for _ in range(1 if args.rapido else 3 if scale >= 1 else max(3, args.repeticiones))
            ]
            # The first request after the rebuild computes the whole store's schedule again
            # (the file changed): its own column; the median below is of later requests.
            every_school = partial(
                compute_indicators, store, Scope.all(), alcance="establecimiento", mensual=False
            )
            all_cold = timed(every_school, corte=CUTOFF)[0]
            all_runs = [
                timed(every_school, corte=CUTOFF, cpu=f"all {scale}")
                for _ in range(max(3, args.repeticiones))
            ]
            rbds = store.query_df("SELECT rbd FROM school ORDER BY rbd")["rbd"].tolist()
            picks = [
                rbds[i * (len(rbds) - 1) // max(1, args.repeticiones - 1)]
                for i in range(args.repeticiones)
            ]
            one_runs = [
                timed(
                    compute_indicators, store, Scope.schools([r]), corte=CUTOFF, cpu=f"one {scale}"
                )
                for r in picks
            ]
            # A supervisor who sees every school and chooses one: its rows as the whole
            # scope decides them, yearly (what pages ask for), indicators and breakdowns.
            chosen_runs, breakdown_runs = (
                [
                    timed(fn, store, Scope.all(), rbds=[r], mensual=False, corte=CUTOFF)
                    for r in picks
                ]
                for fn in (compute_indicators, compute_breakdowns)
            )
            every = (
                (float("nan"), 0)
                if args.rapido
                else timed(compute_indicators, store, Scope.all(), corte=CUTOFF)
            )
            bare = bare_scans(store, picks[len(picks) // 2])
            # The first request after a change (or on a new day) computes the schedule of the
            # whole store once; the requests above found it computed.
            cold = []
            for r in picks[:3]:
                forget_per_request(store)
                cold.append(timed(compute_indicators, store, Scope.schools([r]), corte=CUTOFF)[0])
        incremental = statistics.median(one_school_import(path, r) for r in picks[:3])
        rows.append(
            {
                "scale": scale,
                "schools": int(counts["schools"]),
                "results": int(counts["results"]),
                "source_rows": source_rows,
                "facts_s": statistics.median(facts_runs),
                "all_s": statistics.median(t for t, _ in all_runs),
                "all_rows": all_runs[0][1],
                "one_ms": statistics.median(t for t, _ in one_runs) * 1000,
                "one_rows": int(statistics.median(n for _, n in one_runs)),
                "chosen_ms": statistics.median(t for t, _ in chosen_runs) * 1000,
                "breakdown_ms": statistics.median(t for t, _ in breakdown_runs) * 1000,
                "every_s": every[0],
                "every_rows": every[1],
                "bare": bare,
                "incremental_s": incremental,
                "cold_ms": statistics.median(cold) * 1000,
                "all_cold_s": all_cold,
            }
        )

    print(
        "| escala | establecimientos | filas de origen | preparar los hechos (tras una carga) "
        "| todas las escuelas y años (mediana) | filas | un establecimiento (mediana) | filas "
        "| todo (alcances y meses) | filas | s por millón de filas de origen (hechos / todas) |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    f = format_number
    for r in rows:
        per_million = r["source_rows"] / 1e6
        print(
            f"| {f(r['scale'], 1)} | {f(r['schools'])} | {f(r['source_rows'])} "
            f"| {f(r['facts_s'], 2)} s | {f(r['all_s'], 2)} s | {f(r['all_rows'])} "
            f"| {f(r['one_ms'])} ms | {f(r['one_rows'])} | {f(r['every_s'], 2)} s "
            f"| {f(r['every_rows'])} "
            f"| {f(r['facts_s'] / per_million, 3)} / {f(r['all_s'] / per_million, 3)} |"
        )
    print(
        "\n| escala | un establecimiento elegido entre todos: indicadores (mediana) "
        "| sus desgloses (mediana) |"
    )
    print("|---:|---:|---:|")
    for r in rows:
        print(f"| {f(r['scale'], 1)} | {f(r['chosen_ms'])} ms | {f(r['breakdown_ms'])} ms |")
    print(
        "\n| escala | hechos: reconstruir / leer sus tablas de origen | todas las escuelas / "
        "leer sus hechos | un establecimiento / leer sus hechos |"
    )
    print("|---:|---:|---:|---:|")
    for r in rows:
        b = r["bare"]
        print(
            f"| {f(r['scale'], 1)} | {f(r['facts_s'], 2)} s / {f(b['facts'], 2)} s "
            f"| {f(r['all_s'], 2)} s / {f(b['all'], 3)} s "
            f"| {f(r['one_ms'])} ms / {f(b['one'] * 1000, 1)} ms |"
        )
    print(
        "\n| escala | hechos tras una carga de un establecimiento (mediana) "
        "| reconstruirlos todos | un establecimiento, primera consulta tras un cambio "
        "| todas las escuelas, primera consulta tras un cambio |"
    )
    print("|---:|---:|---:|---:|---:|")
    for r in rows:
        print(
            f"| {f(r['scale'], 1)} | {f(r['incremental_s'], 2)} s | {f(r['facts_s'], 2)} s "
            f"| {f(r['cold_ms'])} ms | {f(r['all_cold_s'], 2)} s |"
        )
    print(
        "\n| escala | todas las escuelas: CPU del proceso (mediana) "
        "| un establecimiento: CPU del proceso (mediana) |"
    )
    print("|---:|---:|---:|")
    for r in rows:
        s = r["scale"]
        print(
            f"| {f(s, 1)} | {f(statistics.median(CPU[f'all {s}']), 2)} s "
            f"| {f(statistics.median(CPU[f'one {s}']) * 1000)} ms |"
        )
    full = next((r for r in rows if r["scale"] == 1.0), None)
    if full:
        ok_all = full["all_s"] <= TARGET_ALL_S
        ok_one = full["one_ms"] <= TARGET_ONE_MS
        print(
            f"\nMeta escala 1,0: todas las escuelas ≤ {format_number(TARGET_ALL_S, 1)} s: "
            f"{'cumple' if ok_all else 'NO cumple'}; un establecimiento ≤ "
            f"{format_number(TARGET_ONE_MS)} ms: "
            f"{'cumple' if ok_one else 'NO cumple'}; hechos al día tras una carga ≤ "
            f"{format_number(TARGET_REFRESH_S, 0)} s: "
            f"{'cumple' if full['incremental_s'] <= TARGET_REFRESH_S else 'NO cumple'}."
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
