"""Benchmark: process start to main window shown (goal: at most 1.5x a bare PySide6 window).

Run by hand (not in CI):  .venv/bin/python tests/bench/bench_startup.py [runs]

Both programs run as fresh processes, offscreen, alternately, in the same run. Each prints, at the
first show event of its window (SHOWN: the goal's figure) and at its first paint (PAINTED: what the
user sees drawn), the wall-clock time and the CPU time the process has used; the parent subtracts
the time just before it started the process. CONGRESS_REPORT_SHOWN=1 makes the application print
those marks, then READY once the database is open and the 首页 filled in (it shows its window shell
before it loads the core), and quit. The bare window is tests/bench/bare_window.py.

The CPU-time figures are printed because wall-clock starts on a shared 2-core machine vary by +-30 %
from run to run; a process that is busy from start to window has both figures nearly equal."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

BARE = ROOT / "tests" / "bench" / "bare_window.py"


def run(cmd: list[str], env: dict) -> dict[str, float]:
    """{"SHOWN": wall ms, "SHOWN cpu": CPU ms of the process, ...} for one start."""
    t0 = time.time()
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120, cwd=ROOT)
    marks = {}
    for line in out.stdout.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[0] in ("SHOWN", "PAINTED", "READY"):
            marks[parts[0]] = (float(parts[1]) - t0) * 1000
            marks[parts[0] + " cpu"] = float(parts[2]) * 1000
    if "SHOWN" not in marks or "PAINTED" not in marks:
        raise RuntimeError(f"no SHOWN/PAINTED line: {out.stdout}\n{out.stderr}")
    return marks


def fmt(values: list[float]) -> str:
    return f"{statistics.median(values):6.0f} ms ({min(values):.0f}-{max(values):.0f})"


def report(bare: dict[str, list[float]], app: dict[str, list[float]], goal: float) -> None:
    """Wall-clock figures (the goal's) and, steadier on a busy machine, the CPU time each process had
    used by then."""
    for mark in ("SHOWN", "PAINTED"):
        for kind in ("", " cpu"):
            key = mark + kind
            ratio = statistics.median(app[key]) / statistics.median(bare[key])
            label = f"{mark.lower()}{' (CPU time)' if kind else ''}"
            goal_text = f"(goal <= {goal}x)" if key == "SHOWN" else ""
            print(f"  {label:19s} bare {fmt(bare[key])}   app {fmt(app[key])}   ratio {ratio:.2f}x {goal_text}")


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", CONGRESS_REPORT_SHOWN="1")
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, "-m", "congress_desktop", "--data-dir", tmp, "demo"], check=True,
                       capture_output=True)
        app_cmd = [sys.executable, "-m", "ui.launcher", "--data-dir", tmp]
        bare_cmd = [sys.executable, str(BARE)]
        run(app_cmd, env), run(bare_cmd, env)  # warm the OS file cache for both
        bare: dict[str, list[float]] = {}
        app: dict[str, list[float]] = {}
        for i in range(runs):
            for key, value in run(bare_cmd, env).items():
                bare.setdefault(key, []).append(value)
            for key, value in run(app_cmd, dict(env, CONGRESS_INSTANCE_KEY=f"bench-{os.getpid()}-{i}")).items():
                app.setdefault(key, []).append(value)
    print(f"runs: {runs} each, alternating; median (min-max)")
    report(bare, app, 1.5)
    print(f"  data ready (首页)       app {fmt(app['READY'])}")


if __name__ == "__main__":
    main()
