"""The duty area's result rows (frozen DTOs): what records, evaluation and report hand each other and
the window. No database here: the services fill them, the reports and pages read them."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from congress_desktop.deputies.rules import IN_OFFICE
from congress_desktop.duty import rules as ev

# What a SourceRef points at; the window opens each kind in its own page or dialog.
REF_KINDS = {"duty": "履职记录", "training": "培训", "visit": "接待", "opinion": "意见建议", "vote": "票决/测评"}


@dataclass(frozen=True)
class SourceRef:
    kind: str          # duty / training / visit / opinion / vote
    id: str
    date: str
    title: str
    detail: str = ""   # how it went: 请假, 办结（满意）, 出席 ...
    points: str = ""   # the record's own points, if it has any

    @property
    def kind_label(self) -> str:
        return REF_KINDS.get(self.kind, self.kind)


@dataclass(frozen=True)
class DeputyOption:
    id: str
    name: str
    village_name: str
    group_name: str
    status: str
    initials: str
    pinyin: str

    @property
    def hint(self) -> str:
        return "　".join(x for x in (self.village_name, "" if self.status == IN_OFFICE else self.status) if x)


@dataclass(frozen=True)
class RecordRow:
    id: str
    deputy_id: str
    deputy_name: str
    record_date: str
    kind: str
    attendance: str
    title: str
    detail: str
    points: str
    batch_id: str
    owner_code: str
    version: int

    @property
    def kind_label(self) -> str:
        return f"{self.kind}（{self.attendance}）" if self.attendance else self.kind

    def as_form(self) -> dict:
        return {"deputy_id": self.deputy_id, "record_date": self.record_date, "kind": self.kind,
                "attendance": self.attendance, "title": self.title, "detail": self.detail, "points": self.points}


@dataclass(frozen=True)
class RecordQuery:
    deputy_id: str = ""
    kind: str = ""
    date_from: str = ""
    date_to: str = ""
    text: str = ""


@dataclass(frozen=True)
class SessionRoll:
    batch_id: str
    record_date: str
    title: str
    detail: str
    marks: dict[str, str]  # deputy id -> 出席 / 请假 / 缺席

    def counts(self) -> dict[str, int]:
        out = dict.fromkeys(ev.ATTENDANCE, 0)
        for m in self.marks.values():
            out[m] = out.get(m, 0) + 1
        return out


@dataclass(frozen=True)
class VoteChoice:
    id: str
    label: str
    date: str
    title: str


@dataclass(frozen=True)
class TrainingRow:
    id: str
    held_on: str
    topic: str
    kind: str
    organiser: str
    place: str
    hours: str
    note: str
    deputy_ids: tuple[str, ...]
    deputy_names: tuple[str, ...]
    owner_code: str
    version: int

    @property
    def attendee_count(self) -> int:
        return len(self.deputy_ids)

    def as_form(self) -> dict:
        return {"held_on": self.held_on, "topic": self.topic, "kind": self.kind, "organiser": self.organiser,
                "place": self.place, "hours": self.hours, "note": self.note, "deputy_ids": list(self.deputy_ids)}


@dataclass
class Activity:
    """Per deputy, per source (duty.rules.SOURCES key): the records counted in a period, and
    the 人代会 absences without leave up to the end of the period (the 代表资格 flag counts them all)."""

    by_deputy: dict[str, dict[str, list[tuple[SourceRef, Decimal | None]]]]
    absences_to_date: dict[str, int]

    def refs(self, deputy_id: str) -> dict[str, list[tuple[SourceRef, Decimal | None]]]:
        return self.by_deputy.get(deputy_id, {})


# ================================================================== evaluation


@dataclass(frozen=True)
class SchemeRow:
    id: str
    number: int
    created: str     # local date and time the version was saved
    note: str
    scheme: ev.Scheme

    @property
    def label(self) -> str:
        return f"第 {self.number} 版"


@dataclass(frozen=True)
class PeriodRow:
    id: str
    name: str
    kind: str
    date_from: str
    date_to: str
    closed: bool
    closed_on: str
    closed_by: str
    scheme_id: str | None
    scheme_number: int | None
    owner_code: str

    @property
    def state_label(self) -> str:
        return f"已关闭（{self.closed_on}，第 {self.scheme_number} 版办法）" if self.closed else "进行中"

    @property
    def label(self) -> str:
        return f"{self.name}（{self.date_from} 至 {self.date_to}）" + ("【已关闭】" if self.closed else "")


@dataclass(frozen=True)
class RatingRow:
    id: str
    period_id: str
    deputy_id: str
    deputy_name: str
    competent: int
    basic: int
    incompetent: int
    rated_on: str
    note: str

    @property
    def result(self) -> ev.RatingResult:
        return ev.rating_result(self.competent, self.basic, self.incompetent)

    @property
    def label(self) -> str:
        return self.result.label

    @property
    def summary(self) -> str:
        r = self.result
        return f"{r.label}（称职 {ev.percent(r.competent_share)}）"


@dataclass(frozen=True)
class ItemHeader:
    source: str
    label: str
    points: str
    cap: str

    @property
    def rule(self) -> str:
        text = f"每次 {self.points} 分"
        return text + (f"，{'最多扣' if self.points.startswith('-') else '最高'} {self.cap} 分" if self.cap else "")


@dataclass(frozen=True)
class ItemCell:
    source: str
    label: str
    count: int
    points: str
    raw: str
    capped: bool
    refs: tuple[SourceRef, ...]


@dataclass(frozen=True)
class EvaluationRow:
    deputy_id: str
    name: str
    village_name: str
    group_name: str
    status: str
    items: tuple[ItemCell, ...]
    base: str
    total: str
    rank: int
    grade: str
    flags: tuple[str, ...]
    active: bool
    absences: int
    absences_to_date: int
    rating: RatingRow | None

    def cell(self, source: str) -> ItemCell | None:
        return next((c for c in self.items if c.source == source), None)

    @property
    def flags_label(self) -> str:
        return "；".join(self.flags)


@dataclass(frozen=True)
class Evaluation:
    date_from: str
    date_to: str
    title: str
    period: PeriodRow | None
    scheme: SchemeRow
    items: tuple[ItemHeader, ...]
    rows: tuple[EvaluationRow, ...]              # by rank, then pinyin
    grade_counts: tuple[tuple[str, int], ...]    # in band order
    monthly: tuple[tuple[str, int], ...]         # activities per month, everyone together
    changed_since_close: tuple[str, ...]         # 「张三：82 → 85」 for a closed period whose records moved

    def row(self, deputy_id: str) -> EvaluationRow | None:
        return next((r for r in self.rows if r.deputy_id == deputy_id), None)

    def refs(self, deputy_id: str, source: str) -> tuple[SourceRef, ...]:
        """The records behind one number of the table."""
        row = self.row(deputy_id)
        cell = row.cell(source) if row else None
        return cell.refs if cell else ()

    @property
    def scheme_note(self) -> str:
        if self.period and self.period.closed:
            return f"按期间关闭时的考评办法{self.scheme.label}计算"
        return f"按现行考评办法{self.scheme.label}计算"

    @property
    def item_totals(self) -> tuple[tuple[str, Decimal], ...]:
        """Points of each item over all deputies (the chart of points by item)."""
        out = []
        for i, h in enumerate(self.items):
            out.append((h.label, sum((Decimal(r.items[i].points) for r in self.rows), Decimal(0))))
        return tuple(out)

    @property
    def remind(self) -> tuple[EvaluationRow, ...]:
        return tuple(r for r in self.rows if r.flags)

    @property
    def excellent(self) -> tuple[EvaluationRow, ...]:
        top = self.scheme.scheme.bands[0].label if len(self.scheme.scheme.bands) > 1 else None
        return tuple(r for r in self.rows if top and r.grade == top)

    def leaders(self) -> list[tuple[str, str, int]]:
        """(item, names, count) of the most active deputies per activity item: the highlights."""
        out = []
        for i, h in enumerate(self.items):
            src = ev.SOURCES.get(h.source)
            if src is None or not src.activity or h.source == "session_present":
                continue
            best = max((r.items[i].count for r in self.rows), default=0)
            if best < 2:  # once is no distinction
                continue
            names = [r.name for r in self.rows if r.items[i].count == best]
            shown = "、".join(names[:3]) + ("等" if len(names) > 3 else "")
            out.append((h.label, shown, best))
        return out

    def as_json(self) -> dict:
        return {
            "date_from": self.date_from, "date_to": self.date_to, "title": self.title,
            "period": self.period.name if self.period else None,
            "closed": bool(self.period and self.period.closed),
            "scheme": self.scheme.number,
            "items": [{"source": h.source, "label": h.label, "points": h.points, "cap": h.cap} for h in self.items],
            "grades": dict(self.grade_counts),
            "rows": [{
                "deputy_id": r.deputy_id, "name": r.name, "village": r.village_name, "status": r.status,
                "base": r.base, "total": r.total, "rank": r.rank, "grade": r.grade, "flags": list(r.flags),
                "active": r.active, "absences_to_date": r.absences_to_date,
                "rating": r.rating.summary if r.rating else None,
                "items": {c.source: {"count": c.count, "points": c.points, "capped": c.capped,
                                     "records": [{"kind": x.kind, "id": x.id, "date": x.date, "title": x.title}
                                                 for x in c.refs]} for c in r.items},
            } for r in self.rows],
        }


# ================================================================== the duty file (履职档案)

SECTION_LABELS = {**{k: s.label for k, s in ev.SOURCES.items()}, "vote_excused": "票决测评请假"}


@dataclass(frozen=True)
class FileEntry:
    source: str
    category: str
    ref: SourceRef


@dataclass(frozen=True)
class GridPlace:
    grid_id: str
    grid_name: str
    village_name: str
    role: str
    start_on: str
    end_on: str


@dataclass(frozen=True)
class DutyFile:
    deputy: Any                                  # the deputies area's DeputyRow (no import of its service)
    date_from: str
    date_to: str
    period_name: str
    entries: tuple[FileEntry, ...]               # by date
    counts: tuple[tuple[str, str, int], ...]     # (source, label, n), in the order of SOURCES
    grids: tuple[GridPlace, ...]
    opinion_outcomes: tuple[tuple[str, int], ...]  # opinions raised in the period, by present state
    monthly: tuple[tuple[str, int], ...]         # ('2026-03', activity count)
    score: EvaluationRow | None
    evaluated: int                               # how many deputies were ranked
    scheme_label: str
    item_labels: tuple[tuple[str, str], ...]     # (source, label) of the scheme's items
    rating: RatingRow | None
    absences_to_date: int

