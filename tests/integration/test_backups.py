"""Backups, rotation, restore and the damaged-database path, on real SQLite files."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from pathlib import Path

import pytest
from alembic import command

from congress_desktop.backups import service as backups
from congress_desktop.core.context import Context
from congress_desktop.core.errors import CongressError, DatabaseDamaged, InvalidInput
from congress_desktop.core.store import backup_files as files
from congress_desktop.core.store.db import alembic_config, make_engine
from congress_desktop.deputies import service as deputies
from tests.dbdamage import damage_table

GOOD = {"name": "王建国", "id_number": "420381198001011238", "mobile": "13812345678"}


def corrupt(path: Path) -> None:
    """Overwrite half of the deputy table's root page, as a dying disk or a torn write would."""
    damage_table(path)


def count_deputies(path: Path) -> int:
    con = sqlite3.connect(path)
    try:
        return con.execute("select count(*) from deputy where deleted = 0").fetchone()[0]
    finally:
        con.close()


# ------------------------------------------------------------------ making backups
def test_a_backup_is_a_checked_self_contained_copy_with_its_description(demo_ctx):
    info = backups.backup_before(demo_ctx, "sync")
    assert info.path.parent == demo_ctx.data_dir / "backups"
    assert info.checked and info.reason_label == "导入同步数据包前"
    assert info.count("代表") == 64 and info.office_code == "420381103000"
    con = sqlite3.connect(info.path)
    try:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert con.execute("PRAGMA journal_mode").fetchone()[0] == "delete"  # no -wal needed beside it
    finally:
        con.close()
    described = json.loads(info.path.with_name(info.path.name + ".json").read_text(encoding="utf-8"))
    assert described["reason"] == "sync" and ["代表", 64, "名"] in described["counts"]
    assert backups.list_backups(demo_ctx)[0] == info
    assert not list(info.path.parent.glob("*.part"))


def test_a_backup_sees_changes_still_in_the_wal(ctx):
    deputies.create_deputy(ctx, GOOD)  # committed, probably not yet checkpointed into the main file
    info = backups.backup_before(ctx, "manual")
    assert count_deputies(info.path) == 1


def test_the_daily_backup_is_made_when_the_last_one_is_a_day_old(ctx):
    now = dt.datetime(2026, 3, 2, 9, 0, 0)
    first = backups.backup_if_due(ctx, now=now)
    assert first is not None and first.reason == "daily"
    assert backups.backup_if_due(ctx, now=now + dt.timedelta(hours=23)) is None
    again = backups.backup_if_due(ctx, now=now + dt.timedelta(hours=24, minutes=1))
    assert again is not None and again.made_at == dt.datetime(2026, 3, 3, 9, 1, 0)


def test_startup_maintenance_backs_up_when_due_and_reports_a_sound_file(ctx):
    result = backups.startup_maintenance(ctx)
    assert result.backup is not None and not result.damaged and result.error == ""
    assert backups.startup_maintenance(ctx).backup is None  # not due again the same day


def test_rotation_keeps_7_daily_4_weekly_12_monthly():
    start = dt.datetime(2024, 1, 1, 8, 0)
    times = [start + dt.timedelta(days=d) for d in range(730)]  # two years of daily backups
    kept = files.select_kept(times, recent=0)
    newest = times[-1]
    days = sorted({t.date() for t in kept}, reverse=True)
    assert [newest.date() - dt.timedelta(days=i) for i in range(7)] == days[:7]
    assert len({t.isocalendar()[:2] for t in kept}) >= 4
    months = {(t.year, t.month) for t in kept}
    assert len(months) == 12
    assert len(kept) <= 7 + 4 + 12
    assert min(kept) > newest - dt.timedelta(days=366)


def test_prune_deletes_old_backups_and_their_descriptions_and_left_over_parts(ctx):
    import shutil

    folder = ctx.data_dir / "backups"
    base = dt.datetime(2025, 1, 1, 12, 0)
    one = files.make_backup(ctx.db_path, "daily", now=base, prune_after=False)
    for d in range(1, 60):  # sixty days of backups: copies of one, named by their day
        name = files.backup_name(base + dt.timedelta(days=d), "daily") + ".sqlite3"
        shutil.copy(one.path, folder / name)
    (folder / "congress-20250101-000000-daily.sqlite3.part").write_bytes(b"half")
    removed = files.prune(folder)
    left = files.list_backups(folder)
    assert len(left) + len([p for p in removed if p.suffix == ".sqlite3"]) == 60
    assert 7 <= len(left) <= 7 + 4 + 3
    assert left[0].made_at == base + dt.timedelta(days=59)  # the newest is always kept
    assert base.date() not in {b.made_at.date() for b in left}  # the first day went (a newer one keeps January)
    assert not list(folder.glob("*.part"))
    assert not one.path.exists() and not one.path.with_name(one.path.name + ".json").exists()


def test_a_migration_is_preceded_by_a_backup_through_the_same_mechanism(data_dir):
    db = data_dir / "congress.sqlite3"
    engine = make_engine(db)
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "0001")
        conn.exec_driver_sql("insert into office (id, uid, name, code, role, demo, created_at) values "
                             "(1, 'u', '旧版本镇人大', '420381103000', 'town', 0, '2025-01-01 00:00:00')")
    engine.dispose()
    ctx = Context.open(data_dir)
    try:
        made = backups.list_backups(ctx)
        assert len(made) == 1 and made[0].reason == "migrate" and made[0].revision == "0001" and made[0].checked
        assert ctx.store.migration_backup == made[0].path
    finally:
        ctx.close()


def test_a_backup_is_refused_when_the_disk_is_nearly_full(ctx, monkeypatch):
    import shutil

    monkeypatch.setattr(shutil, "disk_usage", lambda _p: shutil._ntuple_diskusage(10, 10, 1024))
    with pytest.raises(CongressError, match="磁盘空间不足"):
        backups.backup_before(ctx, "manual")


# ------------------------------------------------------------------ restore
def test_restore_brings_back_the_backup_and_keeps_the_replaced_file(demo_ctx):
    info = backups.backup_before(demo_ctx, "manual")
    deputies.create_deputy(demo_ctx, GOOD)
    assert deputies.count_deputies(demo_ctx) == 65
    shown = backups.inspect_backup(info.path)
    assert shown.count("代表") == 64 and shown.made_at == info.made_at
    result = backups.restore_backup(demo_ctx, info.path)
    assert deputies.count_deputies(demo_ctx) == 64  # the same Context works on the restored file
    assert result.before is not None and result.before.reason == "restore"
    assert count_deputies(result.before.path) == 65  # the current file was backed up first
    assert not list(demo_ctx.data_dir.glob("*.restoring"))


def test_restore_refuses_another_offices_backup(ctx, demo_ctx, tmp_path):
    other = files.make_backup(ctx.db_path, "usb", folder=tmp_path)  # 丹江口市六里坪镇 too: make it another office
    con = sqlite3.connect(other.path)
    con.execute("update office set code = '420381104000', name = '另一个镇人大'")
    con.commit()
    con.close()
    with pytest.raises(InvalidInput, match="不是本单位的数据"):
        backups.restore_backup(demo_ctx, other.path)
    assert deputies.count_deputies(demo_ctx) == 64


def test_restore_refuses_a_damaged_backup_and_a_file_that_is_no_backup(demo_ctx, tmp_path):
    info = backups.backup_before(demo_ctx, "manual")
    corrupt(info.path)
    with pytest.raises(InvalidInput):
        backups.restore_backup(demo_ctx, info.path)
    text = tmp_path / "notes.sqlite3"
    text.write_text("这不是数据库", encoding="utf-8")
    with pytest.raises(InvalidInput, match="不是"):
        backups.inspect_backup(text)
    assert deputies.count_deputies(demo_ctx) == 64


def test_restore_refuses_a_backup_made_by_a_newer_version(demo_ctx):
    info = backups.backup_before(demo_ctx, "manual")
    con = sqlite3.connect(info.path)
    con.execute("insert into alembic_version values ('9999_from_the_future')")
    con.commit()
    con.close()
    with pytest.raises(InvalidInput, match="更新版本"):
        backups.restore_backup(demo_ctx, info.path)


def test_backup_to_a_stick_copies_the_attachments_and_restore_brings_them_back(demo_ctx, tmp_path):
    from congress_desktop.backups import stick as stick_backups
    from congress_desktop.visits import attachments

    scan = tmp_path / "签到表.jpg"
    scan.write_bytes(b"\xff\xd8\xff" + b"scan" * 1000)
    visit_id = _a_visit(demo_ctx)
    att = attachments.add_attachment(demo_ctx, "visit", visit_id, scan)
    stick = tmp_path / "U盘"
    stick.mkdir()
    stick_backups.set_passphrase(demo_ctx, "镇人大备份口令2026", "镇人大备份口令2026")
    made = backups.backup_to_folder(demo_ctx, stick, passphrase="镇人大备份口令2026")
    info = made.info
    assert info.path.parent == stick and info.office_code in info.path.name and info.reason == "usb"
    assert made.attachments_written == 1
    assert not (stick / "congress-attachments").exists()  # no attachment in clear on the stick
    assert not any(scan.read_bytes()[:40] in p.read_bytes() for p in stick.rglob("*") if p.is_file())
    assert backups.list_folder_backups(stick)[0].path == info.path  # the stick lists like the backups folder
    # the PC's disk dies: the attachment file is gone; restoring from the stick brings it back
    attachments.stored_path(demo_ctx, att.sha256).unlink()
    result = backups.restore_backup(demo_ctx, info.path, passphrase="镇人大备份口令2026")
    assert result.attachments_copied == 1
    assert attachments.stored_path(demo_ctx, att.sha256).read_bytes() == scan.read_bytes()


def test_an_old_plain_stick_backup_restores_with_the_attachments_beside_it(demo_ctx, tmp_path):
    """Stick backups made before they were encrypted: a .sqlite3 file and congress-attachments/."""
    from congress_desktop.visits import attachments

    scan = tmp_path / "照片.jpg"
    scan.write_bytes(b"\xff\xd8\xff" + b"photo" * 700)
    att = attachments.add_attachment(demo_ctx, "visit", _a_visit(demo_ctx), scan)
    stick = tmp_path / "旧U盘"
    info = files.make_backup(demo_ctx.db_path, "usb", folder=stick, office_code_in_name=True)
    files.copy_tree_incremental(demo_ctx.data_dir / "attachments", stick / backups.USB_ATTACHMENTS)
    attachments.stored_path(demo_ctx, att.sha256).unlink()
    assert not backups.inspect_backup(info.path).encrypted
    result = backups.restore_backup(demo_ctx, info.path)
    assert result.attachments_copied == 1
    assert attachments.stored_path(demo_ctx, att.sha256).read_bytes() == scan.read_bytes()


def _a_visit(ctx) -> str:
    con = sqlite3.connect(ctx.db_path)
    try:
        return con.execute("select id from visit where deleted = 0 limit 1").fetchone()[0]
    finally:
        con.close()


# ------------------------------------------------------------------ damaged database
def test_a_damaged_database_is_not_opened_and_the_newest_good_backup_is_offered(demo_ctx):
    older = files.make_backup(demo_ctx.db_path, "daily", now=dt.datetime(2026, 1, 1, 9))
    newer = files.make_backup(demo_ctx.db_path, "daily", now=dt.datetime(2026, 1, 2, 9))
    corrupt(newer.path)  # the newest backup rotted too: the one before it is offered
    folder = demo_ctx.data_dir
    demo_ctx.close()
    corrupt(folder / "congress.sqlite3")
    with pytest.raises(DatabaseDamaged) as e:
        Context.open(folder)
    assert e.value.backup is not None and e.value.backup.path == older.path
    assert "已损坏" in e.value.message and "congress-desktop restore" in e.value.message
    result = backups.restore_damaged(folder, e.value.backup.path)
    assert result.set_aside is not None and (result.set_aside / "congress.sqlite3").exists()  # kept, not deleted
    again = Context.open(folder)
    try:
        assert deputies.count_deputies(again) == 64
    finally:
        again.close()


def test_a_damaged_database_without_any_backup_says_so(ctx):
    folder = ctx.data_dir
    for i in range(30):
        deputies.create_deputy(ctx, GOOD | {"name": f"代表{chr(0x4e00 + i)}", "id_number": "",
                                            "mobile": f"138{i:08d}"})
    ctx.close()
    corrupt(folder / "congress.sqlite3")
    with pytest.raises(DatabaseDamaged) as e:
        Context.open(folder)
    assert e.value.backup is None and "没有找到完好的自动备份" in e.value.message


def test_damage_in_a_big_file_is_found_by_the_background_check(demo_ctx, monkeypatch):
    """A file too big for the check at every open gets its full check with the daily backup."""
    monkeypatch.setattr(files, "QUICK_CHECK_MAX_BYTES", 0)
    good = files.make_backup(demo_ctx.db_path, "daily", now=dt.datetime.now() - dt.timedelta(days=2))
    folder = demo_ctx.data_dir
    demo_ctx.close()
    damage_table(folder / "congress.sqlite3", pattern=b"\x00\x01")  # a table page, not the schema
    ctx = Context.open(folder)  # the light check at open does not see it
    try:
        result = backups.startup_maintenance(ctx)
        assert result.damaged and result.good_backup is not None and result.good_backup.path == good.path
        restored = backups.replace_damaged(ctx, good.path)
        assert restored.set_aside is not None
        assert deputies.count_deputies(ctx) == 64
        assert backups.check_data(folder).ok
    finally:
        ctx.close()


def test_an_empty_file_from_an_interrupted_first_start_is_taken_as_new(data_dir):
    (data_dir / "congress.sqlite3").write_bytes(b"")
    ctx = Context.open(data_dir)
    try:
        assert ctx.office is None
    finally:
        ctx.close()


# ------------------------------------------------------------------ check
def test_check_finds_a_changed_attachment_and_a_missing_one(demo_ctx, tmp_path):
    from congress_desktop.visits import attachments

    visit_id = _a_visit(demo_ctx)
    paths = []
    for name, body in (("a.jpg", b"first" * 100), ("b.jpg", b"second" * 100)):
        (tmp_path / name).write_bytes(body)
        row = attachments.add_attachment(demo_ctx, "visit", visit_id, tmp_path / name)
        paths.append(attachments.stored_path(demo_ctx, row.sha256))
    assert backups.check_data(demo_ctx.data_dir).ok
    paths[0].write_bytes(b"changed by a dying disk")
    paths[1].unlink()
    report = backups.check_data(demo_ctx.data_dir)
    assert not report.ok
    assert report.bad_files == (str(paths[0]),)
    assert len(report.missing_files) == 1 and "b.jpg" in report.missing_files[0]
    assert report.rows_checked == 2
