"""The dialogs of one opinion: its detail (the handling steps the rules allow, the three face-to-face
meetings, attachments, history, the visit it came from), the small step and meeting dialogs, and the
forms that edit or add an opinion.

Seams for tests: ``ask_step`` and ``ask_meeting`` (the small parameter dialogs)."""

from __future__ import annotations

import datetime as dt
import logging

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from congress_desktop.core.context import Context
from congress_desktop.core.errors import CongressError, FieldErrors
from congress_desktop.deputies import service as deputy_service
from congress_desktop.deputies.rules import IN_OFFICE
from congress_desktop.places import units as unit_service
from congress_desktop.places.villages import list_villages
from congress_desktop.visits import attachments as att_service
from congress_desktop.visits import opinions as opinion_service
from congress_desktop.visits import report
from congress_desktop.visits import service as visit_service
from congress_desktop.visits.opinion_rules import ACTIONS, MEETING_STAGES, RATINGS, REPLY_KINDS, Step
from congress_desktop.visits.opinion_rules import opinion_number as referral_number
from congress_desktop.visits.opinions import OpinionDetail, OpinionRow
from ui import errors as ui_errors
from ui import tasks, widgets
from ui.operations import db_op, print_op
from ui.pages import visits_common as common

log = logging.getLogger(__name__)

OVERDUE_FG = QColor("#b3261e")
ERROR_STYLE = "color: #c0392b;"


def error_label() -> widgets.FieldError:
    label = widgets.FieldError()
    label.setStyleSheet(ERROR_STYLE)
    return label


# ================================================================== small dialogs (and their seams)

class StepDialog(QDialog):
    """The parameters of one handling step: date, and what the step needs (unit and deadline,
    reply kind and text, rating, reason)."""

    def __init__(self, ctx: Context, action: str, detail: OpinionDetail, parent: QWidget | None = None):
        super().__init__(parent)
        self.action = action
        a = ACTIONS[action]
        o = detail.row
        self.setWindowTitle(f"{a.label}：{referral_number(o.seq, o.raised_on)}")
        self.setMinimumWidth(480)
        self.on = QLineEdit(common.today_text())
        self.unit = QComboBox()
        self.deadline = QLineEdit()
        self.deadline.setPlaceholderText("不填：交办后 3 个月（复杂件 6 个月）")
        self.complex = QCheckBox("复杂件（办理期限 6 个月）")
        self.complex.setChecked(o.complex)
        self.assist = QLineEdit(o.assist_units)
        self.kind = QComboBox()
        self.kind.addItems(list(REPLY_KINDS))
        self.text = QPlainTextEdit()
        self.text.setMaximumHeight(90)
        self.rating = QComboBox()
        self.rating.addItems(list(RATINGS))
        self.by = QLineEdit(o.raised_by.split("、")[0] if o.raised_by else "")
        form = QFormLayout()
        form.addRow(QLabel(o.summary))
        form.addRow(f"{a.label}日期", self.on)
        if action in ("assign", "reassign"):
            for u in unit_service.list_units(ctx, include_inactive=False):
                self.unit.addItem(u.name + (f"（{u.contact_person}）" if u.contact_person else ""), u.id)
            self.unit.setCurrentIndex(max(self.unit.findData(o.unit_id), 0))
            form.addRow("承办单位", self.unit)
            form.addRow("协办单位", self.assist)
            form.addRow("办理期限", self.deadline)
            form.addRow("", self.complex)
            if action == "reassign":
                self.deadline.setPlaceholderText(f"不填：保持 {o.deadline}")
        elif action in ("answer", "spot"):
            form.addRow("答复类型", self.kind)
            form.addRow("答复内容", self.text)
        elif action == "rate":
            form.addRow("测评结果", self.rating)
            form.addRow("测评人", self.by)
        elif action == "return":
            form.addRow("退回原因", self.text)
            form.addRow("新办理期限", self.deadline)
        elif action == "fulfil":
            form.addRow("落实情况", self.text)
        buttons, _ = widgets.ok_cancel_buttons(self, a.label, self.accept)
        lay = QVBoxLayout(self)
        lay.addLayout(form)
        lay.addWidget(buttons)

    def step(self) -> Step:
        return Step(self.action, on=self.on.text(), unit_id=self.unit.currentData() or "",
                    assist_units=self.assist.text(), deadline=self.deadline.text(),
                    complex=self.complex.isChecked() if self.action in ("assign", "reassign", "return") else None,
                    kind=self.kind.currentText(), text=self.text.toPlainText(), rating=self.rating.currentText(),
                    by=self.by.text())


def ask_step(parent: QWidget, ctx: Context, action: str, detail: OpinionDetail) -> Step | None:
    """Ask for the parameters of a step; None when cancelled. Tests replace this function."""
    dlg = StepDialog(ctx, action, detail, parent)
    return dlg.step() if widgets.exec_modal(dlg) == QDialog.DialogCode.Accepted else None


class MeetingDialog(QDialog):
    def __init__(self, stage: str, current, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(f"{stage}面对面")
        self.meet_on = QLineEdit(current.meet_on if current else common.today_text())
        self.participants = QLineEdit(current.participants if current else "")
        self.participants.setPlaceholderText("代表、群众、承办单位人员")
        self.notes = QPlainTextEdit(current.notes if current else "")
        form = QFormLayout()
        form.addRow("日期", self.meet_on)
        form.addRow("参加人员", self.participants)
        form.addRow("情况记录", self.notes)
        buttons, _ = widgets.ok_cancel_buttons(self, "保存", self.accept)
        lay = QVBoxLayout(self)
        lay.addLayout(form)
        lay.addWidget(buttons)

    def values(self) -> dict:
        return {"meet_on": self.meet_on.text(), "participants": self.participants.text(),
                "notes": self.notes.toPlainText()}


def ask_meeting(parent: QWidget, stage: str, current) -> dict | None:
    dlg = MeetingDialog(stage, current, parent)
    return dlg.values() if widgets.exec_modal(dlg) == QDialog.DialogCode.Accepted else None


class OpinionEditDialog(QDialog):
    """Correct the description of an opinion (its handling moves only by steps)."""

    def __init__(self, ctx: Context, row: OpinionRow, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.row = row
        self.saved: OpinionDetail | None = None
        self.save_task: tasks.TaskHandle | None = None
        self.setWindowTitle("修改意见建议")
        self.content = QPlainTextEdit(row.content)
        self.category = QComboBox()
        for c in opinion_service.list_categories(ctx, include_inactive=True):
            self.category.addItem(c.name, c.id)
        self.category.setCurrentIndex(max(self.category.findData(row.category_id), 0))
        self.village = QComboBox()
        self.village.addItem("", "")
        for v in list_villages(ctx):
            self.village.addItem(v.name, v.id)
        self.village.setCurrentIndex(max(self.village.findData(row.village_id or ""), 0))
        self.raised_by = QLineEdit(row.raised_by)
        self.key_item = QCheckBox("重点件")
        self.key_item.setChecked(row.key_item)
        self.reported_up = QCheckBox("上报市人大")
        self.reported_up.setChecked(row.reported_up)
        self.error = error_label()
        form = QFormLayout()
        form.addRow("意见内容", self.content)
        form.addRow("类别", self.category)
        form.addRow("所在村(社区)", self.village)
        form.addRow("提出人", self.raised_by)
        flags = QHBoxLayout()
        flags.addWidget(self.key_item)
        flags.addWidget(self.reported_up)
        form.addRow("", flags)
        buttons, _ = widgets.ok_cancel_buttons(self, "保存", self.save)
        lay = QVBoxLayout(self)
        lay.addWidget(self.error)
        lay.addLayout(form)
        lay.addWidget(buttons)

    def save(self) -> tasks.TaskHandle:
        """Save on the database worker (``self.save_task``); closes when stored, else says why."""
        ctx, oid = self.ctx, self.row.id
        raw = {"content": self.content.toPlainText(), "category_id": self.category.currentData(),
               "village_id": self.village.currentData(), "raised_by": self.raised_by.text(),
               "key_item": self.key_item.isChecked(), "reported_up": self.reported_up.isChecked()}
        self.save_task = db_op(self, lambda: opinion_service.update_opinion(ctx, oid, raw), self._saved,
                               title="正在保存", on_error=lambda e: _say_refusal(self, self.error, e))
        return self.save_task

    def _saved(self, saved: OpinionDetail) -> None:
        self.saved = saved
        self.accept()


class NewOpinionDialog(QDialog):
    """登记意见建议 that did not come from a recorded visit: raised in a grid visit, at the congress
    session, between sessions, found by an unannounced visit. (Opinions from a visit are entered with
    the visit.) After ``accept()`` the stored opinion is in ``self.saved``."""

    SOURCES = tuple(s for s in opinion_service.SOURCES if s != "接待")

    def __init__(self, ctx: Context, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.saved: OpinionDetail | None = None
        self.save_task: tasks.TaskHandle | None = None
        self.setWindowTitle("登记意见建议")
        self.resize(560, 0)
        self.source = QComboBox()
        self.source.setObjectName("opinionSource")
        for src in self.SOURCES:
            self.source.addItem(src, src)
        self.raised_on = QLineEdit(dt.date.today().isoformat())
        self.raised_on.setObjectName("opinionRaisedOn")
        self.raised_on.setPlaceholderText("例如 2026-03-15")
        self.content = QPlainTextEdit()
        self.content.setObjectName("opinionContent")
        self.content.setPlaceholderText("群众或代表提出的意见建议")
        self.content.setTabChangesFocus(True)
        self.category = QComboBox()
        self.category.addItem("（请选择）", "")
        for c in opinion_service.list_categories(ctx):
            self.category.addItem(c.name, c.id)
        self.village = QComboBox()
        self.village.addItem("", "")
        for v in list_villages(ctx):
            self.village.addItem(v.name, v.id)
        self.raised_by = QLineEdit()
        self.raised_phone = QLineEdit()
        self.lead_deputy = QComboBox()
        self.lead_deputy.addItem("", "")
        for d in deputy_service.query_deputies(ctx, deputy_service.DeputyQuery(status=IN_OFFICE), 0, None):
            self.lead_deputy.addItem(d.name, d.id)
        widgets.find_as_you_type(self.lead_deputy)
        self.key_item = QCheckBox("重点件")
        self.reported_up = QCheckBox("上报市人大")
        self.error = error_label()
        form = QFormLayout()
        form.addRow("来源", self.source)
        form.addRow("提出日期", self.raised_on)
        form.addRow("意见内容", self.content)
        form.addRow("类别", self.category)
        form.addRow("所在村(社区)", self.village)
        form.addRow("提出人", self.raised_by)
        form.addRow("联系电话", self.raised_phone)
        form.addRow("领衔代表", self.lead_deputy)
        flags = QHBoxLayout()
        flags.addWidget(self.key_item)
        flags.addWidget(self.reported_up)
        self.reported_up.setVisible(ctx.require_office().role != "city")
        form.addRow("", flags)
        buttons, _ = widgets.ok_cancel_buttons(self, "登记", self.save)
        lay = QVBoxLayout(self)
        lay.addWidget(QLabel("接待中收集的意见建议请在“接待”里随接待记录一起登记。"))
        lay.addWidget(self.error)
        lay.addLayout(form)
        lay.addWidget(buttons)

    def lead_deputy_id(self) -> str | None:
        """The chosen deputy's id; '' for none; None if the typed name is no deputy's."""
        text = self.lead_deputy.currentText().strip()
        if not text:
            return ""
        i = self.lead_deputy.currentIndex()  # two deputies of one name: the one picked, not the first
        if i < 0 or self.lead_deputy.itemText(i) != text:
            i = self.lead_deputy.findText(text)
        return (self.lead_deputy.itemData(i) or "") if i >= 0 else None

    def save(self) -> tasks.TaskHandle:
        """Save on the database worker (``self.save_task``); closes when stored, else says why."""
        deputy_id = self.lead_deputy_id()
        deputy_error = {} if deputy_id is not None else {
            "lead_deputy_id": f"没有名为“{self.lead_deputy.currentText().strip()}”的代表，请从列表中选择"}
        raw = {"source": self.source.currentData(), "raised_on": self.raised_on.text(),
               "content": self.content.toPlainText(), "category_id": self.category.currentData(),
               "village_id": self.village.currentData(), "raised_by": self.raised_by.text(),
               "raised_phone": self.raised_phone.text(), "lead_deputy_id": deputy_id or "",
               "key_item": self.key_item.isChecked(), "reported_up": self.reported_up.isChecked()}
        ctx = self.ctx
        self.save_task = db_op(self, lambda: opinion_service.create_opinion(ctx, raw, extra_errors=deputy_error),
                               self._saved, title="正在保存", on_error=lambda e: _say_refusal(self, self.error, e))
        return self.save_task

    def _saved(self, saved: OpinionDetail) -> None:
        self.saved = saved
        self.accept()


def _say_refusal(parent: QWidget, label: widgets.FieldError, exc: BaseException) -> None:
    """A refused save in the form's red line (as before: the core's message); anything else the one way."""
    if isinstance(exc, CongressError):
        label.set_error(exc.message)
    else:
        ui_errors.show_error(parent, exc)


# ================================================================== the opinion dialog

class OpinionDialog(QDialog):
    """One opinion: what it says, where it stands, the steps allowed now, the three meetings, history."""

    def __init__(self, ctx: Context, opinion_id: str, parent: QWidget | None = None, *, from_visit: bool = False):
        super().__init__(parent)
        self.ctx = ctx
        self.opinion_id = opinion_id
        self.from_visit = from_visit
        self.changed = False
        self.last_task: tasks.TaskHandle | None = None
        self.setObjectName("opinionDialog")
        self.resize(860, 720)

        self.title = widgets.heading("", level=2)
        self.state_label = QLabel()
        self.state_label.setObjectName("opinionState")
        self.deadline_label = QLabel()
        self.deadline_label.setObjectName("opinionDeadline")
        self.error = error_label()
        self.error.setObjectName("opinionError")
        self.info = QLabel()
        self.info.setWordWrap(True)
        self.info.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.info.setTextFormat(Qt.TextFormat.RichText)

        steps_box, meet_box = self._steps_box(), self._meetings_box()
        self.events = QListWidget()
        self.events.setObjectName("opinionEvents")
        events_box = QGroupBox("办理过程")
        elay = QVBoxLayout(events_box)
        elay.addWidget(self.events)

        att_row, bottom = self._attachments_row(), self._bottom_row(from_visit)

        head = QHBoxLayout()
        head.addWidget(self.title)
        head.addWidget(self.state_label)
        head.addStretch(1)
        head.addWidget(self.deadline_label)
        lay = QVBoxLayout(self)
        lay.addLayout(head)
        lay.addWidget(self.error)
        lay.addWidget(self.info)
        lay.addWidget(steps_box)
        lay.addWidget(meet_box)
        lay.addWidget(events_box, 1)
        lay.addLayout(att_row)
        lay.addLayout(bottom)
        self.detail: OpinionDetail | None = None
        self.reload()

    def _steps_box(self) -> QGroupBox:
        self.step_buttons: dict[str, QPushButton] = {}
        steps = QHBoxLayout()
        for key, a in ACTIONS.items():
            b = QPushButton(a.label)
            b.setObjectName(f"step_{key}")
            b.clicked.connect(lambda _=False, k=key: self.take_step(k))
            self.step_buttons[key] = b
            steps.addWidget(b)
        steps.addStretch(1)
        steps_box = QGroupBox("办理")
        steps_box.setLayout(steps)
        return steps_box

    def _meetings_box(self) -> QGroupBox:
        self.meeting_labels: dict[str, QLabel] = {}
        self.meeting_buttons: dict[str, QPushButton] = {}
        meet_grid = QGridLayout()
        for i, stage in enumerate(MEETING_STAGES):
            meet_grid.addWidget(QLabel(f"<b>{stage}</b>"), i, 0)
            label = QLabel()
            label.setWordWrap(True)
            self.meeting_labels[stage] = label
            meet_grid.addWidget(label, i, 1)
            b = QPushButton("登记…")
            b.setObjectName(f"meeting_{stage}")
            b.clicked.connect(lambda _=False, st=stage: self.edit_meeting(st))
            self.meeting_buttons[stage] = b
            meet_grid.addWidget(b, i, 2)
        meet_grid.setColumnStretch(1, 1)
        meet_box = QGroupBox("三个面对面（办前、办中、办后与代表和群众见面沟通）")
        meet_box.setLayout(meet_grid)
        return meet_box

    def _attachments_row(self) -> QHBoxLayout:
        self.attachments = QListWidget()
        self.attachments.setMaximumHeight(64)
        self.attachments.itemDoubleClicked.connect(lambda _i: self.open_attachment())
        att_row = QHBoxLayout()
        att_row.addWidget(self.attachments, 1)
        att_col = QVBoxLayout()
        for text, slot in (("添加附件…", self.add_attachment), ("打开", self.open_attachment),
                           ("移除", self.remove_attachment)):
            b = QPushButton(text)
            b.clicked.connect(slot)
            att_col.addWidget(b)
        att_row.addLayout(att_col)
        return att_row

    def _bottom_row(self, from_visit: bool) -> QHBoxLayout:
        self.edit_button = QPushButton("修改内容…")
        self.edit_button.clicked.connect(self.edit_opinion)
        self.visit_button = QPushButton("返回接待记录" if from_visit else "打开接待记录")
        self.visit_button.setObjectName("openVisit")
        self.visit_button.clicked.connect(self.open_visit)
        self.print_button = QPushButton("打印交办单")
        self.print_button.clicked.connect(self.print_referral)
        self.history_button = QPushButton("修改记录")
        self.history_button.clicked.connect(self.show_history)
        close = QPushButton("关闭")
        close.clicked.connect(self.accept)
        bottom = QHBoxLayout()
        for b in (self.edit_button, self.visit_button, self.print_button, self.history_button):
            bottom.addWidget(b)
        bottom.addStretch(1)
        bottom.addWidget(close)
        return bottom

    # ------------------------------------------------------------------ show
    def reload(self) -> None:
        self.show_detail(opinion_service.get_opinion(self.ctx, self.opinion_id))

    def show_detail(self, d: OpinionDetail) -> None:
        self.detail = d
        o = d.row
        number = referral_number(o.seq, o.raised_on)
        self.setWindowTitle(f"意见建议 {number}")
        self.title.setText(f"意见建议 {number}")
        self.state_label.setText(o.state_label)
        self.deadline_label.setText(o.deadline_label)
        self.deadline_label.setStyleSheet(f"color: {OVERDUE_FG.name()}; font-weight: bold;" if o.overdue else
                                          "color: #9a6700;" if o.due_soon else "")

        def line(label: str, value: str) -> str:
            return f"<b>{label}</b>：{_html(value) or '—'}"

        parts = [
            line("提出", f"{o.raised_on} · {o.source} · {o.raised_by} {o.raised_phone}".strip()),
            line("所在村(社区)", o.village_name) + "　" + line("接待代表", "、".join(o.deputy_names)),
            line("类别", o.category) + ("　<b style='color:#b3261e'>重点件</b>" if o.key_item else ""),
            line("内容", o.content),
            line("承办单位", o.unit_name + (f"（协办：{o.assist_units}）" if o.assist_units else ""))
            + "　" + line("交办", o.assigned_on) + "　" + line("办理期限", o.deadline
                                                              + ("（复杂件）" if o.complex else "")),
        ]
        if o.reply_on:
            parts.append(line("答复", f"{o.reply_on}（{o.reply_kind}）{o.reply_text}"))
        if o.rating:
            parts.append(line("测评", f"{o.rated_on} {o.rating} {o.rated_by}"))
        if o.plan_done_on:
            parts.append(line("计划落实", o.plan_done_on))
        if o.closed_on:
            parts.append(line("办结", o.closed_on))
        if o.return_count:
            parts.append(line("退回重办", f"{o.return_count} 次"))
        if d.visit_label:
            parts.append(line("来自接待", d.visit_label))
        self.info.setText("<br>".join(parts))
        for key, b in self.step_buttons.items():
            b.setEnabled(key in d.allowed)
            b.setToolTip("" if key in d.allowed else (opinion_service_refusal(o, d, key) or ""))
        for stage in MEETING_STAGES:
            m = d.meeting(stage)
            self.meeting_labels[stage].setText(f"{m.meet_on}　{m.participants}　{m.notes}" if m else "（未登记）")
            self.meeting_buttons[stage].setText("修改…" if m else "登记…")
            self.meeting_buttons[stage].setEnabled(not o.on_the_spot)
        self.events.clear()
        for e in d.events:
            self.events.addItem(f"{e.on}　{e.label}　{e.from_state}→{e.to_state}　{e.detail}"
                                + (f"（{e.user}）" if e.user else ""))
        self.visit_button.setEnabled(bool(o.visit_id))
        self.attachments.clear()
        for a in att_service.list_attachments(self.ctx, "opinion", o.id):
            item = QListWidgetItem(f"{a.file_name}（{a.size_label}）")
            item.setData(Qt.ItemDataRole.UserRole, a.id)
            self.attachments.addItem(item)

    # ------------------------------------------------------------------ steps
    def take_step(self, action: str) -> tasks.TaskHandle | None:
        """Ask the step's parameters, then take it on the database worker (``self.last_task``)."""
        assert self.detail is not None
        step = ask_step(self, self.ctx, action, self.detail)
        if step is None:
            return None
        ctx, oid = self.ctx, self.opinion_id

        def done(d: OpinionDetail) -> None:
            self._changed_to(d)
            widgets.show_status(self.parentWidget(), f"已{ACTIONS[action].label}")

        self.last_task = db_op(self, lambda: opinion_service.act_on_opinion(ctx, oid, step), done,
                               title="正在办理", on_error=self._refused)
        return self.last_task

    def edit_meeting(self, stage: str) -> tasks.TaskHandle | None:
        assert self.detail is not None
        values = ask_meeting(self, stage, self.detail.meeting(stage))
        if values is None:
            return None
        ctx, oid = self.ctx, self.opinion_id
        self.last_task = db_op(self, lambda: opinion_service.save_meeting(ctx, oid, stage, values), self._changed_to,
                               title="正在保存", on_error=self._refused)
        return self.last_task

    def _changed_to(self, d: OpinionDetail) -> None:
        self.error.set_error("")
        self.changed = True
        self.show_detail(d)

    def _refused(self, exc: BaseException) -> None:
        if isinstance(exc, FieldErrors):
            self.error.set_error("；".join(exc.errors.values()))
        elif isinstance(exc, CongressError):
            self.error.set_error(exc.message)
        else:
            ui_errors.show_error(self, exc)

    def edit_opinion(self) -> None:
        assert self.detail is not None
        dlg = OpinionEditDialog(self.ctx, self.detail.row, self)
        if widgets.exec_modal(dlg) == QDialog.DialogCode.Accepted:
            self.changed = True
            self.reload()

    # ------------------------------------------------------------------ around
    def open_visit(self) -> None:
        if self.from_visit:
            self.accept()  # back to the visit form that opened us
            return
        assert self.detail is not None
        try:
            visit = visit_service.get_visit(self.ctx, self.detail.row.visit_id)
        except CongressError as e:
            ui_errors.show_error(self, e)
            return
        form = common.open_record("visit_form", self.ctx, visit, self)  # ui/pages/visit_form.py
        if widgets.exec_modal(form) == QDialog.DialogCode.Accepted:
            self.changed = True
        try:
            self.reload()
        except CongressError:  # the opinion was removed with the visit edit
            self.reject()

    def print_referral(self) -> tasks.TaskHandle:
        out = common.printout_path(self.ctx, "意见建议交办单")
        ctx, oid = self.ctx, self.opinion_id
        self.last_task = print_op(self, "正在生成交办单", out, lambda p, c: report.print_referral(ctx, oid, out))
        return self.last_task

    def show_history(self) -> None:
        entries = opinion_service.opinion_history(self.ctx, self.opinion_id)
        ids = {v for _, e in entries for pair in e.changes.values() for v in pair}
        widgets.exec_modal(common.HistoryDialog("意见建议的修改记录", entries, opinion_service.FIELD_LABELS, self,
                                                names=visit_service.names_of_ids(self.ctx, ids)))

    def add_attachment(self) -> None:
        for path in common.ask_open_files(self, "添加附件", common.FILE_FILTER):
            try:
                att_service.add_attachment(self.ctx, "opinion", self.opinion_id, path)
            except CongressError as e:
                ui_errors.show_error(self, e)
        self.reload()

    def open_attachment(self) -> None:
        item = self.attachments.currentItem()
        if item is not None:
            try:
                common.open_file(att_service.copy_for_viewing(self.ctx, item.data(Qt.ItemDataRole.UserRole)))
            except CongressError as e:
                ui_errors.show_error(self, e)

    def remove_attachment(self) -> None:
        item = self.attachments.currentItem()
        if item is not None and widgets.ask_yes_no(self, "移除附件", f"确定移除附件“{item.text()}”吗？"):
            att_service.delete_attachment(self.ctx, item.data(Qt.ItemDataRole.UserRole))
            self.reload()


def opinion_service_refusal(row: OpinionRow, detail: OpinionDetail, action: str) -> str | None:
    from congress_desktop.visits.opinion_rules import refusal

    return refusal(row.flow(detail.last_on), action)


def _html(text: str) -> str:
    return (text or "").replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# ================================================================== units and categories

