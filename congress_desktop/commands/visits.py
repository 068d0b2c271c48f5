"""visits import/export/list, opinions list/show/act/export, units list/add, categories list,
print visit / referral / opinions-summary."""

from __future__ import annotations

from congress_desktop.commands import import_failed, out, out_json


def register(sub, printers) -> None:
    vis = sub.add_parser("visits", help="联系点接待").add_subparsers(dest="action", metavar="操作", required=True)
    p = vis.add_parser("import", help="导入历史接待台账 .xlsx（每行一条意见；全部正确才写入）")
    p.add_argument("file")
    p.add_argument("--errors", metavar="FILE.xlsx", help="有错误行时把错误报告写到此文件")
    p.set_defaults(handler=_import)
    p = vis.add_parser("export", help="导出接待台账到 .xlsx（每条意见一行）")
    p.add_argument("file")
    p.add_argument("--from", dest="date_from", default="", metavar="DATE", help="开始日期，如 2026-01-01")
    p.add_argument("--to", dest="date_to", default="", metavar="DATE", help="结束日期")
    p.set_defaults(handler=_export)
    p = vis.add_parser("list", help="列出接待记录（新的在前）")
    p.add_argument("--from", dest="date_from", default="", metavar="DATE")
    p.add_argument("--to", dest="date_to", default="", metavar="DATE")
    p.add_argument("--search", default="", help="按地点、代表、群众姓名等查找")
    p.add_argument("--json", action="store_true", help="输出 JSON")
    p.set_defaults(handler=_list_visits)

    ops = sub.add_parser("opinions", help="意见建议督办").add_subparsers(dest="action", metavar="操作",
                                                                        required=True)
    p = ops.add_parser("list", help="列出意见建议（新的在前）")
    _filters(p)
    p.add_argument("--json", action="store_true", help="输出 JSON")
    p.add_argument("--limit", type=int, default=0, help="最多列出多少条（默认全部）")
    p.set_defaults(handler=_list_opinions)
    p = ops.add_parser("export", help="把筛选后的意见建议导出到 .xlsx")
    p.add_argument("file")
    _filters(p)
    p.set_defaults(handler=_export_opinions)
    p = ops.add_parser("show", help="一件意见建议的详情和办理过程")
    p.add_argument("opinion", help="编号（如 2026-00012 或 12）")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=_show)
    p = ops.add_parser("act", help="办理一步：交办 开始办理 答复 测评 办结 退回重办 改交 计划落实 当场答复")
    p.add_argument("opinion", help="编号（如 2026-00012 或 12）")
    p.add_argument("step", help="交办 / 开始办理 / 答复 / 测评 / 办结 / 退回重办 / 改交 / 计划落实 / 当场答复")
    p.add_argument("--date", default="", help="这一步的日期（默认今天）")
    p.add_argument("--unit", default="", help="承办单位名称（交办、改交）")
    p.add_argument("--deadline", default="", help="办理期限（默认交办后 3 个月，复杂件 6 个月）")
    p.add_argument("--complex", action="store_true", help="复杂件（期限 6 个月）")
    p.add_argument("--kind", default="", help="答复类型：已解决 / 列入计划 / 说明解释")
    p.add_argument("--text", default="", help="答复内容、退回原因或计划落实情况")
    p.add_argument("--rating", default="", help="测评结果：满意 / 基本满意 / 不满意")
    p.add_argument("--by", default="", help="测评人")
    p.set_defaults(handler=_act)
    p = ops.add_parser("reindex", help="重建意见建议的全文检索索引（修复用）")
    p.set_defaults(handler=_reindex)

    uni = sub.add_parser("units", help="承办单位").add_subparsers(dest="action", metavar="操作", required=True)
    p = uni.add_parser("list", help="列出承办单位")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=_units)
    p = uni.add_parser("add", help="新增承办单位")
    p.add_argument("name")
    p.add_argument("--kind", default="", help="镇直部门 / 站所 / 村(社区) / 市直部门 / 其他")
    p.add_argument("--contact", default="", help="联系人")
    p.add_argument("--phone", default="", help="联系电话")
    p.set_defaults(handler=_add_unit)

    cat = sub.add_parser("categories", help="意见类别").add_subparsers(dest="action", metavar="操作",
                                                                      required=True)
    p = cat.add_parser("list", help="列出意见类别")
    p.set_defaults(handler=_categories)

    p = printers.add_parser("visit", help="接待登记表")
    p.add_argument("visit", help="接待记录编号（visits list 中的 id）")
    p.add_argument("--out", required=True, metavar="FILE.pdf")
    p.set_defaults(handler=_print_visit)
    p = printers.add_parser("referral", help="意见建议交办单（含回执）")
    p.add_argument("opinion", help="意见建议编号（如 2026-00012 或 12）")
    p.add_argument("--out", required=True, metavar="FILE.pdf")
    p.set_defaults(handler=_print_referral)
    p = printers.add_parser("opinions-summary", help="意见建议办理情况汇总表（A4 横向）")
    p.add_argument("--from", dest="date_from", default="", metavar="DATE", help="提出日期从")
    p.add_argument("--to", dest="date_to", default="", metavar="DATE", help="提出日期到")
    p.add_argument("--out", required=True, metavar="FILE.pdf")
    p.set_defaults(handler=_print_summary)


def _filters(p) -> None:
    p.add_argument("--state", default="", help="办理状态：登记 交办 办理中 已答复 已测评 办结 退回重办 未办结 列入计划跟踪")
    p.add_argument("--overdue", action="store_true", help="只列超期的")
    p.add_argument("--due-soon", action="store_true", help="只列 7 天内到期的")
    p.add_argument("--search", default="", help="按任意文字查找（内容、提出人、单位、代表…）")
    p.add_argument("--from", dest="date_from", default="", metavar="DATE", help="提出日期从")
    p.add_argument("--to", dest="date_to", default="", metavar="DATE", help="提出日期到")
    p.add_argument("--unit", default="", help="承办单位名称")
    p.add_argument("--category", default="", help="类别名称")


def _query(ctx, args):
    from congress_desktop.core.errors import CongressError
    from congress_desktop.places.units import find_unit_ids, unit_key
    from congress_desktop.visits import opinions as svc

    unit_id = category_id = ""
    if args.unit:
        unit_id = find_unit_ids(ctx).get(unit_key(args.unit), "")
        if not unit_id:
            raise CongressError(f"找不到承办单位“{args.unit}”")
    if args.category:
        category_id = svc.find_category_ids(ctx).get(args.category.strip(), "")
        if not category_id:
            raise CongressError(f"找不到类别“{args.category}”")
    return svc.OpinionQuery(text=args.search, state=args.state, overdue=args.overdue, due_soon=args.due_soon,
                            date_from=args.date_from, date_to=args.date_to, unit_id=unit_id,
                            category_id=category_id)


def _import(ctx, args) -> int:
    from congress_desktop.visits import importing as svc

    res = svc.import_ledger(ctx, args.file)
    if res.ok:
        out(f"已导入 {res.applied_visits} 次接待、{res.applied_opinions} 条意见建议。")
        return 0
    return import_failed(res, f"导入失败：{len(res.errors)} 处错误，未写入任何数据。请改正后重新导入：",
                         args.errors, svc.save_import_errors)


def _export(ctx, args) -> int:
    from congress_desktop.visits import importing as svc
    from congress_desktop.visits.rows import VisitQuery

    n = svc.export_ledger(ctx, args.file, VisitQuery(date_from=args.date_from, date_to=args.date_to))
    out(f"已导出 {n} 行到 {args.file}")
    return 0


def _list_visits(ctx, args) -> int:
    from congress_desktop.visits import service as svc

    rows = svc.query_visits(ctx, svc.VisitQuery(text=args.search, date_from=args.date_from, date_to=args.date_to),
                            0, None)
    if args.json:
        out_json(rows)
        return 0
    for v in rows:
        out(f"{v.id}\t{v.visit_date} {v.time_label}\t{v.form}\t{v.place_label}\t{v.deputies_label}\t"
            f"来访 {v.visitor_count} 人\t意见 {v.opinion_count} 条（未办结 {v.open_count}）")
    out(f"共 {len(rows)} 次接待")
    return 0


def _opinion_line(o) -> str:
    from congress_desktop.visits.opinion_rules import opinion_number as referral_number

    flag = f"\t【{o.deadline_label}】" if o.deadline_label else ""
    return (f"{referral_number(o.seq, o.raised_on)}\t{o.raised_on}\t{o.category}\t{o.state_label}\t"
            f"{o.unit_name or '-'}\t{o.deadline or '-'}\t{o.summary}{flag}")


def _list_opinions(ctx, args) -> int:
    from congress_desktop.visits import opinions as svc

    rows = svc.query_opinions(ctx, _query(ctx, args), 0, args.limit or None)
    if args.json:
        out_json(rows)
        return 0
    for o in rows:
        out(_opinion_line(o))
    out(f"共 {len(rows)} 条")
    return 0


def _export_opinions(ctx, args) -> int:
    from congress_desktop.visits import opinions as svc

    n = svc.export_opinions(ctx, args.file, _query(ctx, args))
    out(f"已导出 {n} 条意见建议到 {args.file}")
    return 0


def _show(ctx, args) -> int:
    from congress_desktop.visits import opinions as svc

    d = svc.get_opinion(ctx, svc.find_opinion_id(ctx, args.opinion))
    if args.json:
        out_json(d)
        return 0
    o = d.row
    out(_opinion_line(o))
    out(f"内容：{o.content}")
    out(f"提出人：{o.raised_by} {o.raised_phone}  所在村(社区)：{o.village_name}  接待代表：{'、'.join(o.deputy_names)}")
    if d.visit_label:
        out(f"接待记录：{d.visit_label}（{o.visit_id}）")
    for m in d.meetings:
        out(f"{m.stage}面对面：{m.meet_on}  {m.participants}  {m.notes}")
    out("办理过程：")
    for e in d.events:
        out(f"  {e.on}  {e.label}  {e.from_state}→{e.to_state}  {e.detail}")
    allowed = "、".join(svc.ACTIONS[k].label for k in d.allowed)
    out(f"此时可以：{allowed or '（已办结）'}")
    return 0


def _act(ctx, args) -> int:
    import datetime as dt

    from congress_desktop.core.errors import CongressError
    from congress_desktop.places.units import find_unit_ids, unit_key
    from congress_desktop.visits import opinions as svc
    from congress_desktop.visits.opinion_rules import ACTION_BY_LABEL, ACTIONS, Step

    key = ACTION_BY_LABEL.get(args.step.strip(), args.step.strip())
    if key not in ACTIONS:
        raise CongressError(f"未知的办理操作“{args.step}”，可用：{'、'.join(ACTION_BY_LABEL)}")
    unit_id = ""
    if args.unit:
        unit_id = find_unit_ids(ctx).get(unit_key(args.unit), "")
        if not unit_id:
            raise CongressError(f"找不到承办单位“{args.unit}”，请先用 units add 添加")
    opinion_id = svc.find_opinion_id(ctx, args.opinion)
    step = Step(key, on=args.date or dt.date.today().isoformat(), unit_id=unit_id, deadline=args.deadline,
                complex=True if args.complex else None, kind=args.kind, text=args.text, rating=args.rating,
                by=args.by)
    d = svc.act_on_opinion(ctx, opinion_id, step)
    out(f"已{ACTIONS[key].label}：{d.events[-1].detail if d.events else ''}")
    out(_opinion_line(d.row))
    return 0


def _reindex(ctx, args) -> int:
    from congress_desktop.visits import opinions as svc

    out(f"已重建 {svc.rebuild_search_index(ctx)} 条意见建议的检索索引")
    return 0


def _units(ctx, args) -> int:
    from congress_desktop.places.units import list_units

    rows = list_units(ctx, counts=True)
    if args.json:
        out_json(rows)
        return 0
    for u in rows:
        out(f"{u.name}\t{u.kind or '-'}\t{u.contact_person or '-'}\t{u.phone or '-'}\t"
            f"承办 {u.total_count} 件（未办结 {u.open_count}）" + ("" if u.active else "\t已停用"))
    out(f"共 {len(rows)} 个承办单位")
    return 0


def _add_unit(ctx, args) -> int:
    from congress_desktop.places.units import save_unit

    u = save_unit(ctx, {"name": args.name, "kind": args.kind, "contact_person": args.contact, "phone": args.phone})
    out(f"已添加承办单位“{u.name}”")
    return 0


def _categories(ctx, args) -> int:
    from congress_desktop.visits.opinions import list_categories

    for c in list_categories(ctx, include_inactive=True):
        out(c.label + ("" if c.active else "（已停用）"))
    return 0


def _print_visit(ctx, args) -> int:
    from congress_desktop.visits import report as svc

    pages = svc.print_visit_form(ctx, args.visit, args.out)
    out(f"已生成 {args.out}（{pages} 页）")
    return 0


def _print_referral(ctx, args) -> int:
    from congress_desktop.visits import report
    from congress_desktop.visits.opinions import find_opinion_id

    pages = report.print_referral(ctx, find_opinion_id(ctx, args.opinion), args.out)
    out(f"已生成 {args.out}（{pages} 页）")
    return 0


def _print_summary(ctx, args) -> int:
    from congress_desktop.visits import report as svc

    pages = svc.print_opinion_summary(ctx, args.out, args.date_from, args.date_to)
    out(f"已生成 {args.out}（{pages} 页）")
    return 0
