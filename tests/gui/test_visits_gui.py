"""联系点接待 and 建议督办 in the window (offscreen): the visit form driven from the keyboard, its
validation, the opinion list filters, the handling dialog, and the home-page figures."""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QInputMethodEvent
from PySide6.QtWidgets import QApplication, QDialog

import ui.pages.opinions as opinions_page
import ui.widgets
from congress_desktop.core.text import pinyin_keys
from congress_desktop.deputies import service as deputies
from congress_desktop.places import contact_points
from congress_desktop.places.units import list_units
from congress_desktop.visits import opinions as ops
from congress_desktop.visits import service as vis
from ui import tasks
from ui.pages.opinion_forms import MeetingDialog, StepDialog
from ui.pages.opinions import OpinionDialog, OpinionsPage
from ui.pages.visits import VisitForm, VisitsPage

TODAY = dt.date.today()


def type_chinese(widget, text: str) -> None:
    """What an input method does: commit the composed text to the focused widget."""
    widget.setFocus()
    QApplication.sendEvent(widget, QInputMethodEvent("", []))
    event = QInputMethodEvent()
    event.setCommitString(text)
    QApplication.sendEvent(widget, event)


def idle(qtbot) -> None:
    """Until every read and save the widgets started on the database worker is done and shown."""
    qtbot.waitUntil(lambda: not tasks.active_tasks(), timeout=30000)


def enter(qtbot, window) -> None:
    qtbot.keyClick(window.focusWidget(), Qt.Key.Key_Return)


@pytest.fixture
def modals(monkeypatch):
    shown = []
    handlers = {}

    def fake_exec(dialog):
        shown.append(dialog)
        for kind, handler in handlers.items():
            if isinstance(dialog, kind):
                return handler(dialog)
        return 0

    monkeypatch.setattr(ui.widgets, "exec_modal", fake_exec)
    return shown, handlers


def unique_initials(ctx, ids: list[str]) -> list[tuple[str, str]]:
    """(id, initials) of deputies whose pinyin initials no other active deputy shares."""
    active = deputies.query_deputies(ctx, deputies.DeputyQuery(status="在任"), 0, None)
    counts: dict[str, int] = {}
    for d in active:
        counts[pinyin_keys(d.name)[1]] = counts.get(pinyin_keys(d.name)[1], 0) + 1
    names = {d.id: d.name for d in active}
    return [(i, pinyin_keys(names[i])[1]) for i in ids if i in names and counts[pinyin_keys(names[i])[1]] == 1]


def test_reception_day_typed_from_the_keyboard(qtbot, demo_ctx):
    ctx = demo_ctx
    home = next(p for p in contact_points.list_contact_points(ctx) if p.kind == "代表之家")
    active = [d.id for d in deputies.query_deputies(ctx, deputies.DeputyQuery(status="在任"), 0, None)]
    (d1, ini1), (d2, ini2) = unique_initials(ctx, list(home.deputy_ids) + active)[:2]
    form = VisitForm(ctx)
    qtbot.addWidget(form)
    form.show()
    form.activateWindow()
    assert not form.save_button.isEnabled()  # until the choice lists are read on the database worker
    assert form.load_task.wait() and form.save_button.isEnabled()
    qtbot.waitUntil(form.isActiveWindow)  # shortcuts (Ctrl+S) go to the active window only
    day = (TODAY - dt.timedelta(days=1)).isoformat()

    assert form.focusWidget() is form.visit_date
    form.visit_date.selectAll()
    qtbot.keyClicks(form.visit_date, day)
    enter(qtbot, form)
    assert form.focusWidget() is form.start_time
    form.start_time.selectAll()
    qtbot.keyClicks(form.start_time, "9:00")
    enter(qtbot, form)
    qtbot.keyClicks(form.end_time, "11:30")
    enter(qtbot, form)
    assert form.focusWidget() is form.form  # 接待日 is already chosen
    enter(qtbot, form)
    type_chinese(form.place.lineEdit(), home.name)
    enter(qtbot, form)
    enter(qtbot, form)  # village: filled from the place
    assert form.focusWidget() is form.deputies.search
    for initials in (ini1, ini2):
        qtbot.keyClicks(form.deputies.search, initials)
        enter(qtbot, form)
    assert form.deputies.selected_ids() == [d1, d2]
    enter(qtbot, form)  # empty search: on to the visitors
    visitors = [("龚德旺", "13872345678", "黄家村3组"), ("覃秀芳", "", "黄家村5组"), ("欧阳春生", "0719-5212345", "")]
    for n, (name, phone, group) in enumerate(visitors):
        row = form.visitors.rows[n]
        assert form.focusWidget() is row["name"]
        type_chinese(row["name"], name)
        enter(qtbot, form)
        qtbot.keyClicks(row["phone"], phone)
        enter(qtbot, form)
        type_chinese(row["village_group"], group)
        enter(qtbot, form)
        enter(qtbot, form)  # head count 1
        enter(qtbot, form)  # no ID number: Enter at the end of the row opens the next one
    assert len(form.visitors.rows) == 4
    enter(qtbot, form)  # an empty row: on to the opinions
    cats = [c.name for c in form.categories]
    for n, (category, content) in enumerate((("基础设施", "黄家村3组通组公路塌方，请求修复"),
                                             ("社保", "低保复核结果迟迟没有通知到户"))):
        row = form.opinions.rows[n]
        assert form.focusWidget() is row["category_id"]
        for _ in range(cats.index(category) + 1):
            qtbot.keyClick(row["category_id"], Qt.Key.Key_Down)
        enter(qtbot, form)
        type_chinese(row["content"], content)
        enter(qtbot, form)
    qtbot.keyClick(form.focusWidget(), Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert form.save_task is not None and form.save_task.wait()  # saved on the database worker

    assert form.result() == QDialog.DialogCode.Accepted, form.general_error.text()
    saved = form.saved
    assert saved.row.place_label == home.name and saved.row.visit_date == day and saved.row.time_label == "09:00-11:30"
    assert set(saved.row.deputy_ids) == {d1, d2}
    assert [v.name for v in saved.visitors] == ["龚德旺", "覃秀芳", "欧阳春生"]
    assert [(o.category, o.content) for o in saved.opinions] == [
        ("基础设施", "黄家村3组通组公路塌方，请求修复"), ("社保", "低保复核结果迟迟没有通知到户")]


def test_visit_form_shows_every_error_and_saves_nothing(qtbot, demo_ctx):
    ctx = demo_ctx
    before = vis.count_visits(ctx)
    form = VisitForm(ctx)
    qtbot.addWidget(form)
    form.show()
    form.activateWindow()
    assert form.load_task.wait()
    form.visit_date.setText((TODAY + dt.timedelta(days=3)).isoformat())
    form.start_time.setText("10:00")
    form.end_time.setText("09:00")
    form.visitors.rows[0]["name"].setText("张三")
    form.visitors.rows[0]["phone"].setText("1381234")
    form.opinions.rows[0]["content"].setText("修路")  # no category
    form.save().wait()  # saved on the database worker
    assert form.saved is None and form.result() != QDialog.DialogCode.Accepted
    assert form.isVisible() and vis.count_visits(ctx) == before
    date_error = form.field_errors["visit_date"]
    assert "晚于今天" in date_error.text() and date_error.isVisible()
    assert "结束时间 09:00 不能早于开始时间 10:00" in date_error.text()
    assert "请选择接待地点" in form.field_errors["place"].text()
    assert "请至少选择一名接待代表" in form.field_errors["deputy_ids"].text()
    general = form.general_error.text()
    assert "第 1 位群众：手机号" in general and "第 1 条意见：请选择类别" in general
    assert "border" in form.visitors.rows[0]["phone"].styleSheet()
    assert form.focusWidget() is form.visit_date


def test_visits_page_new_edit_delete(qtbot, demo_ctx, modals, monkeypatch):
    ctx = demo_ctx
    shown, handlers = modals
    page = VisitsPage(ctx)
    qtbot.addWidget(page)
    page.show()
    assert page.count_label.text() == "正在加载…"  # the list is read on the database worker
    idle(qtbot)
    total = vis.count_visits(ctx)
    assert page.count_label.text() == f"共 {total} 次接待"
    home = next(p for p in contact_points.list_contact_points(ctx) if p.kind == "代表之家")

    def fill(form: VisitForm):
        assert form.load_task.wait()
        form.place.setCurrentIndex(form.place.findText(home.name))
        form.deputies.add(home.deputy_ids[0])
        form.visitors.rows[0]["name"].setText("司马试林")
        form.opinions.rows[0]["category_id"].setCurrentIndex(1)
        form.opinions.rows[0]["content"].setText("路口加装红绿灯")
        form.opinions.rows[0]["on_the_spot"].setChecked(True)
        form.opinions.rows[0]["answer"].setText("已向交警中队反映")
        form.save().wait()
        return QDialog.DialogCode.Accepted if form.saved else 0

    handlers[VisitForm] = fill
    page.new_visit()
    idle(qtbot)  # the list read again, the new visit looked for and selected
    assert page.count_label.text() == f"共 {total + 1} 次接待"
    v = page.selected()
    assert v is not None and v.visitor_names == ("司马试林",) and v.opinion_count == 1 and v.open_count == 0

    page.search.setText("司马试林")
    page.apply_filters().wait()
    assert page.model.rowCount() == 1

    monkeypatch.setattr(ui.widgets, "ask_yes_no", lambda *a: True)
    page.table.selectRow(0)
    page.delete_visit()
    page.last_task.wait()  # deleted on the database worker
    page.last_task.wait()  # then the list read again
    assert page.model.rowCount() == 0 and vis.count_visits(ctx) == total


# ------------------------------------------------------------------ the opinion list

@pytest.fixture
def opinions(qtbot, demo_ctx):
    page = OpinionsPage(demo_ctx)
    qtbot.addWidget(page)
    page.resize(1300, 700)
    page.show()
    assert page.count_label.text() == "正在加载…"
    assert page.last_task.wait()  # the choice lists, the first page and the count, on the database worker
    return page


def shown_rows(page) -> list:
    """Every row of the list, once the page and its count are in (each read on the database worker)."""
    page.last_task.wait()
    m = page.model
    while m.canFetchMore():
        m.fetchMore()
        assert m.wait()
    return m.rows()


def test_opinion_list_filters(opinions, demo_ctx):
    page, ctx = opinions, demo_ctx
    assert page.count_label.text() == f"共 {ops.count_opinions(ctx)} 条"

    page.state.setCurrentIndex(page.state.findData("办理中"))
    assert {o.state for o in shown_rows(page)} == {"办理中"}

    page.overdue.setChecked(True)
    rows = shown_rows(page)
    assert rows and all(o.overdue and o.state == "办理中" for o in rows)
    bg = page.model.data(page.model.index(0, 0), Qt.ItemDataRole.BackgroundRole)
    assert bg.color().name() == opinions_page.OVERDUE_BG.name()  # overdue rows stand out
    assert page.count_label.text() == f"共 {len(rows)} 条"

    page.clear_filters()
    page.due_soon.setChecked(True)
    assert all(o.due_soon for o in shown_rows(page))

    page.clear_filters()
    page.search.setText("路灯")
    page.apply_filters()
    rows = shown_rows(page)
    assert rows and all("路灯" in o.content for o in rows)

    page.clear_filters()
    for combo in (page.category, page.unit, page.village):
        combo.setCurrentIndex(1)
        key = {page.category: "category_id", page.unit: "unit_id", page.village: "village_id"}[combo]
        assert all(getattr(o, key) == combo.currentData() for o in shown_rows(page))
        combo.setCurrentIndex(0)

    some = shown_rows(page)[0]
    name = some.deputy_names[0]
    page.deputy.setCurrentIndex(page.deputy.findText(name))
    assert some.id in {o.id for o in shown_rows(page)}
    assert all(name in o.deputy_names for o in shown_rows(page))
    page.clear_filters()

    page.date_from.setText(some.raised_on)
    page.date_to.setText(some.raised_on)
    page.apply_filters()
    assert {o.raised_on for o in shown_rows(page)} == {some.raised_on}
    page.date_to.setText("2000-01-01")
    page.apply_filters().wait()
    assert "早于开始日期" in page.filter_error.text()
    assert {o.raised_on for o in page.model.rows()} == {some.raised_on}  # the last good list stays


def test_opinion_dialog_steps_meetings_and_back_to_the_visit(qtbot, demo_ctx, monkeypatch, modals):
    ctx = demo_ctx
    shown, handlers = modals
    o = ops.query_opinions(ctx, ops.OpinionQuery(state="登记"), 0, 1)[0]
    unit = next(u for u in list_units(ctx) if u.name == "镇水利站")
    dlg = OpinionDialog(ctx, o.id)
    qtbot.addWidget(dlg)
    assert not any(b.isEnabled() for b in dlg.step_buttons.values())  # until read on the database worker
    assert dlg.last_task.wait()
    enabled = {k for k, b in dlg.step_buttons.items() if b.isEnabled()}
    assert enabled == {"assign", "spot"}
    assert "不能答复" in dlg.step_buttons["answer"].toolTip()

    today = TODAY.isoformat()
    yesterday = (TODAY - dt.timedelta(days=1)).isoformat()
    steps: list[StepDialog] = []

    def assign(step: StepDialog):
        steps.append(step)
        assert step.choices_task.wait() and step.ok_button.isEnabled()  # the units, read on the worker
        step.on.setText(today)
        step.unit.setCurrentIndex(step.unit.findData(unit.id))
        step.deadline.setText(yesterday)
        assert step.save().wait()  # the step is taken on the database worker
        # refused: the step dialog stays, with what was typed and the reason under its field
        assert step.saved is None and step.result() != QDialog.DialogCode.Accepted
        assert "不能早于交办日期" in step.errors["deadline"].text()
        assert step.deadline.text() == yesterday and step.unit.currentData() == unit.id
        assert dlg.detail.row.state == "登记" and ops.get_opinion(ctx, o.id).row.state == "登记"
        step.deadline.setText("")
        assert step.save().wait() and step.saved is not None
        return step.result()

    handlers[StepDialog] = assign
    dlg.step_buttons["assign"].click()
    assert len(steps) == 1 and steps[0].result() == QDialog.DialogCode.Accepted
    assert dlg.detail.row.state == "交办" and dlg.state_label.text() == "交办"
    assert {k for k, b in dlg.step_buttons.items() if b.isEnabled()} == {"reassign", "start"}
    assert dlg.events.count() == 1 and "镇水利站" in dlg.events.item(0).text()
    assert dlg.error.text() == ""

    meetings: list[MeetingDialog] = []

    def meeting(m: MeetingDialog):
        meetings.append(m)
        m.meet_on.setText(today)
        m.participants.setText("代表、群众、水利站")
        m.notes.setPlainText("现场查看")
        assert m.save().wait()
        return m.result()

    handlers[MeetingDialog] = meeting
    dlg.meeting_buttons["办前"].click()
    assert "现场查看" in dlg.meeting_labels["办前"].text()
    dlg.meeting_buttons["办后"].click()
    refused = meetings[-1]
    assert "答复后" in refused.errors["meet_on"].text() and refused.saved is None
    assert refused.notes.toPlainText() == "现场查看"  # kept as typed
    assert "（未登记）" in dlg.meeting_labels["办后"].text()

    # from the opinion to its visit, and from the visit's opinion row back to the opinion
    def visit_form(form: VisitForm):
        assert form.load_task.wait()  # its choice lists, on the database worker
        row = next(r for r in form.opinions.rows if r["content"].property("opinion_id") == o.id)
        assert row["state"].text() == "交办"
        row["state"].click()
        return 0

    def opinion_from_visit(d: OpinionDialog):
        assert d.from_visit and d.visit_button.text() == "返回接待记录"
        d.visit_button.click()  # closes: back to the visit form
        return d.result()

    handlers[VisitForm] = visit_form
    handlers[OpinionDialog] = opinion_from_visit
    shown.clear()  # the step and meeting dialogs above
    dlg.visit_button.click()
    assert dlg.last_task.wait()  # the visit is read on the database worker, then its form opens
    assert [type(x).__name__ for x in shown] == ["VisitForm", "OpinionDialog"]
    assert shown[1].result() == QDialog.DialogCode.Accepted


def test_home_figures_open_their_lists(qtbot, demo_ctx, tmp_path):
    from PySide6.QtCore import QSettings

    from ui.main_window import MainWindow

    w = MainWindow(demo_ctx, settings=QSettings(str(tmp_path / "w.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(w)
    w.show()
    card = w.page("home").visit_summary
    assert card.last_task.wait()  # counted on the database worker
    h = vis.home_summary(demo_ctx)
    assert f"{h.overdue} 件" in card.buttons["overdue"].text()
    assert f"{h.visits_year} 次" in card.buttons["visits_year"].text()
    card.buttons["overdue"].click()
    page = w.stack.currentWidget()
    assert w.current_key() == "opinions" and page.overdue.isChecked()
    idle(qtbot)
    assert page.count_label.text() == f"共 {h.overdue} 条"
    w.show_page("home")
    card.buttons["visits_month"].click()
    page = w.stack.currentWidget()
    assert w.current_key() == "visits" and page.date_from.text() == h.month_from
    idle(qtbot)
    assert page.count_label.text() == f"共 {h.visits_month} 次接待"
    w.show_page("home")
    card.buttons["satisfaction_rate"].click()
    page = w.stack.currentWidget()
    assert all(o.rating for o in shown_rows(page)) and page.model.total == h.rated_year


def test_an_opinion_not_raised_at_a_visit_is_registered_from_the_list(qtbot, opinions, demo_ctx, modals):
    page, ctx = opinions, demo_ctx
    shown, handlers = modals
    before = ops.count_opinions(ctx)

    def fill_in(dlg):
        assert dlg.source.findData("接待") < 0  # those come with their visit
        assert dlg.choices_task.wait() and dlg.ok_button.isEnabled()  # read on the database worker
        dlg.lead_deputy.setEditText("没有这个人")
        dlg.save().wait()  # empty: every wrong field named at once, nothing stored (saved on the worker)
        assert "意见内容不能为空" in dlg.error.text() and "请选择类别" in dlg.error.text()
        assert "没有名为“没有这个人”的代表" in dlg.error.text()
        dlg.source.setCurrentIndex(dlg.source.findData("网格"))
        type_chinese(dlg.content, "村东头路灯坏了三盏，晚上出行不便")
        dlg.category.setCurrentIndex(1)
        dlg.raised_by.setText("王大伯")
        dlg.lead_deputy.setEditText("没有这个人")
        dlg.save().wait()
        assert "没有名为“没有这个人”的代表" in dlg.error.text()
        dlg.lead_deputy.setCurrentIndex(1)
        assert dlg.save().wait() and dlg.saved is not None
        return QDialog.DialogCode.Accepted

    handlers[opinions_page.NewOpinionDialog] = fill_in
    handlers[OpinionDialog] = lambda dlg: 0
    page.new_action.trigger()
    assert ops.count_opinions(ctx) == before + 1
    opened = next(d for d in shown if isinstance(d, OpinionDialog))  # opened at once, ready for 交办
    idle(qtbot)  # the opinion read, the list read again and the new row selected (on the database worker)
    row = opened.detail.row
    assert row.content == "村东头路灯坏了三盏，晚上出行不便" and row.state == "登记" and row.source == "网格"
    assert row.raised_by == "王大伯" and row.visit_id is None and row.lead_deputy_id
    assert page.selected().id == row.id


# ------------------------------------------------------------------ on the database worker

def test_a_refused_filter_keeps_the_last_good_list_and_an_older_refusal_is_dropped(qtbot, demo_ctx):
    page = VisitsPage(demo_ctx)
    qtbot.addWidget(page)
    idle(qtbot)
    rows = page.model.rowCount()
    total = vis.count_visits(demo_ctx)
    assert rows and page.count_label.text() == f"共 {total} 次接待"
    page.date_from.setText("2026-05-01")
    page.date_to.setText("2000-01-01")
    page.apply_filters().wait()
    assert "早于开始日期" in page.filter_error.text()
    assert page.model.rowCount() == rows and page.count_label.text() == f"共 {total} 次接待"
    # a refusal that comes back after a newer (good) filter was asked for says nothing
    page.apply_filters()
    page.date_to.setText("")
    page.date_from.setText("")
    page.apply_filters()
    idle(qtbot)
    assert page.filter_error.text() == "" and page.count_label.text() == f"共 {total} 次接待"


def test_scrolling_to_the_end_loads_the_next_pages_on_the_worker(qtbot, demo_ctx):
    page = OpinionsPage(demo_ctx)
    qtbot.addWidget(page)
    page.model.page_size = 5
    page.resize(1300, 400)
    page.show()
    page.apply_filters()
    idle(qtbot)
    n = page.model.rowCount()  # a page, and more while the view is not full
    assert n >= 5 and n % 5 == 0 and page.count_label.text() == f"共 {ops.count_opinions(demo_ctx)} 条"
    page.table.scrollToBottom()
    idle(qtbot)
    assert page.model.rowCount() > n


def test_a_visit_saved_far_down_the_list_is_found_page_by_page(qtbot, demo_ctx, modals):
    ctx = demo_ctx
    page = VisitsPage(ctx)
    qtbot.addWidget(page)
    page.model.page_size = 3
    idle(qtbot)
    oldest = vis.query_visits(ctx, vis.VisitQuery(), 0, None)[-1]
    found = []
    page.select_visit(oldest.id, found.append)
    idle(qtbot)
    assert found == [True] and page.selected().id == oldest.id and page.model.rowCount() > 3
    page.select_visit("no-such-visit", found.append)
    idle(qtbot)
    assert found == [True, False]


def test_units_and_categories_are_read_and_saved_on_the_worker(qtbot, demo_ctx, modals, monkeypatch):
    from ui.pages.opinion_settings import CategoriesDialog, UnitForm, UnitsDialog

    ctx = demo_ctx
    shown, handlers = modals
    units = UnitsDialog(ctx)
    qtbot.addWidget(units)
    assert units.last_task.wait() and units.table.rowCount() == len(list_units(ctx))

    def fill(form: UnitForm):
        assert form.save().wait() and form.saved is None  # no name: said under the field, the form stays
        assert "单位名称不能为空" in form.errors["name"].text()
        form.name.setText("镇试验站")
        form.phone.setText("07195212345")
        assert form.save().wait() and form.saved is not None
        return form.result()

    handlers[UnitForm] = fill
    units.add()
    assert units.last_task.wait()
    assert "镇试验站" in [units.table.item(i, 0).text() for i in range(units.table.rowCount())]
    row = next(i for i in range(units.table.rowCount()) if units.table.item(i, 0).text() == "镇试验站")
    units.table.selectRow(row)
    monkeypatch.setattr(ui.widgets, "ask_yes_no", lambda *a: True)
    units.delete().wait()
    assert units.last_task.wait()
    assert "镇试验站" not in [u.name for u in list_units(ctx)]
    assert "镇试验站" not in [units.table.item(i, 0).text() for i in range(units.table.rowCount())]

    cats = CategoriesDialog(ctx)
    qtbot.addWidget(cats)
    assert cats.last_task.wait() and cats.list.count() == len(ops.list_categories(ctx, include_inactive=True))
    cats.name.setText("")
    cats.add()
    assert cats.last_task.wait() and "类别名称不能为空" in cats.error.text()
    cats.name.setText("试验类")
    cats.add()
    assert cats.last_task.wait() and cats.error.text() == ""
    assert any(cats.list.item(i).text().startswith("试验类") for i in range(cats.list.count()))


def test_opinion_attachments_and_history_on_the_worker(qtbot, demo_ctx, modals, monkeypatch, tmp_path):
    import ui.pages.visits_common as common
    from ui.pages.visits_common import HistoryDialog

    ctx = demo_ctx
    shown, handlers = modals
    o = ops.query_opinions(ctx, ops.OpinionQuery(), 0, 1)[0]
    scan = tmp_path / "回执.pdf"
    scan.write_bytes(b"%PDF-1.4 test\n")
    dlg = OpinionDialog(ctx, o.id)
    qtbot.addWidget(dlg)
    assert dlg.last_task.wait()
    before = dlg.attachments.count()
    monkeypatch.setattr(common, "ask_open_files", lambda *a: [str(scan), str(tmp_path / "没有这个文件.pdf")])
    dlg.add_attachment().wait()
    assert dlg.attachments.count() == before + 1 and "回执.pdf" in dlg.attachments.item(before).text()
    assert any(type(d).__name__ == "QMessageBox" for d in shown)  # the missing file is said, the other kept
    opened = []
    monkeypatch.setattr(common, "open_file", lambda path: opened.append(path) or True)
    dlg.attachments.setCurrentRow(before)
    dlg.open_attachment().wait()
    assert opened and opened[0].read_bytes() == scan.read_bytes()
    monkeypatch.setattr(ui.widgets, "ask_yes_no", lambda *a: True)
    dlg.remove_attachment().wait()
    assert dlg.attachments.count() == before

    dlg.show_history().wait()
    history = next(d for d in shown if isinstance(d, HistoryDialog))
    assert history.lines


def test_an_opinion_removed_meanwhile_says_so_and_the_list_is_read_again(qtbot, opinions, demo_ctx, modals):
    page, ctx = opinions, demo_ctx
    shown, handlers = modals
    o = page.model.row(0)
    ops.delete_opinion(ctx, o.id)  # by another window, say
    gone = []
    handlers[OpinionDialog] = lambda d: (d.gone.connect(lambda: gone.append(d)), d.last_task.wait(), d.result())[2]
    page.open_opinion(o.id)
    idle(qtbot)
    assert gone and any(type(d).__name__ == "QMessageBox" for d in shown)
    assert o.id not in {r.id for r in page.model.rows()}
