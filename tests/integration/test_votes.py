"""票决 and 测评 through the services on a real SQLite file (the demo town): roll call, quorum,
double entry with a settled difference, counting, announcing and locking, re-votes, hand-count
totals, the hash-chained log and its check, the case file, the printed forms and the .xlsx."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from congress_desktop.core.errors import CongressError, FieldErrors
from congress_desktop.core.store.models_votes import VoteBallot
from congress_desktop.votes import casefile, importing, ledger
from congress_desktop.votes import printing as vp
from congress_desktop.votes import service as svc
from congress_desktop.votes import tally as dv
from tests.pdfcheck import dark_pixel_ratio, pdf_fonts_embedded, pdf_pages_text, pdf_text
from tests.votehelp import STACK, enter_stack, new_project_vote


def test_roster_snapshot_is_every_town_deputy_in_office(demo_ctx):
    sess = new_project_vote(demo_ctx, leave=4)
    # 64 demo deputies, one 暂停 and one 终止: they neither vote nor count in 全体代表
    assert sess.all_deputies == 62
    assert (sess.present, sess.on_leave, sess.absent) == (58, 4, 0)
    assert sess.quorum_needed == 42 and sess.quorum_met
    assert len(sess.items) == 10 and sess.seats == 8


def test_roster_is_in_office_on_the_meeting_day(demo_ctx):
    """全体代表 is deputies.rules.in_office_on(the meeting day), not today's status: on 2026-01-10 the
    demo's 终止 (from 2026-03-15) and 暂停 (from 2026-06-01) deputies were still in office and count."""
    early = new_project_vote(demo_ctx, leave=0, date="2026-01-10", title="早一些的会议")
    assert early.all_deputies == 64
    between = new_project_vote(demo_ctx, leave=0, date="2026-04-01", title="两者之间的会议")
    assert between.all_deputies == 63  # the 终止 one is out from 2026-03-15, the 暂停 one not yet
    # refreshing the roster reads the session's own day again, not today
    assert svc.refresh_roster(demo_ctx, early.id).all_deputies == 64
    assert len(svc.attendance(demo_ctx, early.id)) == 64


def test_vote_cannot_open_below_two_thirds(demo_ctx):
    sess = new_project_vote(demo_ctx, leave=4, absent=17)  # 62 - 21 = 41 present, 42 needed
    assert sess.present == 41
    with pytest.raises(CongressError) as e:
        svc.open_vote(demo_ctx, sess.id)
    assert "实到 41 人，不足全体代表 62 人的三分之二（至少 42 人）" in e.value.message
    assert svc.get_session(demo_ctx, sess.id).rounds == ()
    roster = svc.attendance(demo_ctx, sess.id)
    svc.set_attendance(demo_ctx, sess.id, {roster[4].deputy_id: "出席"})
    assert svc.open_vote(demo_ctx, sess.id).number == 1


def test_session_needs_more_candidates_than_places(demo_ctx):
    projects = svc.list_projects(demo_ctx, states=["正式候选"])[:3]
    with pytest.raises(FieldErrors) as e:
        svc.create_session(demo_ctx, {"title": "某次会议", "kind": "project_vote", "seats": 3,
                                      "items": [{"project_id": p.id} for p in projects]})
    assert "差额" in e.value.errors["seats"]


def test_whole_project_vote_with_double_entry_announced_and_locked(demo_ctx, tmp_path):
    ctx = demo_ctx
    sess = new_project_vote(ctx)
    r = svc.open_vote(ctx, sess.id, "double")
    r = svc.set_ballot_counts(ctx, r.id, unsealed=60, issued=58, returned=58)
    assert r.stands is True
    enter_stack(ctx, r.id, "A", STACK, "甲录入员")
    stack_b = list(STACK)
    stack_b[4] = "1111111212"  # clerk B misread ballot 5
    enter_stack(ctx, r.id, "B", stack_b[:-1], "乙录入员")
    svc.enter_ballot(ctx, r.id, "B", "1111111111", doubtful=True, clerk_name="乙录入员")
    # a clerk sees only his own stack
    assert [e.keys for e in svc.clerk_ballots(ctx, r.id, "A")] == STACK
    last = svc.clerk_ballots(ctx, r.id, "B")[-1]
    assert last.check.valid is False and "超过应选 8 项" in last.check.reason

    diffs = svc.differences(ctx, r.id)
    assert [(d.position, d.keys_a, d.keys_b, d.differing_items()) for d in diffs] == [
        (5, "1111111122", "1111111212", [7, 8])]
    problems = svc.round_problems(ctx, r.id)
    assert any("尚未核定（第 5 张）" in p for p in problems)
    assert any("存疑" in p for p in problems)
    with pytest.raises(CongressError, match="还不能计票"):
        svc.compute_round(ctx, r.id)
    with pytest.raises(FieldErrors, match="第三人"):
        svc.settle_difference(ctx, r.id, 5, "1111111122", "甲录入员", "看原票")
    with pytest.raises(FieldErrors, match="理由"):
        svc.settle_difference(ctx, r.id, 5, "1111111122", "周核对", "")
    svc.settle_difference(ctx, r.id, 5, "1111111122", "周核对", "对照原票，第 8、9 项为赞成、反对")
    assert svc.differences(ctx, r.id)[0].settled
    svc.decide_doubtful(ctx, r.id, 58, valid=False, keys=None, by="刘总监、王监票", reason="十项均划赞成，超过应选数")

    view = svc.compute_round(ctx, r.id)
    res = view.result
    assert res.round_valid and (res.valid_ballots, res.void_ballots) == (57, 1)
    fors = [i.counts["for"] for i in res.items]
    assert fors == [40, 50, 50, 50, 50, 50, 50, 50, 0, 10]
    assert [i.outcome for i in res.items] == ["adopted"] * 8 + ["not_adopted"] * 2
    assert [i.rank for i in res.items] == [8, 1, 1, 1, 1, 1, 1, 1, 10, 9]
    assert res.threshold == 32
    for it in res.items:
        assert sum(it.counts.values()) == 57

    view = svc.announce_round(ctx, r.id, "陈主席")
    assert view.round.locked and view.round.final_hash == view.last_hash
    states = {p.name: p.state for p in svc.list_projects(ctx)}
    assert sum(1 for i in res.items if states[i.name] == "确定") == 8
    assert sum(1 for i in res.items if states[i.name] == "未确定") == 2
    # locked: nothing of the round can change any more
    for attempt in (lambda: svc.enter_ballot(ctx, r.id, "A", "1111111122"),
                    lambda: svc.correct_ballot(ctx, r.id, "A", 1, "2222222222", "改"),
                    lambda: svc.undo_last_ballot(ctx, r.id, "A"),
                    lambda: svc.set_ballot_counts(ctx, r.id, issued=58, returned=57),
                    lambda: svc.compute_round(ctx, r.id),
                    lambda: svc.announce_round(ctx, r.id)):
        with pytest.raises(CongressError, match="锁定"):
            attempt()
    with pytest.raises(CongressError, match="无需再次投票"):
        svc.start_revote(ctx, r.id)

    check = svc.verify_session(ctx, sess.id)
    assert check.ok, check.problems
    assert check.final_hash == view.round.final_hash

    # the case file recomputes the same result without the database
    case_path = casefile.export_case(ctx, sess.id, tmp_path / "case.json")
    data = json.loads(case_path.read_text(encoding="utf-8"))
    assert data["present"] == 58 and data["returned"] == 58 and len(data["ballots"]) == 58
    assert data["ballots"][57] == "void"
    assert dv.tally(dv.parse_case(case_path.read_text(encoding="utf-8"))).to_json() == res.to_json()

    # result report: counts, outcomes, signature roles and the final hash
    out = tmp_path / "result.pdf"
    assert vp.print_result_report(ctx, sess.id, out) == 1
    text = pdf_text(out)
    for needed in ("票决结果报告单", "全体代表", "62", "58", "57", "确定", "未确定", "总监票人（签字）",
                   "监票人（签字）", "计票人（签字）", "执行主席宣布", "执行主席（签字）", view.round.final_hash):
        assert needed in text, needed
    assert "50" in text and "40" in text
    assert pdf_fonts_embedded(out)
    # notice lists the adopted projects
    vp.print_notice(ctx, sess.id, tmp_path / "notice.pdf")
    notice = "".join(pdf_text(tmp_path / "notice.pdf").split())
    assert "下列8个项目确定为" in notice
    assert res.items[8].name not in notice
    # results to .xlsx
    casefile.export_results(ctx, sess.id, tmp_path / "results.xlsx")
    ws = load_workbook(tmp_path / "results.xlsx").active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][:4] == ("轮次", "序号", "项目名称", "赞成") and len(rows) == 11
    assert rows[2][3] == 50 and rows[2][10] == "确定"  # counts are numbers Excel can add up


def test_tampering_with_the_log_or_a_ballot_is_detected(demo_ctx):
    ctx = demo_ctx
    sess = new_project_vote(ctx)
    r = svc.open_vote(ctx, sess.id)
    svc.set_ballot_counts(ctx, r.id, issued=58, returned=58)
    enter_stack(ctx, r.id, "A", STACK)
    svc.compute_round(ctx, r.id)
    svc.announce_round(ctx, r.id)
    assert svc.verify_session(ctx, sess.id).ok
    con = sqlite3.connect(ctx.db_path)
    try:
        # change what one log entry says, directly in the file
        detail = con.execute("SELECT detail FROM vote_log WHERE session_id=? AND seq=10", (sess.id,)).fetchone()[0]
        con.execute("UPDATE vote_log SET detail=? WHERE session_id=? AND seq=10",
                    (detail.replace('"1111111122"', '"2111111122"'), sess.id))
        con.commit()
    finally:
        con.close()
    res = svc.verify_session(ctx, sess.id)
    assert not res.ok
    assert any("日志第 10 条" in p and "已被改动" in p for p in res.problems)


def test_changing_a_stored_ballot_breaks_the_check(demo_ctx):
    ctx = demo_ctx
    sess = new_project_vote(ctx)
    r = svc.open_vote(ctx, sess.id)
    svc.set_ballot_counts(ctx, r.id, issued=58, returned=58)
    enter_stack(ctx, r.id, "A", STACK)
    svc.compute_round(ctx, r.id)
    svc.announce_round(ctx, r.id)
    con = sqlite3.connect(ctx.db_path)
    try:
        con.execute("UPDATE vote_ballot SET marks='2222222211' WHERE round_id=? AND position=3", (r.id,))
        con.commit()
    finally:
        con.close()
    res = svc.verify_session(ctx, sess.id)
    assert not res.ok
    assert any("第 3 张选票" in p and "与日志记录不符" in p for p in res.problems)
    assert any("重新计票" in p for p in res.problems)


def test_undo_and_correction_stack_new_records_on_the_original(demo_ctx):
    ctx = demo_ctx
    sess = new_project_vote(ctx)
    r = svc.open_vote(ctx, sess.id)
    for keys in ("1111111122", "2222222211", "3333333333"):
        svc.enter_ballot(ctx, r.id, "A", keys)
    assert svc.undo_last_ballot(ctx, r.id, "A").keys == "3333333333"
    with pytest.raises(FieldErrors, match="更正原因"):
        svc.correct_ballot(ctx, r.id, "A", 1, "1111111133", "")
    fixed = svc.correct_ballot(ctx, r.id, "A", 1, "1111111133", "第 9、10 项看错")
    assert fixed.corrected and fixed.reason == "第 9、10 项看错"
    assert svc.enter_ballot(ctx, r.id, "A", "0000000000").position == 3  # takes the undone place
    assert [e.keys for e in svc.clerk_ballots(ctx, r.id, "A")] == ["1111111133", "2222222211", "0000000000"]
    with ctx.store.session() as s:
        rows = s.scalars(select(VoteBallot).where(VoteBallot.round_id == r.id)).all()
        assert sorted(b.action for b in rows) == ["correction", "entry", "entry", "entry", "entry", "undo"]
        assert "1111111122" in {b.marks for b in rows}  # the original is still there
        assert all(not hasattr(b, "deputy_id") for b in rows)  # no link to any deputy
    with pytest.raises(CongressError, match="10 个项目"):
        svc.enter_ballot(ctx, r.id, "A", "111")
    with pytest.raises(CongressError, match="不能输入"):
        svc.enter_ballot(ctx, r.id, "A", "111111115x")


def test_tie_at_the_cut_off_goes_to_a_second_round_among_the_tied(demo_ctx, tmp_path):
    ctx = demo_ctx
    projects = svc.list_projects(ctx, states=["正式候选"])[:3]
    sess = svc.create_session(ctx, {"title": "测试会议", "kind": "project_vote", "seats": 2,
                                    "items": [{"project_id": p.id} for p in projects]})
    roster = svc.attendance(ctx, sess.id)
    svc.set_attendance(ctx, sess.id, {a.deputy_id: "请假" for a in roster[:4]})
    r1 = svc.open_vote(ctx, sess.id)
    svc.set_ballot_counts(ctx, r1.id, issued=58, returned=58)
    enter_stack(ctx, r1.id, "A", ["112"] * 18 + ["211"] * 20 + ["121"] * 20)
    res = svc.compute_round(ctx, r1.id).result
    assert [i.counts["for"] for i in res.items] == [38, 38, 40]
    assert [i.outcome for i in res.items] == ["revote", "revote", "adopted"]
    svc.announce_round(ctx, r1.id)
    r2 = svc.start_revote(ctx, r1.id)
    assert (r2.number, r2.reason, r2.seats, len(r2.item_ids)) == (2, "tie", 1, 2)
    view = svc.round_view(ctx, r2.id)
    assert [i.name for i in view.items] == [projects[0].name, projects[1].name]
    svc.set_ballot_counts(ctx, r2.id, issued=58, returned=58)
    enter_stack(ctx, r2.id, "A", ["12"] * 35 + ["21"] * 23)
    res2 = svc.compute_round(ctx, r2.id).result
    assert [i.outcome for i in res2.items] == ["adopted", "not_adopted"]
    svc.announce_round(ctx, r2.id)
    final = {o.item.name: (o.outcome, o.round_number) for o in svc.session_outcomes(ctx, sess.id)}
    assert final == {projects[0].name: ("adopted", 2), projects[1].name: ("not_adopted", 2),
                     projects[2].name: ("adopted", 1)}
    # ballots of the second round list the tied projects only
    out = tmp_path / "ballots.pdf"
    vp.print_ballots(ctx, sess.id, out, copies=2, per_page=2)
    text = pdf_text(out)
    assert projects[0].name in text and projects[2].name not in text and "再次投票" in text
    assert svc.verify_session(ctx, sess.id).ok


def test_void_round_stays_on_record_beside_its_revote(demo_ctx):
    ctx = demo_ctx
    sess = new_project_vote(ctx)
    r1 = svc.open_vote(ctx, sess.id)
    r1 = svc.set_ballot_counts(ctx, r1.id, issued=58, returned=59)
    assert r1.stands is False
    res = svc.compute_round(ctx, r1.id).result
    assert res.round_valid is False and all(i.outcome == "revote" for i in res.items)
    svc.announce_round(ctx, r1.id)
    r2 = svc.start_revote(ctx, r1.id)
    assert (r2.reason, r2.seats, len(r2.item_ids)) == ("void", 8, 10)
    rounds = svc.get_session(ctx, sess.id).rounds
    assert [(x.number, x.state) for x in rounds] == [(1, "announced"), (2, "voting")]


def test_satisfaction_rating_of_five_units_by_hand_count(demo_ctx, tmp_path):
    ctx = demo_ctx
    units = ["镇卫生院", "镇中心小学", "镇派出所", "镇农业服务中心", "镇交通管理站"]
    sess = svc.create_session(ctx, {"title": "六里坪镇第十九届人民代表大会第五次会议", "kind": "satisfaction",
                                    "date": "2026-01-11", "items": units, "chair": "陈主席",
                                    "rules": {"recheck_below": "60%", "unsatisfied_above": "1/3"}})
    r = svc.open_vote(ctx, sess.id, "totals")
    svc.set_ballot_counts(ctx, r.id, issued=62, returned=62)
    good = [{"satisfied": 50, "basic": 8, "unsatisfied": 2, "abstain": 0, "invalid": 0},
            {"satisfied": 40, "basic": 15, "unsatisfied": 5},
            {"satisfied": 20, "basic": 10, "unsatisfied": 29, "invalid": 1},
            {"satisfied": 30, "basic": 20, "unsatisfied": 10},
            {"satisfied": 25, "basic": 10, "unsatisfied": 24, "abstain": 1}]
    wrong = [dict(c) for c in good]
    wrong[1]["basic"] = 14
    with pytest.raises(CongressError) as e:
        svc.enter_totals(ctx, r.id, valid=60, void=2, counts=wrong)
    assert "镇中心小学" in e.value.message and "应等于有效票 60" in e.value.message
    with pytest.raises(CongressError, match="应等于收回票数 62"):
        svc.enter_totals(ctx, r.id, valid=60, void=1, counts=good)
    assert svc.round_totals(ctx, r.id) is None  # nothing saved
    svc.enter_totals(ctx, r.id, valid=60, void=2, counts=good, entered_by="钱计票")
    res = svc.compute_round(ctx, r.id).result
    rates = [round(float(i.rate), 4) for i in res.items]
    assert rates == [0.9667, 0.9167, 0.5, 0.8333, 0.5833]
    assert [i.outcome for i in res.items] == ["satisfactory", "satisfactory", "recheck", "satisfactory", "recheck"]
    svc.announce_round(ctx, r.id)
    out = tmp_path / "rating.pdf"
    vp.print_result_report(ctx, sess.id, out)
    text = pdf_text(out)
    assert "满意度测评结果报告单" in text and "96.67%" in text and "需再测评" in text
    assert svc.verify_session(ctx, sess.id).ok
    case = json.loads(casefile.export_case(ctx, sess.id, tmp_path / "rating.json").read_text(encoding="utf-8"))
    assert case["totals"]["valid"] == 60
    assert dv.tally(dv.parse_case(case)).to_json() == res.to_json()


def test_ballots_carry_no_serial_number_or_mark(demo_ctx, tmp_path):
    sess = new_project_vote(demo_ctx)
    out = tmp_path / "ballots.pdf"
    assert vp.print_ballots(demo_ctx, sess.id, out) == 58  # one per deputy present
    pages = pdf_pages_text(out)
    assert len(set(pages)) == 1  # every sheet the same
    text = pages[0]
    assert "民生实事项目票决票" in text and "赞成的项目不得超过 8 个" in text
    for mark in ("第 1 页", "页 /", "编号", "No.", "指纹", "生成时间", "58"):
        assert mark not in text
    assert pdf_fonts_embedded(out)
    assert dark_pixel_ratio(out, 0) > 0.005
    two = tmp_path / "two.pdf"
    assert vp.print_ballots(demo_ctx, sess.id, two, copies=5, per_page=2) == 3
    assert pdf_text(two).count("民生实事项目票决票") == 5


def test_forms_before_the_count(demo_ctx, tmp_path):
    ctx = demo_ctx
    sess = new_project_vote(ctx)
    vp.print_attendance(ctx, sess.id, tmp_path / "att.pdf")
    text = pdf_text(tmp_path / "att.pdf")
    roster = svc.attendance(ctx, sess.id)
    assert "出席情况报告单" in text and "实到" in text and "符合法定人数" in text
    assert roster[0].name in text  # on leave, listed by name
    r = svc.open_vote(ctx, sess.id)
    svc.set_ballot_counts(ctx, r.id, unsealed=60, issued=58, returned=58)
    vp.print_distribution(ctx, sess.id, tmp_path / "dist.pdf")
    text = pdf_text(tmp_path / "dist.pdf")
    assert "选票分发报告单" in text and "选票收回报告单" in text and "本轮投票有效" in text and "2 张" in text
    pages = vp.print_tally_sheet(ctx, sess.id, tmp_path / "sheet.pdf")
    assert pages == 2  # one per 计票人
    text = pdf_text(tmp_path / "sheet.pdf")
    assert "钱计票" in text and "孙计票" in text and "划“正”字" in text


def test_project_import_applies_whole_or_not_at_all(demo_ctx, tmp_path):
    ctx = demo_ctx
    path = tmp_path / "projects.xlsx"
    wb = Workbook()
    ws = wb.active
    ws.append(["2027年民生实事候选项目"])
    ws.append(["序号", "项目名称", "类别", "实施地点", "总投资（万元）", "实施单位", "完成时限"])
    ws.append([1, "黄家村便民桥", "交通", "黄家村", 80, "镇交通管理站", "2027-10"])
    ws.append([2, "无名村道路", "交通", "不存在村", 50, "", ""])
    ws.append([3, "负投资项目", "其他", "", -5, "", ""])
    wb.save(path)
    before = len(svc.list_projects(ctx))
    res = importing.import_projects(ctx, path)
    assert not res.ok and res.applied == 0
    assert [(e.row, e.field) for e in res.errors] == [(4, "实施地点"), (5, "总投资（万元）")]
    assert len(svc.list_projects(ctx)) == before
    ws.delete_rows(4, 2)
    wb.save(path)
    res = importing.import_projects(ctx, path)
    assert res.ok and res.applied == 1
    p = next(x for x in svc.list_projects(ctx, year=dt.date.today().year) if x.name == "黄家村便民桥")
    assert p.place_name == "黄家村" and p.investment == "80" and p.deadline == "2027-10" and p.ballot_order == 1


def test_candidate_projects_lifecycle_and_ballot_order(demo_ctx):
    ctx = demo_ctx
    p = svc.save_project(ctx, {"year": 2027, "name": "石鼓社区停车场", "investment": "1,200.50万元",
                               "state": "征集"})
    assert p.investment == "1200.5" and p.state == "征集" and p.ballot_order == 1
    q = svc.save_project(ctx, {"year": 2027, "name": "乔家院村文化广场"})
    svc.move_project(ctx, q.id, -1)
    assert [x.name for x in svc.list_projects(ctx, year=2027)] == ["乔家院村文化广场", "石鼓社区停车场"]
    assert svc.set_project_state(ctx, p.id, "正式候选").state == "正式候选"
    with pytest.raises(FieldErrors) as e:
        svc.save_project(ctx, {"year": 2027, "name": "石鼓社区停车场"})
    assert "同名" in e.value.errors["name"]
    with pytest.raises(FieldErrors) as e:
        svc.save_project(ctx, {"year": "明年", "name": "x", "deadline": "下个月"})
    assert set(e.value.errors) == {"year", "deadline"}


def test_each_round_action_writes_one_chained_log_entry(demo_ctx):
    ctx = demo_ctx
    sess = new_project_vote(ctx)
    r = svc.open_vote(ctx, sess.id)
    svc.enter_ballot(ctx, r.id, "A", "1111111122")
    entries = svc.log_entries(ctx, sess.id)
    assert [e.action for e in entries] == ["session_created", "attendance", "round_opened", "ballot_entered"]
    assert entries[0].prev_hash == ledger.GENESIS
    assert all(b.prev_hash == a.hash for a, b in zip(entries, entries[1:], strict=False))
    assert entries[-1].detail["marks"] == "1111111122" and "deputy" not in json.dumps(entries[-1].detail)
    with ctx.store.session() as s:
        assert s.scalar(select(func.count()).select_from(VoteBallot)) == 1


def test_a_ballot_both_disputed_and_doubtful_needs_both_rulings_and_the_newest_counts(demo_ctx):
    ctx = demo_ctx
    projects = svc.list_projects(ctx, states=["正式候选"])[:3]
    sess = svc.create_session(ctx, {"title": "测试会议", "kind": "project_vote", "seats": 2,
                                    "items": [{"project_id": p.id} for p in projects]})
    r = svc.open_vote(ctx, sess.id, "double")
    svc.set_ballot_counts(ctx, r.id, issued=62, returned=2)
    svc.enter_ballot(ctx, r.id, "A", "112", doubtful=True)
    svc.enter_ballot(ctx, r.id, "A", "211")
    svc.enter_ballot(ctx, r.id, "B", "121")
    svc.enter_ballot(ctx, r.id, "B", "211")
    svc.settle_difference(ctx, r.id, 1, "112", "周核对", "原票第 2 项赞成、第 3 项反对")
    assert any("存疑" in p for p in svc.round_problems(ctx, r.id))
    svc.decide_doubtful(ctx, r.id, 1, valid=True, keys="132", by="刘总监", reason="第 2 项圈在弃权栏，认定弃权")
    assert svc.round_problems(ctx, r.id) == []
    assert svc.differences(ctx, r.id)[0].settled
    res = svc.compute_round(ctx, r.id).result
    assert [i.counts["for"] for i in res.items] == [1, 1, 1]
    assert res.items[1].counts["abstain"] == 1  # the 总监票人's reading, the newest ruling
