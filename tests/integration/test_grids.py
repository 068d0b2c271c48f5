"""Grid rosters on a real SQLite file: the demo town placed by the suggestion and two moves, history,
holes left by a terminated deputy, and the spreadsheets in and out (all or nothing)."""

from __future__ import annotations

import datetime as dt
import shutil

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select, update

from congress_desktop.core.context import Context
from congress_desktop.core.errors import Exists, FieldErrors, InvalidInput
from congress_desktop.core.store.models_grids import Grid, GridAssignment
from congress_desktop.deputies import service as deputy_service
from congress_desktop.grids import importing as grid_import
from congress_desktop.grids import service as grids
from congress_desktop.places.villages import save_village

TODAY = dt.date.today().isoformat()
YESTERDAY = (dt.date.today() - dt.timedelta(days=1)).isoformat()


def members(ctx, on=None) -> dict[str, list[tuple[str, str]]]:
    """grid code -> [(deputy name, role)] on a day."""
    return {rg.grid.code: [(m.name, m.role) for m in rg.members] for rg in grids.roster_on(ctx, on)}


def place_everyone(ctx) -> list[grids.AssignResult]:
    """What a user does on the demo town: accept the suggestion, then move one 协助代表 from the
    nearest crowded grid into each grid still empty."""
    grids.accept_placements(ctx, grids.suggest_placements(ctx).proposals)
    moves = []
    for item in grids.check_grids(ctx).of_kind("empty"):
        empty = grids.get_grid(ctx, item.grid_id)
        crowded = [rg for rg in grids.roster_on(ctx) if len(rg.members) >= 2]
        donor = min(crowded, key=lambda rg: abs(int(rg.grid.village_code) - int(empty.village_code)))
        helper = next(m for m in donor.members if m.role == grids.ROLE_HELPER)
        moves.append(grids.assign_deputy(ctx, helper.deputy_id, empty.id))
    return moves


def xlsx(path, header, rows):
    wb = Workbook()
    ws = wb.active
    ws.append(header)
    for r in rows:
        ws.append(r)
    wb.save(path)
    return path


# ------------------------------------------------------------------ the demo town, end to end


def test_demo_town_is_clear_after_the_suggestion_and_two_manual_moves(demo_ctx):
    first = grids.check_grids(demo_ctx)
    assert first.grids >= 20 and 0 < first.deputies_placed < first.deputies_needed  # SOME are placed
    assert len(first.of_kind("unplaced")) == first.deputies_needed - first.deputies_placed

    suggestion = grids.suggest_placements(demo_ctx)
    assert len(suggestion.proposals) == len(first.of_kind("unplaced")) and not suggestion.unplaceable
    assert grids.check_grids(demo_ctx).counts() == first.counts()  # a suggestion alone writes nothing

    moves = place_everyone(demo_ctx)
    assert len(moves) == 2
    for res in moves:
        assert res.closed is not None and res.assignment.role == grids.ROLE_LEAD  # first in an empty grid
        assert res.messages[0].startswith("已从")

    final = grids.check_grids(demo_ctx)
    assert final.clear, final.summary
    assert final.summary.startswith("网格检查全部通过")
    assert final.deputies_placed == final.deputies_needed == 62
    town = final.balance[-1]
    assert town.scope == "全镇" and town.per_grid_min >= 1 and town.per_grid_max <= final.limit
    assert all(len(ms) <= final.limit and ms for ms in members(demo_ctx).values())


def test_a_deputy_terminated_today_shows_up_as_a_hole(demo_ctx):
    place_everyone(demo_ctx)
    alone = next(rg for rg in grids.roster_on(demo_ctx) if len(rg.members) == 1 and rg.members[0].start_on < TODAY)
    lead = alone.members[0]
    deputy_service.set_deputy_status(demo_ctx, lead.deputy_id, "终止", TODAY, "户籍迁出本镇")

    report = grids.check_grids(demo_ctx)
    assert not report.clear
    vacated = report.of_kind("vacated")
    assert [(i.deputy, i.grid) for i in vacated] == [(lead.name, alone.grid.name)]
    assert [i.grid_id for i in report.of_kind("empty")] == [alone.grid.id]
    assert members(demo_ctx)[alone.grid.code] == []                       # off the roster today
    assert members(demo_ctx, YESTERDAY)[alone.grid.code] == [(lead.name, lead.role)]  # still there yesterday
    assert grids.check_grids(demo_ctx, YESTERDAY).of_kind("vacated") == []

    grids.close_vacancies(demo_ctx)
    after = grids.check_grids(demo_ctx)
    assert after.of_kind("vacated") == [] and [i.grid_id for i in after.of_kind("empty")] == [alone.grid.id]
    assert [a.end_on for a in grids.deputy_history(demo_ctx, lead.deputy_id)] == [TODAY]


def test_the_demo_keeps_the_roster_of_a_past_date(demo_ctx):
    # the demo's terminated deputy (户籍迁出, 2026-03-15) was in a grid until that day
    gone = next(d for d in deputy_service.query_deputies(demo_ctx, deputy_service.DeputyQuery(status="终止")))
    before = [code for code, ms in members(demo_ctx, "2026-03-14").items() if (gone.name, "协助代表") in ms]
    after = [code for code, ms in members(demo_ctx, "2026-03-15").items() if any(n == gone.name for n, _ in ms)]
    assert len(before) == 1 and after == []
    assert grids.check_grids(demo_ctx).of_kind("vacated") == []


def test_moving_a_lead_keeps_the_history_and_hands_the_role_to_the_helper(demo_ctx):
    start = next(rg for rg in grids.roster_on(demo_ctx, "2026-01-01") if rg.members)
    lead = start.members[0]
    assert lead.role == grids.ROLE_LEAD and lead.start_on == "2022-03-01"
    helper = next(c for c in grids.deputy_choices(demo_ctx) if c.needs_grid and not c.grid_name)
    res = grids.assign_deputy(demo_ctx, helper.id, start.grid.id, start_on="2026-02-01")
    assert res.assignment.role == grids.ROLE_HELPER
    target = next(g for g in grids.list_grids(demo_ctx) if g.deputies == 0)
    move = grids.assign_deputy(demo_ctx, lead.deputy_id, target.id, start_on="2026-06-01")
    assert move.closed.grid_id == start.grid.id and move.closed.end_on == "2026-06-01"
    assert any("改任责任代表" in m for m in move.messages)

    assert members(demo_ctx, "2026-05-31")[start.grid.code] == [(lead.name, "责任代表"), (helper.name, "协助代表")]
    assert members(demo_ctx, "2026-06-01")[start.grid.code] == [(helper.name, "责任代表")]
    assert members(demo_ctx, "2026-06-01")[target.code] == [(lead.name, "责任代表")]
    history = grids.deputy_history(demo_ctx, lead.deputy_id)
    assert [(a.grid_id, a.start_on, a.end_on) for a in history] == [
        (target.id, "2026-06-01", ""), (start.grid.id, "2022-03-01", "2026-06-01")]
    assert [(a.deputy_name, a.role, a.end_on) for a in grids.grid_history(demo_ctx, start.grid.id)] == [
        (helper.name, "责任代表", ""), (helper.name, "协助代表", "2026-06-01"), (lead.name, "责任代表", "2026-06-01")]


def test_every_assignment_checks_the_limit_the_office_and_double_placement(demo_ctx):
    g = next(g for g in grids.list_grids(demo_ctx) if g.deputies == 0)
    free = [c for c in grids.deputy_choices(demo_ctx) if c.needs_grid and not c.grid_name]
    for c in free[:3]:
        grids.assign_deputy(demo_ctx, c.id, g.id)
    with pytest.raises(InvalidInput, match="上限"):
        grids.assign_deputy(demo_ctx, free[3].id, g.id)
    with pytest.raises(Exists, match="已在"):
        grids.assign_deputy(demo_ctx, free[0].id, g.id)
    gone = deputy_service.query_deputies(demo_ctx, deputy_service.DeputyQuery(status="终止"))[0]
    other = next(x for x in grids.list_grids(demo_ctx) if x.deputies == 0)
    with pytest.raises(InvalidInput, match="不在任"):
        grids.assign_deputy(demo_ctx, gone.id, other.id)
    grids.save_grid_settings(demo_ctx, 4, 3)
    grids.assign_deputy(demo_ctx, free[3].id, g.id)
    assert grids.get_grid(demo_ctx, g.id).deputies == 4
    # naming a second 责任代表 makes the first one a 协助代表
    res = grids.assign_deputy(demo_ctx, free[4].id, other.id)
    res = grids.assign_deputy(demo_ctx, free[5].id, other.id, role=grids.ROLE_LEAD)
    assert any("改任协助代表" in m for m in res.messages)
    assert [r for _n, r in members(demo_ctx)[other.code]] == ["责任代表", "协助代表"]


def test_accepting_proposals_checks_them_again_and_applies_all_or_none(demo_ctx):
    sug = grids.suggest_placements(demo_ctx)
    target = sug.proposals[0].grid_id
    crowd = [grids.Placement(p.deputy_id, target) for p in sug.proposals[:5]]
    before = grids.check_grids(demo_ctx).deputies_placed
    with pytest.raises(InvalidInput, match="上限"):
        grids.accept_placements(demo_ctx, crowd)
    assert grids.check_grids(demo_ctx).deputies_placed == before
    placed = next(c for c in grids.deputy_choices(demo_ctx) if c.grid_name)
    with pytest.raises(InvalidInput, match="不调整已入格"):
        grids.accept_placements(demo_ctx, [grids.Placement(placed.id, target)])
    res = grids.accept_placements(demo_ctx, [sug.proposals[0]])
    assert res.applied == 1 and grids.check_grids(demo_ctx).deputies_placed == before + 1


# ------------------------------------------------------------------ spreadsheets


def test_roster_export_imports_back_unchanged_and_into_another_copy(demo_ctx, _demo_template, tmp_path):
    place_everyone(demo_ctx)
    out = tmp_path / "网格名册.xlsx"
    n = grid_import.export_roster(demo_ctx, out)
    assert n == 62
    ws = load_workbook(out).active
    assert [c.value for c in ws[1]][:7] == ["村(社区)", "网格编号", "网格名称", "户数", "网格员", "网格员电话", "代表姓名"]

    again = grid_import.import_roster(demo_ctx, out)
    assert again.ok and again.applied == 0  # an exported roster changes nothing

    folder = tmp_path / "other"
    shutil.copytree(_demo_template, folder, ignore=shutil.ignore_patterns("logs", "backups"))
    other = Context.open(folder)
    try:
        res = grid_import.import_roster(other, out)
        assert res.ok, res.errors
        assert members(other) == members(demo_ctx)
        assert grids.check_grids(other).clear
    finally:
        other.close()


def test_roster_import_is_all_or_nothing_with_a_reason_per_row(demo_ctx, tmp_path):
    rows = grids.roster_on(demo_ctx)
    empty = [rg.grid for rg in rows if not rg.members]
    free = [c for c in grids.deputy_choices(demo_ctx) if c.needs_grid and not c.grid_name]
    header = ["网格编号", "网格名称", "代表姓名", "联系电话", "角色", "入格日期"]
    data = [
        [empty[0].code, empty[0].name, free[0].name, free[0].mobile, "责任代表", TODAY],       # row 2: good
        ["", empty[1].name + "X", free[1].name, "", "", ""],                                  # row 3: no grid
        [empty[1].code, "", "查无此人", "", "", ""],                                          # row 4: no deputy
        [empty[2].code, "", free[2].name, "", "", ""],                                        # rows 5-8: 4 in
        [empty[2].code, "", free[3].name, "", "", ""],                                        # one grid
        [empty[2].code, "", free[4].name, "", "", ""],
        [empty[2].code, "", free[5].name, "", "", ""],
        [empty[3].code, "", free[6].name, "", "组长", "2026-13-01"],                          # row 9
    ]
    path = xlsx(tmp_path / "名册.xlsx", header, data)
    with demo_ctx.store.session() as s:
        count = s.scalar(select(func.count()).select_from(GridAssignment))
    res = grid_import.import_roster(demo_ctx, path)
    assert not res.ok and res.applied == 0
    by_row = {}
    for e in res.errors:
        by_row.setdefault(e.row, []).append(e.message)
    assert set(by_row) == {3, 4, 8, 9}
    assert "不存在" in by_row[3][0]
    assert "不在代表名册中" in by_row[4][0]
    assert "超过每个网格 3 名的上限" in by_row[8][0]
    assert any("责任代表 或 协助代表" in m for m in by_row[9]) and any("有效日期" in m for m in by_row[9])
    with demo_ctx.store.session() as s:
        assert s.scalar(select(func.count()).select_from(GridAssignment)) == count  # nothing written
    # the error report lists the bad rows first, and the fixed file imports whole
    report = tmp_path / "错误报告.xlsx"
    deputy_service.save_import_errors(res, report)
    assert "不存在" in str(load_workbook(report).active["A2"].value)
    fixed = xlsx(tmp_path / "名册2.xlsx", header, [data[0], data[4], data[5], data[6]])
    res = grid_import.import_roster(demo_ctx, fixed)
    assert res.ok and res.applied == 4
    assert members(demo_ctx)[empty[0].code] == [(free[0].name, "责任代表")]
    assert [r for _n, r in members(demo_ctx)[empty[2].code]] == ["责任代表", "协助代表", "协助代表"]


def test_grid_list_import_creates_and_updates_grids_all_or_nothing(ctx, tmp_path):
    save_village(ctx, {"name": "黄家村", "code": "420381103200"})
    save_village(ctx, {"name": "六里坪社区", "code": "420381103001"})
    header = ["所属村(社区)", "网格编号", "网格名称", "户数", "人口", "网格员", "网格员电话"]
    bad = xlsx(tmp_path / "网格.xlsx", header, [
        ["黄家村", "420381103200001", "一至四组网格", 210, 760, "王丽", "13912345678"],
        ["不存在村", "", "某网格", 10, 20, "", ""],
        ["六里坪社区", "420381103001001", "东街网格", "很多", 900, "李敏", "1391234"],
        ["黄家村", "420381103200001", "重复网格", 1, 1, "", ""],
    ])
    res = grid_import.import_grids(ctx, bad)
    assert not res.ok and grids.list_grids(ctx) == []
    assert [(e.row, e.field) for e in res.errors] == [(3, "所属村(社区)"), (4, "户数"), (4, "网格员电话"),
                                                      (5, "网格编号")]
    good = xlsx(tmp_path / "网格2.xlsx", header, [
        ["黄家村", "420381103200001", "一至四组网格", 210, 760, "王丽", "139 1234 5678"],
        ["黄家", "", "五至八组网格", 190, 700, "", ""],
        ["六里坪社区", "420381103001001", "东街网格", 800, 2600, "李敏", "0719-5212345"],
    ])
    kind, res = grid_import.import_grid_file(ctx, good)
    assert kind == "grids" and res.ok and res.applied == 3
    rows = {g.name: g for g in grids.list_grids(ctx)}
    assert rows["五至八组网格"].code == "420381103200002"  # the next free code of the village
    assert rows["一至四组网格"].worker_phone == "13912345678"
    # importing again updates in place
    update = xlsx(tmp_path / "网格3.xlsx", header, [["黄家村", "420381103200001", "一至四组网格", 230, 800, "王丽", ""]])
    assert grid_import.import_grids(ctx, update).ok
    assert len(grids.list_grids(ctx)) == 3
    assert {g.name: g.households for g in grids.list_grids(ctx)}["一至四组网格"] == 230


def test_grid_form_checks_every_field_and_a_grid_in_use_cannot_be_deleted(demo_ctx):
    village = grids.list_grids(demo_ctx)[0]
    with pytest.raises(FieldErrors) as e:
        grids.save_grid(demo_ctx, {"village_id": "", "code": "", "name": "", "households": "-3",
                                   "worker_phone": "123"})
    assert set(e.value.errors) == {"village_id", "code", "name", "households", "worker_phone"}
    with pytest.raises(Exists, match="已被"):
        grids.save_grid(demo_ctx, {"village_id": village.village_id, "code": village.code, "name": "新网格"})
    code = grids.next_grid_code(demo_ctx, village.village_id)
    assert code.startswith(village.village_code) and len(code) == 15
    new = grids.save_grid(demo_ctx, {"village_id": village.village_id, "code": code, "name": "新网格",
                                     "households": "120", "worker_name": "张 敏", "worker_phone": "１３９１２３４５６７８"})
    assert (new.worker_name, new.worker_phone, new.households) == ("张敏", "13912345678", 120)
    in_use = next(g for g in grids.list_grids(demo_ctx) if g.deputies)
    with pytest.raises(Exists, match="不能删除"):
        grids.delete_grid(demo_ctx, in_use.id)
    grids.delete_grid(demo_ctx, new.id)
    assert new.id not in {g.id for g in grids.list_grids(demo_ctx)}


def test_settings_are_checked_and_kept(demo_ctx):
    assert grids.grid_settings(demo_ctx) == grids.GridSettings(3, 3)
    with pytest.raises(FieldErrors) as e:
        grids.save_grid_settings(demo_ctx, 0, 99)
    assert set(e.value.errors) == {"limit", "visit_months"}
    assert grids.save_grid_settings(demo_ctx, "2", "6") == grids.GridSettings(2, 6)
    report = grids.check_grids(demo_ctx)
    assert report.limit == 2


def test_visits_of_a_grid_are_counted_and_a_grid_without_one_is_flagged(demo_ctx):
    models_visits = pytest.importorskip("congress_desktop.core.store.models_visits")
    place_everyone(demo_ctx)
    with demo_ctx.store.session() as s:  # grids registered last year: old enough to be due a visit
        s.execute(update(Grid).values(created_at=dt.datetime(int(TODAY[:4]) - 1, 1, 1)))
    report = grids.check_grids(demo_ctx)
    assert report.visit_months == 3
    no_visit = {i.grid_id for i in report.of_kind("no_visit")}
    g = grids.list_grids(demo_ctx)[0]
    assert g.id in no_visit and report.clear  # a reminder, not a hole
    year = TODAY[:4]
    with demo_ctx.store.session() as s:
        s.add(models_visits.Visit(visit_date=TODAY, form="入户走访", grid_id=g.id))
        s.add(models_visits.Visit(visit_date=f"{int(year) - 1}-12-31", form="入户走访", grid_id=g.id))
    assert grids.get_grid(demo_ctx, g.id).visits_this_year == 1
    assert g.id not in {i.grid_id for i in grids.check_grids(demo_ctx).of_kind("no_visit")}
