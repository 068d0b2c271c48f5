"""The headless command line, run as a user would: a real process, a real data folder."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import Workbook

from tests.pdfcheck import pdf_text


def cli(data_dir: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "congress_desktop", "--data-dir", str(data_dir), *args],
                          capture_output=True, text=True, encoding="utf-8", timeout=120)


def test_version_and_help_need_no_database(tmp_path):
    r = cli(tmp_path / "d", "--version")
    assert r.returncode == 0 and "乡镇人大工作台" in r.stdout
    r = cli(tmp_path / "d", "-h")
    assert r.returncode == 0 and "deputies" in r.stdout


def test_init_refuses_a_bad_code_with_a_chinese_message(tmp_path):
    r = cli(tmp_path / "d", "init", "--name", "某镇人大", "--code", "420381000000", "--role", "town")
    assert r.returncode == 1
    assert "乡级" in r.stderr
    r = cli(tmp_path / "d", "init", "--name", "某镇人大", "--code", "420381103000", "--role", "town")
    assert r.returncode == 0, r.stderr
    r = cli(tmp_path / "d", "init", "--name", "某镇人大", "--code", "420381103000", "--role", "town")
    assert r.returncode == 1 and "不能重复设置" in r.stderr


def test_unknown_subcommand_exits_non_zero_in_chinese(tmp_path):
    r = cli(tmp_path / "d", "frobnicate")
    assert r.returncode == 2 and "参数错误" in r.stderr


def test_commands_before_init_say_what_to_do(tmp_path):
    r = cli(tmp_path / "d", "deputies", "list")
    assert r.returncode == 1 and "尚未设置本单位信息" in r.stderr


def test_demo_list_export_import_print(tmp_path):
    d = tmp_path / "d"
    r = cli(d, "demo")
    assert r.returncode == 0, r.stderr
    assert "64" in r.stdout
    r = cli(d, "deputies", "list", "--json", "--status", "在任")
    rows = json.loads(r.stdout)
    assert len(rows) == 62 and all(x["status"] == "在任" for x in rows)
    out = tmp_path / "名册.xlsx"
    assert cli(d, "deputies", "export", str(out)).returncode == 0
    # The exported file imports into a fresh town unchanged (villages must exist there: use demo again).
    r = cli(tmp_path / "e", "init", "--name", "某镇人大", "--code", "420381104000", "--role", "town")
    r = cli(tmp_path / "e", "deputies", "import", str(out), "--errors", str(tmp_path / "err.xlsx"))
    assert r.returncode == 1 and "未写入任何数据" in r.stdout and "不在本乡镇的村(社区)名单中" in r.stdout
    assert (tmp_path / "err.xlsx").exists()
    pdf = tmp_path / "roster.pdf"
    r = cli(d, "print", "roster", "--out", str(pdf))
    assert r.returncode == 0, r.stderr
    text = pdf_text(pdf)
    assert "代表名册" in text and rows[0]["name"] in text


def test_import_with_a_bad_row_changes_nothing_then_fixed_imports_all(tmp_path):
    d = tmp_path / "d"
    assert cli(d, "init", "--name", "某镇人大", "--code", "420381103000", "--role", "town").returncode == 0
    wb = Workbook()
    ws = wb.active
    ws.append(["姓名", "性别", "身份证号", "联系电话"])
    ws.append(["李秀英", "女", "420381198507150024", "13907191234"])
    ws.append(["赵德胜", "男", "42038119850715003X", "139 0719 1235"])  # bad check digit
    path = tmp_path / "roster.xlsx"
    wb.save(path)
    r = cli(d, "deputies", "import", str(path))
    assert r.returncode == 1 and "第 3 行" in r.stdout and "校验位" in r.stdout
    assert json.loads(cli(d, "deputies", "list", "--json").stdout) == []
    ws["C3"] = "420381198507150032"
    wb.save(path)
    r = cli(d, "deputies", "import", str(path))
    assert r.returncode == 0, r.stdout + r.stderr
    assert len(json.loads(cli(d, "deputies", "list", "--json").stdout)) == 2


@pytest.mark.parametrize("args", [["print", "deputy-card", "无此人", "--out", "x.pdf"]])
def test_print_card_for_unknown_deputy(tmp_path, args):
    d = tmp_path / "d"
    cli(d, "demo")
    r = cli(d, *args)
    assert r.returncode == 1 and "找不到代表" in r.stderr
