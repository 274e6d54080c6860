"""The pad's identity (written by provisioning) and its runtime config (kept on flash).

``evalpad.json`` (written once over USB by the host's provisioning command)::

    {"dev": "qp-0107", "wifi_ssid": "...", "wifi_password": "...", "mqtt_host": "10.0.0.2",
     "mqtt_port": 1883, "mqtt_user": "qp-0107", "mqtt_password": "...",
     "mqtt_prefix": "evalpad/v1", "ntp_host": "ntp.aliyun.com", "window": "...",
     "layout": "two", "reason_s": 15}

``layout``: "two" (满意/不满意, the default) or "five" (five levels and the reason screen,
issue 16: firmware/pad/levels.py); the board file picks its pins by it.  ``reason_s``: how
long a five-key pad shows the reasons after a bad review.

``config.json`` holds what the host's ``config`` command sets (heartbeat_s,
prompt_timeout_s, thanks_s, min_interval_s), defaulting to ``protocol.to_pad.DEFAULT_CONFIG``;
``display.json`` what its ``display`` command last said (``DISPLAY_KEYS``).
"""

import json

from firmware.hal import TYPE_CHECKING
from protocol.to_pad import CONFIG_KEYS, DEFAULT_CONFIG
from protocol.topics import check_device_id
from protocol.wire import PREFIX

if TYPE_CHECKING:
    from firmware.hal.files import Files

IDENTITY_FILE = "evalpad.json"
CONFIG_FILE = "config.json"
DISPLAY_FILE = "display.json"
# What the host's display command sets; *_bmp are the names pre-rendered by the host
# (MicroPython has no CJK font; see firmware/pad/screen.py).
DISPLAY_KEYS = ("window", "staff", "staff_id", "window_bmp", "staff_bmp")
REQUIRED = ("dev", "wifi_ssid", "mqtt_host")
OPTIONAL = {"wifi_password": "", "mqtt_port": 1883, "mqtt_user": None, "mqtt_password": None,
            "mqtt_prefix": PREFIX, "ntp_host": "pool.ntp.org", "window": "", "layout": "two",
            "reason_s": 15}
PROVISION_HINT = "provision the pad over USB with `evalpad pad provision`"


class SettingsError(Exception):
    """The identity file is missing or wrong; the message says what and how to fix it."""


def load_identity(files: "Files") -> dict:
    raw = files.read_small(IDENTITY_FILE)
    if raw is None:
        raise SettingsError("/{} is missing: {}".format(IDENTITY_FILE, PROVISION_HINT))
    try:
        ident = json.loads(raw)
    except ValueError as exc:
        raise SettingsError("/{} is not JSON ({}): {}".format(IDENTITY_FILE, exc, PROVISION_HINT))
    if type(ident) is not dict:
        raise SettingsError("/{} must hold one JSON object: {}".format(IDENTITY_FILE, PROVISION_HINT))
    for key in REQUIRED:
        if not ident.get(key):
            raise SettingsError("/{} lacks {!r}: {}".format(IDENTITY_FILE, key, PROVISION_HINT))
    try:
        check_device_id(ident["dev"])
    except ValueError as exc:
        raise SettingsError("/{}: {}".format(IDENTITY_FILE, exc))
    out = dict(OPTIONAL)
    out.update(ident)
    if out["mqtt_user"] is None:
        out["mqtt_user"] = out["dev"]    # the broker account is named after the device
    return out


def save_identity(files: "Files", ident: dict) -> None:
    files.write_small(IDENTITY_FILE, json.dumps(ident).encode())


class Config:
    """Runtime settings in seconds; ``update`` validates and writes them to flash."""

    def __init__(self, files: "Files") -> None:
        self.files = files
        self.values = dict(DEFAULT_CONFIG)
        self.display = {}  # type: dict[str, str]
        for key in DISPLAY_KEYS:
            self.display[key] = ""
        self._load()

    def _load(self) -> None:
        for name, target in ((CONFIG_FILE, self.values), (DISPLAY_FILE, self.display)):
            raw = self.files.read_small(name)
            try:
                stored = json.loads(raw) if raw else {}
            except ValueError:
                stored = {}   # damaged: keep defaults; the host's next config command repairs it
            if type(stored) is dict:
                for key in target:
                    if key in stored and type(stored[key]) is type(target[key]):
                        target[key] = stored[key]

    def get(self, key: str) -> int:
        return self.values[key]

    def update(self, changes: dict) -> dict:
        """Apply the known keys of ``changes`` (already validated by protocol) and persist."""
        applied = {}
        for key in CONFIG_KEYS:
            if key in changes:
                self.values[key] = changes[key]
                applied[key] = changes[key]
        self.files.write_small(CONFIG_FILE, json.dumps(self.values).encode())
        return applied

    def set_display(self, cmd: dict) -> None:
        """Keep the display command's fields (those it carries) on flash."""
        for key in DISPLAY_KEYS:
            if key in cmd:
                self.display[key] = cmd[key]
        self.files.write_small(DISPLAY_FILE, json.dumps(self.display).encode())
