"""The dialogs of the 网格 page: a grid, 入格 / 调整, a date, households in contact, the settings and the
一键建议入格 review. Each reads and writes through ``grids.service``; the page opens them."""

from __future__ import annotations

import logging

from PySide6.QtCore import QDate, Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from congress_desktop.core.context import Context
from congress_desktop.core.errors import CongressError, Exists, FieldErrors
from congress_desktop.grids import service as grid_service
from congress_desktop.grids.rows import (
    GridRow,
    RosterMember,
    SuggestionResult,
)
from congress_desktop.grids.rules import ROLE_HELPER, ROLE_LEAD, ROLES
from congress_desktop.places.villages import list_villages
from ui import errors as ui_errors
from ui import widgets
from ui.forms import ErrorMap, field_box
from ui.pages.deputy_form import make_error_label

log = logging.getLogger(__name__)

ID_ROLE = Qt.ItemDataRole.UserRole
KIND_ROLE = Qt.ItemDataRole.UserRole + 1
RED = QBrush(QColor("#c62828"))
GREEN = "#2e7d32"
DATE_FORMAT = "yyyy-MM-dd"


# ------------------------------------------------------------------ small helpers
def date_edit(iso: str) -> QDateEdit:
    edit = QDateEdit(QDate.fromString(iso, DATE_FORMAT))
    edit.setDisplayFormat(DATE_FORMAT)
    edit.setCalendarPopup(True)
    return edit


def iso(edit: QDateEdit) -> str:
    return edit.date().toString(DATE_FORMAT)


def fill(t: QTableWidget, rows: list[list[object]], ids: list[str] | None = None) -> None:
    t.setRowCount(len(rows))
    for r, values in enumerate(rows):
        for c, v in enumerate(values):
            item = QTableWidgetItem("" if v is None else str(v))
            if ids is not None and c == 0:
                item.setData(ID_ROLE, ids[r])
            t.setItem(r, c, item)


# ------------------------------------------------------------------ dialogs
class GridDialog(QDialog):
    """新增 / 编辑网格. The core checks every field (code unique in the town, name in its village)."""

    def __init__(self, ctx: Context, grid: GridRow | None = None, village_id: str | None = None,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.grid = grid
        self.saved: GridRow | None = None
        self.setWindowTitle(f"编辑网格：{grid.name}" if grid else "新增网格")
        self.setMinimumWidth(460)
        self.village = QComboBox()
        for v in list_villages(ctx):
            self.village.addItem(f"{v.name}（{v.code}）", v.id)
        chosen = grid.village_id if grid else village_id
        if chosen:
            self.village.setCurrentIndex(max(0, self.village.findData(chosen)))
        self.code = QLineEdit(grid.code if grid else "")
        self.code.setPlaceholderText("如 420381103200001（村代码 + 3 位序号）")
        self.name = QLineEdit(grid.name if grid else "")
        self.name.setPlaceholderText("如 一至四组网格")
        self.households = QLineEdit(str(grid.households) if grid else "")
        self.population = QLineEdit(str(grid.population) if grid else "")
        self.worker_name = QLineEdit(grid.worker_name if grid else "")
        self.worker_phone = QLineEdit(grid.worker_phone if grid else "")
        self.note = QLineEdit(grid.note if grid else "")
        self.fields = {"village_id": self.village, "code": self.code, "name": self.name,
                       "households": self.households, "population": self.population,
                       "worker_name": self.worker_name, "worker_phone": self.worker_phone, "note": self.note}
        self.error_map = ErrorMap()
        self.errors = {k: self.error_map.add(k, w) for k, w in self.fields.items()}
        self.general_error = self.error_map.general
        form = QFormLayout()
        labels = {"village_id": "所属村(社区) *", "code": "网格编号 *", "name": "网格名称 *", "households": "户数",
                  "population": "人口", "worker_name": "网格员", "worker_phone": "网格员电话", "note": "备注"}
        for key, widget in self.fields.items():
            form.addRow(labels[key], field_box(widget, self.errors[key], 2))
        buttons, self.save_button = widgets.ok_cancel_buttons(self, "保存", self.save)
        lay = QVBoxLayout(self)
        lay.addWidget(self.general_error)
        lay.addLayout(form)
        lay.addWidget(buttons)
        if not grid:
            self.code.textEdited.connect(lambda _t: self.code.setProperty("suggested", False))
            self.village.currentIndexChanged.connect(self._suggest_code)
            self._suggest_code()

    def _suggest_code(self) -> None:
        vid = self.village.currentData()
        if vid and (not self.code.text() or self.code.property("suggested")):
            self.code.setText(grid_service.next_grid_code(self.ctx, vid))
            self.code.setProperty("suggested", True)

    def values(self) -> dict:
        out = {k: w.text() for k, w in self.fields.items() if isinstance(w, QLineEdit)}
        out["village_id"] = self.village.currentData() or ""
        return out

    def show_errors(self, errors: dict[str, str]) -> None:
        self.error_map.show(errors)

    def save(self) -> bool:
        try:
            self.saved = grid_service.save_grid(self.ctx, self.values(), self.grid.id if self.grid else None)
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


class AssignDialog(QDialog):
    """入格 / 调整网格: a deputy, a grid, the role and the date from which it holds. A deputy already
    in a grid is moved: the old placement ends that day and stays in the history."""

    def __init__(self, ctx: Context, on: str, *, deputy_id: str | None = None, grid_id: str | None = None,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.result_: grid_service.AssignResult | None = None
        self.setWindowTitle("调整网格" if deputy_id else "安排代表入格")
        self.setMinimumWidth(520)
        self.deputy = QComboBox()
        for c in grid_service.deputy_choices(ctx, on):
            self.deputy.addItem(c.label, c.id)
        widgets.find_as_you_type(self.deputy)
        self.grid = QComboBox()
        for g in grid_service.list_grids(ctx, on=on):
            self.grid.addItem(f"{g.label}（{g.deputies} 人）", g.id)
        for combo, value in ((self.deputy, deputy_id), (self.grid, grid_id)):
            if value:
                combo.setCurrentIndex(max(0, combo.findData(value)))
        self.role = QComboBox()
        self.role.addItem("自动（无责任代表时为责任代表）", None)
        for r in ROLES:
            self.role.addItem(r, r)
        self.start = date_edit(on)
        self.households = QSpinBox()
        self.households.setRange(0, 100000)
        self.households.setSpecialValueText("未填")
        self.note = QLineEdit()
        self.error = make_error_label()
        form = QFormLayout()
        form.addRow("代表", self.deputy)
        form.addRow("网格", self.grid)
        form.addRow("角色", self.role)
        form.addRow("入格日期", self.start)
        form.addRow("联系户数", self.households)
        form.addRow("备注", self.note)
        hint = QLabel("已在其他网格的代表，将从入格日期起调整到新网格，原网格记录保留在历史中。")
        hint.setObjectName("muted")
        hint.setWordWrap(True)
        buttons, self.save_button = widgets.ok_cancel_buttons(self, "确定", self.save)
        lay = QVBoxLayout(self)
        lay.addLayout(form)
        lay.addWidget(hint)
        lay.addWidget(self.error)
        lay.addWidget(buttons)

    def save(self) -> bool:
        deputy_id = self.deputy.currentData()
        if not deputy_id or self.deputy.currentText() != self.deputy.itemText(self.deputy.currentIndex()):
            self.error.set_error("请从列表中选择代表")
            return False
        try:
            self.result_ = grid_service.assign_deputy(
                self.ctx, deputy_id, self.grid.currentData(), role=self.role.currentData(),
                start_on=iso(self.start), households=self.households.value(), note=self.note.text())
        except CongressError as e:
            self.error.set_error(e.message)
            return False
        self.accept()
        return True


class DateDialog(QDialog):
    """One date and a confirmation (离格, 设为责任代表)."""

    def __init__(self, title: str, text: str, label: str, on: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(title)
        self.date = date_edit(on)
        message = QLabel(text)
        message.setWordWrap(True)
        form = QFormLayout()
        form.addRow(label, self.date)
        buttons, self.ok_button = widgets.ok_cancel_buttons(self, "确定", self.accept)
        lay = QVBoxLayout(self)
        lay.addWidget(message)
        lay.addLayout(form)
        lay.addWidget(buttons)

    def value(self) -> str:
        return iso(self.date)


class HouseholdsDialog(QDialog):
    """Correct the households in contact and the note of a placement."""

    def __init__(self, member: RosterMember, note: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(f"联系户数：{member.name}")
        self.households = QSpinBox()
        self.households.setRange(0, 100000)
        self.households.setValue(member.households)
        self.households.setSpecialValueText("未填（按网格户数平均）")
        self.note = QLineEdit(note)
        form = QFormLayout()
        form.addRow("联系户数", self.households)
        form.addRow("备注", self.note)
        buttons, self.ok_button = widgets.ok_cancel_buttons(self, "保存", self.accept)
        lay = QVBoxLayout(self)
        lay.addLayout(form)
        lay.addWidget(buttons)


class SettingsDialog(QDialog):
    def __init__(self, settings: grid_service.GridSettings, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("网格设置")
        self.limit = QSpinBox()
        self.limit.setRange(1, 10)
        self.limit.setValue(settings.limit)
        self.limit.setSuffix(" 名")
        self.months = QSpinBox()
        self.months.setRange(1, 24)
        self.months.setValue(settings.visit_months)
        self.months.setSuffix(" 个月")
        form = QFormLayout()
        form.addRow("每个网格代表上限", self.limit)
        form.addRow("未走访提醒：近", self.months)
        buttons, self.ok_button = widgets.ok_cancel_buttons(self, "保存", self.accept)
        lay = QVBoxLayout(self)
        lay.addLayout(form)
        lay.addWidget(buttons)


class SuggestionDialog(QDialog):
    """一键建议入格: every proposal with a tick, the proposed grid and role (both changeable) and the
    reason. Nothing is written until 采纳所选; the core checks the kept ones again (all or none)."""

    COLUMNS = ["采纳", "代表", "所在村(社区)", "层级", "建议网格", "角色", "理由"]

    def __init__(self, ctx: Context, suggestion: SuggestionResult, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.suggestion = suggestion
        self.accepted_result: grid_service.AcceptResult | None = None
        self.setWindowTitle("一键建议入格")
        self.resize(1000, 600)
        roster = grid_service.roster_on(ctx, suggestion.on)
        self.grid_choices = [(rg.grid.id, f"{rg.grid.label}（现 {len(rg.members)} 人）") for rg in roster]
        self.has_lead = {rg.grid.id: any(m.role == ROLE_LEAD for m in rg.members) for rg in roster}
        n = len(suggestion.proposals)
        intro = QLabel(
            f"为 {n} 名尚未入格的代表建议网格（{suggestion.on} 起）：先安排在本村(社区)的网格，本村已满的"
            f"再安排到无代表或负荷最轻的邻近网格；每个网格不超过 {suggestion.limit} 名，已入格的代表不调整。"
            "<br>可以取消勾选、改选网格和角色，确认后点击「采纳所选」。")
        intro.setWordWrap(True)
        self.table = QTableWidget(n, len(self.COLUMNS))
        self.table.setObjectName("suggestionTable")
        self.table.setHorizontalHeaderLabels(self.COLUMNS)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.checks: list[QCheckBox] = []
        self.grid_boxes: list[QComboBox] = []
        self.role_boxes: list[QComboBox] = []
        for r, p in enumerate(suggestion.proposals):
            check = QCheckBox()
            check.setChecked(True)
            check.toggled.connect(self._update_count)
            self.checks.append(check)
            self.table.setCellWidget(r, 0, check)
            for c, text in ((1, p.deputy_name), (2, p.deputy_village), (3, p.levels_label), (6, p.reason)):
                self.table.setItem(r, c, QTableWidgetItem(text))
            grid_box = QComboBox()
            for gid, label in self.grid_choices:
                grid_box.addItem(label, gid)
            grid_box.setCurrentIndex(max(0, grid_box.findData(p.grid_id)))
            grid_box.currentIndexChanged.connect(lambda _i, r=r: self._grid_changed(r))
            self.grid_boxes.append(grid_box)
            self.table.setCellWidget(r, 4, grid_box)
            role_box = QComboBox()
            role_box.addItems(list(ROLES))
            role_box.setCurrentText(p.role)
            self.role_boxes.append(role_box)
            self.table.setCellWidget(r, 5, role_box)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.unplaceable = QLabel(
            f"所有网格均已满 {suggestion.limit} 名，以下代表无法安排：{'、'.join(suggestion.unplaceable)}"
            "（可新增网格或在设置中提高上限）" if suggestion.unplaceable else "")
        self.unplaceable.setWordWrap(True)
        self.unplaceable.setVisible(bool(suggestion.unplaceable))
        self.error = make_error_label()
        self.count_label = QLabel()
        all_button = QPushButton("全选")
        all_button.clicked.connect(lambda: self.set_all(True))
        none_button = QPushButton("全不选")
        none_button.clicked.connect(lambda: self.set_all(False))
        for b in (all_button, none_button):
            b.setAutoDefault(False)  # Enter means 采纳所选, not 全选
        buttons, self.accept_button = widgets.ok_cancel_buttons(self, "采纳所选", self.accept_selected)
        row = QHBoxLayout()
        row.addWidget(all_button)
        row.addWidget(none_button)
        row.addWidget(self.count_label, 1)
        row.addWidget(buttons)
        lay = QVBoxLayout(self)
        lay.addWidget(intro)
        lay.addWidget(self.table, 1)
        lay.addWidget(self.unplaceable)
        lay.addWidget(self.error)
        lay.addLayout(row)
        self._update_count()

    def set_all(self, checked: bool) -> None:
        for c in self.checks:
            c.setChecked(checked)

    def _grid_changed(self, row: int) -> None:
        """A new grid: 责任代表 when that grid has none and no other kept proposal leads it."""
        gid = self.grid_boxes[row].currentData()
        taken = self.has_lead.get(gid, False) or any(
            self.checks[r].isChecked() and self.grid_boxes[r].currentData() == gid
            and self.role_boxes[r].currentText() == ROLE_LEAD for r in range(len(self.checks)) if r != row)
        self.role_boxes[row].setCurrentText(ROLE_HELPER if taken else ROLE_LEAD)

    def _update_count(self, *_args) -> None:
        n = sum(c.isChecked() for c in self.checks)
        self.count_label.setText(f"已选 {n} / {len(self.checks)} 条")
        self.accept_button.setEnabled(n > 0)

    def kept(self) -> list[grid_service.Placement]:
        return [grid_service.Placement(p.deputy_id, self.grid_boxes[r].currentData(), self.role_boxes[r].currentText())
                for r, p in enumerate(self.suggestion.proposals) if self.checks[r].isChecked()]

    def accept_selected(self) -> bool:
        kept = self.kept()
        if not kept:
            self.error.set_error("请至少勾选一条建议")
            return False
        try:
            self.accepted_result = grid_service.accept_placements(self.ctx, kept, self.suggestion.on)
        except CongressError as e:
            self.error.set_error(e.message)
            return False
        self.accept()
        return True


# ------------------------------------------------------------------ the page
