"""Hand-count totals, checked as they are typed."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
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
from ui.pages.votes.common import VOID_FILL, VOID_INK, item_cell

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
            self.table.setItem(r, 0, item_cell(it.name, center=False))
            for c, k in enumerate(self.keys, start=1):
                value = saved.counts[r].get(k, 0) if saved else 0
                box = QTableWidgetItem(str(value))
                box.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                self.table.setItem(r, c, box)
            self.table.setItem(r, len(self.keys) + 1, item_cell(""))
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
            box = self.table.item(r, len(self.keys) + 1)
            if box is not None:
                box.setText(str(total))
                box.setBackground(QBrush() if total == self.valid.value() else VOID_FILL)
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


