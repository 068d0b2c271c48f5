"""Application start: QApplication set up once (font, translations, style, icon, logging, excepthook),
then the data folder is opened, the first-start dialog shown if needed, and the main window.

Start-up order (measured by tests/bench/bench_startup.py and bench_frozen_startup.py): only what the
first frame needs runs before the window is shown. Nothing on that path touches the ``Qt`` namespace
(PySide builds its ~90 enum classes, ~12 ms, on first access), importlib.resources or the core."""

from __future__ import annotations

import logging
import os
import sys
import time
from pathlib import Path

from PySide6.QtCore import QEvent, QLibraryInfo, QLocale, QObject, QTimer, QTranslator
from PySide6.QtGui import QFont, QFontDatabase, QIcon
from PySide6.QtWidgets import QApplication, QWidget

import resources
from congress_desktop import APP_ID, APP_NAME, __version__
from congress_desktop.core import paths
from congress_desktop.core.errors import CongressError

log = logging.getLogger(__name__)
REPORT = os.environ.get("CONGRESS_REPORT_SHOWN") == "1"  # start-up benchmarks: print marks, then quit

BUNDLED_FONT = "wqy-microhei.ttc"
# System fonts preferred over the bundled one (they hint better on Windows); the first found wins.
PREFERRED_FAMILIES = ("Microsoft YaHei UI", "Microsoft YaHei", "PingFang SC", "Noto Sans CJK SC",
                      "Source Han Sans SC")
FONT_POINT_SIZE = 10


def load_bundled_font() -> list[str]:
    """Register the bundled CJK font with Qt; returns its family names ([] if it could not be loaded)."""
    path = resources.path("fonts", BUNDLED_FONT)
    font_id = QFontDatabase.addApplicationFont(str(path))
    if font_id < 0:
        log.warning("could not load the bundled font %s", path)
        return []
    return list(QFontDatabase.applicationFontFamilies(font_id))


def system_ui_family() -> str | None:
    """The first of PREFERRED_FAMILIES this PC has (every Windows 10/11 has Microsoft YaHei)."""
    available = set(QFontDatabase.families())
    return next((f for f in PREFERRED_FAMILIES if f in available), None)


def choose_ui_font(bundled: list[str], primary: str | None = None) -> QFont:
    """The application font: a system Chinese UI font if present, else the bundled one; the bundled
    family is always in the fallback list so no 汉字 shows as a box."""
    primary = primary or system_ui_family()
    fallback = [f for f in bundled if "Mono" not in f] or bundled
    families = ([primary] if primary else []) + fallback
    font = QFont(QApplication.font())
    if families:
        font.setFamilies(families)
    if primary and fallback:
        QFont.insertSubstitutions(primary, fallback)
    font.setPointSize(FONT_POINT_SIZE)
    return font


def install_translations(app: QApplication) -> bool:
    """Qt's own strings (确定, 取消, 复制 ...) in Chinese."""
    translator = QTranslator(app)
    folder = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    ok = translator.load("qtbase_zh_CN", folder)
    if ok:
        app.installTranslator(translator)
        app._congress_translator = translator  # keep a reference
    else:
        log.warning("qtbase_zh_CN not found in %s", folder)
    return ok


def load_stylesheet() -> str:
    try:
        return resources.path("styles", "app.qss").read_text(encoding="utf-8")
    except OSError:
        log.warning("style sheet not found")
        return ""


def app_icon() -> QIcon:
    icon = QIcon()
    for name in ("app.png", "app.ico"):
        p = resources.path("icons", name)
        if p.is_file():
            icon.addFile(str(p))
            break
    return icon


def create_application(argv: list[str] | None = None, *, defer_bundled_font: bool = False) -> QApplication:
    """The QApplication, set up once (reused if one exists, e.g. under pytest-qt).

    ``defer_bundled_font``: when the PC has a Chinese UI font of its own, the bundled font (a 5 MB
    file, ~6 ms to register) is left for ``load_deferred_font`` after the first paint; it is then
    only the fallback for rare characters. Without a system Chinese font it is loaded here, so the
    first frame never shows boxes. (High-DPI: Qt 6 already passes fractional scale factors through.)"""
    app = QApplication.instance()
    if app is None:
        # Fusion: the same look on every Windows version and on Linux desktops. Asked for on the
        # command line, Qt makes it instead of the platform's style (setStyle() afterwards costs ~5 ms).
        app = QApplication([sys.argv[0] if sys.argv else APP_ID, "-style", "fusion", *(argv or [])])
    if getattr(app, "_congress_ready", False):
        return app
    app.setOrganizationName(APP_ID)
    app.setApplicationName(APP_ID)
    app.setApplicationVersion(__version__)
    QLocale.setDefault(QLocale(QLocale.Language.Chinese, QLocale.Country.China))
    install_translations(app)
    primary = system_ui_family()
    app._congress_font_pending = bool(defer_bundled_font and primary)
    app._congress_font_families = [] if app._congress_font_pending else load_bundled_font()
    app.setFont(choose_ui_font(app._congress_font_families, primary))
    if app.style().name() != "fusion":  # a QApplication made elsewhere (tests)
        app.setStyle("Fusion")
    app.setStyleSheet(load_stylesheet())
    app.setWindowIcon(app_icon())
    app._congress_ready = True
    return app


def load_deferred_font(app: QApplication) -> None:
    """Register the bundled font left out by ``create_application(defer_bundled_font=True)`` and put it
    in the application font's fallback list."""
    if not getattr(app, "_congress_font_pending", False):
        return
    app._congress_font_pending = False
    app._congress_font_families = load_bundled_font()
    if app._congress_font_families:
        app.setFont(choose_ui_font(app._congress_font_families))


def _install_excepthook() -> None:
    showing = False

    def hook(exc_type, exc, tb):
        nonlocal showing
        if issubclass(exc_type, KeyboardInterrupt):
            sys.__excepthook__(exc_type, exc, tb)
            return
        if exc.__traceback__ is None:
            exc = exc.with_traceback(tb)
        if showing:  # an error while showing an error: log only
            log.error("unexpected error", exc_info=(exc_type, exc, tb))
            return
        showing = True
        try:
            from ui import errors  # loaded on first use: not on the start-up path

            errors.show_error(QApplication.activeWindow(), exc)
        finally:
            showing = False

    sys.excepthook = hook


class _ShownReporter(QObject):
    """For the start-up benchmarks: print the wall-clock time of the window's first show event
    (SHOWN) and of its first paint (PAINTED: the shell drawn, navigation and all)."""

    def __init__(self, parent: QObject):
        super().__init__(parent)
        self.shown = False

    def eventFilter(self, obj, event) -> bool:
        kind = event.type()
        if kind == QEvent.Type.Show and not self.shown:
            self.shown = True
            _print_mark("SHOWN")
        elif kind == QEvent.Type.Paint and self.shown:
            _print_mark("PAINTED")
            obj.removeEventFilter(self)
        return False


def _print_mark(mark: str) -> None:
    if sys.stdout is not None:
        print(f"{mark} {time.time():.6f} {time.process_time():.6f}", flush=True)


def phase(name: str) -> None:
    """With CONGRESS_REPORT_SHOWN=1: ``PHASE <name> <wall-clock time>``, to see where start-up goes
    (tests/bench/startup_phases.py)."""
    if REPORT and sys.stdout is not None:
        print(f"PHASE {name} {time.time():.6f}", flush=True)


def _report_first_show(window: QWidget) -> None:
    window.installEventFilter(_ShownReporter(window))


def _start_logging(folder: Path) -> None:
    from congress_desktop.core.logsetup import setup_logging

    try:
        setup_logging(paths.log_dir(folder), console=sys.stderr is not None)
    except OSError:
        pass  # opening the data folder says clearly what is wrong with it


def run_gui(data_dir: str | Path | None = None, *, demo: bool = False) -> int:
    """Open the data folder and run the window until it closes; returns the exit code.

    The window shell is shown first; the core (SQLAlchemy, the database, migrations) loads right
    after, so the user sees the program at once on a slow office PC."""
    phase("ui.app imported")
    from ui.main_window import MainWindow

    phase("ui.main_window imported")
    folder = paths.data_dir(data_dir)
    app = create_application(defer_bundled_font=True)
    phase("application created")
    _install_excepthook()
    from ui.single_instance import SingleInstance, bring_to_front

    instance = SingleInstance()
    if not instance.start(listen=False):  # another copy of this user's runs: asked to show its window
        _start_logging(folder)
        log.info("another copy is running; exiting")
        return 0
    phase("single-instance lock taken")
    app._congress_instance = instance
    report = REPORT
    window = MainWindow(None, data_dir=folder, shell_only=True)
    phase("window built")
    if report:
        _report_first_show(window)
    window.show()
    app.processEvents()  # paint the shell before the core loads
    window.finish_shell()  # menus, shortcuts, tooltips: the user cannot reach them sooner anyway
    load_deferred_font(app)
    _start_logging(folder)  # logging.handlers costs ~7 ms: after the paint
    log.info("%s starting, data folder %s", APP_NAME, folder)
    instance.activated.connect(lambda: bring_to_front(window))
    instance.listen()  # from now on a second start brings this window forward

    from ui import data_safety, first_start, tasks

    # refuses a network share or a stick (offers to copy the data here), never opens a damaged file
    # silently (offers the newest good backup): ui/data_safety.py
    phase("first paint done, logging started")
    ctx = data_safety.open_context(folder, window)
    phase("database open")
    if ctx is None:
        instance.close()
        return 1
    maintenance = data_safety.StartupMaintenance(ctx)
    try:
        if ctx.office is None:
            if demo:
                from congress_desktop.demo import create_demo

                create_demo(ctx)
                log.info("demo data created in %s", folder)
            elif not first_start.ask(ctx, window):
                log.info("first start cancelled")
                return 0
        window.attach(ctx)
        app._congress_main_window = window
        if not report:  # the daily backup, in the background once the window is up
            maintenance.done.connect(lambda result: data_safety.handle_maintenance_result(window, result))
            QTimer.singleShot(1500, maintenance.start)
        if report:
            _print_mark("READY")
            QTimer.singleShot(0, app.quit)
        code = app.exec()
        maintenance.stop()
        tasks.shutdown()
        return code
    except CongressError as e:
        from ui import errors

        errors.show_error(window, e)
        return 1
    finally:
        ctx.close()
        instance.close()
