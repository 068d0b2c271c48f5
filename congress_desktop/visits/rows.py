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
