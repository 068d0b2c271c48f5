"""Damage a database file on disk as a dying disk or a torn write would, where it is sure to matter.

A byte offset picked by file size (the middle, the end) may land on a free page or on the empty root
of an unused index, which SQLite never reads: the test would then pass or fail by page layout. Here
the bytes overwritten are those of a given table's root page, which every check reads."""

from __future__ import annotations

import sqlite3
from pathlib import Path


def damage_table(path: Path, table: str = "deputy", pattern: bytes = b"\xde\xad\xbe\xef") -> None:
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        page_size = con.execute("PRAGMA page_size").fetchone()[0]
        root = con.execute("SELECT rootpage FROM sqlite_master WHERE type = 'table' AND name = ?",
                           (table,)).fetchone()[0]
    finally:
        con.close()
    with open(path, "r+b") as f:
        f.seek((root - 1) * page_size)
        f.write(pattern * (page_size // len(pattern) // 2))
