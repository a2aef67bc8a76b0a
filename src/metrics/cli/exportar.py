"""`tablero exportar`: the council pack of a school or territory as PowerPoint, PDF or Excel.

The same slides as the *Presentar* page (see :mod:`metrics.presentation.packs`); small groups are
suppressed
exactly as on the pages. Each export is recorded in the audit log.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from metrics.cli.common import access_of, prepare_indicators
from metrics.cli.indicadores import parse_date
from metrics.errors import TableroError
from metrics.formatting import format_number, terminal_text
from metrics.scope import Scope
from metrics.store import Store, audit

NAME = "exportar"
FORMATS = ("pptx", "pdf", "xlsx")
"""The formats of :data:`metrics.presentation.export.slides.PACK_FORMATS` (a test keeps them
equal)."""
HELP = (
    "prepara la presentación para el consejo de un establecimiento o territorio: PowerPoint, "
    "PDF o Excel"
)
PERMISSION = "can_export"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--formato", choices=FORMATS, required=True, help="pptx, pdf o xlsx")
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--rbd",
        type=int,
        metavar="N",
        help="RBD del establecimiento (sin --rbd ni --territorio: la misma presentación que "
        "abre la página Presentar, es decir el establecimiento del usuario o el territorio más "
        "amplio que ve completo)",
    )
    where.add_argument("--territorio", metavar="ID", help="id del territorio (por ejemplo slep:90)")
    parser.add_argument(
        "--anio", type=int, metavar="A", help="año (por omisión, el último con resultados)"
    )
    parser.add_argument(
        "--comunidades",
        metavar="ID,ID",
        help="solo estas comunidades, separadas por comas (por omisión, todas)",
    )
    parser.add_argument(
        "--corte",
        type=parse_date,
        metavar="AAAA-MM-DD",
        help="fecha de corte del cronograma, dentro del año elegido (por omisión, hoy en el año "
        "en curso; el 31-12 en un año pasado)",
    )
    parser.add_argument("--salida", required=True, metavar="ARCHIVO", help="archivo que se escribe")


def run(args: argparse.Namespace, store: Store, scope: Scope) -> int:
    access = access_of(args)
    started = time.perf_counter()
    communities = (
        [c.strip() for c in args.comunidades.split(",") if c.strip()] if args.comunidades else None
    )
    from metrics.filters import Filters
    from metrics.presentation.export.slides import PACK_FORMATS, render_pack
    from metrics.presentation.packs import build_pack
    from metrics.selection import pack_target

    rbd, territory_id = pack_target(
        store, scope, Filters(rbd=args.rbd, territory_id=args.territorio)
    )
    if rbd is None and territory_id is None:
        raise TableroError(
            "No hay establecimientos ni territorios que pueda ver: no hay nada que presentar.",
            title="Nada que presentar",
        )
    prepare_indicators(store)
    pack = build_pack(
        store,
        scope,
        rbd=rbd,
        territory_id=territory_id,
        year=args.anio,
        community_ids=communities,
        cutoff=args.corte,
    )
    data = render_pack(pack, args.formato)
    out = Path(args.salida)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(data)
    except OSError as exc:
        raise TableroError(
            f"No se pudo escribir {out}: {exc.strerror or exc}. Revise la ruta y los permisos.",
            title="No se pudo guardar el archivo",
        ) from exc
    audit.record(
        store,
        access.actor,
        "exportacion",
        {
            "formato": args.formato,
            "alcance": pack.scope_kind,
            "alcance_id": pack.scope_id,
            "anio": pack.year,
            "archivo": out.name,
            "diapositivas": len(pack.slides),
            "rbds": [int(r) for r in pack.school_names],
        },
    )
    seconds = format_number(time.perf_counter() - started, 1)
    print(
        f"{PACK_FORMATS[args.formato][0]} de {terminal_text(pack.name)} ({pack.year}) guardado "
        f"en {terminal_text(out)}: "
        + ("" if args.formato == "xlsx" else f"{len(pack.slides)} diapositivas, ")
        + f"{format_number(len(data) / 1024)} KB, en {seconds} s.",
        file=sys.stdout,
    )
    return 0
