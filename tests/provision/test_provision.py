"""Provisioning and deploy over USB serial, against a simulated pad on a pseudo-terminal.

The simulated pad speaks MicroPython's raw REPL byte for byte and executes what it
receives in the real MicroPython interpreter, so these tests assert the exact files and
bytes that land on the pad's flash, and that the deployed .mpy files import there.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from host.cli import app
from host.provision import build as builder
from host.provision import identity
from tests.provision.simpad import SimPad
from tests.support import micropython as mp
from tests.support.services import missing

pytestmark = pytest.mark.micropython

runner = CliRunner()

IDENTITY_ARGS = ["--dev", "qp-0107", "--wifi-ssid", "青浦大厅", "--wifi-password", "hall-2026-pass",
                 "--mqtt-host", "10.20.0.2", "--mqtt-port", "8883", "--mqtt-password", "s3cret-pad",
                 "--window", "公安分局出入境", "--prefix", "evalpad/v1"]


def _sim(**kw: object) -> SimPad:
    why = mp.available()
    if why:
        missing(why)
    return SimPad(**kw)  # type: ignore[arg-type]


@pytest.fixture
def pad() -> Iterator[SimPad]:
    with _sim() as sim:
        yield sim


def _invoke(*args: str) -> Result:
    return runner.invoke(app, list(args))


def test_provision_writes_the_identity_file_byte_exact(pad: SimPad) -> None:
    res = _invoke("pad", "provision", "--port", pad.port, *IDENTITY_ARGS)
    assert res.exit_code == 0, res.output
    want = {"dev": "qp-0107", "wifi_ssid": "青浦大厅", "wifi_password": "hall-2026-pass",
            "mqtt_host": "10.20.0.2", "mqtt_port": 8883, "mqtt_user": "qp-0107",
            "mqtt_password": "s3cret-pad", "mqtt_prefix": "evalpad/v1",
            "ntp_host": identity.DEFAULT_NTP, "window": "公安分局出入境"}
    files = pad.files()
    assert files["/evalpad.json"] == identity.encode(want)
    assert json.loads(files["/evalpad.json"]) == want
    assert not [p for p in files if p.endswith(".part")]
    assert pad.soft_resets == 1 and pad.mode == "running"   # restarted with its new identity
    # The pad's own parser reads it back under MicroPython.
    assert pad.run("import json\nd = json.load(open('/evalpad.json'))\nprint(d['window'], d['mqtt_port'])"
                   ) == "公安分局出入境 8883\n"


def test_identity_keys_are_the_ones_the_firmware_reads() -> None:
    from firmware.pad import settings

    ident = identity.make_identity("qp-0107", "hall", "hall-2026-pass", "10.0.0.2", window="12")
    assert set(settings.REQUIRED) <= set(ident) <= set(settings.REQUIRED) | set(settings.OPTIONAL)


def test_a_five_key_identity_names_its_layout_and_reason_time() -> None:
    """Issue 16: the layout picks the board's pins and the five-key code; bad values are refused."""
    from firmware.pad import settings

    ident = identity.make_identity("qp-0107", "hall", "hall-2026-pass", "10.0.0.2", layout="five",
                                   reason_s=20)
    assert (ident["layout"], ident["reason_s"]) == ("five", 20)
    assert set(ident) <= set(settings.REQUIRED) | set(settings.OPTIONAL)
    assert "layout" not in identity.make_identity("qp-0107", "hall", "hall-2026-pass", "10.0.0.2")
    with pytest.raises(identity.IdentityError, match="--layout"):
        identity.make_identity("qp-0107", "hall", "hall-2026-pass", "10.0.0.2", layout="three")
    with pytest.raises(identity.IdentityError, match="--reason-s"):
        identity.make_identity("qp-0107", "hall", "hall-2026-pass", "10.0.0.2", layout="five", reason_s=-1)


def test_raw_repl_conversation_on_the_wire(pad: SimPad) -> None:
    res = _invoke("pad", "provision", "--port", pad.port, *IDENTITY_ARGS, "--no-reset")
    assert res.exit_code == 0, res.output
    wire = bytes(pad.rx)
    # Interrupt main.py twice, enter the raw REPL once, every block ends with Ctrl-D, leave with Ctrl-B.
    assert wire.startswith(b"\r\x03\x03\r\x01")
    assert pad.raw_entries == 1
    assert wire.count(b"\x04") == len(pad.codes)
    assert wire.endswith(b"\r\x02") and pad.mode == "friendly" and pad.soft_resets == 0


@pytest.mark.parametrize("left_in", ["raw", "friendly"])
def test_a_pad_left_at_a_repl_is_provisioned_too(left_in: str) -> None:
    # A previous session was cut off: the pad sits at the raw or friendly REPL, not in main.py.
    with _sim(mode=left_in) as pad:
        pad._line += b"half a code block"   # what the cut-off session left
        res = _invoke("pad", "provision", "--port", pad.port, *IDENTITY_ARGS)
        assert res.exit_code == 0, res.output
        assert json.loads(pad.files()["/evalpad.json"])["dev"] == "qp-0107"


def test_provision_replaces_an_old_identity(pad: SimPad) -> None:
    pad.put("/evalpad.json", b'{"dev": "qp-0001"}')
    res = _invoke("pad", "provision", "--port", pad.port, *IDENTITY_ARGS)
    assert res.exit_code == 0, res.output
    assert json.loads(pad.files()["/evalpad.json"])["dev"] == "qp-0107"


def test_generated_broker_password_is_shown_and_registered(pad: SimPad, tmp_path: Path) -> None:
    from host.broker.mosquitto import read_passwords

    passwords = tmp_path / "passwords"
    res = _invoke("pad", "provision", "--port", pad.port, "--dev", "qp-0107", "--wifi-ssid", "hall",
                  "--wifi-password", "hall-2026-pass", "--mqtt-host", "10.0.0.2",
                  "--broker-passwords", str(passwords))
    assert res.exit_code == 0, res.output
    ident = json.loads(pad.files()["/evalpad.json"])
    assert len(ident["mqtt_password"]) >= 20
    assert "qp-0107" in read_passwords(passwords)


def test_a_damaged_transfer_is_refused_and_the_old_file_kept(tmp_path: Path) -> None:
    with _sim(corrupt_writes=True) as pad:
        pad.put("/evalpad.json", b'{"dev": "qp-0001"}')
        res = _invoke("pad", "provision", "--port", pad.port, *IDENTITY_ARGS)
        assert res.exit_code == 1
        assert "写到评价器上后已损坏" in res.output and "请检查 USB 线" in res.output
        assert pad.files()["/evalpad.json"] == b'{"dev": "qp-0001"}'


def test_port_missing_says_what_to_do() -> None:
    res = _invoke("pad", "provision", "--port", "/dev/ttyUSB-nothing", *IDENTITY_ARGS)
    assert res.exit_code == 1
    assert "不存在" in res.output and "serial.tools.list_ports" in res.output


def test_silent_device_gives_a_clear_no_answer_error() -> None:
    with _sim(answer=False) as pad:
        res = _invoke("pad", "provision", "--port", pad.port, *IDENTITY_ARGS, "--timeout", "0.5")
    assert res.exit_code == 1
    assert "MicroPython REPL 在" in res.output and "没有回答" in res.output
    assert "复位键" in res.output


@pytest.mark.parametrize("args, why", [
    (["--dev", "QP 0107"], "评价器编号"),
    (["--wifi-password", "short"], "8-63"),
    (["--mqtt-port", "0"], "1-65535"),
    (["--prefix", "evalpad/#"], "通配符"),
])
def test_bad_values_are_refused_before_touching_the_pad(args: list[str], why: str) -> None:
    base = dict(zip(IDENTITY_ARGS[::2], IDENTITY_ARGS[1::2], strict=True))
    base.update(dict(zip(args[::2], args[1::2], strict=True)))
    flat = [x for kv in base.items() for x in kv]
    res = _invoke("pad", "provision", "--port", "/dev/null", *flat)
    assert res.exit_code == 2
    assert why in res.output


FAKE_MACHINE = b"""
class WDT:
    feeds = 0
    def __init__(self, timeout=5000):
        self.timeout = timeout
    def feed(self):
        WDT.feeds += 1
"""


@pytest.mark.slow   # ~10 s: the whole program (~50 KB) through the raw REPL at serial pace
def test_deploy_lands_every_built_file_and_it_runs(pad: SimPad, tmp_path: Path) -> None:
    tree = builder.build(tmp_path / "tree")
    pad.put("/evalpad.json", b'{"dev": "qp-0107"}')
    pad.put("/machine.py", FAKE_MACHINE)     # the ESP32's watchdog, as the copy sees it
    # Left by an earlier copy: a module since removed, and a source file that MicroPython
    # would import instead of the new screen.mpy.
    pad.put("/lib/firmware/pad/retired.mpy", b"M\x06old")
    pad.put("/lib/firmware/pad/screen.py", b"raise ImportError('stale source')\n")
    pad.put("/lib/other/keep.py", b"X = 1\n")        # not the program's folder: untouched
    res = _invoke("pad", "deploy", "--port", pad.port, "--tree", str(tree.out))
    assert res.exit_code == 0, res.output
    assert "已删除旧文件 /lib/firmware/pad/retired.mpy" in res.output
    assert "已删除旧文件 /lib/firmware/pad/screen.py" in res.output
    # Fed before every file: a deploy longer than the firmware's 30 s watchdog survives.
    assert pad.run("import machine\nprint(machine.WDT.feeds)") == "{}\n".format(len(tree.files))
    files = pad.files()
    for f in tree.files:
        assert files["/" + f.target] == (tree.out / f.target).read_bytes(), f.target
    assert files["/evalpad.json"] == b'{"dev": "qp-0107"}'          # identity left alone
    assert files["/lib/other/keep.py"] == b"X = 1\n"
    program = {p for p in files if p.startswith(("/lib/firmware/", "/lib/protocol/"))}
    assert program == {"/" + f.target for f in tree.files if f.target.startswith("lib/")}
    assert not [p for p in files if p.endswith(".part")]
    # The compiled tree imports in real MicroPython: contract and the display with its glyphs.
    out = pad.run("import sys, gc\nsys.path.insert(0, '/lib')\n"
                  "from protocol import spec\nprint(spec.VERSION)\n"
                  "gc.collect()\nbefore = gc.mem_alloc()\nfrom firmware.pad import glyphs\n"
                  "gc.collect()\nprint(gc.mem_alloc() - before)\n"
                  "import firmware.pad.screen as s\nprint(s.__file__)\n")
    version, glyph_ram, screen_file = out.split()
    assert version == "1" and screen_file == "/lib/firmware/pad/screen.mpy"
    print("glyphs.mpy after import under MicroPython: {} bytes of heap".format(glyph_ram))


def test_deploy_into_a_blocked_path_fails_clearly(pad: SimPad, tmp_path: Path) -> None:
    tree = builder.build(tmp_path / "tree")
    pad.put("/lib", b"a file where the library directory should be")
    res = _invoke("pad", "deploy", "--port", pad.port, "--tree", str(tree.out), "--no-reset")
    assert res.exit_code == 1
    assert "写入 /lib/" in res.output and "失败" in res.output


def test_the_pads_own_loader_accepts_the_provisioned_identity(pad: SimPad) -> None:
    # End to end: what `evalpad pad provision` wrote is what firmware/pad/settings.py loads.
    res = _invoke("pad", "provision", "--port", pad.port, *IDENTITY_ARGS, "--no-reset")
    assert res.exit_code == 0, res.output
    for top in ("firmware", "protocol"):
        for path in sorted((builder.ROOT / top).rglob("*.py")):
            pad.put("/lib/" + path.relative_to(builder.ROOT).as_posix(), path.read_bytes())
    out = pad.run("import sys\nsys.path.insert(0, '/lib')\n"
                  "from firmware.hal.files import Files\n"
                  "from firmware.pad.settings import load_identity\n"
                  "i = load_identity(Files(''))\n"
                  "print(i['dev'], i['mqtt_user'], i['mqtt_port'], i['mqtt_prefix'], i['window'])\n")
    assert out == "qp-0107 qp-0107 8883 evalpad/v1 公安分局出入境\n"


def test_a_cable_pulled_mid_deploy_leaves_the_old_program_whole(tmp_path: Path) -> None:
    tree = builder.build(tmp_path / "tree")
    old = b"M\x06 the previous screen.mpy"
    with _sim(die_after=6) as pad:
        pad.put("/lib/firmware/pad/screen.mpy", old)
        res = _invoke("pad", "deploy", "--port", pad.port, "--tree", str(tree.out),
                      "--timeout", "0.5")
        assert res.exit_code == 1
        assert "没有回答" in res.output
        files = pad.files()
    assert files["/lib/firmware/pad/screen.mpy"] == old
    # Whatever landed landed whole: every non-.part file is byte-identical to the tree.
    assert "/lib/firmware/__init__.mpy" in files           # the copy had started
    for path, data in files.items():
        if path.endswith(".part") or path == "/lib/firmware/pad/screen.mpy":
            continue
        assert data == (tree.out / path[1:]).read_bytes(), path
