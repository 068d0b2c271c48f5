"""The demo town's votes: ten formal candidates for this year's 票决 and five finished projects of
last year (测评). ``congress_desktop.demo`` calls :func:`seed`."""

from __future__ import annotations

import datetime as dt
import random

from congress_desktop.core.context import Context
from congress_desktop.core.store.models_votes import VoteProject
from congress_desktop.votes.vocab import ProjectState

DEMO_PROJECTS = [
    ("乡村振兴", "汪家湾村柑橘产业园灌溉设施建设", "新建蓄水池 2 座、铺设灌溉管网 6 公里", "420381103214", "180"),
    ("交通", "观音坪至杨家畈通村公路提档升级", "4.2 公里道路加宽至 5.5 米并铺设沥青", "420381103204", "360"),
    ("人居环境", "集镇污水管网改造（二期）", "改造主次管网 3.8 公里，雨污分流", "420381103001", "420"),
    ("教育", "六里坪镇中心小学学生食堂改扩建", "扩建食堂 600 平方米，更新厨房设备", "420381103001", "260"),
    ("医疗", "村卫生室标准化建设", "8 个村卫生室设备更新、诊室改造", "", "96"),
    ("社会保障", "农村互助养老服务点建设", "新建互助养老服务点 3 处，配置适老设施", "", "150"),
    ("交通", "沙沟村危桥改造", "拆除重建沙沟村跨河便民桥 1 座", "420381103210", "85"),
    ("人居环境", "农村生活垃圾分类收运体系建设", "配置分类垃圾桶、压缩转运车 2 辆", "", "120"),
    ("文化体育", "孙家湾社区全民健身广场", "新建健身广场 3000 平方米及配套设施", "420381103002", "140"),
    ("乡村振兴", "马家岗村农产品冷链仓储中心", "建设冷库 500 立方米及分拣车间", "420381103202", "230"),
]
DEMO_DONE = [("交通", "集镇路灯亮化工程"), ("人居环境", "龚家河村饮水安全巩固提升"),
             ("教育", "乡村学校少年宫建设"), ("医疗", "镇卫生院发热门诊改造"), ("社会保障", "困难群众住房改造")]


def seed(ctx: Context, rng: random.Random) -> None:
    """Ten formal candidates for this year's 票决 and five finished projects of last year (测评)."""
    units = ["六里坪镇人民政府", "镇农业服务中心", "镇交通管理站", "镇卫生院", "镇中心小学", "镇社会事务办"]
    year = dt.date.today().year
    with ctx.store.session() as s:
        for n, (cat, name, content, place, inv) in enumerate(DEMO_PROJECTS, start=1):
            s.add(VoteProject(year=year, number=f"{year}-{n:02d}", name=name, category=cat, content=content,
                              place_code=place, investment=inv, funding="镇级财政、上级补助", unit=rng.choice(units),
                              person="", deadline=f"{year}-12", beneficiaries="", source="代表建议、群众意见征集",
                              ballot_order=n, state=ProjectState.CANDIDATE))
        for n, (cat, name) in enumerate(DEMO_DONE, start=1):
            s.add(VoteProject(year=year - 1, number=f"{year - 1}-{n:02d}", name=name, category=cat,
                              investment=str(rng.randint(40, 300)), unit=rng.choice(units), ballot_order=n,
                              deadline=f"{year - 1}-12", state=ProjectState.DONE))
