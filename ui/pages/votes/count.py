"""计票 tab: 发出/收回, then the ballots (single or double entry) or the hand-count totals.

The tab is read in one worker call (``rounds.count_view``); each action is one worker call that returns
what the tab redraws (an ``EntryStep`` after a ballot, a ``CountView`` after anything else). ``changed``
carries the session as it now stands, so the page needs no read of its own."""

from __future__ import annotations

import dataclasses

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from congress_desktop.core.context import Context
from congress_desktop.votes import rounds, rules
from congress_desktop.votes import tally as dv
from congress_desktop.votes.rows import CountView, EntryStep, ItemRow, RoundRow, SessionRow
from congress_desktop.votes.vocab import CLERKS, MODES, Mode
from ui import tasks
from ui.operations import db_op
from ui.pages.votes.common import VOID_INK
from ui.pages.votes.entry import BallotEntryWidget
from ui.pages.votes.review import DifferencesWidget, DoubtfulWidget
from ui.pages.votes.totals import TotalsWidget

GOOD_INK = "#1e7d32"


def round_items(session: SessionRow, rnd: RoundRow) -> tuple[ItemRow, ...]:
    return tuple(session.item(i) for i in rnd.item_ids)


class CountTab(QWidget):
    """发出/收回, then ballots (single or double entry) or hand-count totals, for the current round."""

    changed = Signal(object)  # the SessionRow after a change made here

    def __init__(self, ctx: Context, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.session: SessionRow | None = None
        self.round: RoundRow | None = None
        self.items: tuple[ItemRow, ...] = ()
        self.last_task: tasks.TaskHandle | None = None
        self.round_label = QLabel()
        self.round_label.setObjectName("sectionTitle")
        self.unsealed, self.issued, self.returned = QSpinBox(), QSpinBox(), QSpinBox()
        for s in (self.unsealed, self.issued, self.returned):
            s.setRange(0, 9999)
        self.counts_button = QPushButton("登记")
        self.counts_button.clicked.connect(self.save_counts)
        for spin in (self.issued, self.returned):
            spin.valueChanged.connect(lambda _v: self._preview_stands())
        self.stands_label = QLabel()
        self.stands_label.setObjectName("standsLabel")
        self.entry = BallotEntryWidget(ctx)
        self.entry.stepped.connect(self._stepped)
        self.diffs = DifferencesWidget(ctx)
        self.diffs.decided.connect(self._viewed)
        self.diffs.reload_requested.connect(self.reload)
        self.doubts = DoubtfulWidget(ctx)
        self.doubts.decided.connect(self._viewed)
        self.totals = TotalsWidget(ctx)
        self.totals.saved.connect(self._viewed)
        self.problems = QLabel()
        self.problems.setWordWrap(True)
        self.problems.setObjectName("muted")
        self._lay_out()

    def _clerk_row(self) -> QWidget:
        self.clerk = QComboBox()
        for key in ("A", "B"):
            self.clerk.addItem(CLERKS[key], key)
        self.clerk_name = QLineEdit()
        self.clerk_name.setPlaceholderText("录入员姓名")
        self.clerk.currentIndexChanged.connect(lambda _i: self.reload())
        self.clerk_name.editingFinished.connect(self._clerk_named)
        self.clerk_row = QWidget()
        lay = QHBoxLayout(self.clerk_row)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(QLabel("录入员"))
        lay.addWidget(self.clerk)
        lay.addWidget(self.clerk_name)
        self.clerk_note = QLabel("双人录入：两位录入员各自独立录入同一叠选票，看不到对方的录入；"
                                 "切换录入员时只显示本人录入的选票。")
        self.clerk_note.setObjectName("muted")
        lay.addWidget(self.clerk_note, 1)
        return self.clerk_row

    def _lay_out(self) -> None:
        counts = QGroupBox("发出与收回")
        row = QHBoxLayout(counts)
        for label, w in (("拆封", self.unsealed), ("发出", self.issued), ("收回", self.returned)):
            row.addWidget(QLabel(label))
            row.addWidget(w)
        row.addWidget(self.counts_button)
        row.addWidget(self.stands_label, 1)
        ballots = QWidget()
        b_lay = QVBoxLayout(ballots)
        b_lay.setContentsMargins(0, 0, 0, 0)
        b_lay.addWidget(self._clerk_row())
        b_lay.addWidget(self.entry, 3)
        b_lay.addWidget(self.diffs, 2)
        b_lay.addWidget(self.doubts, 1)
        self.stack = QStackedWidget()
        self.stack.addWidget(ballots)
        self.stack.addWidget(self.totals)
        self.empty = QLabel("尚未开始投票：请在“会议与点名”中完成点名，再点击“开始投票”。")
        self.stack.addWidget(self.empty)
        lay = QVBoxLayout(self)
        lay.addWidget(self.round_label)
        lay.addWidget(counts)
        lay.addWidget(self.stack, 1)
        lay.addWidget(self.problems)

    # -------------------------------------------------------------- loading
    def set_session(self, session: SessionRow | None) -> None:
        """Show the session's current round: what the session says at once, the rest from the worker."""
        self.session = session
        self.round = session.current_round if session else None
        if session is None or self.round is None:
            self.round_label.setText("")
            self.stack.setCurrentWidget(self.empty)
            self.problems.setText("")
            for w in (self.unsealed, self.issued, self.returned, self.counts_button):
                w.setEnabled(False)
            return
        self.items = round_items(session, self.round)
        self._show_round_row(self.round)
        self.problems.setText("正在加载…")
        self.reload()

    def reload(self) -> None:
        if self.round is None:
            return
        ctx, rid, clerk = self.ctx, self.round.id, self._clerk_key()
        self.last_task = db_op(self, lambda: rounds.count_view(ctx, rid, clerk), self.show_view,
                               title="正在读取本轮")

    def _clerk_key(self) -> str:
        return str(self.clerk.currentData()) if self.round is not None and self.round.mode == Mode.DOUBLE else "A"

    def _show_round_row(self, r: RoundRow) -> None:
        kind = self.session.kind if self.session else dv.PROJECT_VOTE
        self.round_label.setText(f"{r.label} · {MODES[r.mode]} · {r.state_label} · 本轮 {len(self.items)} 个项目"
                                 + (f"，应确定 {r.seats} 个" if kind == dv.PROJECT_VOTE else ""))
        for spin, value in ((self.unsealed, r.unsealed), (self.issued, r.issued), (self.returned, r.returned)):
            spin.setValue(value or 0)
        if r.issued is None:
            self.issued.setValue(r.present)
            self.unsealed.setValue(r.present)
        for w in (self.unsealed, self.issued, self.returned, self.counts_button):
            w.setEnabled(not r.locked)
        self._show_stands()

    def show_view(self, cv: CountView) -> None:
        """Everything the tab shows of the round, as read by ``rounds.count_view``."""
        session, r = cv.view.session, cv.view.round
        self.session, self.round, self.items = session, r, cv.view.items
        self._show_round_row(r)
        if r.mode == Mode.TOTALS:
            self.stack.setCurrentWidget(self.totals)
            self.totals.set_round(session, r, self.items, cv.totals)
        else:
            self.stack.setCurrentIndex(0)
            double = r.mode == Mode.DOUBLE
            self.clerk.setEnabled(double)
            self.clerk_note.setVisible(double)
            clerk = self._clerk_key()
            self.entry.set_round(session, r, self.items, clerk, self.clerk_name.text().strip(), stack=cv.stack)
            self.diffs.setVisible(double)
            self.diffs.set_round(session.kind, r, len(self.items), clerk)
            self.diffs.set_rows(cv.differences, cv.stack_sizes)
            self.doubts.set_round(session.kind, r, len(self.items), clerk)
            self.doubts.set_rows(cv.doubtful)
        self._show_problems(cv.view.problems)

    def _clerk_named(self) -> None:
        self.entry.clerk_name = self.clerk_name.text().strip()

    # -------------------------------------------------------------- 发出 and 收回
    def _show_stands(self) -> None:
        r = self.round
        if r is None or r.stands is None or r.issued is None or r.returned is None:
            self.stands_label.setText("登记发出、收回票数后，程序即判断本轮是否有效。")
            self.stands_label.setStyleSheet("")
        elif r.stands:
            self.stands_label.setText(rules.stands_text(r.issued, r.returned) + "。")
            self.stands_label.setStyleSheet(f"color: {GOOD_INK}; font-weight: bold;")
        else:
            self.stands_label.setText(rules.stands_text(r.issued, r.returned) + "，请计票确认后宣布无效并重新投票。")
            self.stands_label.setStyleSheet(f"color: {VOID_INK}; font-weight: bold;")

    def _preview_stands(self) -> None:
        """While the numbers are typed: whether the round would stand (``rules.round_stands``), before saving."""
        r = self.round
        if r is None or r.locked:
            return
        issued, returned = self.issued.value(), self.returned.value()
        if (r.issued, r.returned) == (issued, returned):
            self._show_stands()
            return
        self.stands_label.setText(rules.stands_text(issued, returned) + "（点击“登记”保存）")
        self.stands_label.setStyleSheet(f"color: {GOOD_INK};" if rules.round_stands(issued, returned)
                                        else f"color: {VOID_INK}; font-weight: bold;")

    def _show_problems(self, problems: tuple[str, ...] | list[str]) -> None:
        if self.round is not None and self.round.locked:
            self.problems.setText("本轮结果已公布并锁定。")
        elif problems:
            self.problems.setText("计票前还需：" + "；".join(problems))
        else:
            self.problems.setText("已可计票：请到“结果”页点击“计票”。")

    def save_counts(self) -> tasks.TaskHandle | None:
        if self.round is None:
            return None
        ctx, rid, clerk = self.ctx, self.round.id, self._clerk_key()
        issued, returned, unsealed = self.issued.value(), self.returned.value(), self.unsealed.value() or None

        def work() -> CountView:
            rounds.set_ballot_counts(ctx, rid, issued=issued, returned=returned, unsealed=unsealed)
            return rounds.count_view(ctx, rid, clerk)

        self.last_task = db_op(self, work, self._viewed, title="正在登记")
        return self.last_task

    # -------------------------------------------------------------- after a change
    def _viewed(self, cv: CountView) -> None:
        self.show_view(cv)
        self.changed.emit(cv.view.session)

    def _stepped(self, step: EntryStep) -> None:
        """After a ballot is entered, undone or corrected: the step says all the tab shows."""
        self.round = step.round
        if step.round.mode == Mode.DOUBLE:
            self.diffs.round = step.round
            self.diffs.set_rows(step.differences, step.stack_sizes)
        self.doubts.round = step.round
        self.doubts.set_rows(step.doubtful)
        self._show_problems(step.problems)
        if self.session is not None:
            self.session = dataclasses.replace(self.session, rounds=tuple(
                step.round if x.id == step.round.id else x for x in self.session.rounds))
        self.changed.emit(self.session)

    def focus_entry(self) -> None:
        if self.stack.currentIndex() == 0:
            self.entry.line.setFocus()
