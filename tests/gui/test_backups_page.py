"""设置 → 备份与恢复, and the window's side of data safety at start: a damaged database, a folder on a
network share, the daily backup in the background. Real widgets offscreen, real files."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QMessageBox

import ui.widgets
from congress_desktop.backups import service as backups
from congress_desktop.backups import stick as stick_backups
from congress_desktop.core import opening, paths
from congress_desktop.core.store import backup_files as files
from congress_desktop.core.store.location import Verdict
from congress_desktop.deputies import service as deputies
from tests.dbdamage import damage_table
from ui import data_safety
from ui.main_window import MainWindow
from ui.pages import backups_panel
from ui.passphrase import PassphraseDialog

GOOD = {"name": "王建国", "id_number": "420381198001011238"}
PASS = "六里坪镇人大备份口令"


class Dialogs:
    """Modal dialogs recorded instead of run; questions answered with ``answer``; each passphrase
    dialog (the real one) is filled by the next of ``passphrases``: a text (typed into both fields),
    or a function that drives the dialog; none left = 取消."""

    def __init__(self):
        self.seen: list = []
        self.answer = QMessageBox.StandardButton.Yes
        self.passphrases: list = []
        self.asked: list = []  # the passphrase dialogs' requests, in order

    def __call__(self, dlg):
        if isinstance(dlg, PassphraseDialog):
            self.asked.append(dlg.request)
            self.seen.append(f"口令：{dlg.windowTitle()}")
            if not self.passphrases:
                return 0
            answer = self.passphrases.pop(0)
            if callable(answer):
                answer(dlg)
            else:
                dlg.passphrase.setText(answer)
                dlg.again.setText(answer)
                dlg.ok_button.click()
            return dlg.result()
        # the text now: a box whose parent page is rebuilt after a restore is gone later
        self.seen.append(dlg.text() if isinstance(dlg, QMessageBox) else type(dlg).__name__)
        if isinstance(dlg, QMessageBox) and dlg.standardButtons() & QMessageBox.StandardButton.Yes:
            return self.answer
        return 0

    def texts(self) -> list[str]:
        return list(self.seen)


@pytest.fixture
def dialogs(monkeypatch):
    d = Dialogs()
    monkeypatch.setattr(ui.widgets, "exec_modal", d)
    return d


@pytest.fixture
def window(qtbot, demo_ctx, dialogs):
    w = MainWindow(demo_ctx, settings=QSettings(str(Path(demo_ctx.data_dir) / "window.ini"),
                                                QSettings.Format.IniFormat))
    qtbot.addWidget(w)
    w.show()
    return w


def panel_of(window) -> backups_panel.BackupsPanel:
    return window.show_page("settings").backups


def corrupt(path: Path) -> None:
    damage_table(path, pattern=b"\xde\xad")


# ------------------------------------------------------------------ the settings page
def test_the_list_shows_each_backup_with_time_reason_size_and_counts(window, demo_ctx):
    info = backups.backup_before(demo_ctx, "sync")
    panel = panel_of(window)
    assert panel.table.rowCount() == 1
    cells = [panel.table.item(0, c).text() for c in range(4)]
    assert cells[0] == info.made_label and cells[1] == "导入同步数据包前" and cells[2].endswith("MB")
    assert "代表 64 名" in cells[3]
    assert not panel.restore_button.isEnabled()  # nothing selected yet
    panel.table.selectRow(0)
    assert panel.restore_button.isEnabled()


def test_backup_now_adds_a_checked_backup_to_the_list(qtbot, window):
    panel = panel_of(window)
    handle = panel.backup_now()
    assert handle.wait(20000)
    assert panel.table.rowCount() == 1 and panel.last_result.checked
    assert "已备份" in window.statusBar().currentMessage()


def test_backup_to_usb_writes_the_copy_to_the_chosen_folder(qtbot, window, dialogs, demo_ctx, tmp_path, monkeypatch):
    stick = tmp_path / "U盘"
    stick.mkdir()
    stick_backups.set_passphrase(demo_ctx, PASS)
    dialogs.passphrases = [PASS]
    monkeypatch.setattr(backups_panel, "choose_folder", lambda parent: str(stick))
    panel_of(window).usb_button.click()
    qtbot.waitUntil(lambda: any("已加密备份到" in t for t in dialogs.texts()), timeout=20000)
    made = list(stick.glob("congress-420381103000-*-usb.cdbak"))
    assert len(made) == 1 and str(made[0]) in dialogs.texts()[-1]
    assert "完整性检查" in dialogs.texts()[-1]
    assert [r.mode for r in dialogs.asked] == ["backup"]


def test_restore_shows_date_and_counts_then_restores_and_rebuilds_the_pages(qtbot, window, demo_ctx, dialogs):
    info = backups.backup_before(demo_ctx, "manual")
    deputies.create_deputy(demo_ctx, GOOD)
    old_panel = panel_of(window)
    old_panel.refresh()
    old_panel.table.selectRow(0)
    old_panel.restore_button.click()
    qtbot.waitUntil(lambda: any("用这个备份替换当前的数据吗" in t for t in dialogs.texts()), timeout=20000)
    question = next(t for t in dialogs.texts() if "用这个备份替换" in t)
    assert info.made_label in question and "备份中的记录：代表 64 名" in question
    assert "当前的记录：代表 65 名" in question
    qtbot.waitUntil(lambda: any("的备份恢复：" in t for t in dialogs.texts()), timeout=20000)
    assert deputies.count_deputies(demo_ctx) == 64
    new_panel = panel_of(window)
    assert new_panel is not old_panel  # every page was rebuilt on the restored data
    assert window.current_key() == "settings"
    assert [b.reason for b in new_panel.rows][:1] == ["restore"]  # the replaced file was backed up first


def test_declining_the_restore_changes_nothing(qtbot, window, demo_ctx, dialogs):
    backups.backup_before(demo_ctx, "manual")
    deputies.create_deputy(demo_ctx, GOOD)
    dialogs.answer = QMessageBox.StandardButton.No
    panel = panel_of(window)
    panel.refresh()
    panel.table.selectRow(0)
    panel.restore_button.click()
    qtbot.waitUntil(lambda: "已取消恢复" in window.statusBar().currentMessage(), timeout=20000)
    assert deputies.count_deputies(demo_ctx) == 65


def test_restore_from_a_file_on_a_stick(qtbot, window, demo_ctx, dialogs, tmp_path, monkeypatch):
    stick = tmp_path / "stick"
    stick.mkdir()
    stick_backups.set_passphrase(demo_ctx, PASS)
    info = backups.backup_to_folder(demo_ctx, stick, passphrase=PASS).info
    deputies.create_deputy(demo_ctx, GOOD)
    dialogs.passphrases = [PASS]
    monkeypatch.setattr(data_safety, "choose_backup_file", lambda parent: str(info.path))
    panel_of(window).restore_file_button.click()
    qtbot.waitUntil(lambda: any("的备份恢复：" in t for t in dialogs.texts()), timeout=20000)
    assert deputies.count_deputies(demo_ctx) == 64


def test_check_data_reports_all_well(qtbot, window, dialogs):
    panel_of(window).check_button.click()
    qtbot.waitUntil(lambda: any("结论：全部正常" in t for t in dialogs.texts()), timeout=20000)


# ------------------------------------------------------------------ at start
def _answer(monkeypatch, index: int) -> list[str]:
    asked: list[str] = []
    monkeypatch.setattr(data_safety, "choose", lambda parent, title, text, options, **kw: asked.append(text) or index)
    return asked


def test_a_damaged_database_at_start_is_restored_from_the_newest_good_backup(qtbot, demo_ctx, dialogs, monkeypatch):
    info = backups.backup_before(demo_ctx, "daily")
    folder = demo_ctx.data_dir
    demo_ctx.close()
    corrupt(folder / "congress.sqlite3")
    asked = _answer(monkeypatch, 0)
    ctx = data_safety.open_context(folder)
    try:
        assert ctx is not None and deputies.count_deputies(ctx) == 64
        assert "没有通过完整性检查" in asked[0] and info.made_label in asked[0] and "代表 64 名" in asked[0]
        assert list((folder / "backups").glob("damaged-*/congress.sqlite3"))  # the damaged file is kept
    finally:
        if ctx is not None:
            ctx.close()


def test_a_damaged_database_is_not_opened_when_the_user_quits(qtbot, demo_ctx, dialogs, monkeypatch):
    backups.backup_before(demo_ctx, "daily")
    folder = demo_ctx.data_dir
    demo_ctx.close()
    corrupt(folder / "congress.sqlite3")
    before = (folder / "congress.sqlite3").read_bytes()
    _answer(monkeypatch, 2)  # 退出
    assert data_safety.open_context(folder) is None
    assert (folder / "congress.sqlite3").read_bytes() == before


def test_a_folder_on_a_share_is_refused_and_copied_to_the_local_folder(qtbot, demo_ctx, dialogs, monkeypatch, tmp_path):
    share = demo_ctx.data_dir
    demo_ctx.close()
    local = tmp_path / "local"
    monkeypatch.setattr(paths, "default_data_dir", lambda: local)
    monkeypatch.setattr(opening, "check_location",
                        lambda p: Verdict("network", "数据文件夹在网络驱动器 Z: 上") if Path(p).is_relative_to(share) else None)
    asked = _answer(monkeypatch, 0)
    ctx = data_safety.open_context(share)
    try:
        assert "网络驱动器 Z:" in asked[0] and str(local) in asked[0]
        assert ctx is not None and ctx.data_dir == local and deputies.count_deputies(ctx) == 64
        assert (share / "congress.sqlite3").exists()  # the original is left where it was
    finally:
        if ctx is not None:
            ctx.close()


def test_the_daily_backup_runs_in_the_background_and_says_so(qtbot, window, demo_ctx):
    job = data_safety.StartupMaintenance(demo_ctx)
    job.done.connect(lambda result: data_safety.handle_maintenance_result(window, result))
    with qtbot.waitSignal(job.done, timeout=20000) as got:
        job.start()
    assert got.args[0].backup is not None
    assert "已自动备份" in window.statusBar().currentMessage()
    assert len(backups.list_backups(demo_ctx)) == 1


def test_damage_found_in_the_background_offers_the_restore(qtbot, window, demo_ctx, monkeypatch):
    monkeypatch.setattr(files, "QUICK_CHECK_MAX_BYTES", 0)  # as for a very big file: checked in the background
    files.make_backup(demo_ctx.db_path, "daily", now=dt.datetime.now() - dt.timedelta(days=2))
    demo_ctx.store.close()
    db = demo_ctx.db_path
    con = sqlite3.connect(db)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    damage_table(db, pattern=b"\x00\x01")  # a table page, not the schema
    asked = _answer(monkeypatch, 0)
    result = backups.startup_maintenance(demo_ctx)
    data_safety.handle_maintenance_result(window, result)
    assert "后台检查发现数据库文件已损坏" in asked[0]
    assert deputies.count_deputies(demo_ctx) == 64 and backups.check_data(demo_ctx.data_dir).ok


# ------------------------------------------------------------------ the stick-backup passphrase
def test_the_first_backup_to_usb_sets_the_passphrase_twice_with_the_warning(qtbot, window, dialogs, demo_ctx,
                                                                            tmp_path, monkeypatch):
    stick = tmp_path / "U盘"
    stick.mkdir()
    errors_shown: list[str] = []

    def type_badly_then_well(dlg):
        assert dlg.again.isVisibleTo(dlg) and "忘记口令" in dlg.warning.text() and "公章" in dlg.warning.text()
        for first, again in (("短口令", "短口令"), (PASS, PASS + "x")):
            dlg.passphrase.setText(first)
            dlg.again.setText(again)
            dlg.ok_button.click()
            errors_shown.append(dlg.error.text())
            assert dlg.result() != dlg.DialogCode.Accepted
        dlg.again.setText(PASS)
        dlg.ok_button.click()

    dialogs.passphrases = [type_badly_then_well]
    monkeypatch.setattr(backups_panel, "choose_folder", lambda parent: str(stick))
    panel_of(window).usb_button.click()
    qtbot.waitUntil(lambda: any("已加密备份到" in t for t in dialogs.texts()), timeout=20000)
    assert [r.mode for r in dialogs.asked] == ["set"]
    assert "至少要 8 个字符" in errors_shown[0] and "两次输入的口令不一样" in errors_shown[1]
    assert stick_backups.check_passphrase(demo_ctx, PASS)
    assert len(list(stick.glob("*.cdbak"))) == 1


def test_a_wrong_passphrase_at_backup_is_asked_again_keeping_what_was_typed(qtbot, window, dialogs, demo_ctx,
                                                                           tmp_path, monkeypatch):
    stick = tmp_path / "U盘"
    stick.mkdir()
    stick_backups.set_passphrase(demo_ctx, PASS)
    dialogs.passphrases = [PASS + "?", PASS]
    monkeypatch.setattr(backups_panel, "choose_folder", lambda parent: str(stick))
    panel_of(window).usb_button.click()
    qtbot.waitUntil(lambda: any("已加密备份到" in t for t in dialogs.texts()), timeout=20000)
    first, second = dialogs.asked
    assert first.error == "" and second.typed == PASS + "?" and "不一致，没有备份" in second.error
    assert len(list(stick.glob("*.cdbak"))) == 1


def test_cancelling_the_passphrase_makes_no_backup(qtbot, window, dialogs, demo_ctx, tmp_path, monkeypatch):
    stick = tmp_path / "U盘"
    stick.mkdir()
    stick_backups.set_passphrase(demo_ctx, PASS)
    monkeypatch.setattr(backups_panel, "choose_folder", lambda parent: str(stick))
    assert panel_of(window).backup_to_usb() is None
    assert "已取消，没有备份" in window.statusBar().currentMessage()
    assert list(stick.iterdir()) == []


def test_restore_from_an_encrypted_stick_backup_shows_its_header_then_asks_again_after_a_wrong_passphrase(
        qtbot, window, demo_ctx, dialogs, tmp_path, monkeypatch):
    stick = tmp_path / "U盘"
    stick.mkdir()
    stick_backups.set_passphrase(demo_ctx, PASS)
    made = backups.backup_to_folder(demo_ctx, stick, passphrase=PASS).info
    deputies.create_deputy(demo_ctx, GOOD)
    dialogs.passphrases = ["不是这个口令", PASS]
    monkeypatch.setattr(data_safety, "choose_backup_file", lambda parent: str(made.path))
    panel_of(window).restore_file_button.click()
    qtbot.waitUntil(lambda: any("的备份恢复：" in t for t in dialogs.texts()), timeout=20000)
    question = next(t for t in dialogs.texts() if "用这个备份替换" in t)
    assert "加密的U盘备份" in question and "备份中的记录：代表 64 名" in question and "当前的记录：代表 65 名" in question
    first, second = dialogs.asked
    assert first.mode == "restore" and made.made_label in first.about and "代表 64 名" in first.about
    assert second.typed == "不是这个口令" and "口令不对" in second.error
    assert deputies.count_deputies(demo_ctx) == 64


def test_cancelling_the_passphrase_at_restore_changes_nothing(qtbot, window, demo_ctx, dialogs, tmp_path, monkeypatch):
    stick = tmp_path / "U盘"
    stick.mkdir()
    stick_backups.set_passphrase(demo_ctx, PASS)
    made = backups.backup_to_folder(demo_ctx, stick, passphrase=PASS).info
    deputies.create_deputy(demo_ctx, GOOD)
    monkeypatch.setattr(data_safety, "choose_backup_file", lambda parent: str(made.path))
    panel_of(window).restore_file_button.click()
    qtbot.waitUntil(lambda: "已取消恢复" in window.statusBar().currentMessage(), timeout=20000)
    assert [r.mode for r in dialogs.asked] == ["restore"]
    assert deputies.count_deputies(demo_ctx) == 65


def test_changing_the_passphrase_says_older_backups_keep_the_old_one(qtbot, window, demo_ctx, dialogs):
    stick_backups.set_passphrase(demo_ctx, PASS)
    dialogs.passphrases = ["新的备份口令2027"]
    handle = panel_of(window).change_passphrase()
    assert handle.wait(20000)
    assert [r.mode for r in dialogs.asked] == ["change"]
    assert any("以前的U盘备份仍要用当时的旧口令" in t for t in dialogs.texts())
    assert stick_backups.check_passphrase(demo_ctx, "新的备份口令2027")


def test_a_damaged_database_at_start_is_restored_from_an_encrypted_stick_backup(qtbot, demo_ctx, dialogs,
                                                                               monkeypatch, tmp_path):
    stick = tmp_path / "U盘"
    stick.mkdir()
    stick_backups.set_passphrase(demo_ctx, PASS)
    made = backups.backup_to_folder(demo_ctx, stick, passphrase=PASS).info
    folder = demo_ctx.data_dir
    demo_ctx.close()
    corrupt(folder / "congress.sqlite3")
    _answer(monkeypatch, 0)  # no automatic backup: 选择备份文件…
    monkeypatch.setattr(data_safety, "choose_backup_file", lambda parent: str(made.path))
    dialogs.passphrases = ["错误的口令啊啊", PASS]
    ctx = data_safety.open_context(folder)
    try:
        assert ctx is not None and deputies.count_deputies(ctx) == 64
        assert [r.mode for r in dialogs.asked] == ["restore", "restore"] and "口令不对" in dialogs.asked[1].error
    finally:
        if ctx is not None:
            ctx.close()


def test_check_data_offers_to_hold_received_records_it_cannot_read_and_then_the_lists_open(
        qtbot, window, dialogs, demo_ctx, monkeypatch):
    from congress_desktop.deputies import service as deputies
    from congress_desktop.sync import service as sync

    d = deputies.query_deputies(demo_ctx, deputies.DeputyQuery(), 0, 1)[0]
    with demo_ctx.store.engine.begin() as conn:  # a record of the city, received before these checks
        conn.exec_driver_sql("UPDATE deputy SET owner_code = '420381000000', created_at = 'garbage' WHERE id = ?",
                             (d.id,))
    asked = []
    monkeypatch.setattr(backups_panel, "_ask_hold", lambda parent, text: asked.append(text) or True)
    panel_of(window).check_button.click()
    qtbot.waitUntil(lambda: any("结论：全部正常" in t for t in dialogs.texts()), timeout=30000)
    assert "创建时间" in asked[0] and d.name in asked[0]
    assert deputies.count_deputies(demo_ctx) == 63  # the held one is aside, the list opens
    assert [q.record_id for q in sync.list_quarantine(demo_ctx)] == [d.id]
