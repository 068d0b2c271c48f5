"""The parts of the visit form: the deputy picker (type a name or its pinyin initials) and the visitor
and opinion rows that grow as the clerk types."""

from __future__ import annotations

import logging

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QGridLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSpinBox,
    QWidget,
)

from congress_desktop.core.text import pinyin_keys
from ui import widgets

log = logging.getLogger(__name__)

ERROR_STYLE = "color: #c0392b;"
BAD_FIELD = "border: 1px solid #c0392b;"


def error_label() -> widgets.FieldError:
    label = widgets.FieldError()
    label.setStyleSheet(ERROR_STYLE)
    return label


# ================================================================== deputy picker

class DeputyPicker(QWidget):
    """Choose several deputies from the keyboard: type a name, pinyin initials (``wjg``) or full
    pinyin; Up/Down pick among the matches; Enter adds; Backspace in the empty box removes the last
    one; Delete removes the one selected in the list of chosen deputies."""

    changed = Signal()
    finished = Signal()  # Enter in the empty search box

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.search = QLineEdit()
        self.search.setObjectName("deputySearch")
        self.search.setPlaceholderText("输入姓名或拼音首字母（如 wjg），Enter 添加")
        self.matches = QListWidget()
        self.matches.setObjectName("deputyMatches")
        self.matches.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.matches.setMaximumHeight(96)
        self.chosen = QListWidget()
        self.chosen.setObjectName("deputyChosen")
        self.chosen.setFlow(QListWidget.Flow.LeftToRight)
        self.chosen.setWrapping(True)
        self.chosen.setMaximumHeight(56)
        self.chosen.setToolTip("选中后按 Delete 移除")
        self.chosen.setFocusPolicy(Qt.FocusPolicy.ClickFocus)  # Tab and Enter go past it
        self._options: list[tuple[str, str, str, str, str]] = []  # id, name, initials, pinyin, hint
        self._first: list[str] = []
        lay = QGridLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.search, 0, 0)
        lay.addWidget(self.matches, 1, 0)
        lay.addWidget(self.chosen, 0, 1, 2, 1)
        lay.setColumnStretch(0, 1)
        lay.setColumnStretch(1, 1)
        self.search.textChanged.connect(self._refilter)
        self.search.installEventFilter(self)
        self.chosen.installEventFilter(self)
        self.matches.itemDoubleClicked.connect(lambda item: self.add(item.data(Qt.ItemDataRole.UserRole)))

    def set_options(self, deputies: list[tuple[str, str, str]]) -> None:
        """(id, name, hint such as the village) of every deputy who may be chosen."""
        self._options = []
        for did, name, hint in deputies:
            full, initials = pinyin_keys(name)
            self._options.append((did, name, initials, full, hint))
        self._refilter()

    def set_preferred(self, deputy_ids: list[str]) -> None:
        """Shown first while the search is empty (the deputies stationed at the chosen place)."""
        self._first = list(deputy_ids)
        self._refilter()

    def name_of(self, deputy_id: str) -> str:
        return next((o[1] for o in self._options if o[0] == deputy_id), "")

    def selected_ids(self) -> list[str]:
        return [self.chosen.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.chosen.count())]

    def set_selected(self, ids: list[str], names: dict[str, str] | None = None) -> None:
        self.chosen.clear()
        for did in ids:
            self._append(did, (names or {}).get(did) or self.name_of(did) or "（已删除的代表）")
        self.changed.emit()

    def add(self, deputy_id: str | None) -> bool:
        if not deputy_id or deputy_id in self.selected_ids():
            return False
        self._append(deputy_id, self.name_of(deputy_id))
        self.search.clear()
        self.changed.emit()
        return True

    def remove_last(self) -> None:
        if self.chosen.count():
            self.chosen.takeItem(self.chosen.count() - 1)
            self.changed.emit()

    def _append(self, deputy_id: str, name: str) -> None:
        item = QListWidgetItem(f"{name} ×")
        item.setData(Qt.ItemDataRole.UserRole, deputy_id)
        self.chosen.addItem(item)

    def _refilter(self) -> None:
        text = self.search.text().strip().lower()
        chosen = set(self.selected_ids()) if hasattr(self, "chosen") else set()
        self.matches.clear()
        if text:
            hits = [o for o in self._options if text in o[1] or o[2].startswith(text) or o[3].startswith(text)]
            hits.sort(key=lambda o: (not o[2].startswith(text), not o[1].startswith(text), o[3]))
        else:  # the deputies stationed at the chosen place first, then everyone by pinyin
            order = {d: i for i, d in enumerate(self._first)}
            hits = sorted(self._options, key=lambda o: (order.get(o[0], len(order)), o[3]))
        for did, name, _initials, _full, hint in hits[:100]:
            if did in chosen:
                continue
            item = QListWidgetItem(f"{name}　{hint}" if hint else name)
            item.setData(Qt.ItemDataRole.UserRole, did)
            self.matches.addItem(item)
        if self.matches.count():
            self.matches.setCurrentRow(0)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.KeyPress:
            key = event.key()
            if obj is self.search:
                if key in (Qt.Key.Key_Down, Qt.Key.Key_Up) and self.matches.count():
                    step = 1 if key == Qt.Key.Key_Down else -1
                    self.matches.setCurrentRow(max(0, min(self.matches.count() - 1, self.matches.currentRow() + step)))
                    return True
                if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and not event.modifiers() & (
                        Qt.KeyboardModifier.ControlModifier):
                    item = self.matches.currentItem()
                    if self.search.text().strip() and item is not None:
                        self.add(item.data(Qt.ItemDataRole.UserRole))
                        return True
                    if not self.search.text().strip():
                        self.finished.emit()  # nothing typed: Enter goes on to the next field
                        return True
                    return True
                if key == Qt.Key.Key_Backspace and not self.search.text():
                    self.remove_last()
                    return True
            elif obj is self.chosen and key in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace):
                row = self.chosen.currentRow()
                if row >= 0:
                    self.chosen.takeItem(row)
                    self.changed.emit()
                return True
        return super().eventFilter(obj, event)


# ================================================================== visitor and opinion rows

class _Rows(QWidget):
    """Rows of small fields; a blank row is ignored on save."""

    row_added = Signal(int)
    row_removed = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.rows: list[dict[str, QWidget]] = []
        self.grid = QGridLayout(self)
        self.grid.setContentsMargins(0, 0, 0, 0)
        self.grid.setHorizontalSpacing(6)
        self.grid.setVerticalSpacing(4)
        for col, (title, stretch) in enumerate(self.headers()):
            label = QLabel(title)
            label.setObjectName("muted")
            self.grid.addWidget(label, 0, col)
            self.grid.setColumnStretch(col, stretch)

    def headers(self) -> list[tuple[str, int]]:
        raise NotImplementedError

    def make_row(self) -> dict[str, QWidget]:
        raise NotImplementedError

    def is_blank(self, i: int) -> bool:
        raise NotImplementedError

    def add_row(self, values: dict | None = None, *, focus: bool = False) -> dict[str, QWidget]:
        widgets_ = self.make_row()
        r = len(self.rows) + 1
        for col, w in enumerate(widgets_.values()):
            self.grid.addWidget(w, r, col)
            w.show()  # at once, not on the next event loop turn: the new row takes the focus now
        self.rows.append(widgets_)
        remove = widgets_["remove"]
        remove.clicked.connect(lambda _=False, w=widgets_: self.remove_row(self.rows.index(w)))
        remove.clicked.connect(lambda _=False: self.row_removed.emit())
        if values:
            self.set_row(len(self.rows) - 1, values)
        if focus:
            next(iter(widgets_.values())).setFocus(Qt.FocusReason.OtherFocusReason)
        self.row_added.emit(len(self.rows) - 1)
        return widgets_

    def remove_row(self, i: int) -> None:
        row = self.rows.pop(i)
        for w in row.values():
            self.grid.removeWidget(w)
            w.deleteLater()
        # re-lay the rows below so the grid has no hole
        for j, r in enumerate(self.rows[i:], start=i):
            for col, w in enumerate(r.values()):
                self.grid.addWidget(w, j + 1, col)

    def clear_rows(self) -> None:
        while self.rows:
            self.remove_row(len(self.rows) - 1)

    def set_row(self, i: int, values: dict) -> None:
        raise NotImplementedError

    def last_field(self, i: int) -> QWidget:
        raise NotImplementedError

    def mark(self, i: int, key: str, bad: bool) -> None:
        if 0 <= i < len(self.rows) and key in self.rows[i]:
            self.rows[i][key].setStyleSheet(BAD_FIELD if bad else "")

    def clear_marks(self) -> None:
        for row in self.rows:
            for w in row.values():
                if isinstance(w, QLineEdit | QComboBox | QSpinBox):
                    w.setStyleSheet("")


class VisitorRows(_Rows):
    def headers(self):
        return [("姓名", 2), ("联系电话", 2), ("村民小组/住址", 2), ("人数", 0), ("身份证号（可不填）", 3), ("", 0)]

    def make_row(self):
        name = QLineEdit()
        name.setPlaceholderText("姓名")
        phone = QLineEdit()
        phone.setPlaceholderText("手机或固话")
        group = QLineEdit()
        group.setPlaceholderText("如 3组")
        count = QSpinBox()
        count.setRange(1, 999)
        count.setValue(1)
        id_number = QLineEdit()
        id_number.setMaxLength(24)
        remove = QPushButton("×")
        remove.setToolTip("删除这一行")
        remove.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        remove.setFixedWidth(28)
        return {"name": name, "phone": phone, "village_group": group, "head_count": count, "id_number": id_number,
                "remove": remove}

    def set_row(self, i, values):
        r = self.rows[i]
        r["name"].setText(values.get("name", ""))
        r["phone"].setText(values.get("phone", ""))
        r["village_group"].setText(values.get("village_group", ""))
        r["head_count"].setValue(int(values.get("head_count") or 1))
        r["id_number"].setText(values.get("id_number", ""))

    def values(self) -> list[dict]:
        return [{"name": r["name"].text(), "phone": r["phone"].text(), "village_group": r["village_group"].text(),
                 "head_count": r["head_count"].value(), "id_number": r["id_number"].text()} for r in self.rows]

    def is_blank(self, i):
        r = self.rows[i]
        return not any(r[k].text().strip() for k in ("name", "phone", "village_group", "id_number"))

    def last_field(self, i):
        return self.rows[i]["id_number"]


class OpinionRows(_Rows):
    open_opinion = Signal(str)

    def __init__(self, categories: list, parent: QWidget | None = None):
        self.categories = categories
        super().__init__(parent)

    def headers(self):
        return [("类别", 1), ("意见建议内容", 5), ("当场答复", 0), ("答复内容（当场答复时填写）", 3), ("办理", 0), ("", 0)]

    def make_row(self):
        category = QComboBox()
        category.addItem("", "")
        for c in self.categories:
            category.addItem(c.name, c.id)
        content = QLineEdit()
        content.setPlaceholderText("群众反映的问题或建议")
        spot = QCheckBox()
        spot.setToolTip("代表当场答复，即时办结")
        answer = QLineEdit()
        answer.setEnabled(False)
        state = QPushButton("")
        state.setFlat(True)
        state.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        state.setEnabled(False)
        state.setProperty("opinion_id", "")
        state.clicked.connect(lambda _=False, b=state: b.property("opinion_id") and self.open_opinion.emit(
            b.property("opinion_id")))
        remove = QPushButton("×")
        remove.setToolTip("删除这一行")
        remove.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        remove.setFixedWidth(28)
        spot.toggled.connect(answer.setEnabled)
        return {"category_id": category, "content": content, "on_the_spot": spot, "answer": answer, "state": state,
                "remove": remove}

    def set_row(self, i, values):
        r = self.rows[i]
        idx = r["category_id"].findData(values.get("category_id") or "")
        r["category_id"].setCurrentIndex(max(idx, 0))
        r["content"].setText(values.get("content", ""))
        r["on_the_spot"].setChecked(bool(values.get("on_the_spot")))
        r["answer"].setText(values.get("answer", ""))
        r["answer"].setEnabled(bool(values.get("on_the_spot")))
        r["content"].setProperty("opinion_id", values.get("id", ""))
        state = r["state"]
        state.setProperty("opinion_id", values.get("id", ""))
        state.setText(values.get("state_label", ""))
        state.setEnabled(bool(values.get("id")))
        state.setToolTip("打开这条意见建议的办理详情" if values.get("id") else "")
        if values.get("id") and values.get("on_the_spot"):
            r["on_the_spot"].setEnabled(False)  # closed on the spot: stays so


    def values(self) -> list[dict]:
        out = []
        for r in self.rows:
            out.append({"id": r["content"].property("opinion_id") or "",
                        "category_id": r["category_id"].currentData() or "", "content": r["content"].text(),
                        "on_the_spot": r["on_the_spot"].isChecked(), "answer": r["answer"].text()})
        return out

    def is_blank(self, i):
        r = self.rows[i]
        return (not r["content"].text().strip() and not r["answer"].text().strip()
                and not r["content"].property("opinion_id") and not r["category_id"].currentData())

    def last_field(self, i):
        r = self.rows[i]
        return r["answer"] if r["on_the_spot"].isChecked() else r["content"]


# ================================================================== the visit form
