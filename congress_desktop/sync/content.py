"""What every stored column may hold, checked column by column: a received sync record is held to
the same rules as a typed one, and ``check`` finds a stored value that breaks them.

A value the program cannot read back breaks every list that shows its record (a ``created_at`` of
"garbage" and the deputy list fails for all towns), so each column says what it holds:

- by its SQLAlchemy type: DateTime -> the text SQLAlchemy writes (``2026-12-07 11:55:46.794130``),
  Integer -> fits SQLite's 64 bits, Boolean -> 0 or 1, every text -> no control characters (C0 but
  tab/newline/return, DEL, C1), no bidi overrides, no lone surrogates (which SQLite cannot even store);
- by ``FORMATS`` below: dates, months, times, JSON, ids, hashes, file names, deputy levels;
- by ``CHOICES`` below: the closed vocabularies of the domain rules (one home each, in domain/).

The checks work on a whole column at once (a million values: set and regex work in C, the calendar
check on the distinct days only), and only when a column fails is it walked value by value to name
the first bad record. Nothing here touches the database."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import Boolean, Date, DateTime, Integer, Table

from congress_desktop.core.text import INVISIBLE
from congress_desktop.deputies import rules as d_deputies
from congress_desktop.duty import rules as d_eval
from congress_desktop.grids import rules as d_grids
from congress_desktop.places import rules as d_places
from congress_desktop.visits import opinion_rules as d_opinions
from congress_desktop.visits import rules as d_visits
from congress_desktop.votes import tally as d_votes

INT_MIN, INT_MAX = -(2**63), 2**63 - 1

FORBIDDEN = INVISIBLE  # domain/text.py: what no record may hold
# the search keys the program derives itself join their parts with U+001F (domain/search.py)
FORBIDDEN_IN_KEYS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1e\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff\ufffe\uffff]")
SEARCH_KEYS = frozenset({"search_text", "name_pinyin", "name_initials"})
_DATETIME = re.compile(r"\d{4}-[01]\d-[0-3]\d (?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:\.\d{6})?")
_DATE = re.compile(r"\d{4}-[01]\d-[0-3]\d")
_MONTH = re.compile(r"\d{4}-[01]\d")
_MONTH_OR_DATE = re.compile(r"\d{4}-[01]\d(?:-[0-3]\d)?")
_TIME = re.compile(r"(?:[01]\d|2[0-3]):[0-5]\d")
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_SHA = re.compile(r"[0-9a-f]{64}")

# (table, column) -> format. "?" after a format: '' is allowed too.
FORMATS: dict[tuple[str, str], str] = {
    ("deputy", "birth_date"): "month|date?", ("deputy", "elected_on"): "month|date?",
    ("deputy", "status_date"): "date?", ("deputy", "levels"): "levels",
    ("attachment", "owner_id"): "uuid", ("attachment", "sha256"): "sha256", ("attachment", "file_name"): "filename",
    ("eval_scheme", "body"): "json",
    ("training", "held_on"): "date",
    ("vote_project", "deadline"): "month|date?",
    ("vote_session", "date"): "date?", ("vote_session", "rules"): "json",
    ("eval_period", "date_from"): "date", ("eval_period", "date_to"): "date",
    ("eval_period", "closed_on"): "date?", ("eval_period", "snapshot"): "json?",
    ("vote_log", "at"): "isotime", ("vote_log", "detail"): "json",
    ("vote_round", "item_ids"): "json", ("vote_round", "result"): "json?", ("vote_round", "announced_at"): "isotime?",
    ("duty_record", "record_date"): "date", ("duty_record", "batch_id"): "uuid?",
    ("grid_assignment", "start_on"): "date?", ("grid_assignment", "end_on"): "date?",
    ("visit", "visit_date"): "date", ("visit", "start_time"): "time?", ("visit", "end_time"): "time?",
    ("vote_totals", "counts"): "json",
    ("voter_rating", "rated_on"): "date?",
    ("opinion", "raised_on"): "date?", ("opinion", "assigned_on"): "date?", ("opinion", "deadline"): "date?",
    ("opinion", "started_on"): "date?", ("opinion", "reply_on"): "date?", ("opinion", "rated_on"): "date?",
    ("opinion", "closed_on"): "date?", ("opinion", "plan_done_on"): "date?",
    ("opinion_event", "step_on"): "date?",
    ("opinion_meeting", "meet_on"): "date?",
}

_STATES = tuple(d_opinions.STATES)
CHOICES: dict[tuple[str, str], tuple[str, ...]] = {
    ("deputy", "status"): d_deputies.STATUSES, ("deputy", "gender"): (*d_deputies.GENDERS, ""),
    ("village", "kind"): d_places.VILLAGE_KINDS,
    ("contact_point", "kind"): d_places.CONTACT_POINT_KINDS,
    ("handling_unit", "kind"): (*d_places.UNIT_KINDS, ""),
    ("attachment", "owner_table"): ("visit", "opinion"),
    ("training", "kind"): d_eval.TRAINING_KINDS,
    ("eval_period", "kind"): d_eval.PERIOD_KINDS,
    ("duty_record", "kind"): d_eval.RECORD_KINDS, ("duty_record", "attendance"): (*d_eval.ATTENDANCE, ""),
    ("grid_assignment", "role"): d_grids.ROLES,
    ("visit", "form"): d_visits.FORMS,
    ("opinion", "state"): _STATES, ("opinion", "source"): d_opinions.SOURCES,
    ("opinion", "reply_kind"): (*d_opinions.REPLY_KINDS, ""), ("opinion", "rating"): (*d_opinions.RATINGS, ""),
    ("opinion_event", "action"): tuple(d_opinions.ACTIONS), ("opinion_event", "from_state"): (*_STATES, ""),
    ("opinion_event", "to_state"): (*_STATES, ""),
    ("opinion_meeting", "stage"): d_opinions.MEETING_STAGES,
    ("vote_project", "state"): d_votes.PROJECT_STATES,
    ("vote_session", "kind"): tuple(d_votes.KINDS),
    ("vote_attendance", "status"): (*d_votes.ATTENDANCE, d_votes.NOT_ON_ROLL),
    ("vote_round", "mode"): tuple(d_votes.MODES), ("vote_round", "state"): tuple(d_votes.ROUND_STATES),
    ("vote_round", "reason"): tuple(d_votes.ROUND_REASONS),
    ("vote_ballot", "clerk"): tuple(d_votes.CLERKS), ("vote_ballot", "action"): d_votes.BALLOT_ACTIONS,
    ("vote_ruling", "kind"): d_votes.RULING_KINDS,
}


@dataclass(frozen=True)
class Problem:
    """The first bad value of a column: its position in the values checked, and why (Chinese)."""
    index: int
    reason: str


@dataclass(frozen=True)
class ColumnRule:
    table: str
    column: str
    kind: str                 # str / int / bool / other (other: not checked by content)
    nullable: bool
    fmt: str                  # '' or a FORMATS entry
    choices: frozenset[str] | None

    @property
    def wants_distinct(self) -> bool:
        """Whether checking the distinct values pays (vocabularies, dates: few values, many repeats)."""
        return self.kind != "str" or self.choices is not None or self.fmt not in ("", "uuid", "sha256")

    def first_problem(self, values: Sequence, distinct: set | None = None) -> Problem | None:
        """None when every value is fine (types were checked already: see sync/checks.py). ``distinct``:
        ``set(values)``, when the caller has it."""
        if distinct is None and self.wants_distinct:
            distinct = set(values)
        present: Any
        if distinct is not None:
            present = distinct - {None} if self.nullable else distinct
        else:
            present = [v for v in values if v is not None] if self.nullable else values
        if not present:
            return None
        if self.kind == "int":
            if min(present) < INT_MIN or max(present) > INT_MAX:
                return self._find(values, lambda v: v is not None and not INT_MIN <= v <= INT_MAX,
                                  "超出了整数的范围")
            return None
        if self.kind == "bool":
            if not set(present) <= {0, 1}:
                return self._find(values, lambda v: v is not None and v not in (0, 1), "应为 0 或 1")
            return None
        if self.kind != "str":
            return None
        joined = " ".join(present)  # dates, states, villages repeat: each distinct value is checked once
        # isprintable() (in C) is False for every character FORBIDDEN names, and for a few allowed
        # ones (a newline, U+3000): only then does the regex decide
        forbidden = FORBIDDEN_IN_KEYS if self.column in SEARCH_KEYS else FORBIDDEN
        if not joined.isprintable() and forbidden.search(joined):
            return self._find(values, lambda v: isinstance(v, str) and forbidden.search(v) is not None,
                              "含有不允许的控制字符或不可见字符")
        choices = self.choices
        if choices is not None:
            if not set(present) <= choices:
                allowed = "、".join(sorted(c for c in choices if c)) or "空"
                return self._find(values, lambda v: v is not None and v not in choices,
                                  f"不是可用的值（可用：{allowed}）")
            return None
        if self.fmt:
            check, reason = _format_check(self.fmt)
            if not check(present):
                return self._find(values, lambda v: v is not None and not check([v]), reason)
        return None

    @staticmethod
    def _find(values: Sequence, bad: Callable[[Any], bool], reason: str) -> Problem:
        for i, v in enumerate(values):
            if bad(v):
                shown = v if not isinstance(v, str) else _shown(v)
                return Problem(i, f"{reason}（收到的值：{shown}）")
        raise AssertionError("a column check failed but no value fails")  # pragma: no cover


def _shown(v: str) -> str:
    text = FORBIDDEN.sub(lambda m: f"\\u{ord(m.group()):04x}", v)
    return f"“{text[:40]}{'…' if len(text) > 40 else ''}”"


# ------------------------------------------------------------------ formats

def _all_match(pattern: re.Pattern) -> Callable[[Sequence[str]], bool]:
    return lambda values: all(map(pattern.fullmatch, values))


def _dates_real(days: set[str]) -> bool:
    try:
        for d in days:
            dt.date.fromisoformat(d)
    except ValueError:
        return False
    return True


def _datetimes(values: Sequence[str]) -> bool:
    return all(map(_DATETIME.fullmatch, values)) and _dates_real({v[:10] for v in values})


def _dates(values: Sequence[str]) -> bool:
    return all(map(_DATE.fullmatch, values)) and _dates_real(set(values))


def _months(values: Sequence[str]) -> bool:
    return all(map(_MONTH.fullmatch, values)) and all(1 <= int(v[5:]) <= 12 for v in set(values))


def _month_or_date(values: Sequence[str]) -> bool:
    if not all(map(_MONTH_OR_DATE.fullmatch, values)):
        return False
    return _months([v for v in values if len(v) == 7]) and _dates_real({v for v in values if len(v) == 10})


def _times(values: Sequence[str]) -> bool:
    return all(map(_TIME.fullmatch, values))


def _isotimes(values: Sequence[str]) -> bool:
    try:
        for v in set(values):
            if len(v) < 19:
                return False
            dt.datetime.fromisoformat(v)
    except ValueError:
        return False
    return True


def _json(values: Sequence[str]) -> bool:
    try:
        for v in set(values):
            json.loads(v)
    except (ValueError, RecursionError):
        return False
    return True


def _levels(values: Sequence[str]) -> bool:
    known = set(d_deputies.LEVELS)
    for v in set(values):
        parts = v.split(",")
        if not v or not set(parts) <= known or len(set(parts)) != len(parts):
            return False
    return True


def _filenames(values: Sequence[str]) -> bool:
    from congress_desktop.core.filenames import file_name_problem

    return all(file_name_problem(v) is None for v in set(values))


_BASE_FORMATS: dict[str, tuple[Callable[[Sequence[str]], bool], str]] = {
    "datetime": (_datetimes, "不是有效的日期时间"),
    "date": (_dates, "不是有效的日期（应为 年-月-日）"),
    "month|date": (_month_or_date, "不是有效的年月或日期"),
    "time": (_times, "不是有效的时间（应为 时:分）"),
    "isotime": (_isotimes, "不是有效的日期时间"),
    "json": (_json, "不是有效的数据格式（JSON）"),
    "uuid": (_all_match(_UUID), "不是有效的记录编号"),
    "sha256": (_all_match(_SHA), "不是有效的文件校验值"),
    "levels": (_levels, "不是有效的代表层级"),
    "filename": (_filenames, "不是可用的文件名"),
}


@cache
def _format_check(fmt: str) -> tuple[Callable[[Sequence[str]], bool], str]:
    if fmt.endswith("?"):
        check, reason = _BASE_FORMATS[fmt[:-1]]
        return (lambda values: check([v for v in values if v != ""])), reason
    return _BASE_FORMATS[fmt]


# ------------------------------------------------------------------ the rules of a table

def _kind(col) -> str:
    t = col.type
    if isinstance(t, Boolean):
        return "bool"
    if isinstance(t, Integer):
        return "int"
    try:
        return "str" if isinstance(t, (DateTime, Date)) or t.python_type is str else "other"
    except NotImplementedError:
        return "other"


def column_rule(table: Table, name: str) -> ColumnRule:
    col = table.c[name]
    fmt = FORMATS.get((table.name, name), "")
    if not fmt and (col.foreign_keys or (name == "id" and not isinstance(col.type, Integer))):
        fmt = "uuid"  # every record id is a time-ordered UUID (store/ids.py), and so is every reference
    elif not fmt and isinstance(col.type, DateTime):
        fmt = "datetime"
    elif not fmt and isinstance(col.type, Date):
        fmt = "date"
    choices = CHOICES.get((table.name, name))
    return ColumnRule(table.name, name, _kind(col), bool(col.nullable), fmt,
                      frozenset(choices) if choices is not None else None)


@cache
def table_rules(table: Table) -> tuple[ColumnRule, ...]:
    return tuple(column_rule(table, c.name) for c in table.columns)

