"""Duty records (履职+), training sessions, evaluation schemes and periods, voter ratings.

Dates are ISO text. Points are exact decimal text ('2.5', '' = none), read with Decimal, never float.
A scheme version is written once and never changed: editing the scheme adds a new version, and a
closed period keeps the version it was closed with (``EvalPeriod.scheme_id``)."""

from __future__ import annotations

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from congress_desktop.core.store.models import Base, Synced


class DutyRecord(Synced, Base):
    """One entry of a deputy's duty file: a congress session (with attendance), a speech, a suggestion
    or motion, an inspection, a group activity, a report to voters, practical help, an award."""

    __tablename__ = "duty_record"
    deputy_id: Mapped[str] = mapped_column(ForeignKey("deputy.id"))  # indexed with the date below
    record_date: Mapped[str] = mapped_column(String(10))
    kind: Mapped[str] = mapped_column(String(10))                  # domain.evaluation.RECORD_KINDS
    attendance: Mapped[str] = mapped_column(String(4), default="")  # 人代会: 出席 / 请假 / 缺席
    title: Mapped[str] = mapped_column(String(200))
    detail: Mapped[str] = mapped_column(Text, default="")
    points: Mapped[str] = mapped_column(String(12), default="")     # own points instead of the item's
    batch_id: Mapped[str] = mapped_column(String(36), default="", index=True)  # one session's roll call

    __table_args__ = (
        Index("ix_duty_record_deputy_date", "deputy_id", "record_date"),
        Index("ix_duty_record_date", "deleted", "record_date"),
    )


class Training(Synced, Base):
    __tablename__ = "training"
    held_on: Mapped[str] = mapped_column(String(10), index=True)
    topic: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(10))  # 政治理论 / 履职实务 / 共同缔造专题
    organiser: Mapped[str] = mapped_column(String(100), default="")
    place: Mapped[str] = mapped_column(String(100), default="")
    hours: Mapped[str] = mapped_column(String(10), default="")
    note: Mapped[str] = mapped_column(Text, default="")


class TrainingAttendee(Synced, Base):
    """A deputy who attended a training session; removing one marks the row deleted."""

    __tablename__ = "training_attendee"
    training_id: Mapped[str] = mapped_column(ForeignKey("training.id"), index=True)
    deputy_id: Mapped[str] = mapped_column(ForeignKey("deputy.id"), index=True)
    __table_args__ = (UniqueConstraint("training_id", "deputy_id"),)


class EvalScheme(Synced, Base):
    """One version of the scoring scheme (考评办法): domain.evaluation.Scheme as JSON."""

    __tablename__ = "eval_scheme"
    number: Mapped[int] = mapped_column(Integer, index=True)  # version 1, 2, ... of this office
    body: Mapped[str] = mapped_column(Text)
    note: Mapped[str] = mapped_column(String(200), default="")  # what changed


class EvalPeriod(Synced, Base):
    """A period evaluated and published (a quarter, a year, a term). Open: computed with the scheme in
    force; closed: with ``scheme_id``, frozen at closing, and ``snapshot`` holds the totals then."""

    __tablename__ = "eval_period"
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(10), default="季度")
    date_from: Mapped[str] = mapped_column(String(10))
    date_to: Mapped[str] = mapped_column(String(10))
    scheme_id: Mapped[str | None] = mapped_column(ForeignKey("eval_scheme.id"), nullable=True)
    closed: Mapped[bool] = mapped_column(Boolean, default=False)
    closed_on: Mapped[str] = mapped_column(String(10), default="")
    closed_by: Mapped[str] = mapped_column(String(100), default="")
    snapshot: Mapped[str] = mapped_column(Text, default="")  # JSON {deputy_id: total} at closing


class VoterRating(Synced, Base):
    """选民测评 of one deputy for one period: the votes 称职 / 基本称职 / 不称职."""

    __tablename__ = "voter_rating"
    period_id: Mapped[str] = mapped_column(ForeignKey("eval_period.id"), index=True)
    deputy_id: Mapped[str] = mapped_column(ForeignKey("deputy.id"), index=True)
    competent: Mapped[int] = mapped_column(Integer, default=0)
    basic: Mapped[int] = mapped_column(Integer, default=0)
    incompetent: Mapped[int] = mapped_column(Integer, default=0)
    rated_on: Mapped[str] = mapped_column(String(10), default="")
    note: Mapped[str] = mapped_column(String(200), default="")
    __table_args__ = (UniqueConstraint("period_id", "deputy_id"),)
