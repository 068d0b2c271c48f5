"""File names that come from elsewhere (an attachment's original name, received in a sync package or
taken from a file the user picked): the rules a name must pass before it becomes a file on disk.

A name is one path component that is safe on Windows and Linux alike: no way out of its folder
(``..``, separators), nothing invisible or direction-changing that could disguise ``exe.pdf`` as
``pdf.exe``, nothing Windows refuses or maps to a device (``NUL.txt`` opens the null device)."""

from __future__ import annotations

import re

MAX_NAME = 200
FORBIDDEN = '<>:"/\\|?*'
# Windows device names, also with any extension ("NUL.txt", "com1.tar.gz") and trailing spaces
# before it ("CON .txt"); COM0/LPT0 and the superscript digits are devices too on current Windows.
_DEVICE = re.compile(r"(CON|PRN|AUX|NUL|CONIN\$|CONOUT\$|COM[0-9¹²³]|LPT[0-9¹²³])", re.IGNORECASE)
_BIDI = {*range(0x202A, 0x202F), *range(0x2066, 0x206A)}


def _control(ch: str) -> bool:
    o = ord(ch)
    return o < 0x20 or 0x7F <= o <= 0x9F or o in _BIDI


def file_name_problem(name: str) -> str | None:
    """Why ``name`` cannot be used as a file name (in Chinese), or None when it can."""
    if not isinstance(name, str) or name == "":
        return "文件名为空"
    if name in (".", ".."):
        return "文件名不能是“.”或“..”"
    if len(name) > MAX_NAME:
        return f"文件名超过 {MAX_NAME} 个字符"
    for ch in name:
        if _control(ch):
            return f"文件名含控制字符或文字方向控制符（U+{ord(ch):04X}）"
    if "/" in name or "\\" in name:
        return "文件名不能含路径分隔符（/ 或 \\）"
    for ch in name:
        if ch in FORBIDDEN:
            return f"文件名含 Windows 不允许的字符“{ch}”"
    if name[-1] in ". ":
        return "文件名不能以点或空格结尾"
    stem = name.split(".", 1)[0].rstrip(" ")
    if _DEVICE.fullmatch(stem):
        return f"“{stem}”是 Windows 的设备名，不能用作文件名"
    return None


def clean_file_name(name: str, fallback: str = "附件") -> str:
    """A name that passes ``file_name_problem``, as close to ``name`` as can be: forbidden and
    invisible characters become "_", trailing dots and spaces go, a device name gets a "_" in front,
    a long name is cut keeping its extension."""
    text = "".join("_" if _control(ch) or ch in FORBIDDEN else ch for ch in str(name or ""))
    text = text.rstrip(". ")
    if text in ("", ".", ".."):
        text = fallback
    stem = text.split(".", 1)[0].rstrip(" ")
    if _DEVICE.fullmatch(stem):
        text = "_" + text
    if len(text) > MAX_NAME:
        base, dot, ext = text.rpartition(".")
        if dot and base and 0 < len(ext) <= 16:
            text = base[:MAX_NAME - len(ext) - 1].rstrip(". ") + "." + ext
        else:
            text = text[:MAX_NAME].rstrip(". ")
        text = text or fallback
    return text
