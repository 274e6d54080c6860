"""Buttons: debounce by polling, long press, stuck buttons, and the fault-report combination.

The main loop samples the pin levels every iteration (a few ms).  Polling, not one IRQ per
edge, is what keeps a bouncing contact from flooding MicroPython's 8-entry scheduler queue;
the board's one-shot edge latch (``hal.latched()``) only rescues a tap that was shorter
than a late loop iteration.

Actions returned by ``poll`` (tuples):
    ("rate", name)                        a rating button went down (feedback at once): a
                                          two-key board's "satisfied"/"unsatisfied", a
                                          five-key board's "level5" .. "level1" (issue 16)
    ("staff_short",)                      staff key released before LONG_MS: prompt
    ("staff_long",)                       staff key released after LONG_MS: pause/resume
    ("fault_report",)                     staff key + unsatisfied (five keys: level1, 非常不满意)
                                          held COMBO_MS together
    ("power_off",)                        power key held LONG_MS
    ("stuck", name) / ("unstuck", name)   held longer than STUCK_MS (R7 fault) / released
"""

from firmware.hal import TYPE_CHECKING

if TYPE_CHECKING:
    from firmware.hal.board import Board

DEBOUNCE_MS = 20      # a level must be stable this long to count (contacts bounce < 10 ms)
LONG_MS = 2000        # staff long press: deliberate, never an accidental brush
COMBO_MS = 3000       # fault report: staff + unsatisfied, longer still (rare, deliberate)
STUCK_MS = 10000      # held > 10 s: no hand does that; the button is stuck (issue)
NOT_RATING = ("staff", "power")      # every other button rates


class Buttons:
    def __init__(self, hal: "Board") -> None:
        self.hal = hal
        self.names = hal.BUTTONS
        n = len(self.names)
        now = hal.ticks_ms()
        self.stable = [False] * n       # debounced level
        self.cand = [False] * n         # last raw level seen
        self.cand_since = [now] * n     # when the raw level last changed
        self.down_at = [now] * n        # when the debounced level went down
        self.stuck = [False] * n
        self.combo_done = False         # the current staff hold already made a combo
        self.long_done = False          # the current power hold already fired
        self.suppressed = [False] * n   # rating press swallowed by the combo
        self._last_poll = now
        self._i = {}  # type: dict[str, int]
        for i, name in enumerate(self.names):
            self._i[name] = i

    def is_down(self, name: str) -> bool:
        i = self._i.get(name)
        return i is not None and self.stable[i]

    def poll(self) -> list:
        hal = self.hal
        now = hal.ticks_ms()
        diff = hal.ticks_diff
        raw = hal.read_buttons()
        latched = hal.latched()
        late = diff(now, self._last_poll) > DEBOUNCE_MS
        self._last_poll = now
        out = []  # type: list
        for i, name in enumerate(self.names):
            level = raw[i]
            if latched[i] and late and not level and not self.stable[i]:
                # A whole tap happened while the loop was busy: count it as a press.
                self._down(i, name, now, out)
                self._up(i, name, now, out)
                self.cand[i] = False
                continue
            if level != self.cand[i]:
                self.cand[i] = level
                self.cand_since[i] = now
            if level != self.stable[i] and diff(now, self.cand_since[i]) >= DEBOUNCE_MS:
                if level:
                    self._down(i, name, now, out)
                else:
                    self._up(i, name, now, out)
            elif self.stable[i]:
                self._held(i, name, diff(now, self.down_at[i]), out)
        return out

    def _down(self, i: int, name: str, now: int, out: list) -> None:
        self.stable[i] = True
        self.down_at[i] = now
        if name not in NOT_RATING:
            if self.is_down("staff"):
                self.suppressed[i] = True    # staff is touching the pad: not a citizen's rating
            else:
                out.append(("rate", name))
        elif name == "staff":
            self.combo_done = False
        elif name == "power":
            self.long_done = False

    def _up(self, i: int, name: str, now: int, out: list) -> None:
        held = self.hal.ticks_diff(now, self.down_at[i])
        self.stable[i] = False
        self.suppressed[i] = False
        if self.stuck[i]:
            self.stuck[i] = False
            out.append(("unstuck", name))
            return
        if name == "staff" and not self.combo_done:
            out.append(("staff_long",) if held >= LONG_MS else ("staff_short",))

    def _held(self, i: int, name: str, held: int, out: list) -> None:
        if held > STUCK_MS and not self.stuck[i]:
            self.stuck[i] = True
            out.append(("stuck", name))
        if name == "power" and held >= LONG_MS and not self.long_done:
            self.long_done = True
            out.append(("power_off",))
        if name == "staff" and not self.combo_done and held >= COMBO_MS:
            j = self._i.get("unsatisfied", self._i.get("level1"))
            # unsatisfied went down while staff was held (so it was not a rating) and stays down
            if j is not None and self.stable[j] and self.suppressed[j]:
                self.combo_done = True
                out.append(("fault_report",))

    def touched(self) -> bool:
        """A hand is on a rating key (down, debounced or not, and not stuck): a restart now
        would lose the press it is making."""
        for i, name in enumerate(self.names):
            if (self.cand[i] or self.stable[i]) and not self.stuck[i] and name not in NOT_RATING:
                return True
        return False

    def stuck_names(self) -> list:
        out = []
        for i, name in enumerate(self.names):
            if self.stuck[i]:
                out.append(name)
        return out
