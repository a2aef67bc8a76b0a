"""`python -m metrics.cli`: the same as the `tablero` command."""

from metrics.cli import run

run()
