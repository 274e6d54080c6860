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
        raise IdentityError("评价器编号 {!r} 不合规定：用 3-32 个字符，只含 a-z、0-9 和 '-'，"
                            "以字母或数字开头（如 qp-0107）".format(dev))
    if not wifi_ssid or len(wifi_ssid.encode()) > WIFI_SSID_MAX:
        raise IdentityError("--wifi-ssid 应为 1-{} 字节".format(WIFI_SSID_MAX))
    if wifi_password and not WPA_MIN <= len(wifi_password) <= WPA_MAX:
        raise IdentityError("--wifi-password 应为 {}-{} 个字符（WPA2），开放网络则留空".format(
            WPA_MIN, WPA_MAX))
    if not mqtt_host or any(c.isspace() for c in mqtt_host):
        raise IdentityError("--mqtt-host 应为消息代理的主机名或 IP 地址")
    if not 1 <= mqtt_port <= 65535:
        raise IdentityError("--mqtt-port 应为 1-65535，现在是 {}".format(mqtt_port))
    if not mqtt_prefix or mqtt_prefix.endswith("/") or "#" in mqtt_prefix or "+" in mqtt_prefix:
        raise IdentityError("--prefix 应为主题前缀，如 {!r}（不含通配符 # 或 +，结尾不带 /）".format(
            spec.PREFIX))
    if layout not in LAYOUTS:
        raise IdentityError("--layout 应为 {} 之一，现在是 {!r}：两键（满意/不满意）或五级"
                            "（非常满意……非常不满意）".format("、".join(LAYOUTS), layout))
    if not 0 <= reason_s <= REASON_S_MAX:
        raise IdentityError("--reason-s 应为 0-{} 秒（0：不显示原因选项），现在是 {}".format(
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
