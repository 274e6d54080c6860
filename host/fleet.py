"""The fleet: windows (窗口), pads (评价器) and which pad sits on which window (R10).

Used by the CLI, the API and the pages. Every change writes an AuditEntry with who, when and
why (R12) and commits it with the change (docs/architecture.md: one transaction rule).
Assignment history is never edited in place: moving a pad closes its open interval and opens
a new one (R10).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path

from sqlmodel import Session, col, select

from host import audit
from host.broker import accounts
from host.broker.identity import HOST_ACCOUNT_PREFIX, reserved_for_hosts
from host.clock import Clock
from host.errors import Conflict, Invalid, NotFound
from host.models.fleet import Assignment, Device, Window
from protocol.topics import is_device_id

log = logging.getLogger(__name__)

WINDOW_NUMBER_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,15}$")   # shown on the pad, e.g. "A07"
CATEGORY_RE = re.compile(r"^[a-z][a-z0-9_]{0,31}$")


@dataclass(frozen=True, slots=True)
class DeviceView:
    """A pad with the window it sits on now (None: unassigned or retired)."""

    device: Device
    window: Window | None
    since_ms: int | None


# -- windows -----------------------------------------------------------------------------

def add_window(session: Session, *, number: str, name: str, clock: Clock, actor: str,
               department: str = "", category: str = "general", reason: str = "") -> Window:
    if not WINDOW_NUMBER_RE.match(number):
        raise Invalid(f"window number {number!r} is not allowed",
                      "use 1-16 letters, digits or '-', as printed on the counter (e.g. A07)")
    if not name.strip() or len(name) > 64:
        raise Invalid("a window needs a name of 1-64 characters", "give its name, e.g. 公安分局出入境")
    if not CATEGORY_RE.match(category):
        raise Invalid(f"category {category!r} is not allowed",
                      "use lower-case letters, digits and '_' (e.g. general, police_traffic)")
    if len(department) > 64:
        raise Invalid("the department may have at most 64 characters", "shorten it")
    if session.exec(select(Window).where(Window.number == number)).first() is not None:
        raise Conflict(f"window {number} already exists", "choose another number, or list windows")
    win = Window(number=number, name=name.strip(), department=department, category=category)
    session.add(win)
    session.flush()
    audit.record(session, at_ms=clock.now_ms(), actor=actor, action="window.add", subject=number,
                 reason=reason, name=win.name, department=department, category=category)
    session.commit()
    return win


def get_window(session: Session, number: str) -> Window:
    win = session.exec(select(Window).where(Window.number == number)).first()
    if win is None:
        raise NotFound(f"window {number!r} does not exist", "list windows, or add it first")
    return win


def list_windows(session: Session, include_retired: bool = False) -> list[Window]:
    q = select(Window).order_by(col(Window.number))
    if not include_retired:
        q = q.where(col(Window.active).is_(True))
    return list(session.exec(q))


def window_names(session: Session) -> dict[int, str]:
    """Window id -> "A07 公安分局出入境", every window ever (a list or an export names them so)."""
    return {w.id: f"{w.number} {w.name}" for w in session.exec(select(Window)).all() if w.id is not None}


def window_number(session: Session, window_id: int | None) -> str | None:
    win = session.get(Window, window_id) if window_id is not None else None
    return win.number if win else None


def window_numbers(session: Session) -> dict[int, str]:
    """Window id -> its number, e.g. "A07"."""
    return {w.id: w.number for w in session.exec(select(Window)).all() if w.id is not None}


def retire_window(session: Session, *, number: str, clock: Clock, actor: str, reason: str = "") -> Window:
    """Take a window out of service. Its history stays; a pad still on it must be moved first."""
    win = get_window(session, number)
    if not win.active:
        raise Conflict(f"window {number} is already retired", "nothing to do")
    pad = current_device(session, win)
    if pad is not None:
        raise Conflict(f"pad {pad.device_id} still sits on window {number}",
                       f"assign {pad.device_id} to another window, or retire the pad, first")
    win.active = False
    session.add(win)
    audit.record(session, at_ms=clock.now_ms(), actor=actor, action="window.retire", subject=number,
                 reason=reason)
    session.commit()
    return win


# -- devices -----------------------------------------------------------------------------

def add_device(session: Session, *, device_id: str, clock: Clock, actor: str, label: str = "",
               window_number: str | None = None, reason: str = "", since_ms: int | None = None) -> Device:
    """Register a pad (and, with ``window_number``, assign it), without a broker account
    (``register_pad`` makes both)."""
    dev = _add_device(session, device_id=device_id, clock=clock, actor=actor, label=label,
                      window_number=window_number, reason=reason, since_ms=since_ms)
    session.commit()
    return dev


def register_pad(session: Session, *, device_id: str, clock: Clock, actor: str, broker_dir: Path,
                 prefix: str, label: str = "", window_number: str | None = None, reason: str = "",
                 since_ms: int | None = None) -> tuple[Device, str]:
    """Register a pad and create its broker account: both or neither. Returns the pad and its
    broker password (shown once; only its hash is kept)."""
    dev = _add_device(session, device_id=device_id, clock=clock, actor=actor, label=label,
                      window_number=window_number, reason=reason, since_ms=since_ms)
    password = accounts.issue_pad_password(broker_dir, device_id, prefix)
    try:
        session.commit()
    except Exception:
        accounts.revoke_pad(broker_dir, device_id)   # no account without a registered pad
        raise
    return dev, password


def new_pad_password(session: Session, *, device_id: str, clock: Clock, actor: str, broker_dir: Path,
                     prefix: str, reason: str = "") -> str:
    """Replace a pad's broker password (e.g. it was reflashed); audited; shown once."""
    dev = get_device(session, device_id)
    if dev.retired_ms is not None:
        raise Conflict(f"device {device_id} is retired", "register the replacement pad under a new id")
    audit.record(session, at_ms=clock.now_ms(), actor=actor, action="device.password", subject=device_id,
                 reason=reason)
    password = accounts.issue_pad_password(broker_dir, device_id, prefix)
    session.commit()
    return password


def _add_device(session: Session, *, device_id: str, clock: Clock, actor: str, label: str,
                window_number: str | None, reason: str, since_ms: int | None) -> Device:
    if not is_device_id(device_id):
        raise Invalid(f"device id {device_id!r} is not allowed",
                      "use 3-32 characters of a-z, 0-9 and '-', starting with a letter or digit "
                      "(it is the pad's MQTT client id and broker user name)")
    if reserved_for_hosts(device_id):
        raise Invalid(f"device id {device_id!r} starts with {HOST_ACCOUNT_PREFIX!r}, which names the "
                      "host instances' broker accounts (their client ids)",
                      "give the pad an id that does not start with 'host-', e.g. qp-0107")
    existing = session.get(Device, device_id)
    if existing is not None:
        if existing.retired_ms is not None:
            raise Conflict(f"device {device_id} was retired; ids are never reused so its history "
                           "stays unambiguous", "give the pad a new device id")
        raise Conflict(f"device {device_id} is already registered", "use `device assign` to move it")
    win = get_window(session, window_number) if window_number else None
    now = clock.now_ms()
    dev = Device(id=device_id, label=label[:64], registered_ms=now)
    session.add(dev)
    session.flush()
    audit.record(session, at_ms=now, actor=actor, action="device.add", subject=device_id, reason=reason,
                 label=label, window=window_number)
    if win is not None:
        _assign(session, device_id=device_id, window_number=win.number, clock=clock, actor=actor,
                reason=reason or "registered", since_ms=since_ms)
    return dev


def get_device(session: Session, device_id: str) -> Device:
    dev = session.get(Device, device_id)
    if dev is None:
        raise NotFound(f"device {device_id!r} is not registered", "register it: evalpad device add")
    return dev


def lock_device(session: Session, device_id: str) -> Device:
    """The device row, locked until commit (PostgreSQL), so two moves of one pad run one after
    the other and the second sees the first's interval. SQLite serialises writers itself; the
    unique index on open assignments (models/fleet.py) guards both."""
    dev = session.exec(select(Device).where(Device.id == device_id).with_for_update()).first()
    if dev is None:
        raise NotFound(f"device {device_id!r} is not registered", "register it: evalpad device add")
    return dev


def open_assignment(session: Session, device_id: str) -> Assignment | None:
    return session.exec(select(Assignment).where(Assignment.device_id == device_id,
                                                 col(Assignment.end_ms).is_(None))).first()


def current_device(session: Session, window: Window) -> Assignment | None:
    """The open assignment of the pad sitting on ``window`` now, if any."""
    return session.exec(select(Assignment).where(Assignment.window_id == window.id,
                                                 col(Assignment.end_ms).is_(None))
                        .order_by(col(Assignment.start_ms).desc())).first()


def list_devices(session: Session, include_retired: bool = False,
                 window_id: int | None = None) -> list[DeviceView]:
    q = (select(Device, Assignment, Window)
         .join(Assignment, (col(Assignment.device_id) == Device.id) & col(Assignment.end_ms).is_(None),
               isouter=True)
         .join(Window, col(Window.id) == Assignment.window_id, isouter=True)
         .order_by(col(Device.id)))
    if not include_retired:
        q = q.where(col(Device.retired_ms).is_(None))
    if window_id is not None:
        q = q.where(Assignment.window_id == window_id)
    return [DeviceView(d, w, a.start_ms if a else None) for d, a, w in session.exec(q)]


def device_view(session: Session, device_id: str) -> DeviceView:
    dev = get_device(session, device_id)
    a = open_assignment(session, device_id)
    win = session.get(Window, a.window_id) if a else None
    return DeviceView(dev, win, a.start_ms if a else None)


def _close(session: Session, a: Assignment, at_ms: int) -> None:
    # Closing an open interval is the one update R10 allows: the end becomes known.
    a.end_ms = at_ms
    session.add(a)


def _check_backdate(session: Session, device_id: str, win: Window, since: int, now: int,
                    mine: Assignment | None) -> None:
    """A backdated start may only fill a gap in the record, never rewrite it (R10, R12).

    Allowed when the pad is on no window, the window has no pad, and the pad's history
    ended before ``since``. Its events after that were then held back (events are stored
    only inside an assignment), and a replay can place them now.
    """
    fix = "assign from now instead (leave out since_ms), or unassign first"
    if since > now:
        raise Invalid(f"since_ms {since} is in the future (now {now})", "give a past time, or leave it out")
    if mine is not None:
        raise Conflict(f"{device_id} sits on a window now; a backdated move would rewrite its history", fix)
    if current_device(session, win) is not None:
        raise Conflict(f"window {win.number} has a pad now; a backdated start would overlap it", fix)
    last = session.exec(select(Assignment).where(Assignment.device_id == device_id)
                        .order_by(col(Assignment.end_ms).desc())).first()
    if last is not None and last.end_ms is not None and last.end_ms > since:
        raise Conflict(f"{device_id} was on a window until {last.end_ms}, after since_ms {since}",
                       f"give since_ms >= {last.end_ms}")


def assign(session: Session, *, device_id: str, window_number: str, clock: Clock, actor: str,
           reason: str = "", since_ms: int | None = None) -> Assignment:
    """Put a pad on a window from now on, or from ``since_ms`` (R10); see ``_assign``."""
    new = _assign(session, device_id=device_id, window_number=window_number, clock=clock, actor=actor,
                  reason=reason, since_ms=since_ms)
    session.commit()
    return new


def _assign(session: Session, *, device_id: str, window_number: str, clock: Clock, actor: str,
            reason: str = "", since_ms: int | None = None) -> Assignment:
    """Put a pad on a window from now on, or from ``since_ms`` (R10).

    The pad's previous interval is closed and a new one opened. A pad already on that
    window is taken off it (a swap: a repaired pad is replaced by a spare); the audit
    entry names it. ``since_ms`` backdates the start only to fill a gap: a pad that sent
    events before it was registered or assigned (they were held back as rejected and can
    then be replayed); see ``_check_backdate``.
    """
    dev = lock_device(session, device_id)
    if dev.retired_ms is not None:
        raise Conflict(f"device {device_id} is retired", "register the replacement pad under a new id")
    win = get_window(session, window_number)
    if not win.active:
        raise Conflict(f"window {window_number} is retired", "assign the pad to a window in service")
    now = clock.now_ms()
    mine = open_assignment(session, device_id)
    if since_ms is not None:
        _check_backdate(session, device_id, win, since_ms, now, mine)
    start = now if since_ms is None else since_ms
    if mine is not None and mine.window_id == win.id:
        raise Conflict(f"{device_id} already sits on window {window_number} (since {mine.start_ms})",
                       "nothing to do")
    if mine is not None and mine.start_ms >= now:
        raise Conflict(f"{device_id} was assigned at {mine.start_ms}, not before now ({now})",
                       "wait a moment; two moves in the same millisecond cannot be told apart")
    displaced = current_device(session, win)
    if mine is not None:
        _close(session, mine, now)
    if displaced is not None:
        _close(session, displaced, now)
    new = Assignment(device_id=device_id, window_id=win.id, start_ms=start, by=actor,  # type: ignore[arg-type]
                     reason=reason[:256])
    session.add(new)
    session.flush()
    audit.record(session, at_ms=now, actor=actor, action="device.assign", subject=device_id, reason=reason,
                 window=window_number, since_ms=since_ms,
                 previous_window=session.get(Window, mine.window_id).number if mine else None,  # type: ignore[union-attr]
                 displaced=displaced.device_id if displaced else None)
    log.info("device %s assigned to window %s by %s", device_id, window_number, actor)
    return new


def unassign(session: Session, *, device_id: str, clock: Clock, actor: str, reason: str = "") -> Assignment:
    """Take a pad off its window (e.g. sent for repair); its events are then held as rejected."""
    lock_device(session, device_id)
    mine = open_assignment(session, device_id)
    if mine is None:
        raise Conflict(f"{device_id} is not on any window", "nothing to do")
    now = clock.now_ms()
    _close(session, mine, now)
    audit.record(session, at_ms=now, actor=actor, action="device.unassign", subject=device_id,
                 reason=reason, window_id=mine.window_id)
    session.commit()
    return mine


def retire_device(session: Session, *, device_id: str, clock: Clock, actor: str, reason: str = "",
                  broker_dir: Path | None = None) -> Device:
    """Retire a pad for good: its assignment ends now, and its broker account in ``broker_dir`` is
    removed first: if the commit then fails the pad is locked out but still registered (retire it
    again), never the other way round (a retired pad that can still log in)."""
    dev = lock_device(session, device_id)
    if dev.retired_ms is not None:
        raise Conflict(f"device {device_id} is already retired", "nothing to do")
    now = clock.now_ms()
    mine = open_assignment(session, device_id)
    if mine is not None:
        _close(session, mine, now)
    dev.retired_ms = now
    session.add(dev)
    audit.record(session, at_ms=now, actor=actor, action="device.retire", subject=device_id, reason=reason,
                 window_id=mine.window_id if mine else None)
    if broker_dir is not None:
        accounts.revoke_pad(broker_dir, device_id)
    session.commit()
    return dev


def assignments(session: Session, device_id: str | None = None,
                window_id: int | None = None) -> list[Assignment]:
    """The assignment history (R10), oldest first."""
    q = select(Assignment).order_by(col(Assignment.start_ms), col(Assignment.id))
    if device_id is not None:
        q = q.where(Assignment.device_id == device_id)
    if window_id is not None:
        q = q.where(Assignment.window_id == window_id)
    return list(session.exec(q))
