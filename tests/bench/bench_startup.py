"""Benchmark: process start to main window shown (goal: at most 1.5x a bare PySide6 window).

Run by hand (not in CI):  .venv/bin/python tests/bench/bench_startup.py [runs]

Both programs run as fresh processes, offscreen, alternately, in the same run. Each prints the
wall-clock time at which its window received its first show event (CONGRESS_REPORT_SHOWN=1 makes
the application print SHOWN, then READY once the database is open and the home page filled in,
and quit); the parent subtracts the time just before it started the process. The application
shows its window shell before it loads the core, so both figures are printed: "shown" (the goal's
figure) and "data ready" (demo database open, migrations checked, 首页 counts on screen)."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

BARE = r"""
import sys, time
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QMainWindow, QLabel
app = QApplication(sys.argv)
w = QMainWindow(); w.setCentralWidget(QLabel("空白窗口")); w.resize(1200, 800)
class F(QObject):
    def eventFilter(self, o, e):
        if e.type() == QEvent.Type.Show and o is w:
            print(f"SHOWN {time.time():.6f}", flush=True); QTimer.singleShot(0, app.quit)
        return False
f = F(); w.installEventFilter(f); w.show(); app.exec()
"""


def run(cmd: list[str], env: dict, mark: str = "SHOWN") -> float:
    t0 = time.time()
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120, cwd=ROOT)
    for line in out.stdout.splitlines():
        if line.startswith(mark + " "):
            return (float(line.split()[1]) - t0) * 1000
    raise RuntimeError(f"no {mark} line: {out.stdout}\n{out.stderr}")


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", CONGRESS_REPORT_SHOWN="1")
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, "-m", "congress_desktop", "--data-dir", tmp, "demo"], check=True,
                       capture_output=True)
        app_cmd = [sys.executable, "-m", "ui.launcher", "--data-dir", tmp]
        bare_cmd = [sys.executable, "-c", BARE]
        run(app_cmd, env), run(bare_cmd, env)  # warm the OS file cache for both
        app, ready, bare = [], [], []
        for _ in range(runs):
            bare.append(run(bare_cmd, env))
            app.append(run(app_cmd, env))
            ready.append(run(app_cmd, env, "READY"))
    a, r, b = statistics.median(app), statistics.median(ready), statistics.median(bare)
    print(f"runs: {runs} each, median (min-max)")
    print(f"bare PySide6 window            : {b:6.0f} ms ({min(bare):.0f}-{max(bare):.0f})")
    print(f"乡镇人大工作台 window shown      : {a:6.0f} ms ({min(app):.0f}-{max(app):.0f})"
          f"   ratio {a / b:.2f}x (goal <= 1.5x)")
    print(f"乡镇人大工作台 data ready (首页) : {r:6.0f} ms ({min(ready):.0f}-{max(ready):.0f})"
          f"   ratio {r / b:.2f}x")


if __name__ == "__main__":
    main()
