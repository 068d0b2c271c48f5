"""The Chinese names of the synced tables and columns, for the review of held-back records."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from congress_desktop.sync import engine

if TYPE_CHECKING:
    from congress_desktop.sync.rows import QuarantineRow

KEPT_REASONS = {"only_here": "本单位恢复备份后已没有这条记录", "newer_here": "对方保存的版本比本单位现在的新",
                "lost_there": "来自本单位恢复备份之前导出的数据包，本单位已没有"}


TABLE_LABELS = {
    "attachment": "附件", "eval_scheme": "考评方案", "handling_unit": "承办单位", "opinion_category": "意见类别",
    "training": "培训", "village": "村(社区)", "vote_project": "票决项目", "vote_session": "票决会议",
    "contact_point": "联系点", "deputy": "代表", "eval_period": "考评期间", "grid": "网格", "vote_item": "票决事项",
    "vote_log": "票决操作记录", "vote_round": "投票轮次", "contact_point_deputy": "联系点的代表",
    "duty_record": "履职记录", "grid_assignment": "入格安排", "training_attendee": "培训参加人员", "visit": "接待",
    "vote_attendance": "票决出席", "vote_ballot": "选票", "vote_ruling": "计票裁定", "vote_totals": "票决结果",
    "voter_rating": "选民测评", "opinion": "意见建议", "visit_deputy": "参加接待的代表", "visitor": "来访群众",
    "opinion_event": "办理记录", "opinion_meeting": "面对面",
}
_COMMON_LABELS = {"id": "记录编号", "owner_code": "所属单位", "version": "版本号", "deleted": "已删除",
                  "created_at": "创建时间", "updated_at": "修改时间", "note": "备注", "name": "名称",
                  "title": "标题", "content": "内容", "village_id": "所在村(社区)", "deputy_id": "代表",
                  "action": "操作", "active": "是否启用", "address": "地址", "all_deputies": "全体代表数",
                  "announced_at": "公布时间", "announced_by": "公布人", "at": "时间", "attendance": "出席情况",
                  "ballot_order": "选票顺序", "basic": "基本称职票数", "batch_id": "批次", "beneficiaries": "受益群众",
                  "body": "方案内容", "by": "认定人", "by_user": "操作人", "category": "类别", "chair": "执行主席",
                  "chief_scrutineer": "总监票人", "clerk": "录入员", "clerk_name": "录入员姓名", "closed": "已关闭",
                  "closed_by": "关闭人", "closed_on": "关闭日期", "code": "编码", "competent": "称职票数",
                  "contact_person": "联系人", "contact_point_id": "联系站点", "counts": "票数", "date": "日期",
                  "date_from": "起始日期", "date_to": "截止日期", "deadline": "完成时限", "detail": "详细内容",
                  "doubtful": "存疑", "end_on": "离格日期", "entered_by": "录入人", "file_name": "文件名",
                  "final_hash": "最终校验值", "from_state": "原状态", "funding": "资金来源", "grid_id": "网格",
                  "hash": "校验值", "head_count": "人数", "head_name": "负责人", "head_phone": "负责人电话",
                  "held_on": "培训日期", "hint": "说明", "hours": "学时", "households": "户数",
                  "id_number": "身份证号", "incompetent": "不称职票数", "investment": "投资（万元）",
                  "issued": "发出票数", "item_ids": "表决事项", "kind": "类型", "liaison_name": "联络员",
                  "liaison_phone": "联络员电话", "marks": "标记", "meet_on": "面对面日期", "mode": "录入方式",
                  "name_initials": "姓名首字母", "name_pinyin": "姓名拼音", "notes": "记录", "number": "编号",
                  "opinion_id": "意见建议", "organiser": "主办单位", "owner_id": "所属记录", "owner_table": "所属类别",
                  "parent_id": "上级站点", "participants": "参加人员", "period_id": "考评期间", "person": "责任人",
                  "phone": "电话", "place": "地点", "place_code": "所在村(社区)代码", "points": "分值",
                  "population": "人口", "position": "顺序", "present": "实到人数", "prev_hash": "上一条校验值",
                  "project_id": "票决项目", "rated_on": "测评日期", "reason": "原因", "reception_rule": "接待安排",
                  "record_date": "日期", "replaces_id": "更正的选票", "result": "计票结果", "returned": "收回票数",
                  "role": "角色", "round_id": "投票轮次", "rules": "表决规则", "scheme_id": "考评方案",
                  "scrutineers": "监票人", "search_text": "检索文本", "seats": "名额", "seq": "序号",
                  "session_id": "票决会议", "sha256": "文件校验值", "size": "大小", "snapshot": "结果快照",
                  "sort_order": "排序", "source": "来源", "stage": "阶段", "start_on": "入格日期", "state": "状态",
                  "status": "状态", "step_on": "日期", "tellers": "计票人", "to_state": "新状态", "topic": "主题",
                  "training_id": "培训", "unit": "实施单位", "unsealed": "拆封票数", "user": "操作人",
                  "valid": "有效票数", "village_group": "村民小组", "visit_id": "接待", "void": "无效票数",
                  "worker_name": "网格员", "worker_phone": "网格员电话", "year": "年度"}


def field_label(table: str, column: str) -> str:
    """The Chinese name of a column for the review of held-back records (the column name if none)."""
    from congress_desktop.deputies.rules import FIELD_LABELS as DEPUTY_LABELS
    from congress_desktop.visits.rows import OPINION_FIELD_LABELS as OPINION_LABELS
    from congress_desktop.visits.rows import VISIT_LABELS

    for labels in ({"deputy": DEPUTY_LABELS, "opinion": OPINION_LABELS, "visit": VISIT_LABELS}.get(table, {}),
                   _COMMON_LABELS):
        if column in labels:
            return labels[column]
    return column


def quarantine_title(row: QuarantineRow) -> str:
    """What the held-back record is, in a few words: its table and its name, title or content."""
    data = row.incoming_row or row.local_row
    text = next((str(data[k]) for k in ("name", "title", "content", "visit_date") if data.get(k)), "")
    label = TABLE_LABELS.get(row.table, row.table)
    return f"{label}：{text[:30]}" if text else f"{label}（编号 {row.record_id[:8]}…）"


def quarantine_differences(row: QuarantineRow) -> list[tuple[str, str, str]]:
    """(field, this PC's value, the received value) for every field that differs; the search keys
    each office derives itself are left out."""
    out = []
    t = engine.table_map().get(row.table)
    for col in row.incoming_row:
        if col in engine.DERIVED or col in ("id", "owner_code"):
            continue
        mine, theirs = row.local_row.get(col), row.incoming_row.get(col)
        if mine != theirs:
            kind = t.kinds[t.index(col)] if t is not None and col in t.columns else ""
            out.append((field_label(row.table, col), _shown(col, kind, mine), _shown(col, kind, theirs)))
    return out


def _shown(col: str, kind: str, value) -> str:
    if value is None:
        return ""
    if kind == "bool":
        return "是" if value else "否"
    if col.endswith("_at") and isinstance(value, str):  # stored in UTC: shown in local time, to the second
        try:
            t = dt.datetime.fromisoformat(value)
        except ValueError:
            return value
        return t.replace(tzinfo=dt.UTC).astimezone().strftime("%Y-%m-%d %H:%M:%S")
    return str(value)


