"""计票 tab of the 票决 page: 发出/收回, keyboard-only ballot entry (single or double), the list of
differences between two clerks and their settlement, doubtful ballots, and hand-count totals.

Ballot entry is one row per ballot, one key per item — 1 赞成 2 反对 3 弃权 0 未填 9 无效 (满意 /
基本满意 / 不满意 for a 测评), ``*`` marks the ballot 存疑 — and Enter for the next ballot. The row
says at once when the ballot is void and why. In a double entry each clerk sees only his own stack.

Seams: modal dialogs go through ``ui.widgets.exec_modal``; the dialogs have ``accept_with(...)`` so
tests fill them without a click."""

from __future__ import annotations

import logging

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor, QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QComboBox,
    QDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from congress_desktop.core.context import Context
from congress_desktop.core.errors import CongressError
from congress_desktop.votes import service as vote_service
from congress_desktop.votes import tally as dv
from ui import errors as ui_errors
from ui import widgets

log = logging.getLogger(__name__)

SHORT = {"for": "赞", "against": "反", "abstain": "弃", "blank": "空", "invalid": "×",
         "satisfied": "满", "basic": "基", "unsatisfied": "不"}
VOID_FILL = QBrush(QColor("#f8d7d5"))
WARN_FILL = QBrush(QColor("#fff2cc"))
VOID_INK = "#b3261e"


def marks_text(kind: str, keys: str) -> str:
    """'1230' -> '赞 反 弃 空' (what the clerk typed, readable)."""
    if keys == dv.VOID:
        return "（整张作废）"
    table = dv.KEY_MARKS[kind]
    return " ".join(SHORT[table[k]] for k in keys if k in table)


def key_help(kind: str) -> str:
    return "，".join(f"{k} {dv.LABELS[m]}" for k, m in dv.KEY_MARKS[kind].items())


def _item(text: object, *, center: bool = True) -> QTableWidgetItem:
    it = QTableWidgetItem("" if text is None else str(text))
    it.setFlags(it.flags() & ~Qt.ItemFlag.ItemIsEditable)
    if center:
        it.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
    return it


def _table(headers: list[str]) -> QTableWidget:
    t = QTableWidget(0, len(headers))
    t.setHorizontalHeaderLabels(headers)
    t.verticalHeader().setVisible(False)
    t.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    t.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    t.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    t.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    t.horizontalHeader().setStretchLastSection(True)
    return t


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
        self.table = _table(["张", "各项标记", "结果", "说明"])
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
            item = _item(v, center=c != 3)
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


# ------------------------------------------------------------------ double entry: differences


class SettleDialog(QDialog):
    """核定差异: a third person reads the paper ballot; A's reading, B's, or typed keys; and why."""

    def __init__(self, kind: str, n_items: int, diff: vote_service.Difference, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(f"核定第 {diff.position} 张选票")
        self.diff = diff
        self.use_a = QRadioButton(f"第一录入员：{marks_text(kind, diff.keys_a or '') or '（未录入）'}")
        self.use_b = QRadioButton(f"第二录入员：{marks_text(kind, diff.keys_b or '') or '（未录入）'}")
        self.use_typed = QRadioButton("按原票重新录入：")
        self.use_void = QRadioButton("原票作废")
        self.use_a.setEnabled(diff.keys_a is not None)
        self.use_b.setEnabled(diff.keys_b is not None)
        self.typed = QLineEdit()
        self.typed.setMaxLength(n_items)
        self.typed.setPlaceholderText(key_help(kind))
        self.typed.textEdited.connect(lambda _t: self.use_typed.setChecked(True))
        self.by = QLineEdit()
        self.by.setPlaceholderText("核定人（两位录入员以外的第三人）")
        self.reason = QLineEdit()
        self.reason.setPlaceholderText("如：查看原票，第 1 项划的是“赞成”")
        (self.use_a if diff.keys_a is not None else self.use_b).setChecked(True)
        items = "、".join(str(i + 1) for i in diff.differing_items())
        form = QFormLayout()
        form.addRow(QLabel(f"两位录入员在第 {items} 项上不一致，请对照原票核定。"))
        form.addRow(self.use_a)
        form.addRow(self.use_b)
        row = QHBoxLayout()
        row.addWidget(self.use_typed)
        row.addWidget(self.typed, 1)
        form.addRow(row)
        form.addRow(self.use_void)
        form.addRow("核定人", self.by)
        form.addRow("理由", self.reason)
        buttons, _ = widgets.ok_cancel_buttons(self, "核定", self.accept)
        lay = QVBoxLayout(self)
        lay.addLayout(form)
        lay.addWidget(buttons)

    def chosen_keys(self) -> str:
        if self.use_void.isChecked():
            return dv.VOID
        if self.use_typed.isChecked():
            return self.typed.text().strip()
        return (self.diff.keys_a if self.use_a.isChecked() else self.diff.keys_b) or ""

    def accept_with(self, *, use: str, by: str, reason: str, typed: str = "") -> None:
        {"a": self.use_a, "b": self.use_b, "typed": self.use_typed, "void": self.use_void}[use].setChecked(True)
        self.typed.setText(typed)
        self.by.setText(by)
        self.reason.setText(reason)
        self.accept()


class DifferencesWidget(QGroupBox):
    """Every ballot where the two clerks differ; a third person settles each with a reason."""

    changed = Signal()

    def __init__(self, ctx: Context, parent: QWidget | None = None):
        super().__init__("双人录入差异（两位录入员都录完后核对）", parent)
        self.ctx = ctx
        self.round: vote_service.RoundRow | None = None
        self.kind = dv.PROJECT_VOTE
        self.n_items = 0
        self.diffs: list[vote_service.Difference] = []
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.table = _table(["张", "第一录入员", "第二录入员", "不一致的项", "核定结果", "核定人", "理由"])
        self.table.itemDoubleClicked.connect(lambda _i: self.settle_selected())
        self.settle_button = QPushButton("核定所选…")
        self.settle_button.clicked.connect(self.settle_selected)
        self.refresh_button = QPushButton("比对")
        self.refresh_button.clicked.connect(self.reload)
        row = QHBoxLayout()
        row.addWidget(self.summary, 1)
        row.addWidget(self.refresh_button)
        row.addWidget(self.settle_button)
        lay = QVBoxLayout(self)
        lay.addLayout(row)
        lay.addWidget(self.table)

    def set_round(self, kind: str, rnd: vote_service.RoundRow, n_items: int) -> None:
        self.kind, self.round, self.n_items = kind, rnd, n_items
        self.reload()

    def reload(self) -> None:
        if self.round is None:
            return
        self.diffs = vote_service.differences(self.ctx, self.round.id)
        a = len(vote_service.clerk_ballots(self.ctx, self.round.id, "A"))
        b = len(vote_service.clerk_ballots(self.ctx, self.round.id, "B"))
        self.table.setRowCount(0)
        for d in self.diffs:
            r = self.table.rowCount()
            self.table.insertRow(r)
            ruling = d.ruling
            values = [d.position, marks_text(self.kind, d.keys_a) if d.keys_a is not None else "（未录入）",
                      marks_text(self.kind, d.keys_b) if d.keys_b is not None else "（未录入）",
                      "、".join(str(i + 1) for i in d.differing_items()),
                      marks_text(self.kind, ruling.keys) if ruling else "未核定",
                      ruling.by if ruling else "", ruling.reason if ruling else ""]
            for c, v in enumerate(values):
                item = _item(v)
                if ruling is None:
                    item.setBackground(WARN_FILL)
                self.table.setItem(r, c, item)
        open_ = sum(1 for d in self.diffs if not d.settled)
        if not a or not b:
            text = f"第一录入员已录 {a} 张，第二录入员已录 {b} 张；两人都录完后再比对。"
        elif not self.diffs:
            text = f"两位录入员各录入 {a}、{b} 张，逐张比对完全一致。"
        else:
            text = (f"两位录入员各录入 {a}、{b} 张，有 {len(self.diffs)} 张不一致，"
                    + (f"还有 {open_} 张未核定：须由第三人对照原票逐张核定后才能计票。" if open_ else "均已核定。"))
        self.summary.setText(text)
        locked = self.round.locked
        self.settle_button.setEnabled(not locked and bool(self.diffs))

    def settle_selected(self) -> None:
        row = self.table.currentRow()
        if self.round is None or not 0 <= row < len(self.diffs) or self.round.locked:
            return
        dlg = SettleDialog(self.kind, self.n_items, self.diffs[row], self)
        if widgets.exec_modal(dlg) != QDialog.DialogCode.Accepted:
            return
        try:
            vote_service.settle_difference(self.ctx, self.round.id, self.diffs[row].position, dlg.chosen_keys(),
                                           dlg.by.text(), dlg.reason.text())
        except CongressError as e:
            ui_errors.show_error(self, e)
            return
        self.reload()
        self.changed.emit()


# ------------------------------------------------------------------ doubtful ballots


class DoubtDialog(QDialog):
    """认定存疑票 by 总监票人/监票人: valid as read (or with the marks they read) or void; and why."""

    def __init__(self, kind: str, n_items: int, doubt: vote_service.Doubtful, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(f"认定第 {doubt.position} 张存疑选票")
        self.valid = QRadioButton("有效，按以下标记计票：")
        self.void = QRadioButton("作废")
        self.valid.setChecked(True)
        self.keys = QLineEdit(doubt.keys)
        self.keys.setMaxLength(n_items)
        self.by = QLineEdit()
        self.by.setPlaceholderText("总监票人、监票人姓名")
        self.reason = QLineEdit()
        form = QFormLayout()
        form.addRow("录入的标记", QLabel(marks_text(kind, doubt.keys)))
        row = QHBoxLayout()
        row.addWidget(self.valid)
        row.addWidget(self.keys, 1)
        form.addRow(row)
        form.addRow(self.void)
        form.addRow("认定人", self.by)
        form.addRow("理由", self.reason)
        buttons, _ = widgets.ok_cancel_buttons(self, "认定", self.accept)
        lay = QVBoxLayout(self)
        lay.addLayout(form)
        lay.addWidget(buttons)

    def accept_with(self, *, valid: bool, by: str, reason: str, keys: str | None = None) -> None:
        (self.valid if valid else self.void).setChecked(True)
        if keys is not None:
            self.keys.setText(keys)
        self.by.setText(by)
        self.reason.setText(reason)
        self.accept()


class DoubtfulWidget(QGroupBox):
    changed = Signal()

    def __init__(self, ctx: Context, parent: QWidget | None = None):
        super().__init__("存疑选票（由总监票人、监票人认定）", parent)
        self.ctx = ctx
        self.round: vote_service.RoundRow | None = None
        self.kind = dv.PROJECT_VOTE
        self.n_items = 0
        self.rows: list[vote_service.Doubtful] = []
        self.table = _table(["张", "录入的标记", "认定", "认定人", "理由"])
        self.decide_button = QPushButton("认定所选…")
        self.decide_button.clicked.connect(self.decide_selected)
        lay = QVBoxLayout(self)
        lay.addWidget(self.table)
        lay.addWidget(self.decide_button, 0, Qt.AlignmentFlag.AlignRight)

    def set_round(self, kind: str, rnd: vote_service.RoundRow, n_items: int) -> None:
        self.kind, self.round, self.n_items = kind, rnd, n_items
        self.reload()

    def reload(self) -> None:
        if self.round is None:
            return
        self.rows = vote_service.doubtful_ballots(self.ctx, self.round.id)
        self.table.setRowCount(0)
        for d in self.rows:
            r = self.table.rowCount()
            self.table.insertRow(r)
            ruling = d.ruling
            decided = ("作废" if ruling.keys == dv.VOID else "有效：" + marks_text(self.kind, ruling.keys)) \
                if ruling else "待认定"
            for c, v in enumerate([d.position, marks_text(self.kind, d.keys), decided,
                                   ruling.by if ruling else "", ruling.reason if ruling else ""]):
                self.table.setItem(r, c, _item(v))
        self.setVisible(bool(self.rows))
        self.decide_button.setEnabled(not self.round.locked)

    def decide_selected(self) -> None:
        row = self.table.currentRow()
        if self.round is None or not 0 <= row < len(self.rows):
            return
        dlg = DoubtDialog(self.kind, self.n_items, self.rows[row], self)
        if widgets.exec_modal(dlg) != QDialog.DialogCode.Accepted:
            return
        try:
            vote_service.decide_doubtful(self.ctx, self.round.id, self.rows[row].position,
                                         valid=dlg.valid.isChecked(), keys=dlg.keys.text(), by=dlg.by.text(),
                                         reason=dlg.reason.text())
        except CongressError as e:
            ui_errors.show_error(self, e)
            return
        self.reload()
        self.changed.emit()


# ------------------------------------------------------------------ hand-count totals


class TotalsWidget(QWidget):
    """Per-item totals from the hand count, checked as they are typed; saved only when they add up."""

    changed = Signal()

    def __init__(self, ctx: Context, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.round: vote_service.RoundRow | None = None
        self.session: vote_service.SessionRow | None = None
        self.items: tuple = ()
        self.keys: tuple[str, ...] = ()
        self.valid = QSpinBox()
        self.void = QSpinBox()
        for s in (self.valid, self.void):
            s.setRange(0, 9999)
            s.valueChanged.connect(self.check)
        self.table = QTableWidget(0, 0)
        self.table.verticalHeader().setVisible(False)
        self.table.itemChanged.connect(lambda _i: self.check())
        self.problems = QLabel()
        self.problems.setWordWrap(True)
        self.problems.setObjectName("totalsProblems")
        self.by = QLineEdit()
        self.by.setPlaceholderText("计票人")
        self.reason = QLineEdit()
        self.reason.setPlaceholderText("更正已录入的合计时填写原因")
        self.save_button = QPushButton("保存合计")
        self.save_button.clicked.connect(self.save)
        top = QHBoxLayout()
        top.addWidget(QLabel("有效票"))
        top.addWidget(self.valid)
        top.addWidget(QLabel("作废票"))
        top.addWidget(self.void)
        top.addStretch(1)
        bottom = QHBoxLayout()
        bottom.addWidget(QLabel("录入人"))
        bottom.addWidget(self.by)
        bottom.addWidget(QLabel("更正原因"))
        bottom.addWidget(self.reason, 1)
        bottom.addWidget(self.save_button)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(QLabel("手工计票后，按计票单录入每个项目各栏的合计。每个项目各栏之和必须等于有效票，"
                             "有效票加作废票必须等于收回票数，否则不能保存。"))
        lay.addLayout(top)
        lay.addWidget(self.table, 1)
        lay.addWidget(self.problems)
        lay.addLayout(bottom)

    def set_round(self, session: vote_service.SessionRow, rnd: vote_service.RoundRow, items) -> None:
        self.session, self.round, self.items = session, rnd, tuple(items)
        self.keys = tuple(k for k in dv.COUNTS[session.kind]
                          if k != "not_voted" or session.rules.blank == "not_voted")
        self.table.blockSignals(True)
        self.table.clear()
        self.table.setColumnCount(len(self.keys) + 2)
        self.table.setRowCount(len(self.items))
        self.table.setHorizontalHeaderLabels(["项目", *[dv.LABELS[k] for k in self.keys], "各栏合计"])
        saved = vote_service.round_totals(self.ctx, rnd.id)
        for r, it in enumerate(self.items):
            self.table.setItem(r, 0, _item(it.name, center=False))
            for c, k in enumerate(self.keys, start=1):
                value = saved.counts[r].get(k, 0) if saved else 0
                cell = QTableWidgetItem(str(value))
                cell.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                self.table.setItem(r, c, cell)
            self.table.setItem(r, len(self.keys) + 1, _item(""))
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.blockSignals(False)
        if saved:
            self.valid.setValue(saved.valid)
            self.void.setValue(saved.void)
            self.by.setText(saved.entered_by)
        self.save_button.setEnabled(not rnd.locked)
        self.check()

    def counts(self) -> list[dict[str, int]]:
        out = []
        for r in range(self.table.rowCount()):
            row = {}
            for c, k in enumerate(self.keys, start=1):
                item = self.table.item(r, c)
                text = item.text().strip() if item else ""
                try:
                    row[k] = int(text) if text else 0
                except ValueError:
                    row[k] = -1
            out.append(row)
        return out

    def set_counts(self, valid: int, void: int, counts: list[dict[str, int]]) -> None:
        self.table.blockSignals(True)
        for r, row in enumerate(counts):
            for c, k in enumerate(self.keys, start=1):
                self.table.item(r, c).setText(str(row.get(k, 0)))
        self.table.blockSignals(False)
        self.valid.setValue(valid)
        self.void.setValue(void)
        self.check()

    def check(self) -> list[str]:
        if self.round is None or self.session is None:
            return []
        counts = self.counts()
        self.table.blockSignals(True)
        for r, row in enumerate(counts):
            total = sum(row.values())
            cell = self.table.item(r, len(self.keys) + 1)
            if cell is not None:
                cell.setText(str(total))
                cell.setBackground(QBrush() if total == self.valid.value() else VOID_FILL)
        self.table.blockSignals(False)
        if any(v < 0 for row in counts for v in row.values()):
            problems = ["计数应为不小于 0 的整数"]
        elif self.round.returned is None:
            problems = ["请先登记发出票数和收回票数"]
        else:
            totals = dv.Totals(self.valid.value(), self.void.value(), tuple(counts))
            problems = dv.check_totals(self.session.kind, self.session.rules, self.round.returned, self.round.seats,
                                       totals, [i.name for i in self.items])
        self.problems.setText("\n".join(problems) if problems else "各栏相加无误，可以保存。")
        self.problems.setStyleSheet(f"color: {VOID_INK};" if problems else "")
        return problems

    def save(self) -> bool:
        if self.round is None:
            return False
        try:
            vote_service.enter_totals(self.ctx, self.round.id, valid=self.valid.value(), void=self.void.value(),
                                      counts=self.counts(), entered_by=self.by.text(), reason=self.reason.text())
        except CongressError as e:
            ui_errors.show_error(self, e)
            return False
        self.reason.clear()
        widgets.show_status(self, "手工计票合计已保存")
        self.changed.emit()
        return True


# ------------------------------------------------------------------ the tab


class CountTab(QWidget):
    """发出/收回, then ballots (single or double entry) or hand-count totals, for the current round."""

    changed = Signal()

    def __init__(self, ctx: Context, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.session: vote_service.SessionRow | None = None
        self.round: vote_service.RoundRow | None = None
        self.items: tuple = ()

        self.round_label = QLabel()
        self.round_label.setObjectName("sectionTitle")
        self.unsealed = QSpinBox()
        self.issued = QSpinBox()
        self.returned = QSpinBox()
        for s in (self.unsealed, self.issued, self.returned):
            s.setRange(0, 9999)
        self.counts_button = QPushButton("登记")
        self.counts_button.clicked.connect(self.save_counts)
        for spin in (self.issued, self.returned):
            spin.valueChanged.connect(lambda _v: self._preview_stands())
        self.stands_label = QLabel()
        self.stands_label.setObjectName("standsLabel")
        counts = QGroupBox("发出与收回")
        row = QHBoxLayout(counts)
        for label, w in (("拆封", self.unsealed), ("发出", self.issued), ("收回", self.returned)):
            row.addWidget(QLabel(label))
            row.addWidget(w)
        row.addWidget(self.counts_button)
        row.addWidget(self.stands_label, 1)

        self.clerk = QComboBox()
        self.clerk.addItem(vote_service.CLERKS["A"], "A")
        self.clerk.addItem(vote_service.CLERKS["B"], "B")
        self.clerk_name = QLineEdit()
        self.clerk_name.setPlaceholderText("录入员姓名")
        self.clerk.currentIndexChanged.connect(lambda _i: self._load_entry())
        self.clerk_name.editingFinished.connect(self._clerk_named)
        self.clerk_row = QWidget()
        clerk_lay = QHBoxLayout(self.clerk_row)
        clerk_lay.setContentsMargins(0, 0, 0, 0)
        clerk_lay.addWidget(QLabel("录入员"))
        clerk_lay.addWidget(self.clerk)
        clerk_lay.addWidget(self.clerk_name)
        self.clerk_note = QLabel("双人录入：两位录入员各自独立录入同一叠选票，看不到对方的录入；"
                                 "切换录入员时只显示本人录入的选票。")
        self.clerk_note.setObjectName("muted")
        clerk_lay.addWidget(self.clerk_note, 1)

        self.entry = BallotEntryWidget(ctx)
        self.entry.changed.connect(self._entry_changed)
        self.diffs = DifferencesWidget(ctx)
        self.diffs.changed.connect(self._entry_changed)
        self.doubts = DoubtfulWidget(ctx)
        self.doubts.changed.connect(self._entry_changed)
        ballots = QWidget()
        b_lay = QVBoxLayout(ballots)
        b_lay.setContentsMargins(0, 0, 0, 0)
        b_lay.addWidget(self.clerk_row)
        b_lay.addWidget(self.entry, 3)
        b_lay.addWidget(self.diffs, 2)
        b_lay.addWidget(self.doubts, 1)
        self.totals = TotalsWidget(ctx)
        self.totals.changed.connect(self._entry_changed)
        self.stack = QStackedWidget()
        self.stack.addWidget(ballots)
        self.stack.addWidget(self.totals)
        self.empty = QLabel("尚未开始投票：请在“会议与点名”中完成点名，再点击“开始投票”。")
        self.stack.addWidget(self.empty)

        self.problems = QLabel()
        self.problems.setWordWrap(True)
        self.problems.setObjectName("muted")

        lay = QVBoxLayout(self)
        lay.addWidget(self.round_label)
        lay.addWidget(counts)
        lay.addWidget(self.stack, 1)
        lay.addWidget(self.problems)

    def set_session(self, session: vote_service.SessionRow | None) -> None:
        self.session = session
        self.round = session.current_round if session else None
        if self.round is None:
            self.round_label.setText("")
            self.stack.setCurrentWidget(self.empty)
            self.problems.setText("")
            for w in (self.unsealed, self.issued, self.returned, self.counts_button):
                w.setEnabled(False)
            return
        view = vote_service.round_view(self.ctx, self.round.id)
        self.items = view.items
        r = self.round
        self.round_label.setText(f"{r.label} · {vote_service.MODES[r.mode]} · {r.state_label} · "
                                 f"本轮 {len(self.items)} 个项目" + (f"，应确定 {r.seats} 个" if session.kind ==
                                                                   dv.PROJECT_VOTE else ""))
        for spin, value in ((self.unsealed, r.unsealed), (self.issued, r.issued), (self.returned, r.returned)):
            spin.setValue(value or 0)
        if r.issued is None:
            self.issued.setValue(r.present)
            self.unsealed.setValue(r.present)
        for w in (self.unsealed, self.issued, self.returned, self.counts_button):
            w.setEnabled(not r.locked)
        self._show_stands()
        if r.mode == "totals":
            self.stack.setCurrentWidget(self.totals)
            self.totals.set_round(session, r, self.items)
        else:
            self.stack.setCurrentIndex(0)
            double = r.mode == "double"
            self.clerk.setEnabled(double)
            self.clerk_note.setVisible(double)
            if not double:
                self.clerk.setCurrentIndex(0)
            self._load_entry()
            self.diffs.setVisible(double)
            if double:
                self.diffs.set_round(session.kind, r, len(self.items))
            self.doubts.set_round(session.kind, r, len(self.items))
        self._show_problems(view.problems)

    def _clerk_named(self) -> None:
        self.entry.clerk_name = self.clerk_name.text().strip()

    def _load_entry(self) -> None:
        if self.session is None or self.round is None or self.round.mode == "totals":
            return
        self.entry.set_round(self.session, self.round, self.items, self.clerk.currentData(),
                             self.clerk_name.text().strip())

    def _show_stands(self) -> None:
        r = self.round
        if r is None or r.stands is None:
            self.stands_label.setText("登记发出、收回票数后，程序即判断本轮是否有效。")
            self.stands_label.setStyleSheet("")
        elif r.stands:
            self.stands_label.setText(f"收回 {r.returned} 张 ≤ 发出 {r.issued} 张：本轮投票有效。")
            self.stands_label.setStyleSheet("color: #1e7d32; font-weight: bold;")
        else:
            self.stands_label.setText(f"收回 {r.returned} 张 > 发出 {r.issued} 张：本轮投票无效，"
                                      "请计票确认后宣布无效并重新投票。")
            self.stands_label.setStyleSheet(f"color: {VOID_INK}; font-weight: bold;")

    def _preview_stands(self) -> None:
        """While the numbers are typed: whether the round would stand, before they are saved."""
        r = self.round
        if r is None or r.locked:
            return
        issued, returned = self.issued.value(), self.returned.value()
        if (r.issued, r.returned) == (issued, returned):
            self._show_stands()
            return
        if returned <= issued:
            self.stands_label.setText(f"收回 {returned} 张 ≤ 发出 {issued} 张：本轮投票有效（点击“登记”保存）")
            self.stands_label.setStyleSheet("color: #1e7d32;")
        else:
            self.stands_label.setText(f"收回 {returned} 张 > 发出 {issued} 张：本轮投票无效（点击“登记”保存）")
            self.stands_label.setStyleSheet(f"color: {VOID_INK}; font-weight: bold;")

    def _show_problems(self, problems) -> None:
        if self.round is not None and self.round.locked:
            self.problems.setText("本轮结果已公布并锁定。")
        elif problems:
            self.problems.setText("计票前还需：" + "；".join(problems))
        else:
            self.problems.setText("已可计票：请到“结果”页点击“计票”。")

    def save_counts(self) -> None:
        if self.round is None:
            return
        try:
            self.round = vote_service.set_ballot_counts(self.ctx, self.round.id, issued=self.issued.value(),
                                                        returned=self.returned.value(),
                                                        unsealed=self.unsealed.value() or None)
        except CongressError as e:
            ui_errors.show_error(self, e)
            return
        self._show_stands()
        self.entry.round = self.round
        self.entry._update_count()
        if self.round.mode == "totals" and self.session is not None:
            self.totals.round = self.round
            self.totals.check()
        self._entry_changed()

    def _entry_changed(self) -> None:
        if self.round is None:
            return
        self.round = vote_service.get_round(self.ctx, self.round.id)
        if self.round.mode == "double":
            self.diffs.reload()
        if self.round.mode != "totals":
            self.doubts.reload()
        self._show_problems(vote_service.round_problems(self.ctx, self.round.id))
        self.changed.emit()

    def focus_entry(self) -> None:
        if self.stack.currentIndex() == 0:
            self.entry.line.setFocus()
