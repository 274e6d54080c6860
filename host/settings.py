"""Host settings: environment variables (EVALPAD_*) and an optional file, checked at start.

One Settings object; every bad value fails fast with the variable's name and what to do.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from host.broker.identity import HOST_ACCOUNT_FORM, is_host_account
from host.rules.floods import DEFAULT_EVALS_PER_MINUTE
from protocol import spec


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

    @field_validator("mqtt_prefix")
    @classmethod
    def _prefix(cls, v: str) -> str:
        if not v or v.startswith("/") or v.endswith("/") or "+" in v or "#" in v:
            raise ValueError("EVALPAD_MQTT_PREFIX must look like 'evalpad/v1' (no wildcards, "
                             "no leading or trailing '/')")
        return v

    @field_validator("instance")
    @classmethod
    def _instance(cls, v: str) -> str:
        if not is_host_account(v):
            raise ValueError(f"EVALPAD_INSTANCE {v!r} must look like {HOST_ACCOUNT_FORM}: it is this "
                             "instance's broker account and MQTT client id")
        return v

    @model_validator(mode="after")
    def _own_account(self) -> Settings:
        # The broker makes the user name the client id: two instances on one account would
        # knock each other off and share (and wipe) one persistent session.
        user = urlsplit(self.mqtt_url).username if self.mqtt_url else None
        if user is not None and unquote(user) != self.instance:
            raise ValueError(f"EVALPAD_MQTT_URL logs in as {unquote(user)!r} but EVALPAD_INSTANCE is "
                             f"{self.instance!r}: each instance uses its own broker account, named like "
                             "the instance (create it with `evalpad broker host-account "
                             f"{self.instance}` and put the URL it prints here)")
        return self

    @property
    def db_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.data_dir / 'evalpad.db').resolve()}"
