"""The pad's modes: serving, prompt, thanks, reason, paused (+ fault shown over serving).

Rules (R1, R6 and the issue's behaviour section):
* Exactly one rating counts per prompt: the first press ends it (``prompt_end``/``rated``)
  and starts ``thanks``; presses during thanks are ``press_ignored``/``repeat``.
* A press outside any prompt still counts, with ``prompted: false``: a citizen is never
  refused (the host may flag it, R6; the pad does not judge).
* Paused (暂停服务): rating presses are logged ``press_ignored``/``paused``, never counted.
* A prompt ends by a rating, by ``prompt_timeout_s``, or cancelled (staff key again, pause,
  or a newer prompt) -- a cancelled prompt is evidence the host may need (R6 refusing).
* A host prompt's ``case`` (办件编号) and ``item`` (事项) go into its prompt and eval events.
* A five-key pad (``levels``, issue 16) rates with a level; after level 1-2 it shows the
  reasons (``reason``) instead of thanks, until a key, ``reason_s`` or a new prompt ends it
  -- never in the next citizen's way (state ``serving``, as thanks).

Every method returns the events to log as ``(type, fields)``, in order; the app writes
them to the log *before* it shows the result (contract delivery rule 1).
"""

from firmware.hal import TYPE_CHECKING

if TYPE_CHECKING:
    from firmware.pad.settings import Config

SERVING = "serving"
PROMPT = "prompt"
THANKS = "thanks"
REASON = "reason"      # a five-key pad asks why, after a bad review (firmware/pad/levels.py)
PAUSED = "paused"
FAULT = "fault"


class ModeError(Exception):
    """A host request the current mode cannot honour (answered ok:false)."""


class Modes:
    def __init__(self, dev: str, boot: int, config: "Config") -> None:
        self.dev = dev
        self.boot = boot
        self.config = config
        self.mode = SERVING
        self.svc = None        # type: str | None  # the prompt's service session
        self.case = None       # type: dict | None  # the host prompt's case and item (issue 16)
        self.until = 0         # up ms at which prompt/thanks ends
        self._n = 0            # key prompts this boot (session ids)
        self.last_rating = None  # type: str | None  # what the citizen just pressed (thanks screen)
        self.last_level = None   # type: int | None  # ... as a level, on a five-key pad
        self.last_seq = None     # type: int | None  # the seq the app logged the last eval as

    def _secs(self, key: str) -> int:
        return self.config.get(key) * 1000

    # -- citizen -----------------------------------------------------------------------

    def rate(self, rating: str, up: int, level: "int | None" = None) -> list:
        if self.mode == PAUSED:
            return [("press_ignored", {"rating": rating, "reason": "paused"})]
        if self.mode == THANKS:
            return [("press_ignored", {"rating": rating, "reason": "repeat"})]
        self.last_rating = rating
        self.last_level = level
        fields = {"rating": rating, "svc": None, "prompted": False}  # type: dict
        if level is not None:
            fields["level"] = level
        out = [("eval", fields)]
        if self.mode == PROMPT:
            fields["svc"] = self.svc
            fields["prompted"] = True
            if self.case:
                fields.update(self.case)
            out.append(("prompt_end", {"svc": self.svc, "reason": "rated"}))
            self.svc = self.case = None
        self.enter(THANKS, up, self._secs("thanks_s"))
        return out

    # -- staff and host -----------------------------------------------------------------

    def staff_short(self, up: int) -> list:
        """Staff key: ask the citizen to rate; pressed again during a prompt, cancel it."""
        if self.mode == PAUSED:
            return []
        if self.mode == PROMPT:
            return self._end_prompt("cancelled", up)
        self._n += 1
        return self._start_prompt("{}-{}-{}".format(self.dev, self.boot, self._n), "key", up)

    def host_prompt(self, svc: str, up: int, case: "dict | None" = None) -> list:
        """``case``: the command's ``case`` and ``item`` (those it carries), or None."""
        if self.mode == PAUSED:
            raise ModeError("paused: resume service before prompting")
        out = []
        if self.mode == PROMPT:
            out = self._end_prompt("cancelled", up)   # a newer session replaces it
        return out + self._start_prompt(svc, "host", up, case)

    def staff_long(self, up: int) -> list:
        return self.resume("", up) if self.mode == PAUSED else self.pause("", up)

    def pause(self, reason: str, up: int) -> list:
        if self.mode == PAUSED:
            return []
        out = self._end_prompt("cancelled", up) if self.mode == PROMPT else []
        out.append(("pause", {"reason": reason}))
        self.enter(PAUSED, up, 0)
        return out

    def resume(self, reason: str, up: int) -> list:
        if self.mode != PAUSED:
            return []
        self.enter(SERVING, up, 0)
        return [("resume", {"reason": reason})]

    # -- time ------------------------------------------------------------------------------

    def tick(self, up: int) -> list:
        if self.mode in (PROMPT, THANKS, REASON) and up >= self.until:
            if self.mode == PROMPT:
                return self._end_prompt("timeout", up)
            self.enter(SERVING, up, 0)
        return []

    # -- what is shown and reported ------------------------------------------------------

    def display_mode(self, faults: object) -> str:
        return FAULT if faults and self.mode == SERVING else self.mode

    def state_mode(self, faults: object) -> str:
        """The contract's mode: thanks (and reason) is part of serving; faults show over serving."""
        if self.mode == THANKS or self.mode == REASON:
            return FAULT if faults else SERVING
        return self.display_mode(faults)

    # -- internals -------------------------------------------------------------------------

    def _start_prompt(self, svc: str, source: str, up: int, case: "dict | None" = None) -> list:
        self.svc = svc
        self.case = case
        self.enter(PROMPT, up, self._secs("prompt_timeout_s"))
        fields = {"svc": svc, "source": source}
        if case:
            fields.update(case)
        return [("prompt", fields)]

    def _end_prompt(self, reason: str, up: int) -> list:
        svc = self.svc
        self.svc = self.case = None
        self.enter(SERVING, up, 0)
        return [("prompt_end", {"svc": svc, "reason": reason})]

    def enter(self, mode: str, up: int, duration_ms: int) -> None:
        self.mode = mode
        self.until = up + duration_ms
