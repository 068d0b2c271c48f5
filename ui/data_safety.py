"""The window's side of keeping the data safe (the rules live in congress_desktop.backups.service):

- ``open_context(folder, parent)``: open the data folder; a folder on a network share or a removable
  drive is refused with the reason and the offer to copy the data to the local default folder; a
  damaged database is never opened silently: the user is offered the newest good backup (or a file
  of their choice, e.g. from a stick); a database of a newer program is left as it is, with the offer
  of the newest backup this version can open.
- ``StartupMaintenance``: after the window is shown, the daily backup runs in a background thread
  (its copy's integrity check covers the live file); a damaged file found there gets the same offer.

An encrypted stick backup (``.cdbak``) chosen for a restore asks for its passphrase
(``passphrase.ask_passphrase``), again after a wrong one, keeping what was typed.

Seams for tests: ``choose(...)`` (a question with buttons), ``choose_backup_file(parent)`` and
``passphrase.ask_passphrase``.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from congress_desktop.backups import service as backups
from congress_desktop.backups import stick as stick_backups
from congress_desktop.core.context import Context
from congress_desktop.core.errors import (
    NEWER_SCHEMA_TEXT,
    CongressError,
    DatabaseDamaged,
    Exists,
    NewerSchema,
    UnsafeLocation,
    WrongPassphrase,
)
from ui import errors, passphrase, tasks, widgets

log = logging.getLogger(__name__)


def choose(parent: QWidget | None, title: str, text: str, options: list[str], *,
           icon: QMessageBox.Icon = QMessageBox.Icon.Warning) -> int:
    """Ask with one button per option; the index chosen, or -1 (closed). Tests replace this."""
    box = QMessageBox(icon, title, text, QMessageBox.StandardButton.NoButton, parent)
    box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    buttons = []
    for i, label in enumerate(options):
        role = QMessageBox.ButtonRole.RejectRole if i == len(options) - 1 else QMessageBox.ButtonRole.AcceptRole
        buttons.append(box.addButton(label, role))
    box.setDefaultButton(buttons[0])
    widgets.exec_modal(box)
    clicked = box.clickedButton()
    return buttons.index(clicked) if clicked in buttons else -1


def choose_backup_file(parent: QWidget | None) -> str:
    """A backup file picked by the user ('' when cancelled). Tests replace this."""
    path, _ = QFileDialog.getOpenFileName(parent, "选择备份文件", "",
                                          "备份文件 (*.cdbak *.sqlite3);;U盘加密备份 (*.cdbak);;"
                                          "自动备份 (*.sqlite3);;所有文件 (*)")
    return path


def _run(parent: QWidget | None, title: str, fn):
    """Run ``fn(progress, cancel)`` through the task runner and wait for it; (result, error)."""
    got: list = []
    failed: list[BaseException] = []
    handle = tasks.run_task(parent, title, fn, got.append, failed.append)
    handle.wait(24 * 3600 * 1000)
    return (got[0] if got else None), (failed[0] if failed else None)


def _restore_asking(parent: QWidget | None, source: str, title: str, work):
    """Run ``work(passphrase, progress, cancel)`` through ``_run``: for an encrypted backup with the
    passphrase asked first (and again after a wrong one, keeping what was typed). (None, None) when
    the user cancelled the passphrase."""
    if not stick_backups.is_sealed(source):
        return _run(parent, title, lambda progress, cancel: work(None, progress, cancel))
    try:
        about = passphrase.about_backup(backups.inspect_backup(source))
    except CongressError as e:
        return None, e
    typed = error = ""
    while True:
        text = passphrase.ask_passphrase(parent, passphrase.Request("restore", about, typed, error))
        if text is None:
            return None, None
        result, failed = _run(parent, title, lambda progress, cancel, text=text: work(text, progress, cancel))
        if not isinstance(failed, WrongPassphrase):
            return result, failed
        typed, error = text, failed.message


# ------------------------------------------------------------------ texts
def unsafe_text(err: UnsafeLocation) -> str:
    return (f"{err.reason}。\n\n数据库放在网络共享或U盘、移动硬盘上，断网、拔出或几台电脑同时打开都可能损坏数据，"
            f"程序不在这种位置打开数据库。\n\n可以把数据（数据库和附件）复制到本机硬盘上的默认位置：\n{err.local_folder}\n"
            "原来的文件保留不动。复制后程序从本机打开；以后请只使用本机这一份，并用“备份到U盘”定期备份。")


def damaged_text(path: str, problems: list[str] | tuple[str, ...], good, *, found_later: bool = False) -> str:
    head = ("后台检查发现数据库文件已损坏：" if found_later
            else "数据库文件没有通过完整性检查，程序没有打开它，以免损坏扩大：")
    text = f"{head}\n{path}\n\n检查结果：{'；'.join(list(problems)[:3])}\n\n"
    if good is not None:
        text += (f"最新的完好备份：{good.made_label}（{good.reason_label}）\n记录：{good.counts_label}\n\n"
                 "用这个备份恢复后，备份时间之后录入的内容需要重新录入。损坏的文件会移到 backups 文件夹里保存，不会删除。")
    else:
        text += ("没有找到完好的自动备份。如果U盘或其他位置有备份，请选择它来恢复；否则请不要删除这个文件，"
                 "联系技术支持。")
    return text


def newer_text(err: NewerSchema) -> str:
    text = (f"{NEWER_SCHEMA_TEXT}。\n{err.path}\n\n这台电脑上运行过更新版本的程序，数据库已经升级到本程序不认识的版本"
            f"（{'、'.join(err.unknown)}）。程序没有打开它，也没有改动它；安装新版本后，数据照常打开。\n\n")
    good = err.backup
    if good is not None:
        text += (f"如果暂时不能安装新版本，可以用本程序能打开的最新备份恢复：\n{good.made_label}（{good.reason_label}）\n"
                 f"记录：{good.counts_label}\n\n这个备份之后录入的内容（包括在新版本中录入的）恢复后看不到。"
                 "当前的数据库文件会原样移到 backups 文件夹里保存，不会删除，装上新版本后还可以用它恢复。")
    else:
        text += "backups 文件夹里没有本程序能打开的备份。请安装新版本；如果U盘上有备份，也可以选择它来恢复。"
    return text


# ------------------------------------------------------------------ opening
def open_context(folder: Path, parent: QWidget | None = None) -> Context | None:
    """The open office data, or None when the user chose to quit (or a refusal could not be resolved)."""
    folder = Path(folder)
    for _attempt in range(5):  # each answer changes something; never loop forever
        try:
            return Context.open(folder)
        except UnsafeLocation as e:
            moved = _offer_move(parent, e, folder)
            if moved is None:
                return None
            folder = moved
        except DatabaseDamaged as e:
            if not _offer_restore_at_open(parent, e, folder):
                return None
        except NewerSchema as e:
            if not _offer_restore_newer(parent, e, folder):
                return None
        except CongressError as e:
            errors.show_error(parent, e)
            return None
    return None


def _offer_move(parent: QWidget | None, err: UnsafeLocation, folder: Path) -> Path | None:
    local = Path(err.local_folder)
    from congress_desktop.core import paths

    if paths.db_path(local).exists():
        answer = choose(parent, "数据文件夹位置不安全",
                        f"{err.reason}。\n\n数据库放在网络共享或可移动磁盘上容易损坏，程序不在这种位置打开数据库。\n\n"
                        f"本机默认位置 {local} 已经有一份数据库。要打开本机的这一份吗？\n"
                        "（两份数据哪份是要用的，请先确认；网络上的文件保留不动。）",
                        ["打开本机的数据", "退出"])
        return local if answer == 0 else None
    if choose(parent, "数据文件夹位置不安全", unsafe_text(err), ["复制到本机并打开", "退出"]) != 0:
        log.info("user declined to move the data from %s", folder)
        return None
    result, error = _run(parent, "正在把数据复制到本机",
                         lambda progress, cancel: backups.move_to_local(folder, local, progress=progress,
                                                                        cancel=cancel))
    if error is not None:
        if not isinstance(error, Exists):
            errors.show_error(parent, error)
            return None
        return local if choose(parent, "本机已有数据", str(error), ["打开本机的数据", "退出"]) == 0 else None
    return result


def _pick_backup(parent: QWidget | None, title: str, text: str, good) -> str:
    options = (["用这个备份恢复", "选择其他备份文件…", "退出"] if good is not None
               else ["选择备份文件…", "退出"])
    answer = choose(parent, title, text, options, icon=QMessageBox.Icon.Critical)
    if good is not None and answer == 0:
        return str(good.path)
    if answer == len(options) - 2:
        return choose_backup_file(parent)
    return ""


def _offer_restore_at_open(parent: QWidget | None, err: DatabaseDamaged, folder: Path) -> bool:
    """True: restored, or the passphrase was cancelled (open_context then asks again); False: quit."""
    source = _pick_backup(parent, "数据库已损坏", damaged_text(err.path, err.problems, err.backup), err.backup)
    if not source:
        log.info("user declined to restore the damaged database %s", err.path)
        return False
    result, error = _restore_asking(parent, source, "正在用备份恢复",
                                    lambda text, progress, cancel: backups.restore_damaged(
                                        folder, source, passphrase=text, progress=progress, cancel=cancel))
    if error is not None:
        errors.show_error(parent, error)
        return False
    if result is None:  # the passphrase was cancelled: back to the choice of backup (open_context asks again)
        log.info("user cancelled the passphrase for %s", source)
        return True
    choose(parent, "已恢复", f"已用 {result.restored.made_label} 的备份恢复（{result.restored.counts_label}）。\n"
           f"损坏的文件保存在：{result.set_aside}", ["确定"], icon=QMessageBox.Icon.Information)
    return True


def _offer_restore_newer(parent: QWidget | None, err: NewerSchema, folder: Path) -> bool:
    options = ["用备份恢复", "退出"] if err.backup is not None else ["选择备份文件…", "退出"]
    answer = choose(parent, "数据库版本较新", newer_text(err), options)
    if answer != 0:
        log.info("user declined to restore over the newer database %s", err.path)
        return False
    source = str(err.backup.path) if err.backup is not None else choose_backup_file(parent)
    if not source:
        return False
    result, error = _run(parent, "正在用备份恢复",
                         lambda progress, cancel: backups.restore_damaged(folder, source, progress=progress,
                                                                          cancel=cancel, aside="newer"))
    if error is not None:
        errors.show_error(parent, error)
        return False
    choose(parent, "已恢复", f"已用 {result.restored.made_label} 的备份恢复（{result.restored.counts_label}）。\n"
           f"由更新版本创建的数据库保存在：{result.set_aside}", ["确定"], icon=QMessageBox.Icon.Information)
    return True


# ------------------------------------------------------------------ after the window is shown
class StartupMaintenance(QObject):
    """The daily backup (and the deep check it brings) on a background thread of its own, so neither
    the window nor the task runner waits for it. ``done`` carries a MaintenanceResult (or None on
    an unexpected error, which is logged)."""

    done = Signal(object)

    def __init__(self, ctx: Context, parent: QObject | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self._stop = threading.Event()
        self._interrupter = backups.Interrupter()
        self._thread: threading.Thread | None = None
        self.result = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._work, name="startup-maintenance", daemon=True)
        self._thread.start()

    def _work(self) -> None:
        try:
            result = backups.startup_maintenance(self.ctx, cancel=self._stop.is_set, interrupter=self._interrupter)
        except CongressError as e:
            if e.code != "cancelled":
                log.warning("start-up maintenance: %s", e.message)
            result = None
        except Exception:
            log.exception("start-up maintenance failed")
            result = None
        self.result = result
        if not self._stop.is_set():
            self.done.emit(result)  # queued to the GUI thread (this object lives there)

    def stop(self, timeout_s: float = 5.0) -> None:
        """Cancel and wait (the application is closing): a backup stops between two steps, a check
        is interrupted; a half-written backup is deleted."""
        self._stop.set()
        self._interrupter.interrupt()
        if self._thread is not None:
            self._thread.join(timeout_s)

    def wait(self, timeout_s: float = 60.0) -> bool:
        if self._thread is not None:
            self._thread.join(timeout_s)
            return not self._thread.is_alive()
        return True


def handle_maintenance_result(window, result) -> None:
    """Tell the user what the background maintenance found (called on the GUI thread)."""
    if result is None:
        return
    if result.backup is not None:
        widgets.show_status(window, f"已自动备份数据（{result.backup.made_label}）", 8000)
    elif result.error:
        widgets.show_status(window, f"自动备份没有完成：{result.error}", 30000)
    if not result.damaged:
        return
    ctx = window.ctx
    source = _pick_backup(window, "数据库已损坏",
                          damaged_text(str(ctx.db_path), result.problems, result.good_backup, found_later=True),
                          result.good_backup)
    if not source:
        widgets.show_status(window, "数据库已损坏：请尽快在“设置”页用备份恢复", 0)
        return
    restored, error = _restore_asking(window, source, "正在用备份恢复",
                                      lambda text, progress, cancel: backups.replace_damaged(
                                          ctx, source, passphrase=text, progress=progress, cancel=cancel))
    if error is not None:
        errors.show_error(window, error)
        return
    if restored is None:
        widgets.show_status(window, "数据库已损坏：请尽快在“设置”页用备份恢复", 0)
        return
    reload_window(window)
    choose(window, "已恢复", f"已用 {restored.restored.made_label} 的备份恢复（{restored.restored.counts_label}）。\n"
           f"损坏的文件保存在：{restored.set_aside}", ["确定"], icon=QMessageBox.Icon.Information)


def reload_window(window) -> None:
    """Every page shows the database as it is now (after a restore)."""
    reload = getattr(window, "reload_pages", None)
    if callable(reload):
        reload()
    elif getattr(window, "ctx", None) is not None:
        window.attach(window.ctx)
