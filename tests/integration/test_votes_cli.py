"""The vote commands as a user runs them: a real process, real files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from congress_desktop.deputies.service import DeputyQuery, query_deputies
from congress_desktop.votes import service as svc
from tests.pdfcheck import pdf_text
from tests.votehelp import STACK, enter_stack, new_project_vote

CASE = {
    "kind": "project_vote", "all_deputies": 62, "present": 58, "issued": 58, "returned": 4, "seats": 2,
    "rules": {"blank": "abstain", "over_vote": "void_ballot", "shortfall": "accept_fewer"},
    "items": ["项目一", "项目二", "项目三"],
    "ballots": [["for", "for", "against"], ["for", "against", "blank"], ["for", "for", "for"],
                ["invalid", "for", "abstain"]],
}


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "congress_desktop", *args], capture_output=True, text=True,
                          encoding="utf-8", timeout=120, cwd=cwd)


def test_tally_a_case_file_without_any_data_folder(tmp_path):
    case = tmp_path / "case.json"
    case.write_text(json.dumps(CASE, ensure_ascii=False), encoding="utf-8")
    nowhere = tmp_path / "no-such-folder"
    r = run("--data-dir", str(nowhere), "votes", "tally", str(case), "--json")
    assert r.returncode == 0, r.stderr
    assert not nowhere.exists()  # no database, no data folder, no log
    out = json.loads(r.stdout)
    assert out["round_valid"] is True and out["valid_ballots"] == 3 and out["void_ballots"] == 1
    first = out["items"][0]
    assert first["name"] == "项目一" and first["counts"]["for"] == 2 and first["counts"]["invalid"] == 1
    assert {"passed", "rank", "outcome"} <= set(first)
    assert [i["outcome"] for i in out["items"]] == ["not_adopted"] * 3  # 2 赞成 is far from 32
    assert out["pass_threshold"] == 32 and out["shortfall"] == 2
    r = run("--data-dir", str(nowhere), "votes", "tally", str(case))
    assert r.returncode == 0 and "有效票 3 张，作废票 1 张" in r.stdout and "项目一" in r.stdout


def test_tally_says_what_is_wrong_with_a_case_file(tmp_path):
    case = tmp_path / "bad.json"
    case.write_text(json.dumps(dict(CASE, kind="satisfaction")), encoding="utf-8")
    r = run("votes", "tally", str(case))
    assert r.returncode == 1
    assert "bad.json 有误" in r.stderr and "ballots[0][0]" in r.stderr
    case.write_text('{"kind": "project_vote",', encoding="utf-8")
    r = run("votes", "tally", str(case), "--json")
    assert r.returncode == 1 and "不是有效的 JSON" in r.stderr
    r = run("votes", "tally", str(tmp_path / "missing.json"))
    assert r.returncode == 1 and "找不到案卷文件" in r.stderr


def test_export_case_verify_list_and_print_from_the_command_line(demo_ctx, tmp_path):
    ctx = demo_ctx
    sess = new_project_vote(ctx)
    r = svc.open_vote(ctx, sess.id)
    svc.set_ballot_counts(ctx, r.id, issued=58, returned=58)
    enter_stack(ctx, r.id, "A", STACK)
    result = svc.compute_round(ctx, r.id).result
    svc.announce_round(ctx, r.id, "陈主席")
    data = str(ctx.data_dir)

    listed = run("--data-dir", data, "votes", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    rows = json.loads(listed.stdout)
    assert rows[0]["number"] == sess.number and rows[0]["present"] == 58

    case = tmp_path / "case.json"
    exported = run("--data-dir", data, "votes", "export-case", str(sess.number), str(case))
    assert exported.returncode == 0, exported.stderr
    tallied = run("votes", "tally", str(case), "--json")
    assert json.loads(tallied.stdout) == result.to_json()

    verified = run("--data-dir", data, "votes", "verify", str(sess.number))
    assert verified.returncode == 0 and "核验通过" in verified.stdout

    pdf = tmp_path / "result.pdf"
    printed = run("--data-dir", data, "print", "vote-result", str(sess.number), "--out", str(pdf))
    assert printed.returncode == 0, printed.stderr
    assert "票决结果报告单" in pdf_text(pdf)

    ctx.close()  # the tampering below must not meet an open connection's cache
    import sqlite3

    con = sqlite3.connect(ctx.db_path)
    con.execute("UPDATE vote_log SET user='someone' WHERE seq=3")
    con.commit()
    con.close()
    broken = run("--data-dir", data, "votes", "verify", str(sess.number))
    assert broken.returncode == 1 and "核验未通过" in broken.stdout and "日志第 3 条" in broken.stdout


def test_a_whole_vote_scripted_from_the_command_line(demo_ctx, tmp_path):
    data = str(demo_ctx.data_dir)
    year = svc.list_projects(demo_ctx, states=["正式候选"])[0].year
    names = [d.name for d in query_deputies(demo_ctx, DeputyQuery(status="在任"), 0, None)]
    r = run("--data-dir", data, "votes", "new", "--title", "六里坪镇第十九届人民代表大会第五次会议",
            "--seats", "8", "--candidates", str(year), "--chair", "陈主席")
    assert r.returncode == 0 and "10 项，全体代表 62 名" in r.stdout, r.stderr
    r = run("--data-dir", data, "votes", "attendance", "1", "--leave", *names[:4], "--absent", *names[4:21])
    assert r.returncode == 0 and "实到 41" in r.stdout and "不能开始表决" in r.stdout, r.stderr
    r = run("--data-dir", data, "votes", "open", "1")
    assert r.returncode == 1 and "不足全体代表 62 人的三分之二" in r.stderr
    r = run("--data-dir", data, "votes", "attendance", "1", "--present", names[4])
    assert run("--data-dir", data, "votes", "open", "1").returncode == 0
    stack = tmp_path / "stack.txt"
    stack.write_text("\n".join(STACK[:41] + ["1111111111"]), encoding="utf-8")
    assert run("--data-dir", data, "votes", "counts", "1", "--issued", "42", "--returned", "42").returncode == 0
    r = run("--data-dir", data, "votes", "enter", "1", "--file", str(stack))
    assert r.returncode == 0 and "已录入 42 张（作废 1 张）" in r.stdout, r.stderr
    r = run("--data-dir", data, "votes", "compute", "1")
    assert r.returncode == 0 and "有效票 41 张，作废票 1 张" in r.stdout, r.stderr
    r = run("--data-dir", data, "votes", "announce", "1")
    assert r.returncode == 0 and "已公布并锁定" in r.stdout
    assert svc.verify_session(demo_ctx, svc.find_session(demo_ctx, 1).id).ok
