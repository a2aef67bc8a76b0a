"""The PowerPoint as LibreOffice draws it: one PNG per slide kind under tests/artifacts/pack/.

Needs LibreOffice Impress and poppler (Debian: ``apt-get install libreoffice-impress
poppler-utils``); skipped when they are missing. The images are there to be looked at: a deck
that opens in an office suite and reads from the back of a room.
"""

from __future__ import annotations

import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest

from metrics.presentation.export.slides import pack_pptx
from metrics.presentation.packs import build_pack
from metrics.scope import Scope
from metrics.store import open_store
from tablero_demo.demo import CASE_SCHOOL_RBD

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / "pack"

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
                "96",
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
    assert seen == {s.kind for s in pack.slides}
