"""keys ... and sync ... on the command line (in-process: the same parser and handlers as the console
script, without paying a Python start-up per command)."""

from __future__ import annotations

import json
import re
import shutil

from congress_desktop.cli import main
from tests.pdfcheck import pdf_text


def run(capsys, data, *args) -> tuple[int, str, str]:
    code = main(["--data-dir", str(data), *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_enrol_export_import_status_towns_and_summary_from_the_command_line(capsys, tmp_path, _demo_template):
    town, city, stick = tmp_path / "town", tmp_path / "city", tmp_path / "stick"
    shutil.copytree(_demo_template, town, ignore=shutil.ignore_patterns("logs", "backups"))
    assert run(capsys, city, "init", "--name", "丹江口市人大常委会", "--code", "420381000000", "--role", "city")[0] == 0
    code, out, _ = run(capsys, town, "keys", "init")
    assert code == 0 and "指纹" in out
    fp = re.search(r"指纹：([\d ]+)", out).group(1).strip()
    assert run(capsys, city, "keys", "init")[0] == 0
    assert run(capsys, town, "keys", "export-enrolment", str(tmp_path / "t.cdenrol"))[0] == 0

    code, out, _ = run(capsys, city, "keys", "enrol", str(tmp_path / "t.cdenrol"))
    assert code == 1 and fp in out and "--fingerprint" in out  # shown, not enrolled yet
    code, _, err = run(capsys, city, "keys", "enrol", str(tmp_path / "t.cdenrol"), "--fingerprint", "1111 2222")
    assert code == 1 and "指纹" in err
    code, out, _ = run(capsys, city, "keys", "enrol", str(tmp_path / "t.cdenrol"), "--fingerprint", fp)
    assert code == 0 and "已登记" in out
    code, out, _ = run(capsys, city, "keys", "export-trust", str(tmp_path / "c.cdtrust"))
    city_fp = re.search(r"指纹：([\d ]+)", out).group(1).strip()
    assert code == 0
    code, out, _ = run(capsys, town, "keys", "trust", str(tmp_path / "c.cdtrust"))
    assert code == 1 and city_fp in out and "--fingerprint" in out  # a new city key: shown, not trusted yet
    code, _, err = run(capsys, town, "keys", "trust", str(tmp_path / "c.cdtrust"), "--fingerprint", "1111 2222")
    assert code == 1 and "指纹" in err
    code, out, _ = run(capsys, town, "keys", "trust", str(tmp_path / "c.cdtrust"), "--fingerprint", city_fp)
    assert code == 0 and "丹江口市人大常委会" in out
    code, out, _ = run(capsys, town, "keys", "trust", str(tmp_path / "c.cdtrust"))  # the same key again
    assert code == 0 and "已导入信任包" in out

    code, out, _ = run(capsys, town, "sync", "export", "--to", str(stick))
    assert code == 0 and "安全弹出" in out
    code, out, _ = run(capsys, city, "sync", "import", str(stick))
    assert code == 0 and "[已导入]" in out and "回执已写入" in out
    code, out, _ = run(capsys, town, "sync", "status", "--json")
    before = json.loads(out)["peers"][0]
    assert code == 0 and before["confirmed_seq"] == 0 and before["waiting_records"] > 0
    assert run(capsys, town, "sync", "export", "--to", str(stick))[0] == 0
    status = json.loads(run(capsys, town, "sync", "status", "--json")[1])["peers"][0]
    assert status["waiting_records"] == 0 and status["confirmed_seq"] > 0

    code, out, _ = run(capsys, city, "sync", "towns")
    assert code == 0 and "丹江口市六里坪镇人大" in out and "共 1 个乡镇" in out
    code, out, _ = run(capsys, city, "sync", "summary", "--from", "2020-01-01", "--to", "2030-12-31",
                       "--xlsx", str(tmp_path / "s.xlsx"))
    assert code == 0 and "丹江口市六里坪镇人大\t62" in out and (tmp_path / "s.xlsx").exists()
    assert run(capsys, city, "print", "city-summary", "--from", "2020-01-01", "--to", "2030-12-31",
               "--out", str(tmp_path / "s.pdf"))[0] == 0
    assert "丹江口市六里坪镇人大" in pdf_text(tmp_path / "s.pdf")
    assert run(capsys, town, "print", "fingerprint-form", "--out", str(tmp_path / "f.pdf"))[0] == 0
    assert fp.split()[0] in pdf_text(tmp_path / "f.pdf")

    # a refused package: exit 1 and the reason
    code, out, _ = run(capsys, city, "keys", "revoke", "420381103000", "--reason", "电脑丢失")
    assert code == 0 and "已吊销" in out
    run(capsys, town, "sync", "export", "--to", str(stick))
    code, out, _ = run(capsys, city, "sync", "import", str(stick))
    assert code == 1 and "[已拒绝]" in out and "吊销" in out


def test_held_back_records_are_listed_and_settled_from_the_command_line(capsys, tmp_path):
    from tests.synchelp import enrol, make_city, make_conflict, make_town

    city = make_city(tmp_path / "city")
    town = make_town(tmp_path / "town", "丹江口市浪河镇人大", "420381105000")
    enrol(city, town, tmp_path / "papers")
    make_conflict(town, city, tmp_path)
    town.close()
    city.close()
    code, out, _ = run(capsys, tmp_path / "city", "sync", "status")
    assert code == 0 and "sync quarantine" in out
    code, out, _ = run(capsys, tmp_path / "city", "sync", "quarantine")
    assert code == 0 and "版本号相同但内容不同" in out and "备注：本机“不同”  收到“本镇备注”" in out
    qid = re.search(r"\[(\d+)\]", out).group(1)
    rows = json.loads(run(capsys, tmp_path / "city", "sync", "quarantine", "--json")[1])
    assert rows[0]["id"] == int(qid) and ["备注", "不同", "本镇备注"] in rows[0]["differences"]
    code, out, _ = run(capsys, tmp_path / "city", "sync", "resolve", qid, "--take")
    assert code == 0 and "已采用收到的代表记录" in out
    assert "共 0 条待核查" in run(capsys, tmp_path / "city", "sync", "quarantine")[1]
    code, _, err = run(capsys, tmp_path / "city", "sync", "resolve", qid, "--keep")
    assert code == 1 and "已经处理过" in err
