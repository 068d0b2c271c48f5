"""One running copy per user: a second start brings the first window forward and exits.

The first copy takes a lock file (QLockFile: a crashed copy's lock is recognised as stale by its
process id) and listens on a local socket (QLocalServer: a named pipe on Windows, a Unix socket
elsewhere); both names are per user, so two people logged in to one PC each get their own copy. A
later copy finds the lock taken, connects and sends ``activate``; the first copy raises its window.

    instance = SingleInstance()
    if not instance.start():          # another copy runs and was asked to come forward
        return 0
    instance.activated.connect(lambda: bring_to_front(window))
"""

from __future__ import annotations

import getpass
import logging
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

# QtCore only (no hashlib, no Qt namespace, no QtNetwork): this runs before the window's first paint.
from PySide6.QtCore import QCryptographicHash, QDir, QLockFile, QObject, Signal

if TYPE_CHECKING:
    from PySide6.QtWidgets import QWidget

from congress_desktop import APP_ID

log = logging.getLogger(__name__)

KEY_ENV = "CONGRESS_INSTANCE_KEY"  # tests give each run its own key
MESSAGE = b"activate\n"


def instance_key() -> str:
    """congress-desktop-<hash of the user>: the same for every start by this user, different for others."""
    if os.environ.get(KEY_ENV):
        return os.environ[KEY_ENV]
    try:
        user = getpass.getuser()
    except Exception:  # no user name on some locked-down PCs: the home folder still tells users apart
        user = ""
    raw = QCryptographicHash.hash(f"{user}|{Path.home()}".encode(), QCryptographicHash.Algorithm.Sha256)
    digest = bytes(raw.toHex().data()).decode()[:16]  # the same as hashlib.sha256(...).hexdigest()[:16]
    return f"{APP_ID}-{digest}"


def _allow_foreground() -> None:
    """Windows lets only the foreground process give the focus away: we were just started by the user,
    so we may let the first copy take it (otherwise its taskbar button only flashes)."""
    if sys.platform == "win32":
        try:
            import ctypes

            ctypes.windll.user32.AllowSetForegroundWindow(-1)  # type: ignore[attr-defined]  # ASFW_ANY
        except Exception:
            log.debug("AllowSetForegroundWindow failed", exc_info=True)


def bring_to_front(window: QWidget) -> None:
    from PySide6.QtCore import Qt

    if window.isMinimized():
        window.setWindowState(window.windowState() & ~Qt.WindowState.WindowMinimized)
    window.show()
    window.raise_()
    window.activateWindow()


class SingleInstance(QObject):
    """``start()`` True: this is the first copy (``activated`` fires when another start asks);
    False: another copy runs and has been asked to show its window."""

    activated = Signal()

    def __init__(self, key: str | None = None, parent: QObject | None = None):
        super().__init__(parent)
        self.key = key or instance_key()
        self.lock_path = Path(QDir.tempPath()) / f"{self.key}.lock"
        self._lock: QLockFile | None = None
        self._server = None   # QLocalServer once listening
        self._sockets: list = []  # QLocalSocket connections of later starts
        self.primary = False

    def start(self, timeout_ms: int = 3000, *, listen: bool = True) -> bool:
        """``listen=False``: only take the lock now and call ``listen()`` later (the application does so
        once its window is up: QtNetwork is not loaded before the first paint; a second start in
        between retries until the first copy listens)."""
        lock = QLockFile(str(self.lock_path))
        lock.setStaleLockTime(0)  # stale only when its process is gone, never by age
        if lock.tryLock(0):
            self._lock = lock
            self.primary = True
            if listen:
                self.listen()
            return True
        log.info("another copy holds %s (error %s): asking it to come forward", self.lock_path, lock.error())
        if not self.notify(timeout_ms):
            log.warning("the running copy did not answer; exiting anyway")
        return False

    def listen(self) -> None:
        from PySide6.QtNetwork import QLocalServer

        if self._server is not None or not self.primary:
            return
        QLocalServer.removeServer(self.key)  # a socket file left behind by a copy that crashed (Unix)
        server = QLocalServer(self)
        server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        server.newConnection.connect(self._on_connection)
        if not server.listen(self.key):
            log.warning("cannot listen on %s: %s; a second start will not find this window",
                        self.key, server.errorString())
        self._server = server

    def notify(self, timeout_ms: int = 3000) -> bool:
        """Ask the first copy to show its window; True when the message was delivered."""
        from PySide6.QtNetwork import QLocalSocket

        _allow_foreground()
        socket = QLocalSocket()
        waited = 0
        while True:
            socket.connectToServer(self.key)
            if socket.waitForConnected(min(500, timeout_ms)):
                break
            waited += 500
            if waited >= timeout_ms:  # the first copy may be between taking its lock and listening
                return False
            socket.abort()
        socket.write(MESSAGE)
        ok = socket.waitForBytesWritten(timeout_ms)
        socket.disconnectFromServer()
        if socket.state() != QLocalSocket.LocalSocketState.UnconnectedState:
            socket.waitForDisconnected(500)
        return ok

    def _on_connection(self) -> None:
        while self._server is not None and self._server.hasPendingConnections():
            sock = self._server.nextPendingConnection()
            self._sockets.append(sock)
            sock.readyRead.connect(lambda s=sock: self._read(s))
            sock.disconnected.connect(lambda s=sock: self._drop(s))
            if sock.bytesAvailable():
                self._read(sock)

    def _read(self, sock) -> None:
        data = bytes(sock.readAll().data())
        if MESSAGE.strip() in data:
            log.info("another start asked for this window: bringing it to the front")
            self.activated.emit()

    def _drop(self, sock) -> None:
        if sock in self._sockets:
            self._sockets.remove(sock)
        sock.deleteLater()

    def close(self) -> None:
        # sockets first, their signals cut: a socket destroyed with its server would still signal
        for sock in self._sockets:
            try:
                sock.readyRead.disconnect()
                sock.disconnected.disconnect()
            except (RuntimeError, TypeError):
                pass
            sock.abort()
            sock.deleteLater()
        self._sockets.clear()
        if self._server is not None:
            self._server.close()
            self._server.deleteLater()
            self._server = None
        if self._lock is not None:
            self._lock.unlock()
            self._lock = None
        self.primary = False
