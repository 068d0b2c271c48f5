"""Keeping the office's data safe for years: backups, restore, checks, and where the data may live.

- Automatic backups in ``<data folder>/backups/``: every day at start (``startup_maintenance``, run
  in the background by the window), before every migration (store/db.py), before every sync import
  and before every restore (``backup_before``); each one made with SQLite's online backup API and
  checked with ``PRAGMA integrity_check``; kept by a rotation of 7 daily, 4 weekly, 12 monthly.
- 备份到U盘: ``backup_to_folder`` writes an encrypted, checked copy and the attachment files
  (encrypted too) to any folder, under the office's passphrase (services/stick_backups.py). The
  automatic backups in the data folder stay plain: they sit beside the database they copy.
- 从备份恢复: ``inspect_backup`` shows a file's date and record counts (an encrypted file's from its
  clear header); ``restore_backup`` decrypts an encrypted file (with the passphrase) into a temporary
  file in the data folder, backs the current file up, then puts the chosen one in its place (an older
  schema is migrated on opening). Plain ``.sqlite3`` backups restore as they are.
- At every open (core/opening.py ``guard_folder``, called by ``Context.open``): a folder on a network share or a
  removable drive is refused, and a damaged database is never opened silently: DatabaseDamaged
  names the newest backup that passed its check, and ``restore_damaged`` puts it in place.
- ``check_data`` (services/checks.py): the database's integrity, its tables and indexes, and the
  attachment store (every file matches its hash, every attachment record has its file).

The store layer (store/backups.py, store/location.py) does the file work; this module holds the
office's use cases. Nothing here knows Qt."""

from __future__ import annotations

import datetime as dt
import logging
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

from congress_desktop import APP_NAME
from congress_desktop.backups import stick
from congress_desktop.core import opening, paths
from congress_desktop.core.context import Cancel, Context, Progress, check_cancel, never_cancel, no_progress
from congress_desktop.core.errors import (
    CongressError,
    DatabaseDamaged,
    Exists,
    InvalidInput,
    NewerSchema,
    NotFound,
    PassphraseNeeded,
    os_error_text,
)
from congress_desktop.core.opening import guard_location, newest_good_backup, open_store
from congress_desktop.core.store import backup_files as files
from congress_desktop.core.store.backup_files import BackupInfo, Interrupter, human_size
from congress_desktop.core.store.db import unknown_revisions_fast

log = logging.getLogger(__name__)

__all__ = ["BackupInfo", "Interrupter", "human_size"]

ATTACHMENTS = "attachments"
USB_ATTACHMENTS = "congress-attachments"  # beside a plain database copy on a stick (before encryption)


def backups_dir(where: Context | Path) -> Path:
    return opening.backups_dir(where.data_dir if isinstance(where, Context) else Path(where))


# ============================================================================ automatic backups
def list_backups(where: Context | Path) -> list[BackupInfo]:
    """The automatic backups (and those made before migrations, imports and restores), newest first."""
    return files.list_backups(backups_dir(where))


def backup_before(ctx: Context, reason: str, detail: str = "", *, progress: Progress = no_progress,
                  cancel: Cancel = never_cancel) -> BackupInfo:
    """A checked backup before something that changes much: ``reason`` is "sync" (a sync import),
    "restore", "migrate", "manual", ... (store.backups.REASONS). Raises CongressError when it cannot
    be made; the caller then does not go on."""
    return files.make_backup(ctx.db_path, reason, detail=detail, progress=progress, cancel=cancel)


def backup_if_due(ctx: Context, *, now: dt.datetime | None = None, progress: Progress = no_progress,
                  cancel: Cancel = never_cancel) -> BackupInfo | None:
    """The daily backup: made when the newest backup is a day old or older."""
    if not files.backup_due(backups_dir(ctx), now):
        return None
    return files.make_backup(ctx.db_path, "daily", progress=progress, cancel=cancel, now=now)


@dataclass(frozen=True)
class MaintenanceResult:
    backup: BackupInfo | None        # the daily backup made now (None: not due, or it failed)
    problems: tuple[str, ...] = ()   # the live database's integrity problems: not empty = damaged
    error: str = ""                  # the backup could not be made (disk full, ...): worth a status line
    good_backup: BackupInfo | None = None  # when damaged: the newest backup that passes its check

    @property
    def damaged(self) -> bool:
        return bool(self.problems)


def startup_maintenance(ctx: Context, *, cancel: Cancel = never_cancel, interrupter: Interrupter | None = None,
                        now: dt.datetime | None = None) -> MaintenanceResult:
    """Run in the background after the window is shown: the daily backup when due. Its copy's
    integrity_check covers the live file too (the copy holds the same pages); when the copy fails,
    the live file is checked itself, and a damaged one is reported with the newest good backup."""
    try:
        info = backup_if_due(ctx, now=now, cancel=cancel)
        return MaintenanceResult(info)
    except CongressError as e:
        if e.code == "cancelled":
            raise
        if e.code != "backup_check_failed":
            log.warning("daily backup failed: %s", e.message)
            return MaintenanceResult(None, error=e.message)
    problems = files.integrity_problems(ctx.db_path, interrupter=interrupter)
    if not problems:
        return MaintenanceResult(None, error="自动备份的副本没有通过检查，本机数据库检查正常；请检查备份文件夹所在磁盘。")
    check_cancel(cancel)
    good = newest_good_backup(ctx.data_dir)
    log.error("database %s found damaged in the background: %s", ctx.db_path, problems[:5])
    return MaintenanceResult(None, tuple(problems), good_backup=good)


# ============================================================================ 备份到U盘
def backup_to_folder(ctx: Context, folder: str | Path, *, passphrase: str, progress: Progress = no_progress,
                     cancel: Cancel = never_cancel) -> stick.StickBackup:
    """An encrypted, checked backup in ``folder`` (a USB stick, another disk), named with the office
    code and time; the attachment files go, encrypted, to ``congress-attachments-encrypted/`` there
    (only those not already on it). ``passphrase`` must match the office's (WrongPassphrase, and
    nothing is written); PassphraseNeeded when none is set yet."""
    target = Path(folder)
    if not target.is_dir():
        raise NotFound(f"找不到文件夹 {target}：U盘可能已被拔出")
    if target.resolve() in (backups_dir(ctx).resolve(), Path(ctx.data_dir).resolve()):
        raise InvalidInput("这是本机的数据文件夹或自动备份文件夹，请选择U盘或其他磁盘上的文件夹")
    try:
        made = stick.backup_to_stick(ctx, target, passphrase, attachments_dir=Path(ctx.data_dir) / ATTACHMENTS,
                                     progress=progress, cancel=cancel)
    except OSError as e:
        raise CongressError(f"无法写入 {target}：{os_error_text(e)}（U盘是否已写满、被拔出或写保护？）") from e
    log.info("backed up to %s", made.info.path)
    return made


def list_folder_backups(folder: str | Path) -> list[BackupInfo]:
    """The backups in any folder (a stick): encrypted ones from their headers and plain ones, newest first."""
    rows = files.list_backups(Path(folder)) + stick.list_sealed(folder)
    return sorted(rows, key=lambda b: (b.made_at, b.path.name), reverse=True)


# ============================================================================ 从备份恢复
def inspect_backup(path: str | Path) -> BackupInfo:
    """A backup file's date, reason and record counts, read from the file itself (for the question
    "restore this one?"). Raises InvalidInput when it is not a database of this program."""
    p = Path(path)
    if not p.is_file():
        raise NotFound(f"找不到备份文件 {p}")
    if stick.is_sealed(p):
        return stick.read_backup_info(p)
    if not files.header_ok(p):
        raise InvalidInput(f"“{p.name}”不是{APP_NAME}的数据库备份（不是 SQLite 数据库文件）")
    known = files.describe(p, inspect_contents=False)
    try:
        c = files.read_contents(p)
    except sqlite3.DatabaseError as e:
        raise InvalidInput(f"备份文件“{p.name}”已损坏，无法读取：{e}") from e
    if "office" not in c["tables"] or not c["office_code"]:
        raise InvalidInput(f"“{p.name}”不是{APP_NAME}的数据库备份（没有本单位信息）")
    return BackupInfo(p, known.made_at, known.reason, p.stat().st_size, c["counts"], c["office_name"],
                      c["office_code"], c["revision"], known.checked, known.detail)


def current_summary(ctx: Context) -> BackupInfo:
    """The live database described like a backup (for showing "now" beside "after restoring")."""
    c = files.read_contents(ctx.db_path)
    return BackupInfo(ctx.db_path, dt.datetime.now().replace(microsecond=0), "", ctx.db_path.stat().st_size,
                      c["counts"], c["office_name"], c["office_code"], c["revision"])


def _validate_for_restore(path: Path, office_code: str | None, shown: BackupInfo | None = None) -> BackupInfo:
    info = inspect_backup(path)
    if shown is not None:  # a decrypted copy: its time and reason are those of the encrypted file
        info = replace(info, path=shown.path, made_at=shown.made_at, reason=shown.reason, size=shown.size,
                       checked=shown.checked, detail=shown.detail, encrypted=True)
    problems = files.integrity_problems(path)
    if problems:
        raise InvalidInput(f"备份文件“{path.name}”没有通过完整性检查，不能用来恢复：{'；'.join(problems[:3])}")
    if office_code and info.office_code != office_code:
        raise InvalidInput(f"这个备份属于“{info.office_name}”（区划代码 {info.office_code}），不是本单位的数据，不能恢复")
    unknown = unknown_revisions_fast(info.revision)
    if unknown:
        raise InvalidInput(f"这个备份由更新版本的{APP_NAME}生成（数据库版本 {'、'.join(unknown)}），请先升级程序再恢复")
    return info


@dataclass(frozen=True)
class RestoreResult:
    restored: BackupInfo          # what the database now holds (the chosen backup)
    before: BackupInfo | None     # the backup of the file that was replaced
    set_aside: Path | None = None  # where a damaged file was moved
    attachments_copied: int = 0
    attachments_missing: int = 0   # named by the restored database, on neither this PC nor the stick


@dataclass(frozen=True)
class _Readable:
    path: Path                 # the plain database file to check and put in place
    shown: BackupInfo | None   # the encrypted file as listed (None: a plain backup)
    progress: Progress         # the part of the bar left after decrypting


@contextmanager
def _readable(source: Path, data_dir: Path, passphrase: str | None, progress: Progress,
              cancel: Cancel) -> Iterator[_Readable]:
    """A plain backup as it is; an encrypted one decrypted into a temporary file in the data folder
    (every chunk checked before it is used), deleted afterwards."""
    if not stick.is_sealed(source):
        yield _Readable(source, None, progress)
        return
    if passphrase is None:
        raise PassphraseNeeded(f"“{source.name}”是加密的U盘备份，恢复需要输入U盘备份口令。")
    shown = stick.read_backup_info(source)
    plain = stick.decrypt_backup(source, passphrase, data_dir, progress=stick.span(progress, 0, 30), cancel=cancel)
    try:
        yield _Readable(plain, shown, stick.span(progress, 30, 100))
    finally:
        plain.unlink(missing_ok=True)


def _restore_attachments(source: Path, data_dir: Path, cancel: Cancel,
                         passphrase: str | None = None) -> tuple[int, int]:
    """(copied, missing): from the encrypted store beside an encrypted backup, checked against the
    restored database's records; else the plain folder beside a plain backup, as it is."""
    if passphrase is not None and stick.is_sealed(source):
        from congress_desktop.backups.checks import attachment_rows

        shas = [sha for sha, _desc in attachment_rows(paths.db_path(Path(data_dir)))]
        got = stick.restore_attachments(source, passphrase, data_dir, shas, cancel=cancel)
        return got.copied, got.missing
    beside = source.parent / USB_ATTACHMENTS
    if not beside.is_dir():
        return 0, 0
    return files.copy_tree_incremental(beside, Path(data_dir) / ATTACHMENTS, cancel=cancel), 0


def restore_backup(ctx: Context, path: str | Path, *, passphrase: str | None = None,
                   progress: Progress = no_progress, cancel: Cancel = never_cancel) -> RestoreResult:
    """Put the chosen backup in place of the current database. An encrypted backup is first decrypted
    with ``passphrase`` into a temporary file in the data folder (WrongPassphrase, or a damaged or
    changed file, refuses it before anything changes). First the current file is backed up (reason
    "restore"); then the copy is written beside it, checked and renamed over it; then the database
    is opened again (an older backup's schema is migrated, with its own backup first). Attachment
    files found beside a backup on a stick are copied in. ``ctx`` stays usable."""
    source = Path(path)
    office = ctx.office
    with _readable(source, Path(ctx.data_dir), passphrase, progress, cancel) as readable:
        plain, progress = readable.path, readable.progress
        info = _validate_for_restore(plain, office.code if office else None, readable.shown)
        check_cancel(cancel)
        before = files.make_backup(ctx.db_path, "restore", detail=f"恢复 {source.name} 之前", prune_after=False,
                                   progress=lambda d, t: progress(d * 40 // max(t, 1), 100), cancel=cancel)
        check_cancel(cancel)
        ctx.store.close()
        try:
            files.ensure_not_in_use(ctx.db_path)  # before anything is replaced: another copy may have it open
            _owe_sync_epoch(Path(ctx.data_dir), source)
            files.replace_database(ctx.db_path, plain, progress=lambda d, t: progress(40 + d * 50 // max(t, 1), 100))
        finally:
            ctx.store = open_store(ctx.data_dir)  # the old file if replacing failed, else the restored one
            ctx.reload_office()
    _settle_sync_epoch(ctx.store, ctx.data_dir)
    copied, missing = _restore_attachments(source, ctx.data_dir, never_cancel, passphrase)
    files.prune(backups_dir(ctx))
    progress(100, 100)
    log.info("restored %s (backup of %s); the replaced file is in %s", source, info.made_label, before.path)
    return RestoreResult(info, before, None, copied, missing)


def _owe_sync_epoch(folder: Path, source: Path) -> None:
    """The restored file's change log goes on from the backup's last number, which was used since for
    changes the other offices may hold: a new sync epoch keeps the two apart (store/epochs.py). Owed
    before the file is replaced, begun once it is open (or at the next open, after a crash)."""
    from congress_desktop.core.store.epochs import mark_pending

    mark_pending(folder, f"恢复 {source.name}")


def _settle_sync_epoch(store, folder: Path) -> None:
    from congress_desktop.core.store.epochs import settle_pending

    settle_pending(store, folder)


def restore_damaged(folder: str | Path, path: str | Path, *, passphrase: str | None = None,
                    progress: Progress = no_progress, cancel: Cancel = never_cancel,
                    aside: str = "damaged") -> RestoreResult:
    """Restore when the current file cannot be opened (damaged, or ``aside="newer"``: made by a newer
    program): it is moved, with its -wal/-shm, into ``backups/<aside>-<time>/`` and the chosen backup
    (decrypted first when it is encrypted) is put in its place. Open the folder with ``Context.open``
    afterwards."""
    folder = Path(folder)
    source = Path(path)
    db = paths.db_path(folder)
    code = None
    if db.is_file():
        try:
            code = files.read_contents(db)["office_code"] or None
        except sqlite3.Error:
            code = None  # too damaged to tell: the chosen backup's office is taken as it is
    with _readable(source, folder, passphrase, progress, cancel) as readable:
        plain, progress = readable.path, readable.progress
        info = _validate_for_restore(plain, code, readable.shown)
        check_cancel(cancel)
        files.ensure_not_in_use(db)
        moved = files.set_aside(db, aside) if db.exists() else None
        _owe_sync_epoch(folder, source)
        files.replace_database(db, plain, progress=progress)
    store = open_store(folder)
    try:
        _settle_sync_epoch(store, folder)
    finally:
        store.close()
    copied, missing = _restore_attachments(source, folder, never_cancel, passphrase)
    log.info("restored %s into %s; the file that could not be opened is in %s", source, db, moved)
    return RestoreResult(info, None, moved, copied, missing)


def replace_damaged(ctx: Context, path: str | Path, *, passphrase: str | None = None,
                    progress: Progress = no_progress, cancel: Cancel = never_cancel) -> RestoreResult:
    """The open database was found damaged (the background check): set it aside, put the backup in
    its place, and open that; ``ctx`` stays usable."""
    ctx.store.close()
    try:
        return restore_damaged(ctx.data_dir, path, passphrase=passphrase, progress=progress, cancel=cancel)
    finally:
        ctx.store = open_store(ctx.data_dir)
        ctx.reload_office()


def restore_current_or_damaged(folder: str | Path, path: str | Path, *, passphrase: str | None = None,
                               progress: Progress = no_progress, cancel: Cancel = never_cancel) -> RestoreResult:
    """For the command line: restore into ``folder`` whether its database opens, is damaged or was
    made by a newer program (never migrated here: it is set aside as it is)."""
    try:
        ctx = Context.open(folder)
    except DatabaseDamaged:
        return restore_damaged(folder, path, passphrase=passphrase, progress=progress, cancel=cancel)
    except NewerSchema:
        return restore_damaged(folder, path, passphrase=passphrase, progress=progress, cancel=cancel, aside="newer")
    try:
        return restore_backup(ctx, path, passphrase=passphrase, progress=progress, cancel=cancel)
    finally:
        ctx.close()


# ============================================================================ moving off a share
def move_to_local(folder: str | Path, target: str | Path | None = None, *, progress: Progress = no_progress,
                  cancel: Cancel = never_cancel) -> Path:
    """Copy the database (online backup API, checked) and the attachments from a folder that may not
    be used (a network share, a stick) to a local folder, the default one unless given. The original
    is left where it was. Returns the new data folder; open it with ``Context.open``."""
    src = Path(folder)
    dst = Path(target) if target else paths.default_data_dir()
    guard_location(dst)
    src_db, dst_db = paths.db_path(src), paths.db_path(dst)
    if dst_db.exists():
        raise Exists(f"本机的 {dst} 中已经有一个数据库，没有覆盖它。请先确认两份数据哪份是要用的，"
                     "或用 --data-dir 指定另一个本机文件夹。")
    try:
        dst.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise CongressError(f"无法创建文件夹 {dst}：{os_error_text(e)}") from e
    if src_db.is_file():
        part = dst_db.with_name(dst_db.name + files.PART)
        files.online_copy(src_db, part, progress=lambda d, t: progress(d * 80 // max(t, 1), 100), cancel=cancel)
        problems = files.integrity_problems(part)
        if problems:
            part.unlink(missing_ok=True)
            raise CongressError("复制出的数据库没有通过完整性检查，原文件可能已损坏：" + "；".join(problems[:3]))
        part.replace(dst_db)
        files.fsync_dir(dst)
    files.copy_tree_incremental(src / ATTACHMENTS, dst / ATTACHMENTS, cancel=cancel)
    progress(100, 100)
    log.info("moved the data of %s to %s (the original is left in place)", src, dst)
    return dst


# ============================================================================ check
def check_data(folder: str | Path, *, progress: Progress = no_progress, cancel: Cancel = never_cancel):
    """检查数据 (services/checks.py): the database's integrity, structure and indexes (missing ones are
    rebuilt), and the attachment store. Returns a checks.CheckReport."""
    from congress_desktop.backups.checks import check_data as run

    return run(folder, progress=progress, cancel=cancel)
