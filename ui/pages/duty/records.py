"""The 履职记录 and 培训 tabs: the lists read on the database worker (正在加载… until they are back),
new / edit / delete through the forms of dialogs.py."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from congress_desktop.core.context import Context
from congress_desktop.core.errors import CongressError
from congress_desktop.duty import records as duty_service
from congress_desktop.duty import rules as ev
from congress_desktop.duty.rows import RecordQuery, RecordRow, SourceRef, TrainingRow
from ui import errors as ui_errors
from ui import tasks, widgets
from ui.models import RowListModel
from ui.operations import db_op
from ui.pages.duty.dialogs import RecordDialog, SessionDialog, TrainingDialog, open_source
from ui.pages.duty.parts import LOADING, date_edit, table

RECORD_LIMIT = 2000


class RecordModel(RowListModel):
    columns = (
        ("日期", lambda r: r.record_date),
        ("代表", lambda r: r.deputy_name),
        ("类型", lambda r: r.kind_label),
        ("事项", lambda r: r.title),
        ("单项分值", lambda r: r.points),
        ("情况说明", lambda r: r.detail),
    )


class RecordsTab(QWidget):
    changed = Signal()

    def __init__(self, ctx: Context, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.last_task: tasks.TaskHandle | None = None
        self._asked = 0  # which reload the list waits for (an older answer is dropped)
        self.search = QLineEdit()
        self.search.setPlaceholderText("搜索：代表姓名、拼音首字母、事项…")
        self.search.setClearButtonEnabled(True)
        self.kind = QComboBox()
        self.kind.addItem("全部类型", "")
        for k in ev.RECORD_KINDS:
            self.kind.addItem(k, k)
        self.date_from = date_edit("起始日期")
        self.date_to = date_edit("截止日期")
        self.count = QLabel(LOADING)
        self.error = widgets.FieldError()
        for w in (self.search, self.date_from, self.date_to):
            w.returnPressed.connect(self.reload)
        self.search.textChanged.connect(self.reload)
        self.kind.currentIndexChanged.connect(self.reload)
        self.model = RecordModel()
        self.table = table(QTableView())
        self.table.setObjectName("recordTable")
        self.table.setModel(self.model)
        self.table.doubleClicked.connect(lambda _i: self.edit_record())
        for col, w in enumerate((95, 80, 110, 320, 70)):
            self.table.setColumnWidth(col, w)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 6, 0, 0)
        lay.addLayout(self._buttons())
        lay.addLayout(self._filters())
        lay.addWidget(self.error)
        lay.addWidget(self.table, 1)
        self.reload()

    def _buttons(self) -> QHBoxLayout:
        row = QHBoxLayout()
        for text, slot in (("新增记录…", self.new_record), ("登记人代会出席…", self.new_session),
                           ("编辑…", self.edit_record), ("删除", self.delete_record)):
            b = QPushButton(text)
            b.clicked.connect(lambda _c=False, s=slot: s())
            row.addWidget(b)
        row.addStretch(1)
        return row

    def _filters(self) -> QHBoxLayout:
        row = QHBoxLayout()
        row.addWidget(self.search, 3)
        row.addWidget(self.kind, 1)
        row.addWidget(QLabel("日期"))
        row.addWidget(self.date_from)
        row.addWidget(QLabel("至"))
        row.addWidget(self.date_to)
        row.addWidget(self.count)
        return row

    def reload(self) -> tasks.TaskHandle:
        q = RecordQuery(kind=self.kind.currentData() or "", date_from=self.date_from.text().strip(),
                        date_to=self.date_to.text().strip(), text=self.search.text())
        ctx = self.ctx
        self._asked += 1
        asked = self._asked
        self.count.setText(LOADING)
        self.last_task = db_op(self, lambda: duty_service.query_records(ctx, q, 0, RECORD_LIMIT),
                               lambda rows: self._show(asked, rows), title="正在查找履职记录",
                               on_error=lambda exc: self._failed(asked, exc))
        return self.last_task

    def _show(self, asked: int, rows: list[RecordRow]) -> None:
        if asked != self._asked:
            return
        self.error.set_error("")
        self.model.set_rows(rows)
        more = "（显示前 2000 条）" if len(rows) == RECORD_LIMIT else ""
        self.count.setText(f"共 {len(rows)} 条{more}")

    def _failed(self, asked: int, exc: BaseException) -> None:
        if asked != self._asked:
            return
        self.count.setText("")
        if isinstance(exc, CongressError):
            self.error.set_error(exc.message)
        else:
            ui_errors.show_error(self, exc)

    def selected(self) -> RecordRow | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.row(rows[0].row()) if rows else None

    def _after(self, dlg: QDialog, message: str) -> None:
        if dlg.result() == QDialog.DialogCode.Accepted:
            self.reload()
            self.changed.emit()
            widgets.show_status(self, message)

    def new_record(self) -> RecordDialog:
        dlg = RecordDialog(self.ctx, None, self)
        widgets.exec_modal(dlg)
        self._after(dlg, "已登记履职记录")
        return dlg

    def new_session(self) -> SessionDialog:
        dlg = SessionDialog(self.ctx, None, self)
        widgets.exec_modal(dlg)
        self._after(dlg, "已登记人代会出席情况")
        return dlg

    def edit_record(self) -> tasks.TaskHandle | None:
        """The selected record in its form (a congress session's record: the session's roll call)."""
        r = self.selected()
        if r is None:
            return None
        self.last_task = open_source(self, self.ctx, SourceRef("duty", r.id, r.record_date, r.title),
                                     after=lambda dlg: self._after(dlg, "已保存"))
        return self.last_task

    def delete_record(self) -> tasks.TaskHandle | None:
        r, ctx = self.selected(), self.ctx
        if r is None:
            return None
        if not widgets.ask_yes_no(self, "删除履职记录", f"删除 {r.record_date} {r.deputy_name} 的“{r.title}”？"):
            return None
        self.last_task = db_op(self, lambda: duty_service.delete_record(ctx, r.id), lambda _none: self._deleted(),
                               title="正在删除")
        return self.last_task

    def _deleted(self) -> None:
        self.reload()
        self.changed.emit()


class TrainingModel(RowListModel):
    columns = (
        ("日期", lambda t: t.held_on),
        ("类型", lambda t: t.kind),
        ("培训主题", lambda t: t.topic),
        ("参加代表", lambda t: t.attendee_count),
        ("组织单位", lambda t: t.organiser),
        ("地点", lambda t: t.place),
    )


class TrainingTab(QWidget):
    changed = Signal()

    def __init__(self, ctx: Context, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.last_task: tasks.TaskHandle | None = None
        self.model = TrainingModel()
        self.table = table(QTableView())
        self.table.setObjectName("trainingTable")
        self.table.setModel(self.model)
        self.table.doubleClicked.connect(lambda _i: self.edit_training())
        for col, w in enumerate((95, 100, 320, 70, 160)):
            self.table.setColumnWidth(col, w)
        self.count = QLabel(LOADING)
        buttons = QHBoxLayout()
        for text, slot in (("新增培训…", self.new_training), ("编辑…", self.edit_training),
                           ("删除", self.delete_training)):
            b = QPushButton(text)
            b.clicked.connect(lambda _c=False, s=slot: s())
            buttons.addWidget(b)
        buttons.addStretch(1)
        buttons.addWidget(self.count)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 6, 0, 0)
        lay.addLayout(buttons)
        lay.addWidget(self.table, 1)
        self.reload()

    def reload(self) -> tasks.TaskHandle:
        ctx = self.ctx
        self.count.setText(LOADING)
        self.last_task = db_op(self, lambda: duty_service.list_trainings(ctx), self._show, title="正在加载培训")
        return self.last_task

    def _show(self, rows: list[TrainingRow]) -> None:
        self.model.set_rows(rows)
        self.count.setText(f"共 {len(rows)} 次")

    def selected(self) -> TrainingRow | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.row(rows[0].row()) if rows else None

    def _open(self, dlg: TrainingDialog) -> TrainingDialog:
        if widgets.exec_modal(dlg) == QDialog.DialogCode.Accepted:
            self.reload()
            self.changed.emit()
        return dlg

    def new_training(self) -> TrainingDialog:
        return self._open(TrainingDialog(self.ctx, None, self))

    def edit_training(self) -> TrainingDialog | None:
        t = self.selected()
        if t is None:
            return None
        return self._open(TrainingDialog(self.ctx, t, self))

    def delete_training(self) -> tasks.TaskHandle | None:
        t, ctx = self.selected(), self.ctx
        if t is None or not widgets.ask_yes_no(self, "删除培训", f"删除 {t.held_on}“{t.topic}”及其参加名单？"):
            return None
        self.last_task = db_op(self, lambda: duty_service.delete_training(ctx, t.id), lambda _none: self._deleted(),
                               title="正在删除")
        return self.last_task

    def _deleted(self) -> None:
        self.reload()
        self.changed.emit()
