"""The headless command line: ``python -m congress_desktop SUBCOMMAND`` (never imports Qt).

Every action a person can do in the window, an admin can script here. Errors print a Chinese
message and exit non-zero. The subcommands live in ``congress_desktop/commands/``, one module per noun."""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys

from congress_desktop import APP_NAME, __version__
from congress_desktop.commands import MODULES
from congress_desktop.core import paths
from congress_desktop.core.errors import CongressError, os_error_text, translate
from congress_desktop.core.logsetup import quiet_without_log_file, setup_logging

log = logging.getLogger(__name__)


# argparse's own words through gettext: the few a user sees, in Chinese (its other texts stay as they are).
_ARGPARSE_ZH = {
    "usage: ": "用法：",
    "positional arguments": "参数",
    "options": "选项",
    "optional arguments": "选项",
    "show this help message and exit": "显示本帮助并退出",
    "show program's version number and exit": "显示版本号并退出",
    "the following arguments are required: %s": "缺少必填参数：%s",
    "unrecognized arguments: %s": "无法识别的参数：%s",
    "expected one argument": "需要一个值",
    "invalid choice: %(value)r (choose from %(choices)s)": "无效的选择：%(value)r（可选：%(choices)s）",
    "invalid %(type)s value: %(value)r": "无效的值：%(value)r",
}
_gettext = argparse._  # type: ignore[attr-defined]  # argparse has no hook for its messages


def _zh(text: str) -> str:
    return _ARGPARSE_ZH.get(text, _gettext(text))


argparse._ = _zh  # type: ignore[attr-defined]


class ChineseParser(argparse.ArgumentParser):
    def error(self, message: str):  # argparse's own text is English; say what matters in Chinese
        self.print_usage(sys.stderr)
        self.exit(2, f"参数错误：{message}\n运行 {self.prog} -h 查看用法。\n")


def build_parser(prog: str = "congress-desktop") -> argparse.ArgumentParser:
    p = ChineseParser(prog=prog, description=f"{APP_NAME} 命令行（不带子命令运行 congress-desktop 打开窗口）")
    p.add_argument("--version", action="version", version=f"{APP_NAME} {__version__}")
    p.add_argument("--data-dir", metavar="DIR", help="数据文件夹（默认见 README；也可用环境变量 CONGRESS_DATA_DIR）")
    p.add_argument("--key-passphrase-file", metavar="FILE",
                   help="私钥口令文件（第一行是口令，仅本人可读）：没有终端时代替输入口令；"
                        "也可用环境变量 CONGRESS_KEY_PASSPHRASE_FILE")
    sub = p.add_subparsers(dest="command", metavar="子命令", parser_class=ChineseParser)
    printers = sub.add_parser("print", help="生成 PDF").add_subparsers(dest="doc", metavar="文档", required=True)
    for name in MODULES:
        importlib.import_module(f"{__package__}.commands.{name}").register(sub, printers)
    return p


def run(args) -> int:
    from congress_desktop.core.context import Context

    if not getattr(args, "needs_data", True):  # e.g. votes tally: a file in, a result out
        return args.handler(None, args)
    ctx = Context.open(args.data_dir)
    try:
        if getattr(args, "needs_office", True):
            ctx.require_office()
        return args.handler(ctx, args)
    finally:
        ctx.close()


def _terminal_passphrase(mode: str, problem: str) -> str | None:
    """The private key's passphrase typed at the terminal (never echoed); a new one twice."""
    import getpass

    from congress_desktop.sync.keys import CHOOSE

    if problem:
        print(problem, file=sys.stderr)
    try:
        if mode != CHOOSE:
            return getpass.getpass("私钥口令：")
        for _ in range(3):
            first = getpass.getpass("请设定私钥口令（至少 8 个字符；忘记后只能重新生成密钥、重新登记）：")
            if getpass.getpass("请再输入一次：") == first:
                return first
            print("两次输入的口令不一致，请重新设定。", file=sys.stderr)
    except EOFError:
        pass
    return None


def _passphrase_sources(args) -> None:
    # set for every run: in-process callers (tests, scripts) run main() more than once
    from congress_desktop.sync import keys

    keys.use_passphrase_file(getattr(args, "key_passphrase_file", None))
    tty = sys.stdin is not None and sys.stdin.isatty()
    keys.use_passphrase_prompt(_terminal_passphrase if tty else None)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help()
        return 2
    try:
        if getattr(args, "needs_data", True):
            setup_logging(paths.log_dir(paths.data_dir(args.data_dir)), console=False)
    except OSError:
        quiet_without_log_file()  # a read-only data folder still gets its clear message from the command
    if getattr(args, "needs_data", True):
        _passphrase_sources(args)
    try:
        return run(args)
    except CongressError as e:
        shown = translate(e, _db_of(args))
        _say(shown if isinstance(shown, CongressError) else e)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `... list | head` closed the pipe: not an error of ours
        try:
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - Python flushes stdout at exit
        except OSError:
            pass
        return 0
    except Exception as e:
        told = translate(e, _db_of(args))  # a full disk, a read-only folder: said as such, in Chinese
        if isinstance(told, CongressError):
            log.warning("%s", told.message, exc_info=e)
            _say(told)
            return 1
        if isinstance(e, OSError):
            log.warning("file error", exc_info=e)
            _say(CongressError(f"无法读写 {e.filename or ''}：{os_error_text(e)}"))
            return 1
        log.exception("command failed")  # unexpected: a short line for the user, the traceback in the log
        if sys.stderr:
            print(f"操作失败，详细信息已写入日志：{e}", file=sys.stderr)
        return 1


def _db_of(args):
    """The database file a command worked on: where a storage fault of SQLite happened."""
    try:
        return paths.db_path(paths.data_dir(getattr(args, "data_dir", None)))
    except Exception:  # no data folder to name: the message names the error's own file
        return None


def _say(e: CongressError) -> None:
    if sys.stderr:
        print(f"错误：{e.message}", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
