"""The walk of tests/gui/test_no_stall.py on a big database (see bench_stall.py), with the demo town as
the baseline in the same run."""

from __future__ import annotations

import os
from pathlib import Path

from congress_desktop.core.context import Context
from congress_desktop.demo import create_demo
from tests.gui.test_no_stall import populate, walk


def build(folder: Path, opinions: int) -> None:
    if (folder / "congress.sqlite3").exists():
        return
    folder.mkdir(parents=True, exist_ok=True)
    ctx = Context.open(folder)
    try:
        create_demo(ctx)
        if opinions:
            print(f"building {opinions:,} opinions …", flush=True)
            populate(ctx, opinions)
    finally:
        ctx.close()


def test_walk(qtbot, tmp_path):
    big = Path(os.environ.get("STALL_BENCH_DIR", str(tmp_path / "big")))
    build(big, int(os.environ.get("STALL_OPINIONS", "1000000")))
    build(tmp_path / "demo", 0)
    for name, folder in (("demo town (baseline)", tmp_path / "demo"), ("decade database", big)):
        ctx = Context.open(folder)
        try:
            hb, db = walk(qtbot, ctx, tmp_path / name.split()[0])
        finally:
            ctx.close()
        print(f"\n{name}: longest stall {hb.worst_ms:.0f} ms ({hb.worst_label}); {db.report()}")
        print(f"  {hb.report()}")
