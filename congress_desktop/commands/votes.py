"""votes tally/export-case/verify/list/show/log/projects/import-projects/export-results, and the
print documents of a 票决 or 测评 (print vote-attendance, ballots, vote-distribution, tally-sheet,
vote-result, vote-notice)."""

from __future__ import annotations

import json
from pathlib import Path

from congress_desktop.commands import import_failed, out, out_json
from congress_desktop.core.errors import CongressError, os_error_text


def register(sub, printers) -> None:
    v = sub.add_parser("votes", help="民生实事项目票决和满意度测评").add_subparsers(dest="action", metavar="操作",
                                                                                 required=True)
    _register_records(v)
    _register_steps(v)
    _register_printouts(printers)


def _register_records(v) -> None:
    """The record of a vote: the count from a case file, export, verify, lists, projects."""
    p = v.add_parser("tally", help="按案卷文件计票（不使用数据库，任何人都可复核）")
    p.add_argument("case", metavar="CASE.json", help="案卷文件（格式见 README）")
    p.add_argument("--json", action="store_true", help="输出 JSON")
    p.set_defaults(handler=_tally, needs_office=False, needs_data=False)

    p = v.add_parser("export-case", help="把一次表决的一轮写成案卷文件")
    p.add_argument("session", metavar="SESSION", help="表决编号（votes list 中的编号）")
    p.add_argument("file", metavar="CASE.json")
    p.add_argument("--round", type=int, help="第几轮（默认最后一轮）")
    p.set_defaults(handler=_export_case)

    p = v.add_parser("verify", help="核验计票日志的哈希链、选票记录和结果")
    p.add_argument("session", metavar="SESSION")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=_verify)

    p = v.add_parser("list", help="列出表决")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=_list)

    p = v.add_parser("show", help="一次表决的设置、出席情况、各轮状态和结果")
    p.add_argument("session", metavar="SESSION")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=_show)

    p = v.add_parser("log", help="计票日志（每条带前一条的哈希）")
    p.add_argument("session", metavar="SESSION")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=_log)

    p = v.add_parser("export-results", help="各轮计票结果导出到 .xlsx")
    p.add_argument("session", metavar="SESSION")
    p.add_argument("file", metavar="FILE.xlsx")
    p.set_defaults(handler=_export_results)

    p = v.add_parser("projects", help="列出候选项目")
    p.add_argument("--year", type=int)
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=_projects)

    p = v.add_parser("import-projects", help="从 .xlsx/.csv 导入候选项目（全部正确才写入）")
    p.add_argument("file")
    p.add_argument("--errors", metavar="FILE.xlsx", help="有错误行时把错误报告写到此文件")
    p.set_defaults(handler=_import_projects)



def _register_steps(v) -> None:
    """The steps of the window, for a script."""
    p = v.add_parser("new", help="新建票决或测评（读取全体代表名单）")
    p.add_argument("--kind", choices=["project_vote", "satisfaction"], default="project_vote")
    p.add_argument("--title", required=True, help="会议名称")
    p.add_argument("--date", default="")
    p.add_argument("--seats", type=int, default=0, help="应确定项目数 N（票决）")
    p.add_argument("--candidates", type=int, metavar="YEAR", help="列入该年度全部“正式候选”项目")
    p.add_argument("--item", action="append", default=[], help="列入一个项目或测评对象（可重复）")
    for opt, label in (("--chair", "执行主席"), ("--chief", "总监票人"), ("--scrutineers", "监票人"),
                       ("--tellers", "计票人")):
        p.add_argument(opt, default="", help=label)
    p.set_defaults(handler=_new)
    p = v.add_parser("attendance", help="点名：标记请假、缺席（按姓名）")
    p.add_argument("session", metavar="SESSION")
    p.add_argument("--leave", nargs="*", default=[], metavar="姓名")
    p.add_argument("--absent", nargs="*", default=[], metavar="姓名")
    p.add_argument("--present", nargs="*", default=[], metavar="姓名")
    p.set_defaults(handler=_attendance)
    p = v.add_parser("open", help="开始投票（实到不足三分之二时拒绝）")
    p.add_argument("session", metavar="SESSION")
    p.add_argument("--mode", choices=["single", "double", "totals"], default="single")
    p.set_defaults(handler=_open)
    p = v.add_parser("counts", help="登记本轮发出、收回票数")
    p.add_argument("session", metavar="SESSION")
    p.add_argument("--issued", type=int, required=True)
    p.add_argument("--returned", type=int, required=True)
    p.add_argument("--unsealed", type=int)
    p.set_defaults(handler=_counts)
    p = v.add_parser("enter", help="录入选票：每张一串按键（1 赞成 2 反对 3 弃权 0 未填 9 无效，* 存疑）")
    p.add_argument("session", metavar="SESSION")
    p.add_argument("ballots", nargs="*", metavar="KEYS")
    p.add_argument("--file", help="每行一张选票的文本文件")
    p.add_argument("--clerk", choices=["A", "B"], default="A")
    p.set_defaults(handler=_enter)
    for name, label, fn in (("compute", "计票", _compute), ("announce", "公布结果并锁定本轮", _announce),
                            ("revote", "开始下一轮（并列再次投票、另行投票或重新投票）", _revote)):
        p = v.add_parser(name, help=label)
        p.add_argument("session", metavar="SESSION")
        if name == "announce":
            p.add_argument("--by", default="", help="宣布人（默认执行主席）")
        p.set_defaults(handler=fn)


def _register_printouts(printers) -> None:
    docs = [("vote-attendance", "attendance", "出席情况报告单"),
            ("ballots", "ballots", "选票（无编号，每页一张或两张）"),
            ("vote-distribution", "distribution", "选票分发/收回报告单"),
            ("tally-sheet", "tally-sheet", "计票单（空白；--filled 为计票结果）"),
            ("vote-result", "result", "票决（测评）结果报告单"),
            ("vote-notice", "notice", "公告")]
    for name, doc, label in docs:
        p = printers.add_parser(name, help=label)
        p.add_argument("session", metavar="SESSION", help="表决编号")
        p.add_argument("--out", required=True, metavar="FILE.pdf")
        if doc not in ("attendance", "notice"):
            p.add_argument("--round", type=int, help="第几轮（默认最后一轮）")
        if doc == "ballots":
            p.add_argument("--copies", type=int, help="份数（默认为实到人数）")
            p.add_argument("--per-page", type=int, choices=[1, 2], default=1, help="每页印几张")
        if doc == "tally-sheet":
            p.add_argument("--filled", action="store_true", help="填入计票结果")
        p.set_defaults(handler=_print, doc=doc)


# ------------------------------------------------------------------ tally (no database)


def _tally(_ctx, args) -> int:
    from congress_desktop.votes import tally as dv

    path = Path(args.case)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise CongressError(f"找不到案卷文件：{path}") from None
    except OSError as e:
        raise CongressError(f"无法读取案卷文件 {path}：{os_error_text(e)}") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CongressError(f"案卷文件 {path.name} 不是 UTF-8 编码的文本") from None
    try:
        result = dv.tally(dv.parse_case(text))
    except dv.CaseError as e:
        raise CongressError(f"案卷文件 {path.name} 有误：{e.message}") from None
    if args.json:
        out(json.dumps(result.to_json(), ensure_ascii=False, indent=1))
        return 0
    for line in describe_result(result):
        out(line)
    return 0


def describe_result(result) -> list[str]:
    """The result as lines of text (the command line and the log viewer)."""
    from congress_desktop.votes import tally as dv

    lines = [f"{dv.KINDS[result.kind]} · 全体代表 {result.all_deputies} · 实到 {result.present} · "
             f"发出 {result.issued} · 收回 {result.returned}"
             + (f" · 应确定 {result.seats}" if result.kind == dv.PROJECT_VOTE else "")]
    lines.append(("本轮投票有效" if result.round_valid else "本轮投票无效")
                 + f"；有效票 {result.valid_ballots} 张，作废票 {result.void_ballots} 张"
                 + (f"；通过须赞成至少 {result.threshold} 票" if result.kind == dv.PROJECT_VOTE else ""))
    if result.kind == dv.PROJECT_VOTE:
        lines.append("序号\t赞成\t反对\t弃权\t未投\t无效\t过半数\t名次\t结果\t项目")
        for it in result.items:
            c = it.counts
            lines.append(f"{it.index + 1}\t{c['for']}\t{c['against']}\t{c['abstain']}\t{c['not_voted']}\t"
                         f"{c['invalid']}\t{'是' if it.passed else '否'}\t{it.rank or ''}\t{it.outcome_label}\t"
                         f"{it.name}")
    else:
        lines.append("序号\t满意\t基本满意\t不满意\t弃权\t无效\t满意率\t不满意率\t结果\t测评对象")
        for it in result.items:
            c = it.counts
            lines.append(f"{it.index + 1}\t{c['satisfied']}\t{c['basic']}\t{c['unsatisfied']}\t"
                         f"{c['abstain'] + c['not_voted']}\t{c['invalid']}\t{dv.percent(it.rate)}\t"
                         f"{dv.percent(it.unsatisfied_share)}\t{it.outcome_label}\t{it.name}")
    lines += list(result.messages)
    return lines


# ------------------------------------------------------------------ sessions


def _export_case(ctx, args) -> int:
    from congress_desktop.votes import casefile
    from congress_desktop.votes import service as svc

    sess = svc.find_session(ctx, args.session)
    path = casefile.export_case(ctx, sess.id, args.file, args.round)
    out(f"已写出案卷文件 {path}；可用 votes tally {path} 复核")
    return 0


def _verify(ctx, args) -> int:
    from congress_desktop.votes import service as svc

    sess = svc.find_session(ctx, args.session)
    res = svc.verify_session(ctx, sess.id)
    if args.json:
        out_json(res)
        return 0 if res.ok else 1
    if res.ok:
        out(f"核验通过：表决 {sess.number}“{sess.title}”计票日志共 {res.entries} 条，哈希链完整，"
            f"选票记录与日志一致，结果可复算。")
        out(f"末条哈希：{res.final_hash}")
        return 0
    out(f"核验未通过：表决 {sess.number}“{sess.title}”发现 {len(res.problems)} 处问题：")
    for p in res.problems:
        out(f"  {p}")
    return 1


def _session_json(sess) -> dict:
    return {"number": sess.number, "id": sess.id, "title": sess.title, "date": sess.date, "kind": sess.kind,
            "seats": sess.seats, "all_deputies": sess.all_deputies, "present": sess.present,
            "on_leave": sess.on_leave, "absent": sess.absent, "quorum_met": sess.quorum_met,
            "state": sess.state_label, "items": [i.name for i in sess.items],
            "rules": sess.rules.as_dict(), "chair": sess.chair, "chief_scrutineer": sess.chief_scrutineer,
            "scrutineers": list(sess.scrutineers), "tellers": list(sess.tellers),
            "rounds": [{"number": r.number, "reason": r.reason, "state": r.state, "mode": r.mode,
                        "seats": r.seats, "issued": r.issued, "returned": r.returned, "final_hash": r.final_hash}
                       for r in sess.rounds]}


def _list(ctx, args) -> int:
    from congress_desktop.votes import service as svc

    rows = svc.list_sessions(ctx)
    if args.json:
        out(json.dumps([_session_json(s) for s in rows], ensure_ascii=False, indent=1))
        return 0
    for s in rows:
        out(f"{s.number}\t{s.date}\t{s.kind_label}\t{s.title}\t实到 {s.present}/{s.all_deputies}\t{s.state_label}")
    out(f"共 {len(rows)} 次表决")
    return 0


def _show(ctx, args) -> int:
    from congress_desktop.votes import service as svc

    sess = svc.find_session(ctx, args.session)
    data = _session_json(sess)
    results = {}
    for r in sess.rounds:
        view = svc.round_view(ctx, r.id)
        if view.result is not None:
            results[r.number] = view.result
    if args.json:
        for rd in data["rounds"]:
            res = results.get(rd["number"])
            rd["result"] = res.to_json() if res is not None else None
        out(json.dumps(data, ensure_ascii=False, indent=1))
        return 0
    out(f"{sess.number}  {sess.title}  {sess.date}  {sess.kind_label}  {sess.state_label}")
    out(f"全体代表 {sess.all_deputies}，实到 {sess.present}，请假 {sess.on_leave}，缺席 {sess.absent}；"
        + svc.quorum_message(sess.all_deputies, sess.present))
    for r in sess.rounds:
        out(f"— {r.label}：{r.state_label}，发出 {r.issued}，收回 {r.returned}")
        if r.number in results:
            for line in describe_result(results[r.number]):
                out("  " + line)
    return 0


def _log(ctx, args) -> int:
    from congress_desktop.votes import service as svc

    sess = svc.find_session(ctx, args.session)
    entries = svc.log_entries(ctx, sess.id)
    if args.json:
        out_json(entries)
        return 0
    for e in entries:
        out(f"{e.seq}\t{e.at}\t{e.user}\t{e.action_label}\t{json.dumps(e.detail, ensure_ascii=False)}\t{e.hash[:12]}")
    return 0


def _export_results(ctx, args) -> int:
    from congress_desktop.votes import casefile
    from congress_desktop.votes import service as svc

    sess = svc.find_session(ctx, args.session)
    n = casefile.export_results(ctx, sess.id, args.file)
    out(f"已导出 {n} 行结果到 {args.file}")
    return 0


def _projects(ctx, args) -> int:
    from congress_desktop.votes import service as svc

    rows = svc.list_projects(ctx, year=args.year)
    if args.json:
        out_json(rows)
        return 0
    for p in rows:
        out(f"{p.year}\t{p.ballot_order}\t{p.state}\t{p.category}\t{p.investment}\t{p.name}")
    out(f"共 {len(rows)} 个项目")
    return 0


def _import_projects(ctx, args) -> int:
    from congress_desktop.votes import importing

    res = importing.import_projects(ctx, args.file)
    if res.ok:
        out(f"已导入 {res.applied} 个候选项目。")
        return 0
    return import_failed(res, f"导入失败：{len(res.errors)} 处错误，未写入任何项目。请改正后重新导入：",
                         args.errors, lambda r, path: r.save_errors(path))


def _print(ctx, args) -> int:
    from congress_desktop.votes import printing as vote_printing
    from congress_desktop.votes import service as svc

    sess = svc.find_session(ctx, args.session)
    kw = {}
    if getattr(args, "round", None):
        kw["round_number"] = args.round
    if args.doc == "ballots":
        kw.update(copies=args.copies, per_page=args.per_page)
    if args.doc == "tally-sheet" and args.filled:
        doc = "tally-filled"
    else:
        doc = args.doc
    pages = vote_printing.print_document(ctx, sess.id, doc, args.out, **kw)
    out(f"已生成 {args.out}（{pages} 页）")
    return 0


# ------------------------------------------------------------------ the steps, scripted


def _new(ctx, args) -> int:
    from congress_desktop.votes import service as svc

    items = [{"name": n} for n in args.item]
    if args.candidates:
        items = [{"project_id": p.id} for p in svc.list_projects(ctx, year=args.candidates, states=["正式候选"])] + items
    sess = svc.create_session(ctx, {"kind": args.kind, "title": args.title, "date": args.date, "seats": args.seats,
                                    "items": items, "chair": args.chair, "chief_scrutineer": args.chief,
                                    "scrutineers": args.scrutineers, "tellers": args.tellers})
    out(f"已建立表决 {sess.number}：{sess.title}，{len(sess.items)} 项，全体代表 {sess.all_deputies} 名")
    return 0


def _attendance(ctx, args) -> int:
    from congress_desktop.votes import service as svc

    sess = svc.find_session(ctx, args.session)
    by_name: dict[str, list[str]] = {}
    for a in svc.attendance(ctx, sess.id):
        by_name.setdefault(a.name, []).append(a.deputy_id)
    marks = {}
    for status, names in (("请假", args.leave), ("缺席", args.absent), ("出席", args.present)):
        for name in names:
            ids = by_name.get(name)
            if not ids:
                raise CongressError(f"“{name}”不在本次表决的代表名单中")
            if len(ids) > 1:
                raise CongressError(f"名单中有 {len(ids)} 位“{name}”，请在窗口中点名")
            marks[ids[0]] = status
    sess = svc.set_attendance(ctx, sess.id, marks)
    out(f"全体代表 {sess.all_deputies}，实到 {sess.present}，请假 {sess.on_leave}，缺席 {sess.absent}；"
        + svc.quorum_message(sess.all_deputies, sess.present))
    return 0


def _current_round(ctx, key):
    from congress_desktop.votes import service as svc

    sess = svc.find_session(ctx, key)
    if not sess.rounds:
        raise CongressError("还没有开始投票（votes open）")
    return sess, sess.rounds[-1]


def _open(ctx, args) -> int:
    from congress_desktop.votes import service as svc

    sess = svc.find_session(ctx, args.session)
    r = svc.open_vote(ctx, sess.id, args.mode)
    out(f"已开始{r.label}，实到 {r.present} 人")
    return 0


def _counts(ctx, args) -> int:
    from congress_desktop.votes import service as svc

    _sess, r = _current_round(ctx, args.session)
    r = svc.set_ballot_counts(ctx, r.id, issued=args.issued, returned=args.returned, unsealed=args.unsealed)
    out(f"发出 {r.issued} 张，收回 {r.returned} 张：" + ("本轮投票有效" if r.stands else "收回多于发出，本轮投票无效"))
    return 0


def _enter(ctx, args) -> int:
    from congress_desktop.votes import service as svc

    _sess, r = _current_round(ctx, args.session)
    stack = list(args.ballots)
    if args.file:
        stack += [line.strip() for line in Path(args.file).read_text(encoding="utf-8-sig").splitlines() if line.strip()]
    void = 0
    for keys in stack:
        e = svc.enter_ballot(ctx, r.id, args.clerk, keys.replace("*", ""), doubtful="*" in keys)
        if not e.check.valid:
            void += 1
            out(f"第 {e.position} 张：作废（{e.check.reason}）")
    out(f"已录入 {len(stack)} 张（作废 {void} 张）")
    return 0


def _compute(ctx, args) -> int:
    from congress_desktop.votes import service as svc

    _sess, r = _current_round(ctx, args.session)
    view = svc.compute_round(ctx, r.id)
    for line in describe_result(view.result):
        out(line)
    return 0


def _announce(ctx, args) -> int:
    from congress_desktop.votes import service as svc

    _sess, r = _current_round(ctx, args.session)
    view = svc.announce_round(ctx, r.id, args.by)
    out(f"{view.round.label}已公布并锁定。日志末条哈希：{view.round.final_hash}")
    return 0


def _revote(ctx, args) -> int:
    from congress_desktop.votes import service as svc

    _sess, r = _current_round(ctx, args.session)
    n = svc.start_revote(ctx, r.id)
    out(f"已开始{n.label}：{len(n.item_ids)} 个项目，应确定 {n.seats} 个")
    return 0
