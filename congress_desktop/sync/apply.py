"""Applying a received package's records, inside the caller's one transaction (DESIGN.md §3).

Every record is checked as strictly as a typed one before anything is written (sync/content.py:
types, dates, vocabularies, 64-bit integers, no control characters or lone surrogates, required
columns present); a bad value refuses the whole package, naming the table, the record and the field.

Which version wins (``Applier._decide``):
- the same epoch of the sender wrote what we hold (the usual case): newer version -> update; same
  version, same content -> nothing; same version, other content -> quarantine; older -> ignored;
- the package comes from the sender's current epoch, what we hold from an epoch it replaced (a
  restore at the sender, store/epochs.py): a record the sender changed since (``fresh``) replaces
  ours whatever the versions say, ours kept on file (quarantine, settled: 已被对方恢复备份后的修改取代);
  a record it did not change is compared by version, and where ours is newer we keep it and tell the
  sender (sync_kept_here: listed in every receipt);
- the package comes from an epoch the sender replaced (a stick found in a drawer after the restore):
  what we lack is added, and what the sender's current epoch wrote is never changed.

Rows of received records are written with plain SQL on the session's connection, which the ORM's
before_flush hook never sees: nothing lands in change_log."""

from __future__ import annotations

import json
import os
import sqlite3
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from operator import itemgetter
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Connection

from congress_desktop.core.errors import Cancelled
from congress_desktop.core.store.models import utcnow
from congress_desktop.sync import engine
from congress_desktop.sync.checks import LABEL_COLUMNS, check_columns, check_values, label
from congress_desktop.sync.engine import (
    DERIVED,
    OTHER_OWNER,
    SAME_VERSION,
    SyncTable,
    attachment_path,
    quoted,
)
from congress_desktop.sync.package import BodyReader, SyncError, TableData

SUPERSEDED = "对方恢复备份后重新修改了这条记录，已采用对方现在的内容（本机原来的内容留存备查）"
KEPT_LIST_MAX = 2000  # items of sync_kept_here named in one receipt (the count is always exact)
SQL_VARS = engine.SQL_VARS
CHUNK_ROWS = engine.CHUNK_ROWS

# Test seam: called before each chunk is written, inside the transaction (tests raise here to prove
# that a failure half-way applies nothing).
before_chunk: Callable[[str, int], None] | None = None


@dataclass
class Quarantined:
    table: str
    record_id: str
    version: int
    reason: str
    local_row: dict
    incoming_row: dict
    resolved: bool = False   # kept on file only (a superseded local version), nothing to decide


@dataclass
class Kept:
    table: str
    record_id: str
    version: int
    why: str       # only_here / newer_here / lost_there
    label: str


@dataclass
class ApplyResult:
    applied: int = 0
    unchanged: int = 0
    older: int = 0
    superseded: int = 0
    tables: dict[str, int] = field(default_factory=dict)  # table -> records written
    quarantine: list[Quarantined] = field(default_factory=list)
    kept: list[Kept] = field(default_factory=list)        # to list in sync_kept_here
    unkept: dict[str, list[str]] = field(default_factory=dict)  # table -> ids to drop from it
    attachments: int = 0

    @property
    def quarantined(self) -> int:
        return sum(1 for q in self.quarantine if not q.resolved)


@dataclass(frozen=True)
class Stream:
    """What the receiver knows of the package's place in the sender's history (sync/streams.py)."""
    sender: str
    epoch_id: int = 0          # SyncSeenEpoch.id of the package's epoch; 0: the sender's first epoch
    current_id: int = 0        # the same for the sender's current epoch
    stale: bool = False        # the package's epoch was replaced by a later one
    kept: bool = False         # sync_kept_here lists records of this sender
    full: bool = False         # the package carries every record the sender has (a first package)

    @property
    def track(self) -> bool:
        """Whether the epoch that wrote each record matters (only after a restore somewhere)."""
        return self.epoch_id != 0 or self.stale

    @property
    def after_restore(self) -> bool:
        return self.epoch_id != 0 and not self.stale


# ------------------------------------------------------------------ apply

class Applier:
    """One package's records, table by table, chunk by chunk, on ``conn`` (one transaction)."""

    def __init__(self, conn: Connection, reader: BodyReader, stream: Stream, data_dir: Path,
                 progress: Callable[[int], None], cancel: Callable[[], bool], bulk: engine.BulkLoad | None = None):
        self.conn = conn
        self.raw = cast(sqlite3.Connection, conn.connection.driver_connection)  # sqlite3 itself: lists as parameters, no wrapping
        self.reader = reader
        self.stream = stream
        self.data_dir = Path(data_dir)
        self.progress = progress
        self.cancel = cancel
        self.bulk = bulk
        self.result = ApplyResult()
        self.seen: dict[str, set[str]] = {}

    def run(self) -> ApplyResult:
        known = engine.table_map()
        by_name: dict[str, TableData] = {}
        for td in self.reader.manifest.tables:
            if td.name not in known:
                raise SyncError(f"数据包中含有本程序不认识的数据（{td.name}）：对方的程序版本较新，请先升级本程序再导入",
                                "unknown_table")
            by_name[td.name] = td
        # The package's one transaction opens here: sqlite3 would open it only at the first INSERT, and
        # a statement run before that (a SELECT, a DROP INDEX) in autocommit mode ends the flag below.
        if not self.raw.in_transaction:
            self.raw.execute("BEGIN")
        # Parents may arrive after children within a table (a contact point and its parent station):
        # foreign keys are checked once, at commit, for the whole package.
        self.conn.exec_driver_sql("PRAGMA defer_foreign_keys = ON")
        # a big package touches every index of its tables: a larger page cache for this connection keeps
        # the index pages in memory instead of spilling them to the WAL mid-transaction (2x at 1M rows)
        self.conn.exec_driver_sql(f"PRAGMA cache_size = {engine.IMPORT_CACHE_KIB}")
        page = self.conn.exec_driver_sql("PRAGMA page_size").scalar() or 4096
        self.conn.exec_driver_sql(f"PRAGMA wal_autocheckpoint = {engine.IMPORT_WAL_BYTES // page}")
        done = 0
        with engine.collector_paused():
            for t in engine.synced_tables():
                got = by_name.get(t.name)
                if got is None or got.rows == 0:
                    continue
                td = got
                positions = check_columns(t, td)
                if self.bulk is not None:
                    self.bulk.before_table(self.conn, t, td.rows)
                seen = self.seen.setdefault(t.name, set())
                table = _Table(self, t, td, positions, seen)
                for chunk_no, rows in enumerate(self.reader.table_rows(td, CHUNK_ROWS)):
                    if self.cancel():
                        raise Cancelled()
                    check_values(t, positions, rows, self.stream.sender)
                    if before_chunk is not None:
                        before_chunk(t.name, chunk_no)
                    table.apply(rows)
                    done += len(rows)
                    self.progress(done)
        if self.stream.full:
            self._only_here()
        self._attachments()
        return self.result

    def _only_here(self) -> None:
        """A package of the sender's new epoch that carries everything it has: what we hold of it and
        it does not (lost in its restore) stays here, and is listed for it."""
        for t in engine.synced_tables():
            seen = self.seen.get(t.name, set())
            labels = [c for c in LABEL_COLUMNS if c in t.columns]
            cols = ", ".join(quoted(c) for c in ("id", "version", *labels))
            for row in self.conn.exec_driver_sql(f"SELECT {cols} FROM {quoted(t.name)} WHERE owner_code = ? AND deleted = 0",
                                                 (self.stream.sender,)):
                if row[0] not in seen:
                    self.result.kept.append(Kept(t.name, row[0], row[1], "only_here",
                                                 label(dict(zip(labels, row[2:], strict=True)))))

    def _attachments(self) -> None:
        for sha in self.reader.manifest.attachments:
            if self.cancel():
                raise Cancelled()
            target = attachment_path(self.data_dir, sha)
            folder = target.parent
            folder.mkdir(parents=True, exist_ok=True)
            if not target.exists():
                fd, tmp = tempfile.mkstemp(prefix=f".{sha[:12]}.", suffix=".part", dir=folder)
                try:
                    with os.fdopen(fd, "wb") as f:
                        self.reader.copy_attachment(sha, f)
                        f.flush()
                        os.fsync(f.fileno())
                    os.replace(tmp, target)
                except BaseException:
                    Path(tmp).unlink(missing_ok=True)
                    raise
            self.result.attachments += 1


class _Table:
    """One table of the package: the statements, the column order, and the careful path."""

    def __init__(self, app: Applier, t: SyncTable, td: TableData, positions: list[int], seen: set[str]):
        self.app, self.t, self.td, self.positions, self.seen = app, t, td, positions, seen
        self.present = [i for i, p in enumerate(positions) if p >= 0]
        pick = [positions[i] for i in self.present]
        self.getter = None if pick == list(range(len(pick))) else itemgetter(*pick)
        self.binary = [k for k, i in enumerate(self.present) if t.kinds[i] == "bytes"]
        self.names = [t.columns[i] for i in self.present]
        self.id_i, self.ver_i, self.own_i = (self.names.index(n) for n in ("id", "version", "owner_code"))
        absent = [t.columns[i] for i, p in enumerate(positions) if p < 0]
        self.extra = tuple(v for _, v in t.local) + tuple(engine._insert_default(t.table.c[n]) for n in absent)
        all_names = self.names + [n for n, _ in t.local] + absent
        self.insert_sql = (f"INSERT INTO {quoted(t.name)} ({', '.join(quoted(c) for c in all_names)}) "
                           f"VALUES ({', '.join('?' * len(all_names))})")
        set_names = [n for n in self.names if n != "id"]
        self.update_sql = f"UPDATE {quoted(t.name)} SET {', '.join(f'{quoted(c)} = ?' for c in set_names)} WHERE id = ?"
        self.update_order = [self.names.index(n) for n in set_names]
        self.compare = [k for k, n in enumerate(self.names) if n not in DERIVED]
        self.fast = True

    def _incoming(self, rows: list[list]) -> list:
        # incoming rows rearranged into our column order (absent columns: skipped on update, default on insert)
        incoming: list[Any] = rows if self.getter is None else [self.getter(r) for r in rows]  # len(pick) >= 4: tuples
        if self.binary:
            incoming = [tuple(engine.decode_value(v, "bytes") if k in self.binary else v for k, v in enumerate(r))
                        for r in incoming]
        return incoming

    def apply(self, rows: list[list]) -> None:
        """Fast path first: most packages bring records the receiver has never seen, so try inserting
        the chunk as it is under a savepoint; any clash with an existing row (same id) rolls the
        savepoint back and the chunk, and the rest of this table, take the careful path."""
        t, res = self.t, self.app.result
        incoming = self._incoming(rows)
        ids = [r[self.id_i] for r in incoming]
        before = len(self.seen)
        self.seen.update(ids)  # one pass: a repeat within the chunk or of an earlier chunk adds less than len(ids)
        if len(self.seen) != before + len(ids):
            raise SyncError(f"数据包中“{t.name}”有重复的记录，已拒绝导入", "body")
        stream = self.app.stream
        if stream.kept and not stream.stale:
            res.unkept.setdefault(t.name, []).extend(ids)
        cur = self.app.raw.cursor()
        if self.fast:
            if not self.app.raw.in_transaction:
                cur.execute("BEGIN")  # a SAVEPOINT outside a transaction would commit on RELEASE
            cur.execute("SAVEPOINT sync_fast")
            try:
                cur.executemany(self.insert_sql, [(*r, *self.extra) for r in incoming] if self.extra else incoming)
            except sqlite3.IntegrityError:
                cur.execute("ROLLBACK TO sync_fast")
                cur.execute("RELEASE sync_fast")
                self.fast = False
            else:
                cur.execute("RELEASE sync_fast")
                self._written(cur, incoming, incoming)
                if stream.stale:
                    res.kept += [self._kept(r, "lost_there") for r in incoming]
                return
        self._careful(cur, incoming, ids)

    def _existing(self, ids: list[str]) -> tuple[dict[str, Any], dict[str, int]]:
        """The rows we hold of ``ids`` and, when epochs are tracked, the epoch that wrote each."""
        t, stream = self.t, self.app.stream
        existing: dict[str, Any] = {}
        epochs: dict[str, int] = {}
        select_cols = ", ".join(quoted(c) for c in self.names)
        for start in range(0, len(ids), SQL_VARS):
            part = ids[start:start + SQL_VARS]
            marks = ",".join("?" * len(part))
            for row in self.app.conn.exec_driver_sql(f"SELECT {select_cols} FROM {quoted(t.name)} WHERE id IN ({marks})",
                                                     tuple(part)):
                existing[row[self.id_i]] = row
            if stream.track:
                epochs.update(self.app.conn.exec_driver_sql(
                    f"SELECT record_id, epoch_id FROM sync_row_epoch WHERE table_name = ? AND record_id IN ({marks})",
                    (t.name, *part)).all())
        return existing, epochs

    def _careful(self, cur, incoming: list, ids: list[str]) -> None:
        res, stream = self.app.result, self.app.stream
        existing, epochs = self._existing(ids)
        inserts, updates, confirmed = [], [], []
        for r in incoming:
            old = existing.get(r[self.id_i])
            if old is None:
                inserts.append(r)
                continue
            if old[self.own_i] != r[self.own_i]:
                res.quarantine.append(self._q_item(r, old, OTHER_OWNER))
                continue
            verdict = self._decide(r, old, epochs.get(r[self.id_i], 0))
            if verdict == "update":
                updates.append(r)
            elif verdict == "supersede":
                updates.append(r)
                res.superseded += 1
                if not self._same(r, old):
                    res.quarantine.append(self._q_item(r, old, SUPERSEDED, resolved=True))
            elif verdict == "confirm":
                res.unchanged += 1
                confirmed.append(r)
            elif verdict == "unchanged":
                res.unchanged += 1
                if stream.after_restore:  # the sender's current epoch has it as we do: it owns it now
                    confirmed.append(r)
            elif verdict == "conflict":
                res.quarantine.append(self._q_item(r, old, SAME_VERSION))
            else:  # older: ours stays; after the sender's restore, it is told what we keep
                res.older += 1
                if stream.after_restore and verdict == "older":
                    res.kept.append(self._kept(old, "newer_here"))
        if inserts:
            cur.executemany(self.insert_sql, [(*r, *self.extra) for r in inserts] if self.extra else inserts)
        if updates:
            cur.executemany(self.update_sql, [[r[i] for i in self.update_order] + [r[self.id_i]] for r in updates])
        self._written(cur, inserts + updates, inserts + updates + confirmed)
        if stream.stale:
            res.kept += [self._kept(r, "lost_there") for r in inserts + updates]

    def _decide(self, r, old, loc: int) -> str:
        """What to do with a received record ``r`` where we hold ``old``, written by epoch ``loc``."""
        stream = self.app.stream
        inc = stream.epoch_id
        if loc != inc:
            if not stream.stale:  # ours is from an epoch the sender replaced
                if self.td.is_fresh(r[self.id_i]):
                    return "confirm" if tuple(r) == tuple(old) else "supersede"
            elif loc == stream.current_id:
                return "kept_current"  # a replaced epoch never changes what the current one wrote
        if r[self.ver_i] > old[self.ver_i]:
            return "update"
        if r[self.ver_i] == old[self.ver_i]:
            return "unchanged" if self._same(r, old) else "conflict"
        return "older"

    def _same(self, r, old) -> bool:
        return tuple(r) == tuple(old) or all(r[k] == old[k] for k in self.compare)

    def _written(self, cur, written: list, stamped: list) -> None:
        n = len(written)
        res = self.app.result
        res.applied += n
        if n:
            res.tables[self.t.name] = res.tables.get(self.t.name, 0) + n
        if self.app.stream.track and stamped:
            cur.executemany("INSERT OR REPLACE INTO sync_row_epoch (table_name, record_id, epoch_id) VALUES (?, ?, ?)",
                            [(self.t.name, r[self.id_i], self.app.stream.epoch_id) for r in stamped])

    def _kept(self, row, why: str) -> Kept:
        return Kept(self.t.name, row[self.id_i], row[self.ver_i], why, label(dict(zip(self.names, row, strict=True))))

    def _q_item(self, new, old, reason: str, *, resolved: bool = False) -> Quarantined:
        names = self.names
        return Quarantined(self.t.name, new[self.id_i], new[self.ver_i], reason,
                           {n: engine._plain(v) for n, v in zip(names, old, strict=True)},
                           {n: engine._plain(v) for n, v in zip(names, new, strict=True)}, resolved)


def write_kept(conn: Connection, sender: str, result: ApplyResult) -> None:
    """Keep sync_kept_here in step with what this package showed (inside its transaction)."""
    raw = cast(sqlite3.Connection, conn.connection.driver_connection)
    cur = raw.cursor()
    for table, ids in result.unkept.items():
        for start in range(0, len(ids), SQL_VARS):
            part = ids[start:start + SQL_VARS]
            cur.execute(f"DELETE FROM sync_kept_here WHERE sender = ? AND table_name = ? AND record_id IN "
                        f"({','.join('?' * len(part))})", (sender, table, *part))
    if result.kept:
        at = utcnow().isoformat(sep=" ")
        cur.executemany("INSERT OR REPLACE INTO sync_kept_here (sender, table_name, record_id, version, why, label, at) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?)",
                        [(sender, k.table, k.record_id, k.version, k.why, k.label[:120], at) for k in result.kept])


def kept_list(conn: Connection, sender: str) -> dict:
    """What a receipt to ``sender`` says we keep of its records: the exact count, the first items."""
    n = conn.exec_driver_sql("SELECT count(*) FROM sync_kept_here WHERE sender = ?", (sender,)).scalar() or 0
    rows = conn.exec_driver_sql("SELECT table_name, record_id, version, why, label FROM sync_kept_here WHERE sender = ? "
                                f"ORDER BY table_name, label, record_id LIMIT {KEPT_LIST_MAX}", (sender,)).all()
    return {"count": int(n), "items": [list(r) for r in rows]}


def dump_json(value) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)
