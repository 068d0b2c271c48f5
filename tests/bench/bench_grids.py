"""Grid rosters at the size of a large town (run by hand, not in CI):

    .venv/bin/python tests/bench/bench_grids.py [villages] [grids per village] [deputies]

Builds a temporary database (default 60 villages x 6 grids = 360 grids, 1,200 deputies, a third placed)
and times the checks, the suggestion, accepting it, the roster on a past date, the xlsx export and
import, and both PDFs."""

from __future__ import annotations

import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from congress_desktop.core.context import Context  # noqa: E402
from congress_desktop.core.office import setup_office  # noqa: E402
from congress_desktop.core.store.models import Deputy, Village  # noqa: E402
from congress_desktop.core.store.models_grids import Grid, GridAssignment  # noqa: E402
from congress_desktop.grids import importing as grid_import  # noqa: E402
from congress_desktop.grids import report as grid_report  # noqa: E402
from congress_desktop.grids import service as grids  # noqa: E402


def build(ctx: Context, n_villages: int, per_village: int, n_deputies: int) -> None:
    rng = random.Random(4)
    with ctx.store.session() as s:
        villages = []
        for i in range(n_villages):
            v = Village(code=f"420381103{200 + i:03d}", name=f"测试{i}村", households=rng.randint(300, 900))
            s.add(v)
            villages.append(v)
        s.flush()
        all_grids = []
        for v in villages:
            for k in range(per_village):
                g = Grid(village_id=v.id, code=f"{v.code}{k + 1:03d}", name=f"第{k + 1}网格",
                         households=rng.randint(40, 200), worker_name="网格员", worker_phone="13900000000")
                s.add(g)
                all_grids.append((v, g))
        s.flush()
        for i in range(n_deputies):
            v = villages[i % len(villages)]
            d = Deputy(name=f"代表{i:05d}", village_id=v.id, levels="town" if i % 7 else "town,county",
                       mobile=f"139{i:08d}", elected_on="2021-12-28")
            s.add(d)
            if i % 3 == 0:
                s.flush()
                g = next(g for vv, g in all_grids if vv is v)
                s.add(GridAssignment(grid_id=g.id, deputy_id=d.id, role="协助代表", start_on="2022-03-01"))


def timed(label: str, fn):
    t0 = time.perf_counter()
    result = fn()
    print(f"{label:<34} {1000 * (time.perf_counter() - t0):8.0f} ms")
    return result


def main() -> None:
    n_v, per, n_d = (int(a) for a in (sys.argv[1:4] if len(sys.argv) > 3 else (60, 6, 1200)))
    with tempfile.TemporaryDirectory() as folder:
        ctx = Context.open(folder)
        setup_office(ctx, "基准测试镇人大", "420381103000", "town")
        grids.save_grid_settings(ctx, 10, 3)  # the seed crowds grid 1 of each village
        timed(f"build {n_v * per} grids, {n_d} deputies", lambda: build(ctx, n_v, per, n_d))
        grids.save_grid_settings(ctx, 3, 3)
        report = timed("check_grids", lambda: grids.check_grids(ctx))
        print(f"  {report.summary}")
        sug = timed("suggest_placements", lambda: grids.suggest_placements(ctx))
        print(f"  {len(sug.proposals)} proposals, {len(sug.unplaceable)} unplaceable")
        timed("accept_placements (all)", lambda: grids.accept_placements(ctx, sug.proposals))
        timed("check_grids after", lambda: grids.check_grids(ctx))
        timed("roster_on 2023-01-01", lambda: grids.roster_on(ctx, "2023-01-01"))
        out = Path(folder)
        timed("export_roster xlsx", lambda: grid_import.export_roster(ctx, out / "r.xlsx"))
        res = timed("import_roster xlsx (no changes)", lambda: grid_import.import_roster(ctx, out / "r.xlsx"))
        print(f"  ok={res.ok} applied={res.applied}")
        pages = timed("print_grid_roster (town)", lambda: grid_report.print_grid_roster(ctx, out / "r.pdf"))
        print(f"  {pages} pages")
        pages = timed("print_grid_boards (all grids)", lambda: grid_report.print_grid_boards(ctx, out / "b.pdf"))
        print(f"  {pages} pages")
        ctx.close()


if __name__ == "__main__":
    main()
