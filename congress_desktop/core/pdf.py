"""The one ReportLab layout every printed document goes through.

A document is a list of flowables handed to :func:`build_pdf`, which adds the page frame (office name
and title at the top; generation time, 「第 x 页 / 共 y 页」 and a short fingerprint at the bottom),
embeds the bundled CJK font as a subset, and writes the file atomically.

The font is WenQuanYi Micro Hei from ``resources/fonts`` (TrueType outlines, so ReportLab can embed
and subset it). Never use the CID font STSong-Light: it is not embedded and prints as boxes or in a
substitute font on a PC without the Adobe Asian font pack."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import tempfile
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib.resources import as_file, files
from pathlib import Path
from typing import Required, TypedDict, Unpack
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.pagesizes import landscape as landscape_of
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas as rl_canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    KeepTogether,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from congress_desktop.core.errors import Cancelled, CongressError, os_error_text

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]  # (done, total)
Cancel = Callable[[], bool]           # True when the user asked to stop

FONT_NAME = "WenQuanYiMicroHei"
FONT_FILE = "wqy-microhei.ttc"

# Page geometry (points). The frame leaves room for the header and footer drawn by the canvas.
MARGIN_X = 15 * mm
MARGIN_TOP = 20 * mm
MARGIN_BOTTOM = 18 * mm
HEADER_Y = 11 * mm   # baseline of the header text, from the top edge
FOOTER_Y = 9 * mm    # baseline of the footer text, from the bottom edge

INK = colors.black
GREY = colors.HexColor("#555555")
RULE = colors.HexColor("#444444")
HEADER_FILL = colors.HexColor("#E6E6E6")
ZEBRA_FILL = colors.HexColor("#F4F4F4")

_font_lock = threading.Lock()


def register_font() -> str:
    """Register the bundled CJK font once (thread-safe, idempotent); returns its ReportLab name."""
    with _font_lock:
        if FONT_NAME in pdfmetrics.getRegisteredFontNames():
            return FONT_NAME
        ref = files("resources") / "fonts" / FONT_FILE
        # as_file gives a real path even from a zip; TTFont reads the whole file while constructing.
        with as_file(ref) as font_path:
            font = TTFont(FONT_NAME, str(font_path), subfontIndex=0)
        pdfmetrics.registerFont(font)
        # One face only: <b>/<i> in markup must not look for a missing bold file.
        pdfmetrics.registerFontFamily(FONT_NAME, normal=FONT_NAME, bold=FONT_NAME, italic=FONT_NAME,
                                      boldItalic=FONT_NAME)
        log.debug("registered font %s from %s", FONT_NAME, ref)
        return FONT_NAME


# --- text and styles -------------------------------------------------------------------------------

def markup(text: object) -> str:
    """Plain text -> Paragraph markup: XML-escaped, line breaks kept."""
    s = "" if text is None else str(text)
    return escape(s).replace("\r\n", "\n").replace("\n", "<br/>")


def para(text: object, style: ParagraphStyle) -> Paragraph:
    """A Paragraph of plain (not markup) text."""
    return Paragraph(markup(text), style)


@dataclass(frozen=True)
class Styles:
    title: ParagraphStyle
    subtitle: ParagraphStyle
    heading: ParagraphStyle
    body: ParagraphStyle
    small: ParagraphStyle
    cell: ParagraphStyle
    cell_center: ParagraphStyle
    cell_header: ParagraphStyle
    label: ParagraphStyle


_styles: Styles | None = None


def styles() -> Styles:
    """The Chinese paragraph styles every document uses (CJK line breaking everywhere)."""
    global _styles
    if _styles is None:
        font = register_font()

        def make(name: str, size: float, leading: float, **kw) -> ParagraphStyle:
            kw.setdefault("textColor", INK)
            return ParagraphStyle(name, fontName=font, fontSize=size, leading=leading, wordWrap="CJK", **kw)

        _styles = Styles(
            title=make("cd-title", 20, 28, alignment=TA_CENTER, spaceAfter=2 * mm),
            subtitle=make("cd-subtitle", 10.5, 15, alignment=TA_CENTER, textColor=GREY, spaceAfter=4 * mm),
            heading=make("cd-heading", 13, 18, spaceBefore=4 * mm, spaceAfter=2 * mm),
            body=make("cd-body", 10.5, 16),
            small=make("cd-small", 8.5, 12, textColor=GREY),
            cell=make("cd-cell", 9, 12),
            cell_center=make("cd-cell-center", 9, 12, alignment=TA_CENTER),
            cell_header=make("cd-cell-header", 9, 12, alignment=TA_CENTER),
            label=make("cd-label", 10.5, 14, alignment=TA_CENTER),
        )
    return _styles


def title_block(title: str, subtitle: str | None = None) -> list[Flowable]:
    """The big centred title at the top of the first page, with an optional grey line under it."""
    st = styles()
    out: list[Flowable] = [para(title, st.title)]
    if subtitle:
        out.append(para(subtitle, st.subtitle))
    else:
        out.append(Spacer(1, 3 * mm))
    return out


# --- tables ----------------------------------------------------------------------------------------

def page_size(landscape: bool = False) -> tuple[float, float]:
    return landscape_of(A4) if landscape else A4


def frame_width(landscape: bool = False) -> float:
    """Usable width between the margins, for column widths."""
    return page_size(landscape)[0] - 2 * MARGIN_X


def scale_widths(weights: Sequence[float], total: float) -> list[float]:
    """Relative column weights -> absolute widths summing to ``total``."""
    s = float(sum(weights))
    return [total * w / s for w in weights]


class TableLook(TypedDict, total=False):
    """data_table's options about how the table looks."""

    caption: str | None
    align: Sequence[str] | None
    zebra: bool
    style: ParagraphStyle | None
    extra_style: Sequence[tuple]


def data_table(header: Sequence[str], rows: Sequence[Sequence[object]], col_widths: Sequence[float],
               **look: Unpack[TableLook]) -> Table:
    """A grid table whose header row repeats on every page.

    ``rows`` hold plain values (str/int/None; a Flowable is used as it is). ``align`` gives per
    column "left" / "center" / "right" (default left). Every cell wraps (CJK line breaking).
    ``caption`` is a heading line above the header (e.g. 「六里坪村（共 18 人）」), repeated with the
    header on every page the table runs onto, so a continued table still says what it lists.
    ``extra_style`` commands count rows from the header (row 0), whether or not there is a caption."""
    caption, align, zebra = look.get("caption"), look.get("align"), look.get("zebra", True)
    style, extra_style = look.get("style"), look.get("extra_style", ())
    st = styles()
    base = style or st.cell
    aligned = {
        "left": base,
        "center": ParagraphStyle(base.name + "-c", parent=base, alignment=TA_CENTER),
        "right": ParagraphStyle(base.name + "-r", parent=base, alignment=TA_RIGHT),
    }
    col_styles = [aligned.get((align[i] if align and i < len(align) else "left"), base)
                  for i in range(len(header))]

    def cell(value: object, i: int) -> Flowable:
        return value if isinstance(value, Flowable) else para(value, col_styles[i])

    top = 1 if caption else 0  # table row of the column header
    data: list[list[Flowable | str]] = []
    if caption:
        data.append([para(caption, st.heading)] + [""] * (len(header) - 1))
    data.append([para(h, st.cell_header) for h in header])
    data += [[cell(v, i) for i, v in enumerate(r)] for r in rows]
    cmds: list[tuple] = [
        ("FONTNAME", (0, 0), (-1, -1), register_font()),
        ("GRID", (0, top), (-1, -1), 0.5, RULE),
        ("BOX", (0, top), (-1, -1), 0.9, INK),
        ("BACKGROUND", (0, top), (-1, top), HEADER_FILL),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 2.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
    ]
    if caption:
        cmds += [("SPAN", (0, 0), (-1, 0)), ("LEFTPADDING", (0, 0), (0, 0), 0),
                 ("TOPPADDING", (0, 0), (-1, 0), 0), ("BOTTOMPADDING", (0, 0), (-1, 0), 2 * mm)]
    if zebra and rows:
        cmds.append(("ROWBACKGROUNDS", (0, top + 1), (-1, -1), [colors.white, ZEBRA_FILL]))
    def shift(y: int) -> int:  # negative rows count from the end and need no shift
        return y + top if y >= 0 else y

    for name, (x0, y0), (x1, y1), *args in extra_style:
        cmds.append((name, (x0, shift(y0)), (x1, shift(y1)), *args))
    t = Table(data, colWidths=list(col_widths), repeatRows=top + 1, splitByRow=1, hAlign="LEFT")
    t.setStyle(TableStyle(cmds))
    return t


def signature_block(roles: Sequence[str], *, width: float | None = None, columns: int | None = None,
                    with_date: bool = True) -> Flowable:
    """Lines to sign on: 「监票人（签字）：＿＿＿＿  日期：　　年　　月　　日」, ``columns`` per row
    (default: as many as fit the width). Kept together so it never breaks across pages."""
    st = styles()
    font = register_font()
    roles = list(roles)
    width = width or frame_width(False)
    size = st.body.fontSize
    labels = [f"{r}（签字）：" for r in roles]
    label_w = max((pdfmetrics.stringWidth(t, font, size) for t in labels), default=0) + 4
    date_label = "　日期："  # the leading space keeps it clear of the signature line
    date_text = "　　年　　月　　日"
    date_w = (pdfmetrics.stringWidth(date_label, font, size) + 4,
              pdfmetrics.stringWidth(date_text, font, size) + 6) if with_date else ()
    min_sign, max_sign, gap = 30 * mm, 60 * mm, 8 * mm
    need = label_w + min_sign + sum(date_w) + gap
    if columns is None:
        columns = max(1, int((width + gap) // need))
    columns = max(1, min(columns, len(roles) or 1))
    cell_w = (width + gap) / columns
    sign_w = max(min_sign, min(max_sign, cell_w - gap - label_w - sum(date_w)))
    rest = max(2.0, cell_w - label_w - sign_w - sum(date_w))  # gap (or slack) after each role
    unit = [label_w, sign_w, *date_w, rest]
    per = len(unit)
    widths = unit * columns
    widths[-1] = max(0.0, widths[-1] - gap)  # no gap after the last column: stay inside the frame
    data: list[list[object]] = []
    cmds: list[tuple] = [
        ("FONTNAME", (0, 0), (-1, -1), font),
        ("FONTSIZE", (0, 0), (-1, -1), size),
        ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
        ("TOPPADDING", (0, 0), (-1, -1), 8 * mm),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
        ("LEFTPADDING", (0, 0), (-1, -1), 1),
        ("RIGHTPADDING", (0, 0), (-1, -1), 1),
    ]
    for r in range(0, len(roles), columns):
        row: list[object] = []
        y = len(data)
        for c in range(columns):
            i = r + c
            x0 = c * per
            if i < len(roles):
                # plain strings, not Paragraphs: the ideographic spaces of the date must stay
                row += [labels[i], ""]
                cmds.append(("LINEBELOW", (x0 + 1, y), (x0 + 1, y), 0.7, INK))
                if with_date:
                    row += [date_label, date_text]
                    cmds.append(("LINEBELOW", (x0 + 3, y), (x0 + 3, y), 0.7, INK))
            else:
                row += [""] * (per - 1)
            row.append("")
        data.append(row)
    t = Table(data, colWidths=widths, hAlign="LEFT")
    t.setStyle(TableStyle(cmds))
    return KeepTogether([Spacer(1, 2 * mm), t])


# --- fingerprint -----------------------------------------------------------------------------------

def fingerprint(content: object) -> str:
    """First 8 hex digits of SHA-256 over the document's data (bytes, str, or JSON-able values).

    Same data -> same fingerprint, whatever the print time, so two copies can be compared. Callers
    must pass what is printed, never secrets that are masked on paper (a full ID number could be
    brute-forced back from a short hash plus the printed fields)."""
    if isinstance(content, bytes):
        data = content
    elif isinstance(content, str):
        data = content.encode("utf-8")
    else:
        data = json.dumps(content, ensure_ascii=False, sort_keys=True, default=str,
                          separators=(",", ":")).encode("utf-8")
    return hashlib.sha256(data).hexdigest()[:8]


# --- page frame and build --------------------------------------------------------------------------

@dataclass(frozen=True)
class PageFrame:
    office_name: str
    title: str
    generated_at: dt.datetime
    fingerprint: str

    def draw(self, c: rl_canvas.Canvas, page: int, pages: int) -> None:
        width, height = c._pagesize
        font = register_font()
        c.saveState()
        c.setFillColor(GREY)
        c.setStrokeColor(GREY)
        c.setLineWidth(0.5)
        # header: office left, title right, a rule under it
        y = height - HEADER_Y
        c.setFont(font, 9)
        c.drawString(MARGIN_X, y, self.office_name)
        c.drawRightString(width - MARGIN_X, y, self.title)
        c.line(MARGIN_X, y - 2.2 * mm, width - MARGIN_X, y - 2.2 * mm)
        # footer: rule, then time left, page centre, fingerprint right
        y = FOOTER_Y
        c.line(MARGIN_X, y + 4 * mm, width - MARGIN_X, y + 4 * mm)
        c.setFont(font, 8.5)
        c.drawString(MARGIN_X, y, f"生成时间：{self.generated_at:%Y-%m-%d %H:%M}")
        c.drawCentredString(width / 2, y, f"第 {page} 页 / 共 {pages} 页")
        c.drawRightString(width - MARGIN_X, y, f"文档指纹：{self.fingerprint}")
        c.restoreState()


class _NumberedCanvas(rl_canvas.Canvas):
    """Holds pages back until the end so each can say 「共 y 页」 (one layout pass, not two)."""

    def __init__(self, *args, page_frame: PageFrame | None, **kwargs):
        super().__init__(*args, **kwargs)
        self._page_frame = page_frame
        self._held_pages: list[dict] = []

    def showPage(self):  # noqa: N802 (ReportLab's name)
        self._held_pages.append(dict(self.__dict__))
        self._startPage()

    def save(self):
        total = len(self._held_pages)
        for state in self._held_pages:
            self.__dict__.update(state)
            if self._page_frame is not None:  # None: a ballot, which must carry no page number
                self._page_frame.draw(self, self._pageNumber, total)
            super().showPage()
        self.page_count = total
        super().save()


class _Doc(BaseDocTemplate):
    def __init__(self, filename: str, *, cancel: Cancel | None, **kw):
        super().__init__(filename, **kw)
        self._cancel = cancel
        # no frame padding: tables are exactly frame_width() wide and line up with the header rule
        frame = Frame(self.leftMargin, self.bottomMargin, self.width, self.height, id="body",
                      leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0)
        self.addPageTemplates([PageTemplate(id="page", frames=[frame])])

    def afterPage(self):  # noqa: N802 (ReportLab's name)
        # a long table is one flowable; also look for a cancel at every page
        if self._cancel is not None and self._cancel():
            raise Cancelled()


class PageSetup(TypedDict, total=False):
    """build_pdf's options about the document (office_name and content are required)."""

    office_name: Required[str]
    content: Required[object]
    landscape: bool
    signatures: Sequence[str] | None
    subject: str
    generated_at: dt.datetime | None
    page_frame: bool


def build_pdf(path: str | Path, title: str, flowables: Sequence[Flowable], *,
              progress: Progress | None = None, cancel: Cancel | None = None,
              **setup: Unpack[PageSetup]) -> int:
    """Lay out ``flowables`` on A4 with the page frame and write ``path``; returns the page count.

    ``content`` is the document's data for the footer fingerprint (see :func:`fingerprint`).
    ``signatures`` appends a signature block (e.g. ["监票人", "计票人", "主持人"]) at the end; to
    keep it on a page with the last part of the document (never alone on a last page), put
    :func:`signature_block` into a ``KeepTogether`` with that part yourself, as the roster does.
    ``progress(done, total)`` counts flowables laid out; ``cancel()`` returning True raises
    :class:`Cancelled`. ``page_frame=False`` leaves out the header and footer (no page number, time or
    fingerprint): for 无记名 ballots, where every sheet must be identical. The PDF is written to a
    temporary file in the same folder and renamed, so a failure or a cancel never leaves a partial
    file under ``path``."""
    register_font()
    office_name, content = setup["office_name"], setup["content"]
    landscape, signatures = setup.get("landscape", False), setup.get("signatures")
    subject, generated_at = setup.get("subject", ""), setup.get("generated_at")
    page_frame = setup.get("page_frame", True)
    path = Path(path)
    story = list(flowables)
    if signatures:
        story.append(signature_block(signatures, width=frame_width(landscape)))
    total = len(story)
    frame = PageFrame(office_name=office_name, title=title,
                      generated_at=(generated_at or dt.datetime.now()).replace(microsecond=0),
                      fingerprint=fingerprint(content))

    def check_cancel() -> None:
        if cancel is not None and cancel():
            raise Cancelled()

    check_cancel()
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".pdf.tmp", dir=path.parent)
        os.close(fd)
    except OSError as e:
        raise CongressError(f"无法在“{path.parent}”中写入文件：{os_error_text(e)}", code="write_failed") from e
    tmp = Path(tmp_name)
    try:
        doc = _Doc(str(tmp), cancel=cancel, pagesize=page_size(landscape), leftMargin=MARGIN_X,
                   rightMargin=MARGIN_X, topMargin=MARGIN_TOP, bottomMargin=MARGIN_BOTTOM, title=title,
                   author=office_name, subject=subject or title, creator="乡镇人大工作台",
                   initialFontName=FONT_NAME, initialFontSize=10)

        def on_progress(kind: str, value: int) -> None:
            if kind == "PROGRESS":
                check_cancel()
                if progress is not None:
                    progress(min(value, total), total)

        doc.setProgressCallBack(on_progress)
        canvases: list[_NumberedCanvas] = []

        def make_canvas(*args, **kwargs):
            c = _NumberedCanvas(*args, page_frame=frame if page_frame else None, **kwargs)
            canvases.append(c)
            return c

        doc.build(story, canvasmaker=make_canvas)
        check_cancel()
        page_count = int(getattr(canvases[-1], "page_count", None) or doc.page)
        try:
            os.replace(tmp, path)
        except PermissionError as e:
            raise CongressError(f"无法写入“{path.name}”：文件可能正被 PDF 阅读器或打印程序打开，请关闭后重试",
                                code="file_locked") from e
        except OSError as e:
            raise CongressError(f"无法写入“{path}”：{os_error_text(e)}", code="write_failed") from e
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    if progress is not None:
        progress(total, total)
    log.info("wrote %s (%d pages, fingerprint %s)", path, page_count, frame.fingerprint)
    return page_count


__all__ = [
    "FONT_NAME", "Cancel", "PageFrame", "Progress", "Styles", "build_pdf", "data_table", "fingerprint",
    "frame_width", "markup", "page_size", "para", "register_font", "scale_widths", "signature_block",
    "styles", "title_block",
]
