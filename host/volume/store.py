"""Monthly volume V (业务受理量, R3): imported from the business system, or counted from the
queue system's service sessions; ``volume_for`` says which source it used.

An import is all or nothing: one transaction, and a file with any bad row stores nothing
(``preview`` shows what would be stored, and every error, without storing). Each import
is kept with who, when and which file (R12); the newest import for a window and month wins.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import func, insert
from sqlmodel import Session, col, select

from host import audit
from host.errors import Invalid
from host.models.fleet import Window
from host.models.service import ServiceSession
from host.models.volume import MonthlyVolume, VolumeImport
from host.rules.month_span import month_span
from host.violations.closed import month_is_closed
from host.volume.limits import MAX_ERRORS_SHOWN
from host.volume.parse import RowError, VolumeFileError, VolumeRow, parse_rows, read_table

log = logging.getLogger(__name__)

IMPORT, QUEUE, NONE = "import", "queue", "none"


class VolumeImportError(Invalid):
    """The volume file has errors; nothing was imported"""

    heading = "业务量文件有误，未导入"

    def __init__(self, errors: list[RowError], filename: str) -> None:
        self.errors_total = len(errors)
        self.errors = errors[:MAX_ERRORS_SHOWN]
        lines = "\n".join(str(e) for e in self.errors)
        hidden = self.errors_total - len(self.errors)
        more = f"\n……另有 {hidden} 处错误" if hidden else ""
        super().__init__(f"{filename}：共 {self.errors_total} 处错误，未导入任何数据：\n{lines}{more}",
                         "改正这些行后重新导入整个文件（勾选“仅预览”或用 --preview 只检查不保存）")


@dataclass(frozen=True, slots=True)
class ImportReport:
    filename: str
    rows: list[VolumeRow]
    errors: list[RowError] = field(default_factory=list)   # the first MAX_ERRORS_SHOWN
    import_id: int | None = None       # None: nothing stored (preview, or errors)
    window_ids: dict[str, int] = field(default_factory=dict)
    errors_total: int = 0

    @property
    def stored(self) -> bool:
        return self.import_id is not None


def import_volume(session: Session, filename: str, data: bytes, *, by: str, now_ms: int,
                  preview: bool = False) -> ImportReport:
    """Check and (unless ``preview``) store one file of monthly volumes in one transaction.

    Raises VolumeImportError (listing every bad row) and stores nothing if any row is bad;
    VolumeFileError (an Invalid) if the file itself cannot be read.
    """
    name = Path(filename).name
    try:
        rows, errors = parse_rows(read_table(name, data))
    except VolumeFileError as exc:
        raise Invalid(f"{name}：{exc}", "请从业务系统重新导出受理量表（.csv 或 .xlsx）") from exc
    windows = {w.number: w.id for w in session.exec(select(Window)).all() if w.id is not None}
    for r in rows:
        if r.window not in windows:
            errors.append(RowError(r.row, "窗口号", f"为“{r.window}”，没有这个窗口，"
                                   "请核对窗口号，或先在“配置”页面新增该窗口"))
    closed = {m for m in {r.month for r in rows} if month_is_closed(session, m)}
    for r in rows:
        if r.month in closed:
            errors.append(RowError(r.row, "月份", f"{r.month} 已关账（R11），"
                                   "请先重新开账，或删去该行"))
    errors.sort(key=lambda e: (e.row, e.column))
    if preview:
        return ImportReport(name, rows, errors[:MAX_ERRORS_SHOWN], None,
                            {r.window: windows[r.window] for r in rows if r.window in windows}, len(errors))
    if errors:
        raise VolumeImportError(errors, name)
    if not rows:
        raise Invalid(f"{name}：没有数据行", "文件只有表头，请每个窗口每月填写一行")
    batch = VolumeImport(imported_by=by, imported_ms=now_ms, filename=name,
                         sha256=hashlib.sha256(data).hexdigest(), rows=len(rows))
    try:
        session.add(batch)
        session.flush()
        # One bulk INSERT in the same transaction (ORM objects cost ~0.5 ms each).
        session.execute(insert(MonthlyVolume), [
            {"window_id": windows[r.window], "month": r.month, "volume": r.volume, "source": IMPORT,
             "import_id": batch.id, "row": r.row} for r in rows])
        audit.record(session, at_ms=now_ms, actor=by, action="volume.import",
                     subject=f"volume_import:{batch.id}",
                     reason=f"imported {name}", rows=len(rows), sha256=batch.sha256,
                     months=sorted({r.month for r in rows}))
        session.commit()
    except Exception:
        session.rollback()
        raise
    log.info("volume import %s by %s: %d rows", name, by, len(rows))
    return ImportReport(name, rows, [], batch.id, {r.window: windows[r.window] for r in rows})


def imported_volume(session: Session, window_id: int, month: str) -> MonthlyVolume | None:
    """The newest imported V of a window and month (later imports supersede earlier ones)."""
    return session.exec(select(MonthlyVolume).where(
        MonthlyVolume.window_id == window_id, MonthlyVolume.month == month)
        .order_by(col(MonthlyVolume.id).desc())).first()


def queue_volume(session: Session, window_id: int, month: str) -> int:
    """Service sessions the queue system started at the window in the month (R3)."""
    span = month_span(month)
    n = session.exec(select(func.count()).select_from(ServiceSession).where(
        ServiceSession.window_id == window_id, col(ServiceSession.started_ms) >= span.start_ms,
        col(ServiceSession.started_ms) < span.end_ms)).one()
    return int(n)


def volume_for(session: Session, window_id: int, month: str) -> tuple[int | None, str]:
    """V of a window and month and where it came from (R3): ``(V, "import"|"queue"|"none")``.

    The business system's imported figure wins (it is the official count of accepted
    cases); without one, the queue system's service sessions count, if the window has any;
    otherwise V is unknown.
    """
    row = imported_volume(session, window_id, month)
    if row is not None:
        return row.volume, IMPORT
    if session.exec(select(ServiceSession.id).where(ServiceSession.window_id == window_id).limit(1)).first():
        return queue_volume(session, window_id, month), QUEUE
    return None, NONE


def list_imports(session: Session) -> list[VolumeImport]:
    return list(session.exec(select(VolumeImport).order_by(col(VolumeImport.id).desc())).all())
