"""Printing use cases: gather the rows, hand them to a ReportLab document."""

from __future__ import annotations

from pathlib import Path

from congress_desktop.core.context import Cancel, Context, Progress, never_cancel, no_progress
from congress_desktop.deputies.report import render_deputy_card, render_roster
from congress_desktop.deputies.service import DeputyQuery, get_deputy, query_deputies


def print_roster(ctx: Context, out: str | Path, *, group_by: str = "village", status: str = "在任",
                 progress: Progress = no_progress, cancel: Cancel = never_cancel) -> int:
    office = ctx.require_office()
    sort = "village" if group_by == "village" else "group_name"
    rows = query_deputies(ctx, DeputyQuery(status=status, sort=sort), 0, None)
    title = "代表名册" if status in ("在任", "") else f"代表名册（{status}）"
    return render_roster(out, office.name, rows, group_by=group_by, title=title, progress=progress,
                         cancel=cancel)


def print_deputy_card(ctx: Context, deputy_id: str, out: str | Path) -> int:
    office = ctx.require_office()
    return render_deputy_card(out, office.name, get_deputy(ctx, deputy_id))
