"""Grids (网格) of each village and the deputies placed in them (入格), with their history.

An assignment is never rewritten to move a deputy: moving closes the old row (``end_on``) and opens a
new one, so the roster of any past date can be read back. Dates are ISO text; ``end_on`` is the first
day the deputy is no longer in the grid ('' = still there)."""

from __future__ import annotations

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from congress_desktop.core.store.models import Base, Synced


class Grid(Synced, Base):
    __tablename__ = "grid"
    village_id: Mapped[str] = mapped_column(ForeignKey("village.id"), index=True)
    code: Mapped[str] = mapped_column(String(30), index=True)
    name: Mapped[str] = mapped_column(String(100))
    households: Mapped[int] = mapped_column(Integer, default=0)
    population: Mapped[int] = mapped_column(Integer, default=0)
    worker_name: Mapped[str] = mapped_column(String(50), default="")   # 网格员
    worker_phone: Mapped[str] = mapped_column(String(30), default="")
    note: Mapped[str] = mapped_column(Text, default="")


class GridAssignment(Synced, Base):
    __tablename__ = "grid_assignment"
    grid_id: Mapped[str] = mapped_column(ForeignKey("grid.id"), index=True)
    deputy_id: Mapped[str] = mapped_column(ForeignKey("deputy.id"))  # indexed with end_on below
    role: Mapped[str] = mapped_column(String(10), default="责任代表")  # 责任代表 / 协助代表
    households: Mapped[int] = mapped_column(Integer, default=0)       # households in contact
    start_on: Mapped[str] = mapped_column(String(10))
    end_on: Mapped[str] = mapped_column(String(10), default="")       # '' = current
    note: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = (Index("ix_grid_assignment_deputy_end", "deputy_id", "end_on"),)
