#!/usr/bin/env python3
"""Freeze the application with PyInstaller (one folder) into dist/congress-desktop/.

    .venv/bin/python build_scripts/build.py [--check]            # Linux
    .venv\\Scripts\\python build_scripts\\build.py [--check]       # Windows

--check (what CI runs through ``python dev.py build``): afterwards run the frozen program's
``--self-test`` offscreen and check the size of the folder (Linux: at most 160 MB); exit 1 if
either fails. The build time and the size are printed."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DIST = ROOT / "dist" / "congress-desktop"
MAX_MB_LINUX = 160
SELF_TEST_OK = "自检通过"


def disk_usage(folder: Path) -> int:
    """Bytes the folder takes on disk (as ``du`` counts: allocated blocks where the system says)."""
    total = 0
    for p in folder.rglob("*"):
        if p.is_file() and not p.is_symlink():
            st = p.stat()
            total += st.st_blocks * 512 if hasattr(st, "st_blocks") else st.st_size
    return total


def freeze() -> int:
    t0 = time.monotonic()
    rc = subprocess.call([sys.executable, "-m", "PyInstaller", "--noconfirm", "--clean", "--log-level", "WARN",
                          "--distpath", str(ROOT / "dist"), "--workpath", str(ROOT / "build"),
                          str(ROOT / "build_scripts" / "congress_desktop.spec")], cwd=ROOT)
    print(f"build time: {time.monotonic() - t0:.0f} s", flush=True)
    return rc


def self_test() -> bool:
    # the console twin on Windows (the windowed .exe has no console to print to)
    name = "congress-cli.exe" if os.name == "nt" else "congress-desktop"
    exe = DIST / name
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONIOENCODING="utf-8",
               CONGRESS_INSTANCE_KEY=f"congress-desktop-build-check-{os.getpid()}")
    env.pop("CONGRESS_DATA_DIR", None)
    t0 = time.monotonic()
    try:
        r = subprocess.run([str(exe), "--self-test"], env=env, capture_output=True, timeout=300)
    except (OSError, subprocess.TimeoutExpired) as e:
        print(f"FAIL: the frozen program's --self-test could not run: {e}")
        return False
    out = r.stdout.decode("utf-8", "replace") + r.stderr.decode("utf-8", "replace")
    print(out.rstrip())
    print(f"frozen --self-test: exit {r.returncode} in {time.monotonic() - t0:.1f} s", flush=True)
    return r.returncode == 0 and SELF_TEST_OK in out


def main(argv: list[str]) -> int:
    rc = freeze()
    if rc != 0:
        print(f"FAIL: PyInstaller exited with {rc}")
        return rc
    size_mb = disk_usage(DIST) / 2 ** 20
    print(f"bundle: {DIST} {size_mb:.0f} MB", flush=True)
    if "--check" not in argv:
        return 0
    ok = True
    if sys.platform.startswith("linux") and size_mb > MAX_MB_LINUX:
        print(f"FAIL: the Linux bundle is {size_mb:.0f} MB, more than {MAX_MB_LINUX} MB")
        ok = False
    if not self_test():
        print("FAIL: the frozen program's --self-test did not pass")
        ok = False
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
