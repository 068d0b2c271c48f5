"""The first-start dialog: set up the office (checked as you type) or create the demo town."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QInputMethodEvent
from PySide6.QtWidgets import QApplication, QDialog

import ui.widgets
from congress_desktop.core.context import Context
from congress_desktop.deputies import service as deputies
from ui import first_start
from ui.first_start import FirstStartDialog

NAME = "丹江口市六里坪镇人大"


@pytest.fixture
def dialog(qtbot, blank_ctx):
    dlg = FirstStartDialog(blank_ctx)
    qtbot.addWidget(dlg)
    dlg.show()
    qtbot.waitExposed(dlg)
    return dlg


def type_chinese(widget, text: str) -> None:
    """keyClicks is ASCII-only: commit 汉字 the way an input method does."""
    event = QInputMethodEvent()
    event.setCommitString(text)
    QApplication.sendEvent(widget, event)


def is_red(label) -> bool:
    c = label.palette().color(label.foregroundRole())
    return c.red() > 150 and c.green() < 100 and c.blue() < 100


def test_bad_region_code_shows_red_chinese_error_and_keeps_ok_disabled(dialog):
    dialog.name_edit.setText(NAME)
    dialog.code_edit.setText("4203811")
    assert dialog.code_error.isVisible()
    assert "12 位" in dialog.code_error.text()
    assert is_red(dialog.code_error)
    assert not dialog.ok_button.isEnabled()

    dialog.code_edit.setText("420381000000")  # a county code is not a town's
    assert "乡级" in dialog.code_error.text()
    assert not dialog.ok_button.isEnabled()


def test_empty_name_keeps_ok_disabled_even_with_a_good_code(dialog):
    dialog.code_edit.setText("420381103000")
    assert not dialog.code_error.isVisible()
    assert not dialog.ok_button.isEnabled()
    dialog.name_edit.setText("x")
    dialog.name_edit.setText("")
    assert dialog.name_error.isVisible() and "单位名称" in dialog.name_error.text()


def test_good_code_enables_ok_and_saving_creates_the_office_in_the_database(qtbot, dialog, data_dir):
    dialog.name_edit.setText(NAME)
    dialog.code_edit.setText("420381103000")
    assert dialog.ok_button.isEnabled()
    assert "有效" in dialog.code_hint.text()
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert dialog.choice == "office"
    again = Context.open(data_dir)  # what a fresh start sees
    try:
        assert again.office is not None
        assert (again.office.name, again.office.code, again.office.role, again.office.demo) == (
            NAME, "420381103000", "town", False)
    finally:
        again.close()


def test_city_role_wants_a_county_code(dialog):
    dialog.name_edit.setText("丹江口市人大常委会")
    dialog.city_radio.setChecked(True)
    dialog.code_edit.setText("420381103000")
    assert dialog.code_error.isVisible() and not dialog.ok_button.isEnabled()
    dialog.code_edit.setText("420381000000")
    assert not dialog.code_error.isVisible() and dialog.ok_button.isEnabled()
    assert dialog.save()
    assert dialog.ctx.office.role == "city"


def test_keyboard_only_name_tab_code_enter_saves(qtbot, dialog):
    dialog.activateWindow()
    qtbot.waitUntil(lambda: dialog.name_edit.hasFocus())
    type_chinese(dialog.name_edit, NAME)
    assert dialog.name_edit.text() == NAME
    qtbot.keyClick(dialog.name_edit, Qt.Key.Key_Tab)   # -> role (乡镇 already chosen)
    assert dialog.town_radio.hasFocus()
    qtbot.keyClick(dialog.town_radio, Qt.Key.Key_Tab)  # -> code (the radio group is one tab stop)
    assert dialog.code_edit.hasFocus()
    qtbot.keyClicks(dialog.code_edit, "420381103000")
    qtbot.keyClick(dialog.code_edit, Qt.Key.Key_Return)
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert dialog.ctx.office.name == NAME


def test_demo_choice_creates_the_demo_town_with_64_deputies(qtbot, dialog):
    qtbot.mouseClick(dialog.demo_button, Qt.MouseButton.LeftButton)
    assert dialog.last_task.wait(60_000)  # made on the database worker
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert dialog.choice == "demo"
    assert dialog.ctx.office.demo
    assert deputies.count_deputies(dialog.ctx) == 64


def test_ask_returns_false_when_the_user_closes_the_dialog(monkeypatch, qtbot, blank_ctx):
    monkeypatch.setattr(ui.widgets, "exec_modal", lambda dlg: QDialog.DialogCode.Rejected)
    assert first_start.ask(blank_ctx) is False
    assert blank_ctx.office is None


def test_ask_returns_true_once_the_office_is_set(monkeypatch, qtbot, blank_ctx):
    def fill(dlg):
        dlg.name_edit.setText(NAME)
        dlg.code_edit.setText("420381103000")
        dlg.ok_button.click()
        return dlg.result()

    monkeypatch.setattr(ui.widgets, "exec_modal", fill)
    assert first_start.ask(blank_ctx) is True
    assert blank_ctx.office.name == NAME
