"""The baseline of bench_frozen_startup.py: a bare PySide6 main window, frozen with bare_window.spec.
Prints ``SHOWN <wall-clock time>`` at its first show event and quits."""

import sys
import time

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QLabel, QMainWindow

app = QApplication(sys.argv)
window = QMainWindow()
window.setCentralWidget(QLabel("空白窗口"))
window.resize(1280, 800)


class Reporter(QObject):
    def eventFilter(self, obj, event):
        if event.type() == QEvent.Type.Show and obj is window:
            print(f"SHOWN {time.time():.6f}", flush=True)
            QTimer.singleShot(0, app.quit)
        return False


reporter = Reporter()
window.installEventFilter(reporter)
window.show()
sys.exit(app.exec())
