"""Tables of 票决 and 测评: candidate projects, vote sessions with their roster snapshot, rounds,
ballots, rulings, hand-count totals and the hash-chained vote log.

Ballots carry no link to any deputy (无记名): only the round, the clerk who typed them and their
place in that clerk's stack. Ballots, rulings, totals and log entries are written once and never
changed: a correction or an undo is a new row on top of the one it replaces."""

from __future__ import annotations

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column

from congress_desktop.core.store.models import Base, Synced


class VoteProject(Synced, Base):
    """A 民生实事 candidate project (候选项目) through its lifecycle (VOTES.md)."""

    __tablename__ = "vote_project"
    year: Mapped[int] = mapped_column(Integer, index=True)
    number: Mapped[str] = mapped_column(String(30), default="")
    name: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(30), default="")
    content: Mapped[str] = mapped_column(Text, default="")       # 建设内容及目标
    place_code: Mapped[str] = mapped_column(String(12), default="")  # village region code
    investment: Mapped[str] = mapped_column(String(20), default="")  # 万元, exact decimal text
    funding: Mapped[str] = mapped_column(String(100), default="")
    unit: Mapped[str] = mapped_column(String(100), default="")       # 实施单位
    person: Mapped[str] = mapped_column(String(50), default="")      # 责任人
    deadline: Mapped[str] = mapped_column(String(10), default="")
    beneficiaries: Mapped[str] = mapped_column(String(200), default="")
    source: Mapped[str] = mapped_column(String(100), default="")
    ballot_order: Mapped[int] = mapped_column(Integer, default=0)
    state: Mapped[str] = mapped_column(String(10), default="征集")
    note: Mapped[str] = mapped_column(Text, default="")


class VoteSession(Synced, Base):
    """A 票决 or 测评 at a congress session, with its officers, rules and N places."""

    __tablename__ = "vote_session"
    number: Mapped[int] = mapped_column(Integer, index=True)  # 1, 2, ... what people and scripts type
    title: Mapped[str] = mapped_column(String(200))
    date: Mapped[str] = mapped_column(String(10), default="")
    kind: Mapped[str] = mapped_column(String(20))  # project_vote / satisfaction
    seats: Mapped[int] = mapped_column(Integer, default=0)
    rules: Mapped[str] = mapped_column(Text, default="{}")  # domain.votes.Rules.as_dict() as JSON
    chair: Mapped[str] = mapped_column(String(50), default="")
    chief_scrutineer: Mapped[str] = mapped_column(String(50), default="")
    scrutineers: Mapped[str] = mapped_column(String(200), default="")  # names joined by 、
    tellers: Mapped[str] = mapped_column(String(200), default="")
    all_deputies: Mapped[int] = mapped_column(Integer, default=0)  # 全体代表 at the snapshot
    note: Mapped[str] = mapped_column(Text, default="")


class VoteItem(Synced, Base):
    """One line of the ballot: a project (票决) or a unit/topic (测评)."""

    __tablename__ = "vote_item"
    session_id: Mapped[str] = mapped_column(ForeignKey("vote_session.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    project_id: Mapped[str | None] = mapped_column(ForeignKey("vote_project.id"), nullable=True)
    investment: Mapped[str] = mapped_column(String(20), default="")
    unit: Mapped[str] = mapped_column(String(100), default="")


class VoteAttendance(Synced, Base):
    """The roster snapshot: every deputy in office when the session was set up, and the roll call."""

    __tablename__ = "vote_attendance"
    session_id: Mapped[str] = mapped_column(ForeignKey("vote_session.id"), index=True)
    deputy_id: Mapped[str] = mapped_column(ForeignKey("deputy.id"))
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(50))
    status: Mapped[str] = mapped_column(String(4), default="出席")  # 出席 / 请假 / 缺席
    __table_args__ = (UniqueConstraint("session_id", "deputy_id"),)


class VoteRound(Synced, Base):
    """One round of voting; a re-vote is a new round, a void round stays on record."""

    __tablename__ = "vote_round"
    session_id: Mapped[str] = mapped_column(ForeignKey("vote_session.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(10), default="first")  # first / tie / shortfall / void
    item_ids: Mapped[str] = mapped_column(Text, default="[]")  # JSON: vote_item ids in ballot order
    seats: Mapped[int] = mapped_column(Integer, default=0)
    present: Mapped[int] = mapped_column(Integer, default=0)
    mode: Mapped[str] = mapped_column(String(10), default="single")  # single / double / totals
    unsealed: Mapped[int | None] = mapped_column(Integer, nullable=True)  # 拆封
    issued: Mapped[int | None] = mapped_column(Integer, nullable=True)    # 发出
    returned: Mapped[int | None] = mapped_column(Integer, nullable=True)  # 收回
    state: Mapped[str] = mapped_column(String(10), default="voting")  # voting / computed / announced
    result: Mapped[str] = mapped_column(Text, default="")  # TallyResult.to_json() as JSON
    announced_at: Mapped[str] = mapped_column(String(20), default="")
    announced_by: Mapped[str] = mapped_column(String(50), default="")
    final_hash: Mapped[str] = mapped_column(String(64), default="")
    __table_args__ = (UniqueConstraint("session_id", "number"),)


class VoteBallot(Synced, Base):
    """One ballot as one clerk typed it (marks as keys: 1 赞成 2 反对 3 弃权 0 未填 9 无效).

    ``replaces_id`` points at the entry a correction or an undo stands on top of."""

    __tablename__ = "vote_ballot"
    round_id: Mapped[str] = mapped_column(ForeignKey("vote_round.id"), index=True)
    clerk: Mapped[str] = mapped_column(String(1), default="A")  # A / B (双人录入)
    clerk_name: Mapped[str] = mapped_column(String(50), default="")
    position: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(10), default="entry")  # entry / correction / undo
    marks: Mapped[str] = mapped_column(String(200), default="")
    doubtful: Mapped[bool] = mapped_column(Boolean, default=False)
    replaces_id: Mapped[str | None] = mapped_column(ForeignKey("vote_ballot.id"), nullable=True)
    reason: Mapped[str] = mapped_column(String(200), default="")


class VoteRuling(Synced, Base):
    """A decision on the ballot at one position: a double-entry difference settled by a third
    person, or a doubtful ballot decided by 总监票人/监票人. The newest ruling for a place wins."""

    __tablename__ = "vote_ruling"
    round_id: Mapped[str] = mapped_column(ForeignKey("vote_round.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(10))  # settle / doubtful
    marks: Mapped[str] = mapped_column(String(200))  # keys, or 'void'
    by: Mapped[str] = mapped_column(String(100))
    reason: Mapped[str] = mapped_column(String(200))


class VoteTotals(Synced, Base):
    """Hand-counted totals of a round; a correction is a new row (the newest wins)."""

    __tablename__ = "vote_totals"
    round_id: Mapped[str] = mapped_column(ForeignKey("vote_round.id"), index=True)
    valid: Mapped[int] = mapped_column(Integer)
    void: Mapped[int] = mapped_column(Integer)
    counts: Mapped[str] = mapped_column(Text)  # JSON: per item {count key: n}
    entered_by: Mapped[str] = mapped_column(String(50), default="")
    reason: Mapped[str] = mapped_column(String(200), default="")


class VoteLog(Synced, Base):
    """Append-only log of a session: each entry carries the hash of the one before it
    (sha256 over canonical JSON), so changing or removing any entry breaks the chain."""

    __tablename__ = "vote_log"
    session_id: Mapped[str] = mapped_column(ForeignKey("vote_session.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    at: Mapped[str] = mapped_column(String(32))  # ISO text: hashed as written
    user: Mapped[str] = mapped_column(String(100), default="")
    action: Mapped[str] = mapped_column(String(30))
    detail: Mapped[str] = mapped_column(Text, default="{}")  # canonical JSON
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    __table_args__ = (UniqueConstraint("session_id", "seq"),)


def _refuse_change(_mapper, _conn, target) -> None:
    raise RuntimeError(f"{type(target).__tablename__} rows are written once and never changed")


for _model in (VoteBallot, VoteRuling, VoteTotals, VoteLog):
    event.listen(_model, "before_update", _refuse_change)
    event.listen(_model, "before_delete", _refuse_change)
