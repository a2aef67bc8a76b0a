"""Demonstration data for Tablero DPD: the demo SLEP and the national-scale store.

This package sits beside :mod:`metrics` in the same distribution and may import it; the
product (``metrics.*``) never imports this package (an import-linter contract in
``pyproject.toml`` enforces it). ``tablero demo`` reaches it through the ``tablero.comandos``
entry-point group (see :mod:`tablero_demo.command`).
"""
