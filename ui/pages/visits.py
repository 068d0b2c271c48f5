"""联系点接待: the list of visits and the quick visit form a clerk fills in from the paper sign-in sheet.

The form is made for the keyboard. Enter moves to the next field (Tab works too); in the deputy
search Enter adds the highlighted deputy (type a name or its pinyin initials, ``wjg`` for 王建国);
Enter in the last field of the last visitor or opinion row opens a new row; Ctrl+S or Ctrl+Enter
saves; Esc cancels. The core checks everything again on save; every message goes under its field or
into the red line at the top, and the first wrong field gets the focus.

Seams for tests: ``visits_common.ask_open_files / ask_save_file / open_file`` and ``widgets.exec_modal``.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QAction, QBrush, QColor, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QFrame,
    QGridLayout,
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
from congress_desktop.visits import importing, report
from congress_desktop.visits import opinions as opinion_service
from congress_desktop.visits import service as visit_service
from congress_desktop.visits.rules import FORMS
from congress_desktop.visits.service import VisitDetail, VisitQuery, VisitRow
from ui import errors as ui_errors
from ui import tasks, widgets
from ui.models import PagedTableModel
from ui.operations import db_op, long_op, print_op
from ui.pages import visits_common as common
from ui.pages.visit_form import VisitForm as VisitForm
from ui.pages.visit_rows import DeputyPicker as DeputyPicker
from ui.pages.visit_rows import OpinionRows as OpinionRows
from ui.pages.visit_rows import VisitorRows as VisitorRows
from ui.pages.visit_rows import error_label

log = logging.getLogger(__name__)

LOADING = common.LOADING

SEARCH_DELAY_MS = 250


# ================================================================== the list page

class VisitTableModel(PagedTableModel):
    columns = (
        ("日期", lambda v: v.visit_date),
        ("时间", lambda v: v.time_label),
        ("形式", lambda v: v.form),
        ("地点", lambda v: v.place_label),
        ("所在村(社区)", lambda v: v.village_name),
        ("接待代表", lambda v: v.deputies_label),
        ("来访群众", lambda v: "、".join(v.visitor_names[:3]) + ("等" if len(v.visitor_names) > 3 else "")),
        ("人数", lambda v: v.visitor_count),
        ("意见", lambda v: v.opinion_count),
        ("未办结", lambda v: v.open_count or ""),
    )

    def extra_data(self, row: VisitRow, column: int, role: int):
        if role == Qt.ItemDataRole.ForegroundRole and self.columns[column][0] == "未办结" and row.open_count:
            return QBrush(QColor("#b3261e"))
        if role == Qt.ItemDataRole.ToolTipRole and row.note:
            return row.note
        return None


class VisitsPage(QWidget):
    def __init__(self, ctx: Context, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("visitsPage")
        self.last_task: tasks.TaskHandle | None = None
        self.last_form: VisitForm | None = None

        self.search = QLineEdit()
        self.search.setObjectName("visitSearch")
        self.search.setPlaceholderText("搜索：地点、代表、群众姓名、电话、备注…")
        self.search.setClearButtonEnabled(True)
        self.date_from = QLineEdit()
        self.date_from.setPlaceholderText("起始日期")
        self.date_to = QLineEdit()
        self.date_to.setPlaceholderText("截止日期")
        self.form = QComboBox()
        self.form.addItem("全部形式", "")
        for f in FORMS:
            self.form.addItem(f, f)
        self.point = QComboBox()
        self.count_label = QLabel(LOADING)
        self._count_text = ""
        self.count_label.setObjectName("visitCount")
        self.filter_error = error_label()
        self.point.addItem("全部地点", "")
        self._query = VisitQuery()
        self._timer = widgets.search_as_you_type(self, (self.search, self.date_from, self.date_to),
                                                 self.apply_filters, SEARCH_DELAY_MS)
        for combo in (self.form, self.point):
            combo.currentIndexChanged.connect(self.apply_filters)

        self.model = VisitTableModel(lambda _offset, _limit: [], None, self)  # filled by apply_filters
        self.model.on_error = self._load_failed
        self.model.loaded.connect(self._loaded)
        self.table = QTableView()
        self.table.setObjectName("visitTable")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        for col, width in enumerate((95, 90, 70, 170, 100, 160, 160, 50, 50, 60)):
            self.table.setColumnWidth(col, width)
        widgets.open_rows_with(self.table, self.edit_visit)

        self.toolbar = QToolBar()
        self.toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.new_action = self._action("登记接待", self.new_visit, QKeySequence.StandardKey.New, "登记一次接待（Ctrl+N）")
        self.edit_action = self._action("编辑", self.edit_visit, None, "编辑选中的接待（Enter 或双击）")
        self.delete_action = self._action("删除", self.delete_visit, None, "删除选中的接待及其意见建议（保留修改记录）")
        self.opinions_action = self._action("查看意见建议", self.show_opinions, None, "在“建议督办”中列出本次接待的意见建议")
        self.toolbar.addSeparator()
        self.print_action = self._action("打印登记表", self.print_visit, QKeySequence.StandardKey.Print,
                                         "生成选中接待的接待登记表 PDF（Ctrl+P）")
        self.toolbar.addSeparator()
        self.import_action = self._action("导入台账", self.import_ledger, None, "从 Excel 接待台账导入（每行一条意见）")
        self.export_action = self._action("导出", self.export_ledger, None, "把当前筛选出的接待导出为 Excel 台账")
        find = QShortcut(QKeySequence.StandardKey.Find, self)
        find.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        find.activated.connect(lambda: (self.search.setFocus(), self.search.selectAll()))

        filters = QHBoxLayout()
        filters.addWidget(self.search, 3)
        filters.addWidget(QLabel("日期"))
        filters.addWidget(self.date_from, 1)
        filters.addWidget(QLabel("至"))
        filters.addWidget(self.date_to, 1)
        filters.addWidget(self.form, 1)
        filters.addWidget(self.point, 2)
        filters.addWidget(self.count_label)
        lay = QVBoxLayout(self)
        lay.addWidget(self.toolbar)
        lay.addLayout(filters)
        lay.addWidget(self.filter_error)
        lay.addWidget(self.table, 1)
        self.table.selectionModel().selectionChanged.connect(self._update_actions)
        self.model.modelReset.connect(self._update_actions)
        self._update_actions()
        self._fill_points()
        self.apply_filters()
        self._just_filled = True  # the window activates a page right after building it: not twice

    def _action(self, text: str, slot, shortcut, tip: str) -> QAction:
        return widgets.toolbar_action(self, self.toolbar, text, slot, shortcut, tip)

    def _fill_points(self) -> tasks.TaskHandle:
        """The places of the filter, read on the database worker."""
        ctx = self.ctx
        self.points_task = db_op(self, lambda: visit_service.list_places(ctx), self._show_points, title="正在读取")
        return self.points_task

    def _show_points(self, places: list[visit_service.PlaceOption]) -> None:
        current = self.point.currentData()
        self.point.blockSignals(True)
        self.point.clear()
        self.point.addItem("全部地点", "")
        for p in places:
            self.point.addItem(p.label, f"{p.kind}:{p.id}")
        self.point.setCurrentIndex(max(self.point.findData(current), 0))
        self.point.blockSignals(False)

    # ------------------------------------------------------------------ hooks
    def initial_focus(self) -> QWidget:
        return self.search

    def on_activated(self) -> None:
        if self._just_filled:
            self._just_filled = False
            return
        self._fill_points()
        self.apply_filters()

    def show_filtered(self, *, date_from: str = "", date_to: str = "", text: str = "") -> None:
        """Used by the home page: the visits of a period."""
        for w, value in ((self.search, text), (self.date_from, date_from), (self.date_to, date_to)):
            w.blockSignals(True)
            w.setText(value)
            w.blockSignals(False)
        self.form.setCurrentIndex(0)
        self.point.setCurrentIndex(0)
        self.apply_filters()

    # ------------------------------------------------------------------ list
    def current_query(self) -> VisitQuery:
        kind, _, pid = (self.point.currentData() or "").partition(":")
        return VisitQuery(text=self.search.text(), date_from=self.date_from.text(), date_to=self.date_to.text(),
                          form=self.form.currentData() or "", contact_point_id=pid if kind == "contact_point" else "",
                          grid_id=pid if kind == "grid" else "")

    def apply_filters(self) -> tasks.TaskHandle:
        """Count and read the first page on the database worker; the list says 正在加载… meanwhile."""
        self._timer.stop()
        self._just_filled = False
        self._query = query = self.current_query()
        ctx = self.ctx
        if self.count_label.text() != LOADING:
            self._count_text = self.count_label.text()
        self.count_label.setText(LOADING)
        self.last_task = self.model.reload(lambda offset, limit: visit_service.query_visits(ctx, query, offset, limit),
                                           lambda: visit_service.count_visits(ctx, query))
        return self.last_task

    def _loaded(self) -> None:
        self.filter_error.set_error("")
        self.count_label.setText(f"共 {self.model.total} 次接待")

    def _load_failed(self, exc: BaseException) -> None:
        self.count_label.setText(self._count_text)  # the rows of the last good filter stay
        if isinstance(exc, CongressError):
            self.filter_error.set_error(exc.message)
        else:
            ui_errors.show_error(self, exc)

    def _update_actions(self) -> None:
        has = self.selected() is not None
        for a in (self.edit_action, self.delete_action, self.print_action, self.opinions_action):
            a.setEnabled(has)

    def selected(self) -> VisitRow | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.row(rows[0].row()) if rows else None

    def select_visit(self, visit_id: str, then: Callable[[bool], object] = lambda _found: None) -> None:
        """Select the visit once the list is loaded, reading next pages until it is there; ``then(found)``."""
        common.select_when_loaded(self.model, self.table, visit_id, then)

    # ------------------------------------------------------------------ editing
    def new_visit(self) -> VisitForm:
        form = VisitForm(self.ctx, None, self)
        if widgets.exec_modal(form) == QDialog.DialogCode.Accepted and form.saved:
            self._after_save(form.saved, "已登记接待")
        return form

    def edit_visit(self, index: QModelIndex | None = None) -> tasks.TaskHandle | None:
        v = self.model.row(index.row()) if isinstance(index, QModelIndex) and index.isValid() else self.selected()
        if v is None:
            return None
        return self.open_visit(v.id)

    def open_visit(self, visit_id: str) -> tasks.TaskHandle:
        """Read the visit on the database worker, then open its form (``self.last_form``)."""
        ctx = self.ctx

        def failed(exc: BaseException) -> None:
            ui_errors.show_error(self, exc)
            self.apply_filters()

        self.last_task = db_op(self, lambda: visit_service.get_visit(ctx, visit_id), self._edit, title="正在读取",
                               on_error=failed)
        return self.last_task

    def _edit(self, detail: VisitDetail) -> None:
        form = self.last_form = VisitForm(self.ctx, detail, self)
        if widgets.exec_modal(form) == QDialog.DialogCode.Accepted and form.saved:
            self._after_save(form.saved, "已保存接待记录")

    def _after_save(self, saved: VisitDetail, message: str) -> None:
        spot = sum(1 for o in saved.opinions if o.on_the_spot)
        tail = (f"，意见建议 {len(saved.opinions)} 条" + (f"（当场答复 {spot} 条）" if spot else "")
                if saved.opinions else "")

        def selected(found: bool) -> None:
            widgets.show_status(self, message + ("" if found else "（不在当前筛选条件中）") + tail)

        self.apply_filters()
        self.select_visit(saved.row.id, selected)

    def delete_visit(self) -> None:
        v = self.selected()
        if v is None:
            return
        extra = (f"\n\n同时删除本次接待的 {v.opinion_count} 条意见建议"
                 + (f"，其中 {v.open_count} 条尚未办结" if v.open_count else "") + "。") if v.opinion_count else ""
        if not widgets.ask_yes_no(self, "删除接待记录",
                                  f"确定删除 {v.visit_date} 在“{v.place_label}”的接待记录吗？{extra}\n\n"
                                  "删除的记录保留在修改记录中。"):
            return
        ctx = self.ctx

        def done(_n: int) -> None:
            self.apply_filters()
            widgets.show_status(self, "已删除接待记录")

        def failed(exc: BaseException) -> None:
            ui_errors.show_error(self, exc)
            self.apply_filters()

        self.last_task = db_op(self, lambda: visit_service.delete_visit(ctx, v.id), done, title="正在删除",
                               on_error=failed)

    def show_opinions(self) -> None:
        v = self.selected()
        if v is not None:
            common.go_to(self, "opinions", visit_id=v.id, visit_label=f"{v.visit_date} {v.place_label}")

    # ------------------------------------------------------------------ paper and sheets
    def print_visit(self) -> tasks.TaskHandle | None:
        v = self.selected()
        if v is None:
            return None
        out = common.printout_path(self.ctx, f"接待登记表-{v.visit_date}")
        ctx = self.ctx
        self.last_task = print_op(self, "正在生成接待登记表", out,
                                  lambda progress, cancel: report.print_visit_form(ctx, v.id, out))
        return self.last_task

    def import_ledger(self) -> tasks.TaskHandle | None:
        path = common.ask_open_file(self, "导入接待台账", common.IMPORT_FILTER)
        if not path:
            return None
        ctx = self.ctx

        def work(progress, cancel):
            return importing.import_ledger(ctx, path, progress, cancel)

        self.last_task = long_op(self, "正在导入接待台账", work, lambda result: self._import_done(result, path))
        return self.last_task

    def _import_done(self, result, path: str) -> None:
        if not result.ok:
            from ui.pages.import_dialog import ImportErrorsDialog

            widgets.exec_modal(ImportErrorsDialog(result, path, self, what="接待台账"))
            return
        self.apply_filters()
        text = f"已导入 {result.applied_visits} 次接待、{result.applied_opinions} 条意见建议。"
        widgets.show_status(self, text)
        common.info(self, "导入完成", text)

    def export_ledger(self) -> tasks.TaskHandle | None:
        suggested = str(Path.home() / f"接待台账-{dt.date.today():%Y%m%d}.xlsx")
        path = common.ask_save_file(self, "导出接待台账", suggested, common.XLSX_FILTER)
        if not path:
            return None
        target = common.with_suffix(path, ".xlsx")
        ctx, query = self.ctx, self._query

        def work(progress, cancel) -> int:
            return importing.export_ledger(ctx, target, query, progress=progress, cancel=cancel)

        def done(n: int) -> None:
            widgets.show_status(self, f"已导出 {n} 行")
            common.info(self, "导出完成", f"已导出 {n} 行到：\n{target}")

        self.last_task = long_op(self, "正在导出接待台账", work, done)
        return self.last_task


# ================================================================== 首页 figures

class VisitSummaryCard(QFrame):
    """The office's figures on the home page, each a link to its filtered list."""

    def __init__(self, ctx: Context, parent: QWidget | None = None, *, fill: bool = True):
        """``fill=False``: the owner calls ``refresh()`` itself (the figures cost ~50 ms on a decade)."""
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("card")
        self.title = widgets.heading("接待与督办", level=2)
        self.buttons: dict[str, QPushButton] = {}
        grid = QGridLayout()
        grid.setHorizontalSpacing(12)
        specs = [("visits_month", "本月接待"), ("visits_year", "本年接待"), ("open_items", "未办结意见建议"),
                 ("overdue", "超期未答复"), ("closed_rate", "本年办结率"), ("satisfaction_rate", "本年满意率")]
        for i, (key, caption) in enumerate(specs):
            b = QPushButton()
            b.setObjectName(f"summary_{key}")
            b.setFlat(True)
            b.setCursor(Qt.CursorShape.PointingHandCursor)
            b.setToolTip(f"点击查看：{caption}")
            b.setStyleSheet("text-align: left; padding: 6px;")
            b.clicked.connect(lambda _=False, k=key: self.open(k))
            self.buttons[key] = b
            grid.addWidget(b, i // 3, i % 3)
        self.note = QLabel("本年：按提出日期统计；满意率 = 满意和基本满意 ÷ 已测评。点击数字可查看清单。")
        self.note.setObjectName("muted")
        lay = QVBoxLayout(self)
        lay.setContentsMargins(18, 14, 18, 14)
        lay.addWidget(self.title)
        lay.addLayout(grid)
        lay.addWidget(self.note)
        self.summary: visit_service.HomeSummary | None = None
        self.last_task: tasks.TaskHandle | None = None
        for b in self.buttons.values():
            b.setText("正在加载…")
        if fill:
            self.refresh()

    def refresh(self) -> tasks.TaskHandle:
        """Count on the database worker; the figures change when they are back (``self.last_task``)."""
        ctx = self.ctx
        self.last_task = db_op(self, lambda: visit_service.home_summary(ctx), self._show, title="正在统计")
        return self.last_task

    def _show(self, s: visit_service.HomeSummary) -> None:
        self.summary = s
        pct = visit_service.percent
        texts = {
            "visits_month": ("本月接待", f"{s.visits_month} 次"),
            "visits_year": ("本年接待", f"{s.visits_year} 次"),
            "open_items": ("未办结意见建议", f"{s.open_items} 件"),
            "overdue": ("超期未答复", f"{s.overdue} 件" + (f"（7 天内到期 {s.due_soon} 件）" if s.due_soon else "")),
            "closed_rate": ("本年办结率", f"{pct(s.closed_rate)}（{s.closed_year}/{s.opinions_year}）"),
            "satisfaction_rate": ("本年满意率", f"{pct(s.satisfaction_rate)}（{s.satisfied_year}/{s.rated_year}）"),
        }
        for key, (caption, value) in texts.items():
            self.buttons[key].setText(f"{caption}\n{value}")
        self.buttons["overdue"].setStyleSheet("text-align: left; padding: 6px;"
                                              + (" color: #b3261e; font-weight: bold;" if s.overdue else ""))

    def open(self, key: str) -> None:
        s = self.summary
        if s is None:  # not counted yet: the figures' periods come with them
            return
        if key == "visits_month":
            common.go_to(self, "visits", date_from=s.month_from, date_to=s.today)
        elif key == "visits_year":
            common.go_to(self, "visits", date_from=s.year_from, date_to=s.today)
        elif key == "open_items":
            common.go_to(self, "opinions", state=opinion_service.STATE_OPEN)
        elif key == "overdue":
            common.go_to(self, "opinions", overdue=True)
        elif key == "closed_rate":
            common.go_to(self, "opinions", date_from=s.year_from, date_to=s.today)
        elif key == "satisfaction_rate":
            common.go_to(self, "opinions", date_from=s.year_from, date_to=s.today, rated=True)
