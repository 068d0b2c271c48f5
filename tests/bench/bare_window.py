"""The baseline of the start-up benchmarks: a bare PySide6 main window (run as a script by
bench_startup.py, frozen with bare_window.spec by bench_frozen_startup.py). Prints ``SHOWN <wall-clock
time> <CPU time of the process>`` at its first show event and ``PAINTED ...`` at its first paint,
then quits."""

import sys
import time

print(f"PHASE entry {time.time():.6f}", flush=True)

from PySide6.QtCore import QEvent, QObject, QTimer  # noqa: E402  (after the entry mark)
from PySide6.QtWidgets import QApplication, QLabel, QMainWindow  # noqa: E402

print(f"PHASE PySide6 imported {time.time():.6f}", flush=True)
app = QApplication(sys.argv)
window = QMainWindow()
window.setCentralWidget(QLabel("空白窗口"))
window.resize(1280, 800)


class Reporter(QObject):
    shown = False

    def eventFilter(self, obj, event):
        if event.type() == QEvent.Type.Show and obj is window and not self.shown:
            self.shown = True
            print(f"SHOWN {time.time():.6f} {time.process_time():.6f}", flush=True)
        elif event.type() == QEvent.Type.Paint and obj is window and self.shown:
            print(f"PAINTED {time.time():.6f} {time.process_time():.6f}", flush=True)
            QTimer.singleShot(0, app.quit)
        return False


reporter = Reporter()
window.installEventFilter(reporter)
window.show()
QTimer.singleShot(5000, app.quit)  # never hang a benchmark
sys.exit(app.exec())
