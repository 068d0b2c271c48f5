"""Where the start-up time goes, phase by phase (run by hand, not in CI):

    .venv/bin/python tests/bench/startup_phases.py [RUNS] [--frozen] [--data-dir DIR]

Starts the application (or, with --frozen, dist/congress-desktop) RUNS times (default 10) on a demo
database (or on DIR, e.g. the decade database bench_frozen_startup.py builds in BENCH_DIR) with CONGRESS_REPORT_SHOWN=1 and prints, for each PHASE / SHOWN / PAINTED / READY mark, the
median time since the process was started and since the previous mark."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FROZEN = ROOT / "dist" / "congress-desktop" / ("congress-desktop.exe" if os.name == "nt" else "congress-desktop")


def main(argv: list[str]) -> None:
    runs = int(argv[0]) if argv and argv[0].isdigit() else 10
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", CONGRESS_REPORT_SHOWN="1")
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, "-m", "congress_desktop", "--data-dir", tmp, "demo"], check=True,
                       capture_output=True, cwd=ROOT)
        cmd = [str(FROZEN)] if "--frozen" in argv else [sys.executable, "-m", "ui.launcher"]
        cmd += ["--data-dir", argv[argv.index("--data-dir") + 1] if "--data-dir" in argv else tmp]
        marks: dict[str, list[float]] = {}
        for i in range(runs + 1):
            t0 = time.time()
            out = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=120,
                                 env=dict(env, CONGRESS_INSTANCE_KEY=f"phases-{os.getpid()}-{i}"))
            if i == 0:
                continue  # warm the OS file cache
            for line in out.stdout.splitlines():
                parts = line.split()
                if parts and parts[0] == "PHASE":
                    marks.setdefault(" ".join(parts[1:-1]), []).append((float(parts[-1]) - t0) * 1000)
                elif len(parts) == 3 and parts[0] in ("SHOWN", "PAINTED", "READY"):
                    marks.setdefault(parts[0], []).append((float(parts[1]) - t0) * 1000)
    previous = 0.0
    print(f"{' '.join(cmd[:1])}: {runs} runs, median ms since start / since the previous mark")
    for name, values in marks.items():
        at = statistics.median(values)
        print(f"  {at:7.1f}  +{at - previous:6.1f}  {name}")
        previous = at


if __name__ == "__main__":
    main(sys.argv[1:])
