"""Backup files of the database: made with SQLite's online backup API, checked with
``PRAGMA integrity_check``, described by a small JSON file beside them, kept by a rotation.

Automatic backups live in ``<data folder>/backups/`` as ``congress-YYYYMMDD-HHMMSS-<reason>.sqlite3``
plus ``….sqlite3.json`` (time, reason, size, office, schema revision, record counts). A backup is one
self-contained file (journal mode DELETE), written under a ``.part`` name and renamed only after it
passed its check, so a half-written copy is never taken for a backup.

Rotation: the newest ``KEEP_RECENT`` backups, and the newest backup of each of the last 7 days, 4 weeks
and 12 months that have one (as borg/restic "prune" count them); the rest is deleted.

This module knows files and sqlite3 only; services/backups.py adds the office's use cases."""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import re
import shutil
import sqlite3
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TypedDict, Unpack

from congress_desktop import __version__
from congress_desktop.core.errors import (
    Cancelled,
    CongressError,
    StorageFull,
    drive_label,
    os_error_text,
    storage_error,
)
from congress_desktop.core.files import atomic_write, fsync_dir

log = logging.getLogger(__name__)

BACKUP_DIR = "backups"
PREFIX = "congress"
SUFFIX = ".sqlite3"
SIDECAR = ".json"
PART = ".part"
SQLITE_MAGIC = b"SQLite format 3\x00"

KEEP_RECENT, KEEP_DAILY, KEEP_WEEKLY, KEEP_MONTHLY = 3, 7, 4, 12
DUE_AFTER = dt.timedelta(days=1)
# At every open a file up to this size gets PRAGMA quick_check (about 1 ms per MB); a bigger one only a
# light check, its full check runs in the background with the daily backup (services/backups.py).
QUICK_CHECK_MAX_BYTES = 256 * 1024 * 1024
STEP_PAGES = 1024  # pages copied per backup step: progress and cancel between steps

REASONS = {
    "daily": "每日自动备份",
    "migrate": "升级数据库前",
    "sync": "导入同步数据包前",
    "restore": "恢复备份前",
    "manual": "手动备份",
    "move": "移动数据文件夹前",
    "usb": "备份到U盘",
}

# Record counts shown for a backup: (table, label, unit). Tables a backup lacks are left out.
COUNTED = (
    ("deputy", "代表", "名"),
    ("village", "村(社区)", "个"),
    ("contact_point", "联系站点", "个"),
    ("visit", "接待", "次"),
    ("opinion", "意见建议", "条"),
    ("vote_session", "票决测评", "场"),
    ("grid", "网格", "个"),
    ("attachment", "附件", "个"),
)

_NAME = re.compile(rf"^{PREFIX}-(?:(?P<code>\d{{12}})-)?(?P<date>\d{{8}})-(?P<time>\d{{6}})(?:-(?P<rest>.+?))?{re.escape(SUFFIX)}$")


@dataclass(frozen=True)
class BackupInfo:
    """One backup file as the user sees it: when, why, how big, what is in it."""

    path: Path
    made_at: dt.datetime          # local time
    reason: str                   # a key of REASONS ("" when unknown)
    size: int
    counts: tuple[tuple[str, int, str], ...] = ()   # (label, count, unit), e.g. ("代表", 64, "名")
    office_name: str = ""
    office_code: str = ""
    revision: str = ""
    checked: bool = False         # passed integrity_check when it was made
    detail: str = ""
    encrypted: bool = False       # a stick backup sealed under the office's passphrase (.cdbak)

    @property
    def reason_label(self) -> str:
        return REASONS.get(self.reason, self.reason or "备份")

    @property
    def size_label(self) -> str:
        return human_size(self.size)

    @property
    def made_label(self) -> str:
        return self.made_at.strftime("%Y-%m-%d %H:%M:%S")

    @property
    def counts_label(self) -> str:
        shown = [c for i, c in enumerate(self.counts) if c[1] or i == 0]  # 代表 always, others when any
        return "，".join(f"{label} {n} {unit}" for label, n, unit in shown) or "（无记录）"

    def count(self, label: str) -> int | None:
        return next((n for lbl, n, _unit in self.counts if lbl == label), None)

    def as_json(self) -> dict:
        return {"made_at": self.made_at.isoformat(timespec="seconds"), "reason": self.reason, "size": self.size,
                "counts": [list(c) for c in self.counts],
                "office_name": self.office_name, "office_code": self.office_code, "revision": self.revision,
                "checked": self.checked, "detail": self.detail, "encrypted": self.encrypted,
                "app_version": __version__}


def human_size(n: int) -> str:
    if n >= 1024 ** 3:
        return f"{n / 1024 ** 3:.1f} GB"
    if n >= 1024 ** 2:
        return f"{n / 1024 ** 2:.1f} MB"
    return f"{max(1, round(n / 1024))} KB"


def backups_dir(db_path: Path) -> Path:
    return Path(db_path).parent / BACKUP_DIR


# ----------------------------------------------------------------------------- checks
def _connect(path: Path, *, timeout: float = 10.0) -> sqlite3.Connection:
    # isolation_level=None: no implicit transactions around our PRAGMAs
    return sqlite3.connect(str(path), timeout=timeout, isolation_level=None)


def header_ok(path: Path) -> bool:
    try:
        with open(path, "rb") as f:
            return f.read(16) == SQLITE_MAGIC
    except OSError:
        return False


class Interrupter:
    """Lets another thread stop a long check: ``interrupt()`` aborts the running PRAGMA."""

    def __init__(self):
        self._con: sqlite3.Connection | None = None
        self._lock = threading.Lock()
        self.stopped = False

    def attach(self, con: sqlite3.Connection | None) -> None:
        with self._lock:
            self._con = con
            if con is not None and self.stopped:
                con.interrupt()

    def interrupt(self) -> None:
        with self._lock:
            self.stopped = True
            if self._con is not None:
                self._con.interrupt()


def integrity_problems(path: Path, *, quick: bool = False, limit: int = 20,
                       interrupter: Interrupter | None = None) -> list[str]:
    """[] when the file is a sound SQLite database, else what is wrong (SQLite's own words).

    ``quick``: PRAGMA quick_check (reads every page, skips matching indexes against tables; ~10x
    faster). Raises Cancelled when ``interrupter`` stopped it."""
    path = Path(path)
    if not path.is_file():
        return [f"文件不存在：{path}"]
    if path.stat().st_size == 0:
        return ["文件是空的（0 字节）"]
    if not header_ok(path):
        return ["文件头不是 SQLite 数据库（文件可能被覆盖或截断）"]
    con = None
    try:
        con = _connect(path)
        if interrupter:
            interrupter.attach(con)
        rows = con.execute(f"PRAGMA {'quick_check' if quick else 'integrity_check'}({int(limit)})").fetchall()
        result = [str(r[0]) for r in rows]
        return [] if result == ["ok"] else result
    except sqlite3.OperationalError as e:
        if interrupter and interrupter.stopped:
            raise Cancelled() from e
        return _unreadable(e, path)
    except sqlite3.DatabaseError as e:  # "database disk image is malformed", "file is not a database"
        return [f"无法读取数据库：{e}"]
    finally:
        if interrupter:
            interrupter.attach(None)
        if con is not None:
            con.close()


def _unreadable(e: sqlite3.Error, path: Path) -> list[str]:
    """A file SQLite could not open or read: a read-only folder (a WAL database needs to write its
    -shm file beside it even to read) or a failing disk is no damage of the file; said as what it is."""
    err = storage_error(e, path)
    if err is not None:
        raise err from e
    return [f"无法读取数据库：{e}"]


def open_check(path: Path) -> list[str]:
    """The check made every time the database is opened: quick_check for a file up to
    QUICK_CHECK_MAX_BYTES (every office's file for years), else the header and the schema only."""
    path = Path(path)
    if path.stat().st_size <= QUICK_CHECK_MAX_BYTES:
        return integrity_problems(path, quick=True)
    if not header_ok(path):
        return ["文件头不是 SQLite 数据库（文件可能被覆盖或截断）"]
    try:
        con = _connect(path)
        try:
            con.execute("SELECT count(*) FROM sqlite_master").fetchone()
            con.execute("PRAGMA schema_version").fetchone()
        finally:
            con.close()
    except sqlite3.OperationalError as e:
        return _unreadable(e, path)
    except sqlite3.DatabaseError as e:
        return [f"无法读取数据库：{e}"]
    return []


# ----------------------------------------------------------------------------- contents
def _tables(con: sqlite3.Connection) -> set[str]:
    return {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}


def read_contents(path: Path) -> dict:
    """Office, schema revision and record counts of a database file (read only; no migration)."""
    con = _connect(Path(path))
    try:
        con.execute("PRAGMA query_only=1")
        tables = _tables(con)
        office_name = office_code = ""
        if "office" in tables:
            row = con.execute("SELECT name, code FROM office ORDER BY id LIMIT 1").fetchone()
            if row:
                office_name, office_code = row
        revision = ""
        if "alembic_version" in tables:
            revision = "+".join(sorted(r[0] for r in con.execute("SELECT version_num FROM alembic_version")))
        counts = []
        for table, label, unit in COUNTED:
            if table not in tables:
                continue
            cols = {r[1] for r in con.execute(f'PRAGMA table_info("{table}")')}
            where = " WHERE deleted = 0" if "deleted" in cols else ""
            counts.append((label, int(con.execute(f'SELECT count(*) FROM "{table}"{where}').fetchone()[0]), unit))
        return {"office_name": office_name, "office_code": office_code, "revision": revision,
                "counts": tuple(counts), "tables": tables}
    finally:
        con.close()


# ----------------------------------------------------------------------------- copying
def _fsync_file(path: Path) -> None:
    with open(path, "rb+") as f:
        os.fsync(f.fileno())


SPACE_MARGIN = 16 * 1024 * 1024  # left free after a backup, so the disk is not full to the last byte


def check_free_space(folder: Path, need: int) -> None:
    """Refuse before writing anything when a copy of ``need`` bytes cannot fit in ``folder``."""
    try:
        free = shutil.disk_usage(folder).free
    except OSError:
        return
    if free < need + SPACE_MARGIN:
        drive = drive_label(folder)
        raise StorageFull(f"磁盘空间不足：{drive} 只剩 {human_size(free)}，备份需要约 {human_size(need)}，{folder} 写不下，"
                          f"没有开始备份，已有的数据没有改变。请清理出至少 {human_size(need + SPACE_MARGIN - free)} "
                          "后重试，或换一个位置。", folder=str(folder), drive=drive, free=free, need=need + SPACE_MARGIN)


def online_copy(src: Path, dst: Path, *, progress: Callable[[int, int], None] | None = None,
                cancel: Callable[[], bool] | None = None) -> None:
    """Copy a live database with SQLite's online backup API into a new single file ``dst`` (journal
    mode DELETE, fsynced). Consistent even while other connections write (WAL)."""
    dst = Path(dst)
    dst.unlink(missing_ok=True)
    source = _connect(Path(src))
    try:
        target = _connect(dst)
        try:
            def step(_status, remaining, total):
                if progress:
                    progress(total - remaining, total)
                if cancel and cancel():
                    raise Cancelled()

            source.backup(target, pages=STEP_PAGES, progress=step)
            target.execute("PRAGMA journal_mode=DELETE")  # the copy stands alone: no -wal beside it
        finally:
            target.close()
    except Cancelled:
        _discard(dst, *companions(dst))
        raise
    except (sqlite3.Error, OSError) as e:
        err = storage_error(e, dst.parent, need=_size_of(Path(src)))  # judged while the disk is as it failed
        _discard(dst, *companions(dst))  # a failed write may leave the copy's -journal too
        if err is not None:
            raise err from e
        if isinstance(e, OSError):
            raise CongressError(f"无法写入备份文件 {dst}：{os_error_text(e)}", code="backup_failed") from e
        raise CongressError(f"无法复制数据库：{e}", code="backup_failed") from e
    except BaseException:
        _discard(dst, *companions(dst))
        raise
    finally:
        source.close()
    try:
        _fsync_file(dst)
    except OSError as e:
        err = storage_error(e, dst.parent)
        _discard(dst)
        raise err or CongressError(f"无法写入备份文件 {dst}：{os_error_text(e)}", code="backup_failed") from e


def _size_of(db: Path) -> int:
    """The bytes a copy of ``db`` takes at most: the file and its -wal."""
    return sum(p.stat().st_size for p in (db, db.with_name(db.name + "-wal")) if p.exists())


def _discard(*paths: Path) -> None:
    """Delete what a failed write left (never raises: the write's own error is the one to tell)."""
    for p in paths:
        try:
            Path(p).unlink(missing_ok=True)
        except OSError as e:
            log.warning("could not delete the unfinished file %s: %s", p, e)


def _unique_path(folder: Path, stem: str) -> Path:
    path = folder / f"{stem}{SUFFIX}"
    n = 2
    while path.exists() or path.with_name(path.name + PART).exists():
        path = folder / f"{stem}-{n}{SUFFIX}"
        n += 1
    return path


def backup_name(made_at: dt.datetime, reason: str, office_code: str = "") -> str:
    code = f"{office_code}-" if office_code else ""
    return f"{PREFIX}-{code}{made_at:%Y%m%d-%H%M%S}-{reason}"


class BackupOptions(TypedDict, total=False):
    """make_backup's options: where (None: the automatic folder, rotated), what it says, when."""

    folder: Path | None
    detail: str
    office_code_in_name: bool
    prune_after: bool
    now: dt.datetime | None


def make_backup(db_path: Path, reason: str, *, progress: Callable[[int, int], None] | None = None,
                cancel: Callable[[], bool] | None = None, **options: Unpack[BackupOptions]) -> BackupInfo:
    """Back up ``db_path`` into ``folder`` (default: the automatic backups folder), check the copy with
    PRAGMA integrity_check, describe it in the JSON file beside it and apply the rotation (automatic
    folder only). Raises CongressError when the copy does not pass its check."""
    db_path = Path(db_path)
    chosen, detail = options.get("folder"), options.get("detail", "")
    office_code_in_name, prune_after = options.get("office_code_in_name", False), options.get("prune_after", True)
    now = options.get("now")
    auto = chosen is None
    folder = backups_dir(db_path) if chosen is None else Path(chosen)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise storage_error(e, folder) or CongressError(f"无法创建备份文件夹 {folder}：{os_error_text(e)}",
                                                        code="backup_failed") from e
    check_free_space(folder, _size_of(db_path))
    now = now or dt.datetime.now()
    contents_code = ""
    if office_code_in_name:
        try:
            contents_code = read_contents(db_path)["office_code"]
        except sqlite3.Error:
            contents_code = ""
    final = _unique_path(folder, backup_name(now, reason, contents_code))
    part = final.with_name(final.name + PART)
    online_copy(db_path, part, progress=progress, cancel=cancel)
    try:
        problems = integrity_problems(part)
        if problems:
            raise CongressError("备份副本没有通过完整性检查，数据库文件可能已损坏：" + "；".join(problems[:3]),
                                code="backup_check_failed", problems=problems)
        contents = read_contents(part)
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    info = BackupInfo(final, now.replace(microsecond=0), reason, part.stat().st_size, contents["counts"],
                      contents["office_name"], contents["office_code"], contents["revision"], True, detail)
    sidecar = final.with_name(final.name + SIDECAR)
    try:
        atomic_write(sidecar, json.dumps(info.as_json(), ensure_ascii=False, indent=1), tmp_suffix=PART)
        os.replace(part, final)
    except OSError as e:  # the disk filled up, or the stick was pulled, after the copy
        err = storage_error(e, folder)
        _discard(part, sidecar)
        raise err or CongressError(f"无法写入备份文件 {final}：{os_error_text(e)}", code="backup_failed") from e
    fsync_dir(folder)
    log.info("backup %s (%s, %s)", final, reason, info.size_label)
    if auto and prune_after:
        prune(folder)
    return info


# ----------------------------------------------------------------------------- listing
def _parse_name(path: Path) -> tuple[dt.datetime, str] | None:
    m = _NAME.match(path.name)
    if not m:
        return None
    try:
        made = dt.datetime.strptime(m["date"] + m["time"], "%Y%m%d%H%M%S")
    except ValueError:
        return None
    rest = m["rest"] or ""
    reason = rest
    if rest.startswith("before-migrate"):  # names written before the rotation existed
        reason = "migrate"
    elif rest.startswith("before-sync"):
        reason = "sync"
    else:
        reason = re.sub(r"-\d+$", "", rest)  # "daily-2": a second backup in the same second
    return made, reason


def describe(path: Path, *, inspect_contents: bool = True) -> BackupInfo:
    """What is known about a backup file: its JSON description, else its name and contents."""
    path = Path(path)
    size = path.stat().st_size
    sidecar = path.with_name(path.name + SIDECAR)
    if sidecar.is_file():
        try:
            d = json.loads(sidecar.read_text(encoding="utf-8"))
            return BackupInfo(path, dt.datetime.fromisoformat(d["made_at"]), d.get("reason", ""), size,
                              tuple((str(a), int(b), str(c)) for a, b, c in d.get("counts", [])),
                              d.get("office_name", ""), d.get("office_code", ""), d.get("revision", ""),
                              bool(d.get("checked")), d.get("detail", ""))
        except (OSError, ValueError, KeyError, TypeError):
            log.warning("unreadable backup description %s", sidecar)
    parsed = _parse_name(path)
    made, reason = parsed if parsed else (dt.datetime.fromtimestamp(path.stat().st_mtime).replace(microsecond=0), "")
    if not inspect_contents:
        return BackupInfo(path, made, reason, size)
    try:
        c = read_contents(path)
    except sqlite3.Error:
        return BackupInfo(path, made, reason, size)
    return BackupInfo(path, made, reason, size, c["counts"], c["office_name"], c["office_code"], c["revision"])


def list_backups(folder: Path) -> list[BackupInfo]:
    """The backups in ``folder``, newest first (files of ours only: ``congress-…-….sqlite3``)."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    out = []
    for p in folder.iterdir():
        if p.is_file() and _parse_name(p) is not None:
            try:
                out.append(describe(p))
            except OSError:
                continue
    return sorted(out, key=lambda b: (b.made_at, b.path.name), reverse=True)


def newest_backup_time(folder: Path) -> dt.datetime | None:
    """When the newest backup in ``folder`` was made (from the file names: no file is opened)."""
    folder = Path(folder)
    if not folder.is_dir():
        return None
    times = [parsed[0] for p in folder.iterdir() if (parsed := _parse_name(p)) is not None and p.is_file()]
    return max(times, default=None)


def backup_due(folder: Path, now: dt.datetime | None = None) -> bool:
    newest = newest_backup_time(folder)
    now = now or dt.datetime.now()
    return newest is None or now - newest >= DUE_AFTER or newest > now + dt.timedelta(hours=1)


# ----------------------------------------------------------------------------- rotation
def select_kept(times: Iterable[dt.datetime], *, recent: int = KEEP_RECENT, daily: int = KEEP_DAILY,
                weekly: int = KEEP_WEEKLY, monthly: int = KEEP_MONTHLY) -> set[dt.datetime]:
    """The backup times the rotation keeps: the newest ``recent`` ones, and the newest of each of the
    last ``daily`` days, ``weekly`` ISO weeks and ``monthly`` months that have a backup."""
    ordered = sorted(set(times), reverse=True)
    kept = set(ordered[:recent])
    for count, period in ((daily, lambda t: t.date()),
                          (weekly, lambda t: t.isocalendar()[:2]),
                          (monthly, lambda t: (t.year, t.month))):
        seen: list = []
        for t in ordered:
            key = period(t)
            if key in seen:
                continue
            if len(seen) == count:
                break
            seen.append(key)
            kept.add(t)
    return kept


def prune(folder: Path) -> list[Path]:
    """Apply the rotation to the automatic backups folder; returns the files deleted. Left-over
    ``.part`` files (a backup interrupted by a crash) are deleted too."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    entries: dict[dt.datetime, list[Path]] = {}
    removed = []
    for p in folder.iterdir():
        if p.name.endswith(SUFFIX + PART) and p.is_file():
            p.unlink(missing_ok=True)
            removed.append(p)
            continue
        parsed = _parse_name(p)
        if parsed and p.is_file():
            entries.setdefault(parsed[0], []).append(p)
        elif p.name.endswith(SUFFIX + SIDECAR) and not p.with_name(p.name[: -len(SIDECAR)]).exists():
            p.unlink(missing_ok=True)  # the description of a file someone deleted
    # several files in one second: keep them all or none (they are one moment)
    kept = select_kept(entries)
    for t, files in entries.items():
        if t in kept:
            continue
        for p in files:
            for victim in (p, p.with_name(p.name + SIDECAR)):
                try:
                    victim.unlink(missing_ok=True)
                except OSError as e:
                    log.warning("could not delete old backup %s: %s", victim, e)
                    continue
            removed.append(p)
    if removed:
        log.info("rotation removed %d old backup(s) from %s", len(removed), folder)
    return removed


# ----------------------------------------------------------------------------- restoring
def companions(db_path: Path) -> list[Path]:
    """The -wal and -shm files SQLite keeps beside a database."""
    return [db_path.with_name(db_path.name + s) for s in ("-wal", "-shm", "-journal")]


def set_aside(db_path: Path, label: str = "damaged", now: dt.datetime | None = None) -> Path:
    """Move a database and its -wal/-shm files into ``backups/<label>-<time>/`` (never deleted by the
    rotation), so a damaged file is kept for whoever wants to look at it. Returns that folder."""
    now = now or dt.datetime.now()
    target = backups_dir(db_path) / f"{label}-{now:%Y%m%d-%H%M%S}"
    n = 2
    while target.exists():
        target = target.with_name(f"{label}-{now:%Y%m%d-%H%M%S}-{n}")
        n += 1
    target.mkdir(parents=True)
    for p in [db_path, *companions(db_path)]:
        if p.exists():
            shutil.move(str(p), str(target / p.name))
    fsync_dir(db_path.parent)
    return target


def ensure_not_in_use(db_path: Path) -> None:
    """Refuse when another process has the database open (the window while the command line restores,
    or the other way round): an exclusive lock is granted only to the sole user of a WAL database.
    Also folds a -wal left by a crash into the file."""
    db_path = Path(db_path)
    if not db_path.exists():
        return
    con = None
    try:
        con = sqlite3.connect(str(db_path), timeout=1.0, isolation_level=None)
        con.execute("PRAGMA locking_mode=EXCLUSIVE")
        con.execute("BEGIN EXCLUSIVE")
        con.execute("COMMIT")
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    except sqlite3.OperationalError as e:
        if "locked" in str(e) or "busy" in str(e):
            raise CongressError("数据库正被另一个程序使用（可能是已打开的程序窗口或另一条命令）。请先关闭它，再恢复。",
                                code="in_use") from e
    except sqlite3.DatabaseError:
        pass  # a damaged file: the caller sets it aside
    finally:
        if con is not None:
            con.close()


def replace_database(db_path: Path, source: Path, *, progress: Callable[[int, int], None] | None = None,
                     cancel: Callable[[], bool] | None = None) -> None:
    """Put a copy of ``source`` in place of ``db_path``. The caller has closed every connection to
    ``db_path`` and kept a backup of it (or set it aside). The copy is made beside the target, checked,
    and renamed over it, so a power cut leaves either the old file or the new one."""
    db_path = Path(db_path)
    tmp = db_path.with_name(db_path.name + ".restoring")
    online_copy(Path(source), tmp, progress=progress, cancel=cancel)
    problems = integrity_problems(tmp)
    if problems:
        tmp.unlink(missing_ok=True)
        raise CongressError("恢复出的副本没有通过完整性检查：" + "；".join(problems[:3]), code="restore_failed")
    try:
        ensure_not_in_use(db_path)  # and a -wal of the old file, which would be replayed into the new one
    except CongressError:
        tmp.unlink(missing_ok=True)
        raise
    try:
        for p in companions(db_path):
            p.unlink(missing_ok=True)
        os.replace(tmp, db_path)
    except OSError as e:
        tmp.unlink(missing_ok=True)
        raise CongressError(f"无法替换数据库文件（可能正被其他程序打开）：{os_error_text(e)}",
                            code="restore_failed") from e
    fsync_dir(db_path.parent)


def copy_tree_incremental(src: Path, dst: Path, *, progress: Callable[[int, int], None] | None = None,
                          cancel: Callable[[], bool] | None = None) -> int:
    """Copy every file under ``src`` to the same place under ``dst`` unless a file of the same size is
    there (attachments are named by their hash, so same name and size means same content). Each file
    is written under a temporary name, fsynced and renamed. Returns the number of files copied."""
    src, dst = Path(src), Path(dst)
    if not src.is_dir():
        return 0
    files = [p for p in src.rglob("*") if p.is_file() and not p.name.startswith(".part")]
    copied = 0
    for i, p in enumerate(files, 1):
        if cancel and cancel():
            raise Cancelled()
        target = dst / p.relative_to(src)
        if not (target.is_file() and target.stat().st_size == p.stat().st_size):
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.with_name(".part-" + target.name)
            try:
                shutil.copyfile(p, tmp)
                _fsync_file(tmp)
                os.replace(tmp, target)
            except BaseException:
                _discard(tmp)  # a half-copied file never stays, not even under its temporary name
                raise
            copied += 1
        if progress:
            progress(i, len(files))
    return copied
