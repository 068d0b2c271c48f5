"""Printing use cases: gather the rows through the service, hand them to ``deputies.report`` (the
ReportLab documents). The pair: this module may import the service, the report never does."""

from __future__ import annotations

from pathlib import Path

from congress_desktop.core.context import Cancel, Context, Progress, never_cancel, no_progress
from congress_desktop.deputies.report import RosterOptions, render_deputy_card, render_roster
from congress_desktop.deputies.rows import DeputyQuery
from congress_desktop.deputies.rules import IN_OFFICE
from congress_desktop.deputies.service import get_deputy, query_deputies


def print_roster(ctx: Context, out: str | Path, *, group_by: str = "village", status: str = IN_OFFICE,
                 progress: Progress = no_progress, cancel: Cancel = never_cancel) -> int:
    office = ctx.require_office()
    sort = "village" if group_by == "village" else "group_name"
    rows = query_deputies(ctx, DeputyQuery(status=status, sort=sort), 0, None)
    title = "代表名册" if status in (IN_OFFICE, "") else f"代表名册（{status}）"
    return render_roster(out, office.name, rows, RosterOptions(group_by=group_by, title=title), progress=progress,
                         cancel=cancel)


def print_deputy_card(ctx: Context, deputy_id: str, out: str | Path) -> int:
    office = ctx.require_office()
    return render_deputy_card(out, office.name, get_deputy(ctx, deputy_id))
