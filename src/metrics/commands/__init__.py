"""The `tablero` subcommands, one module each.

A command module exposes ``NAME`` (Spanish), ``HELP`` (a Spanish one-liner),
``add_arguments(parser)`` and ``run(args, store, scope) -> int``. ``metrics.cli`` opens the
store (``--db``), builds the user's :class:`~metrics.access.Access` (``--usuario``), checks the
permission the command needs and turns :class:`~metrics.errors.TableroError` into a Spanish
message and exit code 2.

A command that only reads says so with ``READS_ONLY = True`` (or ``reads_only(args)``): it
opens the store shared, so that any number of them run together (see
:mod:`metrics.store.locking`).

A command that needs a permission says so with ``PERMISSION = "can_upload"`` (a name from
:data:`metrics.access.PERMISSIONS`) or, when it depends on the arguments, with
``required_permission(args) -> str | None``. Inside ``run``, :func:`access_of` gives the access
(its ``actor`` is who acts, for batches and the audit log).
"""

from __future__ import annotations

import argparse
from types import ModuleType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from metrics.access import Access
    from metrics.store import Store

COMMAND_MODULES: tuple[str, ...] = (
    "demo",
    "info",
    "importar",
    "plantilla",
    "cargas",
    "indicadores",
    "metas",
    "usuarios",
    "auditoria",
    "exportar",
    "respaldo",
    "servir",
)
"""Modules of this package that ``tablero`` offers, in the order its help lists them."""


def say_waiting() -> None:
    """What a command says when it waits for the database (stderr; stdout stays its output)."""
    import sys

    print(
        "Esperando la base de datos… (la está usando otro proceso: el tablero o una carga; "
        "continuará sola)",
        file=sys.stderr,
        flush=True,
    )


def reads_only(module: ModuleType, args: argparse.Namespace) -> bool:
    """Whether ``module`` only reads the store with these arguments: then it opens the file
    shared with other readers instead of waiting for it alone. A module says so with
    ``READS_ONLY = True`` or ``reads_only(args) -> bool``; by default a command may write."""
    fn = getattr(module, "reads_only", None)
    if fn is not None:
        return bool(fn(args))
    return bool(getattr(module, "READS_ONLY", False))


def required_permission(module: ModuleType, args: argparse.Namespace) -> str | None:
    """The permission ``module`` needs for these arguments (None: any signed-in user)."""
    fn = getattr(module, "required_permission", None)
    if fn is not None:
        return fn(args)
    return getattr(module, "PERMISSION", None)


def access_of(args: argparse.Namespace) -> Access:
    """The access ``metrics.cli`` attached to the arguments (full access when run directly)."""
    from metrics.access import Access, cli_actor

    access = getattr(args, "_access", None)
    return access if access is not None else Access.full(cli_actor())


def prepare_indicators(store: Store) -> None:
    """Rebuild the engine's facts if the data changed, saying so on stderr (seconds on a large
    store; stdout stays the command's output)."""
    import sys

    from metrics.indicators import facts_are_current, prepare_facts

    if not facts_are_current(store):
        print("Preparando los indicadores con los datos nuevos…", file=sys.stderr, flush=True)
        with store.writing():  # a reader waits for its turn to write them, then reads again
            prepare_facts(store)
