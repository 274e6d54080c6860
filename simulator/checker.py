"""Compare the host's monthly report with the score the ground truth deserves, window by window.

For each window: N (valid evaluations), S (satisfied), closures that deduct, closures
excused, the final score, and the R6 candidates the host flagged against the misbehaviours
the simulator caused. Every difference is a line with both values; a reader decides whether
it is a host bug, a firmware bug, or the rules doing what they say (a Wi-Fi loss *is* a
closure to the host, not to the truth).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date

from sqlmodel import Session

from host.calendar.hours import month_days
from host.clock import Clock
from host.rules.score import shown
from host.scoring.view import MonthView
from simulator.scenario import Scenario
from simulator.truth import Truth, TruthEval, TruthResult

# The simulator's misbehaviour tags and the R6 candidate kinds the host should flag for them.
TAG_TO_KIND = {"forget_prompt": "no_prompt", "prompt_lost": "no_prompt", "cancel_prompt": "refused",
               "press_twice": "consecutive", "self_rate": "self_eval", "phantom_press": "stuck_button"}


# The differences the checker shows on purpose (simulator/README.md "What the checker found"):
# the host rightly knows less than the truth. ``as_host_knows`` applies exactly these to the
# truth; any difference left between that and the host's report is undocumented (a bug).
DOCUMENTED = {
    "wifi_loss": "a Wi-Fi loss is a closure to the host (R5 counts what the host knows) until IT "
                 "confirms the fault (R7); the truth has the pad on",
    "phantom_press": "a stuck rating button counts once as it goes down (no pad can tell it from a "
                     "press); the host flags it as a stuck_button candidate to void (R7, R2)",
}


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
    return Truth(evals=sorted(truth.evals + phantoms, key=lambda e: e.at_ms), notes=list(truth.notes),
                 power=power, sessions=truth.sessions)


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


def render(rows: list[Row], title: str) -> object:
    """A Rich table: host value, and the truth's beside it where they differ (in red)."""
    from rich.table import Table

    table = Table(title=title, show_lines=False)
    table.add_column("window")
    table.add_column("name")
    keys = list(rows[0].truth) if rows else []
    for k in keys:
        table.add_column(k, justify="right")
    for r in rows:
        cells = []
        for k in keys:
            hv, tv = r.host.get(k, "—"), r.truth.get(k)
            cells.append(str(hv) if hv == tv else f"[red]{hv} (truth {tv})[/red]")
        table.add_row(r.window, r.name, *cells)
    return table


def summary(rows: list[Row]) -> str:
    diff = [r for r in rows if r.differences]
    if not diff:
        return f"all {len(rows)} windows agree with the ground truth"
    return f"{len(diff)} of {len(rows)} windows differ: " + "; ".join(
        f"{r.window} {', '.join(r.differences)}" for r in diff)
