"""Benchmark: start of the FROZEN program to its main window, beside a frozen bare PySide6 window
measured in the same run (goal: at most 1.3x), and with a city's decade of data (1,000,000 opinions)
beside an empty database (goal: no slower by more than 20 %).

Run by hand (not in CI):

    .venv/bin/python tests/bench/bench_frozen_startup.py [RUNS] [--opinions N] [--build]

- The application is frozen with build_scripts/build.py (only when dist/congress-desktop is missing,
  or with --build); the bare window with tests/bench/bare_window.spec into build/bench-dist/.
- Data: "empty" is an office with no records; "decade" is the demo town plus N opinions (default
  1,000,000) and N*0.3 visits, bulk-loaded with tests/bench/bench_opinions.populate (about three
  minutes; with BENCH_DIR=/some/folder it is built once there and reused).
- Every program runs as a fresh process, offscreen, in turn (bare, empty, decade), RUNS times each
  (default 10), after one warm-up of each. The programs print the wall-clock and CPU time of the
  first show event of their window (SHOWN, the goal's figure) and of its first paint (PAINTED);
  the application (CONGRESS_REPORT_SHOWN=1) then READY once the database is open and the 首页 filled
  in, and quits. The parent subtracts the time just before it started the process.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.bench.bench_startup import fmt, report, run  # noqa: E402  (the same marks and figures)

APP = ROOT / "dist" / "congress-desktop" / ("congress-desktop.exe" if os.name == "nt" else "congress-desktop")
BARE_DIST = ROOT / "build" / "bench-dist"
BARE = BARE_DIST / "bare-window" / ("bare-window.exe" if os.name == "nt" else "bare-window")


def build(force: bool) -> None:
    if force or not APP.exists():
        subprocess.run([sys.executable, str(ROOT / "build_scripts" / "build.py")], check=True, cwd=ROOT)
    if force or not BARE.exists():
        t = time.monotonic()
        subprocess.run([sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN",
                        "--distpath", str(BARE_DIST), "--workpath", str(ROOT / "build" / "bench-work"),
                        str(ROOT / "tests" / "bench" / "bare_window.spec")], check=True, cwd=ROOT)
        print(f"bare window frozen in {time.monotonic() - t:.0f} s")


def make_data(root: Path, opinions: int) -> tuple[Path, Path]:
    import datetime as dt

    from congress_desktop.backups import service as backups
    from congress_desktop.core.context import Context
    from congress_desktop.core.office import setup_office
    from congress_desktop.demo import create_demo

    empty = root / "empty"
    ctx = Context.open(empty)
    if ctx.office is None:
        setup_office(ctx, "丹江口市六里坪镇人大", "420381103000", "town")
        backups.backup_before(ctx, "manual")  # the daily backup is not due: both starts do the same
    ctx.close()

    decade = Path(os.environ.get("BENCH_DIR") or root / "decade")
    ctx = Context.open(decade)
    if ctx.office is None:
        from tests.bench.bench_opinions import populate

        create_demo(ctx)
        print(f"building {opinions:,} opinions and {opinions * 3 // 10:,} visits (a few minutes) …", flush=True)
        populate(ctx, opinions, opinions * 3 // 10, dt.date.today())
        backups.backup_before(ctx, "manual")
    ctx.close()
    return empty, decade


def main(argv: list[str]) -> None:
    runs = int(argv[0]) if argv and argv[0].isdigit() else 10
    opinions = int(argv[argv.index("--opinions") + 1]) if "--opinions" in argv else 1_000_000
    build("--build" in argv)
    with tempfile.TemporaryDirectory() as tmp:
        empty, decade = make_data(Path(tmp), opinions)
        db_mb = (decade / "congress.sqlite3").stat().st_size / 2 ** 20
        env = dict(os.environ, QT_QPA_PLATFORM="offscreen", CONGRESS_REPORT_SHOWN="1")
        env.pop("CONGRESS_DATA_DIR", None)
        n = 0

        def go(cmd: list[str]) -> dict[str, float]:
            nonlocal n
            n += 1
            return run(cmd, dict(env, CONGRESS_INSTANCE_KEY=f"bench-{os.getpid()}-{n}"))

        bare_cmd = [str(BARE)]
        empty_cmd = [str(APP), "--data-dir", str(empty)]
        decade_cmd = [str(APP), "--data-dir", str(decade)]
        for cmd in (bare_cmd, empty_cmd, decade_cmd):  # warm the OS file cache
            go(cmd)
        bare: dict[str, list[float]] = {}
        empty: dict[str, list[float]] = {}
        full: dict[str, list[float]] = {}
        for _ in range(runs):
            for cmd, into in ((bare_cmd, bare), (empty_cmd, empty), (decade_cmd, full)):
                for key, value in go(cmd).items():
                    into.setdefault(key, []).append(value)
    med = statistics.median
    print(f"\nfrozen programs, offscreen, {runs} runs each, in turn; median (min-max); "
          f"decade database {db_mb:,.0f} MB")
    print("empty database beside the frozen bare PySide6 window:")
    report(bare, empty, 1.3)
    print(f"  data ready (首页)       app {fmt(empty['READY'])}")
    print(f"{opinions:,} opinions beside the empty database:")
    print(f"  shown               {fmt(full['SHOWN'])}   vs empty {med(full['SHOWN']) / med(empty['SHOWN']):.2f}x")
    print(f"  painted             {fmt(full['PAINTED'])}   vs empty {med(full['PAINTED']) / med(empty['PAINTED']):.2f}x")
    print(f"  data ready (首页)   {fmt(full['READY'])}   vs empty {med(full['READY']) / med(empty['READY']):.2f}x "
          "(goal <= 1.2x)")


if __name__ == "__main__":
    main(sys.argv[1:])
