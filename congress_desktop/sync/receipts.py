"""Receipts: the signed answer a receiver writes beside each package, and the sender reading them."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from congress_desktop.core.context import (
    Context,
)
from congress_desktop.core.errors import CongressError
from congress_desktop.core.store import epochs as store_epochs
from congress_desktop.core.store.models import utcnow
from congress_desktop.core.store.models_sync import (
    SyncKeptThere,
    SyncPackage,
    SyncPeer,
)
from congress_desktop.sync import apply as sync_apply
from congress_desktop.sync import common, stick
from congress_desktop.sync.content import FORBIDDEN
from congress_desktop.sync.keys import KeyPair
from congress_desktop.sync.package import (
    DOC_FORMAT,
    MAX_SEQ,
    RECEIPT_SUFFIX,
    UUID_RE,
    Header,
    document_signed_by,
    read_document,
    sign_document,
    utc_text,
)
from congress_desktop.sync.rows import RECEIPT_KIND, KeyInfo, ReceiptRead

log = logging.getLogger(__name__)

# ====================================================================== receipts

def _receipt_name(issuer: str, recipient: str, epoch: str, serial: int) -> str:
    # the issuer's epoch in the name: after a restore its serials start again, never on the same name
    return f"rcpt-{issuer}-{recipient}-{(epoch or '0')[:8]}-{serial:08d}{RECEIPT_SUFFIX}"


@dataclass(frozen=True)
class Answer:
    """What a receipt says of one package: its serial, the contiguous point we hold of the sender's
    stream (``confirmed``), the outcome, its counts, and what we keep of the sender's lost records."""
    serial: int
    confirmed: int
    status: str
    counts: dict = field(default_factory=dict)
    kept: dict | None = None


def make_receipt(ctx: Context, pair: KeyPair, info: KeyInfo, header: Header, answer: Answer,
                 issuer_epoch: str) -> tuple[str, bytes]:
    """A signed receipt for one package: the contiguous point we hold of the sender's stream (which
    may be lower than before: we restored a backup, please send the rest again), the package's
    outcome, and what we keep of the sender's records that it lost (``kept``)."""
    serial, confirmed, status, counts, kept = answer.serial, answer.confirmed, answer.status, answer.counts, answer.kept
    office = common.office(ctx)
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
    st = common.state(s, issuer)
    if st.epoch != epoch.epoch:
        common.reset_stream(st)
        st.epoch = epoch.epoch
    if doc.get("status") == "stale":
        # the receiver holds a later epoch of ours than this one, which this file never knew (a
        # history lost here, or two restores that named nothing and a clock set back): a new epoch
        # that names that one too, so the receiver takes what we send from now on
        lost = doc.get("current_epoch")
        replaces = (lost,) if isinstance(lost, str) and UUID_RE.fullmatch(lost) else ()
        new = store_epochs.start_new_epoch(s, "replaced", f"{issuer} 保存着本机不知道的一段数据",
                                           started_seq=epoch.started_seq, replaces=replaces)
        common.reset_stream(st)
        st.epoch = new.epoch
        st.last_receipt_at = utcnow()
        return True, "对方保存着本机不知道的一段较新的数据，已重新编号，下次导出会把全部记录再发一遍", True
    if doc.get("status") == "fork":
        # the receiver holds a package of ours that this file does not know: it was put back to an
        # older copy behind the program's back. A new epoch: everything goes again, nothing collides
        prev = s.get(SyncPackage, pkg.prev_id) if pkg.prev_id else None
        new = store_epochs.start_new_epoch(s, "rollback", f"{issuer} 发现数据包不衔接",
                                           started_seq=prev.seq_to if prev is not None else 0)
        common.reset_stream(st)
        st.epoch = new.epoch
        st.last_receipt_at = utcnow()
        return True, "对方发现本机的数据库曾被换成较早的副本，已重新开始编号，下次导出会把全部记录再发一遍", True
    confirmed = min(doc["confirmed_seq"], common.last_seq(s))
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


def read_receipts(ctx: Context, folder: Path, info: KeyInfo | None, files: list[Path] | None = None) -> list[ReceiptRead]:
    """Receipts addressed to us: check, advance the confirmed point, remove them from the stick."""
    office = common.office(ctx)
    out: list[ReceiptRead] = []
    candidates = files if files is not None else common.scan(folder, RECEIPT_SUFFIX)
    for path in candidates:
        try:
            doc = read_document(common.read_file(path, "回执"), RECEIPT_KIND, "回执")
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
            if peer is None or peer.code != issuer or not document_signed_by(doc, common.peer_keys(peer)):
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


