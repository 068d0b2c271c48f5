"""Network shares and removable drives are recognised from the system's own answers, given here as
fake inputs (a /proc/mounts text, a GetDriveTypeW function), since no real share is at hand."""

from __future__ import annotations

from congress_desktop.core.store.location import (
    DRIVE_CDROM,
    DRIVE_FIXED,
    DRIVE_REMOTE,
    DRIVE_REMOVABLE,
    check_location,
    mount_of,
    parse_mounts,
)

MOUNTS = r"""/dev/sda2 / ext4 rw,relatime 0 0
proc /proc proc rw 0 0
tmpfs /tmp tmpfs rw 0 0
/dev/sda3 /home ext4 rw 0 0
//fileserver/人大办 /mnt/share cifs rw,vers=3.0 0 0
nas:/export/office /mnt/nfs nfs4 rw 0 0
user@host:/data /home/lee/remote fuse.sshfs rw 0 0
/dev/sdb1 /media/lee/KINGSTON vfat rw 0 0
/dev/sdc1 /mnt/usbdisk ext4 rw 0 0
/dev/sdd1 /media/lee/My\040Disk ext4 rw 0 0
gvfsd-fuse /run/user/1000/gvfs fuse.gvfsd-fuse rw 0 0
"""


def linux(path: str, removable=("/dev/sdc1",)):
    return check_location(path, platform="linux", mounts=MOUNTS, device_is_removable=lambda d: d in removable)


def windows(path: str, types: dict[str, int]):
    return check_location(path, platform="win32", drive_type=lambda root: types.get(root.upper(), DRIVE_FIXED))


def test_local_disks_are_fine_on_linux():
    assert linux("/home/lee/.local/share/congress-desktop") is None
    assert linux("/tmp/x") is None
    assert linux("/") is None


def test_network_file_systems_are_refused_on_linux():
    for path, fs in (("/mnt/share/数据", "cifs"), ("/mnt/nfs/a/b", "nfs4"), ("/home/lee/remote/x", "fuse.sshfs"),
                     ("/run/user/1000/gvfs/smb-share:server=x,share=y/d", "fuse.gvfsd-fuse")):
        v = linux(path)
        assert v is not None and v.kind == "network", path
        assert "网络共享" in v.reason and fs in v.reason


def test_the_deepest_mount_decides():
    mounts = parse_mounts(MOUNTS)
    assert mount_of("/home/lee/remote/x", mounts)[2] == "fuse.sshfs"
    assert mount_of("/home/lee/doc", mounts)[1] == "/home"
    assert mount_of("/mnt/sharepoint", mounts)[1] == "/"  # a name that only starts like a mount point


def test_removable_drives_are_refused_on_linux():
    v = linux("/mnt/usbdisk/data")  # the block device says removable (or sits on USB)
    assert v is not None and v.kind == "removable" and "可移动磁盘" in v.reason
    v = linux("/media/lee/KINGSTON/人大")  # a FAT stick mounted by the desktop
    assert v is not None and v.kind == "removable"
    assert linux("/media/lee/My Disk/x") is None  # escaped space read back; ext4, not removable


def test_windows_drive_types():
    assert windows(r"C:\Users\lee\AppData\Local\congress-desktop", {}) is None
    v = windows(r"Z:\人大数据", {"Z:\\": DRIVE_REMOTE})
    assert v.kind == "network" and "网络驱动器 Z:" in v.reason
    v = windows(r"E:\备份", {"E:\\": DRIVE_REMOVABLE})
    assert v.kind == "removable" and "E:" in v.reason
    assert windows(r"D:\x", {"D:\\": DRIVE_CDROM}).kind == "removable"


def test_unc_paths_are_network_shares():
    for path in (r"\\fileserver\人大办\data", r"\\?\UNC\fileserver\share\data", "//fileserver/share/data"):
        v = windows(path, {})
        assert v is not None and v.kind == "network", path
        assert "fileserver" in v.reason
    assert windows(r"\\?\C:\data", {}) is None


def test_the_environment_escape_hatch_for_test_machines(monkeypatch):
    monkeypatch.setenv("CONGRESS_ALLOW_UNSAFE_LOCATION", "1")
    assert linux("/mnt/share/x") is None
