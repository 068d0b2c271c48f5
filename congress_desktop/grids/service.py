"""Grid rosters (网格化履职): grids of each village, deputies placed in them with a role and dates,
the roster of any date, the coverage checks and the 一键建议入格 suggestion: the units of work.

Rules live in ``grids.rules``, result rows in ``grids.rows``; spreadsheets in ``grids.importing``,
printing in ``grids.report``. This module loads the records, applies the changes in one unit of work
and returns plain frozen rows. Moving a deputy closes the old assignment and opens a new
one on the same day, so the history stays readable as "the roster on date D"."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from sqlalchemy import inspect as sa_inspect
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from congress_desktop.core.context import Context
from congress_desktop.core.dates import DateError, parse_date
from congress_desktop.core.errors import Exists, FieldErrors, InvalidInput, NotFound
from congress_desktop.core.office import get_setting, set_setting
from congress_desktop.core.store.access import get_live
from congress_desktop.core.store.models import Deputy, Village
from congress_desktop.core.store.models_grids import Grid, GridAssignment
from congress_desktop.core.text import clean, to_halfwidth
from congress_desktop.deputies.rules import LEVELS
from congress_desktop.grids import rules
from congress_desktop.grids.rows import (  # noqa: F401 - re-exported: callers read the rows from here too
    ISSUE_LABELS,
    ISSUE_ORDER,
    AcceptResult,
    AssignmentRow,
    AssignRequest,
    AssignResult,
    BalanceRow,
    CheckItem,
    DeputyChoice,
    GridCheckReport,
    GridRow,
    GridSettings,
    Placement,
    ProposalRow,
    RosterGrid,
    RosterMember,
    SuggestionResult,
    levels_label,
)
from congress_desktop.grids.rules import ROLE_HELPER, ROLE_LEAD, ROLES, GridData, int_field, normalise_grid
from congress_desktop.places.villages import find_village_ids, village_key

log = logging.getLogger(__name__)

SETTING_LIMIT = "grids.limit"
SETTING_VISIT_MONTHS = "grids.visit_months"
VISIT_FORM_HOME = "入户走访"


def today() -> str:
    return dt.date.today().isoformat()


def parse_day(value: object, label: str = "日期") -> str:
    """An ISO day from what a user typed; today when empty."""
    try:
        day = parse_date(value)
    except DateError as e:
        raise InvalidInput(f"{label}：{e}") from None
    return day or today()


def village_id_of(ctx: Context, village: str | None) -> str | None:
    """A village the user named by code or name (None when not named); NotFound when unknown."""
    if not village:
        return None
    ids = find_village_ids(ctx)
    vid = ids.get(village) or ids.get(village_key(village))
    if vid is None:
        raise NotFound(f"找不到村(社区)“{village}”（可用区划代码或名称）")
    return vid


# ================================================================== settings

def grid_settings(ctx: Context) -> GridSettings:
    def number(key: str, default: int) -> int:
        value = get_setting(ctx, key, str(default))
        return int(value) if value.isdigit() and int(value) > 0 else default

    return GridSettings(number(SETTING_LIMIT, rules.DEFAULT_LIMIT),
                        number(SETTING_VISIT_MONTHS, rules.DEFAULT_VISIT_MONTHS))


def save_grid_settings(ctx: Context, limit: object, visit_months: object) -> GridSettings:
    errors = {}
    values = {}
    for key, value, low, high, label in (("limit", limit, 1, rules.MAX_LIMIT, "每个网格代表上限"),
                                         ("visit_months", visit_months, 1, 24, "走访提醒月数")):
        t = to_halfwidth(clean(value))
        if not t.isdigit() or not low <= int(t) <= high:
            errors[key] = f"{label}应为 {low} 到 {high} 之间的整数"
        else:
            values[key] = int(t)
    if errors:
        raise FieldErrors(errors)
    set_setting(ctx, SETTING_LIMIT, str(values["limit"]))
    set_setting(ctx, SETTING_VISIT_MONTHS, str(values["visit_months"]))
    return grid_settings(ctx)


# ================================================================== loading

@dataclass
class GridState:
    """Everything the rules need, read in one unit of work."""

    villages: dict[str, Village]
    grids: dict[str, Grid]
    deputies: dict[str, Deputy]
    assignments: list[GridAssignment]

    def village_infos(self) -> list[rules.VillageInfo]:
        return [rules.VillageInfo(v.id, v.code, v.name) for v in self.villages.values()]

    def grid_infos(self) -> list[rules.GridInfo]:
        # a grid has been in service since it was registered, or since its first deputy if earlier
        # (a roster imported with 2022 dates): that is when "no visit for N months" starts to count
        first: dict[str, str] = {}
        for a in self.assignments:
            if a.grid_id not in first or a.start_on < first[a.grid_id]:
                first[a.grid_id] = a.start_on
        out = []
        for g in self.grids.values():
            info = _grid_info(g)
            since = min(x for x in (info.created_on, first.get(g.id, "")) if x) if info.created_on else ""
            out.append(replace(info, created_on=since))
        return out

    def deputy_infos(self) -> list[rules.DeputyInfo]:
        return [_deputy_info(d) for d in self.deputies.values()]

    def deputy_map(self) -> dict[str, rules.DeputyInfo]:
        return {d.id: _deputy_info(d) for d in self.deputies.values()}

    def assignment_infos(self) -> list[rules.AssignmentInfo]:
        return [_assignment_info(a) for a in self.assignments]


def _grid_info(g: Grid) -> rules.GridInfo:
    created = g.created_at.date().isoformat() if g.created_at else ""
    return rules.GridInfo(g.id, g.code, g.name, g.village_id, g.households, created)


def _deputy_info(d: Deputy) -> rules.DeputyInfo:
    return rules.DeputyInfo(d.id, d.name, d.village_id, tuple(k for k in d.levels.split(",") if k), d.status,
                            d.status_date, d.elected_on, d.group_name)


def _assignment_info(a: GridAssignment) -> rules.AssignmentInfo:
    return rules.AssignmentInfo(a.id, a.grid_id, a.deputy_id, a.role, a.start_on, a.end_on, a.households)


def load_state(s: Session) -> GridState:
    villages = {v.id: v for v in s.scalars(select(Village).where(Village.deleted.is_(False)).order_by(Village.code))}
    grids = {g.id: g for g in s.scalars(select(Grid).where(Grid.deleted.is_(False)).order_by(Grid.code))
             if g.village_id in villages}
    deputies = {d.id: d for d in s.scalars(select(Deputy).where(Deputy.deleted.is_(False)))}
    assignments = [a for a in s.scalars(select(GridAssignment).where(GridAssignment.deleted.is_(False))
                                        .order_by(GridAssignment.start_on, GridAssignment.created_at))
                   if a.grid_id in grids and a.deputy_id in deputies]
    return GridState(villages, grids, deputies, assignments)


# ------------------------------------------------------------------ visits (another module's table)

_VISIT_DATE_COLUMNS = ("visit_date", "visited_on", "date", "held_on", "happened_on", "started_at", "start_at",
                       "at")


def _visit_dates(s: Session) -> dict[str, list[str]] | None:
    """grid id -> dates of its visits (ISO), or None when this database records no visits.

    The visits module owns its table; read it defensively by its columns so neither module
    imports the other (a plain ``grid_id`` column, no foreign key)."""
    try:
        insp = sa_inspect(s.connection())
        if "visit" not in insp.get_table_names():
            return None
        cols = {c["name"] for c in insp.get_columns("visit")}
    except Exception:  # noqa: BLE001 - visits are optional here; never break the grid page
        log.exception("cannot inspect the visit table")
        return None
    date_col = next((c for c in _VISIT_DATE_COLUMNS if c in cols), None)
    if "grid_id" not in cols or date_col is None:
        return None
    sql = f'SELECT grid_id, "{date_col}" FROM visit WHERE grid_id IS NOT NULL AND grid_id != \'\''
    if "deleted" in cols:
        sql += " AND deleted = 0"
    out: dict[str, list[str]] = {}
    for grid_id, when in s.execute(text(sql)):
        if when:
            out.setdefault(str(grid_id), []).append(str(when)[:10])
    return out


# ================================================================== grids

def _grid_row(g: Grid, village: Village | None, members: Sequence[str] = (),
              visits: int | None = None) -> GridRow:
    return GridRow(g.id, g.code, g.name, g.village_id, village.code if village else "",
                   village.name if village else "", g.households, g.population, g.worker_name, g.worker_phone,
                   g.note, g.version, len(members), tuple(members), visits)


def _grid_rows(s: Session, st: GridState, grids: Iterable[Grid], on: str) -> list[GridRow]:
    roster = rules.roster_on(st.grid_infos(), st.deputy_map(), st.assignment_infos(), on)
    visits = _visit_dates(s)
    year = on[:4]
    out = []
    for g in grids:
        names = [st.deputies[a.deputy_id].name for a in roster.get(g.id, [])]
        n_visits = None if visits is None else sum(1 for d in visits.get(g.id, []) if d[:4] == year and d <= on)
        out.append(_grid_row(g, st.villages.get(g.village_id), names, n_visits))
    return out


def _sorted_grids(st: GridState, village_id: str | None = None) -> list[Grid]:
    grids = [g for g in st.grids.values() if not village_id or g.village_id == village_id]
    return sorted(grids, key=lambda g: (st.villages[g.village_id].code, g.code))


def list_grids(ctx: Context, village_id: str | None = None, on: str | None = None) -> list[GridRow]:
    """The grids (of one village, or all), by village code then grid code, with the deputies on
    ``on`` (today) and this year's visits. Also the choice list of the visit form."""
    on = parse_day(on)
    with ctx.store.session() as s:
        st = load_state(s)
        return _grid_rows(s, st, _sorted_grids(st, village_id), on)


def get_grid(ctx: Context, grid_id: str, on: str | None = None) -> GridRow:
    on = parse_day(on)
    with ctx.store.session() as s:
        st = load_state(s)
        g = st.grids.get(grid_id)
        if g is None:
            raise NotFound("该网格不存在或已删除")
        return _grid_rows(s, st, [g], on)[0]


def _check_grid_clash(s: Session, data: GridData, exclude_id: str | None) -> None:
    base = select(Grid).where(Grid.deleted.is_(False), Grid.id != (exclude_id or ""))
    other = s.scalars(base.where(Grid.code == data.code)).first()
    if other:
        raise Exists(f"网格编号 {data.code} 已被“{other.name}”使用", field="code")
    other = s.scalars(base.where(Grid.village_id == data.village_id, Grid.name == data.name)).first()
    if other:
        raise Exists(f"本村(社区)已有名为“{data.name}”的网格（编号 {other.code}）", field="name")


def apply_grid(g: Grid, data: GridData) -> None:
    for key, value in vars(data).items():
        if getattr(g, key) != value:
            setattr(g, key, value)


def save_grid(ctx: Context, raw: dict, grid_id: str | None = None) -> GridRow:
    """New grid, or edit one. Code unique in the town; name unique in its village."""
    data = normalise_grid(raw)
    with ctx.store.session() as s:
        village = s.get(Village, data.village_id)
        if village is None or village.deleted:
            raise FieldErrors({"village_id": "所选村(社区)不存在"})
        _check_grid_clash(s, data, grid_id)
        if grid_id:
            g = get_live(s, Grid, grid_id, "网格")
        else:
            g = Grid()
            s.add(g)
        apply_grid(g, data)
        s.flush()
        st = load_state(s)
        return _grid_rows(s, st, [g], today())[0]


def delete_grid(ctx: Context, grid_id: str) -> None:
    """Only a grid nobody is placed in now; its history stays with the tombstone."""
    with ctx.store.session() as s:
        g = get_live(s, Grid, grid_id, "网格")
        open_rows = s.scalars(select(GridAssignment).where(
            GridAssignment.grid_id == grid_id, GridAssignment.deleted.is_(False),
            (GridAssignment.end_on == "") | (GridAssignment.end_on > today()))).all()
        if open_rows:
            raise Exists(f"“{g.name}”还有 {len(open_rows)} 名代表，不能删除；请先为这些代表办理离格或调整网格")
        g.deleted = True


def next_grid_code(ctx: Context, village_id: str) -> str:
    """A free code for a new grid: the village's 12-digit code plus a 3-digit number (…001)."""
    with ctx.store.session() as s:
        village = s.get(Village, village_id)
        if village is None:
            raise NotFound("所选村(社区)不存在")
        used = set(s.scalars(select(Grid.code).where(Grid.deleted.is_(False))))
    return rules.free_code(village.code, used)


# ================================================================== assignments

def _assignment_row(a: GridAssignment, g: Grid, v: Village | None, d: Deputy) -> AssignmentRow:
    return AssignmentRow(a.id, g.id, g.code, g.name, g.village_id, v.name if v else "", d.id, d.name,
                         levels_label(d.levels), d.mobile or d.phone, a.role, a.households, a.start_on,
                         a.end_on, a.note, d.status, d.status_date)


def _row_of(s: Session, a: GridAssignment) -> AssignmentRow:
    g = _grid_of(s, a.grid_id)
    return _assignment_row(a, g, s.get(Village, g.village_id), _deputy_of(s, a.deputy_id))


def _grid_of(s: Session, grid_id: str) -> Grid:
    """A grid an assignment of this session names (assignments are never orphaned)."""
    g = s.get(Grid, grid_id)
    assert g is not None, grid_id
    return g


def _deputy_of(s: Session, deputy_id: str) -> Deputy:
    d = s.get(Deputy, deputy_id)
    assert d is not None, deputy_id
    return d


def _open_rows(s: Session, *, deputy_id: str | None = None, grid_id: str | None = None) -> list[GridAssignment]:
    q = select(GridAssignment).where(GridAssignment.deleted.is_(False), GridAssignment.end_on == "")
    if deputy_id:
        q = q.where(GridAssignment.deputy_id == deputy_id)
    if grid_id:
        q = q.where(GridAssignment.grid_id == grid_id)
    return list(s.scalars(q.order_by(GridAssignment.start_on, GridAssignment.created_at)))


def _members_on(s: Session, grid_id: str, day: str, exclude: Iterable[str] = ()) -> list[GridAssignment]:
    """Assignments of a grid in force on ``day`` (or starting later and still open), deputy in office."""
    skip = set(exclude)
    out = []
    for a in s.scalars(select(GridAssignment).where(GridAssignment.grid_id == grid_id,
                                                    GridAssignment.deleted.is_(False))
                       .order_by(GridAssignment.start_on, GridAssignment.created_at)):
        if a.id in skip:
            continue
        d = s.get(Deputy, a.deputy_id)
        if d is None or d.deleted:
            continue
        info = _assignment_info(a)
        later_open = a.start_on > day and a.end_on == ""
        if (rules.in_force(info, day) or later_open) and rules.in_office_on(_deputy_info(d), max(day, a.start_on)):
            out.append(a)
    return out


def _change_role(s: Session, a: GridAssignment, role: str, day: str) -> GridAssignment:
    """A role from ``day`` on: the old row closes and a new one opens (same-day: corrected in place)."""
    if a.start_on >= day:
        a.role = role
        return a
    a.end_on = day
    new = GridAssignment(grid_id=a.grid_id, deputy_id=a.deputy_id, role=role, households=a.households,
                         start_on=day, end_on="", note=a.note)
    s.add(new)
    s.flush()
    return new


def _end(s: Session, a: GridAssignment, day: str) -> None:
    if day < a.start_on:
        raise InvalidInput(f"离格日期 {day} 早于入格日期 {a.start_on}")
    if day == a.start_on:
        a.deleted = True  # ended the day it began: an entry made by mistake, not history
    else:
        a.end_on = day


def _promote_if_leaderless(s: Session, grid_id: str, day: str, leaving: Iterable[str]) -> list[str]:
    """After a 责任代表 leaves a grid, the longest-serving 协助代表 becomes 责任代表 from that day."""
    rest = _members_on(s, grid_id, day, exclude=leaving)
    if not rest or any(a.role == ROLE_LEAD for a in rest):
        return []
    first = rest[0]
    _change_role(s, first, ROLE_LEAD, max(day, first.start_on))
    d = _deputy_of(s, first.deputy_id)
    g = _grid_of(s, grid_id)
    return [f"{g.name}的协助代表{d.name}自 {max(day, first.start_on)} 起改任责任代表"]


def assign_in(s: Session, req: AssignRequest, limit: int | None) -> AssignResult:
    """The one place a deputy enters or changes grid (the placement rules are in ``grids.rules``).
    ``limit`` None skips the limit (imports check the final state themselves)."""
    d = get_live(s, Deputy, req.deputy_id, "代表")
    g = get_live(s, Grid, req.grid_id, "网格")
    day, role = req.day, req.role
    rules.check_role(role)
    rules.check_entry(_deputy_info(d), day, req.households)
    current = _open_rows(s, deputy_id=d.id)
    later = [a for a in current if a.start_on > day]
    rules.check_not_before_later_entry(d.name, later[0].start_on if later else None, day)
    same = [a for a in current if a.grid_id == g.id]
    if same:
        a = same[0]
        if role is None or role == a.role:
            raise Exists(f"{d.name}已在“{g.name}”（{a.role}，自 {a.start_on} 起）")
        return _set_role(s, a, role, day)
    members = _members_on(s, g.id, day)
    rules.check_room(g.name, len(members), limit)
    lead = next((a for a in members if a.role == ROLE_LEAD), None)
    role = rules.entry_role(role, lead is not None)
    messages: list[str] = []
    closed_row = None
    for old in current:
        closed_row = old
        _end(s, old, day)
        if old.role == ROLE_LEAD:
            messages += _promote_if_leaderless(s, old.grid_id, day, [old.id])
    if role == ROLE_LEAD and lead is not None:
        _change_role(s, lead, ROLE_HELPER, max(day, lead.start_on))
        messages.append(f"{g.name}原责任代表{_deputy_of(s, lead.deputy_id).name}自 {day} 起改任协助代表")
    new = GridAssignment(grid_id=g.id, deputy_id=d.id, role=role, households=req.households, start_on=day,
                         end_on="", note=clean(req.note))
    s.add(new)
    s.flush()
    closed = _row_of(s, closed_row) if closed_row is not None else None
    if closed is not None:
        messages.insert(0, f"已从“{closed.grid_name}”调至“{g.name}”")
    return AssignResult(_row_of(s, new), closed, tuple(messages))


def _set_role(s: Session, a: GridAssignment, role: str, day: str) -> AssignResult:
    messages: list[str] = []
    g = _grid_of(s, a.grid_id)
    if role == ROLE_LEAD:
        for other in _members_on(s, a.grid_id, day, exclude=[a.id]):
            if other.role == ROLE_LEAD:
                _change_role(s, other, ROLE_HELPER, max(day, other.start_on))
                messages.append(f"{g.name}原责任代表{_deputy_of(s, other.deputy_id).name}自 {day} 起改任协助代表")
    new = _change_role(s, a, role, max(day, a.start_on))
    if role == ROLE_HELPER:
        leads = [m for m in _members_on(s, a.grid_id, day) if m.role == ROLE_LEAD]
        if not leads:
            messages.append(f"提示：{g.name}目前没有责任代表")
    return AssignResult(_row_of(s, new), None, tuple(messages))


def assign_deputy(ctx: Context, deputy_id: str, grid_id: str, *, role: str | None = None,
                  start_on: object = None, households: int = 0, note: str = "") -> AssignResult:
    """Place a deputy in a grid from ``start_on`` (today). A deputy already in another grid is moved:
    the old assignment closes that day and a new one opens (history kept). ``role`` None: 责任代表
    when the grid has none, else 协助代表; naming a new 责任代表 makes the old one a 协助代表."""
    day = parse_day(start_on, "入格日期")
    limit = grid_settings(ctx).limit
    with ctx.store.session() as s:
        return assign_in(s, AssignRequest(deputy_id, grid_id, role, day, households, note), limit)


move_deputy = assign_deputy  # the same use case seen from a deputy already placed


def set_assignment_role(ctx: Context, assignment_id: str, role: str, on: object = None) -> AssignResult:
    day = parse_day(on)
    rules.check_role(role)
    with ctx.store.session() as s:
        a = s.get(GridAssignment, assignment_id)
        if a is None or a.deleted or a.end_on:
            raise NotFound("该入格记录不存在或已结束")
        if a.role == role:
            return AssignResult(_row_of(s, a), None, ())
        return _set_role(s, a, role, day)


def update_assignment(ctx: Context, assignment_id: str, *, households: object = None,
                      note: object = None) -> AssignmentRow:
    """Correct the households in contact or the note (no new history row: it is the same placement)."""
    errors: dict[str, str] = {}
    n = int_field({"households": households}, "households", "联系户数", errors) if households is not None else None
    if errors:
        raise FieldErrors(errors)
    with ctx.store.session() as s:
        a = get_live(s, GridAssignment, assignment_id, "入格记录")
        if n is not None and a.households != n:
            a.households = n
        if note is not None and a.note != clean(note):
            a.note = clean(note)
        s.flush()
        return _row_of(s, a)


def end_assignment(ctx: Context, assignment_id: str, end_on: object = None) -> AssignResult:
    """离格 from ``end_on`` (today): the deputy is no longer in the grid from that day. A 责任代表
    leaving hands the role to the longest-serving 协助代表."""
    day = parse_day(end_on, "离格日期")
    with ctx.store.session() as s:
        a = get_live(s, GridAssignment, assignment_id, "入格记录")
        if a.end_on and a.end_on <= day:
            raise InvalidInput(f"该入格记录已于 {a.end_on} 结束")
        closed = _row_of(s, a)
        _end(s, a, day)
        messages = [f"{closed.deputy_name}自 {day} 起离开“{closed.grid_name}”"]
        if a.role == ROLE_LEAD:
            messages += _promote_if_leaderless(s, a.grid_id, day, [a.id])
        return AssignResult(None, closed, tuple(messages))


def close_vacancies(ctx: Context, on: object = None) -> list[AssignResult]:
    """离格 for every deputy who left office but is still on a grid, from their status date."""
    day = parse_day(on)
    results = []
    with ctx.store.session() as s:
        st = load_state(s)
        report = rules.check_grids(st.village_infos(), st.grid_infos(), st.deputy_infos(), st.assignment_infos(),
                                   day, grid_settings(ctx).limit)
        for vac in report.vacated:
            a = get_live(s, GridAssignment, vac.assignment.id, "入格记录")
            when = max(vac.deputy.status_date or day, a.start_on)
            closed = _row_of(s, a)
            _end(s, a, when)
            messages = [f"{closed.deputy_name}（{vac.deputy.status}）自 {when} 起离开“{closed.grid_name}”"]
            if a.role == ROLE_LEAD:
                messages += _promote_if_leaderless(s, a.grid_id, when, [a.id])
            results.append(AssignResult(None, closed, tuple(messages)))
    return results


def grid_history(ctx: Context, grid_id: str) -> list[AssignmentRow]:
    """Every placement in a grid, newest first."""
    with ctx.store.session() as s:
        st = load_state(s)
        g = st.grids.get(grid_id)
        if g is None:
            raise NotFound("该网格不存在或已删除")
        rows = [a for a in st.assignments if a.grid_id == grid_id]
        rows.sort(key=lambda a: (a.start_on, a.created_at), reverse=True)
        return [_assignment_row(a, g, st.villages.get(g.village_id), st.deputies[a.deputy_id]) for a in rows]


def deputy_history(ctx: Context, deputy_id: str) -> list[AssignmentRow]:
    """Every grid a deputy has been in, newest first."""
    with ctx.store.session() as s:
        st = load_state(s)
        rows = [a for a in st.assignments if a.deputy_id == deputy_id]
        rows.sort(key=lambda a: (a.start_on, a.created_at), reverse=True)
        return [_assignment_row(a, st.grids[a.grid_id], st.villages.get(st.grids[a.grid_id].village_id),
                                st.deputies[a.deputy_id]) for a in rows]


def deputy_choices(ctx: Context, on: str | None = None) -> list[DeputyChoice]:
    """Deputies in office on ``on``, unplaced ones first, then by village and name."""
    on = parse_day(on)
    with ctx.store.session() as s:
        st = load_state(s)
        deps = st.deputy_map()
        placed = rules.placed_on(deps, st.assignment_infos(), on, set(st.grids))
        out = []
        for d in st.deputies.values():
            info = deps[d.id]
            if not rules.in_office_on(info, on):
                continue
            a = placed.get(d.id)
            v = st.villages.get(d.village_id or "")
            out.append(DeputyChoice(d.id, d.name, v.name if v else "", levels_label(d.levels), d.mobile,
                                    st.grids[a.grid_id].name if a else "", rules.needs_grid(info, on)))
        vcode = {v.id: v.code for v in st.villages.values()}
        code_of = {d.id: vcode.get(d.village_id or "", "~") for d in st.deputies.values()}
        pinyin = {d.id: d.name_pinyin for d in st.deputies.values()}
        out.sort(key=lambda c: (bool(c.grid_name) or not c.needs_grid, code_of[c.id], pinyin[c.id]))
        return out


# ================================================================== roster on a date

def _member(a: rules.AssignmentInfo, d: Deputy) -> RosterMember:
    levels = tuple(k for k in d.levels.split(",") if k)
    return RosterMember(a.id, d.id, d.name, d.gender, levels, levels_label(d.levels),
                        "、".join(LEVELS.get(k, k) for k in levels), a.role, d.mobile or d.phone, a.households,
                        a.start_on, d.work_unit)


def roster_on(ctx: Context, on: object = None, village_id: str | None = None) -> list[RosterGrid]:
    """Who was in which grid on ``on`` (today), read from the assignment history: a deputy 暂停 or
    终止 by then is left out, whatever their assignment says."""
    day = parse_day(on)
    with ctx.store.session() as s:
        st = load_state(s)
        roster = rules.roster_on(st.grid_infos(), st.deputy_map(), st.assignment_infos(), day)
        grids = _sorted_grids(st, village_id)
        rows = _grid_rows(s, st, grids, day)
        return [RosterGrid(row, tuple(_member(a, st.deputies[a.deputy_id]) for a in roster[g.id]))
                for g, row in zip(grids, rows, strict=True)]


# ================================================================== checks

def _balance_row(b: rules.Balance, name: str) -> BalanceRow:
    pg = b.per_grid
    hh = b.households_per_deputy
    return BalanceRow(b.village_id or "", name, b.grids, b.deputies, b.households,
                      int(pg.low) if pg else 0, int(pg.high) if pg else 0, int(pg.spread) if pg else 0,
                      int(hh.low) if hh else None, int(hh.high) if hh else None, int(hh.spread) if hh else None)


def check_grids(ctx: Context, on: object = None) -> GridCheckReport:
    """Every hole on ``on`` (today): 未入格 deputies, grids without deputy or 责任代表, grids over the
    limit, deputies who left office but are still on a grid, and (where visits are recorded) grids
    without a visit in the last N months; with balance figures per village and for the town."""
    day = parse_day(on)
    settings = grid_settings(ctx)
    with ctx.store.session() as s:
        st = load_state(s)
        visits = _visit_dates(s)
    last: dict[str, str] | None = None
    if visits is not None:  # the latest visit on or before the day, per grid
        last = {}
        for grid_id, dates in visits.items():
            past = [d for d in dates if d <= day]
            if past:
                last[grid_id] = max(past)
    r = rules.check_grids(st.village_infos(), st.grid_infos(), st.deputy_infos(), st.assignment_infos(), day,
                          settings.limit,
                          visits=None if last is None else rules.VisitLog(last, settings.visit_months))

    def vname(vid: str | None) -> str:
        v = st.villages.get(vid or "")
        return v.name if v else ""

    def item(kind: str, grid: rules.GridInfo | None, dep: rules.DeputyInfo | None, detail: str,
             assignment_id: str = "") -> CheckItem:
        vid = grid.village_id if grid else (dep.village_id or "" if dep else "")
        return CheckItem(kind, ISSUE_LABELS[kind], vid, vname(vid), grid.id if grid else "",
                         grid.name if grid else "", dep.id if dep else "", dep.name if dep else "", detail,
                         assignment_id)

    items: list[CheckItem] = []
    for d in r.unplaced:
        levels = levels_label(",".join(d.levels))
        items.append(item("unplaced", None, d, f"{levels}代表，在任但不在任何网格：请安排入格"))
    for v in r.vacated:
        items.append(item("vacated", v.grid, v.deputy,
                          f"{v.deputy.status}于 {v.deputy.status_date}，仍登记为{v.assignment.role}：请办理离格",
                          v.assignment.id))
    for g in r.empty:
        items.append(item("empty", g, None, "网格内没有在任代表：请安排代表入格"))
    for g in r.no_lead:
        items.append(item("no_lead", g, None, "网格有代表但没有责任代表：请指定一名责任代表"))
    for g, n in r.over_limit:
        items.append(item("over_limit", g, None, f"有 {n} 名代表，超过每个网格 {r.limit} 名的上限：请调出部分代表"))
    for g, last_day in r.no_visit:
        when = f"最近一次走访在 {last_day}" if last_day else "没有走访记录"
        items.append(item("no_visit", g, None, f"近 {r.visit_months} 个月没有走访（{when}）"))
    order = {k: i for i, k in enumerate(ISSUE_ORDER)}
    vcode = {v.id: v.code for v in st.villages.values()}
    gcode = {g.id: g.code for g in st.grids.values()}
    items.sort(key=lambda i: (order[i.kind], vcode.get(i.village_id, "~"), gcode.get(i.grid_id, ""), i.deputy))
    balance = tuple(_balance_row(b, vname(b.village_id) if b.village_id else "全镇") for b in r.balance)
    needed = [d for d in st.deputy_infos() if rules.needs_grid(d, day)]
    return GridCheckReport(day, r.limit, r.visit_months, len(st.grids), len(needed), len(needed) - len(r.unplaced),
                           tuple(items), balance)


# ================================================================== the suggestion

def suggest_placements(ctx: Context, on: object = None) -> SuggestionResult:
    """一键建议入格: a proposal for every deputy not yet in a grid. Nothing is written: the user
    reviews the proposals and :func:`accept_placements` applies the ones kept."""
    day = parse_day(on)
    limit = grid_settings(ctx).limit
    with ctx.store.session() as s:
        st = load_state(s)
    sug = rules.suggest_placements(st.village_infos(), st.grid_infos(), st.deputy_infos(), st.assignment_infos(),
                                   day, limit)
    rows = []
    for p in sug.proposals:
        d = st.deputies[p.deputy_id]
        g = st.grids[p.grid_id]
        dv = st.villages.get(d.village_id or "")
        rows.append(ProposalRow(d.id, d.name, dv.name if dv else "", levels_label(d.levels), g.id,
                                f"{st.villages[g.village_id].name} · {g.name}", p.role, p.reason))
    return SuggestionResult(day, limit, tuple(rows), tuple(d.name for d in sug.unplaceable))


def accept_placements(ctx: Context, placements: Sequence[Placement | ProposalRow], on: object = None) -> AcceptResult:
    """Apply the proposals the user kept, all or none. Each is checked again: the deputy is still in
    office and not placed, the grid exists, and no grid goes over the limit."""
    day = parse_day(on)
    limit = grid_settings(ctx).limit
    chosen = [Placement(p.deputy_id, p.grid_id, p.role) for p in placements]
    if not chosen:
        raise InvalidInput("没有选中任何建议")
    errors: list[str] = []
    messages: list[str] = []
    with ctx.store.session() as s:
        st = load_state(s)
        deps = st.deputy_map()
        placed = rules.placed_on(deps, st.assignment_infos(), day, set(st.grids))
        roster = rules.roster_on(st.grid_infos(), deps, st.assignment_infos(), day)
        load = {g: len(m) for g, m in roster.items()}
        leads = {g: sum(1 for a in m if a.role == ROLE_LEAD) for g, m in roster.items()}
        seen: set[str] = set()
        for p in chosen:
            d = st.deputies.get(p.deputy_id)
            g = st.grids.get(p.grid_id)
            if d is None:
                errors.append("有一名代表已被删除，请重新生成建议")
                continue
            if g is None:
                errors.append(f"{d.name}：所选网格不存在或已删除")
                continue
            if p.deputy_id in seen:
                errors.append(f"{d.name}：同一代表只能入一个网格")
                continue
            seen.add(p.deputy_id)
            if p.deputy_id in placed:
                errors.append(f"{d.name}：已在“{st.grids[placed[p.deputy_id].grid_id].name}”，建议不调整已入格的代表")
                continue
            if not rules.in_office_on(deps[d.id], day):
                errors.append(f"{d.name}：在 {day} 不在任")
                continue
            if p.role is not None and p.role not in ROLES:
                errors.append(f"{d.name}：角色应为 {'、'.join(ROLES)}")
                continue
            load[g.id] += 1
            if load[g.id] == limit + 1:
                errors.append(f"“{st.villages[g.village_id].name} · {g.name}”将超过每个网格 {limit} 名的上限")
            if p.role == ROLE_LEAD:
                leads[g.id] += 1
                if leads[g.id] == 2:
                    errors.append(f"“{g.name}”只能有一名责任代表")
        if errors:
            raise InvalidInput("未采纳任何建议：" + "；".join(errors), problems=tuple(errors))
        for p in chosen:
            res = assign_in(s, AssignRequest(p.deputy_id, p.grid_id, p.role, day), None)
            messages += res.messages
    return AcceptResult(len(chosen), tuple(messages))

