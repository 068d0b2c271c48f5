"""One implementation of the small file and message seams every page uses: file dialogs, the system
viewer, where printouts go, and a plain information box.

Pages import these by name (``from ..files import ask_open_file, open_file, ...``) and call them
unqualified, so each page module keeps its own binding: a test replaces the seam of the page it drives,
e.g. ``monkeypatch.setattr(ui.pages.deputies, "ask_open_file", ...)``, and no other page is affected.
Modal dialogs still go through ``widgets.exec_modal``.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from congress_desktop.core.context import Context
from ui import widgets


def ask_open_files(parent: QWidget | None, title: str, file_filter: str) -> list[str]:
    """The files chosen to open; empty when the user cancelled."""
    paths, _ = QFileDialog.getOpenFileNames(parent, title, "", file_filter)
    return list(paths)


def ask_open_file(parent: QWidget | None, title: str, file_filter: str) -> str | None:
    """The file chosen to open; None when the user cancelled."""
    path, _ = QFileDialog.getOpenFileName(parent, title, "", file_filter)
    return path or None


def ask_save_file(parent: QWidget | None, title: str, suggested: str, file_filter: str) -> str | None:
    """Where to save; None when the user cancelled."""
    path, _ = QFileDialog.getSaveFileName(parent, title, suggested, file_filter)
    return path or None


def ask_folder(parent: QWidget | None, title: str) -> str | None:
    """A folder (starting at the home folder); None when the user cancelled."""
    path = QFileDialog.getExistingDirectory(parent, title, str(Path.home()))
    return path or None


def open_file(path: str | Path) -> bool:
    """Open a finished PDF, sheet or photo in the system's viewer."""
    return QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))


def printout_path(ctx: Context, title: str) -> Path:
    """A new file in the data folder's 打印 folder; a timestamp keeps a PDF still open in a viewer safe."""
    folder = Path(ctx.data_dir) / "打印"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{title}-{dt.datetime.now():%Y%m%d-%H%M%S}.pdf"


def with_suffix(path: str, suffix: str) -> Path:
    """``path`` ending in ``suffix`` (appended when the user typed a name without it)."""
    p = Path(path)
    return p if p.suffix.lower() == suffix else p.with_name(p.name + suffix)


def info(parent: QWidget | None, title: str, text: str) -> None:
    """A plain information box with an OK button (modal, through ``widgets.exec_modal``)."""
    box = QMessageBox(QMessageBox.Icon.Information, title, text, QMessageBox.StandardButton.Ok, parent)
    widgets.exec_modal(box)
