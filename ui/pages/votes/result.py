"""结果 tab of the 票决 page: count, announce and lock, re-vote, printouts, exports, the log. Each
action is one worker call that returns the session and the round as they then stand."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from congress_desktop.core.context import Context
from congress_desktop.core.errors import CongressError
from congress_desktop.votes import casefile as vote_casefile
from congress_desktop.votes import rules
from congress_desktop.votes import service as vote_service
from congress_desktop.votes import tally as dv
from congress_desktop.votes.rows import LogEntry, RoundView, SessionRow, VerifyResult
from ui import errors as ui_errors
from ui import tasks, widgets
from ui.files import ask_save_file, info
from ui.operations import db_op
from ui.pages.votes.common import JSON_FILTER, VOID_INK, WARN_FILL, XLSX_FILTER, item_cell, make_table
from ui.pages.votes.printing import run_print

SessionLog = tuple[VerifyResult, list[LogEntry]]


def read_log(ctx: Context, session_id: str) -> SessionLog:
    """The log check and the entries (runs on the worker)."""
    return vote_service.verify_session(ctx, session_id), vote_service.log_entries(ctx, session_id)


def with_session(ctx: Context, session_id: str, view: RoundView) -> tuple[SessionRow, RoundView]:
    """The session as it stands after a change to one of its rounds (runs on the worker)."""
    return vote_service.get_session(ctx, session_id), view


class LogDialog(QDialog):
    """The log of a session and its check, as ``read_log`` read them on the worker."""

    def __init__(self, session: SessionRow, log: SessionLog, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(f"计票日志：{session.title}")
        res, entries = log
        head = QLabel(("核验通过：" if res.ok else "核验未通过：")
                      + (f"共 {res.entries} 条，哈希链完整，选票记录与日志一致，结果可复算。" if res.ok
                         else "；".join(res.problems)))
        head.setWordWrap(True)
        head.setObjectName("verifyLabel")
        head.setStyleSheet("color: #1e7d32;" if res.ok else f"color: {VOID_INK}; font-weight: bold;")
        self.ok = res.ok
        table = make_table(["序号", "时间（UTC）", "用户", "操作", "内容", "哈希"])
        table.setRowCount(len(entries))
        for r, e in enumerate(entries):
            detail = "；".join(f"{k}={v}" for k, v in e.detail.items() if k not in ("record", "replaces"))
            for c, v in enumerate((e.seq, e.at[:19], e.user, e.action_label, detail, e.hash[:16])):
                table.setItem(r, c, item_cell(v, center=c != 4))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addWidget(head)
        lay.addWidget(QLabel(f"末条哈希：{res.final_hash}"))
        lay.addWidget(table, 1)
        lay.addWidget(buttons)
        self.resize(900, 560)


class ResultTab(QWidget):
    changed = Signal(object)  # the SessionRow after a change made here

    def __init__(self, ctx: Context, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.session: SessionRow | None = None
        self.view: RoundView | None = None
        self.last_task: tasks.TaskHandle | None = None
        self.last_output: Path | None = None
        self.round_box = QComboBox()
        self.round_box.currentIndexChanged.connect(lambda _i: self._show_round())
        self.state = QLabel()
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.table = make_table([])
        self.messages = QLabel()
        self.messages.setWordWrap(True)
        self.messages.setObjectName("resultMessages")
        self.hash_label = QLabel()
        self.hash_label.setObjectName("muted")
        self.hash_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.chair = QLineEdit()
        self.chair.setPlaceholderText("宣布人（执行主席）")
        self.buttons: dict[str, QPushButton] = {}
        top = QHBoxLayout()
        top.addWidget(QLabel("轮次"))
        top.addWidget(self.round_box)
        top.addWidget(self.state, 1)
        actions = QHBoxLayout()
        for key, text, slot in (("compute", "计票", self.compute), ("announce", "公布结果（锁定）", self.announce),
                                ("revote", "开始下一轮投票", self.revote)):
            b = QPushButton(text)
            b.clicked.connect(slot)
            self.buttons[key] = b
        actions.addWidget(self.buttons["compute"])
        actions.addWidget(self.chair)
        actions.addWidget(self.buttons["announce"])
        actions.addWidget(self.buttons["revote"])
        actions.addStretch(1)
        outputs = QHBoxLayout()
        for key, text, slot in (("result", "打印结果报告单", lambda: self.print_doc("result")),
                                ("tally", "打印计票单", lambda: self.print_doc("tally-filled")),
                                ("notice", "打印公告", lambda: self.print_doc("notice")),
                                ("xlsx", "导出 Excel…", self.export_xlsx), ("case", "导出案卷…", self.export_case),
                                ("log", "计票日志与核验…", self.show_log)):
            b = QPushButton(text)
            b.clicked.connect(slot)
            self.buttons[key] = b
            outputs.addWidget(b)
        outputs.addStretch(1)
        lay = QVBoxLayout(self)
        lay.addLayout(top)
        lay.addWidget(self.summary)
        lay.addWidget(self.table, 1)
        lay.addWidget(self.messages)
        lay.addWidget(self.hash_label)
        lay.addLayout(actions)
        lay.addLayout(outputs)

    def set_session(self, session: SessionRow | None, view: RoundView | None = None) -> None:
        """Show the session's last round (or ``view``'s round, already read, when given)."""
        self.session = session
        self.round_box.blockSignals(True)
        self.round_box.clear()
        if session is not None:
            for r in session.rounds:
                self.round_box.addItem(r.label, r.id)
            i = self.round_box.findData(view.round.id) if view is not None else -1
            self.round_box.setCurrentIndex(i if i >= 0 else self.round_box.count() - 1)
            self.chair.setText(session.chair)
        self.round_box.blockSignals(False)
        if view is not None and session is not None and self.current_round_id() == view.round.id:
            self.show_view(view)
        else:
            self._show_round()

    def current_round_id(self) -> str | None:
        return self.round_box.currentData()

    def _show_round(self) -> None:
        rid = self.current_round_id()
        if self.session is None or rid is None:
            self.view = None
            self.summary.setText("尚未开始投票。")
            self.table.setRowCount(0)
            self.messages.setText("")
            self.hash_label.setText("")
            for b in self.buttons.values():
                b.setEnabled(False)
            self.buttons["log"].setEnabled(self.session is not None)
            return
        self.summary.setText("正在加载…")
        ctx = self.ctx
        self.last_task = db_op(self, lambda: vote_service.round_view(ctx, rid), self.show_view, title="正在读取结果")

    def show_view(self, v: RoundView) -> None:
        if self.session is None or v.round.id != self.current_round_id():
            return  # read for a round no longer shown
        self.view = v
        r = v.round
        self.state.setText(r.state_label + (f"（{r.announced_at} 由 {r.announced_by} 公布）" if r.locked else ""))
        res = v.result
        is_last = self.session.rounds and self.session.rounds[-1].id == r.id
        self.buttons["compute"].setEnabled(not r.locked)
        self.buttons["announce"].setEnabled(rules.can_announce(r.state))
        self.buttons["revote"].setEnabled(bool(is_last and r.locked and res is not None
                                               and (not res.round_valid or res.revote_seats)))
        for key in ("result", "tally", "xlsx"):
            self.buttons[key].setEnabled(res is not None)
        self.buttons["notice"].setEnabled(any(x.locked for x in self.session.rounds))
        self.buttons["case"].setEnabled(True)
        self.buttons["log"].setEnabled(True)
        self._fill(res)
        if res is None:
            self.summary.setText("尚未计票。" + ("计票前还需：" + "；".join(v.problems) if v.problems else
                                            "数据已齐，可以计票。"))
            self.messages.setText("")
        else:
            self.summary.setText(
                f"全体代表 {res.all_deputies}，实到 {res.present}，发出 {res.issued}，收回 {res.returned}，"
                f"有效票 {res.valid_ballots}，作废票 {res.void_ballots}；本轮投票{'有效' if res.round_valid else '无效'}"
                + (f"；通过须赞成至少 {res.threshold} 票（超过全体代表的半数）" if res.kind == dv.PROJECT_VOTE
                   and res.rules.pass_basis == "all_deputies" else ""))
            self.messages.setText("\n".join(res.messages))
        self.hash_label.setText(f"计票日志末条哈希：{r.final_hash if r.locked else v.last_hash}")

    def _fill(self, res: dv.TallyResult | None) -> None:
        if self.session is None:
            return
        if self.session.kind == dv.PROJECT_VOTE:
            headers = ["序号", "项目名称", "赞成", "反对", "弃权", "未投", "无效", "过半数", "名次", "结果"]
        else:
            headers = ["序号", "测评对象", "满意", "基本满意", "不满意", "弃权", "无效", "满意率", "不满意率", "结果"]
        self.table.setColumnCount(len(headers))
        self.table.setHorizontalHeaderLabels(headers)
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.horizontalHeader().setStretchLastSection(False)
        items = self.view.items if self.view else ()
        self.table.setRowCount(len(items))
        for r, it in enumerate(items):
            values: list[object] = [r + 1, it.name]
            outcome = ""
            if res is not None:
                ir = res.items[r]
                c = ir.counts
                outcome = ir.outcome
                if self.session.kind == dv.PROJECT_VOTE:
                    values += [c["for"], c["against"], c["abstain"], c["not_voted"], c["invalid"],
                               "是" if ir.passed else "否", ir.rank or "", ir.outcome_label]
                else:
                    values += [c["satisfied"], c["basic"], c["unsatisfied"], c["abstain"] + c["not_voted"],
                               c["invalid"], dv.percent(ir.rate), dv.percent(ir.unsatisfied_share), ir.outcome_label]
            for col, value in enumerate(values):
                box = item_cell(value, center=col != 1)
                if outcome in ("adopted", "satisfactory"):
                    box.setForeground(QBrush(QColor("#1e7d32")))
                elif outcome in ("revote", "recheck"):
                    box.setBackground(WARN_FILL)
                self.table.setItem(r, col, box)

    def _act(self, work: Callable[[], tuple[SessionRow, RoundView]], title: str, status: str = "") -> None:
        """One worker call that changes the round and reads the session and the round again."""

        def done(result: tuple[SessionRow, RoundView]) -> None:
            session, view = result
            if status:
                widgets.show_status(self, status.format(label=view.round.label))
            self.set_session(session, view)
            self.changed.emit(session)

        self.last_task = db_op(self, work, done, title=title)

    def compute(self) -> None:
        rid, session = self.current_round_id(), self.session
        if rid is None or session is None:
            return
        ctx, sid = self.ctx, session.id
        self._act(lambda: with_session(ctx, sid, vote_service.compute_round(ctx, rid)),
                  "正在计票")

    def announce(self) -> None:
        rid, session = self.current_round_id(), self.session
        if rid is None or session is None or not widgets.ask_yes_no(
                self, "公布结果", "公布后本轮结果即锁定，不能再修改任何选票；如需更正，只能另行投票。确定公布？"):
            return
        ctx, sid, by = self.ctx, session.id, self.chair.text()
        self._act(lambda: with_session(ctx, sid, vote_service.announce_round(ctx, rid, by)),
                  "正在公布")

    def revote(self) -> None:
        rid, session = self.current_round_id(), self.session
        if rid is None or session is None:
            return
        ctx, sid = self.ctx, session.id

        def work() -> tuple[SessionRow, RoundView]:
            r = vote_service.start_revote(ctx, rid)
            return with_session(ctx, sid, vote_service.round_view(ctx, r.id))

        self._act(work, "正在开始下一轮", "已开始{label}：请打印本轮选票并录入")

    def print_doc(self, doc: str) -> None:
        if self.session is None or self.view is None:
            return
        kw = {} if doc == "notice" else {"round_number": self.view.round.number}
        run_print(self, self.ctx, self.session, doc, **kw)

    def export_xlsx(self) -> None:
        if self.session is None:
            return
        path = ask_save_file(self, "导出计票结果", f"{self.session.kind_label}结果-{self.session.number}.xlsx",
                             XLSX_FILTER)
        if not path:
            return
        ctx, sid = self.ctx, self.session.id

        def done(_r: object) -> None:
            self.last_output = Path(path)
            widgets.show_status(self, f"已导出到 {path}")

        def failed(e: BaseException) -> None:
            ui_errors.show_error(self, e if not isinstance(e, PermissionError) else CongressError(
                f"无法写入 {Path(path).name}：文件可能正在 Excel/WPS 中打开，请关闭后再试"))

        self.last_task = db_op(self, lambda: vote_casefile.export_results(ctx, sid, path), done,
                               title="正在导出", on_error=failed)

    def export_case(self) -> None:
        if self.session is None or self.view is None:
            return
        path = ask_save_file(self, "导出案卷文件",
                             f"案卷-{self.session.number}-第{self.view.round.number}轮.json", JSON_FILTER)
        if not path:
            return
        ctx, sid, number = self.ctx, self.session.id, self.view.round.number

        def done(_r: object) -> None:
            self.last_output = Path(path)
            info(self, "已导出案卷", f"案卷文件已保存到：\n{path}\n\n任何人都可以用命令\n"
                                  f"congress-desktop votes tally \"{Path(path).name}\"\n独立复算本轮结果。")

        self.last_task = db_op(self, lambda: vote_casefile.export_case(ctx, sid, path, number), done,
                               title="正在导出案卷")

    def show_log(self) -> None:
        session = self.session
        if session is None:
            return
        ctx = self.ctx
        self.last_task = db_op(self, lambda: read_log(ctx, session.id),
                               lambda log: widgets.exec_modal(LogDialog(session, log, self)),
                               title="正在核验计票日志")
