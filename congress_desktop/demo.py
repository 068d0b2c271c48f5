"""A realistic demo town of 丹江口市 with fictitious people, for trying the program out."""

from __future__ import annotations

import datetime as dt
import random

from congress_desktop.core.context import Context, Progress, no_progress
from congress_desktop.core.errors import Exists
from congress_desktop.core.idcard import check_char
from congress_desktop.core.office import setup_office
from congress_desktop.deputies.service import create_deputy
from congress_desktop.places.contact_points import save_contact_point
from congress_desktop.places.villages import save_village

DEMO_OFFICE = ("丹江口市六里坪镇人大", "420381103000")

COMMUNITIES = ["六里坪", "孙家湾", "石鼓"]  # 社区 (居委会 codes 001-199)
VILLAGES = ["黄家", "冯家湾", "马家岗", "余家湾", "观音坪", "杨家畈", "大沟", "柏林", "玉皇庙", "龚家河",
            "沙沟", "肖川", "双树", "三岔", "汪家湾", "核桃园", "乔家院"]  # 村 (村委会 codes 200-399)

SURNAMES = "王李张刘陈杨黄赵周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏"
GIVEN = ["建国", "志强", "秀英", "桂兰", "海燕", "明华", "德胜", "春梅", "丽娟", "国庆", "红霞", "永平",
         "晓东", "玉兰", "振华", "文斌", "淑珍", "小平", "金凤", "家旺", "长青", "新民", "慧敏", "运来",
         "翠萍", "光明", "少华", "月英", "俊杰", "雪梅", "立新", "世荣", "凤琴", "学军", "爱华", "宏伟"]
FEMALE_HINT = set("英兰燕梅娟霞凤珍敏萍琴华")
WORK = ["{v}村党支部书记、村委会主任", "{v}村党支部副书记", "{v}村委会委员", "{v}村种植大户",
        "六里坪镇中心小学教师", "六里坪镇卫生院医生", "湖北某汽车零部件有限公司职工", "{v}村农民",
        "六里坪镇农业服务中心主任", "{v}社区党委书记", "丹江口市某柑橘专业合作社理事长", "个体工商户",
        "六里坪镇派出所民警", "{v}村妇联主席", "六里坪镇人民政府镇长", "六里坪镇人大主席"]
POLITICAL = ["中共党员"] * 7 + ["群众"] * 2 + ["无党派人士"]
ETHNIC = ["汉族"] * 18 + ["土家族", "回族"]
EDU = ["大学", "大专", "高中", "中专", "初中"]


def _id_number(rng: random.Random, birth: dt.date, female: bool) -> str:
    seq = rng.randint(10, 99) * 10 + (rng.choice([0, 2, 4, 6, 8]) if female else rng.choice([1, 3, 5, 7, 9]))
    first = f"420381{birth:%Y%m%d}{seq:03d}"
    return first + check_char(first)


def create_demo(ctx: Context, progress: Progress = no_progress, *, seed: int = 2026) -> None:
    """Seed an empty database with the demo town; refuses a database that already has an office."""
    if ctx.office is not None:
        raise Exists("本数据库已设置单位信息，演示数据只能建在新的数据文件夹中")
    rng = random.Random(seed)
    setup_office(ctx, *DEMO_OFFICE, "town", demo=True)
    villages = []
    for i, name in enumerate(COMMUNITIES, start=1):
        villages.append(save_village(ctx, {"name": f"{name}社区", "code": f"420381103{i:03d}",
                                           "households": rng.randint(900, 2600),
                                           "population": rng.randint(3000, 8000)}))
    for i, name in enumerate(VILLAGES, start=200):
        villages.append(save_village(ctx, {"name": f"{name}村", "code": f"420381103{i:03d}",
                                           "households": rng.randint(260, 780),
                                           "population": rng.randint(900, 2800)}))
    progress(1, 4)
    used_names: set[str] = set()
    deputies = []
    groups = ["第一代表小组（集镇片）", "第二代表小组（东片）", "第三代表小组（西片）", "第四代表小组（北片）"]
    total = 64
    for n in range(total):
        while True:
            given = rng.choice(GIVEN)
            name = rng.choice(SURNAMES) + given
            if name not in used_names:
                used_names.add(name)
                break
        female = given[-1] in FEMALE_HINT and rng.random() < 0.8
        birth = dt.date(rng.randint(1962, 1996), rng.randint(1, 12), rng.randint(1, 28))
        v = villages[n % len(villages)]
        levels = ["town"]
        if n < 8:
            levels = ["town", "county"]  # 8 deputies also sit in 丹江口市人大
        if n == 0:
            levels = ["town", "county", "prefecture"]
        raw = {
            "name": name, "gender": "女" if female else "男", "ethnicity": rng.choice(ETHNIC),
            "birth_date": birth.isoformat(), "id_number": _id_number(rng, birth, female),
            "political": rng.choice(POLITICAL), "education": rng.choice(EDU),
            "work_unit": rng.choice(WORK).format(v=v.name.removesuffix("村").removesuffix("社区")),
            "mobile": f"1{rng.choice('3578')}{rng.randint(0, 9)}{rng.randint(10000000, 99999999)}",
            "village_id": v.id, "levels": levels, "term": "第十九届", "constituency": f"第{n // 3 + 1}选区",
            "group_name": groups[(n % len(villages)) % 4], "elected_on": "2021-12-28",
        }
        if n == total - 1:
            raw.update(status="终止", status_date="2026-03-15", status_reason="户籍迁出本镇")
        if n == total - 2:
            raw.update(status="暂停", status_date="2026-06-01", status_reason="因涉嫌违法被采取强制措施")
        deputies.append(create_deputy(ctx, raw))
    progress(3, 4)
    active = [d for d in deputies if d.status == "在任"]
    home = save_contact_point(ctx, {
        "name": "六里坪镇人大代表之家", "kind": "代表之家", "village_id": villages[0].id,
        "address": "六里坪镇政府院内一楼", "head_name": active[1].name, "head_phone": active[1].mobile,
        "liaison_name": "余晓红", "liaison_phone": "0719-5612345", "reception_rule": "每月 15 日",
        "deputy_ids": [d.id for d in active[:8]]})
    stations = []
    for k, (label, vi) in enumerate((("东片人大代表联络站", 5), ("西片人大代表联络站", 12))):
        stations.append(save_contact_point(ctx, {
            "name": f"六里坪镇{label}", "kind": "代表联络站", "parent_id": home.id,
            "village_id": villages[vi].id, "address": f"{villages[vi].name}党群服务中心",
            "head_name": active[10 + k].name, "head_phone": active[10 + k].mobile,
            "liaison_name": active[20 + k].name, "liaison_phone": active[20 + k].mobile,
            "reception_rule": "每周一", "deputy_ids": [d.id for d in active[10 + 10 * k: 20 + 10 * k]]}))
    for k, vi in enumerate((3, 6, 9, 14, 18)):
        v = villages[vi]
        here = [d for d in active if d.village_id == v.id]
        save_contact_point(ctx, {
            "name": f"{v.name}代表联系点", "kind": "代表联系点", "parent_id": stations[k % 2].id,
            "village_id": v.id, "address": f"{v.name}村委会", "liaison_name": here[0].name if here else "",
            "liaison_phone": here[0].mobile if here else "", "reception_rule": "每月第一个周一",
            "deputy_ids": [d.id for d in here]})
    progress(4, 4)
    from congress_desktop.grids import demo as grids_demo  # grid rosters (issue 4)
    grids_demo.seed(ctx, rng)
    from congress_desktop.votes import demo as votes_demo
    votes_demo.seed(ctx, rng)
    from congress_desktop.visits.demo import seed_demo_visits
    seed_demo_visits(ctx, rng)
    from congress_desktop.duty.demo import seed as seed_duty
    seed_duty(ctx, rng)
