"""The result rows (frozen DTOs) of visits and opinions: what the services return, the reports print
and the pages show. They know no database, so the services, the reports and the pages all import them
and none of them imports another for a row type."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, fields

from congress_desktop.core.idcard import mask_id_number
from congress_desktop.core.importing import ImportResult
from congress_desktop.visits.opinion_rules import CLOSED, PLANNED, Flow


@dataclass(frozen=True)
class AttachmentRow:
    id: str
    owner_table: str
    owner_id: str
    file_name: str
    sha256: str
    size: int
    note: str
    created_at: dt.datetime

    @property
    def size_label(self) -> str:
        if self.size >= 1024 * 1024:
            return f"{self.size / 1024 / 1024:.1f} MB"
        return f"{max(1, round(self.size / 1024))} KB"



# field key -> the Chinese label a history shows (sync and the history dialogs read them here)
VISIT_LABELS = {
    "visit_date": "接待日期", "start_time": "开始时间", "end_time": "结束时间", "form": "接待形式",
    "contact_point_id": "联系站点", "grid_id": "网格", "place_text": "地点", "village_id": "所在村(社区)",
    "note": "备注", "visitor_count": "来访人数", "name": "姓名", "phone": "联系电话", "village_group": "村民小组",
    "head_count": "人数", "id_number": "身份证号", "position": "序号", "deputy_id": "代表", "visit_id": "接待记录",
}

OPINION_FIELD_LABELS = {
    "content": "意见内容", "title": "标题", "category_id": "类别", "raised_on": "提出日期", "raised_by": "提出人",
    "raised_phone": "联系电话", "village_id": "所在村(社区)", "lead_deputy_id": "领衔代表", "key_item": "重点件",
    "reported_up": "上报市人大", "complex": "复杂件", "source": "来源", "state": "办理状态", "unit_id": "承办单位",
    "assist_units": "协办单位", "assigned_on": "交办日期", "deadline": "办理期限", "started_on": "开始办理日期",
    "reply_on": "答复日期", "reply_kind": "答复类型", "reply_text": "答复内容", "rated_on": "测评日期",
    "rating": "测评结果", "rated_by": "测评人", "closed_on": "办结日期", "return_count": "退回次数",
    "plan_done_on": "计划落实日期", "on_the_spot": "当场答复", "visit_id": "接待记录", "position": "序号",
    "seq": "编号", "stage": "环节", "meet_on": "日期", "participants": "参加人员", "notes": "情况记录",
}
FIELD_LABELS = OPINION_FIELD_LABELS


# ================================================================== visits

@dataclass(frozen=True)
class VisitorRow:
    id: str
    name: str
    phone: str
    village_group: str
    head_count: int
    id_number: str

    @property
    def id_masked(self) -> str:
        return mask_id_number(self.id_number)

    def as_form(self) -> dict:
        return {"name": self.name, "phone": self.phone, "village_group": self.village_group,
                "head_count": self.head_count, "id_number": self.id_number}


@dataclass(frozen=True)
class VisitRow:
    id: str
    visit_date: str
    start_time: str
    end_time: str
    form: str
    contact_point_id: str | None
    grid_id: str | None
    place_text: str
    place_label: str
    village_id: str | None
    village_name: str
    note: str
    deputy_ids: tuple[str, ...]
    deputy_names: tuple[str, ...]
    visitor_count: int
    visitor_names: tuple[str, ...]
    opinion_count: int
    open_count: int
    version: int

    @property
    def time_label(self) -> str:
        if self.start_time and self.end_time:
            return f"{self.start_time}-{self.end_time}"
        return self.start_time

    @property
    def deputies_label(self) -> str:
        return "、".join(self.deputy_names)


@dataclass(frozen=True)
class VisitDetail:
    row: VisitRow
    visitors: tuple[VisitorRow, ...]
    opinions: tuple[OpinionRow, ...]
    attachments: tuple[AttachmentRow, ...]

    def as_form(self) -> dict:
        """The dict ``save_visit`` reads, to edit this visit."""
        r = self.row
        return {
            "visit_date": r.visit_date, "start_time": r.start_time, "end_time": r.end_time, "form": r.form,
            "contact_point_id": r.contact_point_id or "", "grid_id": r.grid_id or "", "place_text": r.place_text,
            "village_id": r.village_id or "", "note": r.note, "deputy_ids": list(r.deputy_ids),
            "visitors": [v.as_form() for v in self.visitors],
            "opinions": [{"id": o.id, "category_id": o.category_id or "", "content": o.content, "title": o.title,
                          "on_the_spot": o.on_the_spot, "answer": o.reply_text if o.on_the_spot else "",
                          "answer_kind": o.reply_kind if o.on_the_spot else "说明解释", "key_item": o.key_item}
                         for o in self.opinions],
        }


@dataclass(frozen=True)
class PlaceOption:
    kind: str     # contact_point / grid
    id: str
    label: str
    village_id: str | None


@dataclass(frozen=True)
class VisitQuery:
    text: str = ""
    date_from: str = ""
    date_to: str = ""
    form: str = ""
    contact_point_id: str = ""
    grid_id: str = ""
    village_id: str = ""
    deputy_id: str = ""


@dataclass(frozen=True)
class HomeSummary:
    today: str
    month_from: str
    year_from: str
    visits_month: int
    visits_year: int
    opinions_year: int
    closed_year: int
    rated_year: int
    satisfied_year: int
    open_items: int
    overdue: int
    due_soon: int

    @property
    def closed_rate(self) -> float | None:
        return self.closed_year / self.opinions_year if self.opinions_year else None

    @property
    def satisfaction_rate(self) -> float | None:
        return self.satisfied_year / self.rated_year if self.rated_year else None


def percent(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.1f}%"



@dataclass(frozen=True)
class LedgerImportResult(ImportResult):
    """The ledger import's result: ``applied`` counts visits (several rows may make one visit)."""

    applied_opinions: int = 0

    @property
    def applied_visits(self) -> int:
        return self.applied


# ================================================================== opinions

@dataclass(frozen=True)
class CategoryRow:
    id: str
    name: str
    hint: str
    sort_order: int
    active: bool

    @property
    def label(self) -> str:
        return f"{self.name}（{self.hint}）" if self.hint else self.name


@dataclass(frozen=True)
class OpinionRow:
    id: str
    seq: int
    visit_id: str | None
    raised_on: str
    source: str
    title: str
    content: str
    category_id: str | None
    category: str
    raised_by: str
    raised_phone: str
    village_id: str | None
    village_name: str
    lead_deputy_id: str | None
    lead_deputy_name: str
    deputy_names: tuple[str, ...]   # the deputies who received it (its visit), lead deputy first
    state: str
    on_the_spot: bool
    unit_id: str | None
    unit_name: str
    assist_units: str
    assigned_on: str
    deadline: str
    complex: bool
    started_on: str
    reply_on: str
    reply_kind: str
    reply_text: str
    rated_on: str
    rating: str
    rated_by: str
    closed_on: str
    return_count: int
    plan_done_on: str
    key_item: bool
    reported_up: bool
    version: int
    deadline_kind: str = ""   # overdue / due_soon / ''
    days_left: int = 0

    @property
    def overdue(self) -> bool:
        return self.deadline_kind == "overdue"

    @property
    def due_soon(self) -> bool:
        return self.deadline_kind == "due_soon"

    @property
    def deadline_label(self) -> str:
        if self.deadline_kind == "overdue":
            return f"超期 {-self.days_left} 天"
        if self.deadline_kind == "due_soon":
            return "今天到期" if self.days_left == 0 else f"{self.days_left} 天后到期"
        return ""

    @property
    def planned_open(self) -> bool:
        return self.reply_kind == PLANNED and not self.plan_done_on and self.state != CLOSED

    @property
    def state_label(self) -> str:
        extra = []
        if self.on_the_spot:
            extra.append("当场答复")
        if self.planned_open:
            extra.append("列入计划跟踪")
        if self.return_count:
            extra.append(f"退回 {self.return_count} 次")
        return self.state + (f"（{'，'.join(extra)}）" if extra else "")

    @property
    def summary(self) -> str:
        text = self.title or self.content
        return text if len(text) <= 40 else text[:39] + "…"

    def flow(self, last_on: str = "") -> Flow:
        return Flow(**{f.name: getattr(self, f.name) for f in fields(Flow) if f.name != "last_on"},
                    last_on=last_on)


@dataclass(frozen=True)
class MeetingRow:
    id: str
    stage: str
    meet_on: str
    participants: str
    notes: str


@dataclass(frozen=True)
class EventRow:
    id: str
    on: str
    action: str
    label: str
    from_state: str
    to_state: str
    detail: str
    user: str
    at: dt.datetime


@dataclass(frozen=True)
class OpinionDetail:
    row: OpinionRow
    meetings: tuple[MeetingRow, ...]
    events: tuple[EventRow, ...]
    allowed: tuple[str, ...]           # action keys the rules allow now
    visit_label: str = ""              # 「2026-03-15 接待日 · 六里坪镇人大代表之家」

    @property
    def last_on(self) -> str:
        return max((e.on for e in self.events), default="")

    def meeting(self, stage: str) -> MeetingRow | None:
        return next((m for m in self.meetings if m.stage == stage), None)


@dataclass(frozen=True)
class OpinionQuery:
    text: str = ""
    state: str = ""            # a state, 未办结, 列入计划跟踪, or '' for all
    category_id: str = ""
    unit_id: str = ""
    village_id: str = ""
    deputy_id: str = ""
    date_from: str = ""        # raised_on, ISO or as typed
    date_to: str = ""
    overdue: bool = False
    due_soon: bool = False     # with overdue: either
    visit_id: str = ""
    rated: bool = False        # only items with a rating (for the satisfaction figure)
    sort: str = "raised_on"    # raised_on (newest first) / deadline (earliest first)


@dataclass(frozen=True)
class SummaryLine:
    name: str
    total: int = 0
    open: int = 0
    closed: int = 0
    overdue: int = 0
    rated: int = 0
    satisfied: int = 0
    returned: int = 0   # items sent back at least once

    @property
    def closed_rate(self) -> float | None:
        return self.closed / self.total if self.total else None

    @property
    def satisfaction_rate(self) -> float | None:
        return self.satisfied / self.rated if self.rated else None


@dataclass(frozen=True)
class OpinionSummary:
    date_from: str
    date_to: str
    today: str
    total: SummaryLine
    by_state: tuple[tuple[str, int], ...]
    by_category: tuple[SummaryLine, ...]
    by_unit: tuple[SummaryLine, ...]
    by_rating: tuple[tuple[str, int], ...]
    on_the_spot: int = 0
    planned_open: int = 0
