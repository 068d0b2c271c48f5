"""First start: who we are (name, 12-digit region code, town or city), or the demo town to look around.

The form checks as you type (for comfort); ``services.office.setup_office`` checks again and is the
authority. ``ask(ctx)`` is the seam the application calls; tests replace it or drive
``FirstStartDialog`` through its widgets.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from congress_desktop import APP_NAME
from congress_desktop import demo as demo_svc
from congress_desktop.core import office as office_svc
from congress_desktop.core.context import Context
from congress_desktop.core.errors import CongressError, FieldErrors
from congress_desktop.core.regioncode import RegionCodeError, validate_office_code
from congress_desktop.core.text import clean
from ui import errors, operations, tasks, widgets

log = logging.getLogger(__name__)

CODE_HINT = {
    "town": "乡镇（街道）人大填到乡级：第 7-9 位为乡镇编号、后三位为 000，如 420381103000",
    "city": "市人大常委会填到县级或地级：后六位为 000000，如 420381000000",
}


class FirstStartDialog(QDialog):
    def __init__(self, ctx: Context, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.choice = ""  # "office" or "demo" once done
        self.setObjectName("firstStart")
        self.setWindowTitle(f"欢迎使用{APP_NAME}")
        self.setWindowFlag(Qt.WindowType.WindowContextHelpButtonHint, False)
        self.setMinimumWidth(560)

        title = widgets.heading(f"欢迎使用{APP_NAME}")
        intro = QLabel("第一次使用，请先设置本单位信息。设置后，本机这份数据就属于这个单位，以后不能更改。")
        intro.setWordWrap(True)

        # -- 设置本单位
        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText("如：丹江口市六里坪镇人大")
        self.name_edit.setMaxLength(60)
        self.name_error = widgets.FieldError()

        self.town_radio = QRadioButton("乡镇（街道）人大")
        self.city_radio = QRadioButton("市人大常委会")
        self.town_radio.setChecked(True)
        self.role_group = QButtonGroup(self)
        self.role_group.addButton(self.town_radio)
        self.role_group.addButton(self.city_radio)
        roles = QHBoxLayout()
        roles.addWidget(self.town_radio)
        roles.addWidget(self.city_radio)
        roles.addStretch(1)

        self.code_edit = QLineEdit()
        self.code_edit.setPlaceholderText("12 位统计用区划代码")
        self.code_edit.setMaxLength(24)
        self.code_error = widgets.FieldError()
        self.code_hint = QLabel()
        self.code_hint.setObjectName("muted")
        self.code_hint.setWordWrap(True)

        name_box = QVBoxLayout()
        name_box.setSpacing(2)
        name_box.addWidget(self.name_edit)
        name_box.addWidget(self.name_error)
        code_box = QVBoxLayout()
        code_box.setSpacing(2)
        code_box.addWidget(self.code_edit)
        code_box.addWidget(self.code_error)
        code_box.addWidget(self.code_hint)

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow("单位名称(&N)：", name_box)
        form.addRow("单位类型：", roles)
        form.addRow("区划代码(&C)：", code_box)
        own = QGroupBox("设置本单位")
        own.setLayout(form)
        self._buddy(form, 0, self.name_edit)
        self._buddy(form, 2, self.code_edit)

        self.ok_button = QPushButton("保存并开始")
        self.ok_button.setObjectName("primary")
        self.ok_button.setDefault(True)
        self.ok_button.setEnabled(False)
        self.ok_button.clicked.connect(self.save)
        self.cancel_button = QPushButton("退出")
        self.cancel_button.clicked.connect(self.reject)

        # -- 先看看演示数据
        demo_box = QFrame()
        demo_box.setObjectName("card")
        self.demo_button = QPushButton("先看看演示数据")
        self.demo_button.setAutoDefault(False)
        self.demo_button.clicked.connect(self.create_demo)
        demo_text = QLabel("建立一个虚构的演示乡镇（丹江口市六里坪镇，64 名代表，人员均为虚构），"
                           "用来熟悉各项功能。演示数据不能改成本单位的正式数据。")
        demo_text.setObjectName("muted")
        demo_text.setWordWrap(True)
        demo_lay = QHBoxLayout(demo_box)
        demo_lay.addWidget(demo_text, 1)
        demo_lay.addWidget(self.demo_button, 0, Qt.AlignmentFlag.AlignVCenter)

        where = QLabel(f"数据文件：{ctx.db_path}")
        where.setObjectName("muted")
        where.setWordWrap(True)
        where.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.ok_button)
        buttons.addWidget(self.cancel_button)

        lay = QVBoxLayout(self)
        lay.setSpacing(12)
        lay.addWidget(title)
        lay.addWidget(intro)
        lay.addWidget(own)
        lay.addLayout(buttons)
        lay.addWidget(widgets.hline())
        lay.addWidget(demo_box)
        lay.addWidget(where)

        self._touched: set[str] = set()
        self.name_edit.textChanged.connect(lambda: self._touch("name"))
        self.code_edit.textChanged.connect(lambda: self._touch("code"))
        self.town_radio.toggled.connect(lambda _checked: self.validate())
        self.name_edit.returnPressed.connect(self.code_edit.setFocus)
        self.setTabOrder(self.name_edit, self.town_radio)
        self.setTabOrder(self.town_radio, self.city_radio)
        self.setTabOrder(self.city_radio, self.code_edit)
        self.setTabOrder(self.code_edit, self.ok_button)
        self.setTabOrder(self.ok_button, self.cancel_button)
        self.setTabOrder(self.cancel_button, self.demo_button)
        self.name_edit.setFocus()
        self.validate()

    @staticmethod
    def _buddy(form: QFormLayout, row: int, field: QWidget) -> None:
        item = form.itemAt(row, QFormLayout.ItemRole.LabelRole)
        if item is not None and isinstance(item.widget(), QLabel):
            item.widget().setBuddy(field)

    # ------------------------------------------------------------ check
    @property
    def role(self) -> str:
        return "city" if self.city_radio.isChecked() else "town"

    def _touch(self, field: str) -> None:
        self._touched.add(field)
        self.validate()

    def check(self) -> dict[str, str]:
        """Field -> Chinese error for what is wrong now (empty fields included)."""
        out: dict[str, str] = {}
        name = clean(self.name_edit.text())
        if not name:
            out["name"] = "请填写单位名称"
        code = self.code_edit.text().strip()
        if not code:
            out["code"] = "请填写 12 位区划代码"
        else:
            try:
                validate_office_code(code, self.role)
            except RegionCodeError as e:
                out["code"] = str(e)
        return out

    def validate(self) -> bool:
        problems = self.check()
        self.name_error.set_error(problems.get("name", "") if "name" in self._touched else "")
        code_problem = problems.get("code", "") if "code" in self._touched else ""
        if not self.code_edit.text().strip() and "code" in self._touched:
            code_problem = problems.get("code", "")
        self.code_error.set_error(code_problem)
        if self.code_edit.text().strip() and "code" not in problems:
            rc = validate_office_code(self.code_edit.text(), self.role)
            self.code_hint.setText(f"区划代码有效：{rc.code}（{rc.kind}）")
        else:
            self.code_hint.setText(CODE_HINT[self.role])
        self.ok_button.setEnabled(not problems)
        return not problems

    # ------------------------------------------------------------ save
    def save(self) -> bool:
        self._touched.update({"name", "code"})
        if not self.validate():
            return False
        try:
            office_svc.setup_office(self.ctx, self.name_edit.text(), self.code_edit.text(), self.role)
        except FieldErrors as e:
            self.name_error.set_error(e.errors.get("name", ""))
            self.code_error.set_error(e.errors.get("code", "") or e.errors.get("role", ""))
            return False
        except CongressError as e:
            errors.show_error(self, e)
            return False
        log.info("office set up: %s", self.ctx.office)
        self.choice = "office"
        self.accept()
        return True

    def create_demo(self) -> tasks.TaskHandle:
        """The demo town is made on the database worker (a few seconds) with a progress bar."""
        ctx = self.ctx
        self.demo_button.setEnabled(False)

        def done(_result: object) -> None:
            log.info("demo data created in %s", ctx.data_dir)
            self.choice = "demo"
            self.accept()

        def failed(e: BaseException) -> None:  # a CongressError or a bug: show_error tells which
            self.demo_button.setEnabled(True)
            errors.show_error(self, e)

        self.last_task = operations.long_op(self, "正在生成演示数据",
                                            lambda progress, _cancel: demo_svc.create_demo(ctx, progress),
                                            done, on_error=failed)
        return self.last_task


def ask(ctx: Context, parent: QWidget | None = None) -> bool:
    """Show the first-start dialog; True once the office is set (own data or the demo)."""
    dlg = FirstStartDialog(ctx, parent)
    widgets.exec_modal(dlg)
    return ctx.office is not None
