"""The console script ``congress-desktop``: the only place that knows both faces.

    congress-desktop                     the window (data folder: platformdirs or CONGRESS_DATA_DIR)
    congress-desktop --data-dir DIR      the window on another data folder
    congress-desktop --demo              the window; an empty data folder gets the demo town first
    congress-desktop --self-test         check the installed program end to end, offscreen
    congress-desktop SUBCOMMAND ...      the headless command line (congress_desktop.cli); no Qt loaded

PySide6 is imported only on the window and self-test paths. A windowed Windows build has no console:
sys.stdout / sys.stderr may be None, so every write checks first.
"""

from __future__ import annotations

import logging
import os
import sys
import tempfile
import time
import traceback
from pathlib import Path

log = logging.getLogger(__name__)

SELF_TEST_OK = "自检通过"


def _write(stream, text: str) -> None:
    if stream is None:
        return
    try:
        stream.write(text + "\n")
        stream.flush()
    except UnicodeEncodeError:
        stream.buffer.write((text + "\n").encode(stream.encoding or "utf-8", "replace"))
        stream.flush()
    except (OSError, ValueError):
        pass


def _out(text: str) -> None:
    _write(sys.stdout, text)


def _err(text: str) -> None:
    _write(sys.stderr, text)


def parse_gui_args(argv: list[str]) -> dict | None:
    """The launcher's own options; None when anything else is there (the command line's business)."""
    opts: dict = {"data_dir": None, "demo": False, "self_test": False}
    i = 0
    while i < len(argv):
        a = argv[i]
        if a == "--demo":
            opts["demo"] = True
        elif a == "--self-test":
            opts["self_test"] = True
        elif a == "--data-dir" and i + 1 < len(argv):
            opts["data_dir"] = argv[i + 1]
            i += 1
        elif a.startswith("--data-dir="):
            opts["data_dir"] = a.split("=", 1)[1]
        else:
            return None
        i += 1
    return opts


def is_console_build() -> bool:
    """True in the frozen Windows console twin ``congress-cli.exe`` (same program, built with a console)."""
    return bool(getattr(sys, "frozen", False)) and Path(sys.executable).stem.lower() == "congress-cli"


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    opts = parse_gui_args(argv)
    if opts is not None and is_console_build() and not opts["self_test"]:
        opts = None  # congress-cli.exe never opens the window: no subcommand prints the help
    if opts is None:
        from congress_desktop.cli import main as cli_main

        return cli_main(argv)
    if opts["self_test"]:
        return self_test()
    if os.environ.get("CONGRESS_REPORT_SHOWN") == "1" and sys.stdout is not None:  # see ui.app.phase
        _out(f"PHASE launcher {time.time():.6f}")
    try:
        from ui.app import run_gui
    except Exception as e:  # e.g. a broken Qt installation: say so in Chinese, keep the details
        log.exception("cannot load the window")
        _err(f"无法启动窗口界面（Qt 加载失败）：{e}\n命令行功能仍可使用，运行 congress-desktop -h 查看。")
        return 1
    try:
        return run_gui(opts["data_dir"], demo=opts["demo"])
    except Exception as e:
        log.exception("the window failed to start")
        _err(f"程序启动失败，详细信息已写入日志：{e}")
        return 1


def self_test() -> int:
    """Migrate a temporary database, seed the demo, render a PDF, load the font and translations into
    Qt, make a backup and restore it, check the single-instance channel, build the main window offscreen
    and run one background task. 0 and 「自检通过」 when all work."""
    if (sys.platform.startswith("linux") and not os.environ.get("DISPLAY")
            and not os.environ.get("WAYLAND_DISPLAY")):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    steps = _Steps()
    try:
        with tempfile.TemporaryDirectory(prefix="congress-selftest-", ignore_cleanup_errors=True) as tmp:
            _self_test_steps(Path(tmp), steps)
    except Exception as e:
        _err(f"自检失败（{steps.current}）：{e}")
        _err(traceback.format_exc())
        return 1
    _out(SELF_TEST_OK)
    return 0


class _Steps:
    """Names the step under way (for the failure message) and reports each one that passed."""

    def __init__(self):
        self.current = "准备"

    def __call__(self, name: str) -> None:
        if self.current != "准备":
            _out(f"  通过：{self.current}")
        self.current = name


def _self_test_steps(tmp: Path, step) -> None:
    step("打开数据库（迁移）")
    from congress_desktop.core.context import Context

    ctx = Context.open(tmp / "data")
    try:
        step("建立演示数据")
        from congress_desktop.demo import create_demo
        from congress_desktop.deputies import service as deputies

        create_demo(ctx)
        n = deputies.count_deputies(ctx)
        if n != 64:
            raise RuntimeError(f"演示数据应有 64 名代表，实际 {n} 名")

        step("生成 PDF")
        from congress_desktop.deputies import printing

        first = deputies.query_deputies(ctx, deputies.DeputyQuery(), 0, 1)[0]
        pdf = tmp / "card.pdf"
        printing.print_deputy_card(ctx, first.id, pdf)
        if not pdf.is_file() or pdf.read_bytes()[:5] != b"%PDF-":
            raise RuntimeError("PDF 文件未生成或格式不正确")

        step("备份、完整性检查与恢复")
        from congress_desktop.backups import service as backups

        made = backups.backup_before(ctx, "manual")
        if not made.checked or made.count("代表") != 64:
            raise RuntimeError(f"备份不完整：{made.counts_label}")
        restored = backups.restore_backup(ctx, made.path)
        if restored.restored.count("代表") != 64 or deputies.count_deputies(ctx) != 64:
            raise RuntimeError("从备份恢复后记录数不对")
        report = backups.check_data(ctx.data_dir)
        if not report.ok:
            raise RuntimeError("；".join(report.lines()))

        step("加载 Qt、中文字体和翻译")
        from PySide6.QtCore import QSettings

        from ui import app as app_mod

        qapp = app_mod.create_application()
        if not qapp._congress_font_families:
            raise RuntimeError("内置中文字体加载失败")
        if not getattr(qapp, "_congress_translator", None):
            raise RuntimeError("Qt 中文翻译 qtbase_zh_CN 未找到")
        if not app_mod.load_stylesheet():
            raise RuntimeError("界面样式表未找到")

        step("单实例（第二次启动唤起已打开的窗口）")
        from ui.single_instance import SingleInstance

        first = SingleInstance(f"congress-selftest-{os.getpid()}")
        woke: list = []
        first.activated.connect(lambda: woke.append(True))
        if not first.start() or SingleInstance(first.key).start():
            raise RuntimeError("单实例锁不起作用")
        for _ in range(300):
            if woke:
                break
            qapp.processEvents()
            time.sleep(0.01)
        first.close()
        if not woke:
            raise RuntimeError("第二次启动没有唤起第一个窗口")

        step("建立主窗口")
        from ui.main_window import MainWindow

        window = MainWindow(ctx, settings=QSettings(str(tmp / "window.ini"), QSettings.Format.IniFormat))
        for key in window.page_keys():
            page = window.show_page(key)
            if page.property("broken"):
                raise RuntimeError(f"页面“{window.page_title.text()}”无法打开")
        if window.grab().isNull():
            raise RuntimeError("主窗口无法绘制")

        step("后台任务")
        from ui import tasks

        got: list = []
        handle = tasks.run_task(window, "自检", lambda progress, cancel: progress(1, 1) or 42, got.append)
        if not handle.wait(10000) or got != [42]:
            raise RuntimeError("后台任务没有按时完成")
        window.close()
        window.deleteLater()
        qapp.processEvents()
        step("完成")
    finally:
        ctx.close()


if __name__ == "__main__":
    sys.exit(main())
