"""The window and storage faults: a save on a read-only or full database shows the Chinese message (not
the unexpected-error dialog with SQLite's English), a database of a newer program is offered the
restore of the newest backup this version can open at start, and 检查数据 says what it rebuilt.
Real widgets offscreen, real files; the modal dialogs through their seams."""

from __future__ import annotations

import datetime as dt
import shutil
import sqlite3
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QMessageBox

import ui.widgets
from congress_desktop.core.context import Context
from congress_desktop.core.errors import NEWER_SCHEMA_TEXT, StorageFull, StorageReadOnly
from congress_desktop.core.store import backup_files as files
from congress_desktop.deputies import service as deputies
from tests.storagefaults import assert_no_raw_text, database_full, database_read_only
from ui import data_safety, tasks
from ui.main_window import MainWindow

GOOD = {"name": "王建国", "id_number": "420381198001011238"}


class Dialogs:
    """Modal dialogs recorded instead of run: (kind, text)."""

    def __init__(self):
        self.seen: list[tuple[str, str]] = []

    def __call__(self, dlg):
        if isinstance(dlg, QMessageBox):
            self.seen.append(("box", dlg.text()))
        else:
            self.seen.append((type(dlg).__name__, getattr(dlg, "details", "")))
        return 0


@pytest.fixture
def dialogs(monkeypatch):
    d = Dialogs()
    monkeypatch.setattr(ui.widgets, "exec_modal", d)
    return d


@pytest.fixture
def window(qtbot, demo_ctx, dialogs):
    w = MainWindow(demo_ctx, settings=QSettings(str(Path(demo_ctx.data_dir) / "window.ini"),
                                                QSettings.Format.IniFormat))
    qtbot.addWidget(w)
    w.show()
    return w


def test_a_save_on_a_read_only_database_shows_the_chinese_message(qtbot, window, demo_ctx, dialogs):
    with database_read_only(engine=demo_ctx.store.engine):
        handle = tasks.run_task(window, "正在保存", lambda p, c: deputies.create_deputy(demo_ctx, GOOD), lambda r: None)
        assert handle.wait(20000)
    assert isinstance(handle.error, StorageReadOnly)
    assert dialogs.seen == [("box", handle.error.message)] and "是只读的" in dialogs.seen[0][1]
    assert deputies.count_deputies(demo_ctx) == 64


def test_a_raw_database_error_outside_a_unit_of_work_is_told_in_chinese_too(qtbot, window, demo_ctx, dialogs):
    """Work that uses the engine itself (as the sync import does) meets the window's own translator."""
    def write(_p, _c):
        with demo_ctx.store.engine.begin() as conn:
            conn.exec_driver_sql("CREATE TABLE filler (x)")
            conn.exec_driver_sql("INSERT INTO filler SELECT zeroblob(60000) FROM deputy")

    with database_full(demo_ctx.db_path, engine=demo_ctx.store.engine):
        handle = tasks.run_task(window, "正在导入", write, lambda r: None)
        assert handle.wait(20000)
    assert isinstance(handle.error, StorageFull)
    kind, text = dialogs.seen[0]
    assert kind == "box" and "磁盘空间不足" in text and str(demo_ctx.data_dir) in text
    assert_no_raw_text(text)
    con = sqlite3.connect(demo_ctx.db_path)
    try:
        assert con.execute("SELECT 1 FROM sqlite_master WHERE name = 'filler'").fetchone() is None  # rolled back
    finally:
        con.close()


def test_check_data_in_the_window_says_which_index_it_rebuilt(qtbot, window, demo_ctx, dialogs):
    con = sqlite3.connect(demo_ctx.db_path)
    con.execute("DROP INDEX ix_deputy_name_pinyin")
    con.commit()
    con.close()
    window.show_page("settings").backups.check_button.click()
    qtbot.waitUntil(lambda: any("结论" in t for _k, t in dialogs.seen), timeout=20000)
    text = next(t for _k, t in dialogs.seen if "结论" in t)
    assert "已重建索引 ix_deputy_name_pinyin" in text and "结论：全部正常（已修复 1 处" in text


# ------------------------------------------------------------------ a newer program's database at start
@pytest.fixture
def newer(_demo_template, tmp_path) -> tuple[Path, Path]:
    folder = tmp_path / "town"
    shutil.copytree(_demo_template, folder, ignore=shutil.ignore_patterns("logs", "backups"))
    ctx = Context.open(folder)
    try:
        good = files.make_backup(ctx.db_path, "daily", now=dt.datetime.now() - dt.timedelta(days=1))
        deputies.create_deputy(ctx, GOOD)
    finally:
        ctx.close()
    con = sqlite3.connect(folder / "congress.sqlite3")
    con.execute("UPDATE alembic_version SET version_num = '9999_future'")
    con.commit()
    con.close()
    return folder, good.path


def _answer(monkeypatch, index: int) -> list[tuple[str, list[str]]]:
    asked: list[tuple[str, list[str]]] = []
    monkeypatch.setattr(data_safety, "choose",
                        lambda parent, title, text, options, **kw: asked.append((text, options)) or index)
    return asked


def test_a_newer_database_at_start_is_restored_from_the_offered_backup(qtbot, newer, dialogs, monkeypatch):
    folder, good = newer
    asked = _answer(monkeypatch, 0)
    ctx = data_safety.open_context(folder)
    try:
        assert ctx is not None and deputies.count_deputies(ctx) == 64
        text, options = asked[0]
        assert NEWER_SCHEMA_TEXT in text and "9999_future" in text and "代表 64 名" in text
        assert options == ["用备份恢复", "退出"]
        assert "由更新版本创建的数据库保存在" in asked[1][0]
        kept = list((folder / "backups").glob("newer-*/congress.sqlite3"))
        assert len(kept) == 1
    finally:
        if ctx is not None:
            ctx.close()


def test_quitting_at_the_newer_database_question_changes_nothing(qtbot, newer, dialogs, monkeypatch):
    folder, _good = newer
    before = (folder / "congress.sqlite3").read_bytes()
    listing = sorted(p.name for p in (folder / "backups").iterdir())
    _answer(monkeypatch, 1)  # 退出
    for _ in range(3):
        assert data_safety.open_context(folder) is None
    assert (folder / "congress.sqlite3").read_bytes() == before
    assert sorted(p.name for p in (folder / "backups").iterdir()) == listing
