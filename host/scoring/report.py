"""The monthly report (R2-R5, R8-R10): each window judged from its month's facts, ranked.

``compute`` loads the month (host.scoring.facts.load_month) and hands it to ``judge_month``,
which, like ``judge_window``, is pure: the same facts always give the same report. The
report as shown (a closed month's snapshot, R11) is host.scoring.months.month_view. A month
still running is judged up to the clock's now ("month so far").
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import replace
from datetime import date
from functools import partial

from sqlmodel import Session

from host import labels
from host.calendar.config import RuleConfig
from host.calendar.hours import SessionPlanner
from host.clock import Clock, local
from host.rules.closures import ExcuseSpan, WindowPower, find_closures
from host.rules.goodbad import FIVE_LEVEL, format_level_points, points_total
from host.rules.score import closure_deduction, excuse_text, month_score, ranks
from host.rules.tenure import excuses_on
from host.rules.types import Deduction
from host.scoring.facts import MonthFacts, Tally, load_month
from host.scoring.view import MonthView, WindowInfo, WindowResult

NO_COUNTS = Tally(0, 0)


def compute(session: Session, month: str, clock: Clock,
            window_ids: Collection[int] | None = None) -> MonthView:
    """Judge the month from the facts and decisions as they stand now (ignores a close)."""
    return judge_month(load_month(session, month, clock.now_ms(), window_ids))


def judge_month(f: MonthFacts) -> MonthView:
    """Every window of ``f`` judged, ranked when all windows are there (a subset has no rank)."""
    planner = SessionPlanner(f.kinds, f.config.summer)
    results = [judge_window(f, planner, w) for w in f.windows]
    if f.ranked:
        order = ranks({r.window.id: r.score.final for r in results})
        results = [replace(r, rank=order.get(r.window.id)) for r in results]
    status = "running" if f.now_ms < f.span.end_ms else "ended"
    return MonthView(f.month, status, f.now_ms, f.until_ms, tuple(results),
                     assumptions(f.config, sorted(f.kinds)))


def judge_window(f: MonthFacts, planner: SessionPlanner, w: WindowInfo) -> WindowResult:
    """One window's month: closures (R5, R7 with R10), violations (R6), counts (R2), V (R3),
    waivers (R8) and the score, with notes on what was not judged and why."""
    config = f.config
    schedule = config.schedule(w.id)
    placard = w.category in config.placard_categories
    since = f.first_pad.get(w.id, f.until_ms)       # never had a pad: always-on not judged yet
    judge = partial(find_closures, w.id, planner.sessions(schedule), f.power.get(w.id) or WindowPower.of([]),
                    grace_ms=config.grace_ms, host_down=f.host_down, placard=placard, until_ms=f.until_ms,
                    since_ms=since)
    # R7 with R10: a pad's fault or outage excuses only while that pad sat on this window.
    tenures = f.tenures.get(w.id, [])
    outages = excuses_on(f.outages, tenures)
    closures = judge(excuses=outages)
    violations = f.violations.get(w.id, [])
    if any(c.excuse is None for c in closures) or violations:
        faults = excuses_on(f.pad_faults, tenures)
        if faults:
            closures = judge(excuses=[*faults, *outages])
            violations = [_fault_waiver(d, faults) for d in violations]
    t = f.tallies.get(w.id, NO_COUNTS)
    vt = f.voided.get(w.id, NO_COUNTS)
    volume, source = f.volumes.get(w.id) or (None, "none")
    lines = sorted([*(closure_deduction(c) for c in closures), *violations],
                   key=lambda d: (d.span.start_ms if d.span else d.at_ms or 0, d.kind))
    valid, satisfied = t.valid - vt.valid, t.satisfied - vt.satisfied
    levels = tuple(a - b for a, b in zip(t.levels, vt.levels, strict=True))
    # 好差评 five-level mode: levels worth the configured points; two-level: R2 as it stands.
    points = (points_total(valid, satisfied, levels, FIVE_LEVEL, config.level_points)
              if config.scoring_mode == FIVE_LEVEL and any(levels) else None)
    score = month_score(w.id, f.month, volume=volume, volume_source=source, valid=valid,
                        satisfied=satisfied, deductions=lines, waivers=f.waivers.get(w.id), points=points)
    notes = []
    if volume is None:
        notes.append("本月没有业务受理量（请导入或接入叫号系统）：未计算标准数（R3）")
    if vt.valid:
        notes.append(f"{vt.valid} 条评价因违规确认而作废（R2、R6）")
    if w.id not in f.first_pad:
        notes.append("该窗口从未分配评价器：未判定常开（R5）")
    elif f.first_pad[w.id] > f.span.start_ms:
        notes.append(f"首台评价器于 {local(f.first_pad[w.id]):%Y-%m-%d %H:%M} 安装：自此起判定常开（R5）")
    if placard:
        notes.append(f"{labels.category(w.category)}可持工作牌：关闭仅记录，不扣分（R5a）")
    return WindowResult(w, score, tuple(closures), tuple(sorted({t.device_id for t in tenures})),
                        planner.closed_days(schedule), tuple(notes))


def _fault_waiver(d: Deduction, faults: Sequence[ExcuseSpan]) -> Deduction:
    """R7: a violation whose moment falls in an IT-confirmed pad fault (already cut to the time
    its pad sat on this window, R10) is waived."""
    if d.waiver is not None or d.at_ms is None:
        return d
    for f in faults:
        if f.span.start_ms <= d.at_ms < f.span.end_ms:
            return replace(d, waiver=excuse_text(f.excuse))
    return d


def assumptions(config: RuleConfig, days: Sequence[date]) -> tuple[str, ...]:
    """The shipped defaults this month's judgement relied on, to show as assumptions (R5)."""
    out = []
    for year in sorted({d.year for d in days}):
        rng, default = config.summer_range(year)
        if default and any(d in rng for d in days if d.year == year):
            out.append(f"{year} 年夏令时作息 {rng.start:%m-%d} 至 {rng.end:%m-%d} 是出厂默认值，是假定"
                       f"（依据文件没有给出起止日期）；请用 "
                       f"`evalpad calendar summer {year} START END --by NAME --reason ...` 设置（R5）")
    if config.scoring_mode == FIVE_LEVEL and config.default_level_points:
        out.append(f"五级评价各级分值 {format_level_points(config.level_points)} 是出厂默认值，是假定"
                   "（按 R1 理解各级：基本满意及以上算满意，计 5 分）；"
                   "请在配置页面或用 `evalpad calendar setting level_points ...` 设置")
    return tuple(out)
