"""The 票决 page: the session box and the five tabs."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from congress_desktop.core.context import Context
from congress_desktop.votes import service as vote_service
from congress_desktop.votes import tally as dv
from ui import widgets
from ui.pages.votes.count import CountTab
from ui.pages.votes.printing import PrintTab
from ui.pages.votes.projects import ProjectsTab
from ui.pages.votes.result import ResultTab
from ui.pages.votes.setup import NewSessionDialog, SetupTab

# ------------------------------------------------------------------ the page


class VotesPage(QWidget):
    def __init__(self, ctx: Context, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("votesPage")
        self.sessions: list[vote_service.SessionRow] = []
        self.session_box = QComboBox()
        self.session_box.setMinimumWidth(420)
        self.session_box.currentIndexChanged.connect(lambda _i: self._load_current())
        self.state_label = QLabel()
        self.state_label.setWordWrap(True)  # on a small window it wraps instead of running under the buttons
        new_vote = QPushButton("新建票决…")
        new_vote.clicked.connect(lambda: self.new_session(dv.PROJECT_VOTE))
        new_rating = QPushButton("新建测评…")
        new_rating.clicked.connect(lambda: self.new_session(dv.SATISFACTION))
        top = QHBoxLayout()
        top.addWidget(QLabel("表决"))
        top.addWidget(self.session_box)
        top.addWidget(self.state_label, 1)
        top.addWidget(new_vote)
        top.addWidget(new_rating)

        self.projects = ProjectsTab(ctx)
        self.setup = SetupTab(ctx)
        self.printing = PrintTab(ctx)
        self.count = CountTab(ctx)
        self.result = ResultTab(ctx)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.projects, "候选项目")
        self.tabs.addTab(self.setup, "会议与点名")
        self.tabs.addTab(self.printing, "打印")
        self.tabs.addTab(self.count, "计票")
        self.tabs.addTab(self.result, "结果")
        self.tabs.currentChanged.connect(self._tab_changed)
        self._dirty: set[QWidget] = set()
        for tab in (self.setup, self.count, self.result):
            tab.changed.connect(lambda t=tab: self.refresh(source=t))
        self.projects.changed.connect(lambda: self._dirty.add(self.setup))

        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addLayout(top)
        lay.addWidget(self.tabs, 1)
        self.projects.reload()
        self.reload_sessions()

    # hooks of the main window
    def on_activated(self) -> None:
        self.projects.reload()
        self.refresh()

    def initial_focus(self) -> QWidget:
        return self.session_box

    # sessions
    def reload_sessions(self, select_id: str | None = None) -> None:
        current = select_id or self.session_box.currentData()
        self.sessions = vote_service.list_sessions(self.ctx)
        self.session_box.blockSignals(True)
        self.session_box.clear()
        for s in self.sessions:
            self.session_box.addItem(f"{s.number}. {s.date} {s.kind_label}：{s.title}", s.id)
        idx = self.session_box.findData(current) if current else 0
        self.session_box.setCurrentIndex(max(idx, 0))
        self.session_box.blockSignals(False)
        self._load_current()

    def current_session(self) -> vote_service.SessionRow | None:
        sid = self.session_box.currentData()
        return vote_service.get_session(self.ctx, sid) if sid else None

    def _session_tabs(self) -> tuple:
        return (self.setup, self.printing, self.count, self.result)

    def _load_current(self) -> None:
        s = self.current_session()
        self.state_label.setText(s.state_label if s else "还没有表决：点击右侧“新建票决”或“新建测评”。")
        for tab in self._session_tabs():
            tab.set_session(s)
        self._dirty.clear()

    def refresh(self, source: QWidget | None = None) -> None:
        """After a change made in ``source``: the other tabs show the session again when next seen
        (the counts, the state, the lock); the visible one at once."""
        s = self.current_session()
        if s is None:
            self.reload_sessions()
            return
        index = self.session_box.currentIndex()
        self.session_box.setItemText(index, f"{s.number}. {s.date} {s.kind_label}：{s.title}")
        self.state_label.setText(s.state_label)
        for tab in self._session_tabs():
            if tab is source:
                continue
            if tab is self.tabs.currentWidget():
                tab.set_session(s)
            else:
                self._dirty.add(tab)

    def new_session(self, kind: str) -> vote_service.SessionRow | None:
        dlg = NewSessionDialog(self.ctx, kind, self)
        if widgets.exec_modal(dlg) != QDialog.DialogCode.Accepted or dlg.created is None:
            return None
        self.reload_sessions(dlg.created.id)
        self.tabs.setCurrentWidget(self.setup)
        return dlg.created

    def _tab_changed(self, index: int) -> None:
        tab = self.tabs.widget(index)
        if tab in self._dirty:
            self._dirty.discard(tab)
            tab.set_session(self.current_session())
        if tab is self.count:
            self.count.focus_entry()
