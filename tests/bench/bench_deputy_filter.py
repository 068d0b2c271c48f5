"""Benchmark: the deputy list with 100,000 deputies (goal: first page of a filter under 100 ms).

Run by hand (not in CI):  .venv/bin/python tests/bench/bench_deputy_filter.py [N]

Prints, for each filter, the time to the first page through the service (count + page of 200)
and through the GUI table model, beside the baseline measured in the same run: plain sqlite3
reading the first 200 rows of the same table with no filter."""

from __future__ import annotations

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

from sqlalchemy import insert  # noqa: E402

from congress_desktop.core.context import Context  # noqa: E402
from congress_desktop.core.store.ids import uuid7  # noqa: E402
from congress_desktop.core.store.models import Deputy  # noqa: E402
from congress_desktop.core.text import pinyin_keys  # noqa: E402
from congress_desktop.demo import GIVEN, SURNAMES, create_demo  # noqa: E402
from congress_desktop.deputies import service as svc  # noqa: E402
from congress_desktop.places.villages import list_villages  # noqa: E402


def populate(ctx: Context, n: int) -> None:
    rng = random.Random(7)
    villages = list_villages(ctx)
    rows = []
    for i in range(n):
        name = rng.choice(SURNAMES) + rng.choice(GIVEN) + ("" if i % 3 else rng.choice("明华军"))
        full, initials = pinyin_keys(name)
        v = rng.choice(villages)
        status = "在任" if i % 20 else rng.choice(["暂停", "终止"])
        levels = "town,county" if i % 9 == 0 else "town"
        mobile = f"13{rng.randint(0, 9)}{rng.randint(10000000, 99999999)}"
        work = f"{v.name}第{i % 12 + 1}村民小组"
        search = "\x1f".join([name, full, initials, mobile, v.name, work, status]).lower()
        rows.append(dict(id=uuid7(), owner_code="420381103000", name=name, gender=rng.choice("男女"),
                         birth_date=f"{rng.randint(1960, 1999)}-{rng.randint(1, 12):02d}", mobile=mobile,
                         village_id=v.id, levels=levels, status=status, work_unit=work,
                         group_name=f"第{i % 6 + 1}代表小组", name_pinyin=full, name_initials=initials,
                         search_text=search))
        if len(rows) == 10_000:
            with ctx.store.session() as s:
                s.execute(insert(Deputy), rows)
            rows = []
    if rows:
        with ctx.store.session() as s:
            s.execute(insert(Deputy), rows)


def timed(fn, repeat: int = 7) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    with tempfile.TemporaryDirectory() as tmp:
        ctx = Context.open(tmp)
        create_demo(ctx)
        t = time.perf_counter()
        populate(ctx, n)
        print(f"populated {n:,} deputies in {time.perf_counter() - t:.1f} s")
        con = sqlite3.connect(ctx.db_path)
        baseline = timed(lambda: con.execute("select * from deputy limit 200").fetchall())
        village = list_villages(ctx)[5]
        cases = {
            "no filter, sorted by name": svc.DeputyQuery(),
            "text 'zs' (pinyin initials)": svc.DeputyQuery(text="zs"),
            "text '黄家' (any field)": svc.DeputyQuery(text="黄家"),
            "text '139' (phone digits)": svc.DeputyQuery(text="139"),
            "level=county + status=在任": svc.DeputyQuery(level="county", status="在任"),
            "village + sort by birth desc": svc.DeputyQuery(village_id=village.id, sort="birth_date",
                                                            descending=True),
        }
        print(f"\nbaseline: plain sqlite3, first 200 rows, no filter: {baseline:7.1f} ms")
        print(f"{'filter':34} {'service page+count':>18} {'GUI model':>10}   goal < 100 ms")
        model_cls = None
        try:
            from PySide6.QtWidgets import QApplication

            from ui.models import DeputyTableModel
            app = QApplication.instance() or QApplication([])  # noqa: F841
            model_cls = DeputyTableModel
        except ImportError:
            pass
        for label, q in cases.items():
            svc_ms = timed(lambda q=q: (svc.count_deputies(ctx, q), svc.query_deputies(ctx, q, 0, 200)))
            model_ms = float("nan")
            if model_cls is not None:
                model = model_cls(ctx)
                model_ms = timed(lambda q=q, m=model: m.set_query(q))
            print(f"{label:34} {svc_ms:15.1f} ms {model_ms:7.1f} ms")
        con.close()
        ctx.close()


if __name__ == "__main__":
    main()
