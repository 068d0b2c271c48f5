"""The dialog of one opinion: its detail (the handling steps the rules allow, the three face-to-face
meetings, attachments, history, the visit it came from). It reads the opinion on the database worker
(正在加载… until then) and every step, meeting, attachment and print runs there too; the small forms
it opens are in ui/pages/opinion_forms.py."""

from __future__ import annotations

import logging

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QDialog,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from congress_desktop.core.context import Context
from congress_desktop.core.errors import CongressError
from congress_desktop.visits import attachments as att_service
from congress_desktop.visits import opinions as opinion_service
from congress_desktop.visits import report
from congress_desktop.visits import service as visit_service
from congress_desktop.visits.opinion_rules import ACTIONS, MEETING_STAGES, refusal
from congress_desktop.visits.opinion_rules import opinion_number as referral_number
from congress_desktop.visits.opinions import OpinionDetail
from ui import errors as ui_errors
from ui import tasks, widgets
from ui.operations import db_op, print_op
from ui.pages import visits_common as common
from ui.pages.opinion_forms import MeetingDialog, OpinionEditDialog, OpinionView, StepDialog, read_view
from ui.pages.opinion_forms import NewOpinionDialog as NewOpinionDialog
from ui.pages.visit_rows import error_label as error_label

log = logging.getLogger(__name__)

OVERDUE_FG = QColor("#b3261e")


# ================================================================== the opinion dialog

class OpinionDialog(QDialog):
    """One opinion: what it says, where it stands, the steps allowed now, the three meetings, history.
    ``last_task`` is the latest work on the database worker (tests wait for it)."""

    gone = Signal()  # the opinion could not be read (removed meanwhile): said, and the dialog closed

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
        self.title.setText(common.LOADING)
        for b in (*self.step_buttons.values(), *self.meeting_buttons.values(), self.edit_button):
            b.setEnabled(False)  # until the opinion is read
        self.visit_button.setEnabled(from_visit)
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
    def reload(self, *, quiet_if_gone: bool = False) -> tasks.TaskHandle:
        """Read the opinion and its attachments on the database worker, then show them. If it is gone:
        say so (unless ``quiet_if_gone``: removed with the visit just edited), emit ``gone`` and close."""
        ctx, oid = self.ctx, self.opinion_id

        def failed(exc: BaseException) -> None:
            if not isinstance(exc, CongressError):
                ui_errors.show_error(self, exc)
                return
            if not quiet_if_gone:
                ui_errors.show_error(self, exc)
            self.gone.emit()
            self.reject()

        self.last_task = db_op(self, lambda: read_view(ctx, oid), self.show_view, title="正在读取", on_error=failed)
        return self.last_task

    def show_view(self, view: OpinionView) -> None:
        self.show_detail(view.detail)
        self.attachments.clear()
        for a in view.attachments:
            item = QListWidgetItem(f"{a.file_name}（{a.size_label}）")
            item.setData(Qt.ItemDataRole.UserRole, a.id)
            self.attachments.addItem(item)

    def show_detail(self, d: OpinionDetail) -> None:
        self.detail = d
        self.edit_button.setEnabled(True)
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
            b.setToolTip("" if key in d.allowed else (refusal(o.flow(d.last_on), key) or ""))
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

    # ------------------------------------------------------------------ steps
    def take_step(self, action: str) -> StepDialog | None:
        """Ask the step's parameters; the step dialog takes it on the database worker and stays open with
        the reason when the core refuses (ui/pages/opinion_forms.py)."""
        if self.detail is None:
            return None
        dlg = StepDialog(self.ctx, action, self.detail, self)
        if widgets.exec_modal(dlg) == QDialog.DialogCode.Accepted and dlg.saved is not None:
            self._changed_to(dlg.saved)
            widgets.show_status(self.parentWidget(), f"已{ACTIONS[action].label}")
        return dlg

    def edit_meeting(self, stage: str) -> MeetingDialog | None:
        if self.detail is None:
            return None
        dlg = MeetingDialog(self.ctx, self.opinion_id, stage, self.detail.meeting(stage), self)
        if widgets.exec_modal(dlg) == QDialog.DialogCode.Accepted and dlg.saved is not None:
            self._changed_to(dlg.saved)
        return dlg

    def _changed_to(self, view: OpinionView) -> None:
        self.error.set_error("")
        self.changed = True
        self.show_view(view)

    def edit_opinion(self) -> None:
        if self.detail is None:
            return
        dlg = OpinionEditDialog(self.ctx, self.detail.row, self)
        if widgets.exec_modal(dlg) == QDialog.DialogCode.Accepted:
            self.changed = True
            self.reload()

    # ------------------------------------------------------------------ around
    def open_visit(self) -> tasks.TaskHandle | None:
        """Back to the visit form that opened us, or read the visit on the worker and open its form."""
        if self.from_visit:
            self.accept()
            return None
        if self.detail is None or not self.detail.row.visit_id:
            return None
        ctx, visit_id = self.ctx, self.detail.row.visit_id

        def edit(visit: visit_service.VisitDetail) -> None:
            form = common.open_record("visit_form", self.ctx, visit, self)  # ui/pages/visit_form.py
            if widgets.exec_modal(form) == QDialog.DialogCode.Accepted:
                self.changed = True
            self.reload(quiet_if_gone=True)  # the opinion may have been removed with the visit edit

        self.last_task = db_op(self, lambda: visit_service.get_visit(ctx, visit_id), edit, title="正在读取")
        return self.last_task

    def print_referral(self) -> tasks.TaskHandle:
        out = common.printout_path(self.ctx, "意见建议交办单")
        ctx, oid = self.ctx, self.opinion_id
        self.last_task = print_op(self, "正在生成交办单", out, lambda p, c: report.print_referral(ctx, oid, out))
        return self.last_task

    def show_history(self) -> tasks.TaskHandle:
        ctx, oid = self.ctx, self.opinion_id
        self.last_task = common.show_history(self, ctx, "意见建议的修改记录",
                                             lambda: opinion_service.opinion_history(ctx, oid),
                                             opinion_service.FIELD_LABELS)
        return self.last_task

    def add_attachment(self) -> tasks.TaskHandle | None:
        """Copy the chosen files in on the database worker (each one hashed), then show the list again; a
        file that cannot be added is said, the others are kept."""
        paths = common.ask_open_files(self, "添加附件", common.FILE_FILTER)
        if not paths:
            return None
        ctx, oid = self.ctx, self.opinion_id

        def work() -> tuple[OpinionView, list[CongressError]]:
            refused: list[CongressError] = []
            for path in paths:
                try:
                    att_service.add_attachment(ctx, "opinion", oid, path)
                except CongressError as e:
                    refused.append(e)
            return read_view(ctx, oid), refused

        def done(result: tuple[OpinionView, list[CongressError]]) -> None:
            view, refused = result
            self.show_view(view)
            for e in refused:
                ui_errors.show_error(self, e)

        self.last_task = db_op(self, work, done, title="正在添加附件")
        return self.last_task

    def open_attachment(self) -> tasks.TaskHandle | None:
        item = self.attachments.currentItem()
        if item is None:
            return None
        self.last_task = common.open_attachment(self, self.ctx, item.data(Qt.ItemDataRole.UserRole))
        return self.last_task

    def remove_attachment(self) -> tasks.TaskHandle | None:
        item = self.attachments.currentItem()
        if item is None or not widgets.ask_yes_no(self, "移除附件", f"确定移除附件“{item.text()}”吗？"):
            return None
        ctx, oid, att_id = self.ctx, self.opinion_id, item.data(Qt.ItemDataRole.UserRole)

        def work() -> OpinionView:
            att_service.delete_attachment(ctx, att_id)
            return read_view(ctx, oid)

        self.last_task = db_op(self, work, self.show_view, title="正在移除附件")
        return self.last_task


def _html(text: str) -> str:
    return (text or "").replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
