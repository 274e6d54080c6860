"""The Chinese words people see for the codes kept in English inside (pages, CLI messages), taken
from the rules (rules.md) where they have one: one table, translated at the edge."""

from __future__ import annotations

ROLE = {
    "admin": "系统管理员",
    "management": "管理科",
    "it": "信息技术科",
    "patrol": "巡查人员",
    "staff": "窗口工作人员",
}

# What a pad is doing, as the hall board shows it (R5: 暂停服务 is a pause, not a closure).
STATE = {
    "serving": "服务中",
    "prompt": "待评价",
    "paused": "暂停服务",
    "offline": "离线",
    "fault": "故障",
    "unknown": "未知",
}

RATING = {"satisfied": "满意", "unsatisfied": "不满意"}

DEDUCTION = {
    "shortfall": "有效评价数不足标准数",
    "closure": "无故关闭评价器",
    "no_prompt": "未提示评价",
    "refused": "拒绝评价",
    "consecutive": "连续评价",
    "self_eval": "自行评价",
    "stuck_button": "按键卡滞误计（确认后作废该评价）",
}

VIOLATION_STATUS = {"open": "待审核", "confirmed": "已确认", "dismissed": "已驳回", "withdrawn": "已撤回"}

MONTH_STATUS = {"running": "本月进行中", "ended": "已结束（未关账）", "closed": "已关账"}

VOLUME_SOURCE = {"import": "业务系统导入", "queue": "叫号系统计数", "none": "无"}

POWER = {"on": "开启", "off": "关闭", "unknown": "主机停机（无记录）"}

CATEGORY = {"general": "一般窗口", "police_traffic": "公安交警窗口"}

COMMAND = {"prompt": "提示评价", "pause": "暂停服务", "resume": "恢复服务", "display": "显示内容",
           "update": "程序更新"}

# A pad's part in a rollout of a new program (host.releases.rollout), and the rollout itself.
UPDATE_STATE_CHINESE = {"waiting": "等待", "sent": "更新中", "ok": "已更新", "failed": "失败或已回退",
                        "skipped": "已跳过"}
ROLLOUT_STATE_CHINESE = {"running": "进行中", "stopped": "已自动停止", "done": "已完成"}

# Why the host kept a message aside (protocol.errors, host.ingest.store): 拒收 or 暂存.
REJECT_CODE = {
    "too_large": "消息超过 1024 字节",
    "not_utf8": "不是 UTF-8 文本",
    "not_json": "不是 JSON",
    "not_object": "不是 JSON 对象",
    "bad_version": "协议版本不符",
    "bad_device": "设备编号无效",
    "device_mismatch": "设备编号与主题不符",
    "bad_topic": "主题不在协议内",
    "unknown_type": "事件类型名无效",
    "missing_field": "缺少必填字段",
    "bad_field": "字段值无效",
    "conflict": "序号重复且内容不同",
    "host_error": "主机处理出错",
    "unknown_device": "评价器未登记（暂存）",
    "unassigned": "评价器当时未分配窗口（暂存）",
    "unexpected_kind": "主机不接收此类主题",
}


def state_of(online: bool | None, mode: str | None, faults: str = "") -> str:
    """The board's state key of a pad from its live status."""
    if not online:
        return "offline"
    if mode == "fault" or faults:
        return "fault"
    return mode if mode in STATE else "unknown"


COMMAND_STATUS = {
    "sent": "已发送",
    "ok": "已执行",
    "failed": "执行失败",
    "expired": "已过期",
    "unpublished": "未发出",
}


# 好差评 (issue 16, host.rules.goodbad): the five levels, the pad's reasons after a bad review,
# a bad-review case's state, the alerts, the scoring mode and its settings.
LEVEL = {5: "非常满意", 4: "满意", 3: "基本满意", 2: "不满意", 1: "非常不满意"}
BAD_REASON = {"efficiency": "服务效率", "skill": "服务水平", "attitude": "服务态度", "other": "其他"}
CASE_STATUS = {"open": "待回访", "called_back": "已回访，待整改", "rectified": "已整改，待结案",
               "closed": "已结案"}
ALERT_KIND = {"bad_review": "差评", "burst": "集中不满意"}
SCORING_MODE = {"two_level": "两级评价（满意/不满意，2018 年规则）", "five_level": "五级评价（好差评）"}
SETTING = {
    "grace_ms": "关闭宽限时间（毫秒，R5）",
    "min_interval_ms": "连续评价最短间隔（毫秒，R6）",
    "placard_categories": "可用工作牌的窗口类别（R5a）",
    "scoring_mode": "评价方式",
    "level_points": "五级评价各级分值（级别:分值）",
    "callback_working_days": "差评回访时限（工作日）",
    "rectify_working_days": "差评整改时限（工作日）",
    "burst_window_ms": "集中不满意：统计时段（毫秒）",
    "burst_min_ratings": "集中不满意：时段内至少评价次数",
    "burst_share_percent": "集中不满意：不满意占比至少（%）",
}


def level_text(level: int | None, rating: str | None) -> str:
    """An evaluation's answer as people read it: the level's word, or the two-level rating's."""
    if level is not None:
        return LEVEL.get(level, str(level))
    return RATING.get(rating or "", "—")
