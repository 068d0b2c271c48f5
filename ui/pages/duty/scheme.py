"""The 考评办法 tab: the scheme's items, base points, the most a deputy can score and the grade bands;
saving adds a new version (closed periods keep theirs). Read and saved on the database worker."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from congress_desktop.core.context import Context
from congress_desktop.core.errors import CongressError, FieldErrors
from congress_desktop.duty import evaluation as eval_service
from congress_desktop.duty import rules as ev
from congress_desktop.duty.rows import SchemeRow
from ui import errors as ui_errors
from ui import tasks, widgets
from ui.operations import db_op


class SchemeTab(QWidget):
    """Edit the scheme: items (what is counted, points per occurrence, cap), base points, the most a
    deputy can score, grade bands. Saving adds a new version; closed periods keep theirs."""

    changed = Signal()
    SOURCE_KEYS = list(ev.SOURCES)

    def __init__(self, ctx: Context, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.last_task: tasks.TaskHandle | None = None
        self.schemes: dict[str, SchemeRow] = {}
        self.versions = QComboBox()
        self.versions.setObjectName("schemeVersions")
        self.versions.currentIndexChanged.connect(self._version_chosen)
        self.base = QLineEdit()
        self.base.setMaximumWidth(90)
        self.max_total = QLineEdit()
        self.max_total.setMaximumWidth(90)
        self.max_total.setPlaceholderText("不设")
        self.items = QTableWidget(0, 4)
        self.items.setObjectName("schemeItems")
        self.items.setHorizontalHeaderLabels(["计分内容", "项目名称", "每次分值（扣分填负数）", "本期上限"])
        self.items.verticalHeader().setVisible(False)
        self.items.horizontalHeader().setStretchLastSection(True)
        for col, w in enumerate((200, 160, 160)):
            self.items.setColumnWidth(col, w)
        self.bands = QTableWidget(0, 2)
        self.bands.setObjectName("schemeBands")
        self.bands.setHorizontalHeaderLabels(["等次", "分数下限（达到即为该等次；最后一档不填）"])
        self.bands.verticalHeader().setVisible(False)
        self.bands.horizontalHeader().setStretchLastSection(True)
        self.bands.setMaximumHeight(150)
        self.note = QLineEdit()
        self.note.setPlaceholderText("修改说明，如“建议议案每件改为 4 分”")
        self.error = widgets.FieldError()
        self.error.setObjectName("schemeError")
        self.save_button = QPushButton("保存为新版本")
        self.save_button.setObjectName("saveScheme")
        self.save_button.clicked.connect(self.save)
        add_item = QPushButton("添加项目")
        add_item.clicked.connect(lambda: self.add_item_row("training", "", "1", ""))
        del_item = QPushButton("删除选中项目")
        del_item.clicked.connect(lambda: self._remove_selected(self.items))
        add_band = QPushButton("添加等次")
        add_band.clicked.connect(lambda: self.add_band_row("", ""))
        del_band = QPushButton("删除选中等次")
        del_band.clicked.connect(lambda: self._remove_selected(self.bands))
        head = QHBoxLayout()
        head.addWidget(QLabel("查看版本"))
        head.addWidget(self.versions, 1)
        head.addWidget(QLabel("基础分"))
        head.addWidget(self.base)
        head.addWidget(QLabel("满分"))
        head.addWidget(self.max_total)
        item_buttons = QHBoxLayout()
        item_buttons.addWidget(add_item)
        item_buttons.addWidget(del_item)
        item_buttons.addStretch(1)
        item_buttons.addWidget(add_band)
        item_buttons.addWidget(del_band)
        foot = QHBoxLayout()
        foot.addWidget(self.note, 1)
        foot.addWidget(self.save_button)
        explain = QLabel("每位代表得分 = 基础分 + 各项得分（每项按次数 × 每次分值，不超过本期上限；单条记录可另填单项分值），"
                         "总分在 0 与满分之间。保存后，进行中的期间立即按新版本计算；已关闭的期间仍按关闭时的版本计算。")
        explain.setWordWrap(True)
        explain.setObjectName("muted")
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 6, 0, 0)
        lay.addLayout(head)
        lay.addWidget(explain)
        lay.addWidget(self.items, 3)
        lay.addLayout(item_buttons)
        lay.addWidget(self.bands, 1)
        lay.addWidget(self.error)
        lay.addLayout(foot)
        self.reload()

    def reload(self, select_id: str | None = None) -> tasks.TaskHandle:
        """Read the versions on the worker, then show ``select_id`` (else the current version)."""
        ctx = self.ctx
        self.versions.blockSignals(True)
        self.versions.clear()
        self.versions.addItem("正在加载…")
        self.versions.blockSignals(False)
        self.save_button.setEnabled(False)
        self.last_task = db_op(self, lambda: eval_service.list_schemes(ctx),
                               lambda rows: self._fill_versions(rows, select_id), title="正在加载考评办法")
        return self.last_task

    def _fill_versions(self, rows: list[SchemeRow], select_id: str | None) -> None:
        self.schemes = {r.id: r for r in rows}
        self.versions.blockSignals(True)
        self.versions.clear()
        for i, r in enumerate(rows):
            self.versions.addItem(f"{r.label}（{r.created}）{'【现行】' if i == 0 else ''} {r.note}", r.id)
        self.versions.setCurrentIndex(max(0, self.versions.findData(select_id)) if select_id else 0)
        self.versions.blockSignals(False)
        self.save_button.setEnabled(True)
        self._version_chosen()

    def _version_chosen(self) -> None:
        row = self.schemes.get(self.versions.currentData() or "")
        if row is not None:
            self.load(row.scheme)

    def load(self, scheme: ev.Scheme) -> None:
        self.base.setText(ev.fmt(scheme.base))
        self.max_total.setText(ev.fmt(scheme.max_total))
        self.items.setRowCount(0)
        for i in scheme.items:
            self.add_item_row(i.source, i.label, ev.fmt(i.points), ev.fmt(i.cap))
        self.bands.setRowCount(0)
        for b in scheme.bands:
            self.add_band_row(b.label, ev.fmt(b.min_points))
        self.error.set_error("")

    def add_item_row(self, source: str, label: str, points: str, cap: str) -> int:
        r = self.items.rowCount()
        self.items.insertRow(r)
        combo = QComboBox()
        for key in self.SOURCE_KEYS:
            combo.addItem(ev.SOURCES[key].label, key)
            combo.setItemData(combo.count() - 1, ev.SOURCES[key].hint, Qt.ItemDataRole.ToolTipRole)
        combo.setCurrentIndex(max(0, combo.findData(source)))
        self.items.setCellWidget(r, 0, combo)
        name = QTableWidgetItem(label or ev.SOURCES[source].label)
        self.items.setItem(r, 1, name)
        defaults = {x.label for x in ev.SOURCES.values()}

        def follow(_i: int, name: QTableWidgetItem = name, combo: QComboBox = combo) -> None:
            if not name.text().strip() or name.text() in defaults:  # a name the user typed stays
                name.setText(ev.SOURCES[combo.currentData()].label)

        combo.currentIndexChanged.connect(follow)
        self.items.setItem(r, 2, QTableWidgetItem(points))
        self.items.setItem(r, 3, QTableWidgetItem(cap))
        return r

    def add_band_row(self, label: str, low: str) -> int:
        r = self.bands.rowCount()
        self.bands.insertRow(r)
        self.bands.setItem(r, 0, QTableWidgetItem(label))
        self.bands.setItem(r, 1, QTableWidgetItem(low))
        return r

    def set_item_points(self, source: str, points: str, cap: str | None = None) -> None:
        """Type a weight into the row of ``source`` (what a user does in the table)."""
        for r in range(self.items.rowCount()):
            if self.items.cellWidget(r, 0).currentData() == source:
                self.items.item(r, 2).setText(points)
                if cap is not None:
                    self.items.item(r, 3).setText(cap)
                return
        raise KeyError(source)

    @staticmethod
    def _text(table: QTableWidget, r: int, c: int) -> str:
        item = table.item(r, c)
        return item.text() if item is not None else ""

    @staticmethod
    def _remove_selected(table: QTableWidget) -> None:
        rows = sorted({i.row() for i in table.selectedIndexes()}, reverse=True)
        if not rows and table.currentRow() >= 0:
            rows = [table.currentRow()]
        for r in rows:
            table.removeRow(r)

    def values(self) -> dict:
        items = [{"source": self.items.cellWidget(r, 0).currentData(), "label": self._text(self.items, r, 1),
                  "points": self._text(self.items, r, 2), "cap": self._text(self.items, r, 3)}
                 for r in range(self.items.rowCount())]
        bands = [{"label": self._text(self.bands, r, 0), "min": self._text(self.bands, r, 1)}
                 for r in range(self.bands.rowCount())]
        return {"base": self.base.text(), "max_total": self.max_total.text(), "items": items, "bands": bands}

    def save(self) -> tasks.TaskHandle:
        """Save the values as a new version on the worker (the same values again save nothing)."""
        ctx, values, note = self.ctx, self.values(), self.note.text()

        def work() -> tuple[SchemeRow, SchemeRow]:
            return eval_service.current_scheme(ctx), eval_service.save_scheme(ctx, values, note)

        self.last_task = db_op(self, work, self._saved, title="正在保存考评办法", on_error=self._failed)
        return self.last_task

    def _failed(self, exc: BaseException) -> None:
        if isinstance(exc, FieldErrors):
            self.error.set_error("；".join(exc.errors.values()))
        elif isinstance(exc, CongressError):
            self.error.set_error(exc.message)
        else:
            ui_errors.show_error(self, exc)

    def _saved(self, result: tuple[SchemeRow, SchemeRow]) -> None:
        before, row = result
        self.error.set_error("")
        self.note.clear()
        self.reload(row.id)
        if row.id == before.id:
            widgets.show_status(self, "考评办法没有变化，未保存新版本")
        else:
            widgets.show_status(self, f"已保存为考评办法{row.label}：进行中的期间按新版本计算，已关闭的期间不变")
            self.changed.emit()
