"""会议与点名 tab of the 票决 page: the settings (editable until voting starts), the roll call, 开始投票.
Every read and change runs on the database worker and returns the session (and the roll) as it then stands."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QTableWidget,
    QVBoxLayout,
    QWidget,
)

from congress_desktop.core.context import Context
from congress_desktop.votes import service as vote_service
from congress_desktop.votes import tally as dv
from congress_desktop.votes.rows import AttendanceRow, ProjectRow, SessionRow
from ui import errors as ui_errors
from ui import tasks, widgets
from ui.forms import ErrorMap, field_box
from ui.operations import db_op
from ui.pages.votes.common import VOID_FILL, VOID_INK, WARN_FILL, item_cell

ATTENDANCE_KEYS = {Qt.Key.Key_1: "出席", Qt.Key.Key_2: "请假", Qt.Key.Key_3: "缺席"}
Roll = tuple[SessionRow, list[AttendanceRow]]


def offered_projects(ctx: Context, kind: str) -> list[ProjectRow]:
    """What a new session offers as its items (runs on the worker): 正式候选 for a 票决, 完成/实施中 for a 测评."""
    states = ["正式候选"] if kind == dv.PROJECT_VOTE else ["完成", "实施中"]
    return vote_service.list_projects(ctx, states=states)


def with_roll(ctx: Context, session: SessionRow) -> Roll:
    """The session and its roll call (runs on the worker)."""
    return session, vote_service.attendance(ctx, session.id)


# ------------------------------------------------------------------ session settings


class _AddLine(QLineEdit):
    """Enter adds the typed item and stops there (it must not press the dialog's default button)."""

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt's name)
        super().keyPressEvent(event)
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            event.accept()


class SessionForm(QWidget):
    """Meeting, date, N, the items on the ballot (in order), the rules with their defaults, officers."""

    def __init__(self, kind: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.kind = kind
        self.title = QLineEdit()
        self.title.setPlaceholderText("如：六里坪镇第十九届人民代表大会第五次会议")
        self.date = QLineEdit(dt.date.today().isoformat())
        self.seats = QSpinBox()
        self.seats.setRange(1, 200)
        self.seats.setValue(8)
        self.items = QListWidget()
        self.items.setMinimumHeight(160)
        self.new_item = _AddLine()
        self.new_item.setPlaceholderText("测评对象（单位、项目或专题）名称，回车添加" if kind == dv.SATISFACTION
                                         else "不在候选项目中的项目名称，回车添加")
        self.new_item.returnPressed.connect(self.add_typed)
        self.rule_boxes: dict[str, QComboBox] = {}
        keys = ("blank", "empty_ballot") if kind == dv.SATISFACTION else tuple(dv.RULE_CHOICES)
        defaults = dv.Rules()
        for key in keys:
            box = QComboBox()
            for choice, label in dv.RULE_CHOICES[key].items():
                box.addItem(label + ("（默认）" if getattr(defaults, key) == choice else ""), choice)
            self.rule_boxes[key] = box
        self.recheck_below = QLineEdit("60%")
        self.unsatisfied_above = QLineEdit("1/3")
        self.chair = QLineEdit()
        self.chief = QLineEdit()
        self.scrutineers = QLineEdit()
        self.scrutineers.setPlaceholderText("多人用顿号隔开")
        self.tellers = QLineEdit()
        self.tellers.setPlaceholderText("多人用顿号隔开")
        self.error_map = ErrorMap()
        self.errors = {k: self.error_map.add(k) for k in ("title", "date", "seats", "items", "rules")}

        up = QPushButton("上移")
        up.clicked.connect(lambda: self._move(-1))
        down = QPushButton("下移")
        down.clicked.connect(lambda: self._move(1))
        remove = QPushButton("移除")
        remove.clicked.connect(self._remove)
        item_buttons = QHBoxLayout()
        item_buttons.addWidget(self.new_item, 1)
        for b in (up, down, remove):
            item_buttons.addWidget(b)
        items_box = QWidget()
        ib = QVBoxLayout(items_box)
        ib.setContentsMargins(0, 0, 0, 0)
        ib.addWidget(QLabel("勾选列入选票的" + ("测评对象" if kind == dv.SATISFACTION else "候选项目")
                            + "，顺序即选票上的顺序："))
        ib.addWidget(self.items)
        ib.addLayout(item_buttons)
        ib.addWidget(self.errors["items"])

        form = QFormLayout(self)
        form.addRow(self.error_map.general)
        form.addRow("会议名称", self._with_error(self.title, "title"))
        form.addRow("日期", self._with_error(self.date, "date"))
        if kind == dv.PROJECT_VOTE:
            form.addRow("应确定项目数（N）", self._with_error(self.seats, "seats"))
        form.addRow(items_box)
        for key, box in self.rule_boxes.items():
            form.addRow(dv.RULE_LABELS[key], box)
        if kind == dv.SATISFACTION:
            form.addRow(dv.RULE_LABELS["recheck_below"], self.recheck_below)
            form.addRow(dv.RULE_LABELS["unsatisfied_above"], self.unsatisfied_above)
        form.addRow("", self.errors["rules"])
        form.addRow("执行主席", self.chair)
        form.addRow("总监票人", self.chief)
        form.addRow("监票人", self.scrutineers)
        form.addRow("计票人", self.tellers)

    def _with_error(self, w: QWidget, key: str) -> QWidget:
        self.error_map.focus[key] = w
        return field_box(w, self.errors[key])

    def fill_projects(self, rows: list[ProjectRow]) -> None:
        """Candidates of the newest year checked (票决), or finished projects offered (测评), read by the
        caller from ``offered_projects``; put before the items typed meanwhile."""
        if self.kind == dv.PROJECT_VOTE:
            newest = max((p.year for p in rows), default=0)
            offered = [(f"{p.name}（{p.year}）", p, p.year == newest)
                       for p in sorted(rows, key=lambda p: (-p.year, p.ballot_order))]
        else:
            offered = [(f"{p.name}（{p.year}，{p.state}）", p, False) for p in rows]
        for n, (text, p, checked) in enumerate(offered):
            self.items.insertItem(n, self._item(text, {"project_id": p.id}, checked))

    def _add_item(self, text: str, data: dict, checked: bool) -> QListWidgetItem:
        it = self._item(text, data, checked)
        self.items.addItem(it)
        return it

    @staticmethod
    def _item(text: str, data: dict, checked: bool) -> QListWidgetItem:
        it = QListWidgetItem(text)
        it.setData(Qt.ItemDataRole.UserRole, data)
        it.setFlags(it.flags() | Qt.ItemFlag.ItemIsUserCheckable)
        it.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)
        return it

    def add_typed(self) -> None:
        name = self.new_item.text().strip()
        if name:
            self._add_item(name, {"name": name}, True)
            self.new_item.clear()

    def add_names(self, names: list[str]) -> None:
        for n in names:
            self._add_item(n, {"name": n}, True)

    def _move(self, delta: int) -> None:
        r = self.items.currentRow()
        j = r + delta
        if r < 0 or not 0 <= j < self.items.count():
            return
        it = self.items.takeItem(r)
        self.items.insertItem(j, it)
        self.items.setCurrentRow(j)

    def _remove(self) -> None:
        r = self.items.currentRow()
        if r >= 0:
            self.items.takeItem(r)

    def raw(self) -> dict:
        items = []
        for i in range(self.items.count()):
            it = self.items.item(i)
            if it.checkState() == Qt.CheckState.Checked:
                items.append(it.data(Qt.ItemDataRole.UserRole))
        rules = {k: box.currentData() for k, box in self.rule_boxes.items()}
        if self.kind == dv.SATISFACTION:
            rules.update(recheck_below=self.recheck_below.text().strip() or "60%",
                         unsatisfied_above=self.unsatisfied_above.text().strip() or "1/3")
        return {"kind": self.kind, "title": self.title.text(), "date": self.date.text(),
                "seats": self.seats.value() if self.kind == dv.PROJECT_VOTE else 0, "items": items,
                "rules": rules, "chair": self.chair.text(), "chief_scrutineer": self.chief.text(),
                "scrutineers": self.scrutineers.text(), "tellers": self.tellers.text()}

    def load(self, s: SessionRow) -> None:
        self.title.setText(s.title)
        self.date.setText(s.date)
        self.seats.setValue(max(1, s.seats))
        self.items.clear()
        for it in s.items:
            data = {"project_id": it.project_id} if it.project_id else {"name": it.name}
            self._add_item(it.name, data, True)
        for key, box in self.rule_boxes.items():
            box.setCurrentIndex(max(0, box.findData(getattr(s.rules, key))))
        self.recheck_below.setText(dv.fraction_text(s.rules.recheck_below))
        self.unsatisfied_above.setText(dv.fraction_text(s.rules.unsatisfied_above))
        self.chair.setText(s.chair)
        self.chief.setText(s.chief_scrutineer)
        self.scrutineers.setText("、".join(s.scrutineers))
        self.tellers.setText("、".join(s.tellers))

    def lock_voting_fields(self, locked: bool) -> None:
        for w in (self.title, self.date, self.seats, self.items, self.new_item, self.recheck_below,
                  self.unsatisfied_above, *self.rule_boxes.values()):
            w.setEnabled(not locked)

    def show_errors(self, e: BaseException) -> bool:
        """A core error under its field (ErrorMap); False when it is not one."""
        return self.error_map.show_exception(e)

    def clear_errors(self) -> None:
        self.error_map.clear()


class NewSessionDialog(QDialog):
    """新建票决/测评: the projects offered are read on the worker; 建立 saves there (``save_task``)."""

    def __init__(self, ctx: Context, kind: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.created: SessionRow | None = None
        self.save_task: tasks.TaskHandle | None = None
        self.setWindowTitle("新建" + ("民生实事项目票决" if kind == dv.PROJECT_VOTE else "满意度测评"))
        self.form = SessionForm(kind)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.form)
        note = QLabel("建立时自动读取全体代表名单（在任的乡镇人大代表；暂停、终止执行代表职务的不计入），"
                      "之后在“会议与点名”中标记请假、缺席。")
        note.setWordWrap(True)
        note.setObjectName("muted")
        buttons, _ = widgets.ok_cancel_buttons(self, "建立", self.save)
        lay = QVBoxLayout(self)
        lay.addWidget(scroll, 1)
        lay.addWidget(note)
        lay.addWidget(buttons)
        self.resize(680, 720)
        self.load_task = db_op(self, lambda: offered_projects(ctx, kind), self.form.fill_projects,
                               title="正在读取候选项目")

    def save(self) -> tasks.TaskHandle:
        self.form.clear_errors()
        ctx, raw = self.ctx, self.form.raw()

        def done(created: SessionRow) -> None:
            self.created = created
            self.accept()

        def failed(exc: BaseException) -> None:
            if not self.form.show_errors(exc):
                ui_errors.show_error(self, exc)

        self.save_task = db_op(self, lambda: vote_service.create_session(ctx, raw), done, title="正在建立",
                               on_error=failed)
        return self.save_task

    def save_and_wait(self) -> bool:
        """For tests: 建立 and wait for the worker; True when it was created."""
        return self.save().wait() and self.created is not None


class AttendanceTable(QTableWidget):
    """The roster snapshot; select deputies and press 1 出席, 2 请假, 3 缺席."""

    marked = Signal(list, str)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(0, 3, parent)
        self.setHorizontalHeaderLabels(["序号", "姓名", "出席情况"])
        self.verticalHeader().setVisible(False)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.horizontalHeader().setStretchLastSection(True)
        self.rows: list[AttendanceRow] = []

    def set_rows(self, rows: list[AttendanceRow]) -> None:
        self.rows = rows
        self.setRowCount(len(rows))
        for r, a in enumerate(rows):
            for c, v in enumerate((a.position, a.name, a.status)):
                it = item_cell(v)
                if a.status == "请假":
                    it.setBackground(WARN_FILL)
                elif a.status == "缺席":
                    it.setBackground(VOID_FILL)
                self.setItem(r, c, it)

    def selected_ids(self) -> list[str]:
        return [self.rows[i.row()].deputy_id for i in self.selectionModel().selectedRows()]

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt's name)
        status = ATTENDANCE_KEYS.get(Qt.Key(event.key()))
        if status and self.selected_ids():
            self.marked.emit(self.selected_ids(), status)
            return
        super().keyPressEvent(event)


class SetupTab(QWidget):
    """会议与点名: the settings (editable until voting starts), the roll call and 开始投票."""

    changed = Signal(object)  # the SessionRow after a change made here

    def __init__(self, ctx: Context, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.session: SessionRow | None = None
        self.form: SessionForm | None = None
        self.last_task: tasks.TaskHandle | None = None
        self.form_holder = QVBoxLayout()
        self.save_button = QPushButton("保存设置")
        self.save_button.clicked.connect(self.save)
        self.refresh_roster_button = QPushButton("重新读取代表名单")
        self.refresh_roster_button.clicked.connect(self.refresh_roster)
        self.table = AttendanceTable()
        self.table.marked.connect(self.mark)
        self.counts = QLabel()
        self.counts.setObjectName("attendanceCounts")
        self.counts.setWordWrap(True)
        self.quorum = QLabel()
        self.quorum.setObjectName("quorumLabel")
        self.quorum.setWordWrap(True)
        self.mode = QComboBox()
        for key, label in vote_service.MODES.items():
            self.mode.addItem(label, key)
        self.open_button = QPushButton("开始投票")
        self.open_button.setObjectName("openVoteButton")
        self.open_button.clicked.connect(self.open_vote)
        lay = QHBoxLayout(self)
        lay.addWidget(self._left(), 3)
        lay.addWidget(self._right(), 2)

    def _left(self) -> QWidget:
        left = QWidget()
        ll = QVBoxLayout(left)
        ll.setContentsMargins(0, 0, 0, 0)
        ll.addLayout(self.form_holder)
        row = QHBoxLayout()
        row.addWidget(self.save_button)
        row.addWidget(self.refresh_roster_button)
        row.addStretch(1)
        ll.addLayout(row)
        ll.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(left)
        return scroll

    def _right(self) -> QWidget:
        mark_row = QHBoxLayout()
        for status in vote_service.ROLL_CALL:
            b = QPushButton(f"{status}（{list(ATTENDANCE_KEYS.values()).index(status) + 1}）")
            b.clicked.connect(lambda _c=False, s=status: self.mark(self.table.selected_ids(), s))
            mark_row.addWidget(b)
        open_row = QHBoxLayout()
        open_row.addWidget(QLabel("录入方式"))
        open_row.addWidget(self.mode, 1)
        open_row.addWidget(self.open_button)
        right = QGroupBox("点名（选中代表后按 1 出席、2 请假、3 缺席，可多选）")
        rl = QVBoxLayout(right)
        rl.addWidget(self.table, 1)
        rl.addLayout(mark_row)
        rl.addWidget(self.counts)
        rl.addWidget(self.quorum)
        rl.addLayout(open_row)
        return right

    def set_session(self, session: SessionRow | None) -> None:
        """Show the session's settings at once and its roll call when the worker has read it."""
        self._show_form(session)
        if session is not None:
            self.counts.setText("正在加载…")
            ctx = self.ctx
            self.last_task = db_op(self, lambda: with_roll(ctx, session), self._show_roll,
                                   title="正在读取点名")

    def _show_form(self, session: SessionRow | None) -> None:
        self.session = session
        if self.form is not None:
            self.form.setParent(None)
            self.form.deleteLater()
            self.form = None
        if session is None:
            self.table.set_rows([])
            self.counts.setText("请先新建一次票决或测评。")
            self.quorum.setText("")
            self.open_button.setEnabled(False)
            self.save_button.setEnabled(False)
            return
        self.form = SessionForm(session.kind)
        self.form.load(session)
        self.form.lock_voting_fields(session.opened)
        self.form_holder.addWidget(self.form)
        self.save_button.setEnabled(True)
        self.refresh_roster_button.setEnabled(not session.opened)

    def _show_roll(self, roll: Roll) -> None:
        self.session, rows = roll
        self.table.set_rows(rows)
        self._show_counts()

    def _show_counts(self) -> None:
        s = self.session
        if s is None:
            return
        self.counts.setText(f"全体代表 {s.all_deputies} 名　应到 {s.all_deputies} 名　实到 {s.present} 名　"
                            f"请假 {s.on_leave} 名　缺席 {s.absent} 名")
        self.quorum.setText(vote_service.quorum_message(s.all_deputies, s.present))
        self.quorum.setStyleSheet("color: #1e7d32;" if s.quorum_met else f"color: {VOID_INK}; font-weight: bold;")
        current = s.current_round
        self.open_button.setEnabled(not s.opened)
        self.open_button.setText("开始投票" if current is None else f"已开始（{current.label}）")
        self.mode.setEnabled(not s.opened)

    def _changed(self, roll: Roll, *, rebuild: bool = True, status: str = "") -> None:
        if rebuild:
            self._show_form(roll[0])
        self._show_roll(roll)
        if status:
            widgets.show_status(self, status)
        self.changed.emit(roll[0])

    def mark(self, ids: list[str], status: str) -> None:
        if self.session is None or not ids:
            return
        rows = self.table.selectionModel().selectedRows()
        nxt = min(max(r.row() for r in rows) + 1, self.table.rowCount() - 1) if rows else -1
        ctx, sid = self.ctx, self.session.id

        def done(roll: Roll) -> None:
            self._changed(roll, rebuild=False)
            if nxt >= 0:  # keep the cursor moving down the list, as on paper
                self.table.selectRow(nxt)

        self.last_task = db_op(self, lambda: with_roll(ctx, vote_service.set_attendance(
            ctx, sid, {i: status for i in ids})), done, title="正在点名")

    def save(self) -> None:
        if self.session is None or self.form is None:
            return
        self.form.clear_errors()
        ctx, sid, raw, form = self.ctx, self.session.id, self.form.raw(), self.form

        def failed(exc: BaseException) -> None:
            if not form.show_errors(exc):
                ui_errors.show_error(self, exc)

        self.last_task = db_op(self, lambda: with_roll(ctx, vote_service.update_session(ctx, sid, raw)),
                               lambda roll: self._changed(roll, status="设置已保存"), title="正在保存",
                               on_error=failed)

    def refresh_roster(self) -> None:
        if self.session is None:
            return
        ctx, sid = self.ctx, self.session.id
        self.last_task = db_op(self, lambda: with_roll(ctx, vote_service.refresh_roster(ctx, sid)), self._changed,
                               title="正在读取代表名单")

    def open_vote(self) -> None:
        """Refused below the 2/3 quorum with the reason (the service decides; the label warns first)."""
        if self.session is None:
            return
        ctx, sid, mode = self.ctx, self.session.id, self.mode.currentData()

        def work() -> Roll:
            vote_service.open_vote(ctx, sid, mode)
            return with_roll(ctx, vote_service.get_session(ctx, sid))

        self.last_task = db_op(self, work, lambda roll: self._changed(
            roll, status="已开始第 1 轮投票：请到“打印”页印制选票，到“计票”页登记和录入"), title="正在开始投票")
