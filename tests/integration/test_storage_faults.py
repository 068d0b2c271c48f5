"""A full disk, a read-only folder or file: every write says so in Chinese, names the drive or the folder,
changes nothing, and leaves no half-written file. Real faults (tests/storagefaults.py): a small tmpfs
that really fills up or is really read-only where mounting is allowed, else SQLite's own limits."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
from openpyxl import Workbook

from congress_desktop import cli
from congress_desktop.backups import service as backups
from congress_desktop.core import errors
from congress_desktop.core.context import Context
from congress_desktop.core.errors import StorageFull, StorageReadOnly, storage_error
from congress_desktop.core.idcard import check_char
from congress_desktop.core.store import backup_files as files
from congress_desktop.deputies import importing as deputy_import
from congress_desktop.deputies import service as deputies
from tests.storagefaults import (
    assert_no_raw_text,
    database_full,
    database_read_only,
    fill,
    needs_mount,
    read_only_file,
    remount_read_only,
    small_disk,
)

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "建国秀英德胜明华志强海燕春兰玉梅金山丽娟"


def roster(path: Path, n: int = 300) -> Path:
    """``n`` new deputies with valid ID numbers, none of them in the demo town."""
    wb = Workbook()
    ws = wb.active
    ws.append(["姓名", "性别", "出生年月", "身份证号", "联系电话"])
    for i in range(n):
        name = SURNAMES[i % 20] + GIVEN[(i // 20) % 20] + GIVEN[(i * 7) % 20]
        birth = f"19{60 + i % 30}{1 + i % 12:02d}{1 + i % 28:02d}"
        first = f"420381{birth}{i % 1000:03d}"
        ws.append([name, "男" if i % 2 else "女", f"{birth[:4]}-{birth[4:6]}", first + check_char(first),
                   f"138{i:08d}"])
    wb.save(path)
    return path


def count(db: Path, table: str = "deputy") -> int:
    con = sqlite3.connect(db)
    try:
        return con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    finally:
        con.close()


def run(capsys, folder: Path, *args: str) -> tuple[int, str, str]:
    code = cli.main(["--data-dir", str(folder), *args])
    got = capsys.readouterr()
    return code, got.out, got.err


def copy_town(template: Path, folder: Path) -> Path:
    shutil.copytree(template, folder, ignore=shutil.ignore_patterns("logs", "backups"), dirs_exist_ok=True)
    return folder


def no_part_files(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.name.endswith((".part", ".part-journal", ".restoring"))
            or p.name.startswith(".part-")]


# ------------------------------------------------------------------ the translator, on real errors
def test_real_sqlite_and_system_errors_are_told_apart(tmp_path):
    db = tmp_path / "congress.sqlite3"
    con = sqlite3.connect(db)
    con.execute("CREATE TABLE t (x UNIQUE)")
    con.execute("INSERT INTO t VALUES (1)")
    con.commit()
    con.execute("PRAGMA query_only = 1")
    with pytest.raises(sqlite3.OperationalError) as ro:
        con.execute("INSERT INTO t VALUES (2)")
    con.execute("PRAGMA query_only = 0")
    con.execute(f"PRAGMA max_page_count = {con.execute('PRAGMA page_count').fetchone()[0]}")
    with pytest.raises(sqlite3.OperationalError) as full:
        con.executemany("INSERT INTO t VALUES (?)", [("x" * 2000 + str(i),) for i in range(50)])
    with pytest.raises(sqlite3.IntegrityError) as dup:
        con.execute("INSERT INTO t VALUES (1)")
    with pytest.raises(sqlite3.OperationalError) as missing:
        con.execute("SELECT * FROM nothing_here")
    con.close()

    told = storage_error(full.value, db)
    assert isinstance(told, StorageFull) and "磁盘空间不足" in told.message and "请清理出至少" in told.message
    told = storage_error(ro.value, db)
    assert isinstance(told, StorageReadOnly) and f"数据库文件 {db} 是只读的" in told.message
    assert storage_error(dup.value, db) is None and storage_error(missing.value, db) is None
    with pytest.raises(FileNotFoundError) as gone:
        open(tmp_path / "no" / "such.txt", "rb")
    assert storage_error(gone.value, tmp_path) is None


def test_a_congress_error_raised_from_a_full_database_is_shown_as_the_full_disk(tmp_path):
    db = tmp_path / "congress.sqlite3"
    con = sqlite3.connect(db)
    con.execute("CREATE TABLE t (x)")
    con.commit()
    con.execute(f"PRAGMA max_page_count = {con.execute('PRAGMA page_count').fetchone()[0]}")
    try:
        try:
            con.executemany("INSERT INTO t VALUES (?)", [("x" * 3000,)] * 20)
        except sqlite3.OperationalError as e:  # as the sync import wraps it: SQLite's English inside
            raise errors.CongressError(f"写入数据库时出错（{e}），已整包撤销，本机数据未改变") from e
    except errors.CongressError as wrapped:
        shown = errors.translate(wrapped, db)
    finally:
        con.close()
    assert isinstance(shown, StorageFull)
    assert_no_raw_text(shown.message)


# ------------------------------------------------------------------ a full database
def test_a_deputy_import_into_a_full_database_applies_nothing_and_says_the_disk_is_full(demo_ctx, tmp_path):
    sheet = roster(tmp_path / "名册.xlsx")
    with database_full(demo_ctx.db_path, engine=demo_ctx.store.engine), pytest.raises(StorageFull) as e:
        deputy_import.import_deputies(demo_ctx, sheet)
    assert "磁盘空间不足" in e.value.message and "请清理出至少" in e.value.message
    assert_no_raw_text(e.value.message)
    assert deputies.count_deputies(demo_ctx) == 64  # rolled back: not one of the 300
    assert deputy_import.import_deputies(demo_ctx, sheet).applied == 300  # with room again, the same file goes in


def test_a_deputy_import_from_the_cli_into_a_full_database_prints_the_message_and_exits_1(
        capsys, _demo_template, tmp_path):
    town = copy_town(_demo_template, tmp_path / "town")
    sheet = roster(tmp_path / "名册.xlsx")
    with database_full(town / "congress.sqlite3"):
        code, out, err = run(capsys, town, "deputies", "import", str(sheet))
    assert code == 1 and "磁盘空间不足" in err and "请清理出至少" in err
    assert_no_raw_text(out + err)
    assert count(town / "congress.sqlite3") == 64


@needs_mount
def test_a_deputy_import_on_a_disk_that_fills_up_applies_nothing_and_names_the_disk(
        capsys, _demo_template, tmp_path):
    sheet = roster(tmp_path / "名册.xlsx")
    disk = tmp_path / "disk"
    with small_disk(disk, 8 * 1024 * 1024):
        town = copy_town(_demo_template, disk / "town")
        assert run(capsys, town, "info")[0] == 0  # opened once: the log file is there
        filler = fill(disk, leave=96 * 1024)
        code, out, err = run(capsys, town, "deputies", "import", str(sheet))
        assert code == 1 and f"磁盘空间不足：磁盘 {disk}" in err and "请清理出至少" in err
        assert_no_raw_text(out + err)
        filler.unlink()
        assert count(town / "congress.sqlite3") == 64
        assert run(capsys, town, "deputies", "import", str(sheet))[0] == 0  # room again: all of it goes in
        assert count(town / "congress.sqlite3") == 364


# ------------------------------------------------------------------ backups on a full disk
@needs_mount
def test_a_backup_to_a_stick_too_small_writes_nothing_and_says_how_much_to_free(capsys, _demo_template, tmp_path):
    town = copy_town(_demo_template, tmp_path / "town")
    stick = tmp_path / "stick"
    pw = tmp_path / "pass.txt"
    pw.write_text("六里坪镇人大的备份口令\n", encoding="utf-8")
    assert run(capsys, town, "backups", "set-passphrase", "--passphrase-file", str(pw))[0] == 0
    with small_disk(stick, 2 * 1024 * 1024):
        code, out, err = run(capsys, town, "backup", "--to", str(stick), "--passphrase-file", str(pw))
        assert code == 1 and f"磁盘空间不足：磁盘 {stick}" in err and "请清理出至少" in err
        assert_no_raw_text(out + err)
        assert list(stick.iterdir()) == []


@needs_mount
def test_a_backup_that_fills_the_disk_midway_leaves_no_partial_file(demo_ctx, tmp_path):
    stick = tmp_path / "stick"
    size = files._size_of(demo_ctx.db_path)
    with small_disk(stick, size + files.SPACE_MARGIN + 4 * 1024 * 1024):  # passes the check before writing
        filled: list[Path] = []

        def progress(done: int, _total: int) -> None:
            if done and not filled:  # after the first pages: someone else takes the rest of the disk
                filled.append(fill(stick, leave=0))

        with pytest.raises(StorageFull) as e:
            files.make_backup(demo_ctx.db_path, "usb", folder=stick, progress=progress)
        assert f"磁盘空间不足：磁盘 {stick}" in e.value.message
        assert_no_raw_text(e.value.message)
        assert sorted(p.name for p in stick.iterdir()) == ["filler.bin"]  # no .part, no -journal, no .json
        filled[0].unlink()
        info = files.make_backup(demo_ctx.db_path, "usb", folder=stick)
        assert info.checked and info.count("代表") == 64


@needs_mount
def test_the_automatic_backup_on_a_full_data_disk_is_refused_and_nothing_is_left(capsys, _demo_template, tmp_path):
    disk = tmp_path / "disk"
    with small_disk(disk, 8 * 1024 * 1024):
        town = copy_town(_demo_template, disk / "town")
        fill(disk, leave=1024 * 1024)
        code, out, err = run(capsys, town, "backup")
        assert code == 1 and "磁盘空间不足" in err and "没有开始备份" in err
        assert_no_raw_text(out + err)
        assert not list((town / "backups").glob("*")) and not no_part_files(town)


# ------------------------------------------------------------------ a read-only database
def test_a_save_from_the_cli_on_a_read_only_database_prints_the_message_and_exits_1(capsys, _demo_template, tmp_path):
    town = copy_town(_demo_template, tmp_path / "town")
    db = town / "congress.sqlite3"
    units = count(db, "handling_unit")
    with database_read_only():
        code, out, err = run(capsys, town, "units", "add", "六里坪镇农业服务中心")
        assert code == 1 and "是只读的" in err and str(db) in err
        assert_no_raw_text(out + err)
        assert run(capsys, town, "info")[0] == 0  # reading still works
    assert count(db, "handling_unit") == units


@needs_mount
def test_a_read_only_database_file_refuses_a_save_and_names_the_file(capsys, _demo_template, tmp_path):
    town = copy_town(_demo_template, tmp_path / "town")
    db = town / "congress.sqlite3"
    units = count(db, "handling_unit")
    with read_only_file(db):
        code, out, err = run(capsys, town, "units", "add", "六里坪镇农业服务中心")
        assert code == 1 and f"数据库文件 {db} 是只读的" in err
        assert_no_raw_text(out + err)
    assert count(db, "handling_unit") == units


@needs_mount
def test_a_read_only_data_folder_is_said_as_such_not_as_damage(capsys, _demo_template, tmp_path):
    disk = tmp_path / "disk"
    with small_disk(disk, 16 * 1024 * 1024):
        town = copy_town(_demo_template, disk / "town")
        before = (town / "congress.sqlite3").read_bytes()
        remount_read_only(disk)
        for args in (["units", "add", "六里坪镇农业服务中心"], ["info"], ["check"], ["backup"]):
            code, out, err = run(capsys, town, *args)
            assert code == 1 and f"数据文件夹 {town} 是只读的" in err, (args, err)
            assert "损坏" not in out + err  # a WAL database cannot even be read there: no damage of the file
            assert_no_raw_text(out + err)
        assert (town / "congress.sqlite3").read_bytes() == before


@needs_mount
def test_the_window_side_opening_of_a_read_only_folder_says_so(_demo_template, tmp_path):
    disk = tmp_path / "disk"
    with small_disk(disk, 16 * 1024 * 1024):
        town = copy_town(_demo_template, disk / "town")
        remount_read_only(disk)
        with pytest.raises(StorageReadOnly) as e:
            Context.open(town)
        assert e.value.folder == str(town)
        with pytest.raises(StorageReadOnly):
            backups.check_data(town)


# ------------------------------------------------------------------ a sync import into a full database
def _city_and_package(town_ctx: Context, city_folder: Path, tmp_path: Path) -> tuple[Context, Path]:
    from congress_desktop.sync import service as sync
    from tests.synchelp import enrol, make_city

    city = make_city(city_folder)
    sync.init_keys(town_ctx)
    enrol(city, town_ctx, tmp_path / "papers")
    sync.export_packages(town_ctx, tmp_path / "stick")
    return city, tmp_path / "stick"


def test_a_sync_import_into_a_full_database_is_refused_in_chinese_and_changes_nothing(demo_ctx, tmp_path):
    from congress_desktop.sync import service as sync
    from tests.synchelp import dump

    city, stick = _city_and_package(demo_ctx, tmp_path / "city", tmp_path)
    try:
        before = dump(city)
        with database_full(city.db_path, engine=city.store.engine):
            report = sync.import_from(city, stick, backup=False)
        (out,) = report.packages
        assert out.status == "refused" and "磁盘空间不足" in out.message
        assert_no_raw_text(out.message)
        assert dump(city) == before
    finally:
        city.close()


@needs_mount
def test_a_sync_import_from_the_cli_on_a_disk_that_fills_up_names_the_disk_and_changes_nothing(
        capsys, demo_ctx, tmp_path):
    from tests.synchelp import dump

    disk = tmp_path / "disk"
    with small_disk(disk, 16 * 1024 * 1024):
        city, stick = _city_and_package(demo_ctx, disk / "city", tmp_path)
        before = dump(city)
        city.close()
        assert run(capsys, disk / "city", "sync", "status")[0] == 0  # the log file is there
        filler = fill(disk, leave=96 * 1024)
        code, out, err = run(capsys, disk / "city", "sync", "import", str(stick))
        assert code == 1 and f"磁盘空间不足：磁盘 {disk}" in out + err, out + err
        assert_no_raw_text(out + err)
        filler.unlink()
        city = Context.open(disk / "city")
        try:
            assert dump(city) == before
        finally:
            city.close()


@needs_mount
def test_an_attachment_that_does_not_fit_leaves_no_partial_file(demo_ctx, tmp_path):
    from congress_desktop.visits import attachments

    scan = tmp_path / "扫描件.pdf"
    scan.write_bytes(b"%PDF-" + b"\x01" * (3 * 1024 * 1024))
    store = Path(demo_ctx.data_dir) / "attachments"
    store.mkdir(exist_ok=True)
    with small_disk(store, 1024 * 1024):
        with pytest.raises(StorageFull) as e:
            attachments.store_file(demo_ctx, scan)
        assert f"磁盘空间不足：磁盘 {store}" in e.value.message
        assert [p for p in store.rglob("*") if p.is_file()] == []
