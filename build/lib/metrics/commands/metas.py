"""`tablero metas`: export and import targets (CSV), and show or set schools' baseline years.

The targets file has the columns ``indicador; alcance; alcance_id; meta; anio_limite; motivo``.
Export writes it for Excel in Chile (``;``, decimal comma, UTF-8 with BOM); import reads ``;`` or
``,`` separated files in UTF-8 (with or without BOM) or Windows-1252, with decimal comma or
point. An import is validated whole (every problem is reported, with its row and column as
Excel shows them) and written in one transaction as one import batch (kind ``metas``).
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import unicodedata
from pathlib import Path
from typing import TYPE_CHECKING

from metrics.commands import access_of
from metrics.errors import TableroError, UploadError
from metrics.formatting import format_number, terminal_text
from metrics.scope import Scope
from metrics.store import Store

if TYPE_CHECKING:  # imported when a command runs, so that `tablero` starts quickly
    import pandas as pd

NAME = "metas"
HELP = (
    "exporta e importa las metas (CSV) y muestra o fija el año de línea base de cada "
    "establecimiento"
)

_HEADER_ALIASES = {
    "indicador": "indicador",
    "codigo": "indicador",
    "alcance": "alcance",
    "alcance_id": "alcance_id",
    "id": "alcance_id",
    "meta": "meta",
    "anio_limite": "anio_limite",
    "ano_limite": "anio_limite",
    "anio": "anio_limite",
    "ano": "anio_limite",
    "motivo": "motivo",
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="accion", metavar="ACCIÓN", title="acciones")
    sub.required = True
    exp = sub.add_parser(
        "exportar",
        help="escribe las metas en un CSV para editarlas en Excel",
        description="Escribe las metas visibles en un CSV (separador «;», coma decimal, UTF-8).",
        add_help=False,
    )
    _help(exp)
    exp.add_argument("--salida", required=True, metavar="ARCHIVO.csv", help="archivo a escribir")
    imp = sub.add_parser(
        "importar",
        help="valida y guarda las metas de un CSV (una fila por indicador, alcance y año límite)",
        description=(
            "Valida y guarda las metas de un CSV con las columnas indicador, alcance, "
            "alcance_id, meta, anio_limite y motivo (opcional). Una fila reemplaza la meta del "
            "mismo indicador, alcance y año límite; una fila con la meta vacía la elimina. Si "
            "hay errores no se guarda nada."
        ),
        add_help=False,
    )
    _help(imp)
    imp.add_argument("archivo", metavar="ARCHIVO.csv", help="archivo de metas")
    base = sub.add_parser(
        "linea-base",
        help="muestra el año de línea base de cada establecimiento, o lo fija",
        description=(
            "Sin opciones, lista el año de línea base de cada establecimiento. Con --rbd y "
            "--anio lo fija; con --rbd y --por-omision vuelve al año anterior a su primera "
            "comunidad."
        ),
        add_help=False,
    )
    _help(base)
    base.add_argument("--rbd", type=int, help="RBD del establecimiento")
    group = base.add_mutually_exclusive_group()
    group.add_argument("--anio", type=int, metavar="A", help="año de línea base")
    group.add_argument(
        "--por-omision",
        action="store_true",
        help="vuelve al año anterior a la primera comunidad del establecimiento",
    )


def _help(parser: argparse.ArgumentParser) -> None:
    """Spanish help flag, unless the parser class (``metrics.cli``'s) already added it."""
    if "--ayuda" not in parser._option_string_actions:
        parser.add_argument(
            "-h",
            "--ayuda",
            action="help",
            default=argparse.SUPPRESS,
            help="muestra esta ayuda y termina",
        )


def required_permission(args: argparse.Namespace) -> str | None:
    """Importing targets and setting a baseline year change data; the rest only reads."""
    changes = args.accion == "importar" or (
        args.accion == "linea-base"
        and (getattr(args, "anio", None) is not None or getattr(args, "por_omision", False))
    )
    return "can_set_targets" if changes else None


def run(args: argparse.Namespace, store: Store, scope: Scope) -> int:
    if args.accion == "exportar":
        return _export(store, scope, Path(args.salida))
    if args.accion == "importar":
        return _import(store, scope, Path(args.archivo), access_of(args).actor)
    return _baseline(store, scope, args)


def _export(store: Store, scope: Scope, path: Path) -> int:
    from metrics.export import neutralise_formulas
    from metrics.indicators import export_targets

    df = export_targets(store, scope)
    buf = io.StringIO()
    neutralise_formulas(df).to_csv(buf, sep=";", decimal=",", index=False, lineterminator="\r\n")
    try:
        path.write_text(buf.getvalue(), encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise TableroError(
            f"No se pudo escribir {path}: {exc.strerror or exc}.", "No se pudo guardar"
        ) from exc
    print(f"Se exportaron {format_number(len(df))} metas a {path}.")
    return 0


def read_targets_file(path: Path) -> tuple[list[dict[str, str]], bytes]:
    """The rows of a targets CSV (headers normalised to :data:`TARGET_COLUMNS`) and its bytes."""
    from metrics.indicators import TARGET_COLUMNS

    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise UploadError(f"No se encontró el archivo {path}.") from None
    except OSError as exc:
        raise UploadError(f"No se pudo leer {path}: {exc.strerror or exc}.") from exc
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    if not text.strip():
        raise UploadError(f"El archivo {path} está vacío.")
    first = text.splitlines()[0]
    delimiter = ";" if first.count(";") >= first.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    header = [_normalise(h) for h in next(reader)]
    unknown = [h for h in header if h and h not in _HEADER_ALIASES]
    if unknown:
        raise UploadError(
            f"Columnas desconocidas en {path.name}: {', '.join(unknown)}. Use: "
            f"{', '.join(TARGET_COLUMNS)}."
        )
    names = [_HEADER_ALIASES.get(h, h) for h in header]
    rows = []
    for cells in reader:
        rec = {
            name: _unquote(cells[i]) if i < len(cells) else ""
            for i, name in enumerate(names)
            if name
        }
        rows.append(rec)
    if not rows:
        rows = [dict.fromkeys(names, "")]
    return rows, data


def _unquote(cell: str) -> str:
    """A cell as it was before :func:`metrics.export.neutralise_formulas` protected it: the
    ``'`` that export puts before ``=``, ``+``, ``-``, ``@`` goes, so export and import round
    trip.

    >>> _unquote("'=HYPERLINK(1)"), _unquote("'Lectura"), _unquote("-4,0")
    ('=HYPERLINK(1)', "'Lectura", '-4,0')
    """
    from metrics.export import looks_like_formula

    return cell[1:] if cell.startswith("'") and looks_like_formula(cell[1:]) else cell


def _normalise(header: str) -> str:
    text = unicodedata.normalize("NFKD", header.strip().lower())
    text = "".join(c for c in text if not unicodedata.combining(c))
    return text.replace(" ", "_")


def _import(store: Store, scope: Scope, path: Path, actor: str) -> int:
    from metrics.indicators import import_targets

    rows, data = read_targets_file(path)
    result = import_targets(
        store,
        scope,
        rows,
        file_name=path.name,
        file_hash=hashlib.sha256(data).hexdigest(),
        actor=actor,
    )
    print(
        f"Metas importadas desde {terminal_text(path.name)} (carga {result.batch_id}): "
        f"{format_number(result.written)} guardadas, {format_number(result.deleted)} eliminadas."
    )
    for warning in result.warnings:
        print(f"Advertencia: {terminal_text(warning)}.")
    return 0


def _baseline(store: Store, scope: Scope, args: argparse.Namespace) -> int:
    import pandas as pd

    from metrics.indicators import baseline_years, set_baseline_year

    if args.rbd is None:
        if args.anio is not None or args.por_omision:
            raise TableroError("Indique el establecimiento con --rbd.", "Falta el RBD")
        df = baseline_years(store, scope)
        if not len(df):
            print("No hay establecimientos en la base de datos.")
            return 0
        print(_baseline_table(df))
        return 0
    if args.anio is None and not args.por_omision:
        raise TableroError(
            "Indique el año con --anio, o --por-omision para volver al año anterior a la "
            "primera comunidad.",
            "Falta el año",
        )
    set_baseline_year(
        store,
        scope,
        args.rbd,
        None if args.por_omision else args.anio,
        actor=access_of(args).actor,
    )
    df = baseline_years(store, scope)
    row = df[df["rbd"] == args.rbd]
    year = row["anio_base"].iloc[0] if len(row) else None
    shown = (
        "provisional: el primer año con datos de cada indicador (no tiene comunidades)"
        if year is None or pd.isna(year)
        else str(int(year))
    )
    print(f"Línea base del establecimiento RBD {args.rbd}: {shown}.")
    return 0


def _baseline_table(df: pd.DataFrame) -> str:
    import pandas as pd

    lines = [("RBD", "Establecimiento", "Línea base", "Origen")]
    for rec in df.to_dict("records"):
        if not pd.isna(rec["anio_base_definido"]):
            origin = "definido"
        elif not pd.isna(rec["anio_base_por_omision"]):
            origin = "año anterior a la primera comunidad"
        else:
            origin = "provisional: primer año con datos de cada indicador"
        year = "–" if pd.isna(rec["anio_base"]) else str(int(rec["anio_base"]))
        lines.append((str(rec["rbd"]), terminal_text(rec["nombre"]), year, origin))
    widths = [max(len(r[i]) for r in lines) for i in range(4)]
    return "\n".join(
        "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in lines
    )
