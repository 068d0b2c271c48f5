"""接待登记表 (one visit), 意见建议交办单 with its tear-off 回执 (one opinion), and 办理情况汇总表 (a
period, by state, category and unit). The print_* use cases read the records
through the services and render them; the render_* functions take the rows (visits/rows.py) only."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Spacer, Table, TableStyle

from congress_desktop.core import pdf as layout
from congress_desktop.core.context import Cancel, Context, Progress, never_cancel, no_progress
from congress_desktop.core.idcard import mask_id_number
from congress_desktop.visits.opinion_rules import REPLY_KINDS
from congress_desktop.visits.opinion_rules import opinion_number as referral_number
from congress_desktop.visits.opinions import get_opinion, opinion_summary
from congress_desktop.visits.service import get_visit

if TYPE_CHECKING:
    from congress_desktop.visits.rows import OpinionDetail, OpinionSummary, SummaryLine, VisitDetail


def _form_table(rows: Sequence[Sequence[tuple[str, object]]], widths_mm: Sequence[float]) -> Table:
    """A bordered form: each row holds (label, value) pairs; a row with fewer pairs spans its last value."""
    st = layout.styles()
    value_st = ParagraphStyle("cd-form-value", parent=st.body, fontSize=10, leading=14)
    w = [x * mm for x in widths_mm]
    ncols = len(w)
    cmds: list[tuple] = [
        ("FONTNAME", (0, 0), (-1, -1), layout.register_font()),
        ("GRID", (0, 0), (-1, -1), 0.6, layout.RULE),
        ("BOX", (0, 0), (-1, -1), 1.1, layout.INK),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("LEFTPADDING", (0, 0), (-1, -1), 4),
        ("RIGHTPADDING", (0, 0), (-1, -1), 4),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
    ]
    data = []
    for y, pairs in enumerate(rows):
        row: list[object] = [""] * ncols
        x = 0
        for i, (label, value) in enumerate(pairs):
            row[x] = layout.para(label, st.label)
            cmds.append(("BACKGROUND", (x, y), (x, y), layout.HEADER_FILL))
            last = i == len(pairs) - 1
            x1 = ncols - 1 if last else x + 1
            row[x + 1] = value if isinstance(value, Flowable) else layout.para(value, value_st)
            if x1 > x + 1:
                cmds.append(("SPAN", (x + 1, y), (x1, y)))
            x = x1 + 1
        data.append(row)
    t = Table(data, colWidths=w, hAlign="CENTER")
    t.setStyle(TableStyle(cmds))
    return t


def _lines(text: str, n: int) -> str:
    """Text, or blank lines to write on by hand."""
    return text if text else "\n" * (n - 1)


# ================================================================== 接待登记表

def render_visit_form(path: str | Path, office_name: str, visit: VisitDetail, *,
                      generated_at: dt.datetime | None = None) -> int:
    """接待登记表 (A4 portrait): the visit, its visitors (ID numbers masked) and opinions, signatures."""
    st = layout.styles()
    r = visit.row
    when = r.visit_date + (f"  {r.time_label}" if r.time_label else "")
    head = _form_table([
        [("接待日期", when), ("接待形式", r.form)],
        [("接待地点", r.place_label), ("所在村(社区)", r.village_name)],
        [("接待代表", "、".join(r.deputy_names))],
        [("来访人数", f"{r.visitor_count} 人"), ("意见建议", f"{len(visit.opinions)} 条")],
    ], (28, 62, 28, 62))
    width = layout.frame_width(False)
    visitors = [[str(i + 1), v.name, v.phone, v.village_group, str(v.head_count), mask_id_number(v.id_number)]
                for i, v in enumerate(visit.visitors)]
    if not visitors:
        visitors = [["", "（无）", "", "", "", ""]]
    vt = layout.data_table(["序号", "姓名", "联系电话", "村民小组/住址", "人数", "身份证号"], visitors,
                           layout.scale_widths([8, 18, 24, 30, 8, 34], width),
                           align=["center", "center", "center", "left", "center", "center"])
    ops = []
    for i, o in enumerate(visit.opinions):
        if o.on_the_spot:
            handling = f"当场答复（{o.reply_kind}）：{o.reply_text}"
        elif o.unit_name:
            handling = f"{o.state}（{o.unit_name}，期限 {o.deadline}）"
        else:
            handling = o.state
        ops.append([str(i + 1), o.category, o.content, handling])
    if not ops:
        ops = [["", "", "本次接待未收到意见建议", ""]]
    ot = layout.data_table(["序号", "类别", "意见建议内容", "办理情况"], ops,
                           layout.scale_widths([8, 16, 60, 38], width), align=["center", "center", "left", "left"])
    story: list[Flowable] = [
        *layout.title_block("人大代表联系群众接待登记表", office_name),
        head,
        Spacer(1, 4 * mm),
        layout.para("来访群众", st.heading),
        vt,
        Spacer(1, 2 * mm),
        layout.para("意见建议", st.heading),
        ot,
    ]
    if r.note:
        story += [Spacer(1, 2 * mm), layout.para(f"备注：{r.note}", st.body)]
    # signature_block keeps itself together; wrapping it in another KeepTogether forces a page break
    story += [Spacer(1, 2 * mm), layout.para("注：身份证号已作脱敏处理。", st.small),
              layout.signature_block(["接待代表", "记录人"], width=width)]
    content = {"kind": "visit_form", "office": office_name, "visit": r.id, "version": r.version,
               "head": [when, r.form, r.place_label, r.village_name, list(r.deputy_names), r.visitor_count],
               "visitors": visitors, "opinions": ops, "note": r.note}
    return layout.build_pdf(path, "接待登记表", story, office_name=office_name, content=content,
                            subject=f"接待登记表 {r.visit_date} {r.place_label}", generated_at=generated_at)


# ================================================================== 意见建议交办单 + 回执

REFERRAL_NOTE = ("请承办单位认真研究办理，办理前、办理中、办理后分别与代表和群众见面沟通（三个面对面），"
                 "于办理期限前将办理情况书面答复镇人大，并填写下方回执。")


def render_referral(path: str | Path, office_name: str, opinion: OpinionDetail, *,
                    generated_at: dt.datetime | None = None) -> int:
    """意见建议交办单 (A4 portrait, one page) with a tear-off 回执 below the cut line. Fields not yet
    known (an item printed before it was assigned) are left blank to fill in by hand."""
    st = layout.styles()
    o = opinion.row
    number = referral_number(o.seq, o.raised_on)
    raised = o.raised_by + (f"（{o.raised_phone}）" if o.raised_phone else "")
    slip = _form_table([
        [("编号", number), ("提出日期", o.raised_on)],
        [("来源", o.source), ("类别", o.category)],
        [("提出人", raised), ("所在村(社区)", o.village_name)],
        [("接待代表", "、".join(o.deputy_names))],
        [("意见建议内容", o.content)],
        [("承办单位", o.unit_name), ("协办单位", o.assist_units)],
        [("交办日期", o.assigned_on), ("办理期限", o.deadline + ("（复杂件）" if o.complex else ""))],
        [("办理要求", REFERRAL_NOTE)],
    ], (28, 62, 28, 62))
    # □ and ■ are in GB2312 and in the bundled font (☐, ☑ and ✂ are not)
    kinds = "    ".join("□" + k for k in REPLY_KINDS)
    cut = Table([["- - - - - - - - - - - - - - - - - - 沿此线剪开，回执由承办单位填写后交回 - - - - - - - - - - - - - - - - - -"]],
                colWidths=[layout.frame_width(False)])
    cut.setStyle(TableStyle([("FONTNAME", (0, 0), (-1, -1), layout.register_font()),
                             ("FONTSIZE", (0, 0), (-1, -1), 8.5), ("TEXTCOLOR", (0, 0), (-1, -1), layout.GREY),
                             ("ALIGN", (0, 0), (-1, -1), "CENTER")]))
    receipt = _form_table([
        [("编号", number), ("承办单位", o.unit_name)],
        [("意见建议", o.summary)],
        [("答复类型", kinds)],
        [("办理情况", _lines("", 5))],
        [("答复日期", "______年____月____日"), ("承办人", "")],
        [("群众评价", "□满意    □基本满意    □不满意")],
    ], (28, 62, 28, 62))
    story: list[Flowable] = [
        *layout.title_block("意见建议交办单", office_name),
        slip,
        layout.signature_block(["交办人"], width=layout.frame_width(False)),
        Spacer(1, 6 * mm),
        cut,
        Spacer(1, 3 * mm),
        layout.para("意见建议办理回执", ParagraphStyle("cd-receipt-title", parent=st.heading, alignment=1)),
        receipt,
        layout.signature_block(["承办单位负责人"], width=layout.frame_width(False)),
    ]
    content = {"kind": "referral", "office": office_name, "opinion": o.id, "version": o.version,
               "fields": [number, o.raised_on, o.source, o.category, raised, o.village_name, list(o.deputy_names),
                          o.content, o.unit_name, o.assist_units, o.assigned_on, o.deadline]}
    return layout.build_pdf(path, "意见建议交办单", story, office_name=office_name, content=content,
                            subject=f"意见建议交办单 {number}", generated_at=generated_at)


# ================================================================== 办理情况汇总表

def _pct(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.1f}%"


def _line_row(line: SummaryLine) -> list[str]:
    return [line.name, str(line.total), str(line.closed), str(line.open), str(line.overdue), str(line.returned),
            str(line.rated), str(line.satisfied), _pct(line.closed_rate), _pct(line.satisfaction_rate)]


LINE_HEADER = ["{what}", "件数", "已办结", "未办结", "超期", "退回重办", "已测评", "满意(含基本满意)", "办结率",
               "满意率"]


def period_label(date_from: str, date_to: str) -> str:
    if date_from and date_to:
        return f"{date_from} 至 {date_to}"
    if date_from:
        return f"{date_from} 以来"
    if date_to:
        return f"截至 {date_to}"
    return "全部时间"


def render_opinion_summary(path: str | Path, office_name: str, summary: OpinionSummary, *,
                           generated_at: dt.datetime | None = None, progress: layout.Progress | None = None,
                           cancel: layout.Cancel | None = None) -> int:
    """办理情况汇总表 (A4 landscape): totals, by state, by category, by unit, for opinions raised in the
    period; overdue counted on ``summary.today``."""
    st = layout.styles()
    width = layout.frame_width(True)
    t = summary.total
    period = period_label(summary.date_from, summary.date_to)
    overview = (f"本期共受理意见建议 {t.total} 件，已办结 {t.closed} 件，办结率 {_pct(t.closed_rate)}；"
                f"已测评 {t.rated} 件，满意（含基本满意）{t.satisfied} 件，满意率 {_pct(t.satisfaction_rate)}；"
                f"当场答复 {summary.on_the_spot} 件；截至 {summary.today} 超期未答复 {t.overdue} 件；"
                f"列入计划跟踪中 {summary.planned_open} 件；退回重办 {t.returned} 件。")
    state_header = [s for s, _ in summary.by_state] + ["合计"]
    state_row = [str(n) for _, n in summary.by_state] + [str(t.total)]
    rating_header = [r for r, _ in summary.by_rating]
    rating_row = [str(n) for _, n in summary.by_rating]
    weights = [26, 8, 8, 8, 8, 9, 8, 13, 9, 9]
    widths = layout.scale_widths(weights, width)
    align = ["left"] + ["center"] * 9

    def lines_table(what: str, lines: Sequence[SummaryLine]) -> Table:
        header = [h.format(what=what) for h in LINE_HEADER]
        rows = [_line_row(x) for x in lines] + [_line_row(t)]
        return layout.data_table(header, rows, widths, align=align,
                                 extra_style=[("BACKGROUND", (0, -1), (-1, -1), layout.HEADER_FILL)])

    story: list[Flowable] = [
        *layout.title_block("意见建议办理情况汇总表", f"{office_name} · {period}"),
        layout.para(overview, st.body),
        layout.para("一、按办理状态", st.heading),
        layout.data_table(state_header, [state_row], layout.scale_widths([1] * len(state_header),
                                                                          min(width, len(state_header) * 30 * mm)),
                          align=["center"] * len(state_header), zebra=False),
        Spacer(1, 2 * mm),
        layout.data_table(["测评：" + h for h in rating_header], [rating_row],
                          layout.scale_widths([1] * len(rating_header), min(width, len(rating_header) * 40 * mm)),
                          align=["center"] * len(rating_header), zebra=False),
        layout.para("二、按类别", st.heading),
        lines_table("类别", summary.by_category),
        layout.para("三、按承办单位", st.heading),
        lines_table("承办单位", summary.by_unit) if summary.by_unit else layout.para("本期没有交办的意见建议。", st.body),
        Spacer(1, 2 * mm),
        layout.para("注：办结率 = 已办结 ÷ 件数；满意率 = 满意（含基本满意）÷ 已测评；超期指已交办尚未答复且超过办理期限；"
                    "按承办单位统计不含未交办和当场答复的件。", st.small),
        layout.signature_block(["填表人", "审核人"], width=width),
    ]
    content = {"kind": "opinion_summary", "office": office_name, "period": period, "today": summary.today,
               "total": _line_row(t), "states": state_row, "ratings": rating_row,
               "categories": [_line_row(x) for x in summary.by_category],
               "units": [_line_row(x) for x in summary.by_unit]}
    return layout.build_pdf(path, "意见建议办理情况汇总表", story, office_name=office_name, landscape=True,
                            content=content, subject=f"意见建议办理情况汇总表 {period}", generated_at=generated_at,
                            progress=progress, cancel=cancel)


# ================================================================== the printing use cases

def print_visit_form(ctx: Context, visit_id: str, out: str | Path) -> int:
    """接待登记表 of one visit; returns the page count."""
    office = ctx.require_office()
    return render_visit_form(out, office.name, get_visit(ctx, visit_id))


def print_referral(ctx: Context, opinion_id: str, out: str | Path) -> int:
    """意见建议交办单 with its 回执; returns the page count."""
    office = ctx.require_office()
    return render_referral(out, office.name, get_opinion(ctx, opinion_id))


def print_opinion_summary(ctx: Context, out: str | Path, date_from: str = "", date_to: str = "", *,
                          today: dt.date | None = None, progress: Progress = no_progress,
                          cancel: Cancel = never_cancel) -> int:
    """办理情况汇总表 for opinions raised in the period."""
    office = ctx.require_office()
    return render_opinion_summary(out, office.name, opinion_summary(ctx, date_from, date_to, today=today),
                                  progress=progress, cancel=cancel)
