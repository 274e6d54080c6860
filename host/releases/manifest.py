"""The release manifest: what a pad checks before it installs anything (firmware/ota/update.py).

    {"v": 1, "release": "1.1.0", "hash": "<sha256>", "min_contract": 1, "mpy": 6,
     "files": [["firmware/pad/app.mpy", 4724, "<sha256>"], ...]}

``hash`` is the release's own hash: SHA-256 of one line "path size sha256\\n" per file in
the manifest's order (sorted by path), so two builds with the same files have the same hash.
``min_contract`` is the lowest pad <-> host contract version the program needs from the host;
``mpy`` the bytecode version of its .mpy files (a pad refuses another). The update command
carries the SHA-256 of the manifest's bytes as served (``manifest_sha256``).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass

VERSION_RE = re.compile(r"^[0-9A-Za-z][0-9A-Za-z.+_-]{0,31}$")
PATH_RE = re.compile(r"^(firmware|protocol)/[A-Za-z0-9_/]+\.mpy$")


class ManifestError(ValueError):
    """A manifest that does not hold together; the message says what."""


@dataclass(frozen=True, slots=True)
class FileEntry:
    path: str
    size: int
    sha256: str


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def list_hash(files: list[FileEntry]) -> str:
    h = hashlib.sha256()
    for f in files:
        h.update(f"{f.path} {f.size} {f.sha256}\n".encode())
    return h.hexdigest()


def check_version(version: str) -> str:
    if not VERSION_RE.match(version):
        raise ManifestError(f"版本号 {version!r} 不合规定：请用 1-32 位字母、数字或 . + _ -，"
                            "如 1.1.0")
    return version


def make(release: str, files: list[FileEntry], min_contract: int, mpy: int) -> bytes:
    """The manifest's bytes (compact JSON, files sorted by path)."""
    check_version(release)
    files = sorted(files, key=lambda f: f.path)
    for f in files:
        if not PATH_RE.match(f.path):
            raise ManifestError(f"{f.path} 不是评价器程序文件（应为 firmware/ 或 protocol/ 下的 .mpy）")
    doc = {"v": 1, "release": release, "hash": list_hash(files), "min_contract": min_contract,
           "mpy": mpy, "files": [[f.path, f.size, f.sha256] for f in files]}
    return json.dumps(doc, separators=(",", ":")).encode()


def parse(data: bytes) -> dict:
    """The manifest as a dict, checked as a pad checks it."""
    try:
        doc = json.loads(data)
    except ValueError as exc:
        raise ManifestError(f"清单不是 JSON：{exc}") from None
    if not isinstance(doc, dict) or doc.get("v") != 1 or not isinstance(doc.get("files"), list):
        raise ManifestError("不是 v1 版本包清单")
    files = [FileEntry(*entry) for entry in doc["files"]]
    if list_hash(files) != doc.get("hash"):
        raise ManifestError("文件列表与清单中的校验值（hash）不符")
    return doc
