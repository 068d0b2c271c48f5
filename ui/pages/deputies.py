"""代表 page: find, filter, sort and edit deputies; import, export and print the roster.

The table shows one page of the filtered list at a time (``ui.models.DeputyTableModel``), so a roster
of 100,000 stays instant. Long work (import, export, printing) runs through ``ui.tasks.run_task``.

Seams for tests: ``ask_open_file`` and ``ask_save_file`` are module names (from ``ui.files``; file
dialogs and the PDF viewer); modal dialogs go through ``ui.widgets.exec_modal``.
"""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QAction, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
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

from congress_desktop.core.context import Context
from congress_desktop.core.errors import CongressError, FieldErrors
from congress_desktop.core.importing import ImportResult
from congress_desktop.core.ownership import record_owners
from congress_desktop.deputies import importing as deputy_import
from congress_desktop.deputies import printing
from congress_desktop.deputies import service as deputy_service
from congress_desktop.deputies.rows import DeputyQuery, DeputyRow
from congress_desktop.deputies.rules import IN_OFFICE, LEVELS, STATUSES, DeputyStatus
from congress_desktop.places.villages import list_villages
from ui import errors as ui_errors
from ui import operations, tasks, widgets
from ui.files import ask_open_file, ask_save_file, info, printout_path, with_suffix
from ui.forms import ErrorMap
from ui.models import DEPUTY_SORT_KEYS, DeputyTableModel
from ui.pages.deputy_form import STATUS_REASONS, DeputyForm, field_box, make_error_label, today_text
from ui.pages.import_dialog import ImportErrorsDialog

log = logging.getLogger(__name__)

SEARCH_DELAY_MS = 250
IMPORT_FILTER = "表格文件 (*.xlsx *.csv);;Excel 表格 (*.xlsx);;CSV 文件 (*.csv)"
XLSX_FILTER = "Excel 表格 (*.xlsx)"
ALL = ""  # the data of every 「全部」 entry


# ------------------------------------------------------------------ dialogs
class StatusDialog(QDialog):
    """变更状态: 在任 / 暂停 / 终止 with date and reason."""

    def __init__(self, ctx: Context, deputy: DeputyRow, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.deputy = deputy
        self.saved: DeputyRow | None = None
        self.setWindowTitle(f"变更状态：{deputy.name}")
        self.status = QComboBox()
        self.status.addItems(list(STATUSES))
        self.date = QLineEdit(deputy.status_date or today_text())
        self.date.setPlaceholderText("如 2026-03-15")
        self.reason = QComboBox()
        self.reason.setEditable(True)
        self.reason.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.error_map = ErrorMap(make_error_label())
        for key, widget in (("status", self.status), ("status_date", self.date), ("status_reason", self.reason)):
            self.error_map.labels[key] = make_error_label()  # red even without the style sheet
            self.error_map.add(key, widget)
        self.errors = self.error_map.labels
        self.general_error = self.error_map.general
        current = QLabel(f"当前状态：{deputy.status}"
                         + (f"（{deputy.status_date} {deputy.status_reason}）" if deputy.status != IN_OFFICE else ""))
        note = QLabel("代表离任、辞职、迁出等请设为“终止”，记录会保留在历史中；恢复履职请设为“在任”。")
        note.setWordWrap(True)
        note.setObjectName("muted")
        form = QFormLayout()
        form.addRow(current)
        form.addRow("新状态", field_box(self.status, self.errors["status"]))
        form.addRow("日期", field_box(self.date, self.errors["status_date"]))
        form.addRow("原因", field_box(self.reason, self.errors["status_reason"]))
        buttons, self.ok_button = widgets.ok_cancel_buttons(self, "保存", self.save)
        lay = QVBoxLayout(self)
        lay.addWidget(self.general_error)
        lay.addLayout(form)
        lay.addWidget(note)
        lay.addWidget(buttons)
        self.status.currentTextChanged.connect(self._status_changed)
        # Most often the change is away from the current state.
        self.status.setCurrentText(DeputyStatus.ENDED if deputy.status == IN_OFFICE else IN_OFFICE)
        self._status_changed(self.status.currentText())
        if deputy.status != IN_OFFICE:
            self.reason.setEditText(deputy.status_reason)

    def _status_changed(self, status: str) -> None:
        active = status == IN_OFFICE
        self.date.setEnabled(not active)
        self.reason.setEnabled(not active)
        text = self.reason.currentText()
        self.reason.clear()
        self.reason.addItems(["", *STATUS_REASONS.get(status, ())])
        self.reason.setEditText(text)

    def save(self) -> bool:
        self.error_map.clear()
        try:
            self.saved = deputy_service.set_deputy_status(
                self.ctx, self.deputy.id, self.status.currentText(), self.date.text(), self.reason.currentText())
        except FieldErrors as e:
            mine = {k: m for k, m in e.errors.items() if k in self.errors}
            other = [m for k, m in e.errors.items() if k not in self.errors]
            # the stored record itself has a problem: say so, the form can fix it
            self.error_map.show(mine, "该代表的资料有误，请先在「编辑」中改正：" + "；".join(other) if other else "")
            return False
        except CongressError as e:
            ui_errors.show_error(self, e)
            return False
        self.accept()
        return True


class PrintRosterDialog(QDialog):
    """打印名册: group by village or by deputy group, which status."""

    def __init__(self, status: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("打印代表名册")
        self.group_by = QComboBox()
        self.group_by.addItem("按所在村(社区)分组", "village")
        self.group_by.addItem("按代表小组分组", "group")
        self.status = QComboBox()
        for s in STATUSES:
            self.status.addItem(s, s)
        self.status.addItem("全部", ALL)
        self.status.setCurrentIndex(max(self.status.findData(status), 0))
        form = QFormLayout()
        form.addRow("分组方式", self.group_by)
        form.addRow("代表状态", self.status)
        buttons, _ = widgets.ok_cancel_buttons(self, "生成 PDF", self.accept)
        lay = QVBoxLayout(self)
        lay.addLayout(form)
        lay.addWidget(QLabel("生成后自动打开 PDF，可在阅读器中打印。名册不含身份证号。"))
        lay.addWidget(buttons)


# ------------------------------------------------------------------ the page
class DeputiesPage(QWidget):
    def __init__(self, ctx: Context, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("deputiesPage")
        self.last_task: tasks.TaskHandle | None = None

        # ---- filters
        self.search = QLineEdit()
        self.search.setObjectName("deputySearch")
        self.search.setPlaceholderText("搜索：姓名、拼音首字母（如 zs）、电话、单位、村(社区)…")
        self.search.setClearButtonEnabled(True)
        self.level = QComboBox()
        self.level.addItem("全部层级", ALL)
        for key, label in LEVELS.items():
            self.level.addItem(label, key)
        self.status = QComboBox()
        for s in STATUSES:
            self.status.addItem(s, s)
        self.status.addItem("全部状态", ALL)
        self.village = QComboBox()
        self.group = QComboBox()
        self.owner = QComboBox()  # 单位: the city's town filter (shown when records of several offices exist)
        self.owner.setObjectName("deputyOwner")
        self.owner_label = QLabel("单位")
        self.owner_label.setBuddy(self.owner)
        self.count_label = QLabel()
        self.count_label.setObjectName("deputyCount")
        self._fill_village_and_group_filters()

        self._search_timer = widgets.search_as_you_type(self, (self.search,), self.apply_filters,
                                                        SEARCH_DELAY_MS)
        for combo in (self.level, self.status, self.village, self.group, self.owner):
            combo.currentIndexChanged.connect(self.apply_filters)

        self._build_table()
        self._build_actions()
        self._build_layout()
        self._update_count()
        self._update_actions()

    def _build_table(self) -> None:
        self.model = DeputyTableModel(self.ctx, self.current_query(), self)
        self.table = QTableView()
        self.table.setObjectName("deputyTable")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 10)
        header = self.table.horizontalHeader()
        header.setSectionsClickable(True)
        header.setSortIndicatorShown(True)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        for col, width in enumerate((90, 50, 70, 80, 90, 260, 120, 110, 110, 150, 60)):
            self.table.setColumnWidth(col, width)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(DEPUTY_SORT_KEYS.index("name"), Qt.SortOrder.AscendingOrder)
        widgets.open_rows_with(self.table, self.edit_deputy)
        self.table.selectionModel().selectionChanged.connect(self._update_actions)
        self.model.modelReset.connect(self._update_count)
        self.model.modelReset.connect(self._update_actions)

    def _build_actions(self) -> None:
        self.toolbar = QToolBar()
        self.toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.new_action = self._action("新增", self.new_deputy, QKeySequence.StandardKey.New, "新增代表（Ctrl+N）")
        self.edit_action = self._action("编辑", self.edit_deputy, None, "编辑选中的代表（Enter 或双击）")
        self.status_action = self._action("变更状态", self.change_status, None, "设为 在任 / 暂停 / 终止")
        self.delete_action = self._action("删除", self.delete_deputy, None, "只用于删除误录入的记录")
        self.toolbar.addSeparator()
        self.import_action = self._action("导入", self.import_deputies, None, "从 Excel (.xlsx) 或 CSV 导入代表名册")
        self.export_action = self._action("导出", self.export_deputies, None, "把当前筛选出的代表导出为 Excel")
        self.toolbar.addSeparator()
        self.print_action = self._action("打印名册", self.print_roster, QKeySequence.StandardKey.Print,
                                         "生成代表名册 PDF（Ctrl+P）")
        self.card_action = self._action("打印信息卡", self.print_card, None, "生成选中代表的信息卡 PDF")
        focus_search = QShortcut(QKeySequence.StandardKey.Find, self)
        focus_search.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        focus_search.activated.connect(lambda: (self.search.setFocus(), self.search.selectAll()))

    def _build_layout(self) -> None:
        filters = QHBoxLayout()
        filters.addWidget(self.search, 3)
        for label, combo in (("层级", self.level), ("状态", self.status), ("村(社区)", self.village),
                             ("代表小组", self.group)):
            lab = QLabel(label)
            lab.setBuddy(combo)
            filters.addWidget(lab)
            filters.addWidget(combo, 1)
        filters.addWidget(self.owner_label)
        filters.addWidget(self.owner, 1)
        filters.addWidget(self.count_label)
        lay = QVBoxLayout(self)
        lay.addWidget(self.toolbar)
        lay.addLayout(filters)
        lay.addWidget(self.table, 1)

        QWidget.setTabOrder(self.search, self.level)
        QWidget.setTabOrder(self.level, self.status)
        QWidget.setTabOrder(self.status, self.village)
        QWidget.setTabOrder(self.village, self.group)
        QWidget.setTabOrder(self.group, self.table)

    def _action(self, text: str, slot, shortcut, tip: str) -> QAction:
        return widgets.toolbar_action(self, self.toolbar, text, slot, shortcut, tip)

    # ------------------------------------------------------------------ hooks for the main window
    def initial_focus(self) -> QWidget:
        return self.search

    def on_activated(self) -> None:
        self.refresh()

    def refresh(self) -> None:
        """Reload filters' choices and the list (villages or groups may have changed elsewhere)."""
        selected = self.selected_deputy()
        self._fill_village_and_group_filters()
        self.model.set_query(self.current_query())
        if selected:
            self.select_deputy(selected.id)

    # ------------------------------------------------------------------ filtering
    def _fill_village_and_group_filters(self) -> None:
        village, group = self.village.currentData(), self.group.currentData()
        for combo in (self.village, self.group):
            combo.blockSignals(True)
            combo.clear()
        self.village.addItem("全部村(社区)", ALL)
        for v in list_villages(self.ctx):
            self.village.addItem(v.name, v.id)
        self.group.addItem("全部代表小组", ALL)
        for g in deputy_service.list_groups(self.ctx):
            self.group.addItem(g, g)
        self.village.setCurrentIndex(max(self.village.findData(village), 0))
        self.group.setCurrentIndex(max(self.group.findData(group), 0))
        owner = self.owner.currentData()
        self.owner.blockSignals(True)
        self.owner.clear()
        self.owner.addItem("全部单位", ALL)
        owners = record_owners(self.ctx, "deputy")
        for code, name in owners:
            self.owner.addItem(name, code)
        self.owner.setCurrentIndex(max(self.owner.findData(owner), 0))
        self.owner.blockSignals(False)
        several = len(owners) > 1 or self.ctx.require_office().role == "city"
        self.owner.setVisible(several)
        self.owner_label.setVisible(several)
        for combo in (self.village, self.group):
            combo.blockSignals(False)

    def current_query(self) -> DeputyQuery:
        """The filters as typed and chosen, in the order the table header shows."""
        model = getattr(self, "model", None)
        order = dict(sort=model.query.sort, descending=model.query.descending) if model else {}
        return DeputyQuery(text=self.search.text(), level=self.level.currentData() or "",
                           status=self.status.currentData() or "", village_id=self.village.currentData() or "",
                           group_name=self.group.currentData() or "", owner=self.owner.currentData() or "",
                           **order)

    def apply_filters(self) -> None:
        self._search_timer.stop()
        self.model.set_query(self.current_query())

    def _update_count(self) -> None:
        self.count_label.setText(f"共 {self.model.total} 名")

    def _update_actions(self) -> None:
        d = self.selected_deputy()
        has = d is not None
        # another office's record (a town's at the city, the city's roster in a town) is read-only here
        own = has and (not d.owner_code or d.owner_code == self.ctx.require_office().code)
        for a in (self.edit_action, self.status_action, self.delete_action):
            a.setEnabled(own)
        self.card_action.setEnabled(has)

    # ------------------------------------------------------------------ selection
    def selected_deputy(self) -> DeputyRow | None:
        rows = self.table.selectionModel().selectedRows() if self.table.selectionModel() else []
        if not rows:
            return None
        return self.model.row(rows[0].row())

    def select_deputy(self, deputy_id: str) -> bool:
        row = self.model.find_row(deputy_id)
        if row is None:
            return False
        self.table.selectRow(row)
        self.table.scrollTo(self.model.index(row, 0))
        return True

    # ------------------------------------------------------------------ editing
    def new_deputy(self) -> None:
        form = DeputyForm(self.ctx, None, self)
        if widgets.exec_modal(form) == QDialog.DialogCode.Accepted and form.saved:
            self._after_change(form.saved, f"已新增代表 {form.saved.name}")

    def edit_deputy(self, index: QModelIndex | None = None) -> None:
        d = self.model.row(index.row()) if isinstance(index, QModelIndex) and index.isValid() else self.selected_deputy()
        if d is None:
            return
        try:
            d = deputy_service.get_deputy(self.ctx, d.id)  # the latest version, not the list's copy
        except CongressError as e:
            ui_errors.show_error(self, e)
            self.refresh()
            return
        form = DeputyForm(self.ctx, d, self)
        if widgets.exec_modal(form) == QDialog.DialogCode.Accepted and form.saved:
            self._after_change(form.saved, f"已保存代表 {form.saved.name}")

    def change_status(self) -> None:
        d = self.selected_deputy()
        if d is None:
            return
        dialog = StatusDialog(self.ctx, d, self)
        if widgets.exec_modal(dialog) == QDialog.DialogCode.Accepted and dialog.saved:
            self._after_change(dialog.saved, f"{dialog.saved.name} 的状态已改为 {dialog.saved.status}")

    def delete_deputy(self) -> None:
        d = self.selected_deputy()
        if d is None:
            return
        text = (f"确定删除代表“{d.name}”吗？\n\n删除只用于误录入的记录。代表离任、辞职或迁出，"
                "请使用「变更状态」设为“终止”，以保留履职历史。")
        if not widgets.ask_yes_no(self, "删除代表", text):
            return
        try:
            deputy_service.delete_deputy(self.ctx, d.id)
        except CongressError as e:
            ui_errors.show_error(self, e)
        self.refresh()
        widgets.show_status(self, f"已删除代表 {d.name}")

    def _after_change(self, saved: DeputyRow, message: str) -> None:
        self._fill_village_and_group_filters()
        self.model.set_query(self.current_query())
        if not self.select_deputy(saved.id):
            message += "（不在当前筛选条件中）"
        widgets.show_status(self, message)

    # ------------------------------------------------------------------ import / export
    def import_deputies(self) -> tasks.TaskHandle | None:
        path = ask_open_file(self, "导入代表名册", IMPORT_FILTER)
        if not path:
            return None
        ctx = self.ctx

        def work(progress, cancel) -> ImportResult:
            return deputy_import.import_deputies(ctx, path, progress, cancel)

        self.last_task = tasks.run_task(self, "正在导入代表名册", work,
                                        on_success=lambda result: self._import_done(result, path))
        return self.last_task

    def _import_done(self, result: ImportResult, path: str) -> None:
        if not result.ok:
            widgets.exec_modal(ImportErrorsDialog(result, path, self))
            return
        self.refresh()
        text = f"已导入 {result.applied} 名代表。"
        if result.sheet and result.sheet.unknown_headers:
            text += "\n\n以下列无法识别，未导入：" + "、".join(result.sheet.unknown_headers)
        widgets.show_status(self, f"已导入 {result.applied} 名代表")
        info(self, "导入完成", text)

    def export_deputies(self) -> tasks.TaskHandle | None:
        suggested = str(Path.home() / f"代表名册-{dt.date.today():%Y%m%d}.xlsx")
        path = ask_save_file(self, "导出代表名册", suggested, XLSX_FILTER)
        if not path:
            return None
        target = with_suffix(path, ".xlsx")
        ctx, query = self.ctx, self.model.query

        def work(progress, cancel) -> int:
            return deputy_import.export_deputies(ctx, target, query, progress, cancel)

        def done(n: int) -> None:
            widgets.show_status(self, f"已导出 {n} 名代表")
            info(self, "导出完成", f"已导出 {n} 名代表到：\n{target}")

        def failed(exc: BaseException) -> None:
            if isinstance(exc, PermissionError):  # the old file is open in Excel/WPS (Windows locks it)
                exc = CongressError(f"无法写入 {target.name}：文件可能正在 Excel/WPS 中打开，请关闭后再试")
            ui_errors.show_error(self, exc)

        self.last_task = tasks.run_task(self, "正在导出代表名册", work, on_success=done, on_error=failed)
        return self.last_task

    # ------------------------------------------------------------------ printing
    def print_roster(self) -> tasks.TaskHandle | None:
        dialog = PrintRosterDialog(self.status.currentData() or ALL, self)
        if widgets.exec_modal(dialog) != QDialog.DialogCode.Accepted:
            return None
        group_by, status = dialog.group_by.currentData(), dialog.status.currentData()
        out = printout_path(self.ctx, "代表名册")
        ctx = self.ctx

        def work(progress, cancel) -> int:
            return printing.print_roster(ctx, out, group_by=group_by, status=status, progress=progress,
                                         cancel=cancel)

        self.last_task = operations.print_op(self, "正在生成代表名册", out, work)
        return self.last_task

    def print_card(self) -> tasks.TaskHandle | None:
        d = self.selected_deputy()
        if d is None:
            return None
        out = printout_path(self.ctx, f"代表信息卡-{d.name}")
        ctx = self.ctx

        def work(_progress, _cancel) -> int:
            return printing.print_deputy_card(ctx, d.id, out)

        self.last_task = operations.print_op(self, "正在生成代表信息卡", out, work)
        return self.last_task
