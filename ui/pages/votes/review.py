"""Double entry's differences and doubtful ballots, each settled by a person with a reason."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from congress_desktop.core.context import Context
from congress_desktop.core.errors import CongressError
from congress_desktop.votes import service as vote_service
from congress_desktop.votes import tally as dv
from ui import errors as ui_errors
from ui import widgets
from ui.pages.votes.common import WARN_FILL, item_cell, key_help, make_table, marks_text

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
        self.table = make_table(["张", "第一录入员", "第二录入员", "不一致的项", "核定结果", "核定人", "理由"])
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
                item = item_cell(v)
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
        self.table = make_table(["张", "录入的标记", "认定", "认定人", "理由"])
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
                self.table.setItem(r, c, item_cell(v))
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


