"""候选项目 tab of the 票决 page: the candidate projects, their import and ballot order."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFormLayout,
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
from congress_desktop.core.errors import CongressError, FieldErrors
from congress_desktop.core.importing import ImportResult
from congress_desktop.votes import importing as vote_importing
from congress_desktop.votes import service as vote_service
from ui import errors as ui_errors
from ui import tasks, widgets
from ui.files import ask_open_file, info
from ui.pages.import_dialog import ImportErrorsDialog
from ui.pages.votes.common import IMPORT_FILTER, error_label, item_cell, make_table

# ------------------------------------------------------------------ candidate projects


PROJECT_COLUMNS = [("年度", "year"), ("选票顺序", "ballot_order"), ("编号", "number"), ("项目名称", "name"),
                   ("类别", "category"), ("实施地点", "place_name"), ("总投资（万元）", "investment"),
                   ("实施单位", "unit"), ("完成时限", "deadline"), ("状态", "state")]


class ProjectDialog(QDialog):
    """新增/编辑候选项目 (every field of VOTES.md)."""

    FIELDS = [("year", "年度"), ("number", "编号"), ("name", "项目名称"), ("category", "类别"),
              ("content", "建设内容及目标"), ("place", "实施地点（村/社区）"), ("investment", "总投资（万元）"),
              ("funding", "资金来源"), ("unit", "实施单位"), ("person", "责任人"), ("deadline", "完成时限"),
              ("beneficiaries", "受益群众"), ("source", "项目来源"), ("ballot_order", "选票顺序"),
              ("state", "状态"), ("note", "备注")]

    def __init__(self, ctx: Context, project: vote_service.ProjectRow | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.project = project
        self.saved: vote_service.ProjectRow | None = None
        self.setWindowTitle("编辑候选项目" if project else "新增候选项目")
        self.inputs: dict[str, QWidget] = {}
        self.errors: dict[str, widgets.FieldError] = {}
        form = QFormLayout()
        for key, label in self.FIELDS:
            if key == "category":
                w = QComboBox()
                w.setEditable(True)
                w.addItems(["", *vote_service.CATEGORIES])
            elif key == "state":
                w = QComboBox()
                w.addItems(list(vote_service.PROJECT_STATES))
            elif key in ("content", "note"):
                w = QPlainTextEdit()
                w.setFixedHeight(60)
            else:
                w = QLineEdit()
            self.inputs[key] = w
            self.errors[key] = error_label()
            box = QWidget()
            b = QVBoxLayout(box)
            b.setContentsMargins(0, 0, 0, 0)
            b.setSpacing(1)
            b.addWidget(w)
            b.addWidget(self.errors[key])
            form.addRow(label, box)
        values = {"year": str(dt.date.today().year), "state": "正式候选"}
        if project:
            values = {k: getattr(project, k, "") for k, _ in self.FIELDS if k != "place"}
            values["place"] = project.place_name or project.place_code
        for key, value in values.items():
            self._set(key, "" if value is None else str(value))
        buttons, _ = widgets.ok_cancel_buttons(self, "保存", self.save)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        inner = QWidget()
        inner.setLayout(form)
        scroll.setWidget(inner)
        lay = QVBoxLayout(self)
        lay.addWidget(scroll)
        lay.addWidget(buttons)
        self.resize(560, 640)

    def _set(self, key: str, value: str) -> None:
        w = self.inputs[key]
        if isinstance(w, QComboBox):
            w.setCurrentText(value)
        elif isinstance(w, QPlainTextEdit):
            w.setPlainText(value)
        else:
            w.setText(value)

    def values(self) -> dict[str, str]:
        out = {}
        for key, w in self.inputs.items():
            if isinstance(w, QComboBox):
                out[key] = w.currentText()
            elif isinstance(w, QPlainTextEdit):
                out[key] = w.toPlainText()
            else:
                out[key] = w.text()
        return out

    def save(self) -> bool:
        for e in self.errors.values():
            e.set_error("")
        try:
            self.saved = vote_service.save_project(self.ctx, self.values(), self.project.id if self.project else None)
        except FieldErrors as e:
            for key, msg in e.errors.items():
                (self.errors.get(key) or self.errors["name"]).set_error(msg)
            return False
        except CongressError as e:
            ui_errors.show_error(self, e)
            return False
        self.accept()
        return True


class ProjectsTab(QWidget):
    changed = Signal()

    def __init__(self, ctx: Context, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.rows: list[vote_service.ProjectRow] = []
        self.last_task = None
        self.year = QComboBox()
        self.year.currentIndexChanged.connect(lambda _i: self.reload())
        self.table = make_table([c[0] for c in PROJECT_COLUMNS])
        self.table.horizontalHeader().setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.table.horizontalHeader().setStretchLastSection(False)
        self.table.itemDoubleClicked.connect(lambda _i: self.edit())
        self.state = QComboBox()
        self.state.addItems(list(vote_service.PROJECT_STATES))
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
        note = QLabel("项目生命周期：征集 → 筛选论证 → 正式候选 → 票决 → 确定/未确定 → 实施中 → 完成 → 测评。"
                      "“选票顺序”即项目在选票上的次序；公布票决结果时，列入票决的项目自动改为“确定”或“未确定”。"
                      "导入的表格需有“项目名称”列，可含年度、类别、建设内容、实施地点、总投资、实施单位、完成时限等。")
        note.setWordWrap(True)
        note.setObjectName("muted")
        lay = QVBoxLayout(self)
        lay.addLayout(bar)
        lay.addWidget(self.table, 1)
        lay.addWidget(note)

    def reload(self) -> None:
        year = self.year.currentData()
        all_rows = vote_service.list_projects(self.ctx)
        years = sorted({p.year for p in all_rows}, reverse=True)
        self.year.blockSignals(True)
        current = year
        self.year.clear()
        self.year.addItem("全部", 0)
        for y in years:
            self.year.addItem(str(y), y)
        idx = self.year.findData(current) if current else (1 if years else 0)
        self.year.setCurrentIndex(max(idx, 0))
        self.year.blockSignals(False)
        year = self.year.currentData()
        self.rows = [p for p in all_rows if not year or p.year == year]
        self.table.setRowCount(len(self.rows))
        for r, p in enumerate(self.rows):
            for c, (_h, key) in enumerate(PROJECT_COLUMNS):
                self.table.setItem(r, c, item_cell(getattr(p, key), center=key not in ("name", "unit")))

    def selected(self) -> vote_service.ProjectRow | None:
        r = self.table.currentRow()
        return self.rows[r] if 0 <= r < len(self.rows) else None

    def _select(self, project_id: str) -> None:
        for r, p in enumerate(self.rows):
            if p.id == project_id:
                self.table.selectRow(r)

    def add(self) -> None:
        dlg = ProjectDialog(self.ctx, None, self)
        if widgets.exec_modal(dlg) == QDialog.DialogCode.Accepted and dlg.saved:
            self.reload()
            self._select(dlg.saved.id)
            self.changed.emit()

    def edit(self) -> None:
        p = self.selected()
        if p is None:
            return
        dlg = ProjectDialog(self.ctx, p, self)
        if widgets.exec_modal(dlg) == QDialog.DialogCode.Accepted:
            self.reload()
            self._select(p.id)
            self.changed.emit()

    def move(self, delta: int) -> None:
        p = self.selected()
        if p is None:
            return
        vote_service.move_project(self.ctx, p.id, delta)
        self.reload()
        self._select(p.id)

    def set_state(self) -> None:
        p = self.selected()
        if p is None:
            return
        vote_service.set_project_state(self.ctx, p.id, self.state.currentText())
        self.reload()
        self._select(p.id)
        self.changed.emit()

    def delete(self) -> None:
        p = self.selected()
        if p is None or not widgets.ask_yes_no(self, "删除项目", f"删除候选项目“{p.name}”？"):
            return
        try:
            vote_service.delete_project(self.ctx, p.id)
        except CongressError as e:
            ui_errors.show_error(self, e)
            return
        self.reload()
        self.changed.emit()

    def import_file(self) -> None:
        path = ask_open_file(self, "导入候选项目", IMPORT_FILTER)
        if not path:
            return

        def work(progress, cancel):
            return vote_importing.import_projects(self.ctx, path, progress, cancel)

        def done(res: ImportResult) -> None:
            if res.ok:
                self.reload()
                info(self, "导入完成", f"已导入 {res.applied} 个候选项目。")
                self.changed.emit()
            else:
                widgets.exec_modal(ImportErrorsDialog(res, path, self, what="项目"))

        self.last_task = tasks.run_task(self, "正在导入候选项目", work, on_success=done)


