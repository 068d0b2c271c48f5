"""An event-loop stall detector: a QTimer heartbeat that notes the longest time the GUI thread did not
get back to its event loop, and what the test was doing then.

    hb = Heartbeat()
    with hb.during("打开建议督办"):
        run_in_loop(qtbot, lambda: window.show_page("opinions"))
    assert hb.worst_ms < 100, hb.report()

A stall is work done on the GUI thread (a database call in a widget, a big layout): the heartbeat tick
that should come every ``interval_ms`` comes late by that long. Work on the database worker
(ui.operations.db_op) does not stall it."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from PySide6.QtCore import QObject, Qt, QTimer

from ui import tasks


class Heartbeat(QObject):
    def __init__(self, interval_ms: int = 5):
        super().__init__()
        self.interval_ms = interval_ms
        self.label = ""
        self.worst_ms = 0.0
        self.worst_label = ""
        self.gaps: dict[str, float] = {}  # label -> its longest stall
        self._last: float | None = None
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self._tick)

    def start(self) -> None:
        self._last = time.perf_counter()  # an action run before the first tick still counts
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    def _tick(self) -> None:
        now = time.perf_counter()
        if self._last is not None and self.label:
            late = (now - self._last) * 1000 - self.interval_ms
            if late > self.gaps.get(self.label, 0.0):
                self.gaps[self.label] = late
            if late > self.worst_ms:
                self.worst_ms, self.worst_label = late, self.label
        self._last = now

    @contextmanager
    def during(self, label: str) -> Iterator[None]:
        self.label = label
        try:
            yield
        finally:
            self.label = ""

    def report(self) -> str:
        rows = sorted(self.gaps.items(), key=lambda kv: -kv[1])
        return "longest stalls: " + "; ".join(f"{k} {v:.0f} ms" for k, v in rows[:12])


def run_in_loop(qtbot, fn: Callable[[], object], *, settle_ms: int = 30, timeout_ms: int = 60_000) -> None:
    """Run ``fn`` from the event loop (as a click would), then let every background task it started
    finish and its results be shown, so the heartbeat sees the whole action."""
    QTimer.singleShot(0, fn)
    qtbot.wait(settle_ms)
    qtbot.waitUntil(lambda: not tasks.active_tasks(), timeout=timeout_ms)
    qtbot.wait(settle_ms)


class GuiThreadDb:
    """Times every unit of work (``store.session()``) opened on the GUI thread, with the action it ran
    in: the figure the issue names ("no database call on the GUI thread longer than 50 ms")."""

    def __init__(self, store, heartbeat: Heartbeat):
        self.store = store
        self.heartbeat = heartbeat
        self.calls = 0
        self.worst_ms = 0.0
        self.worst_label = ""
        self.total_ms = 0.0
        self._original = None

    def __enter__(self) -> GuiThreadDb:
        import threading

        original = self.store.session
        self._original = original
        main = threading.main_thread()

        @contextmanager
        def timed():
            if threading.current_thread() is not main:
                with original() as s:
                    yield s
                return
            t = time.perf_counter()
            try:
                with original() as s:
                    yield s
            finally:
                ms = (time.perf_counter() - t) * 1000
                self.calls += 1
                self.total_ms += ms
                if ms > self.worst_ms:
                    self.worst_ms, self.worst_label = ms, self.heartbeat.label

        self.store.session = timed
        return self

    def __exit__(self, *exc) -> None:
        del self.store.session  # the instance attribute goes; the class's method is back

    def report(self) -> str:
        return (f"{self.calls} database calls on the GUI thread, {self.total_ms:.0f} ms in all, the longest "
                f"{self.worst_ms:.0f} ms (during {self.worst_label or '-'})")
