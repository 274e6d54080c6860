"""What goes in and out of the API: Pydantic models, never the tables themselves."""

from __future__ import annotations

from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from host import queue_hook
from protocol import spec

T = TypeVar("T")
MAX_PAGE = 1000          # rows per page: a month of one window's events fits in a few pages
DEFAULT_PAGE = 100
TICKET_MAX = 64         # ServiceSession.ticket; also fits the pad's `svc` (256)


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int = Field(description="rows matching the filter, on all pages")
    limit: int
    offset: int


class Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


# -- auth & users ------------------------------------------------------------------------

class LoginIn(BaseModel):
    name: str
    password: str


TokenScope = Literal["full", "read", "queue"]


class TokenOut(BaseModel):
    token: str = Field(description="send as `Authorization: Bearer <token>`; shown only this once")
    expires_ms: int | None
    scope: str = Field(description="full, read or queue (host.auth.scopes)")
    windows: list[str] = Field(default_factory=list, description="the windows a queue token may act on")


class UserCreate(BaseModel):
    name: str
    role: Literal["admin", "management", "it", "patrol", "staff"]
    window: str | None = Field(None, description="window number; required for staff, refused otherwise")
    password: str | None = Field(None, description="at least 10 characters; leave out for a token-only "
                                 "machine client such as the queue system")
    reason: str = ""


class UserPublic(Out):
    name: str
    role: str
    window: str | None = None
    created_ms: int
    disabled: bool = False


class TokenPublic(BaseModel):
    id: int
    name: str
    scope: str = Field(description="full, read, queue, or web (a browser session)")
    windows: list[str] = Field(default_factory=list, description="the windows a queue token may act on")
    created_ms: int
    expires_ms: int | None = Field(description="null only for tokens made before expiries were required")
    revoked_ms: int | None


class TokenCreate(BaseModel):
    name: str = Field(description="what the token is for, e.g. 'queue system'")
    scope: TokenScope = Field("read", description="read: GET routes only; queue: the queue hook of "
                              "`windows` only; full: everything the user's role allows")
    windows: list[str] = Field(default_factory=list, description="window numbers; required for scope queue")
    days: int = Field(90, ge=1, le=365, description="valid for this many days (then make a new token)")
    reason: str = ""


# -- windows, devices, assignments ---------------------------------------------------------

class WindowCreate(BaseModel):
    number: str = Field(examples=["A07"])
    name: str = Field(examples=["公安分局出入境"])
    department: str = ""
    category: str = Field("general", examples=["general", "police_traffic"])
    reason: str = ""


class WindowPublic(Out):
    number: str
    name: str
    department: str
    category: str
    active: bool
    device: str | None = Field(None, description="the pad on this window now")


class Reason(BaseModel):
    reason: str = ""


class DeviceCreate(BaseModel):
    id: str = Field(examples=["qp-0107"], description="3-32 of a-z, 0-9, '-'; the MQTT client id")
    label: str = ""
    window: str | None = Field(None, description="window number to assign it to at once")
    since_ms: int | None = Field(None, description="backdate that assignment (a pad that sent events "
                                 "before it was registered); only into a gap of the record")
    reason: str = ""


class DevicePublic(BaseModel):
    id: str
    label: str
    registered_ms: int
    retired_ms: int | None
    window: str | None = Field(description="window number it sits on now")
    since_ms: int | None = Field(description="on that window since")


class BrokerCredentials(BaseModel):
    username: str
    password: str = Field(description="shown only this once; only its hash is kept")
    note: str = ""


class DeviceCreated(DevicePublic):
    broker: BrokerCredentials


class AssignIn(BaseModel):
    window: str
    since_ms: int | None = Field(None, description="backdate the start, only into a gap of the record "
                                 "(then replay the held-back events: POST /rejected/replay)")
    reason: str = ""


class AssignmentPublic(BaseModel):
    device: str
    window: str
    start_ms: int
    end_ms: int | None
    by: str
    reason: str


# -- events, status, rejected ------------------------------------------------------------------

class EventPublic(Out):
    id: int
    device_id: str
    seq: int
    type: str
    at_ms: int
    time_derived: bool
    pad_ts_ms: int | None
    received_ms: int
    boot: int
    up_ms: int
    window: str | None = None
    rating: str | None
    svc: str | None
    body: dict[str, Any]


class DeviceStatusPublic(Out):
    device_id: str
    window: str | None = None
    online: bool
    mode: str | None
    since_ms: int | None
    last_seen_ms: int | None
    fw: str | None
    boot: int | None
    up_ms: int | None
    buffered: int | None
    rejected: int | None = Field(default=None,
                                 description="events the host acked as rejected, as the pad counts them")
    mem_free: int | None
    rssi: int | None
    faults: list[str]
    last_reset_cause: str | None


class RejectedPublic(Out):
    id: int
    received_ms: int
    topic: str
    device_id: str | None
    seq: int | None = Field(description="the event's seq when it could be read (then the pad got an ack)")
    code: str
    reason: str
    payload: str = Field(description="readable copy: undecodable bytes and NUL as \\xNN escapes")
    raw_base64: str = Field(description="the bytes exactly as they arrived")
    replayed_ms: int | None


class ConflictPublic(Out):
    id: int
    device_id: str
    seq: int
    received_ms: int
    stored: dict = Field(description="the stored event (which stands)")
    body: dict = Field(description="the other content sent with the same seq")
    raw_base64: str
    fault_id: int | None


class ReplayIn(BaseModel):
    """What to replay (every filter given applies): a pad's pending messages, rows by id, or a code."""

    device: str | None = None
    ids: list[int] | None = Field(default=None, max_length=1000)
    code: str | None = None
    reason: str = Field(default="", max_length=2000,
                        description="what was fixed (required with ids or code; R12)")


class ReplayOut(BaseModel):
    device: str | None
    result: int = Field(description="how many messages were placed (stored, already stored, or conflicts)")
    stored: int
    duplicates: int
    conflicts: int
    still: dict[str, int] = Field(description="messages refused again, by reason code")
    skipped: int = Field(description="rows that are no event, or were replayed before")


# -- commands ------------------------------------------------------------------------------------

CommandType = Literal["prompt", "pause", "resume", "display", "config", "time", "selftest", "reboot"]


class CommandCreate(BaseModel):
    """A command per the contract's Commands table; give only the fields of its type.

    The fields below are documented for convenience; any field the contract (protocol.spec)
    gives the type is accepted, and the rest are refused with the list of allowed ones.
    """

    model_config = ConfigDict(extra="allow")

    type: CommandType
    ttl_ms: int | None = Field(None, description="how long the pad should still act on it")
    svc: str | None = None
    case: str | None = Field(None, min_length=1, max_length=spec.CASE_MAX,
                             description="for `prompt`: the case number (办件编号), carried on")
    item: str | None = Field(None, min_length=1, max_length=spec.CASE_MAX,
                             description="for `prompt`: the service item (事项), carried on")
    reason: str | None = None
    window: str | None = None
    staff: str | None = None
    staff_id: str | None = None
    heartbeat_s: int | None = None
    prompt_timeout_s: int | None = None
    thanks_s: int | None = None
    min_interval_s: int | None = None
    ts: int | None = Field(None, description="for `time`: Unix ms UTC; default: the host's clock")

    def fields(self) -> dict[str, Any]:
        return {k: v for k, v in self.model_dump(exclude={"type", "ttl_ms"}).items() if v is not None}


class CommandPublic(BaseModel):
    id: str
    device_id: str
    type: str
    body: dict[str, Any]
    status: Literal["sent", "ok", "failed", "expired", "unpublished"]
    created_ms: int
    created_by: str
    expires_ms: int | None
    published_ms: int | None
    publish_error: str | None
    result_ok: bool | None
    result_detail: str | None
    result_ms: int | None


# -- the queue-system hook -----------------------------------------------------------------------

class SessionIn(BaseModel):
    """A service session (one citizen served) started or ended at a window (R3, R6)."""

    ticket: str = Field(min_length=1, max_length=TICKET_MAX,
                        description="the queue system's ticket id; becomes `svc` on the pad")
    action: Literal["start", "end"]
    at_ms: int | None = Field(None, ge=0, description="when (Unix ms UTC); default: now")
    prompt: bool = Field(False, description="also send a `prompt` command to the window's pad")
    case: str | None = Field(None, min_length=1, max_length=spec.CASE_MAX,
                             description="the case number (办件编号) the prompt carries to the evaluation")
    item: str | None = Field(None, min_length=1, max_length=spec.CASE_MAX,
                             description="the service item (事项) the prompt carries to the evaluation")


class SessionPublic(BaseModel):
    window: str
    ticket: str
    started_ms: int
    ended_ms: int | None
    source: str


class SessionOut(SessionPublic):
    command: CommandPublic | None = None
    warnings: list[str] = Field(default_factory=list)


class SessionReportIn(BaseModel):
    """One line of a batch: a session started or ended at a window (at_ms: when it happened)."""

    window: str = Field(min_length=1, max_length=16, description="the window number, e.g. A07")
    ticket: str = Field(min_length=1, max_length=TICKET_MAX)
    action: Literal["start", "end"]
    at_ms: int | None = Field(None, ge=0, description="when (Unix ms UTC); default: now")


class SessionBatchIn(BaseModel):
    """Sessions a queue system reports late, in its order (after an outage, or every few minutes)."""

    sessions: list[SessionReportIn] = Field(min_length=1, max_length=queue_hook.BATCH_MAX)


class SessionReportOut(BaseModel):
    """What became of one line: ``created`` (recorded), ``repeated`` (already recorded, nothing
    changed) or ``refused`` (with what is wrong and how to fix it; resend it once fixed)."""

    window: str
    ticket: str
    action: str
    status: Literal["created", "repeated", "refused"]
    started_ms: int | None = None
    ended_ms: int | None = None
    title: str | None = None
    detail: str | None = None
    fix: str | None = None


class SessionBatchOut(BaseModel):
    created: int
    repeated: int
    refused: int
    sessions: list[SessionReportOut]


class Health(BaseModel):
    status: Literal["ok", "fail"]
    database: str
    broker: Literal["connected", "disconnected", "unknown"]
