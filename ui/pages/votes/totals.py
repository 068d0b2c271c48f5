"""Hand-count totals, checked as they are typed: a table model (``TotalsModel``) whose ``setData`` takes
only whole numbers ≥ 0, and the widget that checks the sums by ``tally.check_totals`` and saves them on
the database worker. The columns are ``rules.count_columns``."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from congress_desktop.core.context import Context
from congress_desktop.votes import rounds, rules
from congress_desktop.votes import tally as dv
from congress_desktop.votes.rows import CountView, ItemRow, RoundRow, SessionRow, TotalsRow
from ui import tasks, widgets
from ui.operations import db_op
from ui.pages.votes.common import VOID_FILL, VOID_INK

Index = QModelIndex | QPersistentModelIndex
NOT_A_COUNT = "计数应为不小于 0 的整数"


def parse_count(value: object) -> int | None:
    """A typed count: a whole number ≥ 0 (spaces and an empty cell, 0, allowed); None when it is not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    text = str(value).strip()
    if not text:
        return 0
    return int(text) if text.isdigit() else None


class TotalsModel(QAbstractTableModel):
    """项目 | one column per count (``rules.count_columns``) | 各栏合计 (red when it is not the valid ballots)."""

    rejected = Signal(str)  # an edit that was not a count: why it was refused

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.names: list[str] = []
        self.keys: tuple[str, ...] = ()
        self.rows: list[dict[str, int]] = []
        self.valid = 0
        self.locked = False

    def load(self, names: list[str], keys: tuple[str, ...], rows: list[dict[str, int]], locked: bool) -> None:
        self.beginResetModel()
        self.names, self.keys, self.locked = list(names), tuple(keys), locked
        self.rows = [{k: int(r.get(k, 0)) for k in self.keys} for r in rows]
        self.endResetModel()

    def set_valid(self, valid: int) -> None:
        if valid == self.valid:
            return
        self.valid = valid
        if self.rows:
            col = len(self.keys) + 1
            self.dataChanged.emit(self.index(0, col), self.index(len(self.rows) - 1, col))

    def counts(self) -> list[dict[str, int]]:
        return [dict(r) for r in self.rows]

    # Qt's model interface
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802, B008 (Qt's names)
        return 0 if parent.isValid() else len(self.names)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self.keys) + 2

    def headerData(self, section: int, orientation: Qt.Orientation,  # noqa: N802
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation != Qt.Orientation.Horizontal or role != Qt.ItemDataRole.DisplayRole:
            return None
        return ["项目", *[dv.LABELS[k] for k in self.keys], "各栏合计"][section]

    def flags(self, index: Index) -> Qt.ItemFlag:
        base = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if 1 <= index.column() <= len(self.keys) and not self.locked:
            return base | Qt.ItemFlag.ItemIsEditable
        return base

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        r, c = index.row(), index.column()
        total_col = len(self.keys) + 1
        if role == Qt.ItemDataRole.TextAlignmentRole and c > 0:
            return Qt.AlignmentFlag.AlignCenter
        if role == Qt.ItemDataRole.BackgroundRole and c == total_col:
            return None if sum(self.rows[r].values()) == self.valid else VOID_FILL
        if role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            return None
        if c == 0:
            return self.names[r]
        if c == total_col:
            return str(sum(self.rows[r].values()))
        value = self.rows[r][self.keys[c - 1]]
        return value if role == Qt.ItemDataRole.EditRole else str(value)

    def setData(self, index: Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:  # noqa: N802
        """Only a whole number ≥ 0 is taken; anything else is refused (``rejected``) and the cell keeps its value."""
        if role != Qt.ItemDataRole.EditRole or not self.flags(index) & Qt.ItemFlag.ItemIsEditable:
            return False
        count = parse_count(value)
        if count is None:
            self.rejected.emit(f"“{value}”不是计数：{NOT_A_COUNT}")
            return False
        r, key = index.row(), self.keys[index.column() - 1]
        if self.rows[r][key] != count:
            self.rows[r][key] = count
            self.dataChanged.emit(index, self.index(r, len(self.keys) + 1))
        return True


class TotalsWidget(QWidget):
    """Per-item totals from the hand count, checked as they are typed; saved only when they add up.
    ``saved`` carries the count tab read again after the save (one worker call)."""

    saved = Signal(object)

    def __init__(self, ctx: Context, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.round: RoundRow | None = None
        self.session: SessionRow | None = None
        self.items: tuple[ItemRow, ...] = ()
        self.last_task: tasks.TaskHandle | None = None
        self.model = TotalsModel(self)
        self.model.dataChanged.connect(lambda *_a: self.check())
        self.model.modelReset.connect(self.check)
        self.model.rejected.connect(self._refused)
        self.valid = QSpinBox()
        self.void = QSpinBox()
        for s in (self.valid, self.void):
            s.setRange(0, 9999)
            s.valueChanged.connect(self.check)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.AllEditTriggers)
        self.problems = QLabel()
        self.problems.setWordWrap(True)
        self.problems.setObjectName("totalsProblems")
        self.by = QLineEdit()
        self.by.setPlaceholderText("计票人")
        self.reason = QLineEdit()
        self.reason.setPlaceholderText("更正已录入的合计时填写原因")
        self.save_button = QPushButton("保存合计")
        self.save_button.clicked.connect(self.save)
        self._lay_out()

    def _lay_out(self) -> None:
        top = QHBoxLayout()
        for label, w in (("有效票", self.valid), ("作废票", self.void)):
            top.addWidget(QLabel(label))
            top.addWidget(w)
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

    def set_round(self, session: SessionRow, rnd: RoundRow, items: tuple[ItemRow, ...],
                  saved: TotalsRow | None) -> None:
        """Show the round with the totals last saved (``saved``, read by the count tab)."""
        self.session, self.round, self.items = session, rnd, tuple(items)
        keys = rules.count_columns(session.kind, session.rules)
        rows = list(saved.counts) if saved else [{} for _ in self.items]
        self.model.load([it.name for it in self.items], keys, rows, rnd.locked)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        if saved:
            self.valid.setValue(saved.valid)
            self.void.setValue(saved.void)
            self.by.setText(saved.entered_by)
        self.save_button.setEnabled(not rnd.locked)
        self.check()

    def set_round_row(self, rnd: RoundRow) -> None:
        self.round = rnd
        self.check()

    @property
    def keys(self) -> tuple[str, ...]:
        return self.model.keys

    def counts(self) -> list[dict[str, int]]:
        return self.model.counts()

    def set_counts(self, valid: int, void: int, counts: list[dict[str, int]]) -> None:
        """Type a whole hand count at once (each cell through ``setData``, as if typed)."""
        for r, row in enumerate(counts):
            for c, k in enumerate(self.model.keys, start=1):
                self.model.setData(self.model.index(r, c), row.get(k, 0))
        self.valid.setValue(valid)
        self.void.setValue(void)
        self.check()

    def _refused(self, why: str) -> None:
        self.problems.setText(why)
        self.problems.setStyleSheet(f"color: {VOID_INK};")

    def check(self) -> list[str]:
        if self.round is None or self.session is None:
            return []
        self.model.set_valid(self.valid.value())
        if self.round.returned is None:
            problems = ["请先登记发出票数和收回票数"]
        else:
            totals = dv.Totals(self.valid.value(), self.void.value(), tuple(self.counts()))
            problems = dv.check_totals(self.session.kind, self.session.rules, self.round.returned, self.round.seats,
                                       totals, [i.name for i in self.items])
        self.problems.setText("\n".join(problems) if problems else "各栏相加无误，可以保存。")
        self.problems.setStyleSheet(f"color: {VOID_INK};" if problems else "")
        return problems

    def save(self) -> tasks.TaskHandle | None:
        """Save on the database worker (refused there unless they add up), then read the tab again."""
        if self.round is None:
            return None
        ctx, rid = self.ctx, self.round.id
        valid, void, counts = self.valid.value(), self.void.value(), self.counts()
        by, reason = self.by.text(), self.reason.text()

        def work() -> CountView:
            rounds.enter_totals(ctx, rid, valid=valid, void=void, counts=counts, entered_by=by, reason=reason)
            return rounds.count_view(ctx, rid)

        def done(view: CountView) -> None:
            self.reason.clear()
            widgets.show_status(self, "手工计票合计已保存")
            self.saved.emit(view)

        self.last_task = db_op(self, work, done, title="正在保存合计")
        return self.last_task
