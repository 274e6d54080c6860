"""The Mosquitto that `evalpad serve` runs itself (no EVALPAD_MQTT_URL): owned, replaced, kept up.

- **Owned.** After starting it, the host writes ``broker.owner.json`` in the broker's data
  directory: the broker's pid, its start time (``/proc/<pid>/stat``) and command line, and
  the same for the host itself. A pid alone is not proof: pids are reused.
- **Replaced after a crash.** A host killed with ``kill -9`` leaves its Mosquitto running,
  holding the port with the old host password. The next start finds it through that record,
  checks that the process is still the one recorded (start time and command line) and that
  the host that started it is gone, and stops it (SIGTERM: it saves its store, so queued
  QoS 1 messages survive). It never looks for processes by name and never signals a process
  that does not match the record; a port held by anything else is an error that says so.
- **Kept up.** A watchdog thread restarts the broker if it dies while the host runs (same
  port, same files, the persistence store); the ingest's client reconnects by itself and
  pads resend what was not acknowledged.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from host.broker.mosquitto import BrokerError, Mosquitto, find_mosquitto

log = logging.getLogger(__name__)

OWNER_FILE = "broker.owner.json"
# Mosquitto stops within a second (it writes its store); wait a little more before SIGKILL.
STOP_WAIT_S = 5.0
# How often the watchdog looks at the broker: a dead broker is back within about this long
# (plus its start), well inside the pads' and the host's reconnect backoff.
WATCH_EVERY_S = 0.5
# A broker that keeps dying is not restarted in a tight loop.
RESTART_BACKOFF_MAX_S = 30.0


@dataclass(frozen=True)
class ProcessId:
    """A process as it can be recognised later: pid, kernel start time, command line."""

    pid: int
    started: int
    argv: tuple[str, ...]

    @classmethod
    def of(cls, pid: int) -> ProcessId | None:
        """The live process ``pid`` now, or None if there is none (or only a zombie)."""
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")
        except OSError:
            return None
        fields = stat.rsplit(")", 1)[1].split()
        if fields[0] == "Z":
            return None
        return cls(pid, int(fields[19]), tuple(a for a in argv if a))   # field 22: start time in ticks

    def still_running(self) -> bool:
        """True only if ``pid`` is still this very process (not a new one that reused the pid)."""
        return ProcessId.of(self.pid) == self


@dataclass(frozen=True)
class OwnerRecord:
    broker: ProcessId
    owner: ProcessId

    def save(self, path: Path) -> None:
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"pid": self.broker.pid, "started": self.broker.started,
                                   "argv": list(self.broker.argv), "owner_pid": self.owner.pid,
                                   "owner_started": self.owner.started,
                                   "owner_argv": list(self.owner.argv)}))
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path) -> OwnerRecord | None:
        try:
            d = json.loads(path.read_text())
            return cls(ProcessId(int(d["pid"]), int(d["started"]), tuple(d["argv"])),
                       ProcessId(int(d["owner_pid"]), int(d["owner_started"]),
                                 tuple(d.get("owner_argv", ()))))
        except (OSError, ValueError, KeyError, TypeError):
            return None


def _owner_alive(owner: ProcessId) -> bool:
    now = ProcessId.of(owner.pid)
    return now is not None and now.started == owner.started


def replace_orphan(directory: Path) -> bool:
    """Stop the broker a crashed host of this data directory left running; True if there was one.

    Raises BrokerError if the host that started it still runs (two hosts on one data directory).
    """
    path = directory / OWNER_FILE
    record = OwnerRecord.load(path)
    if record is None:
        return False
    if not record.broker.still_running():
        log.info("the broker recorded in %s is gone (pid %s); nothing to replace", path, record.broker.pid)
        path.unlink(missing_ok=True)
        return False
    if record.owner.pid != os.getpid() and _owner_alive(record.owner):
        raise BrokerError(f"another evalpad serve (pid {record.owner.pid}) runs with this data directory "
                          f"({directory.parent}) and its Mosquitto (pid {record.broker.pid}); stop it first, "
                          "or give this host another EVALPAD_DATA_DIR")
    log.warning("replacing the Mosquitto (pid %s) a crashed host left running", record.broker.pid)
    _stop(record.broker)
    path.unlink(missing_ok=True)
    return True


def _stop(proc: ProcessId) -> None:
    """SIGTERM, then SIGKILL after STOP_WAIT_S; signals only while ``proc`` is still that process."""
    for sig, wait_s in ((signal.SIGTERM, STOP_WAIT_S), (signal.SIGKILL, STOP_WAIT_S)):
        if not proc.still_running():
            return
        os.kill(proc.pid, sig)
        deadline = time.monotonic() + wait_s
        while time.monotonic() < deadline:
            if not proc.still_running():
                return
            time.sleep(0.05)
    raise BrokerError(f"the old Mosquitto (pid {proc.pid}) did not stop; stop it by hand")


def _port_taken(bind: str, port: int) -> bool:
    host = "127.0.0.1" if bind in ("0.0.0.0", "") else bind
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


class BuiltinBroker:
    """``start()``: replace an orphan, give the host its account, start Mosquitto, record it,
    watch it; ``stop()``."""

    def __init__(self, server: Mosquitto) -> None:
        self.server = server
        self.restarts = 0
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._watchdog: threading.Thread | None = None

    @property
    def record_path(self) -> Path:
        return self.server.directory / OWNER_FILE

    def start(self, host_user: str, password: str) -> None:
        find_mosquitto()                     # not installed: say so before anything else
        # Before any file changes: another live host's broker must keep its host's password.
        replace_orphan(self.server.directory)
        if _port_taken(self.server.bind, self.server.port):
            raise BrokerError(f"port {self.server.port} is taken by a program that is not this host's "
                              "Mosquitto; stop it, or set EVALPAD_BROKER_PORT to a free port (or point "
                              "the host at that broker with EVALPAD_MQTT_URL)")
        self.server.write_config()
        self.server.add_user(host_user, password)
        self._start_and_record()
        self._watchdog = threading.Thread(target=self._watch, name="broker-watchdog", daemon=True)
        self._watchdog.start()

    def _start_and_record(self) -> None:
        # Its own session: a Ctrl-C of `evalpad serve`/`demo` reaches the host alone, which stops
        # the broker after itself; in the terminal's group the broker died with it and the
        # watchdog logged a crash and restarted it while the host was stopping.
        self.server.start(own_session=True)
        assert self.server.proc is not None
        broker, owner = ProcessId.of(self.server.proc.pid), ProcessId.of(os.getpid())
        if broker is None or owner is None:
            raise BrokerError(f"mosquitto exited right after starting; see {self.server.log_file}")
        OwnerRecord(broker, owner).save(self.record_path)

    def _watch(self) -> None:
        backoff = WATCH_EVERY_S
        while not self._stopping.wait(WATCH_EVERY_S):
            with self._lock:
                proc = self.server.proc
                if self._stopping.is_set() or proc is None or proc.poll() is None:
                    backoff = WATCH_EVERY_S
                    continue
                log.error("the built-in Mosquitto (pid %s) died (exit %s); restarting it on port %s",
                          proc.pid, proc.returncode, self.server.port)
                try:
                    self._start_and_record()
                    self.restarts += 1
                    continue
                except BrokerError as exc:
                    log.error("could not restart Mosquitto: %s; retrying in %.0f s", exc, backoff)
            if self._stopping.wait(backoff):
                return
            backoff = min(backoff * 2, RESTART_BACKOFF_MAX_S)

    def stop(self) -> None:
        self._stopping.set()
        if self._watchdog is not None:
            self._watchdog.join(10)
        with self._lock:
            self.server.stop()
            self.record_path.unlink(missing_ok=True)

