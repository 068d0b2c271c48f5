"""Checks on generated PDFs, shared by the tests: text back out (pypdf), fonts embedded, pages rendered
(pypdfium2). Import as ``from tests.pdfcheck import pdf_text, ...``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pypdf
import pypdfium2 as pdfium

DARK = 128  # grey level below which a pixel counts as ink


def pdf_pages_text(path: str | Path) -> list[str]:
    """The text of each page, in order."""
    reader = pypdf.PdfReader(str(path))
    return [page.extract_text() or "" for page in reader.pages]


def pdf_text(path: str | Path) -> str:
    """All the text of the document, pages separated by a form feed."""
    return "\f".join(pdf_pages_text(path))


def page_count(path: str | Path) -> int:
    return len(pypdf.PdfReader(str(path)).pages)


def _resources_fonts(resources) -> Iterator[pypdf.generic.DictionaryObject]:
    """Every font dictionary reachable from a resource dictionary, form XObjects included."""
    if not resources:
        return
    resources = resources.get_object()
    fonts = resources.get("/Font")
    if fonts:
        for ref in fonts.get_object().values():
            yield ref.get_object()
    xobjects = resources.get("/XObject")
    if xobjects:
        for ref in xobjects.get_object().values():
            xo = ref.get_object()
            if xo.get("/Subtype") == "/Form":
                yield from _resources_fonts(xo.get("/Resources"))


def pdf_fonts(path: str | Path) -> list[dict]:
    """One entry per distinct font used on any page: base font name, subtype, embedded file kind."""
    reader = pypdf.PdfReader(str(path))
    seen: dict[int, dict] = {}
    for page in reader.pages:
        for font in _resources_fonts(page.get("/Resources")):
            if id(font) in seen:
                continue
            descriptor = font.get("/FontDescriptor")
            if font.get("/Subtype") == "/Type0":  # CID font: the descriptor is on the descendant
                descendant = font["/DescendantFonts"][0].get_object()
                descriptor = descendant.get("/FontDescriptor")
            descriptor = descriptor.get_object() if descriptor else {}
            kind = next((k for k in ("/FontFile2", "/FontFile", "/FontFile3") if k in descriptor), None)
            seen[id(font)] = {"base_font": str(font.get("/BaseFont", "")), "subtype": str(font.get("/Subtype")),
                              "file": kind}
    # the same font object may appear under several pages: keep one entry per base font + kind
    unique = {(f["base_font"], f["file"]): f for f in seen.values()}
    return list(unique.values())


def pdf_fonts_embedded(path: str | Path) -> bool:
    """True when the document uses at least one font and every font it uses is embedded."""
    fonts = pdf_fonts(path)
    return bool(fonts) and all(f["file"] for f in fonts)


def render_page(path: str | Path, page_index: int = 0, scale: float = 1.0):
    """A page as a PIL image (RGB)."""
    doc = pdfium.PdfDocument(str(path))
    try:
        return doc[page_index].render(scale=scale).to_pil().convert("RGB")
    finally:
        doc.close()


def render_page_png(path: str | Path, page_index: int, out_png: str | Path, scale: float = 1.5) -> Path:
    """Render a page to a PNG file for a look; returns the PNG's path."""
    out = Path(out_png)
    render_page(path, page_index, scale).save(out)
    return out


def dark_pixel_ratio(path: str | Path, page: int = 0) -> float:
    """Share of dark pixels on a page (0.0 for a blank page)."""
    grey = render_page(path, page, scale=0.75).convert("L")
    hist = grey.histogram()
    return sum(hist[:DARK]) / (grey.width * grey.height)
