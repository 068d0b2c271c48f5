"""The counting rules of VOTES.md, without a database: thresholds, quorum, ballot validity, ranking,
ties at the cut-off, shortfall, satisfaction, and the case-file checks."""

from __future__ import annotations

import json
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from congress_desktop.votes import tally as dv
from congress_desktop.votes.tally import Case, CaseError, Rules, Totals, tally

F, A, AB, B, X = "for", "against", "abstain", "blank", "invalid"


def case(ballots, *, items=None, seats=2, all_deputies=9, present=None, issued=None, returned=None,
         rules=Rules(), kind=dv.PROJECT_VOTE, totals=None) -> Case:
    n = next((len(b) for b in ballots if not isinstance(b, str)), len(items or ()))
    items = tuple(items or (f"项目{i + 1}" for i in range(n)))
    present = all_deputies if present is None else present
    returned = len(ballots) if returned is None else returned
    issued = present if issued is None else issued
    return Case(kind, all_deputies, present, issued, returned, seats, items, rules,
                None if totals else tuple(tuple(b) if not isinstance(b, str) else b for b in ballots), totals)


def outcomes(result) -> list[str]:
    return [i.outcome for i in result.items]


# ------------------------------------------------------------------ arithmetic of the law


@pytest.mark.parametrize(("deputies", "needed"), [(45, 23), (46, 24), (62, 32), (61, 31), (1, 1), (2, 2), (3, 2)])
def test_passing_needs_more_than_half_of_all_deputies_for_odd_and_even_rosters(deputies, needed):
    assert dv.pass_threshold(deputies) == needed
    assert 2 * needed > deputies and 2 * (needed - 1) <= deputies


@pytest.mark.parametrize(("deputies", "quorum"), [(45, 30), (46, 31), (47, 32), (60, 40), (62, 42), (64, 43),
                                                   (37, 25), (3, 2), (1, 1)])
def test_quorum_is_two_thirds_rounded_up(deputies, quorum):
    assert dv.quorum_needed(deputies) == quorum
    assert dv.quorum_met(deputies, quorum) and not dv.quorum_met(deputies, quorum - 1)


def test_threshold_counts_all_deputies_not_those_present():
    # 62 in office, 42 present: 31 赞成 is most of those present but not more than half of all deputies.
    ballots = [[F, A]] * 31 + [[A, F]] * 11
    r = tally(case(ballots, all_deputies=62, present=42, seats=1))
    assert r.threshold == 32
    assert r.items[0].counts["for"] == 31 and r.items[0].passed is False
    assert outcomes(r) == ["not_adopted", "not_adopted"]


def test_exactly_half_of_an_even_roster_does_not_pass_and_one_more_does():
    ballots = [[F, F]] * 5 + [[A, F]] * 3
    r = tally(case(ballots, all_deputies=10, present=8, seats=2))
    assert [i.counts["for"] for i in r.items] == [5, 8]
    assert [i.passed for i in r.items] == [False, True]
    ballots = [[F, F]] * 6 + [[A, F]] * 2
    assert tally(case(ballots, all_deputies=10, present=8, seats=2)).items[0].passed


def test_odd_roster_threshold_at_the_edge():
    # 45 deputies: 22 赞成 fails, 23 passes.
    r = tally(case([[F, A]] * 22 + [[A, F]] * 23, all_deputies=45, present=45, seats=1))
    assert [i.passed for i in r.items] == [False, True]
    assert outcomes(r) == ["not_adopted", "adopted"]


def test_pass_basis_present_is_a_recorded_setting():
    ballots = [[F, A]] * 22 + [[A, F]] * 20
    r = tally(case(ballots, all_deputies=62, present=42, seats=1, rules=Rules(pass_basis="present")))
    assert r.threshold == 22 and r.items[0].passed


# ------------------------------------------------------------------ ballot validity


def test_over_vote_voids_the_whole_ballot():
    r = tally(case([[F, F, F], [F, A, B]], seats=2))
    assert r.valid_ballots == 1 and r.void_ballots == 1
    assert r.void_reasons == ((1, "赞成 3 项，超过应选 2 项，整张作废"),)
    assert [i.counts["for"] for i in r.items] == [1, 0, 0]


def test_over_vote_setting_can_void_only_the_approvals():
    r = tally(case([[F, F, F, A]], seats=2, rules=Rules(over_vote="void_for")))
    assert r.valid_ballots == 1
    assert [i.counts["invalid"] for i in r.items] == [1, 1, 1, 0]
    assert r.items[3].counts["against"] == 1


def test_exactly_n_approvals_is_valid():
    r = tally(case([[F, F, A]], seats=2))
    assert r.valid_ballots == 1 and r.void_ballots == 0


def test_two_marks_or_illegible_voids_only_that_item():
    r = tally(case([[X, F, A]], seats=2))
    assert r.valid_ballots == 1
    assert r.items[0].counts["invalid"] == 1 and r.items[1].counts["for"] == 1 and r.items[2].counts["against"] == 1


def test_blank_item_counts_as_abstain_by_default_or_as_not_voted_by_setting():
    r = tally(case([[B, F]], seats=1))
    assert r.items[0].counts["abstain"] == 1 and r.items[0].counts["not_voted"] == 0
    r = tally(case([[B, F]], seats=1, rules=Rules(blank="not_voted")))
    assert r.items[0].counts["abstain"] == 0 and r.items[0].counts["not_voted"] == 1


def test_all_blank_ballot_is_valid_all_abstain_by_default():
    r = tally(case([[B, B, B]], seats=2))
    assert r.valid_ballots == 1 and all(i.counts["abstain"] == 1 for i in r.items)


def test_all_blank_ballot_void_under_the_setting():
    r = tally(case([[B, B, B], [F, A, A]], seats=2, rules=Rules(empty_ballot="void")))
    assert r.valid_ballots == 1 and r.void_ballots == 1
    assert "空白票" in r.void_reasons[0][1]


def test_ballot_declared_void_by_the_scrutineers():
    r = tally(case([dv.VOID, [F, A]], seats=1))
    assert r.valid_ballots == 1 and r.void_ballots == 1
    assert "监票人" in r.void_reasons[0][1]


def test_counts_always_add_up_to_valid_ballots():
    ballots = [[F, A, B], [X, F, F], [F, F, F], [B, B, B], [A, X, AB]]
    r = tally(case(ballots, seats=2))
    for it in r.items:
        assert sum(it.counts.values()) == r.valid_ballots
    assert r.valid_ballots + r.void_ballots == r.returned


# ------------------------------------------------------------------ round validity


def test_more_returned_than_issued_voids_the_round_and_counts_nothing():
    r = tally(case([[F, A]] * 6, all_deputies=9, issued=5, returned=6, seats=1))
    assert r.round_valid is False
    assert r.valid_ballots == 0 and all(i.counts["for"] == 0 for i in r.items)
    assert outcomes(r) == ["revote", "revote"] and r.revote_seats == 1
    assert "本轮投票无效" in r.messages[0]


def test_returned_equal_or_fewer_than_issued_stands():
    assert tally(case([[F, A]] * 5, all_deputies=9, issued=5, returned=5, seats=1)).round_valid
    assert tally(case([[F, A]] * 4, all_deputies=9, issued=6, returned=4, seats=1)).round_valid


def test_zero_valid_ballots_adopts_nothing():
    r = tally(case([[F, F, F]] * 3, all_deputies=4, seats=2))
    assert r.valid_ballots == 0 and r.void_ballots == 3
    assert outcomes(r) == ["not_adopted"] * 3
    assert r.shortfall == 2 and "没有有效票" in r.messages[0]


def test_zero_returned_ballots():
    r = tally(case([], items=("甲", "乙"), all_deputies=3, issued=3, returned=0, seats=1))
    assert r.valid_ballots == 0 and r.round_valid and r.shortfall == 1


# ------------------------------------------------------------------ ranking, cut-off, shortfall


def ballots_with(approvals: list[int], voters: int, seats: int) -> list[list[str]]:
    """``voters`` ballots giving item i approvals[i] 赞成 (the rest 反对), none over ``seats``."""
    out = [[A] * len(approvals) for _ in range(voters)]
    load = [0] * voters
    for i, n in enumerate(approvals):
        for v in sorted(range(voters), key=lambda v: load[v])[:n]:  # the least loaded ballots
            out[v][i] = F
            load[v] += 1
    assert max(load) <= seats, "test data needs more approvals than the ballots can hold"
    return out


def test_top_n_of_the_passing_are_adopted_in_rank_order():
    r = tally(case(ballots_with([7, 6, 5, 0], 9, 2), all_deputies=9, seats=2))
    assert [i.rank for i in r.items] == [1, 2, 3, 4]
    assert [i.passed for i in r.items] == [True, True, True, False]
    assert outcomes(r) == ["adopted", "adopted", "not_adopted", "not_adopted"]


def test_tie_straddling_the_cut_off_goes_to_a_revote_among_the_tied_only():
    c = case(ballots_with([8, 6, 6, 6, 1], 9, 3), all_deputies=9, seats=3)
    r = tally(c)
    assert [i.rank for i in r.items] == [1, 2, 2, 2, 5]
    assert outcomes(r) == ["adopted", "revote", "revote", "revote", "not_adopted"]
    assert r.revote_seats == 2
    nxt = dv.revote_case(c, r)
    assert nxt.items == ("项目2", "项目3", "项目4") and nxt.seats == 2


def test_tie_away_from_the_cut_off_changes_nothing():
    r = tally(case(ballots_with([8, 8, 6, 5], 9, 3), all_deputies=9, seats=3))
    assert [i.rank for i in r.items] == [1, 1, 3, 4]
    assert outcomes(r) == ["adopted", "adopted", "adopted", "not_adopted"]
    assert r.revote_seats == 0


def test_tie_among_failing_projects_below_the_cut_off_is_no_revote():
    r = tally(case(ballots_with([7, 7, 2, 2], 9, 2), all_deputies=9, seats=2))
    assert outcomes(r) == ["adopted", "adopted", "not_adopted", "not_adopted"]


def test_fewer_than_n_passing_accepts_fewer_by_default():
    r = tally(case(ballots_with([9, 6, 3, 2], 9, 3), all_deputies=9, seats=3))
    assert outcomes(r) == ["adopted", "adopted", "not_adopted", "not_adopted"]
    assert r.shortfall == 1 and r.revote_seats == 0
    assert any("不足应选" in m for m in r.messages)


def test_fewer_than_n_passing_revotes_among_the_rest_under_the_setting():
    c = case(ballots_with([9, 6, 3, 2], 9, 3), all_deputies=9, seats=3, rules=Rules(shortfall="revote"))
    r = tally(c)
    assert outcomes(r) == ["adopted", "adopted", "revote", "revote"]
    assert r.shortfall == 0 and r.revote_seats == 1
    nxt = dv.revote_case(c, r)
    assert nxt.items == ("项目3", "项目4") and nxt.seats == 1


def test_a_single_candidate():
    r = tally(case([[F]] * 5 + [[A]] * 2, all_deputies=9, seats=1))
    assert outcomes(r) == ["adopted"] and r.items[0].rank == 1
    r = tally(case([[F]] * 4 + [[A]] * 3, all_deputies=9, seats=1))
    assert outcomes(r) == ["not_adopted"] and r.shortfall == 1


def test_no_revote_needed_when_everything_is_decided():
    c = case(ballots_with([9, 8, 1], 9, 2), all_deputies=9, seats=2)
    assert dv.revote_case(c, tally(c)) is None


def test_void_round_is_voted_again_whole():
    c = case([[F, A]] * 6, all_deputies=9, issued=5, returned=6, seats=1)
    nxt = dv.revote_case(c, tally(c))
    assert nxt.items == c.items and nxt.seats == 1 and nxt.returned == 0


# ------------------------------------------------------------------ 测评


S, BA, U = "satisfied", "basic", "unsatisfied"


def test_satisfaction_rate_and_unsatisfied_share():
    ballots = [[S, U]] * 6 + [[BA, U]] * 2 + [[U, S]] * 2
    r = tally(case(ballots, kind=dv.SATISFACTION, all_deputies=10, seats=0))
    first, second = r.items
    assert first.rate == Fraction(8, 10) and first.unsatisfied_share == Fraction(2, 10)
    assert first.outcome == "satisfactory" and first.passed is None
    assert second.rate == Fraction(2, 10) and second.outcome == "recheck"
    assert r.to_json()["items"][0]["rate"] == 0.8


def test_recheck_when_unsatisfied_is_over_a_third_even_with_a_good_rate():
    # 满意 66%, 不满意 34%: satisfaction passes 60% but 不满意 is over 1/3.
    ballots = [[S]] * 66 + [[U]] * 34
    r = tally(case(ballots, kind=dv.SATISFACTION, all_deputies=100, seats=0))
    assert r.items[0].outcome == "recheck"
    ballots = [[S]] * 67 + [[U]] * 33  # exactly under a third
    assert tally(case(ballots, kind=dv.SATISFACTION, all_deputies=100, seats=0)).items[0].outcome == "satisfactory"


def test_recheck_threshold_is_a_setting():
    ballots = [[S]] * 7 + [[U]] * 3
    strict = Rules(recheck_below=Fraction(4, 5), unsatisfied_above=Fraction(1, 2))
    assert tally(case(ballots, kind=dv.SATISFACTION, all_deputies=10, seats=0)).items[0].outcome == "satisfactory"
    assert tally(case(ballots, kind=dv.SATISFACTION, all_deputies=10, seats=0,
                      rules=strict)).items[0].outcome == "recheck"


def test_satisfaction_with_no_valid_ballot_has_no_rate_and_is_rechecked():
    r = tally(case([dv.VOID], items=("卫生院",), kind=dv.SATISFACTION, all_deputies=3, seats=0))
    assert r.items[0].rate is None and r.items[0].outcome == "recheck"


# ------------------------------------------------------------------ hand-count totals


def test_totals_that_add_up_give_the_same_result_as_ballots():
    ballots = [[F, A, B], [F, F, A], [A, X, F], [F, F, F]]
    by_ballots = tally(case(ballots, seats=2))
    totals = Totals(by_ballots.valid_ballots, by_ballots.void_ballots,
                    tuple(dict(i.counts) for i in by_ballots.items))
    by_totals = tally(case([], items=[i.name for i in by_ballots.items], seats=2, returned=4, totals=totals))
    assert by_totals.to_json() | {"void_ballot_reasons": []} == by_ballots.to_json() | {"void_ballot_reasons": []}


def test_totals_that_do_not_add_up_are_refused_with_every_reason():
    totals = Totals(10, 1, ({"for": 5, "against": 3, "abstain": 1, "invalid": 0}, {"for": 6, "against": 4}))
    problems = dv.check_totals(dv.PROJECT_VOTE, Rules(), 12, 1, totals, ["甲", "乙"])
    assert any("应等于收回票数 12" in p for p in problems)
    assert any(p.startswith("甲：") and "应等于有效票 10" in p for p in problems)
    assert any("不可能" in p for p in problems)  # 11 赞成 on 10 ballots with 1 place


def test_negative_totals_are_refused():
    totals = Totals(2, 0, ({"for": 3, "against": -1},))
    assert any("负数" in p for p in dv.check_totals(dv.PROJECT_VOTE, Rules(), 2, 1, totals))


# ------------------------------------------------------------------ property-based


marks = st.sampled_from(dv.PROJECT_MARKS)


@st.composite
def project_cases(draw):
    n_items = draw(st.integers(1, 6))
    seats = draw(st.integers(1, n_items))
    n_ballots = draw(st.integers(0, 30))
    ballots = draw(st.lists(st.one_of(st.lists(marks, min_size=n_items, max_size=n_items),
                                      st.just(dv.VOID)), min_size=n_ballots, max_size=n_ballots))
    all_deputies = draw(st.integers(max(1, n_ballots), n_ballots + 10))
    rules = Rules(blank=draw(st.sampled_from(list(dv.RULE_CHOICES["blank"]))),
                  over_vote=draw(st.sampled_from(list(dv.RULE_CHOICES["over_vote"]))),
                  shortfall=draw(st.sampled_from(list(dv.RULE_CHOICES["shortfall"]))),
                  empty_ballot=draw(st.sampled_from(list(dv.RULE_CHOICES["empty_ballot"]))))
    return case(ballots, items=[f"p{i}" for i in range(n_items)], seats=seats, all_deputies=all_deputies,
                present=all_deputies, issued=all_deputies, returned=n_ballots, rules=rules)


@settings(max_examples=200, deadline=None)
@given(project_cases())
def test_counts_add_up_for_any_ballots(c):
    r = tally(c)
    assert r.valid_ballots + r.void_ballots == c.returned
    for it in r.items:
        assert sum(it.counts.values()) == r.valid_ballots
        assert all(v >= 0 for v in it.counts.values())
    assert len(r.adopted) <= c.seats
    assert all(i.passed for i in r.adopted)
    assert r.to_json() == json.loads(json.dumps(r.to_json()))


@settings(max_examples=200, deadline=None)
@given(project_cases(), st.data())
def test_one_more_approval_never_lowers_a_projects_rank(c, data):
    target = data.draw(st.integers(0, len(c.items) - 1))
    before = tally(c).items[target]
    extra = tuple(F if i == target else A for i in range(len(c.items)))
    more = Case(c.kind, c.all_deputies + 1, c.present + 1, c.issued + 1, c.returned + 1, c.seats, c.items,
                c.rules, c.ballots + (extra,))
    after = tally(more).items[target]
    assert after.counts["for"] == before.counts["for"] + 1
    assert after.rank <= before.rank


@settings(max_examples=100, deadline=None)
@given(project_cases())
def test_case_file_round_trips_to_the_same_result(c):
    if not dv.seats_allowed(c.seats, len(c.items)):  # N of N: not a 差额 票决, refused by the one rule
        with pytest.raises(CaseError, match="差额"):
            dv.parse_case(json.dumps(c.to_json()))
        return
    assert tally(dv.parse_case(json.dumps(c.to_json()))).to_json() == tally(c).to_json()


def test_the_one_seats_rule_is_cha_e():
    """票决实行差额: 1 <= N < candidates, in the case file as in the service (N of N is a confirmation
    vote, which this program does not run)."""
    assert dv.seats_allowed(1, 2) and dv.seats_allowed(8, 10)
    assert not dv.seats_allowed(2, 2) and not dv.seats_allowed(0, 2) and not dv.seats_allowed(3, 2)
    assert "差额" in bad(seats=2)  # GOOD has two items: choosing 2 of 2 is refused
    assert dv.parse_case(json.dumps(GOOD)).seats == 1


# ------------------------------------------------------------------ case files


GOOD = {"kind": "project_vote", "all_deputies": 62, "present": 58, "issued": 58, "returned": 2, "seats": 1,
        "rules": {"blank": "abstain"}, "items": ["项目一", "项目二"],
        "ballots": [["for", "against"], ["blank", "invalid"]]}


def bad(**changes) -> str:
    data = json.loads(json.dumps(GOOD))
    for k, v in changes.items():
        if v is None:
            data.pop(k)
        else:
            data[k] = v
    with pytest.raises(CaseError) as e:
        dv.parse_case(json.dumps(data, ensure_ascii=False))
    return e.value.message


def test_good_case_file_parses():
    c = dv.parse_case(json.dumps(GOOD))
    assert c.items == ("项目一", "项目二") and c.rules == Rules()


def test_malformed_json_names_line_and_column():
    with pytest.raises(CaseError) as e:
        dv.parse_case('{"kind": "project_vote",\n "items": [1,, 2]}')
    assert "不是有效的 JSON" in e.value.message and "第 2 行" in e.value.message


def test_case_file_messages_name_what_is_wrong():
    assert "kind" in bad(kind="election")
    assert "缺少字段 seats" in bad(seats=None)
    assert "all_deputies 应为整数" in bad(all_deputies="62")
    assert "不能是负数" in bad(returned=-1)
    assert "ballots[1][0]" in bad(ballots=[["for", "against"], ["yes", "against"]])
    assert "有 3 个标记" in bad(ballots=[["for", "against"], ["for", "against", "for"]])
    assert "与 returned（收回 2 张）不符" in bad(ballots=[["for", "against"]])
    assert "rules.blank" in bad(rules={"blank": "ignore"})
    assert "未知的规则" in bad(rules={"tie": "coin"})
    assert "未知字段 ballot" in bad(ballot=[])
    assert "不足全体代表" in bad(present=40, issued=40)
    assert "不能多于 all_deputies" in bad(present=63)
    assert "seats" in bad(seats=3)
    assert "出现了不止一次" in bad(items=["项目一", "项目一"])
    assert "ballots" in bad(ballots=None)
    assert "issued" in bad(issued=59)


def test_satisfaction_marks_are_checked_against_the_kind():
    data = dict(GOOD, kind="satisfaction")
    data.pop("seats")
    with pytest.raises(CaseError) as e:
        dv.parse_case(json.dumps(data))
    assert "satisfied" in e.value.message


def test_totals_in_a_case_file_are_checked():
    data = dict(GOOD)
    data.pop("ballots")
    data["totals"] = {"valid": 2, "void": 0, "items": [{"for": 1, "against": 1}, {"for": 0, "abstain": 1}]}
    with pytest.raises(CaseError) as e:
        dv.parse_case(json.dumps(data))
    assert "项目二" not in e.value.message and "第 2 项" in e.value.message and "应等于有效票 2" in e.value.message
    data["totals"]["items"][1]["invalid"] = 1
    assert dv.tally(dv.parse_case(json.dumps(data))).valid_ballots == 2


def test_rules_keep_fractions_exact_in_a_case_file():
    r = Rules.from_dict({"recheck_below": "60%", "unsatisfied_above": "1/3"})
    assert r.recheck_below == Fraction(3, 5) and r.unsatisfied_above == Fraction(1, 3)
    assert Rules.from_dict(r.as_dict()) == r
    with pytest.raises(CaseError):
        Rules.from_dict({"recheck_below": "150%"})


def test_keys_map_to_marks_for_each_kind():
    assert dv.keys_to_marks(dv.PROJECT_VOTE, "12309") == (F, A, AB, B, X)
    assert dv.keys_to_marks(dv.SATISFACTION, "123") == (S, BA, U)
    assert dv.marks_to_keys(dv.PROJECT_VOTE, (F, A, AB, B, X)) == "12309"
    with pytest.raises(Exception, match="不能输入“5”"):
        dv.keys_to_marks(dv.PROJECT_VOTE, "125")


# ------------------------------------------------------------------ the log's hash chain


def test_the_ledger_hashes_are_the_bytes_they_always_were():
    """The chain is hashed over core.files.canonical_json now; these hashes were taken with the old
    hand-written spelling (sorted keys, no spaces, Chinese kept): old logs must still verify."""
    from congress_desktop.votes import ledger
    from congress_desktop.votes.vocab import Mode, RoundReason

    steps = [("session_created", {"title": "六里坪镇会议", "seats": 8, "items": ["甲", "乙"],
                                  "rules": {"blank": "abstain"}}),
             ("round_opened", {"round": 1, "mode": Mode.SINGLE, "reason": RoundReason.FIRST}),
             ("ballot_entered", {"round": 1, "record": "b1", "clerk": "A", "position": 1, "marks": "12",
                                 "doubtful": False})]
    prev, chain = ledger.GENESIS, []
    for seq, (action, detail) in enumerate(steps, start=1):
        prev = ledger.hash_entry("S1", seq, f"2026-07-10T01:0{seq}:00.000000", "张三", action, detail, prev)
        chain.append(prev)
    assert chain == ["23e5726dc5cb067f5d6405e41a9f609f11217f067a148b5487decda368ad0f3c",
                     "b620134eb4334ba6bfd75c03c67f4416abc973ad898c0e6420b811a4a7f15ef7",
                     "bc9ae78f84c2dacb0df5c5f5d242bd3814293de3e6841ee1ea8dd723bc419c42"]


# ------------------------------------------------------------------ rules.py (no database)


def test_the_key_line_status_is_the_core_rule():
    from congress_desktop.votes import rules

    s = rules.partial_ballot(dv.PROJECT_VOTE, "111", 4, 2, Rules())
    assert s.void and "赞成 3 项，超过应选 2 项" in s.text  # said before the ballot is complete
    s = rules.partial_ballot(dv.PROJECT_VOTE, "111", 4, 2, Rules(over_vote="void_for"))
    assert not s.void and s.text == "还差 1 项"
    s = rules.partial_ballot(dv.PROJECT_VOTE, "12*", 2, 1, Rules())
    assert not s.void and s.text.startswith("有效") and "存疑" in s.text
    assert rules.partial_ballot(dv.PROJECT_VOTE, "", 3, 1, Rules()).text == ""
    s = rules.partial_ballot(dv.PROJECT_VOTE, "15", 3, 1, Rules())
    assert s.marks == ("for", None) and s.missing == 1


def test_round_stands_and_a_full_stack():
    from congress_desktop.votes import rules

    assert rules.round_stands(None, 3) is None and rules.round_stands(5, 5) and not rules.round_stands(5, 6)
    assert rules.stack_full(58, 58, 59) and not rules.stack_full(58, 58, 58)
    assert not rules.stack_full(58, 59, 60)  # a void round: every returned ballot may be typed


def test_hand_count_columns_follow_the_blank_rule():
    from congress_desktop.votes import rules

    assert "not_voted" not in rules.count_columns(dv.PROJECT_VOTE, Rules())
    assert "not_voted" in rules.count_columns(dv.PROJECT_VOTE, Rules(blank="not_voted"))


def test_the_key_line_help_follows_the_over_vote_rule():
    from congress_desktop.votes import rules

    assert "整张作废" in rules.over_vote_note(dv.PROJECT_VOTE, 8, Rules())
    # under void_for the ballot stays valid (check_ballot): the help must not say it is void
    note = rules.over_vote_note(dv.PROJECT_VOTE, 8, Rules(over_vote="void_for"))
    assert "整张作废" not in note and "赞成一律无效" in note
    assert dv.check_ballot(dv.PROJECT_VOTE, ["for"] * 9, 8, Rules(over_vote="void_for")).valid
    assert rules.over_vote_note(dv.SATISFACTION, 0, Rules()) == ""


def test_the_stands_text_is_round_stands():
    from congress_desktop.votes import rules

    assert rules.stands_text(58, 58).endswith("本轮投票有效")
    assert rules.stands_text(58, 59) == "收回 59 张 > 发出 58 张：本轮投票无效"


def test_revote_plan_uses_revote_case():
    from congress_desktop.votes import rules

    c = case(ballots_with([8, 6, 6, 6, 1], 9, 3), all_deputies=9, seats=3)
    plan = rules.revote_plan(c, tally(c))
    assert (plan.reason, plan.seats, plan.items) == ("tie", 2, ("项目2", "项目3", "项目4"))
    void = case([[F, A]] * 6, all_deputies=9, issued=5, returned=6, seats=1)
    assert rules.revote_plan(void, tally(void)).reason == "void"
    done = case(ballots_with([7, 6, 5, 0], 9, 2), all_deputies=9, seats=2)
    with pytest.raises(Exception, match="无需再次投票"):
        rules.revote_plan(done, tally(done))


def test_attendance_vocabulary_is_complete():
    from congress_desktop.votes.vocab import ATTENDANCE, NOT_ON_ROLL, ROLL_CALL

    assert NOT_ON_ROLL in ATTENDANCE and NOT_ON_ROLL not in ROLL_CALL and NOT_ON_ROLL == "不在册"
