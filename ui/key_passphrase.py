"""The private key's passphrase in the window (Linux without a desktop keyring, or Windows when its
data protection refused): asked in a small dialog on the GUI thread before work that needs the key
starts, because services run in a worker thread and never ask anyone. Once unwrapped, the key is
kept for the rest of the run, so the dialog comes once.

Seam for tests: ``ask_key_passphrase(parent, mode, problem)``."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from congress_desktop.core.context import Context
from congress_desktop.core.errors import CongressError
from congress_desktop.sync import keys as keymod
from congress_desktop.sync import service as sync_service
from congress_desktop.sync.keystore import passphrase_problem
from ui import errors as ui_errors
from ui import widgets

UNLOCK_TEXT = ("本单位的私钥由口令保护。请输入生成密钥时设定的私钥口令（区分大小写）。"
               "本次运行期间只需输入一次。")
CHOOSE_TEXT = ("本机没有可用的系统钥匙环，私钥将用口令保护：复制走数据文件夹的人没有口令也用不了私钥。"
               "请设定私钥口令（至少 8 个字符），每次启动程序后第一次同步时输入。"
               "<b>请牢记口令</b>：忘记后只能重新生成密钥，并交市人大重新登记。")


class PassphraseDialog(QDialog):
    """UNLOCK: one field. CHOOSE: the new passphrase twice, checked by the same rule as the core."""

    def __init__(self, mode: str, problem: str = "", parent: QWidget | None = None):
        super().__init__(parent)
        self.mode = mode
        choose = mode == keymod.CHOOSE
        self.setWindowTitle("设定私钥口令" if choose else "输入私钥口令")
        text = QLabel(CHOOSE_TEXT if choose else UNLOCK_TEXT)
        text.setWordWrap(True)
        text.setTextFormat(Qt.TextFormat.RichText)
        self.passphrase = QLineEdit()
        self.passphrase.setObjectName("keyPassphrase")
        self.passphrase.setEchoMode(QLineEdit.EchoMode.Password)
        self.again = QLineEdit()
        self.again.setObjectName("keyPassphraseAgain")
        self.again.setEchoMode(QLineEdit.EchoMode.Password)
        form = QFormLayout()
        form.addRow("私钥口令：", self.passphrase)
        if choose:
            form.addRow("再输入一次：", self.again)
        self.error = widgets.FieldError()
        self.error.set_error(problem)
        buttons = QDialogButtonBox()
        buttons.addButton("确定", QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton("取消", QDialogButtonBox.ButtonRole.RejectRole)
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addWidget(text)
        lay.addLayout(form)
        lay.addWidget(self.error)
        lay.addWidget(buttons)
        self.resize(460, self.sizeHint().height())

    def value(self) -> str:
        return self.passphrase.text()

    def _accept(self) -> None:
        pw = self.value()
        if self.mode == keymod.CHOOSE:
            problem = passphrase_problem(pw)
            if problem is None and self.again.text() != pw:
                problem = "两次输入的口令不一致"
        else:
            problem = None if pw else "请输入私钥口令"
        if problem:
            self.error.set_error(problem)
            return
        self.accept()


def ask_key_passphrase(parent: QWidget | None, mode: str, problem: str = "") -> str | None:
    """The passphrase typed in the dialog, None when cancelled. Tests replace this function."""
    dlg = PassphraseDialog(mode, problem, parent)
    if widgets.exec_modal(dlg) != QDialog.DialogCode.Accepted:
        return None
    return dlg.value()


def ensure_private_key(parent: QWidget | None, ctx: Context) -> bool:
    """Before starting a task that uses this office's private key: ask its passphrase now if this run
    has not unwrapped it yet (a wrong one is asked again). False: cancelled, or the key is unusable
    (the error was shown)."""
    mode = sync_service.key_passphrase_need(ctx)
    problem = ""
    while mode:
        pw = ask_key_passphrase(parent, mode, problem)
        if pw is None:
            return False
        QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)  # Argon2id: a fraction of a second
        try:
            sync_service.unlock_own_key(ctx, pw)
            return True
        except keymod.WrongPassphrase as e:
            problem = e.message
        except CongressError as e:
            ui_errors.show_error(parent, e)
            return False
        finally:
            QGuiApplication.restoreOverrideCursor()
    return True


def passphrase_for_new_key(parent: QWidget | None, mode: str | None = None) -> tuple[bool, str | None]:
    """(go on?, passphrase) before making a key: a new passphrase when this PC protects keys with one."""
    mode = mode or sync_service.new_key_passphrase_need()
    if not mode:
        return True, None
    pw = ask_key_passphrase(parent, mode)
    return pw is not None, pw
