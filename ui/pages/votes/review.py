"""Double entry's differences and doubtful ballots, each settled by a person with a reason.

The widgets show what the count tab read (``set_rows``); a ruling is one worker call that records it and
reads the tab again (``rounds.count_view``), carried by ``decided``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
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
from congress_desktop.votes import rounds
from congress_desktop.votes import tally as dv
from congress_desktop.votes.rows import CountView, Difference, Doubtful, RoundRow
from ui import widgets
from ui.pages.votes.common import WARN_FILL, RecordDialog, item_cell, key_help, make_table, marks_text


@dataclass(frozen=True)
class Decision:
    """What a settle or doubt dialog read: the marks (keys or 'void'), by whom, why."""

    keys: str
    by: str
    reason: str
    valid: bool = True


class SettleDialog(RecordDialog):
    """核定差异: a third person reads the paper ballot; A's reading, B's, or typed keys; and why."""

    def __init__(self, kind: str, n_items: int, diff: Difference, save_fn: Callable[[Decision], CountView],
                 parent: QWidget | None = None):
        super().__init__(f"核定第 {diff.position} 张选票", save_fn, parent)
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
        self.form.addRow(QLabel(f"两位录入员在第 {items} 项上不一致，请对照原票核定。"))
        self.form.addRow(self.use_a)
        self.form.addRow(self.use_b)
        row = QHBoxLayout()
        row.addWidget(self.use_typed)
        row.addWidget(self.typed, 1)
        self.form.addRow(row)
        self.form.addRow(self.use_void)
        self.add_row("核定人", self.by, "by")
        self.add_row("理由", self.reason, "reason")
        self.finish("核定")

    def chosen_keys(self) -> str:
        if self.use_void.isChecked():
            return dv.VOID
        if self.use_typed.isChecked():
            return self.typed.text().strip()
        return (self.diff.keys_a if self.use_a.isChecked() else self.diff.keys_b) or ""

    def values(self) -> Decision:
        return Decision(self.chosen_keys(), self.by.text(), self.reason.text())

    def accept_with(self, *, use: str, by: str, reason: str, typed: str = "") -> bool:
        {"a": self.use_a, "b": self.use_b, "typed": self.use_typed, "void": self.use_void}[use].setChecked(True)
        self.typed.setText(typed)
        self.by.setText(by)
        self.reason.setText(reason)
        return self.save_and_wait()


def difference_values(kind: str, d: Difference) -> list[object]:
    ruling = d.ruling
    return [d.position, marks_text(kind, d.keys_a) if d.keys_a is not None else "（未录入）",
            marks_text(kind, d.keys_b) if d.keys_b is not None else "（未录入）",
            "、".join(str(i + 1) for i in d.differing_items()),
            marks_text(kind, ruling.keys) if ruling else "未核定", ruling.by if ruling else "",
            ruling.reason if ruling else ""]


def differences_summary(diffs: tuple[Difference, ...], a: int, b: int) -> str:
    open_ = sum(1 for d in diffs if not d.settled)
    if not a or not b:
        return f"第一录入员已录 {a} 张，第二录入员已录 {b} 张；两人都录完后再比对。"
    if not diffs:
        return f"两位录入员各录入 {a}、{b} 张，逐张比对完全一致。"
    return (f"两位录入员各录入 {a}、{b} 张，有 {len(diffs)} 张不一致，"
            + (f"还有 {open_} 张未核定：须由第三人对照原票逐张核定后才能计票。" if open_ else "均已核定。"))


class DifferencesWidget(QGroupBox):
    """Every ballot where the two clerks differ; a third person settles each with a reason."""

    decided = Signal(object)        # the CountView read after the ruling
    reload_requested = Signal()     # 比对: read the round again

    def __init__(self, ctx: Context, parent: QWidget | None = None):
        super().__init__("双人录入差异（两位录入员都录完后核对）", parent)
        self.ctx = ctx
        self.round: RoundRow | None = None
        self.kind = dv.PROJECT_VOTE
        self.n_items = 0
        self.clerk = "A"
        self.diffs: tuple[Difference, ...] = ()
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.table = make_table(["张", "第一录入员", "第二录入员", "不一致的项", "核定结果", "核定人", "理由"])
        self.table.itemDoubleClicked.connect(lambda _i: self.settle_selected())
        self.settle_button = QPushButton("核定所选…")
        self.settle_button.clicked.connect(self.settle_selected)
        self.refresh_button = QPushButton("比对")
        self.refresh_button.clicked.connect(self.reload_requested)
        row = QHBoxLayout()
        row.addWidget(self.summary, 1)
        row.addWidget(self.refresh_button)
        row.addWidget(self.settle_button)
        lay = QVBoxLayout(self)
        lay.addLayout(row)
        lay.addWidget(self.table)

    def set_round(self, kind: str, rnd: RoundRow, n_items: int, clerk: str) -> None:
        self.kind, self.round, self.n_items, self.clerk = kind, rnd, n_items, clerk

    def set_rows(self, diffs: tuple[Difference, ...], sizes: tuple[int, int]) -> None:
        self.diffs = tuple(diffs)
        self.table.setRowCount(0)
        for d in self.diffs:
            r = self.table.rowCount()
            self.table.insertRow(r)
            for c, v in enumerate(difference_values(self.kind, d)):
                box = item_cell(v)
                if d.ruling is None:
                    box.setBackground(WARN_FILL)
                self.table.setItem(r, c, box)
        self.summary.setText(differences_summary(self.diffs, *sizes))
        locked = self.round is None or self.round.locked
        self.settle_button.setEnabled(not locked and bool(self.diffs))

    def settle_selected(self) -> None:
        row = self.table.currentRow()
        if self.round is None or not 0 <= row < len(self.diffs) or self.round.locked:
            return
        ctx, rid, clerk, position = self.ctx, self.round.id, self.clerk, self.diffs[row].position

        def save(d: Decision) -> CountView:
            rounds.settle_difference(ctx, rid, position, d.keys, d.by, d.reason)
            return rounds.count_view(ctx, rid, clerk)

        dlg = SettleDialog(self.kind, self.n_items, self.diffs[row], save, self)
        widgets.exec_modal(dlg)
        if dlg.saved is not None:
            self.decided.emit(dlg.saved)


class DoubtDialog(RecordDialog):
    """认定存疑票 by 总监票人/监票人: valid as read (or with the marks they read) or void; and why."""

    def __init__(self, kind: str, n_items: int, doubt: Doubtful, save_fn: Callable[[Decision], CountView],
                 parent: QWidget | None = None):
        super().__init__(f"认定第 {doubt.position} 张存疑选票", save_fn, parent)
        self.valid = QRadioButton("有效，按以下标记计票：")
        self.void = QRadioButton("作废")
        self.valid.setChecked(True)
        self.keys = QLineEdit(doubt.keys)
        self.keys.setMaxLength(n_items)
        self.by = QLineEdit()
        self.by.setPlaceholderText("总监票人、监票人姓名")
        self.reason = QLineEdit()
        self.add_row("录入的标记", QLabel(marks_text(kind, doubt.keys)))
        row = QHBoxLayout()
        row.addWidget(self.valid)
        row.addWidget(self.keys, 1)
        self.form.addRow(row)
        self.form.addRow(self.void)
        self.add_row("认定人", self.by, "by")
        self.add_row("理由", self.reason, "reason")
        self.finish("认定")

    def values(self) -> Decision:
        return Decision(self.keys.text(), self.by.text(), self.reason.text(), self.valid.isChecked())

    def accept_with(self, *, valid: bool, by: str, reason: str, keys: str | None = None) -> bool:
        (self.valid if valid else self.void).setChecked(True)
        if keys is not None:
            self.keys.setText(keys)
        self.by.setText(by)
        self.reason.setText(reason)
        return self.save_and_wait()


class DoubtfulWidget(QGroupBox):
    decided = Signal(object)  # the CountView read after the ruling

    def __init__(self, ctx: Context, parent: QWidget | None = None):
        super().__init__("存疑选票（由总监票人、监票人认定）", parent)
        self.ctx = ctx
        self.round: RoundRow | None = None
        self.kind = dv.PROJECT_VOTE
        self.n_items = 0
        self.clerk = "A"
        self.rows: tuple[Doubtful, ...] = ()
        self.table = make_table(["张", "录入的标记", "认定", "认定人", "理由"])
        self.decide_button = QPushButton("认定所选…")
        self.decide_button.clicked.connect(self.decide_selected)
        lay = QVBoxLayout(self)
        lay.addWidget(self.table)
        lay.addWidget(self.decide_button, 0, Qt.AlignmentFlag.AlignRight)

    def set_round(self, kind: str, rnd: RoundRow, n_items: int, clerk: str) -> None:
        self.kind, self.round, self.n_items, self.clerk = kind, rnd, n_items, clerk

    def set_rows(self, rows: tuple[Doubtful, ...]) -> None:
        self.rows = tuple(rows)
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
        self.decide_button.setEnabled(self.round is not None and not self.round.locked)

    def decide_selected(self) -> None:
        row = self.table.currentRow()
        if self.round is None or not 0 <= row < len(self.rows):
            return
        ctx, rid, clerk, position = self.ctx, self.round.id, self.clerk, self.rows[row].position

        def save(d: Decision) -> CountView:
            rounds.decide_doubtful(ctx, rid, position, valid=d.valid, keys=d.keys, by=d.by, reason=d.reason)
            return rounds.count_view(ctx, rid, clerk)

        dlg = DoubtDialog(self.kind, self.n_items, self.rows[row], save, self)
        widgets.exec_modal(dlg)
        if dlg.saved is not None:
            self.decided.emit(dlg.saved)
