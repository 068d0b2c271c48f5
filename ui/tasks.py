"""Long actions off the GUI thread: imports, exports, printing.

    def work(progress, cancel):              # runs in the worker thread; knows no Qt
        return deputies.import_deputies(ctx, path, progress=progress, cancel=cancel)

    run_task(self, "正在导入代表", work, on_success=self.show_result)

- ``fn(progress, cancel)`` runs on one shared worker thread (a QThreadPool with one thread), so
  database work is serialised, as in Anki's task manager.
- ``progress(done, total)`` may be called from the worker as often as it likes (it only stores the
  latest numbers; the dialog reads them ten times a second). ``total <= 0`` shows a busy bar.
- ``cancel()`` returns True once the user pressed 取消 (or Esc / closed the dialog); the core checks
  it and raises ``congress_desktop.core.errors.Cancelled``.
- The progress dialog appears only after ``show_after_ms`` (600 ms), so quick work shows nothing.
- When ``fn`` ends, on the GUI thread: ``on_success(result)``; or, for ``Cancelled``, only 已取消 in
  the status bar; or ``on_error(exc)`` if given, else ``ui.errors.show_error``. Then the handle's
  ``finished`` signal fires (tests: ``qtbot.waitSignal(handle.finished)`` or ``handle.wait()``).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QEventLoop, QObject, QRunnable, Qt, QThreadPool, QTimer, Signal, Slot
from PySide6.QtWidgets import QDialog, QHBoxLayout, QLabel, QProgressBar, QPushButton, QVBoxLayout, QWidget
from shiboken6 import isValid

from congress_desktop.core.errors import Cancelled
from ui import errors, widgets

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]
Cancel = Callable[[], bool]
TaskFn = Callable[[Progress, Cancel], Any]

SHOW_AFTER_MS = 600
_POLL_MS = 100

_pool: QThreadPool | None = None
_active: set[TaskHandle] = set()  # keeps handles alive until they finish


def pool() -> QThreadPool:
    """The one worker thread every task runs on (serialises database work)."""
    global _pool
    if _pool is None:
        _pool = QThreadPool()
        _pool.setMaxThreadCount(1)
    return _pool


def active_tasks() -> list[TaskHandle]:
    return list(_active)


def shutdown(timeout_ms: int = 5000) -> bool:
    """Ask every running task to stop and wait for the worker (called when the application exits)."""
    for h in list(_active):
        h.cancel()
    return _pool.waitForDone(timeout_ms) if _pool is not None else True


class ProgressDialog(QDialog):
    """Title, bar and a 取消 button. Esc or closing the window also asks to cancel; the dialog stays
    until the work has really stopped (the worker decides when)."""

    cancel_requested = Signal()

    def __init__(self, title: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("progressDialog")
        self.setWindowTitle(title)
        self.setWindowFlag(Qt.WindowType.WindowContextHelpButtonHint, False)
        self.setWindowModality(Qt.WindowModality.WindowModal if parent else Qt.WindowModality.ApplicationModal)
        self.setMinimumWidth(380)
        self._title = title
        self.label = QLabel(f"{title}…")
        self.label.setWordWrap(True)
        self.bar = QProgressBar()
        self.bar.setRange(0, 0)
        self.cancel_button = QPushButton("取消")
        self.cancel_button.clicked.connect(self.request_cancel)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.cancel_button)
        lay = QVBoxLayout(self)
        lay.addWidget(self.label)
        lay.addWidget(self.bar)
        lay.addLayout(row)
        self._cancelling = False

    def set_progress(self, done: int, total: int) -> None:
        if total <= 0:
            self.bar.setRange(0, 0)
        else:
            self.bar.setRange(0, total)
            self.bar.setValue(max(0, min(done, total)))
        if not self._cancelling:
            self.label.setText(f"{self._title}…（{done}/{total}）" if total > 0 else f"{self._title}…")

    def request_cancel(self) -> None:
        if self._cancelling:
            return
        self._cancelling = True
        self.cancel_button.setEnabled(False)
        self.label.setText("正在取消…")
        self.cancel_requested.emit()

    def reject(self) -> None:  # Esc: ask to cancel, do not close
        self.request_cancel()

    def closeEvent(self, event) -> None:  # the window's close button: same
        event.ignore()
        self.request_cancel()


class TaskHandle(QObject):
    """One background action. Lives in the GUI thread; its worker only calls ``progress``,
    ``cancelled`` and emits ``_posted``."""

    finished = Signal()  # after on_success / on_error / show_error ran
    _posted = Signal(object, object)  # (result, exception) from the worker

    def __init__(self, parent: QWidget | None, title: str, fn: TaskFn, on_success: Callable[[Any], None],
                 on_error: Callable[[BaseException], None] | None, show_after_ms: int):
        super().__init__()
        self.title = title
        self.result: Any = None
        self.error: BaseException | None = None
        self.done = False          # the worker has returned
        self.is_finished = False   # callbacks ran, finished emitted
        self.dialog: ProgressDialog | None = None
        self._parent = parent
        self._fn = fn
        self._on_success = on_success
        self._on_error = on_error
        self._cancel = threading.Event()
        self._lock = threading.Lock()
        self._latest = (0, 0)
        self._posted.connect(self._on_posted, Qt.ConnectionType.QueuedConnection)
        self._show_timer = QTimer(self)
        self._show_timer.setSingleShot(True)
        self._show_timer.timeout.connect(self._show_dialog)
        self._show_timer.start(max(0, show_after_ms))
        self._poll = QTimer(self)
        self._poll.setInterval(_POLL_MS)
        self._poll.timeout.connect(self._refresh_dialog)

    # ------------------------------------------------ called from the worker thread
    def progress(self, done: int, total: int) -> None:
        with self._lock:
            self._latest = (int(done), int(total))

    def cancelled(self) -> bool:
        return self._cancel.is_set()

    # ------------------------------------------------ GUI thread
    def cancel(self) -> None:
        """Ask the work to stop (cooperative: ``fn`` sees ``cancel()`` return True)."""
        self._cancel.set()
        if self.dialog is not None and isValid(self.dialog):
            self.dialog.request_cancel()

    def latest_progress(self) -> tuple[int, int]:
        with self._lock:
            return self._latest

    def wait(self, timeout_ms: int = 30000) -> bool:
        """Run the event loop until the task finished (callbacks included); True if it did."""
        if self.is_finished:
            return True
        loop = QEventLoop()
        self.finished.connect(loop.quit)
        timer = QTimer(loop)
        timer.setSingleShot(True)
        timer.timeout.connect(loop.quit)
        timer.start(timeout_ms)
        loop.exec()
        return self.is_finished

    def _parent_widget(self) -> QWidget | None:
        p = self._parent
        return p if p is not None and isValid(p) else None

    @Slot()
    def _show_dialog(self) -> None:
        if self.done:
            return
        self.dialog = ProgressDialog(self.title, self._parent_widget())
        self.dialog.cancel_requested.connect(self._cancel.set)
        if self._cancel.is_set():
            self.dialog.request_cancel()
        self._refresh_dialog()
        self.dialog.show()
        self._poll.start()

    @Slot()
    def _refresh_dialog(self) -> None:
        if self.dialog is not None and isValid(self.dialog):
            self.dialog.set_progress(*self.latest_progress())

    @Slot(object, object)
    def _on_posted(self, result: Any, exc: BaseException | None) -> None:
        self.done = True
        self.result, self.error = result, exc
        self._show_timer.stop()
        self._poll.stop()
        if self.dialog is not None and isValid(self.dialog):
            self.dialog.done(0)
            self.dialog.deleteLater()
        self.dialog = None
        parent = self._parent_widget()
        if exc is not None:
            exc = errors.as_shown(exc, parent)  # a full disk or a read-only folder, said in Chinese
            self.error = exc
        try:
            if exc is None:
                self._on_success(result)
            elif isinstance(exc, Cancelled):
                log.info("%s: cancelled", self.title)
                widgets.show_status(parent, "已取消")
            elif self._on_error is not None:
                self._on_error(exc)
            else:
                errors.show_error(parent, exc)
        finally:
            _active.discard(self)
            self.is_finished = True
            self.finished.emit()


class _Job(QRunnable):
    def __init__(self, handle: TaskHandle):
        super().__init__()
        self.setAutoDelete(True)
        self._handle = handle

    def run(self) -> None:
        h = self._handle
        try:
            result, exc = h._fn(h.progress, h.cancelled), None
        except BaseException as e:  # noqa: BLE001 - everything goes back to the GUI thread
            result, exc = None, e
        h._posted.emit(result, exc)


def run_task(parent: QWidget | None, title: str, fn: TaskFn, on_success: Callable[[Any], None],
             on_error: Callable[[BaseException], None] | None = None, *,
             show_after_ms: int = SHOW_AFTER_MS) -> TaskHandle:
    """Run ``fn(progress, cancel)`` on the worker thread; see the module docstring."""
    handle = TaskHandle(parent, title, fn, on_success, on_error, show_after_ms)
    _active.add(handle)
    pool().start(_Job(handle))
    return handle
