"""Mobile and landline numbers of mainland China, normalised."""

from __future__ import annotations

import re

from congress_desktop.core.text import clean, to_halfwidth


class PhoneError(ValueError):
    pass


_MOBILE = re.compile(r"^1[3-9]\d{9}$")
# 0 + 2-3 digit area code (010, 027, 0719) + 7-8 digits, optional extension.
_LANDLINE = re.compile(r"^(0\d{2,3})-?(\d{7,8})(?:(?:-|转|ext\.?|#)(\d{1,6}))?$", re.IGNORECASE)


def normalise_phone(value: object) -> str:
    """'' for empty; '13812345678' for a mobile; '0719-5212345[-123]' for a landline.

    Accepts full-width digits, spaces, '+86'/'86' prefixes and brackets around the area code.
    """
    text = to_halfwidth(clean(value))
    if not text:
        return ""
    text = re.sub(r"[\s()（）]", "", text)
    text = re.sub(r"^(\+?86)(?=1[3-9]\d{9}$)", "", text)
    if text.startswith("1"):
        digits = text.replace("-", "")
        if _MOBILE.match(digits):
            return digits
        raise PhoneError(f"手机号“{clean(value)}”不正确：应为 11 位，以 13-19 开头")
    m = _LANDLINE.match(text)
    if m:
        area, number, ext = m.groups()
        if len(area) + len(number) not in (10, 11, 12):
            raise PhoneError(f"固定电话“{clean(value)}”位数不对")
        return f"{area}-{number}" + (f"-{ext}" if ext else "")
    raise PhoneError(f"电话“{clean(value)}”格式不正确：手机 11 位，固话如 0719-5212345")


def is_mobile(number: str) -> bool:
    return bool(_MOBILE.match(number))
