"""Shared steps of the vote tests: a 票决 on the demo town set up through the services, as a user
would in the window. Import as ``from tests.votehelp import ...``."""

from __future__ import annotations

from congress_desktop.votes import service as svc

# 58 ballots for the 10 demo candidates, N = 8 (1 赞成 2 反对 3 弃权):
#  40 x projects 1-8 for, 9-10 against; 10 x project 1 against, 2-8 and 10 for, 9 against;
#   7 x all abstain; 1 x ten 赞成 (more than 8: void).
STACK = ["1111111122"] * 40 + ["2111111121"] * 10 + ["3333333333"] * 7 + ["1111111111"]


def new_project_vote(ctx, *, seats: int = 8, leave: int = 4, absent: int = 0,
                     title: str = "六里坪镇第十九届人民代表大会第五次会议", date: str = "2026-07-10"):
    """The demo's 10 formal candidates, N = ``seats``, ``leave`` deputies on leave. The meeting day is
    after the demo's 终止 (2026-03-15) and 暂停 (2026-06-01): 62 of the 64 deputies are in office."""
    projects = svc.list_projects(ctx, states=["正式候选"])
    sess = svc.create_session(ctx, {
        "title": title, "date": date, "kind": "project_vote", "seats": seats,
        "items": [{"project_id": p.id} for p in projects], "chair": "陈主席", "chief_scrutineer": "刘总监",
        "scrutineers": "王监票、赵监票", "tellers": "钱计票、孙计票"})
    roster = svc.attendance(ctx, sess.id)
    marks = {a.deputy_id: "请假" for a in roster[:leave]}
    marks.update({a.deputy_id: "缺席" for a in roster[leave:leave + absent]})
    if marks:
        sess = svc.set_attendance(ctx, sess.id, marks)
    return sess


def enter_stack(ctx, round_id: str, clerk: str, stack: list[str], name: str = "") -> None:
    for keys in stack:
        svc.enter_ballot(ctx, round_id, clerk, keys, clerk_name=name)
