"""File names that came from elsewhere (a received attachment record, an imported list): the rules
a name must meet before the program writes a file under it, on Windows as on Linux."""

from __future__ import annotations

import re

MAX_NAME = 200
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_WINDOWS_FORBIDDEN = set('<>:"/\\|?*')
_DEVICES = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}


def file_name_problem(name: str) -> str | None:
    """Why ``name`` cannot be used as a file name (in Chinese), or None when it can."""
    if not isinstance(name, str) or not name:
        return "文件名为空"
    if len(name) > MAX_NAME:
        return f"文件名超过 {MAX_NAME} 个字符"
    if name in (".", ".."):
        return "文件名不能是“.”或“..”"
    if _CONTROL.search(name):
        return "文件名含有控制字符或不可见字符"
    bad = sorted(set(name) & _WINDOWS_FORBIDDEN)
    if bad:
        return f"文件名含有不允许的字符“{''.join(bad)}”"
    if name[-1] in ". ":
        return "文件名不能以点或空格结尾"
    stem = name.split(".", 1)[0].rstrip(" ").upper()
    if stem in _DEVICES:
        return f"“{name}”是 Windows 的设备名，不能用作文件名"
    return None
