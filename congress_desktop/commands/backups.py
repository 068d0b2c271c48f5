"""backup [--to DIR], backups list, restore FILE [--yes], check: the data's safety from the command line."""

from __future__ import annotations

import sys
from pathlib import Path

from .. import paths
from ..errors import CongressError, DatabaseDamaged, NewerSchema
from . import out, out_json


def register(sub, printers) -> None:
    p = sub.add_parser("backup", help="立即备份数据库（默认到数据文件夹的 backups；--to 备份到U盘等任意文件夹）")
    p.add_argument("--to", metavar="DIR", help="备份到这个文件夹（如U盘），附件文件一并复制")
    p.set_defaults(handler=_backup, needs_office=False)

    b = sub.add_parser("backups", help="自动备份").add_subparsers(dest="action", metavar="操作", required=True)
    p = b.add_parser("list", help="列出备份：时间、原因、大小、记录数")
    p.add_argument("--dir", metavar="DIR", help="列出这个文件夹（如U盘）中的备份，默认为自动备份文件夹")
    p.add_argument("--json", action="store_true", help="输出 JSON")
    p.set_defaults(handler=_list, needs_data=False)

    p = sub.add_parser("restore", help="用备份文件恢复数据库（当前数据库先自动备份；需确认）")
    p.add_argument("file", metavar="FILE", help="备份文件（.sqlite3）")
    p.add_argument("--yes", action="store_true", help="不再询问，直接恢复（脚本中使用）")
    p.set_defaults(handler=_restore, needs_data=False)

    p = sub.add_parser("check", help="检查数据库和附件是否完好（有问题时退出码为 1）")
    p.add_argument("--json", action="store_true", help="输出 JSON")
    p.set_defaults(handler=_check, needs_data=False)


def _folder(args) -> Path:
    """These commands open the data folder themselves: they must work when the database is damaged."""
    from ..logsetup import quiet_without_log_file, setup_logging

    folder = paths.data_dir(args.data_dir)
    try:
        setup_logging(paths.log_dir(folder), console=False)
    except OSError:
        quiet_without_log_file()
    return folder


def _err(text: str) -> None:
    if sys.stderr is not None:
        print(text, file=sys.stderr)


def _backup(ctx, args) -> int:
    from ..services import backups

    if args.to:
        info = backups.backup_to_folder(ctx, args.to)
        out(f"已备份到：{info.path}")
    else:
        info = backups.backup_before(ctx, "manual")
        out(f"已备份：{info.path}")
    out(f"  {info.made_label}，{info.size_label}，{info.counts_label}；完整性检查通过")
    return 0


def _list(_ctx, args) -> int:
    from ..services import backups
    from ..store.backups import list_backups

    folder = Path(args.dir) if args.dir else backups.backups_dir(_folder(args))
    rows = list_backups(folder)
    if args.json:
        out_json([r.as_json() | {"path": str(r.path)} for r in rows])
        return 0
    if not rows:
        out(f"{folder} 中没有备份")
        return 0
    out(f"{folder} 中的备份（{len(rows)} 个，最新的在前）：")
    for r in rows:
        out(f"{r.made_label}  {r.reason_label:<8}  {r.size_label:>9}  {r.counts_label}")
        out(f"    {r.path.name}")
    return 0


def _confirm(question: str) -> bool | None:
    """True/False from the terminal; None when there is no terminal to ask (a script, a pipe)."""
    stdin = sys.stdin
    if stdin is None or sys.stdout is None or not stdin.isatty():
        return None
    try:
        answer = input(question)
    except EOFError:
        return None
    return answer.strip().lower() in ("y", "yes", "是", "确认")


def _restore(_ctx, args) -> int:
    from ..services import backups
    from ..services.context import Context

    folder = _folder(args)
    info = backups.inspect_backup(args.file)
    out("将用这个备份恢复：")
    out(f"  文件：{info.path}")
    out(f"  时间：{info.made_label}（{info.reason_label}）")
    out(f"  单位：{info.office_name}（{info.office_code}）")
    out(f"  记录：{info.counts_label}")
    try:
        ctx = Context.open(folder)
    except DatabaseDamaged:
        out(f"当前数据库已损坏；恢复前，它会被移到 {backups.backups_dir(folder)} 下的 damaged-时间 文件夹中保存。")
    except NewerSchema:
        out("当前数据库由更新版本的程序创建，本程序不能打开它；恢复前，它会原样移到 "
            f"{backups.backups_dir(folder)} 下的 newer-时间 文件夹中保存，装上新版本后还可以用它恢复。")
    else:
        try:
            now = backups.current_summary(ctx)
        finally:
            ctx.close()
        out(f"当前数据：{now.counts_label}")
        out(f"恢复前，当前数据库会先备份到 {backups.backups_dir(folder)}。")
    if not args.yes:
        answer = _confirm("确认用这个备份替换当前数据吗？输入 y 确认，其他输入取消：")
        if answer is None:
            _err("错误：没有可以确认的终端。核对上面的信息后，加 --yes 再运行以确认恢复。")
            return 1
        if not answer:
            out("已取消，数据没有改变。")
            return 1
    result = backups.restore_current_or_damaged(folder, args.file)
    out(f"已恢复：{result.restored.made_label} 的备份，{result.restored.counts_label}")
    if result.before is not None:
        out(f"恢复前的数据已备份为：{result.before.path}")
    if result.set_aside is not None:
        what = "由更新版本创建的数据库" if result.set_aside.name.startswith("newer-") else "损坏的数据库"
        out(f"{what}已移到：{result.set_aside}")
    if result.attachments_copied:
        out(f"从备份旁复制了 {result.attachments_copied} 个附件文件")
    return 0


def _check(_ctx, args) -> int:
    from ..services import backups

    folder = _folder(args)
    try:
        backups.guard_location(folder)
    except CongressError as e:
        _err(f"错误：{e.message}")
        return 1
    report = backups.check_data(folder)
    if args.json:
        out_json(report.as_json())
    else:
        for line in report.lines():
            out(line)
    return 0 if report.ok else 1
