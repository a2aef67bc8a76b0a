"""`tablero auditoria`: read the audit log and check its hash chain.

Only reads: nothing (here or anywhere in Tablero DPD) edits or deletes audit rows.
"""

from __future__ import annotations

import argparse
import json
from datetime import date

from metrics.commands import access_of
from metrics.errors import TableroError
from metrics.formatting import format_datetime, terminal_text
from metrics.scope import Scope
from metrics.store import Store, audit

NAME = "auditoria"
HELP = "muestra el registro de auditoría (quién hizo qué y cuándo) y verifica su integridad"


def required_permission(args: argparse.Namespace) -> str:
    """Reading and verifying: whoever sees the log; re-anchoring it: an administrator."""
    return "can_manage_users" if getattr(args, "reanclar", False) else "sees_audit"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--desde", metavar="AAAA-MM-DD", help="desde esta fecha (incluida)")
    parser.add_argument("--hasta", metavar="AAAA-MM-DD", help="hasta esta fecha (incluida)")
    parser.add_argument("--actor", help="solo acciones de este correo o usuario (o parte de él)")
    parser.add_argument("--accion", choices=sorted(audit.ACTION_LABELS), help="solo esta acción")
    parser.add_argument("--limite", type=int, default=100, help="cuántos registros (100)")
    parser.add_argument(
        "--verificar",
        action="store_true",
        help="verifica la cadena (firmas, secuencia y ancla) e imprime el último hash",
    )
    parser.add_argument(
        "--reanclar",
        action="store_true",
        help="vuelve a anclar el registro si sus filas están íntegras pero su ancla falta o no "
        "es válida (una base copiada o restaurada sin su archivo .audit); queda registrado",
    )


def _date(text: str | None, option: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise TableroError(
            f"{option} debe ser una fecha AAAA-MM-DD (por ejemplo 2025-03-31), no «{text}».",
            "Fecha no válida",
        ) from None


def run(args: argparse.Namespace, store: Store, scope: Scope) -> int:
    if args.reanclar:
        check = audit.reanchor(store, access_of(args).actor)
        print(check.message())
        return 0 if check.ok else 2
    if args.verificar:
        check = audit.verify_chain(store)
        print(terminal_text(check.message()))
        if check.ok:
            print(f"Último hash: {check.last_hash}")
        return 0 if check.ok else 2
    rows = audit.read(
        store,
        scope,
        since=_date(args.desde, "--desde"),
        until=_date(args.hasta, "--hasta"),
        actor=args.actor,
        action=args.accion,
        limit=args.limite,
        include_own=access_of(args).actor,
    )
    if rows.empty:
        print("No hay registros para estos filtros.")
        return 0
    print(f"{'N°':>6}  {'fecha':16}  {'quién':28}  {'acción':26}  detalle")
    for r in rows.to_dict("records"):
        label = audit.ACTION_LABELS.get(str(r["action"]), str(r["action"]))
        detail = json.loads(str(r["detail"]))
        text = terminal_text(", ".join(f"{k}={v}" for k, v in detail.items() if k != "rbds"))
        actor = terminal_text(r["actor"])[:28]
        print(
            f"{r['id']:>6}  {format_datetime(r['logged_at']):16}  {actor:28}  "
            f"{label[:26]:26}  {text}"
        )
    return 0
