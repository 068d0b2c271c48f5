"""联系点接待: the list of visits and the quick visit form a clerk fills in from the paper sign-in sheet.

The form is made for the keyboard. Enter moves to the next field (Tab works too); in the deputy
search Enter adds the highlighted deputy (type a name or its pinyin initials, ``wjg`` for 王建国);
Enter in the last field of the last visitor or opinion row opens a new row; Ctrl+S or Ctrl+Enter
saves; Esc cancels. The core checks everything again on save; every message goes under its field or
into the red line at the top, and the first wrong field gets the focus.

Seams for tests: ``visits_common.ask_open_files / ask_save_file / open_file`` and ``widgets.exec_modal``.
"""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

from PySide6.QtCore import QEvent, QModelIndex, QObject, Qt, Signal
from PySide6.QtGui import QAction, QBrush, QColor, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QTableView,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from congress_desktop.core.context import Context
from congress_desktop.core.errors import CongressError, FieldErrors
from congress_desktop.core.text import pinyin_keys
from congress_desktop.deputies import service as deputy_service
from congress_desktop.places import contact_points as cp_service
from congress_desktop.places.villages import list_villages
from congress_desktop.visits import attachments as att_service
from congress_desktop.visits import opinions as opinion_service
from congress_desktop.visits import service as visit_service
from congress_desktop.visits.rules import FORMS
from congress_desktop.visits.service import VisitDetail, VisitQuery, VisitRow
from ui import errors as ui_errors
from ui import tasks, widgets
from ui.pages import visits_common as common
from ui.pages.visits_common import PagedModel

log = logging.getLogger(__name__)

ERROR_STYLE = "color: #c0392b;"
BAD_FIELD = "border: 1px solid #c0392b;"
SEARCH_DELAY_MS = 250


def _error_label() -> widgets.FieldError:
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

class VisitForm(QDialog):
    """新增 / 编辑接待. After ``accept()`` the stored visit is in ``self.saved``."""

    def __init__(self, ctx: Context, visit: VisitDetail | None = None, parent: QWidget | None = None, *,
                 now: dt.datetime | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.visit = visit
        self.saved: VisitDetail | None = None
        self.now = now
        self.setObjectName("visitForm")
        self.setWindowTitle(f"编辑接待：{visit.row.visit_date} {visit.row.place_label}" if visit else "登记接待")
        self.resize(1000, 720)
        self.pending_files: list[str] = []
        self.removed_attachments: list[str] = []
        self.field_errors: dict[str, widgets.FieldError] = {}

        # ---- the visit
        self.visit_date = QLineEdit(common.today_text())
        self.visit_date.setPlaceholderText("如 2026-03-15")
        self.start_time = QLineEdit()
        self.start_time.setPlaceholderText("如 09:00")
        self.end_time = QLineEdit()
        self.end_time.setPlaceholderText("如 11:30")
        self.form = QComboBox()
        self.form.addItems(list(FORMS))
        self.place = QComboBox()
        self.place.setEditable(True)
        self.place.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.place.lineEdit().setPlaceholderText("选择联系站点或网格，也可直接填写地点")
        self.places = visit_service.list_places(ctx)
        self.place.addItem("", None)
        for p in self.places:
            self.place.addItem(p.label, p)
        self.village = QComboBox()
        self.village.addItem("（按地点自动填写）", "")
        for v in list_villages(ctx):
            self.village.addItem(v.name, v.id)
        self.deputies = DeputyPicker()
        active = deputy_service.query_deputies(ctx, deputy_service.DeputyQuery(status="在任"), 0, None)
        self.deputies.set_options([(d.id, d.name, d.village_name) for d in active])
        self.stationed = {p.id: list(p.deputy_ids) for p in cp_service.list_contact_points(ctx)}
        self.visitors = VisitorRows()
        self.categories = opinion_service.list_categories(ctx)
        self.opinions = OpinionRows(self.categories)
        self.opinions.open_opinion.connect(self.open_opinion)
        self.note = QLineEdit()
        self.attachments = QListWidget()
        self.attachments.setObjectName("attachmentList")
        self.attachments.setMaximumHeight(70)
        self.attachments.itemDoubleClicked.connect(lambda _item: self.open_attachment())

        self.general_error = _error_label()
        self.general_error.setObjectName("formErrors")
        head = QFormLayout()
        head.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        when = QHBoxLayout()
        when.addWidget(self.visit_date, 2)
        when.addWidget(QLabel("开始"))
        when.addWidget(self.start_time, 1)
        when.addWidget(QLabel("结束"))
        when.addWidget(self.end_time, 1)
        when.addWidget(QLabel("形式"))
        when.addWidget(self.form, 1)
        when_box = QWidget()
        when_box.setLayout(when)
        when.setContentsMargins(0, 0, 0, 0)
        where = QHBoxLayout()
        where.setContentsMargins(0, 0, 0, 0)
        where.addWidget(self.place, 3)
        where.addWidget(QLabel("所在村(社区)"))
        where.addWidget(self.village, 2)
        where_box = QWidget()
        where_box.setLayout(where)
        self._row(head, "接待日期 *", when_box, ("visit_date", "start_time", "end_time", "form"))
        self._row(head, "接待地点 *", where_box, ("place", "village_id"))
        self._row(head, "接待代表 *", self.deputies, ("deputy_ids",))

        self.add_visitor_button = QPushButton("添加群众(&Q)")
        self.add_visitor_button.clicked.connect(lambda: self.visitors.add_row(focus=True))
        self.add_opinion_button = QPushButton("添加意见(&Y)")
        self.add_opinion_button.clicked.connect(lambda: self.opinions.add_row(focus=True))
        visitors_box = QGroupBox("来访群众（可不填；多人同来可填人数）")
        vlay = QVBoxLayout(visitors_box)
        vlay.addWidget(self.visitors)
        vlay.addWidget(self.add_visitor_button, 0, Qt.AlignmentFlag.AlignLeft)
        opinions_box = QGroupBox("意见建议（勾选“当场答复”的，保存后即办结）")
        olay = QVBoxLayout(opinions_box)
        olay.addWidget(self.opinions)
        self.opinions_error = _error_label()
        olay.addWidget(self.opinions_error)
        olay.addWidget(self.add_opinion_button, 0, Qt.AlignmentFlag.AlignLeft)

        more = QFormLayout()
        more.addRow("备注", self.note)
        att_row = QHBoxLayout()
        att_row.addWidget(self.attachments, 1)
        att_buttons = QVBoxLayout()
        self.add_file_button = QPushButton("添加附件(&F)…")
        self.add_file_button.setToolTip("签到表扫描件、现场照片等；文件会复制到数据文件夹中保存")
        self.add_file_button.clicked.connect(self.add_files)
        self.open_file_button = QPushButton("打开")
        self.open_file_button.clicked.connect(self.open_attachment)
        self.remove_file_button = QPushButton("移除")
        self.remove_file_button.clicked.connect(self.remove_attachment)
        for b in (self.add_file_button, self.open_file_button, self.remove_file_button):
            b.setAutoDefault(False)
            b.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # reached by Alt+F and the mouse, not by Enter/Tab
            att_buttons.addWidget(b)
        att_row.addLayout(att_buttons)
        more.addRow("附件", att_row)

        body = QWidget()
        blay = QVBoxLayout(body)
        blay.addWidget(self.general_error)
        blay.addLayout(head)
        blay.addWidget(visitors_box)
        blay.addWidget(opinions_box)
        blay.addLayout(more)
        blay.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(body)

        self.buttons = QDialogButtonBox()
        self.save_button = self.buttons.addButton("保存", QDialogButtonBox.ButtonRole.AcceptRole)
        self.cancel_button = self.buttons.addButton("取消", QDialogButtonBox.ButtonRole.RejectRole)
        self.history_button = QPushButton("修改记录")
        self.history_button.setVisible(visit is not None)
        self.history_button.clicked.connect(self.show_history)
        self.buttons.addButton(self.history_button, QDialogButtonBox.ButtonRole.HelpRole)
        for b in (self.save_button, self.cancel_button, self.history_button, self.add_visitor_button,
                  self.add_opinion_button):
            b.setAutoDefault(False)
            b.setDefault(False)
        for b in (self.add_visitor_button, self.add_opinion_button):
            b.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Alt+Q / Alt+Y, or Enter at the end of the last row
        self.attachments.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        for seq in ("Ctrl+S", "Ctrl+Return", "Ctrl+Enter"):
            sc = QShortcut(QKeySequence(seq), self)
            sc.activated.connect(self.save)
        hint = QLabel("Enter 下一项 · 代表栏输入拼音首字母后 Enter 添加 · 末行按 Enter 新增一行 · Ctrl+S 保存 · Esc 取消")
        hint.setObjectName("muted")
        bottom = QHBoxLayout()
        bottom.addWidget(hint, 1)
        bottom.addWidget(self.buttons)
        lay = QVBoxLayout(self)
        lay.addWidget(scroll, 1)
        lay.addLayout(bottom)

        self.place.currentIndexChanged.connect(self._place_chosen)
        self.deputies.finished.connect(lambda: self.next_field(self.deputies.search))
        for rows in (self.visitors, self.opinions):
            rows.row_added.connect(self._watch_row)
            rows.row_removed.connect(self.fix_tab_order)
        for w in (self.visit_date, self.start_time, self.end_time, self.note, self.form, self.place, self.village):
            w.installEventFilter(self)
        self.place.lineEdit().installEventFilter(self)
        self.load(visit)
        self.fix_tab_order()
        self.visit_date.setFocus(Qt.FocusReason.OtherFocusReason)
        self.visit_date.selectAll()

    def _row(self, form: QFormLayout, label: str, widget: QWidget, keys: tuple[str, ...]) -> None:
        box = QWidget()
        lay = QVBoxLayout(box)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(2)
        lay.addWidget(widget)
        err = _error_label()
        lay.addWidget(err)
        for k in keys:
            self.field_errors[k] = err
        form.addRow(QLabel(label), box)

    # ------------------------------------------------------------------ keyboard
    def _watch_row(self, i: int) -> None:
        rows = self.sender()
        if rows is None:
            return
        for w in rows.rows[i].values():
            if isinstance(w, QLineEdit | QSpinBox | QComboBox | QCheckBox):
                w.installEventFilter(self)
        self.fix_tab_order()

    def focus_order(self) -> list[QWidget]:
        """Reading order of the form; rows added later are put in place (Qt appends new widgets last)."""
        order: list[QWidget] = [self.visit_date, self.start_time, self.end_time, self.form, self.place, self.village,
                                self.deputies.search]
        for r in self.visitors.rows:
            order += [r["name"], r["phone"], r["village_group"], r["head_count"], r["id_number"]]
        for r in self.opinions.rows:
            order += [r["category_id"], r["content"], r["on_the_spot"], r["answer"]]
        return order + [self.note, self.save_button, self.cancel_button]

    def next_field(self, current: QObject) -> None:
        """Focus the field after ``current`` in reading order (Enter works like Tab)."""
        order = self.focus_order()
        w = current
        while isinstance(w, QWidget) and w not in order:  # the line edit inside a combo box or spin box
            w = w.parentWidget()
        if isinstance(w, QWidget) and w in order:
            order[min(order.index(w) + 1, len(order) - 1)].setFocus(Qt.FocusReason.TabFocusReason)
        else:
            self.focusNextChild()

    def fix_tab_order(self) -> None:
        order = self.focus_order()
        for a, b in zip(order, order[1:], strict=False):
            QWidget.setTabOrder(a, b)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if (event.type() == QEvent.Type.KeyPress and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
                and not event.modifiers() & Qt.KeyboardModifier.ControlModifier):
            for rows in (self.visitors, self.opinions):
                for i, r in enumerate(rows.rows):
                    if obj not in r.values() or i != len(rows.rows) - 1:
                        continue
                    if obj is rows.last_field(i) and not rows.is_blank(i):
                        rows.add_row(focus=True)  # Enter at the end of the last row: one more row
                        return True
                    if rows.is_blank(i):  # an empty last row: Enter leaves the section
                        order = self.focus_order()
                        after = order.index(rows.last_field(i)) + 1
                        if rows is self.opinions:
                            after = order.index(r["answer"]) + 1
                        order[min(after, len(order) - 1)].setFocus(Qt.FocusReason.TabFocusReason)
                        return True
            self.next_field(obj)
            return True
        return super().eventFilter(obj, event)

    # ------------------------------------------------------------------ load / values
    def load(self, visit: VisitDetail | None) -> None:
        if visit is None:
            self.start_time.setText(dt.datetime.now().strftime("%H:00"))
            self.visitors.add_row()
            self.opinions.add_row()
            return
        raw = visit.as_form()
        r = visit.row
        self.visit_date.setText(r.visit_date)
        self.start_time.setText(r.start_time)
        self.end_time.setText(r.end_time)
        self.form.setCurrentText(r.form)
        key = r.contact_point_id or r.grid_id
        idx = next((i for i in range(self.place.count())
                    if self.place.itemData(i) is not None and self.place.itemData(i).id == key), -1) if key else -1
        if idx >= 0:
            self.place.setCurrentIndex(idx)
        else:
            self.place.setEditText(r.place_text)
        self.village.setCurrentIndex(max(self.village.findData(r.village_id or ""), 0))
        self.deputies.set_selected(list(r.deputy_ids), dict(zip(r.deputy_ids, r.deputy_names, strict=True)))
        for v in raw["visitors"]:
            self.visitors.add_row(v)
        if not visit.visitors:
            self.visitors.add_row()
        for o, values in zip(visit.opinions, raw["opinions"], strict=True):
            self.opinions.add_row(values | {"state_label": o.state_label})
        if not visit.opinions:
            self.opinions.add_row()
        self.note.setText(r.note)
        for a in visit.attachments:
            item = QListWidgetItem(f"{a.file_name}（{a.size_label}）")
            item.setData(Qt.ItemDataRole.UserRole, ("stored", a.id))
            self.attachments.addItem(item)

    def _place_chosen(self, _i: int) -> None:
        p = self.place.currentData()
        if p is not None and p.kind == "contact_point":
            self.deputies.set_preferred(self.stationed.get(p.id, []))

    def values(self) -> dict:
        p = self.place.currentData()
        text = self.place.currentText().strip()
        if p is None or text != p.label:  # typed: a known place by its name, else free text
            p = next((x for x in self.places if x.label == text or x.label == f"网格：{text}"), None)
        return {
            "visit_date": self.visit_date.text(), "start_time": self.start_time.text(),
            "end_time": self.end_time.text(), "form": self.form.currentText(),
            "contact_point_id": p.id if p is not None and p.kind == "contact_point" else "",
            "grid_id": p.id if p is not None and p.kind == "grid" else "",
            "place_text": text if p is None else "", "village_id": self.village.currentData() or "",
            "deputy_ids": self.deputies.selected_ids(), "visitors": self.visitors.values(),
            "opinions": self.opinions.values(), "note": self.note.text(),
            "attachment_paths": list(self.pending_files),
        }

    # ------------------------------------------------------------------ attachments
    def add_files(self) -> None:
        for path in common.ask_open_files(self, "添加附件", common.FILE_FILTER):
            self.pending_files.append(path)
            item = QListWidgetItem(f"{Path(path).name}（待保存）")
            item.setData(Qt.ItemDataRole.UserRole, ("pending", path))
            self.attachments.addItem(item)

    def open_attachment(self) -> None:
        item = self.attachments.currentItem()
        if item is None:
            return
        kind, ref = item.data(Qt.ItemDataRole.UserRole)
        try:
            common.open_file(att_service.copy_for_viewing(self.ctx, ref) if kind == "stored" else ref)
        except CongressError as e:
            ui_errors.show_error(self, e)

    def remove_attachment(self) -> None:
        row = self.attachments.currentRow()
        if row < 0:
            return
        kind, ref = self.attachments.item(row).data(Qt.ItemDataRole.UserRole)
        if kind == "pending":
            self.pending_files.remove(ref)
        else:
            self.removed_attachments.append(ref)
        self.attachments.takeItem(row)

    # ------------------------------------------------------------------ check and save
    def clear_errors(self) -> None:
        self.general_error.set_error("")
        self.opinions_error.set_error("")
        for label in self.field_errors.values():
            label.set_error("")
        self.visitors.clear_marks()
        self.opinions.clear_marks()

    def show_errors(self, errors: dict[str, str]) -> None:
        self.clear_errors()
        general: list[str] = []
        per_field: dict[int, list[str]] = {}
        first: QWidget | None = None
        for key, message in errors.items():
            if key in self.field_errors:
                label = self.field_errors[key]
                per_field.setdefault(id(label), []).append(message)
                label.set_error("；".join(per_field[id(label)]))
                target = {"visit_date": self.visit_date, "start_time": self.start_time, "end_time": self.end_time,
                          "form": self.form, "place": self.place, "village_id": self.village,
                          "deputy_ids": self.deputies.search}.get(key)
            elif key.startswith(("visitors.", "opinions.")):
                part, n, field = key.split(".", 2)
                rows = self.visitors if part == "visitors" else self.opinions
                i = int(n)
                # the form drops no rows, so the core's row numbers are the form's rows
                rows.mark(i, field, True)
                general.append(message)
                target = rows.rows[i].get(field) if i < len(rows.rows) else None
            else:
                general.append(message)
                target = None
            if first is None and isinstance(target, QWidget):
                first = target
        self.general_error.set_error("\n".join(general))
        if first is not None:
            first.setFocus(Qt.FocusReason.OtherFocusReason)

    def save(self) -> bool:
        raw = self.values()
        # blank rows are dropped here too, so the core's row numbers match what the clerk sees
        raw["visitors"] = [v for i, v in enumerate(raw["visitors"]) if not self.visitors.is_blank(i)]
        keep = [i for i in range(len(self.opinions.rows)) if not self.opinions.is_blank(i)]
        raw["opinions"] = [raw["opinions"][i] for i in keep]
        try:
            self.saved = visit_service.save_visit(self.ctx, raw, self.visit.row.id if self.visit else None,
                                                  now=self.now)
        except FieldErrors as e:
            self.show_errors(self._renumber(e.errors, keep))
            return False
        except CongressError as e:
            self.show_errors({"": e.message})
            return False
        for att_id in self.removed_attachments:
            try:
                att_service.delete_attachment(self.ctx, att_id)
            except CongressError as e:
                log.warning("could not remove attachment %s: %s", att_id, e)
        log.info("visit %s saved", self.saved.row.id)
        self.accept()
        return True

    def _renumber(self, errors: dict[str, str], kept_opinions: list[int]) -> dict[str, str]:
        """Error keys count the rows sent; map opinion rows back to the form's rows."""
        kept_visitors = [i for i in range(len(self.visitors.rows)) if not self.visitors.is_blank(i)]
        out = {}
        for key, message in errors.items():
            if key.startswith("opinions.") and key.count(".") == 2:
                _, n, field = key.split(".")
                key = f"opinions.{kept_opinions[int(n)]}.{field}" if int(n) < len(kept_opinions) else key
            elif key.startswith("visitors.") and key.count(".") == 2:
                _, n, field = key.split(".")
                key = f"visitors.{kept_visitors[int(n)]}.{field}" if int(n) < len(kept_visitors) else key
            elif key == "opinions":
                self.opinions_error.set_error(message)
            out[key] = message
        return out

    def show_history(self) -> None:
        if self.visit is None:
            return
        entries = visit_service.visit_history(self.ctx, self.visit.row.id)
        ids = {v for _, e in entries for pair in e.changes.values() for v in pair}
        dlg = common.HistoryDialog("接待记录的修改记录", entries,
                                   visit_service.VISIT_LABELS | opinion_service.FIELD_LABELS, self,
                                   names=visit_service.names_of_ids(self.ctx, ids))
        widgets.exec_modal(dlg)

    def open_opinion(self, opinion_id: str) -> None:
        from ui.pages.opinions import OpinionDialog

        dlg = OpinionDialog(self.ctx, opinion_id, self, from_visit=True)
        widgets.exec_modal(dlg)


# ================================================================== the list page

class VisitTableModel(PagedModel):
    columns = (
        ("日期", lambda v: v.visit_date),
        ("时间", lambda v: v.time_label),
        ("形式", lambda v: v.form),
        ("地点", lambda v: v.place_label),
        ("所在村(社区)", lambda v: v.village_name),
        ("接待代表", lambda v: v.deputies_label),
        ("来访群众", lambda v: "、".join(v.visitor_names[:3]) + ("等" if len(v.visitor_names) > 3 else "")),
        ("人数", lambda v: v.visitor_count),
        ("意见", lambda v: v.opinion_count),
        ("未办结", lambda v: v.open_count or ""),
    )

    def extra_data(self, row: VisitRow, column: int, role: int):
        if role == Qt.ItemDataRole.ForegroundRole and self.columns[column][0] == "未办结" and row.open_count:
            return QBrush(QColor("#b3261e"))
        if role == Qt.ItemDataRole.ToolTipRole and row.note:
            return row.note
        return None


class VisitsPage(QWidget):
    def __init__(self, ctx: Context, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("visitsPage")
        self.last_task: tasks.TaskHandle | None = None

        self.search = QLineEdit()
        self.search.setObjectName("visitSearch")
        self.search.setPlaceholderText("搜索：地点、代表、群众姓名、电话、备注…")
        self.search.setClearButtonEnabled(True)
        self.date_from = QLineEdit()
        self.date_from.setPlaceholderText("起始日期")
        self.date_to = QLineEdit()
        self.date_to.setPlaceholderText("截止日期")
        self.form = QComboBox()
        self.form.addItem("全部形式", "")
        for f in FORMS:
            self.form.addItem(f, f)
        self.point = QComboBox()
        self.count_label = QLabel()
        self.count_label.setObjectName("visitCount")
        self.filter_error = _error_label()
        self._fill_points()
        self._timer = widgets.search_as_you_type(self, (self.search, self.date_from, self.date_to),
                                                 self.apply_filters, SEARCH_DELAY_MS)
        for combo in (self.form, self.point):
            combo.currentIndexChanged.connect(self.apply_filters)

        self.model = VisitTableModel(self._fetch, self)
        self.table = QTableView()
        self.table.setObjectName("visitTable")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        for col, width in enumerate((95, 90, 70, 170, 100, 160, 160, 50, 50, 60)):
            self.table.setColumnWidth(col, width)
        widgets.open_rows_with(self.table, self.edit_visit)

        self.toolbar = QToolBar()
        self.toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.new_action = self._action("登记接待", self.new_visit, QKeySequence.StandardKey.New, "登记一次接待（Ctrl+N）")
        self.edit_action = self._action("编辑", self.edit_visit, None, "编辑选中的接待（Enter 或双击）")
        self.delete_action = self._action("删除", self.delete_visit, None, "删除选中的接待及其意见建议（保留修改记录）")
        self.opinions_action = self._action("查看意见建议", self.show_opinions, None, "在“建议督办”中列出本次接待的意见建议")
        self.toolbar.addSeparator()
        self.print_action = self._action("打印登记表", self.print_visit, QKeySequence.StandardKey.Print,
                                         "生成选中接待的接待登记表 PDF（Ctrl+P）")
        self.toolbar.addSeparator()
        self.import_action = self._action("导入台账", self.import_ledger, None, "从 Excel 接待台账导入（每行一条意见）")
        self.export_action = self._action("导出", self.export_ledger, None, "把当前筛选出的接待导出为 Excel 台账")
        find = QShortcut(QKeySequence.StandardKey.Find, self)
        find.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        find.activated.connect(lambda: (self.search.setFocus(), self.search.selectAll()))

        filters = QHBoxLayout()
        filters.addWidget(self.search, 3)
        filters.addWidget(QLabel("日期"))
        filters.addWidget(self.date_from, 1)
        filters.addWidget(QLabel("至"))
        filters.addWidget(self.date_to, 1)
        filters.addWidget(self.form, 1)
        filters.addWidget(self.point, 2)
        filters.addWidget(self.count_label)
        lay = QVBoxLayout(self)
        lay.addWidget(self.toolbar)
        lay.addLayout(filters)
        lay.addWidget(self.filter_error)
        lay.addWidget(self.table, 1)
        self.table.selectionModel().selectionChanged.connect(self._update_actions)
        self.model.modelReset.connect(self._update_actions)
        self.apply_filters()

    def _action(self, text: str, slot, shortcut, tip: str) -> QAction:
        return widgets.toolbar_action(self, self.toolbar, text, slot, shortcut, tip)

    def _fill_points(self) -> None:
        current = self.point.currentData()
        self.point.blockSignals(True)
        self.point.clear()
        self.point.addItem("全部地点", "")
        for p in visit_service.list_places(self.ctx):
            self.point.addItem(p.label, f"{p.kind}:{p.id}")
        self.point.setCurrentIndex(max(self.point.findData(current), 0))
        self.point.blockSignals(False)

    # ------------------------------------------------------------------ hooks
    def initial_focus(self) -> QWidget:
        return self.search

    def on_activated(self) -> None:
        self._fill_points()
        self.apply_filters()

    def show_filtered(self, *, date_from: str = "", date_to: str = "", text: str = "") -> None:
        """Used by the home page: the visits of a period."""
        for w, value in ((self.search, text), (self.date_from, date_from), (self.date_to, date_to)):
            w.blockSignals(True)
            w.setText(value)
            w.blockSignals(False)
        self.form.setCurrentIndex(0)
        self.point.setCurrentIndex(0)
        self.apply_filters()

    # ------------------------------------------------------------------ list
    def current_query(self) -> VisitQuery:
        kind, _, pid = (self.point.currentData() or "").partition(":")
        return VisitQuery(text=self.search.text(), date_from=self.date_from.text(), date_to=self.date_to.text(),
                          form=self.form.currentData() or "", contact_point_id=pid if kind == "contact_point" else "",
                          grid_id=pid if kind == "grid" else "")

    def _fetch(self, offset: int, limit: int) -> list[VisitRow]:
        return visit_service.query_visits(self.ctx, self._query, offset, limit)

    def apply_filters(self) -> None:
        self._timer.stop()
        self._query = self.current_query()
        try:
            self.model.reload()
            total = visit_service.count_visits(self.ctx, self._query)
        except CongressError as e:
            self.filter_error.set_error(e.message)
            return
        self.filter_error.set_error("")
        self.model.set_total(total)
        self.count_label.setText(f"共 {total} 次接待")

    def _update_actions(self) -> None:
        has = self.selected() is not None
        for a in (self.edit_action, self.delete_action, self.print_action, self.opinions_action):
            a.setEnabled(has)

    def selected(self) -> VisitRow | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.row(rows[0].row()) if rows else None

    def select_visit(self, visit_id: str) -> bool:
        while True:
            row = self.model.row_of(visit_id)
            if row is not None or not self.model.canFetchMore():
                break
            self.model.fetchMore()
        if row is None:
            return False
        self.table.selectRow(row)
        self.table.scrollTo(self.model.index(row, 0))
        return True

    # ------------------------------------------------------------------ editing
    def new_visit(self) -> VisitForm:
        form = VisitForm(self.ctx, None, self)
        if widgets.exec_modal(form) == QDialog.DialogCode.Accepted and form.saved:
            self._after_save(form.saved, "已登记接待")
        return form

    def edit_visit(self, index: QModelIndex | None = None) -> VisitForm | None:
        v = self.model.row(index.row()) if isinstance(index, QModelIndex) and index.isValid() else self.selected()
        if v is None:
            return None
        return self.open_visit(v.id)

    def open_visit(self, visit_id: str) -> VisitForm | None:
        try:
            detail = visit_service.get_visit(self.ctx, visit_id)
        except CongressError as e:
            ui_errors.show_error(self, e)
            self.apply_filters()
            return None
        form = VisitForm(self.ctx, detail, self)
        if widgets.exec_modal(form) == QDialog.DialogCode.Accepted and form.saved:
            self._after_save(form.saved, "已保存接待记录")
        return form

    def _after_save(self, saved: VisitDetail, message: str) -> None:
        self.apply_filters()
        if not self.select_visit(saved.row.id):
            message += "（不在当前筛选条件中）"
        spot = sum(1 for o in saved.opinions if o.on_the_spot)
        if saved.opinions:
            message += f"，意见建议 {len(saved.opinions)} 条" + (f"（当场答复 {spot} 条）" if spot else "")
        widgets.show_status(self, message)

    def delete_visit(self) -> None:
        v = self.selected()
        if v is None:
            return
        extra = (f"\n\n同时删除本次接待的 {v.opinion_count} 条意见建议"
                 + (f"，其中 {v.open_count} 条尚未办结" if v.open_count else "") + "。") if v.opinion_count else ""
        if not widgets.ask_yes_no(self, "删除接待记录",
                                  f"确定删除 {v.visit_date} 在“{v.place_label}”的接待记录吗？{extra}\n\n"
                                  "删除的记录保留在修改记录中。"):
            return
        try:
            visit_service.delete_visit(self.ctx, v.id)
        except CongressError as e:
            ui_errors.show_error(self, e)
        self.apply_filters()
        widgets.show_status(self, "已删除接待记录")

    def show_opinions(self) -> None:
        v = self.selected()
        if v is not None:
            common.go_to(self, "opinions", visit_id=v.id, visit_label=f"{v.visit_date} {v.place_label}")

    # ------------------------------------------------------------------ paper and sheets
    def print_visit(self) -> tasks.TaskHandle | None:
        v = self.selected()
        if v is None:
            return None
        out = common.printout_path(self.ctx, f"接待登记表-{v.visit_date}")
        ctx = self.ctx
        self.last_task = tasks.run_task(self, "正在生成接待登记表",
                                        lambda progress, cancel: visit_service.print_visit_form(ctx, v.id, out),
                                        on_success=lambda _pages: common.open_file(out))
        return self.last_task

    def import_ledger(self) -> tasks.TaskHandle | None:
        path = common.ask_open_file(self, "导入接待台账", common.IMPORT_FILTER)
        if not path:
            return None
        ctx = self.ctx

        def work(progress, cancel):
            return visit_service.import_ledger(ctx, path, progress, cancel)

        self.last_task = tasks.run_task(self, "正在导入接待台账", work,
                                        on_success=lambda result: self._import_done(result, path))
        return self.last_task

    def _import_done(self, result, path: str) -> None:
        if not result.ok:
            from ui.pages.import_dialog import ImportErrorsDialog

            widgets.exec_modal(ImportErrorsDialog(result, path, self, what="接待台账"))
            return
        self.apply_filters()
        text = f"已导入 {result.applied_visits} 次接待、{result.applied_opinions} 条意见建议。"
        widgets.show_status(self, text)
        common.info(self, "导入完成", text)

    def export_ledger(self) -> tasks.TaskHandle | None:
        suggested = str(Path.home() / f"接待台账-{dt.date.today():%Y%m%d}.xlsx")
        path = common.ask_save_file(self, "导出接待台账", suggested, common.XLSX_FILTER)
        if not path:
            return None
        target = common.with_suffix(path, ".xlsx")
        ctx, query = self.ctx, self._query

        def work(progress, cancel) -> int:
            return visit_service.export_ledger(ctx, target, query, progress=progress, cancel=cancel)

        def done(n: int) -> None:
            widgets.show_status(self, f"已导出 {n} 行")
            common.info(self, "导出完成", f"已导出 {n} 行到：\n{target}")

        self.last_task = tasks.run_task(self, "正在导出接待台账", work, on_success=done)
        return self.last_task


# ================================================================== 首页 figures

class VisitSummaryCard(QFrame):
    """The office's figures on the home page, each a link to its filtered list."""

    def __init__(self, ctx: Context, parent: QWidget | None = None, *, fill: bool = True):
        """``fill=False``: the owner calls ``refresh()`` itself (the figures cost ~50 ms on a decade)."""
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("card")
        self.title = widgets.heading("接待与督办", level=2)
        self.buttons: dict[str, QPushButton] = {}
        grid = QGridLayout()
        grid.setHorizontalSpacing(12)
        specs = [("visits_month", "本月接待"), ("visits_year", "本年接待"), ("open_items", "未办结意见建议"),
                 ("overdue", "超期未答复"), ("closed_rate", "本年办结率"), ("satisfaction_rate", "本年满意率")]
        for i, (key, caption) in enumerate(specs):
            b = QPushButton()
            b.setObjectName(f"summary_{key}")
            b.setFlat(True)
            b.setCursor(Qt.CursorShape.PointingHandCursor)
            b.setToolTip(f"点击查看：{caption}")
            b.setStyleSheet("text-align: left; padding: 6px;")
            b.clicked.connect(lambda _=False, k=key: self.open(k))
            self.buttons[key] = b
            grid.addWidget(b, i // 3, i % 3)
        self.note = QLabel("本年：按提出日期统计；满意率 = 满意和基本满意 ÷ 已测评。点击数字可查看清单。")
        self.note.setObjectName("muted")
        lay = QVBoxLayout(self)
        lay.setContentsMargins(18, 14, 18, 14)
        lay.addWidget(self.title)
        lay.addLayout(grid)
        lay.addWidget(self.note)
        self.summary: visit_service.HomeSummary | None = None
        if fill:
            self.refresh()

    def refresh(self) -> None:
        s = self.summary = visit_service.home_summary(self.ctx)
        pct = visit_service.percent
        texts = {
            "visits_month": ("本月接待", f"{s.visits_month} 次"),
            "visits_year": ("本年接待", f"{s.visits_year} 次"),
            "open_items": ("未办结意见建议", f"{s.open_items} 件"),
            "overdue": ("超期未答复", f"{s.overdue} 件" + (f"（7 天内到期 {s.due_soon} 件）" if s.due_soon else "")),
            "closed_rate": ("本年办结率", f"{pct(s.closed_rate)}（{s.closed_year}/{s.opinions_year}）"),
            "satisfaction_rate": ("本年满意率", f"{pct(s.satisfaction_rate)}（{s.satisfied_year}/{s.rated_year}）"),
        }
        for key, (caption, value) in texts.items():
            self.buttons[key].setText(f"{caption}\n{value}")
        self.buttons["overdue"].setStyleSheet("text-align: left; padding: 6px;"
                                              + (" color: #b3261e; font-weight: bold;" if s.overdue else ""))

    def open(self, key: str) -> None:
        s = self.summary or visit_service.home_summary(self.ctx)
        if key == "visits_month":
            common.go_to(self, "visits", date_from=s.month_from, date_to=s.today)
        elif key == "visits_year":
            common.go_to(self, "visits", date_from=s.year_from, date_to=s.today)
        elif key == "open_items":
            common.go_to(self, "opinions", state=opinion_service.STATE_OPEN)
        elif key == "overdue":
            common.go_to(self, "opinions", overdue=True)
        elif key == "closed_rate":
            common.go_to(self, "opinions", date_from=s.year_from, date_to=s.today)
        elif key == "satisfaction_rate":
            common.go_to(self, "opinions", date_from=s.year_from, date_to=s.today, rated=True)
