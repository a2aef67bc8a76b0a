"""The council pack's charts as a 1920×1080 projector shows them: every text at least 18 px,
axis labels that never repeat, each chart inside its box on the slide."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
import vl_convert as vlc

from metrics.presentation.packs import (
    CHART_HEIGHT,
    CHART_WIDTH,
    SLIDE_FONT,
    Pack,
    build_pack,
)
from metrics.scope import Scope
from metrics.store import open_store
from tablero_demo.demo import CASE_SCHOOL_RBD
from tests.unit.test_charts import _axis_labels


@pytest.fixture(scope="module")
def pack(demo_db: Path) -> Pack:
    with open_store(demo_db) as store:
        return build_pack(
            store, Scope.all(), rbd=CASE_SCHOOL_RBD, year=2025, cutoff=date(2025, 12, 31)
        )


def test_slide_charts_are_sized_for_the_projector(pack: Pack) -> None:
    drawn = [s for s in pack.slides if s.chart is not None]
    assert {s.kind for s in drawn} >= {"modelo", "antes", "durante", "resultados", "impacto"}
    assert SLIDE_FONT >= 18
    for slide in drawn:
        svg = vlc.vegalite_to_svg(slide.chart.to_dict())  # type: ignore[union-attr]
        sizes = [float(v) for v in re.findall(r'font-size="([\d.]+)px"', svg)]
        assert sizes and min(sizes) >= 18, (slide.title, min(sizes))
        for labels in _axis_labels(svg):
            shown = [t for t in labels if t]
            assert len(shown) == len(set(shown)), (slide.title, shown)
        width, height = (
            float(v)
            for v in re.search(r'<svg[^>]*width="([\d.]+)" height="([\d.]+)"', svg).groups()  # type: ignore[union-attr]
        )
        assert height <= CHART_HEIGHT, (slide.title, height)
        if slide.kind != "antes":
            assert width == CHART_WIDTH, (slide.title, width)
        else:  # a stack of bullets: its rows are the chart's width, plus their padding
            assert CHART_WIDTH <= width <= CHART_WIDTH + 16, width


def test_impact_slides_fill_their_chart_height(pack: Pack) -> None:
    """A yearly series fills the height under the headline (it used to fill a third)."""
    impact = [s for s in pack.slides if s.kind == "impacto"]
    assert impact
    for slide in impact:
        svg = vlc.vegalite_to_svg(slide.chart.to_dict())  # type: ignore[union-attr]
        height = float(re.search(r'<svg[^>]*height="([\d.]+)"', svg)[1])  # type: ignore[index]
        assert height >= 0.85 * CHART_HEIGHT, (slide.title, height)
