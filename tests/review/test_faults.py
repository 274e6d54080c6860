"""The IT section's fault log (R7) on the real database: opened from pad events, repeats,
lifecycle with audit, pad_fault_spans only for pad_fault verdicts, watchdog resets, silence."""

from __future__ import annotations

import pytest
from sqlmodel import Session, col, select

from host import faults
from host.errors import Conflict, Invalid
from host.models.audit import AuditEntry
from host.models.faults import Fault
from host.rules.outages import OutageRules
from host.rules.types import Span
from tests.review.conftest import sh
from tests.review.facts import Hall

DAY = Span(sh(2026, 10, 12), sh(2026, 10, 13))
NOW = sh(2026, 10, 12, 18, 0)


def t(h: int, m: int, s: int = 0) -> int:
    return sh(2026, 10, 12, h, m, s)


def test_r7_pad_fault_events_open_one_fault_and_repeats_update_it(db: Session, hall: Hall) -> None:
    w = hall.window("A07", device="qp-0107")
    e1 = hall.event("qp-0107", w, "fault", t(9, 0), code="button_stuck", detail="satisfied key held 30 s")
    e2 = hall.event("qp-0107", w, "fault", t(9, 40), code="button_stuck", detail="again")
    clear = hall.event("qp-0107", w, "fault_clear", t(10, 0), code="button_stuck")
    other = hall.event("qp-0107", w, "fault", t(9, 50), code="display")
    assert faults.sync_pad_events(db, DAY, now_ms=NOW) == 2
    assert faults.sync_pad_events(db, DAY, now_ms=NOW + 1) == 0  # idempotent
    rows = faults.list_faults(db, device_id="qp-0107")
    stuck = next(f for f in rows if f.code == "button_stuck")
    assert (
        stuck.source,
        stuck.window_id,
        stuck.started_ms,
        stuck.cleared_ms,
        stuck.repeats,
        stuck.status,
    ) == ("pad", w, t(9, 0), t(10, 0), 1, "open")
    assert "again" in stuck.detail
    assert {f.code for f in rows} == {"button_stuck", "display"}
    assert e1 and e2 and clear and other
    # The pad's clear ends the span; only IT resolves the entry.
    assert [a.action for a in db.exec(select(AuditEntry).order_by(col(AuditEntry.id))).all()] == [
        "fault.open",
        "fault.repeat",
        "fault.open",
        "fault.clear",
    ]


def test_r7_lifecycle_open_ack_resolve_with_audit(db: Session, hall: Hall) -> None:
    w = hall.window("A07", device="qp-0107")
    f = faults.report_fault(db, by="staff-li", detail="满意键按不下去", now_ms=t(9, 0), window_id=w)
    assert (f.source, f.device_id, f.status, f.code) == ("staff", "qp-0107", "open", "staff_report")
    with pytest.raises(Conflict, match="还是待处理"):
        faults.resolve(db, f.id or 0, by="it-wu", verdict="pad_fault", notes="x", now_ms=t(9, 5))
    f = faults.acknowledge(db, f.id or 0, by="it-wu", assignee="it-chen", note="on my way", now_ms=t(9, 10))
    assert (f.status, f.assignee, f.acknowledged_ms) == ("acknowledged", "it-chen", t(9, 10))
    with pytest.raises(Invalid, match="处理结论"):
        faults.resolve(db, f.id or 0, by="it-chen", verdict="broken", notes="x", now_ms=t(10, 0))
    with pytest.raises(Invalid, match="维修记录"):
        faults.resolve(db, f.id or 0, by="it-chen", verdict="pad_fault", notes=" ", now_ms=t(10, 0))
    f = faults.resolve(
        db, f.id or 0, by="it-chen", verdict="pad_fault", notes="replaced key switch", now_ms=t(10, 0)
    )
    assert (f.status, f.verdict, f.resolved_ms, f.cleared_ms) == ("resolved", "pad_fault", t(10, 0), t(10, 0))
    assert "on my way" in f.repair_notes and "replaced key switch" in f.repair_notes
    with pytest.raises(Conflict, match="已修复"):
        faults.resolve(db, f.id or 0, by="it-chen", verdict="network", notes="x", now_ms=t(10, 1))
    f = faults.reclassify(
        db, f.id or 0, by="it-wu", verdict="staff_caused", reason="key was glued", now_ms=t(11, 0)
    )
    audit = [(a.actor, a.action) for a in db.exec(select(AuditEntry).order_by(col(AuditEntry.id))).all()]
    assert audit == [
        ("staff-li", "fault.open"),
        ("it-wu", "fault.acknowledge"),
        ("it-chen", "fault.resolve"),
        ("it-wu", "fault.reclassify"),
    ]
    # A repeat after resolution opens a new entry.
    g = faults.report_fault(db, by="staff-li", detail="again", now_ms=t(12, 0), device_id="qp-0107")
    assert g.id != f.id and g.status == "open"


def test_r7_pad_fault_spans_only_for_pad_fault_verdicts(db: Session, hall: Hall) -> None:
    w = hall.window("A07", device="qp-0107")
    hall.window("A08", device="qp-0108")
    verdicts = {"qp-0107": "pad_fault", "qp-0108": "network"}
    ids = {}
    for dev, verdict in verdicts.items():
        f = faults.report_fault(
            db, by="s", detail="dark screen", now_ms=t(9, 30), device_id=dev, started_ms=t(9, 0)
        )
        faults.acknowledge(db, f.id or 0, by="it", now_ms=t(9, 40))
        faults.resolve(
            db, f.id or 0, by="it", verdict=verdict, notes="fixed", now_ms=t(11, 0), cleared_ms=t(10, 30)
        )
        ids[dev] = f.id
    still_open = faults.report_fault(
        db, by="s", detail="flicker", now_ms=t(14, 0), device_id="qp-0107", code="display"
    )
    got = faults.pad_fault_spans(db, ["qp-0107", "qp-0108"], DAY)
    assert got == [(Span(t(9, 0), t(10, 30)), ids["qp-0107"], ("qp-0107",))]
    assert faults.pad_fault_spans(db, ["qp-0108"], DAY) == []
    assert faults.pad_fault_spans(db, ["qp-0107"], Span(t(10, 30), t(12, 0))) == []  # half-open
    assert faults.pad_fault_spans(db, ["qp-0107"], Span(t(10, 29), t(12, 0)))[0][1] == ids["qp-0107"]
    assert still_open.verdict is None and w


def test_r7_repeated_watchdog_resets_open_one_fault(db: Session, hall: Hall) -> None:
    w = hall.window("A07", device="qp-0107")
    hall.window("A08", device="qp-0108")
    boots = [
        hall.event("qp-0107", w, "boot", t(9, m), fw="1.0.0", reset_cause="watchdog") for m in (0, 20, 50)
    ]
    hall.event("qp-0107", w, "boot", t(9, 55), fw="1.0.0", reset_cause="power_on")
    # Two resets an hour and a half apart on the other pad: bad luck, not a fault.
    hall.event("qp-0108", None, "boot", t(9, 0), fw="1.0.0", reset_cause="watchdog")
    hall.event("qp-0108", None, "boot", t(10, 31), fw="1.0.0", reset_cause="watchdog")
    hall.event("qp-0108", None, "boot", t(12, 2), fw="1.0.0", reset_cause="watchdog")
    assert faults.sync_pad_events(db, DAY, now_ms=NOW) == 1
    f = db.exec(select(Fault).where(Fault.code == "watchdog_resets")).one()
    assert (f.device_id, f.started_ms, f.repeats) == ("qp-0107", t(9, 0), 2)
    # A fourth reset in the hour updates the same fault.
    boots.append(hall.event("qp-0107", w, "boot", t(10, 10), fw="1.0.0", reset_cause="watchdog"))
    assert faults.sync_pad_events(db, DAY, now_ms=NOW + 1) == 0
    db.refresh(f)
    assert f.repeats == 3 and f.last_seen_ms == t(10, 10)


def test_r7_silent_pad_in_working_hours(db: Session, hall: Hall) -> None:
    w = hall.window("A07", device="qp-0107")
    w2 = hall.window("A08", device="qp-0108")
    working = {w: [Span(t(8, 30), t(12, 0))], w2: [Span(t(8, 30), t(12, 0))]}
    hall.power("qp-0107", "off", t(9, 0), t(9, 9, 59))  # 9 min 59 s: below the threshold
    long_off = hall.power("qp-0107", "off", t(11, 0), t(13, 0))  # 60 min inside the session
    hall.power("qp-0108", "off", t(9, 0), t(10, 0), cause="power_off")  # switched off by staff: not silence
    assert faults.detect_silent(db, working, now_ms=NOW) == 1
    assert faults.detect_silent(db, working, now_ms=NOW + 1) == 0
    f = db.exec(select(Fault).where(Fault.code == "silent")).one()
    assert (f.device_id, f.window_id, f.started_ms, f.cleared_ms, f.source) == (
        "qp-0107",
        w,
        t(11, 0),
        t(13, 0),
        "host",
    )
    assert long_off


def test_r7_one_list_of_deliberate_off_causes_for_silence_and_outages(db: Session, hall: Hall) -> None:
    """A cause configured as a person's act (the IT section adds "maintenance") is ignored by the
    silence check as it is by the outage check: one list (host.rules.outages), not two copies."""
    w = hall.window("A07", device="qp-0107")
    hall.power("qp-0107", "off", t(9, 0), t(11, 0), cause="maintenance")
    working = {w: [Span(t(8, 30), t(12, 0))]}
    rules = faults.FaultRules(outages=OutageRules(ignored_causes=frozenset({"power_off", "maintenance"})))
    assert faults.detect_silent(db, working, now_ms=NOW, rules=rules) == 0
    assert faults.detect_silent(db, working, now_ms=NOW) == 1          # the default list: silence


def test_r7_mass_outage_is_one_network_fault(db: Session, hall: Hall) -> None:
    devs = [f"qp-{i:04d}" for i in range(1, 9)]
    for i, d in enumerate(devs):
        hall.window(f"B{i:02d}", device=d)
    # Six of eight pads drop within 90 s and come back within minutes; one unrelated drop later.
    for i, d in enumerate(devs[:6]):
        hall.power(d, "off", t(10, 0) + 15_000 * i, t(10, 20 + i), cause="will")
    hall.power(devs[6], "off", t(14, 0), t(14, 30), cause="will")
    out = faults.detect_outages(db, DAY, now_ms=NOW)
    assert len(out) == 1
    f = out[0]
    assert (f.code, f.source, f.started_ms, sorted(f.devices)) == (
        "network_outage",
        "host",
        t(10, 0),
        devs[:6],
    )
    # Ends when 80 % (5 of 6) are back: the 5th return at 10:24.
    assert f.cleared_ms == t(10, 24)
    assert faults.detect_outages(db, DAY, now_ms=NOW + 1)[0].id == f.id  # idempotent
    assert db.exec(select(Fault)).all() == [f]
    spans = faults.network_outage_spans(db, DAY)
    assert spans == [(Span(t(10, 0), t(10, 24)), f.id, tuple(devs[:6]))]
    # The outage's intervals are the network's: no silent-pad fault for them.
    working = {hall.windows[f"B{i:02d}"]: [Span(t(8, 30), t(12, 0))] for i in range(8)}
    assert faults.detect_silent(db, working, now_ms=NOW) == 0
    # IT says it was staff (someone unplugged the switch): it excuses nothing any more.
    faults.acknowledge(db, f.id or 0, by="it", now_ms=NOW)
    faults.resolve(db, f.id or 0, by="it", verdict="staff_caused", notes="switch unplugged", now_ms=NOW + 5)
    assert faults.network_outage_spans(db, DAY) == []


def test_r7_summary_mttr_and_faults_per_pad(db: Session, hall: Hall) -> None:
    hall.window("A07", device="qp-0107")
    hall.window("A08", device="qp-0108")
    a = faults.report_fault(db, by="s", detail="x", now_ms=t(9, 0), device_id="qp-0107")
    b = faults.report_fault(db, by="s", detail="y", now_ms=t(9, 0), device_id="qp-0108", code="display")
    faults.report_fault(db, by="s", detail="z", now_ms=t(9, 30), device_id="qp-0107", code="display")
    for f, done in ((a, t(10, 0)), (b, t(12, 0))):
        faults.acknowledge(db, f.id or 0, by="it", now_ms=t(9, 5))
        faults.resolve(db, f.id or 0, by="it", verdict="pad_fault", notes="ok", now_ms=done)
    s = faults.summary(db, DAY)
    assert s.total == 3 and s.resolved == 2
    assert s.mttr_ms == (3_600_000 + 3 * 3_600_000) // 2
    assert s.per_pad == {"qp-0107": 2, "qp-0108": 1}
    assert s.by_status == {"resolved": 2, "open": 1}


def test_r7_staff_repeat_updates_the_open_report_and_bad_reports_are_refused(db: Session, hall: Hall) -> None:
    w = hall.window("A07", device="qp-0107")
    a = faults.report_fault(db, by="staff-li", detail="满意键失灵", now_ms=t(9, 0), window_id=w)
    b = faults.report_fault(db, by="staff-wang", detail="还是失灵", now_ms=t(10, 0), device_id="qp-0107")
    assert a.id == b.id and b.repeats == 1 and b.last_seen_ms == t(10, 0) and "还是失灵" in b.detail
    with pytest.raises(Invalid, match="不能晚于现在"):
        faults.report_fault(db, by="s", detail="x", now_ms=t(9, 0), window_id=w, started_ms=t(9, 1))
    with pytest.raises(Invalid, match="哪台评价器或哪个窗口"):
        faults.report_fault(db, by="s", detail="x", now_ms=t(9, 0))
    with pytest.raises(Invalid, match="故障情况"):
        faults.report_fault(db, by="s", detail=" ", now_ms=t(9, 0), window_id=w)


def test_r7_clear_without_open_fault_is_seen_once(db: Session, hall: Hall) -> None:
    w = hall.window("A07", device="qp-0107")
    hall.event("qp-0107", w, "fault_clear", t(9, 0), code="clock")
    assert faults.sync_pad_events(db, DAY, now_ms=NOW) == 0
    assert faults.sync_pad_events(db, DAY, now_ms=NOW) == 0
    assert db.exec(select(Fault)).all() == []


def test_r7_ongoing_outage_gets_its_end_later(db: Session, hall: Hall) -> None:
    devs = [f"qp-{i:04d}" for i in range(1, 7)]
    for i, d in enumerate(devs):
        hall.window(f"B{i:02d}", device=d)
    ids = [hall.power(d, "off", t(10, 0) + 1000 * i, None, cause="timeout") for i, d in enumerate(devs)]
    (f,) = faults.detect_outages(db, DAY, now_ms=t(10, 10))
    assert f.cleared_ms is None
    assert faults.network_outage_spans(db, DAY) == [(Span(t(10, 0), DAY.end_ms), f.id, tuple(devs))]
    # The network is back: the ingest closes the intervals; the next run gives the outage its end.
    from host.models.liveness import PowerInterval

    for n, pid in enumerate(ids):
        row = db.get(PowerInterval, pid)
        assert row is not None
        row.end_ms = t(10, 30 + n)
        db.add(row)
    db.commit()
    (g,) = faults.detect_outages(db, DAY, now_ms=t(11, 0))
    assert g.id == f.id and g.cleared_ms == t(10, 34)  # 5 of 6 back (80 %)
