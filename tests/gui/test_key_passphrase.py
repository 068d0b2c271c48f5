"""The private key's passphrase in the window: asked on the GUI thread before a sync task starts, once
per run; chosen twice (and checked) when keys are made on a PC without a desktop keyring."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from PySide6.QtWidgets import QDialog, QDialogButtonBox

import ui.key_passphrase as kp
import ui.pages.sync as page_mod
import ui.widgets
from congress_desktop.sync import keys, keystore
from congress_desktop.sync import service as sync
from tests.synchelp import enrol, make_city
from ui.key_passphrase import PassphraseDialog
from ui.pages.sync import SyncPage

PASSPHRASE = Path(os.environ[keys.PASSPHRASE_FILE_ENV]).read_text(encoding="utf-8").splitlines()[0]


@pytest.fixture
def city(tmp_path):
    c = make_city(tmp_path / "city")
    yield c
    c.close()


@pytest.fixture
def town(demo_ctx, city, tmp_path):
    """The demo town enrolled at the city; then a new run without a passphrase file (as on a desktop)."""
    sync.init_keys(demo_ctx)
    enrol(city, demo_ctx, tmp_path / "enrol")
    return demo_ctx


@pytest.fixture
def new_run(monkeypatch):
    monkeypatch.delenv(keys.PASSPHRASE_FILE_ENV)
    keys.forget_unwrapped()
    yield
    keys.forget_unwrapped()


def click_ok(dialog: QDialog) -> None:
    box = dialog.findChild(QDialogButtonBox)
    next(b for b in box.buttons() if box.buttonRole(b) == QDialogButtonBox.ButtonRole.AcceptRole).click()


def test_the_passphrase_is_asked_on_the_gui_thread_before_the_first_export_and_not_again(
        qtbot, town, tmp_path, monkeypatch, new_run):
    asked = []
    answers = ["不对的口令 wrong", PASSPHRASE]

    def ask(parent, mode, problem=""):
        asked.append((mode, problem, threading.current_thread() is threading.main_thread()))
        return answers.pop(0)

    monkeypatch.setattr(kp, "ask_key_passphrase", ask)
    monkeypatch.setattr(page_mod, "info", lambda *a: None)
    monkeypatch.setattr(ui.widgets, "exec_modal", lambda d: QDialog.DialogCode.Accepted)
    page = SyncPage(town)
    qtbot.addWidget(page)
    stick = tmp_path / "stick"
    stick.mkdir()
    monkeypatch.setattr(page_mod, "ask_folder", lambda *a: str(stick))
    page.choose_folder()
    handle = page.export_packages()
    assert handle is not None and handle.wait() and handle.error is None, handle and handle.error
    assert [(m, bool(p), gui) for m, p, gui in asked] == [(keys.UNLOCK, False, True), (keys.UNLOCK, True, True)]
    assert "私钥口令不对" in asked[1][1]
    assert list((stick / "人大同步").glob("*.cdsync"))
    assert page.export_packages().wait()
    assert len(asked) == 2  # the key stays unwrapped for the run


def test_cancelling_the_passphrase_starts_no_task(qtbot, town, tmp_path, monkeypatch, new_run):
    monkeypatch.setattr(kp, "ask_key_passphrase", lambda *a, **k: None)
    page = SyncPage(town)
    qtbot.addWidget(page)
    stick = tmp_path / "stick"
    stick.mkdir()
    monkeypatch.setattr(page_mod, "ask_folder", lambda *a: str(stick))
    page.choose_folder()
    assert page.export_packages() is None and page.last_task is None
    assert page.import_packages() is None
    assert not (stick / "人大同步").exists() or not list((stick / "人大同步").iterdir())


def test_a_new_passphrase_must_be_long_enough_and_typed_twice_the_same(qtbot):
    dlg = PassphraseDialog(keys.CHOOSE)
    qtbot.addWidget(dlg)
    dlg.passphrase.setText("短口令")
    dlg.again.setText("短口令")
    click_ok(dlg)
    assert dlg.result() != QDialog.DialogCode.Accepted and "至少要 8 个字符" in dlg.error.text()
    dlg.passphrase.setText("乡镇人大的私钥口令")
    dlg.again.setText("乡镇人大的私钥口令2")
    click_ok(dlg)
    assert dlg.result() != QDialog.DialogCode.Accepted and "不一致" in dlg.error.text()
    dlg.again.setText("乡镇人大的私钥口令")
    click_ok(dlg)
    assert dlg.result() == QDialog.DialogCode.Accepted and dlg.value() == "乡镇人大的私钥口令"
    unlock = PassphraseDialog(keys.UNLOCK, "私钥口令不对")
    qtbot.addWidget(unlock)
    assert not unlock.again.isVisibleTo(unlock) and "私钥口令不对" in unlock.error.text()


def test_making_keys_in_the_window_asks_a_new_passphrase_where_no_keyring_runs(qtbot, demo_ctx, monkeypatch,
                                                                                new_run):
    shown = []

    def fill(dialog):
        shown.append(dialog)
        if isinstance(dialog, PassphraseDialog):
            dialog.passphrase.setText("窗口里设定的口令")
            dialog.again.setText("窗口里设定的口令")
            click_ok(dialog)
            return dialog.result()
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(ui.widgets, "exec_modal", fill)
    monkeypatch.setattr(page_mod, "info", lambda *a: None)
    page = SyncPage(demo_ctx)
    qtbot.addWidget(page)
    page.init_keys_button.click()
    assert [d.mode for d in shown if isinstance(d, PassphraseDialog)] == [keys.CHOOSE]
    assert keystore.LABELS[keystore.PASSPHRASE] in page.keys_label.text()
    keys.forget_unwrapped()
    assert sync.unlock_own_key(demo_ctx, "窗口里设定的口令").key_id == sync.own_keys(demo_ctx).key_id


def test_cancelling_the_new_passphrase_makes_no_key(qtbot, demo_ctx, monkeypatch, new_run):
    monkeypatch.setattr(kp, "ask_key_passphrase", lambda *a, **k: None)
    page = SyncPage(demo_ctx)
    qtbot.addWidget(page)
    page.init_keys_button.click()
    assert sync.own_keys(demo_ctx) is None and "还没有同步密钥" in page.keys_label.text()
