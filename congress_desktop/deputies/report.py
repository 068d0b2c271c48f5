"""代表名册 (A4 landscape, grouped by village or by deputy group) and 代表信息卡 (one A4 page).

The roster never prints ID numbers; the card prints them masked. Deputies come in as
``deputies.rows.DeputyRow`` rows; the printing use cases that gather them are in ``deputies.printing``."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import CondPageBreak, Flowable, KeepTogether, Paragraph, Spacer, Table, TableStyle

from congress_desktop.core import pdf as layout
from congress_desktop.core.errors import InvalidInput
from congress_desktop.core.pdf import Cancel, Progress
from congress_desktop.deputies.rows import DeputyRow
from congress_desktop.deputies.rules import FIELD_LABELS, IN_OFFICE, LEVELS, STATUSES

GROUP_BY = {"village": "按所在村（社区）分组", "group": "按代表小组分组"}
NO_VILLAGE = "未填写所在村（社区）"
NO_GROUP = "未编入代表小组"

ROSTER_COLUMNS = ("序号", "姓名", "性别", "民族", "出生年月", "政治面貌", "工作单位及职务", "代表层级",
                  "联系电话", "{other}", "状态")
# millimetres; 工作单位及职务 takes what is left of the landscape frame
_ROSTER_WIDTHS_MM = (10, 18, 9, 13, 17, 22, None, 28, 27, 26, 20)
_ROSTER_ALIGN = ("center", "center", "center", "center", "center", "center", "left", "center", "center",
                 "center", "center")


def _month(iso: str) -> str:
    """'1975-03-12' or '1975-03' -> '1975.03', the way rosters print 出生年月."""
    return iso[:7].replace("-", ".") if iso else ""


def _phones(d: DeputyRow) -> str:
    return "\n".join(p for p in (d.mobile, d.phone) if p)


def _status(d: DeputyRow) -> str:
    if d.status and d.status != IN_OFFICE and d.status_date:
        return f"{d.status}\n{d.status_date}"
    return d.status


def _group_key(d: DeputyRow, group_by: str) -> str:
    if group_by == "village":
        return d.village_name or NO_VILLAGE
    return d.group_name or NO_GROUP


def _grouped(deputies: Sequence[DeputyRow], group_by: str) -> list[tuple[str, list[DeputyRow]]]:
    """Groups in the order they first appear (the caller sorts); the unassigned group last."""
    groups: dict[str, list[DeputyRow]] = {}
    for d in deputies:
        groups.setdefault(_group_key(d, group_by), []).append(d)
    missing = NO_VILLAGE if group_by == "village" else NO_GROUP
    items = [(k, v) for k, v in groups.items() if k != missing]
    if missing in groups:
        items.append((missing, groups[missing]))
    return items


def _roster_row(n: int, d: DeputyRow, group_by: str) -> list[str]:
    other = d.group_name if group_by == "village" else d.village_name
    return [str(n), d.name, d.gender, d.ethnicity, _month(d.birth_date), d.political, d.work_unit,
            d.levels_label, _phones(d), other, _status(d)]


def _summary(deputies: Sequence[DeputyRow], width: float, signatures: Sequence[str] | None) -> list[Flowable]:
    st = layout.styles()
    genders = Counter(d.gender for d in deputies)
    statuses = Counter(d.status for d in deputies)
    levels = Counter(k for d in deputies for k in d.levels)
    header = ["总数", "男", "女"]
    values: list[object] = [len(deputies), genders.get("男", 0), genders.get("女", 0)]
    unknown_gender = len(deputies) - genders.get("男", 0) - genders.get("女", 0)
    if unknown_gender:
        header.append("性别未填")
        values.append(unknown_gender)
    for s in STATUSES:
        header.append(s)
        values.append(statuses.get(s, 0))
    for key, label in LEVELS.items():
        header.append(label)
        values.append(levels.get(key, 0))
    widths = layout.scale_widths([1] * len(header), min(width, len(header) * 24 * mm))
    table = layout.data_table(header, [[str(v) for v in values]], widths, align=["center"] * len(header),
                              zebra=False)
    block: list[Flowable] = [
        layout.para("汇总", st.heading),
        table,
        Spacer(1, 1.5 * mm),
        layout.para("注：代表层级按人次统计，同一代表兼任多级人大代表的分别计入；本名册不含身份证号。",
                    st.small),
    ]
    if signatures:
        block.append(layout.signature_block(signatures, width=width))
    # the signatures stay on a page with the summary, never alone on a last page
    return [KeepTogether(block)]


@dataclass(frozen=True)
class RosterOptions:
    """How a 代表名册 is laid out."""

    group_by: str = "village"                    # a key of GROUP_BY: one table per village or per 代表小组
    title: str | None = None                     # None: 代表名册
    signatures: Sequence[str] | None = ("填表人", "审核人")


def render_roster(path: str | Path, office_name: str, deputies: Sequence[DeputyRow],
                  options: RosterOptions = RosterOptions(), *, generated_at: dt.datetime | None = None,
                  progress: Progress | None = None, cancel: Cancel | None = None) -> int:
    """代表名册 on A4 landscape, one table per village (``group_by="village"``) or per 代表小组
    (``"group"``), each headed with its count, and a summary at the end. Returns the page count.

    Groups and rows keep the order of ``deputies``; deputies without a village/group come last."""
    group_by, title, signatures = options.group_by, options.title, options.signatures
    if group_by not in GROUP_BY:
        raise InvalidInput(f"名册分组方式“{group_by}”无效（可选：village、group）", field="group_by")
    title = title or "代表名册"
    st = layout.styles()
    width = layout.frame_width(landscape=True)
    fixed = sum(w for w in _ROSTER_WIDTHS_MM if w) * mm
    widths = [w * mm if w else width - fixed for w in _ROSTER_WIDTHS_MM]
    other = FIELD_LABELS["group_name"] if group_by == "village" else FIELD_LABELS["village"]
    header = [c.format(other=other) for c in ROSTER_COLUMNS]

    story: list[Flowable] = layout.title_block(
        title, f"{office_name} · {GROUP_BY[group_by]} · 共 {len(deputies)} 人")
    printed: list[list[str]] = []
    n = 0
    groups = _grouped(deputies, group_by)
    for name, members in groups:
        rows = []
        for d in members:
            n += 1
            rows.append(_roster_row(n, d, group_by))
        printed.append([name, *(r for row in rows for r in row)])
        # a group heading never sits alone at the foot of a page: it needs room for a few rows
        story.append(CondPageBreak(35 * mm))
        table = layout.data_table(header, rows, widths, caption=f"{name}（共 {len(members)} 人）",
                                  align=_ROSTER_ALIGN)
        table.spaceBefore = 5 * mm  # dropped at the top of a page
        story.append(table)
    if not deputies:
        story.append(layout.para("暂无代表。", st.body))
    story += _summary(deputies, width, signatures)
    return layout.build_pdf(
        path, title, story, office_name=office_name, landscape=True,
        content={"kind": "roster", "office": office_name, "title": title, "group_by": group_by,
                 "rows": printed},
        subject="人大代表名册", generated_at=generated_at, progress=progress, cancel=cancel)


# --- 代表信息卡 -------------------------------------------------------------------------------------

_CARD_WIDTHS_MM = (31, 44, 25, 45, 35)  # label, value, label, value, photo = 180 mm
_PHOTO_ROWS = 4  # rows 0..3 leave the last column to the photo
_PHOTO_H = 45 * mm
_CARD_MIN_ROW = 10 * mm
# The form must stay on one page whatever was typed: fields are clipped, and the note is clipped
# further until the table fits this height (A4 frame minus title, footnote and signatures).
_CARD_TABLE_MAX = 190 * mm
_CLIP = {"name": 20, "work_unit": 100, "status_reason": 100}
_CLIP_OTHER = 22  # two lines in a value cell
# (note characters, note box height) tried in turn; ordinary cards fit with the first
_NOTE_FITS = ((400, 40 * mm), (250, 40 * mm), (150, 30 * mm), (80, 20 * mm), (30, 12 * mm))


def _clip(text: str, limit: int) -> str:
    text = text or ""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _card_rows(d: DeputyRow, note_limit: int) -> list[list[tuple[str, str]]]:
    """(label, value) pairs per row; a row of one pair spans its value across the rest."""
    lab = FIELD_LABELS

    def v(key: str) -> str:
        return _clip(getattr(d, key), _CLIP.get(key, _CLIP_OTHER))

    status = v("status")
    if d.status and d.status != IN_OFFICE and d.status_date:
        status = f"{status}（{d.status_date}）"
    rows = [
        [(lab["name"], v("name")), (lab["gender"], v("gender"))],
        [(lab["ethnicity"], v("ethnicity")), (lab["birth_date"], _month(d.birth_date))],
        [(lab["political"], v("political")), (lab["education"], v("education"))],
        [(lab["id_number"], d.id_masked)],
        [(lab["work_unit"], v("work_unit"))],
        [(lab["mobile"], v("mobile")), (lab["phone"], v("phone"))],
        [(lab["village"], v("village_name")), (lab["group_name"], v("group_name"))],
        [(lab["levels"], d.levels_label)],
        [(lab["term"], v("term")), (lab["constituency"], v("constituency"))],
        [(lab["elected_on"], v("elected_on")), (lab["status"], status)],
    ]
    if d.status and d.status != IN_OFFICE:
        rows.append([(lab["status_reason"], v("status_reason"))])
    rows.append([(lab["note"], _clip(d.note, note_limit))])
    return rows


def _card_table(rows: list[list[tuple[str, str]]], note_min: float) -> tuple[Table, float]:
    """The form table and its height."""
    st = layout.styles()
    label_st = st.label
    value_st = ParagraphStyle("cd-card-value", parent=st.body, leading=st.label.leading)
    w = [x * mm for x in _CARD_WIDTHS_MM]
    last_row = len(rows) - 1  # the note
    cmds: list[tuple] = [
        ("FONTNAME", (0, 0), (-1, -1), layout.register_font()),
        ("GRID", (0, 0), (-1, -1), 0.6, layout.RULE),
        ("BOX", (0, 0), (-1, -1), 1.2, layout.INK),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("VALIGN", (1, last_row), (-1, last_row), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 4),
        ("RIGHTPADDING", (0, 0), (-1, -1), 4),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
        ("SPAN", (4, 0), (4, _PHOTO_ROWS - 1)),
    ]
    data: list[list[object]] = []
    heights: list[float] = []
    for y, pairs in enumerate(rows):
        last_col = 3 if y < _PHOTO_ROWS else 4
        spans = [(0, 0), (1, last_col)] if len(pairs) == 1 else [(0, 0), (1, 1), (2, 2), (3, last_col)]
        texts = [t for pair in pairs for t in pair]
        row: list[object] = [""] * 5
        need = 0.0
        for i, ((x0, x1), text) in enumerate(zip(spans, texts, strict=True)):
            is_label = i % 2 == 0
            p = layout.para(text, label_st if is_label else value_st)
            row[x0] = p
            need = max(need, p.wrap(sum(w[x0:x1 + 1]) - 8, 10_000)[1] + 7)
            if x1 > x0:
                cmds.append(("SPAN", (x0, y), (x1, y)))
            if is_label:
                cmds.append(("BACKGROUND", (x0, y), (x1, y), layout.HEADER_FILL))
        heights.append(max(note_min if y == last_row else _CARD_MIN_ROW, need))
        data.append(row)
    short = _PHOTO_H - sum(heights[:_PHOTO_ROWS])
    if short > 0:
        heights[:_PHOTO_ROWS] = [h + short / _PHOTO_ROWS for h in heights[:_PHOTO_ROWS]]
    data[0][4] = Paragraph("贴照片处<br/><font size=8 color='#777777'>（近期免冠照片）</font>", st.cell_center)
    table = Table(data, colWidths=w, rowHeights=heights, hAlign="CENTER")
    table.setStyle(TableStyle(cmds))
    return table, sum(heights)


def render_deputy_card(path: str | Path, office_name: str, deputy: DeputyRow, *,
                       generated_at: dt.datetime | None = None) -> int:
    """代表信息卡: one A4 portrait page, the deputy's fields in a form with a place for a photo.
    The ID number is masked; very long texts are clipped with 「…」. Returns the page count (1)."""
    d = deputy
    st = layout.styles()
    for note_limit, note_min in _NOTE_FITS:
        rows = _card_rows(d, note_limit)
        table, height = _card_table(rows, note_min)
        if height <= _CARD_TABLE_MAX:
            break
    story: list[Flowable] = [
        *layout.title_block("代表信息卡", office_name),
        table,
        Spacer(1, 2 * mm),
        layout.para("注：身份证号已作脱敏处理，完整号码以系统登记为准。", st.small),
        Spacer(1, 4 * mm),
        layout.signature_block(["填表人", "审核人"], width=layout.frame_width(False)),
    ]
    printed = [list(pair) for pairs in rows for pair in pairs]
    return layout.build_pdf(
        path, "代表信息卡", story, office_name=office_name,
        content={"kind": "deputy_card", "office": office_name, "deputy": d.id, "version": d.version,
                 "fields": printed},
        subject=f"代表信息卡 {d.name}", generated_at=generated_at)
