"""Sync by USB stick (DESIGN.md §3): keys and enrolment, town -> city packages, receipts, the
city's view of all towns, and city -> town packages.

The protocol in short:

- Each office makes its keys once (``init_keys``). A town carries its enrolment file to the city;
  the city checks the fingerprint by phone or on the stamped form and enrols it (``enrol_office``);
  the city's keys and the list of enrolled towns go back in a trust bundle (``import_trust_bundle``).
- A package carries every record changed after the last sequence of the sender's change log the
  receiver confirmed, as the record is now. The receiver applies it in one transaction and writes
  a signed receipt next to it; the sender reads receipts at its next export or import and advances
  its confirmed point. A lost stick loses nothing: the next package carries the same changes.
- The receiver remembers every applied package by id and sequence range (``sync_package``):
  replays and older packages change nothing; a gap (e.g. after restoring a backup) is reported,
  and the receipt names the last contiguous sequence, so the sender sends the gap again.
- A package is one stream per sender key: a new key (PC replaced) starts from sequence 1."""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import sqlite3
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from sqlalchemy import delete, func, select, text
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from congress_desktop.core.context import (
    Cancel,
    Context,
    OfficeInfo,
    Progress,
    check_cancel,
    never_cancel,
    no_progress,
)
from congress_desktop.core.errors import CongressError, Exists, InvalidInput, NotFound
from congress_desktop.core.store import epochs as store_epochs
from congress_desktop.core.store.db import backup_copy
from congress_desktop.core.store.ids import uuid7
from congress_desktop.core.store.models import ChangeLog, utcnow
from congress_desktop.core.store.models_sync import (
    SyncKeptHere,
    SyncKeptThere,
    SyncOwnKey,
    SyncPackage,
    SyncPeer,
    SyncQuarantine,
    SyncSeenEpoch,
    SyncState,
)
from congress_desktop.sync import apply as sync_apply
from congress_desktop.sync import engine, stick, streams
from congress_desktop.sync import keys as keymod
from congress_desktop.sync.checks import ValueRefused
from congress_desktop.sync.content import FORBIDDEN
from congress_desktop.sync.keys import KeyPair, PublicKeys, normalise_fingerprint
from congress_desktop.sync.package import (
    CORRUPT,
    DOC_FORMAT,
    MAX_SEQ,
    PACKAGE_SUFFIX,
    RECEIPT_SUFFIX,
    UUID_RE,
    BodyReader,
    BodyWriter,
    Header,
    SyncError,
    document_signed_by,
    open_body,
    read_document,
    read_header,
    seal,
    sign_document,
    utc_text,
)

log = logging.getLogger(__name__)

ENROLMENT_KIND = "congress-desktop-enrolment"
TRUST_KIND = "congress-desktop-trust"
RECEIPT_KIND = "congress-desktop-receipt"
ENROLMENT_SUFFIX = ".cdenrol"
TRUST_SUFFIX = ".cdtrust"
ROLE_NAMES = {"town": "乡镇（街道）", "city": "市人大常委会"}
QUIET_DAYS = 30


# ====================================================================== rows crossing to the GUI

@dataclass(frozen=True)
class KeyInfo:
    key_id: str
    fingerprint: str
    created_at: dt.datetime   # UTC
    office_name: str
    office_code: str
    role: str
    protection: str


@dataclass(frozen=True)
class PeerRow:
    id: int
    code: str
    name: str
    role: str
    key_id: str
    fingerprint: str
    enrolled_at: dt.datetime
    revoked_at: dt.datetime | None
    revoke_reason: str

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    @property
    def status_label(self) -> str:
        return "有效" if self.active else f"已吊销（{self.revoke_reason}）" if self.revoke_reason else "已吊销"


@dataclass(frozen=True)
class EnrolmentPreview:
    code: str
    name: str
    role: str
    key_id: str
    fingerprint: str
    created_at: str
    current: PeerRow | None      # the office's key enrolled now, if any
    already: bool                # this very key is enrolled
    revoked: bool                # this very key was revoked

    @property
    def replaces(self) -> bool:
        return self.current is not None and not self.already


@dataclass(frozen=True)
class TrustResult:
    city_code: str
    city_name: str
    fingerprint: str
    towns: int
    me_enrolled: bool
    replaced: bool


@dataclass(frozen=True)
class PackageWritten:
    recipient: str
    recipient_name: str
    path: Path
    seq_from: int
    seq_to: int
    records: int
    tables: dict[str, int]
    attachments: int
    superseded_removed: int


@dataclass(frozen=True)
class ReceiptRead:
    issuer: str
    issuer_name: str
    package_id: str
    confirmed_seq: int
    accepted: bool
    note: str
    restarted: bool = False   # the receiver found a fork: this office began a new epoch


@dataclass(frozen=True)
class ExportResult:
    folder: Path
    packages: tuple[PackageWritten, ...]
    receipts: tuple[ReceiptRead, ...]

    @property
    def records(self) -> int:
        return sum(p.records for p in self.packages)


@dataclass(frozen=True)
class PackageOutcome:
    file: str
    sender: str
    sender_name: str
    status: str               # applied / already / refused
    message: str
    seq_from: int = 0
    seq_to: int = 0
    records: int = 0
    applied: int = 0
    unchanged: int = 0
    older: int = 0
    quarantined: int = 0
    tables: dict[str, int] = field(default_factory=dict)
    kind: str = ""            # why refused (SyncError.kind)
    receipt: str = ""         # receipt file written, '' if none
    receipt_error: str = ""
    gap: str = ""
    superseded: int = 0       # records the sender changed after its restore, taken over ours (kept on file)
    stale: bool = False       # a package from before the sender's restore: only what we lacked was added
    kept: int = 0             # records of the sender we hold and it lost (listed in the receipt)

    @property
    def ok(self) -> bool:
        return self.status != "refused"


@dataclass(frozen=True)
class ImportReport:
    folder: Path
    packages: tuple[PackageOutcome, ...]
    receipts: tuple[ReceiptRead, ...]
    skipped_other: int         # packages on the stick addressed to other offices
    backup: Path | None
    warnings: tuple[str, ...] = ()  # after everything applied: an index rebuild or a checkpoint failed

    @property
    def ok(self) -> bool:
        return all(p.ok for p in self.packages)

    @property
    def applied(self) -> int:
        return sum(p.applied for p in self.packages)


@dataclass(frozen=True)
class PeerStatus:
    code: str
    name: str
    role: str
    confirmed_seq: int
    waiting_changes: int       # change-log entries after the confirmed point
    waiting_records: int       # distinct records among them
    last_export_at: dt.datetime | None
    last_export_seq: int
    last_export_file: str
    last_receipt_at: dt.datetime | None
    last_import_at: dt.datetime | None


@dataclass(frozen=True)
class SyncStatus:
    office: OfficeInfo
    keys: KeyInfo | None
    last_seq: int
    peers: tuple[PeerStatus, ...]
    open_quarantine: int
    epoch: store_epochs.Epoch | None = None  # this file's current epoch (a new one after each restore)
    kept_there: int = 0   # our records a peer keeps and we lost (its last receipt said so)
    kept_here: int = 0    # records of peers we keep and they lost

    @property
    def waiting_records(self) -> int:
        return max((p.waiting_records for p in self.peers), default=0)


@dataclass(frozen=True)
class TownRow:
    code: str
    name: str
    enrolled: bool
    status: str
    enrolled_at: dt.datetime | None
    key_id: str
    fingerprint: str
    last_package_at: dt.datetime | None   # applied here (UTC)
    last_package_made: dt.datetime | None  # made at the town (UTC)
    last_seq: int                          # contiguous sequence received from the current key
    packages: int
    records: int                           # records of this town held here
    gaps: str                              # '' or 「缺第 11–20 号变更」
    days_silent: int | None
    silent: bool
    down_waiting: int                      # city changes the town has not confirmed
    quarantined: int


# ====================================================================== helpers

def _office(ctx: Context) -> OfficeInfo:
    return ctx.require_office()


def _peer_row(p: SyncPeer) -> PeerRow:
    return PeerRow(p.id, p.code, p.name, p.role, p.key_id, p.fingerprint, p.enrolled_at, p.revoked_at,
                   p.revoke_reason)


def _protection_label(ctx: Context, kid: str) -> str:
    return keymod.protection_label(ctx.data_dir, kid)  # from the key file itself, not the platform


def _own_key_row(s: Session) -> SyncOwnKey | None:
    return s.scalars(select(SyncOwnKey).where(SyncOwnKey.retired_at.is_(None)).order_by(SyncOwnKey.id.desc())).first()


def _key_info(ctx: Context, k: SyncOwnKey) -> KeyInfo:
    o = _office(ctx)
    return KeyInfo(k.key_id, k.fingerprint, k.created_at, o.name, o.code, o.role, _protection_label(ctx, k.key_id))


def _my_pair(ctx: Context, *, passphrase: str | None = None) -> tuple[KeyPair, KeyInfo]:
    with ctx.store.session() as s:
        k = _own_key_row(s)
        if k is None:
            raise CongressError("本单位还没有同步密钥。请先在“同步”页点击“生成本单位密钥”（命令行：keys init）",
                                code="no_keys")
        # loaded before the label is read: loading may re-protect a key file of the old scheme
        pair = keymod.load_private(ctx.data_dir, k.key_id, passphrase=passphrase)
        return pair, _key_info(ctx, k)


def _state(s: Session, code: str) -> SyncState:
    st = s.get(SyncState, code)
    if st is None:
        st = SyncState(peer_code=code, confirmed_seq=0, receipt_serial=0, last_export_seq=0, last_export_file="",
                       issued_receipts=0, epoch="", receipt_package_no=0)
        s.add(st)
        s.flush()
    return st


def _reset_stream(st: SyncState) -> None:
    """Nothing of ours confirmed yet: a new key or a new epoch (the peer counts from the first again)."""
    st.confirmed_seq = 0
    st.receipt_serial = 0
    st.receipt_package_no = 0


def _confirmed(st: SyncState | None, epoch: str) -> int:
    """What the peer confirmed of our current epoch's changes (0 when it confirmed another epoch's)."""
    return st.confirmed_seq if st is not None and st.epoch == epoch else 0


def _active_peers(s: Session, role: str | None = None) -> list[SyncPeer]:
    q = select(SyncPeer).where(SyncPeer.revoked_at.is_(None)).order_by(SyncPeer.code)
    if role:
        q = q.where(SyncPeer.role == role)
    return list(s.scalars(q))


def _peer_keys(p: SyncPeer) -> PublicKeys:
    return PublicKeys.from_hex(p.sign_public, p.box_public)


def _other_role(role: str) -> str:
    return "city" if role == "town" else "town"


def _last_seq(s: Session) -> int:
    return s.scalar(select(func.max(ChangeLog.seq))) or 0


def _waiting(s: Session, after: int, upto: int) -> tuple[int, int]:
    if upto <= after:
        return 0, 0
    row = s.execute(select(func.count(), func.count(func.distinct(ChangeLog.table_name + ":" + ChangeLog.record_id)))
                    .where(ChangeLog.seq > after, ChangeLog.seq <= upto)).one()
    return int(row[0]), int(row[1])


def _gap_text(gaps: list[tuple[int, int]]) -> str:
    return "；".join(f"缺第 {a}–{b} 号变更" if a != b else f"缺第 {a} 号变更" for a, b in gaps)


def _write_json_file(path: Path, data: bytes) -> Path:
    path = Path(path)
    stick.write_bytes(path.parent, path.name, data)
    return path


# ====================================================================== keys

def own_keys(ctx: Context) -> KeyInfo | None:
    with ctx.store.session() as s:
        k = _own_key_row(s)
        return _key_info(ctx, k) if k else None


def key_passphrase_need(ctx: Context) -> str | None:
    """Before work that uses this office's private key: keys.UNLOCK or keys.CHOOSE when a person must
    type a passphrase first (the window asks on its own thread, then calls ``unlock_own_key``)."""
    k = own_keys(ctx)
    return keymod.passphrase_need(ctx.data_dir, k.key_id) if k else None


def new_key_passphrase_need() -> str | None:
    """keys.CHOOSE when ``init_keys`` here needs a new passphrase (no keyring, not Windows)."""
    return keymod.new_key_passphrase_need()


def unlock_own_key(ctx: Context, passphrase: str | None = None) -> KeyInfo:
    """Unwrap this office's private key now and keep it for the run (wrong passphrase: KeyError_)."""
    _pair, info = _my_pair(ctx, passphrase=passphrase)
    return info


def init_keys(ctx: Context, *, replace: bool = False, passphrase: str | None = None) -> KeyInfo:
    """Make this office's key pair. ``replace``: a new pair after a PC was replaced or a key leaked;
    the old one is retired and every peer must receive the new enrolment / trust bundle.
    ``passphrase``: the one chosen in the window, where the key is protected by a passphrase."""
    office = _office(ctx)
    with ctx.store.session() as s:
        old = _own_key_row(s)
        if old is not None and not replace:
            raise Exists("本单位已有同步密钥（指纹 " + old.fingerprint + "）。如果更换了电脑或密钥可能泄露，"
                         "请选择“重新生成密钥”（命令行：keys init --replace），然后重新登记")
    pair = KeyPair.generate()
    pub = pair.public
    try:
        keymod.save_private(ctx.data_dir, pair, passphrase=passphrase)
    except OSError as e:
        raise CongressError(f"无法保存私钥：{e.strerror or e}") from e
    with ctx.store.session() as s:
        now = utcnow()
        for k in s.scalars(select(SyncOwnKey).where(SyncOwnKey.retired_at.is_(None))):
            k.retired_at = now
        k = SyncOwnKey(key_id=pub.key_id, sign_public=pub.sign.hex(), box_public=pub.box.hex(),
                       fingerprint=pub.fingerprint(office.code), created_at=now)
        s.add(k)
        if old is not None:
            # a new key is a new stream: the peers start counting our changes from the first again
            for st in s.scalars(select(SyncState)):
                _reset_stream(st)
        s.flush()
        return _key_info(ctx, k)


def export_enrolment(ctx: Context, path: str | Path) -> KeyInfo:
    """The file a town carries to the city once (public keys only; nothing secret in it)."""
    pair, info = _my_pair(ctx)
    office = _office(ctx)
    doc = {"kind": ENROLMENT_KIND, "format": DOC_FORMAT, "code": office.code, "name": office.name, "role": office.role,
           "key_id": info.key_id, "sign_public": pair.public.sign.hex(), "box_public": pair.public.box.hex(),
           "fingerprint": info.fingerprint, "created_at": utc_text(info.created_at)}
    _write_json_file(Path(path), sign_document(doc, pair))
    return info


def _read_file(path: str | Path, what: str) -> bytes:
    p = Path(path)
    try:
        if p.stat().st_size > 1024**2:
            raise SyncError(f"{what}文件过大，不是本程序生成的文件", "limits")
        return p.read_bytes()
    except FileNotFoundError as e:
        raise NotFound(f"找不到文件 {p}") from e
    except OSError as e:
        raise SyncError(f"无法读取{what}文件：{e.strerror or e}", "io") from e


def _public_from_doc(doc: dict, what: str) -> tuple[PublicKeys, str, str, str]:
    try:
        code, name, role = doc["code"], doc["name"], doc["role"]
        pub = PublicKeys.from_hex(doc["sign_public"], doc["box_public"])
    except (KeyError, TypeError, CongressError) as e:
        raise SyncError(f"{what}文件已损坏或不完整", "corrupt") from e
    if (not isinstance(code, str) or not re.fullmatch(r"\d{12}", code) or not isinstance(name, str)
            or not 0 < len(name) <= 100 or role not in ROLE_NAMES):
        raise SyncError(f"{what}文件已损坏或不完整", "corrupt")
    if not document_signed_by(doc, pub):
        raise SyncError(f"{what}文件的签名不对：文件被改动过或已损坏", "signature")
    if doc.get("key_id") != pub.key_id or doc.get("fingerprint") != pub.fingerprint(code):
        raise SyncError(f"{what}文件已损坏（密钥编号或指纹不符）", "corrupt")
    return pub, code, name, role


def read_enrolment(ctx: Context, path: str | Path) -> EnrolmentPreview:
    """Read an enrolment file and say what enrolling it would do (the city checks the fingerprint)."""
    return _enrolment(ctx, _read_file(path, "登记"))[0]


def _enrolment(ctx: Context, data: bytes) -> tuple[EnrolmentPreview, PublicKeys]:
    office = _office(ctx)
    doc = read_document(data, ENROLMENT_KIND, "登记")
    pub, code, name, role = _public_from_doc(doc, "登记")
    if office.role != "city":
        raise InvalidInput("只有市人大常委会登记乡镇的密钥；乡镇请导入市人大下发的信任包")
    if role != "town":
        raise InvalidInput(f"“{name}”不是乡镇（街道）的登记文件")
    if code == office.code:
        raise InvalidInput("这是本单位自己的登记文件")
    with ctx.store.session() as s:
        same = s.scalars(select(SyncPeer).where(SyncPeer.key_id == pub.key_id)).first()
        current = s.scalars(select(SyncPeer).where(SyncPeer.code == code, SyncPeer.revoked_at.is_(None))).first()
        return EnrolmentPreview(code, name, role, pub.key_id, pub.fingerprint(code), str(doc.get("created_at", "")),
                                _peer_row(current) if current else None,
                                already=same is not None and same.revoked_at is None,
                                revoked=same is not None and same.revoked_at is not None), pub


def enrol_office(ctx: Context, path: str | Path, *, fingerprint: str, replace: bool = False) -> PeerRow:
    """Enrol a town's key after its fingerprint was checked (by phone or on the stamped form).

    ``replace``: the town already has a key here (PC replaced): that key is revoked, this one
    enrolled, and the town's changes are counted again from the first."""
    # the file is read once: the key enrolled is the key whose fingerprint was just compared
    preview, pub = _enrolment(ctx, _read_file(path, "登记"))
    if normalise_fingerprint(fingerprint) != preview.fingerprint:
        raise InvalidInput("输入的指纹与登记文件不一致，未登记。请与对方逐组核对指纹；不一致时不要登记，"
                           "请让对方重新导出登记文件", field="fingerprint")
    if preview.already:
        raise Exists(f"“{preview.name}”的这把密钥已经登记过了")
    if preview.revoked:
        raise InvalidInput("这把密钥已被吊销，不能再次登记。请让对方重新生成密钥后再导出登记文件")
    if preview.current is not None and not replace:
        raise Exists(f"“{preview.name}”已登记了另一把密钥（指纹 {preview.current.fingerprint}）。"
                     "如果该单位更换了电脑或重新生成了密钥，请选择“换机重新登记”（命令行加 --replace），"
                     "旧密钥将被吊销")
    code, name, role = preview.code, preview.name, preview.role
    with ctx.store.session() as s:
        now = utcnow()
        for old in s.scalars(select(SyncPeer).where(SyncPeer.code == code, SyncPeer.revoked_at.is_(None))):
            old.revoked_at = now
            old.revoke_reason = "换机重新登记"
        p = SyncPeer(code=code, name=name, role=role, key_id=pub.key_id, sign_public=pub.sign.hex(),
                     box_public=pub.box.hex(), fingerprint=pub.fingerprint(code), enrolled_at=now,
                     revoke_reason="")
        s.add(p)
        st = _state(s, code)
        if preview.current is not None:
            # a new PC may hold an older copy of the database: send the city's records down again
            _reset_stream(st)
        s.flush()
        return _peer_row(p)


def revoke_office(ctx: Context, code: str, reason: str = "") -> PeerRow:
    """Stop accepting packages signed by an office's current key (lost or stolen PC, key leaked)."""
    reason = (reason or "").strip() or "已吊销"
    with ctx.store.session() as s:
        p = s.scalars(select(SyncPeer).where(SyncPeer.code == code, SyncPeer.revoked_at.is_(None))).first()
        if p is None:
            raise NotFound(f"没有区划代码为 {code} 的有效登记")
        p.revoked_at = utcnow()
        p.revoke_reason = reason[:200]
        s.flush()
        return _peer_row(p)


def list_peers(ctx: Context, *, include_revoked: bool = True) -> list[PeerRow]:
    with ctx.store.session() as s:
        q = select(SyncPeer).order_by(SyncPeer.code, SyncPeer.id)
        if not include_revoked:
            q = q.where(SyncPeer.revoked_at.is_(None))
        return [_peer_row(p) for p in s.scalars(q)]


def export_trust_bundle(ctx: Context, path: str | Path) -> KeyInfo:
    """City: its own public keys and the list of enrolled towns, signed, for the towns to import."""
    office = _office(ctx)
    if office.role != "city":
        raise InvalidInput("信任包由市人大常委会导出")
    pair, info = _my_pair(ctx)
    with ctx.store.session() as s:
        offices = [{"code": p.code, "name": p.name, "role": p.role, "key_id": p.key_id, "fingerprint": p.fingerprint,
                    "revoked": p.revoked_at is not None} for p in s.scalars(select(SyncPeer).order_by(SyncPeer.code))]
    doc = {"kind": TRUST_KIND, "format": DOC_FORMAT, "code": office.code, "name": office.name, "role": "city",
           "key_id": info.key_id, "sign_public": pair.public.sign.hex(), "box_public": pair.public.box.hex(),
           "fingerprint": info.fingerprint, "issued_at": utc_text(), "offices": offices}
    _write_json_file(Path(path), sign_document(doc, pair))
    return info


@dataclass(frozen=True)
class TrustPreview:
    """A trust bundle read but not imported: the town checks the city's fingerprint first."""
    city_code: str
    city_name: str
    key_id: str
    fingerprint: str
    towns: int
    me_enrolled: bool
    known: bool                 # this very key is trusted already (a routine update): no check needed
    current_fingerprint: str    # another city key trusted now ('' if none): importing replaces it


REVOKED_CITY_KEY = "这是市人大已经更换（作废）的旧密钥的信任包，未导入。请向市人大索取最新的信任包"


def _read_trust(ctx: Context, path: str | Path):
    office = _office(ctx)
    if office.role != "town":
        raise InvalidInput("信任包由乡镇导入；市人大登记乡镇请用“登记乡镇”")
    doc = read_document(_read_file(path, "信任包"), TRUST_KIND, "信任包")
    pub, code, name, role = _public_from_doc(doc, "信任包")
    if role != "city":
        raise SyncError("信任包不是市人大常委会签发的", "corrupt")
    offices = doc.get("offices")
    if not isinstance(offices, list) or not all(isinstance(o, dict) for o in offices):
        raise SyncError("信任包已损坏或不完整", "corrupt")
    mine = own_keys(ctx)
    me_enrolled = mine is not None and any(
        o.get("code") == office.code and o.get("key_id") == mine.key_id and not o.get("revoked") for o in offices)
    towns = sum(1 for o in offices if o.get("role") == "town" and not o.get("revoked"))
    return pub, code, name, me_enrolled, towns


def read_trust_bundle(ctx: Context, path: str | Path) -> TrustPreview:
    pub, code, name, me_enrolled, towns = _read_trust(ctx, path)
    with ctx.store.session() as s:
        same = s.scalars(select(SyncPeer).where(SyncPeer.key_id == pub.key_id)).first()
        if same is not None and same.revoked_at is not None:
            raise InvalidInput(REVOKED_CITY_KEY)
        known = same is not None
        current = [] if known else _active_peers(s, "city")
        return TrustPreview(code, name, pub.key_id, pub.fingerprint(code), towns, me_enrolled, known,
                            current[0].fingerprint if current else "")


def import_trust_bundle(ctx: Context, path: str | Path, *, fingerprint: str = "", replace: bool = False) -> TrustResult:
    """Town: trust the city's keys from its bundle. A city key this town does not trust yet needs
    ``fingerprint``, checked by phone or against the city's stamped form (a swapped bundle would
    otherwise send every later package to whoever made it); the same key again (a new list of towns)
    does not. A bundle with a different city key than the one trusted now also needs ``replace``."""
    pub, code, name, me_enrolled, towns = _read_trust(ctx, path)
    if fingerprint and normalise_fingerprint(fingerprint) != pub.fingerprint(code):
        raise InvalidInput("输入的指纹与信任包中市人大的密钥指纹不一致，未导入。请与市人大核对", field="fingerprint")
    replaced = False
    with ctx.store.session() as s:
        same = s.scalars(select(SyncPeer).where(SyncPeer.key_id == pub.key_id)).first()
        if same is not None and same.revoked_at is not None:
            raise InvalidInput(REVOKED_CITY_KEY)
        if same is None:
            if not fingerprint:
                raise InvalidInput(f"这是“{name}”的一把新密钥（指纹 {pub.fingerprint(code)}），导入前须核对指纹："
                                   "请对照市人大盖章的密钥登记表，或电话请市人大逐组朗读（命令行加 --fingerprint）",
                                   field="fingerprint")
            current = _active_peers(s, "city")
            if current and not replace:
                raise Exists(f"本单位已信任“{current[0].name}”的另一把密钥（指纹 {current[0].fingerprint}）。"
                             "如果市人大更换了密钥，请核对新指纹后勾选“替换原来的密钥”（命令行加 --replace）")
            now = utcnow()
            for c in current:
                c.revoked_at = now
                c.revoke_reason = "市人大更换密钥"
                replaced = True
            s.add(SyncPeer(code=code, name=name, role="city", key_id=pub.key_id, sign_public=pub.sign.hex(),
                           box_public=pub.box.hex(), fingerprint=pub.fingerprint(code), enrolled_at=now,
                           revoke_reason=""))
            st = _state(s, code)
            if replaced:
                _reset_stream(st)
        else:
            same.name = name
    return TrustResult(code, name, pub.fingerprint(code), towns, me_enrolled, replaced)


# ====================================================================== receipts

def _receipt_name(issuer: str, recipient: str, epoch: str, serial: int) -> str:
    # the issuer's epoch in the name: after a restore its serials start again, never on the same name
    return f"rcpt-{issuer}-{recipient}-{(epoch or '0')[:8]}-{serial:08d}{RECEIPT_SUFFIX}"


def _make_receipt(ctx: Context, pair: KeyPair, info: KeyInfo, header: Header, *, serial: int, confirmed: int,
                  status: str, counts: dict, issuer_epoch: str, kept: dict | None = None) -> tuple[str, bytes]:
    """A signed receipt for one package: the contiguous point we hold of the sender's stream (which
    may be lower than before: we restored a backup, please send the rest again), the package's
    outcome, and what we keep of the sender's records that it lost (``kept``)."""
    office = _office(ctx)
    doc = {"kind": RECEIPT_KIND, "format": DOC_FORMAT, "issuer": office.code, "issuer_name": office.name,
           "issuer_key_id": info.key_id, "issuer_epoch": issuer_epoch, "recipient": header.sender,
           "stream_key_id": header.sender_key_id, "stream_epoch": header.epoch,
           "package_id": header.package_id, "seq_from": header.seq_from, "seq_to": header.seq_to,
           "confirmed_seq": confirmed, "serial": serial, "status": status, "issued_at": utc_text(), **counts}
    if kept is not None:
        doc["kept"] = kept
    return _receipt_name(office.code, header.sender, issuer_epoch, serial), sign_document(doc, pair)


def _kept_items(doc: dict) -> list[tuple[str, str, int, str, str]] | None:
    kept = doc.get("kept")
    if not isinstance(kept, dict) or not isinstance(kept.get("items"), list):
        return None
    out = []
    for item in kept["items"][:sync_apply.KEPT_LIST_MAX]:
        if (isinstance(item, list) and len(item) == 5 and all(isinstance(v, str) for v in item[:2] + item[3:])
                and isinstance(item[2], int) and not isinstance(item[2], bool) and 0 <= item[2] < 2**63
                and not any(FORBIDDEN.search(v) for v in item[:2] + item[3:])):
            out.append((item[0][:50], item[1][:36], item[2], item[3][:20], item[4][:120]))
    return out


def _take_receipt(s: Session, doc: dict, issuer: str, epoch: store_epochs.Epoch) -> tuple[bool, str, bool]:
    """Whether to take a verified receipt for our current key: (accepted, note, new epoch begun).

    A receipt counts only for a package of our current epoch, and only if it answers a newer
    package than the last receipt taken (receipts are ordered by the packages they answer, not by
    the receiver's serial numbers, which start again when the receiver restores a backup). For the
    same package, a receipt that says less is taken (the receiver lost something meanwhile)."""
    if doc.get("stream_epoch") != epoch.epoch:
        return False, "回执针对本单位恢复备份之前的数据包，已忽略", False
    pkg = s.get(SyncPackage, str(doc.get("package_id", "")))
    if pkg is None or pkg.direction != "out" or pkg.recipient != issuer or pkg.sender_epoch != epoch.epoch:
        return False, "回执针对本机没有记录的数据包，已忽略", False
    st = _state(s, issuer)
    if st.epoch != epoch.epoch:
        _reset_stream(st)
        st.epoch = epoch.epoch
    if doc.get("status") == "stale":
        # the receiver holds a later epoch of ours than this one, which this file never knew (a
        # history lost here, or two restores that named nothing and a clock set back): a new epoch
        # that names that one too, so the receiver takes what we send from now on
        lost = doc.get("current_epoch")
        replaces = (lost,) if isinstance(lost, str) and UUID_RE.fullmatch(lost) else ()
        new = store_epochs.start_new_epoch(s, "replaced", f"{issuer} 保存着本机不知道的一段数据",
                                           started_seq=epoch.started_seq, replaces=replaces)
        _reset_stream(st)
        st.epoch = new.epoch
        st.last_receipt_at = utcnow()
        return True, "对方保存着本机不知道的一段较新的数据，已重新编号，下次导出会把全部记录再发一遍", True
    if doc.get("status") == "fork":
        # the receiver holds a package of ours that this file does not know: it was put back to an
        # older copy behind the program's back. A new epoch: everything goes again, nothing collides
        prev = s.get(SyncPackage, pkg.prev_id) if pkg.prev_id else None
        new = store_epochs.start_new_epoch(s, "rollback", f"{issuer} 发现数据包不衔接",
                                           started_seq=prev.seq_to if prev is not None else 0)
        _reset_stream(st)
        st.epoch = new.epoch
        st.last_receipt_at = utcnow()
        return True, "对方发现本机的数据库曾被换成较早的副本，已重新开始编号，下次导出会把全部记录再发一遍", True
    confirmed = min(doc["confirmed_seq"], _last_seq(s))
    if pkg.no < st.receipt_package_no or (pkg.no == st.receipt_package_no and confirmed >= st.confirmed_seq):
        return False, "回执已读过", False
    # the receiver's word on what it holds, even if lower (it restored a backup): the next package
    # then carries the gap again
    st.confirmed_seq = confirmed
    st.receipt_package_no = pkg.no
    st.receipt_serial = doc["serial"]
    st.last_receipt_at = utcnow()
    items = _kept_items(doc)
    if items is not None:
        s.execute(delete(SyncKeptThere).where(SyncKeptThere.peer_code == issuer))
        now = utcnow()
        for table, rid, version, why, label in {(i[0], i[1]): i for i in items}.values():
            s.add(SyncKeptThere(peer_code=issuer, table_name=table, record_id=rid, version=version, why=why,
                                label=label, at=now))
    return True, "", False


def _read_receipts(ctx: Context, folder: Path, info: KeyInfo | None, files: list[Path] | None = None) -> list[ReceiptRead]:
    """Receipts addressed to us: check, advance the confirmed point, remove them from the stick."""
    office = _office(ctx)
    out: list[ReceiptRead] = []
    candidates = files if files is not None else _scan(folder, RECEIPT_SUFFIX)
    for path in candidates:
        try:
            doc = read_document(_read_file(path, "回执"), RECEIPT_KIND, "回执")
        except CongressError as e:
            log.warning("receipt %s unreadable: %s", path, e)
            continue
        except Exception:  # whatever a file on a stick holds, one receipt never stops the others
            log.exception("receipt %s unreadable", path)
            continue
        if doc.get("recipient") != office.code:
            continue  # for another office sharing the stick
        ints = ("confirmed_seq", "serial")
        if not all(isinstance(doc.get(k), int) and not isinstance(doc.get(k), bool) and 0 <= doc[k] <= MAX_SEQ
                   for k in ints):
            continue
        issuer = str(doc.get("issuer", ""))
        restarted = False
        with ctx.store.session() as s:
            peer = s.scalars(select(SyncPeer).where(SyncPeer.key_id == str(doc.get("issuer_key_id", "")))).first()
            name = peer.name if peer else issuer
            note, accepted = "", False
            if peer is None or peer.code != issuer or not document_signed_by(doc, _peer_keys(peer)):
                note = "回执的签名无法验证，已忽略"
            elif peer.revoked_at is not None:
                note = "回执由已吊销的密钥签发，已忽略"
            elif info is None or doc.get("stream_key_id") != info.key_id:
                note = "回执针对本单位已更换的旧密钥，已忽略"
            else:
                accepted, note, restarted = _take_receipt(s, doc, issuer, store_epochs.current_epoch(s))
        out.append(ReceiptRead(issuer, name, str(doc.get("package_id", "")), doc["confirmed_seq"], accepted, note,
                               restarted))
        stick.remove_file(path)
    return out


def _scan(folder: Path, suffix: str) -> list[Path]:
    found: list[Path] = []
    for f in (folder, folder / stick.SYNC_FOLDER) if folder.name != stick.SYNC_FOLDER else (folder,):
        try:
            found += sorted(p for p in f.iterdir() if p.suffix == suffix and p.is_file() and not p.name.startswith("."))
        except FileNotFoundError:
            continue
        except OSError as e:
            raise stick.stick_error(e, f, writing=False) from e
    return found


# ====================================================================== export

def export_packages(ctx: Context, target: str | Path, *, recipients: list[str] | None = None,
                    progress: Progress = no_progress, cancel: Cancel = never_cancel) -> ExportResult:
    """Town: one package for the city. City: one package for each enrolled town (``recipients`` limits).

    Receipts on the stick are read first. Each package carries every change after the point the
    recipient confirmed; the file is written to a temporary name, synced, renamed and read back."""
    office = _office(ctx)
    pair, info = _my_pair(ctx)
    folder = stick.sync_folder(target)
    stick.check_writable(folder)
    receipts = _read_receipts(ctx, folder, info)
    with ctx.store.session() as s:
        peers = _active_peers(s, _other_role(office.role))
        if recipients:
            peers = [p for p in peers if p.code in recipients]
        targets = [(p.code, p.name, p.key_id, _peer_keys(p)) for p in peers]
    if not targets:
        if office.role == "town":
            raise CongressError("还没有导入市人大的信任包，无法导出。请先把本镇登记文件交市人大登记，"
                                "再导入市人大下发的信任包", code="no_city")
        raise CongressError("还没有登记任何乡镇，无法下发", code="no_towns")
    written = []
    for i, (code, name, key_id, keys) in enumerate(targets):
        check_cancel(cancel)
        written.append(_export_one(ctx, folder, pair, info, code, name, key_id, keys,
                                   lambda d, t, i=i: progress(i * 100 + (100 * d // max(t, 1)), 100 * len(targets)),
                                   cancel))
    progress(100 * len(targets), 100 * len(targets))
    return ExportResult(folder, tuple(written), tuple(receipts))


def _export_one(ctx: Context, folder: Path, pair: KeyPair, info: KeyInfo, code: str, name: str, key_id: str,
                keys: PublicKeys, progress: Progress, cancel: Cancel) -> PackageWritten:
    office = _office(ctx)
    with ctx.store.engine.connect() as conn, conn.begin(), Session(bind=conn) as s:
        # one read transaction: the sequence range and the rows are the same snapshot
        epoch = store_epochs.current_epoch(s)
        confirmed = _confirmed(s.get(SyncState, code), epoch.epoch)
        last = _last_seq(s)
        seq_from, seq_to = confirmed + 1, max(last, confirmed)
        prev = s.scalar(select(SyncPackage.id).where(
            SyncPackage.direction == "out", SyncPackage.recipient == code, SyncPackage.sender_key_id == info.key_id,
            SyncPackage.sender_epoch == epoch.epoch).order_by(SyncPackage.no.desc()).limit(1)) or ""
        header = Header(package_id=uuid7(), direction="up" if office.role == "town" else "down",
                        sender=office.code, sender_name=office.name[:100], sender_key_id=info.key_id,
                        recipient=code, recipient_key_id=key_id, seq_from=seq_from, seq_to=seq_to, records=0,
                        created_at=utc_text(), epoch=epoch.epoch, epochs_before=epoch.ancestors, prev_package=prev)
        spool = ctx.data_dir / "tmp"
        spool.mkdir(exist_ok=True)
        writer = BodyWriter(header, spool)
        try:
            counts = engine.write_body(conn, writer, office.code, seq_from, seq_to, ctx.data_dir, progress, cancel,
                                       fresh_after=None if epoch.root else epoch.started_seq)
            body = writer.finish()
        except ValueRefused as e:
            writer.abort()
            raise SyncError(_value_message(e, ours=True), "value") from e
        except BaseException:
            writer.abort()
            raise
    try:
        header = Header(**{**header.__dict__, "records": counts.records})
        body.seek(0, 2)
        size = body.tell()
        body.seek(0)
        final: dict = {}

        def produce(f) -> None:
            final["header"] = seal(f, header, body, pair, keys)

        path, sha = stick.write_file(folder, header.file_name, produce, need=size + 70_000)
        header = final["header"]
    finally:
        body.close()
    removed = _remove_superseded(folder, path, office.code, code, epoch.epoch)
    with ctx.store.session() as s:
        no = (s.scalar(select(func.max(SyncPackage.no)).where(SyncPackage.direction == "out")) or 0) + 1
        s.add(SyncPackage(id=header.package_id, direction="out", sender=office.code, sender_key_id=info.key_id,
                          recipient=code, seq_from=seq_from, seq_to=seq_to,
                          created_at=dt.datetime.fromisoformat(header.created_at), at=utcnow(), file_name=path.name,
                          sha256=sha, records=counts.records, tables=json.dumps(counts.tables, ensure_ascii=False),
                          sender_epoch=epoch.epoch, prev_id=prev, no=no, mode=""))
        st = _state(s, code)
        if st.epoch != epoch.epoch:  # the first package of a new epoch (or key): nothing of it confirmed yet
            _reset_stream(st)
            st.epoch = epoch.epoch
        st.last_export_at = utcnow()
        st.last_export_seq = seq_to
        st.last_export_file = str(path)[:300]
    log.info("exported %s to %s: epoch %s, seq %d-%d, %d records", path, code, epoch.epoch, seq_from, seq_to,
             counts.records)
    return PackageWritten(code, name, path, seq_from, seq_to, counts.records, dict(counts.tables),
                          counts.attachments, removed)


def _remove_superseded(folder: Path, path: Path, me: str, to: str, epoch: str) -> int:
    """Older packages of ours to the same office on the stick, of the same epoch, are covered by the
    new one. One of an earlier epoch (made before a restore) stays: it may hold the only copy of
    records this office lost in the restore, and the receiver keeps them (stale, sync/apply.py)."""
    removed = 0
    for old in _scan(folder, PACKAGE_SUFFIX):
        if old.name == path.name or not old.name.startswith(f"pkg-{me}-{to}-"):
            continue
        try:
            same_epoch = read_header(old).epoch == epoch
        except SyncError:
            same_epoch = False  # damaged: the receiver will say so; not ours to judge here
        if same_epoch:
            removed += stick.remove_file(old)
    return removed


# ====================================================================== import

def import_from(ctx: Context, source: str | Path, *, progress: Progress = no_progress,
                cancel: Cancel = never_cancel, backup: bool = True) -> ImportReport:
    """Every package addressed to us in ``source`` (a stick, a folder, or one file), each judged on its
    own and applied in its own transaction, with a signed receipt written back beside it; receipts
    found are read. One bad package never stops the others."""
    office = _office(ctx)
    src = Path(source)
    if not src.exists():
        raise NotFound(f"找不到 {src}：U盘可能已被拔出")
    if src.is_file():
        folder = src.parent
        if src.suffix == RECEIPT_SUFFIX:
            packages, receipts_files = [], [src]
        else:
            packages, receipts_files = [src], []
    else:
        folder = stick.sync_folder(src) if (stick.sync_folder(src)).is_dir() else src
        packages, receipts_files = _scan(src, PACKAGE_SUFFIX), None
    pair, info = _my_pair(ctx)
    receipts = _read_receipts(ctx, folder, info, receipts_files)
    # by sender, then in the order the sender made them, so several packages of one town apply in turn
    headers: list[tuple[Path, Header | None, SyncError | None]] = []
    skipped = 0
    for p in packages:
        try:
            h = read_header(p)
        except SyncError as e:
            headers.append((p, None, e))
            continue
        except Exception:  # one file on the stick never stops the others
            log.exception("package %s: header unreadable", p)
            headers.append((p, None, SyncError(CORRUPT, "corrupt")))
            continue
        if h.recipient != office.code and src.is_dir():
            skipped += 1
            continue
        headers.append((p, h, None))
    # a package whose epoch another package on the stick names as replaced goes after it: it is then
    # known to be from before its sender's restore (stale, or a fork the sender has outgrown)
    replaced = {(h.sender, e) for _, h, _ in headers if h for e in h.epochs_before}
    headers.sort(key=lambda x: (x[1].sender, (x[1].sender, x[1].epoch) in replaced, x[1].created_at, x[1].seq_to)
                 if x[1] else ("", False, "", 0))
    run = _Import(ctx, pair, info, backup, progress, cancel)
    try:
        run.all(headers)
    finally:
        run.finish()
    return ImportReport(folder, tuple(run.outcomes), tuple(receipts), skipped, run.backup_path, tuple(run.warnings))


@dataclass
class _Prepared:
    """A package's file work, done: signature checked, body decrypted, manifest read, the first table
    files read and checked. An error is kept and raised by the import in its turn (signature first,
    body after the replay check), so the messages and their order are those of reading it on the spot."""
    reader: BodyReader | None = None
    body: IO[bytes] | None = None
    signature_error: SyncError | None = None
    body_error: SyncError | None = None

    def close(self) -> None:
        # the zip first: left to the garbage collector, its finaliser meets a closed file (and, run in
        # the middle of an unrelated compile(), trips CPython 3.11's recursion-depth check)
        if self.reader is not None:
            self.reader.close()
        if self.body is not None:
            self.body.close()


def _prepare(data_dir: Path, path: Path, header: Header, keys: PublicKeys, pair: KeyPair) -> _Prepared:
    """Runs on the read-ahead thread: files only, never the database."""
    from congress_desktop.sync.package import check_signature

    try:
        check_signature(path, header, keys)
    except SyncError as e:
        return _Prepared(signature_error=e)
    spool = data_dir / "tmp"
    try:
        body = open_body(path, header, pair, spool if spool.is_dir() else None)
    except SyncError as e:
        return _Prepared(body_error=e)
    try:
        reader = BodyReader(body, header)  # closes its zip itself when the manifest is refused
    except SyncError as e:
        body.close()
        return _Prepared(body_error=e)
    except BaseException:
        body.close()
        raise
    try:
        reader.preload()
    except BaseException:
        reader.close()
        body.close()
        raise
    return _Prepared(reader, body)


def _refused(path: Path, header: Header | None, e: SyncError, receipt: str = "", receipt_error: str = "") -> PackageOutcome:
    log.warning("package %s refused (%s): %s", path, e.kind if isinstance(e, SyncError) else "", e.message)
    return PackageOutcome(path.name, header.sender if header else "", header.sender_name if header else "",
                          "refused", e.message, header.seq_from if header else 0,
                          header.seq_to if header else 0, header.records if header else 0,
                          kind=getattr(e, "kind", "invalid"), receipt=receipt, receipt_error=receipt_error)


def _backup_before_sync(ctx: Context) -> Path:
    """A checked copy before the first package of an import applies (rotation: store/backups.py)."""
    return backup_copy(ctx.db_path, "sync")


MAX_CHANGES_PER_RECORD = 1000  # a record changed a thousand times between two exports: not a human's work
SEQ_SLACK = 100_000


def check_package(ctx: Context, header: Header, pair_info: KeyInfo) -> tuple[SyncPeer, str]:
    """Who sent it and whether we take it; raises SyncError with the reason. Returns (peer, status)."""
    office = _office(ctx)
    with ctx.store.session() as s:
        if header.recipient != office.code:
            other = s.scalars(select(SyncPeer.name).where(SyncPeer.code == header.recipient)).first()
            raise SyncError(f"该数据包是发给“{other or header.recipient}”的，不是发给本单位的，已拒绝", "recipient")
        if header.recipient_key_id != pair_info.key_id:
            old = s.scalars(select(SyncOwnKey).where(SyncOwnKey.key_id == header.recipient_key_id)).first()
            if old is not None:
                raise SyncError("该数据包是用本单位已更换的旧密钥加密的，无法解密。请让对方导入本单位最新的"
                                "登记（或信任包）后重新导出", "old_key")
            raise SyncError("该数据包不是用本单位的密钥加密的，无法解密，已拒绝", "recipient")
        expected = "up" if office.role == "city" else "down"
        peer = s.scalars(select(SyncPeer).where(SyncPeer.key_id == header.sender_key_id)).first()
        if peer is None:
            known = s.scalars(select(SyncPeer).where(SyncPeer.code == header.sender)).first()
            if known is not None:
                raise SyncError(f"该数据包的签名密钥未在本单位登记：如果“{known.name}”更换了电脑或重新生成了密钥，"
                                "请先用新的登记文件“换机重新登记”", "sender_unknown")
            raise SyncError(f"数据包来自未登记的单位（{header.sender_name}，区划代码 {header.sender}），已拒绝。"
                            "如需接收，请先核对指纹并登记该单位的密钥", "sender_unknown")
        if peer.code != header.sender:
            raise SyncError(f"数据包声称来自区划代码 {header.sender}（{header.sender_name}），但签名密钥属于"
                            f"“{peer.name}”，已拒绝", "sender_mismatch")
        if peer.revoked_at is not None:
            raise SyncError(f"“{peer.name}”的这把密钥已于 {peer.revoked_at:%Y-%m-%d} 吊销"
                            f"（{peer.revoke_reason or '已吊销'}），它签发的数据包不再接收", "sender_revoked")
        if peer.role != _other_role(office.role) or header.direction != expected:
            raise SyncError("数据包的方向不对（乡镇之间不交换数据包），已拒绝", "direction")
        span = header.seq_to - header.seq_from + 1
        if span > header.records * MAX_CHANGES_PER_RECORD + SEQ_SLACK:
            # a range no office could have made: applied, it would cover the sender's genuine
            # packages for good (they would look like replays)
            raise SyncError(f"数据包声称包含第 {header.seq_from}–{header.seq_to} 号变更，却只有 {header.records} 条记录，"
                            "序号不合理，已拒绝，本机数据未改变。请让对方用本程序重新导出", "seq")
        s.expunge(peer)
        return peer, expected


class _Import:
    """One import from a stick: the packages in turn, each refused or applied on its own, the next one
    read ahead on a second thread, the indexes of a big import dropped and built once at the end."""

    def __init__(self, ctx: Context, pair: KeyPair, info: KeyInfo, backup: bool, progress: Progress, cancel: Cancel):
        self.ctx, self.pair, self.info = ctx, pair, info
        self.backup, self.progress, self.cancel = backup, progress, cancel
        self.outcomes: list[PackageOutcome] = []
        self.warnings: list[str] = []
        self.backup_path: Path | None = None
        self._writable: list[SyncError | None] = []
        self.bulk = engine.BulkLoad()
        self.epoch = ""

    def ensure_backup(self) -> None:
        if self.backup and self.backup_path is None:
            self.backup_path = _backup_before_sync(self.ctx)

    def ensure_writable(self, where: Path) -> None:
        if not self._writable:
            try:
                stick.check_writable(where)
                self._writable.append(None)
            except stick.StickError as e:
                self._writable.append(SyncError(e.message, e.kind))
        if self._writable[0] is not None:
            raise self._writable[0]

    def all(self, headers: list[tuple[Path, Header | None, SyncError | None]]) -> None:
        total = sum(h.records for _, h, _ in headers if h) or 1
        with self.ctx.store.session() as s:
            self.epoch = store_epochs.current_epoch(s).epoch
        done = 0
        # The next package is verified, decrypted, inflated and hashed on a second thread while this one
        # is written (that work runs without the GIL): about a twentieth of a big import. Depth one, so
        # at most two packages are held in memory. Only file work runs there; the database is read and
        # written here, in order.
        ahead: dict[int, Future[_Prepared]] = {}
        pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sync-read-ahead")

        def read_ahead(i: int) -> None:
            if i >= len(headers) or i in ahead or headers[i][1] is None:
                return
            path, header, _ = headers[i]
            try:
                peer, _ = check_package(self.ctx, header, self.info)
            except SyncError:
                return  # refused in its turn, with this same message
            ahead[i] = pool.submit(_prepare, self.ctx.data_dir, path, header, _peer_keys(peer), self.pair)

        try:
            for i, (path, header, error) in enumerate(headers):
                check_cancel(self.cancel)
                base = done
                if error is not None:
                    self.outcomes.append(_refused(path, None, error))
                    continue
                assert header is not None
                read_ahead(i)
                read_ahead(i + 1)
                self.outcomes.append(self._judged(path, header, ahead.pop(i, None),
                                                  lambda n, base=base: self.progress(base + n, total)))
                done = base + header.records
                self.progress(done, total)
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
            for f in ahead.values():  # read ahead, not used (cancelled, or an error above)
                if not f.cancelled() and f.exception() is None:
                    f.result().close()

    def _judged(self, path: Path, header: Header, ahead: Future[_Prepared] | None,
                progress: Callable[[int], None]) -> PackageOutcome:
        """One package, whatever happens to it: a bad one is refused with its reason and the next one
        is tried (an error nobody foresaw included: logged, and said in Chinese)."""
        try:
            return self._one(path, header, ahead, progress)
        except ValueRefused as e:
            return _refused(path, header, SyncError(_value_message(e), "value"))
        except _Forked as e:
            return _refused(path, header, e.error, e.receipt, e.receipt_error)
        except SyncError as e:
            return _refused(path, header, e)
        except CongressError as e:
            if e.code == "cancelled":
                raise
            return _refused(path, header, SyncError(e.message, e.code))
        except (KeyboardInterrupt, SystemExit):
            raise
        except Exception as e:
            log.exception("package %s: unexpected error", path)
            return _refused(path, header, SyncError(
                f"导入时出现意外错误（{type(e).__name__}），整个数据包未导入，本机数据未改变；详细信息已写入日志。"
                "其他数据包不受影响", "internal"))

    def _one(self, path: Path, header: Header, ahead: Future[_Prepared] | None,
             progress: Callable[[int], None]) -> PackageOutcome:
        try:
            peer, _ = check_package(self.ctx, header, self.info)
        except BaseException:
            if ahead is not None and ahead.exception() is None:
                ahead.result().close()  # read ahead, but this office no longer takes it
            raise
        prepared = ahead.result() if ahead is not None else _prepare(self.ctx.data_dir, path, header,
                                                                     _peer_keys(peer), self.pair)
        try:
            return self._apply(path, header, peer, prepared, progress)
        finally:
            prepared.close()

    def _receipt(self, path: Path, header: Header, serial: int, mark: int, status: str, counts: dict,
                 kept: dict | None = None) -> tuple[str, str]:
        name, data = _make_receipt(self.ctx, self.pair, self.info, header, serial=serial, confirmed=mark,
                                   status=status, counts=counts, issuer_epoch=self.epoch, kept=kept)
        try:
            self.ensure_writable(path.parent)
            stick.write_bytes(path.parent, name, data)
            return name, ""
        except (stick.StickError, SyncError) as e:
            return "", (f"回执未能写入：{e.message} 数据已导入；请插好U盘后再导入一次同一个数据包，"
                        "程序会只补写回执，不会重复导入")

    def _apply(self, path: Path, header: Header, peer: SyncPeer, prepared: _Prepared,
               progress: Callable[[int], None]) -> PackageOutcome:
        if prepared.signature_error is not None:
            raise prepared.signature_error
        key = streams.StreamKey.of(header)
        with self.ctx.store.session() as s:
            streams.adopt_legacy(s, header)
            known = s.get(SyncPackage, header.package_id)
            replay = known is not None and known.direction == "in"
            # a fork first: a file put back to an older copy reuses numbers we hold, so its package
            # would look covered (a replay, or older) and its receipt would confirm what we never got
            fork = None if replay else streams.forked(s, header)
            # a forked package of an epoch its sender has replaced since (it read our fork receipt and
            # sent everything again): nothing in it we need; it only waits on the stick to be let go
            outgrown = fork is not None and streams.replaced(s, header)
            if fork is None and not replay and header.seq_to >= header.seq_from and streams.covered(
                    s, key, header.seq_from, header.seq_to):
                if header.seq_to < streams.newest_seq(s, key):
                    raise SyncError(f"该数据包比已导入的数据旧（第 {header.seq_from}–{header.seq_to} 号变更都已导入过），"
                                    f"已忽略，本机数据未改变。请导入“{peer.name}”最新导出的数据包", "older")
                replay = True  # the same changes again (our receipt was lost): nothing new to apply
            # a refusal changes nothing here, not even the receipt counter: its receipt repeats the last
            # serial (the town takes receipts by the package they answer, not by serial)
            st = s.get(SyncState, peer.code)
            serial = st.issued_receipts if st else 0
            mark, gaps = streams.received_mark(s, key)
        if outgrown:
            stick.remove_file(path)
            return PackageOutcome(path.name, peer.code, peer.name, "already",
                                  "这个数据包在对方的数据库被换成较早的副本之后导出，对方随后已重新编号并把全部记录"
                                  "重新发来，本次未作任何改动，已从U盘删除", header.seq_from, header.seq_to,
                                  header.records)
        if fork is not None:
            # what we hold follows another package of the same point: the sender's file was put back
            e = SyncError(f"“{peer.name}”的数据库曾被换成较早的副本（这个数据包与以前导入的 {fork.file_name or fork.id} "
                          "接在同一处），本次未导入，本机数据未改变。回执已请对方重新编号后把全部记录再发一遍", "fork")
            receipt, receipt_error = self._receipt(path, header, serial, mark, "fork", {})
            raise _Forked(e, receipt, receipt_error)
        if replay:
            receipt, receipt_error = self._receipt(path, header, serial, mark, "already", {})
            return PackageOutcome(path.name, peer.code, peer.name, "already",
                                  "该数据包以前已导入过，本次未作任何改动" + ("，已重新写回执" if receipt else ""),
                                  header.seq_from, header.seq_to, header.records, receipt=receipt,
                                  receipt_error=receipt_error, gap=_gap_text(gaps))
        self.ensure_writable(path.parent)  # a receipt must be possible before anything is applied
        if prepared.body_error is not None:
            raise prepared.body_error
        reader = prepared.reader
        assert reader is not None
        self.ensure_backup()
        dropped_before = set(self.bulk.tables)
        try:
            with self.ctx.store.session() as s:
                stream = streams.classify(s, header)
                conn = s.connection()
                result = sync_apply.Applier(conn, reader, stream, self.ctx.data_dir, progress, self.cancel,
                                            self.bulk).run()
                sync_apply.write_kept(conn, peer.code, result)
                now = utcnow()
                for q in result.quarantine:
                    s.add(SyncQuarantine(package_id=header.package_id, sender=peer.code, table_name=q.table,
                                         record_id=q.record_id, version=q.version, reason=q.reason,
                                         local_row=sync_apply.dump_json(q.local_row),
                                         incoming_row=sync_apply.dump_json(q.incoming_row), at=now,
                                         resolved=q.resolved))
                s.add(SyncPackage(id=header.package_id, direction="in", sender=peer.code,
                                  sender_key_id=header.sender_key_id, recipient=header.recipient,
                                  seq_from=header.seq_from, seq_to=header.seq_to,
                                  created_at=dt.datetime.fromisoformat(header.created_at), at=now,
                                  file_name=path.name[:300], sha256="", records=header.records,
                                  applied=result.applied, unchanged=result.unchanged, older=result.older,
                                  quarantined=result.quarantined,
                                  tables=json.dumps(result.tables, ensure_ascii=False),
                                  sender_epoch=header.epoch, prev_id=header.prev_package, no=0,
                                  mode="stale" if stream.stale else ""))
                st = _state(s, peer.code)
                st.issued_receipts += 1
                st.last_import_at = now
                serial = st.issued_receipts
                s.flush()
                mark, gaps = streams.received_mark(s, key)
                kept = None if stream.stale else sync_apply.kept_list(conn, peer.code)
                current = s.get(SyncSeenEpoch, stream.current_id) if stream.stale else None
        except BaseException as e:
            self.bulk.tables = dropped_before  # the rollback brought this package's dropped indexes back
            if isinstance(e, (IntegrityError, sqlite3.IntegrityError)):
                error = SyncError("数据包中的记录引用了本机没有的记录，或与本机的记录冲突，已整包拒绝，本机数据未改变。"
                                  "回执已告诉对方本机收到哪里，请对方再导出一次（会包含缺少的部分）", "integrity")
                # what it refers to may be what we lost in a restore of ours: the receipt says where we
                # stand, so the sender sends that part again (without a receipt it would never know)
                with self.ctx.store.session() as s:
                    st = s.get(SyncState, peer.code)
                    serial = st.issued_receipts if st else 0  # nothing written: see the fork above
                    mark, _ = streams.received_mark(s, key)
                receipt, receipt_error = self._receipt(path, header, serial, mark, "refused", {})
                raise _Forked(error, receipt, receipt_error) from e
            if isinstance(e, (OperationalError, sqlite3.OperationalError)):
                raise SyncError(f"写入数据库时出错（{getattr(e, 'orig', e)}），已整包撤销，本机数据未改变",
                                "database") from e
            raise
        counts = {"applied": result.applied, "unchanged": result.unchanged, "older": result.older,
                  "quarantined": result.quarantined, "superseded": result.superseded}
        if current is not None:  # what we take for the sender's current epoch (it may not know it)
            counts["current_epoch"] = current.epoch
        receipt, receipt_error = self._receipt(path, header, serial, mark, "stale" if stream.stale else "applied",
                                               counts, kept)
        if receipt and not receipt_error:
            stick.remove_file(path)  # applied and confirmed: no reason to leave personal data on the stick
        msg = _applied_message(result, stream)
        if gaps:
            msg += f"。注意：{_gap_text(gaps)}，回执已请对方重新发送"
        log.info("applied %s from %s: %s", path.name, peer.code, msg)
        return PackageOutcome(path.name, peer.code, peer.name, "applied", msg, header.seq_from, header.seq_to,
                              header.records, result.applied, result.unchanged, result.older, result.quarantined,
                              dict(result.tables), receipt=receipt, receipt_error=receipt_error, gap=_gap_text(gaps),
                              superseded=result.superseded, stale=stream.stale,
                              kept=sum(1 for k in result.kept))

    def finish(self) -> None:
        ctx = self.ctx
        try:
            if self.bulk.tables:  # also after a cancel or an error: the indexes dropped for a big import come back
                self.progress(0, 0)  # a busy bar: seconds per million rows, with nothing to count
                with ctx.store.engine.begin() as conn:
                    self.bulk.rebuild(conn)
        except Exception:  # the packages are in and their receipts written: do not lose the report
            log.exception("rebuilding the indexes after the import failed; the next start builds them")
            self.warnings.append("导入后重建索引没有完成（数据已导入，不受影响）；下次启动程序或运行“检查数据”时会自动重建")
        # the pooled connection keeps the big page cache and the long checkpoint interval of apply_body
        # from one package to the next (the pages of the indexes stay warm), and goes back to the usual
        # settings, with one checkpoint, once all are done
        try:
            with ctx.store.engine.connect() as conn:
                engine.end_import(conn)
        except Exception as e:  # the packages are applied and confirmed: say so, then warn (disk full?)
            log.exception("the final checkpoint after the import failed")
            self.warnings.append(_after_import_warning(ctx, e))


class _Forked(Exception):
    """A refusal that still wrote a receipt (a fork, a package that refers to what we lack)."""

    def __init__(self, error: SyncError, receipt: str, receipt_error: str):
        super().__init__(error.message)
        self.error, self.receipt, self.receipt_error = error, receipt, receipt_error


def _after_import_warning(ctx: Context, e: Exception) -> str:
    import shutil

    try:
        free = shutil.disk_usage(ctx.data_dir).free
    except OSError:
        free = -1
    where = f"（剩余 {free / 1024**2:.0f} MB）" if free >= 0 else ""
    return (f"数据已导入并已写回执，但随后整理数据库文件时出错：{getattr(e, 'orig', e)}。数据所在磁盘{ctx.data_dir}"
            f"可能空间不足{where}：请清理出空间，程序下次打开数据库时会自动完成整理")


def _applied_message(result: sync_apply.ApplyResult, stream: sync_apply.Stream) -> str:
    msg = f"已导入：写入 {result.applied} 条记录"
    if result.unchanged:
        msg += f"，{result.unchanged} 条与本机相同"
    if result.older:
        msg += f"，{result.older} 条比本机旧已忽略"
    if result.superseded:
        msg += f"，{result.superseded} 条是对方恢复备份后重新修改的，已采用对方现在的内容（原内容留存备查）"
    if result.quarantined:
        msg += f"，{result.quarantined} 条有冲突已隔离待查"
    if stream.stale:
        msg = ("这是对方恢复备份之前导出的数据包：只补入了本机没有的记录，对方现在的数据不受影响。" + msg)
    kept = {k.why for k in result.kept}
    if kept & {"only_here", "newer_here"}:
        n = sum(1 for k in result.kept if k.why in ("only_here", "newer_here"))
        msg += f"。本机保存着对方 {n} 条对方已没有（或比对方新）的记录，已保留并在回执中告知对方"
    return msg


def _value_message(e: ValueRefused, *, ours: bool = False) -> str:
    d = e.details
    table = TABLE_LABELS.get(d.get("table", ""), d.get("table", ""))
    field_name = field_label(d.get("table", ""), d.get("column", "")) if d.get("column") else ""
    record = f"“{d['label']}”" if d.get("label") else ""
    rid = f"（编号 {d['record']}）" if d.get("record") else ""
    what = f"{table}{record}{rid}的“{field_name}”{d.get('reason', '取值不对')}"
    if ours:  # found at the export: our own record, which the receiver would refuse
        return f"本单位的{what}，对方会拒收整个数据包，所以没有导出。请先修改这条记录再导出"
    return f"{what}，整个数据包未导入，本机数据未改变。请对方修改这条记录后重新导出"


# ====================================================================== status and the towns table

def sync_status(ctx: Context) -> SyncStatus:
    office = _office(ctx)
    keys = own_keys(ctx)
    with ctx.store.session() as s:
        last = _last_seq(s)
        epoch = store_epochs.current_epoch(s)
        peers = []
        for p in _active_peers(s, _other_role(office.role)):
            st = s.get(SyncState, p.code)
            confirmed = _confirmed(st, epoch.epoch)
            changes, records = _waiting(s, confirmed, last)
            peers.append(PeerStatus(p.code, p.name, p.role, confirmed, changes, records,
                                    st.last_export_at if st else None, st.last_export_seq if st else 0,
                                    st.last_export_file if st else "", st.last_receipt_at if st else None,
                                    st.last_import_at if st else None))
        open_q = s.scalar(select(func.count()).select_from(SyncQuarantine).where(SyncQuarantine.resolved.is_(False)))
        there = s.scalar(select(func.count()).select_from(SyncKeptThere)) or 0
        here = s.scalar(select(func.count()).select_from(SyncKeptHere)) or 0
    return SyncStatus(office, keys, last, tuple(peers), open_q or 0, epoch, there, here)


@dataclass(frozen=True)
class KeptRow:
    """A record one office keeps that its owner lost (restore): which side, what, why."""
    holder: str          # the office keeping it
    owner: str           # the office the record belongs to
    table: str
    record_id: str
    version: int
    why: str
    label: str

    @property
    def why_label(self) -> str:
        return KEPT_REASONS.get(self.why, self.why)

    @property
    def title(self) -> str:
        kind = TABLE_LABELS.get(self.table, self.table)
        return f"{kind}：{self.label}" if self.label else f"{kind}（编号 {self.record_id[:8]}…）"


KEPT_REASONS = {"only_here": "本单位恢复备份后已没有这条记录", "newer_here": "对方保存的版本比本单位现在的新",
                "lost_there": "来自本单位恢复备份之前导出的数据包，本单位已没有"}


def list_kept(ctx: Context) -> list[KeptRow]:
    """Town (or city): our records a peer still keeps that we lost in a restore, as its last receipt
    listed them; and records of peers that we keep for them. They are never deleted for being
    forgotten: the owner can enter them again, looking at this list (`sync kept`)."""
    office = _office(ctx)
    out: list[KeptRow] = []
    with ctx.store.session() as s:
        for r in s.scalars(select(SyncKeptThere).order_by(SyncKeptThere.peer_code, SyncKeptThere.table_name,
                                                           SyncKeptThere.label)):
            out.append(KeptRow(r.peer_code, office.code, r.table_name, r.record_id, r.version, r.why, r.label))
        for r in s.scalars(select(SyncKeptHere).order_by(SyncKeptHere.sender, SyncKeptHere.table_name,
                                                          SyncKeptHere.label)):
            out.append(KeptRow(office.code, r.sender, r.table_name, r.record_id, r.version, r.why, r.label))
    return out


def _records_by_owner(s: Session) -> dict[str, int]:
    out: dict[str, int] = {}
    for t in engine.synced_tables():
        for owner, n in s.execute(text(f'SELECT owner_code, count(*) FROM "{t.name}" WHERE deleted = 0 '
                                       "GROUP BY owner_code")):
            out[owner] = out.get(owner, 0) + n
    return out


def list_towns(ctx: Context, *, quiet_days: int = QUIET_DAYS, now: dt.datetime | None = None) -> list[TownRow]:
    """City: every town ever enrolled, with its last package, gaps, and whether it has gone quiet."""
    now = now or utcnow()
    with ctx.store.session() as s:
        last = _last_seq(s)
        epoch = store_epochs.current_epoch(s)
        peers = list(s.scalars(select(SyncPeer).where(SyncPeer.role == "town").order_by(SyncPeer.code, SyncPeer.id)))
        by_code: dict[str, list[SyncPeer]] = {}
        for p in peers:
            by_code.setdefault(p.code, []).append(p)
        records = _records_by_owner(s)
        out = []
        for code, keys in by_code.items():
            current = next((p for p in reversed(keys) if p.revoked_at is None), None)
            p = current or keys[-1]
            pkgs = s.execute(select(func.count(), func.max(SyncPackage.at), func.max(SyncPackage.created_at)).where(
                SyncPackage.direction == "in", SyncPackage.sender == code)).one()
            mark, gaps = streams.received_mark(s, streams.current_stream(s, code, p.key_id))
            st = s.get(SyncState, code)
            down_changes = _waiting(s, _confirmed(st, epoch.epoch), last)[1]
            quarantined = s.scalar(select(func.count()).select_from(SyncQuarantine).where(
                SyncQuarantine.sender == code, SyncQuarantine.resolved.is_(False))) or 0
            seen = pkgs[1] or p.enrolled_at
            days = (now - seen).days if seen else None
            status = "已登记" if current else f"已吊销（{p.revoke_reason}）" if p.revoke_reason else "已吊销"
            out.append(TownRow(code, p.name, current is not None, status, p.enrolled_at, p.key_id, p.fingerprint,
                               pkgs[1], pkgs[2], mark, int(pkgs[0] or 0), records.get(code, 0), _gap_text(gaps),
                               days, current is not None and days is not None and days >= quiet_days,
                               down_changes, quarantined))
    return out


@dataclass(frozen=True)
class QuarantineRow:
    id: int
    package_id: str
    sender: str
    table: str
    record_id: str
    version: int
    reason: str
    at: dt.datetime
    local_row: dict
    incoming_row: dict


def list_quarantine(ctx: Context, *, include_resolved: bool = False) -> list[QuarantineRow]:
    with ctx.store.session() as s:
        q = select(SyncQuarantine).order_by(SyncQuarantine.id)
        if not include_resolved:
            q = q.where(SyncQuarantine.resolved.is_(False))
        return [QuarantineRow(r.id, r.package_id, r.sender, r.table_name, r.record_id, r.version, r.reason, r.at,
                              json.loads(r.local_row or "{}"), json.loads(r.incoming_row or "{}"))
                for r in s.scalars(q)]


TABLE_LABELS = {
    "attachment": "附件", "eval_scheme": "考评方案", "handling_unit": "承办单位", "opinion_category": "意见类别",
    "training": "培训", "village": "村(社区)", "vote_project": "票决项目", "vote_session": "票决会议",
    "contact_point": "联系点", "deputy": "代表", "eval_period": "考评期间", "grid": "网格", "vote_item": "票决事项",
    "vote_log": "票决操作记录", "vote_round": "投票轮次", "contact_point_deputy": "联系点的代表",
    "duty_record": "履职记录", "grid_assignment": "入格安排", "training_attendee": "培训参加人员", "visit": "接待",
    "vote_attendance": "票决出席", "vote_ballot": "选票", "vote_ruling": "计票裁定", "vote_totals": "票决结果",
    "voter_rating": "选民测评", "opinion": "意见建议", "visit_deputy": "参加接待的代表", "visitor": "来访群众",
    "opinion_event": "办理记录", "opinion_meeting": "面对面",
}
_COMMON_LABELS = {"id": "记录编号", "owner_code": "所属单位", "version": "版本号", "deleted": "已删除",
                  "created_at": "创建时间", "updated_at": "修改时间", "note": "备注", "name": "名称",
                  "title": "标题", "content": "内容", "village_id": "所在村(社区)", "deputy_id": "代表",
                  "action": "操作", "active": "是否启用", "address": "地址", "all_deputies": "全体代表数",
                  "announced_at": "公布时间", "announced_by": "公布人", "at": "时间", "attendance": "出席情况",
                  "ballot_order": "选票顺序", "basic": "基本称职票数", "batch_id": "批次", "beneficiaries": "受益群众",
                  "body": "方案内容", "by": "认定人", "by_user": "操作人", "category": "类别", "chair": "执行主席",
                  "chief_scrutineer": "总监票人", "clerk": "录入员", "clerk_name": "录入员姓名", "closed": "已关闭",
                  "closed_by": "关闭人", "closed_on": "关闭日期", "code": "编码", "competent": "称职票数",
                  "contact_person": "联系人", "contact_point_id": "联系站点", "counts": "票数", "date": "日期",
                  "date_from": "起始日期", "date_to": "截止日期", "deadline": "完成时限", "detail": "详细内容",
                  "doubtful": "存疑", "end_on": "离格日期", "entered_by": "录入人", "file_name": "文件名",
                  "final_hash": "最终校验值", "from_state": "原状态", "funding": "资金来源", "grid_id": "网格",
                  "hash": "校验值", "head_count": "人数", "head_name": "负责人", "head_phone": "负责人电话",
                  "held_on": "培训日期", "hint": "说明", "hours": "学时", "households": "户数",
                  "id_number": "身份证号", "incompetent": "不称职票数", "investment": "投资（万元）",
                  "issued": "发出票数", "item_ids": "表决事项", "kind": "类型", "liaison_name": "联络员",
                  "liaison_phone": "联络员电话", "marks": "标记", "meet_on": "面对面日期", "mode": "录入方式",
                  "name_initials": "姓名首字母", "name_pinyin": "姓名拼音", "notes": "记录", "number": "编号",
                  "opinion_id": "意见建议", "organiser": "主办单位", "owner_id": "所属记录", "owner_table": "所属类别",
                  "parent_id": "上级站点", "participants": "参加人员", "period_id": "考评期间", "person": "责任人",
                  "phone": "电话", "place": "地点", "place_code": "所在村(社区)代码", "points": "分值",
                  "population": "人口", "position": "顺序", "present": "实到人数", "prev_hash": "上一条校验值",
                  "project_id": "票决项目", "rated_on": "测评日期", "reason": "原因", "reception_rule": "接待安排",
                  "record_date": "日期", "replaces_id": "更正的选票", "result": "计票结果", "returned": "收回票数",
                  "role": "角色", "round_id": "投票轮次", "rules": "表决规则", "scheme_id": "考评方案",
                  "scrutineers": "监票人", "search_text": "检索文本", "seats": "名额", "seq": "序号",
                  "session_id": "票决会议", "sha256": "文件校验值", "size": "大小", "snapshot": "结果快照",
                  "sort_order": "排序", "source": "来源", "stage": "阶段", "start_on": "入格日期", "state": "状态",
                  "status": "状态", "step_on": "日期", "tellers": "计票人", "to_state": "新状态", "topic": "主题",
                  "training_id": "培训", "unit": "实施单位", "unsealed": "拆封票数", "user": "操作人",
                  "valid": "有效票数", "village_group": "村民小组", "visit_id": "接待", "void": "无效票数",
                  "worker_name": "网格员", "worker_phone": "网格员电话", "year": "年度"}


def field_label(table: str, column: str) -> str:
    """The Chinese name of a column for the review of held-back records (the column name if none)."""
    from congress_desktop.deputies.rules import FIELD_LABELS as DEPUTY_LABELS
    from congress_desktop.visits.opinions import FIELD_LABELS as OPINION_LABELS
    from congress_desktop.visits.service import VISIT_LABELS

    for labels in ({"deputy": DEPUTY_LABELS, "opinion": OPINION_LABELS, "visit": VISIT_LABELS}.get(table, {}),
                   _COMMON_LABELS):
        if column in labels:
            return labels[column]
    return column


def quarantine_title(row: QuarantineRow) -> str:
    """What the held-back record is, in a few words: its table and its name, title or content."""
    data = row.incoming_row or row.local_row
    text = next((str(data[k]) for k in ("name", "title", "content", "visit_date") if data.get(k)), "")
    label = TABLE_LABELS.get(row.table, row.table)
    return f"{label}：{text[:30]}" if text else f"{label}（编号 {row.record_id[:8]}…）"


def quarantine_differences(row: QuarantineRow) -> list[tuple[str, str, str]]:
    """(field, this PC's value, the received value) for every field that differs; the search keys
    each office derives itself are left out."""
    out = []
    t = engine.table_map().get(row.table)
    for col in row.incoming_row:
        if col in engine.DERIVED or col in ("id", "owner_code"):
            continue
        mine, theirs = row.local_row.get(col), row.incoming_row.get(col)
        if mine != theirs:
            kind = t.kinds[t.index(col)] if t is not None and col in t.columns else ""
            out.append((field_label(row.table, col), _shown(col, kind, mine), _shown(col, kind, theirs)))
    return out


def _shown(col: str, kind: str, value) -> str:
    if value is None:
        return ""
    if kind == "bool":
        return "是" if value else "否"
    if col.endswith("_at") and isinstance(value, str):  # stored in UTC: shown in local time, to the second
        try:
            t = dt.datetime.fromisoformat(value)
        except ValueError:
            return value
        return t.replace(tzinfo=dt.UTC).astimezone().strftime("%Y-%m-%d %H:%M:%S")
    return str(value)


def resolve_quarantine(ctx: Context, quarantine_id: int, *, take_incoming: bool) -> str:
    """Settle a held-back record: keep this PC's version, or write the received one over it (only for
    a same-version conflict, and only while the record here is still at that version). Both versions
    stay in the quarantine table, so nothing is lost either way. Returns a message."""
    with ctx.store.session() as s:
        q = s.get(SyncQuarantine, quarantine_id)
        if q is None or q.resolved:
            raise NotFound("该隔离记录不存在或已经处理过")
        label = TABLE_LABELS.get(q.table_name, q.table_name)
        if not take_incoming:
            q.resolved = True
            log.info("quarantine %s (%s %s v%s): kept the local version", q.id, q.table_name, q.record_id, q.version)
            return f"已保留本机的{label}记录，收到的版本不采用（仍留存备查）"
        if q.reason != engine.SAME_VERSION:
            raise InvalidInput("本机同一编号的记录属于其他单位，不能用收到的内容替换，只能“保留本机版本”")
        t = engine.table_map().get(q.table_name)
        if t is None:
            raise InvalidInput(f"本程序不认识数据表“{q.table_name}”，无法采用收到的版本")
        conn = s.connection()
        local = conn.exec_driver_sql(f'SELECT owner_code, version FROM "{t.name}" WHERE id = ?',
                                     (q.record_id,)).first()
        if local is None or local[0] != q.sender:
            raise InvalidInput("本机已没有这条记录（或它已不属于发送单位），无法采用收到的版本")
        if local[1] != q.version:
            raise InvalidInput(f"本机的这条记录此后已更新到第 {local[1]} 版，收到的第 {q.version} 版已过时，"
                               "请选“保留本机版本”")
        incoming = json.loads(q.incoming_row or "{}")
        cols = [c for c in t.columns if c in incoming and c != "id"]
        values = [engine._decode(incoming[c], t.kinds[t.index(c)]) for c in cols]
        # the content changed while the version did not: what says "indexed at this version" (opinions'
        # search text and full-text row) must not believe it, or search keeps finding the old words
        if "indexed_version" in dict(t.local):
            cols.append("indexed_version")
            values.append(0)
        try:
            conn.exec_driver_sql(f'UPDATE "{t.name}" SET {", ".join(f"{engine._q(c)} = ?" for c in cols)} '
                                 "WHERE id = ?", (*values, q.record_id))
        except (IntegrityError, sqlite3.IntegrityError) as e:
            raise InvalidInput("收到的版本引用了本机没有的记录，暂时无法采用。请先导入对方最新的数据包，再来处理") from e
        q.resolved = True
        log.info("quarantine %s (%s %s v%s): took the received version", q.id, q.table_name, q.record_id, q.version)
        return f"已采用收到的{label}记录（本机原来的内容仍留存备查）"


def print_fingerprint_form(ctx: Context, path: str | Path, *, enrolment: str | Path | None = None) -> int:
    """密钥登记表: this office's key (to stamp and send), or a received enrolment file (city)."""
    from congress_desktop.sync.report import render_fingerprint_form

    office = _office(ctx)
    if enrolment:
        p = read_enrolment(ctx, enrolment)
        return render_fingerprint_form(path, office_name=p.name, code=p.code, role_label=ROLE_NAMES[p.role],
                                       key_id=p.key_id, fingerprint=p.fingerprint, created=p.created_at[:16].replace("T", " "),
                                       purpose=f"{office.name}登记核对用")
    k = own_keys(ctx)
    if k is None:
        raise CongressError("本单位还没有同步密钥，请先生成密钥", code="no_keys")
    created = k.created_at.replace(tzinfo=dt.UTC).astimezone().strftime("%Y-%m-%d %H:%M")
    purpose = "报市人大常委会登记，用于U盘数据同步" if office.role == "town" else "供各乡镇核对市人大密钥"
    return render_fingerprint_form(path, office_name=office.name, code=office.code, role_label=ROLE_NAMES[office.role],
                                   key_id=k.key_id, fingerprint=k.fingerprint, created=created, purpose=purpose)
