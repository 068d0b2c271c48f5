"""Importing candidate projects from .xlsx/.csv through the one import pipeline
(``core.importing.run_import``): all rows or nothing, every bad row listed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from congress_desktop.core.context import Cancel, Context, Progress, never_cancel, no_progress
from congress_desktop.core.importing import ImportResult, ImportSpec, RowProblem, run_import
from congress_desktop.core.sheets import SheetRow, read_sheet
from congress_desktop.core.store.models_votes import VoteProject
from congress_desktop.core.text import clean
from congress_desktop.places.villages import village_key
from congress_desktop.votes import queries
from congress_desktop.votes.rules import PROJECT_LABELS, normalise_project

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
    sheet = read_sheet(path, dict(PROJECT_IMPORT_HEADERS), required=("name",))
    with ctx.store.session() as s:
        places = queries.village_names(s)
        existing = {(y, n) for y, n in s.execute(select(VoteProject.year, VoteProject.name)
                                                 .where(VoteProject.deleted.is_(False))).all()}
    seen: dict[tuple[int, str], int] = {}
    tops: dict[int, int] = {}

    def normalise(row: SheetRow) -> dict[str, Any]:
        raw = dict(row.values)
        if clean(raw.get("number")).isdigit() and "ballot_order" not in raw:
            raw["ballot_order"] = clean(raw.get("number"))
        data = normalise_project(raw, places, village_key)
        key = (data["year"], data["name"])
        if key in seen:
            raise RowProblem.of("项目名称", f"与第 {seen[key]} 行重复")
        if key in existing:
            raise RowProblem.of("项目名称", f"{data['year']} 年已有同名项目，不能重复导入")
        seen[key] = row.number
        return data

    def write(s: Session, _number: int, data: dict[str, Any]) -> None:
        if not data["ballot_order"]:
            year = data["year"]
            if year not in tops:
                tops[year] = s.scalar(select(func.max(VoteProject.ballot_order))
                                      .where(VoteProject.year == year)) or 0
            tops[year] += 1
            data["ballot_order"] = tops[year]
        s.add(VoteProject(**data))

    spec = ImportSpec(labels=PROJECT_LABELS, empty_text="表格中没有项目数据（表头下面是空的）")
    return run_import(ctx, sheet, normalise, write, spec, progress=progress, cancel=cancel)
