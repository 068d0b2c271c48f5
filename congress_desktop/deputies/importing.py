"""Deputy spreadsheets: the roster in (all rows or none, through ``core.importing.run_import``) and the
list as filtered out, with the headers the import reads."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from sqlalchemy.orm import Session

from congress_desktop.core.context import Cancel, Context, Progress, check_cancel, never_cancel, no_progress
from congress_desktop.core.importing import ImportResult, ImportSpec, RowProblem, run_import
from congress_desktop.core.sheets import SheetRow, read_sheet, write_xlsx
from congress_desktop.core.store.models import Deputy
from congress_desktop.core.text import clean
from congress_desktop.deputies.rows import DeputyQuery
from congress_desktop.deputies.rules import FIELD_LABELS, LEVELS, DeputyData, normalise_deputy
from congress_desktop.deputies.service import apply_data, check_duplicate, count_deputies, query_deputies
from congress_desktop.places.villages import find_village_ids, village_key

IMPORT_HEADERS: dict[str, Sequence[str]] = {
    "name": ("姓名", "代表姓名", "名字"),
    "gender": ("性别",),
    "ethnicity": ("民族",),
    "birth_date": ("出生年月", "出生日期", "出生年月日", "生日"),
    "id_number": ("身份证号", "身份证号码", "公民身份号码", "身份证"),
    "political": ("政治面貌", "党派"),
    "education": ("学历", "文化程度", "文化"),
    "work_unit": ("工作单位及职务", "工作单位及职务职称", "单位及职务", "工作单位", "单位职务", "职务"),
    "mobile": ("联系电话", "手机", "手机号", "手机号码", "电话", "联系方式"),
    "phone": ("其他电话", "固定电话", "办公电话", "座机"),
    "village": ("所在村", "所在村社区", "村社区", "村居", "村", "社区", "所在村居", "居住地"),
    "levels": ("代表层级", "层级", "代表级别", "级别", "代表类别"),
    "term": ("届次", "届别"),
    "constituency": ("选区", "选举单位", "所在选区"),
    "group_name": ("代表小组", "小组", "所在代表小组", "代表组"),
    "elected_on": ("当选日期", "当选时间"),
    "status": ("状态", "代表状态"),
    "status_date": ("状态日期", "终止日期"),
    "status_reason": ("状态原因", "终止原因"),
    "note": ("备注",),
}

EXPORT_COLUMNS = ["name", "gender", "ethnicity", "birth_date", "id_number", "political", "education",
                  "work_unit", "mobile", "phone", "village", "levels", "term", "constituency",
                  "group_name", "elected_on", "status", "status_date", "status_reason", "note"]


def import_deputies(ctx: Context, path: str | Path, progress: Progress = no_progress,
                    cancel: Cancel = never_cancel) -> ImportResult:
    """All rows or nothing: every bad row is listed with its row number and reason."""
    sheet = read_sheet(path, IMPORT_HEADERS, required=("name",))
    villages = find_village_ids(ctx)
    seen_id: dict[str, int] = {}
    seen_name_birth: dict[tuple[str, str], int] = {}

    def normalise(row: SheetRow) -> DeputyData:
        raw = dict(row.values)
        village = clean(raw.pop("village", ""))
        if village:
            vid = villages.get(village) or villages.get(village_key(village))
            if vid is None:
                raise RowProblem.of("所在村(社区)", f"“{village}”不在本乡镇的村(社区)名单中，请先在“村(社区)”中添加")
            raw["village_id"] = vid
        data = normalise_deputy(raw)
        if data.id_number:
            if data.id_number in seen_id:
                raise RowProblem.of("身份证号", f"与第 {seen_id[data.id_number]} 行重复")
            seen_id[data.id_number] = row.number
        if data.birth_date:
            key = (data.name, data.birth_date)
            if key in seen_name_birth:
                raise RowProblem.of("姓名", f"与第 {seen_name_birth[key]} 行同名同出生年月，疑为重复")
            seen_name_birth[key] = row.number
        return data

    def write(s: Session, _number: int, data: DeputyData) -> None:
        check_duplicate(s, data, None)
        d = Deputy()
        apply_data(s, d, data)
        s.add(d)

    spec = ImportSpec(labels=FIELD_LABELS, empty_text="表格中没有代表数据（表头下面是空的）")
    return run_import(ctx, sheet, normalise, write, spec, progress=progress, cancel=cancel)


def export_deputies(ctx: Context, path: str | Path, q: DeputyQuery = DeputyQuery(),
                    progress: Progress = no_progress, cancel: Cancel = never_cancel) -> int:
    """The list as filtered, to .xlsx with the same headers the import reads."""
    total = count_deputies(ctx, q)
    rows: list[list[object]] = []
    offset = 0
    while True:
        check_cancel(cancel)
        page = query_deputies(ctx, q, offset, 2000)
        if not page:
            break
        for d in page:
            values = d.as_form()
            values["village"] = d.village_name
            values["levels"] = "、".join(LEVELS[k] for k in d.levels if k in LEVELS)
            rows.append([values.get(c, "") for c in EXPORT_COLUMNS])
        offset += len(page)
        progress(offset, total)
    headers = [IMPORT_HEADERS[c][0] if c != "village" else "所在村(社区)" for c in EXPORT_COLUMNS]
    headers[EXPORT_COLUMNS.index("levels")] = "代表层级"
    write_xlsx(path, "代表名册", headers, rows, widths=[10, 6, 8, 12, 22, 12, 8, 30, 14, 14, 14, 24, 10,
                                                      12, 14, 12, 8, 12, 16, 20],
               text_columns=[EXPORT_COLUMNS.index("id_number"), EXPORT_COLUMNS.index("mobile"),
                             EXPORT_COLUMNS.index("phone")])
    return len(rows)
