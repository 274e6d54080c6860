"""Backups of the evidence (events are the basis of deductions on real people).

SQLite: the online backup API copies a consistent snapshot while the host keeps writing
(WAL), then the copy is checked (``PRAGMA integrity_check``). PostgreSQL: evalpad does not
shell out to ``pg_dump``; it says exactly which command to run (and to schedule).
"""

from __future__ import annotations

import logging
import sqlite3
from dataclasses import dataclass
from datetime import UTC
from pathlib import Path

from sqlalchemy.engine import make_url

from host.clock import Clock, utc
from host.db import normalise_url
from host.errors import ServiceError

log = logging.getLogger(__name__)

PAGES_PER_STEP = 1024   # copy 4 MiB at a time so the ingest writer is never blocked for long


class BackupRefused(ServiceError):
    """Backup not done by evalpad"""

    heading = "无法由 evalpad 备份"


@dataclass(frozen=True)
class BackupResult:
    path: Path
    bytes: int
    integrity: str
    events: int


def backup_file_name(now_ms: int) -> str:
    # UTC in the name: sorts correctly and never repeats at a daylight-saving change.
    return "evalpad-" + utc(now_ms).astimezone(UTC).strftime("%Y%m%dT%H%M%S") + f"{now_ms % 1000:03d}Z.db"


def pg_dump_command(url: str, directory: Path, now_ms: int) -> str:
    # No password on the command line (it would land in shell history and `ps`): pg_dump
    # takes it from ~/.pgpass or PGPASSWORD.
    u = make_url(normalise_url(url)).set(drivername="postgresql", password=None)
    target = directory / backup_file_name(now_ms).replace(".db", ".dump")
    return (f"mkdir -p {directory} && pg_dump --format=custom --file={target} "
            f"'{u.render_as_string(hide_password=False)}'")


def backup_database(url: str, directory: Path, clock: Clock) -> BackupResult:
    """Write a consistent copy of the SQLite database at ``url`` into ``directory``."""
    url = normalise_url(url)
    now = clock.now_ms()
    if url.startswith("postgresql"):
        raise BackupRefused("数据库是 PostgreSQL；evalpad 只能备份 SQLite 数据库文件",
                            "请运行下面的命令（并定时执行，如用 systemd timer）：\n  "
                            + pg_dump_command(url, directory, now)
                            + "\n（密码取自 ~/.pgpass 或 PGPASSWORD）"
                            + "\n恢复时用：pg_restore --clean --no-owner --dbname=<url> <file>")
    source = make_url(url).database
    if not url.startswith("sqlite") or not source or source == ":memory:":
        raise BackupRefused(f"无法备份数据库 {url!r}",
                            "请把 EVALPAD_DATABASE_URL 设为 SQLite 文件或 PostgreSQL")
    if not Path(source).exists():
        raise BackupRefused(f"数据库文件 {source} 不存在",
                            "请检查 EVALPAD_DATA_DIR 和 EVALPAD_DATABASE_URL")
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / backup_file_name(now)
    tmp = target.with_suffix(".partial")
    src = sqlite3.connect(source)
    dst = sqlite3.connect(tmp)
    try:
        src.backup(dst, pages=PAGES_PER_STEP)
        integrity = dst.execute("PRAGMA integrity_check").fetchone()[0]
        try:
            events = int(dst.execute("SELECT count(*) FROM event").fetchone()[0])
        except sqlite3.OperationalError:
            events = 0       # a database not yet migrated has no event table
    finally:
        dst.close()
        src.close()
    if integrity != "ok":
        raise BackupRefused(f"备份副本未通过完整性检查：{integrity}",
                            f"不完整的副本保留在 {tmp}；请检查磁盘和原数据库")
    tmp.replace(target)
    log.info("backup of %s written to %s", source, target)
    return BackupResult(path=target, bytes=target.stat().st_size, integrity=integrity, events=events)
