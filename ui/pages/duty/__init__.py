"""履职考评: duty records and training entry, the scoring scheme editor (versioned), the evaluation
table of a period with the records behind every number, voter ratings, printing and export.

The evaluation table: one row per deputy, one column per item of the scheme. Click a number and the
records behind it are listed; open any of them (a duty record or training here, a visit or an opinion
in its own form, a 票决 / 测评 in its page). Double-click a name for the deputy's whole duty file.

Every database call runs on the database worker (ui.operations): each tab says 正在加载… until its data
is back and keeps the task as ``last_task`` (forms: ``load_task`` / ``save_task``) for tests to wait on.

Modules: parts (date box, deputy chooser), dialogs (the forms and ``open_source``), evaluation (考评),
records (履职记录, 培训), scheme (考评办法), ratings (选民测评).

Seams for tests: ``visits_common.ask_save_file``, ``ui.files.open_file`` (file dialogs, the PDF viewer)
and ``ui.widgets.exec_modal`` (every modal dialog)."""

from __future__ import annotations

from PySide6.QtWidgets import QTabWidget, QVBoxLayout, QWidget

from congress_desktop.core.context import Context
from ui.pages.duty.dialogs import (
    EvaluationPeriodDialog,
    RecordDialog,
    SessionDialog,
    SourcesDialog,
    TrainingDialog,
    open_source,
)
from ui.pages.duty.evaluation import EvaluationModel, EvaluationTab
from ui.pages.duty.parts import DeputyChecklist, matches
from ui.pages.duty.ratings import RatingsTab
from ui.pages.duty.records import RecordsTab, TrainingTab
from ui.pages.duty.scheme import SchemeTab

__all__ = ["DeputyChecklist", "DutyPage", "EvaluationModel", "EvaluationPeriodDialog", "EvaluationTab",
           "RatingsTab", "RecordDialog", "RecordsTab", "SchemeTab", "SessionDialog", "SourcesDialog",
           "TrainingDialog", "TrainingTab", "matches", "open_source"]


class DutyPage(QWidget):
    def __init__(self, ctx: Context, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("dutyPage")
        self.evaluation = EvaluationTab(ctx)
        self.records = RecordsTab(ctx)
        self.trainings = TrainingTab(ctx)
        self.scheme = SchemeTab(ctx)
        self.ratings = RatingsTab(ctx)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.evaluation, "考评")
        self.tabs.addTab(self.records, "履职记录")
        self.tabs.addTab(self.trainings, "培训")
        self.tabs.addTab(self.scheme, "考评办法")
        self.tabs.addTab(self.ratings, "选民测评")
        self._stale = False
        self._just_built = True  # the tabs have just started reading: the first activation reads nothing more
        for tab in (self.records, self.trainings, self.scheme, self.ratings):
            tab.changed.connect(self._mark_stale)
        self.tabs.currentChanged.connect(self._tab_changed)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.tabs)

    def _mark_stale(self) -> None:
        self._stale = True

    def _tab_changed(self, _index: int) -> None:
        if self.tabs.currentWidget() is self.evaluation and self._stale:
            self._stale = False
            self.evaluation.reload_periods()
        elif self.tabs.currentWidget() is self.ratings:
            self.ratings.reload_periods()

    def on_activated(self) -> None:
        """Coming back from another page: visits, opinions or roll calls may have changed."""
        if self._just_built:
            self._just_built = False
            return
        self.evaluation.reload_periods()
        self.records.reload()
        self.trainings.reload()

    def initial_focus(self) -> QWidget:
        return self.evaluation.period_box
