"""Evaluation (履职考评): the office's scoring scheme in versions, periods that are opened and closed,
the evaluation of any period (points per item with the records behind every number, total, rank,
grade, flags), voter ratings (选民测评), the notice (履职情况通报) and the .xlsx table.

Which scheme a period is computed by: a closed period by the version frozen when it was closed;
anything else by the version in force (the newest). Editing the scheme therefore changes the current
period and never a closed one."""

from __future__ import annotations

import datetime as dt
import json
import logging
import random
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from congress_desktop.core.context import Cancel, Context, Progress, check_cancel, never_cancel, no_progress
from congress_desktop.core.errors import CongressError, FieldErrors, InvalidInput, NotFound
from congress_desktop.core.ownership import ensure_owned
from congress_desktop.core.store.models import Village
from congress_desktop.core.store.models_duty import EvalPeriod, EvalScheme, VoterRating
from congress_desktop.core.text import clean
from congress_desktop.duty import rules as ev
from congress_desktop.duty.records import SourceRef, collect_activity, deputies_in_office

log = logging.getLogger(__name__)


# ================================================================== schemes

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


def _own(ctx: Context) -> tuple[str, str]:
    return (ctx.office.code if ctx.office else "", "")


def _scheme_row(x: EvalScheme) -> SchemeRow:
    created = x.created_at.replace(tzinfo=dt.UTC).astimezone().strftime("%Y-%m-%d %H:%M")
    return SchemeRow(x.id, x.number, created, x.note, ev.scheme_from_json(x.body))


def _latest(s: Session, ctx: Context) -> EvalScheme | None:
    return s.scalars(select(EvalScheme).where(EvalScheme.deleted.is_(False), EvalScheme.owner_code.in_(_own(ctx)))
                     .order_by(EvalScheme.number.desc())).first()


def _ensure_scheme(s: Session, ctx: Context) -> EvalScheme:
    x = _latest(s, ctx)
    if x is None:  # the first use: the default scheme becomes version 1
        x = EvalScheme(number=1, body=ev.default_scheme().to_json(), note="默认考评办法")
        s.add(x)
        s.flush()
    return x


def current_scheme(ctx: Context) -> SchemeRow:
    """The version in force (the default scheme is saved as version 1 on first use)."""
    with ctx.store.session() as s:
        return _scheme_row(_ensure_scheme(s, ctx))


def list_schemes(ctx: Context) -> list[SchemeRow]:
    """Every version, newest first."""
    with ctx.store.session() as s:
        _ensure_scheme(s, ctx)
        return [_scheme_row(x) for x in s.scalars(select(EvalScheme).where(
            EvalScheme.deleted.is_(False), EvalScheme.owner_code.in_(_own(ctx))).order_by(EvalScheme.number.desc()))]


def get_scheme(ctx: Context, scheme_id: str) -> SchemeRow:
    with ctx.store.session() as s:
        x = s.get(EvalScheme, scheme_id)
        if x is None or x.deleted:
            raise NotFound("该版本的考评办法不存在")
        return _scheme_row(x)


def find_scheme(ctx: Context, number: int) -> SchemeRow:
    row = next((r for r in list_schemes(ctx) if r.number == number), None)
    if row is None:
        raise NotFound(f"没有第 {number} 版考评办法")
    return row


def save_scheme(ctx: Context, raw: Mapping | ev.Scheme, note: str = "") -> SchemeRow:
    """A new version of the scheme (the old ones stay, closed periods keep theirs). Saving the same
    scheme again adds nothing and returns the version in force."""
    scheme = raw if isinstance(raw, ev.Scheme) else ev.normalise_scheme(raw)
    with ctx.store.session() as s:
        current = _ensure_scheme(s, ctx)
        if ev.scheme_from_json(current.body) == scheme:
            return _scheme_row(current)
        x = EvalScheme(number=current.number + 1, body=scheme.to_json(), note=clean(note)[:200])
        s.add(x)
        s.flush()
        log.info("scheme version %d saved", x.number)
        return _scheme_row(x)


def set_item(ctx: Context, source: str, *, points: object = None, cap: object = None, label: str | None = None,
             remove: bool = False, note: str = "") -> SchemeRow:
    """Change one item of the scheme in force (or add or remove it): a new version. For scripts."""
    if source not in ev.SOURCES:
        raise InvalidInput(f"“{source}”不是可计分的履职内容，可用：{'、'.join(ev.SOURCES)}")
    raw = current_scheme(ctx).scheme.as_dict()
    items = [i for i in raw["items"] if i["source"] != source] if remove else raw["items"]
    if not remove:
        item = next((i for i in items if i["source"] == source), None)
        if item is None:
            if points is None:
                raise InvalidInput("新增计分项目要给出每次分值")
            item = {"source": source, "label": ev.SOURCES[source].label, "points": "0", "cap": ""}
            items.append(item)
        if points is not None:
            item["points"] = str(points)
        if cap is not None:
            item["cap"] = str(cap)
        if label:
            item["label"] = label
    raw["items"] = items
    return save_scheme(ctx, raw, note or f"修改“{ev.SOURCES[source].label}”")


# ================================================================== periods

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


def _period_row(s: Session, p: EvalPeriod) -> PeriodRow:
    number = s.get(EvalScheme, p.scheme_id).number if p.scheme_id else None
    return PeriodRow(p.id, p.name, p.kind, p.date_from, p.date_to, p.closed, p.closed_on, p.closed_by, p.scheme_id,
                     number, p.owner_code)


def list_periods(ctx: Context) -> list[PeriodRow]:
    """Newest first."""
    with ctx.store.session() as s:
        rows = s.scalars(select(EvalPeriod).where(EvalPeriod.deleted.is_(False), EvalPeriod.owner_code.in_(_own(ctx)))
                         .order_by(EvalPeriod.date_to.desc(), EvalPeriod.date_from)).all()
        return [_period_row(s, p) for p in rows]


def get_period(ctx: Context, period_id: str) -> PeriodRow:
    with ctx.store.session() as s:
        return _period_row(s, _load_period(s, period_id))


def _load_period(s: Session, period_id: str) -> EvalPeriod:
    p = s.get(EvalPeriod, period_id)
    if p is None or p.deleted:
        raise NotFound("该考评期间不存在或已删除")
    return p


def find_period(ctx: Context, key: str) -> PeriodRow:
    """A period by id, by name, or by a name like 2026Q1 / 2026 that gives its dates."""
    key = clean(key)
    periods = list_periods(ctx)
    found = next((p for p in periods if key in (p.id, p.name)), None)
    if found is None:
        try:
            date_from, date_to = ev.parse_period(key)
        except InvalidInput:
            date_from = date_to = ""
        found = next((p for p in periods if (p.date_from, p.date_to) == (date_from, date_to)), None)
    if found is None:
        raise NotFound(f"找不到考评期间“{key}”（用 period list 查看）")
    return found


def period_for(ctx: Context, date_from: str, date_to: str) -> PeriodRow | None:
    """The period recorded for exactly these dates, if any (a closed one first)."""
    rows = [p for p in list_periods(ctx) if (p.date_from, p.date_to) == (date_from, date_to)]
    rows.sort(key=lambda p: not p.closed)
    return rows[0] if rows else None


def create_period(ctx: Context, raw: Mapping) -> PeriodRow:
    data = ev.normalise_period(raw)
    with ctx.store.session() as s:
        same = s.scalars(select(EvalPeriod).where(EvalPeriod.deleted.is_(False), EvalPeriod.date_from == data.date_from,
                                                  EvalPeriod.date_to == data.date_to,
                                                  EvalPeriod.owner_code.in_(_own(ctx)))).first()
        if same is not None:
            raise FieldErrors({"date_from": f"这段时间已经是考评期间“{same.name}”"})
        p = EvalPeriod(name=data.name, kind=data.kind, date_from=data.date_from, date_to=data.date_to)
        s.add(p)
        s.flush()
        return _period_row(s, p)


def close_period(ctx: Context, period_id: str, *, by: str = "", today: dt.date | None = None) -> PeriodRow:
    """Freeze the period: it keeps the scheme version in force now, its records are locked (see
    services.duty.guard_open), and the totals of this moment are kept to show any later change."""
    with ctx.store.session() as s:
        p = _load_period(s, period_id)
        ensure_owned(ctx, p)
        if p.closed:
            raise CongressError(f"考评期间“{p.name}”已经关闭")
        scheme = p.scheme_id and s.get(EvalScheme, p.scheme_id) or _ensure_scheme(s, ctx)
        result = _evaluate(s, ctx, p.date_from, p.date_to, scheme)
        p.scheme_id = scheme.id
        p.closed = True
        p.closed_on = (today or dt.date.today()).isoformat()
        p.closed_by = clean(by) or ctx.store.user
        p.snapshot = json.dumps({r.deputy_id: ev.fmt(r.total) for r in result.scores}, sort_keys=True)
        s.flush()
        return _period_row(s, p)


def reopen_period(ctx: Context, period_id: str) -> PeriodRow:
    """Unlock the records of a closed period (to correct one). It keeps its frozen scheme version:
    a published period is never recomputed by a later scheme."""
    with ctx.store.session() as s:
        p = _load_period(s, period_id)
        ensure_owned(ctx, p)
        if not p.closed:
            raise CongressError(f"考评期间“{p.name}”没有关闭")
        p.closed = False
        s.flush()
        return _period_row(s, p)


def delete_period(ctx: Context, period_id: str) -> None:
    with ctx.store.session() as s:
        p = _load_period(s, period_id)
        ensure_owned(ctx, p)
        if p.closed:
            raise CongressError("已关闭的考评期间不能删除，请先重新打开")
        p.deleted = True
        for r in s.scalars(select(VoterRating).where(VoterRating.period_id == p.id, VoterRating.deleted.is_(False))):
            r.deleted = True


# ================================================================== voter ratings (选民测评)

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


def _rating_rows(s: Session, period_id: str) -> list[RatingRow]:
    from congress_desktop.duty.records import _names

    rows = s.scalars(select(VoterRating).where(VoterRating.period_id == period_id, VoterRating.deleted.is_(False))).all()
    names = _names(s, (r.deputy_id for r in rows))
    out = [RatingRow(r.id, r.period_id, r.deputy_id, names.get(r.deputy_id, ""), r.competent, r.basic, r.incompetent,
                     r.rated_on, r.note) for r in rows]
    return sorted(out, key=lambda r: r.deputy_name)


def list_ratings(ctx: Context, period_id: str) -> list[RatingRow]:
    with ctx.store.session() as s:
        _load_period(s, period_id)
        return _rating_rows(s, period_id)


def _count(value: object, label: str) -> int:
    text = clean(value)
    if text == "":
        return 0
    try:
        n = int(text)
    except ValueError:
        raise InvalidInput(f"{label}票数“{text}”不是整数") from None
    if n < 0:
        raise InvalidInput(f"{label}票数不能是负数")
    return n


def set_rating(ctx: Context, period_id: str, deputy_id: str, competent: object, basic: object,
               incompetent: object, *, rated_on: str = "", note: str = "") -> RatingRow:
    """Record (or correct) the 选民测评 votes of a deputy for a period."""
    from congress_desktop.core.dates import DateError, parse_date

    counts = [_count(competent, "称职"), _count(basic, "基本称职"), _count(incompetent, "不称职")]
    ev.rating_result(*counts)  # refuses an all-zero rating
    try:
        day = parse_date(rated_on)
    except DateError as e:
        raise InvalidInput(f"测评日期：{e}") from None
    with ctx.store.session() as s:
        p = _load_period(s, period_id)
        ensure_owned(ctx, p)
        if p.closed:
            raise CongressError(f"考评期间“{p.name}”已关闭，不能再修改测评结果；如需更正请先重新打开")
        from congress_desktop.duty.records import _check_deputy

        _check_deputy(s, deputy_id)
        r = s.scalars(select(VoterRating).where(VoterRating.period_id == p.id, VoterRating.deputy_id == deputy_id)).first()
        if r is None:
            r = VoterRating(period_id=p.id, deputy_id=deputy_id)
            s.add(r)
        values = {"competent": counts[0], "basic": counts[1], "incompetent": counts[2], "rated_on": day,
                  "note": clean(note)[:200], "deleted": False}
        for key, value in values.items():
            if getattr(r, key) != value:
                setattr(r, key, value)
        s.flush()
        return next(x for x in _rating_rows(s, p.id) if x.deputy_id == deputy_id)


def delete_rating(ctx: Context, period_id: str, deputy_id: str) -> None:
    with ctx.store.session() as s:
        p = _load_period(s, period_id)
        ensure_owned(ctx, p)
        if p.closed:
            raise CongressError(f"考评期间“{p.name}”已关闭，不能再修改测评结果")
        r = s.scalars(select(VoterRating).where(VoterRating.period_id == p.id, VoterRating.deputy_id == deputy_id,
                                                VoterRating.deleted.is_(False))).first()
        if r is None:
            raise NotFound("该代表在本期没有测评结果")
        r.deleted = True


# ================================================================== evaluation

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


@dataclass
class _Result:
    deputies: list
    scores: list[ev.DeputyScore]
    refs: dict[str, dict[str, list[SourceRef]]]
    monthly: dict[str, int]


def _evaluate(s: Session, ctx: Context, date_from: str, date_to: str, scheme_row: EvalScheme,
              cancel: Cancel = never_cancel) -> _Result:
    scheme = ev.scheme_from_json(scheme_row.body)
    deputies = deputies_in_office(s, ctx, date_from, date_to)
    check_cancel(cancel)
    act = collect_activity(s, date_from, date_to)
    check_cancel(cancel)
    inputs = []
    refs: dict[str, dict[str, list[SourceRef]]] = {}
    monthly = dict.fromkeys(ev.months(date_from, date_to), 0)
    for d in deputies:
        by_source = act.refs(d.id)
        occurrences = {src: [ev.Occurrence(ref, pts) for ref, pts in pairs] for src, pairs in by_source.items()}
        refs[d.id] = {src: [ref for ref, _p in pairs] for src, pairs in by_source.items()}
        inputs.append(ev.DeputyInput(d.id, occurrences, act.absences_to_date.get(d.id, 0)))
        for src, pairs in by_source.items():
            if ev.SOURCES.get(src) and ev.SOURCES[src].activity and src != "opinion_closed":
                for ref, _p in pairs:
                    if ref.date[:7] in monthly:
                        monthly[ref.date[:7]] += 1
    return _Result(deputies, ev.evaluate(scheme, inputs), refs, monthly)


def _scheme_for(s: Session, ctx: Context, period: EvalPeriod | None, scheme_id: str | None) -> EvalScheme:
    if scheme_id:
        x = s.get(EvalScheme, scheme_id)
        if x is None or x.deleted:
            raise NotFound("该版本的考评办法不存在")
        return x
    if period is not None and period.closed and period.scheme_id:
        return s.get(EvalScheme, period.scheme_id)
    if period is not None and period.scheme_id:  # reopened: stays on its frozen version
        return s.get(EvalScheme, period.scheme_id)
    return _ensure_scheme(s, ctx)


def evaluate(ctx: Context, date_from: str, date_to: str, *, period_id: str | None = None,
             scheme_id: str | None = None, progress: Progress = no_progress,
             cancel: Cancel = never_cancel) -> Evaluation:
    """Every deputy in office during the period: points per item (each with its records), total,
    rank, grade and flags, with the voter rating beside. The scheme: ``scheme_id`` if given, else the
    one the period froze (a period recorded for exactly these dates counts too), else the current."""
    date_from, date_to = ev.check_range(date_from, date_to)
    progress(0, 3)
    with ctx.store.session() as s:
        period = None
        if period_id:
            period = _load_period(s, period_id)
            date_from, date_to = period.date_from, period.date_to
        else:
            period = s.scalars(select(EvalPeriod).where(
                EvalPeriod.deleted.is_(False), EvalPeriod.date_from == date_from, EvalPeriod.date_to == date_to,
                EvalPeriod.owner_code.in_(_own(ctx))).order_by(EvalPeriod.closed.desc())).first()
        scheme_row = _scheme_for(s, ctx, period, scheme_id)
        result = _evaluate(s, ctx, date_from, date_to, scheme_row, cancel)
        progress(2, 3)
        scheme = _scheme_row(scheme_row)
        period_row = _period_row(s, period) if period is not None else None
        ratings = {r.deputy_id: r for r in _rating_rows(s, period.id)} if period is not None else {}
        villages = dict(s.execute(select(Village.id, Village.name)).all())
        snapshot = json.loads(period.snapshot) if period is not None and period.closed and period.snapshot else {}
    headers = tuple(ItemHeader(i.source, i.label, ev.fmt(i.points), ev.fmt(i.cap)) for i in scheme.scheme.items)
    rows = []
    changed = []
    by_id = {d.id: d for d in result.deputies}
    for sc in result.scores:
        d = by_id[sc.deputy_id]
        cells = tuple(ItemCell(i.source, i.label, i.count, ev.fmt(i.points), ev.fmt(i.raw), i.capped,
                               tuple(i.refs)) for i in sc.items)
        rows.append(EvaluationRow(d.id, d.name, villages.get(d.village_id, ""), d.group_name, d.status, cells,
                                  ev.fmt(sc.base), ev.fmt(sc.total), sc.rank, sc.grade, sc.flags, sc.active,
                                  sc.absences, sc.absences_to_date, ratings.get(d.id)))
        then = snapshot.get(d.id)
        if snapshot and then != ev.fmt(sc.total):
            changed.append(f"{d.name}：{then or '未列入'} → {ev.fmt(sc.total)}")
    order = {d.id: i for i, d in enumerate(result.deputies)}  # by pinyin within a rank
    rows.sort(key=lambda r: (r.rank, order[r.deputy_id]))
    counts = {b.label: 0 for b in scheme.scheme.bands}
    for r in rows:
        counts[r.grade] = counts.get(r.grade, 0) + 1
    title = period_row.name if period_row else ev.period_name(date_from, date_to)
    progress(3, 3)
    return Evaluation(date_from, date_to, title, period_row, scheme, headers, tuple(rows), tuple(counts.items()),
                      tuple(result.monthly.items()), tuple(changed))


def evaluate_period(ctx: Context, period_id: str, **kw) -> Evaluation:
    p = get_period(ctx, period_id)
    return evaluate(ctx, p.date_from, p.date_to, period_id=p.id, **kw)


# ================================================================== paper and spreadsheet

def export_evaluation(ctx: Context, evaluation: Evaluation, path: str | Path, *, progress: Progress = no_progress,
                      cancel: Cancel = never_cancel) -> int:
    """The evaluation table to .xlsx (numbers as numbers, the rows to remind highlighted), with a
    second sheet listing the records behind every number."""
    from congress_desktop.duty.report import write_evaluation_xlsx

    check_cancel(cancel)
    n = write_evaluation_xlsx(path, evaluation)
    progress(1, 1)
    return n


def print_duty_notice(ctx: Context, out: str | Path, date_from: str, date_to: str, *, period_id: str | None = None,
                      progress: Progress = no_progress, cancel: Cancel = never_cancel) -> int:
    """履职情况通报 (A4 landscape): summary, charts, the table of every deputy, highlights, reminders."""
    from congress_desktop.duty.report import render_duty_notice

    office = ctx.require_office()
    evaluation = evaluate(ctx, date_from, date_to, period_id=period_id, cancel=cancel)
    return render_duty_notice(out, office.name, evaluation, progress=progress, cancel=cancel)


# ================================================================== demo

def seed_demo_periods(ctx: Context, rng: random.Random, *, today: dt.date | None = None) -> None:
    """The quarters of the demo year as periods (past ones closed with scheme version 1, the current
    one open), the year, and voter ratings for part of the deputies in the year."""
    today = today or dt.date.today()
    year, quarter = ev.quarter_of(today)
    current_scheme(ctx)
    made = []
    y, q = year, quarter
    for _ in range(4):
        date_from, date_to = ev.quarter_bounds(y, q)
        made.append(create_period(ctx, {"kind": "季度", "date_from": date_from, "date_to": date_to}))
        y, q = (y - 1, 4) if q == 1 else (y, q - 1)
    for p in made[1:]:
        close_period(ctx, p.id, by="演示数据", today=today)
    year_period = create_period(ctx, {"kind": "年度", "date_from": f"{year}-01-01", "date_to": f"{year}-12-31"})
    with ctx.store.session() as s:
        deputies = [d for d in deputies_in_office(s, ctx, year_period.date_from, year_period.date_to)
                    if d.status == "在任"]
        n = (s.scalar(select(func.count()).select_from(VoterRating)) or 0)
        if n:
            return
        for d in rng.sample(deputies, k=min(24, len(deputies))):
            voters = rng.randint(30, 60)
            competent = int(voters * rng.choice([0.95, 0.9, 0.85, 0.8, 0.7, 0.6, 0.4]))
            basic = min(voters - competent, rng.randint(0, voters - competent))
            s.add(VoterRating(period_id=year_period.id, deputy_id=d.id, competent=competent, basic=basic,
                              incompetent=voters - competent - basic, rated_on=today.isoformat(),
                              note="述职会现场测评"))

