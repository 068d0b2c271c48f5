"""Duty evaluation at the size of a large office (run by hand, not in CI):

    .venv/bin/python tests/bench/bench_evaluation.py [deputies] [records per deputy]

Builds a temporary database (default 600 deputies, 40 duty records each over a year, 12 trainings of
300, 8,000 visits with two deputies each), then times the evaluation of a quarter and of the year,
one deputy's duty file, the notice PDF and the .xlsx export."""

from __future__ import annotations

import datetime as dt
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from congress_desktop.core.context import Context  # noqa: E402
from congress_desktop.core.office import setup_office  # noqa: E402
from congress_desktop.core.store.models import Deputy, Village  # noqa: E402
from congress_desktop.core.store.models_duty import DutyRecord, Training, TrainingAttendee  # noqa: E402
from congress_desktop.core.store.models_visits import Visit, VisitDeputy  # noqa: E402
from congress_desktop.duty import evaluation as evs  # noqa: E402
from congress_desktop.duty import report  # noqa: E402
from congress_desktop.duty import rules as ev  # noqa: E402

YEAR = 2026
KINDS = [k for k in ev.RECORD_KINDS if k != ev.SESSION]


def day(rng: random.Random) -> str:
    return (dt.date(YEAR, 1, 1) + dt.timedelta(days=rng.randint(0, 364))).isoformat()


def build(ctx: Context, n_deputies: int, per_deputy: int) -> None:
    rng = random.Random(8)
    with ctx.store.session() as s:
        v = Village(code="420381103200", name="测试村")
        s.add(v)
        s.flush()
        ids = []
        for i in range(n_deputies):
            d = Deputy(name=f"代表{i:05d}", village_id=v.id, levels="town", elected_on="2021-12-28",
                       name_pinyin=f"daibiao{i:05d}", name_initials="db")
            s.add(d)
            ids.append(d)
        s.flush()
        ids = [d.id for d in ids]
        for did in ids:
            s.add(DutyRecord(deputy_id=did, record_date=f"{YEAR}-03-05", kind=ev.SESSION,
                             attendance=rng.choice(["出席"] * 18 + ["请假", "缺席"]), title="人代会", batch_id="b1"))
            for _ in range(per_deputy):
                s.add(DutyRecord(deputy_id=did, record_date=day(rng), kind=rng.choice(KINDS), title="履职活动"))
        for k in range(12):
            t = Training(held_on=f"{YEAR}-{k + 1:02d}-15", topic=f"培训{k}", kind="履职实务")
            s.add(t)
            s.flush()
            for did in rng.sample(ids, k=min(300, len(ids))):
                s.add(TrainingAttendee(training_id=t.id, deputy_id=did))
        for _ in range(8000):
            visit = Visit(visit_date=day(rng), form="接待日", place_text="代表之家")
            s.add(visit)
            s.flush()
            for did in rng.sample(ids, k=2):
                s.add(VisitDeputy(visit_id=visit.id, deputy_id=did))


def timed(label: str, fn):
    t0 = time.perf_counter()
    result = fn()
    print(f"{label:<34} {1000 * (time.perf_counter() - t0):8.0f} ms")
    return result


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 600
    per = int(sys.argv[2]) if len(sys.argv) > 2 else 40
    with tempfile.TemporaryDirectory() as tmp:
        ctx = Context.open(Path(tmp) / "data")
        setup_office(ctx, "测试镇人大", "420381103000", "town")
        timed(f"build ({n} deputies x {per} records)", lambda: build(ctx, n, per))
        q = ev.quarter_bounds(YEAR, 1)
        timed("evaluate a quarter", lambda: evs.evaluate(ctx, *q))
        e = timed("evaluate the year", lambda: evs.evaluate(ctx, f"{YEAR}-01-01", f"{YEAR}-12-31"))
        print(f"{'':<34} {len(e.rows)} deputies, {sum(c.count for r in e.rows for c in r.items)} records counted")
        first = e.rows[0].deputy_id
        timed("duty file of one deputy (year)", lambda: evs.duty_file(ctx, first, f"{YEAR}-01-01", f"{YEAR}-12-31"))
        timed("notice PDF (quarter)", lambda: report.print_duty_notice(ctx, Path(tmp) / "n.pdf", *q))
        timed("export .xlsx (year)", lambda: report.export_evaluation(ctx, e, Path(tmp) / "e.xlsx"))
        ctx.close()


if __name__ == "__main__":
    main()
