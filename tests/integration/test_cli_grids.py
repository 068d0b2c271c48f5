"""The grid commands run as an admin would: a real process on a copy of the demo town."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from openpyxl import Workbook

from congress_desktop.cli import main
from congress_desktop.grids import service as grids
from tests.pdfcheck import pdf_text


def cli(data_dir: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "congress_desktop", "--data-dir", str(data_dir), *args],
                          capture_output=True, text=True, encoding="utf-8", timeout=120)


def check(data_dir: Path) -> tuple[int, dict]:
    r = cli(data_dir, "grids", "check", "--json")
    assert r.stderr == "", r.stderr
    return r.returncode, json.loads(r.stdout)


def run(capsys, data_dir: Path, *args: str) -> tuple[int, str, str]:
    """The same command line in this process (fast); the exit codes are checked by real processes."""
    capsys.readouterr()
    code = main(["--data-dir", str(data_dir), *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_check_exits_1_with_holes_and_0_once_the_suggestion_and_two_moves_are_done(demo_ctx, capsys):
    d = demo_ctx.data_dir
    code, report = check(d)
    assert code == 1 and not report["clear"] and report["counts"]["unplaced"] > 0
    unplaced = report["counts"]["unplaced"]

    code, out, _ = run(capsys, d, "grids", "suggest")
    assert code == 0 and "未写入" in out
    assert grids.check_grids(demo_ctx).counts()["unplaced"] == unplaced  # shown, not applied
    code, out, _ = run(capsys, d, "grids", "suggest", "--accept")
    assert code == 0 and f"已采纳 {unplaced} 条建议" in out

    empties = grids.check_grids(demo_ctx).of_kind("empty")
    assert len(empties) == 2
    for item in empties:
        empty = grids.get_grid(demo_ctx, item.grid_id)
        crowded = [rg for rg in grids.roster_on(demo_ctx) if len(rg.members) >= 2]
        donor = min(crowded, key=lambda rg: abs(int(rg.grid.village_code) - int(empty.village_code)))
        helper = next(m for m in donor.members if m.role == "协助代表")
        code, out, err = run(capsys, d, "grids", "assign", helper.deputy_id, empty.code, "--role", "责任代表",
                             "--from", report["on"])
        assert code == 0, err
        assert "已从" in out and empty.name in out

    code, report = check(d)
    assert code == 0 and report["clear"] and report["holes"] == 0
    assert report["deputies_placed"] == report["deputies_needed"]
    code, out, _ = run(capsys, d, "grids", "check", "--on", "2025-01-01")
    assert code == 1 and "未入格" in out  # the roster of a past date had holes


def test_print_export_and_import_commands(demo_ctx, tmp_path, capsys):
    d = demo_ctx.data_dir
    out = tmp_path / "名册.pdf"
    village = grids.list_grids(demo_ctx)[0]
    code, text, err = run(capsys, d, "print", "grid-roster", "--village", village.village_code, "--out", str(out))
    assert code == 0, err
    assert village.name in pdf_text(out)
    boards = tmp_path / "公示牌.pdf"
    code, text, _ = run(capsys, d, "print", "grid-boards", "--village", village.village_name, "--out", str(boards))
    assert code == 0 and f"（{len(grids.list_grids(demo_ctx, village.village_id))} 页）" in text

    sheet = tmp_path / "名册.xlsx"
    code, text, _ = run(capsys, d, "grids", "export", str(sheet))
    assert code == 0 and "已导出" in text
    code, text, _ = run(capsys, d, "grids", "import", str(sheet))
    assert code == 0 and "已导入入格名册：0 条" in text

    wb = Workbook()
    wb.active.append(["网格编号", "代表姓名"])
    wb.active.append(["999", "查无此人"])
    bad = tmp_path / "bad.xlsx"
    wb.save(bad)
    report = tmp_path / "err.xlsx"
    code, text, _ = run(capsys, d, "grids", "import", str(bad), "--errors", str(report))
    assert code == 1
    assert "第 2 行" in text and "不在代表名册中" in text and "网格编号 999不存在" in text
    assert report.exists()

    code, _, err = run(capsys, d, "grids", "assign", grids.deputy_choices(demo_ctx)[0].id, "不存在的网格")
    assert code == 1 and "找不到网格" in err
