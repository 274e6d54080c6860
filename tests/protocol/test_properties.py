"""Property tests (hypothesis, CPython): the parser never crashes, and ack ranges obey a set model.

For any input, ``messages.parse`` either accepts it, and then what it returns survives
``encode`` -> ``parse`` unchanged, or raises ProtocolError with a code from CODES.
Anything else (TypeError, KeyError, RecursionError, UnicodeEncodeError...) is a bug: a
host's ingest would die on one bad payload instead of logging and refusing it.
"""

from __future__ import annotations

import itertools
import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from protocol import acks, messages, serialwire, spec, topics
from protocol.errors import CODES, TOO_LARGE, ProtocolError
from tests.protocol.golden import strict_equal

UINT_MAX = spec.UINT_LIMIT - 1
FAST = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])

device_ids = st.from_regex(r"[a-z0-9][a-z0-9-]{2,31}", fullmatch=True)
# Lone surrogates (category Cs: st.characters() yields them unless told) and NUL are refused by
# the contract, so leave them out here.
chars = st.characters(exclude_characters="\x00", exclude_categories=("Cs",))
names = st.text(chars, min_size=1, max_size=spec.MAX_STR)
texts = st.text(chars, max_size=spec.MAX_STR)
uints = st.integers(0, UINT_MAX)
idents = st.from_regex(r"[a-z][a-z0-9_]{0,31}", fullmatch=True)


def value_of(kind: Any) -> st.SearchStrategy[Any]:
    """Valid values of a spec.py field kind."""
    if type(kind) is tuple:
        return st.sampled_from(kind)
    pairs = st.tuples(uints, uints).map(lambda p: [min(p), max(p)])
    return {
        "uint": uints,
        "int": st.integers(-UINT_MAX, UINT_MAX),
        "pos": st.integers(1, spec.MAX_SETTING),
        "ts": st.none() | uints,
        "bool": st.booleans(),
        "str": names,
        "text": texts,
        "str?": st.none() | names,
        "strs": st.lists(names, max_size=3),
        "ranges": st.lists(pairs, max_size=5),
        "sha256": st.text("0123456789abcdef", min_size=64, max_size=64),
        "ident": idents,
        "rej": st.lists(st.tuples(uints, idents).map(list), max_size=3),
        "str40": st.text(chars, min_size=1, max_size=spec.CASE_MAX),
        "level": st.integers(spec.LEVEL_MIN, spec.LEVEL_MAX),
        "reasons": st.lists(st.sampled_from(spec.REASONS), min_size=1, unique=True),
    }[kind]


@st.composite
def fields(draw: st.DrawFn, table: tuple, fixed: dict[str, Any]) -> dict[str, Any]:
    msg: dict[str, Any] = {}
    for name, kind, required in table:
        if name in fixed:
            msg[name] = fixed[name]
        elif required or draw(st.booleans()):
            msg[name] = draw(value_of(kind))
    return msg


@st.composite
def valid_messages(draw: st.DrawFn) -> tuple[str, str | None, dict[str, Any]]:
    """(topic kind, topic device, a message the contract accepts) for every message kind."""
    kind = draw(st.sampled_from(spec.TOPIC_KINDS))
    dev = draw(device_ids)
    if kind == spec.EVENT:
        t = draw(st.sampled_from(sorted(spec.EVENT_TYPES)))
        msg = draw(fields(spec.ENVELOPE + spec.EVENT_TYPES[t], {"v": 1, "dev": dev, "type": t}))
        if "level" in msg:   # issue 16: a level agrees with the rating (1-2 unsatisfied, 3-5 satisfied)
            msg["rating"] = "satisfied" if msg["level"] >= spec.SATISFIED_FROM else "unsatisfied"
    elif kind == spec.STATE:
        msg = draw(fields(spec.STATE_FIELDS, {"v": 1, "dev": dev}))
        if msg["online"]:
            msg.setdefault("mode", draw(st.sampled_from(spec.MODES)))
    elif kind == spec.ACK:
        msg = draw(fields(spec.ACK_FIELDS, {"v": 1}))
        if "rej" in msg:     # what a message rejects, it acknowledges: seqs from its own ranges
            msg["rej"] = [[draw(st.integers(*draw(st.sampled_from(msg["ack"])))), code]
                          for _, code in msg["rej"]] if msg["ack"] else []
    else:
        t = draw(st.sampled_from(sorted(spec.COMMAND_TYPES)))
        msg = draw(fields(spec.COMMAND_ENVELOPE + spec.COMMAND_TYPES[t], {"v": 1, "type": t}))
        if t == "config" and not any(k in msg for k in spec.CONFIG_KEYS):
            msg[draw(st.sampled_from(spec.CONFIG_KEYS))] = draw(value_of("pos"))
    return kind, dev if kind in spec.FROM_PAD else None, msg


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)


def wire(obj: Any) -> bytes:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode("utf-8", "surrogatepass")


def check_outcome(kind: str, payload: bytes | str, dev: str | None = None) -> dict[str, Any] | None:
    """Accepted and round-trips, or refused with a known code. Returns the parsed message or None."""
    try:
        parsed = messages.parse(kind, payload, dev)
    except ProtocolError as exc:
        assert exc.code in CODES, exc.code
        assert exc.message, "a refusal says why"
        return None
    again = messages.parse(kind, messages.encode(parsed), dev)
    assert strict_equal(again, parsed), (parsed, again)
    return parsed


# -- valid messages ---------------------------------------------------------------------

@FAST
@given(valid_messages())
def test_valid_message_round_trips(case: tuple[str, str | None, dict[str, Any]]) -> None:
    kind, dev, msg = case
    data = wire(msg)
    if len(data) > spec.MAX_PAYLOAD:
        try:
            messages.parse(kind, data, dev)
        except ProtocolError as exc:
            assert exc.code == TOO_LARGE
        else:
            raise AssertionError("an oversized payload was accepted")
        return
    parsed = messages.parse(kind, data, dev)
    assert strict_equal(parsed, msg)
    assert strict_equal(messages.parse(kind, messages.encode(parsed), dev), msg)


@FAST
@given(valid_messages(), json_values)
def test_unknown_fields_are_ignored(case: tuple[str, str | None, dict[str, Any]], extra: Any) -> None:
    kind, dev, msg = case
    data = wire({**msg, "x_unknown": extra})
    if len(data) <= spec.MAX_PAYLOAD:
        assert strict_equal(messages.parse(kind, data, dev), msg)


# -- mutated and random payloads --------------------------------------------------------

@st.composite
def mutated(draw: st.DrawFn) -> tuple[str, str | None, bytes]:
    kind, dev, msg = draw(valid_messages())
    msg = dict(msg)
    how = draw(st.sampled_from(["drop", "replace", "retype", "add", "nest", "wrap"]))
    key = draw(st.sampled_from(sorted(msg)))
    if how == "drop":
        del msg[key]
    elif how == "replace":
        msg[key] = draw(json_values)
    elif how == "retype":
        value = msg[key]
        msg[key] = draw(st.sampled_from([str(value), [value], {"v": value}, bool(value), None, 1.5, -1,
                                         UINT_MAX + 1, True, 0]))
    elif how == "add":
        msg[draw(st.text(max_size=10))] = draw(json_values)
    elif how == "nest":
        msg = {"msg": msg}
    else:
        return kind, dev, wire([msg])
    return kind, dev, wire(msg)


@FAST
@given(mutated())
def test_mutated_payload_is_accepted_or_refused_with_a_code(case: tuple[str, str | None, bytes]) -> None:
    kind, dev, payload = case
    check_outcome(kind, payload, dev)


@FAST
@given(st.sampled_from(spec.TOPIC_KINDS), st.binary(max_size=spec.MAX_PAYLOAD + 20))
def test_random_bytes_never_crash(kind: str, data: bytes) -> None:
    check_outcome(kind, data, "qp-0107")


@FAST
@given(st.sampled_from(spec.TOPIC_KINDS), json_values)
def test_random_json_never_crashes(kind: str, value: Any) -> None:
    check_outcome(kind, wire(value), "qp-0107")


@FAST
@given(st.sampled_from(spec.TOPIC_KINDS), st.text(max_size=300))
def test_random_text_never_crashes(kind: str, text: str) -> None:
    check_outcome(kind, text, None)


@FAST
@given(valid_messages(), st.data())
def test_truncated_payload_is_refused(case: tuple[str, str | None, dict[str, Any]],
                                      data: st.DataObject) -> None:
    kind, dev, msg = case
    raw = wire(msg)
    cut = data.draw(st.integers(0, len(raw) - 1))
    try:
        messages.parse(kind, raw[:cut], dev)
    except ProtocolError as exc:
        assert exc.code in ("not_json", "not_utf8", "too_large"), exc.code
    else:
        raise AssertionError("a cut-off object was accepted")


@FAST
@given(valid_messages(), st.data())
def test_byte_flips_never_crash(case: tuple[str, str | None, dict[str, Any]], data: st.DataObject) -> None:
    kind, dev, msg = case
    raw = bytearray(wire(msg))
    for _ in range(data.draw(st.integers(1, 3))):
        raw[data.draw(st.integers(0, len(raw) - 1))] = data.draw(st.integers(0, 255))
    check_outcome(kind, bytes(raw), dev)


@FAST
@given(st.binary(max_size=1200) | st.text(max_size=300).map(str.encode))
def test_serial_unwrap_never_crashes(line: bytes) -> None:
    try:
        kind, payload = serialwire.unwrap(line)
    except ProtocolError as exc:
        assert exc.code in CODES
    else:
        assert kind in spec.TOPIC_KINDS and len(payload) <= spec.MAX_PAYLOAD


@FAST
@given(valid_messages())
def test_serial_wrap_unwrap_round_trips(case: tuple[str, str | None, dict[str, Any]]) -> None:
    kind, dev, msg = case
    if len(wire(msg)) > spec.MAX_PAYLOAD:
        return
    got_kind, payload = serialwire.unwrap(serialwire.wrap(kind, msg))
    assert got_kind == kind
    assert strict_equal(messages.parse(kind, payload, dev), msg)


@FAST
@given(st.text(max_size=80))
def test_parse_topic_never_crashes(name: str) -> None:
    try:
        dev, kind = topics.parse_topic(name)
    except ProtocolError as exc:
        assert exc.code in CODES
    else:
        assert topics.topic(dev, kind) == name


@FAST
@given(device_ids, st.sampled_from(spec.TOPIC_KINDS))
def test_topic_round_trips(dev: str, kind: str) -> None:
    assert topics.parse_topic(topics.topic(dev, kind)) == (dev, kind)


# -- ack ranges against a set model ----------------------------------------------------------

small_seqs = st.lists(st.integers(0, 200), max_size=60)
small_ranges = st.lists(st.tuples(st.integers(0, 200), st.integers(0, 200)).map(lambda p: [min(p), max(p)]),
                        max_size=12)


def expand(ranges: list[list[int]]) -> set[int]:
    return {s for a, b in ranges for s in range(a, b + 1)}


def assert_normal(ranges: list[list[int]]) -> None:
    """Sorted, each from <= to, and neither overlapping nor touching (so minimal)."""
    for a, b in ranges:
        assert a <= b
    for (_, b1), (a2, _) in itertools.pairwise(ranges):
        assert a2 > b1 + 1


@FAST
@given(small_seqs)
def test_to_ranges_is_the_set(seqs: list[int]) -> None:
    ranges = acks.to_ranges(seqs)
    assert_normal(ranges)
    assert expand(ranges) == set(seqs)
    assert acks.count(ranges) == len(set(seqs))


@FAST
@given(st.lists(uints, max_size=30))
def test_to_ranges_big_seqs(seqs: list[int]) -> None:
    ranges = acks.to_ranges(seqs)
    assert_normal(ranges)
    assert acks.count(ranges) == len(set(seqs))
    assert all(acks.covers(ranges, s) for s in seqs)


@FAST
@given(small_ranges)
def test_merge_is_the_union(ranges: list[list[int]]) -> None:
    merged = acks.merge(ranges)
    assert_normal(merged)
    assert expand(merged) == expand(ranges)
    assert acks.merge(merged) == merged
    assert acks.count(merged) == len(expand(ranges))


@FAST
@given(small_seqs)
def test_merge_of_to_ranges_is_itself(seqs: list[int]) -> None:
    ranges = acks.to_ranges(seqs)
    assert acks.merge(ranges) == ranges


@FAST
@given(small_seqs, small_ranges)
def test_unacked_is_set_difference(pending: list[int], ranges: list[list[int]]) -> None:
    acked = expand(ranges)
    assert acks.unacked(pending, ranges) == sorted(s for s in pending if s not in acked)


@FAST
@given(st.integers(0, 210), small_ranges)
def test_covers_is_membership(seq: int, ranges: list[list[int]]) -> None:
    assert acks.covers(ranges, seq) == (seq in expand(ranges))


@FAST
@given(small_seqs)
def test_ack_message_of_ranges_round_trips(seqs: list[int]) -> None:
    msg = messages.ack(acks.to_ranges(seqs))
    parsed = messages.parse_ack(messages.encode(msg)) if len(wire(msg)) <= spec.MAX_PAYLOAD else msg
    assert expand(parsed["ack"]) == set(seqs)


@FAST
@given(valid_messages(), st.data())
def test_escaped_surrogates_and_controls_never_crash(case: tuple[str, str | None, dict[str, Any]],
                                                      data: st.DataObject) -> None:
    """Text fields set to strings with lone surrogates or control characters, sent \\u-escaped
    (as CPython's json writes them): refused with a code, or accepted and re-encodable."""
    kind, dev, msg = case
    tricky = data.draw(st.text(st.characters(categories=["Cs", "Cc", "Lo", "So"]), max_size=20))
    key = data.draw(st.sampled_from(sorted(msg)))
    payload = json.dumps({**msg, key: tricky}, separators=(",", ":")).encode()   # ensure_ascii: escapes
    check_outcome(kind, payload, dev)
