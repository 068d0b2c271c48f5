"""keys ... and sync ...: keys and enrolment, packages by USB stick, the city's towns and summary."""

from __future__ import annotations

import datetime as dt

from congress_desktop.commands import out, out_json


def register(sub, printers) -> None:
    keys = sub.add_parser("keys", help="同步密钥：生成、登记、信任包").add_subparsers(
        dest="action", metavar="操作", required=True)
    p = keys.add_parser("init", help="生成本单位的同步密钥（私钥只保存在本机）")
    p.add_argument("--replace", action="store_true", help="已有密钥时重新生成（更换电脑或密钥泄露后），之后须重新登记")
    p.set_defaults(handler=_keys_init)
    p = keys.add_parser("show", help="显示本单位密钥编号和指纹，以及已登记/信任的单位")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=_keys_show)
    p = keys.add_parser("export-enrolment", help="乡镇：导出登记文件，交市人大登记")
    p.add_argument("file")
    p.set_defaults(handler=_keys_export_enrolment)
    p = keys.add_parser("enrol", help="市：登记乡镇的登记文件（须先核对指纹）")
    p.add_argument("file")
    p.add_argument("--fingerprint", default="", help="经电话或盖章登记表核对过的指纹（32 位数字，可带空格）")
    p.add_argument("--replace", action="store_true", help="该乡镇换了电脑：吊销旧密钥，登记新密钥")
    p.set_defaults(handler=_keys_enrol)
    p = keys.add_parser("revoke", help="市：吊销某乡镇的密钥（电脑丢失、密钥泄露）")
    p.add_argument("code", help="乡镇的 12 位区划代码")
    p.add_argument("--reason", default="", help="吊销原因")
    p.set_defaults(handler=_keys_revoke)
    p = keys.add_parser("export-trust", help="市：导出信任包（市人大公钥和已登记乡镇名单），发给各乡镇")
    p.add_argument("file")
    p.set_defaults(handler=_keys_export_trust)
    p = keys.add_parser("trust", help="乡镇：导入市人大的信任包")
    p.add_argument("file")
    p.add_argument("--fingerprint", default="", help="市人大密钥登记表上的指纹（第一次信任或市人大换了密钥时必填）")
    p.add_argument("--replace", action="store_true", help="市人大更换了密钥时替换旧的")
    p.set_defaults(handler=_keys_trust)

    sync = sub.add_parser("sync", help="U盘同步：导出、导入、状态").add_subparsers(
        dest="action", metavar="操作", required=True)
    p = sync.add_parser("export", help="导出数据包到U盘或文件夹（乡镇：报市人大；市：下发各乡镇）")
    p.add_argument("--to", required=True, metavar="DIR", help="U盘或文件夹（数据包写在其中的“人大同步”文件夹）")
    p.add_argument("--town", action="append", metavar="CODE", help="市：只下发给这些乡镇（可重复）")
    p.set_defaults(handler=_sync_export)
    p = sync.add_parser("import", help="从U盘、文件夹或单个数据包导入，并写回执")
    p.add_argument("source", metavar="DIR_OR_FILE")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=_sync_import)
    p = sync.add_parser("status", help="上次导出、已确认的数据包、待上报的变更")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=_sync_status)
    p = sync.add_parser("kept", help="恢复备份后：对方仍保存、本单位已没有（或比本单位新）的记录，及本单位替对方保存的")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=_sync_kept)
    p = sync.add_parser("towns", help="市：各乡镇同步情况")
    p.add_argument("--json", action="store_true")
    p.add_argument("--quiet-days", type=int, default=30, help="超过多少天未收到数据包算“长时间未报”（默认 30）")
    p.set_defaults(handler=_sync_towns)
    p = sync.add_parser("quarantine", help="导入时因冲突被隔离、待核查的记录（本机与收到的内容对照）")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=_sync_quarantine)
    p = sync.add_parser("resolve", help="处理一条隔离的记录：采用收到的版本，或保留本机版本")
    p.add_argument("id", type=int, help="隔离记录的序号（见 sync quarantine）")
    choice = p.add_mutually_exclusive_group(required=True)
    choice.add_argument("--take", action="store_true", help="采用收到的版本")
    choice.add_argument("--keep", action="store_true", help="保留本机版本")
    p.set_defaults(handler=_sync_resolve)
    p = sync.add_parser("summary", help="市：分乡镇汇总（代表、入格率、接待、意见建议、办结率、满意率、票决）")
    p.add_argument("--from", dest="date_from", required=True, metavar="YYYY-MM-DD")
    p.add_argument("--to", dest="date_to", required=True, metavar="YYYY-MM-DD")
    p.add_argument("--xlsx", metavar="FILE.xlsx", help="同时导出为 Excel")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=_sync_summary)

    p = printers.add_parser("fingerprint-form", help="数据同步密钥登记表（盖章后交市人大核对）")
    p.add_argument("--out", required=True, metavar="FILE.pdf")
    p.add_argument("--enrolment", metavar="FILE", help="市：打印收到的登记文件的指纹（默认本单位）")
    p.set_defaults(handler=_print_form)
    p = printers.add_parser("city-summary", help="分乡镇汇总表（A4 横向）")
    p.add_argument("--from", dest="date_from", required=True, metavar="YYYY-MM-DD")
    p.add_argument("--to", dest="date_to", required=True, metavar="YYYY-MM-DD")
    p.add_argument("--out", required=True, metavar="FILE.pdf")
    p.set_defaults(handler=_print_summary)


def _local(t: dt.datetime | None) -> str:
    if t is None:
        return "从未"
    return t.replace(tzinfo=dt.UTC).astimezone().strftime("%Y-%m-%d %H:%M")


def _utc(t: dt.datetime | None) -> str | None:
    """ISO 8601 in UTC with a Z (stored times are naive UTC)."""
    return None if t is None else t.replace(tzinfo=None).isoformat(timespec="seconds") + "Z"


def _keys_init(ctx, args) -> int:
    from congress_desktop.sync import service as svc

    k = svc.init_keys(ctx, replace=args.replace)
    out(f"已生成本单位同步密钥。密钥编号 {k.key_id}")
    out(f"指纹：{k.fingerprint}")
    out(f"私钥保护方式：{k.protection}")
    if ctx.office.role == "town":
        out("下一步：keys export-enrolment 登记文件，交市人大登记（并打印密钥登记表盖章：print fingerprint-form）。")
    else:
        out("下一步：登记各乡镇（keys enrol），再导出信任包（keys export-trust）发给各乡镇。")
    return 0


def _keys_show(ctx, args) -> int:
    from congress_desktop.sync import service as svc

    k = svc.own_keys(ctx)
    peers = svc.list_peers(ctx)
    if args.json:
        out_json({"keys": None if k is None else {
                      "key_id": k.key_id, "fingerprint": k.fingerprint, "created_at": _utc(k.created_at),
                      "office_name": k.office_name, "office_code": k.office_code, "role": k.role,
                      "protection": k.protection},
                  "peers": [{"code": p.code, "name": p.name, "role": p.role, "key_id": p.key_id,
                             "fingerprint": p.fingerprint, "enrolled_at": _utc(p.enrolled_at),
                             "revoked_at": _utc(p.revoked_at), "revoke_reason": p.revoke_reason,
                             "active": p.active} for p in peers]})
        return 0
    if k is None:
        out("本单位还没有同步密钥：运行 keys init 生成。")
    else:
        out(f"本单位：{k.office_name}（{k.office_code}）")
        out(f"密钥编号：{k.key_id}    生成于 {_local(k.created_at)}")
        out(f"指纹：{k.fingerprint}")
        out(f"私钥保护方式：{k.protection}")
    label = "已登记的乡镇" if ctx.office.role == "city" else "信任的市人大"
    out(f"{label}：{len([p for p in peers if p.active])} 个")
    for p in peers:
        out(f"  {p.code}  {p.name}  {p.status_label}  指纹 {p.fingerprint}")
    return 0


def _keys_export_enrolment(ctx, args) -> int:
    from congress_desktop.sync import service as svc

    k = svc.export_enrolment(ctx, args.file)
    out(f"已导出登记文件 {args.file}")
    out(f"请把它交市人大登记，并通过电话或盖章的密钥登记表核对指纹：{k.fingerprint}")
    return 0


def _keys_enrol(ctx, args) -> int:
    from congress_desktop.sync import service as svc

    preview = svc.read_enrolment(ctx, args.file)
    out(f"登记文件：{preview.name}（{preview.code}），密钥编号 {preview.key_id}")
    out(f"指纹：{preview.fingerprint}")
    if preview.replaces and preview.current is not None:
        out(f"注意：该单位已登记另一把密钥（指纹 {preview.current.fingerprint}），登记新密钥将吊销旧的"
            + ("" if args.replace else "，须加 --replace"))
    if not args.fingerprint:
        out("请与对方电话逐组核对或对照盖章的密钥登记表核对上面的指纹，核对无误后加 --fingerprint \"指纹\" 再运行一次。")
        return 1
    p = svc.enrol_office(ctx, args.file, fingerprint=args.fingerprint, replace=args.replace)
    out(f"已登记：{p.name}（{p.code}）。请导出新的信任包（keys export-trust）发给各乡镇。")
    return 0


def _keys_revoke(ctx, args) -> int:
    from congress_desktop.sync import service as svc

    p = svc.revoke_office(ctx, args.code, args.reason)
    out(f"已吊销 {p.name}（{p.code}）的密钥 {p.key_id}：此后该密钥签发的数据包一律拒收。")
    return 0


def _keys_export_trust(ctx, args) -> int:
    from congress_desktop.sync import service as svc

    k = svc.export_trust_bundle(ctx, args.file)
    out(f"已导出信任包 {args.file}；市人大密钥指纹：{k.fingerprint}")
    return 0


def _keys_trust(ctx, args) -> int:
    from congress_desktop.sync import service as svc

    preview = svc.read_trust_bundle(ctx, args.file)
    if not preview.known and not args.fingerprint:
        out(f"信任包：{preview.city_name}（{preview.city_code}），密钥编号 {preview.key_id}")
        out(f"指纹：{preview.fingerprint}")
        if preview.current_fingerprint:
            out(f"注意：本单位现在信任的是另一把市人大密钥（指纹 {preview.current_fingerprint}），导入将替换它"
                + ("" if args.replace else "，须加 --replace"))
        out("这是一把新的市人大密钥：请对照市人大盖章的密钥登记表，或电话请市人大逐组朗读，核对无误后加 "
            "--fingerprint \"指纹\" 再运行一次。")
        return 1
    r = svc.import_trust_bundle(ctx, args.file, fingerprint=args.fingerprint, replace=args.replace)
    out(f"已导入信任包：{r.city_name}（{r.city_code}），指纹 {r.fingerprint}；已登记乡镇 {r.towns} 个。")
    if not r.me_enrolled:
        out("注意：信任包中还没有本单位当前的密钥。请确认市人大已登记本单位的登记文件，否则市人大会拒收数据包。")
    return 0


def _sync_export(ctx, args) -> int:
    from congress_desktop.sync import service as svc

    r = svc.export_packages(ctx, args.to, recipients=args.town)
    for rc in r.receipts:
        if rc.restarted:
            out(f"{rc.issuer_name} 的回执：{rc.note}。")
        elif rc.accepted:
            out(f"已读取 {rc.issuer_name} 的回执：已确认到第 {rc.confirmed_seq} 号变更。")
        elif rc.note:
            out(f"{rc.issuer_name} 的回执：{rc.note}。")
    for p in r.packages:
        out(f"已写入 {p.path}：给 {p.recipient_name}，第 {p.seq_from}–{p.seq_to} 号变更，{p.records} 条记录。")
    out("写入已校验。请在系统中“安全弹出”U盘后再拔下。")
    return 0


def _sync_import(ctx, args) -> int:
    from congress_desktop.sync import service as svc

    r = svc.import_from(ctx, args.source)
    if args.json:
        out_json(r)
        return 0 if r.ok else 1
    for rc in r.receipts:
        out(f"回执：{rc.issuer_name} 已确认到第 {rc.confirmed_seq} 号变更" + (f"（{rc.note}）" if rc.note else ""))
    if not r.packages:
        out("没有找到发给本单位的数据包。" + (f"（另有 {r.skipped_other} 个是发给其他单位的）" if r.skipped_other else ""))
    label = {"applied": "已导入", "already": "已导入过", "refused": "已拒绝"}
    for p in r.packages:
        who = f"{p.sender_name}（{p.sender}）" if p.sender else ""
        out(f"[{label[p.status]}] {p.file} {who}：{p.message}")
        if p.receipt:
            out(f"    回执已写入：{p.receipt}")
        if p.receipt_error:
            out(f"    {p.receipt_error}")
    for w in r.warnings:
        out(f"注意：{w}")
    if r.backup:
        out(f"导入前的数据库备份：{r.backup}")
    return 0 if r.ok else 1


def _sync_status(ctx, args) -> int:
    from congress_desktop.sync import service as svc

    st = svc.sync_status(ctx)
    if args.json:
        out_json(st)
        return 0
    out(f"本单位：{st.office.name}（{st.office.code}）")
    out(f"密钥：{st.keys.fingerprint if st.keys else '尚未生成（keys init）'}")
    if not st.peers:
        out("还没有可以交换数据的单位（乡镇：导入市人大信任包；市：登记乡镇）。")
    for p in st.peers:
        out(f"{p.name}（{p.code}）：上次导出 {_local(p.last_export_at)}；已确认到第 {p.confirmed_seq} 号变更"
            f"（最近回执 {_local(p.last_receipt_at)}）；待上报 {p.waiting_records} 条记录（{p.waiting_changes} 次变更）；"
            f"上次导入 {_local(p.last_import_at)}")
    if st.epoch is not None and not st.epoch.root:
        out(f"本机数据于 {_local(st.epoch.started_at)} {st.epoch.reason_label}，此后的变更重新编号"
            "（导出时会把全部记录再发一遍，对方会核对，不会重复）。")
    if st.kept_there:
        out(f"对方还保存着本单位 {st.kept_there} 条本机已没有（或比本机新）的记录，多半是恢复备份时丢失的："
            "运行 sync kept 查看，需要的请重新录入。")
    if st.kept_here:
        out(f"本机替对方保存着 {st.kept_here} 条对方已没有的记录（sync kept）。")
    if st.open_quarantine:
        out(f"有 {st.open_quarantine} 条收到的记录因冲突被隔离，待核查（sync quarantine）。")
    return 0


def _sync_kept(ctx, args) -> int:
    from congress_desktop.sync import service as svc

    rows = svc.list_kept(ctx)
    if args.json:
        out_json([{"holder": r.holder, "owner": r.owner, "table": r.table, "record_id": r.record_id,
                   "version": r.version, "why": r.why, "why_label": r.why_label, "title": r.title} for r in rows])
        return 0
    me = ctx.office.code
    mine = [r for r in rows if r.owner == me]
    theirs = [r for r in rows if r.owner != me]
    if mine:
        out(f"对方保存、本单位已没有或比本单位新的记录（{len(mine)} 条）：")
        for r in mine:
            out(f"  {r.holder}  {r.title}  第 {r.version} 版  {r.why_label}")
    if theirs:
        out(f"本单位替对方保存的记录（{len(theirs)} 条）：")
        for r in theirs:
            out(f"  {r.owner}  {r.title}  第 {r.version} 版  {r.why_label}")
    if not rows:
        out("没有。两边的数据一致（或还没有恢复过备份）。")
    return 0


def _sync_quarantine(ctx, args) -> int:
    from congress_desktop.sync import service as svc

    rows = svc.list_quarantine(ctx)
    if args.json:
        out_json([{"id": r.id, "sender": r.sender, "table": r.table, "record_id": r.record_id, "version": r.version,
                   "reason": r.reason, "at": r.at, "differences": svc.quarantine_differences(r)} for r in rows])
        return 0
    for r in rows:
        out(f"[{r.id}] {_local(r.at)}  {r.sender}  {svc.quarantine_title(r)}  第 {r.version} 版  {r.reason}")
        for label, mine, theirs in svc.quarantine_differences(r):
            out(f"      {label}：本机“{mine}”  收到“{theirs}”")
    out(f"共 {len(rows)} 条待核查" + ("（处理：sync resolve 序号 --take 或 --keep）" if rows else ""))
    return 0


def _sync_resolve(ctx, args) -> int:
    from congress_desktop.sync import service as svc

    out(svc.resolve_quarantine(ctx, args.id, take_incoming=args.take))
    return 0


def _sync_towns(ctx, args) -> int:
    from congress_desktop.sync import service as svc

    rows = svc.list_towns(ctx, quiet_days=args.quiet_days)
    if args.json:
        out_json(rows)
        return 0
    for t in rows:
        silent = f"  已 {t.days_silent} 天未报" if t.silent else ""
        out(f"{t.code}  {t.name}  {t.status}  最近数据包 {_local(t.last_package_at)}  记录 {t.records} 条"
            f"  已收到第 {t.last_seq} 号{('  ' + t.gaps) if t.gaps else ''}{silent}")
    out(f"共 {len(rows)} 个乡镇")
    return 0


def _sync_summary(ctx, args) -> int:
    from congress_desktop.sync import summary as cs

    s = cs.city_summary(ctx, args.date_from, args.date_to)
    if args.json:
        out_json(s)
    else:
        out("\t".join(h for _, h in cs.COLUMNS))
        for row in s.rows():
            out("\t".join(row))
    if args.xlsx:
        cs.export_city_summary(ctx, args.xlsx, args.date_from, args.date_to)
        out(f"已导出 {args.xlsx}")
    return 0


def _print_form(ctx, args) -> int:
    from congress_desktop.sync import report

    pages = report.print_fingerprint_form(ctx, args.out, enrolment=args.enrolment)
    out(f"已生成 {args.out}（{pages} 页）")
    return 0


def _print_summary(ctx, args) -> int:
    from congress_desktop.sync import report

    pages = report.print_city_summary(ctx, args.out, args.date_from, args.date_to)
    out(f"已生成 {args.out}（{pages} 页）")
    return 0
