"""Opinions and suggestions (意见建议): handling states, the steps between them, deadlines.

    登记 -> 交办 (unit, deadline: 3 months, 6 for a complex item) -> 办理中 -> 已答复 (已解决 / 列入计划 /
    说明解释) -> 已测评 (满意 / 基本满意 / 不满意) -> 办结
    已测评 (不满意) -> 退回重办 (counted; a new deadline) -> 办理中 -> ...
    登记 -> 办结 at once when answered on the spot (当场答复)

An item answered 列入计划 stays open and tracked until the plan is carried out (计划落实); only then
can it be closed. Every step has a date that may not lie in the future nor before the previous step.
Pure rules: plain values in, a new ``Flow`` out, ``TransitionRefused`` with a Chinese message when
the rules do not allow the step."""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, replace
from enum import StrEnum

from congress_desktop.core.dates import DateError, parse_date
from congress_desktop.core.errors import InvalidInput
from congress_desktop.core.text import clean


class OpinionState(StrEnum):
    """An opinion's handling state; the members are the stored words (``OpinionState.CLOSED == "办结"``)."""

    REGISTERED = "登记"
    ASSIGNED = "交办"
    HANDLING = "办理中"
    ANSWERED = "已答复"
    RATED = "已测评"
    CLOSED = "办结"
    RETURNED = "退回重办"


class ReplyKind(StrEnum):
    SOLVED = "已解决"
    PLANNED = "列入计划"
    EXPLAINED = "说明解释"


class Rating(StrEnum):
    """The result of the 测评 (satisfaction)."""

    SATISFIED = "满意"
    MOSTLY_SATISFIED = "基本满意"
    UNSATISFIED = "不满意"


class MeetingStage(StrEnum):
    """The three face-to-face meetings."""

    BEFORE = "办前"
    DURING = "办中"
    AFTER = "办后"


class Source(StrEnum):
    """Where an opinion came from."""

    VISIT = "接待"
    GRID = "网格"
    UNANNOUNCED = "暗访"
    CONGRESS = "大会"
    RECESS = "闭会期间"


# the vocabularies as plain words (what the database, Qt item data and sync packages hold)
STATES: tuple[str, ...] = tuple(s.value for s in OpinionState)
CLOSED: str = OpinionState.CLOSED.value
OPEN_STATES = tuple(s for s in STATES if s != CLOSED)
RUNNING: tuple[str, ...] = tuple(s.value for s in (OpinionState.ASSIGNED, OpinionState.HANDLING,
                                                   OpinionState.RETURNED))  # a unit holds it: its deadline runs
REPLY_KINDS: tuple[str, ...] = tuple(k.value for k in ReplyKind)
PLANNED: str = ReplyKind.PLANNED.value
RATINGS: tuple[str, ...] = tuple(r.value for r in Rating)
SATISFIED: tuple[str, ...] = (Rating.SATISFIED.value, Rating.MOSTLY_SATISFIED.value)
UNSATISFIED: str = Rating.UNSATISFIED.value
MEETING_STAGES: tuple[str, ...] = tuple(m.value for m in MeetingStage)
SOURCES: tuple[str, ...] = tuple(s.value for s in Source)

# The default category list (RECORDS.md); the office edits its own copy.
DEFAULT_CATEGORIES: tuple[tuple[str, str], ...] = (
    ("产业发展", ""),
    ("基础设施", "水电路气厕网购"),
    ("人居环境", "五改两提升"),
    ("教育", ""),
    ("医疗", ""),
    ("社保", ""),
    ("安全", ""),
    ("其他", ""),
)

DEADLINE_MONTHS = 3
COMPLEX_DEADLINE_MONTHS = 6
DUE_SOON_DAYS = 7


@dataclass(frozen=True)
class Action:
    key: str
    label: str
    sources: tuple[str, ...]  # states the step may start from
    target: str | None        # None: the state does not change


ACTIONS: dict[str, Action] = {a.key: a for a in (
    Action("assign", "交办", ("登记",), "交办"),
    Action("reassign", "改交", RUNNING, None),
    Action("start", "开始办理", ("交办", "退回重办"), "办理中"),
    Action("answer", "答复", ("办理中",), "已答复"),
    Action("rate", "测评", ("已答复",), "已测评"),
    Action("close", "办结", ("已测评",), CLOSED),
    Action("return", "退回重办", ("已测评",), "退回重办"),
    Action("fulfil", "计划落实", ("已答复", "已测评"), None),
    Action("spot", "当场答复", ("登记",), CLOSED),
)}
ACTION_BY_LABEL = {a.label: a.key for a in ACTIONS.values()}


class TransitionRefused(InvalidInput):
    """A step the rules do not allow in the item's present state."""

    code = "transition_refused"


@dataclass(frozen=True)
class Flow:
    """The handling fields of one opinion (what the steps read and write)."""

    state: str = "登记"
    raised_on: str = ""
    last_on: str = ""          # date of the latest step ('' = raised_on)
    unit_id: str = ""
    assist_units: str = ""
    assigned_on: str = ""
    deadline: str = ""
    complex: bool = False
    started_on: str = ""
    reply_on: str = ""
    reply_kind: str = ""
    reply_text: str = ""
    rated_on: str = ""
    rating: str = ""
    rated_by: str = ""
    closed_on: str = ""
    return_count: int = 0
    plan_done_on: str = ""
    on_the_spot: bool = False


@dataclass(frozen=True)
class Step:
    """What the user asks for: an action key and its parameters (text as typed)."""

    action: str
    on: object = ""            # the date of the step
    unit_id: str = ""
    unit_name: str = ""        # for the event text only
    assist_units: str = ""
    deadline: object = ""      # '' -> the default deadline
    complex: bool | None = None
    kind: str = ""             # reply kind
    text: str = ""             # reply text, reason of a return, note of a fulfilled plan
    rating: str = ""
    by: str = ""               # who rated


def opinion_number(seq: int, raised_on: str) -> str:
    """The number printed on the referral slip and shown in lists: 2026-00123 (year raised, then the
    office's running number)."""
    return f"{raised_on[:4]}-{seq:05d}" if raised_on else f"{seq:05d}"


# ------------------------------------------------------------------ dates and deadlines

def add_months(day: dt.date, months: int) -> dt.date:
    """Same day ``months`` later; the month's last day when it has no such day (31 Jan + 1 = 28/29 Feb)."""
    m = day.month - 1 + months
    year, month = day.year + m // 12, m % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def default_deadline(assigned_on: dt.date, complex_item: bool = False) -> dt.date:
    return add_months(assigned_on, COMPLEX_DEADLINE_MONTHS if complex_item else DEADLINE_MONTHS)


@dataclass(frozen=True)
class DeadlineStatus:
    kind: str   # "overdue" / "due_soon" / "" (no deadline running, or far away)
    days: int   # days left (negative: days overdue); 0 when no deadline runs

    @property
    def label(self) -> str:
        if self.kind == "overdue":
            return f"超期 {-self.days} 天"
        if self.kind == "due_soon":
            return "今天到期" if self.days == 0 else f"{self.days} 天后到期"
        return ""


def deadline_status(state: str, deadline: str, today: dt.date) -> DeadlineStatus:
    """Overdue: a unit holds the item (交办 / 办理中 / 退回重办) and the deadline has passed.
    Due soon: the same, with the deadline today or within the next 7 days."""
    if state not in RUNNING or not deadline:
        return DeadlineStatus("", 0)
    days = (dt.date.fromisoformat(deadline) - today).days
    if days < 0:
        return DeadlineStatus("overdue", days)
    if days <= DUE_SOON_DAYS:
        return DeadlineStatus("due_soon", days)
    return DeadlineStatus("", days)


def due_soon_until(today: dt.date) -> str:
    return (today + dt.timedelta(days=DUE_SOON_DAYS)).isoformat()


def _date(value: object, label: str, today: dt.date, *, required: bool = True) -> str:
    try:
        iso = parse_date(value)
    except DateError as e:
        raise TransitionRefused(f"{label}：{e}", field="on") from None
    if not iso:
        if required:
            raise TransitionRefused(f"请填写{label}", field="on")
        return ""
    if dt.date.fromisoformat(iso) > today:
        raise TransitionRefused(f"{label}（{iso}）不能晚于今天", field="on")
    return iso


# ------------------------------------------------------------------ the state machine

def refusal(flow: Flow, action: str) -> str | None:
    """Why ``action`` is not allowed now (a Chinese sentence), or None when it is."""
    a = ACTIONS.get(action)
    if a is None:
        return f"未知的办理操作“{action}”"
    if flow.state not in a.sources:
        if flow.state == CLOSED:
            return f"该意见建议已办结，不能再{a.label}"
        hint = "、".join(ACTIONS[k].label for k in allowed_actions(flow))
        return (f"当前状态为“{flow.state}”，不能{a.label}"
                + (f"；此时可以：{hint}" if hint else ""))
    if action == "close":
        if flow.rating == UNSATISFIED:
            return "测评结果为“不满意”，不能办结，应退回重办"
        if flow.reply_kind == PLANNED and not flow.plan_done_on:
            return "答复为“列入计划”，须跟踪到计划落实（先登记“计划落实”）后才能办结"
    if action == "return" and flow.rating != UNSATISFIED:
        return f"只有测评为“不满意”的才退回重办（本件测评为“{flow.rating or '未测评'}”），可直接办结"
    if action == "fulfil":
        if flow.reply_kind != PLANNED:
            return "只有答复为“列入计划”的才需要登记计划落实"
        if flow.plan_done_on:
            return f"计划落实已于 {flow.plan_done_on} 登记"
    return None


def allowed_actions(flow: Flow) -> list[str]:
    """The action keys the rules allow now, in the order buttons show them."""
    out = []
    for key, a in ACTIONS.items():
        if flow.state in a.sources and _specific_ok(flow, key):
            out.append(key)
    return out


def _specific_ok(flow: Flow, key: str) -> bool:
    if key == "close":
        return flow.rating != UNSATISFIED and not (flow.reply_kind == PLANNED and not flow.plan_done_on)
    if key == "return":
        return flow.rating == UNSATISFIED
    if key == "fulfil":
        return flow.reply_kind == PLANNED and not flow.plan_done_on
    return True


def apply_step(flow: Flow, step: Step, today: dt.date) -> tuple[Flow, str]:
    """The flow after ``step`` and a one-line description for the history; refuses with a message."""
    why = refusal(flow, step.action)
    if why:
        raise TransitionRefused(why, field="action")
    a = ACTIONS[step.action]
    on = _date(step.on, f"{a.label}日期", today)
    previous = flow.last_on or flow.raised_on
    if previous and on < previous:
        raise TransitionRefused(f"{a.label}日期（{on}）不能早于上一步的日期（{previous}）", field="on")
    return _STEPS[step.action](flow, replace(flow, last_on=on), step, on)


def _assign(flow: Flow, new: Flow, step: Step, on: str) -> tuple[Flow, str]:
    """交办 and 改交 (``reassign``: a new unit or deadline while the item runs)."""
    a = ACTIONS[step.action]
    unit_id = clean(step.unit_id) or (flow.unit_id if step.action == "reassign" else "")
    if not unit_id:
        raise TransitionRefused("请选择承办单位", field="unit_id")
    complex_item = flow.complex if step.complex is None else bool(step.complex)
    base = on if step.action == "assign" else flow.assigned_on or on
    deadline = _deadline(step.deadline, base, complex_item, "交办日期" if step.action == "assign" else "原交办日期")
    if step.action == "reassign" and not clean(step.deadline):
        deadline = flow.deadline if complex_item == flow.complex else deadline
    new = replace(new, unit_id=unit_id, assist_units=clean(step.assist_units) or (
        flow.assist_units if step.action == "reassign" else ""), complex=complex_item, deadline=deadline,
        state=a.target or flow.state)
    if step.action == "assign":
        new = replace(new, assigned_on=on)
    who = step.unit_name or "承办单位"
    return new, f"{'交办' if step.action == 'assign' else '改交'}{who}，办理期限 {deadline}" + (
        "（复杂件）" if complex_item else "")


def _start(flow: Flow, new: Flow, step: Step, on: str) -> tuple[Flow, str]:
    return (replace(new, state="办理中", started_on=on),
            "承办单位开始办理" if not flow.return_count else f"第 {flow.return_count} 次退回后重新办理")


def _answer(flow: Flow, new: Flow, step: Step, on: str) -> tuple[Flow, str]:
    kind, text = _reply(step)
    return replace(new, state="已答复", reply_on=on, reply_kind=kind, reply_text=text), f"答复（{kind}）：{text}"


def _rate(flow: Flow, new: Flow, step: Step, on: str) -> tuple[Flow, str]:
    if step.rating not in RATINGS:
        raise TransitionRefused(f"请选择测评结果：{'、'.join(RATINGS)}", field="rating")
    new = replace(new, state="已测评", rated_on=on, rating=step.rating, rated_by=clean(step.by))
    return new, f"测评：{step.rating}" + (f"（{clean(step.by)}）" if clean(step.by) else "")


def _close(flow: Flow, new: Flow, step: Step, on: str) -> tuple[Flow, str]:
    return replace(new, state=CLOSED, closed_on=on), "办结"


def _return(flow: Flow, new: Flow, step: Step, on: str) -> tuple[Flow, str]:
    complex_item = flow.complex if step.complex is None else bool(step.complex)
    deadline = _deadline(step.deadline, on, complex_item, "退回日期")
    reason = clean(step.text)
    # the last reply and rating stay until the next round replaces them: the 不满意 still counts
    new = replace(new, state="退回重办", return_count=flow.return_count + 1, deadline=deadline,
                  complex=complex_item, plan_done_on="")
    return new, f"第 {new.return_count} 次退回重办，新办理期限 {deadline}" + (f"；原因：{reason}" if reason else "")


def _fulfil(flow: Flow, new: Flow, step: Step, on: str) -> tuple[Flow, str]:
    return replace(new, plan_done_on=on), "计划已落实" + (f"：{clean(step.text)}" if clean(step.text) else "")


def _spot(flow: Flow, new: Flow, step: Step, on: str) -> tuple[Flow, str]:
    kind, text = _reply(step, spot=True)
    if kind == PLANNED:
        raise TransitionRefused("答复为“列入计划”的须交办跟踪，不能当场办结", field="kind")
    new = replace(new, state=CLOSED, on_the_spot=True, reply_on=on, reply_kind=kind, reply_text=text,
                  closed_on=on)
    if step.rating:
        if step.rating not in RATINGS:
            raise TransitionRefused(f"测评结果应为：{'、'.join(RATINGS)}", field="rating")
        if step.rating == UNSATISFIED:
            raise TransitionRefused("群众对当场答复不满意的，应交办处理，不能当场办结", field="rating")
        new = replace(new, rated_on=on, rating=step.rating, rated_by=clean(step.by))
    return new, f"当场答复并办结（{kind}）：{text}"


_STEPS: dict[str, Callable[[Flow, Flow, Step, str], tuple[Flow, str]]] = {
    "assign": _assign, "reassign": _assign, "start": _start, "answer": _answer, "rate": _rate, "close": _close,
    "return": _return, "fulfil": _fulfil, "spot": _spot,
}


def _reply(step: Step, *, spot: bool = False) -> tuple[str, str]:
    kind = clean(step.kind) or ("说明解释" if spot else "")
    if kind not in REPLY_KINDS:
        raise TransitionRefused(f"请选择答复类型：{'、'.join(REPLY_KINDS)}", field="kind")
    text = clean(step.text)
    if not text:
        raise TransitionRefused("当场答复的内容不能为空" if spot else "答复内容不能为空", field="text")
    return kind, text


def _deadline(value: object, base_iso: str, complex_item: bool, base_label: str) -> str:
    base = dt.date.fromisoformat(base_iso)
    try:
        iso = parse_date(value)
    except DateError as e:
        raise TransitionRefused(f"办理期限：{e}", field="deadline") from None
    if not iso:
        return default_deadline(base, complex_item).isoformat()
    if iso < base_iso:
        raise TransitionRefused(f"办理期限（{iso}）不能早于{base_label}（{base_iso}）", field="deadline")
    return iso


def state_of_ledger(state: str, *, on_the_spot: bool, closed_on: str, rating: str, reply_on: str,
                    unit: str) -> str:
    """The state a ledger row stands for when its 办理状态 column is blank."""
    state = clean(state)
    if state:
        return state
    if on_the_spot:
        return CLOSED
    if closed_on:
        return CLOSED
    if rating:
        return "已测评"
    if reply_on:
        return "已答复"
    if unit:
        return "交办"
    return "登记"


@dataclass(frozen=True)
class LedgerHandling:
    """What a ledger row says of an item's handling (the fields ``steps_to`` replays)."""

    on_the_spot: bool = False
    unit_id: str = ""
    unit_name: str = ""
    assigned_on: str = ""
    deadline: str = ""
    complex_item: bool = False
    reply_on: str = ""
    reply_kind: str = ""
    reply_text: str = ""
    rated_on: str = ""
    rating: str = ""
    closed_on: str = ""
    plan_done_on: str = ""


def steps_to(state: str, h: LedgerHandling) -> list[Step]:
    """The steps that bring a new item to ``state`` (a historical ledger row is replayed through the
    same rules as a live one, so a row the rules would not allow is refused)."""
    on_the_spot, unit_id, unit_name, assigned_on = h.on_the_spot, h.unit_id, h.unit_name, h.assigned_on
    deadline, complex_item, reply_on, reply_kind, reply_text = (h.deadline, h.complex_item, h.reply_on,
                                                                h.reply_kind, h.reply_text)
    rated_on, rating, closed_on, plan_done_on = h.rated_on, h.rating, h.closed_on, h.plan_done_on
    if state not in STATES:
        raise TransitionRefused(f"办理状态“{state}”无效，应为：{'、'.join(STATES)}", field="state")
    if on_the_spot:
        return [Step("spot", on=reply_on or closed_on, kind=reply_kind, text=reply_text, rating=rating)]
    order = ["登记", "交办", "办理中", "已答复", "已测评", "办结"]
    target = "已测评" if state == "退回重办" else state
    reach = order.index(target)
    steps: list[Step] = []
    if reach >= 1:
        if not unit_id:
            raise TransitionRefused(f"办理状态为“{state}”时须填写承办单位", field="unit_id")
        steps.append(Step("assign", on=assigned_on, unit_id=unit_id, unit_name=unit_name, deadline=deadline,
                          complex=complex_item))
    if reach >= 2:
        steps.append(Step("start", on=assigned_on))
    if reach >= 3:
        steps.append(Step("answer", on=reply_on, kind=reply_kind, text=reply_text or "（台账未记录答复内容）"))
    if reach >= 4:
        steps.append(Step("rate", on=rated_on or reply_on, rating=rating))
    if reply_kind == PLANNED and plan_done_on and reach >= 3:
        steps.append(Step("fulfil", on=plan_done_on))
    if reach >= 5:
        steps.append(Step("close", on=closed_on or rated_on or reply_on))
    if state == "退回重办":
        steps.append(Step("return", on=rated_on or reply_on))
    return steps


# ------------------------------------------------------------------ the three face-to-face meetings

def meeting_refusal(flow: Flow, stage: str, meet_on: str, others: dict[str, str], today: dt.date) -> str | None:
    """Why a 办前 / 办中 / 办后 meeting cannot be recorded as given (None when it can).

    办前 once the item is assigned, 办中 once handling started, 办后 once answered; dates not in the
    future, not before the item was raised, and in the order 办前 <= 办中 <= 办后 (``others``: the
    other stages' dates)."""
    if stage not in MEETING_STAGES:
        return f"面对面环节应为 {'、'.join(MEETING_STAGES)} 之一"
    if flow.on_the_spot:
        return "当场答复办结的意见建议不需要三个面对面"
    reached = {"办前": flow.state != "登记" or bool(flow.assigned_on),
               "办中": bool(flow.started_on) or flow.state in ("已答复", "已测评", CLOSED) or flow.return_count > 0,
               "办后": bool(flow.reply_on) or flow.state in ("已测评", CLOSED) or flow.return_count > 0}
    need = {"办前": "交办后", "办中": "开始办理后", "办后": "答复后"}
    if not reached[stage]:
        return f"“{stage}面对面”须在{need[stage]}登记（当前状态：{flow.state}）"
    if not meet_on:
        return f"请填写{stage}面对面的日期"
    if dt.date.fromisoformat(meet_on) > today:
        return f"{stage}面对面日期（{meet_on}）不能晚于今天"
    if flow.raised_on and meet_on < flow.raised_on:
        return f"{stage}面对面日期（{meet_on}）不能早于意见提出日期（{flow.raised_on}）"
    order = list(MEETING_STAGES)
    i = order.index(stage)
    for other, when in others.items():
        if not when or other == stage:
            continue
        j = order.index(other)
        if j < i and meet_on < when:
            return f"{stage}面对面（{meet_on}）不能早于{other}面对面（{when}）"
        if j > i and meet_on > when:
            return f"{stage}面对面（{meet_on}）不能晚于{other}面对面（{when}）"
    return None
