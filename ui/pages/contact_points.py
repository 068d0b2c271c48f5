"""联系站点 page: 代表之家, 代表联络站, 村(社区)代表联系点, 接待室, and the deputies stationed in each."""

from __future__ import annotations

import logging

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from congress_desktop.core.context import Context
from congress_desktop.core.errors import CongressError, FieldErrors
from congress_desktop.core.text import pinyin_keys, to_halfwidth
from congress_desktop.deputies import service as deputy_service
from congress_desktop.deputies.rows import DeputyQuery, DeputyRow
from congress_desktop.deputies.rules import IN_OFFICE
from congress_desktop.places.contact_points import (
    KINDS,
    ContactPointRow,
    delete_contact_point,
    list_contact_points,
    save_contact_point,
)
from congress_desktop.places.villages import list_villages
from ui import widgets
from ui.forms import ErrorMap
from ui.models import KIND_LABELS, ContactPointTableModel
from ui.pages.deputy_form import field_box, make_error_label, set_combo_text
from ui.pages.list_page import RecordListPage

log = logging.getLogger(__name__)

RECEPTION_RULES = ("每周一", "每月 15 日", "每月第一个周一", "每月 5 日、20 日", "每季度第一个月 10 日")
ID_ROLE = Qt.ItemDataRole.UserRole
KEYS_ROLE = Qt.ItemDataRole.UserRole + 1


def search_keys(d: DeputyRow) -> str:
    full, initials = pinyin_keys(d.name)
    return "\x1f".join((d.name, full, initials, d.village_name, d.mobile)).lower()


class DeputyPicker(QWidget):
    """A checkable list of deputies with a filter box: 张三 is found by 张, zhang or zs."""

    def __init__(self, deputies: list[DeputyRow], checked: set[str], parent: QWidget | None = None):
        super().__init__(parent)
        self.filter = QLineEdit()
        self.filter.setObjectName("deputyPickerFilter")
        self.filter.setPlaceholderText("筛选：姓名或拼音首字母（如 zs）、村(社区)")
        self.filter.setClearButtonEnabled(True)
        self.list = QListWidget()
        self.list.setObjectName("deputyPickerList")
        self.count_label = QLabel()
        for d in deputies:
            text = d.name + (f"（{d.village_name}）" if d.village_name else "")
            if d.status != IN_OFFICE:
                text += f" [{d.status}]"
            item = QListWidgetItem(text)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if d.id in checked else Qt.CheckState.Unchecked)
            item.setData(ID_ROLE, d.id)
            item.setData(KEYS_ROLE, search_keys(d))
            self.list.addItem(item)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.filter)
        lay.addWidget(self.list, 1)
        lay.addWidget(self.count_label)
        self.filter.textChanged.connect(self.apply_filter)
        self.list.itemChanged.connect(self._update_count)
        self._update_count()

    def apply_filter(self, text: str) -> None:
        words = to_halfwidth(text).lower().split()
        for i in range(self.list.count()):
            item = self.list.item(i)
            keys = item.data(KEYS_ROLE)
            item.setHidden(not all(w in keys for w in words))

    def visible_names(self) -> list[str]:
        return [self.list.item(i).text() for i in range(self.list.count()) if not self.list.item(i).isHidden()]

    def set_checked(self, deputy_id: str, checked: bool = True) -> None:
        for i in range(self.list.count()):
            item = self.list.item(i)
            if item.data(ID_ROLE) == deputy_id:
                item.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)

    def checked_ids(self) -> list[str]:
        return [self.list.item(i).data(ID_ROLE) for i in range(self.list.count())
                if self.list.item(i).checkState() == Qt.CheckState.Checked]

    def _update_count(self, *_args) -> None:
        self.count_label.setText(f"已选 {len(self.checked_ids())} 名进站代表")


class ContactPointDialog(QDialog):
    """新增 / 编辑联系站点 with the stationed deputies."""

    def __init__(self, ctx: Context, point: ContactPointRow | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.point = point
        self.saved: ContactPointRow | None = None
        self.setWindowTitle(f"编辑联系站点：{point.name}" if point else "新增联系站点")
        self.setMinimumWidth(820)
        values = point.as_form() if point else {"kind": KINDS[0]}

        self.name = QLineEdit(values.get("name", ""))
        self.name.setPlaceholderText("如 六里坪镇人大代表之家")
        self.kind = QComboBox()
        for k in KINDS:
            self.kind.addItem(KIND_LABELS.get(k, k), k)
        self.kind.setCurrentIndex(max(self.kind.findData(values.get("kind")), 0))
        self.parent_point = QComboBox()
        self.parent_point.addItem("（无）", None)
        for p in list_contact_points(ctx):
            if point is None or p.id != point.id:
                self.parent_point.addItem(p.name, p.id)
        self.parent_point.setCurrentIndex(max(self.parent_point.findData(values.get("parent_id")), 0))
        self.village = QComboBox()
        self.village.addItem("（无）", None)
        for v in list_villages(ctx):
            self.village.addItem(v.name, v.id)
        self.village.setCurrentIndex(max(self.village.findData(values.get("village_id")), 0))
        self.address = QLineEdit(values.get("address", ""))
        self.head_name = QLineEdit(values.get("head_name", ""))
        self.head_phone = QLineEdit(values.get("head_phone", ""))
        self.liaison_name = QLineEdit(values.get("liaison_name", ""))
        self.liaison_phone = QLineEdit(values.get("liaison_phone", ""))
        for w in (self.head_phone, self.liaison_phone):
            w.setPlaceholderText("手机或 0719-5212345")
        self.reception_rule = QComboBox()
        self.reception_rule.setEditable(True)
        self.reception_rule.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.reception_rule.addItems(["", *RECEPTION_RULES])
        set_combo_text(self.reception_rule, values.get("reception_rule", ""))
        self.note = QLineEdit(values.get("note", ""))
        self.deputies = self._picker(ctx, set(values.get("deputy_ids", [])))
        self._build_layout()
        self.name.setFocus()

    @staticmethod
    def _picker(ctx: Context, stationed: set[str]) -> DeputyPicker:
        """The deputies in office, and the stationed ones who no longer are (they stay visible and checked)."""
        deputies = deputy_service.query_deputies(ctx, DeputyQuery(status=IN_OFFICE), 0, None)
        known = {d.id for d in deputies}
        for d_id in stationed - known:  # a stationed deputy no longer 在任 stays visible and checked
            try:
                deputies.append(deputy_service.get_deputy(ctx, d_id))
            except CongressError:
                pass
        return DeputyPicker(deputies, stationed)

    def _build_layout(self) -> None:

        self.fields: dict[str, QWidget] = {
            "name": self.name, "kind": self.kind, "parent_id": self.parent_point, "village_id": self.village,
            "address": self.address, "head_name": self.head_name, "head_phone": self.head_phone,
            "liaison_name": self.liaison_name, "liaison_phone": self.liaison_phone,
            "reception_rule": self.reception_rule, "note": self.note, "deputy_ids": self.deputies.filter,
        }
        self.error_map = ErrorMap(make_error_label())
        for key, widget in self.fields.items():
            self.error_map.labels[key] = make_error_label()  # red even without the style sheet
            self.error_map.add(key, widget)
        self.errors = self.error_map.labels
        self.general_error = self.error_map.general
        labels = {"name": "名称 *", "kind": "类型 *", "parent_id": "上级站点", "village_id": "所在村(社区)",
                  "address": "地址", "head_name": "站长", "head_phone": "站长电话", "liaison_name": "联络员",
                  "liaison_phone": "联络员电话", "reception_rule": "接待日", "note": "备注"}
        form = QFormLayout()
        for key, label in labels.items():
            form.addRow(label, field_box(self.fields[key], self.errors[key]))
        right = QVBoxLayout()
        right.addWidget(QLabel("进站代表（勾选）"))
        right.addWidget(self.deputies, 1)
        right.addWidget(self.errors["deputy_ids"])
        columns = QHBoxLayout()
        columns.addLayout(form, 3)
        columns.addLayout(right, 2)

        buttons, self.save_button = widgets.ok_cancel_buttons(self, "保存", self.save)
        lay = QVBoxLayout(self)
        lay.addWidget(self.general_error)
        lay.addLayout(columns, 1)
        lay.addWidget(buttons)
        order = [self.name, self.kind, self.parent_point, self.village, self.address, self.head_name,
                 self.head_phone, self.liaison_name, self.liaison_phone, self.reception_rule, self.note,
                 self.deputies.filter, self.deputies.list, self.save_button]
        for a, b in zip(order, order[1:], strict=False):
            QWidget.setTabOrder(a, b)

    def values(self) -> dict:
        return {
            "name": self.name.text(), "kind": self.kind.currentData(), "parent_id": self.parent_point.currentData(),
            "village_id": self.village.currentData(), "address": self.address.text(),
            "head_name": self.head_name.text(), "head_phone": self.head_phone.text(),
            "liaison_name": self.liaison_name.text(), "liaison_phone": self.liaison_phone.text(),
            "reception_rule": self.reception_rule.currentText(), "note": self.note.text(),
            "deputy_ids": self.deputies.checked_ids(),
        }

    def show_errors(self, errors: dict[str, str]) -> None:
        self.error_map.show(errors)

    def save(self) -> bool:
        try:
            self.saved = save_contact_point(self.ctx, self.values(), self.point.id if self.point else None)
        except FieldErrors as e:
            self.show_errors(e.errors)
            return False
        except CongressError as e:
            if e.field and e.field in self.errors:
                self.show_errors({e.field: e.message})
            else:
                self.show_errors({"": e.message})
            return False
        self.accept()
        return True


class ContactPointsPage(RecordListPage):
    page_name = "contactPointsPage"
    table_name = "contactPointTable"
    model_class = ContactPointTableModel
    dialog_class = ContactPointDialog
    word_wrap = False

    def list_rows(self) -> list[ContactPointRow]:
        return list_contact_points(self.ctx)

    def count_text(self, rows: list[ContactPointRow]) -> str:
        by_kind = {k: sum(1 for p in rows if p.kind == k) for k in KINDS}
        parts = "，".join(f"{KIND_LABELS.get(k, k)} {n} 个" for k, n in by_kind.items() if n)
        return f"共 {len(rows)} 个" + (f"：{parts}" if parts else "")

    def delete_question(self, row: ContactPointRow) -> tuple[str, str]:
        return "删除联系站点", f"确定删除“{row.name}”吗？进站代表的记录随之取消。"

    def delete(self, row: ContactPointRow) -> None:
        delete_contact_point(self.ctx, row.id)

    def selected_point(self) -> ContactPointRow | None:
        return self.selected_row()
