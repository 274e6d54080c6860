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

from host.broker.identity import HOST_ACCOUNT_FORM, is_host_account, reserved_for_hosts
from host.broker.mosquitto import (
    host_accounts,
    new_password,
    read_passwords,
    remove_user,
    set_passwords,
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


def _issue(directory: Path, users: list[str], prefix: str) -> dict[str, str]:
    """New passwords for ``users``: one write of each file and one reload, however many."""
    passwords = {user: new_password() for user in users}
    with _locked(directory):
        set_passwords(directory / PASSWD, passwords)
        write_acl(directory / ACL, prefix, host_accounts(directory / PASSWD))
    reload_running(directory)
    log.info("broker accounts for %s written in %s", ", ".join(users), directory)
    return passwords


def issue_pad_password(directory: Path, device_id: str, prefix: str = spec.PREFIX) -> str:
    """Create (or replace) the pad's broker password; returns it (show it once, never store it)."""
    return issue_pad_passwords(directory, [device_id], prefix)[device_id]


def issue_pad_passwords(directory: Path, device_ids: list[str], prefix: str = spec.PREFIX) -> dict[str, str]:
    """``issue_pad_password`` for many pads at once (a whole hall): the broker reloads once."""
    for device_id in device_ids:
        if reserved_for_hosts(device_id):
            raise ValueError(f"{device_id!r} is in the host instances' name space, not a pad's")
    return _issue(directory, device_ids, prefix)


def issue_host_password(directory: Path, instance: str, prefix: str = spec.PREFIX) -> str:
    """Create (or replace) one host instance's account (user = client id = ``instance``)."""
    if not is_host_account(instance):
        raise ValueError(f"host account {instance!r} must look like {HOST_ACCOUNT_FORM}")
    return _issue(directory, [instance], prefix)[instance]


def revoke_pad(directory: Path, device_id: str) -> bool:
    """Remove the pad's broker account; True if it had one. New connections are refused at once."""
    with _locked(directory):
        found = remove_user(directory / PASSWD, device_id)
    reload_running(directory)
    return found


def has_account(directory: Path, device_id: str) -> bool:
    return device_id in read_passwords(directory / PASSWD)


# Where a Mosquitto that reads our files may have written its pid: evalpad's own (``evalpad
# serve`` and the evalpad-mosquitto unit of docs/deploy.md), then Debian's packaged service.
SYSTEM_PID_FILES = (Path("/run/mosquitto/mosquitto.pid"),)


def _config_files(conf: Path) -> list[Path]:
    """The config file and the files its ``include_dir`` lines pull in."""
    files = [conf]
    try:
        for line in conf.read_text(errors="replace").splitlines():
            key, _, value = line.strip().partition(" ")
            if key == "include_dir" and value.strip():
                files += sorted(Path(value.strip()).glob("*.conf"))
    except OSError:
        pass
    return files


def _reads_passwd(conf: Path, passwd: Path) -> bool:
    want = os.path.realpath(passwd)
    for f in _config_files(conf):
        try:
            lines = f.read_text(errors="replace").splitlines()
        except OSError:
            continue
        for line in lines:
            key, _, value = line.strip().partition(" ")
            if key == "password_file" and os.path.realpath(value.strip()) == want:
                return True
    return False


def running_pid(directory: Path) -> int | None:
    """The pid of a running Mosquitto whose configuration reads ``directory``'s passwd, or None.

    Pid files can be stale (a killed broker, a reused pid), so a process gets a signal only
    if it is a mosquitto whose ``-c`` config (or a file it includes) names our password file.
    """
    for pid_file in (directory / PID_FILE, *SYSTEM_PID_FILES):
        try:
            pid = int(pid_file.read_text().strip())
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")
            cwd = os.readlink(f"/proc/{pid}/cwd")
        except (OSError, ValueError):
            continue
        if "mosquitto" not in os.path.basename(cmdline[0]) or "-c" not in cmdline[:-1]:
            continue
        conf = Path(os.path.join(cwd, cmdline[cmdline.index("-c") + 1]))
        if _reads_passwd(conf, directory / PASSWD):
            return pid
    return None


def reload_running(directory: Path) -> bool:
    """SIGHUP the broker that reads ``directory``'s files so it rereads passwd and acl.

    False if none runs (it reads them when it starts) or we may not signal it (then
    ``systemctl reload`` it; docs/deploy.md).
    """
    pid = running_pid(directory)
    if pid is None:
        return False
    try:
        os.kill(pid, signal.SIGHUP)
    except PermissionError:
        log.warning("mosquitto (pid %s) runs as another user; reload it yourself "
                    "(systemctl reload evalpad-mosquitto)", pid)
        return False
    time.sleep(RELOAD_SETTLE_S)
    log.info("mosquitto (pid %s) reloaded its accounts", pid)
    return True


def pending_note(directory: Path, external: bool) -> str:
    """What the operator must still do for an account just written to ``directory`` to work
    ("" if a running Mosquitto has reread the files). ``external``: EVALPAD_MQTT_URL is set."""
    if running_pid(directory) is not None:
        return ""
    if external:
        return (f"没有正在运行的 Mosquitto 读取 {directory}/passwd：如果 EVALPAD_MQTT_URL 指向的是"
                "别的消息代理（如 EMQX），请在那里也添加这个账号")
    return ("消息代理启动时才会启用这个账号（evalpad serve 会启动它；由 systemd 运行的 Mosquitto："
            "执行 `systemctl reload evalpad-mosquitto`）")
