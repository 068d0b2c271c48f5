"""What the tabs of the 票决 page share: the readable marks, the item_cell and table makers, the fills."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QTableWidget,
    QTableWidgetItem,
)

from congress_desktop.votes import tally as dv
from ui import widgets

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


