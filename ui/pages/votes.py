"""票决 page: 民生实事项目人大代表票决 and 满意度测评, from the candidate list to the signed result.

Tabs: 候选项目 (projects, import, ballot order) · 会议与点名 (settings, officers, rules, roll call,
quorum, 开始投票) · 打印 (出席情况报告单, ballots, 分发/收回报告单, blank 计票单) · 计票 (see
``vote_entry``) · 结果 (count, announce and lock, re-vote, result report, 公告, .xlsx, case file,
log check).

Seams for tests: ``ask_open_file``, ``ask_save_file`` and ``open_file`` (file dialogs, the PDF
viewer); modal dialogs go through ``ui.widgets.exec_modal``."""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor, QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QTableWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from congress_desktop.core.context import Context
from congress_desktop.core.errors import CongressError, FieldErrors
from congress_desktop.core.importing import ImportResult
from congress_desktop.votes import casefile as vote_casefile
from congress_desktop.votes import importing as vote_importing
from congress_desktop.votes import printing as vote_printing
from congress_desktop.votes import service as vote_service
from congress_desktop.votes import tally as dv
from ui import errors as ui_errors
from ui import tasks, widgets
from ui.files import ask_open_file, ask_save_file, info, printout_path
from ui.operations import print_op
from ui.pages.import_dialog import ImportErrorsDialog
from ui.pages.vote_entry import VOID_FILL, VOID_INK, WARN_FILL, CountTab, _item, _table

log = logging.getLogger(__name__)

IMPORT_FILTER = "表格文件 (*.xlsx *.csv);;Excel 表格 (*.xlsx);;CSV 文件 (*.csv)"
XLSX_FILTER = "Excel 表格 (*.xlsx)"
JSON_FILTER = "案卷文件 (*.json)"
ATTENDANCE_KEYS = {Qt.Key.Key_1: "出席", Qt.Key.Key_2: "请假", Qt.Key.Key_3: "缺席"}


# ------------------------------------------------------------------ small helpers
def _error_label() -> widgets.FieldError:
    return widgets.FieldError()


# ------------------------------------------------------------------ candidate projects


PROJECT_COLUMNS = [("年度", "year"), ("选票顺序", "ballot_order"), ("编号", "number"), ("项目名称", "name"),
                   ("类别", "category"), ("实施地点", "place_name"), ("总投资（万元）", "investment"),
                   ("实施单位", "unit"), ("完成时限", "deadline"), ("状态", "state")]


class ProjectDialog(QDialog):
    """新增/编辑候选项目 (every field of VOTES.md)."""

    FIELDS = [("year", "年度"), ("number", "编号"), ("name", "项目名称"), ("category", "类别"),
              ("content", "建设内容及目标"), ("place", "实施地点（村/社区）"), ("investment", "总投资（万元）"),
              ("funding", "资金来源"), ("unit", "实施单位"), ("person", "责任人"), ("deadline", "完成时限"),
              ("beneficiaries", "受益群众"), ("source", "项目来源"), ("ballot_order", "选票顺序"),
              ("state", "状态"), ("note", "备注")]

    def __init__(self, ctx: Context, project: vote_service.ProjectRow | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.project = project
        self.saved: vote_service.ProjectRow | None = None
        self.setWindowTitle("编辑候选项目" if project else "新增候选项目")
        self.inputs: dict[str, QWidget] = {}
        self.errors: dict[str, widgets.FieldError] = {}
        form = QFormLayout()
        for key, label in self.FIELDS:
            if key == "category":
                w = QComboBox()
                w.setEditable(True)
                w.addItems(["", *vote_service.CATEGORIES])
            elif key == "state":
                w = QComboBox()
                w.addItems(list(vote_service.PROJECT_STATES))
            elif key in ("content", "note"):
                w = QPlainTextEdit()
                w.setFixedHeight(60)
            else:
                w = QLineEdit()
            self.inputs[key] = w
            self.errors[key] = _error_label()
            box = QWidget()
            b = QVBoxLayout(box)
            b.setContentsMargins(0, 0, 0, 0)
            b.setSpacing(1)
            b.addWidget(w)
            b.addWidget(self.errors[key])
            form.addRow(label, box)
        values = {"year": str(dt.date.today().year), "state": "正式候选"}
        if project:
            values = {k: getattr(project, k, "") for k, _ in self.FIELDS if k != "place"}
            values["place"] = project.place_name or project.place_code
        for key, value in values.items():
            self._set(key, "" if value is None else str(value))
        buttons, _ = widgets.ok_cancel_buttons(self, "保存", self.save)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        inner = QWidget()
        inner.setLayout(form)
        scroll.setWidget(inner)
        lay = QVBoxLayout(self)
        lay.addWidget(scroll)
        lay.addWidget(buttons)
        self.resize(560, 640)

    def _set(self, key: str, value: str) -> None:
        w = self.inputs[key]
        if isinstance(w, QComboBox):
            w.setCurrentText(value)
        elif isinstance(w, QPlainTextEdit):
            w.setPlainText(value)
        else:
            w.setText(value)

    def values(self) -> dict[str, str]:
        out = {}
        for key, w in self.inputs.items():
            if isinstance(w, QComboBox):
                out[key] = w.currentText()
            elif isinstance(w, QPlainTextEdit):
                out[key] = w.toPlainText()
            else:
                out[key] = w.text()
        return out

    def save(self) -> bool:
        for e in self.errors.values():
            e.set_error("")
        try:
            self.saved = vote_service.save_project(self.ctx, self.values(), self.project.id if self.project else None)
        except FieldErrors as e:
            for key, msg in e.errors.items():
                (self.errors.get(key) or self.errors["name"]).set_error(msg)
            return False
        except CongressError as e:
            ui_errors.show_error(self, e)
            return False
        self.accept()
        return True


class ProjectsTab(QWidget):
    changed = Signal()

    def __init__(self, ctx: Context, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.rows: list[vote_service.ProjectRow] = []
        self.last_task = None
        self.year = QComboBox()
        self.year.currentIndexChanged.connect(lambda _i: self.reload())
        self.table = _table([c[0] for c in PROJECT_COLUMNS])
        self.table.horizontalHeader().setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.table.horizontalHeader().setStretchLastSection(False)
        self.table.itemDoubleClicked.connect(lambda _i: self.edit())
        self.state = QComboBox()
        self.state.addItems(list(vote_service.PROJECT_STATES))
        bar = QHBoxLayout()
        bar.addWidget(QLabel("年度"))
        bar.addWidget(self.year)
        for text, slot in (("新增…", self.add), ("编辑…", self.edit), ("上移", lambda: self.move(-1)),
                           ("下移", lambda: self.move(1)), ("导入…", self.import_file), ("删除", self.delete)):
            b = QPushButton(text)
            b.clicked.connect(slot)
            bar.addWidget(b)
        bar.addStretch(1)
        bar.addWidget(QLabel("状态改为"))
        bar.addWidget(self.state)
        set_state = QPushButton("设置")
        set_state.clicked.connect(self.set_state)
        bar.addWidget(set_state)
        note = QLabel("项目生命周期：征集 → 筛选论证 → 正式候选 → 票决 → 确定/未确定 → 实施中 → 完成 → 测评。"
                      "“选票顺序”即项目在选票上的次序；公布票决结果时，列入票决的项目自动改为“确定”或“未确定”。"
                      "导入的表格需有“项目名称”列，可含年度、类别、建设内容、实施地点、总投资、实施单位、完成时限等。")
        note.setWordWrap(True)
        note.setObjectName("muted")
        lay = QVBoxLayout(self)
        lay.addLayout(bar)
        lay.addWidget(self.table, 1)
        lay.addWidget(note)

    def reload(self) -> None:
        year = self.year.currentData()
        all_rows = vote_service.list_projects(self.ctx)
        years = sorted({p.year for p in all_rows}, reverse=True)
        self.year.blockSignals(True)
        current = year
        self.year.clear()
        self.year.addItem("全部", 0)
        for y in years:
            self.year.addItem(str(y), y)
        idx = self.year.findData(current) if current else (1 if years else 0)
        self.year.setCurrentIndex(max(idx, 0))
        self.year.blockSignals(False)
        year = self.year.currentData()
        self.rows = [p for p in all_rows if not year or p.year == year]
        self.table.setRowCount(len(self.rows))
        for r, p in enumerate(self.rows):
            for c, (_h, key) in enumerate(PROJECT_COLUMNS):
                self.table.setItem(r, c, _item(getattr(p, key), center=key not in ("name", "unit")))

    def selected(self) -> vote_service.ProjectRow | None:
        r = self.table.currentRow()
        return self.rows[r] if 0 <= r < len(self.rows) else None

    def _select(self, project_id: str) -> None:
        for r, p in enumerate(self.rows):
            if p.id == project_id:
                self.table.selectRow(r)

    def add(self) -> None:
        dlg = ProjectDialog(self.ctx, None, self)
        if widgets.exec_modal(dlg) == QDialog.DialogCode.Accepted and dlg.saved:
            self.reload()
            self._select(dlg.saved.id)
            self.changed.emit()

    def edit(self) -> None:
        p = self.selected()
        if p is None:
            return
        dlg = ProjectDialog(self.ctx, p, self)
        if widgets.exec_modal(dlg) == QDialog.DialogCode.Accepted:
            self.reload()
            self._select(p.id)
            self.changed.emit()

    def move(self, delta: int) -> None:
        p = self.selected()
        if p is None:
            return
        vote_service.move_project(self.ctx, p.id, delta)
        self.reload()
        self._select(p.id)

    def set_state(self) -> None:
        p = self.selected()
        if p is None:
            return
        vote_service.set_project_state(self.ctx, p.id, self.state.currentText())
        self.reload()
        self._select(p.id)
        self.changed.emit()

    def delete(self) -> None:
        p = self.selected()
        if p is None or not widgets.ask_yes_no(self, "删除项目", f"删除候选项目“{p.name}”？"):
            return
        try:
            vote_service.delete_project(self.ctx, p.id)
        except CongressError as e:
            ui_errors.show_error(self, e)
            return
        self.reload()
        self.changed.emit()

    def import_file(self) -> None:
        path = ask_open_file(self, "导入候选项目", IMPORT_FILTER)
        if not path:
            return

        def work(progress, cancel):
            return vote_importing.import_projects(self.ctx, path, progress, cancel)

        def done(res: ImportResult) -> None:
            if res.ok:
                self.reload()
                info(self, "导入完成", f"已导入 {res.applied} 个候选项目。")
                self.changed.emit()
            else:
                widgets.exec_modal(ImportErrorsDialog(res, path, self, what="项目"))

        self.last_task = tasks.run_task(self, "正在导入候选项目", work, on_success=done)


# ------------------------------------------------------------------ session settings


class _AddLine(QLineEdit):
    """Enter adds the typed item and stops there (it must not press the dialog's default button)."""

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt's name)
        super().keyPressEvent(event)
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            event.accept()


class SessionForm(QWidget):
    """Meeting, date, N, the items on the ballot (in order), the rules with their defaults, officers."""

    def __init__(self, ctx: Context, kind: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
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
        self.errors = {k: _error_label() for k in ("title", "date", "seats", "items", "rules")}

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
        self.fill_projects()

    def _with_error(self, w: QWidget, key: str) -> QWidget:
        box = QWidget()
        b = QVBoxLayout(box)
        b.setContentsMargins(0, 0, 0, 0)
        b.setSpacing(1)
        b.addWidget(w)
        b.addWidget(self.errors[key])
        return box

    def fill_projects(self) -> None:
        """Candidates of the newest year checked (票决), or finished projects offered (测评)."""
        self.items.clear()
        if self.kind == dv.PROJECT_VOTE:
            rows = vote_service.list_projects(self.ctx, states=["正式候选"])
            newest = max((p.year for p in rows), default=0)
            rows = sorted(rows, key=lambda p: (-p.year, p.ballot_order))
            for p in rows:
                self._add_item(f"{p.name}（{p.year}）", {"project_id": p.id}, p.year == newest)
        else:
            for p in vote_service.list_projects(self.ctx, states=["完成", "实施中"]):
                self._add_item(f"{p.name}（{p.year}，{p.state}）", {"project_id": p.id}, False)

    def _add_item(self, text: str, data: dict, checked: bool) -> QListWidgetItem:
        it = QListWidgetItem(text)
        it.setData(Qt.ItemDataRole.UserRole, data)
        it.setFlags(it.flags() | Qt.ItemFlag.ItemIsUserCheckable)
        it.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)
        self.items.addItem(it)
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

    def load(self, s: vote_service.SessionRow) -> None:
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

    def show_errors(self, e: FieldErrors) -> None:
        for key, msg in e.errors.items():
            (self.errors.get(key) or self.errors["title"]).set_error(msg)

    def clear_errors(self) -> None:
        for e in self.errors.values():
            e.set_error("")


class NewSessionDialog(QDialog):
    def __init__(self, ctx: Context, kind: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.created: vote_service.SessionRow | None = None
        self.setWindowTitle("新建" + ("民生实事项目票决" if kind == dv.PROJECT_VOTE else "满意度测评"))
        self.form = SessionForm(ctx, kind)
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

    def save(self) -> bool:
        self.form.clear_errors()
        try:
            self.created = vote_service.create_session(self.ctx, self.form.raw())
        except FieldErrors as e:
            self.form.show_errors(e)
            return False
        except CongressError as e:
            ui_errors.show_error(self, e)
            return False
        self.accept()
        return True


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
        self.rows: list[vote_service.AttendanceRow] = []

    def set_rows(self, rows: list[vote_service.AttendanceRow]) -> None:
        self.rows = rows
        self.setRowCount(len(rows))
        for r, a in enumerate(rows):
            for c, v in enumerate((a.position, a.name, a.status)):
                it = _item(v)
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

    changed = Signal()

    def __init__(self, ctx: Context, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.session: vote_service.SessionRow | None = None
        self.form: SessionForm | None = None
        self.form_holder = QVBoxLayout()
        self.save_button = QPushButton("保存设置")
        self.save_button.clicked.connect(self.save)
        self.refresh_roster_button = QPushButton("重新读取代表名单")
        self.refresh_roster_button.clicked.connect(self.refresh_roster)
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

        self.table = AttendanceTable()
        self.table.marked.connect(self.mark)
        self.counts = QLabel()
        self.counts.setObjectName("attendanceCounts")
        self.counts.setWordWrap(True)
        self.quorum = QLabel()
        self.quorum.setObjectName("quorumLabel")
        self.quorum.setWordWrap(True)
        mark_row = QHBoxLayout()
        for status in vote_service.ROLL_CALL:
            b = QPushButton(f"{status}（{list(ATTENDANCE_KEYS.values()).index(status) + 1}）")
            b.clicked.connect(lambda _c=False, s=status: self.mark(self.table.selected_ids(), s))
            mark_row.addWidget(b)
        self.mode = QComboBox()
        for key, label in vote_service.MODES.items():
            self.mode.addItem(label, key)
        self.open_button = QPushButton("开始投票")
        self.open_button.setObjectName("openVoteButton")
        self.open_button.clicked.connect(self.open_vote)
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

        lay = QHBoxLayout(self)
        lay.addWidget(scroll, 3)
        lay.addWidget(right, 2)

    def set_session(self, session: vote_service.SessionRow | None) -> None:
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
        self.form = SessionForm(self.ctx, session.kind)
        self.form.load(session)
        self.form.lock_voting_fields(session.opened)
        self.form_holder.addWidget(self.form)
        self.save_button.setEnabled(True)
        self.refresh_roster_button.setEnabled(not session.opened)
        self.table.set_rows(vote_service.attendance(self.ctx, session.id))
        self._show_counts()

    def _show_counts(self) -> None:
        s = self.session
        self.counts.setText(f"全体代表 {s.all_deputies} 名　应到 {s.all_deputies} 名　实到 {s.present} 名　"
                            f"请假 {s.on_leave} 名　缺席 {s.absent} 名")
        self.quorum.setText(vote_service.quorum_message(s.all_deputies, s.present))
        self.quorum.setStyleSheet("color: #1e7d32;" if s.quorum_met else f"color: {VOID_INK}; font-weight: bold;")
        current = s.current_round
        self.open_button.setEnabled(not s.opened)
        self.open_button.setText("开始投票" if not s.opened else f"已开始（{current.label}）")
        self.mode.setEnabled(not s.opened)

    def mark(self, ids: list[str], status: str) -> None:
        if self.session is None or not ids:
            return
        rows = self.table.selectionModel().selectedRows()
        try:
            self.session = vote_service.set_attendance(self.ctx, self.session.id, {i: status for i in ids})
        except CongressError as e:
            ui_errors.show_error(self, e)
            return
        self.table.set_rows(vote_service.attendance(self.ctx, self.session.id))
        if rows:  # keep the cursor moving down the list, as on paper
            nxt = min(max(r.row() for r in rows) + 1, self.table.rowCount() - 1)
            self.table.selectRow(nxt)
        self._show_counts()
        self.changed.emit()

    def save(self) -> None:
        if self.session is None or self.form is None:
            return
        self.form.clear_errors()
        try:
            self.session = vote_service.update_session(self.ctx, self.session.id, self.form.raw())
        except FieldErrors as e:
            self.form.show_errors(e)
            return
        except CongressError as e:
            ui_errors.show_error(self, e)
            return
        widgets.show_status(self, "设置已保存")
        self.set_session(self.session)
        self.changed.emit()

    def refresh_roster(self) -> None:
        if self.session is None:
            return
        try:
            self.session = vote_service.refresh_roster(self.ctx, self.session.id)
        except CongressError as e:
            ui_errors.show_error(self, e)
            return
        self.set_session(self.session)
        self.changed.emit()

    def open_vote(self) -> None:
        """Refused below the 2/3 quorum with the reason (the service decides; the label warns first)."""
        if self.session is None:
            return
        try:
            vote_service.open_vote(self.ctx, self.session.id, self.mode.currentData())
        except CongressError as e:
            ui_errors.show_error(self, e)
            return
        widgets.show_status(self, "已开始第 1 轮投票：请到“打印”页印制选票，到“计票”页登记和录入")
        self.set_session(vote_service.get_session(self.ctx, self.session.id))
        self.changed.emit()


# ------------------------------------------------------------------ printing


class PrintTab(QWidget):
    def __init__(self, ctx: Context, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.session: vote_service.SessionRow | None = None
        self.last_task = None
        self.last_output: Path | None = None
        self.copies = QSpinBox()
        self.copies.setRange(1, 2000)
        self.per_page = QComboBox()
        self.per_page.addItem("每页一张", 1)
        self.per_page.addItem("每页两张（裁开）", 2)
        grid = QGridLayout()
        rows = [("attendance", "出席情况报告单", "全体/应到/实到/请假/缺席，是否达到法定人数；总监票人、监票人签字。"),
                ("ballots", "选票", "本轮项目；无编号、无任何记号；份数默认为实到人数。"),
                ("distribution", "分发报告单 / 收回报告单", "拆封、实发、剩余（剪角作废）、发出、收回，本轮是否有效。"),
                ("tally-sheet", "计票单（空白）", "每位计票人一页，按项目划“正”字，手工计票用。")]
        for r, (key, title, note) in enumerate(rows):
            b = QPushButton(f"打印{title}")
            b.setObjectName(f"print-{key}")
            b.clicked.connect(lambda _c=False, k=key: self.print_doc(k))
            lab = QLabel(note)
            lab.setWordWrap(True)
            lab.setObjectName("muted")
            grid.addWidget(b, r, 0)
            grid.addWidget(lab, r, 1)
        opts = QHBoxLayout()
        opts.addWidget(QLabel("选票份数"))
        opts.addWidget(self.copies)
        opts.addWidget(self.per_page)
        opts.addStretch(1)
        grid.addLayout(opts, 1, 2)
        self.note = QLabel("计票后的计票单、结果报告单和公告在“结果”页打印。PDF 生成后自动打开，在阅读器中打印。")
        self.note.setObjectName("muted")
        lay = QVBoxLayout(self)
        lay.addLayout(grid)
        lay.addWidget(self.note)
        lay.addStretch(1)

    def set_session(self, session: vote_service.SessionRow | None) -> None:
        self.session = session
        self.setEnabled(session is not None)
        if session is not None:
            r = session.current_round
            self.copies.setValue(max(1, r.present if r else session.present))

    def print_doc(self, doc: str, **kw) -> None:
        if self.session is None:
            return
        run_print(self, self.ctx, self.session, doc,
                  **({"copies": self.copies.value(), "per_page": self.per_page.currentData()} if doc == "ballots"
                     else {}), **kw)


def run_print(owner: QWidget, ctx: Context, session: vote_service.SessionRow, doc: str, **kw) -> None:
    """Make the PDF off the GUI thread (ui.operations.print_op), then open it."""
    out = printout_path(ctx, f"{session.kind_label}{session.number}-{vote_printing.DOCUMENTS[doc].split('（')[0]}"
                             .replace("/", "-"))

    def work(progress, cancel):
        return vote_printing.print_document(ctx, session.id, doc, out, vote_printing.Job(progress, cancel), **kw)

    def done(_pages) -> None:
        owner.last_output = out

    owner.last_task = print_op(owner, f"正在生成{vote_printing.DOCUMENTS[doc]}", out, work, on_done=done)


# ------------------------------------------------------------------ result


class LogDialog(QDialog):
    def __init__(self, ctx: Context, session: vote_service.SessionRow, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(f"计票日志：{session.title}")
        res = vote_service.verify_session(ctx, session.id)
        head = QLabel(("核验通过：" if res.ok else "核验未通过：")
                      + (f"共 {res.entries} 条，哈希链完整，选票记录与日志一致，结果可复算。" if res.ok
                         else "；".join(res.problems)))
        head.setWordWrap(True)
        head.setObjectName("verifyLabel")
        head.setStyleSheet("color: #1e7d32;" if res.ok else f"color: {VOID_INK}; font-weight: bold;")
        self.ok = res.ok
        table = _table(["序号", "时间（UTC）", "用户", "操作", "内容", "哈希"])
        entries = vote_service.log_entries(ctx, session.id)
        table.setRowCount(len(entries))
        for r, e in enumerate(entries):
            detail = "；".join(f"{k}={v}" for k, v in e.detail.items() if k not in ("record", "replaces"))
            for c, v in enumerate((e.seq, e.at[:19], e.user, e.action_label, detail, e.hash[:16])):
                table.setItem(r, c, _item(v, center=c != 4))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addWidget(head)
        lay.addWidget(QLabel(f"末条哈希：{res.final_hash}"))
        lay.addWidget(table, 1)
        lay.addWidget(buttons)
        self.resize(900, 560)


class ResultTab(QWidget):
    changed = Signal()

    def __init__(self, ctx: Context, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.session: vote_service.SessionRow | None = None
        self.view: vote_service.RoundView | None = None
        self.last_task = None
        self.last_output: Path | None = None
        self.round_box = QComboBox()
        self.round_box.currentIndexChanged.connect(lambda _i: self._show_round())
        self.state = QLabel()
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.table = _table([])
        self.messages = QLabel()
        self.messages.setWordWrap(True)
        self.messages.setObjectName("resultMessages")
        self.hash_label = QLabel()
        self.hash_label.setObjectName("muted")
        self.hash_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.chair = QLineEdit()
        self.chair.setPlaceholderText("宣布人（执行主席）")
        self.buttons: dict[str, QPushButton] = {}
        top = QHBoxLayout()
        top.addWidget(QLabel("轮次"))
        top.addWidget(self.round_box)
        top.addWidget(self.state, 1)
        actions = QHBoxLayout()
        for key, text, slot in (("compute", "计票", self.compute), ("announce", "公布结果（锁定）", self.announce),
                                ("revote", "开始下一轮投票", self.revote)):
            b = QPushButton(text)
            b.clicked.connect(slot)
            self.buttons[key] = b
        actions.addWidget(self.buttons["compute"])
        actions.addWidget(self.chair)
        actions.addWidget(self.buttons["announce"])
        actions.addWidget(self.buttons["revote"])
        actions.addStretch(1)
        outputs = QHBoxLayout()
        for key, text, slot in (("result", "打印结果报告单", lambda: self.print_doc("result")),
                                ("tally", "打印计票单", lambda: self.print_doc("tally-filled")),
                                ("notice", "打印公告", lambda: self.print_doc("notice")),
                                ("xlsx", "导出 Excel…", self.export_xlsx), ("case", "导出案卷…", self.export_case),
                                ("log", "计票日志与核验…", self.show_log)):
            b = QPushButton(text)
            b.clicked.connect(slot)
            self.buttons[key] = b
            outputs.addWidget(b)
        outputs.addStretch(1)
        lay = QVBoxLayout(self)
        lay.addLayout(top)
        lay.addWidget(self.summary)
        lay.addWidget(self.table, 1)
        lay.addWidget(self.messages)
        lay.addWidget(self.hash_label)
        lay.addLayout(actions)
        lay.addLayout(outputs)

    def set_session(self, session: vote_service.SessionRow | None) -> None:
        self.session = session
        self.round_box.blockSignals(True)
        self.round_box.clear()
        if session is not None:
            for r in session.rounds:
                self.round_box.addItem(r.label, r.id)
            self.round_box.setCurrentIndex(self.round_box.count() - 1)
            self.chair.setText(session.chair)
        self.round_box.blockSignals(False)
        self._show_round()

    def current_round_id(self) -> str | None:
        return self.round_box.currentData()

    def _show_round(self) -> None:
        rid = self.current_round_id()
        if self.session is None or rid is None:
            self.view = None
            self.summary.setText("尚未开始投票。")
            self.table.setRowCount(0)
            self.messages.setText("")
            self.hash_label.setText("")
            for b in self.buttons.values():
                b.setEnabled(False)
            self.buttons["log"].setEnabled(self.session is not None)
            return
        self.view = v = vote_service.round_view(self.ctx, rid)
        r = v.round
        self.state.setText(r.state_label + (f"（{r.announced_at} 由 {r.announced_by} 公布）" if r.locked else ""))
        res = v.result
        is_last = self.session.rounds and self.session.rounds[-1].id == r.id
        self.buttons["compute"].setEnabled(not r.locked)
        self.buttons["announce"].setEnabled(r.state == "computed")
        self.buttons["revote"].setEnabled(bool(is_last and r.locked and res is not None
                                               and (not res.round_valid or res.revote_seats)))
        for key in ("result", "tally", "xlsx"):
            self.buttons[key].setEnabled(res is not None)
        self.buttons["notice"].setEnabled(any(x.locked for x in self.session.rounds))
        self.buttons["case"].setEnabled(True)
        self.buttons["log"].setEnabled(True)
        self._fill(res)
        if res is None:
            self.summary.setText("尚未计票。" + ("计票前还需：" + "；".join(v.problems) if v.problems else
                                            "数据已齐，可以计票。"))
            self.messages.setText("")
        else:
            self.summary.setText(
                f"全体代表 {res.all_deputies}，实到 {res.present}，发出 {res.issued}，收回 {res.returned}，"
                f"有效票 {res.valid_ballots}，作废票 {res.void_ballots}；本轮投票{'有效' if res.round_valid else '无效'}"
                + (f"；通过须赞成至少 {res.threshold} 票（超过全体代表的半数）" if res.kind == dv.PROJECT_VOTE
                   and res.rules.pass_basis == "all_deputies" else ""))
            self.messages.setText("\n".join(res.messages))
        self.hash_label.setText(f"计票日志末条哈希：{r.final_hash if r.locked else v.last_hash}")

    def _fill(self, res: dv.TallyResult | None) -> None:
        if self.session is None:
            return
        if self.session.kind == dv.PROJECT_VOTE:
            headers = ["序号", "项目名称", "赞成", "反对", "弃权", "未投", "无效", "过半数", "名次", "结果"]
        else:
            headers = ["序号", "测评对象", "满意", "基本满意", "不满意", "弃权", "无效", "满意率", "不满意率", "结果"]
        self.table.setColumnCount(len(headers))
        self.table.setHorizontalHeaderLabels(headers)
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.horizontalHeader().setStretchLastSection(False)
        items = self.view.items if self.view else ()
        self.table.setRowCount(len(items))
        for r, it in enumerate(items):
            values: list[object] = [r + 1, it.name]
            outcome = ""
            if res is not None:
                ir = res.items[r]
                c = ir.counts
                outcome = ir.outcome
                if self.session.kind == dv.PROJECT_VOTE:
                    values += [c["for"], c["against"], c["abstain"], c["not_voted"], c["invalid"],
                               "是" if ir.passed else "否", ir.rank or "", ir.outcome_label]
                else:
                    values += [c["satisfied"], c["basic"], c["unsatisfied"], c["abstain"] + c["not_voted"],
                               c["invalid"], dv.percent(ir.rate), dv.percent(ir.unsatisfied_share), ir.outcome_label]
            for col, value in enumerate(values):
                cell = _item(value, center=col != 1)
                if outcome in ("adopted", "satisfactory"):
                    cell.setForeground(QBrush(QColor("#1e7d32")))
                elif outcome in ("revote", "recheck"):
                    cell.setBackground(WARN_FILL)
                self.table.setItem(r, col, cell)

    def compute(self) -> None:
        rid = self.current_round_id()
        if rid is None:
            return
        try:
            vote_service.compute_round(self.ctx, rid)
        except CongressError as e:
            ui_errors.show_error(self, e)
            return
        self._reload_keep(rid)
        self.changed.emit()

    def announce(self) -> None:
        rid = self.current_round_id()
        if rid is None or not widgets.ask_yes_no(
                self, "公布结果", "公布后本轮结果即锁定，不能再修改任何选票；如需更正，只能另行投票。确定公布？"):
            return
        try:
            vote_service.announce_round(self.ctx, rid, self.chair.text())
        except CongressError as e:
            ui_errors.show_error(self, e)
            return
        self._reload_keep(rid)
        self.changed.emit()

    def revote(self) -> None:
        rid = self.current_round_id()
        if rid is None:
            return
        try:
            r = vote_service.start_revote(self.ctx, rid)
        except CongressError as e:
            ui_errors.show_error(self, e)
            return
        widgets.show_status(self, f"已开始{r.label}：请打印本轮选票并录入")
        self._reload_keep(r.id)
        self.changed.emit()

    def _reload_keep(self, round_id: str) -> None:
        self.set_session(vote_service.get_session(self.ctx, self.session.id))
        i = self.round_box.findData(round_id)
        if i >= 0:
            self.round_box.setCurrentIndex(i)

    def print_doc(self, doc: str) -> None:
        if self.session is None or self.view is None:
            return
        kw = {} if doc == "notice" else {"round_number": self.view.round.number}
        run_print(self, self.ctx, self.session, doc, **kw)

    def export_xlsx(self) -> None:
        if self.session is None:
            return
        path = ask_save_file(self, "导出计票结果", f"{self.session.kind_label}结果-{self.session.number}.xlsx",
                             XLSX_FILTER)
        if not path:
            return
        try:
            vote_casefile.export_results(self.ctx, self.session.id, path)
        except (CongressError, PermissionError) as e:
            ui_errors.show_error(self, e if isinstance(e, CongressError) else CongressError(
                f"无法写入 {Path(path).name}：文件可能正在 Excel/WPS 中打开，请关闭后再试"))
            return
        self.last_output = Path(path)
        widgets.show_status(self, f"已导出到 {path}")

    def export_case(self) -> None:
        if self.session is None or self.view is None:
            return
        path = ask_save_file(self, "导出案卷文件",
                             f"案卷-{self.session.number}-第{self.view.round.number}轮.json", JSON_FILTER)
        if not path:
            return
        try:
            vote_casefile.export_case(self.ctx, self.session.id, path, self.view.round.number)
        except CongressError as e:
            ui_errors.show_error(self, e)
            return
        self.last_output = Path(path)
        info(self, "已导出案卷", f"案卷文件已保存到：\n{path}\n\n任何人都可以用命令\n"
                              f"congress-desktop votes tally \"{Path(path).name}\"\n独立复算本轮结果。")

    def show_log(self) -> None:
        if self.session is not None:
            widgets.exec_modal(LogDialog(self.ctx, self.session, self))


# ------------------------------------------------------------------ the page


class VotesPage(QWidget):
    def __init__(self, ctx: Context, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("votesPage")
        self.sessions: list[vote_service.SessionRow] = []
        self.session_box = QComboBox()
        self.session_box.setMinimumWidth(420)
        self.session_box.currentIndexChanged.connect(lambda _i: self._load_current())
        self.state_label = QLabel()
        self.state_label.setWordWrap(True)  # on a small window it wraps instead of running under the buttons
        new_vote = QPushButton("新建票决…")
        new_vote.clicked.connect(lambda: self.new_session(dv.PROJECT_VOTE))
        new_rating = QPushButton("新建测评…")
        new_rating.clicked.connect(lambda: self.new_session(dv.SATISFACTION))
        top = QHBoxLayout()
        top.addWidget(QLabel("表决"))
        top.addWidget(self.session_box)
        top.addWidget(self.state_label, 1)
        top.addWidget(new_vote)
        top.addWidget(new_rating)

        self.projects = ProjectsTab(ctx)
        self.setup = SetupTab(ctx)
        self.printing = PrintTab(ctx)
        self.count = CountTab(ctx)
        self.result = ResultTab(ctx)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.projects, "候选项目")
        self.tabs.addTab(self.setup, "会议与点名")
        self.tabs.addTab(self.printing, "打印")
        self.tabs.addTab(self.count, "计票")
        self.tabs.addTab(self.result, "结果")
        self.tabs.currentChanged.connect(self._tab_changed)
        self._dirty: set[QWidget] = set()
        for tab in (self.setup, self.count, self.result):
            tab.changed.connect(lambda t=tab: self.refresh(source=t))
        self.projects.changed.connect(lambda: self._dirty.add(self.setup))

        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addLayout(top)
        lay.addWidget(self.tabs, 1)
        self.projects.reload()
        self.reload_sessions()

    # hooks of the main window
    def on_activated(self) -> None:
        self.projects.reload()
        self.refresh()

    def initial_focus(self) -> QWidget:
        return self.session_box

    # sessions
    def reload_sessions(self, select_id: str | None = None) -> None:
        current = select_id or self.session_box.currentData()
        self.sessions = vote_service.list_sessions(self.ctx)
        self.session_box.blockSignals(True)
        self.session_box.clear()
        for s in self.sessions:
            self.session_box.addItem(f"{s.number}. {s.date} {s.kind_label}：{s.title}", s.id)
        idx = self.session_box.findData(current) if current else 0
        self.session_box.setCurrentIndex(max(idx, 0))
        self.session_box.blockSignals(False)
        self._load_current()

    def current_session(self) -> vote_service.SessionRow | None:
        sid = self.session_box.currentData()
        return vote_service.get_session(self.ctx, sid) if sid else None

    def _session_tabs(self) -> tuple:
        return (self.setup, self.printing, self.count, self.result)

    def _load_current(self) -> None:
        s = self.current_session()
        self.state_label.setText(s.state_label if s else "还没有表决：点击右侧“新建票决”或“新建测评”。")
        for tab in self._session_tabs():
            tab.set_session(s)
        self._dirty.clear()

    def refresh(self, source: QWidget | None = None) -> None:
        """After a change made in ``source``: the other tabs show the session again when next seen
        (the counts, the state, the lock); the visible one at once."""
        s = self.current_session()
        if s is None:
            self.reload_sessions()
            return
        index = self.session_box.currentIndex()
        self.session_box.setItemText(index, f"{s.number}. {s.date} {s.kind_label}：{s.title}")
        self.state_label.setText(s.state_label)
        for tab in self._session_tabs():
            if tab is source:
                continue
            if tab is self.tabs.currentWidget():
                tab.set_session(s)
            else:
                self._dirty.add(tab)

    def new_session(self, kind: str) -> vote_service.SessionRow | None:
        dlg = NewSessionDialog(self.ctx, kind, self)
        if widgets.exec_modal(dlg) != QDialog.DialogCode.Accepted or dlg.created is None:
            return None
        self.reload_sessions(dlg.created.id)
        self.tabs.setCurrentWidget(self.setup)
        return dlg.created

    def _tab_changed(self, index: int) -> None:
        tab = self.tabs.widget(index)
        if tab in self._dirty:
            self._dirty.discard(tab)
            tab.set_session(self.current_session())
        if tab is self.count:
            self.count.focus_entry()
