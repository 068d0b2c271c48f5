"""Visits and opinions on a real SQLite file: a 接待日 recorded and followed to the end, history,
attachments, the ledger import (all or nothing) and export, the list filters and the home figures."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import select, text

from congress_desktop.core.errors import FieldErrors, InvalidInput
from congress_desktop.core.store.models_visits import Opinion, Visit
from congress_desktop.deputies import service as deputies
from congress_desktop.places import contact_points, units
from congress_desktop.visits import attachments as att
from congress_desktop.visits import importing as imp
from congress_desktop.visits import opinion_index
from congress_desktop.visits import opinions as ops
from congress_desktop.visits import service as vis
from congress_desktop.visits.opinion_rules import Step, TransitionRefused, default_deadline

TODAY = dt.date.today()


def days_ago(n: int) -> str:
    return (TODAY - dt.timedelta(days=n)).isoformat()


@pytest.fixture
def town(demo_ctx):
    """The demo town with the names a test needs."""
    home = next(p for p in contact_points.list_contact_points(demo_ctx) if p.kind == "代表之家")
    cats = {c.name: c.id for c in ops.list_categories(demo_ctx)}
    unit = {u.name: u.id for u in units.list_units(demo_ctx)}
    return demo_ctx, home, cats, unit


def reception_day(ctx, home, cats, **extra) -> vis.VisitDetail:
    """A 接待日 with two deputies, three visitors and two opinions, as the form sends it."""
    raw = {
        "visit_date": days_ago(3), "start_time": "09:00", "end_time": "11:30", "form": "接待日",
        "contact_point_id": home.id, "deputy_ids": list(home.deputy_ids[:2]), "note": "每月 15 日接待日",
        "visitors": [
            {"name": "龚德旺", "phone": "13872345678", "village_group": "黄家村3组", "head_count": 1},
            {"name": "覃秀芳", "phone": "", "village_group": "黄家村5组", "head_count": 2},
            {"name": "欧阳春生", "phone": "0719-5212345", "village_group": "六里坪社区", "head_count": 1},
        ],
        "opinions": [
            {"category_id": cats["基础设施"], "content": "黄家村3组通组公路塌方，雨天无法通行，请求尽快修复"},
            {"category_id": cats["社保"], "content": "低保复核结果迟迟没有通知到户"},
        ],
    }
    raw.update(extra)
    return vis.save_visit(ctx, raw)


def step(ctx, opinion_id, action, days, **kw):
    return ops.act_on_opinion(ctx, opinion_id, Step(action, on=days_ago(days), **kw))


def test_record_a_reception_day_and_follow_one_opinion_to_closed_and_one_back_for_rework(town):
    ctx, home, cats, unit = town
    v = reception_day(ctx, home, cats)
    assert len(v.row.deputy_ids) == 2 and len(v.visitors) == 3 and v.row.visitor_count == 4
    first, second = v.opinions
    assert first.state == second.state == "登记"
    assert first.raised_by == "龚德旺、覃秀芳、欧阳春生" and first.raised_phone == "13872345678"
    assert set(first.deputy_names) == {*v.row.deputy_names}

    road = unit["镇村镇建设服务中心"]
    d = step(ctx, first.id, "assign", 2, unit_id=road)
    assigned = TODAY - dt.timedelta(days=2)
    assert d.row.state == "交办" and d.row.deadline == default_deadline(assigned).isoformat()
    step(ctx, first.id, "start", 2)
    step(ctx, first.id, "answer", 1, kind="已解决", text="已组织抢修，道路恢复通行")
    step(ctx, first.id, "rate", 1, rating="满意", by="龚德旺")
    d = step(ctx, first.id, "close", 0)
    assert d.row.state == "办结" and d.allowed == ()
    assert [e.label for e in d.events] == ["交办", "开始办理", "答复", "测评", "办结"]
    assert "交办镇村镇建设服务中心" in d.events[0].detail

    step(ctx, second.id, "assign", 2, unit_id=unit["镇社会保障服务中心"])
    step(ctx, second.id, "start", 2)
    step(ctx, second.id, "answer", 1, kind="说明解释", text="已电话告知")
    step(ctx, second.id, "rate", 1, rating="不满意")
    with pytest.raises(TransitionRefused, match="应退回重办"):
        step(ctx, second.id, "close", 0)
    d = step(ctx, second.id, "return", 0, text="群众要求书面答复")
    assert d.row.state == "退回重办" and d.row.return_count == 1 and d.allowed == ("reassign", "start")

    # the visit reads back with both, and the lists filter by state
    back = vis.get_visit(ctx, v.row.id)
    assert [o.state for o in back.opinions] == ["办结", "退回重办"]
    assert back.row.open_count == 1
    ids = {o.id for o in ops.query_opinions(ctx, ops.OpinionQuery(state="退回重办"), 0, None)}
    assert second.id in ids and first.id not in ids


def test_answered_on_the_spot_closes_at_once(town):
    ctx, home, cats, _ = town
    v = reception_day(ctx, home, cats, opinions=[
        {"category_id": cats["医疗"], "content": "医保报销需要哪些材料", "on_the_spot": True,
         "answer": "代表当场讲解了报销材料清单", "answer_kind": "说明解释"}])
    o = v.opinions[0]
    assert (o.state, o.on_the_spot, o.reply_on, o.closed_on) == ("办结", True, v.row.visit_date, v.row.visit_date)
    assert ops.get_opinion(ctx, o.id).events[0].label == "当场答复"


def test_bad_visit_is_refused_and_nothing_is_written(town):
    ctx, home, cats, _ = town
    before = vis.count_visits(ctx)
    with pytest.raises(FieldErrors) as e:
        reception_day(ctx, home, cats, visit_date=(TODAY + dt.timedelta(days=1)).isoformat(), deputy_ids=[],
                      end_time="08:00")
    assert {"visit_date", "deputy_ids", "end_time"} <= set(e.value.errors)
    with pytest.raises(FieldErrors) as e:
        reception_day(ctx, home, cats, contact_point_id="no-such-point")
    assert "联系站点不存在" in e.value.errors["place"]
    assert vis.count_visits(ctx) == before


def test_edits_and_deletes_keep_history(town):
    ctx, home, cats, _ = town
    v = reception_day(ctx, home, cats)
    raw = v.as_form()
    raw["note"] = "改为临时接待"
    raw["visitors"][1]["phone"] = "13900001111"
    raw["opinions"] = raw["opinions"][:1]  # the second, still 登记, is removed
    raw["opinions"][0]["content"] = "黄家村3组通组公路塌方，请求修复"
    v2 = vis.save_visit(ctx, raw, v.row.id)
    assert len(v2.opinions) == 1 and v2.row.note == "改为临时接待" and v2.row.version == 2
    hist = vis.visit_history(ctx, v.row.id)
    changes = {(what, e.action): e.changes for what, e in hist}
    assert changes[("接待记录", "update")]["note"] == ("每月 15 日接待日", "改为临时接待")
    assert changes[("群众 覃秀芳", "update")]["phone"] == ("", "13900001111")
    assert ("第 2 条意见", "delete") in changes
    assert changes[("第 1 条意见", "update")]["content"][1] == "黄家村3组通组公路塌方，请求修复"

    n = vis.delete_visit(ctx, v.row.id)
    assert n == 1
    assert all(x.id != v.row.id for x in vis.query_visits(ctx, limit=None))
    assert not ops.query_opinions(ctx, ops.OpinionQuery(visit_id=v.row.id))
    with ctx.store.session() as s:
        row = s.get(Visit, v.row.id)
        assert row.deleted and row.version == 3  # a tombstone, not gone
    assert [e.action for what, e in vis.visit_history(ctx, v.row.id) if what == "接待记录"] == \
        ["insert", "update", "delete"]


def test_an_assigned_opinion_cannot_be_dropped_from_its_visit(town):
    ctx, home, cats, unit = town
    v = reception_day(ctx, home, cats)
    step(ctx, v.opinions[1].id, "assign", 1, unit_id=unit["镇卫生院"])
    raw = v.as_form()
    raw["opinions"] = raw["opinions"][:1]
    with pytest.raises(FieldErrors, match="已交办，不能从接待记录中删除"):
        vis.save_visit(ctx, raw, v.row.id)


def test_attachments_are_stored_by_hash_and_read_back(town, tmp_path):
    ctx, home, cats, _ = town
    scan = tmp_path / "签到表.jpg"
    scan.write_bytes(b"\xff\xd8fake jpeg" * 500)
    v = reception_day(ctx, home, cats, attachment_paths=[str(scan)])
    sha = hashlib.sha256(scan.read_bytes()).hexdigest()
    assert [a.file_name for a in v.attachments] == ["签到表.jpg"] and v.attachments[0].sha256 == sha
    stored = ctx.data_dir / "attachments" / sha[:2] / sha
    assert stored.read_bytes() == scan.read_bytes()
    a = v.attachments[0]
    assert att.read_attachment(ctx, a.id) == scan.read_bytes()
    view = att.copy_for_viewing(ctx, a.id)
    assert view.name == "签到表.jpg" and view.read_bytes() == scan.read_bytes()
    # the same photo on an opinion: one more record, still one file
    b = att.add_attachment(ctx, "opinion", v.opinions[0].id, scan, "现场照片")
    assert b.sha256 == sha and len(list((ctx.data_dir / "attachments").rglob("*"))) == 2  # folder + file
    att.delete_attachment(ctx, a.id)
    assert att.list_attachments(ctx, "visit", v.row.id) == []
    assert stored.exists()  # the opinion still uses it
    stored.write_bytes(b"tampered")
    with pytest.raises(Exception, match="已损坏"):
        att.read_attachment(ctx, b.id)


def test_meetings_are_recorded_in_order_of_handling(town):
    ctx, home, cats, unit = town
    o = reception_day(ctx, home, cats).opinions[0]
    with pytest.raises(InvalidInput, match="交办后"):
        ops.save_meeting(ctx, o.id, "办前", {"meet_on": days_ago(2), "participants": "代表、群众"})
    step(ctx, o.id, "assign", 2, unit_id=unit["镇水利站"])
    d = ops.save_meeting(ctx, o.id, "办前", {"meet_on": days_ago(2), "participants": "王代表、龚德旺、水利站",
                                             "notes": "现场查看塌方"})
    assert d.meeting("办前").notes == "现场查看塌方"
    with pytest.raises(InvalidInput, match="开始办理后"):
        ops.save_meeting(ctx, o.id, "办中", {"meet_on": days_ago(1), "participants": "x"})
    step(ctx, o.id, "start", 1)
    with pytest.raises(InvalidInput, match="不能早于办前面对面"):
        ops.save_meeting(ctx, o.id, "办中", {"meet_on": days_ago(3), "participants": "x"})
    d = ops.save_meeting(ctx, o.id, "办中", {"meet_on": days_ago(1), "participants": "x"})
    assert [m.stage for m in d.meetings] == ["办前", "办中"]
    ops.save_meeting(ctx, o.id, "办前", {"meet_on": days_ago(2), "participants": "王代表、龚德旺"})
    kinds = [(what, e.action) for what, e in ops.opinion_history(ctx, o.id)]
    assert ("办前面对面", "update") in kinds


def test_list_filters_and_chinese_substring_search(town, monkeypatch):
    ctx, home, cats, unit = town
    v = reception_day(ctx, home, cats)
    road = v.opinions[0]
    step(ctx, road.id, "assign", 2, unit_id=unit["镇水利站"], deadline=days_ago(1))
    # 2-character and 1-character Chinese words, a phone number fragment, a unit name
    for words in ("塌方", "塌", "公路 雨天", "72345678", "水利站", "龚德旺"):
        found = [o.id for o in ops.query_opinions(ctx, ops.OpinionQuery(text=words), 0, None)]
        assert road.id in found, words
    assert not ops.query_opinions(ctx, ops.OpinionQuery(text="塌方 低保"))
    # the same answers when the full-text index is bypassed (many matches: the list order is walked)
    monkeypatch.setattr(ops, "FTS_SORT_LIMIT", 0)
    assert road.id in [o.id for o in ops.query_opinions(ctx, ops.OpinionQuery(text="塌方"), 0, None)]
    monkeypatch.undo()

    overdue = ops.query_opinions(ctx, ops.OpinionQuery(overdue=True), 0, None)
    assert road.id in [o.id for o in overdue] and all(o.overdue for o in overdue)
    assert ops.count_opinions(ctx, ops.OpinionQuery(overdue=True)) == len(overdue)
    assert ops.query_opinions(ctx, ops.OpinionQuery(overdue=True, state="交办", text="塌方"))[0].id == road.id
    soon = ops.query_opinions(ctx, ops.OpinionQuery(due_soon=True), 0, None)
    assert all(o.due_soon for o in soon)
    by = {
        "category": ops.OpinionQuery(category_id=cats["基础设施"]),
        "unit": ops.OpinionQuery(unit_id=unit["镇水利站"]),
        "village": ops.OpinionQuery(village_id=home.village_id),
        "deputy": ops.OpinionQuery(deputy_id=home.deputy_ids[0]),
        "dates": ops.OpinionQuery(date_from=days_ago(3), date_to=days_ago(3)),
    }
    for name, q in by.items():
        assert road.id in [o.id for o in ops.query_opinions(ctx, q, 0, None)], name
    assert road.id not in [o.id for o in ops.query_opinions(ctx, ops.OpinionQuery(date_to=days_ago(4)), 0, None)]
    with pytest.raises(InvalidInput, match="早于开始日期"):
        ops.query_opinions(ctx, ops.OpinionQuery(date_from=days_ago(1), date_to=days_ago(9)))
    # newest first, and pages join up
    everything = ops.query_opinions(ctx, limit=None)
    assert [o.raised_on for o in everything] == sorted((o.raised_on for o in everything), reverse=True)
    assert ops.query_opinions(ctx, offset=10, limit=5) == everything[10:15]


def test_search_index_follows_edits_and_deletes_and_can_be_rebuilt(town):
    ctx, home, cats, _ = town
    o = reception_day(ctx, home, cats).opinions[1]
    ops.update_opinion(ctx, o.id, {"content": "五保户房屋漏雨需要维修"})
    assert not ops.query_opinions(ctx, ops.OpinionQuery(text="低保复核"))
    assert [x.id for x in ops.query_opinions(ctx, ops.OpinionQuery(text="漏雨"))] == [o.id]
    ops.delete_opinion(ctx, o.id)
    assert not ops.query_opinions(ctx, ops.OpinionQuery(text="漏雨"))
    before = [x.id for x in ops.query_opinions(ctx, ops.OpinionQuery(text="路"), 0, None)]
    assert ops.rebuild_search_index(ctx) > 100
    assert [x.id for x in ops.query_opinions(ctx, ops.OpinionQuery(text="路"), 0, None)] == before
    with ctx.store.session() as s:
        n_fts = s.scalar(text("SELECT count(*) FROM opinion_fts WHERE opinion_fts MATCH '\"塌方\"'"))
        assert n_fts == 1


def test_home_summary_matches_the_lists(town):
    ctx, *_ = town
    h = vis.home_summary(ctx)
    year = ops.OpinionQuery(date_from=h.year_from, date_to=h.today)
    assert h.opinions_year == ops.count_opinions(ctx, year)
    assert h.closed_year == ops.count_opinions(ctx, ops.OpinionQuery(date_from=h.year_from, date_to=h.today,
                                                                     state="办结"))
    assert h.open_items == ops.count_opinions(ctx, ops.OpinionQuery(state=ops.STATE_OPEN))
    assert h.overdue == ops.count_opinions(ctx, ops.OpinionQuery(overdue=True)) > 0
    assert h.visits_year == vis.count_visits(ctx, vis.VisitQuery(date_from=h.year_from, date_to=h.today))
    assert h.visits_month == vis.count_visits(ctx, vis.VisitQuery(date_from=h.month_from, date_to=h.today))
    assert 0 < h.closed_rate < 1 and 0 < h.satisfaction_rate <= 1
    assert vis.percent(0.6234) == "62.3%"
    states = ops.state_counts(ctx)
    assert sum(states[s] for s in ops.STATES) == ops.count_opinions(ctx)
    summary = ops.opinion_summary(ctx, h.year_from, h.today)
    assert summary.total.total == h.opinions_year and summary.total.closed == h.closed_year
    assert sum(x.total for x in summary.by_category) == h.opinions_year


def test_units_and_categories_registry(town):
    ctx, _, cats, unit = town
    assert list(cats)[:3] == ["产业发展", "基础设施", "人居环境"]
    with pytest.raises(InvalidInput, match="不能删除"):
        units.delete_unit(ctx, unit["镇村镇建设服务中心"])
    with pytest.raises(Exception, match="已有名为"):
        units.save_unit(ctx, {"name": "镇水利站"})
    u = units.save_unit(ctx, {"name": "镇文化站", "contact_person": "李 明", "phone": "0719 5611209"})
    assert (u.contact_person, u.phone) == ("李明", "0719-5611209")
    units.delete_unit(ctx, u.id)
    assert "镇文化站" not in {x.name for x in units.list_units(ctx)}
    c = ops.save_category(ctx, {"name": "民族宗教"})
    assert c.name in {x.name for x in ops.list_categories(ctx)}
    with pytest.raises(InvalidInput, match="不能删除"):
        ops.delete_category(ctx, cats["基础设施"])


# ------------------------------------------------------------------ ledger import / export

HEADER = ["序号", "接待日期", "接待时间", "接待地点", "接待形式", "接待代表", "来访群众", "联系电话", "意见类别",
          "意见内容", "承办单位", "交办日期", "办理期限", "办理状态", "答复日期", "答复内容", "答复类型", "满意度",
          "办结日期"]


def ledger(path, rows):
    wb = Workbook()
    ws = wb.active
    ws.append(["六里坪镇人大代表接待台账（2026年）"])
    ws.append(HEADER)
    for r in rows:
        ws.append(r)
    wb.save(path)
    return path


def good_rows(home, d1, d2):
    day = days_ago(40)
    deps = f"{d1}、{d2}"
    return [
        [1, day, "9:00", home.name, "接待日", deps, "张大山", "13872340001", "基础设施", "组里道路需要硬化",
         "镇村镇建设服务中心", days_ago(39), "", "办理中", "", "", "", "", ""],
        [2, day, "9:00", home.name, "接待日", deps, "李秀芳", "", "医疗", "村卫生室缺药", "镇卫生院", days_ago(39),
         "", "办结", days_ago(20), "已补齐药品", "已解决", "满意", days_ago(10)],
        [3, day, "9:00", home.name, "接待日", deps, "王德明", "", "教育", "校车接送", "", "", "", "", "", "当场说明",
         "", "", ""],
        [4, days_ago(30), "14:30", home.name, "座谈", d1, "赵桂英", "", "社保", "养老保险缴费标准", "镇社会保障服务中心",
         days_ago(29), days_ago(5), "", "", "", "", "", ""],
        [5, days_ago(30), "14:30", home.name, "座谈", d1, "周长林", "13872340005", "安全", "路口加装红绿灯",
         "镇综治中心", days_ago(29), "", "退回重办", days_ago(15), "已协调交警", "说明解释", "不满意", ""],
    ]


def test_ledger_import_is_all_or_nothing_with_every_bad_row_listed(town, tmp_path):
    ctx, home, _, _ = town
    d1, d2 = home.deputy_names[:2]
    before = (vis.count_visits(ctx), ops.count_opinions(ctx))
    rows = good_rows(home, d1, d2)
    bad = [6, days_ago(30), "14:30", home.name, "座谈", "查无此人", "孙树林", "1387", "交通", "路灯不亮",
           "不存在的局", days_ago(29), days_ago(40), "", "", "", "", "", ""]
    res = imp.import_ledger(ctx, ledger(tmp_path / "台账.xlsx", rows + [bad]))
    assert not res.ok and res.applied_visits == 0
    reasons = {e.field: e.message for e in res.errors}
    assert {e.row for e in res.errors} == {8}  # title row, header row, then rows 3..8
    assert "接待代表“查无此人”不在代表名册中" in reasons["接待代表"]
    assert "承办单位“不存在的局”不在承办单位名单中" in reasons["承办单位"]
    assert "类别“交通”不在意见类别列表中" in reasons["意见类别"]
    assert "手机号" in reasons["联系电话"]
    assert (vis.count_visits(ctx), ops.count_opinions(ctx)) == before  # nothing written

    imp.save_import_errors(res, tmp_path / "错误报告.xlsx")
    ws = load_workbook(tmp_path / "错误报告.xlsx").active
    assert ws["A1"].value == "错误原因" and "查无此人" in ws["A2"].value

    # the deadline of the bad row is before its assignment: also refused
    bad2 = [6, days_ago(30), "14:30", home.name, "座谈", d1, "孙树林", "", "安全", "路灯不亮", "镇综治中心",
            days_ago(29), days_ago(40), "", "", "", "", "", ""]
    res = imp.import_ledger(ctx, ledger(tmp_path / "台账2.xlsx", rows + [bad2]))
    assert [(e.row, e.field) for e in res.errors] == [(8, "办理期限")]
    assert "不能早于交办日期" in res.errors[0].message

    res = imp.import_ledger(ctx, ledger(tmp_path / "台账3.xlsx", rows))
    assert res.ok and (res.applied_visits, res.applied_opinions) == (2, 5)
    assert vis.count_visits(ctx) == before[0] + 2
    found = {o.content: o for o in ops.query_opinions(ctx, ops.OpinionQuery(date_from=days_ago(40),
                                                                               date_to=days_ago(30)), 0, None)}
    assert found["组里道路需要硬化"].state == "办理中"
    assert found["村卫生室缺药"].state == "办结" and found["村卫生室缺药"].rating == "满意"
    assert found["校车接送"].on_the_spot and found["校车接送"].state == "办结"
    assert found["养老保险缴费标准"].state == "交办" and found["养老保险缴费标准"].deadline == days_ago(5)
    assert found["养老保险缴费标准"].overdue
    assert found["路口加装红绿灯"].state == "退回重办" and found["路口加装红绿灯"].return_count == 1
    v = vis.get_visit(ctx, found["组里道路需要硬化"].visit_id)
    assert [x.name for x in v.visitors] == ["张大山", "李秀芳", "王德明"] and len(v.opinions) == 3

    again = imp.import_ledger(ctx, ledger(tmp_path / "台账4.xlsx", rows))
    assert not again.ok and "疑为重复导入" in again.errors[0].message


def test_ledger_and_opinion_exports_read_back(town, tmp_path):
    ctx, home, cats, _ = town
    v = reception_day(ctx, home, cats)
    n = imp.export_ledger(ctx, tmp_path / "台账.xlsx", vis.VisitQuery(date_from=v.row.visit_date,
                                                                   date_to=v.row.visit_date))
    ws = load_workbook(tmp_path / "台账.xlsx").active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][:4] == ("接待日期", "开始时间", "结束时间", "接待地点")
    assert n == len(rows) - 1 >= 3  # two opinions + the third visitor, and the other visits of that day
    contents = [r[imp.LEDGER_COLUMNS.index("content")] for r in rows]
    assert "低保复核结果迟迟没有通知到户" in contents
    m = ops.export_opinions(ctx, tmp_path / "意见.xlsx", ops.OpinionQuery(overdue=True))
    ws = load_workbook(tmp_path / "意见.xlsx").active
    assert ws.max_row == m + 1 and m == ops.count_opinions(ctx, ops.OpinionQuery(overdue=True))
    assert all(str(c.value).startswith("超期") for c in ws["O"][1:])


def test_opinions_without_search_key_are_indexed_on_the_next_list(town):
    """A row written by another path (sync) without ``seq`` is still found."""
    ctx, home, cats, _ = town
    o = reception_day(ctx, home, cats).opinions[0]
    with ctx.store.session() as s:
        row = s.get(Opinion, o.id)
        s.execute(text("INSERT INTO opinion_fts(opinion_fts, rowid, grams) VALUES('delete', :r, :g)"),
                  {"r": row.seq, "g": ops.search.grams(row.search_text)})
        row.seq = None
        row.search_text = ""
    assert [x.id for x in ops.query_opinions(ctx, ops.OpinionQuery(text="塌方"))] == [o.id]
    with ctx.store.session() as s:
        assert s.scalar(select(Opinion.seq).where(Opinion.id == o.id)) is not None


def test_deputy_names_are_searchable_on_visits(town):
    ctx, home, cats, _ = town
    v = reception_day(ctx, home, cats)
    name = v.row.deputy_names[0]
    assert v.row.id in [x.id for x in vis.query_visits(ctx, vis.VisitQuery(text=name), 0, None)]
    assert v.row.id in [x.id for x in vis.query_visits(ctx, vis.VisitQuery(text="欧阳春生"), 0, None)]
    d = deputies.get_deputy(ctx, home.deputy_ids[0])
    assert v.row.id in [x.id for x in vis.query_visits(ctx, vis.VisitQuery(deputy_id=d.id), 0, None)]


def test_the_list_gives_sqlite_statistics_once_the_table_has_grown(town, monkeypatch):
    """Without ANALYZE statistics SQLite walks a whole index to meet a few full-text matches."""
    ctx, *_ = town
    monkeypatch.setattr(opinion_index, "STATS_MIN_ROWS", 10)
    monkeypatch.setattr(opinion_index, "_STATS_SEEN", {})
    ops.query_opinions(ctx, ops.OpinionQuery(text="路灯"))
    with ctx.store.session() as s:
        assert s.scalar(text("SELECT count(*) FROM sqlite_stat1 WHERE tbl = 'opinion'")) > 0


def test_an_opinion_changed_by_sync_is_searched_by_its_new_text_without_a_local_change(town):
    """Sync writes received rows with plain SQL and leaves the local search keys alone; the list
    notices the new version and re-indexes it, without raising the version or logging a change."""
    ctx, home, cats, _ = town
    o = reception_day(ctx, home, cats).opinions[0]
    with ctx.store.session() as s:
        s.execute(text("UPDATE opinion SET content = '桥面裂缝需要加固', version = version + 1 WHERE id = :i"),
                  {"i": o.id})
        logged = s.scalar(text("SELECT count(*) FROM change_log"))
    assert [x.id for x in ops.query_opinions(ctx, ops.OpinionQuery(text="裂缝"))] == [o.id]
    assert not ops.query_opinions(ctx, ops.OpinionQuery(text="塌方"))
    with ctx.store.session() as s:
        assert s.scalar(text("SELECT count(*) FROM change_log")) == logged
        version, indexed = s.execute(text("SELECT version, indexed_version FROM opinion WHERE id = :i"),
                                     {"i": o.id}).one()
    assert version == indexed == o.version + 1
