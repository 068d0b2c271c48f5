"""设置: read-only facts for now (office, data and log folders, version)."""

from __future__ import annotations

import platform
import sys

from PySide6 import __version__ as pyside_version
from PySide6.QtCore import Qt, qVersion
from PySide6.QtWidgets import (
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from congress_desktop import APP_NAME, __version__
from congress_desktop.core import paths
from congress_desktop.core.context import Context
from ui import widgets


def _value(text: str) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


def _with_button(label: QLabel, button: QPushButton) -> QWidget:
    box = QWidget()
    lay = QHBoxLayout(box)
    lay.setContentsMargins(0, 0, 0, 0)
    lay.addWidget(label, 1)
    lay.addWidget(button)
    return box


class SettingsPage(QWidget):
    def __init__(self, ctx: Context, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("settingsPage")
        office = ctx.office

        card = QFrame()
        card.setObjectName("card")
        form = QFormLayout(card)
        form.setContentsMargins(18, 14, 18, 14)
        form.setHorizontalSpacing(24)
        form.setVerticalSpacing(10)
        form.addRow(widgets.heading("本单位", level=2))
        form.addRow("单位名称：", _value(office.name if office else "尚未设置"))
        form.addRow("单位类型：", _value(office.role_label if office else ""))
        form.addRow("区划代码：", _value(office.code if office else ""))
        if office and office.demo:
            form.addRow("说明：", _value("这是演示数据库，人员均为虚构。"))
        form.addRow(widgets.hline())
        form.addRow(widgets.heading("数据", level=2))
        self.data_label = _value(str(ctx.data_dir))
        self.open_data = QPushButton("打开数据文件夹")
        self.open_data.clicked.connect(lambda: widgets.open_folder(self.ctx.data_dir))
        form.addRow("数据文件夹：", _with_button(self.data_label, self.open_data))
        form.addRow("数据文件：", _value(str(ctx.db_path)))
        self.log_label = _value(str(paths.log_dir(ctx.data_dir)))
        self.open_logs = QPushButton("打开日志文件夹")
        self.open_logs.clicked.connect(lambda: widgets.open_folder(paths.log_dir(self.ctx.data_dir)))
        form.addRow("日志文件夹：", _with_button(self.log_label, self.open_logs))
        form.addRow(widgets.hline())
        form.addRow(widgets.heading("版本", level=2))
        form.addRow("程序版本：", _value(f"{APP_NAME} {__version__}"))
        form.addRow("运行环境：", _value(f"Python {platform.python_version()}，Qt {qVersion()}，"
                                         f"PySide6 {pyside_version}，{platform.system()} {platform.release()}"
                                         + ("（打包版）" if getattr(sys, "frozen", False) else "")))
        note = QLabel("单位信息在首次启动时设置，设置后不能更改。更多设置将在后续版本提供。")
        note.setObjectName("muted")
        note.setWordWrap(True)

        # 备份与恢复 (issue 7): its own card, built by ui/pages/backups_panel.py
        from ui.pages.backups_panel import BackupsPanel

        backup_card = QFrame()
        backup_card.setObjectName("card")
        backup_lay = QVBoxLayout(backup_card)
        backup_lay.setContentsMargins(18, 14, 18, 14)
        backup_lay.addWidget(widgets.heading("备份与恢复", level=2))
        self.backups = BackupsPanel(ctx, backup_card)
        backup_lay.addWidget(self.backups)

        body = QWidget()
        lay = QVBoxLayout(body)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(12)
        lay.addWidget(card)
        lay.addWidget(backup_card)
        lay.addWidget(note)
        lay.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(body)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)

    def initial_focus(self) -> QWidget:
        return self.open_data
