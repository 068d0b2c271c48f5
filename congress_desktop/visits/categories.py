"""Opinion categories (意见类别): the office's own list, seeded with the default one."""

from __future__ import annotations

from sqlalchemy import func, select

from congress_desktop.core.context import Context
from congress_desktop.core.errors import Exists, FieldErrors, InvalidInput
from congress_desktop.core.store.access import get_live
from congress_desktop.core.store.models_visits import Opinion, OpinionCategory
from congress_desktop.core.text import clean
from congress_desktop.visits.opinion_rules import DEFAULT_CATEGORIES
from congress_desktop.visits.rows import CategoryRow


def ensure_categories(ctx: Context) -> None:
    """Seed the default list (RECORDS.md) the first time categories are needed."""
    # this office's own list: the city's categories come down to the towns too, and a town that took
    # them for its own would point its opinions at records the city may lose in a restore
    owner = ctx.office.code if ctx.office else ""
    with ctx.store.session() as s:
        if s.scalar(select(func.count()).select_from(OpinionCategory).where(OpinionCategory.owner_code == owner)):
            return
        for i, (name, hint) in enumerate(DEFAULT_CATEGORIES):
            s.add(OpinionCategory(name=name, hint=hint, sort_order=(i + 1) * 10))


def list_categories(ctx: Context, *, include_inactive: bool = False) -> list[CategoryRow]:
    ensure_categories(ctx)
    with ctx.store.session() as s:
        stmt = select(OpinionCategory).where(OpinionCategory.deleted.is_(False))
        if not include_inactive:
            stmt = stmt.where(OpinionCategory.active.is_(True))
        rows = s.scalars(stmt.order_by(OpinionCategory.sort_order, OpinionCategory.name)).all()
        owner = ctx.office.code if ctx.office else ""
        own = {c.name for c in rows if c.owner_code == owner}
        # another office's category of the same name as one of ours: ours is the one to choose
        rows = [c for c in rows if c.owner_code == owner or c.name not in own]
        return [CategoryRow(c.id, c.name, c.hint, c.sort_order, c.active) for c in rows]


def save_category(ctx: Context, raw: dict, category_id: str | None = None) -> CategoryRow:
    name = clean(raw.get("name"))
    if not name:
        raise FieldErrors({"name": "类别名称不能为空"})
    if len(name) > 20:
        raise FieldErrors({"name": "类别名称不超过 20 个字"})
    ensure_categories(ctx)
    with ctx.store.session() as s:
        clash = s.scalars(select(OpinionCategory).where(OpinionCategory.name == name,
                                                        OpinionCategory.deleted.is_(False),
                                                        OpinionCategory.owner_code == ctx.store.owner_code,
                                                        OpinionCategory.id != (category_id or ""))).first()
        if clash:
            raise Exists(f"已有类别“{name}”", field="name")
        if category_id:
            c = get_live(s, OpinionCategory, category_id, "类别")
        else:
            top = s.scalar(select(func.max(OpinionCategory.sort_order))) or 0
            c = OpinionCategory(name=name, sort_order=top + 10)
            s.add(c)
        c.name, c.hint = name, clean(raw.get("hint"))
        if "sort_order" in raw and str(raw["sort_order"]).strip():
            c.sort_order = int(raw["sort_order"])
        c.active = bool(raw.get("active", True))
        s.flush()
        return CategoryRow(c.id, c.name, c.hint, c.sort_order, c.active)


def delete_category(ctx: Context, category_id: str) -> None:
    with ctx.store.session() as s:
        c = get_live(s, OpinionCategory, category_id, "类别")
        used = s.scalar(select(func.count()).select_from(Opinion).where(Opinion.category_id == category_id,
                                                                         Opinion.deleted.is_(False)))
        if used:
            raise InvalidInput(f"类别“{c.name}”下有 {used} 件意见建议，不能删除；不再使用时请改为“停用”")
        c.deleted = True


def find_category_ids(ctx: Context) -> dict[str, str]:
    out = {}
    for c in list_categories(ctx, include_inactive=True):
        out[c.name] = c.id
        out[c.label] = c.id
    return out
