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
import sqlite3
from typing import cast

from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from congress_desktop.core.context import (
    Context,
)
from congress_desktop.core.errors import InvalidInput, NotFound
from congress_desktop.core.store import epochs as store_epochs
from congress_desktop.core.store.models import utcnow
from congress_desktop.core.store.models_sync import (
    SyncKeptHere,
    SyncKeptThere,
    SyncPackage,
    SyncPeer,
    SyncQuarantine,
    SyncState,
)
from congress_desktop.sync import common, engine, streams

# The public names of the sync area, in one place for the window and the commands: the units of work
# live in trust.py (keys, enrolment, trust bundles), exporting.py, incoming.py (PackageImport) and here
# (status, the towns table, held-back records); the rows in rows.py, the labels in labels.py.
from congress_desktop.sync.exporting import export_packages
from congress_desktop.sync.incoming import check_package, import_from
from congress_desktop.sync.labels import (
    KEPT_REASONS,
    TABLE_LABELS,
    field_label,
    quarantine_differences,
    quarantine_title,
)
from congress_desktop.sync.package import SyncError
from congress_desktop.sync.rows import (
    ENROLMENT_KIND,
    ENROLMENT_SUFFIX,
    QUIET_DAYS,
    RECEIPT_KIND,
    ROLE_NAMES,
    TRUST_KIND,
    TRUST_SUFFIX,
    EnrolmentPreview,
    ExportResult,
    ImportReport,
    KeptRow,
    KeyInfo,
    PackageOutcome,
    PackageWritten,
    PeerRow,
    PeerStatus,
    QuarantineRow,
    ReceiptRead,
    SyncStatus,
    TownRow,
    TrustPreview,
    TrustResult,
)
from congress_desktop.sync.trust import (
    REVOKED_CITY_KEY,
    enrol_office,
    export_enrolment,
    export_trust_bundle,
    import_trust_bundle,
    init_keys,
    key_passphrase_need,
    list_peers,
    new_key_passphrase_need,
    own_keys,
    read_enrolment,
    read_trust_bundle,
    revoke_office,
    unlock_own_key,
)

__all__ = [
    "ENROLMENT_KIND", "ENROLMENT_SUFFIX", "KEPT_REASONS", "QUIET_DAYS", "RECEIPT_KIND", "REVOKED_CITY_KEY",
    "ROLE_NAMES", "TABLE_LABELS", "TRUST_KIND", "TRUST_SUFFIX", "EnrolmentPreview", "ExportResult",
    "ImportReport", "KeptRow", "KeyInfo", "PackageOutcome", "PackageWritten", "PeerRow", "PeerStatus",
    "QuarantineRow", "ReceiptRead", "SyncError", "SyncStatus", "TownRow", "TrustPreview", "TrustResult",
    "check_package", "engine", "enrol_office", "export_enrolment", "export_packages", "export_trust_bundle",
    "field_label", "import_from", "import_trust_bundle", "init_keys", "key_passphrase_need", "list_kept",
    "list_peers", "list_quarantine", "list_towns", "new_key_passphrase_need", "own_keys",
    "quarantine_differences", "quarantine_title", "read_enrolment", "read_trust_bundle", "resolve_quarantine",
    "revoke_office", "sync_status", "unlock_own_key",
]

log = logging.getLogger(__name__)

# ====================================================================== status and the towns table

def sync_status(ctx: Context) -> SyncStatus:
    office = common.office(ctx)
    keys = own_keys(ctx)
    with ctx.store.session() as s:
        last = common.last_seq(s)
        epoch = store_epochs.current_epoch(s)
        peers = []
        for p in common.active_peers(s, common.other_role(office.role)):
            st = s.get(SyncState, p.code)
            confirmed = common.confirmed(st, epoch.epoch)
            changes, records = common.waiting(s, confirmed, last)
            peers.append(PeerStatus(p.code, p.name, p.role, confirmed, changes, records,
                                    st.last_export_at if st else None, st.last_export_seq if st else 0,
                                    st.last_export_file if st else "", st.last_receipt_at if st else None,
                                    st.last_import_at if st else None))
        open_q = s.scalar(select(func.count()).select_from(SyncQuarantine).where(SyncQuarantine.resolved.is_(False)))
        there = s.scalar(select(func.count()).select_from(SyncKeptThere)) or 0
        here = s.scalar(select(func.count()).select_from(SyncKeptHere)) or 0
    return SyncStatus(office, keys, last, tuple(peers), open_q or 0, epoch, there, here)


def list_kept(ctx: Context) -> list[KeptRow]:
    """Town (or city): our records a peer still keeps that we lost in a restore, as its last receipt
    listed them; and records of peers that we keep for them. They are never deleted for being
    forgotten: the owner can enter them again, looking at this list (`sync kept`)."""
    office = common.office(ctx)
    out: list[KeptRow] = []
    with ctx.store.session() as s:
        for r in s.scalars(select(SyncKeptThere).order_by(SyncKeptThere.peer_code, SyncKeptThere.table_name,
                                                           SyncKeptThere.label)):
            out.append(KeptRow(r.peer_code, office.code, r.table_name, r.record_id, r.version, r.why, r.label))
        for h in s.scalars(select(SyncKeptHere).order_by(SyncKeptHere.sender, SyncKeptHere.table_name,
                                                          SyncKeptHere.label)):
            out.append(KeptRow(office.code, h.sender, h.table_name, h.record_id, h.version, h.why, h.label))
    return out


def _records_by_owner(s: Session) -> dict[str, int]:
    out: dict[str, int] = {}
    for t in engine.synced_tables():
        for owner, n in s.execute(text(f'SELECT owner_code, count(*) FROM "{t.name}" WHERE deleted = 0 '
                                       "GROUP BY owner_code")):
            out[str(owner)] = out.get(str(owner), 0) + int(cast(int, n))
    return out


def list_towns(ctx: Context, *, quiet_days: int = QUIET_DAYS, now: dt.datetime | None = None) -> list[TownRow]:
    """City: every town ever enrolled, with its last package, gaps, and whether it has gone quiet."""
    now = now or utcnow()
    with ctx.store.session() as s:
        last = common.last_seq(s)
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
            down_changes = common.waiting(s, common.confirmed(st, epoch.epoch), last)[1]
            quarantined = s.scalar(select(func.count()).select_from(SyncQuarantine).where(
                SyncQuarantine.sender == code, SyncQuarantine.resolved.is_(False))) or 0
            seen = pkgs[1] or p.enrolled_at
            days = (now - seen).days if seen else None
            status = "已登记" if current else f"已吊销（{p.revoke_reason}）" if p.revoke_reason else "已吊销"
            out.append(TownRow(code, p.name, current is not None, status, p.enrolled_at, p.key_id, p.fingerprint,
                               pkgs[1], pkgs[2], mark, int(pkgs[0] or 0), records.get(code, 0), common.gap_text(gaps),
                               days, current is not None and days is not None and days >= quiet_days,
                               down_changes, quarantined))
    return out


def list_quarantine(ctx: Context, *, include_resolved: bool = False) -> list[QuarantineRow]:
    with ctx.store.session() as s:
        q = select(SyncQuarantine).order_by(SyncQuarantine.id)
        if not include_resolved:
            q = q.where(SyncQuarantine.resolved.is_(False))
        return [QuarantineRow(r.id, r.package_id, r.sender, r.table_name, r.record_id, r.version, r.reason, r.at,
                              json.loads(r.local_row or "{}"), json.loads(r.incoming_row or "{}"))
                for r in s.scalars(q)]


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
        values = [engine.decode_value(incoming[c], t.kinds[t.index(c)]) for c in cols]
        # the content changed while the version did not: what says "indexed at this version" (opinions'
        # search text and full-text row) must not believe it, or search keeps finding the old words
        if "indexed_version" in dict(t.local):
            cols.append("indexed_version")
            values.append(0)
        try:
            conn.exec_driver_sql(f'UPDATE "{t.name}" SET {", ".join(f"{engine.quoted(c)} = ?" for c in cols)} '
                                 "WHERE id = ?", (*values, q.record_id))
        except (IntegrityError, sqlite3.IntegrityError) as e:
            raise InvalidInput("收到的版本引用了本机没有的记录，暂时无法采用。请先导入对方最新的数据包，再来处理") from e
        q.resolved = True
        log.info("quarantine %s (%s %s v%s): took the received version", q.id, q.table_name, q.record_id, q.version)
        return f"已采用收到的{label}记录（本机原来的内容仍留存备查）"


