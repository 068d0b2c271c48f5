"""Benchmark: the longest stall of the window's event loop, and the longest database call on the GUI
thread, while every page is opened and its main actions run, on the decade database.

Run by hand (not in CI):  .venv/bin/python tests/bench/bench_stall.py [OPINIONS]
(default 1,000,000 opinions and 300,000 visits, built once in BENCH_DIR if set — about three minutes).
Goal (issue 14): no database call on the GUI thread over 50 ms; no stall over 100 ms. The baseline in
the same run is the same walk on the demo town (64 deputies, a few hundred opinions)."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import pytest  # noqa: E402


def main() -> int:
    n = sys.argv[1] if len(sys.argv) > 1 else "1000000"
    folder = os.environ.get("BENCH_DIR")
    with tempfile.TemporaryDirectory() as tmp:
        env_dir = folder or str(Path(tmp) / "decade")
        os.environ["STALL_OPINIONS"] = n
        os.environ["STALL_BENCH_DIR"] = env_dir
        return pytest.main(["-q", "-s", "-p", "no:cacheprovider", "--benchmark-skip",
                            str(ROOT / "tests" / "bench" / "stall_walk.py")])


if __name__ == "__main__":
    sys.exit(main())
