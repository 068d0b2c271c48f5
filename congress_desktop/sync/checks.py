"""Every received record is checked as strictly as a typed one, before anything is written
(sync/content.py holds the rules of each column); what we send is checked by the same rules, so a
bad value of ours is named at the export instead of refusing the whole package at the receiver."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import chain
from typing import TYPE_CHECKING, Any

from congress_desktop.sync.content import FORBIDDEN, ColumnRule, column_rule
from congress_desktop.sync.package import SyncError, TableData

if TYPE_CHECKING:
    from congress_desktop.sync.engine import SyncTable

IDENTITY = ("id", "owner_code", "version", "deleted")
LABEL_COLUMNS = ("name", "title", "content", "topic", "visit_date", "held_on", "record_date", "file_name")
TYPES_OK: dict[str, set[type]] = {
    "str": {str}, "int": {int}, "bool": {int}, "num": {int, float}, "bytes": {str},
    "any": {str, int, float},
}
NONE = type(None)


class ValueRefused(SyncError):
    """A value that breaks a column's rule: ``details`` name the table, record, label, column, reason."""


def check_columns(t: SyncTable, table: TableData) -> list[int]:
    """Positions of our carried columns in the package's column list (-1: absent, default applies)."""
    unknown = [c for c in table.columns if c not in t.columns]
    if unknown:
        raise SyncError(f"数据包中的“{t.name}”有本程序不认识的字段（{unknown[0]}）：对方的程序版本较新，"
                        "请先升级本程序再导入", "unknown_column")
    if any(c not in table.columns for c in IDENTITY):
        raise SyncError(f"数据包中的“{t.name}”缺少记录标识字段，已拒绝导入", "body")
    for c in t.columns:
        if c not in table.columns and required_column(t, c):
            raise ValueRefused(f"数据包中的“{t.name}”缺少必填字段“{c}”", "value", table=t.name, record="",
                               column=c, reason="缺少必填字段")
    return [table.columns.index(c) if c in table.columns else -1 for c in t.columns]


def _refuse(t: SyncTable, rows: list[list], positions: list[int], row: int, column: str, reason: str) -> ValueRefused:
    r = rows[row]
    rid = r[positions[t.index("id")]]
    rid = rid if isinstance(rid, str) and len(rid) <= 36 else ""
    shown = label({c: r[p] for c, p in zip(t.columns, positions, strict=True) if p >= 0})
    return ValueRefused(f"数据包中“{t.name}”的记录 {rid or '（无编号）'} 的字段“{column}”{reason}", "value",
                        table=t.name, record=rid, label=shown, column=column, reason=reason)


def _wrong_type(t: SyncTable, rows: list[list], positions: list[int], column: list, allowed: set,
                name: str) -> ValueRefused:
    i = next(i for i, v in enumerate(column) if type(v) not in allowed)
    return _refuse(t, rows, positions, i, name, "缺少取值" if column[i] is None else "取值的类型不对")


def check_values(t: SyncTable, positions: list[int], rows: list[list], sender: str) -> None:
    """Types, identity and content, column by column. The chunk is flattened once (``chain``, in C) and
    each column is a strided slice of it (``values[p::width]``, a pointer copy). Every row has the same
    width (checked by the reader). Only a failing column is walked row by row, to name the record."""
    width = len(rows[0]) if rows else 0
    if not width:
        return
    values = list(chain.from_iterable(rows))
    for name, kind, nullable, pos in zip(t.columns, t.kinds, t.nullable, positions, strict=True):
        if pos < 0:
            continue
        column = values[pos::width]
        allowed = TYPES_OK[kind] | ({NONE} if nullable else set())
        rule = _rule(t, name)
        distinct = None
        if rule.wants_distinct:
            try:
                distinct = set(column)  # the checks below run on the distinct values (in C where they can)
            except TypeError:  # a list or an object where a value belongs (unhashable)
                raise _wrong_type(t, rows, positions, column, allowed, name) from None
        if not set(map(type, distinct if distinct is not None else column)) <= allowed:
            raise _wrong_type(t, rows, positions, column, allowed, name)
        problem = rule.first_problem(column, distinct)
        if problem is not None:
            raise _refuse(t, rows, positions, problem.index, name, problem.reason)
    ids = values[positions[t.index("id")]::width]
    if set(map(len, ids)) != {36}:
        i = next(i for i, v in enumerate(ids) if len(v) != 36)
        raise _refuse(t, rows, positions, i, "id", "不是有效的记录编号")
    owners = values[positions[t.index("owner_code")]::width]
    if set(owners) != {sender}:
        raise SyncError(f"数据包中含有不属于发送单位的记录（表“{t.name}”），已拒绝导入", "owner")
    versions = values[positions[t.index("version")]::width]
    if min(versions) < 1:
        i = versions.index(min(versions))
        raise _refuse(t, rows, positions, i, "version", "版本号应为正整数")


def _rule(t: SyncTable, name: str) -> ColumnRule:
    return column_rule(t.table, name)


def check_outgoing(t: SyncTable, rows: Sequence[Sequence[Any]]) -> None:
    """The same rules on what we are about to send: a bad value of ours is named here, at the
    export, instead of refusing the whole package at the receiver."""
    if not rows:
        return
    positions = list(range(len(t.columns)))
    plain = [list(r) for r in rows]
    for name, i in zip(t.columns, positions, strict=True):
        problem = _rule(t, name).first_problem([r[i] for r in plain])
        if problem is not None:
            raise _refuse(t, plain, positions, problem.index, name, problem.reason)


def label(row: dict) -> str:
    """A few words that name a record for a person (its name, title, content or date)."""
    for c in LABEL_COLUMNS:
        v = row.get(c)
        if isinstance(v, str) and v.strip():
            v = FORBIDDEN.sub("", v.strip().replace("\n", " "))
            return v[:40] + ("…" if len(v) > 40 else "")
    return ""




def required_column(t: SyncTable, name: str) -> bool:
    """A column a received record must carry: no NULL, and no default to fill it in."""
    col = t.table.c[name]
    d = col.default
    return not col.nullable and not (d is not None and getattr(d, "is_scalar", False))
