"""Sync by USB stick on real files and real databases: a city and towns in separate data folders.

Every refused package must leave the receiving database exactly as it was (a full SQL dump is
compared before and after), with a Chinese message saying why."""

from __future__ import annotations

import errno
import io
import json
import os
import shutil
import struct
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from congress_desktop.core.errors import CongressError, Exists, InvalidInput
from congress_desktop.core.ownership import ReadOnlyRecord
from congress_desktop.core.store.models import ChangeLog, Deputy
from congress_desktop.core.store.models_sync import SyncPeer
from congress_desktop.deputies import service as deputies
from congress_desktop.sync import apply as sync_apply
from congress_desktop.sync import engine, keys, package, stick
from congress_desktop.sync import service as sync
from congress_desktop.sync.package import MAGIC, Header, seal
from tests.synchelp import copy_package, dump, enrol, make_city, make_conflict, make_town

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def city(tmp_path):
    c = make_city(tmp_path / "city")
    yield c
    c.close()


@pytest.fixture
def town(demo_ctx, city, tmp_path):
    sync.init_keys(demo_ctx)
    enrol(city, demo_ctx, tmp_path / "papers")
    return demo_ctx


@pytest.fixture
def pkg(town, tmp_path) -> Path:
    """The demo town's first package, kept aside (importing removes it from the stick)."""
    sync.export_packages(town, tmp_path / "stick")
    return copy_package(tmp_path / "stick", tmp_path / "kept" / "first.cdsync")


def total_records(ctx, *, deleted: bool = True) -> int:
    """Every synced record the office owns (the demo grows as areas are added)."""
    with ctx.store.engine.connect() as conn:
        return sum(conn.exec_driver_sql(f'SELECT count(*) FROM "{t.name}" WHERE owner_code = ?'
                                        + ("" if deleted else " AND deleted = 0"), (ctx.office.code,)).scalar()
                   for t in engine.synced_tables())


def one(report: sync.ImportReport) -> sync.PackageOutcome:
    assert len(report.packages) == 1, report
    return report.packages[0]


def refused(city, path: Path, kind: str) -> sync.PackageOutcome:
    before = dump(city)
    out = one(sync.import_from(city, path, backup=False))
    assert out.status == "refused" and out.kind == kind, out
    assert any("\u4e00" <= ch <= "\u9fff" for ch in out.message)  # a Chinese message
    assert dump(city) == before
    return out


# ------------------------------------------------------------------ the normal round trip

def test_town_package_applies_at_city_and_receipt_advances_town(town, city, tmp_path):
    stick_dir = tmp_path / "stick"
    exported = sync.export_packages(town, stick_dir).packages[0]
    assert exported.records == total_records(town) and exported.tables["deputy"] == 64 and exported.seq_from == 1
    assert sync.sync_status(town).peers[0].waiting_records == exported.records

    report = sync.import_from(city, stick_dir)
    out = one(report)
    assert out.status == "applied" and out.applied == exported.records and out.tables["deputy"] == 64
    assert report.backup is not None and report.backup.exists()
    assert deputies.count_deputies(city, deputies.DeputyQuery(owner=town.office.code)) == 64
    files = sorted(p.name for p in (stick_dir / "人大同步").iterdir())
    assert files == [out.receipt]  # the package is gone (applied), the receipt waits for the town

    second = sync.export_packages(town, stick_dir)
    assert second.receipts[0].accepted and second.receipts[0].confirmed_seq == exported.seq_to
    assert second.packages[0].records == 0 and second.packages[0].seq_from == exported.seq_to + 1
    st = sync.sync_status(town).peers[0]
    assert st.confirmed_seq == exported.seq_to and st.waiting_records == 0


def test_after_an_import_the_connection_is_back_to_normal_and_the_wal_is_checkpointed(town, city, tmp_path):
    """apply_body raises the page cache and the checkpoint interval for the import; import_from puts
    both back (and checkpoints once), so the window's next edits run as before."""
    from congress_desktop.sync import engine

    stick_dir = tmp_path / "stick"
    sync.export_packages(town, stick_dir)
    with city.store.engine.connect() as conn:  # a second idle connection in the pool: LIFO keeps the import on one
        pass
    assert one(sync.import_from(city, stick_dir)).status == "applied"
    with city.store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA cache_size").scalar() == engine.DEFAULT_CACHE_KIB
        assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == engine.DEFAULT_WAL_PAGES
        assert conn.exec_driver_sql("PRAGMA journal_size_limit").scalar() == 64 * 1024 * 1024


def test_received_records_keep_their_owner_are_read_only_and_not_logged_as_local(town, city, tmp_path):
    sync.export_packages(town, tmp_path / "stick")
    sync.import_from(city, tmp_path / "stick")
    with city.store.session() as s:
        assert s.scalar(select(func.count()).select_from(ChangeLog).where(ChangeLog.table_name == "deputy")) == 0
        owners = set(s.scalars(select(Deputy.owner_code)))
    assert owners == {town.office.code}
    d = deputies.query_deputies(city, deputies.DeputyQuery(), 0, 1)[0]
    assert d.owner_code == town.office.code
    with pytest.raises(ReadOnlyRecord, match="该记录属于丹江口市六里坪镇人大，只能查看"):
        deputies.update_deputy(city, d.id, d.as_form() | {"note": "市里改的"})
    with pytest.raises(ReadOnlyRecord):
        deputies.delete_deputy(city, d.id)
    # the city's own package down carries none of the town's records
    assert sync.export_packages(city, tmp_path / "down").packages[0].records == 0


def test_second_package_carries_only_new_changes(town, city, tmp_path):
    stick_dir = tmp_path / "stick"
    sync.export_packages(town, stick_dir)
    sync.import_from(city, stick_dir)
    d = deputies.query_deputies(town, deputies.DeputyQuery(), 0, 1)[0]
    deputies.update_deputy(town, d.id, d.as_form() | {"work_unit": "六里坪镇新职务"})
    p = sync.export_packages(town, stick_dir).packages[0]
    assert p.records == 1 and p.tables == {"deputy": 1}
    out = one(sync.import_from(city, stick_dir))
    assert out.applied == 1
    assert deputies.get_deputy(city, d.id).work_unit == "六里坪镇新职务"
    assert deputies.get_deputy(city, d.id).version == 2


def test_lost_stick_loses_nothing_the_next_package_carries_it_again(town, city, tmp_path):
    sync.export_packages(town, tmp_path / "lost-stick")  # never reaches the city
    d = deputies.query_deputies(town, deputies.DeputyQuery(), 0, 1)[0]
    deputies.update_deputy(town, d.id, d.as_form() | {"note": "后来改的"})
    again = sync.export_packages(town, tmp_path / "new-stick").packages[0]
    assert again.seq_from == 1 and again.records == total_records(town)
    out = one(sync.import_from(city, tmp_path / "new-stick"))
    assert out.applied == again.records
    assert deputies.get_deputy(city, d.id).note == "后来改的"


def test_lost_receipt_the_same_changes_come_again_and_change_nothing(town, city, tmp_path):
    sync.export_packages(town, tmp_path / "stick")
    sync.import_from(city, tmp_path / "stick")
    shutil.rmtree(tmp_path / "stick")  # the receipt is lost with the stick
    again = sync.export_packages(town, tmp_path / "stick").packages[0]
    assert again.seq_from == 1
    before = dump(city)
    out = one(sync.import_from(city, tmp_path / "stick", backup=False))
    assert out.status == "already" and out.receipt
    assert dump(city) == before
    sync.export_packages(town, tmp_path / "stick")
    assert sync.sync_status(town).peers[0].confirmed_seq == again.seq_to


def test_replayed_package_changes_nothing_and_rewrites_the_receipt(town, city, pkg, tmp_path):
    replay = tmp_path / "again" / pkg.name
    replay.parent.mkdir()
    shutil.copy2(pkg, replay)
    assert one(sync.import_from(city, pkg)).status == "applied"
    assert not pkg.exists()  # applied and receipted: removed from the stick
    before = dump(city)
    out = one(sync.import_from(city, replay, backup=False))
    assert out.status == "already" and "已导入过" in out.message and out.receipt
    assert dump(city) == before


def test_older_package_than_one_applied_is_refused(town, city, tmp_path):
    stick_dir = tmp_path / "stick"
    sync.export_packages(town, stick_dir)
    old = copy_package(stick_dir, tmp_path / "kept" / "old.cdsync")
    d = deputies.query_deputies(town, deputies.DeputyQuery(), 0, 1)[0]
    deputies.update_deputy(town, d.id, d.as_form() | {"note": "新"})
    sync.export_packages(town, stick_dir)
    assert len(list((stick_dir / "人大同步").glob("*.cdsync"))) == 1  # the old one was superseded
    assert one(sync.import_from(city, stick_dir)).status == "applied"
    out = refused(city, old, "older")
    assert "旧" in out.message


def test_same_version_different_content_is_quarantined_and_reported(town, city, tmp_path):
    did, report = make_conflict(town, city, tmp_path)  # the second import brings the town's version 2
    out = one(report)
    assert out.status == "applied" and out.quarantined == 1 and "隔离" in out.message
    q = sync.list_quarantine(city)
    assert len(q) == 1 and sync.list_towns(city)[0].quarantined == 1
    q = q[0]
    assert q.record_id == did and q.reason == "版本号相同但内容不同"
    assert q.incoming_row["note"] == "本镇备注" and q.local_row["note"] == "不同"
    assert sync.sync_status(city).open_quarantine == 1


def city_note(city, deputy_id: str) -> tuple[str, int]:
    with city.store.engine.connect() as conn:
        return tuple(conn.exec_driver_sql("SELECT note, version FROM deputy WHERE id = ?", (deputy_id,)).one())


def test_a_held_back_record_can_take_the_received_version_and_both_stay_on_file(town, city, tmp_path):
    did, _ = make_conflict(town, city, tmp_path)
    [q] = sync.list_quarantine(city)
    assert ("备注", "不同", "本镇备注") in sync.quarantine_differences(q)
    assert sync.quarantine_title(q).startswith("代表：")
    with city.store.engine.connect() as conn:
        changes = conn.exec_driver_sql("SELECT count(*) FROM change_log").scalar()
    msg = sync.resolve_quarantine(city, q.id, take_incoming=True)
    assert "已采用收到的代表记录" in msg
    assert city_note(city, did) == ("本镇备注", 2)
    assert sync.list_quarantine(city) == [] and sync.sync_status(city).open_quarantine == 0
    kept = sync.list_quarantine(city, include_resolved=True)[0]
    assert kept.local_row["note"] == "不同"  # what the city had is still on file
    with city.store.engine.connect() as conn:  # a received record: no change of the city's own to report up
        assert conn.exec_driver_sql("SELECT count(*) FROM change_log").scalar() == changes
    with pytest.raises(CongressError) as e:
        sync.resolve_quarantine(city, q.id, take_incoming=False)
    assert "已经处理过" in e.value.message


def test_taking_a_received_opinion_makes_search_find_its_words(town, city, tmp_path):
    from congress_desktop.core.store.models_visits import Opinion
    from congress_desktop.visits import opinions

    def found(ctx, words: str) -> list[str]:  # the list (which indexes what is stale first)
        return [r.id for r in opinions.query_opinions(ctx, opinions.OpinionQuery(text=words))]

    sync.export_packages(town, tmp_path / "s1")
    sync.import_from(city, tmp_path / "s1")
    oid = opinions.query_opinions(town, opinions.OpinionQuery(), 0, 1)[0].id
    with city.store.engine.begin() as conn:  # the same version, another content (an old backup edited)
        conn.exec_driver_sql("UPDATE opinion SET content = '本机的另一种说法' WHERE id = ?", (oid,))
    with town.store.session() as s:
        s.get(Opinion, oid).content = "修缮村口石拱桥"
    with city.store.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE opinion SET version = version + 1 WHERE id = ?", (oid,))
    assert found(city, "本机的另一种说法") == [oid]
    sync.export_packages(town, tmp_path / "s2")
    sync.import_from(city, tmp_path / "s2")
    [q] = sync.list_quarantine(city)
    sync.resolve_quarantine(city, q.id, take_incoming=True)
    assert found(city, "石拱桥") == [oid]
    assert found(city, "本机的另一种说法") == []


def test_a_held_back_record_can_keep_the_local_version(town, city, tmp_path):
    did, _ = make_conflict(town, city, tmp_path)
    [q] = sync.list_quarantine(city)
    assert "保留本机" in sync.resolve_quarantine(city, q.id, take_incoming=False)
    assert city_note(city, did) == ("不同", 2)
    assert sync.list_quarantine(city) == []


def test_the_received_version_is_not_taken_over_a_newer_one_or_another_offices_record(town, city, tmp_path):
    did, _ = make_conflict(town, city, tmp_path)
    [q] = sync.list_quarantine(city)
    with city.store.engine.begin() as conn:  # a newer version arrived since
        conn.exec_driver_sql("UPDATE deputy SET version = 3, note = '第三版' WHERE id = ?", (did,))
    with pytest.raises(InvalidInput) as e:
        sync.resolve_quarantine(city, q.id, take_incoming=True)
    assert "已更新到第 3 版" in e.value.message
    assert city_note(city, did) == ("第三版", 3)
    with city.store.session() as s:  # the same id held by another office
        from congress_desktop.core.store.models_sync import SyncQuarantine

        s.get(SyncQuarantine, q.id).reason = engine.OTHER_OWNER
    with pytest.raises(InvalidInput) as e:
        sync.resolve_quarantine(city, q.id, take_incoming=True)
    assert "属于其他单位" in e.value.message


# ------------------------------------------------------------------ who may send what

def test_package_from_unknown_office_is_refused(city, tmp_path):
    stranger = make_town(tmp_path / "stranger", "丹江口市浪河镇人大", "420381105000")
    bundle = tmp_path / "trust.cdtrust"
    sync.export_trust_bundle(city, bundle)
    assert sync.import_trust_bundle(stranger, bundle, fingerprint=sync.own_keys(city).fingerprint).me_enrolled is False
    sync.export_packages(stranger, tmp_path / "stick")
    out = refused(city, next((tmp_path / "stick" / "人大同步").glob("*.cdsync")), "sender_unknown")
    assert "未登记" in out.message
    stranger.close()


def test_package_signed_by_revoked_key_is_refused(town, city, pkg):
    sync.revoke_office(city, town.office.code, "电脑丢失")
    out = refused(city, pkg, "sender_revoked")
    assert "吊销" in out.message and "电脑丢失" in out.message


def test_package_for_another_receiver_is_refused_and_skipped_on_a_shared_stick(town, pkg, tmp_path):
    from congress_desktop.core.context import Context
    from congress_desktop.core.office import setup_office

    c2 = Context.open(tmp_path / "other-city")
    setup_office(c2, "十堰市人大常委会", "420300000000", "city")
    sync.init_keys(c2)
    out = refused(c2, pkg, "recipient")
    assert "不是发给本单位" in out.message
    shared = tmp_path / "shared"
    shared.mkdir()
    shutil.copy2(pkg, shared / pkg.name)
    report = sync.import_from(c2, shared, backup=False)
    assert report.packages == () and report.skipped_other == 1
    c2.close()


def _city_keys(town) -> keys.PublicKeys:
    with town.store.session() as s:
        p = s.scalars(select(SyncPeer).where(SyncPeer.role == "city")).one()
        return keys.PublicKeys.from_hex(p.sign_public, p.box_public)


def _forge(town, header_changes: dict, body: bytes, out: Path, *, signer: keys.KeyPair | None = None,
           recipient_keys: keys.PublicKeys | None = None) -> Path:
    """A package sealed with real keys around any body: what a hostile enrolled office could send."""
    info = sync.own_keys(town)
    pair = keys.load_private(town.data_dir, info.key_id)
    city_keys = recipient_keys or _city_keys(town)
    h = Header(package_id="01930000-0000-7000-8000-000000000001", direction="up", sender=town.office.code,
               sender_name=town.office.name, sender_key_id=info.key_id, recipient="420381000000",
               recipient_key_id=city_keys.key_id, seq_from=1, seq_to=5, records=0, created_at=package.utc_text(),
               epoch="01930000-0000-7000-8000-0000000000e1")
    h = Header(**{**h.__dict__, **header_changes})
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "wb") as f:
        seal(f, h, io.BytesIO(body), signer or pair, city_keys)
    return out


def test_package_signed_by_one_town_claiming_another_is_refused(town, city, tmp_path):
    other = make_town(tmp_path / "other", "丹江口市浪河镇人大", "420381105000")
    enrol(city, other, tmp_path / "p2")
    # the other town claims to be 六里坪镇 but signs with its own key (its own key id)
    forged = _forge(other, {"sender": town.office.code, "sender_name": town.office.name}, b"x",
                    tmp_path / "f1.cdsync")
    out = refused(city, forged, "sender_mismatch")
    assert "签名密钥属于" in out.message
    # ... or names 六里坪镇's key id too: the signature does not check out
    town_key = sync.own_keys(town).key_id
    forged = _forge(other, {"sender": town.office.code, "sender_name": town.office.name,
                            "sender_key_id": town_key}, b"x", tmp_path / "f2.cdsync")
    refused(city, forged, "signature")
    other.close()


def test_package_encrypted_to_an_old_key_of_ours_says_so(town, city, pkg):
    sync.init_keys(city, replace=True)
    out = refused(city, pkg, "old_key")
    assert "旧密钥" in out.message


# ------------------------------------------------------------------ damaged files

def _cut_points(size: int, header_end: int) -> list[int]:
    return sorted({0, 1, 7, 8, 10, 12, 20, header_end - 1, header_end, header_end + 1, (header_end + size) // 2,
                   size - 81, size - 80, size - 64, size - 30, size - 1})


def test_truncated_anywhere_is_refused_and_changes_nothing(town, city, pkg, tmp_path):
    data = pkg.read_bytes()
    header_end = 12 + struct.unpack(">I", data[8:12])[0]
    for cut in _cut_points(len(data), header_end):
        f = tmp_path / "cut" / f"{cut}.cdsync"
        f.parent.mkdir(exist_ok=True)
        f.write_bytes(data[:cut])
        out = refused(city, f, "truncated")
        assert "不完整" in out.message


def test_a_flipped_byte_anywhere_is_refused_and_changes_nothing(town, city, pkg, tmp_path):
    data = pkg.read_bytes()
    header_end = 12 + struct.unpack(">I", data[8:12])[0]
    kinds = set()
    for pos in sorted({0, 5, 9, 11, 14, 40, 80, header_end - 3, header_end - 2, header_end, header_end + 5,
                       (len(data) + header_end) // 2, len(data) - 70, len(data) - 64, len(data) - 1}):
        bad = bytearray(data)
        bad[pos] ^= 0x04
        f = tmp_path / "flip" / f"{pos}.cdsync"
        f.parent.mkdir(exist_ok=True)
        f.write_bytes(bytes(bad))
        before = dump(city)
        out = one(sync.import_from(city, f, backup=False))
        assert out.status == "refused", (pos, out)
        assert dump(city) == before
        kinds.add(out.kind)
    assert "signature" in kinds and "corrupt" in kinds


def test_newer_format_is_refused_with_upgrade_message(town, city, pkg, tmp_path):
    data = pkg.read_bytes()
    n = struct.unpack(">I", data[8:12])[0]
    header = json.loads(data[12:12 + n])
    header["format"] = package.FORMAT + 1
    raw = json.dumps(header, sort_keys=True, separators=(",", ":")).encode()
    f = tmp_path / "newer.cdsync"
    f.write_bytes(MAGIC + struct.pack(">I", len(raw)) + raw + data[12 + n:])
    out = refused(city, f, "format")
    assert "更新版本" in out.message and "升级" in out.message


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buf.getvalue()


def _manifest(town, **extra) -> bytes:
    m = {"format": package.FORMAT, "package_id": "01930000-0000-7000-8000-000000000001", "sender": town.office.code,
         "recipient": "420381000000", "seq_from": 1, "seq_to": 5, "tables": [], "attachments": []}
    return json.dumps(m | extra).encode()


@pytest.mark.parametrize("name", ["../evil.jsonl", "/etc/passwd", "data/../../x.jsonl", "attachments/../../x",
                                  "data\\..\\x.jsonl", "C:/x.jsonl", "data/deputy.jsonl/../../y"])
def test_zip_with_paths_outside_its_folder_is_refused(town, city, tmp_path, name):
    body = _zip({"manifest.json": _manifest(town), name: b"[]\n"})
    out = refused(city, _forge(town, {}, body, tmp_path / "p.cdsync"), "paths")
    assert "文件名" in out.message
    assert not (tmp_path / "evil.jsonl").exists() and not (city.data_dir / "x.jsonl").exists()


def test_zip_claiming_an_absurd_size_is_refused(town, city, tmp_path):
    body = bytearray(_zip({"manifest.json": _manifest(town)}))
    cd = body.rindex(b"PK\x01\x02")
    body[cd + 24:cd + 28] = struct.pack("<I", 0xFFFFFFF0)  # uncompressed size in the central directory
    refused(city, _forge(town, {}, bytes(body), tmp_path / "p.cdsync"), "limits")


def test_zip_bomb_and_too_many_members_are_refused(town, city, tmp_path, monkeypatch):
    zeros = b"\0" * (3 * 1024 * 1024)
    sha = __import__("hashlib").sha256(zeros).hexdigest()
    body = _zip({"manifest.json": _manifest(town, attachments=[{"sha256": sha, "size": len(zeros)}]),
                 f"attachments/{sha}": zeros})
    monkeypatch.setattr(package, "MAX_RATIO", 100)
    refused(city, _forge(town, {}, body, tmp_path / "bomb.cdsync"), "limits")
    monkeypatch.setattr(package, "MAX_MEMBERS", 3)
    many = _zip({"manifest.json": _manifest(town)} | {f"data/t{i}.jsonl": b"" for i in range(5)})
    refused(city, _forge(town, {}, many, tmp_path / "many.cdsync"), "limits")


VILLAGE_ID = "01930000-0000-7000-8000-0000000000aa"


def village_line(owner: str, vid: str = VILLAGE_ID, version: int = 1) -> bytes:
    """One village record as a table file's line, every free-text field filled with "x"."""
    t = engine.table_map()["village"]
    row = ["x"] * len(t.columns)
    for col, v in (("id", vid), ("owner_code", owner), ("version", version), ("deleted", 0), ("households", 1),
                   ("population", 1), ("kind", "村"), ("created_at", "2026-01-02 03:04:05.000006"),
                   ("updated_at", "2026-01-02 03:04:05.000006")):
        row[t.index(col)] = v
    return json.dumps(row).encode() + b"\n"


def village_table(data: bytes, rows: int = 1, sha256: str = "") -> dict:
    """Its manifest entry (the right hash unless one is given)."""
    return {"name": "village", "file": "data/village.jsonl", "columns": list(engine.table_map()["village"].columns),
            "rows": rows, "size": len(data), "sha256": sha256 or __import__("hashlib").sha256(data).hexdigest()}


def test_body_that_lies_about_its_rows_or_owner_is_refused(town, city, tmp_path):
    data = village_line("420381105000")
    table = village_table(data)
    body = _zip({"manifest.json": _manifest(town, tables=[table]), "data/village.jsonl": data})
    out = refused(city, _forge(town, {"records": 1}, body, tmp_path / "owner.cdsync"), "owner")
    assert "不属于发送单位" in out.message
    wrong = _zip({"manifest.json": _manifest(town, tables=[table | {"rows": 2}]), "data/village.jsonl": data})
    refused(city, _forge(town, {"records": 2}, wrong, tmp_path / "rows.cdsync"), "manifest")
    hashbad = _zip({"manifest.json": _manifest(town, tables=[table | {"sha256": "0" * 64}]),
                    "data/village.jsonl": data})
    refused(city, _forge(town, {"records": 1}, hashbad, tmp_path / "hash.cdsync"), "hash")


def test_a_stick_of_good_and_bad_packages_applies_each_good_one_and_says_why_for_each_bad_one(town, city, tmp_path):
    """The import reads the next package ahead on a second thread: its errors still come in its turn,
    each with its own message, and the good packages around it apply whole."""
    import threading

    b = make_town(tmp_path / "b", "丹江口市浪河镇人大", "420381105000")
    c = make_town(tmp_path / "c", "丹江口市蒿坪镇人大", "420381106000")
    for t in (b, c):
        enrol(city, t, tmp_path / f"papers-{t.office.code}")
    stick_dir = tmp_path / "stick"
    sync.export_packages(town, stick_dir)
    b_pkg = sync.export_packages(b, stick_dir).packages[0].path
    data = bytearray(b_pkg.read_bytes())
    data[len(data) // 2] ^= 0x10  # a flipped byte in 浪河镇's package
    b_pkg.write_bytes(bytes(data))
    line = village_line(c.office.code)
    table = village_table(line, sha256="0" * 64)  # 蒿坪镇's package: signed, but a table file's hash is wrong
    body = _zip({"manifest.json": _manifest(c, tables=[table]), "data/village.jsonl": line})
    _forge(c, {"records": 1}, body, stick.sync_folder(stick_dir) / "c.cdsync")
    report = sync.import_from(city, stick_dir, backup=False)
    by_sender = {o.sender: o for o in report.packages}
    assert set(by_sender) == {town.office.code, b.office.code, c.office.code}
    assert by_sender[town.office.code].status == "applied"
    assert by_sender[town.office.code].applied == total_records(town)
    assert by_sender[b.office.code].status == "refused" and by_sender[b.office.code].kind == "signature"
    assert by_sender[c.office.code].status == "refused" and by_sender[c.office.code].kind == "hash"
    assert "校验值" in by_sender[c.office.code].message
    with city.store.engine.connect() as conn:
        owners = {r[0] for r in conn.exec_driver_sql("SELECT DISTINCT owner_code FROM deputy")}
    assert b.office.code not in owners and c.office.code not in owners and town.office.code in owners
    assert not [th for th in threading.enumerate() if th.name.startswith("sync-read-ahead")]
    b.close()
    c.close()


def test_an_unknown_table_is_reported_before_a_bad_hash_further_on(town, city, tmp_path):
    """The next package is read ahead on a second thread; what it finds wrong still comes in the order
    of reading the package on the spot: first that this program is too old for it."""
    line = village_line(town.office.code)
    village = village_table(line, sha256="0" * 64)
    row = json.dumps([VILLAGE_ID, "a record of a table a newer program has"], ensure_ascii=False).encode() + b"\n"
    future = {"name": "zz_future", "file": "data/zz_future.jsonl", "columns": ["id", "note"], "rows": 1,
              "size": len(row), "sha256": __import__("hashlib").sha256(row).hexdigest()}
    body = _zip({"manifest.json": _manifest(town, tables=[village, future]), "data/village.jsonl": line,
                 "data/zz_future.jsonl": row})
    out = refused(city, _forge(town, {"records": 2}, body, tmp_path / "new.cdsync"), "unknown_table")
    assert "升级" in out.message


@pytest.mark.parametrize("chunk_rows", [5000, 1])
def test_a_record_twice_in_one_package_is_refused(town, city, tmp_path, monkeypatch, chunk_rows):
    monkeypatch.setattr(sync_apply, "CHUNK_ROWS", chunk_rows)  # 1: the repeat is in the next chunk
    other = "01930000-0000-7000-8000-0000000000ab"
    lines = b"".join(village_line(town.office.code, vid, n + 1) for n, vid in enumerate((VILLAGE_ID, other, VILLAGE_ID)))
    table = village_table(lines, rows=3)
    body = _zip({"manifest.json": _manifest(town, tables=[table]), "data/village.jsonl": lines})
    out = refused(city, _forge(town, {"records": 3}, body, tmp_path / "twice.cdsync"), "body")
    assert "重复" in out.message


# ------------------------------------------------------------------ the stick misbehaves

def _failing_writer(after_bytes: int, err: int):
    written = [0]

    def write(f, data):
        if written[0] + len(data) > after_bytes:
            raise OSError(err, os.strerror(err))
        written[0] += len(data)
        f.write(data)

    return write


@pytest.mark.parametrize("err,kind,words", [(errno.ENOSPC, "full", "空间不足"), (errno.EROFS, "readonly", "只读"),
                                            (errno.EIO, "gone", "拔出")])
def test_export_to_a_full_read_only_or_pulled_stick_leaves_no_file_and_no_change(town, city, tmp_path, monkeypatch,
                                                                               err, kind, words):
    before = dump(town)
    # fails after the probe (a few bytes) and some of the package: mid-write
    monkeypatch.setattr(stick, "_write_chunk", _failing_writer(3000 if err != errno.EROFS else 0, err))
    with pytest.raises(stick.StickError) as e:
        sync.export_packages(town, tmp_path / "stick")
    assert e.value.kind == kind and words in e.value.message and "本机数据未改变" in e.value.message
    assert list((tmp_path / "stick" / "人大同步").iterdir()) == []  # neither the package nor its .part
    assert dump(town) == before


def test_readback_mismatch_removes_the_file(town, tmp_path, monkeypatch):
    monkeypatch.setattr(stick, "file_sha256", lambda p: "0" * 64)
    with pytest.raises(stick.StickError) as e:
        sync.export_packages(town, tmp_path / "stick")
    assert e.value.kind == "verify" and "读回校验不一致" in e.value.message
    assert not list((tmp_path / "stick" / "人大同步").glob("*.cdsync"))


def test_import_from_a_read_only_stick_applies_nothing(town, city, tmp_path, monkeypatch):
    sync.export_packages(town, tmp_path / "stick")
    before = dump(city)
    monkeypatch.setattr(stick, "_write_chunk", _failing_writer(0, errno.EROFS))
    out = one(sync.import_from(city, tmp_path / "stick", backup=False))
    assert out.status == "refused" and out.kind == "readonly" and "只读" in out.message
    assert dump(city) == before
    monkeypatch.undo()
    assert one(sync.import_from(city, tmp_path / "stick")).status == "applied"


# ------------------------------------------------------------------ crashes

def test_exception_in_the_middle_of_apply_applies_nothing_then_the_package_applies_whole(town, city, pkg,
                                                                                        monkeypatch):
    before = dump(city)
    calls = []

    def boom(table, chunk):
        calls.append(table)
        if table == "deputy":
            raise RuntimeError("power cut")

    monkeypatch.setattr(sync_apply, "before_chunk", boom)
    out = one(sync.import_from(city, pkg, backup=False))
    assert out.status == "refused" and out.kind == "internal" and "意外错误" in out.message  # said, not raised
    assert "village" in calls  # earlier tables were written before the failure ...
    assert dump(city) == before  # ... and rolled back with it
    monkeypatch.setattr(sync_apply, "before_chunk", None)
    out = one(sync.import_from(city, pkg, backup=False))
    assert out.status == "applied" and out.applied == total_records(town)


CHILD = """
import sys, time
from pathlib import Path
sys.path.insert(0, {root!r})
from congress_desktop.core.context import Context
from congress_desktop.sync import service as sync
from congress_desktop.sync import apply, engine

def hang(table, chunk):
    if table == "deputy":
        Path({marker!r}).write_text("in the middle")
        time.sleep(60)

apply.before_chunk = hang
engine.BULK_MIN_ROWS = 1  # every table's indexes dropped in the transaction the kill interrupts
sync.import_from(Context.open({data!r}), {pkg!r}, backup=False)
"""


def index_names(ctx) -> set[str]:
    with ctx.store.engine.connect() as conn:
        return {r[0] for r in conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'index'")}


def test_a_big_import_drops_secondary_indexes_while_it_writes_and_builds_them_again(town, city, pkg, monkeypatch):
    monkeypatch.setattr(engine, "BULK_MIN_ROWS", 1)  # the demo town's package counts as big
    before = index_names(city)
    seen: dict[str, set[str]] = {}
    original = engine.BulkLoad.before_table

    def spy(self, conn, t, incoming):
        original(self, conn, t, incoming)
        seen[t.name] = {r[0] for r in conn.exec_driver_sql(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ?", (t.name,))}
        # still one transaction with foreign keys checked at its end (a parent may come after its child)
        assert conn.exec_driver_sql("PRAGMA defer_foreign_keys").scalar() == 1

    monkeypatch.setattr(engine.BulkLoad, "before_table", spy)
    calls = []
    out = one(sync.import_from(city, pkg, backup=False, progress=lambda d, t: calls.append((d, t))))
    assert out.status == "applied" and out.applied == total_records(town)
    assert calls[-1] == (0, 0)  # the window shows a busy bar while the indexes are built
    assert "ix_deputy_name_pinyin" not in seen["deputy"] and "sqlite_autoindex_deputy_1" in seen["deputy"]
    assert index_names(city) == before  # every one built again
    with city.store.engine.connect() as conn:
        plan = " ".join(str(r) for r in conn.exec_driver_sql(
            "EXPLAIN QUERY PLAN SELECT id FROM deputy WHERE name_pinyin = 'x'"))
    assert "ix_deputy_name_pinyin" in plan


def test_a_refused_big_package_leaves_every_index_in_place(town, city, pkg, monkeypatch):
    monkeypatch.setattr(engine, "BULK_MIN_ROWS", 1)
    before = index_names(city)

    def boom(table, chunk):
        if table == "deputy":
            raise sync.SyncError("数据包已损坏", "body")

    monkeypatch.setattr(sync_apply, "before_chunk", boom)
    out = one(sync.import_from(city, pkg, backup=False))
    assert out.status == "refused"
    assert index_names(city) == before


def test_an_index_rebuild_that_fails_loses_no_report_and_the_next_open_mends_it(town, city, pkg, monkeypatch):
    from congress_desktop.core.context import Context

    monkeypatch.setattr(engine, "BULK_MIN_ROWS", 1)
    before = index_names(city)

    def broken(self, conn):
        raise OperationalError("CREATE INDEX", (), Exception("database or disk is full"))

    monkeypatch.setattr(engine.BulkLoad, "rebuild", broken)
    out = one(sync.import_from(city, pkg, backup=False))
    assert out.status == "applied" and out.applied == total_records(town)
    assert index_names(city) < before  # left out ...
    folder = city.data_dir
    city.close()
    again = Context.open(folder)
    try:
        assert index_names(again) == before  # ... and built at the next open
    finally:
        again.close()


def test_indexes_missing_after_a_crash_are_built_again_at_the_next_open(city):
    import sqlite3

    from congress_desktop.core.context import Context

    folder = city.data_dir
    before = index_names(city)
    city.close()
    con = sqlite3.connect(folder / "congress.sqlite3")
    for name in ("ix_deputy_name_pinyin", "ix_deputy_name_birth", "ix_deputy_village_id"):
        con.execute(f"DROP INDEX {name}")  # as a power cut between a big import's drop and its rebuild
    con.commit()
    con.close()
    again = Context.open(folder)
    try:
        assert index_names(again) == before
    finally:
        again.close()


def test_killed_process_in_the_middle_of_import_applies_nothing(town, city, pkg, tmp_path):
    before = dump(city)
    indexes = index_names(city)
    marker = tmp_path / "marker"
    code = CHILD.format(root=str(ROOT), marker=str(marker), data=str(city.data_dir), pkg=str(pkg))
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while not marker.exists():
            assert child.poll() is None, child.communicate()
            assert time.monotonic() < deadline
            time.sleep(0.05)
        child.kill()
        child.wait()
    finally:
        if child.poll() is None:
            child.kill()
    assert dump(city) == before
    assert index_names(city) == indexes
    out = one(sync.import_from(city, pkg, backup=False))
    assert out.status == "applied" and out.applied == total_records(town)


# ------------------------------------------------------------------ keys, enrolment, trust

def test_enrolment_needs_the_right_fingerprint_and_a_replaced_pc_reenrols(town, city, tmp_path, pkg):
    f = tmp_path / "new.cdenrol"
    old_fp = sync.own_keys(town).fingerprint
    new = sync.init_keys(town, replace=True)  # the PC was replaced
    assert new.fingerprint != old_fp
    sync.export_enrolment(town, f)
    preview = sync.read_enrolment(city, f)
    assert preview.replaces and preview.current.fingerprint == old_fp
    with pytest.raises(InvalidInput, match="指纹"):
        sync.enrol_office(city, f, fingerprint="1234 5678", replace=True)
    with pytest.raises(Exists, match="换机重新登记"):
        sync.enrol_office(city, f, fingerprint=new.fingerprint)
    sync.enrol_office(city, f, fingerprint=new.fingerprint.replace(" ", ""), replace=True)
    peers = {p.key_id: p for p in sync.list_peers(city)}
    assert not peers[preview.current.key_id].active and peers[new.key_id].active
    refused(city, pkg, "sender_revoked")  # made with the old key
    bundle = tmp_path / "t.cdtrust"
    sync.export_trust_bundle(city, bundle)
    assert sync.import_trust_bundle(town, bundle).me_enrolled
    p = sync.export_packages(town, tmp_path / "s2").packages[0]
    assert p.seq_from == 1  # a new key starts the stream again
    assert one(sync.import_from(city, tmp_path / "s2")).applied == total_records(town)


def test_a_town_checks_the_fingerprint_of_a_city_key_it_does_not_trust_yet(city, tmp_path):
    t = make_town(tmp_path / "t", "丹江口市浪河镇人大", "420381105000")
    f = tmp_path / "e.cdenrol"
    sync.enrol_office(city, f, fingerprint=sync.export_enrolment(t, f).fingerprint)
    bundle = tmp_path / "trust.cdtrust"
    sync.export_trust_bundle(city, bundle)
    city_fp = sync.own_keys(city).fingerprint
    preview = sync.read_trust_bundle(t, bundle)
    assert not preview.known and preview.fingerprint == city_fp and preview.current_fingerprint == ""
    with pytest.raises(InvalidInput, match="须核对指纹") as e:
        sync.import_trust_bundle(t, bundle)  # a swapped bundle would send every package to its maker
    assert city_fp in e.value.message and sync.list_peers(t) == []
    sync.import_trust_bundle(t, bundle, fingerprint=city_fp.replace(" ", ""))
    assert sync.read_trust_bundle(t, bundle).known
    sync.import_trust_bundle(t, bundle)  # the same key again (a new list of towns): no check needed
    # the city's new key: the fingerprint again, and the choice to replace the old one
    old_bundle = tmp_path / "old.cdtrust"
    shutil.copy2(bundle, old_bundle)
    sync.init_keys(city, replace=True)
    sync.export_trust_bundle(city, bundle)
    new_fp = sync.own_keys(city).fingerprint
    preview = sync.read_trust_bundle(t, bundle)
    assert not preview.known and preview.current_fingerprint == city_fp
    with pytest.raises(InvalidInput, match="须核对指纹"):
        sync.import_trust_bundle(t, bundle, replace=True)
    with pytest.raises(Exists, match="另一把密钥"):
        sync.import_trust_bundle(t, bundle, fingerprint=new_fp)
    assert sync.import_trust_bundle(t, bundle, fingerprint=new_fp, replace=True).replaced
    with pytest.raises(InvalidInput, match="旧密钥"):  # the old bundle, found again: said at once
        sync.read_trust_bundle(t, old_bundle)
    t.close()


def test_tampered_enrolment_and_trust_files_are_refused(town, city, tmp_path):
    f = tmp_path / "e.cdenrol"
    sync.export_enrolment(town, f)
    doc = json.loads(f.read_text("utf-8"))
    doc["name"] = "冒名镇人大"
    f.write_text(json.dumps(doc, ensure_ascii=False), "utf-8")
    with pytest.raises(CongressError, match="签名不对"):
        sync.read_enrolment(city, f)
    doc["format"] = 9
    f.write_text(json.dumps(doc, ensure_ascii=False), "utf-8")
    with pytest.raises(CongressError, match="更新版本"):
        sync.read_enrolment(city, f)
    b = tmp_path / "t.cdtrust"
    sync.export_trust_bundle(city, b)
    with pytest.raises(InvalidInput, match="指纹"):
        sync.import_trust_bundle(town, b, fingerprint="0000 0000")


# ------------------------------------------------------------------ packages down

def test_city_roster_goes_down_read_only_and_the_town_confirms(town, city, tmp_path):
    cd = deputies.create_deputy(city, {"name": "市代表甲", "levels": ["county"], "gender": "女"})
    down = sync.export_packages(city, tmp_path / "stick").packages[0]
    assert down.recipient == town.office.code and down.tables == {"deputy": 1}
    out = one(sync.import_from(town, tmp_path / "stick"))
    assert out.status == "applied" and out.applied == 1
    got = deputies.get_deputy(town, cd.id)
    assert got.owner_code == city.office.code
    with pytest.raises(ReadOnlyRecord, match="丹江口市人大常委会"):
        deputies.update_deputy(town, cd.id, got.as_form() | {"note": "镇里改"})
    assert deputies.count_deputies(town, deputies.DeputyQuery(owner=town.office.code)) == 64
    # the town's receipt goes up with its next package; the city reads it on import
    sync.export_packages(town, tmp_path / "stick")
    report = sync.import_from(city, tmp_path / "stick")
    assert report.receipts and report.receipts[0].accepted and report.receipts[0].confirmed_seq == down.seq_to
    assert sync.list_towns(city)[0].down_waiting == 0


def test_the_same_person_in_the_city_and_the_town_roll_blocks_neither_office(town, city, tmp_path):
    """A deputy of both levels: the town keeps its record, the city registers its own and sends it
    down. The duplicate check looks at an office's own records: neither copy stops the other office."""
    mine = next(d for d in deputies.query_deputies(town, deputies.DeputyQuery(), 0, 200) if d.id_number)
    sync.export_packages(town, tmp_path / "up")
    sync.import_from(city, tmp_path / "up")
    same = {"name": mine.name, "gender": mine.gender, "birth_date": mine.birth_date, "id_number": mine.id_number,
            "levels": ["county", "town"]}
    at_city = deputies.create_deputy(city, same)  # the town's copy is there, owned by the town
    assert at_city.owner_code == city.office.code
    with pytest.raises(Exists):  # twice in the city's own roll: still refused
        deputies.create_deputy(city, same)
    sync.export_packages(city, tmp_path / "down")
    sync.import_from(town, tmp_path / "down")
    raw = {f: getattr(mine, f) for f in ("name", "gender", "birth_date", "id_number", "levels", "village_id")}
    edited = deputies.update_deputy(town, mine.id, raw | {"mobile": "13900001111"})  # the city's copy is there
    assert edited.mobile == "13900001111"
    from congress_desktop.duty import activity

    assert activity.find_deputy_id(town, mine.id_number) == mine.id  # this office's record, not "two deputies"
    options = [o.id for o in activity.deputy_options(town)]  # evaluated once, on the town's own record
    assert mine.id in options and at_city.id not in options


def test_towns_table_shows_gaps_and_quiet_towns(town, city, tmp_path):
    import datetime as dt

    sync.export_packages(town, tmp_path / "stick")
    sync.import_from(city, tmp_path / "stick")
    row = sync.list_towns(city)[0]
    assert row.enrolled and row.records == total_records(town, deleted=False) and row.packages == 1 and not row.silent and row.gaps == ""
    later = sync.list_towns(city, now=dt.datetime.now(dt.UTC).replace(tzinfo=None) + dt.timedelta(days=40))[0]
    assert later.silent and later.days_silent >= 40


def test_local_search_keys_at_the_city_make_no_new_versions_or_false_conflicts(town, city, tmp_path):
    from congress_desktop.visits import opinions

    sync.export_packages(town, tmp_path / "stick")
    sync.import_from(city, tmp_path / "stick")
    before = dump(city)
    opinions.query_opinions(city, opinions.OpinionQuery())  # indexes received opinions (local rowid)
    with city.store.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM opinion WHERE seq IS NULL").scalar() == 0
        assert conn.exec_driver_sql("SELECT count(*) FROM change_log").scalar() == 0
    assert dump(city) != before
    # a search key recomputed differently here is no conflict when the same version comes again
    with city.store.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE deputy SET search_text = 'x', name_pinyin = 'x'")
    new = sync.init_keys(town, replace=True)  # a new stream: every record comes again, compared one by one
    f = tmp_path / "re.cdenrol"
    sync.export_enrolment(town, f)
    sync.enrol_office(city, f, fingerprint=new.fingerprint, replace=True)
    sync.export_packages(town, tmp_path / "s2")
    out = one(sync.import_from(city, tmp_path / "s2"))
    assert out.status == "applied" and out.quarantined == 0 and out.unchanged == total_records(town)
