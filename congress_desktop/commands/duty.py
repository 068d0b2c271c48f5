"""evaluate; duty list/add/delete/session/file; training list/add/delete; scheme show/versions/set/save;
period list/add/close/reopen/delete; rating list/set; print duty-file / duty-notice."""

from __future__ import annotations

import json
import re
from pathlib import Path

from congress_desktop.commands import out, out_json


def register(sub, printers) -> None:
    _register_evaluate(sub)
    _register_duty(sub)
    _register_training(sub)
    _register_scheme(sub)
    _register_period(sub)
    _register_rating(sub)
    _register_printers(printers)


def _register_evaluate(sub) -> None:
    p = sub.add_parser("evaluate", help="履职考评：某一期间每位代表的各项积分、总分、名次、等次和提醒事项")
    _range(p, required=False)
    p.add_argument("--period", default="", help="考评期间名称或 2026Q1 / 2026（代替 --from/--to）")
    p.add_argument("--scheme", type=int, default=0, metavar="N", help="按第 N 版考评办法计算（默认：期间关闭时的版本或现行版本）")
    p.add_argument("--json", action="store_true", help="输出 JSON（含每个数字背后的记录）")
    p.add_argument("--xlsx", metavar="FILE", help="同时导出考评表 .xlsx")
    p.set_defaults(handler=_evaluate)


def _register_duty(sub) -> None:
    duty = sub.add_parser("duty", help="代表履职记录（履职+）").add_subparsers(dest="action", metavar="操作", required=True)
    p = duty.add_parser("list", help="列出录入的履职记录（新的在前）")
    p.add_argument("--deputy", default="", help="代表姓名或编号")
    p.add_argument("--kind", default="", help="类型：人代会 大会发言 建议议案 视察调研 暗访 小组活动 述职 办实事 表彰 其他")
    _range(p, required=False)
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=_list_records)
    p = duty.add_parser("add", help="登记一条履职记录")
    p.add_argument("deputy", help="代表姓名或编号")
    p.add_argument("--kind", required=True, help="类型（人代会的出席情况用 --attendance）")
    p.add_argument("--date", required=True)
    p.add_argument("--title", required=True, help="事项名称，如会议名称、建议标题")
    p.add_argument("--attendance", default="", help="人代会：出席 / 请假 / 缺席")
    p.add_argument("--detail", default="")
    p.add_argument("--points", default="", help="本条记录的单项分值（不填按考评办法）")
    p.set_defaults(handler=_add_record)
    p = duty.add_parser("delete", help="删除一条履职记录（保留修改记录）")
    p.add_argument("record", help="记录编号（duty list --json 中的 id）")
    p.set_defaults(handler=_delete_record)
    p = duty.add_parser("session", help="登记一次人代会全体代表的出席情况（未列出的代表记为出席）")
    p.add_argument("--date", required=True)
    p.add_argument("--title", required=True, help="会议名称，如“某镇第十九届人民代表大会第六次会议”")
    p.add_argument("--excused", default="", help="请假的代表姓名，用逗号或顿号分隔")
    p.add_argument("--absent", default="", help="未请假缺席的代表姓名")
    p.add_argument("--from-vote", default="", metavar="N", help="按第 N 号票决/测评的点名结果登记")
    p.set_defaults(handler=_session)
    p = duty.add_parser("file", help="一位代表某一期间的履职档案（文字或 JSON）")
    p.add_argument("deputy", help="代表姓名或编号")
    _range(p)
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=_file)


def _register_training(sub) -> None:
    tr = sub.add_parser("training", help="代表培训").add_subparsers(dest="action", metavar="操作", required=True)
    p = tr.add_parser("list", help="列出培训")
    _range(p, required=False)
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=_list_trainings)
    p = tr.add_parser("add", help="登记一次培训及参加的代表")
    p.add_argument("--date", required=True)
    p.add_argument("--topic", required=True)
    p.add_argument("--kind", required=True, help="政治理论 / 履职实务 / 共同缔造专题")
    p.add_argument("--attendees", default="", help="参加的代表姓名，用逗号或顿号分隔")
    p.add_argument("--organiser", default="")
    p.add_argument("--place", default="")
    p.add_argument("--hours", default="")
    p.set_defaults(handler=_add_training)
    p = tr.add_parser("delete", help="删除一次培训")
    p.add_argument("training", help="培训编号（training list --json 中的 id）")
    p.set_defaults(handler=_delete_training)


def _register_scheme(sub) -> None:
    sc = sub.add_parser("scheme", help="考评办法（分版本）").add_subparsers(dest="action", metavar="操作", required=True)
    p = sc.add_parser("show", help="显示现行（或第 N 版）考评办法")
    p.add_argument("--version", type=int, default=0, metavar="N")
    p.add_argument("--json", action="store_true", help="输出可编辑后用 scheme save 保存的 JSON")
    p.set_defaults(handler=_show_scheme)
    p = sc.add_parser("versions", help="列出各版考评办法")
    p.set_defaults(handler=_versions)
    p = sc.add_parser("set", help="修改现行办法的一个计分项目（保存为新版本）")
    p.add_argument("source", help="计分内容，如 suggestion、training、session_absent（scheme show 可查看）")
    p.add_argument("--points", default=None, help="每次分值（扣分用负数）")
    p.add_argument("--cap", default=None, help="本期最高（或最多扣）分，空字符串为不设上限")
    p.add_argument("--label", default=None)
    p.add_argument("--remove", action="store_true", help="从办法中去掉该项目")
    p.add_argument("--note", default="", help="修改说明")
    p.set_defaults(handler=_set_item)
    p = sc.add_parser("save", help="从 JSON 文件保存一个新版本（格式同 scheme show --json）")
    p.add_argument("file")
    p.add_argument("--note", default="")
    p.set_defaults(handler=_save_scheme)


def _register_period(sub) -> None:
    pe = sub.add_parser("period", help="考评期间").add_subparsers(dest="action", metavar="操作", required=True)
    p = pe.add_parser("list", help="列出考评期间")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=_list_periods)
    p = pe.add_parser("add", help="新建考评期间（季度、年度、届期）")
    _range(p, required=False)
    p.add_argument("--period", default="", help="2026Q1 或 2026（代替 --from/--to）")
    p.add_argument("--name", default="")
    p.add_argument("--kind", default="", help="季度 / 年度 / 届期 / 其他")
    p.set_defaults(handler=_add_period)
    for name, text, fn in (("close", "关闭期间：冻结其考评办法版本并锁定其记录", _close_period),
                           ("reopen", "重新打开已关闭的期间（仍按关闭时的办法版本计算）", _reopen_period),
                           ("delete", "删除未关闭的期间", _delete_period)):
        p = pe.add_parser(name, help=text)
        p.add_argument("period", help="期间名称、2026Q1 或编号")
        p.set_defaults(handler=fn)


def _register_rating(sub) -> None:
    ra = sub.add_parser("rating", help="选民测评").add_subparsers(dest="action", metavar="操作", required=True)
    p = ra.add_parser("list", help="某一期间的选民测评结果")
    p.add_argument("period")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=_list_ratings)
    p = ra.add_parser("set", help="录入一位代表的选民测评票数")
    p.add_argument("period")
    p.add_argument("deputy")
    p.add_argument("--competent", required=True, help="称职票数")
    p.add_argument("--basic", default="0", help="基本称职票数")
    p.add_argument("--incompetent", default="0", help="不称职票数")
    p.add_argument("--date", default="")
    p.set_defaults(handler=_set_rating)


def _register_printers(printers) -> None:
    p = printers.add_parser("duty-file", help="代表履职档案（一位代表、一个期间）")
    p.add_argument("deputy", help="代表姓名或编号")
    _range(p)
    p.add_argument("--out", required=True, metavar="FILE.pdf")
    p.set_defaults(handler=_print_file)
    p = printers.add_parser("duty-notice", help="代表履职情况通报（A4 横向，含图表）")
    _range(p, required=False)
    p.add_argument("--period", default="", help="期间名称或 2026Q1 / 2026（代替 --from/--to）")
    p.add_argument("--out", required=True, metavar="FILE.pdf")
    p.set_defaults(handler=_print_notice)


def _range(p, *, required: bool = True) -> None:
    p.add_argument("--from", dest="date_from", required=required, default="", metavar="DATE", help="起始日期")
    p.add_argument("--to", dest="date_to", required=required, default="", metavar="DATE", help="截止日期")


def _name_list(text: str) -> list[str]:
    return [x for x in re.split(r"[,，、;；\s]+", text or "") if x]


def _dates(ctx, args) -> tuple[str, str, str | None]:
    """(from, to, period id) from --period or --from/--to."""
    from congress_desktop.core.errors import InvalidInput
    from congress_desktop.duty import evaluation as evs

    if getattr(args, "period", ""):
        p = evs.find_period(ctx, args.period)
        return p.date_from, p.date_to, p.id
    if not args.date_from or not args.date_to:
        raise InvalidInput("请用 --from 和 --to 给出期间，或用 --period 指定考评期间")
    return args.date_from, args.date_to, None


# ------------------------------------------------------------------ evaluate

def _evaluate(ctx, args) -> int:
    from congress_desktop.duty import evaluation as evs
    from congress_desktop.duty.report import export_evaluation

    date_from, date_to, period_id = _dates(ctx, args)
    scheme_id = evs.find_scheme(ctx, args.scheme).id if args.scheme else None
    e = evs.evaluate(ctx, date_from, date_to, period_id=period_id, scheme_id=scheme_id)
    if args.xlsx:
        export_evaluation(ctx, e, args.xlsx)
    if args.json:
        out(json.dumps(e.as_json(), ensure_ascii=False, indent=1))
        return 0
    out(f"{e.title}（{e.date_from} 至 {e.date_to}），{e.scheme_note}")
    out("名次\t姓名\t总分\t等次\t" + "\t".join(h.label for h in e.items) + "\t提醒")
    for r in e.rows:
        out(f"{r.rank}\t{r.name}\t{r.total}\t{r.grade}\t" + "\t".join(c.points for c in r.items) + f"\t{r.flags_label}")
    out("等次：" + "，".join(f"{k} {n} 名" for k, n in e.grade_counts) + f"；需要提醒 {len(e.remind)} 名")
    if args.xlsx:
        out(f"考评表已导出到 {args.xlsx}")
    return 0


# ------------------------------------------------------------------ records

def _deputy(ctx, key: str) -> str:
    from congress_desktop.duty.activity import find_deputy_id

    return find_deputy_id(ctx, key)


def _list_records(ctx, args) -> int:
    from congress_desktop.duty import records as svc

    q = svc.RecordQuery(deputy_id=_deputy(ctx, args.deputy) if args.deputy else "", kind=args.kind,
                        date_from=args.date_from, date_to=args.date_to)
    rows = svc.query_records(ctx, q)
    if args.json:
        out_json(rows)
        return 0
    for r in rows:
        out(f"{r.id}\t{r.record_date}\t{r.deputy_name}\t{r.kind_label}\t{r.title}" + (f"\t{r.points} 分" if r.points else ""))
    out(f"共 {len(rows)} 条")
    return 0


def _add_record(ctx, args) -> int:
    from congress_desktop.duty import records as svc

    r = svc.save_record(ctx, {"deputy_id": _deputy(ctx, args.deputy), "kind": args.kind, "record_date": args.date,
                              "title": args.title, "attendance": args.attendance, "detail": args.detail,
                              "points": args.points})
    out(f"已登记：{r.record_date} {r.deputy_name} {r.kind_label} {r.title}（{r.id}）")
    return 0


def _delete_record(ctx, args) -> int:
    from congress_desktop.duty import records as svc

    svc.delete_record(ctx, args.record)
    out("已删除")
    return 0


def _session(ctx, args) -> int:
    from congress_desktop.core.errors import InvalidInput
    from congress_desktop.deputies.rules import IN_OFFICE
    from congress_desktop.duty import records as svc
    from congress_desktop.duty.activity import deputy_options
    from congress_desktop.duty.rules import Attendance
    from congress_desktop.votes import service as vote_svc

    if args.from_vote:
        marks = svc.roll_from_vote(ctx, vote_svc.find_session(ctx, args.from_vote).id)
    else:
        marks = {o.id: Attendance.PRESENT.value for o in deputy_options(ctx, args.date, args.date)
                 if o.status == IN_OFFICE}
    for text, mark in ((args.excused, Attendance.EXCUSED.value), (args.absent, Attendance.ABSENT.value)):
        for name in _name_list(text):
            did = _deputy(ctx, name)
            if did not in marks:
                raise InvalidInput(f"“{name}”不是本次会议时在任的代表")
            marks[did] = mark
    roll = svc.save_session(ctx, {"record_date": args.date, "title": args.title, "marks": marks})
    c = roll.counts()
    out(f"已登记 {roll.record_date} {roll.title}：出席 {c['出席']} 名，请假 {c['请假']} 名，缺席 {c['缺席']} 名")
    return 0


def _file(ctx, args) -> int:
    from congress_desktop.duty.evaluation import duty_file

    f = duty_file(ctx, _deputy(ctx, args.deputy), args.date_from, args.date_to)
    if args.json:
        out_json(f)
        return 0
    d = f.deputy
    out(f"{d.name}（{d.village_name}）{f.period_name} 履职档案")
    if f.score:
        out(f"总分 {f.score.total}，第 {f.score.rank} 名 / {f.evaluated} 名，等次 {f.score.grade}"
            + (f"；{f.score.flags_label}" if f.score.flags else ""))
    for e in f.entries:
        out(f"{e.ref.date}\t{e.category}\t{e.ref.title}\t{e.ref.detail}")
    out("合计：" + "，".join(f"{label} {n}" for _src, label, n in f.counts))
    return 0


# ------------------------------------------------------------------ training

def _list_trainings(ctx, args) -> int:
    from congress_desktop.duty import records as svc

    rows = svc.list_trainings(ctx, args.date_from, args.date_to)
    if args.json:
        out_json(rows)
        return 0
    for t in rows:
        out(f"{t.id}\t{t.held_on}\t{t.kind}\t{t.topic}\t参加 {t.attendee_count} 名")
    out(f"共 {len(rows)} 次培训")
    return 0


def _add_training(ctx, args) -> int:
    from congress_desktop.duty import records as svc

    t = svc.save_training(ctx, {"held_on": args.date, "topic": args.topic, "kind": args.kind,
                                "organiser": args.organiser, "place": args.place, "hours": args.hours,
                                "deputy_ids": [_deputy(ctx, n) for n in _name_list(args.attendees)]})
    out(f"已登记培训：{t.held_on} {t.topic}，参加 {t.attendee_count} 名（{t.id}）")
    return 0


def _delete_training(ctx, args) -> int:
    from congress_desktop.duty import records as svc

    svc.delete_training(ctx, args.training)
    out("已删除")
    return 0


# ------------------------------------------------------------------ scheme

def _show_scheme(ctx, args) -> int:
    from congress_desktop.duty import evaluation as evs
    from congress_desktop.duty.rules import SOURCES, fmt

    row = evs.find_scheme(ctx, args.version) if args.version else evs.current_scheme(ctx)
    if args.json:
        out(json.dumps(row.scheme.as_dict(), ensure_ascii=False, indent=1))
        return 0
    sc = row.scheme
    out(f"考评办法{row.label}（{row.created}）{row.note}")
    out(f"基础分 {fmt(sc.base)}，满分 {fmt(sc.max_total) or '不设'}")
    for i in sc.items:
        out(f"{i.source}\t{i.label}\t每次 {fmt(i.points)}\t上限 {fmt(i.cap) or '不设'}\t（{SOURCES[i.source].hint}）")
    out("等次：" + "，".join(f"{b.label} {fmt(b.min_points) + ' 分及以上' if b.min_points is not None else '以下'}"
                          for b in sc.bands))
    unused = [k for k in SOURCES if sc.item(k) is None]
    if unused:
        out("未计分的内容：" + "、".join(f"{k}（{SOURCES[k].label}）" for k in unused))
    return 0


def _versions(ctx, args) -> int:
    from congress_desktop.duty import evaluation as evs

    for r in evs.list_schemes(ctx):
        out(f"{r.label}\t{r.created}\t{r.note}")
    return 0


def _set_item(ctx, args) -> int:
    from congress_desktop.duty import evaluation as evs

    row = evs.set_item(ctx, args.source, points=args.points, cap=args.cap, label=args.label, remove=args.remove,
                       note=args.note)
    out(f"已保存为考评办法{row.label}（进行中的期间按新版本计算，已关闭的期间不变）")
    return 0


def _save_scheme(ctx, args) -> int:
    from congress_desktop.core.errors import CongressError
    from congress_desktop.duty import evaluation as evs

    try:
        raw = json.loads(Path(args.file).read_text(encoding="utf-8-sig"))
    except (OSError, ValueError) as e:
        raise CongressError(f"无法读取考评办法文件 {args.file}：{e}") from e
    row = evs.save_scheme(ctx, raw, args.note)
    out(f"现行考评办法：{row.label}")
    return 0


# ------------------------------------------------------------------ periods and ratings

def _list_periods(ctx, args) -> int:
    from congress_desktop.duty import evaluation as evs

    rows = evs.list_periods(ctx)
    if args.json:
        out_json(rows)
        return 0
    for p in rows:
        out(f"{p.name}\t{p.date_from} 至 {p.date_to}\t{p.kind}\t{p.state_label}")
    return 0


def _add_period(ctx, args) -> int:
    from congress_desktop.duty import evaluation as evs
    from congress_desktop.duty.rules import parse_period

    date_from, date_to = parse_period(args.period) if args.period else (args.date_from, args.date_to)
    from congress_desktop.duty.rules import QUARTER, YEAR

    kind = args.kind or (QUARTER if "Q" in args.period.upper() else YEAR if args.period else "其他")
    p = evs.create_period(ctx, {"date_from": date_from, "date_to": date_to, "name": args.name, "kind": kind})
    out(f"已新建考评期间：{p.label}")
    return 0


def _close_period(ctx, args) -> int:
    from congress_desktop.duty import evaluation as evs

    p = evs.close_period(ctx, evs.find_period(ctx, args.period).id)
    out(f"已关闭：{p.name}，{p.state_label}")
    return 0


def _reopen_period(ctx, args) -> int:
    from congress_desktop.duty import evaluation as evs

    p = evs.reopen_period(ctx, evs.find_period(ctx, args.period).id)
    out(f"已重新打开：{p.name}（仍按第 {p.scheme_number} 版办法计算）")
    return 0


def _delete_period(ctx, args) -> int:
    from congress_desktop.duty import evaluation as evs

    evs.delete_period(ctx, evs.find_period(ctx, args.period).id)
    out("已删除")
    return 0


def _list_ratings(ctx, args) -> int:
    from congress_desktop.duty import evaluation as evs

    rows = evs.list_ratings(ctx, evs.find_period(ctx, args.period).id)
    if args.json:
        out_json([{"deputy": r.deputy_name, "competent": r.competent, "basic": r.basic,
                   "incompetent": r.incompetent, "result": r.label} for r in rows])
        return 0
    for r in rows:
        out(f"{r.deputy_name}\t称职 {r.competent}\t基本称职 {r.basic}\t不称职 {r.incompetent}\t{r.summary}")
    return 0


def _set_rating(ctx, args) -> int:
    from congress_desktop.duty import evaluation as evs

    r = evs.set_rating(ctx, evs.find_period(ctx, args.period).id, _deputy(ctx, args.deputy),
                       (args.competent, args.basic, args.incompetent), rated_on=args.date)
    out(f"已录入：{r.deputy_name} {r.summary}")
    return 0


# ------------------------------------------------------------------ printing

def _print_file(ctx, args) -> int:
    from congress_desktop.duty.report import print_duty_file

    n = print_duty_file(ctx, _deputy(ctx, args.deputy), args.date_from, args.date_to, args.out)
    out(f"已生成 {args.out}（{n} 页）")
    return 0


def _print_notice(ctx, args) -> int:
    from congress_desktop.duty.report import print_duty_notice

    date_from, date_to, period_id = _dates(ctx, args)
    n = print_duty_notice(ctx, args.out, date_from, date_to, period_id=period_id)
    out(f"已生成 {args.out}（{n} 页）")
    return 0
