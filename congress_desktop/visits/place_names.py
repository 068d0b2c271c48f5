"""How a visit's place reads: a contact point's name or 「网格：黄家村 · 第一网格」 (grids are another
area's table, read by name so neither area imports the other)."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

from congress_desktop.core.store.models import ContactPoint
from congress_desktop.core.store.models_visits import Visit


def _grid_table(s: Session) -> bool:
    """Grids are another module's table, read by name so neither module imports the other."""
    return bool(s.execute(text("SELECT 1 FROM sqlite_master WHERE type='table' AND name='grid'")).first()) \
        if s.get_bind().dialect.name == "sqlite" else False


def grid_labels(s: Session) -> dict[str, tuple[str, str | None]]:
    """grid id -> (label 「黄家村 · 第一网格」, village id)."""
    if not _grid_table(s):
        return {}
    rows = s.execute(text("SELECT g.id, g.name, g.village_id, v.name FROM grid g LEFT JOIN village v "
                          "ON v.id = g.village_id WHERE g.deleted = 0 ORDER BY v.code, g.code")).all()
    out: dict[str, tuple[str, str | None]] = {}
    for gid, name, vid, vname in rows:
        out[str(gid)] = (f"{vname} · {name}" if vname else str(name), None if vid is None else str(vid))
    return out



def place_label(s: Session, v: Visit) -> str:
    if v.contact_point_id:
        p = s.get(ContactPoint, v.contact_point_id)
        return p.name if p else "（已删除的站点）"
    if v.grid_id:
        g = grid_labels(s).get(v.grid_id)
        return f"网格：{g[0]}" if g else "（网格）"
    return v.place_text
