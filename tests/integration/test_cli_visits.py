"""visits / opinions / units / print commands, run as a real process on a copy of the demo town."""

from __future__ import annotations

import json
import shutil

from openpyxl import Workbook, load_workbook

from tests.integration.test_cli import cli
from tests.pdfcheck import pdf_text


def demo_folder(demo_ctx, tmp_path):
    folder = tmp_path / "cli"
    shutil.copytree(demo_ctx.data_dir, folder, ignore=shutil.ignore_patterns("logs", "backups"))
    return folder


def test_opinions_list_act_show_and_print(demo_ctx, tmp_path):
    d = demo_folder(demo_ctx, tmp_path)
    r = cli(d, "opinions", "list", "--overdue", "--json")
    assert r.returncode == 0, r.stderr
    overdue = json.loads(r.stdout)
    assert overdue and all(o["deadline_kind"] == "overdue" for o in overdue)
    r = cli(d, "opinions", "list", "--state", "登记")
    assert r.returncode == 0 and r.stdout.strip().endswith("条")
    first = r.stdout.splitlines()[0].split("\t")[0]  # 2026-00012
    r = cli(d, "opinions", "act", first, "答复", "--kind", "已解决", "--text", "x")
    assert r.returncode == 1 and "当前状态为“登记”，不能答复" in r.stderr
    r = cli(d, "opinions", "act", first, "交办", "--unit", "查无此单位")
    assert r.returncode == 1 and "找不到承办单位“查无此单位”" in r.stderr
    r = cli(d, "opinions", "act", first, "交办", "--unit", "镇水利站")
    assert r.returncode == 0, r.stderr
    assert "已交办：交办镇水利站，办理期限" in r.stdout
    r = cli(d, "opinions", "show", first)
    assert r.returncode == 0 and "此时可以：改交、开始办理" in r.stdout
    out = tmp_path / "交办单.pdf"
    r = cli(d, "print", "referral", first, "--out", str(out))
    assert r.returncode == 0, r.stderr
    assert "镇水利站" in pdf_text(out) and "意见建议办理回执" in pdf_text(out)
    out = tmp_path / "汇总.pdf"
    r = cli(d, "print", "opinions-summary", "--from", "2020-01-01", "--to", "2099-12-31", "--out", str(out))
    assert r.returncode == 0, r.stderr
    assert "意见建议办理情况汇总表" in pdf_text(out)


def test_visits_export_import_and_print(demo_ctx, tmp_path):
    d = demo_folder(demo_ctx, tmp_path)
    r = cli(d, "visits", "list", "--json")
    visits = json.loads(r.stdout)
    assert r.returncode == 0 and len(visits) > 50
    out = tmp_path / "登记表.pdf"
    r = cli(d, "print", "visit", visits[0]["id"], "--out", str(out))
    assert r.returncode == 0, r.stderr
    assert visits[0]["deputy_names"][0] in pdf_text(out)
    ledger = tmp_path / "台账.xlsx"
    r = cli(d, "visits", "export", str(ledger), "--from", visits[-1]["visit_date"], "--to", visits[-1]["visit_date"])
    assert r.returncode == 0 and "已导出" in r.stdout
    assert load_workbook(ledger).active["A1"].value == "接待日期"
    # importing it back into the same office: every visit is already there
    r = cli(d, "visits", "import", str(ledger), "--errors", str(tmp_path / "错误.xlsx"))
    assert r.returncode == 1 and "疑为重复导入" in r.stdout and (tmp_path / "错误.xlsx").exists()

    wb = Workbook()
    wb.active.append(["接待日期", "接待地点", "接待代表", "意见类别", "意见内容", "承办单位"])
    wb.active.append(["2026-02-30", "代表之家", "查无此人", "其他", "修路", ""])
    wb.save(tmp_path / "坏.xlsx")
    r = cli(d, "visits", "import", str(tmp_path / "坏.xlsx"))
    assert r.returncode == 1 and "未写入任何数据" in r.stdout
    assert "第 2 行  接待日期" in r.stdout and "接待代表“查无此人”不在代表名册中" in r.stdout


def test_units_and_categories(demo_ctx, tmp_path):
    d = demo_folder(demo_ctx, tmp_path)
    r = cli(d, "units", "add", "镇文化站", "--contact", "李明", "--phone", "0719-5611209")
    assert r.returncode == 0, r.stderr
    r = cli(d, "units", "list")
    assert "镇文化站\t-\t李明\t0719-5611209\t承办 0 件" in r.stdout
    r = cli(d, "units", "add", "镇文化站")
    assert r.returncode == 1 and "已有名为“镇文化站”的承办单位" in r.stderr
    r = cli(d, "categories", "list")
    assert "基础设施（水电路气厕网购）" in r.stdout
