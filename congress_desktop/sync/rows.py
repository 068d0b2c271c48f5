"""The rows the sync area hands to the GUI and the commands (frozen), and its fixed words."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from congress_desktop.core.context import (
    OfficeInfo,
)
from congress_desktop.core.store import epochs as store_epochs
from congress_desktop.sync.labels import KEPT_REASONS, TABLE_LABELS

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


