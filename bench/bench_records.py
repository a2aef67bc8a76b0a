"""What a save from the record forms costs (README «Registros de la evaluación»): a log entry,
a síntesis and a follow-up review on the demo store — each one load, its audit row and, after
it, the indicators' facts brought up to date as the page does (``data_changed``) — against the
reference measured in the same run: fixing a school's baseline year, the other audited save
the app makes, and its own facts refresh.

Run: ``python bench/bench_records.py [--veces 15]``. Prints a Markdown table: median seconds
of each save and of the facts refresh after it, and the ratio to the reference.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from metrics.engine.indicators import prepare_facts  # noqa: E402
from metrics.scope import Scope  # noqa: E402
from metrics.store import Store, open_store, records  # noqa: E402
from metrics.store.targets import set_baseline_year  # noqa: E402
from tablero_demo.demo import CASE_SCHOOL_RBD, build_demo  # noqa: E402

ALL = Scope.all()


def _timed(store: Store, save: Callable[[int], object], n: int) -> tuple[float, float]:
    """Median seconds of ``save`` and of the facts refresh that follows it."""
    saves, refreshes = [], []
    for i in range(n):
        t0 = time.perf_counter()
        save(i)
        t1 = time.perf_counter()
        prepare_facts(store)
        t2 = time.perf_counter()
        saves.append(t1 - t0)
        refreshes.append(t2 - t1)
    return statistics.median(saves), statistics.median(refreshes)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--veces", type=int, default=15)
    n = parser.parse_args().veces
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(Path(tmp) / "demo.duckdb")
        build_demo(store)
        prepare_facts(store)
        rbd = CASE_SCHOOL_RBD
        cases: dict[str, Callable[[int], object]] = {
            "referencia: año de línea base": lambda i: set_baseline_year(
                store, ALL, rbd, 2022 + i % 2, "bench"
            ),
            "registro de la bitácora": lambda i: records.save_note(
                store,
                ALL,
                rbd=rbd,
                community_id=None,
                note_date=date(2025, 5, 1 + i % 28),
                dimension="planificación",
                body=f"Registro de medición {i}.",
                author="Medición",
                actor="bench",
            ),
            "síntesis cualitativa (reemplaza)": lambda i: records.save_synthesis(
                store,
                ALL,
                rbd=rbd,
                year=2025,
                moment="durante",
                body=f"Síntesis de medición {i}.",
                author="Medición",
                actor="bench",
            ),
            "revisión de seguimiento": lambda i: records.save_review(
                store,
                ALL,
                rbd=rbd,
                community_id=None,
                planned_date=date(2025, 6, 1),
                held_date=date(2025, 6, 2),
                status="realizada",
                reviewed=f"Revisión {i}",
                decisions="Ajuste",
                responsible="Medición",
                due_date=date(2025, 7, 1),
                decision_status="pendiente",
                actor="bench",
            ),
        }
        results = {name: _timed(store, fn, n) for name, fn in cases.items()}
        store.close()
    ref_save, ref_refresh = results["referencia: año de línea base"]
    print(f"Base de demostración, {n} veces cada uno (mediana, segundos).\n")
    print("| guardado | guardar | × ref. | hechos después | × ref. |")
    print("|---|---|---|---|---|")
    for name, (save, refresh) in results.items():
        print(
            f"| {name} | {save:.4f} | {save / ref_save:.2f} | {refresh:.4f} | "
            f"{refresh / ref_refresh:.2f} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
