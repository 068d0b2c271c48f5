"""Receiver side: each sender's packages as streams, one per (sender, signing key, sender's epoch).

Sequence numbers count within a stream: a new key (a replaced PC) or a new epoch (a restore at the
sender, store/epochs.py) starts from 1 again, and what was received on another stream neither covers
nor blocks it. Here:

- the contiguous mark and the gaps of a stream (what a receipt confirms, what it asks again);
- ``forked``: two packages of one stream that both follow the same package mean the sender's
  database was put back to an older copy without the program knowing (a file copied over it): the
  receiver refuses the second and its receipt tells the sender to begin a new epoch;
- ``classify``: where a package's epoch stands among the sender's epochs seen here. A sender's first
  epoch is "0"; an epoch that names earlier ones (``epochs_before``) replaces them; of two epochs
  that do not name each other the later one (their ids are time-ordered UUIDs) replaces the other.
  A package of a replaced epoch is stale (sync/apply.py says what that changes)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from congress_desktop.core.store.models import utcnow
from congress_desktop.core.store.models_sync import SyncKeptHere, SyncPackage, SyncSeenEpoch
from congress_desktop.sync.apply import Stream
from congress_desktop.sync.package import Header

LEGACY_PREV = "-"  # prev_id of a format-1 package: it named no predecessor


@dataclass(frozen=True)
class StreamKey:
    sender: str
    key_id: str
    epoch: str  # '' for format-1 packages

    @classmethod
    def of(cls, header: Header) -> StreamKey:
        return cls(header.sender, header.sender_key_id, header.epoch)


def _ranges(s: Session, key: StreamKey) -> list[tuple[int, int]]:
    return list(s.execute(select(SyncPackage.seq_from, SyncPackage.seq_to).where(
        SyncPackage.direction == "in", SyncPackage.sender == key.sender, SyncPackage.sender_key_id == key.key_id,
        SyncPackage.sender_epoch == key.epoch, SyncPackage.seq_to >= SyncPackage.seq_from)
        .order_by(SyncPackage.seq_from)).all())


def received_mark(s: Session, key: StreamKey) -> tuple[int, list[tuple[int, int]]]:
    """The last contiguous sequence received on one stream, and the gaps after it."""
    ranges = _ranges(s, key)
    mark, gaps = 0, []
    for f, t in ranges:
        if f > mark + 1:
            gaps.append((mark + 1, f - 1))
        mark = max(mark, t)
    contiguous = 0
    for f, t in ranges:
        if f > contiguous + 1:
            break
        contiguous = max(contiguous, t)
    return contiguous, gaps


def covered(s: Session, key: StreamKey, f: int, t: int) -> bool:
    """True when every sequence f..t is inside packages already applied on this stream."""
    need = f
    for a, b in _ranges(s, key):
        if a <= need <= b:
            need = b + 1
        if need > t:
            return True
    return need > t


def newest_seq(s: Session, key: StreamKey) -> int:
    return s.scalar(select(func.max(SyncPackage.seq_to)).where(
        SyncPackage.direction == "in", SyncPackage.sender == key.sender, SyncPackage.sender_key_id == key.key_id,
        SyncPackage.sender_epoch == key.epoch)) or 0


def forked(s: Session, header: Header) -> SyncPackage | None:
    """Another package of this stream applied here that follows the same package as this one."""
    if header.format < 2:
        return None
    key = StreamKey.of(header)
    return s.scalars(select(SyncPackage).where(
        SyncPackage.direction == "in", SyncPackage.sender == key.sender, SyncPackage.sender_key_id == key.key_id,
        SyncPackage.sender_epoch == key.epoch, SyncPackage.prev_id == header.prev_package,
        SyncPackage.id != header.package_id)).first()


def replaced(s: Session, header: Header) -> bool:
    """Whether the package's epoch was replaced by a later one of its sender, as seen here."""
    if not header.epochs_before:  # a first epoch: replaced as soon as any later one is current
        return _current(s, header.sender) is not None
    row = s.scalars(select(SyncSeenEpoch).where(SyncSeenEpoch.sender == header.sender,
                                                SyncSeenEpoch.epoch == header.epoch)).first()
    return row is not None and row.superseded_at is not None


def _current(s: Session, sender: str) -> SyncSeenEpoch | None:
    return s.scalars(select(SyncSeenEpoch).where(SyncSeenEpoch.sender == sender,
                                                 SyncSeenEpoch.superseded_at.is_(None))).first()


def classify(s: Session, header: Header) -> Stream:
    """Register the package's epoch among its sender's (inside the package's transaction, so a
    refused package leaves no trace) and say how to apply it."""
    sender = header.sender
    kept = s.scalar(select(func.count()).select_from(SyncKeptHere).where(SyncKeptHere.sender == sender)) or 0
    if not header.epochs_before:  # the sender's first epoch (or a format-1 package): epoch 0
        cur = _current(s, sender)
        if cur is None:
            return Stream(sender, 0, 0, False, bool(kept), False)
        return Stream(sender, 0, cur.id, True, bool(kept), False)
    now = utcnow()
    for e in header.epochs_before:  # every epoch it names is replaced
        row = s.scalars(select(SyncSeenEpoch).where(SyncSeenEpoch.sender == sender, SyncSeenEpoch.epoch == e)).first()
        if row is None:
            s.add(SyncSeenEpoch(sender=sender, epoch=e, first_seen_at=now, superseded_at=now))
        elif row.superseded_at is None:
            row.superseded_at = now
    me = s.scalars(select(SyncSeenEpoch).where(SyncSeenEpoch.sender == sender,
                                               SyncSeenEpoch.epoch == header.epoch)).first()
    if me is None:
        me = SyncSeenEpoch(sender=sender, epoch=header.epoch, first_seen_at=now, superseded_at=None)
        s.add(me)
    s.flush()
    if me.superseded_at is None:
        for other in s.scalars(select(SyncSeenEpoch).where(SyncSeenEpoch.sender == sender, SyncSeenEpoch.id != me.id,
                                                           SyncSeenEpoch.superseded_at.is_(None))):
            if other.epoch < me.epoch:  # time-ordered ids: the later restore wins
                other.superseded_at = now
            else:
                me.superseded_at = now
        s.flush()
    cur = _current(s, sender)
    stale = me.superseded_at is not None
    full = not stale and header.seq_from <= 1
    return Stream(sender, me.id, cur.id if cur else me.id, stale, bool(kept), full)


def adopt_legacy(s: Session, header: Header) -> None:
    """A sender's first format-2 package of its first epoch continues the stream its format-1
    packages began (the upgrade made that epoch from the history it had): one stream, no resend."""
    if header.format < 2 or header.epochs_before:
        return
    # their predecessor is unknown (format 1 named none): LEGACY_PREV, so no package seems to fork from them
    s.execute(update(SyncPackage).where(
        SyncPackage.direction == "in", SyncPackage.sender == header.sender,
        SyncPackage.sender_key_id == header.sender_key_id, SyncPackage.sender_epoch == "").values(
        sender_epoch=header.epoch, prev_id=LEGACY_PREV).execution_options(synchronize_session=False))


def current_stream(s: Session, sender: str, key_id: str) -> StreamKey:
    """The stream of a sender's key shown in the towns table: the epoch of its newest package here
    (a package found later from before a restore is not its current stream)."""
    epoch = s.scalar(select(SyncPackage.sender_epoch).where(
        SyncPackage.direction == "in", SyncPackage.sender == sender, SyncPackage.sender_key_id == key_id,
        SyncPackage.mode != "stale").order_by(SyncPackage.at.desc()).limit(1)) or ""
    return StreamKey(sender, key_id, epoch)
