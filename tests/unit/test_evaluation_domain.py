"""Scoring rules of the duty evaluation (domain.evaluation): points per occurrence, caps, deductions,
base and ceiling, ranks with ties, bands at their edges, the qualification flag, voter ratings,
scheme checks and versions (JSON round trip), periods."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from congress_desktop.core.errors import FieldErrors, InvalidInput
from congress_desktop.duty import rules as ev


def scheme(items, *, base="0", max_total="100", bands=(("优秀", "80"), ("合格", "60"), ("不合格", ""))) -> ev.Scheme:
    return ev.normalise_scheme({
        "base": base, "max_total": max_total,
        "items": [{"source": s, "points": p, "cap": c} for s, p, c in items],
        "bands": [{"label": label, "min": low} for label, low in bands],
    })


def occ(n: int, points: str | None = None) -> list[ev.Occurrence]:
    return [ev.Occurrence(ref=i, points=D(points) if points is not None else None) for i in range(n)]


def score(sch: ev.Scheme, **occurrences) -> ev.DeputyScore:
    return ev.evaluate(sch, [ev.DeputyInput("d", occurrences)])[0]


# ------------------------------------------------------------------ items, caps, deductions

def test_points_are_count_times_weight_up_to_the_cap():
    sch = scheme([("suggestion", "3", "9"), ("visit", "1", "")])
    s = score(sch, suggestion=occ(2), visit=occ(15))
    assert [(i.count, i.points, i.capped) for i in s.items] == [(2, D(6), False), (15, D(15), False)]
    s = score(sch, suggestion=occ(5))
    assert s.item("suggestion").raw == D(15) and s.item("suggestion").points == D(9) and s.item("suggestion").capped
    assert s.total == D(9)


def test_the_cap_is_reached_exactly_without_being_marked_capped():
    s = score(scheme([("suggestion", "3", "9")]), suggestion=occ(3))
    assert s.item("suggestion").points == D(9) and not s.item("suggestion").capped


def test_absence_without_leave_is_deducted_down_to_its_cap():
    sch = scheme([("session_present", "5", "10"), ("session_absent", "-10", "15")], base="60")
    assert score(sch, session_absent=occ(1)).total == D(50)
    s = score(sch, session_absent=occ(3))
    assert s.item("session_absent").raw == D(-30) and s.item("session_absent").points == D(-15)
    assert s.total == D(45)


def test_a_record_with_its_own_points_counts_those_instead_of_the_weight():
    sch = scheme([("award", "5", "10")])
    s = score(sch, award=[ev.Occurrence("a", D(8)), ev.Occurrence("b")])
    assert s.item("award").raw == D(13) and s.item("award").points == D(10)
    assert score(sch, award=[ev.Occurrence("a", D("2.5"))]).total == D("2.5")


def test_total_stays_between_zero_and_the_full_score():
    sch = scheme([("session_absent", "-30", ""), ("visit", "10", "")], base="10", max_total="100")
    assert score(sch, session_absent=occ(2)).total == D(0)
    assert score(sch, visit=occ(20)).total == D(100)
    no_ceiling = scheme([("visit", "10", "")], max_total="")
    assert score(no_ceiling, visit=occ(20)).total == D(200)


def test_sources_not_in_the_scheme_count_nothing_but_still_show_activity():
    s = score(scheme([("visit", "1", "")]), training=occ(2))
    assert s.total == D(0) and s.active and ev.FLAG_NO_ACTIVITY not in s.flags


# ------------------------------------------------------------------ bands at their edges

@pytest.mark.parametrize("total,grade", [("100", "优秀"), ("80", "优秀"), ("79.99", "合格"), ("79.5", "合格"),
                                         ("60", "合格"), ("59.99", "不合格"), ("0", "不合格")])
def test_grade_bands_include_their_lower_edge(total, grade):
    assert ev.grade_of(D(total), ev.DEFAULT_BANDS) == grade


def test_half_points_reach_a_band_edge_exactly():
    sch = scheme([("visit", "0.5", ""), ("training", "79.5", "")])
    s = score(sch, visit=occ(1), training=occ(1))
    assert s.total == D(80) and s.grade == "优秀"


def test_renamed_bands_and_a_single_band_work():
    sch = scheme([("visit", "1", "")], bands=(("好", "80"), ("较好", "60"), ("差", "")))
    assert [ev.grade_of(D(x), sch.bands) for x in ("80", "60", "59")] == ["好", "较好", "差"]
    one = scheme([("visit", "1", "")], bands=(("参加考评", ""),))
    assert score(one).grade == "参加考评" and not any("考评等次" in f for f in score(one).flags)


# ------------------------------------------------------------------ ranks and flags

def test_equal_totals_share_a_rank_and_the_next_rank_skips():
    assert ev.ranks([D(90), D(85), D(90), D(70), D(85)]) == [1, 3, 1, 5, 3]


@given(st.lists(st.integers(0, 100), min_size=1, max_size=30))
def test_rank_is_one_plus_the_number_of_higher_totals(totals):
    ds = [D(t) for t in totals]
    assert ev.ranks(ds) == [1 + sum(1 for o in ds if o > t) for t in ds]


def test_two_absences_to_date_raise_the_qualification_flag_even_if_one_was_earlier():
    sch = scheme([("session_absent", "-10", "")], base="60")
    inputs = [ev.DeputyInput("once", {"session_absent": occ(1)}, absences_to_date=1),
              ev.DeputyInput("twice", {"session_absent": occ(1)}, absences_to_date=2),
              ev.DeputyInput("earlier", {}, absences_to_date=2)]
    once, twice, earlier = ev.evaluate(sch, inputs)
    assert ev.FLAG_ABSENT in once.flags and ev.FLAG_QUALIFICATION not in once.flags
    assert ev.FLAG_QUALIFICATION in twice.flags and twice.qualification_risk
    assert ev.FLAG_QUALIFICATION in earlier.flags and earlier.absences == 0


def test_no_activity_flag_ignores_absence_and_leave():
    sch = scheme([("visit", "1", "")], base="60")
    s = score(sch, session_absent=occ(1), session_excused=occ(1))
    assert not s.active and ev.FLAG_NO_ACTIVITY in s.flags
    assert score(sch, opinion=occ(1)).active


def test_lowest_band_is_flagged_for_a_reminder():
    s = score(scheme([("visit", "1", "")], base="10"))
    assert s.grade == "不合格" and "考评等次为不合格" in s.flags


# ------------------------------------------------------------------ schemes: checks and versions

def test_default_scheme_is_a_100_point_scale_with_base_60_and_the_usual_bands():
    sch = ev.default_scheme()
    assert sch.base == D(60) and sch.max_total == D(100)
    assert [(b.label, b.min_points) for b in sch.bands] == [("优秀", D(80)), ("合格", D(60)), ("不合格", None)]
    assert sch.item("session_absent").deduction
    assert score(sch).total == D(60)


def test_scheme_survives_its_json_round_trip_unchanged():
    sch = ev.default_scheme()
    again = ev.scheme_from_json(sch.to_json())
    assert again == sch and again.to_json() == sch.to_json()


def test_a_changed_weight_makes_a_different_scheme_and_each_scores_by_its_own_weights():
    old = ev.default_scheme()
    raw = old.as_dict()
    next(i for i in raw["items"] if i["source"] == "suggestion")["points"] = "5"
    new = ev.normalise_scheme(raw)
    assert new != old
    occurrences = {"suggestion": occ(1)}
    assert score(old, **occurrences).total == D(63) and score(new, **occurrences).total == D(65)


def test_bad_schemes_are_refused_naming_every_fault():
    with pytest.raises(FieldErrors) as e:
        ev.normalise_scheme({
            "base": "-1", "max_total": "0",
            "items": [{"source": "visit", "points": "x"}, {"source": "visit", "points": "1"},
                      {"source": "nonsense", "points": "1"}, {"source": "training", "points": "1", "cap": "0"}],
            "bands": [{"label": "优秀", "min": "60"}, {"label": "合格", "min": "80"}, {"label": "", "min": ""}],
        })
    text = " ".join(e.value.errors.values())
    for words in ("基础分不能是负数", "满分应大于 0", "不是数字", "重复列入", "不是可计分", "上限应大于 0",
                  "应低于上一等次", "没有名称"):
        assert words in text, words


def test_points_take_at_most_two_decimals_and_full_width_digits():
    assert ev.parse_points("２.５") == D("2.5")
    assert ev.parse_points("-10分") == D(-10)
    with pytest.raises(InvalidInput, match="两位小数"):
        ev.parse_points("0.125")
    assert ev.fmt(D("12.50")) == "12.5" and ev.fmt(D("-0")) == "0" and ev.fmt(None) == ""


# ------------------------------------------------------------------ voter ratings

@pytest.mark.parametrize("votes,label", [((80, 20, 0), "称职"), ((79, 21, 0), "基本称职"), ((50, 0, 50), "基本称职"),
                                         ((49, 30, 21), "不称职")])
def test_voter_rating_by_the_share_of_competent_votes(votes, label):
    assert ev.rating_result(*votes).label == label


def test_voter_rating_needs_some_votes():
    with pytest.raises(InvalidInput):
        ev.rating_result(0, 0, 0)
    assert ev.percent(ev.rating_result(2, 1, 0).competent_share) == "66.7%"


# ------------------------------------------------------------------ periods and records

def test_periods_by_name_and_their_readable_names():
    assert ev.parse_period("2026Q1") == ("2026-01-01", "2026-03-31")
    assert ev.parse_period("2026年第四季度") == ("2026-10-01", "2026-12-31")
    assert ev.parse_period("2024") == ("2024-01-01", "2024-12-31")
    assert ev.period_name("2026-04-01", "2026-06-30") == "2026年第二季度"
    assert ev.period_name("2026-01-01", "2026-12-31") == "2026年度"
    assert ev.period_name("2026-02-01", "2026-02-28") == "2026年2月"
    assert ev.months("2025-11-15", "2026-02-01") == ["2025-11", "2025-12", "2026-01", "2026-02"]
    with pytest.raises(FieldErrors, match="不能早于"):
        ev.check_range("2026-03-01", "2026-02-01")


def test_a_congress_session_record_needs_its_attendance_and_counts_by_it():
    r = ev.normalise_record({"deputy_id": "d", "kind": "人代会", "record_date": "2026.3.5", "title": "第六次会议"})
    assert r.attendance == "出席" and r.record_date == "2026-03-05"
    assert ev.record_source("人代会", "缺席") == "session_absent"
    assert ev.record_source("建议议案") == "suggestion"
    with pytest.raises(FieldErrors) as e:
        ev.normalise_record({"kind": "聚餐", "record_date": "", "title": ""})
    assert set(e.value.errors) == {"deputy_id", "kind", "record_date", "title"}


def test_previous_quarter_and_the_quick_periods_of_a_new_period():
    assert ev.previous_quarter(2026, 3) == (2026, 2)
    assert ev.previous_quarter(2026, 1) == (2025, 4)
    quick = ev.quick_periods(dt.date(2026, 2, 14))
    assert [(q.label, q.date_from, q.date_to, q.kind) for q in quick] == [
        ("本季度", "2026-01-01", "2026-03-31", "季度"),
        ("上季度", "2025-10-01", "2025-12-31", "季度"),
        ("本年度", "2026-01-01", "2026-12-31", "年度"),
    ]


def test_the_default_period_is_the_newest_quarter_already_over():
    from types import SimpleNamespace as P

    periods = [P(kind="年度", date_to="2026-12-31"), P(kind="季度", date_to="2026-06-30"),
               P(kind="季度", date_to="2026-03-31"), P(kind="季度", date_to="2025-12-31")]
    assert ev.default_period_index(periods, dt.date(2026, 5, 2)) == 2
    assert ev.default_period_index(periods, dt.date(2026, 7, 1)) == 1
    assert ev.default_period_index(periods[:2], dt.date(2026, 5, 2)) == 0  # none over yet: the newest
    assert ev.default_period_index([], dt.date(2026, 5, 2)) == 0


def test_the_rating_rule_in_words_follows_the_shares():
    assert ev.rating_rule() == "称职票达到 80% 为称职，50%~80% 为基本称职，不足 50% 为不称职。"
    assert ev.rating_result(8, 2, 0).label == "称职" and ev.rating_result(79, 21, 0).label == "基本称职"
    assert ev.rating_result(49, 51, 0).label == "不称职"


def test_attendance_and_record_kinds_are_the_stored_words():
    assert ev.ATTENDANCE == ("出席", "请假", "缺席") and ev.Attendance.ABSENT == "缺席"
    assert ev.RECORD_KINDS[0] == ev.SESSION == "人代会" and "办实事" in ev.RECORD_KINDS
    assert ev.record_source(ev.RecordKind.PRACTICAL) == "practical"
    assert ev.record_source("人代会", "请假") == "session_excused"


def test_rating_votes_takes_what_the_ratings_table_may_type():
    assert ev.rating_votes("", "称职") == 0 and ev.rating_votes(" 12 ", "称职") == 12 and ev.rating_votes("３", "称职") == 3
    with pytest.raises(InvalidInput, match="称职票数“abc”不是整数"):
        ev.rating_votes("abc", "称职")
    with pytest.raises(InvalidInput, match="不称职票数不能是负数"):
        ev.rating_votes("-1", "不称职")
