"""履职考评: duty records and training entry, the scoring scheme editor (versioned), the evaluation
table of a period with the records behind every number, voter ratings, printing and export.

The evaluation table: one row per deputy, one column per item of the scheme. Click a number and the
records behind it are listed; open any of them (a duty record or training here, a visit or an opinion
in its own form, a 票决 / 测评 in its page). Double-click a name for the deputy's whole duty file.

Seams for tests: ``visits_common.ask_save_file / open_file`` (file dialogs, the PDF viewer) and
``ui.widgets.exec_modal`` (every modal dialog)."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QTableView,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from congress_desktop.core.context import Context
from congress_desktop.core.errors import CongressError, FieldErrors
from congress_desktop.deputies.rules import IN_OFFICE
from congress_desktop.duty import activity as activity_service
from congress_desktop.duty import evaluation as eval_service
from congress_desktop.duty import records as duty_service
from congress_desktop.duty import report as report_service
from congress_desktop.duty import rules as ev
from congress_desktop.duty.rows import (
    DeputyOption,
    Evaluation,
    EvaluationRow,
    PeriodRow,
    RecordRow,
    SchemeRow,
    SessionRoll,
    SourceRef,
    TrainingRow,
)
from ui import errors as ui_errors
from ui import tasks, widgets
from ui.models import ROW_ROLE, RowListModel
from ui.pages import visits_common as common

log = logging.getLogger(__name__)

Index = QModelIndex | QPersistentModelIndex
RED = QColor("#b3261e")
GREY = QColor("#8a8a8a")


def _error_label() -> widgets.FieldError:
    return widgets.FieldError()


def _date_edit(placeholder: str = "如 2026-03-05") -> QLineEdit:
    e = QLineEdit()
    e.setPlaceholderText(placeholder)
    e.setMaximumWidth(130)
    e.setMinimumWidth(e.fontMetrics().horizontalAdvance("2026-03-05") + 18)  # a narrow window squeezed it to 「01」
    return e


def _buttons(dialog: QDialog, ok_text: str = "保存") -> QDialogButtonBox:
    box = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
    box.button(QDialogButtonBox.StandardButton.Ok).setText(ok_text)
    box.button(QDialogButtonBox.StandardButton.Cancel).setText("取消")
    box.rejected.connect(dialog.reject)
    return box


def _table(view: QTableView) -> QTableView:
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setAlternatingRowColors(True)
    view.verticalHeader().setVisible(False)
    view.horizontalHeader().setStretchLastSection(True)
    view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    return view


def matches(option: DeputyOption, text: str) -> bool:
    """A name, pinyin initials (``wjg`` for 王建国) or full pinyin typed in a search box."""
    text = text.strip().lower()
    return not text or text in option.name or option.initials.startswith(text) or option.pinyin.startswith(text)


# ================================================================== choosing deputies

class DeputyChecklist(QWidget):
    """Deputies in a list with a search box (name or pinyin initials): checkboxes to choose many
    (training attendees), or a single current row to choose one (the deputy of a record)."""

    changed = Signal()

    def __init__(self, options: list[DeputyOption], *, multi: bool, parent: QWidget | None = None):
        super().__init__(parent)
        self.multi = multi
        self.options = list(options)
        self.search = QLineEdit()
        self.search.setObjectName("deputySearch")
        self.search.setPlaceholderText("输入姓名或拼音首字母（如 wjg）筛选")
        self.search.setClearButtonEnabled(True)
        self.list = QListWidget()
        self.list.setObjectName("deputyList")
        for o in self.options:
            item = QListWidgetItem(f"{o.name}　{o.hint}" if o.hint else o.name)
            item.setData(Qt.ItemDataRole.UserRole, o.id)
            if multi:
                item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
                item.setCheckState(Qt.CheckState.Unchecked)
            self.list.addItem(item)
        self.count_label = QLabel()
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.search)
        lay.addWidget(self.list, 1)
        if multi:
            row = QHBoxLayout()
            self.check_shown = QPushButton("勾选筛选出的代表")
            self.check_shown.clicked.connect(lambda: self.set_shown_checked(True))
            self.clear_button = QPushButton("全部取消")
            self.clear_button.clicked.connect(lambda: self.set_checked([]))
            row.addWidget(self.count_label, 1)
            row.addWidget(self.check_shown)
            row.addWidget(self.clear_button)
            lay.addLayout(row)
            self.list.itemChanged.connect(lambda _i: self._changed())
        else:
            self.list.currentItemChanged.connect(lambda *_a: self.changed.emit())
        self.search.textChanged.connect(self.refilter)
        self.search.returnPressed.connect(self._enter)
        self._changed()

    def _items(self) -> list[QListWidgetItem]:
        return [self.list.item(i) for i in range(self.list.count())]

    def refilter(self) -> None:
        text = self.search.text()
        first = None
        for item, o in zip(self._items(), self.options, strict=True):
            hidden = not matches(o, text)
            item.setHidden(hidden)
            if not hidden and first is None:
                first = item
        if not self.multi and first is not None and (self.list.currentItem() is None
                                                     or self.list.currentItem().isHidden()):
            self.list.setCurrentItem(first)

    def visible_ids(self) -> list[str]:
        return [i.data(Qt.ItemDataRole.UserRole) for i in self._items() if not i.isHidden()]

    def _enter(self) -> None:
        """Enter in the search box: tick (or choose) the first deputy shown, then clear the search."""
        shown = [i for i in self._items() if not i.isHidden()]
        if not shown:
            return
        if self.multi:
            shown[0].setCheckState(Qt.CheckState.Checked)
            self.search.clear()
        else:
            self.list.setCurrentItem(shown[0])

    def checked_ids(self) -> list[str]:
        return [i.data(Qt.ItemDataRole.UserRole) for i in self._items() if i.checkState() == Qt.CheckState.Checked]

    def set_checked(self, ids: list[str]) -> None:
        wanted = set(ids)
        self.list.blockSignals(True)
        for item in self._items():
            item.setCheckState(Qt.CheckState.Checked if item.data(Qt.ItemDataRole.UserRole) in wanted
                               else Qt.CheckState.Unchecked)
        self.list.blockSignals(False)
        self._changed()

    def set_shown_checked(self, checked: bool) -> None:
        shown = set(self.visible_ids())
        self.set_checked([i for i in self.checked_ids() if i not in shown] + (list(shown) if checked else []))

    def current_id(self) -> str:
        item = self.list.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item is not None else ""

    def set_current(self, deputy_id: str) -> None:
        for item in self._items():
            if item.data(Qt.ItemDataRole.UserRole) == deputy_id:
                self.list.setCurrentItem(item)
                return

    def _changed(self) -> None:
        if self.multi:
            self.count_label.setText(f"已选 {len(self.checked_ids())} 名")
        self.changed.emit()


# ================================================================== dialogs: records, sessions, training

class _Form(QDialog):
    """Load / check / save: the core checks; its FieldErrors go under their fields."""

    def __init__(self, title: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setWindowFlag(Qt.WindowType.WindowContextHelpButtonHint, False)
        self.saved: Any = None
        self.errors: dict[str, widgets.FieldError] = {}
        self.general_error = _error_label()
        self.form = QFormLayout()

    def add_row(self, label: str, widget: QWidget, key: str | None = None) -> None:
        if key is None:
            self.form.addRow(label, widget)
            return
        err = _error_label()
        self.errors[key] = err
        box = QWidget()
        lay = QVBoxLayout(box)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(1)
        lay.addWidget(widget)
        lay.addWidget(err)
        self.form.addRow(label, box)

    def show_errors(self, errors: dict[str, str]) -> None:
        for label in self.errors.values():
            label.set_error("")
        general = []
        for key, msg in errors.items():
            target = self.errors.get(key) or self.errors.get(key.split(".")[0])
            if target is not None:
                target.set_error(msg)
            else:
                general.append(msg)
        self.general_error.set_error("；".join(general))

    def run_save(self, fn: Callable[[], Any]) -> bool:
        try:
            self.saved = fn()
        except FieldErrors as e:
            self.show_errors(e.errors)
            return False
        except CongressError as e:
            self.show_errors({})
            self.general_error.set_error(e.message)
            return False
        self.accept()
        return True


class RecordDialog(_Form):
    """One duty record: deputy, kind (人代会 with its attendance), date, title, detail, own points."""

    def __init__(self, ctx: Context, record: RecordRow | None = None, parent: QWidget | None = None,
                 *, deputy_id: str = ""):
        super().__init__("履职记录" if record is None else f"履职记录：{record.deputy_name}", parent)
        self.ctx = ctx
        self.record = record
        self.resize(640, 620)
        self.deputy = DeputyChecklist(activity_service.deputy_options(ctx), multi=False)
        self.deputy.list.setMinimumHeight(150)
        self.kind = QComboBox()
        self.kind.setObjectName("recordKind")
        for k in ev.RECORD_KINDS:
            self.kind.addItem(k, k)
        self.attendance = QComboBox()
        for a in ev.ATTENDANCE:
            self.attendance.addItem(a, a)
        self.record_date = _date_edit()
        self.title_edit = QLineEdit()
        self.title_edit.setPlaceholderText("会议名称、建议标题、调研题目、所办实事…")
        self.detail = QPlainTextEdit()
        self.detail.setMaximumHeight(80)
        self.points = QLineEdit()
        self.points.setPlaceholderText("不填：按考评办法计分")
        self.points.setMaximumWidth(160)
        self.add_row("代表", self.deputy, "deputy_id")
        self.add_row("类型", self.kind, "kind")
        self.add_row("出席情况", self.attendance, "attendance")
        self.add_row("日期", self.record_date, "record_date")
        self.add_row("事项", self.title_edit, "title")
        self.add_row("情况说明", self.detail, "detail")
        self.add_row("单项分值", self.points, "points")
        self.kind.currentIndexChanged.connect(self._kind_changed)
        buttons = _buttons(self)
        buttons.accepted.connect(self.save)
        lay = QVBoxLayout(self)
        lay.addWidget(self.general_error)
        lay.addLayout(self.form, 1)
        lay.addWidget(buttons)
        if record is not None:
            self.deputy.set_current(record.deputy_id)
            self.kind.setCurrentIndex(max(0, self.kind.findData(record.kind)))
            self.attendance.setCurrentIndex(max(0, self.attendance.findData(record.attendance or ev.PRESENT)))
            self.record_date.setText(record.record_date)
            self.title_edit.setText(record.title)
            self.detail.setPlainText(record.detail)
            self.points.setText(record.points)
        else:
            if deputy_id:
                self.deputy.set_current(deputy_id)
            self.record_date.setText(dt.date.today().isoformat())
        self._kind_changed()

    def _kind_changed(self) -> None:
        session = self.kind.currentData() == ev.SESSION
        self.attendance.setEnabled(session)

    def values(self) -> dict:
        return {"deputy_id": self.deputy.current_id(), "kind": self.kind.currentData(),
                "attendance": self.attendance.currentData() if self.kind.currentData() == ev.SESSION else "",
                "record_date": self.record_date.text(), "title": self.title_edit.text(),
                "detail": self.detail.toPlainText(), "points": self.points.text()}

    def save(self) -> bool:
        rid = self.record.id if self.record else None
        return self.run_save(lambda: duty_service.save_record(self.ctx, self.values(), rid))


class SessionDialog(_Form):
    """A congress session (人代会) and every deputy's attendance at once; the roll call of a 票决 /
    测评 held at the session can fill it in."""

    def __init__(self, ctx: Context, roll: SessionRoll | None = None, parent: QWidget | None = None):
        super().__init__("人代会出席情况", parent)
        self.ctx = ctx
        self.roll = roll
        self.resize(640, 700)
        self.record_date = _date_edit()
        self.title_edit = QLineEdit()
        self.title_edit.setPlaceholderText("如“某镇第十九届人民代表大会第六次会议”")
        self.detail = QLineEdit()
        self.add_row("会议日期", self.record_date, "record_date")
        self.add_row("会议名称", self.title_edit, "title")
        self.add_row("备注", self.detail, "detail")
        self.votes = QComboBox()
        self.votes.addItem("（不使用）", "")
        for v in duty_service.vote_sessions(ctx):
            self.votes.addItem(v.label, v.id)
        fill = QPushButton("按该次点名填入")
        fill.clicked.connect(self.fill_from_vote)
        vote_row = QHBoxLayout()
        vote_row.addWidget(self.votes, 1)
        vote_row.addWidget(fill)
        box = QWidget()
        box.setLayout(vote_row)
        self.add_row("票决/测评点名", box)
        self.search = QLineEdit()
        self.search.setPlaceholderText("输入姓名或拼音首字母筛选")
        self.search.textChanged.connect(self._refilter)
        day = roll.record_date if roll else dt.date.today().isoformat()
        self.options = activity_service.deputy_options(ctx, day, day)
        if roll is not None:  # deputies on this roll who are no longer in office still show
            known = {o.id for o in self.options}
            extra = [o for o in activity_service.deputy_options(ctx) if o.id in roll.marks and o.id not in known]
            self.options += extra
        self.table = QTableWidget(len(self.options), 3)
        self.table.setObjectName("rollTable")
        self.table.setHorizontalHeaderLabels(["姓名", "所在村(社区)", "出席情况"])
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.combos: dict[str, QComboBox] = {}
        for r, o in enumerate(self.options):
            self.table.setItem(r, 0, QTableWidgetItem(o.name))
            self.table.setItem(r, 1, QTableWidgetItem(o.village_name))
            combo = QComboBox()
            for a in ev.ATTENDANCE + ("不在名单",):
                combo.addItem(a, a)
            combo.currentIndexChanged.connect(self._count)
            self.combos[o.id] = combo
            self.table.setCellWidget(r, 2, combo)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.counts = QLabel()
        self.errors["marks"] = _error_label()
        buttons = _buttons(self)
        buttons.accepted.connect(self.save)
        lay = QVBoxLayout(self)
        lay.addWidget(self.general_error)
        lay.addLayout(self.form)
        lay.addWidget(self.search)
        lay.addWidget(self.table, 1)
        lay.addWidget(self.counts)
        lay.addWidget(self.errors["marks"])
        lay.addWidget(buttons)
        if roll is not None:
            self.record_date.setText(roll.record_date)
            self.title_edit.setText(roll.title)
            self.detail.setText(roll.detail)
            self.set_marks(roll.marks, default="不在名单")
        else:
            self.record_date.setText(dt.date.today().isoformat())
            self.set_marks({o.id: ev.PRESENT for o in self.options if o.status == IN_OFFICE}, default="不在名单")
        self._count()

    def set_marks(self, marks: dict[str, str], *, default: str | None = None) -> None:
        for did, combo in self.combos.items():
            mark = marks.get(did, default)
            if mark is not None:
                combo.setCurrentIndex(max(0, combo.findData(mark)))

    def marks(self) -> dict[str, str]:
        return {did: c.currentData() for did, c in self.combos.items() if c.currentData() in ev.ATTENDANCE}

    def fill_from_vote(self) -> None:
        vid = self.votes.currentData()
        if not vid:
            return
        try:
            self.set_marks(duty_service.roll_from_vote(self.ctx, vid), default="不在名单")
        except CongressError as e:
            ui_errors.show_error(self, e)
            return
        label = self.votes.currentText()
        if not self.title_edit.text():
            self.title_edit.setText(label.split("：", 1)[-1])
        self.record_date.setText(label.split(" ", 1)[0])

    def _refilter(self) -> None:
        text = self.search.text()
        for r, o in enumerate(self.options):
            self.table.setRowHidden(r, not matches(o, text))

    def _count(self) -> None:
        marks = list(self.marks().values())
        self.counts.setText("　".join(f"{a} {marks.count(a)} 名" for a in ev.ATTENDANCE))

    def save(self) -> bool:
        raw = {"record_date": self.record_date.text(), "title": self.title_edit.text(),
               "detail": self.detail.text(), "marks": self.marks()}
        batch = self.roll.batch_id if self.roll else None
        return self.run_save(lambda: duty_service.save_session(self.ctx, raw, batch))


class TrainingDialog(_Form):
    """A training session: date, topic, kind, and the attendees ticked in a list searched by pinyin."""

    def __init__(self, ctx: Context, training: TrainingRow | None = None,
                 parent: QWidget | None = None):
        super().__init__("培训" if training is None else f"培训：{training.topic}", parent)
        self.ctx = ctx
        self.training = training
        self.resize(640, 720)
        self.held_on = _date_edit()
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
        self.attendees = DeputyChecklist(activity_service.deputy_options(ctx), multi=True)
        self.attendees.list.setMinimumHeight(260)
        for label, w, key in (("培训日期", self.held_on, "held_on"), ("培训主题", self.topic, "topic"),
                              ("类型", self.kind, "kind"), ("组织单位", self.organiser, "organiser"),
                              ("地点", self.place, "place"), ("学时", self.hours, "hours"),
                              ("备注", self.note, "note"), ("参加代表", self.attendees, "deputy_ids")):
            self.add_row(label, w, key)
        buttons = _buttons(self)
        buttons.accepted.connect(self.save)
        lay = QVBoxLayout(self)
        lay.addWidget(self.general_error)
        lay.addLayout(self.form, 1)
        lay.addWidget(buttons)
        if training is not None:
            self.held_on.setText(training.held_on)
            self.topic.setText(training.topic)
            self.kind.setCurrentIndex(max(0, self.kind.findData(training.kind)))
            self.organiser.setText(training.organiser)
            self.place.setText(training.place)
            self.hours.setText(training.hours)
            self.note.setText(training.note)
            self.attendees.set_checked(list(training.deputy_ids))
        else:
            self.held_on.setText(dt.date.today().isoformat())

    def values(self) -> dict:
        return {"held_on": self.held_on.text(), "topic": self.topic.text(), "kind": self.kind.currentData(),
                "organiser": self.organiser.text(), "place": self.place.text(), "hours": self.hours.text(),
                "note": self.note.text(), "deputy_ids": self.attendees.checked_ids()}

    def save(self) -> bool:
        tid = self.training.id if self.training else None
        return self.run_save(lambda: duty_service.save_training(self.ctx, self.values(), tid))


class PeriodDialog(_Form):
    """A new evaluation period; the quick buttons fill in a quarter or the year."""

    def __init__(self, ctx: Context, parent: QWidget | None = None):
        super().__init__("新建考评期间", parent)
        self.ctx = ctx
        self.name = QLineEdit()
        self.name.setPlaceholderText("不填则自动命名，如“2026年第一季度”")
        self.kind = QComboBox()
        for k in ev.PERIOD_KINDS:
            self.kind.addItem(k, k)
        self.date_from = _date_edit()
        self.date_to = _date_edit()
        quick = QHBoxLayout()
        today = dt.date.today()
        year, quarter = ev.quarter_of(today)
        last = (year - 1, 4) if quarter == 1 else (year, quarter - 1)
        for text, (a, b), kind in (("本季度", ev.quarter_bounds(year, quarter), "季度"),
                                   ("上季度", ev.quarter_bounds(*last), "季度"),
                                   ("本年度", (f"{year}-01-01", f"{year}-12-31"), "年度")):
            btn = QPushButton(text)
            btn.clicked.connect(lambda _c=False, a=a, b=b, k=kind: self._fill(a, b, k))
            quick.addWidget(btn)
        quick.addStretch(1)
        box = QWidget()
        box.setLayout(quick)
        self.add_row("快速填写", box)
        self.add_row("名称", self.name, "name")
        self.add_row("类型", self.kind, "kind")
        self.add_row("起始日期", self.date_from, "date_from")
        self.add_row("截止日期", self.date_to, "date_to")
        buttons = _buttons(self, "新建")
        buttons.accepted.connect(self.save)
        lay = QVBoxLayout(self)
        lay.addWidget(self.general_error)
        lay.addLayout(self.form)
        lay.addWidget(buttons)

    def _fill(self, a: str, b: str, kind: str) -> None:
        self.date_from.setText(a)
        self.date_to.setText(b)
        self.kind.setCurrentIndex(self.kind.findData(kind))

    def save(self) -> bool:
        raw = {"name": self.name.text(), "kind": self.kind.currentData(), "date_from": self.date_from.text(),
               "date_to": self.date_to.text()}
        return self.run_save(lambda: eval_service.create_period(self.ctx, raw))


# ================================================================== the records behind a number

class SourcesDialog(QDialog):
    """The records behind one number (or a deputy's whole file); Enter or double-click opens one."""

    def __init__(self, title: str, summary: str, refs: list[tuple[str, SourceRef]], opener: Callable[[SourceRef], None],
                 parent: QWidget | None = None):
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
        buttons = QDialogButtonBox()
        self.open_button = buttons.addButton("打开记录", QDialogButtonBox.ButtonRole.ActionRole)
        self.open_button.clicked.connect(self.open_selected)
        self.open_button.setEnabled(bool(refs))
        close = buttons.addButton("关闭", QDialogButtonBox.ButtonRole.RejectRole)
        close.clicked.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addWidget(label)
        lay.addWidget(self.table, 1)
        lay.addWidget(buttons)

    def open_selected(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        if rows:
            self.open_ref(rows[0].row())

    def open_ref(self, row: int) -> None:
        self.opener(self.refs[row])


def open_source(page: QWidget, ctx: Context, ref: SourceRef) -> QWidget | None:
    """Open the record behind a number in its own form (or page); returns the form, if one opened."""
    try:
        if ref.kind == "duty":
            record = duty_service.get_record(ctx, ref.id)
            if record.batch_id:
                dlg: QDialog = SessionDialog(ctx, duty_service.get_session_roll(ctx, record.batch_id), page)
            else:
                dlg = RecordDialog(ctx, record, page)
        elif ref.kind == "training":
            dlg = TrainingDialog(ctx, duty_service.get_training(ctx, ref.id), page)
        elif ref.kind == "visit":
            from congress_desktop.visits import service as visit_service
            from ui.pages.visits import VisitForm

            dlg = VisitForm(ctx, visit_service.get_visit(ctx, ref.id), page)
        elif ref.kind == "opinion":
            from ui.pages.opinions import OpinionDialog

            dlg = OpinionDialog(ctx, ref.id, page)
        elif ref.kind == "vote":
            win = common.main_window(page)
            if win is None:
                return None
            votes = win.show_page("votes")
            if hasattr(votes, "reload_sessions"):
                votes.reload_sessions(ref.id)
                votes.tabs.setCurrentWidget(votes.setup)
            return votes
        else:
            return None
    except CongressError as e:
        ui_errors.show_error(page, e)
        return None
    widgets.exec_modal(dlg)
    return dlg


# ================================================================== the evaluation table

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
            if i is not None:
                return self.evaluation.items[i].label
            return self.TAIL[section - len(self.FIXED) - len(self.evaluation.items)]
        if role == Qt.ItemDataRole.ToolTipRole and i is not None:
            h = self.evaluation.items[i]
            return f"{h.label}：{h.rule}（{ev.SOURCES[h.source].hint}）"
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or self.evaluation is None or index.row() >= len(self.rows):
            return None
        r = self.rows[index.row()]
        col = index.column()
        i = self.item_column(col)
        if role == ROW_ROLE:
            return r
        if role == Qt.ItemDataRole.DisplayRole:
            if col == 0:
                return str(r.rank)
            if col == 1:
                return r.name if r.status == IN_OFFICE else f"{r.name}（{r.status}）"
            if col == 2:
                return r.village_name
            if col == 3:
                return r.total
            if col == 4:
                return r.grade
            if i is not None:
                return r.items[i].points
            tail = self.TAIL[col - len(self.FIXED) - len(self.evaluation.items)]
            return {"基础分": r.base, "选民测评": r.rating.summary if r.rating else "",
                    "提醒事项": r.flags_label}[tail]
        if role == Qt.ItemDataRole.ToolTipRole:
            if i is not None:
                c = r.items[i]
                text = f"{c.label}：{c.count} 次，{c.points} 分"
                if c.capped:
                    text += f"（按次累计 {c.raw} 分，已达上限）"
                return text + ("\n单击查看这些记录" if c.count else "")
            if col == 1:
                return "双击查看该代表的全部履职记录"
        if role == Qt.ItemDataRole.TextAlignmentRole and (i is not None or col in (0, 3)
                                                           or self.headerData(col, Qt.Orientation.Horizontal)
                                                           == "基础分"):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ForegroundRole:
            if ev.FLAG_QUALIFICATION in r.flags or (r.flags and (col in (3, 4) or col >= len(self.FIXED)
                                                                  + len(self.evaluation.items))):
                return QBrush(RED)
            if i is not None and r.items[i].count == 0:
                return QBrush(GREY)
        if role == Qt.ItemDataRole.FontRole and (col == 3 or (i is not None and r.items[i].count)):
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
        self.last_task: tasks.TaskHandle | None = None
        self.last_dialog: QDialog | None = None
        self.period_box = QComboBox()
        self.period_box.setObjectName("periodBox")
        self.period_box.setMinimumWidth(260)
        # sized by a length, not by its longest entry: a long period name pushed the row past a small window
        self.period_box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.period_box.setMinimumContentsLength(14)
        self.date_from = _date_edit("起始日期")
        self.date_to = _date_edit("截止日期")
        self.compute_button = QPushButton("计算")
        self.compute_button.clicked.connect(self.compute)
        self.new_period_button = QPushButton("新建期间…")
        self.new_period_button.clicked.connect(self.new_period)
        self.close_button = QPushButton("关闭期间")
        self.close_button.setToolTip("关闭后：本期固定按当前考评办法版本计算，本期的履职记录和培训不能再修改")
        self.close_button.clicked.connect(self.close_period)
        self.reopen_button = QPushButton("重新打开")
        self.reopen_button.setToolTip("重新打开后可以更正记录；本期仍按关闭时的考评办法版本计算")
        self.reopen_button.clicked.connect(self.reopen_period)
        top = QHBoxLayout()
        top.addWidget(QLabel("考评期间"))
        top.addWidget(self.period_box, 2)
        top.addWidget(self.date_from)
        top.addWidget(QLabel("至"))
        top.addWidget(self.date_to)
        top.addWidget(self.compute_button)
        top.addStretch(1)
        # the period's own buttons sit beside its description: in one row with the dates they did not
        # fit a 1024-pixel window and ran over the period list
        period_row = QHBoxLayout()
        self.info = QLabel()
        self.info.setObjectName("evaluationInfo")
        self.info.setWordWrap(True)
        self.warning = _error_label()
        self.model = EvaluationModel(self)
        self.table = _table(QTableView())
        self.table.setObjectName("evaluationTable")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectItems)
        self.table.setModel(self.model)
        self.table.clicked.connect(self.cell_clicked)
        self.table.doubleClicked.connect(self.cell_double_clicked)
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
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 6, 0, 0)
        lay.addLayout(top)
        period_row.addWidget(self.info, 1)
        period_row.addWidget(self.new_period_button)
        period_row.addWidget(self.close_button)
        period_row.addWidget(self.reopen_button)
        lay.addLayout(period_row)
        lay.addWidget(self.warning)
        lay.addWidget(self.table, 1)
        lay.addLayout(bottom)
        self.period_box.currentIndexChanged.connect(self._period_chosen)
        self.reload_periods()

    # ------------------------------------------------------------ periods
    def reload_periods(self, select_id: str | None = None) -> None:
        current = select_id if select_id is not None else self.period_box.currentData()
        periods = eval_service.list_periods(self.ctx)
        self.period_box.blockSignals(True)
        self.period_box.clear()
        for p in periods:
            self.period_box.addItem(p.label, p.id)
        self.period_box.addItem("自定义期间（填写起止日期）", "")
        index = self.period_box.findData(current) if current is not None else -1
        if index < 0:  # the newest period already over, else the newest
            today = dt.date.today().isoformat()
            done = [i for i, p in enumerate(periods) if p.date_to < today and p.kind == "季度"]
            index = done[0] if done else 0
        self.period_box.setCurrentIndex(index)
        self.period_box.blockSignals(False)
        self._period_chosen()

    def current_period(self) -> PeriodRow | None:
        pid = self.period_box.currentData()
        return eval_service.get_period(self.ctx, pid) if pid else None

    def select_period(self, period_id: str) -> None:
        self.period_box.setCurrentIndex(self.period_box.findData(period_id))

    def _period_chosen(self) -> None:
        p = self.current_period()
        custom = p is None
        for w in (self.date_from, self.date_to, self.compute_button):
            w.setEnabled(custom)
        if p is not None:
            self.date_from.setText(p.date_from)
            self.date_to.setText(p.date_to)
        self.close_button.setEnabled(p is not None and not p.closed)
        self.reopen_button.setEnabled(p is not None and p.closed)
        self.compute()

    # ------------------------------------------------------------ the table
    def compute(self) -> Evaluation | None:
        p = self.current_period()
        try:
            if p is not None:
                e = eval_service.evaluate_period(self.ctx, p.id)
            else:
                e = eval_service.evaluate(self.ctx, self.date_from.text(), self.date_to.text())
        except CongressError as e:
            self.warning.set_error(e.message)
            self.model.set_evaluation(None)
            self.evaluation = None
            return None
        self.evaluation = e
        self.model.set_evaluation(e)
        self.table.resizeColumnsToContents()
        for col in range(self.model.columnCount()):
            self.table.setColumnWidth(col, min(max(self.table.columnWidth(col), 44), 150))
        state = ("本期已关闭" if e.period and e.period.closed else "本期进行中" if e.period else "自定义期间")
        grades = "，".join(f"{k} {n} 名" for k, n in e.grade_counts)
        self.info.setText(f"{e.title}（{e.date_from} 至 {e.date_to}）：{state}，{e.scheme_note}。"
                          f"共 {len(e.rows)} 名代表；{grades}；需要提醒 {len(e.remind)} 名。")
        self.warning.set_error("关闭后记录有变动，得分与关闭时不同：" + "；".join(e.changed_since_close)
                               if e.changed_since_close else "")
        return e

    def cell_clicked(self, index: QModelIndex) -> SourcesDialog | None:
        i = self.model.item_column(index.column())
        if i is None or self.evaluation is None:
            return None
        r = self.model.rows[index.row()]
        return self.show_sources(r.deputy_id, self.evaluation.items[i].source)

    def cell_double_clicked(self, index: QModelIndex) -> SourcesDialog | None:
        if index.column() < len(EvaluationModel.FIXED):
            return self.show_file(self.model.rows[index.row()].deputy_id)
        return None

    def show_sources(self, deputy_id: str, source: str) -> SourcesDialog | None:
        e = self.evaluation
        row = e.row(deputy_id) if e else None
        cell = row.cell(source) if row else None
        if cell is None or not cell.count:
            return None
        summary = f"{row.name}　{cell.label}：{cell.count} 次，{cell.points} 分"
        if cell.capped:
            summary += f"（按次累计 {cell.raw} 分，已达本项上限）"
        dlg = SourcesDialog(f"{row.name} · {cell.label}", summary, [(cell.label, r) for r in cell.refs],
                            self.open_ref, self)
        self.last_dialog = dlg
        widgets.exec_modal(dlg)
        return dlg

    def show_file(self, deputy_id: str) -> SourcesDialog | None:
        e = self.evaluation
        if e is None:
            return None
        try:
            f = eval_service.duty_file(self.ctx, deputy_id, e.date_from, e.date_to)
        except CongressError as err:
            ui_errors.show_error(self, err)
            return None
        s = f.score
        summary = f"{f.deputy.name}　{f.period_name}" + (f"：总分 {s.total}，第 {s.rank} 名，{s.grade}" if s else "")
        summary += "　" + "，".join(f"{label} {n}" for _src, label, n in f.counts)
        dlg = SourcesDialog(f"履职档案：{f.deputy.name}", summary, [(x.category, x.ref) for x in f.entries],
                            self.open_ref, self)
        self.last_dialog = dlg
        widgets.exec_modal(dlg)
        return dlg

    def open_ref(self, ref: SourceRef) -> QWidget | None:
        opened = open_source(self, self.ctx, ref)
        if isinstance(opened, QDialog) and opened.result() == QDialog.DialogCode.Accepted:
            self.compute()
        return opened

    def selected_row(self) -> EvaluationRow | None:
        idx = self.table.currentIndex()
        return self.model.rows[idx.row()] if idx.isValid() and idx.row() < len(self.model.rows) else None

    # ------------------------------------------------------------ periods: new, close, reopen
    def new_period(self) -> PeriodDialog:
        dlg = PeriodDialog(self.ctx, self)
        if widgets.exec_modal(dlg) == QDialog.DialogCode.Accepted and dlg.saved:
            self.reload_periods(dlg.saved.id)
            widgets.show_status(self, f"已新建考评期间“{dlg.saved.name}”")
        return dlg

    def close_period(self) -> None:
        p = self.current_period()
        if p is None or p.closed:
            return
        scheme = eval_service.current_scheme(self.ctx)
        if not widgets.ask_yes_no(self, "关闭考评期间",
                                  f"关闭“{p.name}”？\n\n关闭后本期固定按考评办法{scheme.label}计算，以后修改考评办法"
                                  "不影响本期；本期日期内的履职记录和培训将不能再新增、修改或删除（可重新打开）。"):
            return
        try:
            eval_service.close_period(self.ctx, p.id)
        except CongressError as e:
            ui_errors.show_error(self, e)
            return
        self.reload_periods(p.id)
        widgets.show_status(self, f"已关闭“{p.name}”")

    def reopen_period(self) -> None:
        p = self.current_period()
        if p is None or not p.closed:
            return
        if not widgets.ask_yes_no(self, "重新打开考评期间",
                                  f"重新打开“{p.name}”以更正记录？本期仍按关闭时的考评办法第 {p.scheme_number} 版计算。"):
            return
        try:
            eval_service.reopen_period(self.ctx, p.id)
        except CongressError as e:
            ui_errors.show_error(self, e)
            return
        self.reload_periods(p.id)

    # ------------------------------------------------------------ paper and spreadsheet
    def print_notice(self) -> tasks.TaskHandle | None:
        e = self.evaluation
        if e is None:
            return None
        out = common.printout_path(self.ctx, f"履职情况通报-{e.title}")
        ctx, period_id = self.ctx, e.period.id if e.period else None

        def work(progress, cancel):
            return report_service.print_duty_notice(ctx, out, e.date_from, e.date_to, period_id=period_id,
                                                  progress=progress, cancel=cancel)

        self.last_task = tasks.run_task(self, "正在生成履职情况通报", work,
                                        on_success=lambda _pages: common.open_file(out))
        return self.last_task

    def print_file(self) -> tasks.TaskHandle | None:
        e, r = self.evaluation, self.selected_row()
        if e is None or r is None:
            widgets.show_status(self, "请先在表中选中一位代表")
            return None
        out = common.printout_path(self.ctx, f"履职档案-{r.name}-{e.title}")
        ctx = self.ctx

        def work(progress, cancel):
            return report_service.print_duty_file(ctx, r.deputy_id, e.date_from, e.date_to, out, progress=progress,
                                                cancel=cancel)

        self.last_task = tasks.run_task(self, "正在生成履职档案", work, on_success=lambda _p: common.open_file(out))
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
        self.last_task = tasks.run_task(
            self, "正在导出考评表", lambda progress, cancel: report_service.export_evaluation(ctx, e, out, progress=progress,
                                                                                    cancel=cancel),
            on_success=lambda n: widgets.show_status(self, f"已导出 {n} 名代表到 {out}"))
        return self.last_task


# ================================================================== records and trainings

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
        self.search = QLineEdit()
        self.search.setPlaceholderText("搜索：代表姓名、拼音首字母、事项…")
        self.search.setClearButtonEnabled(True)
        self.kind = QComboBox()
        self.kind.addItem("全部类型", "")
        for k in ev.RECORD_KINDS:
            self.kind.addItem(k, k)
        self.date_from = _date_edit("起始日期")
        self.date_to = _date_edit("截止日期")
        self.count = QLabel()
        self.error = _error_label()
        for w in (self.search, self.date_from, self.date_to):
            w.returnPressed.connect(self.reload)
        self.search.textChanged.connect(self.reload)
        self.kind.currentIndexChanged.connect(self.reload)
        self.model = RecordModel()
        self.table = _table(QTableView())
        self.table.setObjectName("recordTable")
        self.table.setModel(self.model)
        self.table.doubleClicked.connect(lambda _i: self.edit_record())
        for col, w in enumerate((95, 80, 110, 320, 70)):
            self.table.setColumnWidth(col, w)
        buttons = QHBoxLayout()
        for text, slot in (("新增记录…", self.new_record), ("登记人代会出席…", self.new_session),
                           ("编辑…", self.edit_record), ("删除", self.delete_record)):
            b = QPushButton(text)
            b.clicked.connect(lambda _c=False, s=slot: s())
            buttons.addWidget(b)
        buttons.addStretch(1)
        filters = QHBoxLayout()
        filters.addWidget(self.search, 3)
        filters.addWidget(self.kind, 1)
        filters.addWidget(QLabel("日期"))
        filters.addWidget(self.date_from)
        filters.addWidget(QLabel("至"))
        filters.addWidget(self.date_to)
        filters.addWidget(self.count)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 6, 0, 0)
        lay.addLayout(buttons)
        lay.addLayout(filters)
        lay.addWidget(self.error)
        lay.addWidget(self.table, 1)
        self.reload()

    def reload(self) -> None:
        q = duty_service.RecordQuery(kind=self.kind.currentData() or "", date_from=self.date_from.text().strip(),
                                     date_to=self.date_to.text().strip(), text=self.search.text())
        try:
            rows = duty_service.query_records(self.ctx, q, 0, 2000)
        except CongressError as e:
            self.error.set_error(e.message)
            return
        self.error.set_error("")
        self.model.set_rows(rows)
        self.count.setText(f"共 {len(rows)} 条" + ("（显示前 2000 条）" if len(rows) == 2000 else ""))

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

    def edit_record(self) -> QDialog | None:
        r = self.selected()
        if r is None:
            return None
        dlg = open_source(self, self.ctx, SourceRef("duty", r.id, r.record_date, r.title))
        if isinstance(dlg, QDialog):
            self._after(dlg, "已保存")
        return dlg

    def delete_record(self) -> None:
        r = self.selected()
        if r is None:
            return
        if not widgets.ask_yes_no(self, "删除履职记录", f"删除 {r.record_date} {r.deputy_name} 的“{r.title}”？"):
            return
        try:
            duty_service.delete_record(self.ctx, r.id)
        except CongressError as e:
            ui_errors.show_error(self, e)
            return
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
        self.model = TrainingModel()
        self.table = _table(QTableView())
        self.table.setObjectName("trainingTable")
        self.table.setModel(self.model)
        self.table.doubleClicked.connect(lambda _i: self.edit_training())
        for col, w in enumerate((95, 100, 320, 70, 160)):
            self.table.setColumnWidth(col, w)
        buttons = QHBoxLayout()
        for text, slot in (("新增培训…", self.new_training), ("编辑…", self.edit_training),
                           ("删除", self.delete_training)):
            b = QPushButton(text)
            b.clicked.connect(lambda _c=False, s=slot: s())
            buttons.addWidget(b)
        buttons.addStretch(1)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 6, 0, 0)
        lay.addLayout(buttons)
        lay.addWidget(self.table, 1)
        self.reload()

    def reload(self) -> None:
        self.model.set_rows(duty_service.list_trainings(self.ctx))

    def selected(self) -> TrainingRow | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.row(rows[0].row()) if rows else None

    def new_training(self) -> TrainingDialog:
        dlg = TrainingDialog(self.ctx, None, self)
        if widgets.exec_modal(dlg) == QDialog.DialogCode.Accepted:
            self.reload()
            self.changed.emit()
        return dlg

    def edit_training(self) -> TrainingDialog | None:
        t = self.selected()
        if t is None:
            return None
        dlg = TrainingDialog(self.ctx, t, self)
        if widgets.exec_modal(dlg) == QDialog.DialogCode.Accepted:
            self.reload()
            self.changed.emit()
        return dlg

    def delete_training(self) -> None:
        t = self.selected()
        if t is None or not widgets.ask_yes_no(self, "删除培训", f"删除 {t.held_on}“{t.topic}”及其参加名单？"):
            return
        try:
            duty_service.delete_training(self.ctx, t.id)
        except CongressError as e:
            ui_errors.show_error(self, e)
            return
        self.reload()
        self.changed.emit()


# ================================================================== the scheme editor

class SchemeTab(QWidget):
    """Edit the scheme: items (what is counted, points per occurrence, cap), base points, the most a
    deputy can score, grade bands. Saving adds a new version; closed periods keep theirs."""

    changed = Signal()
    SOURCE_KEYS = list(ev.SOURCES)

    def __init__(self, ctx: Context, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.versions = QComboBox()
        self.versions.setObjectName("schemeVersions")
        self.versions.currentIndexChanged.connect(self._version_chosen)
        self.base = QLineEdit()
        self.base.setMaximumWidth(90)
        self.max_total = QLineEdit()
        self.max_total.setMaximumWidth(90)
        self.max_total.setPlaceholderText("不设")
        self.items = QTableWidget(0, 4)
        self.items.setObjectName("schemeItems")
        self.items.setHorizontalHeaderLabels(["计分内容", "项目名称", "每次分值（扣分填负数）", "本期上限"])
        self.items.verticalHeader().setVisible(False)
        self.items.horizontalHeader().setStretchLastSection(True)
        for col, w in enumerate((200, 160, 160)):
            self.items.setColumnWidth(col, w)
        self.bands = QTableWidget(0, 2)
        self.bands.setObjectName("schemeBands")
        self.bands.setHorizontalHeaderLabels(["等次", "分数下限（达到即为该等次；最后一档不填）"])
        self.bands.verticalHeader().setVisible(False)
        self.bands.horizontalHeader().setStretchLastSection(True)
        self.bands.setMaximumHeight(150)
        self.note = QLineEdit()
        self.note.setPlaceholderText("修改说明，如“建议议案每件改为 4 分”")
        self.error = _error_label()
        self.error.setObjectName("schemeError")
        self.save_button = QPushButton("保存为新版本")
        self.save_button.setObjectName("saveScheme")
        self.save_button.clicked.connect(self.save)
        add_item = QPushButton("添加项目")
        add_item.clicked.connect(lambda: self.add_item_row("training", "", "1", ""))
        del_item = QPushButton("删除选中项目")
        del_item.clicked.connect(lambda: self._remove_selected(self.items))
        add_band = QPushButton("添加等次")
        add_band.clicked.connect(lambda: self.add_band_row("", ""))
        del_band = QPushButton("删除选中等次")
        del_band.clicked.connect(lambda: self._remove_selected(self.bands))
        head = QHBoxLayout()
        head.addWidget(QLabel("查看版本"))
        head.addWidget(self.versions, 1)
        head.addWidget(QLabel("基础分"))
        head.addWidget(self.base)
        head.addWidget(QLabel("满分"))
        head.addWidget(self.max_total)
        item_buttons = QHBoxLayout()
        item_buttons.addWidget(add_item)
        item_buttons.addWidget(del_item)
        item_buttons.addStretch(1)
        item_buttons.addWidget(add_band)
        item_buttons.addWidget(del_band)
        foot = QHBoxLayout()
        foot.addWidget(self.note, 1)
        foot.addWidget(self.save_button)
        explain = QLabel("每位代表得分 = 基础分 + 各项得分（每项按次数 × 每次分值，不超过本期上限；单条记录可另填单项分值），"
                         "总分在 0 与满分之间。保存后，进行中的期间立即按新版本计算；已关闭的期间仍按关闭时的版本计算。")
        explain.setWordWrap(True)
        explain.setObjectName("muted")
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 6, 0, 0)
        lay.addLayout(head)
        lay.addWidget(explain)
        lay.addWidget(self.items, 3)
        lay.addLayout(item_buttons)
        lay.addWidget(self.bands, 1)
        lay.addWidget(self.error)
        lay.addLayout(foot)
        self.reload()

    def reload(self, select_id: str | None = None) -> None:
        rows = eval_service.list_schemes(self.ctx)
        self.versions.blockSignals(True)
        self.versions.clear()
        for i, r in enumerate(rows):
            self.versions.addItem(f"{r.label}（{r.created}）{'【现行】' if i == 0 else ''} {r.note}", r.id)
        self.versions.setCurrentIndex(max(0, self.versions.findData(select_id)) if select_id else 0)
        self.versions.blockSignals(False)
        self._version_chosen()

    def _version_chosen(self) -> None:
        sid = self.versions.currentData()
        if sid:
            self.load(eval_service.get_scheme(self.ctx, sid).scheme)

    def load(self, scheme: ev.Scheme) -> None:
        self.base.setText(ev.fmt(scheme.base))
        self.max_total.setText(ev.fmt(scheme.max_total))
        self.items.setRowCount(0)
        for i in scheme.items:
            self.add_item_row(i.source, i.label, ev.fmt(i.points), ev.fmt(i.cap))
        self.bands.setRowCount(0)
        for b in scheme.bands:
            self.add_band_row(b.label, ev.fmt(b.min_points))
        self.error.set_error("")

    def add_item_row(self, source: str, label: str, points: str, cap: str) -> int:
        r = self.items.rowCount()
        self.items.insertRow(r)
        combo = QComboBox()
        for key in self.SOURCE_KEYS:
            combo.addItem(ev.SOURCES[key].label, key)
            combo.setItemData(combo.count() - 1, ev.SOURCES[key].hint, Qt.ItemDataRole.ToolTipRole)
        combo.setCurrentIndex(max(0, combo.findData(source)))
        self.items.setCellWidget(r, 0, combo)
        name = QTableWidgetItem(label or ev.SOURCES[source].label)
        self.items.setItem(r, 1, name)
        defaults = {x.label for x in ev.SOURCES.values()}

        def follow(_i: int, name: QTableWidgetItem = name, combo: QComboBox = combo) -> None:
            if not name.text().strip() or name.text() in defaults:  # a name the user typed stays
                name.setText(ev.SOURCES[combo.currentData()].label)

        combo.currentIndexChanged.connect(follow)
        self.items.setItem(r, 2, QTableWidgetItem(points))
        self.items.setItem(r, 3, QTableWidgetItem(cap))
        return r

    def add_band_row(self, label: str, low: str) -> int:
        r = self.bands.rowCount()
        self.bands.insertRow(r)
        self.bands.setItem(r, 0, QTableWidgetItem(label))
        self.bands.setItem(r, 1, QTableWidgetItem(low))
        return r

    def set_item_points(self, source: str, points: str, cap: str | None = None) -> None:
        """Type a weight into the row of ``source`` (what a user does in the table)."""
        for r in range(self.items.rowCount()):
            if self.items.cellWidget(r, 0).currentData() == source:
                self.items.item(r, 2).setText(points)
                if cap is not None:
                    self.items.item(r, 3).setText(cap)
                return
        raise KeyError(source)

    @staticmethod
    def _text(table: QTableWidget, r: int, c: int) -> str:
        item = table.item(r, c)
        return item.text() if item is not None else ""

    @staticmethod
    def _remove_selected(table: QTableWidget) -> None:
        rows = sorted({i.row() for i in table.selectedIndexes()}, reverse=True)
        if not rows and table.currentRow() >= 0:
            rows = [table.currentRow()]
        for r in rows:
            table.removeRow(r)

    def values(self) -> dict:
        items = [{"source": self.items.cellWidget(r, 0).currentData(), "label": self._text(self.items, r, 1),
                  "points": self._text(self.items, r, 2), "cap": self._text(self.items, r, 3)}
                 for r in range(self.items.rowCount())]
        bands = [{"label": self._text(self.bands, r, 0), "min": self._text(self.bands, r, 1)}
                 for r in range(self.bands.rowCount())]
        return {"base": self.base.text(), "max_total": self.max_total.text(), "items": items, "bands": bands}

    def save(self) -> SchemeRow | None:
        try:
            before = eval_service.current_scheme(self.ctx)
            row = eval_service.save_scheme(self.ctx, self.values(), self.note.text())
        except FieldErrors as e:
            self.error.set_error("；".join(e.errors.values()))
            return None
        except CongressError as e:
            self.error.set_error(e.message)
            return None
        self.error.set_error("")
        self.note.clear()
        self.reload(row.id)
        if row.id == before.id:
            widgets.show_status(self, "考评办法没有变化，未保存新版本")
        else:
            widgets.show_status(self, f"已保存为考评办法{row.label}：进行中的期间按新版本计算，已关闭的期间不变")
            self.changed.emit()
        return row


# ================================================================== voter ratings

class RatingsTab(QWidget):
    """选民测评 of a period: votes typed per deputy (称职 / 基本称职 / 不称职), the result beside."""

    COLS = ("姓名", "所在村(社区)", "称职", "基本称职", "不称职", "结果")
    changed = Signal()

    def __init__(self, ctx: Context, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.period_box = QComboBox()
        self.period_box.setObjectName("ratingPeriod")
        self.period_box.currentIndexChanged.connect(self.load)
        self.table = QTableWidget(0, len(self.COLS))
        self.table.setObjectName("ratingTable")
        self.table.setHorizontalHeaderLabels(list(self.COLS))
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.itemChanged.connect(self._edited)
        self.error = _error_label()
        self.save_button = QPushButton("保存测评结果")
        self.save_button.clicked.connect(self.save)
        top = QHBoxLayout()
        top.addWidget(QLabel("考评期间"))
        top.addWidget(self.period_box, 1)
        top.addWidget(self.save_button)
        note = QLabel("填写各代表的测评票数（称职 / 基本称职 / 不称职）。称职票达到 80% 为称职，50%~80% 为基本称职，"
                      "不足 50% 为不称职。三项都清空即删除该代表的测评结果。已关闭期间的测评结果不能修改。")
        note.setWordWrap(True)
        note.setObjectName("muted")
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 6, 0, 0)
        lay.addLayout(top)
        lay.addWidget(note)
        lay.addWidget(self.error)
        lay.addWidget(self.table, 1)
        self.ids: list[str] = []
        self.saved_values: dict[str, tuple[str, str, str]] = {}
        self.reload_periods()

    def reload_periods(self) -> None:
        current = self.period_box.currentData()
        self.period_box.blockSignals(True)
        self.period_box.clear()
        for p in eval_service.list_periods(self.ctx):
            self.period_box.addItem(p.label, p.id)
        self.period_box.setCurrentIndex(max(0, self.period_box.findData(current)))
        self.period_box.blockSignals(False)
        self.load()

    def load(self) -> None:
        pid = self.period_box.currentData()
        self.table.blockSignals(True)
        self.table.setRowCount(0)
        self.ids = []
        self.saved_values = {}
        if pid:
            p = eval_service.get_period(self.ctx, pid)
            ratings = {r.deputy_id: r for r in eval_service.list_ratings(self.ctx, pid)}
            options = activity_service.deputy_options(self.ctx, p.date_from, p.date_to)
            self.table.setRowCount(len(options))
            for row, o in enumerate(options):
                r = ratings.get(o.id)
                values = (str(r.competent), str(r.basic), str(r.incompetent)) if r else ("", "", "")
                self.saved_values[o.id] = values
                self.ids.append(o.id)
                for col, text in enumerate((o.name, o.village_name, *values, r.summary if r else "")):
                    item = QTableWidgetItem(text)
                    if col not in (2, 3, 4) or p.closed:
                        item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
                    self.table.setItem(row, col, item)
            self.save_button.setEnabled(not p.closed)
        self.table.blockSignals(False)

    def _edited(self, item: QTableWidgetItem) -> None:
        if item.column() in (2, 3, 4):
            self.table.item(item.row(), 5).setText("（未保存）")

    def set_votes(self, deputy_id: str, competent: str, basic: str, incompetent: str) -> None:
        row = self.ids.index(deputy_id)
        for col, text in zip((2, 3, 4), (competent, basic, incompetent), strict=True):
            self.table.item(row, col).setText(text)

    def save(self) -> int:
        pid = self.period_box.currentData()
        if not pid:
            return 0
        saved, problems = 0, []
        for row, did in enumerate(self.ids):
            values = tuple(self.table.item(row, c).text().strip() for c in (2, 3, 4))
            if values == self.saved_values.get(did):
                continue
            name = self.table.item(row, 0).text()
            try:
                if not any(values):
                    eval_service.delete_rating(self.ctx, pid, did)
                else:
                    eval_service.set_rating(self.ctx, pid, did, values)
                saved += 1
            except CongressError as e:
                problems.append(f"{name}：{e.message}")
        self.error.set_error("；".join(problems))
        self.load()
        if saved:
            self.changed.emit()
            widgets.show_status(self, f"已保存 {saved} 名代表的测评结果")
        return saved


# ================================================================== the page

class DutyPage(QWidget):
    def __init__(self, ctx: Context, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("dutyPage")
        self.evaluation = EvaluationTab(ctx)
        self.records = RecordsTab(ctx)
        self.trainings = TrainingTab(ctx)
        self.scheme = SchemeTab(ctx)
        self.ratings = RatingsTab(ctx)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.evaluation, "考评")
        self.tabs.addTab(self.records, "履职记录")
        self.tabs.addTab(self.trainings, "培训")
        self.tabs.addTab(self.scheme, "考评办法")
        self.tabs.addTab(self.ratings, "选民测评")
        self._stale = False
        for tab in (self.records, self.trainings, self.scheme, self.ratings):
            tab.changed.connect(self._mark_stale)
        self.tabs.currentChanged.connect(self._tab_changed)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.tabs)

    def _mark_stale(self) -> None:
        self._stale = True

    def _tab_changed(self, _index: int) -> None:
        if self.tabs.currentWidget() is self.evaluation and self._stale:
            self._stale = False
            self.evaluation.reload_periods()
        elif self.tabs.currentWidget() is self.ratings:
            self.ratings.reload_periods()

    def on_activated(self) -> None:
        """Coming back from another page: visits, opinions or roll calls may have changed."""
        self.evaluation.reload_periods()
        self.records.reload()
        self.trainings.reload()

    def initial_focus(self) -> QWidget:
        return self.evaluation.period_box
