"""init, demo, info."""

from __future__ import annotations

from congress_desktop.commands import out


def register(sub, printers) -> None:
    init = sub.add_parser("init", help="设置本单位信息（不提问）")
    init.add_argument("--name", required=True, help="单位名称，如 丹江口市六里坪镇人大")
    init.add_argument("--code", required=True, help="12 位统计用区划代码")
    init.add_argument("--role", required=True, choices=["town", "city"], help="town 乡镇（街道） / city 市")
    init.set_defaults(handler=_init, needs_office=False)
    demo = sub.add_parser("demo", help="在空的数据文件夹中建立演示乡镇（丹江口市六里坪镇，虚构人员）")
    demo.set_defaults(handler=_demo, needs_office=False)
    info = sub.add_parser("info", help="显示本单位、数据文件位置和记录数")
    info.set_defaults(handler=_info, needs_office=False)


def _init(ctx, args) -> int:
    from congress_desktop.core.office import setup_office

    o = setup_office(ctx, args.name, args.code, args.role)
    out(f"已设置本单位：{o.name}（{o.code}，{o.role_label}），数据文件：{ctx.db_path}")
    return 0


def _demo(ctx, args) -> int:
    from congress_desktop.demo import create_demo
    from congress_desktop.deputies.service import count_deputies

    create_demo(ctx)
    out(f"已建立演示乡镇：{ctx.office.name}，代表 {count_deputies(ctx)} 名；数据文件：{ctx.db_path}")
    return 0


def _info(ctx, args) -> int:
    from congress_desktop.deputies.service import status_counts

    o = ctx.office
    out(f"单位：{o.name}（{o.code}，{o.role_label}）" if o else "单位：尚未设置")
    out(f"数据文件：{ctx.db_path}")
    counts = status_counts(ctx)
    out("代表：" + "，".join(f"{k} {v} 名" for k, v in counts.items()) if counts else "代表：0 名")
    return 0
