"""The office's lists behind 建议督办: handling units (承办单位), opinion categories, and the period
asked for the 办理情况汇总表."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from congress_desktop.core.context import Context
from congress_desktop.core.errors import CongressError
from congress_desktop.places import units as unit_service
from congress_desktop.places.units import UnitRow
from congress_desktop.visits import opinions as opinion_service
from congress_desktop.visits.rows import CategoryRow
from ui import errors as ui_errors
from ui import tasks, widgets
from ui.forms import FormDialog
from ui.operations import db_op
from ui.pages import visits_common as common
from ui.pages.visit_rows import ERROR_STYLE, error_label

log = logging.getLogger(__name__)



class UnitForm(FormDialog):
    """新增 / 编辑承办单位, saved on the database worker; each message under its field."""

    def __init__(self, ctx: Context, unit: UnitRow | None = None, parent: QWidget | None = None):
        super().__init__(f"编辑承办单位：{unit.name}" if unit else "新增承办单位", parent)
        self.ctx = ctx
        self.unit = unit
        self.general_error.setStyleSheet(ERROR_STYLE)
        self.general = self.general_error
        self.name = QLineEdit(unit.name if unit else "")
        self.kind = QComboBox()
        self.kind.addItems(["", *unit_service.UNIT_KINDS])
        self.kind.setCurrentText(unit.kind if unit else "")
        self.contact = QLineEdit(unit.contact_person if unit else "")
        self.phone = QLineEdit(unit.phone if unit else "")
        self.address = QLineEdit(unit.address if unit else "")
        self.note = QLineEdit(unit.note if unit else "")
        self.active = QCheckBox("在用（停用后不能再交办给该单位，已交办的不受影响）")
        self.active.setChecked(unit.active if unit else True)
        for label, key, w in (("单位名称 *", "name", self.name), ("类型", "kind", self.kind),
                              ("联系人", None, self.contact), ("联系电话", "phone", self.phone),
                              ("地址", None, self.address), ("备注", None, self.note)):
            self.add_row(label, w, key)
        for error in self.errors.values():
            error.setStyleSheet(ERROR_STYLE)
        self.form.addRow("", self.active)
        buttons, _ = widgets.ok_cancel_buttons(self, "保存", self.save)
        lay = QVBoxLayout(self)
        lay.addWidget(self.general_error)
        lay.addLayout(self.form)
        lay.addWidget(buttons)

    def save(self) -> tasks.TaskHandle:
        """Save on the database worker (``self.save_task``); closes when stored, else says why."""
        raw = {"name": self.name.text(), "kind": self.kind.currentText(), "contact_person": self.contact.text(),
               "phone": self.phone.text(), "address": self.address.text(), "note": self.note.text(),
               "active": self.active.isChecked()}
        ctx, unit_id = self.ctx, self.unit.id if self.unit else None
        return self.run_save(common.by_field(lambda: unit_service.save_unit(ctx, raw, unit_id)))


class UnitsDialog(QDialog):
    """承办单位: the registry of handling units with their contact person (read on the database worker;
    ``last_task`` is the latest read or delete)."""

    def __init__(self, ctx: Context, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle("承办单位")
        self.resize(820, 460)
        self.table = QTableWidget(0, 7)
        self.table.setHorizontalHeaderLabels(["单位名称", "类型", "联系人", "联系电话", "承办件数", "未办结", "状态"])
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.doubleClicked.connect(lambda _i: self.edit())
        self.status = QLabel(common.LOADING)
        self.status.setObjectName("muted")
        buttons = QHBoxLayout()
        for text, slot in (("新增…", self.add), ("编辑…", self.edit), ("删除", self.delete)):
            b = QPushButton(text)
            b.clicked.connect(slot)
            buttons.addWidget(b)
        buttons.addStretch(1)
        close = QPushButton("关闭")
        close.clicked.connect(self.accept)
        buttons.addWidget(close)
        lay = QVBoxLayout(self)
        lay.addWidget(self.table, 1)
        lay.addWidget(self.status)
        lay.addLayout(buttons)
        self.units: list[UnitRow] = []
        self.last_task: tasks.TaskHandle | None = None
        self.reload()

    def reload(self) -> tasks.TaskHandle:
        ctx = self.ctx
        self.last_task = db_op(self, lambda: unit_service.list_units(ctx, counts=True), self._show, title="正在读取")
        return self.last_task

    def _show(self, units: list[UnitRow]) -> None:
        self.units = units
        self.status.setText(f"共 {len(units)} 个承办单位")
        self.table.setRowCount(len(self.units))
        for i, u in enumerate(self.units):
            for j, v in enumerate((u.name, u.kind, u.contact_person, u.phone, str(u.total_count), str(u.open_count),
                                   "在用" if u.active else "停用")):
                self.table.setItem(i, j, QTableWidgetItem(v))

    def selected(self) -> UnitRow | None:
        rows = self.table.selectionModel().selectedRows()
        return self.units[rows[0].row()] if rows else None

    def add(self) -> None:
        dlg = UnitForm(self.ctx, None, self)
        if widgets.exec_modal(dlg) == QDialog.DialogCode.Accepted:
            self.reload()

    def edit(self) -> None:
        u = self.selected()
        if u is not None and widgets.exec_modal(UnitForm(self.ctx, u, self)) == QDialog.DialogCode.Accepted:
            self.reload()

    def delete(self) -> tasks.TaskHandle | None:
        u = self.selected()
        if u is None or not widgets.ask_yes_no(self, "删除承办单位", f"确定删除“{u.name}”吗？"):
            return None
        ctx, unit_id = self.ctx, u.id

        def failed(exc: BaseException) -> None:
            ui_errors.show_error(self, exc)
            self.reload()

        def deleted(_none: None) -> None:
            self.reload()

        self.last_task = db_op(self, lambda: unit_service.delete_unit(ctx, unit_id), deleted, title="正在删除",
                               on_error=failed)
        return self.last_task


class CategoriesDialog(QDialog):
    """意见类别: the office's own list (seeded with the common categories). Read and changed on the database
    worker (``last_task``); a change the core refuses is said in the red line."""

    def __init__(self, ctx: Context, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle("意见类别")
        self.resize(420, 420)
        self.list = QListWidget()
        self.name = QLineEdit()
        self.name.setPlaceholderText("类别名称")
        self.hint = QLineEdit()
        self.hint.setPlaceholderText("说明（可不填），如 水电路气厕网购")
        self.error = error_label()
        row = QHBoxLayout()
        for text, slot in (("添加", self.add), ("改名", self.rename), ("停用/启用", self.toggle), ("删除", self.delete)):
            b = QPushButton(text)
            b.clicked.connect(slot)
            row.addWidget(b)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.button(QDialogButtonBox.StandardButton.Close).setText("关闭")
        close.rejected.connect(self.accept)
        lay = QVBoxLayout(self)
        lay.addWidget(self.list, 1)
        lay.addWidget(self.name)
        lay.addWidget(self.hint)
        lay.addWidget(self.error)
        lay.addLayout(row)
        lay.addWidget(close)
        self.list.currentRowChanged.connect(self._chosen)
        self.categories: list[CategoryRow] = []
        self.last_task: tasks.TaskHandle | None = None
        self.reload()

    def reload(self) -> tasks.TaskHandle:
        ctx = self.ctx
        self.last_task = db_op(self, lambda: opinion_service.list_categories(ctx, include_inactive=True), self._show,
                               title="正在读取")
        return self.last_task

    def _show(self, categories: list[CategoryRow]) -> None:
        self.categories = categories
        self.list.clear()
        for c in self.categories:
            self.list.addItem(c.label + ("（已停用）" if not c.active else ""))

    def _chosen(self, row: int) -> None:
        if 0 <= row < len(self.categories):
            self.name.setText(self.categories[row].name)
            self.hint.setText(self.categories[row].hint)

    def _run(self, fn: Callable[[], object]) -> tasks.TaskHandle:
        """A change on the database worker, then the list again (also after a refusal, as before)."""
        ctx = self.ctx

        def work() -> tuple[str, list[CategoryRow]]:
            try:
                fn()
                said = ""
            except CongressError as e:
                said = e.message
            return said, opinion_service.list_categories(ctx, include_inactive=True)

        def done(result: tuple[str, list[CategoryRow]]) -> None:
            self.error.set_error(result[0])
            self._show(result[1])

        self.last_task = db_op(self, work, done, title="正在保存")
        return self.last_task

    def add(self) -> None:
        ctx, raw = self.ctx, {"name": self.name.text(), "hint": self.hint.text()}
        self._run(lambda: opinion_service.save_category(ctx, raw))

    def rename(self) -> None:
        c = self._current()
        if c:
            ctx, raw = self.ctx, {"name": self.name.text(), "hint": self.hint.text(), "active": c.active}
            self._run(lambda: opinion_service.save_category(ctx, raw, c.id))

    def toggle(self) -> None:
        c = self._current()
        if c:
            ctx, raw = self.ctx, {"name": c.name, "hint": c.hint, "active": not c.active}
            self._run(lambda: opinion_service.save_category(ctx, raw, c.id))

    def delete(self) -> None:
        c = self._current()
        if c:
            ctx = self.ctx
            self._run(lambda: opinion_service.delete_category(ctx, c.id))

    def _current(self) -> CategoryRow | None:
        row = self.list.currentRow()
        return self.categories[row] if 0 <= row < len(self.categories) else None


class SummaryPeriodDialog(QDialog):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("办理情况汇总表")
        today = dt.date.today()
        self.date_from = QLineEdit(today.replace(month=1, day=1).isoformat())
        self.date_to = QLineEdit(today.isoformat())
        form = QFormLayout()
        form.addRow("提出日期从", self.date_from)
        form.addRow("到", self.date_to)
        buttons, _ = widgets.ok_cancel_buttons(self, "生成 PDF", self.accept)
        lay = QVBoxLayout(self)
        lay.addLayout(form)
        lay.addWidget(QLabel("按状态、类别和承办单位统计该期间提出的意见建议。"))
        lay.addWidget(buttons)



