"""A visit (接待 / 走访) as the clerk types it from the paper sign-in sheet: checked and normalised.

Errors are collected per field so a form can mark every wrong field at once. Keys: ``visit_date``,
``start_time``, ``end_time``, ``form``, ``place``, ``deputy_ids``, ``visitors.N.field`` and
``opinions.N.field`` (N from 0); the messages name the row the way a person counts (第 1 位群众)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from enum import StrEnum

from congress_desktop.core.dates import DateError, parse_date
from congress_desktop.core.errors import FieldErrors
from congress_desktop.core.idcard import IdNumberError, parse_id_number
from congress_desktop.core.phone import PhoneError, normalise_phone
from congress_desktop.core.text import clean, clean_name, to_halfwidth
from congress_desktop.visits.opinion_rules import PLANNED, REPLY_KINDS


class VisitMode(StrEnum):
    """接待形式; the members are the stored words."""

    RECEPTION_DAY = "接待日"
    HOUSEHOLD = "入户走访"
    FORUM = "座谈"
    PHONE = "电话"
    UNANNOUNCED = "暗访"


FORMS: tuple[str, ...] = tuple(m.value for m in VisitMode)  # plain words
FIELD_LABELS = {
    "visit_date": "接待日期", "start_time": "开始时间", "end_time": "结束时间", "form": "接待形式",
    "place": "接待地点", "deputy_ids": "接待代表", "village_id": "所在村(社区)", "note": "备注",
}


class TimeError(ValueError):
    pass


def parse_time(value: object) -> str:
    """'9:00', '09:00', '9点', '9点30', '0930', '9：30' -> 'HH:MM'; '' when empty."""
    if value is None or value == "":
        return ""
    if isinstance(value, dt.time):
        return value.strftime("%H:%M")
    if isinstance(value, dt.datetime):
        return value.strftime("%H:%M")
    text = to_halfwidth(clean(value)).replace(" ", "")
    if not text:
        return ""
    m = (re.fullmatch(r"(\d{1,2})[:：.点时](\d{1,2})?分?", text) or re.fullmatch(r"(\d{2})(\d{2})", text)
         or re.fullmatch(r"(\d{1,2})()", text))
    if m:
        h, mnt = int(m[1]), int(m[2] or 0)
        if 0 <= h <= 23 and 0 <= mnt <= 59:
            return f"{h:02d}:{mnt:02d}"
    raise TimeError(f"“{clean(value)}”不是有效时间，请写成 09:30")


@dataclass(frozen=True)
class VisitorData:
    name: str
    phone: str = ""
    village_group: str = ""
    head_count: int = 1
    id_number: str = ""


@dataclass(frozen=True)
class OpinionDraft:
    """An opinion typed on the visit form. ``id`` is set when it already exists (an edit)."""

    id: str
    category_id: str
    content: str
    on_the_spot: bool = False
    answer: str = ""
    answer_kind: str = "说明解释"
    title: str = ""
    key_item: bool = False


@dataclass(frozen=True)
class VisitData:
    visit_date: str
    start_time: str
    end_time: str
    form: str
    contact_point_id: str | None
    grid_id: str | None
    place_text: str
    village_id: str | None
    note: str
    deputy_ids: tuple[str, ...]
    visitors: tuple[VisitorData, ...]
    opinions: tuple[OpinionDraft, ...]

    @property
    def head_count(self) -> int:
        return sum(v.head_count for v in self.visitors)


def _is_blank(row: dict, keys: tuple[str, ...]) -> bool:
    return all(clean(row.get(k)) in ("", "0") for k in keys)


def normalise_visitor(raw: dict, n: int, errors: dict[str, str]) -> VisitorData | None:
    """One visitor row (``n`` from 0); None for a blank row. Errors go into ``errors``."""
    if _is_blank(raw, ("name", "phone", "village_group", "id_number")):
        return None
    who = f"第 {n + 1} 位群众"
    key = f"visitors.{n}."
    name = clean_name(raw.get("name"))
    if not name:
        errors[key + "name"] = f"{who}：姓名不能为空"
    elif len(name) > 50:
        errors[key + "name"] = f"{who}：姓名过长"
    try:
        phone = normalise_phone(raw.get("phone"))
    except PhoneError as e:
        errors[key + "phone"] = f"{who}：{e}"
        phone = ""
    count_text = clean(raw.get("head_count")) or "1"
    head_count = 1
    try:
        head_count = int(float(to_halfwidth(count_text)))
        if head_count < 1 or head_count > 9999 or float(to_halfwidth(count_text)) != head_count:
            raise ValueError
    except ValueError:
        errors[key + "head_count"] = f"{who}：人数应为正整数（“{count_text}”）"
    id_number = ""
    raw_id = raw.get("id_number")
    if clean(raw_id):
        try:
            id_number = parse_id_number(raw_id).number
        except IdNumberError as e:  # also says so when Excel made it 4.20381E+17
            errors[key + "id_number"] = f"{who}：{e}"
    return VisitorData(name, phone, clean(raw.get("village_group")), head_count, id_number)


def normalise_opinion_draft(raw: dict, n: int, errors: dict[str, str]) -> OpinionDraft | None:
    if _is_blank(raw, ("content", "answer", "title")) and not raw.get("id"):
        return None
    which = f"第 {n + 1} 条意见"
    key = f"opinions.{n}."
    content = clean(raw.get("content"))
    if not content:
        errors[key + "content"] = f"{which}：内容不能为空"
    category_id = clean(raw.get("category_id"))
    if not category_id:
        errors[key + "category_id"] = f"{which}：请选择类别"
    spot = bool(raw.get("on_the_spot"))
    answer = clean(raw.get("answer"))
    kind = clean(raw.get("answer_kind")) or "说明解释"
    if spot:
        if not answer:
            errors[key + "answer"] = f"{which}：勾选了当场答复，请填写答复内容"
        if kind not in REPLY_KINDS:
            errors[key + "answer_kind"] = f"{which}：答复类型应为 {'、'.join(REPLY_KINDS)}"
        elif kind == PLANNED:
            errors[key + "answer_kind"] = f"{which}：答复为“列入计划”的须交办跟踪，不能当场办结"
    return OpinionDraft(clean(raw.get("id")), category_id, content, spot, answer if spot else "", kind,
                        clean(raw.get("title")), bool(raw.get("key_item")))


def _visit_date(raw: dict, now: dt.datetime, errors: dict[str, str]) -> str:
    visit_date = ""
    try:
        visit_date = parse_date(raw.get("visit_date"))
        if not visit_date:
            errors["visit_date"] = "接待日期不能为空"
        elif dt.date.fromisoformat(visit_date) > now.date():
            errors["visit_date"] = f"接待日期 {visit_date} 晚于今天：这里登记的是已经发生的接待"
        elif visit_date < "1990-01-01":
            errors["visit_date"] = f"接待日期 {visit_date} 太早，请检查"
    except DateError as e:
        errors["visit_date"] = f"接待日期：{e}"
    return visit_date


def _visit_times(raw: dict, visit_date: str, now: dt.datetime, errors: dict[str, str]) -> tuple[str, str]:
    times = {}
    for key in ("start_time", "end_time"):
        try:
            times[key] = parse_time(raw.get(key))
        except TimeError as e:
            errors[key] = f"{FIELD_LABELS[key]}：{e}"
            times[key] = ""
    start, end = times["start_time"], times["end_time"]
    if start and end and end < start:
        errors["end_time"] = f"结束时间 {end} 不能早于开始时间 {start}"
    if (start and visit_date and "visit_date" not in errors and visit_date == now.date().isoformat()
            and start > now.strftime("%H:%M")):
        errors["start_time"] = f"开始时间 {start} 晚于现在：这里登记的是已经发生的接待"
    return start, end


def _visit_place(raw: dict, errors: dict[str, str]) -> tuple[str | None, str | None, str]:
    contact_point_id = clean(raw.get("contact_point_id")) or None
    grid_id = clean(raw.get("grid_id")) or None
    place_text = clean(raw.get("place_text"))
    if not (contact_point_id or grid_id or place_text):
        errors["place"] = "请选择接待地点（联系站点或网格），或直接填写地点"
    elif contact_point_id and grid_id:
        errors["place"] = "接待地点只能是一个：联系站点或网格"
    return contact_point_id, grid_id, place_text


def normalise_visit(raw: dict, now: dt.datetime | None = None) -> VisitData:
    """Check and normalise a visit; raises ``FieldErrors`` naming every wrong field.

    A visit is recorded after it happened: a date or start time in the future is refused."""
    now = now or dt.datetime.now()
    errors: dict[str, str] = {}
    visit_date = _visit_date(raw, now, errors)
    start, end = _visit_times(raw, visit_date, now, errors)
    form = clean(raw.get("form"))
    if not form:
        errors["form"] = "请选择接待形式"
    elif form not in FORMS:
        errors["form"] = f"接待形式应为 {'、'.join(FORMS)} 之一"
    contact_point_id, grid_id, place_text = _visit_place(raw, errors)
    deputy_ids = tuple(dict.fromkeys(d for d in (raw.get("deputy_ids") or []) if d))
    if not deputy_ids:
        errors["deputy_ids"] = "请至少选择一名接待代表"
    visitors = []
    for n, row in enumerate(raw.get("visitors") or []):
        v = normalise_visitor(row, n, errors)
        if v is not None:
            visitors.append(v)
    opinions = []
    for n, row in enumerate(raw.get("opinions") or []):
        o = normalise_opinion_draft(row, n, errors)
        if o is not None:
            opinions.append(o)
    if errors:
        raise FieldErrors(errors)
    return VisitData(visit_date, start, end, form, contact_point_id, grid_id, place_text,
                     clean(raw.get("village_id")) or None, clean(raw.get("note")), deputy_ids,
                     tuple(visitors), tuple(opinions))


def opinion_source(form: str, has_grid: bool) -> str:
    """Where an opinion came from, by the kind of visit that raised it."""
    if form == "暗访":
        return "暗访"
    if has_grid or form == "入户走访":
        return "网格"
    return "接待"
