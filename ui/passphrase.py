"""The stick-backup passphrase in the window: set it (typed twice, with the warning that a forgotten
passphrase cannot be recovered), or type it for a backup to a stick or a restore from one. The rules
(length, the verifier) are in congress_desktop.backups.stick; the dialog asks the same rule
for comfort and the service decides.

Seam for tests: ``ask_passphrase(parent, request)`` (returns the passphrase, or None when cancelled);
the dialog itself runs through ``widgets.exec_modal``."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QCheckBox, QDialog, QFormLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from congress_desktop.backups import stick as stick_backups
from ui import widgets

TITLES = {"set": "设置U盘备份口令", "change": "更改U盘备份口令", "backup": "备份到U盘：输入口令",
          "restore": "从U盘恢复：输入口令"}


@dataclass(frozen=True)
class Request:
    mode: str          # "set" (first time), "change", "backup", "restore"
    about: str = ""    # what the backup holds (restore: read from the file's clear header)
    typed: str = ""    # what was typed last time (kept after a wrong passphrase)
    error: str = ""    # why the last passphrase was refused

    @property
    def new(self) -> bool:
        return self.mode in ("set", "change")


def about_backup(info) -> str:
    """A backup's header as the restore dialog shows it."""
    return (f"备份时间：{info.made_label}（{info.reason_label}）\n单位：{info.office_name}（{info.office_code}）\n"
            f"备份中的记录：{info.counts_label}")


def _intro(request: Request) -> str:
    if request.mode == "set":
        return (f"U盘上的备份会加密保存，U盘丢失也不会泄露代表的姓名、身份证号、电话和意见。请设置U盘备份口令"
                f"（至少 {stick_backups.MIN_LENGTH} 个字符，可以用汉字），以后每次备份到U盘和从U盘恢复都要输入它。")
    if request.mode == "change":
        return ("设置新的U盘备份口令。以后的U盘备份用新口令；以前做的U盘备份仍要用当时的旧口令打开，"
                "请把旧口令也保存好。")
    if request.mode == "backup":
        return "请输入本单位的U盘备份口令（设置口令时写在纸上的那个）。"
    return "这是加密的U盘备份。请输入做这个备份时的U盘备份口令。"


class PassphraseDialog(QDialog):
    def __init__(self, request: Request, parent: QWidget | None = None):
        super().__init__(parent)
        self.request = request
        self.setObjectName("passphraseDialog")
        self.setWindowTitle(TITLES.get(request.mode, "U盘备份口令"))
        self.setMinimumWidth(460)
        lay = QVBoxLayout(self)
        intro = QLabel(_intro(request))
        intro.setWordWrap(True)
        lay.addWidget(intro)
        if request.about:
            self.about = QLabel(request.about)
            self.about.setObjectName("backupAbout")
            self.about.setWordWrap(True)
            self.about.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            lay.addWidget(self.about)
        if request.new:
            self.warning = QLabel(f"重要：{stick_backups.FORGOTTEN}")
            self.warning.setObjectName("passphraseWarning")
            self.warning.setWordWrap(True)
            pal = self.warning.palette()
            pal.setColor(self.warning.foregroundRole(), QColor(widgets.ERROR_RED))
            self.warning.setPalette(pal)
            lay.addWidget(self.warning)
        form = QFormLayout()
        self.passphrase = QLineEdit(request.typed)
        self.passphrase.setObjectName("passphrase")
        self.passphrase.setEchoMode(QLineEdit.EchoMode.Password)
        form.addRow("新口令：" if request.new else "口令：", self.passphrase)
        self.again = QLineEdit()
        self.again.setObjectName("passphraseAgain")
        self.again.setEchoMode(QLineEdit.EchoMode.Password)
        if request.new:
            form.addRow("再输入一次：", self.again)
        self.show_typed = QCheckBox("显示输入的口令")
        self.show_typed.toggled.connect(self._show)
        form.addRow("", self.show_typed)
        lay.addLayout(form)
        self.error = widgets.FieldError()
        self.error.set_error(request.error)
        lay.addWidget(self.error)
        buttons, self.ok_button = widgets.ok_cancel_buttons(self, "确定", self._accept_if_ok)
        lay.addWidget(buttons)
        self.passphrase.setFocus()
        self.passphrase.selectAll()

    def _show(self, on: bool) -> None:
        mode = QLineEdit.EchoMode.Normal if on else QLineEdit.EchoMode.Password
        self.passphrase.setEchoMode(mode)
        self.again.setEchoMode(mode)

    def value(self) -> str:
        return self.passphrase.text()

    def _accept_if_ok(self) -> None:
        text = self.value()
        problem = (stick_backups.passphrase_problem(text, self.again.text()) if self.request.new
                   else ("请输入口令" if not text else None))
        if problem:
            self.error.set_error(problem)
            (self.again if "两次" in problem else self.passphrase).setFocus()
            return
        self.accept()


def ask_passphrase(parent: QWidget | None, request: Request) -> str | None:
    """The passphrase typed (checked for a new one: long enough, the same twice), or None when
    cancelled. Tests replace this."""
    dialog = PassphraseDialog(request, parent)
    if widgets.exec_modal(dialog) != QDialog.DialogCode.Accepted:
        return None
    return dialog.value()
