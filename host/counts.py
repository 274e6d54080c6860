"""Daily counts of evaluations (host.models.counts): compared with a recount of the events, and
recounted by an operator (`evalpad counts check | rebuild`).

The database keeps the counts itself (triggers on ``event``, migration 0007), so this module
never adds to them; it answers "do they agree with the events?" and, if not (a restore that
lost the triggers, a bug), recounts them from the events in one transaction with an audit
entry (R12: a recount from the facts, never a number typed in).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import text
from sqlmodel import Session

from host import audit
from host.clock import Clock
from host.errors import Conflict, Invalid
from host.models.counts import LEVELS, TRIGGERS, DailyCount

log = logging.getLogger(__name__)

ACTION = "counts.rebuild"
Key = tuple[int, date]                      # window id, Asia/Shanghai day
Counts = tuple[int, ...]                    # evals, satisfied, unsatisfied, level_1 .. level_5
COLUMNS = ("evals", "satisfied", "unsatisfied", *(f"level_{k}" for k in LEVELS))

# The Asia/Shanghai date of an event's press: UTC+8 all year (no daylight saving since 1991),
# written as the triggers of migration 0007 write it.
_DAY = {"sqlite": "date(at_ms / 1000, 'unixepoch', '+8 hours')",
        "postgresql": "(date '1970-01-01' + ((at_ms + 28800000) / 86400000)::integer)"}
_PARTS = ("count(*)", "sum(CASE WHEN rating = 'satisfied' THEN 1 ELSE 0 END)",
          "sum(CASE WHEN rating = 'unsatisfied' THEN 1 ELSE 0 END)",
          *(f"sum(CASE WHEN level = {k} THEN 1 ELSE 0 END)" for k in LEVELS))
_RECOUNT = ("SELECT window_id, {day} AS day, " + ", ".join(_PARTS)
            + " FROM event WHERE type = 'eval' AND window_id IS NOT NULL GROUP BY window_id, {day}")
_TRIGGERS_PRESENT = {
    "sqlite": "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'event'",
    "postgresql": "SELECT tgname FROM pg_trigger WHERE tgrelid = 'event'::regclass AND NOT tgisinternal",
}


@dataclass(frozen=True, slots=True)
class Difference:
    window_id: int
    day: date
    kept: Counts           # what the table says (zeros: no row)
    recounted: Counts      # what the events say


@dataclass(frozen=True, slots=True)
class CheckResult:
    rows: int                                          # rows compared (either side)
    differences: list[Difference] = field(default_factory=list)
    missing_triggers: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.differences and not self.missing_triggers


def _day(value: object) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def recount(session: Session) -> dict[Key, Counts]:
    """Every window's evaluations per day, counted from the stored events (the truth, R2)."""
    dialect = session.get_bind().dialect.name
    rows = session.execute(text(_RECOUNT.format(day=_DAY[dialect]))).all()
    return {(int(w), _day(d)): tuple(int(x or 0) for x in rest) for w, d, *rest in rows}


def kept(session: Session) -> dict[Key, Counts]:
    """The daily counts as the table holds them (rows of all zeros left out: nothing counted)."""
    cols = ", ".join(COLUMNS)
    rows = session.execute(text(f"SELECT window_id, day, {cols} FROM dailycount")).all()
    return {(int(w), _day(d)): tuple(int(x) for x in rest) for w, d, *rest in rows if any(rest)}


def missing_triggers(session: Session) -> tuple[str, ...]:
    dialect = session.get_bind().dialect.name
    present = {r[0] for r in session.execute(text(_TRIGGERS_PRESENT[dialect]))}
    return tuple(t for t in TRIGGERS[dialect] if t not in present)


def check(session: Session) -> CheckResult:
    """Compare the kept counts with a recount of the events (read only)."""
    have, truth = kept(session), recount(session)
    zero = (0,) * len(COLUMNS)
    diffs = [Difference(w, d, have.get((w, d), zero), truth.get((w, d), zero))
             for w, d in sorted(have.keys() | truth.keys()) if have.get((w, d)) != truth.get((w, d))]
    return CheckResult(len(have.keys() | truth.keys()), diffs, missing_triggers(session))


@dataclass(frozen=True, slots=True)
class RebuildResult:
    rows: int                  # rows written
    corrected: int             # rows that differed before the recount


def rebuild(session: Session, clock: Clock, *, actor: str, reason: str) -> RebuildResult:
    """Recount every daily count from the events, audited (R12); commits.

    The events are locked against writes for the recount (PostgreSQL: a SHARE lock; SQLite: the
    write lock the first statement takes), so no batch lands between the two. Refused (Conflict)
    when the triggers that keep the counts are missing: a recount would go stale at once.
    """
    if not reason.strip():
        raise Invalid("重新统计必须写明原因（R12）", "写明原因，如“从备份恢复后核对”")
    missing = missing_triggers(session)
    if missing:
        raise Conflict(f"数据库缺少维护每日统计的触发器（{', '.join(missing)}）",
                       "先运行 evalpad db upgrade（迁移 0007 会建好它们），再重新统计")
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("LOCK TABLE event IN SHARE MODE"))
    cols = ", ".join(COLUMNS)
    old = {(int(w), _day(d)): tuple(int(x) for x in rest) for w, d, *rest in session.execute(
        text(f"DELETE FROM dailycount RETURNING window_id, day, {cols}")) if any(rest)}
    truth = recount(session)
    rows = [{"window_id": w, "day": d, **dict(zip(COLUMNS, c, strict=True))}
            for (w, d), c in sorted(truth.items())]
    if rows:
        session.execute(DailyCount.__table__.insert(), rows)  # type: ignore[attr-defined]
    corrected = sum(1 for k in old.keys() | truth.keys() if old.get(k) != truth.get(k))
    audit.record(session, at_ms=clock.now_ms(), actor=actor, action=ACTION, subject="dailycount",
                 reason=reason, rows=len(rows), corrected=corrected)
    session.commit()
    log.info("daily counts rebuilt by %s: %d rows, %d corrected", actor, len(rows), corrected)
    return RebuildResult(len(rows), corrected)
