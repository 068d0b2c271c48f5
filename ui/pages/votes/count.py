"""计票 tab: 发出/收回, then the ballots (single or double entry) or the hand-count totals."""

from __future__ import annotations

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
from congress_desktop.core.errors import CongressError
from congress_desktop.votes import service as vote_service
from congress_desktop.votes import tally as dv
from ui import errors as ui_errors
from ui.pages.votes.common import VOID_INK
from ui.pages.votes.entry import BallotEntryWidget
from ui.pages.votes.review import DifferencesWidget, DoubtfulWidget
from ui.pages.votes.totals import TotalsWidget

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
