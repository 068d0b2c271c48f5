"""What the grid use cases return: plain frozen rows (no session, no Qt). The service builds them, the
report prints them, the pages show them; keeping them here lets report and importing depend on the
service without the service knowing either."""

from __future__ import annotations

from dataclasses import dataclass

from congress_desktop.deputies.rules import LEVEL_SHORT

ISSUE_LABELS = {
    "unplaced": "未入格",
    "empty": "无代表网格",
    "over_limit": "超员网格",
    "no_lead": "无责任代表",
    "vacated": "离任未离格",
    "no_visit": "未走访",
}
ISSUE_ORDER = tuple(ISSUE_LABELS)


@dataclass(frozen=True)
class GridSettings:
    limit: int          # most deputies in one grid
    visit_months: int   # a grid without a visit in this many months is flagged



@dataclass(frozen=True)
class GridRow:
    id: str
    code: str
    name: str
    village_id: str
    village_code: str
    village_name: str
    households: int
    population: int
    worker_name: str
    worker_phone: str
    note: str
    version: int
    deputies: int = 0                        # on the day asked (today by default)
    deputy_names: tuple[str, ...] = ()       # 责任代表 first
    visits_this_year: int | None = None      # None: this database records no visits

    @property
    def label(self) -> str:
        """What a choice list shows: 「黄家村 · 第一网格」."""
        return f"{self.village_name} · {self.name}"

    def as_form(self) -> dict:
        return {k: getattr(self, k) for k in ("code", "name", "village_id", "households", "population",
                                              "worker_name", "worker_phone", "note")}



@dataclass(frozen=True)
class AssignmentRow:
    id: str
    grid_id: str
    grid_code: str
    grid_name: str
    village_id: str
    village_name: str
    deputy_id: str
    deputy_name: str
    levels_label: str
    mobile: str
    role: str
    households: int
    start_on: str
    end_on: str
    note: str
    deputy_status: str
    deputy_status_date: str

    def in_force(self, on: str) -> bool:
        return self.start_on <= on and (self.end_on == "" or on < self.end_on)

    @property
    def period(self) -> str:
        return f"{self.start_on} 至 {self.end_on or '今'}"



def levels_label(levels: str) -> str:
    return "、".join(LEVEL_SHORT.get(k, k) for k in levels.split(",") if k)



@dataclass(frozen=True)
class AssignRequest:
    """One deputy into one grid from ``day``: what assign_deputy, the suggestion and the roster import ask."""

    deputy_id: str
    grid_id: str
    role: str | None        # None: 责任代表 when the grid has none, else 协助代表
    day: str
    households: int = 0
    note: str = ""


@dataclass(frozen=True)
class AssignResult:
    assignment: AssignmentRow | None    # the new or changed assignment (None when only ended)
    closed: AssignmentRow | None        # the assignment it replaced (a move), if any
    messages: tuple[str, ...]           # what else changed: a 责任代表 promoted or demoted

    @property
    def summary(self) -> str:
        return "；".join(self.messages)



@dataclass(frozen=True)
class DeputyChoice:
    """A deputy as the assign dialog lists them."""

    id: str
    name: str
    village_name: str
    levels_label: str
    mobile: str
    grid_name: str       # current grid on the day asked, '' when not placed
    needs_grid: bool     # town- or city-level deputy in office

    @property
    def label(self) -> str:
        where = f"，现在{self.grid_name}" if self.grid_name else ("，未入格" if self.needs_grid else "")
        return f"{self.name}（{self.village_name or '未填村(社区)'}，{self.levels_label}{where}）"



@dataclass(frozen=True)
class RosterMember:
    assignment_id: str
    deputy_id: str
    name: str
    gender: str
    levels: tuple[str, ...]
    levels_label: str      # short: 乡镇、县市
    levels_full: str       # 乡镇人大代表、县(市、区)人大代表
    role: str
    mobile: str
    households: int
    start_on: str
    work_unit: str


@dataclass(frozen=True)
class RosterGrid:
    grid: GridRow
    members: tuple[RosterMember, ...]   # 责任代表 first



@dataclass(frozen=True)
class CheckItem:
    """One line of the checks panel."""

    kind: str            # a key of ISSUE_LABELS
    label: str           # 未入格 / 无代表网格 / ...
    village_id: str
    village: str
    grid_id: str
    grid: str
    deputy_id: str
    deputy: str
    detail: str          # a sentence that says what to do
    assignment_id: str = ""

    @property
    def is_hole(self) -> bool:
        return self.kind != "no_visit"


@dataclass(frozen=True)
class BalanceRow:
    village_id: str      # '' for the whole town
    scope: str           # village name or 全镇
    grids: int
    deputies: int
    households: int
    per_grid_min: int
    per_grid_max: int
    per_grid_spread: int
    households_per_deputy_min: int | None
    households_per_deputy_max: int | None
    households_per_deputy_spread: int | None


@dataclass(frozen=True)
class GridCheckReport:
    on: str
    limit: int
    visit_months: int | None            # None: visits are not recorded in this database
    grids: int
    deputies_needed: int                # deputies who must be in a grid on that day
    deputies_placed: int
    items: tuple[CheckItem, ...]
    balance: tuple[BalanceRow, ...]     # per village, then 全镇 last

    @property
    def holes(self) -> int:
        return sum(1 for i in self.items if i.is_hole)

    @property
    def reminders(self) -> int:
        return sum(1 for i in self.items if not i.is_hole)

    @property
    def clear(self) -> bool:
        return self.holes == 0

    def of_kind(self, kind: str) -> list[CheckItem]:
        return [i for i in self.items if i.kind == kind]

    def counts(self) -> dict[str, int]:
        return {k: len(self.of_kind(k)) for k in ISSUE_ORDER}

    @property
    def summary(self) -> str:
        if not self.items and self.grids == 0:
            return "尚未登记网格"
        counts = self.counts()
        holes = [f"{ISSUE_LABELS[k]} {n}" for k, n in counts.items() if n and k != "no_visit"]
        text = f"发现 {self.holes} 处问题：" + "，".join(holes) if holes else "网格检查全部通过"
        if counts["no_visit"]:
            text += f"；提醒：{ISSUE_LABELS['no_visit']} {counts['no_visit']}"
        return text



@dataclass(frozen=True)
class ProposalRow:
    deputy_id: str
    deputy_name: str
    deputy_village: str
    levels_label: str
    grid_id: str
    grid_label: str      # 「黄家村 · 第一网格」
    role: str
    reason: str


@dataclass(frozen=True)
class SuggestionResult:
    on: str
    limit: int
    proposals: tuple[ProposalRow, ...]
    unplaceable: tuple[str, ...]        # names of deputies no grid has room for


@dataclass(frozen=True)
class Placement:
    """What the user kept of a proposal (possibly with another grid or role)."""

    deputy_id: str
    grid_id: str
    role: str | None = None



@dataclass(frozen=True)
class AcceptResult:
    applied: int
    messages: tuple[str, ...]

