"""票决 page: 民生实事项目人大代表票决 and 满意度测评, from the candidate list to the signed result.

Tabs: 候选项目 (projects, import, ballot order) · 会议与点名 (settings, officers, rules, roll call,
quorum, 开始投票) · 打印 (出席情况报告单, ballots, 分发/收回报告单, blank 计票单) · 计票 (see
``count``, ``entry``, ``review``, ``totals``) · 结果 (count, announce and lock, re-vote, result report, 公告, .xlsx, case file,
log check).

Seams for tests: ``ask_open_file``, ``ask_save_file`` and ``open_file`` (file dialogs, the PDF
viewer); modal dialogs go through ``ui.widgets.exec_modal``.

Modules: common (marks, cells, fills) · projects · setup · printing · count (计票 tab) with entry
(the key line and a clerk's stack), review (differences and doubtful ballots) and totals · result · page.

The 计票 tab:
计票 tab of the 票决 page: 发出/收回, keyboard-only ballot entry (single or double), the list of
differences between two clerks and their settlement, doubtful ballots, and hand-count totals.

Ballot entry is one row per ballot, one key per item — 1 赞成 2 反对 3 弃权 0 未填 9 无效 (满意 /
基本满意 / 不满意 for a 测评), ``*`` marks the ballot 存疑 — and Enter for the next ballot. The row
says at once when the ballot is void and why. In a double entry each clerk sees only his own stack.

Seams: modal dialogs go through ``ui.widgets.exec_modal``; the dialogs have ``accept_with(...)`` so
tests fill them without a click."""

from __future__ import annotations

from ui.pages.votes.page import VotesPage
from ui.pages.votes.setup import NewSessionDialog

__all__ = ["NewSessionDialog", "VotesPage"]
