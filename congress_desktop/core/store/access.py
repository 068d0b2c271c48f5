"""The one way a service fetches a record the user named: missing and deleted read the same to them."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy.orm import Session

from congress_desktop.core.errors import NotFound

M = TypeVar("M")


def get_live(s: Session, model: type[M], key: Any, noun: str = "记录") -> M:
    """The row of ``model`` with primary key ``key``; NotFound 「该{noun}不存在或已删除」 when there is
    none or it carries a tombstone (``deleted``)."""
    row = s.get(model, key) if key is not None else None
    if row is None or getattr(row, "deleted", False):
        raise NotFound(f"该{noun}不存在或已删除")
    return row
