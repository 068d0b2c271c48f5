"""The 票决 page: the session box and the five tabs.

The page keeps the current session (``self.session``) as the last worker call returned it: a tab that
changes something says the session as it then stands (its ``changed`` signal), so the page redraws
without reading it again. Only the visible tab is redrawn at once; the others when next shown."""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QPushButton, QTabWidget, QVBoxLayout, QWidget

from congress_desktop.core.context import Context
from congress_desktop.votes import service as vote_service
from congress_desktop.votes import tally as dv
from congress_desktop.votes.rows import SessionRow
from ui import tasks, widgets
from ui.operations import db_op
from ui.pages.votes.count import CountTab
from ui.pages.votes.printing import PrintTab
from ui.pages.votes.projects import ProjectsTab
from ui.pages.votes.result import ResultTab
from ui.pages.votes.setup import NewSessionDialog, SetupTab

LOADING = "正在加载…"


def session_title(s: SessionRow) -> str:
    return f"{s.number}. {s.date} {s.kind_label}：{s.title}"


class VotesPage(QWidget):
    def __init__(self, ctx: Context, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("votesPage")
        self.sessions: list[SessionRow] = []
        self.session: SessionRow | None = None
        self.last_task: tasks.TaskHandle | None = None
        self.session_box = QComboBox()
        self.session_box.setMinimumWidth(420)
        self.session_box.currentIndexChanged.connect(lambda _i: self._load_current())
        self.state_label = QLabel(LOADING)
        self.state_label.setWordWrap(True)  # on a small window it wraps instead of running under the buttons
        self.projects = ProjectsTab(ctx)
        self.setup = SetupTab(ctx)
        self.printing = PrintTab(ctx)
        self.count = CountTab(ctx)
        self.result = ResultTab(ctx)
        self.tabs = QTabWidget()
        for tab, title in ((self.projects, "候选项目"), (self.setup, "会议与点名"), (self.printing, "打印"),
                           (self.count, "计票"), (self.result, "结果")):
            self.tabs.addTab(tab, title)
        self.tabs.currentChanged.connect(self._tab_changed)
        self._dirty: set[QWidget] = set()
        for tab in (self.setup, self.count, self.result):
            tab.changed.connect(lambda s, t=tab: self.refresh(source=t, session=s))
        self.projects.changed.connect(lambda: self._dirty.add(self.setup))
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addLayout(self._top())
        lay.addWidget(self.tabs, 1)
        self.projects.reload()
        self.reload_sessions()

    def _top(self) -> QHBoxLayout:
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
        return top

    # hooks of the main window
    def on_activated(self) -> None:
        self.projects.reload()
        self.refresh()

    def initial_focus(self) -> QWidget:
        return self.session_box

    # sessions
    def reload_sessions(self, select_id: str | None = None) -> tasks.TaskHandle:
        """Read the sessions on the worker; ``select_id`` is selected at once (「正在加载…」 until read)."""
        want = select_id or self.session_box.currentData()
        if select_id:
            self.session_box.blockSignals(True)
            i = self.session_box.findData(select_id)
            if i < 0:
                self.session_box.addItem(LOADING, select_id)
                i = self.session_box.count() - 1
            self.session_box.setCurrentIndex(i)
            self.session_box.blockSignals(False)
        ctx = self.ctx
        self.last_task = db_op(self, lambda: vote_service.list_sessions(ctx),
                               lambda rows: self._sessions_read(rows, want), title="正在读取表决")
        return self.last_task

    def _sessions_read(self, rows: list[SessionRow], want: str | None) -> None:
        self.sessions = rows
        self.session_box.blockSignals(True)
        self.session_box.clear()
        for s in rows:
            self.session_box.addItem(session_title(s), s.id)
        idx = self.session_box.findData(want) if want else 0
        self.session_box.setCurrentIndex(max(idx, 0))
        self.session_box.blockSignals(False)
        sid = self.session_box.currentData()
        self.show_session(next((s for s in rows if s.id == sid), None))

    def current_session(self) -> SessionRow | None:
        """The session shown (as last read; no database call)."""
        return self.session

    def _session_tabs(self) -> tuple[SetupTab, PrintTab, CountTab, ResultTab]:
        return (self.setup, self.printing, self.count, self.result)

    def _load_current(self) -> None:
        """Another session chosen in the box: read it on the worker."""
        sid = self.session_box.currentData()
        if not sid:
            self.show_session(None)
            return
        ctx = self.ctx
        self.state_label.setText(LOADING)
        self.last_task = db_op(self, lambda: vote_service.get_session(ctx, sid), self.show_session,
                               title="正在读取表决")

    def show_session(self, s: SessionRow | None) -> None:
        """Show ``s`` in the visible tab now, in the others when they are next shown."""
        self.session = s
        self.state_label.setText(s.state_label if s else "还没有表决：点击右侧“新建票决”或“新建测评”。")
        self._dirty.clear()
        for tab in self._session_tabs():
            if tab is self.tabs.currentWidget():
                tab.set_session(s)
            else:
                self._dirty.add(tab)

    def refresh(self, source: QWidget | None = None, session: SessionRow | None = None) -> None:
        """After a change made in ``source`` (which says the ``session`` as it now stands; read on the worker
        when it does not): the visible tab shows it at once, the others when next seen."""
        if session is None:
            sid = self.session_box.currentData()
            if not sid:
                self.reload_sessions()
                return
            ctx = self.ctx
            self.last_task = db_op(self, lambda: vote_service.get_session(ctx, sid),
                                   lambda s: self.refresh(source, s), title="正在读取表决",
                                   on_error=lambda _e: self.reload_sessions())
            return
        self.session = session
        index = self.session_box.findData(session.id)
        if index >= 0:
            self.session_box.setItemText(index, session_title(session))
        self.state_label.setText(session.state_label)
        for tab in self._session_tabs():
            if tab is source:
                continue
            if tab is self.tabs.currentWidget():
                tab.set_session(session)
            else:
                self._dirty.add(tab)

    def new_session(self, kind: str) -> SessionRow | None:
        dlg = NewSessionDialog(self.ctx, kind, self)
        widgets.exec_modal(dlg)
        if dlg.created is None:
            return None
        self.tabs.setCurrentWidget(self.setup)
        self.reload_sessions(dlg.created.id)
        return dlg.created

    def _tab_changed(self, index: int) -> None:
        tab = self.tabs.widget(index)
        if tab in self._dirty:
            self._dirty.discard(tab)
            tab.set_session(self.session)  # type: ignore[attr-defined]
        if tab is self.count:
            self.count.focus_entry()
