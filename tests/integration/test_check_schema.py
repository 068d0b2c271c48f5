"""check sees the schema: a dropped table is reported (exit 1) and the file is not opened; a missing
index is reported and rebuilt. On real database files changed with sqlite3, through the command line."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from congress_desktop import cli
from congress_desktop.backups import service as backups
from congress_desktop.backups.checks import CheckSection
from congress_desktop.core.context import Context
from congress_desktop.core.errors import DatabaseDamaged
from congress_desktop.deputies import service as deputies

TABLE = "training_attendee"
INDEX = "ix_deputy_name_pinyin"


@pytest.fixture
def town(_demo_template, tmp_path) -> Path:
    folder = tmp_path / "town"
    shutil.copytree(_demo_template, folder, ignore=shutil.ignore_patterns("logs", "backups"))
    return folder


def run(capsys, folder: Path, *args: str) -> tuple[int, str, str]:
    code = cli.main(["--data-dir", str(folder), *args])
    got = capsys.readouterr()
    return code, got.out, got.err


def sql(db: Path, *statements: str) -> None:
    con = sqlite3.connect(db)
    try:
        for s in statements:
            con.execute(s)
        con.commit()
    finally:
        con.close()


def names(db: Path, kind: str) -> set[str]:
    con = sqlite3.connect(db)
    try:
        return {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = ?", (kind,))}
    finally:
        con.close()


def test_check_reports_a_dropped_table_and_rebuilds_a_dropped_index(capsys, town):
    db = town / "congress.sqlite3"
    assert run(capsys, town, "check")[0] == 0
    sql(db, f"DROP INDEX {INDEX}", f"DROP TABLE {TABLE}")

    code, out, _ = run(capsys, town, "check")
    assert code == 1
    assert f"缺少表 {TABLE}（这张表的记录已丢失）" in out
    assert f"已重建索引 {INDEX}（表 deputy）" in out and "结论：发现问题" in out
    assert INDEX in names(db, "index") and TABLE not in names(db, "table")

    code, out, _ = run(capsys, town, "check", "--json")
    report = json.loads(out)
    assert code == 1 and not report["ok"]
    assert report["sections"]["schema"]["missing_tables"] == [TABLE]
    assert report["sections"]["indexes"]["ok"] and report["sections"]["indexes"]["missing"] == []  # mended before


def test_a_missing_index_alone_is_rebuilt_and_the_check_passes(capsys, town):
    db = town / "congress.sqlite3"
    sql(db, f"DROP INDEX {INDEX}", "DROP INDEX ix_visit_list")
    code, out, _ = run(capsys, town, "check", "--json")
    report = json.loads(out)
    assert code == 0 and report["ok"]
    assert sorted(report["sections"]["indexes"]["rebuilt"]) == sorted([INDEX, "ix_visit_list"])
    assert {INDEX, "ix_visit_list"} <= names(db, "index")
    code, out, _ = run(capsys, town, "check")
    assert code == 0 and "索引：齐全" in out and "结论：全部正常" in out


def test_check_says_the_rebuilt_indexes_in_its_text(capsys, town):
    sql(town / "congress.sqlite3", f"DROP INDEX {INDEX}")
    code, out, _ = run(capsys, town, "check")
    assert code == 0 and "索引：缺少 1 个，已重建" in out and "结论：全部正常（已修复 1 处，见上）" in out


def test_a_dropped_version_table_is_reported(capsys, town):
    sql(town / "congress.sqlite3", "DROP TABLE alembic_version")
    code, out, _ = run(capsys, town, "check")
    assert code == 1 and "缺少表 alembic_version" in out


def test_a_database_missing_a_table_is_not_opened_and_restore_mends_it(capsys, town):
    ctx = Context.open(town)
    try:
        good = backups.backup_before(ctx, "daily")
    finally:
        ctx.close()
    sql(town / "congress.sqlite3", f"DROP TABLE {TABLE}")
    with pytest.raises(DatabaseDamaged) as e:
        Context.open(town)
    assert f"缺少表 {TABLE}" in e.value.message and e.value.backup.path == good.path
    code, _out, err = run(capsys, town, "deputies", "list")
    assert code == 1 and f"缺少表 {TABLE}" in err and "no such table" not in err
    code, out, _ = run(capsys, town, "restore", str(good.path), "--yes")
    assert code == 0 and "损坏的数据库已移到" in out
    ctx = Context.open(town)
    try:
        assert deputies.count_deputies(ctx) == 64
    finally:
        ctx.close()
    assert TABLE in names(town / "congress.sqlite3", "table")


def test_an_index_rebuild_that_cannot_get_the_lock_is_a_note_not_a_failure(town):
    db = town / "congress.sqlite3"
    sql(db, f"DROP INDEX {INDEX}")
    holder = sqlite3.connect(db, isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")  # another program is writing
        report = backups.check_data(town)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    section = report.section("indexes")
    assert report.ok and section.data["missing"] == [INDEX] and section.data["rebuilt"] == []
    assert any("下次打开程序时会自动重建" in n for n in section.notes)
    assert INDEX not in names(db, "index")


def test_a_section_with_a_problem_fails_the_report(town):
    report = backups.check_data(town)
    assert report.ok and [s.key for s in report.sections] == ["schema", "indexes", "values"]
    worse = type(report)(**{**report.__dict__, "sections": (*report.sections,
                                                          CheckSection("dates", "日期", "1 处无法读取", ("第 3 条",)))})
    assert not worse.ok and "日期：1 处无法读取" in worse.lines() and "  第 3 条" in worse.lines()
    assert worse.as_json()["sections"]["dates"]["problems"] == ["第 3 条"]
