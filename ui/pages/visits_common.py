"""Shared by the 联系点接待 and 建议督办 pages: seams for files and modal questions, selecting a row of
a paged list once it is loaded, the history dialog, and the navigation from one page to another.

Seams for tests (module functions, replaced with ``monkeypatch.setattr``): ``ask_open_files``,
``ask_save_file``, ``open_file``; every modal dialog runs through ``ui.widgets.exec_modal``."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QTableView,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import isValid

from congress_desktop.core.context import Context
from congress_desktop.core.errors import CongressError, FieldErrors
from congress_desktop.core.history import HistoryEntry, describe_changes
from congress_desktop.visits import attachments
from congress_desktop.visits import service as visit_service
from ui import tasks, widgets
from ui.files import ask_open_files
from ui.files import ask_save_file as ask_save_file  # re-exported: the pages call common.<seam>
from ui.files import info as info
from ui.files import open_file as open_file
from ui.files import printout_path as printout_path
from ui.files import with_suffix as with_suffix
from ui.models import PagedTableModel
from ui.operations import db_op

log = logging.getLogger(__name__)
T = TypeVar("T")

XLSX_FILTER = "Excel 表格 (*.xlsx)"
LOADING = "正在加载…"  # what a list or a form shows until its data is back from the database worker
IMPORT_FILTER = "Excel 表格 (*.xlsx)"
FILE_FILTER = "图片和扫描件 (*.jpg *.jpeg *.png *.bmp *.gif *.tif *.tiff *.pdf);;所有文件 (*)"


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


# ------------------------------------------------------------------ a row of a paged list
def select_when_loaded(model: PagedTableModel, table: QTableView, row_id: str, then: Callable[[bool], Any], *,
                       load_more: bool = True) -> None:
    """Select the row ``row_id`` once the model's load (from the database worker) is in; with ``load_more``,
    ask for next pages until it is there. ``then(found)`` after."""
    if not isValid(table):
        return
    task = model.last_task
    if task is not None and not task.is_finished:  # a reload or a next page on its way: after it
        task.finished.connect(lambda: select_when_loaded(model, table, row_id, then, load_more=load_more))
        return
    row = model.row_of(row_id)
    if row is not None:
        table.selectRow(row)
        table.scrollTo(model.index(row, 0))
        then(True)
    elif load_more and model.canFetchMore():
        model.fetchMore()
        select_when_loaded(model, table, row_id, then, load_more=load_more)
    else:
        then(False)


# ------------------------------------------------------------------ forms on the database worker
def fill_combo(combo: QComboBox, items: Sequence[tuple[str, str]], current: str | None = None, *,
               first: tuple[str, str] | None = None) -> None:
    """(text, id) items, read on the worker, into a combo box (``first`` on top); ``current`` chosen."""
    combo.blockSignals(True)
    combo.clear()
    if first is not None:
        combo.addItem(*first)
    for text, item_id in items:
        combo.addItem(text, item_id)
    combo.setCurrentIndex(max(combo.findData(current), 0) if current is not None else 0)
    combo.blockSignals(False)


def by_field(fn: Callable[[], T]) -> Callable[[], T]:
    """``fn`` whose refusal that names its field (``TransitionRefused(..., field="deadline")``) is raised as
    that field's error, so ``FormDialog.run_save`` shows it under the field (ui.forms.ErrorMap shows other
    core errors in the form's top line)."""

    def work() -> T:
        try:
            return fn()
        except FieldErrors:
            raise
        except CongressError as e:
            if e.field:
                raise FieldErrors({e.field: e.message}) from e
            raise

    return work


def open_attachment(parent: QWidget, ctx: Context, attachment_id: str) -> tasks.TaskHandle:
    """Copy a stored attachment out for viewing on the database worker, then open it."""

    def show(path: Path) -> None:
        open_file(path)  # looked up here when called: tests replace visits_common.open_file

    return db_op(parent, lambda: attachments.copy_for_viewing(ctx, attachment_id), show, title="正在打开附件")


def show_history(parent: QWidget, ctx: Context, title: str, read: Callable[[], list[tuple[str, HistoryEntry]]],
                 labels: dict[str, str]) -> tasks.TaskHandle:
    """Read a record's history (and the names of the ids in it) on the database worker, then show it."""

    def work() -> tuple[list[tuple[str, HistoryEntry]], dict[str, str]]:
        entries = read()
        ids = {v for _, e in entries for pair in e.changes.values() for v in pair if isinstance(v, str)}
        return entries, visit_service.names_of_ids(ctx, ids)

    def done(result: tuple[list[tuple[str, HistoryEntry]], dict[str, str]]) -> None:
        entries, names = result
        widgets.exec_modal(HistoryDialog(title, entries, labels, parent, names=names))

    return db_op(parent, work, done, title="正在读取修改记录")


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
