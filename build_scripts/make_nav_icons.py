"""Draw the navigation icons of the main window into resources/icons/nav/ (ui.badges reads them).

Run after adding a page or changing a badge; the output files are committed:

    .venv/bin/python build_scripts/make_nav_icons.py

Writes <page key>-24.png, -48.png, -24-selected.png and -48-selected.png for every page of
ui.main_window.PAGES, drawn by ui.badges.badge_pixmap with the bundled font (the same on every PC).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from PySide6.QtGui import QFont, QFontDatabase, QGuiApplication  # noqa: E402

from ui import badges  # noqa: E402
from ui.main_window import PAGES  # noqa: E402


def main() -> int:
    app = QGuiApplication(sys.argv[:1])
    font_id = QFontDatabase.addApplicationFont(str(ROOT / "resources" / "fonts" / "wqy-microhei.ttc"))
    app.setFont(QFont(QFontDatabase.applicationFontFamilies(font_id)[0]))
    badges.NAV_FOLDER.mkdir(parents=True, exist_ok=True)
    for spec in PAGES:
        for (size, selected), path in badges.nav_icon_files(spec.key).items():
            colour = badges.SELECTED if selected else badges.NORMAL
            if not badges.badge_pixmap(spec.badge, colour, size).save(str(path), "PNG"):
                print(f"cannot write {path}", file=sys.stderr)
                return 1
    print(f"{len(PAGES) * 4} icons written to {badges.NAV_FOLDER}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
