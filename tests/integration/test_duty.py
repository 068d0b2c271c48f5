"""Duty records and evaluation on a real SQLite file (the demo town): the quarter's evaluation with the
records behind every number, scheme versions against open and closed periods, locked records, the
duty file drawing on visits, opinions, grids and 票决 roll calls, training attendance, voter ratings,
the .xlsx export and the notice PDF."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select, update

from congress_desktop.core.errors import CongressError, ReadOnlyRecord
from congress_desktop.core.store.models import Deputy
from congress_desktop.core.store.models_duty import DutyRecord, TrainingAttendee
from congress_desktop.core.store.models_visits import Visit, VisitDeputy
from congress_desktop.duty import activity, report, rows
from congress_desktop.duty import evaluation as evs
from congress_desktop.duty import records as duty
from congress_desktop.duty import rules as ev
from congress_desktop.grids import service as grids
from congress_desktop.votes import service as votes

TODAY = dt.date.today()


def last_quarter() -> tuple[str, str]:
    y, q = ev.quarter_of(TODAY)
    return ev.quarter_bounds(*((y - 1, 4) if q == 1 else (y, q - 1)))


def this_quarter() -> tuple[str, str]:
    return ev.quarter_bounds(*ev.quarter_of(TODAY))


def period(ctx, dates: tuple[str, str]) -> rows.PeriodRow:
    p = evs.period_for(ctx, *dates)
    assert p is not None
    return p


def test_demo_quarter_is_meaningful_and_every_number_has_its_records(demo_ctx):
    ctx = demo_ctx
    e = evs.evaluate(ctx, *last_quarter())
    assert e.period is not None and e.period.closed and e.scheme.number == 1
    grades = dict(e.grade_counts)
    assert grades["优秀"] > 0 and grades["合格"] > 0 and grades["不合格"] > 0
    assert len(e.rows) == 62
    assert any(ev.FLAG_QUALIFICATION in r.flags for r in e.rows)  # absent from both congress sessions
    assert any(ev.FLAG_NO_ACTIVITY in r.flags for r in e.rows)
    assert [r.rank for r in e.rows] == sorted(r.rank for r in e.rows)
    kinds = set()
    for r in e.rows:
        total = Decimal(r.base)
        for c in r.items:
            assert len(c.refs) == c.count
            assert all(e.date_from <= ref.date <= e.date_to for ref in c.refs)
            header = next(h for h in e.items if h.source == c.source)
            raw = sum((Decimal(ref.points) if ref.points else Decimal(header.points) for ref in c.refs), Decimal(0))
            assert Decimal(c.raw) == raw
            total += Decimal(c.points)
            kinds |= {ref.kind for ref in c.refs}
        assert Decimal(r.total) == max(Decimal(0), min(Decimal(100), total))
    assert {"duty", "training", "visit", "opinion"} <= kinds
    # a number clicked through: its first record opens in the service of its kind
    r = next(r for r in e.rows if r.cell("suggestion").count)
    ref = e.refs(r.deputy_id, "suggestion")[0]
    record = duty.get_record(ctx, ref.id)
    assert record.deputy_id == r.deputy_id and record.kind == "建议议案"
    t_ref = next(x for row in e.rows for x in row.cell("training").refs)
    assert duty.get_training(ctx, t_ref.id).topic == t_ref.title


def test_changing_a_weight_changes_the_current_period_but_not_a_closed_one(demo_ctx):
    ctx = demo_ctx
    closed, current = period(ctx, last_quarter()), period(ctx, this_quarter())
    someone = activity.deputy_options(ctx)[0]
    duty.save_record(ctx, {"deputy_id": someone.id, "kind": "建议议案", "record_date": TODAY.isoformat(),
                           "title": "关于增设农村公交站点的建议"})
    before_closed = evs.evaluate_period(ctx, closed.id)
    before_current = evs.evaluate_period(ctx, current.id)
    assert any(r.cell("suggestion").count for r in before_closed.rows)

    v2 = evs.set_item(ctx, "suggestion", points="6", cap="30", note="建议议案每件 6 分")
    assert v2.number == 2 and evs.current_scheme(ctx).id == v2.id

    after_closed = evs.evaluate_period(ctx, closed.id)
    after_current = evs.evaluate_period(ctx, current.id)
    assert after_closed.scheme.number == 1 and after_current.scheme.number == 2
    assert [(r.deputy_id, r.total) for r in after_closed.rows] == [(r.deputy_id, r.total) for r in before_closed.rows]
    assert after_closed.changed_since_close == ()
    mine_before, mine_after = before_current.row(someone.id), after_current.row(someone.id)
    n = mine_after.cell("suggestion").count
    assert Decimal(mine_after.cell("suggestion").points) == 6 * n
    assert Decimal(mine_after.total) > Decimal(mine_before.total)
    # the same dates typed by hand are the same period, computed the same way
    assert evs.evaluate(ctx, closed.date_from, closed.date_to).scheme.number == 1
    # an old version can still be asked for explicitly
    assert evs.evaluate(ctx, current.date_from, current.date_to,
                        scheme_id=evs.find_scheme(ctx, 1).id).row(someone.id).total == mine_before.total
    # closing the current period freezes version 2; a later version 3 leaves it alone
    evs.close_period(ctx, current.id)
    evs.set_item(ctx, "suggestion", points="1")
    assert evs.evaluate_period(ctx, current.id).row(someone.id).total == mine_after.total
    assert [r.number for r in evs.list_schemes(ctx)] == [3, 2, 1]


def test_a_closed_period_locks_its_records_until_reopened_and_keeps_its_scheme(demo_ctx):
    ctx = demo_ctx
    closed = period(ctx, last_quarter())
    day = closed.date_from
    d = activity.deputy_options(ctx)[1]
    raw = {"deputy_id": d.id, "kind": "办实事", "record_date": day, "title": "帮助修缮便民桥"}
    with pytest.raises(CongressError) as e:
        duty.save_record(ctx, raw)
    assert e.value.code == "period_closed" and closed.name in e.value.message
    inside = duty.query_records(ctx, duty.RecordQuery(date_from=closed.date_from, date_to=closed.date_to))[0]
    with pytest.raises(CongressError, match="已关闭"):
        duty.delete_record(ctx, inside.id)
    with pytest.raises(CongressError, match="已关闭"):  # moving a record out of a closed period is a change too
        duty.save_record(ctx, {**inside.as_form(), "record_date": TODAY.isoformat()}, inside.id)
    evs.set_item(ctx, "practical", points="4")
    reopened = evs.reopen_period(ctx, closed.id)
    assert not reopened.closed and reopened.scheme_number == 1
    before = evs.evaluate_period(ctx, closed.id).row(d.id)
    duty.save_record(ctx, raw)
    after = evs.evaluate_period(ctx, closed.id)
    assert after.scheme.number == 1  # still its frozen version
    assert after.row(d.id).cell("practical").count == before.cell("practical").count + 1
    again = evs.close_period(ctx, closed.id)
    assert again.scheme_number == 1 and again.closed


def test_closed_period_reports_totals_that_moved_after_closing(demo_ctx):
    ctx = demo_ctx
    closed = period(ctx, last_quarter())
    e = evs.evaluate_period(ctx, closed.id)
    r = next(r for r in e.rows if r.cell("visit").count)
    with ctx.store.session() as s:  # a visit of another module deleted after the notice was published
        vid = e.refs(r.deputy_id, "visit")[0].id
        s.get(Visit, vid).deleted = True
    moved = evs.evaluate_period(ctx, closed.id).changed_since_close
    assert any(m.startswith(f"{r.name}：{r.total} →") for m in moved)


def test_duty_file_gathers_what_the_program_knows_about_a_deputy(demo_ctx):
    ctx = demo_ctx
    year_from, year_to = (TODAY - dt.timedelta(days=365)).isoformat(), TODAY.isoformat()
    with ctx.store.session() as s:  # a deputy who received visits in a grid and has a grid
        placed = {a.deputy_id for a in s.scalars(select(grids.GridAssignment).where(grids.GridAssignment.end_on == ""))}
        counts = dict(s.execute(select(VisitDeputy.deputy_id, func.count()).group_by(VisitDeputy.deputy_id)).all())
        deputy_id = max((d for d in counts if d in placed), key=lambda d: counts[d])
    session = votes.create_session(ctx, {"title": "六里坪镇第十九届人民代表大会第六次会议", "date": TODAY.isoformat(),
                                         "kind": "satisfaction", "items": ["镇卫生院发热门诊改造"]})
    votes.set_attendance(ctx, session.id, {deputy_id: "缺席"})
    f = evs.duty_file(ctx, deputy_id, year_from, year_to)
    sources = {e.source for e in f.entries}
    assert {"visit", "opinion", "vote_absent"} <= sources
    assert f.grids and f.grids[0].grid_name
    opinion = next(e for e in f.entries if e.source == "opinion")
    assert opinion.ref.detail.split("（")[0] in ("登记", "交办", "办理中", "已答复", "已测评", "办结", "退回重办")
    assert sum(n for _k, n in f.opinion_outcomes) == sum(1 for e in f.entries if e.source == "opinion")
    assert f.score is not None and f.score.cell("vote_absent").count == 1
    assert [m for m, _n in f.monthly][0] == year_from[:7]
    vote = next(e for e in f.entries if e.source == "vote_absent")
    assert vote.ref.kind == "vote" and vote.ref.id == session.id and "测评" in vote.ref.title


def test_session_roll_call_from_a_vote_and_two_absences_flag_the_seat(demo_ctx):
    ctx = demo_ctx
    session = votes.create_session(ctx, {"title": "第七次会议", "date": TODAY.isoformat(), "kind": "satisfaction",
                                         "items": ["集镇路灯亮化工程"]})
    roster = votes.attendance(ctx, session.id)
    first, second = roster[0].deputy_id, roster[1].deputy_id
    votes.set_attendance(ctx, session.id, {first: "缺席", second: "请假"})
    marks = duty.roll_from_vote(ctx, session.id)
    assert marks[first] == "缺席" and marks[second] == "请假" and len(marks) == len(roster)
    roll = duty.save_session(ctx, {"record_date": TODAY.isoformat(), "title": "第十九届人民代表大会第七次会议",
                                   "marks": marks})
    assert roll.counts()["缺席"] == 1 and roll.counts()["请假"] == 1
    # a second absence, recorded a day later in a separate session
    duty.save_session(ctx, {"record_date": TODAY.isoformat(), "title": "临时会议", "marks": {first: "缺席"}})
    e = evs.evaluate(ctx, *this_quarter())
    row = e.row(first)
    assert row.absences >= 2 and ev.FLAG_QUALIFICATION in row.flags
    assert e.row(second).cell("session_absent").count == 0
    # correcting the roll: the second deputy taken off it, the first marked present
    fixed = duty.save_session(ctx, {"record_date": roll.record_date, "title": roll.title,
                                    "marks": {**{k: v for k, v in marks.items() if k != second}, first: "出席"}},
                              roll.batch_id)
    assert second not in fixed.marks and fixed.marks[first] == "出席"
    with ctx.store.session() as s:
        n = s.scalar(select(func.count()).select_from(DutyRecord).where(DutyRecord.batch_id == roll.batch_id))
    assert n == len(marks)  # the row taken off is a tombstone, not gone


def test_training_attendance_counts_and_a_removed_attendee_can_come_back(demo_ctx):
    ctx = demo_ctx
    a, b = [o.id for o in activity.deputy_options(ctx)[:2]]
    t = duty.save_training(ctx, {"held_on": TODAY.isoformat(), "topic": "代表建议撰写", "kind": "履职实务",
                                 "deputy_ids": [a, b]})
    assert t.attendee_count == 2
    t = duty.save_training(ctx, {**t.as_form(), "deputy_ids": [a]}, t.id)
    assert t.deputy_ids == (a,)
    t = duty.save_training(ctx, {**t.as_form(), "deputy_ids": [a, b]}, t.id)
    assert set(t.deputy_ids) == {a, b}
    with ctx.store.session() as s:
        assert s.scalar(select(func.count()).select_from(TrainingAttendee)
                        .where(TrainingAttendee.training_id == t.id)) == 2
    e = evs.evaluate(ctx, TODAY.isoformat(), TODAY.isoformat())
    assert t.id in [r.id for r in e.refs(b, "training")]
    duty.delete_training(ctx, t.id)
    assert t.id not in [r.id for r in evs.evaluate(ctx, TODAY.isoformat(), TODAY.isoformat()).refs(b, "training")]


def test_voter_ratings_show_beside_and_lock_with_the_period(demo_ctx):
    ctx = demo_ctx
    p = period(ctx, this_quarter())
    d = activity.deputy_options(ctx)[3]
    r = evs.set_rating(ctx, p.id, d.id, ("40", "8", "2"))
    assert r.label == "称职" and r.summary == "称职（称职 80.0%）"
    r = evs.set_rating(ctx, p.id, d.id, ("30", "15", "5"))
    assert r.label == "基本称职" and len(evs.list_ratings(ctx, p.id)) == 1
    assert evs.evaluate_period(ctx, p.id).row(d.id).rating.label == "基本称职"
    with pytest.raises(CongressError, match="票数合计为 0"):
        evs.set_rating(ctx, p.id, d.id, ("", "", ""))
    evs.close_period(ctx, p.id)
    with pytest.raises(CongressError, match="已关闭"):
        evs.set_rating(ctx, p.id, d.id, ("50", "0", "0"))


def test_deputies_who_left_before_the_period_are_not_evaluated(demo_ctx):
    ctx = demo_ctx
    with ctx.store.session() as s:
        left = s.scalars(select(Deputy).where(Deputy.status == "终止")).first()
        left_on = left.status_date
    before = (dt.date.fromisoformat(left_on) - dt.timedelta(days=10)).isoformat()
    after = (dt.date.fromisoformat(left_on) + dt.timedelta(days=10)).isoformat()
    assert evs.evaluate(ctx, before, before).row(left.id).status == "终止"
    assert evs.evaluate(ctx, after, after).row(left.id) is None


def test_a_deputy_whose_office_ended_on_the_first_day_of_the_period_is_not_evaluated(demo_ctx):
    """THE in-office rule (deputies.rules.in_office_during): the status date is the first day out of
    office, so a 终止 dated the period's first day means not one day served in it. The duty area's own
    rule (``status_date < date_from``) used to keep that deputy in the evaluation and the lists."""
    ctx = demo_ctx
    with ctx.store.session() as s:
        left = s.scalars(select(Deputy).where(Deputy.status == "终止")).first()
        left_on = left.status_date
    day_before = (dt.date.fromisoformat(left_on) - dt.timedelta(days=1)).isoformat()
    until = (dt.date.fromisoformat(left_on) + dt.timedelta(days=30)).isoformat()
    assert evs.evaluate(ctx, left_on, until).row(left.id) is None
    assert left.id not in {o.id for o in activity.deputy_options(ctx, left_on, until)}
    assert evs.evaluate(ctx, day_before, until).row(left.id).status == "终止"  # served its last day
    assert left.id in {o.id for o in activity.deputy_options(ctx)}  # no period: every deputy to choose from


def test_another_offices_records_are_read_only(demo_ctx):
    ctx = demo_ctx
    r = duty.save_record(ctx, {"deputy_id": activity.deputy_options(ctx)[0].id, "kind": "述职",
                               "record_date": TODAY.isoformat(), "title": "向选民述职"})
    with ctx.store.session() as s:  # as sync writes a received row: a Core statement
        s.execute(update(DutyRecord).where(DutyRecord.id == r.id).values(owner_code="420381000000"))
    with pytest.raises(ReadOnlyRecord, match="只能查看"):
        duty.delete_record(ctx, r.id)
    with pytest.raises(ReadOnlyRecord):
        duty.save_record(ctx, {**duty.get_record(ctx, r.id).as_form(), "title": "改"}, r.id)


def test_export_of_the_demo_quarter_with_the_records_behind_the_numbers(demo_ctx, tmp_path):
    ctx = demo_ctx
    e = evs.evaluate(ctx, *last_quarter())
    xlsx = tmp_path / "考评.xlsx"
    assert report.export_evaluation(ctx, e, xlsx) == 62
    ws = load_workbook(xlsx).active
    header = [c.value for c in ws[1]]
    assert header[:2] == ["名次", "姓名"] and "建议议案（分）" in header and header[-3] == "等次"
    first = [c.value for c in ws[2]]
    assert first[1] == e.rows[0].name and Decimal(str(first[header.index("总分")])) == Decimal(e.rows[0].total)
    sources = load_workbook(xlsx)["计分来源"]
    assert sources.max_row - 1 == sum(c.count for r in e.rows for c in r.items)
