"""Who changed what, when: read back from the change log every write appends to."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from sqlalchemy import select

from congress_desktop.core.context import Context
from congress_desktop.core.store.models import ChangeLog

ACTIONS = {"insert": "新建", "update": "修改", "delete": "删除"}


@dataclass(frozen=True)
class HistoryEntry:
    at: dt.datetime          # UTC
    user: str
    action: str              # insert / update / delete
    version: int
    changes: dict[str, tuple[object, object]]  # field -> (old, new)

    @property
    def action_label(self) -> str:
        return ACTIONS.get(self.action, self.action)

    @property
    def local_time(self) -> str:
        return self.at.replace(tzinfo=dt.UTC).astimezone().strftime("%Y-%m-%d %H:%M")


def record_history(ctx: Context, table: str, record_id: str) -> list[HistoryEntry]:
    """Every change of one record, oldest first."""
    with ctx.store.session() as s:
        rows = s.scalars(select(ChangeLog).where(ChangeLog.table_name == table, ChangeLog.record_id == record_id)
                         .order_by(ChangeLog.seq)).all()
        return [HistoryEntry(r.at, r.user, r.action, r.version,
                             {k: tuple(v) for k, v in json.loads(r.changes or "{}").items()}) for r in rows]


def describe_changes(entry: HistoryEntry, labels: dict[str, str]) -> str:
    """'工作单位及职务：“”→“黄家村书记”；…' for a history list."""
    parts = []
    for key, (old, new) in entry.changes.items():
        if key == "deleted":
            continue
        label = labels.get(key, key)
        if entry.action == "insert":
            parts.append(f"{label}：{new}")
        else:
            parts.append(f"{label}：“{old or ''}”→“{new or ''}”")
    return "；".join(parts)
