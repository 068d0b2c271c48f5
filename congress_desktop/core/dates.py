"""Dates as offices write them: 1975-03-05, 1975.3.5, 1975年3月5日, 19750305, 1975-03, Excel dates."""

from __future__ import annotations

import datetime as dt
import re

from congress_desktop.core.text import clean, to_halfwidth


class DateError(ValueError):
    pass


_FULL = re.compile(r"^(\d{4})[-./年](\d{1,2})[-./月](\d{1,2})日?$")
_MONTH = re.compile(r"^(\d{4})[-./年](\d{1,2})月?$")


def parse_date(value: object, *, allow_month: bool = False) -> str:
    """ISO text: 'YYYY-MM-DD', or 'YYYY-MM' where only a month is known and allowed; '' when empty."""
    if value is None or value == "":
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    text = to_halfwidth(clean(value)).replace(" ", "")
    if not text:
        return ""
    if re.fullmatch(r"\d{8}", text):
        text = f"{text[:4]}-{text[4:6]}-{text[6:]}"
    elif re.fullmatch(r"\d{6}", text) and allow_month:
        text = f"{text[:4]}-{text[4:]}"
    m = _FULL.match(text)
    if m:
        try:
            return dt.date(int(m[1]), int(m[2]), int(m[3])).isoformat()
        except ValueError:
            raise DateError(f"“{clean(value)}”不是有效日期") from None
    m = _MONTH.match(text)
    if m and allow_month:
        if not 1 <= int(m[2]) <= 12:
            raise DateError(f"“{clean(value)}”的月份不正确")
        return f"{int(m[1]):04d}-{int(m[2]):02d}"
    raise DateError(f"“{clean(value)}”不是可识别的日期，请写成 1975-03-05" + ("或 1975-03" if allow_month else ""))


def to_date(iso: str) -> dt.date:
    """Full or year-month ISO text to a date (the 1st for a month)."""
    if len(iso) == 7:
        return dt.date(int(iso[:4]), int(iso[5:7]), 1)
    return dt.date.fromisoformat(iso)
