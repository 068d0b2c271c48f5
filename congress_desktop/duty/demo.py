"""The demo year of duty: two congress sessions with their roll calls, six trainings, records of every
kind, the default scheme, and quarters as periods (past quarters closed, the current one open) with
voter ratings, so that the notice of a quarter has something to say. ``congress_desktop.demo`` calls
``seed``."""

from __future__ import annotations

import datetime as dt
import logging
import random
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from congress_desktop.core.context import Context
from congress_desktop.core.store.ids import uuid7
from congress_desktop.core.store.models import ContactPointDeputy, Deputy
from congress_desktop.core.store.models_duty import DutyRecord, Training, TrainingAttendee, VoterRating
from congress_desktop.deputies.rules import IN_OFFICE, in_office_on
from congress_desktop.duty import rules as ev
from congress_desktop.duty.activity import deputies_in_office, tenure
from congress_desktop.duty.evaluation import close_period, create_period, current_scheme

log = logging.getLogger(__name__)

_TRAININGS = [
    ("政治理论", "学习贯彻全国人大会议精神专题辅导"), ("履职实务", "代表建议的提出与督办实务"),
    ("共同缔造专题", "美好环境与幸福生活共同缔造专题培训"), ("履职实务", "代表联络站接待选民工作规范"),
    ("政治理论", "宪法和代表法学习"), ("共同缔造专题", "网格化履职与共同缔造经验交流"),
]
_RECORDS = {
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


@dataclass
class _Cast:
    """Who does what in the demo year."""

    deputies: list[Deputy]
    busy: list[Deputy]
    idle: set[str]               # do nothing at all this year
    truant: Deputy | None        # misses both congress sessions (the 代表资格 flag)
    models: set[str]             # the most active deputies of the notice's quarter
    last_from: str               # the last finished quarter: the notice the demo is about
    last_to: str


def _cast(s: Session, rng: random.Random, deputies: list[Deputy]) -> tuple[list[Deputy], set[str], Deputy | None]:
    active = [d for d in deputies if d.status == IN_OFFICE]
    stationed = set(s.scalars(select(ContactPointDeputy.deputy_id).where(ContactPointDeputy.deleted.is_(False))))
    # deputies stationed nowhere receive no visits: among them a few do nothing at all this year,
    # and one misses both congress sessions (the 代表资格 flag); the notice must find them
    loose = [d for d in active if d.id not in stationed]
    rng.shuffle(loose)
    idle = {d.id for d in loose[:3]}
    truant = loose[3] if len(loose) > 3 else None
    busy = [d for d in deputies if d.id not in idle and (truant is None or d.id != truant.id)]
    return busy, idle, truant


def _mark(rng: random.Random, cast: _Cast, d: Deputy) -> str:
    roll = rng.random()
    mark = ev.PRESENT if roll < 0.9 else ev.EXCUSED if roll < 0.97 else ev.ABSENT
    if d.id in cast.idle:
        mark = ev.EXCUSED
    if d.id in cast.models:
        mark = ev.PRESENT
    if cast.truant is not None and d.id == cast.truant.id:
        mark = ev.ABSENT
    return mark


def _seed_sessions(s: Session, rng: random.Random, cast: _Cast, sessions: list[tuple[dt.date, str]]) -> None:
    """Each congress session's roll call, speeches and suggestions."""
    busy = cast.busy
    for n, (day, title) in enumerate(sessions):
        batch = uuid7()
        for d in cast.deputies:
            if not in_office_on(tenure(d), day.isoformat()):
                continue
            s.add(DutyRecord(deputy_id=d.id, record_date=day.isoformat(), kind=ev.SESSION,
                             attendance=_mark(rng, cast, d), title=f"六里坪镇{title}", batch_id=batch))
        for d in rng.sample(busy, k=min(6, len(busy))):
            s.add(DutyRecord(deputy_id=d.id, record_date=day.isoformat(), kind=ev.RecordKind.SPEECH,
                             title=rng.choice(_RECORDS["大会发言"])))
        for d in rng.sample(busy, k=min(10 + 4 * n, len(busy))):
            s.add(DutyRecord(deputy_id=d.id, record_date=day.isoformat(), kind=ev.RecordKind.SUGGESTION,
                             title=rng.choice(_RECORDS["建议议案"])))


def _seed_trainings(s: Session, rng: random.Random, cast: _Cast, start: dt.date, today: dt.date) -> None:
    """About one training every two months."""
    for k, (kind, topic) in enumerate(_TRAININGS):
        day = start + dt.timedelta(days=30 + k * 55 + rng.randint(0, 20))
        if day > today:
            break
        t = Training(held_on=day.isoformat(), topic=topic, kind=kind, organiser="六里坪镇人大主席团",
                     place="六里坪镇人大代表之家", hours=rng.choice(["2", "3", "4"]))
        s.add(t)
        s.flush()
        for d in rng.sample(cast.busy, k=int(len(cast.busy) * rng.uniform(0.5, 0.8))):
            if not in_office_on(tenure(d), t.held_on):
                continue
            s.add(TrainingAttendee(training_id=t.id, deputy_id=d.id))


def _seed_everyday(s: Session, rng: random.Random, cast: _Cast, start: dt.date, today: dt.date) -> None:
    """Everyday duty across the year; the truant only outside the quarter of the notice."""
    kinds = ["视察调研", "暗访", "小组活动", "办实事", "视察调研", "小组活动", "办实事"]
    for d in cast.busy + ([cast.truant] if cast.truant else []):
        for _ in range(rng.randint(3, 12)):
            kind = rng.choice(kinds)
            day = start + dt.timedelta(days=rng.randint(0, 360))
            if not in_office_on(tenure(d), day.isoformat()):
                continue
            if d is cast.truant and cast.last_from <= day.isoformat() <= cast.last_to:
                continue
            s.add(DutyRecord(deputy_id=d.id, record_date=day.isoformat(), kind=kind, title=rng.choice(_RECORDS[kind])))
        if rng.random() < 0.3:
            day = start + dt.timedelta(days=rng.randint(180, 355))
            s.add(DutyRecord(deputy_id=d.id, record_date=min(day, today).isoformat(), kind=ev.RecordKind.REPORT,
                             title=_RECORDS["述职"][0], detail="到会选民 40 余人，现场测评"))


def _seed_highlights(s: Session, rng: random.Random, cast: _Cast, start: dt.date) -> None:
    """The most active deputies of the notice's quarter, and a few awards."""
    first = dt.date.fromisoformat(cast.last_from)
    for did in cast.models:
        for kind, offset in (("视察调研", 5), ("视察调研", 33), ("办实事", 12), ("办实事", 61), ("述职", 70),
                             ("小组活动", 45)):
            s.add(DutyRecord(deputy_id=did, record_date=(first + dt.timedelta(days=offset)).isoformat(),
                             kind=kind, title=rng.choice(_RECORDS[kind])))
    for d in rng.sample(cast.busy, k=min(4, len(cast.busy))):
        day = start + dt.timedelta(days=rng.randint(20, 60))
        s.add(DutyRecord(deputy_id=d.id, record_date=day.isoformat(), kind=ev.RecordKind.AWARD,
                         title=_RECORDS["表彰"][0], points="8", detail="镇人大主席团通报表扬"))


def seed(ctx: Context, rng: random.Random, *, today: dt.date | None = None) -> None:
    """A year of duty activity and its periods; the records are written in one unit of work."""
    today = today or dt.date.today()
    start = today - dt.timedelta(days=360)
    with ctx.store.session() as s:
        deputies = deputies_in_office(s, ctx, start.isoformat(), today.isoformat())
        if not deputies:
            return
        busy, idle, truant = _cast(s, rng, deputies)
        # congress sessions: one early in the window, one in the last finished quarter (whose notice
        # the demo is about), so that notice has attendance, leave and absence to show
        last_from, last_to = ev.quarter_bounds(*ev.previous_quarter(*ev.quarter_of(today)))
        sessions = [(start + dt.timedelta(days=rng.randint(10, 30)), "第十九届人民代表大会第五次会议"),
                    (dt.date.fromisoformat(last_from) + dt.timedelta(days=rng.randint(20, 50)),
                     "第十九届人民代表大会第六次会议")]
        models = {d.id for d in rng.sample([d for d in busy if d.status == IN_OFFICE], k=min(4, len(busy)))}
        cast = _Cast(deputies, busy, idle, truant, models, last_from, last_to)
        _seed_sessions(s, rng, cast, sessions)
        _seed_trainings(s, rng, cast, start, today)
        _seed_everyday(s, rng, cast, start, today)
        _seed_highlights(s, rng, cast, start)
    seed_periods(ctx, rng, today=today)
    log.info("demo: duty records, trainings and periods")


def _seed_ratings(s: Session, rng: random.Random, deputies: list[Deputy], period_id: str, today: dt.date) -> None:
    for d in rng.sample(deputies, k=min(24, len(deputies))):
        voters = rng.randint(30, 60)
        competent = int(voters * rng.choice([0.95, 0.9, 0.85, 0.8, 0.7, 0.6, 0.4]))
        basic = min(voters - competent, rng.randint(0, voters - competent))
        s.add(VoterRating(period_id=period_id, deputy_id=d.id, competent=competent, basic=basic,
                          incompetent=voters - competent - basic, rated_on=today.isoformat(), note="述职会现场测评"))


def seed_periods(ctx: Context, rng: random.Random, *, today: dt.date | None = None) -> None:
    """The quarters of the demo year as periods (past ones closed with scheme version 1, the current
    one open), the year, and voter ratings for part of the deputies in the year."""
    today = today or dt.date.today()
    year, quarter = ev.quarter_of(today)
    current_scheme(ctx)
    made = []
    y, q = year, quarter
    for _ in range(4):
        date_from, date_to = ev.quarter_bounds(y, q)
        made.append(create_period(ctx, {"kind": ev.QUARTER, "date_from": date_from, "date_to": date_to}))
        y, q = ev.previous_quarter(y, q)
    for p in made[1:]:
        close_period(ctx, p.id, by="演示数据", today=today)
    year_from, year_to = ev.year_bounds(year)
    year_period = create_period(ctx, {"kind": ev.YEAR, "date_from": year_from, "date_to": year_to})
    with ctx.store.session() as s:
        deputies = [d for d in deputies_in_office(s, ctx, year_period.date_from, year_period.date_to)
                    if d.status == IN_OFFICE]
        if s.scalar(select(func.count()).select_from(VoterRating)) or 0:
            return
        _seed_ratings(s, rng, deputies, year_period.id, today)
