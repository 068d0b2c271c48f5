"""What an import or an export says in Chinese about a package, a value refused, a disk full."""

from __future__ import annotations

from congress_desktop.core.context import (
    Context,
)
from congress_desktop.sync import apply as sync_apply
from congress_desktop.sync.checks import ValueRefused
from congress_desktop.sync.labels import TABLE_LABELS, field_label


def after_import_warning(ctx: Context, e: Exception) -> str:
    import shutil

    try:
        free = shutil.disk_usage(ctx.data_dir).free
    except OSError:
        free = -1
    where = f"（剩余 {free / 1024**2:.0f} MB）" if free >= 0 else ""
    return (f"数据已导入并已写回执，但随后整理数据库文件时出错：{getattr(e, 'orig', e)}。数据所在磁盘{ctx.data_dir}"
            f"可能空间不足{where}：请清理出空间，程序下次打开数据库时会自动完成整理")


def applied_message(result: sync_apply.ApplyResult, stream: sync_apply.Stream) -> str:
    msg = f"已导入：写入 {result.applied} 条记录"
    if result.unchanged:
        msg += f"，{result.unchanged} 条与本机相同"
    if result.older:
        msg += f"，{result.older} 条比本机旧已忽略"
    if result.superseded:
        msg += f"，{result.superseded} 条是对方恢复备份后重新修改的，已采用对方现在的内容（原内容留存备查）"
    if result.quarantined:
        msg += f"，{result.quarantined} 条有冲突已隔离待查"
    if stream.stale:
        msg = ("这是对方恢复备份之前导出的数据包：只补入了本机没有的记录，对方现在的数据不受影响。" + msg)
    kept = {k.why for k in result.kept}
    if kept & {"only_here", "newer_here"}:
        n = sum(1 for k in result.kept if k.why in ("only_here", "newer_here"))
        msg += f"。本机保存着对方 {n} 条对方已没有（或比对方新）的记录，已保留并在回执中告知对方"
    return msg


def value_message(e: ValueRefused, *, ours: bool = False) -> str:
    d = e.details
    table = TABLE_LABELS.get(d.get("table", ""), d.get("table", ""))
    field_name = field_label(d.get("table", ""), d.get("column", "")) if d.get("column") else ""
    record = f"“{d['label']}”" if d.get("label") else ""
    rid = f"（编号 {d['record']}）" if d.get("record") else ""
    what = f"{table}{record}{rid}的“{field_name}”{d.get('reason', '取值不对')}"
    if ours:  # found at the export: our own record, which the receiver would refuse
        return f"本单位的{what}，对方会拒收整个数据包，所以没有导出。请先修改这条记录再导出"
    return f"{what}，整个数据包未导入，本机数据未改变。请对方修改这条记录后重新导出"


