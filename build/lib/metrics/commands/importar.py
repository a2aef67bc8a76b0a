"""`tablero importar`: import CSV/XLSX files (templates, Mineduc, Agencia, Forms), one batch each.

Exit 0 when every file was imported (or was already imported); 2 when any was refused, with
every problem printed (file, row, column, how to fix it). A refused file changes nothing.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from metrics.commands import access_of
from metrics.errors import TableroError
from metrics.formatting import terminal_lines
from metrics.formatting import terminal_text as shown
from metrics.ingest import (
    DATASETS,
    Pending,
    RefusedFileError,
    Report,
    detect,
    import_file,
    read_mapping,
    upload_order,
)
from metrics.scope import Scope
from metrics.store import Store

NAME = "importar"
HELP = (
    "importa archivos CSV o XLSX: plantillas, archivos de Mineduc y la Agencia, respuestas de "
    "Google Forms o Microsoft Forms"
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("archivos", nargs="+", metavar="ARCHIVO", help="archivos .csv o .xlsx")
    parser.add_argument(
        "--tipo",
        choices=sorted(DATASETS),
        help="tipo de datos (por omisión se reconoce por los encabezados)",
    )
    parser.add_argument(
        "--mapeo",
        metavar="M",
        help="CSV pregunta,dimension[,invertida] para respuestas de formularios (se guarda y se "
        "reutiliza en las próximas cargas del mismo instrumento)",
    )
    parser.add_argument("--rbd", type=int, help="RBD cuando el archivo no trae la columna rbd")
    parser.add_argument(
        "--actor", help="quién carga (por omisión el usuario del sistema)", default=None
    )
    parser.add_argument(
        "--ola", metavar="O", help="ola de una encuesta: línea base, intermedia, final o una fecha"
    )
    parser.add_argument("--hoja", help="hoja del libro Excel (por omisión la primera o «datos»)")
    parser.add_argument("--instrumento", help="nombre del instrumento de una encuesta")
    parser.add_argument(
        "--respondentes",
        choices=("docente", "estudiante", "apoderado", "directivo"),
        help="quiénes respondieron un formulario (por omisión docente)",
    )
    parser.add_argument(
        "--simular",
        action="store_true",
        help="valida y muestra qué pasaría, sin guardar nada",
    )
    parser.add_argument(
        "--informe",
        metavar="CARPETA",
        help="guarda en esta carpeta un informe Excel de cada archivo con errores o avisos",
    )


PERMISSION = "can_upload"


def _actor(args: argparse.Namespace) -> str:
    """Who imports: the --usuario account; else --actor; else ``cli:<os user>``."""
    access = access_of(args)
    if access.role is None and getattr(args, "actor", None):
        return str(args.actor)
    return access.actor


def _write_report(folder: str, name: str, report: Report) -> Path:
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    suffix = "errores" if not report.ok else "avisos"
    target = out / f"{Path(name).stem}_{suffix}.xlsx"
    target.write_bytes(report.to_xlsx())
    return target


def _in_upload_order(args: argparse.Namespace) -> list[str]:
    """The files, those that others point at first (schools, communities, teachers): a file
    may name what an earlier one of the same command brings."""
    paths = list(args.archivos)
    if len(paths) < 2:
        return paths
    kinds: list[str | None] = []
    for path in paths:
        try:
            kinds.append(detect(path, kind=args.tipo, sheet=args.hoja).kind)
        except TableroError:
            kinds.append(None)  # refused with its message when its turn comes
    return [paths[i] for i in upload_order(kinds)]


def run(args: argparse.Namespace, store: Store, scope: Scope) -> int:
    mapping = read_mapping(args.mapeo) if args.mapeo else None
    actor = _actor(args)
    refused = 0
    upload = Pending()
    for path in _in_upload_order(args):
        name = Path(path).name
        try:
            result = import_file(
                store,
                path,
                kind=args.tipo,
                mapping=mapping,
                rbd=args.rbd,
                actor=actor,
                wave=args.ola,
                sheet=args.hoja,
                instrument=args.instrumento,
                respondent_kind=args.respondentes,
                dry_run=args.simular,
                scope=scope,
                upload=upload,
            )
        except RefusedFileError as exc:
            refused += 1
            report = exc.report
            print(f"RECHAZADO: {shown(report.summary())}", file=sys.stderr)
            for note in report.notes:
                print(f"  {shown(note)}", file=sys.stderr)
            for line in report.lines():
                print(f"  {shown(line)}", file=sys.stderr)
            if args.informe:
                target = _write_report(args.informe, name, report)
                print(f"  Informe: {shown(target)}", file=sys.stderr)
            continue
        except TableroError as exc:
            refused += 1
            print(f"RECHAZADO: {terminal_lines(exc.message)}", file=sys.stderr)
            continue
        print(shown(result.summary()))
        for note in result.report.notes:
            print(f"  {shown(note)}")
        for line in result.report.lines(limit=10):
            print(f"  {shown(line)}")
        if args.informe and result.report.warning_count:
            print(f"  Informe: {shown(_write_report(args.informe, name, result.report))}")
    if refused:
        print(
            f"{refused} de {len(args.archivos)} archivo(s) rechazado(s); no se guardó nada de "
            "ellos.",
            file=sys.stderr,
        )
        return 2
    return 0
