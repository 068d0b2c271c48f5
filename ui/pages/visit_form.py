"""The quick visit form a clerk fills in from the paper sign-in sheet (see ui/pages/visits.py for the
keyboard). It saves on the database worker (ui.operations.db_op): the visit with its attachments,
which are hashed and copied into the data folder."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from congress_desktop.core.context import Context
from congress_desktop.core.errors import CongressError, FieldErrors
from congress_desktop.deputies import service as deputy_service
from congress_desktop.deputies.rules import IN_OFFICE
from congress_desktop.places import contact_points as cp_service
from congress_desktop.places.villages import list_villages
from congress_desktop.visits import attachments as att_service
from congress_desktop.visits import opinions as opinion_service
from congress_desktop.visits import service as visit_service
from congress_desktop.visits.rows import CategoryRow
from congress_desktop.visits.rules import FORMS
from congress_desktop.visits.service import VisitDetail
from ui import errors as ui_errors
from ui import tasks, widgets
from ui.forms import ErrorMap
from ui.operations import db_op
from ui.pages import visits_common as common
from ui.pages.opinion_dialogs import OpinionDialog
from ui.pages.visit_rows import ERROR_STYLE, DeputyPicker, OpinionRows, VisitorRows, error_label

log = logging.getLogger(__name__)



class VisitForm(QDialog):
    """新增 / 编辑接待. After ``accept()`` the stored visit is in ``self.saved``."""

    def __init__(self, ctx: Context, visit: VisitDetail | None = None, parent: QWidget | None = None, *,
                 now: dt.datetime | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.visit = visit
        self.saved: VisitDetail | None = None
        self.save_task: tasks.TaskHandle | None = None
        self.last_task: tasks.TaskHandle | None = None
        self.now = now
        self.setObjectName("visitForm")
        self.setWindowTitle(f"编辑接待：{visit.row.visit_date} {visit.row.place_label}" if visit else "登记接待")
        self.resize(1000, 720)
        self.pending_files: list[str] = []
        self.removed_attachments: list[str] = []
        self.field_errors: dict[str, widgets.FieldError] = {}

        self._make_fields(ctx)
        head = self._head_layout()
        visitors_box, opinions_box = self._row_boxes()
        more = self._more_layout()
        body = QWidget()
        blay = QVBoxLayout(body)
        self.loading = QLabel(common.LOADING)  # until the choice lists are in
        self.loading.setObjectName("muted")
        blay.addWidget(self.loading)
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

        self._make_buttons(visit)
        hint = QLabel("Enter 下一项 · 代表栏输入拼音首字母后 Enter 添加 · 末行按 Enter 新增一行 · Ctrl+S 保存 · Esc 取消")
        hint.setObjectName("muted")
        bottom = QHBoxLayout()
        bottom.addWidget(hint, 1)
        bottom.addWidget(self.buttons)
        lay = QVBoxLayout(self)
        lay.addWidget(scroll, 1)
        lay.addLayout(bottom)

        self._connect(visit)

    def _make_fields(self, ctx: Context) -> None:
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
        self.places: list[visit_service.PlaceOption] = []
        self.village = QComboBox()
        self.deputies = DeputyPicker()
        self.stationed: dict[str, list[str]] = {}
        self.visitors = VisitorRows()
        self.categories: list[CategoryRow] = []
        self.opinions = OpinionRows(self.categories)
        self.opinions.open_opinion.connect(self.open_opinion)
        self.note = QLineEdit()
        self.attachments = QListWidget()
        self.attachments.setObjectName("attachmentList")
        self.attachments.setMaximumHeight(70)
        self.attachments.itemDoubleClicked.connect(lambda _item: self.open_attachment())


    def _head_layout(self) -> QFormLayout:
        self.general_error = error_label()
        self.general_error.setObjectName("formErrors")
        self.error_map = ErrorMap(self.general_error)
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

        return head

    def _row_boxes(self) -> tuple[QGroupBox, QGroupBox]:
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
        self.opinions_error = error_label()
        olay.addWidget(self.opinions_error)
        olay.addWidget(self.add_opinion_button, 0, Qt.AlignmentFlag.AlignLeft)

        return visitors_box, opinions_box

    def _more_layout(self) -> QFormLayout:
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

        return more

    def _make_buttons(self, visit: VisitDetail | None) -> None:
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

    def _connect(self, visit: VisitDetail | None) -> None:
        self.place.currentIndexChanged.connect(self._place_chosen)
        self.deputies.finished.connect(lambda: self.next_field(self.deputies.search))
        for rows in (self.visitors, self.opinions):
            rows.row_added.connect(self._watch_row)
            rows.row_removed.connect(self.fix_tab_order)
        for w in (self.visit_date, self.start_time, self.end_time, self.note, self.form, self.place, self.village):
            w.installEventFilter(self)
        self.place.lineEdit().installEventFilter(self)
        self.save_button.setEnabled(False)  # until the choice lists are in
        ctx = self.ctx
        self.load_task = db_op(self, lambda: _read_choices(ctx), lambda c: self._choices_read(c, visit),
                               title="正在读取")
        self.fix_tab_order()
        self.visit_date.setFocus(Qt.FocusReason.OtherFocusReason)
        self.visit_date.selectAll()

    def _choices_read(self, c: FormChoices, visit: VisitDetail | None) -> None:
        """The places, villages, deputies and categories are in: fill them, then the visit."""
        self.places = c.places
        self.place.addItem("", None)
        for p in c.places:
            self.place.addItem(p.label, p)
        self.village.addItem("（按地点自动填写）", "")
        for vid, name in c.villages:
            self.village.addItem(name, vid)
        self.deputies.set_options(c.deputies)
        self.stationed = c.stationed
        self.categories = self.opinions.categories = c.categories
        self.loading.hide()
        focus = self.focusWidget()
        self.load(visit)
        self.fix_tab_order()
        self.save_button.setEnabled(True)
        if focus is None or focus is self.visit_date:
            self.visit_date.setFocus(Qt.FocusReason.OtherFocusReason)
            self.visit_date.selectAll()

    def _row(self, form: QFormLayout, label: str, widget: QWidget, keys: tuple[str, ...]) -> None:
        box = QWidget()
        lay = QVBoxLayout(box)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(2)
        lay.addWidget(widget)
        err = self.error_map.add(keys[0])  # the row's one red label; its other keys are aliases
        err.setStyleSheet(ERROR_STYLE)
        lay.addWidget(err)
        for k in keys:
            self.field_errors[k] = err
            if k != keys[0]:
                self.error_map.aliases[k] = keys[0]
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

    def open_attachment(self) -> tasks.TaskHandle | None:
        """A file still to be saved opens as it is; a stored one is copied out on the database worker."""
        item = self.attachments.currentItem()
        if item is None:
            return None
        kind, ref = item.data(Qt.ItemDataRole.UserRole)
        if kind != "stored":
            common.open_file(ref)
            return None
        self.last_task = common.open_attachment(self, self.ctx, ref)
        return self.last_task

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
        self.error_map.clear()
        self.opinions_error.set_error("")
        self.visitors.clear_marks()
        self.opinions.clear_marks()

    def show_errors(self, errors: dict[str, str]) -> None:
        """Each message under its row of the form (ui.forms.ErrorMap; messages of one row joined), a
        visitor's or opinion's field marked red with its message in the line at the top; the first wrong
        field gets the focus."""
        self.clear_errors()
        general: list[str] = []
        per_label: dict[str, list[str]] = {}
        first: QWidget | None = None
        focus = {"visit_date": self.visit_date, "start_time": self.start_time, "end_time": self.end_time,
                 "form": self.form, "place": self.place, "village_id": self.village,
                 "deputy_ids": self.deputies.search}
        for key, message in errors.items():
            target: QWidget | None = None
            if key in self.field_errors:
                per_label.setdefault(self.error_map.aliases.get(key, key), []).append(message)
                target = focus.get(key)
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
            if first is None and isinstance(target, QWidget):
                first = target
        self.error_map.show({k: "；".join(m) for k, m in per_label.items()}, "\n".join(general))
        if first is not None:
            first.setFocus(Qt.FocusReason.OtherFocusReason)

    def save(self) -> tasks.TaskHandle | None:
        """Save on the database worker (the visit's attachments are hashed and copied there); the form
        closes when it is stored, or shows every message. The handle is ``self.save_task``."""
        if self.save_task is not None and not self.save_task.is_finished:
            return self.save_task  # Ctrl+S twice: one save
        if not self.load_task.is_finished:
            return None  # Ctrl+S before the choice lists are in: nothing to save yet
        raw = self.values()
        # blank rows are dropped here too, so the core's row numbers match what the clerk sees
        raw["visitors"] = [v for i, v in enumerate(raw["visitors"]) if not self.visitors.is_blank(i)]
        keep = [i for i in range(len(self.opinions.rows)) if not self.opinions.is_blank(i)]
        raw["opinions"] = [raw["opinions"][i] for i in keep]
        ctx, visit_id, now, removed = self.ctx, self.visit.row.id if self.visit else None, self.now, \
            list(self.removed_attachments)

        def work() -> VisitDetail:
            saved = visit_service.save_visit(ctx, raw, visit_id, now=now)
            for att_id in removed:
                try:
                    att_service.delete_attachment(ctx, att_id)
                except CongressError as e:
                    log.warning("could not remove attachment %s: %s", att_id, e)
            return saved

        def failed(exc: BaseException) -> None:
            self.save_button.setEnabled(True)
            if isinstance(exc, FieldErrors):
                self.show_errors(self._renumber(exc.errors, keep))
            elif isinstance(exc, CongressError):
                self.show_errors({"": exc.message})
            else:
                ui_errors.show_error(self, exc)

        self.save_button.setEnabled(False)
        self.save_task = db_op(self, work, self._saved, title="正在保存接待记录", on_error=failed)
        return self.save_task

    def _saved(self, saved: VisitDetail) -> None:
        self.saved = saved
        self.save_button.setEnabled(True)
        log.info("visit %s saved", saved.row.id)
        self.accept()

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

    def show_history(self) -> tasks.TaskHandle | None:
        if self.visit is None:
            return None
        ctx, visit_id = self.ctx, self.visit.row.id
        self.last_task = common.show_history(self, ctx, "接待记录的修改记录",
                                             lambda: visit_service.visit_history(ctx, visit_id),
                                             visit_service.VISIT_LABELS | opinion_service.FIELD_LABELS)
        return self.last_task

    def open_opinion(self, opinion_id: str) -> None:
        dlg = OpinionDialog(self.ctx, opinion_id, self, from_visit=True)
        widgets.exec_modal(dlg)


@dataclass(frozen=True)
class FormChoices:
    """The choice lists of the visit form, read on the database worker."""

    places: list[visit_service.PlaceOption]
    villages: list[tuple[str, str]]                # (id, name)
    deputies: list[tuple[str, str, str]]           # (id, name, village) of the deputies in office
    stationed: dict[str, list[str]]                # contact point id -> its deputies
    categories: list[CategoryRow]


def _read_choices(ctx: Context) -> FormChoices:
    active = deputy_service.query_deputies(ctx, deputy_service.DeputyQuery(status=IN_OFFICE), 0, None)
    return FormChoices(visit_service.list_places(ctx), [(v.id, v.name) for v in list_villages(ctx)],
                       [(d.id, d.name, d.village_name) for d in active],
                       {p.id: list(p.deputy_ids) for p in cp_service.list_contact_points(ctx)},
                       opinion_service.list_categories(ctx))


common.register_opener("visit_form", VisitForm)
