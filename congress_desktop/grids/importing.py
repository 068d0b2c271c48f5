"""Grid spreadsheets: the grid list and an existing roster in (all rows or none, through the one import
pipeline ``core.importing.run_import``), and the roster of a date out, with the headers the import reads."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from congress_desktop.core.context import Cancel, Context, Progress, check_cancel, never_cancel, no_progress
from congress_desktop.core.dates import DateError, parse_date
from congress_desktop.core.errors import CongressError, InvalidInput
from congress_desktop.core.importing import ImportResult, ImportSpec, RowProblem, run_import
from congress_desktop.core.phone import PhoneError, normalise_phone
from congress_desktop.core.sheets import RowError, SheetRow, read_sheet, write_xlsx
from congress_desktop.core.store.access import get_live
from congress_desktop.core.store.models import Deputy, Village
from congress_desktop.core.store.models_grids import Grid, GridAssignment
from congress_desktop.core.text import clean, clean_name, to_halfwidth
from congress_desktop.grids import rules, service
from congress_desktop.grids.rows import AssignRequest
from congress_desktop.grids.rules import ROLE_LEAD
from congress_desktop.places.villages import find_village_ids, village_key

GRID_HEADERS: dict[str, Sequence[str]] = {
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

ROSTER_HEADERS: dict[str, Sequence[str]] = {
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


def _village_id(villages: dict[str, str], name: str) -> str | None:
    return villages.get(name) or villages.get(village_key(name))


# ------------------------------------------------------------------ the grid list

def import_grids(ctx: Context, path: str | Path, progress: Progress = no_progress,
                 cancel: Cancel = never_cancel) -> ImportResult:
    """The grid list from .xlsx/.csv, all rows or none. A grid whose code exists is updated; a row
    without a code gets the next free one (village code + 3 digits)."""
    sheet = read_sheet(path, GRID_HEADERS, required=("village", "name"))
    villages = find_village_ids(ctx)
    seen_code: dict[str, int] = {}
    seen_name: dict[tuple[str, str], int] = {}
    used: set[str] = set()
    existing: dict[str, Grid] = {}
    village_codes: dict[str, str] = {}

    def normalise(row: SheetRow) -> dict:
        raw = dict(row.values)
        village = clean(raw.pop("village", ""))
        if not village:
            raise RowProblem.of("所属村(社区)", "不能为空")
        vid = _village_id(villages, village)
        if vid is None:
            raise RowProblem.of("所属村(社区)", f"“{village}”不在本乡镇的村(社区)名单中")
        raw["village_id"] = vid
        raw["code"] = clean(raw.get("code")).removesuffix(".0") or AUTO_CODE  # filled once the used codes are known
        data = rules.normalise_grid(raw)
        if data.code != AUTO_CODE:
            if data.code in seen_code:
                raise RowProblem.of("网格编号", f"与第 {seen_code[data.code]} 行重复")
            seen_code[data.code] = row.number
        key = (vid, data.name)
        if key in seen_name:
            raise RowProblem.of("网格名称", f"与第 {seen_name[key]} 行同村同名")
        seen_name[key] = row.number
        return raw

    def write(s: Session, _number: int, raw: dict) -> None:
        if not village_codes:  # the first row: every row is read, so every code the file names is known
            existing.update({g.code: g for g in s.scalars(select(Grid).where(Grid.deleted.is_(False)))})
            used.update(set(existing) | set(seen_code))
            village_codes.update({v.id: v.code for v in s.scalars(select(Village))})
        if raw["code"] == AUTO_CODE:
            raw["code"] = rules.free_code(village_codes[raw["village_id"]], used)
            used.add(raw["code"])
        data = rules.normalise_grid(raw)
        clash = s.scalars(select(Grid).where(Grid.deleted.is_(False), Grid.village_id == data.village_id,
                                             Grid.name == data.name, Grid.code != data.code)).first()
        if clash is not None:
            raise RowProblem.of("网格名称", f"本村(社区)已有名为“{data.name}”的网格（编号 {clash.code}）")
        g = existing.get(data.code)
        if g is None:
            g = Grid()
            s.add(g)
            existing[data.code] = g
        service.apply_grid(g, data)

    spec = ImportSpec(labels=GRID_FIELD_LABELS, empty_text="表格中没有网格数据（表头下面是空的）")
    return run_import(ctx, sheet, normalise, write, spec, progress=progress, cancel=cancel)


AUTO_CODE = "(auto)"


# ------------------------------------------------------------------ an existing roster

def _find_grid(st: service.GridState, villages: dict[str, str], code: str, name: str,
               village: str) -> Grid | None | str:
    """The grid a row names (by code, else by village and name); a message when ambiguous."""
    if code:
        hit = next((g for g in st.grids.values() if g.code == code), None)
        if hit is not None or not name:
            return hit
    if not name:
        return None
    candidates = [g for g in st.grids.values() if g.name == name]
    if village:
        vid = _village_id(villages, village)
        candidates = [g for g in candidates if g.village_id == vid]
    if len(candidates) > 1:
        return f"有 {len(candidates)} 个名为“{name}”的网格，请填写网格编号或所属村(社区)"
    return candidates[0] if candidates else None


@dataclass(frozen=True)
class _Wanted:
    """A good roster row: this deputy in this grid from ``day``."""

    number: int
    deputy_id: str
    grid_id: str
    role: str | None
    day: str
    households: int
    note: str


class _RosterImport:
    """The two steps of import_roster and what they share: the state read once, the rows kept so far,
    and the checks of the final state (over the limit, two 责任代表) made once every row is read."""

    def __init__(self, ctx: Context, on: object):
        self.default_day = service.parse_day(on)
        self.villages = find_village_ids(ctx)
        self.limit = service.grid_settings(ctx).limit
        with ctx.store.session() as s:
            self.st = st = service.load_state(s)
        self.by_name: dict[str, list[Deputy]] = {}
        for d in st.deputies.values():
            self.by_name.setdefault(d.name, []).append(d)
        self.deps = st.deputy_map()
        self.current = rules.placed_on(self.deps, st.assignment_infos(), self.default_day, set(st.grids))
        # who is open in each grid now: the final state starts from it
        self.open_now: dict[str, dict[str, str]] = {g: {} for g in st.grids}  # grid -> deputy -> role
        for a in st.assignments:
            if a.end_on == "" and rules.in_office_on(self.deps[a.deputy_id], max(self.default_day, a.start_on)):
                self.open_now[a.grid_id][a.deputy_id] = a.role
        self.wanted: list[_Wanted] = []
        self.seen: dict[str, int] = {}
        self.bad_rows = 0
        self.final: dict[int, list[tuple[str, str]]] | None = None  # row -> problems of the final state

    # -------------------------------------------------------------- step 1: each row
    def normalise(self, row: SheetRow) -> _Wanted | None:
        v = row.values
        name = clean_name(v.get("deputy"))
        if not name:
            return None  # a grid row without a deputy (an empty grid in an exported roster)
        problems: list[tuple[str, str]] = []
        deputy = self._deputy(name, v.get("mobile"), problems)
        grid = self._grid(v, problems)
        role = self._role(clean(v.get("role")), problems)
        try:
            day = parse_date(v.get("start_on")) or self.default_day
        except DateError as e:
            problems.append(("入格日期", str(e)))
            day = self.default_day
        hh_errors: dict[str, str] = {}
        households = rules.int_field({"h": v.get("contact_households")}, "h", "联系户数", hh_errors)
        if hh_errors:
            problems.append(("联系户数", hh_errors["h"]))
        if deputy is not None:
            if deputy.id in self.seen:
                problems.append(("代表姓名", f"与第 {self.seen[deputy.id]} 行是同一名代表"))
            elif not rules.in_office_on(self.deps[deputy.id], day):
                problems.append(("代表姓名", f"{deputy.name}在 {day} 不在任（{deputy.status} {deputy.status_date}）"))
            self.seen.setdefault(deputy.id, row.number)
        if problems:
            self.bad_rows += 1
            raise RowProblem(*problems)
        assert deputy is not None and grid is not None
        wanted = _Wanted(row.number, deputy.id, grid.id, role, day, households, clean(v.get("note")))
        self.wanted.append(wanted)
        return wanted

    def _deputy(self, name: str, mobile_text: object, problems: list[tuple[str, str]]) -> Deputy | None:
        candidates = self.by_name.get(name, [])
        try:
            mobile = normalise_phone(mobile_text)
        except PhoneError:
            mobile = ""
        if len(candidates) > 1 and mobile:
            candidates = [d for d in candidates if mobile in (d.mobile, d.phone)] or candidates
        if not candidates:
            problems.append(("代表姓名", f"代表“{name}”不在代表名册中"))
        elif len(candidates) > 1:
            problems.append(("代表姓名", f"有 {len(candidates)} 位代表名叫“{name}”，请填写联系电话以区分"))
        else:
            return candidates[0]
        return None

    def _grid(self, v: dict, problems: list[tuple[str, str]]) -> Grid | None:
        code = to_halfwidth(clean(v.get("code"))).replace(" ", "").removesuffix(".0")
        gname = clean(v.get("name"))
        found = _find_grid(self.st, self.villages, code, gname, clean(v.get("village")))
        if isinstance(found, str):
            problems.append(("网格名称", found))
            return None
        if found is None:
            what = f"编号 {code}" if code else f"“{gname}”" if gname else "（未填写）"
            problems.append(("网格编号" if code else "网格名称", f"网格{what}不存在，请先导入或新增该网格"))
        return found

    @staticmethod
    def _role(text: str, problems: list[tuple[str, str]]) -> str | None:
        if not text:
            return None
        role = rules.parse_role(text)
        if role is None:
            problems.append(("角色", f"“{text}”应为 责任代表 或 协助代表"))
        return role

    # -------------------------------------------------------------- the final state
    def final_state_problems(self) -> dict[int, list[tuple[str, str]]]:
        """Row -> what the whole file would break: a grid over the limit (blamed on the last arrivals in
        the file), more than one 责任代表 named for one grid (blamed on all but the first)."""
        out: dict[int, list[tuple[str, str]]] = {}
        final = {g: dict(m) for g, m in self.open_now.items()}
        for w in self.wanted:
            for members in final.values():
                members.pop(w.deputy_id, None)
        arrivals: dict[str, list[int]] = {}
        for w in self.wanted:
            final[w.grid_id][w.deputy_id] = w.role or ""
            if w.deputy_id not in self.open_now[w.grid_id]:  # a row that leaves a deputy where they are adds nobody
                arrivals.setdefault(w.grid_id, []).append(w.number)
        for grid_id in {w.grid_id for w in self.wanted}:
            numbers = arrivals.get(grid_id, [])
            members = final[grid_id]
            g = self.st.grids[grid_id]
            excess = len(members) - self.limit
            if excess > 0 and numbers:
                for number in numbers[-excess:]:
                    out.setdefault(number, []).append(
                        ("网格名称", f"“{g.name}”将有 {len(members)} 名代表，超过每个网格 {self.limit} 名的上限"))
            leads = [w.number for w in self.wanted if w.grid_id == grid_id and w.role == ROLE_LEAD]
            for number in leads[1:]:
                out.setdefault(number, []).append(("角色", f"“{g.name}”只能有一名责任代表（另见第 {leads[0]} 行）"))
        return out

    # -------------------------------------------------------------- step 2: write
    def write(self, s: Session, _number: int, w: _Wanted) -> bool:
        if self.final is None:  # the first write: every row has been read
            self.final = self.final_state_problems()
        if self.bad_rows or self.final:
            # the import is refused already: report the final state's problems, change nothing
            if w.number in self.final:
                raise RowProblem(*self.final[w.number])
            return False
        here = self.current.get(w.deputy_id)
        if here is not None and here.grid_id == w.grid_id and (w.role is None or w.role == here.role):
            a = get_live(s, GridAssignment, here.id, "入格记录")
            if w.households and a.households != w.households:
                a.households = w.households
            return False  # already so: an exported roster imports without changes
        try:
            service.assign_in(s, AssignRequest(w.deputy_id, w.grid_id, w.role, w.day, w.households, w.note), None)
        except CongressError as e:
            raise RowProblem.of("", e.message) from None
        return True

    def after(self, _s: Session) -> list[RowError]:
        if not self.wanted:
            raise InvalidInput(NO_ROSTER_ROWS)
        return []


NO_ROSTER_ROWS = "表格中没有代表入格数据（代表姓名一列是空的）"


def import_roster(ctx: Context, path: str | Path, on: object = None, progress: Progress = no_progress,
                  cancel: Cancel = never_cancel) -> ImportResult:
    """An existing roster (代表姓名 + 网格) from .xlsx/.csv, all rows or none.

    Each row places a deputy in a grid from its 入格日期 (``on``, today, when empty); a deputy already
    in another grid is moved, one already in that grid with that role is left as is, so importing an
    exported roster changes nothing. Deputies not in the file stay where they are. Per-row errors:
    unknown deputy, unknown grid, deputy not in office, over the limit, two 责任代表 in one grid."""
    service.parse_day(on)  # a wrong date is refused before the file is read
    sheet = read_sheet(path, ROSTER_HEADERS, required=("deputy",))
    if "code" not in sheet.columns and "name" not in sheet.columns:
        raise InvalidInput("表格中找不到“网格编号”或“网格名称”列")
    job = _RosterImport(ctx, on)
    spec = ImportSpec(empty_text=NO_ROSTER_ROWS, after=job.after)
    return run_import(ctx, sheet, job.normalise, job.write, spec, progress=progress, cancel=cancel)


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


# ------------------------------------------------------------------ the roster out

def export_roster(ctx: Context, path: str | Path, on: object = None, village_id: str | None = None,
                  progress: Progress = no_progress, cancel: Cancel = never_cancel) -> int:
    """The roster on ``on`` (today) to .xlsx, one row per deputy (an empty grid: one row without a
    deputy), with the headers :func:`import_roster` reads. Returns the number of deputies."""
    day = service.parse_day(on)
    grids = service.roster_on(ctx, day, village_id)
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
