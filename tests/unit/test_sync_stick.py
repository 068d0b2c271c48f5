"""The stick helpers: drives found under /media-like folders, errors named in Chinese, atomic writes."""

from __future__ import annotations

import errno
import os

import pytest

from congress_desktop.sync import keys, stick


def test_mounted_sticks_are_listed_and_other_folders_are_not(tmp_path, monkeypatch):
    base = tmp_path / "media" / "user"
    (base / "KINGSTON").mkdir(parents=True)
    (base / "not-mounted").mkdir()
    monkeypatch.setattr(os.path, "ismount", lambda p: str(p).endswith("KINGSTON"))
    drives = stick._linux_drives([base])
    assert [d.label for d in drives] == ["KINGSTON"]
    assert "KINGSTON" in drives[0].title and "可用" in drives[0].title


def test_sync_folder_is_not_nested_twice(tmp_path):
    assert stick.sync_folder(tmp_path) == tmp_path / "人大同步"
    assert stick.sync_folder(tmp_path / "人大同步") == tmp_path / "人大同步"


@pytest.mark.parametrize("err,win,kind", [(errno.ENOSPC, None, "full"), (None, 112, "full"),
                                          (errno.EROFS, None, "readonly"), (None, 19, "readonly"),
                                          (errno.EIO, None, "gone"), (None, 1167, "gone"), (errno.EBUSY, None, "io")])
def test_stick_errors_say_what_happened_in_chinese(err, win, kind):
    e = OSError(err, "x")
    if win is not None:
        e.winerror = win
    out = stick.stick_error(e, "E:\\")
    assert out.kind == kind and "E:\\" in out.message and "本机数据未改变" in out.message


def test_a_write_is_whole_or_absent(tmp_path, monkeypatch):
    path, sha = stick.write_bytes(tmp_path, "a.bin", b"x" * 3_000_000)
    assert path.read_bytes() == b"x" * 3_000_000 and stick.file_sha256(path) == sha
    calls = [0]

    def fail_second(f, data):
        calls[0] += 1
        if calls[0] > 1:
            raise OSError(errno.EIO, "pulled")
        f.write(data)

    monkeypatch.setattr(stick, "_write_chunk", fail_second)
    with pytest.raises(stick.StickError) as e:
        stick.write_bytes(tmp_path, "b.bin", b"y" * 3_000_000)
    assert e.value.kind == "gone"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.bin"]


def test_fingerprints_are_digits_and_normalise():
    pair = keys.KeyPair.generate()
    fp = pair.public.fingerprint("420381103000")
    assert len(fp.split()) == 8 and all(len(g) == 4 and g.isdigit() for g in fp.split())
    assert keys.normalise_fingerprint(fp.replace(" ", "-")) == fp
    assert pair.public.fingerprint("420381105000") != fp  # bound to the office code too
