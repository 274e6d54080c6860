"""Mutated payloads for the fuzz campaign on the live ingest (tests/ingest/test_fuzz.py and
bench/ingest_fuzz.py): a pad's good events interleaved with every kind of bad input.

Seq spaces are kept apart so the oracle stays exact: good events use seqs from GOOD_BASE,
mutants are made from templates whose seqs start at MUTANT_BASE (2 apart, so a seq that a
mutation nudges by one never lands on another template's). A mutant that happens to be
valid is stored under its own seq, or is a conflict where it meets another mutant's seq;
none can touch a good event. The one mutant kind that is meant to be accepted as a repeat
is ``respelled``: a good event again in other bytes (key order, spaces, escapes, unknown
field), sent after it; the campaign counts those apart.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from protocol import messages, spec

GOOD_BASE = 100
MUTANT_BASE = 1_000_000_000
T0 = 1_795_600_000_000

TRICKY: list[object] = [
    None, True, False, 0, -1, 1.5, 5.0, 2 ** 31 - 1, 2 ** 31, 2 ** 32, spec.UINT_LIMIT - 1, spec.UINT_LIMIT,
    2 ** 63 - 1, 2 ** 63, -(2 ** 63) - 1, 10 ** 100, -(10 ** 30), 1e308, -1e-300, "", "x" * 300, "\x00",
    "a\x00b", "\ud800", "\udfff", "😀", "\u202e", "窗" * 257, [], {}, [None], {"a": [1, {"b": "\x00"}]},
    "satisfied", "eval", "1", "qp-0001",
]
RATINGS = ("satisfied", "unsatisfied")


def good_event(dev: str, seq: int) -> bytes:
    up = 1000 * (seq - GOOD_BASE + 1)
    return messages.encode(messages.event(dev, seq, 1, up, T0 + up, "eval", rating=RATINGS[seq % 2],
                                          svc=f"s-{seq}", prompted=seq % 3 == 0))


def _template(dev: str, k: int, rng: random.Random) -> dict:
    seq = MUTANT_BASE + 2 * k
    up = 7 + 13 * k
    t = rng.choice(sorted(spec.EVENT_TYPES))
    fields: dict = {}
    for name, kind, _required in spec.EVENT_TYPES[t]:
        if type(kind) is tuple:
            fields[name] = rng.choice(kind)
        elif kind == "bool":
            fields[name] = rng.random() < 0.5
        elif kind in ("str", "str?", "str40"):
            fields[name] = f"{name}-{k}"
        elif kind == "uint":
            fields[name] = k
        elif kind == "level":       # agreeing with the rating (好差评: 3-5 satisfied)
            fields[name] = rng.choice((3, 4, 5) if fields.get("rating") == "satisfied" else (1, 2))
        elif kind == "reasons":
            fields[name] = rng.sample(spec.REASONS, rng.randint(1, len(spec.REASONS)))
        else:
            fields[name] = f"detail {k}"
    return messages.event(dev, seq, 2, up, T0 + up, t, **fields)


def _dump(obj: object) -> bytes:
    # surrogatepass: a lone surrogate in a str goes out as its (invalid) UTF-8 bytes when
    # ensure_ascii is off; with it on, as a \ud800 escape. Both are tried.
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode("utf-8", "surrogatepass")


def _dump_ascii(obj: object) -> bytes:
    return json.dumps(obj, separators=(",", ":")).encode()


def _deep(n: int, leaf: str = "1") -> str:
    return "[" * n + leaf + "]" * n


# -- mutations: (template dict, its bytes, rng) -> payload ------------------------------------

def _insert(data: bytes, rng: random.Random, what: bytes) -> bytes:
    i = rng.randrange(len(data) + 1)
    return data[:i] + what + data[i:]


def _in_string(data: bytes, rng: random.Random, what: bytes) -> bytes:
    """``what`` inside a string value (after an opening quote)."""
    quotes = [i for i, b in enumerate(data) if b == 0x22]
    i = rng.choice(quotes) + 1 if quotes else 0
    return data[:i] + what + data[i:]


def _flip(data: bytes, rng: random.Random) -> bytes:
    i = rng.randrange(len(data))
    return data[:i] + bytes([rng.randrange(256)]) + data[i + 1:]


def _replace_value(data: bytes, key: bytes, value: bytes) -> bytes:
    """``key``'s value becomes ``value``; the old one stays behind under an unknown key."""
    return data.replace(b'"' + key + b'":', b'"' + key + b'":' + value + b',"_' + key + b'":', 1)


def _drop(msg: dict, rng: random.Random) -> dict:
    gone = rng.choice(sorted(msg))
    return {k: v for k, v in msg.items() if k != gone}


def _set_field(msg: dict, rng: random.Random, value: object) -> dict:
    out = dict(msg)
    out[rng.choice(sorted(out))] = value
    return out


BYTE_MUTATIONS: dict[str, Callable[[dict, bytes, random.Random], bytes]] = {
    "nul_raw": lambda m, d, r: _insert(d, r, b"\x00"),
    "nul_in_string": lambda m, d, r: _in_string(d, r, b"\x00"),
    "flip_byte": lambda m, d, r: _flip(d, r),
    "truncate": lambda m, d, r: d[:r.randrange(len(d))],
    "utf16_bom": lambda m, d, r: d.decode().encode("utf-16"),
    "utf16_be": lambda m, d, r: d.decode().encode("utf-16-be"),
    "utf32": lambda m, d, r: d.decode().encode("utf-32"),
    "utf8_bom": lambda m, d, r: b"\xef\xbb\xbf" + d,
    "invalid_utf8": lambda m, d, r: _in_string(d, r, r.choice([b"\xff", b"\xc0\x80", b"\x80",
                                                               b"\xf5\x80\x80\x80"])),
    "surrogate_bytes": lambda m, d, r: _in_string(d, r, r.choice([b"\xed\xa0\x80", b"\xed\xbf\xbf"])),
    "garbage_after": lambda m, d, r: d + r.choice([b"x", b"}", b"{}", b"\x00", b" ,"]),
    "random_bytes": lambda m, d, r: r.randbytes(r.randrange(0, 64)),
    "empty": lambda m, d, r: b"",
    "too_large": lambda m, d, r: _dump({**m, "detail": "x" * r.randrange(1000, 3000)}),
    "two_objects": lambda m, d, r: d + d,
    "control_chars": lambda m, d, r: _in_string(d, r, bytes([r.randrange(1, 32)])),
    "nan_literal": lambda m, d, r: _replace_value(d, b"up", r.choice([b"NaN", b"Infinity", b"-Infinity"])),
    "huge_exponent": lambda m, d, r: _replace_value(d, b"up", b"1e400"),
    "long_digits": lambda m, d, r: _replace_value(d, b"seq", b"9" * r.randrange(17, 900)),
    "deep_array": lambda m, d, r: _deep(r.randrange(10, 500)).encode(),
    "deep_in_field": lambda m, d, r: d[:-1] + b',"x":' + _deep(r.randrange(3, 480)).encode() + b"}",
    "duplicate_key": lambda m, d, r: d[:-1] + b',"seq":' + str(r.choice([0, -1, 2 ** 53])).encode() + b"}",
    "not_object": lambda m, d, r: r.choice([b"null", b"1", b'"x"', b"[]", b"[1,2]", b"true"]),
}

JSON_MUTATIONS: dict[str, Callable[[dict, bytes, random.Random], bytes]] = {
    "field_tricky": lambda m, d, r: _dump(_set_field(m, r, r.choice(TRICKY))),
    "field_tricky_ascii": lambda m, d, r: _dump_ascii(_set_field(m, r, r.choice(TRICKY))),
    "drop_field": lambda m, d, r: _dump(_drop(m, r)),
    "unknown_field": lambda m, d, r: _dump({**m, f"x{r.randrange(99)}": r.choice(TRICKY)}),
    "unknown_type": lambda m, d, r: _dump({**m, "type": r.choice(["survey", "vote_2", "x" * 32, "a"]),
                                           "extra": r.choice(TRICKY)}),
    "bad_type": lambda m, d, r: _dump({**m, "type": r.choice(["Survey", "x" * 33, "1a", "a-b", "", 7])}),
    "bad_version": lambda m, d, r: _dump({**m, "v": r.choice([0, 2, "1", 1.0, True, None])}),
    "other_device": lambda m, d, r: _dump({**m, "dev": r.choice(["qp-9999", "QP-1", "a", "", 5])}),
    "seq_nudged": lambda m, d, r: _dump({**m, "seq": m["seq"] + r.choice([1, -1])}),
    "deep_nesting": lambda m, d, r: _dump({**m, "type": "survey",
                                           "tree": json.loads(_deep(r.randrange(6, 12)))}),
}

ALL = {**BYTE_MUTATIONS, **JSON_MUTATIONS}


def respelled(good: bytes, rng: random.Random) -> bytes:
    """The same event in other bytes: key order, indentation, \\u escapes, an unknown field."""
    msg = json.loads(good)
    items = list(msg.items())
    rng.shuffle(items)
    return json.dumps({"zz_note": "respelled", **dict(items)}, indent=rng.choice([None, 1]),
                      ensure_ascii=True).encode()


@dataclass
class Sent:
    """One payload of a pad's stream: ``kind`` is ``good``, ``respelled`` or the mutation's name."""

    kind: str
    payload: bytes
    seq: int | None = None        # the good event's seq


def stream(dev: str, goods: int, mutants: int, seed: int) -> Iterator[Sent]:
    """A pad's payloads: ``goods`` good events, ``mutants`` bad ones spread among them
    (every mutation kind in turn, with a random template), each distinct in its bytes."""
    rng = random.Random(seed)
    kinds = sorted(ALL)
    seen: set[bytes] = set()
    sent_goods: list[bytes] = []
    per_good = mutants / max(goods, 1)
    made = 0
    tries = 0
    k = 0
    for g in range(goods + 1):
        if g < goods:
            payload = good_event(dev, GOOD_BASE + g)
            sent_goods.append(payload)
            yield Sent("good", payload, GOOD_BASE + g)
        want = mutants if g == goods else min(mutants, round((g + 1) * per_good))
        while made < want:
            tries += 1
            if sent_goods and tries % 97 == 0:
                payload = respelled(rng.choice(sent_goods), rng)
                kind = "respelled"
            else:
                kind = kinds[tries % len(kinds)]
                template = _template(dev, k, rng)
                k += 1
                payload = ALL[kind](template, messages.encode(template), rng)
            if payload in seen:
                continue
            seen.add(payload)
            made += 1
            yield Sent(kind, payload)
