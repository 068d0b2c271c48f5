"""The demo year of visits and opinions (see congress_desktop/demo.py)."""

from __future__ import annotations

import datetime as dt
import logging
import random

from sqlalchemy import select

from congress_desktop.core.context import Context
from congress_desktop.core.store.models import ContactPoint, ContactPointDeputy, Deputy
from congress_desktop.core.store.models_visits import Visit, Visitor
from congress_desktop.deputies.rules import IN_OFFICE
from congress_desktop.places.units import seed_units
from congress_desktop.visits.categories import ensure_categories, list_categories
from congress_desktop.visits.opinion_index import index_opinion, new_opinion
from congress_desktop.visits.opinion_rules import Flow, Step, TransitionRefused, apply_step
from congress_desktop.visits.place_names import grid_labels
from congress_desktop.visits.rules import opinion_source
from congress_desktop.visits.service import (
    add_events,
    apply_flow,
    raised_by_of,
    set_deputies,
    visit_search_text,
)

log = logging.getLogger(__name__)

_DEMO_UNITS = [
    ("镇农业服务中心", "镇直部门", "刘建华", "0719-5611201"), ("镇村镇建设服务中心", "镇直部门", "陈志明", "0719-5611202"),
    ("镇社会保障服务中心", "镇直部门", "王秀兰", "0719-5611203"), ("镇卫生院", "站所", "张德胜", "0719-5611204"),
    ("镇中心学校", "站所", "李春梅", "0719-5611205"), ("镇水利站", "站所", "赵国庆", "0719-5611206"),
    ("镇综治中心", "镇直部门", "孙永平", "0719-5611207"), ("国网六里坪供电所", "站所", "周晓东", "0719-5611208"),
    ("市交通运输局", "市直部门", "吴振华", "0719-5222301"),
]
_DEMO_OPINIONS = {
    "产业发展": ["希望镇里请农技专家来村里讲讲柑橘病虫害防治", "村里茶叶卖不出好价钱，建议帮助对接电商平台",
             "合作社贷款难，希望落实小额担保贷款政策", "建议扶持发展林下养鸡等特色养殖"],
    "基础设施": ["组里通往主路的道路年久失修，雨天泥泞，建议硬化", "自来水管老化破损，夏天经常停水",
             "村头路灯坏了半年没人修，晚上出行不安全", "手机信号差，网络时断时续，建议加建基站",
             "农田灌溉渠道损毁严重，影响春耕", "桥梁护栏缺失，存在安全隐患"],
    "人居环境": ["垃圾清运不及时，夏天气味大", "河道淤积，建议清淤疏浚", "建议在集镇增设公共厕所",
             "房前屋后杂物堆放多，希望开展环境整治"],
    "教育": ["希望恢复村里到镇中心学校的校车接送", "学校周边道路没有减速带，学生上学不安全"],
    "医疗": ["村卫生室缺少常用药品", "希望卫生院每月派医生到村里义诊", "医保报销手续繁琐，希望简化"],
    "社保": ["家中老人符合条件，申请低保一直没有结果", "养老保险缴费标准不清楚，希望上门讲解政策",
           "残疾人补贴发放不及时"],
    "安全": ["集镇路口车辆多，建议安装红绿灯", "山体有滑坡迹象，请有关部门勘察", "电动车充电乱拉电线，存在火灾隐患"],
    "其他": ["希望多组织文化下乡活动", "建议在村里设置便民服务代办点"],
}
_DEMO_UNIT_FOR = {"产业发展": 0, "基础设施": 1, "人居环境": 1, "教育": 4, "医疗": 3, "社保": 2, "安全": 6, "其他": 1}
_DEMO_VISITORS = "王李张刘陈杨黄赵周吴徐孙胡朱高林何郭马罗"
_DEMO_GIVEN = ["大山", "秀芳", "德明", "桂英", "长林", "翠兰", "志华", "玉珍", "国强", "春花", "树林", "金莲"]


def seed_demo_visits(ctx: Context, rng: random.Random, *, today: dt.date | None = None) -> None:
    """A year of visits and opinions in every state (some overdue, some sent back, some answered on the
    spot), written in one unit of work through the same rules as live steps."""
    today = today or dt.date.today()
    ensure_categories(ctx)
    units = [u.id for u in seed_units(ctx, _DEMO_UNITS)]
    categories = {c.name: c.id for c in list_categories(ctx)}
    with ctx.store.session() as s:
        points = s.scalars(select(ContactPoint).where(ContactPoint.deleted.is_(False))).all()
        stationed: dict[str, list[str]] = {}
        for link in s.scalars(select(ContactPointDeputy).where(ContactPointDeputy.deleted.is_(False))):
            stationed.setdefault(link.contact_point_id, []).append(link.deputy_id)
        active = [d.id for d in s.scalars(select(Deputy).where(Deputy.deleted.is_(False), Deputy.status == IN_OFFICE))]
        if not points or not active:
            return
        grids = grid_labels(s)
        day = today - dt.timedelta(days=360)
        n_visit = 0
        while day <= today:
            # about two visits a week, more at the 15th reception day
            if rng.random() < (0.9 if day.day == 15 else 0.25):
                point = rng.choice(points)
                pool = stationed.get(point.id) or active
                deputy_ids = rng.sample(pool, k=min(len(pool), rng.choice([1, 2, 2, 3])))
                form = "接待日" if day.day == 15 else rng.choice(["接待日", "入户走访", "座谈", "电话", "暗访", "接待日"])
                start = f"{rng.choice([8, 9, 9, 10, 14, 15]):02d}:{rng.choice([0, 30]):02d}"
                end = f"{int(start[:2]) + rng.choice([1, 2]):02d}:{start[3:]}"
                visit_on = day.isoformat()
                if day == today:
                    start, end = "08:00", "08:30"
                v = Visit(visit_date=visit_on, start_time=start, end_time=end, form=form,
                          contact_point_id=point.id, village_id=point.village_id,
                          note="" if rng.random() < 0.7 else "群众反映问题较集中，已现场记录")
                if form == "入户走访" and grids:  # household visits happen in the deputies' grids
                    gid = rng.choice(list(grids))
                    v.contact_point_id, v.grid_id, v.village_id = None, gid, grids[gid][1]
                s.add(v)
                s.flush()
                dnames = set_deputies(s, v.id, deputy_ids)
                visitors = []
                for pos in range(rng.choice([1, 1, 2, 3])):
                    x = Visitor(visit_id=v.id, position=pos,
                                name=rng.choice(_DEMO_VISITORS) + rng.choice(_DEMO_GIVEN),
                                phone=f"13{rng.randint(0, 9)}{rng.randint(10000000, 99999999)}",
                                village_group=f"{rng.randint(1, 9)}组", head_count=rng.choice([1, 1, 1, 2, 3]))
                    s.add(x)
                    visitors.append(x)
                v.visitor_count = sum(x.head_count for x in visitors)
                v.search_text = visit_search_text(s, v, dnames, visitors)
                raised_by, phone = raised_by_of(visitors)
                for pos in range(rng.choice([0, 1, 1, 2, 2, 3])):
                    cat = rng.choice(list(_DEMO_OPINIONS))
                    flow = Flow(raised_on=visit_on)
                    unit_no = _DEMO_UNIT_FOR[cat]
                    events = []
                    for step in _demo_steps(rng, day, today, units[unit_no], _DEMO_UNITS[unit_no][0], cat):
                        before = flow.state
                        try:
                            flow, detail = apply_step(flow, step, today)
                        except TransitionRefused:
                            break
                        events.append((step.action, detail, before, flow.state, flow.last_on))
                    o = new_opinion(s, visit_id=v.id, position=pos, raised_on=visit_on, raised_by=raised_by,
                                           raised_phone=phone, village_id=v.village_id, category_id=categories[cat],
                                           content=rng.choice(_DEMO_OPINIONS[cat]),
                                           source=opinion_source(form, bool(v.grid_id)),
                                           key_item=rng.random() < 0.08)
                    apply_flow(o, flow)
                    s.add(o)
                    add_events(s, o.id, events, "演示数据")
                    index_opinion(s, o, deputies=dnames)
                n_visit += 1
            day += dt.timedelta(days=1)
        log.info("demo: %d visits", n_visit)


def _demo_steps(rng: random.Random, raised: dt.date, today: dt.date, unit_id: str, unit_name: str,
                category: str) -> list[Step]:
    """A plausible history for an item raised on ``raised``: older items further along."""
    age = (today - raised).days

    def on(days: int) -> str:
        return min(raised + dt.timedelta(days=days), today).isoformat()

    if rng.random() < 0.2:
        return [Step("spot", on=raised.isoformat(), kind=rng.choice(["说明解释", "已解决"]),
                     text="代表当场向群众解释了相关政策，群众表示理解")]
    if age < 14 and rng.random() < 0.6:
        return []
    steps = [Step("assign", on=on(rng.randint(1, 4)), unit_id=unit_id, unit_name=unit_name, complex=category == "基础设施"
                  and rng.random() < 0.3)]
    if age < 20:
        return steps
    steps.append(Step("start", on=on(rng.randint(5, 12))))
    # some stay in handling past their deadline (the overdue items of the demo)
    if rng.random() < (0.1 if age > 100 else 0.2) or age < 45 or 86 <= age <= 95:
        return steps
    kind = rng.choice(["已解决", "已解决", "列入计划", "说明解释"])
    replies = {"已解决": "已安排施工队现场处理完毕，并向群众反馈", "列入计划": "已列入明年项目计划，资金到位后实施",
               "说明解释": "经核实，该事项按政策暂不能办理，已向群众当面说明"}
    steps.append(Step("answer", on=on(rng.randint(30, 60)), kind=kind, text=replies[kind]))
    if age < 70 or rng.random() < 0.15:
        return steps
    rating = rng.choices(["满意", "基本满意", "不满意"], weights=[6, 3, 1])[0]
    steps.append(Step("rate", on=on(rng.randint(61, 68)), rating=rating, by="来访群众"))
    if rating == "不满意":
        steps.append(Step("return", on=on(rng.randint(69, 72)), text="群众认为问题未实际解决"))
        return steps
    if kind == "列入计划" and rng.random() < 0.5:
        return steps  # tracked until the plan is carried out
    if kind == "列入计划":
        steps.append(Step("fulfil", on=on(rng.randint(73, 90)), text="项目已实施"))
    steps.append(Step("close", on=on(rng.randint(91, 95))))
    return steps
