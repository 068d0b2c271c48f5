"""Opening an office's data folder safely (DESIGN.md §2): never on a network share or a removable
drive, never a damaged database silently, never a database a newer program made. ``Context.open``
calls ``guard_folder`` and ``open_store``; what is refused names the newest backup that can help."""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

from congress_desktop import APP_NAME, __version__
from congress_desktop.core import paths
from congress_desktop.core.errors import (
    NEWER_SCHEMA_TEXT,
    CongressError,
    DatabaseDamaged,
    NewerSchema,
    UnsafeLocation,
)
from congress_desktop.core.store import backup_files as files
from congress_desktop.core.store.backup_files import BackupInfo
from congress_desktop.core.store.db import unknown_revisions_fast
from congress_desktop.core.store.location import check_location

log = logging.getLogger(__name__)


def backups_dir(folder: Path) -> Path:
    return Path(folder) / files.BACKUP_DIR


def unsafe_location_message(folder: Path, reason: str) -> str:
    return (f"{reason}。\n数据库放在网络共享或U盘、移动硬盘上，断网、拔出或几台电脑同时打开都可能损坏数据，"
            f"{APP_NAME}不在这种位置打开数据库：{folder}\n"
            f"请把数据放到本机硬盘上，例如默认位置 {paths.default_data_dir()}；"
            "在窗口中启动时，程序会提出替您复制过去。")


def guard_location(folder: Path) -> None:
    """Refuse a data folder on a network share or a removable drive (DESIGN.md §2)."""
    verdict = check_location(folder)
    if verdict is not None:
        raise UnsafeLocation(unsafe_location_message(folder, verdict.reason), folder=str(folder),
                             kind=verdict.kind, reason=verdict.reason, local_folder=str(paths.default_data_dir()))


def damaged_message(db: Path, problems: list[str], good: BackupInfo | None) -> str:
    text = (f"数据库文件已损坏，程序没有打开它：{db}\n"
            f"检查结果：{'；'.join(problems[:3])}{' ……' if len(problems) > 3 else ''}\n")
    if good is not None:
        text += (f"最新的完好备份：{good.made_label}（{good.reason_label}；{good.counts_label}）\n"
                 f"  {good.path}\n"
                 f"用它恢复：在窗口中启动程序并选择“用备份恢复”，或运行 congress-desktop restore \"{good.path}\"。"
                 "损坏的文件会先移到 backups 文件夹里保存，不会删除。")
    else:
        text += ("没有找到完好的自动备份。请不要删除这个文件；如果U盘或其他位置有备份，"
                 "运行 congress-desktop restore 备份文件 恢复，或联系技术支持。")
    return text


def newest_good_backup(folder: Path) -> BackupInfo | None:
    """The newest automatic backup that passes PRAGMA quick_check now (a backup can rot too)."""
    for info in files.list_backups(backups_dir(Path(folder))):
        if not files.integrity_problems(info.path, quick=True):
            return info
        log.warning("backup %s fails its check; trying an older one", info.path)
    return None


def damaged_error(folder: Path, problems: list[str]) -> DatabaseDamaged:
    db = paths.db_path(Path(folder))
    good = newest_good_backup(folder)
    log.error("database %s is damaged: %s; newest good backup: %s", db, problems[:5], good.path if good else None)
    return DatabaseDamaged(damaged_message(db, problems, good), path=str(db), problems=problems, backup=good)


def guard_folder(folder: Path) -> None:
    """What ``Context.open`` checks before it opens anything: the location, then the file (a quick
    check; see store/backups.open_check). Raises UnsafeLocation or DatabaseDamaged."""
    folder = Path(folder)
    guard_location(folder)
    db = paths.db_path(folder)
    if not db.is_file():
        return
    if db.stat().st_size == 0 and not files.list_backups(backups_dir(folder)):
        return  # a first start that stopped before writing anything: nothing to lose
    problems = files.open_check(db)
    if problems:
        raise damaged_error(folder, problems)


def newer_schema_message(db: Path, unknown: list[str], good: BackupInfo | None) -> str:
    text = (f"{NEWER_SCHEMA_TEXT}。\n数据库：{db}\n"
            f"它的数据库版本是 {'、'.join(unknown)}，本程序（{__version__} 版）不认识，没有打开它，也没有改动它。"
            "安装新版本后，数据照常打开。\n")
    if good is not None:
        text += (f"如果暂时不能安装新版本，可以用本程序能打开的最新备份恢复：{good.made_label}"
                 f"（{good.reason_label}；{good.counts_label}）\n  {good.path}\n"
                 f"运行 congress-desktop restore \"{good.path}\"，或在窗口中启动程序并选择“用备份恢复”。"
                 "这个备份之后录入的内容（包括在新版本中录入的）恢复后看不到；当前的数据库文件会先移到 backups "
                 "文件夹里保存，不会删除，装上新版本后还可以用它恢复。")
    else:
        text += "backups 文件夹里没有本程序能打开的备份，请安装新版本。"
    return text


def newest_openable_backup(folder: Path) -> BackupInfo | None:
    """The newest automatic backup this version can open: its schema revision is known here (a newer
    program's "migrate" backup holds the file as it was before that program upgraded it) and it passes
    PRAGMA quick_check now."""
    for info in files.list_backups(backups_dir(Path(folder))):
        if not info.revision or unknown_revisions_fast(info.revision):
            continue
        if not files.integrity_problems(info.path, quick=True):
            return info
    return None


def newer_schema_error(folder: Path, revision: str, unknown: list[str]) -> NewerSchema:
    db = paths.db_path(Path(folder))
    good = newest_openable_backup(folder)
    log.error("database %s has the unknown revision %s (a newer program); newest backup this version opens: %s",
              db, revision, good.path if good else None)
    return NewerSchema(newer_schema_message(db, unknown, good), path=str(db), revision=revision, unknown=unknown,
                       backup=good)


def open_store(folder: Path):
    """The Store of a guarded folder; a pre-migration backup that fails its check, or a table missing,
    means a damaged file; a file of a newer program is refused with the backup that can be opened."""
    from congress_desktop.core.store.db import Store

    try:
        return Store(paths.db_path(folder))
    except NewerSchema as e:
        raise newer_schema_error(folder, e.revision, e.unknown) from e
    except CongressError as e:
        if e.code in ("backup_check_failed", "schema_damaged"):
            raise damaged_error(folder, list(e.details.get("problems") or [e.message])) from e
        raise
    except sqlite3.DatabaseError as e:
        raise damaged_error(folder, [str(e)]) from e
    except Exception as e:  # SQLAlchemy wraps sqlite3 errors: a malformed file shows here
        orig = getattr(e, "orig", None)
        if isinstance(orig, sqlite3.DatabaseError) and not isinstance(orig, sqlite3.OperationalError):
            raise damaged_error(folder, [str(orig)]) from e
        raise


