"""The navigation icons: a rounded square with one character, grey normally, red when selected.

The main window's navigation shows them in its first frame, so they are read from PNG files drawn in
advance (resources/icons/nav/, made by ``python build_scripts/make_nav_icons.py`` with the bundled
font): any QPainter call makes PySide build its ``Qt`` namespace (~90 enum classes, 12-20 ms), which
the start-up leaves until after the first paint. A page without files gets its icon drawn here."""

from __future__ import annotations

from PySide6.QtCore import QRectF, QSize
from PySide6.QtGui import QColor, QFont, QGuiApplication, QIcon, QPainter, QPixmap

import resources

NAV_FOLDER = resources.path("icons", "nav")
NAV_SIZES = (24, 48)  # 100 % and 200 % screens; Qt scales the nearer one for 125 / 150 %

ALIGN_CENTER = 0x0084  # int(Qt.AlignmentFlag.AlignCenter) = AlignHCenter | AlignVCenter
TRANSPARENT = QColor(0, 0, 0, 0)
NORMAL = "#7b8794"
SELECTED = "#b3261e"


def badge_pixmap(char: str, background: str, size: int = 64, foreground: str = "#ffffff",
                 ratio: float = 1.0) -> QPixmap:
    """``size`` in device-independent pixels, drawn sharp for a screen scaled by ``ratio``."""
    px = max(1, round(size * ratio))
    pix = QPixmap(px, px)
    pix.fill(TRANSPARENT)
    p = QPainter(pix)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.setRenderHint(QPainter.RenderHint.TextAntialiasing)
    p.setPen(TRANSPARENT)
    p.setBrush(QColor(background))
    p.drawRoundedRect(QRectF(0, 0, px, px), px * 0.24, px * 0.24)
    f = QFont(QGuiApplication.font())
    f.setPixelSize(int(px * 0.56))
    f.setBold(True)
    p.setFont(f)
    p.setPen(QColor(foreground))
    p.drawText(QRectF(0, 0, px, px * 0.97), ALIGN_CENTER, char)
    p.end()
    pix.setDevicePixelRatio(ratio)
    return pix


def badge_icon(char: str, size: int = 24, normal: str = NORMAL, selected: str = SELECTED) -> QIcon:
    """Grey normally, red when selected; drawn for the primary screen's scale (150 %, 200 % ...)."""
    screen = QGuiApplication.primaryScreen()
    ratio = screen.devicePixelRatio() if screen is not None else 1.0
    icon = QIcon()
    icon.addPixmap(badge_pixmap(char, normal, size, ratio=ratio), QIcon.Mode.Normal)
    icon.addPixmap(badge_pixmap(char, selected, size, ratio=ratio), QIcon.Mode.Selected)
    return icon


def nav_icon_files(key: str) -> dict[tuple[int, bool], object]:
    """{(size, selected): path} of a page's navigation icon files."""
    return {(size, selected): NAV_FOLDER / f"{key}-{size}{'-selected' if selected else ''}.png"
            for size in NAV_SIZES for selected in (False, True)}


def nav_icon(key: str, char: str) -> QIcon:
    """The navigation icon of page ``key``: from its files (loaded when first painted), or drawn."""
    files = nav_icon_files(key)
    if not all(path.is_file() for path in files.values()):
        return badge_icon(char)
    icon = QIcon()
    for (size, selected), path in files.items():
        icon.addFile(str(path), QSize(size, size), QIcon.Mode.Selected if selected else QIcon.Mode.Normal)
    return icon
