"""Opinions and suggestions (意见建议督办): the list and its filters, the handling steps, the three
face-to-face meetings, categories, the period summary and export.

The list is made for a city's decade (1,000,000 opinions): a page is read in list order (newest
first) from an index and stops as soon as it is full; a text search first asks the full-text index
(``opinion_fts``, see ``domain.search``) for the matching rows and, when few match, sorts just those;
when many match, walking the list order finds a page at once. The total 「共 N 条」 is a separate,
possibly slower call (``count_opinions``) the window runs after the page is shown."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any, cast

from sqlalchemy import ColumnElement, Select, and_, case, func, or_, select, text
from sqlalchemy.orm import Session

from congress_desktop.core import search as search
from congress_desktop.core.context import Cancel, Context, Progress, check_cancel, never_cancel, no_progress
from congress_desktop.core.dates import DateError, parse_date
from congress_desktop.core.errors import FieldErrors, InvalidInput, NotFound
from congress_desktop.core.history import HistoryEntry, record_history
from congress_desktop.core.phone import PhoneError, normalise_phone
from congress_desktop.core.sheets import write_xlsx
from congress_desktop.core.store.models import Deputy, Village
from congress_desktop.core.store.models_visits import (
    HandlingUnit,
    Opinion,
    OpinionCategory,
    OpinionEvent,
    OpinionMeeting,
    Visit,
    VisitDeputy,
)
from congress_desktop.core.text import clean, clean_name
from congress_desktop.visits.attachments import delete_attachments_in_session
from congress_desktop.visits.categories import delete_category as delete_category
from congress_desktop.visits.categories import ensure_categories as ensure_categories
from congress_desktop.visits.categories import find_category_ids as find_category_ids
from congress_desktop.visits.categories import list_categories as list_categories
from congress_desktop.visits.categories import save_category as save_category
from congress_desktop.visits.opinion_index import (
    PAGE,
    ensure_stats,
    fts_ready,
    index_missing,
    opinion_rows,
    row_select,
    today_or,
)
from congress_desktop.visits.opinion_index import index_opinion as index_opinion
from congress_desktop.visits.opinion_index import new_opinion as new_opinion
from congress_desktop.visits.opinion_index import rebuild_search_index as rebuild_search_index
from congress_desktop.visits.opinion_rules import (
    ACTIONS,
    CLOSED,
    MEETING_STAGES,
    OPEN_STATES,
    PLANNED,
    RATINGS,
    RUNNING,
    SATISFIED,
    SOURCES,
    STATES,
    Flow,
    Step,
    TransitionRefused,
    allowed_actions,
    apply_step,
    due_soon_until,
    meeting_refusal,
)
from congress_desktop.visits.place_names import place_label
from congress_desktop.visits.rows import FIELD_LABELS as FIELD_LABELS
from congress_desktop.visits.rows import CategoryRow as CategoryRow
from congress_desktop.visits.rows import (
    EventRow,
    MeetingRow,
    OpinionDetail,
    OpinionQuery,
    OpinionRow,
    OpinionSummary,
    SummaryLine,
)

__all__ = ["SOURCES", "STATES", "CategoryRow", "OpinionDetail", "OpinionQuery", "OpinionRow", "OpinionSummary",
           "SummaryLine", "delete_category", "ensure_categories", "find_category_ids", "index_opinion",
           "list_categories", "new_opinion", "rebuild_search_index", "save_category", "search"]

# a text search with at most this many full-text matches sorts them; with more, it walks the list order
FTS_SORT_LIMIT = 5000

# pseudo-states of the list filter
STATE_OPEN = "未办结"
STATE_PLANNED = "列入计划跟踪"
STATE_FILTERS = (STATE_OPEN, *STATES, STATE_PLANNED)

# ================================================================== the list

def _period(value: str, label: str) -> str:
    try:
        return parse_date(value)
    except DateError as e:
        raise InvalidInput(f"{label}：{e}", field=label) from None


def _conditions(q: OpinionQuery, today: dt.date) -> list[ColumnElement[bool]]:
    cond: list[ColumnElement[bool]] = [Opinion.deleted.is_(False)]
    if q.state == STATE_OPEN:
        cond.append(Opinion.state.in_(OPEN_STATES))
    elif q.state == STATE_PLANNED:
        cond += [Opinion.state.in_(OPEN_STATES), Opinion.reply_kind == PLANNED, Opinion.plan_done_on == ""]
    elif q.state:
        if q.state not in STATES:
            raise InvalidInput(f"办理状态“{q.state}”无效，应为：{'、'.join(STATE_FILTERS)}")
        cond.append(Opinion.state == q.state)
    if q.category_id:
        cond.append(Opinion.category_id == q.category_id)
    if q.unit_id:
        cond.append(Opinion.unit_id == q.unit_id)
    if q.village_id:
        cond.append(Opinion.village_id == q.village_id)
    if q.visit_id:
        cond.append(Opinion.visit_id == q.visit_id)
    if q.deputy_id:
        received = select(VisitDeputy.visit_id).where(VisitDeputy.deputy_id == q.deputy_id,
                                                      VisitDeputy.deleted.is_(False))
        cond.append(or_(Opinion.lead_deputy_id == q.deputy_id, Opinion.visit_id.in_(received)))
    date_from = _period(q.date_from, "开始日期")
    date_to = _period(q.date_to, "结束日期")
    if date_from and date_to and date_to < date_from:
        raise InvalidInput(f"结束日期 {date_to} 早于开始日期 {date_from}")
    if date_from:
        cond.append(Opinion.raised_on >= date_from)
    if date_to:
        cond.append(Opinion.raised_on <= date_to)
    if q.overdue or q.due_soon:
        running = Opinion.state.in_(RUNNING) if q.state not in RUNNING else Opinion.state == q.state
        lo = "0000-00-00" if q.overdue else today.isoformat()
        hi = due_soon_until(today) if q.due_soon else today.isoformat()
        # overdue: deadline < today; due soon: today <= deadline <= today + 7
        deadline = and_(Opinion.deadline > "", Opinion.deadline >= lo,
                        Opinion.deadline <= hi if q.due_soon else Opinion.deadline < hi)
        cond += [running, deadline]
    if q.rated:
        cond.append(Opinion.rating != "")
    return cond


def _like(words: list[str]) -> list[ColumnElement[bool]]:
    return [Opinion.search_text.contains(w, autoescape=True) for w in words]


def _order(q: OpinionQuery, *, off_index: bool = False) -> list[Any]:
    """List order. ``off_index``: order by expressions, so SQLite looks the few full-text matches up by
    key and sorts them instead of walking the whole date index to meet them (without ANALYZE
    statistics it would walk: 100 ms for a rare word at a million rows, against 2 ms)."""
    if q.sort == "deadline":
        cols: list[Any] = [Opinion.deadline, Opinion.seq]
        if off_index:
            cols = [Opinion.deadline.concat(""), Opinion.seq + 0]
        return [c.asc() for c in cols]
    cols = [Opinion.raised_on, Opinion.seq]
    if off_index:
        cols = [Opinion.raised_on.concat(""), Opinion.seq + 0]
    return [c.desc() for c in cols]


def _fts_seqs(s: Session, words: list[str]) -> list[int] | None:
    """The FTS rows matching every word, or None when there are more than FTS_SORT_LIMIT (then
    the list order finds a page sooner) or no index."""
    if not words or not fts_ready(s):
        return None
    seqs = s.scalars(text("SELECT rowid FROM opinion_fts WHERE opinion_fts MATCH :m LIMIT :k"),
                     {"m": search.fts_query(words), "k": FTS_SORT_LIMIT + 1}).all()
    return None if len(seqs) > FTS_SORT_LIMIT else list(seqs)


def _statement(s: Session, q: OpinionQuery, today: dt.date, columns, *, ordered: bool = False) -> Select:
    words = search.query_words(q.text)
    cond = _conditions(q, today) + _like(words)
    seqs = _fts_seqs(s, words)
    stmt = select(*columns) if isinstance(columns, tuple) else columns
    if seqs is not None:
        cond.append(Opinion.seq.in_(seqs))
    stmt = stmt.where(*cond)
    return stmt.order_by(*_order(q, off_index=seqs is not None)) if ordered else stmt


def query_opinions(ctx: Context, q: OpinionQuery = OpinionQuery(), offset: int = 0, limit: int | None = PAGE,
                   *, today: dt.date | None = None) -> list[OpinionRow]:
    """One page of the list, from ``offset``, in list order."""
    today = today_or(today)
    with ctx.store.session() as s:
        index_missing(s)
        ensure_stats(s)
        # Two steps: the page's keys first, in list order (an index can answer that without reading
        # rows: state + overdue from ix_opinion_state_list), then the rows and their names for just
        # those keys. Sorting whole joined rows for 30,000 overdue items took 160 ms at a million.
        keys = _statement(s, q, today, select(Opinion.seq), ordered=True).offset(offset)
        if limit is not None:
            keys = keys.limit(limit)
        seqs = list(s.scalars(keys))
        if not seqs:
            return []
        place = {seq: i for i, seq in enumerate(seqs)}
        rows = []
        for chunk in range(0, len(seqs), 500):
            part = seqs[chunk:chunk + 500]
            rows += opinion_rows(s, s.execute(row_select().where(Opinion.seq.in_(part))), today)
        rows.sort(key=lambda r: place[r.seq])
        return rows


def count_opinions(ctx: Context, q: OpinionQuery = OpinionQuery(), *, today: dt.date | None = None) -> int:
    """How many match (may take longer than a page on a very large database: the window asks for it
    after the first page is shown)."""
    today = today_or(today)
    with ctx.store.session() as s:
        inner = _statement(s, q, today, select(Opinion.id))
        return s.scalar(select(func.count()).select_from(inner.subquery())) or 0


def state_counts(ctx: Context, *, today: dt.date | None = None) -> dict[str, int]:
    """Opinions per state, plus 超期 and 7天内到期 (all periods)."""
    today = today_or(today)
    with ctx.store.session() as s:
        out = {st: 0 for st in STATES}
        for st in STATES:  # one index range each: faster than a GROUP BY over every row
            out[st] = s.scalar(select(func.count()).select_from(Opinion).where(
                Opinion.deleted.is_(False), Opinion.state == st)) or 0
        out["超期"] = _deadline_count(s, today, overdue=True)
        out["7天内到期"] = _deadline_count(s, today, overdue=False)
        return out


def _deadline_count(s: Session, today: dt.date, *, overdue: bool) -> int:
    n = 0
    for st in RUNNING:
        stmt = select(func.count()).select_from(Opinion).where(Opinion.deleted.is_(False), Opinion.state == st,
                                                                Opinion.deadline > "")
        if overdue:
            stmt = stmt.where(Opinion.deadline < today.isoformat())
        else:
            stmt = stmt.where(Opinion.deadline >= today.isoformat(), Opinion.deadline <= due_soon_until(today))
        n += s.scalar(stmt) or 0
    return n


# ================================================================== one opinion

def _load(s: Session, opinion_id: str) -> Opinion:
    o = s.get(Opinion, opinion_id)
    if o is None or o.deleted:
        raise NotFound("该意见建议不存在或已删除")
    return o


def _row_of(s: Session, opinion_id: str, today: dt.date) -> OpinionRow:
    rows = opinion_rows(s, s.execute(row_select().where(Opinion.id == opinion_id)), today)
    if not rows:
        raise NotFound("该意见建议不存在或已删除")
    return rows[0]


def _last_on(s: Session, opinion_id: str) -> str:
    return s.scalar(select(func.max(OpinionEvent.step_on)).where(OpinionEvent.opinion_id == opinion_id,
                                                                  OpinionEvent.deleted.is_(False))) or ""


def get_opinion(ctx: Context, opinion_id: str, *, today: dt.date | None = None) -> OpinionDetail:
    today = today_or(today)
    with ctx.store.session() as s:
        _load(s, opinion_id)
        row = _row_of(s, opinion_id, today)
        meetings = tuple(MeetingRow(m.id, m.stage, m.meet_on, m.participants, m.notes) for m in s.scalars(
            select(OpinionMeeting).where(OpinionMeeting.opinion_id == opinion_id,
                                         OpinionMeeting.deleted.is_(False))))
        meetings = tuple(sorted(meetings, key=lambda m: MEETING_STAGES.index(m.stage)))
        events = tuple(EventRow(e.id, e.step_on, e.action, ACTIONS[e.action].label if e.action in ACTIONS
                                else e.action, e.from_state, e.to_state, e.detail, e.by_user, e.created_at)
                       for e in s.scalars(select(OpinionEvent).where(OpinionEvent.opinion_id == opinion_id,
                                                                     OpinionEvent.deleted.is_(False))
                                          .order_by(OpinionEvent.created_at, OpinionEvent.id)))
        last_on = max((e.on for e in events), default="")
        visit_label = ""
        if row.visit_id:
            v = s.get(Visit, row.visit_id)
            if v is not None and not v.deleted:
                visit_label = f"{v.visit_date} {v.form} · {place_label(s, v)}"
        return OpinionDetail(row, meetings, events, tuple(allowed_actions(row.flow(last_on))), visit_label)


def act_on_opinion(ctx: Context, opinion_id: str, step: Step | dict, *,
                   today: dt.date | None = None) -> OpinionDetail:
    """Take one handling step (交办, 开始办理, 答复, 测评, 办结, 退回重办, 改交, 计划落实, 当场答复);
    refused with a clear message when the rules do not allow it now."""
    today = today_or(today)
    if isinstance(step, dict):
        step = Step(**step)
    with ctx.store.session() as s:
        o = _load(s, opinion_id)
        act_in_session(s, ctx, o, step, today)
    return get_opinion(ctx, opinion_id, today=today)


def act_in_session(s: Session, ctx: Context, o: Opinion, step: Step, today: dt.date) -> str:
    """One step inside the caller's unit of work (a visit saved with an answer given on the spot)."""
    row = opinion_rows(s, [(o, None, None, None, None)], today)[0]
    flow = row.flow(_last_on(s, o.id))
    unit_name = ""
    if step.action in ("assign", "reassign") and step.unit_id:
        unit = s.get(HandlingUnit, step.unit_id)
        if unit is None or unit.deleted:
            raise TransitionRefused("所选承办单位不存在或已删除", field="unit_id")
        if not unit.active and unit.id != o.unit_id:
            raise TransitionRefused(f"承办单位“{unit.name}”已停用，请选择其他单位", field="unit_id")
        unit_name = unit.name
    new, detail = apply_step(flow, replace(step, unit_name=unit_name or step.unit_name), today)
    before = o.state
    for f in fields(Flow):
        if f.name in ("last_on", "raised_on"):
            continue
        value = getattr(new, f.name)
        if f.name == "unit_id":
            value = value or None
        if getattr(o, f.name) != value:
            setattr(o, f.name, value)
    s.add(OpinionEvent(opinion_id=o.id, step_on=new.last_on, action=step.action, from_state=before,
                       to_state=new.state, detail=detail, by_user=ctx.store.user))
    s.flush()
    index_opinion(s, o)
    return detail


def _opinion_values(s: Session, raw: dict, *, require_date: bool, today: dt.date) -> dict:
    errors: dict[str, str] = {}
    values: dict = {}
    _what_values(s, raw, require_date, today, values, errors)
    _who_values(s, raw, values, errors)
    if errors:
        raise FieldErrors(errors)
    return values


def _what_values(s: Session, raw: dict, require_date: bool, today: dt.date, values: dict,
                 errors: dict[str, str]) -> None:
    """Content, title, category and date of an opinion."""
    content = clean(raw.get("content"))
    if "content" in raw or require_date:
        if not content:
            errors["content"] = "意见内容不能为空"
        values["content"] = content
    if "title" in raw:
        values["title"] = clean(raw.get("title"))[:200]
    if "category_id" in raw or require_date:
        cid = clean(raw.get("category_id"))
        c = s.get(OpinionCategory, cid) if cid else None
        if c is None or c.deleted:
            errors["category_id"] = "请选择类别"
        values["category_id"] = cid or None
    if "raised_on" in raw or require_date:
        try:
            when = parse_date(raw.get("raised_on"))
            if not when:
                errors["raised_on"] = "提出日期不能为空"
            elif dt.date.fromisoformat(when) > today:
                errors["raised_on"] = f"提出日期 {when} 不能晚于今天"
            values["raised_on"] = when
        except DateError as e:
            errors["raised_on"] = f"提出日期：{e}"


def _who_values(s: Session, raw: dict, values: dict, errors: dict[str, str]) -> None:
    """Source, who raised it, where, and the flags."""
    if "source" in raw:
        src = clean(raw.get("source")) or "接待"
        if src not in SOURCES:
            errors["source"] = f"来源应为 {'、'.join(SOURCES)} 之一"
        values["source"] = src
    for key in ("raised_by", "rated_by"):
        if key in raw:
            values[key] = clean_name(raw.get(key))[:100]
    if "raised_phone" in raw:
        try:
            values["raised_phone"] = normalise_phone(raw.get("raised_phone"))
        except PhoneError as e:
            errors["raised_phone"] = str(e)
    if "assist_units" in raw:
        values["assist_units"] = clean(raw.get("assist_units"))[:200]
    for key, model, label in (("village_id", Village, "所在村(社区)"), ("lead_deputy_id", Deputy, "领衔代表")):
        if key in raw:
            ref = clean(raw.get(key)) or None
            if ref:
                obj = s.get(model, ref)
                if obj is None or getattr(obj, "deleted", False):
                    errors[key] = f"所选{label}不存在或已删除"
            values[key] = ref
    for key in ("key_item", "reported_up", "complex"):
        if key in raw:
            values[key] = bool(raw.get(key))


def create_opinion(ctx: Context, raw: dict, *, today: dt.date | None = None,
                   extra_errors: dict[str, str] | None = None) -> OpinionDetail:
    """An opinion that did not come from a recorded visit (大会 / 闭会期间 suggestions, ...).
    ``extra_errors``: what the form found itself, reported together with the fields checked here."""
    today = today_or(today)
    ensure_categories(ctx)
    with ctx.store.session() as s:
        try:
            values = _opinion_values(s, {"source": "闭会期间"} | raw, require_date=True, today=today)
        except FieldErrors as e:
            raise FieldErrors(e.errors | (extra_errors or {})) from None
        if extra_errors:
            raise FieldErrors(extra_errors)
        o = new_opinion(s, state="登记", **values)
        s.add(o)
        s.flush()
        index_opinion(s, o)
        opinion_id = o.id
    return get_opinion(ctx, opinion_id, today=today)


def update_opinion(ctx: Context, opinion_id: str, raw: dict, *, today: dt.date | None = None) -> OpinionDetail:
    """Edit the description of an opinion (content, category, village, flags...); its handling moves
    only by steps. Every change is kept in the history."""
    today = today_or(today)
    with ctx.store.session() as s:
        o = _load(s, opinion_id)
        values = _opinion_values(s, raw, require_date=False, today=today)
        if "complex" in values and values["complex"] != o.complex and o.state in RUNNING:
            raise InvalidInput("复杂件标记会改变办理期限：请用“改交”调整期限和复杂件标记")
        if "raised_on" in values:
            first_step = s.scalar(select(func.min(OpinionEvent.step_on)).where(
                OpinionEvent.opinion_id == o.id, OpinionEvent.deleted.is_(False)))
            if first_step and values["raised_on"] > first_step:
                raise FieldErrors({"raised_on": f"提出日期不能晚于第一步办理的日期（{first_step}）"})
        for k, v in values.items():
            if getattr(o, k) != v:
                setattr(o, k, v)
        s.flush()
        index_opinion(s, o)
    return get_opinion(ctx, opinion_id, today=today)


def delete_opinion(ctx: Context, opinion_id: str) -> None:
    """Mark deleted (kept in history); its meetings and attachments go with it."""
    with ctx.store.session() as s:
        o = _load(s, opinion_id)
        delete_opinion_in_session(s, o)
        delete_attachments_in_session(s, "opinion", o.id)


def delete_opinion_in_session(s: Session, o: Opinion) -> None:
    o.deleted = True
    for m in s.scalars(select(OpinionMeeting).where(OpinionMeeting.opinion_id == o.id,
                                                    OpinionMeeting.deleted.is_(False))):
        m.deleted = True
    s.flush()
    index_opinion(s, o)  # removes it from the full-text index


# ================================================================== the three meetings

def save_meeting(ctx: Context, opinion_id: str, stage: str, raw: dict, *,
                 today: dt.date | None = None) -> OpinionDetail:
    """Record (or correct) the 办前 / 办中 / 办后 face-to-face meeting: date, participants, notes."""
    today = today_or(today)
    try:
        meet_on = parse_date(raw.get("meet_on"))
    except DateError as e:
        raise FieldErrors({"meet_on": f"日期：{e}"}) from None
    participants = clean(raw.get("participants"))
    notes = str(raw.get("notes") or "").strip()
    if not participants:
        raise FieldErrors({"participants": "请填写参加人员（代表、群众、承办单位人员）"})
    with ctx.store.session() as s:
        o = _load(s, opinion_id)
        row = opinion_rows(s, [(o, None, None, None, None)], today)[0]
        existing = {m.stage: m for m in s.scalars(select(OpinionMeeting).where(
            OpinionMeeting.opinion_id == opinion_id))}
        others = {st: m.meet_on for st, m in existing.items() if not m.deleted and st != stage}
        why = meeting_refusal(row.flow(), stage, meet_on, others, today)
        if why:
            raise InvalidInput(why, field="meet_on")
        m = existing.get(stage)
        if m is None:
            m = OpinionMeeting(opinion_id=opinion_id, stage=stage, meet_on=meet_on)
            s.add(m)
        m.deleted = False
        m.meet_on, m.participants, m.notes = meet_on, participants[:300], notes
    return get_opinion(ctx, opinion_id, today=today)


def opinion_history(ctx: Context, opinion_id: str) -> list[tuple[str, HistoryEntry]]:
    """Every change of the opinion and of its meetings, oldest first: (what, entry)."""
    out = [("意见建议", e) for e in record_history(ctx, "opinion", opinion_id)]
    with ctx.store.session() as s:
        meetings = s.scalars(select(OpinionMeeting).where(OpinionMeeting.opinion_id == opinion_id)).all()
        ids = [(m.id, m.stage) for m in meetings]
    for mid, stage in ids:
        out += [(f"{stage}面对面", e) for e in record_history(ctx, "opinion_meeting", mid)]
    out.sort(key=lambda p: (p[1].at, p[1].version))
    return out


# ================================================================== period summary (办理情况汇总表)

@dataclass
class _Tally:
    total: int = 0
    open: int = 0
    closed: int = 0
    overdue: int = 0
    rated: int = 0
    satisfied: int = 0
    returned: int = 0

    def add(self, g: _Group) -> None:
        n = g.n
        self.total += n
        if g.state == CLOSED:
            self.closed += n
        else:
            self.open += n
        if g.overdue:
            self.overdue += n
        if g.rating:
            self.rated += n
            if g.rating in SATISFIED:
                self.satisfied += n
        if g.returned:
            self.returned += n

    def line(self, name: str) -> SummaryLine:
        return SummaryLine(name, self.total, self.open, self.closed, self.overdue, self.rated, self.satisfied,
                           self.returned)


@dataclass(frozen=True)
class _Group:
    """One group of the summary's GROUP BY."""

    category_id: str | None
    unit_id: str | None
    state: str
    rating: str
    overdue: bool
    returned: bool
    on_the_spot: bool
    planned: bool
    n: int


def _summary_groups(s: Session, q: OpinionQuery, today: dt.date) -> list[_Group]:
    overdue_expr = case((and_(Opinion.state.in_(RUNNING), Opinion.deadline > "",
                              Opinion.deadline < today.isoformat()), 1), else_=0)
    planned_expr = case((and_(Opinion.reply_kind == PLANNED, Opinion.plan_done_on == "",
                              Opinion.state != CLOSED), 1), else_=0)
    stmt = (select(Opinion.category_id, Opinion.unit_id, Opinion.state, Opinion.rating, overdue_expr,
                   Opinion.return_count > 0, Opinion.on_the_spot, planned_expr, func.count())
            .where(*_conditions(q, today))
            .group_by(Opinion.category_id, Opinion.unit_id, Opinion.state, Opinion.rating, overdue_expr,
                      Opinion.return_count > 0, Opinion.on_the_spot, planned_expr))
    return [_Group(cat, unit, state, rating, bool(overdue), bool(returned), bool(spot), bool(planned), n)
            for cat, unit, state, rating, overdue, returned, spot, planned, n in cast(Any, s.execute(stmt))]


def opinion_summary(ctx: Context, date_from: str = "", date_to: str = "", *,
                    today: dt.date | None = None) -> OpinionSummary:
    """Opinions raised in the period, by state, category and unit; 办结率 and 满意率 (satisfied =
    满意 + 基本满意, over the items rated)."""
    today = today_or(today)
    q = OpinionQuery(date_from=date_from, date_to=date_to)
    date_from_iso = _period(date_from, "开始日期")
    date_to_iso = _period(date_to, "结束日期")
    with ctx.store.session() as s:
        groups = _summary_groups(s, q, today)
        cat_names = {c.id: c.name for c in s.scalars(select(OpinionCategory))}
        cat_order = {c.id: (c.sort_order, c.name) for c in s.scalars(select(OpinionCategory))}
        unit_names = {u.id: u.name for u in s.scalars(select(HandlingUnit))}
    total = _Tally()
    states = dict.fromkeys(STATES, 0)
    ratings: dict[str, int] = {}
    cats: dict[str | None, _Tally] = {}
    units: dict[str, _Tally] = {}
    spot = planned = 0
    for g in groups:
        total.add(g)
        cats.setdefault(g.category_id, _Tally()).add(g)
        if g.unit_id:
            units.setdefault(g.unit_id, _Tally()).add(g)
        states[g.state] = states.get(g.state, 0) + g.n
        if g.rating:
            ratings[g.rating] = ratings.get(g.rating, 0) + g.n
        spot += g.n if g.on_the_spot else 0
        planned += g.n if g.planned else 0
    by_cat = sorted(cats.items(), key=lambda kv: cat_order.get(kv[0] or "", (10**6, "")))
    by_unit = sorted(units.items(), key=lambda kv: (-kv[1].total, unit_names.get(kv[0], "")))
    return OpinionSummary(
        date_from_iso, date_to_iso, today.isoformat(), total.line("合计"), tuple(states.items()),
        tuple(v.line(cat_names.get(k, "未分类") if k else "未分类") for k, v in by_cat),
        tuple(v.line(unit_names.get(k, "（已删除的单位）")) for k, v in by_unit),
        tuple((r, ratings.get(r, 0)) for r in RATINGS), spot, planned)


# ================================================================== export

EXPORT_HEADERS = ["编号", "提出日期", "来源", "类别", "意见内容", "提出人", "联系电话", "所在村(社区)", "接待代表",
                  "办理状态", "承办单位", "协办单位", "交办日期", "办理期限", "期限情况", "答复日期", "答复类型",
                  "答复内容", "测评结果", "办结日期", "退回次数", "当场答复", "重点件"]


def export_opinions(ctx: Context, path: str | Path, q: OpinionQuery = OpinionQuery(), *,
                    progress: Progress = no_progress, cancel: Cancel = never_cancel,
                    today: dt.date | None = None) -> int:
    """The list as filtered, to .xlsx; overdue rows highlighted."""
    today = today_or(today)
    rows: list[list[object]] = []
    offset = 0
    while True:
        check_cancel(cancel)
        page = query_opinions(ctx, q, offset, 2000, today=today)
        if not page:
            break
        for o in page:
            rows.append([o.seq, o.raised_on, o.source, o.category, o.content, o.raised_by, o.raised_phone,
                         o.village_name, "、".join(o.deputy_names), o.state, o.unit_name, o.assist_units,
                         o.assigned_on, o.deadline, o.deadline_label, o.reply_on, o.reply_kind, o.reply_text,
                         o.rating, o.closed_on, o.return_count or "", "是" if o.on_the_spot else "",
                         "是" if o.key_item else ""])
        offset += len(page)
        progress(offset, 0)
    overdue_col = EXPORT_HEADERS.index("期限情况")
    write_xlsx(path, "意见建议", EXPORT_HEADERS, rows,
               widths=[7, 11, 7, 10, 50, 10, 13, 12, 16, 9, 18, 14, 11, 11, 11, 11, 9, 40, 9, 11, 7, 7, 7],
               text_columns=[EXPORT_HEADERS.index("联系电话")],
               highlight=lambda r: str(r[overdue_col]).startswith("超期"))
    return len(rows)



def find_opinion_id(ctx: Context, key: str) -> str:
    """An opinion by its id, its number as printed on the referral slip (2026-00123) or that number
    without the year (123)."""
    key = clean(key)
    m = re.fullmatch(r"(?:\d{4}-)?0*(\d+)", key)
    with ctx.store.session() as s:
        if m:
            o = s.scalars(select(Opinion).where(Opinion.seq == int(m[1]), Opinion.deleted.is_(False))).first()
        else:
            o = s.get(Opinion, key)
        if o is None or o.deleted:
            raise NotFound(f"找不到编号为“{key}”的意见建议")
        return o.id
