"""网格 page: grids per village, who is in each on a chosen date, the checks that always show, the
一键建议入格 dialog, and the roster on paper and in spreadsheets.

Left: villages and their grids (a grid with a hole is red). Middle: the chosen grid — its facts,
the deputies on the date shown, and its history. Right: the checks panel (未入格, 无代表网格, 超员,
无责任代表, 离任未离格, 未走访) and the balance figures per village and for the town; it is refreshed
after every change and whenever the date changes.

Seams for tests: ``ask_open_file`` and ``ask_save_file`` are module names (from ``ui.files``; file
dialogs); printouts go through ``ui.operations.print_op`` (the viewer is ``ui.files.open_file``); modal
dialogs go through ``ui.widgets.exec_modal``. The dialogs live in ``ui.pages.grid_dialogs``.
"""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

from PySide6.QtCore import QDate, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QPushButton,
    QSplitter,
    QToolBar,
    QToolButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from congress_desktop.core.context import Context
from congress_desktop.core.errors import CongressError
from congress_desktop.grids import importing as grid_import
from congress_desktop.grids import report as grid_report
from congress_desktop.grids import service as grid_service
from congress_desktop.grids.rows import (
    AssignmentRow,
    GridCheckReport,
    RosterGrid,
    RosterMember,
)
from congress_desktop.grids.rules import ROLE_LEAD
from ui import errors as ui_errors
from ui import operations, tasks, widgets
from ui.files import ask_open_file, ask_save_file, info, printout_path
from ui.pages.grid_dialogs import (  # noqa: F401 - the tests and the page use them from here
    GREEN,
    ID_ROLE,
    KIND_ROLE,
    RED,
    AssignDialog,
    DateDialog,
    GridDialog,
    HouseholdsDialog,
    SettingsDialog,
    SuggestionDialog,
    date_edit,
    fill,
    iso,
)
from ui.pages.import_dialog import ImportErrorsDialog

log = logging.getLogger(__name__)

IMPORT_FILTER = "表格文件 (*.xlsx *.csv);;Excel 表格 (*.xlsx);;CSV 文件 (*.csv)"
XLSX_FILTER = "Excel 表格 (*.xlsx)"


class GridsPage(QWidget):
    def __init__(self, ctx: Context, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("gridsPage")
        self.last_task: tasks.TaskHandle | None = None
        self.report: GridCheckReport | None = None
        self.roster: dict[str, RosterGrid] = {}
        self.history: list[AssignmentRow] = []
        top = self._build_top()
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(self._build_tree())
        self.splitter.addWidget(self._build_middle())
        self.splitter.addWidget(self._build_checks())
        self.splitter.setStretchFactor(0, 2)
        self.splitter.setStretchFactor(1, 3)
        self.splitter.setStretchFactor(2, 3)
        lay = QVBoxLayout(self)
        lay.addLayout(top)
        lay.addWidget(self.splitter, 1)
        self.refresh()

    # ------------------------------------------------------------ the parts
    def _build_top(self) -> QHBoxLayout:
        """The date the roster is shown for, and the actions."""
        self.date = date_edit(dt.date.today().isoformat())
        self.date.setObjectName("rosterDate")
        self.date.setToolTip("显示这一天的入格名册和检查结果（由入格历史得出）")
        self.date.dateChanged.connect(lambda _d: self.refresh())
        today = QPushButton("今天")
        today.clicked.connect(lambda: self.date.setDate(QDate.currentDate()))
        self.toolbar = QToolBar()
        self.toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.new_action = self._action("新增网格", self.new_grid)
        self.edit_action = self._action("编辑网格", self.edit_grid)
        self.delete_action = self._action("删除网格", self.delete_grid)
        self.toolbar.addSeparator()
        self.assign_action = self._action("入格…", self.assign)
        self.move_action = self._action("调整网格…", self.move_member)
        self.end_action = self._action("离格…", self.end_member)
        self.lead_action = self._action("设为责任代表", self.make_lead)
        self.households_action = self._action("联系户数…", self.edit_households)
        self.toolbar.addSeparator()
        self.suggest_action = self._action("一键建议入格", self.suggest)
        self.toolbar.addSeparator()
        self.import_menu = self._menu("导入/导出", [
            ("导入网格名单…", lambda: self.import_file("grids")),
            ("导入入格名册…", lambda: self.import_file("roster")),
            ("导出入格名册…", self.export_roster)])
        self.print_menu = self._menu("打印", [
            ("全镇网格化履职名册", lambda: self.print_roster(None)),
            ("本村(社区)网格化履职名册", lambda: self.print_roster("village")),
            ("全部网格代表公示牌", lambda: self.print_boards(None)),
            ("本村(社区)代表公示牌", lambda: self.print_boards("village")),
            ("本网格代表公示牌", lambda: self.print_boards("grid"))])
        self.settings_action = self._action("设置…", self.edit_settings)
        top = QHBoxLayout()
        top.addWidget(QLabel("名册日期"))
        top.addWidget(self.date)
        top.addWidget(today)
        top.addWidget(self.toolbar, 1)
        return top

    def _build_tree(self) -> QWidget:
        """Left: villages and their grids."""
        self.tree = QTreeWidget()
        self.tree.setObjectName("gridTree")
        self.tree.setHeaderLabels(["村(社区) / 网格", "代表"])
        self.tree.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.tree.header().setStretchLastSection(False)
        self.tree.header().setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.tree.currentItemChanged.connect(lambda *_a: self.show_grid())
        self.tree.itemDoubleClicked.connect(lambda item, _c: self.edit_grid() if item.parent() else None)
        return self.tree

    def _build_middle(self) -> QWidget:
        """Middle: the chosen grid, its deputies on the date, its history."""
        self.grid_title = widgets.heading("", level=2)
        self.grid_info = QLabel()
        self.grid_info.setWordWrap(True)
        self.grid_info.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.members = widgets.list_table(["姓名", "代表层级", "角色", "联系电话", "联系户数", "入格日期"], "gridMembers")
        self.members.itemSelectionChanged.connect(self._update_actions)
        self.members.doubleClicked.connect(lambda _i: self.edit_households())
        self.history_table = widgets.list_table(["姓名", "角色", "起止日期"], "gridHistory")
        middle = QWidget()
        mid_lay = QVBoxLayout(middle)
        mid_lay.setContentsMargins(0, 0, 0, 0)
        mid_lay.addWidget(self.grid_title)
        mid_lay.addWidget(self.grid_info)
        mid_lay.addWidget(widgets.heading("入格代表", level=2))
        mid_lay.addWidget(self.members, 2)
        mid_lay.addWidget(widgets.heading("入格历史", level=2))
        mid_lay.addWidget(self.history_table, 1)
        return middle

    def _build_checks(self) -> QWidget:
        """Right: the checks, always shown, and the balance figures."""
        self.check_summary = QLabel()
        self.check_summary.setObjectName("gridCheckSummary")
        self.check_summary.setWordWrap(True)
        self.issues = QTreeWidget()
        self.issues.setObjectName("gridIssues")
        self.issues.setHeaderHidden(True)
        self.issues.itemDoubleClicked.connect(self.act_on_issue)
        self.issues.setToolTip("双击：未入格代表→安排入格；网格问题→选中该网格；离任未离格→办理离格")
        self.close_vacancies_button = QPushButton("为离任代表办理离格")
        self.close_vacancies_button.clicked.connect(self.close_vacancies)
        self.balance = widgets.list_table(["范围", "网格", "代表", "每格代表 最少/最多/差", "每人联系户数 最少/最多/差"],
                                          "gridBalance")
        right = QWidget()
        right_lay = QVBoxLayout(right)
        right_lay.setContentsMargins(0, 0, 0, 0)
        right_lay.addWidget(widgets.heading("网格检查", level=2))
        right_lay.addWidget(self.check_summary)
        right_lay.addWidget(self.issues, 3)
        right_lay.addWidget(self.close_vacancies_button)
        right_lay.addWidget(widgets.heading("负荷均衡", level=2))
        right_lay.addWidget(self.balance, 2)
        return right

    # ------------------------------------------------------------ building blocks
    def _action(self, text: str, slot) -> QAction:
        action = QAction(text, self)
        action.triggered.connect(lambda _checked=False: slot())
        self.toolbar.addAction(action)
        return action

    def _menu(self, text: str, entries) -> QMenu:
        menu = QMenu(text, self)
        for label, slot in entries:
            action = menu.addAction(label)
            action.triggered.connect(lambda _checked=False, slot=slot: slot())
        button = QToolButton()
        button.setText(text)
        button.setMenu(menu)
        button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.toolbar.addWidget(button)
        return menu

    def initial_focus(self) -> QWidget:
        return self.tree

    def on_activated(self) -> None:
        self.refresh()

    @property
    def on(self) -> str:
        return iso(self.date)

    # ------------------------------------------------------------ refresh
    def refresh(self) -> None:
        """Tree, chosen grid and checks for the date shown, keeping the selection."""
        keep = self.selected_grid_id()
        self.report = grid_service.check_grids(self.ctx, self.on)
        self.roster = {rg.grid.id: rg for rg in grid_service.roster_on(self.ctx, self.on)}
        troubled = {i.grid_id for i in self.report.items if i.is_hole and i.grid_id}
        self.tree.blockSignals(True)
        self.tree.clear()
        villages: dict[str, QTreeWidgetItem] = {}
        for rg in self.roster.values():
            g = rg.grid
            parent = villages.get(g.village_id)
            if parent is None:
                parent = QTreeWidgetItem(self.tree, [g.village_name, ""])
                parent.setData(0, ID_ROLE, None)
                villages[g.village_id] = parent
            item = QTreeWidgetItem(parent, [g.name, f"{len(rg.members)} 人"])
            item.setData(0, ID_ROLE, g.id)
            item.setToolTip(0, f"{g.code}　{'、'.join(m.name for m in rg.members) or '无代表'}")
            if g.id in troubled:
                for c in (0, 1):
                    item.setForeground(c, RED)
        for v_item in villages.values():
            n_grids = v_item.childCount()
            n_deps = sum(len(self.roster[v_item.child(i).data(0, ID_ROLE)].members) for i in range(n_grids))
            v_item.setText(1, f"{n_grids} 格 {n_deps} 人")
            if any(v_item.child(i).foreground(0) == RED for i in range(n_grids)):
                v_item.setForeground(0, RED)
        self.tree.expandAll()
        self.tree.blockSignals(False)
        if keep and not self.select_grid(keep):
            keep = None
        if not keep and self.tree.topLevelItemCount():
            first = self.tree.topLevelItem(0)
            self.tree.setCurrentItem(first.child(0) if first.childCount() else first)
        self.show_grid()
        self.show_checks()

    def show_checks(self) -> None:
        r = self.report
        if r is None:
            return
        color = GREEN if r.clear else "#c62828"
        self.check_summary.setText(
            f"<b style='color:{color}'>{r.summary}</b><br>{r.on}：网格 {r.grids} 个，应入格代表 "
            f"{r.deputies_needed} 名，已入格 {r.deputies_placed} 名，每格上限 {r.limit} 名")
        self.issues.clear()
        for kind, label in grid_service.ISSUE_LABELS.items():
            items = r.of_kind(kind)
            if not items:
                continue
            head = QTreeWidgetItem(self.issues, [f"{label}（{len(items)}）"])
            head.setData(0, KIND_ROLE, kind)
            if kind != "no_visit":
                head.setForeground(0, RED)
            for i in items:
                where = " · ".join(x for x in (i.village, i.grid, i.deputy) if x)
                child = QTreeWidgetItem(head, [f"{where}：{i.detail}"])
                child.setData(0, ID_ROLE, i)
                child.setToolTip(0, i.detail)
            head.setExpanded(kind != "no_visit")
        if not r.items:
            QTreeWidgetItem(self.issues, ["没有发现问题：每名应入格代表都在网格中，每个网格都有代表和责任代表。"])
        self.close_vacancies_button.setVisible(bool(r.of_kind("vacated")))

        def fig(low, high, spread) -> str:
            return "—" if low is None else f"{low} / {high} / {spread}"

        fill(self.balance, [[b.scope, b.grids, b.deputies, fig(b.per_grid_min, b.per_grid_max, b.per_grid_spread),
                             fig(b.households_per_deputy_min, b.households_per_deputy_max,
                                 b.households_per_deputy_spread)] for b in r.balance])
        last = self.balance.rowCount() - 1
        if last >= 0:
            for c in range(self.balance.columnCount()):
                f = self.balance.item(last, c).font()
                f.setBold(True)
                self.balance.item(last, c).setFont(f)

    def show_grid(self) -> None:
        gid = self.selected_grid_id()
        rg = self.roster.get(gid or "")
        if rg is None:
            self.grid_title.setText("请选择网格" if self.roster else "尚未登记网格")
            self.grid_info.setText("" if self.roster else "点击「新增网格」逐个登记，或从「导入/导出」导入网格名单。")
            fill(self.members, [])
            fill(self.history_table, [])
            self.history = []
            self._update_actions()
            return
        g = rg.grid
        self.grid_title.setText(f"{g.village_name} · {g.name}")
        visits = "" if g.visits_this_year is None else f"　本年走访 {g.visits_this_year} 次"
        self.grid_info.setText(f"编号 {g.code}　户数 {g.households}　人口 {g.population}　"
                               f"网格员 {g.worker_name or '—'} {g.worker_phone}{visits}"
                               + (f"<br>备注：{g.note}" if g.note else ""))
        fill(self.members, [[m.name, m.levels_label, m.role, m.mobile, m.households or "", m.start_on]
                            for m in rg.members], [m.assignment_id for m in rg.members])
        self.history = grid_service.grid_history(self.ctx, g.id)
        fill(self.history_table, [[a.deputy_name, a.role, a.period] for a in self.history])
        self._update_actions()

    def _update_actions(self) -> None:
        has_grid = self.selected_grid_id() is not None
        member = self.selected_member()
        for a in (self.edit_action, self.delete_action):
            a.setEnabled(has_grid)
        for a in (self.move_action, self.end_action, self.households_action):
            a.setEnabled(member is not None)
        self.lead_action.setEnabled(member is not None and member.role != ROLE_LEAD)

    # ------------------------------------------------------------ selection
    def selected_grid_id(self) -> str | None:
        item = self.tree.currentItem()
        return item.data(0, ID_ROLE) if item is not None else None

    def selected_village_id(self) -> str | None:
        gid = self.selected_grid_id()
        if gid and gid in self.roster:
            return self.roster[gid].grid.village_id
        item = self.tree.currentItem()
        if item is not None and item.childCount():
            child = item.child(0).data(0, ID_ROLE)
            return self.roster[child].grid.village_id if child in self.roster else None
        return None

    def select_grid(self, grid_id: str) -> bool:
        for i in range(self.tree.topLevelItemCount()):
            top = self.tree.topLevelItem(i)
            for j in range(top.childCount()):
                if top.child(j).data(0, ID_ROLE) == grid_id:
                    self.tree.setCurrentItem(top.child(j))
                    return True
        return False

    def selected_member(self) -> RosterMember | None:
        rg = self.roster.get(self.selected_grid_id() or "")
        rows = self.members.selectionModel().selectedRows() if self.members.selectionModel() else []
        if rg is None or not rows or rows[0].row() >= len(rg.members):
            return None
        return rg.members[rows[0].row()]

    def select_member(self, deputy_id: str) -> None:
        rg = self.roster.get(self.selected_grid_id() or "")
        for r, m in enumerate(rg.members if rg else ()):
            if m.deputy_id == deputy_id:
                self.members.selectRow(r)

    # ------------------------------------------------------------ grids
    def new_grid(self) -> None:
        dialog = GridDialog(self.ctx, None, self.selected_village_id(), self)
        if widgets.exec_modal(dialog) == QDialog.DialogCode.Accepted and dialog.saved:
            self.refresh()
            self.select_grid(dialog.saved.id)
            widgets.show_status(self, f"已新增网格 {dialog.saved.name}")

    def edit_grid(self) -> None:
        gid = self.selected_grid_id()
        if not gid:
            return
        dialog = GridDialog(self.ctx, grid_service.get_grid(self.ctx, gid, self.on), parent=self)
        if widgets.exec_modal(dialog) == QDialog.DialogCode.Accepted and dialog.saved:
            self.refresh()
            widgets.show_status(self, f"已保存网格 {dialog.saved.name}")

    def delete_grid(self) -> None:
        gid = self.selected_grid_id()
        if not gid:
            return
        g = self.roster[gid].grid
        if not widgets.ask_yes_no(self, "删除网格", f"确定删除“{g.village_name} · {g.name}”（{g.code}）吗？"):
            return
        try:
            grid_service.delete_grid(self.ctx, gid)
        except CongressError as e:
            ui_errors.show_error(self, e)
            return
        self.refresh()
        widgets.show_status(self, f"已删除网格 {g.name}")

    # ------------------------------------------------------------ placements
    def assign(self, deputy_id: str | None = None) -> grid_service.AssignResult | None:
        dialog = AssignDialog(self.ctx, self.on, deputy_id=deputy_id, grid_id=self.selected_grid_id(), parent=self)
        if deputy_id:
            dialog.setWindowTitle("安排代表入格")
        return self._after_assign(dialog)

    def move_member(self) -> grid_service.AssignResult | None:
        m = self.selected_member()
        if m is None:
            return None
        return self._after_assign(AssignDialog(self.ctx, self.on, deputy_id=m.deputy_id, parent=self))

    def _after_assign(self, dialog: AssignDialog) -> grid_service.AssignResult | None:
        if widgets.exec_modal(dialog) != QDialog.DialogCode.Accepted or dialog.result_ is None:
            return None
        res = dialog.result_
        self.refresh()
        self.select_grid(res.assignment.grid_id)
        self.select_member(res.assignment.deputy_id)
        text = f"{res.assignment.deputy_name}已入“{res.assignment.grid_name}”（{res.assignment.role}）"
        widgets.show_status(self, "；".join([text, *res.messages]))
        return res

    def end_member(self) -> None:
        m = self.selected_member()
        if m is None:
            return
        dialog = DateDialog("离格", f"{m.name}从哪一天起不再在本网格？（当天起不计入名册）", "离格日期", self.on, self)
        if widgets.exec_modal(dialog) != QDialog.DialogCode.Accepted:
            return
        self._run(lambda: grid_service.end_assignment(self.ctx, m.assignment_id, dialog.value()))

    def make_lead(self) -> None:
        m = self.selected_member()
        if m is None:
            return
        dialog = DateDialog("设为责任代表", f"{m.name}从哪一天起担任本网格责任代表？原责任代表改任协助代表。",
                            "起始日期", self.on, self)
        if widgets.exec_modal(dialog) != QDialog.DialogCode.Accepted:
            return
        self._run(lambda: grid_service.set_assignment_role(self.ctx, m.assignment_id, ROLE_LEAD, dialog.value()))

    def edit_households(self) -> None:
        m = self.selected_member()
        if m is None:
            return
        note = next((a.note for a in self.history if a.id == m.assignment_id), "")
        dialog = HouseholdsDialog(m, note, self)
        if widgets.exec_modal(dialog) != QDialog.DialogCode.Accepted:
            return
        self._run(lambda: grid_service.update_assignment(self.ctx, m.assignment_id,
                                                         households=dialog.households.value(),
                                                         note=dialog.note.text()))

    def close_vacancies(self) -> None:
        n = len(self.report.of_kind("vacated")) if self.report else 0
        if not n or not widgets.ask_yes_no(self, "办理离格", f"为 {n} 名已暂停或终止的代表办理离格（自其状态日期起）？"):
            return
        self._run(lambda: grid_service.close_vacancies(self.ctx, self.on))

    def _run(self, change) -> None:
        try:
            res = change()
        except CongressError as e:
            ui_errors.show_error(self, e)
            return
        self.refresh()
        results = res if isinstance(res, list) else [res]
        messages = [m for r in results for m in getattr(r, "messages", ())]
        widgets.show_status(self, "；".join(messages) or "已保存")

    def act_on_issue(self, item: QTreeWidgetItem, _column: int = 0) -> None:
        issue = item.data(0, ID_ROLE)
        if not isinstance(issue, grid_service.CheckItem):
            return
        if issue.kind == "unplaced":
            self.assign(issue.deputy_id)
        elif issue.grid_id:
            self.select_grid(issue.grid_id)
            if issue.kind == "vacated":
                self.select_member_by_assignment(issue.assignment_id)

    def select_member_by_assignment(self, assignment_id: str) -> None:
        # a vacated deputy is off today's roster: end the open placement from the history instead
        a = next((a for a in self.history if a.id == assignment_id), None)
        if a is None:
            return
        when = a.deputy_status_date or self.on
        dialog = DateDialog("离格", f"{a.deputy_name}已于 {a.deputy_status_date} {a.deputy_status}，"
                            f"为其办理离开“{a.grid_name}”？", "离格日期", when, self)
        if widgets.exec_modal(dialog) == QDialog.DialogCode.Accepted:
            self._run(lambda: grid_service.end_assignment(self.ctx, assignment_id, dialog.value()))

    # ------------------------------------------------------------ the suggestion
    def suggest(self) -> grid_service.AcceptResult | None:
        try:
            suggestion = grid_service.suggest_placements(self.ctx, self.on)
        except CongressError as e:
            ui_errors.show_error(self, e)
            return None
        if not suggestion.proposals:
            text = "所有应入格的代表都已在网格中。"
            if suggestion.unplaceable:
                text = f"所有网格均已满 {suggestion.limit} 名，无法安排：{'、'.join(suggestion.unplaceable)}"
            info(self, "一键建议入格", text)
            return None
        dialog = SuggestionDialog(self.ctx, suggestion, self)
        if widgets.exec_modal(dialog) != QDialog.DialogCode.Accepted or dialog.accepted_result is None:
            return None
        self.refresh()
        widgets.show_status(self, f"已采纳 {dialog.accepted_result.applied} 条入格建议")
        return dialog.accepted_result

    def edit_settings(self) -> None:
        dialog = SettingsDialog(grid_service.grid_settings(self.ctx), self)
        if widgets.exec_modal(dialog) != QDialog.DialogCode.Accepted:
            return
        self._run(lambda: grid_service.save_grid_settings(self.ctx, dialog.limit.value(), dialog.months.value()))

    # ------------------------------------------------------------ files
    def import_file(self, kind: str) -> tasks.TaskHandle | None:
        title = "导入网格名单" if kind == "grids" else "导入入格名册"
        path = ask_open_file(self, title, IMPORT_FILTER)
        if not path:
            return None
        ctx, on = self.ctx, self.on

        def work(progress, cancel):
            return grid_import.import_grid_file(ctx, path, kind, on, progress, cancel)[1]

        def done(result) -> None:
            what = "网格" if kind == "grids" else "入格记录"
            if not result.ok:
                widgets.exec_modal(ImportErrorsDialog(result, path, self, what=what))
                return
            self.refresh()
            widgets.show_status(self, f"已导入 {result.applied} 条{what}")
            info(self, "导入完成", f"已导入 {result.applied} 条{what}（文件共 {result.total_rows} 行）。")

        self.last_task = operations.long_op(self, f"正在{title}", work, done)
        return self.last_task

    def export_roster(self) -> tasks.TaskHandle | None:
        suggested = str(Path.home() / f"网格化履职名册-{self.on}.xlsx")
        path = ask_save_file(self, "导出入格名册", suggested, XLSX_FILTER)
        if not path:
            return None
        target = Path(path) if path.lower().endswith(".xlsx") else Path(path + ".xlsx")
        ctx, on = self.ctx, self.on

        def work(progress, cancel) -> int:
            return grid_import.export_roster(ctx, target, on, None, progress, cancel)

        def done(n: int) -> None:
            widgets.show_status(self, f"已导出 {n} 名入格代表")
            info(self, "导出完成", f"已导出 {on} 的入格名册（{n} 名代表）到：\n{target}")

        def failed(exc: BaseException) -> None:
            if isinstance(exc, PermissionError):
                exc = CongressError(f"无法写入 {target.name}：文件可能正在 Excel/WPS 中打开，请关闭后再试")
            ui_errors.show_error(self, exc)

        self.last_task = operations.long_op(self, "正在导出入格名册", work, done, on_error=failed)
        return self.last_task

    def print_roster(self, scope: str | None) -> tasks.TaskHandle | None:
        village = None
        if scope == "village":
            vid = self.selected_village_id()
            if not vid:
                info(self, "打印名册", "请先在左侧选择一个村(社区)或网格。")
                return None
            village = next(rg.grid.village_code for rg in self.roster.values() if rg.grid.village_id == vid)
        out = printout_path(self.ctx, "网格化履职名册")
        ctx, on = self.ctx, self.on

        def work(progress, cancel) -> int:
            return grid_report.print_grid_roster(ctx, out, village=village, on=on, progress=progress, cancel=cancel)

        self.last_task = operations.print_op(self, "正在生成网格化履职名册", out, work)
        return self.last_task

    def print_boards(self, scope: str | None) -> tasks.TaskHandle | None:
        village = grid_id = None
        if scope == "village":
            vid = self.selected_village_id()
            village = next((rg.grid.village_code for rg in self.roster.values() if rg.grid.village_id == vid), None)
        elif scope == "grid":
            grid_id = self.selected_grid_id()
        if scope and not (village or grid_id):
            info(self, "打印公示牌", "请先在左侧选择一个村(社区)或网格。")
            return None
        out = printout_path(self.ctx, "代表公示牌")
        ctx, on = self.ctx, self.on

        def work(progress, cancel) -> int:
            return grid_report.print_grid_boards(ctx, out, village=village, grid_id=grid_id, on=on,
                                                  progress=progress, cancel=cancel)

        self.last_task = operations.print_op(self, "正在生成代表公示牌", out, work)
        return self.last_task


__all__ = ["AssignDialog", "GridDialog", "GridsPage", "SuggestionDialog"]
