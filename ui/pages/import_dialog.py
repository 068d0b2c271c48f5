"""The result of an import that found bad rows: every row with its column and reason, nothing imported.

「保存错误报告」 writes the original rows with a 错误原因 column first (``ImportResult.save_errors``); the user
fixes the cells in that file and imports it again.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from congress_desktop.core.errors import CongressError
from congress_desktop.core.importing import ImportResult
from ui import errors as ui_errors
from ui.files import ask_save_file

log = logging.getLogger(__name__)

XLSX_FILTER = "Excel 表格 (*.xlsx)"
MAX_LISTED = 2000  # a table of 50,000 bad rows helps nobody; the report file has them all


def error_report_name(source: str | Path) -> Path:
    source = Path(source)
    return source.with_name(f"{source.stem}-错误报告.xlsx")


class ImportErrorsDialog(QDialog):
    """「导入未完成」: the table of bad rows (行号, 列, 原因) and a button to save the error report."""

    def __init__(self, result: ImportResult, source: str | Path, parent: QWidget | None = None, *,
                 what: str = "代表"):
        super().__init__(parent)
        self.result = result
        self.source = Path(source)
        self.report_path: Path | None = None
        self.setWindowTitle("导入未完成")
        self.setObjectName("importErrorsDialog")
        self.resize(760, 480)

        bad_rows = len({e.row for e in result.errors})
        self.summary = QLabel(
            f"文件“{self.source.name}”共 {result.total_rows} 行{what}数据，其中 {bad_rows} 行有问题"
            f"（共 {len(result.errors)} 处）。<b>为避免只导入一部分，本次没有导入任何{what}。</b><br>"
            "请改正下列各行后重新导入。也可以点击「保存错误报告」：报告中有问题的行排在最前面，"
            "第一列写明错误原因，直接在报告里改正、保存后，重新导入这个报告文件即可。")
        self.summary.setWordWrap(True)
        self.summary.setTextFormat(Qt.TextFormat.RichText)

        listed = result.errors[:MAX_LISTED]
        if len(result.errors) > len(listed):
            self.summary.setText(self.summary.text() + f"<br>下表只列出前 {MAX_LISTED} 处，全部问题见错误报告。")
        self.table = QTableWidget(len(listed), 3)
        self.table.setHorizontalHeaderLabels(["行号", "列", "原因"])
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setWordWrap(True)
        for i, e in enumerate(listed):
            row_item = QTableWidgetItem(f"第 {e.row} 行" if e.row else "整个文件")
            row_item.setData(Qt.ItemDataRole.UserRole, e.row)
            self.table.setItem(i, 0, row_item)
            self.table.setItem(i, 1, QTableWidgetItem(e.field or "（整行）"))
            reason = QTableWidgetItem(e.message)
            reason.setToolTip(e.message)
            self.table.setItem(i, 2, reason)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)

        self.saved_label = QLabel()
        self.saved_label.setWordWrap(True)
        self.saved_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.saved_label.setVisible(False)

        buttons = QDialogButtonBox()
        self.save_button = buttons.addButton("保存错误报告", QDialogButtonBox.ButtonRole.ActionRole)
        self.save_button.clicked.connect(self.save_report)
        close = buttons.addButton("关闭", QDialogButtonBox.ButtonRole.RejectRole)
        close.setDefault(True)
        buttons.rejected.connect(self.reject)

        lay = QVBoxLayout(self)
        lay.addWidget(self.summary)
        lay.addWidget(self.table, 1)
        lay.addWidget(self.saved_label)
        lay.addWidget(buttons)

    def rows(self) -> list[tuple[str, str, str]]:
        """The table as the user reads it: (行号, 列, 原因)."""
        return [tuple(self.table.item(i, j).text() for j in range(3)) for i in range(self.table.rowCount())]

    def save_report(self) -> Path | None:
        path = ask_save_file(self, "保存错误报告", str(error_report_name(self.source)), XLSX_FILTER)
        if not path:
            return None
        target = Path(path)
        if target.suffix.lower() != ".xlsx":
            target = target.with_name(target.name + ".xlsx")
        if target.resolve() == self.source.resolve():
            ui_errors.show_error(self, CongressError("错误报告不能覆盖正在导入的原文件，请换一个文件名"))
            return None
        try:
            self.result.save_errors(target)
        except PermissionError as e:
            ui_errors.show_error(self, CongressError(
                f"无法写入 {target.name}：文件可能正在 Excel/WPS 中打开，请关闭后再试"))
            log.warning("cannot write error report: %s", e)
            return None
        except Exception as e:  # noqa: BLE001 - shown by the common error dialog
            ui_errors.show_error(self, e)
            return None
        self.report_path = target
        self.saved_label.setText(f"错误报告已保存到：{target}\n请在报告中改正标黄的行（第一列是错误原因），"
                                 "保存后重新导入该报告文件。")
        self.saved_label.setVisible(True)
        log.info("import error report saved to %s", target)
        return target
