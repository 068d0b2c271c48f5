"""The closed vocabularies a vote's records use, as ``StrEnum``s whose members are the stored words
(so the database, the packages and the case files are unchanged), with their Chinese labels.

Pure: no database, no other module of ours. ``tally`` and ``rules`` build on it; ``sync.content``
checks received records against it (through ``tally``'s tuples)."""

from __future__ import annotations

from enum import StrEnum


class ProjectState(StrEnum):
    """A candidate project's state, from 征集 to 完成; a 票决 sets 确定 / 未确定 when announced."""

    COLLECTING = "征集"
    SCREENING = "筛选论证"
    CANDIDATE = "正式候选"
    ADOPTED = "确定"
    NOT_ADOPTED = "未确定"
    UNDERWAY = "实施中"
    DONE = "完成"


class Attendance(StrEnum):
    """A deputy's row in a session's roll call. ``NOT_ON_ROLL``: a deputy who left the roster (synced
    rows are never deleted); the roll call itself only sets the first three (:data:`ROLL_CALL`)."""

    PRESENT = "出席"
    ON_LEAVE = "请假"
    ABSENT = "缺席"
    NOT_ON_ROLL = "不在册"


class Mode(StrEnum):
    """How a round's ballots are entered."""

    SINGLE = "single"
    DOUBLE = "double"
    TOTALS = "totals"


class RoundState(StrEnum):
    """voting -> computed -> announced (locked); a change after the count sends it back to voting."""

    VOTING = "voting"
    COMPUTED = "computed"
    ANNOUNCED = "announced"


class RoundReason(StrEnum):
    FIRST = "first"
    TIE = "tie"
    SHORTFALL = "shortfall"
    VOID = "void"


class Clerk(StrEnum):
    A = "A"
    B = "B"


class BallotAction(StrEnum):
    ENTRY = "entry"
    CORRECTION = "correction"
    UNDO = "undo"


class RulingKind(StrEnum):
    SETTLE = "settle"
    DOUBTFUL = "doubtful"


PROJECT_STATES: tuple[ProjectState, ...] = tuple(ProjectState)
ATTENDANCE: tuple[Attendance, ...] = tuple(Attendance)          # the whole vocabulary, 不在册 included
ROLL_CALL: tuple[Attendance, ...] = (Attendance.PRESENT, Attendance.ON_LEAVE, Attendance.ABSENT)
NOT_ON_ROLL = Attendance.NOT_ON_ROLL
MODES: dict[str, str] = {Mode.SINGLE: "单人录入", Mode.DOUBLE: "双人录入（两人分别录入，核对差异）",
                          Mode.TOTALS: "手工计票后录入合计"}
ROUND_REASONS: dict[str, str] = {
    RoundReason.FIRST: "首轮投票", RoundReason.TIE: "得票相等，在并列项目中再次投票",
    RoundReason.SHORTFALL: "通过项目不足，另行投票", RoundReason.VOID: "上轮投票无效，重新投票"}
ROUND_STATES: dict[str, str] = {RoundState.VOTING: "投票计票中", RoundState.COMPUTED: "已计票，待公布",
                                       RoundState.ANNOUNCED: "已公布（锁定）"}
CLERKS: dict[str, str] = {Clerk.A: "第一录入员", Clerk.B: "第二录入员"}
BALLOT_ACTIONS: tuple[BallotAction, ...] = tuple(BallotAction)
RULING_KINDS: tuple[RulingKind, ...] = tuple(RulingKind)
