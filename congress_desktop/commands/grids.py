"""grids import/export/check/assign/end/list/roster/suggest, print grid-roster / grid-boards."""

from __future__ import annotations

import json
from dataclasses import asdict

from congress_desktop.commands import import_failed, out, out_json
from congress_desktop.core.errors import CongressError

ROLE_CHOICES = ["责任代表", "协助代表"]


def register(sub, printers) -> None:
    grids = sub.add_parser("grids", help="网格化履职：网格、入格名册和检查").add_subparsers(
        dest="action", metavar="操作", required=True)
    p = grids.add_parser("import", help="从 .xlsx/.csv 导入网格名单或入格名册（全部正确才写入）")
    p.add_argument("file")
    p.add_argument("--kind", choices=["auto", "grids", "roster"], default="auto",
                   help="grids=网格名单，roster=入格名册；默认按表头判断（有“代表姓名”列即为名册）")
    p.add_argument("--on", metavar="DATE", help="名册中未填入格日期时使用的日期（默认今天）")
    p.add_argument("--errors", metavar="FILE.xlsx", help="有错误行时把错误报告写到此文件")
    p.set_defaults(handler=_import)
    p = grids.add_parser("export", help="导出某日的入格名册到 .xlsx（可再导入）")
    p.add_argument("file")
    p.add_argument("--on", metavar="DATE", help="名册日期（默认今天）")
    p.add_argument("--village", metavar="CODE", help="只导出一个村(社区)：区划代码或名称")
    p.set_defaults(handler=_export)
    p = grids.add_parser("check", help="网格检查：未入格、无代表网格、超员、无责任代表、离任未离格；有问题时退出码为 1")
    p.add_argument("--json", action="store_true", help="输出 JSON")
    p.add_argument("--on", metavar="DATE", help="检查日期（默认今天）")
    p.add_argument("--strict", action="store_true", help="“未走访”提醒也计为问题（退出码 1）")
    p.set_defaults(handler=_check)
    p = grids.add_parser("assign", help="安排代表入格；已在其他网格的代表从该日起调整到新网格（保留历史）")
    p.add_argument("deputy", help="代表姓名或编号")
    p.add_argument("grid", help="网格编号，或“村名/网格名称”")
    p.add_argument("--role", choices=ROLE_CHOICES, help="默认：网格没有责任代表时为责任代表，否则为协助代表")
    p.add_argument("--from", dest="start_on", metavar="DATE", help="入格日期（默认今天）")
    p.add_argument("--households", type=int, default=0, help="联系户数")
    p.set_defaults(handler=_assign)
    p = grids.add_parser("end", help="代表离格（从该日起不在网格中）")
    p.add_argument("deputy", help="代表姓名或编号")
    p.add_argument("--on", metavar="DATE", help="离格日期（默认今天）")
    p.set_defaults(handler=_end)
    p = grids.add_parser("list", help="列出网格及今天的入格代表")
    p.add_argument("--json", action="store_true")
    p.add_argument("--village", metavar="CODE", help="只列一个村(社区)：区划代码或名称")
    p.set_defaults(handler=_list)
    p = grids.add_parser("roster", help="某日的入格名册（由入格历史得出）")
    p.add_argument("--on", metavar="DATE", help="名册日期（默认今天）")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=_roster)
    p = grids.add_parser("suggest", help="一键建议入格：列出建议；加 --accept 才采纳")
    p.add_argument("--json", action="store_true")
    p.add_argument("--on", metavar="DATE", help="入格日期（默认今天）")
    p.add_argument("--accept", action="store_true", help="采纳全部建议（不加此项只显示，不写入）")
    p.set_defaults(handler=_suggest)

    p = printers.add_parser("grid-roster", help="网格化履职名册（A4 横向）")
    p.add_argument("--out", required=True, metavar="FILE.pdf")
    p.add_argument("--village", metavar="CODE", help="只打印一个村(社区)：区划代码或名称")
    p.add_argument("--on", metavar="DATE", help="名册日期（默认今天）")
    p.set_defaults(handler=_print_roster)
    p = printers.add_parser("grid-boards", help="代表公示牌（每个网格一页 A4 竖向，大字）")
    p.add_argument("--out", required=True, metavar="FILE.pdf")
    p.add_argument("--village", metavar="CODE", help="只打印一个村(社区)的网格")
    p.add_argument("--on", metavar="DATE", help="名册日期（默认今天）")
    p.set_defaults(handler=_print_boards)


def find_grid(ctx, key: str):
    """A grid by id, by code, by name, or by 「村名/网格名称」."""
    from congress_desktop.grids import service as svc
    from congress_desktop.places.villages import village_key

    rows = svc.list_grids(ctx)
    hits = [g for g in rows if key in (g.id, g.code)]
    if not hits:
        village, _, name = key.replace("·", "/").replace("／", "/").rpartition("/")
        village, name = village.strip(), name.strip()
        hits = [g for g in rows if g.name == name and (not village or village_key(village) in (
            village_key(g.village_name), g.village_code))]
    if not hits:
        raise CongressError(f"找不到网格“{key}”（可用网格编号，或“村名/网格名称”）")
    if len(hits) > 1:
        raise CongressError(f"有 {len(hits)} 个网格名叫“{key}”，请改用网格编号：" + "、".join(g.code for g in hits))
    return hits[0]


def _import(ctx, args) -> int:
    from congress_desktop.grids import importing as svc

    kind, res = svc.import_grid_file(ctx, args.file, args.kind, args.on)
    what = "入格名册" if kind == "roster" else "网格名单"
    if res.ok:
        out(f"已导入{what}：{res.applied} 条（共 {res.total_rows} 行）。")
        return 0
    return import_failed(res, f"导入{what}失败：{len(res.errors)} 处错误，未写入任何数据。请改正后重新导入：",
                         args.errors, lambda r, path: r.save_errors(path))


def _village_id(ctx, village):
    from congress_desktop.grids import service as svc

    return svc.village_id_of(ctx, village)


def _export(ctx, args) -> int:
    from congress_desktop.grids import importing as svc

    n = svc.export_roster(ctx, args.file, args.on, _village_id(ctx, args.village))
    out(f"已导出 {n} 名入格代表到 {args.file}")
    return 0


def _check(ctx, args) -> int:
    from congress_desktop.grids import service as svc

    r = svc.check_grids(ctx, args.on)
    failed = r.holes > 0 or (args.strict and r.reminders > 0)
    if args.json:
        data = asdict(r)
        data.update(holes=r.holes, reminders=r.reminders, clear=r.clear, counts=r.counts(), summary=r.summary)
        out(json.dumps(data, ensure_ascii=False, indent=1))
        return 1 if failed else 0
    out(f"{r.on} 网格检查：{r.summary}")
    out(f"  网格 {r.grids} 个；应入格代表 {r.deputies_needed} 名，已入格 {r.deputies_placed} 名；每格上限 {r.limit} 名")
    for i in r.items:
        where = " ".join(x for x in (i.village, i.grid, i.deputy) if x)
        out(f"  [{i.label}] {where}：{i.detail}")
    out("  负荷（每格代表数 最少/最多/差；每名代表联系户数 最少/最多/差）：")
    for b in r.balance:
        hh = ("-" if b.households_per_deputy_min is None else
              f"{b.households_per_deputy_min}/{b.households_per_deputy_max}/{b.households_per_deputy_spread}")
        out(f"    {b.scope}：网格 {b.grids}，代表 {b.deputies}，每格 {b.per_grid_min}/{b.per_grid_max}/"
            f"{b.per_grid_spread}，每人联系户数 {hh}")
    return 1 if failed else 0


def _assign(ctx, args) -> int:
    from congress_desktop.commands.deputies import find_deputy
    from congress_desktop.grids import service as svc

    d = find_deputy(ctx, args.deputy)
    g = find_grid(ctx, args.grid)
    res = svc.assign_deputy(ctx, d.id, g.id, role=args.role, start_on=args.start_on, households=args.households)
    a = res.assignment
    assert a is not None  # an entry always has its new assignment
    out(f"{a.deputy_name}自 {a.start_on} 起入“{a.village_name} · {a.grid_name}”，{a.role}。")
    for m in res.messages:
        out(f"  {m}")
    return 0


def _end(ctx, args) -> int:
    from congress_desktop.commands.deputies import find_deputy
    from congress_desktop.grids import service as svc

    d = find_deputy(ctx, args.deputy)
    current = [a for a in svc.deputy_history(ctx, d.id) if a.end_on == ""]
    if not current:
        raise CongressError(f"{d.name}目前不在任何网格中")
    res = svc.end_assignment(ctx, current[0].id, args.on)
    for m in res.messages:
        out(m)
    return 0


def _list(ctx, args) -> int:
    from congress_desktop.grids import service as svc

    rows = svc.list_grids(ctx, _village_id(ctx, args.village))
    if args.json:
        out_json(rows)
        return 0
    for g in rows:
        out(f"{g.code}  {g.village_name}  {g.name}  户数 {g.households}  网格员 {g.worker_name} {g.worker_phone}  "
            f"代表 {g.deputies} 名：{'、'.join(g.deputy_names) or '无'}")
    out(f"共 {len(rows)} 个网格")
    return 0


def _roster(ctx, args) -> int:
    from congress_desktop.grids import service as svc

    grids = svc.roster_on(ctx, args.on)
    if args.json:
        out_json(grids)
        return 0
    for rg in grids:
        people = "、".join(f"{m.name}（{m.role}）" for m in rg.members) or "无代表"
        out(f"{rg.grid.code}  {rg.grid.village_name} · {rg.grid.name}：{people}")
    return 0


def _suggest(ctx, args) -> int:
    from congress_desktop.grids import service as svc

    sug = svc.suggest_placements(ctx, args.on)
    if args.json and not args.accept:
        out_json(sug)
        return 0
    for p in sug.proposals:
        out(f"{p.deputy_name}（{p.deputy_village}）→ {p.grid_label}，{p.role}（{p.reason}）")
    if sug.unplaceable:
        out(f"所有网格均已满 {sug.limit} 名，无法安排：{'、'.join(sug.unplaceable)}")
    if not sug.proposals:
        out("没有需要入格的代表。")
        return 0
    if not args.accept:
        out(f"共 {len(sug.proposals)} 条建议，未写入。确认无误后加 --accept 采纳。")
        return 0
    res = svc.accept_placements(ctx, sug.proposals, sug.on)
    out(f"已采纳 {res.applied} 条建议。")
    return 0


def _print_roster(ctx, args) -> int:
    from congress_desktop.grids import report as svc

    pages = svc.print_grid_roster(ctx, args.out, village=args.village, on=args.on)
    out(f"已生成 {args.out}（{pages} 页）")
    return 0


def _print_boards(ctx, args) -> int:
    from congress_desktop.grids import report as svc

    pages = svc.print_grid_boards(ctx, args.out, village=args.village, on=args.on)
    out(f"已生成 {args.out}（{pages} 页）")
    return 0
