"""Contact points (联系站点): 代表之家, 代表联络站, 村(社区)代表联系点, 接待室, with stationed deputies."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from congress_desktop.core.context import Context
from congress_desktop.core.errors import FieldErrors, InvalidInput
from congress_desktop.core.ownership import ensure_owned
from congress_desktop.core.phone import PhoneError, normalise_phone
from congress_desktop.core.store.access import get_live
from congress_desktop.core.store.models import ContactPoint, ContactPointDeputy, Deputy, Village
from congress_desktop.core.text import clean, clean_name
from congress_desktop.places.rules import CONTACT_POINT_KINDS

KINDS = CONTACT_POINT_KINDS


@dataclass(frozen=True)
class ContactPointRow:
    id: str
    name: str
    kind: str
    parent_id: str | None
    parent_name: str
    village_id: str | None
    village_name: str
    address: str
    head_name: str
    head_phone: str
    liaison_name: str
    liaison_phone: str
    reception_rule: str
    note: str
    deputy_ids: tuple[str, ...]
    deputy_names: tuple[str, ...]

    def as_form(self) -> dict:
        return {k: getattr(self, k) for k in (
            "name", "kind", "parent_id", "village_id", "address", "head_name", "head_phone",
            "liaison_name", "liaison_phone", "reception_rule", "note")} | {"deputy_ids": list(self.deputy_ids)}


def _rows(s, points: list[ContactPoint]) -> list[ContactPointRow]:
    ids = [p.id for p in points]
    stationed: dict[str, list[tuple[str, str]]] = {i: [] for i in ids}
    if ids:
        q = (select(ContactPointDeputy.contact_point_id, Deputy.id, Deputy.name)
             .join(Deputy, Deputy.id == ContactPointDeputy.deputy_id)
             .where(ContactPointDeputy.contact_point_id.in_(ids), ContactPointDeputy.deleted.is_(False),
                    Deputy.deleted.is_(False)).order_by(Deputy.name_pinyin))
        for cp_id, d_id, d_name in s.execute(q):
            stationed[cp_id].append((d_id, d_name))
    names = {p.id: p.name for p in s.scalars(select(ContactPoint))}
    villages = {v.id: v.name for v in s.scalars(select(Village))}
    out = []
    for p in points:
        st = stationed[p.id]
        out.append(ContactPointRow(
            p.id, p.name, p.kind, p.parent_id, names.get(p.parent_id, "") if p.parent_id else "",
            p.village_id, villages.get(p.village_id, "") if p.village_id else "", p.address,
            p.head_name, p.head_phone, p.liaison_name, p.liaison_phone, p.reception_rule, p.note,
            tuple(i for i, _ in st), tuple(n for _, n in st)))
    return out


def list_contact_points(ctx: Context) -> list[ContactPointRow]:
    order = {k: i for i, k in enumerate(KINDS)}
    with ctx.store.session() as s:
        points = list(s.scalars(select(ContactPoint).where(ContactPoint.deleted.is_(False))))
        points.sort(key=lambda p: (order.get(p.kind, 9), p.name))
        return _rows(s, points)


def _check_point(raw: dict) -> tuple[str, str, dict[str, str]]:
    """(name, kind, phones) of a station as typed; FieldErrors naming each wrong field."""
    errors: dict[str, str] = {}
    name = clean(raw.get("name"))
    if not name:
        errors["name"] = "站点名称不能为空"
    kind = clean(raw.get("kind"))
    if kind not in KINDS:
        errors["kind"] = f"站点类型应为 {'、'.join(KINDS)} 之一"
    phones = {}
    for key, label in (("head_phone", "站长电话"), ("liaison_phone", "联络员电话")):
        try:
            phones[key] = normalise_phone(raw.get(key))
        except PhoneError as e:
            errors[key] = f"{label}：{e}"
    if kind == "代表联系点" and not raw.get("village_id"):
        errors["village_id"] = "村(社区)代表联系点须选择所在村(社区)"
    if errors:
        raise FieldErrors(errors)
    return name, kind, phones


def _check_links(s: Session, raw: dict, point_id: str | None) -> tuple[str | None, str | None]:
    """(parent id, village id): both must exist; a station is not its own parent."""
    parent_id = raw.get("parent_id") or None
    if parent_id:
        if parent_id == point_id:
            raise FieldErrors({"parent_id": "上级站点不能是它自己"})
        if s.get(ContactPoint, parent_id) is None:
            raise FieldErrors({"parent_id": "上级站点不存在"})
    village_id = raw.get("village_id") or None
    if village_id and s.get(Village, village_id) is None:
        raise FieldErrors({"village_id": "所选村(社区)不存在"})
    return parent_id, village_id


def save_contact_point(ctx: Context, raw: dict, point_id: str | None = None) -> ContactPointRow:
    name, kind, phones = _check_point(raw)
    with ctx.store.session() as s:
        if point_id:
            p = get_live(s, ContactPoint, point_id, "联系站点")
            ensure_owned(ctx, p)
        else:
            p = ContactPoint(name=name, kind=kind)
            s.add(p)
        parent_id, village_id = _check_links(s, raw, point_id)
        values = dict(name=name, kind=kind, parent_id=parent_id, village_id=village_id,
                      address=clean(raw.get("address")), head_name=clean_name(raw.get("head_name")),
                      liaison_name=clean_name(raw.get("liaison_name")),
                      reception_rule=clean(raw.get("reception_rule")), note=clean(raw.get("note")), **phones)
        for k, v in values.items():
            if getattr(p, k) != v:
                setattr(p, k, v)
        s.flush()
        if "deputy_ids" in raw:
            _set_stationed(s, p.id, list(dict.fromkeys(raw.get("deputy_ids") or [])))
        s.flush()
        return _rows(s, [p])[0]


def _set_stationed(s, point_id: str, deputy_ids: list[str]) -> None:
    existing = {r.deputy_id: r for r in s.scalars(
        select(ContactPointDeputy).where(ContactPointDeputy.contact_point_id == point_id))}
    for d_id in deputy_ids:
        d = s.get(Deputy, d_id)
        if d is None or d.deleted:
            raise InvalidInput("所选进站代表中有已删除的代表，请刷新后重选")
        link = existing.get(d_id)
        if link is None:
            s.add(ContactPointDeputy(contact_point_id=point_id, deputy_id=d_id))
        elif link.deleted:
            link.deleted = False
    for d_id, link in existing.items():
        if d_id not in deputy_ids and not link.deleted:
            link.deleted = True


def delete_contact_point(ctx: Context, point_id: str) -> None:
    with ctx.store.session() as s:
        p = get_live(s, ContactPoint, point_id, "联系站点")
        ensure_owned(ctx, p)
        children = s.scalars(select(ContactPoint).where(ContactPoint.parent_id == point_id,
                                                        ContactPoint.deleted.is_(False))).all()
        if children:
            raise InvalidInput(f"“{p.name}”下还有 {len(children)} 个站点，请先调整它们的上级站点")
        p.deleted = True
