"""公民身份号码 (GB 11643-1999): structure, birth date, check character, gender."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from congress_desktop.core.text import clean, to_halfwidth

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"
_SCI = re.compile(r"^\d(\.\d+)?[eE]\+?\d+$")


class IdNumberError(ValueError):
    """The Chinese message says what is wrong with the number."""


@dataclass(frozen=True)
class IdInfo:
    number: str
    birth_date: dt.date
    gender: str  # 男 / 女


def check_char(first17: str) -> str:
    total = sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True))
    return CHECK_CHARS[total % 11]


def looks_like_excel_number(value: object) -> bool:
    """True for what Excel makes of an 18-digit number: 4.20381E+17 or a float that lost digits."""
    if isinstance(value, float):
        return True
    text = to_halfwidth(clean(value))
    return bool(_SCI.match(text))


def parse_id_number(value: object, today: dt.date | None = None) -> IdInfo:
    """Validate and normalise; raises IdNumberError with a Chinese reason."""
    if looks_like_excel_number(value):
        raise IdNumberError("身份证号被 Excel 当成数字变成了科学计数法（如 4.20381E+17），后几位已丢失；"
                            "请把该列设为“文本”格式后重新填写")
    text = to_halfwidth(clean(value)).replace(" ", "").upper()
    if len(text) == 15:
        raise IdNumberError("15 位旧身份证号不再使用，请填写 18 位身份证号")
    if len(text) != 18:
        raise IdNumberError(f"身份证号应为 18 位，这里是 {len(text)} 位")
    if not re.fullmatch(r"\d{17}[\dX]", text):
        raise IdNumberError("身份证号前 17 位应为数字，最后一位为数字或 X")
    try:
        birth = dt.date(int(text[6:10]), int(text[10:12]), int(text[12:14]))
    except ValueError:
        raise IdNumberError(f"身份证号中的出生日期 {text[6:14]} 不是有效日期") from None
    today = today or dt.date.today()
    if birth > today or birth.year < 1900:
        raise IdNumberError(f"身份证号中的出生日期 {birth:%Y-%m-%d} 不合理")
    expected = check_char(text[:17])
    if text[17] != expected:
        raise IdNumberError(f"身份证号校验位不对（应为 {expected}），请核对是否有数字抄错")
    gender = "男" if int(text[16]) % 2 == 1 else "女"
    return IdInfo(text, birth, gender)


def mask_id_number(number: str) -> str:
    """Shown in lists: 420381********1234 style, the full number only in the edit form."""
    if len(number) != 18:
        return number
    return number[:6] + "*" * 8 + number[14:]
