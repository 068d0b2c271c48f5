"""The small forms of one opinion: a handling step (交办, 答复, 测评, 办结…), a face-to-face meeting, the
correction of its description, and an opinion registered outside a visit.

Each is a ``ui.forms.FormDialog``: its choice lists are read on the database worker (the OK button waits
for them), it saves there too (``run_save``), and when the core refuses it stays open with what was typed
and the reason under the field it names (or in its top line). After ``accept()`` the stored opinion is in
``saved``: an ``OpinionView`` for a step or a meeting, an ``OpinionDetail`` for the other two."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from congress_desktop.core.context import Context
from congress_desktop.deputies import service as deputy_service
from congress_desktop.deputies.rules import IN_OFFICE
from congress_desktop.places import units as unit_service
from congress_desktop.places.villages import list_villages
from congress_desktop.visits import attachments as att_service
from congress_desktop.visits import opinions as opinion_service
from congress_desktop.visits.opinion_rules import ACTIONS, RATINGS, REPLY_KINDS, Step
from congress_desktop.visits.opinion_rules import opinion_number as referral_number
from congress_desktop.visits.opinions import MeetingRow, OpinionDetail, OpinionRow
from congress_desktop.visits.rows import AttachmentRow
from ui import tasks, widgets
from ui.forms import FormDialog
from ui.operations import db_op
from ui.pages import visits_common as common
from ui.pages.visit_rows import ERROR_STYLE

log = logging.getLogger(__name__)

Items = list[tuple[str, str]]  # (text, id) of a choice list


@dataclass(frozen=True)
class OpinionView:
    """What the opinion dialog shows: the opinion and its attachments (read together on the worker)."""

    detail: OpinionDetail
    attachments: tuple[AttachmentRow, ...]


def read_view(ctx: Context, opinion_id: str, detail: OpinionDetail | None = None) -> OpinionView:
    """Runs on the database worker: ``detail`` is the opinion a step just returned (else read here)."""
    d = detail if detail is not None else opinion_service.get_opinion(ctx, opinion_id)
    return OpinionView(d, tuple(att_service.list_attachments(ctx, "opinion", opinion_id)))


class _OpinionForm(FormDialog):
    """A FormDialog laid out as: top line, rows, OK/取消; OK waits for the choice lists."""

    def __init__(self, title: str, ok_text: str, parent: QWidget | None = None):
        super().__init__(title, parent)
        self.general_error.setStyleSheet(ERROR_STYLE)
        self.error = self.general_error  # the form's top line (the core's message when it names no field)
        self.choices_task: tasks.TaskHandle | None = None
        self.buttons, self.ok_button = widgets.ok_cancel_buttons(self, ok_text, self.save)

    def lay_out(self, *above: QWidget) -> None:
        lay = QVBoxLayout(self)
        for w in above:
            lay.addWidget(w)
        lay.addWidget(self.general_error)
        lay.addLayout(self.form)
        lay.addWidget(self.buttons)

    def load_choices(self, work, show) -> tasks.TaskHandle:
        """``work()`` on the database worker, then ``show(result)``; OK is enabled once they are in."""
        self.ok_button.setEnabled(False)

        def done(result) -> None:
            show(result)
            self.ok_button.setEnabled(True)

        self.choices_task = db_op(self, work, done, title="正在读取")
        return self.choices_task

    def save(self) -> tasks.TaskHandle | None:
        raise NotImplementedError


# ================================================================== a handling step

class StepDialog(_OpinionForm):
    """The parameters of one handling step: date, and what the step needs (unit and deadline, reply kind
    and text, rating, reason). It takes the step itself (``act_on_opinion`` on the worker)."""

    def __init__(self, ctx: Context, action: str, detail: OpinionDetail, parent: QWidget | None = None):
        a = ACTIONS[action]
        o = detail.row
        super().__init__(f"{a.label}：{referral_number(o.seq, o.raised_on)}", a.label, parent)
        self.ctx = ctx
        self.action = action
        self.opinion_id = o.id
        self.saved: OpinionView | None = None
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
        self.form.addRow(QLabel(o.summary))
        self.add_row(f"{a.label}日期", self.on, "on")
        self._step_rows(o)
        self.lay_out()

    def _step_rows(self, o: OpinionRow) -> None:
        action = self.action
        if action in ("assign", "reassign"):
            self.add_row("承办单位", self.unit, "unit_id")
            self.add_row("协办单位", self.assist, "assist_units")
            self.add_row("办理期限", self.deadline, "deadline")
            self.form.addRow("", self.complex)
            if action == "reassign":
                self.deadline.setPlaceholderText(f"不填：保持 {o.deadline}")
            ctx, current = self.ctx, o.unit_id
            self.load_choices(
                lambda: [(u.name + (f"（{u.contact_person}）" if u.contact_person else ""), u.id)
                         for u in unit_service.list_units(ctx, include_inactive=False)],
                lambda items: common.fill_combo(self.unit, items, current))
        elif action in ("answer", "spot"):
            self.add_row("答复类型", self.kind, "kind")
            self.add_row("答复内容", self.text, "text")
        elif action == "rate":
            self.add_row("测评结果", self.rating, "rating")
            self.add_row("测评人", self.by, "by")
        elif action == "return":
            self.add_row("退回原因", self.text, "text")
            self.add_row("新办理期限", self.deadline, "deadline")
        elif action == "fulfil":
            self.add_row("落实情况", self.text, "text")

    def step(self) -> Step:
        return Step(self.action, on=self.on.text(), unit_id=self.unit.currentData() or "",
                    assist_units=self.assist.text(), deadline=self.deadline.text(),
                    complex=self.complex.isChecked() if self.action in ("assign", "reassign", "return") else None,
                    kind=self.kind.currentText(), text=self.text.toPlainText(), rating=self.rating.currentText(),
                    by=self.by.text())

    def save(self) -> tasks.TaskHandle:
        """Take the step on the database worker (``self.save_task``): closes when taken, else says why."""
        ctx, oid, step = self.ctx, self.opinion_id, self.step()
        return self.run_save(common.by_field(
            lambda: read_view(ctx, oid, opinion_service.act_on_opinion(ctx, oid, step))))


class MeetingDialog(_OpinionForm):
    """One of the three face-to-face meetings (办前 / 办中 / 办后), saved on the worker."""

    def __init__(self, ctx: Context, opinion_id: str, stage: str, current: MeetingRow | None,
                 parent: QWidget | None = None):
        super().__init__(f"{stage}面对面", "保存", parent)
        self.ctx = ctx
        self.opinion_id = opinion_id
        self.stage = stage
        self.saved: OpinionView | None = None
        self.meet_on = QLineEdit(current.meet_on if current else common.today_text())
        self.participants = QLineEdit(current.participants if current else "")
        self.participants.setPlaceholderText("代表、群众、承办单位人员")
        self.notes = QPlainTextEdit(current.notes if current else "")
        self.add_row("日期", self.meet_on, "meet_on")
        self.add_row("参加人员", self.participants, "participants")
        self.add_row("情况记录", self.notes, "notes")
        self.lay_out()

    def values(self) -> dict:
        return {"meet_on": self.meet_on.text(), "participants": self.participants.text(),
                "notes": self.notes.toPlainText()}

    def save(self) -> tasks.TaskHandle:
        ctx, oid, stage, values = self.ctx, self.opinion_id, self.stage, self.values()
        return self.run_save(common.by_field(
            lambda: read_view(ctx, oid, opinion_service.save_meeting(ctx, oid, stage, values))))


# ================================================================== the description of an opinion

def _flags(*boxes: QCheckBox) -> QWidget:
    box = QWidget()
    lay = QHBoxLayout(box)
    lay.setContentsMargins(0, 0, 0, 0)
    for b in boxes:
        lay.addWidget(b)
    return box


class OpinionEditDialog(_OpinionForm):
    """Correct the description of an opinion (its handling moves only by steps)."""

    def __init__(self, ctx: Context, row: OpinionRow, parent: QWidget | None = None):
        super().__init__("修改意见建议", "保存", parent)
        self.ctx = ctx
        self.row = row
        self.saved: OpinionDetail | None = None
        self.content = QPlainTextEdit(row.content)
        self.category = QComboBox()
        self.village = QComboBox()
        self.raised_by = QLineEdit(row.raised_by)
        self.key_item = QCheckBox("重点件")
        self.key_item.setChecked(row.key_item)
        self.reported_up = QCheckBox("上报市人大")
        self.reported_up.setChecked(row.reported_up)
        self.form.addRow("意见内容", self.content)
        self.form.addRow("类别", self.category)
        self.form.addRow("所在村(社区)", self.village)
        self.form.addRow("提出人", self.raised_by)
        self.form.addRow("", _flags(self.key_item, self.reported_up))
        self.lay_out()

        def work() -> tuple[Items, Items]:
            return ([(c.name, c.id) for c in opinion_service.list_categories(ctx, include_inactive=True)],
                    [(v.name, v.id) for v in list_villages(ctx)])

        def show(lists: tuple[Items, Items]) -> None:
            common.fill_combo(self.category, lists[0], row.category_id)
            common.fill_combo(self.village, lists[1], row.village_id or "", first=("", ""))

        self.load_choices(work, show)

    def save(self) -> tasks.TaskHandle:
        """Save on the database worker (``self.save_task``); closes when stored, else says why."""
        ctx, oid = self.ctx, self.row.id
        raw = {"content": self.content.toPlainText(), "category_id": self.category.currentData(),
               "village_id": self.village.currentData(), "raised_by": self.raised_by.text(),
               "key_item": self.key_item.isChecked(), "reported_up": self.reported_up.isChecked()}
        return self.run_save(lambda: opinion_service.update_opinion(ctx, oid, raw))


class NewOpinionDialog(_OpinionForm):
    """登记意见建议 that did not come from a recorded visit: raised in a grid visit, at the congress
    session, between sessions, found by an unannounced visit. (Opinions from a visit are entered with
    the visit.) After ``accept()`` the stored opinion is in ``self.saved``."""

    SOURCES = tuple(s for s in opinion_service.SOURCES if s != "接待")

    def __init__(self, ctx: Context, parent: QWidget | None = None):
        super().__init__("登记意见建议", "登记", parent)
        self.ctx = ctx
        self.saved: OpinionDetail | None = None
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
        self.village = QComboBox()
        self.raised_by = QLineEdit()
        self.raised_phone = QLineEdit()
        self.lead_deputy = widgets.find_as_you_type(QComboBox())
        self.key_item = QCheckBox("重点件")
        self.reported_up = QCheckBox("上报市人大")
        self.reported_up.setVisible(ctx.require_office().role != "city")
        for label, w in (("来源", self.source), ("提出日期", self.raised_on), ("意见内容", self.content),
                         ("类别", self.category), ("所在村(社区)", self.village), ("提出人", self.raised_by),
                         ("联系电话", self.raised_phone), ("领衔代表", self.lead_deputy),
                         ("", _flags(self.key_item, self.reported_up))):
            self.form.addRow(label, w)
        self.lay_out(QLabel("接待中收集的意见建议请在“接待”里随接待记录一起登记。"))
        self.load_choices(lambda: _new_opinion_choices(ctx), self._show_choices)

    def _show_choices(self, lists: tuple[Items, Items, Items]) -> None:
        categories, villages, deputies = lists
        common.fill_combo(self.category, categories, first=("（请选择）", ""))
        common.fill_combo(self.village, villages, first=("", ""))
        common.fill_combo(self.lead_deputy, deputies, first=("", ""))

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
        return self.run_save(lambda: opinion_service.create_opinion(ctx, raw, extra_errors=deputy_error))


def _new_opinion_choices(ctx: Context) -> tuple[Items, Items, Items]:
    """Runs on the database worker: the active categories, the villages and the deputies in office."""
    return ([(c.name, c.id) for c in opinion_service.list_categories(ctx)],
            [(v.name, v.id) for v in list_villages(ctx)],
            [(d.name, d.id) for d in deputy_service.query_deputies(ctx, deputy_service.DeputyQuery(status=IN_OFFICE),
                                                                   0, None)])

