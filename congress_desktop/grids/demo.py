"""Demo grids: every demo village gets its grids (fictitious 网格员) and some deputies placed, with a
little history. ``congress_desktop.demo`` calls :func:`seed`."""

from __future__ import annotations

import random

from sqlalchemy import select

from congress_desktop.core.context import Context
from congress_desktop.core.store.models import Deputy, Village
from congress_desktop.core.store.models_grids import Grid, GridAssignment
from congress_desktop.deputies.rules import IN_OFFICE
from congress_desktop.grids.rules import ROLE_HELPER, ROLE_LEAD

# Grids per demo village, in village order: two villages have more grids than deputies, so after the
# suggestion two grids stay empty and two manual moves from a neighbouring village complete the roster.
DEMO_GRIDS_PER_VILLAGE = (4, 3, 2, 2, 1, 2, 3, 4, 2, 1, 3, 2, 1, 2, 4, 3, 2, 1, 2, 3)
_COMMUNITY_GRID_NAMES = (("集镇东街网格", "集镇西街网格", "汽配新区网格", "滨河小区网格"),
                         ("孙家湾一区网格", "孙家湾二区网格", "工业园网格", "车站网格"),
                         ("石鼓老街网格", "移民新村网格", "学校片网格", "卫生院片网格"))
_VILLAGE_GRID_NAMES = {
    1: ("全村网格",),
    2: ("一至四组网格", "五至八组网格"),
    3: ("一至三组网格", "四至六组网格", "七至九组网格"),
    4: ("一二组网格", "三四组网格", "五六组网格", "七八组网格"),
}
_WORKER_SURNAMES = "王李张刘陈杨黄周吴徐孙胡朱高何郭马罗"
_WORKER_GIVEN = ("丽", "敏", "静", "军", "勇", "艳", "芳", "杰", "娟", "涛", "明", "霞", "超", "平", "红")


def seed(ctx: Context, rng: random.Random) -> None:
    """Grids for every demo village (1-4 each, fictitious 网格员) and SOME deputies placed, with a
    little history: the deputies who left office left their grid on their status date."""
    with ctx.store.session() as s:
        villages = list(s.scalars(select(Village).where(Village.deleted.is_(False)).order_by(Village.code)))
        deputies = list(s.scalars(select(Deputy).where(Deputy.deleted.is_(False))
                                  .order_by(Deputy.created_at, Deputy.id)))
        by_village: dict[str, list[Deputy]] = {}
        for d in deputies:
            by_village.setdefault(d.village_id or "", []).append(d)
        for i, v in enumerate(villages):
            count = DEMO_GRIDS_PER_VILLAGE[i % len(DEMO_GRIDS_PER_VILLAGE)]
            if v.kind == "社区":
                names = _COMMUNITY_GRID_NAMES[i % len(_COMMUNITY_GRID_NAMES)][:count]
            else:
                names = _VILLAGE_GRID_NAMES[count]
            grids = []
            share = max(1, v.households // count)
            for k, name in enumerate(names, start=1):
                worker = rng.choice(_WORKER_SURNAMES) + rng.choice(_WORKER_GIVEN) + rng.choice(_WORKER_GIVEN)
                g = Grid(village_id=v.id, code=f"{v.code}{k:03d}", name=name,
                         households=max(30, share + rng.randint(-25, 25)),
                         population=max(100, v.population // count + rng.randint(-80, 80)),
                         worker_name=worker, worker_phone=f"1{rng.choice('3578')}{rng.randint(100000000, 999999999)}")
                s.add(g)
                grids.append(g)
            s.flush()
            # about two villages in three already have their first deputy placed since 2022
            mine = by_village.get(v.id, [])
            first = mine[0] if mine and i % 3 != 2 else None
            if first is not None:
                s.add(GridAssignment(grid_id=grids[0].id, deputy_id=first.id, role=ROLE_LEAD,
                                     start_on="2022-03-01", end_on=first.status_date if first.status != IN_OFFICE else ""))
            # the deputies who left office were placed until their status date (the roster of a past date)
            for d in mine:
                if d is not first and d.status != IN_OFFICE:
                    s.add(GridAssignment(grid_id=grids[-1].id, deputy_id=d.id, role=ROLE_HELPER,
                                         start_on="2022-03-01", end_on=d.status_date))
