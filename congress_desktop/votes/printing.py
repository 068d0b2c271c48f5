"""Printing a 票决/测评: gather the session, round and result, hand them to ``reports.votes``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from congress_desktop.core.context import Cancel, Context, Progress, never_cancel, no_progress
from congress_desktop.core.errors import CongressError
from congress_desktop.votes import report as rv
from congress_desktop.votes.rows import RoundRow
from congress_desktop.votes.service import attendance, get_session, round_view, session_outcomes
from congress_desktop.votes.vocab import Mode, RoundReason, RoundState

DOCUMENTS = {
    "attendance": "出席情况报告单",
    "ballots": "选票",
    "distribution": "选票分发/收回报告单",
    "tally-sheet": "计票单（空白，手工计票用）",
    "tally-filled": "计票单（计票结果）",
    "result": "结果报告单",
    "notice": "公告",
}


def _round(ctx: Context, session_id: str, round_number: int | None):
    sess = get_session(ctx, session_id)
    if not sess.rounds:
        raise CongressError("还没有开始投票：请先完成点名并点击“开始投票”")
    r = sess.round(round_number) if round_number else sess.rounds[-1]
    return sess, r


def print_attendance(ctx: Context, session_id: str, out: str | Path) -> int:
    office = ctx.require_office()
    return rv.render_attendance(out, office.name, get_session(ctx, session_id), attendance(ctx, session_id))


@dataclass(frozen=True)
class Job:
    """The progress and cancel of a printout made off the GUI thread."""

    progress: Progress = no_progress
    cancel: Cancel = never_cancel


def print_ballots(ctx: Context, session_id: str, out: str | Path, *, copies: int | None = None,
                  per_page: int = 1, round_number: int | None = None, job: Job = Job()) -> int:
    """As many ballots as 实到 (or ``copies``); the round's items (a re-vote prints only the tied)."""
    office = ctx.require_office()
    sess = get_session(ctx, session_id)
    if sess.rounds:
        sess, r = _round(ctx, session_id, round_number)
        view = round_view(ctx, r.id)
        items = view.items
    else:
        # before voting opens, a ballot of all the items for the printer (round 1)
        r = RoundRow("", 1, RoundReason.FIRST, tuple(i.id for i in sess.items), sess.seats, sess.present,
                     Mode.SINGLE, None, None, None, RoundState.VOTING, "", "", "")
        items = sess.items
    sheet = rv.BallotSheet(copies or r.present or sess.present, per_page, job.progress, job.cancel)
    return rv.render_ballots(out, office.name, sess, r, items, sheet)


def print_distribution(ctx: Context, session_id: str, out: str | Path, *, round_number: int | None = None) -> int:
    office = ctx.require_office()
    sess, r = _round(ctx, session_id, round_number)
    return rv.render_distribution(out, office.name, sess, r)


def print_tally_sheet(ctx: Context, session_id: str, out: str | Path, *, filled: bool = False,
                      round_number: int | None = None) -> int:
    office = ctx.require_office()
    sess, r = _round(ctx, session_id, round_number)
    view = round_view(ctx, r.id)
    if filled and view.result is None:
        raise CongressError("本轮还没有计票结果")
    return rv.render_tally_sheet(out, office.name, sess, r, view.items, view.result if filled else None)


def print_result_report(ctx: Context, session_id: str, out: str | Path, *, round_number: int | None = None) -> int:
    office = ctx.require_office()
    sess, r = _round(ctx, session_id, round_number)
    view = round_view(ctx, r.id)
    if view.result is None:
        raise CongressError("本轮还没有计票结果：请先计票")
    final = r.final_hash if r.locked else view.last_hash
    return rv.render_result_report(out, office.name, sess, r, view.result, rv.ResultStamp(final, r.locked))


def print_notice(ctx: Context, session_id: str, out: str | Path) -> int:
    office = ctx.require_office()
    return rv.render_notice(out, office.name, get_session(ctx, session_id), session_outcomes(ctx, session_id))


def print_document(ctx: Context, session_id: str, doc: str, out: str | Path, job: Job = Job(), **kw) -> int:
    """One of ``DOCUMENTS`` by key (the GUI's print menu and the command line use this); ``job``
    carries the progress and cancel of the ballots, the one long printout."""
    if doc == "attendance":
        return print_attendance(ctx, session_id, out)
    if doc == "ballots":
        return print_ballots(ctx, session_id, out, job=job, **kw)
    if doc == "distribution":
        return print_distribution(ctx, session_id, out, **kw)
    if doc in ("tally-sheet", "tally-filled"):
        return print_tally_sheet(ctx, session_id, out, filled=doc == "tally-filled", **kw)
    if doc == "result":
        return print_result_report(ctx, session_id, out, **kw)
    if doc == "notice":
        return print_notice(ctx, session_id, out)
    raise CongressError(f"未知的文档“{doc}”")
