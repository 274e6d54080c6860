"""`device add` writes a password and ACL that a real Mosquitto enforces.

A new pad can connect and publish its own event; it cannot publish into another pad's
topics (nor its own cmd/ack), cannot read another pad's commands, and once retired it
cannot connect at all.
"""

from __future__ import annotations

import queue

import pytest

from protocol import messages
from tests.api.conftest import MqttClient

V1 = "/api/v1"
SILENCE_S = 0.5  # how long "never arrives" is watched, after a later message already arrived


def _drain(c: MqttClient) -> list[tuple[str, bytes]]:
    out = []
    while True:
        try:
            out.append(c.inbox.get_nowait())
        except queue.Empty:
            return out


@pytest.mark.broker
def test_device_add_gives_a_working_account_locked_to_its_own_topics(live_api) -> None:  # type: ignore[no-untyped-def]
    api, broker = live_api
    it = api.auth("it")
    r = api.client.post(f"{V1}/devices", headers=it, json={"id": "qp-0107", "window": "A01"})
    assert r.status_code == 201, r.text
    password = r.json()["broker"]["password"]
    assert (api.settings.data_dir / "broker" / "passwd").read_text().count("qp-0107:") == 1

    # A second host account: the API's publisher is host-1, and the broker makes the user name
    # the client id (Delivery 7), so sharing its account would knock it off.
    watcher = MqttClient(broker.port, "host-watch", broker.add_host("host-watch"), client_id="host-watch")
    assert watcher.wait_connected()
    watcher.subscribe("evalpad/v1/#")
    victim_pw = api.client.post(f"{V1}/devices/pad-a02/password", headers=it, json={}).json()["password"]
    victim = MqttClient(broker.port, "pad-a02", victim_pw)
    assert victim.wait_connected()
    victim.subscribe("evalpad/v1/pad-a02/cmd")
    pad = MqttClient(broker.port, "qp-0107", password)
    try:
        assert pad.wait_connected(), "the broker refused the password device add printed"
        wrong = MqttClient(broker.port, "qp-0107", password + "x", client_id="qp-0107-wrong")
        assert not wrong.wait_connected()
        wrong.close()

        # Spoofing attempts first, then the pad's own event: MQTT keeps one client's order,
        # so once the own event arrives, the refused ones would already have arrived.
        forged = messages.encode(
            messages.event("pad-a02", 1, 1, 10, None, "eval", rating="unsatisfied", prompted=False)
        )
        pad.publish("evalpad/v1/pad-a02/event", forged)
        pad.publish("evalpad/v1/pad-a02/state", b'{"v":1,"dev":"pad-a02","online":false}', retain=True)
        pad.publish("evalpad/v1/pad-a02/cmd", b'{"v":1,"id":"c-1","type":"reboot"}')
        pad.publish("evalpad/v1/qp-0107/cmd", b'{"v":1,"id":"c-2","type":"reboot"}')
        pad.publish("evalpad/v1/qp-0107/ack", b'{"v":1,"ack":[[0,99]]}')
        own = messages.encode(
            messages.event("qp-0107", 1, 1, 10, None, "boot", fw="1.0", reset_cause="power_on")
        )
        pad.publish("evalpad/v1/qp-0107/event", own)
        topic, payload = watcher.get()
        assert (topic, payload) == ("evalpad/v1/qp-0107/event", own)
        pad.subscribe("evalpad/v1/pad-a02/cmd")  # reading another pad's commands is refused too
        api.client.post(f"{V1}/devices/pad-a02/commands", headers=it, json={"type": "selftest"})
        assert victim.get()[0] == "evalpad/v1/pad-a02/cmd"
        import time

        time.sleep(SILENCE_S)
        seen = _drain(watcher)
        assert seen == [], seen   # no forged event or state came after the pad's own event
        assert _drain(pad) == [] and _drain(victim) == []

        # Retire: the account is gone; the pad cannot log in again.
        pad.close()
        assert (
            api.client.post(f"{V1}/devices/qp-0107/retire", headers=it, json={"reason": "stolen"}).status_code
            == 200
        )
        assert "qp-0107:" not in (api.settings.data_dir / "broker" / "passwd").read_text()
        again = MqttClient(broker.port, "qp-0107", password)
        assert not again.wait_connected(), "a retired pad could still connect"
        again.close()
    finally:
        pad.close()
        victim.close()
        watcher.close()


def test_concurrent_device_adds_lose_no_account(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The API and the CLI may add pads at the same moment: the password file is locked around
    each read-modify-write, so no account overwrites another."""
    from concurrent.futures import ThreadPoolExecutor

    from host.broker import accounts
    from host.broker.mosquitto import read_passwords

    devices = [f"pad-{i:03d}" for i in range(40)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda d: accounts.issue_pad_password(tmp_path, d), devices))
    assert sorted(read_passwords(tmp_path / "passwd")) == devices


def test_a_stale_pid_file_signals_nobody(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Only a mosquitto whose config reads our passwd gets SIGHUP, never whatever reused the pid."""
    import os

    from host.broker import accounts

    (tmp_path / "mosquitto.pid").write_text(str(os.getpid()))  # this pytest process, not a broker
    assert accounts.running_pid(tmp_path) is None
    assert accounts.reload_running(tmp_path) is False


@pytest.mark.broker
def test_the_running_broker_is_found_by_its_config(broker) -> None:  # type: ignore[no-untyped-def]
    from host.broker import accounts

    assert accounts.running_pid(broker.server.directory) == broker.server.proc.pid
