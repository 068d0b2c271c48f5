"""The main window: navigation on the left, one page per area, office and data file in the status bar.

Pages are registered in ``PAGES`` and built the first time they are shown (``factory(ctx, parent)``).
Areas another module provides are imported lazily; while that module does not exist the area shows
the honest placeholder. A page may offer ``on_activated()`` and ``initial_focus()`` (see
``ui.pages``); it reaches the window through ``widgets.show_status(self, text)``.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

# Only what the first frame needs is imported here: the window is built before its first paint, and
# every class or enum namespace PySide meets costs start-up time (the ``Qt`` namespace alone ~12 ms;
# see ui/app.py). Menus, shortcuts and tooltips are added by finish_shell() after the first paint.
from PySide6.QtCore import QSettings, QSize
from PySide6.QtGui import QCloseEvent, QFont
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from congress_desktop import APP_NAME, __version__
from ui import badges

if TYPE_CHECKING:  # the core (SQLAlchemy) loads after the window is on screen: see ui.app.run_gui
    from congress_desktop.core.context import Context

log = logging.getLogger(__name__)

PageFactory = Callable[["Context", QWidget], QWidget]


class PageSpec(NamedTuple):
    key: str
    title: str
    badge: str          # the character on the navigation icon
    purpose: str        # one line: what the area is for (also the placeholder's text)
    factory: PageFactory | None = None   # None: placeholder 「此功能正在开发中」

    def build(self, ctx: Context, parent: QWidget) -> QWidget:
        if self.factory is None:
            from ui.pages.placeholder import PlaceholderPage

            return PlaceholderPage(self.title, self.purpose, parent)
        return self.factory(ctx, parent)


def external_page(module: str, cls: str, title: str, purpose: str) -> PageFactory:
    """A page from another module, imported when first shown; placeholder while the module is absent."""

    def make(ctx: Context, parent: QWidget) -> QWidget:
        try:
            mod = importlib.import_module(module)
        except ModuleNotFoundError as e:
            if e.name != module:
                raise
            log.info("page module %s not present: placeholder", module)
            from ui.pages.placeholder import PlaceholderPage

            return PlaceholderPage(title, purpose, parent)
        return getattr(mod, cls)(ctx, parent)

    return make


def _home(ctx: Context, parent: QWidget) -> QWidget:
    from ui.pages.home import HomePage

    return HomePage(ctx, parent)


def _settings(ctx: Context, parent: QWidget) -> QWidget:
    from ui.pages.settings import SettingsPage

    return SettingsPage(ctx, parent)


def _spec(key, title, badge, purpose, factory=None, module=None, cls=None) -> PageSpec:
    if module:
        factory = external_page(module, cls, title, purpose)
    return PageSpec(key, title, badge, purpose, factory)


PAGES: list[PageSpec] = [
    _spec("home", "首页", "首", "本单位概况：代表、村(社区)和联系站点的数量，数据保存位置。", _home),
    _spec("deputies", "代表", "代", "代表名册：查找、录入、导入导出和打印。",
          module="ui.pages.deputies", cls="DeputiesPage"),
    _spec("villages", "村(社区)", "村", "本镇各村(社区)的区划代码、户数、人口和在任代表。",
          module="ui.pages.villages", cls="VillagesPage"),
    _spec("contact_points", "联系站点", "站", "代表之家、代表联络站和代表联系点，以及进站代表。",
          module="ui.pages.contact_points", cls="ContactPointsPage"),
    _spec("visits", "联系点接待", "接", "登记代表进站接待群众的时间、代表、群众意见和办理去向。",
          module="ui.pages.visits", cls="VisitsPage"),
    _spec("grids", "网格", "网", "网格化履职：代表入格、入格名册和检查，打印名册和代表公示牌。",
          module="ui.pages.grids", cls="GridsPage"),
    _spec("votes", "票决", "票", "民生实事项目票决和满意度测评：打印选票、录入、计票和公布结果。",
          module="ui.pages.votes", cls="VotesPage"),
    _spec("opinions", "建议督办", "督", "代表建议和群众意见的交办、督办、答复和满意度评价。",
          module="ui.pages.opinions", cls="OpinionsPage"),
    _spec("duty", "履职考评", "评", "代表履职记录、培训、履职积分考评和选民测评，打印履职档案和履职情况通报。",
          module="ui.pages.duty", cls="DutyPage"),
    _spec("sync", "同步", "同", "用 U 盘与市人大交换加密数据包，上报本镇数据、接收市人大下发的名册和模板。",
          module="ui.pages.sync", cls="SyncPage"),
    _spec("settings", "设置", "设", "本单位信息、数据和日志文件夹、程序版本。", _settings),
]

class MainWindow(QMainWindow):
    """``MainWindow(ctx)``; ``show_page(key or index)``, ``status(text)``, ``page(key)``."""

    def __init__(self, ctx: Context | None, parent: QWidget | None = None, *,
                 pages: list[PageSpec] | None = None, settings: QSettings | None = None,
                 data_dir: str | Path | None = None, shell_only: bool = False):
        """With ``ctx=None`` the window is a shell (navigation, 「正在打开数据…」) shown at once while
        the core loads; ``attach(ctx)`` fills it in. ``shell_only=True`` leaves the menus, shortcuts
        and navigation tooltips to ``finish_shell()``, which the start-up calls after the first paint."""
        super().__init__(parent)
        self.ctx: Context | None = None
        self.specs = list(pages if pages is not None else PAGES)
        self._pages: dict[str, QWidget] = {}
        self._help = None  # ui.help.HelpDialog, made on first F1
        self._finished = False
        folder = Path(ctx.data_dir if ctx is not None else data_dir or ".")
        self.settings = settings or QSettings(str(folder / "window.ini"), QSettings.Format.IniFormat)
        self.setObjectName("mainWindow")
        self.setWindowTitle(APP_NAME)
        self.setMinimumSize(760, 480)  # small laptops at 150 % scaling

        # -- navigation (icons and text now; tooltips and scroll policy in finish_shell)
        self.nav = QListWidget()
        self.nav.setObjectName("navList")
        self.nav.setIconSize(QSize(24, 24))
        self.nav.setUniformItemSizes(True)
        self.nav.setFrameShape(QFrame.Shape.NoFrame)
        for spec in self.specs:
            item = QListWidgetItem(badges.nav_icon(spec.key, spec.badge), spec.title)
            item.setSizeHint(QSize(0, 42))
            self.nav.addItem(item)
        brand = QLabel(APP_NAME)
        brand.setObjectName("brand")
        side = QFrame()
        side.setObjectName("sidebar")
        side.setFixedWidth(188)
        side_lay = QVBoxLayout(side)
        side_lay.setContentsMargins(8, 14, 8, 8)
        side_lay.setSpacing(8)
        side_lay.addWidget(brand)
        side_lay.addWidget(self.nav, 1)

        # -- pages
        self.page_title = QLabel("")  # as widgets.heading(): styled by its object name, larger bold font
        self.page_title.setObjectName("pageTitle")
        title_font = QFont(self.page_title.font())
        title_font.setPointSizeF(title_font.pointSizeF() * 1.6)
        title_font.setBold(True)
        self.page_title.setFont(title_font)
        self.stack = QStackedWidget()
        self.stack.setObjectName("pageStack")
        content = QFrame()
        content.setObjectName("content")
        content_lay = QVBoxLayout(content)
        content_lay.setContentsMargins(24, 16, 24, 16)
        content_lay.setSpacing(12)
        content_lay.addWidget(self.page_title)
        content_lay.addWidget(self.stack, 1)

        central = QWidget()
        row = QHBoxLayout(central)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(0)
        row.addWidget(side)
        row.addWidget(content, 1)
        self.setCentralWidget(central)

        # -- status bar: office and data file, always
        self.office_label = QLabel("")
        self.office_label.setObjectName("statusOffice")
        self.data_label = QLabel("正在打开数据…")
        self.data_label.setObjectName("statusData")
        self.statusBar().addPermanentWidget(self.office_label)
        self.statusBar().addPermanentWidget(self.data_label)
        self.file_menu = self.menuBar().addMenu("文件(&F)")  # titles now, so the menu bar is drawn at once
        self.help_menu = self.menuBar().addMenu("帮助(&H)")

        self.nav.currentRowChanged.connect(self._on_row)
        self._restore()
        self.nav.setEnabled(False)
        if not shell_only:
            self.finish_shell()
        if ctx is not None:
            self.attach(ctx)

    def finish_shell(self) -> None:
        """Menus, keyboard shortcuts and navigation tooltips (idempotent)."""
        if self._finished:
            return
        self._finished = True
        from PySide6.QtCore import Qt
        from PySide6.QtGui import QKeySequence, QShortcut


        self.nav.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        for i, spec in enumerate(self.specs):
            item = self.nav.item(i)
            item.setData(Qt.ItemDataRole.UserRole, spec.key)
            shortcut = self._shortcut_text(i)
            item.setToolTip(f"{spec.purpose}（{shortcut}）" if shortcut else spec.purpose)
        self._build_menus()
        for i in range(min(len(self.specs), 10)):
            sc = QShortcut(QKeySequence(self._shortcut_text(i)), self)
            sc.activated.connect(lambda i=i: self.show_page(i, focus=True))
        self.nav.itemActivated.connect(lambda _item: self._focus_page())

    def attach(self, ctx: Context) -> None:
        """Fill the shell in once the data folder is open: title, status bar, first page."""
        self.finish_shell()
        self.ctx = ctx
        office = ctx.require_office()
        self.setWindowTitle(f"{APP_NAME} — {office.name}")
        self.office_label.setText(office.name + ("（演示数据）" if office.demo else ""))
        self.data_label.setText(f"数据文件：{ctx.db_path}")
        self.data_label.setToolTip(str(ctx.db_path))
        self.nav.setEnabled(True)
        self.show_page(0)

    def reload_pages(self) -> None:
        """Rebuild every page from the database (after a backup was restored), staying on the same page."""
        key = self.current_key()
        for widget in self._pages.values():
            self.stack.removeWidget(widget)
            widget.deleteLater()
        self._pages.clear()
        if self.ctx is not None:
            self.attach(self.ctx)
        if key:
            self.show_page(key)

    # ------------------------------------------------------------ public
    def status(self, text: str, timeout_ms: int = 6000) -> None:
        """A short message in the status bar (pages: ``widgets.show_status(self, text)``)."""
        self.statusBar().showMessage(text, timeout_ms)

    def page_keys(self) -> list[str]:
        return [s.key for s in self.specs]

    def current_key(self) -> str:
        row = self.nav.currentRow()
        return self.specs[row].key if 0 <= row < len(self.specs) else ""

    def page(self, key: str) -> QWidget:
        """The page widget for ``key``, built if needed (not shown)."""
        if key not in self._pages:
            spec = self.specs[self.page_keys().index(key)]
            try:
                widget = spec.build(self.ctx, self.stack)
            except Exception:
                log.exception("could not build page %s", key)
                from ui.pages.placeholder import PlaceholderPage

                widget = PlaceholderPage(spec.title, "详细信息已写入日志。", self.stack,
                                         notice="此页面暂时无法打开")
                widget.setProperty("broken", True)
            self._pages[key] = widget
            self.stack.addWidget(widget)
        return self._pages[key]

    def show_page(self, which: str | int, *, focus: bool = False) -> QWidget:
        row = which if isinstance(which, int) else self.page_keys().index(which)
        if self.nav.currentRow() != row:
            self.nav.setCurrentRow(row)  # -> _on_row
        else:
            self._on_row(row)
        if focus:
            self._focus_page()
        return self.stack.currentWidget()

    def show_help(self) -> None:
        if self._help is None:
            from ui.help import HelpDialog

            self._help = HelpDialog(self)
        self._help.show()
        self._help.raise_()
        self._help.activateWindow()

    def show_about(self) -> None:
        from PySide6.QtWidgets import QMessageBox

        from ui import widgets

        office = self.ctx.office if self.ctx is not None else None
        box = QMessageBox(self)
        box.setWindowTitle(f"关于{APP_NAME}")
        box.setIconPixmap(self.windowIcon().pixmap(64, 64))
        box.setText(f"<h3>{APP_NAME}</h3><p>版本 {__version__}</p>")
        box.setInformativeText(
            "供乡镇（街道）人大和市人大常委会使用的离线桌面程序：代表名册、联系站点、票决测评和数据同步。"
            "<br>全部数据保存在本机，不联网。"
            f"<br><br>本单位：{office.name if office else ''}"
            "<br><br>界面基于 Qt for Python（PySide6，LGPL v3）；中文字体为文泉驿微米黑（Apache-2.0）。")
        box.setStandardButtons(QMessageBox.StandardButton.Ok)
        widgets.exec_modal(box)

    # ------------------------------------------------------------ internals
    @staticmethod
    def _shortcut_text(index: int) -> str:
        if index < 9:
            return f"Ctrl+{index + 1}"
        return "Ctrl+0" if index == 9 else ""

    def _build_menus(self) -> None:
        from PySide6.QtCore import Qt
        from PySide6.QtGui import QAction, QKeySequence

        from ui import widgets

        file_menu = self.file_menu
        open_data = QAction("打开数据文件夹(&O)", self)
        open_data.triggered.connect(lambda: self.ctx and widgets.open_folder(self.ctx.data_dir))
        file_menu.addAction(open_data)
        file_menu.addSeparator()
        quit_action = QAction("退出(&X)", self)
        quit_action.setShortcut(QKeySequence("Ctrl+Q"))
        quit_action.setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)
        quit_action.triggered.connect(self.close)
        file_menu.addAction(quit_action)
        self.quit_action = quit_action

        help_menu = self.help_menu
        help_action = QAction("使用说明(&H)", self)
        help_action.setShortcut(QKeySequence(Qt.Key.Key_F1))
        help_action.triggered.connect(self.show_help)
        help_menu.addAction(help_action)
        self.help_action = help_action
        about = QAction(f"关于{APP_NAME}(&A)", self)
        about.triggered.connect(self.show_about)
        help_menu.addAction(about)

    def _on_row(self, row: int) -> None:
        if self.ctx is None or not 0 <= row < len(self.specs):
            return
        spec = self.specs[row]
        widget = self.page(spec.key)
        self.stack.setCurrentWidget(widget)
        self.page_title.setText(spec.title)
        hook = getattr(widget, "on_activated", None)
        if callable(hook):
            try:
                hook()
            except Exception as e:  # a page that cannot refresh still leaves the window usable
                from ui.errors import show_error

                show_error(self, e)

    def _focus_page(self) -> None:
        from PySide6.QtCore import Qt

        from ui import widgets

        widget = self.stack.currentWidget()
        if widget is not None and not widgets.focus_first_child(widget):
            self.stack.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def _restore(self) -> None:
        geometry = self.settings.value("main/geometry")
        if geometry is not None and self.restoreGeometry(geometry):
            return
        self.resize(1280, 800)

    def save_settings(self) -> None:
        self.settings.setValue("main/geometry", self.saveGeometry())
        self.settings.sync()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.save_settings()
        if self._help is not None:
            self._help.close()
        super().closeEvent(event)
