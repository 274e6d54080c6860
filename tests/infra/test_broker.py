"""The private Mosquitto from the project's own config: auth, ACL, persistence, raised queues.

Non-delivery is proven positively: after the message that must NOT arrive, a marker that
must arrive is sent on the same path, so "only the marker arrived" cannot be a timing
accident (the broker delivers in order per connection).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from protocol import messages, topics
from tests.infra.mqtt import Client

pytestmark = pytest.mark.broker

PAD, OTHER = "qp-0107", "qp-0108"
BURST = 20_000          # > 20x Mosquitto's default max_queued_messages (1000)


@pytest.fixture
def clients(broker: Any) -> Iterator[Callable[..., Client]]:
    made: list[Client] = []

    def make(client_id: str, user: str | None = None, password: str | None = None, **kw: Any) -> Client:
        c = Client(broker.port, client_id, user, password, **kw)
        made.append(c)
        return c

    yield make
    for c in made:
        c.close()


def _pad(broker: Any, clients: Callable[..., Client], dev: str, **kw: Any) -> Client:
    c = clients(dev, dev, broker.add_pad(dev), **kw)
    assert not c.connect().is_failure
    return c


def _host(broker: Any, clients: Callable[..., Client], client_id: str = "host-1",
          **kw: Any) -> Client:
    c = clients(client_id, broker.host_user, broker.host_password, **kw)
    assert not c.connect().is_failure
    return c


def _event(dev: str, seq: int) -> bytes:
    return messages.encode(messages.event(dev, seq, 1, seq, None, "power_off"))


def test_anonymous_connect_is_refused(broker: Any, clients: Callable[..., Client]) -> None:
    rc = clients("anon-1").connect()
    assert rc.is_failure and rc.getName() == "Not authorized", rc   # CONNACK 5 in MQTT 3.1.1


def test_wrong_password_is_refused(broker: Any, clients: Callable[..., Client]) -> None:
    broker.add_pad(PAD)
    rc = clients(PAD, PAD, "not-the-password").connect()
    assert rc.is_failure and rc.getName() in ("Not authorized", "Bad user name or password"), rc


def test_unknown_user_is_refused(broker: Any, clients: Callable[..., Client]) -> None:
    rc = clients("nobody", "nobody", "x").connect()
    assert rc.is_failure, rc


def test_pad_cannot_publish_into_another_pads_topics(broker: Any, clients: Callable[..., Client]) -> None:
    host = _host(broker, clients)
    host.subscribe("evalpad/v1/#")
    _pad(broker, clients, OTHER)        # the victim exists
    pad = _pad(broker, clients, PAD)
    for kind in ("event", "state"):
        pad.publish(topics.topic(OTHER, kind), _event(OTHER, 1))
    # Nor may a pad write the host's side of its own conversation.
    pad.publish(topics.topic(PAD, "ack"), messages.encode(messages.ack([[1, 9]])))
    pad.publish(topics.topic(PAD, "cmd"), messages.encode(messages.command("c-1", "reboot")))
    pad.publish(topics.topic(PAD, "event"), b"marker")
    host.wait_for(1)    # in order on one connection: anything let through would come before the marker
    assert host.messages() == [(topics.topic(PAD, "event"), b"marker")]


def test_pad_cannot_read_another_pads_ack_or_cmd(broker: Any, clients: Callable[..., Client]) -> None:
    host = _host(broker, clients)
    pad = _pad(broker, clients, PAD)
    pad.subscribe(topics.topic(OTHER, "ack"), topics.topic(OTHER, "cmd"), topics.topic(PAD, "cmd"),
                  "evalpad/v1/+/event")
    host.publish(topics.topic(OTHER, "ack"), messages.encode(messages.ack([[1, 1]])))
    host.publish(topics.topic(OTHER, "cmd"), messages.encode(messages.command("c-9", "reboot")))
    host.publish(topics.topic(OTHER, "event"), _event(OTHER, 1))
    host.publish(topics.topic(PAD, "cmd"), b"marker")
    pad.wait_for(1)
    assert pad.messages() == [(topics.topic(PAD, "cmd"), b"marker")]


def test_pad_reads_its_own_ack_and_cmd(broker: Any, clients: Callable[..., Client]) -> None:
    host = _host(broker, clients)
    pad = _pad(broker, clients, PAD)
    pad.subscribe(topics.topic(PAD, "ack"), topics.topic(PAD, "cmd"))
    ack = messages.encode(messages.ack([[1, 3]]))
    cmd = messages.encode(messages.command("c-1", "selftest"))
    host.publish(topics.topic(PAD, "ack"), ack)
    host.publish(topics.topic(PAD, "cmd"), cmd)
    assert pad.wait_for(2) == [(topics.topic(PAD, "ack"), ack), (topics.topic(PAD, "cmd"), cmd)]


def test_host_reads_every_pad(broker: Any, clients: Callable[..., Client]) -> None:
    host = _host(broker, clients)
    host.subscribe(topics.subscription("event"), topics.subscription("state"))
    sent = []
    for dev in (PAD, OTHER):
        pad = _pad(broker, clients, dev)
        for topic, payload in ((topics.topic(dev, "event"), _event(dev, 1)),
                               (topics.topic(dev, "state"), messages.encode(messages.state(dev, "serving")))):
            pad.publish(topic, payload)
            sent.append((topic, payload))
    assert sorted(host.wait_for(4)) == sorted(sent)


def test_retained_state_survives_a_broker_restart(broker: Any, clients: Callable[..., Client]) -> None:
    pad = _pad(broker, clients, PAD)
    state = messages.encode(messages.state(PAD, "paused", fw="1.0.0"))
    pad.publish(topics.topic(PAD, "state"), state, retain=True)
    pad.close()
    broker.server.restart()
    host = _host(broker, clients)
    host.subscribe(topics.subscription("state"))
    got = host.wait_for(1)
    assert got == [(topics.topic(PAD, "state"), state)]
    assert host.received[0].retain


def test_will_is_published_when_a_pad_dies(broker: Any, clients: Callable[..., Client]) -> None:
    host = _host(broker, clients)
    host.subscribe(topics.subscription("state"))
    pad = clients(PAD, PAD, broker.add_pad(PAD))
    will = messages.encode(messages.will(PAD))
    pad.mqtt.will_set(topics.topic(PAD, "state"), will, qos=1, retain=True)
    assert not pad.connect().is_failure
    pad.mqtt.loop_stop()
    sock = pad.mqtt.socket()
    assert sock is not None
    sock.close()                        # the connection dies without DISCONNECT
    assert host.wait_for(1) == [(topics.topic(PAD, "state"), will)]


def test_queued_qos1_survives_a_broker_restart(broker: Any, clients: Callable[..., Client]) -> None:
    host = _host(broker, clients, "host-1", clean_session=False)
    host.subscribe(topics.subscription("event"))
    host.close()                         # offline, persistent session: the broker queues for it
    pad = _pad(broker, clients, PAD)
    sent = [(topics.topic(PAD, "event"), _event(PAD, seq)) for seq in range(1, 11)]
    for topic, payload in sent:
        pad.publish(topic, payload)
    pad.close()
    broker.server.restart()
    host = _host(broker, clients, "host-1", clean_session=False)
    assert host.wait_for(len(sent)) == sent


@pytest.mark.slow
def test_burst_to_an_offline_subscriber_loses_nothing(broker: Any, clients: Callable[..., Client]) -> None:
    """The raised queue limit: Mosquitto's default (1000) would drop 19,000 of these."""
    host = _host(broker, clients, "host-1", clean_session=False)
    host.subscribe(topics.subscription("event"))
    host.close()
    pad = _pad(broker, clients, PAD)
    topic = topics.topic(PAD, "event")
    last = None
    for seq in range(BURST):
        last = pad.mqtt.publish(topic, b"%d" % seq, qos=1)
    assert last is not None
    last.wait_for_publish(60)
    assert last.is_published()
    host = _host(broker, clients, "host-1", clean_session=False)
    got = host.wait_for(BURST, timeout=60)
    seqs = [int(payload) for _, payload in got]
    assert len(seqs) == BURST and seqs == list(range(BURST))


def test_oversized_packet_is_refused_by_the_broker(broker: Any, clients: Callable[..., Client]) -> None:
    """max_packet_size: a pad cannot push megabytes at the broker (the contract caps payloads
    at 1024 bytes; the broker's cap is a safety net, and the host's parser the judge)."""
    host = _host(broker, clients)
    host.subscribe(topics.subscription("event"))
    pad = _pad(broker, clients, PAD)
    disconnected: list[Any] = []
    pad.mqtt.on_disconnect = lambda *a: disconnected.append(a)
    pad.mqtt.publish(topics.topic(PAD, "event"), b"x" * 8192, qos=0)
    other = _pad(broker, clients, OTHER)
    other.publish(topics.topic(OTHER, "event"), b"marker")
    assert host.wait_for(1) == [(topics.topic(OTHER, "event"), b"marker")]
    deadline = time.monotonic() + 5
    while not disconnected and time.monotonic() < deadline:
        time.sleep(0.02)
    assert disconnected, "the broker kept a client that sent an 8 KiB packet"


def test_pad_cannot_take_over_another_pads_client_id(broker: Any, clients: Callable[..., Client]) -> None:
    """Protocol Delivery 7: the broker makes the user name the client id, so a pad's account
    asking for another pad's id gets its own id, and the other pad stays connected."""
    victim = _pad(broker, clients, OTHER)
    dropped: list[Any] = []
    victim.mqtt.on_disconnect = lambda *a: dropped.append(a)
    attacker = clients(OTHER, PAD, broker.add_pad(PAD))     # PAD's account, OTHER's client id
    assert not attacker.connect().is_failure
    # Proof that the attacker's connection is complete: it can publish in its own name.
    host = _host(broker, clients)
    host.subscribe(topics.subscription("event"))
    attacker.publish(topics.topic(PAD, "event"), b"marker")
    assert host.wait_for(1) == [(topics.topic(PAD, "event"), b"marker")]
    victim.publish(topics.topic(OTHER, "event"), b"still here")
    assert host.wait_for(2)[1:] == [(topics.topic(OTHER, "event"), b"still here")]
    assert not dropped, "a pad's connection was taken over by another pad's account"


@pytest.mark.parametrize("stolen_id", ["host-1", "evalpad.host.host-1"])
def test_pad_cannot_take_over_or_wipe_the_hosts_session(broker: Any, clients: Callable[..., Client],
                                                        stolen_id: str) -> None:
    """A pad asking for the host's client id (now or as it used to be) with a clean session
    neither drops the host nor wipes its persistent session: QoS 1 events queued for the
    host while it is away are all delivered when it comes back."""
    host = _host(broker, clients, "host-1", clean_session=False)
    host.subscribe(topics.subscription("event"))
    dropped: list[Any] = []
    host.mqtt.on_disconnect = lambda *a: dropped.append(a)
    pad = _pad(broker, clients, PAD)
    attacker = clients(stolen_id, OTHER, broker.add_pad(OTHER), clean_session=True)
    assert not attacker.connect().is_failure
    pad.publish(topics.topic(PAD, "event"), _event(PAD, 1))
    assert host.wait_for(1) == [(topics.topic(PAD, "event"), _event(PAD, 1))]
    assert not dropped, "the host was knocked off by a pad's account"
    host.close()                                   # away: the broker queues for its session
    sent = [(topics.topic(PAD, "event"), _event(PAD, seq)) for seq in range(2, 12)]
    for topic, payload in sent:
        pad.publish(topic, payload)
    attacker.close()
    # And again while the host is away, with a clean session that would wipe the host's.
    again = clients(stolen_id, OTHER, broker.add_pad(OTHER), clean_session=True)
    assert not again.connect().is_failure
    again.close()
    host = _host(broker, clients, "host-1", clean_session=False)
    assert host.connack is not None
    assert host.wait_for(len(sent)) == sent, "the host's queued events were wiped"


def test_each_host_instance_has_its_own_account_reading_events_writing_acks(
        broker: Any, clients: Callable[..., Client]) -> None:
    """Two instances, two accounts, one shared subscription: each event reaches exactly one
    of them; a host account may write a pad's ack and cmd but not its event or state."""
    one = _host(broker, clients, "host-1")
    two = clients("host-2", "host-2", broker.add_host("host-2"))
    assert not two.connect().is_failure
    for h in (one, two):
        h.subscribe("$share/evalpad/" + topics.subscription("event"))
    pad = _pad(broker, clients, PAD)
    pad.subscribe(topics.topic(PAD, "ack"))
    sent = [(topics.topic(PAD, "event"), _event(PAD, seq)) for seq in range(1, 41)]
    for topic, payload in sent:
        pad.publish(topic, payload)
    deadline = time.monotonic() + 10
    while len(one.messages()) + len(two.messages()) < len(sent) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert sorted(one.messages() + two.messages()) == sorted(sent)
    assert one.messages() and two.messages(), "the shared subscription did not split the events"
    spy = clients("host-3", "host-3", broker.add_host("host-3"))
    assert not spy.connect().is_failure
    spy.subscribe(topics.subscription("event"))
    two.publish(topics.topic(PAD, "event"), _event(PAD, 99))     # a host may not forge a pad's event
    ack = messages.encode(messages.ack([[1, 40]]))
    two.publish(topics.topic(PAD, "ack"), ack)
    assert pad.wait_for(1) == [(topics.topic(PAD, "ack"), ack)]
    pad.publish(topics.topic(PAD, "event"), b"marker")
    assert spy.wait_for(1) == [(topics.topic(PAD, "event"), b"marker")]
