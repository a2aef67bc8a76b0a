"""Council packs: time to make the pack of one school of the demo store in each format.

Each run builds the pack from the store (indicators, views) and renders the file, as
``tablero exportar`` does; the median of several runs in one process (the first run warms
vl-convert's engine and is reported apart). Target: at most 10 s per format.

Reference measured in the same run: one chart rendered to PNG by vl-convert (the unit of work
that dominates the PowerPoint and the PDF), to read the ratio on a noisy machine.

Run: ``python bench/bench_packs.py [--repeticiones N]``.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path

TARGET_S = 10.0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeticiones", type=int, default=3)
    args = parser.parse_args()

    from metrics.presentation.export.slides import render_pack
    from metrics.presentation.export.tables import chart_png
    from metrics.presentation.packs import build_pack
    from metrics.scope import Scope
    from metrics.store import open_store
    from tablero_demo.demo import CASE_SCHOOL_RBD, build_demo

    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "demo.duckdb"
        with open_store(db) as store:
            build_demo(store)
        with open_store(db) as store:

            def make(fmt: str) -> tuple[float, int, int]:
                start = time.perf_counter()
                pack = build_pack(
                    store, Scope.all(), rbd=CASE_SCHOOL_RBD, year=2025, cutoff=date(2025, 12, 31)
                )
                data = render_pack(pack, fmt)
                return time.perf_counter() - start, len(data), len(pack.slides)

            first, _, _ = make("pdf")
            pack = build_pack(store, Scope.all(), rbd=CASE_SCHOOL_RBD, year=2025)
            chart = next(s.chart for s in pack.slides if s.chart is not None)
            refs = []
            for _ in range(args.repeticiones):
                t = time.perf_counter()
                chart_png(chart, scale=2.0)
                refs.append(time.perf_counter() - t)
            ref = statistics.median(refs)
            print(f"Primera ejecución (motor de gráficos en frío, PDF): {first:.2f} s")
            print(f"Referencia: un gráfico a PNG con vl-convert, mediana {ref:.3f} s\n")
            print(
                "| formato | mediana (s) | meta (s) | ÷ un gráfico | tamaño (KB) | diapositivas |"
            )
            print("|---|---|---|---|---|---|")
            for fmt in ("pptx", "pdf", "xlsx"):
                runs = [make(fmt) for _ in range(args.repeticiones)]
                median = statistics.median(r[0] for r in runs)
                ok = "✓" if median <= TARGET_S else "✗"
                print(
                    f"| {fmt} | {median:.2f} {ok} | {TARGET_S:.0f} | {median / ref:.0f}× | "
                    f"{runs[0][1] / 1024:.0f} | {runs[0][2]} |"
                )


if __name__ == "__main__":
    main()
