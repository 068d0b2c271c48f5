"""Deputies (代表): list, search, edit, status, import and export."""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from congress_desktop.core.context import Cancel, Context, Progress, check_cancel, never_cancel, no_progress
from congress_desktop.core.errors import Exists, FieldErrors, InvalidInput, NotFound
from congress_desktop.core.idcard import mask_id_number
from congress_desktop.core.importing import ImportResult, ImportSpec, RowProblem, run_import
from congress_desktop.core.ownership import ensure_owned
from congress_desktop.core.sheets import SheetRow, read_sheet, write_xlsx
from congress_desktop.core.store.models import Deputy, Village
from congress_desktop.core.text import clean, pinyin_keys, to_halfwidth
from congress_desktop.deputies.rules import (
    FIELD_LABELS,
    LEVEL_SHORT,
    LEVELS,
    STATUSES,
    DeputyData,
    normalise_deputy,
)
from congress_desktop.places.villages import find_village_ids, village_key


@dataclass(frozen=True)
class DeputyRow:
    id: str
    name: str
    gender: str
    ethnicity: str
    birth_date: str
    id_number: str
    political: str
    education: str
    work_unit: str
    mobile: str
    phone: str
    village_id: str | None
    village_name: str
    levels: tuple[str, ...]
    term: str
    constituency: str
    group_name: str
    elected_on: str
    status: str
    status_date: str
    status_reason: str
    note: str
    version: int
    owner_code: str = ""  # the office that keeps this record; another office's record is read-only

    @property
    def levels_label(self) -> str:
        return "、".join(LEVEL_SHORT.get(k, k) for k in self.levels)

    @property
    def id_masked(self) -> str:
        return mask_id_number(self.id_number)

    def as_form(self) -> dict:
        """The values an edit form starts from (same keys normalise_deputy reads)."""
        d = {f.name: getattr(self, f.name) for f in fields(self)}
        d["levels"] = list(self.levels)
        return d


# Columns a list can sort by: user-facing key -> model column. Names sort by pinyin, as people expect.
SORT_COLUMNS = {
    "name": Deputy.name_pinyin, "gender": Deputy.gender, "ethnicity": Deputy.ethnicity,
    "birth_date": Deputy.birth_date, "political": Deputy.political, "work_unit": Deputy.work_unit,
    "mobile": Deputy.mobile, "village": Village.code, "levels": Deputy.levels,
    "group_name": Deputy.group_name, "status": Deputy.status, "education": Deputy.education,
    "id_number": Deputy.id_number, "term": Deputy.term, "constituency": Deputy.constituency,
}


@dataclass(frozen=True)
class DeputyQuery:
    text: str = ""
    level: str = ""         # a key of LEVELS, '' for all
    status: str = ""        # 在任 / 暂停 / 终止, '' for all
    village_id: str = ""
    group_name: str = ""
    owner: str = ""         # owner office code ('' all): the city's town filter, a town's own vs city's
    sort: str = "name"
    descending: bool = False


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
    col = SORT_COLUMNS.get(q.sort, Deputy.name_pinyin)
    if q.text.strip():
        # With a text filter, scanning the table and sorting the few matches beats walking the sort
        # index row by row (5x at 100,000 deputies); an expression keeps SQLite off the index.
        col = col.concat("") if q.sort != "village" else col
    order = [col.desc() if q.descending else col.asc(), Deputy.id]
    stmt = _filtered(q).order_by(*order).offset(offset)
    if limit is not None:
        stmt = stmt.limit(limit)
    with ctx.store.session() as s:
        return [_to_row(d) for d in s.scalars(stmt).unique()]


def count_deputies(ctx: Context, q: DeputyQuery = DeputyQuery()) -> int:
    with ctx.store.session() as s:
        return s.scalar(select(func.count()).select_from(_filtered(q).with_only_columns(Deputy.id).subquery()))


def get_deputy(ctx: Context, deputy_id: str) -> DeputyRow:
    with ctx.store.session() as s:
        d = s.get(Deputy, deputy_id)
        if d is None or d.deleted:
            raise NotFound("该代表不存在或已删除")
        return _to_row(d)


def list_groups(ctx: Context) -> list[str]:
    with ctx.store.session() as s:
        return [g for g in s.scalars(select(Deputy.group_name).where(Deputy.deleted.is_(False),
                                                                    Deputy.group_name != "")
                                     .distinct().order_by(Deputy.group_name))]


def _check_duplicate(s: Session, data: DeputyData, exclude_id: str | None) -> None:
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


def _apply(s: Session, d: Deputy, data: DeputyData) -> None:
    if data.village_id and s.get(Village, data.village_id) is None:
        raise FieldErrors({"village": "所选村(社区)不存在"})
    for f in fields(DeputyData):
        value = getattr(data, f.name)
        if f.name == "levels":
            value = ",".join(value)
        if getattr(d, f.name) != value:
            setattr(d, f.name, value)
    d.name_pinyin, d.name_initials = pinyin_keys(d.name)
    village_name = s.get(Village, d.village_id).name if d.village_id else ""
    d.search_text = _search_text(d, village_name)


def create_deputy(ctx: Context, raw: dict) -> DeputyRow:
    data = normalise_deputy(raw)
    with ctx.store.session() as s:
        _check_duplicate(s, data, None)
        d = Deputy()
        _apply(s, d, data)
        s.add(d)
        s.flush()
        s.refresh(d)
        return _to_row(d)


def update_deputy(ctx: Context, deputy_id: str, raw: dict) -> DeputyRow:
    data = normalise_deputy(raw)
    with ctx.store.session() as s:
        d = s.get(Deputy, deputy_id)
        if d is None or d.deleted:
            raise NotFound("该代表不存在或已删除")
        ensure_owned(ctx, d)
        _check_duplicate(s, data, deputy_id)
        _apply(s, d, data)
        s.flush()
        s.refresh(d)
        return _to_row(d)


def set_deputy_status(ctx: Context, deputy_id: str, status: str, date: str, reason: str) -> DeputyRow:
    """在任 / 暂停 / 终止 with date and reason; a terminated deputy stays in history."""
    if status not in STATUSES:
        raise InvalidInput(f"状态应为 {'、'.join(STATUSES)}")
    current = get_deputy(ctx, deputy_id).as_form()
    current.update(status=status, status_date=date if status != "在任" else "",
                   status_reason=reason if status != "在任" else "")
    return update_deputy(ctx, deputy_id, current)


def delete_deputy(ctx: Context, deputy_id: str) -> None:
    """Only for a record entered by mistake; a deputy who left office is 终止, not deleted."""
    with ctx.store.session() as s:
        d = s.get(Deputy, deputy_id)
        if d is None or d.deleted:
            raise NotFound("该代表不存在或已删除")
        ensure_owned(ctx, d)
        d.deleted = True


def status_counts(ctx: Context) -> dict[str, int]:
    with ctx.store.session() as s:
        rows = s.execute(select(Deputy.status, func.count()).where(Deputy.deleted.is_(False))
                         .group_by(Deputy.status)).all()
    return {status: n for status, n in rows}


# ---------------------------------------------------------------- import / export

IMPORT_HEADERS: dict[str, tuple[str, ...]] = {
    "name": ("姓名", "代表姓名", "名字"),
    "gender": ("性别",),
    "ethnicity": ("民族",),
    "birth_date": ("出生年月", "出生日期", "出生年月日", "生日"),
    "id_number": ("身份证号", "身份证号码", "公民身份号码", "身份证"),
    "political": ("政治面貌", "党派"),
    "education": ("学历", "文化程度", "文化"),
    "work_unit": ("工作单位及职务", "工作单位及职务职称", "单位及职务", "工作单位", "单位职务", "职务"),
    "mobile": ("联系电话", "手机", "手机号", "手机号码", "电话", "联系方式"),
    "phone": ("其他电话", "固定电话", "办公电话", "座机"),
    "village": ("所在村", "所在村社区", "村社区", "村居", "村", "社区", "所在村居", "居住地"),
    "levels": ("代表层级", "层级", "代表级别", "级别", "代表类别"),
    "term": ("届次", "届别"),
    "constituency": ("选区", "选举单位", "所在选区"),
    "group_name": ("代表小组", "小组", "所在代表小组", "代表组"),
    "elected_on": ("当选日期", "当选时间"),
    "status": ("状态", "代表状态"),
    "status_date": ("状态日期", "终止日期"),
    "status_reason": ("状态原因", "终止原因"),
    "note": ("备注",),
}

EXPORT_COLUMNS = ["name", "gender", "ethnicity", "birth_date", "id_number", "political", "education",
                  "work_unit", "mobile", "phone", "village", "levels", "term", "constituency",
                  "group_name", "elected_on", "status", "status_date", "status_reason", "note"]


def import_deputies(ctx: Context, path: str | Path, progress: Progress = no_progress,
                    cancel: Cancel = never_cancel) -> ImportResult:
    """All rows or nothing: every bad row is listed with its row number and reason."""
    sheet = read_sheet(path, IMPORT_HEADERS, required=("name",))
    villages = find_village_ids(ctx)
    seen_id: dict[str, int] = {}
    seen_name_birth: dict[tuple[str, str], int] = {}

    def normalise(row: SheetRow) -> DeputyData:
        raw = dict(row.values)
        village = clean(raw.pop("village", ""))
        if village:
            vid = villages.get(village) or villages.get(village_key(village))
            if vid is None:
                raise RowProblem.of("所在村(社区)", f"“{village}”不在本乡镇的村(社区)名单中，请先在“村(社区)”中添加")
            raw["village_id"] = vid
        data = normalise_deputy(raw)
        if data.id_number:
            if data.id_number in seen_id:
                raise RowProblem.of("身份证号", f"与第 {seen_id[data.id_number]} 行重复")
            seen_id[data.id_number] = row.number
        if data.birth_date:
            key = (data.name, data.birth_date)
            if key in seen_name_birth:
                raise RowProblem.of("姓名", f"与第 {seen_name_birth[key]} 行同名同出生年月，疑为重复")
            seen_name_birth[key] = row.number
        return data

    def write(s: Session, _number: int, data: DeputyData) -> None:
        _check_duplicate(s, data, None)
        d = Deputy()
        _apply(s, d, data)
        s.add(d)

    spec = ImportSpec(labels=FIELD_LABELS, empty_text="表格中没有代表数据（表头下面是空的）")
    return run_import(ctx, sheet, normalise, write, spec, progress=progress, cancel=cancel)


def save_import_errors(result: ImportResult, path: str | Path) -> None:
    result.save_errors(path)


def export_deputies(ctx: Context, path: str | Path, q: DeputyQuery = DeputyQuery(),
                    progress: Progress = no_progress, cancel: Cancel = never_cancel) -> int:
    """The list as filtered, to .xlsx with the same headers the import reads."""
    total = count_deputies(ctx, q)
    rows: list[list[object]] = []
    offset = 0
    while True:
        check_cancel(cancel)
        page = query_deputies(ctx, q, offset, 2000)
        if not page:
            break
        for d in page:
            values = d.as_form()
            values["village"] = d.village_name
            values["levels"] = "、".join(LEVELS[k] for k in d.levels if k in LEVELS)
            rows.append([values.get(c, "") for c in EXPORT_COLUMNS])
        offset += len(page)
        progress(offset, total)
    headers = [IMPORT_HEADERS[c][0] if c != "village" else "所在村(社区)" for c in EXPORT_COLUMNS]
    headers[EXPORT_COLUMNS.index("levels")] = "代表层级"
    write_xlsx(path, "代表名册", headers, rows, widths=[10, 6, 8, 12, 22, 12, 8, 30, 14, 14, 14, 24, 10,
                                                      12, 14, 12, 8, 12, 16, 20],
               text_columns=[EXPORT_COLUMNS.index("id_number"), EXPORT_COLUMNS.index("mobile"),
                             EXPORT_COLUMNS.index("phone")])
    return len(rows)
