"""Keyboard-only ballot entry: the key line, one clerk's stack, the correction dialog.

One ballot per row, one key per item; Enter sends the ballot to the database worker as ONE call
(``rounds.enter_ballot_step``) that returns everything the tab redraws; undo and correct likewise.
What the line says of a ballot being typed is ``rules.partial_ballot``."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from congress_desktop.core.context import Context
from congress_desktop.votes import rounds, rules
from congress_desktop.votes import tally as dv
from congress_desktop.votes.rows import BallotEntry, BallotFix, EntryStep, ItemRow, RoundRow, SessionRow
from congress_desktop.votes.vocab import CLERKS
from ui import errors as ui_errors
from ui import tasks, widgets
from ui.operations import db_op
from ui.pages.votes.common import (
    SHORT,
    VOID_FILL,
    VOID_INK,
    WARN_FILL,
    RecordDialog,
    item_cell,
    key_help,
    make_table,
    marks_text,
)


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




class CorrectDialog(RecordDialog):
    """更正一张选票: the keys again and the reason (both required); saved on the worker by ``save_fn``
    (a :class:`BallotFix` in, an :class:`EntryStep` out)."""

    def __init__(self, kind: str, n_items: int, entry: BallotEntry, save_fn: Callable[[BallotFix], EntryStep],
                 parent: QWidget | None = None):
        super().__init__(f"更正第 {entry.position} 张选票", save_fn, parent)
        self.position = entry.position
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
        self.add_row("原录入", QLabel(marks_text(kind, entry.keys)))
        self.add_row("更正为（按键）", self.keys, "keys")
        self.add_row("", self.preview)
        self.add_row("存疑", self.doubtful)
        self.add_row("更正原因", self.reason, "reason")
        self.finish("更正", note="原录入不会被删除：更正作为新记录保存在原记录之上，并写入计票日志。")

    def values(self) -> BallotFix:
        return BallotFix(self.position, self.keys.text(), self.reason.text(), bool(self.doubtful.currentData()))

    def accept_with(self, keys: str, reason: str, doubtful: bool = False) -> bool:
        self.keys.setText(keys)
        self.reason.setText(reason)
        self.doubtful.setCurrentIndex(1 if doubtful else 0)
        return self.save_and_wait()


def _entry_values(kind: str, e: BallotEntry) -> list[object]:
    notes = []
    if e.check.reason and e.check.valid:
        notes.append(e.check.reason)
    if e.doubtful:
        notes.append("存疑，待认定")
    if e.corrected:
        notes.append(f"已更正：{e.reason}")
    return [e.position, marks_text(kind, e.keys), "作废" if not e.check.valid else "有效",
            (e.check.reason if not e.check.valid else "") + "；".join(notes)]


def count_text(entries: list[BallotEntry], returned: int | None) -> str:
    n = len(entries)
    void = sum(1 for e in entries if not e.check.valid)
    text = f"已录入 {n} 张（其中作废 {void} 张）"
    if returned is not None:
        text += f"，收回 {returned} 张" + ("，已录完" if n == returned else f"，还差 {returned - n} 张"
                                           if n < returned else "，多于收回票数，请核对")
    return text


class BallotEntryWidget(QWidget):
    """One clerk's stack: the ballots entered so far (one row each) and the line for the next one.
    ``stepped`` carries the :class:`EntryStep` of each ballot entered, undone or corrected."""

    stepped = Signal(object)

    def __init__(self, ctx: Context, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.round: RoundRow | None = None
        self.kind = dv.PROJECT_VOTE
        self.seats = 0
        self.rules = dv.Rules()
        self.items: tuple[ItemRow, ...] = ()
        self.clerk = "A"
        self.clerk_name = ""
        self.entries: list[BallotEntry] = []
        self.last_task: tasks.TaskHandle | None = None
        self._build()

    def _build(self) -> None:
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
        for w in (self.help_label, self.table):
            lay.addWidget(w, 1 if w is self.table else 0)
        lay.addLayout(row)
        lay.addWidget(self.preview)
        lay.addWidget(self.status)
        lay.addLayout(buttons)

    # -------------------------------------------------------------- loading
    def set_round(self, session: SessionRow, rnd: RoundRow, items: tuple[ItemRow, ...], clerk: str,
                  clerk_name: str, stack: tuple[BallotEntry, ...] | None = None) -> None:
        """Show the round for ``clerk``: ``stack`` when the caller read it, else read on the worker."""
        self.round, self.kind, self.seats, self.rules = rnd, session.kind, rnd.seats, session.rules
        self.items = tuple(items)
        self.clerk, self.clerk_name = clerk, clerk_name
        self.line.kind = self.kind
        self.line.n_items = len(self.items)
        self.line.setMaxLength(len(self.items) + 1)
        self.line.clear()
        limit = rules.over_vote_note(self.kind, self.seats, self.rules)
        names = "　".join(f"{n}.{it.name}" for n, it in enumerate(self.items, start=1))
        who = CLERKS[clerk] + (f"（{clerk_name}）" if clerk_name else "")
        self.help_label.setText(
            f"{who}：每张选票按项目顺序逐项按一个键（{key_help(self.kind)}），共 {len(self.items)} 个键，"
            f"回车录入下一张；* 标为存疑{'；' + limit if limit else ''}。\n项目：{names}")
        if stack is None:
            self.reload()
        else:
            self.show_stack(stack)

    def reload(self) -> None:
        if self.round is None:
            return
        ctx, rid, clerk = self.ctx, self.round.id, self.clerk
        self.last_task = db_op(self, lambda: rounds.clerk_ballots(ctx, rid, clerk), self.show_stack,
                               title="正在读取选票")

    def show_stack(self, stack: tuple[BallotEntry, ...] | list[BallotEntry]) -> None:
        self.entries = list(stack)
        self.table.setRowCount(0)
        for e in self.entries:
            self._append(e)
        self._update_count()
        locked = self.round is None or self.round.locked
        for w in (self.line, self.undo_button, self.correct_button):
            w.setEnabled(not locked)
        self._preview(self.line.text())
        self.table.scrollToBottom()

    def _append(self, e: BallotEntry) -> None:
        r = self.table.rowCount()
        self.table.insertRow(r)
        for c, v in enumerate(_entry_values(self.kind, e)):
            box = item_cell(v, center=c != 3)
            if not e.check.valid:
                box.setBackground(VOID_FILL)
            elif e.doubtful:
                box.setBackground(WARN_FILL)
            self.table.setItem(r, c, box)

    def set_round_row(self, rnd: RoundRow) -> None:
        self.round = rnd
        self._update_count()

    def _update_count(self) -> None:
        self.count_label.setText(count_text(self.entries, self.round.returned if self.round else None))

    # -------------------------------------------------------------- typing
    def _preview(self, text: str) -> None:
        st = rules.partial_ballot(self.kind, text, len(self.items), self.seats, self.rules)
        parts = [f"{n}.{SHORT[m]}" if m is not None else f"{n}.?" for n, m in enumerate(st.marks, start=1)]
        parts += [f"{len(st.marks) + i}.＿" for i in range(1, st.missing + 1)]
        self.preview.setText("　".join(parts))
        self._say(st.text, void=st.void)

    def _say(self, text: str, *, void: bool) -> None:
        self.status.setText(text)
        self.status.setStyleSheet(f"color: {VOID_INK}; font-weight: bold;" if void else "")
        self.status.setProperty("void", void)

    def submit(self) -> tasks.TaskHandle | None:
        """Enter the typed ballot: one worker call; the line is free for the next ballot at once."""
        if self.round is None:
            return None
        text, keys = self.line.text(), self.line.keys()
        missing = rules.partial_ballot(self.kind, text, len(self.items), self.seats, self.rules).missing
        if missing:
            self._say(f"这张选票还差 {missing} 项，每个项目都要按一个键（未填按 0）", void=True)
            return None
        ctx, rid, clerk, name, doubtful = self.ctx, self.round.id, self.clerk, self.clerk_name, self.line.doubtful()
        self.line.clear()

        def failed(exc: BaseException) -> None:
            if not self.line.text():
                self.line.setText(text)  # the ballot was not entered: type it again or fix it
            ui_errors.show_error(self, exc)

        self.last_task = db_op(self, lambda: rounds.enter_ballot_step(ctx, rid, clerk, keys, doubtful=doubtful,
                                                                      clerk_name=name),
                               self._entered, title="正在录入", on_error=failed)
        return self.last_task

    def _entered(self, step: EntryStep) -> None:
        entry = step.entry
        self.entries.append(entry)
        self._append(entry)
        self.table.scrollToBottom()
        self.round = step.round
        self._update_count()
        if not entry.check.valid:
            self._say(f"第 {entry.position} 张已录入：作废（{entry.check.reason}）", void=True)
        else:
            self._say(f"第 {entry.position} 张已录入。", void=False)
        self.stepped.emit(step)

    def _restacked(self, step: EntryStep, said: str = "") -> None:
        self.round = step.round
        self.show_stack(step.stack or ())
        if said:
            self._say(said, void=False)
        self.stepped.emit(step)

    def undo_last(self) -> None:
        if self.round is None or not self.entries:
            return
        ctx, rid, clerk, kind = self.ctx, self.round.id, self.clerk, self.kind

        def done(step: EntryStep) -> None:
            undone = step.entry
            self._restacked(step, f"已撤销第 {undone.position} 张（{marks_text(kind, undone.keys)}），请重新录入。")
            self.line.setFocus()

        self.last_task = db_op(self, lambda: rounds.undo_step(ctx, rid, clerk), done, title="正在撤销")

    def selected_entry(self) -> BallotEntry | None:
        row = self.table.currentRow()
        return self.entries[row] if 0 <= row < len(self.entries) else None

    def correct_selected(self) -> None:
        entry = self.selected_entry()
        if entry is None or self.round is None or self.round.locked:
            return
        ctx, rid, clerk = self.ctx, self.round.id, self.clerk
        dlg = CorrectDialog(self.kind, len(self.items), entry,
                            lambda fix: rounds.correct_step(ctx, rid, clerk, fix), self)
        widgets.exec_modal(dlg)
        if dlg.saved is not None:
            self._restacked(dlg.saved)
