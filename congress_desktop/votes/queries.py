"""The database reads the vote services share: a session, a round and its items as rows, a clerk's
stack as it stands, the rulings, and the round as a case file for ``votes.tally``. Reads only: every
write is a unit of work in votes/service.py or votes/rounds.py, logged through votes/ledger.py."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from congress_desktop.core.errors import CongressError, NotFound
from congress_desktop.core.store.access import get_live
from congress_desktop.core.store.models import Deputy, Village
from congress_desktop.core.store.models_votes import (
    VoteAttendance,
    VoteBallot,
    VoteItem,
    VoteProject,
    VoteRound,
    VoteRuling,
    VoteSession,
    VoteTotals,
)
from congress_desktop.deputies.rules import in_office_on
from congress_desktop.votes import rules
from congress_desktop.votes import tally as dv
from congress_desktop.votes.rows import (
    BallotEntry,
    Difference,
    Doubtful,
    ItemRow,
    ProjectRow,
    RoundRow,
    Ruling,
    SessionRow,
)
from congress_desktop.votes.vocab import Attendance, BallotAction, Clerk, Mode, RulingKind


def village_names(s: Session) -> dict[str, str]:
    return dict(s.execute(select(Village.code, Village.name).where(Village.deleted.is_(False))).all())


def project_row(p: VoteProject, places: Mapping[str, str]) -> ProjectRow:
    return ProjectRow(p.id, p.year, p.number, p.name, p.category, p.content, p.place_code,
                      places.get(p.place_code, ""), p.investment, p.funding, p.unit, p.person, p.deadline,
                      p.beneficiaries, p.source, p.ballot_order, p.state, p.note, p.version)


def live_project(s: Session, project_id: str) -> VoteProject:
    return get_live(s, VoteProject, project_id, "项目")


def round_row(r: VoteRound) -> RoundRow:
    return RoundRow(r.id, r.number, r.reason, tuple(json.loads(r.item_ids)), r.seats, r.present, r.mode,
                    r.unsealed, r.issued, r.returned, r.state, r.announced_at, r.announced_by, r.final_hash)


def item_row(i: VoteItem) -> ItemRow:
    return ItemRow(i.id, i.position, i.name, i.project_id, i.investment, i.unit)


def session_row(s: Session, v: VoteSession) -> SessionRow:
    counts = rules.attendance_counts(status_counts(s, v.id))
    items = tuple(item_row(i) for i in session_items(s, v.id))
    rounds = tuple(round_row(r) for r in s.scalars(select(VoteRound).where(VoteRound.session_id == v.id)
                                                   .order_by(VoteRound.number)))
    return SessionRow(v.id, v.number, v.title, v.date, v.kind, v.seats, session_rules(v),
                      v.chair, v.chief_scrutineer, rules.split_names(v.scrutineers), rules.split_names(v.tellers),
                      v.all_deputies, counts["present"], counts["on_leave"], counts["absent"], items, rounds, v.note,
                      v.version)


def live_session(s: Session, session_id: str) -> VoteSession:
    return get_live(s, VoteSession, session_id, "表决")


@dataclass(frozen=True)
class _Tenure:
    status: str
    status_date: str
    elected_on: str


def town_deputies(s: Session, day: str) -> list[Deputy]:
    """全体代表: town deputies in office on the meeting day (``deputies.rules.in_office_on``: 暂停 and
    终止 do not vote and do not count, 代表法 art. 61-62; nor does one elected after the meeting)."""
    rows = s.scalars(select(Deputy).where(Deputy.deleted.is_(False)).order_by(Deputy.name_pinyin, Deputy.id)).all()
    return [d for d in rows if "town" in d.levels.split(",") and in_office_on(_Tenure(d.status, d.status_date,
                                                                                       d.elected_on), day)]


def session_items(s: Session, session_id: str) -> list[VoteItem]:
    return list(s.scalars(select(VoteItem).where(VoteItem.session_id == session_id, VoteItem.deleted.is_(False))
                          .order_by(VoteItem.position)))


def status_counts(s: Session, session_id: str) -> dict[str, int]:
    return dict(s.execute(select(VoteAttendance.status, func.count())
                          .where(VoteAttendance.session_id == session_id).group_by(VoteAttendance.status)).all())


def attendance_counts(s: Session, session_id: str) -> dict[str, int]:
    return rules.attendance_counts(status_counts(s, session_id))


def live_round(s: Session, round_id: str, *, editable: bool = True) -> tuple[VoteRound, VoteSession]:
    r = s.get(VoteRound, round_id)
    if r is None or r.deleted:
        raise NotFound("该轮投票不存在")
    v = live_session(s, r.session_id)
    if editable and not rules.editable(r.state):
        raise CongressError(f"第 {r.number} 轮结果已公布并锁定，不能再修改；如需更正，只能另行投票（新一轮）",
                            code="locked")
    return r, v


def round_items(s: Session, r: VoteRound) -> list[VoteItem]:
    ids = json.loads(r.item_ids)
    by_id = {i.id: i for i in s.scalars(select(VoteItem).where(VoteItem.id.in_(ids)))}
    return [by_id[i] for i in ids]


def clerk_stack(s: Session, round_id: str, clerk: str) -> dict[int, VoteBallot]:
    """The ballots of one clerk as they stand (rules.effective_stack)."""
    return rules.effective_stack(s.scalars(select(VoteBallot).where(VoteBallot.round_id == round_id,
                                                                     VoteBallot.clerk == clerk)))


def ballot_entry(b: VoteBallot, kind: str, seats: int, round_rules: dv.Rules) -> BallotEntry:
    marks = dv.VOID if b.marks == dv.VOID else dv.keys_to_marks(kind, b.marks)
    return BallotEntry(b.id, b.clerk, b.position, b.marks, b.doubtful,
                       dv.check_ballot(kind, marks, seats, round_rules), b.action == BallotAction.CORRECTION,
                       b.reason)


def session_rules(v: VoteSession) -> dv.Rules:
    return dv.Rules.from_dict(json.loads(v.rules))


class Rulings:
    """The rulings of a round by position: the newest of each kind, and the newest of all (which
    gives the marks that count)."""

    def __init__(self, s: Session, round_id: str):
        self.latest: dict[int, VoteRuling] = {}
        self.by_kind: dict[tuple[int, str], VoteRuling] = {}
        for x in s.scalars(select(VoteRuling).where(VoteRuling.round_id == round_id)
                           .order_by(VoteRuling.created_at, VoteRuling.id)):
            self.latest[x.position] = x
            self.by_kind[(x.position, x.kind)] = x

    def get(self, position: int) -> VoteRuling | None:
        return self.latest.get(position)

    def of(self, position: int, kind: str) -> VoteRuling | None:
        return self.by_kind.get((position, kind))


def ruling_row(x: VoteRuling) -> Ruling:
    return Ruling(x.position, x.kind, x.marks, x.by, x.reason)


def _maybe_ruling(x: VoteRuling | None) -> Ruling | None:
    return None if x is None else ruling_row(x)


def differences_of(s: Session, r: VoteRound) -> list[Difference]:
    a = clerk_stack(s, r.id, Clerk.A)
    b = clerk_stack(s, r.id, Clerk.B)
    rulings = Rulings(s, r.id)
    out = []
    for p in sorted(set(a) | set(b)):
        ka = a[p].marks if p in a else None
        kb = b[p].marks if p in b else None
        if ka != kb:
            out.append(Difference(p, ka, kb, _maybe_ruling(rulings.of(p, RulingKind.SETTLE))))
    return out


def doubtful_of(s: Session, r: VoteRound) -> list[Doubtful]:
    rulings = Rulings(s, r.id)
    flagged: dict[int, str] = {}
    for clerk in Clerk:
        for p, b in clerk_stack(s, r.id, clerk).items():
            if b.doubtful:
                flagged.setdefault(p, b.marks)
    return [Doubtful(p, k, _maybe_ruling(rulings.of(p, RulingKind.DOUBTFUL))) for p, k in sorted(flagged.items())]


def latest_totals(s: Session, round_id: str) -> VoteTotals | None:
    return s.scalars(select(VoteTotals).where(VoteTotals.round_id == round_id)
                     .order_by(VoteTotals.created_at.desc(), VoteTotals.id.desc())).first()


def final_ballots(s: Session, r: VoteRound) -> tuple[list[str], list[str]]:
    """The ballots that count (keys or 'void'), and what still stands in the way (rules.final_ballots)."""
    rulings = Rulings(s, r.id)
    a = {p: (b.marks, b.doubtful) for p, b in clerk_stack(s, r.id, Clerk.A).items()}
    b = ({p: (x.marks, x.doubtful) for p, x in clerk_stack(s, r.id, Clerk.B).items()}
         if r.mode == Mode.DOUBLE else {})
    return rules.final_ballots(rules.Stacks(r.mode, a, b, {p: x.marks for p, x in rulings.latest.items()},
                                            frozenset(rulings.by_kind)))


def round_case(s: Session, r: VoteRound, v: VoteSession) -> tuple[dict[str, Any], list[str]]:
    """The round as a case file (README format), and the problems that keep it from being counted."""
    items = round_items(s, r)
    problems: list[str] = []
    case: dict[str, Any] = {
        "meeting": v.title, "date": v.date, "session": v.number, "round": r.number,
        "kind": v.kind, "all_deputies": v.all_deputies, "present": r.present,
        "issued": r.issued if r.issued is not None else 0, "returned": r.returned if r.returned is not None else 0,
        "seats": r.seats, "rules": session_rules(v).as_dict(), "items": [i.name for i in items],
    }
    stands = rules.round_stands(r.issued, r.returned)
    if stands is None:
        problems.append("请先登记发出票数和收回票数")
    void_round = stands is False
    if r.mode == Mode.TOTALS:
        t = latest_totals(s, r.id)
        if t is None and not void_round:
            problems.append("尚未录入手工计票合计")
        if t is not None:
            case["totals"] = {"valid": t.valid, "void": t.void, "items": json.loads(t.counts)}
        elif void_round:
            case["ballots"] = []
    else:
        keys, more = _stack_problems(s, r, problems)
        case["ballots"] = [k if k == dv.VOID else list(dv.keys_to_marks(v.kind, k)) for k in keys]
    return case, problems


def _stack_problems(s: Session, r: VoteRound, problems: list[str]) -> tuple[list[str], list[str]]:
    """The ballots that count of a round entered ballot by ballot; adds what keeps them from being counted."""
    keys, more = final_ballots(s, r)
    keys = [k for k in keys if k]
    if rules.round_stands(r.issued, r.returned) is not False:
        problems += more
        if r.returned is not None and len(keys) != r.returned and not more:
            problems.append(f"已录入 {len(keys)} 张选票，与收回的 {r.returned} 张不符，请核对")
    return keys, more


def entry_problems(s: Session, r: VoteRound) -> list[str]:
    """What :func:`round_case` would say stands in the way of the count, for a round entered ballot by
    ballot, without building the case (what the count tab shows after every ballot)."""
    problems: list[str] = []
    if rules.round_stands(r.issued, r.returned) is None:
        problems.append("请先登记发出票数和收回票数")
    _stack_problems(s, r, problems)
    return problems


def tally_round(s: Session, r: VoteRound, v: VoteSession
                ) -> tuple[dv.Case | None, dv.TallyResult | None, list[str]]:
    """The round's case and its count, or the problems that keep it from being counted."""
    case, problems = round_case(s, r, v)
    if problems:
        return None, None, problems
    try:
        parsed = dv.parse_case(case)
        return parsed, dv.tally(parsed), []
    except dv.CaseError as e:
        return None, None, [e.message]


def present_deputy_ids(s: Session, session_id: str) -> set[str]:
    return set(s.scalars(select(VoteAttendance.deputy_id).where(VoteAttendance.session_id == session_id,
                                                                 VoteAttendance.status == Attendance.PRESENT)))
