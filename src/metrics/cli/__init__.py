"""The `tablero` command: Spanish subcommands over the store.

Commands live in :mod:`metrics.cli.common`; this module parses arguments (with Spanish help and
errors), resolves ``--db``, opens the store and turns every :class:`TableroError` into a Spanish
message and a non-zero exit, never a traceback.

Text that came from people (file names, names, cell values) is printed through
:func:`metrics.formatting.terminal_text`, so it never acts on the terminal; on a terminal, the
standard output and error also pass through :class:`TerminalGuard`, so that nothing a command
prints (a CSV or JSON on the screen included) can carry an escape sequence to it.
"""

from __future__ import annotations

import argparse
import importlib
import os
import re
import signal
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from types import ModuleType
from typing import Any, TextIO

from metrics.access import Access, access_for, cli_actor
from metrics.cli.common import (
    COMMAND_MODULES,
    extra_command_modules,
    reads_only,
    required_permission,
    say_waiting,
)
from metrics.config import resolve_db_path
from metrics.errors import TableroError
from metrics.formatting import terminal_lines, terminal_text
from metrics.ingest.readers import sweep_work_folders
from metrics.store import open_store

EXIT_OK = 0
EXIT_ERROR = 2

# argparse writes its own words through gettext; these are the ones a user meets.
_ARGPARSE_ES = {
    "usage: ": "uso: ",
    "positional arguments": "argumentos",
    "options": "opciones",
    "show this help message and exit": "muestra esta ayuda y termina",
    "the following arguments are required: %s": "faltan estos argumentos: %s",
    "unrecognized arguments: %s": "argumentos no reconocidos: %s",
    "invalid choice: %(value)r (choose from %(choices)s)": (
        "opción no válida: %(value)r (elija entre %(choices)s)"
    ),
    "argument %(argument_name)s: %(message)s": "argumento %(argument_name)s: %(message)s",
    "expected one argument": "se esperaba un valor",
    "invalid %(type)s value: %(value)r": "valor no válido: %(value)r",
    "%(prog)s: error: %(message)s\n": "%(prog)s: error: %(message)s\n",
    "ambiguous option: %(option)s could match %(matches)s": (
        "opción ambigua: %(option)s puede ser %(matches)s"
    ),
}


def _translate(text: str) -> str:
    return _ARGPARSE_ES.get(text, text)


argparse._ = _translate  # type: ignore[attr-defined]


class _Parser(argparse.ArgumentParser):
    """ArgumentParser with Spanish help flag and errors that exit with code 2."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("add_help", False)
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.add_argument(
            "-h",
            "--ayuda",
            action="help",
            default=argparse.SUPPRESS,
            help="muestra esta ayuda y termina",
        )


_UNSAFE_ON_A_TERMINAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]|\r(?!\n)")


class TerminalGuard:
    """A text stream that shows a terminal's control characters instead of sending them: every
    C0 and C1 control but a line break and a tab (``\r`` only before ``\n``) is written as
    :func:`~metrics.formatting.terminal_text` writes it. Everything else is the wrapped
    stream's (``buffer`` too, for the binary template written to ``-``)."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        self._stream.write(_UNSAFE_ON_A_TERMINAL.sub(lambda m: terminal_text(m.group()), text))
        return len(text)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


@contextmanager
def _guarded_terminal() -> Iterator[None]:
    """Standard output and error through :class:`TerminalGuard` while they are terminals."""
    saved = sys.stdout, sys.stderr
    if _is_terminal(sys.stdout):
        sys.stdout = TerminalGuard(sys.stdout)
    if _is_terminal(sys.stderr):
        sys.stderr = TerminalGuard(sys.stderr)
    try:
        yield
    finally:
        sys.stdout, sys.stderr = saved


def _is_terminal(stream: TextIO) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # a closed or unusual stream
        return False


def _load_commands() -> list[ModuleType]:
    """The built-in command modules, then those other packages register (``tablero demo``)."""
    builtin = [importlib.import_module(f"metrics.cli.{name}") for name in COMMAND_MODULES]
    return builtin + extra_command_modules(taken=COMMAND_MODULES)


def _add_global_options(p: argparse.ArgumentParser, nested: bool = False) -> None:
    """--db and --usuario; a nested parser leaves the value its parent parsed alone."""
    default = {"default": argparse.SUPPRESS} if nested else {}
    p.add_argument(
        "--db",
        metavar="RUTA",
        help="archivo de base de datos (por omisión $TABLERO_DB o data/tablero.duckdb)",
        **default,  # type: ignore[arg-type]
    )
    p.add_argument(
        "--usuario",
        metavar="CORREO",
        help=(
            "actúa como esta cuenta: ve solo su alcance, con sus permisos, y queda como autor "
            "en el registro de auditoría (sin ella: acceso completo, como cli:<usuario del "
            "sistema>)"
        ),
        **default,  # type: ignore[arg-type]
    )


def build_parser() -> argparse.ArgumentParser:
    """The full parser: global options and one subparser per command module."""
    parser = _Parser(
        prog="tablero",
        description=(
            "Tablero DPD: evaluación del Modelo de trabajo colaborativo "
            "(comunidades de práctica docente)."
        ),
    )
    sub = parser.add_subparsers(dest="comando", metavar="COMANDO", title="comandos")
    sub.required = True
    for module in _load_commands():
        p = sub.add_parser(module.NAME, help=module.HELP, description=module.HELP)
        _add_global_options(p)
        module.add_arguments(p)
        # Global options also after an action (`tablero usuarios agregar X --db F`).
        for action in p._subparsers._group_actions if p._subparsers else ():
            for child in getattr(action, "choices", {}).values():
                _add_global_options(child, nested=True)
        p.set_defaults(_module=module)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run `tablero` with ``argv`` (default: the process arguments) and return the exit code."""
    with _guarded_terminal():
        return _main(argv)


def _main(argv: Sequence[str] | None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # help or a usage error: argparse already printed it
        return int(exc.code or 0)
    module: ModuleType = args._module
    with suppress(OSError, TableroError):  # what a killed import left (see ingest.readers)
        sweep_work_folders()
    path = resolve_db_path(args.db)
    try:
        opener = getattr(module, "open_for_command", None)
        store = (
            opener(path, args)
            if opener
            else open_store(path, read_only=reads_only(module, args), on_wait=say_waiting)
        )
        try:
            # Whoever runs the CLI holds the database file: without --usuario it acts with full
            # access. --usuario narrows what a command sees and may do (it restricts; it does
            # not authenticate).
            access = access_for(store, args.usuario) if args.usuario else Access.full(cli_actor())
            permission = required_permission(module, args)
            if permission is not None:
                access.require(permission)
            args._access = access
            return int(module.run(args, store, access.scope))
        finally:
            store.close()
    except TableroError as exc:
        print(f"Error: {terminal_text(exc.title)}. {terminal_lines(exc.message)}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("Interrumpido por el usuario.", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (`tablero indicadores | head`): nothing to tell it. Point stdout
        # at /dev/null so that flushing it at exit does not raise again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_ERROR
    except Exception as exc:
        print(
            f"Error inesperado ({type(exc).__name__}): {terminal_lines(exc)}. No se modificaron "
            "los datos que "
            "no se alcanzaron a guardar; informe este mensaje al equipo de soporte.",
            file=sys.stderr,
        )
        return EXIT_ERROR


def _exit_on_sigterm(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


def run() -> None:
    """Console-script entry point."""
    # SIGTERM (`kill`, a service stopping) unwinds like an error: an import under way rolls
    # back and removes its work files. What SIGKILL leaves, the next command removes.
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    sys.exit(main())


if __name__ == "__main__":
    run()
