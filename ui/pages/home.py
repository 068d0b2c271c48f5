"""首页: who we are, how many deputies / villages / contact points, and where the data lives."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from congress_desktop.core.context import Context
from congress_desktop.deputies import service as dep_svc
from congress_desktop.deputies.rules import IN_OFFICE, LEVELS, DeputyStatus
from congress_desktop.places import contact_points as cp_svc
from congress_desktop.places import villages as vil_svc
from ui import operations, tasks, widgets
from ui.pages.visits import VisitSummaryCard


def _card(*children: QWidget) -> QFrame:
    card = QFrame()
    card.setObjectName("card")
    lay = QVBoxLayout(card)
    lay.setContentsMargins(18, 14, 18, 14)
    lay.setSpacing(6)
    for c in children:
        lay.addWidget(c)
    return card


class StatTile(QFrame):
    """A big number with a caption and a one-line breakdown."""

    def __init__(self, caption: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("card")
        self.caption = QLabel(caption)
        self.caption.setObjectName("muted")
        self.value = QLabel("0")
        self.value.setObjectName("statValue")
        self.detail = QLabel("")
        self.detail.setObjectName("muted")
        self.detail.setWordWrap(True)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(18, 14, 18, 14)
        lay.setSpacing(2)
        lay.addWidget(self.caption)
        lay.addWidget(self.value)
        lay.addWidget(self.detail)
        lay.addStretch(1)

    def set(self, value: int, detail: str = "") -> None:
        self.value.setText(str(value))
        self.detail.setText(detail)


class HomePage(QWidget):
    def __init__(self, ctx: Context, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("homePage")

        self.office_name = QLabel()
        self.office_name.setObjectName("officeName")
        self.office_line = QLabel()
        self.office_line.setObjectName("muted")
        self.demo_badge = QLabel("演示数据：人员均为虚构，仅供试用")
        self.demo_badge.setObjectName("demoBadge")
        office_row = QHBoxLayout()
        office_row.addWidget(self.office_name)
        office_row.addStretch(1)
        office_row.addWidget(self.demo_badge, 0, Qt.AlignmentFlag.AlignVCenter)
        office_box = QWidget()
        office_lay = QVBoxLayout(office_box)
        office_lay.setContentsMargins(0, 0, 0, 0)
        office_lay.addLayout(office_row)
        office_lay.addWidget(self.office_line)

        self.deputies_tile = StatTile("在任代表")
        self.villages_tile = StatTile("村(社区)")
        self.points_tile = StatTile("联系站点")
        self.others_tile = StatTile("暂停或终止履职的代表")
        tiles = QGridLayout()
        tiles.setSpacing(12)
        for i, t in enumerate((self.deputies_tile, self.villages_tile, self.points_tile, self.others_tile)):
            tiles.addWidget(t, 0, i)

        self.levels_title = widgets.heading("在任代表（按层级）", level=2)
        self.levels_grid = QGridLayout()
        self.levels_grid.setHorizontalSpacing(24)
        levels_box = QWidget()
        levels_box.setLayout(self.levels_grid)
        self.level_labels: dict[str, QLabel] = {}
        for row, (key, label) in enumerate(reversed(LEVELS.items())):  # 乡镇 first
            name = QLabel(label)
            value = QLabel("0 名")
            value.setObjectName("levelCount")
            self.levels_grid.addWidget(name, row, 0)
            self.levels_grid.addWidget(value, row, 1, Qt.AlignmentFlag.AlignRight)
            self.level_labels[key] = value
        self.levels_grid.setColumnStretch(2, 1)
        levels_note = QLabel("同一名代表可兼任多级人大代表，按每个层级分别计数。")
        levels_note.setObjectName("muted")

        self.where_title = widgets.heading("数据保存位置", level=2)
        self.where_label = QLabel()
        self.where_label.setWordWrap(True)
        self.where_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.open_button = QPushButton("打开数据文件夹")
        self.open_button.clicked.connect(lambda: widgets.open_folder(self.ctx.data_dir))
        where_row = QHBoxLayout()
        where_row.addWidget(self.where_label, 1)
        where_row.addWidget(self.open_button)
        where_box = QWidget()
        where_box.setLayout(where_row)
        where_row.setContentsMargins(0, 0, 0, 0)

        body = QWidget()
        lay = QVBoxLayout(body)
        lay.setContentsMargins(0, 0, 8, 0)
        lay.setSpacing(14)
        lay.addWidget(_card(office_box))
        lay.addLayout(tiles)
        self.visit_summary = VisitSummaryCard(ctx, fill=False)  # 接待与督办 figures, each opens its list (issue 3)
        lay.addWidget(self.visit_summary)
        lay.addWidget(_card(self.levels_title, levels_box, levels_note))
        lay.addWidget(_card(self.where_title, where_box))
        lay.addStretch(1)
        scroll = QScrollArea()
        scroll.setObjectName("pageScroll")
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(body)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)
        self.refresh()
        self._just_filled = True  # the window activates a page right after building it: not twice

    def initial_focus(self) -> QWidget:
        return self.open_button

    def on_activated(self) -> None:
        if self._just_filled:
            self._just_filled = False
            return
        self.refresh()

    def refresh(self) -> tasks.TaskHandle:
        """Count on the database worker; the tiles change when the figures are back."""
        ctx = self.ctx
        office = ctx.office
        if office is not None:
            self.office_name.setText(office.name)
            self.office_line.setText(f"{office.role_label} · 统计用区划代码 {office.code}")
            self.demo_badge.setVisible(office.demo)
        self.where_label.setText(f"数据文件：{ctx.db_path}")
        self.visit_summary.refresh()
        self.last_task = operations.db_op(self, lambda: _figures(ctx), self._show, title="正在统计")
        return self.last_task

    def _show(self, f: HomeFigures) -> None:
        active = f.status.get(IN_OFFICE, 0)
        self.deputies_tile.set(active, f"全部代表 {sum(f.status.values())} 名")
        for key, label in self.level_labels.items():
            label.setText(f"{f.by_level.get(key, 0)} 名")
        self.villages_tile.set(f.villages, "，".join(f"{k} {n} 个" for k, n in sorted(f.village_kinds.items())))
        self.points_tile.set(f.points, "，".join(f"{k} {n}" for k, n in f.point_kinds.items()))
        paused, ended = f.status.get(DeputyStatus.SUSPENDED, 0), f.status.get(DeputyStatus.ENDED, 0)
        self.others_tile.set(paused + ended, f"暂停 {paused} 名，终止 {ended} 名")


@dataclass(frozen=True)
class HomeFigures:
    status: dict[str, int]
    by_level: dict[str, int]
    villages: int
    village_kinds: dict[str, int]
    points: int
    point_kinds: dict[str, int]


def _figures(ctx: Context) -> HomeFigures:
    """Runs on the database worker."""
    status = dep_svc.status_counts(ctx)
    by_level = {key: dep_svc.count_deputies(ctx, dep_svc.DeputyQuery(level=key, status=IN_OFFICE))
                for key in LEVELS} if status.get(IN_OFFICE, 0) else {}
    villages = vil_svc.list_villages(ctx)
    points = cp_svc.list_contact_points(ctx)
    return HomeFigures(status, by_level, len(villages), dict(Counter(v.kind for v in villages)),
                       len(points), dict(Counter(p.kind for p in points)))
