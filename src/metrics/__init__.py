"""Tablero DPD core."""
