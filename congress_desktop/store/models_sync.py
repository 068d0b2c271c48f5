"""Sync bookkeeping (DESIGN.md §3): this office's keys, the offices it trusts, how far each peer has
confirmed, every package sent or applied, and records held back in quarantine.

None of these tables travel: they are local to one office, so they do not inherit ``Synced``."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, DateTime, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .models import Base, utcnow


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


class SyncState(Base):
    """Where the exchange with one peer office stands (one row per peer code).

    Outgoing: the last sequence of our change log the peer confirmed by a signed receipt, and the
    newest receipt serial read. Incoming: the serial of the receipts we issue to the peer."""

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
    __table_args__ = (Index("ix_sync_package_stream", "direction", "sender", "sender_key_id"),)


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
