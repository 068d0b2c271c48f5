"""backup --to, backups list, restore (confirmation), check (exit code), and a data folder refused on a
network share — through the command line on a real data folder."""

from __future__ import annotations

import io
import json
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from congress_desktop import cli
from congress_desktop.services.context import Context
from tests.dbdamage import damage_table

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def town(_demo_template, tmp_path) -> Path:
    folder = tmp_path / "town"
    shutil.copytree(_demo_template, folder, ignore=shutil.ignore_patterns("logs", "backups"))
    return folder


def run(capsys, folder: Path, *args: str) -> tuple[int, str, str]:
    code = cli.main(["--data-dir", str(folder), *args])
    got = capsys.readouterr()
    return code, got.out, got.err


def deputies_in(db: Path) -> int:
    con = sqlite3.connect(db)
    try:
        return con.execute("select count(*) from deputy where deleted = 0").fetchone()[0]
    finally:
        con.close()


def add_deputy(folder: Path) -> None:
    from congress_desktop.services import deputies

    ctx = Context.open(folder)
    try:
        deputies.create_deputy(ctx, {"name": "王建国", "id_number": "420381198001011238"})
    finally:
        ctx.close()


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_backup_to_a_folder_and_list_it(capsys, town, tmp_path):
    stick = tmp_path / "stick"
    stick.mkdir()
    code, out, _ = run(capsys, town, "backup", "--to", str(stick))
    assert code == 0 and "已备份到" in out and "代表 64 名" in out and "完整性检查通过" in out
    assert len(list(stick.glob("congress-420381103000-*-usb.sqlite3"))) == 1
    code, out, _ = run(capsys, town, "backup")
    assert code == 0
    code, out, _ = run(capsys, town, "backups", "list")
    assert code == 0 and "手动备份" in out and "代表 64 名" in out
    code, out, _ = run(capsys, town, "backups", "list", "--dir", str(stick), "--json")
    rows = json.loads(out)
    assert code == 0 and rows[0]["reason"] == "usb" and ["代表", 64, "名"] in rows[0]["counts"]


def test_restore_asks_and_a_no_changes_nothing(capsys, town, monkeypatch):
    run(capsys, town, "backup")
    backup = next((town / "backups").glob("*.sqlite3"))
    add_deputy(town)
    monkeypatch.setattr(sys, "stdin", FakeTerminal("n\n"))
    code, out, _ = run(capsys, town, "restore", str(backup))
    assert code == 1 and "已取消" in out
    assert "时间：" in out and "记录：代表 64 名" in out and "当前数据：代表 65 名" in out  # shown before asking
    assert deputies_in(town / "congress.sqlite3") == 65


def test_restore_confirmed_at_the_terminal(capsys, town, monkeypatch):
    run(capsys, town, "backup")
    backup = next((town / "backups").glob("*.sqlite3"))
    add_deputy(town)
    monkeypatch.setattr(sys, "stdin", FakeTerminal("y\n"))
    code, out, _ = run(capsys, town, "restore", str(backup))
    assert code == 0 and "已恢复" in out and "恢复前的数据已备份为" in out
    assert deputies_in(town / "congress.sqlite3") == 64


def test_restore_without_a_terminal_needs_yes(town, tmp_path):
    def cli_proc(*args):
        return subprocess.run([sys.executable, "-m", "congress_desktop", "--data-dir", str(town), *args],
                              capture_output=True, text=True, encoding="utf-8", timeout=120, cwd=ROOT,
                              stdin=subprocess.DEVNULL)

    assert cli_proc("backup").returncode == 0
    backup = next((town / "backups").glob("*.sqlite3"))
    add_deputy(town)
    r = cli_proc("restore", str(backup))
    assert r.returncode == 1 and "--yes" in r.stderr
    assert deputies_in(town / "congress.sqlite3") == 65
    r = cli_proc("restore", str(backup), "--yes")
    assert r.returncode == 0, r.stderr
    assert deputies_in(town / "congress.sqlite3") == 64


def test_check_exits_1_on_a_damaged_database_and_restore_repairs_it(capsys, town):
    code, out, _ = run(capsys, town, "check")
    assert code == 0 and "结论：全部正常" in out
    run(capsys, town, "backup")
    backup = next((town / "backups").glob("*.sqlite3"))
    db = town / "congress.sqlite3"
    damage_table(db, pattern=b"\x00")
    code, out, _ = run(capsys, town, "check")
    assert code == 1 and "数据库已损坏" in out
    code, _, err = run(capsys, town, "info")  # any other command refuses to open it, and says what to do
    assert code == 1 and "已损坏" in err and "congress-desktop restore" in err
    code, out, _ = run(capsys, town, "restore", str(backup), "--yes")
    assert code == 0 and "损坏的数据库已移到" in out
    code, out, _ = run(capsys, town, "check", "--json")
    assert code == 0 and json.loads(out)["ok"] is True


def test_check_exits_1_when_an_attachment_file_is_damaged(capsys, town, tmp_path):
    from congress_desktop.services import attachments

    ctx = Context.open(town)
    try:
        visit = sqlite3.connect(ctx.db_path).execute("select id from visit limit 1").fetchone()[0]
        (tmp_path / "scan.jpg").write_bytes(b"scan" * 500)
        row = attachments.add_attachment(ctx, "visit", visit, tmp_path / "scan.jpg")
        stored = attachments.stored_path(ctx, row.sha256)
    finally:
        ctx.close()
    stored.write_bytes(b"bit rot")
    code, out, _ = run(capsys, town, "check")
    assert code == 1 and "文件内容与校验值不符" in out


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads a Linux mount table")
def test_a_data_dir_on_a_network_share_is_refused_in_chinese(capsys, tmp_path, monkeypatch):
    from congress_desktop.store import location

    share = (tmp_path / "share").resolve()
    share.mkdir()
    monkeypatch.setattr(location, "_read_mounts",
                        lambda: f"/dev/sda1 / ext4 rw 0 0\n//server/office {share} cifs rw 0 0\n")
    code, _, err = run(capsys, share / "data", "info")
    assert code == 1
    assert "网络共享" in err and "cifs" in err and "不在这种位置打开数据库" in err
    assert not (share / "data" / "congress.sqlite3").exists()  # nothing was made there


def test_restore_is_refused_while_another_program_has_the_database_open(capsys, town):
    run(capsys, town, "backup")
    backup = next((town / "backups").glob("*.sqlite3"))
    add_deputy(town)
    window = sqlite3.connect(town / "congress.sqlite3")  # as the open window holds it
    try:
        window.execute("select count(*) from deputy").fetchall()
        code, _, err = run(capsys, town, "restore", str(backup), "--yes")
        assert code == 1 and "正被另一个程序使用" in err
    finally:
        window.close()
    assert deputies_in(town / "congress.sqlite3") == 65
    code, _, _ = run(capsys, town, "restore", str(backup), "--yes")
    assert code == 0 and deputies_in(town / "congress.sqlite3") == 64
