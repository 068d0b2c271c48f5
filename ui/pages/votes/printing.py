"""打印 tab of the 票决 page, and ``run_print`` (every printout of the page)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from congress_desktop.core.context import Context
from congress_desktop.votes import printing as vote_printing
from congress_desktop.votes import service as vote_service
from ui.files import printout_path
from ui.operations import print_op

# ------------------------------------------------------------------ printing


class PrintTab(QWidget):
    def __init__(self, ctx: Context, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.session: vote_service.SessionRow | None = None
        self.last_task = None
        self.last_output: Path | None = None
        self.copies = QSpinBox()
        self.copies.setRange(1, 2000)
        self.per_page = QComboBox()
        self.per_page.addItem("每页一张", 1)
        self.per_page.addItem("每页两张（裁开）", 2)
        grid = QGridLayout()
        rows = [("attendance", "出席情况报告单", "全体/应到/实到/请假/缺席，是否达到法定人数；总监票人、监票人签字。"),
                ("ballots", "选票", "本轮项目；无编号、无任何记号；份数默认为实到人数。"),
                ("distribution", "分发报告单 / 收回报告单", "拆封、实发、剩余（剪角作废）、发出、收回，本轮是否有效。"),
                ("tally-sheet", "计票单（空白）", "每位计票人一页，按项目划“正”字，手工计票用。")]
        for r, (key, title, note) in enumerate(rows):
            b = QPushButton(f"打印{title}")
            b.setObjectName(f"print-{key}")
            b.clicked.connect(lambda _c=False, k=key: self.print_doc(k))
            lab = QLabel(note)
            lab.setWordWrap(True)
            lab.setObjectName("muted")
            grid.addWidget(b, r, 0)
            grid.addWidget(lab, r, 1)
        opts = QHBoxLayout()
        opts.addWidget(QLabel("选票份数"))
        opts.addWidget(self.copies)
        opts.addWidget(self.per_page)
        opts.addStretch(1)
        grid.addLayout(opts, 1, 2)
        self.note = QLabel("计票后的计票单、结果报告单和公告在“结果”页打印。PDF 生成后自动打开，在阅读器中打印。")
        self.note.setObjectName("muted")
        lay = QVBoxLayout(self)
        lay.addLayout(grid)
        lay.addWidget(self.note)
        lay.addStretch(1)

    def set_session(self, session: vote_service.SessionRow | None) -> None:
        self.session = session
        self.setEnabled(session is not None)
        if session is not None:
            r = session.current_round
            self.copies.setValue(max(1, r.present if r else session.present))

    def print_doc(self, doc: str, **kw) -> None:
        if self.session is None:
            return
        run_print(self, self.ctx, self.session, doc,
                  **({"copies": self.copies.value(), "per_page": self.per_page.currentData()} if doc == "ballots"
                     else {}), **kw)


def run_print(owner: QWidget, ctx: Context, session: vote_service.SessionRow, doc: str, **kw) -> None:
    """Make the PDF off the GUI thread (ui.operations.print_op), then open it."""
    out = printout_path(ctx, f"{session.kind_label}{session.number}-{vote_printing.DOCUMENTS[doc].split('（')[0]}"
                             .replace("/", "-"))

    def work(progress, cancel):
        return vote_printing.print_document(ctx, session.id, doc, out, vote_printing.Job(progress, cancel), **kw)

    def done(_pages) -> None:
        owner.last_output = out

    owner.last_task = print_op(owner, f"正在生成{vote_printing.DOCUMENTS[doc]}", out, work, on_done=done)


