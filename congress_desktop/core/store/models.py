"""Typed SQLAlchemy models. Records that travel between offices carry the identity of DESIGN.md §2:
a stable time-ordered UUID, the owner office's region code, a version raised on every change, and a
tombstone (``deleted``) instead of deletion."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from congress_desktop.core.store.ids import uuid7

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Synced:
    """Identity fields of every record that sync will carry."""

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=uuid7)
    owner_code: Mapped[str] = mapped_column(String(12), default="")
    version: Mapped[int] = mapped_column(Integer, default=1)
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class Office(Base):
    """The one office this database belongs to (a single row)."""

    __tablename__ = "office"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uid: Mapped[str] = mapped_column(String(36), default=uuid7)
    name: Mapped[str] = mapped_column(String(100))
    code: Mapped[str] = mapped_column(String(12))
    role: Mapped[str] = mapped_column(String(10))  # town / city
    demo: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class Setting(Base):
    __tablename__ = "setting"
    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[str] = mapped_column(Text, default="")


class Village(Synced, Base):
    __tablename__ = "village"
    code: Mapped[str] = mapped_column(String(12), index=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(10), default="村")  # 村 / 社区
    households: Mapped[int] = mapped_column(Integer, default=0)
    population: Mapped[int] = mapped_column(Integer, default=0)
    note: Mapped[str] = mapped_column(Text, default="")


class Deputy(Synced, Base):
    __tablename__ = "deputy"
    name: Mapped[str] = mapped_column(String(50))
    gender: Mapped[str] = mapped_column(String(2), default="")
    ethnicity: Mapped[str] = mapped_column(String(20), default="")
    birth_date: Mapped[str] = mapped_column(String(10), default="")
    id_number: Mapped[str] = mapped_column(String(18), default="", index=True)
    political: Mapped[str] = mapped_column(String(20), default="")
    education: Mapped[str] = mapped_column(String(20), default="")
    work_unit: Mapped[str] = mapped_column(String(200), default="")
    mobile: Mapped[str] = mapped_column(String(20), default="")
    phone: Mapped[str] = mapped_column(String(30), default="")
    village_id: Mapped[str | None] = mapped_column(ForeignKey("village.id"), nullable=True, index=True)
    levels: Mapped[str] = mapped_column(String(100), default="town")  # comma-separated level keys
    term: Mapped[str] = mapped_column(String(30), default="")
    constituency: Mapped[str] = mapped_column(String(100), default="")
    # no index on group_name or status: a handful of values each, so an index costs every write (22 %
    # of a big sync import) and slows the filters it was meant for (SQLite would walk it row by row
    # instead of scanning the table); migration 0008 dropped them
    group_name: Mapped[str] = mapped_column(String(100), default="")
    elected_on: Mapped[str] = mapped_column(String(10), default="")
    status: Mapped[str] = mapped_column(String(4), default="在任")
    status_date: Mapped[str] = mapped_column(String(10), default="")
    status_reason: Mapped[str] = mapped_column(String(200), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    # Search keys kept in step with the name and fields by the service, so a list filter is one LIKE.
    name_pinyin: Mapped[str] = mapped_column(String(200), default="", index=True)
    name_initials: Mapped[str] = mapped_column(String(50), default="")
    search_text: Mapped[str] = mapped_column(Text, default="")

    village: Mapped[Village | None] = relationship(lazy="joined")

    __table_args__ = (Index("ix_deputy_name_birth", "name", "birth_date"),)


class ContactPoint(Synced, Base):
    __tablename__ = "contact_point"
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(20))  # 代表之家 / 代表联络站 / 代表联系点 / 接待室
    parent_id: Mapped[str | None] = mapped_column(ForeignKey("contact_point.id"), nullable=True)
    village_id: Mapped[str | None] = mapped_column(ForeignKey("village.id"), nullable=True)
    address: Mapped[str] = mapped_column(String(200), default="")
    head_name: Mapped[str] = mapped_column(String(50), default="")
    head_phone: Mapped[str] = mapped_column(String(30), default="")
    liaison_name: Mapped[str] = mapped_column(String(50), default="")
    liaison_phone: Mapped[str] = mapped_column(String(30), default="")
    reception_rule: Mapped[str] = mapped_column(String(100), default="")
    note: Mapped[str] = mapped_column(Text, default="")


class ContactPointDeputy(Synced, Base):
    """A deputy stationed at a contact point (进站)."""

    __tablename__ = "contact_point_deputy"
    contact_point_id: Mapped[str] = mapped_column(ForeignKey("contact_point.id"), index=True)
    deputy_id: Mapped[str] = mapped_column(ForeignKey("deputy.id"), index=True)
    __table_args__ = (UniqueConstraint("contact_point_id", "deputy_id"),)


class ChangeLog(Base):
    """Outbox and history in one: every write of a synced record, in the same transaction.

    ``seq`` is the increasing sequence sync exports after; ``changes`` keeps who changed what."""

    __tablename__ = "change_log"
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    user: Mapped[str] = mapped_column(String(100), default="")
    table_name: Mapped[str] = mapped_column(String(50))
    record_id: Mapped[str] = mapped_column(String(36))
    version: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(10))  # insert / update / delete
    changes: Mapped[str] = mapped_column(Text, default="")  # JSON {field: [old, new]}
    __table_args__ = (Index("ix_change_log_record", "table_name", "record_id"),)
