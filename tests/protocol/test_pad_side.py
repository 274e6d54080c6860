"""protocol/pad.py: the pad builds its own messages with a light check, on both interpreters.

The pad carries no table of the host's: what it must still refuse is what comes from outside
its code (a host's string, an exception's text), and what it builds must pass the host's full
check (protocol.messages) -- tests/firmware/padkit.events holds every logged event to it.
"""

from __future__ import annotations

import json

import pytest

from protocol import messages, pad, spec
from protocol.errors import ProtocolError

BUILT = r'''
import json
from protocol import pad
from protocol.errors import ProtocolError
out = []
for fields in ({"reason": "午休"}, {"reason": "a\x00b"}, {"reason": "x" * 257}, {"reason": "\ud800"},
               {"n": 1 << 53}, {"faults": ["ok", "bad\x00"]}):
    try:
        out.append(["ok", pad.event("qp-0107", 1, 1, 5, None, "pause", fields)])
    except ProtocolError as exc:
        out.append([exc.code, exc.field])
print(json.dumps(out))
'''


def test_the_pad_refuses_what_a_host_could_not_store_on_both_interpreters(micropython: object) -> None:
    got = micropython.run_json(BUILT)  # type: ignore[attr-defined]
    assert got[0][0] == "ok" and messages.check_event(got[0][1]) == got[0][1]
    assert got[1:] == [["bad_field", "reason"]] * 3 + [["bad_field", "n"], ["bad_field", "faults"]]


def test_what_the_pad_builds_passes_the_hosts_full_check() -> None:
    for ev in (pad.event("qp-0107", 9, 2, 10, 1795619743210, "eval",
                         {"rating": "satisfied", "svc": None, "prompted": False}),
               pad.event("qp-0107", 10, 2, 11, None, "cmd_result", {"id": "c-1", "ok": True, "detail": ""})):
        assert messages.parse_event(messages.encode(ev), "qp-0107") == ev
    st = pad.state("qp-0107", "serving", {"fw": "1.2.0", "boot": 2, "up": 5, "ts": None, "buffered": 0,
                                          "rejected": 0, "mem_free": 60000, "faults": [], "rssi": -60})
    assert messages.parse_state(messages.encode(st), "qp-0107") == st
    for msg in (pad.will("qp-0107"), pad.power_off("qp-0107")):
        assert messages.parse_state(json.dumps(msg), "qp-0107") == msg


def test_a_host_string_too_long_is_refused_with_the_field_named() -> None:
    with pytest.raises(ProtocolError) as err:
        pad.event("qp-0107", 1, 1, 1, None, "fault_report", {"detail": "x" * (spec.MAX_STR + 1)})
    assert err.value.code == "bad_field" and err.value.field == "detail"
