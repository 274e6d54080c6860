"""R6 candidate rules, pure (host.rules.violations): boundaries on in-memory Event rows."""

from __future__ import annotations

from fractions import Fraction

import pytest

from host.models.events import Event
from host.models.service import ServiceSession
from host.rules import violations as v
from host.rules.types import Span
from tests.review.conftest import sh

W = 7
T0 = sh(2026, 10, 12, 9, 0)
WORKING = [
    Span(sh(2026, 10, 12, 8, 30), sh(2026, 10, 12, 12, 0)),
    Span(sh(2026, 10, 12, 13, 0), sh(2026, 10, 12, 17, 0)),
]


class Pad:
    def __init__(self) -> None:
        self.n = 0

    def ev(self, type_: str, at_ms: int, svc: str | None = None, **body: object) -> Event:
        self.n += 1
        return Event(
            id=self.n,
            device_id="qp-0001",
            seq=self.n,
            boot=1,
            up_ms=self.n,
            type=type_,
            at_ms=at_ms,
            received_ms=at_ms,
            window_id=W,
            svc=svc,
            rating=str(body["rating"]) if "rating" in body else None,
            body={"type": type_, "svc": svc, **body},
        )


def consecutive(cands: list[v.Candidate]) -> list[v.Candidate]:
    return [c for c in cands if c.kind == v.CONSECUTIVE]


def test_r6_points_per_kind() -> None:
    points = {"no_prompt": 1, "refused": Fraction(5, 2), "consecutive": 1, "self_eval": 1, "stuck_button": 0}
    assert points == v.POINTS


@pytest.mark.parametrize(("gap_ms", "flagged"), [(20_000, False), (19_999, True), (1, True), (20_001, False)])
def test_r6_min_interval_boundary(gap_ms: int, flagged: bool) -> None:
    """'closer than the minimum interval': exactly 20 s apart is fine, 19.999 s is a candidate."""
    pad = Pad()
    a = pad.ev("eval", T0, rating="satisfied")
    b = pad.ev("eval", T0 + gap_ms, rating="satisfied")
    got = consecutive(v.find_candidates(W, [a, b]))
    if flagged:
        assert len(got) == 1
        assert got[0].subject_event_id == b.id and got[0].evidence == (a.id, b.id)
        assert got[0].reasons == (v.REASON_MIN_INTERVAL,)
    else:
        assert got == []


def test_r6_min_interval_is_configurable() -> None:
    pad = Pad()
    a, b = pad.ev("eval", T0), pad.ev("eval", T0 + 25_000)
    assert consecutive(v.find_candidates(W, [a, b])) == []
    assert len(consecutive(v.find_candidates(W, [a, b], rules=v.ViolationRules(min_interval_ms=30_000)))) == 1


def test_r6_new_queue_session_between_excuses_a_short_gap() -> None:
    pad = Pad()
    a = pad.ev("eval", T0, svc="A001")
    b = pad.ev("eval", T0 + 5_000, svc="A002")
    s1 = ServiceSession(id=1, window_id=W, ticket="A001", started_ms=T0 - 60_000, ended_ms=T0 + 1000)
    s2 = ServiceSession(id=2, window_id=W, ticket="A002", started_ms=T0 + 2_000, ended_ms=T0 + 9000)
    assert consecutive(v.find_candidates(W, [a, b], sessions=[s1, s2])) == []
    # The session started exactly at the second evaluation: still "between" (prev, cur].
    s2b = ServiceSession(id=2, window_id=W, ticket="B", started_ms=T0 + 5_000, ended_ms=None)
    assert (
        consecutive(v.find_candidates(W, [pad.ev("eval", T0), pad.ev("eval", T0 + 5_000)], sessions=[s2b]))
        == []
    )


def test_r6_session_started_before_the_first_evaluation_is_not_between() -> None:
    pad = Pad()
    s = ServiceSession(id=1, window_id=W, ticket="X", started_ms=T0 - 1, ended_ms=None)
    a, b = pad.ev("eval", T0), pad.ev("eval", T0 + 3_000)
    assert len(consecutive(v.find_candidates(W, [a, b], sessions=[s]))) == 1


def test_r6_two_pad_made_session_ids_do_not_excuse_a_short_gap() -> None:
    """Staff pressing the prompt key twice makes two pad session ids; the interval still guards."""
    pad = Pad()
    a = pad.ev("eval", T0, svc="qp-0001-1-7")
    b = pad.ev("eval", T0 + 8_000, svc="qp-0001-1-8")
    assert len(consecutive(v.find_candidates(W, [a, b]))) == 1


def test_r6_more_than_one_evaluation_in_a_session_flags_every_extra_one() -> None:
    pad = Pad()
    a = pad.ev("eval", T0, svc="A001")
    b = pad.ev("eval", T0 + 60_000, svc="A001")
    c = pad.ev("eval", T0 + 120_000, svc="A001")
    got = consecutive(v.find_candidates(W, [a, b, c]))
    assert [(x.subject_event_id, x.evidence, x.reasons) for x in got] == [
        (b.id, (a.id, b.id), (v.REASON_SAME_SESSION,)),
        (c.id, (a.id, c.id), (v.REASON_SAME_SESSION,)),
    ]


def test_r6_same_session_and_short_gap_is_one_candidate_with_both_reasons() -> None:
    pad = Pad()
    a, b = pad.ev("eval", T0, svc="A001"), pad.ev("eval", T0 + 3_000, svc="A001")
    got = consecutive(v.find_candidates(W, [a, b]))
    assert len(got) == 1 and set(got[0].reasons) == {v.REASON_SAME_SESSION, v.REASON_MIN_INTERVAL}
    assert got[0].points == 1 and got[0].voids


def test_r6_outside_hours_unless_answering_a_prompt_shown_in_hours() -> None:
    pad = Pad()
    early = pad.ev("eval", sh(2026, 10, 12, 8, 29, 59))
    at_open = pad.ev("eval", sh(2026, 10, 12, 8, 30))
    prompt = pad.ev("prompt", sh(2026, 10, 12, 11, 59, 30), svc="A9", source="host")
    late_answer = pad.ev("eval", sh(2026, 10, 12, 12, 0, 20), svc="A9")
    lunch = pad.ev("eval", sh(2026, 10, 12, 12, 30))
    at_close = pad.ev("eval", sh(2026, 10, 12, 17, 0))
    got = {
        c.subject_event_id: c
        for c in v.find_candidates(W, [early, at_open, prompt, late_answer, lunch, at_close], working=WORKING)
        if c.kind == v.SELF_EVAL
    }
    assert set(got) == {early.id, lunch.id, at_close.id}  # the end of a span is outside it
    assert got[early.id].reasons == (v.REASON_OUTSIDE_HOURS,)
    # Without working hours the check does not run (nothing guessed).
    assert [c for c in v.find_candidates(W, [early, lunch]) if c.kind == v.SELF_EVAL] == []


def test_r6_paused_and_staff_entry() -> None:
    pad = Pad()
    paused = [Span(T0, T0 + 600_000)]
    before = pad.ev("eval", T0 - 1)
    inside = pad.ev("eval", T0 + 60_000)
    staff = pad.ev("eval", T0 + 700_000, entered_by="staff")
    got = {
        c.subject_event_id: c.reasons
        for c in v.find_candidates(W, [before, inside, staff], paused=paused)
        if c.kind == v.SELF_EVAL
    }
    assert got == {inside.id: (v.REASON_PAUSED,), staff.id: (v.REASON_STAFF_ENTRY,)}


def test_r6_no_prompt_waits_for_the_late_prompt_grace() -> None:
    pad = Pad()
    s = ServiceSession(id=5, window_id=W, ticket="A5", started_ms=T0, ended_ms=T0 + 300_000)
    rules = v.ViolationRules()
    end = T0 + 300_000
    assert v.find_candidates(W, [], sessions=[s], now_ms=end + rules.prompt_after_end_ms - 1) == []
    got = v.find_candidates(W, [], sessions=[s], now_ms=end + rules.prompt_after_end_ms)
    assert [(c.kind, c.service_session_id, c.at_ms) for c in got] == [(v.NO_PROMPT, 5, end)]
    # A key prompt 60 s after the ticket closed still belongs to it; 60.001 s does not.
    ok = pad.ev("prompt", end + 60_000, svc="qp-0001-1-9", source="key")
    assert v.find_candidates(W, [ok], sessions=[s]) == []
    late = pad.ev("prompt", end + 60_001, svc="qp-0001-1-10", source="key")
    assert len(v.find_candidates(W, [late], sessions=[s])) == 1
    # The prompt carrying the ticket counts wherever it lands.
    by_ticket = pad.ev("prompt", end + 999_000, svc="A5", source="host")
    assert v.find_candidates(W, [by_ticket], sessions=[s]) == []


def test_r6_open_session_is_not_a_candidate() -> None:
    s = ServiceSession(id=5, window_id=W, ticket="A5", started_ms=T0, ended_ms=None)
    assert v.find_candidates(W, [], sessions=[s], now_ms=T0 + 10 * 3_600_000) == []


def test_r6_refused_needs_a_cancelled_prompt_end() -> None:
    pad = Pad()
    p = pad.ev("prompt", T0, svc="A1", source="host")
    timeout = pad.ev("prompt_end", T0 + 60_000, svc="A1", reason="timeout")
    p2 = pad.ev("prompt", T0 + 120_000, svc="A2", source="host")
    cancel = pad.ev("prompt_end", T0 + 125_000, svc="A2", reason="cancelled")
    got = v.find_candidates(W, [p, timeout, p2, cancel])
    assert [(c.kind, c.subject_event_id, c.evidence, c.points) for c in got] == [
        (v.REFUSED, cancel.id, (p2.id, cancel.id), Fraction(5, 2))
    ]
    assert not got[0].voids


def test_r6_unstored_events_are_refused() -> None:
    e = Event(device_id="x", seq=1, boot=1, up_ms=1, type="eval", at_ms=T0, received_ms=T0, body={})
    with pytest.raises(ValueError, match="stored events"):
        v.find_candidates(W, [e])


def test_r6_r7_evaluation_from_a_stuck_button_is_a_candidate_to_void() -> None:
    """A press the pad counted when a button went down and stayed down: its `button_stuck` fault
    follows within the detection time (10 s held, plus the pad's loop). The evaluation becomes a
    candidate for the management section to void (R2), with the fault as evidence; no points."""
    pad = Pad()
    real = pad.ev("eval", T0, rating="satisfied")
    stuck = pad.ev("eval", T0 + 60_000, rating="satisfied")
    other = pad.ev("eval", T0 + 62_000, rating="unsatisfied")      # the other button: not stuck
    fault = pad.ev("fault", T0 + 60_000 + 10_500, code="button_stuck", detail="held > 10 s: satisfied")
    found = [c for c in v.find_candidates(W, [real, stuck, other, fault]) if c.kind == v.STUCK_BUTTON]
    assert [(c.subject_event_id, c.evidence, c.at_ms) for c in found] == [
        (stuck.id, (stuck.id, fault.id), stuck.at_ms)]
    (c,) = found
    assert c.voids and c.points == 0 and c.reasons == (v.REASON_STUCK,) and "按键卡滞" in c.detail
    # Outside the detection time (the fault 40 s after the press): not this press.
    late = pad.ev("fault", T0 + 60_000 + 40_000, code="button_stuck", detail="held > 10 s: satisfied")
    assert not [c for c in v.find_candidates(W, [stuck, late]) if c.kind == v.STUCK_BUTTON]
    # Another fault code, or no button named but a rating button held: only what the fault names.
    display = pad.ev("fault", T0 + 70_000, code="display", detail="display not answering")
    assert not [c for c in v.find_candidates(W, [stuck, display]) if c.kind == v.STUCK_BUTTON]


# -- 一事一评 (issue 16): one evaluation per case, whichever pad gave the first ----------------

def _case_eval(pad: Pad, at_ms: int, case: str | None, svc: str | None = None) -> Event:
    e = pad.ev("eval", at_ms, svc, rating="unsatisfied", level=2, **({"case": case} if case else {}))
    e.case_no = case
    return e


def test_r6_a_second_evaluation_of_one_case_is_a_consecutive_candidate() -> None:
    """Hours apart, different sessions: still one case, so the second is flagged with both events."""
    pad = Pad()
    first = _case_eval(pad, T0, "QP-001", svc="A001")
    other = _case_eval(pad, T0 + 3_600_000, "QP-002", svc="A002")
    again = _case_eval(pad, T0 + 7_200_000, "QP-001", svc="A003")
    got = consecutive(v.find_candidates(W, [first, other, again]))
    assert [(c.subject_event_id, c.evidence, c.reasons) for c in got] == [
        (again.id, (first.id, again.id), (v.REASON_SAME_CASE,))]
    assert "QP-001" in got[0].detail and str(first.id) in got[0].detail
    assert got[0].points == 1 and got[0].voids


def test_r6_evaluations_without_a_case_are_never_case_candidates() -> None:
    pad = Pad()
    evs = [_case_eval(pad, T0 + i * 3_600_000, None) for i in range(3)]
    assert consecutive(v.find_candidates(W, evs)) == []


def test_r6_the_first_of_a_case_may_be_on_another_window() -> None:
    """``case_firsts`` over every pad: the only evaluation of the case here is the second one."""
    elsewhere, here = Pad(), Pad()
    elsewhere.n = 100
    first = _case_eval(elsewhere, T0, "QP-9")
    second = _case_eval(here, T0 + 60_000, "QP-9")
    firsts = v.first_of_cases([first, second])
    assert firsts == {"QP-9": first.id}
    got = consecutive(v.find_candidates(W, [second], case_firsts=firsts))
    assert [(c.subject_event_id, set(c.evidence)) for c in got] == [(second.id, {first.id, second.id})]
    # Without the other window's facts, this window alone sees nothing wrong.
    assert consecutive(v.find_candidates(W, [second])) == []
    # And the window of the first never gets a candidate for it.
    assert consecutive(v.find_candidates(W, [first], case_firsts=firsts)) == []


def test_r6_first_of_a_case_is_the_earliest_then_the_lowest_id() -> None:
    pad = Pad()
    late_arrival = _case_eval(pad, T0 + 5_000, "C")          # stored first, happened later
    early = _case_eval(pad, T0, "C")
    tie = _case_eval(pad, T0, "C")
    assert v.first_of_cases([late_arrival, tie, early]) == {"C": early.id}
    assert sorted(v.repeated_cases([late_arrival, early, tie], {"C": early.id})) == [
        (early.id, late_arrival.id, "C"), (early.id, tie.id, "C")]


def test_r6_same_case_and_same_session_make_one_candidate_with_both_reasons() -> None:
    pad = Pad()
    a = _case_eval(pad, T0, "QP-5", svc="A5")
    b = _case_eval(pad, T0 + 60_000, "QP-5", svc="A5")
    got = consecutive(v.find_candidates(W, [a, b]))
    assert len(got) == 1 and set(got[0].reasons) == {v.REASON_SAME_SESSION, v.REASON_SAME_CASE}
    assert got[0].key == f"consecutive:event:{b.id}"


def test_r6_min_interval_needs_a_known_gap_between_derived_times() -> None:
    """R10: a pad that never learned the time has its events dated from uptime and arrival.
    Within one boot the uptime gap is exact; two boots dated that way can overlap on paper
    (a pad switched on and off through a network loss, simulator E01), so no gap is known."""
    def derived(pad: Pad, at_ms: int, boot: int, up_ms: int) -> Event:
        e = pad.ev("eval", at_ms, rating="satisfied")
        e.time_derived, e.boot, e.up_ms = True, boot, up_ms
        return e

    pad = Pad()
    other_boots = [derived(pad, T0, 11, 600_000), derived(pad, T0 + 5_000, 12, 60_000)]
    assert consecutive(v.find_candidates(W, other_boots)) == []
    one_boot = [derived(pad, T0, 13, 60_000), derived(pad, T0 + 30_000, 13, 65_000)]
    got = consecutive(v.find_candidates(W, one_boot))
    assert [(c.subject_event_id, c.reasons) for c in got] == [(one_boot[1].id, (v.REASON_MIN_INTERVAL,))]
    assert "5.000 秒" in got[0].detail
    # Derived against the pad's clock: unknown too, while two on the clock still count.
    timed = [pad.ev("eval", T0 + 1_000, rating="satisfied"), pad.ev("eval", T0 + 4_000, rating="satisfied")]
    got = consecutive(v.find_candidates(W, [derived(pad, T0, 14, 1_000), *timed]))
    assert [c.subject_event_id for c in got] == [timed[1].id]
