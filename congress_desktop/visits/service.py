"""Visits (联系点接待 / 入户走访 / 座谈 / 电话 / 暗访): record, edit, delete with history, the home-page
figures, the historical ledger import (台账, one row per opinion) and export, and the demo year."""

from __future__ import annotations

import datetime as dt
import logging
import random
import re
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from congress_desktop.core import search
from congress_desktop.core.context import Cancel, Context, Progress, check_cancel, never_cancel, no_progress
from congress_desktop.core.dates import DateError, parse_date
from congress_desktop.core.errors import CongressError, FieldErrors, InvalidInput, NotFound
from congress_desktop.core.history import HistoryEntry, record_history
from congress_desktop.core.idcard import mask_id_number
from congress_desktop.core.phone import PhoneError, normalise_phone
from congress_desktop.core.sheets import RowError, Sheet, read_sheet, write_error_report, write_xlsx
from congress_desktop.core.store.models import ContactPoint, Deputy, Village
from congress_desktop.core.store.models_visits import (
    Opinion,
    OpinionCategory,
    OpinionEvent,
    Visit,
    VisitDeputy,
    Visitor,
)
from congress_desktop.core.text import clean, clean_name
from congress_desktop.places.units import find_unit_ids, seed_units, unit_key
from congress_desktop.places.villages import find_village_ids, village_key
from congress_desktop.visits import opinions as op_svc
from congress_desktop.visits.attachments import (
    AttachmentRow,
    attach_in_session,
    delete_attachments_in_session,
    list_attachments,
)
from congress_desktop.visits.opinion_rules import (
    CLOSED,
    OPEN_STATES,
    RUNNING,
    SATISFIED,
    Flow,
    Step,
    TransitionRefused,
    apply_step,
    due_soon_until,
    state_of_ledger,
    steps_to,
)
from congress_desktop.visits.opinions import OpinionRow
from congress_desktop.visits.rules import (
    FORMS,
    TimeError,
    VisitData,
    normalise_visit,
    opinion_source,
    parse_time,
)

log = logging.getLogger(__name__)

PAGE = 200


# ================================================================== rows

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


def _grid_table(s: Session) -> bool:
    """Grids are another module's table, read by name so neither module imports the other."""
    return bool(s.execute(text("SELECT 1 FROM sqlite_master WHERE type='table' AND name='grid'")).first()) \
        if s.get_bind().dialect.name == "sqlite" else False


def _grids(s: Session) -> dict[str, tuple[str, str | None]]:
    """grid id -> (label 「黄家村 · 第一网格」, village id)."""
    if not _grid_table(s):
        return {}
    rows = s.execute(text("SELECT g.id, g.name, g.village_id, v.name FROM grid g LEFT JOIN village v "
                          "ON v.id = g.village_id WHERE g.deleted = 0 ORDER BY v.code, g.code")).all()
    return {gid: (f"{vname} · {name}" if vname else name, vid) for gid, name, vid, vname in rows}


def list_places(ctx: Context) -> list[PlaceOption]:
    """Where a visit can take place: contact points, then grids (once grids exist)."""
    with ctx.store.session() as s:
        points = s.scalars(select(ContactPoint).where(ContactPoint.deleted.is_(False))).all()
        order = {"代表之家": 0, "代表联络站": 1, "代表联系点": 2, "接待室": 3}
        out = [PlaceOption("contact_point", p.id, p.name, p.village_id)
               for p in sorted(points, key=lambda p: (order.get(p.kind, 9), p.name))]
        out += [PlaceOption("grid", gid, f"网格：{label}", vid) for gid, (label, vid) in _grids(s).items()]
        return out


def place_label(s: Session, v: Visit) -> str:
    if v.contact_point_id:
        p = s.get(ContactPoint, v.contact_point_id)
        return p.name if p else "（已删除的站点）"
    if v.grid_id:
        g = _grids(s).get(v.grid_id)
        return f"网格：{g[0]}" if g else "（网格）"
    return v.place_text


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
        for vid, state, n in s.execute(select(Opinion.visit_id, Opinion.state, func.count()).where(
                Opinion.visit_id.in_(ids), Opinion.deleted.is_(False)).group_by(Opinion.visit_id, Opinion.state)):
            counts[vid][0] += n
            if state != CLOSED:
                counts[vid][1] += n
    points = {p.id: p.name for p in s.scalars(select(ContactPoint))} if ids else {}
    villages = {v.id: v.name for v in s.scalars(select(Village))} if ids else {}
    grids = _grids(s) if any(v.grid_id for v in visits) else {}
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


def _visit_conditions(q: VisitQuery) -> list:
    cond = [Visit.deleted.is_(False)]
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
        v = s.get(Visit, visit_id)
        if v is None or v.deleted:
            raise NotFound("该接待记录不存在或已删除")
        row = _visit_rows(s, [v])[0]
        visitors = tuple(VisitorRow(x.id, x.name, x.phone, x.village_group, x.head_count, x.id_number)
                         for x in s.scalars(select(Visitor).where(Visitor.visit_id == visit_id,
                                                                  Visitor.deleted.is_(False))
                                            .order_by(Visitor.position)))
    opinions = tuple(sorted(op_svc.query_opinions(ctx, op_svc.OpinionQuery(visit_id=visit_id), 0, None,
                                                  today=today), key=lambda o: o.seq))
    return VisitDetail(row, visitors, opinions, tuple(list_attachments(ctx, "visit", visit_id)))


# ================================================================== record, edit, delete

def _check_references(s: Session, data: VisitData) -> None:
    errors: dict[str, str] = {}
    if data.contact_point_id:
        p = s.get(ContactPoint, data.contact_point_id)
        if p is None or p.deleted:
            errors["place"] = "所选联系站点不存在或已删除"
    if data.grid_id and data.grid_id not in _grids(s):
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


def _visit_search_text(s: Session, v: Visit, deputy_names: list[str], visitors: list[Visitor]) -> str:
    village = s.get(Village, v.village_id).name if v.village_id else ""
    return search.search_text(v.visit_date, v.form, place_label(s, v), village, v.note, " ".join(deputy_names),
                              *[f"{x.name} {x.phone} {x.village_group}" for x in visitors])


def save_visit(ctx: Context, raw: dict, visit_id: str | None = None, *,
               now: dt.datetime | None = None) -> VisitDetail:
    """Record a visit with its deputies, visitors and opinions in one unit of work (or edit one).

    An opinion answered on the spot is closed at once with its answer. ``raw["attachment_paths"]``
    (optional) lists files to attach. Editing keeps every change in the history."""
    now = now or dt.datetime.now()
    today = now.date()
    op_svc.ensure_categories(ctx)
    data = normalise_visit(raw, now)
    with ctx.store.session() as s:
        _check_references(s, data)
        v = None
        if visit_id:
            v = s.get(Visit, visit_id)
            if v is None or v.deleted:
                raise NotFound("该接待记录不存在或已删除")
        village_id = data.village_id
        if not village_id and data.contact_point_id:
            p = s.get(ContactPoint, data.contact_point_id)
            village_id = p.village_id if p else None
        if not village_id and data.grid_id:
            village_id = _grids(s).get(data.grid_id, ("", None))[1]
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
        deputy_names = _set_deputies(s, v.id, list(data.deputy_ids))
        visitors = _set_visitors(s, v.id, data)
        v.search_text = _visit_search_text(s, v, deputy_names, visitors)
        _set_opinions(s, ctx, v, data, visitors, today)
        for path in raw.get("attachment_paths") or []:
            attach_in_session(s, ctx, "visit", v.id, path)
        s.flush()
        visit_id = v.id
    return get_visit(ctx, visit_id, today=today)


def _set_deputies(s: Session, visit_id: str, deputy_ids: list[str]) -> list[str]:
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
    return [s.get(Deputy, d).name for d in deputy_ids]


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


def _raised_by(visitors: list[Visitor]) -> tuple[str, str]:
    names = "、".join(x.name for x in visitors[:3]) + ("等" if len(visitors) > 3 else "")
    phone = next((x.phone for x in visitors if x.phone), "")
    return names, phone


def _set_opinions(s: Session, ctx: Context, v: Visit, data: VisitData, visitors: list[Visitor],
                  today: dt.date) -> None:
    existing = {o.id: o for o in s.scalars(select(Opinion).where(Opinion.visit_id == v.id,
                                                                 Opinion.deleted.is_(False)))}
    kept = {d.id for d in data.opinions if d.id}
    errors: dict[str, str] = {}
    unknown = kept - set(existing)
    if unknown:
        raise InvalidInput("要修改的意见建议不属于这条接待记录，或已被删除；请刷新后重试")
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
    raised_by, phone = _raised_by(visitors)
    source = opinion_source(data.form, bool(data.grid_id))
    deputies = [s.get(Deputy, d).name for d in data.deputy_ids]
    for oid, o in existing.items():
        if oid not in kept:
            op_svc.delete_opinion_in_session(s, o)
            delete_attachments_in_session(s, "opinion", o.id)
    for pos, d in enumerate(data.opinions):
        o = existing.get(d.id) if d.id else None
        if o is None:
            o = op_svc.new_opinion(s, visit_id=v.id, state="登记", raised_on=data.visit_date, raised_by=raised_by,
                                   raised_phone=phone, village_id=v.village_id, source=source, position=pos,
                                   category_id=d.category_id, content=d.content, title=d.title,
                                   key_item=d.key_item)
            s.add(o)
            new_values = {}
        else:
            new_values = {}
            if o.on_the_spot and not d.on_the_spot:
                raise FieldErrors({f"opinions.{pos}.on_the_spot":
                                   f"第 {pos + 1} 条意见已当场答复办结，不能取消“当场答复”"})
        new_values |= dict(position=pos, category_id=d.category_id, content=d.content, title=d.title,
                           key_item=d.key_item)
        if o.state == "登记" or (o.on_the_spot and o.state == CLOSED):
            new_values["raised_on"] = data.visit_date
        for k, val in new_values.items():
            if getattr(o, k) != val:
                setattr(o, k, val)
        s.flush()
        if d.on_the_spot and o.state == "登记":
            try:
                op_svc.act_in_session(s, ctx, o, Step("spot", on=data.visit_date, kind=d.answer_kind, text=d.answer),
                            today)
            except TransitionRefused as e:
                raise FieldErrors({f"opinions.{pos}.answer": f"第 {pos + 1} 条意见：{e.message}"}) from None
        elif d.on_the_spot and o.on_the_spot and d.answer and (o.reply_text != d.answer
                                                               or o.reply_kind != d.answer_kind):
            o.reply_text, o.reply_kind = d.answer, d.answer_kind
        op_svc.index_opinion(s, o, deputies=deputies)


def delete_visit(ctx: Context, visit_id: str) -> int:
    """Mark the visit deleted with its visitors, deputies and opinions (all kept in history).
    Returns how many opinions went with it."""
    with ctx.store.session() as s:
        v = s.get(Visit, visit_id)
        if v is None or v.deleted:
            raise NotFound("该接待记录不存在或已删除")
        v.deleted = True
        for model in (VisitDeputy, Visitor):
            for x in s.scalars(select(model).where(model.visit_id == visit_id, model.deleted.is_(False))):
                x.deleted = True
        n = 0
        for o in s.scalars(select(Opinion).where(Opinion.visit_id == visit_id, Opinion.deleted.is_(False))):
            op_svc.delete_opinion_in_session(s, o)
            delete_attachments_in_session(s, "opinion", o.id)
            n += 1
        delete_attachments_in_session(s, "visit", visit_id)
        return n


VISIT_LABELS = {
    "visit_date": "接待日期", "start_time": "开始时间", "end_time": "结束时间", "form": "接待形式",
    "contact_point_id": "联系站点", "grid_id": "网格", "place_text": "地点", "village_id": "所在村(社区)",
    "note": "备注", "visitor_count": "来访人数", "name": "姓名", "phone": "联系电话", "village_group": "村民小组",
    "head_count": "人数", "id_number": "身份证号", "position": "序号", "deputy_id": "代表", "visit_id": "接待记录",
}


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


def print_visit_form(ctx: Context, visit_id: str, out: str | Path) -> int:
    """接待登记表 of one visit; returns the page count."""
    from congress_desktop.visits.report import render_visit_form

    office = ctx.require_office()
    return render_visit_form(out, office.name, get_visit(ctx, visit_id))


# ================================================================== home page

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


# ================================================================== ledger import / export

LEDGER_HEADERS: dict[str, tuple[str, ...]] = {
    "visit_date": ("接待日期", "日期", "走访日期", "来访日期", "接待时间日期"),
    "start_time": ("开始时间", "接待时间", "时间"),
    "end_time": ("结束时间",),
    "place": ("接待地点", "地点", "联系站点", "接待站点", "站点", "网格"),
    "form": ("接待形式", "形式", "接待方式", "方式"),
    "deputies": ("接待代表", "参加代表", "代表姓名", "代表"),
    "visitor": ("来访群众", "群众姓名", "来访人", "反映人", "来访人员", "姓名"),
    "phone": ("联系电话", "电话", "手机", "手机号"),
    "village_group": ("村民小组", "组别", "住址", "家庭住址"),
    "head_count": ("人数", "来访人数"),
    "id_number": ("身份证号", "身份证号码"),
    "village": ("所在村(社区)", "所在村", "村(社区)", "村社区", "所在村社区", "村居"),
    "category": ("意见类别", "类别", "问题类别", "分类"),
    "content": ("意见内容", "意见建议", "意见建议内容", "反映问题", "主要内容", "问题"),
    "on_the_spot": ("当场答复", "是否当场答复", "当场解决"),
    "reply_text": ("答复内容", "办理结果", "答复意见", "处理结果"),
    "unit": ("承办单位", "交办单位", "责任单位"),
    "assigned_on": ("交办日期", "交办时间"),
    "deadline": ("办理期限", "期限", "办结时限"),
    "state": ("办理状态", "状态"),
    "reply_on": ("答复日期", "答复时间"),
    "reply_kind": ("答复类型", "答复类别"),
    "rating": ("测评结果", "满意度", "群众满意度", "评价"),
    "closed_on": ("办结日期", "办结时间"),
    "note": ("备注",),
}
LEDGER_COLUMNS = list(LEDGER_HEADERS)
LEDGER_LABELS = {k: v[0] for k, v in LEDGER_HEADERS.items()}
_YES = {"是", "y", "yes", "1", "√", "✓", "true", "当场答复", "当场解决", "已当场答复"}
_SPLIT = re.compile(r"[、，,;；/\s]+")


@dataclass(frozen=True)
class ImportResult:
    applied_visits: int
    applied_opinions: int
    errors: tuple[RowError, ...]
    total_rows: int
    sheet: Sheet | None = None

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class _LedgerVisit:
    key: tuple
    first_row: int
    visit_date: str
    start_time: str
    end_time: str
    form: str
    contact_point_id: str | None
    grid_id: str | None
    place_text: str
    village_id: str | None
    deputy_ids: list[str]
    note: str
    visitors: list[tuple[str, str, str, int, str]]
    opinions: list[tuple[int, dict, Flow, list[tuple[str, str, str, str, str]]]]


def _deputy_lookup(s: Session) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for d in s.scalars(select(Deputy).where(Deputy.deleted.is_(False))):
        out.setdefault(d.name, []).append(d.id)
    return out


def _place_lookup(s: Session) -> dict[str, tuple[str, str, str | None]]:
    out: dict[str, tuple[str, str, str | None]] = {}
    for p in s.scalars(select(ContactPoint).where(ContactPoint.deleted.is_(False))):
        out[p.name.replace(" ", "")] = ("contact_point", p.id, p.village_id)
    for gid, (label, vid) in _grids(s).items():
        out[label.replace(" ", "")] = ("grid", gid, vid)
        out[label.split("·")[-1].strip()] = ("grid", gid, vid)
    return out


def import_ledger(ctx: Context, path: str | Path, progress: Progress = no_progress,
                  cancel: Cancel = never_cancel, *, now: dt.datetime | None = None) -> ImportResult:
    """A historical visit ledger (台账), one row per opinion; rows with the same date, time, place, form
    and deputies make one visit. All rows or nothing: every bad row is listed with its reason."""
    now = now or dt.datetime.now()
    today = now.date()
    sheet = read_sheet(path, LEDGER_HEADERS, required=("visit_date",))
    total = len(sheet.rows)
    if total == 0:
        raise InvalidInput("表格中没有接待记录（表头下面是空的）")
    op_svc.ensure_categories(ctx)
    villages = find_village_ids(ctx)
    units = find_unit_ids(ctx)
    categories = op_svc.find_category_ids(ctx)
    default_category = categories.get("其他")
    errors: list[RowError] = []
    visits: dict[tuple, _LedgerVisit] = {}
    with ctx.store.session() as s:
        deputies = _deputy_lookup(s)
        places = _place_lookup(s)
    for i, row in enumerate(sheet.rows):
        check_cancel(cancel)
        if i % 100 == 0:
            progress(i, total * 2)
        before = len(errors)
        r = row.values

        def err(key: str, message: str, _n=row.number) -> None:
            errors.append(RowError(_n, LEDGER_LABELS.get(key, ""), message))

        def day(key: str, _r=r) -> str:
            try:
                iso = parse_date(_r.get(key))
            except DateError as exc:
                err(key, str(exc))
                return ""
            if iso and dt.date.fromisoformat(iso) > today and key != "deadline":
                err(key, f"{iso} 晚于今天")
            return iso

        visit_date = day("visit_date")
        if not visit_date and not any(e.field == "接待日期" and e.row == row.number for e in errors):
            err("visit_date", "接待日期不能为空")
        times = []
        for key in ("start_time", "end_time"):
            try:
                times.append(parse_time(r.get(key)))
            except TimeError as e:
                err(key, str(e))
                times.append("")
        start, end = times
        if start and end and end < start:
            err("end_time", f"结束时间 {end} 早于开始时间 {start}")
        form = clean(r.get("form")) or "接待日"
        if form not in FORMS:
            err("form", f"“{form}”不是接待形式（{'、'.join(FORMS)}）")
        place = clean(r.get("place"))
        cp_id = grid_id = None
        place_text = ""
        place_village = None
        if not place:
            err("place", "接待地点不能为空")
        else:
            hit = places.get(place.replace(" ", ""))
            if hit and hit[0] == "contact_point":
                cp_id, place_village = hit[1], hit[2]
            elif hit:
                grid_id, place_village = hit[1], hit[2]
            else:
                place_text = place
        deputy_ids: list[str] = []
        names = [clean_name(n) for n in _SPLIT.split(clean(r.get("deputies"))) if clean_name(n)]
        if not names:
            err("deputies", "接待代表不能为空")
        for name in names:
            found = deputies.get(name, [])
            if not found:
                err("deputies", f"接待代表“{name}”不在代表名册中")
            elif len(found) > 1:
                err("deputies", f"代表名册中有 {len(found)} 位“{name}”，无法确定是哪一位，请在备注中说明后手工录入")
            else:
                deputy_ids.append(found[0])
        village_id = None
        village = clean(r.get("village"))
        if village:
            village_id = villages.get(village) or villages.get(village_key(village))
            if village_id is None:
                err("village", f"“{village}”不在本乡镇的村(社区)名单中")
        visitor = clean_name(r.get("visitor"))
        try:
            phone = normalise_phone(r.get("phone"))
        except PhoneError as e:
            err("phone", str(e))
            phone = ""
        head_text = clean(r.get("head_count")) or "1"
        try:
            head = int(float(head_text))
            if head < 1:
                raise ValueError
        except ValueError:
            err("head_count", f"人数“{head_text}”应为正整数")
            head = 1
        id_number = ""
        if clean(r.get("id_number")):
            from congress_desktop.core.idcard import IdNumberError, parse_id_number

            try:
                id_number = parse_id_number(r.get("id_number")).number
            except IdNumberError as e:
                err("id_number", str(e))
        content = clean(r.get("content"))
        category = clean(r.get("category"))
        reply_text = clean(r.get("reply_text"))
        unit = clean(r.get("unit"))
        has_opinion = bool(content or category or reply_text or unit)
        opinion = None
        if has_opinion:
            if not content:
                err("content", "有类别或办理信息，但意见内容为空")
            category_id = categories.get(category) if category else default_category
            if category and category_id is None:
                err("category", f"类别“{category}”不在意见类别列表中，请先在“意见类别”中添加")
            unit_id = None
            if unit:
                unit_id = units.get(unit_key(unit))
                if unit_id is None:
                    err("unit", f"承办单位“{unit}”不在承办单位名单中，请先在“承办单位”中添加")
            # answered but never referred to a unit: the ledger's way of writing 当场答复
            spot = clean(r.get("on_the_spot")).lower() in _YES or (
                bool(reply_text) and not unit and not clean(r.get("state")) and not clean(r.get("assigned_on")))
            dates = {k: day(k) for k in ("assigned_on", "deadline", "reply_on", "closed_on")}
            rating = clean(r.get("rating"))
            reply_kind = clean(r.get("reply_kind")) or ("说明解释" if spot else "")
            if len(errors) == before and visit_date:
                state = state_of_ledger(clean(r.get("state")), on_the_spot=spot, closed_on=dates["closed_on"],
                                        rating=rating, reply_on=dates["reply_on"], unit=unit)
                flow = Flow(raised_on=visit_date)
                events: list[tuple[str, str, str, str, str]] = []
                try:
                    steps = steps_to(state, on_the_spot=spot, unit_id=unit_id or "", unit_name=unit,
                                     assigned_on=dates["assigned_on"], deadline=dates["deadline"],
                                     complex_item=False, reply_on=dates["reply_on"] or (visit_date if spot else ""),
                                     reply_kind=reply_kind, reply_text=reply_text, rated_on="", rating=rating,
                                     closed_on=dates["closed_on"], plan_done_on="")
                    for step in steps:
                        before_state = flow.state
                        flow, detail = apply_step(flow, step, today)
                        events.append((step.action, detail, before_state, flow.state, flow.last_on))
                except TransitionRefused as e:
                    label = {"unit_id": "unit", "deadline": "deadline", "rating": "rating", "kind": "reply_kind",
                             "text": "reply_text", "state": "state"}.get(e.field or "", "state")
                    err(label, f"{e.message}（按“{state}”补录办理过程时）")
                else:
                    opinion = ({"category_id": category_id, "content": content}, flow, events)
        if len(errors) > before:
            continue
        key = (visit_date, start, place, form, tuple(sorted(deputy_ids)))
        lv = visits.get(key)
        if lv is None:
            lv = visits[key] = _LedgerVisit(key, row.number, visit_date, start, end, form, cp_id, grid_id,
                                            place_text, village_id or place_village, deputy_ids,
                                            clean(r.get("note")), [], [])
        if visitor and not any(v[0] == visitor and v[1] == phone for v in lv.visitors):
            lv.visitors.append((visitor, phone, clean(r.get("village_group")), head, id_number))
        if opinion:
            lv.opinions.append((row.number, *opinion))
    # a ledger imported twice would double every visit
    if visits and not errors:
        with ctx.store.session() as s:
            dates = sorted({k[0] for k in visits})
            existing = set()
            for v in s.scalars(select(Visit).where(Visit.deleted.is_(False), Visit.visit_date.in_(dates))):
                ids = tuple(sorted(s.scalars(select(VisitDeputy.deputy_id).where(
                    VisitDeputy.visit_id == v.id, VisitDeputy.deleted.is_(False)))))
                existing.add((v.visit_date, v.start_time, place_label(s, v).replace(" ", ""), v.form, ids))
        for key, lv in visits.items():
            d, st, place, form, ids = key
            label = place
            if lv.grid_id:
                label = "网格：" + _place_label_for_grid(ctx, lv.grid_id)
            if (d, st, label.replace(" ", ""), form, ids) in existing:
                errors.append(RowError(lv.first_row, "接待日期", f"{d} {place} 的这次接待已在系统中，疑为重复导入"))
    if errors:
        errors.sort(key=lambda e: e.row)
        return ImportResult(0, 0, tuple(errors), total, sheet)
    n_visits = n_opinions = 0
    with ctx.store.session() as s:
        for i, lv in enumerate(visits.values()):
            check_cancel(cancel)
            n_opinions += _write_ledger_visit(s, ctx, lv)
            n_visits += 1
            if i % 50 == 0:
                progress(total + i * total // max(1, len(visits)), total * 2)
    progress(total * 2, total * 2)
    return ImportResult(n_visits, n_opinions, (), total, sheet)


def _place_label_for_grid(ctx: Context, grid_id: str) -> str:
    with ctx.store.session() as s:
        return _grids(s).get(grid_id, ("",))[0]


def _write_ledger_visit(s: Session, ctx: Context, lv: _LedgerVisit) -> int:
    v = Visit(visit_date=lv.visit_date, start_time=lv.start_time, end_time=lv.end_time, form=lv.form,
              contact_point_id=lv.contact_point_id, grid_id=lv.grid_id, place_text=lv.place_text,
              village_id=lv.village_id, note=lv.note, visitor_count=sum(x[3] for x in lv.visitors) if lv.visitors
              else 0)
    s.add(v)
    s.flush()
    names = _set_deputies(s, v.id, lv.deputy_ids)
    visitors = []
    for pos, (name, phone, group, head, id_number) in enumerate(lv.visitors):
        x = Visitor(visit_id=v.id, position=pos, name=name, phone=phone, village_group=group, head_count=head,
                    id_number=id_number)
        s.add(x)
        visitors.append(x)
    v.search_text = _visit_search_text(s, v, names, visitors)
    raised_by, phone = _raised_by(visitors)
    source = opinion_source(lv.form, bool(lv.grid_id))
    for pos, (_row_no, values, flow, events) in enumerate(lv.opinions):
        o = op_svc.new_opinion(s, visit_id=v.id, position=pos, raised_on=lv.visit_date, raised_by=raised_by,
                               raised_phone=phone, village_id=lv.village_id, source=source, **values)
        _apply_flow(o, flow)
        s.add(o)
        _add_events(s, o.id, events, ctx.store.user)
        op_svc.index_opinion(s, o, deputies=names)
    return len(lv.opinions)


def _add_events(s: Session, opinion_id: str, events: list[tuple[str, str, str, str, str]], user: str) -> None:
    """(action, detail, from state, to state, date) of steps replayed before the opinion was written."""
    for action, detail, before, after, on in events:
        s.add(OpinionEvent(opinion_id=opinion_id, step_on=on, action=action, from_state=before, to_state=after,
                           detail=detail, by_user=user))


def _apply_flow(o: Opinion, flow: Flow) -> None:
    for k in ("state", "unit_id", "assist_units", "assigned_on", "deadline", "complex", "started_on", "reply_on",
              "reply_kind", "reply_text", "rated_on", "rating", "rated_by", "closed_on", "return_count",
              "plan_done_on", "on_the_spot"):
        val = getattr(flow, k)
        setattr(o, k, (val or None) if k == "unit_id" else val)


def save_import_errors(result: ImportResult, path: str | Path) -> None:
    if result.sheet is None:
        raise CongressError("没有可保存的错误报告")
    write_error_report(path, result.sheet, result.errors)


def export_ledger(ctx: Context, path: str | Path, q: VisitQuery = VisitQuery(), *,
                  progress: Progress = no_progress, cancel: Cancel = never_cancel) -> int:
    """Visits as filtered, one row per opinion (a visit without opinions: one row), with the headers
    the import reads; returns the number of rows written."""
    rows: list[list[object]] = []
    offset = 0
    total = count_visits(ctx, q)
    while True:
        check_cancel(cancel)
        page = query_visits(ctx, q, offset, 500)
        if not page:
            break
        ids = [v.id for v in page]
        with ctx.store.session() as s:
            visitors: dict[str, list[Visitor]] = {}
            for x in s.scalars(select(Visitor).where(Visitor.visit_id.in_(ids), Visitor.deleted.is_(False))
                               .order_by(Visitor.position)):
                visitors.setdefault(x.visit_id, []).append(x)
        opinions: dict[str, list[OpinionRow]] = {}
        for vid in ids:
            opinions[vid] = sorted(op_svc.query_opinions(ctx, op_svc.OpinionQuery(visit_id=vid), 0, None),
                                   key=lambda o: o.seq)
        for v in page:
            people = visitors.get(v.id, [])
            ops = opinions.get(v.id) or [None]
            for i, o in enumerate(ops):
                x = people[i] if i < len(people) else None
                values = {
                    "visit_date": v.visit_date, "start_time": v.start_time, "end_time": v.end_time,
                    "place": v.place_label.removeprefix("网格："), "form": v.form, "deputies": "、".join(v.deputy_names),
                    "visitor": x.name if x else "", "phone": x.phone if x else "",
                    "village_group": x.village_group if x else "", "head_count": x.head_count if x else "",
                    "id_number": x.id_number if x else "", "village": v.village_name, "note": v.note if i == 0 else "",
                }
                if o is not None:
                    values |= {
                        "category": o.category, "content": o.content, "on_the_spot": "是" if o.on_the_spot else "",
                        "reply_text": o.reply_text, "unit": o.unit_name, "assigned_on": o.assigned_on,
                        "deadline": o.deadline, "state": o.state, "reply_on": o.reply_on,
                        "reply_kind": o.reply_kind, "rating": o.rating, "closed_on": o.closed_on,
                    }
                rows.append([values.get(c, "") for c in LEDGER_COLUMNS])
            # visitors beyond the opinions' rows still belong on the sheet
            for x in people[len(ops):]:
                rows.append([{"visit_date": v.visit_date, "start_time": v.start_time, "end_time": v.end_time,
                              "place": v.place_label.removeprefix("网格："), "form": v.form,
                              "deputies": "、".join(v.deputy_names), "visitor": x.name, "phone": x.phone,
                              "village_group": x.village_group, "head_count": x.head_count,
                              "id_number": x.id_number, "village": v.village_name}.get(c, "")
                             for c in LEDGER_COLUMNS])
        offset += len(page)
        progress(offset, total)
    headers = [LEDGER_LABELS[c] for c in LEDGER_COLUMNS]
    write_xlsx(path, "接待台账", headers, rows,
               widths=[11, 8, 8, 22, 8, 18, 10, 13, 12, 6, 20, 12, 10, 46, 8, 36, 18, 11, 11, 9, 11, 9, 9, 11, 16],
               text_columns=[LEDGER_COLUMNS.index("phone"), LEDGER_COLUMNS.index("id_number")])
    return len(rows)


# ================================================================== demo

_DEMO_UNITS = [
    ("镇农业服务中心", "镇直部门", "刘建华", "0719-5611201"), ("镇村镇建设服务中心", "镇直部门", "陈志明", "0719-5611202"),
    ("镇社会保障服务中心", "镇直部门", "王秀兰", "0719-5611203"), ("镇卫生院", "站所", "张德胜", "0719-5611204"),
    ("镇中心学校", "站所", "李春梅", "0719-5611205"), ("镇水利站", "站所", "赵国庆", "0719-5611206"),
    ("镇综治中心", "镇直部门", "孙永平", "0719-5611207"), ("国网六里坪供电所", "站所", "周晓东", "0719-5611208"),
    ("市交通运输局", "市直部门", "吴振华", "0719-5222301"),
]
_DEMO_OPINIONS = {
    "产业发展": ["希望镇里请农技专家来村里讲讲柑橘病虫害防治", "村里茶叶卖不出好价钱，建议帮助对接电商平台",
             "合作社贷款难，希望落实小额担保贷款政策", "建议扶持发展林下养鸡等特色养殖"],
    "基础设施": ["组里通往主路的道路年久失修，雨天泥泞，建议硬化", "自来水管老化破损，夏天经常停水",
             "村头路灯坏了半年没人修，晚上出行不安全", "手机信号差，网络时断时续，建议加建基站",
             "农田灌溉渠道损毁严重，影响春耕", "桥梁护栏缺失，存在安全隐患"],
    "人居环境": ["垃圾清运不及时，夏天气味大", "河道淤积，建议清淤疏浚", "建议在集镇增设公共厕所",
             "房前屋后杂物堆放多，希望开展环境整治"],
    "教育": ["希望恢复村里到镇中心学校的校车接送", "学校周边道路没有减速带，学生上学不安全"],
    "医疗": ["村卫生室缺少常用药品", "希望卫生院每月派医生到村里义诊", "医保报销手续繁琐，希望简化"],
    "社保": ["家中老人符合条件，申请低保一直没有结果", "养老保险缴费标准不清楚，希望上门讲解政策",
           "残疾人补贴发放不及时"],
    "安全": ["集镇路口车辆多，建议安装红绿灯", "山体有滑坡迹象，请有关部门勘察", "电动车充电乱拉电线，存在火灾隐患"],
    "其他": ["希望多组织文化下乡活动", "建议在村里设置便民服务代办点"],
}
_DEMO_UNIT_FOR = {"产业发展": 0, "基础设施": 1, "人居环境": 1, "教育": 4, "医疗": 3, "社保": 2, "安全": 6, "其他": 1}
_DEMO_VISITORS = "王李张刘陈杨黄赵周吴徐孙胡朱高林何郭马罗"
_DEMO_GIVEN = ["大山", "秀芳", "德明", "桂英", "长林", "翠兰", "志华", "玉珍", "国强", "春花", "树林", "金莲"]


def seed_demo_visits(ctx: Context, rng: random.Random, *, today: dt.date | None = None) -> None:
    """A year of visits and opinions in every state (some overdue, some sent back, some answered on the
    spot), written in one unit of work through the same rules as live steps."""
    today = today or dt.date.today()
    op_svc.ensure_categories(ctx)
    units = [u.id for u in seed_units(ctx, _DEMO_UNITS)]
    categories = {c.name: c.id for c in op_svc.list_categories(ctx)}
    with ctx.store.session() as s:
        points = s.scalars(select(ContactPoint).where(ContactPoint.deleted.is_(False))).all()
        stationed: dict[str, list[str]] = {}
        from congress_desktop.core.store.models import ContactPointDeputy

        for link in s.scalars(select(ContactPointDeputy).where(ContactPointDeputy.deleted.is_(False))):
            stationed.setdefault(link.contact_point_id, []).append(link.deputy_id)
        active = [d.id for d in s.scalars(select(Deputy).where(Deputy.deleted.is_(False), Deputy.status == "在任"))]
        if not points or not active:
            return
        grids = _grids(s)
        day = today - dt.timedelta(days=360)
        n_visit = 0
        while day <= today:
            # about two visits a week, more at the 15th reception day
            if rng.random() < (0.9 if day.day == 15 else 0.25):
                point = rng.choice(points)
                pool = stationed.get(point.id) or active
                deputy_ids = rng.sample(pool, k=min(len(pool), rng.choice([1, 2, 2, 3])))
                form = "接待日" if day.day == 15 else rng.choice(["接待日", "入户走访", "座谈", "电话", "暗访", "接待日"])
                start = f"{rng.choice([8, 9, 9, 10, 14, 15]):02d}:{rng.choice([0, 30]):02d}"
                end = f"{int(start[:2]) + rng.choice([1, 2]):02d}:{start[3:]}"
                visit_on = day.isoformat()
                if day == today:
                    start, end = "08:00", "08:30"
                v = Visit(visit_date=visit_on, start_time=start, end_time=end, form=form,
                          contact_point_id=point.id, village_id=point.village_id,
                          note="" if rng.random() < 0.7 else "群众反映问题较集中，已现场记录")
                if form == "入户走访" and grids:  # household visits happen in the deputies' grids
                    gid = rng.choice(list(grids))
                    v.contact_point_id, v.grid_id, v.village_id = None, gid, grids[gid][1]
                s.add(v)
                s.flush()
                dnames = _set_deputies(s, v.id, deputy_ids)
                visitors = []
                for pos in range(rng.choice([1, 1, 2, 3])):
                    x = Visitor(visit_id=v.id, position=pos,
                                name=rng.choice(_DEMO_VISITORS) + rng.choice(_DEMO_GIVEN),
                                phone=f"13{rng.randint(0, 9)}{rng.randint(10000000, 99999999)}",
                                village_group=f"{rng.randint(1, 9)}组", head_count=rng.choice([1, 1, 1, 2, 3]))
                    s.add(x)
                    visitors.append(x)
                v.visitor_count = sum(x.head_count for x in visitors)
                v.search_text = _visit_search_text(s, v, dnames, visitors)
                raised_by, phone = _raised_by(visitors)
                for pos in range(rng.choice([0, 1, 1, 2, 2, 3])):
                    cat = rng.choice(list(_DEMO_OPINIONS))
                    flow = Flow(raised_on=visit_on)
                    unit_no = _DEMO_UNIT_FOR[cat]
                    events = []
                    for step in _demo_steps(rng, day, today, units[unit_no], _DEMO_UNITS[unit_no][0], cat):
                        before = flow.state
                        try:
                            flow, detail = apply_step(flow, step, today)
                        except TransitionRefused:
                            break
                        events.append((step.action, detail, before, flow.state, flow.last_on))
                    o = op_svc.new_opinion(s, visit_id=v.id, position=pos, raised_on=visit_on, raised_by=raised_by,
                                           raised_phone=phone, village_id=v.village_id, category_id=categories[cat],
                                           content=rng.choice(_DEMO_OPINIONS[cat]),
                                           source=opinion_source(form, bool(v.grid_id)),
                                           key_item=rng.random() < 0.08)
                    _apply_flow(o, flow)
                    s.add(o)
                    _add_events(s, o.id, events, "演示数据")
                    op_svc.index_opinion(s, o, deputies=dnames)
                n_visit += 1
            day += dt.timedelta(days=1)
        log.info("demo: %d visits", n_visit)


def _demo_steps(rng: random.Random, raised: dt.date, today: dt.date, unit_id: str, unit_name: str,
                category: str) -> list[Step]:
    """A plausible history for an item raised on ``raised``: older items further along."""
    age = (today - raised).days

    def on(days: int) -> str:
        return min(raised + dt.timedelta(days=days), today).isoformat()

    if rng.random() < 0.2:
        return [Step("spot", on=raised.isoformat(), kind=rng.choice(["说明解释", "已解决"]),
                     text="代表当场向群众解释了相关政策，群众表示理解")]
    if age < 14 and rng.random() < 0.6:
        return []
    steps = [Step("assign", on=on(rng.randint(1, 4)), unit_id=unit_id, unit_name=unit_name, complex=category == "基础设施"
                  and rng.random() < 0.3)]
    if age < 20:
        return steps
    steps.append(Step("start", on=on(rng.randint(5, 12))))
    # some stay in handling past their deadline (the overdue items of the demo)
    if rng.random() < (0.1 if age > 100 else 0.2) or age < 45 or 86 <= age <= 95:
        return steps
    kind = rng.choice(["已解决", "已解决", "列入计划", "说明解释"])
    replies = {"已解决": "已安排施工队现场处理完毕，并向群众反馈", "列入计划": "已列入明年项目计划，资金到位后实施",
               "说明解释": "经核实，该事项按政策暂不能办理，已向群众当面说明"}
    steps.append(Step("answer", on=on(rng.randint(30, 60)), kind=kind, text=replies[kind]))
    if age < 70 or rng.random() < 0.15:
        return steps
    rating = rng.choices(["满意", "基本满意", "不满意"], weights=[6, 3, 1])[0]
    steps.append(Step("rate", on=on(rng.randint(61, 68)), rating=rating, by="来访群众"))
    if rating == "不满意":
        steps.append(Step("return", on=on(rng.randint(69, 72)), text="群众认为问题未实际解决"))
        return steps
    if kind == "列入计划" and rng.random() < 0.5:
        return steps  # tracked until the plan is carried out
    if kind == "列入计划":
        steps.append(Step("fulfil", on=on(rng.randint(73, 90)), text="项目已实施"))
    steps.append(Step("close", on=on(rng.randint(91, 95))))
    return steps



def names_of_ids(ctx: Context, ids: set[str]) -> dict[str, str]:
    """Names for record ids shown in a history (deputies, places, villages, units, categories)."""
    from congress_desktop.core.store.models_visits import HandlingUnit, OpinionCategory

    ids = {i for i in ids if isinstance(i, str) and len(i) == 36}
    out: dict[str, str] = {}
    if not ids:
        return out
    with ctx.store.session() as s:
        for model in (Deputy, ContactPoint, Village, HandlingUnit, OpinionCategory):
            for obj in s.scalars(select(model).where(model.id.in_(ids))):
                out[obj.id] = obj.name
        for gid, (label, _vid) in _grids(s).items():
            if gid in ids:
                out[gid] = label
    return out
