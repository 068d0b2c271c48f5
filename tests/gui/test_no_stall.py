"""The window never waits for the database: with a heartbeat on the event loop (tests/stall.py), open every
page and run the main actions on a database with many opinions; no stall may exceed 100 ms.

CI uses a mid-sized database (STALL_OPINIONS, default 20,000 opinions); tests/bench/bench_stall.py runs
the same walk on the decade database (1,000,000 opinions) by hand and prints the figures."""

from __future__ import annotations

import datetime as dt
import importlib.util
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QAbstractItemView, QLineEdit

from congress_desktop.core.context import Context
from congress_desktop.demo import create_demo
from tests.stall import GuiThreadDb, Heartbeat, run_in_loop
from ui.main_window import MainWindow

LIMIT_MS = 100
BENCH = Path(__file__).resolve().parents[1] / "bench" / "bench_opinions.py"


def populate(ctx: Context, opinions: int) -> None:
    """Bulk-load opinions and visits the way the opinions benchmark does (same search keys and FTS)."""
    spec = importlib.util.spec_from_file_location("bench_opinions", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.populate(ctx, opinions, max(1, opinions * 3 // 10), dt.date.today())


def page_actions(window: MainWindow) -> list[tuple[str, Callable[[], object]]]:
    """(label, action) for every page: show it, type into its search box, scroll its lists to the end."""
    steps: list[tuple[str, Callable[[], object]]] = []
    for key in window.page_keys():
        steps.append((f"打开「{key}」", lambda key=key: window.show_page(key)))

        def search(key=key) -> None:
            for box in window.page(key).findChildren(QLineEdit):
                if box.isVisible() and box.objectName() in ("", "search") and box is getattr(
                        window.page(key), "search", None):
                    box.setText("王")

        def scroll(key=key) -> None:
            for view in window.page(key).findChildren(QAbstractItemView):
                if view.isVisible():
                    view.scrollToBottom()

        steps.append((f"「{key}」查找", search))
        steps.append((f"「{key}」滚动到底", scroll))
    steps.append(("刷新全部页面", window.reload_pages))
    return steps


def warm_up() -> None:
    """Import every page's module first: the walk measures building pages and their data, not imports
    (start-up has its own benchmark)."""
    import importlib
    import pkgutil

    import ui.pages

    for info in pkgutil.walk_packages(ui.pages.__path__, "ui.pages."):
        importlib.import_module(info.name)


def walk(qtbot, ctx: Context, tmp_path: Path) -> tuple[Heartbeat, GuiThreadDb]:
    warm_up()
    window = MainWindow(ctx, settings=QSettings(str(tmp_path / "w.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(window)
    window.resize(1280, 800)
    window.show()
    qtbot.waitExposed(window)
    hb = Heartbeat()
    with GuiThreadDb(ctx.store, hb) as db:
        hb.start()
        try:
            for label, action in page_actions(window):
                with hb.during(label):
                    run_in_loop(qtbot, action)
        finally:
            hb.stop()
    return hb, db


@pytest.fixture(scope="module")
def busy_template(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("busy")
    ctx = Context.open(folder)
    try:
        create_demo(ctx)
        populate(ctx, int(os.environ.get("STALL_OPINIONS", "20000")))
    finally:
        ctx.close()
    return folder


@pytest.mark.xfail(strict=False, reason="issue 14 open: it passes on CI since the duty, votes and visits pages load "
                   "on the worker (longest stall 99 ms, opening 网格), but the grids page still builds on the GUI "
                   "thread at the limit; remove this mark when branch a-grids lands")
def test_no_page_or_action_stalls_the_window(qtbot, busy_template: Path, tmp_path: Path):
    ctx = Context.open(busy_template)
    try:
        hb, db = walk(qtbot, ctx, tmp_path)
    finally:
        ctx.close()
    print(hb.report())
    print(db.report())
    assert hb.gaps, "the heartbeat never ran"
    assert hb.worst_ms < LIMIT_MS, hb.report() + "\n" + db.report()


def test_the_heartbeat_sees_a_stall(qtbot):
    import time

    hb = Heartbeat()
    hb.start()
    with hb.during("sleep"):
        run_in_loop(qtbot, lambda: time.sleep(0.15))
    hb.stop()
    assert hb.worst_ms > 120 and hb.worst_label == "sleep"
