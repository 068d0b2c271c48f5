#!/usr/bin/env python3
"""Developer entry point that needs nothing but Python 3.11+.

    python dev.py start   # make .venv if needed, install, start the window (demo data if no database)
    python dev.py test    # the whole test suite (what .ci/run runs)
    python dev.py cli ... # the command line inside the venv, e.g. python dev.py cli deputies list
    python dev.py build   # freeze with PyInstaller into dist/congress-desktop/ and self-test the result

The venv is (re)installed only when pyproject.toml changed since the last install."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / ("python.exe" if os.name == "nt" else "python")
STAMP = VENV / ".installed-from"


def ensure_venv() -> None:
    if sys.version_info < (3, 11):  # noqa: UP036 - dev.py may be started by an older Python
        sys.exit("需要 Python 3.11 或更新版本 / Python 3.11+ is required")
    if not PY.exists():
        print("creating .venv ...", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text().strip() == digest:
        return
    print("installing congress-desktop and its pinned dependencies into .venv ...", flush=True)
    subprocess.check_call([str(PY), "-m", "pip", "install", "--disable-pip-version-check", "-q",
                           "-e", f"{ROOT}[dev]"])
    STAMP.write_text(digest)


def main(argv: list[str]) -> int:
    cmd = argv[0] if argv else "start"
    ensure_venv()
    if cmd == "start":
        return subprocess.call([str(PY), "-m", "ui.launcher", "--demo", *argv[1:]], cwd=ROOT)
    if cmd == "test":
        env = dict(os.environ, QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"))
        return subprocess.call([str(PY), "-m", "pytest", *argv[1:]], cwd=ROOT, env=env)
    if cmd == "cli":
        return subprocess.call([str(PY), "-m", "congress_desktop", *argv[1:]], cwd=ROOT)
    if cmd == "install":
        return 0
    if cmd == "build":  # freeze into dist/congress-desktop/, then its --self-test and (Linux) size check
        return subprocess.call([str(PY), str(ROOT / "build_scripts" / "build.py"), "--check", *argv[1:]], cwd=ROOT)
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
