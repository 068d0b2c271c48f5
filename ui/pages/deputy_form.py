"""新增 / 编辑代表: every field of a deputy, checked by the core on 保存.

Load / check / save: the form fills itself from a ``DeputyRow``, gathers a plain dict on 保存 and hands
it to ``create_deputy`` / ``update_deputy``. The core checks everything; a ``FieldErrors`` puts each
Chinese message in red under its field and focuses the first wrong one, an ``Exists`` (duplicate)
goes under the field it names. Keyboard: Tab in reading order, Enter = 保存, Esc = 取消.
"""

from __future__ import annotations

import datetime as dt
import logging

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from congress_desktop.core.context import Context
from congress_desktop.core.errors import CongressError, Exists, FieldErrors
from congress_desktop.core.idcard import IdNumberError, parse_id_number
from congress_desktop.deputies import service as deputy_service
from congress_desktop.deputies.rows import DeputyRow
from congress_desktop.deputies.rules import (
    EDUCATION,
    ETHNICITY_DEFAULT,
    FIELD_LABELS,
    IN_OFFICE,
    LEVELS,
    POLITICAL,
    STATUSES,
)
from congress_desktop.places.villages import list_villages
from ui import errors as ui_errors
from ui import forms
from ui.forms import ErrorMap
from ui.widgets import FieldError

log = logging.getLogger(__name__)

ETHNICITIES = ("汉族", "土家族", "回族", "苗族", "满族", "蒙古族", "壮族", "藏族", "维吾尔族", "彝族", "侗族",
               "瑶族", "白族", "朝鲜族", "哈尼族", "黎族", "哈萨克族", "傣族", "畲族", "傈僳族")

# Reasons offices write; the field stays free text.
STATUS_REASONS = {
    "暂停": ("因刑事案件被羁押正在受侦查、起诉、审判", "被依法判处管制、拘役或者有期徒刑而没有附加剥夺政治权利，正在服刑"),
    "终止": ("户籍迁出本行政区域", "辞去代表职务被接受", "未经批准两次不出席本级人民代表大会会议", "被罢免",
             "丧失中华人民共和国国籍", "依照法律被剥夺政治权利", "死亡"),
}

ERROR_STYLE = "color: #c0392b;"


def make_error_label(parent: QWidget | None = None) -> FieldError:
    label = FieldError(parent)
    label.setStyleSheet(ERROR_STYLE)  # red even without the application's style sheet
    return label


def field_box(widget: QWidget, error: FieldError) -> QWidget:
    """A field with its (hidden until needed) red message right under it (ui.forms.field_box, 2 px apart)."""
    return forms.field_box(widget, error, spacing=2)


def combo_text(combo: QComboBox) -> str:
    return combo.currentText().strip()


def set_combo_text(combo: QComboBox, text: str) -> None:
    """Select ``text``; an unknown value is added (an old record may hold one) rather than lost."""
    i = combo.findText(text)
    if i < 0 and not combo.isEditable():
        combo.addItem(text)
        i = combo.count() - 1
    if i >= 0:
        combo.setCurrentIndex(i)
    else:
        combo.setEditText(text)


def today_text() -> str:
    return dt.date.today().isoformat()


class DeputyForm(QDialog):
    """The deputy edit dialog. After ``accept()`` the stored record is in ``self.saved``."""

    def __init__(self, ctx: Context, deputy: DeputyRow | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.deputy = deputy
        self.saved: DeputyRow | None = None
        self.setWindowTitle(f"编辑代表：{deputy.name}" if deputy else "新增代表")
        self.setObjectName("deputyForm")
        self.error_map = ErrorMap(make_error_label(), aliases={"village_id": "village"})
        self.errors: dict[str, FieldError] = self.error_map.labels
        self.fields: dict[str, QWidget] = {}
        self.general_error = self.error_map.general
        levels_widget = self._build_fields()
        self._build_layout(levels_widget)
        self.id_number.textChanged.connect(self._fill_from_id_number)
        self.status.currentTextChanged.connect(self._status_changed)
        self.load(deputy)
        self.name.setFocus(Qt.FocusReason.OtherFocusReason)

    def _build_fields(self) -> QWidget:
        """The widgets, in keyboard order; returns the box of level check boxes."""
        ctx = self.ctx
        self.name = QLineEdit()
        self.name.setMaxLength(30)
        self.name.setPlaceholderText("必填")
        self.id_number = QLineEdit()
        self.id_number.setMaxLength(24)
        self.id_number.setPlaceholderText("18 位，可不填；填写后自动带出性别和出生年月")
        self.gender = QComboBox()
        self.gender.addItems(["", "男", "女"])
        self.birth_date = QLineEdit()
        self.birth_date.setPlaceholderText("如 1975-03 或 1975-03-05")
        self.ethnicity = QComboBox()
        self.ethnicity.setEditable(True)
        self.ethnicity.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.ethnicity.addItems(["", *ETHNICITIES])
        self.political = QComboBox()
        self.political.addItems(["", *POLITICAL])
        self.education = QComboBox()
        self.education.addItems(["", *EDUCATION])
        self.work_unit = QLineEdit()
        self.mobile = QLineEdit()
        self.mobile.setPlaceholderText("11 位手机号")
        self.phone = QLineEdit()
        self.phone.setPlaceholderText("如 0719-5212345")

        self.village = QComboBox()
        self.village.addItem("（未填写）", None)
        for v in list_villages(ctx):
            self.village.addItem(v.name, v.id)
        self.level_boxes: dict[str, QCheckBox] = {}
        levels_widget = QWidget()
        levels_lay = QGridLayout(levels_widget)
        levels_lay.setContentsMargins(0, 0, 0, 0)
        for i, (key, label) in enumerate(LEVELS.items()):
            box = QCheckBox(label)
            self.level_boxes[key] = box
            levels_lay.addWidget(box, i // 2, i % 2)
        self.term = QLineEdit()
        self.term.setPlaceholderText("如 第十九届")
        self.constituency = QLineEdit()
        self.group_name = QComboBox()
        self.group_name.setEditable(True)
        self.group_name.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.group_name.addItems(["", *deputy_service.list_groups(ctx)])
        self.elected_on = QLineEdit()
        self.elected_on.setPlaceholderText("如 2021-12-28")
        self.status = QComboBox()
        self.status.addItems(list(STATUSES))
        self.status_date = QLineEdit()
        self.status_date.setPlaceholderText("如 2026-03-15")
        self.status_reason = QComboBox()
        self.status_reason.setEditable(True)
        self.status_reason.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.note = QLineEdit()
        return levels_widget

    def _build_layout(self, levels_widget: QWidget) -> None:
        """Two columns of labelled fields, the buttons, the tab order."""
        left = QFormLayout()
        right = QFormLayout()
        for form in (left, right):
            form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self._add(left, "name", self.name, required=True)
        self._add(left, "id_number", self.id_number)
        self._add(left, "gender", self.gender)
        self._add(left, "birth_date", self.birth_date)
        self._add(left, "ethnicity", self.ethnicity)
        self._add(left, "political", self.political)
        self._add(left, "education", self.education)
        self._add(left, "work_unit", self.work_unit)
        self._add(left, "mobile", self.mobile)
        self._add(left, "phone", self.phone)
        self._add(right, "village", self.village)
        self._add(right, "levels", levels_widget)
        self._add(right, "term", self.term)
        self._add(right, "constituency", self.constituency)
        self._add(right, "group_name", self.group_name)
        self._add(right, "elected_on", self.elected_on)
        self._add(right, "status", self.status)
        self._add(right, "status_date", self.status_date)
        self._add(right, "status_reason", self.status_reason)
        self._add(right, "note", self.note)

        personal = QGroupBox("基本信息")
        personal.setLayout(left)
        duty = QGroupBox("代表信息")
        duty.setLayout(right)
        for box in (personal, duty):
            box.setMinimumWidth(400)
        columns = QHBoxLayout()
        columns.addWidget(personal, 1)
        columns.addWidget(duty, 1)

        self.buttons = QDialogButtonBox()
        self.save_button = self.buttons.addButton("保存", QDialogButtonBox.ButtonRole.AcceptRole)
        self.cancel_button = self.buttons.addButton("取消", QDialogButtonBox.ButtonRole.RejectRole)
        self.save_button.setDefault(True)
        self.save_button.setAutoDefault(True)
        self.cancel_button.setAutoDefault(False)
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)

        hint = QLabel("带 * 的为必填项。Enter 保存，Esc 取消。")
        hint.setObjectName("muted")
        lay = QVBoxLayout(self)
        lay.addWidget(self.general_error)
        lay.addLayout(columns)
        bottom = QHBoxLayout()
        bottom.addWidget(hint, 1)
        bottom.addWidget(self.buttons)
        lay.addLayout(bottom)

        order: list[QWidget] = [self.name, self.id_number, self.gender, self.birth_date, self.ethnicity,
                                self.political, self.education, self.work_unit, self.mobile, self.phone,
                                self.village, *self.level_boxes.values(), self.term, self.constituency,
                                self.group_name, self.elected_on, self.status, self.status_date,
                                self.status_reason, self.note, self.save_button, self.cancel_button]
        for a, b in zip(order, order[1:], strict=False):
            QWidget.setTabOrder(a, b)

    def _add(self, form: QFormLayout, key: str, widget: QWidget, *, required: bool = False) -> None:
        self.errors[key] = make_error_label()  # red even without the style sheet; ErrorMap.add keeps it
        focus = next(iter(self.level_boxes.values())) if key == "levels" else widget
        error = self.error_map.add(key, focus)
        self.fields[key] = widget
        label = QLabel(FIELD_LABELS[key] + (" *" if required else ""))
        label.setBuddy(widget)
        form.addRow(label, field_box(widget, error))

    # ------------------------------------------------------------------ load
    def load(self, d: DeputyRow | None) -> None:
        values = d.as_form() if d else {"ethnicity": ETHNICITY_DEFAULT, "levels": ["town"], "status": IN_OFFICE}
        self.name.setText(values.get("name", ""))
        self.id_number.blockSignals(True)
        self.id_number.setText(values.get("id_number", ""))
        self.id_number.blockSignals(False)
        set_combo_text(self.gender, values.get("gender", ""))
        self.birth_date.setText(values.get("birth_date", ""))
        set_combo_text(self.ethnicity, values.get("ethnicity", ""))
        set_combo_text(self.political, values.get("political", ""))
        set_combo_text(self.education, values.get("education", ""))
        self.work_unit.setText(values.get("work_unit", ""))
        self.mobile.setText(values.get("mobile", ""))
        self.phone.setText(values.get("phone", ""))
        i = self.village.findData(values.get("village_id"))
        self.village.setCurrentIndex(max(i, 0))
        levels = set(values.get("levels", []))
        for key, box in self.level_boxes.items():
            box.setChecked(key in levels)
        self.term.setText(values.get("term", ""))
        self.constituency.setText(values.get("constituency", ""))
        set_combo_text(self.group_name, values.get("group_name", ""))
        self.elected_on.setText(values.get("elected_on", ""))
        set_combo_text(self.status, values.get("status", IN_OFFICE))
        self.status_date.setText(values.get("status_date", ""))
        self._status_changed(self.status.currentText())
        self.status_reason.setEditText(values.get("status_reason", ""))
        self.note.setText(values.get("note", ""))

    def values(self) -> dict:
        """What the user typed, as the dict ``normalise_deputy`` reads."""
        return {
            "name": self.name.text(), "id_number": self.id_number.text(), "gender": combo_text(self.gender),
            "birth_date": self.birth_date.text(), "ethnicity": combo_text(self.ethnicity),
            "political": combo_text(self.political), "education": combo_text(self.education),
            "work_unit": self.work_unit.text(), "mobile": self.mobile.text(), "phone": self.phone.text(),
            "village_id": self.village.currentData(),
            "levels": [k for k, box in self.level_boxes.items() if box.isChecked()],
            "term": self.term.text(), "constituency": self.constituency.text(),
            "group_name": combo_text(self.group_name), "elected_on": self.elected_on.text(),
            "status": self.status.currentText(),
            "status_date": self.status_date.text() if self.status.currentText() != IN_OFFICE else "",
            "status_reason": combo_text(self.status_reason) if self.status.currentText() != IN_OFFICE else "",
            "note": self.note.text(),
        }

    # ------------------------------------------------------------------ helpers while typing
    def _fill_from_id_number(self, text: str) -> None:
        """A valid ID number fills 性别 and 出生年月 when they are still empty."""
        try:
            info = parse_id_number(text)
        except IdNumberError:
            return
        if not combo_text(self.gender):
            set_combo_text(self.gender, info.gender)
        if not self.birth_date.text().strip():
            self.birth_date.setText(info.birth_date.isoformat())
        self.errors["id_number"].set_error("")

    def _status_changed(self, status: str) -> None:
        active = status == IN_OFFICE
        for w in (self.status_date, self.status_reason):
            w.setEnabled(not active)
        current = combo_text(self.status_reason)
        self.status_reason.clear()
        self.status_reason.addItems(["", *STATUS_REASONS.get(status, ())])
        self.status_reason.setEditText(current)
        if not active and not self.status_date.text().strip():
            self.status_date.setText(today_text())

    # ------------------------------------------------------------------ check and save
    def clear_errors(self) -> None:
        self.error_map.clear()

    def show_errors(self, errors: dict[str, str]) -> None:
        """Each message under its field; the first wrong field (in form order) gets the focus."""
        self.error_map.show(errors)

    def save(self) -> bool:
        raw = self.values()
        try:
            if self.deputy:
                self.saved = deputy_service.update_deputy(self.ctx, self.deputy.id, raw)
            else:
                self.saved = deputy_service.create_deputy(self.ctx, raw)
        except FieldErrors as e:
            self.show_errors(e.errors)
            return False
        except Exists as e:
            if e.field and e.field in self.errors:
                self.show_errors({e.field: e.message})
            else:
                ui_errors.show_error(self, e)
            return False
        except CongressError as e:
            ui_errors.show_error(self, e)
            return False
        log.info("deputy %s saved", self.saved.id)
        self.accept()
        return True
