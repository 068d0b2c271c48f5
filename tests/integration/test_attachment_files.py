"""Attachment names and the viewing copy, on real files: a name picked on Linux that Windows (or a
path) could not take is stored cleaned; the copy for the system viewer sits in a private folder of
the user's cache and never follows a link planted where it is written."""

from __future__ import annotations

import os
import stat

import pytest
from sqlalchemy import select

from congress_desktop.core import paths
from congress_desktop.core.errors import CongressError
from congress_desktop.core.filenames import file_name_problem
from congress_desktop.core.store.models_visits import Visit
from congress_desktop.visits import attachments as att

posix_only = pytest.mark.skipif(os.name != "posix", reason="POSIX modes and symbolic links")


@pytest.fixture(autouse=True)
def _own_cache(tmp_path, monkeypatch):
    """A cache folder of this test alone (platformdirs reads XDG_CACHE_HOME on Linux)."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


@pytest.fixture
def visit_id(demo_ctx) -> str:
    with demo_ctx.store.session() as s:
        return s.scalars(select(Visit.id).where(Visit.deleted.is_(False)).limit(1)).one()


@pytest.fixture
def scan(tmp_path):
    f = tmp_path / "签到表.jpg"
    f.write_bytes(b"\xff\xd8 a scan of the sign-in sheet " * 300)
    return f


@posix_only
def test_a_local_file_with_a_name_windows_refuses_is_stored_under_a_cleaned_name(demo_ctx, visit_id, tmp_path):
    f = tmp_path / "会议: 纪要?\u202egpj.exe"
    f.write_bytes(b"minutes")
    a = att.add_attachment(demo_ctx, "visit", visit_id, f)
    assert a.file_name == "会议_ 纪要__gpj.exe" and file_name_problem(a.file_name) is None
    assert att.get_attachment(demo_ctx, a.id).file_name == a.file_name


def test_the_viewing_copy_is_in_a_private_folder_of_the_users_cache(demo_ctx, visit_id, scan):
    a = att.add_attachment(demo_ctx, "visit", visit_id, scan)
    view = att.copy_for_viewing(demo_ctx, a.id)
    assert view.name == "签到表.jpg" and view.read_bytes() == scan.read_bytes()
    assert view.is_relative_to(paths.cache_dir() / "view")
    if os.name == "posix":
        assert paths.cache_dir().is_relative_to(os.environ["XDG_CACHE_HOME"])
    if os.name == "posix":
        for folder in (paths.cache_dir(), att.viewing_dir(), view.parent):
            assert stat.S_IMODE(folder.stat().st_mode) == 0o700
        assert stat.S_IMODE(view.stat().st_mode) & 0o077 == 0
    # the viewer changed its copy: the next view shows the true content again
    view.write_bytes(b"edited by the viewer")
    assert att.copy_for_viewing(demo_ctx, a.id).read_bytes() == scan.read_bytes()


@posix_only
def test_a_link_planted_at_the_viewing_path_is_replaced_not_followed(demo_ctx, visit_id, scan, tmp_path):
    a = att.add_attachment(demo_ctx, "visit", visit_id, scan)
    victim = tmp_path / "victim.txt"
    victim.write_text("someone else's file")
    folder = att.viewing_dir() / a.sha256[:12]
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "签到表.jpg").symlink_to(victim)
    view = att.copy_for_viewing(demo_ctx, a.id)
    assert victim.read_text() == "someone else's file"
    assert not view.is_symlink() and view.read_bytes() == scan.read_bytes()


@posix_only
def test_a_viewing_folder_replaced_by_a_link_is_refused(demo_ctx, visit_id, scan, tmp_path):
    a = att.add_attachment(demo_ctx, "visit", visit_id, scan)
    elsewhere = tmp_path / "attacker"
    elsewhere.mkdir()
    att.viewing_dir().parent.mkdir(parents=True)
    att.viewing_dir().symlink_to(elsewhere, target_is_directory=True)
    with pytest.raises(CongressError, match="不是普通文件夹"):
        att.copy_for_viewing(demo_ctx, a.id)
    assert list(elsewhere.iterdir()) == []


@posix_only
def test_a_loose_viewing_folder_is_made_private_again(demo_ctx, visit_id, scan):
    a = att.add_attachment(demo_ctx, "visit", visit_id, scan)
    att.viewing_dir().mkdir(parents=True, exist_ok=True)
    att.viewing_dir().chmod(0o777)
    att.copy_for_viewing(demo_ctx, a.id)
    assert stat.S_IMODE(att.viewing_dir().stat().st_mode) == 0o700
