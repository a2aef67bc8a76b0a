"""`tablero exportar-datos --formato parquet`: the store's data tables as Parquet files
partitioned by year and region, for DuckDB, Spark or Trino (see :mod:`metrics.store.parquet`).

It reads under the store's shared turn, as other read-only commands do: the dashboard and other
readers keep going, an import waits until the export ends (and the export waits for an import
under way), so every table comes from the same moment. The export lands whole or not at all.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from metrics.cli.common import access_of, prepare_indicators
from metrics.formatting import format_number, terminal_text
from metrics.scope import Scope
from metrics.store import Store, audit
from metrics.store.parquet import TABLES, TableExport, check_destination, export_parquet

NAME = "exportar-datos"
HELP = (
    "exporta las tablas de datos a Parquet, particionadas por año y región (para DuckDB, Spark "
    "o Trino)"
)
PERMISSION = "can_export"
READS_ONLY = True
FORMATS = ("parquet",)


def _format(value: str) -> str:
    if value.strip().lower() not in FORMATS:
        raise argparse.ArgumentTypeError(
            f"formato «{value}» no disponible: exportar-datos escribe solo parquet "
            "(las presentaciones en pptx, pdf o xlsx las hace «tablero exportar»)"
        )
    return value.strip().lower()


def _tables(value: str) -> list[str]:
    chosen = [t.strip() for t in value.split(",") if t.strip()]
    unknown = [t for t in chosen if t not in TABLES]
    if unknown or not chosen:
        raise argparse.ArgumentTypeError(
            f"tabla desconocida: {', '.join(unknown) or '(ninguna)'}. Se exportan: "
            + ", ".join(TABLES)
        )
    return chosen


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--formato",
        type=_format,
        required=True,
        metavar="parquet",
        help="formato de los archivos: parquet (el único por ahora)",
    )
    parser.add_argument(
        "--destino",
        required=True,
        metavar="CARPETA",
        help="carpeta que se crea con una subcarpeta por tabla y manifiesto.json",
    )
    parser.add_argument(
        "--tablas",
        type=_tables,
        metavar="T,T",
        help="solo estas tablas, separadas por comas (por omisión, todas las de datos)",
    )
    parser.add_argument(
        "--reemplazar",
        action="store_true",
        help="reemplaza una exportación anterior en la misma carpeta (al terminar la nueva)",
    )


def _size(size: int) -> str:
    if size < 1_048_576:
        return f"{format_number(size / 1024)} KB"
    return f"{format_number(size / 1_048_576, 1)} MB"


def _count(n: int, one: str, many: str) -> str:
    return f"{format_number(n)} {one if n == 1 else many}"


def _say_table(item: TableExport) -> None:
    print(
        f"  {item.table}: {_count(item.rows, 'fila', 'filas')}, "
        f"{_count(item.files, 'archivo', 'archivos')}, {_size(item.bytes)} "
        f"({format_number(item.seconds, 1)} s)",
        flush=True,
    )


def run(args: argparse.Namespace, store: Store, scope: Scope) -> int:
    access = access_of(args)
    access.require("sees_teachers")  # the tables hold teachers' rows one by one
    target = Path(args.destino)
    check_destination(target, replace=args.reemplazar)  # before any work
    tables = args.tablas
    if tables is None or "indicator_fact" in tables:
        prepare_indicators(store)  # the facts must be those of the data exported with them
    print(f"Exportando a {terminal_text(target)} (Parquet, particiones anio=/region=)…")
    result = export_parquet(
        store, target, scope, tables=tables, replace=args.reemplazar, on_table=_say_table
    )
    with store.writing():
        audit.record(
            store,
            access.actor,
            "exportacion",
            {
                "formato": "parquet",
                "destino": str(result.folder),
                "tablas": [t.table for t in result.tables],
                "filas": result.rows,
                **({} if scope.is_all else {"rbds": sorted(scope.rbds or ())}),
            },
        )
    print(
        f"Exportación lista en {terminal_text(result.folder)}: "
        f"{_count(len(result.tables), 'tabla', 'tablas')}, "
        f"{_count(result.rows, 'fila', 'filas')}, {_count(result.files, 'archivo', 'archivos')}, "
        f"{_size(result.bytes)}, en {format_number(result.seconds, 1)} s."
    )
    if not scope.is_all:
        print(
            f"Solo los {format_number(len(scope.rbds or ()))} establecimientos que ve "
            f"{terminal_text(access.actor)}.",
            file=sys.stderr,
        )
    return 0
