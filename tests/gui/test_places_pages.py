"""The 村(社区) and 联系站点 pages on the demo town: list, add, edit, delete through their dialogs."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QMessageBox

import ui.widgets
from congress_desktop.core.text import pinyin_keys
from congress_desktop.deputies.service import DeputyQuery, count_deputies, query_deputies
from congress_desktop.places.contact_points import list_contact_points
from congress_desktop.places.villages import list_villages
from ui.models import ContactPointTableModel, VillageTableModel
from ui.pages.contact_points import ContactPointDialog, ContactPointsPage
from ui.pages.villages import VillageDialog, VillagesPage


@pytest.fixture
def modals(monkeypatch):
    """Modal dialogs the pages open, answered by ``modals.answer`` (default: 取消)."""

    class Modals(list):
        def answer(self, dialog) -> int:
            return 0

    shown = Modals()

    def fake_exec(dialog):
        shown.append(dialog)
        return shown.answer(dialog)

    monkeypatch.setattr(ui.widgets, "exec_modal", fake_exec)
    return shown


def saved_with(fill):
    """A modal handler: fill the dialog, press its 保存 button, return what the dialog returned."""

    def handler(dialog):
        if isinstance(dialog, QMessageBox):
            return 0
        fill(dialog)
        dialog.save_button.click()
        return dialog.result()

    return handler


def table_texts(page, column: int) -> list[str]:
    m = page.model
    return [m.data(m.index(r, column)) for r in range(m.rowCount())]


# ------------------------------------------------------------------ villages


@pytest.fixture
def villages_page(qtbot, demo_ctx):
    page = VillagesPage(demo_ctx)
    qtbot.addWidget(page)
    page.show()
    return page


def test_village_models_pass_the_model_tester(qtmodeltester, demo_ctx):
    qtmodeltester.check(VillageTableModel(list_villages(demo_ctx)))


def test_contact_point_model_passes_the_model_tester(qtmodeltester, demo_ctx):
    qtmodeltester.check(ContactPointTableModel(list_contact_points(demo_ctx)))


def test_villages_page_lists_codes_kinds_and_active_deputies(villages_page, demo_ctx):
    assert villages_page.count_label.text() == "共 20 个：村 17 个，社区 3 个"
    assert table_texts(villages_page, 0)[0] == "420381103001"
    assert table_texts(villages_page, 2)[:4] == ["社区", "社区", "社区", "村"]
    active = sum(int(n) for n in table_texts(villages_page, 5))
    assert active == count_deputies(demo_ctx, DeputyQuery(status="在任"))


def test_add_a_village_with_its_code(villages_page, modals, demo_ctx):
    def fill(d: VillageDialog):
        assert d.code.text() == "420381103"  # the town's part is filled in
        d.code.setText("420381103217")
        d.name.setText("青龙泉村")
        d.households.setText("412")
        d.population.setText("1530")

    modals.answer = saved_with(fill)
    villages_page.new_action.trigger()

    assert "青龙泉村" in table_texts(villages_page, 1)
    v = next(v for v in list_villages(demo_ctx) if v.name == "青龙泉村")
    assert (v.code, v.kind, v.households, v.population) == ("420381103217", "村", 412, 1530)
    assert villages_page.selected_village().id == v.id
    assert villages_page.count_label.text() == "共 21 个：村 18 个，社区 3 个"


def test_code_of_another_town_is_shown_next_to_the_code_field(qtbot, demo_ctx):
    dialog = VillageDialog(demo_ctx)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.code.setText("420381104201")
    dialog.name.setText("外镇村")
    dialog.households.setText("很多")

    dialog.save_button.click()

    assert dialog.result() != QDialog.DialogCode.Accepted
    assert "前 9 位应与本乡镇一致（420381103）" in dialog.errors["code"].text()
    assert dialog.errors["households"].text() == "户数应为非负整数"
    assert dialog.focusWidget() is dialog.code
    assert len(list_villages(demo_ctx)) == 20


def test_code_already_used_is_shown_next_to_the_code_field(qtbot, demo_ctx):
    dialog = VillageDialog(demo_ctx)
    qtbot.addWidget(dialog)
    dialog.code.setText("420381103200")
    dialog.name.setText("重号村")
    assert not dialog.save()
    assert "已被“黄家村”使用" in dialog.errors["code"].text()


def test_code_hint_tells_village_from_community(qtbot, demo_ctx):
    dialog = VillageDialog(demo_ctx)
    qtbot.addWidget(dialog)
    dialog.code.setText("420381103005")
    assert dialog.kind_hint.text() == "将登记为：社区（居委会）"
    dialog.code.setText("420381103250")
    assert dialog.kind_hint.text() == "将登记为：村（村委会）"


def test_edit_a_village_through_enter(villages_page, qtbot, modals, demo_ctx):
    villages_page.table.setFocus()
    villages_page.table.selectRow(3)
    target = villages_page.selected_village()

    def fill(d: VillageDialog):
        assert d.name.text() == target.name
        d.households.setText("999")

    modals.answer = saved_with(fill)
    qtbot.keyClick(villages_page.table, Qt.Key.Key_Return)

    assert next(v for v in list_villages(demo_ctx) if v.id == target.id).households == 999
    assert villages_page.selected_village().households == 999


def test_village_with_deputies_cannot_be_deleted_but_an_empty_one_can(villages_page, modals, monkeypatch, demo_ctx):
    monkeypatch.setattr(ui.widgets, "ask_yes_no", lambda *a: True)
    villages_page.table.selectRow(0)
    villages_page.delete_action.trigger()
    [box] = modals
    assert isinstance(box, QMessageBox) and "不能删除" in box.text()
    assert len(list_villages(demo_ctx)) == 20

    modals.answer = saved_with(lambda d: (d.code.setText("420381103390"), d.name.setText("空村")))
    villages_page.new_action.trigger()
    villages_page.delete_action.trigger()  # the new village is selected
    assert "空村" not in [v.name for v in list_villages(demo_ctx)]
    assert "空村" not in table_texts(villages_page, 1)


# ------------------------------------------------------------------ contact points


@pytest.fixture
def points_page(qtbot, demo_ctx):
    page = ContactPointsPage(demo_ctx)
    qtbot.addWidget(page)
    page.show()
    return page


def test_contact_points_page_lists_kinds_parents_and_stationed_deputies(points_page):
    assert points_page.count_label.text() == "共 8 个：代表之家 1 个，代表联络站 2 个，村(社区)代表联系点 5 个"
    names = table_texts(points_page, 0)
    assert names[0] == "六里坪镇人大代表之家"
    assert table_texts(points_page, 2)[1] == "六里坪镇人大代表之家"  # a station's parent
    assert table_texts(points_page, 9)[0].startswith("8 名：")


def _deputy_with_unique_initials(ctx):
    active = query_deputies(ctx, DeputyQuery(status="在任"), 0, None)
    for d in active:
        initials = pinyin_keys(d.name)[1]
        if sum(1 for o in active if initials in pinyin_keys(o.name)[1] or initials in o.village_name) == 1:
            return d, initials
    raise AssertionError("no demo deputy with unique initials")


def test_add_a_reception_room_picking_deputies_by_pinyin_initials(points_page, modals, demo_ctx):
    target, initials = _deputy_with_unique_initials(demo_ctx)
    other = next(d for d in query_deputies(demo_ctx, DeputyQuery(status="在任")) if d.id != target.id)

    def fill(d: ContactPointDialog):
        d.name.setText("六里坪镇人大代表接待室")
        d.kind.setCurrentIndex(d.kind.findData("接待室"))
        d.parent_point.setCurrentIndex(d.parent_point.findText("六里坪镇人大代表之家"))
        d.head_name.setText("余晓红")
        d.head_phone.setText("０７１９－５６１２３４５")
        d.reception_rule.setEditText("每周三")
        d.deputies.filter.setText(initials)
        visible = d.deputies.visible_names()
        assert len(visible) == 1 and visible[0].startswith(target.name)
        d.deputies.set_checked(target.id)
        d.deputies.filter.setText(other.name)
        d.deputies.set_checked(other.id)
        assert d.deputies.count_label.text() == "已选 2 名进站代表"

    modals.answer = saved_with(fill)
    points_page.new_action.trigger()

    p = next(p for p in list_contact_points(demo_ctx) if p.name == "六里坪镇人大代表接待室")
    assert (p.kind, p.parent_name, p.head_phone, p.reception_rule) == ("接待室", "六里坪镇人大代表之家",
                                                                      "0719-5612345", "每周三")
    assert set(p.deputy_ids) == {target.id, other.id}
    assert points_page.selected_point().id == p.id
    assert points_page.count_label.text().startswith("共 9 个")


def test_contact_point_errors_are_shown_next_to_their_fields(qtbot, demo_ctx):
    dialog = ContactPointDialog(demo_ctx)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.kind.setCurrentIndex(dialog.kind.findData("代表联系点"))
    dialog.liaison_phone.setText("1381234")

    dialog.save_button.click()

    assert dialog.errors["name"].text() == "站点名称不能为空"
    assert dialog.errors["village_id"].text() == "村(社区)代表联系点须选择所在村(社区)"
    assert dialog.errors["liaison_phone"].text().startswith("联络员电话：")
    assert dialog.focusWidget() is dialog.name
    assert len(list_contact_points(demo_ctx)) == 8


def test_edit_a_contact_point_unstations_a_deputy(points_page, modals, demo_ctx):
    points_page.table.selectRow(0)
    before = points_page.selected_point()
    dropped = before.deputy_ids[0]

    def fill(d: ContactPointDialog):
        assert d.name.text() == before.name and len(d.deputies.checked_ids()) == 8
        d.deputies.set_checked(dropped, False)

    modals.answer = saved_with(fill)
    points_page.edit_action.trigger()

    after = next(p for p in list_contact_points(demo_ctx) if p.id == before.id)
    assert len(after.deputy_ids) == 7 and dropped not in after.deputy_ids
    assert table_texts(points_page, 9)[0].startswith("7 名：")


def test_a_station_with_points_under_it_is_not_deleted(points_page, modals, monkeypatch, demo_ctx):
    monkeypatch.setattr(ui.widgets, "ask_yes_no", lambda *a: True)
    points_page.table.selectRow(0)  # the 代表之家 has the two stations under it
    points_page.delete_action.trigger()
    [box] = modals
    assert "下还有 2 个站点" in box.text()
    assert len(list_contact_points(demo_ctx)) == 8

    last = points_page.model.rowCount() - 1
    name = points_page.model.row(last).name
    points_page.table.selectRow(last)
    points_page.delete_action.trigger()
    assert name not in [p.name for p in list_contact_points(demo_ctx)]
    assert points_page.count_label.text().startswith("共 7 个")
