"""What a deputy record is, and how one typed or imported is checked and normalised."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from congress_desktop.core.dates import DateError, parse_date
from congress_desktop.core.errors import FieldErrors
from congress_desktop.core.idcard import IdNumberError, parse_id_number
from congress_desktop.core.phone import PhoneError, normalise_phone
from congress_desktop.core.text import clean, clean_name

# Level keys are stable identifiers; labels are what the office sees. In a town of 丹江口市 the
# "市人大代表" are deputies to the county-level city's congress.
LEVELS: dict[str, str] = {
    "national": "全国人大代表",
    "province": "省人大代表",
    "prefecture": "设区的市人大代表",
    "county": "县(市、区)人大代表",
    "town": "乡镇人大代表",
}
LEVEL_SHORT: dict[str, str] = {
    "national": "全国", "province": "省", "prefecture": "地市", "county": "县市", "town": "乡镇",
}
# What offices write in a 层级 column; checked longest first.
LEVEL_WORDS: list[tuple[str, str]] = [
    ("全国", "national"), ("省", "province"), ("十堰", "prefecture"), ("州", "prefecture"),
    ("地市", "prefecture"), ("设区的市", "prefecture"), ("县", "county"), ("区", "county"),
    ("丹江口", "county"), ("县市", "county"), ("市", "county"), ("街道", "town"), ("乡", "town"),
    ("镇", "town"),
]

class DeputyStatus(StrEnum):
    """A deputy's status; the members are the words themselves (``DeputyStatus.IN_OFFICE == "在任"``)."""

    IN_OFFICE = "在任"
    SUSPENDED = "暂停"  # 代表法 art. 61: suspended from exercising the duties
    ENDED = "终止"      # art. 62: the mandate ended


IN_OFFICE = DeputyStatus.IN_OFFICE
STATUSES = tuple(DeputyStatus)


class HasTenure(Protocol):
    """What the in-office rule reads: a Deputy row, a grids DeputyInfo, a form's values alike."""

    @property
    def status(self) -> str: ...
    @property
    def status_date(self) -> str: ...
    @property
    def elected_on(self) -> str: ...


def in_office_on(d: HasTenure, on: str) -> bool:
    """THE rule: in office on day ``on`` (YYYY-MM-DD): elected by then (a month-only election date
    counts from the first of the month) and not yet 暂停/终止 (the status date is the first day out of
    office; a 暂停/终止 without a date is out of office on every day)."""
    if d.elected_on and d.elected_on[:10] > on:
        return False
    if d.status == IN_OFFICE:
        return True
    return bool(d.status_date) and on < d.status_date


def in_office_during(d: HasTenure, start: str | None, end: str | None) -> bool:
    """In office on at least one day of ``start``..``end`` (either end open when None or '')."""
    if end and d.elected_on and d.elected_on[:10] > end:
        return False
    if d.status == IN_OFFICE:
        return True
    if not d.status_date:
        return False
    return not start or start < d.status_date


GENDERS = ("男", "女")
POLITICAL = ("中共党员", "中共预备党员", "共青团员", "民革党员", "民盟盟员", "民建会员", "民进会员",
             "农工党党员", "致公党党员", "九三学社社员", "台盟盟员", "无党派人士", "群众")
EDUCATION = ("研究生", "大学", "大专", "中专", "高中", "初中", "小学")
ETHNICITY_DEFAULT = "汉族"

FIELD_LABELS: dict[str, str] = {
    "name": "姓名", "gender": "性别", "ethnicity": "民族", "birth_date": "出生年月",
    "id_number": "身份证号", "political": "政治面貌", "education": "学历",
    "work_unit": "工作单位及职务", "mobile": "联系电话", "phone": "其他电话", "village": "所在村(社区)",
    "levels": "代表层级", "term": "届次", "constituency": "选区", "group_name": "代表小组",
    "elected_on": "当选日期", "status": "状态", "status_date": "状态日期", "status_reason": "状态原因",
    "note": "备注",
}


def parse_levels(value: object) -> list[str]:
    """'镇,市' / '乡镇人大代表、丹江口市人大代表' / ['town'] -> ['town', 'county'] (no duplicates)."""
    if isinstance(value, (list, tuple, set)):
        items = [clean(v) for v in value]
    else:
        text = clean(value)
        for sep in "，、;；/ |":
            text = text.replace(sep, ",")
        items = [t for t in text.split(",") if t]
    out: list[str] = []
    for item in items:
        if item in LEVELS:
            key = item
        else:
            key = next((k for word, k in LEVEL_WORDS if word in item), "")
        if not key:
            raise ValueError(f"代表层级“{item}”无法识别（可写：全国、省、十堰市、市、镇）")
        if key not in out:
            out.append(key)
    return out


def parse_gender(value: object) -> str:
    text = clean(value)
    if text in ("", None):
        return ""
    if text in ("男", "男性", "M", "m", "1"):
        return "男"
    if text in ("女", "女性", "F", "f", "2"):
        return "女"
    raise ValueError(f"性别“{text}”应为 男 或 女")


@dataclass
class DeputyData:
    """A deputy as the services store it: every value checked and normalised."""

    name: str
    gender: str = ""
    ethnicity: str = ""
    birth_date: str = ""  # YYYY-MM-DD or YYYY-MM
    id_number: str = ""
    political: str = ""
    education: str = ""
    work_unit: str = ""
    mobile: str = ""
    phone: str = ""
    village_id: str | None = None
    levels: list[str] = field(default_factory=lambda: ["town"])
    term: str = ""
    constituency: str = ""
    group_name: str = ""
    elected_on: str = ""
    status: str = IN_OFFICE
    status_date: str = ""
    status_reason: str = ""
    note: str = ""


def _name(raw: dict, errors: dict[str, str]) -> str:
    name = clean_name(raw.get("name"))
    if not name:
        errors["name"] = "姓名不能为空"
    elif len(name) > 30:
        errors["name"] = "姓名过长"
    return name


def _identity(raw: dict, today: dt.date, errors: dict[str, str]) -> tuple[str, str, str]:
    """(gender, birth date, id number), each checked against the others: the id number, when given,
    fills a missing gender or day of birth and must agree with those typed."""
    gender = ""
    try:
        gender = parse_gender(raw.get("gender"))
    except ValueError as e:
        errors["gender"] = str(e)
    birth = ""
    try:
        birth = parse_date(raw.get("birth_date"), allow_month=True)
    except DateError as e:
        errors["birth_date"] = f"出生年月：{e}"
    id_number = ""
    if clean(raw.get("id_number")):
        try:
            info = parse_id_number(raw.get("id_number"), today)
            id_number = info.number
            if gender and gender != info.gender:
                errors["gender"] = f"性别“{gender}”与身份证号（{info.gender}）不一致"
            gender = gender or info.gender
            if birth and not info.birth_date.isoformat().startswith(birth):
                errors["birth_date"] = (f"出生年月 {birth} 与身份证号中的出生日期 "
                                        f"{info.birth_date:%Y-%m-%d} 不一致")
            birth = birth if len(birth) == 10 else info.birth_date.isoformat()
        except IdNumberError as e:
            errors["id_number"] = str(e)
    if birth and birth[:4].isdigit() and not (1900 <= int(birth[:4]) <= today.year - 18):
        errors.setdefault("birth_date", f"出生年月 {birth} 不合理（代表应年满十八周岁）")
    return gender, birth, id_number


def _phones(raw: dict, errors: dict[str, str]) -> dict[str, str]:
    phones = {}
    for key in ("mobile", "phone"):
        try:
            phones[key] = normalise_phone(raw.get(key))
        except PhoneError as e:
            errors[key] = str(e)
    return phones


def _levels(raw: dict, errors: dict[str, str]) -> list[str]:
    levels: list[str] = []
    try:
        levels = parse_levels(raw.get("levels") if raw.get("levels") not in (None, "") else ["town"])
        if not levels:
            errors["levels"] = "至少要有一个代表层级"
    except ValueError as e:
        errors["levels"] = str(e)
    return levels


def _status(raw: dict, today: dt.date, errors: dict[str, str]) -> tuple[str, str, str]:
    """(status, status date, reason): a deputy 暂停 or 终止 has both a date (not after today) and a reason."""
    status = clean(raw.get("status")) or IN_OFFICE
    if status not in STATUSES:
        errors["status"] = f"状态“{status}”应为 在任、暂停 或 终止"
    status_date = ""
    try:
        status_date = parse_date(raw.get("status_date"))
    except DateError as e:
        errors["status_date"] = f"状态日期：{e}"
    status_reason = clean(raw.get("status_reason"))
    if status != IN_OFFICE:
        if not status_date:
            errors["status_date"] = f"{status}的代表须填写{status}日期"
        if not status_reason:
            errors["status_reason"] = f"{status}的代表须填写{status}原因"
    if status_date and status_date > today.isoformat():
        errors["status_date"] = "状态日期不能晚于今天"
    return status, status_date, status_reason


def normalise_deputy(raw: dict, today: dt.date | None = None) -> DeputyData:
    """Check every field of one deputy; raise FieldErrors naming each wrong field in Chinese."""
    today = today or dt.date.today()
    errors: dict[str, str] = {}
    name = _name(raw, errors)
    gender, birth, id_number = _identity(raw, today, errors)
    phones = _phones(raw, errors)
    levels = _levels(raw, errors)
    status, status_date, status_reason = _status(raw, today, errors)
    elected = ""
    try:
        elected = parse_date(raw.get("elected_on"), allow_month=True)
    except DateError as e:
        errors["elected_on"] = f"当选日期：{e}"

    if errors:
        raise FieldErrors(errors)
    return DeputyData(
        name=name, gender=gender, ethnicity=clean(raw.get("ethnicity")), birth_date=birth,
        id_number=id_number, political=clean(raw.get("political")), education=clean(raw.get("education")),
        work_unit=clean(raw.get("work_unit")), mobile=phones.get("mobile", ""), phone=phones.get("phone", ""),
        village_id=raw.get("village_id") or None, levels=levels, term=clean(raw.get("term")),
        constituency=clean(raw.get("constituency")), group_name=clean(raw.get("group_name")),
        elected_on=elected, status=status, status_date=status_date, status_reason=status_reason,
        note=clean(raw.get("note")),
    )
