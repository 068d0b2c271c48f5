"""Table models over the core's list functions.

``DeputyTableModel`` never holds the whole roster: it counts the rows of the current filter, loads
the first page, and loads the next page only when the view scrolls near the end (Qt's
``canFetchMore``/``fetchMore``). Sorting re-queries the database (ORDER BY in the core), so a list of
100,000 deputies sorts as fast as one of 60.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QBrush, QColor
from shiboken6 import isValid

from congress_desktop.core.context import Context
from congress_desktop.deputies import service as deputy_service
from congress_desktop.deputies.rows import DeputyQuery, DeputyRow
from congress_desktop.deputies.rules import IN_OFFICE
from congress_desktop.places.contact_points import ContactPointRow
from congress_desktop.places.villages import VillageRow
from ui import operations, tasks

PAGE_SIZE = 200

ROW_ROLE = Qt.ItemDataRole.UserRole + 1
# How a contact point kind is shown where the core's short key would be unclear.
KIND_LABELS = {"代表联系点": "村(社区)代表联系点"}  # the row dataclass behind a table row
_DISPLAY = Qt.ItemDataRole.DisplayRole
_INACTIVE = QBrush(QColor(140, 140, 140))

Index = QModelIndex | QPersistentModelIndex


# (sort key in services.deputies.SORT_COLUMNS, header, text of a row)
DEPUTY_COLUMNS: list[tuple[str, str, Callable[[DeputyRow], str]]] = [
    ("name", "姓名", lambda d: d.name),
    ("gender", "性别", lambda d: d.gender),
    ("ethnicity", "民族", lambda d: d.ethnicity),
    ("birth_date", "出生年月", lambda d: d.birth_date[:7].replace("-", ".")),
    ("political", "政治面貌", lambda d: d.political),
    ("work_unit", "工作单位及职务", lambda d: d.work_unit),
    ("levels", "代表层级", lambda d: d.levels_label),
    ("mobile", "联系电话", lambda d: d.mobile or d.phone),
    ("village", "所在村(社区)", lambda d: d.village_name),
    ("group_name", "代表小组", lambda d: d.group_name),
    ("status", "状态", lambda d: d.status),
]
DEPUTY_SORT_KEYS = [c[0] for c in DEPUTY_COLUMNS]


class DeputyTableModel(QAbstractTableModel):
    """The deputies matching a ``DeputyQuery``, fetched page by page."""

    def __init__(self, ctx: Context, query: DeputyQuery = DeputyQuery(status=IN_OFFICE), parent=None, *,
                 page_size: int = PAGE_SIZE):
        super().__init__(parent)
        self.ctx = ctx
        self.page_size = page_size
        self._query = query
        self._rows: list[DeputyRow] = []
        self._total = 0
        self._busy = False  # inside a reset or an insert: a view asking for more must wait
        self.reload()

    # ------------------------------------------------------------- what the page uses
    @property
    def query(self) -> DeputyQuery:
        return self._query

    @property
    def total(self) -> int:
        """How many deputies match the filter (not how many are loaded)."""
        return self._total

    @property
    def loaded(self) -> int:
        return len(self._rows)

    def set_query(self, query: DeputyQuery) -> None:
        """A new filter (and order): count again and start over from the first page."""
        self._query = query
        self.reload()

    def reload(self) -> None:
        self._busy = True
        self.beginResetModel()
        try:
            self._total = deputy_service.count_deputies(self.ctx, self._query)
            self._rows = (deputy_service.query_deputies(self.ctx, self._query, 0, self.page_size)
                          if self._total else [])
            if len(self._rows) < self.page_size:
                self._total = len(self._rows)  # the database changed between the two reads
        finally:
            self.endResetModel()
            self._busy = False

    def row(self, row: int) -> DeputyRow:
        return self._rows[row]

    def row_of(self, deputy_id: str) -> int | None:
        """The row of a deputy among those loaded (None if not loaded or not in the filter)."""
        for i, d in enumerate(self._rows):
            if d.id == deputy_id:
                return i
        return None

    def find_row(self, deputy_id: str, *, max_rows: int = 5000) -> int | None:
        """Like ``row_of``, loading more pages if needed (a saved deputy may sort far down)."""
        while True:
            found = self.row_of(deputy_id)
            if found is not None or not self.canFetchMore(QModelIndex()) or self.loaded >= max_rows:
                return found
            self.fetchMore(QModelIndex())

    # ------------------------------------------------------------- Qt model interface
    def rowCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(DEPUTY_COLUMNS)

    def canFetchMore(self, parent: Index = QModelIndex()) -> bool:
        return not parent.isValid() and not self._busy and len(self._rows) < self._total

    def fetchMore(self, parent: Index = QModelIndex()) -> None:
        if not self.canFetchMore(parent):
            return
        start = len(self._rows)
        page = deputy_service.query_deputies(self.ctx, self._query, start, self.page_size)
        if len(page) < self.page_size:
            self._total = start + len(page)  # fewer than counted: someone deleted meanwhile
        if not page:
            return
        self._busy = True
        try:
            self.beginInsertRows(QModelIndex(), start, start + len(page) - 1)
            self._rows.extend(page)
            self.endInsertRows()
        finally:
            self._busy = False

    def data(self, index: Index, role: int = _DISPLAY) -> Any:
        if not index.isValid() or index.row() >= len(self._rows):
            return None
        d = self._rows[index.row()]
        if role == _DISPLAY:
            return DEPUTY_COLUMNS[index.column()][2](d)
        if role == Qt.ItemDataRole.ForegroundRole and d.status != IN_OFFICE:
            return _INACTIVE
        if role == Qt.ItemDataRole.ToolTipRole:
            if d.status != IN_OFFICE:
                return f"{d.status}：{d.status_date} {d.status_reason}".strip()
            if DEPUTY_COLUMNS[index.column()][0] == "work_unit":
                return d.work_unit or None
        if role == ROW_ROLE:
            return d
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = _DISPLAY) -> Any:
        if role != _DISPLAY:
            return None
        if orientation == Qt.Orientation.Horizontal:
            return DEPUTY_COLUMNS[section][1] if 0 <= section < len(DEPUTY_COLUMNS) else None
        return str(section + 1)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < len(DEPUTY_COLUMNS):
            return
        descending = order == Qt.SortOrder.DescendingOrder
        key = DEPUTY_COLUMNS[column][0]
        if key == self._query.sort and descending == self._query.descending and self._rows:
            return
        self._query = replace(self._query, sort=key, descending=descending)
        self.reload()


class RowListModel(QAbstractTableModel):
    """A small list held in memory (villages, contact points): columns are (header, text-of-row)."""

    columns: Sequence[tuple[str, Callable[[Any], Any]]] = ()

    def __init__(self, rows: Sequence[Any] = (), parent=None):
        super().__init__(parent)
        self._rows = list(rows)

    def set_rows(self, rows: Sequence[Any]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def row(self, row: int) -> Any:
        return self._rows[row]

    def row_of(self, row_id: str) -> int | None:
        return next((i for i, r in enumerate(self._rows) if r.id == row_id), None)

    def rowCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.columns)

    def data(self, index: Index, role: int = _DISPLAY) -> Any:
        if not index.isValid() or index.row() >= len(self._rows):
            return None
        r = self._rows[index.row()]
        if role == _DISPLAY:
            value = self.columns[index.column()][1](r)
            return "" if value is None else value if isinstance(value, str) else str(value)
        if role == Qt.ItemDataRole.TextAlignmentRole and isinstance(self.columns[index.column()][1](r), int):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == ROW_ROLE:
            return r
        return self.extra_data(r, index.column(), role)

    def extra_data(self, row: Any, column: int, role: int) -> Any:
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = _DISPLAY) -> Any:
        if role != _DISPLAY:
            return None
        if orientation == Qt.Orientation.Horizontal:
            return self.columns[section][0] if 0 <= section < len(self.columns) else None
        return str(section + 1)


class VillageTableModel(RowListModel):
    columns = (
        ("区划代码", lambda v: v.code),
        ("名称", lambda v: v.name),
        ("类型", lambda v: v.kind),
        ("户数", lambda v: v.households),
        ("人口", lambda v: v.population),
        ("在任代表数", lambda v: v.deputies),
    )

    def extra_data(self, row: VillageRow, column: int, role: int) -> Any:
        if role == Qt.ItemDataRole.ToolTipRole and row.note:
            return row.note
        return None


class ContactPointTableModel(RowListModel):
    columns = (
        ("名称", lambda p: p.name),
        ("类型", lambda p: KIND_LABELS.get(p.kind, p.kind)),
        ("上级站点", lambda p: p.parent_name),
        ("所在村(社区)", lambda p: p.village_name),
        ("站长", lambda p: p.head_name),
        ("站长电话", lambda p: p.head_phone),
        ("联络员", lambda p: p.liaison_name),
        ("联络员电话", lambda p: p.liaison_phone),
        ("接待日", lambda p: p.reception_rule),
        ("进站代表", lambda p: _stationed_label(p)),
    )

    def extra_data(self, row: ContactPointRow, column: int, role: int) -> Any:
        if role == Qt.ItemDataRole.ToolTipRole:
            if self.columns[column][0] == "进站代表" and row.deputy_names:
                return "、".join(row.deputy_names)
            if row.address:
                return f"地址：{row.address}"
        return None


def _stationed_label(p: ContactPointRow) -> str:
    n = len(p.deputy_names)
    if n == 0:
        return ""
    shown = "、".join(p.deputy_names[:3])
    return f"{n} 名：{shown}" + ("等" if n > 3 else "")


class PagedTableModel(RowListModel):
    """The one paged model (a RowListModel filled page by page): rows come a page at a time from ``fetch(offset, limit)`` on the database
    worker (ui.operations), so neither a new filter nor scrolling ever waits on the GUI thread.

    ``columns`` are (header, text of a row). ``count()``, when given, counts the whole filter beside the
    first page (on a large database it may take longer than the page). ``reload()`` starts over; a result
    that arrives after a newer ``reload()`` is dropped. ``loaded`` fires after each reload with the model
    filled; ``last_task`` is the handle of the latest load (tests: ``model.wait()``)."""

    columns: Sequence[tuple[str, Callable[[Any], Any]]] = ()
    loaded = Signal()

    def __init__(self, fetch: Callable[[int, int], Sequence[Any]], count: Callable[[], int] | None = None,
                 parent=None, *, page_size: int = PAGE_SIZE):
        super().__init__((), parent)
        self._fetch = fetch
        self._count = count
        self.page_size = page_size
        self._more = False
        self._pending = False  # a next page is on its way
        self._generation = 0
        self.total: int | None = None
        self.last_task: tasks.TaskHandle | None = None
        # a load the core refused (a bad filter): given to this, if set, unless a newer reload came
        # meanwhile; else shown the one way (ui.errors)
        self.on_error: Callable[[BaseException], None] | None = None

    # ------------------------------------------------------------- loading
    def reload(self, fetch: Callable[[int, int], Sequence[Any]] | None = None,
               count: Callable[[], int] | None = None) -> tasks.TaskHandle:
        if fetch is not None:
            self._fetch, self._count = fetch, count
        self._generation += 1
        generation, fetch_now, count_now, size = self._generation, self._fetch, self._count, self.page_size

        def work() -> tuple[list[Any], int | None]:
            page = list(fetch_now(0, size))
            return page, (count_now() if count_now is not None else None)

        def done(result: tuple[list[Any], int | None]) -> None:
            if generation != self._generation or not isValid(self):
                return
            page, total = result
            self.beginResetModel()
            self._rows = page
            self._more = len(page) == size
            self.total = total if total is not None else (None if self._more else len(page))
            self._pending = False
            self.endResetModel()
            self.loaded.emit()

        def failed(exc: BaseException) -> None:
            if generation == self._generation and isValid(self) and self.on_error is not None:
                self.on_error(exc)

        self.last_task = operations.db_op(None, work, done, title="正在读取",
                                          on_error=failed if self.on_error is not None else None)
        return self.last_task

    def wait(self, timeout_ms: int = 30000) -> bool:
        """Until the latest load (and a next page asked for) arrived: for tests and for callers that
        must act on the rows."""
        return self.last_task is None or self.last_task.wait(timeout_ms)

    def canFetchMore(self, parent: Index = QModelIndex()) -> bool:
        return not parent.isValid() and self._more and not self._pending

    def fetchMore(self, parent: Index = QModelIndex()) -> None:
        if not self.canFetchMore(parent):
            return
        self._pending = True
        generation, fetch_now, start, size = self._generation, self._fetch, len(self._rows), self.page_size

        def done(page: list[Any]) -> None:
            if generation != self._generation or not isValid(self):
                return
            self._pending = False
            self._more = len(page) == size
            if not page:
                return
            self.beginInsertRows(QModelIndex(), start, start + len(page) - 1)
            self._rows.extend(page)
            self.endInsertRows()

        self.last_task = operations.db_op(None, lambda: list(fetch_now(start, size)), done, title="正在读取")

    def rows(self) -> list[Any]:
        return list(self._rows)
