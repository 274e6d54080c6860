"""Run Mosquitto with evalpad's own configuration, and keep its password and ACL files.

The same code serves production (`evalpad serve` with no broker configured, `evalpad
device add`) and the tests (a private broker per test session), so the tests exercise
exactly what is deployed: authentication on, ACL by pattern, persistence, raised queues.
"""

from __future__ import annotations

import base64
import getpass
import hashlib
import logging
import secrets
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path
from string import Template

from host.broker.identity import is_host_account
from protocol import spec

log = logging.getLogger(__name__)

HERE = Path(__file__).parent
# Mosquitto 2's password hash: PBKDF2-HMAC-SHA512, 101 rounds, 12-byte salt ("$7$").
_HASH_ROUNDS = 101
_SALT_BYTES = 12
START_TIMEOUT_S = 10.0     # a cold Mosquitto binds its port in well under a second
INSTALL_HINT = ("Mosquitto is not installed. Install it with `apt-get install mosquitto` "
                "(Debian/Ubuntu), or point evalpad at a broker you run with "
                "EVALPAD_MQTT_URL=mqtt://user:password@host:1883.")


class BrokerError(RuntimeError):
    """Mosquitto could not be found, configured or started; the message says what to do."""


def find_mosquitto() -> str:
    # Debian installs it in /usr/sbin, which a non-root PATH often lacks.
    exe = shutil.which("mosquitto") or shutil.which("mosquitto", path="/usr/sbin:/usr/local/sbin")
    if not exe:
        raise BrokerError(INSTALL_HINT)
    return exe


def hash_password(password: str, salt: bytes | None = None) -> str:
    """A password hash in the format of `mosquitto_passwd` (so no Mosquitto tool is needed)."""
    salt = salt if salt is not None else secrets.token_bytes(_SALT_BYTES)
    digest = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, _HASH_ROUNDS)
    return "$7${}${}${}".format(_HASH_ROUNDS, base64.b64encode(salt).decode(),
                                base64.b64encode(digest).decode())


def new_password() -> str:
    return secrets.token_urlsafe(18)


def read_passwords(path: Path) -> dict[str, str]:
    users: dict[str, str] = {}
    if path.exists():
        for line in path.read_text().splitlines():
            if ":" in line and not line.startswith("#"):
                user, _, hashed = line.partition(":")
                users[user] = hashed
    return users


def write_passwords(path: Path, users: dict[str, str]) -> None:
    """Write atomically (a half-written file would lock every pad out), owner-only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text("".join(f"{u}:{h}\n" for u, h in sorted(users.items())))
    tmp.chmod(0o600)
    tmp.replace(path)


def set_password(path: Path, user: str, password: str) -> None:
    set_passwords(path, {user: password})


def set_passwords(path: Path, passwords: dict[str, str]) -> None:
    """Several users' passwords in one read and one atomic write (a whole hall's pads)."""
    users = read_passwords(path)
    users.update({user: hash_password(password) for user, password in passwords.items()})
    write_passwords(path, users)


def remove_user(path: Path, user: str) -> bool:
    users = read_passwords(path)
    found = users.pop(user, None) is not None
    write_passwords(path, users)
    return found


def host_accounts(password_file: Path) -> list[str]:
    """The host instances' accounts among the broker's users (host.broker.identity)."""
    return sorted(u for u in read_passwords(password_file) if is_host_account(u))


def write_acl(path: Path, prefix: str = spec.PREFIX, hosts: list[str] | tuple[str, ...] = ()) -> None:
    """The ACL: each host account reads every pad's event and state and writes every pad's
    ack and cmd; each pad only its own topics (acl.template)."""
    blocks = "".join(Template(HOST_RULES).substitute(user=h, prefix=prefix) for h in hosts)
    text = Template((HERE / "acl.template").read_text()).substitute(host_rules=blocks, prefix=prefix)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


HOST_RULES = """user ${user}
topic read ${prefix}/+/event
topic read ${prefix}/+/state
topic write ${prefix}/+/ack
topic write ${prefix}/+/cmd

"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Mosquitto:
    """A Mosquitto process configured from the project's template in ``directory``.

    ``directory`` holds mosquitto.conf, passwd, acl, the persistence store and the log;
    it survives restarts, which is how a broker restart "with persistence" is tested.
    """

    def __init__(self, directory: Path, port: int | None = None, bind: str = "127.0.0.1",
                 prefix: str = spec.PREFIX) -> None:
        self.directory = Path(directory)
        self.port = port or free_port()
        self.bind = bind
        self.prefix = prefix
        self.proc: subprocess.Popen[bytes] | None = None
        self.password_file = self.directory / "passwd"
        self.acl_file = self.directory / "acl"
        self.conf_file = self.directory / "mosquitto.conf"
        self.log_file = self.directory / "mosquitto.log"

    @property
    def url(self) -> str:
        return f"mqtt://{self.bind}:{self.port}"

    def write_config(self) -> Path:
        self.directory.mkdir(parents=True, exist_ok=True)
        (self.directory / "store").mkdir(exist_ok=True)
        if not self.password_file.exists():
            write_passwords(self.password_file, {})
        write_acl(self.acl_file, self.prefix, host_accounts(self.password_file))
        text = Template((HERE / "mosquitto.conf.template").read_text()).substitute(
            run_user=getpass.getuser(), port=self.port, bind=self.bind, password_file=self.password_file,
            acl_file=self.acl_file, persistence_dir=self.directory / "store",
            log_file=self.log_file, pid_file=self.directory / "mosquitto.pid")
        self.conf_file.write_text(text)
        return self.conf_file

    def add_user(self, user: str, password: str) -> None:
        """A pad (user = device id) or a host instance (user = host-N, host.broker.identity)."""
        set_password(self.password_file, user, password)
        write_acl(self.acl_file, self.prefix, host_accounts(self.password_file))
        self.reload()

    def start(self, own_session: bool = False) -> None:
        """``own_session``: the broker leaves the caller's process group, so a Ctrl-C in the
        terminal reaches only its owner, which stops it in order (the built-in broker)."""
        exe = find_mosquitto()
        self.write_config()
        self.proc = subprocess.Popen([exe, "-c", str(self.conf_file)], start_new_session=own_session,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                err = self.proc.stderr.read().decode(errors="replace") if self.proc.stderr else ""
                raise BrokerError(f"mosquitto exited at start ({self.proc.returncode}): {err.strip()} "
                                  f"-- see {self.log_file}")
            try:
                with socket.create_connection((self.bind, self.port), timeout=0.2):
                    log.info("mosquitto listening on %s:%s", self.bind, self.port)
                    return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise BrokerError(f"mosquitto did not listen on {self.bind}:{self.port} within "
                          f"{START_TIMEOUT_S}s; see {self.log_file}")

    def reload(self) -> None:
        """Mosquitto rereads its password and ACL files on SIGHUP."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGHUP)
            time.sleep(0.2)  # the reload is asynchronous; give it a moment before new logins

    def stop(self, kill: bool = False) -> None:
        if self.proc and self.proc.poll() is None:
            if kill:
                self.proc.kill()
            else:
                self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def __enter__(self) -> Mosquitto:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
