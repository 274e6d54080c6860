"""R6 review on the real database: detection from stored events, confirm/dismiss with audit,
and what confirmed candidates mean for the score (R2 void, deductions)."""

from __future__ import annotations

from fractions import Fraction

import pytest
from sqlmodel import Session, col, select

from host import violations
from host.errors import Conflict, Invalid
from host.models.audit import AuditEntry
from host.models.months import MonthAction
from host.models.review import ViolationCandidate
from host.rules.types import Span
from tests.review.conftest import sh
from tests.review.facts import Hall

MONTH = "2026-10"
DAY = (2026, 10, 12)
WORKING = [Span(sh(*DAY, 8, 30), sh(*DAY, 12, 0)), Span(sh(*DAY, 13, 0), sh(*DAY, 17, 0))]
NOW = sh(2026, 11, 2, 9, 0)


def t(h: int, m: int, s: int = 0) -> int:
    return sh(*DAY, h, m, s)


def scenario(hall: Hall) -> dict[str, int]:
    """One window's day with one instance of every R6 candidate kind, plus clean service."""
    w = hall.window("A07", device="qp-0107", since_ms=sh(2026, 10, 1))
    ids: dict[str, int] = {"w": w}
    # A clean session: prompt, one evaluation.
    hall.service(w, "A001", t(9, 0), t(9, 5))
    hall.event("qp-0107", w, "prompt", t(9, 5), svc="A001", source="host")
    ids["ok"] = hall.eval("qp-0107", w, t(9, 5, 10), svc="A001")
    # 未按程序提示评价: a session ended without a prompt.
    ids["ss_no_prompt"] = hall.service(w, "A002", t(9, 10), t(9, 20))
    # 拒绝评议: staff cancelled the prompt.
    hall.service(w, "A003", t(9, 30), t(9, 40))
    ids["p3"] = hall.event("qp-0107", w, "prompt", t(9, 40), svc="A003", source="host")
    ids["cancel"] = hall.event("qp-0107", w, "prompt_end", t(9, 40, 5), svc="A003", reason="cancelled")
    # 连续评价: two evaluations in one session.
    hall.service(w, "A004", t(10, 0), t(10, 10))
    hall.event("qp-0107", w, "prompt", t(10, 10), svc="A004", source="host")
    ids["first"] = hall.eval("qp-0107", w, t(10, 10, 5), svc="A004")
    ids["second"] = hall.eval("qp-0107", w, t(10, 10, 15), svc="A004")
    # 自我评价: while paused, and outside working hours.
    hall.mode("qp-0107", "paused", t(11, 0), t(11, 30))
    ids["paused"] = hall.eval("qp-0107", w, t(11, 10))
    ids["lunch"] = hall.eval("qp-0107", w, t(12, 30))
    return ids


def test_r6_each_candidate_kind_from_stored_events(db: Session, hall: Hall) -> None:
    ids = scenario(hall)
    result = violations.detect(db, ids["w"], MONTH, working=WORKING, now_ms=NOW)
    assert (result.added, result.total) == (5, 5)
    got = {
        (c.kind, c.subject_event_id or c.service_session_id): c
        for c in violations.list_candidates(db, window_id=ids["w"], month=MONTH)
    }
    assert set(got) == {
        ("no_prompt", ids["ss_no_prompt"]),
        ("refused", ids["cancel"]),
        ("consecutive", ids["second"]),
        ("self_eval", ids["paused"]),
        ("self_eval", ids["lunch"]),
    }
    assert got[("refused", ids["cancel"])].evidence == [ids["p3"], ids["cancel"]]
    assert got[("consecutive", ids["second"])].evidence == [ids["first"], ids["second"]]
    assert got[("self_eval", ids["paused"])].reasons == ["paused"]
    assert got[("self_eval", ids["lunch"])].reasons == ["outside_hours"]
    assert all(c.status == "open" for c in got.values())


def test_r6_detection_is_idempotent_and_follows_late_events(db: Session, hall: Hall) -> None:
    ids = scenario(hall)
    violations.detect(db, ids["w"], MONTH, working=WORKING, now_ms=NOW)
    again = violations.detect(db, ids["w"], MONTH, working=WORKING, now_ms=NOW)
    assert (again.added, again.withdrawn, again.restored) == (0, 0, 0)
    assert len(violations.list_candidates(db, window_id=ids["w"])) == 5
    # Without working hours the outside-hours candidate is neither found nor withdrawn.
    blind = violations.detect(db, ids["w"], MONTH, working=None, now_ms=NOW)
    assert (blind.added, blind.withdrawn, blind.total) == (0, 0, 4)
    # The prompt for A002 arrives late (the pad was offline): that candidate is withdrawn.
    hall.event("qp-0107", ids["w"], "prompt", t(9, 19), svc="A002", source="host")
    late = violations.detect(db, ids["w"], MONTH, working=WORKING, now_ms=NOW)
    assert late.withdrawn == 1
    row = db.exec(select(ViolationCandidate).where(ViolationCandidate.kind == "no_prompt")).one()
    assert row.status == "withdrawn"
    assert (
        db.exec(select(AuditEntry).where(AuditEntry.action == "violation.withdraw")).one().actor == "system"
    )
    with pytest.raises(Conflict, match="已撤回"):
        violations.confirm(db, row.id or 0, reviewer="wang", reason="x", now_ms=NOW)


def test_r6_confirm_voids_and_deducts_dismiss_does_not(db: Session, hall: Hall) -> None:
    ids = scenario(hall)
    violations.detect(db, ids["w"], MONTH, working=WORKING, now_ms=NOW)
    by = {(c.kind, c.subject_event_id): c.id or 0 for c in violations.list_candidates(db, window_id=ids["w"])}
    assert violations.voided_event_ids(db, ids["w"], MONTH) == set()
    assert violations.confirmed_deductions(db, ids["w"], MONTH) == []

    violations.confirm(
        db, by[("consecutive", ids["second"])], reviewer="wang", reason="video: staff pressed", now_ms=NOW
    )
    violations.confirm(
        db, by[("refused", ids["cancel"])], reviewer="wang", reason="complaint 17 matches", now_ms=NOW + 1
    )
    violations.dismiss(
        db,
        by[("self_eval", ids["paused"])],
        reviewer="li",
        reason="citizen pressed; pause display lagged",
        now_ms=NOW + 2,
    )
    lunch = violations.confirm(
        db, by[("self_eval", ids["lunch"])], reviewer="li", reason="staff at lunch pressed", now_ms=NOW + 3
    )

    assert violations.voided_event_ids(db, ids["w"], MONTH) == {ids["second"], ids["lunch"]}
    deds = violations.confirmed_deductions(db, ids["w"], MONTH)
    assert sorted((d.kind, d.points, d.rule, d.at_ms) for d in deds) == sorted(
        [
            ("consecutive", Fraction(1), "R6", t(10, 10, 15)),
            ("refused", Fraction(5, 2), "R6", t(9, 40, 5)),
            ("self_eval", Fraction(1), "R6", t(12, 30)),
        ]
    )
    assert all(d.waiver is None for d in deds)
    refused = next(d for d in deds if d.kind == "refused")
    assert refused.evidence == (ids["p3"], ids["cancel"]) and "complaint 17 matches" in refused.detail

    audits = db.exec(
        select(AuditEntry)
        .where(col(AuditEntry.action).startswith("violation."))
        .order_by(col(AuditEntry.at_ms))
    ).all()
    assert [(a.actor, a.action, a.at_ms) for a in audits] == [
        ("wang", "violation.confirm", NOW),
        ("wang", "violation.confirm", NOW + 1),
        ("li", "violation.dismiss", NOW + 2),
        ("li", "violation.confirm", NOW + 3),
    ]
    assert audits[0].detail["voids"] == ids["second"] and audits[0].reason == "video: staff pressed"

    # Changing one's mind is a new decision with its own reason; the void goes away.
    violations.dismiss(
        db, lunch.id or 0, reviewer="zhao", reason="appeal upheld: it was a citizen", now_ms=NOW + 4
    )
    assert violations.voided_event_ids(db, ids["w"], MONTH) == {ids["second"]}
    history = violations.decisions_of(db, lunch.id or 0)
    assert [(d.decision, d.reviewer) for d in history] == [("confirm", "li"), ("dismiss", "zhao")]
    with pytest.raises(Conflict, match="已驳回"):
        violations.dismiss(db, lunch.id or 0, reviewer="zhao", reason="again", now_ms=NOW + 5)
    # Other months and windows see nothing.
    assert violations.voided_event_ids(db, ids["w"], "2026-11") == set()


def test_r6_decision_needs_reason_and_open_month(db: Session, hall: Hall) -> None:
    ids = scenario(hall)
    violations.detect(db, ids["w"], MONTH, working=WORKING, now_ms=NOW)
    cid = violations.list_candidates(db, window_id=ids["w"], kind="refused")[0].id or 0
    with pytest.raises(Invalid, match="理由"):
        violations.confirm(db, cid, reviewer="wang", reason="  ", now_ms=NOW)
    db.add(MonthAction(month=MONTH, action="close", at_ms=NOW, by="wang"))
    db.commit()
    with pytest.raises(Conflict, match="已关账"):
        violations.confirm(db, cid, reviewer="wang", reason="seen", now_ms=NOW + 1)
    db.add(MonthAction(month=MONTH, action="reopen", at_ms=NOW + 2, by="wang", reason="late appeal"))
    db.commit()
    assert violations.confirm(db, cid, reviewer="wang", reason="seen", now_ms=NOW + 3).status == "confirmed"


def test_r6_patrol_report_is_a_candidate_too(db: Session, hall: Hall) -> None:
    ids = scenario(hall)
    row = violations.report(
        db,
        window_id=ids["w"],
        kind="self_eval",
        at_ms=t(10, 10, 5),
        by="patrol-zhou",
        source="patrol",
        detail="saw staff press 满意",
        now_ms=NOW,
        subject_event_id=ids["first"],
    )
    assert row.status == "open" and row.source == "patrol" and row.evidence == [ids["first"]]
    violations.confirm(db, row.id or 0, reviewer="wang", reason="patrol record 3", now_ms=NOW + 1)
    assert ids["first"] in violations.voided_event_ids(db, ids["w"], MONTH)
    with pytest.raises(Invalid, match="一条评价"):
        violations.report(
            db,
            window_id=ids["w"],
            kind="consecutive",
            at_ms=NOW,
            by="p",
            source="patrol",
            detail="x",
            now_ms=NOW,
            subject_event_id=ids["p3"],
        )
    # Detection leaves reported candidates alone.
    violations.detect(db, ids["w"], MONTH, working=WORKING, now_ms=NOW + 2)
    assert violations.get_candidate(db, row.id or 0).status == "confirmed"


def test_r10_month_boundary_in_asia_shanghai(db: Session, hall: Hall) -> None:
    """An evaluation belongs to the month of the moment it was pressed, Asia/Shanghai (R2, R10)."""
    w = hall.window("A07", device="qp-0107", since_ms=sh(2026, 10, 1))
    last_oct = hall.eval("qp-0107", w, sh(2026, 10, 31, 23, 59, 59))
    first_nov = hall.eval("qp-0107", w, sh(2026, 11, 1, 0, 0, 0))
    violations.detect(db, w, "2026-10", working=[], now_ms=NOW)
    violations.detect(db, w, "2026-11", working=[], now_ms=NOW)
    oct_ids = {c.subject_event_id for c in violations.list_candidates(db, window_id=w, month="2026-10")}
    nov = violations.list_candidates(db, window_id=w, month="2026-11")
    assert oct_ids == {last_oct}
    # 1 s apart, across midnight: outside hours, and consecutive with the October one.
    assert {(c.kind, c.subject_event_id) for c in nov} == {
        ("self_eval", first_nov),
        ("consecutive", first_nov),
    }


def test_a_window_found_once_per_session_follows_a_new_number(db: Session, hall: Hall) -> None:
    """fleet.get_window remembers windows by number within a session (the queue system's batches);
    a window renumbered in that session is not found under its old number."""
    from host import fleet
    from host.errors import NotFound

    w = hall.window("A09", device="qp-0109", since_ms=sh(2026, 10, 1))
    first = fleet.get_window(db, "A09")
    assert first.id == w and fleet.get_window(db, "A09") is first
    first.number = "A10"
    db.commit()
    assert fleet.get_window(db, "A10") is first
    with pytest.raises(NotFound):
        fleet.get_window(db, "A09")
