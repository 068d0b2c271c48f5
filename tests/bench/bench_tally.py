"""Benchmark: tallying 160 ballots x 20 projects (goal: under 20 ms).

Run by hand (not in CI):  .venv/bin/python tests/bench/bench_tally.py

Prints the median time of ``domain.votes.tally`` (ballot rules, counts, ranking, cut-off) and of
``parse_case`` + ``tally`` from the JSON text of a case file (what ``votes tally`` does), beside the
baseline measured in the same run: a plain Python loop counting the same marks into a dict."""

from __future__ import annotations

import json
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from congress_desktop.votes import tally as dv  # noqa: E402

BALLOTS, PROJECTS, SEATS, DEPUTIES = 160, 20, 10, 160
RUNS = 50
GOAL_MS = 20.0


def make_case() -> dv.Case:
    rng = random.Random(5)
    ballots = []
    for _ in range(BALLOTS):
        b = [rng.choice(("for", "for", "against", "abstain", "blank", "invalid")) for _ in range(PROJECTS)]
        ballots.append(tuple(b))  # a few have more than 10 赞成: the void rule is exercised too
    items = tuple(f"民生实事候选项目{i + 1}" for i in range(PROJECTS))
    return dv.Case(dv.PROJECT_VOTE, DEPUTIES, BALLOTS, BALLOTS, BALLOTS, SEATS, items, dv.Rules(), tuple(ballots))


def baseline(case: dv.Case) -> dict:
    counts: dict[tuple[int, str], int] = {}
    for ballot in case.ballots:
        for i, mark in enumerate(ballot):
            counts[(i, mark)] = counts.get((i, mark), 0) + 1
    return counts


def median_ms(fn, *args) -> float:
    times = []
    for _ in range(RUNS):
        t = time.perf_counter()
        fn(*args)
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def main() -> int:
    case = make_case()
    text = json.dumps(case.to_json(), ensure_ascii=False)
    result = dv.tally(case)
    base = median_ms(baseline, case)
    pure = median_ms(dv.tally, case)
    from_file = median_ms(lambda t: dv.tally(dv.parse_case(t)), text)
    print(f"{BALLOTS} ballots x {PROJECTS} projects, N = {SEATS}: {result.valid_ballots} valid, "
          f"{result.void_ballots} void (median of {RUNS} runs)")
    print(f"  baseline: plain loop counting marks into a dict   {base:7.2f} ms")
    print(f"  domain.votes.tally                                {pure:7.2f} ms  ({pure / base:.1f}x baseline)")
    print(f"  parse_case + tally from the case-file text        {from_file:7.2f} ms  ({from_file / base:.1f}x baseline)")
    ok = max(pure, from_file) < GOAL_MS
    print(f"goal < {GOAL_MS:.0f} ms: {'met' if ok else 'NOT met'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
