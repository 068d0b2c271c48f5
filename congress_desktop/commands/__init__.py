"""Subcommands of the command line, one module per noun.

Each module has ``register(sub, printers)``: ``sub`` is the top-level subparsers object, ``printers``
the subparsers of ``print``. Every leaf parser sets ``handler=function(ctx, args) -> int``; a handler
that needs no set-up office sets ``needs_office=False``; one that needs no data folder at all
``needs_data=False`` (it gets ``ctx=None``)."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict, is_dataclass

MODULES = ["office", "deputies", "grids", "sync", "votes", "visits", "backups", "duty"]


def out(text: str = "") -> None:
    """Print that survives a windowed build (no console) and a console that cannot show 汉字."""
    stream = sys.stdout
    if stream is None:
        return
    try:
        stream.write(text + "\n")
    except UnicodeEncodeError:
        stream.buffer.write((text + "\n").encode(stream.encoding or "utf-8", "replace"))


def out_json(value) -> None:
    def plain(v):
        if is_dataclass(v) and not isinstance(v, type):
            return asdict(v)
        if isinstance(v, (list, tuple)):
            return [plain(x) for x in v]
        if isinstance(v, dict):  # a dict of rows: the rows as objects too, not their repr in a string
            return {k: plain(x) for k, x in v.items()}
        return v

    out(json.dumps(plain(value), ensure_ascii=False, indent=1, default=str))


def import_failed(res, headline: str, errors_file, save_errors) -> int:
    """Report an import that found bad rows: ``headline``, every error, and the error report saved with
    ``save_errors(res, errors_file)`` when a file was named. Returns the exit code 1."""
    out(headline)
    for e in res.errors:
        out(f"  第 {e.row} 行  {e.field + '：' if e.field else ''}{e.message}")
    if errors_file:
        save_errors(res, errors_file)
        out(f"错误报告已保存到 {errors_file}")
    return 1
