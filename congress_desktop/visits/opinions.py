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

from sqlalchemy import Select, and_, case, func, or_, select, text, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from congress_desktop.core import search
from congress_desktop.core.context import Cancel, Context, Progress, check_cancel, never_cancel, no_progress
from congress_desktop.core.dates import DateError, parse_date
from congress_desktop.core.errors import Exists, FieldErrors, InvalidInput, NotFound
from congress_desktop.core.history import HistoryEntry, record_history
from congress_desktop.core.phone import PhoneError, normalise_phone
from congress_desktop.core.sheets import write_xlsx
from congress_desktop.core.store.ids import uuid7
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
from congress_desktop.visits.opinion_rules import (
    ACTIONS,
    CLOSED,
    DEFAULT_CATEGORIES,
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
    deadline_status,
    due_soon_until,
    meeting_refusal,
)

# a text search with at most this many full-text matches sorts them; with more, it walks the list order
FTS_SORT_LIMIT = 5000
PAGE = 200

# pseudo-states of the list filter
STATE_OPEN = "未办结"
STATE_PLANNED = "列入计划跟踪"
STATE_FILTERS = (STATE_OPEN, *STATES, STATE_PLANNED)

FIELD_LABELS = {
    "content": "意见内容", "title": "标题", "category_id": "类别", "raised_on": "提出日期", "raised_by": "提出人",
    "raised_phone": "联系电话", "village_id": "所在村(社区)", "lead_deputy_id": "领衔代表", "key_item": "重点件",
    "reported_up": "上报市人大", "complex": "复杂件", "source": "来源", "state": "办理状态", "unit_id": "承办单位",
    "assist_units": "协办单位", "assigned_on": "交办日期", "deadline": "办理期限", "started_on": "开始办理日期",
    "reply_on": "答复日期", "reply_kind": "答复类型", "reply_text": "答复内容", "rated_on": "测评日期",
    "rating": "测评结果", "rated_by": "测评人", "closed_on": "办结日期", "return_count": "退回次数",
    "plan_done_on": "计划落实日期", "on_the_spot": "当场答复", "visit_id": "接待记录", "position": "序号",
    "seq": "编号", "stage": "环节", "meet_on": "日期", "participants": "参加人员", "notes": "情况记录",
}


# ================================================================== categories

@dataclass(frozen=True)
class CategoryRow:
    id: str
    name: str
    hint: str
    sort_order: int
    active: bool

    @property
    def label(self) -> str:
        return f"{self.name}（{self.hint}）" if self.hint else self.name


def ensure_categories(ctx: Context) -> None:
    """Seed the default list (RECORDS.md) the first time categories are needed."""
    # this office's own list: the city's categories come down to the towns too, and a town that took
    # them for its own would point its opinions at records the city may lose in a restore
    owner = ctx.office.code if ctx.office else ""
    with ctx.store.session() as s:
        if s.scalar(select(func.count()).select_from(OpinionCategory).where(OpinionCategory.owner_code == owner)):
            return
        for i, (name, hint) in enumerate(DEFAULT_CATEGORIES):
            s.add(OpinionCategory(name=name, hint=hint, sort_order=(i + 1) * 10))


def list_categories(ctx: Context, *, include_inactive: bool = False) -> list[CategoryRow]:
    ensure_categories(ctx)
    with ctx.store.session() as s:
        stmt = select(OpinionCategory).where(OpinionCategory.deleted.is_(False))
        if not include_inactive:
            stmt = stmt.where(OpinionCategory.active.is_(True))
        rows = s.scalars(stmt.order_by(OpinionCategory.sort_order, OpinionCategory.name)).all()
        owner = ctx.office.code if ctx.office else ""
        own = {c.name for c in rows if c.owner_code == owner}
        # another office's category of the same name as one of ours: ours is the one to choose
        rows = [c for c in rows if c.owner_code == owner or c.name not in own]
        return [CategoryRow(c.id, c.name, c.hint, c.sort_order, c.active) for c in rows]


def save_category(ctx: Context, raw: dict, category_id: str | None = None) -> CategoryRow:
    name = clean(raw.get("name"))
    if not name:
        raise FieldErrors({"name": "类别名称不能为空"})
    if len(name) > 20:
        raise FieldErrors({"name": "类别名称不超过 20 个字"})
    ensure_categories(ctx)
    with ctx.store.session() as s:
        clash = s.scalars(select(OpinionCategory).where(OpinionCategory.name == name,
                                                        OpinionCategory.deleted.is_(False),
                                                        OpinionCategory.owner_code == ctx.store.owner_code,
                                                        OpinionCategory.id != (category_id or ""))).first()
        if clash:
            raise Exists(f"已有类别“{name}”", field="name")
        if category_id:
            c = s.get(OpinionCategory, category_id)
            if c is None or c.deleted:
                raise NotFound("该类别不存在或已删除")
        else:
            top = s.scalar(select(func.max(OpinionCategory.sort_order))) or 0
            c = OpinionCategory(name=name, sort_order=top + 10)
            s.add(c)
        c.name, c.hint = name, clean(raw.get("hint"))
        if "sort_order" in raw and str(raw["sort_order"]).strip():
            c.sort_order = int(raw["sort_order"])
        c.active = bool(raw.get("active", True))
        s.flush()
        return CategoryRow(c.id, c.name, c.hint, c.sort_order, c.active)


def delete_category(ctx: Context, category_id: str) -> None:
    with ctx.store.session() as s:
        c = s.get(OpinionCategory, category_id)
        if c is None or c.deleted:
            raise NotFound("该类别不存在或已删除")
        used = s.scalar(select(func.count()).select_from(Opinion).where(Opinion.category_id == category_id,
                                                                         Opinion.deleted.is_(False)))
        if used:
            raise InvalidInput(f"类别“{c.name}”下有 {used} 件意见建议，不能删除；不再使用时请改为“停用”")
        c.deleted = True


def find_category_ids(ctx: Context) -> dict[str, str]:
    out = {}
    for c in list_categories(ctx, include_inactive=True):
        out[c.name] = c.id
        out[c.label] = c.id
    return out


# ================================================================== rows

@dataclass(frozen=True)
class OpinionRow:
    id: str
    seq: int
    visit_id: str | None
    raised_on: str
    source: str
    title: str
    content: str
    category_id: str | None
    category: str
    raised_by: str
    raised_phone: str
    village_id: str | None
    village_name: str
    lead_deputy_id: str | None
    lead_deputy_name: str
    deputy_names: tuple[str, ...]   # the deputies who received it (its visit), lead deputy first
    state: str
    on_the_spot: bool
    unit_id: str | None
    unit_name: str
    assist_units: str
    assigned_on: str
    deadline: str
    complex: bool
    started_on: str
    reply_on: str
    reply_kind: str
    reply_text: str
    rated_on: str
    rating: str
    rated_by: str
    closed_on: str
    return_count: int
    plan_done_on: str
    key_item: bool
    reported_up: bool
    version: int
    deadline_kind: str = ""   # overdue / due_soon / ''
    days_left: int = 0

    @property
    def overdue(self) -> bool:
        return self.deadline_kind == "overdue"

    @property
    def due_soon(self) -> bool:
        return self.deadline_kind == "due_soon"

    @property
    def deadline_label(self) -> str:
        if self.deadline_kind == "overdue":
            return f"超期 {-self.days_left} 天"
        if self.deadline_kind == "due_soon":
            return "今天到期" if self.days_left == 0 else f"{self.days_left} 天后到期"
        return ""

    @property
    def planned_open(self) -> bool:
        return self.reply_kind == PLANNED and not self.plan_done_on and self.state != CLOSED

    @property
    def state_label(self) -> str:
        extra = []
        if self.on_the_spot:
            extra.append("当场答复")
        if self.planned_open:
            extra.append("列入计划跟踪")
        if self.return_count:
            extra.append(f"退回 {self.return_count} 次")
        return self.state + (f"（{'，'.join(extra)}）" if extra else "")

    @property
    def summary(self) -> str:
        text = self.title or self.content
        return text if len(text) <= 40 else text[:39] + "…"

    def flow(self, last_on: str = "") -> Flow:
        return Flow(**{f.name: getattr(self, f.name) for f in fields(Flow) if f.name != "last_on"},
                    last_on=last_on)


@dataclass(frozen=True)
class MeetingRow:
    id: str
    stage: str
    meet_on: str
    participants: str
    notes: str


@dataclass(frozen=True)
class EventRow:
    id: str
    on: str
    action: str
    label: str
    from_state: str
    to_state: str
    detail: str
    user: str
    at: dt.datetime


@dataclass(frozen=True)
class OpinionDetail:
    row: OpinionRow
    meetings: tuple[MeetingRow, ...]
    events: tuple[EventRow, ...]
    allowed: tuple[str, ...]           # action keys the rules allow now
    visit_label: str = ""              # 「2026-03-15 接待日 · 六里坪镇人大代表之家」

    @property
    def last_on(self) -> str:
        return max((e.on for e in self.events), default="")

    def meeting(self, stage: str) -> MeetingRow | None:
        return next((m for m in self.meetings if m.stage == stage), None)


def _today(today: dt.date | None) -> dt.date:
    return today or dt.date.today()


_ROW_COLUMNS = (Opinion, OpinionCategory.name, HandlingUnit.name, Village.name, Deputy.name)


def _row_select() -> Select:
    return (select(*_ROW_COLUMNS)
            .outerjoin(OpinionCategory, OpinionCategory.id == Opinion.category_id)
            .outerjoin(HandlingUnit, HandlingUnit.id == Opinion.unit_id)
            .outerjoin(Village, Village.id == Opinion.village_id)
            .outerjoin(Deputy, Deputy.id == Opinion.lead_deputy_id))


def _visit_deputies(s: Session, visit_ids: list[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    if not visit_ids:
        return out
    q = (select(VisitDeputy.visit_id, Deputy.name).join(Deputy, Deputy.id == VisitDeputy.deputy_id)
         .where(VisitDeputy.visit_id.in_(visit_ids), VisitDeputy.deleted.is_(False))
         .order_by(Deputy.name_pinyin))
    for vid, name in s.execute(q):
        out.setdefault(vid, []).append(name)
    return out


def _rows(s: Session, results, today: dt.date) -> list[OpinionRow]:
    results = list(results)
    deputies = _visit_deputies(s, list({r[0].visit_id for r in results if r[0].visit_id}))
    out = []
    for o, cat, unit, village, lead in results:
        names = list(deputies.get(o.visit_id, [])) if o.visit_id else []
        if lead:
            names = [lead] + [n for n in names if n != lead]
        st = deadline_status(o.state, o.deadline, today)
        out.append(OpinionRow(
            o.id, o.seq or 0, o.visit_id, o.raised_on, o.source, o.title, o.content, o.category_id, cat or "",
            o.raised_by, o.raised_phone, o.village_id, village or "", o.lead_deputy_id, lead or "",
            tuple(names), o.state, o.on_the_spot, o.unit_id, unit or "", o.assist_units, o.assigned_on,
            o.deadline, o.complex, o.started_on, o.reply_on, o.reply_kind, o.reply_text, o.rated_on, o.rating,
            o.rated_by, o.closed_on, o.return_count, o.plan_done_on, o.key_item, o.reported_up, o.version,
            st.kind, st.days))
    return out


# ================================================================== search index

_FTS_READY: dict[str, bool] = {}


def _fts_ready(s: Session) -> bool:
    """The FTS table exists (made by migration 0002 on SQLite); looked up once per database."""
    engine = s.get_bind()
    key = str(engine.url)
    if key not in _FTS_READY:
        _FTS_READY[key] = engine.dialect.name == "sqlite" and bool(
            s.execute(text("SELECT 1 FROM sqlite_master WHERE name = 'opinion_fts'")).first())
    return _FTS_READY[key]


def new_opinion(s: Session, **values) -> Opinion:
    """A new opinion with its search key already set, so its first insert is its only log entry."""
    return Opinion(id=uuid7(), seq=_next_seq(s), **values)


def _next_seq(s: Session) -> int:
    n = s.info.get("opinion_next_seq")
    if n is None:
        n = (s.scalar(select(func.max(Opinion.seq))) or 0) + 1
    s.info["opinion_next_seq"] = n + 1
    return n


def opinion_search_text(o: Opinion, *, category: str, unit: str, village: str, deputies: list[str]) -> str:
    return search.search_text(o.content, o.title, o.raised_by, o.raised_phone, category, unit, o.assist_units,
                              village, " ".join(deputies), o.reply_text, o.source)


def _names_for_search(s: Session, o: Opinion, deputies: list[str] | None) -> str:
    category = s.get(OpinionCategory, o.category_id).name if o.category_id else ""
    unit = s.get(HandlingUnit, o.unit_id).name if o.unit_id else ""
    village = s.get(Village, o.village_id).name if o.village_id else ""
    if deputies is None:
        deputies = []
        if o.lead_deputy_id:
            d = s.get(Deputy, o.lead_deputy_id)
            deputies.append(d.name if d else "")
        if o.visit_id:
            deputies += _visit_deputies(s, [o.visit_id]).get(o.visit_id, [])
    return "" if o.deleted else opinion_search_text(o, category=category, unit=unit, village=village,
                                                   deputies=deputies)


def index_opinion(s: Session, o: Opinion, *, deputies: list[str] | None = None, fresh_index: bool = False) -> None:
    """Bring ``search_text`` and the FTS entry of one opinion up to date (inside the caller's unit of
    work, after its fields were set).

    The search keys are written with plain SQL, beside the ORM: they are local derived data, and a
    change to them must neither raise the record's version nor enter the change log (a town's record
    indexed at the city would otherwise look like the city's own edit). ``indexed_version`` records
    the version indexed, so a row another path changed (a received sync package) is found stale and
    indexed again on the next list query. ``fresh_index``: the FTS entry is known to be absent."""
    s.flush()  # the row exists and its version is final for this step
    new_text = _names_for_search(s, o, deputies)
    old_text = "" if fresh_index else (o.search_text or "")
    seq = o.seq
    had_seq = seq is not None and not fresh_index
    if seq is None:
        seq = _next_seq(s)
    if had_seq and new_text == old_text and o.indexed_version == o.version:
        return
    if _fts_ready(s):
        if had_seq and old_text:
            s.execute(text("INSERT INTO opinion_fts(opinion_fts, rowid, grams) VALUES('delete', :r, :g)"),
                      {"r": seq, "g": search.grams(old_text)})
        if new_text:
            s.execute(text("INSERT INTO opinion_fts(rowid, grams) VALUES (:r, :g)"),
                      {"r": seq, "g": search.grams(new_text)})
    s.execute(update(Opinion.__table__).where(Opinion.__table__.c.id == o.id)
              .values(seq=seq, search_text=new_text, indexed_version=o.version))
    for key, value in (("seq", seq), ("search_text", new_text), ("indexed_version", o.version)):
        set_committed_value(o, key, value)


_STATS_SEEN: dict[str, int] = {}
STATS_MIN_ROWS = 2000


def _ensure_stats(s: Session) -> None:
    """Planner statistics for the opinion table, refreshed when it has doubled since the last time.

    Without them SQLite guesses that ``deleted = 0`` picks a handful of rows and walks a whole index
    to meet 16 full-text matches (100 ms at a million rows instead of 2). ``analysis_limit`` keeps
    the ANALYZE itself to about 20 ms at a million rows."""
    engine = s.get_bind()
    if engine.dialect.name != "sqlite":
        return
    key = str(engine.url)
    size = s.scalar(select(func.max(Opinion.seq))) or 0
    if size < STATS_MIN_ROWS or size <= 2 * _STATS_SEEN.get(key, 0):
        return
    from congress_desktop.core.store.models import Setting

    row = s.get(Setting, "opinion_stats_rows")
    done = int(row.value) if row and row.value.isdigit() else 0
    has_stats = bool(s.execute(text("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'")).first()) and bool(
        s.execute(text("SELECT 1 FROM sqlite_stat1 WHERE tbl = 'opinion' LIMIT 1")).first())
    if has_stats and size <= 2 * done:
        _STATS_SEEN[key] = done
        return
    s.execute(text("PRAGMA analysis_limit=1000"))
    s.execute(text("ANALYZE opinion"))
    if row is None:
        s.add(Setting(key="opinion_stats_rows", value=str(size)))
    else:
        row.value = str(size)
    _STATS_SEEN[key] = size


def _index_missing(s: Session) -> None:
    """Rows that arrived without a search key, or changed by another path since they were indexed
    (a received sync package), are indexed before a list is read. Both lookups use an index."""
    stale = list(s.scalars(select(Opinion).where(Opinion.seq.is_(None)).limit(2000)))
    stale += s.scalars(select(Opinion).where(Opinion.version != Opinion.indexed_version).limit(2000)).all()
    for o in stale:
        index_opinion(s, o)


def rebuild_search_index(ctx: Context, progress: Progress = no_progress, cancel: Cancel = never_cancel) -> int:
    """Rebuild every opinion's search text and the FTS index from scratch (a repair). Returns the
    number of opinions indexed."""
    with ctx.store.session() as s:
        total = s.scalar(select(func.count()).select_from(Opinion)) or 0
        if _fts_ready(s):
            s.execute(text("INSERT INTO opinion_fts(opinion_fts) VALUES('delete-all')"))
        done = 0
        for o in s.scalars(select(Opinion).order_by(Opinion.raised_on, Opinion.id)).all():
            check_cancel(cancel)
            index_opinion(s, o, fresh_index=True)
            done += 1
            if done % 1000 == 0:
                progress(done, total)
        return done


# ================================================================== the list

@dataclass(frozen=True)
class OpinionQuery:
    text: str = ""
    state: str = ""            # a state, 未办结, 列入计划跟踪, or '' for all
    category_id: str = ""
    unit_id: str = ""
    village_id: str = ""
    deputy_id: str = ""
    date_from: str = ""        # raised_on, ISO or as typed
    date_to: str = ""
    overdue: bool = False
    due_soon: bool = False     # with overdue: either
    visit_id: str = ""
    rated: bool = False        # only items with a rating (for the satisfaction figure)
    sort: str = "raised_on"    # raised_on (newest first) / deadline (earliest first)


def _period(value: str, label: str) -> str:
    try:
        return parse_date(value)
    except DateError as e:
        raise InvalidInput(f"{label}：{e}", field=label) from None


def _conditions(q: OpinionQuery, today: dt.date) -> list:
    cond = [Opinion.deleted.is_(False)]
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


def _like(words: list[str]) -> list:
    return [Opinion.search_text.contains(w, autoescape=True) for w in words]


def _order(q: OpinionQuery, *, off_index: bool = False) -> list:
    """List order. ``off_index``: order by expressions, so SQLite looks the few full-text matches up by
    key and sorts them instead of walking the whole date index to meet them (without ANALYZE
    statistics it would walk: 100 ms for a rare word at a million rows, against 2 ms)."""
    if q.sort == "deadline":
        cols = [Opinion.deadline, Opinion.seq]
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
    if not words or not _fts_ready(s):
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
    today = _today(today)
    with ctx.store.session() as s:
        _index_missing(s)
        _ensure_stats(s)
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
            rows += _rows(s, s.execute(_row_select().where(Opinion.seq.in_(part))), today)
        rows.sort(key=lambda r: place[r.seq])
        return rows


def count_opinions(ctx: Context, q: OpinionQuery = OpinionQuery(), *, today: dt.date | None = None) -> int:
    """How many match (may take longer than a page on a very large database: the window asks for it
    after the first page is shown)."""
    today = _today(today)
    with ctx.store.session() as s:
        inner = _statement(s, q, today, select(Opinion.id))
        return s.scalar(select(func.count()).select_from(inner.subquery())) or 0


def opinion_ids(ctx: Context, q: OpinionQuery, *, today: dt.date | None = None) -> list[str]:
    today = _today(today)
    with ctx.store.session() as s:
        return list(s.scalars(_statement(s, q, today, select(Opinion.id), ordered=True)))


def state_counts(ctx: Context, *, today: dt.date | None = None) -> dict[str, int]:
    """Opinions per state, plus 超期 and 7天内到期 (all periods)."""
    today = _today(today)
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
    rows = _rows(s, s.execute(_row_select().where(Opinion.id == opinion_id)), today)
    if not rows:
        raise NotFound("该意见建议不存在或已删除")
    return rows[0]


def _last_on(s: Session, opinion_id: str) -> str:
    return s.scalar(select(func.max(OpinionEvent.step_on)).where(OpinionEvent.opinion_id == opinion_id,
                                                                  OpinionEvent.deleted.is_(False))) or ""


def get_opinion(ctx: Context, opinion_id: str, *, today: dt.date | None = None) -> OpinionDetail:
    today = _today(today)
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
                from congress_desktop.visits.service import place_label

                visit_label = f"{v.visit_date} {v.form} · {place_label(s, v)}"
        return OpinionDetail(row, meetings, events, tuple(allowed_actions(row.flow(last_on))), visit_label)


def act_on_opinion(ctx: Context, opinion_id: str, step: Step | dict, *,
                   today: dt.date | None = None) -> OpinionDetail:
    """Take one handling step (交办, 开始办理, 答复, 测评, 办结, 退回重办, 改交, 计划落实, 当场答复);
    refused with a clear message when the rules do not allow it now."""
    today = _today(today)
    if isinstance(step, dict):
        step = Step(**step)
    with ctx.store.session() as s:
        o = _load(s, opinion_id)
        act_in_session(s, ctx, o, step, today)
    return get_opinion(ctx, opinion_id, today=today)


def act_in_session(s: Session, ctx: Context, o: Opinion, step: Step, today: dt.date) -> str:
    """One step inside the caller's unit of work (a visit saved with an answer given on the spot)."""
    row = _rows(s, [(o, None, None, None, None)], today)[0]
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
                if obj is None or obj.deleted:
                    errors[key] = f"所选{label}不存在或已删除"
            values[key] = ref
    for key in ("key_item", "reported_up", "complex"):
        if key in raw:
            values[key] = bool(raw.get(key))
    if errors:
        raise FieldErrors(errors)
    return values


def create_opinion(ctx: Context, raw: dict, *, today: dt.date | None = None,
                   extra_errors: dict[str, str] | None = None) -> OpinionDetail:
    """An opinion that did not come from a recorded visit (大会 / 闭会期间 suggestions, ...).
    ``extra_errors``: what the form found itself, reported together with the fields checked here."""
    today = _today(today)
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
    today = _today(today)
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
    from congress_desktop.visits.attachments import delete_attachments_in_session

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
    today = _today(today)
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
        row = _rows(s, [(o, None, None, None, None)], today)[0]
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


def delete_meeting(ctx: Context, opinion_id: str, stage: str) -> OpinionDetail:
    with ctx.store.session() as s:
        m = s.scalars(select(OpinionMeeting).where(OpinionMeeting.opinion_id == opinion_id,
                                                   OpinionMeeting.stage == stage,
                                                   OpinionMeeting.deleted.is_(False))).first()
        if m is None:
            raise NotFound(f"没有登记{stage}面对面")
        m.deleted = True
    return get_opinion(ctx, opinion_id)


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

@dataclass(frozen=True)
class SummaryLine:
    name: str
    total: int = 0
    open: int = 0
    closed: int = 0
    overdue: int = 0
    rated: int = 0
    satisfied: int = 0
    returned: int = 0   # items sent back at least once

    @property
    def closed_rate(self) -> float | None:
        return self.closed / self.total if self.total else None

    @property
    def satisfaction_rate(self) -> float | None:
        return self.satisfied / self.rated if self.rated else None


@dataclass(frozen=True)
class OpinionSummary:
    date_from: str
    date_to: str
    today: str
    total: SummaryLine
    by_state: tuple[tuple[str, int], ...]
    by_category: tuple[SummaryLine, ...]
    by_unit: tuple[SummaryLine, ...]
    by_rating: tuple[tuple[str, int], ...]
    on_the_spot: int = 0
    planned_open: int = 0


def _add(line: dict, *, n: int, state: str, rating: str, overdue: bool, returned: bool) -> None:
    line["total"] += n
    if state == CLOSED:
        line["closed"] += n
    else:
        line["open"] += n
    if overdue:
        line["overdue"] += n
    if rating:
        line["rated"] += n
        if rating in SATISFIED:
            line["satisfied"] += n
    if returned:
        line["returned"] += n


def opinion_summary(ctx: Context, date_from: str = "", date_to: str = "", *,
                    today: dt.date | None = None) -> OpinionSummary:
    """Opinions raised in the period, by state, category and unit; 办结率 and 满意率 (satisfied =
    满意 + 基本满意, over the items rated)."""
    today = _today(today)
    q = OpinionQuery(date_from=date_from, date_to=date_to)
    date_from_iso = _period(date_from, "开始日期")
    date_to_iso = _period(date_to, "结束日期")
    overdue_expr = case((and_(Opinion.state.in_(RUNNING), Opinion.deadline > "",
                              Opinion.deadline < today.isoformat()), 1), else_=0)
    planned_expr = case((and_(Opinion.reply_kind == PLANNED, Opinion.plan_done_on == "",
                              Opinion.state != CLOSED), 1), else_=0)
    with ctx.store.session() as s:
        stmt = (select(Opinion.category_id, Opinion.unit_id, Opinion.state, Opinion.rating, overdue_expr,
                       Opinion.return_count > 0, Opinion.on_the_spot, planned_expr, func.count())
                .where(*_conditions(q, today))
                .group_by(Opinion.category_id, Opinion.unit_id, Opinion.state, Opinion.rating, overdue_expr,
                          Opinion.return_count > 0, Opinion.on_the_spot, planned_expr))
        groups = s.execute(stmt).all()
        cat_names = {c.id: c.name for c in s.scalars(select(OpinionCategory))}
        cat_order = {c.id: (c.sort_order, c.name) for c in s.scalars(select(OpinionCategory))}
        unit_names = {u.id: u.name for u in s.scalars(select(HandlingUnit))}
    blank = dict(total=0, open=0, closed=0, overdue=0, rated=0, satisfied=0, returned=0)
    total = dict(blank)
    states = dict.fromkeys(STATES, 0)
    ratings: dict[str, int] = {}
    cats: dict[str | None, dict] = {}
    units: dict[str | None, dict] = {}
    spot = planned = 0
    for cat, unit, state, rating, overdue, returned, on_spot, planned_flag, n in groups:
        kw = dict(n=n, state=state, rating=rating, overdue=bool(overdue), returned=bool(returned))
        _add(total, **kw)
        _add(cats.setdefault(cat, dict(blank)), **kw)
        if unit:
            _add(units.setdefault(unit, dict(blank)), **kw)
        states[state] = states.get(state, 0) + n
        if rating:
            ratings[rating] = ratings.get(rating, 0) + n
        spot += n if on_spot else 0
        planned += n if planned_flag else 0
    by_cat = sorted(cats.items(), key=lambda kv: cat_order.get(kv[0], (10**6, "")))
    by_unit = sorted(units.items(), key=lambda kv: (-kv[1]["total"], unit_names.get(kv[0], "")))

    return OpinionSummary(
        date_from_iso, date_to_iso, today.isoformat(), SummaryLine("合计", **total),
        tuple(states.items()),
        tuple(SummaryLine(cat_names.get(k, "未分类") if k else "未分类", **v) for k, v in by_cat),
        tuple(SummaryLine(unit_names.get(k, "（已删除的单位）"), **v) for k, v in by_unit),
        tuple((r, ratings.get(r, 0)) for r in RATINGS), spot, planned)


# ================================================================== export

EXPORT_HEADERS = ["编号", "提出日期", "来源", "类别", "意见内容", "提出人", "联系电话", "所在村(社区)", "接待代表",
                  "办理状态", "承办单位", "协办单位", "交办日期", "办理期限", "期限情况", "答复日期", "答复类型",
                  "答复内容", "测评结果", "办结日期", "退回次数", "当场答复", "重点件"]


def export_opinions(ctx: Context, path: str | Path, q: OpinionQuery = OpinionQuery(), *,
                    progress: Progress = no_progress, cancel: Cancel = never_cancel,
                    today: dt.date | None = None) -> int:
    """The list as filtered, to .xlsx; overdue rows highlighted."""
    today = _today(today)
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



# ================================================================== printing

def print_referral(ctx: Context, opinion_id: str, out: str | Path) -> int:
    """意见建议交办单 with its 回执; returns the page count."""
    from congress_desktop.visits.report import render_referral

    office = ctx.require_office()
    return render_referral(out, office.name, get_opinion(ctx, opinion_id))


def print_opinion_summary(ctx: Context, out: str | Path, date_from: str = "", date_to: str = "", *,
                          today: dt.date | None = None, progress: Progress = no_progress,
                          cancel: Cancel = never_cancel) -> int:
    """办理情况汇总表 for opinions raised in the period."""
    from congress_desktop.visits.report import render_opinion_summary

    office = ctx.require_office()
    return render_opinion_summary(out, office.name, opinion_summary(ctx, date_from, date_to, today=today),
                                  progress=progress, cancel=cancel)


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
