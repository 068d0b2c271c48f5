"""The 选民测评 tab: a period's votes typed per deputy (称职 / 基本称职 / 不称职) in a table model whose
``setData`` refuses what ``rules.rating_votes`` refuses (said in Chinese under the table), the result
beside; read and saved on the database worker."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QPushButton, QTableView, QVBoxLayout, QWidget

from congress_desktop.core.context import Context
from congress_desktop.core.errors import CongressError
from congress_desktop.duty import activity as activity_service
from congress_desktop.duty import evaluation as eval_service
from congress_desktop.duty import rules as ev
from congress_desktop.duty.rows import DeputyOption, PeriodRow, RatingRow
from ui import tasks, widgets
from ui.operations import db_op
from ui.pages.duty.parts import LOADING

Index = QModelIndex | QPersistentModelIndex
VOTE_COLUMNS = (2, 3, 4)
UNSAVED = "（未保存）"


@dataclass
class RatingLine:
    """One deputy's row: the votes as stored and as typed (text), and the stored result."""

    option: DeputyOption
    saved: tuple[str, str, str]
    typed: list[str]
    summary: str

    @property
    def changed(self) -> bool:
        return tuple(self.typed) != self.saved


@dataclass(frozen=True)
class RatingSheet:
    period: PeriodRow
    ratings: dict[str, RatingRow]
    options: list[DeputyOption]


def read_sheet(ctx: Context, period_id: str) -> RatingSheet:
    """On the worker: the period, its ratings and the deputies in office during it."""
    p = eval_service.get_period(ctx, period_id)
    ratings = {r.deputy_id: r for r in eval_service.list_ratings(ctx, period_id)}
    return RatingSheet(p, ratings, activity_service.deputy_options(ctx, p.date_from, p.date_to))


def save_lines(ctx: Context, period_id: str, changes: list[tuple[str, str, tuple[str, str, str]]]) -> tuple[int, list[str]]:
    """On the worker: store each changed row (three empty counts delete the rating); (saved, problems)."""
    saved, problems = 0, []
    for deputy_id, name, values in changes:
        try:
            if not any(values):
                eval_service.delete_rating(ctx, period_id, deputy_id)
            else:
                eval_service.set_rating(ctx, period_id, deputy_id, values)
            saved += 1
        except CongressError as e:
            problems.append(f"{name}：{e.message}")
    return saved, problems


class RatingModel(QAbstractTableModel):
    """Name, village, the three counts (editable unless the period is closed), the result."""

    COLS = ("姓名", "所在村(社区)", *ev.RATING_LABELS, "结果")
    refused = Signal(str)  # a value setData did not take, and why

    def __init__(self, parent=None):
        super().__init__(parent)
        self.lines: list[RatingLine] = []
        self.closed = False

    def set_sheet(self, sheet: RatingSheet | None) -> None:
        self.beginResetModel()
        self.lines = []
        self.closed = sheet.period.closed if sheet else False
        for o in sheet.options if sheet else ():
            r = sheet.ratings.get(o.id) if sheet else None
            values = (str(r.competent), str(r.basic), str(r.incompetent)) if r else ("", "", "")
            self.lines.append(RatingLine(o, values, list(values), r.summary if r else ""))
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.lines)

    def columnCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.COLS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.COLS[section]
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        base = super().flags(index)
        if index.isValid() and index.column() in VOTE_COLUMNS and not self.closed:
            return base | Qt.ItemFlag.ItemIsEditable
        return base

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            return None
        line, col = self.lines[index.row()], index.column()
        if col in VOTE_COLUMNS:
            return line.typed[col - VOTE_COLUMNS[0]]
        if col == 5:
            return UNSAVED if line.changed else line.summary
        return line.option.name if col == 0 else line.option.village_name

    def setData(self, index: Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        """A count typed: refused (``refused`` says why) unless ``rules.rating_votes`` takes it."""
        if not index.isValid() or role != Qt.ItemDataRole.EditRole or not self.flags(index) & Qt.ItemFlag.ItemIsEditable:
            return False
        text = "" if value is None else str(value).strip()
        label = self.COLS[index.column()]
        try:
            ev.rating_votes(text, label)
        except CongressError as e:
            self.refused.emit(f"{self.lines[index.row()].option.name}：{e.message}")
            return False
        self.lines[index.row()].typed[index.column() - VOTE_COLUMNS[0]] = text
        self.dataChanged.emit(index, self.index(index.row(), 5))
        return True

    def changes(self) -> list[tuple[str, str, tuple[str, str, str]]]:
        """(deputy id, name, the three counts) of every row typed differently from what is stored."""
        return [(x.option.id, x.option.name, (x.typed[0], x.typed[1], x.typed[2])) for x in self.lines if x.changed]


class RatingsTab(QWidget):
    """选民测评 of a period: votes typed per deputy (称职 / 基本称职 / 不称职), the result beside."""

    COLS = RatingModel.COLS
    changed = Signal()

    def __init__(self, ctx: Context, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.last_task: tasks.TaskHandle | None = None
        self.saved_count = 0
        self.period_box = QComboBox()
        self.period_box.setObjectName("ratingPeriod")
        self.period_box.addItem(LOADING)
        self.period_box.currentIndexChanged.connect(self.load)
        self.model = RatingModel(self)
        self.model.refused.connect(self._refused)
        self.table = QTableView()
        self.table.setObjectName("ratingTable")
        self.table.setModel(self.model)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.error = widgets.FieldError()
        self.save_button = QPushButton("保存测评结果")
        self.save_button.clicked.connect(self.save)
        top = QHBoxLayout()
        top.addWidget(QLabel("考评期间"))
        top.addWidget(self.period_box, 1)
        top.addWidget(self.save_button)
        self.note = QLabel(f"填写各代表的测评票数（称职 / 基本称职 / 不称职）。{ev.rating_rule()}"
                           "三项都清空即删除该代表的测评结果。已关闭期间的测评结果不能修改。")
        self.note.setWordWrap(True)
        self.note.setObjectName("muted")
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 6, 0, 0)
        lay.addLayout(top)
        lay.addWidget(self.note)
        lay.addWidget(self.error)
        lay.addWidget(self.table, 1)
        self.reload_periods()

    @property
    def ids(self) -> list[str]:
        return [x.option.id for x in self.model.lines]

    def reload_periods(self) -> tasks.TaskHandle:
        ctx = self.ctx
        self.last_task = db_op(self, lambda: eval_service.list_periods(ctx), self._fill_periods,
                               title="正在加载考评期间")
        return self.last_task

    def _fill_periods(self, periods: list[PeriodRow]) -> None:
        current = self.period_box.currentData()  # the period chosen, also one chosen while the list was read
        self.period_box.blockSignals(True)
        self.period_box.clear()
        for p in periods:
            self.period_box.addItem(p.label, p.id)
        self.period_box.setCurrentIndex(max(0, self.period_box.findData(current)))
        self.period_box.blockSignals(False)
        self.load()

    def load(self) -> tasks.TaskHandle | None:
        pid, ctx = self.period_box.currentData(), self.ctx
        self.model.set_sheet(None)
        if not pid:
            return None
        self.save_button.setEnabled(False)
        self.last_task = db_op(self, lambda: read_sheet(ctx, pid), self._loaded, title="正在加载测评结果")
        return self.last_task

    def _loaded(self, sheet: RatingSheet) -> None:
        if sheet.period.id != self.period_box.currentData():
            return  # another period was chosen meanwhile
        self.model.set_sheet(sheet)
        self.save_button.setEnabled(not sheet.period.closed)

    def _refused(self, message: str) -> None:
        self.error.set_error(message)

    def set_votes(self, deputy_id: str, competent: str, basic: str, incompetent: str) -> bool:
        """Type a deputy's three counts (what a user does in the table); False if one was refused."""
        row = self.ids.index(deputy_id)
        return all([self.model.setData(self.model.index(row, col), text)
                    for col, text in zip(VOTE_COLUMNS, (competent, basic, incompetent), strict=True)])

    def save(self) -> tasks.TaskHandle | None:
        pid, ctx, changes = self.period_box.currentData(), self.ctx, self.model.changes()
        if not pid:
            return None
        self.last_task = db_op(self, lambda: save_lines(ctx, pid, changes), self._saved, title="正在保存测评结果")
        return self.last_task

    def _saved(self, result: tuple[int, list[str]]) -> None:
        saved, problems = result
        self.saved_count = saved
        self.error.set_error("；".join(problems))
        self.load()
        if saved:
            self.changed.emit()
            widgets.show_status(self, f"已保存 {saved} 名代表的测评结果")
