"""A council pack as a PowerPoint deck (python-pptx) and as a PDF (fpdf2).

Both draw the same 16:9 page: the moment as a small kicker, the computed headline as the title,
the chart (rendered by vl-convert) on the left and two or three facts on the right, the source
under the chart and a footer with the school, the year and the slide number. In the PowerPoint
every text is an editable text box, the title is the slide's real title placeholder, and the
speaker notes hold the *ficha técnica* of the slide's indicators.

fpdf2 writes the PDF: pure Python (no system libraries, unlike WeasyPrint or a headless office
suite), it embeds TrueType fonts for Spanish and symbols (DejaVu Sans, shipped in ``fonts/``)
and PNG images, and it is actively maintained.
"""

from __future__ import annotations

import io
from concurrent.futures import ThreadPoolExecutor
from importlib import resources
from typing import Any

from metrics.presentation.export.tables import chart_png
from metrics.presentation.export.workbook import pack_xlsx
from metrics.presentation.packs import CHART_HEIGHT, CHART_WIDTH, SLIDE_PIXELS, Pack, Slide

# Page geometry in inches (16:9, PowerPoint's default widescreen), drawn for a 1920×1080
# projector: 144 pixels per inch, so that a chart of CHART_WIDTH × CHART_HEIGHT pixels sits on
# the slide at exactly its size and its 22 px text shows at 22 px.
PIXELS_PER_INCH = 144
PAGE_W, PAGE_H = SLIDE_PIXELS[0] / PIXELS_PER_INCH, SLIDE_PIXELS[1] / PIXELS_PER_INCH
MARGIN = 0.5
TITLE_TOP, TITLE_H = 0.75, 1.35
BODY_TOP = 2.2
CHART_W, CHART_H = CHART_WIDTH / PIXELS_PER_INCH, CHART_HEIGHT / PIXELS_PER_INCH
CHART_SCALE = 2.0
"""Chart images at twice their pixels: sharp on a projector of twice the resolution too."""
FACTS_LEFT = MARGIN + CHART_W + 0.3
FACTS_W = PAGE_W - FACTS_LEFT - MARGIN

PRIMARY = (0x0B, 0x5C, 0x8C)
INK = (0x11, 0x18, 0x27)
GREY = (0x4B, 0x55, 0x63)
PANEL = (0xEE, 0xF2, 0xF6)

FONT_DIR = "fonts"
FONT_REGULAR = "DejaVuSans.ttf"
FONT_BOLD = "DejaVuSans-Bold.ttf"


def keep_units(text: str) -> str:
    """Glue units to their numbers so that a line never breaks between ``97,8`` and ``%``.

    >>> keep_units("de 94,0 % a 97,8 % (−3,8 pp)") == "de 94,0\u00a0% a 97,8\u00a0% (−3,8\u00a0pp)"
    True
    """
    return text.replace(" %", "\u00a0%").replace(" pp", "\u00a0pp")


def title_size(text: str) -> int:
    """Title points: as large as the headline's length allows (never under 22 pt).

    >>> title_size("Conclusiones"), title_size("x" * 200)
    (32, 22)
    """
    n = len(text)
    if n <= 70:
        return 32
    if n <= 110:
        return 28
    if n <= 150:
        return 24
    return 22


def footer_text(pack: Pack, number: int) -> str:
    return f"{pack.name} · {pack.year} · Tablero DPD · {number}/{len(pack.slides)}"


def render_charts(pack: Pack) -> list[bytes | None]:
    """Every slide's chart as a PNG (None for a slide without chart), two at a time."""

    def one(slide: Slide) -> bytes | None:
        return None if slide.chart is None else chart_png(slide.chart, scale=CHART_SCALE)

    with ThreadPoolExecutor(max_workers=2) as pool:
        return list(pool.map(one, pack.slides))


def _fit(png: bytes, max_w: float, max_h: float) -> tuple[float, float]:
    """Width and height (inches) of the image on the slide: its own size at
    :data:`PIXELS_PER_INCH` (a chart is drawn for its box), shrunk only to fit the box."""
    from PIL import Image

    with Image.open(io.BytesIO(png)) as img:
        px_w, px_h = img.size
    w, h = px_w / CHART_SCALE / PIXELS_PER_INCH, px_h / CHART_SCALE / PIXELS_PER_INCH
    ratio = min(1.0, max_w / w, max_h / h)
    return w * ratio, h * ratio


# -- PowerPoint -----------------------------------------------------------------------------


def _pptx_text(
    frame: Any, text: str, size: int, *, bold: bool = False, colour: tuple[int, int, int] = INK
) -> None:
    from pptx.dml.color import RGBColor
    from pptx.util import Pt

    frame.word_wrap = True
    para = frame.paragraphs[0]
    para.text = keep_units(text)
    for run in para.runs:
        run.font.size = Pt(size)
        run.font.bold = bold
        run.font.color.rgb = RGBColor(*colour)


def _pptx_box(slide: Any, left: float, top: float, width: float, height: float) -> Any:
    from pptx.util import Inches

    return slide.shapes.add_textbox(Inches(left), Inches(top), Inches(width), Inches(height))


def pack_pptx(pack: Pack) -> bytes:
    """The pack as a .pptx: one slide per pack slide, editable, with speaker notes."""
    from pptx import Presentation
    from pptx.dml.color import RGBColor
    from pptx.util import Inches, Pt

    images = render_charts(pack)
    prs = Presentation()
    prs.slide_width, prs.slide_height = Inches(PAGE_W), Inches(PAGE_H)
    prs.core_properties.title = pack.title
    prs.core_properties.author = "Tablero DPD"
    prs.core_properties.language = "es-CL"
    layout = prs.slide_layouts[5]  # "Title Only": a real title placeholder, nothing else
    for number, (spec, png) in enumerate(zip(pack.slides, images, strict=True), start=1):
        slide = prs.slides.add_slide(layout)
        cover = spec.kind == "portada"
        title = slide.shapes.title
        top = 2.4 if cover else TITLE_TOP
        title.left, title.top = Inches(MARGIN), Inches(top)
        title.width, title.height = (
            Inches(PAGE_W - 2 * MARGIN),
            Inches(TITLE_H + (0.6 if cover else 0)),
        )
        _pptx_text(title.text_frame, spec.title, 36 if cover else title_size(spec.title), bold=True)
        title.text_frame.paragraphs[0].alignment = 1  # left
        _pptx_text(
            _pptx_box(slide, MARGIN, (1.7 if cover else 0.3), PAGE_W - 2 * MARGIN, 0.45).text_frame,
            spec.section.upper(),
            16,
            bold=True,
            colour=PRIMARY,
        )
        if cover:
            box = _pptx_box(slide, MARGIN, 4.6, PAGE_W - 2 * MARGIN, 2.0).text_frame
        elif png is not None:
            w, h = _fit(png, CHART_W, CHART_H)
            slide.shapes.add_picture(
                io.BytesIO(png), Inches(MARGIN), Inches(BODY_TOP), Inches(w), Inches(h)
            )
            if spec.caption:
                _pptx_text(
                    _pptx_box(slide, MARGIN, BODY_TOP + h + 0.05, CHART_W, 0.5).text_frame,
                    spec.caption,
                    11,
                    colour=GREY,
                )
            panel = slide.shapes.add_shape(
                1, Inches(FACTS_LEFT), Inches(BODY_TOP), Inches(FACTS_W), Inches(CHART_H)
            )
            panel.fill.solid()
            panel.fill.fore_color.rgb = RGBColor(*PANEL)
            panel.line.fill.background()
            box = _pptx_box(
                slide, FACTS_LEFT + 0.1, BODY_TOP + 0.1, FACTS_W - 0.2, CHART_H - 0.2
            ).text_frame
        else:
            box = _pptx_box(slide, MARGIN, BODY_TOP, PAGE_W - 2 * MARGIN, CHART_H).text_frame
        box.word_wrap = True
        size = 20 if cover else (18 if png is not None else 20)
        for i, fact in enumerate(spec.facts):
            para = box.paragraphs[0] if i == 0 else box.add_paragraph()
            para.text = keep_units(fact if cover else f"• {fact}")
            para.space_after = Pt(10)
            for run in para.runs:
                run.font.size = Pt(size)
                run.font.color.rgb = RGBColor(*INK)
        _pptx_text(
            _pptx_box(slide, MARGIN, PAGE_H - 0.45, PAGE_W - 2 * MARGIN, 0.35).text_frame,
            footer_text(pack, number),
            10,
            colour=GREY,
        )
        slide.notes_slide.notes_text_frame.text = spec.notes or spec.title
    out = io.BytesIO()
    prs.save(out)
    return out.getvalue()


# -- PDF ------------------------------------------------------------------------------------


def _font_path(name: str) -> str:
    return str(resources.files("metrics.presentation.export").joinpath(FONT_DIR, name))


def pack_pdf(pack: Pack) -> bytes:
    """The pack as a PDF, one 16:9 page per slide; text is real text (searchable, copyable)."""
    from fpdf import FPDF

    images = render_charts(pack)
    pdf = FPDF(orientation="landscape", unit="in", format=(PAGE_H, PAGE_W))
    pdf.set_auto_page_break(False)
    pdf.set_margins(MARGIN, MARGIN, MARGIN)
    pdf.add_font("DejaVu", "", _font_path(FONT_REGULAR))
    pdf.add_font("DejaVu", "B", _font_path(FONT_BOLD))
    pdf.set_title(pack.title)
    pdf.set_author("Tablero DPD")
    pdf.set_lang("es-CL")
    pt = 1 / 72  # inches per point

    def text(
        x: float,
        y: float,
        w: float,
        size: int,
        body: str,
        *,
        bold: bool = False,
        colour: tuple[int, int, int] = INK,
    ) -> float:
        pdf.set_font("DejaVu", "B" if bold else "", size)
        pdf.set_text_color(*colour)
        pdf.set_xy(x, y)
        pdf.multi_cell(
            w, size * pt * 1.25, keep_units(body), align="L", new_x="LMARGIN", new_y="NEXT"
        )
        return float(pdf.get_y())

    for number, (spec, png) in enumerate(zip(pack.slides, images, strict=True), start=1):
        pdf.add_page()
        cover = spec.kind == "portada"
        full = PAGE_W - 2 * MARGIN
        text(
            MARGIN, 1.7 if cover else 0.3, full, 16, spec.section.upper(), bold=True, colour=PRIMARY
        )
        text(
            MARGIN,
            2.4 if cover else TITLE_TOP,
            full,
            36 if cover else title_size(spec.title),
            spec.title,
            bold=True,
        )
        if cover:
            y = 4.6
            for fact in spec.facts:
                y = text(MARGIN, y, full, 20, fact) + 0.1
        elif png is not None:
            w, h = _fit(png, CHART_W, CHART_H)
            pdf.image(io.BytesIO(png), x=MARGIN, y=BODY_TOP, w=w, h=h)
            if spec.caption:
                text(MARGIN, BODY_TOP + h + 0.05, CHART_W, 11, spec.caption, colour=GREY)
            pdf.set_fill_color(*PANEL)
            pdf.rect(FACTS_LEFT, BODY_TOP, FACTS_W, CHART_H, style="F")
            y = BODY_TOP + 0.15
            for fact in spec.facts:
                y = text(FACTS_LEFT + 0.15, y, FACTS_W - 0.3, 18, f"• {fact}") + 0.12
        else:
            y = BODY_TOP
            for fact in spec.facts:
                y = text(MARGIN, y, full, 20, f"• {fact}") + 0.15
        text(MARGIN, PAGE_H - 0.45, full, 10, footer_text(pack, number), colour=GREY)
    return bytes(pdf.output())


PACK_FORMATS: dict[str, tuple[str, str]] = {
    "pptx": (
        "PowerPoint",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ),
    "pdf": ("PDF", "application/pdf"),
    "xlsx": ("Excel", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
}
"""Pack formats: label and MIME type."""


def render_pack(pack: Pack, fmt: str) -> bytes:
    """The pack as a file of format ``fmt`` (``pptx``, ``pdf`` or ``xlsx``)."""

    if fmt == "pptx":
        return pack_pptx(pack)
    if fmt == "pdf":
        return pack_pdf(pack)
    if fmt == "xlsx":
        return pack_xlsx(pack)
    raise ValueError(f"unknown pack format: {fmt}")
