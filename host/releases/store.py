"""Releases kept by the host: files under ``data_dir/releases/<version>/``, one row each.

A release's directory is laid out as a pad's slot holds it (``firmware/...``,
``protocol/...``) plus ``manifest.json``; host.releases.web serves it to the pads. A release
is never changed once kept: a new program is a new version.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func
from sqlmodel import Session, col, select

from host import audit
from host.clock import Clock
from host.errors import Conflict, Invalid, NotFound
from host.models.liveness import DeviceStatus
from host.models.releases import Release
from host.releases import manifest

DIR = "releases"
MANIFEST = "manifest.json"


@dataclass(frozen=True, slots=True)
class ReleaseView:
    release: Release
    pads: int          # pads whose newest state names this release as running


def releases_dir(data_dir: Path) -> Path:
    return data_dir / DIR


def add_release(session: Session, *, built: Path, data_dir: Path, clock: Clock, actor: str,
                note: str = "") -> Release:
    """Keep the release built into ``built`` (host.releases.build); commits."""
    try:
        data = (built / MANIFEST).read_bytes()
        doc = manifest.parse(data)
    except (OSError, manifest.ManifestError) as exc:
        raise Invalid(f"{built} 不是评价器程序版本包：{exc}", "请用 evalpad pad release 生成") from None
    version = doc["release"]
    if session.get(Release, version) is not None:
        raise Conflict(f"版本 {version} 已保存过", "新程序请用新的版本号")
    for path, size, sha in doc["files"]:
        blob = (built / path).read_bytes()
        if len(blob) != size or manifest.sha256_hex(blob) != sha:
            raise Invalid(f"{built} 中的 {path} 与清单不符", "请重新生成版本包")
    target = releases_dir(data_dir) / version
    if target.exists():
        shutil.rmtree(target)          # left by an earlier attempt that was not committed
    shutil.copytree(built, target)
    row = Release(version=version, manifest_sha256=manifest.sha256_hex(data), tree_hash=doc["hash"],
                  min_contract=doc["min_contract"], files=len(doc["files"]),
                  size_bytes=sum(f[1] for f in doc["files"]), created_ms=clock.now_ms(), created_by=actor,
                  note=note)
    session.add(row)
    audit.record(session, at_ms=row.created_ms, actor=actor, action="release.add", subject=version,
                 reason=note, manifest_sha256=row.manifest_sha256, files=row.files)
    session.commit()
    return row


def get_release(session: Session, version: str) -> Release:
    row = session.get(Release, version)
    if row is None:
        raise NotFound(f"本主机没有保存版本 {version!r}", "查看已保存的版本：evalpad pad releases")
    return row


def list_releases(session: Session) -> list[ReleaseView]:
    running = dict(session.exec(select(DeviceStatus.fw, func.count()).group_by(col(DeviceStatus.fw))).all())
    rows = session.exec(select(Release).order_by(col(Release.created_ms))).all()
    return [ReleaseView(r, int(running.get(r.version, 0))) for r in rows]


def release_file(data_dir: Path, version: str, path: str) -> Path | None:
    """The file of a kept release at ``path`` (its manifest or a program file), or None."""
    try:
        manifest.check_version(version)
    except manifest.ManifestError:
        return None
    if path != MANIFEST and not manifest.PATH_RE.match(path):
        return None
    file = releases_dir(data_dir) / version / path
    return file if file.is_file() else None


def manifest_url(base_url: str, version: str) -> str:
    return f"{base_url.rstrip('/')}/ota/{version}/{MANIFEST}"
