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
        raise Invalid(f"窗口号 {number!r} 不合规定",
                      "窗口号用 1-16 位字母、数字或“-”，与柜台上印的一致（如 A07）")
    if not name.strip() or len(name) > 64:
        raise Invalid("窗口名称须为 1-64 个字", "填写窗口名称，如 公安分局出入境")
    if not CATEGORY_RE.match(category):
        raise Invalid(f"事项类别代码 {category!r} 不合规定",
                      "类别代码用小写字母、数字和“_”（如 general、police_traffic）")
    if len(department) > 64:
        raise Invalid("部门名称最多 64 个字", "请缩短部门名称")
    if session.exec(select(Window).where(Window.number == number)).first() is not None:
        raise Conflict(f"窗口 {number} 已存在", "换一个窗口号，或先查看窗口列表")
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
        raise no_window(number)
    return win


def no_window(number: str) -> NotFound:
    return NotFound(f"窗口 {number!r} 不存在", "查看窗口列表核对窗口号，或先添加该窗口")


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
        raise Conflict(f"窗口 {number} 已停用", "无需再操作")
    pad = current_device(session, win)
    if pad is not None:
        raise Conflict(f"评价器 {pad.device_id} 仍在窗口 {number} 上",
                       f"请先把 {pad.device_id} 调到其他窗口，或先停用该评价器")
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
        raise Conflict(f"评价器 {device_id} 已停用", "替换的评价器请用新编号登记")
    audit.record(session, at_ms=clock.now_ms(), actor=actor, action="device.password", subject=device_id,
                 reason=reason)
    password = accounts.issue_pad_password(broker_dir, device_id, prefix)
    session.commit()
    return password


def _add_device(session: Session, *, device_id: str, clock: Clock, actor: str, label: str,
                window_number: str | None, reason: str, since_ms: int | None) -> Device:
    if not is_device_id(device_id):
        raise Invalid(f"评价器编号 {device_id!r} 不合规定",
                      "编号用 3-32 位小写字母 a-z、数字 0-9 或“-”，以字母或数字开头"
                      "（它也是评价器的 MQTT 客户端 id 和消息服务账号）")
    if reserved_for_hosts(device_id):
        raise Invalid(f"评价器编号 {device_id!r} 以 {HOST_ACCOUNT_PREFIX!r} 开头，"
                      "这个开头留给主机程序自己的消息服务账号",
                      "换一个不以 host- 开头的编号，如 qp-0107")
    existing = session.get(Device, device_id)
    if existing is not None:
        if existing.retired_ms is not None:
            raise Conflict(f"评价器 {device_id} 已停用；编号不重复使用，"
                           "以免历史记录混淆", "给这台评价器换一个新编号")
        raise Conflict(f"评价器 {device_id} 已登记过", "要换窗口请用 evalpad device assign")
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
        raise NotFound(f"评价器 {device_id!r} 尚未登记", "先登记：evalpad device add")
    return dev


def lock_device(session: Session, device_id: str) -> Device:
    """The device row, locked until commit (PostgreSQL), so two moves of one pad run one after
    the other and the second sees the first's interval. SQLite serialises writers itself; the
    unique index on open assignments (models/fleet.py) guards both."""
    dev = session.exec(select(Device).where(Device.id == device_id).with_for_update()).first()
    if dev is None:
        raise NotFound(f"评价器 {device_id!r} 尚未登记", "先登记：evalpad device add")
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
    fix = "改为从现在起分配（不填 since_ms），或先解除分配"
    if since > now:
        raise Invalid(f"起始时间 since_ms {since} 晚于现在（{now}）", "填写过去的时间，或不填")
    if mine is not None:
        raise Conflict(f"{device_id} 现在已在某个窗口上；补记过去的调动会改写它的历史", fix)
    if current_device(session, win) is not None:
        raise Conflict(f"窗口 {win.number} 现在已有评价器；补记的起始时间会与之重叠", fix)
    last = session.exec(select(Assignment).where(Assignment.device_id == device_id)
                        .order_by(col(Assignment.end_ms).desc())).first()
    if last is not None and last.end_ms is not None and last.end_ms > since:
        raise Conflict(f"{device_id} 在窗口上一直到 {last.end_ms}，晚于 since_ms {since}",
                       f"since_ms 须不早于 {last.end_ms}")


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
        raise Conflict(f"评价器 {device_id} 已停用", "替换的评价器请用新编号登记")
    win = get_window(session, window_number)
    if not win.active:
        raise Conflict(f"窗口 {window_number} 已停用", "把评价器分配到在用的窗口")
    now = clock.now_ms()
    mine = open_assignment(session, device_id)
    if since_ms is not None:
        _check_backdate(session, device_id, win, since_ms, now, mine)
    start = now if since_ms is None else since_ms
    if mine is not None and mine.window_id == win.id:
        raise Conflict(f"{device_id} 已在窗口 {window_number} 上（自 {mine.start_ms} 起）",
                       "无需再操作")
    if mine is not None and mine.start_ms >= now:
        raise Conflict(f"{device_id} 的分配时间 {mine.start_ms} 不早于现在（{now}）",
                       "稍等片刻再试；同一毫秒内的两次调动无法区分先后")
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
        raise Conflict(f"{device_id} 不在任何窗口上", "无需再操作")
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
        raise Conflict(f"评价器 {device_id} 已停用", "无需再操作")
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
