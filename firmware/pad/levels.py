"""A five-key pad (好差评, issue 16): levels, and the reasons after a bad review.

Loaded only when the identity's ``layout`` is "five" (a two-key pad never pays for it).
The board's rating keys are "level5" .. "level1", left to right: 非常满意, 满意, 基本满意,
不满意, 非常不满意.  A press is an eval with its level and the rating it means (3-5
satisfied, 1-2 unsatisfied: the contract's rule).  After level 1-2 the screen shows the
national offline reasons over the keys, left to right 服务效率, 服务水平, 服务态度, 其他,
and 跳过 (skip) on the fifth: a press there logs a ``reason`` event naming the eval (``of``),
then thanks.  ``reason_s`` of the identity (default 15 s), skip, a new prompt or pause end
the reason screen without an event, so it never stands in the next citizen's way.
"""

from firmware.hal import TYPE_CHECKING
from firmware.pad.modes import REASON, SERVING, THANKS

if TYPE_CHECKING:
    from firmware.pad.modes import Modes

REASONS = ("efficiency", "skill", "attitude", "other")   # keys left to right; the fifth skips


def press(modes: "Modes", name: str, up: int, reason_ms: int) -> list:
    """The events of a press of key ``name`` ("level1" .. "level5")."""
    n = int(name[5])
    if modes.mode == REASON:
        i = 5 - n                           # the key's place from the left
        of = modes.last_seq
        if i >= len(REASONS) or of is None:
            modes.enter(SERVING, up, 0)
            return []
        modes.enter(THANKS, up, modes.config.get("thanks_s") * 1000)
        return [("reason", {"of": of, "reasons": [REASONS[i]]})]
    out = modes.rate("satisfied" if n >= 3 else "unsatisfied", up, n)
    if n < 3 and reason_ms > 0 and out[0][0] == "eval":
        modes.enter(REASON, up, reason_ms)
    return out
