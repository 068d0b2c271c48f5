"""Evaluation (履职考评): the office's scoring scheme in versions, periods that are opened and closed,
the evaluation of any period (points per item with the records behind every number, total, rank,
grade, flags), voter ratings (选民测评), and one deputy's duty file (履职档案). Printing them is
report.py's.

Which scheme a period is computed by: a closed period by the version frozen when it was closed;
anything else by the version in force (the newest). Editing the scheme therefore changes the current
period and never a closed one."""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from congress_desktop.core.context import Cancel, Context, Progress, check_cancel, never_cancel, no_progress
from congress_desktop.core.dates import DateError, parse_date
from congress_desktop.core.errors import CongressError, FieldErrors, InvalidInput, NotFound
from congress_desktop.core.ownership import ensure_owned
from congress_desktop.core.store.access import get_live
from congress_desktop.core.store.models import Village
from congress_desktop.core.store.models_duty import EvalPeriod, EvalScheme, VoterRating
from congress_desktop.core.store.models_grids import Grid, GridAssignment
from congress_desktop.core.text import clean
from congress_desktop.deputies.service import get_deputy
from congress_desktop.duty import rules as ev
from congress_desktop.duty.activity import collect_activity, deputies_in_office, deputy_names, require_deputy
from congress_desktop.duty.rows import (
    SECTION_LABELS,
    DutyFile,
    Evaluation,
    EvaluationRow,
    FileEntry,
    GridPlace,
    ItemCell,
    ItemHeader,
    PeriodRow,
    RatingRow,
    SchemeRow,
    SourceRef,
)

log = logging.getLogger(__name__)


# ================================================================== schemes


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


def _period_row(s: Session, p: EvalPeriod) -> PeriodRow:
    frozen = s.get(EvalScheme, p.scheme_id) if p.scheme_id else None
    number = frozen.number if frozen is not None else None
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
    return get_live(s, EvalPeriod, period_id, "考评期间")


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
    duty.records.guard_open), and the totals of this moment are kept to show any later change."""
    with ctx.store.session() as s:
        p = _load_period(s, period_id)
        ensure_owned(ctx, p)
        if p.closed:
            raise CongressError(f"考评期间“{p.name}”已经关闭")
        frozen = s.get(EvalScheme, p.scheme_id) if p.scheme_id else None
        scheme = frozen or _ensure_scheme(s, ctx)
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


def _rating_rows(s: Session, period_id: str) -> list[RatingRow]:
    rows = s.scalars(select(VoterRating).where(VoterRating.period_id == period_id, VoterRating.deleted.is_(False))).all()
    names = deputy_names(s, (r.deputy_id for r in rows))
    out = [RatingRow(r.id, r.period_id, r.deputy_id, names.get(r.deputy_id, ""), r.competent, r.basic, r.incompetent,
                     r.rated_on, r.note) for r in rows]
    return sorted(out, key=lambda r: r.deputy_name)


def list_ratings(ctx: Context, period_id: str) -> list[RatingRow]:
    with ctx.store.session() as s:
        _load_period(s, period_id)
        return _rating_rows(s, period_id)


def set_rating(ctx: Context, period_id: str, deputy_id: str, votes: Sequence[object], *, rated_on: str = "",
               note: str = "") -> RatingRow:
    """Record (or correct) the 选民测评 votes of a deputy for a period: ``votes`` is (称职, 基本称职,
    不称职) as typed."""
    counts = [ev.rating_votes(v, label) for v, label in zip(votes, ev.RATING_LABELS, strict=True)]
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
        require_deputy(s, deputy_id)
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
    if period is not None and period.scheme_id:  # closed, or reopened: stays on its frozen version
        frozen = s.get(EvalScheme, period.scheme_id)
        if frozen is not None:
            return frozen
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


# ================================================================== demo


# ================================================================== the duty file (履职档案)

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
    evaluation = evaluate(ctx, date_from, date_to)
    score = evaluation.row(deputy_id)
    return DutyFile(deputy, date_from, date_to, ev.period_name(date_from, date_to), tuple(entries), counts,
                    tuple(grids), tuple(sorted(outcomes.items(), key=lambda kv: -kv[1])), tuple(monthly.items()),
                    score, len(evaluation.rows), evaluation.scheme.label,
                    tuple((h.source, h.label) for h in evaluation.items), score.rating if score else None,
                    act.absences_to_date.get(deputy_id, 0))

