"""The handling state machine of an opinion: every allowed step, every refused one with its message,
deadlines, the three meetings, the ledger replay, visit validation and the search grams."""

from __future__ import annotations

import datetime as dt

import pytest

from congress_desktop.core import search
from congress_desktop.core.errors import FieldErrors
from congress_desktop.visits.opinion_rules import (
    ACTIONS,
    STATES,
    Flow,
    LedgerHandling,
    Step,
    TransitionRefused,
    add_months,
    allowed_actions,
    apply_step,
    deadline_status,
    default_deadline,
    meeting_refusal,
    refusal,
    state_of_ledger,
    steps_to,
)
from congress_desktop.visits.rules import normalise_visit, parse_time

TODAY = dt.date(2026, 6, 30)


def run(*steps: Step, flow: Flow | None = None) -> Flow:
    flow = flow or Flow(raised_on="2026-01-05")
    for step in steps:
        flow, _ = apply_step(flow, step, TODAY)
    return flow


ASSIGN = Step("assign", on="2026-01-06", unit_id="u1", unit_name="镇水利站")
START = Step("start", on="2026-01-10")
ANSWER = Step("answer", on="2026-02-01", kind="已解决", text="已修复")
RATE_OK = Step("rate", on="2026-02-05", rating="满意")
RATE_BAD = Step("rate", on="2026-02-05", rating="不满意")

# one flow in each state, reached by real steps
FLOWS = {
    "登记": Flow(raised_on="2026-01-05"),
    "交办": run(ASSIGN),
    "办理中": run(ASSIGN, START),
    "已答复": run(ASSIGN, START, ANSWER),
    "已测评": run(ASSIGN, START, ANSWER, RATE_OK),
    "办结": run(ASSIGN, START, ANSWER, RATE_OK, Step("close", on="2026-02-06")),
    "退回重办": run(ASSIGN, START, ANSWER, RATE_BAD, Step("return", on="2026-02-06")),
}

# the step of each action that is valid whenever the action is allowed
VALID = {
    "assign": Step("assign", on="2026-03-01", unit_id="u2"),
    "reassign": Step("reassign", on="2026-03-01", unit_id="u2"),
    "start": Step("start", on="2026-03-01"),
    "answer": Step("answer", on="2026-03-01", kind="说明解释", text="已当面说明"),
    "rate": Step("rate", on="2026-03-01", rating="基本满意"),
    "close": Step("close", on="2026-03-01"),
    "return": Step("return", on="2026-03-01"),
    "fulfil": Step("fulfil", on="2026-03-01"),
    "spot": Step("spot", on="2026-03-01", kind="说明解释", text="当场解释了政策"),
}

EXPECTED_ALLOWED = {
    "登记": ["assign", "spot"],
    "交办": ["reassign", "start"],
    "办理中": ["reassign", "answer"],
    "已答复": ["rate"],
    "已测评": ["close"],
    "办结": [],
    "退回重办": ["reassign", "start"],
}


def test_every_state_is_reached_by_real_steps():
    assert {s: f.state for s, f in FLOWS.items()} == {s: s for s in STATES}


@pytest.mark.parametrize("state", STATES)
def test_allowed_actions_per_state(state):
    assert allowed_actions(FLOWS[state]) == EXPECTED_ALLOWED[state]


@pytest.mark.parametrize("state,action", [(s, a) for s in STATES for a in ACTIONS])
def test_each_action_in_each_state_is_taken_or_refused_with_a_message(state, action):
    flow = FLOWS[state]
    if action in EXPECTED_ALLOWED[state]:
        new, detail = apply_step(flow, VALID[action], TODAY)
        assert detail
        target = ACTIONS[action].target
        assert new.state == (target or flow.state)
    else:
        with pytest.raises(TransitionRefused) as e:
            apply_step(flow, VALID[action], TODAY)
        assert ACTIONS[action].label in e.value.message or "不满意" in e.value.message
        assert refusal(flow, action) == e.value.message


def test_refusal_after_closing_says_it_is_closed():
    with pytest.raises(TransitionRefused, match="已办结，不能再答复"):
        apply_step(FLOWS["办结"], VALID["answer"], TODAY)


def test_refusal_names_the_state_and_what_is_possible():
    msg = refusal(FLOWS["登记"], "answer")
    assert msg == "当前状态为“登记”，不能答复；此时可以：交办、当场答复"


def test_assignment_sets_default_deadline_three_months_and_six_for_complex():
    f = run(ASSIGN)
    assert (f.state, f.unit_id, f.assigned_on, f.deadline) == ("交办", "u1", "2026-01-06", "2026-04-06")
    f = run(Step("assign", on="2026-01-31", unit_id="u1", complex=True))
    assert f.deadline == "2026-07-31" and f.complex
    assert add_months(dt.date(2026, 1, 31), 1) == dt.date(2026, 2, 28)
    assert default_deadline(dt.date(2024, 11, 30)) == dt.date(2025, 2, 28)


def test_deadline_before_assignment_is_refused():
    with pytest.raises(TransitionRefused, match=r"办理期限（2026-01-01）不能早于交办日期（2026-01-06）"):
        run(Step("assign", on="2026-01-06", unit_id="u1", deadline="2026-01-01"))


def test_assignment_without_unit_is_refused():
    with pytest.raises(TransitionRefused, match="请选择承办单位"):
        run(Step("assign", on="2026-01-06"))


def test_step_dates_may_not_be_in_the_future_nor_before_the_previous_step():
    with pytest.raises(TransitionRefused, match="不能晚于今天"):
        run(Step("assign", on="2026-07-01", unit_id="u1"))
    with pytest.raises(TransitionRefused, match=r"不能早于上一步的日期（2026-01-06）"):
        run(ASSIGN, Step("start", on="2026-01-02"))
    with pytest.raises(TransitionRefused, match="请填写开始办理日期"):
        run(ASSIGN, Step("start", on=""))
    with pytest.raises(TransitionRefused, match="不是可识别的日期"):
        run(ASSIGN, Step("start", on="昨天"))


def test_answer_needs_a_kind_and_a_text():
    with pytest.raises(TransitionRefused, match="答复类型"):
        run(ASSIGN, START, Step("answer", on="2026-02-01", text="x"))
    with pytest.raises(TransitionRefused, match="答复内容不能为空"):
        run(ASSIGN, START, Step("answer", on="2026-02-01", kind="已解决"))


def test_rating_must_be_one_of_three():
    with pytest.raises(TransitionRefused, match="满意、基本满意、不满意"):
        run(ASSIGN, START, ANSWER, Step("rate", on="2026-02-05", rating="一般"))


def test_unsatisfied_cannot_close_and_is_sent_back_counted_with_a_new_deadline():
    rated = run(ASSIGN, START, ANSWER, RATE_BAD)
    assert allowed_actions(rated) == ["return"]
    with pytest.raises(TransitionRefused, match="不满意”，不能办结，应退回重办"):
        apply_step(rated, Step("close", on="2026-02-06"), TODAY)
    back, detail = apply_step(rated, Step("return", on="2026-02-06", text="路面仍积水"), TODAY)
    assert back.state == "退回重办" and back.return_count == 1 and back.deadline == "2026-05-06"
    assert "第 1 次退回重办" in detail and "路面仍积水" in detail
    # a second round: handled again, rated unsatisfied again, sent back a second time
    second = run(Step("start", on="2026-02-07"), Step("answer", on="2026-03-01", kind="已解决", text="重新铺设"),
                 Step("rate", on="2026-03-02", rating="不满意"), Step("return", on="2026-03-03"), flow=back)
    assert second.return_count == 2 and second.state == "退回重办"


def test_satisfied_cannot_be_sent_back():
    with pytest.raises(TransitionRefused, match="只有测评为“不满意”的才退回重办"):
        apply_step(FLOWS["已测评"], Step("return", on="2026-02-06"), TODAY)


def test_planned_reply_stays_tracked_until_the_plan_is_carried_out():
    planned = run(ASSIGN, START, Step("answer", on="2026-02-01", kind="列入计划", text="列入明年计划"), RATE_OK)
    assert allowed_actions(planned) == ["fulfil"]
    with pytest.raises(TransitionRefused, match="须跟踪到计划落实"):
        apply_step(planned, Step("close", on="2026-02-06"), TODAY)
    done, _ = apply_step(planned, Step("fulfil", on="2026-05-01", text="已实施"), TODAY)
    assert done.plan_done_on == "2026-05-01" and done.state == "已测评"
    assert allowed_actions(done) == ["close"]
    with pytest.raises(TransitionRefused, match="计划落实已于 2026-05-01 登记"):
        apply_step(done, Step("fulfil", on="2026-05-02"), TODAY)
    with pytest.raises(TransitionRefused, match="只有答复为“列入计划”的"):
        apply_step(FLOWS["已测评"], Step("fulfil", on="2026-05-02"), TODAY)


def test_answered_on_the_spot_closes_at_once():
    f, detail = apply_step(FLOWS["登记"], Step("spot", on="2026-01-05", kind="已解决", text="当场联系电工修好"), TODAY)
    assert (f.state, f.on_the_spot, f.reply_on, f.closed_on) == ("办结", True, "2026-01-05", "2026-01-05")
    assert "当场答复并办结" in detail
    with pytest.raises(TransitionRefused, match="当场答复的内容不能为空"):
        apply_step(FLOWS["登记"], Step("spot", on="2026-01-05"), TODAY)
    with pytest.raises(TransitionRefused, match="须交办跟踪"):
        apply_step(FLOWS["登记"], Step("spot", on="2026-01-05", kind="列入计划", text="x"), TODAY)
    with pytest.raises(TransitionRefused, match="不满意的，应交办处理"):
        apply_step(FLOWS["登记"], Step("spot", on="2026-01-05", text="x", rating="不满意"), TODAY)


def test_reassign_changes_unit_and_keeps_the_deadline_unless_given():
    f = run(ASSIGN, START, Step("reassign", on="2026-01-20", unit_id="u9", unit_name="镇卫生院"))
    assert (f.unit_id, f.deadline, f.state) == ("u9", "2026-04-06", "办理中")
    f = run(ASSIGN, Step("reassign", on="2026-01-20", deadline="2026-05-01"))
    assert (f.unit_id, f.deadline) == ("u1", "2026-05-01")
    with pytest.raises(TransitionRefused, match="不能早于原交办日期"):
        run(ASSIGN, Step("reassign", on="2026-01-20", deadline="2026-01-01"))


def test_unknown_action_is_refused():
    with pytest.raises(TransitionRefused, match="未知的办理操作"):
        apply_step(FLOWS["登记"], Step("archive", on="2026-01-05"), TODAY)


def test_overdue_and_due_soon():
    assert deadline_status("办理中", "2026-06-29", TODAY).label == "超期 1 天"
    assert deadline_status("交办", "2026-06-30", TODAY).label == "今天到期"
    assert deadline_status("退回重办", "2026-07-07", TODAY).kind == "due_soon"
    assert deadline_status("办理中", "2026-07-08", TODAY).kind == ""
    # once answered, a passed deadline no longer counts
    assert deadline_status("已答复", "2026-01-01", TODAY).kind == ""
    assert deadline_status("办结", "2026-01-01", TODAY).kind == ""


def test_meetings_follow_the_handling():
    assigned, handling, answered = FLOWS["交办"], FLOWS["办理中"], FLOWS["已答复"]
    assert meeting_refusal(assigned, "办前", "2026-01-07", {}, TODAY) is None
    assert "开始办理后" in meeting_refusal(assigned, "办中", "2026-01-07", {}, TODAY)
    assert "答复后" in meeting_refusal(handling, "办后", "2026-01-20", {}, TODAY)
    assert "交办后" in meeting_refusal(FLOWS["登记"], "办前", "2026-01-06", {}, TODAY)
    assert meeting_refusal(answered, "办后", "2026-02-02", {"办前": "2026-01-07"}, TODAY) is None
    assert "不能早于办前面对面" in meeting_refusal(answered, "办中", "2026-01-06", {"办前": "2026-01-07"}, TODAY)
    assert "不能晚于今天" in meeting_refusal(answered, "办后", "2026-12-01", {}, TODAY)
    spot, _ = apply_step(FLOWS["登记"], VALID["spot"], TODAY)
    assert "不需要三个面对面" in meeting_refusal(spot, "办前", "2026-03-01", {}, TODAY)


def test_ledger_state_is_inferred_and_replayed_through_the_rules():
    assert state_of_ledger("", on_the_spot=False, closed_on="2026-02-01", rating="", reply_on="", unit="x") == "办结"
    assert state_of_ledger("", on_the_spot=False, closed_on="", rating="", reply_on="", unit="x") == "交办"
    steps = steps_to("办结", LedgerHandling(
        on_the_spot=False, unit_id="u1", unit_name="水利站", assigned_on="2026-01-06", deadline="",
        complex_item=False, reply_on="2026-02-01", reply_kind="已解决", reply_text="修好", rated_on="", rating="满意",
        closed_on="2026-02-10", plan_done_on=""))
    assert [s.action for s in steps] == ["assign", "start", "answer", "rate", "close"]
    assert run(*steps).state == "办结"
    with pytest.raises(TransitionRefused, match="须填写承办单位"):
        steps_to("办理中", LedgerHandling(
            on_the_spot=False, unit_id="", unit_name="", assigned_on="2026-01-06", deadline="", complex_item=False,
            reply_on="", reply_kind="", reply_text="", rated_on="", rating="", closed_on="", plan_done_on=""))


# ------------------------------------------------------------------ visits

NOW = dt.datetime(2026, 6, 30, 10, 0)
VISIT = {"visit_date": "2026-06-15", "start_time": "9:00", "end_time": "11点30", "form": "接待日",
         "contact_point_id": "cp1", "deputy_ids": ["d1", "d2"],
         "visitors": [{"name": "张 三", "phone": "138 1234 5678", "head_count": "2"}, {"name": ""}],
         "opinions": [{"category_id": "c1", "content": "修路"}, {"content": ""}]}


def test_a_good_visit_is_normalised_and_blank_rows_dropped():
    v = normalise_visit(VISIT, NOW)
    assert (v.start_time, v.end_time) == ("09:00", "11:30")
    assert v.visitors[0].name == "张三" and v.visitors[0].phone == "13812345678" and v.head_count == 2
    assert len(v.visitors) == 1 and len(v.opinions) == 1


@pytest.mark.parametrize("change,key,text", [
    ({"visit_date": ""}, "visit_date", "接待日期不能为空"),
    ({"visit_date": "2026-07-01"}, "visit_date", "晚于今天"),
    ({"visit_date": "2026-06-30", "start_time": "14:00", "end_time": ""}, "start_time", "晚于现在"),
    ({"end_time": "08:00"}, "end_time", "结束时间 08:00 不能早于开始时间 09:00"),
    ({"start_time": "25:00"}, "start_time", "不是有效时间"),
    ({"form": ""}, "form", "请选择接待形式"),
    ({"form": "开会"}, "form", "接待形式应为"),
    ({"contact_point_id": ""}, "place", "请选择接待地点"),
    ({"deputy_ids": []}, "deputy_ids", "请至少选择一名接待代表"),
    ({"visitors": [{"phone": "13812345678"}]}, "visitors.0.name", "第 1 位群众：姓名不能为空"),
    ({"visitors": [{"name": "李四", "phone": "12345"}]}, "visitors.0.phone", "第 1 位群众"),
    ({"visitors": [{"name": "李四", "head_count": "0"}]}, "visitors.0.head_count", "人数应为正整数"),
    ({"visitors": [{"name": "李四", "id_number": "4.20381E+17"}]}, "visitors.0.id_number", "科学计数法"),
    ({"opinions": [{"category_id": "c1", "title": "x"}]}, "opinions.0.content", "第 1 条意见：内容不能为空"),
    ({"opinions": [{"content": "修路"}]}, "opinions.0.category_id", "请选择类别"),
    ({"opinions": [{"category_id": "c1", "content": "修路", "on_the_spot": True}]}, "opinions.0.answer",
     "请填写答复内容"),
])
def test_bad_visit_input_is_refused_naming_the_field(change, key, text):
    with pytest.raises(FieldErrors) as e:
        normalise_visit(VISIT | change, NOW)
    assert key in e.value.errors and text in e.value.errors[key]


def test_several_errors_are_reported_at_once():
    with pytest.raises(FieldErrors) as e:
        normalise_visit({"visitors": [{"phone": "1"}]}, NOW)
    assert {"visit_date", "form", "place", "deputy_ids", "visitors.0.name", "visitors.0.phone"} <= set(e.value.errors)


def test_times_as_offices_write_them():
    assert [parse_time(t) for t in ("9:05", "09：30", "9点", "14点30分", "0830", "", dt.time(7, 5))] == \
        ["09:05", "09:30", "09:00", "14:30", "08:30", "", "07:05"]


# ------------------------------------------------------------------ search

def test_grams_cover_every_substring_as_a_phrase_or_prefix():
    g = search.grams("修建道路，路灯 2 盏")
    assert g.split() == ["修建", "建道", "道路", "路", "路灯", "灯", "2", "盏"]
    assert search.query_words("道路 路灯，！") == ["道路", "路灯"]
    assert search.fts_query(["建道路", "灯"]) == '"建道 道路" AND "灯"*'


def test_the_vocabularies_are_str_enums_of_the_stored_words():
    from congress_desktop.visits.opinion_rules import (
        MEETING_STAGES,
        RATINGS,
        REPLY_KINDS,
        SOURCES,
        MeetingStage,
        OpinionState,
        Rating,
        ReplyKind,
        Source,
    )
    from congress_desktop.visits.rules import FORMS, VisitMode

    # the words the database and the sync packages hold are unchanged
    assert STATES == ("登记", "交办", "办理中", "已答复", "已测评", "办结", "退回重办")
    assert REPLY_KINDS == ("已解决", "列入计划", "说明解释") and RATINGS == ("满意", "基本满意", "不满意")
    assert MEETING_STAGES == ("办前", "办中", "办后") and SOURCES == ("接待", "网格", "暗访", "大会", "闭会期间")
    assert FORMS == ("接待日", "入户走访", "座谈", "电话", "暗访")
    assert OpinionState.CLOSED == "办结" and ReplyKind.PLANNED == "列入计划" and Rating.UNSATISFIED == "不满意"
    assert MeetingStage.BEFORE == "办前" and Source.RECESS == "闭会期间" and VisitMode.PHONE == "电话"
    assert all(type(w) is str for w in (*STATES, *REPLY_KINDS, *RATINGS, *MEETING_STAGES, *SOURCES, *FORMS))
