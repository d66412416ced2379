"""What the audit log shows a person: Chinese names of actions and fields, values as text.

Features register the labels of their own actions (``services.register_actions``); the actions
of the core (units, accounts, logins, refusals) and any a feature left out are named here.
Field keys and coded values (a role, a unit kind, an exam status) are named here too; a key
nobody named is shown as it is, never dropped.
"""

import re
from datetime import datetime
from decimal import Decimal

from ..clock import local_time

ACTION_LABELS = {
    "unit.create": "新建单位",
    "unit.update": "修改单位",
    "unit.deactivate": "停用单位",
    "unit.activate": "启用单位",
    "unit.import": "导入单位",
    "user.create": "新建账号",
    "user.update": "修改账号",
    "user.disable": "停用账号",
    "user.enable": "启用账号",
    "user.password_reset": "重置密码",
    "user.password_change": "修改本人密码",
    "user.import": "导入人员",
    "user.login": "登录",
    "access.refused": "越权访问被拒绝",
}

REFUSAL_ACTION = "access.refused"

#: field key -> what a person calls it (keys of every feature's before/after snapshots)
FIELD_LABELS = {
    # practice settings
    "practice_closed": "练习与模拟考试",
    "closed_note": "关闭时的说明",
    "open_categories": "开放练习的分类",
    # units and accounts
    "code": "编码",
    "name": "名称",
    "kind": "类型",
    "parent": "上级",
    "is_active": "启用",
    "username": "用户名",
    "role": "角色",
    "unit": "单位",
    "phone": "手机号",
    "is_enabled": "启用",
    "created": "新增",
    "unchanged": "未变",
    "skipped": "跳过",
    # the bank
    "sort_order": "排序",
    "version": "版本",
    "qtype": "题型",
    "category": "知识点",
    "difficulty": "难度",
    "stem": "题干",
    "options": "选项",
    "answer": "答案",
    "explanation": "解析",
    "source": "依据",
    "option_order": "选项顺序",
    "status": "状态",
    "count": "数量",
    "question_ids": "试题编号",
    "new_categories": "新增知识点",
    # exams and rosters
    "title": "名称",
    "instructions": "考试须知",
    "opens_at": "开始时间",
    "closes_at": "结束时间",
    "duration_minutes": "答题时长（分钟）",
    "grace_seconds": "交卷宽限（秒）",
    "shuffle_questions": "打乱题目顺序",
    "shuffle_options": "打乱选项顺序",
    "multiple_mode": "多选题计分",
    "release_mode": "成绩公布方式",
    "access_code": "考场口令",
    "ip_allowlist": "允许的地址",
    "departure_limit": "离开页面次数上限",
    "cycle": "验收年度",
    "paper_mode": "组卷方式",
    "blueprint": "组卷规则",
    "fixed": "固定试卷",
    "added": "加入人数",
    "units": "单位",
    "users": "人员",
    "issued": "已发准考证",
    "skipped_started": "已开考未重发",
    "extra_minutes": "延长时间（分钟）",
    # attempts and results
    "state": "答卷状态",
    "score": "成绩",
    "responses": "作答",
    "accepted": "接受的答案",
    "excused": "批准缺考",
    "excuse_reason": "缺考原因",
    "key": "答案",
    "version_id": "试题版本",
    "key_version_id": "更正后的答案版本",
    "items": "涉及题目数",
    "scores_changed": "成绩变动的答卷数",
    "regrade": "重新评分",
    "passed": "合格",
    "disqualified": "取消验收资格",
    "no_result": "无有效成绩",
    "correction": "更正内容",
    "standings": "验收资格变化",
    "proposed_by": "提议人",
    "proposal_reason": "提议理由",
    "ended_logins": "结束的登录",
    "findings": "发现数",
    "attempts": "答卷数",
    "review_note": "复核意见",
    "reviewed": "已复核",
    # accreditation
    "decision": "验收决定",
    "comment": "说明",
    "proposed": "系统建议",
    "reasons": "依据",
    "threshold": "合格分数线",
    "recommendation_share": "推荐比例",
    "materials_deadline": "材料截止日期",
    "sample_share": "抽查比例",
    "completion_required": "完成率要求",
    "satisfaction_required": "满意率要求",
    "street_hall_area": "街道大厅面积",
    "community_office_area": "社区办公面积",
    "street_computers": "街道计算机",
    "community_computers": "社区计算机",
    "street_cabinets": "街道文件柜",
    "community_cabinets": "社区文件柜",
    "phones": "电话",
    "community_staff": "社区专职人员",
    "inspected_on": "检查日期",
    "failed": "不合格项目",
    "values": "实测数值",
    "photo": "照片",
    "filename": "文件名",
    "file_type": "文件类型",
    "size": "大小（字节）",
    "sha256": "校验值（SHA-256）",
    "materials": "材料数",
    "application_text": "申请说明",
    "target": "目标任务数",
    "people": "人数",
    "seed": "抽样种子",
    "sample_size": "抽样人数",
    "wanted": "应抽人数",
    "listed": "名单人数",
    "list_sha256": "名单校验值",
    "recorded": "已核查",
    "rate": "完成率",
    "changes": "变动",
    "report_date": "汇报日期",
    "report_summary": "汇报摘要",
    "asked": "调查人数",
    "satisfied": "满意",
    "basically_satisfied": "基本满意",
    "dissatisfied": "不满意",
    "satisfaction_rate": "满意率",
    "questionnaire_open": "问卷开放",
    "first_opening": "首次开放",
    # refused access
    "object": "对象",
    "path": "访问地址",
    "method": "请求方式",
    "answer_status": "答复",
}

#: the object types a refusal names
OBJECT_LABELS = {
    "attempt": "答卷",
    "roster_entry": "考生名单条目",
    "exam": "考试",
    "unit": "单位",
    "user": "账号",
    "audit_entry": "操作日志",
    "accreditation_record": "验收记录",
    "recommendation": "推荐",
    "recommendation_material": "推荐材料",
    "hearing": "一听记录",
    "inspection": "二看记录",
    "onsite_check": "三查记录",
    "page": "页面",
}

#: recorded for those who query the database, not shown: names from the code, not words
HIDDEN_FIELDS = {"endpoint"}

_ISO_MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?([+-]\d{2}:\d{2}|Z)$")


def field_label(key):
    return FIELD_LABELS.get(key, key)


#: {(object type, field): {code: label}}; each feature registers the codes of its own models
#: (``register_value_labels``), so that the log stays below every feature it records
_VALUE_LABELS = {(None, "answer_status"): {"403": "拒绝（403）", "404": "按不存在答复（404）"}}

#: {field: one row of a list value as text}, e.g. an exam's blueprint, registered by its owner
_ROW_FORMATTERS = {}


def register_value_labels(object_type, field, labels):
    """Show ``field`` of ``object_type`` entries (a code) by its label."""
    _VALUE_LABELS[(object_type, field)] = labels


def register_row_formatter(field, formatter):
    """Show each row of the list ``field`` with ``formatter`` (rows joined by "；")."""
    _ROW_FORMATTERS[field] = formatter


def show_value(value, key=None, object_type=None):
    """One before/after value as text a person reads: 是/否, —, Beijing time, lists and dicts spelled out."""
    if value is None or value == "" or value == "None":  # "None": a str() of nothing, kept as text
        return "—"
    if isinstance(value, bool):
        return "是" if value else "否"
    if value in ("True", "False"):
        return "是" if value == "True" else "否"
    if key in _ROW_FORMATTERS and isinstance(value, list):
        return "；".join(_ROW_FORMATTERS[key](row) for row in value) or "—"
    if isinstance(value, dict):
        parts = [f"{field_label(k)}：{show_value(v, k, object_type)}" for k, v in value.items()]
        return "；".join(parts) or "—"
    if isinstance(value, list | tuple):
        return "、".join(show_value(v, key, object_type) for v in value) or "—"
    if isinstance(value, datetime):
        return _local(value)
    if isinstance(value, Decimal | float):
        return format(value, "f") if isinstance(value, Decimal) else str(value)
    if isinstance(value, str):
        labels = _VALUE_LABELS.get((object_type, key)) or _VALUE_LABELS.get((None, key))
        if labels and value in labels:
            return labels[value]
        if _ISO_MOMENT.match(value):
            try:
                return _local(datetime.fromisoformat(value.replace("Z", "+00:00")))
            except ValueError:
                return value
        return value
    return str(value)


def _local(moment):
    from datetime import UTC

    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return local_time(moment).strftime("%Y-%m-%d %H:%M:%S")


def change_rows(entry):
    """[(field label, before text or None, after text or None)] of an entry's before/after.

    A field only in ``after`` (a creation) has no before text, one only in ``before`` (a deletion)
    no after text."""
    before = entry.before if isinstance(entry.before, dict) else {}
    after = entry.after if isinstance(entry.after, dict) else {}
    rows = []
    keys = list(after) + [k for k in before if k not in after]
    for key in keys:
        if key in HIDDEN_FIELDS:
            continue
        old = show_value(before[key], key, entry.object_type) if key in before else None
        new = show_value(after[key], key, entry.object_type) if key in after else None
        rows.append((field_label(key), old, new))
    return rows
