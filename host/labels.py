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
    "unconfigured": "未配置",
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


# Why a pad's power interval began or ended (host.ingest.liveness, host.rules.closures): the
# evidence a closure shows (R5). "will" is the broker's last will: the pad vanished.
CAUSE = {
    "birth": "评价器上线",
    "state": "评价器报告在线",
    "will": "评价器断线（连接中断）",
    "power_off": "评价器关机",
    "timeout": "评价器无心跳超时",
    "host_down": "主机停机",
    "late_start": "上班后才开启",
    "never_on": "全天未开启",
    "off": "评价器关闭",
    "no_data": "无记录",
}

# The working sessions of a day (host.rules.sessions, R5); Saturday's are numbered.
SESSION = {"morning": "上午", "noon": "午间值班", "afternoon": "下午"}


def session_name(name: str) -> str:
    if name.startswith("saturday-"):
        return f"周六第{name.partition('-')[2]}时段"
    return SESSION.get(name, name)


# Why a closure does not deduct (host.rules.types.Closure.excuse; R5 a-d, R7).
EXCUSE = {
    "placard": "R5a：持工作牌窗口，记录但不扣分",
    "host_down": "R5d：主机停机期间，且无评价器关闭的证据",
    "closed_day": "R5c：当日窗口不办公",
    "fault": "R7：信息技术科确认的评价器故障 #{ref} 期间",
    "network_outage": "R7：网络故障 #{ref}（多台评价器同时离线）",
}

# The IT repair log's problem codes (host.faults: the pad's own fault codes, protocol.spec
# FAULT_CODES, and the ones the host finds).
FAULT_CODE = {
    "button_stuck": "按键卡滞",
    "display": "显示屏故障",
    "storage": "存储故障",
    "clock": "时钟故障",
    "memory": "内存不足",
    "network": "网络故障",
    "watchdog": "程序看门狗复位",
    "other": "其他故障",
    "staff_report": "人工报修",
    "silent": "工作时间内无信号",
    "watchdog_resets": "评价器反复重启",
    "network_outage": "网络故障（多台同时离线）",
    "eval_flood": "评价次数异常（疑似刷评）",
}

# Who opened a fault (host.faults.log.SOURCES).
FAULT_SOURCE = {"pad": "评价器上报", "host": "主机检测", "staff": "人工报修"}

FAULT_STATUS = {"open": "待处理", "acknowledged": "处理中", "resolved": "已修复"}

FAULT_VERDICT = {"pad_fault": "评价器故障", "network": "网络故障", "power": "供电故障",
                 "staff_caused": "人为原因", "no_fault_found": "未发现故障"}

# Why a pad last started (protocol.spec RESET_CAUSES).
RESET_CAUSE = {
    "power_on": "通电开机",
    "watchdog": "看门狗复位（程序卡死）",
    "soft": "软件重启",
    "brownout": "电压不足复位",
    "deepsleep": "休眠唤醒",
    "hard": "复位键重启",
    "unknown": "原因不明",
}

# Where a prompt came from (protocol.spec PROMPT_SOURCES), how it ended, why a press was ignored.
PROMPT_SOURCE = {"key": "评价器按键", "host": "网页或叫号系统"}
PROMPT_END = {"rated": "已评价", "timeout": "超时未评价", "cancelled": "工作人员取消"}
IGNORE_REASON = {"paused": "暂停服务中", "repeat": "重复按键"}

# Known window categories; a category added later shows as 其他类别 with its code.
CATEGORY.update({"police_public_security": "公安治安窗口", "police_exit_entry": "公安出入境窗口"})


def category(code: str) -> str:
    return CATEGORY.get(code, f"其他类别（{code}）")


def fault_code(code: str) -> str:
    return FAULT_CODE.get(code, f"其他故障（{code}）")


def excuse(code: str | None) -> str:
    """A closure's excuse code ("placard", "fault:12", ...) in words (EXCUSE); "" when none."""
    if not code:
        return ""
    kind, _, ref = code.partition(":")
    return EXCUSE.get(kind, "{ref}").format(ref=ref or code)


# What a pad's event is (protocol.spec EVENT_TYPES), as the evidence lists them.
EVENT_TYPE = {
    "boot": "开机", "eval": "评价", "press_ignored": "按键未计入", "prompt": "提示评价",
    "prompt_end": "评价提示结束", "pause": "暂停服务", "resume": "恢复服务", "power_off": "关机",
    "fault": "故障", "fault_clear": "故障恢复", "fault_report": "报修", "cmd_result": "指令结果",
    "reason": "差评原因",
}

# Why a window has no score this month (R9) — shown wherever 不参评 is.
NOT_RATED = "不参评（R9：本月无有效评价，且标准数为 0）"

# Where a violation candidate came from (host.violations: the detector, a complaint, a patrol).
VIOLATION_SOURCE = {"detector": "系统检测", "complaint": "群众投诉", "patrol": "巡查"}

# Why a candidate was flagged (host.rules.violations REASON_*).
VIOLATION_REASON = {
    "session_without_prompt": "办结未提示评价", "prompt_cancelled": "评价提示被取消",
    "same_session": "同一业务重复评价", "same_case": "同一办件重复评价", "min_interval": "间隔过短",
    "paused": "暂停服务时评价",
    "outside_hours": "工作时间以外", "staff_entry": "工作人员录入", "button_stuck": "按键卡滞",
    "flood": "评价次数异常", "complaint": "群众投诉", "patrol": "巡查发现",
}

# What kind of day a date is (host.rules.calendar.DayKind) and a window's own marked days (R5).
DAY_KIND = {"working": "上班", "rest": "休息日", "holiday": "节假日"}
WINDOW_DAY = {"closed": "不开窗", "noon_duty": "中午值班"}
WEEKDAY = ("星期一", "星期二", "星期三", "星期四", "星期五", "星期六", "星期日")
