"""The load / check / save base every form uses: the core checks, its FieldErrors go under their fields.

    class RecordDialog(FormDialog):
        def __init__(...):
            super().__init__("履职记录", parent)
            self.add_row("日期", self.record_date, "record_date")
            ...
        def save(self):
            raw = self.values()             # read the widgets here, on the GUI thread
            self.run_save(lambda: svc.save_record(ctx, raw))   # the save runs on the database worker

``ErrorMap`` is the one ``show_errors``: a widget that is not a dialog (an embedded form) keeps one too.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QFormLayout, QVBoxLayout, QWidget

from congress_desktop.core.errors import CongressError, FieldErrors
from ui import operations, tasks, widgets


def field_box(widget: QWidget, error: widgets.FieldError, spacing: int = 1) -> QWidget:
    """A field with its (hidden until needed) red message right under it."""
    box = QWidget()
    lay = QVBoxLayout(box)
    lay.setContentsMargins(0, 0, 0, 0)
    lay.setSpacing(spacing)
    lay.addWidget(widget)
    lay.addWidget(error)
    return box


class ErrorMap:
    """Field key → its red label; messages for keys without a label join the general label.

    ``aliases`` maps a key the core uses to the form's own (``village_id`` → ``village``); a dotted key
    (``items.3``) falls back to its first part. ``focus`` widgets get the focus for the first wrong field."""

    def __init__(self, general: widgets.FieldError | None = None, aliases: Mapping[str, str] | None = None):
        self.general = general if general is not None else widgets.FieldError()
        self.labels: dict[str, widgets.FieldError] = {}
        self.focus: dict[str, QWidget] = {}
        self.aliases = dict(aliases or {})

    def add(self, key: str, widget: QWidget | None = None) -> widgets.FieldError:
        label = self.labels.get(key) or widgets.FieldError()
        self.labels[key] = label
        if widget is not None:
            self.focus[key] = widget
        return label

    def clear(self) -> None:
        self.general.set_error("")
        for label in self.labels.values():
            label.set_error("")

    def _target(self, key: str) -> str | None:
        key = self.aliases.get(key, key)
        if key in self.labels:
            return key
        head = key.split(".")[0]
        head = self.aliases.get(head, head)
        return head if head in self.labels else None

    def show(self, errors: Mapping[str, str], general: str = "") -> None:
        """Each message under its field, the rest in the general label; focus the first wrong field."""
        self.clear()
        rest = [general] if general else []
        shown: set[str] = set()
        for key, msg in errors.items():
            target = self._target(key)
            if target is None:
                rest.append(msg)
            else:
                shown.add(target)
                self.labels[target].set_error(msg)
        self.general.set_error("；".join(rest))
        first = next((k for k in self.labels if k in shown and k in self.focus), None)
        if first is not None:
            self.focus[first].setFocus()

    def show_exception(self, exc: BaseException) -> bool:
        """Show a core error on the form; False when it is not one (the caller shows it another way)."""
        if isinstance(exc, FieldErrors):
            self.show(exc.errors)
            return True
        if isinstance(exc, CongressError):
            self.show({}, exc.message)
            return True
        return False


class FormDialog(QDialog):
    """A dialog form: rows with their error labels, the general error on top, ``run_save``."""

    def __init__(self, title: str, parent: QWidget | None = None, aliases: Mapping[str, str] | None = None):
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setWindowFlag(Qt.WindowType.WindowContextHelpButtonHint, False)
        self.saved: Any = None
        self.error_map = ErrorMap(aliases=aliases)
        self.general_error = self.error_map.general
        self.errors = self.error_map.labels
        self.form = QFormLayout()
        self.save_task: tasks.TaskHandle | None = None

    def add_row(self, label: str, widget: QWidget, key: str | None = None) -> None:
        if key is None:
            self.form.addRow(label, widget)
            return
        self.form.addRow(label, field_box(widget, self.error_map.add(key, widget)))

    def show_errors(self, errors: Mapping[str, str]) -> None:
        self.error_map.show(errors)

    def run_save(self, fn: Callable[[], Any]) -> tasks.TaskHandle:
        """Save on the database worker; accept with ``saved`` set, or show the errors and stay open."""

        def done(result: Any) -> None:
            self.saved = result
            self.accept()

        def failed(exc: BaseException) -> None:
            if not self.error_map.show_exception(exc):
                from ui import errors
                errors.show_error(self, exc)

        self.save_task = operations.db_op(self, fn, done, title="正在保存", on_error=failed)
        return self.save_task
