"""The pad's identity file ``/evalpad.json``: device id, Wi-Fi, broker (身份配置).

Its keys are what firmware/pad/settings.py reads.  The broker account is named after the
device (the broker's ACL lets a pad publish only under its own topics).
"""

from __future__ import annotations

import json
import secrets

from protocol import spec
from protocol.topics import is_device_id

PATH = "/evalpad.json"
DEFAULT_MQTT_PORT = 1883
DEFAULT_NTP = "ntp.aliyun.com"     # reachable from mainland China, unlike some pool servers
PASSWORD_BYTES = 18                # 24 URL-safe characters, as the broker tooling makes them
WIFI_SSID_MAX = 32                 # 802.11 limits
WPA_MIN, WPA_MAX = 8, 63
LAYOUTS = ("two", "five")          # rating keys: 满意/不满意, or five levels (issue 16)
REASON_S_MAX = 600                 # a five-key pad's reason screen: at most ten minutes


class IdentityError(ValueError):
    """A provisioning value is wrong; the message says which and how to fix it."""


def new_password() -> str:
    return secrets.token_urlsafe(PASSWORD_BYTES)


def make_identity(dev: str, wifi_ssid: str, wifi_password: str, mqtt_host: str,
                  mqtt_port: int = DEFAULT_MQTT_PORT, mqtt_password: str | None = None,
                  mqtt_prefix: str = spec.PREFIX, ntp_host: str = DEFAULT_NTP,
                  window: str | None = None, layout: str = "two", reason_s: int = 15) -> dict:
    """The identity dict, checked; a broker password is generated when none is given."""
    if not is_device_id(dev):
        raise IdentityError("device id {!r} is invalid: use 3-32 characters of a-z, 0-9 and '-', "
                            "starting with a letter or digit (e.g. qp-0107)".format(dev))
    if not wifi_ssid or len(wifi_ssid.encode()) > WIFI_SSID_MAX:
        raise IdentityError("--wifi-ssid must be 1-{} bytes".format(WIFI_SSID_MAX))
    if wifi_password and not WPA_MIN <= len(wifi_password) <= WPA_MAX:
        raise IdentityError("--wifi-password must be {}-{} characters (WPA2), or empty for an "
                            "open network".format(WPA_MIN, WPA_MAX))
    if not mqtt_host or any(c.isspace() for c in mqtt_host):
        raise IdentityError("--mqtt-host must be the broker's host name or IP address")
    if not 1 <= mqtt_port <= 65535:
        raise IdentityError("--mqtt-port must be 1-65535, got {}".format(mqtt_port))
    if not mqtt_prefix or mqtt_prefix.endswith("/") or "#" in mqtt_prefix or "+" in mqtt_prefix:
        raise IdentityError("--prefix must be a topic prefix like {!r} (no wildcards, no "
                            "trailing /)".format(spec.PREFIX))
    if layout not in LAYOUTS:
        raise IdentityError("--layout must be one of {}, got {!r}: two keys (满意/不满意) or five "
                            "levels (非常满意 .. 非常不满意)".format(", ".join(LAYOUTS), layout))
    if not 0 <= reason_s <= REASON_S_MAX:
        raise IdentityError("--reason-s must be 0-{} seconds (0: no reason screen), got {}".format(
            REASON_S_MAX, reason_s))
    ident = {
        "dev": dev, "wifi_ssid": wifi_ssid, "wifi_password": wifi_password,
        "mqtt_host": mqtt_host, "mqtt_port": mqtt_port, "mqtt_user": dev,
        "mqtt_password": mqtt_password or new_password(), "mqtt_prefix": mqtt_prefix,
        "ntp_host": ntp_host,
    }
    if window:
        ident["window"] = window
    if layout != "two":
        ident["layout"] = layout
        ident["reason_s"] = reason_s
    return ident


def encode(ident: dict) -> bytes:
    return json.dumps(ident, ensure_ascii=False, separators=(",", ":")).encode()
