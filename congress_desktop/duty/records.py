"""Deputies' duty records (履职+) entered here, congress sessions' roll calls, and training sessions.

Records dated inside a closed evaluation period cannot be added, changed or deleted until the period
is reopened: a published notice stays true."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from congress_desktop.core.context import Context
from congress_desktop.core.errors import CongressError, FieldErrors, NotFound
from congress_desktop.core.ownership import ensure_owned
from congress_desktop.core.store.access import get_live
from congress_desktop.core.store.ids import uuid7
from congress_desktop.core.store.models import Deputy
from congress_desktop.core.store.models_duty import DutyRecord, EvalPeriod, Training, TrainingAttendee
from congress_desktop.core.store.models_votes import VoteAttendance, VoteSession
from congress_desktop.core.text import clean
from congress_desktop.duty import rules as ev
from congress_desktop.duty.activity import deputy_names, require_deputy
from congress_desktop.duty.rows import RecordQuery, RecordRow, SessionRoll, TrainingRow, VoteChoice
from congress_desktop.votes.tally import KINDS as VOTE_KINDS

log = logging.getLogger(__name__)

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


def _record_row(r: DutyRecord, names: Mapping[str, str]) -> RecordRow:
    return RecordRow(r.id, r.deputy_id, names.get(r.deputy_id, "（已删除的代表）"), r.record_date, r.kind,
                     r.attendance, r.title, r.detail, r.points, r.batch_id, r.owner_code, r.version)


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
        names = deputy_names(s, (r.deputy_id for r in rows))
        return [_record_row(r, names) for r in rows]


def get_record(ctx: Context, record_id: str) -> RecordRow:
    with ctx.store.session() as s:
        r = get_live(s, DutyRecord, record_id, "履职记录")
        return _record_row(r, deputy_names(s, [r.deputy_id]))


def save_record(ctx: Context, raw: Mapping, record_id: str | None = None) -> RecordRow:
    """Add or change one record (a 人代会 roll call of everyone at once: ``save_session``)."""
    data = ev.normalise_record(raw)
    with ctx.store.session() as s:
        require_deputy(s, data.deputy_id)
        if record_id:
            r = get_live(s, DutyRecord, record_id, "履职记录")
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
        return _record_row(r, deputy_names(s, [r.deputy_id]))


def delete_record(ctx: Context, record_id: str) -> None:
    with ctx.store.session() as s:
        r = get_live(s, DutyRecord, record_id, "履职记录")
        ensure_owned(ctx, r)
        guard_open(s, ctx, r.record_date)
        r.deleted = True


# ------------------------------------------------------------------ a session's roll call


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


def _check_session(raw: Mapping) -> tuple[dict[str, str], ev.RecordData]:
    """The marks and the session's date, title and detail; FieldErrors with every problem."""
    marks = {clean(k): clean(v) for k, v in (raw.get("marks") or {}).items()}
    errors: dict[str, str] = {}
    bad = [m for m in marks.values() if m not in ev.ATTENDANCE]
    if bad:
        errors["marks"] = f"出席情况应为 {'、'.join(ev.ATTENDANCE)} 之一，而不是“{bad[0]}”"
    elif not marks:
        errors["marks"] = "请至少登记一位代表的出席情况"
    first: ev.RecordData | None = None
    try:
        first = ev.normalise_record({"deputy_id": "x", "kind": ev.SESSION, "attendance": ev.PRESENT,
                                     "record_date": raw.get("record_date"), "title": raw.get("title"),
                                     "detail": raw.get("detail")})
    except FieldErrors as e:
        errors.update(e.errors)
    if errors or first is None:
        raise FieldErrors(errors)
    return marks, first


def _roll_records(s: Session, ctx: Context, batch_id: str) -> dict[str, DutyRecord]:
    """The records of an entered roll call by deputy (tombstones too: a deputy put back reuses his)."""
    rows = s.scalars(select(DutyRecord).where(DutyRecord.batch_id == batch_id)).all()
    if not any(not r.deleted for r in rows):
        raise NotFound("该次人代会的出席记录不存在或已删除")
    old: dict[str, DutyRecord] = {}
    for r in rows:
        ensure_owned(ctx, r)
        if not r.deleted:
            guard_open(s, ctx, r.record_date)
        old[r.deputy_id] = r
    return old


def save_session(ctx: Context, raw: Mapping, batch_id: str | None = None) -> SessionRoll:
    """One congress session and every deputy's attendance (出席 / 请假 / 缺席) in one go: a record per
    deputy, sharing a batch id. Deputies left out of ``marks`` get no record (not on the roll)."""
    marks, first = _check_session(raw)
    with ctx.store.session() as s:
        for did in marks:
            require_deputy(s, did, "marks")
        old = _roll_records(s, ctx, batch_id) if batch_id else {}
        batch_id = batch_id or uuid7()
        guard_open(s, ctx, first.record_date)
        for did, mark in marks.items():
            r = old.pop(did) if did in old else None
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


def roll_from_vote(ctx: Context, vote_session_id: str) -> dict[str, str]:
    """The roll call of a 票决 / 测评 (taken at the congress session) as marks to start from."""
    with ctx.store.session() as s:
        v = get_live(s, VoteSession, vote_session_id, "表决")
        rows = s.scalars(select(VoteAttendance).where(VoteAttendance.session_id == v.id,
                                                      VoteAttendance.deleted.is_(False))).all()
        return {a.deputy_id: a.status for a in rows if a.status in ev.ATTENDANCE}


def vote_sessions(ctx: Context) -> list[VoteChoice]:
    with ctx.store.session() as s:
        rows = s.scalars(select(VoteSession).where(VoteSession.deleted.is_(False))
                         .order_by(VoteSession.date.desc(), VoteSession.number.desc())).all()
        return [VoteChoice(v.id, f"{v.date} {VOTE_KINDS.get(v.kind, v.kind)}：{v.title}", v.date, v.title) for v in rows]


# ================================================================== training


def _training_rows(s: Session, trainings: list[Training]) -> list[TrainingRow]:
    ids = [t.id for t in trainings]
    attendees: dict[str, list[str]] = {i: [] for i in ids}
    if ids:
        for tid, did in s.execute(select(TrainingAttendee.training_id, TrainingAttendee.deputy_id)
                                  .join(Deputy, Deputy.id == TrainingAttendee.deputy_id)
                                  .where(TrainingAttendee.deleted.is_(False), TrainingAttendee.training_id.in_(ids))
                                  .order_by(Deputy.name_pinyin)):
            attendees[tid].append(did)
    names = deputy_names(s, (d for ds in attendees.values() for d in ds))
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
        t = get_live(s, Training, training_id, "培训记录")
        return _training_rows(s, [t])[0]


def save_training(ctx: Context, raw: Mapping, training_id: str | None = None) -> TrainingRow:
    """A training session and its attendees (the attendance counts in each deputy's file)."""
    data = ev.normalise_training(raw)
    with ctx.store.session() as s:
        for did in data.deputy_ids:
            require_deputy(s, did, "deputy_ids")
        if training_id:
            t = get_live(s, Training, training_id, "培训记录")
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
        t = get_live(s, Training, training_id, "培训记录")
        ensure_owned(ctx, t)
        guard_open(s, ctx, t.held_on)
        t.deleted = True
        for a in s.scalars(select(TrainingAttendee).where(TrainingAttendee.training_id == t.id)):
            if not a.deleted:
                a.deleted = True
