"""候选项目 tab of the 票决 page: the candidate projects, their import and ballot order. Every read and
change runs on the database worker; a change returns the list as it then stands."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from congress_desktop.core.context import Context
from congress_desktop.core.importing import ImportResult
from congress_desktop.votes import importing as vote_importing
from congress_desktop.votes import service as vote_service
from congress_desktop.votes.rows import ProjectRow
from ui import tasks, widgets
from ui.files import ask_open_file, info
from ui.forms import FormDialog
from ui.operations import db_op, long_op
from ui.pages.import_dialog import ImportErrorsDialog
from ui.pages.votes.common import IMPORT_FILTER, item_cell, make_table

PROJECT_COLUMNS = [("年度", "year"), ("选票顺序", "ballot_order"), ("编号", "number"), ("项目名称", "name"),
                   ("类别", "category"), ("实施地点", "place_name"), ("总投资（万元）", "investment"),
                   ("实施单位", "unit"), ("完成时限", "deadline"), ("状态", "state")]


class ProjectDialog(FormDialog):
    """新增/编辑候选项目 (every field of VOTES.md); saved on the database worker."""

    FIELDS = [("year", "年度"), ("number", "编号"), ("name", "项目名称"), ("category", "类别"),
              ("content", "建设内容及目标"), ("place", "实施地点（村/社区）"), ("investment", "总投资（万元）"),
              ("funding", "资金来源"), ("unit", "实施单位"), ("person", "责任人"), ("deadline", "完成时限"),
              ("beneficiaries", "受益群众"), ("source", "项目来源"), ("ballot_order", "选票顺序"),
              ("state", "状态"), ("note", "备注")]

    def __init__(self, ctx: Context, project: ProjectRow | None = None, parent: QWidget | None = None):
        super().__init__("编辑候选项目" if project else "新增候选项目", parent, aliases={"place_code": "place"})
        self.ctx = ctx
        self.project = project
        self.inputs: dict[str, QWidget] = {}
        for key, label in self.FIELDS:
            self.inputs[key] = w = self._input(key)
            self.add_row(label, w, key)
        values: dict[str, Any] = {"year": str(dt.date.today().year), "state": "正式候选"}
        if project:
            values = {k: getattr(project, k, "") for k, _ in self.FIELDS if k != "place"}
            values["place"] = project.place_name or project.place_code
        for key, value in values.items():
            self._set(key, "" if value is None else str(value))
        buttons, _ = widgets.ok_cancel_buttons(self, "保存", self.save)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        inner = QWidget()
        inner.setLayout(self.form)
        scroll.setWidget(inner)
        lay = QVBoxLayout(self)
        lay.addWidget(self.general_error)
        lay.addWidget(scroll)
        lay.addWidget(buttons)
        self.resize(560, 640)

    @staticmethod
    def _input(key: str) -> QWidget:
        if key == "category":
            box = QComboBox()
            box.setEditable(True)
            box.addItems(["", *vote_service.CATEGORIES])
            return box
        if key == "state":
            box = QComboBox()
            box.addItems(list(vote_service.PROJECT_STATES))
            return box
        if key in ("content", "note"):
            text = QPlainTextEdit()
            text.setFixedHeight(60)
            return text
        return QLineEdit()

    def _set(self, key: str, value: str) -> None:
        w = self.inputs[key]
        if isinstance(w, QComboBox):
            w.setCurrentText(value)
        elif isinstance(w, QPlainTextEdit):
            w.setPlainText(value)
        elif isinstance(w, QLineEdit):
            w.setText(value)

    def values(self) -> dict[str, str]:
        out = {}
        for key, w in self.inputs.items():
            if isinstance(w, QComboBox):
                out[key] = w.currentText()
            elif isinstance(w, QPlainTextEdit):
                out[key] = w.toPlainText()
            elif isinstance(w, QLineEdit):
                out[key] = w.text()
        return out

    def save(self) -> tasks.TaskHandle:
        ctx, raw, pid = self.ctx, self.values(), self.project.id if self.project else None
        return self.run_save(lambda: vote_service.save_project(ctx, raw, pid))


class ProjectsTab(QWidget):
    changed = Signal()

    def __init__(self, ctx: Context, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.rows: list[ProjectRow] = []
        self.all_rows: list[ProjectRow] = []
        self.last_task: tasks.TaskHandle | None = None
        self.year = QComboBox()
        self.year.currentIndexChanged.connect(lambda _i: self._show())
        self.table = make_table([c[0] for c in PROJECT_COLUMNS])
        self.table.horizontalHeader().setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.table.horizontalHeader().setStretchLastSection(False)
        self.table.itemDoubleClicked.connect(lambda _i: self.edit())
        self.state = QComboBox()
        self.state.addItems(list(vote_service.PROJECT_STATES))
        self.loading = QLabel("正在加载…")
        self.loading.setObjectName("muted")
        lay = QVBoxLayout(self)
        lay.addLayout(self._bar())
        lay.addWidget(self.loading)
        lay.addWidget(self.table, 1)
        note = QLabel("项目生命周期：征集 → 筛选论证 → 正式候选 → 票决 → 确定/未确定 → 实施中 → 完成 → 测评。"
                      "“选票顺序”即项目在选票上的次序；公布票决结果时，列入票决的项目自动改为“确定”或“未确定”。"
                      "导入的表格需有“项目名称”列，可含年度、类别、建设内容、实施地点、总投资、实施单位、完成时限等。")
        note.setWordWrap(True)
        note.setObjectName("muted")
        lay.addWidget(note)

    def _bar(self) -> QHBoxLayout:
        bar = QHBoxLayout()
        bar.addWidget(QLabel("年度"))
        bar.addWidget(self.year)
        for text, slot in (("新增…", self.add), ("编辑…", self.edit), ("上移", lambda: self.move(-1)),
                           ("下移", lambda: self.move(1)), ("导入…", self.import_file), ("删除", self.delete)):
            b = QPushButton(text)
            b.clicked.connect(slot)
            bar.addWidget(b)
        bar.addStretch(1)
        bar.addWidget(QLabel("状态改为"))
        bar.addWidget(self.state)
        set_state = QPushButton("设置")
        set_state.clicked.connect(self.set_state)
        bar.addWidget(set_state)
        return bar

    # -------------------------------------------------------------- reading
    def reload(self, select_id: str | None = None) -> tasks.TaskHandle:
        return self._run(lambda: None, select_id)

    def _run(self, change: Callable[[], object], select_id: str | None = None, *, changed: bool = False,
             title: str = "正在读取候选项目") -> tasks.TaskHandle:
        """``change()`` then the list, in one worker call; then show it (and say ``changed``)."""
        ctx = self.ctx

        def work() -> list[ProjectRow]:
            change()
            return vote_service.list_projects(ctx)

        def done(rows: list[ProjectRow]) -> None:
            self.set_rows(rows)
            if select_id:
                self._select(select_id)
            if changed:
                self.changed.emit()

        self.last_task = db_op(self, work, done, title=title)
        return self.last_task

    def set_rows(self, all_rows: list[ProjectRow]) -> None:
        self.all_rows = all_rows
        self.loading.setVisible(False)
        year = self.year.currentData()
        years = sorted({p.year for p in all_rows}, reverse=True)
        self.year.blockSignals(True)
        self.year.clear()
        self.year.addItem("全部", 0)
        for y in years:
            self.year.addItem(str(y), y)
        idx = self.year.findData(year) if year else (1 if years else 0)
        self.year.setCurrentIndex(max(idx, 0))
        self.year.blockSignals(False)
        self._show()

    def _show(self) -> None:
        year = self.year.currentData()
        self.rows = [p for p in self.all_rows if not year or p.year == year]
        self.table.setRowCount(len(self.rows))
        for r, p in enumerate(self.rows):
            for c, (_h, key) in enumerate(PROJECT_COLUMNS):
                self.table.setItem(r, c, item_cell(getattr(p, key), center=key not in ("name", "unit")))

    def selected(self) -> ProjectRow | None:
        r = self.table.currentRow()
        return self.rows[r] if 0 <= r < len(self.rows) else None

    def _select(self, project_id: str) -> None:
        for r, p in enumerate(self.rows):
            if p.id == project_id:
                self.table.selectRow(r)

    # -------------------------------------------------------------- changes
    def add(self) -> None:
        dlg = ProjectDialog(self.ctx, None, self)
        widgets.exec_modal(dlg)
        if dlg.saved is not None:
            self.reload(dlg.saved.id)
            self.changed.emit()

    def edit(self) -> None:
        p = self.selected()
        if p is None:
            return
        dlg = ProjectDialog(self.ctx, p, self)
        widgets.exec_modal(dlg)
        if dlg.saved is not None:
            self.reload(p.id)
            self.changed.emit()

    def move(self, delta: int) -> None:
        p = self.selected()
        if p is not None:
            ctx = self.ctx
            self._run(lambda: vote_service.move_project(ctx, p.id, delta), p.id, title="正在调整顺序")

    def set_state(self) -> None:
        p = self.selected()
        if p is not None:
            ctx, state = self.ctx, self.state.currentText()
            self._run(lambda: vote_service.set_project_state(ctx, p.id, state), p.id, changed=True,
                      title="正在设置状态")

    def delete(self) -> None:
        p = self.selected()
        if p is None or not widgets.ask_yes_no(self, "删除项目", f"删除候选项目“{p.name}”？"):
            return
        ctx = self.ctx
        self._run(lambda: vote_service.delete_project(ctx, p.id), changed=True, title="正在删除")

    def import_file(self) -> None:
        path = ask_open_file(self, "导入候选项目", IMPORT_FILTER)
        if not path:
            return
        ctx = self.ctx

        def work(progress: tasks.Progress, cancel: tasks.Cancel) -> ImportResult:
            return vote_importing.import_projects(ctx, path, progress, cancel)

        def done(res: ImportResult) -> None:
            if res.ok:
                self.reload()
                info(self, "导入完成", f"已导入 {res.applied} 个候选项目。")
                self.changed.emit()
            else:
                widgets.exec_modal(ImportErrorsDialog(res, path, self, what="项目"))

        self.last_task = long_op(self, "正在导入候选项目", work, done)
