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
from congress_desktop.core.context import Context
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
    from congress_desktop.deputies import service as deputies

    ctx = Context.open(folder)
    try:
        deputies.create_deputy(ctx, {"name": "王建国", "id_number": "420381198001011238"})
    finally:
        ctx.close()


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def passphrase_file(tmp_path: Path, text: str = "六里坪镇人大的备份口令") -> Path:
    f = tmp_path / f"pass-{len(list(tmp_path.glob('pass-*')))}.txt"
    f.write_text(text + "\n", encoding="utf-8")
    return f


def test_backup_to_a_folder_and_list_it(capsys, town, tmp_path):
    stick = tmp_path / "stick"
    stick.mkdir()
    pw = passphrase_file(tmp_path)
    code, _, _ = run(capsys, town, "backups", "set-passphrase", "--passphrase-file", str(pw))
    assert code == 0
    code, out, _ = run(capsys, town, "backup", "--to", str(stick), "--passphrase-file", str(pw))
    assert code == 0 and "已加密备份到" in out and "代表 64 名" in out and "完整性检查通过" in out
    assert len(list(stick.glob("congress-420381103000-*-usb.cdbak"))) == 1
    assert not list(stick.glob("*.sqlite3"))
    code, out, _ = run(capsys, town, "backup")
    assert code == 0
    code, out, _ = run(capsys, town, "backups", "list")
    assert code == 0 and "手动备份" in out and "代表 64 名" in out
    code, out, _ = run(capsys, town, "backups", "list", "--dir", str(stick), "--json")
    rows = json.loads(out)
    assert code == 0 and rows[0]["reason"] == "usb" and ["代表", 64, "名"] in rows[0]["counts"]
    assert rows[0]["encrypted"] is True
    code, out, _ = run(capsys, town, "backups", "list", "--dir", str(stick))
    assert code == 0 and "备份到U盘（加密）" in out and "代表 64 名" in out


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
    from congress_desktop.visits import attachments

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
    from congress_desktop.core.store import location

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


# ------------------------------------------------------------------ encrypted stick backups
def test_stick_backup_round_trip_with_a_passphrase_file(capsys, town, tmp_path):
    stick = tmp_path / "U盘"
    stick.mkdir()
    pw = passphrase_file(tmp_path)
    assert run(capsys, town, "backups", "set-passphrase", "--passphrase-file", str(pw))[0] == 0
    code, out, _ = run(capsys, town, "backup", "--to", str(stick), "--passphrase-file", str(pw))
    assert code == 0
    backup = next(stick.glob("*.cdbak"))
    add_deputy(town)
    code, out, _ = run(capsys, town, "restore", str(backup), "--yes", "--passphrase-file", str(pw))
    assert code == 0 and "已恢复" in out and "记录：代表 64 名" in out and "加密的U盘备份" in out
    assert deputies_in(town / "congress.sqlite3") == 64


def test_a_wrong_passphrase_file_is_refused_at_backup_and_at_restore(capsys, town, tmp_path):
    stick = tmp_path / "U盘"
    stick.mkdir()
    pw, wrong = passphrase_file(tmp_path), passphrase_file(tmp_path, "不是这个口令啊")
    run(capsys, town, "backups", "set-passphrase", "--passphrase-file", str(pw))
    code, _, err = run(capsys, town, "backup", "--to", str(stick), "--passphrase-file", str(wrong))
    assert code == 1 and "不一致，没有备份" in err and list(stick.iterdir()) == []
    run(capsys, town, "backup", "--to", str(stick), "--passphrase-file", str(pw))
    backup = next(stick.glob("*.cdbak"))
    add_deputy(town)
    before = (town / "congress.sqlite3").read_bytes()
    code, _, err = run(capsys, town, "restore", str(backup), "--yes", "--passphrase-file", str(wrong))
    assert code == 1 and "口令不对" in err and "数据没有改变" in err
    assert deputies_in(town / "congress.sqlite3") == 65
    assert (town / "congress.sqlite3").read_bytes() == before


def test_a_stick_backup_without_a_terminal_or_a_passphrase_file_is_a_clear_error(capsys, town, tmp_path):
    stick = tmp_path / "U盘"
    stick.mkdir()
    code, _, err = run(capsys, town, "backup", "--to", str(stick), "--passphrase-file", str(tmp_path / "none.txt"))
    assert code == 1 and "尚未设置U盘备份口令" in err and "backups set-passphrase" in err
    run(capsys, town, "backups", "set-passphrase", "--passphrase-file", str(passphrase_file(tmp_path)))
    r = subprocess.run([sys.executable, "-m", "congress_desktop", "--data-dir", str(town), "backup", "--to", str(stick)],
                       capture_output=True, text=True, encoding="utf-8", timeout=120, cwd=ROOT, stdin=subprocess.DEVNULL)
    assert r.returncode == 1 and "没有可以输入口令的终端" in r.stderr and "--passphrase-file" in r.stderr
    assert list(stick.iterdir()) == []


def test_the_passphrase_is_set_at_the_terminal_twice_and_asked_at_restore(capsys, town, tmp_path, monkeypatch):
    from congress_desktop.commands import backups as command

    typed: list[str] = []
    monkeypatch.setattr(command, "ask_secret", lambda prompt: typed.pop(0))
    monkeypatch.setattr(sys, "stdin", FakeTerminal(""))
    typed[:] = ["镇人大备份口令一", "镇人大备份口令二"]
    code, out, err = run(capsys, town, "backups", "set-passphrase")
    assert code == 1 and "两次输入的口令不一样" in err and "忘记口令" in out
    typed[:] = ["镇人大备份口令一", "镇人大备份口令一"]
    code, out, _ = run(capsys, town, "backups", "set-passphrase")
    assert code == 0 and "已设置" in out and "公章" in out
    stick = tmp_path / "U盘"
    stick.mkdir()
    typed[:] = ["镇人大备份口令一"]
    assert run(capsys, town, "backup", "--to", str(stick))[0] == 0
    typed[:] = ["镇人大备份口令二", "镇人大备份口令二"]
    code, out, _ = run(capsys, town, "backups", "set-passphrase")
    assert code == 0 and "已更改" in out and "旧口令" in out
    add_deputy(town)
    backup = next(stick.glob("*.cdbak"))
    typed[:] = ["镇人大备份口令二"]  # the new one does not open the older backup
    code, _, err = run(capsys, town, "restore", str(backup), "--yes")
    assert code == 1 and "口令不对" in err and deputies_in(town / "congress.sqlite3") == 65
    typed[:] = ["镇人大备份口令一"]
    monkeypatch.setattr(sys, "stdin", FakeTerminal("y\n"))
    code, out, _ = run(capsys, town, "restore", str(backup))
    assert code == 0 and "已恢复" in out and deputies_in(town / "congress.sqlite3") == 64
