"""履职考评 in the window (offscreen): a number of the evaluation table clicked opens the records behind
it, and those open in their own forms; the scheme editor saves versions that change the current period
but not a closed one; training attendees picked by pinyin initials; a congress roll call; ratings;
printing the notice."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog

import ui.files
import ui.widgets
from congress_desktop.duty import activity
from congress_desktop.duty import evaluation as evs
from congress_desktop.duty import records as duty
from congress_desktop.duty import rules as ev
from ui import tasks
from ui.pages.duty import (
    DutyPage,
    EvaluationPeriodDialog,
    RecordDialog,
    SessionDialog,
    SourcesDialog,
    TrainingDialog,
)

TODAY = dt.date.today()


def quarter(offset: int) -> tuple[str, str]:
    y, q = ev.quarter_of(TODAY)
    if offset == -1:
        y, q = (y - 1, 4) if q == 1 else (y, q - 1)
    return ev.quarter_bounds(y, q)


def idle(qtbot) -> None:
    """Every database task the page started has finished and its result is shown."""
    qtbot.waitUntil(lambda: not tasks.active_tasks(), timeout=30000)


@pytest.fixture
def modals(monkeypatch):
    shown: list[QDialog] = []
    handlers: dict[type, object] = {}

    def fake_exec(dialog):
        shown.append(dialog)
        for kind, handler in handlers.items():
            if isinstance(dialog, kind):
                return handler(dialog)
        return 0

    monkeypatch.setattr(ui.widgets, "exec_modal", fake_exec)
    return shown, handlers


@pytest.fixture
def page(qtbot, demo_ctx):
    p = DutyPage(demo_ctx)
    qtbot.addWidget(p)
    p.resize(1400, 800)
    p.show()
    idle(qtbot)
    return p


def click_cell(qtbot, table, index) -> None:
    table.scrollTo(index)
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=table.visualRect(index).center())


def test_evaluation_opens_on_the_last_finished_quarter(page):
    tab = page.evaluation
    e = tab.evaluation
    assert (e.date_from, e.date_to) == quarter(-1) and e.period.closed
    assert tab.model.rowCount() == 62
    assert "按期间关闭时的考评办法第 1 版计算" in tab.info.text()
    assert not tab.close_button.isEnabled() and tab.reopen_button.isEnabled()
    headers = [tab.model.headerData(c, Qt.Orientation.Horizontal) for c in range(tab.model.columnCount())]
    assert headers[:5] == ["名次", "姓名", "所在村(社区)", "总分", "等次"] and "建议议案" in headers
    assert tab.model.data(tab.model.index(0, 3)) == e.rows[0].total


def test_clicking_a_number_lists_its_records_and_each_opens_in_its_form(qtbot, page, modals):
    shown, _handlers = modals
    tab = page.evaluation
    rows = tab.model.rows
    r = next(i for i, row in enumerate(rows) if row.cell("suggestion").count)
    index = tab.model.index(r, tab.model.column_of("suggestion"))
    assert tab.model.data(index) == rows[r].cell("suggestion").points
    click_cell(qtbot, tab.table, index)
    dlg = shown[-1]
    assert isinstance(dlg, SourcesDialog)
    cell = rows[r].cell("suggestion")
    assert dlg.table.rowCount() == cell.count
    assert dlg.table.item(0, 3).text() == cell.refs[0].title
    assert dlg.open_ref(0) is not None  # the record is read on the worker, then its form opens
    idle(qtbot)
    form = shown[-1]
    assert isinstance(form, RecordDialog)
    assert form.title_edit.text() == cell.refs[0].title and form.deputy.current_id() == rows[r].deputy_id

    # a visit and an opinion open in the forms of their own pages
    v = next(i for i, row in enumerate(rows) if row.cell("visit").count)
    click_cell(qtbot, tab.table, tab.model.index(v, tab.model.column_of("visit")))
    shown[-1].open_ref(0)
    idle(qtbot)
    from ui.pages.opinions import OpinionDialog
    from ui.pages.visits import VisitForm

    assert isinstance(shown[-1], VisitForm) and shown[-1].visit.row.id == rows[v].cell("visit").refs[0].id
    o = next(i for i, row in enumerate(rows) if row.cell("opinion").count)
    click_cell(qtbot, tab.table, tab.model.index(o, tab.model.column_of("opinion")))
    shown[-1].open_ref(0)
    idle(qtbot)
    assert isinstance(shown[-1], OpinionDialog)

    # a zero opens nothing; a congress session record opens the session's roll call
    n = len(shown)
    z = next(i for i, row in enumerate(rows) if row.cell("award").count == 0)
    click_cell(qtbot, tab.table, tab.model.index(z, tab.model.column_of("award")))
    assert len(shown) == n
    s = next(i for i, row in enumerate(rows) if row.cell("session_present").count)
    dlg = tab.show_sources(rows[s].deputy_id, "session_present")
    dlg.open_ref(0)
    idle(qtbot)
    assert isinstance(shown[-1], SessionDialog) and shown[-1].marks()[rows[s].deputy_id] == "出席"


def test_double_clicking_a_name_shows_the_whole_duty_file(qtbot, page, modals):
    shown, _ = modals
    tab = page.evaluation
    row = tab.model.rows[0]
    index = tab.model.index(0, 1)
    tab.table.scrollTo(index)
    pos = tab.table.visualRect(index).center()
    qtbot.mouseClick(tab.table.viewport(), Qt.MouseButton.LeftButton, pos=pos)  # Qt wants a press first
    qtbot.mouseDClick(tab.table.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    idle(qtbot)  # the duty file is read on the worker
    dlg = next(d for d in shown if isinstance(d, SourcesDialog))
    assert dlg.windowTitle() == f"履职档案：{row.name}"
    assert dlg.table.rowCount() >= sum(c.count for c in row.items)


def test_scheme_editor_saves_a_version_that_changes_the_current_period_not_the_closed_one(qtbot, page, modals):
    ctx = page.ctx
    closed = evs.period_for(ctx, *quarter(-1))
    current = evs.period_for(ctx, *quarter(0))
    someone = activity.deputy_options(ctx)[0]
    duty.save_record(ctx, {"deputy_id": someone.id, "kind": "建议议案", "record_date": TODAY.isoformat(),
                           "title": "关于整治河道的建议"})
    closed_before = [(r.deputy_id, r.total) for r in evs.evaluate_period(ctx, closed.id).rows]
    current_before = evs.evaluate_period(ctx, current.id).row(someone.id)

    editor = page.scheme
    page.tabs.setCurrentWidget(editor)
    editor.set_item_points("suggestion", "abc")
    editor.save()
    idle(qtbot)
    assert "不是数字" in editor.error.text() and editor.error.isVisible()
    assert evs.current_scheme(ctx).number == 1

    editor.set_item_points("suggestion", "6", "30")
    editor.note.setText("建议议案每件 6 分")
    qtbot.mouseClick(editor.save_button, Qt.MouseButton.LeftButton)
    idle(qtbot)
    assert not editor.error.isVisible()
    assert evs.current_scheme(ctx).number == 2 and evs.current_scheme(ctx).note == "建议议案每件 6 分"
    assert "【现行】" in editor.versions.currentText() and "第 2 版" in editor.versions.currentText()

    page.tabs.setCurrentWidget(page.evaluation)  # the table is computed again with the new version
    idle(qtbot)
    tab = page.evaluation
    tab.select_period(current.id)
    idle(qtbot)
    assert tab.evaluation.scheme.number == 2 and "第 2 版" in tab.info.text()
    mine = tab.evaluation.row(someone.id)
    assert Decimal(mine.cell("suggestion").points) == 6 * mine.cell("suggestion").count
    assert Decimal(mine.total) > Decimal(current_before.total)
    tab.select_period(closed.id)
    idle(qtbot)
    assert tab.evaluation.scheme.number == 1
    assert [(r.deputy_id, r.total) for r in tab.evaluation.rows] == closed_before

    # an older version can be looked at; saving it again makes it the newest version
    editor.versions.setCurrentIndex(editor.versions.findData(evs.find_scheme(ctx, 1).id))
    assert editor.values()["items"][[i["source"] for i in editor.values()["items"]].index("suggestion")]["points"] == "3"


def test_training_attendees_are_ticked_by_pinyin_initials(qtbot, demo_ctx, modals):
    dlg = TrainingDialog(demo_ctx)
    qtbot.addWidget(dlg)
    assert not dlg.ok_button.isEnabled()  # 保存 waits for the deputies, read on the worker
    idle(qtbot)
    assert dlg.ok_button.isEnabled()
    options = dlg.attendees.options
    counts: dict[str, int] = {}
    for o in options:
        counts[o.initials] = counts.get(o.initials, 0) + 1
    target = next(o for o in options if counts[o.initials] == 1 and o.status == "在任")
    qtbot.keyClicks(dlg.attendees.search, target.initials)
    assert dlg.attendees.visible_ids() == [target.id]
    qtbot.keyClick(dlg.attendees.search, Qt.Key.Key_Return)
    assert dlg.attendees.checked_ids() == [target.id] and dlg.attendees.search.text() == ""
    assert dlg.attendees.count_label.text() == "已选 1 名"
    dlg.topic.setText("代表履职能力提升培训")
    dlg.kind.setCurrentIndex(dlg.kind.findData("履职实务"))
    assert dlg.save().wait()
    assert dlg.result() == QDialog.DialogCode.Accepted
    assert dlg.saved.deputy_ids == (target.id,)
    assert duty.get_training(demo_ctx, dlg.saved.id).topic == "代表履职能力提升培训"


def test_a_bad_record_shows_its_errors_under_the_fields(qtbot, demo_ctx):
    dlg = RecordDialog(demo_ctx)
    qtbot.addWidget(dlg)
    idle(qtbot)
    dlg.record_date.setText("2026-13-45")
    assert dlg.save().wait()
    assert dlg.result() != QDialog.DialogCode.Accepted and dlg.saved is None
    assert dlg.errors["title"].isVisibleTo(dlg) and "事项名称" in dlg.errors["title"].text()
    assert "日期" in dlg.errors["record_date"].text()


def test_congress_roll_call_with_one_absent_deputy(qtbot, page, modals):
    shown, handlers = modals

    def fill(dlg: SessionDialog):
        assert dlg.load_task is not None and dlg.load_task.wait()
        dlg.title_edit.setText("第十九届人民代表大会第七次会议")
        did = dlg.options[0].id
        dlg.combos[did].setCurrentIndex(dlg.combos[did].findData("缺席"))
        assert "缺席 1 名" in dlg.counts.text()
        assert dlg.save().wait()
        return QDialog.DialogCode.Accepted

    handlers[SessionDialog] = fill
    page.tabs.setCurrentWidget(page.records)
    dlg = page.records.new_session()
    roll = dlg.saved
    assert roll.counts()["缺席"] == 1
    idle(qtbot)
    assert page.records.model.rowCount() > 0 and page.records.model.row(0).record_date == TODAY.isoformat()


def test_ratings_are_typed_in_the_table_and_shown_beside_the_points(qtbot, page):
    ctx = page.ctx
    current = evs.period_for(ctx, *quarter(0))
    tab = page.ratings
    page.tabs.setCurrentWidget(tab)
    tab.period_box.setCurrentIndex(tab.period_box.findData(current.id))
    idle(qtbot)
    did = tab.ids[0]
    assert tab.set_votes(did, "45", "5", "0")
    assert tab.model.data(tab.model.index(0, 5)) == "（未保存）"
    tab.save()
    idle(qtbot)
    assert tab.saved_count == 1
    assert tab.model.data(tab.model.index(0, 5)) == "称职（称职 90.0%）"
    page.tabs.setCurrentWidget(page.evaluation)
    idle(qtbot)
    page.evaluation.select_period(current.id)
    idle(qtbot)
    assert page.evaluation.evaluation.row(did).rating.label == "称职"


def test_printing_the_notice_runs_in_the_background_and_opens_the_pdf(qtbot, page, monkeypatch):
    opened = []
    monkeypatch.setattr(ui.files, "open_file", lambda path: opened.append(path) or True)
    handle = page.evaluation.print_notice()
    assert handle.wait(30000) and handle.error is None
    assert opened and opened[0].exists() and opened[0].suffix == ".pdf"


def test_a_roll_call_number_opens_the_vote_in_its_page(qtbot, demo_ctx, modals):
    from PySide6.QtCore import QSettings

    from congress_desktop.votes import service as votes
    from ui.main_window import MainWindow

    session = votes.create_session(demo_ctx, {"title": "民生实事项目满意度测评", "date": TODAY.isoformat(),
                                              "kind": "satisfaction", "items": ["集镇路灯亮化工程"]})
    window = MainWindow(demo_ctx, settings=QSettings(str(demo_ctx.data_dir / "w.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(window)
    page = window.show_page("duty")
    idle(qtbot)
    tab = page.evaluation
    tab.select_period(evs.period_for(demo_ctx, *quarter(0)).id)
    idle(qtbot)
    row = next(r for r in tab.evaluation.rows if r.cell("vote_present").count)
    dlg = tab.show_sources(row.deputy_id, "vote_present")
    assert dlg.table.item(0, 3).text() == "测评：民生实事项目满意度测评"
    dlg.open_ref(0)
    idle(qtbot)
    assert window.current_key() == "votes"
    assert window.page("votes").session_box.currentData() == session.id


def test_the_page_says_it_is_loading_until_its_data_is_back(qtbot, demo_ctx):
    p = DutyPage(demo_ctx)
    qtbot.addWidget(p)
    assert p.evaluation.info.text() == "正在加载…" and p.evaluation.model.rowCount() == 0
    assert p.records.count.text() == "正在加载…" and p.trainings.count.text() == "正在加载…"
    assert p.scheme.versions.currentText() == "正在加载…" and not p.scheme.save_button.isEnabled()
    idle(qtbot)
    assert p.evaluation.model.rowCount() == 62 and p.records.count.text().startswith("共 ")
    assert p.scheme.save_button.isEnabled()


def test_a_wrong_vote_count_is_refused_in_the_table_with_a_chinese_message(qtbot, page):
    tab = page.ratings
    page.tabs.setCurrentWidget(tab)
    current = evs.period_for(page.ctx, *quarter(0))
    tab.period_box.setCurrentIndex(tab.period_box.findData(current.id))
    idle(qtbot)
    did = tab.ids[0]
    assert not tab.set_votes(did, "abc", "", "")
    assert "称职票数“abc”不是整数" in tab.error.text()
    assert tab.model.data(tab.model.index(0, 2)) == "" and tab.model.data(tab.model.index(0, 5)) != "（未保存）"
    assert not tab.model.setData(tab.model.index(0, 3), "-2")
    assert "基本称职票数不能是负数" in tab.error.text()
    assert tab.model.changes() == []
    assert tab.model.setData(tab.model.index(0, 3), " ３ ")  # a full-width digit is a number (stored as typed)
    assert tab.model.changes() == [(did, tab.model.lines[0].option.name, ("", "３", ""))]


def test_the_ratings_note_states_the_rules_rating_rule(page):
    assert ev.rating_rule() in page.ratings.note.text()
    assert "称职票达到 80% 为称职，50%~80% 为基本称职，不足 50% 为不称职。" in page.ratings.note.text()


def test_a_closed_period_s_ratings_cannot_be_typed(qtbot, page):
    tab = page.ratings
    closed = evs.period_for(page.ctx, *quarter(-1))
    tab.period_box.setCurrentIndex(tab.period_box.findData(closed.id))
    idle(qtbot)
    assert tab.ids and not tab.save_button.isEnabled()
    assert not tab.model.flags(tab.model.index(0, 2)) & Qt.ItemFlag.ItemIsEditable
    assert not tab.model.setData(tab.model.index(0, 2), "3")


@pytest.mark.parametrize(("today", "last_quarter"), [(dt.date(2026, 2, 10), ("2025-10-01", "2025-12-31")),
                                                     (dt.date(2026, 8, 31), ("2026-04-01", "2026-06-30"))])
def test_the_new_period_quick_buttons_follow_the_rule(qtbot, demo_ctx, today, last_quarter):
    dlg = EvaluationPeriodDialog(demo_ctx, today=today)
    qtbot.addWidget(dlg)
    quick = {q.label: q for q in ev.quick_periods(today)}
    assert [b.text() for b in dlg.quick_buttons] == list(quick) == ["本季度", "上季度", "本年度"]
    qtbot.mouseClick(dlg.quick_buttons[1], Qt.MouseButton.LeftButton)
    assert (dlg.date_from.text(), dlg.date_to.text()) == last_quarter and dlg.kind.currentData() == "季度"
    qtbot.mouseClick(dlg.quick_buttons[2], Qt.MouseButton.LeftButton)
    assert (dlg.date_from.text(), dlg.date_to.text()) == (f"{today.year}-01-01", f"{today.year}-12-31")
    assert dlg.kind.currentData() == "年度"


def test_a_new_period_is_saved_on_the_worker_and_chosen(qtbot, page, modals):
    _shown, handlers = modals

    def fill(dlg: EvaluationPeriodDialog):
        dlg.name.setText("2019年度")
        dlg.date_from.setText("2019-01-01")
        dlg.date_to.setText("2019-12-31")
        dlg.kind.setCurrentIndex(dlg.kind.findData("年度"))
        assert dlg.save().wait()
        return dlg.result()

    handlers[EvaluationPeriodDialog] = fill
    dlg = page.evaluation.new_period()
    assert dlg.saved is not None
    idle(qtbot)
    assert page.evaluation.current_period().id == dlg.saved.id
    assert page.evaluation.evaluation.date_from == "2019-01-01"
