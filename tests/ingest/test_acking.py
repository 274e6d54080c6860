"""Ack messages (host.ingest.acking): every recorded seq acknowledged, every rejected one
named, each message within the contract's 1024 bytes and standing alone (Delivery 3, 5)."""

from __future__ import annotations

import random

import pytest

from host.ingest.acking import ack_payloads
from protocol import acks, messages, spec

TOP = spec.UINT_LIMIT - 1


def parsed(seqs: set[int], rej: dict[int, str]) -> list[dict]:
    out = [messages.parse_ack(p) for p in ack_payloads(seqs, rej)]     # parse_ack checks rej in ranges
    assert all(len(p) <= spec.MAX_PAYLOAD for p in ack_payloads(seqs, rej))
    return out


def test_a_plain_ack_has_no_rej() -> None:
    assert ack_payloads({1, 2, 3, 5}) == [b'{"v":1,"ack":[[1,3],[5,5]]}']


def test_rejected_seqs_are_acknowledged_and_named() -> None:
    assert ack_payloads({1, 2}, {3: "bad_field"}) == [b'{"v":1,"ack":[[1,3]],"rej":[[3,"bad_field"]]}']


@pytest.mark.parametrize("case", ["many-ranges", "many-rejected", "all-rejected-long-codes", "random"])
def test_long_acks_are_split_into_messages_that_stand_alone(case: str) -> None:
    rng = random.Random(case)
    if case == "many-ranges":
        seqs, rej = {TOP - 2 * i for i in range(500)}, {}
    elif case == "many-rejected":
        seqs = set(range(1, 501))
        rej = {s: "device_mismatch" for s in range(1, 501, 3)}
    elif case == "all-rejected-long-codes":
        seqs = set()
        rej = {TOP - i: "a" * spec.IDENT_MAX for i in range(300)}
    else:
        seqs = {rng.randrange(1, 5000) for _ in range(600)}
        codes = ["bad_field", "conflict", "host_error"]
        rej = {rng.randrange(1, 5000): rng.choice(codes) for _ in range(200)}
    msgs = parsed(seqs, rej)
    assert len(msgs) > 1
    covered = acks.merge([r for m in msgs for r in m["ack"]])
    assert covered == acks.to_ranges(seqs | set(rej))
    named = {s: c for m in msgs for s, c in m.get("rej", [])}
    assert named == rej
