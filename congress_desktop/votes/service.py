"""票决 and 测评: candidate projects, vote sessions with the roll call, rounds, ballot entry (single or
double), hand-count totals, doubtful ballots, the count, announcing, re-votes, the hash-chained log
and the case file anyone can recount with ``votes tally``.

The count itself is ``domain.votes.tally``; this module only gathers a round into a case file
(:func:`round_case_json`), checks it with the same ``parse_case`` the command line uses, and keeps
the record. Ballots never link to a deputy. Ballots, rulings, totals and log entries are written
once; corrections are new rows on top. An announced round is locked."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from congress_desktop.core.context import Cancel, Context, Progress, check_cancel, never_cancel, no_progress
from congress_desktop.core.dates import DateError, parse_date
from congress_desktop.core.errors import CongressError, FieldErrors, InvalidInput, NotFound
from congress_desktop.core.importing import ImportResult
from congress_desktop.core.sheets import RowError, read_sheet, write_xlsx
from congress_desktop.core.store.models import Deputy, Village, utcnow
from congress_desktop.core.store.models_votes import (
    VoteAttendance,
    VoteBallot,
    VoteItem,
    VoteLog,
    VoteProject,
    VoteRound,
    VoteRuling,
    VoteSession,
    VoteTotals,
)
from congress_desktop.core.text import clean
from congress_desktop.votes import tally as dv
from congress_desktop.votes.tally import (
    ATTENDANCE,
    CLERKS,
    MODES,
    NOT_ON_ROLL,
    PROJECT_STATES,
    ROUND_REASONS,
    ROUND_STATES,
)

CATEGORIES = ("乡村振兴", "社会保障", "教育", "医疗", "交通", "人居环境", "文化体育", "农业农村", "其他")
GENESIS = "0" * 64

ACTION_LABELS = {
    "session_created": "建立表决", "session_updated": "修改表决设置", "roster_refreshed": "重新读取代表名单",
    "attendance": "点名", "round_opened": "开始投票", "mode_set": "设置录入方式", "counts_set": "登记发出、收回票数",
    "ballot_entered": "录入选票", "ballot_corrected": "更正选票", "ballot_undone": "撤销选票",
    "difference_settled": "核定差异", "doubtful_decided": "认定存疑票", "totals_entered": "录入手工计票合计",
    "result_computed": "计算结果", "announced": "公布结果（锁定）",
}


def canonical(value: Any) -> str:
    """The one JSON spelling hashes are taken over: sorted keys, no spaces, UTF-8 characters kept."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# =================================================================== candidate projects


@dataclass(frozen=True)
class ProjectRow:
    id: str
    year: int
    number: str
    name: str
    category: str
    content: str
    place_code: str
    place_name: str
    investment: str
    funding: str
    unit: str
    person: str
    deadline: str
    beneficiaries: str
    source: str
    ballot_order: int
    state: str
    note: str
    version: int


PROJECT_LABELS = {
    "year": "年度", "number": "编号", "name": "项目名称", "category": "类别", "content": "建设内容及目标",
    "place": "实施地点", "investment": "总投资（万元）", "funding": "资金来源", "unit": "实施单位",
    "person": "责任人", "deadline": "完成时限", "beneficiaries": "受益群众", "source": "项目来源",
    "ballot_order": "选票顺序", "state": "状态", "note": "备注",
}


def _project_row(p: VoteProject, places: Mapping[str, str]) -> ProjectRow:
    return ProjectRow(p.id, p.year, p.number, p.name, p.category, p.content, p.place_code,
                      places.get(p.place_code, ""), p.investment, p.funding, p.unit, p.person, p.deadline,
                      p.beneficiaries, p.source, p.ballot_order, p.state, p.note, p.version)


def _places(s: Session) -> dict[str, str]:
    return dict(s.execute(select(Village.code, Village.name).where(Village.deleted.is_(False))).all())


def _place_code(value: object, places: Mapping[str, str]) -> str:
    """A village code or name -> code ('' when empty); FieldErrors when it is not a village of ours."""
    text = clean(value)
    if not text:
        return ""
    if text in places:
        return text
    from congress_desktop.places.villages import village_key

    for code, name in places.items():
        if text == name or village_key(text) == village_key(name):
            return code
    raise FieldErrors({"place": f"实施地点“{text}”不是本乡镇的村(社区)，请填写村(社区)名称或区划代码"})


def normalise_project(raw: Mapping[str, Any], places: Mapping[str, str]) -> dict[str, Any]:
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
    state = clean(raw.get("state")) or "征集"
    if state not in PROJECT_STATES:
        errors["state"] = f"状态应为 {'、'.join(PROJECT_STATES)} 之一"
    out["state"] = state
    order_text = clean(raw.get("ballot_order"))
    try:
        out["ballot_order"] = int(float(order_text)) if order_text else 0
    except ValueError:
        errors["ballot_order"] = "选票顺序应为整数"
    try:
        out["place_code"] = _place_code(raw.get("place", raw.get("place_code")), places)
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


def list_projects(ctx: Context, *, year: int | None = None, states: Sequence[str] = ()) -> list[ProjectRow]:
    stmt = select(VoteProject).where(VoteProject.deleted.is_(False))
    if year:
        stmt = stmt.where(VoteProject.year == year)
    if states:
        stmt = stmt.where(VoteProject.state.in_(list(states)))
    stmt = stmt.order_by(VoteProject.year.desc(), VoteProject.ballot_order, VoteProject.number, VoteProject.id)
    with ctx.store.session() as s:
        places = _places(s)
        return [_project_row(p, places) for p in s.scalars(stmt)]


def get_project(ctx: Context, project_id: str) -> ProjectRow:
    with ctx.store.session() as s:
        p = s.get(VoteProject, project_id)
        if p is None or p.deleted:
            raise NotFound("该项目不存在或已删除")
        return _project_row(p, _places(s))


def save_project(ctx: Context, raw: Mapping[str, Any], project_id: str | None = None) -> ProjectRow:
    with ctx.store.session() as s:
        places = _places(s)
        data = normalise_project(raw, places)
        if project_id:
            p = s.get(VoteProject, project_id)
            if p is None or p.deleted:
                raise NotFound("该项目不存在或已删除")
        else:
            p = VoteProject()
            if not data["ballot_order"]:
                top = s.scalar(select(func.max(VoteProject.ballot_order)).where(VoteProject.year == data["year"],
                                                                               VoteProject.deleted.is_(False)))
                data["ballot_order"] = (top or 0) + 1
        dup = s.scalars(select(VoteProject).where(VoteProject.deleted.is_(False), VoteProject.year == data["year"],
                                                 VoteProject.name == data["name"])).first()
        if dup is not None and dup is not p:
            raise FieldErrors({"name": f"{data['year']} 年已有同名项目“{data['name']}”"})
        for key, value in data.items():
            if getattr(p, key) != value:
                setattr(p, key, value)
        if not project_id:
            s.add(p)
        s.flush()
        return _project_row(p, places)


def set_project_state(ctx: Context, project_id: str, state: str) -> ProjectRow:
    if state not in PROJECT_STATES:
        raise InvalidInput(f"状态应为 {'、'.join(PROJECT_STATES)} 之一")
    with ctx.store.session() as s:
        p = s.get(VoteProject, project_id)
        if p is None or p.deleted:
            raise NotFound("该项目不存在或已删除")
        p.state = state
        s.flush()
        return _project_row(p, _places(s))


def move_project(ctx: Context, project_id: str, delta: int) -> None:
    """Move a project up (-1) or down (+1) in the ballot order of its year."""
    with ctx.store.session() as s:
        p = s.get(VoteProject, project_id)
        if p is None or p.deleted:
            raise NotFound("该项目不存在或已删除")
        same = list(s.scalars(select(VoteProject).where(VoteProject.deleted.is_(False), VoteProject.year == p.year)
                              .order_by(VoteProject.ballot_order, VoteProject.number, VoteProject.id)))
        i = same.index(p)
        j = max(0, min(len(same) - 1, i + delta))
        same.insert(j, same.pop(i))
        for n, q in enumerate(same, start=1):
            if q.ballot_order != n:
                q.ballot_order = n


def delete_project(ctx: Context, project_id: str) -> None:
    with ctx.store.session() as s:
        p = s.get(VoteProject, project_id)
        if p is None or p.deleted:
            raise NotFound("该项目不存在或已删除")
        used = s.scalar(select(func.count()).select_from(VoteItem).where(VoteItem.project_id == project_id,
                                                                         VoteItem.deleted.is_(False)))
        if used:
            raise CongressError("该项目已列入票决，不能删除（可把状态改为“未确定”）")
        p.deleted = True


PROJECT_IMPORT_HEADERS: dict[str, tuple[str, ...]] = {
    "year": ("年度", "年份", "项目年度"),
    "number": ("编号", "项目编号", "序号"),
    "name": ("项目名称", "名称", "候选项目", "项目"),
    "category": ("类别", "项目类别", "类型", "领域"),
    "content": ("建设内容及目标", "建设内容", "主要内容", "内容及目标", "项目内容", "建设目标", "内容"),
    "place": ("实施地点", "地点", "所在村", "村社区", "建设地点"),
    "investment": ("总投资", "投资", "投资额", "总投资万元", "估算投资", "资金"),
    "funding": ("资金来源", "资金渠道"),
    "unit": ("实施单位", "责任单位", "牵头单位", "承办单位"),
    "person": ("责任人", "负责人", "联系人"),
    "deadline": ("完成时限", "完成时间", "时限", "计划完成时间"),
    "beneficiaries": ("受益群众", "受益人群", "受益对象", "受益人数"),
    "source": ("项目来源", "来源", "提出方式"),
    "ballot_order": ("选票顺序", "排序", "顺序"),
    "state": ("状态", "项目状态"),
    "note": ("备注",),
}


def import_projects(ctx: Context, path: str | Path, progress: Progress = no_progress,
                    cancel: Cancel = never_cancel) -> ImportResult:
    """Candidate projects from .xlsx/.csv; all rows or nothing, every bad row listed."""
    sheet = read_sheet(path, PROJECT_IMPORT_HEADERS, required=("name",))
    total = len(sheet.rows)
    if total == 0:
        raise InvalidInput("表格中没有项目数据（表头下面是空的）")
    errors: list[RowError] = []
    good: list[tuple[int, dict]] = []
    seen: dict[tuple[int, str], int] = {}
    with ctx.store.session() as s:
        places = _places(s)
        existing = {(y, n) for y, n in s.execute(select(VoteProject.year, VoteProject.name)
                                                 .where(VoteProject.deleted.is_(False))).all()}
    for i, row in enumerate(sheet.rows):
        check_cancel(cancel)
        raw = dict(row.values)
        if clean(raw.get("number")).isdigit() and "ballot_order" not in raw:
            raw["ballot_order"] = clean(raw.get("number"))
        try:
            data = normalise_project(raw, places)
        except FieldErrors as e:
            for key, msg in e.errors.items():
                errors.append(RowError(row.number, PROJECT_LABELS.get(key, key), msg))
            continue
        key = (data["year"], data["name"])
        if key in seen:
            errors.append(RowError(row.number, "项目名称", f"与第 {seen[key]} 行重复"))
            continue
        if key in existing:
            errors.append(RowError(row.number, "项目名称", f"{data['year']} 年已有同名项目，不能重复导入"))
            continue
        seen[key] = row.number
        good.append((row.number, data))
        progress(i + 1, total * 2)
    if errors:
        return ImportResult(0, tuple(sorted(errors, key=lambda e: e.row)), total, sheet)
    with ctx.store.session() as s:
        tops: dict[int, int] = {}
        for i, (_number, data) in enumerate(good):
            check_cancel(cancel)
            if not data["ballot_order"]:
                year = data["year"]
                if year not in tops:
                    tops[year] = s.scalar(select(func.max(VoteProject.ballot_order))
                                          .where(VoteProject.year == year)) or 0
                tops[year] += 1
                data["ballot_order"] = tops[year]
            s.add(VoteProject(**data))
            progress(total + i + 1, total * 2)
    return ImportResult(len(good), (), total, sheet)


# =================================================================== sessions


@dataclass(frozen=True)
class ItemRow:
    id: str
    position: int
    name: str
    project_id: str | None
    investment: str
    unit: str


@dataclass(frozen=True)
class AttendanceRow:
    deputy_id: str
    position: int
    name: str
    status: str


@dataclass(frozen=True)
class RoundRow:
    id: str
    number: int
    reason: str
    item_ids: tuple[str, ...]
    seats: int
    present: int
    mode: str
    unsealed: int | None
    issued: int | None
    returned: int | None
    state: str
    announced_at: str
    announced_by: str
    final_hash: str

    @property
    def stands(self) -> bool | None:
        """收回 <= 发出: the round stands; None until both are entered."""
        if self.issued is None or self.returned is None:
            return None
        return self.returned <= self.issued

    @property
    def locked(self) -> bool:
        return self.state == "announced"

    @property
    def label(self) -> str:
        return f"第 {self.number} 轮（{ROUND_REASONS.get(self.reason, self.reason)}）"

    @property
    def state_label(self) -> str:
        return ROUND_STATES.get(self.state, self.state)


@dataclass(frozen=True)
class SessionRow:
    id: str
    number: int
    title: str
    date: str
    kind: str
    seats: int
    rules: dv.Rules
    chair: str
    chief_scrutineer: str
    scrutineers: tuple[str, ...]
    tellers: tuple[str, ...]
    all_deputies: int
    present: int
    on_leave: int
    absent: int
    items: tuple[ItemRow, ...]
    rounds: tuple[RoundRow, ...]
    note: str
    version: int

    @property
    def kind_label(self) -> str:
        return dv.KINDS[self.kind]

    @property
    def quorum_needed(self) -> int:
        return dv.quorum_needed(self.all_deputies)

    @property
    def quorum_met(self) -> bool:
        return dv.quorum_met(self.all_deputies, self.present)

    @property
    def opened(self) -> bool:
        return bool(self.rounds)

    @property
    def current_round(self) -> RoundRow | None:
        return self.rounds[-1] if self.rounds else None

    @property
    def state_label(self) -> str:
        r = self.current_round
        if r is None:
            return "筹备（点名）"
        return f"第 {r.number} 轮：{r.state_label}"

    def item(self, item_id: str) -> ItemRow:
        return next(i for i in self.items if i.id == item_id)

    def round(self, number_or_id: int | str) -> RoundRow:
        for r in self.rounds:
            if r.number == number_or_id or r.id == number_or_id:
                return r
        raise NotFound(f"没有第 {number_or_id} 轮投票")


def _names(value: object) -> tuple[str, ...]:
    if isinstance(value, (list, tuple)):
        parts = [clean(v) for v in value]
    else:
        text = clean(value)
        for sep in "，,;；/ ":
            text = text.replace(sep, "、")
        parts = text.split("、")
    return tuple(p for p in parts if p)


def _round_row(r: VoteRound) -> RoundRow:
    return RoundRow(r.id, r.number, r.reason, tuple(json.loads(r.item_ids)), r.seats, r.present, r.mode,
                    r.unsealed, r.issued, r.returned, r.state, r.announced_at, r.announced_by, r.final_hash)


def _session_row(s: Session, v: VoteSession) -> SessionRow:
    counts = dict(s.execute(select(VoteAttendance.status, func.count()).where(VoteAttendance.session_id == v.id)
                            .group_by(VoteAttendance.status)).all())
    items = tuple(ItemRow(i.id, i.position, i.name, i.project_id, i.investment, i.unit)
                  for i in s.scalars(select(VoteItem).where(VoteItem.session_id == v.id, VoteItem.deleted.is_(False))
                                     .order_by(VoteItem.position)))
    rounds = tuple(_round_row(r) for r in s.scalars(select(VoteRound).where(VoteRound.session_id == v.id)
                                                    .order_by(VoteRound.number)))
    return SessionRow(v.id, v.number, v.title, v.date, v.kind, v.seats, dv.Rules.from_dict(json.loads(v.rules)),
                      v.chair, v.chief_scrutineer, _names(v.scrutineers), _names(v.tellers), v.all_deputies,
                      counts.get("出席", 0), counts.get("请假", 0), counts.get("缺席", 0), items, rounds, v.note,
                      v.version)


def _get_session(s: Session, session_id: str) -> VoteSession:
    v = s.get(VoteSession, session_id)
    if v is None or v.deleted:
        raise NotFound("该表决不存在或已删除")
    return v


def list_sessions(ctx: Context) -> list[SessionRow]:
    with ctx.store.session() as s:
        rows = s.scalars(select(VoteSession).where(VoteSession.deleted.is_(False))
                         .order_by(VoteSession.number.desc())).all()
        return [_session_row(s, v) for v in rows]


def get_session(ctx: Context, session_id: str) -> SessionRow:
    with ctx.store.session() as s:
        return _session_row(s, _get_session(s, session_id))


def find_session(ctx: Context, key: str | int) -> SessionRow:
    """A session by its number (1, 2, ...) or id: what a script types."""
    text = str(key).strip()
    with ctx.store.session() as s:
        v = None
        if text.isdigit():
            v = s.scalars(select(VoteSession).where(VoteSession.number == int(text),
                                                    VoteSession.deleted.is_(False))).first()
        if v is None:
            v = s.get(VoteSession, text)
        if v is None or v.deleted:
            raise NotFound(f"找不到表决“{text}”（用 votes list 查看编号）")
        return _session_row(s, v)


def _town_deputies(s: Session) -> list[Deputy]:
    """全体代表: town deputies in office (暂停 and 终止 do not vote and do not count, 代表法 art. 61-62)."""
    rows = s.scalars(select(Deputy).where(Deputy.deleted.is_(False), Deputy.status == "在任")
                     .order_by(Deputy.name_pinyin, Deputy.id)).all()
    return [d for d in rows if "town" in d.levels.split(",")]


def _check_draft(raw: Mapping[str, Any], s: Session) -> tuple[dict[str, Any], list[dict[str, Any]]]:
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
        rules = dv.Rules.from_dict(raw.get("rules") or {})
        out["rules"] = canonical(rules.as_dict())
    except dv.CaseError as e:
        errors["rules"] = e.message
    for key in ("chair", "chief_scrutineer"):
        out[key] = clean(raw.get(key))
    out["scrutineers"] = "、".join(_names(raw.get("scrutineers")))
    out["tellers"] = "、".join(_names(raw.get("tellers")))
    out["note"] = str(raw.get("note") or "").strip()
    items: list[dict[str, Any]] = []
    for it in raw.get("items") or ():
        if isinstance(it, str):
            it = {"name": it}
        pid = it.get("project_id")
        if pid:
            p = s.get(VoteProject, pid)
            if p is None or p.deleted:
                errors["items"] = "所选项目中有已删除的项目"
                continue
            items.append({"name": p.name, "project_id": p.id, "investment": p.investment, "unit": p.unit})
        else:
            name = clean(it.get("name"))
            if name:
                items.append({"name": name, "project_id": None, "investment": clean(it.get("investment")),
                              "unit": clean(it.get("unit"))})
    names = [i["name"] for i in items]
    if not items:
        errors["items"] = "请至少列入一个项目" if kind == dv.PROJECT_VOTE else "请至少列入一个测评对象"
    elif len(set(names)) != len(names):
        errors["items"] = f"“{next(x for x in names if names.count(x) > 1)}”列入了两次"
    seats_text = clean(raw.get("seats"))
    try:
        seats = int(seats_text) if seats_text else 0
    except ValueError:
        seats = -1
    if kind == dv.PROJECT_VOTE:
        if seats < 1:
            errors["seats"] = "请填写应确定的项目数（N），至少为 1"
        elif items and seats >= len(items):
            errors["seats"] = f"票决实行差额：候选项目（{len(items)} 个）应多于应确定的项目数（{seats} 个）"
    else:
        seats = 0
    out["seats"] = seats
    if errors:
        raise FieldErrors(errors)
    return out, items


def create_session(ctx: Context, raw: Mapping[str, Any]) -> SessionRow:
    """A new 票决/测评 with the roster snapshot of 全体代表 (all marked 出席 until the roll call)."""
    with ctx.store.session() as s:
        data, items = _check_draft(raw, s)
        deputies = _town_deputies(s)
        if not deputies:
            raise CongressError("没有在任的乡镇人大代表，无法建立表决：请先在“代表”页录入或导入代表")
        number = (s.scalar(select(func.max(VoteSession.number))) or 0) + 1
        v = VoteSession(number=number, all_deputies=len(deputies), **data)
        s.add(v)
        s.flush()
        for n, it in enumerate(items, start=1):
            s.add(VoteItem(session_id=v.id, position=n, **it))
        for n, d in enumerate(deputies, start=1):
            s.add(VoteAttendance(session_id=v.id, deputy_id=d.id, position=n, name=d.name, status="出席"))
        s.flush()
        _log(s, v.id, "session_created", {**{k: data[k] for k in ("title", "date", "kind", "seats")},
                                          "rules": json.loads(data["rules"]), "items": [i["name"] for i in items],
                                          "all_deputies": len(deputies), "officers": _officers(v)})
        return _session_row(s, v)


def _officers(v: VoteSession) -> dict[str, str]:
    return {"chair": v.chair, "chief_scrutineer": v.chief_scrutineer, "scrutineers": v.scrutineers,
            "tellers": v.tellers}


def _require_not_opened(s: Session, v: VoteSession, what: str) -> None:
    if s.scalar(select(func.count()).select_from(VoteRound).where(VoteRound.session_id == v.id)):
        raise CongressError(f"投票已经开始，不能再{what}")


def update_session(ctx: Context, session_id: str, raw: Mapping[str, Any]) -> SessionRow:
    """Change the settings, officers and items; items and rules only before voting starts.
    Officers (监票人, 计票人 ...) may still be filled in later, until a round is announced."""
    with ctx.store.session() as s:
        v = _get_session(s, session_id)
        data, items = _check_draft(raw, s)
        opened = s.scalar(select(func.count()).select_from(VoteRound).where(VoteRound.session_id == v.id))
        if opened:
            locked = ("title", "date", "kind", "seats", "rules")
            if any(getattr(v, k) != data[k] for k in locked) or [i.name for i in _items(s, v.id)] != [
                    i["name"] for i in items]:
                raise CongressError("投票已经开始，会议、项目、应选数和规则不能再修改；只能补填工作人员")
        changed = {k: data[k] for k in data if getattr(v, k) != data[k]}
        for k, value in changed.items():
            setattr(v, k, value)
        if not opened:
            old = _items(s, v.id)
            if [(i.name, i.project_id) for i in old] != [(i["name"], i["project_id"]) for i in items]:
                for i in old:
                    i.deleted = True
                s.flush()
                for n, it in enumerate(items, start=1):
                    s.add(VoteItem(session_id=v.id, position=n, **it))
                changed["items"] = [i["name"] for i in items]
        if changed:
            s.flush()
            _log(s, v.id, "session_updated", {k: (json.loads(x) if k == "rules" else x) for k, x in changed.items()})
        return _session_row(s, v)


def _items(s: Session, session_id: str) -> list[VoteItem]:
    return list(s.scalars(select(VoteItem).where(VoteItem.session_id == session_id, VoteItem.deleted.is_(False))
                          .order_by(VoteItem.position)))


def refresh_roster(ctx: Context, session_id: str) -> SessionRow:
    """Take the roster snapshot again (a deputy's status changed since set-up); keeps the roll call
    of those still on it. Only before voting starts."""
    with ctx.store.session() as s:
        v = _get_session(s, session_id)
        _require_not_opened(s, v, "重新读取代表名单")
        old = {a.deputy_id: a for a in s.scalars(select(VoteAttendance).where(VoteAttendance.session_id == v.id))}
        deputies = _town_deputies(s)
        keep = {d.id for d in deputies}
        for a in old.values():
            if a.deputy_id not in keep and a.status != NOT_ON_ROLL:
                a.status = NOT_ON_ROLL  # synced rows are never deleted: mark them off the roster
        for n, d in enumerate(deputies, start=1):
            a = old.get(d.id)
            if a is None:
                s.add(VoteAttendance(session_id=v.id, deputy_id=d.id, position=n, name=d.name, status="出席"))
            else:
                if a.status == NOT_ON_ROLL:
                    a.status = "出席"
                if a.position != n:
                    a.position = n
        v.all_deputies = len(deputies)
        s.flush()
        _log(s, v.id, "roster_refreshed", {"all_deputies": len(deputies)})
        return _session_row(s, v)


def attendance(ctx: Context, session_id: str) -> list[AttendanceRow]:
    with ctx.store.session() as s:
        _get_session(s, session_id)
        return [AttendanceRow(a.deputy_id, a.position, a.name, a.status)
                for a in s.scalars(select(VoteAttendance).where(VoteAttendance.session_id == session_id,
                                                                VoteAttendance.status != NOT_ON_ROLL)
                                   .order_by(VoteAttendance.position))]


def set_attendance(ctx: Context, session_id: str, marks: Mapping[str, str]) -> SessionRow:
    """Roll call: {deputy_id: 出席/请假/缺席}. Before voting starts, or between rounds."""
    bad = [st for st in marks.values() if st not in ATTENDANCE]
    if bad:
        raise InvalidInput(f"出席情况应为 {'、'.join(ATTENDANCE)} 之一，而不是“{bad[0]}”")
    with ctx.store.session() as s:
        v = _get_session(s, session_id)
        current = s.scalars(select(VoteRound).where(VoteRound.session_id == v.id)
                            .order_by(VoteRound.number.desc())).first()
        if current is not None and current.state != "announced":
            raise CongressError(f"第 {current.number} 轮投票正在进行，不能修改出席情况")
        rows = {a.deputy_id: a for a in s.scalars(select(VoteAttendance).where(VoteAttendance.session_id == v.id))}
        changed = {}
        for deputy_id, status in marks.items():
            a = rows.get(deputy_id)
            if a is None or a.status == NOT_ON_ROLL:
                raise NotFound("该代表不在本次表决的代表名单中")
            if a.status != status:
                a.status = status
                changed[a.name] = status
        if changed:
            s.flush()
            _log(s, v.id, "attendance", {"changes": changed, **_attendance_counts(s, v.id)})
        return _session_row(s, v)


def _attendance_counts(s: Session, session_id: str) -> dict[str, int]:
    counts = dict(s.execute(select(VoteAttendance.status, func.count())
                            .where(VoteAttendance.session_id == session_id).group_by(VoteAttendance.status)).all())
    return {"present": counts.get("出席", 0), "on_leave": counts.get("请假", 0), "absent": counts.get("缺席", 0)}


def quorum_message(all_deputies: int, present: int) -> str:
    need = dv.quorum_needed(all_deputies)
    if dv.quorum_met(all_deputies, present):
        return f"全体代表 {all_deputies} 人，实到 {present} 人，达到三分之二（{need} 人），可以表决"
    return (f"实到 {present} 人，不足全体代表 {all_deputies} 人的三分之二（至少 {need} 人），"
            f"不能开始表决（地方组织法第十四条）")


def open_vote(ctx: Context, session_id: str, mode: str = "single") -> RoundRow:
    """Start round 1: refused below the 2/3 quorum. The roll call is then frozen for the round."""
    if mode not in MODES:
        raise InvalidInput(f"录入方式应为 {'、'.join(MODES)} 之一")
    with ctx.store.session() as s:
        v = _get_session(s, session_id)
        _require_not_opened(s, v, "重新开始投票")
        counts = _attendance_counts(s, v.id)
        if not dv.quorum_met(v.all_deputies, counts["present"]):
            raise CongressError(quorum_message(v.all_deputies, counts["present"]), code="no_quorum")
        items = _items(s, v.id)
        r = VoteRound(session_id=v.id, number=1, reason="first", item_ids=json.dumps([i.id for i in items]),
                      seats=v.seats, present=counts["present"], mode=mode, state="voting")
        s.add(r)
        s.flush()
        _log(s, v.id, "round_opened", {"round": 1, "reason": "first", "mode": mode, "seats": v.seats,
                                       "items": [i.name for i in items], "all_deputies": v.all_deputies, **counts})
        return _round_row(r)


# =================================================================== rounds and entry


def _get_round(s: Session, round_id: str, *, editable: bool = True) -> tuple[VoteRound, VoteSession]:
    r = s.get(VoteRound, round_id)
    if r is None or r.deleted:
        raise NotFound("该轮投票不存在")
    v = _get_session(s, r.session_id)
    if editable and r.state == "announced":
        raise CongressError(f"第 {r.number} 轮结果已公布并锁定，不能再修改；如需更正，只能另行投票（新一轮）",
                            code="locked")
    return r, v


def _stale(s: Session, r: VoteRound) -> None:
    """A change after the count: the computed result no longer stands until counted again."""
    if r.state == "computed":
        r.state = "voting"
        r.result = ""


def get_round(ctx: Context, round_id: str) -> RoundRow:
    with ctx.store.session() as s:
        return _round_row(_get_round(s, round_id, editable=False)[0])


def set_round_mode(ctx: Context, round_id: str, mode: str) -> RoundRow:
    if mode not in MODES:
        raise InvalidInput(f"录入方式应为 {'、'.join(MODES)} 之一")
    with ctx.store.session() as s:
        r, v = _get_round(s, round_id)
        if r.mode == mode:
            return _round_row(r)
        has = s.scalar(select(func.count()).select_from(VoteBallot).where(VoteBallot.round_id == r.id)) or \
            s.scalar(select(func.count()).select_from(VoteTotals).where(VoteTotals.round_id == r.id))
        if has:
            raise CongressError("本轮已经录入了选票或合计，不能再改变录入方式")
        r.mode = mode
        s.flush()
        _log(s, v.id, "mode_set", {"round": r.number, "mode": mode})
        return _round_row(r)


def set_ballot_counts(ctx: Context, round_id: str, *, issued: int, returned: int,
                      unsealed: int | None = None) -> RoundRow:
    """发出 and 收回 (and 拆封); the returned row says at once whether the round stands."""
    errors = {}
    for key, value, label in (("issued", issued, "发出"), ("returned", returned, "收回"),
                              ("unsealed", unsealed, "拆封")):
        if value is None and key == "unsealed":
            continue
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            errors[key] = f"{label}票数应为不小于 0 的整数"
    if errors:
        raise FieldErrors(errors)
    with ctx.store.session() as s:
        r, v = _get_round(s, round_id)
        if issued > r.present:
            raise FieldErrors({"issued": f"发出 {issued} 张，多于实到代表 {r.present} 人"})
        if unsealed is not None and unsealed < issued:
            raise FieldErrors({"unsealed": f"拆封 {unsealed} 张，少于发出 {issued} 张"})
        if (r.issued, r.returned, r.unsealed) != (issued, returned, unsealed):
            r.issued, r.returned, r.unsealed = issued, returned, unsealed
            _stale(s, r)
            s.flush()
            _log(s, v.id, "counts_set", {"round": r.number, "unsealed": unsealed, "issued": issued,
                                         "returned": returned, "stands": returned <= issued})
        return _round_row(r)


@dataclass(frozen=True)
class BallotEntry:
    id: str
    clerk: str
    position: int
    keys: str
    doubtful: bool
    check: dv.BallotCheck
    corrected: bool       # a correction stands on top of the first entry
    reason: str           # the correction's reason

    @property
    def status(self) -> str:
        if not self.check.valid:
            return "作废"
        return "有效"


def _round_kind_items(s: Session, r: VoteRound, v: VoteSession) -> list[VoteItem]:
    ids = json.loads(r.item_ids)
    by_id = {i.id: i for i in s.scalars(select(VoteItem).where(VoteItem.id.in_(ids)))}
    return [by_id[i] for i in ids]


def _effective(s: Session, round_id: str, clerk: str) -> dict[int, VoteBallot]:
    """The ballots of one clerk as they stand: rows nothing replaced, undos left out."""
    rows = list(s.scalars(select(VoteBallot).where(VoteBallot.round_id == round_id, VoteBallot.clerk == clerk)))
    replaced = {b.replaces_id for b in rows if b.replaces_id}
    return {b.position: b for b in sorted(rows, key=lambda b: b.position)
            if b.id not in replaced and b.action != "undo"}


def _entry(b: VoteBallot, kind: str, seats: int, rules: dv.Rules) -> BallotEntry:
    marks = dv.VOID if b.marks == dv.VOID else dv.keys_to_marks(kind, b.marks)
    return BallotEntry(b.id, b.clerk, b.position, b.marks, b.doubtful, dv.check_ballot(kind, marks, seats, rules),
                       b.action == "correction", b.reason)


def _rules(v: VoteSession) -> dv.Rules:
    return dv.Rules.from_dict(json.loads(v.rules))


def _check_keys(kind: str, keys: str, n_items: int) -> str:
    keys = clean(keys).replace(" ", "")
    dv.keys_to_marks(kind, keys)  # raises on a wrong key
    if len(keys) != n_items:
        raise InvalidInput(f"这张选票录入了 {len(keys)} 项，本轮有 {n_items} 个项目，应每项一个键")
    return keys


def _entry_round(s: Session, round_id: str, clerk: str) -> tuple[VoteRound, VoteSession]:
    r, v = _get_round(s, round_id)
    if r.mode == "totals":
        raise CongressError("本轮按手工计票录入合计，不逐张录入选票")
    if clerk not in CLERKS or (clerk == "B" and r.mode != "double"):
        raise InvalidInput("录入员应为 A" + ("或 B" if r.mode == "double" else ""))
    return r, v


def enter_ballot(ctx: Context, round_id: str, clerk: str, keys: str, *, doubtful: bool = False,
                 clerk_name: str = "") -> BallotEntry:
    """The next ballot of a clerk's stack: one key per item (1 赞成 2 反对 3 弃权 0 未填 9 无效)."""
    with ctx.store.session() as s:
        r, v = _entry_round(s, round_id, clerk)
        items = _round_kind_items(s, r, v)
        keys = _check_keys(v.kind, keys, len(items))
        current = _effective(s, r.id, clerk)
        position = max(current, default=0) + 1
        if r.returned is not None and r.issued is not None and r.returned <= r.issued \
                and position > r.returned:
            raise CongressError(f"本轮收回 {r.returned} 张，已录入 {r.returned} 张，不能再录入；"
                                "如收回票数登记有误，请先更正收回票数")
        b = VoteBallot(round_id=r.id, clerk=clerk, clerk_name=clean(clerk_name), position=position, action="entry",
                       marks=keys, doubtful=bool(doubtful))
        s.add(b)
        _stale(s, r)
        s.flush()
        _log(s, v.id, "ballot_entered", {"round": r.number, "record": b.id, "clerk": clerk, "position": position,
                                         "marks": keys, "doubtful": bool(doubtful)})
        return _entry(b, v.kind, r.seats, _rules(v))


def undo_last_ballot(ctx: Context, round_id: str, clerk: str) -> BallotEntry:
    """Take back the last ballot of a clerk (an undo record on top of it; nothing is erased)."""
    with ctx.store.session() as s:
        r, v = _entry_round(s, round_id, clerk)
        current = _effective(s, r.id, clerk)
        if not current:
            raise CongressError("还没有录入选票，无可撤销")
        last = current[max(current)]
        undo = VoteBallot(round_id=r.id, clerk=clerk, clerk_name=last.clerk_name, position=last.position,
                          action="undo", marks="", replaces_id=last.id, reason="撤销最后一张")
        s.add(undo)
        _stale(s, r)
        s.flush()
        _log(s, v.id, "ballot_undone", {"round": r.number, "record": undo.id, "replaces": last.id,
                                        "clerk": clerk, "position": last.position, "marks": "",
                                        "old_marks": last.marks})
        return _entry(last, v.kind, r.seats, _rules(v))


def correct_ballot(ctx: Context, round_id: str, clerk: str, position: int, keys: str, reason: str, *,
                   doubtful: bool | None = None) -> BallotEntry:
    """Correct one ballot of a clerk's stack; the reason is required and logged."""
    reason = clean(reason)
    if not reason:
        raise FieldErrors({"reason": "请填写更正原因"})
    with ctx.store.session() as s:
        r, v = _entry_round(s, round_id, clerk)
        items = _round_kind_items(s, r, v)
        keys = _check_keys(v.kind, keys, len(items))
        current = _effective(s, r.id, clerk)
        old = current.get(position)
        if old is None:
            raise NotFound(f"没有第 {position} 张选票")
        flag = old.doubtful if doubtful is None else bool(doubtful)
        b = VoteBallot(round_id=r.id, clerk=clerk, clerk_name=old.clerk_name, position=position,
                       action="correction", marks=keys, doubtful=flag, replaces_id=old.id, reason=reason)
        s.add(b)
        _stale(s, r)
        s.flush()
        _log(s, v.id, "ballot_corrected", {"round": r.number, "record": b.id, "replaces": old.id, "clerk": clerk,
                                           "position": position, "old_marks": old.marks, "marks": keys,
                                           "doubtful": flag, "reason": reason})
        return _entry(b, v.kind, r.seats, _rules(v))


def clerk_ballots(ctx: Context, round_id: str, clerk: str) -> list[BallotEntry]:
    """One clerk's stack as it stands (the other clerk's entries are never mixed in)."""
    with ctx.store.session() as s:
        r, v = _get_round(s, round_id, editable=False)
        rules = _rules(v)
        return [_entry(b, v.kind, r.seats, rules) for b in _effective(s, r.id, clerk).values()]


@dataclass(frozen=True)
class Ruling:
    position: int
    kind: str            # settle / doubtful
    keys: str            # keys, or 'void'
    by: str
    reason: str


@dataclass(frozen=True)
class Difference:
    """A place in the stack where the two clerks typed different marks (or one has no ballot)."""

    position: int
    keys_a: str | None
    keys_b: str | None
    ruling: Ruling | None

    @property
    def settled(self) -> bool:
        return self.ruling is not None

    def differing_items(self) -> list[int]:
        """0-based items whose marks differ (all when one side is missing)."""
        a, b = self.keys_a or "", self.keys_b or ""
        n = max(len(a), len(b))
        return [i for i in range(n) if (a[i:i + 1] or None) != (b[i:i + 1] or None)]


class _Rulings:
    """The rulings of a round by position: the newest of each kind, and the newest of all (which
    gives the marks that count)."""

    def __init__(self, s: Session, round_id: str):
        self.latest: dict[int, VoteRuling] = {}
        self.by_kind: dict[tuple[int, str], VoteRuling] = {}
        for x in s.scalars(select(VoteRuling).where(VoteRuling.round_id == round_id)
                           .order_by(VoteRuling.created_at, VoteRuling.id)):
            self.latest[x.position] = x
            self.by_kind[(x.position, x.kind)] = x

    def get(self, position: int) -> VoteRuling | None:
        return self.latest.get(position)

    def of(self, position: int, kind: str) -> VoteRuling | None:
        return self.by_kind.get((position, kind))


def _rulings(s: Session, round_id: str) -> _Rulings:
    return _Rulings(s, round_id)


def _ruling(x: VoteRuling | None) -> Ruling | None:
    return None if x is None else Ruling(x.position, x.kind, x.marks, x.by, x.reason)


def _differences(s: Session, r: VoteRound) -> list[Difference]:
    a = _effective(s, r.id, "A")
    b = _effective(s, r.id, "B")
    rulings = _rulings(s, r.id)
    out = []
    for p in sorted(set(a) | set(b)):
        ka = a[p].marks if p in a else None
        kb = b[p].marks if p in b else None
        if ka != kb:
            out.append(Difference(p, ka, kb, _ruling(rulings.of(p, "settle"))))
    return out


def differences(ctx: Context, round_id: str) -> list[Difference]:
    """Every ballot where the two clerks of a double entry differ, settled or not."""
    with ctx.store.session() as s:
        r, _v = _get_round(s, round_id, editable=False)
        if r.mode != "double":
            return []
        return _differences(s, r)


def settle_difference(ctx: Context, round_id: str, position: int, keys: str, by: str, reason: str) -> Ruling:
    """A third person reads the paper ballot and records what it says, with a reason."""
    by, reason = clean(by), clean(reason)
    errors = {}
    if not by:
        errors["by"] = "请填写核定人（第三人）姓名"
    if not reason:
        errors["reason"] = "请填写核定理由"
    if errors:
        raise FieldErrors(errors)
    with ctx.store.session() as s:
        r, v = _get_round(s, round_id)
        if r.mode != "double":
            raise CongressError("只有双人录入才需要核定差异")
        diff = next((d for d in _differences(s, r) if d.position == position), None)
        if diff is None:
            raise CongressError(f"第 {position} 张选票两位录入员录入一致，无需核定")
        clerks = {b.clerk_name for b in s.scalars(select(VoteBallot).where(VoteBallot.round_id == r.id))} - {""}
        if by in clerks:
            raise FieldErrors({"by": "核定差异须由录入员以外的第三人进行"})
        keys = dv.VOID if keys == dv.VOID else _check_keys(v.kind, keys, len(_round_kind_items(s, r, v)))
        x = VoteRuling(round_id=r.id, position=position, kind="settle", marks=keys, by=by, reason=reason)
        s.add(x)
        _stale(s, r)
        s.flush()
        _log(s, v.id, "difference_settled", {"round": r.number, "record": x.id, "position": position,
                                             "clerk_a": diff.keys_a, "clerk_b": diff.keys_b, "marks": keys,
                                             "by": by, "reason": reason})
        return _ruling(x)


@dataclass(frozen=True)
class Doubtful:
    position: int
    keys: str             # as entered (clerk A's, or the settled reading)
    ruling: Ruling | None


def _doubtful(s: Session, r: VoteRound) -> list[Doubtful]:
    rulings = _rulings(s, r.id)
    flagged: dict[int, str] = {}
    for clerk in ("A", "B"):
        for p, b in _effective(s, r.id, clerk).items():
            if b.doubtful:
                flagged.setdefault(p, b.marks)
    return [Doubtful(p, k, _ruling(rulings.of(p, "doubtful"))) for p, k in sorted(flagged.items())]


def doubtful_ballots(ctx: Context, round_id: str) -> list[Doubtful]:
    with ctx.store.session() as s:
        r, _v = _get_round(s, round_id, editable=False)
        return _doubtful(s, r)


def decide_doubtful(ctx: Context, round_id: str, position: int, *, valid: bool, keys: str | None, by: str,
                    reason: str) -> Ruling:
    """总监票人/监票人 decide a doubtful ballot: void, or valid with the marks they read."""
    by, reason = clean(by), clean(reason)
    errors = {}
    if not by:
        errors["by"] = "请填写认定人（总监票人、监票人）"
    if not reason:
        errors["reason"] = "请填写认定理由"
    if errors:
        raise FieldErrors(errors)
    with ctx.store.session() as s:
        r, v = _get_round(s, round_id)
        entry = next((d for d in _doubtful(s, r) if d.position == position), None)
        if entry is None:
            raise CongressError(f"第 {position} 张选票未标为存疑")
        if valid:
            marks = _check_keys(v.kind, keys if keys is not None else entry.keys, len(_round_kind_items(s, r, v)))
        else:
            marks = dv.VOID
        x = VoteRuling(round_id=r.id, position=position, kind="doubtful", marks=marks, by=by, reason=reason)
        s.add(x)
        _stale(s, r)
        s.flush()
        _log(s, v.id, "doubtful_decided", {"round": r.number, "record": x.id, "position": position,
                                           "marks": marks, "valid": valid, "by": by, "reason": reason})
        return _ruling(x)


# ------------------------------------------------------------------- hand-count totals


@dataclass(frozen=True)
class TotalsRow:
    valid: int
    void: int
    counts: tuple[dict[str, int], ...]
    entered_by: str
    reason: str


def _latest_totals(s: Session, round_id: str) -> VoteTotals | None:
    return s.scalars(select(VoteTotals).where(VoteTotals.round_id == round_id)
                     .order_by(VoteTotals.created_at.desc(), VoteTotals.id.desc())).first()


def round_totals(ctx: Context, round_id: str) -> TotalsRow | None:
    with ctx.store.session() as s:
        t = _latest_totals(s, round_id)
        if t is None:
            return None
        return TotalsRow(t.valid, t.void, tuple(json.loads(t.counts)), t.entered_by, t.reason)


def enter_totals(ctx: Context, round_id: str, *, valid: int, void: int, counts: Sequence[Mapping[str, int]],
                 entered_by: str = "", reason: str = "") -> TotalsRow:
    """Per-item totals counted by hand; refused unless every project adds up to the valid ballots
    and valid + void = 收回 (a correction is a new record and needs a reason)."""
    with ctx.store.session() as s:
        r, v = _get_round(s, round_id)
        if r.mode != "totals":
            raise CongressError("本轮为逐张录入选票，不录入合计")
        if r.returned is None or r.issued is None:
            raise CongressError("请先登记发出票数和收回票数")
        items = _round_kind_items(s, r, v)
        keys = dv.COUNTS[v.kind]
        if len(counts) != len(items):
            raise InvalidInput(f"应录入 {len(items)} 个项目的计数")
        clean_counts = []
        for c in counts:
            row = {}
            for k in keys:
                value = c.get(k, 0)
                if isinstance(value, bool) or not isinstance(value, int):
                    raise InvalidInput("计数应为整数")
                row[k] = value
            clean_counts.append(row)
        totals = dv.Totals(valid, void, tuple(clean_counts))
        problems = dv.check_totals(v.kind, _rules(v), r.returned, r.seats, totals, [i.name for i in items])
        if problems:
            raise CongressError("合计对不上，未保存：\n" + "\n".join(problems), code="totals_mismatch",
                                problems=problems)
        previous = _latest_totals(s, r.id)
        if previous is not None and not clean(reason):
            raise FieldErrors({"reason": "更正已录入的合计，请填写更正原因"})
        t = VoteTotals(round_id=r.id, valid=valid, void=void, counts=canonical(clean_counts),
                       entered_by=clean(entered_by), reason=clean(reason))
        s.add(t)
        _stale(s, r)
        s.flush()
        _log(s, v.id, "totals_entered", {"round": r.number, "record": t.id, "valid": valid, "void": void,
                                         "counts": clean_counts, "by": t.entered_by, "reason": t.reason,
                                         "replaces": previous.id if previous else None})
        return TotalsRow(valid, void, tuple(clean_counts), t.entered_by, t.reason)


# =================================================================== the count


def _final_ballots(s: Session, r: VoteRound) -> tuple[list[str], list[str]]:
    """The ballots that count (keys or 'void'), and what still stands in the way."""
    problems: list[str] = []
    a = _effective(s, r.id, "A")
    rulings = _rulings(s, r.id)
    if r.mode == "double":
        b = _effective(s, r.id, "B")
        if not a or not b:
            problems.append("双人录入：两位录入员都录入完毕后才能计票")
        positions = sorted(set(a) | set(b))
    else:
        b = {}
        positions = sorted(a)
    out = []
    unsettled = []
    undecided = []
    for p in positions:
        ka = a[p].marks if p in a else None
        kb = b[p].marks if p in b else None
        ruling = rulings.get(p)
        if r.mode == "double" and ka != kb and rulings.of(p, "settle") is None:
            unsettled.append(p)
        doubtful = (p in a and a[p].doubtful) or (p in b and b[p].doubtful)
        if doubtful and rulings.of(p, "doubtful") is None:
            undecided.append(p)
        if ruling is not None:
            out.append(ruling.marks)
        else:
            out.append(ka if ka is not None else kb or "")
    if unsettled:
        problems.append(f"有 {len(unsettled)} 张选票两位录入员录入不一致，尚未核定（第 "
                        f"{'、'.join(map(str, unsettled[:20]))}{' 等' if len(unsettled) > 20 else ''} 张）")
    if undecided:
        problems.append(f"有 {len(undecided)} 张存疑选票尚待总监票人、监票人认定（第 "
                        f"{'、'.join(map(str, undecided[:20]))} 张）")
    return out, problems


def _round_case(s: Session, r: VoteRound, v: VoteSession, *, strict: bool = True) -> tuple[dict, list[str]]:
    """The round as a case file (README format), and the problems that keep it from being counted."""
    items = _round_kind_items(s, r, v)
    problems: list[str] = []
    case: dict[str, Any] = {
        "meeting": v.title, "date": v.date, "session": v.number, "round": r.number,
        "kind": v.kind, "all_deputies": v.all_deputies, "present": r.present,
        "issued": r.issued if r.issued is not None else 0, "returned": r.returned if r.returned is not None else 0,
        "seats": r.seats, "rules": _rules(v).as_dict(), "items": [i.name for i in items],
    }
    if r.issued is None or r.returned is None:
        problems.append("请先登记发出票数和收回票数")
    void_round = r.issued is not None and r.returned is not None and r.returned > r.issued
    if r.mode == "totals":
        t = _latest_totals(s, r.id)
        if t is None and not void_round:
            problems.append("尚未录入手工计票合计")
        if t is not None:
            case["totals"] = {"valid": t.valid, "void": t.void, "items": json.loads(t.counts)}
        elif void_round:
            case["ballots"] = []
    else:
        keys, more = _final_ballots(s, r)
        if not void_round:
            problems += more
        case["ballots"] = [k if k == dv.VOID else list(dv.keys_to_marks(v.kind, k)) for k in keys if k]
        if not void_round and r.returned is not None and len(case["ballots"]) != r.returned and not more:
            problems.append(f"已录入 {len(case['ballots'])} 张选票，与收回的 {r.returned} 张不符，请核对")
    return case, problems


def round_case_json(ctx: Context, round_id: str) -> dict:
    with ctx.store.session() as s:
        r, v = _get_round(s, round_id, editable=False)
        return _round_case(s, r, v)[0]


def round_problems(ctx: Context, round_id: str) -> list[str]:
    """What still has to be done before the round can be counted (empty: ready)."""
    with ctx.store.session() as s:
        r, v = _get_round(s, round_id, editable=False)
        case, problems = _round_case(s, r, v)
        if not problems:
            try:
                dv.parse_case(case)
            except dv.CaseError as e:
                problems.append(e.message)
        return problems


@dataclass(frozen=True)
class RoundView:
    session: SessionRow
    round: RoundRow
    items: tuple[ItemRow, ...]
    result: dv.TallyResult | None
    problems: tuple[str, ...]
    last_hash: str


def _tally_round(s: Session, r: VoteRound, v: VoteSession) -> tuple[dv.TallyResult | None, list[str]]:
    case, problems = _round_case(s, r, v)
    if problems:
        return None, problems
    try:
        return dv.tally(dv.parse_case(case)), []
    except dv.CaseError as e:
        return None, [e.message]


def round_view(ctx: Context, round_id: str) -> RoundView:
    """A round with its result: the count is shown once computed (and stays as announced)."""
    with ctx.store.session() as s:
        r, v = _get_round(s, round_id, editable=False)
        result, problems = _tally_round(s, r, v)
        items = tuple(ItemRow(i.id, i.position, i.name, i.project_id, i.investment, i.unit)
                      for i in _round_kind_items(s, r, v))
        if r.state == "voting":
            result = None
        return RoundView(_session_row(s, v), _round_row(r), items, result, tuple(problems), _last_hash(s, v.id))


def compute_round(ctx: Context, round_id: str) -> RoundView:
    """Count the round by ``domain.votes.tally``; refused while anything is unsettled."""
    with ctx.store.session() as s:
        r, v = _get_round(s, round_id)
        result, problems = _tally_round(s, r, v)
        if result is None:
            raise CongressError("还不能计票：\n" + "\n".join(problems), code="not_ready", problems=problems)
        data = result.to_json()
        r.result = canonical(data)
        r.state = "computed"
        s.flush()
        _log(s, v.id, "result_computed", {"round": r.number, "result_sha256": sha256(r.result),
                                          "round_valid": result.round_valid, "valid": result.valid_ballots,
                                          "void": result.void_ballots,
                                          "outcomes": {i.name: i.outcome for i in result.items}})
    return round_view(ctx, round_id)


def announce_round(ctx: Context, round_id: str, by: str = "") -> RoundView:
    """执行主席 announces: the round is locked; candidate projects take 确定 / 未确定."""
    with ctx.store.session() as s:
        r, v = _get_round(s, round_id)
        if r.state != "computed":
            raise CongressError("请先计票，核对结果无误后再公布")
        result, problems = _tally_round(s, r, v)
        if result is None or canonical(result.to_json()) != r.result:
            raise CongressError("计票后数据有变化，请重新计票")
        by = clean(by) or v.chair
        now = dt.datetime.now().replace(microsecond=0).isoformat(sep=" ")
        if v.kind == dv.PROJECT_VOTE and result.round_valid:
            items = {i.name: i for i in _round_kind_items(s, r, v)}
            for it in result.items:
                pid = items[it.name].project_id
                p = s.get(VoteProject, pid) if pid else None
                new = {"adopted": "确定", "not_adopted": "未确定"}.get(it.outcome)
                if p is not None and new and p.state != new:
                    p.state = new
        r.state = "announced"
        r.announced_at = now
        r.announced_by = by
        s.flush()
        entry = _log(s, v.id, "announced", {"round": r.number, "by": by, "at": now,
                                            "result_sha256": sha256(r.result),
                                            "adopted": [i.name for i in result.adopted],
                                            "revote": [i.name for i in result.revote],
                                            "revote_seats": result.revote_seats})
        r.final_hash = entry.hash
    return round_view(ctx, round_id)


def start_revote(ctx: Context, round_id: str) -> RoundRow:
    """The next round after an announced one: the whole round again when it was void; among the
    tied only for the places left; or, under ``shortfall: revote``, among those that did not pass."""
    with ctx.store.session() as s:
        r, v = _get_round(s, round_id, editable=False)
        if r.state != "announced":
            raise CongressError("请先公布本轮结果，再进行下一轮投票")
        later = s.scalars(select(VoteRound).where(VoteRound.session_id == v.id, VoteRound.number > r.number)).first()
        if later is not None:
            raise CongressError(f"已经有第 {later.number} 轮投票")
        result = json.loads(r.result)
        ids = json.loads(r.item_ids)
        items = {i.name: i.id for i in _round_kind_items(s, r, v)}
        if not result["round_valid"]:
            reason, seats, next_ids = "void", r.seats, ids
        elif result.get("revote_seats"):
            # the tied passed the threshold; under a shortfall re-vote the candidates did not
            reason = "tie" if any(i["passed"] for i in result["items"] if i["outcome"] == "revote") else "shortfall"
            seats = result["revote_seats"]
            next_ids = [items[n] for n in result["revote"]]
        else:
            raise CongressError("本轮结果已确定，无需再次投票")
        counts = _attendance_counts(s, v.id)
        if not dv.quorum_met(v.all_deputies, counts["present"]):
            raise CongressError(quorum_message(v.all_deputies, counts["present"]), code="no_quorum")
        n = VoteRound(session_id=v.id, number=r.number + 1, reason=reason, item_ids=json.dumps(next_ids),
                      seats=seats, present=counts["present"], mode=r.mode, state="voting")
        s.add(n)
        s.flush()
        by_id = {i: name for name, i in items.items()}
        _log(s, v.id, "round_opened", {"round": n.number, "reason": reason, "mode": n.mode, "seats": seats,
                                       "items": [by_id[i] for i in next_ids], "after": r.number, **counts})
        return _round_row(n)


@dataclass(frozen=True)
class FinalOutcome:
    item: ItemRow
    outcome: str           # adopted / not_adopted / revote / satisfactory / recheck / '' (not yet)
    round_number: int      # the round that decided it (0: none announced yet)
    counts: Mapping[str, int] = field(default_factory=dict)

    @property
    def outcome_label(self) -> str:
        return dv.OUTCOME_LABELS.get(self.outcome, "待表决")


def session_outcomes(ctx: Context, session_id: str) -> list[FinalOutcome]:
    """Each item's outcome from the last announced round it took part in (for the 公告)."""
    with ctx.store.session() as s:
        v = _get_session(s, session_id)
        sess = _session_row(s, v)
        latest: dict[str, tuple[str, int, dict]] = {}
        for r in s.scalars(select(VoteRound).where(VoteRound.session_id == v.id, VoteRound.state == "announced")
                           .order_by(VoteRound.number)):
            data = json.loads(r.result)
            if not data["round_valid"]:
                continue
            ids = json.loads(r.item_ids)
            for item_id, it in zip(ids, data["items"], strict=True):
                latest[item_id] = (it["outcome"], r.number, it["counts"])
        return [FinalOutcome(i, *latest.get(i.id, ("", 0, {}))) for i in sess.items]


# =================================================================== the log


@dataclass(frozen=True)
class LogEntry:
    seq: int
    at: str
    user: str
    action: str
    detail: dict
    prev_hash: str
    hash: str

    @property
    def action_label(self) -> str:
        return ACTION_LABELS.get(self.action, self.action)


def _hash_entry(session_id: str, seq: int, at: str, user: str, action: str, detail: Any, prev: str) -> str:
    return sha256(canonical({"session": session_id, "seq": seq, "at": at, "user": user, "action": action,
                             "detail": detail, "prev": prev}))


def _last(s: Session, session_id: str) -> VoteLog | None:
    return s.scalars(select(VoteLog).where(VoteLog.session_id == session_id).order_by(VoteLog.seq.desc())).first()


def _last_hash(s: Session, session_id: str) -> str:
    last = _last(s, session_id)
    return last.hash if last else GENESIS


def _log(s: Session, session_id: str, action: str, detail: Mapping[str, Any]) -> VoteLog:
    """Append one entry in the same unit of work as the change it records."""
    prev = _last(s, session_id)
    seq = prev.seq + 1 if prev else 1
    prev_hash = prev.hash if prev else GENESIS
    at = utcnow().isoformat(timespec="microseconds")
    user = s.info.get("user", "")
    body = json.loads(canonical(dict(detail)))
    entry = VoteLog(session_id=session_id, seq=seq, at=at, user=user, action=action, detail=canonical(body),
                    prev_hash=prev_hash, hash=_hash_entry(session_id, seq, at, user, action, body, prev_hash))
    s.add(entry)
    s.flush()
    return entry


def log_entries(ctx: Context, session_id: str) -> list[LogEntry]:
    with ctx.store.session() as s:
        _get_session(s, session_id)
        return [LogEntry(e.seq, e.at, e.user, e.action, json.loads(e.detail), e.prev_hash, e.hash)
                for e in s.scalars(select(VoteLog).where(VoteLog.session_id == session_id).order_by(VoteLog.seq))]


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    entries: int
    final_hash: str
    problems: tuple[str, ...]


def verify_session(ctx: Context, session_id: str) -> VerifyResult:
    """Check the chain (each entry's hash and its link to the one before), that every ballot, ruling
    and totals record matches the log entry written with it, and that every counted round still
    gives the result that was computed."""
    problems: list[str] = []
    with ctx.store.session() as s:
        v = _get_session(s, session_id)
        logs = list(s.scalars(select(VoteLog).where(VoteLog.session_id == v.id).order_by(VoteLog.seq)))
        prev = GENESIS
        by_record: dict[str, dict] = {}
        computed: dict[int, str] = {}
        for n, e in enumerate(logs, start=1):
            if e.seq != n:
                problems.append(f"日志第 {n} 条缺失或顺序被改动（见到的是第 {e.seq} 条）")
            try:
                detail = json.loads(e.detail)
            except json.JSONDecodeError:
                problems.append(f"日志第 {e.seq} 条内容已损坏")
                prev = e.hash
                continue
            if e.prev_hash != prev:
                problems.append(f"日志第 {e.seq} 条记录的前一条哈希与第 {e.seq - 1} 条不符（链条断开）")
            if _hash_entry(v.id, e.seq, e.at, e.user, e.action, detail, e.prev_hash) != e.hash:
                problems.append(f"日志第 {e.seq} 条（{ACTION_LABELS.get(e.action, e.action)}）的内容与其哈希不符，已被改动")
            prev = e.hash
            if "record" in detail:
                by_record[detail["record"]] = detail
            if e.action in ("result_computed", "announced"):
                computed[detail["round"]] = detail["result_sha256"]
        rounds = list(s.scalars(select(VoteRound).where(VoteRound.session_id == v.id).order_by(VoteRound.number)))
        for r in rounds:
            for b in s.scalars(select(VoteBallot).where(VoteBallot.round_id == r.id)):
                d = by_record.get(b.id)
                if d is None or d.get("marks") != b.marks or d.get("position") != b.position \
                        or d.get("clerk") != b.clerk:
                    problems.append(f"第 {r.number} 轮第 {b.position} 张选票（录入员 {b.clerk}）与日志记录不符")
            for x in s.scalars(select(VoteRuling).where(VoteRuling.round_id == r.id)):
                d = by_record.get(x.id)
                if d is None or d.get("marks") != x.marks or d.get("position") != x.position:
                    problems.append(f"第 {r.number} 轮第 {x.position} 张选票的核定/认定记录与日志不符")
            for t in s.scalars(select(VoteTotals).where(VoteTotals.round_id == r.id)):
                d = by_record.get(t.id)
                if d is None or d.get("valid") != t.valid or d.get("void") != t.void \
                        or canonical(d.get("counts")) != t.counts:
                    problems.append(f"第 {r.number} 轮手工计票合计与日志记录不符")
            if r.state in ("computed", "announced"):
                if computed.get(r.number) != sha256(r.result):
                    problems.append(f"第 {r.number} 轮保存的结果与日志记录的结果不符")
                result, why = _tally_round(s, r, v)
                if result is None or canonical(result.to_json()) != r.result:
                    problems.append(f"第 {r.number} 轮按现存选票重新计票，结果与{'公布' if r.state == 'announced' else '计算'}"
                                    "时不符" + (f"（{why[0]}）" if why else ""))
            if r.state == "announced" and r.final_hash and all(e.hash != r.final_hash for e in logs):
                problems.append(f"第 {r.number} 轮报告单上的日志哈希在日志中找不到")
        final = logs[-1].hash if logs else GENESIS
    return VerifyResult(not problems, len(logs), final, tuple(problems))


# =================================================================== case file and spreadsheet


def _write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def export_case(ctx: Context, session_id: str, path: str | Path, round_number: int | None = None) -> Path:
    """Write a round (the latest by default) as a case file for ``votes tally``."""
    sess = get_session(ctx, session_id)
    if not sess.rounds:
        raise CongressError("还没有开始投票，没有可导出的轮次")
    r = sess.round(round_number) if round_number else sess.rounds[-1]
    case = round_case_json(ctx, r.id)
    case = {"meeting": case.pop("meeting"), "date": case.pop("date"), "session": case.pop("session"),
            "round": case.pop("round"), **case}
    text = json.dumps(case, ensure_ascii=False, indent=1)
    # one ballot per line: readable, and a diff shows which ballot changed
    if "ballots" in case:
        lines = ",\n  ".join(json.dumps(b, ensure_ascii=False) for b in case["ballots"])
        head = json.dumps({k: x for k, x in case.items() if k != "ballots"}, ensure_ascii=False, indent=1)
        text = head[:-2] + (',\n "ballots": [\n  ' + lines + "\n ]\n}" if case["ballots"] else ',\n "ballots": []\n}')
    path = Path(path)
    _write_atomic(path, text + "\n")
    return path


def export_results(ctx: Context, session_id: str, path: str | Path) -> int:
    """Every counted round to .xlsx, one row per item (the result report's table)."""
    sess = get_session(ctx, session_id)
    rows: list[list[object]] = []
    for r in sess.rounds:
        view = round_view(ctx, r.id)
        if view.result is None:
            continue
        res = view.result
        for it in res.items:
            c = it.counts
            if sess.kind == dv.PROJECT_VOTE:
                rows.append([r.number, it.index + 1, it.name, c["for"], c["against"], c["abstain"],
                             c["not_voted"], c["invalid"], "是" if it.passed else "否", it.rank or "",
                             it.outcome_label, res.valid_ballots, res.void_ballots,
                             "已公布" if r.locked else "未公布"])
            else:
                rows.append([r.number, it.index + 1, it.name, c["satisfied"], c["basic"], c["unsatisfied"],
                             c["abstain"] + c["not_voted"], c["invalid"], dv.percent(it.rate),
                             dv.percent(it.unsatisfied_share), it.outcome_label, res.valid_ballots,
                             res.void_ballots, "已公布" if r.locked else "未公布"])
    if not rows:
        raise CongressError("还没有计票结果可导出")
    if sess.kind == dv.PROJECT_VOTE:
        headers = ["轮次", "序号", "项目名称", "赞成", "反对", "弃权", "未投", "无效", "过全体代表半数", "名次",
                   "结果", "有效票", "作废票", "状态"]
    else:
        headers = ["轮次", "序号", "测评对象", "满意", "基本满意", "不满意", "弃权/未投", "无效", "满意率",
                   "不满意率", "结果", "有效票", "作废票", "状态"]
    return write_xlsx(path, f"{sess.kind_label}结果", headers, rows,
                      widths=[6, 6, 36, 8, 8, 8, 8, 8, 14, 8, 12, 8, 8, 8])


# =================================================================== demo


DEMO_PROJECTS = [
    ("乡村振兴", "汪家湾村柑橘产业园灌溉设施建设", "新建蓄水池 2 座、铺设灌溉管网 6 公里", "420381103214", "180"),
    ("交通", "观音坪至杨家畈通村公路提档升级", "4.2 公里道路加宽至 5.5 米并铺设沥青", "420381103204", "360"),
    ("人居环境", "集镇污水管网改造（二期）", "改造主次管网 3.8 公里，雨污分流", "420381103001", "420"),
    ("教育", "六里坪镇中心小学学生食堂改扩建", "扩建食堂 600 平方米，更新厨房设备", "420381103001", "260"),
    ("医疗", "村卫生室标准化建设", "8 个村卫生室设备更新、诊室改造", "", "96"),
    ("社会保障", "农村互助养老服务点建设", "新建互助养老服务点 3 处，配置适老设施", "", "150"),
    ("交通", "沙沟村危桥改造", "拆除重建沙沟村跨河便民桥 1 座", "420381103210", "85"),
    ("人居环境", "农村生活垃圾分类收运体系建设", "配置分类垃圾桶、压缩转运车 2 辆", "", "120"),
    ("文化体育", "孙家湾社区全民健身广场", "新建健身广场 3000 平方米及配套设施", "420381103002", "140"),
    ("乡村振兴", "马家岗村农产品冷链仓储中心", "建设冷库 500 立方米及分拣车间", "420381103202", "230"),
]
DEMO_DONE = [("交通", "集镇路灯亮化工程"), ("人居环境", "龚家河村饮水安全巩固提升"),
             ("教育", "乡村学校少年宫建设"), ("医疗", "镇卫生院发热门诊改造"), ("社会保障", "困难群众住房改造")]


def seed_demo_votes(ctx: Context, rng) -> None:
    """Ten formal candidates for this year's 票决 and five finished projects of last year (测评)."""
    units = ["六里坪镇人民政府", "镇农业服务中心", "镇交通管理站", "镇卫生院", "镇中心小学", "镇社会事务办"]
    year = dt.date.today().year
    with ctx.store.session() as s:
        for n, (cat, name, content, place, inv) in enumerate(DEMO_PROJECTS, start=1):
            s.add(VoteProject(year=year, number=f"{year}-{n:02d}", name=name, category=cat, content=content,
                              place_code=place, investment=inv, funding="镇级财政、上级补助", unit=rng.choice(units),
                              person="", deadline=f"{year}-12", beneficiaries="", source="代表建议、群众意见征集",
                              ballot_order=n, state="正式候选"))
        for n, (cat, name) in enumerate(DEMO_DONE, start=1):
            s.add(VoteProject(year=year - 1, number=f"{year - 1}-{n:02d}", name=name, category=cat,
                              investment=str(rng.randint(40, 300)), unit=rng.choice(units), ballot_order=n,
                              deadline=f"{year - 1}-12", state="完成"))


def iter_marks(kind: str) -> Iterable[tuple[str, str]]:
    """(key, label) pairs of the keyboard, for help texts."""
    return [(k, dv.LABELS[m]) for k, m in dv.KEY_MARKS[kind].items()]
