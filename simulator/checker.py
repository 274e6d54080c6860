"""Compare the host's monthly report with the score the ground truth deserves, window by window.

For each window: N (valid evaluations), S (satisfied), closures that deduct, closures
excused, the final score, and the R6 candidates the host flagged against the misbehaviours
the simulator caused. Every difference is a line with both values; a reader decides whether
it is a host bug, a firmware bug, or the rules doing what they say (a Wi-Fi loss *is* a
closure to the host, not to the truth).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace
from datetime import date
from fractions import Fraction
from itertools import groupby

from rich.table import Table
from sqlmodel import Session, select

from host.calendar.hours import month_days
from host.clock import Clock, local
from host.goodbad.cases import overdue_cases
from host.labels import DEDUCTION
from host.models import Window
from host.models.goodbad import BadReview
from host.rules.goodbad import percent
from host.rules.month_span import month_span
from host.rules.score import shown
from host.scoring.national import MonthNational, month_national
from host.scoring.view import MonthView
from simulator.scenario import Scenario
from simulator.truth import Truth, TruthCase, TruthEval, TruthNational, TruthResult

MATCH_MS = 3_000     # a pad stamps a press when its debounce accepts it, a moment after the truth

# The simulator's misbehaviour tags and the R6 candidate kinds the host should flag for them.
TAG_TO_KIND = {"forget_prompt": "no_prompt", "prompt_lost": "no_prompt", "cancel_prompt": "refused",
               "press_twice": "consecutive", "self_rate": "self_eval", "phantom_press": "stuck_button"}


# The differences the checker shows on purpose (simulator/README.md "What the checker found"):
# the host rightly knows less than the truth. ``as_host_knows`` applies exactly these to the
# truth; any difference left between that and the host's report is undocumented (a bug).
# Shown to the person running the simulation (``evalpad simulate``); simulator/README.md
# "What the checker found" tells each at length.
DOCUMENTED = {
    "wifi_loss": "网络中断：主机只按它所知计算（R5），在信息技术科确认故障之前按关闭计（R7 确认后免扣）；"
                 "真实情况中评价器一直开着",
    "phantom_press": "按键卡滞：卡住的评价键按下时计一次评价（评价器无法把它与真按键区分），主机把这条评价"
                     "列为按键卡滞误计，管理科确认后作废（R7、R2）",
    "undatable_boot": "断网时开机、联网前又关机（或断网 2 小时后自行重启）的评价器在那次开机中不知道时间，"
                      "主机无法确定提示时刻：从前一次开机结束到后一次开机开始的服务不判未提示评价（R10、R6）",
}
# Which keys each documented difference may move, and how the truth says where it applies.
_DOCUMENTED_KEYS = {"wifi_loss": {"closures", "excused", "final"}, "phantom_press": {"N", "S", "final"},
                    "undatable_boot": {"no_prompt"}}
NO_PROMPT_TAGS = ("forget_prompt", "prompt_lost")


def as_host_knows(truth: Truth) -> Truth:
    """The truth with the documented differences applied: Wi-Fi losses as off, a stuck button's
    press as an evaluation. Compared with the host's report, it must agree on every key."""
    down: dict[str, list[tuple[int, int | None]]] = {}
    for n in sorted(truth.notes, key=lambda n: n.at_ms):
        lost = down.setdefault(n.window, [])
        if n.kind == "net_down":
            lost.append((n.at_ms, None))
        elif n.kind == "net_up" and lost and lost[-1][1] is None:
            lost[-1] = (lost[-1][0], n.at_ms)
    power: dict[str, list[list[int | None]]] = {}
    for window, spans in truth.power.items():
        out = [list(sp) for sp in spans]
        for a, b in down.get(window, []):
            out = _cut(out, a, b)
        power[window] = out
    phantoms = [TruthEval(n.at_ms, n.window, n.detail, False, "phantom_press")
                for n in truth.notes if n.kind == "phantom_press"]
    reboots: dict[str, list[int]] = {}
    for n in truth.notes:
        if n.kind == "reboot":
            reboots.setdefault(n.window, []).append(n.at_ms)
    undated = {w: _undated(_boots(truth.power.get(w, []), reboots.get(w, [])), lost)
               for w, lost in down.items()}

    def judged(window: str, at_ms: int) -> bool:
        return not any(a < at_ms < b for a, b in undated.get(window, []))

    evals = [e if e.tag not in NO_PROMPT_TAGS or judged(e.window, e.at_ms) else replace(e, tag="")
             for e in truth.evals]
    notes = [n for n in truth.notes if n.kind not in NO_PROMPT_TAGS or judged(n.window, n.at_ms)]
    return Truth(evals=sorted(evals + phantoms, key=lambda e: e.at_ms), notes=notes,
                 power=power, sessions=truth.sessions)


# A boot of a pad: when it started, when it stopped (None: still running), and whether it was
# a restart by the firmware (the board's clock runs on through it) or a power-on.
Boot = tuple[int, int | None, bool]


def _boots(power: list[list[int | None]], reboots: list[int]) -> list[Boot]:
    """Each boot of a pad: its power spans, cut where the firmware restarted itself."""
    out: list[Boot] = []
    for on, off in sorted(power, key=lambda sp: sp[0] or 0):
        assert on is not None
        starts = [on, *sorted(t for t in reboots if on < t and (off is None or t < off))]
        out += [(a, b, a != on) for a, b in zip(starts, [*starts[1:], off], strict=True)]
    return out


def _undated(boots: list[Boot], lost: list[tuple[int, int | None]]) -> list[tuple[float, float]]:
    """Where a pad ran boots that never learned the time: started during a network loss and
    stopped before it ended, without a clock kept from the boot before (a restart keeps the
    board's clock, firmware/pad/clock.py ``trust_rtc``). From the end of the boot before the
    first of them to the start of the boot after the last."""
    def offline(start: int, end: int | None) -> bool:
        return end is not None and any(a <= start and (b is None or end <= b) for a, b in lost)

    timeless: list[bool] = []
    for start, end, restarted in boots:
        kept = restarted and bool(timeless) and not timeless[-1]
        timeless.append(offline(start, end) and not kept)
    out: list[tuple[float, float]] = []
    for is_timeless, run in groupby(range(len(boots)), key=timeless.__getitem__):
        if is_timeless:
            first, *rest = run
            last = rest[-1] if rest else first
            before = boots[first - 1][1] if first > 0 else None
            after = boots[last + 1][0] if last + 1 < len(boots) else None
            out.append((float("-inf") if before is None else before,
                        float("inf") if after is None else after))
    return out


def _cut(spans: list[list[int | None]], a: int, b: int | None) -> list[list[int | None]]:
    """On spans with [a, b) taken out (b None: to the end)."""
    out: list[list[int | None]] = []
    for s, e in spans:
        assert s is not None
        if (b is not None and s >= b) or (e is not None and e <= a):
            out.append([s, e])
            continue
        if s < a:
            out.append([s, a])
        if b is not None and (e is None or e > b):
            out.append([b, e])
    return out


def explain(rows: list[Row], known: list[Row], truth: Truth) -> list[str]:
    """For a person: which differences the documented ones explain, why, and what is left
    unexplained (a bug to report: the host disagrees with the truth it can know)."""
    explained = documented(rows, known)
    where = {"wifi_loss": {n.window for n in truth.notes if n.kind == "net_down"},
             "phantom_press": {n.window for n in truth.notes if n.kind == "phantom_press"},
             "undatable_boot": set(explained)}
    lines = []
    for code, text in DOCUMENTED.items():
        windows = sorted(w for w, keys in explained.items()
                         if w in where[code] and _DOCUMENTED_KEYS[code] & set(keys))
        if windows:
            lines.append(f"已知差异（有意显示）{'、'.join(windows)}——{text}。")
    left = [r for r in known if r.differences]
    named = "；".join(f"{r.window} {'、'.join(map(header, r.differences))}" for r in left)
    lines.append("未解释的差异（请报告：主机与它能知道的真实情况不一致）：" + named if left
                 else "未解释的差异：无")
    return lines


def documented(rows: list[Row], known: list[Row]) -> dict[str, list[str]]:
    """Which differences from the truth (``rows``) the documented ones explain: those ``known``
    (the host against ``as_host_knows``) does not show. Window -> keys."""
    left = {r.window: set(r.differences) for r in known}
    return {r.window: [k for k in r.differences if k not in left.get(r.window, set())]
            for r in rows if r.differences}


@dataclass(frozen=True, slots=True)
class Row:
    window: str
    name: str
    host: dict[str, object]
    truth: dict[str, object]

    @property
    def differences(self) -> list[str]:
        return [k for k in self.truth if self.host.get(k) != self.truth.get(k)]


def _closures(results: object, days: set[date]) -> tuple[int, int]:
    counted = excused = 0
    for c in results:  # type: ignore[attr-defined]
        if c.session.day not in days:
            continue                # before or after the scenario: the simulator has no truth there
        if c.excuse is None:
            counted += 1
        else:
            excused += 1
    return counted, excused


def host_candidates(session: Session, month: str, clock: Clock, window_id: int) -> Counter[str]:
    from host.calendar.config import load_config
    from host.calendar.hours import working_spans
    from host.violations.detect import candidates_for

    config = load_config(session)
    working = working_spans(session, window_id, month, config)
    found = candidates_for(session, window_id, month, working=working, now_ms=clock.now_ms())
    return Counter(c.kind for c in found)


def compare(sc: Scenario, view: MonthView, truth: dict[str, TruthResult],
            candidates: dict[str, Counter[str]] | None = None) -> list[Row]:
    rows = []
    by_number = {r.window.number: r for r in view.results}
    days = set(sc.days())
    # The final score is comparable only when the scenario covers the whole month.
    whole = all(d in days for d in month_days(view.month))
    for w in sc.hall.windows:
        t = truth.get(w.number)
        h = by_number.get(w.number)
        if t is None:
            continue
        tc, te = _closures(t.closures, days)
        tv: dict[str, object] = {"N": t.score.valid, "S": t.score.satisfied, "closures": tc,
                                 "excused": te}
        hv: dict[str, object] = {}
        if h is not None:
            hc, he = _closures(h.closures, days)
            hv = {"N": h.score.valid, "S": h.score.satisfied, "closures": hc, "excused": he}
            if whole:
                hv["final"] = shown(h.score.final)
        if whole:
            tv["final"] = shown(t.score.final)
        if candidates is not None:
            want: Counter[str] = Counter()
            for tag, n in t.candidates.items():
                want[TAG_TO_KIND[tag]] += n
            got = candidates.get(w.number, Counter())
            for kind in sorted(set(TAG_TO_KIND.values())):
                tv[kind] = want.get(kind, 0)
                hv[kind] = got.get(kind, 0)
        rows.append(Row(w.number, w.name, hv, tv))
    return rows


# The compared values as a person reads them (the keys stay the codes the comparison uses).
HEADER = {"N": "有效评价", "S": "满意", "closures": "关闭", "excused": "关闭（免扣）", "final": "最终得分",
          "valid": "有效评价", "satisfied": "满意", "bad": "差评", "called_back": "已回访",
          "rectified": "已整改", "callback_late": "回访超期", "rectify_late": "整改超期",
          "satisfaction_rate": "满意率", "bad_rate": "差评率", "callback_rate": "回访率",
          "rectify_rate": "整改率", "overdue": "超期件", **DEDUCTION}


def header(key: str) -> str:
    return HEADER.get(key, key)


def render(rows: list[Row], title: str) -> Table:
    """A Rich table: host value, and the truth's beside it where they differ (in red)."""
    table = Table(title=title, show_lines=False)
    table.add_column("窗口")
    table.add_column("名称")
    keys = list(rows[0].truth) if rows else []
    for k in keys:
        table.add_column(header(k), justify="right")
    for r in rows:
        cells = []
        for k in keys:
            hv, tv = r.host.get(k, "—"), r.truth.get(k)
            cells.append(_show(hv) if hv == tv else f"[red]{_show(hv)}（真实 {_show(tv)}）[/red]")
        table.add_row(r.window, r.name, *cells)
    return table


def _show(v: object) -> str:
    """A cell as a person reads it: a rate as a percentage (exact in the comparison), a list joined."""
    if isinstance(v, Fraction):
        return percent(v)
    if isinstance(v, tuple):
        return ", ".join(map(str, v)) or "—"
    return "—" if v is None else str(v)


def summary(rows: list[Row]) -> str:
    diff = [r for r in rows if r.differences]
    if not diff:
        return f"全部 {len(rows)} 个窗口与真实情况一致"
    return f"{len(rows)} 个窗口中有 {len(diff)} 个不一致：" + "；".join(
        f"{r.window} {'、'.join(map(header, r.differences))}" for r in diff)


# -- 好差评: the national statistics and the overdue cases (issue 16) -----------------------------

NATIONAL_COUNTS = ("N", "satisfied", "bad", "called_back", "rectified", "callback_late", "rectify_late")
RATES = ("satisfaction_rate", "bad_rate", "callback_rate", "rectify_rate")


def _names(host_cases: list[BadReview], truth_cases: tuple[TruthCase, ...]) -> tuple[str, ...]:
    """The host's cases named as the truth names them: by case number, else by the truth's bad review
    pressed within MATCH_MS (the pad stamps a press a moment after the truth), else its own moment."""
    out = []
    for c in host_cases:
        if c.case_no:
            out.append(c.case_no)
            continue
        near = [t for t in truth_cases if t.case is None and abs(t.at_ms - c.at_ms) <= MATCH_MS]
        out.append(near[0].name() if near else local(c.at_ms).strftime("%m-%d %H:%M:%S"))
    return tuple(sorted(out))


def compare_national(sc: Scenario, month: str, host: MonthNational, host_overdue: list[BadReview],
                     truth: dict[str, TruthNational], window_ids: dict[str, int]) -> list[Row]:
    """Window by window: the month's counts and rates (满意率, 差评率, 回访率, 整改率), late steps, and
    which cases are overdue (host: host.scoring.national and host.goodbad.cases.overdue_cases; truth:
    simulator.truth.truth_national, deadlines from the official calendar)."""
    span = month_span(month)
    rows = []
    for w in sc.hall.windows:
        t = truth.get(w.number)
        wid = window_ids.get(w.number)
        if t is None:
            continue
        tv: dict[str, object] = dict(zip(NATIONAL_COUNTS, (t.evaluations, t.satisfied, t.bad, t.called_back,
                                                            t.rectified, t.callback_late, t.rectify_late),
                                         strict=True))
        tv.update(t.rates)
        tv["overdue"] = tuple(sorted(c.name() for c in t.overdue))
        hv: dict[str, object] = {}
        stats = host.windows.get(wid) if wid is not None else None
        if stats is not None:
            c = stats.counts
            hv = dict(zip(NATIONAL_COUNTS, (c.evaluations, c.satisfied, c.bad, c.called_back, c.rectified,
                                            c.callback_late, c.rectify_late), strict=True))
            hv.update({"satisfaction_rate": stats.satisfaction_rate, "bad_rate": stats.bad_rate,
                       "callback_rate": stats.callback_rate, "rectify_rate": stats.rectify_rate})
        mine = [c for c in host_overdue if c.window_id == wid and span.start_ms <= c.at_ms < span.end_ms]
        hv["overdue"] = _names(mine, t.overdue)
        rows.append(Row(w.number, w.name, hv, tv))
    return rows


def host_national(session: Session, sc: Scenario, month: str, now_ms: int,
                  truth: dict[str, TruthNational]) -> list[Row]:
    """The host's side of ``compare_national``, read through its own functions."""
    ids = {w.number: w.id for w in session.exec(select(Window)).all() if w.id is not None}
    return compare_national(sc, month, month_national(session, month, now_ms), overdue_cases(session, now_ms),
                            truth, ids)
