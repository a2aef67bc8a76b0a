"""The `tablero` subcommands, one module each.

A command module exposes ``NAME`` (Spanish), ``HELP`` (a Spanish one-liner),
``add_arguments(parser)`` and ``run(args, store, scope) -> int``. ``metrics.cli`` opens the
store (``--db``), builds the scope and turns :class:`~metrics.errors.TableroError` into a
Spanish message and exit code 2.
"""

COMMAND_MODULES: tuple[str, ...] = (
    "demo",
    "info",
    "importar",
    "plantilla",
    "cargas",
    "indicadores",
    "metas",
)
"""Modules of this package that ``tablero`` offers, in the order its help lists them."""
