"""Reading changes out of the database and applying received ones, for every synced table.

Generic over the models: every mapped class that inherits ``Synced`` is carried, found through the
mapper registry after ``store.schema`` imported every model module, and applied in foreign-key order
(``MetaData.sorted_tables``). A model adds a table and sync carries it with no change here.

Columns that only make sense in one database (a full-text rowid, say) are left out: a model lists
them in ``__sync_local__ = ("col", ...)`` or marks the column with ``info={"sync": "local"}``. On
arrival such a column gets its default (NULL when nullable) and an update leaves it alone.

Rows travel as the raw SQLite values (str, int, float, None; bytes as base64), in the order of the
manifest's column list, so what is compared and written is exactly what is stored.

Received rows are written with plain SQL on the session's connection, which the ORM's before_flush
hook never sees: nothing lands in change_log, so a town's records are not re-exported by the city as
if they were the city's own changes, and they keep their owner_code."""

from __future__ import annotations

import base64
import binascii
import gc
import json
import os
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import chain
from operator import itemgetter
from pathlib import Path

from sqlalchemy import Boolean, Connection, Date, DateTime, Float, Integer, LargeBinary, Numeric, Table
from sqlalchemy.schema import CreateIndex

from ..errors import Cancelled
from ..store import schema  # noqa: F401  (every model registered)
from ..store.models import Base, Synced
from .package import BodyReader, BodyWriter, SyncError, TableData

IDENTITY = ("id", "owner_code", "version", "deleted")
ATTACHMENT_TABLE = "attachment"
ATTACHMENT_FOLDER = "attachments"
SQL_VARS = 900
IMPORT_CACHE_KIB = -262144   # 256 MiB, while a package applies (see apply_body)
DEFAULT_CACHE_KIB = -2000
# WAL pages before SQLite copies them into the database file, while an import runs: a package touches
# index pages all over their trees, and checkpointing after every package copied the same pages again
# and again (a third of the commit time at 1,000,000 records); import_from checkpoints once at the end.
IMPORT_WAL_BYTES = 256 * 1024**2
DEFAULT_WAL_PAGES = 1000    # SQLite's default
CHUNK_ROWS = 5000
# Bulk load: when a package brings at least BULK_MIN_ROWS rows of a table and at least BULK_SHARE of
# the rows the table already holds (a city's first import of its towns, a re-import after a new PC),
# the table's non-unique indexes are dropped while the import writes and built again once at its end.
# Building an index sorts its keys once; keeping it meant inserting a million keys one by one at random
# places (names, pinyin): a fifth of a 1,000,000-record import (tests/bench/bench_sync.py). Unique
# indexes and keys stay: the import looks records up by id. Store.open() rebuilds what a crash left out.
BULK_MIN_ROWS = 20_000
BULK_SHARE = 0.5

# Search keys every office derives from the record itself (services keep them in step, the change-log
# hook ignores them): carried and written, but not compared when a version arrives a second time,
# so recomputing them here never turns a resend into a false conflict.
DERIVED = frozenset({"search_text", "name_pinyin", "name_initials"})
# the reasons a received record is held back (SyncQuarantine.reason)
SAME_VERSION = "版本号相同但内容不同"
OTHER_OWNER = "本机已有同一编号的记录，但属于其他单位"


@dataclass(frozen=True)
class SyncTable:
    name: str
    table: Table
    columns: tuple[str, ...]             # carried, in table order
    kinds: tuple[str, ...]               # str / int / bool / num / bytes / any, per carried column
    nullable: tuple[bool, ...]
    local: tuple[tuple[str, object], ...]  # local column -> value on insert

    def index(self, col: str) -> int:
        return self.columns.index(col)


def _kind(col) -> str:
    t = col.type
    if isinstance(t, Boolean):
        return "bool"
    if isinstance(t, Integer):
        return "int"
    if isinstance(t, (Float, Numeric)):
        return "num"
    if isinstance(t, LargeBinary):
        return "bytes"
    if isinstance(t, (DateTime, Date)):
        return "str"
    try:
        if t.python_type is str:
            return "str"
    except NotImplementedError:
        pass
    return "any"


def _insert_default(col) -> object:
    d = col.default
    if d is not None and getattr(d, "is_scalar", False):
        return d.arg
    if col.nullable:
        return None
    raise RuntimeError(f"local column {col.table.name}.{col.name} needs a scalar default or NULL")


@lru_cache(maxsize=1)
def synced_tables() -> tuple[SyncTable, ...]:
    """Every table whose model inherits ``Synced``, parents before children."""
    names: dict[str, set[str]] = {}
    for mapper in Base.registry.mappers:
        cls = mapper.class_
        if isinstance(cls, type) and issubclass(cls, Synced) and mapper.local_table is not None:
            local = set(getattr(cls, "__sync_local__", ()))
            names[mapper.local_table.name] = local
    out = []
    for table in Base.metadata.sorted_tables:
        if table.name not in names:
            continue
        local_names = names[table.name] | {
            c.name for c in table.columns if c.info.get("sync") == "local"}
        carried = [c for c in table.columns if c.name not in local_names]
        local = tuple((c.name, _insert_default(c)) for c in table.columns if c.name in local_names)
        out.append(SyncTable(table.name, table, tuple(c.name for c in carried), tuple(_kind(c) for c in carried),
                             tuple(bool(c.nullable) for c in carried), local))
    return tuple(out)


def table_map() -> dict[str, SyncTable]:
    return {t.name: t for t in synced_tables()}


def attachment_path(data_dir: Path, sha256: str) -> Path:
    """Where services/attachments.py keeps a file: ``attachments/ab/abcdef…``."""
    return Path(data_dir) / ATTACHMENT_FOLDER / sha256[:2] / sha256


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


# ------------------------------------------------------------------ export

def _encode(rows: list[tuple], kinds: tuple[str, ...]) -> Iterator[list]:
    binary = [i for i, k in enumerate(kinds) if k == "bytes"]
    for r in rows:
        if binary:
            r = list(r)
            for i in binary:
                if r[i] is not None:
                    r[i] = base64.b64encode(r[i]).decode("ascii")
            yield r
        else:
            yield list(r)


def changed_rows(conn: Connection, t: SyncTable, owner: str, seq_from: int, seq_to: int) -> list[tuple]:
    """Current rows of ``t`` owned by ``owner`` that changed in change_log (seq_from..seq_to)."""
    cols = ", ".join(_q(c) for c in t.columns)
    sql = (f"SELECT {cols} FROM {_q(t.name)} WHERE owner_code = ? AND id IN "
           f"(SELECT record_id FROM change_log WHERE table_name = ? AND seq BETWEEN ? AND ?) ORDER BY id")
    return conn.exec_driver_sql(sql, (owner, t.name, seq_from, seq_to)).fetchall()


@dataclass
class ExportCounts:
    tables: dict[str, int] = field(default_factory=dict)
    attachments: int = 0
    missing_attachments: int = 0

    @property
    def records(self) -> int:
        return sum(self.tables.values())


def write_body(conn: Connection, writer: BodyWriter, owner: str, seq_from: int, seq_to: int, data_dir: Path,
               progress: Callable[[int, int], None], cancel: Callable[[], bool]) -> ExportCounts:
    counts = ExportCounts()
    tables = synced_tables()
    for i, t in enumerate(tables):
        if cancel():
            raise Cancelled()
        rows = changed_rows(conn, t, owner, seq_from, seq_to) if seq_to >= seq_from else []
        if not rows:
            continue
        writer.add_table(t.name, list(t.columns), _encode(rows, t.kinds))
        counts.tables[t.name] = len(rows)
        if t.name == ATTACHMENT_TABLE and "sha256" in t.columns:
            sha_i = t.index("sha256")
            for r in rows:
                sha = r[sha_i]
                path = attachment_path(data_dir, str(sha))
                if isinstance(sha, str) and len(sha) == 64 and path.is_file():
                    writer.add_attachment(sha, path)
                    counts.attachments += 1
                else:
                    counts.missing_attachments += 1
        progress(i + 1, len(tables))
    return counts


# ------------------------------------------------------------------ import

@dataclass
class Quarantined:
    table: str
    record_id: str
    version: int
    reason: str
    local_row: dict
    incoming_row: dict


@dataclass
class ApplyResult:
    applied: int = 0
    unchanged: int = 0
    older: int = 0
    tables: dict[str, int] = field(default_factory=dict)  # table -> records written
    quarantine: list[Quarantined] = field(default_factory=list)
    attachments: int = 0

    @property
    def quarantined(self) -> int:
        return len(self.quarantine)


# Test seam: called before each chunk is written, inside the transaction (tests raise here to prove
# that a failure half-way applies nothing).
before_chunk: Callable[[str, int], None] | None = None

TYPES_OK = {
    "str": {str}, "int": {int}, "bool": {int}, "num": {int, float}, "bytes": {str},
    "any": {str, int, float},
}
NONE = type(None)


def _check_columns(t: SyncTable, table: TableData) -> list[int]:
    """Positions of our carried columns in the package's column list (-1: absent, default applies)."""
    unknown = [c for c in table.columns if c not in t.columns]
    if unknown:
        raise SyncError(f"数据包中的“{t.name}”有本程序不认识的字段（{unknown[0]}）：对方的程序版本较新，"
                        "请先升级本程序再导入", "unknown_column")
    if any(c not in table.columns for c in IDENTITY):
        raise SyncError(f"数据包中的“{t.name}”缺少记录标识字段，已拒绝导入", "body")
    return [table.columns.index(c) if c in table.columns else -1 for c in t.columns]


def _check_values(t: SyncTable, positions: list[int], rows: list[list], sender: str) -> None:
    """Types and identity fields, column by column. The chunk is flattened once (``chain``, in C) and
    each column is a strided slice of it (``values[p::width]``, a pointer copy): half the time of
    transposing it with ``zip(*rows)``. Every row has the same width (checked by table_rows)."""
    bad = f"数据包中“{t.name}”的字段“{{}}”取值不对，已拒绝导入"
    width = len(rows[0]) if rows else 0
    if not width:
        return
    values = list(chain.from_iterable(rows))

    def col(name: str) -> list:
        return values[positions[t.index(name)]::width]

    for name, kind, nullable, pos in zip(t.columns, t.kinds, t.nullable, positions, strict=True):
        if pos < 0:
            continue
        allowed = TYPES_OK[kind] | ({NONE} if nullable else set())
        column = values[pos::width]
        if not set(map(type, column)) <= allowed:
            raise SyncError(bad.format(name), "body")
        if kind == "bool" and not set(column) <= {0, 1, None}:
            raise SyncError(bad.format(name), "body")
    # no per-value length check: a value is bounded by its table file, itself bounded (package.py)
    if set(map(len, col("id"))) != {36}:
        raise SyncError(bad.format("id"), "body")
    if set(col("owner_code")) != {sender}:
        raise SyncError(f"数据包中含有不属于发送单位的记录（表“{t.name}”），已拒绝导入", "owner")
    if min(col("version")) < 1:
        raise SyncError(bad.format("version"), "body")


def _decode(value, kind: str):
    if kind == "bytes" and value is not None:
        try:
            return base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError) as e:
            raise SyncError("数据包中有无法解码的二进制字段，已拒绝导入", "body") from e
    return value


def apply_body(conn: Connection, reader: BodyReader, sender: str, data_dir: Path,
               progress: Callable[[int], None], cancel: Callable[[], bool],
               bulk: BulkLoad | None = None) -> ApplyResult:
    """Apply every table of the package on ``conn`` (inside the caller's one transaction).

    newer version -> insert or update; same version, same content -> nothing; same version, other
    content -> quarantine; older -> ignored; a local row owned by another office -> quarantine."""
    known = table_map()
    by_name: dict[str, TableData] = {}
    for td in reader.manifest.tables:
        if td.name not in known:
            raise SyncError(f"数据包中含有本程序不认识的数据（{td.name}）：对方的程序版本较新，请先升级本程序再导入",
                            "unknown_table")
        by_name[td.name] = td
    # The package's one transaction opens here: sqlite3 would open it only at the first INSERT, and
    # a statement run before that (a SELECT, a DROP INDEX) in autocommit mode ends the flag below.
    raw = conn.connection.driver_connection
    if not raw.in_transaction:
        raw.execute("BEGIN")
    # Parents may arrive after children within a table (a contact point and its parent station):
    # foreign keys are checked once, at commit, for the whole package.
    conn.exec_driver_sql("PRAGMA defer_foreign_keys = ON")
    # a big package touches every index of its tables: a larger page cache for this connection keeps
    # the index pages in memory instead of spilling them to the WAL mid-transaction (2x at 1M rows)
    conn.exec_driver_sql(f"PRAGMA cache_size = {IMPORT_CACHE_KIB}")
    page = conn.exec_driver_sql("PRAGMA page_size").scalar() or 4096
    conn.exec_driver_sql(f"PRAGMA wal_autocheckpoint = {IMPORT_WAL_BYTES // page}")
    result = ApplyResult()
    done = 0
    with _collector_paused():
        for t in synced_tables():
            td = by_name.get(t.name)
            if td is None or td.rows == 0:
                continue
            positions = _check_columns(t, td)
            if bulk is not None:
                bulk.before_table(conn, t, td.rows)
            seen: set[str] = set()
            mode = {"fast": True}
            for chunk_no, rows in enumerate(reader.table_rows(td, CHUNK_ROWS)):
                if cancel():
                    raise Cancelled()
                _check_values(t, positions, rows, sender)
                if before_chunk is not None:
                    before_chunk(t.name, chunk_no)
                _apply_chunk(conn, t, positions, rows, seen, result, mode)
                done += len(rows)
                progress(done)
    if reader.manifest.attachments:
        for sha in reader.manifest.attachments:
            if cancel():
                raise Cancelled()
            data = reader.attachment(sha)
            target = attachment_path(data_dir, sha)
            folder = target.parent
            folder.mkdir(parents=True, exist_ok=True)
            if not target.exists():
                tmp = folder / f".{sha}.part"
                with open(tmp, "wb") as f:
                    f.write(data)
                    f.flush()
                    os.fsync(f.fileno())
                os.replace(tmp, target)
            result.attachments += 1
    return result


@dataclass
class BulkLoad:
    """The tables of one import whose non-unique indexes were dropped (see BULK_MIN_ROWS)."""
    tables: set[str] = field(default_factory=set)

    def before_table(self, conn: Connection, t: SyncTable, incoming: int) -> None:
        if t.name in self.tables or incoming < BULK_MIN_ROWS:
            return
        # max(rowid) for the row count: instant, and never below it
        held = conn.exec_driver_sql(f"SELECT max(rowid) FROM {_q(t.name)}").scalar() or 0
        if incoming < held * BULK_SHARE:
            return
        present = {r[0] for r in conn.exec_driver_sql(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ?", (t.name,))}
        # inside the package's transaction (apply_body opened it): a refused package brings them back
        for ix in secondary_indexes(t.table):
            if ix.name in present:
                conn.exec_driver_sql(f"DROP INDEX {_q(ix.name)}")
        self.tables.add(t.name)

    def rebuild(self, conn: Connection) -> None:
        """Build again every index dropped (each CREATE INDEX is atomic; those already there are left alone)."""
        for name in sorted(self.tables):
            for ix in secondary_indexes(Base.metadata.tables[name]):
                conn.execute(CreateIndex(ix, if_not_exists=True))
        self.tables.clear()


def secondary_indexes(table: Table) -> list:
    return sorted((ix for ix in table.indexes if not ix.unique), key=lambda ix: ix.name)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off while the rows of a package are parsed and written.

    Parsing makes a list per record and every allocation counts toward a collection, which walks
    all the lists still alive (a chunk of 5,000): half the JSON time of a 1,000,000-record import
    went there. Nothing here makes a reference cycle (rows are lists of str/int/float/None), and
    reference counting frees each chunk as the next arrives, so memory stays as it was."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _apply_chunk(conn: Connection, t: SyncTable, positions: list[int], rows: list[list], seen: set[str],
                 result: ApplyResult, mode: dict) -> None:
    """One chunk of one table. Fast path first: most packages bring records the receiver has never
    seen, so try inserting the chunk as it is under a savepoint; any clash with an existing row (same
    id) rolls the savepoint back and the chunk, and the rest of this table, take the careful path:
    look up what exists and compare versions row by row."""
    cols = t.columns
    present = [i for i, p in enumerate(positions) if p >= 0]
    # incoming rows rearranged into our column order (absent columns: skipped on update, default on insert)
    pick = [positions[i] for i in present]
    if pick == list(range(len(pick))):
        incoming = rows  # lists from json, already in our column order (the usual case: same program)
    else:
        getter = itemgetter(*pick)
        incoming = [getter(r) for r in rows]  # len(pick) >= 4: itemgetter gives tuples
    binary = [k for k, i in enumerate(present) if t.kinds[i] == "bytes"]
    if binary:
        incoming = [tuple(_decode(v, "bytes") if k in binary else v for k, v in enumerate(r)) for r in incoming]
    names = [cols[i] for i in present]
    id_i, ver_i, own_i = names.index("id"), names.index("version"), names.index("owner_code")
    ids = [r[id_i] for r in incoming]
    before = len(seen)
    seen.update(ids)  # one pass: a repeat within the chunk or of an earlier chunk adds less than len(ids)
    if len(seen) != before + len(ids):
        raise SyncError(f"数据包中“{t.name}”有重复的记录，已拒绝导入", "body")
    local_names = [n for n, _ in t.local]
    absent = [cols[i] for i, p in enumerate(positions) if p < 0]
    extra = tuple(v for _, v in t.local) + tuple(_insert_default(t.table.c[n]) for n in absent)
    all_names = names + local_names + absent
    insert_sql = (f"INSERT INTO {_q(t.name)} ({', '.join(_q(c) for c in all_names)}) "
                  f"VALUES ({', '.join('?' * len(all_names))})")
    raw = conn.connection.driver_connection  # sqlite3 itself: lists as parameters, no per-row wrapping
    cur = raw.cursor()
    if mode["fast"]:
        if not raw.in_transaction:
            cur.execute("BEGIN")  # a SAVEPOINT outside a transaction would commit on RELEASE
        cur.execute("SAVEPOINT sync_fast")
        try:
            cur.executemany(insert_sql, [(*r, *extra) for r in incoming] if extra else incoming)
        except sqlite3.IntegrityError:
            cur.execute("ROLLBACK TO sync_fast")
            cur.execute("RELEASE sync_fast")
            mode["fast"] = False
        else:
            cur.execute("RELEASE sync_fast")
            result.applied += len(incoming)
            result.tables[t.name] = result.tables.get(t.name, 0) + len(incoming)
            return
    existing: dict[str, tuple] = {}
    select_cols = ", ".join(_q(c) for c in names)
    for start in range(0, len(ids), SQL_VARS):
        part = ids[start:start + SQL_VARS]
        sql = f"SELECT {select_cols} FROM {_q(t.name)} WHERE id IN ({','.join('?' * len(part))})"
        for row in conn.exec_driver_sql(sql, tuple(part)):
            existing[row[id_i]] = row
    inserts, updates = [], []
    for r in incoming:
        old = existing.get(r[id_i])
        if old is None:
            inserts.append(r)
        elif old[own_i] != r[own_i]:
            result.quarantine.append(_q_item(t, names, r, old, OTHER_OWNER))
        elif r[ver_i] > old[ver_i]:
            updates.append(r)
        elif r[ver_i] == old[ver_i]:
            if tuple(r) == tuple(old) or all(a == b for k, (a, b) in enumerate(zip(r, old, strict=True))
                                             if names[k] not in DERIVED):
                result.unchanged += 1
            else:
                result.quarantine.append(_q_item(t, names, r, old, SAME_VERSION))
        else:
            result.older += 1
    if inserts:
        cur.executemany(insert_sql, [(*r, *extra) for r in inserts] if extra else inserts)
    if updates:
        set_names = [n for n in names if n != "id"]
        sql = f"UPDATE {_q(t.name)} SET {', '.join(f'{_q(c)} = ?' for c in set_names)} WHERE id = ?"
        order = [names.index(n) for n in set_names]
        cur.executemany(sql, [[r[i] for i in order] + [r[id_i]] for r in updates])
    written = len(inserts) + len(updates)
    result.applied += written
    if written:
        result.tables[t.name] = result.tables.get(t.name, 0) + written


def end_import(conn: Connection) -> None:
    """After the last package: the connection's usual cache and checkpoint interval, and the WAL copied
    into the database file now (not at the user's next edit). PASSIVE never waits for the window's
    readers nor blocks its writes; what a reader still needs is copied at a later checkpoint, and
    journal_size_limit (store/db.py) shrinks the file once the WAL starts over."""
    conn.exec_driver_sql(f"PRAGMA cache_size = {DEFAULT_CACHE_KIB}")
    conn.exec_driver_sql(f"PRAGMA wal_autocheckpoint = {DEFAULT_WAL_PAGES}")
    conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)").fetchall()


def _plain(v):
    return base64.b64encode(v).decode("ascii") if isinstance(v, bytes) else v


def _q_item(t: SyncTable, names: list[str], new: tuple, old: tuple, reason: str) -> Quarantined:
    return Quarantined(t.name, new[names.index("id")], new[names.index("version")], reason,
                       {n: _plain(v) for n, v in zip(names, old, strict=True)},
                       {n: _plain(v) for n, v in zip(names, new, strict=True)})


def dump_json(value) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)
