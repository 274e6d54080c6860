"""The pad's screen under the real MicroPython interpreter, pixel by pixel (R1, R5, R6, R7).

Every mode is drawn by firmware/pad/screen.py inside MicroPython 1.27; the expected
pixels come from glyphs.py's tables and the layout below (tests/display/pixels.py), so
a glyph one pixel off, a missing character or a stray pixel fails.  PNG snapshots of
every screen land in artifacts/display/ for a person to look at.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from host.display import preview, render
from tests.display import pixels as px

pytestmark = pytest.mark.micropython

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts" / "display"

# The layout the pad promises (rows of each band), restated here as the test's spec.
HEADER_Y, RULE_Y, LINE_Y, MAIN_Y, STATUS_Y = 0, 16, 18, 34, 52
BAND = (0, 32, 128, 20)
PROMPT_Y, KEYS_Y, THANKS_Y, CHOSEN_Y = 18, 35, 20, 38

WINDOW = "公安分局出入境"
STAFF = "张三丰"
WINDOW_BMP = render.render_name(WINDOW).bitmap
STAFF_BMP = render.render_name(STAFF, (12,), render.staff_width("1024")).bitmap

CASES: dict[str, dict] = {
    "serving": {"mode": "serving", "info": {"window": "12", "staff_id": "1024", "online": True,
                                            "buffered": 0}},
    "prompt": {"mode": "prompt", "info": {"window": "A12", "online": True}},
    "thanks": {"mode": "thanks", "info": {"window": "12", "online": False, "buffered": 3,
                                          "rating": "satisfied"}},
    "paused": {"mode": "paused", "info": {"window": "12", "staff_id": "1024", "online": True}},
    "fault": {"mode": "fault", "info": {"window": "12", "fault": "storage", "online": True,
                                        "buffered": 12345}},
    "offline-boot": {"mode": "offline-boot", "info": {}},
    "named": {"mode": "serving", "info": {"window": WINDOW, "window_bmp": WINDOW_BMP,
                                          "staff": STAFF, "staff_bmp": STAFF_BMP,
                                          "staff_id": "1024", "online": False, "buffered": 7}},
    "named-pure": {"mode": "serving", "nofb": True,
                   "info": {"window": WINDOW, "window_bmp": WINDOW_BMP, "staff": STAFF,
                            "staff_bmp": STAFF_BMP, "staff_id": "1024", "online": False,
                            "buffered": 7}},
    "long-id": {"mode": "serving", "info": {"window": "12", "staff_id": "QP-1024-ABCDEFG",
                                            "online": True}},
    "bad-bmp": {"mode": "serving", "info": {"window": WINDOW, "window_bmp": "84x12:!!notbase64",
                                            "staff_bmp": "999x12:AAAA", "online": True}},
}

# A five-key pad (issue 16): the ends of its keys on the prompt, the level chosen, the reasons.
CASES["five-prompt"] = {"mode": "prompt", "info": {"window": "12", "online": True, "five": True}}
CASES["five-thanks"] = {"mode": "thanks", "info": {"window": "12", "online": True, "rating": "unsatisfied",
                                                   "level": 1, "five": True}}
CASES["five-reason"] = {"mode": "reason", "info": {"window": "12", "online": True, "level": 2,
                                                   "five": True}}
FIVE_Y = 38

FAULT_LABELS = {"button_stuck": "按键卡住", "display": "显示故障", "storage": "存储故障",
                "clock": "时钟未校准", "memory": "内存不足", "network": "网络故障",
                "watchdog": "看门狗复位", "other": "其他故障"}
for _code in FAULT_LABELS:
    CASES["fault-" + _code] = {"mode": "fault", "info": {"fault": _code}}
CASES["fault-unknown"] = {"mode": "fault", "info": {"fault": "gremlins"}}

PROGRAM = r"""
import binascii, json
from firmware.pad import screen as S
from firmware.pad.display_canvas import Canvas

class Panel:
    def __init__(self):
        self.shows = 0
        self.last = None
    def show(self, buf):
        self.shows += 1
        self.last = bytes(buf)

cases = json.loads(CASES)
out = {}
for name in cases:
    case = cases[name]
    panel = Panel()
    scr = S.Screen(panel)
    if case.get("nofb"):
        scr.canvas = Canvas(scr.buf)
    scr.show(case["mode"], case["info"])
    pure = S.Screen(Panel())
    pure.canvas = Canvas(pure.buf)            # the plain-Python path, for comparison
    pure.draw(case["mode"], case["info"])
    out[name] = {"hex": binascii.hexlify(panel.last).decode(), "errors": scr.bmp_errors,
                 "pure_hex": binascii.hexlify(pure.buf).decode(),
                 "last_error": scr.last_error,
                 "fb": type(scr.canvas).__name__ == "FrameCanvas"}
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def screens(micropython: object) -> dict[str, dict]:
    code = "CASES = " + repr(json.dumps(CASES)) + "\n" + PROGRAM
    result = micropython.run_json(code)  # type: ignore[attr-defined]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for name, shot in result.items():
        preview.save_png(bytes.fromhex(shot["hex"]), ARTIFACTS / "{}.png".format(name))
    return result


def _lit(screens: dict, name: str) -> px.Pixels:
    return px.lit(bytes.fromhex(screens[name]["hex"]))


def _header_window_12() -> px.Pixels:
    return px.centered("窗口 12", 16, HEADER_Y) | px.rect(0, RULE_Y, 128, 1)


def _staff_1024() -> px.Pixels:
    return px.text("工号 1024", 12, 0, LINE_Y)


def test_serving_shows_window_staff_mode_and_online(screens: dict) -> None:
    want = (_header_window_12() | _staff_1024() | px.centered("正在服务", 16, MAIN_Y)
            | px.text("在线", 12, 0, STATUS_Y))
    assert _lit(screens, "serving") == want


def test_prompt_asks_to_rate_above_the_two_keys(screens: dict) -> None:
    # R1: the two keys are labelled where the citizen's hand goes.
    want = (px.centered("窗口 A12", 16, HEADER_Y) | px.rect(0, RULE_Y, 128, 1)
            | px.centered("请您评价", 16, PROMPT_Y) | px.text("满意", 16, 0, KEYS_Y)
            | px.text("不满意", 16, 128 - 48, KEYS_Y))
    assert _lit(screens, "prompt") == want


def test_thanks_shows_the_choice_and_what_waits_offline(screens: dict) -> None:
    status = "待发送 3"
    want = (_header_window_12() | px.centered("谢谢您的评价", 16, THANKS_Y)
            | px.centered("您的评价:满意", 12, CHOSEN_Y) | px.text("离线", 12, 0, STATUS_Y)
            | px.text(status, 12, 128 - px.text_width(status, 12), STATUS_Y))
    assert _lit(screens, "thanks") == want


def test_paused_shows_pause_service_inverted(screens: dict) -> None:
    # Rule 2 §6.8 / R5: "暂停服务" while staff is away, unmistakable (light band, dark text).
    band = px.rect(*BAND) ^ px.centered("暂停服务", 16, MAIN_Y)
    want = _header_window_12() | _staff_1024() | band | px.text("在线", 12, 0, STATUS_Y)
    assert _lit(screens, "paused") == want


def test_fault_names_the_fault_and_asks_for_repair(screens: dict) -> None:
    # R7: the staff see which fault and that it must be reported.
    status = "待发送 12345"
    want = (_header_window_12() | px.text("存储故障", 12, 0, LINE_Y)
            | px.text("请报修", 12, 48 + 6, LINE_Y)
            | (px.rect(*BAND) ^ px.centered("评价器故障", 16, MAIN_Y))
            | px.text("在线", 12, 0, STATUS_Y)
            | px.text(status, 12, 128 - px.text_width(status, 12), STATUS_Y))
    assert _lit(screens, "fault") == want


def test_offline_boot_says_ratings_are_still_recorded(screens: dict) -> None:
    want = (px.centered("评价器", 16, HEADER_Y) | px.rect(0, RULE_Y, 128, 1)
            | px.centered("离线时评价照常记录", 12, LINE_Y) | px.centered("正在连接网络", 16, MAIN_Y)
            | px.text("离线", 12, 0, STATUS_Y))
    assert _lit(screens, "offline-boot") == want


def _named_want() -> px.Pixels:
    window = render.decode_bitmap(WINDOW_BMP)
    staff = render.decode_bitmap(STAFF_BMP)
    staff_x = px.text_width("工号 1024", 12) + 6
    status = "待发送 7"
    return (px.image(window, (128 - window.width) // 2, (16 - window.height) // 2)
            | px.rect(0, RULE_Y, 128, 1) | _staff_1024()
            | px.image(staff, staff_x, LINE_Y + (12 - staff.height) // 2)
            | px.centered("正在服务", 16, MAIN_Y) | px.text("离线", 12, 0, STATUS_Y)
            | px.text(status, 12, 128 - px.text_width(status, 12), STATUS_Y))


def test_host_rendered_names_land_pixel_exact(screens: dict) -> None:
    assert screens["named"]["fb"], "MicroPython's framebuf should be used where present"
    assert screens["named"]["errors"] == 0
    assert _lit(screens, "named") == _named_want()


def test_pure_python_drawing_matches_framebuf(screens: dict) -> None:
    # ESP32 draws through framebuf (C); ports without it through plain Python: same pixels.
    assert not screens["named-pure"]["fb"]
    assert screens["named-pure"]["hex"] == screens["named"]["hex"]
    for name, shot in screens.items():
        assert shot["pure_hex"] == shot["hex"], name


def test_a_too_long_staff_id_is_cut_with_an_ellipsis(screens: dict) -> None:
    # 48 px for the id: six ASCII cells and the 12 px "…".
    want = (_header_window_12() | px.text("工号 QP-102…", 12, 0, LINE_Y)
            | px.centered("正在服务", 16, MAIN_Y) | px.text("在线", 12, 0, STATUS_Y))
    assert _lit(screens, "long-id") == want


def test_malformed_host_bitmaps_are_counted_and_fall_back(screens: dict) -> None:
    shot = screens["bad-bmp"]
    assert shot["errors"] == 2
    assert "bitmap 999x12 does not fit 128x12" in shot["last_error"]
    # No boxes for a Chinese name the pad cannot draw: the generic word instead.
    want = (px.centered("窗口", 16, HEADER_Y) | px.rect(0, RULE_Y, 128, 1)
            | px.centered("正在服务", 16, MAIN_Y) | px.text("在线", 12, 0, STATUS_Y))
    assert _lit(screens, "bad-bmp") == want


def test_five_keys_prompt_labels_the_two_ends(screens: dict) -> None:
    want = (_header_window_12() | px.centered("请您评价", 16, PROMPT_Y) | px.text("非常满意", 12, 0, FIVE_Y)
            | px.text("非常不满意", 12, 128 - 60, FIVE_Y))
    assert _lit(screens, "five-prompt") == want


def test_five_keys_thanks_names_the_level(screens: dict) -> None:
    want = (_header_window_12() | px.centered("谢谢您的评价", 16, THANKS_Y)
            | px.centered("您的评价:非常不满意", 12, CHOSEN_Y) | px.text("在线", 12, 0, STATUS_Y))
    assert _lit(screens, "five-thanks") == want


def test_the_reason_screen_puts_each_reason_over_its_key(screens: dict) -> None:
    """服务效率, 服务水平, 服务态度, 其他 and 跳过 over the five keys, left to right (issue 16)."""
    want = _header_window_12() | px.centered("请选择原因", 16, PROMPT_Y)
    col = 128 // 5
    for i, label in enumerate(("效率", "水平", "态度", "其他", "跳过")):   # stacked: 效 over 率
        for j, ch in enumerate(label):
            want |= px.text(ch, 12, i * col + (col - 12) // 2, 36 + 12 * j)
    assert _lit(screens, "five-reason") == want


def test_snapshots_written_for_every_mode(screens: dict) -> None:
    for name in CASES:
        png = ARTIFACTS / "{}.png".format(name)
        assert png.stat().st_size > 500, png


BEHAVIOUR = r"""
import gc, json
gc.collect()
before = gc.mem_alloc()
from firmware.pad import glyphs
gc.collect()
glyph_ram = gc.mem_alloc() - before
from firmware.pad.screen import Screen

class Panel:
    def __init__(self):
        self.shows = 0
    def show(self, buf):
        self.shows += 1

panel = Panel()
scr = Screen(panel)
steps = []
steps.append(scr.show("serving", {"window": "12", "online": True, "buffered": 0}))
steps.append(scr.show("serving", {"window": "12", "online": True, "buffered": 0}))   # same
steps.append(scr.show("serving", {"window": "12", "online": True, "buffered": 1}))   # changed
steps.append(scr.show("prompt", {"window": "12", "online": True, "buffered": 1}))
scr.invalidate()
steps.append(scr.show("prompt", {"window": "12", "online": True, "buffered": 1}))     # forced

class Broken:
    def show(self, buf):
        raise OSError(19)      # ENODEV: the display stopped answering on I2C
bad = Screen(Broken())
raised = []
for _ in range(2):
    try:
        bad.show("serving", {})
    except OSError:
        raised.append(True)
try:
    scr.show("sleeping", {})
    unknown = None
except ValueError as exc:
    unknown = str(exc)
import binascii
from firmware.pad import screen as S
w, data = S.render_text("A12:", S.LARGE)
print(json.dumps({"steps": steps, "shows": panel.shows, "glyph_ram": glyph_ram,
                  "raised": len(raised), "unknown": unknown,
                  "rendered": [w, binascii.hexlify(data).decode()]}))
"""


@pytest.fixture(scope="module")
def behaviour(micropython: object) -> dict:
    return micropython.run_json(BEHAVIOUR)  # type: ignore[attr-defined,no-any-return]


def test_redraws_only_when_something_changed(behaviour: dict) -> None:
    assert behaviour["steps"] == [True, False, True, True, True]
    assert behaviour["shows"] == 4


def test_a_failing_display_is_retried_not_forgotten(behaviour: dict) -> None:
    # The first failure must not be cached as "shown": the next show() tries again.
    assert behaviour["raised"] == 2


def test_unknown_mode_is_refused_with_the_list(behaviour: dict) -> None:
    assert "sleeping" in behaviour["unknown"] and "offline-boot" in behaviour["unknown"]


def test_glyph_tables_fit_the_pads_ram_budget(behaviour: dict) -> None:
    # The running program's target is 40 KB of heap (issue 3); the glyphs may take a quarter.
    # (Frozen into the firmware image they would take none: bytes stay in flash.)
    print("glyphs.py after import under MicroPython: {} bytes of heap".format(behaviour["glyph_ram"]))
    assert 0 < behaviour["glyph_ram"] <= 10 * 1024


def test_render_text_gives_the_glyphs_side_by_side(behaviour: dict) -> None:
    w, data = behaviour["rendered"]
    data = bytes.fromhex(data)
    assert w == px.text_width("A12:", 16) == 4 * 7
    got = {(x, page * 8 + bit) for page in range(2) for x in range(w)
           for bit in range(8) if data[page * w + x] >> bit & 1}
    assert got == px.text("A12:", 16, 0, 0) and got


@pytest.mark.parametrize("code", [*FAULT_LABELS, "unknown"])
def test_every_fault_code_is_named_in_chinese(screens: dict, code: str) -> None:
    # R7: each code of the contract (spec.FAULT_CODES) has its own label; an unknown one
    # shows as "other" rather than nothing.
    label = FAULT_LABELS.get(code, FAULT_LABELS["other"])
    want = (px.centered("评价器", 16, HEADER_Y) | px.rect(0, RULE_Y, 128, 1)
            | px.text(label, 12, 0, LINE_Y)
            | px.text("请报修", 12, px.text_width(label, 12) + 6, LINE_Y)
            | (px.rect(*BAND) ^ px.centered("评价器故障", 16, MAIN_Y)))
    assert _lit(screens, "fault-" + code) == want


def test_fault_labels_cover_the_contract() -> None:
    from protocol import spec

    assert set(FAULT_LABELS) == set(spec.FAULT_CODES)
