"""备份与恢复, a part of the 设置 page: the list of backups (time, reason, size, record counts) and
立即备份 / 备份到U盘 / 从选中的备份恢复 / 从U盘恢复 / U盘备份口令 / 检查数据. The work runs through
ui.tasks.run_task; the rules are in congress_desktop.backups.service and .stick_backups.

备份到U盘 asks for the office's passphrase (the first time: sets it, typed twice, with the warning);
a passphrase the service refuses is asked again, keeping what was typed. 从U盘恢复 of an encrypted
file shows what its header says, then asks for the passphrase the same way.

Seams for tests: ``choose_folder(parent)``, ``data_safety.choose_backup_file(parent)``,
``passphrase.ask_passphrase(parent, request)`` and the modal dialogs through ``widgets.exec_modal``."""

from __future__ import annotations

import logging

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from congress_desktop.backups import service as backups
from congress_desktop.backups import stick as stick_backups
from congress_desktop.core.context import Context
from congress_desktop.core.errors import WrongPassphrase
from ui import data_safety, errors, passphrase, tasks, widgets

log = logging.getLogger(__name__)

COLUMNS = ("备份时间", "类型", "大小", "记录")


def choose_folder(parent: QWidget | None) -> str:
    """The folder to back up to ('' when cancelled). Tests replace this."""
    return QFileDialog.getExistingDirectory(parent, "选择U盘或其他文件夹")


def _info(parent: QWidget | None, title: str, text: str, icon=QMessageBox.Icon.Information) -> None:
    box = QMessageBox(icon, title, text, QMessageBox.StandardButton.Ok, parent)
    box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    widgets.exec_modal(box)


def _ask_hold(parent: QWidget | None, report: str) -> bool:
    """The check found received records it cannot read: put them aside as 待核查? Tests replace this."""
    box = QMessageBox(QMessageBox.Icon.Warning, "检查数据", report, QMessageBox.StandardButton.NoButton, parent)
    box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    hold = box.addButton("转为待核查", QMessageBox.ButtonRole.AcceptRole)
    box.addButton("关闭", QMessageBox.ButtonRole.RejectRole)
    widgets.exec_modal(box)
    return box.clickedButton() is hold


class BackupsPanel(QWidget):
    def __init__(self, ctx: Context, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("backupsPanel")
        self.rows: list[backups.BackupInfo] = []
        self.last_result = None  # the last finished action's result (tests, status)

        self.intro = QLabel(
            "每天第一次打开程序时自动备份；升级程序、导入同步数据包和恢复备份之前也会先自动备份。"
            "自动备份保留最近 7 天每天一份、4 周每周一份、12 个月每月一份，保存在："
            f"{backups.backups_dir(ctx)}。电脑硬盘损坏时这些备份也会一起丢失，请定期“备份到U盘”："
            "U盘上的备份用本单位的U盘备份口令加密，U盘丢失也不会泄露数据。")
        self.intro.setWordWrap(True)
        self.intro.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setObjectName("backupsTable")
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().setVisible(False)
        self.table.setMinimumHeight(160)
        header = self.table.horizontalHeader()
        for i in range(3):
            header.setSectionResizeMode(i, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.table.itemDoubleClicked.connect(lambda _item: self.restore_selected())

        self.backup_button = QPushButton("立即备份")
        self.backup_button.clicked.connect(self.backup_now)
        self.usb_button = QPushButton("备份到U盘…")
        self.usb_button.setToolTip("把数据库和附件加密复制到U盘或其他文件夹（需要U盘备份口令）")
        self.usb_button.clicked.connect(self.backup_to_usb)
        self.restore_button = QPushButton("从选中的备份恢复…")
        self.restore_button.clicked.connect(self.restore_selected)
        self.restore_file_button = QPushButton("从U盘恢复…")
        self.restore_file_button.setToolTip("选择一个备份文件（如U盘上的）恢复")
        self.restore_file_button.clicked.connect(self.restore_from_file)
        self.passphrase_button = QPushButton("U盘备份口令…")
        self.passphrase_button.setToolTip("设置或更改U盘备份口令（以前的U盘备份仍用旧口令打开）")
        self.passphrase_button.clicked.connect(self.change_passphrase)
        self.check_button = QPushButton("检查数据")
        self.check_button.setToolTip("检查数据库是否完好、附件文件是否齐全且未损坏")
        self.check_button.clicked.connect(self.check_data)
        self.open_button = QPushButton("打开备份文件夹")
        self.open_button.clicked.connect(lambda: widgets.open_folder(backups.backups_dir(self.ctx)))

        row = QHBoxLayout()
        for b in (self.backup_button, self.usb_button, self.restore_button, self.restore_file_button,
                  self.passphrase_button, self.check_button, self.open_button):
            row.addWidget(b)
        row.addStretch(1)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.intro)
        lay.addWidget(self.table)
        lay.addLayout(row)
        self.refresh()

    # ------------------------------------------------------------ list
    def refresh(self) -> None:
        try:
            self.rows = backups.list_backups(self.ctx)
        except OSError as e:
            log.warning("cannot list backups: %s", e)
            self.rows = []
        self.table.setRowCount(len(self.rows))
        for r, info in enumerate(self.rows):
            for c, text in enumerate((info.made_label, info.reason_label, info.size_label, info.counts_label)):
                item = QTableWidgetItem(text)
                item.setToolTip(str(info.path))
                self.table.setItem(r, c, item)
        self._update_buttons()

    def showEvent(self, event) -> None:  # the daily backup may have finished meanwhile
        super().showEvent(event)
        self.refresh()

    def selected(self) -> backups.BackupInfo | None:
        rows = self.table.selectionModel().selectedRows()
        return self.rows[rows[0].row()] if rows else None

    def _update_buttons(self) -> None:
        self.restore_button.setEnabled(self.selected() is not None)

    # ------------------------------------------------------------ actions
    def _done(self, result, message: str) -> None:
        self.last_result = result
        self.refresh()
        widgets.show_status(self, message)

    def backup_now(self):
        ctx = self.ctx
        return tasks.run_task(self, "正在备份", lambda progress, cancel: backups.backup_before(
            ctx, "manual", progress=progress, cancel=cancel),
            lambda info: self._done(info, f"已备份：{info.made_label}，{info.size_label}"))

    def backup_to_usb(self):
        """Choose the folder, then the passphrase (set it the first time), then back up in the background."""
        folder = choose_folder(self)
        if not folder:
            return None
        if stick_backups.passphrase_is_set(self.ctx):
            return self._ask_and_back_up(folder)
        typed = passphrase.ask_passphrase(self, passphrase.Request("set"))
        if typed is None:
            widgets.show_status(self, "已取消，没有备份")
            return None
        return self._back_up_to(folder, typed, set_first=True)

    def _ask_and_back_up(self, folder: str, typed: str = "", error: str = ""):
        text = passphrase.ask_passphrase(self, passphrase.Request("backup", typed=typed, error=error))
        if text is None:
            widgets.show_status(self, "已取消，没有备份")
            return None
        return self._back_up_to(folder, text)

    def _back_up_to(self, folder: str, text: str, *, set_first: bool = False):
        ctx = self.ctx

        def work(progress, cancel):
            if set_first:
                stick_backups.set_passphrase(ctx, text)
            return backups.backup_to_folder(ctx, folder, passphrase=text, progress=progress, cancel=cancel)

        def ok(made) -> None:
            info = made.info
            self._done(made, f"已加密备份到 {info.path}")
            note = (f"\n\n注意：这个文件夹里还有 {made.plain_left} 个以前未加密的备份（.sqlite3 文件和 congress-attachments "
                    "文件夹），U盘丢失时会泄露数据。确认新的加密备份可用后，请删除它们。") if made.plain_left else ""
            _info(self, "备份到U盘", f"已加密备份到：\n{info.path}\n\n{info.made_label}，{info.size_label}；{info.counts_label}。\n"
                  f"附件：U盘上共 {made.attachments_total} 个，本次新写入 {made.attachments_written} 个（已加密）。\n"
                  "备份已通过完整性检查。恢复时需要输入U盘备份口令。拔出U盘前，请先在任务栏“安全删除硬件”。" + note)

        def failed(exc: BaseException) -> None:
            if isinstance(exc, WrongPassphrase):  # ask again, keeping what was typed
                self.last_usb_handle = self._ask_and_back_up(folder, text, exc.message)
                return
            errors.show_error(self, exc)

        self.last_usb_handle = tasks.run_task(self, "正在加密备份到U盘", work, ok, failed)
        return self.last_usb_handle

    def change_passphrase(self):
        """Set or change the stick-backup passphrase (older stick backups keep theirs)."""
        ctx = self.ctx
        changing = stick_backups.passphrase_is_set(ctx)
        text = passphrase.ask_passphrase(self, passphrase.Request("change" if changing else "set"))
        if text is None:
            widgets.show_status(self, "已取消，U盘备份口令没有改变")
            return None

        def ok(_verifier) -> None:
            self.last_result = _verifier
            _info(self, "U盘备份口令", ("U盘备份口令已更改。以后的U盘备份用新口令；以前的U盘备份仍要用当时的旧口令打开。"
                                      if changing else "U盘备份口令已设置。每次备份到U盘和从U盘恢复时都要输入它。")
                  + "\n\n请把口令写在纸上，与单位公章放在一起保管：忘记口令，U盘备份就无法打开。")

        return tasks.run_task(self, "正在设置口令", lambda _p, _c: stick_backups.set_passphrase(ctx, text), ok)

    def restore_selected(self):
        info = self.selected()
        return self.restore(str(info.path)) if info is not None else None

    def restore_from_file(self):
        path = data_safety.choose_backup_file(self)
        return self.restore(path) if path else None

    def restore(self, path: str):
        """Show the backup's date and record counts beside the current ones, ask, then restore."""
        ctx = self.ctx

        def inspect(_progress, _cancel):
            return backups.inspect_backup(path), backups.current_summary(ctx)

        return tasks.run_task(self, "正在读取备份", inspect, lambda pair: self._confirm_restore(path, *pair))

    def _confirm_restore(self, path: str, info, now) -> None:
        text = (f"用这个备份替换当前的数据吗？\n\n"
                f"备份时间：{info.made_label}（{info.reason_label}）\n"
                f"单位：{info.office_name}\n"
                f"备份中的记录：{info.counts_label}\n\n"
                f"当前的记录：{now.counts_label}\n\n"
                + ("这是加密的U盘备份：确认后请输入做这个备份时的U盘备份口令。\n\n" if info.encrypted else "")
                + "恢复前，当前数据会先自动备份到 backups 文件夹；如果恢复错了，还可以用那份备份恢复回来。")
        if not widgets.ask_yes_no(self, "从备份恢复", text):
            widgets.show_status(self, "已取消恢复，数据没有改变")
            return
        if info.encrypted:
            self._ask_and_restore(path, info)
        else:
            self._restore_with(path, None, info)

    def _ask_and_restore(self, path: str, info, typed: str = "", error: str = "") -> None:
        text = passphrase.ask_passphrase(self, passphrase.Request("restore", passphrase.about_backup(info), typed, error))
        if text is None:
            widgets.show_status(self, "已取消恢复，数据没有改变")
            return
        self._restore_with(path, text, info)

    def _restore_with(self, path: str, text: str | None, info) -> None:
        ctx = self.ctx

        def failed(exc: BaseException) -> None:
            if isinstance(exc, WrongPassphrase):  # nothing changed: ask again, keeping what was typed
                self._ask_and_restore(path, info, text or "", exc.message)
                return
            errors.show_error(self, exc)

        self.last_restore_handle = tasks.run_task(
            self, "正在恢复", lambda progress, cancel: backups.restore_backup(
                ctx, path, passphrase=text, progress=progress, cancel=cancel), self._restored, failed)

    def _restored(self, result) -> None:
        self.last_result = result
        window = self.window()
        extra = ""
        if result.attachments_copied:
            extra += f"\n\n从备份复制回 {result.attachments_copied} 个附件文件。"
        if result.attachments_missing:
            extra += (f"\n\n注意：有 {result.attachments_missing} 个附件文件本机没有，备份旁也没有找到（或校验不通过）。"
                      "点“检查数据”可以列出它们。")
        _info(self, "已恢复", f"已用 {result.restored.made_label} 的备份恢复：{result.restored.counts_label}。\n\n"
              f"恢复前的数据已备份为：\n{result.before.path}" + extra)
        data_safety.reload_window(window)  # every page shows the restored data (this panel is rebuilt)

    def check_data(self):
        folder = self.ctx.data_dir

        def ok(report) -> None:
            self.last_result = report
            values = report.section("values")
            if values is not None and values.notes and _ask_hold(self, "\n".join(report.lines())):
                self.hold_received()
                return
            _info(self, "检查数据", "\n".join(report.lines()),
                  QMessageBox.Icon.Information if report.ok else QMessageBox.Icon.Warning)

        return tasks.run_task(self, "正在检查数据", lambda progress, cancel: backups.check_data(
            folder, progress=progress, cancel=cancel), ok)

    def hold_received(self):
        """转为待核查: the received records whose content cannot be read, put aside; then check again."""
        from congress_desktop.backups.values import hold_bad_received

        def done(n: int) -> None:
            self.last_result = n
            self.check_data()

        return tasks.run_task(self, "正在转为待核查", lambda _p, _c: hold_bad_received(self.ctx), done)
