#!/usr/bin/env python3
"""Freeze the application with PyInstaller (one folder) into dist/congress-desktop/.

    .venv/bin/python build_scripts/build.py            # Linux
    .venv\\Scripts\\python build_scripts\\build.py       # Windows

Then smoke-test it:  dist/congress-desktop/congress-desktop --self-test"""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

if __name__ == "__main__":
    sys.exit(subprocess.call([sys.executable, "-m", "PyInstaller", "--noconfirm", "--clean",
                              "--distpath", str(ROOT / "dist"), "--workpath", str(ROOT / "build"),
                              str(ROOT / "build_scripts" / "congress_desktop.spec")], cwd=ROOT))
