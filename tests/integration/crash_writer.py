"""The child process of tests/integration/test_crash.py: writes through the services in a loop until it
is killed, and reports each change on stdout only AFTER its unit of work committed.

    python -m tests.integration.crash_writer DATA_DIR RUN ROUND_ID

Lines: ``ready``; ``import N ID1,ID2,ID3`` (three deputies imported from an .xlsx, all or nothing);
``edit N DEPUTY_ID`` (work_unit set to 编辑N); ``ballot N BALLOT_ID`` (a ballot entered for the tally).
N grows within a run and RUN separates runs, so every value is unique."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from congress_desktop.core.context import Context
from congress_desktop.core.idcard import check_char
from congress_desktop.core.sheets import read_sheet, write_xlsx
from congress_desktop.deputies import importing as deputy_import
from congress_desktop.deputies import service as deputies
from congress_desktop.votes import service as votes

HEADERS = ["姓名", "身份证号", "工作单位及职务"]


def id_number(n: int) -> str:
    """A valid, unique 18-digit ID number for counter n (birth date and sequence from n)."""
    import datetime as dt

    born = dt.date(1960, 1, 1) + dt.timedelta(days=n // 900)
    body = f"420381{born:%Y%m%d}{n % 900 + 100:03d}"
    return body + check_char(body)


def say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()  # one short write: a pipe delivers it whole or not at all


def main(folder: str, run: int, round_id: str) -> None:
    ctx = Context.open(folder)
    ids = [d.id for d in deputies.query_deputies(ctx, deputies.DeputyQuery(), 0, 20)]
    tmp = Path(tempfile.mkdtemp(prefix="crash-writer-"))
    # warm the lazy imports (openpyxl, pinyin) with reads only, so the parent's kill lands among writes
    write_xlsx(tmp / "warm.xlsx", "代表", HEADERS, [["预热", id_number(0), ""]])
    read_sheet(tmp / "warm.xlsx", deputy_import.IMPORT_HEADERS, required=("name",))
    deputies.get_deputy(ctx, ids[0])
    say("ready")
    i = 0
    while True:
        n = run * 100_000 + i
        op = i % 3
        if op == 0:
            numbers = [id_number(n * 3 + j) for j in range(3)]
            sheet = tmp / f"import-{n}.xlsx"
            write_xlsx(sheet, "代表", HEADERS, [[f"压测代表{chr(0x4e00 + (n * 3 + j) % 20000)}{n}", num, f"导入{n}"]
                                               for j, num in enumerate(numbers)])
            result = deputy_import.import_deputies(ctx, sheet)
            if not result.ok:
                raise SystemExit(f"import refused: {result.errors[:2]}")
            say(f"import {n} {','.join(numbers)}")
        elif op == 1:
            target = ids[i % len(ids)]
            row = deputies.get_deputy(ctx, target)
            deputies.update_deputy(ctx, target, row.as_form() | {"work_unit": f"编辑{n}"})
            say(f"edit {n} {target}")
        else:
            entry = votes.enter_ballot(ctx, round_id, "A", "123")
            say(f"ballot {n} {entry.id}")
        i += 1


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), sys.argv[3])
