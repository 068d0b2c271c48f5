"""Showing errors: a CongressError's own Chinese message, or a short notice for anything unexpected.

The core raises ``CongressError`` (and subclasses) with a message meant for the user; we show it as
it is. Anything else is a bug: the log gets the traceback, the user gets 「操作失败，详细信息已写入日志」
with the details to copy into a support message.

Modal dialogs run through ``ui.widgets.exec_modal`` (tests replace it).
"""

from __future__ import annotations

import logging
import traceback
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from congress_desktop.core.errors import Cancelled, CongressError, translate
from ui import widgets

log = logging.getLogger(__name__)

UNEXPECTED_TEXT = "操作失败，详细信息已写入日志"


def current_log_file() -> Path | None:
    """The rotating log file set up by congress_desktop.core.logsetup, if any."""
    for h in logging.getLogger().handlers:
        if getattr(h, "_congress", False) and hasattr(h, "baseFilename"):
            return Path(h.baseFilename)
    return None


def format_details(exc: BaseException) -> str:
    return "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)).rstrip()


class UnexpectedErrorDialog(QDialog):
    """「操作失败，详细信息已写入日志」 with the traceback and a button to copy it."""

    def __init__(self, exc: BaseException, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("操作失败")
        self.setMinimumWidth(560)
        log_file = current_log_file()
        self.details = format_details(exc)
        if log_file:
            self.details += f"\n\n日志文件：{log_file}"

        icon = QLabel()
        icon.setPixmap(self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxCritical).pixmap(40, 40))
        icon.setAlignment(Qt.AlignmentFlag.AlignTop)
        self.message = QLabel(f"<b>{UNEXPECTED_TEXT}</b>")
        summary = QLabel(f"{type(exc).__name__}：{exc}" if str(exc) else type(exc).__name__)
        summary.setWordWrap(True)
        summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        hint = QLabel("如问题反复出现，请点击「复制详细信息」，连同操作步骤发给技术支持。"
                      + (f"<br>日志文件：{log_file}" if log_file else ""))
        hint.setWordWrap(True)
        hint.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.text = QPlainTextEdit(self.details)
        self.text.setReadOnly(True)
        self.text.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.text.setMinimumHeight(160)

        buttons = QDialogButtonBox()
        self.copy_button = QPushButton("复制详细信息")
        self.copy_button.clicked.connect(self.copy_details)
        buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        close = buttons.addButton("关闭", QDialogButtonBox.ButtonRole.RejectRole)
        close.setDefault(True)
        buttons.rejected.connect(self.reject)

        top = QHBoxLayout()
        top.addWidget(icon)
        col = QVBoxLayout()
        col.addWidget(self.message)
        col.addWidget(summary)
        col.addWidget(hint)
        top.addLayout(col, 1)
        lay = QVBoxLayout(self)
        lay.addLayout(top)
        lay.addWidget(self.text, 1)
        lay.addWidget(buttons)

    def copy_details(self) -> None:
        QGuiApplication.clipboard().setText(self.details)
        self.copy_button.setText("已复制")


def data_file_of(parent: QWidget | None) -> Path | None:
    """The database of the window ``parent`` belongs to (where a storage fault of SQLite happened)."""
    try:
        holders = [parent, parent.window()] if parent is not None else []
        holders.append(getattr(QApplication.instance(), "_congress_main_window", None))
        ctx = next((c for h in holders if (c := getattr(h, "ctx", None)) is not None), None)
        return Path(ctx.db_path) if ctx is not None else None
    except Exception:  # a half-built or closing window: the message names the error's own file
        return None


def as_shown(exc: BaseException, parent: QWidget | None = None) -> BaseException:
    """The error the user should see: a full disk, a read-only folder or a failing drive becomes its
    Chinese StorageError (congress_desktop.core.errors.translate), whichever layer raised it."""
    try:
        return translate(exc, data_file_of(parent))
    except Exception:  # judging the error must not hide it
        log.exception("could not translate %r", exc)
        return exc


def show_error(parent: QWidget | None, exc: BaseException) -> None:
    """Tell the user what went wrong; never raises.

    - ``Cancelled``: no dialog, only 已取消 in the status bar.
    - ``CongressError``: a warning box with ``exc.message`` (the log gets one line).
    - anything else: the unexpected-error dialog; the log gets the traceback.
    """
    try:
        exc = as_shown(exc, parent)
        if isinstance(exc, Cancelled):
            log.info("cancelled: %s", exc.message)
            widgets.show_status(parent, "已取消")
            return
        if isinstance(exc, CongressError):
            log.warning("%s: %s", exc.code, exc.message)
        else:
            log.error("unexpected error", exc_info=(type(exc), exc, exc.__traceback__))
        if QApplication.instance() is None:
            return
        if isinstance(exc, CongressError):
            box = QMessageBox(QMessageBox.Icon.Warning, "提示", exc.message, QMessageBox.StandardButton.Ok,
                              parent)
            widgets.exec_modal(box)
        else:
            widgets.exec_modal(UnexpectedErrorDialog(exc, parent))
    except Exception:  # showing an error must never raise another one into the caller
        log.exception("could not show the error dialog")
