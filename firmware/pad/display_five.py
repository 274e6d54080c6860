"""A five-key pad's screens (好差评, issue 16): its phrases and the three screens it draws.

Loaded by ``screen`` only on a five-key pad (``info["five"]``), so a two-key pad keeps
neither the phrases nor the code in its heap; ``scripts/build-glyphs`` renders these
characters too.  The keys run left to right 非常满意 .. 非常不满意 (``firmware/pad/levels.py``).
"""

from firmware.hal import TYPE_CHECKING
from firmware.pad import display_text as text

if TYPE_CHECKING:
    from typing import Any

# 16 px
LARGE_TEXT = {
    "why": "请选择原因",          # after 不满意/非常不满意
}
# 12 px: the levels, and the national offline reasons 服务效率, 服务水平, 服务态度, 其他 over
# the keys, left to right, then skip.
SMALL_TEXT = {
    "level5": "非常满意",
    "level4": "满意",
    "level3": "基本满意",
    "level2": "不满意",
    "level1": "非常不满意",
    "efficiency": "效率",
    "skill": "水平",
    "attitude": "态度",
    "other": "其他",
    "skip": "跳过",
}
REASON_KEYS = ("efficiency", "skill", "attitude", "other", "skip")
ENDS_Y = 38           # the prompt: the labels of the two end keys (12 px)
REASON_Y = 36         # the reasons over the keys, two characters stacked (2 x 12 px)


def draw(sc: "Any", c: object, mode: str, info: dict) -> None:
    """The middle of a five-key pad's ``prompt``, ``thanks`` or ``reason`` screen on canvas ``c``,
    with the fonts, positions and drawing of ``sc``, the ``firmware.pad.screen`` module that loads
    this one (handed over, not imported: an import back would tie the two in a circle)."""
    LARGE, SMALL, WIDTH = sc.LARGE, sc.SMALL, sc.WIDTH
    if mode == "prompt":
        sc.draw_centered(c, sc.PROMPT_Y, text.LARGE["prompt"], LARGE)
        sc.draw_text(c, 0, ENDS_Y, SMALL_TEXT["level5"], SMALL)
        s = SMALL_TEXT["level1"]
        sc.draw_text(c, WIDTH - sc.text_width(s, SMALL), ENDS_Y, s, SMALL)
    elif mode == "thanks":
        sc.draw_centered(c, sc.THANKS_Y, text.LARGE["thanks"], LARGE)
        label = SMALL_TEXT.get("level" + str(info.get("level")))
        if label:
            sc.draw_centered(c, sc.CHOSEN_Y, text.SMALL["you_chose"] + label, SMALL)
    else:                 # reason: each over its key (five columns), its characters stacked
        sc.draw_centered(c, sc.PROMPT_Y, LARGE_TEXT["why"], LARGE)
        col = WIDTH // len(REASON_KEYS)
        for i, key in enumerate(REASON_KEYS):
            y = REASON_Y
            for ch in SMALL_TEXT[key]:
                sc.draw_text(c, i * col + (col - SMALL.cjk_w) // 2, y, ch, SMALL)
                y += SMALL.height
