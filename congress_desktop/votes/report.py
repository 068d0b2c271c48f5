"""The paper of a 票决 or 测评 (VOTES.md "Paper that the office prints"): 出席情况报告单, ballots,
分发报告单/收回报告单, 计票单 (blank or filled), 票决结果报告单 (测评结果报告单) and 公告.

Ballots are 无记名: no serial number, no page number, no time or fingerprint, every sheet the same.
Inputs are the services' row objects, used by attribute only (reports never import services at run
time), and the ``domain.votes.TallyResult`` of a round."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, PageBreak, Spacer, Table, TableStyle

from congress_desktop.core import pdf as layout
from congress_desktop.core.errors import InvalidInput
from congress_desktop.core.pdf import Cancel, Progress
from congress_desktop.votes import tally as dv

if TYPE_CHECKING:
    from congress_desktop.votes.rows import AttendanceRow, FinalOutcome, ItemRow, RoundRow, SessionRow

PROJECT_COLUMNS = ("赞成", "反对", "弃权")
SATISFACTION_COLUMNS = ("满意", "基本满意", "不满意")


def _style(name: str, size: float, leading: float, **kw) -> ParagraphStyle:
    return ParagraphStyle(name, fontName=layout.register_font(), fontSize=size, leading=leading, wordWrap="CJK",
                          textColor=layout.INK, **kw)


def _meeting_line(session: SessionRow, rnd: RoundRow | None = None) -> str:
    parts = [session.title]
    if session.date:
        parts.append(_cn_date(session.date))
    if rnd is not None and rnd.number > 1:
        parts.append(rnd.label)
    return " · ".join(parts)


def _cn_date(iso: str) -> str:
    try:
        d = dt.date.fromisoformat(iso)
    except ValueError:
        return iso
    return f"{d.year}年{d.month}月{d.day}日"


def _roles(session: SessionRow) -> dict[str, str]:
    return {"执行主席": session.chair, "总监票人": session.chief_scrutineer,
            "监票人": "、".join(session.scrutineers), "计票人": "、".join(session.tellers)}


def _officer_line(session: SessionRow, roles: Sequence[str]) -> str:
    names = _roles(session)
    return "　　".join(f"{r}：{names[r] or '＿＿＿＿'}" for r in roles)


def _kv_table(rows: Sequence[tuple[str, object]], width: float, columns: int = 4) -> Table:
    """Label/value pairs in a grid, ``columns`` pairs per row."""
    st = layout.styles()
    cells: list[list[object]] = []
    line: list[object] = []
    for label, value in rows:
        line += [layout.para(label, st.label), layout.para("" if value is None else value, st.label)]
        if len(line) == 2 * columns:
            cells.append(line)
            line = []
    if line:
        cells.append(line + [""] * (2 * columns - len(line)))
    t = Table(cells, colWidths=[width / (2 * columns)] * (2 * columns), hAlign="LEFT")
    cmds = [("FONTNAME", (0, 0), (-1, -1), layout.register_font()),
            ("GRID", (0, 0), (-1, -1), 0.5, layout.RULE), ("BOX", (0, 0), (-1, -1), 0.9, layout.INK),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"), ("TOPPADDING", (0, 0), (-1, -1), 5),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 6)]
    for c in range(0, 2 * columns, 2):
        cmds.append(("BACKGROUND", (c, 0), (c, -1), layout.HEADER_FILL))
    t.setStyle(TableStyle(cmds))
    return t


# ------------------------------------------------------------------ 出席情况报告单


def render_attendance(path: str | Path, office_name: str, session: SessionRow,
                      roster: Sequence[AttendanceRow], *, generated_at: dt.datetime | None = None) -> int:
    st = layout.styles()
    width = layout.frame_width()
    leave = [a.name for a in roster if a.status == "请假"]
    absent = [a.name for a in roster if a.status == "缺席"]
    met = session.quorum_met
    story: list[Flowable] = [*layout.title_block("出席情况报告单", _meeting_line(session))]
    story.append(_kv_table([("全体代表", f"{session.all_deputies} 名"), ("应到", f"{session.all_deputies} 名"),
                            ("实到", f"{session.present} 名"), ("法定人数", f"{session.quorum_needed} 名"),
                            ("请假", f"{session.on_leave} 名"), ("缺席", f"{session.absent} 名")], width, 2))
    story.append(Spacer(1, 4 * mm))
    story.append(layout.para("请假代表：" + ("、".join(leave) or "无"), st.body))
    story.append(layout.para("缺席代表：" + ("、".join(absent) or "无"), st.body))
    story.append(Spacer(1, 4 * mm))
    verdict = (f"本次会议应到代表 {session.all_deputies} 名，实到 {session.present} 名，"
               + (f"达到全体代表的三分之二（{session.quorum_needed} 名），符合法定人数，可以进行表决。" if met else
                  f"不足全体代表的三分之二（{session.quorum_needed} 名），不符合法定人数，不能进行表决。"))
    story.append(layout.para(verdict, _style("cd-vote-verdict", 12, 20)))
    story.append(Spacer(1, 2 * mm))
    story.append(layout.para("注：全体代表为建立本次表决时在任的乡镇人大代表（暂停、终止执行代表职务的不计入）。", st.small))
    story.append(Spacer(1, 6 * mm))
    story.append(layout.signature_block(["总监票人", "监票人"], columns=1))
    return layout.build_pdf(path, "出席情况报告单", story, office_name=office_name, generated_at=generated_at,
                            content={"kind": "vote_attendance", "session": session.id, "title": session.title,
                                     "all": session.all_deputies, "present": session.present,
                                     "leave": leave, "absent": absent})


# ------------------------------------------------------------------ ballots


def _ballot_block(session: SessionRow, rnd: RoundRow, items: Sequence[ItemRow], compact: bool) -> list[Flowable]:
    """One ballot: the same flowables for every copy (nothing that tells one sheet from another)."""
    project = session.kind == dv.PROJECT_VOTE
    size = 0.85 if compact else 1.0
    meeting = _style("cd-ballot-meeting", 12 * size, 16 * size, alignment=TA_CENTER)
    title = _style("cd-ballot-title", 19 * size, 25 * size, alignment=TA_CENTER)
    note = _style("cd-ballot-note", 10 * size, 14 * size)
    cell = _style("cd-ballot-cell", 10.5 * size, 13.5 * size)
    cell_c = _style("cd-ballot-cell-c", 10.5 * size, 13.5 * size, alignment=TA_CENTER)
    width = layout.frame_width()
    kind_title = "民生实事项目票决票" if project else "满意度测评票"
    out: list[Flowable] = [layout.para(session.title, meeting), layout.para(kind_title, title)]
    if rnd.number > 1:
        out.append(layout.para(f"（{'重新投票' if rnd.reason == 'void' else '再次投票'}）", meeting))
    if project:
        text = (f"说明：请在每个项目的“赞成”“反对”“弃权”栏中选择一栏划“○”或“√”，每个项目只能划一个符号。"
                f"本次确定 {rnd.seats} 个项目，赞成的项目不得超过 {rnd.seats} 个，超过的本票作废；"
                f"{'未划符号的项目视为弃权' if session.rules.blank == 'abstain' else '未划符号的项目视为未投票'}；"
                "一个项目划两个符号或无法辨认的，该项目无效。")
        header = ["序号", "项目名称", "总投资（万元）", "实施单位", *PROJECT_COLUMNS]
        weights = [9, 62, 20, 34, 14, 14, 14]
        rows = [[str(n), it.name, it.investment, it.unit, "", "", ""] for n, it in enumerate(items, start=1)]
    else:
        text = ("说明：请对每个测评对象在“满意”“基本满意”“不满意”栏中选择一栏划“○”或“√”，每项只能划一个符号；"
                "一项划两个符号或无法辨认的，该项无效。")
        header = ["序号", "测评对象", *SATISFACTION_COLUMNS]
        weights = [9, 99, 24, 24, 24]
        rows = [[str(n), it.name, "", "", ""] for n, it in enumerate(items, start=1)]
    out.append(Spacer(1, 2 * mm * size))
    out.append(layout.para(text, note))
    out.append(Spacer(1, 2 * mm * size))
    widths = layout.scale_widths(weights, width)
    data = [[layout.para(h, cell_c) for h in header]]
    for r in rows:
        data.append([layout.para(v, cell_c if i in (0,) or i >= len(header) - 3 else cell) for i, v in enumerate(r)])
    pad = 4 if not compact else 2.5
    t = Table(data, colWidths=widths, hAlign="CENTER", repeatRows=1)
    t.setStyle(TableStyle([
        ("FONTNAME", (0, 0), (-1, -1), layout.register_font()),
        ("GRID", (0, 0), (-1, -1), 0.6, layout.INK), ("BOX", (0, 0), (-1, -1), 1.2, layout.INK),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"), ("BACKGROUND", (0, 0), (-1, 0), layout.HEADER_FILL),
        ("TOPPADDING", (0, 0), (-1, -1), pad), ("BOTTOMPADDING", (0, 0), (-1, -1), pad + 1),
    ]))
    out.append(t)
    return out


def _height(flowables: Sequence[Flowable], width: float) -> float:
    total = 0.0
    for f in flowables:
        total += f.wrap(width, 10_000)[1] + f.getSpaceBefore() + f.getSpaceAfter()
    return total


@dataclass(frozen=True)
class BallotSheet:
    """How many ballots, how many to a page, and the progress/cancel of the job making them."""

    copies: int
    per_page: int = 1
    progress: Progress | None = None
    cancel: Cancel | None = None


@dataclass(frozen=True)
class ResultStamp:
    """What the result report says of its round: the last log hash and whether it is announced."""

    final_hash: str
    announced: bool
    generated_at: dt.datetime | None = None


def render_ballots(path: str | Path, office_name: str, session: SessionRow, rnd: RoundRow,
                   items: Sequence[ItemRow], sheet: BallotSheet) -> int:
    """``copies`` identical ballots, one or two per A4 page (two: cut along the dashed line)."""
    copies, per_page = sheet.copies, sheet.per_page
    if per_page not in (1, 2):
        raise InvalidInput("每页可印一张或两张选票", field="per_page")
    if not 1 <= copies <= 2000:
        raise InvalidInput("选票份数应在 1 到 2000 之间", field="copies")
    width = layout.frame_width()
    frame_h = layout.page_size()[1] - layout.MARGIN_TOP - layout.MARGIN_BOTTOM
    story: list[Flowable] = []
    if per_page == 1:
        for n in range(copies):
            if n:
                story.append(PageBreak())
            story += _ballot_block(session, rnd, items, compact=False)
    else:
        half = (frame_h - 2) / 2
        if _height(_ballot_block(session, rnd, items, compact=True), width - 4) > half - 6 * mm:
            raise InvalidInput(f"本轮有 {len(items)} 个项目，一张 A4 纸放不下两张选票，请选择“每页一张”",
                               field="per_page")
        pages = (copies + 1) // 2
        for p in range(pages):
            blocks = [_ballot_block(session, rnd, items, compact=True)]
            if 2 * p + 1 < copies:
                blocks.append(_ballot_block(session, rnd, items, compact=True))
            t = Table([[b] for b in blocks], colWidths=[width], rowHeights=[half] * len(blocks))
            t.setStyle(TableStyle([("FONTNAME", (0, 0), (-1, -1), layout.register_font()),
                                   ("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0),
                                   ("RIGHTPADDING", (0, 0), (-1, -1), 0), ("TOPPADDING", (0, 0), (-1, -1), 2 * mm),
                                   ("LINEBELOW", (0, 0), (-1, 0), 0.6, layout.GREY, None, (3, 3))]))
            if p:
                story.append(PageBreak())
            story.append(t)
    kind_title = "民生实事项目票决票" if session.kind == dv.PROJECT_VOTE else "满意度测评票"
    return layout.build_pdf(path, kind_title, story, office_name=office_name, page_frame=False,
                            content={"kind": "ballot"}, subject=kind_title, progress=sheet.progress,
                            cancel=sheet.cancel)


# ------------------------------------------------------------------ 分发报告单 / 收回报告单


def render_distribution(path: str | Path, office_name: str, session: SessionRow, rnd: RoundRow, *,
                        generated_at: dt.datetime | None = None) -> int:
    st = layout.styles()
    width = layout.frame_width()

    def n(value: int | None) -> str:
        return "" if value is None else f"{value} 张"

    remaining = (rnd.unsealed - rnd.issued) if rnd.unsealed is not None and rnd.issued is not None else None
    story: list[Flowable] = [*layout.title_block("选票分发报告单", _meeting_line(session, rnd))]
    story.append(_kv_table([("全体代表", f"{session.all_deputies} 名"), ("实到代表", f"{rnd.present} 名"),
                            ("拆封选票", n(rnd.unsealed)), ("实发选票", n(rnd.issued)),
                            ("剩余选票（剪角作废）", n(remaining)), ("分发时间", "")], width, 2))
    story.append(Spacer(1, 3 * mm))
    story.append(layout.para("报告：选票已按实到代表人数发出，剩余选票已当众剪角作废。", st.body))
    story.append(layout.signature_block(["总监票人", "监票人"], columns=1))
    story.append(Spacer(1, 10 * mm))
    story += layout.title_block("选票收回报告单", _meeting_line(session, rnd))
    if rnd.stands is None:
        verdict = "收回票数（　　）张 □ 等于或少于发出票数，本轮投票有效；□ 多于发出票数，本轮投票无效。"
    elif rnd.stands:
        verdict = f"收回 {rnd.returned} 张，等于或少于发出的 {rnd.issued} 张，本轮投票有效。"
    else:
        verdict = f"收回 {rnd.returned} 张，多于发出的 {rnd.issued} 张，本轮投票无效，应重新投票。"
    story.append(_kv_table([("发出选票", n(rnd.issued)), ("收回选票", n(rnd.returned))], width, 2))
    story.append(Spacer(1, 3 * mm))
    story.append(layout.para(verdict, _style("cd-vote-verdict2", 12, 20)))
    story.append(layout.signature_block(["总监票人", "监票人"], columns=1))
    return layout.build_pdf(path, "选票分发/收回报告单", story, office_name=office_name, generated_at=generated_at,
                            content={"kind": "vote_distribution", "session": session.id, "round": rnd.number,
                                     "counts": [rnd.unsealed, rnd.issued, rnd.returned]})


# ------------------------------------------------------------------ 计票单


def _count_columns(kind: str, rules: dv.Rules) -> list[tuple[str, str]]:
    if kind == dv.PROJECT_VOTE:
        cols = [("for", "赞成"), ("against", "反对"), ("abstain", "弃权")]
    else:
        cols = [("satisfied", "满意"), ("basic", "基本满意"), ("unsatisfied", "不满意"), ("abstain", "弃权")]
    if rules.blank == "not_voted":
        cols.append(("not_voted", "未投"))
    cols.append(("invalid", "无效"))
    return cols


def render_tally_sheet(path: str | Path, office_name: str, session: SessionRow, rnd: RoundRow,
                       items: Sequence[ItemRow], result: dv.TallyResult | None = None, *,
                       generated_at: dt.datetime | None = None) -> int:
    """计票单, one page per 计票人: room for 正-character ticks per column (blank), or the counts
    of the computed round (filled)."""
    st = layout.styles()
    width = layout.frame_width(landscape=True)
    cols = _count_columns(session.kind, session.rules)
    filled = result is not None
    counted = result
    tick_weight = {"for": 46, "satisfied": 34, "basic": 34}
    header = ["序号", "项目名称" if session.kind == dv.PROJECT_VOTE else "测评对象"]
    weights: list[float] = [9, 52]
    for key, label in cols:
        header += [f"{label}（划“正”字）", "计"]
        weights += [tick_weight.get(key, 26 if key != "invalid" else 18), 11]
    widths = layout.scale_widths(weights, width)
    tellers = list(session.tellers) or [""]
    story: list[Flowable] = []
    printed = []
    for t_i, teller in enumerate(tellers if not filled else [""]):
        if t_i:
            story.append(PageBreak())
        sub = _meeting_line(session, rnd) + (f" · 计票人：{teller}" if teller else "")
        story += layout.title_block("计票单" + ("（计票结果）" if filled else ""), sub)
        rows = []
        for n, it in enumerate(items, start=1):
            row: list[object] = [str(n), it.name]
            for key, _label in cols:
                if filled:
                    assert counted is not None
                    row += ["—", str(counted.items[n - 1].counts.get(key, 0))]
                else:
                    row += [Spacer(1, 8 * mm), ""]
            rows.append(row)
        printed.append(rows if filled else [])
        align = ["center", "left"] + ["center"] * (len(header) - 2)
        story.append(layout.data_table(header, rows, widths, align=align, zebra=False))
        story.append(Spacer(1, 3 * mm))
        if counted is not None:
            line = (f"发出 {rnd.issued} 张，收回 {rnd.returned} 张，有效票 {counted.valid_ballots} 张，"
                    f"作废票 {counted.void_ballots} 张。每个项目各栏之和等于有效票数。")
        else:
            line = "发出＿＿＿张，收回＿＿＿张，有效票＿＿＿张，作废票＿＿＿张。核对：每个项目各栏之和应等于有效票数。"
        story.append(layout.para(line, st.body))
        story.append(layout.signature_block(["计票人", "监票人"], columns=2))
    return layout.build_pdf(path, "计票单", story, office_name=office_name, landscape=True,
                            generated_at=generated_at,
                            content={"kind": "vote_tally_sheet", "session": session.id, "round": rnd.number,
                                     "rows": printed})


# ------------------------------------------------------------------ 结果报告单


def render_result_report(path: str | Path, office_name: str, session: SessionRow, rnd: RoundRow,
                         result: dv.TallyResult, stamp: ResultStamp) -> int:
    """票决结果报告单 (测评结果报告单): the numbers of the round, each item's counts and outcome, the
    rules applied, signature lines for 总监票人/监票人/计票人, the chair's announcement and the hash of
    the last log entry (``votes verify`` checks it)."""
    final_hash, announced, generated_at = stamp.final_hash, stamp.announced, stamp.generated_at
    st = layout.styles()
    project = session.kind == dv.PROJECT_VOTE
    landscape = False
    width = layout.frame_width(landscape)
    title = "票决结果报告单" if project else "满意度测评结果报告单"
    story: list[Flowable] = [*layout.title_block(title, _meeting_line(session, rnd))]
    story.append(_kv_table([
        ("全体代表", session.all_deputies), ("应到", session.all_deputies), ("实到", result.present),
        ("发出", result.issued), ("收回", result.returned), ("有效票", result.valid_ballots),
        ("作废票", result.void_ballots), ("本轮投票", "有效" if result.round_valid else "无效"),
    ], width, 4))
    story.append(Spacer(1, 3 * mm))
    if project:
        header = ["序号", "项目名称", "赞成", "反对", "弃权", "无效", "过全体代表半数" if
                  session.rules.pass_basis == "all_deputies" else "过实到代表半数", "名次", "结果"]
        weights = [8, 62, 11, 11, 11, 11, 18, 10, 20]
        if session.rules.blank == "not_voted":
            header.insert(5, "未投")
            weights.insert(5, 14)
        rows = []
        for it in result.items:
            c = it.counts
            row = [str(it.index + 1), it.name, c["for"], c["against"], c["abstain"], c["invalid"],
                   "是" if it.passed else "否", it.rank or "", it.outcome_label]
            if session.rules.blank == "not_voted":
                row.insert(5, c["not_voted"])
            rows.append([str(x) for x in row])
    else:
        header = ["序号", "测评对象", "满意", "基本满意", "不满意", "弃权", "无效", "满意率", "不满意率", "名次", "结果"]
        weights = [8, 50, 11, 13, 12, 11, 10, 16, 16, 10, 18]
        rows = []
        for it in result.items:
            c = it.counts
            rows.append([str(x) for x in (it.index + 1, it.name, c["satisfied"], c["basic"], c["unsatisfied"],
                                          c["abstain"] + c["not_voted"], c["invalid"], dv.percent(it.rate),
                                          dv.percent(it.unsatisfied_share), it.rank or "", it.outcome_label)])
    align = ["center", "left"] + ["center"] * (len(header) - 2)
    story.append(layout.data_table(header, rows, layout.scale_widths(weights, width), align=align))
    story.append(Spacer(1, 2 * mm))
    if project:
        story.append(layout.para(f"应确定 {rnd.seats} 个项目；赞成票须超过"
                                 f"{'全体' if session.rules.pass_basis == 'all_deputies' else '实到'}代表的半数，"
                                 f"即至少 {result.threshold} 票。", st.body))
    for m in result.messages:
        story.append(layout.para(m, st.body))
    story.append(layout.para("计票规则：" + "；".join(session.rules.describe(session.kind)) + "。", st.small))
    if result.void_reasons:
        reasons: dict[str, int] = {}
        for _n, why in result.void_reasons:
            reasons[why] = reasons.get(why, 0) + 1
        story.append(layout.para("作废票：" + "；".join(f"{w}（{k} 张）" for w, k in reasons.items()) + "。",
                                 st.small))
    # signature_block is a KeepTogether already: nesting it in another one forces a page break
    story.append(Spacer(1, 2 * mm))
    story.append(layout.para(_officer_line(session, ("总监票人", "监票人", "计票人")), st.small))
    story.append(layout.signature_block(["总监票人", "监票人", "计票人"], width=width, with_date=False))
    story.append(Spacer(1, 4 * mm))
    story += _announcement(session, rnd, result, width)
    story.append(Spacer(1, 3 * mm))
    state = "已公布" if announced else "尚未公布（本报告单供核对）"
    story.append(layout.para(f"计票日志末条哈希（SHA-256）：{final_hash}", st.small))
    story.append(layout.para(f"本轮状态：{state}。可用“congress-desktop votes verify {session.number}”核验"
                             "计票日志是否完整、未被改动。", st.small))
    return layout.build_pdf(path, title, story, office_name=office_name, landscape=landscape,
                            generated_at=generated_at,
                            content={"kind": "vote_result", "session": session.id, "round": rnd.number,
                                     "result": result.to_json(), "hash": final_hash})


def _announcement(session: SessionRow, rnd: RoundRow, result: dv.TallyResult, width: float) -> list[Flowable]:
    st = layout.styles()
    big = _style("cd-vote-announce", 11.5, 19)
    if not result.round_valid:
        text = (f"执行主席宣布：本轮收回选票 {result.returned} 张，多于发出的 {result.issued} 张，"
                "本轮投票无效，重新投票。")
    elif session.kind == dv.PROJECT_VOTE:
        adopted = [i.name for i in sorted(result.adopted, key=lambda i: (i.rank or 0, i.index))]
        text = "执行主席宣布：根据计票结果，"
        text += (f"{'、'.join(adopted)}，共 {len(adopted)} 个项目获得通过，确定为民生实事项目。"
                 if adopted else "没有项目获得通过。")
        if result.revote:
            text += (f"{'、'.join(i.name for i in result.revote)}需再次投票，确定 {result.revote_seats} 个。")
        if result.shortfall:
            text += f"确定的项目比应确定的少 {result.shortfall} 个。"
    else:
        recheck = [i.name for i in result.items if i.outcome == "recheck"]
        text = "执行主席宣布：测评结果如上。" + (f"{'、'.join(recheck)}满意度未达要求，需再测评。" if recheck else "")
    return [layout.para(text, big),
            layout.signature_block(["执行主席"], width=width, columns=2),
            layout.para(f"执行主席：{session.chair or '＿＿＿＿'}", st.small)]


# ------------------------------------------------------------------ 公告


def render_notice(path: str | Path, office_name: str, session: SessionRow, outcomes: Sequence[FinalOutcome],
                  *, year: int | None = None, generated_at: dt.datetime | None = None) -> int:
    """公告 of the adopted projects (票决) or of the rating (测评), from the announced rounds."""
    body = _style("cd-notice-body", 13, 24, firstLineIndent=26)
    right = _style("cd-notice-right", 13, 24, alignment=TA_RIGHT)
    project = session.kind == dv.PROJECT_VOTE
    year = year or (int(session.date[:4]) if session.date[:4].isdigit() else dt.date.today().year)
    date_text = _cn_date(session.date) if session.date else ""
    counted = [o for o in outcomes if o.round_number]
    if not counted:
        raise InvalidInput("还没有公布的结果，不能出公告")
    width = layout.frame_width()
    if project:
        adopted = [o for o in outcomes if o.outcome == "adopted"]
        title = f"关于{year}年民生实事项目票决结果的公告"
        intro = (f"{date_text}，{session.title}以无记名投票方式，对 {len(outcomes)} 个民生实事候选项目进行了票决。"
                 f"全体代表 {session.all_deputies} 名，实到 {session.present} 名。依据票决结果，"
                 f"下列 {len(adopted)} 个项目确定为{year}年民生实事项目：")
        rows = [[str(n), o.item.name, o.item.investment, o.item.unit, str(o.counts.get("for", ""))]
                for n, o in enumerate(adopted, start=1)]
        table = layout.data_table(["序号", "项目名称", "总投资（万元）", "实施单位", "赞成票"], rows,
                                  layout.scale_widths([10, 80, 24, 40, 16], width),
                                  align=["center", "left", "center", "left", "center"])
        pending = [o for o in outcomes if o.outcome == "revote" or not o.round_number]
        tail = (f"另有 {'、'.join(o.item.name for o in pending)}尚待再次投票，结果另行公告。" if pending else "")
        tail += "上述项目由镇人民政府组织实施，镇人大将开展全过程监督，并组织代表进行满意度测评。"
    else:
        title = f"{session.title}满意度测评结果公告"
        intro = (f"{date_text}，{session.title}以无记名投票方式进行了满意度测评。"
                 f"全体代表 {session.all_deputies} 名，实到 {session.present} 名。测评结果如下：")
        rows = []
        for n, o in enumerate(outcomes, start=1):
            c = o.counts
            valid = sum(c.values()) if c else 0
            good = c.get("satisfied", 0) + c.get("basic", 0)
            rate = f"{good * 100 / valid:.2f}%" if valid else ""
            rows.append([str(n), o.item.name, str(c.get("satisfied", "")), str(c.get("basic", "")),
                         str(c.get("unsatisfied", "")), rate, o.outcome_label])
        table = layout.data_table(["序号", "测评对象", "满意", "基本满意", "不满意", "满意率", "结果"], rows,
                                  layout.scale_widths([10, 70, 16, 18, 16, 20, 22], width),
                                  align=["center", "left"] + ["center"] * 5)
        tail = "测评结果为“需再测评”的，由被测评单位限期整改后再行测评。"
    story: list[Flowable] = [*layout.title_block(title, session.title), layout.para(intro, body),
                             Spacer(1, 3 * mm), table, Spacer(1, 3 * mm), layout.para(tail, body),
                             layout.para("特此公告。", body), Spacer(1, 12 * mm),
                             layout.para(office_name.removesuffix("人大") + "人民代表大会主席团", right),
                             layout.para(date_text, right)]
    return layout.build_pdf(path, "公告", story, office_name=office_name, generated_at=generated_at,
                            content={"kind": "vote_notice", "session": session.id,
                                     "rows": [[o.item.name, o.outcome] for o in outcomes]})
