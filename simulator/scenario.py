"""Scenario files (情景): the hall, the period, behaviours and incidents, written by a person.

A scenario is YAML (see ``simulator/scenarios/qingpu-hall.yaml`` for every key, with
comments). ``load(path)`` returns a validated ``Scenario`` or raises ``ScenarioError`` listing
every problem as ``file:line: key: what is wrong -- how to fix it``.

Times in a scenario are Asia/Shanghai wall times (the rules' time, R5); durations are
``"90s"``, ``"30m"``, ``"2h"``, ``"3d"`` or a number of minutes.
"""

from __future__ import annotations

import difflib
import re
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator

from host.calendar.config import DEFAULT_PLACARD  # 交警 治安 出入境 may use the work placard (R5a)
from host.clock import RULES_TZ, to_ms
from protocol import spec, topics

SCENARIO_DIR = Path(__file__).parent / "scenarios"
INCIDENT_KINDS = ("power_cut", "network_loss", "broker_restart", "stuck_button")
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d)\s*$")
_UNIT_MS = {"s": 1_000, "m": 60_000, "h": 3_600_000, "d": 86_400_000}


class ScenarioError(ValueError):
    """A scenario file that cannot be run; ``problems`` holds one line per mistake."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("scenario has {} problem{}:\n  {}".format(
            len(problems), "" if len(problems) == 1 else "s", "\n  ".join(problems)))


# -- value parsers (pydantic "before" validators) --------------------------------------

def _duration_ms(v: Any) -> int:
    if isinstance(v, bool):
        raise ValueError("a duration, e.g. 30m, 2h, 3d or 90s")
    if isinstance(v, int | float):
        return int(v * 60_000)
    m = _DURATION.match(str(v))
    if not m:
        raise ValueError(f"{v!r} is not a duration: write e.g. 90s, 30m, 2h or 3d")
    return int(float(m.group(1)) * _UNIT_MS[m.group(2)])


def _clock_span(v: Any) -> tuple[time, time]:
    try:
        a, b = (time.fromisoformat(x.strip()) for x in str(v).split("-"))
    except ValueError:
        raise ValueError(f"{v!r} is not a span of the day: write e.g. 09:00-12:00")
    if not a < b:
        raise ValueError(f"{v!r}: the span must end after it starts")
    return a, b


def _local_moment(v: Any) -> datetime:
    if isinstance(v, datetime):
        dt = v
    else:
        try:
            dt = datetime.fromisoformat(str(v).strip())
        except ValueError:
            raise ValueError(f"{v!r} is not a moment: write e.g. 2026-10-09 10:15")
    if dt.tzinfo is not None:
        raise ValueError(f"{v!r}: give the Asia/Shanghai wall time without a zone, e.g. 2026-10-09 10:15")
    return dt.replace(tzinfo=RULES_TZ)


Duration = Annotated[int, BeforeValidator(_duration_ms)]
ClockSpan = Annotated[tuple[time, time], BeforeValidator(_clock_span)]
Moment = Annotated[datetime, BeforeValidator(_local_moment)]
Share = Annotated[float, Field(ge=0, le=1)]
Rate = Annotated[float, Field(ge=0)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# -- the hall ----------------------------------------------------------------------------

class WindowSpec(_Strict):
    """One window (窗口) and its pad."""

    number: str = Field(min_length=1, max_length=16)
    name: str = Field(min_length=1, max_length=64)
    department: str = Field("", max_length=64)
    category: str = Field("general", min_length=1, max_length=32)
    device: str | None = None            # default: <hall.device_prefix>-<number in lower case>
    noon_duty_weekdays: list[Annotated[int, Field(ge=0, le=6)]] = []   # 中午值班, 0 = Monday
    saturday: list[ClockSpan] = []       # 便民窗口 Saturday service hours
    closed_weekdays: list[Annotated[int, Field(ge=0, le=6)]] = []

    @property
    def placard(self) -> bool:
        return self.category in DEFAULT_PLACARD


class Hall(_Strict):
    name: str = Field(min_length=1)
    device_prefix: str = Field("sim", pattern=r"^[a-z0-9][a-z0-9-]{0,15}$")
    # "rules": staff work the rules' working sessions (R5). "always": the demo hall, busy at
    # any hour so that a newcomer sees it move whenever they start it.
    hours: Literal["rules", "always"] = "rules"
    # The queue system (叫号系统) prompts the pad through the host's hook, with the ticket's case
    # number (办件编号) and service item (事项), instead of the staff key (issue 16).
    queue_prompts: bool = False
    windows: list[WindowSpec] = Field(min_length=1)


class Period(_Strict):
    start: date
    end: date                            # inclusive

    @model_validator(mode="after")
    def _order(self) -> Period:
        if self.end < self.start:
            raise ValueError("period.end is before period.start")
        return self


# -- behaviour -------------------------------------------------------------------------

class Behaviour(_Strict):
    """How staff and citizens at a window behave. Shares are 0..1; rates are per day or per month."""

    arrivals_per_hour: dict[Annotated[int, Field(ge=0, le=23)], Rate] | None = None
    satisfaction: Share | None = None        # share of citizens who press 满意 (five keys: level 3-5)
    bad_review_share: Share | None = None    # five keys: share of 差评 (level 1-2); overrides satisfaction
    reason_share: Share | None = None        # five keys: share of bad reviews whose citizen picks a reason
    rating_share: Share | None = None        # share of prompted citizens who press at all
    prompt: Share | None = None              # share of citizens staff prompt for (prompting habit)
    unprompted_press: Share | None = None    # share of unprompted citizens who press anyway
    service: Duration | None = None          # mean time with one citizen
    pauses_per_day: Rate | None = None       # 暂停服务 habit
    pause: Duration | None = None
    # the misbehaviours the rules exist for (R5, R6)
    forget_prompt: Share | None = None       # per citizen: staff forget to prompt (未按程序提示评价)
    cancel_prompt: Share | None = None       # per citizen: staff cancel the prompt (拒绝评议)
    press_twice: Share | None = None         # per citizen: a second rating in the session (连续评价)
    self_rate_per_day: Rate | None = None    # staff rate themselves (自我评价)
    switch_off_per_month: Rate | None = None  # staff switch the pad off in working hours (无故关闭)
    switch_off: Duration | None = None
    late_share: Share | None = None          # share of days staff switch on late
    late: Duration | None = None
    night_off: bool | None = None            # staff switch the pad off after work
    # the management side of 好差评 (issue 16; only with a ``goodbad`` section): per bad review,
    # whether it is called back (回访) / rectified (整改) within the run, and whether late
    callback_share: Share | None = None      # share of bad reviews called back
    callback_late_share: Share | None = None  # of those called back: after the due date
    rectify_share: Share | None = None       # share of bad reviews rectified
    rectify_late_share: Share | None = None  # of those rectified: after the due date

    def over(self, base: Behaviour) -> Behaviour:
        """This behaviour with unset keys taken from ``base``."""
        mine = self.model_dump(exclude_none=True)
        return base.model_copy(update=mine)


DEFAULT_BEHAVIOUR = Behaviour.model_validate(dict(   # validated like a file: durations as written
    arrivals_per_hour={8: 3, 9: 8, 10: 9, 11: 6, 13: 5, 14: 8, 15: 8, 16: 5},
    satisfaction=0.97, reason_share=0.6, rating_share=0.92, prompt=0.95, unprompted_press=0.1,
    service="6m", pauses_per_day=1.0, pause="8m",
    forget_prompt=0.0, cancel_prompt=0.0, press_twice=0.0, self_rate_per_day=0.0,
    switch_off_per_month=0.0, switch_off="30m", late_share=0.0, late="20m",
    night_off=True, callback_share=1.0, callback_late_share=0.0, rectify_share=1.0,
    rectify_late_share=0.0))


class Behaviours(_Strict):
    default: Behaviour = Behaviour()
    windows: dict[str, Behaviour] = {}       # window number -> what differs from default


# -- incidents ---------------------------------------------------------------------------

class Incident(_Strict):
    """Something that happens at ``at``: a fault the hall does not choose (R7)."""

    at: Moment
    kind: Literal["power_cut", "network_loss", "broker_restart", "stuck_button"]
    windows: list[str] | Literal["all"] = []  # window numbers, or "all"
    duration: Duration = 0
    button: Literal["satisfied", "unsatisfied", "staff"] = "satisfied"   # stuck_button only

    @model_validator(mode="after")
    def _shape(self) -> Incident:
        if self.kind == "broker_restart":
            if self.windows:
                raise ValueError("a broker_restart concerns the whole hall: leave out 'windows'")
        elif not self.windows:
            raise ValueError(f"a {self.kind} needs 'windows': a list of window numbers or all")
        if self.kind != "broker_restart" and self.duration <= 0:
            raise ValueError(f"a {self.kind} needs a 'duration', e.g. 30m or 2d")
        return self

    @property
    def at_ms(self) -> int:
        return to_ms(self.at)


class PadSettings(_Strict):
    """Settings the pads start with (the contract's ``config`` keys)."""

    heartbeat_s: Annotated[int, Field(ge=1, le=spec.MAX_SETTING)] = spec.DEFAULT_CONFIG["heartbeat_s"]
    prompt_timeout_s: Annotated[int, Field(ge=1, le=spec.MAX_SETTING)] = \
        spec.DEFAULT_CONFIG["prompt_timeout_s"]
    thanks_s: Annotated[int, Field(ge=1, le=spec.MAX_SETTING)] = spec.DEFAULT_CONFIG["thanks_s"]
    min_interval_s: Annotated[int, Field(ge=1, le=spec.MAX_SETTING)] = spec.DEFAULT_CONFIG["min_interval_s"]
    # 好差评 (issue 16): five rating keys (levels 1-5) and how long the reasons show after a
    # bad review (0: never); "two" is the 2018 rules' 满意/不满意.
    layout: Literal["two", "five"] = "two"
    reason_s: Annotated[int, Field(ge=0, le=600)] = 15


class GoodBad(_Strict):
    """好差评's management side (issue 16): the center's deadlines in working days, set in the host
    by the management section at the start (its rule settings), and the simulated management
    section calling back and rectifying bad reviews (the shares are ``behaviour``'s)."""

    callback_days: Annotated[int, Field(ge=0, le=60)] = 1     # 回访 within 1 working day
    rectify_days: Annotated[int, Field(ge=0, le=250)] = 15    # 整改 within 15 working days


class Scenario(_Strict):
    """A whole scenario file, validated."""

    hall: Hall
    period: Period
    seed: int = 1
    pads: PadSettings = PadSettings()
    behaviour: Behaviours = Behaviours()
    incidents: list[Incident] = []
    goodbad: GoodBad | None = None           # the management side of 好差评 (None: nobody handles 差评)
    source: str = ""                         # the file it came from (set by ``load``)

    @model_validator(mode="after")
    def _references(self) -> Scenario:
        numbers = [w.number for w in self.hall.windows]
        seen: set[str] = set()
        for n in numbers:
            if n in seen:
                raise ValueError(f"window number {n!r} appears twice in hall.windows")
            seen.add(n)
        devices = [self.device_of(w) for w in self.hall.windows]
        for d in devices:
            if not topics.is_device_id(d):
                raise ValueError(f"device id {d!r} is not valid: 3-32 of a-z, 0-9, '-'; "
                                 "set hall.device_prefix or the window's device")
        if len(set(devices)) != len(devices):
            raise ValueError("two windows have the same device id; give each window its own 'device'")
        for n in self.behaviour.windows:
            if n not in seen:
                raise ValueError(f"behaviour.windows names window {n!r}, which is not in hall.windows"
                                 + _suggest(n, numbers))
        for i, inc in enumerate(self.incidents):
            if isinstance(inc.windows, list):
                for n in inc.windows:
                    if n not in seen:
                        raise ValueError(f"incidents[{i}] names window {n!r}, which is not in "
                                         "hall.windows" + _suggest(n, numbers))
        return self

    # -- derived ---------------------------------------------------------------------------

    def device_of(self, w: WindowSpec) -> str:
        return w.device or f"{self.hall.device_prefix}-{w.number.lower()}"

    def behaviour_of(self, number: str) -> Behaviour:
        base = self.behaviour.default.over(DEFAULT_BEHAVIOUR)
        own = self.behaviour.windows.get(number)
        return own.over(base) if own else base

    def incident_windows(self, inc: Incident) -> list[WindowSpec]:
        if inc.windows == "all":
            return list(self.hall.windows)
        return [w for w in self.hall.windows if w.number in inc.windows]

    @property
    def start_ms(self) -> int:
        return to_ms(datetime.combine(self.period.start, time(0), tzinfo=RULES_TZ))

    @property
    def end_ms(self) -> int:
        return to_ms(datetime.combine(self.period.end + timedelta(days=1), time(0), tzinfo=RULES_TZ))

    def days(self) -> list[date]:
        n = (self.period.end - self.period.start).days + 1
        return [self.period.start + timedelta(days=i) for i in range(n)]


# -- loading with line numbers -------------------------------------------------------------

def _suggest(word: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(word, choices, n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _plain(node: yaml.Node, path: tuple, lines: dict[tuple, int]) -> Any:
    """A YAML node -> plain data, remembering the line of every key path."""
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        for k, v in node.value:
            key = _scalar(k)
            lines[(*path, key)] = k.start_mark.line + 1
            out[key] = _plain(v, (*path, key), lines)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_plain(v, (*path, i), lines) for i, v in enumerate(node.value)]
    return _scalar(node)


def _scalar(node: yaml.Node) -> Any:
    loader = yaml.SafeLoader("")
    try:
        return loader.construct_object(node, deep=True)
    finally:
        loader.dispose()


def _line(loc: tuple, lines: dict[tuple, int]) -> int | None:
    for n in range(len(loc), -1, -1):
        if loc[:n] in lines:
            return lines[loc[:n]]
    return None


def _where(loc: tuple) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (("." if out else "") + str(part))
    return out or "(top)"


_FIELDS_OF = {"hall": Hall, "period": Period, "pads": PadSettings, "behaviour": Behaviours,
              "goodbad": GoodBad}


def _known_keys(loc: tuple) -> list[str]:
    """Field names valid where an unknown key ``loc[-1]`` was written (for 'did you mean')."""
    model: Any = Scenario
    for part in loc[:-1]:
        if isinstance(part, int) or model is None:
            continue
        field = getattr(model, "model_fields", {}).get(part)
        if field is None:
            model = Behaviour if model is Behaviours else None
            continue
        ann = field.annotation
        args = getattr(ann, "__args__", ())
        model = next((a for a in (ann, *args) if isinstance(a, type) and issubclass(a, BaseModel)), None)
        if model is None:
            inner = [getattr(a, "__args__", ()) for a in args]
            model = next((x for t in inner for x in t if isinstance(x, type) and issubclass(x, BaseModel)),
                         None)
    return list(getattr(model, "model_fields", {})) if model else []


def parse(text: str, source: str = "<scenario>") -> Scenario:
    """Validate scenario text; every problem is reported with its file and line."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{source}:{mark.line + 1}" if mark else source
        raise ScenarioError([f"{where}: not valid YAML: {getattr(exc, 'problem', exc)} -- check the "
                             "indentation and quoting around that line"])
    if node is None:
        raise ScenarioError([f"{source}: the file is empty; start from simulator/scenarios/qingpu-hall.yaml"])
    lines: dict[tuple, int] = {}
    data = _plain(node, (), lines)
    if not isinstance(data, dict):
        raise ScenarioError([f"{source}:1: a scenario is a mapping with hall, period, behaviour, incidents"])
    data.pop("source", None)
    try:
        return Scenario.model_validate({**data, "source": source})
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            # pydantic names union branches in the path (e.g. "list[str]"); people never wrote those
            loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and "[" in p))
            msg = err["msg"].removeprefix("Value error, ")
            if err["type"] == "extra_forbidden":
                msg = f"unknown key {loc[-1]!r}" + _suggest(str(loc[-1]), _known_keys(loc)) + \
                    "; remove it or fix its spelling"
            elif err["type"] == "missing":
                msg = "this key is required"
            line = _line(loc, lines)
            problems.append(f"{source}:{line if line else '?'}: {_where(loc)}: {msg}")
        raise ScenarioError(problems)


def load(path: str | Path) -> Scenario:
    """Load a scenario file; a bare name like ``qingpu-hall`` looks in simulator/scenarios/."""
    p = Path(path)
    if not p.exists() and not p.suffix and (SCENARIO_DIR / f"{p.name}.yaml").exists():
        p = SCENARIO_DIR / f"{p.name}.yaml"
    if not p.exists():
        shipped = ", ".join(sorted(x.stem for x in SCENARIO_DIR.glob("*.yaml")))
        raise ScenarioError([f"{path}: no such file (shipped scenarios: {shipped})"])
    return parse(p.read_text(encoding="utf-8"), str(p))
