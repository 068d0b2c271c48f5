"""Guards against a Qt binding that corrupts Python's reference counts.

PySide6 6.12.0 drops a reference to None each time C++ calls a Python override (a model's data() or
headerData()) that returns None. On Python 3.11, where None is not immortal, the program then aborts
with "none_dealloc: deallocating None" after a few minutes of scrolling. We pin 6.11.3; this test
fails if an upgrade brings the bug back."""

from __future__ import annotations

import gc
import sys

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt
from PySide6.QtWidgets import QTableView


class _Model(QAbstractTableModel):
    def rowCount(self, parent=QModelIndex()):
        return 0 if parent.isValid() else 30

    def columnCount(self, parent=QModelIndex()):
        return 0 if parent.isValid() else 5

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        return "格" if role == Qt.ItemDataRole.DisplayRole else None

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        return str(section) if role == Qt.ItemDataRole.DisplayRole else None


def test_repainting_a_view_does_not_lose_references_to_none(qtbot):
    view = QTableView()
    qtbot.addWidget(view)
    view.setModel(_Model())
    view.resize(800, 600)
    view.show()
    qtbot.waitExposed(view)
    gc.collect()
    before = sys.getrefcount(None)
    for _ in range(50):
        view.viewport().repaint()
        view.horizontalHeader().viewport().repaint()
    gc.collect()
    assert sys.getrefcount(None) >= before - 20  # a lost reference per call shows as hundreds
