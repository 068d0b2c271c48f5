"""One rotating UTF-8 log file in the data folder; a console handler only when a console exists."""

from __future__ import annotations

import logging
import logging.handlers
import sys
from pathlib import Path

_configured: Path | None = None


class _LogFile(logging.handlers.RotatingFileHandler):
    """A log line that cannot be written (the disk is full, the folder became read-only) is dropped:
    logging's default prints a traceback to the console, where the user should see only our message."""

    def handleError(self, record: logging.LogRecord) -> None:
        pass


def quiet_without_log_file() -> None:
    """When the log file cannot be opened: keep warnings off the console (Python's last-resort
    handler would print them there, in English), the command's own message says what matters."""
    root = logging.getLogger()
    if not root.handlers:
        root.addHandler(logging.NullHandler())


def setup_logging(folder: Path, *, console: bool = False) -> Path:
    global _configured
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "congress-desktop.log"
    if _configured == path:
        return path
    root = logging.getLogger()
    for h in list(root.handlers):
        if getattr(h, "_congress", False):
            root.removeHandler(h)
            h.close()
    handler = _LogFile(path, maxBytes=2_000_000, backupCount=5, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler._congress = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    # A windowed Windows build has sys.stderr = None: never assume a console.
    if console and sys.stderr is not None:
        ch = logging.StreamHandler(sys.stderr)
        ch.setLevel(logging.WARNING)
        ch._congress = True  # type: ignore[attr-defined]
        root.addHandler(ch)
    root.setLevel(logging.INFO)
    _configured = path
    return path
