"""Carry out an ``update`` command: download a release into the other slot, check it, switch.

The work is a generator: each ``next()`` does one bounded piece (one HTTP Range request of
``PIECE`` bytes, hashing ``PIECE`` bytes of a file, one file removed, one small file
written), so the main loop reads the buttons between pieces. Everything it needs to go on
after a power cut is on flash, and it starts over from the top at every start, skipping
what is done:

1. ``ota/job``: the command (written when it arrives).
2. Manifest: fetched into ``ota/manifest.part``; kept as ``ota/manifest`` only if its
   SHA-256 is the command's and its contents hold together (release name, file list hash,
   bytecode version, paths, sizes).
3. Clear the other slot (``job["cleared"]`` records that it was done for this job).
4. Each file to ``<slot>/<path>.part`` (resumed from its size; the hash of what is there is
   recomputed), renamed to its name only when size and SHA-256 match; a wrong file is
   fetched again, ``RETRIES`` times, then the release is refused.
5. Verify: every file of the slot hashed again against the manifest.
6. Install: the manifest as ``<slot>/release.json``, then the pointer (written whole) names
   the slot on trial -- the one switch -- then the job's files go.

The event log, the identity and the config are never touched: only ``ota/`` and the other
slot's ``firmware/`` and ``protocol/`` trees are written.
"""

import hashlib
import json
import sys
from binascii import hexlify

from firmware.ota.http import HttpError, get_range
from firmware.pad import slots

JOB = "ota/job"
MANIFEST = "ota/manifest"
PIECE = 1024                 # bytes per request or per hashing step: a few ms on a LAN
MAX_MANIFEST = 16384         # a release lists ~50 files in ~5 KB
RETRIES = 3                  # fetches of one file whose hash is wrong before refusing
WAIT_MS = 5000               # after a failed request: the host or Wi-Fi may be back soon
GIVE_UP_MS = 30 * 60 * 1000  # no progress for this long: refuse (the host may send it again)
TOPS = ("firmware/", "protocol/")


class Refused(Exception):
    """The release cannot be installed (the message is the cmd_result's detail)."""


def sha_hex(data: bytes) -> str:
    return hexlify(hashlib.sha256(data).digest()).decode()


def list_hash(files: list) -> str:
    """The release's own hash: SHA-256 of "path size sha256\\n" per file, in manifest order."""
    h = hashlib.sha256()
    for path, size, sha in files:
        h.update("{} {} {}\n".format(path, size, sha).encode())
    return hexlify(h.digest()).decode()


def check_manifest(m: object, release: str) -> list:
    """The manifest's file list, or Refused saying what does not hold together."""
    if type(m) is not dict or m.get("v") != 1 or type(m.get("files")) is not list:
        raise Refused("manifest is not a v1 release manifest")
    if m.get("release") != release:
        raise Refused("manifest names release {!r}, the command {!r}".format(m.get("release"), release))
    files = m["files"]
    for entry in files:
        if (type(entry) is not list or len(entry) != 3 or type(entry[0]) is not str
                or type(entry[1]) is not int or type(entry[2]) is not str):
            raise Refused("manifest entry {!r} is not [path, size, sha256]".format(entry)[:120])
        path = entry[0]
        if not path.startswith(TOPS) or ".." in path or "//" in path or path.endswith("/"):
            raise Refused("manifest path {!r} is outside firmware/ and protocol/".format(path)[:120])
    if not files or list_hash(files) != m.get("hash"):
        raise Refused("manifest file list does not match its hash")
    mine = getattr(sys.implementation, "_mpy", None)
    if mine is not None and m.get("mpy") != mine & 0xFF:
        raise Refused("release is bytecode v{}, this MicroPython loads v{}".format(m.get("mpy"), mine & 0xFF))
    return files


class Update:
    """One update command carried out piece by piece; ``step()`` once per main-loop step."""

    def __init__(self, files, sockets, job: dict, slot: str) -> None:
        self.files = files
        self.sockets = sockets
        self.job = job
        self.slot = slots.OTHER[slot]           # never the running slot
        self.dir = slots.SLOT_DIRS[self.slot]
        self.wait_until = 0
        self.progress_at = None  # type: int | None
        self.error = ""
        self.work = self._work()

    def step(self, up: int) -> object:
        """None while working; "installed" once the pointer names the new slot; Refused if not."""
        if self.progress_at is None:
            self.progress_at = up
        if up < self.wait_until:
            return None
        try:
            if next(self.work, "installed") == "installed":
                return "installed"
            self.progress_at = up
        except Refused as exc:
            self.finish()
            return exc
        except (OSError, HttpError, ValueError) as exc:
            # The host, the Wi-Fi or a file failed this time: start over from the top later
            # (everything done so far is kept and skipped).
            self.error = repr(exc)[:120]
            self.wait_until = up + WAIT_MS
            self.work = self._work()
            if up - self.progress_at >= GIVE_UP_MS:
                self.finish()
                return Refused("no progress for {} min: {}".format(GIVE_UP_MS // 60000, self.error))
        return None

    def finish(self) -> None:
        """Forget the job (done or refused); the other slot is cleared by the next update."""
        for name in (JOB, MANIFEST, MANIFEST + ".part"):
            if self.files.exists(name):
                self.files.remove(name)

    # -- the work, one piece per yield ------------------------------------------------------

    def _work(self):
        manifest = yield from self._manifest()
        try:
            parsed = json.loads(manifest.decode())
        except (ValueError, UnicodeError):
            raise Refused("manifest is not JSON")
        entries = check_manifest(parsed, self.job["release"])
        parsed = manifest = None        # only the file list stays in the heap while downloading
        yield from self._clear()
        base = self.job["url"].rsplit("/", 1)[0] + "/"
        for path, size, sha in entries:
            yield from self._fetch(base + path, self.dir + "/" + path, size, sha)
        for path, size, sha in entries:
            h = hashlib.sha256()
            got = yield from self._feed(self.dir + "/" + path, h)
            if got != size or hexlify(h.digest()).decode() != sha:
                raise Refused("{} changed on flash after download".format(path))
        self.files.write_small(self.dir + "/release.json", self._kept_manifest())
        yield
        self._switch()
        self.finish()
        return "installed"

    def _manifest(self):
        f = self.files
        want = self.job["sha256"]
        if f.exists(MANIFEST):
            data = f.read_small(MANIFEST)
            if sha_hex(data) == want:
                return data
        part = MANIFEST + ".part"
        have = f.size(part) if f.exists(part) else 0
        total = have + 1
        while have < total:
            body, total = get_range(self.sockets, self.job["url"], have, PIECE)
            if total > MAX_MANIFEST:
                raise Refused("manifest is {} bytes (at most {})".format(total, MAX_MANIFEST))
            if have >= total:
                break                       # all there before a restart
            if not body:
                raise HttpError("empty piece")
            self._append(part, body)
            have += len(body)
            yield
        data = f.read_small(part)
        f.remove(part)
        if sha_hex(data) != want:
            raise Refused("manifest SHA-256 {} is not the command's {}".format(sha_hex(data)[:12], want[:12]))
        f.write_small(MANIFEST, data)
        return data

    def _kept_manifest(self) -> bytes:
        """The manifest kept on flash (``ota/manifest``), checked against the command again."""
        data = self.files.read_small(MANIFEST)
        if data is None or sha_hex(data) != self.job["sha256"]:
            raise Refused("the kept manifest changed on flash")
        return data

    def _clear(self):
        """Empty the other slot's program trees, one file per step (once per job)."""
        if self.job.get("cleared"):
            return
        f = self.files
        if f.exists(self.dir + "/release.json"):
            f.remove(self.dir + "/release.json")
        for top in TOPS:
            yield from self._remove_tree(self.dir + "/" + top[:-1])
        self.job["cleared"] = True
        f.write_small(JOB, json.dumps(self.job).encode())

    def _remove_tree(self, path: str):
        f = self.files
        if not f.exists(path):
            return
        for name in f.listdir(path):
            child = path + "/" + name
            if f.is_dir(child):
                yield from self._remove_tree(child)
            else:
                f.remove(child)
                yield
        f.rmdir(path)

    def _fetch(self, url: str, name: str, size: int, sha: str):
        f = self.files
        if f.exists(name):
            return                       # renamed only after its hash matched, in this job
        self._mkdirs(name)
        part = name + ".part"
        for _ in range(RETRIES):
            h = hashlib.sha256()
            have = 0
            if f.exists(part):
                have = yield from self._feed(part, h)   # resume: hash what is there already
            while have < size:
                body, total = get_range(self.sockets, url, have, min(PIECE, size - have))
                if total != size or not body:
                    raise Refused("{} is {} bytes on the host, {} in the manifest".format(
                        name.split("/", 1)[1], total, size))
                self._append(part, body)
                h.update(body)
                have += len(body)
                yield
            if have == size and hexlify(h.digest()).decode() == sha:
                f.rename(part, name)
                return
            f.remove(part)               # wrong: fetch it again
        raise Refused("{}: SHA-256 does not match the manifest after {} downloads".format(
            name.split("/", 1)[1], RETRIES))

    def _feed(self, name: str, h):
        """Hash a file's bytes into ``h``, one piece per step; returns its size."""
        size = 0
        fh = self.files.open(name, "rb")
        try:
            while True:
                data = fh.read(PIECE)
                if not data:
                    break
                h.update(data)
                size += len(data)
                yield
        finally:
            fh.close()
        return size

    def _append(self, name: str, data: bytes) -> None:
        fh = self.files.open(name, "ab")
        try:
            fh.write(data)
        finally:
            fh.close()

    def _mkdirs(self, name: str) -> None:
        parts = name.split("/")[:-1]
        for i in range(1, len(parts) + 1):
            self.files.mkdir("/".join(parts[:i]))

    def _switch(self) -> None:
        """The one switch: the pointer names the new slot on trial (written whole)."""
        job = self.job
        p = slots.read(self.files)
        for key in ("why", "rep"):
            p.pop(key, None)
        p["try"] = self.slot
        p["tver"] = job["release"]
        p["left"] = slots.TRIAL_STARTS
        p["id"] = job["id"]
        p["trial_s"] = job.get("trial_s") or slots.TRIAL_S
        p["faults"] = job.get("faults") or []
        slots.write(self.files, p)

