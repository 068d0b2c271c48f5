"""票决 and 测评: candidate projects, vote sessions with the roll call, and opening the vote. The
rounds (ballot entry, hand-count totals, doubtful ballots, the count, announcing, re-votes) are
votes/rounds.py; the hash-chained log is votes/ledger.py; the case file and spreadsheet
votes/casefile.py; the import votes/importing.py.

Every function here is one unit of work; the rules they apply are votes/rules.py and the count is
``votes.tally``. Ballots never link to a deputy. Ballots, rulings, totals and log entries are written
once; corrections are new rows on top. An announced round is locked.

The names most callers use (the rows, the vocabularies and the round functions) stay importable from
here."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from congress_desktop.core.context import Context
from congress_desktop.core.errors import CongressError, FieldErrors, NotFound
from congress_desktop.core.store.models_votes import (
    VoteAttendance,
    VoteItem,
    VoteProject,
    VoteRound,
    VoteSession,
)
from congress_desktop.places.villages import village_key
from congress_desktop.votes import ledger, queries, rules
from congress_desktop.votes import tally as dv
from congress_desktop.votes.ledger import log_entries, verify_session
from congress_desktop.votes.rounds import (
    announce_round,
    clerk_ballots,
    compute_round,
    correct_ballot,
    decide_doubtful,
    differences,
    doubtful_ballots,
    enter_ballot,
    enter_totals,
    get_round,
    round_case_json,
    round_problems,
    round_totals,
    round_view,
    session_outcomes,
    set_ballot_counts,
    set_round_mode,
    settle_difference,
    start_revote,
    undo_last_ballot,
)
from congress_desktop.votes.rows import (
    ACTION_LABELS,
    AttendanceRow,
    BallotEntry,
    Difference,
    Doubtful,
    FinalOutcome,
    ItemRow,
    LogEntry,
    ProjectRow,
    RoundRow,
    RoundView,
    Ruling,
    SessionRow,
    TotalsRow,
    VerifyResult,
)
from congress_desktop.votes.rules import (
    ATTENDANCE,
    CATEGORIES,
    CLERKS,
    MODES,
    NOT_ON_ROLL,
    PROJECT_LABELS,
    PROJECT_STATES,
    ROLL_CALL,
    Attendance,
    Mode,
    RoundReason,
    RoundState,
    normalise_project,
    quorum_message,
)

__all__ = [
    "ACTION_LABELS", "ATTENDANCE", "CATEGORIES", "CLERKS", "MODES", "NOT_ON_ROLL", "PROJECT_LABELS",
    "PROJECT_STATES", "ROLL_CALL", "AttendanceRow", "BallotEntry", "Difference", "Doubtful", "FinalOutcome",
    "ItemRow", "LogEntry", "ProjectRow", "RoundRow", "RoundView", "Ruling", "SessionRow", "TotalsRow",
    "VerifyResult", "announce_round", "attendance", "clerk_ballots", "compute_round", "correct_ballot",
    "create_session", "decide_doubtful", "delete_project", "differences", "doubtful_ballots", "enter_ballot",
    "enter_totals", "find_session", "get_project", "log_entries", "verify_session", "get_round", "get_session", "list_projects", "list_sessions",
    "move_project", "normalise_project", "open_vote", "quorum_message", "refresh_roster", "round_case_json",
    "round_problems", "round_totals", "round_view", "save_project", "session_outcomes", "set_attendance",
    "set_ballot_counts", "set_project_state", "set_round_mode", "settle_difference", "start_revote", "undo_last_ballot",
    "update_session",
]


# =================================================================== candidate projects


def list_projects(ctx: Context, *, year: int | None = None, states: Sequence[str] = ()) -> list[ProjectRow]:
    stmt = select(VoteProject).where(VoteProject.deleted.is_(False))
    if year:
        stmt = stmt.where(VoteProject.year == year)
    if states:
        stmt = stmt.where(VoteProject.state.in_(list(states)))
    stmt = stmt.order_by(VoteProject.year.desc(), VoteProject.ballot_order, VoteProject.number, VoteProject.id)
    with ctx.store.session() as s:
        places = queries.village_names(s)
        return [queries.project_row(p, places) for p in s.scalars(stmt)]


def get_project(ctx: Context, project_id: str) -> ProjectRow:
    with ctx.store.session() as s:
        return queries.project_row(queries.live_project(s, project_id), queries.village_names(s))


def save_project(ctx: Context, raw: Mapping[str, Any], project_id: str | None = None) -> ProjectRow:
    with ctx.store.session() as s:
        places = queries.village_names(s)
        data = normalise_project(raw, places, village_key)
        if project_id:
            p = queries.live_project(s, project_id)
        else:
            p = VoteProject()
            if not data["ballot_order"]:
                top = s.scalar(select(func.max(VoteProject.ballot_order)).where(VoteProject.year == data["year"],
                                                                               VoteProject.deleted.is_(False)))
                data["ballot_order"] = (top or 0) + 1
        dup = s.scalars(select(VoteProject).where(VoteProject.deleted.is_(False), VoteProject.year == data["year"],
                                                 VoteProject.name == data["name"])).first()
        if dup is not None and dup is not p:
            raise FieldErrors({"name": f"{data['year']} 年已有同名项目“{data['name']}”"})
        for key, value in data.items():
            if getattr(p, key) != value:
                setattr(p, key, value)
        if not project_id:
            s.add(p)
        s.flush()
        return queries.project_row(p, places)


def set_project_state(ctx: Context, project_id: str, state: str) -> ProjectRow:
    new = rules.check_project_state(state)
    with ctx.store.session() as s:
        p = queries.live_project(s, project_id)
        p.state = new
        s.flush()
        return queries.project_row(p, queries.village_names(s))


def move_project(ctx: Context, project_id: str, delta: int) -> None:
    """Move a project up (-1) or down (+1) in the ballot order of its year."""
    with ctx.store.session() as s:
        p = queries.live_project(s, project_id)
        same = list(s.scalars(select(VoteProject).where(VoteProject.deleted.is_(False), VoteProject.year == p.year)
                              .order_by(VoteProject.ballot_order, VoteProject.number, VoteProject.id)))
        i = same.index(p)
        j = max(0, min(len(same) - 1, i + delta))
        same.insert(j, same.pop(i))
        for n, q in enumerate(same, start=1):
            if q.ballot_order != n:
                q.ballot_order = n


def delete_project(ctx: Context, project_id: str) -> None:
    with ctx.store.session() as s:
        p = queries.live_project(s, project_id)
        used = s.scalar(select(func.count()).select_from(VoteItem).where(VoteItem.project_id == project_id,
                                                                         VoteItem.deleted.is_(False)))
        if used:
            raise CongressError("该项目已列入票决，不能删除（可把状态改为“未确定”）")
        p.deleted = True


# =================================================================== sessions


def list_sessions(ctx: Context) -> list[SessionRow]:
    with ctx.store.session() as s:
        rows = s.scalars(select(VoteSession).where(VoteSession.deleted.is_(False))
                         .order_by(VoteSession.number.desc())).all()
        return [queries.session_row(s, v) for v in rows]


def get_session(ctx: Context, session_id: str) -> SessionRow:
    with ctx.store.session() as s:
        return queries.session_row(s, queries.live_session(s, session_id))


def find_session(ctx: Context, key: str | int) -> SessionRow:
    """A session by its number (1, 2, ...) or id: what a script types."""
    text = str(key).strip()
    with ctx.store.session() as s:
        v = None
        if text.isdigit():
            v = s.scalars(select(VoteSession).where(VoteSession.number == int(text),
                                                    VoteSession.deleted.is_(False))).first()
        if v is None:
            v = s.get(VoteSession, text)
        if v is None or v.deleted:
            raise NotFound(f"找不到表决“{text}”（用 votes list 查看编号）")
        return queries.session_row(s, v)


def _check_draft(raw: Mapping[str, Any], s: Session) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    def project(pid: str) -> VoteProject | None:
        p = s.get(VoteProject, pid)
        return None if p is None or p.deleted else p

    return rules.check_draft(raw, project)


def create_session(ctx: Context, raw: Mapping[str, Any]) -> SessionRow:
    """A new 票决/测评 with the roster snapshot of 全体代表 (the town deputies in office on the
    meeting day; all marked 出席 until the roll call)."""
    with ctx.store.session() as s:
        data, items = _check_draft(raw, s)
        deputies = queries.town_deputies(s, data["date"])
        if not deputies:
            raise CongressError("没有在任的乡镇人大代表，无法建立表决：请先在“代表”页录入或导入代表")
        number = (s.scalar(select(func.max(VoteSession.number))) or 0) + 1
        v = VoteSession(number=number, all_deputies=len(deputies), **data)
        s.add(v)
        s.flush()
        for n, it in enumerate(items, start=1):
            s.add(VoteItem(session_id=v.id, position=n, **it))
        for n, d in enumerate(deputies, start=1):
            s.add(VoteAttendance(session_id=v.id, deputy_id=d.id, position=n, name=d.name,
                                 status=Attendance.PRESENT))
        s.flush()
        ledger.append(s, v.id, "session_created", {**{k: data[k] for k in ("title", "date", "kind", "seats")},
                                                   "rules": json.loads(data["rules"]),
                                                   "items": [i["name"] for i in items],
                                                   "all_deputies": len(deputies), "officers": _officers(v)})
        return queries.session_row(s, v)


def _officers(v: VoteSession) -> dict[str, str]:
    return {"chair": v.chair, "chief_scrutineer": v.chief_scrutineer, "scrutineers": v.scrutineers,
            "tellers": v.tellers}


def _opened(s: Session, v: VoteSession) -> bool:
    return bool(s.scalar(select(func.count()).select_from(VoteRound).where(VoteRound.session_id == v.id)))


def _require_not_opened(s: Session, v: VoteSession, what: str) -> None:
    if _opened(s, v):
        raise CongressError(f"投票已经开始，不能再{what}")


def update_session(ctx: Context, session_id: str, raw: Mapping[str, Any]) -> SessionRow:
    """Change the settings, officers and items; items and rules only before voting starts.
    Officers (监票人, 计票人 ...) may still be filled in later, until a round is announced."""
    with ctx.store.session() as s:
        v = queries.live_session(s, session_id)
        data, items = _check_draft(raw, s)
        opened = _opened(s, v)
        if opened:
            locked = ("title", "date", "kind", "seats", "rules")
            if any(getattr(v, k) != data[k] for k in locked) or [i.name for i in queries.session_items(s, v.id)] != [
                    i["name"] for i in items]:
                raise CongressError("投票已经开始，会议、项目、应选数和规则不能再修改；只能补填工作人员")
        changed = {k: data[k] for k in data if getattr(v, k) != data[k]}
        for k, value in changed.items():
            setattr(v, k, value)
        if not opened:
            old = queries.session_items(s, v.id)
            if [(i.name, i.project_id) for i in old] != [(i["name"], i["project_id"]) for i in items]:
                for i in old:
                    i.deleted = True
                s.flush()
                for n, it in enumerate(items, start=1):
                    s.add(VoteItem(session_id=v.id, position=n, **it))
                changed["items"] = [i["name"] for i in items]
        if changed:
            s.flush()
            ledger.append(s, v.id, "session_updated",
                          {k: (json.loads(x) if k == "rules" else x) for k, x in changed.items()})
        return queries.session_row(s, v)


def refresh_roster(ctx: Context, session_id: str) -> SessionRow:
    """Take the roster snapshot again (a deputy's status changed since set-up): the town deputies in
    office on the meeting day. Keeps the roll call of those still on it. Only before voting starts."""
    with ctx.store.session() as s:
        v = queries.live_session(s, session_id)
        _require_not_opened(s, v, "重新读取代表名单")
        old = {a.deputy_id: a for a in s.scalars(select(VoteAttendance).where(VoteAttendance.session_id == v.id))}
        deputies = queries.town_deputies(s, v.date)
        keep = {d.id for d in deputies}
        for gone in old.values():
            if gone.deputy_id not in keep and gone.status != NOT_ON_ROLL:
                gone.status = NOT_ON_ROLL  # synced rows are never deleted: mark them off the roster
        for n, d in enumerate(deputies, start=1):
            a = old.get(d.id)
            if a is None:
                s.add(VoteAttendance(session_id=v.id, deputy_id=d.id, position=n, name=d.name,
                                     status=Attendance.PRESENT))
            else:
                if a.status == NOT_ON_ROLL:
                    a.status = Attendance.PRESENT
                if a.position != n:
                    a.position = n
        v.all_deputies = len(deputies)
        s.flush()
        ledger.append(s, v.id, "roster_refreshed", {"all_deputies": len(deputies)})
        return queries.session_row(s, v)


def attendance(ctx: Context, session_id: str) -> list[AttendanceRow]:
    with ctx.store.session() as s:
        queries.live_session(s, session_id)
        return [AttendanceRow(a.deputy_id, a.position, a.name, a.status)
                for a in s.scalars(select(VoteAttendance).where(VoteAttendance.session_id == session_id,
                                                                VoteAttendance.status != NOT_ON_ROLL)
                                   .order_by(VoteAttendance.position))]


def set_attendance(ctx: Context, session_id: str, marks: Mapping[str, str]) -> SessionRow:
    """Roll call: {deputy_id: 出席/请假/缺席}. Before voting starts, or between rounds."""
    rules.check_roll_call(marks)
    with ctx.store.session() as s:
        v = queries.live_session(s, session_id)
        current = s.scalars(select(VoteRound).where(VoteRound.session_id == v.id)
                            .order_by(VoteRound.number.desc())).first()
        if current is not None and current.state != RoundState.ANNOUNCED:
            raise CongressError(f"第 {current.number} 轮投票正在进行，不能修改出席情况")
        rows = {a.deputy_id: a for a in s.scalars(select(VoteAttendance).where(VoteAttendance.session_id == v.id))}
        changed = {}
        for deputy_id, status in marks.items():
            a = rows.get(deputy_id)
            if a is None or a.status == NOT_ON_ROLL:
                raise NotFound("该代表不在本次表决的代表名单中")
            if a.status != status:
                a.status = status
                changed[a.name] = status
        if changed:
            s.flush()
            ledger.append(s, v.id, "attendance", {"changes": changed, **queries.attendance_counts(s, v.id)})
        return queries.session_row(s, v)


def open_vote(ctx: Context, session_id: str, mode: str = Mode.SINGLE) -> RoundRow:
    """Start round 1: refused below the 2/3 quorum. The roll call is then frozen for the round."""
    mode = rules.check_mode(mode)
    with ctx.store.session() as s:
        v = queries.live_session(s, session_id)
        _require_not_opened(s, v, "重新开始投票")
        counts = queries.attendance_counts(s, v.id)
        if not dv.quorum_met(v.all_deputies, counts["present"]):
            raise CongressError(quorum_message(v.all_deputies, counts["present"]), code="no_quorum")
        items = queries.session_items(s, v.id)
        r = VoteRound(session_id=v.id, number=1, reason=RoundReason.FIRST,
                      item_ids=json.dumps([i.id for i in items]), seats=v.seats, present=counts["present"],
                      mode=mode, state=RoundState.VOTING)
        s.add(r)
        s.flush()
        ledger.append(s, v.id, "round_opened", {"round": 1, "reason": RoundReason.FIRST, "mode": mode,
                                                "seats": v.seats, "items": [i.name for i in items],
                                                "all_deputies": v.all_deputies, **counts})
        return queries.round_row(r)

