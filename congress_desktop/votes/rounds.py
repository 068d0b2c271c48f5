"""The rounds of a 票决/测评, each function one unit of work: 发出/收回, the entry mode, ballot entry
by one or two clerks (with undo and corrections), settling the differences of a double entry,
deciding doubtful ballots, hand-count totals, the count (``votes.tally``), announcing (the round is
locked) and the next round after it (``rules.revote_plan``). Every change is logged in the same unit
of work (votes/ledger.py)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from congress_desktop.core.context import Context
from congress_desktop.core.errors import CongressError, FieldErrors, InvalidInput, NotFound
from congress_desktop.core.store.models_votes import (
    VoteBallot,
    VoteProject,
    VoteRound,
    VoteRuling,
    VoteSession,
    VoteTotals,
)
from congress_desktop.core.text import clean
from congress_desktop.votes import ledger, queries, rules
from congress_desktop.votes import tally as dv
from congress_desktop.votes.ledger import canonical, sha256
from congress_desktop.votes.queries import live_round, round_items, round_row
from congress_desktop.votes.rows import (
    BallotEntry,
    BallotFix,
    CountView,
    Difference,
    Doubtful,
    EntryStep,
    FinalOutcome,
    RoundRow,
    RoundView,
    Ruling,
    TotalsRow,
)
from congress_desktop.votes.vocab import BallotAction, Clerk, Mode, ProjectState, RoundState, RulingKind


def _stale(r: VoteRound) -> None:
    """A change after the count: the computed result no longer stands until counted again."""
    new = rules.after_change(r.state)
    if new != r.state:
        r.state = new
        r.result = ""


def get_round(ctx: Context, round_id: str) -> RoundRow:
    with ctx.store.session() as s:
        return round_row(live_round(s, round_id, editable=False)[0])


def set_round_mode(ctx: Context, round_id: str, mode: str) -> RoundRow:
    mode = rules.check_mode(mode)
    with ctx.store.session() as s:
        r, v = live_round(s, round_id)
        if r.mode == mode:
            return round_row(r)
        has = s.scalar(select(func.count()).select_from(VoteBallot).where(VoteBallot.round_id == r.id)) or \
            s.scalar(select(func.count()).select_from(VoteTotals).where(VoteTotals.round_id == r.id))
        if has:
            raise CongressError("本轮已经录入了选票或合计，不能再改变录入方式")
        r.mode = mode
        s.flush()
        ledger.append(s, v.id, "mode_set", {"round": r.number, "mode": mode})
        return round_row(r)


def set_ballot_counts(ctx: Context, round_id: str, *, issued: int, returned: int,
                      unsealed: int | None = None) -> RoundRow:
    """发出 and 收回 (and 拆封); the returned row says at once whether the round stands."""
    errors = {}
    for key, value, label in (("issued", issued, "发出"), ("returned", returned, "收回"),
                              ("unsealed", unsealed, "拆封")):
        if value is None and key == "unsealed":
            continue
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            errors[key] = f"{label}票数应为不小于 0 的整数"
    if errors:
        raise FieldErrors(errors)
    with ctx.store.session() as s:
        r, v = live_round(s, round_id)
        if issued > r.present:
            raise FieldErrors({"issued": f"发出 {issued} 张，多于实到代表 {r.present} 人"})
        if unsealed is not None and unsealed < issued:
            raise FieldErrors({"unsealed": f"拆封 {unsealed} 张，少于发出 {issued} 张"})
        if (r.issued, r.returned, r.unsealed) != (issued, returned, unsealed):
            r.issued, r.returned, r.unsealed = issued, returned, unsealed
            _stale(r)
            s.flush()
            ledger.append(s, v.id, "counts_set", {"round": r.number, "unsealed": unsealed, "issued": issued,
                                                  "returned": returned,
                                                  "stands": rules.round_stands(issued, returned)})
        return round_row(r)



def _entry_round(s: Session, round_id: str, clerk: str) -> tuple[VoteRound, VoteSession]:
    r, v = live_round(s, round_id)
    rules.check_clerk(clerk, r.mode)
    return r, v


def enter_ballot(ctx: Context, round_id: str, clerk: str, keys: str, *, doubtful: bool = False,
                 clerk_name: str = "") -> BallotEntry:
    """The next ballot of a clerk's stack: one key per item (1 赞成 2 反对 3 弃权 0 未填 9 无效)."""
    with ctx.store.session() as s:
        r, v = _entry_round(s, round_id, clerk)
        items = round_items(s, r)
        keys = rules.check_keys(v.kind, keys, len(items))
        current = queries.clerk_stack(s, r.id, clerk)
        position = max(current, default=0) + 1
        full = rules.stack_full(r.issued, r.returned, position)
        if full:
            raise CongressError(full)
        b = VoteBallot(round_id=r.id, clerk=clerk, clerk_name=clean(clerk_name), position=position, action=BallotAction.ENTRY,
                       marks=keys, doubtful=bool(doubtful))
        s.add(b)
        _stale(r)
        s.flush()
        ledger.append(s, v.id, "ballot_entered", {"round": r.number, "record": b.id, "clerk": clerk, "position": position,
                                         "marks": keys, "doubtful": bool(doubtful)})
        return queries.ballot_entry(b, v.kind, r.seats, queries.session_rules(v))


def undo_last_ballot(ctx: Context, round_id: str, clerk: str) -> BallotEntry:
    """Take back the last ballot of a clerk (an undo record on top of it; nothing is erased)."""
    with ctx.store.session() as s:
        r, v = _entry_round(s, round_id, clerk)
        current = queries.clerk_stack(s, r.id, clerk)
        if not current:
            raise CongressError("还没有录入选票，无可撤销")
        last = current[max(current)]
        undo = VoteBallot(round_id=r.id, clerk=clerk, clerk_name=last.clerk_name, position=last.position,
                          action=BallotAction.UNDO, marks="", replaces_id=last.id, reason="撤销最后一张")
        s.add(undo)
        _stale(r)
        s.flush()
        ledger.append(s, v.id, "ballot_undone", {"round": r.number, "record": undo.id, "replaces": last.id,
                                        "clerk": clerk, "position": last.position, "marks": "",
                                        "old_marks": last.marks})
        return queries.ballot_entry(last, v.kind, r.seats, queries.session_rules(v))


def correct_ballot(ctx: Context, round_id: str, clerk: str, position: int, keys: str, reason: str, *,
                   doubtful: bool | None = None) -> BallotEntry:
    """Correct one ballot of a clerk's stack; the reason is required and logged."""
    reason = clean(reason)
    if not reason:
        raise FieldErrors({"reason": "请填写更正原因"})
    with ctx.store.session() as s:
        r, v = _entry_round(s, round_id, clerk)
        items = round_items(s, r)
        keys = rules.check_keys(v.kind, keys, len(items))
        current = queries.clerk_stack(s, r.id, clerk)
        old = current.get(position)
        if old is None:
            raise NotFound(f"没有第 {position} 张选票")
        flag = old.doubtful if doubtful is None else bool(doubtful)
        b = VoteBallot(round_id=r.id, clerk=clerk, clerk_name=old.clerk_name, position=position,
                       action=BallotAction.CORRECTION, marks=keys, doubtful=flag, replaces_id=old.id, reason=reason)
        s.add(b)
        _stale(r)
        s.flush()
        ledger.append(s, v.id, "ballot_corrected", {"round": r.number, "record": b.id, "replaces": old.id, "clerk": clerk,
                                           "position": position, "old_marks": old.marks, "marks": keys,
                                           "doubtful": flag, "reason": reason})
        return queries.ballot_entry(b, v.kind, r.seats, queries.session_rules(v))


def clerk_ballots(ctx: Context, round_id: str, clerk: str) -> list[BallotEntry]:
    """One clerk's stack as it stands (the other clerk's entries are never mixed in)."""
    with ctx.store.session() as s:
        r, v = live_round(s, round_id, editable=False)
        rules = queries.session_rules(v)
        return [queries.ballot_entry(b, v.kind, r.seats, rules) for b in queries.clerk_stack(s, r.id, clerk).values()]



def differences(ctx: Context, round_id: str) -> list[Difference]:
    """Every ballot where the two clerks of a double entry differ, settled or not."""
    with ctx.store.session() as s:
        r, _v = live_round(s, round_id, editable=False)
        if r.mode != Mode.DOUBLE:
            return []
        return queries.differences_of(s, r)


def settle_difference(ctx: Context, round_id: str, position: int, keys: str, by: str, reason: str) -> Ruling:
    """A third person reads the paper ballot and records what it says, with a reason."""
    by, reason = clean(by), clean(reason)
    errors = {}
    if not by:
        errors["by"] = "请填写核定人（第三人）姓名"
    if not reason:
        errors["reason"] = "请填写核定理由"
    if errors:
        raise FieldErrors(errors)
    with ctx.store.session() as s:
        r, v = live_round(s, round_id)
        if r.mode != Mode.DOUBLE:
            raise CongressError("只有双人录入才需要核定差异")
        diff = next((d for d in queries.differences_of(s, r) if d.position == position), None)
        if diff is None:
            raise CongressError(f"第 {position} 张选票两位录入员录入一致，无需核定")
        clerks = {b.clerk_name for b in s.scalars(select(VoteBallot).where(VoteBallot.round_id == r.id))} - {""}
        if by in clerks:
            raise FieldErrors({"by": "核定差异须由录入员以外的第三人进行"})
        keys = dv.VOID if keys == dv.VOID else rules.check_keys(v.kind, keys, len(round_items(s, r)))
        x = VoteRuling(round_id=r.id, position=position, kind=RulingKind.SETTLE, marks=keys, by=by, reason=reason)
        s.add(x)
        _stale(r)
        s.flush()
        ledger.append(s, v.id, "difference_settled", {"round": r.number, "record": x.id, "position": position,
                                             "clerk_a": diff.keys_a, "clerk_b": diff.keys_b, "marks": keys,
                                             "by": by, "reason": reason})
        return queries.ruling_row(x)



def doubtful_ballots(ctx: Context, round_id: str) -> list[Doubtful]:
    with ctx.store.session() as s:
        r, _v = live_round(s, round_id, editable=False)
        return queries.doubtful_of(s, r)


def decide_doubtful(ctx: Context, round_id: str, position: int, *, valid: bool, keys: str | None, by: str,
                    reason: str) -> Ruling:
    """总监票人/监票人 decide a doubtful ballot: void, or valid with the marks they read."""
    by, reason = clean(by), clean(reason)
    errors = {}
    if not by:
        errors["by"] = "请填写认定人（总监票人、监票人）"
    if not reason:
        errors["reason"] = "请填写认定理由"
    if errors:
        raise FieldErrors(errors)
    with ctx.store.session() as s:
        r, v = live_round(s, round_id)
        entry = next((d for d in queries.doubtful_of(s, r) if d.position == position), None)
        if entry is None:
            raise CongressError(f"第 {position} 张选票未标为存疑")
        if valid:
            marks = rules.check_keys(v.kind, keys if keys is not None else entry.keys, len(round_items(s, r)))
        else:
            marks = dv.VOID
        x = VoteRuling(round_id=r.id, position=position, kind=RulingKind.DOUBTFUL, marks=marks, by=by, reason=reason)
        s.add(x)
        _stale(r)
        s.flush()
        ledger.append(s, v.id, "doubtful_decided", {"round": r.number, "record": x.id, "position": position,
                                           "marks": marks, "valid": valid, "by": by, "reason": reason})
        return queries.ruling_row(x)



def round_totals(ctx: Context, round_id: str) -> TotalsRow | None:
    with ctx.store.session() as s:
        t = queries.latest_totals(s, round_id)
        if t is None:
            return None
        return TotalsRow(t.valid, t.void, tuple(json.loads(t.counts)), t.entered_by, t.reason)


def enter_totals(ctx: Context, round_id: str, *, valid: int, void: int, counts: Sequence[Mapping[str, int]],
                 entered_by: str = "", reason: str = "") -> TotalsRow:
    """Per-item totals counted by hand; refused unless every project adds up to the valid ballots
    and valid + void = 收回 (a correction is a new record and needs a reason)."""
    with ctx.store.session() as s:
        r, v = live_round(s, round_id)
        if r.mode != Mode.TOTALS:
            raise CongressError("本轮为逐张录入选票，不录入合计")
        if r.returned is None or r.issued is None:
            raise CongressError("请先登记发出票数和收回票数")
        items = round_items(s, r)
        keys = dv.COUNTS[v.kind]
        if len(counts) != len(items):
            raise InvalidInput(f"应录入 {len(items)} 个项目的计数")
        clean_counts = []
        for c in counts:
            row = {}
            for k in keys:
                value = c.get(k, 0)
                if isinstance(value, bool) or not isinstance(value, int):
                    raise InvalidInput("计数应为整数")
                row[k] = value
            clean_counts.append(row)
        totals = dv.Totals(valid, void, tuple(clean_counts))
        problems = dv.check_totals(v.kind, queries.session_rules(v), r.returned, r.seats, totals, [i.name for i in items])
        if problems:
            raise CongressError("合计对不上，未保存：\n" + "\n".join(problems), code="totals_mismatch",
                                problems=problems)
        previous = queries.latest_totals(s, r.id)
        if previous is not None and not clean(reason):
            raise FieldErrors({"reason": "更正已录入的合计，请填写更正原因"})
        t = VoteTotals(round_id=r.id, valid=valid, void=void, counts=canonical(clean_counts),
                       entered_by=clean(entered_by), reason=clean(reason))
        s.add(t)
        _stale(r)
        s.flush()
        ledger.append(s, v.id, "totals_entered", {"round": r.number, "record": t.id, "valid": valid, "void": void,
                                         "counts": clean_counts, "by": t.entered_by, "reason": t.reason,
                                         "replaces": previous.id if previous else None})
        return TotalsRow(valid, void, tuple(clean_counts), t.entered_by, t.reason)



def round_case_json(ctx: Context, round_id: str) -> dict:
    with ctx.store.session() as s:
        r, v = live_round(s, round_id, editable=False)
        return queries.round_case(s, r, v)[0]


def round_problems(ctx: Context, round_id: str) -> list[str]:
    """What still has to be done before the round can be counted (empty: ready)."""
    with ctx.store.session() as s:
        r, v = live_round(s, round_id, editable=False)
        case, problems = queries.round_case(s, r, v)
        if not problems:
            try:
                dv.parse_case(case)
            except dv.CaseError as e:
                problems.append(e.message)
        return problems



def round_view(ctx: Context, round_id: str) -> RoundView:
    """A round with its result: the count is shown once computed (and stays as announced)."""
    with ctx.store.session() as s:
        r, v = live_round(s, round_id, editable=False)
        _case, result, problems = queries.tally_round(s, r, v)
        items = tuple(queries.item_row(i) for i in round_items(s, r))
        if r.state == RoundState.VOTING:
            result = None
        return RoundView(queries.session_row(s, v), round_row(r), items, result, tuple(problems),
                         ledger.last_hash(s, v.id))


def compute_round(ctx: Context, round_id: str) -> RoundView:
    """Count the round by ``domain.votes.tally``; refused while anything is unsettled."""
    with ctx.store.session() as s:
        r, v = live_round(s, round_id)
        _case, result, problems = queries.tally_round(s, r, v)
        if result is None:
            raise CongressError("还不能计票：\n" + "\n".join(problems), code="not_ready", problems=problems)
        data = result.to_json()
        r.result = canonical(data)
        r.state = RoundState.COMPUTED
        s.flush()
        ledger.append(s, v.id, "result_computed", {"round": r.number, "result_sha256": sha256(r.result),
                                          "round_valid": result.round_valid, "valid": result.valid_ballots,
                                          "void": result.void_ballots,
                                          "outcomes": {i.name: i.outcome for i in result.items}})
    return round_view(ctx, round_id)


def announce_round(ctx: Context, round_id: str, by: str = "") -> RoundView:
    """执行主席 announces: the round is locked; candidate projects take 确定 / 未确定."""
    with ctx.store.session() as s:
        r, v = live_round(s, round_id)
        if not rules.can_announce(r.state):
            raise CongressError("请先计票，核对结果无误后再公布")
        _case, result, _problems = queries.tally_round(s, r, v)
        if result is None or canonical(result.to_json()) != r.result:
            raise CongressError("计票后数据有变化，请重新计票")
        by = clean(by) or v.chair
        now = dt.datetime.now().replace(microsecond=0).isoformat(sep=" ")
        if v.kind == dv.PROJECT_VOTE and result.round_valid:
            items = {i.name: i for i in round_items(s, r)}
            for it in result.items:
                pid = items[it.name].project_id
                p = s.get(VoteProject, pid) if pid else None
                new = {"adopted": ProjectState.ADOPTED, "not_adopted": ProjectState.NOT_ADOPTED}.get(it.outcome)
                if p is not None and new and p.state != new:
                    p.state = new
        r.state = RoundState.ANNOUNCED
        r.announced_at = now
        r.announced_by = by
        s.flush()
        entry = ledger.append(s, v.id, "announced", {"round": r.number, "by": by, "at": now,
                                            "result_sha256": sha256(r.result),
                                            "adopted": [i.name for i in result.adopted],
                                            "revote": [i.name for i in result.revote],
                                            "revote_seats": result.revote_seats})
        r.final_hash = entry.hash
    return round_view(ctx, round_id)


def start_revote(ctx: Context, round_id: str) -> RoundRow:
    """The next round after an announced one: the whole round again when it was void; among the
    tied only for the places left; or, under ``shortfall: revote``, among those that did not pass."""
    with ctx.store.session() as s:
        r, v = live_round(s, round_id, editable=False)
        if r.state != RoundState.ANNOUNCED:
            raise CongressError("请先公布本轮结果，再进行下一轮投票")
        later = s.scalars(select(VoteRound).where(VoteRound.session_id == v.id, VoteRound.number > r.number)).first()
        if later is not None:
            raise CongressError(f"已经有第 {later.number} 轮投票")
        case, result, _problems = queries.tally_round(s, r, v)
        if case is None or result is None or canonical(result.to_json()) != r.result:
            raise CongressError("本轮现存选票与公布的结果不符，请先核验日志（votes verify）")
        plan = rules.revote_plan(case, result)
        items = {i.name: i.id for i in round_items(s, r)}
        next_ids = [items[name] for name in plan.items]
        counts = queries.attendance_counts(s, v.id)
        if not dv.quorum_met(v.all_deputies, counts["present"]):
            raise CongressError(rules.quorum_message(v.all_deputies, counts["present"]), code="no_quorum")
        n = VoteRound(session_id=v.id, number=r.number + 1, reason=plan.reason, item_ids=json.dumps(next_ids),
                      seats=plan.seats, present=counts["present"], mode=r.mode, state=RoundState.VOTING)
        s.add(n)
        s.flush()
        ledger.append(s, v.id, "round_opened", {"round": n.number, "reason": plan.reason, "mode": n.mode,
                                                "seats": plan.seats, "items": list(plan.items), "after": r.number,
                                                **counts})
        return round_row(n)



def session_outcomes(ctx: Context, session_id: str) -> list[FinalOutcome]:
    """Each item's outcome from the last announced round it took part in (for the 公告)."""
    with ctx.store.session() as s:
        v = queries.live_session(s, session_id)
        sess = queries.session_row(s, v)
        latest: dict[str, tuple[str, int, dict[str, int]]] = {}
        for r in s.scalars(select(VoteRound).where(VoteRound.session_id == v.id, VoteRound.state == RoundState.ANNOUNCED)
                           .order_by(VoteRound.number)):
            data = json.loads(r.result)
            if not data["round_valid"]:
                continue
            ids = json.loads(r.item_ids)
            for item_id, it in zip(ids, data["items"], strict=True):
                latest[item_id] = (it["outcome"], r.number, it["counts"])
        return [FinalOutcome(i, *latest.get(i.id, ("", 0, {}))) for i in sess.items]



# ------------------------------------------------------------------- the count tab, one worker call per key


def _step(ctx: Context, round_id: str, clerk: str, entry: BallotEntry, *, whole_stack: bool) -> EntryStep:
    with ctx.store.session() as s:
        r, v = live_round(s, round_id, editable=False)
        stack = None
        if whole_stack:
            stack = tuple(queries.ballot_entry(b, v.kind, r.seats, queries.session_rules(v))
                          for b in queries.clerk_stack(s, r.id, clerk).values())
        diffs = tuple(queries.differences_of(s, r)) if r.mode == Mode.DOUBLE else ()
        sizes = (len(queries.clerk_stack(s, r.id, Clerk.A)), len(queries.clerk_stack(s, r.id, Clerk.B)))
        return EntryStep(entry, stack, round_row(r), diffs, tuple(queries.doubtful_of(s, r)),
                         tuple(queries.entry_problems(s, r)), sizes)


def enter_ballot_step(ctx: Context, round_id: str, clerk: str, keys: str, *, doubtful: bool = False,
                      clerk_name: str = "") -> EntryStep:
    """:func:`enter_ballot`, and what the screen shows after it."""
    entry = enter_ballot(ctx, round_id, clerk, keys, doubtful=doubtful, clerk_name=clerk_name)
    return _step(ctx, round_id, clerk, entry, whole_stack=False)


def undo_step(ctx: Context, round_id: str, clerk: str) -> EntryStep:
    """:func:`undo_last_ballot`, and the clerk's stack as it now stands."""
    entry = undo_last_ballot(ctx, round_id, clerk)
    return _step(ctx, round_id, clerk, entry, whole_stack=True)


def correct_step(ctx: Context, round_id: str, clerk: str, fix: BallotFix) -> EntryStep:
    """:func:`correct_ballot`, and the clerk's stack as it now stands."""
    entry = correct_ballot(ctx, round_id, clerk, fix.position, fix.keys, fix.reason, doubtful=fix.doubtful)
    return _step(ctx, round_id, clerk, entry, whole_stack=True)



def count_view(ctx: Context, round_id: str, clerk: str = Clerk.A) -> CountView:
    """What the count tab shows of a round for ``clerk`` (the other clerk's stack only as a size)."""
    view = round_view(ctx, round_id)
    r = view.round
    if r.mode == Mode.TOTALS:
        return CountView(view, (), (), (), (0, 0), round_totals(ctx, round_id))
    with ctx.store.session() as s:
        vr, v = live_round(s, round_id, editable=False)
        round_rules = queries.session_rules(v)
        stacks = {c: queries.clerk_stack(s, vr.id, c) for c in (Clerk.A, Clerk.B)}
        stack = tuple(queries.ballot_entry(b, v.kind, vr.seats, round_rules)
                      for b in stacks[Clerk(clerk)].values())
        diffs = tuple(queries.differences_of(s, vr)) if vr.mode == Mode.DOUBLE else ()
        return CountView(view, stack, diffs, tuple(queries.doubtful_of(s, vr)),
                         (len(stacks[Clerk.A]), len(stacks[Clerk.B])), None)
