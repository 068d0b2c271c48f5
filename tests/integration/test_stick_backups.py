"""备份到U盘, encrypted: what lies on the stick gives nothing away, the right passphrase brings it all
back, a wrong one, a damaged or a changed file change nothing. Real files, real SQLite, real crypto."""

from __future__ import annotations

import json
import sqlite3
import struct
from pathlib import Path

import pytest

from congress_desktop.backups import sealed, stick
from congress_desktop.backups import service as backups
from congress_desktop.core.context import Context
from congress_desktop.core.errors import CongressError, InvalidInput, PassphraseNeeded, WrongPassphrase
from congress_desktop.deputies import service as deputies
from congress_desktop.visits import attachments

PASS = "六里坪镇人大 2026 备份"
OTHER = "another passphrase"
NAME = "司马青松"
ID_NUMBER = "420381198001011238"
PHONE = "13912345678"
SCAN = "签到表：司马青松 13912345678 走访记录".encode() * 200


@pytest.fixture
def office(demo_ctx, tmp_path):
    """The demo town with a known deputy, a scan attached to a visit, and its passphrase set."""
    row = deputies.create_deputy(demo_ctx, {"name": NAME, "id_number": ID_NUMBER, "mobile": PHONE})
    (tmp_path / "签到表.jpg").write_bytes(SCAN)
    att = attachments.add_attachment(demo_ctx, "visit", _a_visit(demo_ctx), tmp_path / "签到表.jpg")
    stick.set_passphrase(demo_ctx, PASS, PASS)
    demo_ctx.known = (row, att)
    return demo_ctx


@pytest.fixture
def usb(tmp_path) -> Path:
    folder = tmp_path / "U盘"
    folder.mkdir()
    return folder


def _a_visit(ctx) -> str:
    con = sqlite3.connect(ctx.db_path)
    try:
        return con.execute("select id from visit where deleted = 0 limit 1").fetchone()[0]
    finally:
        con.close()


def secrets_in(folder: Path) -> list[str]:
    """Which of the known personal data show in the raw bytes (or names) of any file under ``folder``."""
    needles = {"name (UTF-8)": NAME.encode(), "name (GBK)": NAME.encode("gbk"), "name (UTF-16)": NAME.encode("utf-16-le"),
               "ID number": ID_NUMBER.encode(), "phone": PHONE.encode(), "scan": SCAN[:40]}
    found = []
    for p in folder.rglob("*"):
        if ID_NUMBER in p.name or NAME in p.name:
            found.append(f"file name {p.name}")
        if p.is_file():
            data = p.read_bytes()
            found += [f"{what} in {p.name}" for what, needle in needles.items() if needle in data]
    return found


def db_state(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.glob("congress.sqlite3*"))}


# ------------------------------------------------------------------ what lies on the stick
def test_the_stick_holds_no_name_id_number_phone_or_scan_in_clear(office, usb, tmp_path):
    made = backups.backup_to_folder(office, usb, passphrase=PASS)
    assert made.info.path.name.endswith("-usb.cdbak") and made.info.encrypted
    assert made.attachments_written == 1 and made.attachments_total == 1
    assert secrets_in(usb) == []
    _row, att = office.known
    assert not any(att.sha256 in p.name for p in usb.rglob("*"))  # attachments not named by their hash
    # the same search finds them all in a plain copy: the test can fail
    plain = tmp_path / "plain"
    plain.mkdir()
    backups.backup_before(office, "manual")
    for p in (office.data_dir / "backups").glob("*.sqlite3"):
        p.rename(plain / p.name)
    (plain / "scan").write_bytes(attachments.stored_path(office, att.sha256).read_bytes())
    assert {"name (UTF-8)", "ID number", "phone", "scan"} <= {f.split(" in ")[0] for f in secrets_in(plain)}


def test_the_clear_header_tells_what_the_backup_holds_without_the_passphrase(office, usb):
    made = backups.backup_to_folder(office, usb, passphrase=PASS)
    shown = backups.inspect_backup(made.info.path)
    assert shown.encrypted and shown.reason_label == "备份到U盘" and shown.office_code == "420381103000"
    assert shown.count("代表") == 65 and shown.count("附件") == 1 and shown.made_at == made.info.made_at
    with open(made.info.path, "rb") as f:
        header = sealed.read_header(f, sealed.BACKUP_MAGIC).header
    assert header["kdf"]["name"] == "argon2id" and header["kdf"]["memory_kib"] == 65536
    assert header["kdf"]["iterations"] == 3 and header["kdf"]["lanes"] == 4
    listed = backups.list_folder_backups(usb)
    assert [b.path for b in listed] == [made.info.path] and listed[0].encrypted


def test_local_backups_in_the_data_folder_stay_plain_sqlite(office, usb):
    backups.backup_to_folder(office, usb, passphrase=PASS)
    info = backups.backup_before(office, "manual")
    assert info.path.read_bytes()[:16] == b"SQLite format 3\x00" and not info.encrypted
    assert not list(office.data_dir.glob(".stick-*"))  # the plain snapshot for the stick is gone


# ------------------------------------------------------------------ restoring
def test_restore_with_the_right_passphrase_gives_the_same_data_and_attachments(office, usb):
    row, att = office.known
    made = backups.backup_to_folder(office, usb, passphrase=PASS)
    deputies.create_deputy(office, {"name": "后来录入", "id_number": "", "mobile": "13800000001"})
    attachments.stored_path(office, att.sha256).unlink()
    result = backups.restore_backup(office, made.info.path, passphrase=PASS)
    assert result.restored.encrypted and result.restored.made_at == made.info.made_at
    assert deputies.count_deputies(office) == 65 and result.attachments_copied == 1
    again = deputies.get_deputy(office, row.id)
    assert (again.name, again.id_number, again.mobile) == (NAME, ID_NUMBER, PHONE)
    assert attachments.stored_path(office, att.sha256).read_bytes() == SCAN
    assert backups.check_data(office.data_dir).ok
    assert not list(office.data_dir.glob(".stick-*"))  # the decrypted copy is deleted


def test_the_pc_dies_and_a_new_one_gets_everything_back_from_the_stick(office, usb, tmp_path):
    """Only the stick and the passphrase: a new, empty data folder gets the database and attachments,
    and the next stick backup goes on with the same passphrase and writes no attachment again."""
    row, att = office.known
    made = backups.backup_to_folder(office, usb, passphrase=PASS)
    new_pc = tmp_path / "new-pc"
    new_pc.mkdir()
    result = backups.restore_damaged(new_pc, made.info.path, passphrase=PASS)
    assert result.attachments_copied == 1 and result.attachments_missing == 0
    ctx = Context.open(new_pc)
    try:
        assert deputies.get_deputy(ctx, row.id).id_number == ID_NUMBER
        assert deputies.count_deputies(ctx) == 65
        assert attachments.stored_path(ctx, att.sha256).read_bytes() == SCAN
        assert backups.check_data(new_pc).ok
        later = backups.backup_to_folder(ctx, usb, passphrase=PASS)
        assert later.attachments_written == 0 and later.attachments_total == 1
    finally:
        ctx.close()


def test_wrong_passphrase_is_refused_and_nothing_restored(office, usb):
    made = backups.backup_to_folder(office, usb, passphrase=PASS)
    folder = office.data_dir
    office.close()
    before, around = db_state(folder), sorted(folder.rglob("*"))
    with pytest.raises(WrongPassphrase, match="口令不对") as e:
        backups.restore_current_or_damaged(folder, made.info.path, passphrase=PASS + " ")
    assert "数据没有改变" in e.value.message
    with pytest.raises(PassphraseNeeded, match="需要输入U盘备份口令"):
        backups.restore_current_or_damaged(folder, made.info.path)
    assert db_state(folder) == before
    assert sorted(folder.rglob("*")) == around  # not even the "before" backup, no decrypted copy


def _chunks_start(path: Path) -> int:
    with open(path, "rb") as f:
        return len(sealed.read_header(f, sealed.BACKUP_MAGIC).block)


def _flip_in_the_middle(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))


def _cut_at_a_chunk_boundary(path: Path) -> None:
    start = _chunks_start(path)
    data = path.read_bytes()
    assert len(data) > start + 2 * (sealed.CHUNK + sealed.TAG)  # the demo database is several chunks
    path.write_bytes(data[:start + 2 * (sealed.CHUNK + sealed.TAG)])


def _cut_anywhere(path: Path) -> None:
    path.write_bytes(path.read_bytes()[:-1000])


def _append(path: Path) -> None:
    path.write_bytes(path.read_bytes() + b"\x00" * 64)


def _swap_two_chunks(path: Path) -> None:
    start, size = _chunks_start(path), sealed.CHUNK + sealed.TAG
    data = path.read_bytes()
    a, b = data[start:start + size], data[start + size:start + 2 * size]
    path.write_bytes(data[:start] + b + a + data[start + 2 * size:])


def _change_the_header(path: Path) -> None:
    """Claim 99 deputies instead of 65: a header of the same length, so only the tags can tell."""
    data = path.read_bytes()
    (size,) = struct.unpack(">I", data[8:12])
    header = data[12:12 + size]
    changed = header.replace(b'["\xe4\xbb\xa3\xe8\xa1\xa8",65,', b'["\xe4\xbb\xa3\xe8\xa1\xa8",99,')
    assert changed != header and len(changed) == len(header)
    path.write_bytes(data[:12] + changed + data[12 + size:])


@pytest.mark.parametrize("damage", [_flip_in_the_middle, _cut_at_a_chunk_boundary, _cut_anywhere, _append,
                                    _swap_two_chunks, _change_the_header])
def test_a_damaged_cut_or_changed_backup_is_refused_and_nothing_changes(office, usb, damage):
    made = backups.backup_to_folder(office, usb, passphrase=PASS)
    damage(made.info.path)
    folder = office.data_dir
    office.close()
    before = db_state(folder)
    with pytest.raises(InvalidInput, match="已损坏、不完整或被改动过"):
        backups.restore_current_or_damaged(folder, made.info.path, passphrase=PASS)
    assert db_state(folder) == before
    assert not list(folder.glob(".stick-*"))


def test_a_changed_attachment_on_the_stick_is_not_restored(office, usb):
    _row, att = office.known
    made = backups.backup_to_folder(office, usb, passphrase=PASS)
    (sealed_file,) = [p for p in (usb / stick.STORE_DIR).rglob("*") if p.is_file() and p.name != stick.STORE_FILE]
    _flip_in_the_middle(sealed_file)
    attachments.stored_path(office, att.sha256).unlink()
    result = backups.restore_backup(office, made.info.path, passphrase=PASS)
    assert result.attachments_copied == 0 and result.attachments_missing == 1
    assert not attachments.stored_path(office, att.sha256).exists()
    assert deputies.count_deputies(office) == 65  # the database itself is restored


# ------------------------------------------------------------------ the passphrase at backup time
def test_a_typed_passphrase_not_matching_the_verifier_is_refused_at_backup_time(office, usb):
    with pytest.raises(WrongPassphrase, match="不一致，没有备份"):
        backups.backup_to_folder(office, usb, passphrase="六里坪镇人大 2026 备分")
    assert list(usb.iterdir()) == []
    assert not list(office.data_dir.glob(".stick-*"))


def test_a_stick_backup_needs_a_passphrase_set_first(demo_ctx, usb):
    assert not stick.passphrase_is_set(demo_ctx)
    with pytest.raises(PassphraseNeeded, match="尚未设置U盘备份口令"):
        backups.backup_to_folder(demo_ctx, usb, passphrase=PASS)
    assert list(usb.iterdir()) == []


def test_only_the_verifier_is_stored_never_the_passphrase(office):
    con = sqlite3.connect(office.db_path)
    try:
        (value,) = con.execute("select value from setting where key = 'usb_backup_passphrase'").fetchone()
    finally:
        con.close()
    stored = json.loads(value)
    assert stored["phc"].startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert all(PASS.encode() not in raw for raw in db_state(office.data_dir).values())


@pytest.mark.parametrize(("first", "again", "why"), [
    ("short", "short", "至少要 8 个字符"),
    ("long enough", "long enougj", "两次输入的口令不一样"),
    (" padded one", " padded one", "开头和结尾不能是空格"),
])
def test_a_new_passphrase_must_be_long_enough_and_typed_the_same_twice(demo_ctx, first, again, why):
    with pytest.raises(InvalidInput, match=why):
        stick.set_passphrase(demo_ctx, first, again)
    assert not stick.passphrase_is_set(demo_ctx)


def test_a_changed_passphrase_leaves_older_backups_on_the_old_one(office, usb):
    old = backups.backup_to_folder(office, usb, passphrase=PASS)
    stick.set_passphrase(office, OTHER, OTHER)
    with pytest.raises(WrongPassphrase):
        backups.backup_to_folder(office, usb, passphrase=PASS)
    new = backups.backup_to_folder(office, usb, passphrase=OTHER)
    assert new.attachments_written == 1  # a new attachment store under the new passphrase
    assert len(list((usb / stick.STORE_DIR).iterdir())) == 2
    with pytest.raises(WrongPassphrase):
        stick.check_backup_passphrase(old.info.path, OTHER)
    assert stick.check_backup_passphrase(old.info.path, PASS).made_at == old.info.made_at
    assert stick.check_backup_passphrase(new.info.path, OTHER).encrypted
    result = backups.restore_backup(office, old.info.path, passphrase=PASS)  # restores the old verifier too
    assert result.restored.path == old.info.path
    with pytest.raises(WrongPassphrase):
        stick.check_passphrase(office, OTHER)
    assert stick.check_passphrase(office, PASS)


def test_the_next_backup_writes_only_new_attachments(office, usb, tmp_path):
    backups.backup_to_folder(office, usb, passphrase=PASS)
    again = backups.backup_to_folder(office, usb, passphrase=PASS)
    assert again.attachments_written == 0 and again.attachments_total == 1
    (tmp_path / "photo.jpg").write_bytes(b"\xff\xd8\xff" + b"photo" * 300)
    attachments.add_attachment(office, "visit", _a_visit(office), tmp_path / "photo.jpg")
    third = backups.backup_to_folder(office, usb, passphrase=PASS)
    assert third.attachments_written == 1 and third.attachments_total == 2
    assert len(backups.list_folder_backups(usb)) == 3


def test_old_plain_stick_backups_are_counted_and_still_restore(office, usb):
    from congress_desktop.core.store import backup_files as files

    plain = files.make_backup(office.db_path, "usb", folder=usb, office_code_in_name=True)
    made = backups.backup_to_folder(office, usb, passphrase=PASS)
    assert made.plain_left == 1
    assert {b.encrypted for b in backups.list_folder_backups(usb)} == {True, False}
    result = backups.restore_backup(office, plain.path)
    assert result.restored.count("代表") == 65 and not result.restored.encrypted


def test_a_stick_backup_refuses_the_data_folder_itself(office):
    with pytest.raises(InvalidInput, match="本机的数据文件夹"):
        backups.backup_to_folder(office, office.data_dir, passphrase=PASS)


def test_a_cancelled_stick_backup_leaves_nothing_half_written(office, usb):
    from congress_desktop.core.errors import Cancelled

    calls = []

    def cancel_while_sealing() -> bool:
        calls.append(1)
        return len(calls) > 3

    with pytest.raises(Cancelled):
        backups.backup_to_folder(office, usb, passphrase=PASS, cancel=cancel_while_sealing)
    assert not list(usb.glob("*.cdbak*"))
    assert not list(office.data_dir.glob(".stick-*"))


def test_a_file_that_only_looks_like_a_stick_backup_is_refused(office, usb):
    fake = usb / "congress-420381103000-20260101-090000-usb.cdbak"
    fake.write_bytes(sealed.BACKUP_MAGIC + b"\x00\x00\x00\x05{oops")
    with pytest.raises(CongressError, match="已损坏"):
        backups.inspect_backup(fake)
    assert backups.list_folder_backups(usb) == []
