"""Grid rosters (网格化履职): grids of each village, deputies placed in them with a role and dates,
the roster of any date, the coverage checks, the 一键建议入格 suggestion, spreadsheets and printing.

Rules live in ``domain.grids``; this module loads the records, applies the changes in one unit of
work and returns plain frozen dataclasses. Moving a deputy closes the old assignment and opens a new
one on the same day, so the history stays readable as "the roster on date D"."""

from __future__ import annotations

import datetime as dt
import logging
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from sqlalchemy import inspect as sa_inspect
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from congress_desktop.core.context import Cancel, Context, Progress, check_cancel, never_cancel, no_progress
from congress_desktop.core.dates import DateError, parse_date
from congress_desktop.core.errors import CongressError, Exists, FieldErrors, InvalidInput, NotFound
from congress_desktop.core.importing import ImportResult
from congress_desktop.core.office import get_setting, set_setting
from congress_desktop.core.phone import PhoneError, normalise_phone
from congress_desktop.core.sheets import RowError, read_sheet, write_xlsx
from congress_desktop.core.store.models import Deputy, Village
from congress_desktop.core.store.models_grids import Grid, GridAssignment
from congress_desktop.core.text import clean, clean_name, to_halfwidth
from congress_desktop.deputies.rules import LEVEL_SHORT, LEVELS
from congress_desktop.grids import rules
from congress_desktop.grids.rules import ROLE_HELPER, ROLE_LEAD, ROLES
from congress_desktop.places.villages import find_village_ids, village_key

log = logging.getLogger(__name__)

SETTING_LIMIT = "grids.limit"
SETTING_VISIT_MONTHS = "grids.visit_months"
VISIT_FORM_HOME = "入户走访"

ISSUE_LABELS = {
    "unplaced": "未入格",
    "empty": "无代表网格",
    "over_limit": "超员网格",
    "no_lead": "无责任代表",
    "vacated": "离任未离格",
    "no_visit": "未走访",
}
ISSUE_ORDER = tuple(ISSUE_LABELS)


def today() -> str:
    return dt.date.today().isoformat()


def _day(value: object, label: str = "日期") -> str:
    """An ISO day from what a user typed; today when empty."""
    try:
        day = parse_date(value)
    except DateError as e:
        raise InvalidInput(f"{label}：{e}") from None
    return day or today()


# ================================================================== settings

@dataclass(frozen=True)
class GridSettings:
    limit: int          # most deputies in one grid
    visit_months: int   # a grid without a visit in this many months is flagged


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
class _State:
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


def _load(s: Session) -> _State:
    villages = {v.id: v for v in s.scalars(select(Village).where(Village.deleted.is_(False)).order_by(Village.code))}
    grids = {g.id: g for g in s.scalars(select(Grid).where(Grid.deleted.is_(False)).order_by(Grid.code))
             if g.village_id in villages}
    deputies = {d.id: d for d in s.scalars(select(Deputy).where(Deputy.deleted.is_(False)))}
    assignments = [a for a in s.scalars(select(GridAssignment).where(GridAssignment.deleted.is_(False))
                                        .order_by(GridAssignment.start_on, GridAssignment.created_at))
                   if a.grid_id in grids and a.deputy_id in deputies]
    return _State(villages, grids, deputies, assignments)


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
            out.setdefault(grid_id, []).append(str(when)[:10])
    return out


# ================================================================== grids

@dataclass(frozen=True)
class GridRow:
    id: str
    code: str
    name: str
    village_id: str
    village_code: str
    village_name: str
    households: int
    population: int
    worker_name: str
    worker_phone: str
    note: str
    version: int
    deputies: int = 0                        # on the day asked (today by default)
    deputy_names: tuple[str, ...] = ()       # 责任代表 first
    visits_this_year: int | None = None      # None: this database records no visits

    @property
    def label(self) -> str:
        """What a choice list shows: 「黄家村 · 第一网格」."""
        return f"{self.village_name} · {self.name}"

    def as_form(self) -> dict:
        return {k: getattr(self, k) for k in ("code", "name", "village_id", "households", "population",
                                              "worker_name", "worker_phone", "note")}


def _grid_row(g: Grid, village: Village | None, members: Sequence[str] = (),
              visits: int | None = None) -> GridRow:
    return GridRow(g.id, g.code, g.name, g.village_id, village.code if village else "",
                   village.name if village else "", g.households, g.population, g.worker_name, g.worker_phone,
                   g.note, g.version, len(members), tuple(members), visits)


def _grid_rows(s: Session, st: _State, grids: Iterable[Grid], on: str) -> list[GridRow]:
    roster = rules.roster_on(st.grid_infos(), st.deputy_map(), st.assignment_infos(), on)
    visits = _visit_dates(s)
    year = on[:4]
    out = []
    for g in grids:
        names = [st.deputies[a.deputy_id].name for a in roster.get(g.id, [])]
        n_visits = None if visits is None else sum(1 for d in visits.get(g.id, []) if d[:4] == year and d <= on)
        out.append(_grid_row(g, st.villages.get(g.village_id), names, n_visits))
    return out


def _sorted_grids(st: _State, village_id: str | None = None) -> list[Grid]:
    grids = [g for g in st.grids.values() if not village_id or g.village_id == village_id]
    return sorted(grids, key=lambda g: (st.villages[g.village_id].code, g.code))


def list_grids(ctx: Context, village_id: str | None = None, on: str | None = None) -> list[GridRow]:
    """The grids (of one village, or all), by village code then grid code, with the deputies on
    ``on`` (today) and this year's visits. Also the choice list of the visit form."""
    on = _day(on)
    with ctx.store.session() as s:
        st = _load(s)
        return _grid_rows(s, st, _sorted_grids(st, village_id), on)


def get_grid(ctx: Context, grid_id: str, on: str | None = None) -> GridRow:
    on = _day(on)
    with ctx.store.session() as s:
        st = _load(s)
        g = st.grids.get(grid_id)
        if g is None:
            raise NotFound("该网格不存在或已删除")
        return _grid_rows(s, st, [g], on)[0]


def _int_field(raw: dict, key: str, label: str, errors: dict[str, str]) -> int:
    t = to_halfwidth(clean(raw.get(key)))
    if t.endswith(".0"):  # Excel numbers
        t = t[:-2]
    if not t:
        return 0
    if not t.isdigit():
        errors[key] = f"{label}应为非负整数"
        return 0
    return int(t)


@dataclass(frozen=True)
class _GridData:
    village_id: str
    code: str
    name: str
    households: int
    population: int
    worker_name: str
    worker_phone: str
    note: str


def _normalise_grid(raw: dict) -> _GridData:
    errors: dict[str, str] = {}
    village_id = clean(raw.get("village_id"))
    if not village_id:
        errors["village_id"] = "请选择网格所属村(社区)"
    code = to_halfwidth(clean(raw.get("code"))).replace(" ", "")
    if not code:
        errors["code"] = "网格编号不能为空"
    elif len(code) > 30:
        errors["code"] = "网格编号过长（最多 30 个字符）"
    name = clean(raw.get("name"))
    if not name:
        errors["name"] = "网格名称不能为空"
    elif len(name) > 60:
        errors["name"] = "网格名称过长"
    households = _int_field(raw, "households", "户数", errors)
    population = _int_field(raw, "population", "人口", errors)
    phone = ""
    try:
        phone = normalise_phone(raw.get("worker_phone"))
    except PhoneError as e:
        errors["worker_phone"] = f"网格员电话：{e}"
    if errors:
        raise FieldErrors(errors)
    return _GridData(village_id, code, name, households, population, clean_name(raw.get("worker_name")), phone,
                     clean(raw.get("note")))


def _check_grid_clash(s: Session, data: _GridData, exclude_id: str | None) -> None:
    base = select(Grid).where(Grid.deleted.is_(False), Grid.id != (exclude_id or ""))
    other = s.scalars(base.where(Grid.code == data.code)).first()
    if other:
        raise Exists(f"网格编号 {data.code} 已被“{other.name}”使用", field="code")
    other = s.scalars(base.where(Grid.village_id == data.village_id, Grid.name == data.name)).first()
    if other:
        raise Exists(f"本村(社区)已有名为“{data.name}”的网格（编号 {other.code}）", field="name")


def _apply_grid(g: Grid, data: _GridData) -> None:
    for key, value in vars(data).items():
        if getattr(g, key) != value:
            setattr(g, key, value)


def save_grid(ctx: Context, raw: dict, grid_id: str | None = None) -> GridRow:
    """New grid, or edit one. Code unique in the town; name unique in its village."""
    data = _normalise_grid(raw)
    with ctx.store.session() as s:
        village = s.get(Village, data.village_id)
        if village is None or village.deleted:
            raise FieldErrors({"village_id": "所选村(社区)不存在"})
        _check_grid_clash(s, data, grid_id)
        if grid_id:
            g = s.get(Grid, grid_id)
            if g is None or g.deleted:
                raise NotFound("该网格不存在或已删除")
        else:
            g = Grid()
            s.add(g)
        _apply_grid(g, data)
        s.flush()
        st = _load(s)
        return _grid_rows(s, st, [g], today())[0]


def delete_grid(ctx: Context, grid_id: str) -> None:
    """Only a grid nobody is placed in now; its history stays with the tombstone."""
    with ctx.store.session() as s:
        g = s.get(Grid, grid_id)
        if g is None or g.deleted:
            raise NotFound("该网格不存在或已删除")
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
    return _free_code(village.code, used)


def _free_code(prefix: str, used: set[str]) -> str:
    n = 1
    while f"{prefix}{n:03d}" in used:
        n += 1
    return f"{prefix}{n:03d}"


# ================================================================== assignments

@dataclass(frozen=True)
class AssignmentRow:
    id: str
    grid_id: str
    grid_code: str
    grid_name: str
    village_id: str
    village_name: str
    deputy_id: str
    deputy_name: str
    levels_label: str
    mobile: str
    role: str
    households: int
    start_on: str
    end_on: str
    note: str
    deputy_status: str
    deputy_status_date: str

    def in_force(self, on: str) -> bool:
        return self.start_on <= on and (self.end_on == "" or on < self.end_on)

    @property
    def period(self) -> str:
        return f"{self.start_on} 至 {self.end_on or '今'}"


def _levels_label(levels: str) -> str:
    return "、".join(LEVEL_SHORT.get(k, k) for k in levels.split(",") if k)


def _assignment_row(a: GridAssignment, g: Grid, v: Village | None, d: Deputy) -> AssignmentRow:
    return AssignmentRow(a.id, g.id, g.code, g.name, g.village_id, v.name if v else "", d.id, d.name,
                         _levels_label(d.levels), d.mobile or d.phone, a.role, a.households, a.start_on,
                         a.end_on, a.note, d.status, d.status_date)


def _row_of(s: Session, a: GridAssignment) -> AssignmentRow:
    g = s.get(Grid, a.grid_id)
    return _assignment_row(a, g, s.get(Village, g.village_id), s.get(Deputy, a.deputy_id))


@dataclass(frozen=True)
class AssignResult:
    assignment: AssignmentRow | None    # the new or changed assignment (None when only ended)
    closed: AssignmentRow | None        # the assignment it replaced (a move), if any
    messages: tuple[str, ...]           # what else changed: a 责任代表 promoted or demoted

    @property
    def summary(self) -> str:
        return "；".join(self.messages)


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
    d = s.get(Deputy, first.deputy_id)
    g = s.get(Grid, grid_id)
    return [f"{g.name}的协助代表{d.name}自 {max(day, first.start_on)} 起改任责任代表"]


def _assign(s: Session, deputy_id: str, grid_id: str, *, role: str | None, day: str, households: int = 0,
            note: str = "", limit: int | None) -> AssignResult:
    """The one place a deputy enters or changes grid. ``limit`` None skips the limit (imports check
    the final state themselves)."""
    d = s.get(Deputy, deputy_id)
    if d is None or d.deleted:
        raise NotFound("该代表不存在或已删除")
    g = s.get(Grid, grid_id)
    if g is None or g.deleted:
        raise NotFound("该网格不存在或已删除")
    if role is not None and role not in ROLES:
        raise InvalidInput(f"角色应为 {'、'.join(ROLES)}")
    if households < 0:
        raise InvalidInput("联系户数不能为负数")
    if not rules.in_office_on(_deputy_info(d), day):
        state = f"{d.status}（{d.status_date}）" if d.status != "在任" else "尚未当选"
        raise InvalidInput(f"{d.name}在 {day} 不在任：{state}，不能入格")
    messages: list[str] = []
    current = _open_rows(s, deputy_id=deputy_id)
    later = [a for a in current if a.start_on > day]
    if later:
        raise InvalidInput(f"{d.name}自 {later[0].start_on} 起已有入格记录，不能安排在此之前的 {day}；"
                           "请改用更晚的日期，或先撤销那条记录")
    same = [a for a in current if a.grid_id == grid_id]
    if same:
        a = same[0]
        if role is None or role == a.role:
            raise Exists(f"{d.name}已在“{g.name}”（{a.role}，自 {a.start_on} 起）")
        return _set_role(s, a, role, day)
    members = _members_on(s, grid_id, day)
    if limit is not None and len(members) >= limit:
        raise InvalidInput(f"“{g.name}”已有 {len(members)} 名代表，达到每个网格 {limit} 名的上限；"
                           "可先调整其中的代表，或在设置中提高上限")
    lead = next((a for a in members if a.role == ROLE_LEAD), None)
    role = role or (ROLE_HELPER if lead else ROLE_LEAD)
    closed_row = None
    for old in current:
        closed_row = old
        _end(s, old, day)
        if old.role == ROLE_LEAD:
            messages += _promote_if_leaderless(s, old.grid_id, day, [old.id])
    if role == ROLE_LEAD and lead is not None:
        _change_role(s, lead, ROLE_HELPER, max(day, lead.start_on))
        messages.append(f"{g.name}原责任代表{s.get(Deputy, lead.deputy_id).name}自 {day} 起改任协助代表")
    new = GridAssignment(grid_id=grid_id, deputy_id=deputy_id, role=role, households=households, start_on=day,
                         end_on="", note=clean(note))
    s.add(new)
    s.flush()
    closed = _row_of(s, closed_row) if closed_row is not None else None
    if closed is not None:
        messages.insert(0, f"已从“{closed.grid_name}”调至“{g.name}”")
    return AssignResult(_row_of(s, new), closed, tuple(messages))


def _set_role(s: Session, a: GridAssignment, role: str, day: str) -> AssignResult:
    messages: list[str] = []
    g = s.get(Grid, a.grid_id)
    if role == ROLE_LEAD:
        for other in _members_on(s, a.grid_id, day, exclude=[a.id]):
            if other.role == ROLE_LEAD:
                _change_role(s, other, ROLE_HELPER, max(day, other.start_on))
                messages.append(f"{g.name}原责任代表{s.get(Deputy, other.deputy_id).name}自 {day} 起改任协助代表")
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
    day = _day(start_on, "入格日期")
    limit = grid_settings(ctx).limit
    with ctx.store.session() as s:
        return _assign(s, deputy_id, grid_id, role=role, day=day, households=households, note=note, limit=limit)


move_deputy = assign_deputy  # the same use case seen from a deputy already placed


def set_assignment_role(ctx: Context, assignment_id: str, role: str, on: object = None) -> AssignResult:
    day = _day(on)
    if role not in ROLES:
        raise InvalidInput(f"角色应为 {'、'.join(ROLES)}")
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
    n = _int_field({"households": households}, "households", "联系户数", errors) if households is not None else None
    if errors:
        raise FieldErrors(errors)
    with ctx.store.session() as s:
        a = s.get(GridAssignment, assignment_id)
        if a is None or a.deleted:
            raise NotFound("该入格记录不存在或已删除")
        if n is not None and a.households != n:
            a.households = n
        if note is not None and a.note != clean(note):
            a.note = clean(note)
        s.flush()
        return _row_of(s, a)


def end_assignment(ctx: Context, assignment_id: str, end_on: object = None) -> AssignResult:
    """离格 from ``end_on`` (today): the deputy is no longer in the grid from that day. A 责任代表
    leaving hands the role to the longest-serving 协助代表."""
    day = _day(end_on, "离格日期")
    with ctx.store.session() as s:
        a = s.get(GridAssignment, assignment_id)
        if a is None or a.deleted:
            raise NotFound("该入格记录不存在或已删除")
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
    day = _day(on)
    results = []
    with ctx.store.session() as s:
        st = _load(s)
        report = rules.check_grids(st.village_infos(), st.grid_infos(), st.deputy_infos(), st.assignment_infos(),
                                   day, grid_settings(ctx).limit)
        for vac in report.vacated:
            a = s.get(GridAssignment, vac.assignment.id)
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
        st = _load(s)
        g = st.grids.get(grid_id)
        if g is None:
            raise NotFound("该网格不存在或已删除")
        rows = [a for a in st.assignments if a.grid_id == grid_id]
        rows.sort(key=lambda a: (a.start_on, a.created_at), reverse=True)
        return [_assignment_row(a, g, st.villages.get(g.village_id), st.deputies[a.deputy_id]) for a in rows]


def deputy_history(ctx: Context, deputy_id: str) -> list[AssignmentRow]:
    """Every grid a deputy has been in, newest first."""
    with ctx.store.session() as s:
        st = _load(s)
        rows = [a for a in st.assignments if a.deputy_id == deputy_id]
        rows.sort(key=lambda a: (a.start_on, a.created_at), reverse=True)
        return [_assignment_row(a, st.grids[a.grid_id], st.villages.get(st.grids[a.grid_id].village_id),
                                st.deputies[a.deputy_id]) for a in rows]


@dataclass(frozen=True)
class DeputyChoice:
    """A deputy as the assign dialog lists them."""

    id: str
    name: str
    village_name: str
    levels_label: str
    mobile: str
    grid_name: str       # current grid on the day asked, '' when not placed
    needs_grid: bool     # town- or city-level deputy in office

    @property
    def label(self) -> str:
        where = f"，现在{self.grid_name}" if self.grid_name else ("，未入格" if self.needs_grid else "")
        return f"{self.name}（{self.village_name or '未填村(社区)'}，{self.levels_label}{where}）"


def deputy_choices(ctx: Context, on: str | None = None) -> list[DeputyChoice]:
    """Deputies in office on ``on``, unplaced ones first, then by village and name."""
    on = _day(on)
    with ctx.store.session() as s:
        st = _load(s)
        deps = st.deputy_map()
        placed = rules.placed_on(deps, st.assignment_infos(), on, set(st.grids))
        out = []
        for d in st.deputies.values():
            info = deps[d.id]
            if not rules.in_office_on(info, on):
                continue
            a = placed.get(d.id)
            v = st.villages.get(d.village_id or "")
            out.append(DeputyChoice(d.id, d.name, v.name if v else "", _levels_label(d.levels), d.mobile,
                                    st.grids[a.grid_id].name if a else "", rules.needs_grid(info, on)))
        vcode = {v.id: v.code for v in st.villages.values()}
        code_of = {d.id: vcode.get(d.village_id or "", "~") for d in st.deputies.values()}
        pinyin = {d.id: d.name_pinyin for d in st.deputies.values()}
        out.sort(key=lambda c: (bool(c.grid_name) or not c.needs_grid, code_of[c.id], pinyin[c.id]))
        return out


# ================================================================== roster on a date

@dataclass(frozen=True)
class RosterMember:
    assignment_id: str
    deputy_id: str
    name: str
    gender: str
    levels: tuple[str, ...]
    levels_label: str      # short: 乡镇、县市
    levels_full: str       # 乡镇人大代表、县(市、区)人大代表
    role: str
    mobile: str
    households: int
    start_on: str
    work_unit: str


@dataclass(frozen=True)
class RosterGrid:
    grid: GridRow
    members: tuple[RosterMember, ...]   # 责任代表 first


def _member(a: rules.AssignmentInfo, d: Deputy) -> RosterMember:
    levels = tuple(k for k in d.levels.split(",") if k)
    return RosterMember(a.id, d.id, d.name, d.gender, levels, _levels_label(d.levels),
                        "、".join(LEVELS.get(k, k) for k in levels), a.role, d.mobile or d.phone, a.households,
                        a.start_on, d.work_unit)


def roster_on(ctx: Context, on: object = None, village_id: str | None = None) -> list[RosterGrid]:
    """Who was in which grid on ``on`` (today), read from the assignment history: a deputy 暂停 or
    终止 by then is left out, whatever their assignment says."""
    day = _day(on)
    with ctx.store.session() as s:
        st = _load(s)
        roster = rules.roster_on(st.grid_infos(), st.deputy_map(), st.assignment_infos(), day)
        grids = _sorted_grids(st, village_id)
        rows = _grid_rows(s, st, grids, day)
        return [RosterGrid(row, tuple(_member(a, st.deputies[a.deputy_id]) for a in roster[g.id]))
                for g, row in zip(grids, rows, strict=True)]


# ================================================================== checks

@dataclass(frozen=True)
class CheckItem:
    """One line of the checks panel."""

    kind: str            # a key of ISSUE_LABELS
    label: str           # 未入格 / 无代表网格 / ...
    village_id: str
    village: str
    grid_id: str
    grid: str
    deputy_id: str
    deputy: str
    detail: str          # a sentence that says what to do
    assignment_id: str = ""

    @property
    def is_hole(self) -> bool:
        return self.kind != "no_visit"


@dataclass(frozen=True)
class BalanceRow:
    village_id: str      # '' for the whole town
    scope: str           # village name or 全镇
    grids: int
    deputies: int
    households: int
    per_grid_min: int
    per_grid_max: int
    per_grid_spread: int
    households_per_deputy_min: int | None
    households_per_deputy_max: int | None
    households_per_deputy_spread: int | None


@dataclass(frozen=True)
class GridCheckReport:
    on: str
    limit: int
    visit_months: int | None            # None: visits are not recorded in this database
    grids: int
    deputies_needed: int                # deputies who must be in a grid on that day
    deputies_placed: int
    items: tuple[CheckItem, ...]
    balance: tuple[BalanceRow, ...]     # per village, then 全镇 last

    @property
    def holes(self) -> int:
        return sum(1 for i in self.items if i.is_hole)

    @property
    def reminders(self) -> int:
        return sum(1 for i in self.items if not i.is_hole)

    @property
    def clear(self) -> bool:
        return self.holes == 0

    def of_kind(self, kind: str) -> list[CheckItem]:
        return [i for i in self.items if i.kind == kind]

    def counts(self) -> dict[str, int]:
        return {k: len(self.of_kind(k)) for k in ISSUE_ORDER}

    @property
    def summary(self) -> str:
        if not self.items and self.grids == 0:
            return "尚未登记网格"
        counts = self.counts()
        holes = [f"{ISSUE_LABELS[k]} {n}" for k, n in counts.items() if n and k != "no_visit"]
        text = f"发现 {self.holes} 处问题：" + "，".join(holes) if holes else "网格检查全部通过"
        if counts["no_visit"]:
            text += f"；提醒：{ISSUE_LABELS['no_visit']} {counts['no_visit']}"
        return text


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
    day = _day(on)
    settings = grid_settings(ctx)
    with ctx.store.session() as s:
        st = _load(s)
        visits = _visit_dates(s)
    last: dict[str, str] | None = None
    if visits is not None:  # the latest visit on or before the day, per grid
        last = {}
        for grid_id, dates in visits.items():
            past = [d for d in dates if d <= day]
            if past:
                last[grid_id] = max(past)
    r = rules.check_grids(st.village_infos(), st.grid_infos(), st.deputy_infos(), st.assignment_infos(), day,
                          settings.limit, last_visits=last, visit_months=settings.visit_months)

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
        levels = _levels_label(",".join(d.levels))
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

@dataclass(frozen=True)
class ProposalRow:
    deputy_id: str
    deputy_name: str
    deputy_village: str
    levels_label: str
    grid_id: str
    grid_label: str      # 「黄家村 · 第一网格」
    role: str
    reason: str


@dataclass(frozen=True)
class SuggestionResult:
    on: str
    limit: int
    proposals: tuple[ProposalRow, ...]
    unplaceable: tuple[str, ...]        # names of deputies no grid has room for


@dataclass(frozen=True)
class Placement:
    """What the user kept of a proposal (possibly with another grid or role)."""

    deputy_id: str
    grid_id: str
    role: str | None = None


def suggest_placements(ctx: Context, on: object = None) -> SuggestionResult:
    """一键建议入格: a proposal for every deputy not yet in a grid. Nothing is written: the user
    reviews the proposals and :func:`accept_placements` applies the ones kept."""
    day = _day(on)
    limit = grid_settings(ctx).limit
    with ctx.store.session() as s:
        st = _load(s)
    sug = rules.suggest_placements(st.village_infos(), st.grid_infos(), st.deputy_infos(), st.assignment_infos(),
                                   day, limit)
    rows = []
    for p in sug.proposals:
        d = st.deputies[p.deputy_id]
        g = st.grids[p.grid_id]
        dv = st.villages.get(d.village_id or "")
        rows.append(ProposalRow(d.id, d.name, dv.name if dv else "", _levels_label(d.levels), g.id,
                                f"{st.villages[g.village_id].name} · {g.name}", p.role, p.reason))
    return SuggestionResult(day, limit, tuple(rows), tuple(d.name for d in sug.unplaceable))


@dataclass(frozen=True)
class AcceptResult:
    applied: int
    messages: tuple[str, ...]


def accept_placements(ctx: Context, placements: Sequence[Placement | ProposalRow], on: object = None) -> AcceptResult:
    """Apply the proposals the user kept, all or none. Each is checked again: the deputy is still in
    office and not placed, the grid exists, and no grid goes over the limit."""
    day = _day(on)
    limit = grid_settings(ctx).limit
    chosen = [Placement(p.deputy_id, p.grid_id, p.role) for p in placements]
    if not chosen:
        raise InvalidInput("没有选中任何建议")
    errors: list[str] = []
    messages: list[str] = []
    with ctx.store.session() as s:
        st = _load(s)
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
            res = _assign(s, p.deputy_id, p.grid_id, role=p.role, day=day, limit=None)
            messages += res.messages
    return AcceptResult(len(chosen), tuple(messages))


# ================================================================== spreadsheets

GRID_HEADERS: dict[str, tuple[str, ...]] = {
    "village": ("所属村", "所属社区", "所属村社区", "村社区", "村", "社区", "村居", "所在村", "所在村社区", "村委会",
                "居委会"),
    "code": ("网格编号", "网格编码", "网格代码", "编号", "编码"),
    "name": ("网格名称", "网格", "名称", "网格名"),
    "households": ("户数", "网格户数", "总户数", "住户数"),
    "population": ("人口", "人口数", "网格人口", "总人口", "人数"),
    "worker_name": ("网格员", "网格员姓名", "专职网格员", "网格长"),
    "worker_phone": ("网格员电话", "网格员联系电话", "网格员手机", "网格长电话"),
    "note": ("备注",),
}

ROSTER_HEADERS: dict[str, tuple[str, ...]] = {
    "deputy": ("代表姓名", "姓名", "入格代表", "代表", "入格代表姓名"),
    "mobile": ("联系电话", "代表电话", "代表联系电话", "手机", "手机号", "电话"),
    "role": ("角色", "职责", "代表角色", "身份", "分工"),
    "contact_households": ("联系户数", "联系农户数", "联系群众户数", "联系户"),
    "start_on": ("入格日期", "起始日期", "开始日期", "入格时间", "起始时间"),
    "village": GRID_HEADERS["village"],
    "code": GRID_HEADERS["code"],
    "name": GRID_HEADERS["name"],
    "note": ("备注",),
    # read so that their columns are not mistaken for the ones above, then ignored
    "grid_households": GRID_HEADERS["households"],
    "population": GRID_HEADERS["population"],
    "worker_name": GRID_HEADERS["worker_name"],
    "worker_phone": GRID_HEADERS["worker_phone"],
    "levels": ("代表层级", "层级", "代表级别", "级别"),
}

ROSTER_EXPORT = ("村(社区)", "网格编号", "网格名称", "户数", "网格员", "网格员电话", "代表姓名", "代表层级", "角色",
                 "联系电话", "联系户数", "入格日期", "备注")

GRID_FIELD_LABELS = {"village_id": "所属村(社区)", "code": "网格编号", "name": "网格名称", "households": "户数",
                     "population": "人口", "worker_name": "网格员", "worker_phone": "网格员电话", "note": "备注"}


class _Rejected(Exception):
    """Rolls the unit of work back when any row is bad."""


def _village_lookup(ctx: Context) -> dict[str, str]:
    return find_village_ids(ctx)


def import_grids(ctx: Context, path: str | Path, progress: Progress = no_progress,
                 cancel: Cancel = never_cancel) -> ImportResult:
    """The grid list from .xlsx/.csv, all rows or none. A grid whose code exists is updated; a row
    without a code gets the next free one (village code + 3 digits)."""
    sheet = read_sheet(path, GRID_HEADERS, required=("village", "name"))
    total = len(sheet.rows)
    if total == 0:
        raise InvalidInput("表格中没有网格数据（表头下面是空的）")
    villages = _village_lookup(ctx)
    errors: list[RowError] = []
    good: list[tuple[int, dict]] = []
    seen_code: dict[str, int] = {}
    seen_name: dict[tuple[str, str], int] = {}
    for i, row in enumerate(sheet.rows):
        check_cancel(cancel)
        raw = {k: v for k, v in row.values.items()}
        village = clean(raw.pop("village", ""))
        vid = (villages.get(village) or villages.get(village_key(village))) if village else None
        if not village:
            errors.append(RowError(row.number, "所属村(社区)", "不能为空"))
            continue
        if vid is None:
            errors.append(RowError(row.number, "所属村(社区)", f"“{village}”不在本乡镇的村(社区)名单中"))
            continue
        raw["village_id"] = vid
        raw["code"] = clean(raw.get("code")).removesuffix(".0")
        if not raw["code"]:
            raw["code"] = "(auto)"  # filled once the used codes are known
        try:
            data = _normalise_grid(raw)
        except FieldErrors as e:
            for key, msg in e.errors.items():
                errors.append(RowError(row.number, GRID_FIELD_LABELS.get(key, key), msg))
            continue
        if data.code != "(auto)":
            if data.code in seen_code:
                errors.append(RowError(row.number, "网格编号", f"与第 {seen_code[data.code]} 行重复"))
                continue
            seen_code[data.code] = row.number
        key = (vid, data.name)
        if key in seen_name:
            errors.append(RowError(row.number, "网格名称", f"与第 {seen_name[key]} 行同村同名"))
            continue
        seen_name[key] = row.number
        good.append((row.number, raw))
        progress(i, total * 2)
    applied = 0
    try:
        with ctx.store.session() as s:
            existing = {g.code: g for g in s.scalars(select(Grid).where(Grid.deleted.is_(False)))}
            used = set(existing) | set(seen_code)
            village_codes = {v.id: v.code for v in s.scalars(select(Village))}
            for i, (number, raw) in enumerate(good):
                check_cancel(cancel)
                if raw["code"] == "(auto)":
                    raw["code"] = _free_code(village_codes[raw["village_id"]], used)
                    used.add(raw["code"])
                data = _normalise_grid(raw)
                g = existing.get(data.code)
                clash = s.scalars(select(Grid).where(Grid.deleted.is_(False), Grid.village_id == data.village_id,
                                                     Grid.name == data.name, Grid.code != data.code)).first()
                if clash is not None:
                    errors.append(RowError(number, "网格名称",
                                           f"本村(社区)已有名为“{data.name}”的网格（编号 {clash.code}）"))
                    continue
                if errors:
                    continue  # keep checking for the report, write nothing
                if g is None:
                    g = Grid()
                    s.add(g)
                    existing[data.code] = g
                _apply_grid(g, data)
                applied += 1
                if i % 100 == 0:
                    s.flush()
                    progress(total + i, total * 2)
            if errors:
                raise _Rejected()
    except _Rejected:
        errors.sort(key=lambda e: e.row)
        return ImportResult(0, tuple(errors), total, sheet)
    progress(total * 2, total * 2)
    return ImportResult(applied, (), total, sheet)


def _find_grid(st: _State, villages: dict[str, str], code: str, name: str, village: str) -> Grid | None | str:
    """The grid a row names (by code, else by village and name); a message when ambiguous."""
    if code:
        hit = next((g for g in st.grids.values() if g.code == code), None)
        if hit is not None or not name:
            return hit
    if not name:
        return None
    candidates = [g for g in st.grids.values() if g.name == name]
    if village:
        vid = villages.get(village) or villages.get(village_key(village))
        candidates = [g for g in candidates if g.village_id == vid]
    if len(candidates) > 1:
        return f"有 {len(candidates)} 个名为“{name}”的网格，请填写网格编号或所属村(社区)"
    return candidates[0] if candidates else None


def import_roster(ctx: Context, path: str | Path, on: object = None, progress: Progress = no_progress,
                  cancel: Cancel = never_cancel) -> ImportResult:
    """An existing roster (代表姓名 + 网格) from .xlsx/.csv, all rows or none.

    Each row places a deputy in a grid from its 入格日期 (``on``, today, when empty); a deputy already
    in another grid is moved, one already in that grid with that role is left as is, so importing an
    exported roster changes nothing. Deputies not in the file stay where they are. Per-row errors:
    unknown deputy, unknown grid, deputy not in office, over the limit, two 责任代表 in one grid."""
    default_day = _day(on)
    sheet = read_sheet(path, ROSTER_HEADERS, required=("deputy",))
    if "code" not in sheet.columns and "name" not in sheet.columns:
        raise InvalidInput("表格中找不到“网格编号”或“网格名称”列")
    total = len(sheet.rows)
    villages = _village_lookup(ctx)
    limit = grid_settings(ctx).limit
    errors: list[RowError] = []
    with ctx.store.session() as s:
        st = _load(s)
    by_name: dict[str, list[Deputy]] = {}
    for d in st.deputies.values():
        by_name.setdefault(d.name, []).append(d)
    deps = st.deputy_map()
    current = rules.placed_on(deps, st.assignment_infos(), default_day, set(st.grids))
    # final state per grid: who is open there now, minus those the file moves away, plus arrivals
    open_now: dict[str, dict[str, str]] = {g: {} for g in st.grids}  # grid -> deputy -> role
    for a in st.assignments:
        if a.end_on == "" and rules.in_office_on(deps[a.deputy_id], max(default_day, a.start_on)):
            open_now[a.grid_id][a.deputy_id] = a.role
    wanted: list[tuple[int, str, str, str | None, str, int, str]] = []
    seen: dict[str, int] = {}
    for i, row in enumerate(sheet.rows):
        check_cancel(cancel)
        v = row.values
        name = clean_name(v.get("deputy"))
        if not name:
            continue  # a grid row without a deputy (an empty grid in an exported roster)
        row_errors: list[RowError] = []
        candidates = by_name.get(name, [])
        mobile = ""
        try:
            mobile = normalise_phone(v.get("mobile"))
        except PhoneError:
            mobile = ""
        if len(candidates) > 1 and mobile:
            candidates = [d for d in candidates if mobile in (d.mobile, d.phone)] or candidates
        deputy = None
        if not candidates:
            row_errors.append(RowError(row.number, "代表姓名", f"代表“{name}”不在代表名册中"))
        elif len(candidates) > 1:
            row_errors.append(RowError(row.number, "代表姓名",
                                       f"有 {len(candidates)} 位代表名叫“{name}”，请填写联系电话以区分"))
        else:
            deputy = candidates[0]
        code = to_halfwidth(clean(v.get("code"))).replace(" ", "").removesuffix(".0")
        gname = clean(v.get("name"))
        found = _find_grid(st, villages, code, gname, clean(v.get("village")))
        grid = None
        if isinstance(found, str):
            row_errors.append(RowError(row.number, "网格名称", found))
        elif found is None:
            what = f"编号 {code}" if code else f"“{gname}”" if gname else "（未填写）"
            row_errors.append(RowError(row.number, "网格编号" if code else "网格名称",
                                       f"网格{what}不存在，请先导入或新增该网格"))
        else:
            grid = found
        role_text = clean(v.get("role"))
        role = None
        if role_text:
            role = next((r for r in ROLES if role_text in (r, r[:2], r.removesuffix("代表"))), None)
            if role is None:
                row_errors.append(RowError(row.number, "角色", f"“{role_text}”应为 责任代表 或 协助代表"))
        try:
            day = parse_date(v.get("start_on")) or default_day
        except DateError as e:
            row_errors.append(RowError(row.number, "入格日期", str(e)))
            day = default_day
        hh_errors: dict[str, str] = {}
        households = _int_field({"h": v.get("contact_households")}, "h", "联系户数", hh_errors)
        if hh_errors:
            row_errors.append(RowError(row.number, "联系户数", hh_errors["h"]))
        if deputy is not None:
            if deputy.id in seen:
                row_errors.append(RowError(row.number, "代表姓名", f"与第 {seen[deputy.id]} 行是同一名代表"))
            elif not rules.in_office_on(deps[deputy.id], day):
                row_errors.append(RowError(row.number, "代表姓名",
                                           f"{deputy.name}在 {day} 不在任（{deputy.status} {deputy.status_date}）"))
            seen.setdefault(deputy.id, row.number)
        if row_errors:
            errors += row_errors
            continue
        assert deputy is not None and grid is not None
        wanted.append((row.number, deputy.id, grid.id, role, day, households, clean(v.get("note"))))
        progress(i, total * 2)
    if not wanted and not errors:
        raise InvalidInput("表格中没有代表入格数据（代表姓名一列是空的）")
    # the final state: over the limit, and at most one 责任代表 per grid
    final = {g: dict(m) for g, m in open_now.items()}
    for _n, dep_id, *_rest in wanted:
        for m in final.values():
            m.pop(dep_id, None)
    arrivals: dict[str, list[int]] = {}
    for number, dep_id, grid_id, role, *_ in wanted:
        final[grid_id][dep_id] = role or ""
        if dep_id not in open_now[grid_id]:  # a row that leaves a deputy where they are adds nobody
            arrivals.setdefault(grid_id, []).append(number)
    for grid_id in {w[2] for w in wanted}:
        numbers = arrivals.get(grid_id, [])
        members = final[grid_id]
        g = st.grids[grid_id]
        excess = len(members) - limit
        if excess > 0 and numbers:
            # the arrivals that push the grid over: the last ones in the file
            for number in numbers[-excess:]:
                errors.append(RowError(number, "网格名称",
                                       f"“{g.name}”将有 {len(members)} 名代表，超过每个网格 {limit} 名的上限"))
        file_leads = [n for n, dep_id, gid, role, *_ in wanted if gid == grid_id and role == ROLE_LEAD]
        if len(file_leads) > 1:
            for number in file_leads[1:]:
                errors.append(RowError(number, "角色", f"“{g.name}”只能有一名责任代表（另见第 {file_leads[0]} 行）"))
    if errors:
        errors.sort(key=lambda e: e.row)
        return ImportResult(0, tuple(errors), total, sheet)
    applied = 0
    try:
        with ctx.store.session() as s:
            for i, (number, dep_id, grid_id, role, day, households, note) in enumerate(wanted):
                check_cancel(cancel)
                here = current.get(dep_id)
                if here is not None and here.grid_id == grid_id and (role is None or role == here.role):
                    a = s.get(GridAssignment, here.id)
                    if households and a.households != households:
                        a.households = households
                    continue  # already so: an exported roster imports without changes
                try:
                    _assign(s, dep_id, grid_id, role=role, day=day, households=households, note=note, limit=None)
                except CongressError as e:
                    errors.append(RowError(number, "", e.message))
                    continue
                applied += 1
                progress(total + i, total * 2)
            if errors:
                raise _Rejected()
    except _Rejected:
        errors.sort(key=lambda e: e.row)
        return ImportResult(0, tuple(errors), total, sheet)
    progress(total * 2, total * 2)
    return ImportResult(applied, (), total, sheet)


def import_grid_file(ctx: Context, path: str | Path, kind: str = "auto", on: object = None,
                     progress: Progress = no_progress, cancel: Cancel = never_cancel) -> tuple[str, ImportResult]:
    """``kind`` 'grids', 'roster' or 'auto' (a sheet with a 代表姓名 column is a roster).
    Returns (kind used, result)."""
    if kind == "auto":
        try:
            sheet = read_sheet(path, ROSTER_HEADERS, required=("deputy",))
            kind = "roster" if sheet.rows or "deputy" in sheet.columns else "grids"
        except InvalidInput:
            kind = "grids"
    if kind == "roster":
        return kind, import_roster(ctx, path, on, progress, cancel)
    if kind == "grids":
        return kind, import_grids(ctx, path, progress, cancel)
    raise InvalidInput("导入类型应为 grids（网格名单）或 roster（入格名册）")


def export_roster(ctx: Context, path: str | Path, on: object = None, village_id: str | None = None,
                  progress: Progress = no_progress, cancel: Cancel = never_cancel) -> int:
    """The roster on ``on`` (today) to .xlsx, one row per deputy (an empty grid: one row without a
    deputy), with the headers :func:`import_roster` reads. Returns the number of deputies."""
    day = _day(on)
    grids = roster_on(ctx, day, village_id)
    rows: list[list[object]] = []
    n = 0
    for i, rg in enumerate(grids):
        check_cancel(cancel)
        g = rg.grid
        head = [g.village_name, g.code, g.name, g.households, g.worker_name, g.worker_phone]
        if not rg.members:
            rows.append(head + ["", "", "", "", "", "", "无代表"])
        for m in rg.members:
            n += 1
            rows.append(head + [m.name, m.levels_label, m.role, m.mobile, m.households or "", m.start_on, ""])
        progress(i + 1, len(grids))
    write_xlsx(path, f"网格化履职名册{day}", list(ROSTER_EXPORT), rows,
               widths=[14, 18, 16, 8, 10, 14, 10, 12, 10, 14, 10, 12, 16],
               text_columns=[1, 5, 9, 11])
    return n


# ================================================================== printing

def _village_id_of(ctx: Context, village: str | None) -> str | None:
    if not village:
        return None
    ids = find_village_ids(ctx)
    vid = ids.get(village) or ids.get(village_key(village))
    if vid is None:
        raise NotFound(f"找不到村(社区)“{village}”（可用区划代码或名称）")
    return vid


def print_grid_roster(ctx: Context, out: str | Path, *, village: str | None = None, on: object = None,
                      progress: Progress = no_progress, cancel: Cancel = never_cancel) -> int:
    """网格化履职名册 (A4 landscape) of the town, or of one village (code or name). Returns pages."""
    from congress_desktop.grids.report import render_grid_roster

    office = ctx.require_office()
    day = _day(on)
    vid = _village_id_of(ctx, village)
    grids = roster_on(ctx, day, vid)
    report = check_grids(ctx, day)
    unplaced = [] if vid else [(i.deputy, i.village) for i in report.of_kind("unplaced")]
    scope = grids[0].grid.village_name if vid and grids else None
    if vid and not grids:
        raise InvalidInput("该村(社区)还没有网格")
    return render_grid_roster(out, office.name, grids, day, village_name=scope, unplaced=unplaced,
                              progress=progress, cancel=cancel)


def print_grid_boards(ctx: Context, out: str | Path, *, village: str | None = None, grid_id: str | None = None,
                      on: object = None, progress: Progress = no_progress, cancel: Cancel = never_cancel) -> int:
    """代表公示牌: one A4 portrait page per grid (all grids, one village's, or one grid), in one file."""
    from congress_desktop.grids.report import render_grid_boards

    office = ctx.require_office()
    day = _day(on)
    grids = roster_on(ctx, day, _village_id_of(ctx, village))
    if grid_id:
        grids = [g for g in grids if g.grid.id == grid_id]
    if not grids:
        raise InvalidInput("没有可打印的网格")
    return render_grid_boards(out, office.name, grids, day, progress=progress, cancel=cancel)


# ================================================================== demo

# Grids per demo village, in village order: two villages have more grids than deputies, so after the
# suggestion two grids stay empty and two manual moves from a neighbouring village complete the roster.
DEMO_GRIDS_PER_VILLAGE = (4, 3, 2, 2, 1, 2, 3, 4, 2, 1, 3, 2, 1, 2, 4, 3, 2, 1, 2, 3)
_COMMUNITY_GRID_NAMES = (("集镇东街网格", "集镇西街网格", "汽配新区网格", "滨河小区网格"),
                         ("孙家湾一区网格", "孙家湾二区网格", "工业园网格", "车站网格"),
                         ("石鼓老街网格", "移民新村网格", "学校片网格", "卫生院片网格"))
_VILLAGE_GRID_NAMES = {
    1: ("全村网格",),
    2: ("一至四组网格", "五至八组网格"),
    3: ("一至三组网格", "四至六组网格", "七至九组网格"),
    4: ("一二组网格", "三四组网格", "五六组网格", "七八组网格"),
}
_WORKER_SURNAMES = "王李张刘陈杨黄周吴徐孙胡朱高何郭马罗"
_WORKER_GIVEN = ("丽", "敏", "静", "军", "勇", "艳", "芳", "杰", "娟", "涛", "明", "霞", "超", "平", "红")


def seed_demo_grids(ctx: Context, rng: random.Random) -> None:
    """Grids for every demo village (1-4 each, fictitious 网格员) and SOME deputies placed, with a
    little history: the deputies who left office left their grid on their status date."""
    with ctx.store.session() as s:
        villages = list(s.scalars(select(Village).where(Village.deleted.is_(False)).order_by(Village.code)))
        deputies = list(s.scalars(select(Deputy).where(Deputy.deleted.is_(False))
                                  .order_by(Deputy.created_at, Deputy.id)))
        by_village: dict[str, list[Deputy]] = {}
        for d in deputies:
            by_village.setdefault(d.village_id or "", []).append(d)
        for i, v in enumerate(villages):
            count = DEMO_GRIDS_PER_VILLAGE[i % len(DEMO_GRIDS_PER_VILLAGE)]
            if v.kind == "社区":
                names = _COMMUNITY_GRID_NAMES[i % len(_COMMUNITY_GRID_NAMES)][:count]
            else:
                names = _VILLAGE_GRID_NAMES[count]
            grids = []
            share = max(1, v.households // count)
            for k, name in enumerate(names, start=1):
                worker = rng.choice(_WORKER_SURNAMES) + rng.choice(_WORKER_GIVEN) + rng.choice(_WORKER_GIVEN)
                g = Grid(village_id=v.id, code=f"{v.code}{k:03d}", name=name,
                         households=max(30, share + rng.randint(-25, 25)),
                         population=max(100, v.population // count + rng.randint(-80, 80)),
                         worker_name=worker, worker_phone=f"1{rng.choice('3578')}{rng.randint(100000000, 999999999)}")
                s.add(g)
                grids.append(g)
            s.flush()
            # about two villages in three already have their first deputy placed since 2022
            mine = by_village.get(v.id, [])
            first = mine[0] if mine and i % 3 != 2 else None
            if first is not None:
                s.add(GridAssignment(grid_id=grids[0].id, deputy_id=first.id, role=ROLE_LEAD,
                                     start_on="2022-03-01", end_on=first.status_date if first.status != "在任" else ""))
            # the deputies who left office were placed until their status date (the roster of a past date)
            for d in mine:
                if d is not first and d.status != "在任":
                    s.add(GridAssignment(grid_id=grids[-1].id, deputy_id=d.id, role=ROLE_HELPER,
                                         start_on="2022-03-01", end_on=d.status_date))
