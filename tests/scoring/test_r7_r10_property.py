"""Property (R4, R5, R7, R10): the monthly report equals a minute-by-minute, per-interval reading.

Random assignment histories on one working day (exchanges, a spare taking over, unassigned
gaps, a pad off at the moment of a move), random power cuts, faults with random verdicts,
mass outages naming some pads, confirmed violations, evaluations (N follows the pad's window at
the press, so does the shortfall against a random volume) are stored in a real database
(SQLite and PostgreSQL) and judged by ``host.scoring.report.compute``. The reference reads
the same facts minute by minute from the generated history alone: at each minute, which
pad sat on the window; a closure is excused only if at some minute of it the pad sitting
there had a confirmed pad fault (or was in a mass outage); a violation is waived only if
the pad sitting there at its moment had one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, time
from fractions import Fraction
from itertools import count

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from host.clock import ManualClock
from host.faults import acknowledge, open_fault, resolve
from host.faults.queries import NETWORK_OUTAGE
from host.models import Device
from host.rules.closures import DEFAULT_GRACE_MS
from host.scoring.report import compute
from host.violations.review import confirm, report
from tests.scoring.world import MIN, NOV, World, sh

DAY = date(2026, 11, 18)                 # a Wednesday, winter schedule
T0 = sh(DAY, time(7, 30))                # the day's history starts here (minute 0)
END = 10 * 60                            # ... and the clock stands at 17:30 (minute 600)
SESSIONS = ((60, 270), (330, 570))       # 08:30-12:00 and 13:00-17:00 as minutes from 07:30
GRACE = DEFAULT_GRACE_MS // MIN
PADS = ("a", "b", "s")                   # two regular pads and a spare
WINDOWS = ("X", "Y")
RUN = count()
Interval = tuple[str, str, int, int | None]       # pad, window, [start, end) in minutes (None: open)


@dataclass
class Hall:
    """The generated facts, minute-indexed from T0."""

    intervals: list[Interval] = field(default_factory=list)  # pad, window, [a, b)
    offs: dict[str, list[tuple[int, int]]] = field(default_factory=dict)
    faults: list[tuple[str, int, int, str]] = field(default_factory=list)             # pad, a, b, verdict
    outages: list[tuple[frozenset[str], int, int]] = field(default_factory=list)
    violations: list[tuple[str, int, str]] = field(default_factory=list)              # window, minute, kind
    evals: list[tuple[str, int, bool]] = field(default_factory=list)                  # pad, minute, satisfied
    volume: dict[str, int] = field(default_factory=dict)                              # window -> V (R3)

    def pad_at(self, window: str, m: int) -> str | None:
        for pad, win, a, b in self.intervals:
            if win == window and a <= m < (END if b is None else b):
                return pad
        return None

    def window_of(self, pad: str, m: int) -> str | None:
        for p, win, a, b in self.intervals:
            if p == pad and a <= m < (END if b is None else b):
                return win
        return None

    def is_on(self, pad: str, m: int) -> bool:
        return not any(a <= m < b for a, b in self.offs.get(pad, ()))

    def excused(self, pad: str | None, m: int) -> bool:
        if pad is None:
            return False
        return (any(p == pad and v == "pad_fault" and a <= m < b for p, a, b, v in self.faults)
                or any(pad in pads and a <= m < b for pads, a, b in self.outages))

    def waived(self, window: str, m: int) -> bool:
        pad = self.pad_at(window, m)
        return pad is not None and any(p == pad and v == "pad_fault" and a <= m < b
                                       for p, a, b, v in self.faults)


def history(moves: list[tuple[int, str, str | None]], empty_start: set[str]) -> list[Interval]:
    """Apply moves in time order as `evalpad device assign|unassign` would (a pad moved onto a
    window takes the pad there off it); start: a on X, b on Y (unless left empty), s spare."""
    where: dict[str, tuple[str, int]] = {}
    if "X" not in empty_start:
        where["a"] = ("X", 0)
    if "Y" not in empty_start:
        where["b"] = ("Y", 0)
    out: list[Interval] = []

    def leave(pad: str, t: int) -> None:
        win, since = where.pop(pad)
        if since < t:
            out.append((pad, win, since, t))

    for t, pad, win in sorted(moves, key=lambda m: m[0]):
        if pad in where:
            if where[pad][0] == win:
                continue
            leave(pad, t)
        if win is None:
            continue
        for other, (w, _) in list(where.items()):
            if w == win:
                leave(other, t)
        where[pad] = (win, t)
    out += [(pad, win, since, None) for pad, (win, since) in where.items()]
    return out


def spans(max_size: int) -> st.SearchStrategy[list[tuple[int, int]]]:
    return st.lists(st.tuples(st.integers(0, END - 1), st.integers(1, 90)).map(
        lambda p: (p[0], min(END, p[0] + p[1]))), max_size=max_size)


@st.composite
def halls(draw: st.DrawFn) -> Hall:
    move = st.tuples(st.integers(30, END - 30), st.sampled_from(PADS), st.sampled_from((*WINDOWS, None)))
    moves = draw(st.lists(move, max_size=5))
    # Exchanges: two pads trade windows in the same minute.
    for t in draw(st.lists(st.integers(30, END - 30), max_size=2)):
        moves += [(t, "a", "Y"), (t, "b", "X")]
    h = Hall(intervals=history(moves, draw(st.sets(st.sampled_from(WINDOWS), max_size=1))))
    move_times = sorted({t for t, _, _ in moves}) or [END // 2]
    for pad in PADS:
        cuts = draw(spans(3))
        # A pad off at the moment of a move (the will before, the birth after).
        for t in draw(st.lists(st.sampled_from(move_times), max_size=1)):
            cuts.append((max(0, t - draw(st.integers(1, 20))), min(END, t + draw(st.integers(1, 20)))))
        merged: list[tuple[int, int]] = []
        for a, b in sorted(cuts):
            if merged and a <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(b, merged[-1][1]))
            else:
                merged.append((a, b))
        h.offs[pad] = merged
    for a, b in draw(spans(3)):
        h.faults.append((draw(st.sampled_from(PADS)), a, b,
                         draw(st.sampled_from(("pad_fault", "pad_fault", "network", "no_fault_found")))))
    for a, b in draw(spans(1)):
        h.outages.append((frozenset(draw(st.sets(st.sampled_from(PADS), min_size=1, max_size=2))), a, b))
    for m in draw(st.lists(st.integers(0, END - 1), max_size=3)):
        kind = draw(st.sampled_from(("no_prompt", "refused")))
        h.violations.append((draw(st.sampled_from(WINDOWS)), m, kind))
    for m in draw(st.lists(st.integers(0, END - 1), max_size=6, unique=True)):
        h.evals.append((draw(st.sampled_from(PADS)), m, draw(st.booleans())))
    h.volume = {w: v for w in WINDOWS if (v := draw(st.integers(-1, 40))) >= 0}   # -1: none imported
    return h


def ms(m: int) -> int:
    return T0 + m * MIN


def store(world: World, h: Hall, tag: str) -> dict[str, int]:
    """Write the hall's facts as the ingest and the people would; returns window ids."""
    dev = {p: f"p{tag}-{p}" for p in PADS}
    wid = {w: world.window(f"{w}{tag}") for w in WINDOWS}
    with world.session() as s:
        s.add_all(Device(id=d, registered_ms=T0) for d in dev.values())
        s.commit()
    for pad, win, a, b in sorted(h.intervals, key=lambda i: i[2]):
        world.pad(dev[pad], wid[win], ms(a), None if b is None else ms(b))
    for pad in PADS:
        offs = ((ms(a), ms(b)) for a, b in h.offs[pad])
        world.on_except(dev[pad], T0 - 60 * MIN, ms(END) + 60 * MIN, *offs)
    for pad, m, satisfied in h.evals:
        win = h.window_of(pad, m)
        if win is not None:                   # on no window: the ingest holds it back (R10)
            world.evals(dev[pad], wid[win], ms(m), satisfied=int(satisfied), unsatisfied=int(not satisfied))
    now = world.clock.now_ms()
    with world.session() as s:
        for pad, a, b, verdict in h.faults:
            f, _ = open_fault(s, source="staff", code="staff_report", at_ms=ms(a), now_ms=now, by="staff",
                              device_id=dev[pad], detail="broken")
            s.commit()
            assert f.id is not None
            acknowledge(s, f.id, by="it", now_ms=now)
            resolve(s, f.id, by="it", verdict=verdict, notes="checked", now_ms=now, cleared_ms=ms(b))
        for pads, a, b in h.outages:
            o, _ = open_fault(s, source="host", code=NETWORK_OUTAGE, at_ms=ms(a), now_ms=now,
                              detail="pads offline together")
            o.devices, o.cleared_ms = sorted(dev[p] for p in pads), ms(b)
            s.add(o)
            s.commit()
        for win, m, kind in h.violations:
            c = report(s, window_id=wid[win], kind=kind, at_ms=ms(m), by="patrol", source="complaint",
                       detail="seen", now_ms=now)
            assert c.id is not None
            confirm(s, c.id, reviewer="mgmt", reason="upheld", now_ms=now)
    if h.volume:
        world.volume(NOV, **{f"{w}{tag}": v for w, v in h.volume.items()})
    return wid


Expected = tuple[list[tuple[int, int, bool]], list[tuple[int, bool]], Fraction | None]


def reference(h: Hall, window: str) -> Expected:
    """Closures (start, end, excused), violations (minute, waived) and the final score."""
    firsts = [a for _, w, a, _ in h.intervals if w == window]
    closures = []
    if firsts:
        since = min(firsts)
        for s_start, s_end in SESSIONS:
            run = None
            for m in range(max(s_start, since), s_end + 1):
                pad = h.pad_at(window, m) if m < s_end else None
                off = m < s_end and (pad is None or not h.is_on(pad, m))
                if off and run is None:
                    run = m
                if not off and run is not None:
                    if m - run >= GRACE:
                        excused = any(h.excused(h.pad_at(window, k), k) for k in range(run, m))
                        closures.append((run, m, excused))
                    run = None
    violations = sorted((m, h.waived(window, m)) for w, m, _ in h.violations if w == window)
    evals = [sat for pad, m, sat in h.evals if h.window_of(pad, m) == window]
    standard = math.ceil(Fraction(7, 10) * h.volume[window]) if window in h.volume else 0   # R3, V <= 50
    if not evals and not standard:
        return closures, violations, None                                                  # R9
    points = Fraction(0)
    if (short := standard - len(evals)) > 0:                                               # R4
        points += min(5, (short + 9) // 10)
    points += sum(1 for *_, excused in closures if not excused)
    points += sum(Fraction(1) if kind == "no_prompt" else Fraction(5, 2)
                  for w, m, kind in h.violations if w == window and not h.waived(window, m))
    base = Fraction(5 * sum(evals), len(evals)) if evals else Fraction(0)
    return closures, violations, max(Fraction(0), base - points)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(h=halls())
def test_property_r7_r10_report_equals_per_interval_reading(world: World, h: Hall) -> None:
    w = World(None, 0, engine=world.engine, clock=ManualClock(ms(END)))
    wid = store(w, h, str(next(RUN)))
    with w.session() as s:
        view = compute(s, NOV, w.clock, window_ids=list(wid.values()))
    by_id = {r.window.id: r for r in view.results}
    for window, window_id in wid.items():
        r = by_id[window_id]
        closures, violations, final = reference(h, window)
        got_closures = [((c.off.start_ms - T0) // MIN, (c.off.end_ms - T0) // MIN, c.excuse is not None)
                        for c in r.closures]
        assert got_closures == closures, (window, h)
        got_violations = sorted(((d.at_ms - T0) // MIN, d.waiver is not None)
                                for d in r.score.deductions if d.rule == "R6")
        assert got_violations == violations, (window, h)
        assert r.score.final == final, (window, h)
