"""Host settings: environment variables (EVALPAD_*) and an optional file, checked at start.

One Settings object, the only reader of the host's environment; ``from_env`` refuses every bad
value at start with the variable's name and what to write instead (``BadSettings``).
"""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import unquote, urlsplit

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from host.broker.identity import HOST_ACCOUNT_FORM, is_host_account
from host.errors import Invalid
from host.rules.floods import DEFAULT_EVALS_PER_MINUTE
from protocol import spec

MIN_WEB_KEY_BYTES = 32    # as strong as the key the host makes itself (host.web.security)
MIN_WEBHOOK_SECRET = 16   # the alert webhook's HMAC secret (host.goodbad.webhook)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="EVALPAD_", env_file=".env", extra="ignore")

    data_dir: Path = Field(Path("data"), description="Where the SQLite file, broker files and backups live.")
    database_url: str | None = Field(None, description="SQLAlchemy URL; default: SQLite in data_dir.")
    mqtt_url: str | None = Field(None, description="mqtt://user:pass@host:port of the broker; "
                                 "unset: evalpad starts Mosquitto itself in data_dir/broker.")
    mqtt_prefix: str = spec.PREFIX
    broker_port: int = Field(1883, ge=1, le=65535, description="Port of the Mosquitto that `evalpad serve` "
                             "starts when EVALPAD_MQTT_URL is unset.")
    broker_bind: str = Field("0.0.0.0", description="Address that Mosquitto listens on (pads of the hall "
                             "must reach it; authentication and the ACL are always on).")
    share_group: str = Field("", description="MQTT shared-subscription group; set it when several "
                             "host instances split the load.")
    instance: str = Field("host-1", description="This host instance's name: its broker account and MQTT "
                          "client id (protocol.md Delivery 7), and its name in the downtime log.")
    flood_evals_per_minute: int = Field(DEFAULT_EVALS_PER_MINUTE, ge=2, description="This many "
                                        "evaluations or more from one pad within a minute is a flood, "
                                        "flagged to IT and the management section (host.rules.floods "
                                        "says why 20).")
    heartbeat_timeout_factor: float = Field(3.0, gt=1.0, description="A pad is off after this many "
                                            "missed heartbeats.")
    http_host: str = "127.0.0.1"
    http_port: int = Field(8000, ge=1, le=65535)
    rollout_tick_s: float = Field(5.0, gt=0, le=600, description="How often the running host advances a "
                                  "rollout (`evalpad fleet update`).")
    ota_base_url: str | None = Field(None, description="http://host:port at which the pads reach this "
                                     "host's HTTP for updates (/ota/...); default http://HTTP_HOST:HTTP_PORT.")
    mode: Literal["production", "development"] = Field(
        "production", description="development: cookies without Secure, for plain http on this machine "
        "(`evalpad demo` sets it); production (default): Secure cookies, HTTPS at the reverse proxy.")
    web_key: str | None = Field(None, description="The pages' site key (signs CSRF tokens and one-time "
                                "messages), hex, at least 32 bytes (`openssl rand -hex 32`); give all host "
                                "instances the same. Default: made once in data_dir/web-session.key.")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        "INFO", description="How much `python -m host.ingest` logs (`evalpad serve` takes --log-level).")
    trusted_proxies: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="Comma-separated addresses or networks (e.g. 127.0.0.1, "
        "10.0.0.0/8) of reverse proxies whose X-Forwarded-For names the client. Default: none, "
        "not even loopback: a header from anyone else is ignored.")

    alert_webhook_url: str | None = Field(None, description="Optional http(s) URL that receives every "
                                          "好差评 alert (a bad review, a burst of unsatisfied ratings) as "
                                          "signed JSON (host.goodbad.webhook); unset: alerts stay on the "
                                          "pages.")
    alert_webhook_secret: str | None = Field(None, description="The webhook's signing secret (HMAC-SHA256, "
                                             "at least 16 characters; `openssl rand -hex 32`); needed "
                                             "with EVALPAD_ALERT_WEBHOOK_URL.")

    @field_validator("alert_webhook_url")
    @classmethod
    def _webhook_url(cls, v: str | None) -> str | None:
        if v is not None and (not v.startswith(("http://", "https://")) or len(v) > 500
                              or not urlsplit(v).hostname):
            raise ValueError("EVALPAD_ALERT_WEBHOOK_URL 应写成 'https://alerts.example/evalpad' 这样的网址")
        return v

    @model_validator(mode="after")
    def _webhook_secret(self) -> Settings:
        if self.alert_webhook_url and len(self.alert_webhook_secret or "") < MIN_WEBHOOK_SECRET:
            raise ValueError("设置了 EVALPAD_ALERT_WEBHOOK_URL 时，"
                             f"EVALPAD_ALERT_WEBHOOK_SECRET 至少要 {MIN_WEBHOOK_SECRET} 个字符"
                             "（可用 `openssl rand -hex 32` 生成）")
        return self

    @field_validator("mqtt_prefix")
    @classmethod
    def _prefix(cls, v: str) -> str:
        if not v or v.startswith("/") or v.endswith("/") or "+" in v or "#" in v:
            raise ValueError("EVALPAD_MQTT_PREFIX 应写成 'evalpad/v1' 这样（不能有通配符 + #，"
                             "开头和结尾不能是 '/'）")
        return v

    @field_validator("ota_base_url")
    @classmethod
    def _ota_url(cls, v: str | None) -> str | None:
        if v is not None and (not v.startswith("http://") or len(v) > 160):
            raise ValueError("EVALPAD_OTA_BASE_URL 应写成 'http://10.20.0.2:8000' 这样（用普通 http 即可："
                             "评价器会按更新指令核对每个文件的 SHA-256）")
        return v.rstrip("/") if v else v

    @property
    def ota_url(self) -> str:
        """Where the pads fetch releases from (the update command's manifest URL starts so)."""
        return self.ota_base_url or f"http://{self.http_host}:{self.http_port}"

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _proxies(cls, v: object) -> object:
        items = [p.strip() for p in v.split(",") if p.strip()] if isinstance(v, str) else v
        for p in items if isinstance(items, list) else ():
            try:
                ipaddress.ip_network(p, strict=False)
            except ValueError:
                raise ValueError(f"EVALPAD_TRUSTED_PROXIES：{p!r} 不是地址或网段"
                                 "（写成如 127.0.0.1 或 10.0.0.0/8，多个用逗号分隔）")
        return items

    @field_validator("web_key")
    @classmethod
    def _web_key(cls, v: str | None) -> str | None:
        if v is None:
            return v
        try:
            key = bytes.fromhex(v)
        except ValueError:
            raise ValueError("EVALPAD_WEB_KEY 只能是十六进制数字（0-9、a-f）：可用 "
                             "`openssl rand -hex 32` 生成") from None
        if len(key) < MIN_WEB_KEY_BYTES:
            raise ValueError(f"EVALPAD_WEB_KEY 只有 {len(key)} 字节，至少要 {MIN_WEB_KEY_BYTES} 字节"
                             "（64 位十六进制数字）：可用 `openssl rand -hex 32` 生成")
        return v

    @field_validator("instance")
    @classmethod
    def _instance(cls, v: str) -> str:
        if not is_host_account(v):
            raise ValueError(f"EVALPAD_INSTANCE {v!r} 应写成 {HOST_ACCOUNT_FORM} 这样：它是本主机实例"
                             "的消息服务账号和 MQTT 客户端 id")
        return v

    @model_validator(mode="after")
    def _own_account(self) -> Settings:
        # The broker makes the user name the client id: two instances on one account would
        # knock each other off and share (and wipe) one persistent session.
        user = urlsplit(self.mqtt_url).username if self.mqtt_url else None
        if user is not None and unquote(user) != self.instance:
            raise ValueError(f"EVALPAD_MQTT_URL 用 {unquote(user)!r} 登录，但 EVALPAD_INSTANCE 是 "
                             f"{self.instance!r}：每个实例要用自己的消息服务账号，"
                             "账号名与实例名相同（用 `evalpad broker host-account "
                             f"{self.instance}` 创建，并把它打印的网址填在这里）")
        return self

    @property
    def db_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.data_dir / 'evalpad.db').resolve()}"


class BadSettings(Invalid):
    """An EVALPAD_* value the host cannot run with; the message names each one."""


def from_env() -> Settings:
    """Settings from EVALPAD_* and .env, or BadSettings naming every bad variable and what is wrong."""
    try:
        return Settings()  # type: ignore[call-arg]  # from EVALPAD_*
    except ValidationError as exc:
        lines = []
        for e in exc.errors():
            name = "EVALPAD_" + "_".join(str(p) for p in e["loc"]).upper() if e["loc"] else ""
            said = str(e["msg"]).removeprefix("Value error, ")
            lines.append(f"{name} = {e['input']!r}: {said}" if name and name not in said else said)
        raise BadSettings("；".join(lines), "请改正这些 EVALPAD_* 变量（或 .env 文件）后"
                          "重新启动（各变量见 docs/deploy.md）") from None

