"""Draw the application icon (a red rounded square with 「人大」 in white) into resources/icons/.

Run once after changing the design; the output files are committed:

    python build_scripts/make_icon.py

Writes app.png (256 px) and app.ico (16-256 px, PNG-compressed entries, as Windows Vista+ reads them).
Needs only PySide6 (offscreen) and the bundled font; no image library.
"""

from __future__ import annotations

import os
import struct
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QRectF, Qt  # noqa: E402
from PySide6.QtGui import QColor, QFont, QFontDatabase, QGuiApplication, QImage, QPainter  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
FONT = ROOT / "resources" / "fonts" / "wqy-microhei.ttc"
OUT = ROOT / "resources" / "icons"
SIZES = (16, 24, 32, 48, 64, 128, 256)
RED = "#b3261e"


def draw(size: int, family: str) -> QImage:
    img = QImage(size, size, QImage.Format.Format_ARGB32)
    img.fill(Qt.GlobalColor.transparent)
    p = QPainter(img)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.setRenderHint(QPainter.RenderHint.TextAntialiasing)
    margin = size * 0.04
    rect = QRectF(margin, margin, size - 2 * margin, size - 2 * margin)
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(QColor(RED))
    p.drawRoundedRect(rect, size * 0.2, size * 0.2)
    font = QFont(family)
    font.setPixelSize(max(6, round(size * 0.40)))
    font.setBold(True)
    font.setHintingPreference(QFont.HintingPreference.PreferFullHinting)
    p.setFont(font)
    p.setPen(QColor("#ffffff"))
    p.drawText(rect.adjusted(0, -size * 0.02, 0, 0), int(Qt.AlignmentFlag.AlignCenter), "人大")
    p.end()
    return img


def png_bytes(img: QImage) -> bytes:
    data = QByteArray()
    buf = QBuffer(data)
    buf.open(QIODevice.OpenModeFlag.WriteOnly)
    img.save(buf, "PNG")
    buf.close()
    return bytes(data.data())


def write_ico(path: Path, images: list[tuple[int, bytes]]) -> None:
    header = struct.pack("<HHH", 0, 1, len(images))
    offset = 6 + 16 * len(images)
    entries, blobs = b"", b""
    for size, blob in images:
        dim = 0 if size >= 256 else size  # 0 means 256 in the ICO directory
        entries += struct.pack("<BBBBHHII", dim, dim, 0, 0, 1, 32, len(blob), offset)
        blobs += blob
        offset += len(blob)
    path.write_bytes(header + entries + blobs)


def main() -> int:
    app = QGuiApplication(sys.argv[:1])  # noqa: F841 - fonts and painting need an application
    font_id = QFontDatabase.addApplicationFont(str(FONT))
    if font_id < 0:
        print(f"cannot load {FONT}", file=sys.stderr)
        return 1
    family = QFontDatabase.applicationFontFamilies(font_id)[0]
    OUT.mkdir(parents=True, exist_ok=True)
    images = [(s, png_bytes(draw(s, family))) for s in SIZES]
    (OUT / "app.png").write_bytes(images[-1][1])
    write_ico(OUT / "app.ico", images)
    print(f"wrote {OUT / 'app.png'} and {OUT / 'app.ico'} ({', '.join(map(str, SIZES))} px)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
