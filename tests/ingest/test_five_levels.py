"""Five levels and one evaluation per case (issue 16) through the real broker and both databases.

The ingest fills Event.level, case_no and item from the eval, stores a ``reason`` event whose
``of`` names the eval it explains, and a second evaluation of one case (on another pad and
window) is stored all the same and becomes an R6 consecutive candidate (reason same_case).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import Session

from host.models import Event
from host.models.review import ViolationCandidate
from host.rules import violations as rules
from host.violations import detect_month
from tests.ingest.conftest import place
from tests.ingest.pads import T0, SimPad


def _events(engine) -> dict[tuple[str, int], Event]:  # type: ignore[no-untyped-def]
    with Session(engine) as s:
        return {(e.device_id, e.seq): e for e in s.scalars(select(Event))}


def test_level_case_item_and_reasons_are_stored_and_a_second_eval_of_a_case_is_flagged(
        broker, engine, start_ingest, clock) -> None:  # type: ignore[no-untyped-def]
    place(engine, "qp-1601", "A01")
    place(engine, "qp-1602", "A02")
    start_ingest(clock)
    five = SimPad(broker, "qp-1601")
    other = SimPad(broker, "qp-1602")
    five.send(1, type="prompt", svc="A0001", source="host", case="QP-0001", item="居住证办理")
    five.send(2, rating="unsatisfied", svc="A0001", level=2, case="QP-0001", item="居住证办理")
    five.send(3, type="reason", of=2, reasons=["attitude", "efficiency"])
    five.send(4, rating="satisfied", svc=None, prompted=False, level=5, up=40_000)  # no case
    # (Evaluations more than the minimum interval apart: only the case makes a candidate.)
    # The same case evaluated again, on another window, later: stored, then flagged.
    other.send(1, rating="satisfied", svc="B0001", level=4, case="QP-0001", item="居住证办理", up=80_000)
    other.send(2, rating="unsatisfied", svc="B0002", up=120_000)                   # a two-level pad
    assert five.wait_acked([1, 2, 3, 4]) and other.wait_acked([1, 2])
    ev = _events(engine)
    assert len(ev) == 6
    got = {k: (e.type, e.rating, e.level, e.case_no, e.item) for k, e in ev.items()}
    assert got == {
        ("qp-1601", 1): ("prompt", None, None, None, None),
        ("qp-1601", 2): ("eval", "unsatisfied", 2, "QP-0001", "居住证办理"),
        ("qp-1601", 3): ("reason", None, None, None, None),
        ("qp-1601", 4): ("eval", "satisfied", 5, None, None),
        ("qp-1602", 1): ("eval", "satisfied", 4, "QP-0001", "居住证办理"),
        ("qp-1602", 2): ("eval", "unsatisfied", None, None, None),
    }
    # The prompt keeps its case in its body; the reason finds its eval by (device, of).
    assert ev[("qp-1601", 1)].body["case"] == "QP-0001"
    reason = ev[("qp-1601", 3)]
    assert reason.body["reasons"] == ["attitude", "efficiency"]
    assert ev[("qp-1601", reason.body["of"])].level == 2

    with Session(engine) as s:
        detect_month(s, "2026-11", now_ms=clock.now_ms() + 86_400_000)
        found = list(s.scalars(select(ViolationCandidate).where(
            ViolationCandidate.kind == rules.CONSECUTIVE)))  # type: ignore[arg-type]
    first, second = ev[("qp-1601", 2)], ev[("qp-1602", 1)]
    assert [(c.subject_event_id, sorted(c.evidence), c.reasons, c.window_id) for c in found] == [
        (second.id, sorted([first.id, second.id]), [rules.REASON_SAME_CASE], second.window_id)]
    assert "QP-0001" in found[0].detail
    assert second.window_id != first.window_id
    five.close()
    other.close()


def test_a_level_that_disagrees_with_the_rating_is_kept_aside_and_acknowledged(
        broker, engine, start_ingest, clock) -> None:  # type: ignore[no-untyped-def]
    """A pad bug (level 2 sent as satisfied) never becomes a score: rejected bad_field, kept, acked."""
    place(engine, "qp-1603", "A03")
    start_ingest(clock)
    pad = SimPad(broker, "qp-1603")
    bad = (b'{"v":1,"dev":"qp-1603","seq":1,"boot":1,"up":1000,"ts":%d,"type":"eval",'
           b'"rating":"satisfied","svc":null,"prompted":false,"level":2}' % (T0 + 1000))
    pad.send(1, payload=bad)
    assert pad.wait_acked([1])
    assert _events(engine) == {}
    pad.close()
