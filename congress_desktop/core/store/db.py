"""Engine, pragmas, units of work, migrations and the change log written with every change."""

from __future__ import annotations

import ast
import datetime as dt
import getpass
import json
import logging
import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from congress_desktop.core.errors import (
    NEWER_SCHEMA_TEXT,
    CongressError,
    NewerSchema,
    ReadOnlyRecord,
    StorageError,
    storage_error,
)
from congress_desktop.core.store import schema  # noqa: F401  (every table registered before the first session)
from congress_desktop.core.store.backup_files import make_backup
from congress_desktop.core.store.models import Base, ChangeLog, Synced, utcnow

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 10_000
PAGE_SIZE = 16384


def _set_pragmas(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    # A new database gets 16 KiB pages (SQLite's default is 4 KiB): a big sync import writes its rows
    # and five or more indexes per table 15-20 % faster (tests/bench/bench_sync.py), other work is not
    # slower. An existing file keeps its page size (the pragma only acts before the first write).
    cur.execute(f"PRAGMA page_size={PAGE_SIZE}")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    # a big sync import lets the WAL grow to 256 MiB (sync/engine.py): give the disk space back
    # once it has been copied into the database file and starts over
    cur.execute(f"PRAGMA journal_size_limit={64 * 1024 * 1024}")
    # FULL: a committed change survives a power cut, which matters more here than write speed.
    cur.execute("PRAGMA synchronous=FULL")
    cur.close()


def make_engine(path: Path) -> Engine:
    # LIFO: one thread working in turns gets the same connection back, so what a long job sets on it
    # (the sync import's page cache and checkpoint interval) stays until the job puts it back
    engine = create_engine(f"sqlite:///{path}", future=True, pool_use_lifo=True)
    event.listen(engine, "connect", _set_pragmas)
    return engine


def alembic_config(connection=None):
    from alembic.config import Config  # alembic costs ~0.1 s to import: only when migrating

    cfg = Config()
    cfg.set_main_option("script_location", str(resources.files("congress_desktop.core.store") / "migrations"))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def head_revision() -> str:
    """The newest schema: the sorted heads joined by '+' (several heads while branches are unmerged)."""
    from alembic.script import ScriptDirectory

    return "+".join(sorted(ScriptDirectory.from_config(alembic_config()).get_heads()))


def _script_revisions() -> dict[str, tuple[str, ...]]:
    """Every migration of this program, revision -> its parents, read from the migration files
    without importing alembic (start-up only needs to know "is the database at head?")."""
    revisions: dict[str, tuple[str, ...]] = {}
    folder = resources.files("congress_desktop.core.store") / "migrations" / "versions"
    for f in folder.iterdir():
        if not f.name.endswith(".py") or f.name.startswith("_"):
            continue
        values = {}
        for node in ast.parse(f.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                if node.targets[0].id in ("revision", "down_revision"):
                    values[node.targets[0].id] = ast.literal_eval(node.value)
        down = values.get("down_revision")
        revisions[values["revision"]] = tuple(down) if isinstance(down, (tuple, list)) else ((down,) if down else ())
    return revisions


def script_heads_fast() -> str:
    """The same as head_revision(), read from the migration files without importing alembic;
    when unsure, migrate() asks alembic."""
    revisions = _script_revisions()
    parents = {d for downs in revisions.values() for d in downs}
    return "+".join(sorted(r for r in revisions if r not in parents))


def unknown_revisions_fast(revision: str | None) -> list[str]:
    """The parts of a database's revision ("a+b") that no migration of this program knows: the file
    was made or upgraded by a newer version."""
    known = _script_revisions()
    return [r for r in (revision or "").split("+") if r and r not in known]


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        exists = conn.execute(text("select 1 from sqlite_master where type='table' and name='alembic_version'"))
        if exists.first() is None:
            return None
        heads = [r[0] for r in conn.execute(text("select version_num from alembic_version"))]
    return "+".join(sorted(heads)) if heads else None


def migrate(engine: Engine, path: Path) -> Path | None:
    """Bring the file to the newest schema; back it up first when it already holds data.

    A new database is made by the same ``upgrade heads`` as an old one."""
    current = current_revision(engine)
    if current is not None and current == script_heads_fast():
        return None
    unknown = unknown_revisions_fast(current)
    if unknown:  # before any backup: a newer program's file is left exactly as it is
        raise NewerSchema(f"{NEWER_SCHEMA_TEXT}（数据库版本 {'、'.join(unknown)}，本程序不认识）：{path}",
                          path=str(path), revision=current or "", unknown=unknown)
    if current is None and _has_our_tables(engine):
        raise CongressError("数据库缺少版本记录（alembic_version 表），可能已损坏", code="schema_damaged",
                            problems=["缺少表 alembic_version（数据库版本记录）"])
    from alembic import command

    head = head_revision()
    if current == head:
        return None
    copy = None
    if current is not None:
        copy = make_backup(path, "migrate", detail=f"{current} -> {head}").path
        log.info("backed up %s to %s before migrating %s -> %s", path, copy, current, head)
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "heads")
    return copy


def _has_our_tables(engine: Engine) -> bool:
    with engine.connect() as conn:
        return conn.exec_driver_sql("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'office'").first() \
            is not None


def schema_gaps(engine: Engine) -> tuple[list[str], list]:
    """What the file lacks of the current schema: (tables missing, indexes missing on tables that are
    there). One read of the schema table. A missing table lost its rows; a missing index only costs
    speed (see restore_missing_indexes)."""
    with engine.connect() as conn:
        rows = conn.exec_driver_sql("SELECT type, name FROM sqlite_master WHERE type IN ('table', 'index')").all()
    tables = {name for kind, name in rows if kind == "table"}
    indexes = {name for kind, name in rows if kind == "index"}
    missing_tables = sorted(t for t in Base.metadata.tables if t not in tables)
    missing_indexes = [ix for name, table in Base.metadata.tables.items() if name in tables
                       for ix in table.indexes if ix.name not in indexes]
    return missing_tables, missing_indexes


def rebuild_indexes(engine: Engine, indexes: list) -> list[str]:
    """Build ``indexes`` (Index objects of the schema) in one transaction; their names. Waits at most
    half a second for the write lock (an import running from the command line): then OperationalError."""
    from sqlalchemy.schema import CreateIndex

    if not indexes:
        return []
    with engine.begin() as conn:
        conn.exec_driver_sql("PRAGMA busy_timeout = 500")
        try:
            for ix in indexes:
                conn.execute(CreateIndex(ix, if_not_exists=True))
        finally:
            conn.exec_driver_sql(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    return [ix.name for ix in indexes]


def restore_missing_indexes(engine: Engine) -> list[str]:
    """Every index of the schema that is missing from the file, built again. A big sync import drops
    a table's non-unique indexes while it writes and builds them at its end (sync/engine.py BulkLoad);
    a crash or a power cut in between leaves a correct but slow database, mended here at the next open.
    Costs one read of the schema table when nothing is missing. If another process holds the write
    lock (an import still running from the command line), or the disk is full or read-only, it is left
    for a later open: never a reason not to start. A missing table is: the file is damaged."""
    from sqlalchemy.exc import OperationalError

    missing_tables, missing = schema_gaps(engine)
    if missing_tables:
        raise CongressError(f"数据库缺少表：{'、'.join(missing_tables)}", code="schema_damaged",
                            problems=[f"缺少表 {t}" for t in missing_tables])
    if not missing:
        return []
    try:
        rebuilt = rebuild_indexes(engine, missing)
    except OperationalError as e:
        log.warning("%d indexes missing, not rebuilt now (%s)", len(missing), e)
        return []
    log.warning("rebuilt %d missing indexes: %s", len(rebuilt), ", ".join(rebuilt))
    return rebuilt


def backup_copy(path: Path, suffix: str) -> Path:
    """A checked backup in the data folder's backups/ (SQLite's online backup API, integrity_check,
    rotation): see store/backups.py. ``suffix`` is the reason written into the name."""
    return make_backup(path, suffix).path


def _dict_value(value):
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value


def _refuse_foreign(obj: Synced, owner: str) -> None:
    """Records are written by their owner only (DESIGN.md §2). Received rows are applied by sync with
    Core statements, which do not pass through here."""
    if owner and obj.owner_code and obj.owner_code != owner:
        raise ReadOnlyRecord(f"该记录属于其他单位（区划代码 {obj.owner_code}），只能查看，不能修改或删除")


def _record_changes(session: Session, _ctx, _instances) -> None:
    """Raise versions, stamp owner and time, and append to the change log, in the flush itself."""
    owner = session.info.get("owner_code", "")
    user = session.info.get("user", "")
    now = utcnow()
    entries = []
    for obj in list(session.new):
        if isinstance(obj, Synced):
            if obj.id is None:
                from congress_desktop.core.store.ids import uuid7

                obj.id = uuid7()
            if not obj.owner_code:
                obj.owner_code = owner
            _refuse_foreign(obj, owner)
            obj.version = obj.version or 1
            obj.updated_at = now
            fields = {
                a.key: [None, _dict_value(getattr(obj, a.key))]
                for a in inspect(obj).mapper.column_attrs
                if a.key not in ("id", "owner_code", "version", "deleted", "created_at", "updated_at",
                                 "search_text", "name_pinyin", "name_initials")
                and a.key not in getattr(type(obj), "__sync_local__", ())
                and getattr(obj, a.key) not in (None, "")
            }
            entries.append((obj, "insert", fields))
    for obj in list(session.dirty):
        if isinstance(obj, Synced) and session.is_modified(obj, include_collections=False):
            state = inspect(obj)
            changed = {}
            # columns local to this database (a full-text rowid: ``__sync_local__``) are no change of
            # the record: no new version, nothing for sync to carry
            local = getattr(type(obj), "__sync_local__", ())
            for attr in state.mapper.column_attrs:
                hist = state.attrs[attr.key].history
                if hist.has_changes() and attr.key not in ("version", "updated_at", "search_text",
                                                           "name_pinyin", "name_initials") \
                        and attr.key not in local:
                    old = hist.deleted[0] if hist.deleted else None
                    new = hist.added[0] if hist.added else None
                    if old != new:
                        changed[attr.key] = [_dict_value(old), _dict_value(new)]
            if not changed:
                continue
            _refuse_foreign(obj, owner)
            action = "delete" if changed.get("deleted") == [False, True] else "update"
            obj.version = (obj.version or 0) + 1
            obj.updated_at = now
            entries.append((obj, action, changed))
    for obj in list(session.deleted):
        if isinstance(obj, Synced):
            raise RuntimeError("synced records are never deleted, only marked deleted (tombstone)")
    for obj, action, fields in entries:
        session.add(ChangeLog(at=now, user=user, table_name=obj.__tablename__, record_id=obj.id,
                              version=obj.version, action=action,
                              changes=json.dumps(fields, ensure_ascii=False, default=str)))


event.listen(Session, "before_flush", _record_changes)


class Store:
    """The open database of this office: an engine plus short units of work."""

    def __init__(self, path: Path, *, migrate_now: bool = True):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.engine = make_engine(self.path)
        try:
            self.migration_backup = migrate(self.engine, self.path) if migrate_now else None
            if migrate_now:
                restore_missing_indexes(self.engine)
        except BaseException as e:
            self.engine.dispose()
            err = _storage(e, self.path)
            if err is None:
                raise
            raise err from e
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self.owner_code = ""
        self.user = _os_user()

    @contextmanager
    def session(self) -> Iterator[Session]:
        """One unit of work: commits on success, rolls back everything on any error. A full disk or a
        read-only file is said in Chinese (errors.storage_error): after the rollback, nothing changed."""
        try:
            with self._sessions() as s, s.begin():
                s.info["owner_code"] = self.owner_code
                s.info["user"] = self.user
                yield s
        except (SQLAlchemyError, sqlite3.Error) as e:
            err = _storage(e, self.path)
            if err is None:
                raise
            raise err from e

    def close(self) -> None:
        self.engine.dispose()


def _storage(e: BaseException, path: Path) -> StorageError | None:
    """The StorageError for a database error that is a disk fault (full, read-only, failing), else None."""
    err = storage_error(e, path) if isinstance(e, (SQLAlchemyError, sqlite3.Error)) else None
    if err is not None:
        log.warning("storage fault on %s: %s", path, e)
    return err


def _os_user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no user name on some locked-down PCs
        return ""


def copy_file(src: Path, dst: Path) -> None:
    shutil.copy2(src, dst)


__all__ = ["Base", "Store", "backup_copy", "head_revision", "current_revision", "alembic_config"]
