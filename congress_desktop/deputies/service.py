"""Deputies (代表): list, search, edit, status: the units of work (spreadsheets in ``deputies.importing``,
printing in ``deputies.printing``/``deputies.report``)."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from congress_desktop.core.context import Context
from congress_desktop.core.errors import Exists, FieldErrors, InvalidInput
from congress_desktop.core.idcard import mask_id_number
from congress_desktop.core.importing import ImportResult
from congress_desktop.core.ownership import ensure_owned
from congress_desktop.core.store.access import get_live
from congress_desktop.core.store.models import Deputy, Village
from congress_desktop.core.text import clean, pinyin_keys, to_halfwidth
from congress_desktop.deputies.rows import DeputyQuery, DeputyRow  # noqa: F401 - re-exported for the callers
from congress_desktop.deputies.rules import IN_OFFICE, LEVELS, STATUSES, DeputyData, normalise_deputy

# Columns a list can sort by: user-facing key -> model column. Names sort by pinyin, as people expect.
SORT_COLUMNS = {
    "name": Deputy.name_pinyin, "gender": Deputy.gender, "ethnicity": Deputy.ethnicity,
    "birth_date": Deputy.birth_date, "political": Deputy.political, "work_unit": Deputy.work_unit,
    "mobile": Deputy.mobile, "village": Village.code, "levels": Deputy.levels,
    "group_name": Deputy.group_name, "status": Deputy.status, "education": Deputy.education,
    "id_number": Deputy.id_number, "term": Deputy.term, "constituency": Deputy.constituency,
}


def _to_row(d: Deputy) -> DeputyRow:
    return DeputyRow(
        d.id, d.name, d.gender, d.ethnicity, d.birth_date, d.id_number, d.political, d.education,
        d.work_unit, d.mobile, d.phone, d.village_id, d.village.name if d.village else "",
        tuple(k for k in d.levels.split(",") if k), d.term, d.constituency, d.group_name, d.elected_on,
        d.status, d.status_date, d.status_reason, d.note, d.version, d.owner_code)


def _search_text(d: Deputy, village_name: str) -> str:
    """Everything a user may type to find a deputy, lower case, in one column for one LIKE."""
    parts = [d.name, d.name_pinyin, d.name_initials, d.gender, d.ethnicity, d.birth_date, d.id_number,
             d.political, d.education, d.work_unit, d.mobile, d.phone, village_name, d.term,
             d.constituency, d.group_name, d.status, d.note,
             " ".join(LEVELS.get(k, "") for k in d.levels.split(","))]
    return "\x1f".join(p for p in parts if p).lower()


def _filtered(q: DeputyQuery) -> Select:
    stmt = select(Deputy).outerjoin(Village, Deputy.village_id == Village.id).where(Deputy.deleted.is_(False))
    text = to_halfwidth(clean(q.text)).lower()
    for word in text.split():
        stmt = stmt.where(Deputy.search_text.contains(word, autoescape=True))
    if q.level:
        stmt = stmt.where(or_(Deputy.levels == q.level, Deputy.levels.like(f"{q.level},%"),
                              Deputy.levels.like(f"%,{q.level}"), Deputy.levels.like(f"%,{q.level},%")))
    if q.status:
        stmt = stmt.where(Deputy.status == q.status)
    if q.village_id:
        stmt = stmt.where(Deputy.village_id == q.village_id)
    if q.group_name:
        stmt = stmt.where(Deputy.group_name == q.group_name)
    if q.owner:
        stmt = stmt.where(Deputy.owner_code == q.owner)
    return stmt


def query_deputies(ctx: Context, q: DeputyQuery = DeputyQuery(), offset: int = 0,
                   limit: int | None = 200) -> list[DeputyRow]:
    """One page of the list: filtered, sorted, from ``offset``. The GUI model fetches page by page."""
    column = SORT_COLUMNS.get(q.sort, Deputy.name_pinyin)
    col: ColumnElement[str] | InstrumentedAttribute[str] = column
    if q.text.strip() and q.sort != "village":
        # With a text filter, scanning the table and sorting the few matches beats walking the sort
        # index row by row (5x at 100,000 deputies); an expression keeps SQLite off the index.
        col = column.concat("")
    order = [col.desc() if q.descending else col.asc(), Deputy.id]
    stmt = _filtered(q).order_by(*order).offset(offset)
    if limit is not None:
        stmt = stmt.limit(limit)
    with ctx.store.session() as s:
        return [_to_row(d) for d in s.scalars(stmt).unique()]


def count_deputies(ctx: Context, q: DeputyQuery = DeputyQuery()) -> int:
    with ctx.store.session() as s:
        return s.scalar(select(func.count()).select_from(_filtered(q).with_only_columns(Deputy.id).subquery())) or 0


def get_deputy(ctx: Context, deputy_id: str) -> DeputyRow:
    with ctx.store.session() as s:
        d = get_live(s, Deputy, deputy_id, "代表")
        return _to_row(d)


def list_groups(ctx: Context) -> list[str]:
    with ctx.store.session() as s:
        return [g for g in s.scalars(select(Deputy.group_name).where(Deputy.deleted.is_(False),
                                                                    Deputy.group_name != "")
                                     .distinct().order_by(Deputy.group_name))]


def check_duplicate(s: Session, data: DeputyData, exclude_id: str | None) -> None:
    """Within this office's own records only: the same person may be registered by the city (a city
    deputy, sent down) and by the town (for its own roll); a received copy must never stop this office
    from registering or editing its own record."""
    base = select(Deputy).where(Deputy.deleted.is_(False))
    owner = s.info.get("owner_code")
    if owner:
        base = base.where(Deputy.owner_code.in_((owner, "")))
    if exclude_id:
        base = base.where(Deputy.id != exclude_id)
    if data.id_number:
        other = s.scalars(base.where(Deputy.id_number == data.id_number)).first()
        if other:
            raise Exists(f"身份证号 {mask_id_number(data.id_number)} 已属于代表“{other.name}”，不能重复登记",
                         field="id_number")
    if data.birth_date:
        other = s.scalars(base.where(Deputy.name == data.name, Deputy.birth_date == data.birth_date)).first()
        if other:
            raise Exists(f"已有同名同出生年月的代表“{other.name}”（{other.birth_date}），不能重复登记",
                         field="name")


def apply_data(s: Session, d: Deputy, data: DeputyData) -> None:
    if data.village_id and s.get(Village, data.village_id) is None:
        raise FieldErrors({"village": "所选村(社区)不存在"})
    for f in fields(DeputyData):
        value = getattr(data, f.name)
        if f.name == "levels":
            value = ",".join(value)
        if getattr(d, f.name) != value:
            setattr(d, f.name, value)
    d.name_pinyin, d.name_initials = pinyin_keys(d.name)
    village = s.get(Village, d.village_id) if d.village_id else None
    village_name = village.name if village else ""
    d.search_text = _search_text(d, village_name)


def create_deputy(ctx: Context, raw: dict) -> DeputyRow:
    data = normalise_deputy(raw)
    with ctx.store.session() as s:
        check_duplicate(s, data, None)
        d = Deputy()
        apply_data(s, d, data)
        s.add(d)
        s.flush()
        s.refresh(d)
        return _to_row(d)


def update_deputy(ctx: Context, deputy_id: str, raw: dict) -> DeputyRow:
    data = normalise_deputy(raw)
    with ctx.store.session() as s:
        d = get_live(s, Deputy, deputy_id, "代表")
        ensure_owned(ctx, d)
        check_duplicate(s, data, deputy_id)
        apply_data(s, d, data)
        s.flush()
        s.refresh(d)
        return _to_row(d)


def set_deputy_status(ctx: Context, deputy_id: str, status: str, date: str, reason: str) -> DeputyRow:
    """在任 / 暂停 / 终止 with date and reason; a terminated deputy stays in history."""
    if status not in STATUSES:
        raise InvalidInput(f"状态应为 {'、'.join(STATUSES)}")
    current = get_deputy(ctx, deputy_id).as_form()
    current.update(status=status, status_date=date if status != IN_OFFICE else "",
                   status_reason=reason if status != IN_OFFICE else "")
    return update_deputy(ctx, deputy_id, current)


def delete_deputy(ctx: Context, deputy_id: str) -> None:
    """Only for a record entered by mistake; a deputy who left office is 终止, not deleted."""
    with ctx.store.session() as s:
        d = get_live(s, Deputy, deputy_id, "代表")
        ensure_owned(ctx, d)
        d.deleted = True


def status_counts(ctx: Context) -> dict[str, int]:
    with ctx.store.session() as s:
        rows = s.execute(select(Deputy.status, func.count()).where(Deputy.deleted.is_(False))
                         .group_by(Deputy.status)).all()
    return {status: n for status, n in rows}


def save_import_errors(result: ImportResult, path: str | Path) -> None:
    result.save_errors(path)
