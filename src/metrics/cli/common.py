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

Commands from outside the product: a module of another package registered in the entry-point
group :data:`ENTRY_POINT_GROUP` (``tablero.comandos``) of the installed metadata is offered too,
after the built-in ones (see :func:`extra_command_modules`). That is how ``tablero demo`` comes
from ``tablero_demo``, which the product must never import (an import-linter contract says so).
"""

from __future__ import annotations

import argparse
from collections.abc import Collection
from types import ModuleType
from typing import TYPE_CHECKING

from metrics.access import Access, cli_actor

if TYPE_CHECKING:
    from metrics.store import Store

COMMAND_MODULES: tuple[str, ...] = (
    "info",
    "importar",
    "plantilla",
    "cargas",
    "indicadores",
    "metas",
    "usuarios",
    "auditoria",
    "exportar",
    "exportar_datos",
    "respaldo",
    "servir",
)
"""Modules of this package that ``tablero`` offers, in the order its help lists them."""

ENTRY_POINT_GROUP = "tablero.comandos"
"""Entry-point group of commands that other packages add to ``tablero`` (``demo``)."""


def extra_command_modules(taken: Collection[str] = COMMAND_MODULES) -> list[ModuleType]:
    """The command modules registered in :data:`ENTRY_POINT_GROUP`, sorted by name.

    A name in ``taken`` (the built-in commands) is skipped: the built-in wins. A module that
    cannot be imported is left out with a Spanish note on stderr, so that a broken extra never
    stops the product's own commands.
    """
    import sys
    from importlib.metadata import entry_points

    modules: dict[str, ModuleType] = {}
    for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
        if ep.name in taken or ep.name in modules:
            continue
        try:
            module = ep.load()
        except Exception as exc:  # any failure of someone else's package: say it, go on
            print(
                f"Aviso: no se pudo cargar el comando «{ep.name}» ({ep.value}): {exc}",
                file=sys.stderr,
            )
            continue
        if isinstance(module, ModuleType):
            modules[ep.name] = module
    return list(modules.values())


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

    access = getattr(args, "_access", None)
    return access if access is not None else Access.full(cli_actor())


def prepare_indicators(store: Store) -> None:
    """Rebuild the engine's facts if the data changed, saying so on stderr (seconds on a large
    store; stdout stays the command's output)."""
    import sys

    from metrics.engine.indicators import facts_are_current, prepare_facts

    if not facts_are_current(store):
        print("Preparando los indicadores con los datos nuevos…", file=sys.stderr, flush=True)
        with store.writing():  # a reader waits for its turn to write them, then reads again
            prepare_facts(store)
