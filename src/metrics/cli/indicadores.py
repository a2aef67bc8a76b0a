"""`tablero indicadores`: every indicator against its baseline and target, as JSON, CSV or a table.

Output formats (documented in the README, "Indicadores"):

- ``json`` (default): a list of records with the fields of
  :data:`metrics.engine.indicators.OUTPUT_COLUMNS`; numbers are plain JSON numbers (point decimal),
  missing values ``null``.
- ``csv``: for Excel in Chile — ``;`` separator, decimal comma, UTF-8 with BOM (so Excel detects
  the encoding), no thousands separator; ``concluyente`` and ``linea_base_provisional`` as
  ``sí``/``no``.
- ``tabla``: aligned text with es-CL numbers (``87,5 %``, ``−4,0 pp``), for reading.
"""

from __future__ import annotations

import argparse
import io
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from metrics.cli.common import prepare_indicators
from metrics.engine.catalog import INDICATORS, SCOPE_KINDS
from metrics.errors import TableroError
from metrics.formatting import format_number, format_percent, format_points, terminal_text
from metrics.scope import Scope
from metrics.store import Store

if TYPE_CHECKING:  # imported when a command runs, so that `tablero` starts quickly
    import pandas as pd

NAME = "indicadores"
HELP = (
    "calcula los indicadores de la guía por comunidad, establecimiento y territorio: valor, "
    "línea base, meta, cambio, avance y estado"
)
READS_ONLY = True

FORMATS = ("json", "csv", "tabla")
DECIMALS = 4
"""Decimals of the numbers in JSON and CSV (the table rounds to each indicator's own)."""


def _status_word(estado: str) -> str:
    """The status word of the pages (:mod:`metrics.presentation.status`), in lower case."""
    from metrics.presentation.status import status_label  # pandas: only when writing

    if estado == "suprimido":
        return "suprimido"
    label = status_label(estado)
    return label[0] + label[1:].lower()


def parse_date(text: str) -> date:
    """``AAAA-MM-DD`` for argparse, with a Spanish error."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"fecha no válida: «{text}»; use el formato AAAA-MM-DD (por ejemplo 2024-06-30)"
        ) from None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--alcance",
        choices=SCOPE_KINDS,
        help="solo este tipo de alcance (por omisión, los tres)",
    )
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--rbd",
        type=int,
        metavar="N",
        help="solo este establecimiento, sus comunidades y sus territorios (los valores son los "
        "mismos que sin --rbd: la supresión se decide sobre todo lo que el usuario ve)",
    )
    where.add_argument(
        "--territorio",
        metavar="ID",
        help="solo los establecimientos de este territorio (por ejemplo slep:90), sus "
        "comunidades y sus territorios",
    )
    parser.add_argument("--anio", type=int, metavar="A", help="solo los períodos de este año")
    parser.add_argument(
        "--corte",
        type=parse_date,
        metavar="AAAA-MM-DD",
        help="fecha de corte del cumplimiento del cronograma (por omisión, hoy; con --anio de "
        "un año pasado, el 31-12 de ese año)",
    )
    parser.add_argument(
        "--formato",
        choices=FORMATS,
        default="json",
        help="json (por omisión), csv (para Excel: «;», coma decimal, UTF-8 con BOM) o tabla",
    )
    parser.add_argument(
        "--indicador",
        action="append",
        metavar="CÓDIGO",
        help="solo este indicador (se puede repetir), por ejemplo tasa_reprobacion",
    )
    parser.add_argument(
        "--solo-anual",
        action="store_true",
        help="omite las filas mensuales (AAAA-MM) de los indicadores de durante y resultados",
    )
    parser.add_argument(
        "--salida",
        metavar="ARCHIVO",
        help="escribe el resultado en este archivo en vez de la pantalla",
    )


def run(args: argparse.Namespace, store: Store, scope: Scope) -> int:
    from metrics.engine.indicators import compute_indicators, engine_problems
    from metrics.engine.series import compute_series
    from metrics.selection import default_cutoff, schools_for

    rbds = schools_for(store, scope, rbd=args.rbd, territory_id=args.territorio)
    prepare_indicators(store)
    for problem in engine_problems(store):
        print(f"Aviso: {problem}", file=sys.stderr)
    df = compute_indicators(
        store,
        scope,
        alcance=args.alcance,
        rbds=rbds,
        anio=args.anio,
        corte=args.corte or default_cutoff(args.anio, date.today()),
        indicadores=[c for c in args.indicador if c in INDICATORS] if args.indicador else None,
        mensual=not args.solo_anual,
    )
    series = compute_series(
        store,
        scope,
        alcance=args.alcance,
        rbds=rbds,
        anio=args.anio,
        indicadores=args.indicador,
    )
    if args.indicador and not [c for c in args.indicador if c in INDICATORS]:
        df = df.iloc[:0]
    if args.salida:
        path = Path(args.salida)
        try:
            # utf-8-sig writes the BOM Excel needs (csv); json and tabla get none.
            encoding = "utf-8-sig" if args.formato == "csv" else "utf-8"
            with path.open("w", encoding=encoding, newline="") as fh:
                write(df, args.formato, fh, bom=False, series=series)
        except OSError as exc:
            raise TableroError(
                f"No se pudo escribir {path}: {exc.strerror or exc}.", "No se pudo guardar"
            ) from exc
        rows = len(df) + len(series)
        print(f"Se escribieron {format_number(rows)} filas en {path}.")
    else:
        write(df, args.formato, sys.stdout, bom=True, series=series)
    return 0


def write(
    df: pd.DataFrame,
    fmt: str,
    out: TextIO,
    *,
    bom: bool = True,
    series: pd.DataFrame | None = None,
) -> None:
    """Write the result records in ``fmt`` (json, csv or tabla) to ``out``; ``series``, the
    Agencia's results by series (:mod:`metrics.engine.series`), after them."""
    import pandas as pd

    extra = series if series is not None and len(series) else None
    if fmt == "json":
        text = to_json(df)
        if extra is not None:
            more = to_json(extra)
            text = more if text == "[]" else text[:-1] + "," + more[1:]
        out.write(text)
        out.write("\n")
    elif fmt == "csv":
        if bom:
            out.write("\ufeff")
        parts = [_plain(df)] if extra is None else [_plain(df), _plain(extra)]
        out.write(to_csv(pd.concat(parts, ignore_index=True) if len(parts) > 1 else df))
    else:
        if len(df) or extra is None:
            out.write(to_table(df))
        if extra is not None:
            out.write(("\n" if len(df) else "") + series_table(extra))


def to_json(df: pd.DataFrame) -> str:
    """A JSON list of records; numbers rounded to :data:`DECIMALS`, missing values null."""
    if not len(df):
        return "[]"
    text = _plain(df).to_json(orient="records", force_ascii=False, double_precision=DECIMALS)
    return str(text)


def to_csv(df: pd.DataFrame) -> str:
    """CSV as Excel in Chile opens it: ``;`` separator and decimal comma; text a spreadsheet
    would run as a formula (an id written ``=HYPERLINK(…)``) starts with ``'``."""
    from metrics.presentation.export import neutralise_formulas

    plain = _plain(df)
    floats = plain.select_dtypes(include="float").columns
    plain[floats] = plain[floats].round(DECIMALS)
    for flag in ("concluyente", "linea_base_provisional", "dd_concluyente", "consolidado"):
        if flag in plain:
            plain[flag] = plain[flag].map({True: "sí", False: "no"}).astype(object)
    buf = io.StringIO()
    neutralise_formulas(plain).to_csv(buf, sep=";", decimal=",", index=False, lineterminator="\r\n")
    return buf.getvalue()


def to_table(df: pd.DataFrame) -> str:
    """Aligned text for a terminal, numbers as people in Chile read them."""
    if not len(df):
        return "Sin resultados para esta selección.\n"
    headers = [
        "Indicador", "Alcance", "Id", "Período", "Valor", "n", "Línea base", "Meta",
        "Cambio", "Avance", "Estado",
    ]  # fmt: skip
    lines: list[list[str]] = []
    for rec in _plain(df).to_dict("records"):
        ind = INDICATORS[str(rec["indicador"])]
        unit, dec = ind.unit, ind.decimals
        lines.append(
            [
                ind.name,
                str(rec["alcance"]),
                terminal_text(rec["alcance_id"]),
                terminal_text(rec["periodo"]),
                "n < mín." if rec["estado"] == "suprimido" else _value(rec["valor"], unit, dec),
                "–" if _missing(rec["n"]) else format_number(int(rec["n"])),
                _value(rec["linea_base"], unit, dec)
                + (
                    f" ({rec['periodo_base']}"
                    + (", provisional)" if bool(rec.get("linea_base_provisional", False)) else ")")
                    if not _missing(rec["linea_base"])
                    else ""
                ),
                _value(rec["meta"], unit, dec)
                + (f" ({rec['anio_meta']})" if not _missing(rec["meta"]) else ""),
                _change(rec["cambio"], unit, dec),
                "–" if _missing(rec["progreso"]) else f"{format_number(rec['progreso'])} %",
                _status_word(str(rec["estado"])),
            ]
        )
    widths = [max(len(h), *(len(r[i]) for r in lines)) for i, h in enumerate(headers)]
    numeric = {4, 5, 6, 7, 8, 9}

    def fmt_row(cells: list[str]) -> str:
        return "  ".join(
            c.rjust(w) if i in numeric else c.ljust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    out = [fmt_row(headers), "  ".join("-" * w for w in widths)]
    out.extend(fmt_row(r) for r in lines)
    return "\n".join(out) + "\n"


def series_table(df: pd.DataFrame) -> str:
    """The Agencia's results by series as aligned text: the value, its change against the
    previous evaluation beside the Agencia's own, and the same-GSE difference."""
    from metrics.engine.catalog import SERIES_INDICATORS

    headers = [
        "Indicador", "Alcance", "Id", "Serie", "Período", "Valor", "n", "Línea base",
        "Cambio ant.", "Dif. Agencia", "Dif. mismo GSE", "Nota",
    ]  # fmt: skip
    lines: list[list[str]] = []
    for rec in _plain(df).to_dict("records"):
        ind = SERIES_INDICATORS[str(rec["indicador"])]
        unit, dec = ind.unit, ind.decimals
        lines.append(
            [
                ind.name,
                str(rec["alcance"]),
                terminal_text(rec["alcance_id"]),
                terminal_text(rec["serie"]),
                terminal_text(rec["periodo"]),
                _value(rec["valor"], unit, dec),
                "–" if _missing(rec["n"]) else format_number(int(rec["n"])),
                _value(rec["linea_base"], unit, dec)
                + (f" ({rec['periodo_base']})" if not _missing(rec["linea_base"]) else ""),
                _change(rec["cambio_anterior"], unit, dec)
                + (f" ({rec['periodo_anterior']})" if not _missing(rec["cambio_anterior"]) else ""),
                _change(rec["dif_agencia"], unit, dec) + _significance(rec["sig_agencia"]),
                _change(rec["dif_gse"], unit, dec) + _significance(rec["sig_gse"], gse=True),
                "" if _missing(rec["marca"]) else terminal_text(rec["marca"]),
            ]
        )
    widths = [max(len(h), *(len(r[i]) for r in lines)) for i, h in enumerate(headers)]
    numeric = {5, 6, 7, 8, 9, 10}

    def fmt_row(cells: list[str]) -> str:
        return "  ".join(
            c.rjust(w) if i in numeric else c.ljust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    out = [fmt_row(headers), "  ".join("-" * w for w in widths)]
    out.extend(fmt_row(r) for r in lines)
    return "\n".join(out) + "\n"


def _significance(sig: object, *, gse: bool = False) -> str:
    """The Agencia's significance code in words, short: of a change, or (``gse``) of the
    difference with schools of the same socioeconomic group."""
    if _missing(sig):
        return ""
    words = (
        {-1: " (bajo, signif.)", 0: " (similar)", 1: " (sobre, signif.)"}
        if gse
        else {-1: " (baja signif.)", 0: " (no signif.)", 1: " (alza signif.)"}
    )
    return words.get(int(sig), "")  # type: ignore[call-overload]


def _plain(df: pd.DataFrame) -> pd.DataFrame:
    """Categoricals as plain values (object), for writers."""
    import pandas as pd

    plain = df.copy()
    for col in plain.columns:
        if isinstance(plain[col].dtype, pd.CategoricalDtype):
            plain[col] = plain[col].astype(object)
    return plain


def _missing(value: object) -> bool:
    import pandas as pd

    if value is None or value is pd.NA:
        return True
    return isinstance(value, float) and value != value  # NaN


def _value(value: object, unit: str, decimals: int) -> str:
    if _missing(value):
        return "–"
    assert isinstance(value, int | float)
    if unit == "%":
        return format_percent(float(value), decimals)
    return format_number(float(value), decimals)


def _change(value: object, unit: str, decimals: int) -> str:
    if _missing(value):
        return "–"
    assert isinstance(value, int | float)
    if unit == "%":
        return format_points(float(value), decimals)
    sign = "+" if round(float(value), decimals) > 0 else ""
    return sign + format_number(float(value), decimals)
