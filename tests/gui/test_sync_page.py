"""The 同步 page, town and city side by side (two data folders in one test), driven like a user."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QDialog, QMessageBox

import ui.pages.sync as page_mod
import ui.widgets
from congress_desktop.deputies import service as deputies
from congress_desktop.sync import service as sync
from tests.pdfcheck import pdf_text
from tests.synchelp import enrol, make_city, make_conflict
from ui.pages.sync import EnrolDialog, QuarantineDialog, ReportDialog, SyncPage, TrustDialog


@pytest.fixture
def modals(monkeypatch):
    class Modals(list):
        def answer(self, dialog) -> int:
            if isinstance(dialog, (EnrolDialog, TrustDialog)):
                dialog.checked.setChecked(True)
                dialog.ok_button.click()
                return dialog.result()
            if isinstance(dialog, QMessageBox) and dialog.standardButtons() & QMessageBox.StandardButton.Yes:
                return QMessageBox.StandardButton.Yes
            return QDialog.DialogCode.Accepted

    shown = Modals()
    monkeypatch.setattr(ui.widgets, "exec_modal", lambda d: shown.append(d) or shown.answer(d))
    return shown


@pytest.fixture
def city(tmp_path):
    c = make_city(tmp_path / "city")
    yield c
    c.close()


def texts(t) -> list[list[str]]:
    return [[t.item(r, c).text() for c in range(t.columnCount())] for r in range(t.rowCount())]


def test_town_and_city_enrol_export_import_and_summarise_through_the_window(qtbot, demo_ctx, city, tmp_path,
                                                                           modals, monkeypatch):
    opened = []
    monkeypatch.setattr(page_mod, "open_file", lambda p: opened.append(p) or True)
    town_page, city_page = SyncPage(demo_ctx), SyncPage(city)
    qtbot.addWidget(town_page)
    qtbot.addWidget(city_page)
    assert "还没有同步密钥" in town_page.keys_label.text()

    # town: keys, enrolment file; city: check the fingerprint and enrol; trust bundle back down
    town_page.init_keys_button.click()
    assert "密钥指纹" in town_page.keys_label.text()
    enrol_file = tmp_path / "town.cdenrol"
    monkeypatch.setattr(page_mod, "ask_save_file", lambda *a: str(enrol_file))
    town_page.enrolment_button.click()
    assert enrol_file.exists()
    monkeypatch.setattr(page_mod, "ask_open_file", lambda *a: str(enrol_file))
    city_page.enrol_button.click()
    dialog = next(d for d in modals if isinstance(d, EnrolDialog))
    assert dialog.preview.fingerprint == sync.own_keys(demo_ctx).fingerprint
    assert texts(city_page.peers_table)[0][1] == "丹江口市六里坪镇人大"
    trust = tmp_path / "city.cdtrust"
    monkeypatch.setattr(page_mod, "ask_save_file", lambda *a: str(trust))
    city_page.trust_button.click()
    monkeypatch.setattr(page_mod, "ask_open_file", lambda *a: str(trust))
    town_page.trust_button.click()
    trust_dialog = next(d for d in modals if isinstance(d, TrustDialog))  # a new city key: checked first
    assert trust_dialog.preview.fingerprint == sync.own_keys(city).fingerprint
    assert texts(town_page.peers_table)[0][1] == "丹江口市人大常委会"
    unchecked = TrustDialog(trust_dialog.preview)
    qtbot.addWidget(unchecked)
    unchecked.ok_button.click()
    assert unchecked.result() != QDialog.DialogCode.Accepted and "核对指纹" in unchecked.error.text()
    shown = len(modals)
    town_page.trust_button.click()  # the same key again (a new list of towns): no check needed
    assert not any(isinstance(d, TrustDialog) for d in modals[shown:])

    # town: 导出到U盘 (a folder chosen by hand)
    stick = tmp_path / "stick"
    stick.mkdir()
    monkeypatch.setattr(page_mod, "ask_folder", lambda *a: str(stick))
    town_page.folder_button.click()
    handle = town_page.export_packages()
    assert handle.wait()
    assert handle.error is None, handle.error
    assert "安全弹出" in town_page.result_label.text()
    assert "等待上报" in town_page.status_label.text()

    # city: 从U盘导入, the report per package, the towns table, the summary
    city_page.choose_folder()
    handle = city_page.import_packages()
    assert handle.wait() and handle.error is None, handle.error
    report = next(d for d in modals if isinstance(d, ReportDialog))
    assert texts(report.table)[0][2] == "已导入" and "回执已写回U盘" in report.summary.text()
    towns = texts(city_page.towns_table)
    assert towns[0][1] == "丹江口市六里坪镇人大" and towns[0][6] == "无"
    city_page.refresh_summary()
    summary = texts(city_page.summary_table)
    assert summary[0][0] == "丹江口市六里坪镇人大" and summary[0][1] == "62" and summary[-1][0] == "合计"
    handle = city_page.print_summary()
    assert handle.wait() and handle.error is None
    assert "丹江口市六里坪镇人大" in pdf_text(opened[-1])
    xlsx = tmp_path / "sum.xlsx"
    monkeypatch.setattr(page_mod, "ask_save_file", lambda *a: str(xlsx))
    assert city_page.export_summary().wait() and xlsx.exists()

    # back at the town: the receipt is read at the next export; nothing waits any more
    assert town_page.export_packages().wait()
    assert "已读取" in town_page.result_label.text() and "等待上报：无" in town_page.status_label.text()
    assert deputies.count_deputies(city, deputies.DeputyQuery(owner="420381103000")) == 64


def test_city_revokes_a_town_and_its_next_package_is_refused_in_the_report(qtbot, demo_ctx, city, tmp_path, modals,
                                                                          monkeypatch):
    from tests.synchelp import enrol

    sync.init_keys(demo_ctx)
    enrol(city, demo_ctx, tmp_path / "papers")
    sync.export_packages(demo_ctx, tmp_path / "stick")
    page = SyncPage(city)
    qtbot.addWidget(page)
    page.peers_table.selectRow(0)
    page.revoke_button.click()
    assert "已吊销" in texts(page.peers_table)[0][2]
    monkeypatch.setattr(page_mod, "ask_folder", lambda *a: str(tmp_path / "stick"))
    page.choose_folder()
    assert page.import_packages().wait()
    report = next(d for d in modals if isinstance(d, ReportDialog))
    row = texts(report.table)[0]
    assert row[2] == "已拒绝" and "吊销" in row[3]
    assert "拒绝 1 个" in page.result_label.text()


def test_fingerprint_form_prints_the_fingerprint(qtbot, demo_ctx, modals, monkeypatch):
    opened = []
    monkeypatch.setattr(page_mod, "open_file", lambda p: opened.append(p) or True)
    k = sync.init_keys(demo_ctx)
    page = SyncPage(demo_ctx)
    qtbot.addWidget(page)
    assert page.print_form().wait()
    text = pdf_text(opened[0])
    assert "数据同步密钥登记表" in text and k.fingerprint.split()[0] in text and "丹江口市六里坪镇人大" in text


def test_main_window_shows_the_sync_page(qtbot, demo_ctx, tmp_path):
    from PySide6.QtCore import QSettings

    from ui.main_window import MainWindow

    w = MainWindow(demo_ctx, settings=QSettings(str(tmp_path / "w.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(w)
    assert isinstance(w.show_page("sync"), SyncPage)


def test_city_deputies_list_filters_by_town_and_town_records_are_read_only(qtbot, demo_ctx, city, tmp_path):
    from tests.synchelp import enrol
    from ui.pages.deputies import DeputiesPage

    sync.init_keys(demo_ctx)
    enrol(city, demo_ctx, tmp_path / "papers")
    sync.export_packages(demo_ctx, tmp_path / "stick")
    sync.import_from(city, tmp_path / "stick")
    deputies.create_deputy(city, {"name": "市直代表", "gender": "男"})
    page = DeputiesPage(city)
    qtbot.addWidget(page)
    page.status.setCurrentIndex(page.status.findData(""))
    assert page.owner.isVisibleTo(page)
    names = [page.owner.itemText(i) for i in range(page.owner.count())]
    assert names == ["全部单位", "丹江口市人大常委会", "丹江口市六里坪镇人大"]
    assert page.model.total == 65
    page.owner.setCurrentIndex(page.owner.findData("420381103000"))
    assert page.model.total == 64
    page.table.selectRow(0)
    assert not page.edit_action.isEnabled() and not page.delete_action.isEnabled()
    assert page.card_action.isEnabled()
    page.owner.setCurrentIndex(page.owner.findData("420381000000"))
    page.table.selectRow(0)
    assert page.edit_action.isEnabled()


def test_city_reviews_a_held_back_record_and_takes_the_received_version(qtbot, demo_ctx, city, tmp_path, modals):
    sync.init_keys(demo_ctx)
    enrol(city, demo_ctx, tmp_path / "papers")
    did, _ = make_conflict(demo_ctx, city, tmp_path)
    page = SyncPage(city)
    qtbot.addWidget(page)
    assert page.quarantine_button.isVisibleTo(page) and "核查隔离的记录" in page.status_label.text()
    page.quarantine_button.click()
    dlg = next(d for d in modals if isinstance(d, QuarantineDialog))
    [row] = texts(dlg.table)
    assert row[1] == demo_ctx.office.name and row[2].startswith("代表：") and row[3] == "版本号相同但内容不同"
    assert ["备注", "不同", "本镇备注"] in texts(dlg.diff)
    assert dlg.take_button.isEnabled() and dlg.keep_button.isEnabled()
    dlg.take_button.click()
    assert any(isinstance(d, QMessageBox) and d.windowTitle() == "采用收到的版本" for d in modals)  # asked first
    assert "已采用收到的代表记录" in dlg.message.text()
    assert dlg.table.rowCount() == 0 and not dlg.take_button.isEnabled() and not dlg.keep_button.isEnabled()
    with city.store.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT note FROM deputy WHERE id = ?", (did,)).scalar() == "本镇备注"
    page.refresh()
    assert not page.quarantine_button.isVisibleTo(page) and "隔离" not in page.status_label.text()


def test_replacing_the_trusted_city_key_needs_its_own_tick(qtbot):
    preview = sync.TrustPreview("420381000000", "丹江口市人大常委会", "k2", "1111 2222 3333 4444 5555 6666 7777 8888",
                                3, True, False, "9999 8888 7777 6666 5555 4444 3333 2222")
    dlg = TrustDialog(preview)
    qtbot.addWidget(dlg)
    assert dlg.replace.isVisibleTo(dlg)
    dlg.checked.setChecked(True)
    dlg.ok_button.click()
    assert dlg.result() != QDialog.DialogCode.Accepted and "替换原来的密钥" in dlg.error.text()
    dlg.replace.setChecked(True)
    dlg.ok_button.click()
    assert dlg.result() == QDialog.DialogCode.Accepted


def test_after_a_restore_the_town_sees_the_new_epoch_and_what_the_city_still_keeps(qtbot, city, tmp_path, modals):
    from congress_desktop.backups import service as backups
    from tests.synchelp import make_town
    from ui.pages.sync import KeptDialog

    town = make_town(tmp_path / "town", "丹江口市浪河镇人大", "420381105000", deputies_n=2)
    try:
        enrol(city, town, tmp_path / "papers")
        stick = tmp_path / "stick"
        sync.export_packages(town, stick)
        sync.import_from(city, stick)
        saved = backups.backup_before(town, "manual").path
        for name in ("恢复前录入甲", "恢复前录入乙"):
            deputies.create_deputy(town, {"name": name, "gender": "女"})
        sync.export_packages(town, stick)
        sync.import_from(city, stick)
        backups.restore_backup(town, saved)
        sync.export_packages(town, stick)  # the old receipt is ignored; everything goes again
        sync.import_from(city, stick)
        page = SyncPage(town)
        qtbot.addWidget(page)
        page.target = lambda: str(stick)
        handle = page.export_packages()
        qtbot.waitUntil(lambda: handle.done, timeout=20000)
        status = page.status_label.text()
        assert "恢复备份" in status and "2 条本机已没有" in status
        assert not page.kept_button.isHidden()
        page.kept_button.click()
        dialog = next(d for d in modals if isinstance(d, KeptDialog))
        rows = texts(dialog.table)
        assert sorted(r[2] for r in rows) == ["代表：恢复前录入乙", "代表：恢复前录入甲"]
        assert all(r[0] == "丹江口市人大常委会" and r[1] == "本单位" for r in rows)
    finally:
        town.close()
