"""The historical visit ledger (台账, one row per opinion): its import through the one import pipeline
(core.importing.run_import) and its export with the headers the import reads.

Rows with the same date, time, place, form and deputies make one visit. Each row is read and checked on
its own (``_LedgerReader``); the rows are then grouped into visits, and the visits are written whole
after a last check that the ledger was not imported before. All rows or nothing."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from congress_desktop.core.context import Cancel, Context, Progress, check_cancel, never_cancel, no_progress
from congress_desktop.core.dates import DateError, parse_date
from congress_desktop.core.errors import InvalidInput
from congress_desktop.core.idcard import IdNumberError, parse_id_number
from congress_desktop.core.importing import ImportSpec, RowProblem, run_import
from congress_desktop.core.phone import PhoneError, normalise_phone
from congress_desktop.core.sheets import RowError, SheetRow, read_sheet, write_xlsx
from congress_desktop.core.store.models import ContactPoint, Deputy
from congress_desktop.core.store.models_visits import Visit, VisitDeputy, Visitor
from congress_desktop.core.text import clean, clean_name
from congress_desktop.places.units import find_unit_ids, unit_key
from congress_desktop.places.villages import find_village_ids, village_key
from congress_desktop.visits.categories import ensure_categories, find_category_ids
from congress_desktop.visits.opinion_index import index_opinion, new_opinion
from congress_desktop.visits.opinion_rules import (
    Flow,
    LedgerHandling,
    TransitionRefused,
    apply_step,
    state_of_ledger,
    steps_to,
)
from congress_desktop.visits.opinions import query_opinions
from congress_desktop.visits.place_names import grid_labels, place_label
from congress_desktop.visits.rows import LedgerImportResult, OpinionQuery, OpinionRow, VisitQuery
from congress_desktop.visits.rules import FORMS, TimeError, opinion_source, parse_time
from congress_desktop.visits.service import (
    add_events,
    apply_flow,
    count_visits,
    query_visits,
    raised_by_of,
    set_deputies,
    visit_search_text,
)

LEDGER_HEADERS: dict[str, tuple[str, ...]] = {
    "visit_date": ("接待日期", "日期", "走访日期", "来访日期", "接待时间日期"),
    "start_time": ("开始时间", "接待时间", "时间"),
    "end_time": ("结束时间",),
    "place": ("接待地点", "地点", "联系站点", "接待站点", "站点", "网格"),
    "form": ("接待形式", "形式", "接待方式", "方式"),
    "deputies": ("接待代表", "参加代表", "代表姓名", "代表"),
    "visitor": ("来访群众", "群众姓名", "来访人", "反映人", "来访人员", "姓名"),
    "phone": ("联系电话", "电话", "手机", "手机号"),
    "village_group": ("村民小组", "组别", "住址", "家庭住址"),
    "head_count": ("人数", "来访人数"),
    "id_number": ("身份证号", "身份证号码"),
    "village": ("所在村(社区)", "所在村", "村(社区)", "村社区", "所在村社区", "村居"),
    "category": ("意见类别", "类别", "问题类别", "分类"),
    "content": ("意见内容", "意见建议", "意见建议内容", "反映问题", "主要内容", "问题"),
    "on_the_spot": ("当场答复", "是否当场答复", "当场解决"),
    "reply_text": ("答复内容", "办理结果", "答复意见", "处理结果"),
    "unit": ("承办单位", "交办单位", "责任单位"),
    "assigned_on": ("交办日期", "交办时间"),
    "deadline": ("办理期限", "期限", "办结时限"),
    "state": ("办理状态", "状态"),
    "reply_on": ("答复日期", "答复时间"),
    "reply_kind": ("答复类型", "答复类别"),
    "rating": ("测评结果", "满意度", "群众满意度", "评价"),
    "closed_on": ("办结日期", "办结时间"),
    "note": ("备注",),
}
LEDGER_COLUMNS = list(LEDGER_HEADERS)
LEDGER_LABELS = {k: v[0] for k, v in LEDGER_HEADERS.items()}
_YES = {"是", "y", "yes", "1", "√", "✓", "true", "当场答复", "当场解决", "已当场答复"}
_SPLIT = re.compile(r"[、，,;；/\s]+")
EMPTY_TEXT = "表格中没有接待记录（表头下面是空的）"

Event = tuple[str, str, str, str, str]              # action, detail, from state, to state, date
VisitorValues = tuple[str, str, str, int, str]      # name, phone, village group, head count, id number
VisitKey = tuple[str, str, str, str, tuple[str, ...]]


@dataclass(frozen=True)
class _LedgerOpinion:
    category_id: str | None
    content: str
    flow: Flow
    events: tuple[Event, ...]


@dataclass(frozen=True)
class _LedgerRow:
    """One row, read and checked."""

    key: VisitKey
    visit_date: str
    start_time: str
    end_time: str
    form: str
    contact_point_id: str | None
    grid_id: str | None
    place_text: str
    village_id: str | None
    deputy_ids: tuple[str, ...]
    note: str
    visitor: VisitorValues | None
    opinion: _LedgerOpinion | None


@dataclass
class _LedgerVisit:
    first_row: int
    first: _LedgerRow
    visitors: list[VisitorValues] = field(default_factory=list)
    opinions: list[_LedgerOpinion] = field(default_factory=list)


@dataclass(frozen=True)
class _Place:
    contact_point_id: str | None = None
    grid_id: str | None = None
    text: str = ""
    village_id: str | None = None


class _LedgerReader:
    """Reads one ledger row against the office's names (deputies, places, villages, units, categories)."""

    def __init__(self, ctx: Context, today: dt.date):
        self.today = today
        self.villages = find_village_ids(ctx)
        self.units = find_unit_ids(ctx)
        self.categories = find_category_ids(ctx)
        self.default_category = self.categories.get("其他")
        with ctx.store.session() as s:
            self.deputies = _deputy_lookup(s)
            self.places = _place_lookup(s)
        self.problems: list[tuple[str, str]] = []

    def err(self, key: str, message: str) -> None:
        self.problems.append((LEDGER_LABELS.get(key, ""), message))

    def day(self, r: dict[str, object], key: str) -> str:
        try:
            iso = parse_date(r.get(key))
        except DateError as exc:
            self.err(key, str(exc))
            return ""
        if iso and dt.date.fromisoformat(iso) > self.today and key != "deadline":
            self.err(key, f"{iso} 晚于今天")
        return iso

    def read(self, row: SheetRow) -> _LedgerRow:
        self.problems = []
        r = row.values
        visit_date = self.day(r, "visit_date")
        if not visit_date and not any(f == LEDGER_LABELS["visit_date"] for f, _ in self.problems):
            self.err("visit_date", "接待日期不能为空")
        start, end = self._times(r)
        form = clean(r.get("form")) or "接待日"
        if form not in FORMS:
            self.err("form", f"“{form}”不是接待形式（{'、'.join(FORMS)}）")
        place_name = clean(r.get("place"))
        place = self._place(place_name)
        deputy_ids = self._deputies(r)
        village_id = self._village(r)
        visitor = self._visitor(r)
        opinion = self._opinion(r, visit_date)
        if self.problems:
            raise RowProblem(*self.problems)
        return _LedgerRow((visit_date, start, place_name, form, tuple(sorted(deputy_ids))), visit_date, start, end,
                          form, place.contact_point_id, place.grid_id, place.text, village_id or place.village_id,
                          tuple(deputy_ids), clean(r.get("note")), visitor, opinion)

    def _times(self, r: dict[str, object]) -> tuple[str, str]:
        times = []
        for key in ("start_time", "end_time"):
            try:
                times.append(parse_time(r.get(key)))
            except TimeError as e:
                self.err(key, str(e))
                times.append("")
        start, end = times
        if start and end and end < start:
            self.err("end_time", f"结束时间 {end} 早于开始时间 {start}")
        return start, end

    def _place(self, place: str) -> _Place:
        if not place:
            self.err("place", "接待地点不能为空")
            return _Place()
        hit = self.places.get(place.replace(" ", ""))
        if hit and hit[0] == "contact_point":
            return _Place(contact_point_id=hit[1], village_id=hit[2])
        if hit:
            return _Place(grid_id=hit[1], village_id=hit[2])
        return _Place(text=place)

    def _deputies(self, r: dict[str, object]) -> list[str]:
        deputy_ids: list[str] = []
        names = [clean_name(n) for n in _SPLIT.split(clean(r.get("deputies"))) if clean_name(n)]
        if not names:
            self.err("deputies", "接待代表不能为空")
        for name in names:
            found = self.deputies.get(name, [])
            if not found:
                self.err("deputies", f"接待代表“{name}”不在代表名册中")
            elif len(found) > 1:
                self.err("deputies", f"代表名册中有 {len(found)} 位“{name}”，无法确定是哪一位，请在备注中说明后手工录入")
            else:
                deputy_ids.append(found[0])
        return deputy_ids

    def _village(self, r: dict[str, object]) -> str | None:
        village = clean(r.get("village"))
        if not village:
            return None
        village_id = self.villages.get(village) or self.villages.get(village_key(village))
        if village_id is None:
            self.err("village", f"“{village}”不在本乡镇的村(社区)名单中")
        return village_id

    def _visitor(self, r: dict[str, object]) -> VisitorValues | None:
        visitor = clean_name(r.get("visitor"))
        try:
            phone = normalise_phone(r.get("phone"))
        except PhoneError as e:
            self.err("phone", str(e))
            phone = ""
        head_text = clean(r.get("head_count")) or "1"
        try:
            head = int(float(head_text))
            if head < 1:
                raise ValueError
        except ValueError:
            self.err("head_count", f"人数“{head_text}”应为正整数")
            head = 1
        id_number = ""
        if clean(r.get("id_number")):
            try:
                id_number = parse_id_number(r.get("id_number")).number
            except IdNumberError as e:
                self.err("id_number", str(e))
        return (visitor, phone, clean(r.get("village_group")), head, id_number) if visitor else None

    def _opinion(self, r: dict[str, object], visit_date: str) -> _LedgerOpinion | None:
        content = clean(r.get("content"))
        category = clean(r.get("category"))
        reply_text = clean(r.get("reply_text"))
        unit = clean(r.get("unit"))
        if not (content or category or reply_text or unit):
            return None
        if not content:
            self.err("content", "有类别或办理信息，但意见内容为空")
        category_id = self.categories.get(category) if category else self.default_category
        if category and category_id is None:
            self.err("category", f"类别“{category}”不在意见类别列表中，请先在“意见类别”中添加")
        unit_id = None
        if unit:
            unit_id = self.units.get(unit_key(unit))
            if unit_id is None:
                self.err("unit", f"承办单位“{unit}”不在承办单位名单中，请先在“承办单位”中添加")
        # answered but never referred to a unit: the ledger's way of writing 当场答复
        spot = clean(r.get("on_the_spot")).lower() in _YES or (
            bool(reply_text) and not unit and not clean(r.get("state")) and not clean(r.get("assigned_on")))
        dates = {k: self.day(r, k) for k in ("assigned_on", "deadline", "reply_on", "closed_on")}
        if self.problems or not visit_date:
            return None
        return self._replay(r, _Handling(visit_date, spot, unit_id or "", unit, reply_text, dates),
                            category_id, content)

    def _replay(self, r: dict[str, object], h: _Handling, category_id: str | None,
                content: str) -> _LedgerOpinion | None:
        """The steps that lead to the state the ledger names, replayed through the live rules."""
        rating = clean(r.get("rating"))
        reply_kind = clean(r.get("reply_kind")) or ("说明解释" if h.spot else "")
        dates = h.dates
        state = state_of_ledger(clean(r.get("state")), on_the_spot=h.spot, closed_on=dates["closed_on"],
                                rating=rating, reply_on=dates["reply_on"], unit=h.unit)
        flow = Flow(raised_on=h.visit_date)
        events: list[Event] = []
        try:
            steps = steps_to(state, LedgerHandling(
                on_the_spot=h.spot, unit_id=h.unit_id, unit_name=h.unit, assigned_on=dates["assigned_on"],
                deadline=dates["deadline"], complex_item=False,
                reply_on=dates["reply_on"] or (h.visit_date if h.spot else ""), reply_kind=reply_kind,
                reply_text=h.reply_text, rated_on="", rating=rating, closed_on=dates["closed_on"], plan_done_on=""))
            for step in steps:
                before_state = flow.state
                flow, detail = apply_step(flow, step, self.today)
                events.append((step.action, detail, before_state, flow.state, flow.last_on))
        except TransitionRefused as e:
            label = {"unit_id": "unit", "deadline": "deadline", "rating": "rating", "kind": "reply_kind",
                     "text": "reply_text", "state": "state"}.get(e.field or "", "state")
            self.err(label, f"{e.message}（按“{state}”补录办理过程时）")
            return None
        return _LedgerOpinion(category_id, content, flow, tuple(events))


@dataclass(frozen=True)
class _Handling:
    visit_date: str
    spot: bool
    unit_id: str
    unit: str
    reply_text: str
    dates: dict[str, str]


def _deputy_lookup(s: Session) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for d in s.scalars(select(Deputy).where(Deputy.deleted.is_(False))):
        out.setdefault(d.name, []).append(d.id)
    return out


def _place_lookup(s: Session) -> dict[str, tuple[str, str, str | None]]:
    out: dict[str, tuple[str, str, str | None]] = {}
    for p in s.scalars(select(ContactPoint).where(ContactPoint.deleted.is_(False))):
        out[p.name.replace(" ", "")] = ("contact_point", p.id, p.village_id)
    for gid, (label, vid) in grid_labels(s).items():
        out[label.replace(" ", "")] = ("grid", gid, vid)
        out[label.split("·")[-1].strip()] = ("grid", gid, vid)
    return out


def _group(visits: dict[VisitKey, _LedgerVisit], number: int, row: _LedgerRow) -> None:
    lv = visits.get(row.key)
    if lv is None:
        lv = visits[row.key] = _LedgerVisit(number, row)
    x = row.visitor
    if x and not any(v[0] == x[0] and v[1] == x[1] for v in lv.visitors):
        lv.visitors.append(x)
    if row.opinion:
        lv.opinions.append(row.opinion)


def _duplicates(s: Session, visits: dict[VisitKey, _LedgerVisit]) -> list[RowError]:
    """A ledger imported twice would double every visit."""
    dates = sorted({k[0] for k in visits})
    existing = set()
    for v in s.scalars(select(Visit).where(Visit.deleted.is_(False), Visit.visit_date.in_(dates))):
        ids = tuple(sorted(s.scalars(select(VisitDeputy.deputy_id).where(
            VisitDeputy.visit_id == v.id, VisitDeputy.deleted.is_(False)))))
        existing.add((v.visit_date, v.start_time, place_label(s, v).replace(" ", ""), v.form, ids))
    grids = grid_labels(s)
    out = []
    for key, lv in visits.items():
        d, st, place, form, ids = key
        label = place
        if lv.first.grid_id:
            label = "网格：" + grids.get(lv.first.grid_id, ("",))[0]
        if (d, st, label.replace(" ", ""), form, ids) in existing:
            out.append(RowError(lv.first_row, "接待日期", f"{d} {place} 的这次接待已在系统中，疑为重复导入"))
    return out


def import_ledger(ctx: Context, path: str | Path, progress: Progress = no_progress,
                  cancel: Cancel = never_cancel, *, now: dt.datetime | None = None) -> LedgerImportResult:
    """A historical visit ledger (台账), one row per opinion; rows with the same date, time, place, form
    and deputies make one visit. All rows or nothing: every bad row is listed with its reason."""
    today = (now or dt.datetime.now()).date()
    sheet = read_sheet(path, dict(LEDGER_HEADERS), required=("visit_date",))
    total = len(sheet.rows)
    if total == 0:
        raise InvalidInput(EMPTY_TEXT)
    ensure_categories(ctx)
    reader = _LedgerReader(ctx, today)
    visits: dict[VisitKey, _LedgerVisit] = {}
    written = [0, 0]  # visits, opinions

    def write(_s: Session, number: int, row: _LedgerRow) -> None:
        _group(visits, number, row)  # the visits are written whole, in ``after``

    def after(s: Session) -> list[RowError]:
        duplicates = _duplicates(s, visits)
        if duplicates:
            return duplicates
        for i, lv in enumerate(visits.values()):
            check_cancel(cancel)
            written[1] += _write_ledger_visit(s, ctx, lv)
            written[0] += 1
            if i % 50 == 0:
                progress(total + i * total // max(1, len(visits)), total * 2)
        return []

    def reading(done: int, of: int) -> None:  # the writes report their own progress in ``after``
        if done <= total:
            progress(done, of)

    res = run_import(ctx, sheet, reader.read, write, ImportSpec(labels=LEDGER_LABELS, empty_text=EMPTY_TEXT,
                                                                after=after), progress=reading, cancel=cancel)
    if not res.ok:
        return LedgerImportResult(0, res.errors, total, sheet)
    progress(total * 2, total * 2)
    return LedgerImportResult(written[0], (), total, sheet, applied_opinions=written[1])


def _write_ledger_visit(s: Session, ctx: Context, lv: _LedgerVisit) -> int:
    f = lv.first
    v = Visit(visit_date=f.visit_date, start_time=f.start_time, end_time=f.end_time, form=f.form,
              contact_point_id=f.contact_point_id, grid_id=f.grid_id, place_text=f.place_text,
              village_id=f.village_id, note=f.note, visitor_count=sum(x[3] for x in lv.visitors))
    s.add(v)
    s.flush()
    names = set_deputies(s, v.id, list(f.deputy_ids))
    visitors = []
    for pos, (name, phone, group, head, id_number) in enumerate(lv.visitors):
        x = Visitor(visit_id=v.id, position=pos, name=name, phone=phone, village_group=group, head_count=head,
                    id_number=id_number)
        s.add(x)
        visitors.append(x)
    v.search_text = visit_search_text(s, v, names, visitors)
    raised_by, phone = raised_by_of(visitors)
    source = opinion_source(f.form, bool(f.grid_id))
    for pos, op in enumerate(lv.opinions):
        o = new_opinion(s, visit_id=v.id, position=pos, raised_on=f.visit_date, raised_by=raised_by,
                        raised_phone=phone, village_id=f.village_id, source=source, category_id=op.category_id,
                        content=op.content)
        apply_flow(o, op.flow)
        s.add(o)
        add_events(s, o.id, list(op.events), ctx.store.user)
        index_opinion(s, o, deputies=names)
    return len(lv.opinions)


def save_import_errors(result: LedgerImportResult, path: str | Path) -> None:
    result.save_errors(path)


def export_ledger(ctx: Context, path: str | Path, q: VisitQuery = VisitQuery(), *,
                  progress: Progress = no_progress, cancel: Cancel = never_cancel) -> int:
    """Visits as filtered, one row per opinion (a visit without opinions: one row), with the headers
    the import reads; returns the number of rows written."""
    rows: list[list[object]] = []
    offset = 0
    total = count_visits(ctx, q)
    while True:
        check_cancel(cancel)
        page = query_visits(ctx, q, offset, 500)
        if not page:
            break
        ids = [v.id for v in page]
        with ctx.store.session() as s:
            visitors: dict[str, list[Visitor]] = {}
            for person in s.scalars(select(Visitor).where(Visitor.visit_id.in_(ids), Visitor.deleted.is_(False))
                                    .order_by(Visitor.position)):
                visitors.setdefault(person.visit_id, []).append(person)
        opinions: dict[str, list[OpinionRow]] = {}
        for vid in ids:
            opinions[vid] = sorted(query_opinions(ctx, OpinionQuery(visit_id=vid), 0, None),
                                   key=lambda o: o.seq)
        for v in page:
            people = visitors.get(v.id, [])
            found = opinions.get(v.id)
            ops: list[OpinionRow | None] = list(found) if found else [None]
            for i, o in enumerate(ops):
                x = people[i] if i < len(people) else None
                values = {
                    "visit_date": v.visit_date, "start_time": v.start_time, "end_time": v.end_time,
                    "place": v.place_label.removeprefix("网格："), "form": v.form, "deputies": "、".join(v.deputy_names),
                    "visitor": x.name if x else "", "phone": x.phone if x else "",
                    "village_group": x.village_group if x else "", "head_count": x.head_count if x else "",
                    "id_number": x.id_number if x else "", "village": v.village_name, "note": v.note if i == 0 else "",
                }
                if o is not None:
                    values |= {
                        "category": o.category, "content": o.content, "on_the_spot": "是" if o.on_the_spot else "",
                        "reply_text": o.reply_text, "unit": o.unit_name, "assigned_on": o.assigned_on,
                        "deadline": o.deadline, "state": o.state, "reply_on": o.reply_on,
                        "reply_kind": o.reply_kind, "rating": o.rating, "closed_on": o.closed_on,
                    }
                rows.append([values.get(c, "") for c in LEDGER_COLUMNS])
            # visitors beyond the opinions' rows still belong on the sheet
            for x in people[len(ops):]:
                rows.append([{"visit_date": v.visit_date, "start_time": v.start_time, "end_time": v.end_time,
                              "place": v.place_label.removeprefix("网格："), "form": v.form,
                              "deputies": "、".join(v.deputy_names), "visitor": x.name, "phone": x.phone,
                              "village_group": x.village_group, "head_count": x.head_count,
                              "id_number": x.id_number, "village": v.village_name}.get(c, "")
                             for c in LEDGER_COLUMNS])
        offset += len(page)
        progress(offset, total)
    headers = [LEDGER_LABELS[c] for c in LEDGER_COLUMNS]
    write_xlsx(path, "接待台账", headers, rows,
               widths=[11, 8, 8, 22, 8, 18, 10, 13, 12, 6, 20, 12, 10, 46, 8, 36, 18, 11, 11, 9, 11, 9, 9, 11, 16],
               text_columns=[LEDGER_COLUMNS.index("phone"), LEDGER_COLUMNS.index("id_number")])
    return len(rows)
