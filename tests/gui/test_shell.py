"""The shell: main window, pages, shortcuts, background tasks, error dialogs, application start."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QMessageBox

import ui.widgets
from congress_desktop.core.context import Context
from congress_desktop.core.errors import Cancelled, InvalidInput
from ui import tasks
from ui.errors import UNEXPECTED_TEXT, UnexpectedErrorDialog, show_error
from ui.main_window import PAGES, MainWindow
from ui.pages.placeholder import IN_DEVELOPMENT, PlaceholderPage

ROOT = Path(__file__).resolve().parents[2]
NOT_BUILT = [spec.key for spec in PAGES if spec.factory is None]  # areas not built yet


@pytest.fixture
def shown(monkeypatch):
    """Modal dialogs are recorded instead of run (the seam every module uses)."""
    dialogs: list = []
    monkeypatch.setattr(ui.widgets, "exec_modal", lambda dlg: dialogs.append(dlg) or 0)
    return dialogs


def make_window(qtbot, ctx) -> MainWindow:
    settings = QSettings(str(Path(ctx.data_dir) / "window.ini"), QSettings.Format.IniFormat)
    w = MainWindow(ctx, settings=settings)
    qtbot.addWidget(w)
    return w


def show_active(qtbot, w) -> None:
    w.show()
    w.activateWindow()
    qtbot.waitUntil(w.isActiveWindow)  # shortcuts need the active window


@pytest.fixture
def window(qtbot, demo_ctx, shown):
    return make_window(qtbot, demo_ctx)


# ---------------------------------------------------------------- main window

def test_title_and_status_bar_show_office_and_data_file(window, demo_ctx):
    assert window.windowTitle() == "乡镇人大工作台 — 丹江口市六里坪镇人大"
    assert "丹江口市六里坪镇人大" in window.office_label.text()
    assert str(demo_ctx.db_path) in window.data_label.text()
    window.status("已导出 62 名代表")
    assert window.statusBar().currentMessage() == "已导出 62 名代表"


def test_every_page_can_be_shown_with_its_title(window):
    assert [window.nav.item(i).text() for i in range(window.nav.count())] == [
        "首页", "代表", "村(社区)", "联系站点", "联系点接待", "网格", "票决", "建议督办", "履职考评", "同步", "设置"]
    for spec in PAGES:
        page = window.show_page(spec.key)
        assert window.current_key() == spec.key
        assert window.page_title.text() == spec.title
        assert window.nav.currentItem().text() == spec.title
        assert window.stack.currentWidget() is page
        assert not page.property("broken"), f"page {spec.key} failed to build (see log)"


def test_areas_not_built_yet_say_so_honestly(window):
    for key in NOT_BUILT:  # may be empty once every area exists
        page = window.show_page(key)
        assert isinstance(page, PlaceholderPage)
        assert "正在开发中" in page.notice_label.text() == IN_DEVELOPMENT
        assert page.purpose_label.text()


def test_home_page_counts_come_from_the_database(window, demo_ctx):
    home = window.show_page("home")
    assert home.last_task.wait()  # the figures are counted on the database worker
    assert home.office_name.text() == "丹江口市六里坪镇人大"
    assert "420381103000" in home.office_line.text()
    assert home.deputies_tile.value.text() == "62"  # 64 minus one suspended and one terminated
    assert home.villages_tile.value.text() == "20"
    assert home.points_tile.value.text() == "8"
    assert home.level_labels["town"].text() == "62 名"
    assert home.level_labels["county"].text() == "8 名"
    assert str(demo_ctx.db_path) in home.where_label.text()


def test_settings_page_shows_data_folder_and_version(window, demo_ctx):
    page = window.show_page("settings")
    assert page.data_label.text() == str(demo_ctx.data_dir)
    assert page.open_data.text() == "打开数据文件夹"


def test_ctrl_number_switches_page_and_puts_focus_in_it(qtbot, window):
    show_active(qtbot, window)
    qtbot.keyClick(window, Qt.Key.Key_0, Qt.KeyboardModifier.ControlModifier)
    assert window.current_key() == window.specs[9].key  # Ctrl+0 is the tenth page
    qtbot.waitUntil(lambda: window.stack.currentWidget().isAncestorOf(QApplication.focusWidget()))
    qtbot.keyClick(window, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)
    assert window.current_key() == "home"


def test_f1_opens_the_help(qtbot, window):
    show_active(qtbot, window)
    qtbot.keyClick(window, Qt.Key.Key_F1)
    assert window._help is not None and window._help.isVisible()
    text = window._help.browser.toPlainText()
    for words in ("拼音首字母", "一条也不写入", "导出", "打印", "首次启动"):
        assert words in text


def test_about_runs_through_the_modal_seam(window, shown):
    window.show_about()
    assert isinstance(shown[-1], QMessageBox) and "乡镇人大工作台" in shown[-1].text()


def test_window_geometry_is_remembered(qtbot, demo_ctx, shown):
    w = make_window(qtbot, demo_ctx)
    w.show()
    w.setGeometry(30, 40, 770, 560)  # the offscreen screen is small: stay inside it
    qtbot.waitUntil(lambda: w.size().width() == 770)
    w.close()
    again = make_window(qtbot, demo_ctx)
    assert (again.size().width(), again.size().height()) == (770, 560)


def test_a_page_module_that_does_not_exist_yet_becomes_a_placeholder(qtbot, demo_ctx):
    from ui.main_window import PageSpec, external_page

    specs = [PageSpec("x", "将来", "将", "以后的功能", external_page("ui.pages.not_there", "X", "将来", "以后的功能"))]
    w = MainWindow(demo_ctx, pages=specs, settings=QSettings(str(demo_ctx.data_dir / "w.ini"),
                                                             QSettings.Format.IniFormat))
    qtbot.addWidget(w)
    assert isinstance(w.stack.currentWidget(), PlaceholderPage)


# ---------------------------------------------------------------- background tasks

def test_success_callback_gets_the_result_on_the_gui_thread(qtbot, window):
    seen = {}

    def work(progress, cancel):
        seen["worker"] = threading.current_thread()
        return 41 + 1

    def done(result):
        seen["result"] = result
        seen["callback"] = threading.current_thread()

    handle = tasks.run_task(window, "计算", work, done)
    with qtbot.waitSignal(handle.finished, timeout=5000):
        pass
    assert seen["result"] == 42
    assert seen["callback"] is threading.main_thread()
    assert seen["worker"] is not threading.main_thread()


def test_quick_work_shows_no_progress_dialog(qtbot, window, monkeypatch):
    made = []
    monkeypatch.setattr(tasks, "ProgressDialog", lambda *a: made.append(a))
    handle = tasks.run_task(window, "很快", lambda p, c: None, lambda r: None)
    assert handle.wait(5000)
    qtbot.wait(50)
    assert made == []


def test_progress_dialog_appears_and_cancel_stops_the_work(qtbot, window):
    state = {"steps": 0, "success": False}

    def work(progress, cancel):
        for i in range(2000):
            if cancel():
                raise Cancelled()
            progress(i, 2000)
            state["steps"] = i
            time.sleep(0.005)
        return "done"

    handle = tasks.run_task(window, "正在导入代表", work, lambda r: state.update(success=True),
                            show_after_ms=50)
    qtbot.waitUntil(lambda: handle.dialog is not None and handle.dialog.isVisible(), timeout=5000)
    qtbot.waitUntil(lambda: handle.dialog.bar.value() > 0, timeout=5000)
    assert handle.dialog.bar.maximum() == 2000
    assert "正在导入代表" in handle.dialog.label.text()
    with qtbot.waitSignal(handle.finished, timeout=5000):
        qtbot.mouseClick(handle.dialog.cancel_button, Qt.MouseButton.LeftButton)
    assert not state["success"]
    assert state["steps"] < 1999
    assert isinstance(handle.error, Cancelled)
    assert window.statusBar().currentMessage() == "已取消"
    assert handle.dialog is None


def test_an_unexpected_exception_reaches_the_error_dialog(qtbot, window, shown):
    def work(progress, cancel):
        raise ValueError("boom")

    handle = tasks.run_task(window, "出错", work, lambda r: pytest.fail("no success expected"))
    assert handle.wait(5000)
    assert len(shown) == 1 and isinstance(shown[0], UnexpectedErrorDialog)
    assert "ValueError: boom" in shown[0].details
    assert "work" in shown[0].details  # the traceback from the worker thread


def test_a_congress_error_shows_its_chinese_message(qtbot, window, shown):
    def work(progress, cancel):
        raise InvalidInput("第 3 行：身份证号校验位不正确")

    handle = tasks.run_task(window, "导入", work, lambda r: None)
    assert handle.wait(5000)
    assert isinstance(shown[0], QMessageBox)
    assert shown[0].text() == "第 3 行：身份证号校验位不正确"


def test_on_error_replaces_the_default_dialog(qtbot, window, shown):
    got = []
    handle = tasks.run_task(window, "导入", lambda p, c: 1 / 0, lambda r: None, on_error=got.append)
    assert handle.wait(5000)
    assert isinstance(got[0], ZeroDivisionError) and shown == []


# ---------------------------------------------------------------- error dialog

def test_unexpected_error_dialog_copies_details_and_logs_the_traceback(qtbot, shown, caplog):
    try:
        raise RuntimeError("磁盘已满")
    except RuntimeError as e:
        exc = e
    with caplog.at_level(logging.ERROR):
        show_error(None, exc)
    dlg = shown[0]
    qtbot.addWidget(dlg)
    assert UNEXPECTED_TEXT in dlg.message.text()
    assert "RuntimeError: 磁盘已满" in dlg.text.toPlainText()
    qtbot.mouseClick(dlg.copy_button, Qt.MouseButton.LeftButton)
    assert "RuntimeError: 磁盘已满" in QGuiApplication.clipboard().text()
    assert any(r.exc_info and r.exc_info[1] is exc for r in caplog.records)


def test_cancelled_shows_no_dialog(window, shown):
    show_error(window, Cancelled())
    assert shown == []
    assert window.statusBar().currentMessage() == "已取消"


# ---------------------------------------------------------------- application start

@pytest.fixture
def isolated_app_state(monkeypatch):
    """run_gui sets the excepthook and a log file; put both back afterwards."""
    import congress_desktop.core.logsetup as logsetup

    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    monkeypatch.setattr(logsetup, "_configured", None)
    before = list(logging.getLogger().handlers)
    yield
    root = logging.getLogger()
    for h in list(root.handlers):
        if h not in before:
            root.removeHandler(h)
            h.close()


def test_excepthook_shows_the_unexpected_error_dialog(shown, isolated_app_state):
    from ui import app

    app._install_excepthook()
    try:
        raise KeyError("页面")
    except KeyError as e:
        sys.excepthook(type(e), e, e.__traceback__)
    assert isinstance(shown[0], UnexpectedErrorDialog) and "KeyError" in shown[0].details


def test_run_gui_exits_cleanly_when_first_start_is_cancelled(qtbot, data_dir, monkeypatch, isolated_app_state):
    from ui import app, first_start

    monkeypatch.setattr(first_start, "ask", lambda ctx, parent=None: False)
    assert app.run_gui(data_dir) == 0
    assert (data_dir / "congress.sqlite3").exists()


def test_start_with_demo_flag_seeds_an_empty_folder_and_shows_the_window(data_dir):
    """A real start in a child process: QApplication.exec() and quit() leave a QApplication that
    no longer runs nested event loops, so the shared test application must never run them."""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", CONGRESS_REPORT_SHOWN="1")
    r = subprocess.run([sys.executable, "-m", "ui.launcher", "--demo", "--data-dir", str(data_dir)], cwd=ROOT,
                       env=env, capture_output=True, text=True, encoding="utf-8", timeout=120)
    assert r.returncode == 0, r.stderr
    marks = [line.split()[0] for line in r.stdout.splitlines() if not line.startswith("PHASE ")]
    assert marks == ["SHOWN", "PAINTED", "READY"]  # the window is drawn before the database is opened
    ctx = Context.open(data_dir)
    try:
        assert ctx.office.demo and ctx.office.name == "丹江口市六里坪镇人大"
    finally:
        ctx.close()
    assert (data_dir / "logs" / "congress-desktop.log").exists()


def _run(args: list[str], **kw) -> subprocess.CompletedProcess:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONIOENCODING="utf-8")
    env.pop("CONGRESS_DATA_DIR", None)
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          encoding="utf-8", timeout=120, **kw)


FIRST_FRAME_PROBE = r"""
import json, sys
import PySide6.QtCore as QtCore
import ui.app

def probe(mark, real=ui.app._print_mark):
    if mark == "PAINTED":
        heavy = ("sqlalchemy", "alembic", "congress_desktop.core.store", "congress_desktop.core.context",
                 "importlib.resources", "PySide6.QtNetwork", "ui.widgets")
        print("PROBE " + json.dumps({"qt_namespace": "Qt" in vars(QtCore),
                                     "loaded": [m for m in heavy if m in sys.modules]}), flush=True)
    real(mark)

ui.app._print_mark = probe
from ui.launcher import main
sys.exit(main(["--data-dir", sys.argv[1]]))
"""


def test_the_first_frame_needs_neither_the_core_nor_the_qt_namespace(data_dir):
    """Start-up speed (issue 2: shown within 1.5x of a bare window): up to the first paint, the real
    start (ui.launcher -> ui.app.run_gui) loads no SQLAlchemy, no database code and none of the
    ~90 enum classes of PySide's ``Qt`` namespace (12-20 ms); see tests/bench/startup_phases.py."""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", CONGRESS_REPORT_SHOWN="1",
               CONGRESS_INSTANCE_KEY=f"probe-{os.getpid()}")
    subprocess.run([sys.executable, "-m", "congress_desktop", "--data-dir", str(data_dir), "demo"],
                   cwd=ROOT, check=True, capture_output=True)
    r = subprocess.run([sys.executable, "-c", FIRST_FRAME_PROBE, str(data_dir)], cwd=ROOT, env=env,
                       capture_output=True, text=True, encoding="utf-8", timeout=120)
    assert r.returncode == 0, r.stderr
    probe = [line for line in r.stdout.splitlines() if line.startswith("PROBE ")]
    assert len(probe) == 1, r.stdout
    state = json.loads(probe[0].split(" ", 1)[1])
    assert state == {"qt_namespace": False, "loaded": []}
    assert r.stdout.splitlines()[-1].startswith("READY ")  # and then the data came


def test_every_page_has_its_navigation_icon_files_and_a_new_page_gets_a_drawn_one(qtbot):
    """The icons are read from files (drawing them would build the Qt namespace before the first
    paint); a page added without running build_scripts/make_nav_icons.py still gets one."""
    from PySide6.QtGui import QImage

    from ui import badges

    for spec in PAGES:
        for (size, _selected), path in badges.nav_icon_files(spec.key).items():
            image = QImage(str(path))
            assert not image.isNull() and image.width() == image.height() == size, path
    icon = badges.nav_icon("no_such_page", "新")
    assert not icon.isNull() and not icon.pixmap(24, 24).isNull()


def test_a_deferred_bundled_font_is_loaded_after_the_first_paint_into_the_fallback_list(qapp, monkeypatch):
    """Where the PC has a Chinese UI font (every Windows 10/11), the 5 MB bundled font waits until
    the window is drawn; then it joins the application font as the fallback for rare characters."""
    from ui import app as app_mod

    before = QApplication.font()
    monkeypatch.setattr(qapp, "_congress_font_pending", True, raising=False)
    monkeypatch.setattr(qapp, "_congress_font_families", [], raising=False)
    try:
        app_mod.load_deferred_font(qapp)
        assert "WenQuanYi Micro Hei" in qapp._congress_font_families
        assert "WenQuanYi Micro Hei" in QApplication.font().families()
        assert not qapp._congress_font_pending
        app_mod.load_deferred_font(qapp)  # once only
    finally:
        QApplication.setFont(before)


def test_self_test_passes_in_a_subprocess():
    r = _run(["-m", "ui.launcher", "--self-test"])
    assert r.returncode == 0, r.stdout + r.stderr
    assert "自检通过" in r.stdout


def test_subcommands_go_to_the_command_line_without_loading_qt(tmp_path):
    code = ("import sys; from ui.launcher import main; rc = main(['--data-dir', sys.argv[1], 'demo']); "
            "print('qt loaded' if 'PySide6' in sys.modules else 'no qt'); sys.exit(rc)")
    r = _run(["-c", code, str(tmp_path / "d")])
    assert r.returncode == 0, r.stderr
    assert "已建立演示乡镇" in r.stdout and "no qt" in r.stdout
