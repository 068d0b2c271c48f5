"""Every database call a widget makes, and every printout, goes through here (Anki's ``CollectionOp``).

    db_op(self, lambda: svc.list_visits(ctx, q), on_done=self.model.set_rows)
    print_op(self, "正在生成代表名册", out, lambda progress, cancel: printing.print_roster(ctx, out, ...))

- ``db_op`` runs ``fn()`` on the single database worker of ui/tasks.py (so the window never waits for the
  database and two calls never race), then ``on_done(result)`` on the GUI thread. Errors are shown one way
  (``ui.errors.show_error``, a full disk said in Chinese) unless ``on_error`` takes them. A progress dialog
  with 取消 appears only when the work takes longer than ``show_after_ms``.
- ``print_op`` runs a printout's ``fn(progress, cancel)`` the same way, then says 已生成 in the status bar
  and opens the PDF in the system viewer, or says where it is when no viewer opens it.
- Both return the ``TaskHandle``: tests wait with ``handle.wait()`` or ``qtbot.waitSignal(handle.finished)``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from PySide6.QtWidgets import QWidget
from shiboken6 import isValid

from ui import files, tasks, widgets

T = TypeVar("T")


def db_op(parent: QWidget | None, fn: Callable[[], T], on_done: Callable[[T], None] | None = None, *,
          title: str = "正在处理", on_error: Callable[[BaseException], None] | None = None,
          show_after_ms: int = tasks.SHOW_AFTER_MS) -> tasks.TaskHandle:
    """Run ``fn()`` on the database worker, then ``on_done(result)`` on the GUI thread (see module doc)."""

    def work(_progress: tasks.Progress, _cancel: tasks.Cancel) -> T:
        return fn()

    return tasks.run_task(parent, title, work, on_success=_while_alive(parent, on_done), on_error=on_error,
                          show_after_ms=show_after_ms)


def _while_alive(parent: QWidget | None, on_done: Callable[[Any], None] | None) -> Callable[[Any], None]:
    """``on_done`` unless the widget that asked was closed meanwhile (its result has nowhere to go)."""

    def done(result: Any) -> None:
        if on_done is not None and (parent is None or isValid(parent)):
            on_done(result)

    return done


def long_op(parent: QWidget | None, title: str, fn: tasks.TaskFn, on_done: Callable[[Any], None] | None = None,
            *, on_error: Callable[[BaseException], None] | None = None) -> tasks.TaskHandle:
    """Like ``db_op`` for work that reports ``progress(done, total)`` and checks ``cancel()``."""
    return tasks.run_task(parent, title, fn, on_success=_while_alive(parent, on_done), on_error=on_error)


def show_printout(parent: QWidget | None, out: Path) -> None:
    """The one way a finished PDF is offered: the system viewer, else the folder it is in."""
    widgets.show_status(parent, f"已生成 {out.name}")
    if not files.open_file(out):
        files.info(parent, "已生成 PDF", f"文件已保存到：\n{out}\n\n未能自动打开，请在文件夹中双击打开后打印。")


def print_op(parent: QWidget | None, title: str, out: str | Path, fn: tasks.TaskFn,
             on_done: Callable[[Any], None] | None = None) -> tasks.TaskHandle:
    """Make the printout ``out`` with ``fn(progress, cancel)`` off the GUI thread, then open it."""
    path = Path(out)

    def done(result: Any) -> None:
        show_printout(parent, path)
        if on_done is not None:
            on_done(result)

    return tasks.run_task(parent, title, fn, on_success=done)
