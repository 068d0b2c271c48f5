"""USB sticks: find removable drives, write a file so that it is either whole or absent, read it back.

Any folder works as well (a shared folder, a second disk): the stick is only the usual case. Files go
into the folder ``人大同步`` on the chosen drive or folder (``sync_folder``).

Writing: to a temporary name, flush, fsync, rename, fsync the folder, then read the file back and
compare its SHA-256. A stick pulled out, full or write-protected gets a clear Chinese message and
leaves no half-written file under the final name."""

from __future__ import annotations

import ctypes
import errno
import hashlib
import logging
import os
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from congress_desktop.core.errors import CongressError
from congress_desktop.core.files import fsync_dir

log = logging.getLogger(__name__)

SYNC_FOLDER = "人大同步"
CHUNK = 1 << 20


class StickError(CongressError):
    code = "stick"

    def __init__(self, message: str, kind: str = "io"):
        super().__init__(message)
        self.kind = kind


@dataclass(frozen=True)
class Drive:
    path: str      # E:\ or /media/user/STICK
    label: str     # the volume name, or the folder name
    free: int      # bytes free, -1 if unknown
    total: int

    @property
    def title(self) -> str:
        size = f"（可用 {human_size(self.free)} / 共 {human_size(self.total)}）" if self.total > 0 else ""
        return f"{self.label}  {self.path}{size}" if self.label else f"{self.path}{size}"


def human_size(n: float) -> str:
    if n < 0:
        return "未知"
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TB"


def _usage(path: str) -> tuple[int, int]:
    try:
        u = shutil.disk_usage(path)
        return u.free, u.total
    except OSError:
        return -1, -1


def _windows_drives() -> list[Drive]:
    kernel32 = ctypes.windll.kernel32  # type: ignore[attr-defined]
    mask = kernel32.GetLogicalDrives()
    out = []
    for i in range(26):
        if not mask & (1 << i):
            continue
        root = f"{chr(65 + i)}:\\"
        if kernel32.GetDriveTypeW(ctypes.c_wchar_p(root)) != 2:  # DRIVE_REMOVABLE
            continue
        name = ctypes.create_unicode_buffer(261)
        # no error box for an empty card reader slot
        old = kernel32.SetErrorMode(1)
        try:
            ok = kernel32.GetVolumeInformationW(ctypes.c_wchar_p(root), name, 261, None, None, None, None, 0)
        finally:
            kernel32.SetErrorMode(old)
        if not ok:
            continue  # a slot with no medium
        free, total = _usage(root)
        out.append(Drive(root, name.value or "U盘", free, total))
    return out


def _linux_drives(bases: list[Path] | None = None) -> list[Drive]:
    user = os.environ.get("USER") or os.environ.get("LOGNAME") or ""
    if bases is None:
        bases = [Path("/media") / user, Path("/run/media") / user, Path("/media")] if user else \
            [Path("/media"), Path("/run/media")]
    seen: set[str] = set()
    out = []
    for base in bases:
        try:
            entries = sorted(base.iterdir())
        except OSError:
            continue
        for p in entries:
            try:
                if not p.is_dir() or not os.path.ismount(p) or str(p) in seen:
                    continue
            except OSError:
                continue
            seen.add(str(p))
            free, total = _usage(str(p))
            out.append(Drive(str(p), p.name, free, total))
    return out


def list_removable_drives() -> list[Drive]:
    """USB sticks and memory cards currently plugged in (may be empty; any folder works too)."""
    try:
        if sys.platform == "win32":
            return _windows_drives()
        return _linux_drives()
    except Exception:  # never let a strange drive stop the page from opening
        log.exception("could not list removable drives")
        return []


def sync_folder(target: str | Path) -> Path:
    """Where packages go: ``<target>/人大同步``, or ``target`` itself if it already is that folder."""
    t = Path(target)
    return t if t.name == SYNC_FOLDER else t / SYNC_FOLDER


# ------------------------------------------------------------------ errors

_WIN_GONE = {21, 31, 55, 483, 1117, 1167}  # not ready, gen failure, dev not exist, hw error, io, not connected
_WIN_FULL = {39, 112}
_WIN_READONLY = {19}


def stick_error(e: OSError, folder: Path | str, *, writing: bool = True, need: int = 0) -> StickError:
    """A Chinese message for what went wrong with the stick, from errno or the Windows error."""
    win = getattr(e, "winerror", None)
    where = str(folder)
    if e.errno == errno.ENOSPC or win in _WIN_FULL:
        more = f"，还需要约 {human_size(need)}" if need else ""
        return StickError(f"U盘（{where}）空间不足{more}。请删除U盘上不需要的文件或换一个U盘后重试。本机数据未改变",
                          "full")
    if e.errno in (errno.EROFS, errno.EACCES, errno.EPERM) or win in _WIN_READONLY:
        return StickError(f"无法写入 {where}：U盘是只读的（可能打开了写保护开关），或没有写入权限。"
                          "请关闭写保护或换一个U盘后重试。本机数据未改变", "readonly")
    if e.errno in (errno.EIO, errno.ENODEV, errno.ENXIO, errno.ENOENT) or win in _WIN_GONE:
        what = "写入" if writing else "读取"
        return StickError(f"{what} {where} 时出错：U盘可能已被拔出或接触不良。请重新插好U盘后重试。"
                          "文件没有写完整的部分已作废，本机数据未改变", "gone")
    return StickError(f"{'写入' if writing else '读取'} {where} 时出错：{e.strerror or e}。本机数据未改变", "io")


# ------------------------------------------------------------------ writing

# Test seam: how a chunk reaches the file (tests raise ENOSPC / EIO / EROFS here).
def _write_chunk(f: IO[bytes], data: bytes) -> None:
    f.write(data)


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            h.update(chunk)
    return h.hexdigest()


def ensure_folder(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise stick_error(e, folder) from e


def check_writable(folder: Path) -> None:
    """Fail early (before anything is applied) if nothing can be written into ``folder``."""
    ensure_folder(folder)
    probe = folder / f".probe-{os.getpid()}.tmp"
    try:
        with open(probe, "wb") as f:
            _write_chunk(f, b"ok")
            f.flush()
            os.fsync(f.fileno())
    except OSError as e:
        raise stick_error(e, folder) from e
    finally:
        try:
            probe.unlink()
        except OSError:
            pass


def write_file(folder: Path, name: str, produce: Callable[[IO[bytes]], None], *, need: int = 0) -> tuple[Path, str]:
    """Write ``folder/name`` through ``produce(file)``: temporary name, flush, fsync, rename, read back.

    Returns the final path and its SHA-256. On any failure no file is left under ``name`` (nor the
    temporary one, if it can still be removed) and a :class:`StickError` says what happened."""
    ensure_folder(folder)
    final = folder / name
    tmp = folder / f".{name}.part"
    digest = hashlib.sha256()

    class _Hashing:
        def write(self, data: bytes) -> int:
            digest.update(data)
            _write_chunk(f, data)
            return len(data)

    try:
        with open(tmp, "wb") as f:
            produce(_Hashing())  # type: ignore[arg-type]
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, final)
        fsync_dir(folder)
    except OSError as e:
        _remove_quietly(tmp)
        raise stick_error(e, folder, need=need) from e
    except BaseException:
        _remove_quietly(tmp)
        raise
    expected = digest.hexdigest()
    try:
        actual = file_sha256(final)
    except OSError as e:
        _remove_quietly(final)
        raise stick_error(e, folder, writing=False) from e
    if actual != expected:
        _remove_quietly(final)
        raise StickError(f"写入 {folder} 后读回校验不一致：U盘可能有故障或已被拔出。已删除这个不完整的文件，"
                         "请换一个U盘重试。本机数据未改变", "verify")
    return final, expected


def write_bytes(folder: Path, name: str, data: bytes) -> tuple[Path, str]:
    def produce(f) -> None:
        for i in range(0, len(data), CHUNK):
            f.write(data[i:i + CHUNK])

    return write_file(folder, name, produce, need=len(data))


def _remove_quietly(path: Path) -> None:
    try:
        path.unlink()
    except OSError:
        pass


def remove_file(path: Path) -> bool:
    try:
        path.unlink()
        return True
    except OSError:
        return False
