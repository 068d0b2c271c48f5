"""Small shared widgets and helpers, plus the one seam for modal dialogs.

Modal dialogs: every module runs them through ``widgets.exec_modal(dialog)`` (called as a module
attribute, never imported by name), so a test replaces that one function and nothing blocks::

    monkeypatch.setattr(ui.widgets, "exec_modal", lambda dlg: shown.append(dlg) or 0)
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QTimer, QUrl
from PySide6.QtGui import (
    QAction,
    QColor,
    QDesktopServices,
    QFont,
    QKeySequence,
    QShortcut,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QCompleter,
    QDialog,
    QDialogButtonBox,
    QFrame,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QToolBar,
    QWidget,
)

ERROR_RED = "#c62828"


def find_as_you_type(combo: QComboBox) -> QComboBox:
    """Make a combo of names typeable: the text typed finds every item containing it (a given name
    finds the deputy as well as the surname), and nothing typed is added to the list."""
    combo.setEditable(True)
    combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
    completer = QCompleter(combo.model(), combo)
    completer.setFilterMode(Qt.MatchFlag.MatchContains)
    completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
    combo.setCompleter(completer)
    return combo


def exec_modal(dialog: QDialog) -> int:
    """Run a modal dialog and return its result code. Tests replace this function."""
    return dialog.exec()


def ask_yes_no(parent: QWidget | None, title: str, text: str) -> bool:
    box = QMessageBox(QMessageBox.Icon.Question, title, text,
                      QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, parent)
    box.setDefaultButton(QMessageBox.StandardButton.No)
    return exec_modal(box) == QMessageBox.StandardButton.Yes


def show_status(widget: QWidget | None, text: str, timeout_ms: int = 6000) -> None:
    """Show a short message in the status bar of the window holding ``widget`` (if it has one)."""
    w = widget
    while w is not None:
        status = getattr(w, "status", None)
        if callable(status):
            status(text, timeout_ms)
            return
        w = w.parentWidget()


def focus_first_child(container: QWidget) -> bool:
    """Give the keyboard focus to the first focusable, visible, enabled widget inside ``container``."""
    chooser = getattr(container, "initial_focus", None)
    target = chooser() if callable(chooser) else None
    if target is None:
        w = container.nextInFocusChain()
        while w is not None and w is not container:
            if (container.isAncestorOf(w) and w.isVisibleTo(container) and w.isEnabled()
                    and w.focusPolicy() & Qt.FocusPolicy.TabFocus):
                target = w
                break
            w = w.nextInFocusChain()
    if target is None:
        return False
    target.setFocus(Qt.FocusReason.ShortcutFocusReason)
    return True


def open_folder(path: Path) -> bool:
    """Open a folder in the system file manager."""
    return QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))


class FieldError(QLabel):
    """A red message under a form field; hidden while empty."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("fieldError")
        pal = self.palette()  # red also without the style sheet (the qss says the same)
        pal.setColor(self.foregroundRole(), QColor(ERROR_RED))
        self.setPalette(pal)
        self.setWordWrap(True)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)
        self.setVisible(False)

    def set_error(self, text: str) -> None:
        self.setText(text)
        self.setVisible(bool(text))


def show_field_errors(errors: dict[str, str], labels: dict[str, FieldError], general: FieldError,
                      fields: dict[str, QWidget] | None = None) -> None:
    """Each message under its field's label, the others joined in ``general``; with ``fields``, the first
    wrong field in their order gets the focus."""
    for label in (*labels.values(), general):
        label.set_error("")
    other = []
    for key, message in errors.items():
        if key in labels:
            labels[key].set_error(message)
        else:
            other.append(message)
    general.set_error("；".join(other))
    if fields is not None:
        first = next((k for k in fields if k in errors), None)
        if first:
            fields[first].setFocus()


def ok_cancel_buttons(dialog: QDialog, ok_text: str, on_ok) -> tuple[QDialogButtonBox, QPushButton]:
    """``ok_text`` (the default button, runs ``on_ok``) and 取消 (rejects ``dialog``); returns (box, ok button)."""
    buttons = QDialogButtonBox()
    ok = buttons.addButton(ok_text, QDialogButtonBox.ButtonRole.AcceptRole)
    ok.setDefault(True)
    buttons.addButton("取消", QDialogButtonBox.ButtonRole.RejectRole)
    buttons.accepted.connect(on_ok)
    buttons.rejected.connect(dialog.reject)
    return buttons, ok


def heading(text: str, parent: QWidget | None = None, *, level: int = 1) -> QLabel:
    """A page or section title (styled by the qss through its object name)."""
    label = QLabel(text, parent)
    label.setObjectName("pageTitle" if level == 1 else "sectionTitle")
    f = QFont(label.font())
    f.setPointSizeF(f.pointSizeF() * (1.6 if level == 1 else 1.15))
    f.setBold(True)
    label.setFont(f)
    return label


def toolbar_action(page: QWidget, toolbar: QToolBar, text: str, slot, shortcut=None,
                   tip: str | None = None) -> QAction:
    """An action on a page's toolbar that runs ``slot()``; its shortcut (if any) works anywhere in the page."""
    action = QAction(text, page)
    if shortcut is not None:
        action.setShortcut(QKeySequence(shortcut))
        action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
    if tip is not None:
        action.setToolTip(tip)
    action.triggered.connect(lambda _checked=False: slot())
    page.addAction(action)
    toolbar.addAction(action)
    return action


def open_rows_with(view: QAbstractItemView, slot) -> None:
    """A double click, Return or Enter on ``view`` runs ``slot`` (the double click passes the index)."""
    view.doubleClicked.connect(slot)
    for key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
        sc = QShortcut(QKeySequence(key), view)
        sc.setContext(Qt.ShortcutContext.WidgetShortcut)
        sc.activated.connect(slot)


def list_table(headers: list[str], name: str = "") -> QTableWidget:
    """A read-only table of whole rows, one selected at a time; columns fit their contents, the last stretches."""
    t = QTableWidget(0, len(headers))
    t.setObjectName(name)
    t.setHorizontalHeaderLabels(headers)
    t.verticalHeader().setVisible(False)
    t.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    t.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    t.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    t.setAlternatingRowColors(True)
    t.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    t.horizontalHeader().setStretchLastSection(True)
    return t


def hline(parent: QWidget | None = None) -> QFrame:
    line = QFrame(parent)
    line.setFrameShape(QFrame.Shape.HLine)
    line.setObjectName("separator")
    return line


def search_as_you_type(parent: QWidget, fields, slot, delay_ms: int) -> QTimer:
    """Run ``slot`` ``delay_ms`` after the last keystroke in any of the line edits ``fields``, or at
    once on Enter; returns the timer (stop it when the filter is applied another way)."""
    timer = QTimer(parent)
    timer.setSingleShot(True)
    timer.setInterval(delay_ms)
    timer.timeout.connect(slot)
    for field in fields:
        field.textChanged.connect(timer.start)
        field.returnPressed.connect(slot)
    return timer
