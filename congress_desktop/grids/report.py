"""Printing the grids: 网格化履职名册 (A4 landscape) and 代表公示牌 (A4 portrait, one per grid, large type).

The use cases (``print_grid_roster``, ``print_grid_boards``) read the roster through ``grids.service``;
the renderers take ``grids.rows.RosterGrid`` rows (``.grid`` a GridRow, ``.members`` RosterMember rows).
The service never imports this module."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import (
    CondPageBreak,
    Flowable,
    KeepInFrame,
    KeepTogether,
    PageBreak,
    Spacer,
    Table,
    TableStyle,
)

from congress_desktop.core import pdf as layout
from congress_desktop.core.context import Context, never_cancel, no_progress
from congress_desktop.core.errors import InvalidInput
from congress_desktop.core.pdf import Cancel, Progress
from congress_desktop.grids import service
from congress_desktop.grids.rows import RosterGrid
from congress_desktop.grids.rules import ROLE_LEAD

ROSTER_TITLE = "网格化履职名册"
BOARD_TITLE = "人大代表联系网格公示牌"

ROSTER_HEADER = ("序号", "网格编号", "网格名称", "户数", "网格员", "网格员电话", "代表姓名", "代表层级", "角色",
                 "联系电话", "联系户数", "入格日期")
_ROSTER_WIDTHS_MM = (10, 31, 30, 13, 17, 25, 19, 27, 18, 25, 15, None)
_ROSTER_ALIGN = ("center", "center", "left", "center", "center", "center", "center", "center", "center",
                 "center", "center", "center")
_GRID_COLS = 6  # columns 0-5 describe the grid and span its deputies' rows
_GRID_FILL = colors.HexColor("#F4F4F4")
_EMPTY_TEXT = "（暂无代表）"

# What a deputy in a grid does for the residents (printed on every board).
BOARD_DUTIES = (
    "联系本网格群众，定期入户走访，听取意见建议；",
    "收集、反映群众的困难和诉求，及时报告镇人大并跟踪办理；",
    "宣传党的方针政策和法律法规，带头参与基层治理；",
    "协助化解矛盾纠纷，帮助解决群众急难愁盼问题，接受群众监督。",
)


def _village_groups(grids: Sequence[RosterGrid]) -> list[tuple[str, list[RosterGrid]]]:
    groups: dict[str, list[RosterGrid]] = {}
    for rg in grids:
        groups.setdefault(rg.grid.village_name or "未填村(社区)", []).append(rg)
    return list(groups.items())


def _village_table(name: str, grids: Sequence[RosterGrid], start: int, widths: list[float]) -> tuple[Table, list]:
    rows: list[list[object]] = []
    style: list[tuple] = []
    printed = []
    y = 1  # row 0 is the column header
    for k, rg in enumerate(grids):
        g = rg.grid
        head: list[object] = [str(start + k), g.code, g.name, str(g.households or ""), g.worker_name, g.worker_phone]
        members = rg.members or ()
        first = y
        if not members:
            rows.append(head + [_EMPTY_TEXT, "", "", "", "", ""])
            style.append(("SPAN", (_GRID_COLS, y), (-1, y)))
            y += 1
        for i, m in enumerate(members):
            rows.append((head if i == 0 else [""] * _GRID_COLS)
                        + [m.name, m.levels_label, m.role, m.mobile, str(m.households or ""), m.start_on])
            y += 1
        last = y - 1
        if last > first:
            for col in range(_GRID_COLS):
                style.append(("SPAN", (col, first), (col, last)))
        if k % 2 == 1:
            style.append(("BACKGROUND", (0, first), (-1, last), _GRID_FILL))
        printed.append([g.code, g.name, g.worker_name, g.worker_phone,
                        [[m.name, m.levels_label, m.role, m.mobile, m.households, m.start_on] for m in members]])
    deputies = sum(len(rg.members) for rg in grids)
    table = layout.data_table(ROSTER_HEADER, rows, widths, caption=f"{name}（{len(grids)} 个网格，{deputies} 名代表）",
                              align=_ROSTER_ALIGN, zebra=False, extra_style=style)
    table.spaceBefore = 5 * mm
    return table, printed


def _roster_summary(grids: Sequence[RosterGrid], unplaced: Sequence[tuple[str, str]], width: float,
                    town: bool) -> list[Flowable]:
    st = layout.styles()
    placed = sum(len(rg.members) for rg in grids)
    empty = sum(1 for rg in grids if not rg.members)
    leads = sum(1 for rg in grids for m in rg.members if m.role == ROLE_LEAD)
    header = ["网格数", "入格代表", "其中责任代表", "协助代表", "无代表网格"]
    values = [len(grids), placed, leads, placed - leads, empty]
    if town:
        header.append("未入格代表")
        values.append(len(unplaced))
    widths = layout.scale_widths([1] * len(header), min(width, len(header) * 28 * mm))
    block: list[Flowable] = [layout.para("汇总", st.heading),
                             layout.data_table(header, [[str(v) for v in values]], widths,
                                               align=["center"] * len(header), zebra=False)]
    if town and unplaced:
        names = "、".join(f"{n}（{v}）" if v else n for n, v in unplaced)
        block += [Spacer(1, 2 * mm), layout.para(f"未入格代表：{names}", st.body)]
    block += [Spacer(1, 1.5 * mm),
              layout.para("注：代表层级中“乡镇”为乡镇人大代表，“县市”为县（市、区）人大代表，“地市”为设区的市人大代表；"
                          "联系户数未填写的，按网格户数由网格内代表平均联系。", st.small),
              layout.signature_block(["填表人", "审核人"], width=width)]
    return [KeepTogether(block)]


@dataclass(frozen=True)
class RosterDoc:
    """What a 网格化履职名册 shows: the roster of day ``on``, of the town or of one village."""

    office_name: str
    grids: Sequence[RosterGrid]
    on: str
    village_name: str | None = None                 # None: the whole town
    unplaced: Sequence[tuple[str, str]] = ()        # (deputy, village) not yet in a grid (town only)


def render_grid_roster(path: str | Path, doc: RosterDoc, *, generated_at: dt.datetime | None = None,
                       progress: Progress | None = None, cancel: Cancel | None = None) -> int:
    """网格化履职名册 on A4 landscape: one table per village (grid, 网格员, deputies with level, role
    and phone), a summary, and for the town the deputies not yet in a grid. Returns the page count."""
    office_name, grids, on, village_name, unplaced = doc.office_name, doc.grids, doc.on, doc.village_name, doc.unplaced
    title = f"{village_name}{ROSTER_TITLE}" if village_name else ROSTER_TITLE
    width = layout.frame_width(landscape=True)
    fixed = sum(w for w in _ROSTER_WIDTHS_MM if w) * mm
    widths = [w * mm if w else width - fixed for w in _ROSTER_WIDTHS_MM]
    story: list[Flowable] = layout.title_block(
        title, f"{office_name} · {village_name or '全镇'} · {on} 在任入格代表")
    printed = []
    n = 1
    for name, members in _village_groups(grids):
        story.append(CondPageBreak(40 * mm))  # a village heading never sits alone at the foot of a page
        table, rows = _village_table(name, members, n, widths)
        n += len(members)
        story.append(table)
        printed.append([name, rows])
    if not grids:
        story.append(layout.para("尚未登记网格。", layout.styles().body))
    story += _roster_summary(grids, unplaced, width, town=village_name is None)
    return layout.build_pdf(
        path, title, story, office_name=office_name, landscape=True,
        content={"kind": "grid_roster", "office": office_name, "on": on, "village": village_name or "",
                 "grids": printed, "unplaced": [list(u) for u in unplaced]},
        subject="网格化履职名册", generated_at=generated_at, progress=progress, cancel=cancel)


# --- 代表公示牌 ---------------------------------------------------------------------------------------

def _board_styles() -> dict[str, ParagraphStyle]:
    font = layout.register_font()

    def make(name: str, size: float, leading: float, **kw) -> ParagraphStyle:
        kw.setdefault("textColor", layout.INK)
        kw.setdefault("alignment", TA_CENTER)
        return ParagraphStyle(name, fontName=font, fontSize=size, leading=leading, wordWrap="CJK", **kw)

    red = colors.HexColor("#B3261E")
    return {
        "title": make("board-title", 34, 44, textColor=red),
        "grid": make("board-grid", 30, 38),
        "facts": make("board-facts", 14, 20, textColor=layout.GREY),
        "head": make("board-head", 16, 20),
        "name": make("board-name", 34, 42),
        "role": make("board-role", 20, 26),
        "level": make("board-level", 12, 16, textColor=layout.GREY),
        "phone": make("board-phone", 26, 32),
        "section": make("board-section", 20, 28, alignment=0),
        "duty": make("board-duty", 16, 26, alignment=0),
        "worker": make("board-worker", 20, 28),
        "foot": make("board-foot", 15, 22),
        "empty": make("board-empty", 22, 30, textColor=red),
    }


def _board(rg: RosterGrid, office_name: str, on: str, st: dict[str, ParagraphStyle], width: float) -> list[Flowable]:
    g = rg.grid
    p = layout.para
    facts = [f"网格编号 {g.code}"]
    if g.households:
        facts.append(f"{g.households} 户")
    if g.population:
        facts.append(f"{g.population} 人")
    out: list[Flowable] = [p(BOARD_TITLE, st["title"]), Spacer(1, 4 * mm), p(g.village_name, st["grid"]),
                           p(g.name, st["grid"]), Spacer(1, 1 * mm), p(" · ".join(facts), st["facts"]),
                           Spacer(1, 7 * mm)]
    if rg.members:
        widths = layout.scale_widths([48, 62, 70], width)
        data: list[list[object]] = [[p(h, st["head"]) for h in ("代表姓名", "职责", "联系电话")]]
        for m in rg.members:
            data.append([p(m.name, st["name"]), [p(m.role, st["role"]), p(m.levels_full, st["level"])],
                         p(m.mobile or "—", st["phone"])])
        table = Table(data, colWidths=widths, hAlign="CENTER")
        table.setStyle(TableStyle([
            ("FONTNAME", (0, 0), (-1, -1), layout.register_font()),
            ("GRID", (0, 0), (-1, -1), 0.8, layout.RULE),
            ("BOX", (0, 0), (-1, -1), 1.8, layout.INK),
            ("BACKGROUND", (0, 0), (-1, 0), layout.HEADER_FILL),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ("TOPPADDING", (0, 1), (-1, -1), 6 * mm),
            ("BOTTOMPADDING", (0, 1), (-1, -1), 6 * mm),
            ("TOPPADDING", (0, 0), (-1, 0), 2 * mm),
            ("BOTTOMPADDING", (0, 0), (-1, 0), 3 * mm),
        ]))
        out.append(table)
    else:
        out.append(p("本网格暂未安排代表，有事请联系镇人大。", st["empty"]))
    if g.worker_name or g.worker_phone:
        out += [Spacer(1, 6 * mm), p(f"网格员：{g.worker_name}　电话：{g.worker_phone or '—'}", st["worker"])]
    duties: list[Flowable] = [p("代表为您做什么", st["section"]), Spacer(1, 2 * mm)]
    duties += [p(f"{i}. {text}", st["duty"]) for i, text in enumerate(BOARD_DUTIES, start=1)]
    box = Table([[duties]], colWidths=[width], hAlign="CENTER")
    box.setStyle(TableStyle([("FONTNAME", (0, 0), (-1, -1), layout.register_font()),
                             ("BOX", (0, 0), (-1, -1), 1.2, layout.RULE),
                             ("LEFTPADDING", (0, 0), (-1, -1), 7 * mm), ("RIGHTPADDING", (0, 0), (-1, -1), 7 * mm),
                             ("TOPPADDING", (0, 0), (-1, -1), 5 * mm), ("BOTTOMPADDING", (0, 0), (-1, -1), 6 * mm)]))
    out += [Spacer(1, 8 * mm), box, Spacer(1, 8 * mm),
            p("有事找代表，代表在身边。欢迎随时联系本网格的人大代表。", st["foot"]),
            p(f"{office_name}　{on[:4]}年{int(on[5:7])}月", st["foot"])]
    return out


def render_grid_boards(path: str | Path, office_name: str, grids: Sequence[RosterGrid], on: str, *,
                       generated_at: dt.datetime | None = None, progress: Progress | None = None,
                       cancel: Cancel | None = None) -> int:
    """代表公示牌: one A4 portrait page per grid, in type large enough to read on a village notice
    board (names 34 pt, phones 26 pt). Each board is shrunk to its page if it would not fit."""
    st = _board_styles()
    width = layout.frame_width(False)
    height = layout.page_size(False)[1] - layout.MARGIN_TOP - layout.MARGIN_BOTTOM
    story: list[Flowable] = []
    printed = []
    for i, rg in enumerate(grids):
        if i:
            story.append(PageBreak())
        story.append(KeepInFrame(width, height - 2 * mm, _board(rg, office_name, on, st, width), mode="shrink"))
        printed.append([rg.grid.code, rg.grid.name, rg.grid.worker_name, rg.grid.worker_phone,
                        [[m.name, m.role, m.mobile] for m in rg.members]])
    if not grids:
        story.append(layout.para("尚未登记网格。", layout.styles().body))
    return layout.build_pdf(
        path, "代表公示牌", story, office_name=office_name,
        content={"kind": "grid_boards", "office": office_name, "on": on, "grids": printed},
        subject="人大代表联系网格公示牌", generated_at=generated_at, progress=progress, cancel=cancel)


# --- the use cases ----------------------------------------------------------------------------------

def print_grid_roster(ctx: Context, out: str | Path, *, village: str | None = None, on: object = None,
                      progress: Progress = no_progress, cancel: Cancel = never_cancel) -> int:
    """网格化履职名册 (A4 landscape) of the town, or of one village (code or name). Returns pages."""
    office = ctx.require_office()
    day = service.parse_day(on)
    vid = service.village_id_of(ctx, village)
    grids = service.roster_on(ctx, day, vid)
    report = service.check_grids(ctx, day)
    unplaced = [] if vid else [(i.deputy, i.village) for i in report.of_kind("unplaced")]
    scope = grids[0].grid.village_name if vid and grids else None
    if vid and not grids:
        raise InvalidInput("该村(社区)还没有网格")
    return render_grid_roster(out, RosterDoc(office.name, grids, day, scope, unplaced), progress=progress,
                              cancel=cancel)


def print_grid_boards(ctx: Context, out: str | Path, *, village: str | None = None, grid_id: str | None = None,
                      on: object = None, progress: Progress = no_progress, cancel: Cancel = never_cancel) -> int:
    """代表公示牌: one A4 portrait page per grid (all grids, one village's, or one grid), in one file."""
    office = ctx.require_office()
    day = service.parse_day(on)
    grids = service.roster_on(ctx, day, service.village_id_of(ctx, village))
    if grid_id:
        grids = [g for g in grids if g.grid.id == grid_id]
    if not grids:
        raise InvalidInput("没有可打印的网格")
    return render_grid_boards(out, office.name, grids, day, progress=progress, cancel=cancel)
