"""A page that is one table of records with 新增 / 编辑 / 删除 (村(社区), 联系站点).

A subclass names its model, edit dialog and object names, and says how to list and delete rows, what the
count line reads and what the delete question asks. The dialog is ``dialog_class(ctx, row_or_None, page)``
with ``saved`` set after it was accepted.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QTableView,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from congress_desktop.core.context import Context
from congress_desktop.core.errors import CongressError
from ui import errors as ui_errors
from ui import widgets


class RecordListPage(QWidget):
    page_name = ""  # the page's objectName
    table_name = ""  # the table's objectName
    model_class: type = type(None)  # a ui.models.RowListModel
    dialog_class: type = type(None)  # the 新增 / 编辑 dialog
    word_wrap = True

    def __init__(self, ctx: Context, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName(self.page_name)
        self.model = self.model_class(parent=self)
        self.table = QTableView()
        self.table.setObjectName(self.table_name)
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        if not self.word_wrap:
            self.table.setWordWrap(False)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        widgets.open_rows_with(self.table, self.edit_row)
        self.count_label = QLabel()

        self.toolbar = QToolBar()
        self.toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.new_action = self._action("新增", self.new_row, QKeySequence.StandardKey.New)
        self.edit_action = self._action("编辑", self.edit_row)
        self.delete_action = self._action("删除", self.delete_row)
        top = QHBoxLayout()
        top.addWidget(self.toolbar, 1)
        top.addWidget(self.count_label)
        lay = QVBoxLayout(self)
        lay.addLayout(top)
        lay.addWidget(self.table, 1)
        self.model.modelReset.connect(self._update_actions)
        self.refresh()
        self.table.selectionModel().selectionChanged.connect(self._update_actions)

    # ------------------------------------------------------------------ what a subclass says
    def list_rows(self) -> list[Any]:
        raise NotImplementedError

    def count_text(self, rows: list[Any]) -> str:
        raise NotImplementedError

    def delete_question(self, row: Any) -> tuple[str, str]:
        """(title, text) of the question asked before deleting ``row``."""
        raise NotImplementedError

    def delete(self, row: Any) -> None:
        raise NotImplementedError

    # ------------------------------------------------------------------ the page
    def _action(self, text: str, slot, shortcut=None) -> QAction:
        return widgets.toolbar_action(self, self.toolbar, text, slot, shortcut)

    def initial_focus(self) -> QWidget:
        return self.table

    def on_activated(self) -> None:
        self.refresh()

    def refresh(self) -> None:
        selected = self.selected_row()
        rows = self.list_rows()
        self.model.set_rows(rows)
        self.count_label.setText(self.count_text(rows))
        if selected:
            self.select(selected.id)

    def _update_actions(self) -> None:
        has = self.selected_row() is not None
        self.edit_action.setEnabled(has)
        self.delete_action.setEnabled(has)

    def selected_row(self):
        sm = self.table.selectionModel()
        rows = sm.selectedRows() if sm else []
        return self.model.row(rows[0].row()) if rows else None

    def select(self, row_id: str) -> None:
        row = self.model.row_of(row_id)
        if row is not None:
            self.table.selectRow(row)

    def new_row(self) -> None:
        dialog = self.dialog_class(self.ctx, None, self)
        if widgets.exec_modal(dialog) == QDialog.DialogCode.Accepted and dialog.saved:
            self.refresh()
            self.select(dialog.saved.id)
            widgets.show_status(self, f"已新增 {dialog.saved.name}")

    def edit_row(self, index: QModelIndex | None = None) -> None:
        r = self.model.row(index.row()) if isinstance(index, QModelIndex) and index.isValid() else self.selected_row()
        if r is None:
            return
        dialog = self.dialog_class(self.ctx, r, self)
        if widgets.exec_modal(dialog) == QDialog.DialogCode.Accepted and dialog.saved:
            self.refresh()
            self.select(dialog.saved.id)
            widgets.show_status(self, f"已保存 {dialog.saved.name}")

    def delete_row(self) -> None:
        r = self.selected_row()
        if r is None:
            return
        if not widgets.ask_yes_no(self, *self.delete_question(r)):
            return
        try:
            self.delete(r)
        except CongressError as e:
            ui_errors.show_error(self, e)
            return
        self.refresh()
        widgets.show_status(self, f"已删除 {r.name}")
