"""The 代表 page and form on the demo town, driven as a user would (offscreen)."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QDialog, QMessageBox

import ui.files
import ui.pages.deputies as deputies_page
import ui.pages.import_dialog as import_dialog
import ui.widgets
from congress_desktop.core.idcard import check_char
from congress_desktop.deputies.service import DeputyQuery, count_deputies, get_deputy, query_deputies
from ui.models import DEPUTY_COLUMNS, DEPUTY_SORT_KEYS, DeputyTableModel
from ui.pages.deputies import DeputiesPage, PrintRosterDialog, StatusDialog
from ui.pages.deputy_form import DeputyForm
from ui.pages.import_dialog import ImportErrorsDialog

ACTIVE = DeputyQuery(status="在任")


@pytest.fixture
def modals(monkeypatch):
    """Every modal dialog the page opens, answered by a handler per dialog type (default: 取消)."""

    class Modals(list):
        def __init__(self):
            super().__init__()
            self.handlers: dict[type, object] = {}

        def on(self, kind: type, handler) -> None:
            self.handlers[kind] = handler

    shown = Modals()

    def fake_exec(dialog):
        shown.append(dialog)
        for kind, handler in shown.handlers.items():
            if isinstance(dialog, kind):
                return handler(dialog)
        return 0

    monkeypatch.setattr(ui.widgets, "exec_modal", fake_exec)
    return shown


@pytest.fixture
def page(qtbot, demo_ctx):
    p = DeputiesPage(demo_ctx)
    qtbot.addWidget(p)
    p.resize(1200, 700)
    p.show()
    return p


def id_number(birth: str, seq: int) -> str:
    first = f"420381{birth}{seq:03d}"
    return first + check_char(first)


def shown_names(page: DeputiesPage) -> list[str]:
    m = page.model
    return [m.data(m.index(r, 0)) for r in range(m.rowCount())]


def count_shown(page: DeputiesPage) -> int:
    return int(page.count_label.text().removeprefix("共 ").removesuffix(" 名"))


# ------------------------------------------------------------------ the model


@pytest.mark.parametrize(("query", "sort", "order"), [
    (DeputyQuery(), "name", Qt.SortOrder.AscendingOrder),
    (DeputyQuery(status="在任"), "birth_date", Qt.SortOrder.DescendingOrder),
    (DeputyQuery(text="zzzz"), "village", Qt.SortOrder.AscendingOrder),  # nothing found
])
def test_deputy_model_passes_the_model_tester(qtmodeltester, demo_ctx, query, sort, order):
    model = DeputyTableModel(demo_ctx, DeputyQuery(), page_size=10)
    model.set_query(query)
    model.sort(DEPUTY_SORT_KEYS.index(sort), order)
    assert model.query.sort == sort and model.query.text == query.text
    qtmodeltester.check(model)  # the tester fetches further pages itself while it checks
    while model.canFetchMore():
        model.fetchMore()
    assert model.rowCount() == model.total == count_deputies(demo_ctx, query)
    # still attached: a new filter and a new order (model resets) are checked as well
    model.set_query(DeputyQuery(level="county"))
    model.sort(DEPUTY_SORT_KEYS.index("status"), Qt.SortOrder.DescendingOrder)
    assert model.rowCount() == model.total == 8


def test_model_loads_one_page_at_a_time(demo_ctx):
    model = DeputyTableModel(demo_ctx, DeputyQuery(), page_size=10)
    assert model.total == 64 and model.rowCount() == 10 and model.canFetchMore()
    model.fetchMore()
    assert model.rowCount() == 20
    while model.canFetchMore():
        model.fetchMore()
    assert model.rowCount() == 64
    assert {model.row(r).id for r in range(64)} == {d.id for d in query_deputies(demo_ctx, DeputyQuery(), 0, None)}


def test_the_table_loads_more_rows_only_when_scrolled_down(page, qtbot):
    page.model.page_size = 10
    page.status.setCurrentIndex(page.status.findData(""))
    qtbot.wait(50)  # let the view lay out (it fetches enough to fill what is visible)
    first = page.model.loaded
    assert 10 <= first < 64 and page.count_label.text() == "共 64 名"

    bar = page.table.verticalScrollBar()
    qtbot.waitUntil(lambda: (bar.setValue(bar.maximum()), page.model.loaded == 64)[1], timeout=3000)
    assert page.model.row(63) is not None


def test_terminated_and_suspended_rows_are_greyed_and_id_number_not_shown(demo_ctx):
    model = DeputyTableModel(demo_ctx, DeputyQuery())
    greyed = {model.row(r).status for r in range(model.rowCount())
              if model.data(model.index(r, 0), Qt.ItemDataRole.ForegroundRole) is not None}
    assert greyed == {"暂停", "终止"}
    brush = next(model.data(model.index(r, 0), Qt.ItemDataRole.ForegroundRole) for r in range(model.rowCount())
                 if model.row(r).status == "终止")
    assert brush.color().lightness() > QColor("black").lightness()
    headers = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())]
    assert headers == [c[1] for c in DEPUTY_COLUMNS] and "身份证号" not in headers
    first = model.row(0)
    assert first.id_number not in [model.data(model.index(0, c)) for c in range(model.columnCount())]


# ------------------------------------------------------------------ searching and filtering


def _deputy_with_unique_initials(ctx):
    for d in query_deputies(ctx, ACTIVE, 0, None):
        from congress_desktop.core.text import pinyin_keys

        initials = pinyin_keys(d.name)[1]
        if count_deputies(ctx, DeputyQuery(text=initials, status="在任")) == 1:
            return d, initials
    raise AssertionError("no demo deputy with unique initials")


def test_typing_pinyin_initials_filters_to_that_deputy_after_a_short_pause(page, qtbot, demo_ctx):
    target, initials = _deputy_with_unique_initials(demo_ctx)
    assert page.count_label.text() == "共 62 名"  # 在任 by default

    qtbot.keyClicks(page.search, initials)

    assert page.count_label.text() == "共 62 名"  # not yet: the search waits for a pause in typing
    qtbot.waitUntil(lambda: page.count_label.text() == "共 1 名", timeout=2000)
    assert shown_names(page) == [target.name]

    page.search.clear()
    qtbot.waitUntil(lambda: page.count_label.text() == "共 62 名", timeout=2000)


def test_chinese_text_and_phone_numbers_are_found_too(page, qtbot, demo_ctx):
    d = query_deputies(demo_ctx, ACTIVE)[5]
    page.search.setText(d.name)
    page.apply_filters()
    assert d.name in shown_names(page)
    page.search.setText(d.mobile[-6:])
    page.apply_filters()
    assert d.name in shown_names(page)


def test_level_status_village_and_group_filters_change_the_count(page, demo_ctx):
    page.level.setCurrentIndex(page.level.findData("county"))
    assert count_shown(page) == count_deputies(demo_ctx, DeputyQuery(level="county", status="在任")) == 8
    page.level.setCurrentIndex(page.level.findData("prefecture"))
    assert page.count_label.text() == "共 1 名"
    page.level.setCurrentIndex(0)

    page.status.setCurrentIndex(page.status.findData(""))
    assert page.count_label.text() == "共 64 名"
    page.status.setCurrentIndex(page.status.findData("终止"))
    assert page.count_label.text() == "共 1 名"
    page.status.setCurrentIndex(page.status.findData("在任"))

    page.village.setCurrentIndex(page.village.findText("黄家村"))
    in_village = shown_names(page)
    assert 0 < len(in_village) < 62
    assert all(page.model.row(r).village_name == "黄家村" for r in range(page.model.rowCount()))
    page.village.setCurrentIndex(0)

    group = page.group.itemText(1)
    page.group.setCurrentIndex(1)
    assert count_shown(page) == count_deputies(demo_ctx, DeputyQuery(group_name=group, status="在任"))


def _click_header(qtbot, page: DeputiesPage, column: int) -> None:
    header = page.table.horizontalHeader()
    x = header.sectionViewportPosition(column) + header.sectionSize(column) // 2
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(x, header.height() // 2))


def test_clicking_a_column_header_sorts_by_that_column_in_the_database(page, qtbot):
    col = DEPUTY_SORT_KEYS.index("birth_date")

    _click_header(qtbot, page, col)
    first = [page.model.row(r).birth_date for r in range(page.model.rowCount())]
    _click_header(qtbot, page, col)
    second = [page.model.row(r).birth_date for r in range(page.model.rowCount())]

    assert page.model.query.sort == "birth_date"
    assert {tuple(first), tuple(second)} == {tuple(sorted(first)), tuple(sorted(first, reverse=True))}
    assert first != second

    # a new filter keeps the order chosen in the header
    page.status.setCurrentIndex(page.status.findData(""))
    third = [page.model.row(r).birth_date for r in range(page.model.rowCount())]
    assert page.model.query.sort == "birth_date" and len(third) == 64
    assert third == sorted(third, reverse=page.model.query.descending)


# ------------------------------------------------------------------ the form


def test_new_deputy_typed_in_the_form_is_saved_and_selected(page, qtbot, modals, demo_ctx):
    def fill(form: DeputyForm) -> int:
        form.name.setText("欧阳春晓")
        form.id_number.setText(id_number("19880808", 12))
        form.mobile.setText("139 0719 0001")
        form.village.setCurrentIndex(form.village.findText("黄家村"))
        form.level_boxes["county"].setChecked(True)
        form.group_name.setEditText("第五代表小组（新）")
        qtbot.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
        return form.result()

    modals.on(DeputyForm, fill)

    page.new_action.trigger()

    [saved] = query_deputies(demo_ctx, DeputyQuery(text="欧阳春晓"))
    assert (saved.gender, saved.birth_date, saved.mobile) == ("女", "1988-08-08", "13907190001")
    assert set(saved.levels) == {"town", "county"} and saved.village_name == "黄家村"
    assert page.count_label.text() == "共 63 名"
    assert page.selected_deputy().id == saved.id
    assert page.group.findText("第五代表小组（新）") >= 0  # the new group is offered as a filter


def test_enter_saves_the_form_and_esc_cancels_it(qtbot, demo_ctx):
    form = DeputyForm(demo_ctx)
    qtbot.addWidget(form)
    form.show()
    form.name.setText("司马青")
    qtbot.keyClicks(form.mobile, "13907190002")
    qtbot.keyClick(form.mobile, Qt.Key.Key_Return)
    assert form.result() == QDialog.DialogCode.Accepted
    assert count_deputies(demo_ctx, DeputyQuery(text="司马青")) == 1

    other = DeputyForm(demo_ctx)
    qtbot.addWidget(other)
    other.show()
    other.name.setText("诸葛明")
    qtbot.keyClick(other.name, Qt.Key.Key_Escape)
    assert other.result() == QDialog.DialogCode.Rejected
    assert count_deputies(demo_ctx, DeputyQuery(text="诸葛明")) == 0


def test_tab_goes_through_the_fields_in_reading_order(qtbot, demo_ctx):
    form = DeputyForm(demo_ctx)
    qtbot.addWidget(form)
    form.show()
    qtbot.waitExposed(form)
    form.activateWindow()
    form.name.setFocus()
    seen = []
    for _ in range(6):
        qtbot.keyClick(form.focusWidget(), Qt.Key.Key_Tab)
        seen.append(form.focusWidget())
    assert seen == [form.id_number, form.gender, form.birth_date, form.ethnicity, form.political, form.education]


def test_wrong_mobile_shows_the_chinese_error_next_to_the_field_and_saves_nothing(qtbot, demo_ctx):
    form = DeputyForm(demo_ctx)
    qtbot.addWidget(form)
    form.show()
    form.name.setText("欧阳春晓")
    form.mobile.setText("1390719000")  # ten digits

    qtbot.mouseClick(form.save_button, Qt.MouseButton.LeftButton)

    assert form.result() != QDialog.DialogCode.Accepted and form.isVisible()
    error = form.errors["mobile"]
    assert error.isVisibleTo(form) and "手机号“1390719000”不正确" in error.text()
    assert form.focusWidget() is form.mobile
    assert not form.errors["name"].isVisibleTo(form)
    assert count_deputies(demo_ctx, DeputyQuery(text="欧阳春晓")) == 0


def test_several_wrong_fields_are_all_marked_and_the_first_gets_the_focus(qtbot, demo_ctx):
    form = DeputyForm(demo_ctx)
    qtbot.addWidget(form)
    form.show()
    form.phone.setText("12345")
    for box in form.level_boxes.values():
        box.setChecked(False)
    form.save()
    assert form.errors["name"].text() == "姓名不能为空"
    assert form.errors["phone"].text() and form.errors["levels"].text() == "至少要有一个代表层级"
    assert form.focusWidget() is form.name


def test_id_number_fills_gender_and_birth_date_when_empty(qtbot, demo_ctx):
    form = DeputyForm(demo_ctx)
    qtbot.addWidget(form)
    qtbot.keyClicks(form.id_number, id_number("19750305", 11))
    assert form.gender.currentText() == "男"
    assert form.birth_date.text() == "1975-03-05"

    form2 = DeputyForm(demo_ctx)
    qtbot.addWidget(form2)
    form2.birth_date.setText("1975-03")
    form2.id_number.setText(id_number("19750305", 12))
    assert form2.birth_date.text() == "1975-03" and form2.gender.currentText() == "女"


def test_duplicate_id_number_is_shown_next_to_the_id_field(qtbot, demo_ctx):
    existing = query_deputies(demo_ctx, ACTIVE)[0]
    form = DeputyForm(demo_ctx)
    qtbot.addWidget(form)
    form.name.setText("重复人")
    form.id_number.setText(existing.id_number)
    assert not form.save()
    assert f"已属于代表“{existing.name}”" in form.errors["id_number"].text()


def test_status_fields_are_only_enabled_for_suspended_or_terminated(qtbot, demo_ctx):
    form = DeputyForm(demo_ctx)
    qtbot.addWidget(form)
    assert not form.status_date.isEnabled() and not form.status_reason.isEnabled()
    form.status.setCurrentText("终止")
    assert form.status_date.isEnabled() and form.status_date.text()  # today, ready to change
    form.name.setText("王终止")
    assert not form.save()
    assert form.errors["status_reason"].text() == "终止的代表须填写终止原因"


# ------------------------------------------------------------------ editing from the list


def test_enter_on_the_list_opens_the_selected_deputy_and_saves_changes(page, qtbot, modals, demo_ctx):
    page.table.setFocus()
    page.table.selectRow(2)
    target = page.selected_deputy()

    def change(form: DeputyForm) -> int:
        assert form.name.text() == target.name and form.id_number.text() == target.id_number
        form.work_unit.setText("六里坪镇人大专职副主席")
        form.save()
        return form.result()

    modals.on(DeputyForm, change)
    qtbot.keyClick(page.table, Qt.Key.Key_Return)

    assert [type(m) for m in modals] == [DeputyForm]
    assert get_deputy(demo_ctx, target.id).work_unit == "六里坪镇人大专职副主席"
    assert page.selected_deputy().work_unit == "六里坪镇人大专职副主席"


def test_ctrl_n_opens_an_empty_form(page, qtbot, modals):
    page.activateWindow()
    page.table.setFocus()
    qtbot.keyClick(page.table, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    assert len(modals) == 1 and isinstance(modals[0], DeputyForm)
    assert modals[0].windowTitle() == "新增代表" and modals[0].name.text() == ""


def test_double_click_opens_the_form(page, qtbot, modals):
    index = page.model.index(1, 0)
    rect = page.table.visualRect(index)
    qtbot.mouseClick(page.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(page.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert len(modals) == 1 and modals[0].name.text() == page.model.row(1).name


def test_change_status_to_terminated_takes_the_deputy_off_the_active_list(page, modals, demo_ctx):
    page.table.selectRow(0)
    target = page.selected_deputy()

    def terminate(dialog: StatusDialog) -> int:
        assert dialog.status.currentText() == "终止"
        dialog.date.setText("2026-01-10")
        dialog.reason.setEditText("户籍迁出本行政区域")
        dialog.save()
        return dialog.result()

    modals.on(StatusDialog, terminate)
    page.status_action.trigger()

    d = get_deputy(demo_ctx, target.id)
    assert (d.status, d.status_date, d.status_reason) == ("终止", "2026-01-10", "户籍迁出本行政区域")
    assert page.count_label.text() == "共 61 名"
    assert target.name not in shown_names(page)


def test_status_without_reason_is_marked_in_the_dialog(qtbot, demo_ctx):
    d = query_deputies(demo_ctx, ACTIVE)[0]
    dialog = StatusDialog(demo_ctx, d)
    qtbot.addWidget(dialog)
    dialog.reason.setEditText("")
    assert not dialog.save()
    assert dialog.errors["status_reason"].text() == "终止的代表须填写终止原因"
    assert get_deputy(demo_ctx, d.id).status == "在任"


def test_delete_asks_first_and_removes_the_record(page, monkeypatch, demo_ctx):
    page.table.selectRow(0)
    target = page.selected_deputy()
    asked = []
    monkeypatch.setattr(ui.widgets, "ask_yes_no", lambda parent, title, text: asked.append(text) or False)
    page.delete_action.trigger()
    assert count_deputies(demo_ctx) == 64

    monkeypatch.setattr(ui.widgets, "ask_yes_no", lambda parent, title, text: asked.append(text) or True)
    page.delete_action.trigger()
    assert f"“{target.name}”" in asked[0] and "误录入" in asked[0] and "终止" in asked[0]
    assert count_deputies(demo_ctx) == 63
    assert target.name not in shown_names(page)
    assert page.count_label.text() == "共 61 名"


# ------------------------------------------------------------------ import, export, print


HEADER = ["姓名", "性别", "身份证号", "联系电话", "所在村(社区)", "代表层级"]
GOOD = [
    ["欧阳春晓", "女", id_number("19880808", 12), "13907190001", "黄家村", "镇"],
    ["司马青", "男", id_number("19790101", 31), "13907190002", "黄家村委会", "镇"],
    ["诸葛明", "男", id_number("19700505", 51), "13907190003", "六里坪社区", "镇、丹江口市"],
    ["上官燕", "女", id_number("19920202", 22), "13907190004", "冯家湾村", "镇"],
    ["东方亮", "男", id_number("19850909", 71), "13907190005", "石鼓社区", "镇"],
]
BAD = ["令狐青", "男", id_number("19830303", 91)[:17] + "0", "13907190006", "黄家村", "镇"]
if id_number("19830303", 91).endswith("0"):
    BAD[2] = BAD[2][:17] + "1"


def write_roster(path: Path, rows) -> str:
    wb = Workbook()
    ws = wb.active
    ws.append(HEADER)
    for r in rows:
        ws.append(r)
    wb.save(path)
    return str(path)


def test_import_with_a_bad_row_lists_it_and_imports_nothing(page, qtbot, modals, monkeypatch, tmp_path, demo_ctx):
    source = write_roster(tmp_path / "名册.xlsx", [*GOOD, BAD])
    monkeypatch.setattr(deputies_page, "ask_open_file", lambda *a: source)

    handle = page.import_deputies()
    qtbot.waitUntil(lambda: handle.is_finished, timeout=10000)

    [dialog] = modals
    assert isinstance(dialog, ImportErrorsDialog)
    [(row, column, reason)] = dialog.rows()
    assert (row, column) == ("第 7 行", "身份证号") and "校验位" in reason
    assert "没有导入任何代表" in dialog.summary.text() and "改正" in dialog.summary.text()
    assert count_deputies(demo_ctx) == 64 and page.count_label.text() == "共 62 名"

    report = tmp_path / "错误报告.xlsx"
    monkeypatch.setattr(import_dialog, "ask_save_file", lambda *a: str(report))
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert report.exists()
    assert "重新导入" in dialog.saved_label.text() and dialog.saved_label.isVisibleTo(dialog)
    first = next(load_workbook(report).active.iter_rows(min_row=2, values_only=True))
    assert first[1] == "令狐青" and "校验位" in first[0]


def test_import_of_a_good_file_reports_the_count_and_refreshes(page, qtbot, modals, monkeypatch, tmp_path):
    source = write_roster(tmp_path / "名册.xlsx", GOOD)
    monkeypatch.setattr(deputies_page, "ask_open_file", lambda *a: source)

    handle = page.import_deputies()
    qtbot.waitUntil(lambda: handle.is_finished, timeout=10000)

    [box] = modals
    assert isinstance(box, QMessageBox) and "已导入 5 名代表" in box.text()
    assert page.count_label.text() == "共 67 名"


def test_import_cancelled_in_the_file_dialog_does_nothing(page, modals, monkeypatch):
    monkeypatch.setattr(deputies_page, "ask_open_file", lambda *a: None)
    assert page.import_deputies() is None and not modals


def test_export_writes_the_filtered_list(page, qtbot, modals, monkeypatch, tmp_path):
    page.level.setCurrentIndex(page.level.findData("county"))
    out = tmp_path / "市代表"
    monkeypatch.setattr(deputies_page, "ask_save_file", lambda *a: str(out))

    handle = page.export_deputies()
    qtbot.waitUntil(lambda: handle.is_finished, timeout=10000)

    written = tmp_path / "市代表.xlsx"
    rows = list(load_workbook(written).active.iter_rows(values_only=True))
    assert len(rows) == 1 + 8
    assert "已导出 8 名代表" in modals[0].text()


def test_export_to_a_file_open_in_excel_says_so(page, qtbot, modals, monkeypatch, tmp_path):
    def locked(*_a, **_k):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(deputies_page.deputy_import, "export_deputies", locked)
    monkeypatch.setattr(deputies_page, "ask_save_file", lambda *a: str(tmp_path / "名册.xlsx"))
    handle = page.export_deputies()
    qtbot.waitUntil(lambda: handle.is_finished, timeout=10000)
    [box] = modals
    assert "文件可能正在 Excel/WPS 中打开" in box.text()


def test_print_roster_makes_a_pdf_and_opens_it(page, qtbot, modals, monkeypatch):
    opened = []
    monkeypatch.setattr(ui.files, "open_file", lambda path: opened.append(Path(path)) or True)

    def choose(dialog: PrintRosterDialog) -> int:
        dialog.group_by.setCurrentIndex(dialog.group_by.findData("group"))
        return QDialog.DialogCode.Accepted

    modals.on(PrintRosterDialog, choose)
    handle = page.print_roster()
    qtbot.waitUntil(lambda: handle.is_finished, timeout=15000)

    [pdf] = opened
    assert pdf.suffix == ".pdf" and pdf.read_bytes().startswith(b"%PDF")
    assert handle.error is None


def test_print_card_for_the_selected_deputy(page, qtbot, monkeypatch):
    opened = []
    monkeypatch.setattr(ui.files, "open_file", lambda path: opened.append(Path(path)) or True)
    assert not page.card_action.isEnabled()
    page.table.selectRow(0)
    assert page.card_action.isEnabled()

    handle = page.print_card()
    qtbot.waitUntil(lambda: handle.is_finished, timeout=15000)

    [pdf] = opened
    assert page.model.row(0).name in pdf.name and pdf.read_bytes().startswith(b"%PDF")
