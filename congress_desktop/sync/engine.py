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
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from sqlalchemy import Boolean, Connection, Date, DateTime, Float, Integer, LargeBinary, Numeric, Table
from sqlalchemy.schema import CreateIndex

from congress_desktop.core.store import schema  # noqa: F401  (every model registered)
from congress_desktop.core.store.models import Base, Synced
from congress_desktop.sync.package import SyncError

IDENTITY = ("id", "owner_code", "version", "deleted")
ATTACHMENT_TABLE = "attachment"
ATTACHMENT_FOLDER = "attachments"
SQL_VARS = 900
IMPORT_CACHE_KIB = -131072   # 128 MiB while a package applies (apply.py); 256 MiB was no faster once big
# imports drop their indexes (BulkLoad), and kept the peak memory of a 1,000,000-record import near 480 MB
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
        if isinstance(cls, type) and issubclass(cls, Synced) and isinstance(mapper.local_table, Table):
            names[mapper.local_table.name] = set(getattr(cls, "__sync_local__", ()))
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


def quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


# ------------------------------------------------------------------ import (see sync/apply.py)

def decode_value(value, kind: str):
    if kind == "bytes" and value is not None:
        try:
            return base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError) as e:
            raise SyncError("数据包中有无法解码的二进制字段，已拒绝导入", "body") from e
    return value


@dataclass
class BulkLoad:
    """The tables of one import whose non-unique indexes were dropped (see BULK_MIN_ROWS)."""
    tables: set[str] = field(default_factory=set)

    def before_table(self, conn: Connection, t: SyncTable, incoming: int) -> None:
        if t.name in self.tables or incoming < BULK_MIN_ROWS:
            return
        # max(rowid) for the row count: instant, and never below it
        held = conn.exec_driver_sql(f"SELECT max(rowid) FROM {quoted(t.name)}").scalar() or 0
        if incoming < held * BULK_SHARE:
            return
        present = {r[0] for r in conn.exec_driver_sql(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ?", (t.name,))}
        # inside the package's transaction (apply_body opened it): a refused package brings them back
        for ix in secondary_indexes(t.table):
            if ix.name in present:
                conn.exec_driver_sql(f"DROP INDEX {quoted(ix.name)}")
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
def collector_paused() -> Iterator[None]:
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


def dump_json(value) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)
