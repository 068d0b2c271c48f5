"""Text normalisation and pinyin keys for searching Chinese names."""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"[\s\u3000\u00a0\u200b\ufeff]+")
# Characters no record may hold (sync/content.py checks every stored and received text with this):
# C0 controls but tab/newline/return, DEL, C1, bidi embeddings and overrides (U+202A-U+202E,
# U+2066-U+2069: they make a name read backwards), lone surrogates, the noncharacters U+FFFE/U+FFFF
INVISIBLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff\ufffe\uffff]")
# Middle dots people type in minority names: all become the standard U+00B7.
_DOTS = str.maketrans({"\u2022": "\u00b7", "\u30fb": "\u00b7", "\uff65": "\u00b7", "\u2027": "\u00b7", ".": "\u00b7"})


def to_halfwidth(text: str) -> str:
    """Full-width ASCII (０-９, Ａ-Ｚ, －) to half-width; leaves 汉字 untouched."""
    out = []
    for ch in text:
        code = ord(ch)
        if code == 0x3000:
            out.append(" ")
        elif 0xFF01 <= code <= 0xFF5E:
            out.append(chr(code - 0xFEE0))
        else:
            out.append(ch)
    return "".join(out)


def clean(value: object) -> str:
    """A cell or field value as stripped text: None -> '', inner runs of spaces collapsed, invisible
    control characters dropped (pasted from elsewhere they print as nothing, and the other office
    would refuse the record)."""
    if value is None:
        return ""
    text = INVISIBLE.sub("", str(value))
    text = unicodedata.normalize("NFC", text)
    return _SPACES.sub(" ", text).strip()


def clean_name(value: object) -> str:
    """A person's name: no spaces at all (张 三 -> 张三), full-width letters folded, dots unified."""
    text = to_halfwidth(clean(value)).replace(" ", "")
    if any("\u4e00" <= ch <= "\u9fff" for ch in text):
        text = text.translate(_DOTS)
    return text


def digits_only(value: object) -> str:
    return re.sub(r"\D", "", to_halfwidth(clean(value)))


# Surnames read differently from the character's common reading (曾 zeng, not ceng): an office
# worker types the initials as the name is said, so 曾志强 must be found by "zzq".
SURNAME_READINGS = {
    "曾": "zeng", "单": "shan", "解": "xie", "仇": "qiu", "区": "ou", "朴": "piao", "查": "zha", "覃": "qin",
    "乐": "yue", "缪": "miao", "盖": "ge", "种": "chong", "召": "shao", "秘": "bi", "繁": "po", "员": "yun",
    "翟": "zhai", "薄": "bo", "都": "du", "藏": "zang",
}


def pinyin_keys(text: str) -> tuple[str, str]:
    """(full pinyin, initials) of a name in lower case: 张三 -> ('zhangsan', 'zs'), 曾志强 -> (.., 'zzq').

    Non-Chinese characters are kept as they are."""
    if not text:
        return "", ""
    from pypinyin import Style, lazy_pinyin  # its dictionaries take ~0.15 s to load: not at start-up

    syllables = lazy_pinyin(text, style=Style.NORMAL, errors=lambda s: list(s))  # type: ignore[arg-type,return-value]  # pypinyin accepts a list
    if len(text) > 1 and text[0] in SURNAME_READINGS and syllables:
        syllables[0] = SURNAME_READINGS[text[0]]
    full = "".join(syllables).lower()
    initials = "".join(s[0] for s in syllables if s).lower()
    return full, initials
