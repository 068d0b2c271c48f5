"""The 网格 page on the demo town: assign through the dialog, the 一键建议入格 dialog, the checks panel
following every change and the date, printing and importing."""

from __future__ import annotations

import pytest
from openpyxl import Workbook
from PySide6.QtCore import QDate
from PySide6.QtWidgets import QDialog, QMessageBox

import ui.files
import ui.widgets
from congress_desktop.grids import service as grids
from ui.pages import grids as grids_page
from ui.pages.grids import AssignDialog, DateDialog, GridDialog, GridsPage, SuggestionDialog
from ui.pages.import_dialog import ImportErrorsDialog


@pytest.fixture
def modals(monkeypatch):
    """Modal dialogs the page opens, answered by ``modals.answer`` (default: 取消)."""

    class Modals(list):
        def answer(self, dialog) -> int:
            return 0

    shown = Modals()

    def fake_exec(dialog):
        shown.append(dialog)
        return shown.answer(dialog)

    monkeypatch.setattr(ui.widgets, "exec_modal", fake_exec)
    return shown


@pytest.fixture
def page(qtbot, demo_ctx, modals):
    p = GridsPage(demo_ctx)
    qtbot.addWidget(p)
    p.show()
    return p


def tree_grids(page) -> dict[str, object]:
    out = {}
    for i in range(page.tree.topLevelItemCount()):
        top = page.tree.topLevelItem(i)
        for j in range(top.childCount()):
            out[top.child(j).data(0, grids_page.ID_ROLE)] = top.child(j)
    return out


def member_names(page) -> list[str]:
    return [page.members.item(r, 0).text() for r in range(page.members.rowCount())]


def test_page_shows_villages_grids_checks_and_balance(page, demo_ctx):
    report = grids.check_grids(demo_ctx)
    assert page.tree.topLevelItemCount() == 20
    assert len(tree_grids(page)) == report.grids == 47
    summary = page.check_summary.text()
    assert f"未入格 {len(report.of_kind('unplaced'))}" in summary and "发现" in summary
    kinds = [page.issues.topLevelItem(i).text(0) for i in range(page.issues.topLevelItemCount())]
    assert kinds[0].startswith("未入格（")
    assert page.balance.rowCount() == 21 and page.balance.item(20, 0).text() == "全镇"
    empty = report.of_kind("empty")[0].grid_id
    assert tree_grids(page)[empty].foreground(0) == grids_page.RED


def test_assign_through_the_dialog_updates_the_grid_and_the_checks(page, demo_ctx, modals):
    report = grids.check_grids(demo_ctx)
    empty = report.of_kind("empty")[0]
    who = report.of_kind("unplaced")[0]
    page.select_grid(empty.grid_id)

    def answer(dialog):
        assert isinstance(dialog, AssignDialog)
        assert dialog.grid.currentData() == empty.grid_id  # the chosen grid comes preselected
        dialog.deputy.setCurrentIndex(dialog.deputy.findData(who.deputy_id))
        dialog.save_button.click()
        return dialog.result()

    modals.answer = answer
    page.assign_action.trigger()
    assert member_names(page) == [who.deputy]
    assert page.members.item(0, 2).text() == "责任代表"
    unplaced = len(report.of_kind("unplaced"))
    assert f"未入格 {unplaced - 1}" in page.check_summary.text()
    assert tree_grids(page)[empty.grid_id].foreground(0) != grids_page.RED


def test_double_clicking_an_unplaced_deputy_opens_the_assign_dialog_for_them(page, demo_ctx, modals):
    head = page.issues.topLevelItem(0)
    child = head.child(0)
    page.act_on_issue(child)
    assert isinstance(modals[-1], AssignDialog)
    assert modals[-1].deputy.currentData() == child.data(0, grids_page.ID_ROLE).deputy_id


def test_suggestion_dialog_applies_only_what_the_user_kept(page, demo_ctx, modals):
    before = grids.check_grids(demo_ctx)
    unplaced = len(before.of_kind("unplaced"))
    page.suggest_action.trigger()  # cancelled: nothing written
    assert isinstance(modals[-1], SuggestionDialog)
    assert grids.check_grids(demo_ctx).counts() == before.counts()

    def crowd_then_keep_all_but_one(dialog):
        # four proposals into one grid: refused with the reason, the dialog stays open
        target = dialog.grid_boxes[0].currentData()
        for box in dialog.grid_boxes[1:4]:
            box.setCurrentIndex(box.findData(target))
        assert [b.currentText() for b in dialog.role_boxes[1:4]] == ["协助代表"] * 3
        dialog.accept_button.click()
        assert "上限" in dialog.error.text() and dialog.result() != QDialog.DialogCode.Accepted
        for r, p in enumerate(dialog.suggestion.proposals[1:4], start=1):
            box = dialog.grid_boxes[r]
            box.setCurrentIndex(box.findData(p.grid_id))
            dialog.role_boxes[r].setCurrentText(p.role)
        dialog.checks[0].setChecked(False)
        assert dialog.count_label.text() == f"已选 {unplaced - 1} / {unplaced} 条"
        dialog.accept_button.click()
        return dialog.result()

    modals.answer = crowd_then_keep_all_but_one
    page.suggest_action.trigger()
    after = grids.check_grids(demo_ctx)
    assert len(after.of_kind("unplaced")) == 1
    assert "未入格 1" in page.check_summary.text()

    modals.answer = lambda dialog: (dialog.accept_button.click(), dialog.result())[1]
    page.suggest_action.trigger()
    final = grids.check_grids(demo_ctx)
    assert final.counts()["unplaced"] == 0 and final.counts()["empty"] == 2
    assert page.check_summary.text().count("无代表网格 2") == 1


def test_checks_panel_follows_the_date_and_every_change(page, demo_ctx, modals):
    grids.accept_placements(demo_ctx, grids.suggest_placements(demo_ctx).proposals)
    page.refresh()
    assert "无代表网格 2" in page.check_summary.text()
    # a grid with one deputy: end the placement from today on, the grid turns empty
    rg = next(rg for rg in grids.roster_on(demo_ctx) if len(rg.members) == 1)
    page.select_grid(rg.grid.id)
    page.members.selectRow(0)
    assert page.end_action.isEnabled()

    def end_today(dialog):
        assert isinstance(dialog, DateDialog)
        dialog.ok_button.click()
        return dialog.result()

    modals.answer = end_today
    page.end_action.trigger()
    assert member_names(page) == []
    assert "无代表网格 3" in page.check_summary.text()
    assert page.history_table.rowCount() >= 1
    # the roster of an earlier date comes from the history
    page.date.setDate(QDate(2024, 6, 1))
    assert "2024-06-01" in page.check_summary.text()
    assert member_names(page) == [m.name for m in rg.members if m.start_on <= "2024-06-01"]


def test_new_grid_dialog_suggests_a_code_and_shows_field_errors(page, demo_ctx, modals):
    village = grids.list_grids(demo_ctx)[0]
    page.select_grid(village.id)

    def answer(dialog):
        assert isinstance(dialog, GridDialog)
        assert dialog.code.text() == grids.next_grid_code(demo_ctx, village.village_id)
        dialog.households.setText("很多")
        dialog.save_button.click()
        assert dialog.errors["name"].text() and dialog.errors["households"].text()
        dialog.name.setText("新区网格")
        dialog.households.setText("88")
        dialog.save_button.click()
        return dialog.result()

    modals.answer = answer
    page.new_action.trigger()
    assert page.grid_title.text() == f"{village.village_name} · 新区网格"
    assert "无代表网格" in page.check_summary.text()


def test_print_and_import_run_in_the_background(page, demo_ctx, modals, monkeypatch, tmp_path):
    opened = []
    monkeypatch.setattr(ui.files, "open_file", lambda path: opened.append(path) or True)
    handle = page.print_roster(None)
    assert handle.wait(30000)
    assert opened and opened[0].exists() and opened[0].read_bytes()[:4] == b"%PDF"

    wb = Workbook()
    wb.active.append(["网格编号", "代表姓名"])
    wb.active.append(["999", "查无此人"])
    bad = tmp_path / "名册.xlsx"
    wb.save(bad)
    monkeypatch.setattr(grids_page, "ask_open_file", lambda *_a: str(bad))
    handle = page.import_file("roster")
    assert handle.wait(30000)
    dialog = next(d for d in modals if isinstance(d, ImportErrorsDialog))
    assert [r[0] for r in dialog.rows()] == ["第 2 行", "第 2 行"]
    assert not any(isinstance(d, QMessageBox) and d.windowTitle() == "导入完成" for d in modals)


def test_the_main_window_opens_the_grid_page_and_shows_its_messages(qtbot, demo_ctx, modals, tmp_path):
    from PySide6.QtCore import QSettings

    from ui.main_window import MainWindow

    window = MainWindow(demo_ctx, settings=QSettings(str(tmp_path / "w.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(window)
    page = window.show_page("grids")
    assert isinstance(page, GridsPage) and window.page_title.text() == "网格"
    modals.answer = lambda dialog: (dialog.accept_button.click(), dialog.result())[1]
    page.suggest_action.trigger()
    assert window.statusBar().currentMessage().startswith("已采纳")
