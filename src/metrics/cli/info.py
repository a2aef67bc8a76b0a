"""`tablero info`: what the store holds."""

from __future__ import annotations

import argparse
from pathlib import Path

from metrics.formatting import format_datetime, format_number
from metrics.scope import Scope
from metrics.store import Store

NAME = "info"
HELP = "muestra qué contiene la base de datos: filas por conjunto, establecimientos, años, cargas"
READS_ONLY = True


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """`info` takes only --db."""


def run(args: argparse.Namespace, store: Store, scope: Scope) -> int:
    info = store.info(scope)
    size = Path(store.path).stat().st_size if Path(store.path).exists() else 0
    print(
        f"Base de datos: {store.path} ({format_number(size / 1_048_576, 1)} MB, "
        f"esquema versión {info.schema_version})"
    )
    print(f"Establecimientos: {format_number(info.schools)}")
    years = ", ".join(str(y) for y in info.years) or "ninguno"
    print(f"Años con datos: {years}")
    print(f"Cargas: {format_number(info.batches)} (última: {format_datetime(info.last_import)})")
    print()
    width = max(len(label) for label in info.labels.values())
    print(f"{'Conjunto de datos'.ljust(width)}  {'Filas':>12}")
    for table, rows in info.rows.items():
        print(f"{info.labels[table].ljust(width)}  {format_number(rows):>12}")
    return 0
