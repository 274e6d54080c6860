"""Every fixed phrase the pad's display can show (显示文字), by glyph size.

MicroPython has no CJK font, so ``scripts/build-glyphs`` pre-renders exactly the
characters used here (plus ASCII) into ``glyphs.py``.  Add a phrase here, rerun
``scripts/build-glyphs``, and commit both files; a test fails if they disagree.
Names that no fixed phrase covers (window, staff) come from the host as bitmaps.
"""

# 16 px: what a citizen must read from a distance (the mode, the rating keys).
LARGE = {
    "serving": "正在服务",
    "prompt": "请您评价",            # R6: the prompt the staff key / host asks for
    "thanks": "谢谢您的评价",
    "paused": "暂停服务",            # rule 2 §6.8: the display state while staff is away (R5)
    "fault": "评价器故障",            # R7
    "boot": "正在连接网络",
    "satisfied": "满意",             # R1
    "unsatisfied": "不满意",          # R1
    "window": "窗口",
    "pad": "评价器",
}

# 12 px: labels and the status bar.
SMALL = {
    "staff_id": "工号",
    "online": "在线",
    "offline": "离线",
    "buffered": "待发送",
    "report": "请报修",
    "offline_ok": "离线时评价照常记录",
    "satisfied": "满意",
    "unsatisfied": "不满意",
    "you_chose": "您的评价:",
}
# A five-key pad's phrases (issue 16) are in display_five.py: only a five-key pad loads them.

# 12 px: what each fault code of the contract means to the staff (R7).
FAULTS = {
    "button_stuck": "按键卡住",
    "display": "显示故障",
    "storage": "存储故障",
    "clock": "时钟未校准",
    "memory": "内存不足",
    "network": "网络故障",
    "watchdog": "看门狗复位",
    "other": "其他故障",
}

# ASCII drawn from the font: every printable character at 12 px; at 16 px what window
# numbers and the fallback header need.
ASCII_SMALL = "".join(chr(c) for c in range(32, 127))
ASCII_LARGE = " 0123456789-#:/.ABCDEFGHIJKLMNOPQRSTUVWXYZ"
ELLIPSIS = "…"  # drawn when a name is too wide; included in both sizes
