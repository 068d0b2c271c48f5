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

from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from ..errors import CongressError, Exists, InvalidInput, NotFound
from ..store.db import backup_copy
from ..store.ids import uuid7
from ..store.models import ChangeLog, utcnow
from ..store.models_sync import SyncOwnKey, SyncPackage, SyncPeer, SyncQuarantine, SyncState
from ..sync import engine, stick
from ..sync import keys as keymod
from ..sync.keys import KeyPair, PublicKeys, normalise_fingerprint
from ..sync.package import (
    FORMAT,
    PACKAGE_SUFFIX,
    RECEIPT_SUFFIX,
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
from .context import Cancel, Context, OfficeInfo, Progress, check_cancel, never_cancel, no_progress

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
                       issued_receipts=0)
        s.add(st)
        s.flush()
    return st


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


def _received_mark(s: Session, sender: str, key_id: str) -> tuple[int, list[tuple[int, int]]]:
    """The last contiguous sequence received on one stream, and the gaps after it."""
    ranges = s.execute(select(SyncPackage.seq_from, SyncPackage.seq_to).where(
        SyncPackage.direction == "in", SyncPackage.sender == sender, SyncPackage.sender_key_id == key_id)
        .order_by(SyncPackage.seq_from)).all()
    mark, gaps = 0, []
    for f, t in ranges:
        if t < f:
            continue  # an empty package (nothing changed)
        if f <= mark + 1:
            mark = max(mark, t)
        else:
            gaps.append((mark + 1, f - 1))
            mark = max(mark, t)
    # only gaps before the highest received sequence count; recompute the contiguous mark
    contiguous = 0
    for f, t in ranges:
        if t < f:
            continue
        if f <= contiguous + 1:
            contiguous = max(contiguous, t)
        else:
            break
    return contiguous, gaps


def _covered(s: Session, sender: str, key_id: str, f: int, t: int) -> bool:
    """True when every sequence f..t is inside packages already applied from this stream."""
    ranges = s.execute(select(SyncPackage.seq_from, SyncPackage.seq_to).where(
        SyncPackage.direction == "in", SyncPackage.sender == sender, SyncPackage.sender_key_id == key_id,
        SyncPackage.seq_to >= SyncPackage.seq_from).order_by(SyncPackage.seq_from)).all()
    need = f
    for a, b in ranges:
        if a <= need <= b:
            need = b + 1
        if need > t:
            return True
    return need > t


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
                st.confirmed_seq = 0
                st.receipt_serial = 0
        s.flush()
        return _key_info(ctx, k)


def export_enrolment(ctx: Context, path: str | Path) -> KeyInfo:
    """The file a town carries to the city once (public keys only; nothing secret in it)."""
    pair, info = _my_pair(ctx)
    office = _office(ctx)
    doc = {"kind": ENROLMENT_KIND, "format": FORMAT, "code": office.code, "name": office.name, "role": office.role,
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
            st.confirmed_seq = 0
            st.receipt_serial = 0
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
    doc = {"kind": TRUST_KIND, "format": FORMAT, "code": office.code, "name": office.name, "role": "city",
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
                st.confirmed_seq = 0
                st.receipt_serial = 0
        else:
            same.name = name
    return TrustResult(code, name, pub.fingerprint(code), towns, me_enrolled, replaced)


# ====================================================================== receipts

def _receipt_name(issuer: str, recipient: str, serial: int) -> str:
    return f"rcpt-{issuer}-{recipient}-{serial:08d}{RECEIPT_SUFFIX}"


def _make_receipt(ctx: Context, pair: KeyPair, info: KeyInfo, header: Header, *, serial: int, confirmed: int,
                  status: str, counts: dict) -> tuple[str, bytes]:
    office = _office(ctx)
    doc = {"kind": RECEIPT_KIND, "format": FORMAT, "issuer": office.code, "issuer_name": office.name,
           "issuer_key_id": info.key_id, "recipient": header.sender, "stream_key_id": header.sender_key_id,
           "package_id": header.package_id, "seq_from": header.seq_from, "seq_to": header.seq_to,
           "confirmed_seq": confirmed, "serial": serial, "status": status, "issued_at": utc_text(), **counts}
    return _receipt_name(office.code, header.sender, serial), sign_document(doc, pair)


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
        if doc.get("recipient") != office.code:
            continue  # for another office sharing the stick
        ints = ("confirmed_seq", "serial")
        if not all(isinstance(doc.get(k), int) and not isinstance(doc.get(k), bool) and doc[k] >= 0 for k in ints):
            continue
        issuer = str(doc.get("issuer", ""))
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
                st = _state(s, issuer)
                if doc["serial"] <= st.receipt_serial:
                    note = "回执已读过"
                else:
                    # the receiver's word on what it holds, even if lower (it restored a backup):
                    # the next package then carries the gap again
                    st.confirmed_seq = min(doc["confirmed_seq"], _last_seq(s))
                    st.receipt_serial = doc["serial"]
                    st.last_receipt_at = utcnow()
                    accepted = True
        out.append(ReceiptRead(issuer, name, str(doc.get("package_id", "")), doc["confirmed_seq"], accepted, note))
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
    with ctx.store.engine.connect() as conn, conn.begin():
        # one read transaction: the sequence range and the rows are the same snapshot
        st = conn.execute(select(SyncState.confirmed_seq).where(SyncState.peer_code == code)).scalar() or 0
        last = conn.execute(select(func.max(ChangeLog.seq))).scalar() or 0
        seq_from, seq_to = st + 1, max(last, st)
        header = Header(package_id=uuid7(), direction="up" if office.role == "town" else "down",
                        sender=office.code, sender_name=office.name[:100], sender_key_id=info.key_id,
                        recipient=code, recipient_key_id=key_id, seq_from=seq_from, seq_to=seq_to, records=0,
                        created_at=utc_text())
        spool = ctx.data_dir / "tmp"
        spool.mkdir(exist_ok=True)
        writer = BodyWriter(header, spool)
        try:
            counts = engine.write_body(conn, writer, office.code, seq_from, seq_to, ctx.data_dir, progress, cancel)
            body = writer.finish()
        except BaseException:
            writer.file.close()
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
    # older packages of ours to the same office on the stick are covered by this one
    removed = 0
    for old in _scan(folder, PACKAGE_SUFFIX):
        if old.name == path.name or not old.name.startswith(f"pkg-{office.code}-{code}-"):
            continue
        removed += stick.remove_file(old)
    with ctx.store.session() as s:
        s.add(SyncPackage(id=header.package_id, direction="out", sender=office.code, sender_key_id=info.key_id,
                          recipient=code, seq_from=seq_from, seq_to=seq_to,
                          created_at=dt.datetime.fromisoformat(header.created_at), at=utcnow(), file_name=path.name,
                          sha256=sha, records=counts.records, tables=json.dumps(counts.tables, ensure_ascii=False)))
        st = _state(s, code)
        st.last_export_at = utcnow()
        st.last_export_seq = seq_to
        st.last_export_file = str(path)[:300]
    log.info("exported %s to %s: seq %d-%d, %d records", path, code, seq_from, seq_to, counts.records)
    return PackageWritten(code, name, path, seq_from, seq_to, counts.records, dict(counts.tables),
                          counts.attachments, removed)


# ====================================================================== import

def import_from(ctx: Context, source: str | Path, *, progress: Progress = no_progress,
                cancel: Cancel = never_cancel, backup: bool = True) -> ImportReport:
    """Every package addressed to us in ``source`` (a stick, a folder, or one file), each applied in
    its own transaction, with a signed receipt written back beside it; receipts found are read."""
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
    # sort by sender and sequence so a stick holding several packages of one town applies in order
    headers: list[tuple[Path, Header | None, SyncError | None]] = []
    skipped = 0
    for p in packages:
        try:
            h = read_header(p)
        except SyncError as e:
            headers.append((p, None, e))
            continue
        if h.recipient != office.code and src.is_dir():
            skipped += 1
            continue
        headers.append((p, h, None))
    headers.sort(key=lambda x: (x[1].sender, x[1].seq_to, x[1].created_at) if x[1] else ("", 0, ""))
    total = sum(h.records for _, h, _ in headers if h) or 1
    outcomes: list[PackageOutcome] = []
    backup_path: list[Path] = []
    writable: list[SyncError | None] = []

    def ensure_backup() -> None:
        if backup and not backup_path:
            backup_path.append(_backup_before_sync(ctx))

    def ensure_writable(where: Path) -> None:
        if not writable:
            try:
                stick.check_writable(where)
                writable.append(None)
            except stick.StickError as e:
                writable.append(SyncError(e.message, e.kind))
        if writable[0] is not None:
            raise writable[0]

    bulk = engine.BulkLoad()
    try:
        _import_all(ctx, headers, outcomes, pair, info, ensure_backup, ensure_writable, progress, cancel, total,
                    bulk)
    finally:
        try:
            if bulk.tables:  # also after a cancel or an error: the indexes dropped for a big import come back
                progress(0, 0)  # a busy bar: seconds per million rows, with nothing to count
                with ctx.store.engine.begin() as conn:
                    bulk.rebuild(conn)
        except Exception:  # the packages are in and their receipts written: do not lose the report
            log.exception("rebuilding the indexes after the import failed; the next start builds them")
        # the pooled connection keeps the big page cache and the long checkpoint interval of apply_body
        # from one package to the next (the pages of the indexes stay warm), and goes back to the usual
        # settings, with one checkpoint, once all are done
        with ctx.store.engine.connect() as conn:
            engine.end_import(conn)
    return ImportReport(folder, tuple(outcomes), tuple(receipts), skipped, backup_path[0] if backup_path else None)


def _import_all(ctx: Context, headers: list[tuple[Path, Header | None, SyncError | None]],
                outcomes: list[PackageOutcome], pair: KeyPair, info: KeyInfo, ensure_backup: Callable[[], None],
                ensure_writable: Callable[[Path], None], progress: Progress, cancel: Cancel, total: int,
                bulk: engine.BulkLoad | None = None) -> None:
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
            peer, _ = check_package(ctx, header, info)
        except SyncError:
            return  # refused in its turn, with this same message
        ahead[i] = pool.submit(_prepare, ctx.data_dir, path, header, _peer_keys(peer), pair)

    try:
        for i, (path, header, error) in enumerate(headers):
            check_cancel(cancel)
            base = done
            if error is not None:
                outcomes.append(_refused(path, None, error))
                continue
            assert header is not None
            read_ahead(i)
            read_ahead(i + 1)
            try:
                outcome = _import_one(ctx, path, header, pair, info, ensure_backup, ensure_writable,
                                      lambda n, base=base: progress(base + n, total), cancel, ahead.pop(i, None),
                                      bulk)
            except SyncError as e:
                outcome = _refused(path, header, e)
            except CongressError as e:
                if e.code == "cancelled":
                    raise
                outcome = _refused(path, header, SyncError(e.message, e.code))
            outcomes.append(outcome)
            done = base + header.records
            progress(done, total)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        for f in ahead.values():  # read ahead, not used (cancelled, or an error above)
            if not f.cancelled() and f.exception() is None:
                f.result().close()


@dataclass
class _Prepared:
    """A package's file work, done: signature checked, body decrypted, table files read and checked.
    An error is kept and raised by the import in its turn (signature first, body after the replay
    check), so the messages and their order are those of reading it on the spot."""
    reader: BodyReader | None = None
    body: IO[bytes] | None = None
    signature_error: SyncError | None = None
    body_error: SyncError | None = None

    def close(self) -> None:
        if self.body is not None:
            self.body.close()


def _prepare(data_dir: Path, path: Path, header: Header, keys: PublicKeys, pair: KeyPair) -> _Prepared:
    """Runs on the read-ahead thread: files only, never the database."""
    from ..sync.package import check_signature

    try:
        check_signature(path, header, keys)
    except SyncError as e:
        return _Prepared(signature_error=e)
    spool = data_dir / "tmp"
    body = None
    try:
        body = open_body(path, header, pair, spool if spool.is_dir() else None)
        reader = BodyReader(body, header)
        reader.preload()
    except SyncError as e:
        if body is not None:
            body.close()
        return _Prepared(body_error=e)
    except BaseException:
        if body is not None:
            body.close()
        raise
    return _Prepared(reader, body)


def _refused(path: Path, header: Header | None, e: SyncError) -> PackageOutcome:
    log.warning("package %s refused (%s): %s", path, e.kind if isinstance(e, SyncError) else "", e.message)
    return PackageOutcome(path.name, header.sender if header else "", header.sender_name if header else "",
                          "refused", e.message, header.seq_from if header else 0, header.seq_to if header else 0,
                          header.records if header else 0, kind=getattr(e, "kind", "invalid"))


def _backup_before_sync(ctx: Context) -> Path:
    """A checked copy before the first package of an import applies (rotation: store/backups.py)."""
    return backup_copy(ctx.db_path, "sync")


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
        s.expunge(peer)
        return peer, expected


def _import_one(ctx: Context, path: Path, header: Header, pair: KeyPair, info: KeyInfo,
                ensure_backup: Callable[[], None], ensure_writable: Callable[[Path], None],
                progress: Callable[[int], None], cancel: Cancel,
                ahead: Future[_Prepared] | None = None, bulk: engine.BulkLoad | None = None) -> PackageOutcome:
    try:
        peer, _ = check_package(ctx, header, info)
    except BaseException:
        if ahead is not None and ahead.exception() is None:
            ahead.result().close()  # read ahead, but this office no longer takes it
        raise
    prepared = ahead.result() if ahead is not None else _prepare(ctx.data_dir, path, header, _peer_keys(peer), pair)
    try:
        return _apply_prepared(ctx, path, header, peer, prepared, pair, info, ensure_backup, ensure_writable,
                               progress, cancel, bulk)
    finally:
        prepared.close()


def _apply_prepared(ctx: Context, path: Path, header: Header, peer: SyncPeer, prepared: _Prepared, pair: KeyPair,
                    info: KeyInfo, ensure_backup: Callable[[], None], ensure_writable: Callable[[Path], None],
                    progress: Callable[[int], None], cancel: Cancel,
                    bulk: engine.BulkLoad | None = None) -> PackageOutcome:
    if prepared.signature_error is not None:
        raise prepared.signature_error
    folder = path.parent
    with ctx.store.session() as s:
        known = s.get(SyncPackage, header.package_id)
        replay = known is not None and known.direction == "in"
        if not replay and header.seq_to >= header.seq_from and _covered(s, peer.code, header.sender_key_id,
                                                                        header.seq_from, header.seq_to):
            newest = s.scalar(select(func.max(SyncPackage.seq_to)).where(
                SyncPackage.direction == "in", SyncPackage.sender == peer.code,
                SyncPackage.sender_key_id == header.sender_key_id)) or 0
            if header.seq_to < newest:
                raise SyncError(f"该数据包比已导入的数据旧（第 {header.seq_from}–{header.seq_to} 号变更都已导入过），"
                                f"已忽略，本机数据未改变。请导入“{peer.name}”最新导出的数据包", "older")
            replay = True  # the same changes again (our receipt was lost): nothing new to apply
        if replay:
            # nothing changes here, not even the state row: the receipt repeats the last serial
            st = s.get(SyncState, peer.code)
            serial = st.issued_receipts if st else 0
            mark, gaps = _received_mark(s, peer.code, header.sender_key_id)
    if replay:
        receipt, receipt_error = _write_receipt(ctx, folder, pair, info, header, serial, mark, "already", {},
                                                ensure_writable)
        return PackageOutcome(path.name, peer.code, peer.name, "already",
                              "该数据包以前已导入过，本次未作任何改动" + ("，已重新写回执" if receipt else ""),
                              header.seq_from, header.seq_to, header.records, receipt=receipt,
                              receipt_error=receipt_error, gap=_gap_text(gaps))
    ensure_writable(folder)  # a receipt must be possible before anything is applied
    if prepared.body_error is not None:
        raise prepared.body_error
    reader = prepared.reader
    assert reader is not None
    ensure_backup()
    dropped_before = set(bulk.tables) if bulk is not None else set()
    try:
        with ctx.store.session() as s:
            conn = s.connection()
            result = engine.apply_body(conn, reader, peer.code, ctx.data_dir, progress, cancel, bulk)
            now = utcnow()
            for q in result.quarantine:
                s.add(SyncQuarantine(package_id=header.package_id, sender=peer.code, table_name=q.table,
                                     record_id=q.record_id, version=q.version, reason=q.reason,
                                     local_row=engine.dump_json(q.local_row),
                                     incoming_row=engine.dump_json(q.incoming_row), at=now, resolved=False))
            s.add(SyncPackage(id=header.package_id, direction="in", sender=peer.code,
                              sender_key_id=header.sender_key_id, recipient=header.recipient,
                              seq_from=header.seq_from, seq_to=header.seq_to,
                              created_at=dt.datetime.fromisoformat(header.created_at), at=now,
                              file_name=path.name[:300], sha256="", records=header.records,
                              applied=result.applied, unchanged=result.unchanged, older=result.older,
                              quarantined=result.quarantined,
                              tables=json.dumps(result.tables, ensure_ascii=False)))
            st = _state(s, peer.code)
            st.issued_receipts += 1
            st.last_import_at = now
            serial = st.issued_receipts
            s.flush()
            mark, gaps = _received_mark(s, peer.code, header.sender_key_id)
    except BaseException as e:
        if bulk is not None:
            bulk.tables = dropped_before  # the rollback brought this package's dropped indexes back
        if isinstance(e, (IntegrityError, sqlite3.IntegrityError)):
            raise SyncError("数据包中的记录引用了本机没有的记录，或与本机的记录冲突，已整包拒绝，本机数据未改变。"
                            "请让对方重新导出（会包含缺少的部分）", "integrity") from e
        if isinstance(e, (OperationalError, sqlite3.OperationalError)):
            raise SyncError(f"写入数据库时出错（{getattr(e, 'orig', e)}），已整包撤销，本机数据未改变",
                            "database") from e
        raise
    counts = {"applied": result.applied, "unchanged": result.unchanged, "older": result.older,
              "quarantined": result.quarantined}
    receipt, receipt_error = _write_receipt(ctx, folder, pair, info, header, serial, mark, "applied", counts,
                                            ensure_writable)
    if receipt and not receipt_error:
        stick.remove_file(path)  # applied and confirmed: no reason to leave personal data on the stick
    msg = f"已导入：写入 {result.applied} 条记录"
    if result.unchanged:
        msg += f"，{result.unchanged} 条与本机相同"
    if result.older:
        msg += f"，{result.older} 条比本机旧已忽略"
    if result.quarantined:
        msg += f"，{result.quarantined} 条有冲突已隔离待查"
    if gaps:
        msg += f"。注意：{_gap_text(gaps)}，回执已请对方重发"
    log.info("applied %s from %s: %s", path.name, peer.code, msg)
    return PackageOutcome(path.name, peer.code, peer.name, "applied", msg, header.seq_from, header.seq_to,
                          header.records, result.applied, result.unchanged, result.older, result.quarantined,
                          dict(result.tables), receipt=receipt, receipt_error=receipt_error, gap=_gap_text(gaps))


def _write_receipt(ctx: Context, folder: Path, pair: KeyPair, info: KeyInfo, header: Header, serial: int,
                   mark: int, status: str, counts: dict, ensure_writable: Callable[[Path], None]) -> tuple[str, str]:
    name, data = _make_receipt(ctx, pair, info, header, serial=serial, confirmed=mark, status=status, counts=counts)
    try:
        ensure_writable(folder)
        stick.write_bytes(folder, name, data)
        return name, ""
    except (stick.StickError, SyncError) as e:
        return "", (f"回执未能写入：{e.message} 数据已导入；请插好U盘后再导入一次同一个数据包，"
                    "程序会只补写回执，不会重复导入")


# ====================================================================== status and the towns table

def sync_status(ctx: Context) -> SyncStatus:
    office = _office(ctx)
    keys = own_keys(ctx)
    with ctx.store.session() as s:
        last = _last_seq(s)
        peers = []
        for p in _active_peers(s, _other_role(office.role)):
            st = s.get(SyncState, p.code)
            confirmed = st.confirmed_seq if st else 0
            changes, records = _waiting(s, confirmed, last)
            peers.append(PeerStatus(p.code, p.name, p.role, confirmed, changes, records,
                                    st.last_export_at if st else None, st.last_export_seq if st else 0,
                                    st.last_export_file if st else "", st.last_receipt_at if st else None,
                                    st.last_import_at if st else None))
        open_q = s.scalar(select(func.count()).select_from(SyncQuarantine).where(SyncQuarantine.resolved.is_(False)))
    return SyncStatus(office, keys, last, tuple(peers), open_q or 0)


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
            mark, gaps = _received_mark(s, code, p.key_id)
            st = s.get(SyncState, code)
            down_changes = _waiting(s, st.confirmed_seq if st else 0, last)[1]
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
                  "title": "标题", "content": "内容", "village_id": "所在村(社区)", "deputy_id": "代表"}


def field_label(table: str, column: str) -> str:
    """The Chinese name of a column for the review of held-back records (the column name if none)."""
    from ..domain.deputies import FIELD_LABELS as DEPUTY_LABELS
    from .opinions import FIELD_LABELS as OPINION_LABELS
    from .visits import VISIT_LABELS

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
    from ..reports.sync_forms import render_fingerprint_form

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
