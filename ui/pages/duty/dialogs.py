"""The duty page's forms: a duty record, a congress session's roll call, a training, a new evaluation
period; and the list of records behind a number, each opened in its own form (``open_source``).

Every form reads its choice lists on the database worker (``load_task``; 正在加载… until they are back,
保存 waits for them) and saves there (``FormDialog.run_save``; ``save_task``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from congress_desktop.core.context import Context
from congress_desktop.deputies.rules import IN_OFFICE
from congress_desktop.duty import activity as activity_service
from congress_desktop.duty import evaluation as eval_service
from congress_desktop.duty import records as duty_service
from congress_desktop.duty import rules as ev
from congress_desktop.duty.rows import (
    DeputyOption,
    RecordRow,
    SessionRoll,
    SourceRef,
    TrainingRow,
    VoteChoice,
)
from ui import tasks, widgets
from ui.forms import FormDialog
from ui.operations import db_op
from ui.pages import visits_common as common
from ui.pages.duty.parts import LOADING, DeputyChecklist, buttons, date_edit, matches


class _LoadingForm(FormDialog):
    """A form whose 保存 waits until its choice lists are back from the database worker."""

    def __init__(self, title: str, parent: QWidget | None, ok_text: str = "保存"):
        super().__init__(title, parent)
        self.buttons = buttons(self, ok_text)  # each form connects ``accepted`` to its own save
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.load_task: tasks.TaskHandle | None = None

    def load(self, fn: Callable[[], Any], done: Callable[[Any], None]) -> tasks.TaskHandle:
        self.ok_button.setEnabled(False)

        def loaded(result: Any) -> None:
            done(result)
            self.ok_button.setEnabled(True)

        self.load_task = db_op(self, fn, loaded, title="正在加载")
        return self.load_task


class RecordDialog(_LoadingForm):
    """One duty record: deputy, kind (人代会 with its attendance), date, title, detail, own points."""

    def __init__(self, ctx: Context, record: RecordRow | None = None, parent: QWidget | None = None,
                 *, deputy_id: str = ""):
        super().__init__("履职记录" if record is None else f"履职记录：{record.deputy_name}", parent)
        self.ctx = ctx
        self.record = record
        self.resize(640, 620)
        self.deputy = DeputyChecklist(multi=False)
        self.deputy.list.setMinimumHeight(150)
        self.kind = QComboBox()
        self.kind.setObjectName("recordKind")
        for k in ev.RECORD_KINDS:
            self.kind.addItem(k, k)
        self.attendance = QComboBox()
        for a in ev.ATTENDANCE:
            self.attendance.addItem(a, a)
        self.record_date = date_edit()
        self.title_edit = QLineEdit()
        self.title_edit.setPlaceholderText("会议名称、建议标题、调研题目、所办实事…")
        self.detail = QPlainTextEdit()
        self.detail.setMaximumHeight(80)
        self.points = QLineEdit()
        self.points.setPlaceholderText("不填：按考评办法计分")
        self.points.setMaximumWidth(160)
        for label, w, key in (("代表", self.deputy, "deputy_id"), ("类型", self.kind, "kind"),
                              ("出席情况", self.attendance, "attendance"), ("日期", self.record_date, "record_date"),
                              ("事项", self.title_edit, "title"), ("情况说明", self.detail, "detail"),
                              ("单项分值", self.points, "points")):
            self.add_row(label, w, key)
        self.kind.currentIndexChanged.connect(self._kind_changed)
        lay = QVBoxLayout(self)
        lay.addWidget(self.general_error)
        lay.addLayout(self.form, 1)
        lay.addWidget(self.buttons)
        self.buttons.accepted.connect(self.save)
        self._fill(record)
        chosen = record.deputy_id if record is not None else deputy_id
        self.load(lambda: activity_service.deputy_options(ctx), lambda options: self._options(options, chosen))

    def _fill(self, record: RecordRow | None) -> None:
        if record is not None:
            self.kind.setCurrentIndex(max(0, self.kind.findData(record.kind)))
            self.attendance.setCurrentIndex(max(0, self.attendance.findData(record.attendance or ev.PRESENT)))
            self.record_date.setText(record.record_date)
            self.title_edit.setText(record.title)
            self.detail.setPlainText(record.detail)
            self.points.setText(record.points)
        else:
            self.record_date.setText(dt.date.today().isoformat())
        self._kind_changed()

    def _options(self, options: list[DeputyOption], chosen: str) -> None:
        self.deputy.set_options(options)
        if chosen:
            self.deputy.set_current(chosen)

    def _kind_changed(self) -> None:
        self.attendance.setEnabled(self.kind.currentData() == ev.SESSION)

    def values(self) -> dict:
        return {"deputy_id": self.deputy.current_id(), "kind": self.kind.currentData(),
                "attendance": self.attendance.currentData() if self.kind.currentData() == ev.SESSION else "",
                "record_date": self.record_date.text(), "title": self.title_edit.text(),
                "detail": self.detail.toPlainText(), "points": self.points.text()}

    def save(self) -> tasks.TaskHandle:
        ctx, raw, rid = self.ctx, self.values(), self.record.id if self.record else None
        return self.run_save(lambda: duty_service.save_record(ctx, raw, rid))


@dataclass(frozen=True)
class _RollChoices:
    votes: list[VoteChoice]
    options: list[DeputyOption]


def _roll_choices(ctx: Context, roll: SessionRoll | None) -> _RollChoices:
    """On the worker: the roll calls to copy from and the deputies of the roll (those in office on the
    day, and deputies on an existing roll who are no longer in office)."""
    day = roll.record_date if roll else dt.date.today().isoformat()
    options = activity_service.deputy_options(ctx, day, day)
    if roll is not None:
        known = {o.id for o in options}
        options += [o for o in activity_service.deputy_options(ctx) if o.id in roll.marks and o.id not in known]
    return _RollChoices(duty_service.vote_sessions(ctx), options)


class SessionDialog(_LoadingForm):
    """A congress session (人代会) and every deputy's attendance at once; the roll call of a 票决 /
    测评 held at the session can fill it in."""

    def __init__(self, ctx: Context, roll: SessionRoll | None = None, parent: QWidget | None = None):
        super().__init__("人代会出席情况", parent)
        self.ctx = ctx
        self.roll = roll
        self.resize(640, 700)
        self.record_date = date_edit()
        self.title_edit = QLineEdit()
        self.title_edit.setPlaceholderText("如“某镇第十九届人民代表大会第六次会议”")
        self.detail = QLineEdit()
        self.add_row("会议日期", self.record_date, "record_date")
        self.add_row("会议名称", self.title_edit, "title")
        self.add_row("备注", self.detail, "detail")
        self.add_row("票决/测评点名", self._vote_row())
        self.search = QLineEdit()
        self.search.setPlaceholderText("输入姓名或拼音首字母筛选")
        self.search.textChanged.connect(self._refilter)
        self.options: list[DeputyOption] = []
        self.combos: dict[str, QComboBox] = {}
        self.table = QTableWidget(0, 3)
        self.table.setObjectName("rollTable")
        self.table.setHorizontalHeaderLabels(["姓名", "所在村(社区)", "出席情况"])
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.counts = QLabel(LOADING)
        lay = QVBoxLayout(self)
        lay.addWidget(self.general_error)
        lay.addLayout(self.form)
        lay.addWidget(self.search)
        lay.addWidget(self.table, 1)
        lay.addWidget(self.counts)
        lay.addWidget(self.error_map.add("marks"))
        lay.addWidget(self.buttons)
        self.buttons.accepted.connect(self.save)
        if roll is not None:
            self.record_date.setText(roll.record_date)
            self.title_edit.setText(roll.title)
            self.detail.setText(roll.detail)
        else:
            self.record_date.setText(dt.date.today().isoformat())
        self.load(lambda: _roll_choices(ctx, roll), self._loaded)

    def _vote_row(self) -> QWidget:
        self.votes = QComboBox()
        self.votes.addItem("（不使用）", "")
        self.fill_button = QPushButton("按该次点名填入")
        self.fill_button.clicked.connect(self.fill_from_vote)
        row = QHBoxLayout()
        row.addWidget(self.votes, 1)
        row.addWidget(self.fill_button)
        box = QWidget()
        box.setLayout(row)
        return box

    def _loaded(self, choices: _RollChoices) -> None:
        for v in choices.votes:
            self.votes.addItem(v.label, v.id)
        self.options = choices.options
        self.table.setRowCount(len(self.options))
        for r, o in enumerate(self.options):
            self.table.setItem(r, 0, QTableWidgetItem(o.name))
            self.table.setItem(r, 1, QTableWidgetItem(o.village_name))
            combo = QComboBox()
            for a in (*ev.ATTENDANCE, ev.NOT_ON_LIST):
                combo.addItem(a, a)
            combo.currentIndexChanged.connect(self._count)
            self.combos[o.id] = combo
            self.table.setCellWidget(r, 2, combo)
        if self.roll is not None:
            self.set_marks(self.roll.marks, default=ev.NOT_ON_LIST)
        else:
            self.set_marks({o.id: ev.PRESENT for o in self.options if o.status == IN_OFFICE}, default=ev.NOT_ON_LIST)
        self._refilter()
        self._count()

    def set_marks(self, marks: dict[str, str], *, default: str | None = None) -> None:
        for did, combo in self.combos.items():
            mark = marks.get(did, default)
            if mark is not None:
                combo.setCurrentIndex(max(0, combo.findData(mark)))

    def marks(self) -> dict[str, str]:
        return {did: c.currentData() for did, c in self.combos.items() if c.currentData() in ev.ATTENDANCE}

    def fill_from_vote(self) -> tasks.TaskHandle | None:
        vid, label, ctx = self.votes.currentData(), self.votes.currentText(), self.ctx
        if not vid:
            return None

        def filled(marks: dict[str, str]) -> None:
            self.set_marks(marks, default=ev.NOT_ON_LIST)
            if not self.title_edit.text():
                self.title_edit.setText(label.split("：", 1)[-1])
            self.record_date.setText(label.split(" ", 1)[0])

        self.load_task = db_op(self, lambda: duty_service.roll_from_vote(ctx, vid), filled, title="正在读取点名")
        return self.load_task

    def _refilter(self) -> None:
        text = self.search.text()
        for r, o in enumerate(self.options):
            self.table.setRowHidden(r, not matches(o, text))

    def _count(self) -> None:
        marks = list(self.marks().values())
        self.counts.setText("　".join(f"{a} {marks.count(a)} 名" for a in ev.ATTENDANCE))

    def save(self) -> tasks.TaskHandle:
        raw = {"record_date": self.record_date.text(), "title": self.title_edit.text(),
               "detail": self.detail.text(), "marks": self.marks()}
        ctx, batch = self.ctx, self.roll.batch_id if self.roll else None
        return self.run_save(lambda: duty_service.save_session(ctx, raw, batch))


class TrainingDialog(_LoadingForm):
    """A training session: date, topic, kind, and the attendees ticked in a list searched by pinyin."""

    def __init__(self, ctx: Context, training: TrainingRow | None = None, parent: QWidget | None = None):
        super().__init__("培训" if training is None else f"培训：{training.topic}", parent)
        self.ctx = ctx
        self.training = training
        self.resize(640, 720)
        self.held_on = date_edit()
        self.topic = QLineEdit()
        self.kind = QComboBox()
        self.kind.setObjectName("trainingKind")
        for k in ev.TRAINING_KINDS:
            self.kind.addItem(k, k)
        self.organiser = QLineEdit()
        self.place = QLineEdit()
        self.hours = QLineEdit()
        self.hours.setMaximumWidth(80)
        self.note = QLineEdit()
        self.attendees = DeputyChecklist(multi=True)
        self.attendees.list.setMinimumHeight(260)
        for label, w, key in (("培训日期", self.held_on, "held_on"), ("培训主题", self.topic, "topic"),
                              ("类型", self.kind, "kind"), ("组织单位", self.organiser, "organiser"),
                              ("地点", self.place, "place"), ("学时", self.hours, "hours"),
                              ("备注", self.note, "note"), ("参加代表", self.attendees, "deputy_ids")):
            self.add_row(label, w, key)
        lay = QVBoxLayout(self)
        lay.addWidget(self.general_error)
        lay.addLayout(self.form, 1)
        lay.addWidget(self.buttons)
        self.buttons.accepted.connect(self.save)
        if training is not None:
            self.held_on.setText(training.held_on)
            self.topic.setText(training.topic)
            self.kind.setCurrentIndex(max(0, self.kind.findData(training.kind)))
            self.organiser.setText(training.organiser)
            self.place.setText(training.place)
            self.hours.setText(training.hours)
            self.note.setText(training.note)
        else:
            self.held_on.setText(dt.date.today().isoformat())
        ticked = list(training.deputy_ids) if training is not None else []
        self.load(lambda: activity_service.deputy_options(ctx), lambda options: self._options(options, ticked))

    def _options(self, options: list[DeputyOption], ticked: list[str]) -> None:
        self.attendees.set_options(options)
        if ticked:
            self.attendees.set_checked(ticked)

    def values(self) -> dict:
        return {"held_on": self.held_on.text(), "topic": self.topic.text(), "kind": self.kind.currentData(),
                "organiser": self.organiser.text(), "place": self.place.text(), "hours": self.hours.text(),
                "note": self.note.text(), "deputy_ids": self.attendees.checked_ids()}

    def save(self) -> tasks.TaskHandle:
        ctx, raw, tid = self.ctx, self.values(), self.training.id if self.training else None
        return self.run_save(lambda: duty_service.save_training(ctx, raw, tid))


class EvaluationPeriodDialog(FormDialog):
    """A new evaluation period; the quick buttons fill in a quarter or the year (``rules.quick_periods``)."""

    def __init__(self, ctx: Context, parent: QWidget | None = None, *, today: dt.date | None = None):
        super().__init__("新建考评期间", parent)
        self.ctx = ctx
        self.name = QLineEdit()
        self.name.setPlaceholderText("不填则自动命名，如“2026年第一季度”")
        self.kind = QComboBox()
        for k in ev.PERIOD_KINDS:
            self.kind.addItem(k, k)
        self.date_from = date_edit()
        self.date_to = date_edit()
        quick = QHBoxLayout()
        self.quick_buttons: list[QPushButton] = []
        for q in ev.quick_periods(today or dt.date.today()):
            btn = QPushButton(q.label)
            btn.clicked.connect(lambda _c=False, q=q: self._fill(q))
            quick.addWidget(btn)
            self.quick_buttons.append(btn)
        quick.addStretch(1)
        box = QWidget()
        box.setLayout(quick)
        self.add_row("快速填写", box)
        self.add_row("名称", self.name, "name")
        self.add_row("类型", self.kind, "kind")
        self.add_row("起始日期", self.date_from, "date_from")
        self.add_row("截止日期", self.date_to, "date_to")
        box_buttons = buttons(self, "新建")
        box_buttons.accepted.connect(self.save)
        lay = QVBoxLayout(self)
        lay.addWidget(self.general_error)
        lay.addLayout(self.form)
        lay.addWidget(box_buttons)

    def _fill(self, q: ev.QuickPeriod) -> None:
        self.date_from.setText(q.date_from)
        self.date_to.setText(q.date_to)
        self.kind.setCurrentIndex(self.kind.findData(q.kind))

    def save(self) -> tasks.TaskHandle:
        raw = {"name": self.name.text(), "kind": self.kind.currentData(), "date_from": self.date_from.text(),
               "date_to": self.date_to.text()}
        ctx = self.ctx
        return self.run_save(lambda: eval_service.create_period(ctx, raw))


# ================================================================== the records behind a number

class SourcesDialog(QDialog):
    """The records behind one number (or a deputy's whole file); Enter or double-click opens one."""

    def __init__(self, title: str, summary: str, refs: list[tuple[str, SourceRef]],
                 opener: Callable[[SourceRef], object], parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(title)
        self.resize(760, 460)
        self.refs = [ref for _cat, ref in refs]
        self.opener = opener
        self.table = QTableWidget(len(refs), 5)
        self.table.setObjectName("sourcesTable")
        self.table.setHorizontalHeaderLabels(["日期", "类别", "记录", "事项", "情况"])
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.horizontalHeader().setStretchLastSection(True)
        for r, (category, ref) in enumerate(refs):
            detail = ref.detail + (f"（单项 {ref.points} 分）" if ref.points else "")
            for c, text in enumerate((ref.date, category, ref.kind_label, ref.title, detail)):
                self.table.setItem(r, c, QTableWidgetItem(text))
        for c, w in enumerate((90, 100, 70, 300)):
            self.table.setColumnWidth(c, w)
        if refs:
            self.table.selectRow(0)
        self.table.doubleClicked.connect(lambda _i: self.open_selected())
        sc = QShortcut(QKeySequence(Qt.Key.Key_Return), self.table)
        sc.setContext(Qt.ShortcutContext.WidgetShortcut)
        sc.activated.connect(self.open_selected)
        label = QLabel(summary)
        label.setWordWrap(True)
        box = QDialogButtonBox()
        self.open_button = box.addButton("打开记录", QDialogButtonBox.ButtonRole.ActionRole)
        self.open_button.clicked.connect(self.open_selected)
        self.open_button.setEnabled(bool(refs))
        close = box.addButton("关闭", QDialogButtonBox.ButtonRole.RejectRole)
        close.clicked.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addWidget(label)
        lay.addWidget(self.table, 1)
        lay.addWidget(box)

    def open_selected(self) -> object:
        rows = self.table.selectionModel().selectedRows()
        return self.open_ref(rows[0].row()) if rows else None

    def open_ref(self, row: int) -> object:
        """Open one record (what ``opener`` returns: the task reading it, for tests to wait on)."""
        return self.opener(self.refs[row])


def _read_source(ctx: Context, ref: SourceRef) -> tuple[str, Any]:
    """On the worker: what the form of ``ref`` needs (a record, its session's roll call, a training, a visit)."""
    if ref.kind == "duty":
        record = duty_service.get_record(ctx, ref.id)
        if record.batch_id:
            return "session", duty_service.get_session_roll(ctx, record.batch_id)
        return "record", record
    if ref.kind == "training":
        return "training", duty_service.get_training(ctx, ref.id)
    if ref.kind == "visit":
        from congress_desktop.visits import service as visit_service

        return "visit", visit_service.get_visit(ctx, ref.id)
    return ref.kind, ref.id


def _source_form(page: QWidget, ctx: Context, what: str, data: Any) -> QDialog | None:
    if what == "session":
        return SessionDialog(ctx, data, page)
    if what == "record":
        return RecordDialog(ctx, data, page)
    if what == "training":
        return TrainingDialog(ctx, data, page)
    if what == "visit":
        from ui.pages.visits import VisitForm

        return VisitForm(ctx, data, page)
    if what == "opinion":
        from ui.pages.opinions import OpinionDialog

        return OpinionDialog(ctx, data, page)
    return None


def _open_vote(page: QWidget, vote_id: str) -> None:
    win = common.main_window(page)
    if win is None:
        return
    votes = win.show_page("votes")
    if hasattr(votes, "reload_sessions"):
        votes.reload_sessions(vote_id)
        votes.tabs.setCurrentWidget(votes.setup)


def open_source(page: QWidget, ctx: Context, ref: SourceRef,
                after: Callable[[QDialog], None] | None = None) -> tasks.TaskHandle | None:
    """Open the record behind a number in its own form (or page): read it on the worker, then show the
    form; ``after(form)`` once it is closed. A 票决 / 测评 opens in its page (no task: None)."""
    if ref.kind == "vote":
        _open_vote(page, ref.id)
        return None

    def show(found: tuple[str, Any]) -> None:
        dlg = _source_form(page, ctx, *found)
        if dlg is None:
            return
        widgets.exec_modal(dlg)
        if after is not None:
            after(dlg)

    return db_op(page, lambda: _read_source(ctx, ref), show, title="正在打开记录")
