"""One root for every error the core raises on purpose, each with a Chinese message for the user."""

from __future__ import annotations


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
    import errno

    reasons = {
        errno.ENOENT: "文件夹不存在（U盘可能已被拔出）",
        errno.ENOTDIR: "路径中有一部分不是文件夹",
        errno.EISDIR: "已有同名的文件夹",
        errno.EACCES: "没有写入权限，请换一个文件夹",
        errno.EPERM: "没有写入权限，请换一个文件夹",
        errno.EROFS: "磁盘或U盘是只读的（可能打开了写保护开关）",
        errno.ENOSPC: "磁盘空间不足",
        errno.EIO: "读写出错（U盘可能已被拔出或损坏）",
    }
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
