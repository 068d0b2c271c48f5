"""The 票决 page with real widgets (offscreen): session set-up and the quorum refusal, keyboard-only
ballot entry with the void flag shown at once, and double entry with the difference list."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QMessageBox

import ui.files
import ui.widgets
from congress_desktop.votes import service as svc
from tests.pdfcheck import page_count
from tests.votehelp import new_project_vote
from ui import tasks
from ui.main_window import MainWindow
from ui.pages import votes as votes_page
from ui.pages.votes import entry as vote_entry
from ui.pages.votes import review as vote_review


class Modals:
    """Every modal dialog goes through here: recorded, and answered by a handler per dialog type."""

    def __init__(self):
        self.shown: list = []
        self.handlers: dict[type, object] = {}

    def __call__(self, dlg):
        self.shown.append(dlg)
        handler = self.handlers.get(type(dlg))
        if handler is not None:
            handler(dlg)
            return dlg.result()
        return 0

    def messages(self) -> list[str]:
        return [d.text() for d in self.shown if isinstance(d, QMessageBox)]


@pytest.fixture
def modals(monkeypatch):
    m = Modals()
    monkeypatch.setattr(ui.widgets, "exec_modal", m)
    return m


@pytest.fixture
def window(qtbot, demo_ctx, modals):
    w = MainWindow(demo_ctx, settings=QSettings(str(Path(demo_ctx.data_dir) / "w.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(w)
    return w


def idle(qtbot, timeout: int = 30000) -> None:
    """Wait until every database call the page started (and those their results started) has finished."""
    qtbot.waitUntil(lambda: not tasks.active_tasks(), timeout=timeout)


def open_page(window, qtbot) -> votes_page.VotesPage:
    page = window.show_page("votes")
    assert isinstance(page, votes_page.VotesPage)
    idle(qtbot)
    return page


def show_session(page, qtbot, session_id: str, tab) -> None:
    page.reload_sessions(session_id)
    page.tabs.setCurrentWidget(tab)
    idle(qtbot)


def test_votes_page_replaces_the_placeholder(window, qtbot):
    page = open_page(window, qtbot)
    assert page.tabs.count() == 5
    assert page.projects.table.rowCount() == 10  # this year's demo candidates


def test_set_up_a_session_and_open_refused_below_quorum(window, modals, qtbot, monkeypatch):
    page = open_page(window, qtbot)

    def fill(dlg: votes_page.NewSessionDialog) -> None:
        dlg.form.title.setText("六里坪镇第十九届人民代表大会第五次会议")
        dlg.form.seats.setValue(8)
        dlg.form.chief.setText("刘总监")
        assert dlg.load_task.wait()  # the candidates are read on the database worker
        assert dlg.save_and_wait()

    modals.handlers[votes_page.NewSessionDialog] = fill
    created = page.new_session("project_vote")
    assert created is not None and len(created.items) == 10
    setup = page.setup
    idle(qtbot)
    assert page.tabs.currentWidget() is setup
    assert "全体代表 62 名" in setup.counts.text() and "实到 62 名" in setup.counts.text()

    # roll call by keyboard: select 21 deputies, press 3 (缺席)
    table = setup.table
    table.setFocus()
    table.selectRow(0)
    for r in range(1, 21):
        table.selectionModel().select(table.model().index(r, 0),
                                      table.selectionModel().SelectionFlag.Select
                                      | table.selectionModel().SelectionFlag.Rows)
    qtbot.keyClick(table, Qt.Key.Key_3)
    idle(qtbot)
    assert "实到 41 名" in setup.counts.text() and "缺席 21 名" in setup.counts.text()
    assert "不能开始表决" in setup.quorum.text()
    assert table.item(0, 2).text() == "缺席"

    qtbot.mouseClick(setup.open_button, Qt.MouseButton.LeftButton)
    idle(qtbot)
    assert any("不足全体代表 62 人的三分之二（至少 42 人）" in m for m in modals.messages())
    assert svc.get_session(page.ctx, created.id).rounds == ()

    # one absent deputy arrives (press 1): 42 present, the vote opens
    table.selectRow(0)
    qtbot.keyClick(table, Qt.Key.Key_1)
    idle(qtbot)
    assert "实到 42 名" in setup.counts.text() and "可以表决" in setup.quorum.text()
    qtbot.mouseClick(setup.open_button, Qt.MouseButton.LeftButton)
    idle(qtbot)
    assert svc.get_session(page.ctx, created.id).rounds[0].number == 1
    assert not setup.open_button.isEnabled()

    # print the ballots of the round (as many as present by default; two here), opened when done
    opened = []
    monkeypatch.setattr(ui.files, "open_file", lambda path: opened.append(path) or True)
    page.tabs.setCurrentWidget(page.printing)
    assert page.printing.copies.value() == 42
    page.printing.copies.setValue(2)
    page.printing.print_doc("ballots")
    assert page.printing.last_task.wait(30000)
    assert opened and opened[0].exists() and page_count(opened[0]) == 2


@pytest.fixture
def open_round(demo_ctx):
    def make(mode: str):
        sess = new_project_vote(demo_ctx)
        r = svc.open_vote(demo_ctx, sess.id, mode)
        svc.set_ballot_counts(demo_ctx, r.id, issued=58, returned=58)
        return sess, r
    return make


def test_keyboard_entry_one_key_per_project_and_void_shown_at_once(window, open_round, modals, qtbot):
    sess, r = open_round("single")
    page = open_page(window, qtbot)
    show_session(page, qtbot, sess.id, page.count)
    count = page.count
    assert "本轮投票有效" in count.stands_label.text()
    count.returned.setValue(59)  # typed, not yet saved: the round would be void, said at once
    assert "收回 59 张 > 发出 58 张" in count.stands_label.text() and "无效" in count.stands_label.text()
    qtbot.mouseClick(count.counts_button, Qt.MouseButton.LeftButton)
    idle(qtbot)
    assert svc.get_round(page.ctx, r.id).stands is False
    count.returned.setValue(58)
    qtbot.mouseClick(count.counts_button, Qt.MouseButton.LeftButton)
    idle(qtbot)
    assert svc.get_round(page.ctx, r.id).stands is True
    entry = count.entry
    line = entry.line
    line.setFocus()

    qtbot.keyClicks(line, "1111111122")
    assert entry.status.text().startswith("有效")
    qtbot.keyClick(line, Qt.Key.Key_Return)
    assert line.text() == ""  # free for the next ballot at once; the ballot is entered on the worker
    assert entry.last_task.wait()
    assert entry.table.rowCount() == 1 and entry.table.item(0, 2).text() == "有效"
    assert line.text() == ""

    qtbot.keyClicks(line, "5")  # not a key of the ballot: refused
    assert line.text() == ""
    qtbot.keyClicks(line, "111111111")  # the ninth 赞成: void before Enter
    assert entry.status.text().startswith("作废") and "超过应选 8 项" in entry.status.text()
    assert entry.status.property("void") is True
    qtbot.keyClicks(line, "0")
    qtbot.keyClick(line, Qt.Key.Key_Return)
    assert entry.last_task.wait()
    assert entry.table.rowCount() == 2
    assert entry.table.item(1, 2).text() == "作废" and "超过应选 8 项" in entry.table.item(1, 3).text()

    qtbot.keyClicks(line, "12345")  # 4 and 5 are refused, the line holds 1, 2, 3
    assert line.text() == "123"
    line.clear()
    qtbot.keyClicks(line, "3333333333*")
    qtbot.keyClick(line, Qt.Key.Key_Return)
    assert entry.last_task.wait()
    assert "存疑" in entry.table.item(2, 3).text()

    qtbot.keyClick(line, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)  # undo the last ballot
    assert entry.last_task.wait()
    assert entry.table.rowCount() == 2 and "已撤销第 3 张" in entry.status.text()

    qtbot.keyClicks(line, "11111")
    qtbot.keyClick(line, Qt.Key.Key_Return)  # incomplete: not entered, says how many are missing
    assert entry.table.rowCount() == 2 and "还差 5 项" in entry.status.text()
    line.clear()

    # correct ballot 1 with a reason (F2 on the selected row)
    modals.handlers[vote_entry.CorrectDialog] = lambda dlg: dlg.accept_with("1111111133", "第 9、10 项看错")
    entry.table.selectRow(0)
    entry.correct_selected()  # the handler waited for the correction (one worker call)
    assert entry.table.item(0, 1).text().endswith("弃 弃") and "已更正：第 9、10 项看错" in entry.table.item(0, 3).text()
    assert [e.keys for e in svc.clerk_ballots(page.ctx, r.id, "A")] == ["1111111133", "1111111110"]
    assert "还差 56 张" in entry.count_label.text()


def test_double_entry_clerks_do_not_see_each_other_and_differences_are_settled(window, open_round, modals, qtbot):
    sess, r = open_round("double")
    svc.set_ballot_counts(window.ctx, r.id, issued=58, returned=3)
    page = open_page(window, qtbot)
    show_session(page, qtbot, sess.id, page.count)
    count = page.count
    assert count.clerk.isEnabled() and count.diffs.isVisibleTo(count)
    line = count.entry.line
    for keys in ("1111111122", "2222222211", "3333333333"):
        qtbot.keyClicks(line, keys)
        qtbot.keyClick(line, Qt.Key.Key_Return)
    idle(qtbot)
    assert count.entry.table.rowCount() == 3
    assert "第二录入员已录 0 张" in count.diffs.summary.text()

    count.clerk.setCurrentIndex(1)  # the second clerk starts from an empty stack
    idle(qtbot)
    assert count.entry.table.rowCount() == 0
    for keys in ("1111111122", "2222222121", "3333333333"):
        qtbot.keyClicks(line, keys)
        qtbot.keyClick(line, Qt.Key.Key_Return)
    idle(qtbot)
    assert count.entry.table.rowCount() == 3

    diffs = count.diffs
    assert diffs.table.rowCount() == 1
    assert diffs.table.item(0, 0).text() == "2" and diffs.table.item(0, 3).text() == "8、9"
    assert diffs.table.item(0, 4).text() == "未核定"
    assert "还有 1 张未核定" in diffs.summary.text()
    assert "尚未核定" in count.problems.text()

    def settle(dlg: vote_review.SettleDialog) -> None:
        dlg.accept_with(use="a", by="周核对", reason="对照原票，第 8 项反对、第 9 项赞成")

    modals.handlers[vote_review.SettleDialog] = settle
    diffs.table.selectRow(0)
    diffs.settle_selected()
    assert diffs.table.item(0, 5).text() == "周核对"
    assert "均已核定" in diffs.summary.text()
    assert "已可计票" in count.problems.text()

    # the result tab counts, shows the outcome, and announcing locks the round
    page.tabs.setCurrentWidget(page.result)
    idle(qtbot)
    result = page.result
    result.compute()
    idle(qtbot)
    assert result.view.result.valid_ballots == 3
    assert result.table.item(0, 2).text() == "1"
    assert result.buttons["announce"].isEnabled()
    modals.handlers[QMessageBox] = lambda box: box.done(QMessageBox.StandardButton.Yes)
    result.announce()
    idle(qtbot)
    assert result.view.round.locked and not result.buttons["compute"].isEnabled()
    assert result.view.round.final_hash in result.hash_label.text()
    page.tabs.setCurrentWidget(page.count)
    idle(qtbot)
    assert not count.entry.line.isEnabled() and "锁定" in count.problems.text()


def test_hand_count_totals_refused_until_they_add_up(window, demo_ctx, modals, qtbot):
    sess = svc.create_session(demo_ctx, {"title": "测评会议", "kind": "satisfaction",
                                         "items": ["镇卫生院", "镇中心小学"]})
    r = svc.open_vote(demo_ctx, sess.id, "totals")
    svc.set_ballot_counts(demo_ctx, r.id, issued=62, returned=62)
    page = open_page(window, qtbot)
    show_session(page, qtbot, sess.id, page.count)
    totals = page.count.totals
    totals.set_counts(60, 2, [{"satisfied": 50, "basic": 8, "unsatisfied": 2},
                              {"satisfied": 40, "basic": 15, "unsatisfied": 4}])
    assert "镇中心小学" in totals.problems.text() and "应等于有效票 60" in totals.problems.text()
    handle = totals.save()
    assert handle.wait() and handle.error is not None  # refused on the database worker
    assert any("合计对不上" in m for m in modals.messages())
    totals.set_counts(60, 2, [{"satisfied": 50, "basic": 8, "unsatisfied": 2},
                              {"satisfied": 40, "basic": 15, "unsatisfied": 5}])
    assert "无误" in totals.problems.text()
    handle = totals.save()
    assert handle.wait() and handle.error is None
    assert svc.round_totals(demo_ctx, r.id).valid == 60


def test_new_rating_of_five_units_typed_with_enter(window, qtbot):
    page = open_page(window, qtbot)
    dlg = votes_page.NewSessionDialog(page.ctx, "satisfaction", page)
    qtbot.addWidget(dlg)
    dlg.show()
    form = dlg.form
    form.title.setText("六里坪镇第十九届人民代表大会第五次会议")
    checked_before = form.raw()["items"]
    assert checked_before == []  # last year's finished projects are offered, not ticked
    for unit in ("镇卫生院", "镇中心小学", "镇派出所", "镇农业服务中心", "镇交通管理站"):
        form.new_item.setText(unit)
        qtbot.keyClick(form.new_item, Qt.Key.Key_Return)
    assert dlg.isVisible() and dlg.created is None  # Enter added the item, it did not press 建立
    assert [i["name"] for i in form.raw()["items"]] == ["镇卫生院", "镇中心小学", "镇派出所", "镇农业服务中心",
                                                        "镇交通管理站"]
    assert dlg.save_and_wait()
    assert dlg.created.kind == "satisfaction" and len(dlg.created.items) == 5


def test_the_key_line_says_what_the_over_vote_rule_says(window, demo_ctx, qtbot):
    """Under 赞成超过应选数的该票赞成一律无效 the ballot stays valid: the help must not say 整张作废
    (the widget's own copy of the rule said it whatever the rule), and a 9-赞成 ballot reads 有效."""
    projects = svc.list_projects(demo_ctx, states=["正式候选"])
    sess = svc.create_session(demo_ctx, {"title": "票决", "date": "2026-07-10", "kind": "project_vote", "seats": 8,
                                         "items": [{"project_id": p.id} for p in projects],
                                         "rules": {"over_vote": "void_for"}})
    r = svc.open_vote(demo_ctx, sess.id, "single")
    svc.set_ballot_counts(demo_ctx, r.id, issued=58, returned=58)
    page = open_page(window, qtbot)
    show_session(page, qtbot, sess.id, page.count)
    entry = page.count.entry
    assert "整张作废" not in entry.help_label.text() and "赞成一律无效" in entry.help_label.text()
    qtbot.keyClicks(entry.line, "1111111112")
    assert entry.status.text().startswith("有效") and entry.status.property("void") is False


def test_enter_is_one_worker_call_and_no_database_on_the_gui_thread(window, open_round, qtbot):
    from tests.stall import GuiThreadDb, Heartbeat

    sess, r = open_round("double")
    page = open_page(window, qtbot)
    show_session(page, qtbot, sess.id, page.count)
    count, line = page.count, page.count.entry.line
    with GuiThreadDb(page.ctx.store, Heartbeat()) as db:
        qtbot.keyClicks(line, "1111111122*")
        qtbot.keyClick(line, Qt.Key.Key_Return)
        assert len(tasks.active_tasks()) == 1  # ONE call: rounds.enter_ballot_step
        idle(qtbot)
        assert count.entry.table.rowCount() == 1
        assert "第一录入员已录 1 张，第二录入员已录 0 张" in count.diffs.summary.text()
        assert count.doubts.isVisibleTo(count) and count.doubts.table.rowCount() == 1
        assert "存疑选票尚待" in count.problems.text()
        qtbot.keyClick(line, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
        assert len(tasks.active_tasks()) == 1  # ONE call: rounds.undo_step
        idle(qtbot)
        assert count.entry.table.rowCount() == 0 and not count.doubts.isVisibleTo(count)
    assert db.calls == 0, f"{db.calls} database sessions on the GUI thread"
    assert "第 1 轮" in page.state_label.text()  # the header follows the step, without a read of its own


def test_hand_count_cells_take_only_counts(window, demo_ctx, qtbot):
    sess = svc.create_session(demo_ctx, {"title": "测评会议", "kind": "satisfaction", "items": ["镇卫生院"]})
    r = svc.open_vote(demo_ctx, sess.id, "totals")
    svc.set_ballot_counts(demo_ctx, r.id, issued=62, returned=62)
    page = open_page(window, qtbot)
    show_session(page, qtbot, sess.id, page.count)
    totals = page.count.totals
    model = totals.model
    assert [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())] == [
        "项目", "满意", "基本满意", "不满意", "弃权", "无效", "各栏合计"]  # rules.count_columns: no 未投
    cell = model.index(0, 1)
    assert model.setData(cell, "50")
    assert model.data(model.index(0, model.columnCount() - 1)) == "50"
    for bad in ("abc", "-1", "2.5", -3, True):
        assert not model.setData(cell, bad)  # refused: the cell keeps its count
        assert model.data(cell) == "50"
    assert "计数应为不小于 0 的整数" in totals.problems.text()
    assert not model.setData(model.index(0, 0), "7")  # the item's name is not a count
    totals.set_counts(60, 2, [{"satisfied": 50, "basic": 8, "unsatisfied": 2}])
    assert "无误" in totals.problems.text()
    assert model.data(model.index(0, model.columnCount() - 1), Qt.ItemDataRole.BackgroundRole) is None
    totals.valid.setValue(59)
    assert model.data(model.index(0, model.columnCount() - 1), Qt.ItemDataRole.BackgroundRole) is not None
