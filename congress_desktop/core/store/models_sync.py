"""Sync bookkeeping (DESIGN.md §3): this office's keys, the offices it trusts, how far each peer has
confirmed, every package sent or applied, and records held back in quarantine.

None of these tables travel: they are local to one office, so they do not inherit ``Synced``."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, DateTime, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from congress_desktop.core.store.models import Base, utcnow


class SyncOwnKey(Base):
    """One generation of this office's key pair (Ed25519 signing + X25519 encryption).

    The private halves live in files under ``<data>/keys/``, protected at rest (sync/keys.py);
    here are the public halves and when the pair was made or replaced."""

    __tablename__ = "sync_own_key"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key_id: Mapped[str] = mapped_column(String(16), unique=True)
    sign_public: Mapped[str] = mapped_column(String(64))   # hex
    box_public: Mapped[str] = mapped_column(String(64))    # hex
    fingerprint: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    retired_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)


class SyncPeer(Base):
    """An office whose key we trust: towns enrolled at the city, the city at a town.

    A replaced PC gives a new row for the same code; the old key is revoked, never deleted."""

    __tablename__ = "sync_peer"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(12), index=True)
    name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(10))  # town / city
    key_id: Mapped[str] = mapped_column(String(16), unique=True)
    sign_public: Mapped[str] = mapped_column(String(64))
    box_public: Mapped[str] = mapped_column(String(64))
    fingerprint: Mapped[str] = mapped_column(String(40))
    enrolled_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    revoke_reason: Mapped[str] = mapped_column(String(200), default="")


class SyncEpoch(Base):
    """One stretch of this database's own change history (sync/epochs.py).

    Sequence numbers of the change log are only meaningful within an epoch: restoring a backup
    brings back an older change log whose next numbers were already used for changes the peers may
    have seen, so every restore (or a rollback a peer detected) starts a new epoch. The newest row
    is the current epoch; the rows before it are its ancestors, which packages name so a receiver
    knows which of our earlier streams the new one replaces."""

    __tablename__ = "sync_epoch"
    no: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    epoch: Mapped[str] = mapped_column(String(36), unique=True)
    started_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    started_seq: Mapped[int] = mapped_column(Integer, default=0)  # change_log seq when it began
    reason: Mapped[str] = mapped_column(String(20), default="initial")  # initial / restore / rollback
    detail: Mapped[str] = mapped_column(String(300), default="")


class SyncState(Base):
    """Where the exchange with one peer office stands (one row per peer code).

    Outgoing: the last sequence of our change log the peer confirmed by a signed receipt, in our
    epoch ``epoch`` (another epoch than the current one means: nothing confirmed yet), and the
    export number of the package the last accepted receipt answered (``receipt_package_no``: a
    receipt is taken only for a newer package than that one). Incoming: the serial of the receipts
    we issue to the peer."""

    __tablename__ = "sync_state"
    peer_code: Mapped[str] = mapped_column(String(12), primary_key=True)
    confirmed_seq: Mapped[int] = mapped_column(Integer, default=0)
    receipt_serial: Mapped[int] = mapped_column(Integer, default=0)
    last_receipt_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    last_export_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    last_export_seq: Mapped[int] = mapped_column(Integer, default=0)
    last_export_file: Mapped[str] = mapped_column(String(300), default="")
    issued_receipts: Mapped[int] = mapped_column(Integer, default=0)
    last_import_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    epoch: Mapped[str] = mapped_column(String(36), default="")
    receipt_package_no: Mapped[int] = mapped_column(Integer, default=0)


class SyncPackage(Base):
    """Every package written (``out``) or applied (``in``). Replays and gaps are found here."""

    __tablename__ = "sync_package"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # the package id from its header
    direction: Mapped[str] = mapped_column(String(3))  # in / out
    sender: Mapped[str] = mapped_column(String(12))
    sender_key_id: Mapped[str] = mapped_column(String(16))
    recipient: Mapped[str] = mapped_column(String(12))
    seq_from: Mapped[int] = mapped_column(Integer)
    seq_to: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)  # when the sender made it (UTC)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)  # written / applied here (UTC)
    file_name: Mapped[str] = mapped_column(String(300), default="")
    sha256: Mapped[str] = mapped_column(String(64), default="")
    records: Mapped[int] = mapped_column(Integer, default=0)
    applied: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    older: Mapped[int] = mapped_column(Integer, default=0)
    quarantined: Mapped[int] = mapped_column(Integer, default=0)
    tables: Mapped[str] = mapped_column(Text, default="{}")  # JSON {table: records}
    sender_epoch: Mapped[str] = mapped_column(String(36), default="")  # '' for a format-1 package
    prev_id: Mapped[str] = mapped_column(String(36), default="")  # the sender's package before it
    no: Mapped[int] = mapped_column(Integer, default=0)  # out: our export number (receipts are ordered by it)
    mode: Mapped[str] = mapped_column(String(10), default="")  # in: '' or 'stale' (a replaced epoch)
    __table_args__ = (Index("ix_sync_package_stream", "direction", "sender", "sender_key_id"),)


class SyncSeenEpoch(Base):
    """Receiver side: the epochs of a sender's change history seen here that replaced an earlier one
    (a sender's first epoch needs no row: it is "epoch 0"). At most one per sender is current
    (``superseded_at`` NULL); a package of a superseded epoch is applied as stale (what we lack is
    added, nothing the sender's current epoch wrote is changed). sync/streams.py."""

    __tablename__ = "sync_seen_epoch"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    sender: Mapped[str] = mapped_column(String(12))
    epoch: Mapped[str] = mapped_column(String(36))
    first_seen_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    superseded_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    __table_args__ = (UniqueConstraint("sender", "epoch"),)


class SyncRowEpoch(Base):
    """Receiver side: which epoch of its sender last wrote a received record, for records written by
    an epoch that replaced another (a restore at the sender). Records without a row here came from
    the sender's first epoch. Lets a record the sender changed after its restore replace what its
    earlier history sent, whatever the version numbers say."""

    __tablename__ = "sync_row_epoch"
    table_name: Mapped[str] = mapped_column(String(50), primary_key=True)
    record_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    epoch_id: Mapped[int] = mapped_column(Integer)  # SyncSeenEpoch.id


class SyncKeptHere(Base):
    """Receiver side: records of a sender held here that the sender no longer has (lost in its
    restore), or holds in an older version. Never deleted because the sender forgot them; listed in
    every receipt to the sender, and dropped from this list once the sender sends the record again."""

    __tablename__ = "sync_kept_here"
    sender: Mapped[str] = mapped_column(String(12), primary_key=True)
    table_name: Mapped[str] = mapped_column(String(50), primary_key=True)
    record_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=0)
    why: Mapped[str] = mapped_column(String(20))  # only_here / newer_here / lost_there
    label: Mapped[str] = mapped_column(String(120), default="")
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class SyncKeptThere(Base):
    """Sender side: what the peer's last receipt said it keeps of ours (see SyncKeptHere)."""

    __tablename__ = "sync_kept_there"
    peer_code: Mapped[str] = mapped_column(String(12), primary_key=True)
    table_name: Mapped[str] = mapped_column(String(50), primary_key=True)
    record_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=0)
    why: Mapped[str] = mapped_column(String(20))
    label: Mapped[str] = mapped_column(String(120), default="")
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class SyncQuarantine(Base):
    """A received record held back: same version with different content, or owned by another office."""

    __tablename__ = "sync_quarantine"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    package_id: Mapped[str] = mapped_column(String(36), index=True)
    sender: Mapped[str] = mapped_column(String(12))
    table_name: Mapped[str] = mapped_column(String(50))
    record_id: Mapped[str] = mapped_column(String(36))
    version: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(200))
    local_row: Mapped[str] = mapped_column(Text, default="{}")
    incoming_row: Mapped[str] = mapped_column(Text, default="{}")
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    resolved: Mapped[bool] = mapped_column(Boolean, default=False)
