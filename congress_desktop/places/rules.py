"""The closed vocabularies of places: villages/communities, contact points, handling units.

One home for each list, so a form, a service, a received sync record and ``check`` all ask the same."""

from __future__ import annotations

VILLAGE_KINDS = ("村", "社区")
CONTACT_POINT_KINDS = ("代表之家", "代表联络站", "代表联系点", "接待室")
UNIT_KINDS = ("镇直部门", "站所", "村(社区)", "市直部门", "其他")
