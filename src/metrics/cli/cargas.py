"""`tablero cargas`: the import history; `--deshacer N` undoes batch N exactly.

A load that others depend on (they name what it brought, or replaced rows of it) is not undone
alone: the command lists them and exits 2; `--con-dependientes` undoes them all, newest first,
in one transaction.
"""

from __future__ import annotations

import argparse
import sys

from metrics.cli.importar import _actor
from metrics.formatting import format_datetime, format_number, terminal_text
from metrics.imports import KIND_LABELS, undo_batch, undo_plan
from metrics.scope import Scope
from metrics.store import DATASET_LABELS, Store

NAME = "cargas"
HELP = "lista las cargas de archivos; --deshacer N deja los datos como estaban antes de la carga N"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--deshacer", type=int, metavar="N", help="número de la carga a deshacer")
    parser.add_argument(
        "--con-dependientes",
        action="store_true",
        help="deshace también las cargas que dependen de N (las que nombran lo que trajo o "
        "reemplazaron filas suyas); sin esta opción, si las hay, se listan y no se deshace nada",
    )
    parser.add_argument("--actor", help="quién deshace (por omisión el usuario del sistema)")
    parser.add_argument("--limite", type=int, default=50, help="cuántas cargas mostrar (50)")


def reads_only(args: argparse.Namespace) -> bool:
    return args.deshacer is None


def required_permission(args: argparse.Namespace) -> str | None:
    return "can_upload" if args.deshacer is not None else None


def run(args: argparse.Namespace, store: Store, scope: Scope) -> int:
    if args.deshacer is not None:
        return _undo(args, store, scope)
    import pandas as pd

    df = store.batches(scope, args.limite)
    if df.empty:
        print("No hay cargas registradas.")
        return 0
    print(
        f"{'N°':>4}  {'fecha':16}  {'tipo':26}  {'período':9}  {'filas':>9}  "
        f"{'nuevas':>9}  {'reempl.':>8}  {'quién':10}  archivo"
    )
    for r in df.to_dict("records"):
        undone = r["undone_at"]
        state = f"  (deshecha {format_datetime(undone)})" if pd.notna(undone) else ""
        kind = KIND_LABELS.get(str(r["kind"]), str(r["kind"]))
        period = terminal_text(r["period"] or "")[:9]
        print(
            f"{r['id']:>4}  {format_datetime(r['created_at']):16}  {kind[:26]:26}  "
            f"{period:9}  {format_number(r['row_count']):>9}  "
            f"{format_number(r['rows_new']):>9}  {format_number(r['rows_replaced']):>8}  "
            f"{terminal_text(r['actor'])[:10]:10}  {terminal_text(r['file_name'])}{state}"
        )
    return 0


def _undo(args: argparse.Namespace, store: Store, scope: Scope) -> int:
    """Undo load N; with dependants, list them and stop unless --con-dependientes."""
    plan = undo_plan(store, args.deshacer, scope)
    if plan.dependants and not args.con_dependientes:
        print(
            f"No se deshizo nada: la {terminal_text(plan.batch.label())} tiene "
            f"{len(plan.dependants)} carga(s) que dependen de ella:",
            file=sys.stderr,
        )
        for batch in plan.dependants:
            print(f"  {terminal_text(batch.label())}", file=sys.stderr)
        print(
            f"Para deshacerlas todas juntas (de la más reciente a la más antigua): tablero "
            f"cargas --deshacer {plan.batch.id} --con-dependientes",
            file=sys.stderr,
        )
        return 2
    counts = undo_batch(
        store,
        plan.batch.id,
        _actor(args),
        scope=scope,
        with_dependants=[b.id for b in plan.dependants],
    )
    for batch in plan.dependants:
        print(
            f"Deshecha también la {terminal_text(batch.label())}: dependía de la carga "
            f"{plan.batch.id}."
        )
    print(f"Carga {plan.batch.id} deshecha.")
    for table, rows in counts.items():
        if table.endswith(":restauradas"):
            if rows:
                label = DATASET_LABELS.get(table.split(":")[0], table)
                print(f"  {label}: {format_number(rows)} filas anteriores restauradas")
        else:
            print(f"  {DATASET_LABELS.get(table, table)}: {format_number(rows)} filas quitadas")
    return 0
