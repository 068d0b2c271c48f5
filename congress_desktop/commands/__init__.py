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
        if is_dataclass(v):
            return asdict(v)
        if isinstance(v, (list, tuple)):
            return [plain(x) for x in v]
        return v

    out(json.dumps(plain(value), ensure_ascii=False, indent=1, default=str))
