"""The one paged model (ui/models.PagedTableModel) loads on the database worker, page by page, and never
shows a result an older filter asked for."""

from __future__ import annotations

import threading

from PySide6.QtCore import Qt

from congress_desktop.deputies import service as deputies
from congress_desktop.deputies.rules import IN_OFFICE
from ui.models import PagedTableModel


class DeputyNames(PagedTableModel):
    columns = (("姓名", lambda d: d.name), ("状态", lambda d: d.status))


def test_pages_come_from_the_worker_and_the_count_beside_them(qtbot, demo_ctx):
    threads = []

    def fetch(offset, limit):
        threads.append(threading.current_thread())
        return deputies.query_deputies(demo_ctx, deputies.DeputyQuery(), offset, limit)

    model = DeputyNames(fetch, lambda: deputies.count_deputies(demo_ctx, deputies.DeputyQuery()), page_size=10)
    with qtbot.waitSignal(model.loaded):
        model.reload()
    assert model.rowCount() == 10 and model.total == 64
    assert threading.main_thread() not in threads  # the window never waited for the database
    assert model.canFetchMore()
    model.fetchMore()
    assert not model.canFetchMore()  # one next page at a time
    assert model.wait()
    assert model.rowCount() == 20
    assert model.index(0, 0).data() == model.row(0).name
    assert model.headerData(0, Qt.Orientation.Horizontal) == "姓名"


def test_a_result_for_an_older_filter_is_dropped(qtbot, demo_ctx):
    def query(status):
        return lambda offset, limit: deputies.query_deputies(demo_ctx, deputies.DeputyQuery(status=status),
                                                             offset, limit)

    model = DeputyNames(query(""), page_size=100)
    model.reload()
    model.reload(query("终止"))  # typed again before the first result came back
    assert model.wait()
    qtbot.wait(50)
    assert [r.status for r in model.rows()] == ["终止"]
    assert model.total == 1
    model.reload(query(IN_OFFICE))
    assert model.wait()
    assert model.rowCount() == 62 and model.total == 62 and not model.canFetchMore()
