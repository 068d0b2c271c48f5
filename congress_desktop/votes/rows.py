"""The rows the vote services hand out (plain frozen dataclasses, no database): what the pages, the
printouts and the command line read. Kept apart from the services so the report and the case file
need no service."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from congress_desktop.core.errors import NotFound
from congress_desktop.votes import rules
from congress_desktop.votes import tally as dv
from congress_desktop.votes.vocab import ROUND_REASONS, ROUND_STATES

ACTION_LABELS = {
    "session_created": "建立表决", "session_updated": "修改表决设置", "roster_refreshed": "重新读取代表名单",
    "attendance": "点名", "round_opened": "开始投票", "mode_set": "设置录入方式", "counts_set": "登记发出、收回票数",
    "ballot_entered": "录入选票", "ballot_corrected": "更正选票", "ballot_undone": "撤销选票",
    "difference_settled": "核定差异", "doubtful_decided": "认定存疑票", "totals_entered": "录入手工计票合计",
    "result_computed": "计算结果", "announced": "公布结果（锁定）",
}


@dataclass(frozen=True)
class ProjectRow:
    id: str
    year: int
    number: str
    name: str
    category: str
    content: str
    place_code: str
    place_name: str
    investment: str
    funding: str
    unit: str
    person: str
    deadline: str
    beneficiaries: str
    source: str
    ballot_order: int
    state: str
    note: str
    version: int


@dataclass(frozen=True)
class ItemRow:
    id: str
    position: int
    name: str
    project_id: str | None
    investment: str
    unit: str


@dataclass(frozen=True)
class AttendanceRow:
    deputy_id: str
    position: int
    name: str
    status: str


@dataclass(frozen=True)
class RoundRow:
    id: str
    number: int
    reason: str
    item_ids: tuple[str, ...]
    seats: int
    present: int
    mode: str
    unsealed: int | None
    issued: int | None
    returned: int | None
    state: str
    announced_at: str
    announced_by: str
    final_hash: str

    @property
    def stands(self) -> bool | None:
        """收回 <= 发出: the round stands; None until both are entered."""
        return rules.round_stands(self.issued, self.returned)

    @property
    def locked(self) -> bool:
        return not rules.editable(self.state)

    @property
    def label(self) -> str:
        return f"第 {self.number} 轮（{ROUND_REASONS.get(self.reason, self.reason)}）"

    @property
    def state_label(self) -> str:
        return ROUND_STATES.get(self.state, self.state)


@dataclass(frozen=True)
class SessionRow:
    id: str
    number: int
    title: str
    date: str
    kind: str
    seats: int
    rules: dv.Rules
    chair: str
    chief_scrutineer: str
    scrutineers: tuple[str, ...]
    tellers: tuple[str, ...]
    all_deputies: int
    present: int
    on_leave: int
    absent: int
    items: tuple[ItemRow, ...]
    rounds: tuple[RoundRow, ...]
    note: str
    version: int

    @property
    def kind_label(self) -> str:
        return dv.KINDS[self.kind]

    @property
    def quorum_needed(self) -> int:
        return dv.quorum_needed(self.all_deputies)

    @property
    def quorum_met(self) -> bool:
        return dv.quorum_met(self.all_deputies, self.present)

    @property
    def opened(self) -> bool:
        return bool(self.rounds)

    @property
    def current_round(self) -> RoundRow | None:
        return self.rounds[-1] if self.rounds else None

    @property
    def state_label(self) -> str:
        r = self.current_round
        if r is None:
            return "筹备（点名）"
        return f"第 {r.number} 轮：{r.state_label}"

    def item(self, item_id: str) -> ItemRow:
        return next(i for i in self.items if i.id == item_id)

    def round(self, number_or_id: int | str) -> RoundRow:
        for r in self.rounds:
            if r.number == number_or_id or r.id == number_or_id:
                return r
        raise NotFound(f"没有第 {number_or_id} 轮投票")


@dataclass(frozen=True)
class BallotEntry:
    id: str
    clerk: str
    position: int
    keys: str
    doubtful: bool
    check: dv.BallotCheck
    corrected: bool       # a correction stands on top of the first entry
    reason: str           # the correction's reason

    @property
    def status(self) -> str:
        if not self.check.valid:
            return "作废"
        return "有效"


@dataclass(frozen=True)
class Ruling:
    position: int
    kind: str            # settle / doubtful
    keys: str            # keys, or 'void'
    by: str
    reason: str


@dataclass(frozen=True)
class Difference:
    """A place in the stack where the two clerks typed different marks (or one has no ballot)."""

    position: int
    keys_a: str | None
    keys_b: str | None
    ruling: Ruling | None

    @property
    def settled(self) -> bool:
        return self.ruling is not None

    def differing_items(self) -> list[int]:
        """0-based items whose marks differ (all when one side is missing)."""
        a, b = self.keys_a or "", self.keys_b or ""
        n = max(len(a), len(b))
        return [i for i in range(n) if (a[i:i + 1] or None) != (b[i:i + 1] or None)]


@dataclass(frozen=True)
class Doubtful:
    position: int
    keys: str             # as entered (clerk A's, or the settled reading)
    ruling: Ruling | None


@dataclass(frozen=True)
class TotalsRow:
    valid: int
    void: int
    counts: tuple[dict[str, int], ...]
    entered_by: str
    reason: str


@dataclass(frozen=True)
class RoundView:
    session: SessionRow
    round: RoundRow
    items: tuple[ItemRow, ...]
    result: dv.TallyResult | None
    problems: tuple[str, ...]
    last_hash: str


@dataclass(frozen=True)
class FinalOutcome:
    item: ItemRow
    outcome: str           # adopted / not_adopted / revote / satisfactory / recheck / '' (not yet)
    round_number: int      # the round that decided it (0: none announced yet)
    counts: Mapping[str, int] = field(default_factory=dict)

    @property
    def outcome_label(self) -> str:
        return dv.OUTCOME_LABELS.get(self.outcome, "待表决")


@dataclass(frozen=True)
class LogEntry:
    seq: int
    at: str
    user: str
    action: str
    detail: dict[str, Any]
    prev_hash: str
    hash: str

    @property
    def action_label(self) -> str:
        return ACTION_LABELS.get(self.action, self.action)


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    entries: int
    final_hash: str
    problems: tuple[str, ...]


@dataclass(frozen=True)
class EntryStep:
    """What the count tab needs after one ballot is entered, undone or corrected (one worker call)."""

    entry: BallotEntry                        # the ballot entered, undone or corrected
    stack: tuple[BallotEntry, ...] | None     # the clerk's whole stack when not just appended to
    round: RoundRow
    differences: tuple[Difference, ...]       # double entry only
    doubtful: tuple[Doubtful, ...]
    problems: tuple[str, ...]
    stack_sizes: tuple[int, int] = (0, 0)     # ballots of clerk A and clerk B as they stand


@dataclass(frozen=True)
class BallotFix:
    """A correction of one ballot of a clerk's stack: the keys it should have, and why."""

    position: int
    keys: str
    reason: str
    doubtful: bool | None = None  # None: keep the ballot's doubtful flag


@dataclass(frozen=True)
class CountView:
    """Everything the count tab shows of a round, read in one worker call: the round with its items,
    result and problems, one clerk's stack, the differences, the doubtful ballots, the totals."""

    view: RoundView
    stack: tuple[BallotEntry, ...]
    differences: tuple[Difference, ...]
    doubtful: tuple[Doubtful, ...]
    stack_sizes: tuple[int, int]
    totals: TotalsRow | None
