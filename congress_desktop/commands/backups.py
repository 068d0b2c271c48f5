"""backup [--to DIR], backups list / set-passphrase, restore FILE [--yes], check: the data's safety from the
command line. Stick backups are encrypted under the office's passphrase, typed at the terminal
(getpass) or read from ``--passphrase-file`` (scripts); it is never stored."""

from __future__ import annotations

import getpass
import sys
from pathlib import Path

from congress_desktop.commands import out, out_json
from congress_desktop.core import paths
from congress_desktop.core.errors import CongressError, DatabaseDamaged, NewerSchema, PassphraseNeeded

PASSPHRASE_FILE_HELP = "从这个文件读取U盘备份口令（文件中只写口令一行；供脚本使用，用后请删除该文件）"


def register(sub, printers) -> None:
    p = sub.add_parser("backup", help="立即备份数据库（默认到数据文件夹的 backups；--to 备份到U盘等任意文件夹）")
    p.add_argument("--to", metavar="DIR", help="加密备份到这个文件夹（如U盘），附件文件一并加密复制；需要U盘备份口令")
    p.add_argument("--passphrase-file", metavar="FILE", help=PASSPHRASE_FILE_HELP)
    p.set_defaults(handler=_backup, needs_office=False)

    b = sub.add_parser("backups", help="自动备份").add_subparsers(dest="action", metavar="操作", required=True)
    p = b.add_parser("list", help="列出备份：时间、原因、大小、记录数")
    p.add_argument("--dir", metavar="DIR", help="列出这个文件夹（如U盘）中的备份，默认为自动备份文件夹")
    p.add_argument("--json", action="store_true", help="输出 JSON")
    p.set_defaults(handler=_list, needs_data=False)
    p = b.add_parser("set-passphrase", help="设置或更改U盘备份口令（以前的U盘备份仍用旧口令打开）")
    p.add_argument("--passphrase-file", metavar="FILE", help=PASSPHRASE_FILE_HELP)
    p.set_defaults(handler=_set_passphrase, needs_office=False)

    p = sub.add_parser("restore", help="用备份文件恢复数据库（当前数据库先自动备份；需确认）")
    p.add_argument("file", metavar="FILE", help="备份文件（U盘上的加密备份 .cdbak，或自动备份 .sqlite3）")
    p.add_argument("--yes", action="store_true", help="不再询问，直接恢复（脚本中使用）")
    p.add_argument("--passphrase-file", metavar="FILE", help=PASSPHRASE_FILE_HELP)
    p.set_defaults(handler=_restore, needs_data=False)

    p = sub.add_parser("check", help="检查数据库和附件是否完好（有问题时退出码为 1）")
    p.add_argument("--json", action="store_true", help="输出 JSON")
    p.add_argument("--hold", action="store_true",
                   help="把内容无法识别的收到的记录转为待核查（原样留存在 sync quarantine 中），然后再检查一遍")
    p.set_defaults(handler=_check, needs_data=False)


def _folder(args) -> Path:
    """These commands open the data folder themselves: they must work when the database is damaged."""
    from congress_desktop.core.logsetup import quiet_without_log_file, setup_logging

    folder = paths.data_dir(args.data_dir)
    try:
        setup_logging(paths.log_dir(folder), console=False)
    except OSError:
        quiet_without_log_file()
    return folder


def _err(text: str) -> None:
    if sys.stderr is not None:
        print(text, file=sys.stderr)


def _has_terminal() -> bool:
    stdin = sys.stdin
    return stdin is not None and sys.stdout is not None and stdin.isatty()


def ask_secret(prompt: str) -> str:
    """Read a passphrase at the terminal without showing it. Tests replace this."""
    return getpass.getpass(prompt)


def _read_passphrase_file(name: str) -> str:
    try:
        text = Path(name).read_text(encoding="utf-8-sig")
    except OSError as e:
        raise CongressError(f"无法读取口令文件 {name}：{e.strerror or e}") from e
    except UnicodeDecodeError as e:
        raise CongressError(f"口令文件 {name} 不是 UTF-8 文本，请用记事本另存为 UTF-8 后再试") from e
    lines = text.splitlines()
    passphrase = lines[0] if lines else ""
    if not passphrase:
        raise CongressError(f"口令文件 {name} 的第一行是空的：请把口令写在第一行")
    return passphrase


def _passphrase(args, prompt: str) -> str:
    """The passphrase from --passphrase-file, else typed at the terminal; an error when neither can be."""
    if getattr(args, "passphrase_file", None):
        return _read_passphrase_file(args.passphrase_file)
    if not _has_terminal():
        raise PassphraseNeeded("需要U盘备份口令，但没有可以输入口令的终端。"
                               "请用 --passphrase-file 文件 给出口令（文件中只写口令一行）。")
    try:
        return ask_secret(prompt)
    except EOFError:
        raise PassphraseNeeded("没有读到口令：已取消") from None


def _backup(ctx, args) -> int:
    from congress_desktop.backups import service as backups
    from congress_desktop.backups import stick as stick_backups

    if args.to:
        if not stick_backups.passphrase_is_set(ctx):
            raise PassphraseNeeded("尚未设置U盘备份口令。请先运行 congress-desktop backups set-passphrase 设置，"
                                   "再备份到U盘。")
        made = backups.backup_to_folder(ctx, args.to, passphrase=_passphrase(args, "U盘备份口令："))
        info = made.info
        out(f"已加密备份到：{info.path}")
        out(f"  {info.made_label}，{info.size_label}，{info.counts_label}；完整性检查通过")
        out(f"  附件：U盘上共 {made.attachments_total} 个（本次新写入 {made.attachments_written} 个），已加密")
        if made.plain_left:
            out(f"注意：{args.to} 中还有 {made.plain_left} 个以前未加密的备份（.sqlite3 文件和 congress-attachments "
                "文件夹）。U盘丢失时它们会泄露数据；确认新的加密备份可用后，请删除它们。")
        return 0
    info = backups.backup_before(ctx, "manual")
    out(f"已备份：{info.path}")
    out(f"  {info.made_label}，{info.size_label}，{info.counts_label}；完整性检查通过")
    return 0


def _set_passphrase(ctx, args) -> int:
    from congress_desktop.backups import stick

    changing = stick.passphrase_is_set(ctx)
    if args.passphrase_file:
        passphrase = _read_passphrase_file(args.passphrase_file)
        again = passphrase
    else:
        if not _has_terminal():
            raise PassphraseNeeded("没有可以输入口令的终端。请用 --passphrase-file 文件 给出新口令。")
        out(f"请设置U盘备份口令（至少 {stick.MIN_LENGTH} 个字符）。{stick.FORGOTTEN}")
        try:
            passphrase = ask_secret("新口令：")
            again = ask_secret("再输入一次：")
        except EOFError:
            raise PassphraseNeeded("没有读到口令：已取消，口令没有改变") from None
    stick.set_passphrase(ctx, passphrase, again)
    if changing:
        out("U盘备份口令已更改。以后的U盘备份用新口令；以前的U盘备份仍要用当时的旧口令打开，请把旧口令也保存好。")
    else:
        out("U盘备份口令已设置。每次备份到U盘和从U盘恢复时都要输入它。")
    out("请把口令写在纸上，与单位公章放在一起保管：忘记口令，U盘备份就无法打开。")
    return 0


def _list(_ctx, args) -> int:
    from congress_desktop.backups import service as backups
    from congress_desktop.core.store.backup_files import list_backups

    folder = Path(args.dir) if args.dir else backups.backups_dir(_folder(args))
    rows = backups.list_folder_backups(folder) if args.dir else list_backups(folder)
    if args.json:
        out_json([r.as_json() | {"path": str(r.path)} for r in rows])
        return 0
    if not rows:
        out(f"{folder} 中没有备份")
        return 0
    out(f"{folder} 中的备份（{len(rows)} 个，最新的在前）：")
    for r in rows:
        out(f"{r.made_label}  {r.reason_label + ('（加密）' if r.encrypted else ''):<8}  {r.size_label:>9}  "
            f"{r.counts_label}")
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
    from congress_desktop.backups import service as backups
    from congress_desktop.backups import stick as stick_backups
    from congress_desktop.core.context import Context

    folder = _folder(args)
    info = backups.inspect_backup(args.file)
    out("将用这个备份恢复：")
    out(f"  文件：{info.path}")
    out(f"  时间：{info.made_label}（{info.reason_label}）")
    out(f"  单位：{info.office_name}（{info.office_code}）")
    out(f"  记录：{info.counts_label}")
    passphrase = None
    if info.encrypted:
        out("  这是加密的U盘备份：需要U盘备份口令（做这个备份时的口令）。")
        passphrase = _passphrase(args, "U盘备份口令：")
        stick_backups.check_backup_passphrase(args.file, passphrase)  # a wrong one is refused before asking
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
    result = backups.restore_current_or_damaged(folder, args.file, passphrase=passphrase)
    out(f"已恢复：{result.restored.made_label} 的备份，{result.restored.counts_label}")
    if result.before is not None:
        out(f"恢复前的数据已备份为：{result.before.path}")
    if result.set_aside is not None:
        what = "由更新版本创建的数据库" if result.set_aside.name.startswith("newer-") else "损坏的数据库"
        out(f"{what}已移到：{result.set_aside}")
    if result.attachments_copied:
        out(f"从备份旁复制了 {result.attachments_copied} 个附件文件")
    if result.attachments_missing:
        out(f"注意：有 {result.attachments_missing} 个附件文件本机没有，备份旁也没有找到（或校验不通过）；"
            "运行 congress-desktop check 可以列出它们")
    return 0


def _check(_ctx, args) -> int:
    from congress_desktop.backups import service as backups
    from congress_desktop.core.opening import guard_location

    folder = _folder(args)
    try:
        guard_location(folder)
    except CongressError as e:
        _err(f"错误：{e.message}")
        return 1
    if args.hold:
        from congress_desktop.backups.values import hold_bad_received
        from congress_desktop.core.context import Context

        ctx = Context.open(folder)
        try:
            n = hold_bad_received(ctx)
        finally:
            ctx.close()
        out(f"已把 {n} 条内容无法识别的收到的记录转为待核查（sync quarantine 可查看原样内容）。" if n
            else "没有需要转为待核查的收到的记录。")
    report = backups.check_data(folder)
    if args.json:
        out_json(report.as_json())
    else:
        for line in report.lines():
            out(line)
    return 0 if report.ok else 1
