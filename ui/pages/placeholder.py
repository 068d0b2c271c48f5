"""An honest page for an area that is not built yet: what it will do, and no fake data."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QVBoxLayout, QWidget

IN_DEVELOPMENT = "此功能正在开发中，将在后续版本提供"


class PlaceholderPage(QWidget):
    def __init__(self, title: str, purpose: str, parent: QWidget | None = None, *,
                 notice: str = IN_DEVELOPMENT):
        super().__init__(parent)
        self.setObjectName("placeholderPage")
        self.title = title
        card = QFrame(self)
        card.setObjectName("card")
        self.notice_label = QLabel(notice)
        self.notice_label.setObjectName("placeholderNotice")
        self.notice_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.notice_label.setWordWrap(True)
        self.purpose_label = QLabel(purpose)
        self.purpose_label.setObjectName("muted")
        self.purpose_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.purpose_label.setWordWrap(True)
        inner = QVBoxLayout(card)
        inner.setContentsMargins(32, 32, 32, 32)
        inner.setSpacing(12)
        inner.addWidget(self.notice_label)
        inner.addWidget(self.purpose_label)
        card.setFixedWidth(560)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(card)
        row.addStretch(1)
        lay = QVBoxLayout(self)
        lay.addStretch(1)
        lay.addLayout(row)
        lay.addStretch(2)
