"""Shared fixtures: a real SQLite file in a temporary data folder, and a prepared demo database
copied for each test (built once per session, as Anki's tests do)."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.pop("CONGRESS_DATA_DIR", None)
# a copy of the program the developer has open must not turn a test's start into a "second start"
os.environ.setdefault("CONGRESS_INSTANCE_KEY", f"congress-desktop-test-{os.getpid()}")

# Private keys: no desktop keyring of the developer's is ever used (no session bus); the tests take the
# passphrase path with a real passphrase file (tests/integration/test_keyring.py starts its own keyring).
# The viewing copies of attachments go to a cache folder of this run, not the user's.
_run_dir = Path(tempfile.mkdtemp(prefix="congress-tests-"))
TEST_PASSPHRASE = "测试口令 correct horse"
_passphrase_file = _run_dir / "key-passphrase.txt"
_passphrase_file.write_text(TEST_PASSPHRASE + "\n", encoding="utf-8")
_passphrase_file.chmod(0o600)
os.environ["CONGRESS_KEY_PASSPHRASE_FILE"] = str(_passphrase_file)
os.environ.pop("DBUS_SESSION_BUS_ADDRESS", None)
os.environ["XDG_CACHE_HOME"] = str(_run_dir / "cache")
atexit.register(shutil.rmtree, _run_dir, True)

from hypothesis import settings  # noqa: E402

from congress_desktop.core.context import Context  # noqa: E402

# No example database on disk (nothing left in the checkout, no lock shared between runs) and no
# per-example deadline: a loaded 2-core CI machine must not turn a slow example into a failure.
settings.register_profile("congress", database=None, deadline=None)
settings.load_profile("congress")


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    folder.mkdir()
    return folder


@pytest.fixture
def ctx(data_dir: Path):
    """An empty database with a town office set up."""
    from congress_desktop.core.office import setup_office

    c = Context.open(data_dir)
    setup_office(c, "丹江口市六里坪镇人大", "420381103000", "town")
    yield c
    c.close()


@pytest.fixture
def blank_ctx(data_dir: Path):
    """A new database with no office yet (first start)."""
    c = Context.open(data_dir)
    yield c
    c.close()


@pytest.fixture(scope="session")
def _demo_template(tmp_path_factory) -> Path:
    from congress_desktop.demo import create_demo

    folder = tmp_path_factory.mktemp("demo-template")
    c = Context.open(folder)
    create_demo(c)
    c.close()
    return folder


@pytest.fixture
def demo_ctx(_demo_template: Path, tmp_path: Path):
    """A copy of the demo town for this test alone."""
    folder = tmp_path / "demo"
    shutil.copytree(_demo_template, folder, ignore=shutil.ignore_patterns("logs", "backups"))
    c = Context.open(folder)
    yield c
    c.close()
