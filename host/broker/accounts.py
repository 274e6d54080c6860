"""Broker accounts of pads: one Mosquitto user per device id, passwords shown once.

Writes the password and ACL files evalpad manages in ``<data_dir>/broker`` (the same
files `evalpad serve` starts its Mosquitto with, and the production config points at),
then asks a running Mosquitto to reread them (SIGHUP). Only the hash is ever stored.
"""

from __future__ import annotations

import fcntl
import logging
import os
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from host.broker.mosquitto import (
    HOST_USER,
    new_password,
    read_passwords,
    remove_user,
    set_password,
    write_acl,
)
from protocol import spec

log = logging.getLogger(__name__)

PASSWD = "passwd"
ACL = "acl"
PID_FILE = "mosquitto.pid"
CONF_FILE = "mosquitto.conf"
# Mosquitto rereads the files in its main loop; the password we print should work at once.
RELOAD_SETTLE_S = 0.2


@contextmanager
def _locked(directory: Path) -> Iterator[None]:
    """Serialise read-modify-write of the password file between the API and the CLI."""
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / "passwd.lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def issue_pad_password(directory: Path, device_id: str, prefix: str = spec.PREFIX) -> str:
    """Create (or replace) the pad's broker password; returns it (show it once, never store it)."""
    password = new_password()
    with _locked(directory):
        set_password(directory / PASSWD, device_id, password)
        write_acl(directory / ACL, prefix)
    reload_running(directory)
    log.info("broker account for %s written in %s", device_id, directory)
    return password


def issue_host_password(directory: Path, prefix: str = spec.PREFIX) -> str:
    """Create (or replace) the host's own account (production: a broker evalpad does not start)."""
    return issue_pad_password(directory, HOST_USER, prefix)


def revoke_pad(directory: Path, device_id: str) -> bool:
    """Remove the pad's broker account; True if it had one. New connections are refused at once."""
    with _locked(directory):
        found = remove_user(directory / PASSWD, device_id)
    reload_running(directory)
    return found


def has_account(directory: Path, device_id: str) -> bool:
    return device_id in read_passwords(directory / PASSWD)


def running_pid(directory: Path) -> int | None:
    """The pid of the Mosquitto running from ``directory``'s config, or None.

    The pid file can be stale (a killed broker), so the process's command line must name
    this directory's config before it gets a signal.
    """
    try:
        pid = int((directory / PID_FILE).read_text().strip())
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")
        cwd = os.readlink(f"/proc/{pid}/cwd")
    except (OSError, ValueError):
        return None
    conf = os.path.realpath(directory / CONF_FILE)
    named = {os.path.realpath(os.path.join(cwd, part)) for part in cmdline[1:] if part}
    if "mosquitto" not in os.path.basename(cmdline[0]) or conf not in named:
        return None
    return pid


def reload_running(directory: Path) -> bool:
    """SIGHUP the broker running from ``directory`` so it rereads passwd and acl."""
    pid = running_pid(directory)
    if pid is None:
        return False
    os.kill(pid, signal.SIGHUP)
    time.sleep(RELOAD_SETTLE_S)
    log.info("mosquitto (pid %s) reloaded its accounts", pid)
    return True
