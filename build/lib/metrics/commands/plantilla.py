"""`tablero plantilla TIPO`: write the CSV or XLSX template of a dataset."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from metrics.ingest import DATASETS, template_csv, template_xlsx
from metrics.scope import Scope
from metrics.store import Store, open_store

NAME = "plantilla"
HELP = "genera la plantilla CSV o Excel de un tipo de datos, con ejemplos y códigos válidos"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "tipo",
        choices=sorted(DATASETS),
        metavar="TIPO",
        help="tipo de datos: " + ", ".join(DATASETS),
    )
    parser.add_argument(
        "--formato",
        choices=("csv", "xlsx"),
        default="xlsx",
        help="csv o xlsx (por omisión xlsx, que incluye la hoja de códigos)",
    )
    parser.add_argument(
        "--salida",
        metavar="F",
        help="archivo de salida (por omisión plantilla_TIPO.xlsx; - para la salida estándar)",
    )


def open_for_command(path: Path, args: argparse.Namespace) -> Store:
    """A template needs no database: never create one."""
    del path, args
    return open_store(":memory:")


def run(args: argparse.Namespace, store: Store, scope: Scope) -> int:
    del store, scope
    data = template_csv(args.tipo) if args.formato == "csv" else template_xlsx(args.tipo)
    if args.salida == "-":
        sys.stdout.buffer.write(data)
        return 0
    target = Path(args.salida or f"plantilla_{args.tipo}.{args.formato}")
    target.write_bytes(data)
    print(f"Plantilla de {DATASETS[args.tipo].label} guardada en {target}.")
    return 0
