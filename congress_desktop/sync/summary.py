"""The city's summary by town for a period: deputies, 入格率, visits, opinions, 办结率, satisfaction
and 票决 results, from the towns' records received by sync.

Each figure is computed from its table only if that table exists in this program (the areas are
built independently): a missing area shows 「—」. A town is every office enrolled at the city, plus
any owner found in the records; the city's own records appear as one more row if it has any."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from congress_desktop.core.context import Context
from congress_desktop.core.errors import InvalidInput
from congress_desktop.core.sheets import write_xlsx
from congress_desktop.core.store.models_sync import SyncPeer
from congress_desktop.deputies.rules import IN_OFFICE
from congress_desktop.sync.engine import table_map

COLUMNS = [
    ("name", "乡镇（街道）"), ("deputies", "在任代表"), ("grid_rate", "入格率"), ("visits", "接待走访"),
    ("visitors", "接待群众（人次）"), ("opinions", "意见建议"), ("closed_rate", "办结率"),
    ("satisfaction", "满意率"), ("votes", "票决确定项目"), ("ratings", "满意度测评（场）"),
]


@dataclass(frozen=True)
class TownSummary:
    code: str
    name: str
    deputies: int | None
    in_grid: int | None
    visits: int | None
    visitors: int | None
    opinions: int | None
    closed: int | None
    rated: int | None
    satisfied: int | None
    vote_sessions: int | None
    adopted_projects: int | None
    rating_sessions: int | None

    @staticmethod
    def _rate(part: int | None, whole: int | None) -> str:
        if part is None or whole is None:
            return "—"
        if whole == 0:
            return "—"
        return f"{100 * part / whole:.1f}%"

    @property
    def grid_rate(self) -> str:
        return self._rate(self.in_grid, self.deputies)

    @property
    def closed_rate(self) -> str:
        return self._rate(self.closed, self.opinions)

    @property
    def satisfaction(self) -> str:
        return self._rate(self.satisfied, self.rated)

    @property
    def votes_label(self) -> str:
        if self.adopted_projects is None:
            return "—"
        return f"{self.adopted_projects} 项（{self.vote_sessions} 场）"

    def cells(self) -> list[str]:
        def n(v: int | None) -> str:
            return "—" if v is None else str(v)

        return [self.name, n(self.deputies), self.grid_rate, n(self.visits), n(self.visitors), n(self.opinions),
                self.closed_rate, self.satisfaction, self.votes_label, n(self.rating_sessions)]


@dataclass(frozen=True)
class CitySummary:
    date_from: str
    date_to: str
    towns: tuple[TownSummary, ...]
    total: TownSummary
    missing_areas: tuple[str, ...]   # areas whose tables this program does not have

    @property
    def period_label(self) -> str:
        return f"{self.date_from} 至 {self.date_to}"

    def rows(self) -> list[list[str]]:
        return [t.cells() for t in self.towns] + [self.total.cells()]


def _check_date(value: str, label: str) -> str:
    try:
        return dt.date.fromisoformat(str(value).strip()).isoformat()
    except ValueError as e:
        raise InvalidInput(f"{label}应为日期，如 2026-01-01", field=label) from e


Counts = dict[str, int]


def _n(v: Any) -> int:
    return int(v or 0)


def _count_by_owner(s: Session, sql: str, **params: object) -> Counts:
    return {str(owner): _n(n) for owner, n in s.execute(text(sql), params)}


@dataclass
class _Figures:
    """Each figure by owner (None: this program has no such area), and the areas missing."""
    deputies: Counts
    in_grid: Counts | None = None
    visits: Counts | None = None
    visitors: Counts | None = None
    opinions: Counts | None = None
    closed: Counts | None = None
    rated: Counts | None = None
    satisfied: Counts | None = None
    vote_sessions: Counts | None = None
    adopted: Counts | None = None
    rating_sessions: Counts | None = None
    missing: list[str] = field(default_factory=list)


def _grid_figures(s: Session, f: _Figures, p: dict[str, str]) -> None:
    f.in_grid = _count_by_owner(s, """
        SELECT d.owner_code, count(DISTINCT d.id) FROM deputy d JOIN grid_assignment g ON g.deputy_id = d.id
        WHERE d.deleted = 0 AND d.status = :in_office AND g.deleted = 0 AND g.start_on <= :b
          AND (g.end_on = '' OR g.end_on > :b) GROUP BY d.owner_code""", in_office=IN_OFFICE.value, **p)


def _visit_figures(s: Session, f: _Figures, p: dict[str, str]) -> None:
    rows = s.execute(text("SELECT owner_code, count(*), coalesce(sum(visitor_count), 0) FROM visit "
                          "WHERE deleted = 0 AND visit_date BETWEEN :a AND :b GROUP BY owner_code"), p).all()
    f.visits = {str(o): _n(n) for o, n, _ in rows}
    f.visitors = {str(o): _n(v) for o, _, v in rows}


def _opinion_figures(s: Session, f: _Figures, p: dict[str, str]) -> None:
    rows = s.execute(text("""
        SELECT owner_code, count(*), sum(state = '办结'), sum(rating != ''),
               sum(rating IN ('满意', '基本满意'))
        FROM opinion WHERE deleted = 0 AND raised_on BETWEEN :a AND :b GROUP BY owner_code"""), p).all()
    f.opinions = {str(r[0]): int(r[1] or 0) for r in rows}
    f.closed = {str(r[0]): int(r[2] or 0) for r in rows}
    f.rated = {str(r[0]): int(r[3] or 0) for r in rows}
    f.satisfied = {str(r[0]): int(r[4] or 0) for r in rows}


def _vote_figures(s: Session, f: _Figures, p: dict[str, str]) -> None:
    vote_sessions: Counts = {}
    adopted: Counts = {}
    rating_sessions: Counts = {}
    for owner, kind, n in s.execute(text(
            "SELECT owner_code, kind, count(*) FROM vote_session WHERE deleted = 0 AND date BETWEEN :a AND :b "
            "GROUP BY owner_code, kind"), p):
        target = vote_sessions if kind == "project_vote" else rating_sessions
        target[str(owner)] = target.get(str(owner), 0) + _n(n)
    for owner, result in s.execute(text(
            "SELECT r.owner_code, r.result FROM vote_round r JOIN vote_session v ON v.id = r.session_id "
            "WHERE r.deleted = 0 AND v.deleted = 0 AND v.kind = 'project_vote' AND r.state = 'announced' "
            "AND v.date BETWEEN :a AND :b"), p):
        try:
            n = len(json.loads(str(result or "{}")).get("adopted") or [])
        except (ValueError, AttributeError):
            n = 0
        adopted[str(owner)] = adopted.get(str(owner), 0) + n
    f.vote_sessions, f.adopted, f.rating_sessions = vote_sessions, adopted, rating_sessions


# (the tables an area needs, its figures, its name when missing)
_AREAS = ((("grid_assignment",), _grid_figures, "网格"), (("visit",), _visit_figures, "接待"),
          (("opinion",), _opinion_figures, "建议督办"), (("vote_session", "vote_round"), _vote_figures, "票决"))


def _figures(s: Session, p: dict[str, str]) -> _Figures:
    tables = table_map()
    f = _Figures(_count_by_owner(s, "SELECT owner_code, count(*) FROM deputy WHERE deleted = 0 "
                                    "AND status = :in_office GROUP BY owner_code", in_office=IN_OFFICE.value))
    for needs, figures, name in _AREAS:
        if all(t in tables for t in needs):
            figures(s, f, p)
        else:
            f.missing.append(name)
    return f


def _owners(ctx: Context, names: dict[str, str], f: _Figures) -> list[str]:
    """The towns enrolled, any other owner found in the records, and this office if it has records."""
    own = ctx.office.code if ctx.office else ""
    owners = list(names)
    for d in (f.deputies, f.visits or {}, f.opinions or {}):
        for o in d:
            if o and o not in names and o != own:
                owners.append(o)
                names[o] = f"区划代码 {o}"
    if own and any(own in (d or {}) for d in (f.deputies, f.visits, f.opinions)):
        owners.append(own)
        names[own] = (ctx.office.name if ctx.office else own) + "（本单位）"
    return list(dict.fromkeys(owners))


def _town(f: _Figures, o: str, name: str) -> TownSummary:
    def get(d: Counts | None) -> int | None:
        return None if d is None else d.get(o, 0)

    return TownSummary(o, name, f.deputies.get(o, 0), get(f.in_grid), get(f.visits), get(f.visitors),
                       get(f.opinions), get(f.closed), get(f.rated), get(f.satisfied), get(f.vote_sessions),
                       get(f.adopted), get(f.rating_sessions))


def _total(towns: list[TownSummary]) -> TownSummary:
    def total(attr: str) -> int | None:
        values = [getattr(t, attr) for t in towns]
        return None if any(v is None for v in values) else sum(values)

    return TownSummary("", "合计", total("deputies") or 0, total("in_grid"), total("visits"), total("visitors"),
                       total("opinions"), total("closed"), total("rated"), total("satisfied"), total("vote_sessions"),
                       total("adopted_projects"), total("rating_sessions"))


def city_summary(ctx: Context, date_from: str, date_to: str) -> CitySummary:
    date_from = _check_date(date_from, "开始日期")
    date_to = _check_date(date_to, "结束日期")
    if date_from > date_to:
        raise InvalidInput("开始日期不能晚于结束日期", field="开始日期")
    with ctx.store.session() as s:
        names = {peer.code: peer.name
                 for peer in s.scalars(select(SyncPeer).where(SyncPeer.role == "town").order_by(SyncPeer.id))}
        f = _figures(s, {"a": date_from, "b": date_to})
    towns = [_town(f, o, names[o]) for o in _owners(ctx, names, f)]
    return CitySummary(date_from, date_to, tuple(towns), _total(towns), tuple(f.missing))


def export_city_summary(ctx: Context, path: str | Path, date_from: str, date_to: str) -> int:
    summary = city_summary(ctx, date_from, date_to)
    rows = summary.rows()
    write_xlsx(path, "分乡镇汇总", [h for _, h in COLUMNS], rows, widths=[22, 10, 10, 10, 14, 10, 10, 10, 16, 16])
    return len(summary.towns)


def summary_notes(summary: CitySummary) -> list[str]:
    notes = [f"统计期间：{summary.period_label}。数据来自各乡镇通过U盘同步上报的记录，以最后一次导入为准。",
             "入格率 = 已入网格的在任代表 / 在任代表；办结率 = 期间内登记的意见建议中已办结的比例；"
             "满意率 =（满意 + 基本满意）/ 已测评件数。"]
    if summary.missing_areas:
        notes.append("本程序暂未包含：" + "、".join(summary.missing_areas) + "，相应栏目显示“—”。")
    return notes
