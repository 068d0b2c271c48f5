"""A database a newer version of the program has upgraded (its Alembic revision is unknown here): every
command says so and changes nothing, no backup piles up at each failed start, check reports it, and
restore of an older backup brings the data back with the newer file kept aside."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from congress_desktop import cli
from congress_desktop.backups import service as backups
from congress_desktop.core.context import Context
from congress_desktop.core.errors import NEWER_SCHEMA_TEXT, NewerSchema
from congress_desktop.core.store import backup_files as files
from congress_desktop.deputies import service as deputies

FUTURE = "9999_future"


def stamp(db: Path, revision: str = FUTURE) -> None:
    con = sqlite3.connect(db)
    try:
        con.execute("UPDATE alembic_version SET version_num = ?", (revision,))
        con.commit()
    finally:
        con.close()


def revision_of(db: Path) -> str:
    con = sqlite3.connect(db)
    try:
        return con.execute("SELECT version_num FROM alembic_version").fetchone()[0]
    finally:
        con.close()


def everything_in(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


@pytest.fixture
def newer(_demo_template, tmp_path) -> tuple[Path, Path]:
    """A town whose database a newer program upgraded after our daily backup; (folder, that backup)."""
    folder = tmp_path / "town"
    shutil.copytree(_demo_template, folder, ignore=shutil.ignore_patterns("logs", "backups"))
    ctx = Context.open(folder)
    try:
        good = files.make_backup(ctx.db_path, "daily", now=dt.datetime.now() - dt.timedelta(days=2))
        deputies.create_deputy(ctx, {"name": "王建国", "id_number": "420381198001011238"})  # 65 now
    finally:
        ctx.close()
    stamp(folder / "congress.sqlite3")
    return folder, good.path


def run(capsys, folder: Path, *args: str) -> tuple[int, str, str]:
    code = cli.main(["--data-dir", str(folder), *args])
    got = capsys.readouterr()
    return code, got.out, got.err


def leaf_commands() -> list[list[str]]:
    """Every subcommand that opens the data folder and can run without further arguments."""
    found: list[list[str]] = []

    def walk(parser: argparse.ArgumentParser, path: list[str]) -> None:
        subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        if subs:
            for name, child in subs[0].choices.items():
                walk(child, [*path, name])
            return
        required = [a for a in parser._actions if a.required or (not a.option_strings and a.nargs != 0
                                                                  and a.dest != "help")]
        defaults = parser._defaults
        if path and not required and defaults.get("needs_data", True) and "handler" in defaults:
            found.append(path)

    walk(cli.build_parser(), [])
    return found


def test_every_command_says_the_database_is_newer_and_exits_1(capsys, newer):
    folder, good = newer
    commands = leaf_commands()
    assert ["info"] in commands and ["deputies", "list"] in commands and ["backup"] in commands
    assert len(commands) >= 15
    db_before = (folder / "congress.sqlite3").read_bytes()
    for args in commands:
        code, out, err = run(capsys, folder, *args)
        assert code == 1, (args, out, err)
        assert NEWER_SCHEMA_TEXT in err and FUTURE in err and str(good) in err, (args, err)
        assert "Can't locate revision" not in out + err and "Traceback" not in out + err
    assert (folder / "congress.sqlite3").read_bytes() == db_before and revision_of(folder / "congress.sqlite3") == FUTURE


def test_three_failed_starts_add_no_backup(capsys, newer):
    folder, _good = newer
    before = everything_in(folder / "backups")
    for _ in range(3):
        with pytest.raises(NewerSchema) as e:
            Context.open(folder)
        assert e.value.code == "newer_schema"
        assert run(capsys, folder, "info")[0] == 1
    assert everything_in(folder / "backups") == before


def test_the_backup_offered_is_the_newest_one_this_version_can_open(newer):
    folder, good = newer
    # the newer program's own later backup, at its revision: not one we can open
    theirs = files.make_backup(folder / "congress.sqlite3", "daily", now=dt.datetime.now() - dt.timedelta(hours=1))
    assert theirs.revision == FUTURE
    with pytest.raises(NewerSchema) as e:
        Context.open(folder)
    assert e.value.backup is not None and e.value.backup.path == good
    assert str(theirs.path) not in e.value.message and f'restore "{good}"' in e.value.message


def test_check_reports_a_database_made_by_a_newer_program(capsys, newer):
    folder, good = newer
    code, out, _ = run(capsys, folder, "check")
    assert code == 1 and NEWER_SCHEMA_TEXT in out and FUTURE in out and str(good) in out
    code, out, _ = run(capsys, folder, "check", "--json")
    report = json.loads(out)
    assert code == 1 and not report["ok"]
    assert report["sections"]["schema"]["state"] == "newer" and not report["sections"]["schema"]["ok"]
    assert report["sections"]["indexes"]["rebuilt"] == []  # nothing is written into a newer file


def test_restore_of_an_older_backup_brings_the_data_back_and_keeps_the_newer_file(capsys, newer):
    folder, good = newer
    code, out, err = run(capsys, folder, "restore", str(good), "--yes")
    assert code == 0, err
    assert "由更新版本的程序创建" in out and "代表 64 名" in out
    kept = list((folder / "backups").glob("newer-*/congress.sqlite3"))
    assert len(kept) == 1 and revision_of(kept[0]) == FUTURE  # set aside as it was, never migrated
    assert f"由更新版本创建的数据库已移到：{kept[0].parent}" in out
    ctx = Context.open(folder)
    try:
        assert deputies.count_deputies(ctx) == 64
    finally:
        ctx.close()
    assert run(capsys, folder, "check")[0] == 0


def test_a_newer_backup_cannot_be_restored_here(capsys, newer, tmp_path):
    folder, _good = newer
    theirs = files.make_backup(folder / "congress.sqlite3", "manual", folder=tmp_path / "stick")
    code, _out, err = run(capsys, folder, "restore", str(theirs.path), "--yes")
    assert code == 1 and "更新版本" in err
    assert revision_of(folder / "congress.sqlite3") == FUTURE and not list((folder / "backups").glob("newer-*"))


def test_a_newer_database_with_no_backup_says_to_install_the_new_version(capsys, newer):
    folder, _good = newer
    shutil.rmtree(folder / "backups")
    code, _out, err = run(capsys, folder, "info")
    assert code == 1 and NEWER_SCHEMA_TEXT in err and "没有本程序能打开的备份" in err
    assert not (folder / "backups").exists()


def test_restore_current_or_damaged_never_migrates_the_newer_file(newer):
    folder, good = newer
    result = backups.restore_current_or_damaged(folder, good)
    assert result.set_aside is not None and result.set_aside.name.startswith("newer-")
    assert revision_of(result.set_aside / "congress.sqlite3") == FUTURE
