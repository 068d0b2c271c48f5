"""Shared by the 联系点接待 and 建议督办 pages: seams for files and modal questions, a paged table model,
the history dialog, and the navigation from one page to another.

Seams for tests (module functions, replaced with ``monkeypatch.setattr``): ``ask_open_files``,
``ask_save_file``, ``open_file``; every modal dialog runs through ``ui.widgets.exec_modal``."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from congress_desktop.core.history import HistoryEntry, describe_changes
from ui.files import ask_open_files
from ui.files import ask_save_file as ask_save_file  # re-exported: the pages call common.<seam>
from ui.files import info as info
from ui.files import open_file as open_file
from ui.files import printout_path as printout_path
from ui.files import with_suffix as with_suffix

log = logging.getLogger(__name__)

XLSX_FILTER = "Excel 表格 (*.xlsx)"
IMPORT_FILTER = "Excel 表格 (*.xlsx)"
FILE_FILTER = "图片和扫描件 (*.jpg *.jpeg *.png *.bmp *.gif *.tif *.tiff *.pdf);;所有文件 (*)"
Index = QModelIndex | QPersistentModelIndex
ROW_ROLE = Qt.ItemDataRole.UserRole + 1


# ------------------------------------------------------------------ seams (the shared ones come from ui.files)
def ask_open_file(parent: QWidget | None, title: str, file_filter: str) -> str | None:
    paths = ask_open_files(parent, title, file_filter)
    return paths[0] if paths else None


# ------------------------------------------------------------------ opening a record of the other page
# The opinion dialog opens the visit form, whose opinion rows open the opinion dialog: the form registers
# itself here when its module is imported (ui/pages/visits.py and opinions.py import it), so neither
# module imports the other.
_openers: dict[str, Callable[..., Any]] = {}


def register_opener(kind: str, make: Callable[..., Any]) -> None:
    _openers[kind] = make


def open_record(kind: str, *args: Any, **kwargs: Any) -> Any:
    """The dialog registered for ``kind`` (e.g. "visit_form"), made with these arguments."""
    return _openers[kind](*args, **kwargs)


# ------------------------------------------------------------------ small helpers
def today_text() -> str:
    return dt.date.today().isoformat()


def main_window(widget: QWidget | None):
    """The window that can switch pages (has ``show_page``), or None (a page shown alone in a test)."""
    w = widget
    while w is not None:
        if callable(getattr(w, "show_page", None)):
            return w
        w = w.parentWidget()
    return None


def go_to(widget: QWidget, key: str, **filters) -> QWidget | None:
    """Switch to page ``key`` and apply ``filters`` there (``page.show_filtered(**filters)``)."""
    win = main_window(widget)
    if win is None:
        return None
    page = win.show_page(key)
    show = getattr(page, "show_filtered", None)
    if callable(show):
        show(**filters)
    return page


# ------------------------------------------------------------------ a paged table model
class PagedModel(QAbstractTableModel):
    """Rows fetched a page at a time from ``fetch(offset, limit)``; the total arrives separately
    (``set_total``) because on a large database counting can take longer than the first page."""

    columns: Sequence[tuple[str, Callable[[Any], Any]]] = ()

    def __init__(self, fetch: Callable[[int, int], list], parent=None, *, page_size: int = 200):
        super().__init__(parent)
        self._fetch = fetch
        self.page_size = page_size
        self._rows: list = []
        self._more = False
        self.total: int | None = None

    def reload(self, fetch: Callable[[int, int], list] | None = None) -> None:
        if fetch is not None:
            self._fetch = fetch
        self.beginResetModel()
        page = self._fetch(0, self.page_size)
        self._rows = list(page)
        self._more = len(page) == self.page_size
        self.total = None if self._more else len(self._rows)
        self.endResetModel()

    def set_total(self, total: int) -> None:
        self.total = total

    def rows(self) -> list:
        return list(self._rows)

    def row(self, i: int):
        return self._rows[i]

    def row_of(self, row_id: str) -> int | None:
        return next((i for i, r in enumerate(self._rows) if r.id == row_id), None)

    def rowCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.columns)

    def canFetchMore(self, parent: Index = QModelIndex()) -> bool:
        return not parent.isValid() and self._more

    def fetchMore(self, parent: Index = QModelIndex()) -> None:
        if parent.isValid() or not self._more:
            return
        start = len(self._rows)
        page = self._fetch(start, self.page_size)
        self._more = len(page) == self.page_size
        if not page:
            return
        self.beginInsertRows(QModelIndex(), start, start + len(page) - 1)
        self._rows.extend(page)
        self.endInsertRows()

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self._rows):
            return None
        r = self._rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            value = self.columns[index.column()][1](r)
            return "" if value is None else str(value)
        if role == ROW_ROLE:
            return r
        return self.extra_data(r, index.column(), role)

    def extra_data(self, row: Any, column: int, role: int) -> Any:
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal:
            return self.columns[section][0] if 0 <= section < len(self.columns) else None
        return str(section + 1)


# ------------------------------------------------------------------ history
class HistoryDialog(QDialog):
    """Who changed what, when: (what, entry) pairs from the services' history functions."""

    def __init__(self, title: str, entries: list[tuple[str, HistoryEntry]], labels: dict[str, str],
                 parent: QWidget | None = None, *, names: dict[str, str] | None = None):
        super().__init__(parent)
        names = names or {}
        # record ids (deputies, places, units) read as names
        entries = [(what, replace(e, changes={k: (names.get(o, o), names.get(n, n)) if isinstance(o, str | None)
                                                  and isinstance(n, str | None) else (o, n)
                                              for k, (o, n) in e.changes.items()})) for what, e in entries]
        self.setWindowTitle(title)
        self.resize(720, 520)
        self.browser = QTextBrowser()
        lines = []
        for what, e in entries:
            text = describe_changes(e, labels) or ("（标记为删除）" if e.action == "delete" else "")
            lines.append(f"<p><b>{e.local_time}</b> {e.user or ''} {e.action_label}{what}<br>"
                         f"<span style='color:#555'>{_escape(text)}</span></p>")
        self.browser.setHtml("".join(lines) or "<p>暂无修改记录。</p>")
        self.lines = [f"{e.action_label}{what}：{describe_changes(e, labels)}" for what, e in entries]
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.button(QDialogButtonBox.StandardButton.Close).setText("关闭")
        buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        note = QLabel("每次新建、修改和删除都会记录在这里（时间为本机时间）。")
        note.setObjectName("muted")
        lay.addWidget(note)
        lay.addWidget(self.browser, 1)
        lay.addWidget(buttons)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
