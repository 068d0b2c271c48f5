"""村(社区) page: the town's villages and communities with their codes, and how many deputies live there."""

from __future__ import annotations

import logging

from PySide6.QtWidgets import (
    QDialog,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from congress_desktop.core.context import Context
from congress_desktop.core.errors import CongressError, Exists, FieldErrors
from congress_desktop.core.regioncode import RegionCodeError, validate_village_code
from congress_desktop.places.villages import VillageRow, delete_village, list_villages, save_village
from ui import errors as ui_errors
from ui import widgets
from ui.forms import ErrorMap
from ui.models import VillageTableModel
from ui.pages.deputy_form import field_box, make_error_label
from ui.pages.list_page import RecordListPage

log = logging.getLogger(__name__)


class VillageDialog(QDialog):
    """新增 / 编辑村(社区). The core checks the code (12 digits, inside this town, not used twice)."""

    def __init__(self, ctx: Context, village: VillageRow | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.village = village
        self.saved: VillageRow | None = None
        self.setWindowTitle(f"编辑村(社区)：{village.name}" if village else "新增村(社区)")
        self.setMinimumWidth(440)
        office = ctx.office
        town_code = office.code if office and office.role == "town" else ""
        self.town_code = town_code

        self.code = QLineEdit(village.code if village else town_code[:9])
        self.code.setMaxLength(14)
        self.code.setPlaceholderText("12 位统计用区划代码，如 420381103201")
        self.kind_hint = QLabel()
        self.kind_hint.setObjectName("muted")
        self.name = QLineEdit(village.name if village else "")
        self.name.setPlaceholderText("如 黄家村、六里坪社区")
        self.households = QLineEdit(str(village.households) if village else "")
        self.households.setPlaceholderText("0")
        self.population = QLineEdit(str(village.population) if village else "")
        self.population.setPlaceholderText("0")
        self.note = QLineEdit(village.note if village else "")
        self.fields = {"code": self.code, "name": self.name, "households": self.households,
                       "population": self.population, "note": self.note}
        self.error_map = ErrorMap(make_error_label())
        for key, widget in self.fields.items():
            self.error_map.labels[key] = make_error_label()  # red even without the style sheet
            self.error_map.add(key, widget)
        self.errors = self.error_map.labels
        self.general_error = self.error_map.general

        form = QFormLayout()
        form.addRow("区划代码 *", field_box(self.code, self.errors["code"]))
        form.addRow("", self.kind_hint)
        form.addRow("名称 *", field_box(self.name, self.errors["name"]))
        form.addRow("户数", field_box(self.households, self.errors["households"]))
        form.addRow("人口", field_box(self.population, self.errors["population"]))
        form.addRow("备注", field_box(self.note, self.errors["note"]))
        hint = QLabel("区划代码后三位 001-199 为社区（居委会），200-399 为村（村委会）。")
        hint.setWordWrap(True)
        hint.setObjectName("muted")
        buttons, self.save_button = widgets.ok_cancel_buttons(self, "保存", self.save)
        lay = QVBoxLayout(self)
        lay.addWidget(self.general_error)
        lay.addLayout(form)
        lay.addWidget(hint)
        lay.addWidget(buttons)
        self.code.textChanged.connect(self._code_changed)
        self._code_changed(self.code.text())
        self.code.setFocus()
        self.code.setCursorPosition(len(self.code.text()))  # a new code: type the last three digits

    def _code_changed(self, text: str) -> None:
        try:
            rc = validate_village_code(text, self.town_code or None)
        except RegionCodeError:
            self.kind_hint.setText("")
            return
        self.kind_hint.setText("将登记为：" + ("社区（居委会）" if rc.kind == "居委会" else "村（村委会）"))
        self.errors["code"].set_error("")

    def values(self) -> dict:
        return {k: w.text() for k, w in self.fields.items()}

    def show_errors(self, errors: dict[str, str]) -> None:
        self.error_map.show(errors)

    def save(self) -> bool:
        try:
            self.saved = save_village(self.ctx, self.values(), self.village.id if self.village else None)
        except FieldErrors as e:
            self.show_errors(e.errors)
            return False
        except Exists as e:
            self.show_errors({e.field or "": e.message})
            return False
        except CongressError as e:
            ui_errors.show_error(self, e)
            return False
        self.accept()
        return True


class VillagesPage(RecordListPage):
    page_name = "villagesPage"
    table_name = "villageTable"
    model_class = VillageTableModel
    dialog_class = VillageDialog

    def list_rows(self) -> list[VillageRow]:
        return list_villages(self.ctx)

    def count_text(self, rows: list[VillageRow]) -> str:
        villages = sum(1 for v in rows if v.kind == "村")
        return f"共 {len(rows)} 个：村 {villages} 个，社区 {len(rows) - villages} 个"

    def delete_question(self, row: VillageRow) -> tuple[str, str]:
        return "删除村(社区)", f"确定删除“{row.name}”（{row.code}）吗？"

    def delete(self, row: VillageRow) -> None:
        delete_village(self.ctx, row.id)

    def selected_village(self) -> VillageRow | None:
        return self.selected_row()
