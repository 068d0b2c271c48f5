"""The 考评 tab: a period chosen (or dates typed), the table computed on the database worker, every
number a link to its records; periods created, closed and reopened; the notice, a deputy's file and the
spreadsheet made off the GUI thread."""

from __future__ import annotations

import datetime as dt
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetrics
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QStyle,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from congress_desktop.core.context import Context
from congress_desktop.core.errors import CongressError
from congress_desktop.deputies.rules import IN_OFFICE
from congress_desktop.duty import evaluation as eval_service
from congress_desktop.duty import report as report_service
from congress_desktop.duty import rules as ev
from congress_desktop.duty.rows import DutyFile, Evaluation, EvaluationRow, PeriodRow, SchemeRow, SourceRef
from ui import errors as ui_errors
from ui import tasks, widgets
from ui.models import ROW_ROLE
from ui.operations import db_op, long_op, print_op
from ui.pages import visits_common as common
from ui.pages.duty.dialogs import EvaluationPeriodDialog, SourcesDialog, open_source
from ui.pages.duty.parts import LOADING, date_edit, table

Index = QModelIndex | QPersistentModelIndex
RED = QColor("#b3261e")
GREY = QColor("#8a8a8a")
_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)


class EvaluationModel(QAbstractTableModel):
    FIXED = ("名次", "姓名", "所在村(社区)", "总分", "等次")  # what matters first, then the items
    TAIL = ("基础分", "选民测评", "提醒事项")

    def __init__(self, parent=None):
        super().__init__(parent)
        self.evaluation: Evaluation | None = None

    def set_evaluation(self, e: Evaluation | None) -> None:
        self.beginResetModel()
        self.evaluation = e
        self.endResetModel()

    @property
    def rows(self) -> tuple[EvaluationRow, ...]:
        return self.evaluation.rows if self.evaluation else ()

    def item_column(self, column: int) -> int | None:
        """The index of the scheme item shown in ``column``, or None for the other columns."""
        n = len(self.evaluation.items) if self.evaluation else 0
        i = column - len(self.FIXED)
        return i if 0 <= i < n else None

    def column_of(self, source: str) -> int:
        assert self.evaluation is not None
        return len(self.FIXED) + [h.source for h in self.evaluation.items].index(source)

    def _tail(self, column: int) -> str | None:
        """The name of a column after the items, or None."""
        assert self.evaluation is not None
        i = column - len(self.FIXED) - len(self.evaluation.items)
        return self.TAIL[i] if 0 <= i < len(self.TAIL) else None

    def rowCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:
        if parent.isValid() or self.evaluation is None:
            return 0
        return len(self.FIXED) + len(self.evaluation.items) + len(self.TAIL)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if orientation != Qt.Orientation.Horizontal or self.evaluation is None:
            return None
        i = self.item_column(section)
        if role == Qt.ItemDataRole.DisplayRole:
            if section < len(self.FIXED):
                return self.FIXED[section]
            return self.evaluation.items[i].label if i is not None else self._tail(section)
        if role == Qt.ItemDataRole.ToolTipRole and i is not None:
            h = self.evaluation.items[i]
            return f"{h.label}：{h.rule}（{ev.SOURCES[h.source].hint}）"
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or self.evaluation is None or index.row() >= len(self.rows):
            return None
        r, col = self.rows[index.row()], index.column()
        if role == ROW_ROLE:
            return r
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(r, col)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(r, col)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return _RIGHT if self.item_column(col) is not None or col in (0, 3) or self._tail(col) == "基础分" else None
        if role == Qt.ItemDataRole.ForegroundRole:
            return self._foreground(r, col)
        if role == Qt.ItemDataRole.FontRole:
            return self._font(r, col)
        return None

    def _display(self, r: EvaluationRow, col: int) -> str:
        i = self.item_column(col)
        if i is not None:
            return r.items[i].points
        fixed = {0: lambda: str(r.rank), 1: lambda: r.name if r.status == IN_OFFICE else f"{r.name}（{r.status}）",
                 2: lambda: r.village_name, 3: lambda: r.total, 4: lambda: r.grade}
        if col in fixed:
            return fixed[col]()
        tail = self._tail(col)
        return {"基础分": r.base, "选民测评": r.rating.summary if r.rating else "",
                "提醒事项": r.flags_label}.get(tail or "", "")

    def _tooltip(self, r: EvaluationRow, col: int) -> str | None:
        i = self.item_column(col)
        if i is not None:
            c = r.items[i]
            text = f"{c.label}：{c.count} 次，{c.points} 分"
            if c.capped:
                text += f"（按次累计 {c.raw} 分，已达上限）"
            return text + ("\n单击查看这些记录" if c.count else "")
        return "双击查看该代表的全部履职记录" if col == 1 else None

    def _foreground(self, r: EvaluationRow, col: int) -> QBrush | None:
        i = self.item_column(col)
        if ev.FLAG_QUALIFICATION in r.flags or (r.flags and (col in (3, 4) or self._tail(col) is not None)):
            return QBrush(RED)
        if i is not None and r.items[i].count == 0:
            return QBrush(GREY)
        return None

    def _font(self, r: EvaluationRow, col: int) -> QFont | None:
        i = self.item_column(col)
        if col == 3 or (i is not None and r.items[i].count):
            f = QFont()
            f.setBold(col == 3)
            f.setUnderline(col != 3)  # a link: click to see the records
            return f
        return None


class EvaluationTab(QWidget):
    """A period chosen (or dates typed), the table computed, every number a link to its records."""

    def __init__(self, ctx: Context, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.evaluation: Evaluation | None = None
        self.periods: dict[str, PeriodRow] = {}
        self.last_task: tasks.TaskHandle | None = None
        self.last_dialog: QDialog | None = None
        self._asked = 0  # which compute() the table waits for (an older answer is dropped)
        self.info = QLabel(LOADING)
        self.info.setObjectName("evaluationInfo")
        self.info.setWordWrap(True)
        self.warning = widgets.FieldError()
        self.model = EvaluationModel(self)
        self.table = table(QTableView())
        self.table.setObjectName("evaluationTable")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectItems)
        self.table.setModel(self.model)
        self.table.clicked.connect(self.cell_clicked)
        self.table.doubleClicked.connect(self.cell_double_clicked)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 6, 0, 0)
        lay.addLayout(self._top_row())
        lay.addLayout(self._period_row())
        lay.addWidget(self.warning)
        lay.addWidget(self.table, 1)
        lay.addLayout(self._bottom_row())
        self.period_box.currentIndexChanged.connect(self._period_chosen)
        self.reload_periods()

    def _top_row(self) -> QHBoxLayout:
        self.period_box = QComboBox()
        self.period_box.setObjectName("periodBox")
        self.period_box.setMinimumWidth(260)
        # sized by a length, not by its longest entry: a long period name pushed the row past a small window
        self.period_box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.period_box.setMinimumContentsLength(14)
        self.period_box.addItem(LOADING)
        self.date_from = date_edit("起始日期")
        self.date_to = date_edit("截止日期")
        self.compute_button = QPushButton("计算")
        self.compute_button.clicked.connect(self.compute)
        top = QHBoxLayout()
        top.addWidget(QLabel("考评期间"))
        top.addWidget(self.period_box, 2)
        top.addWidget(self.date_from)
        top.addWidget(QLabel("至"))
        top.addWidget(self.date_to)
        top.addWidget(self.compute_button)
        top.addStretch(1)
        return top

    def _period_row(self) -> QHBoxLayout:
        """The period's own buttons beside its description: in one row with the dates they did not fit a
        1024-pixel window and ran over the period list."""
        self.new_period_button = QPushButton("新建期间…")
        self.new_period_button.clicked.connect(self.new_period)
        self.close_button = QPushButton("关闭期间")
        self.close_button.setToolTip("关闭后：本期固定按当前考评办法版本计算，本期的履职记录和培训不能再修改")
        self.close_button.clicked.connect(self.close_period)
        self.reopen_button = QPushButton("重新打开")
        self.reopen_button.setToolTip("重新打开后可以更正记录；本期仍按关闭时的考评办法版本计算")
        self.reopen_button.clicked.connect(self.reopen_period)
        row = QHBoxLayout()
        row.addWidget(self.info, 1)
        row.addWidget(self.new_period_button)
        row.addWidget(self.close_button)
        row.addWidget(self.reopen_button)
        return row

    def _bottom_row(self) -> QHBoxLayout:
        self.print_button = QPushButton("打印履职情况通报")
        self.print_button.clicked.connect(self.print_notice)
        self.export_button = QPushButton("导出 Excel")
        self.export_button.clicked.connect(self.export_xlsx)
        self.file_button = QPushButton("打印选中代表的履职档案")
        self.file_button.clicked.connect(self.print_file)
        bottom = QHBoxLayout()
        hint = QLabel("单击分数查看其背后的记录并可打开；双击姓名查看该代表的履职档案。")
        hint.setObjectName("muted")
        hint.setWordWrap(True)  # wraps on a narrow window instead of running under the buttons
        bottom.addWidget(hint, 1)
        bottom.addWidget(self.file_button)
        bottom.addWidget(self.export_button)
        bottom.addWidget(self.print_button)
        return bottom

    # ------------------------------------------------------------ periods
    def reload_periods(self, select_id: str | None = None) -> tasks.TaskHandle:
        """Read the periods on the worker, then choose ``select_id`` (else the one chosen, else the
        rule's default) and compute its table."""
        ctx = self.ctx
        self.last_task = db_op(self, lambda: eval_service.list_periods(ctx),
                               lambda periods: self._fill_periods(periods, select_id), title="正在加载考评期间")
        return self.last_task

    def _fill_periods(self, periods: list[PeriodRow], select_id: str | None) -> None:
        current = select_id if select_id is not None else self.period_box.currentData()  # chosen meanwhile too
        self.periods = {p.id: p for p in periods}
        self.period_box.blockSignals(True)
        self.period_box.clear()
        for p in periods:
            self.period_box.addItem(p.label, p.id)
        self.period_box.addItem("自定义期间（填写起止日期）", "")
        index = self.period_box.findData(current) if current is not None else -1
        if index < 0:
            index = ev.default_period_index(periods, dt.date.today())
        self.period_box.setCurrentIndex(index)
        self.period_box.blockSignals(False)
        self._period_chosen()

    def current_period(self) -> PeriodRow | None:
        pid = self.period_box.currentData()
        return self.periods.get(pid) if pid else None

    def select_period(self, period_id: str) -> tasks.TaskHandle | None:
        """Choose a period (its table is computed on the worker: the task returned)."""
        self.period_box.setCurrentIndex(self.period_box.findData(period_id))
        return self.last_task

    def _period_chosen(self) -> None:
        p = self.current_period()
        for w in (self.date_from, self.date_to, self.compute_button):
            w.setEnabled(p is None)
        if p is not None:
            self.date_from.setText(p.date_from)
            self.date_to.setText(p.date_to)
        self.close_button.setEnabled(p is not None and not p.closed)
        self.reopen_button.setEnabled(p is not None and p.closed)
        self.compute()

    # ------------------------------------------------------------ the table
    def compute(self) -> tasks.TaskHandle:
        """Compute the table of the chosen period (or of the dates typed) on the worker."""
        p, ctx = self.current_period(), self.ctx
        date_from, date_to = self.date_from.text(), self.date_to.text()
        self._asked += 1
        asked = self._asked
        self.info.setText("正在计算…")

        def work(progress: tasks.Progress, cancel: tasks.Cancel) -> Evaluation:
            if p is not None:
                return eval_service.evaluate_period(ctx, p.id, progress=progress, cancel=cancel)
            return eval_service.evaluate(ctx, date_from, date_to, progress=progress, cancel=cancel)

        self.last_task = long_op(self, "正在计算考评表", work, lambda e: self._computed(asked, e),
                                 on_error=lambda exc: self._failed(asked, exc))
        return self.last_task

    def _failed(self, asked: int, exc: BaseException) -> None:
        if asked != self._asked:
            return
        self.model.set_evaluation(None)
        self.evaluation = None
        self.info.setText("")
        if isinstance(exc, CongressError):
            self.warning.set_error(exc.message)
        else:
            ui_errors.show_error(self, exc)

    def _computed(self, asked: int, e: Evaluation) -> None:
        if asked != self._asked:
            return
        self.evaluation = e
        self.model.set_evaluation(e)
        self._fit_columns()
        state = ("本期已关闭" if e.period and e.period.closed else "本期进行中" if e.period else "自定义期间")
        grades = "，".join(f"{k} {n} 名" for k, n in e.grade_counts)
        self.info.setText(f"{e.title}（{e.date_from} 至 {e.date_to}）：{state}，{e.scheme_note}。"
                          f"共 {len(e.rows)} 名代表；{grades}；需要提醒 {len(e.remind)} 名。")
        self.warning.set_error("关闭后记录有变动，得分与关闭时不同：" + "；".join(e.changed_since_close)
                               if e.changed_since_close else "")

    def _fit_columns(self) -> None:
        """Each column as wide as its widest text, between 44 and 150 pixels (measured with the font's
        metrics: ``resizeColumnsToContents`` asked every cell for its size and took tens of ms)."""
        plain, bold = self.table.fontMetrics(), QFontMetrics(self._bold_font())
        pad = 2 * self.table.style().pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin, None, self.table) + 12
        header = self.table.horizontalHeader().fontMetrics()
        for col in range(self.model.columnCount()):
            metrics = bold if col == 3 else plain
            texts = [str(self.model._display(r, col)) for r in self.model.rows]
            wide = max([metrics.horizontalAdvance(t) for t in texts] + [header.horizontalAdvance(
                str(self.model.headerData(col, Qt.Orientation.Horizontal))) + 8])
            self.table.setColumnWidth(col, min(max(wide + pad, 44), 150))

    def _bold_font(self) -> QFont:
        f = QFont(self.table.font())
        f.setBold(True)
        return f

    def cell_clicked(self, index: QModelIndex) -> SourcesDialog | None:
        i = self.model.item_column(index.column())
        if i is None or self.evaluation is None:
            return None
        r = self.model.rows[index.row()]
        return self.show_sources(r.deputy_id, self.evaluation.items[i].source)

    def cell_double_clicked(self, index: QModelIndex) -> tasks.TaskHandle | None:
        if index.column() < len(EvaluationModel.FIXED):
            return self.show_file(self.model.rows[index.row()].deputy_id)
        return None

    def show_sources(self, deputy_id: str, source: str) -> SourcesDialog | None:
        e = self.evaluation
        row = e.row(deputy_id) if e else None
        cell = row.cell(source) if row else None
        if row is None or cell is None or not cell.count:
            return None
        summary = f"{row.name}　{cell.label}：{cell.count} 次，{cell.points} 分"
        if cell.capped:
            summary += f"（按次累计 {cell.raw} 分，已达本项上限）"
        dlg = SourcesDialog(f"{row.name} · {cell.label}", summary, [(cell.label, r) for r in cell.refs],
                            self.open_ref, self)
        self.last_dialog = dlg
        widgets.exec_modal(dlg)
        return dlg

    def show_file(self, deputy_id: str) -> tasks.TaskHandle | None:
        """The deputy's whole duty file of the period, read on the worker, listed like a number's records."""
        e, ctx = self.evaluation, self.ctx
        if e is None:
            return None
        self.last_task = db_op(self, lambda: eval_service.duty_file(ctx, deputy_id, e.date_from, e.date_to),
                               self._show_file, title="正在读取履职档案")
        return self.last_task

    def _show_file(self, f: DutyFile) -> None:
        s = f.score
        summary = f"{f.deputy.name}　{f.period_name}" + (f"：总分 {s.total}，第 {s.rank} 名，{s.grade}" if s else "")
        summary += "　" + "，".join(f"{label} {n}" for _src, label, n in f.counts)
        dlg = SourcesDialog(f"履职档案：{f.deputy.name}", summary, [(x.category, x.ref) for x in f.entries],
                            self.open_ref, self)
        self.last_dialog = dlg
        widgets.exec_modal(dlg)

    def open_ref(self, ref: SourceRef) -> tasks.TaskHandle | None:
        """Open one record in its form; the table is computed again if the form saved."""
        handle = open_source(self, self.ctx, ref, after=self._source_closed)
        if handle is not None:
            self.last_task = handle
        return handle

    def _source_closed(self, dlg: QDialog) -> None:
        if dlg.result() == QDialog.DialogCode.Accepted:
            self.compute()

    def selected_row(self) -> EvaluationRow | None:
        idx = self.table.currentIndex()
        return self.model.rows[idx.row()] if idx.isValid() and idx.row() < len(self.model.rows) else None

    # ------------------------------------------------------------ periods: new, close, reopen
    def new_period(self) -> EvaluationPeriodDialog:
        dlg = EvaluationPeriodDialog(self.ctx, self)
        if widgets.exec_modal(dlg) == QDialog.DialogCode.Accepted and dlg.saved:
            self.reload_periods(dlg.saved.id)
            widgets.show_status(self, f"已新建考评期间“{dlg.saved.name}”")
        return dlg

    def close_period(self) -> tasks.TaskHandle | None:
        """Read the current scheme (the question names it), ask, then close on the worker."""
        p, ctx = self.current_period(), self.ctx
        if p is None or p.closed:
            return None
        self.last_task = db_op(self, lambda: eval_service.current_scheme(ctx),
                               lambda scheme: self._confirm_close(p, scheme))
        return self.last_task

    def _confirm_close(self, p: PeriodRow, scheme: SchemeRow) -> None:
        if not widgets.ask_yes_no(self, "关闭考评期间",
                                  f"关闭“{p.name}”？\n\n关闭后本期固定按考评办法{scheme.label}计算，以后修改考评办法"
                                  "不影响本期；本期日期内的履职记录和培训将不能再新增、修改或删除（可重新打开）。"):
            return
        ctx = self.ctx

        def closed(_row: PeriodRow) -> None:
            self.reload_periods(p.id)
            widgets.show_status(self, f"已关闭“{p.name}”")

        self.last_task = db_op(self, lambda: eval_service.close_period(ctx, p.id), closed, title="正在关闭期间")

    def reopen_period(self) -> tasks.TaskHandle | None:
        p, ctx = self.current_period(), self.ctx
        if p is None or not p.closed:
            return None
        if not widgets.ask_yes_no(self, "重新打开考评期间",
                                  f"重新打开“{p.name}”以更正记录？本期仍按关闭时的考评办法第 {p.scheme_number} 版计算。"):
            return None
        self.last_task = db_op(self, lambda: eval_service.reopen_period(ctx, p.id),
                               lambda _row: self.reload_periods(p.id), title="正在重新打开期间")
        return self.last_task

    # ------------------------------------------------------------ paper and spreadsheet
    def print_notice(self) -> tasks.TaskHandle | None:
        e = self.evaluation
        if e is None:
            return None
        out = common.printout_path(self.ctx, f"履职情况通报-{e.title}")
        ctx, period_id = self.ctx, e.period.id if e.period else None

        def work(progress: tasks.Progress, cancel: tasks.Cancel) -> Any:
            return report_service.print_duty_notice(ctx, out, e.date_from, e.date_to, period_id=period_id,
                                                    progress=progress, cancel=cancel)

        self.last_task = print_op(self, "正在生成履职情况通报", out, work)
        return self.last_task

    def print_file(self) -> tasks.TaskHandle | None:
        e, r = self.evaluation, self.selected_row()
        if e is None or r is None:
            widgets.show_status(self, "请先在表中选中一位代表")
            return None
        out = common.printout_path(self.ctx, f"履职档案-{r.name}-{e.title}")
        ctx = self.ctx

        def work(progress: tasks.Progress, cancel: tasks.Cancel) -> Any:
            return report_service.print_duty_file(ctx, r.deputy_id, e.date_from, e.date_to, out, progress=progress,
                                                  cancel=cancel)

        self.last_task = print_op(self, "正在生成履职档案", out, work)
        return self.last_task

    def export_xlsx(self) -> tasks.TaskHandle | None:
        e = self.evaluation
        if e is None:
            return None
        path = common.ask_save_file(self, "导出考评表", f"履职考评-{e.title}.xlsx", common.XLSX_FILTER)
        if not path:
            return None
        out = common.with_suffix(path, ".xlsx")
        ctx = self.ctx
        self.last_task = long_op(
            self, "正在导出考评表",
            lambda progress, cancel: report_service.export_evaluation(ctx, e, out, progress=progress, cancel=cancel),
            lambda n: widgets.show_status(self, f"已导出 {n} 名代表到 {out}"))
        return self.last_task
