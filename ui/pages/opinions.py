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
from pathlib import Path

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QAction, QBrush, QColor, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
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
    QTableView,
    QTableWidget,
    QTableWidgetItem,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from congress_desktop.core.context import Context
from congress_desktop.core.errors import CongressError, FieldErrors
from congress_desktop.deputies import service as deputy_service
from congress_desktop.places import units as unit_service
from congress_desktop.places.villages import list_villages
from congress_desktop.visits import attachments as att_service
from congress_desktop.visits import opinions as opinion_service
from congress_desktop.visits import service as visit_service
from congress_desktop.visits.opinion_rules import ACTIONS, MEETING_STAGES, RATINGS, REPLY_KINDS, Step
from congress_desktop.visits.opinion_rules import opinion_number as referral_number
from congress_desktop.visits.opinions import OpinionDetail, OpinionQuery, OpinionRow
from ui import errors as ui_errors
from ui import tasks, widgets
from ui.pages import visits_common as common
from ui.pages.visits_common import PagedModel

log = logging.getLogger(__name__)

SEARCH_DELAY_MS = 300
OVERDUE_BG = QColor("#fde2e1")
OVERDUE_FG = QColor("#b3261e")
SOON_BG = QColor("#fff3cd")
ERROR_STYLE = "color: #c0392b;"


def _error_label() -> widgets.FieldError:
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
        self.error = _error_label()
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

    def save(self) -> bool:
        try:
            self.saved = opinion_service.update_opinion(self.ctx, self.row.id, {
                "content": self.content.toPlainText(), "category_id": self.category.currentData(),
                "village_id": self.village.currentData(), "raised_by": self.raised_by.text(),
                "key_item": self.key_item.isChecked(), "reported_up": self.reported_up.isChecked()})
        except CongressError as e:
            self.error.set_error(e.message)
            return False
        self.accept()
        return True


class NewOpinionDialog(QDialog):
    """登记意见建议 that did not come from a recorded visit: raised in a grid visit, at the congress
    session, between sessions, found by an unannounced visit. (Opinions from a visit are entered with
    the visit.) After ``accept()`` the stored opinion is in ``self.saved``."""

    SOURCES = tuple(s for s in opinion_service.SOURCES if s != "接待")

    def __init__(self, ctx: Context, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.saved: OpinionDetail | None = None
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
        for d in deputy_service.query_deputies(ctx, deputy_service.DeputyQuery(status="在任"), 0, None):
            self.lead_deputy.addItem(d.name, d.id)
        widgets.find_as_you_type(self.lead_deputy)
        self.key_item = QCheckBox("重点件")
        self.reported_up = QCheckBox("上报市人大")
        self.error = _error_label()
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

    def save(self) -> bool:
        deputy_id = self.lead_deputy_id()
        deputy_error = {} if deputy_id is not None else {
            "lead_deputy_id": f"没有名为“{self.lead_deputy.currentText().strip()}”的代表，请从列表中选择"}
        try:
            self.saved = opinion_service.create_opinion(self.ctx, {
                "source": self.source.currentData(), "raised_on": self.raised_on.text(),
                "content": self.content.toPlainText(), "category_id": self.category.currentData(),
                "village_id": self.village.currentData(), "raised_by": self.raised_by.text(),
                "raised_phone": self.raised_phone.text(), "lead_deputy_id": deputy_id or "",
                "key_item": self.key_item.isChecked(), "reported_up": self.reported_up.isChecked()},
                extra_errors=deputy_error)
        except CongressError as e:
            self.error.set_error(e.message)
            return False
        self.accept()
        return True


# ================================================================== the opinion dialog

class OpinionDialog(QDialog):
    """One opinion: what it says, where it stands, the steps allowed now, the three meetings, history."""

    def __init__(self, ctx: Context, opinion_id: str, parent: QWidget | None = None, *, from_visit: bool = False):
        super().__init__(parent)
        self.ctx = ctx
        self.opinion_id = opinion_id
        self.from_visit = from_visit
        self.changed = False
        self.setObjectName("opinionDialog")
        self.resize(860, 720)

        self.title = widgets.heading("", level=2)
        self.state_label = QLabel()
        self.state_label.setObjectName("opinionState")
        self.deadline_label = QLabel()
        self.deadline_label.setObjectName("opinionDeadline")
        self.error = _error_label()
        self.error.setObjectName("opinionError")
        self.info = QLabel()
        self.info.setWordWrap(True)
        self.info.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.info.setTextFormat(Qt.TextFormat.RichText)

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

        self.events = QListWidget()
        self.events.setObjectName("opinionEvents")
        events_box = QGroupBox("办理过程")
        elay = QVBoxLayout(events_box)
        elay.addWidget(self.events)

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

    # ------------------------------------------------------------------ show
    def reload(self) -> None:
        self.detail = d = opinion_service.get_opinion(self.ctx, self.opinion_id)
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
    def take_step(self, action: str) -> bool:
        assert self.detail is not None
        step = ask_step(self, self.ctx, action, self.detail)
        if step is None:
            return False
        try:
            opinion_service.act_on_opinion(self.ctx, self.opinion_id, step)
        except CongressError as e:
            self.error.set_error(e.message)
            return False
        self.error.set_error("")
        self.changed = True
        self.reload()
        widgets.show_status(self.parentWidget(), f"已{ACTIONS[action].label}")
        return True

    def edit_meeting(self, stage: str) -> bool:
        assert self.detail is not None
        values = ask_meeting(self, stage, self.detail.meeting(stage))
        if values is None:
            return False
        try:
            opinion_service.save_meeting(self.ctx, self.opinion_id, stage, values)
        except FieldErrors as e:
            self.error.set_error("；".join(e.errors.values()))
            return False
        except CongressError as e:
            self.error.set_error(e.message)
            return False
        self.error.set_error("")
        self.changed = True
        self.reload()
        return True

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
        from ui.pages.visits import VisitForm

        try:
            visit = visit_service.get_visit(self.ctx, self.detail.row.visit_id)
        except CongressError as e:
            ui_errors.show_error(self, e)
            return
        form = VisitForm(self.ctx, visit, self)
        if widgets.exec_modal(form) == QDialog.DialogCode.Accepted:
            self.changed = True
        try:
            self.reload()
        except CongressError:  # the opinion was removed with the visit edit
            self.reject()

    def print_referral(self) -> tasks.TaskHandle:
        out = common.printout_path(self.ctx, "意见建议交办单")
        ctx, oid = self.ctx, self.opinion_id
        return tasks.run_task(self, "正在生成交办单", lambda p, c: opinion_service.print_referral(ctx, oid, out),
                              on_success=lambda _pages: common.open_file(out))

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

class UnitForm(QDialog):
    def __init__(self, ctx: Context, unit=None, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.unit = unit
        self.saved = None
        self.setWindowTitle(f"编辑承办单位：{unit.name}" if unit else "新增承办单位")
        self.name = QLineEdit(unit.name if unit else "")
        self.kind = QComboBox()
        self.kind.addItems(["", *unit_service.UNIT_KINDS])
        self.kind.setCurrentText(unit.kind if unit else "")
        self.contact = QLineEdit(unit.contact_person if unit else "")
        self.phone = QLineEdit(unit.phone if unit else "")
        self.address = QLineEdit(unit.address if unit else "")
        self.note = QLineEdit(unit.note if unit else "")
        self.active = QCheckBox("在用（停用后不能再交办给该单位，已交办的不受影响）")
        self.active.setChecked(unit.active if unit else True)
        self.errors = {k: _error_label() for k in ("name", "kind", "phone")}
        self.general = _error_label()
        form = QFormLayout()
        for label, key, w in (("单位名称 *", "name", self.name), ("类型", "kind", self.kind),
                              ("联系人", None, self.contact), ("联系电话", "phone", self.phone),
                              ("地址", None, self.address), ("备注", None, self.note)):
            if key:
                box = QWidget()
                bl = QVBoxLayout(box)
                bl.setContentsMargins(0, 0, 0, 0)
                bl.addWidget(w)
                bl.addWidget(self.errors[key])
                form.addRow(label, box)
            else:
                form.addRow(label, w)
        form.addRow("", self.active)
        buttons, _ = widgets.ok_cancel_buttons(self, "保存", self.save)
        lay = QVBoxLayout(self)
        lay.addWidget(self.general)
        lay.addLayout(form)
        lay.addWidget(buttons)

    def save(self) -> bool:
        for e in (*self.errors.values(), self.general):
            e.set_error("")
        raw = {"name": self.name.text(), "kind": self.kind.currentText(), "contact_person": self.contact.text(),
               "phone": self.phone.text(), "address": self.address.text(), "note": self.note.text(),
               "active": self.active.isChecked()}
        try:
            self.saved = unit_service.save_unit(self.ctx, raw, self.unit.id if self.unit else None)
        except FieldErrors as e:
            for k, msg in e.errors.items():
                (self.errors.get(k) or self.general).set_error(msg)
            return False
        except CongressError as e:
            (self.errors.get(e.field or "") or self.general).set_error(e.message)
            return False
        self.accept()
        return True


class UnitsDialog(QDialog):
    """承办单位: the registry of handling units with their contact person."""

    def __init__(self, ctx: Context, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle("承办单位")
        self.resize(820, 460)
        self.table = QTableWidget(0, 7)
        self.table.setHorizontalHeaderLabels(["单位名称", "类型", "联系人", "联系电话", "承办件数", "未办结", "状态"])
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.doubleClicked.connect(lambda _i: self.edit())
        buttons = QHBoxLayout()
        for text, slot in (("新增…", self.add), ("编辑…", self.edit), ("删除", self.delete)):
            b = QPushButton(text)
            b.clicked.connect(slot)
            buttons.addWidget(b)
        buttons.addStretch(1)
        close = QPushButton("关闭")
        close.clicked.connect(self.accept)
        buttons.addWidget(close)
        lay = QVBoxLayout(self)
        lay.addWidget(self.table, 1)
        lay.addLayout(buttons)
        self.units: list = []
        self.reload()

    def reload(self) -> None:
        self.units = unit_service.list_units(self.ctx, counts=True)
        self.table.setRowCount(len(self.units))
        for i, u in enumerate(self.units):
            for j, v in enumerate((u.name, u.kind, u.contact_person, u.phone, str(u.total_count), str(u.open_count),
                                   "在用" if u.active else "停用")):
                self.table.setItem(i, j, QTableWidgetItem(v))

    def selected(self):
        rows = self.table.selectionModel().selectedRows()
        return self.units[rows[0].row()] if rows else None

    def add(self) -> None:
        dlg = UnitForm(self.ctx, None, self)
        if widgets.exec_modal(dlg) == QDialog.DialogCode.Accepted:
            self.reload()

    def edit(self) -> None:
        u = self.selected()
        if u is not None and widgets.exec_modal(UnitForm(self.ctx, u, self)) == QDialog.DialogCode.Accepted:
            self.reload()

    def delete(self) -> None:
        u = self.selected()
        if u is None or not widgets.ask_yes_no(self, "删除承办单位", f"确定删除“{u.name}”吗？"):
            return
        try:
            unit_service.delete_unit(self.ctx, u.id)
        except CongressError as e:
            ui_errors.show_error(self, e)
        self.reload()


class CategoriesDialog(QDialog):
    """意见类别: the office's own list (seeded with the common categories)."""

    def __init__(self, ctx: Context, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle("意见类别")
        self.resize(420, 420)
        self.list = QListWidget()
        self.name = QLineEdit()
        self.name.setPlaceholderText("类别名称")
        self.hint = QLineEdit()
        self.hint.setPlaceholderText("说明（可不填），如 水电路气厕网购")
        self.error = _error_label()
        row = QHBoxLayout()
        for text, slot in (("添加", self.add), ("改名", self.rename), ("停用/启用", self.toggle), ("删除", self.delete)):
            b = QPushButton(text)
            b.clicked.connect(slot)
            row.addWidget(b)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.button(QDialogButtonBox.StandardButton.Close).setText("关闭")
        close.rejected.connect(self.accept)
        lay = QVBoxLayout(self)
        lay.addWidget(self.list, 1)
        lay.addWidget(self.name)
        lay.addWidget(self.hint)
        lay.addWidget(self.error)
        lay.addLayout(row)
        lay.addWidget(close)
        self.list.currentRowChanged.connect(self._chosen)
        self.categories: list = []
        self.reload()

    def reload(self) -> None:
        self.categories = opinion_service.list_categories(self.ctx, include_inactive=True)
        self.list.clear()
        for c in self.categories:
            self.list.addItem(c.label + ("（已停用）" if not c.active else ""))

    def _chosen(self, row: int) -> None:
        if 0 <= row < len(self.categories):
            self.name.setText(self.categories[row].name)
            self.hint.setText(self.categories[row].hint)

    def _run(self, fn) -> None:
        try:
            fn()
            self.error.set_error("")
        except CongressError as e:
            self.error.set_error(e.message)
        self.reload()

    def add(self) -> None:
        self._run(lambda: opinion_service.save_category(self.ctx, {"name": self.name.text(), "hint": self.hint.text()}))

    def rename(self) -> None:
        c = self._current()
        if c:
            self._run(lambda: opinion_service.save_category(
                self.ctx, {"name": self.name.text(), "hint": self.hint.text(), "active": c.active}, c.id))

    def toggle(self) -> None:
        c = self._current()
        if c:
            self._run(lambda: opinion_service.save_category(
                self.ctx, {"name": c.name, "hint": c.hint, "active": not c.active}, c.id))

    def delete(self) -> None:
        c = self._current()
        if c:
            self._run(lambda: opinion_service.delete_category(self.ctx, c.id))

    def _current(self):
        row = self.list.currentRow()
        return self.categories[row] if 0 <= row < len(self.categories) else None


class PeriodDialog(QDialog):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("办理情况汇总表")
        today = dt.date.today()
        self.date_from = QLineEdit(today.replace(month=1, day=1).isoformat())
        self.date_to = QLineEdit(today.isoformat())
        form = QFormLayout()
        form.addRow("提出日期从", self.date_from)
        form.addRow("到", self.date_to)
        buttons, _ = widgets.ok_cancel_buttons(self, "生成 PDF", self.accept)
        lay = QVBoxLayout(self)
        lay.addLayout(form)
        lay.addWidget(QLabel("按状态、类别和承办单位统计该期间提出的意见建议。"))
        lay.addWidget(buttons)


# ================================================================== the list page

class OpinionTableModel(PagedModel):
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
        self.count_label = QLabel()
        self.count_label.setObjectName("opinionCount")
        self.filter_error = _error_label()
        self._fill_choices()

        self._timer = widgets.search_as_you_type(self, (self.search, self.date_from, self.date_to),
                                                 self.apply_filters, SEARCH_DELAY_MS)
        for combo in (self.state, self.category, self.unit, self.village, self.deputy):
            combo.currentIndexChanged.connect(self.apply_filters)
        for box in (self.overdue, self.due_soon):
            box.toggled.connect(self.apply_filters)

        self.model = OpinionTableModel(self._fetch, self)
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
        self.apply_filters()

    def _action(self, text: str, slot, shortcut, tip: str) -> QAction:
        return widgets.toolbar_action(self, self.toolbar, text, slot, shortcut, tip)

    def _fill_choices(self) -> None:
        combos = (self.category, self.unit, self.village, self.deputy)
        kept = [c.currentData() for c in combos]
        for c in combos:
            c.blockSignals(True)
            c.clear()
        self.category.addItem("全部类别", "")
        for c in opinion_service.list_categories(self.ctx, include_inactive=True):
            self.category.addItem(c.name, c.id)
        self.unit.addItem("全部承办单位", "")
        for u in unit_service.list_units(self.ctx):
            self.unit.addItem(u.name, u.id)
        self.village.addItem("全部村(社区)", "")
        for v in list_villages(self.ctx):
            self.village.addItem(v.name, v.id)
        self.deputy.addItem("全部代表", "")
        for d in deputy_service.query_deputies(self.ctx, deputy_service.DeputyQuery(), 0, None):
            self.deputy.addItem(d.name, d.id)
        widgets.find_as_you_type(self.deputy)
        for c, value in zip(combos, kept, strict=True):
            c.setCurrentIndex(max(c.findData(value), 0))
            c.blockSignals(False)

    # ------------------------------------------------------------------ hooks
    def initial_focus(self) -> QWidget:
        return self.search

    def on_activated(self) -> None:
        self._fill_choices()
        self.apply_filters()

    def show_filtered(self, *, state: str = "", overdue: bool = False, due_soon: bool = False, date_from: str = "",
                      date_to: str = "", text: str = "", rated: bool = False, visit_id: str = "",
                      visit_label: str = "") -> None:
        """Set every filter at once (home page figures, a visit's opinions) and show the list."""
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

    def _fetch(self, offset: int, limit: int) -> list[OpinionRow]:
        return opinion_service.query_opinions(self.ctx, self._query, offset, limit)

    def apply_filters(self) -> None:
        self._timer.stop()
        self._query = self.current_query()
        self._generation += 1
        try:
            self.model.reload()
        except CongressError as e:
            self.filter_error.set_error(e.message)
            return
        self.filter_error.set_error("")
        if self.model.total is not None:  # the whole list fits in the first page
            self.count_label.setText(f"共 {self.model.total} 条")
            return
        # the first page is shown; the total arrives when counted (it may take longer on a big database)
        self.count_label.setText(f"{self.model.rowCount()}+ 条，正在统计…")
        generation, ctx, query = self._generation, self.ctx, self._query
        self.last_task = tasks.run_task(self, "正在统计", lambda p, c: opinion_service.count_opinions(ctx, query),
                                        on_success=lambda n: self._counted(generation, n),
                                        show_after_ms=24 * 3600 * 1000)

    def _counted(self, generation: int, n: int) -> None:
        if generation == self._generation:
            self.model.set_total(n)
            self.count_label.setText(f"共 {n} 条")

    def _update_actions(self) -> None:
        o = self.selected()
        for a in (self.detail_action, self.referral_action):
            a.setEnabled(o is not None)
        self.visit_action.setEnabled(o is not None and bool(o.visit_id))

    def selected(self) -> OpinionRow | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.row(rows[0].row()) if rows else None

    def select_opinion(self, opinion_id: str) -> bool:
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
        self.apply_filters()  # the user's filters stay; the new row is selected if they show it
        self.select_opinion(dlg.saved.row.id)
        return self.open_opinion(dlg.saved.row.id)

    def open_selected(self, index: QModelIndex | None = None) -> OpinionDialog | None:
        o = self.model.row(index.row()) if isinstance(index, QModelIndex) and index.isValid() else self.selected()
        if o is None:
            return None
        return self.open_opinion(o.id)

    def open_opinion(self, opinion_id: str) -> OpinionDialog | None:
        try:
            dlg = OpinionDialog(self.ctx, opinion_id, self)
        except CongressError as e:
            ui_errors.show_error(self, e)
            self.apply_filters()
            return None
        widgets.exec_modal(dlg)
        if dlg.changed:
            self.apply_filters()
            self.select_opinion(opinion_id)
        return dlg

    def open_visit(self) -> None:
        o = self.selected()
        if o is None or not o.visit_id:
            return
        from ui.pages.visits import VisitForm

        try:
            visit = visit_service.get_visit(self.ctx, o.visit_id)
        except CongressError as e:
            ui_errors.show_error(self, e)
            return
        if widgets.exec_modal(VisitForm(self.ctx, visit, self)) == QDialog.DialogCode.Accepted:
            self.apply_filters()

    def print_referral(self) -> tasks.TaskHandle | None:
        o = self.selected()
        if o is None:
            return None
        out = common.printout_path(self.ctx, f"交办单-{referral_number(o.seq, o.raised_on)}")
        ctx = self.ctx
        self.last_task = tasks.run_task(self, "正在生成交办单",
                                        lambda p, c: opinion_service.print_referral(ctx, o.id, out),
                                        on_success=lambda _n: common.open_file(out))
        return self.last_task

    def print_summary(self) -> tasks.TaskHandle | None:
        dlg = PeriodDialog(self)
        if widgets.exec_modal(dlg) != QDialog.DialogCode.Accepted:
            return None
        start, end = dlg.date_from.text(), dlg.date_to.text()
        out = common.printout_path(self.ctx, "意见建议办理情况汇总表")
        ctx = self.ctx
        self.last_task = tasks.run_task(self, "正在生成汇总表",
                                        lambda p, c: opinion_service.print_opinion_summary(
                                            ctx, out, start, end, progress=p, cancel=c),
                                        on_success=lambda _n: common.open_file(out))
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

        self.last_task = tasks.run_task(
            self, "正在导出意见建议",
            lambda progress, cancel: opinion_service.export_opinions(ctx, target, query, progress=progress,
                                                                     cancel=cancel),
            on_success=done)
        return self.last_task

    def show_units(self) -> None:
        widgets.exec_modal(UnitsDialog(self.ctx, self))
        self._fill_choices()

    def show_categories(self) -> None:
        widgets.exec_modal(CategoriesDialog(self.ctx, self))
        self._fill_choices()

