"""Files people take away: chart images, data tables (CSV, XLSX) and, later, packs.

No Streamlit here; pages call these behind download buttons.
"""

from metrics.export.tables import (
    chart_png,
    frame_csv,
    frame_xlsx,
    looks_like_formula,
    neutralise_formulas,
    write_text_safely,
)

__all__ = [
    "chart_png",
    "frame_csv",
    "frame_xlsx",
    "looks_like_formula",
    "neutralise_formulas",
    "write_text_safely",
]
