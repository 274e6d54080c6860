"""Rollouts: one release to the fleet, canary pads first, stopping itself when pads fail.

``start_rollout`` (``evalpad fleet update``) plans it: a ``PadUpdate`` per pad, the first
``canary`` of them (by device id) the canaries. The running host advances it
(``RolloutDriver``, beside the ingest): every few seconds ``advance`` looks at what the pads
answered and sends the next update commands:

* Results: a pad's ``cmd_result`` for its update command (``ok`` once the new program
  confirmed itself on the pad, ``ok: false`` when it refused or rolled back) ends its part;
  no answer within ``ANSWER_TIMEOUT_MS`` is a failure too.
* Stop: once ``failed / finished >= max_failed_share`` the rollout stops itself (the pads
  still waiting are skipped); so a bad release stops at the canary.
* Canary first: no other pad gets the update before every canary confirmed.
* When: by default only outside the working sessions of the pad's window (R5 calendar,
  host.rules.sessions: a day without calendar data counts as working, never a guess);
  ``window_time`` allows working hours. Never while the pad's state says ``prompt``; the
  pad itself restarts only when no prompt or thank-you is on.
* At most ``MAX_IN_FLIGHT`` pads update at once (they all fetch from this host).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from host import audit
from host import commands as pad_commands
from host.calendar.config import RuleConfig, load_config
from host.calendar.hours import working_now
from host.clock import Clock
from host.errors import Conflict, Invalid
from host.metrics import PAD_UPDATE
from host.models.commands import Command
from host.models.fleet import Assignment, Device
from host.models.liveness import DeviceStatus
from host.models.releases import PadUpdate, Release, Rollout
from host.periodic import Periodic
from host.releases import store
from protocol import spec

log = logging.getLogger(__name__)

WAITING, SENT, OK, FAILED, SKIPPED = "waiting", "sent", "ok", "failed", "skipped"
RUNNING, STOPPED, DONE = "running", "stopped", "done"
ANSWER_TIMEOUT_MS = 2 * 3600_000     # download + trial take minutes; a pad off for hours failed
COMMAND_TTL_MS = 30 * 60_000         # a pad that was off when it was sent still gets it soon after
MAX_IN_FLIGHT = 10
DEFAULT_TRIAL_S = 60
DEFAULT_MAX_FAILED_SHARE = 0.2
TICK_S = 5.0


@dataclass(frozen=True, slots=True)
class Progress:
    rollout: Rollout
    pads: list[tuple[PadUpdate, DeviceStatus | None]]

    def count(self, state: str) -> int:
        return sum(1 for p, _ in self.pads if p.state == state)


def start_rollout(session: Session, *, release: str, clock: Clock, actor: str, canary: int = 1,
                  window_time: bool = False, max_failed_share: float = DEFAULT_MAX_FAILED_SHARE,
                  devices: list[str] | None = None, reason: str = "") -> Rollout:
    """Plan a rollout of ``release`` to ``devices`` (default: every pad in service); commits."""
    rel = store.get_release(session, release)
    if rel.min_contract > spec.VERSION:
        raise Invalid(f"版本 {release} 需要通信协议 v{rel.min_contract}；"
                      f"本主机只支持 v{spec.VERSION}", "请先升级主机程序")
    if not 0 < max_failed_share <= 1:
        raise Invalid(f"失败比例 {max_failed_share} 超出范围", "请填 0.01 到 1 之间的比例")
    if canary < 0:
        raise Invalid("--canary 不能小于 0", "填写先更新几台评价器，如 --canary 2")
    running = session.exec(select(Rollout).where(Rollout.state == RUNNING)).first()
    if running is not None:
        raise Conflict(f"版本 {running.release} 的第 {running.id} 次批量更新还在进行",
                       "请等它完成，或先停止：evalpad fleet stop --reason 原因")
    q = select(Device).where(col(Device.retired_ms).is_(None)).order_by(col(Device.id))
    pads = [d.id for d in session.exec(q).all()]
    if devices:
        unknown = sorted(set(devices) - set(pads))
        if unknown:
            raise Invalid(f"这些不是在用的评价器：{'、'.join(unknown)}",
                          "核对编号；查看评价器：evalpad device list")
        pads = [d for d in pads if d in set(devices)]
    if not pads:
        raise Invalid("没有可更新的评价器", "请先登记评价器：evalpad device add")
    now = clock.now_ms()
    row = Rollout(release=release, canary=min(canary, len(pads)), window_time=window_time,
                  max_failed_share=max_failed_share, created_ms=now, created_by=actor)
    session.add(row)
    session.flush()
    assert row.id is not None
    for i, dev in enumerate(pads):
        session.add(PadUpdate(rollout_id=row.id, device_id=dev, canary=i < row.canary))
    audit.record(session, at_ms=now, actor=actor, action="rollout.start", subject=release, reason=reason,
                 rollout=row.id, pads=len(pads), canary=row.canary, window_time=window_time,
                 max_failed_share=max_failed_share)
    session.commit()
    return row


def stop_rollout(session: Session, *, clock: Clock, actor: str, reason: str) -> Rollout:
    row = session.exec(select(Rollout).where(Rollout.state == RUNNING)).first()
    if row is None:
        raise Conflict("没有正在进行的批量更新", "无需停止")
    _stop(session, row, f"stopped by {actor}: {reason}", clock.now_ms())
    audit.record(session, at_ms=clock.now_ms(), actor=actor, action="rollout.stop", subject=row.release,
                 reason=reason, rollout=row.id)
    session.commit()
    return row


def progress(session: Session, rollout_id: int | None = None) -> Progress | None:
    """The newest rollout (or ``rollout_id``) with each pad's part and its newest state."""
    q = select(Rollout).order_by(col(Rollout.id).desc())
    if rollout_id is not None:
        q = q.where(Rollout.id == rollout_id)
    row = session.exec(q).first()
    if row is None:
        return None
    parts = session.exec(select(PadUpdate).where(PadUpdate.rollout_id == row.id)
                         .order_by(col(PadUpdate.canary).desc(), col(PadUpdate.device_id))).all()
    status = {s.device_id: s for s in session.exec(select(DeviceStatus)).all()}
    return Progress(row, [(p, status.get(p.device_id)) for p in parts])


# -- advancing a running rollout -------------------------------------------------------------

def advance(session: Session, *, clock: Clock, publish: pad_commands.Publish | Callable[..., None],
            base_url: str, prefix: str = spec.PREFIX, trial_s: int = DEFAULT_TRIAL_S) -> Rollout | None:
    """One look at the running rollout: take in results, stop or finish it, send what may go now."""
    row = session.exec(select(Rollout).where(Rollout.state == RUNNING)).first()
    if row is None:
        return None
    now = clock.now_ms()
    parts = list(session.exec(select(PadUpdate).where(PadUpdate.rollout_id == row.id)).all())
    for p in parts:
        if p.state == SENT:
            _take_result(session, p, now)
    finished = [p for p in parts if p.state in (OK, FAILED)]
    failed = [p for p in finished if p.state == FAILED]
    if failed and len(failed) / len(finished) >= row.max_failed_share:
        _stop(session, row, "{} of {} pads failed or rolled back (limit {:.0%}): {}".format(
            len(failed), len(finished), row.max_failed_share, failed[0].last_error or ""), now)
        session.commit()
        return row
    if all(p.state in (OK, FAILED) for p in parts):
        row.state = DONE
        row.finished_ms = now
        session.add(row)
        session.commit()
        return row
    canaries = [p for p in parts if p.canary]
    phase = [p for p in canaries if p.state != OK] or parts
    in_flight = sum(1 for p in parts if p.state == SENT)
    rel = store.get_release(session, row.release)
    config: RuleConfig | None = None if row.window_time else load_config(session)
    windows = _windows(session)
    status = {s.device_id: s for s in session.exec(select(DeviceStatus)).all()}
    for p in phase:
        if in_flight >= MAX_IN_FLIGHT:
            break
        if p.state != WAITING:
            continue
        st = status.get(p.device_id)
        if st is None or st.power != "on" or st.mode == "prompt":
            continue                      # off, or a citizen is being asked to rate: later
        if config is not None and working_now(config, windows.get(p.device_id), now):
            continue
        _send(session, p, rel, st, clock=clock, publish=publish, base_url=base_url, prefix=prefix,
              trial_s=trial_s)
        in_flight += 1
    session.commit()
    return row


def _take_result(session: Session, p: PadUpdate, now: int) -> None:
    cmd = session.get(Command, p.command_id) if p.command_id else None
    if cmd is not None and cmd.result_ok is not None:
        p.state = OK if cmd.result_ok else FAILED
        p.done_ms = cmd.result_ms or now
        p.last_error = None if cmd.result_ok else (cmd.result_detail or "failed")
    elif cmd is not None and cmd.published_ms is None:
        p.state = WAITING                 # the broker did not take it: send it again later
        p.last_error = cmd.publish_error
    elif p.sent_ms is not None and now - p.sent_ms > ANSWER_TIMEOUT_MS:
        p.state = FAILED
        p.done_ms = now
        p.last_error = "no answer within {} min".format(ANSWER_TIMEOUT_MS // 60_000)
    session.add(p)


def _send(session: Session, p: PadUpdate, rel: Release, st: DeviceStatus, *, clock: Clock,
          publish: pad_commands.Publish | Callable[..., None], base_url: str, prefix: str,
          trial_s: int) -> None:
    p.from_fw = st.fw
    try:
        cmd = pad_commands.send_command(
            session, device_id=p.device_id, kind="update", clock=clock, publish=publish, actor="rollout",
            prefix=prefix, ttl_ms=COMMAND_TTL_MS,
            fields={"release": rel.version, "url": store.manifest_url(base_url, rel.version),
                    "sha256": rel.manifest_sha256, "trial_s": trial_s})
    except Exception as exc:          # stored but not published (broker): try again next time
        p.last_error = str(exc)[:500]
        session.add(p)
        log.warning("rollout: update for %s not sent: %s", p.device_id, exc)
        return
    p.state = SENT
    p.command_id = cmd.id
    p.sent_ms = clock.now_ms()
    p.last_error = None
    session.add(p)


def _stop(session: Session, row: Rollout, why: str, now: int) -> None:
    row.state = STOPPED
    row.stop_reason = why[:1000]
    row.finished_ms = now
    session.add(row)
    for p in session.exec(select(PadUpdate).where(PadUpdate.rollout_id == row.id,
                                                  PadUpdate.state == WAITING)).all():
        p.state = SKIPPED
        session.add(p)
    log.warning("rollout #%s of %s stopped: %s", row.id, row.release, why)


def _windows(session: Session) -> dict[str, int]:
    """Pad -> the window it sits on now."""
    q = select(Assignment.device_id, Assignment.window_id).where(col(Assignment.end_ms).is_(None))
    return dict(session.exec(q).all())



def export_metrics(session: Session) -> None:
    """Each pad's part in the newest rollout, for /metrics (``evalpad_pad_update``)."""
    prog = progress(session)
    PAD_UPDATE.clear()
    if prog is None:
        return
    for p, _ in prog.pads:
        PAD_UPDATE.labels(device=p.device_id, release=prog.rollout.release, state=p.state).set(1)


class RolloutDriver(Periodic):
    """Advances the running rollout every ``TICK_S`` on a thread of its own (started by serve)."""

    name = "rollout"
    wait_first = True

    def __init__(self, engine: Engine, clock: Clock, publish: pad_commands.Publish, base_url: str,
                 prefix: str = spec.PREFIX, interval_s: float = TICK_S) -> None:
        self.engine = engine
        self.clock = clock
        self.publish = publish
        self.base_url = base_url
        self.prefix = prefix
        super().__init__(interval_s)

    def run_once(self) -> None:
        with Session(self.engine) as session:
            advance(session, clock=self.clock, publish=self.publish, base_url=self.base_url,
                    prefix=self.prefix)
            export_metrics(session)
