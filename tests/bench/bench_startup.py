"""Benchmark: process start to main window shown (goal: at most 1.5x a bare PySide6 window).

Run by hand (not in CI):  .venv/bin/python tests/bench/bench_startup.py [runs]

Both programs run as fresh processes, offscreen, alternately, in the same run. Each prints the
wall-clock time at which its window received its first show event (CONGRESS_REPORT_SHOWN=1 makes
the application print it and quit); the parent subtracts the time just before it started the
process. The application opens the demo database (made once beforehand), so the figure includes
opening SQLite, checking migrations, and the first page of the deputy list."""

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


def run(cmd: list[str], env: dict) -> float:
    t0 = time.time()
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120, cwd=ROOT)
    for line in out.stdout.splitlines():
        if line.startswith("SHOWN "):
            return (float(line.split()[1]) - t0) * 1000
    raise RuntimeError(f"no SHOWN line: {out.stdout}\n{out.stderr}")


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", CONGRESS_REPORT_SHOWN="1")
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, "-m", "congress_desktop", "--data-dir", tmp, "demo"], check=True,
                       capture_output=True)
        app_cmd = [sys.executable, "-m", "ui.launcher", "--data-dir", tmp]
        bare_cmd = [sys.executable, "-c", BARE]
        run(app_cmd, env), run(bare_cmd, env)  # warm the OS file cache for both
        app, bare = [], []
        for _ in range(runs):
            bare.append(run(bare_cmd, env))
            app.append(run(app_cmd, env))
    a, b = statistics.median(app), statistics.median(bare)
    print(f"runs: {runs} each, median (min-max)")
    print(f"bare PySide6 window : {b:7.0f} ms ({min(bare):.0f}-{max(bare):.0f})")
    print(f"乡镇人大工作台 window : {a:7.0f} ms ({min(app):.0f}-{max(app):.0f})")
    print(f"ratio               : {a / b:7.2f}x   (goal <= 1.5x)")


if __name__ == "__main__":
    main()
