"""Visits at contact points (接待 / 走访) and the opinions raised there, followed to the end (督办).

Dates are ISO text ('YYYY-MM-DD'), times 'HH:MM'. A visit's place is a contact point, a grid (the
grid table lives in models_grids; ``grid_id`` is kept without a foreign key so the two modules stay
independent) or free text.

``Opinion.seq``, ``search_text`` and ``indexed_version`` are local search keys kept by the service:
``seq`` is the rowid of the full-text index ``opinion_fts`` (an FTS5 table made by migration 0002, not
a model) and the tie-breaker of the list order. A row arriving without them, or changed since it was
indexed (version != indexed_version), is indexed on the next list query."""

from __future__ import annotations

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from congress_desktop.core.store.models import Base, Synced


class HandlingUnit(Synced, Base):
    """A unit opinions are referred to (承办单位): a town department, a station, a village, a city bureau."""

    __tablename__ = "handling_unit"
    name: Mapped[str] = mapped_column(String(100), index=True)
    kind: Mapped[str] = mapped_column(String(20), default="")  # 镇直部门 / 站所 / 村(社区) / 市直部门 / 其他
    contact_person: Mapped[str] = mapped_column(String(50), default="")
    phone: Mapped[str] = mapped_column(String(30), default="")
    address: Mapped[str] = mapped_column(String(200), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class OpinionCategory(Synced, Base):
    """The office's own list of categories (产业发展, 基础设施, ...), seeded with the defaults."""

    __tablename__ = "opinion_category"
    name: Mapped[str] = mapped_column(String(50))
    hint: Mapped[str] = mapped_column(String(200), default="")  # e.g. 水电路气厕网购
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Visit(Synced, Base):
    __tablename__ = "visit"
    visit_date: Mapped[str] = mapped_column(String(10))
    start_time: Mapped[str] = mapped_column(String(5), default="")
    end_time: Mapped[str] = mapped_column(String(5), default="")
    form: Mapped[str] = mapped_column(String(10))  # 接待日 / 入户走访 / 座谈 / 电话 / 暗访
    contact_point_id: Mapped[str | None] = mapped_column(ForeignKey("contact_point.id"), nullable=True,
                                                         index=True)
    grid_id: Mapped[str | None] = mapped_column(String(36), nullable=True, index=True)  # no FK: see above
    place_text: Mapped[str] = mapped_column(String(200), default="")
    village_id: Mapped[str | None] = mapped_column(ForeignKey("village.id"), nullable=True, index=True)
    note: Mapped[str] = mapped_column(Text, default="")
    visitor_count: Mapped[int] = mapped_column(Integer, default=0)  # sum of head counts
    search_text: Mapped[str] = mapped_column(Text, default="")

    # the list (newest first) and the month/year counts of the home page, from the index alone
    __table_args__ = (Index("ix_visit_list", "deleted", "visit_date", "start_time"),)


class VisitDeputy(Synced, Base):
    """A deputy who received at a visit."""

    __tablename__ = "visit_deputy"
    visit_id: Mapped[str] = mapped_column(ForeignKey("visit.id"), index=True)
    deputy_id: Mapped[str] = mapped_column(ForeignKey("deputy.id"), index=True)
    __table_args__ = (UniqueConstraint("visit_id", "deputy_id"),)


class Visitor(Synced, Base):
    """A constituent (or a group: ``head_count``) received at a visit."""

    __tablename__ = "visitor"
    visit_id: Mapped[str] = mapped_column(ForeignKey("visit.id"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    name: Mapped[str] = mapped_column(String(50))
    phone: Mapped[str] = mapped_column(String(30), default="")
    village_group: Mapped[str] = mapped_column(String(100), default="")  # 村民小组 / 住址
    head_count: Mapped[int] = mapped_column(Integer, default=1)
    id_number: Mapped[str] = mapped_column(String(18), default="")


class Opinion(Synced, Base):
    """One opinion or suggestion (意见建议) and its handling, state by state (domain.opinions)."""

    __tablename__ = "opinion"
    seq: Mapped[int | None] = mapped_column(Integer, nullable=True, unique=True)
    visit_id: Mapped[str | None] = mapped_column(ForeignKey("visit.id"), nullable=True, index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)  # order within its visit
    source: Mapped[str] = mapped_column(String(10), default="接待")  # 大会 / 闭会期间 / 接待 / 网格 / 暗访
    raised_on: Mapped[str] = mapped_column(String(10))
    raised_by: Mapped[str] = mapped_column(String(100), default="")
    raised_phone: Mapped[str] = mapped_column(String(30), default="")
    village_id: Mapped[str | None] = mapped_column(ForeignKey("village.id"), nullable=True, index=True)
    lead_deputy_id: Mapped[str | None] = mapped_column(ForeignKey("deputy.id"), nullable=True, index=True)
    title: Mapped[str] = mapped_column(String(200), default="")
    content: Mapped[str] = mapped_column(Text, default="")
    category_id: Mapped[str | None] = mapped_column(ForeignKey("opinion_category.id"), nullable=True,
                                                    index=True)
    key_item: Mapped[bool] = mapped_column(Boolean, default=False)     # 重点件
    reported_up: Mapped[bool] = mapped_column(Boolean, default=False)  # 上报市人大
    complex: Mapped[bool] = mapped_column(Boolean, default=False)      # 复杂件: 6-month deadline
    state: Mapped[str] = mapped_column(String(8), default="登记")
    on_the_spot: Mapped[bool] = mapped_column(Boolean, default=False)
    unit_id: Mapped[str | None] = mapped_column(ForeignKey("handling_unit.id"), nullable=True, index=True)
    assist_units: Mapped[str] = mapped_column(String(200), default="")
    assigned_on: Mapped[str] = mapped_column(String(10), default="")
    deadline: Mapped[str] = mapped_column(String(10), default="")
    started_on: Mapped[str] = mapped_column(String(10), default="")
    reply_on: Mapped[str] = mapped_column(String(10), default="")
    reply_kind: Mapped[str] = mapped_column(String(8), default="")
    reply_text: Mapped[str] = mapped_column(Text, default="")
    rated_on: Mapped[str] = mapped_column(String(10), default="")
    rating: Mapped[str] = mapped_column(String(8), default="")
    rated_by: Mapped[str] = mapped_column(String(50), default="")
    closed_on: Mapped[str] = mapped_column(String(10), default="")
    return_count: Mapped[int] = mapped_column(Integer, default=0)
    plan_done_on: Mapped[str] = mapped_column(String(10), default="")
    search_text: Mapped[str] = mapped_column(Text, default="")
    indexed_version: Mapped[int] = mapped_column(Integer, default=0)  # version the search keys were made from

    # seq is this database's FTS rowid and the search keys are derived here, per database: sync neither
    # carries nor overwrites them (the change hook ignores them)
    __sync_local__: tuple[str, ...] = ("seq", "search_text", "indexed_version")

    __table_args__ = (
        # list order (newest first) and, covering, the period summary by state and rating
        Index("ix_opinion_list", "deleted", "raised_on", "seq", "state", "rating"),
        # overdue / due-soon counts, and (covering) the keys of an overdue page sorted by date
        Index("ix_opinion_state_deadline", "deleted", "state", "deadline", "raised_on", "seq"),
        # a state filter walked in list order, the deadline read from the index (state + overdue)
        Index("ix_opinion_state_list", "deleted", "state", "raised_on", "seq", "deadline"),
        # rows changed since they were indexed (by sync): found without reading the table
        Index("ix_opinion_stale", "id", sqlite_where=text("version != indexed_version")),
    )


class OpinionEvent(Synced, Base):
    """One step of an opinion's handling (交办, 答复, 退回重办, ...): the flow record shown as history."""

    __tablename__ = "opinion_event"
    opinion_id: Mapped[str] = mapped_column(ForeignKey("opinion.id"), index=True)
    step_on: Mapped[str] = mapped_column(String(10))   # the business date of the step
    action: Mapped[str] = mapped_column(String(10))    # domain.opinions.ACTIONS key
    from_state: Mapped[str] = mapped_column(String(8), default="")
    to_state: Mapped[str] = mapped_column(String(8), default="")
    detail: Mapped[str] = mapped_column(Text, default="")
    by_user: Mapped[str] = mapped_column(String(100), default="")


class OpinionMeeting(Synced, Base):
    """办前 / 办中 / 办后 三个面对面: one of each per opinion."""

    __tablename__ = "opinion_meeting"
    opinion_id: Mapped[str] = mapped_column(ForeignKey("opinion.id"), index=True)
    stage: Mapped[str] = mapped_column(String(4))  # 办前 / 办中 / 办后
    meet_on: Mapped[str] = mapped_column(String(10))
    participants: Mapped[str] = mapped_column(String(300), default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    __table_args__ = (UniqueConstraint("opinion_id", "stage"),)


class Attachment(Synced, Base):
    """A scan or photo attached to a record; the file sits in data_dir/attachments/ under its sha256."""

    __tablename__ = "attachment"
    owner_table: Mapped[str] = mapped_column(String(30))  # visit / opinion
    owner_id: Mapped[str] = mapped_column(String(36))
    file_name: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(Integer, default=0)
    note: Mapped[str] = mapped_column(String(200), default="")
    __table_args__ = (Index("ix_attachment_owner", "owner_table", "owner_id"),)
