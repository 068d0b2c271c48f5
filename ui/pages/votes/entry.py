"""Keyboard-only ballot entry: the key line, one clerk's stack, the correction dialog."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from congress_desktop.core.context import Context
from congress_desktop.core.errors import CongressError
from congress_desktop.votes import service as vote_service
from congress_desktop.votes import tally as dv
from ui import errors as ui_errors
from ui import widgets
from ui.pages.votes.common import (
    SHORT,
    VOID_FILL,
    VOID_INK,
    WARN_FILL,
    item_cell,
    key_help,
    make_table,
    marks_text,
)

# ------------------------------------------------------------------ the key line


class BallotLine(QLineEdit):
    """Takes only the keys of a ballot; Enter submits, Ctrl+Z on an empty line undoes the last ballot."""

    submitted = Signal()
    undo_requested = Signal()

    def __init__(self, kind: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("ballotLine")
        self.kind = kind
        self.n_items = 0
        font = self.font()
        font.setPointSizeF(font.pointSizeF() * 1.6)
        font.setFamily("monospace")
        font.setLetterSpacing(font.SpacingType.AbsoluteSpacing, 4)
        self.setFont(font)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt's name)
        key = event.key()
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.submitted.emit()
            return
        if event.matches(QKeySequence.StandardKey.Undo) and not self.text():
            self.undo_requested.emit()
            return
        text = event.text()
        if text and text.isprintable() and not event.modifiers() & (Qt.KeyboardModifier.ControlModifier
                                                                    | Qt.KeyboardModifier.AltModifier):
            if text == "*":
                self.setText(self.text().replace("*", "") if "*" in self.text() else self.text() + "*")
                return
            if text not in dv.KEY_MARKS[self.kind] or len(self.keys()) >= self.n_items:
                QApplication.beep()
                return
        super().keyPressEvent(event)

    def keys(self) -> str:
        return self.text().replace("*", "")

    def doubtful(self) -> bool:
        return "*" in self.text()


class CorrectDialog(QDialog):
    """更正一张选票: the keys again and the reason (both required)."""

    def __init__(self, kind: str, n_items: int, entry: vote_service.BallotEntry, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(f"更正第 {entry.position} 张选票")
        self.kind = kind
        self.keys = QLineEdit(entry.keys)
        self.keys.setMaxLength(n_items)
        self.keys.setPlaceholderText(key_help(kind))
        self.reason = QLineEdit()
        self.reason.setPlaceholderText("如：对照原票，第 3 项应为反对")
        self.doubtful = QComboBox()
        self.doubtful.addItem("否", False)
        self.doubtful.addItem("是（交总监票人、监票人认定）", True)
        self.doubtful.setCurrentIndex(1 if entry.doubtful else 0)
        self.preview = QLabel(marks_text(kind, entry.keys))
        self.keys.textChanged.connect(lambda t: self.preview.setText(marks_text(kind, t)))
        form = QFormLayout()
        form.addRow("原录入", QLabel(marks_text(kind, entry.keys)))
        form.addRow("更正为（按键）", self.keys)
        form.addRow("", self.preview)
        form.addRow("存疑", self.doubtful)
        form.addRow("更正原因", self.reason)
        buttons, _ = widgets.ok_cancel_buttons(self, "更正", self.accept)
        lay = QVBoxLayout(self)
        lay.addLayout(form)
        lay.addWidget(QLabel("原录入不会被删除：更正作为新记录保存在原记录之上，并写入计票日志。"))
        lay.addWidget(buttons)

    def accept_with(self, keys: str, reason: str, doubtful: bool = False) -> None:
        self.keys.setText(keys)
        self.reason.setText(reason)
        self.doubtful.setCurrentIndex(1 if doubtful else 0)
        self.accept()


class BallotEntryWidget(QWidget):
    """One clerk's stack: the ballots entered so far (one row each) and the line for the next one."""

    changed = Signal()

    def __init__(self, ctx: Context, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.round: vote_service.RoundRow | None = None
        self.kind = dv.PROJECT_VOTE
        self.seats = 0
        self.rules = dv.Rules()
        self.items: tuple = ()
        self.clerk = "A"
        self.clerk_name = ""
        self.entries: list[vote_service.BallotEntry] = []

        self.help_label = QLabel()
        self.help_label.setWordWrap(True)
        self.help_label.setObjectName("muted")
        self.table = make_table(["张", "各项标记", "结果", "说明"])
        self.table.itemDoubleClicked.connect(lambda _i: self.correct_selected())
        self.line = BallotLine(self.kind)
        self.line.textChanged.connect(self._preview)
        self.line.submitted.connect(self.submit)
        self.line.undo_requested.connect(self.undo_last)
        self.preview = QLabel()
        self.preview.setObjectName("ballotPreview")
        self.preview.setTextFormat(Qt.TextFormat.RichText)
        self.preview.setWordWrap(True)
        self.status = QLabel()
        self.status.setObjectName("ballotStatus")
        self.status.setWordWrap(True)
        self.count_label = QLabel()
        self.undo_button = QPushButton("撤销上一张（Ctrl+Z）")
        self.undo_button.clicked.connect(self.undo_last)
        self.correct_button = QPushButton("更正所选…（F2）")
        self.correct_button.clicked.connect(self.correct_selected)
        QShortcut(QKeySequence(Qt.Key.Key_F2), self, self.correct_selected)

        row = QHBoxLayout()
        row.addWidget(QLabel("下一张："))
        row.addWidget(self.line, 1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.count_label, 1)
        buttons.addWidget(self.undo_button)
        buttons.addWidget(self.correct_button)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.help_label)
        lay.addWidget(self.table, 1)
        lay.addLayout(row)
        lay.addWidget(self.preview)
        lay.addWidget(self.status)
        lay.addLayout(buttons)

    # -------------------------------------------------------------- loading
    def set_round(self, session: vote_service.SessionRow, rnd: vote_service.RoundRow, items, clerk: str,
                  clerk_name: str) -> None:
        self.round = rnd
        self.kind = session.kind
        self.seats = rnd.seats
        self.rules = session.rules
        self.items = tuple(items)
        self.clerk = clerk
        self.clerk_name = clerk_name
        self.line.kind = self.kind
        self.line.n_items = len(self.items)
        self.line.setMaxLength(len(self.items) + 1)
        self.line.clear()
        limit = (f"；赞成不得超过 {self.seats} 项，超过的整张作废" if self.kind == dv.PROJECT_VOTE else "")
        names = "　".join(f"{n}.{it.name}" for n, it in enumerate(self.items, start=1))
        self.help_label.setText(
            f"{vote_service.CLERKS[clerk]}{'（' + clerk_name + '）' if clerk_name else ''}：每张选票按项目顺序逐项按一个键"
            f"（{key_help(self.kind)}），共 {len(self.items)} 个键，回车录入下一张；* 标为存疑{limit}。\n项目：{names}")
        self.reload()

    def reload(self) -> None:
        if self.round is None:
            return
        self.entries = vote_service.clerk_ballots(self.ctx, self.round.id, self.clerk)
        self.table.setRowCount(0)
        for e in self.entries:
            self._append(e)
        self._update_count()
        locked = self.round.locked
        for w in (self.line, self.undo_button, self.correct_button):
            w.setEnabled(not locked)
        self._preview(self.line.text())
        self.table.scrollToBottom()

    def _append(self, e: vote_service.BallotEntry) -> None:
        r = self.table.rowCount()
        self.table.insertRow(r)
        notes = []
        if e.check.reason and e.check.valid:
            notes.append(e.check.reason)
        if e.doubtful:
            notes.append("存疑，待认定")
        if e.corrected:
            notes.append(f"已更正：{e.reason}")
        values = [e.position, marks_text(self.kind, e.keys),
                  "作废" if not e.check.valid else "有效",
                  (e.check.reason if not e.check.valid else "") + "；".join(notes)]
        for c, v in enumerate(values):
            item = item_cell(v, center=c != 3)
            if not e.check.valid:
                item.setBackground(VOID_FILL)
            elif e.doubtful:
                item.setBackground(WARN_FILL)
            self.table.setItem(r, c, item)

    def _update_count(self) -> None:
        returned = self.round.returned if self.round else None
        n = len(self.entries)
        void = sum(1 for e in self.entries if not e.check.valid)
        text = f"已录入 {n} 张（其中作废 {void} 张）"
        if returned is not None:
            text += f"，收回 {returned} 张" + ("，已录完" if n == returned else f"，还差 {returned - n} 张"
                                               if n < returned else "，多于收回票数，请核对")
        self.count_label.setText(text)

    # -------------------------------------------------------------- typing
    def _preview(self, text: str) -> None:
        keys = text.replace("*", "")
        table = dv.KEY_MARKS[self.kind]
        parts = []
        for n, k in enumerate(keys, start=1):
            parts.append(f"{n}.{SHORT[table[k]]}" if k in table else f"{n}.?")
        missing = len(self.items) - len(keys)
        if missing > 0:
            parts += [f"{len(keys) + i}.＿" for i in range(1, missing + 1)]
        self.preview.setText("　".join(parts))
        if not keys:
            self.status.setText("")
            return
        marks = tuple(table[k] for k in keys if k in table)
        if self.kind == dv.PROJECT_VOTE:
            approvals = sum(1 for m in marks if m == "for")
            if approvals > self.seats and self.rules.over_vote == "void_ballot":
                self._say(f"作废：赞成 {approvals} 项，超过应选 {self.seats} 项，整张作废", void=True)
                return
        if len(marks) == len(self.items):
            check = dv.check_ballot(self.kind, marks, self.seats, self.rules)
            if not check.valid:
                self._say(f"作废：{check.reason}", void=True)
            else:
                self._say("有效" + (f"（{check.reason}）" if check.reason else "")
                          + ("；存疑，待认定" if "*" in text else "") + "。按回车录入。", void=False)
        else:
            self._say(f"还差 {len(self.items) - len(marks)} 项", void=False)

    def _say(self, text: str, *, void: bool) -> None:
        self.status.setText(text)
        self.status.setStyleSheet(f"color: {VOID_INK}; font-weight: bold;" if void else "")
        self.status.setProperty("void", void)

    def submit(self) -> vote_service.BallotEntry | None:
        if self.round is None:
            return None
        keys = self.line.keys()
        if len(keys) != len(self.items):
            self._say(f"这张选票还差 {len(self.items) - len(keys)} 项，每个项目都要按一个键（未填按 0）", void=True)
            return None
        try:
            entry = vote_service.enter_ballot(self.ctx, self.round.id, self.clerk, keys,
                                              doubtful=self.line.doubtful(), clerk_name=self.clerk_name)
        except CongressError as e:
            ui_errors.show_error(self, e)
            return None
        self.entries.append(entry)
        self._append(entry)
        self.table.scrollToBottom()
        self._update_count()
        self.line.clear()
        if not entry.check.valid:
            self._say(f"第 {entry.position} 张已录入：作废（{entry.check.reason}）", void=True)
        else:
            self._say(f"第 {entry.position} 张已录入。", void=False)
        self.changed.emit()
        return entry

    def undo_last(self) -> None:
        if self.round is None or not self.entries:
            return
        try:
            undone = vote_service.undo_last_ballot(self.ctx, self.round.id, self.clerk)
        except CongressError as e:
            ui_errors.show_error(self, e)
            return
        self.reload()
        self._say(f"已撤销第 {undone.position} 张（{marks_text(self.kind, undone.keys)}），请重新录入。", void=False)
        self.line.setFocus()
        self.changed.emit()

    def selected_entry(self) -> vote_service.BallotEntry | None:
        row = self.table.currentRow()
        return self.entries[row] if 0 <= row < len(self.entries) else None

    def correct_selected(self) -> None:
        entry = self.selected_entry()
        if entry is None or self.round is None or self.round.locked:
            return
        dlg = CorrectDialog(self.kind, len(self.items), entry, self)
        if widgets.exec_modal(dlg) != QDialog.DialogCode.Accepted:
            return
        try:
            vote_service.correct_ballot(self.ctx, self.round.id, self.clerk, entry.position, dlg.keys.text(),
                                        dlg.reason.text(), doubtful=dlg.doubtful.currentData())
        except CongressError as e:
            ui_errors.show_error(self, e)
            return
        self.reload()
        self.changed.emit()


