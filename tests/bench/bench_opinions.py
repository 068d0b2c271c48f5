"""Benchmark: the opinion list and the home-page figures with a city's decade of data.

Run by hand (not in CI):  .venv/bin/python tests/bench/bench_opinions.py [OPINIONS] [VISITS]
(defaults 1,000,000 opinions and 300,000 visits; building the data takes about three minutes; with
``BENCH_DIR=/some/folder`` the database is built there once and reused by later runs).

Goals (issue 3): the first page of the list in under 150 ms for a text search and for a state +
overdue filter; the home-page summary in under 300 ms; the window under 400 MB once the list is shown.
Each figure is printed beside a baseline measured in the same run: plain sqlite3 reading the first
page of the same table with no filter (time), and a bare PySide6 window (memory).

The data is bulk-loaded with SQLAlchemy core inserts (the services would take hours for a million
rows), through the same search-text and full-text functions the services use, so the indexes are
what a real database would hold."""

from __future__ import annotations

import datetime as dt
import gc
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from sqlalchemy import insert, text  # noqa: E402

from congress_desktop.core import search  # noqa: E402
from congress_desktop.core.context import Context  # noqa: E402
from congress_desktop.core.store.ids import uuid7  # noqa: E402
from congress_desktop.core.store.models_visits import Opinion, Visit, VisitDeputy, Visitor  # noqa: E402
from congress_desktop.demo import create_demo  # noqa: E402
from congress_desktop.deputies.service import DeputyQuery, query_deputies  # noqa: E402
from congress_desktop.places.contact_points import list_contact_points  # noqa: E402
from congress_desktop.places.units import list_units  # noqa: E402
from congress_desktop.places.villages import list_villages  # noqa: E402
from congress_desktop.visits import opinions as ops  # noqa: E402
from congress_desktop.visits import service as vis  # noqa: E402
from congress_desktop.visits.opinion_rules import default_deadline  # noqa: E402

PAGE = 200
OWNER = "420381103000"
PHRASES = ["村组道路", "年久失修", "雨天泥泞", "群众出行不便", "建议硬化", "饮水安全", "自来水管", "老化破损", "经常停水",
           "路灯", "晚上", "安全隐患", "希望安装", "低保", "申请", "审核", "进度", "医保", "报销", "比例", "柑橘",
           "销售", "价格", "合作社", "垃圾", "清运", "不及时", "河道", "清淤", "学校", "校车", "接送", "卫生室", "缺少",
           "医生", "危房改造", "补助", "网络", "信号差", "农田水利", "灌溉", "渠道", "损毁", "养老保险", "缴费标准"]
SURNAMES = "王李张刘陈杨黄赵周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董"
GIVEN = ["大山", "秀芳", "德明", "桂英", "长林", "翠兰", "志华", "玉珍", "国强", "春花", "树林", "金莲"]


def timed(fn, repeat: int = 7) -> float:
    fn()  # warm the page cache and the statement cache
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def populate(ctx: Context, n_opinions: int, n_visits: int, today: dt.date) -> None:
    rng = random.Random(3)
    villages = list_villages(ctx)
    points = list_contact_points(ctx)
    deputy_ids = [d.id for d in query_deputies(ctx, DeputyQuery(), 0, None)]
    deputy_names = {d.id: d.name for d in query_deputies(ctx, DeputyQuery(), 0, None)}
    units = list_units(ctx)
    categories = ops.list_categories(ctx)
    start = today - dt.timedelta(days=3652)
    with ctx.store.session() as s:
        next_seq = (s.scalar(text("SELECT max(seq) FROM opinion")) or 0) + 1
    # visits in date order; opinions spread over them (about 3.3 per visit)
    days = sorted(start + dt.timedelta(days=rng.randrange(3652)) for _ in range(n_visits))
    per_visit = [0] * n_visits
    for _ in range(n_opinions):
        per_visit[rng.randrange(n_visits)] += 1
    visits, links, people, opinions, fts = [], [], [], [], []
    engine = ctx.store.engine

    def flush() -> None:
        with engine.begin() as conn:
            conn.exec_driver_sql("PRAGMA synchronous=OFF")  # bulk load only: the real app keeps FULL
            for model, rows in ((Visit, visits), (VisitDeputy, links), (Visitor, people), (Opinion, opinions)):
                if rows:
                    conn.execute(insert(model), rows)
            if fts:
                conn.exec_driver_sql("INSERT INTO opinion_fts(rowid, grams) VALUES (?, ?)", fts)
        for rows in (visits, links, people, opinions, fts):
            rows.clear()

    now = dt.datetime(2026, 1, 1)
    common = dict(owner_code=OWNER, version=1, deleted=False, created_at=now, updated_at=now)
    done = 0
    t0 = time.perf_counter()
    for i, day in enumerate(days):
        vid = uuid7()
        point = rng.choice(points)
        iso = day.isoformat()
        ds = rng.sample(deputy_ids, rng.choice([1, 2, 2, 3]))
        names = [deputy_names[d] for d in ds]
        person = rng.choice(SURNAMES) + rng.choice(GIVEN)
        phone = f"13{rng.randint(0, 9)}{rng.randint(10000000, 99999999)}"
        village = rng.choice(villages)
        visits.append(dict(id=vid, visit_date=iso, start_time="09:00", end_time="11:00", form="接待日",
                           contact_point_id=point.id, grid_id=None, place_text="", village_id=village.id, note="",
                           visitor_count=1, search_text=search.search_text(iso, point.name, " ".join(names), person),
                           **common))
        links += [dict(id=uuid7(), visit_id=vid, deputy_id=d, **common) for d in ds]
        people.append(dict(id=uuid7(), visit_id=vid, position=0, name=person, phone=phone, village_group="3组",
                           head_count=1, id_number="", **common))
        age = (today - day).days
        for pos in range(per_visit[i]):
            cat = rng.choice(categories)
            content = "".join(rng.choice(PHRASES) + rng.choice("，。、") for _ in range(rng.randint(3, 7)))
            if rng.random() < 0.00002:
                content += "龚家河桥梁垮塌"  # a rare phrase: a handful of rows in a million
            unit = rng.choice(units)
            o = dict(id=uuid7(), seq=next_seq, visit_id=vid, position=pos, source="接待", raised_on=iso,
                     raised_by=person, raised_phone=phone, village_id=village.id, lead_deputy_id=None, title="",
                     content=content, category_id=cat.id, key_item=False, reported_up=False, complex=False,
                     state="登记", on_the_spot=False, unit_id=None, assist_units="", assigned_on="", deadline="",
                     started_on="", reply_on="", reply_kind="", reply_text="", rated_on="", rating="", rated_by="",
                     closed_on="", return_count=0, plan_done_on="", indexed_version=1, **common)
            r = rng.random()
            assigned = day + dt.timedelta(days=2)
            if age > 3 and r > 0.02:
                o.update(state="交办", unit_id=unit.id, assigned_on=min(assigned, today).isoformat(),
                         deadline=default_deadline(assigned).isoformat())
                if age > 10:
                    o.update(state="办理中", started_on=min(day + dt.timedelta(days=7), today).isoformat())
                # most items are answered within their deadline; a few per cent are not (overdue)
                if age > 60 and r > (0.25 if age < 365 else 0.035):
                    reply = day + dt.timedelta(days=rng.randint(30, 80))
                    if reply <= today:
                        o.update(state="已答复", reply_on=reply.isoformat(), reply_kind="已解决",
                                 reply_text="已安排处理并反馈")
                        rated = reply + dt.timedelta(days=5)
                        if rated <= today:
                            rating = rng.choices(["满意", "基本满意", "不满意"], [7, 2, 1])[0]
                            o.update(state="已测评", rated_on=rated.isoformat(), rating=rating)
                            closed = rated + dt.timedelta(days=5)
                            if rating == "不满意" and (today - rated).days > 120:  # redone since, and closed
                                o.update(state="办结", return_count=1, rating="满意",
                                         closed_on=(rated + dt.timedelta(days=90)).isoformat())
                            elif rating == "不满意":
                                o.update(state="退回重办", return_count=1,
                                         deadline=default_deadline(rated).isoformat())
                            elif closed <= today:
                                o.update(state="办结", closed_on=closed.isoformat())
            cat_name, unit_name = cat.name, unit.name if o["unit_id"] else ""
            o["search_text"] = search.search_text(content, person, phone, cat_name, unit_name, village.name,
                                                  " ".join(names), o["reply_text"], "接待")
            opinions.append(o)
            fts.append((next_seq, search.grams(o["search_text"])))
            next_seq += 1
            done += 1
        if len(opinions) >= 20_000:
            flush()
            print(f"\r  {done:,} opinions, {i + 1:,} visits ({time.perf_counter() - t0:.0f} s)", end="", flush=True)
    flush()  # no ANALYZE: the application never runs it, so the plans are measured without statistics
    print(f"\r  {done:,} opinions, {n_visits:,} visits in {time.perf_counter() - t0:.0f} s" + " " * 20)


def plan(ctx: Context, q: ops.OpinionQuery) -> str:
    """SQLite's query plan of the page's key query (the rows are then read by key)."""
    from sqlalchemy import select
    from sqlalchemy.dialects import sqlite

    with ctx.store.session() as s:
        stmt = ops._statement(s, q, dt.date.today(), select(Opinion.seq), ordered=True).limit(PAGE)
        sql = str(stmt.compile(dialect=sqlite.dialect(), compile_kwargs={"literal_binds": True}))
        rows = s.execute(text("EXPLAIN QUERY PLAN " + sql)).all()
    return "; ".join(r[-1] for r in rows)


def main() -> None:
    n_opinions = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    n_visits = int(sys.argv[2]) if len(sys.argv) > 2 else 300_000
    today = dt.date.today()
    keep = os.environ.get("BENCH_DIR")  # build once into this folder and reuse it on later runs
    with tempfile.TemporaryDirectory() as scratch:
        tmp = keep or scratch
        ctx = Context.open(tmp)
        if ctx.office is None:
            create_demo(ctx)
            print(f"building {n_opinions:,} opinions and {n_visits:,} visits …")
            populate(ctx, n_opinions, n_visits, today)
        else:
            print(f"reusing the database in {tmp}")
        size = Path(ctx.db_path).stat().st_size / 1024 / 1024
        print(f"database file: {size:,.0f} MB")

        con = sqlite3.connect(ctx.db_path)
        baseline = timed(lambda: con.execute(f"SELECT * FROM opinion LIMIT {PAGE}").fetchall())
        print(f"\nbaseline: plain sqlite3, first {PAGE} rows of the opinion table, no filter: {baseline:7.1f} ms\n")

        def page(q: ops.OpinionQuery) -> list:
            return ops.query_opinions(ctx, q, 0, PAGE)

        cases = [
            ("text 2 chars, common   「路灯」", ops.OpinionQuery(text="路灯")),
            ("text 4 chars, common   「村组道路」", ops.OpinionQuery(text="村组道路")),
            ("text 4 chars, rare     「龚家河桥」", ops.OpinionQuery(text="龚家河桥")),
            ("text 2 chars, rare     「垮塌」", ops.OpinionQuery(text="垮塌")),
            ("text 1 char, common    「路」", ops.OpinionQuery(text="路")),
            ("text 1 char, rare      「垮」", ops.OpinionQuery(text="垮")),
            ("text, no match         「飞机场」", ops.OpinionQuery(text="飞机场")),
            ("text two words         「低保 审核」", ops.OpinionQuery(text="低保 审核")),
            ("phone digits           「1381234」", ops.OpinionQuery(text="1381234")),
            ("state 办理中 + overdue", ops.OpinionQuery(state="办理中", overdue=True)),
            ("state 交办 + overdue", ops.OpinionQuery(state="交办", overdue=True)),
            ("overdue (all states)", ops.OpinionQuery(overdue=True)),
            ("overdue, by deadline", ops.OpinionQuery(overdue=True, sort="deadline")),
            ("due within 7 days", ops.OpinionQuery(due_soon=True)),
            ("state 未办结", ops.OpinionQuery(state=ops.STATE_OPEN)),
            ("text + state + overdue 「路灯」", ops.OpinionQuery(text="路灯", state="办理中", overdue=True)),
            ("no filter", ops.OpinionQuery()),
        ]
        print(f"{'first page of ' + str(PAGE) + ' (goal < 150 ms)':44} {'page ms':>8} {'rows':>5} "
              f"{'× base':>7} {'total':>9} {'count ms':>9}")
        for label, q in cases:
            ms = timed(lambda q=q: page(q))
            rows = len(page(q))
            t = time.perf_counter()
            total = ops.count_opinions(ctx, q)
            count_ms = (time.perf_counter() - t) * 1000
            flag = "" if ms < 150 else "  <-- over goal"
            print(f"{label:44} {ms:8.1f} {rows:5d} {ms / baseline:7.1f} {total:9,} {count_ms:9.0f}{flag}")
        print("\nplans:")
        for label, q in [cases[i] for i in (0, 2, 7, 9, 11, 15)]:
            print(f"  {label.split('  ')[0]:28} {plan(ctx, q)}")

        summary_ms = timed(lambda: vis.home_summary(ctx, today))
        h = vis.home_summary(ctx, today)
        print(f"\nhome-page summary (goal < 300 ms): {summary_ms:.1f} ms  (baseline page read {baseline:.1f} ms)")
        print(f"  visits this month {h.visits_month:,}, this year {h.visits_year:,}; open {h.open_items:,}, "
              f"overdue {h.overdue:,}, due soon {h.due_soon:,}; 办结率 {vis.percent(h.closed_rate)}, "
              f"满意率 {vis.percent(h.satisfaction_rate)}")
        con.close()

        ctx.close()
        # ---- memory: in a fresh process that opens the database as the application would
        import subprocess

        r = subprocess.run([sys.executable, __file__, "--window", tmp], capture_output=True, text=True,
                           encoding="utf-8", timeout=600)
        print(r.stdout.strip() or r.stderr.strip())


def window_memory(folder: str) -> None:
    """A bare PySide6 window first (the baseline), then the real window showing the opinion list."""
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication, QMainWindow

    app = QApplication([])
    bare = QMainWindow()
    bare.resize(1280, 800)
    bare.show()
    app.processEvents()
    base_rss = rss_mb()
    from ui import tasks
    from ui.main_window import MainWindow

    ctx = Context.open(folder)
    t = time.perf_counter()
    w = MainWindow(ctx, settings=QSettings(str(Path(folder) / "w.ini"), QSettings.Format.IniFormat))
    w.resize(1280, 800)
    w.show()
    page = w.show_page("opinions")
    app.processEvents()
    shown_ms = (time.perf_counter() - t) * 1000
    for filters in ({"text": "路灯"}, {"overdue": True}, {}):
        page.show_filtered(**filters)
        if page.last_task is not None:
            page.last_task.wait(120_000)
        app.processEvents()
    page.table.scrollToBottom()  # loads a few more pages, as a user scrolling would
    app.processEvents()
    gc.collect()
    win_rss = rss_mb()
    print(f"window memory (goal < 400 MB): {win_rss:.0f} MB resident after opening the window and showing the "
          f"list ({page.count_label.text()}, {page.model.rowCount()} rows loaded; window shown in {shown_ms:.0f} ms);"
          f" a bare PySide6 window in a fresh process: {base_rss:.0f} MB")
    tasks.shutdown()
    w.close()
    ctx.close()


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--window":
        window_memory(sys.argv[2])
    else:
        main()
