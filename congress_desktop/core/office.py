"""Who this office is: set once at first start."""

from __future__ import annotations

from sqlalchemy import select

from congress_desktop.core.context import Context, OfficeInfo
from congress_desktop.core.errors import Exists, FieldErrors
from congress_desktop.core.regioncode import RegionCodeError, validate_office_code
from congress_desktop.core.store.models import Office, Setting
from congress_desktop.core.text import clean

ROLES = {"town": "乡镇（街道）人大", "city": "市人大常委会"}


def setup_office(ctx: Context, name: str, code: str, role: str, *, demo: bool = False) -> OfficeInfo:
    errors: dict[str, str] = {}
    name = clean(name)
    if not name:
        errors["name"] = "单位名称不能为空"
    elif len(name) > 60:
        errors["name"] = "单位名称过长"
    if role not in ROLES:
        errors["role"] = "角色应为 town（乡镇）或 city（市）"
    rc = None
    if role in ROLES:
        try:
            rc = validate_office_code(code, role)
        except RegionCodeError as e:
            errors["code"] = str(e)
    if errors:
        raise FieldErrors(errors)
    assert rc is not None
    with ctx.store.session() as s:
        if s.scalars(select(Office)).first() is not None:
            raise Exists("本数据库已设置单位信息，不能重复设置")
        s.add(Office(id=1, name=name, code=rc.code, role=role, demo=demo))
    ctx.reload_office()
    return ctx.require_office()


def get_setting(ctx: Context, key: str, default: str = "") -> str:
    with ctx.store.session() as s:
        row = s.get(Setting, key)
        return row.value if row else default


def set_setting(ctx: Context, key: str, value: str) -> None:
    with ctx.store.session() as s:
        row = s.get(Setting, key)
        if row:
            row.value = value
        else:
            s.add(Setting(key=key, value=value))
