"""Reading opinions into rows, and their search keys: ``search_text`` and the full-text index
(``opinion_fts``), kept beside the ORM so indexing never enters the change log."""

from __future__ import annotations

import datetime as dt
from typing import cast

from sqlalchemy import Select, Table, func, select, text, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from congress_desktop.core import search
from congress_desktop.core.context import Cancel, Context, Progress, check_cancel, never_cancel, no_progress
from congress_desktop.core.store.ids import uuid7
from congress_desktop.core.store.models import Deputy, Village
from congress_desktop.core.store.models_visits import HandlingUnit, Opinion, OpinionCategory, VisitDeputy
from congress_desktop.visits.opinion_rules import deadline_status
from congress_desktop.visits.rows import OpinionRow

PAGE = 200


def today_or(today: dt.date | None) -> dt.date:
    return today or dt.date.today()


_ROW_COLUMNS = (Opinion, OpinionCategory.name, HandlingUnit.name, Village.name, Deputy.name)


def row_select() -> Select:
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


def opinion_rows(s: Session, results, today: dt.date) -> list[OpinionRow]:
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


def fts_ready(s: Session) -> bool:
    """The FTS table exists (made by migration 0002 on SQLite); looked up once per database."""
    bind = s.get_bind()
    key = str(bind.engine.url)
    if key not in _FTS_READY:
        _FTS_READY[key] = bind.dialect.name == "sqlite" and bool(
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


def _name(row: OpinionCategory | HandlingUnit | Village | None) -> str:
    return row.name if row is not None else ""


def _names_for_search(s: Session, o: Opinion, deputies: list[str] | None) -> str:
    category = _name(s.get(OpinionCategory, o.category_id) if o.category_id else None)
    unit = _name(s.get(HandlingUnit, o.unit_id) if o.unit_id else None)
    village = _name(s.get(Village, o.village_id) if o.village_id else None)
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
    if fts_ready(s):
        if had_seq and old_text:
            s.execute(text("INSERT INTO opinion_fts(opinion_fts, rowid, grams) VALUES('delete', :r, :g)"),
                      {"r": seq, "g": search.grams(old_text)})
        if new_text:
            s.execute(text("INSERT INTO opinion_fts(rowid, grams) VALUES (:r, :g)"),
                      {"r": seq, "g": search.grams(new_text)})
    table = cast(Table, Opinion.__table__)
    s.execute(update(table).where(table.c.id == o.id)
              .values(seq=seq, search_text=new_text, indexed_version=o.version))
    for key, value in (("seq", seq), ("search_text", new_text), ("indexed_version", o.version)):
        set_committed_value(o, key, value)


_STATS_SEEN: dict[str, int] = {}
STATS_MIN_ROWS = 2000


def ensure_stats(s: Session) -> None:
    """Planner statistics for the opinion table, refreshed when it has doubled since the last time.

    Without them SQLite guesses that ``deleted = 0`` picks a handful of rows and walks a whole index
    to meet 16 full-text matches (100 ms at a million rows instead of 2). ``analysis_limit`` keeps
    the ANALYZE itself to about 20 ms at a million rows."""
    bind = s.get_bind()
    if bind.dialect.name != "sqlite":
        return
    key = str(bind.engine.url)
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


def index_missing(s: Session) -> None:
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
        if fts_ready(s):
            s.execute(text("INSERT INTO opinion_fts(opinion_fts) VALUES('delete-all')"))
        done = 0
        for o in s.scalars(select(Opinion).order_by(Opinion.raised_on, Opinion.id)).all():
            check_cancel(cancel)
            index_opinion(s, o, fresh_index=True)
            done += 1
            if done % 1000 == 0:
                progress(done, total)
        return done
