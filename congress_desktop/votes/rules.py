"""The rules of a 票决/测评 that need no database: project and draft checks, the round's state
machine, a clerk's ballot stack, what the key line says of a ballot being typed, which hand-count
columns a round has, whether a round stands, and what the next round is after an announced one.

The services (votes/service.py, votes/rounds.py) and the widgets (ui/pages/votes/) both call
these, so a rule is written once. The count itself is ``votes.tally``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol, TypeVar

from congress_desktop.core.dates import DateError, parse_date
from congress_desktop.core.errors import CongressError, FieldErrors, InvalidInput
from congress_desktop.core.files import canonical_json
from congress_desktop.core.text import clean
from congress_desktop.votes import tally as dv
from congress_desktop.votes.vocab import (
    ATTENDANCE,
    CLERKS,
    MODES,
    NOT_ON_ROLL,
    PROJECT_STATES,
    ROLL_CALL,
    ROUND_REASONS,
    ROUND_STATES,
    Attendance,
    BallotAction,
    Clerk,
    Mode,
    ProjectState,
    RoundReason,
    RoundState,
    RulingKind,
)

__all__ = [
    "ATTENDANCE", "CLERKS", "MODES", "NOT_ON_ROLL", "PROJECT_STATES", "ROLL_CALL", "ROUND_REASONS",
    "ROUND_STATES", "Attendance", "BallotAction", "Clerk", "Mode", "ProjectState", "RoundReason", "RoundState",
    "RulingKind",
]

CATEGORIES = ("乡村振兴", "社会保障", "教育", "医疗", "交通", "人居环境", "文化体育", "农业农村", "其他")

PROJECT_LABELS = {
    "year": "年度", "number": "编号", "name": "项目名称", "category": "类别", "content": "建设内容及目标",
    "place": "实施地点", "investment": "总投资（万元）", "funding": "资金来源", "unit": "实施单位",
    "person": "责任人", "deadline": "完成时限", "beneficiaries": "受益群众", "source": "项目来源",
    "ballot_order": "选票顺序", "state": "状态", "note": "备注",
}



def place_code(value: object, places: Mapping[str, str], key: Callable[[str], str] = str.strip) -> str:
    """A village code or name -> code ('' when empty); FieldErrors when it is not a village of ours.
    ``key`` spells a name the way villages are matched (the service passes ``places.villages.village_key``)."""
    text = clean(value)
    if not text:
        return ""
    if text in places:
        return text
    for code, name in places.items():
        if text == name or key(text) == key(name):
            return code
    raise FieldErrors({"place": f"实施地点“{text}”不是本乡镇的村(社区)，请填写村(社区)名称或区划代码"})


def normalise_project(raw: Mapping[str, Any], places: Mapping[str, str],
                      place_key: Callable[[str], str] = str.strip) -> dict[str, Any]:
    """Check a typed or imported project; every bad field at once (FieldErrors)."""
    errors: dict[str, str] = {}
    out: dict[str, Any] = {}
    name = clean(raw.get("name"))
    if not name:
        errors["name"] = "项目名称不能为空"
    elif len(name) > 200:
        errors["name"] = "项目名称不能超过 200 个字"
    out["name"] = name
    year_text = clean(raw.get("year")).removesuffix("年")
    try:
        year = int(float(year_text)) if year_text else dt.date.today().year
        if not 2000 <= year <= 2100:
            raise ValueError
        out["year"] = year
    except ValueError:
        errors["year"] = f"年度“{year_text}”应为四位年份，如 2026"
    inv = clean(raw.get("investment")).replace(",", "").replace("，", "").removesuffix("万元").removesuffix("万")
    if inv:
        try:
            d = Decimal(inv)
            if d < 0 or not d.is_finite():
                raise InvalidOperation
            out["investment"] = format(d.normalize(), "f")
        except InvalidOperation:
            errors["investment"] = f"总投资“{inv}”应为不小于 0 的数（单位：万元）"
    else:
        out["investment"] = ""
    try:
        out["deadline"] = parse_date(raw.get("deadline"), allow_month=True)
    except DateError as e:
        errors["deadline"] = f"完成时限：{e}"
    state = clean(raw.get("state")) or ProjectState.COLLECTING
    if state not in PROJECT_STATES:
        errors["state"] = f"状态应为 {'、'.join(PROJECT_STATES)} 之一"
    out["state"] = state
    order_text = clean(raw.get("ballot_order"))
    try:
        out["ballot_order"] = int(float(order_text)) if order_text else 0
    except ValueError:
        errors["ballot_order"] = "选票顺序应为整数"
    try:
        out["place_code"] = place_code(raw.get("place", raw.get("place_code")), places, place_key)
    except FieldErrors as e:
        errors.update(e.errors)
    for key, limit in (("number", 30), ("category", 30), ("funding", 100), ("unit", 100), ("person", 50),
                       ("beneficiaries", 200), ("source", 100)):
        value = clean(raw.get(key))
        if len(value) > limit:
            errors[key] = f"{PROJECT_LABELS[key]}不能超过 {limit} 个字"
        out[key] = value
    out["content"] = str(raw.get("content") or "").strip()
    out["note"] = str(raw.get("note") or "").strip()
    if errors:
        raise FieldErrors(errors)
    return out


def check_project_state(state: str) -> ProjectState:
    if state not in PROJECT_STATES:
        raise InvalidInput(f"状态应为 {'、'.join(PROJECT_STATES)} 之一")
    return ProjectState(state)


# ------------------------------------------------------------------ the draft of a session


def split_names(value: object) -> tuple[str, ...]:
    """Officers' names typed as a list or one text ('王监票、赵监票', '王, 赵' ...) -> the names."""
    if isinstance(value, (list, tuple)):
        parts = [clean(v) for v in value]
    else:
        text = clean(value)
        for sep in "，,;；/ ":
            text = text.replace(sep, "、")
        parts = text.split("、")
    return tuple(p for p in parts if p)


def seats_problem(kind: str, seats: int, n_items: int) -> str:
    """Why the places of a 票决 are wrong ('' when right): :func:`tally.seats_allowed`, the one 差额 rule."""
    if kind != dv.PROJECT_VOTE:
        return ""
    if seats < 1:
        return "请填写应确定的项目数（N），至少为 1"
    if n_items and not dv.seats_allowed(seats, n_items):
        return f"票决实行差额：候选项目（{n_items} 个）应多于应确定的项目数（{seats} 个）"
    return ""


class ProjectLike(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def investment(self) -> str: ...
    @property
    def unit(self) -> str: ...


def _draft_items(raw_items: Iterable[Any], project: Callable[[str], Any],
                 errors: dict[str, str]) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for it in raw_items:
        if isinstance(it, str):
            it = {"name": it}
        pid = it.get("project_id")
        if pid:
            p = project(pid)
            if p is None:
                errors["items"] = "所选项目中有已删除的项目"
                continue
            items.append({"name": p.name, "project_id": p.id, "investment": p.investment, "unit": p.unit})
        else:
            name = clean(it.get("name"))
            if name:
                items.append({"name": name, "project_id": None, "investment": clean(it.get("investment")),
                              "unit": clean(it.get("unit"))})
    return items


def _seats(raw: Mapping[str, Any]) -> int:
    text = clean(raw.get("seats"))
    try:
        return int(text) if text else 0
    except ValueError:
        return -1


def check_draft(raw: Mapping[str, Any], project: Callable[[str], Any]
                ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A session's settings and items as typed -> (columns, items); every bad field at once.
    ``project(id)`` gives a live candidate project (a :class:`ProjectLike`), or None when it is deleted."""
    errors: dict[str, str] = {}
    out: dict[str, Any] = {}
    out["title"] = clean(raw.get("title"))
    if not out["title"]:
        errors["title"] = "请填写会议名称，如“某镇第十九届人民代表大会第三次会议”"
    try:
        out["date"] = parse_date(raw.get("date")) or dt.date.today().isoformat()
    except DateError as e:
        errors["date"] = f"日期：{e}"
    kind = raw.get("kind") or dv.PROJECT_VOTE
    if kind not in dv.KINDS:
        errors["kind"] = "表决类型应为票决或测评"
    out["kind"] = kind
    try:
        out["rules"] = canonical_json(dv.Rules.from_dict(raw.get("rules") or {}).as_dict())
    except dv.CaseError as e:
        errors["rules"] = e.message
    for key in ("chair", "chief_scrutineer"):
        out[key] = clean(raw.get(key))
    out["scrutineers"] = "、".join(split_names(raw.get("scrutineers")))
    out["tellers"] = "、".join(split_names(raw.get("tellers")))
    out["note"] = str(raw.get("note") or "").strip()
    items = _draft_items(raw.get("items") or (), project, errors)
    names = [i["name"] for i in items]
    if not items:
        errors["items"] = "请至少列入一个项目" if kind == dv.PROJECT_VOTE else "请至少列入一个测评对象"
    elif len(set(names)) != len(names):
        errors["items"] = f"“{next(x for x in names if names.count(x) > 1)}”列入了两次"
    seats = _seats(raw) if kind == dv.PROJECT_VOTE else 0
    problem = seats_problem(kind, seats, len(items))
    if problem:
        errors["seats"] = problem
    out["seats"] = seats
    if errors:
        raise FieldErrors(errors)
    return out, items


def check_roll_call(marks: Mapping[str, str]) -> None:
    """A roll call sets 出席/请假/缺席 only (不在册 is the roster's word, never typed)."""
    bad = [st for st in marks.values() if st not in ROLL_CALL]
    if bad:
        raise InvalidInput(f"出席情况应为 {'、'.join(ROLL_CALL)} 之一，而不是“{bad[0]}”")


def check_mode(mode: str) -> Mode:
    if mode not in MODES:
        raise InvalidInput(f"录入方式应为 {'、'.join(MODES)} 之一")
    return Mode(mode)


def quorum_message(all_deputies: int, present: int) -> str:
    need = dv.quorum_needed(all_deputies)
    if dv.quorum_met(all_deputies, present):
        return f"全体代表 {all_deputies} 人，实到 {present} 人，达到三分之二（{need} 人），可以表决"
    return (f"实到 {present} 人，不足全体代表 {all_deputies} 人的三分之二（至少 {need} 人），"
            f"不能开始表决（地方组织法第十四条）")


# ------------------------------------------------------------------ the round's state machine


def editable(state: str) -> bool:
    """An announced round is locked: nothing in it changes any more."""
    return state != RoundState.ANNOUNCED


def after_change(state: str) -> RoundState:
    """A ballot, ruling, totals or count entered: a computed result no longer stands until counted again."""
    return RoundState.VOTING if state == RoundState.COMPUTED else RoundState(state)


def can_announce(state: str) -> bool:
    return state == RoundState.COMPUTED


def round_stands(issued: int | None, returned: int | None) -> bool | None:
    """收回 <= 发出: the round stands; None until both are known (地方组织法: 收回多于发出，投票无效)."""
    if issued is None or returned is None:
        return None
    return returned <= issued


def stack_full(issued: int | None, returned: int | None, position: int) -> str:
    """Why ballot ``position`` cannot be entered ('' when it can): a standing round has exactly 收回 ballots."""
    if round_stands(issued, returned) and returned is not None and position > returned:
        return (f"本轮收回 {returned} 张，已录入 {returned} 张，不能再录入；"
                "如收回票数登记有误，请先更正收回票数")
    return ""


def check_clerk(clerk: str, mode: str) -> Clerk:
    if mode == Mode.TOTALS:
        raise CongressError("本轮按手工计票录入合计，不逐张录入选票")
    if clerk not in CLERKS or (clerk == Clerk.B and mode != Mode.DOUBLE):
        raise InvalidInput("录入员应为 A" + ("或 B" if mode == Mode.DOUBLE else ""))
    return Clerk(clerk)


def count_columns(kind: str, rules: dv.Rules) -> tuple[str, ...]:
    """The columns a hand count has per item: 未投 only when blank marks count as not voted."""
    return tuple(k for k in dv.COUNTS[kind] if k != "not_voted" or rules.blank == "not_voted")


# ------------------------------------------------------------------ a clerk's ballot stack


class BallotRecord(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def position(self) -> int: ...
    @property
    def action(self) -> str: ...
    @property
    def replaces_id(self) -> str | None: ...


B = TypeVar("B")  # a BallotRecord: a VoteBallot row, or any object with those attributes


def effective_stack(rows: Iterable[B]) -> dict[int, B]:
    """One clerk's ballots as they stand, by position: records nothing replaced, undos left out
    (each row a :class:`BallotRecord`)."""
    records: list[Any] = list(rows)
    replaced = {b.replaces_id for b in records if b.replaces_id}
    return {b.position: b for b in sorted(records, key=lambda b: b.position)
            if b.id not in replaced and b.action != BallotAction.UNDO}


def check_keys(kind: str, keys: str, n_items: int) -> str:
    """One key per item ('12309'); spaces dropped; InvalidInput naming a wrong key or a wrong count."""
    keys = clean(keys).replace(" ", "")
    dv.keys_to_marks(kind, keys)  # raises on a wrong key
    if len(keys) != n_items:
        raise InvalidInput(f"这张选票录入了 {len(keys)} 项，本轮有 {n_items} 个项目，应每项一个键")
    return keys


@dataclass(frozen=True)
class Stacks:
    """What the count reads of a round's stacks: marks by position (clerk A, clerk B) and the
    rulings (newest of all and newest per kind, by position)."""

    mode: str
    a: Mapping[int, tuple[str, bool]]        # position -> (keys, doubtful)
    b: Mapping[int, tuple[str, bool]]
    latest: Mapping[int, str]                # position -> the marks of the newest ruling
    ruled: frozenset[tuple[int, str]]        # (position, ruling kind) that exist


def _positions(nums: Sequence[int]) -> str:
    return "、".join(map(str, nums[:20]))


def final_ballots(st: Stacks) -> tuple[list[str], list[str]]:
    """The ballots that count (keys or 'void'), and what still stands in the way of the count."""
    problems: list[str] = []
    double = st.mode == Mode.DOUBLE
    if double and (not st.a or not st.b):
        problems.append("双人录入：两位录入员都录入完毕后才能计票")
    positions = sorted(set(st.a) | set(st.b)) if double else sorted(st.a)
    out: list[str] = []
    unsettled: list[int] = []
    undecided: list[int] = []
    for p in positions:
        ka = st.a[p][0] if p in st.a else None
        kb = st.b[p][0] if double and p in st.b else None
        if double and ka != kb and (p, RulingKind.SETTLE) not in st.ruled:
            unsettled.append(p)
        doubtful = (p in st.a and st.a[p][1]) or (double and p in st.b and st.b[p][1])
        if doubtful and (p, RulingKind.DOUBTFUL) not in st.ruled:
            undecided.append(p)
        if p in st.latest:
            out.append(st.latest[p])
        else:
            out.append(ka if ka is not None else kb or "")
    if unsettled:
        problems.append(f"有 {len(unsettled)} 张选票两位录入员录入不一致，尚未核定（第 "
                        f"{_positions(unsettled)}{' 等' if len(unsettled) > 20 else ''} 张）")
    if undecided:
        problems.append(f"有 {len(undecided)} 张存疑选票尚待总监票人、监票人认定（第 {_positions(undecided)} 张）")
    return out, problems


# ------------------------------------------------------------------ the key line


@dataclass(frozen=True)
class BallotStatus:
    """What the key line says of a ballot being typed: the marks so far, and whether it is void."""

    marks: tuple[str | None, ...]  # per typed key: the mark, None for a wrong key
    missing: int                   # items still to type
    text: str                      # '' while nothing is typed
    void: bool


def partial_ballot(kind: str, text: str, n_items: int, seats: int, rules: dv.Rules) -> BallotStatus:
    """The status of a partly typed ballot ('*' marks it doubtful): void as soon as the 赞成 are over
    the places under ``over_vote: void_ballot``; when complete, what :func:`tally.check_ballot` says."""
    keys = text.replace("*", "")
    table = dv.KEY_MARKS[kind]
    typed = tuple(table.get(k) for k in keys)
    missing = max(0, n_items - len(keys))
    shown = typed
    if not keys:
        return BallotStatus(shown, missing, "", False)
    marks = tuple(m for m in typed if m is not None)
    if kind == dv.PROJECT_VOTE and rules.over_vote == "void_ballot":
        approvals = sum(1 for m in marks if m == "for")
        if approvals > seats:
            return BallotStatus(shown, missing, f"作废：赞成 {approvals} 项，超过应选 {seats} 项，整张作废", True)
    if len(marks) != n_items:
        return BallotStatus(shown, missing, f"还差 {n_items - len(marks)} 项", False)
    check = dv.check_ballot(kind, marks, seats, rules)
    if not check.valid:
        return BallotStatus(shown, missing, f"作废：{check.reason}", True)
    return BallotStatus(shown, missing, "有效" + (f"（{check.reason}）" if check.reason else "")
                        + ("；存疑，待认定" if "*" in text else "") + "。按回车录入。", False)


def over_vote_note(kind: str, seats: int, rules: dv.Rules) -> str:
    """What the key line's help says of too many 赞成 (as :func:`tally.check_ballot` counts them):
    the whole ballot void under ``over_vote: void_ballot``, its 赞成 discounted under ``void_for``;
    '' for a 测评."""
    if kind != dv.PROJECT_VOTE:
        return ""
    if rules.over_vote == "void_ballot":
        return f"赞成不得超过 {seats} 项，超过的整张作废"
    return f"赞成不得超过 {seats} 项，超过的该票赞成一律无效，其余照计"


def stands_text(issued: int, returned: int) -> str:
    """收回 against 发出 in words, by :func:`round_stands` (what the count tab says as they are typed)."""
    if round_stands(issued, returned):
        return f"收回 {returned} 张 ≤ 发出 {issued} 张：本轮投票有效"
    return f"收回 {returned} 张 > 发出 {issued} 张：本轮投票无效"


# ------------------------------------------------------------------ the next round


@dataclass(frozen=True)
class RevotePlan:
    reason: RoundReason
    seats: int
    items: tuple[str, ...]  # item names, in ballot order


def revote_plan(previous: dv.Case, result: dv.TallyResult) -> RevotePlan:
    """The round after an announced one, by :func:`tally.revote_case`: the whole round again when it
    was void; among the tied only for the places left; under ``shortfall: revote`` among those that
    did not pass. CongressError when nothing is left to vote on."""
    nxt = dv.revote_case(previous, result)
    if nxt is None:
        raise CongressError("本轮结果已确定，无需再次投票")
    if not result.round_valid:
        reason = RoundReason.VOID
    elif any(i.passed for i in result.revote):
        reason = RoundReason.TIE        # the tied passed the threshold
    else:
        reason = RoundReason.SHORTFALL  # under a shortfall re-vote the candidates did not
    return RevotePlan(reason, nxt.seats, nxt.items)


def attendance_counts(by_status: Mapping[str, int]) -> dict[str, int]:
    return {"present": by_status.get(Attendance.PRESENT, 0), "on_leave": by_status.get(Attendance.ON_LEAVE, 0),
            "absent": by_status.get(Attendance.ABSENT, 0)}
