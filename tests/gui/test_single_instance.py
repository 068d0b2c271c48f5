"""One running copy per user: a second start brings the first window forward and exits."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from PySide6.QtWidgets import QMainWindow

from ui.single_instance import SingleInstance, bring_to_front

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def key() -> str:
    return f"congress-desktop-test-{uuid.uuid4().hex[:12]}"


def test_a_second_start_is_refused_and_wakes_the_first(qtbot, key):
    first = SingleInstance(key)
    assert first.start() is True
    try:
        with qtbot.waitSignal(first.activated, timeout=5000):
            assert SingleInstance(key).start() is False
    finally:
        first.close()
    later = SingleInstance(key)  # the first copy has quit: the next start runs normally
    assert later.start() is True
    later.close()


def test_other_users_have_their_own_copy(qtbot, key, monkeypatch):
    import getpass

    from ui import single_instance

    monkeypatch.delenv(single_instance.KEY_ENV, raising=False)
    monkeypatch.setattr(getpass, "getuser", lambda: "zhang")
    mine = single_instance.instance_key()
    monkeypatch.setattr(getpass, "getuser", lambda: "li")
    assert single_instance.instance_key() != mine
    monkeypatch.setattr(getpass, "getuser", lambda: "zhang")
    assert single_instance.instance_key() == mine


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="POSIX kill")
def test_the_lock_of_a_crashed_copy_does_not_block_the_next_start(qtbot, key):
    code = ("import sys; from PySide6.QtCore import QCoreApplication; app = QCoreApplication([]); "
            "from ui.single_instance import SingleInstance; s = SingleInstance(sys.argv[1]); "
            "print('primary' if s.start() else 'second', flush=True); import time; time.sleep(60)")
    child = subprocess.Popen([sys.executable, "-c", code, key], cwd=ROOT, stdout=subprocess.PIPE,
                             env=dict(os.environ, QT_QPA_PLATFORM="offscreen"))
    try:
        assert child.stdout.readline().strip() == b"primary"
        assert SingleInstance(key).start() is False or pytest.fail("the live copy's lock was ignored")
        os.kill(child.pid, signal.SIGKILL)
        child.wait(10)
    finally:
        if child.poll() is None:
            child.kill()
    again = SingleInstance(key)
    assert again.start() is True  # stale lock of a dead process, left-over socket removed
    again.close()


def test_bring_to_front_restores_a_minimised_window(qtbot):
    w = QMainWindow()
    qtbot.addWidget(w)
    w.showMinimized()
    bring_to_front(w)
    assert not w.isMinimized() and w.isVisible()


def test_starting_the_program_twice_keeps_one_window(_demo_template, tmp_path, key):
    """Two real starts of the launcher: the second exits at once, the first logs that it was woken."""
    folder = tmp_path / "data"
    shutil.copytree(_demo_template, folder, ignore=shutil.ignore_patterns("logs", "backups"))
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", CONGRESS_INSTANCE_KEY=key)
    env.pop("CONGRESS_DATA_DIR", None)
    cmd = [sys.executable, "-m", "ui.launcher", "--data-dir", str(folder)]
    log = folder / "logs" / "congress-desktop.log"
    first = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while not (log.exists() and "starting" in log.read_text(encoding="utf-8")):
            assert first.poll() is None, first.stderr.read().decode("utf-8", "replace")
            assert time.monotonic() < deadline
            time.sleep(0.1)
        second = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, timeout=60)
        assert second.returncode == 0, second.stderr.decode("utf-8", "replace")
        while "another start asked for this window" not in log.read_text(encoding="utf-8"):
            assert time.monotonic() < deadline, log.read_text(encoding="utf-8")
            time.sleep(0.1)
        assert first.poll() is None  # the first copy still runs
        assert "another copy is running" in log.read_text(encoding="utf-8")
    finally:
        first.terminate()
        try:
            first.wait(10)
        except subprocess.TimeoutExpired:
            first.kill()
