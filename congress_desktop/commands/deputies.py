"""deputies import/export/list, villages list, print roster / deputy-card."""

from __future__ import annotations

from congress_desktop.commands import import_failed, out, out_json
from congress_desktop.core.errors import CongressError
from congress_desktop.deputies.rules import IN_OFFICE, STATUSES

STATUS_CHOICES = [str(s) for s in STATUSES]


def register(sub, printers) -> None:
    dep = sub.add_parser("deputies", help="代表名册").add_subparsers(dest="action", metavar="操作", required=True)
    p = dep.add_parser("import", help="从 .xlsx/.csv 导入代表（全部成功才写入）")
    p.add_argument("file")
    p.add_argument("--errors", metavar="FILE.xlsx", help="有错误行时把错误报告写到此文件")
    p.set_defaults(handler=_import)
    p = dep.add_parser("export", help="导出代表名册到 .xlsx")
    p.add_argument("file")
    p.add_argument("--status", choices=STATUS_CHOICES)
    p.set_defaults(handler=_export)
    p = dep.add_parser("list", help="列出代表")
    p.add_argument("--json", action="store_true", help="输出 JSON")
    p.add_argument("--search", default="", help="按姓名、拼音首字母或任意字段查找")
    p.add_argument("--status", choices=STATUS_CHOICES)
    p.set_defaults(handler=_list)

    vil = sub.add_parser("villages", help="村(社区)").add_subparsers(dest="action", metavar="操作", required=True)
    p = vil.add_parser("list", help="列出村(社区)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=_villages)

    p = printers.add_parser("roster", help="代表名册（A4 横向）")
    p.add_argument("--out", required=True, metavar="FILE.pdf")
    p.add_argument("--by", choices=["village", "group"], default="village", help="按村(社区)或代表小组分组")
    p.add_argument("--status", choices=[*STATUS_CHOICES, "全部"], default=str(IN_OFFICE))
    p.set_defaults(handler=_print_roster)
    p = printers.add_parser("deputy-card", help="代表信息卡（一页）")
    p.add_argument("deputy", help="代表姓名或编号")
    p.add_argument("--out", required=True, metavar="FILE.pdf")
    p.set_defaults(handler=_print_card)


def find_deputy(ctx, key: str):
    """A deputy by id or by exact name; a clear message when none or several match."""
    from congress_desktop.deputies import service as svc

    try:
        return svc.get_deputy(ctx, key)
    except CongressError:
        pass
    rows = [d for d in svc.query_deputies(ctx, svc.DeputyQuery(text=key), 0, 50) if d.name == key]
    if not rows:
        raise CongressError(f"找不到代表“{key}”")
    if len(rows) > 1:
        raise CongressError(f"有 {len(rows)} 位代表名叫“{key}”，请改用编号：" + "、".join(d.id for d in rows))
    return rows[0]


def _import(ctx, args) -> int:
    from congress_desktop.deputies import importing
    from congress_desktop.deputies import service as svc

    res = importing.import_deputies(ctx, args.file)
    if res.ok:
        out(f"已导入 {res.applied} 名代表。")
        return 0
    return import_failed(res, f"导入失败：{len(res.errors)} 处错误，未写入任何数据。请改正后重新导入：",
                         args.errors, svc.save_import_errors)


def _export(ctx, args) -> int:
    from congress_desktop.deputies import importing
    from congress_desktop.deputies.rows import DeputyQuery

    n = importing.export_deputies(ctx, args.file, DeputyQuery(status=args.status or ""))
    out(f"已导出 {n} 名代表到 {args.file}")
    return 0


def _list(ctx, args) -> int:
    from congress_desktop.deputies import service as svc

    rows = svc.query_deputies(ctx, svc.DeputyQuery(text=args.search, status=args.status or ""), 0, None)
    if args.json:
        out_json(rows)
        return 0
    for r in rows:
        out(f"{r.name}\t{r.gender}\t{r.birth_date}\t{r.levels_label}\t{r.village_name}\t{r.mobile}\t{r.status}")
    out(f"共 {len(rows)} 名")
    return 0


def _villages(ctx, args) -> int:
    from congress_desktop.places.villages import list_villages

    rows = list_villages(ctx)
    if args.json:
        out_json(rows)
        return 0
    for v in rows:
        out(f"{v.code}  {v.name}  {v.kind}  在任代表 {v.deputies} 名")
    return 0


def _print_roster(ctx, args) -> int:
    from congress_desktop.deputies import printing

    pages = printing.print_roster(ctx, args.out, group_by=args.by,
                                  status="" if args.status == "全部" else args.status)
    out(f"已生成 {args.out}（{pages} 页）")
    return 0


def _print_card(ctx, args) -> int:
    from congress_desktop.deputies import printing

    pages = printing.print_deputy_card(ctx, find_deputy(ctx, args.deputy).id, args.out)
    out(f"已生成 {args.out}（{pages} 页）")
    return 0
