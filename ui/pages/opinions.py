"""建议督办: every opinion and where it stands. Filter by state, category, unit, village, deputy, period,
overdue and due within 7 days, or search any text (Chinese substring); overdue rows stand out. The
detail dialog takes the handling steps (buttons enabled by the rules of the core), records the three
face-to-face meetings, shows the history, and opens the visit the opinion came from.

Seams for tests: ``ask_step`` and ``ask_meeting`` (the small parameter dialogs), plus
``visits_common.ask_save_file / open_file`` and ``widgets.exec_modal``.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QAction, QBrush, QColor, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from congress_desktop.core.context import Context
from congress_desktop.core.errors import CongressError
from congress_desktop.deputies import service as deputy_service
from congress_desktop.places import units as unit_service
from congress_desktop.places.villages import list_villages
from congress_desktop.visits import opinions as opinion_service
from congress_desktop.visits import report
from congress_desktop.visits import service as visit_service
from congress_desktop.visits.opinion_rules import opinion_number as referral_number
from congress_desktop.visits.opinions import OpinionQuery, OpinionRow
from ui import errors as ui_errors
from ui import tasks, widgets
from ui.models import PagedTableModel
from ui.operations import db_op, long_op, print_op
from ui.pages import visits_common as common
from ui.pages.opinion_dialogs import NewOpinionDialog as NewOpinionDialog
from ui.pages.opinion_dialogs import OpinionDialog as OpinionDialog
from ui.pages.opinion_dialogs import error_label
from ui.pages.opinion_settings import CategoriesDialog, SummaryPeriodDialog, UnitsDialog
from ui.pages.visit_form import VisitForm

log = logging.getLogger(__name__)

LOADING = common.LOADING

SEARCH_DELAY_MS = 300
OVERDUE_BG = QColor("#fde2e1")
OVERDUE_FG = QColor("#b3261e")
SOON_BG = QColor("#fff3cd")


@dataclass(frozen=True)
class ShownFilters:
    """What ``OpinionsPage.show_filtered`` sets (the home page's figures, a visit's opinions)."""

    state: str = ""
    overdue: bool = False
    due_soon: bool = False
    date_from: str = ""
    date_to: str = ""
    text: str = ""
    rated: bool = False
    visit_id: str = ""
    visit_label: str = ""


class OpinionTableModel(PagedTableModel):
    columns = (
        ("编号", lambda o: referral_number(o.seq, o.raised_on)),
        ("提出日期", lambda o: o.raised_on),
        ("类别", lambda o: o.category),
        ("内容", lambda o: o.summary),
        ("提出人", lambda o: o.raised_by),
        ("所在村(社区)", lambda o: o.village_name),
        ("接待代表", lambda o: "、".join(o.deputy_names)),
        ("状态", lambda o: o.state_label),
        ("承办单位", lambda o: o.unit_name),
        ("办理期限", lambda o: o.deadline),
        ("期限情况", lambda o: o.deadline_label),
    )

    def extra_data(self, row: OpinionRow, column: int, role: int):
        if role == Qt.ItemDataRole.BackgroundRole:
            if row.overdue:
                return QBrush(OVERDUE_BG)
            if row.due_soon:
                return QBrush(SOON_BG)
        if role == Qt.ItemDataRole.ForegroundRole and row.overdue and column >= len(self.columns) - 2:
            return QBrush(OVERDUE_FG)
        if role == Qt.ItemDataRole.ToolTipRole:
            return row.content
        return None


class OpinionsPage(QWidget):
    def __init__(self, ctx: Context, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("opinionsPage")
        self.last_task: tasks.TaskHandle | None = None
        self.visit_id = ""
        self._generation = 0

        self._make_filters()
        self._timer = widgets.search_as_you_type(self, (self.search, self.date_from, self.date_to),
                                                 self.apply_filters, SEARCH_DELAY_MS)
        for combo in (self.state, self.category, self.unit, self.village, self.deputy):
            combo.currentIndexChanged.connect(self.apply_filters)
        for box in (self.overdue, self.due_soon):
            box.toggled.connect(self.apply_filters)

        self._make_table()
        self._make_toolbar()
        row1 = QHBoxLayout()
        row1.addWidget(self.search, 3)
        row1.addWidget(self.state, 1)
        row1.addWidget(self.category, 1)
        row1.addWidget(self.unit, 1)
        row1.addWidget(self.count_label)
        row2 = QHBoxLayout()
        row2.addWidget(self.village, 1)
        row2.addWidget(self.deputy, 1)
        row2.addWidget(self.date_from, 1)
        row2.addWidget(self.date_to, 1)
        row2.addWidget(self.overdue)
        row2.addWidget(self.due_soon)
        row2.addWidget(self.visit_label)
        row2.addWidget(self.clear_button)
        lay = QVBoxLayout(self)
        lay.addWidget(self.toolbar)
        lay.addLayout(row1)
        lay.addLayout(row2)
        lay.addWidget(self.filter_error)
        lay.addWidget(self.table, 1)
        self.table.selectionModel().selectionChanged.connect(self._update_actions)
        self.model.modelReset.connect(self._update_actions)
        self._query = OpinionQuery()
        self._update_actions()
        self._fill_choices()
        self.apply_filters()
        self._just_filled = True  # the window activates a page right after building it: not twice

    def _make_filters(self) -> None:
        self.search = QLineEdit()
        self.search.setObjectName("opinionSearch")
        self.search.setPlaceholderText("搜索任意文字：内容、提出人、电话、承办单位、代表…")
        self.search.setClearButtonEnabled(True)
        self.state = QComboBox()
        self.state.addItem("全部状态", "")
        for s in opinion_service.STATE_FILTERS:
            self.state.addItem(s, s)
        self.category = QComboBox()
        self.unit = QComboBox()
        self.village = QComboBox()
        self.deputy = QComboBox()
        self.deputy.setEditable(True)
        self.deputy.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.date_from = QLineEdit()
        self.date_from.setPlaceholderText("提出日期从")
        self.date_to = QLineEdit()
        self.date_to.setPlaceholderText("到")
        self.overdue = QCheckBox("超期")
        self.overdue.setObjectName("overdueFilter")
        self.due_soon = QCheckBox("7 天内到期")
        self.rated = False
        self.clear_button = QPushButton("清除筛选")
        self.clear_button.clicked.connect(self.clear_filters)
        self.visit_label = QPushButton()
        self.visit_label.setFlat(True)
        self.visit_label.setVisible(False)
        self.visit_label.setToolTip("点击取消按接待记录筛选")
        self.visit_label.clicked.connect(lambda: self.show_filtered())
        self.count_label = QLabel(LOADING)
        self._count_text = ""
        self.count_label.setObjectName("opinionCount")
        self.filter_error = error_label()
        for combo, everything in ((self.category, "全部类别"), (self.unit, "全部承办单位"),
                                  (self.village, "全部村(社区)"), (self.deputy, "全部代表")):
            combo.addItem(everything, "")

    def _make_table(self) -> None:
        self.model = OpinionTableModel(lambda _offset, _limit: [], None, self)  # filled by apply_filters
        self.model.on_error = lambda exc: self._failed(self._generation, exc)
        self.model.loaded.connect(self._loaded)
        self.table = QTableView()
        self.table.setObjectName("opinionTable")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        for col, width in enumerate((95, 90, 75, 300, 110, 95, 120, 120, 140, 90, 90)):
            self.table.setColumnWidth(col, width)
        widgets.open_rows_with(self.table, self.open_selected)

    def _make_toolbar(self) -> None:
        self.toolbar = QToolBar()
        self.toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.new_action = self._action("登记意见…", self.new_opinion, QKeySequence.StandardKey.New,
                                       "登记不是在接待中收集的意见建议：网格走访、大会、闭会期间、暗访（Ctrl+N）")
        self.detail_action = self._action("详情与办理", self.open_selected, None, "打开选中的意见建议（Enter 或双击）")
        self.visit_action = self._action("打开接待记录", self.open_visit, None, "打开该意见建议来自的接待记录")
        self.toolbar.addSeparator()
        self.referral_action = self._action("打印交办单", self.print_referral, QKeySequence.StandardKey.Print,
                                            "生成意见建议交办单（含回执）PDF（Ctrl+P）")
        self.summary_action = self._action("汇总表", self.print_summary, None, "生成办理情况汇总表 PDF")
        self.export_action = self._action("导出", self.export, None, "把当前筛选出的意见建议导出为 Excel")
        self.toolbar.addSeparator()
        self.units_action = self._action("承办单位", self.show_units, None, "承办单位名单和联系人")
        self.categories_action = self._action("意见类别", self.show_categories, None, "本单位使用的意见类别")
        find = QShortcut(QKeySequence.StandardKey.Find, self)
        find.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        find.activated.connect(lambda: (self.search.setFocus(), self.search.selectAll()))

    def _action(self, text: str, slot, shortcut, tip: str) -> QAction:
        return widgets.toolbar_action(self, self.toolbar, text, slot, shortcut, tip)

    def _fill_choices(self) -> tasks.TaskHandle:
        """The categories, units, villages and deputies of the filters, read on the database worker."""
        ctx = self.ctx

        def work() -> list[list[tuple[str, str]]]:
            return [[(c.name, c.id) for c in opinion_service.list_categories(ctx, include_inactive=True)],
                    [(u.name, u.id) for u in unit_service.list_units(ctx)],
                    [(v.name, v.id) for v in list_villages(ctx)],
                    [(d.name, d.id) for d in deputy_service.query_deputies(ctx, deputy_service.DeputyQuery(), 0,
                                                                           None)]]

        self.choices_task = db_op(self, work, self._show_choices, title="正在读取")
        return self.choices_task

    def _show_choices(self, lists: list[list[tuple[str, str]]]) -> None:
        combos = (self.category, self.unit, self.village, self.deputy)
        kept = [c.currentData() for c in combos]
        for c, items in zip(combos, lists, strict=True):
            c.blockSignals(True)
            everything = c.itemText(0)
            c.clear()
            c.addItem(everything, "")
            for name, item_id in items:
                c.addItem(name, item_id)
        widgets.find_as_you_type(self.deputy)
        for c, value in zip(combos, kept, strict=True):
            c.setCurrentIndex(max(c.findData(value), 0))
            c.blockSignals(False)

    # ------------------------------------------------------------------ hooks
    def initial_focus(self) -> QWidget:
        return self.search

    def on_activated(self) -> None:
        if self._just_filled:
            self._just_filled = False
            return
        self._fill_choices()
        self.apply_filters()

    def show_filtered(self, **filters: Any) -> None:
        """Set every filter at once (home page figures, a visit's opinions) and show the list; the keys are
        those of ``ShownFilters``."""
        f = ShownFilters(**filters)
        state, overdue, due_soon, date_from, date_to = f.state, f.overdue, f.due_soon, f.date_from, f.date_to
        text, rated, visit_id, visit_label = f.text, f.rated, f.visit_id, f.visit_label
        widgets_ = (self.search, self.state, self.category, self.unit, self.village, self.deputy, self.date_from,
                    self.date_to, self.overdue, self.due_soon)
        for w in widgets_:
            w.blockSignals(True)
        self.search.setText(text)
        self.state.setCurrentIndex(max(self.state.findData(state), 0))
        for combo in (self.category, self.unit, self.village, self.deputy):
            combo.setCurrentIndex(0)
        self.date_from.setText(date_from)
        self.date_to.setText(date_to)
        self.overdue.setChecked(overdue)
        self.due_soon.setChecked(due_soon)
        self.rated = rated
        self.visit_id = visit_id
        self.visit_label.setText(f"仅：{visit_label} ×" if visit_id else "")
        self.visit_label.setVisible(bool(visit_id))
        for w in widgets_:
            w.blockSignals(False)
        self.apply_filters()

    def clear_filters(self) -> None:
        self.show_filtered()

    # ------------------------------------------------------------------ list
    def current_query(self) -> OpinionQuery:
        deputy_id = self.deputy.currentData() or ""
        if self.deputy.currentText() and self.deputy.findText(self.deputy.currentText()) < 0:
            deputy_id = ""
        return OpinionQuery(text=self.search.text(), state=self.state.currentData() or "",
                            category_id=self.category.currentData() or "", unit_id=self.unit.currentData() or "",
                            village_id=self.village.currentData() or "", deputy_id=deputy_id,
                            date_from=self.date_from.text(), date_to=self.date_to.text(),
                            overdue=self.overdue.isChecked(), due_soon=self.due_soon.isChecked(),
                            visit_id=self.visit_id, rated=self.rated)

    def apply_filters(self, select: str = "") -> tasks.TaskHandle:
        """Read the first page, then count, on the database worker (one after the other: the page is shown
        first, as counting may take longer on a big database); ``select`` an opinion once it is shown."""
        self._timer.stop()
        self._just_filled = False
        self._query = query = self.current_query()
        self._generation += 1
        generation, ctx = self._generation, self.ctx
        if self.count_label.text() != LOADING:
            self._count_text = self.count_label.text()
        self.count_label.setText(LOADING)
        self.model.reload(lambda offset, limit: opinion_service.query_opinions(ctx, query, offset, limit))
        if select:
            common.select_when_loaded(self.model, self.table, select, lambda _found: None, load_more=False)
        self.last_task = db_op(self, lambda: opinion_service.count_opinions(ctx, query),
                               lambda n: self._counted(generation, n), title="正在统计",
                               on_error=lambda exc: self._failed(generation, exc, quiet=True),
                               show_after_ms=24 * 3600 * 1000)
        return self.last_task

    def _loaded(self) -> None:
        self.filter_error.set_error("")
        if self.model.total is not None:  # the whole list fits in the first page
            self.count_label.setText(f"共 {self.model.total} 条")
        else:  # the total arrives when counted
            self.count_label.setText(f"{self.model.rowCount()}+ 条，正在统计…")

    def _counted(self, generation: int, n: int) -> None:
        if generation == self._generation:
            self.model.total = n
            self.count_label.setText(f"共 {n} 条")

    def _failed(self, generation: int, exc: BaseException, *, quiet: bool = False) -> None:
        """A filter the core refused (the rows of the last good one stay); ``quiet``: the count of a list
        whose page already said what went wrong."""
        if generation != self._generation:
            return
        self.count_label.setText(self._count_text)
        if isinstance(exc, CongressError):
            self.filter_error.set_error(exc.message)
        elif not quiet:
            ui_errors.show_error(self, exc)
        else:
            log.warning("counting opinions failed: %s", exc)

    def _update_actions(self) -> None:
        o = self.selected()
        for a in (self.detail_action, self.referral_action):
            a.setEnabled(o is not None)
        self.visit_action.setEnabled(o is not None and bool(o.visit_id))

    def selected(self) -> OpinionRow | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.row(rows[0].row()) if rows else None

    def select_opinion(self, opinion_id: str) -> bool:
        """Select an opinion among the rows loaded (False if it is not)."""
        row = self.model.row_of(opinion_id)
        if row is None:
            return False
        self.table.selectRow(row)
        return True

    # ------------------------------------------------------------------ actions
    def new_opinion(self) -> OpinionDialog | None:
        """登记 a new opinion, then open it so its handling can start (交办) right away."""
        dlg = NewOpinionDialog(self.ctx, self)
        if widgets.exec_modal(dlg) != QDialog.DialogCode.Accepted or dlg.saved is None:
            return None
        self.apply_filters(select=dlg.saved.row.id)  # the user's filters stay; the new row is selected if shown
        return self.open_opinion(dlg.saved.row.id)

    def open_selected(self, index: QModelIndex | None = None) -> OpinionDialog | None:
        o = self.model.row(index.row()) if isinstance(index, QModelIndex) and index.isValid() else self.selected()
        if o is None:
            return None
        return self.open_opinion(o.id)

    def open_opinion(self, opinion_id: str) -> OpinionDialog:
        """The opinion's dialog (it reads the opinion on the database worker; one that is gone says so and
        closes, and the list is read again)."""
        dlg = OpinionDialog(self.ctx, opinion_id, self)
        dlg.gone.connect(self.apply_filters)
        widgets.exec_modal(dlg)
        if dlg.changed:
            self.apply_filters(select=opinion_id)
        return dlg

    def open_visit(self) -> tasks.TaskHandle | None:
        """Read the visit the opinion came from on the database worker, then open its form."""
        o = self.selected()
        if o is None or not o.visit_id:
            return None
        ctx, visit_id = self.ctx, o.visit_id

        def edit(visit: visit_service.VisitDetail) -> None:
            if widgets.exec_modal(VisitForm(self.ctx, visit, self)) == QDialog.DialogCode.Accepted:
                self.apply_filters()

        self.last_task = db_op(self, lambda: visit_service.get_visit(ctx, visit_id), edit, title="正在读取")
        return self.last_task

    def print_referral(self) -> tasks.TaskHandle | None:
        o = self.selected()
        if o is None:
            return None
        out = common.printout_path(self.ctx, f"交办单-{referral_number(o.seq, o.raised_on)}")
        ctx = self.ctx
        self.last_task = print_op(self, "正在生成交办单", out, lambda p, c: report.print_referral(ctx, o.id, out))
        return self.last_task

    def print_summary(self) -> tasks.TaskHandle | None:
        dlg = SummaryPeriodDialog(self)
        if widgets.exec_modal(dlg) != QDialog.DialogCode.Accepted:
            return None
        start, end = dlg.date_from.text(), dlg.date_to.text()
        out = common.printout_path(self.ctx, "意见建议办理情况汇总表")
        ctx = self.ctx
        self.last_task = print_op(self, "正在生成汇总表", out, lambda p, c: report.print_opinion_summary(
            ctx, out, start, end, progress=p, cancel=c))
        return self.last_task

    def export(self) -> tasks.TaskHandle | None:
        suggested = str(Path.home() / f"意见建议-{dt.date.today():%Y%m%d}.xlsx")
        path = common.ask_save_file(self, "导出意见建议", suggested, common.XLSX_FILTER)
        if not path:
            return None
        target = common.with_suffix(path, ".xlsx")
        ctx, query = self.ctx, self._query

        def done(n: int) -> None:
            widgets.show_status(self, f"已导出 {n} 条意见建议")
            common.info(self, "导出完成", f"已导出 {n} 条意见建议到：\n{target}")

        self.last_task = long_op(
            self, "正在导出意见建议",
            lambda progress, cancel: opinion_service.export_opinions(ctx, target, query, progress=progress,
                                                                     cancel=cancel), done)
        return self.last_task

    def show_units(self) -> None:
        widgets.exec_modal(UnitsDialog(self.ctx, self))
        self._fill_choices()

    def show_categories(self) -> None:
        widgets.exec_modal(CategoriesDialog(self.ctx, self))
        self._fill_choices()

