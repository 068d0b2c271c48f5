"""The hash-chained log of a session: every change is one entry written in the same unit of work,
hashed over its canonical JSON together with the hash of the entry before (``prev``), so a changed,
removed or reordered entry breaks the chain. :func:`verify_session` checks the chain, that every
ballot, ruling and totals record matches the entry written with it, and that every counted round
still gives the result that was computed.

The bytes hashed are ``core.files.canonical_json`` (sorted keys, no spaces, Chinese kept): the
spelling the chain has always used, so old logs verify unchanged."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from congress_desktop.core.context import Context
from congress_desktop.core.files import canonical_json
from congress_desktop.core.store.models import utcnow
from congress_desktop.core.store.models_votes import VoteBallot, VoteLog, VoteRound, VoteRuling, VoteTotals
from congress_desktop.votes import queries
from congress_desktop.votes.rows import ACTION_LABELS, LogEntry, VerifyResult
from congress_desktop.votes.vocab import RoundState

GENESIS = "0" * 64
canonical = canonical_json  # the one JSON spelling hashes are taken over


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def hash_entry(session_id: str, seq: int, at: str, user: str, action: str, detail: Any, prev: str) -> str:
    return sha256(canonical({"session": session_id, "seq": seq, "at": at, "user": user, "action": action,
                             "detail": detail, "prev": prev}))


def _last(s: Session, session_id: str) -> VoteLog | None:
    return s.scalars(select(VoteLog).where(VoteLog.session_id == session_id).order_by(VoteLog.seq.desc())).first()


def last_hash(s: Session, session_id: str) -> str:
    last = _last(s, session_id)
    return last.hash if last else GENESIS


def append(s: Session, session_id: str, action: str, detail: Mapping[str, Any]) -> VoteLog:
    """Append one entry in the same unit of work as the change it records."""
    prev = _last(s, session_id)
    seq = prev.seq + 1 if prev else 1
    prev_hash = prev.hash if prev else GENESIS
    at = utcnow().isoformat(timespec="microseconds")
    user = s.info.get("user", "")
    body = json.loads(canonical(dict(detail)))
    entry = VoteLog(session_id=session_id, seq=seq, at=at, user=user, action=action, detail=canonical(body),
                    prev_hash=prev_hash, hash=hash_entry(session_id, seq, at, user, action, body, prev_hash))
    s.add(entry)
    s.flush()
    return entry


def log_entries(ctx: Context, session_id: str) -> list[LogEntry]:
    with ctx.store.session() as s:
        queries.live_session(s, session_id)
        return [LogEntry(e.seq, e.at, e.user, e.action, json.loads(e.detail), e.prev_hash, e.hash)
                for e in s.scalars(select(VoteLog).where(VoteLog.session_id == session_id).order_by(VoteLog.seq))]


def _check_chain(session_id: str, logs: list[VoteLog], problems: list[str]
                 ) -> tuple[dict[str, dict[str, Any]], dict[int, str]]:
    """Each entry's hash and its link to the one before; returns the details by record and the
    result hashes by round number."""
    prev = GENESIS
    by_record: dict[str, dict[str, Any]] = {}
    computed: dict[int, str] = {}
    for n, e in enumerate(logs, start=1):
        if e.seq != n:
            problems.append(f"日志第 {n} 条缺失或顺序被改动（见到的是第 {e.seq} 条）")
        try:
            detail = json.loads(e.detail)
        except json.JSONDecodeError:
            problems.append(f"日志第 {e.seq} 条内容已损坏")
            prev = e.hash
            continue
        if e.prev_hash != prev:
            problems.append(f"日志第 {e.seq} 条记录的前一条哈希与第 {e.seq - 1} 条不符（链条断开）")
        if hash_entry(session_id, e.seq, e.at, e.user, e.action, detail, e.prev_hash) != e.hash:
            problems.append(f"日志第 {e.seq} 条（{ACTION_LABELS.get(e.action, e.action)}）的内容与其哈希不符，已被改动")
        prev = e.hash
        if "record" in detail:
            by_record[detail["record"]] = detail
        if e.action in ("result_computed", "announced"):
            computed[detail["round"]] = detail["result_sha256"]
    return by_record, computed


def _check_records(s: Session, r: VoteRound, by_record: Mapping[str, Mapping[str, Any]], problems: list[str]) -> None:
    for b in s.scalars(select(VoteBallot).where(VoteBallot.round_id == r.id)):
        d = by_record.get(b.id)
        if d is None or d.get("marks") != b.marks or d.get("position") != b.position or d.get("clerk") != b.clerk:
            problems.append(f"第 {r.number} 轮第 {b.position} 张选票（录入员 {b.clerk}）与日志记录不符")
    for x in s.scalars(select(VoteRuling).where(VoteRuling.round_id == r.id)):
        d = by_record.get(x.id)
        if d is None or d.get("marks") != x.marks or d.get("position") != x.position:
            problems.append(f"第 {r.number} 轮第 {x.position} 张选票的核定/认定记录与日志不符")
    for t in s.scalars(select(VoteTotals).where(VoteTotals.round_id == r.id)):
        d = by_record.get(t.id)
        if d is None or d.get("valid") != t.valid or d.get("void") != t.void or canonical(d.get("counts")) != t.counts:
            problems.append(f"第 {r.number} 轮手工计票合计与日志记录不符")


def verify_session(ctx: Context, session_id: str) -> VerifyResult:
    """Check the chain, the records against their entries, and every counted round's result."""
    problems: list[str] = []
    with ctx.store.session() as s:
        v = queries.live_session(s, session_id)
        logs = list(s.scalars(select(VoteLog).where(VoteLog.session_id == v.id).order_by(VoteLog.seq)))
        by_record, computed = _check_chain(v.id, logs, problems)
        for r in s.scalars(select(VoteRound).where(VoteRound.session_id == v.id).order_by(VoteRound.number)):
            _check_records(s, r, by_record, problems)
            if r.state in (RoundState.COMPUTED, RoundState.ANNOUNCED):
                if computed.get(r.number) != sha256(r.result):
                    problems.append(f"第 {r.number} 轮保存的结果与日志记录的结果不符")
                _case, result, why = queries.tally_round(s, r, v)
                if result is None or canonical(result.to_json()) != r.result:
                    problems.append(f"第 {r.number} 轮按现存选票重新计票，结果与"
                                    f"{'公布' if r.state == RoundState.ANNOUNCED else '计算'}时不符"
                                    + (f"（{why[0]}）" if why else ""))
            if r.state == RoundState.ANNOUNCED and r.final_hash and all(e.hash != r.final_hash for e in logs):
                problems.append(f"第 {r.number} 轮报告单上的日志哈希在日志中找不到")
        final = logs[-1].hash if logs else GENESIS
    return VerifyResult(not problems, len(logs), final, tuple(problems))
