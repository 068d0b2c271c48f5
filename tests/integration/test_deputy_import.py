"""Importing a deputy roster from the spreadsheets offices really have, into a real SQLite file."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from congress_desktop.core.idcard import check_char
from congress_desktop.deputies.importing import export_deputies, import_deputies
from congress_desktop.deputies.service import (
    DeputyQuery,
    count_deputies,
    create_deputy,
    query_deputies,
    save_import_errors,
)
from congress_desktop.places.villages import list_villages, save_village

HEADER = ["姓名", "性别", "出生年月", "身份证号", "政治面貌", "工作单位及职务", "联系电话", "所在村(社区)",
          "代表层级", "代表小组"]


def id_number(birth: str, seq: int) -> str:
    """A valid 18-digit number for a birth date YYYYMMDD (odd seq: male, even: female)."""
    first = f"420381{birth}{seq:03d}"
    return first + check_char(first)


def bad_check_digit(number: str) -> str:
    wrong = "0" if number[17] != "0" else "1"
    return number[:17] + wrong


GOOD_ROWS = [
    ["张三", "男", "1975-03", id_number("19750305", 11), "中共党员", "黄家村党支部书记", "13812345678", "黄家村",
     "镇", "第一代表小组"],
    ["李秀英", "女", "1980-07", id_number("19800712", 22), "群众", "黄家村妇联主席", "13912345678", "黄家村",
     "镇", "第一代表小组"],
    ["王建国", "男", "1968-11", id_number("19681120", 33), "中共党员", "六里坪镇人民政府镇长", "15012345678",
     "六里坪社区", "镇、丹江口市", "第二代表小组"],
    ["阿依古丽·买买提", "女", "1990-01", id_number("19900101", 44), "共青团员", "六里坪镇中心小学教师",
     "18612345678", "六里坪社区", "镇", "第二代表小组"],
    ["赵德胜", "男", "1972-09", id_number("19720909", 55), "无党派人士", "个体工商户", "0719-5212345",
     "黄家村", "镇", "第一代表小组"],
]
BAD_ROW = ["刘明华", "男", "1985-05", bad_check_digit(id_number("19850505", 67)), "群众", "黄家村农民",
           "13712345678", "黄家村", "镇", "第一代表小组"]


@pytest.fixture
def town(ctx):
    """The test town with one village and one community."""
    save_village(ctx, {"name": "黄家村", "code": "420381103200"})
    save_village(ctx, {"name": "六里坪社区", "code": "420381103001"})
    return ctx


def write_xlsx(path: Path, rows: list[list], *, header: list[str] = HEADER, titles: int = 0) -> Path:
    wb = Workbook()
    ws = wb.active
    for i in range(titles):
        ws.append(["六里坪镇第十九届人民代表大会代表名册" if i == 0 else "填报单位：六里坪镇人大（盖章）"])
        ws.merge_cells(start_row=i + 1, start_column=1, end_row=i + 1, end_column=len(header))
    ws.append(header)
    for r in rows:
        ws.append(r)
    wb.save(path)
    return path


def names(ctx) -> list[str]:
    return sorted(d.name for d in query_deputies(ctx, DeputyQuery(), 0, None))


# ------------------------------------------------------------------ (a) all or nothing


def test_one_bad_row_imports_nothing_and_names_the_row_then_fixed_file_imports_all(town, tmp_path):
    path = write_xlsx(tmp_path / "名册.xlsx", [*GOOD_ROWS, BAD_ROW])

    result = import_deputies(town, path)

    assert result.applied == 0
    assert count_deputies(town) == 0
    assert len(result.errors) == 1
    err = result.errors[0]
    assert err.row == 7  # header in row 1, five good rows 2-6, the bad one in row 7
    assert err.field == "身份证号"
    assert "校验位" in err.message

    fixed = [*GOOD_ROWS, [*BAD_ROW[:3], id_number("19850505", 67), *BAD_ROW[4:]]]
    result = import_deputies(town, write_xlsx(tmp_path / "名册.xlsx", fixed))

    assert result.ok and result.applied == 6
    assert count_deputies(town) == 6
    wang = query_deputies(town, DeputyQuery(text="王建国"))[0]
    assert wang.levels == ("town", "county") and wang.village_name == "六里坪社区"


def test_progress_is_reported_and_cancel_rolls_back(town, tmp_path):
    path = write_xlsx(tmp_path / "名册.xlsx", GOOD_ROWS)
    seen: list[tuple[int, int]] = []
    result = import_deputies(town, path, progress=lambda done, total: seen.append((done, total)))
    assert result.applied == 5
    assert seen and seen[-1][0] == seen[-1][1]

    from congress_desktop.core.errors import Cancelled

    other = write_xlsx(tmp_path / "另一个.xlsx", [BAD_ROW[:3] + [id_number("19850505", 67)] + BAD_ROW[4:]])
    with pytest.raises(Cancelled):
        import_deputies(town, other, cancel=lambda: True)
    assert count_deputies(town) == 5


# ------------------------------------------------------------------ (b) real-world layout


def test_title_rows_merged_title_and_loosely_spelled_headers_are_read(town, tmp_path):
    header = ["序号", "姓  名", "性 别", "身份证号码", "联系电话（手机）", "所在村", "代表层级"]
    rows = [[1, "张三", "男", id_number("19750305", 11), "13812345678", "黄家村", "镇"],
            [2, "李秀英", "女", id_number("19800712", 22), "13912345678", "黄家村", "镇"],
            [None, None, None, None, None, None, None],
            ["合计", "2 人", None, None, None, None, None]]
    path = write_xlsx(tmp_path / "名册.xlsx", rows, header=header, titles=2)

    result = import_deputies(town, path)

    assert result.ok, result.errors
    assert result.applied == 2
    assert result.sheet.header_row == 3
    zhang = query_deputies(town, DeputyQuery(text="张三"))[0]
    assert zhang.mobile == "13812345678"
    assert zhang.birth_date == "1975-03-05"  # taken from the ID number


# ------------------------------------------------------------------ (c) Excel's scientific numbers


@pytest.mark.parametrize("cell", [4.20381e17, "4.20381E+17", 420381197503051100.0])
def test_id_number_turned_into_a_scientific_number_is_explained(town, tmp_path, cell):
    row = [*GOOD_ROWS[0][:3], cell, *GOOD_ROWS[0][4:]]
    result = import_deputies(town, write_xlsx(tmp_path / "名册.xlsx", [row]))

    assert result.applied == 0
    [err] = result.errors
    assert err.row == 2 and err.field == "身份证号"
    assert "科学计数法" in err.message and "文本" in err.message


# ------------------------------------------------------------------ (d) CSV encodings


@pytest.mark.parametrize("encoding", ["gbk", "utf-8-sig", "utf-8"])
def test_csv_in_gbk_and_utf8_with_or_without_bom_is_read(town, tmp_path, encoding):
    path = tmp_path / "名册.csv"
    with path.open("w", encoding=encoding, newline="") as f:
        w = csv.writer(f)
        w.writerow(HEADER)
        w.writerows(GOOD_ROWS[:3])

    result = import_deputies(town, path)

    assert result.ok, result.errors
    assert names(town) == sorted(["张三", "李秀英", "王建国"])
    assert query_deputies(town, DeputyQuery(text="张三"))[0].village_name == "黄家村"


# ------------------------------------------------------------------ (e) duplicates


def test_duplicate_rows_in_the_file_are_named_with_the_first_row(town, tmp_path):
    same_id = ["李秀英", "", "", GOOD_ROWS[0][3], *GOOD_ROWS[1][4:]]  # someone else typed with 张三's number
    same_name_birth = ["张三", "男", "1975-03-05", "", *GOOD_ROWS[0][4:]]  # 张三 again, without a number
    path = write_xlsx(tmp_path / "名册.xlsx", [GOOD_ROWS[0], same_id, same_name_birth])

    result = import_deputies(town, path)

    assert result.applied == 0 and count_deputies(town) == 0
    by_row = {e.row: e for e in result.errors}
    assert set(by_row) == {3, 4}
    assert by_row[3].field == "身份证号" and "与第 2 行重复" in by_row[3].message
    assert by_row[4].field == "姓名" and "第 2 行" in by_row[4].message


def test_deputy_already_in_the_database_is_rejected(town, tmp_path):
    create_deputy(town, {"name": "张三", "id_number": GOOD_ROWS[0][3]})
    path = write_xlsx(tmp_path / "名册.xlsx", GOOD_ROWS[:3])

    result = import_deputies(town, path)

    assert result.applied == 0 and count_deputies(town) == 1
    [err] = result.errors
    assert err.row == 2 and err.field == "身份证号"
    assert "已属于代表“张三”" in err.message


# ------------------------------------------------------------------ (f) full-width digits, spaces


def test_fullwidth_digits_and_stray_spaces_are_normalised(town, tmp_path):
    fw = str.maketrans("0123456789X-", "０１２３４５６７８９Ｘ－")
    row = [" 张 三 ", "男", "１９７５－０３", " " + GOOD_ROWS[0][3].translate(fw) + " ", "中共党员 ",
           "黄家村  党支部书记", "138 1234 5678", " 黄家村 ", "镇", "第一代表小组"]
    result = import_deputies(town, write_xlsx(tmp_path / "名册.xlsx", [row]))

    assert result.ok, result.errors
    d = query_deputies(town)[0]
    assert (d.name, d.id_number, d.mobile, d.birth_date) == ("张三", GOOD_ROWS[0][3], "13812345678", "1975-03-05")
    assert d.political == "中共党员" and d.work_unit == "黄家村 党支部书记"


# ------------------------------------------------------------------ (g) the error report


def test_error_report_lists_bad_row_first_and_reimports_once_fixed(town, tmp_path):
    path = write_xlsx(tmp_path / "名册.xlsx", [*GOOD_ROWS, BAD_ROW], titles=1)
    result = import_deputies(town, path)
    report = tmp_path / "错误报告.xlsx"

    save_import_errors(result, report)

    wb = load_workbook(report)
    ws = wb.active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][0] == "错误原因" and list(rows[0][1:]) == HEADER
    assert rows[1][1] == "刘明华" and "身份证号" in rows[1][0] and "校验位" in rows[1][0]
    assert all(not r[0] for r in rows[2:])
    assert len(rows) == 1 + 6

    # The user fixes the ID cell in the report itself and imports the report.
    id_col = 1 + HEADER.index("身份证号") + 1
    ws.cell(row=2, column=id_col).value = id_number("19850505", 67)
    wb.save(report)

    again = import_deputies(town, report)

    assert again.ok, again.errors
    assert again.applied == 6
    assert names(town) == sorted(r[0] for r in [*GOOD_ROWS, BAD_ROW])


# ------------------------------------------------------------------ (h) villages


def test_unknown_village_is_rejected_with_its_name(town, tmp_path):
    row = [*GOOD_ROWS[0][:7], "不存在村", *GOOD_ROWS[0][8:]]
    result = import_deputies(town, write_xlsx(tmp_path / "名册.xlsx", [row]))

    [err] = result.errors
    assert err.row == 2 and err.field == "所在村(社区)"
    assert "“不存在村”不在本乡镇的村(社区)名单中" in err.message
    assert count_deputies(town) == 0


@pytest.mark.parametrize("written", ["黄家村委会", "黄家村村民委员会", "黄家", "420381103200"])
def test_village_written_differently_matches_the_village(town, tmp_path, written):
    row = [*GOOD_ROWS[0][:7], written, *GOOD_ROWS[0][8:]]
    result = import_deputies(town, write_xlsx(tmp_path / "名册.xlsx", [row]))

    assert result.ok, result.errors
    assert query_deputies(town)[0].village_name == "黄家村"


# ------------------------------------------------------------------ (i) round trip


COMPARED = ("name", "gender", "ethnicity", "birth_date", "id_number", "political", "education", "work_unit",
            "mobile", "phone", "village_name", "levels", "term", "constituency", "group_name", "elected_on",
            "status", "status_date", "status_reason", "note")


def _snapshot(ctx) -> list[tuple]:
    rows = query_deputies(ctx, DeputyQuery(), 0, None)
    return sorted(tuple(getattr(d, f) for f in COMPARED) for d in rows)


def test_export_then_import_into_a_fresh_database_gives_the_same_deputies(demo_ctx, ctx, tmp_path):
    out = tmp_path / "导出.xlsx"
    exported = export_deputies(demo_ctx, out)
    assert exported == count_deputies(demo_ctx) > 0
    for v in list_villages(demo_ctx):
        save_village(ctx, {"name": v.name, "code": v.code, "households": v.households,
                           "population": v.population})

    result = import_deputies(ctx, out)

    assert result.ok, result.errors[:3]
    assert result.applied == exported
    assert _snapshot(ctx) == _snapshot(demo_ctx)
    statuses = {d.status for d in query_deputies(ctx, DeputyQuery(), 0, None)}
    assert statuses == {"在任", "暂停", "终止"}


def test_export_follows_the_current_filter(demo_ctx, tmp_path):
    q = DeputyQuery(level="county")
    out = tmp_path / "市代表.xlsx"
    n = export_deputies(demo_ctx, out, q)
    rows = list(load_workbook(out).active.iter_rows(values_only=True))
    assert n == count_deputies(demo_ctx, q) == len(rows) - 1
    levels_col = rows[0].index("代表层级")
    assert all("县(市、区)人大代表" in r[levels_col] for r in rows[1:])


def test_an_export_into_a_folder_it_cannot_write_says_why_in_chinese(tmp_path, monkeypatch):
    """A missing folder or a path through a file names the reason in Chinese (not the system's
    English text nor an unexpected error), and a folder without write permission is not mistaken for
    a file open in Excel/WPS."""
    from congress_desktop.core import sheets
    from congress_desktop.core.errors import CongressError

    not_a_folder = tmp_path / "说明.txt"
    not_a_folder.write_text("x", encoding="utf-8")
    for target, reason in [(tmp_path / "没有这个文件夹" / "名册.xlsx", "文件夹不存在"),
                           (not_a_folder / "名册.xlsx", "不是文件夹")]:
        with pytest.raises(CongressError) as e:
            sheets.write_xlsx(target, "名册", ["姓名"], [["张三"]])
        assert reason in e.value.message
        assert "directory" not in e.value.message.lower()

    def refused(self, filename):
        raise PermissionError(13, "Permission denied", str(filename))

    monkeypatch.setattr(Workbook, "save", refused)
    with pytest.raises(CongressError) as e:
        sheets.write_xlsx(tmp_path / "名册.xlsx", "名册", ["姓名"], [["张三"]])
    assert "没有写入权限" in e.value.message and "Excel" not in e.value.message
    assert "Permission" not in e.value.message
    assert list(tmp_path.glob("*.part")) == []


def test_a_totals_line_under_the_table_is_not_read_as_a_deputy(ctx, tmp_path):
    from openpyxl import Workbook


    wb = Workbook()
    ws = wb.active
    ws.append(["序号", "姓名", "性别", "联系电话"])
    ws.append([1, "李秀英", "女", "13907191234"])
    ws.append([2, "王建国", "男", "13907191235"])
    ws.append(["", "合计：2人", "", ""])
    ws.merge_cells("B4:D4")
    ws.append(["填表人：张三", "", "", "审核人：李四"])
    path = tmp_path / "名册.xlsx"
    wb.save(path)
    res = import_deputies(ctx, path)
    assert res.ok, res.errors
    assert res.applied == 2


def test_export_to_a_name_that_is_not_xlsx_is_refused(demo_ctx, tmp_path):
    from congress_desktop.core.errors import InvalidInput

    with pytest.raises(InvalidInput, match=".xlsx"):
        export_deputies(demo_ctx, tmp_path / "名册.csv")
    assert not (tmp_path / "名册.csv").exists()
