"""检查数据 · 内容: every stored value against the rules of its column (sync/content.py), the same
rules a received sync record meets before it is written. A value that breaks them (a record received
before these checks existed, a file edited by hand) can make every list that shows it fail; ``check``
names each such record, and ``hold_received`` puts the received ones aside as 待核查: the record as it
was is kept in the 核查隔离的记录 list (nothing is lost), and the record itself is marked deleted here
with its unreadable fields set to a safe value, so every list opens again. The next package of its
owner with a newer version writes it back whole."""

from __future__ import annotations

import datetime as dt
import json
import logging
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from congress_desktop.sync.content import table_rules

log = logging.getLogger(__name__)

CHUNK = 20_000
MAX_SHOWN = 50        # problems named in the report (the count is exact)
HELD_REASON = "本机保存的内容无法识别（检查数据时发现），已转为待核查"


@dataclass(frozen=True)
class BadValue:
    table: str
    record_id: str
    owner: str
    column: str
    reason: str
    label: str


def find_bad_values(db: Path, *, cancel=lambda: False) -> list[BadValue]:
    """Every stored value that breaks its column's rule, in table order (read-only)."""
    from congress_desktop.core.store import schema  # noqa: F401  (every model registered)
    from congress_desktop.core.store.models import Base
    from congress_desktop.sync.checks import label

    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
    out: list[BadValue] = []
    try:
        present = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        for table in Base.metadata.sorted_tables:
            if table.name not in present or "id" not in table.c or "owner_code" not in table.c:
                continue  # local bookkeeping (keys, settings): not records anyone reads as a list
            stored = [r[1] for r in con.execute(f'PRAGMA table_info("{table.name}")')]
            rules = [r for r in table_rules(table) if r.column in stored]
            names = [r.column for r in rules]
            cols = ", ".join(f'"{c}"' for c in names)
            last = 0
            while True:
                if cancel():
                    return out
                rows = con.execute(f'SELECT rowid, {cols} FROM "{table.name}" WHERE rowid > ? ORDER BY rowid '
                                   f"LIMIT {CHUNK}", (last,)).fetchall()
                if not rows:
                    break
                last = rows[-1][0]
                for k, rule in enumerate(rules, 1):
                    values = [r[k] for r in rows]
                    if rule.kind == "str" and not all(v is None or isinstance(v, str) for v in values):
                        # SQLite stores what it is given: a number in a text column is not a date either
                        values = [v if v is None or isinstance(v, str) else repr(v) for v in values]
                    while values:
                        p = rule.first_problem(values)
                        if p is None:
                            break
                        row = rows[len(rows) - len(values) + p.index]
                        data = dict(zip(names, row[1:], strict=True))
                        out.append(BadValue(table.name, str(data.get("id", "")), str(data.get("owner_code", "")),
                                            rule.column, p.reason, label(data)))
                        values = values[p.index + 1:]
    finally:
        con.close()
    return out


_PLACEHOLDERS = {"date": "1970-01-01", "month|date": "1970-01", "time": "00:00", "json": "{}", "levels": "town",
                 "isotime": "1970-01-01T00:00:00"}


def _safe(table, column: str):
    """A value its rule accepts, for a field whose stored value cannot be read (the original stays in
    the quarantine row): the column's default, else a placeholder of its format."""
    from congress_desktop.sync.content import column_rule

    col = table.c[column]
    rule = column_rule(table, column)
    d = col.default
    candidates = []
    if d is not None and getattr(d, "is_scalar", False):
        candidates.append(int(d.arg) if isinstance(d.arg, bool) else d.arg)
    if rule.fmt == "datetime":
        candidates.append(dt.datetime.now(dt.UTC).replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f"))
    candidates += [_PLACEHOLDERS.get(rule.fmt.rstrip("?"))] if rule.fmt else []
    if rule.choices:
        candidates.append(sorted(rule.choices)[0])
    candidates += [None if col.nullable else "", 0]
    for value in candidates:
        if (value is not None or col.nullable) and rule.first_problem([value]) is None:
            return value
    return None if col.nullable else ""


def hold_received(engine, office_code: str, bad: list[BadValue]) -> int:
    """Put every received record among ``bad`` aside as 待核查 (one transaction). Returns how many."""
    from congress_desktop.core.store.models import Base, utcnow

    by_record: dict[tuple[str, str], list[str]] = {}
    for b in bad:
        if b.owner and b.owner != office_code and b.record_id:
            by_record.setdefault((b.table, b.record_id), []).append(b.column)
    if not by_record:
        return 0
    with engine.begin() as conn:
        held = {(t, r) for t, r in conn.exec_driver_sql(
            "SELECT table_name, record_id FROM sync_quarantine WHERE resolved = 0 AND reason LIKE ?",
            (HELD_REASON + "%",))}
        for (table_name, rid), columns in by_record.items():
            if (table_name, rid) in held:
                continue  # put aside already (its fields made readable): not twice
            table = Base.metadata.tables[table_name]
            names = [c.name for c in table.columns]
            row = conn.exec_driver_sql(f'SELECT {", ".join(chr(34) + n + chr(34) for n in names)} FROM "{table_name}" '
                                       "WHERE id = ?", (rid,)).first()
            if row is None:
                continue
            raw = {n: (v.hex() if isinstance(v, bytes) else v) for n, v in zip(names, row, strict=True)}
            conn.exec_driver_sql(
                "INSERT INTO sync_quarantine (package_id, sender, table_name, record_id, version, reason, local_row, "
                "incoming_row, at, resolved) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0)",
                ("", raw.get("owner_code", ""), table_name, rid, raw.get("version") or 0,
                 f"{HELD_REASON}：{'、'.join(sorted(set(columns)))}",
                 json.dumps(raw, ensure_ascii=False, default=str), "{}", utcnow().isoformat(sep=" ")))
            sets = {c: _safe(table, c) for c in set(columns)}
            if "deleted" in names:
                sets["deleted"] = 1
            # version 0: whatever its owner sends next, even the very same version again, replaces it
            sets["version"] = 0
            conn.exec_driver_sql(f'UPDATE "{table_name}" SET {", ".join(chr(34) + c + chr(34) + " = ?" for c in sets)} '
                                 "WHERE id = ?", (*sets.values(), rid))
            log.warning("held %s %s as 待核查 (%s)", table_name, rid, ", ".join(columns))
    return len(by_record)


def hold_bad_received(ctx) -> int:
    """The window's 转为待核查 and ``check --hold``: every received record whose stored content cannot
    be read is put aside (see the module's text). Returns how many records."""
    office = ctx.require_office()
    return hold_received(ctx.store.engine, office.code, find_bad_values(ctx.db_path))
