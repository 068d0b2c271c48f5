"""Shared fixtures: a real SQLite file in a temporary data folder, and a prepared demo database
copied for each test (built once per session, as Anki's tests do)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.pop("CONGRESS_DATA_DIR", None)
# a copy of the program the developer has open must not turn a test's start into a "second start"
os.environ.setdefault("CONGRESS_INSTANCE_KEY", f"congress-desktop-test-{os.getpid()}")

from hypothesis import settings  # noqa: E402

from congress_desktop.services.context import Context  # noqa: E402

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
    from congress_desktop.services.office import setup_office

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
    from congress_desktop.services.demo import create_demo

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
