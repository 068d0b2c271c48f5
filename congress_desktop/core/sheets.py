"""Reading office spreadsheets (.xlsx, .csv in GBK or UTF-8) and writing .xlsx.

Real files have a title row or two above the header ("XX镇第十九届人大代表名册"), merged cells,
header words that vary ("姓  名", "联系电话（手机）"), blank rows and a total row at the bottom. The
reader finds the header row by scoring each of the first rows against the known header words."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypedDict, Unpack

from congress_desktop.core.errors import CongressError, InvalidInput, os_error_text
from congress_desktop.core.text import clean

HEADER_SCAN_ROWS = 15
FOOTER_WORDS = ("合计", "总计", "小计", "共计", "制表", "填表", "审核", "注：", "注:", "说明", "备注：")


@dataclass
class SheetRow:
    number: int               # 1-based row number as the user sees it in Excel
    values: dict[str, object]  # field key -> raw cell value
    raw: list[object]          # the whole row as read, for the error report


@dataclass
class Sheet:
    header_row: int
    headers: list[str]
    columns: dict[str, int]   # field key -> 0-based column
    rows: list[SheetRow] = field(default_factory=list)
    unknown_headers: list[str] = field(default_factory=list)


def _norm_header(text: object) -> str:
    t = clean(text)
    t = re.sub(r"[\s*＊:：]", "", t)
    t = re.sub(r"[（(【\[].*?[)）】\]]", "", t)  # 联系电话（手机） -> 联系电话
    return t


def match_header(text: object, synonyms: dict[str, Sequence[str]]) -> str | None:
    """The field key a header cell stands for, or None. Exact synonyms win over containment."""
    h = _norm_header(text)
    if not h:
        return None
    for key, words in synonyms.items():
        if h in words:
            return key
    for key, words in synonyms.items():
        if any(len(w) >= 2 and w in h for w in words):
            return key
    return None


def _read_xlsx(path: Path) -> list[list[object]]:
    from openpyxl import load_workbook  # ~0.15 s to import: only when a sheet is read

    try:
        wb = load_workbook(path, read_only=False, data_only=True)
    except Exception as e:
        raise InvalidInput(f"无法读取 Excel 文件 {path.name}：文件可能已损坏，或不是 .xlsx 格式"
                           f"（旧的 .xls 请在 Excel/WPS 中另存为 .xlsx）") from e
    ws = wb.worksheets[0]
    for candidate in wb.worksheets:  # the first sheet with data, not an empty cover sheet
        if candidate.max_row > 1:
            ws = candidate
            break
    # Merged cells: the value sits in the top-left cell only; copy it over the range so a merged
    # 村(社区) cell spanning five deputies gives all five their village.
    merged = list(ws.merged_cells.ranges)
    grid = [[c.value for c in row] for row in ws.iter_rows()]
    for rng in merged:
        top = grid[rng.min_row - 1][rng.min_col - 1] if rng.min_row - 1 < len(grid) else None
        for r in range(rng.min_row - 1, min(rng.max_row, len(grid))):
            for c in range(rng.min_col - 1, min(rng.max_col, len(grid[r]))):
                grid[r][c] = top
    wb.close()
    return grid


def _read_csv(path: Path) -> list[list[object]]:
    data = path.read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):  # gb18030 is a superset of GBK
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise InvalidInput(f"无法识别 {path.name} 的文字编码：请另存为 UTF-8 或 GBK 编码的 CSV")
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",\t;")
    except csv.Error:
        dialect = csv.excel
    return [list(r) for r in csv.reader(io.StringIO(text), dialect)]


def read_grid(path: str | Path) -> list[list[object]]:
    path = Path(path)
    if not path.exists():
        raise InvalidInput(f"找不到文件：{path}")
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return _read_xlsx(path)
    if suffix in (".csv", ".txt"):
        return _read_csv(path)
    if suffix in (".xls", ".et", ".wps"):
        raise InvalidInput(f"{path.name} 是旧格式表格，请在 Excel/WPS 中“另存为” .xlsx 后再导入")
    raise InvalidInput(f"不支持的文件类型 {suffix or '（无扩展名）'}：请使用 .xlsx 或 .csv")


def read_sheet(path: str | Path, synonyms: dict[str, Sequence[str]], required: Sequence[str]) -> Sheet:
    """Locate the header among the first rows, map columns to field keys, return the data rows."""
    grid = read_grid(path)
    best: tuple[int, int, dict[str, int]] | None = None
    for i, row in enumerate(grid[:HEADER_SCAN_ROWS]):
        cols: dict[str, int] = {}
        for j, cell in enumerate(row):
            key = match_header(cell, synonyms)
            if key and key not in cols:
                cols[key] = j
        # A title row merged across the sheet repeats one text in every cell: count distinct keys only.
        score = len(cols)
        if all(k in cols for k in required) and (best is None or score > best[1]):
            best = (i, score, cols)
    if best is None:
        names = "、".join(synonyms[k][0] for k in required)
        raise InvalidInput(f"在前 {HEADER_SCAN_ROWS} 行中找不到表头：至少需要“{names}”列")
    header_index, _, cols = best
    headers = [clean(c) for c in grid[header_index]]
    known = set(cols.values())
    unknown = [h for j, h in enumerate(headers) if h and j not in known]
    sheet = Sheet(header_index + 1, headers, cols, unknown_headers=unknown)
    for i in range(header_index + 1, len(grid)):
        row = grid[i]
        values = {k: (row[j] if j < len(row) else None) for k, j in cols.items()}
        if all(clean(v) == "" for v in values.values()):
            continue  # blank line
        # A totals or signature line under the table (合计：5人, 填表人：…, 注：…), in whichever of
        # the first cells it was typed or merged into, is not a record.
        first = next((clean(c) for c in row[:4] if clean(c)), "")
        if first.replace(" ", "").startswith(FOOTER_WORDS):
            continue
        sheet.rows.append(SheetRow(i + 1, values, list(row)))
    return sheet


def excel_text(value: object) -> object:
    """Dates as dates and numbers (counts, scores, money) as numbers, so Excel can add them up; text
    stays text: an ID number or phone arrives here as a string and never becomes 4.20381E+17."""
    if isinstance(value, (dt.date, dt.datetime)):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    if value is None:
        return ""
    return str(value)


class SheetLook(TypedDict, total=False):
    """write_xlsx's options: column widths, columns kept as text (ID and phone numbers), rows to mark."""

    widths: Sequence[int] | None
    text_columns: Sequence[int]
    highlight: Callable[[Sequence[object]], bool] | None


def write_xlsx(path: str | Path, title: str, headers: Sequence[str], rows: Iterable[Sequence[object]],
               *, progress: Callable[[int], None] | None = None, **look: Unpack[SheetLook]) -> int:
    """A plain sheet: bold frozen header, text-formatted ID/phone columns, auto filter."""
    widths, text_columns, highlight = look.get("widths"), look.get("text_columns", ()), look.get("highlight")
    if Path(path).suffix.lower() != ".xlsx":  # an Excel file named .csv opens as garbage in WPS
        raise InvalidInput(f"导出文件“{Path(path).name}”应以 .xlsx 结尾（Excel 表格）")
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    ws = wb.active
    ws.title = title[:31]
    ws.append(list(headers))
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="FFF2CC")
    for c in ws[1]:
        c.font = bold
        c.alignment = Alignment(horizontal="center", vertical="center")
    n = 0
    for n, row in enumerate(rows, start=1):
        ws.append([excel_text(v) for v in row])
        for j in text_columns:
            ws.cell(row=n + 1, column=j + 1).number_format = "@"
        if highlight and highlight(row):
            for c in ws[n + 1]:
                c.fill = fill
        if progress and n % 500 == 0:
            progress(n)
    for j, _ in enumerate(headers):
        ws.column_dimensions[get_column_letter(j + 1)].width = (widths[j] if widths and j < len(widths) else 14)
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = ws.dimensions
    path = Path(path)
    tmp = path.with_name(path.name + ".part")
    try:
        wb.save(tmp)
    except OSError as e:  # the file is new: the folder is missing, read-only or full
        _discard(tmp)
        raise CongressError(f"无法在“{path.parent}”中写入文件：{os_error_text(e)}", code="write_failed") from e
    try:
        tmp.replace(path)  # never leave a half-written file under the real name
    except PermissionError as e:
        _discard(tmp)
        raise CongressError(f"无法写入 {path.name}：文件可能正在 Excel/WPS 中打开，请关闭后重试") from e
    except OSError as e:
        _discard(tmp)
        raise CongressError(f"无法写入 {path}：{os_error_text(e)}", code="write_failed") from e
    return n


@dataclass(frozen=True)
class RowError:
    row: int       # row number in the file (0 when it concerns the file as a whole)
    field: str     # Chinese column name, '' when the whole row
    message: str


def write_error_report(path: str | Path, sheet: Sheet, errors: Sequence[RowError]) -> None:
    """The original rows with a 错误原因 column first: fix the cells, save, import again.

    The header row is kept as it was, so the corrected file imports unchanged."""
    by_row: dict[int, list[str]] = {}
    for e in errors:
        by_row.setdefault(e.row, []).append(f"{e.field}：{e.message}" if e.field else e.message)
    headers = ["错误原因", *sheet.headers]
    rows = []
    for r in sheet.rows:
        reasons = "；".join(by_row.get(r.number, []))
        rows.append([reasons, *[excel_text(v) for v in r.raw]])
    # Rows with errors first, so nobody has to hunt for them among a thousand good ones.
    rows.sort(key=lambda row: row[0] == "")
    write_xlsx(path, "错误报告", headers, rows, widths=[40] + [14] * len(sheet.headers),
               text_columns=range(1, len(headers)), highlight=lambda row: bool(row[0]))


def _discard(tmp: Path) -> None:
    try:
        tmp.unlink(missing_ok=True)
    except OSError:
        pass  # nothing was written there, or the folder is gone: nothing to clean up
