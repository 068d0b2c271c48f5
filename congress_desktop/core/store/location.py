"""Is a folder on a network share or a removable drive? SQLite files there get damaged (DESIGN.md §2):
a share breaks SQLite's locking and a stick is pulled out mid-write.

Windows: the drive type of the path's root (``GetDriveTypeW``); a UNC path (``\\\\server\\share``) is a
share. Linux: the mount that holds the path (``/proc/mounts``): network file systems by type, removable
drives by the block device's ``removable`` flag, its USB bus or an automount under /media.

The operating system is reached through small functions that tests replace (``drive_type``,
``mounts``, ``device_is_removable``), since real shares and sticks are not available to them.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath

log = logging.getLogger(__name__)

# For test machines only (e.g. a home folder on NFS); never set on an office PC.
ALLOW_ENV = "CONGRESS_ALLOW_UNSAFE_LOCATION"

NETWORK_FS = {
    "nfs", "nfs4", "cifs", "smb", "smb2", "smb3", "smbfs", "ncpfs", "afs", "ceph", "glusterfs", "lustre",
    "gpfs", "beegfs", "9p", "davfs", "sshfs", "fuse.sshfs", "fuse.davfs2", "fuse.gvfsd-fuse", "fuse.rclone",
    "fuse.s3fs", "fuse.smbnetfs", "fuse.glusterfs", "fuse.cephfs", "fuse.curlftpfs",
}
REMOVABLE_MOUNT_ROOTS = ("/media/", "/run/media/")

# GetDriveTypeW results
DRIVE_UNKNOWN, DRIVE_NO_ROOT_DIR, DRIVE_REMOVABLE, DRIVE_FIXED, DRIVE_REMOTE, DRIVE_CDROM, DRIVE_RAMDISK = range(7)


@dataclass(frozen=True)
class Verdict:
    kind: str    # "network" or "removable"
    reason: str  # Chinese, one line: where and why

    @property
    def kind_label(self) -> str:
        return "网络共享" if self.kind == "network" else "可移动磁盘（U盘、移动硬盘）"


# ----------------------------------------------------------------------------- Windows
def _windows_drive_type(root: str) -> int:
    import ctypes

    return int(ctypes.windll.kernel32.GetDriveTypeW(ctypes.c_wchar_p(root)))  # type: ignore[attr-defined]


def windows_verdict(path: str, drive_type: Callable[[str], int] = _windows_drive_type) -> Verdict | None:
    p = str(path)
    if p.startswith("\\\\?\\UNC\\"):
        p = "\\\\" + p[8:]
    elif p.startswith("\\\\?\\"):
        p = p[4:]
    win = PureWindowsPath(p)
    if p.startswith(("\\\\", "//")):
        share = win.anchor.rstrip("\\/") or p
        return Verdict("network", f"数据文件夹在网络共享 {share} 上")
    if not win.drive:
        return None
    root = win.drive + "\\"
    kind = drive_type(root)
    if kind == DRIVE_REMOTE:
        return Verdict("network", f"数据文件夹在网络驱动器 {win.drive} 上")
    if kind == DRIVE_REMOVABLE:
        return Verdict("removable", f"数据文件夹在可移动磁盘 {win.drive} 上（U盘或存储卡）")
    if kind == DRIVE_CDROM:
        return Verdict("removable", f"数据文件夹在光盘驱动器 {win.drive} 上")
    return None


# ----------------------------------------------------------------------------- Linux
def _read_mounts() -> str:
    try:
        return Path("/proc/mounts").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def _unescape(field: str) -> str:
    # /proc/mounts writes space, tab, newline and backslash as octal escapes
    for code, ch in (("\\040", " "), ("\\011", "\t"), ("\\012", "\n"), ("\\134", "\\")):
        field = field.replace(code, ch)
    return field


def parse_mounts(text: str) -> list[tuple[str, str, str]]:
    """(device, mount point, file system type) for every line of a /proc/mounts text."""
    out = []
    for line in text.splitlines():
        parts = line.split()
        if len(parts) >= 3:
            out.append((_unescape(parts[0]), _unescape(parts[1]), parts[2]))
    return out


def mount_of(path: str, mounts: list[tuple[str, str, str]]) -> tuple[str, str, str] | None:
    """The mount holding ``path``: the longest mount point that contains it (the last one wins on ties,
    as a later mount hides an earlier one on the same point)."""
    target = PurePosixPath(path)
    best = None
    for entry in mounts:
        point = PurePosixPath(entry[1])
        if target == point or point in target.parents:
            if best is None or len(point.parts) >= len(PurePosixPath(best[1]).parts):
                best = entry
    return best


def _sys_block_removable(device: str) -> bool:
    """True for /dev/sdb1 when its disk says removable=1 or hangs on a USB bus."""
    if not device.startswith("/dev/"):
        return False
    try:
        real = Path(device).resolve()
        node = Path("/sys/class/block") / real.name
        if not node.exists():
            return False
        sys_path = node.resolve()
        disk = sys_path if (sys_path / "removable").exists() else sys_path.parent
        removable = (disk / "removable").read_text().strip() == "1"
        return removable or "/usb" in str(sys_path)
    except OSError:
        return False


def linux_verdict(path: str, mounts: str | None = None,
                  device_is_removable: Callable[[str], bool] = _sys_block_removable) -> Verdict | None:
    entry = mount_of(path, parse_mounts(_read_mounts() if mounts is None else mounts))
    if entry is None:
        return None
    device, point, fstype = entry
    if fstype in NETWORK_FS or fstype.startswith("fuse.sshfs") or (device.startswith("//") and fstype.startswith("fuse")):
        return Verdict("network", f"数据文件夹在网络共享上（{device}，文件系统 {fstype}，挂载于 {point}）")
    if device_is_removable(device):
        return Verdict("removable", f"数据文件夹在可移动磁盘上（{device}，挂载于 {point}）")
    if point.startswith(REMOVABLE_MOUNT_ROOTS) and fstype in ("vfat", "exfat", "ntfs", "ntfs3", "fuseblk", "msdos"):
        return Verdict("removable", f"数据文件夹在可移动磁盘上（{device}，挂载于 {point}）")
    return None


# ----------------------------------------------------------------------------- both
def existing_ancestor(path: Path) -> Path:
    """The path itself or its nearest existing parent, symlinks resolved (a new data folder is judged
    by the disk it will be made on)."""
    p = Path(path).expanduser().absolute()
    while not p.exists() and p.parent != p:
        p = p.parent
    try:
        return p.resolve()
    except OSError:
        return p


def check_location(path: str | os.PathLike, *, platform: str | None = None,
                   drive_type: Callable[[str], int] | None = None, mounts: str | None = None,
                   device_is_removable: Callable[[str], bool] | None = None) -> Verdict | None:
    """None when ``path`` is on a local fixed disk; else why not. Never raises: when the system cannot
    tell, the folder is taken as local."""
    platform = platform or sys.platform
    if os.environ.get(ALLOW_ENV) == "1":
        log.warning("%s=1: the data folder's location is not checked", ALLOW_ENV)
        return None
    try:
        if platform.startswith("win"):
            p = str(path) if drive_type is not None else str(existing_ancestor(Path(path)))
            return windows_verdict(p, drive_type or _windows_drive_type)
        if platform.startswith("linux"):
            p = str(path) if mounts is not None else str(existing_ancestor(Path(path)))
            return linux_verdict(p, mounts, device_is_removable or _sys_block_removable)
    except Exception:  # a check that cannot run must not stop the program
        log.exception("could not check the location of %s", path)
    return None
