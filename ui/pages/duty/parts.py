"""Small pieces the duty page's tabs and dialogs share: a date box, a table view, the deputy chooser."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from congress_desktop.duty.rows import DeputyOption

LOADING = "正在加载…"


def date_edit(placeholder: str = "如 2026-03-05") -> QLineEdit:
    e = QLineEdit()
    e.setPlaceholderText(placeholder)
    e.setMaximumWidth(130)
    e.setMinimumWidth(e.fontMetrics().horizontalAdvance("2026-03-05") + 18)  # a narrow window squeezed it to 「01」
    return e


def buttons(dialog: QDialog, ok_text: str = "保存") -> QDialogButtonBox:
    box = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
    box.button(QDialogButtonBox.StandardButton.Ok).setText(ok_text)
    box.button(QDialogButtonBox.StandardButton.Cancel).setText("取消")
    box.rejected.connect(dialog.reject)
    return box


def table(view: QTableView) -> QTableView:
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setAlternatingRowColors(True)
    view.verticalHeader().setVisible(False)
    view.horizontalHeader().setStretchLastSection(True)
    view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    return view


def matches(option: DeputyOption, text: str) -> bool:
    """A name, pinyin initials (``wjg`` for 王建国) or full pinyin typed in a search box."""
    text = text.strip().lower()
    return not text or text in option.name or option.initials.startswith(text) or option.pinyin.startswith(text)


class DeputyChecklist(QWidget):
    """Deputies in a list with a search box (name or pinyin initials): checkboxes to choose many
    (training attendees), or a single current row to choose one (the deputy of a record). It says
    正在加载… until ``set_options`` gives it the deputies (read on the database worker)."""

    changed = Signal()

    def __init__(self, options: list[DeputyOption] | None = None, *, multi: bool, parent: QWidget | None = None):
        super().__init__(parent)
        self.multi = multi
        self.options: list[DeputyOption] = []
        self.loaded = False
        self.search = QLineEdit()
        self.search.setObjectName("deputySearch")
        self.search.setPlaceholderText("输入姓名或拼音首字母（如 wjg）筛选")
        self.search.setClearButtonEnabled(True)
        self.list = QListWidget()
        self.list.setObjectName("deputyList")
        self.count_label = QLabel()
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.search)
        lay.addWidget(self.list, 1)
        if multi:
            self._multi_row(lay)
            self.list.itemChanged.connect(lambda _i: self._changed())
        else:
            self.list.currentItemChanged.connect(lambda *_a: self.changed.emit())
        self.search.textChanged.connect(self.refilter)
        self.search.returnPressed.connect(self._enter)
        if options is None:
            self.list.addItem(LOADING)
            self.list.setEnabled(False)
        else:
            self.set_options(options)

    def _multi_row(self, lay: QVBoxLayout) -> None:
        row = QHBoxLayout()
        self.check_shown = QPushButton("勾选筛选出的代表")
        self.check_shown.clicked.connect(lambda: self.set_shown_checked(True))
        self.clear_button = QPushButton("全部取消")
        self.clear_button.clicked.connect(lambda: self.set_checked([]))
        row.addWidget(self.count_label, 1)
        row.addWidget(self.check_shown)
        row.addWidget(self.clear_button)
        lay.addLayout(row)

    def set_options(self, options: list[DeputyOption]) -> None:
        """The deputies to choose from (the list is rebuilt; nothing is chosen)."""
        self.options = list(options)
        self.loaded = True
        self.list.blockSignals(True)
        self.list.clear()
        for o in self.options:
            item = QListWidgetItem(f"{o.name}　{o.hint}" if o.hint else o.name)
            item.setData(Qt.ItemDataRole.UserRole, o.id)
            if self.multi:
                item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
                item.setCheckState(Qt.CheckState.Unchecked)
            self.list.addItem(item)
        self.list.blockSignals(False)
        self.list.setEnabled(True)
        self.refilter()
        self._changed()

    def _items(self) -> list[QListWidgetItem]:
        return [self.list.item(i) for i in range(self.list.count())] if self.loaded else []

    def refilter(self) -> None:
        text = self.search.text()
        first = None
        for item, o in zip(self._items(), self.options, strict=True):
            hidden = not matches(o, text)
            item.setHidden(hidden)
            if not hidden and first is None:
                first = item
        if not self.multi and first is not None and (self.list.currentItem() is None
                                                     or self.list.currentItem().isHidden()):
            self.list.setCurrentItem(first)

    def visible_ids(self) -> list[str]:
        return [i.data(Qt.ItemDataRole.UserRole) for i in self._items() if not i.isHidden()]

    def _enter(self) -> None:
        """Enter in the search box: tick (or choose) the first deputy shown, then clear the search."""
        shown = [i for i in self._items() if not i.isHidden()]
        if not shown:
            return
        if self.multi:
            shown[0].setCheckState(Qt.CheckState.Checked)
            self.search.clear()
        else:
            self.list.setCurrentItem(shown[0])

    def checked_ids(self) -> list[str]:
        return [i.data(Qt.ItemDataRole.UserRole) for i in self._items() if i.checkState() == Qt.CheckState.Checked]

    def set_checked(self, ids: list[str]) -> None:
        wanted = set(ids)
        self.list.blockSignals(True)
        for item in self._items():
            item.setCheckState(Qt.CheckState.Checked if item.data(Qt.ItemDataRole.UserRole) in wanted
                               else Qt.CheckState.Unchecked)
        self.list.blockSignals(False)
        self._changed()

    def set_shown_checked(self, checked: bool) -> None:
        shown = set(self.visible_ids())
        self.set_checked([i for i in self.checked_ids() if i not in shown] + (list(shown) if checked else []))

    def current_id(self) -> str:
        item = self.list.currentItem() if self.loaded else None
        return item.data(Qt.ItemDataRole.UserRole) if item is not None else ""

    def set_current(self, deputy_id: str) -> None:
        for item in self._items():
            if item.data(Qt.ItemDataRole.UserRole) == deputy_id:
                self.list.setCurrentItem(item)
                return

    def _changed(self) -> None:
        if self.multi:
            self.count_label.setText(f"已选 {len(self.checked_ids())} 名" if self.loaded else LOADING)
        self.changed.emit()
