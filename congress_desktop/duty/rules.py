"""Duty evaluation (履职考评): pure scoring rules.

A scheme (考评办法) lists items. Each item counts one *source* of activity (人代会出席, 建议议案, 接待选民,
培训, ...) and gives ``points`` per occurrence (negative for a deduction, such as 缺席 without leave), up
to a ``cap`` in absolute value per period. A single record may carry its own points (an award worth
more than the usual). A deputy's total is the scheme's base points plus the items, kept between 0
and ``max_total``; deputies are ranked by total (ties share a rank: 1, 2, 2, 4) and graded by the
bands (the first band whose lower edge the total reaches; the last band takes everything below).

Numbers are ``Decimal`` so that a band edge of 80 is met by 79.5 + 0.5 exactly. Pure: plain values in,
plain values out; no database."""

from __future__ import annotations

import calendar
import datetime as dt
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Protocol

from congress_desktop.core.dates import DateError, parse_date
from congress_desktop.core.errors import FieldErrors, InvalidInput
from congress_desktop.core.text import clean, to_halfwidth

# ----------------------------------------------------------------- what is recorded

class RecordKind(StrEnum):
    """Duty records entered by the office (履职+); the members are the stored words. 人代会 carries an
    attendance mark."""

    SESSION = "人代会"
    SPEECH = "大会发言"
    SUGGESTION = "建议议案"
    INSPECTION = "视察调研"
    SECRET_VISIT = "暗访"
    GROUP = "小组活动"
    REPORT = "述职"
    PRACTICAL = "办实事"
    AWARD = "表彰"
    OTHER = "其他"


class Attendance(StrEnum):
    """A deputy's mark on a congress session's roll call (the stored words)."""

    PRESENT = "出席"
    EXCUSED = "请假"
    ABSENT = "缺席"


SESSION = RecordKind.SESSION
RECORD_KINDS: tuple[str, ...] = tuple(RecordKind)
ATTENDANCE: tuple[str, ...] = tuple(Attendance)
PRESENT, EXCUSED, ABSENT = Attendance.PRESENT, Attendance.EXCUSED, Attendance.ABSENT
NOT_ON_LIST = "不在名单"  # the roll-call dialog's choice for "no record for this deputy"
TRAINING_KINDS = ("政治理论", "履职实务", "共同缔造专题")
PERIOD_KINDS = ("季度", "年度", "届期", "其他")
QUARTER, YEAR = PERIOD_KINDS[0], PERIOD_KINDS[1]

# 代表法: a deputy absent twice from the congress session without leave loses the seat (art. 49 in the
# 2015 text; the issue cites art. 62 of the 2025 text). The notice quotes the rule, not the number.
QUALIFICATION_ABSENCES = 2
LAW_NOTE = "《代表法》规定：未经批准两次不出席本级人民代表大会会议的，其代表资格终止"


@dataclass(frozen=True)
class Source:
    key: str
    label: str       # what the office reads in the scheme editor and the table header
    hint: str        # where the program finds it
    activity: bool   # counts as "doing something" (absences and leave do not)


SOURCES: dict[str, Source] = {s.key: s for s in (
    Source("session_present", "出席人代会", "履职记录：人代会（出席）", True),
    Source("session_excused", "人代会请假", "履职记录：人代会（请假）", False),
    Source("session_absent", "人代会缺席", "履职记录：人代会（缺席，即未经批准不出席）", False),
    Source("speech", "大会发言", "履职记录：大会发言", True),
    Source("suggestion", "建议议案", "履职记录：建议议案", True),
    Source("inspection", "视察调研", "履职记录：视察调研", True),
    Source("secret_visit", "暗访", "履职记录：暗访", True),
    Source("group", "小组活动", "履职记录：小组活动", True),
    Source("report", "向选民述职", "履职记录：述职", True),
    Source("practical", "办实事", "履职记录：办实事", True),
    Source("award", "表彰奖励", "履职记录：表彰", True),
    Source("other", "其他履职", "履职记录：其他", True),
    Source("training", "参加培训", "培训的参加人员", True),
    Source("visit", "进站接待选民", "联系点接待（不在网格的接待）", True),
    Source("grid_visit", "网格走访", "联系点接待中地点为网格的走访", True),
    Source("opinion", "反映意见建议", "接待中收集或领衔提出的意见建议（按提出日期）", True),
    Source("opinion_closed", "意见建议办结", "上述意见建议中本期办结的（按办结日期）", True),
    Source("vote_present", "参加票决测评", "票决/测评点名：出席", True),
    Source("vote_absent", "票决测评缺席", "票决/测评点名：缺席", False),
)}

RECORD_SOURCE: dict[str, str] = {
    RecordKind.SPEECH: "speech", RecordKind.SUGGESTION: "suggestion", RecordKind.INSPECTION: "inspection",
    RecordKind.SECRET_VISIT: "secret_visit", RecordKind.GROUP: "group", RecordKind.REPORT: "report",
    RecordKind.PRACTICAL: "practical", RecordKind.AWARD: "award", RecordKind.OTHER: "other",
}
SESSION_SOURCE: dict[str, str] = {PRESENT: "session_present", EXCUSED: "session_excused", ABSENT: "session_absent"}


def record_source(kind: str, attendance: str = "") -> str:
    """The source an entered record counts for."""
    if kind == SESSION:
        return SESSION_SOURCE.get(attendance, "session_present")
    return RECORD_SOURCE.get(kind, "other")


# ----------------------------------------------------------------- numbers

def parse_points(value: object, label: str = "分值", *, allow_empty: bool = False,
                 allow_negative: bool = True) -> Decimal | None:
    """'2', '2.5', '-10', '＋3' -> Decimal (at most 2 decimals); '' -> None when allowed."""
    if isinstance(value, Decimal):
        d = value
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        d = Decimal(str(value))
    else:
        text = to_halfwidth(clean(value)).replace(" ", "").replace("分", "")
        if not text:
            if allow_empty:
                return None
            raise InvalidInput(f"请填写{label}")
        try:
            d = Decimal(text)
        except InvalidOperation:
            raise InvalidInput(f"{label}“{clean(value)}”不是数字") from None
    if not d.is_finite():
        raise InvalidInput(f"{label}不是有效数字")
    if d != d.quantize(Decimal("0.01")):
        raise InvalidInput(f"{label}最多保留两位小数")
    if abs(d) > 1000:
        raise InvalidInput(f"{label}不能超过 1000")
    if d < 0 and not allow_negative:
        raise InvalidInput(f"{label}不能是负数")
    return d


def fmt(value: Decimal | None) -> str:
    """12 -> '12', 12.50 -> '12.5', None -> ''."""
    if value is None:
        return ""
    text = format(value.quantize(Decimal("0.01")), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


# ----------------------------------------------------------------- the scheme

@dataclass(frozen=True)
class Item:
    source: str            # a key of SOURCES; also the item's identity across versions
    label: str
    points: Decimal        # per occurrence; negative: a deduction
    cap: Decimal | None    # most points (in absolute value) the item gives in one period; None: no cap

    @property
    def deduction(self) -> bool:
        return self.points < 0


@dataclass(frozen=True)
class Band:
    label: str
    min_points: Decimal | None  # lower edge (reached = in the band); None: the last band, below all


@dataclass(frozen=True)
class Scheme:
    items: tuple[Item, ...]
    bands: tuple[Band, ...]
    base: Decimal = Decimal(0)
    max_total: Decimal | None = Decimal(100)

    def item(self, source: str) -> Item | None:
        return next((i for i in self.items if i.source == source), None)

    @property
    def lowest_band(self) -> str:
        return self.bands[-1].label

    def as_dict(self) -> dict:
        return {
            "base": fmt(self.base),
            "max_total": fmt(self.max_total),
            "items": [{"source": i.source, "label": i.label, "points": fmt(i.points), "cap": fmt(i.cap)}
                      for i in self.items],
            "bands": [{"label": b.label, "min": fmt(b.min_points)} for b in self.bands],
        }

    def to_json(self) -> str:
        return json.dumps(self.as_dict(), ensure_ascii=False, sort_keys=True)


DEFAULT_BANDS = (Band("优秀", Decimal(80)), Band("合格", Decimal(60)), Band("不合格", None))


def default_scheme() -> Scheme:
    """A 100-point scale: 60 base points, items with caps, deductions for absence; >= 80 优秀,
    60-79 合格, < 60 不合格 (bands and labels editable: some places say 好 / 较好 / 差)."""
    rows = [
        ("session_present", 5, 10), ("session_absent", -10, 20), ("speech", 2, 4), ("suggestion", 3, 9),
        ("inspection", 2, 6), ("secret_visit", 2, 4), ("group", 2, 6), ("report", 5, 5), ("practical", 3, 9),
        ("award", 5, 10), ("training", 2, 6), ("visit", 1, 6), ("grid_visit", 1, 4), ("opinion", 1, 6),
        ("vote_present", 2, 4), ("vote_absent", -5, 10),
    ]
    items = tuple(Item(src, SOURCES[src].label, Decimal(p), Decimal(c)) for src, p, c in rows)
    return Scheme(items, DEFAULT_BANDS, Decimal(60), Decimal(100))


class _Numbers:
    """Parses numbers of a form, collecting each bad one's message under its key."""

    def __init__(self) -> None:
        self.errors: dict[str, str] = {}

    def __call__(self, key: str, value: object, label: str, **kw) -> Decimal | None:
        try:
            return parse_points(value, label, **kw)
        except InvalidInput as e:
            self.errors[key] = e.message
            return None


def _scheme_items(raw_items: Iterable[Mapping], num: _Numbers) -> list[Item]:
    errors = num.errors
    items: list[Item] = []
    seen: set[str] = set()
    for n, it in enumerate(raw_items, start=1):
        source = clean(it.get("source"))
        if source not in SOURCES:
            errors[f"items.{n}.source"] = f"第 {n} 项：“{source}”不是可计分的履职内容"
            continue
        if source in seen:
            errors[f"items.{n}.source"] = f"第 {n} 项：“{SOURCES[source].label}”重复列入"
            continue
        seen.add(source)
        label = clean(it.get("label")) or SOURCES[source].label
        points = num(f"items.{n}.points", it.get("points"), f"第 {n} 项“{label}”的每次分值")
        cap = num(f"items.{n}.cap", it.get("cap", ""), f"第 {n} 项“{label}”的上限", allow_empty=True,
                  allow_negative=False)
        if cap is not None and cap == 0:
            errors[f"items.{n}.cap"] = f"第 {n} 项“{label}”的上限应大于 0（不设上限请留空）"
        if points is not None:
            items.append(Item(source, label, points, cap))
    if not items and not any(k.startswith("items.") for k in errors):
        errors["items"] = "考评办法至少要有一个计分项目"
    return items


def _scheme_bands(raw_bands: list[Mapping], num: _Numbers) -> list[Band]:
    errors = num.errors
    bands: list[Band] = []
    if not raw_bands:
        errors["bands"] = "请至少设置一个等次"
    previous: Decimal | None = None
    for n, b in enumerate(raw_bands, start=1):
        label = clean(b.get("label"))
        if not label:
            errors[f"bands.{n}.label"] = f"第 {n} 个等次没有名称"
        last = n == len(raw_bands)
        low = num(f"bands.{n}.min", b.get("min", ""), f"等次“{label}”的分数下限", allow_empty=True)
        if last:
            low = None  # the last band takes every total below the one above
        elif low is None and f"bands.{n}.min" not in errors:
            errors[f"bands.{n}.min"] = f"等次“{label}”要填分数下限（只有最后一个等次不填）"
        elif low is not None and previous is not None and low >= previous:
            errors[f"bands.{n}.min"] = f"等次“{label}”的下限 {fmt(low)} 应低于上一等次的 {fmt(previous)}"
        if low is not None:
            previous = low
        bands.append(Band(label, low))
    labels = [b.label for b in bands if b.label]
    if len(set(labels)) != len(labels):
        errors["bands"] = "等次名称重复"
    return bands


def normalise_scheme(raw: Mapping) -> Scheme:
    """A scheme typed in the editor or read from JSON, checked whole: every bad field is reported."""
    num = _Numbers()
    base = num("base", raw.get("base", "0") or "0", "基础分", allow_negative=False) or Decimal(0)
    max_total = num("max_total", raw.get("max_total", ""), "满分", allow_empty=True, allow_negative=False)
    if max_total is not None and max_total <= 0:
        num.errors["max_total"] = "满分应大于 0（不设上限请留空）"
    items = _scheme_items(raw.get("items") or (), num)
    bands = _scheme_bands(list(raw.get("bands") or ()), num)
    if num.errors:
        raise FieldErrors(num.errors)
    return Scheme(tuple(items), tuple(bands), base, max_total)


def scheme_from_json(text: str) -> Scheme:
    try:
        raw = json.loads(text)
    except ValueError:
        raise InvalidInput("考评办法的内容已损坏（不是 JSON）") from None
    return normalise_scheme(raw)


# ----------------------------------------------------------------- scoring

@dataclass(frozen=True)
class Occurrence:
    """One counted record; ``ref`` is opaque here (the service puts its source record in it)."""

    ref: object = None
    points: Decimal | None = None  # the record's own points, instead of the item's


@dataclass(frozen=True)
class ItemScore:
    source: str
    label: str
    count: int
    raw: Decimal       # before the cap
    points: Decimal    # after the cap
    refs: tuple = ()

    @property
    def capped(self) -> bool:
        return self.raw != self.points


@dataclass(frozen=True)
class DeputyInput:
    deputy_id: str
    occurrences: Mapping[str, Sequence[Occurrence]]  # source -> occurrences in the period
    absences_to_date: int = 0                          # 人代会缺席 up to the end of the period, ever


@dataclass(frozen=True)
class DeputyScore:
    deputy_id: str
    items: tuple[ItemScore, ...]
    base: Decimal
    total: Decimal
    rank: int
    grade: str
    active: bool               # any activity in the period (absences and leave are none)
    absences: int              # 人代会缺席 in the period
    absences_to_date: int
    flags: tuple[str, ...]

    def item(self, source: str) -> ItemScore | None:
        return next((i for i in self.items if i.source == source), None)

    @property
    def qualification_risk(self) -> bool:
        return self.absences_to_date >= QUALIFICATION_ABSENCES


FLAG_QUALIFICATION = "两次未请假缺席人代会（代表资格风险）"
FLAG_ABSENT = "未请假缺席人代会"
FLAG_NO_ACTIVITY = "本期无履职记录"


def item_score(item: Item, occurrences: Sequence[Occurrence]) -> ItemScore:
    raw = sum((o.points if o.points is not None else item.points for o in occurrences), Decimal(0))
    points = raw
    if item.cap is not None:
        points = max(-item.cap, min(item.cap, raw))
    return ItemScore(item.source, item.label, len(occurrences), raw, points, tuple(o.ref for o in occurrences))


def total_of(scheme: Scheme, items: Iterable[ItemScore]) -> Decimal:
    total = scheme.base + sum((i.points for i in items), Decimal(0))
    total = max(Decimal(0), total)
    if scheme.max_total is not None:
        total = min(scheme.max_total, total)
    return total


def grade_of(total: Decimal, bands: Sequence[Band]) -> str:
    for b in bands:
        if b.min_points is None or total >= b.min_points:
            return b.label
    return bands[-1].label if bands else ""


def ranks(totals: Sequence[Decimal]) -> list[int]:
    """Competition ranking, highest first: equal totals share a rank and the next rank skips."""
    order = sorted(totals, reverse=True)
    first: dict[Decimal, int] = {}
    for i, t in enumerate(order, start=1):
        first.setdefault(t, i)
    return [first[t] for t in totals]


def is_active(occurrences: Mapping[str, Sequence[Occurrence]]) -> bool:
    return any(occ and SOURCES.get(src) is not None and SOURCES[src].activity for src, occ in occurrences.items())


def evaluate(scheme: Scheme, deputies: Sequence[DeputyInput]) -> list[DeputyScore]:
    """Every deputy scored, ranked and graded; in input order (sort by ``rank`` to publish)."""
    scored = []
    for d in deputies:
        items = tuple(item_score(it, d.occurrences.get(it.source, ())) for it in scheme.items)
        scored.append((d, items, total_of(scheme, items)))
    rank_list = ranks([t for _, _, t in scored])
    out = []
    for (d, items, total), rank in zip(scored, rank_list, strict=True):
        grade = grade_of(total, scheme.bands)
        absences = len(d.occurrences.get("session_absent", ()))
        active = is_active(d.occurrences)
        flags = []
        if d.absences_to_date >= QUALIFICATION_ABSENCES:
            flags.append(FLAG_QUALIFICATION)
        elif absences:
            flags.append(FLAG_ABSENT)
        if not active:
            flags.append(FLAG_NO_ACTIVITY)
        if len(scheme.bands) > 1 and grade == scheme.lowest_band:
            flags.append(f"考评等次为{grade}")
        out.append(DeputyScore(d.deputy_id, items, scheme.base, total, rank, grade, active, absences,
                               d.absences_to_date, tuple(flags)))
    return out


# ----------------------------------------------------------------- voter rating (选民测评)

RATING_LABELS = ("称职", "基本称职", "不称职")
COMPETENT_SHARE = Decimal("0.8")
BASIC_SHARE = Decimal("0.5")


@dataclass(frozen=True)
class RatingResult:
    competent: int
    basic: int
    incompetent: int
    total: int
    competent_share: Decimal
    basic_share: Decimal
    incompetent_share: Decimal
    label: str  # 称职 when 称职 votes >= 80 %, 基本称职 from 50 %, else 不称职


def rating_result(competent: int, basic: int, incompetent: int) -> RatingResult:
    counts = (competent, basic, incompetent)
    if any(not isinstance(c, int) or c < 0 for c in counts):
        raise InvalidInput("测评票数应为不小于 0 的整数")
    total = sum(counts)
    if total == 0:
        raise InvalidInput("测评票数合计为 0，请填写称职、基本称职、不称职的票数")
    share = [Decimal(c) / Decimal(total) for c in counts]
    label = "称职" if share[0] >= COMPETENT_SHARE else "基本称职" if share[0] >= BASIC_SHARE else "不称职"
    return RatingResult(competent, basic, incompetent, total, share[0], share[1], share[2], label)


def rating_votes(value: object, label: str) -> int:
    """One of the three vote counts as typed (empty is 0): a whole number, not negative."""
    text = clean(value)
    if text == "":
        return 0
    try:
        n = int(text)
    except ValueError:
        raise InvalidInput(f"{label}票数“{text}”不是整数") from None
    if n < 0:
        raise InvalidInput(f"{label}票数不能是负数")
    return n


def percent(share: Decimal) -> str:
    return f"{(share * 100).quantize(Decimal('0.1'))}%"


def _whole_percent(share: Decimal) -> str:
    return f"{(share * 100).normalize():f}%"


def rating_rule() -> str:
    """The rating rule in words, from the shares above (the ratings editor shows it)."""
    competent, basic = _whole_percent(COMPETENT_SHARE), _whole_percent(BASIC_SHARE)
    return (f"称职票达到 {competent} 为称职，{basic.rstrip('%')}%~{competent} 为基本称职，"
            f"不足 {basic} 为不称职。")


# ----------------------------------------------------------------- periods

QUARTER_NAMES = ("第一季度", "第二季度", "第三季度", "第四季度")


def quarter_bounds(year: int, quarter: int) -> tuple[str, str]:
    if not 1 <= quarter <= 4:
        raise InvalidInput("季度应为 1 到 4")
    first = 3 * (quarter - 1) + 1
    last = first + 2
    return (dt.date(year, first, 1).isoformat(),
            dt.date(year, last, calendar.monthrange(year, last)[1]).isoformat())


def quarter_of(day: dt.date) -> tuple[int, int]:
    return day.year, (day.month - 1) // 3 + 1


def previous_quarter(year: int, quarter: int) -> tuple[int, int]:
    """The quarter before (year, quarter): the first quarter's is the last of the year before."""
    return (year - 1, 4) if quarter == 1 else (year, quarter - 1)


def year_bounds(year: int) -> tuple[str, str]:
    return f"{year}-01-01", f"{year}-12-31"


@dataclass(frozen=True)
class QuickPeriod:
    label: str       # 本季度 / 上季度 / 本年度
    date_from: str
    date_to: str
    kind: str        # a PERIOD_KINDS word


def quick_periods(today: dt.date) -> tuple[QuickPeriod, ...]:
    """The periods a new period is usually one of: this quarter, the last one, this year."""
    year, quarter = quarter_of(today)
    return (QuickPeriod("本季度", *quarter_bounds(year, quarter), QUARTER),
            QuickPeriod("上季度", *quarter_bounds(*previous_quarter(year, quarter)), QUARTER),
            QuickPeriod("本年度", *year_bounds(year), YEAR))


class HasPeriodDates(Protocol):
    @property
    def kind(self) -> str: ...
    @property
    def date_to(self) -> str: ...


def default_period_index(periods: Sequence[HasPeriodDates], today: dt.date) -> int:
    """Which of ``periods`` (newest first) to show first: the newest quarter already over, else the
    newest period (0)."""
    day = today.isoformat()
    return next((i for i, p in enumerate(periods) if p.date_to < day and p.kind == QUARTER), 0)


def period_name(date_from: str, date_to: str) -> str:
    """'2026年第一季度', '2026年度', or '2026-01-05 至 2026-03-02'."""
    try:
        a, b = dt.date.fromisoformat(date_from), dt.date.fromisoformat(date_to)
    except ValueError:
        return f"{date_from} 至 {date_to}"
    if a.year == b.year and (a.month, a.day) == (1, 1) and (b.month, b.day) == (12, 31):
        return f"{a.year}年度"
    y, q = quarter_of(a)
    if (date_from, date_to) == quarter_bounds(y, q):
        return f"{y}年{QUARTER_NAMES[q - 1]}"
    if a.day == 1 and a.year == b.year and a.month == b.month and b.day == calendar.monthrange(b.year, b.month)[1]:
        return f"{a.year}年{a.month}月"
    return f"{date_from} 至 {date_to}"


@dataclass(frozen=True)
class PeriodData:
    name: str
    kind: str
    date_from: str
    date_to: str


def check_range(date_from: object, date_to: object) -> tuple[str, str]:
    """Both dates required, ISO, from <= to; FieldErrors otherwise."""
    errors: dict[str, str] = {}
    out = []
    for key, value, label in (("date_from", date_from, "起始日期"), ("date_to", date_to, "截止日期")):
        try:
            iso = parse_date(value)
            if not iso:
                errors[key] = f"请填写{label}"
            out.append(iso)
        except DateError as e:
            errors[key] = f"{label}：{e}"
            out.append("")
    if not errors and out[0] > out[1]:
        errors["date_to"] = "截止日期不能早于起始日期"
    if errors:
        raise FieldErrors(errors)
    return out[0], out[1]


def normalise_period(raw: Mapping) -> PeriodData:
    date_from, date_to = check_range(raw.get("date_from"), raw.get("date_to"))
    kind = clean(raw.get("kind")) or "其他"
    if kind not in PERIOD_KINDS:
        raise FieldErrors({"kind": f"期间类型应为 {'、'.join(PERIOD_KINDS)} 之一"})
    name = clean(raw.get("name")) or period_name(date_from, date_to)
    return PeriodData(name, kind, date_from, date_to)


def parse_period(text: object) -> tuple[str, str]:
    """'2026Q1', '2026-Q3', '2026年第二季度', '2026', '2026年' -> (from, to)."""
    t = to_halfwidth(clean(text)).upper().replace(" ", "").replace("-", "")
    for n, name in enumerate(QUARTER_NAMES, start=1):
        t = t.replace(name, f"Q{n}")
    t = t.replace("年度", "").replace("年", "")
    if len(t) == 6 and t[:4].isdigit() and t[4] == "Q" and t[5] in "1234":
        return quarter_bounds(int(t[:4]), int(t[5]))
    if len(t) == 4 and t.isdigit():
        return f"{t}-01-01", f"{t}-12-31"
    raise InvalidInput(f"“{clean(text)}”不是可识别的期间，请写成 2026Q1（季度）或 2026（年度）")


def months(date_from: str, date_to: str) -> list[str]:
    """'YYYY-MM' of every month the period touches, in order (the axis of the activity chart)."""
    a, b = dt.date.fromisoformat(date_from), dt.date.fromisoformat(date_to)
    out = []
    y, m = a.year, a.month
    while (y, m) <= (b.year, b.month):
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


@dataclass(frozen=True)
class RecordData:
    deputy_id: str
    record_date: str
    kind: str
    attendance: str
    title: str
    detail: str
    points: Decimal | None


def normalise_record(raw: Mapping) -> RecordData:
    """A duty record as typed: kind, date, title; 人代会 needs its attendance mark."""
    errors: dict[str, str] = {}
    deputy_id = clean(raw.get("deputy_id"))
    if not deputy_id:
        errors["deputy_id"] = "请选择代表"
    kind = clean(raw.get("kind"))
    if kind not in RECORD_KINDS:
        errors["kind"] = f"履职类型应为 {'、'.join(RECORD_KINDS)} 之一"
    try:
        day = parse_date(raw.get("record_date"))
        if not day:
            errors["record_date"] = "请填写日期"
    except DateError as e:
        errors["record_date"] = f"日期：{e}"
        day = ""
    attendance = clean(raw.get("attendance"))
    if kind == SESSION:
        attendance = attendance or PRESENT
        if attendance not in ATTENDANCE:
            errors["attendance"] = f"出席情况应为 {'、'.join(ATTENDANCE)} 之一"
    else:
        attendance = ""
    title = clean(raw.get("title"))
    if not title:
        errors["title"] = "请填写事项名称（如会议名称、调研题目、建议标题）"
    elif len(title) > 200:
        errors["title"] = "事项名称不能超过 200 字"
    detail = str(raw.get("detail") or "").strip()
    points = None
    try:
        points = parse_points(raw.get("points", ""), "单项分值", allow_empty=True)
    except InvalidInput as e:
        errors["points"] = e.message
    if errors:
        raise FieldErrors(errors)
    return RecordData(deputy_id, day, kind, attendance, title, detail, points)


@dataclass(frozen=True)
class TrainingData:
    held_on: str
    topic: str
    kind: str
    organiser: str
    place: str
    hours: Decimal | None
    note: str
    deputy_ids: tuple[str, ...] = field(default_factory=tuple)


def normalise_training(raw: Mapping) -> TrainingData:
    errors: dict[str, str] = {}
    try:
        day = parse_date(raw.get("held_on"))
        if not day:
            errors["held_on"] = "请填写培训日期"
    except DateError as e:
        errors["held_on"] = f"日期：{e}"
        day = ""
    topic = clean(raw.get("topic"))
    if not topic:
        errors["topic"] = "请填写培训主题"
    kind = clean(raw.get("kind"))
    if kind not in TRAINING_KINDS:
        errors["kind"] = f"培训类型应为 {'、'.join(TRAINING_KINDS)} 之一"
    hours = None
    try:
        hours = parse_points(raw.get("hours", ""), "学时", allow_empty=True, allow_negative=False)
    except InvalidInput as e:
        errors["hours"] = e.message
    ids = tuple(dict.fromkeys(clean(x) for x in raw.get("deputy_ids") or () if clean(x)))
    if errors:
        raise FieldErrors(errors)
    return TrainingData(day, topic, kind, clean(raw.get("organiser")), clean(raw.get("place")), hours,
                        str(raw.get("note") or "").strip(), ids)
