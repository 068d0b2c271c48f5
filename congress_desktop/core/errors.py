"""One root for every error the core raises on purpose, each with a Chinese message for the user."""

from __future__ import annotations

import errno
import os
import shutil
import sqlite3
import tempfile
from pathlib import Path


class CongressError(Exception):
    """A domain or service error whose ``message`` can be shown to the user as it is."""

    code = "error"

    def __init__(self, message: str, *, code: str | None = None, field: str | None = None, **details):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.field = field
        self.details = details

    def __str__(self) -> str:  # the CLI prints str(e)
        return self.message


def os_error_text(e: OSError) -> str:
    """Why a file could not be written or read, in Chinese (the system's own text is English)."""
    reasons = {
        errno.ENOENT: "文件夹不存在（U盘可能已被拔出）",
        errno.ENOTDIR: "路径中有一部分不是文件夹",
        errno.EISDIR: "已有同名的文件夹",
        errno.EACCES: "没有写入权限，请换一个文件夹",
        errno.EPERM: "没有写入权限，请换一个文件夹",
        errno.EROFS: "磁盘或U盘是只读的（可能打开了写保护开关）",
        errno.ENOSPC: "磁盘空间不足，请清理磁盘后重试",
        errno.EIO: "读写出错（U盘可能已被拔出或损坏）",
    }
    if e.errno == errno.ENOSPC and e.filename:  # name the drive and what is left on it
        free = free_space(e.filename)
        left = f"，只剩 {size_text(free)}" if free is not None else ""
        return f"磁盘空间不足（{drive_label(e.filename)}{left}），请清理磁盘后重试"
    return reasons.get(e.errno) or f"系统错误：{e.strerror or e}"


class InvalidInput(CongressError):
    code = "invalid"


class NotFound(CongressError):
    code = "not_found"


class Exists(CongressError):
    code = "exists"


class Cancelled(CongressError):
    code = "cancelled"

    def __init__(self, message: str = "操作已取消"):
        super().__init__(message)


class FieldErrors(InvalidInput):
    """Several field errors at once, so a form can mark every wrong field, not only the first."""

    def __init__(self, errors: dict[str, str]):
        self.errors = dict(errors)
        super().__init__("；".join(self.errors.values()), field=next(iter(self.errors), None))


class UnsafeLocation(CongressError):
    """The data folder is on a network share or a removable drive, where SQLite files get damaged."""

    code = "unsafe_location"

    def __init__(self, message: str, *, folder: str, kind: str, reason: str, local_folder: str):
        super().__init__(message, folder=folder, kind=kind, reason=reason, local_folder=local_folder)
        self.folder, self.kind, self.reason, self.local_folder = folder, kind, reason, local_folder


class DatabaseDamaged(CongressError):
    """The database file failed its integrity check; it is not opened. ``backup`` is the newest backup
    that passed its own check (a services.backups.BackupInfo) or None."""

    code = "damaged"

    def __init__(self, message: str, *, path: str, problems: list[str], backup=None):
        super().__init__(message, path=path, problems=problems)
        self.path, self.problems, self.backup = path, list(problems), backup


class ReadOnlyRecord(CongressError):
    """A record owned by another office: town data is read-only at the city, city data in a town."""

    code = "read_only"


class WrongPassphrase(InvalidInput):
    """The typed passphrase does not open a stick backup (or is not the office's stick-backup
    passphrase). Nothing was changed; the window asks again, keeping what was typed."""

    code = "wrong_passphrase"


class PassphraseNeeded(InvalidInput):
    """An encrypted stick backup was given without a passphrase, or none is set yet for backing up."""

    code = "passphrase_needed"


NEWER_SCHEMA_TEXT = "数据库由更新版本的程序创建，请安装新版本"


class NewerSchema(CongressError):
    """The database was made by a newer version of the program (its Alembic revision is unknown here).
    Nothing is written to it; ``backup`` is the newest backup this version can open (a BackupInfo) or None."""

    code = "newer_schema"

    def __init__(self, message: str, *, path: str, revision: str, unknown: list[str], backup=None):
        super().__init__(message, path=path, revision=revision, unknown=list(unknown))
        self.path, self.revision, self.unknown, self.backup = path, revision, list(unknown), backup


# ============================================================================ storage faults
# A full disk, a read-only folder or a failing drive, said in Chinese with the drive and what to do,
# whichever layer hit it (SQLite, a file write). See storage_error(); the choke points that call it:
# Store.session() and Store() (store/db.py), the backup writer (store/backups.py), the command line's
# main() and the window's error display (ui/errors.py, ui/tasks.py).

NEED_DEFAULT = 64 * 1024 * 1024  # room a database write may need: its journal, then the daily backup


class StorageError(CongressError):
    """Writing failed because of where the data lives, not because of the data. Nothing was changed."""

    code = "storage"

    def __init__(self, message: str, *, folder: str, drive: str, free: int | None = None,
                 need: int | None = None):
        super().__init__(message, folder=folder, drive=drive, free=free, need=need)
        self.folder, self.drive, self.free, self.need = folder, drive, free, need


class StorageFull(StorageError):
    code = "storage_full"


class StorageReadOnly(StorageError):
    code = "storage_read_only"


class StorageFailing(StorageError):
    code = "storage_io"


def size_text(n: int) -> str:
    if n >= 1024 ** 3:
        return f"{n / 1024 ** 3:.1f} GB"
    if n >= 1024 ** 2:
        return f"{n / 1024 ** 2:.0f} MB"
    return f"{max(1, round(n / 1024)) if n > 0 else 0} KB"


# SQLite's primary result codes (the low byte of the extended code Python gives as sqlite_errorcode)
_SQLITE_PERM, _SQLITE_READONLY, _SQLITE_IOERR, _SQLITE_FULL, _SQLITE_CANTOPEN = 3, 8, 10, 13, 14
_SQLITE_TEXTS = (("database or disk is full", "full"), ("readonly database", "readonly"),
                 ("unable to open database file", "cantopen"), ("disk i/o error", "io"))
_WIN_SHARING = {32, 33}  # the file is open in another program (Excel, a PDF viewer): not read-only


def _sqlite_kind(e: BaseException) -> str | None:
    if not isinstance(e, sqlite3.Error):
        return None
    code = getattr(e, "sqlite_errorcode", None)
    if code is not None:
        return {_SQLITE_FULL: "full", _SQLITE_READONLY: "readonly", _SQLITE_PERM: "readonly",
                _SQLITE_CANTOPEN: "cantopen", _SQLITE_IOERR: "io"}.get(code & 0xFF)
    text = str(e).lower()
    return next((kind for words, kind in _SQLITE_TEXTS if words in text), None)


def _os_kind(e: BaseException) -> str | None:
    if not isinstance(e, OSError) or getattr(e, "winerror", None) in _WIN_SHARING:
        return None
    if e.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", -1)) or getattr(e, "winerror", None) in (39, 112):
        return "full"
    if e.errno == errno.EROFS or getattr(e, "winerror", None) == 19:  # 19: the medium is write protected
        return "readonly"
    if e.errno in (errno.EACCES, errno.EPERM):
        return "denied"
    if e.errno == errno.EIO:
        return "io"
    return None


def _folder_of(path) -> Path:
    p = Path(path)
    if p.is_dir():
        return p
    if p.exists() or p.suffix:  # a file (it may not exist yet): its folder holds the write
        return p.parent
    return p


def _existing(path) -> Path:
    p = _folder_of(path).absolute()
    while not p.exists() and p.parent != p:
        p = p.parent
    return p


def drive_label(path) -> str:
    """「磁盘 D:」 on Windows, 「磁盘 /home」 (the mount point) elsewhere; for the messages below."""
    p = _existing(path)
    drive = os.path.splitdrive(str(p))[0]
    if drive:
        return f"网络位置 {drive}" if drive.startswith(("\\\\", "//")) else f"磁盘 {drive}"
    while not os.path.ismount(p) and p.parent != p:
        p = p.parent
    return f"磁盘 {p}"


def free_space(path) -> int | None:
    try:
        return shutil.disk_usage(_existing(path)).free
    except OSError:
        return None


_PROBE_BYTES = 64 * 1024
_NEARLY_FULL = 1024 * 1024


def _probe(folder) -> str | None:
    """Can a little be written in ``folder`` now? None if so, else "readonly" / "full" / "io". (An
    empty file can often still be made on a full disk: the probe writes and syncs some bytes.)"""
    try:
        fd, name = tempfile.mkstemp(prefix=".write-test-", dir=folder)
    except OSError as e:
        kind = _os_kind(e)
        return "readonly" if kind == "denied" else kind if kind else None
    found = None
    try:
        os.write(fd, b"\0" * _PROBE_BYTES)
        os.fsync(fd)
    except OSError as e:
        found = _os_kind(e)
        found = "readonly" if found == "denied" else found
    finally:
        os.close(fd)
        try:
            os.unlink(name)
        except OSError:
            pass
    return found


def _is_data_folder(folder) -> bool:
    return (Path(folder) / "congress.sqlite3").exists()


def storage_error(exc: BaseException, where=None, *, need: int | None = None) -> StorageError | None:
    """The Chinese StorageError for a write that failed because the disk is full, the folder or file
    is read-only or the drive is failing: from SQLite (SQLITE_FULL, _READONLY, _CANTOPEN, _IOERR, also
    wrapped by SQLAlchemy) or the system (ENOSPC, EDQUOT, EROFS, EACCES, EPERM, EIO). None for any
    other error. ``where``: the file or folder being written (an OSError's own file name wins);
    ``need``: the bytes the write needs, when known (the message says how much to free)."""
    if isinstance(exc, StorageError):
        return exc
    inner = getattr(exc, "orig", None) or exc  # SQLAlchemy's DBAPIError wraps the sqlite3 error
    kind = _sqlite_kind(inner)
    from_sqlite = kind is not None
    if kind is None:
        kind = _os_kind(inner)
        filename = getattr(inner, "filename", None)
        if kind is not None and filename:
            where = filename
    if kind is None or where is None:
        return None
    folder = _folder_of(where)
    if kind in ("cantopen", "denied", "io"):
        # SQLite's "unable to open", a refused or failed write: the folder itself tells why
        probed = _probe(folder) if folder.is_dir() else None
        if probed is not None:
            kind = probed
        elif kind in ("cantopen", "denied"):
            return None  # the folder can be written: not a storage fault (a missing path, a locked file)
    drive = drive_label(folder)
    free = free_space(folder)
    if kind == "io" and free is not None and free < _NEARLY_FULL:
        kind = "full"  # SQLite says SQLITE_IOERR for some writes that ran out of room
    if kind == "full":
        return _full(folder, drive, free, need, from_sqlite, where)
    if kind == "readonly":
        return _read_only(folder, drive, where)
    return StorageFailing(
        f"读写 {folder} 时出错（{drive} 可能已被拔出、接触不良或已损坏），刚才的操作没有完成，已有的数据没有改变。"
        "请检查磁盘或U盘后重试；如果反复出现，请尽快把数据备份到另一个磁盘。", folder=str(folder), drive=drive,
        free=free)


def _full(folder, drive: str, free: int | None, need: int | None, from_sqlite: bool, where) -> StorageFull:
    if need is None:
        p = Path(where)
        need = max(NEED_DEFAULT, p.stat().st_size if p.is_file() else 0)
    tip = "（例如清空回收站、删除不用的大文件）"
    if free is not None and free < need:
        text = (f"磁盘空间不足：{drive} 只剩 {size_text(free)}，{folder} 写不下了，刚才的操作没有完成，已有的数据没有改变。"
                f"请清理出至少 {size_text(need - free)} 后重试{tip}。")
    else:
        left = f"（{drive} 现在还剩 {size_text(free)}）" if free is not None else ""
        text = (f"磁盘空间不足：{folder} 写不下了{left}，刚才的操作没有完成，已有的数据没有改变。"
                f"请清理出至少 {size_text(need)} 后重试{tip}。")
        if from_sqlite:  # SQLite also writes big sorts and index builds to the temporary folder
            text += f"如果磁盘确实还有空间，可能是临时文件夹 {tempfile.gettempdir()} 所在的磁盘满了，也请清理它。"
    return StorageFull(text, folder=str(folder), drive=drive, free=free, need=need)


def _read_only(folder, drive: str, where) -> StorageReadOnly:
    target = Path(where)
    if target.is_file() and _probe(folder) is None:  # the folder can be written, the file cannot
        what = f"数据库文件 {target}" if target.name == "congress.sqlite3" else f"文件 {target}"
    else:
        what = f"{'数据文件夹' if _is_data_folder(folder) else '文件夹'} {folder}"
    return StorageReadOnly(
        f"{what} 是只读的：程序打开数据和保存都要在这里写入，刚才的操作没有完成，已有的数据没有改变。"
        f"请去掉它在“属性”中的“只读”勾选，或关闭U盘、存储卡的写保护开关，或请管理员给这个文件夹写入权限；"
        "也可以把数据文件夹复制到一个可以写入的位置，再用 --data-dir 或环境变量 CONGRESS_DATA_DIR 指定它。",
        folder=str(folder), drive=drive)


def translate(exc: BaseException, where=None) -> BaseException:
    """What the user should see for ``exc``: a storage fault's StorageError, also when a CongressError
    of another kind was raised from one (e.g. a sync import's "写入数据库时出错" around SQLITE_FULL,
    whose message would carry SQLite's English); otherwise ``exc`` itself."""
    if isinstance(exc, StorageError):
        return exc
    if isinstance(exc, CongressError):
        cause = exc.__cause__
        while cause is not None:
            if _sqlite_kind(getattr(cause, "orig", None) or cause) is not None:
                return storage_error(cause, where) or exc
            cause = cause.__cause__
        return exc
    return storage_error(exc, where) or exc
