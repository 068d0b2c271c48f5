"""Handling units (承办单位): the departments and stations opinions are referred to, with a contact."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from congress_desktop.core.context import Context
from congress_desktop.core.errors import Exists, FieldErrors, InvalidInput
from congress_desktop.core.phone import PhoneError, normalise_phone
from congress_desktop.core.store.access import get_live
from congress_desktop.core.store.models_visits import HandlingUnit, Opinion
from congress_desktop.core.text import clean, clean_name
from congress_desktop.places.rules import UNIT_KINDS
from congress_desktop.visits.opinion_rules import CLOSED


@dataclass(frozen=True)
class UnitRow:
    id: str
    name: str
    kind: str
    contact_person: str
    phone: str
    address: str
    note: str
    active: bool
    open_count: int = 0    # opinions it holds that are not closed
    total_count: int = 0

    def as_form(self) -> dict:
        return {k: getattr(self, k) for k in ("name", "kind", "contact_person", "phone", "address", "note",
                                              "active")}


def _row(u: HandlingUnit, open_count: int = 0, total: int = 0) -> UnitRow:
    return UnitRow(u.id, u.name, u.kind, u.contact_person, u.phone, u.address, u.note, u.active,
                   open_count, total)


def list_units(ctx: Context, *, include_inactive: bool = True, counts: bool = False) -> list[UnitRow]:
    """The units, in use first; ``counts`` adds how many opinions each holds (reads every opinion:
    for the registry dialog, not for a choice list)."""
    with ctx.store.session() as s:
        held: dict[str, list[int]] = {}
        q = (select(Opinion.unit_id, Opinion.state == CLOSED, func.count())
             .where(Opinion.deleted.is_(False), Opinion.unit_id.is_not(None))
             .group_by(Opinion.unit_id, Opinion.state == CLOSED))
        for unit_id, closed, n in (s.execute(q) if counts else ()):
            c = held.setdefault(str(unit_id), [0, 0])
            c[1] += n
            if not closed:
                c[0] += n
        stmt = select(HandlingUnit).where(HandlingUnit.deleted.is_(False))
        if not include_inactive:
            stmt = stmt.where(HandlingUnit.active.is_(True))
        units = s.scalars(stmt).all()
        order = {k: i for i, k in enumerate(UNIT_KINDS)}
        rows = [_row(u, *held.get(u.id, [0, 0])) for u in units]
        rows.sort(key=lambda r: (not r.active, order.get(r.kind, 9), r.name))
        return rows


def get_unit(ctx: Context, unit_id: str) -> UnitRow:
    with ctx.store.session() as s:
        u = get_live(s, HandlingUnit, unit_id, "承办单位")
        return _row(u)


def save_unit(ctx: Context, raw: dict, unit_id: str | None = None) -> UnitRow:
    errors: dict[str, str] = {}
    name = clean(raw.get("name"))
    if not name:
        errors["name"] = "单位名称不能为空"
    elif len(name) > 100:
        errors["name"] = "单位名称过长"
    kind = clean(raw.get("kind"))
    if kind and kind not in UNIT_KINDS:
        errors["kind"] = f"单位类型应为 {'、'.join(UNIT_KINDS)} 之一"
    try:
        phone = normalise_phone(raw.get("phone"))
    except PhoneError as e:
        errors["phone"] = f"联系电话：{e}"
        phone = ""
    if errors:
        raise FieldErrors(errors)
    with ctx.store.session() as s:
        clash = s.scalars(select(HandlingUnit).where(HandlingUnit.name == name, HandlingUnit.deleted.is_(False),
                                                     HandlingUnit.id != (unit_id or ""))).first()
        if clash:
            raise Exists(f"已有名为“{name}”的承办单位", field="name")
        if unit_id:
            u = get_live(s, HandlingUnit, unit_id, "承办单位")
        else:
            u = HandlingUnit(name=name)
            s.add(u)
        values = dict(name=name, kind=kind, contact_person=clean_name(raw.get("contact_person")), phone=phone,
                      address=clean(raw.get("address")), note=clean(raw.get("note")),
                      active=bool(raw.get("active", True)))
        for k, v in values.items():
            if getattr(u, k) != v:
                setattr(u, k, v)
        s.flush()
        return _row(u)


def delete_unit(ctx: Context, unit_id: str) -> None:
    """Only a unit that never held an opinion; otherwise it is set inactive (停用) and kept."""
    with ctx.store.session() as s:
        u = get_live(s, HandlingUnit, unit_id, "承办单位")
        used = s.scalar(select(func.count()).select_from(Opinion).where(Opinion.unit_id == unit_id,
                                                                         Opinion.deleted.is_(False)))
        if used:
            raise InvalidInput(f"“{u.name}”承办过 {used} 件意见建议，不能删除；不再使用时请改为“停用”")
        u.deleted = True


def unit_key(name: str) -> str:
    return clean(name).replace(" ", "")


def find_unit_ids(ctx: Context) -> dict[str, str]:
    """Lookup for imports: name (spaces removed) -> id, active and inactive units alike."""
    return {unit_key(u.name): u.id for u in list_units(ctx)}


def seed_units(ctx: Context, names: list[tuple[str, str, str, str]]) -> list[UnitRow]:
    """(name, kind, contact, phone) rows, for the demo and tests."""
    return [save_unit(ctx, {"name": n, "kind": k, "contact_person": c, "phone": p}) for n, k, c, p in names]

