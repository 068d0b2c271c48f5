"""Sync benchmarks, run by hand (not in CI):

    .venv/bin/python tests/bench/bench_sync.py            # 100,000-record export; 20 packages, 1,000,000 records
    .venv/bin/python tests/bench/bench_sync.py --small    # a tenth of that, for a quick look
    .venv/bin/python tests/bench/bench_sync.py --repeat 5 # imports repeated (default 3), medians

1. A town exports 100,000 changed records (deputy rows with their change-log entries) to a folder.
2. The city imports 20 town packages holding 1,000,000 records in all (every package verified,
   decrypted, checked and applied in its own transaction, receipts written, one backup first). These
   are the towns' first packages, so the deputy table's non-unique indexes are dropped while the
   import writes and built once at its end (sync/engine.py BulkLoad): the "indexed" line shows what
   keeping them would cost.

Each is printed beside the time plain ``sqlite3`` ``executemany`` takes to insert the same rows into a
bare table (no indexes, one transaction, synchronous=FULL as the application uses), measured in the
same run. The goal for the import is within 3x of that. Each import runs in a process of its own, whose
peak resident memory (the kernel's high-water mark, VmHWM) is printed beside the memory the same
process held just before the import began (Python, SQLAlchemy, the program's modules): goal < 500 MB."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

if "CONGRESS_KEY_PASSPHRASE_FILE" not in os.environ:  # the offices' private keys, without a desktop keyring
    _fd, _name = tempfile.mkstemp(prefix="bench-key-", suffix=".txt")
    os.write(_fd, "基准测试的密钥口令\n".encode())
    os.close(_fd)
    os.environ["CONGRESS_KEY_PASSPHRASE_FILE"] = _name

from congress_desktop.core.context import Context  # noqa: E402
from congress_desktop.core.office import setup_office  # noqa: E402
from congress_desktop.core.store.ids import uuid7  # noqa: E402
from congress_desktop.sync import engine  # noqa: E402
from congress_desktop.sync import service as sync  # noqa: E402
from tests.synchelp import enrol, make_city  # noqa: E402

STAMP = "2026-03-01 08:00:00.000000"
SURNAMES = "王李张刘陈杨黄赵周吴徐孙胡朱高林何郭马罗"


def deputy_rows(owner: str, n: int) -> list[tuple]:
    t = engine.table_map()["deputy"]
    out = []
    for i in range(n):
        values = {"id": uuid7(), "owner_code": owner, "version": 1, "deleted": 0, "created_at": STAMP,
                  "updated_at": STAMP, "name": SURNAMES[i % 20] + f"代表{i}", "gender": "男" if i % 2 else "女",
                  "ethnicity": "汉族", "birth_date": f"19{60 + i % 35}-0{1 + i % 9}-1{i % 9}",
                  "id_number": "", "political": "中共党员", "education": "大专",
                  "work_unit": f"某村第{i % 300}村民小组组长", "mobile": f"138{i:08d}", "phone": "",
                  "village_id": None, "levels": "town", "term": "第十九届", "constituency": f"第{i % 40}选区",
                  "group_name": f"第{i % 4 + 1}代表小组", "elected_on": "2021-12-28", "status": "在任",
                  "status_date": "", "status_reason": "", "note": "", "name_pinyin": f"daibiao{i}",
                  "name_initials": "db", "search_text": f"代表{i}\x1fdaibiao{i}"}
        out.append(tuple(values[c] for c in t.columns))
    return out


def seed_changes(ctx: Context, rows: list[tuple]) -> None:
    """Rows and their change-log entries, as the before_flush hook would have written them."""
    t = engine.table_map()["deputy"]
    cols = ", ".join(t.columns)
    id_i = t.index("id")
    with ctx.store.engine.begin() as conn:
        conn.exec_driver_sql(f"INSERT INTO deputy ({cols}) VALUES ({', '.join('?' * len(t.columns))})", rows)
        conn.exec_driver_sql("INSERT INTO change_log (at, user, table_name, record_id, version, action, changes) "
                             "VALUES (?, '', 'deputy', ?, 1, 'insert', '{}')", [(STAMP, r[id_i]) for r in rows])


def settle() -> None:
    """Before each timed part: the dirty pages of earlier parts written out (os.sync), so no part pays
    for the disk writes of the one before it."""
    if hasattr(os, "sync"):
        os.sync()
    time.sleep(0.5)


def baseline(rows: list[tuple], folder: Path) -> float:
    """Plain sqlite3: executemany into a bare table with the same columns, one transaction."""
    t = engine.table_map()["deputy"]
    path = folder / f"bare-{len(rows)}.sqlite3"
    con = sqlite3.connect(path)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=FULL")
    con.execute(f"CREATE TABLE bare ({', '.join(t.columns)})")
    settle()
    start = time.perf_counter()
    with con:
        con.executemany(f"INSERT INTO bare VALUES ({', '.join('?' * len(t.columns))})", rows)
    took = time.perf_counter() - start
    con.close()
    path.unlink()
    return took


def indexed(rows: list[tuple], folder: Path) -> float:
    """For reading the figures: the same executemany into the application's real deputy table (with its
    indexes), in an empty database of this program. The gap to this is sync's own work."""
    c = town(folder / f"indexed-{len(rows)}", 99)
    t = engine.table_map()["deputy"]
    con = sqlite3.connect(c.db_path)
    con.execute("PRAGMA synchronous=FULL")
    settle()
    start = time.perf_counter()
    with con:
        con.executemany(f"INSERT INTO deputy ({', '.join(t.columns)}) VALUES ({', '.join('?' * len(t.columns))})",
                        rows)
    took = time.perf_counter() - start
    con.close()
    c.close()
    shutil.rmtree(folder, ignore_errors=True)
    return took


def town(folder: Path, i: int) -> Context:
    c = Context.open(folder)
    setup_office(c, f"测试{i:02d}镇人大", f"420381{100 + i:03d}000", "town")
    sync.init_keys(c)
    return c


def _memory_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def child_import(work: Path) -> int:
    """One import in this fresh process: its time and memory, as JSON on stdout."""
    copy = Context.open(work / "city")
    settle()
    before = _memory_kib("VmRSS")
    start = time.perf_counter()
    report = sync.import_from(copy, work / "stick")
    seconds = time.perf_counter() - start
    copy.close()
    print(json.dumps({"seconds": seconds, "applied": report.applied, "ok": report.ok,
                      "rss_before_kib": before, "peak_kib": _memory_kib("VmHWM")}))
    return 0


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--child-import", metavar="DIR", help=argparse.SUPPRESS)
    ap.add_argument("--small", action="store_true", help="a tenth of the sizes")
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder")
    ap.add_argument("--repeat", type=int, default=3, help="imports (each on a fresh copy), median reported")
    args = ap.parse_args()
    if args.child_import:
        return child_import(Path(args.child_import))
    scale = 10 if args.small else 1
    n_export, n_towns, per_town = 100_000 // scale, 20, 50_000 // scale
    root = Path(tempfile.mkdtemp(prefix="bench-sync-"))
    try:
        city = make_city(root / "city")

        # 1. export
        t0 = town(root / "t-export", 0)
        enrol(city, t0, root / "papers0")
        rows = deputy_rows(t0.office.code, n_export)
        seed_changes(t0, rows)
        start = time.perf_counter()
        r = sync.export_packages(t0, root / "stick-export")
        export_s = time.perf_counter() - start
        size = r.packages[0].path.stat().st_size
        base_s = baseline(rows, root)
        print(f"export  {r.records:>9,} records  {export_s:7.2f} s  (package {size / 1e6:.1f} MB)   "
              f"sqlite3 executemany of the same rows {base_s:6.2f} s   ratio {export_s / base_s:4.1f}x")
        t0.close()

        # 2. import 20 packages, --repeat times on a fresh copy of the city (medians: the machine varies)
        stick = root / "stick"
        all_rows: list[tuple] = []
        start = time.perf_counter()
        for i in range(1, n_towns + 1):
            t = town(root / f"t{i:02d}", i)
            enrol(city, t, root / f"papers{i}")
            rows = deputy_rows(t.office.code, per_town)
            all_rows += rows
            seed_changes(t, rows)
            sync.export_packages(t, stick)
            t.close()
        setup_s = time.perf_counter() - start
        city.close()
        imports, bases, reals, peaks, befores = [], [], [], [], []
        for run in range(args.repeat):
            work = root / f"run{run}"
            shutil.copytree(root / "city", work / "city")
            shutil.copytree(stick, work / "stick")  # the import removes confirmed packages from the stick
            out = subprocess.run([sys.executable, __file__, "--child-import", str(work)], check=True,
                                 capture_output=True, text=True).stdout.strip().splitlines()[-1]
            got = json.loads(out)
            assert got["ok"] and got["applied"] == len(all_rows), got
            imports.append(got["seconds"])
            peaks.append(got["peak_kib"] / 1024)
            befores.append(got["rss_before_kib"] / 1024)
            shutil.rmtree(work)
            bases.append(baseline(all_rows, root))
            reals.append(indexed(all_rows, root / f"indexed{run}"))
            print(f"  run {run + 1}: import {imports[-1]:.2f} s, bare executemany {bases[-1]:.2f} s, "
                  f"ratio {imports[-1] / bases[-1]:.2f}x, peak memory {peaks[-1]:.0f} MB "
                  f"(the process before the import: {befores[-1]:.0f} MB)", flush=True)
        import_s, base_s, real_s = (statistics.median(v) for v in (imports, bases, reals))
        print(f"        (the same executemany into the real, indexed deputy table: {real_s:.2f} s, "
              f"{real_s / base_s:.1f}x the bare table)")
        print(f"import  {len(all_rows):>9,} records in {n_towns} packages  {import_s:7.2f} s   "
              f"sqlite3 executemany of the same rows {base_s:6.2f} s   ratio {import_s / base_s:4.1f}x   "
              f"(median of {args.repeat}; goal <= 3x; making the 20 towns and their packages took {setup_s:.0f} s)")
        print(f"memory  peak {max(peaks):.0f} MB (largest of {args.repeat}; goal < 500 MB), "
              f"of which {statistics.median(befores):.0f} MB were held before the import began")
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
        else:
            print("kept", root)
    return 0


if __name__ == "__main__":
    sys.exit(main())
