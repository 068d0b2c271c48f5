"""What the deputy use cases return and take: plain frozen rows (no session, no Qt)."""

from __future__ import annotations

from dataclasses import dataclass, fields

from congress_desktop.core.idcard import mask_id_number
from congress_desktop.deputies.rules import LEVEL_SHORT


@dataclass(frozen=True)
class DeputyRow:
    id: str
    name: str
    gender: str
    ethnicity: str
    birth_date: str
    id_number: str
    political: str
    education: str
    work_unit: str
    mobile: str
    phone: str
    village_id: str | None
    village_name: str
    levels: tuple[str, ...]
    term: str
    constituency: str
    group_name: str
    elected_on: str
    status: str
    status_date: str
    status_reason: str
    note: str
    version: int
    owner_code: str = ""  # the office that keeps this record; another office's record is read-only

    @property
    def levels_label(self) -> str:
        return "、".join(LEVEL_SHORT.get(k, k) for k in self.levels)

    @property
    def id_masked(self) -> str:
        return mask_id_number(self.id_number)

    def as_form(self) -> dict:
        """The values an edit form starts from (same keys normalise_deputy reads)."""
        d = {f.name: getattr(self, f.name) for f in fields(self)}
        d["levels"] = list(self.levels)
        return d


@dataclass(frozen=True)
class DeputyQuery:
    text: str = ""
    level: str = ""         # a key of LEVELS, '' for all
    status: str = ""        # a DeputyStatus (在任 / 暂停 / 终止), '' for all
    village_id: str = ""
    group_name: str = ""
    owner: str = ""         # owner office code ('' all): the city's town filter, a town's own vs city's
    sort: str = "name"
    descending: bool = False
