"""protocol/asyncapi.yaml and protocol/spec.py describe the same contract v1.

- The document is valid AsyncAPI 3.0.0 (the official JSON schema from @asyncapi/specs).
- Channels, operations (host's view), QoS and retain bindings match spec.py.
- Every event type, command type and state message is in the document and back; every
  field, its type, bounds, required-ness and enum values match spec.py.
- Every example parses with protocol.messages to itself and validates against its schema.
- The golden cases agree with the schemas: every accepted payload validates, and every
  refused one is refused by the schema too, except a short list of rules JSON Schema cannot
  say (listed, with the reason).
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from referencing import Registry
from referencing.jsonschema import DRAFT7

from protocol import errors, messages, spec, topics
from tests.protocol import golden

ROOT = Path(__file__).resolve().parents[2]
DOC_PATH = ROOT / "protocol" / "asyncapi.yaml"
META_SCHEMA = ROOT / "node_modules" / "@asyncapi" / "specs" / "schemas" / "3.0.0-without-$id.json"
DOC: dict[str, Any] = yaml.safe_load(DOC_PATH.read_text(encoding="utf-8"))
BASE = "urn:evalpad:asyncapi"
REGISTRY: Registry[Any] = Registry().with_resource(BASE, DRAFT7.create_resource(DOC))
UINT_MAX = spec.UINT_LIMIT - 1

# The contract's own examples (protocol.md), which the document must carry verbatim.
CONTRACT_EXAMPLES = {
    ("event", "eval"): {"v": 1, "dev": "qp-0107", "seq": 1042, "boot": 17, "up": 83211004,
                        "ts": 1795619743210, "type": "eval", "rating": "satisfied", "svc": "qp-0107-17-88",
                        "prompted": True},
    ("state", "state"): {"v": 1, "dev": "qp-0107", "online": True, "mode": "serving", "fw": "1.0.0",
                         "boot": 17, "up": 83211004, "ts": 1795619743210, "buffered": 0, "mem_free": 61440,
                         "rssi": -58, "faults": []},
    ("state", "will"): {"v": 1, "dev": "qp-0107", "online": False},
    ("state", "power_off_state"): {"v": 1, "dev": "qp-0107", "online": False, "reason": "power_off"},
    ("cmd", "prompt"): {"v": 1, "id": "c-5f2a", "type": "prompt", "svc": "A0123", "expires": 1795619803210},
    ("ack", "ack"): {"v": 1, "ack": [[1, 5], [7, 7]]},
}


def resolve(node: Any) -> Any:
    """Follow local ``$ref``s ("#/a/b") until a node without one."""
    while isinstance(node, dict) and "$ref" in node:
        ref = node["$ref"]
        assert ref.startswith("#/"), ref
        node = DOC
        for part in ref[2:].split("/"):
            node = node[part]
    return node


def channel_messages(kind: str) -> dict[str, Any]:
    return {name: resolve(m) for name, m in DOC["channels"][kind]["messages"].items()}


def payload_schema(message: dict[str, Any]) -> dict[str, Any]:
    return resolve(message["payload"])


def validator_for(message: dict[str, Any]) -> jsonschema.Draft7Validator:
    ref = message["payload"]["$ref"]
    return jsonschema.Draft7Validator({"$ref": BASE + ref}, registry=REGISTRY)


def flatten(schema: dict[str, Any]) -> tuple[dict[str, dict[str, Any]], set[str], dict[str, Any]]:
    """(properties merged across allOf, required names, the other keywords of the parts)."""
    schema = resolve(schema)
    props: dict[str, dict[str, Any]] = {}
    required: set[str] = set(schema.get("required", ()))
    rest = {k: v for k, v in schema.items() if k not in ("properties", "required", "allOf")}
    for part in schema.get("allOf", ()):
        p, r, other = flatten(part)
        for name, s in p.items():
            props[name] = {**props.get(name, {}), **s}
        required |= r
        rest.update(other)
    for name, s in schema.get("properties", {}).items():
        props[name] = {**props.get(name, {}), **constraints(s)}
    return props, required, rest


KEYWORDS = ("type", "minimum", "maximum", "minLength", "maxLength", "enum", "const", "items", "minItems",
            "maxItems", "pattern", "uniqueItems")


def constraints(node: Any) -> dict[str, Any]:
    """The validation keywords of a property, following $refs (descriptions dropped)."""
    node = resolve(node)
    out = {k: node[k] for k in KEYWORDS if k in node}
    if isinstance(out.get("items"), list):        # a tuple: [seq, code] of an ack's rej
        out["items"] = [constraints(i) for i in out["items"]]
    elif "items" in out:
        out["items"] = constraints(out["items"])
    return out


NAME = {"type": "string", "minLength": 1, "maxLength": spec.MAX_STR}
UINT = {"type": "integer", "minimum": 0, "maximum": UINT_MAX}
IDENT = {"type": "string", "pattern": "^[a-z][a-z0-9_]{0,%d}$" % (spec.IDENT_MAX - 1)}


def expected(name: str, kind: Any) -> dict[str, Any]:
    """What the schema of a field of spec ``kind`` must say."""
    if name == "v":
        return {"type": "integer", "const": spec.VERSION}
    if name == "dev":
        return {"type": "string", "pattern": "^[a-z0-9][a-z0-9-]{2,31}$"}
    if type(kind) is tuple:
        return {"type": "string", "enum": list(kind)}
    table: dict[str, dict[str, Any]] = {
        "uint": UINT,
        "int": {"type": "integer", "minimum": -UINT_MAX, "maximum": UINT_MAX},
        "pos": {"type": "integer", "minimum": 1, "maximum": spec.MAX_SETTING},
        "ts": {"type": ["integer", "null"], "minimum": 0, "maximum": UINT_MAX},
        "bool": {"type": "boolean"},
        "str": NAME,
        "text": {"type": "string", "maxLength": spec.MAX_STR},
        "str?": {**NAME, "type": ["string", "null"]},
        "strs": {"type": "array", "items": NAME},
        "ranges": {"type": "array", "items": {"type": "array", "minItems": 2, "maxItems": 2, "items": UINT}},
        "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
        "str40": {"type": "string", "minLength": 1, "maxLength": spec.CASE_MAX},
        "level": {"type": "integer", "minimum": spec.LEVEL_MIN, "maximum": spec.LEVEL_MAX},
        "reasons": {"type": "array", "minItems": 1, "uniqueItems": True,
                    "items": {"type": "string", "enum": list(spec.REASONS)}},
        "ident": IDENT,
        "rej": {"type": "array",
                "items": {"type": "array", "minItems": 2, "maxItems": 2, "items": [UINT, IDENT]}},
    }
    return dict(table[kind])


def assert_fields(where: str, schema: dict[str, Any], fields: tuple, type_const: str | None = None) -> None:
    props, required, _ = flatten(schema)
    names = [f[0] for f in fields]
    assert sorted(props) == sorted(names), f"{where}: document has {sorted(props)}, spec.py {sorted(names)}"
    for name, kind, req in fields:
        want = expected(name, kind)
        if name == "type" and type_const is not None:
            want["const"] = type_const
        assert props[name] == want, f"{where}.{name}: document says {props[name]}, spec.py means {want}"
        if name == "mode" and where == "state":
            continue    # required only when online: checked by test_state_requires_mode_when_online
        assert (name in required) == req, (
            f"{where}.{name}: required is {name in required} here, {req} in spec.py")


# -- the document itself --------------------------------------------------------------

def test_document_is_valid_asyncapi_3() -> None:
    if not META_SCHEMA.exists():
        pytest.fail(f"{META_SCHEMA.relative_to(ROOT)} is missing: run `npm ci`", pytrace=False)
    meta = json.loads(META_SCHEMA.read_text())
    problems = [f"{list(e.path)}: {e.message}" for e in jsonschema.Draft7Validator(meta).iter_errors(DOC)]
    assert DOC["asyncapi"] == "3.0.0"
    assert not problems, "\n".join(problems[:20])
    broken = copy.deepcopy(DOC)
    broken["operations"]["sendAck"]["action"] = "publish"     # AsyncAPI 2 wording: must be refused
    assert not jsonschema.Draft7Validator(meta).is_valid(broken)


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        return [node["$ref"]] if "$ref" in node else [r for v in node.values() for r in _refs(v)]
    if isinstance(node, list):
        return [r for v in node for r in _refs(v)]
    return []


def test_every_ref_resolves() -> None:
    for ref in _refs(DOC):
        assert resolve({"$ref": ref}) is not None, ref


def test_error_codes_and_limit_match() -> None:
    assert DOC["x-evalpad-error-codes"] == list(errors.CODES)
    assert DOC["x-evalpad-rej-codes"] == list(errors.REJ_CODES)
    assert all(messages.is_ident(code) for code in errors.REJ_CODES)
    assert DOC["x-evalpad-max-payload-bytes"] == spec.MAX_PAYLOAD


# -- channels and operations -------------------------------------------------------------

def test_channels_are_the_topic_kinds() -> None:
    assert sorted(DOC["channels"]) == sorted(spec.TOPIC_KINDS)
    for kind, channel in DOC["channels"].items():
        assert channel["address"] == spec.PREFIX + "/{device}/" + kind
        assert list(channel["parameters"]) == ["device"]


def test_operations_from_the_hosts_view_with_mqtt_bindings() -> None:
    by_channel: dict[str, list[dict[str, Any]]] = {}
    for op in DOC["operations"].values():
        kind = op["channel"]["$ref"].rsplit("/", 1)[1]
        by_channel.setdefault(kind, []).append(op)
    assert sorted(by_channel) == sorted(spec.TOPIC_KINDS)
    for kind, ops in by_channel.items():
        assert len(ops) == 1, kind
        op = ops[0]
        assert op["action"] == ("receive" if kind in spec.FROM_PAD else "send"), kind
        assert op["bindings"]["mqtt"] == {"qos": spec.QOS, "retain": kind in spec.RETAINED}, kind
        listed = [m["$ref"] for m in op["messages"]]
        assert listed == [f"#/channels/{kind}/messages/{name}" for name in DOC["channels"][kind]["messages"]]


def test_will_binding_matches_the_will_message() -> None:
    will = DOC["servers"]["broker"]["bindings"]["mqtt"]["lastWill"]
    assert will["topic"] == spec.PREFIX + "/{device}/state"
    assert (will["qos"], will["retain"]) == (spec.QOS, True)
    assert json.loads(will["message"].replace("<device>", "qp-0107")) == messages.will("qp-0107")


def test_device_pattern_agrees_with_is_device_id() -> None:
    pattern = re.compile(resolve({"$ref": "#/components/schemas/deviceId"})["pattern"])
    samples = ["qp-0107", "abc", "ab", "a" * 32, "a" * 33, "0ab", "-ab", "ab-", "a_bc", "ABC", "qp 01",
               "ｑp-01", "é12", "qp/01", "", "qp-01\n"]
    for dev in samples:
        assert bool(pattern.fullmatch(dev)) == topics.is_device_id(dev), repr(dev)


# -- messages <-> spec.py ---------------------------------------------------------------------

OTHER = "other"     # events of a type this host does not know (Delivery 6)


def test_every_event_type_is_documented_and_back() -> None:
    msgs = channel_messages("event")
    assert sorted(msgs) == sorted([*spec.EVENT_TYPES, OTHER])
    for name, msg in msgs.items():
        assert msg["name"] == name


def test_other_event_is_any_type_but_the_known_ones() -> None:
    schema = payload_schema(channel_messages("event")[OTHER])
    props, _, _ = flatten(schema)
    assert sorted(props) == sorted(f[0] for f in spec.ENVELOPE)
    assert schema["allOf"][1]["properties"]["type"] == {"not": {"enum": list(spec.EVENT_TYPES)}}
    validator = validator_for(channel_messages("event")[OTHER])
    example = dict(CONTRACT_EXAMPLES[("event", "eval")])
    assert not validator.is_valid(example)
    assert validator.is_valid({**example, "type": "survey", "answers": [1, 2]})
    assert not validator.is_valid({**example, "type": "Survey"})


def test_every_command_type_is_documented_and_back() -> None:
    msgs = channel_messages("cmd")
    assert sorted(msgs) == sorted(spec.COMMAND_TYPES)
    for name, msg in msgs.items():
        assert msg["name"] == name


def test_state_and_ack_messages() -> None:
    assert sorted(channel_messages("state")) == ["power_off_state", "state", "will"]
    assert sorted(channel_messages("ack")) == ["ack"]


@pytest.mark.parametrize("event_type", sorted(spec.EVENT_TYPES))
def test_event_fields_match(event_type: str) -> None:
    """(``type`` of the envelope is an ident; each known type narrows it with ``const``.)"""
    schema = payload_schema(channel_messages("event")[event_type])
    assert_fields(f"event {event_type}", schema, spec.ENVELOPE + spec.EVENT_TYPES[event_type], event_type)


@pytest.mark.parametrize("command_type", sorted(spec.COMMAND_TYPES))
def test_command_fields_match(command_type: str) -> None:
    schema = payload_schema(channel_messages("cmd")[command_type])
    assert_fields(f"command {command_type}", schema, spec.COMMAND_ENVELOPE + spec.COMMAND_TYPES[command_type],
                  command_type)


def test_config_needs_at_least_one_setting() -> None:
    _, _, rest = flatten(payload_schema(channel_messages("cmd")["config"]))
    assert sorted(tuple(alt["required"]) for alt in rest["anyOf"]) == sorted((k,) for k in spec.CONFIG_KEYS)


def test_state_fields_match() -> None:
    assert_fields("state", payload_schema(channel_messages("state")["state"]), spec.STATE_FIELDS)


def test_state_requires_mode_when_online() -> None:
    schema = payload_schema(channel_messages("state")["state"])
    assert schema["if"] == {"properties": {"online": {"const": True}}}
    assert schema["then"] == {"required": ["mode"]}


def test_will_and_power_off_are_states() -> None:
    for name in ("will", "power_off_state"):
        schema = payload_schema(channel_messages("state")[name])
        assert schema["allOf"][0] == {"$ref": "#/components/schemas/state"}, name


def test_ack_fields_match() -> None:
    assert_fields("ack", payload_schema(channel_messages("ack")["ack"]), spec.ACK_FIELDS)


# -- examples ------------------------------------------------------------------------------------

EXAMPLES = [(kind, name, ex["name"], ex["payload"])
            for kind in spec.TOPIC_KINDS
            for name, msg in channel_messages(kind).items()
            for ex in msg.get("examples", [])]


def test_every_message_has_an_example() -> None:
    have = {(kind, name) for kind, name, _, _ in EXAMPLES}
    want = {(kind, name) for kind in spec.TOPIC_KINDS for name in channel_messages(kind)}
    assert have == want, sorted(want - have)


def test_contract_examples_are_in_the_document() -> None:
    for (kind, name), payload in CONTRACT_EXAMPLES.items():
        mine = [p for k, n, _, p in EXAMPLES if (k, n) == (kind, name)]
        assert any(golden.strict_equal(p, payload) for p in mine), (kind, name)


@pytest.mark.parametrize(("kind", "name", "example", "payload"), EXAMPLES,
                         ids=[f"{k}/{n}/{e}" for k, n, e, _ in EXAMPLES])
def test_example_parses_and_validates(kind: str, name: str, example: str, payload: dict[str, Any]) -> None:
    parsed = messages.parse(kind, messages.encode(payload), payload.get("dev"))
    # Examples carry only contract fields, so parse keeps them all.
    assert golden.strict_equal(parsed, payload)
    if kind in (spec.EVENT, spec.CMD):
        assert parsed["type"] == name or (name == OTHER and parsed["type"] not in spec.EVENT_TYPES)
    validator_for(channel_messages(kind)[name]).validate(payload)


# -- golden cases against the schemas ----------------------------------------------------------

PARSE_CASES = [c for c in golden.load_all() if c["op"] == "parse" and c["args"][0] in spec.TOPIC_KINDS]
SCHEMA_CODES = (errors.BAD_VERSION, errors.BAD_DEVICE, errors.MISSING_FIELD, errors.BAD_FIELD,
                errors.UNKNOWN_TYPE)
# What the parser refuses but JSON Schema cannot say (or says differently), by golden case id.
BEYOND_SCHEMA = {
    # JSON Schema's "integer" is any number with a zero fraction, so 5.0 is one; the parser
    # wants the JSON to say 5 (what every pad sends).
    "events/seq-float-whole", "events/seq-float-exponent", "events/v-float", "state/mem-free-float",
    "commands/config-float", "ack/float-bound",
    # Text without NUL or lone surrogates: no keyword for that.
    "events/eval-svc-with-nul", "events/fault-detail-lone-surrogate",
    # from <= to within a range: no keyword compares two items.
    "ack/reversed-range", "ack/one-bad-range-among-good",
    # A rej seq must lie inside the same message's ack ranges: no keyword compares two fields.
    "ack/rej-seq-outside-the-ack-ranges",
    # The fields of an unknown event type (Delivery 6) are any plain JSON: their bounds (text,
    # integers, finite numbers, depth) apply at every depth, which the document says in words.
    "events/type-unknown-too-deep", "events/type-unknown-field-huge-int",
    "events/type-unknown-field-with-nul", "events/type-unknown-key-with-nul",
    "events/type-unknown-field-infinite",
    "five_levels/eval-level-float-whole", "five_levels/eval-case-with-nul",
}


def _input_object(case: dict[str, Any]) -> Any:
    return json.loads(bytes.fromhex(case["args"][1]["$bytes"]))


def _schema_accepts(kind: str, obj: Any) -> bool:
    return any(validator_for(m).is_valid(obj) for m in channel_messages(kind).values())


@pytest.mark.parametrize("case", [c for c in PARSE_CASES if "ok" in c["expected"]], ids=lambda c: c["id"])
def test_accepted_golden_payload_fits_the_schema(case: dict[str, Any]) -> None:
    assert _schema_accepts(case["args"][0], _input_object(case))


@pytest.mark.parametrize("case", [c for c in PARSE_CASES if "error" in c["expected"]
                                  and c["expected"]["error"]["code"] in SCHEMA_CODES], ids=lambda c: c["id"])
def test_refused_golden_payload_is_refused_by_the_schema(case: dict[str, Any]) -> None:
    accepted = _schema_accepts(case["args"][0], _input_object(case))
    if case["id"] in BEYOND_SCHEMA:
        assert accepted, "this case is now refused by the schema too: drop it from BEYOND_SCHEMA"
    else:
        assert not accepted, "the document's schema accepts what the parser refuses"


# -- the checker itself can fail ---------------------------------------------------------------

def _eval_schema(**changes: Any) -> dict[str, Any]:
    """The document's eval event schema with the type-specific part changed."""
    schema = copy.deepcopy(resolve({"$ref": "#/components/schemas/evalEvent"}))
    part = schema["allOf"][1]
    for key, value in changes.items():
        if value is None:
            part["properties"].pop(key)
            part["required"] = [r for r in part["required"] if r != key]
        else:
            part["properties"][key] = value
    return schema


@pytest.mark.parametrize("changes", [
    {"svc": {"type": ["string", "null"], "minLength": 1, "maxLength": 255}},     # bound drifted
    {"rating": {"type": "string", "enum": ["satisfied"]}},                       # enum value lost
    {"prompted": None},                                                          # field dropped
    {"extra": {"type": "string"}},                                               # field not in spec.py
    {"prompted": {"type": "integer"}},                                           # type drifted
], ids=["bound", "enum", "dropped", "extra", "type"])
def test_field_check_catches_drift(changes: dict[str, Any]) -> None:
    good = spec.ENVELOPE + spec.EVENT_TYPES["eval"]
    assert_fields("eval", _eval_schema(), good, "eval")         # unchanged: passes
    with pytest.raises(AssertionError):
        assert_fields("eval", _eval_schema(**changes), good, "eval")
