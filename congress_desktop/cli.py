"""The headless command line: ``python -m congress_desktop SUBCOMMAND`` (never imports Qt).

Every action a person can do in the window, an admin can script here. Errors print a Chinese
message and exit non-zero."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from dataclasses import asdict
from pathlib import Path

from . import APP_NAME, __version__, paths
from .errors import CongressError
from .logsetup import setup_logging

log = logging.getLogger(__name__)


class ChineseParser(argparse.ArgumentParser):
    def error(self, message: str):  # argparse's own text is English; say what matters in Chinese
        self.print_usage(sys.stderr)
        self.exit(2, f"参数错误：{message}\n运行 {self.prog} -h 查看用法。\n")


def _out(text: str = "") -> None:
    stream = sys.stdout
    if stream is None:  # windowed build: no console
        return
    try:
        stream.write(text + "\n")
    except UnicodeEncodeError:
        stream.buffer.write((text + "\n").encode(stream.encoding or "utf-8", "replace"))


def build_parser(prog: str = "congress-desktop") -> argparse.ArgumentParser:
    p = ChineseParser(prog=prog, description=f"{APP_NAME} 命令行（不带子命令运行 congress-desktop 打开窗口）")
    p.add_argument("--version", action="version", version=f"{APP_NAME} {__version__}")
    p.add_argument("--data-dir", metavar="DIR", help="数据文件夹（默认见 README；也可用环境变量 CONGRESS_DATA_DIR）")
    sub = p.add_subparsers(dest="command", metavar="子命令")

    init = sub.add_parser("init", help="设置本单位信息（不提问）")
    init.add_argument("--name", required=True, help="单位名称，如 丹江口市六里坪镇人大")
    init.add_argument("--code", required=True, help="12 位统计用区划代码")
    init.add_argument("--role", required=True, choices=["town", "city"], help="town 乡镇（街道） / city 市")

    sub.add_parser("demo", help="在空的数据文件夹中建立演示乡镇（丹江口市六里坪镇，虚构人员）")
    sub.add_parser("info", help="显示本单位、数据文件位置和记录数")

    dep = sub.add_parser("deputies", help="代表名册").add_subparsers(dest="action", metavar="操作")
    d_imp = dep.add_parser("import", help="从 .xlsx/.csv 导入代表（全部成功才写入）")
    d_imp.add_argument("file")
    d_imp.add_argument("--errors", metavar="FILE.xlsx", help="有错误行时把错误报告写到此文件")
    d_exp = dep.add_parser("export", help="导出代表名册到 .xlsx")
    d_exp.add_argument("file")
    d_exp.add_argument("--status", choices=["在任", "暂停", "终止"])
    d_list = dep.add_parser("list", help="列出代表")
    d_list.add_argument("--json", action="store_true", help="输出 JSON")
    d_list.add_argument("--search", default="", help="按姓名、拼音首字母或任意字段查找")
    d_list.add_argument("--status", choices=["在任", "暂停", "终止"])

    vil = sub.add_parser("villages", help="村(社区)").add_subparsers(dest="action", metavar="操作")
    v_list = vil.add_parser("list", help="列出村(社区)")
    v_list.add_argument("--json", action="store_true")

    prt = sub.add_parser("print", help="生成 PDF").add_subparsers(dest="doc", metavar="文档")
    r = prt.add_parser("roster", help="代表名册（A4 横向）")
    r.add_argument("--out", required=True, metavar="FILE.pdf")
    r.add_argument("--by", choices=["village", "group"], default="village", help="按村(社区)或代表小组分组")
    r.add_argument("--status", choices=["在任", "暂停", "终止", "全部"], default="在任")
    c = prt.add_parser("deputy-card", help="代表信息卡（一页）")
    c.add_argument("deputy", help="代表姓名或编号")
    c.add_argument("--out", required=True, metavar="FILE.pdf")
    return p


def _context(args):
    from .services.context import Context

    return Context.open(args.data_dir)


def _find_deputy(ctx, key: str):
    from .services import deputies as svc

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


def run(args) -> int:
    from .services import deputies as dep_svc
    from .services import office as office_svc

    ctx = _context(args)
    try:
        if args.command == "init":
            o = office_svc.setup_office(ctx, args.name, args.code, args.role)
            _out(f"已设置本单位：{o.name}（{o.code}，{o.role_label}），数据文件：{ctx.db_path}")
        elif args.command == "demo":
            from .services.demo import create_demo

            create_demo(ctx)
            _out(f"已建立演示乡镇：{ctx.office.name}，代表 {dep_svc.count_deputies(ctx)} 名；数据文件：{ctx.db_path}")
        elif args.command == "info":
            o = ctx.office
            _out(f"单位：{o.name}（{o.code}，{o.role_label}）" if o else "单位：尚未设置")
            _out(f"数据文件：{ctx.db_path}")
            counts = dep_svc.status_counts(ctx)
            _out("代表：" + "，".join(f"{k} {v} 名" for k, v in counts.items()) if counts else "代表：0 名")
        elif args.command == "deputies":
            return _deputies(ctx, args)
        elif args.command == "villages":
            from .services.villages import list_villages

            rows = list_villages(ctx)
            if args.json:
                _out(json.dumps([asdict(v) for v in rows], ensure_ascii=False, indent=1))
            else:
                for v in rows:
                    _out(f"{v.code}  {v.name}  {v.kind}  在任代表 {v.deputies} 名")
        elif args.command == "print":
            return _print(ctx, args)
        else:
            raise CongressError("请指定子命令，运行 -h 查看用法")
    finally:
        ctx.close()
    return 0


def _deputies(ctx, args) -> int:
    from .services import deputies as svc

    ctx.require_office()
    if args.action == "import":
        res = svc.import_deputies(ctx, args.file)
        if res.ok:
            _out(f"已导入 {res.applied} 名代表。")
            return 0
        _out(f"导入失败：{len(res.errors)} 处错误，未写入任何数据。请改正后重新导入：")
        for e in res.errors:
            _out(f"  第 {e.row} 行  {e.field + '：' if e.field else ''}{e.message}")
        if args.errors:
            svc.save_import_errors(res, args.errors)
            _out(f"错误报告已保存到 {args.errors}")
        return 1
    if args.action == "export":
        n = svc.export_deputies(ctx, args.file, svc.DeputyQuery(status=args.status or ""))
        _out(f"已导出 {n} 名代表到 {args.file}")
        return 0
    if args.action == "list":
        q = svc.DeputyQuery(text=args.search, status=args.status or "")
        rows = svc.query_deputies(ctx, q, 0, None)
        if args.json:
            _out(json.dumps([asdict(r) for r in rows], ensure_ascii=False, indent=1))
        else:
            for r in rows:
                _out(f"{r.name}\t{r.gender}\t{r.birth_date}\t{r.levels_label}\t{r.village_name}\t{r.mobile}\t{r.status}")
            _out(f"共 {len(rows)} 名")
        return 0
    raise CongressError("请指定操作：import、export 或 list")


def _print(ctx, args) -> int:
    from .services import printing

    office = ctx.require_office()
    if args.doc == "roster":
        pages = printing.print_roster(ctx, args.out, group_by=args.by,
                                      status="" if args.status == "全部" else args.status)
    elif args.doc == "deputy-card":
        pages = printing.print_deputy_card(ctx, _find_deputy(ctx, args.deputy).id, args.out)
    else:
        raise CongressError("请指定文档：roster 或 deputy-card")
    _out(f"已生成 {args.out}（{pages} 页，{office.name}）")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help()
        return 2
    try:
        setup_logging(paths.log_dir(paths.data_dir(args.data_dir)), console=False)
    except OSError:
        pass  # a read-only data folder still gets its clear message from the command itself
    try:
        return run(args)
    except CongressError as e:
        print(f"错误：{e.message}", file=sys.stderr) if sys.stderr else None
        return 1
    except KeyboardInterrupt:
        return 130
    except Exception as e:  # unexpected: the user gets a short line, the log keeps the traceback
        log.exception("command failed")
        if sys.stderr:
            print(f"操作失败，详细信息已写入日志：{e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
