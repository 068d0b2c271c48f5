"""Who is evaluated, and everything the program already knows about a deputy's duty in a period:
records entered here, training sessions, visits received, opinions raised and how they ended, and the
票决 / 测评 roll calls. Every counted thing comes back as a ``SourceRef`` (kind, id, date, title), so a
number on screen or on paper can be traced to the records behind it.

Also the small lookups the records and the evaluation share: ``deputy_names`` and ``require_deputy``."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from congress_desktop.core.context import Context
from congress_desktop.core.errors import FieldErrors, InvalidInput, NotFound
from congress_desktop.core.store.models import ContactPoint, Deputy, Village
from congress_desktop.core.store.models_duty import DutyRecord, Training, TrainingAttendee
from congress_desktop.core.store.models_grids import Grid
from congress_desktop.core.store.models_visits import Opinion, Visit, VisitDeputy
from congress_desktop.core.store.models_votes import VoteAttendance, VoteSession
from congress_desktop.core.text import clean, pinyin_keys
from congress_desktop.deputies.rules import IN_OFFICE, HasTenure, in_office_during
from congress_desktop.duty import rules as ev
from congress_desktop.duty.rows import Activity, DeputyOption, SourceRef
from congress_desktop.visits.opinion_rules import CLOSED
from congress_desktop.visits.opinion_rules import opinion_number as referral_number
from congress_desktop.votes.tally import KINDS as VOTE_KINDS

# ================================================================== who is evaluated

def tenure(d: Deputy) -> HasTenure:
    """A Deputy row as the in-office rule reads it (its columns are the protocol's fields; mypy does not
    see a mapped column as a property)."""
    return cast(HasTenure, d)


def _in_scope(d: Deputy, office_code: str, role: str) -> bool:
    """A town evaluates its town-level deputies; the city its own roster (the towns keep theirs)."""
    if role == "city":
        return d.owner_code in ("", office_code)
    return "town" in d.levels.split(",")


def deputies_in_office(s: Session, ctx: Context, date_from: str | None = None,
                       date_to: str | None = None) -> list[Deputy]:
    """Deputies in office at some time of the period (all of them without a period), by pinyin.

    In office is THE rule ``deputies.rules.in_office_during``: a deputy whose office ended (终止) or was
    suspended (暂停) before the period, or on its first day (the status date is the first day out of
    office), is left out; one who left during the period is evaluated for the part served (the status
    shows beside the name)."""
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
        if (date_from or date_to) and not in_office_during(tenure(d), date_from, date_to):
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
            out.append(DeputyOption(d.id, d.name, villages.get(d.village_id or "", ""), d.group_name, d.status,
                                    initials, full))
    out.sort(key=lambda o: (o.status != IN_OFFICE, o.pinyin))
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


def deputy_names(s: Session, ids: Iterable[str] | None = None) -> dict[str, str]:
    """Deputy id -> name (of the given ids, or of every deputy)."""
    stmt = select(Deputy.id, Deputy.name)
    if ids is not None:
        ids = list(set(ids))
        if len(ids) < 500:
            stmt = stmt.where(Deputy.id.in_(ids))
    return dict(s.execute(stmt).all())


def require_deputy(s: Session, deputy_id: str, field: str = "deputy_id") -> Deputy:
    """The living deputy, else FieldErrors under ``field`` (a form chose a deputy since deleted)."""
    d = s.get(Deputy, deputy_id)
    if d is None or d.deleted:
        raise FieldErrors({field: "所选代表不存在或已删除"})
    return d


# ================================================================== what the program knows

def _opinion_detail(o: Any) -> str:
    parts = [x for x in (o.reply_kind, o.rating) if x]
    return f"{o.state}（{'，'.join(parts)}）" if parts else o.state


def _opinion_title(o: Any) -> str:
    text = o.title or o.content
    short = text if len(text) <= 40 else text[:39] + "…"
    return f"{referral_number(o.seq, o.raised_on)} {short}" if o.seq else short


def _limit(stmt, column, ids: list[str] | None):
    return stmt.where(column.in_(ids)) if ids is not None else stmt


_Add = Callable[..., None]  # add(deputy_id, source, ref, points=None)


class _Window:
    """The dates and the deputies (None: all) one collection is about."""

    def __init__(self, date_from: str, date_to: str, deputy_ids: list[str] | None):
        self.date_from, self.date_to, self.deputy_ids = date_from, date_to, deputy_ids

    def limit(self, stmt, column):
        return _limit(stmt, column, self.deputy_ids)


def _entered_records(s: Session, w: _Window, add: _Add) -> dict[str, int]:
    """Records entered here (counted by kind); returns the 人代会 absences up to the end of the period."""
    # plain rows, not ORM objects: a year of a large town is tens of thousands of them
    stmt = select(DutyRecord.deputy_id, DutyRecord.id, DutyRecord.record_date, DutyRecord.kind,
                  DutyRecord.attendance, DutyRecord.title, DutyRecord.points).where(
        DutyRecord.deleted.is_(False), DutyRecord.record_date >= w.date_from, DutyRecord.record_date <= w.date_to)
    for r in s.execute(w.limit(stmt, DutyRecord.deputy_id).order_by(DutyRecord.record_date, DutyRecord.id)):
        points = ev.parse_points(r.points, allow_empty=True) if r.points else None
        add(r.deputy_id, ev.record_source(r.kind, r.attendance),
            SourceRef("duty", r.id, r.record_date, r.title, f"{r.kind}（{r.attendance}）" if r.attendance else r.kind,
                      r.points), points)
    absent = (select(DutyRecord.deputy_id, func.count()).where(
        DutyRecord.deleted.is_(False), DutyRecord.kind == ev.SESSION, DutyRecord.attendance == ev.ABSENT,
        DutyRecord.record_date <= w.date_to).group_by(DutyRecord.deputy_id))
    return dict(s.execute(w.limit(absent, DutyRecord.deputy_id)).all())


def _trainings(s: Session, w: _Window, add: _Add) -> None:
    stmt = (select(TrainingAttendee.deputy_id, Training.id, Training.held_on, Training.topic, Training.kind)
            .join(Training, Training.id == TrainingAttendee.training_id)
            .where(TrainingAttendee.deleted.is_(False), Training.deleted.is_(False), Training.held_on >= w.date_from,
                   Training.held_on <= w.date_to).order_by(Training.held_on, Training.id))
    for t in s.execute(w.limit(stmt, TrainingAttendee.deputy_id)):
        add(t.deputy_id, "training", SourceRef("training", t.id, t.held_on, t.topic, f"培训（{t.kind}）"))


def _visits(s: Session, w: _Window, add: _Add) -> None:
    """Visits received: at a contact point (or elsewhere), or in a grid."""
    points_names: dict[str, str] = {k: v for k, v in s.execute(select(ContactPoint.id, ContactPoint.name)).all()}
    grid_names: dict[str, str] = {k: v for k, v in s.execute(select(Grid.id, Grid.name)).all()}
    stmt = (select(VisitDeputy.deputy_id, Visit.id, Visit.visit_date, Visit.form, Visit.grid_id,
                   Visit.contact_point_id, Visit.place_text, Visit.visitor_count)
            .join(Visit, Visit.id == VisitDeputy.visit_id)
            .where(VisitDeputy.deleted.is_(False), Visit.deleted.is_(False), Visit.visit_date >= w.date_from,
                   Visit.visit_date <= w.date_to).order_by(Visit.visit_date, Visit.start_time, Visit.id))
    for v in s.execute(w.limit(stmt, VisitDeputy.deputy_id)):
        if v.grid_id:
            place = f"网格：{grid_names.get(v.grid_id, '')}"
        else:
            place = points_names.get(v.contact_point_id, "") if v.contact_point_id else v.place_text
        title = f"{v.form}：{place}" if place else v.form
        add(v.deputy_id, "grid_visit" if v.grid_id else "visit",
            SourceRef("visit", v.id, v.visit_date, title, f"来访 {v.visitor_count} 人" if v.visitor_count else ""))


_OPINION_COLUMNS = (Opinion.id, Opinion.raised_on, Opinion.seq, Opinion.title, Opinion.content, Opinion.state,
                    Opinion.reply_kind, Opinion.rating, Opinion.closed_on)


def _deputy_opinions(s: Session, w: _Window, where: list) -> Iterator[tuple[str, Any]]:
    """(deputy id, opinion) of the opinions collected at the deputy's visits or led by the deputy."""
    via_visit = (select(VisitDeputy.deputy_id, *_OPINION_COLUMNS)
                 .join(Opinion, Opinion.visit_id == VisitDeputy.visit_id)
                 .where(VisitDeputy.deleted.is_(False), Opinion.deleted.is_(False), *where))
    led = select(Opinion.lead_deputy_id, *_OPINION_COLUMNS).where(Opinion.lead_deputy_id.is_not(None),
                                                                  Opinion.deleted.is_(False), *where)
    seen: set[tuple[str, str]] = set()
    rows: list[Any] = list(s.execute(w.limit(via_visit, VisitDeputy.deputy_id)))
    rows += list(s.execute(w.limit(led, Opinion.lead_deputy_id)))
    rows.sort(key=lambda o: (o.raised_on, o.seq or 0, o.id))
    for o in rows:
        if (o[0], o.id) not in seen:
            seen.add((o[0], o.id))
            yield o[0], o


def _opinions(s: Session, w: _Window, add: _Add) -> None:
    for did, o in _deputy_opinions(s, w, [Opinion.raised_on >= w.date_from, Opinion.raised_on <= w.date_to]):
        add(did, "opinion", SourceRef("opinion", o.id, o.raised_on, _opinion_title(o), _opinion_detail(o)))
    for did, o in _deputy_opinions(s, w, [Opinion.state == CLOSED, Opinion.closed_on >= w.date_from,
                                          Opinion.closed_on <= w.date_to]):
        add(did, "opinion_closed", SourceRef("opinion", o.id, o.closed_on, _opinion_title(o), _opinion_detail(o)))


_VOTE_SOURCES = {"出席": "vote_present", "缺席": "vote_absent", "请假": "vote_excused"}  # 请假: shown, never counted


def _roll_calls(s: Session, w: _Window, add: _Add) -> None:
    """票决 / 测评 roll calls."""
    stmt = (select(VoteAttendance.deputy_id, VoteAttendance.status, VoteSession.id, VoteSession.date,
                   VoteSession.title, VoteSession.kind)
            .join(VoteSession, VoteSession.id == VoteAttendance.session_id)
            .where(VoteAttendance.deleted.is_(False), VoteSession.deleted.is_(False),
                   VoteSession.date >= w.date_from, VoteSession.date <= w.date_to)
            .order_by(VoteSession.date, VoteSession.number))
    for v in s.execute(w.limit(stmt, VoteAttendance.deputy_id)):
        source = _VOTE_SOURCES.get(v.status)
        if source:
            add(v.deputy_id, source,
                SourceRef("vote", v.id, v.date, f"{VOTE_KINDS.get(v.kind, v.kind)}：{v.title}", v.status))


def collect_activity(s: Session, date_from: str, date_to: str, deputy_ids: list[str] | None = None) -> Activity:
    """Everything counted for the deputies (all when ``deputy_ids`` is None) between the two dates."""
    acts: dict[str, dict[str, list[tuple[SourceRef, Decimal | None]]]] = defaultdict(lambda: defaultdict(list))

    def add(deputy_id: str, source: str, ref: SourceRef, points: Decimal | None = None) -> None:
        acts[deputy_id][source].append((ref, points))

    w = _Window(date_from, date_to, deputy_ids)
    absences = _entered_records(s, w, add)
    _trainings(s, w, add)
    _visits(s, w, add)
    _opinions(s, w, add)
    _roll_calls(s, w, add)
    return Activity({k: dict(v) for k, v in acts.items()}, absences)
