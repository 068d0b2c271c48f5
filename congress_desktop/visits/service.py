"""Visits (联系点接待 / 入户走访 / 座谈 / 电话 / 暗访): the units of work that record, edit and delete a
visit with its deputies, visitors and opinions (history kept), the list, and the home-page figures.
The ledger import and export live in visits/importing.py, the printouts in visits/report.py, the demo
year in visits/demo.py."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from congress_desktop.core import search
from congress_desktop.core.context import Context
from congress_desktop.core.dates import DateError, parse_date
from congress_desktop.core.errors import FieldErrors, InvalidInput
from congress_desktop.core.history import HistoryEntry, record_history
from congress_desktop.core.store.access import get_live
from congress_desktop.core.store.models import ContactPoint, Deputy, Village
from congress_desktop.core.store.models_visits import (
    HandlingUnit,
    Opinion,
    OpinionCategory,
    OpinionEvent,
    Visit,
    VisitDeputy,
    Visitor,
)
from congress_desktop.visits import opinions as op_svc
from congress_desktop.visits.attachments import (
    attach_in_session,
    delete_attachments_in_session,
    list_attachments,
)
from congress_desktop.visits.categories import ensure_categories
from congress_desktop.visits.opinion_index import index_opinion, new_opinion
from congress_desktop.visits.opinion_rules import (
    CLOSED,
    OPEN_STATES,
    RUNNING,
    SATISFIED,
    Flow,
    Step,
    TransitionRefused,
    due_soon_until,
)
from congress_desktop.visits.place_names import grid_labels, place_label
from congress_desktop.visits.rows import VISIT_LABELS as VISIT_LABELS
from congress_desktop.visits.rows import (
    HomeSummary,
    OpinionQuery,
    PlaceOption,
    VisitDetail,
    VisitorRow,
    VisitQuery,
    VisitRow,
)
from congress_desktop.visits.rows import percent as percent
from congress_desktop.visits.rules import VisitData, normalise_visit, opinion_source

PAGE = 200
VISIT_NOUN = "接待记录"


def list_places(ctx: Context) -> list[PlaceOption]:
    """Where a visit can take place: contact points, then grids (once grids exist)."""
    with ctx.store.session() as s:
        points = s.scalars(select(ContactPoint).where(ContactPoint.deleted.is_(False))).all()
        order = {"代表之家": 0, "代表联络站": 1, "代表联系点": 2, "接待室": 3}
        out = [PlaceOption("contact_point", p.id, p.name, p.village_id)
               for p in sorted(points, key=lambda p: (order.get(p.kind, 9), p.name))]
        out += [PlaceOption("grid", gid, f"网格：{label}", vid) for gid, (label, vid) in grid_labels(s).items()]
        return out


def _visit_rows(s: Session, visits: list[Visit]) -> list[VisitRow]:
    ids = [v.id for v in visits]
    deputies: dict[str, list[tuple[str, str]]] = {i: [] for i in ids}
    visitors: dict[str, list[str]] = {i: [] for i in ids}
    counts: dict[str, list[int]] = {i: [0, 0] for i in ids}
    if ids:
        for vid, did, name in s.execute(
                select(VisitDeputy.visit_id, Deputy.id, Deputy.name).join(Deputy, Deputy.id == VisitDeputy.deputy_id)
                .where(VisitDeputy.visit_id.in_(ids), VisitDeputy.deleted.is_(False)).order_by(Deputy.name_pinyin)):
            deputies[vid].append((did, name))
        for vid, name in s.execute(select(Visitor.visit_id, Visitor.name).where(
                Visitor.visit_id.in_(ids), Visitor.deleted.is_(False)).order_by(Visitor.position)):
            visitors[vid].append(name)
        for ovid, state, n in s.execute(select(Opinion.visit_id, Opinion.state, func.count()).where(
                Opinion.visit_id.in_(ids), Opinion.deleted.is_(False)).group_by(Opinion.visit_id, Opinion.state)):
            counts[str(ovid)][0] += n
            if state != CLOSED:
                counts[str(ovid)][1] += n
    points = {p.id: p.name for p in s.scalars(select(ContactPoint))} if ids else {}
    villages = {v.id: v.name for v in s.scalars(select(Village))} if ids else {}
    grids = grid_labels(s) if any(v.grid_id for v in visits) else {}
    out = []
    for v in visits:
        if v.contact_point_id:
            label = points.get(v.contact_point_id, "（已删除的站点）")
        elif v.grid_id:
            label = f"网格：{grids[v.grid_id][0]}" if v.grid_id in grids else "（网格）"
        else:
            label = v.place_text
        out.append(VisitRow(
            v.id, v.visit_date, v.start_time, v.end_time, v.form, v.contact_point_id, v.grid_id, v.place_text,
            label, v.village_id, villages.get(v.village_id, "") if v.village_id else "", v.note,
            tuple(d for d, _ in deputies[v.id]), tuple(n for _, n in deputies[v.id]), v.visitor_count,
            tuple(visitors[v.id]), counts[v.id][0], counts[v.id][1], v.version))
    return out


# ================================================================== the list

def _visit_conditions(q: VisitQuery) -> list[ColumnElement[bool]]:
    cond: list[ColumnElement[bool]] = [Visit.deleted.is_(False)]
    for word in search.query_words(q.text):
        cond.append(Visit.search_text.contains(word, autoescape=True))
    try:
        date_from, date_to = parse_date(q.date_from), parse_date(q.date_to)
    except DateError as e:
        raise InvalidInput(f"日期：{e}") from None
    if date_from and date_to and date_to < date_from:
        raise InvalidInput(f"结束日期 {date_to} 早于开始日期 {date_from}")
    if date_from:
        cond.append(Visit.visit_date >= date_from)
    if date_to:
        cond.append(Visit.visit_date <= date_to)
    if q.form:
        cond.append(Visit.form == q.form)
    if q.contact_point_id:
        cond.append(Visit.contact_point_id == q.contact_point_id)
    if q.grid_id:
        cond.append(Visit.grid_id == q.grid_id)
    if q.village_id:
        cond.append(Visit.village_id == q.village_id)
    if q.deputy_id:
        cond.append(Visit.id.in_(select(VisitDeputy.visit_id).where(VisitDeputy.deputy_id == q.deputy_id,
                                                                    VisitDeputy.deleted.is_(False))))
    return cond


def query_visits(ctx: Context, q: VisitQuery = VisitQuery(), offset: int = 0,
                 limit: int | None = PAGE) -> list[VisitRow]:
    """A page of visits, newest first."""
    stmt = (select(Visit).where(*_visit_conditions(q))
            .order_by(Visit.visit_date.desc(), Visit.start_time.desc(), Visit.id.desc()).offset(offset))
    if limit is not None:
        stmt = stmt.limit(limit)
    with ctx.store.session() as s:
        return _visit_rows(s, list(s.scalars(stmt)))


def count_visits(ctx: Context, q: VisitQuery = VisitQuery()) -> int:
    with ctx.store.session() as s:
        return s.scalar(select(func.count()).select_from(Visit).where(*_visit_conditions(q))) or 0


def get_visit(ctx: Context, visit_id: str, *, today: dt.date | None = None) -> VisitDetail:
    with ctx.store.session() as s:
        v = get_live(s, Visit, visit_id, VISIT_NOUN)
        row = _visit_rows(s, [v])[0]
        visitors = tuple(VisitorRow(x.id, x.name, x.phone, x.village_group, x.head_count, x.id_number)
                         for x in s.scalars(select(Visitor).where(Visitor.visit_id == visit_id,
                                                                  Visitor.deleted.is_(False))
                                            .order_by(Visitor.position)))
    opinions = tuple(sorted(op_svc.query_opinions(ctx, OpinionQuery(visit_id=visit_id), 0, None,
                                                  today=today), key=lambda o: o.seq))
    return VisitDetail(row, visitors, opinions, tuple(list_attachments(ctx, "visit", visit_id)))


# ================================================================== record, edit, delete

def _check_references(s: Session, data: VisitData) -> None:
    errors: dict[str, str] = {}
    if data.contact_point_id:
        p = s.get(ContactPoint, data.contact_point_id)
        if p is None or p.deleted:
            errors["place"] = "所选联系站点不存在或已删除"
    if data.grid_id and data.grid_id not in grid_labels(s):
        errors["place"] = "所选网格不存在或已删除"
    if data.village_id:
        v = s.get(Village, data.village_id)
        if v is None or v.deleted:
            errors["village_id"] = "所选村(社区)不存在或已删除"
    for d_id in data.deputy_ids:
        d = s.get(Deputy, d_id)
        if d is None or d.deleted:
            errors["deputy_ids"] = "所选接待代表中有已删除的代表，请刷新后重选"
    for n, o in enumerate(data.opinions):
        c = s.get(OpinionCategory, o.category_id)
        if c is None or c.deleted:
            errors[f"opinions.{n}.category_id"] = f"第 {n + 1} 条意见：所选类别不存在"
    if errors:
        raise FieldErrors(errors)


def visit_search_text(s: Session, v: Visit, deputy_names: list[str], visitors: list[Visitor]) -> str:
    village_row = s.get(Village, v.village_id) if v.village_id else None
    village = village_row.name if village_row else ""
    return search.search_text(v.visit_date, v.form, place_label(s, v), village, v.note, " ".join(deputy_names),
                              *[f"{x.name} {x.phone} {x.village_group}" for x in visitors])


def save_visit(ctx: Context, raw: dict, visit_id: str | None = None, *,
               now: dt.datetime | None = None) -> VisitDetail:
    """Record a visit with its deputies, visitors and opinions in one unit of work (or edit one).

    An opinion answered on the spot is closed at once with its answer. ``raw["attachment_paths"]``
    (optional) lists files to attach. Editing keeps every change in the history."""
    now = now or dt.datetime.now()
    today = now.date()
    ensure_categories(ctx)
    data = normalise_visit(raw, now)
    with ctx.store.session() as s:
        _check_references(s, data)
        v = None
        if visit_id:
            v = get_live(s, Visit, visit_id, VISIT_NOUN)
        village_id = data.village_id
        if not village_id and data.contact_point_id:
            p = s.get(ContactPoint, data.contact_point_id)
            village_id = p.village_id if p else None
        if not village_id and data.grid_id:
            village_id = grid_labels(s).get(data.grid_id, ("", None))[1]
        values = dict(visit_date=data.visit_date, start_time=data.start_time, end_time=data.end_time,
                      form=data.form, contact_point_id=data.contact_point_id, grid_id=data.grid_id,
                      place_text=data.place_text if not (data.contact_point_id or data.grid_id) else "",
                      village_id=village_id, note=data.note, visitor_count=data.head_count)
        if v is None:  # made whole before it is added: the insert logs every field at once
            v = Visit(**values)
            s.add(v)
        for k, val in values.items():
            if getattr(v, k) != val:
                setattr(v, k, val)
        s.flush()
        deputy_names = set_deputies(s, v.id, list(data.deputy_ids))
        visitors = _set_visitors(s, v.id, data)
        v.search_text = visit_search_text(s, v, deputy_names, visitors)
        _set_opinions(s, ctx, v, data, visitors, today)
        for path in raw.get("attachment_paths") or []:
            attach_in_session(s, ctx, "visit", v.id, path)
        s.flush()
        visit_id = v.id
    return get_visit(ctx, visit_id, today=today)


def deputy_names(s: Session, deputy_ids: list[str]) -> list[str]:
    """The names of deputies checked to exist (a deleted one keeps its name)."""
    out = []
    for d_id in deputy_ids:
        d = s.get(Deputy, d_id)
        out.append(d.name if d else "")
    return out


def set_deputies(s: Session, visit_id: str, deputy_ids: list[str]) -> list[str]:
    existing = {r.deputy_id: r for r in s.scalars(select(VisitDeputy).where(VisitDeputy.visit_id == visit_id))}
    for d_id in deputy_ids:
        link = existing.get(d_id)
        if link is None:
            s.add(VisitDeputy(visit_id=visit_id, deputy_id=d_id))
        elif link.deleted:
            link.deleted = False
    for d_id, link in existing.items():
        if d_id not in deputy_ids and not link.deleted:
            link.deleted = True
    return deputy_names(s, deputy_ids)


def _set_visitors(s: Session, visit_id: str, data: VisitData) -> list[Visitor]:
    """Rows are matched by position: an edit changes fields in place, so history reads as edits."""
    existing = list(s.scalars(select(Visitor).where(Visitor.visit_id == visit_id, Visitor.deleted.is_(False))
                              .order_by(Visitor.position)))
    out = []
    for i, d in enumerate(data.visitors):
        x = existing[i] if i < len(existing) else None
        if x is None:
            x = Visitor(visit_id=visit_id, name=d.name)
            s.add(x)
        for k, val in dict(position=i, name=d.name, phone=d.phone, village_group=d.village_group,
                           head_count=d.head_count, id_number=d.id_number).items():
            if getattr(x, k) != val:
                setattr(x, k, val)
        out.append(x)
    for x in existing[len(data.visitors):]:
        x.deleted = True
    return out


def raised_by_of(visitors: list[Visitor]) -> tuple[str, str]:
    names = "、".join(x.name for x in visitors[:3]) + ("等" if len(visitors) > 3 else "")
    phone = next((x.phone for x in visitors if x.phone), "")
    return names, phone


def _check_opinion_edits(s: Session, existing: dict[str, Opinion], data: VisitData) -> set[str]:
    """The ids of the opinions the edit keeps; refused when it drops one already in handling or moves the
    visit after a handling step."""
    kept = {d.id for d in data.opinions if d.id}
    if kept - set(existing):
        raise InvalidInput("要修改的意见建议不属于这条接待记录，或已被删除；请刷新后重试")
    errors: dict[str, str] = {}
    for oid, o in existing.items():
        if oid not in kept and (o.state not in ("登记",) and not o.on_the_spot):
            errors["opinions"] = (f"意见“{o.content[:20]}”已{o.state}，不能从接待记录中删除；"
                                  "如确需删除，请在“建议督办”中删除该件")
    first_step = s.scalar(select(func.min(OpinionEvent.step_on)).where(
        OpinionEvent.opinion_id.in_(list(existing)), OpinionEvent.deleted.is_(False),
        OpinionEvent.action != "spot")) if existing else None
    if first_step and data.visit_date > first_step:
        errors["visit_date"] = f"接待日期不能晚于其意见建议已办理的日期（{first_step}）"
    if errors:
        raise FieldErrors(errors)
    return kept


@dataclass(frozen=True)
class _OpinionContext:
    """What every opinion of one visit being saved shares."""

    ctx: Context
    visit: Visit
    data: VisitData
    raised_by: str
    phone: str
    source: str
    deputies: list[str]
    today: dt.date


def _set_opinions(s: Session, ctx: Context, v: Visit, data: VisitData, visitors: list[Visitor],
                  today: dt.date) -> None:
    existing = {o.id: o for o in s.scalars(select(Opinion).where(Opinion.visit_id == v.id,
                                                                 Opinion.deleted.is_(False)))}
    kept = _check_opinion_edits(s, existing, data)
    raised_by, phone = raised_by_of(visitors)
    oc = _OpinionContext(ctx, v, data, raised_by, phone, opinion_source(data.form, bool(data.grid_id)),
                         deputy_names(s, list(data.deputy_ids)), today)
    for oid, o in existing.items():
        if oid not in kept:
            op_svc.delete_opinion_in_session(s, o)
            delete_attachments_in_session(s, "opinion", o.id)
    for pos, d in enumerate(data.opinions):
        _save_opinion(s, oc, pos, existing.get(d.id) if d.id else None)


def _save_opinion(s: Session, oc: _OpinionContext, pos: int, o: Opinion | None) -> None:
    d, data = oc.data.opinions[pos], oc.data
    if o is None:
        o = new_opinion(s, visit_id=oc.visit.id, state="登记", raised_on=data.visit_date, raised_by=oc.raised_by,
                        raised_phone=oc.phone, village_id=oc.visit.village_id, source=oc.source, position=pos,
                        category_id=d.category_id, content=d.content, title=d.title, key_item=d.key_item)
        s.add(o)
    elif o.on_the_spot and not d.on_the_spot:
        raise FieldErrors({f"opinions.{pos}.on_the_spot": f"第 {pos + 1} 条意见已当场答复办结，不能取消“当场答复”"})
    new_values: dict[str, object] = dict(position=pos, category_id=d.category_id, content=d.content, title=d.title,
                                         key_item=d.key_item)
    if o.state == "登记" or (o.on_the_spot and o.state == CLOSED):
        new_values["raised_on"] = data.visit_date
    for k, val in new_values.items():
        if getattr(o, k) != val:
            setattr(o, k, val)
    s.flush()
    if d.on_the_spot and o.state == "登记":
        try:
            op_svc.act_in_session(s, oc.ctx, o, Step("spot", on=data.visit_date, kind=d.answer_kind, text=d.answer),
                                  oc.today)
        except TransitionRefused as e:
            raise FieldErrors({f"opinions.{pos}.answer": f"第 {pos + 1} 条意见：{e.message}"}) from None
    elif d.on_the_spot and o.on_the_spot and d.answer and (o.reply_text != d.answer
                                                           or o.reply_kind != d.answer_kind):
        o.reply_text, o.reply_kind = d.answer, d.answer_kind
    index_opinion(s, o, deputies=oc.deputies)


def delete_visit(ctx: Context, visit_id: str) -> int:
    """Mark the visit deleted with its visitors, deputies and opinions (all kept in history).
    Returns how many opinions went with it."""
    with ctx.store.session() as s:
        v = get_live(s, Visit, visit_id, VISIT_NOUN)
        v.deleted = True
        for link in s.scalars(select(VisitDeputy).where(VisitDeputy.visit_id == visit_id,
                                                        VisitDeputy.deleted.is_(False))):
            link.deleted = True
        for x in s.scalars(select(Visitor).where(Visitor.visit_id == visit_id, Visitor.deleted.is_(False))):
            x.deleted = True
        n = 0
        for o in s.scalars(select(Opinion).where(Opinion.visit_id == visit_id, Opinion.deleted.is_(False))):
            op_svc.delete_opinion_in_session(s, o)
            delete_attachments_in_session(s, "opinion", o.id)
            n += 1
        delete_attachments_in_session(s, "visit", visit_id)
        return n


def visit_history(ctx: Context, visit_id: str) -> list[tuple[str, HistoryEntry]]:
    """Who changed what, when, for the visit and everything recorded with it; oldest first."""
    out = [("接待记录", e) for e in record_history(ctx, "visit", visit_id)]
    with ctx.store.session() as s:
        visitors = [(x.id, x.name) for x in s.scalars(select(Visitor).where(Visitor.visit_id == visit_id))]
        links = [(x.id, d.name) for x, d in s.execute(
            select(VisitDeputy, Deputy).join(Deputy, Deputy.id == VisitDeputy.deputy_id)
            .where(VisitDeputy.visit_id == visit_id))]
        opinions = [(o.id, o.position) for o in s.scalars(select(Opinion).where(Opinion.visit_id == visit_id))]
    for xid, name in visitors:
        out += [(f"群众 {name}", e) for e in record_history(ctx, "visitor", xid)]
    for xid, name in links:
        out += [(f"接待代表 {name}", e) for e in record_history(ctx, "visit_deputy", xid)]
    for xid, pos in opinions:
        out += [(f"第 {pos + 1} 条意见", e) for e in record_history(ctx, "opinion", xid)]
    out.sort(key=lambda p: (p[1].at, p[1].version))
    return out


# ================================================================== home page

def home_summary(ctx: Context, today: dt.date | None = None) -> HomeSummary:
    """The office's figures: visits this month and year; this year's opinions, 办结率 and 满意率 (满意 +
    基本满意 over those rated); open, overdue and due-within-7-days items of all years. Each count
    reads one index range (no table rows), so it stays fast on a city's decade of data."""
    today = today or dt.date.today()
    month_from = today.replace(day=1).isoformat()
    year_from = today.replace(month=1, day=1).isoformat()
    t = today.isoformat()
    with ctx.store.session() as s:
        def visits_since(day: str) -> int:
            return s.scalar(select(func.count()).select_from(Visit).where(
                Visit.deleted.is_(False), Visit.visit_date >= day, Visit.visit_date <= t)) or 0

        visits_month, visits_year = visits_since(month_from), visits_since(year_from)
        total = closed = rated = satisfied = 0
        for state, rating, n in s.execute(
                select(Opinion.state, Opinion.rating, func.count()).where(
                    Opinion.deleted.is_(False), Opinion.raised_on >= year_from, Opinion.raised_on <= t)
                .group_by(Opinion.state, Opinion.rating)):
            total += n
            closed += n if state == CLOSED else 0
            if rating:
                rated += n
                satisfied += n if rating in SATISFIED else 0
        open_items = 0
        for st in OPEN_STATES:
            open_items += s.scalar(select(func.count()).select_from(Opinion).where(
                Opinion.deleted.is_(False), Opinion.state == st)) or 0
        overdue = soon = 0
        for st in RUNNING:
            base = select(func.count()).select_from(Opinion).where(Opinion.deleted.is_(False), Opinion.state == st,
                                                                    Opinion.deadline > "")
            overdue += s.scalar(base.where(Opinion.deadline < t)) or 0
            soon += s.scalar(base.where(Opinion.deadline >= t, Opinion.deadline <= due_soon_until(today))) or 0
    return HomeSummary(t, month_from, year_from, visits_month, visits_year, total, closed, rated, satisfied,
                       open_items, overdue, soon)


def add_events(s: Session, opinion_id: str, events: list[tuple[str, str, str, str, str]], user: str) -> None:
    """(action, detail, from state, to state, date) of steps replayed before the opinion was written."""
    for action, detail, before, after, on in events:
        s.add(OpinionEvent(opinion_id=opinion_id, step_on=on, action=action, from_state=before, to_state=after,
                           detail=detail, by_user=user))


def apply_flow(o: Opinion, flow: Flow) -> None:
    for k in ("state", "unit_id", "assist_units", "assigned_on", "deadline", "complex", "started_on", "reply_on",
              "reply_kind", "reply_text", "rated_on", "rating", "rated_by", "closed_on", "return_count",
              "plan_done_on", "on_the_spot"):
        val = getattr(flow, k)
        setattr(o, k, (val or None) if k == "unit_id" else val)



def names_of_ids(ctx: Context, ids: set[str]) -> dict[str, str]:
    """Names for record ids shown in a history (deputies, places, villages, units, categories)."""
    ids = {i for i in ids if isinstance(i, str) and len(i) == 36}
    out: dict[str, str] = {}
    if not ids:
        return out
    with ctx.store.session() as s:
        for model in (Deputy, ContactPoint, Village, HandlingUnit, OpinionCategory):
            for oid, name in s.execute(select(model.id, model.name).where(model.id.in_(ids))):
                out[oid] = name
        for gid, (label, _vid) in grid_labels(s).items():
            if gid in ids:
                out[gid] = label
    return out
