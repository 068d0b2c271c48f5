"""What the tabs of the 票决 page share: the readable marks, the cell and table makers, the record dialog, the fills."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from congress_desktop.votes import tally as dv
from ui import tasks, widgets
from ui.forms import FormDialog

SHORT = {"for": "赞", "against": "反", "abstain": "弃", "blank": "空", "invalid": "×",
         "satisfied": "满", "basic": "基", "unsatisfied": "不"}
VOID_FILL = QBrush(QColor("#f8d7d5"))
WARN_FILL = QBrush(QColor("#fff2cc"))
VOID_INK = "#b3261e"


def marks_text(kind: str, keys: str) -> str:
    """'1230' -> '赞 反 弃 空' (what the clerk typed, readable)."""
    if keys == dv.VOID:
        return "（整张作废）"
    table = dv.KEY_MARKS[kind]
    return " ".join(SHORT[table[k]] for k in keys if k in table)


def key_help(kind: str) -> str:
    return "，".join(f"{k} {dv.LABELS[m]}" for k, m in dv.KEY_MARKS[kind].items())


def item_cell(text: object, *, center: bool = True) -> QTableWidgetItem:
    it = QTableWidgetItem("" if text is None else str(text))
    it.setFlags(it.flags() & ~Qt.ItemFlag.ItemIsEditable)
    if center:
        it.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
    return it


def make_table(headers: list[str]) -> QTableWidget:
    t = QTableWidget(0, len(headers))
    t.setHorizontalHeaderLabels(headers)
    t.verticalHeader().setVisible(False)
    t.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    t.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    t.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    t.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    t.horizontalHeader().setStretchLastSection(True)
    return t



IMPORT_FILTER = "表格文件 (*.xlsx *.csv);;Excel 表格 (*.xlsx);;CSV 文件 (*.csv)"
XLSX_FILTER = "Excel 表格 (*.xlsx)"
JSON_FILTER = "案卷文件 (*.json)"


# ------------------------------------------------------------------ small helpers
def error_label() -> widgets.FieldError:
    return widgets.FieldError()




class RecordDialog(FormDialog):
    """A dialog that records one decision on the database worker (``FormDialog.run_save``): ``save_fn``
    gets what :meth:`values` read on the GUI thread; ``saved`` is what it returned."""

    def __init__(self, title: str, save_fn: Callable[[Any], Any], parent: QWidget | None = None):
        super().__init__(title, parent)
        self.save_fn = save_fn

    def values(self) -> Any:
        raise NotImplementedError

    def finish(self, ok_text: str, *top: QWidget, note: str = "") -> None:
        """Lay out the general error, the rows and the buttons (call at the end of ``__init__``)."""
        buttons, _ = widgets.ok_cancel_buttons(self, ok_text, self.save)
        lay = QVBoxLayout(self)
        for w in top:
            lay.addWidget(w)
        lay.addWidget(self.general_error)
        lay.addLayout(self.form)
        if note:
            lay.addWidget(QLabel(note))
        lay.addWidget(buttons)

    def save(self) -> tasks.TaskHandle:
        raw = self.values()
        return self.run_save(lambda: self.save_fn(raw))

    def save_and_wait(self) -> bool:
        """For tests (``accept_with``): save and wait for the worker; True when it was saved."""
        return self.save().wait() and self.result() == QDialog.DialogCode.Accepted
