"""Real storage faults for tests: a disk that really fills up, a folder or a file that is really read-only.

Best, where the test may mount (root on Linux, a sandbox that allows it): a small tmpfs made for the
test, so the kernel itself answers ENOSPC / EROFS and SQLite SQLITE_FULL / SQLITE_READONLY. Where it
may not, SQLite's own limits give the same errors from SQLite on an ordinary folder:
``PRAGMA max_page_count`` (the database really is full: SQLITE_FULL) and ``PRAGMA query_only``
(SQLITE_READONLY). chmod alone is no fault for root, who writes anyway; it is not used.
"""

from __future__ import annotations

import functools
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import Engine, event


@functools.cache
def can_mount() -> bool:
    if not sys.platform.startswith("linux") or os.geteuid() != 0 or not shutil.which("mount"):
        return False
    probe = Path(tempfile.mkdtemp(prefix="mount-probe-"))
    try:
        if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(probe)],
                          capture_output=True).returncode != 0:
            return False
        subprocess.run(["umount", str(probe)], capture_output=True)
        return True
    finally:
        probe.rmdir()


needs_mount = pytest.mark.skipif(not can_mount(), reason="mounting a tmpfs is not allowed here")


def _umount(point: Path) -> None:
    if subprocess.run(["umount", str(point)], capture_output=True).returncode != 0:
        subprocess.run(["umount", "-l", str(point)], capture_output=True)  # something still holds it open


@contextmanager
def small_disk(point: Path, size: int) -> Iterator[Path]:
    """A tmpfs of ``size`` bytes mounted at ``point`` (made if needed) for the duration."""
    point.mkdir(parents=True, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(point)], check=True)
    try:
        yield point
    finally:
        _umount(point)


def fill(disk: Path, leave: int = 0) -> Path:
    """Take all but ``leave`` bytes of ``disk`` with a filler file; delete it to give the space back."""
    filler = disk / "filler.bin"
    free = shutil.disk_usage(disk).free
    with open(filler, "wb") as f:
        f.write(b"\0" * max(0, free - leave))
    return filler


def remount_read_only(point: Path) -> None:
    subprocess.run(["mount", "-o", "remount,ro", str(point)], check=True)


@contextmanager
def read_only_file(path: Path) -> Iterator[Path]:
    """The file itself read-only (a bind mount of it, remounted read-only), its folder still writable:
    as a file with Windows' 只读 attribute, or another user's file. SQLite opens it read-only."""
    subprocess.run(["mount", "--bind", str(path), str(path)], check=True)
    try:
        subprocess.run(["mount", "-o", "remount,bind,ro", str(path)], check=True)
        yield path
    finally:
        _umount(path)


@contextmanager
def every_connection(*pragmas: str, engine: Engine | None = None) -> Iterator[None]:
    """Run ``pragmas`` on every new SQLAlchemy connection (of ``engine``, or of every engine the code
    under test makes) for the duration. An open engine's pool is emptied, so it reconnects."""
    target = engine if engine is not None else Engine

    def on_connect(dbapi_conn, _record):
        cur = dbapi_conn.cursor()
        for p in pragmas:
            cur.execute(p)
        cur.close()

    event.listen(target, "connect", on_connect)
    if engine is not None:
        engine.dispose()
    try:
        yield
    finally:
        event.remove(target, "connect", on_connect)
        if engine is not None:
            engine.dispose()


def page_count(db: Path) -> int:
    con = sqlite3.connect(db)
    try:
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return con.execute("PRAGMA page_count").fetchone()[0]
    finally:
        con.close()


def database_full(db: Path, *, engine: Engine | None = None):
    """The database may not grow by a single page: SQLite answers SQLITE_FULL to a write that needs one."""
    return every_connection(f"PRAGMA max_page_count = {page_count(db)}", engine=engine)


def database_read_only(*, engine: Engine | None = None):
    return every_connection("PRAGMA query_only = 1", engine=engine)


RAW_ENGLISH = ("database or disk is full", "readonly database", "unable to open database file", "disk I/O error",
               "Traceback", "OperationalError", "Errno", "No space left", "Read-only file system")


def assert_no_raw_text(text: str) -> None:
    for words in RAW_ENGLISH:
        assert words not in text, f"raw library text {words!r} shown to the user: {text}"
