"""The PowerPoint as LibreOffice draws it: one PNG per slide kind under tests/artifacts/pack/.

Needs LibreOffice Impress and poppler (Debian: ``apt-get install libreoffice-impress
poppler-utils``; ``.ci/run`` installs them, so CI runs it); skipped when they are missing. The
images are there to be looked at: a deck that opens in an office suite and reads from the back
of a room. Slides are drawn for a 1920×1080 projector: a page renders at 144 px per inch to
exactly 1920×1080, and each chart sits on it at its own pixel size (its 22 px text shows at
22 px).
"""

from __future__ import annotations

import io
import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest
from PIL import Image
from pptx import Presentation
from pptx.enum.shapes import MSO_SHAPE_TYPE

from metrics.presentation.export.slides import CHART_SCALE, PIXELS_PER_INCH, pack_pptx
from metrics.presentation.packs import CHART_HEIGHT, CHART_WIDTH, SLIDE_PIXELS, build_pack
from metrics.scope import Scope
from metrics.store import open_store
from tablero_demo.demo import CASE_SCHOOL_RBD

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / "pack"
EMU_PER_INCH = 914400

pytestmark = pytest.mark.skipif(
    not (shutil.which("soffice") and shutil.which("pdftoppm")),
    reason="LibreOffice (soffice) y pdftoppm no están instalados",
)


def test_libreoffice_renders_every_slide(demo_db: Path, tmp_path: Path) -> None:
    with open_store(demo_db) as store:
        pack = build_pack(
            store, Scope.all(), rbd=CASE_SCHOOL_RBD, year=2025, cutoff=date(2025, 12, 31)
        )
    deck = tmp_path / "consejo.pptx"
    deck.write_bytes(pack_pptx(pack))
    profile = tmp_path / "perfil"
    subprocess.run(
        [
            "soffice",
            f"-env:UserInstallation=file://{profile}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            str(deck),
        ],
        check=True,
        capture_output=True,
        timeout=240,
    )
    pdf = tmp_path / "consejo.pdf"
    assert pdf.exists()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    seen: set[str] = set()
    for number, slide in enumerate(pack.slides, start=1):
        if slide.kind in seen:
            continue
        seen.add(slide.kind)
        stem = ARTIFACTS / f"{number:02d}_{slide.kind}"
        subprocess.run(
            [
                "pdftoppm",
                "-png",
                "-r",
                str(PIXELS_PER_INCH),
                "-singlefile",
                "-f",
                str(number),
                "-l",
                str(number),
                str(pdf),
                str(stem),
            ],
            check=True,
            capture_output=True,
            timeout=60,
        )
        image = stem.with_suffix(".png")
        assert image.stat().st_size > 20_000, image  # a drawn slide, not a blank page
        with Image.open(image) as drawn:
            # LibreOffice's PDF page is 960 pt wide give or take a rounding: ±1 px.
            assert drawn.size[0] == pytest.approx(SLIDE_PIXELS[0], abs=1), drawn.size
            assert drawn.size[1] == pytest.approx(SLIDE_PIXELS[1], abs=1), drawn.size
    assert seen == {s.kind for s in pack.slides}


def test_charts_sit_on_the_slide_at_their_own_size(demo_db: Path) -> None:
    """Each chart picture fills its box at 144 px per inch: as wide as CHART_WIDTH (the
    projector's pixels), never taller than CHART_HEIGHT, and never scaled down."""
    with open_store(demo_db) as store:
        pack = build_pack(
            store, Scope.all(), rbd=CASE_SCHOOL_RBD, year=2025, cutoff=date(2025, 12, 31)
        )
    deck = Presentation(io.BytesIO(pack_pptx(pack)))
    assert (deck.slide_width / EMU_PER_INCH * PIXELS_PER_INCH) == pytest.approx(SLIDE_PIXELS[0])
    assert (deck.slide_height / EMU_PER_INCH * PIXELS_PER_INCH) == pytest.approx(SLIDE_PIXELS[1])
    pictures = 0
    for slide, spec in zip(deck.slides, pack.slides, strict=True):
        for shape in slide.shapes:
            if shape.shape_type != MSO_SHAPE_TYPE.PICTURE:
                continue
            pictures += 1
            with Image.open(io.BytesIO(shape.image.blob)) as img:
                px_w, px_h = (v / CHART_SCALE for v in img.size)
            on_slide_w = shape.width / EMU_PER_INCH * PIXELS_PER_INCH
            on_slide_h = shape.height / EMU_PER_INCH * PIXELS_PER_INCH
            assert on_slide_w <= CHART_WIDTH + 1 and on_slide_h <= CHART_HEIGHT + 1, spec.title
            # At its own size: a stack of bullets (no fit-to-width in Vega-Lite) overflows its
            # width by its padding and is shrunk by under 2 %; the others are not shrunk.
            ratio = 0.98 if spec.kind == "antes" else 0.999
            assert on_slide_w >= px_w * ratio - 1 and on_slide_h >= px_h * ratio - 1, spec.title
            if spec.kind != "antes":  # single views are exactly as wide as their box
                assert px_w == pytest.approx(CHART_WIDTH, abs=1), spec.title
    assert pictures == sum(1 for s in pack.slides if s.chart is not None)
