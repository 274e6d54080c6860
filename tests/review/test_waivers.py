"""Management waivers (R8): one deduction by its key, with a written reason, audited (R12)."""

from __future__ import annotations

from fractions import Fraction

import pytest
from sqlmodel import Session, col, select

from host import waivers
from host.errors import Conflict, Invalid
from host.models.audit import AuditEntry
from host.models.months import MonthAction
from host.rules.score import month_score
from host.rules.types import Deduction, Span, deduction_key
from tests.review.conftest import sh
from tests.review.facts import Hall

MONTH = "2026-10"
NOW = sh(2026, 11, 2, 9, 0)


def test_r8_waiver_by_deduction_key_reaches_the_score(db: Session, hall: Hall) -> None:
    w = hall.window("A07")
    closure = Deduction(
        kind="closure",
        points=Fraction(1),
        rule="R5",
        span=Span(sh(2026, 10, 12, 9, 0), sh(2026, 10, 12, 9, 30)),
    )
    key = deduction_key(w, MONTH, closure)
    row = waivers.create_waiver(
        db,
        window_id=w,
        month=MONTH,
        key=key,
        reason="building power cut, notice 12",
        by="mgmt-wang",
        now_ms=NOW,
    )
    assert waivers.waivers_for(db, w, MONTH) == {key: "building power cut, notice 12"}
    assert waivers.waivers_for(db, w, "2026-11") == {}
    # The scorer's month_score marks that line waived (shown, not hidden) and it no longer counts.
    score = month_score(
        w,
        MONTH,
        volume=0,
        volume_source="import",
        valid=10,
        satisfied=10,
        deductions=[closure],
        waivers=waivers.waivers_for(db, w, MONTH),
    )
    assert (
        score.final == 5 and score.deductions[0].waiver and "building power cut" in score.deductions[0].waiver
    )
    with pytest.raises(Conflict, match="已免除"):
        waivers.create_waiver(db, window_id=w, month=MONTH, key=key, reason="again", by="x", now_ms=NOW)
    waivers.revoke_waiver(db, row.id or 0, reason="power cut was after hours", by="mgmt-li", now_ms=NOW + 1)
    assert waivers.waivers_for(db, w, MONTH) == {}
    assert len(waivers.list_waivers(db, window_id=w, include_revoked=True)) == 1
    audit = db.exec(select(AuditEntry).order_by(col(AuditEntry.id))).all()
    assert [(a.actor, a.action, a.reason) for a in audit] == [
        ("mgmt-wang", "waiver.create", "building power cut, notice 12"),
        ("mgmt-li", "waiver.revoke", "power cut was after hours"),
    ]


def test_r8_waiver_needs_reason_own_key_and_open_month(db: Session, hall: Hall) -> None:
    w = hall.window("A07")
    other = hall.window("A08")
    key = f"{w}:{MONTH}:shortfall:-"
    with pytest.raises(Invalid, match="必须写明理由"):
        waivers.create_waiver(db, window_id=w, month=MONTH, key=key, reason=" ", by="m", now_ms=NOW)
    with pytest.raises(Invalid, match="不是窗口"):
        waivers.create_waiver(db, window_id=other, month=MONTH, key=key, reason="r", by="m", now_ms=NOW)
    with pytest.raises(Invalid, match="YYYY-MM"):
        waivers.create_waiver(db, window_id=w, month="10/2026", key=key, reason="r", by="m", now_ms=NOW)
    db.add(MonthAction(month=MONTH, action="close", at_ms=NOW, by="m"))
    db.commit()
    with pytest.raises(Conflict, match="已关账"):
        waivers.create_waiver(
            db, window_id=w, month=MONTH, key=key, reason="long pad fault", by="m", now_ms=NOW + 1
        )
