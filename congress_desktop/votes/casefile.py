"""A session's record leaving the program: a round as a case file anyone can recount with
``votes tally`` (one ballot per line, written atomically), and every counted round as a spreadsheet."""

from __future__ import annotations

import json
from pathlib import Path

from congress_desktop.core.context import Context
from congress_desktop.core.errors import CongressError
from congress_desktop.core.files import atomic_write
from congress_desktop.core.sheets import write_xlsx
from congress_desktop.votes import tally as dv
from congress_desktop.votes.rounds import round_case_json, round_view
from congress_desktop.votes.service import get_session


def export_case(ctx: Context, session_id: str, path: str | Path, round_number: int | None = None) -> Path:
    """Write a round (the latest by default) as a case file for ``votes tally``."""
    sess = get_session(ctx, session_id)
    if not sess.rounds:
        raise CongressError("还没有开始投票，没有可导出的轮次")
    r = sess.round(round_number) if round_number else sess.rounds[-1]
    case = round_case_json(ctx, r.id)
    case = {"meeting": case.pop("meeting"), "date": case.pop("date"), "session": case.pop("session"),
            "round": case.pop("round"), **case}
    text = json.dumps(case, ensure_ascii=False, indent=1)
    # one ballot per line: readable, and a diff shows which ballot changed
    if "ballots" in case:
        lines = ",\n  ".join(json.dumps(b, ensure_ascii=False) for b in case["ballots"])
        head = json.dumps({k: x for k, x in case.items() if k != "ballots"}, ensure_ascii=False, indent=1)
        text = head[:-2] + (',\n "ballots": [\n  ' + lines + "\n ]\n}" if case["ballots"] else ',\n "ballots": []\n}')
    path = Path(path)
    atomic_write(path, text + "\n", make_parents=True)
    return path


def export_results(ctx: Context, session_id: str, path: str | Path) -> int:
    """Every counted round to .xlsx, one row per item (the result report's table)."""
    sess = get_session(ctx, session_id)
    rows: list[list[object]] = []
    for r in sess.rounds:
        view = round_view(ctx, r.id)
        if view.result is None:
            continue
        res = view.result
        for it in res.items:
            c = it.counts
            if sess.kind == dv.PROJECT_VOTE:
                rows.append([r.number, it.index + 1, it.name, c["for"], c["against"], c["abstain"],
                             c["not_voted"], c["invalid"], "是" if it.passed else "否", it.rank or "",
                             it.outcome_label, res.valid_ballots, res.void_ballots,
                             "已公布" if r.locked else "未公布"])
            else:
                rows.append([r.number, it.index + 1, it.name, c["satisfied"], c["basic"], c["unsatisfied"],
                             c["abstain"] + c["not_voted"], c["invalid"], dv.percent(it.rate),
                             dv.percent(it.unsatisfied_share), it.outcome_label, res.valid_ballots,
                             res.void_ballots, "已公布" if r.locked else "未公布"])
    if not rows:
        raise CongressError("还没有计票结果可导出")
    if sess.kind == dv.PROJECT_VOTE:
        headers = ["轮次", "序号", "项目名称", "赞成", "反对", "弃权", "未投", "无效", "过全体代表半数", "名次",
                   "结果", "有效票", "作废票", "状态"]
    else:
        headers = ["轮次", "序号", "测评对象", "满意", "基本满意", "不满意", "弃权/未投", "无效", "满意率",
                   "不满意率", "结果", "有效票", "作废票", "状态"]
    return write_xlsx(path, f"{sess.kind_label}结果", headers, rows,
                      widths=[6, 6, 36, 8, 8, 8, 8, 8, 14, 8, 12, 8, 8, 8])
