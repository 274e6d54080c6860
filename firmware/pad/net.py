"""Wi-Fi + MQTT connection manager over umqtt.simple, one bounded action per loop step.

What it adds to umqtt.simple (which has no reconnect and blocks):
* Wi-Fi (re)join and MQTT (re)connect with exponential backoff, ``BACKOFF_MIN_MS`` to
  ``BACKOFF_MAX_MS``; client id = device id; the pad's own broker account.
* The will (``protocol.pad.will``) set at every connect, retained on the state topic.
* Re-subscription to ``ack`` and ``cmd`` after every reconnect (clean sessions: the broker
  keeps nothing for us, and the event log makes that safe).
* Keepalive pings when idle; a ping not answered within ``PING_WAIT_MS`` drops the link.
* Every socket call waits at most ``SOCKET_TIMEOUT_S`` (``hal.netsock``), so a silent broker
  costs the loop at most that per step, never a freeze.
* Incoming messages are only queued (``inbox``); the app handles them between steps.
* ``outage_ms`` tells the app how long MQTT has been down (reboot as the last resort).
"""

from firmware.hal import TYPE_CHECKING
from firmware.lib.umqtt import simple
from protocol import pad, topics, wire
from protocol.fields import encode

if TYPE_CHECKING:
    from firmware.hal.board import Board

SOCKET_TIMEOUT_S = 0.5       # LAN round trips are < 50 ms; 0.5 s tolerates a busy AP
BACKOFF_MIN_MS = 1000
BACKOFF_MAX_MS = 60000       # at most a minute between tries: the host sees us soon after
KEEPALIVE_S = 60             # broker drops us (and publishes the will) after 1.5x this
PING_IDLE_MS = 20000         # ping after this long without sending anything...
PING_MAX_IDLE_MS = 45000     # ...or, with heartbeats due sooner, not before a heartbeat was due
PING_WAIT_MS = 10000         # no byte back within this: the link is dead


def ping_idle_ms(heartbeat_ms):
    # type: (int) -> int
    """How long the link may be idle before a keepalive ping. A heartbeat (QoS 1, its PUBACK
    awaited) proves the link as a ping does, so while heartbeats come often enough a ping
    waits until one is late: a ping before every heartbeat doubled the pad's traffic and the
    broker's. Never later than PING_MAX_IDLE_MS: the broker drops a client silent for 1.5 x
    KEEPALIVE_S."""
    return min(max(PING_IDLE_MS, heartbeat_ms + PING_IDLE_MS // 4), PING_MAX_IDLE_MS)


class Net:
    def __init__(self, hal: "Board", ident: dict) -> None:
        self.hal = hal
        self.ident = ident
        self.dev = ident["dev"]
        prefix = ident.get("mqtt_prefix") or wire.PREFIX
        self.topic = {}  # type: dict[str, bytes]
        for kind in wire.TOPIC_KINDS:
            self.topic[kind] = topics.topic(self.dev, kind, prefix).encode()
        self.sockets = hal.socket_module()
        self.client = None    # type: simple.MQTTClient | None
        self.connected = False
        self.inbox = []       # type: list[tuple[str, bytes]]  # (kind, payload) queued by the callback
        self.backoff = BACKOFF_MIN_MS
        self.next_try = 0
        self.down_since = 0   # up ms when MQTT went down (0: since boot)
        self.last_tx = 0
        self.ping_at = None   # type: tuple[int, int] | None  # (up ms, rx count) of an unanswered ping
        self.ping_idle = PING_IDLE_MS   # the app sets it from its heartbeat (ping_idle_ms)
        self.connects = 0
        self.failures = 0
        self.pings = 0
        self.last_error = ""

    # -- the loop's one network action ---------------------------------------------------

    def step(self, up: int) -> bool:
        """Do one bounded piece of network work.  True right after a (re)connect."""
        hal = self.hal
        if not hal.wifi_isconnected():
            if self.connected:
                self.drop("wifi lost", up)
            if up >= self.next_try:
                hal.wifi_connect(self.ident["wifi_ssid"], self.ident["wifi_password"])
                self._backoff(up)
            return False
        if not self.connected:
            if self.sockets is None or up < self.next_try:
                return False
            return self._connect(up)
        try:
            client = self.client
            assert client is not None        # connected
            client.check_msg()
            self._keepalive(client, up)
        except Exception as exc:  # any failure of the link means reconnect
            self.drop("receive: {!r}".format(exc), up)
        return False

    def _connect(self, up: int) -> bool:
        ident = self.ident
        # bytes, not str: umqtt sends len(x) then x, and a non-ASCII password differs in length
        c = simple.MQTTClient(self.dev.encode(), ident["mqtt_host"], int(ident["mqtt_port"]),
                              _b(ident["mqtt_user"]), _b(ident["mqtt_password"]), KEEPALIVE_S)
        c.set_callback(self._on_message)
        c.set_last_will(self.topic[wire.STATE], encode(pad.will(self.dev)),
                        retain=True, qos=1)
        simple.socket = self.sockets    # umqtt's one injection point (see lib/umqtt/simple.py)
        self.client = c
        try:
            c.connect()
            c.subscribe(self.topic[wire.ACK], qos=1)
            c.subscribe(self.topic[wire.CMD], qos=1)
        except Exception as exc:
            self.failures += 1
            self.drop("connect: {!r}".format(exc), up)
            return False
        self.connected = True
        self.connects += 1
        self.backoff = BACKOFF_MIN_MS
        self.last_tx = up
        self.ping_at = None
        return True

    def _keepalive(self, client: "simple.MQTTClient", up: int) -> None:
        rx = client.sock.rx  # type: ignore[union-attr]  # connected: umqtt (untyped) has its socket
        if self.ping_at is not None:
            if rx != self.ping_at[1]:
                self.ping_at = None
            elif up - self.ping_at[0] > PING_WAIT_MS:
                raise OSError("ping not answered")
        elif up - self.last_tx >= self.ping_idle:
            client.ping()
            self.pings += 1
            self.last_tx = up
            self.ping_at = (up, rx)

    def _on_message(self, topic: bytes, payload: bytes) -> None:
        # A callback only queues (the app handles it after this step).
        kind = "ack" if topic == self.topic[wire.ACK] else "cmd"
        self.inbox.append((kind, payload))

    def _backoff(self, up: int) -> None:
        self.next_try = up + self.backoff
        self.backoff = min(self.backoff * 2, BACKOFF_MAX_MS)

    # -- sending -------------------------------------------------------------------------

    def publish(self, kind: str, msg: dict, up: int, retain: bool = False) -> bool:
        """Publish one message at QoS 1 (waits for PUBACK, bounded).  False if the link died."""
        if not self.connected:
            return False
        payload = encode(msg)      # a ProtocolError here is the message's fault, not the link's
        client = self.client
        try:
            assert client is not None        # connected
            client.publish(self.topic[kind], payload, retain, 1)
        except Exception as exc:
            self.drop("publish: {!r}".format(exc), up)
            return False
        self.last_tx = up
        return True

    # -- going down ------------------------------------------------------------------------

    def drop(self, why: str, up: int) -> None:
        """Forget the connection without a DISCONNECT (so the broker sends the will)."""
        self.last_error = why
        client = self.client
        if client is not None and client.sock is not None:
            try:
                client.sock.close()
            except Exception:
                pass
        self.client = None
        if self.connected:
            self.down_since = up
        self.connected = False
        self._backoff(up)

    def disconnect(self, up: int) -> None:
        """Graceful: DISCONNECT (no will; the caller published its own offline state first)."""
        if self.connected and self.client is not None:
            try:
                self.client.disconnect()
            except Exception:
                pass
        self.client = None
        self.connected = False
        self.down_since = up

    def outage_ms(self, up: int) -> int:
        return 0 if self.connected else up - self.down_since


def _b(text: "str | bytes | None") -> "bytes | None":
    return text.encode() if isinstance(text, str) else text
