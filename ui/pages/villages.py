"""村(社区) page: the town's villages and communities with their codes, and how many deputies live there."""

from __future__ import annotations

import logging

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QAction, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QTableView,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from congress_desktop.domain.regioncode import RegionCodeError, validate_village_code
from congress_desktop.errors import CongressError, Exists, FieldErrors
from congress_desktop.services.context import Context
from congress_desktop.services.villages import VillageRow, delete_village, list_villages, save_village

from .. import errors as ui_errors
from .. import widgets
from ..models import VillageTableModel
from .deputy_form import field_box, make_error_label

log = logging.getLogger(__name__)


class VillageDialog(QDialog):
    """新增 / 编辑村(社区). The core checks the code (12 digits, inside this town, not used twice)."""

    def __init__(self, ctx: Context, village: VillageRow | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.village = village
        self.saved: VillageRow | None = None
        self.setWindowTitle(f"编辑村(社区)：{village.name}" if village else "新增村(社区)")
        self.setMinimumWidth(440)
        office = ctx.office
        town_code = office.code if office and office.role == "town" else ""
        self.town_code = town_code

        self.code = QLineEdit(village.code if village else town_code[:9])
        self.code.setMaxLength(14)
        self.code.setPlaceholderText("12 位统计用区划代码，如 420381103201")
        self.kind_hint = QLabel()
        self.kind_hint.setObjectName("muted")
        self.name = QLineEdit(village.name if village else "")
        self.name.setPlaceholderText("如 黄家村、六里坪社区")
        self.households = QLineEdit(str(village.households) if village else "")
        self.households.setPlaceholderText("0")
        self.population = QLineEdit(str(village.population) if village else "")
        self.population.setPlaceholderText("0")
        self.note = QLineEdit(village.note if village else "")
        self.fields = {"code": self.code, "name": self.name, "households": self.households,
                       "population": self.population, "note": self.note}
        self.errors = {k: make_error_label() for k in self.fields}
        self.general_error = make_error_label()

        form = QFormLayout()
        form.addRow("区划代码 *", field_box(self.code, self.errors["code"]))
        form.addRow("", self.kind_hint)
        form.addRow("名称 *", field_box(self.name, self.errors["name"]))
        form.addRow("户数", field_box(self.households, self.errors["households"]))
        form.addRow("人口", field_box(self.population, self.errors["population"]))
        form.addRow("备注", field_box(self.note, self.errors["note"]))
        hint = QLabel("区划代码后三位 001-199 为社区（居委会），200-399 为村（村委会）。")
        hint.setWordWrap(True)
        hint.setObjectName("muted")
        buttons = QDialogButtonBox()
        self.save_button = buttons.addButton("保存", QDialogButtonBox.ButtonRole.AcceptRole)
        self.save_button.setDefault(True)
        buttons.addButton("取消", QDialogButtonBox.ButtonRole.RejectRole)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addWidget(self.general_error)
        lay.addLayout(form)
        lay.addWidget(hint)
        lay.addWidget(buttons)
        self.code.textChanged.connect(self._code_changed)
        self._code_changed(self.code.text())
        self.code.setFocus()
        self.code.setCursorPosition(len(self.code.text()))  # a new code: type the last three digits

    def _code_changed(self, text: str) -> None:
        try:
            rc = validate_village_code(text, self.town_code or None)
        except RegionCodeError:
            self.kind_hint.setText("")
            return
        self.kind_hint.setText("将登记为：" + ("社区（居委会）" if rc.kind == "居委会" else "村（村委会）"))
        self.errors["code"].set_error("")

    def values(self) -> dict:
        return {k: w.text() for k, w in self.fields.items()}

    def show_errors(self, errors: dict[str, str]) -> None:
        for label in (*self.errors.values(), self.general_error):
            label.set_error("")
        other = []
        for key, message in errors.items():
            if key in self.errors:
                self.errors[key].set_error(message)
            else:
                other.append(message)
        self.general_error.set_error("；".join(other))
        first = next((k for k in self.fields if k in errors), None)
        if first:
            self.fields[first].setFocus()

    def save(self) -> bool:
        try:
            self.saved = save_village(self.ctx, self.values(), self.village.id if self.village else None)
        except FieldErrors as e:
            self.show_errors(e.errors)
            return False
        except Exists as e:
            self.show_errors({e.field or "": e.message})
            return False
        except CongressError as e:
            ui_errors.show_error(self, e)
            return False
        self.accept()
        return True


class VillagesPage(QWidget):
    def __init__(self, ctx: Context, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("villagesPage")
        self.model = VillageTableModel(parent=self)
        self.table = QTableView()
        self.table.setObjectName("villageTable")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.doubleClicked.connect(self.edit_village)
        for key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            sc = QShortcut(QKeySequence(key), self.table)
            sc.setContext(Qt.ShortcutContext.WidgetShortcut)
            sc.activated.connect(self.edit_village)
        self.count_label = QLabel()

        self.toolbar = QToolBar()
        self.toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.new_action = self._action("新增", self.new_village, QKeySequence.StandardKey.New)
        self.edit_action = self._action("编辑", self.edit_village)
        self.delete_action = self._action("删除", self.delete_village)
        top = QHBoxLayout()
        top.addWidget(self.toolbar, 1)
        top.addWidget(self.count_label)
        lay = QVBoxLayout(self)
        lay.addLayout(top)
        lay.addWidget(self.table, 1)
        self.model.modelReset.connect(self._update_actions)
        self.refresh()
        self.table.selectionModel().selectionChanged.connect(self._update_actions)

    def _action(self, text: str, slot, shortcut=None) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        action.triggered.connect(lambda _checked=False: slot())
        self.addAction(action)
        self.toolbar.addAction(action)
        return action

    def initial_focus(self) -> QWidget:
        return self.table

    def on_activated(self) -> None:
        self.refresh()

    def refresh(self) -> None:
        selected = self.selected_village()
        rows = list_villages(self.ctx)
        self.model.set_rows(rows)
        villages = sum(1 for v in rows if v.kind == "村")
        self.count_label.setText(f"共 {len(rows)} 个：村 {villages} 个，社区 {len(rows) - villages} 个")
        if selected:
            self.select(selected.id)

    def _update_actions(self) -> None:
        has = self.selected_village() is not None
        self.edit_action.setEnabled(has)
        self.delete_action.setEnabled(has)

    def selected_village(self) -> VillageRow | None:
        sm = self.table.selectionModel()
        rows = sm.selectedRows() if sm else []
        return self.model.row(rows[0].row()) if rows else None

    def select(self, village_id: str) -> None:
        row = self.model.row_of(village_id)
        if row is not None:
            self.table.selectRow(row)

    def new_village(self) -> None:
        dialog = VillageDialog(self.ctx, None, self)
        if widgets.exec_modal(dialog) == QDialog.DialogCode.Accepted and dialog.saved:
            self.refresh()
            self.select(dialog.saved.id)
            widgets.show_status(self, f"已新增 {dialog.saved.name}")

    def edit_village(self, index: QModelIndex | None = None) -> None:
        v = self.model.row(index.row()) if isinstance(index, QModelIndex) and index.isValid() else self.selected_village()
        if v is None:
            return
        dialog = VillageDialog(self.ctx, v, self)
        if widgets.exec_modal(dialog) == QDialog.DialogCode.Accepted and dialog.saved:
            self.refresh()
            self.select(dialog.saved.id)
            widgets.show_status(self, f"已保存 {dialog.saved.name}")

    def delete_village(self) -> None:
        v = self.selected_village()
        if v is None:
            return
        if not widgets.ask_yes_no(self, "删除村(社区)", f"确定删除“{v.name}”（{v.code}）吗？"):
            return
        try:
            delete_village(self.ctx, v.id)
        except CongressError as e:
            ui_errors.show_error(self, e)
            return
        self.refresh()
        widgets.show_status(self, f"已删除 {v.name}")
