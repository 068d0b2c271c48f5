"""Deputies' duty records (履职+): records entered here, training sessions, everything the program
already knows about a deputy (visits received, opinions raised and how they ended, grids, 票决 / 测评
roll calls), the duty file (履职档案) of one deputy for one period, and the demo year.

Every counted thing comes back as a ``SourceRef`` (kind, id, date, title), so a number on screen or on
paper can be traced to the records behind it. Records dated inside a closed evaluation period cannot
be added, changed or deleted until the period is reopened: a published notice stays true."""

from __future__ import annotations

import datetime as dt
import logging
import random
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from congress_desktop.core.context import Cancel, Context, Progress, check_cancel, never_cancel, no_progress
from congress_desktop.core.errors import CongressError, FieldErrors, InvalidInput, NotFound
from congress_desktop.core.ownership import ensure_owned
from congress_desktop.core.store.ids import uuid7
from congress_desktop.core.store.models import ContactPoint, Deputy, Village
from congress_desktop.core.store.models_duty import DutyRecord, EvalPeriod, Training, TrainingAttendee
from congress_desktop.core.store.models_grids import Grid, GridAssignment
from congress_desktop.core.store.models_visits import Opinion, Visit, VisitDeputy
from congress_desktop.core.store.models_votes import VoteAttendance, VoteSession
from congress_desktop.core.text import clean, pinyin_keys
from congress_desktop.deputies.service import DeputyRow, get_deputy
from congress_desktop.duty import rules as ev
from congress_desktop.visits.opinion_rules import CLOSED
from congress_desktop.visits.opinion_rules import opinion_number as referral_number
from congress_desktop.votes.tally import KINDS as VOTE_KINDS

if TYPE_CHECKING:
    from congress_desktop.duty.evaluation import EvaluationRow, RatingRow

log = logging.getLogger(__name__)

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


# ================================================================== who is evaluated

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
        return "　".join(x for x in (self.village_name, "" if self.status == "在任" else self.status) if x)


def _in_scope(d: Deputy, office_code: str, role: str) -> bool:
    """A town evaluates its town-level deputies; the city its own roster (the towns keep theirs)."""
    if role == "city":
        return d.owner_code in ("", office_code)
    return "town" in d.levels.split(",")


def deputies_in_office(s: Session, ctx: Context, date_from: str | None = None,
                       date_to: str | None = None) -> list[Deputy]:
    """Deputies in office at some time of the period (all of them without a period), by pinyin.

    A deputy whose office ended (终止) or was suspended (暂停) before the period is left out; one who
    left during the period is evaluated for the part served (the status shows beside the name)."""
    office = ctx.require_office()
    rows = s.scalars(select(Deputy).where(Deputy.deleted.is_(False)).order_by(Deputy.name_pinyin, Deputy.id)).all()
    # one person may be on the town's own roll and on the city's roster sent down (a deputy of both
    # levels): evaluated once, on the town's own record
    own = [d for d in rows if d.owner_code in ("", office.code)]
    own_keys = {d.id_number for d in own if d.id_number} | {(d.name, d.birth_date) for d in own if d.birth_date}
    out = []
    for d in rows:
        if not _in_scope(d, office.code, office.role):
            continue
        if d.owner_code not in ("", office.code) and (
                (d.id_number and d.id_number in own_keys) or (d.birth_date and (d.name, d.birth_date) in own_keys)):
            continue
        if date_from and d.status != "在任" and d.status_date and d.status_date < date_from:
            continue
        if date_to and d.elected_on and d.elected_on > date_to:
            continue
        out.append(d)
    return out


def deputy_options(ctx: Context, date_from: str | None = None, date_to: str | None = None) -> list[DeputyOption]:
    """The deputies a record or a training attendee is chosen from (in office first)."""
    with ctx.store.session() as s:
        rows = deputies_in_office(s, ctx, date_from, date_to)
        villages = dict(s.execute(select(Village.id, Village.name)).all())
        out = []
        for d in rows:
            full, initials = (d.name_pinyin, d.name_initials) if d.name_pinyin else pinyin_keys(d.name)
            out.append(DeputyOption(d.id, d.name, villages.get(d.village_id, ""), d.group_name, d.status,
                                    initials, full))
    out.sort(key=lambda o: (o.status != "在任", o.pinyin))
    return out


def find_deputy_id(ctx: Context, key: str) -> str:
    """A deputy by id, by name (unique among the living records) or by 身份证号."""
    key = clean(key)
    with ctx.store.session() as s:
        d = s.get(Deputy, key)
        if d is not None and not d.deleted:
            return d.id
        found = s.scalars(select(Deputy).where(Deputy.deleted.is_(False),
                                               or_(Deputy.name == key, Deputy.id_number == key.upper()))).all()
    if not found:
        raise NotFound(f"找不到代表“{key}”")
    if len(found) > 1:  # the same person on this office's roll and on another's: this office's record
        office = ctx.require_office()
        own = [d for d in found if d.owner_code in ("", office.code)]
        if len(own) == 1:
            return own[0].id
    if len(found) > 1:
        raise InvalidInput(f"有 {len(found)} 位代表叫“{key}”，请用身份证号或编号（deputies list --json 中的 id）指定")
    return found[0].id


# ================================================================== closed periods lock their records

def _closed_period_on(s: Session, ctx: Context, day: str) -> EvalPeriod | None:
    if not day:
        return None
    own = ctx.office.code if ctx.office else ""
    return s.scalars(select(EvalPeriod).where(EvalPeriod.deleted.is_(False), EvalPeriod.closed.is_(True),
                                              EvalPeriod.date_from <= day, EvalPeriod.date_to >= day,
                                              EvalPeriod.owner_code.in_((own, "")))
                     .order_by(EvalPeriod.date_from)).first()


def guard_open(s: Session, ctx: Context, *days: str) -> None:
    for day in days:
        p = _closed_period_on(s, ctx, day)
        if p is not None:
            raise CongressError(f"{day} 属于已关闭的考评期间“{p.name}”，其记录不能再新增、修改或删除；"
                                "如确需更正，请先在“考评”中重新打开该期间", code="period_closed")


# ================================================================== duty records

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


def _record_row(r: DutyRecord, names: Mapping[str, str]) -> RecordRow:
    return RecordRow(r.id, r.deputy_id, names.get(r.deputy_id, "（已删除的代表）"), r.record_date, r.kind,
                     r.attendance, r.title, r.detail, r.points, r.batch_id, r.owner_code, r.version)


def _names(s: Session, ids: Iterable[str] | None = None) -> dict[str, str]:
    stmt = select(Deputy.id, Deputy.name)
    if ids is not None:
        ids = list(set(ids))
        if len(ids) < 500:
            stmt = stmt.where(Deputy.id.in_(ids))
    return dict(s.execute(stmt).all())


def query_records(ctx: Context, q: RecordQuery = RecordQuery(), offset: int = 0,
                  limit: int | None = None) -> list[RecordRow]:
    """Entered records, newest first."""
    stmt = select(DutyRecord).where(DutyRecord.deleted.is_(False))
    if q.deputy_id:
        stmt = stmt.where(DutyRecord.deputy_id == q.deputy_id)
    if q.kind:
        stmt = stmt.where(DutyRecord.kind == q.kind)
    if q.date_from:
        stmt = stmt.where(DutyRecord.record_date >= q.date_from)
    if q.date_to:
        stmt = stmt.where(DutyRecord.record_date <= q.date_to)
    for word in clean(q.text).split():
        stmt = stmt.where(or_(DutyRecord.title.contains(word, autoescape=True),
                              DutyRecord.detail.contains(word, autoescape=True),
                              DutyRecord.deputy_id.in_(select(Deputy.id).where(or_(
                                  Deputy.name.contains(word, autoescape=True),
                                  Deputy.name_initials.startswith(word.lower(), autoescape=True))))))
    stmt = stmt.order_by(DutyRecord.record_date.desc(), DutyRecord.batch_id, DutyRecord.id).offset(offset)
    if limit is not None:
        stmt = stmt.limit(limit)
    with ctx.store.session() as s:
        rows = s.scalars(stmt).all()
        names = _names(s, (r.deputy_id for r in rows))
        return [_record_row(r, names) for r in rows]


def get_record(ctx: Context, record_id: str) -> RecordRow:
    with ctx.store.session() as s:
        r = s.get(DutyRecord, record_id)
        if r is None or r.deleted:
            raise NotFound("该履职记录不存在或已删除")
        return _record_row(r, _names(s, [r.deputy_id]))


def _check_deputy(s: Session, deputy_id: str, field: str = "deputy_id") -> Deputy:
    d = s.get(Deputy, deputy_id)
    if d is None or d.deleted:
        raise FieldErrors({field: "所选代表不存在或已删除"})
    return d


def save_record(ctx: Context, raw: Mapping, record_id: str | None = None) -> RecordRow:
    """Add or change one record (a 人代会 roll call of everyone at once: ``save_session``)."""
    data = ev.normalise_record(raw)
    with ctx.store.session() as s:
        _check_deputy(s, data.deputy_id)
        if record_id:
            r = s.get(DutyRecord, record_id)
            if r is None or r.deleted:
                raise NotFound("该履职记录不存在或已删除")
            ensure_owned(ctx, r)
            guard_open(s, ctx, r.record_date, data.record_date)
        else:
            guard_open(s, ctx, data.record_date)
            r = DutyRecord()
            s.add(r)
        values = {"deputy_id": data.deputy_id, "record_date": data.record_date, "kind": data.kind,
                  "attendance": data.attendance, "title": data.title, "detail": data.detail,
                  "points": ev.fmt(data.points)}
        for key, value in values.items():
            if getattr(r, key) != value:
                setattr(r, key, value)
        s.flush()
        return _record_row(r, _names(s, [r.deputy_id]))


def delete_record(ctx: Context, record_id: str) -> None:
    with ctx.store.session() as s:
        r = s.get(DutyRecord, record_id)
        if r is None or r.deleted:
            raise NotFound("该履职记录不存在或已删除")
        ensure_owned(ctx, r)
        guard_open(s, ctx, r.record_date)
        r.deleted = True


# ------------------------------------------------------------------ a session's roll call

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


def list_sessions(ctx: Context) -> list[SessionRoll]:
    """The 人代会 roll calls entered, newest first."""
    with ctx.store.session() as s:
        rows = s.scalars(select(DutyRecord).where(DutyRecord.deleted.is_(False), DutyRecord.kind == ev.SESSION)
                         .order_by(DutyRecord.record_date.desc(), DutyRecord.batch_id)).all()
    groups: dict[str, list[DutyRecord]] = {}
    for r in rows:
        groups.setdefault(r.batch_id or r.id, []).append(r)
    return [SessionRoll(key, rs[0].record_date, rs[0].title, rs[0].detail, {r.deputy_id: r.attendance for r in rs})
            for key, rs in groups.items()]


def get_session_roll(ctx: Context, batch_id: str) -> SessionRoll:
    roll = next((r for r in list_sessions(ctx) if r.batch_id == batch_id), None)
    if roll is None:
        raise NotFound("该次人代会的出席记录不存在或已删除")
    return roll


def save_session(ctx: Context, raw: Mapping, batch_id: str | None = None) -> SessionRoll:
    """One congress session and every deputy's attendance (出席 / 请假 / 缺席) in one go: a record per
    deputy, sharing a batch id. Deputies left out of ``marks`` get no record (not on the roll)."""
    marks = {clean(k): clean(v) for k, v in (raw.get("marks") or {}).items()}
    errors: dict[str, str] = {}
    bad = [m for m in marks.values() if m not in ev.ATTENDANCE]
    if bad:
        errors["marks"] = f"出席情况应为 {'、'.join(ev.ATTENDANCE)} 之一，而不是“{bad[0]}”"
    elif not marks:
        errors["marks"] = "请至少登记一位代表的出席情况"
    try:
        first = ev.normalise_record({"deputy_id": "x", "kind": ev.SESSION, "attendance": ev.PRESENT,
                                     "record_date": raw.get("record_date"), "title": raw.get("title"),
                                     "detail": raw.get("detail")})
    except FieldErrors as e:
        errors.update(e.errors)
        first = None
    if errors:
        raise FieldErrors(errors)
    assert first is not None
    with ctx.store.session() as s:
        for did in marks:
            _check_deputy(s, did, "marks")
        old: dict[str, DutyRecord] = {}
        if batch_id:
            rows = s.scalars(select(DutyRecord).where(DutyRecord.batch_id == batch_id)).all()
            if not any(not r.deleted for r in rows):
                raise NotFound("该次人代会的出席记录不存在或已删除")
            for r in rows:
                ensure_owned(ctx, r)
                if not r.deleted:
                    guard_open(s, ctx, r.record_date)
                old[r.deputy_id] = r
        else:
            batch_id = uuid7()
        guard_open(s, ctx, first.record_date)
        for did, mark in marks.items():
            r = old.pop(did, None)
            if r is None:
                r = DutyRecord(deputy_id=did, batch_id=batch_id, kind=ev.SESSION)
                s.add(r)
            values = {"record_date": first.record_date, "attendance": mark, "title": first.title,
                      "detail": first.detail, "deleted": False}
            for key, value in values.items():
                if getattr(r, key) != value:
                    setattr(r, key, value)
        for r in old.values():  # taken off the roll
            if not r.deleted:
                r.deleted = True
        s.flush()
    return get_session_roll(ctx, batch_id)


def delete_session(ctx: Context, batch_id: str) -> int:
    with ctx.store.session() as s:
        rows = [r for r in s.scalars(select(DutyRecord).where(DutyRecord.batch_id == batch_id)) if not r.deleted]
        if not rows:
            raise NotFound("该次人代会的出席记录不存在或已删除")
        for r in rows:
            ensure_owned(ctx, r)
            guard_open(s, ctx, r.record_date)
            r.deleted = True
        return len(rows)


def roll_from_vote(ctx: Context, vote_session_id: str) -> dict[str, str]:
    """The roll call of a 票决 / 测评 (taken at the congress session) as marks to start from."""
    with ctx.store.session() as s:
        v = s.get(VoteSession, vote_session_id)
        if v is None or v.deleted:
            raise NotFound("该表决不存在或已删除")
        rows = s.scalars(select(VoteAttendance).where(VoteAttendance.session_id == v.id,
                                                      VoteAttendance.deleted.is_(False))).all()
        return {a.deputy_id: a.status for a in rows if a.status in ev.ATTENDANCE}


@dataclass(frozen=True)
class VoteChoice:
    id: str
    label: str
    date: str
    title: str


def vote_sessions(ctx: Context) -> list[VoteChoice]:
    with ctx.store.session() as s:
        rows = s.scalars(select(VoteSession).where(VoteSession.deleted.is_(False))
                         .order_by(VoteSession.date.desc(), VoteSession.number.desc())).all()
        return [VoteChoice(v.id, f"{v.date} {VOTE_KINDS.get(v.kind, v.kind)}：{v.title}", v.date, v.title) for v in rows]


# ================================================================== training

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


def _training_rows(s: Session, trainings: list[Training]) -> list[TrainingRow]:
    ids = [t.id for t in trainings]
    attendees: dict[str, list[str]] = {i: [] for i in ids}
    if ids:
        for tid, did in s.execute(select(TrainingAttendee.training_id, TrainingAttendee.deputy_id)
                                  .join(Deputy, Deputy.id == TrainingAttendee.deputy_id)
                                  .where(TrainingAttendee.deleted.is_(False), TrainingAttendee.training_id.in_(ids))
                                  .order_by(Deputy.name_pinyin)):
            attendees[tid].append(did)
    names = _names(s, (d for ds in attendees.values() for d in ds))
    return [TrainingRow(t.id, t.held_on, t.topic, t.kind, t.organiser, t.place, t.hours, t.note,
                        tuple(attendees[t.id]), tuple(names.get(d, "") for d in attendees[t.id]), t.owner_code,
                        t.version) for t in trainings]


def list_trainings(ctx: Context, date_from: str = "", date_to: str = "", text: str = "") -> list[TrainingRow]:
    stmt = select(Training).where(Training.deleted.is_(False))
    if date_from:
        stmt = stmt.where(Training.held_on >= date_from)
    if date_to:
        stmt = stmt.where(Training.held_on <= date_to)
    for word in clean(text).split():
        stmt = stmt.where(or_(Training.topic.contains(word, autoescape=True), Training.kind == word,
                              Training.organiser.contains(word, autoescape=True)))
    with ctx.store.session() as s:
        return _training_rows(s, list(s.scalars(stmt.order_by(Training.held_on.desc(), Training.id))))


def get_training(ctx: Context, training_id: str) -> TrainingRow:
    with ctx.store.session() as s:
        t = s.get(Training, training_id)
        if t is None or t.deleted:
            raise NotFound("该培训记录不存在或已删除")
        return _training_rows(s, [t])[0]


def save_training(ctx: Context, raw: Mapping, training_id: str | None = None) -> TrainingRow:
    """A training session and its attendees (the attendance counts in each deputy's file)."""
    data = ev.normalise_training(raw)
    with ctx.store.session() as s:
        for did in data.deputy_ids:
            _check_deputy(s, did, "deputy_ids")
        if training_id:
            t = s.get(Training, training_id)
            if t is None or t.deleted:
                raise NotFound("该培训记录不存在或已删除")
            ensure_owned(ctx, t)
            guard_open(s, ctx, t.held_on, data.held_on)
        else:
            guard_open(s, ctx, data.held_on)
            t = Training()
            s.add(t)
        values = {"held_on": data.held_on, "topic": data.topic, "kind": data.kind, "organiser": data.organiser,
                  "place": data.place, "hours": ev.fmt(data.hours), "note": data.note}
        for key, value in values.items():
            if getattr(t, key) != value:
                setattr(t, key, value)
        s.flush()
        old = {a.deputy_id: a for a in s.scalars(select(TrainingAttendee).where(TrainingAttendee.training_id == t.id))}
        wanted = set(data.deputy_ids)
        for did in data.deputy_ids:
            a = old.get(did)
            if a is None:
                s.add(TrainingAttendee(training_id=t.id, deputy_id=did))
            elif a.deleted:
                a.deleted = False  # back on the list: the same row (one per training and deputy)
        for did, a in old.items():
            if did not in wanted and not a.deleted:
                a.deleted = True
        s.flush()
        return _training_rows(s, [t])[0]


def delete_training(ctx: Context, training_id: str) -> None:
    with ctx.store.session() as s:
        t = s.get(Training, training_id)
        if t is None or t.deleted:
            raise NotFound("该培训记录不存在或已删除")
        ensure_owned(ctx, t)
        guard_open(s, ctx, t.held_on)
        t.deleted = True
        for a in s.scalars(select(TrainingAttendee).where(TrainingAttendee.training_id == t.id)):
            if not a.deleted:
                a.deleted = True


# ================================================================== what the program knows

@dataclass
class Activity:
    """Per deputy, per source (domain.evaluation.SOURCES key): the records counted in a period, and
    the 人代会 absences without leave up to the end of the period (the 代表资格 flag counts them all)."""

    by_deputy: dict[str, dict[str, list[tuple[SourceRef, Decimal | None]]]]
    absences_to_date: dict[str, int]

    def refs(self, deputy_id: str) -> dict[str, list[tuple[SourceRef, Decimal | None]]]:
        return self.by_deputy.get(deputy_id, {})


def _opinion_detail(o: Any) -> str:
    parts = [x for x in (o.reply_kind, o.rating) if x]
    return f"{o.state}（{'，'.join(parts)}）" if parts else o.state


def _opinion_title(o: Any) -> str:
    text = o.title or o.content
    short = text if len(text) <= 40 else text[:39] + "…"
    return f"{referral_number(o.seq, o.raised_on)} {short}" if o.seq else short


def _limit(stmt, column, ids: list[str] | None):
    return stmt.where(column.in_(ids)) if ids is not None else stmt


def collect_activity(s: Session, date_from: str, date_to: str, deputy_ids: list[str] | None = None) -> Activity:
    """Everything counted for the deputies (all when ``deputy_ids`` is None) between the two dates."""
    acts: dict[str, dict[str, list[tuple[SourceRef, Decimal | None]]]] = defaultdict(lambda: defaultdict(list))

    def add(deputy_id: str, source: str, ref: SourceRef, points: Decimal | None = None) -> None:
        acts[deputy_id][source].append((ref, points))

    # entered records
    # plain rows, not ORM objects: a year of a large town is tens of thousands of them
    stmt = select(DutyRecord.deputy_id, DutyRecord.id, DutyRecord.record_date, DutyRecord.kind,
                  DutyRecord.attendance, DutyRecord.title, DutyRecord.points).where(
        DutyRecord.deleted.is_(False), DutyRecord.record_date >= date_from, DutyRecord.record_date <= date_to)
    for r in s.execute(_limit(stmt, DutyRecord.deputy_id, deputy_ids)
                       .order_by(DutyRecord.record_date, DutyRecord.id)):
        points = ev.parse_points(r.points, allow_empty=True) if r.points else None
        add(r.deputy_id, ev.record_source(r.kind, r.attendance),
            SourceRef("duty", r.id, r.record_date, r.title, f"{r.kind}（{r.attendance}）" if r.attendance else r.kind,
                      r.points), points)
    stmt = (select(DutyRecord.deputy_id, func.count()).where(
        DutyRecord.deleted.is_(False), DutyRecord.kind == ev.SESSION, DutyRecord.attendance == ev.ABSENT,
        DutyRecord.record_date <= date_to).group_by(DutyRecord.deputy_id))
    absences = dict(s.execute(_limit(stmt, DutyRecord.deputy_id, deputy_ids)).all())

    # training
    stmt = (select(TrainingAttendee.deputy_id, Training.id, Training.held_on, Training.topic, Training.kind)
            .join(Training, Training.id == TrainingAttendee.training_id)
            .where(TrainingAttendee.deleted.is_(False), Training.deleted.is_(False), Training.held_on >= date_from,
                   Training.held_on <= date_to).order_by(Training.held_on, Training.id))
    for did, tid, held_on, topic, kind in s.execute(_limit(stmt, TrainingAttendee.deputy_id, deputy_ids)):
        add(did, "training", SourceRef("training", tid, held_on, topic, f"培训（{kind}）"))

    # visits received: at a contact point (or elsewhere), or in a grid
    points_names = dict(s.execute(select(ContactPoint.id, ContactPoint.name)).all())
    grid_names = dict(s.execute(select(Grid.id, Grid.name)).all())
    stmt = (select(VisitDeputy.deputy_id, Visit.id, Visit.visit_date, Visit.form, Visit.grid_id,
                   Visit.contact_point_id, Visit.place_text, Visit.visitor_count)
            .join(Visit, Visit.id == VisitDeputy.visit_id)
            .where(VisitDeputy.deleted.is_(False), Visit.deleted.is_(False), Visit.visit_date >= date_from,
                   Visit.visit_date <= date_to).order_by(Visit.visit_date, Visit.start_time, Visit.id))
    for v in s.execute(_limit(stmt, VisitDeputy.deputy_id, deputy_ids)):
        did = v.deputy_id
        if v.grid_id:
            place = f"网格：{grid_names.get(v.grid_id, '')}"
        else:
            place = points_names.get(v.contact_point_id, "") if v.contact_point_id else v.place_text
        title = f"{v.form}：{place}" if place else v.form
        add(did, "grid_visit" if v.grid_id else "visit",
            SourceRef("visit", v.id, v.visit_date, title, f"来访 {v.visitor_count} 人" if v.visitor_count else ""))

    # opinions: collected at the deputy's visits or led by the deputy
    columns = (Opinion.id, Opinion.raised_on, Opinion.seq, Opinion.title, Opinion.content, Opinion.state,
               Opinion.reply_kind, Opinion.rating, Opinion.closed_on)

    def opinions(where) -> Iterable[tuple[str, Any]]:
        via_visit = (select(VisitDeputy.deputy_id, *columns).join(Opinion, Opinion.visit_id == VisitDeputy.visit_id)
                     .where(VisitDeputy.deleted.is_(False), Opinion.deleted.is_(False), *where))
        led = select(Opinion.lead_deputy_id, *columns).where(Opinion.lead_deputy_id.is_not(None),
                                                             Opinion.deleted.is_(False), *where)
        seen: set[tuple[str, str]] = set()
        rows = list(s.execute(_limit(via_visit, VisitDeputy.deputy_id, deputy_ids)))
        rows += list(s.execute(_limit(led, Opinion.lead_deputy_id, deputy_ids)))
        rows.sort(key=lambda o: (o.raised_on, o.seq or 0, o.id))
        for o in rows:
            if (o[0], o.id) not in seen:
                seen.add((o[0], o.id))
                yield o[0], o

    for did, o in opinions([Opinion.raised_on >= date_from, Opinion.raised_on <= date_to]):
        add(did, "opinion", SourceRef("opinion", o.id, o.raised_on, _opinion_title(o), _opinion_detail(o)))
    for did, o in opinions([Opinion.state == CLOSED, Opinion.closed_on >= date_from, Opinion.closed_on <= date_to]):
        add(did, "opinion_closed", SourceRef("opinion", o.id, o.closed_on, _opinion_title(o), _opinion_detail(o)))

    # 票决 / 测评 roll calls
    stmt = (select(VoteAttendance.deputy_id, VoteAttendance.status, VoteSession.id, VoteSession.date,
                   VoteSession.title, VoteSession.kind)
            .join(VoteSession, VoteSession.id == VoteAttendance.session_id)
            .where(VoteAttendance.deleted.is_(False), VoteSession.deleted.is_(False), VoteSession.date >= date_from,
                   VoteSession.date <= date_to).order_by(VoteSession.date, VoteSession.number))
    for v in s.execute(_limit(stmt, VoteAttendance.deputy_id, deputy_ids)):
        did, status = v.deputy_id, v.status
        source = {"出席": "vote_present", "缺席": "vote_absent"}.get(status)
        ref = SourceRef("vote", v.id, v.date, f"{VOTE_KINDS.get(v.kind, v.kind)}：{v.title}", status)
        if source:
            add(did, source, ref)
        elif status == "请假":
            add(did, "vote_excused", ref)  # shown in the duty file, counted by no item
    return Activity({k: dict(v) for k, v in acts.items()}, absences)


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
    deputy: DeputyRow
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


def _grid_places(s: Session, deputy_id: str, date_from: str, date_to: str) -> list[GridPlace]:
    rows = s.execute(select(GridAssignment, Grid, Village).join(Grid, Grid.id == GridAssignment.grid_id)
                     .outerjoin(Village, Village.id == Grid.village_id)
                     .where(GridAssignment.deputy_id == deputy_id, GridAssignment.deleted.is_(False),
                            GridAssignment.start_on <= date_to,
                            or_(GridAssignment.end_on == "", GridAssignment.end_on > date_from))
                     .order_by(GridAssignment.start_on)).all()
    return [GridPlace(g.id, g.name, v.name if v else "", a.role, a.start_on, a.end_on) for a, g, v in rows]


def duty_file(ctx: Context, deputy_id: str, date_from: str, date_to: str) -> DutyFile:
    """Everything about one deputy for one period: entered records, trainings, visits, opinions and how
    they ended, grids, roll calls, the points per item with rank and grade, the voter rating."""
    from congress_desktop.duty import evaluation as evs

    date_from, date_to = ev.check_range(date_from, date_to)
    deputy = get_deputy(ctx, deputy_id)
    with ctx.store.session() as s:
        act = collect_activity(s, date_from, date_to, [deputy_id])
        grids = _grid_places(s, deputy_id, date_from, date_to)
    entries = [FileEntry(src, SECTION_LABELS.get(src, src), ref)
               for src, refs in act.refs(deputy_id).items() for ref, _p in refs]
    entries.sort(key=lambda e: (e.ref.date, list(SECTION_LABELS).index(e.source) if e.source in SECTION_LABELS
                                else 99, e.ref.title))
    order = list(SECTION_LABELS)
    counts = tuple((src, SECTION_LABELS[src], len(act.refs(deputy_id).get(src, ())))
                   for src in order if act.refs(deputy_id).get(src))
    outcomes: dict[str, int] = {}
    for ref, _p in act.refs(deputy_id).get("opinion", ()):
        state = ref.detail.split("（")[0]
        outcomes[state] = outcomes.get(state, 0) + 1
    month_keys = ev.months(date_from, date_to)
    monthly = dict.fromkeys(month_keys, 0)
    for e in entries:
        if ev.SOURCES.get(e.source) and ev.SOURCES[e.source].activity and e.source != "opinion_closed":
            key = e.ref.date[:7]
            if key in monthly:
                monthly[key] += 1
    evaluation = evs.evaluate(ctx, date_from, date_to)
    score = evaluation.row(deputy_id)
    return DutyFile(deputy, date_from, date_to, ev.period_name(date_from, date_to), tuple(entries), counts,
                    tuple(grids), tuple(sorted(outcomes.items(), key=lambda kv: -kv[1])), tuple(monthly.items()),
                    score, len(evaluation.rows), evaluation.scheme.label,
                    tuple((h.source, h.label) for h in evaluation.items), score.rating if score else None,
                    act.absences_to_date.get(deputy_id, 0))


def print_duty_file(ctx: Context, deputy_id: str, date_from: str, date_to: str, out: str | Path, *,
                    progress: Progress = no_progress, cancel: Cancel = never_cancel) -> int:
    from congress_desktop.duty.report import render_duty_file

    office = ctx.require_office()
    check_cancel(cancel)
    f = duty_file(ctx, deputy_id, date_from, date_to)
    return render_duty_file(out, office.name, f, progress=progress, cancel=cancel)


# ================================================================== demo

_DEMO_TRAININGS = [
    ("政治理论", "学习贯彻全国人大会议精神专题辅导"), ("履职实务", "代表建议的提出与督办实务"),
    ("共同缔造专题", "美好环境与幸福生活共同缔造专题培训"), ("履职实务", "代表联络站接待选民工作规范"),
    ("政治理论", "宪法和代表法学习"), ("共同缔造专题", "网格化履职与共同缔造经验交流"),
]
_DEMO_RECORDS = {
    "大会发言": ["在镇人代会上就集镇道路改造发言", "在分组审议时就政府工作报告发言"],
    "建议议案": ["关于加快农村饮水巩固提升的建议", "关于完善柑橘产业冷链设施的建议", "关于增设集镇公交站点的建议",
             "关于加强农村养老服务的建议"],
    "视察调研": ["视察镇卫生院发热门诊改造项目", "调研农村人居环境整治情况", "视察民生实事项目推进情况"],
    "暗访": ["暗访集镇农贸市场食品安全", "暗访村卫生室服务情况"],
    "小组活动": ["代表小组集中活动：进站接待", "代表小组学习交流会"],
    "述职": ["向原选区选民述职"],
    "办实事": ["协调解决组级道路硬化", "帮助困难群众申请临时救助", "为村小争取图书捐赠"],
    "表彰": ["获评年度优秀人大代表"],
}


def seed_demo_duty(ctx: Context, rng: random.Random, *, today: dt.date | None = None) -> None:
    """A year of duty activity (two congress sessions with their roll calls, six trainings, records of
    every kind), the default scheme, and quarters as periods: past quarters closed, the current one
    open, so the notice of a quarter has something to say. Written in one unit of work."""
    from congress_desktop.duty import evaluation as evs

    today = today or dt.date.today()
    start = today - dt.timedelta(days=360)
    with ctx.store.session() as s:
        deputies = deputies_in_office(s, ctx, start.isoformat(), today.isoformat())
        if not deputies:
            return
        active = [d for d in deputies if d.status == "在任"]
        from congress_desktop.core.store.models import ContactPointDeputy

        stationed = set(s.scalars(select(ContactPointDeputy.deputy_id).where(ContactPointDeputy.deleted.is_(False))))
        # deputies stationed nowhere receive no visits: among them a few do nothing at all this year,
        # and one misses both congress sessions (the 代表资格 flag); the notice must find them
        loose = [d for d in active if d.id not in stationed]
        rng.shuffle(loose)
        idle = {d.id for d in loose[:3]}
        truant = loose[3] if len(loose) > 3 else None
        busy = [d for d in deputies if d.id not in idle and (truant is None or d.id != truant.id)]
        # congress sessions: one early in the window, one in the last finished quarter (whose notice
        # the demo is about), so that notice has attendance, leave and absence to show
        year, quarter = ev.quarter_of(today)
        last_from, last_to = ev.quarter_bounds(*((year - 1, 4) if quarter == 1 else (year, quarter - 1)))
        sessions = [(start + dt.timedelta(days=rng.randint(10, 30)), "第十九届人民代表大会第五次会议"),
                    (dt.date.fromisoformat(last_from) + dt.timedelta(days=rng.randint(20, 50)),
                     "第十九届人民代表大会第六次会议")]
        models = {d.id for d in rng.sample([d for d in busy if d.status == "在任"], k=min(4, len(busy)))}
        for n, (day, title) in enumerate(sessions):
            batch = uuid7()
            for d in deputies:
                if d.status != "在任" and d.status_date and d.status_date < day.isoformat():
                    continue
                roll = rng.random()
                mark = ev.PRESENT if roll < 0.9 else ev.EXCUSED if roll < 0.97 else ev.ABSENT
                if d.id in idle:
                    mark = ev.EXCUSED
                if d.id in models:
                    mark = ev.PRESENT
                if truant is not None and d.id == truant.id:
                    mark = ev.ABSENT
                s.add(DutyRecord(deputy_id=d.id, record_date=day.isoformat(), kind=ev.SESSION, attendance=mark,
                                 title=f"六里坪镇{title}", batch_id=batch))
            # speeches at the session
            for d in rng.sample(busy, k=min(6, len(busy))):
                s.add(DutyRecord(deputy_id=d.id, record_date=day.isoformat(), kind="大会发言",
                                 title=rng.choice(_DEMO_RECORDS["大会发言"])))
            # suggestions handed in at the session
            for d in rng.sample(busy, k=min(10 + 4 * n, len(busy))):
                s.add(DutyRecord(deputy_id=d.id, record_date=day.isoformat(), kind="建议议案",
                                 title=rng.choice(_DEMO_RECORDS["建议议案"])))
        # trainings, about one every two months
        for k, (kind, topic) in enumerate(_DEMO_TRAININGS):
            day = start + dt.timedelta(days=30 + k * 55 + rng.randint(0, 20))
            if day > today:
                break
            t = Training(held_on=day.isoformat(), topic=topic, kind=kind, organiser="六里坪镇人大主席团",
                         place="六里坪镇人大代表之家", hours=rng.choice(["2", "3", "4"]))
            s.add(t)
            s.flush()
            for d in rng.sample(busy, k=int(len(busy) * rng.uniform(0.5, 0.8))):
                if d.status != "在任" and d.status_date and d.status_date < t.held_on:
                    continue
                s.add(TrainingAttendee(training_id=t.id, deputy_id=d.id))
        # everyday duty across the year; the truant only outside the quarter of the notice
        kinds = ["视察调研", "暗访", "小组活动", "办实事", "视察调研", "小组活动", "办实事"]
        for d in busy + ([truant] if truant else []):
            for _ in range(rng.randint(3, 12)):
                kind = rng.choice(kinds)
                day = start + dt.timedelta(days=rng.randint(0, 360))
                if d.status != "在任" and d.status_date and day.isoformat() >= d.status_date:
                    continue
                if d is truant and last_from <= day.isoformat() <= last_to:
                    continue
                s.add(DutyRecord(deputy_id=d.id, record_date=day.isoformat(), kind=kind,
                                 title=rng.choice(_DEMO_RECORDS[kind])))
            if rng.random() < 0.3:
                day = start + dt.timedelta(days=rng.randint(180, 355))
                s.add(DutyRecord(deputy_id=d.id, record_date=min(day, today).isoformat(), kind="述职",
                                 title=_DEMO_RECORDS["述职"][0], detail="到会选民 40 余人，现场测评"))
        # the most active deputies of the notice's quarter
        first = dt.date.fromisoformat(last_from)
        for did in models:
            for kind, offset in (("视察调研", 5), ("视察调研", 33), ("办实事", 12), ("办实事", 61), ("述职", 70),
                                 ("小组活动", 45)):
                s.add(DutyRecord(deputy_id=did, record_date=(first + dt.timedelta(days=offset)).isoformat(),
                                 kind=kind, title=rng.choice(_DEMO_RECORDS[kind])))
        for d in rng.sample(busy, k=min(4, len(busy))):
            day = start + dt.timedelta(days=rng.randint(20, 60))
            s.add(DutyRecord(deputy_id=d.id, record_date=day.isoformat(), kind="表彰",
                             title=_DEMO_RECORDS["表彰"][0], points="8", detail="镇人大主席团通报表扬"))
    evs.seed_demo_periods(ctx, rng, today=today)
    log.info("demo: duty records, trainings and periods")
