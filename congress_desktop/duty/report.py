"""代表履职档案 (one deputy, one period) and 代表履职情况通报 (every deputy, one period), with charts drawn
by ReportLab's own graphics (bar charts in a Drawing, labels in the bundled CJK font), the evaluation
table as .xlsx, and the printing use cases (evaluate, then render). The rows come from duty.rows."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path

from reportlab.graphics.charts.barcharts import HorizontalBarChart, VerticalBarChart
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, Spacer, Table, TableStyle

from congress_desktop.core import pdf as layout
from congress_desktop.core.context import Context, check_cancel, never_cancel, no_progress
from congress_desktop.core.pdf import Cancel, Progress
from congress_desktop.deputies.rules import IN_OFFICE
from congress_desktop.duty import rules as ev
from congress_desktop.duty.evaluation import duty_file, evaluate
from congress_desktop.duty.rows import DutyFile, Evaluation

BAR = colors.HexColor("#3B6EA5")
BAR_MINUS = colors.HexColor("#B3261E")
AXIS = colors.HexColor("#666666")


# ================================================================== charts

def _month_label(month: str, many_years: bool) -> str:
    return f"{month[2:4]}年{int(month[5:])}月" if many_years else f"{int(month[5:])}月"


def month_chart(monthly: Sequence[tuple[str, int]], width: float, height: float, title: str) -> Drawing:
    """Activity per month as vertical bars, the count above each bar."""
    font = layout.register_font()
    many_years = len({m[:4] for m, _ in monthly}) > 1
    names = [_month_label(m, many_years) for m, _ in monthly]
    values = [n for _, n in monthly] or [0]
    d = Drawing(width, height, initialFontName=font, initialFontSize=8)
    d.add(String(width / 2, height - 11, title, fontName=font, fontSize=9.5, textAnchor="middle"))
    c = VerticalBarChart()
    c.x, c.y = 28, 26
    c.width, c.height = width - 40, height - 50
    c.data = [values]
    c.categoryAxis.categoryNames = names or [""]
    c.categoryAxis.labels.fontName = font
    c.categoryAxis.labels.fontSize = 7 if len(names) > 6 else 8
    c.categoryAxis.labels.boxAnchor = "n"
    c.categoryAxis.strokeColor = AXIS
    c.valueAxis.labels.fontName = font
    c.valueAxis.labels.fontSize = 7
    c.valueAxis.valueMin = 0
    top = max(values)
    c.valueAxis.valueMax = max(4, int(top * 1.2) + 1)
    c.valueAxis.valueStep = max(1, round(c.valueAxis.valueMax / 4))
    c.valueAxis.strokeColor = AXIS
    c.bars[0].fillColor = BAR
    c.bars[0].strokeColor = None
    c.barLabelFormat = "%d"
    c.barLabels.fontName = font
    c.barLabels.fontSize = 7
    c.barLabels.nudge = 6
    d.add(c)
    return d


def items_chart(items: Sequence[tuple[str, Decimal]], width: float, title: str) -> Drawing:
    """Points by item as horizontal bars (deductions to the left, in red), first item on top."""
    font = layout.register_font()
    rows = list(items) or [("", Decimal(0))]
    bar_h = 11
    height = 34 + bar_h * len(rows)
    d = Drawing(width, height, initialFontName=font, initialFontSize=8)
    d.add(String(width / 2, height - 11, title, fontName=font, fontSize=9.5, textAnchor="middle"))
    c = HorizontalBarChart()
    c.x, c.y = 82, 16
    c.width, c.height = width - 110, bar_h * len(rows)
    values = [float(v) for _, v in reversed(rows)]
    c.data = [values]
    c.categoryAxis.categoryNames = [label for label, _ in reversed(rows)]
    c.categoryAxis.labels.fontName = font
    c.categoryAxis.labels.fontSize = 7
    c.categoryAxis.labels.boxAnchor = "e"
    c.categoryAxis.strokeColor = AXIS
    c.categoryAxis.joinAxisMode = "left"  # labels at the left edge, clear of the deduction bars
    low, high = min(values + [0.0]), max(values + [0.0])
    span = (high - low) or 1.0
    c.valueAxis.valueMin = low - span * 0.15 if low < 0 else 0  # room for the label of a deduction
    c.valueAxis.valueMax = high + span * 0.15 if high > 0 else 1
    c.valueAxis.labels.fontName = font
    c.valueAxis.labels.fontSize = 7
    c.valueAxis.strokeColor = AXIS
    c.bars[0].fillColor = BAR
    c.bars[0].strokeColor = None
    for i, v in enumerate(values):
        if v < 0:
            c.bars[(0, i)].fillColor = BAR_MINUS
    c.barLabelFormat = lambda v: ev.fmt(Decimal(str(v)).quantize(Decimal("0.01")))
    c.barLabels.fontName = font
    c.barLabels.fontSize = 7
    c.barLabels.boxAnchor = "w"
    c.barLabels.dx = 3
    d.add(c)
    return d


def _side_by_side(left: Flowable, right: Flowable, width: float) -> Table:
    t = Table([[left, right]], colWidths=[width / 2, width / 2], hAlign="LEFT")
    t.setStyle(TableStyle([("FONTNAME", (0, 0), (-1, -1), layout.register_font()),
                           ("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0),
                           ("RIGHTPADDING", (0, 0), (-1, -1), 0)]))
    return t


# ================================================================== the notice (履职情况通报)

def _small_cell_style() -> ParagraphStyle:
    st = layout.styles()
    return ParagraphStyle("cd-duty-cell", parent=st.cell, fontSize=7.5, leading=9.5)


def _flag_short(flags: Sequence[str]) -> str:
    short = {ev.FLAG_QUALIFICATION: "两次缺席", ev.FLAG_ABSENT: "缺席", ev.FLAG_NO_ACTIVITY: "无履职记录"}
    return "、".join(short.get(f, f.replace("考评等次为", "")) for f in flags)


def _rating_cell(rating) -> str:
    """选民测评 in the narrow column: the result, then the 称职 share on a line of its own (wrapped
    as one line, the number broke in the middle: 「称职 75.」「9%」)."""
    if rating is None:
        return ""
    return f"{rating.label}\n称职\u00a0{ev.percent(rating.result.competent_share)}"


def _notice_summary(e: Evaluation, st, width: float) -> list[Flowable]:
    """一、总体情况: who was evaluated, how active, the grades; the two charts."""
    statuses: dict[str, int] = {}
    for r in e.rows:
        statuses[r.status] = statuses.get(r.status, 0) + 1
    others = "，".join(f"{k} {n} 名" for k, n in statuses.items() if k != IN_OFFICE)
    total_acts = sum(n for _, n in e.monthly)
    grades = "、".join(f"{label} {n} 名" for label, n in e.grade_counts)
    busiest = sorted(((h.label, sum(r.items[i].count for r in e.rows)) for i, h in enumerate(e.items)
                      if ev.SOURCES.get(h.source) and ev.SOURCES[h.source].activity), key=lambda kv: -kv[1])
    busy_text = "，".join(f"{label} {n} 次" for label, n in busiest if n)
    lines = [f"本期参加考评的代表共 {len(e.rows)} 名" + (f"（其中{others}）" if others else "") + "。",
             f"代表履职活动共 {total_acts} 次" + (f"：{busy_text}" if busy_text else "") + "。",
             f"考评等次：{grades}。"]
    if e.remind:
        lines.append(f"需要提醒的代表 {len(e.remind)} 名，见第四部分。")
    return [layout.para("一、总体情况", st.heading), layout.para("".join(lines), st.body), Spacer(1, 2 * mm),
            _side_by_side(month_chart(e.monthly, width / 2 - 6, 62 * mm, "各月履职活动次数"),
                          items_chart(e.item_totals, width / 2 - 6, "各项积分合计（全体代表）"), width)]


def _scheme_text(e: Evaluation) -> str:
    scheme = e.scheme.scheme
    return ("计分办法：" + "；".join(f"{h.label}{h.rule}" for h in e.items)
            + f"；基础分 {ev.fmt(scheme.base)} 分"
            + (f"，满分 {ev.fmt(scheme.max_total)} 分" if scheme.max_total else "")
            + "。等次：" + "，".join(f"{b.label}（{ev.fmt(b.min_points)} 分及以上）" if b.min_points is not None
                                   else f"{b.label}（以下）" for b in scheme.bands) + "。")


def _notice_table(e: Evaluation, st, width: float) -> list[Flowable]:
    """二、积分表: every deputy, the points of every item, total, grade, rating, flags."""
    cell = _small_cell_style()
    fixed = ["名次", "姓名", "所在村(社区)"]
    tail = ["基础分", "总分", "等次", "选民测评", "提醒"]
    header = fixed + [h.label for h in e.items] + tail
    weights = [9, 15, 19] + [10] * len(e.items) + [10, 11, 11, 18, 19]
    rows = []
    for r in e.rows:
        rows.append([str(r.rank), r.name + ("" if r.status == IN_OFFICE else f"（{r.status}）"), r.village_name]
                    + [c.points for c in r.items]
                    + [r.base, r.total, r.grade, _rating_cell(r.rating), _flag_short(r.flags)])
    align = ["center", "left", "left"] + ["right"] * len(e.items) + ["right", "right", "center", "left", "left"]
    extra = []
    for y, r in enumerate(e.rows, start=1):
        if ev.FLAG_QUALIFICATION in r.flags:
            extra.append(("TEXTCOLOR", (0, y), (-1, y), BAR_MINUS))
    return [layout.para("二、代表履职积分", st.heading),
            layout.data_table(header, rows, layout.scale_widths(weights, width), align=align, style=cell,
                              extra_style=extra),
            Spacer(1, 1.5 * mm),
            layout.para(_scheme_text(e), st.small)]


def _notice_highlights(e: Evaluation, st) -> list[Flowable]:
    """三、表现突出."""
    highlights = []
    if e.excellent:
        names = "、".join(r.name for r in e.excellent[:20]) + ("等" if len(e.excellent) > 20 else "")
        highlights.append(f"考评等次为{e.excellent[0].grade}的代表（{len(e.excellent)} 名）：{names}。")
    for label, names, n in e.leaders():
        highlights.append(f"{label}最多：{names}（{n} 次）。")
    return [layout.para("三、表现突出的代表", st.heading), layout.para("\n".join(highlights) or "本期暂无。", st.body)]


def _notice_remind(e: Evaluation, st, width: float) -> list[Flowable]:
    """四、需提醒."""
    story = [layout.para("四、需要提醒的代表", st.heading)]
    if not e.remind:
        return [*story, layout.para("本期暂无。", st.body)]
    remind_rows = []
    for r in e.remind:
        notes = []
        if r.absences or r.absences_to_date:
            notes.append(f"本期人代会未请假缺席 {r.absences} 次，累计 {r.absences_to_date} 次")
        if not r.active:
            notes.append("未参加人代会、培训和各项活动，也没有接待、走访记录")
        remind_rows.append([r.name, r.village_name, "；".join(r.flags), "；".join(notes)])
    story.append(layout.data_table(["姓名", "所在村(社区)", "提醒事项", "说明"], remind_rows,
                                   layout.scale_widths([14, 20, 60, 60], width)))
    if any(ev.FLAG_QUALIFICATION in r.flags for r in e.remind):
        story.append(layout.para(f"注：{ev.LAW_NOTE}。请核实有关代表是否经过批准请假。", st.small))
    return story


def _notice_ratings(e: Evaluation, st, width: float) -> list[Flowable]:
    """五、选民测评 (only when some deputy was rated)."""
    rated = [(r, r.rating.result) for r in e.rows if r.rating]
    if not rated:
        return []
    rating_rows = [[r.name, r.village_name, str(res.total), ev.percent(res.competent_share),
                    ev.percent(res.basic_share), ev.percent(res.incompetent_share), res.label] for r, res in rated]
    return [layout.para("五、选民测评结果", st.heading),
            layout.data_table(["姓名", "所在村(社区)", "参加测评人数", "称职", "基本称职", "不称职", "测评结果"],
                              rating_rows, layout.scale_widths([14, 20, 14, 12, 12, 12, 14], width),
                              align=["left", "left", "right", "right", "right", "right", "center"]),
            layout.para("测评结果：" + ev.rating_rule(), st.small)]


def render_duty_notice(path: str | Path, office_name: str, evaluation: Evaluation, *,
                       generated_at: dt.datetime | None = None, progress: Progress | None = None,
                       cancel: Cancel | None = None) -> int:
    """履职情况通报 on A4 landscape. Returns the page count."""
    st = layout.styles()
    e = evaluation
    width = layout.frame_width(True)
    title = f"{e.title}代表履职情况通报"
    story: list[Flowable] = layout.title_block(
        title, f"统计期间：{e.date_from} 至 {e.date_to}　　{e.scheme_note}")
    story += _notice_summary(e, st, width)
    story += _notice_table(e, st, width)
    story += _notice_highlights(e, st)
    story += _notice_remind(e, st, width)
    story += _notice_ratings(e, st, width)
    if e.changed_since_close:
        story.append(Spacer(1, 2 * mm))
        story.append(layout.para("说明：本期关闭后，以下代表的有关记录有变动，得分与关闭时不同："
                                 + "；".join(e.changed_since_close) + "。", st.small))
    content = {"title": title, "from": e.date_from, "to": e.date_to, "scheme": e.scheme.number,
               "rows": [[r.rank, r.name, [c.points for c in r.items], r.total, r.grade, list(r.flags)] for r in e.rows]}
    return layout.build_pdf(path, title, story, office_name=office_name, content=content, landscape=True,
                            subject="代表履职情况通报", generated_at=generated_at, progress=progress, cancel=cancel)


# ================================================================== the duty file (履职档案)

def render_duty_file(path: str | Path, office_name: str, f: DutyFile, *, generated_at: dt.datetime | None = None,
                     progress: Progress | None = None, cancel: Cancel | None = None) -> int:
    """代表履职档案 on A4 portrait: who, the result, charts, points per item, every record. Returns pages."""
    st = layout.styles()
    width = layout.frame_width(False)
    d = f.deputy
    title = "代表履职档案"
    story: list[Flowable] = layout.title_block(title, f"{d.name}　　{f.period_name}（{f.date_from} 至 {f.date_to}）")
    grids = "；".join(f"{g.village_name} {g.grid_name}（{g.role}，{g.start_on} 起"
                     + (f"至 {g.end_on}" if g.end_on else "") + "）" for g in f.grids) or "未入格"
    info = [
        ["姓名", d.name, "性别", d.gender, "所在村(社区)", d.village_name],
        ["代表层级", d.levels_label, "代表小组", d.group_name, "状态", d.status + (f"（{d.status_date}）"
                                                                               if d.status_date else "")],
        ["联系电话", d.mobile or d.phone, "网格", grids, "", ""],
    ]
    cell = st.cell
    data = [[layout.para(v, st.cell_header if i % 2 == 0 else cell) for i, v in enumerate(row)] for row in info]
    t = Table(data, colWidths=layout.scale_widths([16, 22, 14, 30, 20, 28], width), hAlign="LEFT")
    t.setStyle(TableStyle([("FONTNAME", (0, 0), (-1, -1), layout.register_font()),
                           ("GRID", (0, 0), (-1, -1), 0.5, layout.RULE), ("BOX", (0, 0), (-1, -1), 0.9, layout.INK),
                           ("SPAN", (3, 2), (5, 2)), ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                           *[("BACKGROUND", (x, 0), (x, -1), layout.HEADER_FILL) for x in (0, 2, 4)]]))
    story.append(t)

    s = f.score
    story.append(layout.para("考评结果", st.heading))
    if s is not None:
        result = (f"总分 {s.total} 分（基础分 {s.base} 分），在 {f.evaluated} 名代表中列第 {s.rank} 名，"
                  f"等次：{s.grade}。按考评办法{f.scheme_label}计算。")
        if s.flags:
            result += "需要注意：" + "；".join(s.flags) + "。"
    else:
        result = "该代表不在本期考评范围内（本期之前已终止或暂停代表资格）。"
    if f.absences_to_date:
        result += f"截至本期末，人代会未请假缺席累计 {f.absences_to_date} 次。"
    if f.rating is not None:
        r = f.rating.result
        result += (f"选民测评：{r.label}（参加 {r.total} 人，称职 {ev.percent(r.competent_share)}，"
                   f"基本称职 {ev.percent(r.basic_share)}，不称职 {ev.percent(r.incompetent_share)}）。")
    story.append(layout.para(result, st.body))
    story.append(Spacer(1, 2 * mm))
    item_points = [(c.label, Decimal(c.points)) for c in s.items] if s is not None else []
    story.append(_side_by_side(month_chart(f.monthly, width / 2 - 6, 58 * mm, "各月履职活动次数"),
                               items_chart(item_points, width / 2 - 6, "各项得分"), width))

    if s is not None:
        rules = {src: label for src, label in f.item_labels}
        rows = [[c.label, str(c.count), c.points + ("（已达上限）" if c.capped else "")] for c in s.items
                if c.count or c.source in rules]
        story += [layout.para("积分明细", st.heading),
                  layout.data_table(["计分项目", "次数", "得分"], rows, layout.scale_widths([50, 15, 25], width),
                                    align=["left", "right", "right"])]

    story.append(layout.para("履职记录", st.heading))
    if f.entries:
        rows = [[e.ref.date, e.category, e.ref.title, e.ref.detail + (f"（单项 {e.ref.points} 分）" if e.ref.points
                                                                     else "")] for e in f.entries]
        story.append(layout.data_table(["日期", "类别", "事项", "情况"], rows,
                                       layout.scale_widths([14, 16, 50, 26], width)))
    else:
        story.append(layout.para("本期没有履职记录。", st.body))
    if f.opinion_outcomes:
        story.append(Spacer(1, 2 * mm))
        story.append(layout.para("本期反映的意见建议办理情况：" + "，".join(f"{k} {n} 件" for k, n in f.opinion_outcomes)
                                 + "。", st.body))
    content = {"deputy": d.id, "from": f.date_from, "to": f.date_to,
               "entries": [[e.source, e.ref.id, e.ref.date, e.ref.detail] for e in f.entries],
               "total": s.total if s else None, "rank": s.rank if s else None}
    block = [Spacer(1, 6 * mm), layout.signature_block(["代表本人", "审核人"], width=width)]
    story.append(KeepTogether(block))
    return layout.build_pdf(path, f"{title}：{d.name}", story, office_name=office_name, content=content,
                            subject="代表履职档案", generated_at=generated_at, progress=progress, cancel=cancel)


# ================================================================== the table as .xlsx

def _number(text: str) -> int | float:
    d = Decimal(text)
    return int(d) if d == d.to_integral_value() else float(d)


def _xlsx_table(ws, e: Evaluation) -> None:
    """Sheet 1: one row per deputy; the rows to remind filled yellow."""
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    ws.title = "履职考评"
    headers = ["名次", "姓名", "所在村(社区)", "代表小组", "状态"]
    for h in e.items:
        headers += [f"{h.label}（次）", f"{h.label}（分）"]
    headers += ["基础分", "总分", "等次", "选民测评", "提醒事项"]
    ws.append(headers)
    fill = PatternFill("solid", fgColor="FFF2CC")
    for c in ws[1]:
        c.font = Font(bold=True)
        c.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    for r in e.rows:
        line: list[object] = [r.rank, r.name, r.village_name, r.group_name, r.status]
        for c in r.items:
            line += [c.count, _number(c.points)]
        line += [_number(r.base), _number(r.total), r.grade, r.rating.summary if r.rating else "", r.flags_label]
        ws.append(line)
        if r.flags:
            for c in ws[ws.max_row]:
                c.fill = fill
    widths = [6, 10, 14, 20, 6] + [9] * (2 * len(e.items)) + [7, 7, 8, 18, 40]
    for j, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(j)].width = w
    ws.row_dimensions[1].height = 45
    ws.freeze_panes = "C2"
    ws.auto_filter.ref = ws.dimensions


def _xlsx_sources(src, e: Evaluation) -> None:
    """Sheet 2: every record behind every number."""
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    src.append(["姓名", "计分项目", "日期", "类别", "事项", "情况", "单项分值"])
    for c in src[1]:
        c.font = Font(bold=True)
    for r in e.rows:
        for c in r.items:
            for ref in c.refs:
                src.append([r.name, c.label, ref.date, ref.kind_label, ref.title, ref.detail,
                            _number(ref.points) if ref.points else None])
    for j, w in enumerate((10, 14, 12, 10, 50, 18, 9), start=1):
        src.column_dimensions[get_column_letter(j)].width = w
    src.freeze_panes = "A2"
    src.auto_filter.ref = src.dimensions


def _save_workbook(wb, path: Path) -> None:
    from congress_desktop.core.errors import CongressError, os_error_text

    tmp = path.with_name(path.name + ".part")
    try:
        wb.save(tmp)
    except OSError as err:  # the file is new: the folder is missing, read-only or full
        _discard(tmp)
        raise CongressError(f"无法在“{path.parent}”中写入文件：{os_error_text(err)}", code="write_failed") from err
    try:
        tmp.replace(path)  # never a half-written file under the real name
    except PermissionError as err:
        _discard(tmp)
        raise CongressError(f"无法写入 {path.name}：文件可能正在 Excel/WPS 中打开，请关闭后重试") from err
    except OSError as err:
        _discard(tmp)
        raise CongressError(f"无法写入 {path}：{os_error_text(err)}", code="write_failed") from err


def write_evaluation_xlsx(path: str | Path, evaluation: Evaluation) -> int:
    """Sheet 1: one row per deputy (count and points per item, total, rank, grade, rating, flags; the
    rows to remind filled yellow), numbers as numbers. Sheet 2: every record behind every number."""
    from openpyxl import Workbook

    e = evaluation
    wb = Workbook()
    _xlsx_table(wb.active, e)
    _xlsx_sources(wb.create_sheet("计分来源"), e)
    note = wb.create_sheet("说明")
    note.append([f"{e.title}（{e.date_from} 至 {e.date_to}），{e.scheme_note}"])
    for h in e.items:
        note.append([f"{h.label}：{h.rule}"])
    _save_workbook(wb, Path(path))
    return len(e.rows)


def _discard(tmp: Path) -> None:
    try:
        tmp.unlink(missing_ok=True)
    except OSError:
        pass  # nothing was written there, or the folder is gone: nothing to clean up


# ================================================================== the printing use cases

def print_duty_notice(ctx: Context, out: str | Path, date_from: str, date_to: str, *, period_id: str | None = None,
                      progress: Progress = no_progress, cancel: Cancel = never_cancel) -> int:
    """履职情况通报 (A4 landscape): summary, charts, the table of every deputy, highlights, reminders."""
    office = ctx.require_office()
    evaluation = evaluate(ctx, date_from, date_to, period_id=period_id, cancel=cancel)
    return render_duty_notice(out, office.name, evaluation, progress=progress, cancel=cancel)


def print_duty_file(ctx: Context, deputy_id: str, date_from: str, date_to: str, out: str | Path, *,
                    progress: Progress = no_progress, cancel: Cancel = never_cancel) -> int:
    office = ctx.require_office()
    check_cancel(cancel)
    f = duty_file(ctx, deputy_id, date_from, date_to)
    return render_duty_file(out, office.name, f, progress=progress, cancel=cancel)


def export_evaluation(ctx: Context, evaluation: Evaluation, path: str | Path, *, progress: Progress = no_progress,
                      cancel: Cancel = never_cancel) -> int:
    """The evaluation table to .xlsx (numbers as numbers, the rows to remind highlighted), with a
    second sheet listing the records behind every number."""
    check_cancel(cancel)
    n = write_evaluation_xlsx(path, evaluation)
    progress(1, 1)
    return n

