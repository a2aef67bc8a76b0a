"""`tablero demo`: build the bundled demo store, or one the size of the country."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from metrics.config import DEMO_SEED
from metrics.errors import StoreError
from metrics.formatting import format_number
from metrics.scope import Scope
from metrics.store import DATASET_LABELS, Store, open_store

NAME = "demo"
HELP = "crea la base de datos de demostración (un SLEP ficticio, o el país completo)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--escala",
        choices=("slep", "nacional"),
        default="slep",
        help="slep: 12 establecimientos ficticios (por omisión); nacional: tamaño del país, "
        "para pruebas de rendimiento",
    )
    parser.add_argument(
        "--semilla",
        type=int,
        default=DEMO_SEED,
        help=f"semilla del generador; la misma semilla da los mismos datos ({DEMO_SEED})",
    )
    parser.add_argument(
        "--reemplazar",
        action="store_true",
        help="borra la base de datos existente y la crea de nuevo",
    )


PERMISSION = "can_manage_users"
"""Building the demo replaces a whole store: administrators only (with --usuario)."""


def open_for_command(path: Path, args: argparse.Namespace) -> Store:
    """Open a fresh store at ``path``; an existing one with data only with --reemplazar."""
    if path.exists() and args.reemplazar:
        for p in (path, path.with_name(path.name + ".wal")):
            p.unlink(missing_ok=True)
    store = open_store(path)
    if store.info(Scope.all()).batches:
        store.close()
        raise StoreError(
            f"La base de datos {path} ya contiene datos. Use --reemplazar para borrarla y crear "
            "la demostración, o --db para elegir otro archivo."
        )
    return store


def run(args: argparse.Namespace, store: Store, scope: Scope) -> int:
    start = time.perf_counter()
    if args.escala == "nacional":
        from metrics.store.national import build_national

        print("Generando una base de datos del tamaño del país (puede tardar unos minutos)…")
        counts = build_national(store, args.semilla, progress=lambda m: print(m, flush=True))
    else:
        from metrics.demo import build_demo

        counts = build_demo(store, args.semilla)
    # The indicators' facts, computed now so that the dashboard's first page is quick.
    from metrics.indicators import prepare_facts

    print("Preparando los indicadores…", flush=True)
    prepare_facts(store, force=True)
    elapsed = time.perf_counter() - start
    print(f"Demostración creada en {store.path} en {format_number(elapsed, 1)} s.")
    for table, rows in counts.items():
        label = DATASET_LABELS.get(table, table)
        print(f"  {label}: {format_number(rows)} filas")
    return 0
