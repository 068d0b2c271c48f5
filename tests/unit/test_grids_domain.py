"""Grid rosters without a database: who is in a grid on a date, the checks, and the suggestion."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from congress_desktop.grids.rules import (
    ROLE_HELPER,
    ROLE_LEAD,
    TIER_ELSEWHERE,
    TIER_OWN_VILLAGE,
    TIER_SAME_GROUP,
    AssignmentInfo,
    DeputyInfo,
    GridInfo,
    VillageInfo,
    VisitLog,
    add_months,
    check_grids,
    in_office_on,
    needs_grid,
    roster_on,
    suggest_placements,
)

D = "2026-07-01"
V1 = VillageInfo("v1", "420381103200", "黄家村")
V2 = VillageInfo("v2", "420381103201", "冯家湾村")
V3 = VillageInfo("v3", "420381103215", "核桃园村")


def dep(i: str, village: str | None = "v1", levels=("town",), status="在任", status_date="", group="") -> DeputyInfo:
    return DeputyInfo(i, f"代表{i}", village, tuple(levels), status, status_date, "2021-12-28", group)


def grid(i: str, village: str = "v1", households: int = 300) -> GridInfo:
    return GridInfo(i, f"{i}-code", f"网格{i}", village, households)


def asg(i: str, g: str, d: str, role=ROLE_LEAD, start="2022-03-01", end="", households=0) -> AssignmentInfo:
    return AssignmentInfo(i, g, d, role, start, end, households)


# ------------------------------------------------------------------ who is in office, who needs a grid


def test_terminated_deputy_leaves_office_on_the_status_date():
    d = dep("a", status="终止", status_date=D)
    assert in_office_on(d, "2026-06-30")
    assert not in_office_on(d, D)


def test_town_and_city_level_deputies_need_a_grid_higher_levels_alone_do_not():
    assert needs_grid(dep("a", levels=("town",)), D)
    assert needs_grid(dep("b", levels=("county",)), D)      # 市人大代表 living in the town
    assert needs_grid(dep("c", levels=("province", "county")), D)
    assert not needs_grid(dep("d", levels=("province",)), D)
    assert not needs_grid(dep("e", status="暂停", status_date="2026-06-01"), D)


def test_roster_on_a_past_date_is_read_from_the_history():
    deputies = {"a": dep("a")}
    grids = [grid("g1"), grid("g2")]
    history = [asg("1", "g1", "a", end="2025-01-01"), asg("2", "g2", "a", start="2025-01-01")]
    past = roster_on(grids, deputies, history, "2024-06-01")
    assert [a.deputy_id for a in past["g1"]] == ["a"] and past["g2"] == []
    # the day of the move belongs to the new grid only
    move_day = roster_on(grids, deputies, history, "2025-01-01")
    assert move_day["g1"] == [] and [a.id for a in move_day["g2"]] == ["2"]


def test_roster_lists_the_lead_first():
    deputies = {"a": dep("a"), "b": dep("b")}
    roster = roster_on([grid("g1")], deputies, [asg("1", "g1", "a", ROLE_HELPER, start="2021-01-01"),
                                                asg("2", "g1", "b", ROLE_LEAD)], D)
    assert [a.deputy_id for a in roster["g1"]] == ["b", "a"]


# ------------------------------------------------------------------ checks


def test_a_deputy_terminated_today_leaves_a_hole():
    deputies = [dep("a", status="终止", status_date=D), dep("b")]
    grids = [grid("g1"), grid("g2")]
    assignments = [asg("1", "g1", "a"), asg("2", "g2", "b")]
    yesterday = check_grids([V1], grids, deputies, assignments, "2026-06-30")
    assert yesterday.clear
    today = check_grids([V1], grids, deputies, assignments, D)
    assert not today.clear
    assert [v.deputy.id for v in today.vacated] == ["a"]       # still on the grid, no longer in office
    assert [g.id for g in today.empty] == ["g1"]               # and the grid it leaves is empty
    assert today.unplaced == ()                                # a terminated deputy is not "未入格"


def test_checks_find_unplaced_empty_over_limit_and_leaderless_grids():
    deputies = [dep(x) for x in "abcdef"] + [dep("p", levels=("province",))]
    grids = [grid("g1"), grid("g2"), grid("g3")]
    assignments = [asg("1", "g1", "a"), asg("2", "g1", "b", ROLE_HELPER), asg("3", "g1", "c", ROLE_HELPER),
                   asg("4", "g1", "d", ROLE_HELPER), asg("5", "g2", "e", ROLE_HELPER)]
    r = check_grids([V1], grids, deputies, assignments, D, limit=3)
    assert [d.id for d in r.unplaced] == ["f"]                 # the province-only deputy is not required
    assert [g.id for g in r.empty] == ["g3"]
    assert [(g.id, n) for g, n in r.over_limit] == [("g1", 4)]
    assert [g.id for g in r.no_lead] == ["g2"]
    assert r.holes == 4 and not r.clear


def test_balance_figures_per_village_and_for_the_town():
    deputies = [dep("a"), dep("b"), dep("c", "v2")]
    grids = [grid("g1", households=300), grid("g2", households=100), grid("g3", "v2", households=500)]
    assignments = [asg("1", "g1", "a"), asg("2", "g1", "b", ROLE_HELPER, households=200), asg("3", "g3", "c")]
    r = check_grids([V1, V2], grids, deputies, assignments, D)
    v1, v2, town = r.balance
    assert v1.village_id == "v1" and v2.village_id == "v2" and town.village_id is None
    assert (v1.grids, v1.deputies, v1.households) == (2, 2, 400)
    assert (v1.per_grid.low, v1.per_grid.high, v1.per_grid.spread) == (0, 2, 2)
    # a: no households recorded -> an even share (300 / 2); b: 200 recorded
    assert (v1.households_per_deputy.low, v1.households_per_deputy.high) == (150, 200)
    assert (town.households_per_deputy.low, town.households_per_deputy.high) == (150, 500)
    assert town.households_per_deputy.spread == 350


def test_no_visit_reminder_only_where_visits_are_recorded():
    deputies = [dep("a"), dep("b"), dep("c")]
    grids = [grid("g1"), grid("g2"), GridInfo("g3", "c3", "新网格", "v1", 0, created_on="2026-06-20")]
    assignments = [asg("1", "g1", "a"), asg("2", "g2", "b"), asg("3", "g3", "c")]
    r = check_grids([V1], grids, deputies, assignments, D)
    assert r.visit_months is None and r.no_visit == ()
    r = check_grids([V1], grids, deputies, assignments, D,
                    visits=VisitLog({"g1": "2026-05-02", "g2": "2026-03-31"}, months=3))
    # g2's last visit is more than three months ago; g3 is younger than the window
    assert [(g.id, last) for g, last in r.no_visit] == [("g2", "2026-03-31")]
    assert r.clear  # a reminder, not a placement hole


def test_add_months_clamps_to_the_end_of_the_month():
    assert add_months("2026-05-31", -3) == "2026-02-28"
    assert add_months("2026-01-15", -3) == "2025-10-15"
    assert add_months("2024-03-31", -1) == "2024-02-29"


# ------------------------------------------------------------------ the suggestion


def test_suggestion_fills_own_village_first_and_makes_the_first_one_in_an_empty_grid_lead():
    deputies = [dep("a"), dep("b"), dep("c"), dep("x", "v2")]
    grids = [grid("g1", households=400), grid("g2", households=200), grid("g3", "v2")]
    s = suggest_placements([V1, V2], grids, deputies, [], D)
    got = {p.deputy_id: (p.grid_id, p.role, p.tier) for p in s.proposals}
    assert got["x"] == ("g3", ROLE_LEAD, TIER_OWN_VILLAGE)
    assert {got[k][0] for k in "abc"} == {"g1", "g2"}
    assert sorted(got[k][1] for k in "abc") == [ROLE_HELPER, ROLE_LEAD, ROLE_LEAD]
    # the third deputy of v1 goes to the grid with more households per deputy
    assert [got[k][0] for k in "abc"].count("g1") == 2


def test_suggestion_sends_overflow_to_an_empty_grid_then_to_the_same_deputy_group():
    deputies = ([dep(x, "v1", group="东片") for x in "abcde"] + [dep("y", "v2", group="东片")])
    grids = [grid("g1"), grid("g2", "v2"), grid("g3", "v3"), grid("g4", "v2")]
    placed = [asg("1", "g2", "y"), asg("9", "g4", "y2")]
    deputies.append(dep("y2", "v2", group="西片"))
    s = suggest_placements([V1, V2, V3], grids, deputies, placed, D, limit=3)
    got = {p.deputy_id: p for p in s.proposals}
    in_g1 = [p for p in s.proposals if p.grid_id == "g1"]
    assert len(in_g1) == 3
    overflow = [p for p in s.proposals if p.grid_id != "g1"]
    # two left over: the empty grid g3 first (coverage), then the same-group village v2
    assert overflow[0].grid_id == "g3" and overflow[0].tier == TIER_ELSEWHERE and overflow[0].role == ROLE_LEAD
    assert overflow[1].grid_id in ("g2", "g4") and overflow[1].tier == TIER_SAME_GROUP
    assert overflow[1].role == ROLE_HELPER
    assert "y" not in got and "y2" not in got


def test_suggestion_reports_who_cannot_be_placed_when_every_grid_is_full():
    deputies = [dep(x) for x in "abcd"]
    s = suggest_placements([V1], [grid("g1")], deputies, [], D, limit=3)
    assert len(s.proposals) == 3 and [d.id for d in s.unplaceable] == ["d"]


# ------------------------------------------------------------------ properties of the suggestion

villages_st = st.lists(st.integers(200, 230), min_size=1, max_size=5, unique=True)


@st.composite
def towns(draw):
    codes = draw(villages_st)
    villages = [VillageInfo(f"v{c}", f"420381103{c}", f"村{c}") for c in codes]
    grids = []
    for v in villages:
        for k in range(draw(st.integers(0, 4))):
            grids.append(GridInfo(f"{v.id}-g{k}", f"{v.code}{k:03d}", f"网格{k}", v.id, draw(st.integers(0, 900))))
    deputies = []
    for i in range(draw(st.integers(0, 30))):
        village = draw(st.sampled_from([v.id for v in villages] + [None]))
        levels = draw(st.sampled_from([("town",), ("county",), ("town", "county"), ("province",)]))
        status = draw(st.sampled_from(["在任"] * 6 + ["终止", "暂停"]))
        deputies.append(DeputyInfo(f"d{i}", f"代表{i}", village, levels, status,
                                   "2026-03-01" if status != "在任" else "", "",
                                   draw(st.sampled_from(["", "一组", "二组"]))))
    assignments = []
    if grids:
        for i, d in enumerate(deputies):
            if draw(st.booleans()):
                g = draw(st.sampled_from(grids))
                role = draw(st.sampled_from([ROLE_LEAD, ROLE_HELPER]))
                assignments.append(AssignmentInfo(f"a{i}", g.id, d.id, role, "2022-01-01"))
    limit = draw(st.integers(1, 4))
    return villages, grids, deputies, assignments, limit


@settings(max_examples=150, deadline=None)
@given(towns())
def test_suggestion_respects_the_limit_places_every_placeable_deputy_and_moves_nobody(town):
    villages, grids, deputies, assignments, limit = town
    by_id = {d.id: d for d in deputies}
    before = roster_on(grids, by_id, assignments, D)
    placed_before = {a.deputy_id for members in before.values() for a in members}
    s = suggest_placements(villages, grids, deputies, assignments, D, limit)

    proposed = [p.deputy_id for p in s.proposals]
    assert len(proposed) == len(set(proposed))                      # one grid per deputy
    assert not set(proposed) & placed_before                       # never moves a placed deputy
    assert all(needs_grid(by_id[d], D) for d in proposed)          # only those who must be in a grid
    for g in grids:                                                # the limit holds wherever it held
        added = sum(1 for p in s.proposals if p.grid_id == g.id)
        if added:
            assert len(before[g.id]) + added <= limit
    # every placeable deputy is placed: someone is left over only when every grid is full
    needing = {d.id for d in deputies if needs_grid(d, D)} - placed_before
    assert set(proposed) | {d.id for d in s.unplaceable} == needing
    if s.unplaceable:
        assert all(len(before[g.id]) + sum(1 for p in s.proposals if p.grid_id == g.id) >= limit for g in grids)
    # applied, the proposals leave nobody unplaced but the unplaceable, and give every grid they touch a lead
    applied = assignments + [AssignmentInfo(f"n{i}", p.grid_id, p.deputy_id, p.role, D)
                             for i, p in enumerate(s.proposals)]
    after = check_grids(villages, grids, deputies, applied, D, limit)
    assert {d.id for d in after.unplaced} == {d.id for d in s.unplaceable}
    touched = {p.grid_id for p in s.proposals}
    assert not touched & {g.id for g in after.no_lead}
    for g in touched:
        assert sum(1 for p in s.proposals if p.grid_id == g and p.role == ROLE_LEAD) <= 1
