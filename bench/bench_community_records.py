"""Benchmark of records saved in the app (page «Registros»): how long until a saved session or
activity shows in the indicators, on the demo store and on a national one (`make bench`).

For each store, on a copy (the facts cache current first), every repetition:

- **session**: :func:`metrics.imports.community_records.save_session` for one community (a
  new date each time), then :func:`metrics.engine.indicators.prepare_facts` (the incremental
  refresh of the schools the load touched) and the community's session indicators
  (``compute_indicators(..., alcance_id=<community>)``): what the page does after «Guardar
  sesión»;
- **activity**: :func:`metrics.imports.community_records.save_activities` marking one
  activity done, then the same refresh and the community's schedule compliance (computed at
  the cut-off date, not cached);
- **reference**: a full rebuild of the facts cache (``prepare_facts(force=True)``) on the same
  copy, in the same run.

Prints a Markdown table: medians of save, refresh, indicators and their total (the time until
the figures show), and the total as a ratio of the full rebuild. Target: total ≤ 1 s on the
demo store. Options: ``--escala S`` of the national store (default 1.0; 0 skips it),
``--repeticiones N``, ``--semilla S``.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import pandas as pd

from metrics.access import Access
from metrics.engine.indicators import compute_indicators, prepare_facts
from metrics.formatting import format_number
from metrics.imports import community_records as rec
from metrics.scope import Scope
from metrics.store import Store, open_store
from metrics.store import community_records as reads

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
TARGET_S = 1.0
SESSION_CODES = ["participacion_activa", "intercambio_estrategias", "frecuencia_reuniones"]


def demo_store(folder: Path) -> Path:
    """A fresh demo store (``tablero demo``) in ``folder``."""
    try:
        from tablero_demo.demo import build_demo
    except ImportError:
        sys.exit("bench_community_records: tablero_demo no está disponible.")
    path = folder / "demo.duckdb"
    with open_store(path) as store:
        build_demo(store)
    return path


def copy_store(path: Path, folder: Path) -> Path:
    copy = folder / f"copia_{path.name}"
    for suffix in ("", ".key", ".audit"):
        if Path(f"{path}{suffix}").exists():
            shutil.copyfile(f"{path}{suffix}", f"{copy}{suffix}")
    return copy


def busiest_community(store: Store) -> tuple[str, int, int]:
    """The community with the most sessions in its latest year with members: (id, rbd, year)."""
    row = store.query_df(
        """
        SELECT s.community_id, c.rbd, max(m.year) AS year, count(*) AS n
        FROM session_attendance s JOIN community c ON c.id = s.community_id
        JOIN community_member m ON m.community_id = s.community_id
        GROUP BY ALL ORDER BY n DESC, 1 LIMIT 1
        """
    ).iloc[0]
    return str(row["community_id"]), int(row["rbd"]), int(row["year"])


def measure(path: Path, repetitions: int) -> dict[str, float | int | str]:
    """Medians (seconds) of saving a session and an activity until the figures show, and of a
    full rebuild of the facts, on ``path`` (a copy: it is written to)."""
    access = Access.full("bench")
    with open_store(path) as store:
        prepare_facts(store)
        community, rbd, year = busiest_community(store)
        schools = int(store.query_df("SELECT count(*) AS n FROM school")["n"].iloc[0])
        members = reads.read_members(store, Scope.all(), community, year)
        came = list(members["teacher_id"][: max(1, len(members) - 1)])
        runs: dict[str, list[float]] = {
            k: [] for k in ("s_save", "s_refresh", "s_show", "a_save", "a_refresh", "a_show")
        }
        for i in range(repetitions):
            day = date(year, 3, 2) + timedelta(days=3 * i)
            t0 = time.perf_counter()
            rec.save_session(
                store,
                access,
                community,
                day,
                topic=f"Sesión de prueba {i}",
                attended=came,
                strategies=[rec.StrategyLine(came[0], "Una estrategia")],
            )
            t1 = time.perf_counter()
            prepare_facts(store)
            t2 = time.perf_counter()
            shown = compute_indicators(
                store,
                Scope.schools([rbd]),
                alcance="comunidad",
                alcance_id=community,
                anio=year,
                indicadores=SESSION_CODES,
                mensual=False,
            )
            t3 = time.perf_counter()
            assert len(shown), "no indicators after the save"
            runs["s_save"].append(t1 - t0)
            runs["s_refresh"].append(t2 - t1)
            runs["s_show"].append(t3 - t2)

            table = reads.read_activities(store, Scope.all(), community)
            table["status"] = table["status"].astype(object)
            flip = "realizada" if i % 2 == 0 else "reprogramada"
            table.loc[table.index[0], "status"] = flip
            table.loc[table.index[0], "done_date"] = pd.Timestamp(date(year, 3, 9))
            t0 = time.perf_counter()
            rec.save_activities(store, access, community, table)
            t1 = time.perf_counter()
            prepare_facts(store)
            t2 = time.perf_counter()
            compute_indicators(
                store,
                Scope.schools([rbd]),
                alcance="comunidad",
                alcance_id=community,
                anio=year,
                corte=date(year, 12, 31),
                indicadores=["cumplimiento_cronograma"],
                mensual=False,
            )
            t3 = time.perf_counter()
            runs["a_save"].append(t1 - t0)
            runs["a_refresh"].append(t2 - t1)
            runs["a_show"].append(t3 - t2)
        # The reference: three full rebuilds (one on a national store, where it takes minutes).
        rounds = 1 if schools > 1000 else 3
        rebuild = [float(prepare_facts(store, force=True) or 0.0) for _ in range(rounds)]
    out: dict[str, float | int | str] = {k: statistics.median(v) for k, v in runs.items()}
    out["rebuild"] = statistics.median(rebuild)
    out["schools"] = schools
    out["community"] = community
    return out


def ms(seconds: float) -> str:
    return format_number(seconds * 1000)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--escala", type=float, default=1.0)
    parser.add_argument("--repeticiones", type=int, default=5)
    parser.add_argument("--semilla", type=int, default=7)
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        stores = {"demostración": demo_store(folder)}
        if args.escala > 0:
            sys.path.insert(0, str(HERE))
            from bench_indicators import national_store

            stores[f"nacional (escala {args.escala:g})"] = national_store(args.escala, args.semilla)
        print(
            "| base | establecimientos | qué se guarda | guardar (ms) | refrescar hechos (ms) | "
            "indicadores (ms) | total hasta verlo (ms) | reconstrucción completa (ms) | "
            "total / reconstrucción |"
        )
        print("|---|---:|---|---:|---:|---:|---:|---:|---:|")
        worst_demo = 0.0
        for name, path in stores.items():
            result = measure(copy_store(path, folder), args.repeticiones)
            for what, p in (("sesión", "s"), ("actividad", "a")):
                total = sum(float(result[f"{p}_{k}"]) for k in ("save", "refresh", "show"))
                if name == "demostración":
                    worst_demo = max(worst_demo, total)
                save = ms(float(result[f"{p}_save"]))
                print(
                    f"| {name} | {format_number(result['schools'])} | {what} | {save} | "
                    f"{ms(float(result[f'{p}_refresh']))} | {ms(float(result[f'{p}_show']))} | "
                    f"{ms(total)} | {ms(float(result['rebuild']))} | "
                    f"{format_number(total / float(result['rebuild']), 2)} |"
                )
        print(
            f"\nMedianas de {args.repeticiones} guardados por base. Meta: en la demostración, "
            f"total ≤ {TARGET_S:.0f} s: {'cumplida' if worst_demo <= TARGET_S else 'NO cumplida'}"
            f" ({format_number(worst_demo, 2)} s)."
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
