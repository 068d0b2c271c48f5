"""Villages and communities (村/社区) of the town."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import func, select

from congress_desktop.core.context import Context
from congress_desktop.core.errors import Exists, FieldErrors
from congress_desktop.core.ownership import ensure_owned
from congress_desktop.core.regioncode import RegionCodeError, validate_village_code
from congress_desktop.core.store.access import get_live
from congress_desktop.core.store.models import Deputy, Village
from congress_desktop.core.text import clean
from congress_desktop.deputies.rules import IN_OFFICE


@dataclass(frozen=True)
class VillageRow:
    id: str
    code: str
    name: str
    kind: str
    households: int
    population: int
    note: str
    deputies: int = 0


def _row(v: Village, deputies: int = 0) -> VillageRow:
    return VillageRow(v.id, v.code, v.name, v.kind, v.households, v.population, v.note, deputies)


def list_villages(ctx: Context) -> list[VillageRow]:
    with ctx.store.session() as s:
        counts = dict(s.execute(
            select(Deputy.village_id, func.count()).where(Deputy.deleted.is_(False), Deputy.status == IN_OFFICE)
            .group_by(Deputy.village_id)).all())
        rows = s.scalars(select(Village).where(Village.deleted.is_(False)).order_by(Village.code)).all()
        return [_row(v, counts.get(v.id, 0)) for v in rows]


def village_key(name: str) -> str:
    """What two spellings of one village share: 黄家村委会 / 黄家村村民委员会 / 黄家村 -> 黄家."""
    t = clean(name).replace(" ", "")
    t = re.sub(r"(村民委员会|居民委员会|村委会|居委会|社区居委会)$", "", t)
    t = re.sub(r"(村|社区)$", "", t)
    return t


def find_village_ids(ctx: Context) -> dict[str, str]:
    """Lookup used by imports: village key, full name and code -> id."""
    out: dict[str, str] = {}
    for v in list_villages(ctx):
        out[v.code] = v.id
        out[v.name] = v.id
        out[village_key(v.name)] = v.id
    return out


def save_village(ctx: Context, raw: dict, village_id: str | None = None) -> VillageRow:
    errors: dict[str, str] = {}
    name = clean(raw.get("name"))
    if not name:
        errors["name"] = "村(社区)名称不能为空"
    code = ""
    try:
        office = ctx.require_office()
        rc = validate_village_code(raw.get("code"), office.code if office.role == "town" else None)
        code = rc.code
        kind = "社区" if rc.kind == "居委会" else "村"
    except RegionCodeError as e:
        errors["code"] = str(e)
        kind = "村"
    numbers = {}
    for key, label in (("households", "户数"), ("population", "人口")):
        text = clean(raw.get(key)) or "0"
        if not text.isdigit():
            errors[key] = f"{label}应为非负整数"
        else:
            numbers[key] = int(text)
    if errors:
        raise FieldErrors(errors)
    with ctx.store.session() as s:
        clash = s.scalars(select(Village).where(Village.code == code, Village.deleted.is_(False),
                                                Village.id != (village_id or ""))).first()
        if clash:
            raise Exists(f"区划代码 {code} 已被“{clash.name}”使用", field="code")
        if village_id:
            v = get_live(s, Village, village_id, "村(社区)")
            ensure_owned(ctx, v)
        else:
            v = Village()
            s.add(v)
        v.code, v.name, v.kind, v.note = code, name, kind, clean(raw.get("note"))
        v.households, v.population = numbers["households"], numbers["population"]
        s.flush()
        return _row(v)


def delete_village(ctx: Context, village_id: str) -> None:
    with ctx.store.session() as s:
        v = get_live(s, Village, village_id, "村(社区)")
        ensure_owned(ctx, v)
        used = s.scalar(select(func.count()).select_from(Deputy).where(
            Deputy.village_id == village_id, Deputy.deleted.is_(False)))
        if used:
            raise Exists(f"“{v.name}”还有 {used} 名代表，不能删除；请先调整这些代表的所在村(社区)")
        v.deleted = True
