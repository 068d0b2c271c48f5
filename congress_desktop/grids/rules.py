"""Grid rosters (网格化履职): who is in which grid on a date, the coverage checks, and the suggestion
that places every deputy not yet in a grid. Pure: plain dataclasses in, plain dataclasses out.

Dates are ISO text ('YYYY-MM-DD'). An assignment is in force on day D when ``start_on <= D`` and
(``end_on == ''`` or ``D < end_on``): ``end_on`` is the first day the deputy is no longer in the grid,
so a move on day D closes the old assignment and opens the new one on the same day, with no overlap.
A deputy 暂停 or 终止 leaves every roster from the status date on, whatever the assignment says: the
checks then show the hole that leaves (an open assignment of a deputy no longer in office)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from congress_desktop.core.errors import FieldErrors, InvalidInput
from congress_desktop.core.phone import PhoneError, normalise_phone
from congress_desktop.core.text import clean, clean_name, to_halfwidth
from congress_desktop.deputies.rules import IN_OFFICE, in_office_on

ROLE_LEAD = "责任代表"
ROLE_HELPER = "协助代表"
ROLES = (ROLE_LEAD, ROLE_HELPER)

# Deputies the city asks to enter a grid: town-level deputies and city-level (县级市) deputies living
# in the town. A deputy holding only a higher level (province, national) may be placed, but is not
# counted as missing.
GRID_LEVELS = ("town", "county")

DEFAULT_LIMIT = 3
DEFAULT_VISIT_MONTHS = 3
MAX_LIMIT = 10

# Tiers of the suggestion, best first; each proposal says which one it came from.
TIER_OWN_VILLAGE = 0
TIER_SAME_GROUP = 1
TIER_ELSEWHERE = 2
TIER_REASONS = {
    TIER_OWN_VILLAGE: "本村(社区)网格",
    TIER_SAME_GROUP: "本村网格已满，同代表小组所在村(社区)中负荷最轻的网格",
    TIER_ELSEWHERE: "本村网格已满，邻近村(社区)中负荷最轻的网格",
}


@dataclass(frozen=True)
class VillageInfo:
    id: str
    code: str
    name: str


@dataclass(frozen=True)
class GridInfo:
    id: str
    code: str
    name: str
    village_id: str
    households: int = 0
    created_on: str = ""  # a grid younger than the visit window is not yet "without a visit"


@dataclass(frozen=True)
class DeputyInfo:
    id: str
    name: str
    village_id: str | None = None
    levels: tuple[str, ...] = ("town",)
    status: str = IN_OFFICE
    status_date: str = ""
    elected_on: str = ""
    group_name: str = ""


@dataclass(frozen=True)
class AssignmentInfo:
    id: str
    grid_id: str
    deputy_id: str
    role: str
    start_on: str
    end_on: str = ""
    households: int = 0


# ---------------------------------------------------------------------------------------- a grid record

def int_field(raw: dict, key: str, label: str, errors: dict[str, str]) -> int:
    """A non-negative whole number (0 when empty); a wrong one is written into ``errors[key]``."""
    t = to_halfwidth(clean(raw.get(key)))
    if t.endswith(".0"):  # Excel numbers
        t = t[:-2]
    if not t:
        return 0
    if not t.isdigit():
        errors[key] = f"{label}应为非负整数"
        return 0
    return int(t)


@dataclass(frozen=True)
class GridData:
    village_id: str
    code: str
    name: str
    households: int
    population: int
    worker_name: str
    worker_phone: str
    note: str


def normalise_grid(raw: dict) -> GridData:
    """Check a grid as typed or imported; FieldErrors names each wrong field."""
    errors: dict[str, str] = {}
    village_id = clean(raw.get("village_id"))
    if not village_id:
        errors["village_id"] = "请选择网格所属村(社区)"
    code = to_halfwidth(clean(raw.get("code"))).replace(" ", "")
    if not code:
        errors["code"] = "网格编号不能为空"
    elif len(code) > 30:
        errors["code"] = "网格编号过长（最多 30 个字符）"
    name = clean(raw.get("name"))
    if not name:
        errors["name"] = "网格名称不能为空"
    elif len(name) > 60:
        errors["name"] = "网格名称过长"
    households = int_field(raw, "households", "户数", errors)
    population = int_field(raw, "population", "人口", errors)
    phone = ""
    try:
        phone = normalise_phone(raw.get("worker_phone"))
    except PhoneError as e:
        errors["worker_phone"] = f"网格员电话：{e}"
    if errors:
        raise FieldErrors(errors)
    return GridData(village_id, code, name, households, population, clean_name(raw.get("worker_name")), phone,
                     clean(raw.get("note")))


def free_code(prefix: str, used: set[str]) -> str:
    """The first ``prefix`` + 3 digits (…001) not in ``used``."""
    n = 1
    while f"{prefix}{n:03d}" in used:
        n += 1
    return f"{prefix}{n:03d}"


# ---------------------------------------------------------------------------------------- placement

def check_role(role: str | None) -> None:
    """``role`` None means "choose for me"; anything else must be one of ROLES."""
    if role is not None and role not in ROLES:
        raise InvalidInput(f"角色应为 {'、'.join(ROLES)}")


def parse_role(text: str) -> str | None:
    """What a roster sheet writes in 角色 (责任代表 / 责任 / 协助 …) -> a role; None when unknown."""
    return next((r for r in ROLES if text in (r, r[:2], r.removesuffix("代表"))), None)


def check_entry(d: DeputyInfo, day: str, households: int) -> None:
    """A deputy may enter a grid on ``day`` only while in office, with a non-negative household count."""
    if households < 0:
        raise InvalidInput("联系户数不能为负数")
    if not in_office_on(d, day):
        state = f"{d.status}（{d.status_date}）" if d.status != IN_OFFICE else "尚未当选"
        raise InvalidInput(f"{d.name}在 {day} 不在任：{state}，不能入格")


def check_not_before_later_entry(name: str, later_start: str | None, day: str) -> None:
    """A deputy already placed from a later day cannot be placed before it (history stays linear)."""
    if later_start is not None:
        raise InvalidInput(f"{name}自 {later_start} 起已有入格记录，不能安排在此之前的 {day}；"
                           "请改用更晚的日期，或先撤销那条记录")


def check_room(grid_name: str, members: int, limit: int | None) -> None:
    """A grid with ``limit`` deputies takes no one more (``limit`` None: not checked here)."""
    if limit is not None and members >= limit:
        raise InvalidInput(f"“{grid_name}”已有 {members} 名代表，达到每个网格 {limit} 名的上限；"
                           "可先调整其中的代表，或在设置中提高上限")


def entry_role(role: str | None, grid_has_lead: bool) -> str:
    """The role a deputy enters with: the one asked, else 责任代表 in a grid without one, else 协助代表."""
    return role or (ROLE_HELPER if grid_has_lead else ROLE_LEAD)


# ---------------------------------------------------------------------------------------- who, when

def needs_grid(d: DeputyInfo, on: str) -> bool:
    """Must be in a grid on ``on``: in office, and a town-level or city-level deputy."""
    return in_office_on(d, on) and any(level in GRID_LEVELS for level in d.levels)


def in_force(a: AssignmentInfo, on: str) -> bool:
    return a.start_on <= on and (a.end_on == "" or on < a.end_on)


def _role_order(a: AssignmentInfo) -> tuple:
    return (0 if a.role == ROLE_LEAD else 1, a.start_on, a.id)


def roster_on(grids: Iterable[GridInfo], deputies: Mapping[str, DeputyInfo],
              assignments: Iterable[AssignmentInfo], on: str) -> dict[str, list[AssignmentInfo]]:
    """grid id -> the assignments in force on ``on`` whose deputy is in office that day, the
    责任代表 first. Every grid is a key, an empty grid maps to []."""
    out: dict[str, list[AssignmentInfo]] = {g.id: [] for g in grids}
    for a in assignments:
        d = deputies.get(a.deputy_id)
        if a.grid_id in out and d is not None and in_force(a, on) and in_office_on(d, on):
            out[a.grid_id].append(a)
    for members in out.values():
        members.sort(key=_role_order)
    return out


def placed_on(deputies: Mapping[str, DeputyInfo], assignments: Iterable[AssignmentInfo], on: str,
              grid_ids: set[str] | None = None) -> dict[str, AssignmentInfo]:
    """deputy id -> the assignment that places them on ``on`` (in force, in office, existing grid)."""
    out: dict[str, AssignmentInfo] = {}
    for a in assignments:
        d = deputies.get(a.deputy_id)
        if d is None or not in_force(a, on) or not in_office_on(d, on):
            continue
        if grid_ids is not None and a.grid_id not in grid_ids:
            continue
        out.setdefault(a.deputy_id, a)
    return out


def add_months(day: str, months: int) -> str:
    """'2026-05-31' + (-3) -> '2026-02-28' (clamped to the month's last day)."""
    d = dt.date.fromisoformat(day)
    m = d.year * 12 + (d.month - 1) + months
    year, month = divmod(m, 12)
    month += 1
    last = (dt.date(year + (month == 12), month % 12 + 1, 1) - dt.timedelta(days=1)).day
    return dt.date(year, month, min(d.day, last)).isoformat()


# ---------------------------------------------------------------------------------------- checks

@dataclass(frozen=True)
class Range:
    """Minimum and maximum of a figure; ``spread`` = max - min."""

    low: float
    high: float

    @property
    def spread(self) -> float:
        return self.high - self.low


@dataclass(frozen=True)
class Balance:
    """Load figures of one village (``village_id``) or of the whole town (``village_id`` None)."""

    village_id: str | None
    grids: int
    deputies: int
    households: int
    per_grid: Range | None                 # deputies per grid
    households_per_deputy: Range | None    # None while no deputy is placed


@dataclass(frozen=True)
class Vacancy:
    """An open assignment whose deputy is no longer in office: the hole a 暂停/终止 leaves."""

    assignment: AssignmentInfo
    deputy: DeputyInfo
    grid: GridInfo


@dataclass(frozen=True)
class GridChecks:
    on: str
    limit: int
    unplaced: tuple[DeputyInfo, ...]            # 未入格
    empty: tuple[GridInfo, ...]                 # no deputy
    over_limit: tuple[tuple[GridInfo, int], ...]
    no_lead: tuple[GridInfo, ...]               # deputies, but no 责任代表
    vacated: tuple[Vacancy, ...]
    balance: tuple[Balance, ...]                # one per village (village order), then the town
    visit_months: int | None = None             # None: visits are not recorded in this database
    no_visit: tuple[tuple[GridInfo, str], ...] = ()  # (grid, last visit date or '')

    @property
    def holes(self) -> int:
        """Placement holes; "no visit" is a reminder and is counted separately."""
        return (len(self.unplaced) + len(self.empty) + len(self.over_limit) + len(self.no_lead)
                + len(self.vacated))

    @property
    def clear(self) -> bool:
        return self.holes == 0


def _range(values: Sequence[float]) -> Range | None:
    return Range(min(values), max(values)) if values else None


def _balance(village_id: str | None, grids: Sequence[GridInfo],
             roster: Mapping[str, list[AssignmentInfo]]) -> Balance:
    per_grid: list[float] = []
    per_deputy: list[float] = []
    for g in grids:
        members = roster.get(g.id, [])
        per_grid.append(len(members))
        for a in members:
            # households in contact when recorded, else an even share of the grid
            per_deputy.append(a.households if a.households > 0 else g.households / len(members))
    return Balance(village_id, len(grids), sum(int(n) for n in per_grid), sum(g.households for g in grids),
                   _range(per_grid), _range([round(x) for x in per_deputy]))


@dataclass(frozen=True)
class VisitLog:
    """When each grid was last visited (grid id -> date, by day ``on``) and the reminder window."""

    last: Mapping[str, str]
    months: int = DEFAULT_VISIT_MONTHS


def check_grids(villages: Sequence[VillageInfo], grids: Sequence[GridInfo], deputies: Sequence[DeputyInfo],
                assignments: Sequence[AssignmentInfo], on: str, limit: int = DEFAULT_LIMIT, *,
                visits: VisitLog | None = None) -> GridChecks:
    """Every hole on day ``on``. ``visits`` is None when the database records no visits; then the
    "no visit" reminder is left out."""
    by_id = {d.id: d for d in deputies}
    grid_by_id = {g.id: g for g in grids}
    roster = roster_on(grids, by_id, assignments, on)
    placed = placed_on(by_id, assignments, on, set(grid_by_id))
    unplaced = tuple(d for d in deputies if needs_grid(d, on) and d.id not in placed)
    empty = tuple(g for g in grids if not roster[g.id])
    over = tuple((g, len(roster[g.id])) for g in grids if len(roster[g.id]) > limit)
    no_lead = tuple(g for g in grids if roster[g.id] and all(a.role != ROLE_LEAD for a in roster[g.id]))
    vacated = []
    for a in assignments:
        d = by_id.get(a.deputy_id)
        g = grid_by_id.get(a.grid_id)
        # open on that day (started, not ended) but the deputy has left office
        if d is None or g is None or a.start_on > on or (a.end_on and a.end_on <= on):
            continue
        if not in_office_on(d, on) and (not d.elected_on or d.elected_on[:10] <= on):
            vacated.append(Vacancy(a, d, g))
    order = {v.id: i for i, v in enumerate(sorted(villages, key=lambda v: v.code))}
    by_village: dict[str, list[GridInfo]] = {}
    for g in grids:
        by_village.setdefault(g.village_id, []).append(g)
    balance = [_balance(vid, gs, roster) for vid, gs in sorted(by_village.items(),
                                                               key=lambda kv: order.get(kv[0], 1 << 30))]
    balance.append(_balance(None, grids, roster))
    no_visit: tuple[tuple[GridInfo, str], ...] = ()
    months: int | None = None
    if visits is not None:
        last_visits = visits.last
        months = visits.months
        cutoff = add_months(on, -months)
        no_visit = tuple((g, last_visits.get(g.id, "")) for g in grids
                         if (last_visits.get(g.id, "") or g.created_on or "") < cutoff)
    return GridChecks(on, limit, unplaced, empty, over, no_lead, tuple(vacated), tuple(balance), months,
                      no_visit)


# ---------------------------------------------------------------------------------------- suggestion

@dataclass(frozen=True)
class Proposal:
    deputy_id: str
    grid_id: str
    role: str
    tier: int

    @property
    def reason(self) -> str:
        return TIER_REASONS[self.tier]


@dataclass(frozen=True)
class Suggestion:
    on: str
    proposals: tuple[Proposal, ...]
    unplaceable: tuple[DeputyInfo, ...]  # every grid is full (at the limit)


def _code_number(code: str) -> int | None:
    return int(code) if code.isdigit() else None


def suggest_placements(villages: Sequence[VillageInfo], grids: Sequence[GridInfo],
                       deputies: Sequence[DeputyInfo], assignments: Sequence[AssignmentInfo], on: str,
                       limit: int = DEFAULT_LIMIT) -> Suggestion:
    """A grid for every deputy who must be in one and is not, never moving a deputy already placed
    and never filling a grid beyond ``limit``.

    First pass: each deputy takes the least-loaded grid of their own village (an empty one first).
    Second pass, for those whose village has no room (or who live outside every village with grids):
    an empty grid first (coverage matters most), then by nearness — villages where deputies of the
    same 代表小组 live, then the others — then the least-loaded, then the nearest region code. The
    first deputy to enter a grid without a 责任代表 becomes its 责任代表."""
    by_id = {d.id: d for d in deputies}
    grid_ids = {g.id for g in grids}
    roster = roster_on(grids, by_id, assignments, on)
    placed = placed_on(by_id, assignments, on, grid_ids)
    load = {g.id: len(roster[g.id]) for g in grids}
    has_lead = {g.id: any(a.role == ROLE_LEAD for a in roster[g.id]) for g in grids}
    village_code = {v.id: v.code for v in villages}
    grids_sorted = sorted(grids, key=lambda g: (village_code.get(g.village_id, ""), g.code, g.id))
    by_village: dict[str, list[GridInfo]] = {}
    for g in grids_sorted:
        by_village.setdefault(g.village_id, []).append(g)
    # villages where each 代表小组 has members: "nearby" in the office's own grouping of villages
    group_villages: dict[str, set[str]] = {}
    for d in deputies:
        if d.group_name and d.village_id:
            group_villages.setdefault(d.group_name, set()).add(d.village_id)

    todo = sorted((d for d in deputies if needs_grid(d, on) and d.id not in placed),
                  key=lambda d: (village_code.get(d.village_id or "", "~"), d.name, d.id))
    proposals: list[Proposal] = []

    def take(d: DeputyInfo, g: GridInfo, tier: int) -> None:
        role = ROLE_HELPER if has_lead[g.id] else ROLE_LEAD
        has_lead[g.id] = True
        load[g.id] += 1
        proposals.append(Proposal(d.id, g.id, role, tier))

    rest: list[DeputyInfo] = []
    for d in todo:
        own = [g for g in by_village.get(d.village_id or "", []) if load[g.id] < limit]
        if not own:
            rest.append(d)
            continue
        # least loaded; among equals the grid with most households per deputy after joining
        g = min(own, key=lambda g: (load[g.id], -g.households / (load[g.id] + 1)))
        take(d, g, TIER_OWN_VILLAGE)

    unplaceable: list[DeputyInfo] = []
    for d in rest:
        home = _code_number(village_code.get(d.village_id or "", ""))
        near = group_villages.get(d.group_name, set()) if d.group_name else set()
        best: tuple[bool, int, int, int] | None = None
        best_grid: GridInfo | None = None
        for g in grids_sorted:
            if load[g.id] >= limit:
                continue
            tier = TIER_SAME_GROUP if g.village_id in near else TIER_ELSEWHERE
            there = _code_number(village_code.get(g.village_id, ""))
            distance = abs(there - home) if home is not None and there is not None else 0
            key = (load[g.id] > 0, tier, load[g.id], distance)
            if best is None or key < best:
                best, best_grid = key, g
        if best_grid is None or best is None:
            unplaceable.append(d)
            continue
        take(d, best_grid, best[1])
    return Suggestion(on, tuple(proposals), tuple(unplaceable))
