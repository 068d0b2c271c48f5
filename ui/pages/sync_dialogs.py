"""The 同步 page's dialogs: what an import did, the records held back for review, and the records one
office keeps that the other lost in a restore. Kept apart from the page so each stays short."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from congress_desktop.core.context import Context
from congress_desktop.core.errors import CongressError
from congress_desktop.sync import service as sync_service
from ui import widgets

STATUS_LABELS = {"applied": "已导入", "already": "已导入过", "refused": "已拒绝"}


def local_time(t: dt.datetime | None) -> str:
    if t is None:
        return "从未"
    return t.replace(tzinfo=dt.UTC).astimezone().strftime("%Y-%m-%d %H:%M")


def muted(text: str) -> QLabel:
    label = QLabel(text)
    label.setObjectName("muted")
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.RichText)
    return label


def fill(t: QTableWidget, rows: list[list[str]]) -> None:
    t.setRowCount(len(rows))
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            t.setItem(r, c, QTableWidgetItem(str(value)))


def receipt_lines(receipts) -> list[str]:
    """What the receipts read from the stick said, for people (the taken ones, and why others were not)."""
    lines = []
    for rc in receipts:
        if rc.restarted or (not rc.accepted and rc.note and rc.note != "回执已读过"):
            lines.append(f"{rc.issuer_name} 的回执：{rc.note}。")
        elif rc.accepted:
            lines.append(f"已读取 {rc.issuer_name} 的回执：对方已确认收到第 {rc.confirmed_seq} 号之前的全部变更。")
    return lines


class ReportDialog(QDialog):
    """What an import did, package by package."""

    def __init__(self, report: sync_service.ImportReport, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("导入结果")
        self.resize(820, 360)
        self.table = widgets.list_table(["数据包", "发送单位", "结果", "说明"])
        rows = [[p.file, p.sender_name, STATUS_LABELS[p.status],
                 p.message + (f"；{p.receipt_error}" if p.receipt_error else "")] for p in report.packages]
        fill(self.table, rows)
        lines = []
        applied = sum(1 for p in report.packages if p.status == "applied")
        refused = sum(1 for p in report.packages if p.status == "refused")
        lines.append(f"共 {len(report.packages)} 个数据包：导入 {applied} 个，拒绝 {refused} 个。")
        lines += receipt_lines(report.receipts)
        if report.skipped_other:
            lines.append(f"U盘上另有 {report.skipped_other} 个数据包是发给其他单位的，未动。")
        lines += [f"注意：{w}" for w in report.warnings]
        if report.backup:
            lines.append(f"导入前已备份数据库：{report.backup.name}")
        if any(p.receipt for p in report.packages):
            lines.append("回执已写回U盘，请把U盘交回对方。拔下前请先“安全弹出”。")
        self.summary = QLabel("\n".join(lines))
        self.summary.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.button(QDialogButtonBox.StandardButton.Close).setText("关闭")
        buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addWidget(self.summary)
        lay.addWidget(self.table, 1)
        lay.addWidget(buttons)


class QuarantineDialog(QDialog):
    """The received records held back by an import: what differs, and the user's choice for each."""

    def __init__(self, ctx: Context, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle("核查隔离的记录")
        self.resize(860, 520)
        self.rows: list[sync_service.QuarantineRow] = []
        self.names = {p.code: p.name for p in sync_service.list_peers(ctx)}
        self.table = widgets.list_table(["收到时间", "发送单位", "记录", "原因"], "quarantineTable")
        self.table.itemSelectionChanged.connect(self._show_selected)
        self.diff = widgets.list_table(["项目", "本机的内容", "收到的内容"], "quarantineDiff")
        self.take_button = QPushButton("采用收到的版本")
        self.take_button.setObjectName("takeIncoming")
        self.take_button.clicked.connect(lambda: self._resolve(True))
        self.keep_button = QPushButton("保留本机版本")
        self.keep_button.setObjectName("keepLocal")
        self.keep_button.clicked.connect(lambda: self._resolve(False))
        self.message = QLabel()
        self.message.setObjectName("quarantineMessage")
        self.message.setWordWrap(True)
        actions = QHBoxLayout()
        actions.addWidget(self.take_button)
        actions.addWidget(self.keep_button)
        actions.addStretch(1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.button(QDialogButtonBox.StandardButton.Close).setText("关闭")
        buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addWidget(muted("导入时，收到的记录与本机的同一条记录版本号相同而内容不同（例如对方用旧备份恢复后又修改过），"
                            "或编号与其他单位的记录相同，这些记录没有写入，先隔离在这里。请与发送单位核实后选择："
                            "“采用收到的版本”用收到的内容替换本机的；“保留本机版本”不作改动。两种内容都会留存备查。"))
        lay.addWidget(self.table, 2)
        lay.addWidget(QLabel("不同之处："))
        lay.addWidget(self.diff, 3)
        lay.addLayout(actions)
        lay.addWidget(self.message)
        lay.addWidget(buttons)
        self.reload()

    def reload(self) -> None:
        self.rows = sync_service.list_quarantine(self.ctx)
        fill(self.table, [[local_time(r.at), self.names.get(r.sender, r.sender), sync_service.quarantine_title(r),
                           r.reason] for r in self.rows])
        if self.rows:
            self.table.selectRow(0)
        else:
            self.diff.setRowCount(0)
            self.message.setText(self.message.text() or "没有待核查的隔离记录。")
        self._show_selected()

    def selected(self) -> sync_service.QuarantineRow | None:
        r = self.table.currentRow()
        return self.rows[r] if 0 <= r < len(self.rows) and self.table.selectedItems() else None

    def _show_selected(self) -> None:
        row = self.selected()
        self.take_button.setEnabled(row is not None and row.reason == sync_service.engine.SAME_VERSION)
        self.keep_button.setEnabled(row is not None)
        fill(self.diff, [list(d) for d in sync_service.quarantine_differences(row)] if row else [])

    def _resolve(self, take_incoming: bool) -> None:
        row = self.selected()
        if row is None:
            return
        if take_incoming and not widgets.ask_yes_no(
                self, "采用收到的版本", f"用收到的内容替换本机的“{sync_service.quarantine_title(row)}”吗？\n"
                                  "本机原来的内容仍会留存备查。"):
            return
        try:
            msg = sync_service.resolve_quarantine(self.ctx, row.id, take_incoming=take_incoming)
        except CongressError as e:
            self.message.setText(e.message)
            return
        self.message.setText(msg)
        self.reload()


class KeptDialog(QDialog):
    """After a restore: the records the other side still keeps that this office lost (or holds in an
    older version), as its last receipt listed them, and the records this office keeps for others."""

    def __init__(self, ctx: Context, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("恢复备份后对方仍保存的记录")
        self.resize(820, 460)
        me = ctx.require_office().code
        names = {p.code: p.name for p in sync_service.list_peers(ctx)}
        self.rows = sync_service.list_kept(ctx)
        self.table = widgets.list_table(["保存在", "所属单位", "记录", "版本", "说明"], "keptTable")
        fill(self.table, [[names.get(r.holder, "本机") if r.holder != me else "本机",
                           "本单位" if r.owner == me else names.get(r.owner, r.owner), r.title, str(r.version),
                           r.why_label] for r in self.rows])
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.button(QDialogButtonBox.StandardButton.Close).setText("关闭")
        buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addWidget(muted(
            "恢复备份会让本机回到备份时的样子：备份之后录入或修改的内容，本机已经没有了，但已经报送过的，对方还保存着。"
            "对方不会因为本机忘记了而删除它们。下面是对方最近一次回执里列出的这些记录：需要的，请对照重新录入"
            "（重新录入后，它们会作为新记录再报送）。"))
        lay.addWidget(self.table, 1)
        lay.addWidget(buttons)
