"""Records are written by their owner only (DESIGN.md §2): town data is read-only at the city, city
data (the roster of city-level deputies, shared lists) read-only in a town. Sync never has to merge
two edits because of this rule. Services check it here to name the owner in their message; the flush
hook in store/db.py refuses any ORM change of a foreign record as a safety net for every other path."""

from __future__ import annotations

from sqlalchemy import select, text

from congress_desktop.core.context import Context
from congress_desktop.core.errors import ReadOnlyRecord
from congress_desktop.core.store.models_sync import SyncPeer


def office_name(ctx: Context, code: str) -> str:
    """A readable name for an office code: this office, an enrolled peer, or the code itself."""
    if ctx.office and code == ctx.office.code:
        return ctx.office.name
    with ctx.store.session() as s:
        name = s.scalars(select(SyncPeer.name).where(SyncPeer.code == code).order_by(SyncPeer.id.desc())).first()
    return name or (f"区划代码 {code} 的单位" if code else "其他单位")


def is_owned(ctx: Context, owner_code: str | None) -> bool:
    office = ctx.office
    return not owner_code or office is None or owner_code == office.code


def ensure_owned(ctx: Context, row) -> None:
    """Refuse to change a record (ORM row or anything with ``owner_code``) owned by another office."""
    owner = getattr(row, "owner_code", None)
    if not is_owned(ctx, owner):
        raise ReadOnlyRecord(f"该记录属于{office_name(ctx, owner or '')}，只能查看，不能修改或删除")


def record_owners(ctx: Context, table: str = "deputy") -> list[tuple[str, str]]:
    """(owner code, office name) of the records in a synced table, this office first: the choices of
    a list's 「单位」 filter (the city sees each town; a town sees itself and the city)."""
    from congress_desktop.core.store.schema import synced_table_names

    if table not in synced_table_names():
        return []
    with ctx.store.session() as s:
        codes: list[str] = [str(c) for (c,) in s.execute(text(f'SELECT DISTINCT owner_code FROM "{table}" WHERE deleted = 0'))]
    own = ctx.office.code if ctx.office else ""
    codes.sort(key=lambda c: (c != own, c))
    return [(c, office_name(ctx, c)) for c in codes if c]
